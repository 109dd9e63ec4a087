/*
 * engine_int.h — what engine.c (actors, names, events) and interp.c (statements) share.
 * Not a public header: only src/engine/ includes it.
 */
#ifndef LOCKSTEP_ENGINE_ENGINE_INT_H
#define LOCKSTEP_ENGINE_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "engine/prim.h"
#include "event/event.h"
#include "scenario/expr.h"
#include "util/strbuf.h"

typedef struct engine engine;

typedef struct actor {
        engine *eng;
        int id; /* actor number: 0..nactors-1, main = nactors */
        const char *name;
        int i;
        const sc_script *script;
        value *locals;
        bool *assigned;
        uint64_t rng;
        expr_env env;
        pthread_t thread;
        bool holds_memory;   /* took the memory lock in this statement */
        const sc_stmt *stmt; /* the statement running */
        bool step_pending;   /* its first event is still to come (it carries EVENT_BEGINS_STEP) */
        bool holds_gil;      /* "gil": holds the simulated interpreter lock */
        int gil_steps;       /* steps taken since it took the GIL */
        strbuf scratch;      /* reused for texts */
        /* A run-time error raised and not yet published: it goes out once the actor has unwound
         * (its with blocks released), so that nothing the actor does comes after its ERROR. */
        strbuf error;
        const sc_stmt *error_stmt;
} actor;

/* A queue's items, for thread actors (kept by the runner, guarded by the queue's prim mutex). */
typedef struct queue_items {
        value *items;
        size_t head, n, cap;
} queue_items;

struct engine {
        const scenario *sc;
        stream *st;
        engine_options opt;
        prim_region *prim;
        actor *actors; /* nactors + 1: main last */
        int nall;
        value *mem;          /* contents of memory resources, by resource index */
        queue_items *queues; /* by resource index */
        int asserts_failed;  /* atomic */
        int errors;          /* atomic */
};

/* How a statement or block ended. */
enum { FLOW_NEXT, FLOW_BREAK, FLOW_STOP };

void engine_emit(actor *a, event_kind kind, int res, int other, int64_t num, int aux,
                 const char *text, size_t len);
/* Raises a run-time error (Python's exception) in the running statement: FLOW_STOP. FMT must
 * begin with the exception's name ("ZeroDivisionError: division by zero"); the text becomes
 * "FILE:LINE:COL: " and that, where FILE:LINE:COL is WHERE's (an expression or template of the
 * statement; NULL: the statement's keyword). The ERROR event waits for engine_publish_error. */
int engine_fail_at(actor *a, const void *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define engine_fail(a, ...) engine_fail_at((a), NULL, __VA_ARGS__)
/* Takes the memory lock for the rest of the statement (statement atomicity). */
void engine_memory_take(actor *a);
void engine_memory_drop(actor *a);
/* Evaluates E; on error reports it and returns -1. */
int engine_eval(actor *a, const expr *e, value *out);
void engine_set_local(actor *a, int slot, value v);
/* Starts actor TARGET as a thread. Returns 0, or -1 after reporting an error. */
int engine_start_actor(actor *a, int target);
/* repr of V cut to a displayable length. */
void engine_repr(value v, strbuf *out);

int interp_block(actor *a, const sc_block *b);
/* Begins a new step of the current statement (a loop's next test, a with block's release). */
void interp_begin_step(actor *a, const sc_stmt *s);
/* Publishes STEP when the step that began published nothing of its own. */
void interp_end_step(actor *a);
/* "gil": gives the GIL up (before anything that may block, and at the switch interval). */
void interp_gil_drop(actor *a);
/* Waits for actor T to finish (join): FLOW_NEXT, or FLOW_STOP after an error. */
int interp_join(actor *a, int t, const struct timespec *deadline);

#endif
