/*
 * spans.h — a line of several parts, each drawn in its own role: "held by " normal, "Thread-1"
 * a holder's colour. A line may go on in rows below (spans_row), as a resource's waiters do
 * under its state. The parts are built first and drawn after, so that what a pane shows can be
 * measured (rows) and tested without a screen.
 */
#ifndef LOCKSTEP_TUI_SPANS_H
#define LOCKSTEP_TUI_SPANS_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/term.h"
#include "util/strbuf.h"

#define SPANS_MAX 128 /* parts of one line; more are added to the last part */

typedef struct spans {
        strbuf text;
        int n;
        size_t from[SPANS_MAX];
        term_role role[SPANS_MAX];
        bool row[SPANS_MAX]; /* this part starts a new row */
        bool next_row;       /* the next part will */
        int rows;            /* rows after the first */
} spans;

/* Adds a part in ROLE (joined to the last part when it has the same role, on the same row). */
__attribute__((format(printf, 3, 4))) void spans_add(spans *l, term_role role, const char *fmt,
                                                     ...);
/* What comes next goes on a row of its own. */
void spans_row(spans *l);
/* The text of part K (N bytes at *S), for tests and measuring. */
void spans_part(const spans *l, int k, const char **s, size_t *n);
/* Draws the parts of L at (Y, X) within WIDTH columns, its later rows below at X + INDENT (which
 * may be negative: further left), skipping the first SKIP rows and drawing at most MAXROWS;
 * returns the columns used on the last row drawn. */
int spans_draw_rows(const term *t, int y, int x, int width, const spans *l, int indent, int skip,
                    int maxrows);
/* Draws the first row of L at (Y, X) within WIDTH columns; returns the columns used. */
int spans_draw(const term *t, int y, int x, int width, const spans *l);
void spans_free(spans *l);

#endif
