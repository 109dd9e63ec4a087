/*
 * prim.h — the real synchronization primitives a scenario's resources become.
 *
 * Every resource gets a prim_res in one shared-memory region (MAP_SHARED), and every pthread
 * object in it is PTHREAD_PROCESS_SHARED (mutexes also robust when the scenario has process
 * actors), so the same code serves thread actors now and process actors forked later. This module
 * is only the mechanics — try, wait with an optional deadline, give back; the interpreter
 * (interp.c) publishes the events around each call in causal order (a release before the real
 * release, an acquire after the real acquire).
 *
 * Deadlines are absolute CLOCK_MONOTONIC times; NULL waits for ever.
 */
#ifndef LOCKSTEP_ENGINE_PRIM_H
#define LOCKSTEP_ENGINE_PRIM_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "scenario/scenario.h"

/* What a primitive call came to. */
enum {
        PRIM_OK = 0,
        PRIM_BUSY,     /* a try did not succeed */
        PRIM_TIMEOUT,  /* the deadline passed */
        PRIM_NOT_HELD, /* release or wait without holding the lock */
        PRIM_SELF,     /* acquiring a (non-reentrant) lock the caller already holds */
        PRIM_OVER,     /* bounded semaphore released too many times */
};

/* A lock as lockstep sees it: the real mutex and who holds it (written only by the holder). */
typedef struct prim_lock {
        pthread_mutex_t mu;
        int holder; /* actor number, -1 free; atomic: prim_lock_holder */
        int depth;  /* rlock recursion */
        bool reentrant;
} prim_lock;

typedef struct prim_res {
        sc_res_type type;
        prim_lock lock; /* lock, rlock, condition's own lock */
        /* semaphore: the real semaphore, plus its count kept under `mu` for the events */
        sem_t sem;
        int64_t count, initial;
        /* event, condition, barrier, queue, join: a mutex and condition variable */
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool flag;   /* event: set */
        int waiting; /* barrier: arrivals */
        /* condition: the waiters in the order they began to wait (FIFO). A notify takes them
         * from the front and marks each one's prim_actor.notified, so a thread that starts
         * waiting later can never take a wake-up meant for another. */
        int waitq[SC_MAX_ACTORS + 1];
        int nwait;
        uint64_t generation; /* barrier */
        int parties;
} prim_res;

/* Per actor: whether it has finished, for join (shared so a process's end is seen too). */
typedef struct prim_actor {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool started, done;
        bool notified; /* condition wait: a notify chose this actor (under the condition's mu) */
        bool arrived;  /* step mode: reached its first gate (the starter waits for it) */
} prim_actor;

typedef struct prim_region {
        size_t bytes;
        int nres, nactors;
        pthread_mutex_t memory; /* statement atomicity for shared memory (var, list, dict...) */
        prim_res *res;
        prim_actor *actors;
} prim_region;

/* Maps and initializes the region for SC (NACTORS counts main too). NULL with errno on error. */
prim_region *prim_create(const scenario *sc, int nactors);
void prim_destroy(prim_region *r);

/* Absolute deadline SECONDS from now, into *TS. */
void prim_deadline(double seconds, struct timespec *ts);

/* Who holds L (-1: nobody). Read by any thread, so atomically; only the holder's own answer
 * ("me") is stable. */
int prim_lock_holder(const prim_lock *l);
int prim_lock_try(prim_lock *l, int me);
int prim_lock_wait(prim_lock *l, int me, const struct timespec *deadline);
int prim_lock_release(prim_lock *l, int me);
/* Gives the lock up entirely (all rlock levels) and returns the depth, for condition waits. */
int prim_lock_release_all(prim_lock *l, int me);

int prim_sem_try(prim_res *r);
int prim_sem_wait(prim_res *r, const struct timespec *deadline);
/* After a successful try/wait: count the permit taken; returns the count left. Under r->mu. */
int64_t prim_sem_taken(prim_res *r);

void prim_mutex_lock(pthread_mutex_t *mu);
/* Waits on CV (with MU held) until the deadline; PRIM_OK or PRIM_TIMEOUT. */
int prim_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *deadline);

#endif
