/*
 * actor.c — an actor's life, environment and events, and how actors start; see actor.h.
 *
 * A thread actor is a pthread of the process that starts it; a process actor is forked by the
 * fork server (forksrv.h) with a copy of the starter's memory, and runs the same life there.
 * Worker threads block every signal, so only a process's main thread ever handles one.
 */
#include "engine/actor.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine_int.h"
#include "util/xalloc.h"

/*
 * The order an event of A's takes (stream.h): stepped, one key for every event, as one actor runs
 * at a time (and so for a live run that records its moves); live, its resource's key (a condition's
 * is its lock's: a wait gives the lock up), the output's for what is printed, or none.
 */
static int res_order_key(const actor *a, int res)
{
        const scenario *sc = a->sc;
        const sc_resource *r = &sc->resources[res];

        if (a->total_order)
                return sc->nresources + 1;
        return r->type == SC_CONDITION && r->lock >= 0 ? r->lock : res;
}

static int order_key(const actor *a, event_kind kind, int res)
{
        const scenario *sc = a->sc;

        if (res < 0 && !a->total_order && (kind == EV_PRINT || kind == EV_SAY))
                return sc->nresources;
        return a->res_key[res]; /* res_order_key, worked out once; -1: none */
}

/* A's event EV, published after what ring AFTER had written at MARK (live), or in step mode's
 * one order. */
static void emit_after(actor *a, const event *ev, int after, uint64_t mark)
{
        if (a->total_order)
                stream_publish(a->eng->st, ev, order_key(a, ev->kind, -1));
        else
                stream_publish_after(a->eng->st, ev, after, mark);
}

/* An event of A's built and published through the stream's general way: START and JOINED,
 * which are ordered after another ring's events (live), the main thread's START, PRINT and SAY.
 * FLAGS has the step's. */
static void emit_event(actor *a, unsigned flags, event_kind kind, int res, int other, int64_t num,
                       int aux, const char *text, size_t len)
{
        event ev = { .kind = (uint8_t)kind,
                     .flags = (uint8_t)flags,
                     .actor = (int16_t)a->id,
                     .res = (int16_t)res,
                     .other = (int16_t)other,
                     .stmt = a->stmt ? a->stmt->id : -1,
                     .aux = aux,
                     .num = num,
                     .len = (uint32_t)len,
                     .text = text };

        if (kind == EV_START && a->id != a->sc->nactors) {
                /* after the statement that started it */
                const prim_actor *p = &a->prim->actors[a->id];

                emit_after(a, &ev, p->start_ring, p->start_mark);
        } else if (kind == EV_JOINED) {
                /* after the joined actor's last word */
                emit_after(a, &ev, other, stream_written(a->eng->st, other));
        } else {
                stream_publish(a->eng->st, &ev, order_key(a, kind, res));
        }
}

void actor_emit_any(actor *a, unsigned flags, event_kind kind, int res, int other, int64_t num,
                    int aux, const char *text, size_t len)
{
        /* A caption is said before the step's effect; the step is where the effect is. */
        if (kind != EV_SAY) {
                flags |= a->step_pending ? EVENT_BEGINS_STEP : 0;
                a->step_pending = false;
        }
        emit_event(a, flags, kind, res, other, num, aux, text, len);
}

/* stream_end out of line: see emit_what's TAIL. */
static __attribute__((noinline)) void end_tail(stream_producer *p, stream_head *h, const char *text,
                                               size_t len)
{
        stream_end(p, h, text, len);
}

/* The fields of A's event WHAT into its slot H, and the event is written (TAIL: emit_what). */
static inline __attribute__((always_inline)) void emit_into(actor *a, stream_producer *p,
                                                            stream_head *h, uint64_t what,
                                                            int64_t num, int aux, const char *text,
                                                            size_t len, bool tail)
{
        h->num = num;
        h->stmt = a->stmt ? a->stmt->id : -1;
        h->aux = aux;
        stream_set_what(h, what);
        if (tail)
                end_tail(p, h, text, len);
        else
                stream_end(p, h, text, len);
}

/* actor_emit_what's event when stream_begin leaves it to stream_begin_any (a long text, a full
 * ring, the batch's first event). */
static void __attribute__((noinline))
emit_what_any(actor *a, int key, uint64_t what, int64_t num, int aux, const char *text, size_t len)
{
        stream_producer *p = &stream_mine;

        emit_into(a, p, stream_begin_any(p, key, len), what, num, aux, text, len, false);
}

/*
 * A's event WHAT of order KEY: the common way inline, the rest emit_what_any's. TAIL (a
 * constant where it is inlined): the event's end (stream_end) a tail call rather than inline.
 * Measured both ways, with the same instructions done: an actor's own events (actor_emit_what,
 * inside a `with` on lock_counter) went faster with it a call (wall 0.87–0.89 of inline, 61
 * pairs), a pool worker's (actor_emit_in_ring, pool_map) with it inline (a call: 1.04–1.06).
 */
static inline __attribute__((always_inline)) void emit_what(actor *a, int key, uint64_t what,
                                                            int64_t num, int aux, const char *text,
                                                            size_t len, bool tail)
{
        stream_producer *p = &stream_mine;
        stream_head *h;

        _Static_assert(EVENT_BEGINS_STEP == 1, "the step's flag is step_pending itself");
        what |= a->what_actor | STREAM_WHAT(0, a->step_pending, 0, 0, 0);
        a->step_pending = false;
        h = stream_begin(p, key, len);
        if (h == NULL)
                emit_what_any(a, key, what, num, aux, text, len);
        else
                emit_into(a, p, h, what, num, aux, text, len, tail);
}

/*
 * Nearly every event of a run comes through here: written straight into the slot of the calling
 * thread's ring (stream_begin, stream_end), which is the actor's own, or a pool worker's for the
 * map's caller A (its TASK and RESULT). res_key's keys are the stream's (engine_stream_keys). No
 * call but the last: the rare ways are emit_what_any's.
 */
void actor_emit_what(actor *a, uint64_t what, int64_t num, int aux, const char *text, size_t len)
{
        emit_what(a, a->res_key[STREAM_WHAT_RES(what)], what, num, aux, text, len, true);
}

void actor_emit_in_ring(actor *a, unsigned flags, event_kind kind, int res, int other, int64_t num,
                        int aux, const char *text, size_t len)
{
        /* res_key[-1]: no key live, the one order's in step mode or a recording run */
        emit_what(a, a->res_key[-1], STREAM_WHAT(kind, flags, 0, res, other), num, aux, text, len,
                  false);
}

void actor_request(actor *a, int k, const char *op)
{
        actor_emit(a, EV_REQUEST, k, -1, 0, 0, op, strlen(op));
}

void actor_reply(actor *a, int k, const value *answer, const char *err)
{
        strbuf sb = { 0 };

        /* its own buffer: a reply can come in the middle of an expression using the scratch */
        if (err != NULL)
                strbuf_puts(&sb, err);
        else if (answer != NULL)
                store_repr(*answer, &sb);
        else
                strbuf_puts(&sb, "None");
        actor_emit(a, EV_REPLY, k, -1, 0, err != NULL, strbuf_str(&sb), sb.len);
        strbuf_free(&sb);
}

int actor_fail_at(actor *a, const void *where, const char *fmt, ...)
{
        const scenario *sc = a->sc;
        int line = 0, col = 0;
        va_list ap;

        actor_memory_drop(a);
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
        __atomic_add_fetch(&a->prim->errors, 1, __ATOMIC_RELAXED);
        a->stmt = a->error_stmt;
        actor_emit(a, EV_ERROR, -1, -1, 0, 0, strbuf_str(&a->error), a->error.len);
}

static bool env_is_ctype_array(void *ctx, int32_t ref)
{
        const actor *a = ctx;

        return SC_REF_KIND(ref) == SC_REF_RES &&
               a->sc->resources[SC_REF_INDEX(ref)].type == SC_ARRAY;
}

static int env_load(void *ctx, int32_t ref, const char *name, value *out, expr_error *err)
{
        actor *a = ctx;
        int k = SC_REF_INDEX(ref);

        switch (SC_REF_KIND(ref)) {
        case SC_REF_LOCAL:
                if (!a->assigned[k]) {
                        if (a->in_pool_worker)
                                snprintf(err->msg, sizeof(err->msg),
                                         "NameError: '%s' is a local of the map's caller, "
                                         "and a pool's worker runs the function without them "
                                         "(a closure cannot be pickled)",
                                         name);
                        else
                                snprintf(err->msg, sizeof(err->msg),
                                         "UnboundLocalError: local '%s' has no value yet", name);
                        return -1;
                }
                *out = value_ref(a->locals[k]);
                return 0;
        case SC_REF_CONST: *out = value_ref(a->sc->constants[k].v); return 0;
        case SC_REF_RES:
                actor_memory_take(a);
                if (!a->managed[k]) {
                        *out = store_get(a->store, k);
                        return 0;
                }
                actor_request(a, k, "get");
                *out = store_get(a->store, k);
                actor_reply(a, k, out, NULL);
                return 0;
        case SC_REF_NAME: *out = value_cstr(a->name); return 0;
        case SC_REF_I: *out = value_int(a->i); return 0;
        }
        snprintf(err->msg, sizeof(err->msg), "NameError: name '%s' is not defined", name);
        return -1;
}

const actor_lvalue *actor_lvalue_find(actor *a, const sc_stmt *s)
{
        actor_lvalue *lv = &a->lvalues[s->id];

        expr_lvalue(s->lvalue, &lv->name, &lv->ref, &lv->index);
        if (lv->index == NULL && SC_REF_KIND(lv->ref) == SC_REF_RES) {
                int k = SC_REF_INDEX(lv->ref);
                sc_res_type t = a->sc->resources[k].type;

                if (t != SC_ARRAY) {
                        lv->slot = a->res_slots[k];
                        lv->typed = t == SC_VALUE;
                }
        }
        return lv;
}

/* expr_env's hold: a resource's data in place is read under the memory lock, as env_load's. */
static void env_hold(void *ctx)
{
        actor_memory_lock(ctx);
}

int actor_eval_general(actor *a, const expr *e, value *out)
{
        expr_error err;

        /* not the whole message buffer: this runs for most expressions of a step */
        err.offset = -1;
        err.msg[0] = '\0';
        if (expr_eval(e, &a->env, out, &err) < 0) {
                actor_fail_at(a, e, "%s", err.msg);
                return -1;
        }
        return 0;
}

void actor_init(engine *eng, actor *a, int id)
{
        const scenario *sc = eng->sc;
        int script = id < sc->nactors ? sc->actors[id].script : sc->main_script;
        const sc_script *s = &sc->scripts[script];

        memset(a, 0, sizeof(*a));
        a->eng = eng;
        a->sc = sc;
        a->prim = eng->prim;
        a->store = eng->store;
        a->process = (uint32_t)getpid(); /* the runner's; a forked process sets its own */
        a->gates = eng->opt.gates;
        a->pacer = eng->opt.gates == NULL ? eng->opt.pacer : NULL;
        a->total_order = eng->opt.gates != NULL || eng->opt.total_order;
        a->id = id;
        a->name = scenario_actor_name(sc, id);
        a->i = id < sc->nactors ? sc->actors[id].i : 0;
        a->copy = eng->copy;
        a->gil = eng->copy < 0 ? sc->gil_res : -1;
        a->gated = a->gates != NULL || a->gil >= 0;
        a->script = s;
        a->res_key = (int *)xcalloc((size_t)sc->nresources + 1, sizeof(int)) + 1;
        a->res_key[-1] = a->total_order ? sc->nresources + 1 : STREAM_NO_KEY;
        for (int k = 0; k < sc->nresources; k++)
                a->res_key[k] = res_order_key(a, k);
        /* the keys actor_emit_what gives stream_begin, which does not check them: checked once */
        for (int k = -1; k < sc->nresources; k++)
                if (a->res_key[k] < STREAM_NO_KEY || a->res_key[k] >= engine_stream_keys(sc))
                        xdie("event stream: no order key %d (resource %d)", a->res_key[k], k);
        a->what_actor = STREAM_WHAT(0, 0, id, 0, 0);
        a->locals = xcalloc((size_t)s->nlocals + 1, sizeof(value));
        a->assigned = xcalloc((size_t)s->nlocals + 1, sizeof(bool));
        /* the constants, and the resources whose value is in place (a var of a thread, a
         * process's own copy, a Value's number in shared memory: store_slot), are read by the
         * evaluator there (expr_env): not through env_load. Another shared resource's slot, or a
         * managed one's, is NULL: env_load, which decodes it or asks the server. */
        a->consts = xcalloc((size_t)sc->nconstants + 1, sizeof(value));
        for (int k = 0; k < sc->nconstants; k++)
                a->consts[k] = value_ref(sc->constants[k].v);
        a->res_slots = xcalloc((size_t)sc->nresources + 1, sizeof(value *));
        a->lvalues = xcalloc((size_t)sc->nstmts + 1, sizeof(actor_lvalue));
        a->shared = xcalloc((size_t)sc->nresources + 1, sizeof(bool));
        a->managed = xcalloc((size_t)sc->nresources + 1, sizeof(bool));
        for (int k = 0; k < sc->nresources; k++) {
                a->shared[k] = store_shared(a->store, k);
                a->managed[k] = store_managed(a->store, k);
        }
        for (int k = 0; k < sc->nresources; k++)
                a->res_slots[k] = store_slot(a->store, k);
        /* Each actor's random() is its own seeded sequence. */
        a->rng = eng->opt.seed * 0x9e3779b97f4a7c15ull + (uint64_t)id * 0xbf58476d1ce4e5b9ull + 1;
        expr_random_next(&a->rng);
        /* the locals, constants and heap data are read straight from their arrays, the other
         * names (shared or managed data, name, i) through env_load */
        a->env = (expr_env){ .ctx = a,
                             .load = env_load,
                             .slots = a->locals,
                             .slot_set = a->assigned,
                             .slot_first = SC_REF(SC_REF_LOCAL, 0),
                             .nslots = s->nlocals,
                             .consts = a->consts,
                             .const_first = SC_REF(SC_REF_CONST, 0),
                             .nconsts = sc->nconstants,
                             .res_slots = a->res_slots,
                             .res_first = SC_REF(SC_REF_RES, 0),
                             .nres = sc->nresources,
                             .held = &a->holds_memory,
                             .hold = env_hold,
                             .rng = &a->rng,
                             .cpu_count = eng->opt.cpu_count,
                             .is_ctype_array = env_is_ctype_array };
}

void actor_free(actor *a)
{
        for (int k = 0; k < a->script->nlocals; k++)
                value_drop(&a->locals[k]);
        for (int k = 0; k < a->sc->nconstants; k++)
                value_drop(&a->consts[k]);
        free(a->locals);
        free(a->assigned);
        free(a->consts);
        free(a->res_slots);
        free(a->lvalues);
        free(a->shared);
        free(a->managed);
        free(a->res_key - 1);
        strbuf_free(&a->scratch);
        strbuf_free(&a->enc);
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
        prim_actor *p = &a->prim->actors[a->id];

        a->stmt = NULL;
        prim_mutex_lock(&p->mu);
        p->said = true;
        actor_emit(a, EV_EXIT, -1, -1, 0, error, NULL, 0);
        /* a joiner's JOINED comes after all of it */
        stream_flush();
        p->done = true;
        prim_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        /* a scheduler in the runner grants the next step now: this actor has no gate left */
        if (a->gates != NULL && a->eng->opt.step_back != NULL)
                a->eng->opt.step_back(a->eng->opt.step_ctx, a->id);
}

void actor_finish(actor *a, int flow)
{
        actor_memory_drop(a);
        interp_gil_drop(a);
        publish_error(a);
        exit_actor(a, flow == FLOW_STOP);
}

/*
 * A process actor's end as Python's: its error first (the traceback), then it joins the child
 * processes its process started (multiprocessing's exit function), then its threads
 * (threading._shutdown); only then does the process end, and join() of it return. Each wait is
 * an ordinary join, visible as one; an actor already done is passed over without an event.
 */
static void join_at_end(actor *a)
{
        engine *eng = a->eng;

        actor_memory_drop(a);
        publish_error(a);
        strbuf_reset(&a->error);
        a->stmt = NULL;
        for (int processes = 1; processes >= 0; processes--)
                for (int k = 0; k < a->sc->nactors; k++) {
                        prim_actor *p = &a->prim->actors[k];
                        bool done;

                        if (!eng->actors[k].started_here ||
                            (a->sc->actors[k].kind == SC_PROCESS) != processes)
                                continue;
                        prim_mutex_lock(&p->mu);
                        done = p->done;
                        pthread_mutex_unlock(&p->mu);
                        if (!done)
                                interp_join(a, k, NULL);
                }
}

void actor_run(actor *a)
{
        int flow;

        a->stmt = NULL;
        /* a process's pid, which differs from run to run: live only, so that a stepped run's
         * trace is the same for the same seed */
        actor_emit(a, EV_START, -1, -1, 0, a->copy == a->id && a->gates == NULL ? (int)getpid() : 0,
                   NULL, 0);
        flow = interp_block(a, &a->script->body);
        if (a->copy == a->id)
                join_at_end(a);
        actor_finish(a, flow);
}

/* ---- starting an actor: a table of ways --------------------------------------------------------
 */

static void *thread_main(void *arg)
{
        actor *a = arg;

        stream_attach(a->eng->st, a->id);
        actor_run(a);
        return NULL;
}

static int start_thread(actor *a, actor *t)
{
        sigset_t all, old;

        (void)a;
        __atomic_store_n(&t->prim->actors[t->id].pid, getpid(), __ATOMIC_RELAXED);
        t->local_thread = true;
        /* Worker threads block every signal: only a process's main thread handles them. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        if (pthread_create(&t->thread, NULL, thread_main, t) != 0)
                xdie("pthread_create failed");
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return 0;
}

/* The new process gets the starter's memory as it is now (fork() semantics): -1 with ERR when
 * that is too much to send (STORE_MAX_ENCODED). */
static int start_process(actor *a, actor *t)
{
        strbuf snap = { 0 };
        char err[200];
        int rc;

        actor_memory_take(a);
        rc = store_snapshot(a->store, &snap, err, sizeof(err));
        actor_memory_drop(a);
        if (rc == 0)
                forksrv_request(&a->eng->fs, t->id, snap.data, snap.len);
        strbuf_free(&snap);
        if (rc < 0) {
                actor_fail(a, "%s", err);
                return -1;
        }
        return 0;
}

/* How to start an actor of a kind: 0, or -1 after raising an error in A (nothing started). */
typedef struct start_op {
        int (*start)(actor *a, actor *t);
} start_op;

static const start_op start_ops[] = {
        [SC_THREAD] = { .start = start_thread },
        [SC_PROCESS] = { .start = start_process },
};

int actor_start(actor *a, int target)
{
        engine *eng = a->eng;
        prim_actor *p = &a->prim->actors[target];
        actor *t = &eng->actors[target];
        bool again;

        prim_mutex_lock(&p->mu);
        again = p->started;
        p->started = true;
        if (!again) {
                p->start_ring = a->id;
                p->start_mark = stream_written(eng->st, a->id);
        }
        pthread_mutex_unlock(&p->mu);
        if (again) {
                if (a->sc->actors[target].kind == SC_PROCESS)
                        actor_fail(a, "AssertionError: cannot start a process twice");
                else
                        actor_fail(a, "RuntimeError: threads can only be started once ('%s')",
                                   t->name);
                return -1;
        }
        if (start_ops[a->sc->actors[target].kind].start(a, t) < 0) {
                /* not started after all: whoever joins it is told so, not left waiting */
                prim_mutex_lock(&p->mu);
                p->started = false;
                pthread_mutex_unlock(&p->mu);
                return -1;
        }
        t->started_here = true;
        if (a->gates != NULL) {
                /* Step mode: the new actor's first READY comes before anything more of ours, so
                 * the scheduler always knows every actor that can move. */
                prim_mutex_lock(&p->mu);
                while (!p->arrived && !p->done)
                        prim_cond_wait(&p->cv, &p->mu, NULL);
                pthread_mutex_unlock(&p->mu);
        }
        return 0;
}

/* ---- process actors -------------------------------------------------------------------------- */

void actor_in_process(engine *eng, int target, const char *data, size_t len)
{
        eng->copy = target;
        store_restore(eng->store, data, len);
        /* every actor this process runs (it, and threads it starts) sees its copy, and its
         * interpreter lock is its own: the process's GIL, not the runner's */
        for (int k = 0; k < eng->nall; k++) {
                eng->actors[k].copy = target;
                eng->actors[k].gil = eng->sc->actors[target].gil_res;
        }
        __atomic_store_n(&eng->prim->actors[target].pid, getpid(), __ATOMIC_RELAXED);
        stream_attach(eng->st, target);
        actor_run(&eng->actors[target]);
        /* Like Python at a process's exit, wait for its threads. */
        for (int k = 0; k < eng->nall; k++)
                if (eng->actors[k].local_thread)
                        pthread_join(eng->actors[k].thread, NULL);
}

void actor_death_words(strbuf *sb, int sig, int code)
{
        /* the faults a `crash` makes read as a shell says them; other signals "killed by SIGKILL
         * (signal 9)", as strsignal's words would read "killed by Killed" */
        if (sig == SIGSEGV)
                strbuf_puts(sb, "segmentation fault (SIGSEGV)");
        else if (sig == SIGABRT)
                strbuf_puts(sb, "abort (SIGABRT)");
        else if (sig != 0 && sigabbrev_np(sig) != NULL)
                strbuf_printf(sb, "killed by SIG%s (signal %d)", sigabbrev_np(sig), sig);
        else if (sig != 0)
                strbuf_printf(sb, "killed by signal %d", sig);
        else
                strbuf_printf(sb, "exit(%d)", code);
}

/* The reaper publishes dead actor A's CRASH in A's own ring, after A's last events. */
/* OTHER: the process actor whose death took A down, -1 when A died itself. */
static void reaped_crash(actor *a, int code, int sig, int other, const strbuf *why)
{
        event ev = { .kind = EV_CRASH,
                     .actor = (int16_t)a->id,
                     .res = -1,
                     .other = (int16_t)other,
                     .stmt = a->stmt ? a->stmt->id : -1,
                     .aux = sig,
                     .num = code,
                     .len = (uint32_t)why->len,
                     .text = strbuf_str(why) };

        stream_publish_for(a->eng->st, a->id, &ev,
                           a->total_order ? order_key(a, EV_CRASH, -1) : STREAM_NO_KEY);
}

void actor_reaped(engine *eng, int target, pid_t pid, int status)
{
        strbuf why = { 0 };

        for (int k = 0; k < eng->nall; k++) {
                prim_actor *p = &eng->prim->actors[k];
                pid_t owner = __atomic_load_n(&p->pid, __ATOMIC_RELAXED);

                if (owner != pid && !(k == target && owner == 0))
                        continue;
                /* its ring ends where it died, and must not hold up the others */
                stream_ring_dead(eng->st, k);
                prim_mutex_lock(&p->mu);
                if (!p->done && !p->said) {
                        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
                        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;

                        strbuf_reset(&why);
                        if (k != target)
                                strbuf_printf(&why,
                                              "its process %s died: ", eng->actors[target].name);
                        actor_death_words(&why, sig, code);
                        __atomic_add_fetch(&eng->prim->errors, 1, __ATOMIC_RELAXED);
                        p->said = true;
                        reaped_crash(&eng->actors[k], code, sig, k != target ? target : -1, &why);
                }
                if (!p->done) {
                        p->done = true;
                        prim_cond_broadcast(&p->cv);
                }
                pthread_mutex_unlock(&p->mu);
        }
        strbuf_free(&why);
}

/* Publishes actor K's CRASH from A's thread, after K's last events (K is at its gate), without
 * touching K's actor (its thread may still be running). OTHER: as reaped_crash's. */
static void crash_of(actor *a, int k, int sig, int other, const strbuf *text)
{
        event ev = { .kind = EV_CRASH,
                     .actor = (int16_t)k,
                     .res = -1,
                     .other = (int16_t)other,
                     .stmt = -1,
                     .aux = sig,
                     .len = (uint32_t)text->len,
                     .text = strbuf_str(text) };

        emit_after(a, &ev, k, stream_written(a->eng->st, k));
}

void actor_crash_others(actor *a, int sig, const char *why)
{
        pid_t me = getpid();
        strbuf text = { 0 };

        for (int k = 0; k < a->prim->nactors; k++) {
                prim_actor *p = &a->prim->actors[k];

                if (__atomic_load_n(&p->pid, __ATOMIC_RELAXED) != me)
                        continue;
                prim_mutex_lock(&p->mu);
                if (!p->started || p->done) {
                        pthread_mutex_unlock(&p->mu);
                        continue;
                }
                if (k != a->id && !p->said) {
                        strbuf_reset(&text);
                        if (k != a->copy)
                                strbuf_printf(&text, "its process %s died: ",
                                              scenario_actor_name(a->sc, a->copy));
                        strbuf_puts(&text, why);
                        p->said = true;
                        __atomic_add_fetch(&a->prim->errors, 1, __ATOMIC_RELAXED);
                        crash_of(a, k, sig, k != a->copy ? a->copy : -1, &text);
                }
                /* done now: a joiner granted next must not depend on how soon the process is
                 * reaped */
                p->done = true;
                prim_cond_broadcast(&p->cv);
                pthread_mutex_unlock(&p->mu);
        }
        strbuf_free(&text);
}
