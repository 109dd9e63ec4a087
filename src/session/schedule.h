/*
 * schedule.h — schedule files: the order in which actors move, for replaying a run exactly.
 *
 * A schedule is text a person can read and edit (docs/schedule-format.md): one actor name per
 * line (MainThread for the main thread), `NAME * N` for N moves in a row, blank lines and `#`
 * comments ignored. A name that cannot be written bare (it has a `*`, starts with `#`, `@` or
 * `"`, has spaces at either end or a control character) is written as a JSON string; the main
 * thread is written `@main` when an actor is named MainThread too. Other lines
 * starting with `@` record how the run was made: `@seed N` and `@set "NAME=VALUE"`, so that the
 * file alone replays the same run. Each move is one grant in step mode: a step, or a waiting
 * actor going on. `lockstep run --save-schedule` writes one (from a live run too); `--schedule`
 * replays one. Whatever schedule_write writes, schedule_read reads back.
 *
 * Reading is split in two because the --set values are needed before the scenario is loaded
 * and the actor names only after: schedule_read parses the file on its own, schedule_resolve
 * turns its names into actor numbers of a loaded scenario.
 */
#ifndef LOCKSTEP_SESSION_SCHEDULE_H
#define LOCKSTEP_SESSION_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/diag.h"
#include "scenario/scenario.h"

#define SCHEDULE_MAX_MOVES 10000000     /* moves in one file; a run records at most this many */
#define SCHEDULE_MAX_BYTES (256u << 20) /* bytes in one file, read or written */
#define SCHEDULE_MAX_SET   1000         /* @set lines in one file */

typedef struct schedule {
        char **names; /* the moves, by actor name; names[k] points into distinct[] */
        size_t n;
        bool has_seed;
        uint64_t seed;
        char **set;              /* NAME=VALUE, as given to --set */
        int *set_line, *set_col; /* where each is, for its messages */
        int nset;
        /* for diagnostics: the file, and where each distinct name first appears */
        char *path;
        char **distinct;
        bool *is_main; /* distinct[k] was written @main: the main thread, whatever actors are
                          named */
        int *line, *col;
        size_t ndistinct;
} schedule;

/* Reads PATH into OUT. Returns 0, or -1 after reporting every bad line into D as FILE:LINE:COL
 * (OUT is then empty). */
int schedule_read(const char *path, schedule *out, diag *d);
/* Where the schedule file PATH has its move ENTRY (from 1): its LINE and COL, for a message about
 * it. 0, or -1 when the file no longer has it. Reads the file again: for errors only. */
int schedule_locate(const char *path, size_t entry, int *line, int *col);
/* The same over TEXT (NAME only for messages). */
int schedule_parse(const char *name, const char *text, size_t len, schedule *out, diag *d);
/* S's names as actor numbers of SC (main = sc->nactors) in *MOVES (S->n of them; free it).
 * Returns 0, or -1 after reporting each unknown name at its first use into D. */
int schedule_resolve(const schedule *s, const scenario *sc, int **moves, diag *d);
void schedule_free(schedule *s);
/* Writes MOVES, SEED and the --set values SET to PATH. Returns 0, or -1 with a message in ERR
 * (also when N is over SCHEDULE_MAX_MOVES or the file would be over SCHEDULE_MAX_BYTES, which
 * schedule_read would refuse). */
int schedule_write(const char *path, const scenario *sc, const int *moves, size_t n, uint64_t seed,
                   const char *const *set, int nset, char *err, size_t errlen);

#endif
