/*
 * test_gate.c — step mode's gates (src/engine/gate.c): one grant is one step, and gate_back says
 * true only once the granted actor has taken exactly that step and is back at its gate.
 *
 * An "actor" here is a thread that counts its steps between gate_wait calls. gate_back may say
 * false for a while (it waits only a moment), so the tests ask again until it says true; what is
 * checked is what holds when it does, never how soon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "engine/gate.h"

enum { STEPS = 2000, ACTORS = 3 };

typedef struct actor_arg {
        gates *g;
        int id;
        int steps;           /* steps to take, then leave without coming back */
        _Atomic int taken;   /* steps taken so far */
        _Atomic int at_gate; /* 1 between arriving at the gate and being let through */
} actor_arg;

static void *actor_main(void *p)
{
        actor_arg *a = p;

        for (int k = 0; k < a->steps; k++) {
                atomic_store(&a->at_gate, 1);
                gate_wait(a->g, a->id);
                atomic_store(&a->at_gate, 0);
                atomic_fetch_add(&a->taken, 1);
        }
        return NULL;
}

/* Waits (without a time limit: a stuck test is the harness's timeout) for gate_back. */
static void back(gates *g, int a, uint32_t n)
{
        while (!gate_back(g, a, n))
                ;
}

/* Each grant lets exactly one step through, and gate_back is true only after it. */
static void test_one_grant_one_step(void **state)
{
        gates *g = gate_create(1);
        actor_arg a = { .g = g, .id = 0, .steps = STEPS + 1 };
        pthread_t t;

        (void)state;
        assert_non_null(g);
        assert_int_equal(pthread_create(&t, NULL, actor_main, &a), 0);
        for (int k = 1; k <= STEPS; k++) {
                uint32_t n = gate_grant(g, 0);

                assert_int_equal(n, k);
                back(g, 0, n);
                /* back at the gate after step k, and not one step further */
                assert_int_equal(atomic_load(&a.taken), k);
                assert_int_equal(atomic_load(&a.at_gate), 1);
        }
        gate_grant(g, 0);
        pthread_join(t, NULL);
        assert_int_equal(atomic_load(&a.taken), STEPS + 1);
        gate_destroy(g);
}

/* Grants to several actors, in a fixed order: only the one granted moves. */
static void test_only_the_granted_moves(void **state)
{
        gates *g = gate_create(ACTORS);
        actor_arg a[ACTORS];
        pthread_t t[ACTORS];
        int expect[ACTORS] = { 0 };

        (void)state;
        assert_non_null(g);
        for (int i = 0; i < ACTORS; i++) {
                a[i] = (actor_arg){ .g = g, .id = i, .steps = STEPS + 1 };
                assert_int_equal(pthread_create(&t[i], NULL, actor_main, &a[i]), 0);
        }
        for (int k = 0; k < STEPS; k++) {
                int who = (k * 7 + k / 3) % ACTORS;

                back(g, who, gate_grant(g, who));
                expect[who]++;
                for (int i = 0; i < ACTORS; i++)
                        assert_int_equal(atomic_load(&a[i].taken), expect[i]);
        }
        for (int i = 0; i < ACTORS; i++) {
                /* the rest of each actor's steps, to let it end */
                for (int k = expect[i]; k <= STEPS; k++)
                        gate_grant(g, i);
                pthread_join(t[i], NULL);
                assert_int_equal(atomic_load(&a[i].taken), STEPS + 1);
        }
        gate_destroy(g);
}

/* Before any grant, gate_back with grant 0 waits for the actor's first arrival (the session
 * waits so for main's first gate). */
static void test_first_arrival(void **state)
{
        gates *g = gate_create(1);
        actor_arg a = { .g = g, .id = 0, .steps = 1 };
        pthread_t t;

        (void)state;
        assert_non_null(g);
        assert_false(gate_back(g, 0, 0)); /* no one there yet */
        assert_int_equal(pthread_create(&t, NULL, actor_main, &a), 0);
        back(g, 0, 0);
        assert_int_equal(atomic_load(&a.at_gate), 1);
        assert_int_equal(atomic_load(&a.taken), 0);
        gate_grant(g, 0);
        pthread_join(t, NULL);
        assert_int_equal(atomic_load(&a.taken), 1);
        gate_destroy(g);
}

/* An actor that leaves after its step (an exit) never comes back: gate_back says false. */
static void test_no_back_after_leaving(void **state)
{
        gates *g = gate_create(1);
        actor_arg a = { .g = g, .id = 0, .steps = 1 };
        pthread_t t;
        uint32_t n;

        (void)state;
        assert_non_null(g);
        assert_int_equal(pthread_create(&t, NULL, actor_main, &a), 0);
        n = gate_grant(g, 0);
        pthread_join(t, NULL);
        assert_int_equal(atomic_load(&a.taken), 1);
        assert_false(gate_back(g, 0, n));
        assert_false(gate_back(g, 0, n));
        gate_destroy(g);
}

static void *paced_main(void *p)
{
        gate_pacer *pacer = p;

        gate_pacer_wait(pacer);
        return NULL;
}

/* The pacer's one word that every step reads follows the pause and the delay, and a paused actor
 * goes on only once the run is resumed. */
static void test_pacer_word(void **state)
{
        gate_pacer *p = gate_pacer_create();
        pthread_t t;

        (void)state;
        assert_non_null(p);
        assert_int_equal(atomic_load(&p->holds), 0);
        gate_pacer_set(p, false, 5);
        assert_int_equal(atomic_load(&p->holds), 1);
        gate_pacer_set(p, false, 0);
        assert_int_equal(atomic_load(&p->holds), 0);
        gate_pacer_wait(p); /* running at full speed: back at once */
        gate_pacer_set(p, true, 0);
        assert_int_equal(atomic_load(&p->holds), 1);
        assert_int_equal(pthread_create(&t, NULL, paced_main, p), 0);
        /* paused: the actor waits on the futex word; the resume lets it go, whenever it came */
        gate_pacer_set(p, false, 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        gate_pacer_destroy(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_grant_one_step),
                cmocka_unit_test(test_only_the_granted_moves),
                cmocka_unit_test(test_first_arrival),
                cmocka_unit_test(test_no_back_after_leaving),
                cmocka_unit_test(test_pacer_word),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
