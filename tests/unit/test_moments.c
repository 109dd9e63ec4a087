/*
 * test_moments.c — where rewinding stops, and the Timeline's last steps: histories built from
 * hand-written events (a pool's map as a stepped run publishes it, threads' steps, a history
 * whose oldest moments were let go), read through moments.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "model/history.h"
#include "tui/moments.h"

static const char text[] =
    "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
    " \"resources\": {\"p\": {\"type\": \"pool\", \"workers\": 2},\n"
    "                \"lock\": {\"type\": \"lock\"}},\n"
    " \"actors\": [{\"name\": \"A\", \"start\": \"manual\", \"run\": [{\"sleep\": 0}]},\n"
    "            {\"name\": \"B\", \"start\": \"manual\", \"run\": [{\"sleep\": 0}]}],\n"
    " \"main\": [{\"start\": \"A\"}, {\"start\": \"B\"},\n"
    "          {\"map\": \"p\", \"fn\": \"lambda x: x * x\", \"over\": [1, 2], \"into\": \"r\"},\n"
    "          {\"print\": \"{r}\"}]}\n";

enum { A, B, MAIN };

typedef struct run {
        scenario *sc;
        history *h;
} run;

static run start(size_t snapshot_every, size_t max_bytes)
{
        run r;

        r.sc = fixture_load(text);
        r.h = history_new(r.sc, snapshot_every, max_bytes);
        return r;
}

static void stop(run *r)
{
        history_free(r->h);
        scenario_free(r->sc);
}

/* Appends an event: KIND by ACTOR (on resource RES, -1 for none), FLAGS (EVENT_BEGINS_STEP),
 * with TEXT. */
static void ev(run *r, int kind, int actor, int res, int aux, unsigned flags, const char *t)
{
        event e = { .seq = history_len(r->h) + 1,
                    .kind = (uint16_t)kind,
                    .actor = (int16_t)actor,
                    .res = (int16_t)res,
                    .other = -1,
                    .stmt = 0,
                    .aux = aux,
                    .flags = (uint8_t)flags,
                    .len = t != NULL ? (uint32_t)strlen(t) : 0,
                    .text = t != NULL ? t : "" };

        history_append(r->h, &e);
}

/* The stops from the earliest moment to the end, forward and back the same. */
static void assert_stops(run *r, const uint64_t *want, int n)
{
        uint64_t j = moments_earliest(r->h);

        assert_int_equal(j, want[0]);
        for (int k = 1; k < n; k++) {
                j = moments_after(r->h, j);
                assert_int_equal(j, want[k]);
        }
        assert_int_equal(moments_after(r->h, j), j); /* the end stays the end */
        for (int k = n - 2; k >= 0; k--) {
                j = moments_before(r->h, j);
                assert_int_equal(j, want[k]);
        }
        assert_int_equal(moments_before(r->h, j), j); /* and the earliest the earliest */
        for (uint64_t m = want[0]; m <= history_len(r->h); m++) {
                bool stop = false;

                for (int k = 0; k < n; k++)
                        stop |= want[k] == m;
                /* the end is where the screen follows the run, not a stop of its own */
                if (m < history_len(r->h))
                        assert_int_equal(moments_stop(r->h, m), stop);
        }
}

/* A stepped run's pool map, as `lockstep run --step --trace` of seed/07 publishes it: the map is
 * one step of the main thread, and rewinding stops at every task given out and every result
 * back; a step's caption belongs to the step it comes before. */
static void test_pool_map(void **state)
{
        run r = start(0, 0);
        int p = scenario_find_resource(r.sc, "p");

        (void)state;
        ev(&r, EV_START, MAIN, -1, 0, 0, NULL);      /* 1 */
        ev(&r, EV_READY, MAIN, -1, 0, 0, NULL);      /* 2: step 0, the earliest moment */
        ev(&r, EV_SAY, MAIN, -1, 0, 0, "squares");   /* 3 */
        ev(&r, EV_STEP, MAIN, -1, 0, 1, NULL);       /* 4: the map's step */
        ev(&r, EV_TASK, MAIN, p, 0, 0, "1");         /* 5 */
        ev(&r, EV_TASK, MAIN, p, 1, 0, "2");         /* 6 */
        ev(&r, EV_RESULT, MAIN, p, 1, 0, "4");       /* 7 */
        ev(&r, EV_RESULT, MAIN, p, 0, 0, "1");       /* 8 */
        ev(&r, EV_READY, MAIN, -1, 0, 0, NULL);      /* 9 */
        ev(&r, EV_SAY, MAIN, -1, 0, 0, "the order"); /* 10 */
        ev(&r, EV_PRINT, MAIN, -1, 0, 1, "[1, 4]");  /* 11: a step of its own */
        ev(&r, EV_EXIT, MAIN, -1, 0, 0, NULL);       /* 12 */
        assert_stops(&r, (const uint64_t[]){ 2, 5, 6, 7, 8, 9, 12 }, 7);
        assert_int_equal(moments_last_mover(r.h), MAIN);
        stop(&r);
}

/* Threads' steps: each step's start is a stop, whichever event begins it (a STEP, or an event
 * that carries the flag); the last mover is the actor of the last step begun. */
static void test_threads(void **state)
{
        run r = start(0, 0);
        int lock = scenario_find_resource(r.sc, "lock");
        moments_lanes l;

        (void)state;
        assert_int_equal(moments_earliest(r.h), 0);
        assert_int_equal(moments_last_mover(r.h), -1);
        ev(&r, EV_START, MAIN, -1, 0, 0, NULL);   /* 1 */
        ev(&r, EV_READY, MAIN, -1, 0, 0, NULL);   /* 2 */
        ev(&r, EV_STEP, MAIN, -1, 0, 1, NULL);    /* 3: main starts A */
        ev(&r, EV_START, A, -1, 0, 0, NULL);      /* 4 */
        ev(&r, EV_STEP, MAIN, -1, 0, 1, NULL);    /* 5: main starts B */
        ev(&r, EV_START, B, -1, 0, 0, NULL);      /* 6 */
        ev(&r, EV_ACQUIRED, A, lock, 0, 1, NULL); /* 7: A takes the lock */
        ev(&r, EV_BLOCKED, B, lock, 0, 1, NULL);  /* 8: B waits for it */
        ev(&r, EV_RELEASED, A, lock, 0, 1, NULL); /* 9 */
        ev(&r, EV_ACQUIRED, B, lock, 0, 1, NULL); /* 10 */
        assert_stops(&r, (const uint64_t[]){ 2, 4, 6, 7, 8, 9, 10 }, 7);
        assert_int_equal(moments_last_mover(r.h), B);

        /* the Timeline: the last 3 steps up to the end (the 6th step), who made each and every
         * actor's state after it */
        moments_lanes_at(r.h, 10, 6, 3, &l);
        assert_int_equal(l.ncols, 3);
        assert_int_equal(l.first, 4);
        assert_int_equal(l.mover[0], B);
        assert_int_equal(l.mover[1], A);
        assert_int_equal(l.mover[2], B);
        assert_int_equal(l.end[0], 8);
        assert_int_equal(l.end[1], 9);
        assert_int_equal(l.end[2], 10);
        assert_int_equal(l.state[0][B], MODEL_BLOCKED);
        /* A gave the lock back: B still waits for it (its next step takes it) but its wait is
         * over, ready, as the Actors pane shows that moment */
        assert_int_equal(l.state[1][B], MODEL_READY);
        assert_int_equal(l.state[2][B], MODEL_RUNNING);
        /* up to an earlier moment (the 4th step, rewound to 8): its steps only */
        moments_lanes_at(r.h, 8, 4, 40, &l);
        assert_int_equal(l.ncols, 4);
        assert_int_equal(l.first, 1);
        assert_int_equal(l.mover[0], MAIN);
        assert_int_equal(l.end[0], 4);
        assert_int_equal(l.end[3], 8);
        stop(&r);
}

/* A history that let its oldest moments go: the earliest moment is the oldest kept, and the
 * Timeline counts its steps from there. */
static void test_oldest_let_go(void **state)
{
        run r = start(50, 32 << 10);
        int lock = scenario_find_resource(r.sc, "lock");
        uint64_t first;
        moments_lanes l;

        (void)state;
        ev(&r, EV_START, MAIN, -1, 0, 0, NULL);
        ev(&r, EV_START, A, -1, 0, 0, NULL);
        for (int k = 0; k < 3000; k++) {
                ev(&r, EV_ACQUIRED, A, lock, 0, 1, NULL);
                ev(&r, EV_RELEASED, A, lock, 0, 1, NULL);
        }
        first = history_first_seq(r.h);
        assert_true(first > 0);
        assert_int_equal(moments_earliest(r.h), first);
        assert_true(moments_stop(r.h, first));
        assert_int_equal(moments_before(r.h, first + 1), first);
        assert_int_equal(moments_before(r.h, first), first);
        assert_int_equal(moments_after(r.h, first), first + 1);
        /* more columns than steps kept: only those kept */
        moments_lanes_at(r.h, history_len(r.h), history_steps(r.h, history_len(r.h)), 256, &l);
        assert_int_equal((uint64_t)l.ncols,
                         history_len(r.h) - first < 256 ? history_len(r.h) - first : 256);
        assert_int_equal(l.end[l.ncols - 1], history_len(r.h));
        stop(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pool_map),
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_oldest_let_go),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
