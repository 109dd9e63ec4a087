/*
 * prim.c — real synchronization primitives in shared memory; see prim.h.
 */
#include "prim.h"

#include "stream.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/xalloc.h"

/* prim_lock.word: the holder + 2, so that "free" and "being released" are small numbers too. */
#define FREE        PRIM_LOCK_FREE
#define RELEASING   PRIM_LOCK_RELEASING
#define CONTENDED   PRIM_LOCK_CONTENDED
#define HOLDER(w)   ((int)((w) & ~CONTENDED) - 2)
#define WORD(actor) ((uint32_t)(actor) + 2u)
#define SPINS       100 /* looks at a taken lock before sleeping (glibc's adaptive mutex) */

/* Robust mutexes (a process that dies holding one does not hang the others) cost a slower path
 * in every lock and unlock, so they are used only when the scenario has process actors. */
static void init_mutex(pthread_mutex_t *mu, int type, bool robust)
{
        pthread_mutexattr_t a;

        pthread_mutexattr_init(&a);
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        if (robust)
                pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        pthread_mutexattr_settype(&a, type);
        if (pthread_mutex_init(mu, &a) != 0)
                xdie("pthread_mutex_init failed");
        pthread_mutexattr_destroy(&a);
}

static void init_cond(prim_cond *cv)
{
        __atomic_store_n(&cv->seq, 0, __ATOMIC_RELAXED);
}

prim_region *prim_create(const scenario *sc, int nactors, bool fifo)
{
        size_t bytes = sizeof(prim_region) + sizeof(prim_res) * (size_t)sc->nresources +
                       sizeof(prim_actor) * (size_t)nactors;
        prim_region *r =
            mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

        bool robust = false;

        if (r == MAP_FAILED)
                return NULL;
        memset(r, 0, bytes);
        r->bytes = bytes;
        r->nres = sc->nresources;
        r->nactors = nactors;
        r->res = (prim_res *)(r + 1);
        r->actors = (prim_actor *)(r->res + sc->nresources);
        for (int k = 0; k < sc->nactors; k++)
                robust |= sc->actors[k].kind == SC_PROCESS;
        init_mutex(&r->forkmu, PTHREAD_MUTEX_NORMAL, robust);
        for (int k = 0; k < sc->nresources; k++) {
                const sc_resource *s = &sc->resources[k];
                prim_res *p = &r->res[k];

                p->type = s->type;
                /* A condition without a lock of its own name uses an RLock, as Python does. */
                p->lock.reentrant = s->type == SC_RLOCK || s->type == SC_CONDITION;
                p->lock.fifo = fifo;
                p->lock.word = FREE;
                p->lock.depth = p->lock.reentrant ? 0 : 1;
                init_mutex(&p->lock.qmu, PTHREAD_MUTEX_NORMAL, robust);
                init_mutex(&p->mu, PTHREAD_MUTEX_NORMAL, robust);
                init_cond(&p->cv);
                if (s->type == SC_SEMAPHORE || s->type == SC_BOUNDED_SEMAPHORE) {
                        if (sem_init(&p->sem, 1, (unsigned)s->count) != 0)
                                xdie("sem_init failed");
                        p->count = p->initial = s->count;
                        p->fifo = fifo;
                }
                if (s->type == SC_BARRIER)
                        p->parties = (int)s->count;
                if (s->type == SC_PIPE)
                        for (int e = 0; e < 2; e++) {
                                init_mutex(&p->sendmu[e], PTHREAD_MUTEX_NORMAL, robust);
                                init_mutex(&p->recvmu[e], PTHREAD_MUTEX_NORMAL, robust);
                        }
        }
        for (int k = 0; k < nactors; k++) {
                init_mutex(&r->actors[k].mu, PTHREAD_MUTEX_NORMAL, robust);
                init_cond(&r->actors[k].cv);
        }
        return r;
}

void prim_destroy(prim_region *r)
{
        if (r != NULL)
                munmap(r, r->bytes);
}

void prim_deadline(double seconds, struct timespec *ts)
{
        double whole;
        double frac;

        clock_gettime(CLOCK_MONOTONIC, ts);
        if (seconds < 0)
                seconds = 0;
        if (seconds > 1e9)
                seconds = 1e9;
        frac = modf(seconds, &whole);
        ts->tv_sec += (time_t)whole;
        ts->tv_nsec += (long)(frac * 1e9);
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
}

/* A robust mutex whose owner died comes back as EOWNERDEAD: take it over. */
static int checked(pthread_mutex_t *mu, int rc)
{
        if (rc == EOWNERDEAD) {
                pthread_mutex_consistent(mu);
                return 0;
        }
        return rc;
}

void prim_mutex_lock_slow(pthread_mutex_t *mu, int rc)
{
        if (checked(mu, rc) == 0)
                return;
        /* About to wait, maybe for a holder that waits for the stream: our events go out first. */
        stream_flush();
        if (checked(mu, pthread_mutex_lock(mu)) != 0)
                xdie("pthread_mutex_lock failed");
}

static int futex_wait_rc(uint32_t *word, uint32_t seen, const struct timespec *deadline);

int prim_cond_wait(prim_cond *cv, pthread_mutex_t *mu, const struct timespec *deadline)
{
        /* read under the mutex: a broadcast after it (under the mutex too) changes the counter,
         * and the futex then does not sleep */
        uint32_t seen = __atomic_load_n(&cv->seq, __ATOMIC_ACQUIRE);
        int rc;

        pthread_mutex_unlock(mu);
        rc = futex_wait_rc(&cv->seq, seen, deadline);
        prim_mutex_lock(mu);
        return rc == ETIMEDOUT ? PRIM_TIMEOUT : PRIM_OK;
}

void prim_cond_broadcast(prim_cond *cv)
{
        __atomic_add_fetch(&cv->seq, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &cv->seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- the memory lock ---- */

static void futex_wait(uint32_t *word, uint32_t seen, const struct timespec *deadline);
static void futex_wake(uint32_t *word, int n);

void prim_memory_wait(prim_region *r, uint32_t me)
{
        /* Taken: say that we wait (the flag) and sleep until it is given back; the one who finds
         * it free after a wait leaves the flag behind, as another may wait still (a wake-up too
         * many at worst). futex_wait makes our events visible first: the holder may wait for the
         * stream. */
        for (;;) {
                uint32_t w = __atomic_load_n(&r->memory, __ATOMIC_RELAXED);

                if (w == 0) {
                        if (__atomic_compare_exchange_n(&r->memory, &w, me | PRIM_MEMORY_WAITED,
                                                        false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                                return;
                        continue;
                }
                if (!(w & PRIM_MEMORY_WAITED) &&
                    !__atomic_compare_exchange_n(&r->memory, &w, w | PRIM_MEMORY_WAITED, false,
                                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                        continue;
                futex_wait(&r->memory, w | PRIM_MEMORY_WAITED, NULL);
        }
}

void prim_memory_wake(prim_region *r)
{
        futex_wake(&r->memory, 1);
}

bool prim_memory_owner_died(prim_region *r, pid_t pid)
{
        uint32_t w = __atomic_load_n(&r->memory, __ATOMIC_ACQUIRE);

        while (pid > 0 && (w & ~PRIM_MEMORY_WAITED) == (uint32_t)pid)
                if (__atomic_compare_exchange_n(&r->memory, &w, 0, false, __ATOMIC_RELEASE,
                                                __ATOMIC_ACQUIRE)) {
                        futex_wake(&r->memory, INT_MAX);
                        return true;
                }
        return false;
}

/* ---- locks ---------------------------------------------------------------------------------- */

/* Not FUTEX_PRIVATE: the lock may be shared with forked processes. A deadline is absolute on
 * CLOCK_MONOTONIC (FUTEX_WAIT_BITSET). */
static void futex_wait(uint32_t *word, uint32_t seen, const struct timespec *deadline)
{
        futex_wait_rc(word, seen, deadline);
}

/* futex_wait, saying how it ended: 0, or ETIMEDOUT, EAGAIN (WORD was not SEEN), EINTR. */
static int futex_wait_rc(uint32_t *word, uint32_t seen, const struct timespec *deadline)
{
        stream_flush();
        return syscall(SYS_futex, word, FUTEX_WAIT_BITSET, seen, deadline, NULL,
                       FUTEX_BITSET_MATCH_ANY) < 0
                   ? errno
                   : 0;
}

static void futex_wake(uint32_t *word, int n)
{
        syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
}

static bool cas(uint32_t *word, uint32_t from, uint32_t to)
{
        return __atomic_compare_exchange_n(word, &from, to, false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
}

static uint32_t load(const uint32_t *word)
{
        return __atomic_load_n(word, __ATOMIC_SEQ_CST);
}

static bool expired(const struct timespec *deadline)
{
        struct timespec now;

        if (deadline == NULL)
                return false;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return now.tv_sec > deadline->tv_sec ||
               (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* ME took L (free until now): an rlock starts its count. */
static int took(prim_lock *l)
{
        if (l->reentrant)
                l->depth = 1;
        return PRIM_OK;
}

static bool queued(const prim_lock *l, int me)
{
        for (int k = 0; k < l->nqueue; k++)
                if (l->queue[k] == me)
                        return true;
        return false;
}

static void dequeue(prim_lock *l, int me)
{
        for (int k = 0; k < l->nqueue; k++)
                if (l->queue[k] == me) {
                        memmove(&l->queue[k], &l->queue[k + 1],
                                sizeof(int) * (size_t)(l->nqueue - k - 1));
                        l->nqueue--;
                        return;
                }
}

int prim_lock_holder(const prim_lock *l)
{
        return HOLDER(load(&l->word));
}

int prim_lock_try_slow(prim_lock *l, int me)
{
        if (l->reentrant && prim_lock_holder(l) == me) {
                l->depth++;
                return PRIM_OK;
        }
        /* With fifo, a lock with waiters is never free: a release hands it on. */
        return cas(&l->word, FREE, WORD(me)) ? took(l) : PRIM_BUSY;
}

int prim_lock_block(prim_lock *l, int me)
{
        int rc = PRIM_BUSY;

        if (!l->fifo)
                return prim_lock_try(l, me);
        prim_mutex_lock(&l->qmu);
        if (cas(&l->word, FREE, WORD(me)))
                rc = took(l);
        else if (!queued(l, me))
                l->queue[l->nqueue++] = me;
        pthread_mutex_unlock(&l->qmu);
        return rc;
}

int prim_lock_retry(prim_lock *l, int me)
{
        bool mine;

        if (!l->fifo)
                return prim_lock_try(l, me);
        /* Handed over: out of the queue, and the holder (of a plain lock it may have held
         * already, for ME can wait for a lock it holds itself). */
        prim_mutex_lock(&l->qmu);
        mine = !queued(l, me) && prim_lock_holder(l) == me;
        pthread_mutex_unlock(&l->qmu);
        return mine ? took(l) : PRIM_BUSY;
}

int prim_lock_unblock(prim_lock *l, int me)
{
        int rc = PRIM_TIMEOUT;

        if (!l->fifo)
                return PRIM_TIMEOUT;
        prim_mutex_lock(&l->qmu);
        if (queued(l, me))
                dequeue(l, me);
        else if (prim_lock_holder(l) == me)
                rc = took(l); /* handed over just before the timeout */
        pthread_mutex_unlock(&l->qmu);
        return rc;
}

/* Live, fifo: in the queue until a release hands L over (which bumps `wake`, never back to a
 * value a sleeper saw: no ABA). */
static int wait_fifo(prim_lock *l, int me, const struct timespec *deadline)
{
        if (prim_lock_block(l, me) == PRIM_OK)
                return PRIM_OK;
        return prim_lock_wait_queued(l, me, deadline);
}

int prim_lock_wait_queued(prim_lock *l, int me, const struct timespec *deadline)
{
        for (;;) {
                uint32_t seen = load(&l->wake);

                if (prim_lock_retry(l, me) == PRIM_OK)
                        return PRIM_OK;
                if (expired(deadline))
                        return prim_lock_unblock(l, me);
                futex_wait(&l->wake, seen, deadline);
        }
}

int prim_lock_wait(prim_lock *l, int me, const struct timespec *deadline)
{
        if (prim_lock_try(l, me) == PRIM_OK)
                return PRIM_OK;
        if (l->fifo)
                return wait_fifo(l, me, deadline);
        for (int k = 0; k < SPINS; k++)
                if (load(&l->word) == FREE && cas(&l->word, FREE, WORD(me)))
                        return took(l);
        /*
         * As glibc's mutex: a sleeper sleeps only on a word with CONTENDED set, and a release
         * that clears it wakes one sleeper, which takes the lock as contended (there may be
         * others) or sets the bit again before it sleeps. So while anyone sleeps the bit is set,
         * and the release that follows wakes someone.
         */
        for (;;) {
                uint32_t w = load(&l->word);

                if (w == FREE || w == (FREE | CONTENDED)) {
                        if (cas(&l->word, w, WORD(me) | CONTENDED))
                                return took(l);
                        continue;
                }
                if (!(w & CONTENDED) && !cas(&l->word, w, w | CONTENDED))
                        continue;
                if (expired(deadline))
                        return PRIM_TIMEOUT;
                futex_wait(&l->word, w | CONTENDED, deadline);
        }
}

int prim_lock_unlocking_slow(prim_lock *l, int me)
{
        uint32_t w;

        if (l->reentrant)
                return prim_lock_holder(l) == me && l->depth > 0 ? PRIM_OK : PRIM_NOT_HELD;
        /* Whoever holds a plain lock, one release claims it: a second one finds it free (or
         * being released). */
        do
                w = load(&l->word);
        while (HOLDER(w) >= 0 && !cas(&l->word, w, RELEASING | (w & CONTENDED)));
        return HOLDER(w) >= 0 ? PRIM_OK : PRIM_NOT_HELD;
}

void prim_lock_wake(prim_lock *l)
{
        futex_wake(&l->word, 1);
}

void prim_lock_unlock_slow(prim_lock *l)
{
        if (l->reentrant && --l->depth > 0)
                return;
        if (l->fifo) {
                bool handed = false;

                prim_mutex_lock(&l->qmu);
                if (l->nqueue > 0) {
                        int next = l->queue[0];

                        dequeue(l, next);
                        __atomic_store_n(&l->word, WORD(next), __ATOMIC_SEQ_CST);
                        handed = true;
                } else {
                        __atomic_store_n(&l->word, FREE, __ATOMIC_SEQ_CST);
                }
                pthread_mutex_unlock(&l->qmu);
                /* every sleeper: the one it was handed to must see it */
                if (handed) {
                        __atomic_add_fetch(&l->wake, 1, __ATOMIC_SEQ_CST);
                        futex_wake(&l->wake, INT_MAX);
                }
                return;
        }
        if (__atomic_exchange_n(&l->word, FREE, __ATOMIC_SEQ_CST) & CONTENDED)
                futex_wake(&l->word, 1);
}

int prim_lock_release_all(prim_lock *l, int me)
{
        int depth = l->depth;

        if (prim_lock_holder(l) != me || depth <= 0)
                return -1;
        /* Count from what we saw while holding it: after the last unlock, l belongs to others. */
        if (l->reentrant)
                l->depth = 1;
        if (prim_lock_unlocking(l, me) == PRIM_OK)
                prim_lock_unlock(l);
        return depth;
}

/* ---- semaphores ----------------------------------------------------------------------------- */

/* fifo: a permit nobody has a claim on, and nobody waiting before ME (under r->mu). */
static bool sem_free(const prim_res *r)
{
        return r->count - r->reserved > 0 && r->nwait == 0;
}

static void sem_enqueue(prim_res *r, int me)
{
        r->handed[me] = false;
        r->waitq[r->nwait++] = me;
}

static void sem_dequeue(prim_res *r, int me)
{
        for (int k = 0; k < r->nwait; k++)
                if (r->waitq[k] == me) {
                        memmove(&r->waitq[k], &r->waitq[k + 1],
                                sizeof(int) * (size_t)(r->nwait - k - 1));
                        r->nwait--;
                        return;
                }
}

int prim_sem_try(prim_res *r, int me)
{
        int rc = PRIM_BUSY;

        if (!r->fifo)
                return sem_trywait(&r->sem) == 0 ? PRIM_OK : PRIM_BUSY;
        prim_mutex_lock(&r->mu);
        if (sem_free(r)) {
                r->reserved++; /* ME's, until prim_sem_taken */
                rc = PRIM_OK;
        }
        pthread_mutex_unlock(&r->mu);
        return rc;
}

int prim_sem_block(prim_res *r, int me)
{
        int rc = PRIM_BUSY;

        if (!r->fifo)
                return prim_sem_try(r, me);
        prim_mutex_lock(&r->mu);
        if (sem_free(r)) {
                r->reserved++;
                rc = PRIM_OK;
        } else {
                sem_enqueue(r, me);
        }
        pthread_mutex_unlock(&r->mu);
        return rc;
}

int prim_sem_retry(prim_res *r, int me)
{
        bool mine;

        if (!r->fifo)
                return prim_sem_try(r, me);
        prim_mutex_lock(&r->mu);
        mine = r->handed[me];
        r->handed[me] = false;
        pthread_mutex_unlock(&r->mu);
        return mine ? PRIM_OK : PRIM_BUSY;
}

int prim_sem_unblock(prim_res *r, int me)
{
        int rc = PRIM_TIMEOUT;

        if (!r->fifo)
                return PRIM_TIMEOUT;
        prim_mutex_lock(&r->mu);
        if (r->handed[me]) {
                r->handed[me] = false;
                rc = PRIM_OK; /* handed over just before the timeout */
        } else {
                sem_dequeue(r, me);
        }
        pthread_mutex_unlock(&r->mu);
        return rc;
}

int prim_sem_wait(prim_res *r, int me, const struct timespec *deadline)
{
        int rc;

        if (!r->fifo) {
                /* About to wait, maybe for ever: our events go out first (as futex_wait's), or
                 * the front end never sees this wait, nor the deadlock it may be part of, and
                 * cannot merge past the versions in them either. */
                stream_flush();
                do
                        rc = deadline ? sem_clockwait(&r->sem, CLOCK_MONOTONIC, deadline)
                                      : sem_wait(&r->sem);
                while (rc != 0 && errno == EINTR);
                if (rc == 0)
                        return PRIM_OK;
                return errno == ETIMEDOUT ? PRIM_TIMEOUT : PRIM_BUSY;
        }
        if (prim_sem_block(r, me) == PRIM_OK)
                return PRIM_OK;
        return prim_sem_wait_queued(r, me, deadline);
}

int prim_sem_wait_queued(prim_res *r, int me, const struct timespec *deadline)
{
        int rc = PRIM_OK;

        prim_mutex_lock(&r->mu);
        while (!r->handed[me] && rc == PRIM_OK)
                rc = prim_cond_wait(&r->cv, &r->mu, deadline);
        pthread_mutex_unlock(&r->mu);
        /* handed over (perhaps just as the deadline passed), or out of the queue */
        return prim_sem_unblock(r, me);
}

int64_t prim_sem_taken(prim_res *r)
{
        if (r->fifo)
                r->reserved--;
        return --r->count;
}

void prim_sem_post(prim_res *r)
{
        if (!r->fifo) {
                sem_post(&r->sem);
                return;
        }
        if (r->nwait > 0) {
                int next = r->waitq[0];

                sem_dequeue(r, next);
                r->handed[next] = true;
                r->reserved++;
                prim_cond_broadcast(&r->cv);
        }
}
