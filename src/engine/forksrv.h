/*
 * forksrv.h — the fork server: a single-threaded process that forks every process actor.
 *
 * fork() in a process that runs threads copies only the calling thread, and with it whatever
 * locks the other threads held at that moment (the allocator's, stdio's). So, as Python's
 * `forkserver` start method does, the runner forks one helper before it starts any thread, and
 * every process actor is forked from that helper, which never runs a thread: a request (an actor
 * number and the starter's memory, encoded) goes over a socket, and the child is a clean copy
 * that restores the memory and runs the actor. The server is also the parent of every process
 * actor: it reaps each one as it ends and reports one that died without its last word. Its
 * children die with it (PR_SET_PDEATHSIG), and it dies with the runner.
 */
#ifndef LOCKSTEP_ENGINE_FORKSRV_H
#define LOCKSTEP_ENGINE_FORKSRV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/pidwatch.h"

typedef struct forksrv_ops {
        void *ctx;
        /* In the new child: become process actor TARGET, with the starter's memory DATA; never
         * returns. */
        void (*child)(void *ctx, int target, const char *data, size_t len);
        /* In the server: process actor TARGET (pid PID) ended with wait status STATUS. True:
         * fork TARGET again with the same memory (a pool worker killed from outside is
         * replaced). */
        bool (*reaped)(void *ctx, int target, pid_t pid, int status);
} forksrv_ops;

typedef struct forksrv {
        pid_t pid;
        int fd;              /* the requests' end, inherited by every process of the run */
        pthread_mutex_t *mu; /* process-shared: one request at a time */
        /* The runner's watch on the server: one that dies before forksrv_stop (killed from
         * outside) took every process actor with it and left nobody to say so; the runner then
         * exits with ENGINE_EXIT_FORKSRV, which the session names. */
        pidwatch watch;
} forksrv;

/* Forks the server (the caller must not run other threads yet). MU is a process-shared mutex
 * that serializes requests. 0, or -1 with errno. */
int forksrv_start(forksrv *fs, const forksrv_ops *ops, pthread_mutex_t *mu);
/* From any thread of any process of the run: fork for TARGET (an actor number, or below -1 a
 * pool worker: see pool.h) with memory DATA. */
void forksrv_request(forksrv *fs, int target, const char *data, size_t len);
/* The runner, once every process actor has finished: ends the server and waits for it (it waits
 * for its children first). */
void forksrv_stop(forksrv *fs);

#endif
