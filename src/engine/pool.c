/*
 * pool.c — a Pool's shared state, its map, and its worker processes; see pool.h.
 *
 * A worker finds the statement and the function to call by the statement's address, written by
 * the caller into shared memory: every process of a run is forked from the runner after the
 * scenario was loaded, so the scenario is at the same address in all of them.
 */
#include "engine/pool.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine_int.h"
#include "util/xalloc.h"

#define POOL_MAX_TASKS VALUE_MAX_ITEMS    /* items of one map: a list holds no more */
#define POOL_BYTES     ((size_t)16 << 20) /* encoded arguments, and results, of one map */

enum { GIL_FREE, GIL_TAKING, GIL_HELD, GIL_GIVING };

typedef struct pool_state {
        pthread_mutex_t mu;
        pthread_cond_t cv; /* a task handed out, a result in, the end */
        bool started, stop;
        bool busy;    /* a map is under way: another caller waits for it to end (live only: a map is
                         one step, so stepped runs never overlap two) */
        bool stepped; /* the map hands out its tasks in rounds (step mode) */
        const sc_stmt *stmt; /* the map statement (the same address in every process) */
        int caller;          /* the actor whose map it is */
        int ntasks, next, done;
        int limit;                /* live: tasks that may be taken */
        int running[SC_MAX_POOL]; /* the task each worker runs, plus one (0: none) */
        int redo[SC_MAX_POOL];    /* live: tasks of workers that died, to hand out again */
        int nredo;
        /* stepped: the task of each worker in this round (-1: none), how many the round has, and
         * whose turn it is to publish: workers 0 .. round-1 take theirs (turn 0 .. round-1), then
         * say their results (turn round .. 2 round-1), each in worker order */
        int assigned[SC_MAX_POOL];
        int round, turn;
        /* "gil": worker w's GIL as its events say (GIL_FREE, GIL_HELD), or the event it is
         * writing (GIL_TAKING, GIL_GIVING) from where its ring was then (gil_at): a worker that
         * dies meanwhile has written it whole if its ring went past that */
        uint8_t gil[SC_MAX_POOL];
        uint64_t gil_at[SC_MAX_POOL];
        uint64_t args_used, res_used;
        uint64_t arg_off[POOL_MAX_TASKS + 1];
        uint64_t res_off[POOL_MAX_TASKS], res_len[POOL_MAX_TASKS];
        uint8_t res_err[POOL_MAX_TASKS]; /* the result is an error message */
        char args[POOL_BYTES];
        char res[POOL_BYTES];
} pool_state;

struct pool_region {
        const scenario *sc;
        pool_state **by_res;
};

pool_region *pool_create(const scenario *sc)
{
        pool_region *p = NULL;

        for (int k = 0; k < sc->nresources; k++) {
                pool_state *ps;
                pthread_mutexattr_t ma;
                pthread_condattr_t ca;

                if (sc->resources[k].type != SC_POOL)
                        continue;
                if (p == NULL) {
                        p = xcalloc(1, sizeof(*p));
                        p->sc = sc;
                        p->by_res = xcalloc((size_t)sc->nresources, sizeof(pool_state *));
                }
                ps = mmap(NULL, sizeof(pool_state), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (ps == MAP_FAILED)
                        xdie("cannot map shared memory for pool '%s'", sc->resources[k].name);
                pthread_mutexattr_init(&ma);
                pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
                pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
                pthread_mutex_init(&ps->mu, &ma);
                pthread_mutexattr_destroy(&ma);
                pthread_condattr_init(&ca);
                pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&ps->cv, &ca);
                pthread_condattr_destroy(&ca);
                for (int w = 0; w < SC_MAX_POOL; w++)
                        ps->assigned[w] = -1;
                p->by_res[k] = ps;
        }
        return p;
}

void pool_destroy(pool_region *p)
{
        if (p == NULL)
                return;
        for (int k = 0; k < p->sc->nresources; k++)
                if (p->by_res[k] != NULL)
                        munmap(p->by_res[k], sizeof(pool_state));
        free(p->by_res);
        free(p);
}

void pool_stop(pool_region *p)
{
        if (p == NULL)
                return;
        for (int k = 0; k < p->sc->nresources; k++) {
                pool_state *ps = p->by_res[k];

                if (ps == NULL)
                        continue;
                prim_mutex_lock(&ps->mu);
                ps->stop = true;
                pthread_cond_broadcast(&ps->cv);
                pthread_mutex_unlock(&ps->mu);
        }
}

/* The fork server: worker W of pool RES died, its ring having reached END. If its events last
 * said that it holds its GIL — an ACQUIRED it was writing counts once its ring went past where
 * it began, a RELEASED once its ring did not — the RELEASED goes into the dead worker's ring
 * after its last event, as a dead actor's CRASH does, so that neither the model nor the worker
 * that replaces it finds the GIL held by nobody alive. */
static void dead_gil(engine *eng, pool_state *ps, int res, int w, uint64_t end)
{
        int gil = eng->sc->resources[res].gil_res + w;
        bool held = ps->gil[w] == GIL_HELD || (ps->gil[w] == GIL_TAKING && end > ps->gil_at[w]) ||
                    (ps->gil[w] == GIL_GIVING && end == ps->gil_at[w]);
        event ev = { .kind = EV_RELEASED,
                     .actor = (int16_t)ps->caller,
                     .res = (int16_t)gil,
                     .other = -1,
                     .stmt = ps->stmt != NULL ? ps->stmt->id : -1 };

        ps->gil[w] = GIL_FREE;
        if (held)
                stream_publish_for(eng->st, engine_worker_ring(eng->sc, res, w), &ev,
                                   eng->actors[ps->caller].res_key[gil]);
}

bool pool_reaped(engine *eng, int res, int w, uint64_t end)
{
        pool_state *ps = eng->pools->by_res[res];
        bool again;

        prim_mutex_lock(&ps->mu);
        if (ps->gil[w] != GIL_FREE)
                dead_gil(eng, ps, res, w, end);
        again = !ps->stop;
        if (again && ps->running[w] > 0) {
                /* stepped, the task stays its worker's: the one that replaces it */
                if (ps->stepped)
                        ps->assigned[w] = ps->running[w] - 1;
                else
                        ps->redo[ps->nredo++] = ps->running[w] - 1;
                ps->running[w] = 0;
                pthread_cond_broadcast(&ps->cv);
        }
        pthread_mutex_unlock(&ps->mu);
        return again;
}

static int workers_of(actor *a, int res)
{
        int64_t n = a->sc->resources[res].count;

        if (n <= 0)
                n = a->eng->opt.cpu_count;
        return n < 1 ? 1 : n > SC_MAX_POOL ? SC_MAX_POOL : (int)n;
}

/* The pool's workers, forked at its first map with the caller's memory, as Pool() forks. */
static void start_workers(actor *a, int res, pool_state *ps)
{
        strbuf snap = { 0 };
        int n = workers_of(a, res);

        actor_memory_take(a);
        store_snapshot(a->store, &snap);
        actor_memory_drop(a);
        for (int w = 0; w < n; w++)
                forksrv_request(&a->eng->fs, POOL_TARGET(res, w), snap.data, snap.len);
        strbuf_free(&snap);
}

int pool_map(actor *a, const sc_stmt *s, value *out)
{
        pool_state *ps = a->eng->pools->by_res[s->res];
        bool star = s->kind == SC_STARMAP;
        int nw = workers_of(a, s->res);
        value fn, over, items;
        char err[200];
        strbuf enc = { 0 };
        size_t n;
        int flow = FLOW_NEXT;

        if (actor_eval(a, s->fn, &fn) < 0)
                return FLOW_STOP;
        if (fn.type != VALUE_FUNC) {
                flow = actor_fail_at(a, s->fn, "TypeError: '%s' object is not callable",
                                     value_type_name(fn.type));
                value_drop(&fn);
                return flow;
        }
        value_drop(&fn); /* the workers evaluate it again, each in its own process */
        if (actor_eval(a, s->over, &over) < 0)
                return FLOW_STOP;
        if (value_to_list(over, &items, err, sizeof(err)) < 0) {
                value_drop(&over);
                return actor_fail_at(a, s->over, "%s", err);
        }
        value_drop(&over);
        actor_memory_drop(a);
        n = value_len(items);
        if (n > POOL_MAX_TASKS) {
                value_drop(&items);
                return actor_fail(a, "MemoryError: a map of more than %u items", POOL_MAX_TASKS);
        }
        /* the step's own first event: the tasks' events come from the workers */
        interp_end_step(a);
        interp_gil_drop(a);
        {
                bool start;

                /* one caller starts the workers, however many threads map at once */
                prim_mutex_lock(&ps->mu);
                start = !ps->started;
                ps->started = true;
                pthread_mutex_unlock(&ps->mu);
                if (start)
                        start_workers(a, s->res, ps);
        }
        prim_mutex_lock(&ps->mu);
        while (ps->busy)
                prim_cond_wait(&ps->cv, &ps->mu, NULL);
        ps->busy = true;
        ps->args_used = 0;
        for (size_t k = 0; k < n && flow == FLOW_NEXT; k++) {
                value item = value_at(items, k);

                strbuf_reset(&enc);
                if (star && item.type != VALUE_TUPLE && item.type != VALUE_LIST)
                        flow = actor_fail_at(a, s->over,
                                             "TypeError: starmap's items must be tuples, not %s",
                                             value_type_name(item.type));
                else if (store_encode(item, &enc, err, sizeof(err)) < 0)
                        flow = actor_fail_at(a, s->over, "%s", err);
                else if (ps->args_used + enc.len > POOL_BYTES)
                        flow = actor_fail(a,
                                          "MemoryError: the arguments of a map take more than "
                                          "%zu bytes",
                                          POOL_BYTES);
                if (flow != FLOW_NEXT)
                        break;
                ps->arg_off[k] = ps->args_used;
                memcpy(ps->args + ps->args_used, enc.data, enc.len);
                ps->args_used += enc.len;
        }
        strbuf_free(&enc);
        value_drop(&items);
        if (flow != FLOW_NEXT) {
                ps->busy = false;
                pthread_cond_broadcast(&ps->cv);
                pthread_mutex_unlock(&ps->mu);
                return flow;
        }
        ps->arg_off[n] = ps->args_used;
        ps->stmt = s;
        ps->caller = a->id;
        ps->ntasks = (int)n;
        ps->next = ps->done = ps->nredo = 0;
        ps->res_used = 0;
        if (a->gates == NULL) {
                ps->stepped = false;
                ps->limit = (int)n;
                pthread_cond_broadcast(&ps->cv);
                while (ps->done < ps->ntasks)
                        prim_cond_wait(&ps->cv, &ps->mu, NULL);
                /* Whatever the caller does next comes after every worker's last result, which
                 * its ring has by now (written before the worker counted it done). */
                for (int w = 0; w < nw; w++) {
                        int ring = engine_worker_ring(a->sc, s->res, w);

                        stream_order_after(a->eng->st, ring, stream_written(a->eng->st, ring));
                }
        } else {
                /* stepped: in rounds, task base + w to worker w, every worker of a round
                 * computing at once; they publish in turn, so the trace is the same whatever
                 * the timing */
                ps->stepped = true;
                for (int base = 0; base < (int)n; base += nw) {
                        int m = (int)n - base < nw ? (int)n - base : nw;

                        ps->round = m;
                        ps->turn = 0;
                        for (int w = 0; w < m; w++)
                                ps->assigned[w] = base + w;
                        pthread_cond_broadcast(&ps->cv);
                        while (ps->done < base + m)
                                prim_cond_wait(&ps->cv, &ps->mu, NULL);
                }
        }
        /* the results in the order of the inputs; the first error is the map's */
        *out = value_list();
        for (int k = 0; k < (int)n && flow == FLOW_NEXT; k++) {
                const char *p = ps->res + ps->res_off[k];
                value v;

                if (ps->res_err[k])
                        flow = actor_fail_at(a, s->fn, "%.*s", (int)ps->res_len[k], p);
                else if (store_decode(p, ps->res_len[k], &v) < 0 ||
                         value_list_append(out, v, err, sizeof(err)) < 0)
                        flow = actor_fail(a, "MemoryError: the results of a map do not fit");
        }
        ps->busy = false;
        pthread_cond_broadcast(&ps->cv);
        pthread_mutex_unlock(&ps->mu);
        if (flow != FLOW_NEXT)
                value_drop(out);
        return flow;
}

/* Under ps->mu: keeps task K's result (encoded, or an error message). */
static void put_result(pool_state *ps, int k, const char *data, size_t len, bool error)
{
        static const char full[] = "MemoryError: the results of a map take too much memory";

        if (ps->res_used + len > POOL_BYTES) {
                data = full;
                len = sizeof(full) - 1;
                error = true;
                if (ps->res_used + len > POOL_BYTES)
                        ps->res_used = 0; /* the caller fails at the first error anyway */
        }
        memcpy(ps->res + ps->res_used, data, len);
        ps->res_off[k] = ps->res_used;
        ps->res_len[k] = len;
        ps->res_err[k] = error;
        ps->res_used += len;
}

/* Under ps->mu: worker W has a task to take (stepped: its own, in its turn — or, replacing a
 * worker that died, at once). */
static bool task_for(const pool_state *ps, int w)
{
        if (ps->stepped)
                return ps->assigned[w] >= 0 && ps->turn >= w;
        return ps->nredo > 0 || ps->next < ps->limit;
}

/*
 * A worker's GIL ("gil"), under ps->mu: taken before it takes a task, given up at the switch
 * interval and before it waits for the next task, as a process actor's one thread does around its
 * steps; so the same events, named after the map's caller as the worker's TASK and RESULT are.
 * The worker's process has no other thread, so nothing ever contends for it: holding it is
 * what its events say (ps->gil), which the fork server also reads when the worker dies, and no
 * sched_yield follows the switch interval's release (a thread does it for a waiting thread).
 */
static void gil_take(pool_state *ps, actor *c, int gil, int w, int ring)
{
        ps->gil_at[w] = stream_written(c->eng->st, ring);
        ps->gil[w] = GIL_TAKING;
        actor_emit(c, EV_ACQUIRED, gil, -1, 1, 0, NULL, 0);
        ps->gil[w] = GIL_HELD;
}

static void gil_drop(pool_state *ps, actor *c, int gil, int w, int ring)
{
        ps->gil_at[w] = stream_written(c->eng->st, ring);
        ps->gil[w] = GIL_GIVING;
        actor_emit(c, EV_RELEASED, gil, -1, 0, 0, NULL, 0);
        ps->gil[w] = GIL_FREE;
}

void pool_worker(engine *eng, int res, int w)
{
        pool_state *ps = eng->pools->by_res[res];
        int gil = eng->sc->resources[res].gil_res;
        int ring = engine_worker_ring(eng->sc, res, w);
        int held = 0; /* tasks since it took its GIL */
        strbuf enc = { 0 }, text = { 0 };

        if (gil >= 0)
                gil += w;
        prim_mutex_lock(&ps->mu);
        for (;;) {
                const sc_stmt *s;
                actor *c;
                value args, fn, result;
                expr_error e = { .offset = -1 };
                int k, rc;
                char num[VALUE_INT_TEXT];
                size_t len;
                const char *repr;
                bool stepped;

                while (!ps->stop && !task_for(ps, w))
                        prim_cond_wait(&ps->cv, &ps->mu, NULL);
                if (ps->stop)
                        break;
                stepped = ps->stepped;
                if (stepped) {
                        k = ps->assigned[w];
                        ps->assigned[w] = -1;
                } else {
                        /* first the task of a worker that died */
                        k = ps->nredo > 0 ? ps->redo[--ps->nredo] : ps->next++;
                }
                ps->running[w] = k + 1;
                s = ps->stmt;
                c = &eng->actors[ps->caller];
                c->stmt = s;
                if (store_decode(ps->args + ps->arg_off[k], ps->arg_off[k + 1] - ps->arg_off[k],
                                 &args) < 0)
                        xdie("pool: a task could not be read");
                if (gil >= 0 && ps->gil[w] == GIL_FREE) {
                        gil_take(ps, c, gil, w, ring);
                        held = 0;
                }
                /* under the mutex: task 0 is the first TASK of a map, whoever takes task 1 */
                repr = store_repr_text(args, &text, num, &len);
                actor_emit(c, EV_TASK, res, -1, k, w, repr, len);
                if (stepped && ps->turn == w) {
                        ps->turn++;
                        pthread_cond_broadcast(&ps->cv);
                }
                pthread_mutex_unlock(&ps->mu);

                rc = expr_eval(s->fn, &c->env, &fn, &e);
                if (rc == 0) {
                        if (s->kind == SC_STARMAP) {
                                size_t n = value_len(args);
                                value *argv = xcalloc(n + 1, sizeof(value));

                                for (size_t j = 0; j < n; j++)
                                        argv[j] = value_at(args, j);
                                rc = expr_call(fn, argv, n, &c->env, &result, &e);
                                free(argv);
                        } else {
                                rc = expr_call(fn, &args, 1, &c->env, &result, &e);
                        }
                        value_drop(&fn);
                }
                actor_memory_drop(c);
                value_drop(&args);
                strbuf_reset(&enc);
                if (rc == 0 && store_encode(result, &enc, e.msg, sizeof(e.msg)) < 0)
                        rc = -1;
                if (rc != 0) {
                        strbuf_reset(&enc);
                        strbuf_puts(&enc, e.msg);
                }
                /* stepped, the results too are said in worker order */
                if (!stepped && rc == 0) {
                        repr = store_repr_text(result, &text, num, &len);
                        actor_emit(c, EV_RESULT, res, -1, k, w, repr, len);
                }
                prim_mutex_lock(&ps->mu);
                if (stepped) {
                        while (!ps->stop && ps->turn != ps->round + w)
                                prim_cond_wait(&ps->cv, &ps->mu, NULL);
                        if (rc == 0) {
                                repr = store_repr_text(result, &text, num, &len);
                                actor_emit(c, EV_RESULT, res, -1, k, w, repr, len);
                        }
                }
                if (rc == 0)
                        value_drop(&result);
                put_result(ps, k, enc.data ? enc.data : "", enc.len, rc != 0);
                ps->running[w] = 0;
                /* its GIL, at the switch interval, and before it waits for its next task (the
                 * caller goes on only after this: its map's trace ends with every worker's GIL
                 * free) */
                if (ps->gil[w] == GIL_HELD && (++held >= eng->sc->gil_interval || !task_for(ps, w)))
                        gil_drop(ps, c, gil, w, ring);
                ps->done++;
                if (stepped) {
                        ps->turn++;
                        pthread_cond_broadcast(&ps->cv);
                } else if (ps->done == ps->limit) {
                        /* only the caller waits for results, and only for the last one handed
                         * out (the other workers are busy or wait for tasks, which only the
                         * caller hands out): a wake-up per result would be a system call per
                         * task */
                        pthread_cond_broadcast(&ps->cv);
                }
        }
        if (ps->gil[w] == GIL_HELD)
                gil_drop(ps, &eng->actors[ps->caller], gil, w, ring);
        pthread_mutex_unlock(&ps->mu);
        strbuf_free(&enc);
        strbuf_free(&text);
}
