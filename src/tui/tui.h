/*
 * tui.h — lockstep's terminal front end: the scenario screen (`lockstep FILE`) and the
 * browser of the bundled scenarios (`lockstep`). docs/tui.md describes what it shows.
 */
#ifndef LOCKSTEP_TUI_TUI_H
#define LOCKSTEP_TUI_TUI_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tui_options {
        const char *path;       /* a scenario; NULL: the browser */
        bool live;              /* the operating system schedules */
        const char *schedule;   /* a schedule file whose moves are made first, or NULL */
        const char *const *set; /* --set NAME=VALUE, in order */
        int nset;
        bool seed_given; /* --seed */
        uint64_t seed;
        bool speed_given; /* --speed: steps a second, 0 for max */
        double speed;
        const char *replay; /* a trace to view instead of a scenario to run, or NULL */
} tui_options;

/* Opens the scenario screen on a scenario or a trace, or the browser. Returns the exit status:
 * 0, 2 for a bad file or no terminal, 128 + N when signal N ended it. */
int tui_main(const tui_options *opt);

#endif
