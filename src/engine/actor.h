/*
 * actor.h — an actor's life in the runner or in a process actor: its state, its environment for
 * expressions, its events, and starting another actor as a thread or as a process.
 *
 * Not a public header: only src/engine/ includes it. interp.c executes statements on an actor;
 * this module is everything around them: START, the script, the error raised, EXIT; the locals
 * and the names an expression reads (a resource through the store); and the table of ways to
 * start an actor (a pthread of this process, or a process forked by the fork server).
 */
#ifndef LOCKSTEP_ENGINE_ACTOR_H
#define LOCKSTEP_ENGINE_ACTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "engine/prim.h"
#include "engine/store.h"
#include "event/event.h"
#include "scenario/expr.h"
#include "util/strbuf.h"

typedef struct engine engine;

typedef struct actor {
        engine *eng;
        const scenario *sc;
        prim_region *prim;
        store *store;
        gates *gates;      /* step mode; NULL live */
        gate_pacer *pacer; /* live mode's pause and speed, if any; NULL in step mode */
        bool total_order;  /* step mode or engine_options.total_order: one key for every event */
        int id;            /* actor number: 0..nactors-1, main = nactors */
        const char *name;
        int i;
        /* Whose copy of memory the actor sees, for CHANGED: -1 the runner's (main process),
         * else the process actor whose process it runs in. */
        int copy;
        int gil;    /* the simulated GIL it takes (the runner's actors only), or -1 */
        bool gated; /* a step begins at a gate (step mode) or with the GIL (gil >= 0) */
        /* By resource: the order key of its events (stream.h); res_key[-1], an event's about no
         * resource (but PRINT and SAY, which share the output's). */
        int *res_key;
        uint64_t what_actor; /* STREAM_WHAT of its number */
        const sc_script *script;
        value *locals;
        bool *assigned;
        value *consts;                /* the scenario's constants, for env's table */
        value **res_slots;            /* by resource: its value in place (store_slot), or NULL */
        struct actor_lvalue *lvalues; /* by statement: a store's target, worked out once */
        /* by resource: store_shared's and store_managed's answers, which never change */
        bool *shared, *managed;
        uint64_t rng;
        expr_env env;
        pthread_t thread;
        bool local_thread; /* a thread this process started (and joins at its end) */
        /* This process started it (any of its threads did): a process actor waits for it at its
         * end, and only this process may join it if it is a process (its parent, in Python). */
        bool started_here;
        bool holds_memory;   /* took the memory lock in this statement ... */
        bool memory_elided;  /* ... or runs as if it had, guarded (actor_memory_elide) */
        uint32_t process;    /* getpid() of the process it runs in: the memory lock's holder */
        const sc_stmt *stmt; /* the statement running */
        bool step_pending;   /* its first event is still to come (it carries EVENT_BEGINS_STEP) */
        bool holds_gil;      /* "gil": holds the simulated interpreter lock */
        int gil_steps;       /* steps taken since it took the GIL */
        strbuf scratch;      /* reused for texts */
        strbuf enc;          /* reused for a queue item's or a pipe message's frame */
        /* A run-time error raised and not yet published: it goes out once the actor has unwound
         * (its with blocks released), so that nothing the actor does comes after its ERROR. */
        strbuf error;
        const sc_stmt *error_stmt;
        /* This copy runs a map's function in a pool's worker: the caller's locals are not here
         * (they stay in the caller's process), which an error about one says. */
        bool in_pool_worker;
} actor;

/* How a statement or block ended. */
enum { FLOW_NEXT, FLOW_BREAK, FLOW_STOP };

void actor_init(engine *eng, actor *a, int id);
void actor_free(actor *a);
/* The actor's whole life: START, its script, its error if any, EXIT. A process actor then waits,
 * before its EXIT, for the processes and threads its process started, as Python's does. */
void actor_run(actor *a);
/* The end of a life whose script ended with FLOW: the error, if any, then EXIT. */
void actor_finish(actor *a, int flow);
/* Starts actor TARGET, as a thread or a process by its kind. 0, or -1 after raising an error. */
int actor_start(actor *a, int target);
/* In a process the fork server made for process actor TARGET: restore the starter's memory
 * (DATA), run the actor, wait for the threads it started. */
void actor_in_process(engine *eng, int target, const char *data, size_t len);
/* In the fork server: process actor TARGET (PID) ended with wait status STATUS. Every actor of
 * that process that did not say its last word gets a CRASH with the cause, and is done (its
 * joiners go on). */
void actor_reaped(engine *eng, int target, pid_t pid, int status);
/* Appends why a process or an actor died: "segmentation fault (SIGSEGV)", "abort (SIGABRT)",
 * "killed by SIGKILL (signal 9)", "exit(3)" (SIG 0: exit status CODE). One set of words for a
 * `crash` statement and for a death the fork server reaps, so that a live run and a stepped one
 * say the same. */
void actor_death_words(strbuf *sb, int sig, int code);
/* Step mode, A's crash (signal SIG, WHY) is about to end its process actor's process: every other
 * actor of the process (each at its gate, so none can publish after this) dies with it and says
 * so now, before A's own CRASH ends A's step, rather than later from the fork server, which would
 * make the trace depend on timing. All of them, A too, are done at once (their joiners go on). */
void actor_crash_others(actor *a, int sig, const char *why);

/*
 * Publishes A's event WHAT (STREAM_WHAT's kind, flags, res and other; A's number and the step's
 * flag are added here) with NUM, AUX and TEXT (LEN bytes; NULL only when LEN is 0). Every kind but
 * START, JOINED, PRINT and SAY, which are not ordered by their resource: actor_emit_any.
 */
void actor_emit_what(actor *a, uint64_t what, int64_t num, int aux, const char *text, size_t len);
/* Publishes A's event of any kind, with event flags FLAGS besides the step's own. */
void actor_emit_any(actor *a, unsigned flags, event_kind kind, int res, int other, int64_t num,
                    int aux, const char *text, size_t len);

/* Publishes A's event with event flags FLAGS (EVENT_GOES_ON; STREAM_TEXT_INT for an int's bytes as
 * its text, store_event_text) besides the step's own. Inline: the
 * kind is a constant where nearly every event is published, so the way is chosen as it is
 * compiled, and the fields packed there (STREAM_WHAT) are one argument. */
static inline void actor_emit_flagged(actor *a, unsigned flags, event_kind kind, int res, int other,
                                      int64_t num, int aux, const char *text, size_t len)
{
        if (kind == EV_START || kind == EV_JOINED || kind == EV_PRINT || kind == EV_SAY)
                actor_emit_any(a, flags, kind, res, other, num, aux, text, len);
        else
                actor_emit_what(a, STREAM_WHAT(kind, flags, 0, res, other), num, aux, text, len);
}

/* The same with no flags of its own: inline, as a step publishes a few of them. */
static inline void actor_emit(actor *a, event_kind kind, int res, int other, int64_t num, int aux,
                              const char *text, size_t len)
{
        actor_emit_flagged(a, 0, kind, res, other, num, aux, text, len);
}
/*
 * The STEP of a statement that published nothing else (the interpreter's end of a step). Where no
 * key orders it (a live run that does not record) it is held back to ride in the slot of the
 * thread's next event (stream_hold_step): a cache line an event less for the statements that
 * publish only their step. Else, and with a step held already, published as any event (which
 * carries the one held).
 */
static inline void actor_emit_step(actor *a)
{
        stream_producer *p = &stream_mine;

        if (a->res_key[-1] == STREAM_NO_KEY && !p->step_held && p->s != NULL) {
                stream_hold_step(p, a->stmt ? a->stmt->id : -1,
                                 (uint8_t)(a->step_pending ? EVENT_BEGINS_STEP : 0),
                                 (int16_t)a->id);
                a->step_pending = false;
                return;
        }
        actor_emit(a, EV_STEP, -1, -1, 0, 0, NULL, 0);
}

/*
 * An event of A on resource RES, in two halves around an atomic operation that must come after
 * its place in the order and before it is written (a release: RELEASED's version taken while the
 * lock is held, the lock freed, the event written): actor_emit_begin takes its place (as
 * actor_emit, of RES's key), actor_emit_done writes it as KIND (no other, no text; NUM and AUX as
 * actor_emit's), actor_emit_undo gives its place up: it never happened. Inline: a `with` of a
 * lock releases it every iteration.
 */
static inline stream_head *actor_emit_begin(actor *a, int res)
{
        stream_producer *p = &stream_mine;
        stream_head *h = stream_begin(p, a->res_key[res], 0);

        return h != NULL ? h : stream_begin_any(p, a->res_key[res], 0);
}

static inline void actor_emit_done(actor *a, stream_head *h, event_kind kind, int res, int64_t num,
                                   int aux)
{
        h->num = num;
        h->stmt = a->stmt ? a->stmt->id : -1;
        h->aux = aux;
        stream_set_what(h, STREAM_WHAT(kind, a->step_pending, 0, res, -1) | a->what_actor);
        a->step_pending = false;
        stream_end(&stream_mine, h, NULL, 0);
}

static inline void actor_emit_undo(actor *a, stream_head *h)
{
        (void)a;
        stream_give_back(&stream_mine, h);
}

/* The same (FLAGS as there), ordered only after A's own events before it (in step mode and a run
 * that records its moves, in the one order of every event): for events that something before them
 * in A's ring already orders, such as a pool worker's tasks after the first of its chunk, so that
 * two producers do not share the resource's key for every event. */
void actor_emit_in_ring(actor *a, unsigned flags, event_kind kind, int res, int other, int64_t num,
                        int aux, const char *text, size_t len);
/* A request to the manager's server about resource K (store_managed): REQUEST with the operation
 * OP before it goes, REPLY after the answer came: ANSWER's repr (NULL: None), or with ERR the
 * error it raised. */
void actor_request(actor *a, int k, const char *op);
void actor_reply(actor *a, int k, const value *answer, const char *err);
/* Raises a run-time error (Python's exception) in the running statement: FLOW_STOP. FMT must
 * begin with the exception's name ("ZeroDivisionError: division by zero"); the text becomes
 * "FILE:LINE:COL: " and that, where FILE:LINE:COL is WHERE's (an expression or template of the
 * statement; NULL: the statement's keyword). The ERROR event goes out when the actor ends. */
int actor_fail_at(actor *a, const void *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define actor_fail(a, ...) actor_fail_at((a), NULL, __VA_ARGS__)
/* The memory lock itself, for the two below (and the expression environment's hold). Inline:
 * prim_memory_lock's fast way is a compare-and-swap. */
static inline void actor_memory_lock(actor *a)
{
        prim_memory_lock(a->prim, a->process);
        a->holds_memory = true;
}

static inline void actor_memory_unlock(actor *a)
{
        prim_memory_unlock(a->prim);
        a->holds_memory = false;
}

/* Takes the memory lock for the rest of the statement (statement atomicity), unless it has it. */
static inline void actor_memory_take(actor *a)
{
        if (!a->holds_memory)
                actor_memory_lock(a);
}

/* A guarded statement (sc_stmt.guarded, guard.h) runs as if it held the memory lock: every datum
 * it touches is kept apart by a lock it holds. Until the statement's end, or until it drops the
 * memory lock before a wait (a take after that takes the lock itself). */
static inline void actor_memory_elide(actor *a)
{
        a->holds_memory = true;
        a->memory_elided = true;
}

/* Gives it back if it has it: after every statement. */
static inline void actor_memory_drop(actor *a)
{
        if (!a->holds_memory)
                return;
        if (a->memory_elided) {
                a->holds_memory = false;
                a->memory_elided = false;
        } else {
                actor_memory_unlock(a);
        }
}
/* A store's target (expr_lvalue of its lvalue), worked out at its first run by this actor. */
typedef struct actor_lvalue {
        const char *name;
        const expr *index; /* NULL: the whole of it */
        int32_t ref;       /* 0: not worked out yet (no ref is 0: its kind is in the top byte) */
        /* the whole of a resource whose value is in place (store_slot): a var, a list or a dict
         * in this process's heap, or a Value (its number, in the heap or in shared memory); its
         * slot, replaced as it is; else NULL (an Array, anything kept encoded or in the
         * manager) */
        value *slot;
        bool typed; /* a Value: what is stored is made its ctype's number first */
} actor_lvalue;

const actor_lvalue *actor_lvalue_find(actor *a, const sc_stmt *s);
static inline const actor_lvalue *actor_lvalue_of(actor *a, const sc_stmt *s)
{
        const actor_lvalue *lv = &a->lvalues[s->id];

        return lv->ref != 0 ? lv : actor_lvalue_find(a, s);
}

/* actor_eval through expr_eval, its error raised. */
int actor_eval_general(actor *a, const expr *e, value *out);
/* Evaluates E; on error raises it and returns -1. Inline: every statement has an expression, and
 * the commonest ones are worked out here (expr_eval_fast) without a call; the rest, and its room
 * for an error on the stack, out of line. */
__attribute__((always_inline)) static inline int actor_eval(actor *a, const expr *e, value *out)
{
        if (expr_eval_fast(e, &a->env, out))
                return 0;
        return actor_eval_general(a, e, out);
}
/* Local SLOT = V (taken). Inline: loops and lets do it at every step. V was most often just
 * written into memory a field at a time (expr_eval_fast's value_int): copied whole, with one
 * 16-byte load, it could not be forwarded from those two stores and waited for them to reach
 * the cache (14% of queue_pc's Consumer); a field at a time, each load is one store's. */
static inline void actor_set_local(actor *a, int slot, value v)
{
        value *l = &a->locals[slot];

        value_drop(l);
        l->type = v.type;
        l->as.i = v.as.i; /* the union's eight bytes, whichever member */
        a->assigned[slot] = true;
}

#endif
