/*
 * layout.c — the panes' rectangles (see layout.h).
 */
#include "tui/layout.h"

int layout_caption_rows(int rows)
{
        return rows >= 30 ? 3 : 2;
}

static int min(int a, int b)
{
        return a < b ? a : b;
}

/* The rows of the panes: all but the header, the message row, the caption rows and the key bar. */
static int panes_rows(int rows)
{
        return rows - 1 - 1 - layout_caption_rows(rows) - 1;
}

bool layout_compute(int cols, int rows, int nactors, layout_rect pane[PANE_COUNT])
{
        int top = 1, mid = panes_rows(rows), ah, lw, rh, rest;

        if (cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS)
                return false;
        /* Actors across the top at every width: a wait's words (`waits for condition cond
         * (held by Producer)`) need the width more than any other pane's rows do. */
        ah = min(nactors + 1, mid * 2 / 5);
        lw = cols >= LAYOUT_WIDE ? cols / 2 : cols * 9 / 20;
        rest = mid - ah;
        rh = rest * 3 / 5;
        pane[PANE_ACTORS] = (layout_rect){ top, 0, ah, cols };
        pane[PANE_CODE] = (layout_rect){ top + ah, 0, rest, lw };
        pane[PANE_RES] = (layout_rect){ top + ah, lw + 1, rh, cols - lw - 1 };
        pane[PANE_OUTPUT] = (layout_rect){ top + ah + rh, lw + 1, rest - rh, cols - lw - 1 };
        pane[PANE_TIMELINE] = (layout_rect){ 0, 0, 0, 0 };
        if (pane[PANE_CODE].h - (nactors + 1) >= LAYOUT_MIN_CODE) {
                layout_rect *c = &pane[PANE_CODE];

                c->h -= nactors + 1;
                pane[PANE_TIMELINE] = (layout_rect){ c->y + c->h, c->x, nactors + 1, c->w };
        }
        return true;
}

bool layout_zoom(int cols, int rows, int which, layout_rect pane[PANE_COUNT])
{
        if (cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS || which < 0 || which >= PANE_COUNT)
                return false;
        for (int p = 0; p < PANE_COUNT; p++)
                pane[p] = (layout_rect){ 0, 0, 0, 0 };
        pane[which] = (layout_rect){ 1, 0, panes_rows(rows), cols };
        return true;
}
