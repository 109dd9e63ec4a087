/*
 * describe.h — a resource drawn for what it is, as the Resources pane shows it: a lock's holder
 * and waiters, a semaphore's count, a queue's items in a box, a pipe's messages in flight each
 * way, a var's value in every process's copy, a pool's workers and results. Pure: a resource of
 * a model into spans (their text and roles), which the pane draws and the tests read.
 */
#ifndef LOCKSTEP_TUI_DESCRIBE_H
#define LOCKSTEP_TUI_DESCRIBE_H

#include "model/model.h"
#include "tui/spans.h"

/* The columns a description's rows have: its first row (after the resource's name), and each
 * later one. A queue's or a pipe's items that do not fit their row are counted, not shown
 * ("[ 0 | 1 | ... 99998 more ] 100000"), and a pool's results wrap within the later rows. */
typedef struct describe_room {
        int first, rest;
        bool narrow; /* the terminal is not UTF-8: a character past ASCII takes one column (`?`) */
} describe_room;

/* Adds resource RI of M to L: its state on the first row, then a row for each further part
 * (waiters, a copy, a pipe's other direction, a pool's worker). */
void describe_res(const model *m, int ri, spans *l, describe_room room);

#endif
