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
#include <sys/types.h>
#include <time.h>

#include "engine/stream.h"
#include "scenario/scenario.h"

/* What a primitive call came to. */
enum {
        PRIM_OK = 0,
        PRIM_BUSY,     /* a try did not succeed */
        PRIM_TIMEOUT,  /* the deadline passed */
        PRIM_NOT_HELD, /* release of a lock nobody holds, or of an rlock another actor holds */
        PRIM_OVER,     /* bounded semaphore released too many times */
};

/* How a barrier wait ended (prim_actor.barrier). */
enum { PRIM_BARRIER_WAITING, PRIM_BARRIER_TRIPPED, PRIM_BARRIER_BROKEN, PRIM_BARRIER_RESET };

/*
 * A lock as Python has it. Not a pthread mutex, because a threading.Lock may be released by any
 * thread (the hand-off patterns of the Little Book of Semaphores rely on it), which a mutex
 * forbids; only an RLock belongs to its holder. The whole state is one futex word, changed by
 * compare-and-swap as glibc's mutex does: who holds the lock (or that a release is under way)
 * and a "contended" bit that a waiter sets before it sleeps, so that a release makes a system
 * call only when someone may be asleep. With `fifo`, a release hands the lock straight to the
 * longest waiter (`queue`), so nobody can take it in between; without (the default, as
 * CPython), a woken waiter competes with any thread that comes along (barging).
 */
typedef struct prim_lock {
        uint32_t word;       /* holder + 2 (1: free, 0: being released) | PRIM_CONTENDED */
        uint32_t wake;       /* fifo: futex word, bumped by every hand-off */
        int depth;           /* rlock recursion, written by its holder; a plain lock's stays 1 */
        bool reentrant;      /* rlock, and a condition's own lock */
        bool fifo;           /* hand-off to the longest waiter */
        pthread_mutex_t qmu; /* fifo: guards the queue */
        int queue[SC_MAX_ACTORS + 1];
        int nqueue;
} prim_lock;

/*
 * A condition variable between processes: a counter in shared memory that a broadcast bumps and
 * a waiter sleeps on (a futex), with the mutex given up meanwhile. glibc's process-shared
 * condition variable keeps its waiters' count inside it: a waiter killed from outside (a pool
 * worker, a process actor) never took itself out, and the next broadcast waited for it for
 * ever. Here a dead waiter leaves nothing behind. Zero is its initial state.
 */
typedef struct prim_cond {
        uint32_t seq;
} prim_cond;

typedef struct prim_res {
        sc_res_type type;
        prim_lock lock; /* lock, rlock, condition's own lock */
        /* semaphore: the real semaphore, plus its count kept under `mu` for the events. With
         * fifo, no sem_t: under `mu`, a release while actors wait (`waitq`) hands its permit to
         * the longest waiter (`handed`); `reserved` permits are counted but spoken for. */
        sem_t sem;
        int64_t count, initial;
        int64_t reserved;
        bool fifo;
        bool handed[SC_MAX_ACTORS + 1];
        /* event, condition, barrier, queue, join: a mutex and condition variable */
        pthread_mutex_t mu;
        prim_cond cv;
        bool flag;     /* event: set */
        uint64_t sets; /* event: how many times it was set (a waiter wakes on any set) */
        int waiting;   /* barrier: arrivals */
        int sleepers;  /* queue: actors waiting on cv for room or an item (under mu), so that a
                        * put or a get wakes them only when there are some */
        /* condition: the waiters in the order they began to wait (FIFO). A notify takes them
         * from the front and marks each one's prim_actor.notified, so a thread that starts
         * waiting later can never take a wake-up meant for another. Barrier: the round's
         * waiters. Semaphore with fifo: its waiters. */
        int waitq[SC_MAX_ACTORS + 1];
        int nwait;
        uint64_t generation; /* barrier */
        int parties;
        bool broken; /* barrier: a wait timed out, or abort (until reset) */
        /* pipe: one sender and one receiver at a time at each end (a message is written and
         * read whole), and which ends were closed */
        pthread_mutex_t sendmu[2], recvmu[2];
        bool closed[2];
} prim_res;

/* Per actor: whether it has finished, for join (shared so a process's end is seen too). */
typedef struct prim_actor {
        pthread_mutex_t mu;
        prim_cond cv;
        bool started, done;
        bool notified; /* condition wait: a notify chose this actor (under the condition's mu) */
        int barrier;   /* barrier wait: how it ended (PRIM_BARRIER_*, under the barrier's mu) */
        bool arrived;  /* step mode: reached its first gate (the starter waits for it) */
        pid_t pid;     /* the process it runs in, once started */
        bool said;     /* published its last word (EXIT or CRASH): the reaper need not */
        /* Live: its START comes after what its starter's ring (start_ring) had written then. */
        int start_ring;
        uint64_t start_mark;
} prim_actor;

typedef struct prim_region {
        size_t bytes;
        int nres, nactors;
        /* Statement atomicity for shared memory (var, list, dict...): prim_memory_lock. 0 free,
         * else the process id of its holder, | PRIM_MEMORY_WAITED when someone may wait */
        uint32_t memory;
        pthread_mutex_t forkmu; /* one request to the fork server at a time */
        int errors;             /* actors that raised an error or crashed, in any process */
        int asserts_failed;     /* in any process */
        prim_res *res;
        prim_actor *actors;
} prim_region;

/* Maps and initializes the region for SC (NACTORS counts main too); FIFO makes every lock and
 * semaphore hand itself to its longest waiter on release. NULL with errno on error. */
prim_region *prim_create(const scenario *sc, int nactors, bool fifo);
void prim_destroy(prim_region *r);

/* Absolute deadline SECONDS from now, into *TS. */
void prim_deadline(double seconds, struct timespec *ts);

/* Who holds L (-1: nobody, -2: a release is under way). Read by any thread, so atomically; only
 * the holder's own answer ("me") is stable. */
int prim_lock_holder(const prim_lock *l);
/* prim_lock.word's values (the holder + 2 above these), for the inline paths below. */
#define PRIM_LOCK_RELEASING 0u
#define PRIM_LOCK_FREE      1u
#define PRIM_LOCK_CONTENDED 0x80000000u

/* The out-of-line parts of the three below: an rlock, a lock being released, a fifo lock's
 * hand-off, a sleeper's wake-up. */
int prim_lock_try_slow(prim_lock *l, int me);
int prim_lock_unlocking_slow(prim_lock *l, int me);
void prim_lock_unlock_slow(prim_lock *l);
void prim_lock_wake(prim_lock *l);

/* Takes L if it is free (an rlock ME holds: one level more): PRIM_OK or PRIM_BUSY. A plain lock
 * ME holds is busy, as in Python (acquiring it again waits for someone to release it). Inline,
 * a plain lock's one compare-and-swap: a `with` takes one every iteration. With fifo, a lock
 * with waiters is never free: a release hands it on. */
static inline int prim_lock_try(prim_lock *l, int me)
{
        uint32_t free = PRIM_LOCK_FREE;

        if (l->reentrant)
                return prim_lock_try_slow(l, me);
        return __atomic_compare_exchange_n(&l->word, &free, (uint32_t)me + 2u, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
                   ? PRIM_OK
                   : PRIM_BUSY;
}
/* Live mode: waits for L until DEADLINE (NULL: for ever): PRIM_OK or PRIM_TIMEOUT. */
int prim_lock_wait(prim_lock *l, int me, const struct timespec *deadline);
/* Live, fifo: waits for L with ME in its queue already (prim_lock_block said PRIM_BUSY), as
 * prim_lock_wait. */
int prim_lock_wait_queued(prim_lock *l, int me, const struct timespec *deadline);
/* Step mode, where waiters wait at their gates, not here. prim_lock_block: ME is about to wait
 * for L (with fifo it joins the queue, or takes L if it is free: PRIM_OK). prim_lock_retry: ME
 * was granted a step while waiting: PRIM_OK once L is ME's (taken, or handed to it), else
 * PRIM_BUSY. prim_lock_unblock: ME gives up waiting (a timeout): PRIM_TIMEOUT, or PRIM_OK when
 * L was handed to it in the meantime (it then holds L). */
int prim_lock_block(prim_lock *l, int me);
int prim_lock_retry(prim_lock *l, int me);
int prim_lock_unblock(prim_lock *l, int me);
/* Releasing takes two calls, so that the RELEASED event goes out between them (before anyone
 * can take the lock): prim_lock_unlocking claims the release — PRIM_OK, or PRIM_NOT_HELD for a
 * lock nobody holds or an rlock another actor holds (a plain lock is released whoever holds it)
 * — and prim_lock_unlock completes it (one level of an rlock). */
static inline int prim_lock_unlocking(prim_lock *l, int me)
{
        uint32_t w = __atomic_load_n(&l->word, __ATOMIC_SEQ_CST);

        /* a plain lock held (by anyone), claimed at the first try; anything else out of line */
        if (!l->reentrant && (w & ~PRIM_LOCK_CONTENDED) > PRIM_LOCK_FREE &&
            __atomic_compare_exchange_n(&l->word, &w,
                                        PRIM_LOCK_RELEASING | (w & PRIM_LOCK_CONTENDED), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                return PRIM_OK;
        return prim_lock_unlocking_slow(l, me);
}
static inline void prim_lock_unlock(prim_lock *l)
{
        if (l->reentrant || l->fifo) {
                prim_lock_unlock_slow(l);
                return;
        }
        if (__atomic_exchange_n(&l->word, PRIM_LOCK_FREE, __ATOMIC_SEQ_CST) & PRIM_LOCK_CONTENDED)
                prim_lock_wake(l);
}
/* A plain lock without fifo hand-off released in one compare-and-swap, whoever holds it
 * (threading.Lock): PRIM_OK, or PRIM_NOT_HELD when nobody does (or another release claimed it). For
 * a caller that took its RELEASED event's place while the lock was held (actor_emit_begin), so
 * that no claim is needed to keep the event before the next acquire. */
static inline int prim_lock_release(prim_lock *l)
{
        uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

        while ((w & ~PRIM_LOCK_CONTENDED) > PRIM_LOCK_FREE)
                if (__atomic_compare_exchange_n(&l->word, &w, PRIM_LOCK_FREE, false,
                                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
                        if (w & PRIM_LOCK_CONTENDED)
                                prim_lock_wake(l);
                        return PRIM_OK;
                }
        return PRIM_NOT_HELD;
}
/* Gives the lock ME holds up entirely (all rlock levels) and returns the depth, for condition
 * waits; -1 when ME does not hold it. */
int prim_lock_release_all(prim_lock *l, int me);

/* Semaphores, as locks: prim_sem_try takes a permit if one is free (with fifo: and nobody
 * waits); prim_sem_wait waits for one (live); prim_sem_block, prim_sem_retry and
 * prim_sem_unblock are step mode's (see prim_lock_block). ME is the actor. */
int prim_sem_try(prim_res *r, int me);
int prim_sem_wait(prim_res *r, int me, const struct timespec *deadline);
/* Live, fifo: waits for a permit with ME in the queue already (prim_sem_block said PRIM_BUSY), as
 * prim_sem_wait. */
int prim_sem_wait_queued(prim_res *r, int me, const struct timespec *deadline);
int prim_sem_block(prim_res *r, int me);
int prim_sem_retry(prim_res *r, int me);
int prim_sem_unblock(prim_res *r, int me);
/* After a successful try/wait: count the permit taken; returns the count left. Under r->mu. */
int64_t prim_sem_taken(prim_res *r);
/* A release, under r->mu, after r->count++: the permit goes to the longest waiter (fifo) or
 * back to the semaphore. */
void prim_sem_post(prim_res *r);

/* prim_mutex_lock after its try said RC (not 0): a dead owner's mutex taken over, or a wait. */
void prim_mutex_lock_slow(pthread_mutex_t *mu, int rc);
/* Locks MU, taking it over from an owner that died (robust), our events flushed before any
 * wait. Inline: a queue's every put and get takes its mutex, nearly always at the first try. */
static inline void prim_mutex_lock(pthread_mutex_t *mu)
{
        int rc = pthread_mutex_trylock(mu);

        if (rc != 0)
                prim_mutex_lock_slow(mu, rc);
}
/* Waits on CV (with MU held) until a broadcast or the deadline (absolute, CLOCK_MONOTONIC);
 * PRIM_OK or PRIM_TIMEOUT; it may wake for nothing (callers wait in a loop on their state). */
int prim_cond_wait(prim_cond *cv, pthread_mutex_t *mu, const struct timespec *deadline);
/* Wakes every waiter on CV (with its mutex held, so that none misses it). */
void prim_cond_broadcast(prim_cond *cv);

/*
 * The memory lock (statement atomicity): a futex word (as glibc's normal mutex, Drepper's "mutex3"
 * in "Futexes Are Tricky") taken with one compare-and-swap and given back with one exchange,
 * inline: the interpreter takes it in nearly every statement; waiting and waking out of line. The
 * word holds the holder's process id (ME, never 0: getpid() of the process the actor runs in), so
 * that when a process dies holding it — killed from outside, or by a thread's crash — whoever
 * reaps it gives it back (prim_memory_owner_died), as a robust mutex would be, without glibc's
 * robust list at every take and give.
 */
#define PRIM_MEMORY_WAITED 0x80000000u
void prim_memory_wait(prim_region *r, uint32_t me);
void prim_memory_wake(prim_region *r);
static inline void prim_memory_lock(prim_region *r, uint32_t me)
{
        uint32_t free = 0;

        if (!__atomic_compare_exchange_n(&r->memory, &free, me, false, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
                prim_memory_wait(r, me);
}
static inline void prim_memory_unlock(prim_region *r)
{
        if (__atomic_exchange_n(&r->memory, 0, __ATOMIC_RELEASE) & PRIM_MEMORY_WAITED)
                prim_memory_wake(r);
}
/* Process PID died (its reaper says so, before any process of the run can be given its id
 * again): if it held the memory lock, the lock is free again and its waiters woken. What the
 * holder was changing may be half done, as after a robust mutex's EOWNERDEAD. Returns whether it
 * held it. */
bool prim_memory_owner_died(prim_region *r, pid_t pid);

#endif
