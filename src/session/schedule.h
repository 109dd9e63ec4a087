/*
 * schedule.h — schedule files: the order in which actors move, for replaying a run exactly.
 *
 * A schedule is text a person can read and edit: one actor name per line (MainThread for the
 * main thread), `NAME * N` for N moves in a row, blank lines and `#` comments ignored. Each line
 * is one grant in step mode: a step, or a waiting actor going on. `lockstep run --save-schedule`
 * writes one (from a live run too); `--schedule` replays one.
 */
#ifndef LOCKSTEP_SESSION_SCHEDULE_H
#define LOCKSTEP_SESSION_SCHEDULE_H

#include <stddef.h>

#include "scenario/diag.h"
#include "scenario/scenario.h"

#define SCHEDULE_MAX_MOVES 10000000 /* moves in one file */

/* Reads PATH into actor numbers (main = sc->nactors). Returns 0, or -1 after reporting every
 * bad line into D as FILE:LINE:COL. */
int schedule_read(const char *path, const scenario *sc, int **moves, size_t *n, diag *d);
/* Parses TEXT (NAME only for messages). */
int schedule_parse(const char *name, const char *text, size_t len, const scenario *sc, int **moves,
                   size_t *n, diag *d);
/* Writes MOVES to PATH. Returns 0, or -1 with a message in ERR. */
int schedule_write(const char *path, const scenario *sc, const int *moves, size_t n, char *err,
                   size_t errlen);

#endif
