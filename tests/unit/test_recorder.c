/*
 * test_recorder.c — the moves a live run's events are read back into (--save-schedule).
 *
 * Each test feeds a hand-written event sequence, in the order a live run can publish it, to the
 * model and the recorder together, and checks the moves exactly: the order a stepped replay must
 * make them in to run the same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "model/model.h"
#include "scenario/scenario.h"
#include "session/recorder.h"
#include "session/schedule.h"

/* Two threads and main; a lock, a condition with its own lock, a queue. */
static const char text[] =
    "{\"lockstep\": 1, \"title\": \"Recorder\", \"summary\": \"Moves.\",\n"
    " \"resources\": {\"lock\": {\"type\": \"lock\"}, \"cond\": {\"type\": \"condition\"},\n"
    "   \"q\": {\"type\": \"queue\"}},\n"
    " \"actors\": [\n"
    "   {\"name\": \"T0\", \"run\": [{\"with\": \"lock\", \"do\": []}]},\n"
    "   {\"name\": \"T1\", \"run\": [{\"with\": \"lock\", \"do\": []}]}]}\n";

enum { T0, T1, MAIN, NALL };
enum { LOCK, COND, Q };

typedef struct feed {
        scenario *sc;
        model *m;
        recorder *r;
        uint64_t seq;
} feed;

static feed start(void)
{
        feed f = { 0 };

        f.sc = fixture_load(text);
        assert_int_equal(f.sc->nactors + 1, NALL);
        f.m = model_new(f.sc);
        f.r = recorder_new(NALL, f.sc->nresources, SCHEDULE_MAX_MOVES);
        return f;
}

static void stop(feed *f)
{
        recorder_free(f->r);
        model_free(f->m);
        scenario_free(f->sc);
}

/* Actor A's event KIND on RES (-1: none) or about actor OTHER (-1: none), NUM; STEP: the first
 * event of a step. */
static void evo(feed *f, int a, int kind, int res, int other, int64_t num, bool step)
{
        event e = { .seq = ++f->seq,
                    .t_ns = f->seq * 1000,
                    .kind = (uint16_t)kind,
                    .flags = step ? EVENT_BEGINS_STEP : 0,
                    .actor = (int16_t)a,
                    .res = (int16_t)res,
                    .other = (int16_t)other,
                    .stmt = -1,
                    .num = num,
                    .text = "" };
        model_state before = model_actor_at(f->m, a)->state;

        model_apply(f->m, &e);
        assert_int_equal(recorder_take(f->r, f->m, &e, before), 0);
}

static void evf(feed *f, int a, int kind, int res, int64_t num, bool step)
{
        evo(f, a, kind, res, -1, num, step);
}

static void step(feed *f, int a, int kind, int res)
{
        evf(f, a, kind, res, kind == EV_ACQUIRED || kind == EV_NOTIFIED ? 1 : 0, true);
}

static void more(feed *f, int a, int kind, int res)
{
        evf(f, a, kind, res, kind == EV_ACQUIRED || kind == EV_NOTIFIED ? 1 : 0, false);
}

/* What the condition tests begin with: main, in `with cond: wait_for(...)`, takes the lock and,
 * its predicate false, gives it up and waits; then T0 takes the lock and notifies. */
static void main_waits_t0_notifies(feed *f)
{
        step(f, MAIN, EV_ACQUIRED, COND);
        step(f, MAIN, EV_RELEASED, COND);
        more(f, MAIN, EV_WAITING, COND);
        step(f, T0, EV_ACQUIRED, COND);
        step(f, T0, EV_NOTIFIED, COND);
}

static void assert_moves(const feed *f, size_t n, const int *want)
{
        size_t got;
        const int *m = recorder_moves(f->r, &got);
        char g[256] = "", w[256] = "";

        for (size_t k = 0; k < got && k < 60; k++)
                snprintf(g + strlen(g), sizeof(g) - strlen(g), "%d", m[k]);
        for (size_t k = 0; k < n && k < 60; k++)
                snprintf(w + strlen(w), sizeof(w) - strlen(w), "%d", want[k]);
        if (got != n || memcmp(m, want, n * sizeof(int)) != 0)
                fail_msg("moves %s, wanted %s", g, w);
}

static void test_grants(void **state)
{
        feed f = start();
        size_t n;

        (void)state;
        assert_int_equal(recorder_append(f.r, MAIN), 0);
        assert_int_equal(recorder_append(f.r, T1), 0);
        assert_int_equal(recorder_append(f.r, T1), 0);
        assert_moves(&f, 3, (int[]){ MAIN, T1, T1 });
        recorder_free(f.r);
        /* no more than a schedule holds */
        f.r = recorder_new(NALL, f.sc->nresources, SCHEDULE_MAX_MOVES);
        for (int k = 0; k < SCHEDULE_MAX_MOVES; k++)
                if (recorder_append(f.r, k % NALL) < 0)
                        fail_msg("move %d refused", k);
        assert_int_equal(recorder_append(f.r, T0), -1);
        assert_int_equal(recorder_moves(f.r, &n)[n - 1], (SCHEDULE_MAX_MOVES - 1) % NALL);
        assert_int_equal(n, SCHEDULE_MAX_MOVES);
        recorder_free(f.r);
        /* nor more than its own cap */
        f.r = recorder_new(NALL, f.sc->nresources, 2);
        assert_int_equal(recorder_append(f.r, T0), 0);
        assert_int_equal(recorder_append(f.r, T1), 0);
        assert_int_equal(recorder_append(f.r, MAIN), -1);
        assert_moves(&f, 2, (int[]){ T0, T1 });
        stop(&f);
}

/* A try published after the holder let go, with nobody taking it first: one move, as stepped. */
static void test_try_on_a_free_lock(void **state)
{
        feed f = start();

        (void)state;
        more(&f, T0, EV_START, -1);
        more(&f, T1, EV_START, -1);
        step(&f, T0, EV_ACQUIRED, LOCK);
        step(&f, T0, EV_RELEASED, LOCK);
        step(&f, T1, EV_BLOCKED, LOCK); /* its try failed before the release */
        more(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T1, EV_RELEASED, LOCK);
        assert_moves(&f, 4, (int[]){ T0, T0, T1, T1 });
        stop(&f);
}

/*
 * race-fixed.json, 1 run in 260: T1 lets go, T0's try (failed while T1 held it) is published,
 * T1 makes a move that does not touch the lock, then takes it again. T0's try fails after T1's
 * take; putting T1's take before the try would put it before T1's own step (a stepped replay then
 * let T0 take the lock and found T1 blocked: "cannot move now").
 */
static void test_taken_first_after_another_move(void **state)
{
        feed f = start();

        (void)state;
        more(&f, T0, EV_START, -1);
        more(&f, T1, EV_START, -1);
        step(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T0, EV_STEP, -1);
        step(&f, T1, EV_RELEASED, LOCK);
        step(&f, T0, EV_BLOCKED, LOCK);
        step(&f, T1, EV_STEP, -1);
        step(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T1, EV_STEP, -1);
        step(&f, T1, EV_RELEASED, LOCK);
        more(&f, T0, EV_ACQUIRED, LOCK); /* its wait ends: a move of its own */
        step(&f, T0, EV_RELEASED, LOCK);
        assert_moves(&f, 10, (int[]){ T1, T0, T1, T1, T1, T0, T1, T1, T0, T0 });
        stop(&f);
}

/* The taker's move is the next one: the try still goes after it and fails there, and the wait's
 * end is a move of its own. */
static void test_taken_first_at_once(void **state)
{
        feed f = start();

        (void)state;
        step(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T1, EV_RELEASED, LOCK);
        step(&f, T0, EV_BLOCKED, LOCK);
        step(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T1, EV_RELEASED, LOCK);
        more(&f, T0, EV_ACQUIRED, LOCK);
        assert_moves(&f, 6, (int[]){ T1, T1, T1, T0, T1, T0 });
        step(&f, T0, EV_RELEASED, LOCK);
        assert_moves(&f, 7, (int[]){ T1, T1, T1, T0, T1, T0, T0 });
        stop(&f);
}

/*
 * 12-process-sync.json, 1 run in 40: main waits for `cond` with a predicate; a worker's try on
 * the condition's lock is published just before main's take (the try failed on it), and main's
 * move — woken, it takes the lock, finds the predicate false and waits again — lets it go. A
 * stepped try after that move succeeds, so the worker's try and its take are one move, after
 * main's: the old reading made them two, and the replay ran one statement ahead.
 */
static void test_try_within_a_move_that_lets_go(void **state)
{
        feed f = start();

        (void)state;
        main_waits_t0_notifies(&f);
        more(&f, MAIN, EV_WOKE, COND);    /* main goes on: a move */
        more(&f, MAIN, EV_BLOCKED, COND); /* T0 still holds it, from a move of its own */
        step(&f, T0, EV_RELEASED, COND);
        step(&f, T1, EV_BLOCKED, COND); /* T1's try failed on main's take, published next */
        more(&f, MAIN, EV_ACQUIRED, COND);
        more(&f, MAIN, EV_RELEASED, COND); /* the predicate is still false */
        more(&f, MAIN, EV_WAITING, COND);
        more(&f, T1, EV_ACQUIRED, COND);
        step(&f, T1, EV_NOTIFIED, COND);
        assert_moves(&f, 9, (int[]){ MAIN, MAIN, T0, T0, MAIN, T0, MAIN, T1, T1 });
        stop(&f);
        /* T1 takes it before main says it waits (after main's release): main's wait does not
         * see the lock, and its move stays before T1's (1 run in 200 put it after) */
        f = start();
        main_waits_t0_notifies(&f);
        more(&f, MAIN, EV_WOKE, COND);
        more(&f, MAIN, EV_BLOCKED, COND);
        step(&f, T0, EV_RELEASED, COND);
        step(&f, T1, EV_BLOCKED, COND);
        more(&f, MAIN, EV_ACQUIRED, COND);
        more(&f, MAIN, EV_RELEASED, COND);
        more(&f, T1, EV_ACQUIRED, COND);
        more(&f, MAIN, EV_WAITING, COND);
        step(&f, T1, EV_NOTIFIED, COND);
        assert_moves(&f, 9, (int[]){ MAIN, MAIN, T0, T0, MAIN, T0, MAIN, T1, T1 });
        stop(&f);
        /* T1's try published while main holds the lock it took within its move: the same */
        f = start();
        main_waits_t0_notifies(&f);
        step(&f, T0, EV_RELEASED, COND);
        more(&f, MAIN, EV_WOKE, COND);
        more(&f, MAIN, EV_ACQUIRED, COND);
        step(&f, T1, EV_BLOCKED, COND);
        more(&f, MAIN, EV_RELEASED, COND);
        more(&f, MAIN, EV_WAITING, COND);
        more(&f, T1, EV_ACQUIRED, COND);
        assert_moves(&f, 7, (int[]){ MAIN, MAIN, T0, T0, T0, MAIN, T1 });
        stop(&f);
}

/* The same, but main's move ends holding the lock (its predicate held): T1's try failed for
 * real, after main's move, and T1's take is a move of its own. */
static void test_try_within_a_move_that_keeps_it(void **state)
{
        feed f = start();

        (void)state;
        main_waits_t0_notifies(&f);
        more(&f, MAIN, EV_WOKE, COND);
        more(&f, MAIN, EV_BLOCKED, COND);
        step(&f, T0, EV_RELEASED, COND);
        step(&f, T1, EV_BLOCKED, COND);
        more(&f, MAIN, EV_ACQUIRED, COND);
        step(&f, MAIN, EV_RELEASED, COND); /* its next step */
        more(&f, T1, EV_ACQUIRED, COND);
        assert_moves(&f, 10, (int[]){ MAIN, MAIN, T0, T0, MAIN, T0, MAIN, T1, MAIN, T1 });
        stop(&f);
}

/* 12-process-sync.json, 1 run in 2000: main is woken while the notifier still holds the lock,
 * and takes it back without waiting once the notifier let go. Stepped, main's move would find it
 * held: the move goes after the notifier's release. */
static void test_woken_before_the_release(void **state)
{
        feed f = start();

        (void)state;
        main_waits_t0_notifies(&f);
        more(&f, MAIN, EV_WOKE, COND);
        step(&f, T0, EV_RELEASED, COND);
        more(&f, MAIN, EV_ACQUIRED, COND);
        more(&f, MAIN, EV_RELEASED, COND);
        more(&f, MAIN, EV_WAITING, COND);
        step(&f, T1, EV_ACQUIRED, COND);
        assert_moves(&f, 7, (int[]){ MAIN, MAIN, T0, T0, T0, MAIN, T1 });
        stop(&f);
}

/* gil-processes.json, 1 run in 30: T1's try on the GIL fails while T0, which took it in an
 * earlier move, makes the step at whose end it hands the GIL on. Stepped, T1's try after that
 * move succeeds: one move with its take. */
static void test_try_while_the_holder_lets_go(void **state)
{
        feed f = start();

        (void)state;
        step(&f, T0, EV_ACQUIRED, LOCK);
        step(&f, T0, EV_STEP, -1);
        step(&f, T0, EV_STEP, -1);
        step(&f, T1, EV_BLOCKED, LOCK);
        more(&f, T0, EV_RELEASED, LOCK); /* the end of T0's step */
        more(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T0, EV_BLOCKED, LOCK);
        step(&f, T1, EV_STEP, -1);
        assert_moves(&f, 6, (int[]){ T0, T0, T0, T1, T0, T1 });
        stop(&f);
}

/* 06-process-value.json, 1 run in 150: main joins each process in turn; the second one's join
 * fails while that process is in its last move (a sleep), which then ends its script. Stepped,
 * that move is over before the join, which succeeds: one move with the first join's end. */
static void test_join_within_the_last_move(void **state)
{
        feed f = start();

        (void)state;
        step(&f, MAIN, EV_STEP, -1); /* start T0 and T1 */
        evo(&f, MAIN, EV_BLOCKED, -1, T0, 0, true);
        more(&f, T0, EV_START, -1);
        evo(&f, T0, EV_SLEEP, -1, -1, 1000000, true);
        more(&f, T1, EV_START, -1);
        evo(&f, T1, EV_SLEEP, -1, -1, 1000000, true);
        more(&f, T0, EV_EXIT, -1);
        evo(&f, MAIN, EV_JOINED, -1, T0, 0, false);
        evo(&f, MAIN, EV_BLOCKED, -1, T1, 0, false); /* T1 still sleeps */
        more(&f, T1, EV_EXIT, -1);
        evo(&f, MAIN, EV_JOINED, -1, T1, 0, false);
        step(&f, MAIN, EV_PRINT, -1);
        assert_moves(&f, 6, (int[]){ MAIN, MAIN, T0, T1, MAIN, MAIN });
        stop(&f);
        /* T1 waiting (its move over) when main's join fails: the join failed for real */
        f = start();
        step(&f, MAIN, EV_STEP, -1);
        evo(&f, MAIN, EV_BLOCKED, -1, T0, 0, true);
        more(&f, T0, EV_START, -1);
        more(&f, T1, EV_START, -1);
        step(&f, T1, EV_ACQUIRED, COND);
        step(&f, T1, EV_RELEASED, COND);
        more(&f, T1, EV_WAITING, COND);
        step(&f, T0, EV_ACQUIRED, COND);
        step(&f, T0, EV_NOTIFIED, COND);
        step(&f, T0, EV_RELEASED, COND);
        evo(&f, T0, EV_SLEEP, -1, -1, 1000000, true);
        more(&f, T0, EV_EXIT, -1);
        evo(&f, MAIN, EV_JOINED, -1, T0, 0, false);
        evo(&f, MAIN, EV_BLOCKED, -1, T1, 0, false);
        more(&f, T1, EV_WOKE, COND);
        more(&f, T1, EV_ACQUIRED, COND);
        more(&f, T1, EV_EXIT, -1);
        evo(&f, MAIN, EV_JOINED, -1, T1, 0, false);
        assert_moves(&f, 11, (int[]){ MAIN, MAIN, T1, T1, T0, T0, T0, T0, MAIN, T1, MAIN });
        stop(&f);
}

/* isolation.json, every run: a thread's crash kills its process, whose other actors were
 * waiting; their deaths are no moves of their own (stepped, they die within the crash's move, and
 * a replay cannot grant a dead actor). */
static void test_deaths_of_waiters(void **state)
{
        feed f = start();

        (void)state;
        step(&f, T1, EV_ACQUIRED, LOCK);
        step(&f, T0, EV_BLOCKED, LOCK);
        step(&f, MAIN, EV_WAITING, COND);
        step(&f, T1, EV_CRASH, -1);
        more(&f, T0, EV_CRASH, -1);
        more(&f, MAIN, EV_CRASH, -1);
        assert_moves(&f, 4, (int[]){ T1, T0, MAIN, T1 });
        stop(&f);
}

/* gil-processes.json, 1 run in 50 under ASan: T0's move takes its GIL, then prints, but T1's
 * move, which began later, printed first. The lines come out in the order of the moves. */
static void test_lines_in_order(void **state)
{
        feed f = start();

        (void)state;
        step(&f, T0, EV_ACQUIRED, LOCK);
        step(&f, T1, EV_ACQUIRED, COND);
        more(&f, T1, EV_PRINT, -1);
        more(&f, T0, EV_PRINT, -1);
        more(&f, T0, EV_RELEASED, LOCK);
        step(&f, T1, EV_PRINT, -1);
        assert_moves(&f, 3, (int[]){ T1, T0, T1 });
        stop(&f);
}

/* gil-processes.json, 5 runs in 300: main joins a group; the second join of the same move finds
 * its actor done without waiting, but that actor's last moves came after the move began. */
static void test_join_of_a_group(void **state)
{
        feed f = start();

        (void)state;
        step(&f, MAIN, EV_STEP, -1);
        evo(&f, MAIN, EV_BLOCKED, -1, T0, 0, true);
        more(&f, T0, EV_START, -1);
        more(&f, T1, EV_START, -1);
        step(&f, T0, EV_STEP, -1);
        step(&f, T1, EV_STEP, -1);
        more(&f, T0, EV_EXIT, -1);
        evo(&f, MAIN, EV_JOINED, -1, T0, 0, false);
        step(&f, T1, EV_STEP, -1);
        more(&f, T1, EV_EXIT, -1);
        evo(&f, MAIN, EV_JOINED, -1, T1, 0, false);
        step(&f, MAIN, EV_PRINT, -1);
        assert_moves(&f, 7, (int[]){ MAIN, MAIN, T0, T1, T1, MAIN, MAIN });
        stop(&f);
}

/* 12-process-sync.json --handoff fifo, 1 run in 150: main is woken, then a worker's try on the
 * condition's lock fails, then main's does. With fifo a failed try joins the queue, which decides
 * whom the release hands the lock to: main's move goes after the worker's try. */
static void test_tries_in_order(void **state)
{
        feed f = start();

        (void)state;
        main_waits_t0_notifies(&f);
        more(&f, MAIN, EV_WOKE, COND);
        step(&f, T1, EV_BLOCKED, COND);
        more(&f, MAIN, EV_BLOCKED, COND);
        step(&f, T0, EV_RELEASED, COND);
        more(&f, T1, EV_ACQUIRED, COND);
        assert_moves(&f, 8, (int[]){ MAIN, MAIN, T0, T0, T1, MAIN, T0, T1 });
        stop(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_grants),
                cmocka_unit_test(test_try_on_a_free_lock),
                cmocka_unit_test(test_taken_first_after_another_move),
                cmocka_unit_test(test_taken_first_at_once),
                cmocka_unit_test(test_try_within_a_move_that_lets_go),
                cmocka_unit_test(test_try_within_a_move_that_keeps_it),
                cmocka_unit_test(test_woken_before_the_release),
                cmocka_unit_test(test_try_while_the_holder_lets_go),
                cmocka_unit_test(test_join_within_the_last_move),
                cmocka_unit_test(test_deaths_of_waiters),
                cmocka_unit_test(test_lines_in_order),
                cmocka_unit_test(test_join_of_a_group),
                cmocka_unit_test(test_tries_in_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
