/*
 * browser.h — `lockstep` with no arguments: the bundled scenarios, grouped (the seed's in the
 * tutorial's order, then the classics), filtered as you type, with a preview of the selected
 * one; Enter opens it on the scenario screen.
 */
#ifndef LOCKSTEP_TUI_BROWSER_H
#define LOCKSTEP_TUI_BROWSER_H

#include "tui/term.h"
#include "util/strbuf.h"

typedef struct browser browser;

enum { BROWSER_REDRAW = 1, BROWSER_QUIT = 2 };

/* NULL with a message in ERR when the bundled scenarios cannot be found. */
browser *browser_open(strbuf *err);
void browser_close(browser *b);
/* Handles KEY; sets *OPEN to a scenario's path when Enter chose one. */
int browser_key(browser *b, int key, const char **open);
/* A click at row Y, column X: on a scenario of the list it selects it, on the one selected it
 * opens it (*OPEN, as Enter). */
int browser_click(browser *b, int y, int x, const char **open);
/* A notch of the mouse wheel at row Y, column X (DIR -1 up, 1 down): over the list it moves the
 * selection, over the preview it scrolls it. */
int browser_wheel(browser *b, int y, int x, int dir);
void browser_draw(browser *b, const term *t);
/* Shows MSG (say, a scenario that does not load) until the next key. */
void browser_set_message(browser *b, const char *msg);

#endif
