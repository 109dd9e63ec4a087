/*
 * pidwatch.h — a watch on a helper process of the runner (the fork server, the manager's
 * server): a thread that waits for the helper's end on a pidfd and, unless the run is ending it
 * itself, ends the runner with a status the session names.
 *
 * A helper killed from outside leaves the run unable to go on (no process actor can be reaped or
 * started; no manager's dict can be read) and nobody else to say so. The thread blocks every
 * signal, as the engine's threads do. On a kernel without pidfds (before 5.3) there is no watch.
 */
#ifndef LOCKSTEP_ENGINE_PIDWATCH_H
#define LOCKSTEP_ENGINE_PIDWATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct pidwatch {
        int pidfd;     /* -1: no watch */
        int status;    /* the runner's _exit status when the helper dies first */
        bool watching; /* the thread runs */
        bool stopping; /* atomic: the helper's end is the run's own */
        pthread_t thread;
} pidwatch;

/* Watches PID, a child of the caller: when it ends before pidwatch_stopping, the caller's
 * process exits with STATUS at once. */
void pidwatch_start(pidwatch *w, pid_t pid, int status);
/* Whether the watch runs (a process forked since may leave its end to the watch). */
bool pidwatch_on(const pidwatch *w);
/* The helper is about to be ended by the run itself: its end is no longer a fault. */
void pidwatch_stopping(pidwatch *w);
/* After the helper has ended (pidwatch_stopping first): the thread joined, the pidfd closed. */
void pidwatch_end(pidwatch *w);

#endif
