/*
 * recorder.h — the moves of a run, in the order a stepped replay makes them (--save-schedule).
 *
 * Step mode records its grants as they are made (recorder_append). A live run has no grants: the
 * recorder reads its moves back from the events, folded into the model one by one
 * (recorder_take), and puts each where a stepped run could have made it (docs/running.md,
 * "Schedules"). It sees only events and the model, so a crafted event sequence tests it.
 */
#ifndef LOCKSTEP_SESSION_RECORDER_H
#define LOCKSTEP_SESSION_RECORDER_H

#include <stddef.h>

#include "event/event.h"
#include "model/model.h"

typedef struct recorder recorder;

/* For NACTORS actors (the main thread included) and NRES resources, recording at most MAX moves
 * (SCHEDULE_MAX_MOVES, the most a schedule holds, or fewer). */
recorder *recorder_new(int nactors, int nres, size_t max);
void recorder_free(recorder *r);

/* A move of actor A, after every move so far: 0, or -1 past MAX (not recorded). */
int recorder_append(recorder *r, int a);

/* A live run: event EV of an actor, already folded into M; BEFORE is that actor's state before
 * it. 0, or -1 past MAX. */
int recorder_take(recorder *r, const model *m, const event *ev, model_state before);

/* The moves so far, in order: an actor number each. Valid until the next call. */
const int *recorder_moves(const recorder *r, size_t *n);

#endif
