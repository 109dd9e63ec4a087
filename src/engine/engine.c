/*
 * engine.c — a run in the runner process; see engine.h.
 *
 * engine_run builds the real primitives and the store, starts the fork server when the scenario
 * has process actors (before any thread), starts every "auto" actor, runs main's script on the
 * calling thread (or, when the scenario has no main, joins everyone), waits for every started
 * actor as Python waits for its non-daemon threads and child processes, and publishes END.
 */
#include "engine/engine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine_int.h"
#include "util/xalloc.h"

/* Lowers limit RES to WANT, soft and hard, unless it is lower already. */
static void lower(int res, rlim_t want)
{
        struct rlimit rl;

        if (getrlimit(res, &rl) != 0)
                return;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
                want = rl.rlim_max;
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
                want = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max = want;
        (void)setrlimit(res, &rl);
}

void engine_limit(void)
{
        const char *env = getenv("LOCKSTEP_MAX_VALUE_MIB");
        FILE *f;
        unsigned long running, tasks;

        if (env != NULL && env[0] >= '0' && env[0] <= '9') {
                char *end;
                unsigned long long mib = strtoull(env, &end, 10);

                if (*end == '\0' && mib > 0 && mib <= ((uint64_t)1 << 24))
                        value_memory_limit((size_t)(mib << 20));
        }
        /* the sanitizers reserve terabytes of address space: RLIMIT_AS would stop them */
        if (!ENGINE_SANITIZED)
                lower(RLIMIT_AS, (rlim_t)ENGINE_LIMIT_AS);
        /* the soft limit sends SIGXCPU (a crash by that signal); the hard one, later, SIGKILL */
        {
                struct rlimit rl;

                lower(RLIMIT_CPU, ENGINE_LIMIT_CPU + 10);
                if (getrlimit(RLIMIT_CPU, &rl) == 0 && rl.rlim_cur > 10) {
                        rl.rlim_cur -= 10;
                        (void)setrlimit(RLIMIT_CPU, &rl);
                }
        }
        lower(RLIMIT_NOFILE, ENGINE_LIMIT_FILES);
        lower(RLIMIT_CORE, 0);
        /* RLIMIT_NPROC counts every task of the user, which lockstep cannot know; the system's
         * count of tasks now is at least that, so a margin over it never stops a run */
        f = fopen("/proc/loadavg", "r");
        if (f != NULL) {
                if (fscanf(f, "%*s %*s %*s %lu/%lu", &running, &tasks) == 2)
                        lower(RLIMIT_NPROC, (rlim_t)tasks + ENGINE_LIMIT_NPROCS);
                fclose(f);
        }
}

int engine_stream_rings(const scenario *sc)
{
        return engine_worker_ring(sc, sc->nresources, 0);
}

int engine_stream_keys(const scenario *sc)
{
        return sc->nresources + 2;
}

int engine_worker_ring(const scenario *sc, int res, int w)
{
        int pools = 0;

        for (int k = 0; k < res; k++)
                pools += sc->resources[k].type == SC_POOL;
        return sc->nactors + 1 + pools * SC_MAX_POOL + w;
}

static void forked_child(void *ctx, int target, const char *data, size_t len)
{
        engine *eng = ctx;

        /* the memory lock's holder is this process, whichever actor's structure takes it (a
         * pool worker takes it as its map's caller) */
        for (int k = 0; k < eng->nall; k++)
                eng->actors[k].process = (uint32_t)getpid();
        if (target >= 0) {
                actor_in_process(eng, target, data, len);
                return;
        }
        store_restore(eng->store, data, len);
        stream_attach(eng->st,
                      engine_worker_ring(eng->sc, POOL_TARGET_RES(target), POOL_TARGET_W(target)));
        pool_worker(eng, POOL_TARGET_RES(target), POOL_TARGET_W(target));
        stream_flush();
}

static bool forked_reaped(void *ctx, int target, pid_t pid, int status)
{
        engine *eng = ctx;
        uint64_t end;
        int ring;

        /* Only the fork server forks the run's processes, and it is here: no process of the run
         * has been given PID again yet. */
        prim_memory_owner_died(eng->prim, pid);

        if (target >= 0) {
                actor_reaped(eng, target, pid, status);
                return false;
        }
        /* a worker started again in its place goes on from where its ring ends; what it had
         * written whole, before a marker for a version it took (pool_reaped reads its GIL's) */
        ring = engine_worker_ring(eng->sc, POOL_TARGET_RES(target), POOL_TARGET_W(target));
        end = stream_written(eng->st, ring);
        stream_ring_dead(eng->st, ring);
        return pool_reaped(eng, POOL_TARGET_RES(target), POOL_TARGET_W(target), end);
}

/* Waits until actor K, started by another process or by a thread of this one, is done. */
static void wait_done(engine *eng, int k)
{
        actor *a = &eng->actors[k];
        prim_actor *p = &eng->prim->actors[k];

        if (a->local_thread) {
                stream_flush();
                pthread_join(a->thread, NULL);
                return;
        }
        prim_mutex_lock(&p->mu);
        while (!p->done)
                prim_cond_wait(&p->cv, &p->mu, NULL);
        pthread_mutex_unlock(&p->mu);
}

int engine_run(const scenario *sc, const engine_options *opt, stream *st)
{
        engine eng = { .sc = sc, .st = st, .opt = *opt, .copy = -1 };
        actor *main_actor;
        int status;

        engine_limit();
        for (int k = 0; k < sc->nactors; k++)
                eng.processes |= sc->actors[k].kind == SC_PROCESS;
        for (int k = 0; k < sc->nresources; k++)
                eng.processes |= sc->resources[k].type == SC_POOL;
        eng.nall = sc->nactors + 1;
        eng.prim = prim_create(sc, eng.nall, opt->fifo);
        if (eng.prim == NULL)
                xdie("cannot map shared memory for the primitives");
        eng.store = store_create(sc, eng.processes);
        eng.pools = pool_create(sc);
        eng.actors = xcalloc((size_t)eng.nall, sizeof(actor));
        for (int k = 0; k < eng.nall; k++)
                actor_init(&eng, &eng.actors[k], k);
        main_actor = &eng.actors[sc->nactors];
        eng.prim->actors[sc->nactors].started = true;
        __atomic_store_n(&eng.prim->actors[sc->nactors].pid, getpid(), __ATOMIC_RELAXED);
        if (eng.processes) {
                /* before any thread: the server must be a single-threaded copy */
                forksrv_ops ops = { .ctx = &eng, .child = forked_child, .reaped = forked_reaped };

                if (forksrv_start(&eng.fs, &ops, &eng.prim->forkmu) < 0)
                        xdie("cannot start the fork server: %s", strerror(errno));
        }
        store_watch(eng.store); /* a thread: after the fork server's fork */

        /* after the fork server's fork: the ring is this thread's alone */
        stream_attach(st, sc->nactors);
        main_actor->stmt = NULL;
        actor_emit(main_actor, EV_START, -1, -1, 0, 0, NULL, 0);
        for (int k = 0; k < sc->nactors; k++)
                if (!sc->actors[k].manual)
                        actor_start(main_actor, k);
        {
                int flow = FLOW_NEXT;

                if (sc->main_given) {
                        flow = interp_block(main_actor, &sc->scripts[sc->main_script].body);
                } else {
                        /* No main: the main thread joins every actor that was started. */
                        for (int k = 0; k < sc->nactors && flow == FLOW_NEXT; k++)
                                if (eng.prim->actors[k].started)
                                        flow = interp_join(main_actor, k, NULL);
                }
                actor_finish(main_actor, flow);
        }
        /* Like Python at exit, wait for every thread and process that was started. */
        for (int k = 0; k < sc->nactors; k++)
                if (eng.prim->actors[k].started)
                        wait_done(&eng, k);
        pool_stop(eng.pools);
        if (eng.processes)
                forksrv_stop(&eng.fs);
        status = eng.prim->errors > 0           ? OUTCOME_CRASH
                 : eng.prim->asserts_failed > 0 ? OUTCOME_ASSERT
                                                : OUTCOME_DONE;
        main_actor->stmt = NULL;
        {
                event ev = { .kind = EV_END,
                             .actor = EVENT_RUNNER,
                             .res = -1,
                             .other = -1,
                             .stmt = -1,
                             .aux = status,
                             .text = "" };

                /* the consumer gives it out once every ring is read (stream.c) */
                stream_publish(st, &ev, STREAM_NO_KEY);
                stream_flush_now();
        }
        for (int k = 0; k < eng.nall; k++)
                actor_free(&eng.actors[k]);
        free(eng.actors);
        store_free(eng.store);
        pool_destroy(eng.pools);
        prim_destroy(eng.prim);
        return status;
}
