/*
 * draw.h — the one writer of text on the screen.
 *
 * Every character the TUI shows goes through draw_text: untrusted text (names, printed lines,
 * captions, queue items) is escaped first (utf8_escape: control characters, bidirectional
 * overrides and invalid bytes become visible escapes), columns are counted with wcwidth, and
 * text that does not fit its width is cut with an ellipsis, never split inside a wide
 * character. Nothing else in src/tui calls waddstr and friends.
 */
#ifndef LOCKSTEP_TUI_DRAW_H
#define LOCKSTEP_TUI_DRAW_H

#include <stddef.h>

#include "tui/term.h"
#include "util/strbuf.h"

/* Draws N bytes of S at (Y, X) of W in at most WIDTH columns with attribute A; returns the
 * columns used. */
int draw_text(const term *t, WINDOW *w, int y, int x, int width, attr_t a, const char *s, size_t n);
/* draw_text of a NUL-terminated string. */
int draw_str(const term *t, WINDOW *w, int y, int x, int width, attr_t a, const char *s);
/* Columns S (N bytes) takes once escaped. */
int draw_width(const term *t, const char *s, size_t n);
/* Fills WIDTH columns of row Y from X with blanks in attribute A. */
void draw_fill(WINDOW *w, int y, int x, int width, attr_t a);
/* A vertical line of H rows from (Y, X), and a box of H rows and WIDTH columns at (Y, X). */
void draw_vline(const term *t, WINDOW *w, int y, int x, int h, attr_t a);
void draw_box(const term *t, WINDOW *w, int y, int x, int h, int width, attr_t a);
/* Splits S into lines of at most WIDTH columns at spaces (words longer than a line are cut);
 * calls LINE for each, in order, with its byte range; returns the number of lines. */
int draw_wrap(const term *t, const char *s, int width,
              void (*line)(const char *s, size_t n, void *ctx), void *ctx);
/* S wrapped as draw_wrap does, drawn from row Y at X in WIDTH columns with attribute A, in at
 * most ROWS rows: when it needs more, the last row takes the rest, cut with the ellipsis.
 * Returns the rows S needs (more than ROWS when it was cut). */
int draw_wrapped(const term *t, WINDOW *w, int y, int x, int width, int rows, attr_t a,
                 const char *s);
/* S (N bytes) escaped into OUT to be drawn in WIDTH columns: when too wide, it loses its middle
 * for the ellipsis and keeps its last TAIL columns ("worker_t…ead-1"), whatever its characters;
 * it then takes WIDTH columns exactly, so its end stays at the edge. Text that fits, or a WIDTH
 * too small for a middle (under 4, or under TAIL + 2), goes whole, for draw_text to cut at its
 * end. */
void draw_cut_middle(const term *t, const char *s, size_t n, int width, int tail, strbuf *out);

#endif
