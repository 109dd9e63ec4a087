/*
 * term.h — the terminal: the only place that starts and ends curses.
 *
 * term_open switches the terminal to the screen lockstep draws on, picks the colours (or a true
 * monochrome scheme under NO_COLOR or on a terminal without colours) and the glyphs (UTF-8 only
 * when the locale is UTF-8 and every glyph is one column wide), and blocks the signals the TUI
 * reads from term.sig_fd in its poll() loop, so that no handler ever runs. term_close restores
 * the terminal; it is idempotent and also registered with atexit(), so xdie and every other exit
 * restore it too.
 */
#ifndef LOCKSTEP_TUI_TERM_H
#define LOCKSTEP_TUI_TERM_H

#include <curses.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"

/* What a piece of the screen means; each role has one attribute in the colour and in the
 * monochrome scheme. */
#define TERM_ACTOR_COLORS 6 /* colours that tell actors' lines apart */

typedef enum term_role {
        ROLE_NORMAL,
        ROLE_DIM,
        ROLE_BOLD,
        ROLE_HEADER,                                 /* the top line */
        ROLE_PANE,                                   /* a pane's title */
        ROLE_PANE_FOCUS,                             /* the focused pane's title */
        ROLE_SELECT,                                 /* the selected row */
        ROLE_KEY,                                    /* a key in the key bar */
        ROLE_KEY_LABEL,                              /* its label */
        ROLE_HOLDER,                                 /* who holds something */
        ROLE_WAITER,                                 /* who waits for something */
        ROLE_FREE,                                   /* something available */
        ROLE_BANNER,                                 /* the deadlock banner */
        ROLE_CAPTION,                                /* the narration caption */
        ROLE_MESSAGE,                                /* an answer to a key ("T-1 waits for ...") */
        ROLE_CHANGED,                                /* changed since the previous step */
        ROLE_ERROR,                                  /* errors, failed asserts */
        ROLE_STATE,                                  /* + model_state: one role per actor state */
        ROLE_ACTOR = ROLE_STATE + MODEL_STATE_COUNT, /* + a % TERM_ACTOR_COLORS: an actor's own */
        ROLE_COUNT = ROLE_ACTOR + TERM_ACTOR_COLORS
} term_role;

#define TERM_ACTOR_COLORS 6

/* The colour scheme: for a dark background or a light one (LOCKSTEP_THEME, else COLORFGBG). */
typedef enum term_theme { TERM_THEME_AUTO, TERM_THEME_DARK, TERM_THEME_LIGHT } term_theme;

typedef struct term {
        bool open;
        bool color;
        bool utf8;
        int sig_fd; /* signalfd: SIGINT, SIGTERM, SIGHUP, SIGWINCH */
        sigset_t old_mask;
        attr_t role[ROLE_COUNT];
        const char *glyph[MODEL_STATE_COUNT]; /* one column each */
        const char *ellipsis, *marker, *bar;  /* "…", "▶", "│" or ASCII */
        const char *box[6];                   /* ─ │ ┌ ┐ └ ┘, or - | + + + + */
} term;

/* The mouse wheel, as the loop hands it on: curses reports a notch as a press of button 4 (up)
 * or 5 (down). Beyond curses' keys and the screen's own. */
#define TERM_KEY_WHEEL_UP   (KEY_MAX + 4096)
#define TERM_KEY_WHEEL_DOWN (KEY_MAX + 4097)

/* A theme's name, as LOCKSTEP_THEME says it: TERM_THEME_DARK or _LIGHT, TERM_THEME_AUTO for
 * none (NULL or empty: the terminal's COLORFGBG decides), -1 for a name that is none of them. */
int term_theme_parse(const char *name);
/* Blocks the signals and opens the signal descriptor; call before anything forks (the runner
 * unblocks them itself). 0, or -1 with errno. */
int term_signals(term *t);
/* Starts curses on the terminal. 0, or -1 when standard input or output is not a terminal. */
int term_open(term *t);
/* The same on streams OUT and IN for a terminal of TYPE (NULL: $TERM): what term_open does
 * after its checks, and what the benchmark draws into (bench/tui_bench.c). */
int term_open_on(term *t, const char *type, FILE *out, FILE *in);
/* Restores the terminal and the signal mask; safe to call twice. */
void term_close(term *t);
/* After SIGWINCH: asks the terminal its size and tells curses. */
void term_resize(term *t);

static inline attr_t term_attr(const term *t, term_role r)
{
        return t->role[r];
}

#endif
