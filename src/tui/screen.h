/*
 * screen.h — the scenario screen: one run of a scenario, drawn from its model, and the keys
 * that step, run, pause and rewind it.
 *
 * The screen owns the session and the UI state (focus, selected actor, scroll offsets, the
 * moment shown); it draws only what the model says (history_at / history_live) and talks to
 * the run only through the session's controls. The loop (tui.c) calls screen_pump when
 * screen_fd is readable, screen_key for each key, and screen_draw when something changed.
 */
#ifndef LOCKSTEP_TUI_SCREEN_H
#define LOCKSTEP_TUI_SCREEN_H

#include <stdbool.h>

#include "session/session.h"
#include "tui/term.h"
#include "util/strbuf.h"

typedef struct screen screen;

/* What a key did: the loop redraws on SCREEN_REDRAW and leaves the screen on SCREEN_QUIT; on
 * SCREEN_AGAIN it gives screen_key the key screen_again_key names once the screen has settled
 * (a step key at an earlier moment branches a new run, then makes its step in it). */
enum { SCREEN_REDRAW = 1, SCREEN_QUIT = 2, SCREEN_AGAIN = 4 };

typedef struct screen_options {
        const char *path;
        bool live;              /* the operating system schedules (--live); else lockstep steps */
        const char *schedule;   /* moves to make first (--schedule), or NULL */
        const char *const *set; /* --set NAME=VALUE, in order */
        int nset;
        bool seed_given; /* --seed */
        uint64_t seed;
        /* --speed: steps a second (0: max), rounded up to the next speed + and - go through */
        bool speed_given;
        double speed;
        /* a file that is there but does not load opens anyway: its FILE:LINE:COL errors on the
         * screen, and its run once it is saved in a state that loads (lockstep FILE) */
        bool wait_for_fix;
} screen_options;

/* Opens the scenario and starts its run, stepped by hand. NULL with FILE:LINE:COL messages in
 * ERR when the file is bad (unless wait_for_fix and the file can be read and watched). */
screen *screen_open(const screen_options *opt, strbuf *err);
/* Opens a trace written by `lockstep run --trace` to view and scrub: no execution. NULL with
 * FILE:LINE:COL messages in ERR when the trace is bad. */
screen *screen_open_replay(const char *trace, strbuf *err);
void screen_close(screen *sc);
/* The session's descriptor while the run goes on; -1 once it has ended. */
int screen_fd(const screen *sc);
/* Readable when the scenario file may have changed on disk (-1 when it cannot be watched). */
int screen_watch_fd(const screen *sc);
/* Reads what changed; when the scenario file did, loads it again and restarts the run on it, or
 * keeps the old run on view and shows the new file's errors. True when the screen must be drawn
 * again. */
bool screen_reload(screen *sc);
/* Takes in what the run published; true when the screen must be drawn again. */
bool screen_pump(screen *sc);
/* True when the step the run just made is done and its events wait: screen_pump must be called
 * again at once (the run's descriptor does not say so: session_more). */
bool screen_more(screen *sc);
/* True while steps come by themselves (run mode, a live run): frames are then paced. */
bool screen_busy(const screen *sc);
/* True while a step granted by hand (or a branch's replayed moves) has not come back: the keys
 * after it wait, so that keys typed or pasted together each act on the moment the last made. */
bool screen_settling(const screen *sc);
int screen_key(screen *sc, int key, int mouse_y, int mouse_x);
/* After SCREEN_AGAIN: the key to act on once screen_settling is false (a code of the screen's
 * own, beyond curses' keys). */
int screen_again_key(const screen *sc);
void screen_draw(screen *sc, const term *t);

#endif
