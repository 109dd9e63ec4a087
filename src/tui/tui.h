/*
 * tui.h — lockstep's terminal front end: the scenario screen (`lockstep FILE`) and the
 * browser of the bundled scenarios (`lockstep`). docs/tui.md describes what it shows.
 */
#ifndef LOCKSTEP_TUI_TUI_H
#define LOCKSTEP_TUI_TUI_H

#include <stdbool.h>

/* Opens PATH on the scenario screen (LIVE: the operating system schedules; SCHEDULE: a schedule
 * file whose moves are made first, or NULL); with PATH NULL,
 * the browser. Returns the exit status: 0, 2 for a bad file or no terminal, 128 + N when
 * signal N ended it. */
int tui_main(const char *path, bool live, const char *schedule);

#endif
