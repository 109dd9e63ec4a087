/*
 * engine_int.h — what the engine's modules share: the run (struct engine) and the interpreter's
 * entry points. Not a public header: only src/engine/ includes it.
 *
 * The dependency runs one way: engine.c (the run) → actor.c (life cycle, environment, starting
 * actors) → interp.c (statements) → store.c (data), prim.c (primitives), gate.c, stream.c.
 * interp.c calls back into actor.c only through actor.h.
 */
#ifndef LOCKSTEP_ENGINE_ENGINE_INT_H
#define LOCKSTEP_ENGINE_ENGINE_INT_H

#include <stdbool.h>

#include "engine/actor.h"
#include "engine/engine.h"
#include "engine/forksrv.h"
#include "engine/pool.h"
#include "engine/prim.h"
#include "engine/store.h"

struct engine {
        const scenario *sc;
        stream *st;
        engine_options opt;
        prim_region *prim; /* shared: primitives, per-actor state, the run's counters */
        store *store;      /* data and queue items (this process's heap copy, shared parts) */
        actor *actors;     /* nactors + 1: main last; each process has its own copy */
        int nall;
        int copy;           /* -1 in the runner; in a process actor's process, its number */
        bool processes;     /* the scenario has process actors or pools: the fork server runs */
        forksrv fs;         /* when it has */
        pool_region *pools; /* the pools' shared state, or NULL */
};

int interp_block(actor *a, const sc_block *b);
/* Publishes STEP when the step that began published nothing of its own. */
void interp_end_step(actor *a);
/* "gil": gives the GIL up (before anything that may block, and at the switch interval). */
void interp_gil_drop(actor *a);
/* Waits for actor T to finish (join): FLOW_NEXT, or FLOW_STOP after an error. */
int interp_join(actor *a, int t, const struct timespec *deadline);

#endif
