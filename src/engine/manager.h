/*
 * manager.h — multiprocessing.Manager: a server process that owns every "via": "manager" list
 * and dict of a run.
 *
 * The runner starts the server before anything else forks, so every process of the run inherits
 * the socket to it. Each read of such a resource is a request and a reply carrying the value
 * (store_encode), each write a request carrying the new value: the real cost of a Manager, paid on
 * every access (`scenarios/classics/manager-vs-value.json` measures it). The store (store.h) is the
 * only client; requests are one at a time (a process-shared mutex), each from any thread of any
 * process of the run.
 */
#ifndef LOCKSTEP_ENGINE_MANAGER_H
#define LOCKSTEP_ENGINE_MANAGER_H

#include <sys/types.h>

#include "scenario/scenario.h"
#include "scenario/value.h"
#include "util/strbuf.h"

typedef struct manager manager;

/* Forks the server with the initial value of every manager resource of SC; NULL when SC has
 * none. Call before any thread starts. */
manager *manager_start(const scenario *sc);
/* Resource K's value, from the server: a new reference. */
value manager_get(manager *m, int k);
/* Sets resource K to V (taken) in the server. */
void manager_set(manager *m, int k, value v);
/* Changes resource K in the server without moving it: MANAGER_APPEND appends ITEM,
 * MANAGER_SET_ITEM sets item INDEX to ITEM, MANAGER_POP pops item INDEX (an int) into *POPPED.
 * ITEM is taken, INDEX borrowed. 0 with the new contents' repr (store_repr) appended to REPR, or
 * -1 with a message in ERR. */
enum { MANAGER_APPEND = 3, MANAGER_SET_ITEM, MANAGER_POP };
int manager_update(manager *m, int k, int op, value index, value item, value *popped, strbuf *repr,
                   char *err, size_t errlen);
/* The server's process. It runs on the CPU of the client it answers: a client stays on its CPU
 * for the exchange (then may go anywhere the run may), so a request and its reply are two switches
 * on one CPU instead of two wake-ups of another (docs/performance.md, "The manager"). */
pid_t manager_pid(const manager *m);
/* The runner, at the end of the run: stops the server and waits for it. NULL is fine. */
void manager_stop(manager *m);
/* The runner's watch on the server (pidwatch.h), once the fork server is forked: that fork must
 * copy a runner with no thread but the caller. NULL: nothing. */
void manager_watch(manager *m);
/* A process of the run other than the runner, at its end: lets go of its side (NULL is fine). */
void manager_free(manager *m);

#endif
