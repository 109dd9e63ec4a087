/*
 * layout.h — where the panes of the scenario screen go: pure arithmetic on the terminal's size
 * and the number of actors, with no curses, so that it is unit-tested (tests/unit/test_layout.c).
 *
 * Rows, top to bottom: the header; the panes; the status rows (a message row and the caption
 * rows); the key bar. Actors goes across the top, where the waits need the width; below it Code
 * on the left, Resources over Output on the right (halves from 120 columns, the right a little
 * wider below). The Timeline goes below Code when Code keeps room enough. Zoomed, one pane
 * has all their room.
 */
#ifndef LOCKSTEP_TUI_LAYOUT_H
#define LOCKSTEP_TUI_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MIN_COLS 80
#define LAYOUT_MIN_ROWS 24
#define LAYOUT_WIDE     120 /* columns from which Code and the right side are halves */
#define LAYOUT_MIN_CODE 6   /* rows Code keeps when the Timeline takes the rest */

enum { PANE_ACTORS, PANE_CODE, PANE_TIMELINE, PANE_RES, PANE_OUTPUT, PANE_COUNT };

typedef struct layout_rect {
        int y, x, h, w; /* h == 0: the pane is not shown */
} layout_rect;

/* The rows the narration caption gets (the message row comes on top of them). */
int layout_caption_rows(int rows);
/* Fills PANE for a COLS x ROWS terminal showing NACTORS actors; false (PANE untouched) when the
 * terminal is smaller than LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS. */
bool layout_compute(int cols, int rows, int nactors, layout_rect pane[PANE_COUNT]);
/* Zoomed (as tmux's zoom): PANE alone takes every row and column the panes of a COLS x ROWS
 * terminal have, the others none — the Timeline too, which a small terminal has no room for
 * beside the others. False (PANE untouched) when the terminal is too small. */
bool layout_zoom(int cols, int rows, int which, layout_rect pane[PANE_COUNT]);

#endif
