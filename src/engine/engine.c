/*
 * engine.c — a run in the runner process: actors, names, events; see engine.h.
 *
 * engine_run builds the real primitives, starts every "auto" actor as a pthread, runs main's
 * script on the calling thread (or, when the scenario has no main, joins everyone), waits for
 * every started actor as Python waits for its non-daemon threads, and publishes END. Worker
 * threads block every signal, so only the runner's main thread ever handles one.
 */
#include "engine/engine.h"

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine_int.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define REPR_MAX 512 /* bytes of a value shown in an event; longer reprs end in "..." */

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

const char *engine_unsupported(const scenario *sc)
{
        for (int k = 0; k < sc->nactors; k++)
                if (sc->actors[k].kind == SC_PROCESS)
                        return "process actors";
        for (int k = 0; k < sc->nresources; k++) {
                const sc_resource *r = &sc->resources[k];

                if (r->type == SC_PIPE)
                        return "pipes";
                if (r->type == SC_POOL)
                        return "process pools";
                if (r->via_manager)
                        return "manager lists and dicts";
        }
        return NULL;
}

void engine_emit(actor *a, event_kind kind, int res, int other, int64_t num, int aux,
                 const char *text, size_t len)
{
        event ev = {
                .kind = (uint8_t)kind,
                /* A caption is said before the step's effect; the step is where the effect is. */
                .flags = a->step_pending && kind != EV_SAY ? EVENT_BEGINS_STEP : 0,
                .actor = (int16_t)a->id,
                .res = (int16_t)res,
                .other = (int16_t)other,
                .stmt = a->stmt ? a->stmt->id : -1,
                .aux = aux,
                .num = num,
                .len = (uint32_t)len,
                .text = text ? text : "",
        };

        if (kind != EV_SAY)
                a->step_pending = false;
        stream_publish(a->eng->st, &ev);
}

int engine_fail_at(actor *a, const void *where, const char *fmt, ...)
{
        const scenario *sc = a->eng->sc;
        int line = 0, col = 0;
        va_list ap;

        engine_memory_drop(a);
        if (!scenario_where(sc, where, &line, &col) && a->stmt != NULL) {
                line = a->stmt->line;
                col = a->stmt->col;
        }
        /* An error raised while unwinding from another replaces it, as in Python (where the
         * first becomes the second's __context__). */
        strbuf_reset(&a->error);
        if (line > 0)
                strbuf_printf(&a->error, "%s:%d:%d: ", sc->path, line, col);
        else
                strbuf_printf(&a->error, "%s: ", sc->path);
        va_start(ap, fmt);
        strbuf_vprintf(&a->error, fmt, ap);
        va_end(ap);
        a->error_stmt = a->stmt;
        return FLOW_STOP;
}

/* The actor has unwound: its raised error, if any, goes out (before its EXIT). */
static void publish_error(actor *a)
{
        if (a->error.len == 0)
                return;
        __atomic_add_fetch(&a->eng->errors, 1, __ATOMIC_RELAXED);
        a->stmt = a->error_stmt;
        engine_emit(a, EV_ERROR, -1, -1, 0, 0, strbuf_str(&a->error), a->error.len);
}

void engine_memory_take(actor *a)
{
        if (!a->holds_memory) {
                prim_mutex_lock(&a->eng->prim->memory);
                a->holds_memory = true;
        }
}

void engine_memory_drop(actor *a)
{
        if (a->holds_memory) {
                pthread_mutex_unlock(&a->eng->prim->memory);
                a->holds_memory = false;
        }
}

void engine_repr(value v, strbuf *out)
{
        size_t start = out->len;

        value_repr(v, out);
        if (out->len - start > REPR_MAX) {
                /* do not cut a UTF-8 character in half */
                out->len = start + utf8_cut(out->data + start, REPR_MAX - 3);
                out->data[out->len] = '\0';
                strbuf_puts(out, "...");
        }
}

void engine_set_local(actor *a, int slot, value v)
{
        value_drop(&a->locals[slot]);
        a->locals[slot] = v;
        a->assigned[slot] = true;
}

static int env_load(void *ctx, int32_t ref, const char *name, value *out, expr_error *err)
{
        actor *a = ctx;
        int k = SC_REF_INDEX(ref);

        switch (SC_REF_KIND(ref)) {
        case SC_REF_LOCAL:
                if (!a->assigned[k]) {
                        snprintf(err->msg, sizeof(err->msg),
                                 "UnboundLocalError: local '%s' has no value yet", name);
                        return -1;
                }
                *out = value_ref(a->locals[k]);
                return 0;
        case SC_REF_CONST: *out = value_ref(a->eng->sc->constants[k].v); return 0;
        case SC_REF_RES:
                engine_memory_take(a);
                *out = value_ref(a->eng->mem[k]);
                return 0;
        case SC_REF_NAME: *out = value_cstr(a->name); return 0;
        case SC_REF_I: *out = value_int(a->i); return 0;
        }
        snprintf(err->msg, sizeof(err->msg), "NameError: name '%s' is not defined", name);
        return -1;
}

int engine_eval(actor *a, const expr *e, value *out)
{
        expr_error err = { .offset = -1 };

        if (expr_eval(e, &a->env, out, &err) < 0) {
                engine_fail_at(a, e, "%s", err.msg);
                return -1;
        }
        return 0;
}

static void actor_init(engine *eng, actor *a, int id)
{
        const scenario *sc = eng->sc;
        int script = id < sc->nactors ? sc->actors[id].script : sc->main_script;
        const sc_script *s = &sc->scripts[script];

        memset(a, 0, sizeof(*a));
        a->eng = eng;
        a->id = id;
        a->name = scenario_actor_name(sc, id);
        a->i = id < sc->nactors ? sc->actors[id].i : 0;
        a->script = s;
        a->locals = xcalloc((size_t)s->nlocals + 1, sizeof(value));
        a->assigned = xcalloc((size_t)s->nlocals + 1, sizeof(bool));
        /* Each actor's random() is its own seeded sequence. */
        a->rng = eng->opt.seed * 0x9e3779b97f4a7c15ull + (uint64_t)id * 0xbf58476d1ce4e5b9ull + 1;
        expr_random_next(&a->rng);
        a->env = (expr_env){
                .ctx = a, .load = env_load, .rng = &a->rng, .cpu_count = eng->opt.cpu_count
        };
}

static void actor_free(actor *a)
{
        for (int k = 0; k < a->script->nlocals; k++)
                value_drop(&a->locals[k]);
        free(a->locals);
        free(a->assigned);
        strbuf_free(&a->scratch);
        strbuf_free(&a->error);
}

/*
 * The actor's last word, EXIT (after an error too: the model keeps it crashed, and the step-mode
 * scheduler learns that it will not come back to a gate), published under the mutex that joiners
 * read `done` under: a joiner that finds it not done comes before EXIT in the run, one that finds
 * it done comes after, so a joiner granted after EXIT never has to wait again.
 */
static void exit_actor(actor *a, bool error)
{
        prim_actor *p = &a->eng->prim->actors[a->id];

        a->stmt = NULL;
        prim_mutex_lock(&p->mu);
        engine_emit(a, EV_EXIT, -1, -1, 0, error, NULL, 0);
        p->done = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
}

/* An actor's whole life: its script between START and EXIT (or an error). */
static void actor_run(actor *a)
{
        int flow;

        a->stmt = NULL;
        engine_emit(a, EV_START, -1, -1, 0, 0, NULL, 0);
        flow = interp_block(a, &a->script->body);
        engine_memory_drop(a);
        interp_gil_drop(a);
        publish_error(a);
        exit_actor(a, flow == FLOW_STOP);
}

static void *actor_thread(void *arg)
{
        actor_run(arg);
        return NULL;
}

int engine_start_actor(actor *a, int target)
{
        engine *eng = a->eng;
        prim_actor *p = &eng->prim->actors[target];
        actor *t = &eng->actors[target];
        bool again;
        sigset_t all, old;

        prim_mutex_lock(&p->mu);
        again = p->started;
        p->started = true;
        pthread_mutex_unlock(&p->mu);
        if (again) {
                engine_fail(a, "RuntimeError: %s can only be started once", t->name);
                return -1;
        }
        /* Worker threads block every signal: only the runner's main thread handles them. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        if (pthread_create(&t->thread, NULL, actor_thread, t) != 0)
                xdie("pthread_create failed");
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (eng->opt.gates != NULL) {
                /* Step mode: the new actor's first READY comes before anything more of ours, so
                 * the scheduler always knows every actor that can move. */
                prim_mutex_lock(&p->mu);
                while (!p->arrived && !p->done)
                        prim_cond_wait(&p->cv, &p->mu, NULL);
                pthread_mutex_unlock(&p->mu);
        }
        return 0;
}

int engine_run(const scenario *sc, const engine_options *opt, stream *st)
{
        engine eng = { .sc = sc, .st = st, .opt = *opt };
        actor *main_actor;
        int status;

        engine_limit();
        eng.nall = sc->nactors + 1;
        eng.prim = prim_create(sc, eng.nall, opt->fifo);
        if (eng.prim == NULL)
                xdie("cannot map shared memory for the primitives");
        eng.mem = xcalloc((size_t)sc->nresources + 1, sizeof(value));
        eng.queues = xcalloc((size_t)sc->nresources + 1, sizeof(queue_items));
        for (int k = 0; k < sc->nresources; k++)
                eng.mem[k] = value_copy(sc->resources[k].init);
        eng.actors = xcalloc((size_t)eng.nall, sizeof(actor));
        for (int k = 0; k < eng.nall; k++)
                actor_init(&eng, &eng.actors[k], k);
        main_actor = &eng.actors[sc->nactors];
        eng.prim->actors[sc->nactors].started = true;

        main_actor->stmt = NULL;
        engine_emit(main_actor, EV_START, -1, -1, 0, 0, NULL, 0);
        for (int k = 0; k < sc->nactors; k++)
                if (!sc->actors[k].manual)
                        engine_start_actor(main_actor, k);
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
                engine_memory_drop(main_actor);
                interp_gil_drop(main_actor);
                publish_error(main_actor);
                exit_actor(main_actor, flow == FLOW_STOP);
        }
        /* Like Python at exit, wait for every thread that was started. */
        for (int k = 0; k < sc->nactors; k++)
                if (eng.prim->actors[k].started)
                        pthread_join(eng.actors[k].thread, NULL);
        status = eng.errors > 0           ? OUTCOME_CRASH
                 : eng.asserts_failed > 0 ? OUTCOME_ASSERT
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

                stream_publish(st, &ev);
        }
        for (int k = 0; k < eng.nall; k++)
                actor_free(&eng.actors[k]);
        free(eng.actors);
        for (int k = 0; k < sc->nresources; k++) {
                value_drop(&eng.mem[k]);
                for (size_t j = 0; j < eng.queues[k].n; j++)
                        value_drop(
                            &eng.queues[k].items[(eng.queues[k].head + j) % eng.queues[k].cap]);
                free(eng.queues[k].items);
        }
        free(eng.mem);
        free(eng.queues);
        prim_destroy(eng.prim);
        return status;
}
