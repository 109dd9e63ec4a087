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

/* Adds resource RI of M to L: its state on the first row, then a row for each further part
 * (waiters, a copy, a pipe's other direction, a pool's worker); WIDTH: the columns of those
 * later rows, which a pool's results wrap within. */
void describe_res(const model *m, int ri, spans *l, int width);

#endif
