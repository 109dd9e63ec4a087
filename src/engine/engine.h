/*
 * engine.h — run a scenario for real, in the runner process.
 *
 * The front end forks a runner process and calls engine_run in it. Thread actors become pthreads
 * of the runner, resources become real primitives (prim.h) in shared memory, and every step of
 * every actor is published to the event stream (stream.h) in causal order. The engine never
 * looks at the model: what the run means is the front end's business.
 */
#ifndef LOCKSTEP_ENGINE_ENGINE_H
#define LOCKSTEP_ENGINE_ENGINE_H

#include <stdint.h>

#include "engine/gate.h"
#include "engine/stream.h"
#include "scenario/scenario.h"

#define ENGINE_DEFAULT_SEED 1

typedef struct engine_options {
        uint64_t seed;     /* seeds every actor's random() */
        double step_delay; /* live mode: seconds to wait before each step (0: none) */
        int cpu_count;     /* what cpu_count() returns */
        gates *gates;      /* step mode: every step waits for a grant; NULL: live mode */
        /* Hand-off: false (the default, as CPython) lets a released lock or semaphore go to
         * whoever takes it first, the releaser too (barging); true hands it to its longest
         * waiter, so nobody can take it in between (`lockstep run --handoff fifo`). */
        bool fifo;
} engine_options;

/* Why a scenario cannot run in this version, or NULL when it can. */
const char *engine_unsupported(const scenario *sc);

/* Runs SC to its end in this process, publishing to ST, and returns the outcome as an exit
 * status (event_outcome: 0 done, 1 an assert failed, 4 an actor raised an error). A crash
 * statement ends the process instead, as a real fault does. */
int engine_run(const scenario *sc, const engine_options *opt, stream *st);

#endif
