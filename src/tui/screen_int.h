/*
 * screen_int.h — what the scenario screen's two files share: the screen (struct screen), its
 * modes and speeds, and the run it shows. screen.c opens and runs it and does what each key
 * does; panes.c draws it. Not a public header: only those two include it.
 */
#ifndef LOCKSTEP_TUI_SCREEN_INT_H
#define LOCKSTEP_TUI_SCREEN_INT_H

#include "trace/trace.h"
#include "tui/code.h"
#include "tui/layout.h"
#include "tui/moments.h"
#include "tui/screen.h"

typedef enum mode { MODE_STEPPING, MODE_RUNNING, MODE_PAUSED, MODE_LIVE } mode;

/* Steps per second that + and - go through; 0 is "as fast as it goes" (screen.c). */
#define NSPEEDS         10
#define DEFAULT_SPEED_I 2
extern const double screen_speeds[NSPEEDS];

/* The panes' titles (panes.c). */
extern const char *const screen_pane_names[PANE_COUNT];

struct screen {
        /* a replay (lockstep replay TRACE) has no session: the trace's events, read once */
        trace_reader *reader;
        history *replay;
        uint64_t replay_steps; /* the whole trace's */
        int play_fd;           /* a timerfd that ticks a step while the replay plays */
        bool playing;
        /* a step key at an earlier moment: the branch is made, then this key acts in it */
        bool branched;
        int again;
        char *path;
        int watch_fd;   /* inotify on the file's folder (editors replace files), or -1 */
        strbuf errors;  /* the file's errors, while it does not load */
        bool waiting;   /* opened from the command line with errors: no run yet (s is NULL) */
        char *schedule; /* --schedule, for the first run only */
        /* how every run is made: --seed and --set, and once a run started, its seed and values
         * (a schedule's too), so that L and a reload of the file keep them as R does */
        char **set;
        int nset;
        bool seed_given;
        uint64_t seed;
        bool live;
        session *s;
        code_book *code;
        /* the Code pane's rows for each line of script code_h_script at code_h_width columns
         * (code_heights); NULL: to be worked out */
        int *code_h;
        int code_h_script, code_h_width;
        mode mode;
        bool ended;
        int sel;     /* the selected actor */
        int focus;   /* a pane */
        bool zoomed; /* the pane in focus alone, on all the panes' room (z) */
        int scroll[PANE_COUNT];
        bool help;
        /* the file s last saved and the moves it holds (the seed and the --set values are the
         * same until the file is loaded again): s again with the same moves, in this run or
         * after R, L or a branch, says where they are instead of writing another copy */
        strbuf saved;
        int *saved_list;
        size_t saved_moves;
        strbuf msg;        /* what the last key did, or why it could not */
        int speed_i;       /* into screen_speeds */
        int first_speed_i; /* ... at the start of a run (--speed, else DEFAULT_SPEED_I) */
        bool past;         /* showing moment `shown` instead of the live state */
        uint64_t shown;
        layout_rect pane[PANE_COUNT];
        bool fits;
        /* the Timeline as last drawn, for a click on a column: the moment after each step, and
         * the screen column of the first */
        uint64_t lane_end[MOMENTS_MAX_LANES];
        int lane_n, lane_x0;
};

/* The run's history: the session's, or the replayed trace's. */
static inline history *hist(const screen *sc)
{
        return sc->replay != NULL ? sc->replay : session_history(sc->s);
}

/* Steps so far, and how the run ended (OUTCOME_RUNNING while it goes on). */
static inline uint64_t run_steps(const screen *sc)
{
        return sc->replay != NULL ? sc->replay_steps : session_steps(sc->s);
}

static inline event_outcome run_outcome(const screen *sc)
{
        return sc->replay != NULL ? (event_outcome)model_info_of(history_live(sc->replay))->outcome
                                  : session_outcome(sc->s);
}

/* Draws the screen (screen_draw). */
void panes_draw(screen *sc, const term *t);
/* The key of the key bar at column X, or 0. */
int panes_key_at(const screen *sc, int x);

#endif
