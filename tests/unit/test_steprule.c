/*
 * test_steprule.c — step mode's rule (steprule.h), on a model fed by hand: who is at a gate and
 * who has finished, who can move (a lock's waiters in the order they came, a timed wait always,
 * a deadlock nobody), and the policy's pick (the same seed the same choices, round-robin in
 * turn).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "model/model.h"
#include "scenario/scenario.h"
#include "session/steprule.h"

/* A, B, C and main; two locks. */
static const char text[] =
    "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"t\",\n"
    " \"resources\": {\"l\": {\"type\": \"lock\"}, \"m\": {\"type\": \"lock\"}},\n"
    " \"actors\": [{\"name\": \"A\", \"run\": [{\"acquire\": \"l\"}]},\n"
    "            {\"name\": \"B\", \"run\": [{\"acquire\": \"l\"}]},\n"
    "            {\"name\": \"C\", \"run\": [{\"acquire\": \"l\"}]}]}\n";

enum { A, B, C, MAIN, L = 0, M = 1 };

typedef struct fixture {
        scenario *sc;
        model *m;
        steprule r;
        uint64_t seq;
} fixture;

static void setup(fixture *f, uint64_t seed)
{
        scenario_options opt = { .cpu_count = 2 };

        memset(f, 0, sizeof(*f));
        f->sc = fixture_load_with(text, &opt);
        f->m = model_new(f->sc);
        steprule_init(&f->r, f->sc, seed);
}

static void teardown(fixture *f)
{
        steprule_free(&f->r);
        model_free(f->m);
        scenario_free(f->sc);
}

/* EV folded into the model, then taken by the rule, as both schedulers do. */
static void ev(fixture *f, int kind, int actor, int res, int aux)
{
        event e = { .seq = ++f->seq,
                    .t_ns = f->seq,
                    .kind = (uint8_t)kind,
                    .actor = (int16_t)actor,
                    .res = (int16_t)res,
                    .other = -1,
                    .stmt = -1,
                    .aux = aux,
                    .text = "" };

        model_apply(f->m, &e);
        steprule_take(&f->r, f->m, &e);
}

/* Everyone started and at its first gate. */
static void all_ready(fixture *f)
{
        for (int a = A; a <= MAIN; a++) {
                ev(f, EV_START, a, -1, 0);
                ev(f, EV_READY, a, -1, 0);
        }
}

static int movable(fixture *f, int *out)
{
        return steprule_movable(&f->r, f->m, out);
}

/* Gates and steps: READY puts an actor at its gate, a grant takes it off (in flight until it is
 * back), EXIT for good. */
static void test_gates(void **state)
{
        fixture f;
        int mv[4];

        (void)state;
        setup(&f, 1);
        assert_true(steprule_on_a_step(&f.r)); /* main, before its first gate */
        assert_false(steprule_anyone_waits(&f.r));
        all_ready(&f);
        assert_false(steprule_on_a_step(&f.r));
        assert_true(steprule_anyone_waits(&f.r));
        assert_int_equal(movable(&f, mv), 4);
        steprule_granted(&f.r, B);
        assert_true(steprule_on_a_step(&f.r));
        assert_false(steprule_can_move(&f.r, f.m, B, true));
        ev(&f, EV_ACQUIRED, B, L, 1);
        assert_true(steprule_on_a_step(&f.r)); /* not back yet */
        ev(&f, EV_READY, B, -1, 0);
        assert_false(steprule_on_a_step(&f.r));
        steprule_granted(&f.r, A);
        ev(&f, EV_EXIT, A, -1, 0);
        assert_false(steprule_on_a_step(&f.r)); /* gone: nothing to wait for */
        assert_false(steprule_can_move(&f.r, f.m, A, false));
        assert_int_equal(movable(&f, mv), 3);
        assert_int_equal(mv[0], B);
        assert_int_equal(mv[1], C);
        assert_int_equal(mv[2], MAIN);
        teardown(&f);
}

/* A lock's waiters: none can move while it is held, unless with a timeout; once it is free, only
 * the one that waited longest (FIFO) — but a schedule may give it to any of them. */
static void test_waiters(void **state)
{
        fixture f;
        int mv[4], n;

        (void)state;
        setup(&f, 1);
        all_ready(&f);
        steprule_granted(&f.r, A);
        ev(&f, EV_ACQUIRED, A, L, 1);
        ev(&f, EV_READY, A, -1, 0);
        steprule_granted(&f.r, C);
        ev(&f, EV_BLOCKED, C, L, 0);
        steprule_granted(&f.r, B);
        ev(&f, EV_BLOCKED, B, L, 1); /* with a timeout */
        assert_false(steprule_can_move(&f.r, f.m, C, true));
        assert_true(steprule_can_move(&f.r, f.m, B, true)); /* its timeout may fire */
        n = movable(&f, mv);
        assert_int_equal(n, 3);
        assert_int_equal(mv[0], A);
        assert_int_equal(mv[1], B);
        assert_int_equal(mv[2], MAIN);
        /* A releases: C waited first (untimed), so C goes, not B's retry */
        steprule_granted(&f.r, A);
        ev(&f, EV_RELEASED, A, L, 0);
        ev(&f, EV_READY, A, -1, 0);
        ev(&f, EV_BLOCKED, B, L, 0); /* B announces itself again, now without a timeout */
        assert_true(steprule_can_move(&f.r, f.m, C, true));
        assert_false(steprule_can_move(&f.r, f.m, B, true));
        assert_true(steprule_can_move(&f.r, f.m, B, false));
        n = movable(&f, mv);
        assert_int_equal(n, 3);
        assert_int_equal(mv[0], A);
        assert_int_equal(mv[1], C);
        assert_int_equal(mv[2], MAIN);
        teardown(&f);
}

/* Two actors each holding the lock the other waits for, the rest gone: nobody can move, and
 * someone waits (a deadlock, which the session then names). */
static void test_nobody(void **state)
{
        fixture f;
        int mv[4];

        (void)state;
        setup(&f, 1);
        all_ready(&f);
        ev(&f, EV_ACQUIRED, A, L, 1);
        ev(&f, EV_ACQUIRED, B, M, 1);
        ev(&f, EV_BLOCKED, A, M, 0);
        ev(&f, EV_BLOCKED, B, L, 0);
        ev(&f, EV_EXIT, C, -1, 0);
        ev(&f, EV_EXIT, MAIN, -1, 0);
        assert_int_equal(movable(&f, mv), 0);
        assert_true(steprule_anyone_waits(&f.r));
        teardown(&f);
}

/* The random pick is the seed's: the same seed, the same choices; another seed, others.
 * Round-robin takes the next after the last granted, around. */
static void test_pick(void **state)
{
        fixture f[3];
        const int all[4] = { A, B, C, MAIN };
        int same = 0;

        (void)state;
        setup(&f[0], 7);
        setup(&f[1], 7);
        setup(&f[2], 8);
        for (int k = 0; k < 64; k++) {
                int p0 = steprule_pick(&f[0].r, all, 4, false);
                int p1 = steprule_pick(&f[1].r, all, 4, false);
                int p2 = steprule_pick(&f[2].r, all, 4, false);

                assert_int_equal(p0, p1);
                assert_in_range(p0, A, MAIN);
                same += p0 == p2;
        }
        assert_true(same < 64);
        for (int k = 0; k < 8; k++) {
                int p = steprule_pick(&f[0].r, all, 4, true);

                assert_int_equal(p, all[k % 4]);
                steprule_granted(&f[0].r, p);
        }
        for (int k = 0; k < 3; k++)
                teardown(&f[k]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gates),
                cmocka_unit_test(test_waiters),
                cmocka_unit_test(test_nobody),
                cmocka_unit_test(test_pick),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
