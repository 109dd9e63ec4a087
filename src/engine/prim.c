/*
 * prim.c — real synchronization primitives in shared memory; see prim.h.
 */
#include "prim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/xalloc.h"

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

static void init_cond(pthread_cond_t *cv)
{
        pthread_condattr_t a;

        pthread_condattr_init(&a);
        pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        if (pthread_cond_init(cv, &a) != 0)
                xdie("pthread_cond_init failed");
        pthread_condattr_destroy(&a);
}

prim_region *prim_create(const scenario *sc, int nactors)
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
        init_mutex(&r->memory, PTHREAD_MUTEX_NORMAL, robust);
        for (int k = 0; k < sc->nresources; k++) {
                const sc_resource *s = &sc->resources[k];
                prim_res *p = &r->res[k];

                p->type = s->type;
                /* A condition without a lock of its own name uses an RLock, as Python does. */
                p->lock.reentrant = s->type == SC_RLOCK || s->type == SC_CONDITION;
                /* A plain lock spins a little before sleeping (glibc's adaptive mutex); holding it
                 * twice is caught by prim_lock_try/prim_lock_wait, not by the mutex type. */
                init_mutex(&p->lock.mu,
                           p->lock.reentrant ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ADAPTIVE_NP,
                           robust);
                p->lock.holder = -1;
                init_mutex(&p->mu, PTHREAD_MUTEX_NORMAL, robust);
                init_cond(&p->cv);
                if (s->type == SC_SEMAPHORE || s->type == SC_BOUNDED_SEMAPHORE) {
                        if (sem_init(&p->sem, 1, (unsigned)s->count) != 0)
                                xdie("sem_init failed");
                        p->count = p->initial = s->count;
                }
                if (s->type == SC_BARRIER)
                        p->parties = (int)s->count;
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

int prim_lock_holder(const prim_lock *l)
{
        return __atomic_load_n(&l->holder, __ATOMIC_ACQUIRE);
}

void prim_mutex_lock(pthread_mutex_t *mu)
{
        if (checked(mu, pthread_mutex_lock(mu)) != 0)
                xdie("pthread_mutex_lock failed");
}

int prim_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *deadline)
{
        int rc = deadline ? pthread_cond_timedwait(cv, mu, deadline) : pthread_cond_wait(cv, mu);

        rc = checked(mu, rc);
        return rc == ETIMEDOUT ? PRIM_TIMEOUT : PRIM_OK;
}

static int lock_result(prim_lock *l, int me, int rc)
{
        rc = checked(&l->mu, rc);
        if (rc == 0) {
                __atomic_store_n(&l->holder, me, __ATOMIC_RELEASE);
                l->depth++;
                return PRIM_OK;
        }
        if (rc == EDEADLK)
                return PRIM_SELF;
        if (rc == ETIMEDOUT)
                return PRIM_TIMEOUT;
        return PRIM_BUSY;
}

int prim_lock_try(prim_lock *l, int me)
{
        /* An error-checking mutex does not report a relock on trylock: check it ourselves. */
        if (!l->reentrant && prim_lock_holder(l) == me)
                return PRIM_SELF;
        return lock_result(l, me, pthread_mutex_trylock(&l->mu));
}

int prim_lock_wait(prim_lock *l, int me, const struct timespec *deadline)
{
        if (!l->reentrant && prim_lock_holder(l) == me)
                return PRIM_SELF;
        int rc = deadline ? pthread_mutex_clocklock(&l->mu, CLOCK_MONOTONIC, deadline)
                          : pthread_mutex_lock(&l->mu);

        return lock_result(l, me, rc);
}

int prim_lock_release(prim_lock *l, int me)
{
        if (prim_lock_holder(l) != me || l->depth <= 0)
                return PRIM_NOT_HELD;
        if (--l->depth == 0)
                __atomic_store_n(&l->holder, -1, __ATOMIC_RELEASE);
        if (pthread_mutex_unlock(&l->mu) != 0)
                xdie("pthread_mutex_unlock failed");
        return PRIM_OK;
}

int prim_lock_release_all(prim_lock *l, int me)
{
        int depth = l->depth;

        if (prim_lock_holder(l) != me || depth <= 0)
                return -1;
        /* Count from what we saw while holding it: after the last unlock, l belongs to others. */
        for (int k = 0; k < depth; k++)
                prim_lock_release(l, me);
        return depth;
}

int prim_sem_try(prim_res *r)
{
        return sem_trywait(&r->sem) == 0 ? PRIM_OK : PRIM_BUSY;
}

int prim_sem_wait(prim_res *r, const struct timespec *deadline)
{
        int rc;

        do
                rc = deadline ? sem_clockwait(&r->sem, CLOCK_MONOTONIC, deadline)
                              : sem_wait(&r->sem);
        while (rc != 0 && errno == EINTR);
        if (rc == 0)
                return PRIM_OK;
        return errno == ETIMEDOUT ? PRIM_TIMEOUT : PRIM_BUSY;
}

int64_t prim_sem_taken(prim_res *r)
{
        return --r->count;
}
