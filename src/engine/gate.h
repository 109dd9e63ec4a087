/*
 * gate.h — step mode's gates: lockstep grants each actor one step at a time.
 *
 * Before each step an actor announces where it is (a READY event, or BLOCKED/WAITING when it is
 * waiting for a resource) and then waits at its gate until the front end grants it. A gate is a
 * counter in shared memory that only the front end increments (one grant = one step) and a futex
 * the actor sleeps on, so gates work the same for threads and for processes forked after
 * gate_create. The front end can wait for the step it granted to be done (gate_back) without
 * being woken for it. In live mode there are no gates: engine_options.gates is NULL.
 */
#ifndef LOCKSTEP_ENGINE_GATE_H
#define LOCKSTEP_ENGINE_GATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct gates gates;

/* Shared memory for N gates; NULL with errno on failure. */
gates *gate_create(int n);
void gate_destroy(gates *g);
/* The front end: lets actor A take one step. Returns the grant's number, for gate_back. */
uint32_t gate_grant(gates *g, int a);
/* A scheduler in the runner (engine_options.step_back), in actor A's own thread on its way to its
 * gate: lets A take one step more, without a wake-up (A is not asleep). */
void gate_pass(gates *g, int a);
/* A scheduler in the runner says why it grants nothing more, and the front end asks: 0 it has not
 * stopped; GATE_NOBODY no actor can move (with someone waiting at a gate); GATE_NOBODY + K the
 * K-th move of the schedule it replays (from 1) names an actor that cannot move. */
#define GATE_NOBODY 1u
void gate_say_stuck(gates *g, uint32_t why);
uint32_t gate_stuck(const gates *g);
/*
 * The front end, after gate_grant gave GRANT: waits a moment (gate.c says how long), yielding its
 * core, until actor A is back at a gate having taken that step — then everything it published in
 * the step is in the stream — and says whether it is. False means look again later (a long step,
 * an exit, a busy machine).
 */
bool gate_back(gates *g, int a, uint32_t grant);
/* Actor A: waits until it has been granted a step it has not used yet, and uses it. */
void gate_wait(gates *g, int a);

/*
 * Live mode's pacer: the pause and the delay before each step, in shared memory, so the front end
 * changes them while the run goes on. Every actor calls gate_pacer_wait before each step: it
 * waits out the delay, and while the run is paused it stops there — at a step boundary, so a
 * paused run shows a moment the run really went through. A change wakes every waiting actor at
 * once: a long delay shortened, or a pause lifted, takes effect at once.
 */
typedef struct gate_pacer {
        _Atomic uint32_t changes; /* the futex word: bumped by every gate_pacer_set */
        _Atomic uint32_t paused;
        _Atomic uint64_t delay_ns;
        _Atomic uint32_t holds; /* paused or a delay: the one word gate_pacer_wait reads */
} gate_pacer;

/* Shared memory for a pacer (running, no delay); NULL with errno on failure. */
gate_pacer *gate_pacer_create(void);
void gate_pacer_destroy(gate_pacer *p);
/* The front end: pause or resume, and the delay before each step in nanoseconds. */
void gate_pacer_set(gate_pacer *p, bool paused, uint64_t delay_ns);
/* The pause or the delay is on: an actor waits them out. */
void gate_pacer_hold(gate_pacer *p);
/* An actor, before each step. Inline: at full speed, the usual case, one load (the hold reads
 * the pause and the delay, and waits on the futex only when paused). */
static inline void gate_pacer_wait(gate_pacer *p)
{
        if (atomic_load_explicit(&p->holds, memory_order_relaxed))
                gate_pacer_hold(p);
}

#endif
