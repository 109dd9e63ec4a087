/*
 * sigend.h — the signals that end lockstep: every signal whose default action ends a process and
 * that comes from outside it (kill, a closed terminal, a resource limit), not a fault of its own
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT: those are broken invariants).
 *
 * The front end, headless or the TUI, blocks them and reads them from a signalfd, so that every
 * one of them ends the program through its one path: the terminal restored, the runner and its
 * processes killed, the run's end said. A signal left out would end the program where it stands
 * (SIGUSR1 once left the terminal in curses' modes). SIGPIPE is not here: the TUI never writes to
 * a pipe, and `lockstep run` adds it itself.
 */
#ifndef LOCKSTEP_UTIL_SIGEND_H
#define LOCKSTEP_UTIL_SIGEND_H

#include <signal.h>
#include <stdbool.h>

/* Adds to SET the signals that end lockstep, but those ignored on entry: an ignored signal
 * stays ignored (nohup, a background job's SIGINT). */
void sigend_add(sigset_t *set);
/* Whether a signal that ends lockstep is pending (blocked and not read yet). */
bool sigend_pending(void);

#endif
