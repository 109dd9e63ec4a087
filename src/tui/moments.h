/*
 * moments.h — the moments of a run's history that the screen stops at, and the Timeline's
 * steps up to one of them.
 *
 * A moment is a number of events of the history (the state after that many). Rewinding stops at
 * the start of every step, and inside a pool's map at every task given out and result back (a
 * whole map is one step of its caller). Pure: read from the history only (no curses), so that
 * the rules of rewinding are unit-tested.
 */
#ifndef LOCKSTEP_TUI_MOMENTS_H
#define LOCKSTEP_TUI_MOMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/history.h"

#define MOMENTS_MAX_LANES 256 /* the Timeline's columns at most */

/* Moment J is one to stop at: the start of a step (the next event begins one, or nothing is
 * before it), or a pool's task given out or result back. A step's caption (SAY) comes before its
 * first event and belongs to it: the moment before a step shows the caption of the step before. */
bool moments_stop(history *h, uint64_t j);
/* The earliest moment to show: step 0, once the actors have said where they are before the
 * first step, or the oldest moment kept when older ones were let go. */
uint64_t moments_earliest(history *h);
/* The moment to stop at before J (moments_earliest at the earliest), and after J (the history's
 * length at the latest). */
uint64_t moments_before(history *h, uint64_t j);
uint64_t moments_after(history *h, uint64_t j);
/* The actor that made the last step of the history, -1 before any. */
int moments_last_mover(history *h);

/* The last steps up to a moment, for the Timeline: who made each, every actor's state after it. */
typedef struct moments_lanes {
        int ncols;
        uint64_t first;                  /* the number of the first step shown */
        uint64_t end[MOMENTS_MAX_LANES]; /* the moment after each step (its last event) */
        short mover[MOMENTS_MAX_LANES];
        unsigned char state[MOMENTS_MAX_LANES][SC_MAX_ACTORS + 1];
} moments_lanes;

/* Fills L with the last COLS steps (at most MOMENTS_MAX_LANES) up to moment SHOWN, the TOTAL-th
 * step. Uses history_at: the caller asks for its shown model again afterwards. */
void moments_lanes_at(history *h, uint64_t shown, uint64_t total, int cols, moments_lanes *l);

#endif
