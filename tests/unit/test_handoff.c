/*
 * test_handoff.c — what a release does (src/engine/prim.c): a threading.Lock released by any
 * thread, an rlock only by its holder, and the two hand-off modes — barging (the default, as
 * CPython: the freed lock goes to whoever takes it first, the releaser too) and fifo (it is
 * handed to the longest waiter, so nobody can take it in between).
 *
 * The memory lock (prim_memory_lock): a futex word that names its holder's process; it excludes,
 * a waiter is woken by the unlock, and a holder's process that died is given up by its reaper.
 *
 * Step mode's calls (prim_*_block, _retry, _unblock) never block, so one thread plays every
 * actor and the order is exact; the live waits are checked with real threads, each started
 * only once the previous one is seen queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/prim.h"
#include "fixture.h"
#include "scenario/scenario.h"

enum { A, B, C };

static const char text[] = "{\"lockstep\": 1, \"title\": \"H\", \"summary\": \"Hand-off.\",\n"
                           " \"resources\": {\"l\": {\"type\": \"lock\"}, \"r\": {\"type\": "
                           "\"rlock\"},\n"
                           "   \"s\": {\"type\": \"semaphore\", \"value\": 1}},\n"
                           " \"actors\": [{\"name\": \"A\", \"run\": [{\"sleep\": 0}]},\n"
                           "   {\"name\": \"B\", \"run\": [{\"sleep\": 0}]},\n"
                           "   {\"name\": \"C\", \"run\": [{\"sleep\": 0}]}]}\n";

typedef struct fixture {
        scenario *sc;
        prim_region *reg;
        prim_lock *l, *r;
        prim_res *s;
} fixture;

/* The same with B a process actor. */
static const char text_process[] =
    "{\"lockstep\": 1, \"title\": \"H\", \"summary\": \"Hand-off.\",\n"
    " \"resources\": {\"l\": {\"type\": \"lock\"}, \"r\": {\"type\": \"rlock\"},\n"
    "   \"s\": {\"type\": \"semaphore\", \"value\": 1}},\n"
    " \"actors\": [{\"name\": \"A\", \"run\": [{\"sleep\": 0}]},\n"
    "   {\"name\": \"B\", \"kind\": \"process\", \"run\": [{\"sleep\": 0}]},\n"
    "   {\"name\": \"C\", \"run\": [{\"sleep\": 0}]}]}\n";

static fixture setup_text(bool fifo, const char *src)
{
        scenario_options opt = { .cpu_count = 2 };
        fixture f = { 0 };

        f.sc = fixture_load_with(src, &opt);
        f.reg = prim_create(f.sc, f.sc->nactors + 1, fifo);
        assert_non_null(f.reg);
        f.l = &f.reg->res[scenario_find_resource(f.sc, "l")].lock;
        f.r = &f.reg->res[scenario_find_resource(f.sc, "r")].lock;
        f.s = &f.reg->res[scenario_find_resource(f.sc, "s")];
        return f;
}

static fixture setup(bool fifo)
{
        return setup_text(fifo, text);
}

static void teardown(fixture *f)
{
        prim_destroy(f->reg);
        scenario_free(f->sc);
}

static void release(prim_lock *l, int me)
{
        assert_int_equal(prim_lock_unlocking(l, me), PRIM_OK);
        prim_lock_unlock(l);
}

/* A plain lock is released by whoever: the holder need not be the releaser. */
static void test_release_by_another(void **state)
{
        fixture f = setup(false);

        (void)state;
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
        assert_int_equal(prim_lock_holder(f.l), A);
        release(f.l, B); /* B releases A's lock: legal for a threading.Lock */
        assert_int_equal(prim_lock_holder(f.l), -1);
        /* releasing a lock nobody holds is an error (RuntimeError in the engine) */
        assert_int_equal(prim_lock_unlocking(f.l, B), PRIM_NOT_HELD);
        assert_int_equal(prim_lock_unlocking(f.l, A), PRIM_NOT_HELD);
        /* an rlock belongs to its holder, level by level */
        assert_int_equal(prim_lock_try(f.r, A), PRIM_OK);
        assert_int_equal(prim_lock_try(f.r, A), PRIM_OK);
        assert_int_equal(f.r->depth, 2);
        assert_int_equal(prim_lock_try(f.r, B), PRIM_BUSY);
        assert_int_equal(prim_lock_unlocking(f.r, B), PRIM_NOT_HELD);
        release(f.r, A);
        assert_int_equal(prim_lock_holder(f.r), A);
        release(f.r, A);
        assert_int_equal(prim_lock_holder(f.r), -1);
        assert_int_equal(prim_lock_unlocking(f.r, A), PRIM_NOT_HELD);
        teardown(&f);
}

/* The inline paths of a plain lock's word (prim.h): a release keeps the contended bit until the
 * unlock (which wakes a sleeper, here none), a lock being released is neither free nor held,
 * and a contended free lock is not taken by the first try (the wait takes it, as before). */
static void test_lock_word(void **state)
{
        fixture f = setup(false);

        (void)state;
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
        assert_int_equal(f.l->word, (uint32_t)A + 2u);
        f.l->word |= PRIM_LOCK_CONTENDED; /* as a sleeper leaves it */
        assert_int_equal(prim_lock_try(f.l, B), PRIM_BUSY);
        assert_int_equal(prim_lock_unlocking(f.l, B), PRIM_OK);
        assert_int_equal(f.l->word, PRIM_LOCK_RELEASING | PRIM_LOCK_CONTENDED);
        assert_int_equal(prim_lock_holder(f.l), -2);
        assert_int_equal(prim_lock_unlocking(f.l, A), PRIM_NOT_HELD);
        assert_int_equal(prim_lock_try(f.l, A), PRIM_BUSY);
        prim_lock_unlock(f.l);
        assert_int_equal(f.l->word, PRIM_LOCK_FREE);
        f.l->word = PRIM_LOCK_FREE | PRIM_LOCK_CONTENDED;
        assert_int_equal(prim_lock_try(f.l, A), PRIM_BUSY);
        assert_int_equal(prim_lock_unlocking(f.l, A), PRIM_NOT_HELD);
        assert_int_equal(prim_lock_wait(f.l, A, NULL), PRIM_OK);
        assert_int_equal(prim_lock_holder(f.l), A);
        release(f.l, A);
        assert_int_equal(f.l->word, PRIM_LOCK_FREE);
        teardown(&f);
}

/* A plain lock its own holder acquires again is busy: the holder waits (as in Python) until
 * someone else releases it, and then has it. */
static void test_self_wait(void **state)
{
        for (int fifo = 0; fifo < 2; fifo++) {
                fixture f = setup(fifo);

                (void)state;
                assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
                assert_int_equal(prim_lock_try(f.l, A), PRIM_BUSY);
                assert_int_equal(prim_lock_block(f.l, A), PRIM_BUSY);
                assert_int_equal(prim_lock_retry(f.l, A), PRIM_BUSY);
                release(f.l, B);
                assert_int_equal(prim_lock_retry(f.l, A), PRIM_OK);
                assert_int_equal(prim_lock_holder(f.l), A);
                teardown(&f);
        }
}

/* Barging: the releaser takes the lock again before the waiter it freed it for. */
static void test_barging(void **state)
{
        fixture f = setup(false);

        (void)state;
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
        assert_int_equal(prim_lock_block(f.l, B), PRIM_BUSY);
        release(f.l, A);
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK); /* A barges in */
        assert_int_equal(prim_lock_retry(f.l, B), PRIM_BUSY);
        release(f.l, A);
        assert_int_equal(prim_lock_retry(f.l, B), PRIM_OK);
        assert_int_equal(prim_lock_holder(f.l), B);
        teardown(&f);
}

/* Fifo: a release hands the lock to the longest waiter; nobody else can take it first. */
static void test_fifo_lock(void **state)
{
        fixture f = setup(true);

        (void)state;
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
        assert_int_equal(prim_lock_block(f.l, C), PRIM_BUSY); /* C waits first */
        assert_int_equal(prim_lock_block(f.l, B), PRIM_BUSY);
        assert_int_equal(f.l->nqueue, 2);
        release(f.l, A);
        assert_int_equal(prim_lock_holder(f.l), C); /* handed over at the release */
        assert_int_equal(prim_lock_try(f.l, A), PRIM_BUSY);
        assert_int_equal(prim_lock_retry(f.l, B), PRIM_BUSY);
        assert_int_equal(prim_lock_retry(f.l, C), PRIM_OK);
        /* A comes back: it waits behind B */
        assert_int_equal(prim_lock_block(f.l, A), PRIM_BUSY);
        release(f.l, C);
        assert_int_equal(prim_lock_retry(f.l, A), PRIM_BUSY);
        assert_int_equal(prim_lock_retry(f.l, B), PRIM_OK);
        release(f.l, B);
        assert_int_equal(prim_lock_retry(f.l, A), PRIM_OK);
        /* a waiter that gives up leaves the queue: the next release frees the lock */
        assert_int_equal(prim_lock_block(f.l, B), PRIM_BUSY);
        assert_int_equal(prim_lock_unblock(f.l, B), PRIM_TIMEOUT);
        assert_int_equal(f.l->nqueue, 0);
        release(f.l, A);
        assert_int_equal(prim_lock_holder(f.l), -1);
        /* ... unless it was handed the lock just before it gave up: then it has it */
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
        assert_int_equal(prim_lock_block(f.l, B), PRIM_BUSY);
        release(f.l, A);
        assert_int_equal(prim_lock_unblock(f.l, B), PRIM_OK);
        assert_int_equal(prim_lock_holder(f.l), B);
        teardown(&f);
}

/* A semaphore: take a permit as the engine does (the count under the semaphore's mutex). */
static void sem_take(prim_res *s)
{
        prim_mutex_lock(&s->mu);
        prim_sem_taken(s);
        pthread_mutex_unlock(&s->mu);
}

static void sem_give(prim_res *s)
{
        prim_mutex_lock(&s->mu);
        s->count++;
        prim_sem_post(s);
        pthread_mutex_unlock(&s->mu);
}

static void test_semaphore_handoff(void **state)
{
        for (int fifo = 0; fifo < 2; fifo++) {
                fixture f = setup(fifo);

                (void)state;
                assert_int_equal(prim_sem_try(f.s, A), PRIM_OK);
                sem_take(f.s);
                assert_int_equal(f.s->count, 0);
                assert_int_equal(prim_sem_block(f.s, B), PRIM_BUSY);
                sem_give(f.s);
                /* barging: A takes the permit back first; fifo: it went to B */
                assert_int_equal(prim_sem_try(f.s, A), fifo ? PRIM_BUSY : PRIM_OK);
                if (!fifo) {
                        sem_take(f.s);
                        assert_int_equal(prim_sem_retry(f.s, B), PRIM_BUSY);
                        sem_give(f.s);
                }
                assert_int_equal(prim_sem_retry(f.s, B), PRIM_OK);
                sem_take(f.s);
                assert_int_equal(f.s->count, 0);
                assert_int_equal(f.s->reserved, 0);
                teardown(&f);
        }
}

/* ---- live waits, with threads --------------------------------------------------------------- */

typedef struct waiter {
        fixture *f;
        int me;
        int *order, *n;
        pthread_mutex_t *mu;
        pthread_mutex_t *hold; /* held by the main thread until it has checked the hand-off */
        int rc;                /* checked by the main thread: cmocka asserts only there */
} waiter;

static void *wait_lock(void *arg)
{
        waiter *w = arg;

        w->rc = prim_lock_wait(w->f->l, w->me, NULL);
        /* Keep the lock until the main thread has looked: else C and B could be done and the
         * lock free again before it tries. */
        pthread_mutex_lock(w->hold);
        pthread_mutex_unlock(w->hold);
        pthread_mutex_lock(w->mu);
        w->order[(*w->n)++] = w->me;
        pthread_mutex_unlock(w->mu);
        release(w->f->l, w->me);
        return NULL;
}

static void queued(prim_lock *l, int n)
{
        for (;;) {
                int k;

                prim_mutex_lock(&l->qmu);
                k = l->nqueue;
                pthread_mutex_unlock(&l->qmu);
                if (k == n)
                        return;
                sched_yield();
        }
}

static void test_fifo_live(void **state)
{
        fixture f = setup(true);
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, hold = PTHREAD_MUTEX_INITIALIZER;
        int order[2], n = 0;
        waiter wb = { &f, B, order, &n, &mu, &hold, -1 }, wc = { &f, C, order, &n, &mu, &hold, -1 };
        pthread_t tb, tc;

        (void)state;
        pthread_mutex_lock(&hold);
        assert_int_equal(prim_lock_try(f.l, A), PRIM_OK);
        pthread_create(&tc, NULL, wait_lock, &wc);
        queued(f.l, 1);
        pthread_create(&tb, NULL, wait_lock, &wb);
        queued(f.l, 2);
        release(f.l, A);
        /* handed to C at the release: A cannot take it back */
        assert_int_equal(prim_lock_try(f.l, A), PRIM_BUSY);
        pthread_mutex_unlock(&hold);
        pthread_join(tc, NULL);
        pthread_join(tb, NULL);
        assert_int_equal(wb.rc, PRIM_OK);
        assert_int_equal(wc.rc, PRIM_OK);
        assert_int_equal(n, 2);
        assert_int_equal(order[0], C);
        assert_int_equal(order[1], B);
        assert_int_equal(prim_lock_holder(f.l), -1);
        teardown(&f);
}

/* ---- the memory lock ---- */

enum { MEMORY_ROUNDS = 20000, MEMORY_THREADS = 3 };

typedef struct counting {
        prim_region *reg;
        long *counter; /* a plain int: only the lock keeps the increments whole */
        int rounds;
} counting;

static void *count_under_memory(void *arg)
{
        counting *c = arg;

        for (int i = 0; i < c->rounds; i++) {
                prim_memory_lock(c->reg, (uint32_t)getpid());
                ++*c->counter;
                prim_memory_unlock(c->reg);
        }
        return NULL;
}

/* The threads wait for the lock the main thread holds (each found it taken: the word says who
 * holds it and that someone waits), are woken by its unlock, then count in turns: no increment
 * lost. */
static void check_memory_lock(fixture *f)
{
        long counter = 0;
        counting c = { f->reg, &counter, MEMORY_ROUNDS };
        pthread_t t[MEMORY_THREADS];
        uint32_t me = (uint32_t)getpid();

        prim_memory_lock(f->reg, me);
        assert_int_equal(f->reg->memory, me);
        for (int k = 0; k < MEMORY_THREADS; k++)
                pthread_create(&t[k], NULL, count_under_memory, &c);
        while (__atomic_load_n(&f->reg->memory, __ATOMIC_ACQUIRE) != (me | PRIM_MEMORY_WAITED))
                sched_yield();
        assert_int_equal(counter, 0);
        prim_memory_unlock(f->reg);
        for (int k = 0; k < MEMORY_THREADS; k++)
                pthread_join(t[k], NULL);
        assert_int_equal(counter, (long)MEMORY_ROUNDS * MEMORY_THREADS);
        assert_int_equal(f->reg->memory, 0);
        /* free again */
        prim_memory_lock(f->reg, me);
        prim_memory_unlock(f->reg);
}

/* A process that dies holding the memory lock (it never gives it back): a thread that waits for
 * it sleeps until the reaper says the holder died — which frees the lock and wakes the sleeper —
 * and not when the reaper names a process that does not hold it. */
static void check_memory_owner_died(fixture *f)
{
        long counter = 0;
        counting c = { f->reg, &counter, 1 };
        pthread_t t;
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                prim_memory_lock(f->reg, (uint32_t)getpid());
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(f->reg->memory, (uint32_t)pid);
        pthread_create(&t, NULL, count_under_memory, &c);
        while (__atomic_load_n(&f->reg->memory, __ATOMIC_ACQUIRE) !=
               ((uint32_t)pid | PRIM_MEMORY_WAITED))
                sched_yield();
        assert_false(prim_memory_owner_died(f->reg, getpid()));
        assert_false(prim_memory_owner_died(f->reg, pid + 1));
        assert_int_equal(counter, 0);
        assert_true(prim_memory_owner_died(f->reg, pid));
        pthread_join(t, NULL);
        assert_int_equal(counter, 1);
        assert_int_equal(f->reg->memory, 0);
        assert_false(prim_memory_owner_died(f->reg, pid));
}

static void test_memory_lock(void **state)
{
        fixture f = setup(false);
        fixture p = setup_text(false, text_process);

        (void)state;
        check_memory_lock(&f);
        check_memory_lock(&p);
        check_memory_owner_died(&p);
        teardown(&f);
        teardown(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_release_by_another), cmocka_unit_test(test_lock_word),
                cmocka_unit_test(test_self_wait),          cmocka_unit_test(test_barging),
                cmocka_unit_test(test_fifo_lock),          cmocka_unit_test(test_semaphore_handoff),
                cmocka_unit_test(test_fifo_live),          cmocka_unit_test(test_memory_lock),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
