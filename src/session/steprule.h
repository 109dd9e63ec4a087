/*
 * steprule.h — step mode's rule: which actors can be granted a step, and which one is.
 *
 * A stepped run has one scheduler, in one of two places: the front end (session.c), which grants
 * by hand, by a replayed schedule or by the policy, and waits for each step to come back; or the
 * runner itself (stepper.c), when nobody will steer the run, so that a step needs no round trip
 * through the front end. Both keep this state, fold the same events in the same order into a
 * model, and ask this rule — so the same seed gives the same run wherever it is chosen.
 */
#ifndef LOCKSTEP_SESSION_STEPRULE_H
#define LOCKSTEP_SESSION_STEPRULE_H

#include <stdbool.h>
#include <stdint.h>

#include "event/event.h"
#include "model/model.h"
#include "scenario/scenario.h"

typedef struct steprule {
        int nall;       /* actors + main */
        bool *at_gate;  /* waiting for a grant: it said where it waits (READY, BLOCKED, ...) */
        bool *finished; /* published its EXIT or CRASH */
        int inflight;   /* the actor granted last, until it is back at a gate */
        int last_granted;
        uint64_t rng; /* the random policy's generator (expr_random_next) */
        /* can_move with FIFO: per resource and list (waiters, putters), the first waiter that
         * can go, found once per choice (first_at == choice) */
        uint64_t choice;
        int *first;
        model_op *first_op;
        uint64_t *first_at;
} steprule;

/* For a run of SC whose random policy is seeded by SEED: nobody at a gate, main (which comes to
 * its first gate before anything is granted) in flight. */
void steprule_init(steprule *r, const scenario *sc, uint64_t seed);
void steprule_free(steprule *r);
/* EV, just folded into M: an actor that says where it waits is at its gate; one that exited or
 * crashed will not come back to one. */
void steprule_take(steprule *r, const model *m, const event *ev);
/* Whether actor A, at its gate, can be granted a step. With FIFO, waiters on one resource go in
 * the order they came (lockstep's own choices); a replayed schedule or a person may hand a
 * resource to any waiter that can have it, as the OS may. */
bool steprule_can_move(steprule *r, const model *m, int a, bool fifo);
/* Whether A, a replayed schedule's move, names an actor that can be granted it (any waiter that
 * can have what it waits for, as the OS may hand it: FIFO is lockstep's own choice). */
bool steprule_can_replay(steprule *r, const model *m, int a);
/* Whether the actor granted last is still on its step. */
bool steprule_on_a_step(const steprule *r);
/* Whether any actor waits at its gate. */
bool steprule_anyone_waits(const steprule *r);
/* The actors that can be granted a step now into MOVABLE (room for nall), their number returned:
 * the waiters whose turn it is (FIFO) and the others, or when no waiter's turn has come, any
 * that can go. */
int steprule_movable(steprule *r, const model *m, int *movable);
/* The policy's choice among MOVABLE (N > 0): the seeded generator's, or with ROUND_ROBIN the next
 * after the last granted. */
int steprule_pick(steprule *r, const int *movable, int n, bool round_robin);
/* Actor A is granted a step: it leaves its gate and is in flight. */
void steprule_granted(steprule *r, int a);

#endif
