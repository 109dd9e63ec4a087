/*
 * stepper.h — step mode's scheduler inside the runner.
 *
 * In a stepped run that nobody steers (`lockstep run --step` with the random or round-robin
 * policy, after the moves of a schedule it replays; no recording, no speed), the runner chooses
 * each step itself: the
 * actor whose step is done folds the events written since into a model of its own, asks the
 * rule the front end asks (steprule.h) and grants the next actor directly — itself without a
 * switch, another with one wake-up — instead of a round trip through the front end (two switches
 * between processes a step). The front end reads the same events as in every run, in batches,
 * and ends the run as ever: when it is done, at a limit, or, when the stepper says that nobody
 * can move or that the schedule names an actor that cannot, with the deadlock or the broken
 * schedule it finds in its own model. Thread actors only (the model is in the
 * runner's memory); session.c says when a run gets one.
 */
#ifndef LOCKSTEP_SESSION_STEPPER_H
#define LOCKSTEP_SESSION_STEPPER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/gate.h"
#include "engine/stream.h"
#include "scenario/scenario.h"

typedef struct stepper stepper;

/* In the runner, before engine_run: the scheduler of a run of SC over ST and G, which grants the
 * NREPLAY moves of REPLAY first (a schedule: the actor of each; it stops at one that cannot move,
 * gate_say_stuck), then by its random policy seeded by SEED (or ROUND_ROBIN), and nothing once
 * more than MAX_STEPS steps were taken (the front end ends the run there). */
stepper *stepper_new(const scenario *sc, stream *st, gates *g, const int *replay, size_t nreplay,
                     uint64_t seed, bool round_robin, uint64_t max_steps);
void stepper_free(stepper *sp);
/* engine_options.step_back: actor ACTOR's step is written (it is at its gate, or exited). */
void stepper_back(void *sp, int actor);

#endif
