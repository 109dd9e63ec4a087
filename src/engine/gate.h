/*
 * gate.h — step mode's gates: lockstep grants each actor one step at a time.
 *
 * Before each step an actor announces where it is (a READY event, or BLOCKED/WAITING when it is
 * waiting for a resource) and then waits at its gate until the front end grants it. A gate is a
 * counter in shared memory that only the front end increments (one grant = one step) and a futex
 * the actor sleeps on, so gates work the same for threads and for processes forked after
 * gate_create. In live mode there are no gates: engine_options.gates is NULL.
 */
#ifndef LOCKSTEP_ENGINE_GATE_H
#define LOCKSTEP_ENGINE_GATE_H

#include <stdint.h>

typedef struct gates gates;

/* Shared memory for N gates; NULL with errno on failure. */
gates *gate_create(int n);
void gate_destroy(gates *g);
/* The front end: lets actor A take one step. */
void gate_grant(gates *g, int a);
/* Actor A: waits until it has been granted a step it has not used yet, and uses it. */
void gate_wait(gates *g, int a);

#endif
