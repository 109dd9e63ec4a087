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

#include <stdbool.h>
#include <stdint.h>

#include "engine/gate.h"
#include "engine/stream.h"
#include "scenario/scenario.h"

#define ENGINE_DEFAULT_SEED 1
/* The longest pause, in seconds (about 11.6 days): a longer sleep, work or --speed pause is cut
 * to it, so that no duration overflows an integer. */
#define ENGINE_MAX_PAUSE 1e6

typedef struct engine_options {
        uint64_t seed;     /* seeds every actor's random() */
        gate_pacer *pacer; /* live mode: the pause and the delay before each step; NULL: none */
        int cpu_count;     /* what cpu_count() returns */
        gates *gates;      /* step mode: every step waits for a grant; NULL: live mode */
        /* Hand-off: false (the default, as CPython) lets a released lock or semaphore go to
         * whoever takes it first, the releaser too (barging); true hands it to its longest
         * waiter, so nobody can take it in between (`lockstep run --handoff fifo`). */
        bool fifo;
        /* Every event in one order, the order of publishing (as step mode always has): for a live
         * run whose moves are recorded, whose replay needs every read of a shared value in its
         * place, and reads publish nothing of their own. Slower: one version per event. */
        bool total_order;
        /* Step mode with the scheduler in the runner (the session's stepper): called in every
         * actor's own thread when it comes to its gate, its step's events written, and when it
         * has published its EXIT — then the actor granted next is granted (gate_grant, or
         * gate_pass for the caller). NULL: the front end grants every step. Threads only: the
         * runner's memory is not a forked process's. */
        void (*step_back)(void *ctx, int actor);
        void *step_ctx;
} engine_options;

/* The runner's exit status when its fork server died before the end of the run (killed from
 * outside): the process actors died with it (forksrv.h). */
#define ENGINE_EXIT_FORKSRV 75
/* ... and when the manager's server died before the end of the run: no dict or list "via":
 * "manager" can be read or written any more (manager.h). */
#define ENGINE_EXIT_MANAGER 76

/* Limits on the runner process (docs/safety.md), set by engine_limit at the start of engine_run,
 * soft and hard alike so that nothing in the run can lift them; a limit already lower stays. */
#define ENGINE_LIMIT_AS     ((uint64_t)16 << 30) /* address space: 16 GiB (not under ASan/TSan) */
#define ENGINE_LIMIT_CPU    (6 * 3600)           /* CPU seconds of all threads: 6 hours */
#define ENGINE_LIMIT_FILES  1024                 /* open file descriptors */
#define ENGINE_LIMIT_NPROCS 1024 /* processes and threads beyond those the system has now */

/* 1 in a build with AddressSanitizer or ThreadSanitizer (GCC and clang say so differently), where
 * RLIMIT_AS is not set. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ENGINE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ENGINE_SANITIZED 1
#endif
#endif
#ifndef ENGINE_SANITIZED
#define ENGINE_SANITIZED 0
#endif

/* Applies the limits above to this process, and the total cap on the run's values
 * (VALUE_MAX_MEMORY, or LOCKSTEP_MAX_VALUE_MIB MiB from the environment); no core files. A limit
 * that cannot be set is left as it is. */
void engine_limit(void);

/*
 * The event stream a run of SC publishes into (stream_create's RINGS and KEYS): a ring for each
 * actor (its number) and for each pool worker that may run, and an order key for each resource
 * (a condition shares its lock's), one for printed output, and one that step mode gives every
 * event (one actor runs at a time: the order is the order of publishing).
 */
int engine_stream_rings(const scenario *sc);
int engine_stream_keys(const scenario *sc);
/* The ring of worker W of pool resource RES. */
int engine_worker_ring(const scenario *sc, int res, int w);

/* Runs SC to its end in this process (after engine_limit), publishing to ST, and returns the
 * outcome as an exit status (event_outcome: 0 done, 1 an assert failed, 4 an actor raised an
 * error). A crash statement ends the process instead, as a real fault does. */
int engine_run(const scenario *sc, const engine_options *opt, stream *st);

#endif
