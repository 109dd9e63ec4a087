/*
 * test_model.c — the fold of events into the visual state, and deadlock detection.
 *
 * Each test loads a small scenario from JSON text, feeds a hand-written event sequence and
 * checks the state the TUI would draw.
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

static scenario *load(const char *text)
{
        return fixture_load(text);
}

/* A model being fed, with the seq of the next event. */
typedef struct feed {
        scenario *sc;
        model *m;
        uint64_t seq;
} feed;

static feed start(const char *text)
{
        feed f = { .sc = load(text) };

        f.m = model_new(f.sc);
        return f;
}

static void stop(feed *f)
{
        model_free(f->m);
        scenario_free(f->sc);
}

static void full(feed *f, int kind, int actor, int res, int other, int stmt, int aux, int64_t num,
                 const char *text)
{
        event e = { .seq = ++f->seq,
                    .t_ns = f->seq * 1000,
                    .kind = (uint16_t)kind,
                    .actor = (int16_t)actor,
                    .res = (int16_t)res,
                    .other = (int16_t)other,
                    .stmt = stmt,
                    .aux = aux,
                    .num = num,
                    .len = text != NULL ? (uint32_t)strlen(text) : 0,
                    .text = text != NULL ? text : "" };

        model_apply(f->m, &e);
}

static void ev(feed *f, int kind, int actor, int res)
{
        full(f, kind, actor, res, -1, -1, 0, 0, NULL);
}

static void evn(feed *f, int kind, int actor, int res, int64_t num)
{
        full(f, kind, actor, res, -1, -1, 0, num, NULL);
}

static void evt(feed *f, int kind, int actor, int res, int aux, const char *text)
{
        full(f, kind, actor, res, -1, -1, aux, 0, text);
}

/* A PRINT by actor 0 with sequence number SEQ, applied to M. */
static void full_into(model *m, uint64_t seq, const char *text)
{
        event e = { .seq = seq,
                    .t_ns = seq * 1000,
                    .kind = EV_PRINT,
                    .actor = 0,
                    .res = -1,
                    .other = -1,
                    .stmt = -1,
                    .len = (uint32_t)strlen(text),
                    .text = text };

        model_apply(m, &e);
}

static int res(const feed *f, const char *name)
{
        int r = scenario_find_resource(f->sc, name);

        assert_true(r >= 0);
        return r;
}

static const model_res *R(const feed *f, const char *name)
{
        return model_res_at(f->m, res(f, name));
}

static const model_actor *A(const feed *f, int a)
{
        const model_actor *x = model_actor_at(f->m, a);

        assert_non_null(x);
        return x;
}

/* The id of statement K (pre-order) of actor A's script. */
static int stmt_id(const feed *f, int actor, int k)
{
        return fixture_stmt_id(f->sc, actor, k);
}

static void assert_ids(const model_ids *l, size_t n, const int *want)
{
        assert_int_equal(l->n, n);
        for (size_t k = 0; k < n; k++)
                assert_int_equal(l->v[k], want[k]);
}

static void assert_deadlock(const model *m, int want, const char *text)
{
        strbuf why = STRBUF_INIT;
        int got = model_deadlock(m, &why);

        if (got != want || (text != NULL && strcmp(strbuf_str(&why), text) != 0))
                fail_msg("deadlock %d '%s', wanted %d '%s'", got, strbuf_str(&why), want,
                         text != NULL ? text : "");
        strbuf_free(&why);
}

static const char all_text[] =
    "{\"lockstep\": 1, \"title\": \"All\", \"summary\": \"Every resource.\",\n"
    " \"resources\": {\n"
    "   \"lock\": {\"type\": \"lock\"}, \"r\": {\"type\": \"rlock\"},\n"
    "   \"sem\": {\"type\": \"semaphore\", \"value\": 2},\n"
    "   \"sig\": {\"type\": \"semaphore\", \"value\": 0},\n"
    "   \"ev\": {\"type\": \"event\"}, \"cond\": {\"type\": \"condition\"},\n"
    "   \"cl\": {\"type\": \"condition\", \"lock\": \"lock\"},\n"
    "   \"bar\": {\"type\": \"barrier\", \"parties\": 3},\n"
    "   \"q\": {\"type\": \"queue\", \"max\": 2}, \"p\": {\"type\": \"pipe\"},\n"
    "   \"counter\": {\"type\": \"var\", \"value\": 0},\n"
    "   \"items\": {\"type\": \"list\", \"value\": [1, \"a\"]},\n"
    "   \"md\": {\"type\": \"dict\", \"via\": \"manager\"},\n"
    "   \"sv\": {\"type\": \"value\", \"ctype\": \"d\", \"value\": 1.5},\n"
    "   \"pool\": {\"type\": \"pool\", \"workers\": 2}},\n"
    " \"actors\": [\n"
    "   {\"name\": \"A\", \"run\": [{\"put\": \"q\", \"value\": 1}, {\"get\": \"q\"},\n"
    "      {\"send\": \"p.a\", \"value\": 1}, {\"recv\": \"p.a\"}]},\n"
    "   {\"name\": \"B\", \"run\": [{\"get\": \"q\"}, {\"recv\": \"p.b\"}]},\n"
    "   {\"name\": \"C\", \"run\": [{\"sleep\": 0}]},\n"
    "   {\"name\": \"P\", \"kind\": \"process\", \"run\": [{\"store\": \"counter\", \"value\": "
    "5}]}]}\n";

enum { ACT_A, ACT_B, ACT_C, ACT_P, ACT_MAIN };

static void test_initial_state(void **state)
{
        feed f = start(all_text);
        const model_res *r;

        (void)state;
        assert_int_equal(model_nactors(f.m), 5);
        assert_string_equal(A(&f, ACT_A)->name, "A");
        assert_string_equal(A(&f, ACT_MAIN)->name, "MainThread");
        assert_true(A(&f, ACT_P)->process);
        assert_false(A(&f, ACT_A)->process);
        for (int a = 0; a < 5; a++) {
                assert_int_equal(A(&f, a)->state, MODEL_NEW);
                assert_int_equal(A(&f, a)->stmt, -1);
                assert_int_equal(A(&f, a)->res, -1);
        }
        assert_null(model_actor_at(f.m, 5));
        assert_null(model_actor_at(f.m, -1));
        assert_int_equal(R(&f, "lock")->holder, -1);
        assert_int_equal(R(&f, "sem")->count, 2);
        assert_int_equal(R(&f, "sem")->initial, 2);
        assert_int_equal(R(&f, "bar")->parties, 3);
        assert_int_equal(R(&f, "q")->max, 2);
        assert_true(R(&f, "p")->duplex);
        assert_int_equal(R(&f, "cl")->lock, res(&f, "lock"));
        assert_int_equal(R(&f, "cond")->lock, -1);
        r = R(&f, "counter");
        assert_int_equal(r->ncopies, 1);
        assert_int_equal(r->copies[0].owner, -1);
        assert_string_equal(r->copies[0].text, "0");
        assert_string_equal(R(&f, "items")->copies[0].text, "[1, 'a']");
        assert_string_equal(R(&f, "md")->copies[0].text, "{}");
        assert_true(R(&f, "md")->manager);
        assert_string_equal(R(&f, "sv")->copies[0].text, "1.5");
        r = R(&f, "pool");
        assert_int_equal(r->nworkers, 2);
        assert_int_equal(r->workers[0].task, -1);
        assert_int_equal(model_info_of(f.m)->outcome, OUTCOME_RUNNING);
        assert_null(model_info_of(f.m)->caption);
        assert_int_equal(model_output_count(f.m), 0);
        assert_deadlock(f.m, 0, "");
        assert_string_equal(model_state_word(MODEL_BLOCKED), "blocked");
        stop(&f);
}

static void test_lock_handoff(void **state)
{
        feed f = start(all_text);
        int L = res(&f, "lock");

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        evn(&f, EV_ACQUIRED, ACT_A, L, 1);
        assert_int_equal(R(&f, "lock")->holder, ACT_A);
        ev(&f, EV_BLOCKED, ACT_B, L);
        ev(&f, EV_BLOCKED, ACT_C, L);
        assert_ids(&R(&f, "lock")->blocked, 2, (int[]){ ACT_B, ACT_C });
        assert_int_equal(A(&f, ACT_B)->state, MODEL_BLOCKED);
        assert_int_equal(A(&f, ACT_B)->op, MODEL_OP_ACQUIRE);
        assert_int_equal(A(&f, ACT_B)->res, L);
        assert_false(model_can_proceed(f.m, ACT_B));
        /* B's BLOCKED again (a failed retry) keeps its place in the queue */
        ev(&f, EV_BLOCKED, ACT_B, L);
        assert_ids(&R(&f, "lock")->blocked, 2, (int[]){ ACT_B, ACT_C });
        ev(&f, EV_RELEASED, ACT_A, L);
        assert_int_equal(R(&f, "lock")->holder, -1);
        assert_true(model_can_proceed(f.m, ACT_B));
        evn(&f, EV_ACQUIRED, ACT_B, L, 1);
        assert_int_equal(R(&f, "lock")->holder, ACT_B);
        assert_ids(&R(&f, "lock")->blocked, 1, (int[]){ ACT_C });
        assert_int_equal(A(&f, ACT_B)->state, MODEL_RUNNING);
        assert_int_equal(A(&f, ACT_B)->res, -1);
        assert_int_equal(A(&f, ACT_B)->op, MODEL_OP_NONE);
        ev(&f, EV_RELEASED, ACT_B, L);
        evn(&f, EV_ACQUIRED, ACT_C, L, 1);
        assert_int_equal(R(&f, "lock")->holder, ACT_C);
        assert_int_equal(R(&f, "lock")->blocked.n, 0);
        /* a plain lock may be released by another thread */
        ev(&f, EV_RELEASED, ACT_A, L);
        assert_int_equal(R(&f, "lock")->holder, -1);
        stop(&f);
}

static void test_rlock_depth(void **state)
{
        feed f = start(all_text);
        int r = res(&f, "r");

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        evn(&f, EV_ACQUIRED, ACT_A, r, 1);
        evn(&f, EV_ACQUIRED, ACT_A, r, 2);
        assert_int_equal(R(&f, "r")->depth, 2);
        ev(&f, EV_ACQUIRED, ACT_A, r); /* no num: one more */
        assert_int_equal(R(&f, "r")->depth, 3);
        ev(&f, EV_RELEASED, ACT_B, r); /* not the holder: ignored */
        assert_int_equal(R(&f, "r")->depth, 3);
        ev(&f, EV_RELEASED, ACT_A, r);
        ev(&f, EV_RELEASED, ACT_A, r);
        assert_int_equal(R(&f, "r")->holder, ACT_A);
        assert_int_equal(R(&f, "r")->depth, 1);
        ev(&f, EV_RELEASED, ACT_A, r);
        assert_int_equal(R(&f, "r")->holder, -1);
        assert_int_equal(R(&f, "r")->depth, 0);
        /* the holder acquiring again is not stuck, another is */
        evn(&f, EV_ACQUIRED, ACT_A, r, 1);
        ev(&f, EV_BLOCKED, ACT_B, r);
        assert_false(model_can_proceed(f.m, ACT_B));
        stop(&f);
}

static void test_semaphore(void **state)
{
        feed f = start(all_text);
        int s = res(&f, "sem"), g = res(&f, "sig");

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        evn(&f, EV_ACQUIRED, ACT_A, s, 1);
        evn(&f, EV_ACQUIRED, ACT_B, s, 0);
        assert_int_equal(R(&f, "sem")->count, 0);
        assert_ids(&R(&f, "sem")->holders, 2, (int[]){ ACT_A, ACT_B });
        ev(&f, EV_BLOCKED, ACT_C, s);
        assert_ids(&R(&f, "sem")->blocked, 1, (int[]){ ACT_C });
        assert_false(model_can_proceed(f.m, ACT_C));
        evn(&f, EV_RELEASED, ACT_A, s, 1);
        assert_int_equal(R(&f, "sem")->count, 1);
        assert_ids(&R(&f, "sem")->holders, 1, (int[]){ ACT_B });
        assert_true(model_can_proceed(f.m, ACT_C));
        evn(&f, EV_ACQUIRED, ACT_C, s, 0);
        assert_ids(&R(&f, "sem")->holders, 2, (int[]){ ACT_B, ACT_C });
        assert_int_equal(R(&f, "sem")->blocked.n, 0);
        /* one actor may hold several permits */
        evn(&f, EV_RELEASED, ACT_B, s, 1);
        evn(&f, EV_ACQUIRED, ACT_C, s, 0);
        assert_ids(&R(&f, "sem")->holders, 2, (int[]){ ACT_C, ACT_C });
        /* a semaphore used as a signal: released by one, acquired by another, no holders */
        evn(&f, EV_RELEASED, ACT_A, g, 1);
        assert_int_equal(R(&f, "sig")->count, 1);
        evn(&f, EV_ACQUIRED, ACT_B, g, 0);
        assert_int_equal(R(&f, "sig")->count, 0);
        assert_int_equal(R(&f, "sig")->holders.n, 0);
        stop(&f);
}

static void test_event_set_clear(void **state)
{
        feed f = start(all_text);
        int e = res(&f, "ev");

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        ev(&f, EV_WAITING, ACT_A, e);
        full(&f, EV_WAITING, ACT_B, e, -1, -1, 1, 0, NULL);
        assert_ids(&R(&f, "ev")->waiting, 2, (int[]){ ACT_A, ACT_B });
        assert_int_equal(A(&f, ACT_A)->state, MODEL_WAITING);
        assert_int_equal(A(&f, ACT_A)->op, MODEL_OP_WAIT);
        assert_false(A(&f, ACT_A)->timed);
        assert_true(A(&f, ACT_B)->timed);
        assert_false(model_can_proceed(f.m, ACT_A));
        ev(&f, EV_SET, ACT_C, e);
        assert_true(R(&f, "ev")->set);
        assert_true(model_can_proceed(f.m, ACT_A));
        ev(&f, EV_WOKE, ACT_A, e);
        ev(&f, EV_WOKE, ACT_B, e);
        assert_int_equal(R(&f, "ev")->waiting.n, 0);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_RUNNING);
        assert_false(A(&f, ACT_B)->timed);
        ev(&f, EV_CLEARED, ACT_C, e);
        assert_false(R(&f, "ev")->set);
        /* a timed wait that gives up */
        full(&f, EV_WAITING, ACT_A, e, -1, -1, 1, 0, NULL);
        ev(&f, EV_TIMEOUT, ACT_A, e);
        assert_int_equal(R(&f, "ev")->waiting.n, 0);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_RUNNING);
        stop(&f);
}

static void test_condition(void **state)
{
        feed f = start(all_text);
        int c = res(&f, "cond");

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        /* A: with cond: wait  (the condition's own reentrant lock, taken twice) */
        evn(&f, EV_ACQUIRED, ACT_A, c, 1);
        evn(&f, EV_ACQUIRED, ACT_A, c, 2);
        ev(&f, EV_WAITING, ACT_A, c);
        assert_int_equal(R(&f, "cond")->holder, -1);
        assert_ids(&R(&f, "cond")->waiting, 1, (int[]){ ACT_A });
        assert_false(model_can_proceed(f.m, ACT_A));
        /* B: with cond: notify */
        evn(&f, EV_ACQUIRED, ACT_B, c, 1);
        assert_int_equal(R(&f, "cond")->holder, ACT_B);
        evn(&f, EV_NOTIFIED, ACT_B, c, 5);
        assert_int_equal(R(&f, "cond")->pending, 1); /* capped at the waiters */
        assert_true(model_can_proceed(f.m, ACT_A));
        ev(&f, EV_WOKE, ACT_A, c);
        assert_int_equal(R(&f, "cond")->pending, 0);
        assert_int_equal(R(&f, "cond")->waiting.n, 0);
        /* A must take the lock back: B still holds it */
        ev(&f, EV_BLOCKED, ACT_A, c);
        assert_ids(&R(&f, "cond")->blocked, 1, (int[]){ ACT_A });
        assert_int_equal(A(&f, ACT_A)->op, MODEL_OP_ACQUIRE);
        assert_false(model_can_proceed(f.m, ACT_A));
        ev(&f, EV_RELEASED, ACT_B, c);
        assert_int_equal(R(&f, "cond")->holder, -1);
        ev(&f, EV_ACQUIRED, ACT_A, c); /* no num: the depth it gave up */
        assert_int_equal(R(&f, "cond")->holder, ACT_A);
        assert_int_equal(R(&f, "cond")->depth, 2);
        assert_int_equal(R(&f, "cond")->blocked.n, 0);
        stop(&f);
}

static void test_condition_external_lock(void **state)
{
        feed f = start(all_text);
        int c = res(&f, "cl"), L = res(&f, "lock");

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        evn(&f, EV_ACQUIRED, ACT_A, L, 1);
        ev(&f, EV_RELEASED, ACT_A, L); /* the engine may say it first */
        ev(&f, EV_WAITING, ACT_A, c);
        assert_ids(&R(&f, "cl")->waiting, 1, (int[]){ ACT_A });
        /* naming the condition means its lock */
        evn(&f, EV_ACQUIRED, ACT_B, c, 1);
        assert_int_equal(R(&f, "lock")->holder, ACT_B);
        assert_int_equal(R(&f, "cl")->holder, -1);
        evn(&f, EV_NOTIFIED, ACT_B, c, 1);
        ev(&f, EV_WOKE, ACT_A, c);
        ev(&f, EV_BLOCKED, ACT_A, c);
        assert_ids(&R(&f, "lock")->blocked, 1, (int[]){ ACT_A });
        assert_int_equal(A(&f, ACT_A)->res, L);
        ev(&f, EV_RELEASED, ACT_B, L);
        evn(&f, EV_ACQUIRED, ACT_A, L, 1);
        assert_int_equal(R(&f, "lock")->holder, ACT_A);
        /* WAITING while still holding the lock releases it */
        ev(&f, EV_WAITING, ACT_A, c);
        assert_int_equal(R(&f, "lock")->holder, -1);
        stop(&f);
}

static void test_barrier(void **state)
{
        feed f = start(all_text);
        int b = res(&f, "bar");
        strbuf why = STRBUF_INIT;

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        evn(&f, EV_WAITING, ACT_A, b, 1);
        evn(&f, EV_WAITING, ACT_B, b, 2);
        assert_int_equal(R(&f, "bar")->arrivals, 2);
        assert_ids(&R(&f, "bar")->waiting, 2, (int[]){ ACT_A, ACT_B });
        assert_false(model_can_proceed(f.m, ACT_A));
        model_describe_wait(f.m, ACT_A, &why);
        assert_non_null(strstr(strbuf_str(&why), "waits for barrier bar (2 of 3 arrived)"));
        evn(&f, EV_WAITING, ACT_C, b, 3);
        assert_int_equal(R(&f, "bar")->arrivals, 0);
        assert_int_equal(R(&f, "bar")->pending, 3);
        assert_true(model_can_proceed(f.m, ACT_A));
        /* tripped: those not woken yet wait only for their turn, not for "0 of 3" */
        strbuf_reset(&why);
        model_describe_wait(f.m, ACT_A, &why);
        assert_non_null(strstr(strbuf_str(&why), "waits for barrier bar (all 3 arrived)"));
        ev(&f, EV_WOKE, ACT_C, b);
        ev(&f, EV_WOKE, ACT_A, b);
        assert_int_equal(R(&f, "bar")->pending, 1);
        assert_true(model_can_proceed(f.m, ACT_B));
        ev(&f, EV_WOKE, ACT_B, b);
        assert_int_equal(R(&f, "bar")->waiting.n, 0);
        assert_int_equal(R(&f, "bar")->pending, 0);
        /* arrivals without num count one by one; a timeout takes one back */
        ev(&f, EV_WAITING, ACT_A, b);
        ev(&f, EV_WAITING, ACT_B, b);
        assert_int_equal(R(&f, "bar")->arrivals, 2);
        ev(&f, EV_TIMEOUT, ACT_B, b);
        assert_int_equal(R(&f, "bar")->arrivals, 1);
        strbuf_free(&why);
        stop(&f);
}

/* A notify, a trip, lets go of the waiters there were: one that comes after them waits on,
 * however many of them have not woken yet (a live recording once took it for one that could
 * go on, and its saved schedule could not be replayed). */
static void test_let_go_only_those_waiting(void **state)
{
        feed f = start(all_text);
        int c = res(&f, "cond"), b = res(&f, "bar");

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        /* A waits, B notifies one, then C waits before A wakes */
        evn(&f, EV_ACQUIRED, ACT_A, c, 1);
        ev(&f, EV_WAITING, ACT_A, c);
        evn(&f, EV_ACQUIRED, ACT_B, c, 1);
        evn(&f, EV_NOTIFIED, ACT_B, c, 1);
        ev(&f, EV_RELEASED, ACT_B, c);
        evn(&f, EV_ACQUIRED, ACT_C, c, 1);
        ev(&f, EV_WAITING, ACT_C, c);
        assert_int_equal(R(&f, "cond")->pending, 1);
        assert_true(model_can_proceed(f.m, ACT_A));
        assert_false(model_can_proceed(f.m, ACT_C));
        /* a second notify is C's */
        evn(&f, EV_NOTIFIED, ACT_B, c, 1);
        assert_true(model_can_proceed(f.m, ACT_C));
        ev(&f, EV_WOKE, ACT_A, c);
        ev(&f, EV_WOKE, ACT_C, c);
        assert_int_equal(R(&f, "cond")->pending, 0);
        /* a barrier of 3 trips; A comes round again before B has woken: the next round waits */
        evn(&f, EV_WAITING, ACT_A, b, 1);
        evn(&f, EV_WAITING, ACT_B, b, 2);
        evn(&f, EV_WAITING, ACT_C, b, 3);
        ev(&f, EV_WOKE, ACT_C, b);
        ev(&f, EV_WOKE, ACT_A, b);
        evn(&f, EV_WAITING, ACT_A, b, 1);
        assert_ids(&R(&f, "bar")->waiting, 2, (int[]){ ACT_B, ACT_A });
        assert_true(model_can_proceed(f.m, ACT_B));
        assert_false(model_can_proceed(f.m, ACT_A));
        stop(&f);
}

/* A wait that timed out (or abort) breaks the barrier; reset makes it whole. */
static void test_barrier_broken(void **state)
{
        feed f = start(all_text);
        int b = res(&f, "bar");
        strbuf why = STRBUF_INIT;

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        evn(&f, EV_WAITING, ACT_A, b, 1);
        full(&f, EV_WAITING, ACT_B, b, -1, -1, 1, 2, NULL); /* with a timeout */
        assert_false(model_can_proceed(f.m, ACT_A));
        ev(&f, EV_TIMEOUT, ACT_B, b);
        ev(&f, EV_BROKEN, ACT_B, b);
        assert_true(R(&f, "bar")->broken);
        assert_int_equal(R(&f, "bar")->arrivals, 0);
        assert_int_equal(R(&f, "bar")->pending, 1);
        assert_true(model_can_proceed(f.m, ACT_A)); /* it goes on, with BrokenBarrierError */
        model_describe_wait(f.m, ACT_A, &why);
        assert_non_null(strstr(strbuf_str(&why), "waits for barrier bar (broken)"));
        full(&f, EV_WOKE, ACT_A, b, -1, -1, 1, 0, NULL);
        assert_int_equal(R(&f, "bar")->waiting.n, 0);
        assert_int_equal(R(&f, "bar")->pending, 0);
        assert_true(R(&f, "bar")->broken); /* a WOKE after a break does not trip it */
        evt(&f, EV_ERROR, ACT_A, -1, 0, "BrokenBarrierError: barrier 'bar' was broken");
        ev(&f, EV_EXIT, ACT_A, -1);
        /* reset: whole again, and C, who waits, goes on with the error too */
        evn(&f, EV_WAITING, ACT_C, b, 1);
        ev(&f, EV_RESET, ACT_B, b);
        assert_false(R(&f, "bar")->broken);
        assert_int_equal(R(&f, "bar")->pending, 1);
        assert_true(model_can_proceed(f.m, ACT_C));
        assert_int_equal(model_deadlock(f.m, &why), 0);
        full(&f, EV_WOKE, ACT_C, b, -1, -1, 1, 0, NULL);
        assert_int_equal(R(&f, "bar")->pending, 0);
        /* a new round after the reset */
        evn(&f, EV_WAITING, ACT_B, b, 1);
        assert_int_equal(R(&f, "bar")->arrivals, 1);
        assert_false(model_can_proceed(f.m, ACT_B));
        assert_int_equal(model_info_of(f.m)->ignored, 0);
        strbuf_free(&why);
        stop(&f);
}

static void test_queue(void **state)
{
        feed f = start(all_text);
        int q = res(&f, "q");
        const model_res *r;

        (void)state;
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        /* B blocks at its get (statement 0 of B: a getter by its statement) */
        full(&f, EV_BLOCKED, ACT_B, q, -1, stmt_id(&f, ACT_B, 0), 0, 0, NULL);
        r = R(&f, "q");
        assert_ids(&r->blocked, 1, (int[]){ ACT_B });
        assert_int_equal(A(&f, ACT_B)->op, MODEL_OP_GET);
        assert_false(model_can_proceed(f.m, ACT_B));
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 1, "'x'");
        assert_true(model_can_proceed(f.m, ACT_B));
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 2, "2");
        r = R(&f, "q");
        assert_int_equal(r->items.n, 2);
        assert_string_equal(model_texts_at(&r->items, 0), "'x'");
        assert_string_equal(model_texts_at(&r->items, 1), "2");
        assert_null(model_texts_at(&r->items, 2));
        /* A's put on the full queue: a putter by its statement */
        full(&f, EV_BLOCKED, ACT_A, q, -1, stmt_id(&f, ACT_A, 0), 0, 0, NULL);
        assert_ids(&R(&f, "q")->putters, 1, (int[]){ ACT_A });
        assert_int_equal(A(&f, ACT_A)->op, MODEL_OP_PUT);
        assert_false(model_can_proceed(f.m, ACT_A));
        /* C without a statement: the queue is full, so a putter */
        ev(&f, EV_BLOCKED, ACT_C, q);
        assert_ids(&R(&f, "q")->putters, 2, (int[]){ ACT_A, ACT_C });
        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 1, "'x'");
        r = R(&f, "q");
        assert_int_equal(r->blocked.n, 0);
        assert_int_equal(r->items.n, 1);
        assert_string_equal(model_texts_at(&r->items, 0), "2");
        assert_true(model_can_proceed(f.m, ACT_A));
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 2, "3");
        assert_ids(&R(&f, "q")->putters, 1, (int[]){ ACT_C });
        /* many items keep their order across the buffer's reuse */
        for (int k = 0; k < 50; k++) {
                char t[32];

                snprintf(t, sizeof t, "%d", 100 + k);
                full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, t);
                full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        }
        r = R(&f, "q");
        assert_int_equal(r->items.n, 2);
        assert_string_equal(model_texts_at(&r->items, 0), "148");
        assert_string_equal(model_texts_at(&r->items, 1), "149");
        stop(&f);
}

/* A queue's items: short texts in their slots (15 bytes at most), longer ones shared; a clone
 * keeps what it shows whatever the original takes out and puts in, a text of 15 bytes and one of
 * 16 (either side of the slot's room) come back whole. */
static void test_queue_texts(void **state)
{
        feed f = start(all_text);
        int q = res(&f, "q");
        char longer[300];
        model *clone;
        const model_res *r;

        (void)state;
        memset(longer, 'x', sizeof longer - 1);
        longer[sizeof longer - 1] = '\0';
        for (int a = 0; a < 3; a++)
                ev(&f, EV_START, a, -1);
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "1");
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "'two'");
        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, longer);
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "3");
        r = R(&f, "q");
        assert_int_equal(r->items.n, 3);
        assert_string_equal(model_texts_at(&r->items, 0), "'two'");
        assert_string_equal(model_texts_at(&r->items, 1), longer);
        assert_string_equal(model_texts_at(&r->items, 2), "3");
        /* a clone holds them: what the original takes out is not written over */
        clone = model_clone(f.m);
        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "'four'");
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "55555");
        r = model_res_at(clone, q);
        assert_int_equal(r->items.n, 3);
        assert_string_equal(model_texts_at(&r->items, 0), "'two'");
        assert_string_equal(model_texts_at(&r->items, 1), longer);
        assert_string_equal(model_texts_at(&r->items, 2), "3");
        r = R(&f, "q");
        assert_int_equal(r->items.n, 3);
        assert_string_equal(model_texts_at(&r->items, 0), "3");
        assert_string_equal(model_texts_at(&r->items, 1), "'four'");
        assert_string_equal(model_texts_at(&r->items, 2), "55555");
        model_free(clone);
        /* either side of a slot's room */
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "'fifteen bytes'");
        full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, "'sixteen bytes!'");
        r = R(&f, "q");
        assert_string_equal(model_texts_at(&r->items, 3), "'fifteen bytes'");
        assert_string_equal(model_texts_at(&r->items, 4), "'sixteen bytes!'");
        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        /* alone again: items come and go, each text whole, in order */
        for (int k = 0; k < 100; k++) {
                char t[64];

                snprintf(t, sizeof t, k % 3 == 0 ? "%d" : "'item number %d'", k);
                full(&f, EV_PUT, ACT_A, q, -1, -1, 0, 0, t);
                if (k % 4 != 3)
                        full(&f, EV_GOT, ACT_B, q, -1, -1, 0, 0, NULL);
        }
        r = R(&f, "q");
        assert_int_equal(r->items.n, 28);
        assert_string_equal(model_texts_at(&r->items, 27), "99");
        assert_string_equal(model_texts_at(&r->items, 26), "'item number 98'");
        stop(&f);
}

static void test_pipe(void **state)
{
        feed f = start(all_text);
        int p = res(&f, "p");
        const model_res *r;

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        /* B receives at end b (its statement 1) */
        full(&f, EV_BLOCKED, ACT_B, p, -1, stmt_id(&f, ACT_B, 1), 0, 0, NULL);
        assert_int_equal(A(&f, ACT_B)->op, MODEL_OP_RECV);
        assert_int_equal(A(&f, ACT_B)->end, 1);
        assert_false(model_can_proceed(f.m, ACT_B));
        evt(&f, EV_SENT, ACT_A, p, 0, "'hello'");
        evt(&f, EV_SENT, ACT_A, p, 0, "'world'");
        evt(&f, EV_SENT, ACT_B, p, 1, "'back'");
        r = R(&f, "p");
        assert_int_equal(r->flow[0].n, 2);
        assert_string_equal(model_texts_at(&r->flow[0], 0), "'hello'");
        assert_string_equal(model_texts_at(&r->flow[0], 1), "'world'");
        assert_int_equal(r->flow[1].n, 1);
        assert_string_equal(model_texts_at(&r->flow[1], 0), "'back'");
        /* B sent, so its wait ended; A at end a waits for b -> a */
        full(&f, EV_BLOCKED, ACT_A, p, -1, stmt_id(&f, ACT_A, 3), 0, 0, NULL);
        assert_int_equal(A(&f, ACT_A)->end, 0);
        assert_true(model_can_proceed(f.m, ACT_A));
        evt(&f, EV_RECEIVED, ACT_B, p, 1, "'hello'");
        evt(&f, EV_RECEIVED, ACT_A, p, 0, "'back'");
        r = R(&f, "p");
        assert_int_equal(r->flow[0].n, 1);
        assert_string_equal(model_texts_at(&r->flow[0], 0), "'world'");
        assert_int_equal(r->flow[1].n, 0);
        evt(&f, EV_CLOSED, ACT_A, p, 0, NULL);
        assert_true(R(&f, "p")->closed[0]);
        assert_false(R(&f, "p")->closed[1]);
        /* closed, a message still in it: B's next recv gets it (EOFError comes after), and its
         * wait says so (it said "(closed)") */
        full(&f, EV_BLOCKED, ACT_B, p, -1, stmt_id(&f, ACT_B, 1), 0, 0, NULL);
        {
                strbuf why = STRBUF_INIT;

                model_describe_wait(f.m, ACT_B, &why);
                assert_non_null(
                    strstr(strbuf_str(&why), "waits for pipe p.b (a message has come)"));
                evt(&f, EV_RECEIVED, ACT_B, p, 1, "'world'");
                full(&f, EV_BLOCKED, ACT_B, p, -1, stmt_id(&f, ACT_B, 1), 0, 0, NULL);
                strbuf_reset(&why);
                model_describe_wait(f.m, ACT_B, &why);
                assert_non_null(strstr(strbuf_str(&why), "waits for pipe p.b (closed)"));
                strbuf_free(&why);
        }
        /* an end other than a or b is ignored */
        evt(&f, EV_SENT, ACT_A, p, 2, "'x'");
        assert_int_equal(R(&f, "p")->flow[0].n, 0);
        stop(&f);
}

/* A sender blocked on a full pipe (its statement 2 sends at end a) can go on once a message from
 * its end was received, or the pipe closed; a message sent the other way does not help. */
static void test_pipe_full(void **state)
{
        feed f = start(all_text);
        int p = res(&f, "p");

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        evt(&f, EV_SENT, ACT_A, p, 0, "1");
        evt(&f, EV_SENT, ACT_A, p, 0, "2");
        full(&f, EV_BLOCKED, ACT_A, p, -1, stmt_id(&f, ACT_A, 2), 0, 0, NULL);
        assert_int_equal(A(&f, ACT_A)->op, MODEL_OP_SEND);
        assert_int_equal(A(&f, ACT_A)->end, 0);
        assert_int_equal(A(&f, ACT_A)->in_flight, 2);
        assert_false(model_can_proceed(f.m, ACT_A));
        evt(&f, EV_SENT, ACT_B, p, 1, "'back'");
        assert_false(model_can_proceed(f.m, ACT_A));
        evt(&f, EV_RECEIVED, ACT_B, p, 1, "1");
        assert_true(model_can_proceed(f.m, ACT_A));
        /* granted, still no room: blocked again, until the next message is taken */
        full(&f, EV_BLOCKED, ACT_A, p, -1, stmt_id(&f, ACT_A, 2), 0, 0, NULL);
        assert_int_equal(A(&f, ACT_A)->in_flight, 1);
        assert_false(model_can_proceed(f.m, ACT_A));
        evt(&f, EV_CLOSED, ACT_B, p, 1, NULL);
        assert_true(model_can_proceed(f.m, ACT_A));
        stop(&f);
}

static const char *copy_of(const model_res *r, int owner)
{
        static char num[VALUE_INT_TEXT]; /* an int copy's decimal, until the next call */

        for (size_t c = 0; c < r->ncopies; c++)
                if (r->copies[c].owner == owner)
                        return model_copy_text(&r->copies[c], num);
        return NULL;
}

/* A process's copy is its starter's memory when the start statement ran, not when the child's
 * own START came: in a live run the parent may have changed the data in between. */
static void test_copies_at_start(void **state)
{
        static const char text[] =
            "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\","
            " \"resources\": {\"x\": {\"type\": \"var\", \"value\": 0}},"
            " \"actors\": ["
            "  {\"name\": \"P1\", \"kind\": \"process\", \"start\": \"manual\", \"run\": ["
            "    {\"start\": \"P2\"}, {\"start\": \"T\"}, {\"join\": \"P2\"}]},"
            "  {\"name\": \"P2\", \"kind\": \"process\", \"start\": \"manual\", \"run\": ["
            "    {\"sleep\": 0}]},"
            "  {\"name\": \"T\", \"start\": \"manual\", \"run\": [{\"sleep\": 0}]},"
            "  {\"name\": \"Q\", \"kind\": \"process\", \"start\": \"manual\", \"run\": ["
            "    {\"sleep\": 0}]}],"
            " \"main\": [{\"start\": \"P1\"}, {\"start\": \"Q\"}, {\"join\": \"P1\"}]}";
        enum { P1, P2, T, Q, MAIN };
        feed f = start(text);
        int x = res(&f, "x");

        (void)state;
        assert_false(A(&f, P1)->launched);
        full(&f, EV_STEP, MAIN, -1, -1, stmt_id(&f, MAIN, 0), 0, 0, NULL); /* P1.start() */
        /* started, not running yet: still NEW (nothing of it is known), but launched */
        assert_int_equal(A(&f, P1)->state, MODEL_NEW);
        assert_true(A(&f, P1)->launched);
        assert_false(A(&f, P2)->launched);
        evt(&f, EV_CHANGED, MAIN, x, -1, "5");
        ev(&f, EV_START, P1, -1);
        assert_string_equal(copy_of(R(&f, "x"), P1), "0");
        evt(&f, EV_CHANGED, P1, x, P1, "7");
        full(&f, EV_STEP, P1, -1, -1, stmt_id(&f, P1, 0), 0, 0, NULL); /* P2.start() */
        full(&f, EV_STEP, P1, -1, -1, stmt_id(&f, P1, 1), 0, 0, NULL); /* T.start() */
        evt(&f, EV_CHANGED, P1, x, P1, "9");
        ev(&f, EV_START, P2, -1);
        ev(&f, EV_START, T, -1);
        /* a grandchild forked from P1's memory, not the main process's */
        assert_string_equal(copy_of(R(&f, "x"), P2), "7");
        assert_string_equal(copy_of(R(&f, "x"), P1), "9");
        /* a thread lives in its starter's process, and has no copy of its own */
        assert_int_equal(A(&f, T)->home, P1);
        assert_int_equal(A(&f, P2)->home, P2);
        assert_int_equal(A(&f, MAIN)->home, -1);
        assert_int_equal(R(&f, "x")->ncopies, 3);
        /* a START without its start step seen (a trace cut before it) takes the shared copy */
        ev(&f, EV_START, Q, -1);
        assert_string_equal(copy_of(R(&f, "x"), Q), "5");
        stop(&f);
}

static void test_var_copies(void **state)
{
        feed f = start(all_text);
        int v = res(&f, "counter"), sv = res(&f, "sv");

        (void)state;
        evt(&f, EV_CHANGED, ACT_A, v, -1, "1");
        ev(&f, EV_START, ACT_P, -1);
        /* the process got its own copies at fork: vars and plain lists, not manager dicts */
        assert_string_equal(copy_of(R(&f, "counter"), ACT_P), "1");
        assert_string_equal(copy_of(R(&f, "items"), ACT_P), "[1, 'a']");
        assert_null(copy_of(R(&f, "md"), ACT_P));
        assert_null(copy_of(R(&f, "sv"), ACT_P));
        evt(&f, EV_CHANGED, ACT_P, v, ACT_P, "5");
        evt(&f, EV_CHANGED, ACT_A, v, -1, "2");
        assert_string_equal(copy_of(R(&f, "counter"), -1), "2");
        assert_string_equal(copy_of(R(&f, "counter"), ACT_P), "5");
        assert_int_equal(R(&f, "counter")->ncopies, 2);
        /* the main thread's number means the shared copy */
        evt(&f, EV_CHANGED, ACT_MAIN, v, ACT_MAIN, "3");
        assert_string_equal(copy_of(R(&f, "counter"), -1), "3");
        assert_int_equal(R(&f, "counter")->ncopies, 2);
        evt(&f, EV_CHANGED, ACT_P, sv, -1, "2.5");
        assert_string_equal(copy_of(R(&f, "sv"), -1), "2.5");
        /* CHANGED is passive: it does not start or unblock anybody */
        assert_int_equal(A(&f, ACT_A)->state, MODEL_NEW);
        /* a copy for a number that is not an actor is ignored */
        evt(&f, EV_CHANGED, ACT_P, v, 99, "7");
        assert_int_equal(R(&f, "counter")->ncopies, 2);
        stop(&f);
}

/* A value's text is rewritten in place only while nobody else holds it: a clone (a history
 * snapshot) keeps what it saw, longer and shorter texts alike. */
static void test_var_text_in_place(void **state)
{
        feed f = start(all_text);
        int v = res(&f, "counter");
        model *clone;
        const char *before;

        (void)state;
        evt(&f, EV_CHANGED, ACT_A, v, -1, "12345");
        before = copy_of(R(&f, "counter"), -1);
        evt(&f, EV_CHANGED, ACT_A, v, -1, "9");
        assert_ptr_equal(copy_of(R(&f, "counter"), -1), before); /* its own: rewritten */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "9");
        clone = model_clone(f.m);
        evt(&f, EV_CHANGED, ACT_A, v, -1, "10");
        assert_string_equal(copy_of(R(&f, "counter"), -1), "10");
        assert_string_equal(copy_of(model_res_at(clone, v), -1), "9");
        evt(&f, EV_CHANGED, ACT_A, v, -1, "a much longer text than any before it");
        assert_string_equal(copy_of(R(&f, "counter"), -1), "a much longer text than any before it");
        assert_string_equal(copy_of(model_res_at(clone, v), -1), "9");
        model_free(clone);
        evt(&f, EV_CHANGED, ACT_A, v, -1, "");
        assert_string_equal(copy_of(R(&f, "counter"), -1), "");
        stop(&f);
}

/* A CHANGED of VAR by actor A with LEN bytes of TEXT (which may hold a NUL before LEN). */
static void changed_len(feed *f, int var, const char *text, uint32_t len)
{
        event e = { .seq = ++f->seq,
                    .t_ns = f->seq * 1000,
                    .kind = EV_CHANGED,
                    .actor = ACT_A,
                    .res = (int16_t)var,
                    .other = -1,
                    .stmt = -1,
                    .aux = -1,
                    .len = len,
                    .text = text };

        model_apply(f->m, &e);
}

/* text_set's short way (a text of at most 16 bytes into room it fits) keeps the text the long
 * way keeps: up to the first NUL within the length, at 16 and 17 bytes, shorter and equal. */
static void test_var_text_short(void **state)
{
        feed f = start(all_text);
        int v = res(&f, "counter");
        const char *at;

        (void)state;
        changed_len(&f, v, "0123456789abcdefXYZ", 19); /* long: its room is 19 */
        at = copy_of(R(&f, "counter"), -1);
        assert_string_equal(at, "0123456789abcdefXYZ");
        changed_len(&f, v, "0123456789abcdefXYZ", 16); /* the longest short one */
        assert_ptr_equal(copy_of(R(&f, "counter"), -1), at);
        assert_string_equal(at, "0123456789abcdef");
        changed_len(&f, v, "fedcba9876543210", 16); /* as long as the text there */
        assert_ptr_equal(copy_of(R(&f, "counter"), -1), at);
        assert_string_equal(at, "fedcba9876543210");
        changed_len(&f, v, "ab\0cd", 5); /* a NUL within the length ends the text */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "ab");
        assert_int_equal(strlen(copy_of(R(&f, "counter"), -1)), 2);
        changed_len(&f, v, "xyzzy", 3); /* the length ends it before the NUL */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "xyz");
        changed_len(&f, v, "wxyz", 4); /* longer than the text there: the long way */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "wxyz");
        changed_len(&f, v, "0123456789abcdefg", 17); /* one past the short way */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "0123456789abcdefg");
        changed_len(&f, v, "9", 0); /* no length, no text */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "");
        changed_len(&f, v, "", 0);
        assert_string_equal(copy_of(R(&f, "counter"), -1), "");
        changed_len(&f, v, "7", 1); /* longer than an empty text: the long way */
        assert_string_equal(copy_of(R(&f, "counter"), -1), "7");
        stop(&f);
}

/* An event of KIND whose text is the int I as the stream gives it to a consumer that keeps ints
 * (EVENT_INT: its 8 bytes, or LEN bytes of them), into M (model_apply or, GENERIC,
 * model_apply_generic). */
static void int_into(model *m, uint64_t seq, bool generic, int kind, int actor, int res, int aux,
                     int64_t i, uint32_t len)
{
        char bytes[sizeof(int64_t) + 1] = { 0 };
        event e = { .seq = seq,
                    .t_ns = seq * 1000,
                    .kind = (uint8_t)kind,
                    .flags = EVENT_INT,
                    .actor = (int16_t)actor,
                    .res = (int16_t)res,
                    .other = -1,
                    .stmt = -1,
                    .aux = aux,
                    .len = len,
                    .text = bytes };

        memcpy(bytes, &i, sizeof(i));
        if (generic)
                model_apply_generic(m, &e);
        else
                model_apply(m, &e);
}

/* An int's bytes (EVENT_INT) fold as its decimal would: a var's copies keep the int and say its
 * decimal, a process forked from it and a clone keep it, a text and an int take turns; a queue's
 * item and a pool's task are the decimal; a malformed one has no text. Both ways alike. */
static void test_int_values(void **state)
{
        (void)state;
        for (int generic = 0; generic < 2; generic++) {
                feed f = start(all_text);
                int v = res(&f, "counter"), q = res(&f, "q"), pool = res(&f, "pool");
                uint64_t seq = 0;
                model *clone;
                event e, o, *out = &o;
                char buf[VALUE_INT_TEXT];
                char bytes[8];
                int64_t big = INT64_MIN;
                const model_res *r;

#define INT(kind, actor, res, aux, i) int_into(f.m, ++seq, generic, kind, actor, res, aux, i, 8)
                INT(EV_CHANGED, ACT_A, v, -1, 12345);
                assert_string_equal(copy_of(R(&f, "counter"), -1), "12345");
                assert_true(R(&f, "counter")->copies[0].is_int);
                INT(EV_CHANGED, ACT_A, v, -1, -7);
                assert_string_equal(copy_of(R(&f, "counter"), -1), "-7");
                ev(&f, EV_START, ACT_P, -1); /* forked: its own copy, the int */
                f.seq = seq = f.seq > seq ? f.seq : seq;
                assert_string_equal(copy_of(R(&f, "counter"), ACT_P), "-7");
                INT(EV_CHANGED, ACT_P, v, ACT_P, big);
                assert_string_equal(copy_of(R(&f, "counter"), ACT_P), "-9223372036854775808");
                assert_string_equal(copy_of(R(&f, "counter"), -1), "-7");
                clone = model_clone(f.m);
                evt(&f, EV_CHANGED, ACT_A, v, -1, "'text'"); /* an int, then a text */
                seq = f.seq;
                assert_string_equal(copy_of(R(&f, "counter"), -1), "'text'");
                assert_false(R(&f, "counter")->copies[0].is_int);
                assert_string_equal(copy_of(model_res_at(clone, v), -1), "-7");
                model_free(clone);
                INT(EV_CHANGED, ACT_A, v, -1, 0); /* and an int again */
                assert_string_equal(copy_of(R(&f, "counter"), -1), "0");
                int_into(f.m, ++seq, generic, EV_CHANGED, ACT_A, v, -1, 99, 3); /* malformed */
                assert_string_equal(copy_of(R(&f, "counter"), -1), "");
                /* a queue's items: short in their slot, the longest int as a longer text */
                ev(&f, EV_START, ACT_A, -1);
                ev(&f, EV_START, ACT_B, -1);
                f.seq = seq = f.seq > seq ? f.seq : seq;
                INT(EV_PUT, ACT_A, q, 0, 42);
                INT(EV_PUT, ACT_A, q, 0, big);
                INT(EV_PUT, ACT_A, q, 0, 999999999999999); /* 15 digits: the slot's room */
                r = R(&f, "q");
                assert_int_equal(r->items.n, 3);
                assert_string_equal(model_texts_at(&r->items, 0), "42");
                assert_string_equal(model_texts_at(&r->items, 1), "-9223372036854775808");
                assert_string_equal(model_texts_at(&r->items, 2), "999999999999999");
                INT(EV_GOT, ACT_B, q, 0, 42);
                assert_int_equal(R(&f, "q")->items.n, 2);
                assert_string_equal(model_texts_at(&R(&f, "q")->items, 0), "-9223372036854775808");
                /* a pool's task: its argument's decimal */
                INT(EV_TASK, ACT_MAIN, pool, 1, 0);
                assert_string_equal(model_worker_arg(&R(&f, "pool")->workers[1], buf), "0");
                assert_true(R(&f, "pool")->workers[1].arg_int);
                int_into(f.m, ++seq, generic, EV_TASK, ACT_MAIN, pool, 1, 5, 4); /* malformed */
                assert_string_equal(model_worker_arg(&R(&f, "pool")->workers[1], buf), "");
                INT(EV_TASK, ACT_MAIN, pool, 0, 123456789012);
                clone = model_clone(f.m);
                assert_string_equal(model_worker_arg(&R(&f, "pool")->workers[0], buf),
                                    "123456789012");
                assert_string_equal(model_worker_arg(&model_res_at(clone, pool)->workers[0], buf),
                                    "123456789012");
                model_free(clone);
                /* a result: its decimal in the results */
                INT(EV_RESULT, ACT_MAIN, pool, 1, -31);
                assert_int_equal(model_result_count(f.m, pool), 1);
                assert_string_equal(model_result_at(f.m, pool, 0, &(model_line){ 0 })->text, "-31");
                /* kept as ints, read as their decimals, a text among them */
                INT(EV_RESULT, ACT_MAIN, pool, 0, INT64_MIN);
                INT(EV_RESULT, ACT_MAIN, pool, 1, INT64_MAX);
                f.seq = seq;
                full(&f, EV_RESULT, ACT_MAIN, pool, -1, -1, 1, 3, "(1, 'a')");
                seq = f.seq;
                INT(EV_RESULT, ACT_MAIN, pool, 0, 0);
                clone = model_clone(f.m);
                INT(EV_RESULT, ACT_MAIN, pool, 1, 7);
                assert_int_equal(model_result_count(f.m, pool), 6);
                assert_int_equal(model_result_count(clone, pool), 5);
                {
                        static const char *const want[] = { "-31",
                                                            "-9223372036854775808",
                                                            "9223372036854775807",
                                                            "(1, 'a')",
                                                            "0",
                                                            "7" };
                        model_line l;

                        for (size_t k = 0; k < 6; k++)
                                assert_string_equal(model_result_at(f.m, pool, k, &l)->text,
                                                    want[k]);
                        for (size_t k = 0; k < 5; k++)
                                assert_string_equal(model_result_at(clone, pool, k, &l)->text,
                                                    want[k]);
                        assert_int_equal(model_result_at(f.m, pool, 2, &l)->actor, 1);
                        /* the clone, behind on the log they share, finds the same int next,
                         * then another: a log of its own from there */
                        int_into(clone, seq, generic, EV_RESULT, ACT_MAIN, pool, 1, 7, 8);
                        assert_int_equal(model_result_count(clone, pool), 6);
                        assert_string_equal(model_result_at(clone, pool, 5, &l)->text, "7");
                        int_into(clone, seq + 1, generic, EV_RESULT, ACT_MAIN, pool, 0, -8, 8);
                        INT(EV_RESULT, ACT_MAIN, pool, 0, 9);
                        assert_string_equal(model_result_at(clone, pool, 6, &l)->text, "-8");
                        assert_string_equal(model_result_at(f.m, pool, 6, &l)->text, "9");
                        for (size_t k = 0; k < 6; k++)
                                assert_string_equal(model_result_at(clone, pool, k, &l)->text,
                                                    want[k]);
                }
                model_free(clone);
                assert_int_equal(model_info_of(f.m)->ignored, 0);
#undef INT
                stop(&f);
                /* model_event_decimal: the decimal in BUF, the flag off; anything else as it is */
                memcpy(bytes, &big, sizeof(bytes));
                e = (event){ .kind = EV_PUT,
                             .flags = EVENT_INT | EVENT_BEGINS_STEP,
                             .len = 8,
                             .text = bytes };
                assert_ptr_equal(model_event_decimal(&e, out, buf), out);
                assert_string_equal(out->text, "-9223372036854775808");
                assert_int_equal(out->len, 20);
                assert_int_equal(out->flags, EVENT_BEGINS_STEP);
                assert_ptr_equal(model_event_decimal(out, &e, buf), out);
        }
}

static void test_manager_requests(void **state)
{
        feed f = start(all_text);
        int md = res(&f, "md"), items = res(&f, "items");
        uint64_t ignored = model_info_of(f.m)->ignored;
        model *clone;

        (void)state;
        evt(&f, EV_REQUEST, ACT_A, md, 0, "get");
        evt(&f, EV_REQUEST, ACT_P, md, 0, "setitem");
        assert_int_equal(R(&f, "md")->requests, 2);
        assert_int_equal(R(&f, "md")->asking.n, 2);
        assert_int_equal(R(&f, "md")->asking.v[0], ACT_A);
        /* a clone keeps its own list of the actors asking */
        clone = model_clone(f.m);
        evt(&f, EV_REPLY, ACT_A, md, 0, "{}");
        assert_int_equal(R(&f, "md")->asking.n, 1);
        assert_int_equal(R(&f, "md")->asking.v[0], ACT_P);
        assert_int_equal(model_res_at(clone, md)->asking.n, 2);
        model_free(clone);
        /* an error for an answer (aux 1) ends the request too */
        evt(&f, EV_REPLY, ACT_P, md, 1, "TypeError: unhashable type: 'list'");
        assert_int_equal(R(&f, "md")->asking.n, 0);
        assert_int_equal(R(&f, "md")->requests, 2);
        assert_int_equal(model_info_of(f.m)->ignored, ignored);
        /* passive: nobody started or changed state */
        assert_int_equal(A(&f, ACT_A)->state, MODEL_NEW);
        /* ignored: a reply without a request, a request on a list that is not a manager's, and
         * one from the runner */
        evt(&f, EV_REPLY, ACT_A, md, 0, "{}");
        evt(&f, EV_REQUEST, ACT_A, items, 0, "get");
        evt(&f, EV_REQUEST, -1, md, 0, "get");
        assert_int_equal(model_info_of(f.m)->ignored, ignored + 3);
        assert_int_equal(R(&f, "md")->requests, 2);
        assert_int_equal(R(&f, "items")->requests, 0);
        /* a process killed while it waits for the reply asks no more */
        evt(&f, EV_REQUEST, ACT_P, md, 0, "get");
        assert_int_equal(R(&f, "md")->asking.n, 1);
        evt(&f, EV_CRASH, ACT_P, -1, 9, "killed by SIGKILL (signal 9)");
        assert_int_equal(R(&f, "md")->asking.n, 0);
        stop(&f);
}

static void test_pool(void **state)
{
        feed f = start(all_text);
        int p = res(&f, "pool");
        const model_res *r;
        const model_line *l;

        (void)state;
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 0, 0, "1");
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 1, 1, "2");
        r = R(&f, "pool");
        assert_int_equal(r->workers[0].task, 0);
        assert_string_equal(r->workers[0].arg, "1");
        assert_int_equal(r->workers[1].task, 1);
        assert_int_equal(r->ntasks, 2);
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 1, 1, "4");
        r = R(&f, "pool");
        assert_int_equal(r->workers[1].task, -1);
        assert_null(r->workers[1].arg);
        assert_int_equal(model_result_count(f.m, p), 1);
        l = model_result_at(f.m, p, 0, &(model_line){ 0 });
        assert_int_equal(l->index, 1);
        assert_int_equal(l->actor, 1);
        assert_string_equal(l->text, "4");
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 1, 2, "3");
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 0, 0, "1");
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 1, 2, "9");
        assert_int_equal(model_result_count(f.m, p), 3);
        assert_int_equal(model_result_at(f.m, p, 2, &(model_line){ 0 })->index, 2);
        assert_int_equal(R(&f, "pool")->ntasks, 3);
        assert_null(model_result_at(f.m, p, 3, &(model_line){ 0 }));
        /* how the map's results spread over the workers */
        assert_int_equal(R(&f, "pool")->workers[0].done, 1);
        assert_int_equal(R(&f, "pool")->workers[1].done, 2);
        /* a new map starts at task 0, with no results and none done */
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 0, 0, "(1, 2)");
        assert_int_equal(model_result_count(f.m, p), 0);
        assert_int_equal(R(&f, "pool")->ntasks, 1);
        assert_int_equal(R(&f, "pool")->workers[0].done, 0);
        assert_int_equal(R(&f, "pool")->workers[1].done, 0);
        /* worker 0 dies in task 0, which worker 1 runs again: no new map, the results stay */
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 1, 1, "(3, 4)");
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 1, 1, "7");
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 1, 0, "(1, 2)");
        r = R(&f, "pool");
        assert_int_equal(model_result_count(f.m, p), 1);
        assert_int_equal(r->workers[0].task, -1);
        assert_null(r->workers[0].arg);
        assert_int_equal(r->workers[1].task, 0);
        assert_int_equal(r->ntasks, 2);
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 1, 0, "3");
        assert_int_equal(model_result_count(f.m, p), 2);
        assert_int_equal(R(&f, "pool")->workers[0].done, 0);
        assert_int_equal(R(&f, "pool")->workers[1].done, 2);
        /* a worker that does not exist is ignored */
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 2, 1, "x");
        assert_int_equal(R(&f, "pool")->ntasks, 2);
        stop(&f);
}

/* A pool worker's GIL ("gil": GIL@POOL/W): its ACQUIRED and RELEASED name the map's caller but
 * leave the caller as it is — READY, in a wait, even dead (the fork server gives a dead worker's
 * GIL up under the caller's name) — and hold or free the lock; the TUI shows worker W. */
static void test_pool_worker_gil(void **state)
{
        feed f =
            start("{\"lockstep\": 1, \"title\": \"G\", \"summary\": \"s\", \"gil\": true,\n"
                  " \"resources\": {\"pool\": {\"type\": \"pool\", \"workers\": 2}},\n"
                  " \"actors\": [{\"name\": \"A\", \"run\": [{\"print\": \"x\"}]},\n"
                  "   {\"name\": \"P\", \"kind\": \"process\", \"run\": [{\"print\": \"y\"}]}]}");
        int g0 = res(&f, "GIL@pool/0"), g1 = res(&f, "GIL@pool/1");
        enum { GA, GP, GMAIN };

        (void)state;
        assert_int_equal(R(&f, "GIL@pool/0")->worker, 0);
        assert_int_equal(R(&f, "GIL@pool/1")->worker, 1);
        assert_int_equal(R(&f, "GIL")->worker, -1);
        ev(&f, EV_START, GMAIN, -1);
        ev(&f, EV_READY, GMAIN, -1);
        evn(&f, EV_ACQUIRED, GMAIN, g0, 1);
        assert_int_equal(A(&f, GMAIN)->state, MODEL_READY);
        assert_int_equal(R(&f, "GIL@pool/0")->holder, GMAIN);
        /* in a wait (a join): the wait goes on */
        ev(&f, EV_STEP, GMAIN, -1);
        full(&f, EV_BLOCKED, GMAIN, -1, GA, -1, 0, 0, NULL);
        evn(&f, EV_ACQUIRED, GMAIN, g1, 1);
        ev(&f, EV_RELEASED, GMAIN, g0);
        assert_int_equal(A(&f, GMAIN)->state, MODEL_BLOCKED);
        assert_int_equal(A(&f, GMAIN)->join, GA);
        assert_int_equal(R(&f, "GIL@pool/0")->holder, -1);
        assert_int_equal(R(&f, "GIL@pool/1")->holder, GMAIN);
        ev(&f, EV_RELEASED, GMAIN, g1);
        /* a caller that died: its worker's GIL is still taken and given up */
        ev(&f, EV_START, GP, -1);
        evn(&f, EV_ACQUIRED, GP, g1, 1);
        evt(&f, EV_CRASH, GP, -1, 9, "killed by SIGKILL (signal 9)");
        assert_int_equal(R(&f, "GIL@pool/1")->holder, GP);
        ev(&f, EV_RELEASED, GP, g1);
        assert_int_equal(R(&f, "GIL@pool/1")->holder, -1);
        assert_int_equal(A(&f, GP)->state, MODEL_CRASHED);
        /* a plain lock's ACQUIRED from a dead actor is still ignored */
        evn(&f, EV_ACQUIRED, GP, res(&f, "GIL"), 1);
        assert_int_equal(R(&f, "GIL")->holder, -1);
        assert_int_equal(model_info_of(f.m)->ignored, 1);
        stop(&f);
}

/* A TASK or RESULT of pool RES (from main) applied to M, numbered after F's events. */
static void full_model(model *m, feed *f, int kind, int res, int aux, int64_t num, const char *text)
{
        event e = { .seq = ++f->seq,
                    .t_ns = f->seq * 1000,
                    .kind = (uint16_t)kind,
                    .actor = (int16_t)ACT_MAIN,
                    .res = (int16_t)res,
                    .other = -1,
                    .stmt = -1,
                    .aux = aux,
                    .num = num,
                    .len = (uint32_t)strlen(text),
                    .text = text };

        model_apply(m, &e);
}

/* A worker's argument, once its result is in, is the room of the next task's argument (no
 * allocation a task): written in place, never seen by a clone, longer ones given their own. */
static void test_pool_argument_reused(void **state)
{
        feed f = start(all_text);
        int p = res(&f, "pool");
        const char *first;
        model *clone;

        (void)state;
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 0, 0, "(1, 2, 3)");
        first = R(&f, "pool")->workers[0].arg;
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 0, 0, "14");
        assert_null(R(&f, "pool")->workers[0].arg);
        /* the next task, on the other worker: the same room, its own text */
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 1, 1, "(4, 5)");
        assert_ptr_equal(R(&f, "pool")->workers[1].arg, first);
        assert_string_equal(R(&f, "pool")->workers[1].arg, "(4, 5)");
        /* a clone shares the argument: the result lets go of it, and the next task does not
         * write over what the clone shows */
        clone = model_clone(f.m);
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 1, 1, "41");
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 0, 2, "(6,)");
        assert_string_equal(R(&f, "pool")->workers[0].arg, "(6,)");
        assert_string_equal(model_res_at(clone, p)->workers[1].arg, "(4, 5)");
        assert_int_equal(model_res_at(clone, p)->workers[1].task, 1);
        /* the clone's own results and tasks go on from its own state */
        full_model(clone, &f, EV_RESULT, p, 1, 1, "41");
        full_model(clone, &f, EV_TASK, p, 1, 2, "(7, 8)");
        assert_string_equal(model_res_at(clone, p)->workers[1].arg, "(7, 8)");
        assert_string_equal(R(&f, "pool")->workers[0].arg, "(6,)");
        model_free(clone);
        /* a longer argument than the room: its own */
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 0, 2, "36");
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 1, 3,
             "(a longer argument than any before, by far, and then some)");
        assert_string_equal(R(&f, "pool")->workers[1].arg,
                            "(a longer argument than any before, by far, and then some)");
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 1, 3, "0");
        assert_int_equal(model_result_count(f.m, p), 4);
        assert_string_equal(model_result_at(f.m, p, 3, &(model_line){ 0 })->text, "0");
        stop(&f);
}

static void test_output_captions_outcome(void **state)
{
        feed f = start(all_text);
        const model_info *in;
        const model_error *e;

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        evt(&f, EV_PRINT, ACT_A, -1, 0, "hello");
        evt(&f, EV_PRINT, ACT_MAIN, -1, 0, "world");
        evt(&f, EV_PRINT, EVENT_RUNNER, -1, 0, "runner says");
        assert_int_equal(model_output_count(f.m), 3);
        assert_string_equal(model_output_at(f.m, 0, &(model_line){ 0 })->text, "hello");
        assert_int_equal(model_output_at(f.m, 0, &(model_line){ 0 })->actor, ACT_A);
        assert_int_equal(model_output_at(f.m, 1, &(model_line){ 0 })->actor, ACT_MAIN);
        assert_int_equal(model_output_at(f.m, 2, &(model_line){ 0 })->actor, EVENT_RUNNER);
        assert_int_equal(model_output_at(f.m, 1, &(model_line){ 0 })->seq, 3);
        assert_null(model_output_at(f.m, 3, &(model_line){ 0 }));
        evt(&f, EV_SAY, ACT_A, -1, 0, "A takes the lock");
        in = model_info_of(f.m);
        assert_string_equal(in->caption, "A takes the lock");
        assert_int_equal(in->caption_actor, ACT_A);
        evt(&f, EV_SAY, ACT_B, -1, 0, "B waits");
        assert_string_equal(model_info_of(f.m)->caption, "B waits");
        assert_int_equal(model_info_of(f.m)->caption_actor, ACT_B);
        /* an assert failure */
        evt(&f, EV_ASSERT, ACT_MAIN, -1, 0, "lost 3 updates");
        in = model_info_of(f.m);
        assert_int_equal(in->outcome, OUTCOME_ASSERT);
        assert_false(in->ended);
        assert_int_equal(model_assert_count(f.m), 1);
        assert_string_equal(model_assert_at(f.m, 0)->text, "lost 3 updates");
        assert_int_equal(model_assert_at(f.m, 0)->kind, EV_ASSERT);
        /* a crash by signal, an exit status, a run-time error */
        ev(&f, EV_START, ACT_B, -1);
        ev(&f, EV_START, ACT_P, -1);
        full(&f, EV_CRASH, ACT_A, -1, -1, -1, 11, 0, "segmentation fault");
        full(&f, EV_CRASH, ACT_P, -1, -1, -1, 0, 3, "exit(3)");
        evt(&f, EV_ERROR, ACT_B, -1, 0, "ZeroDivisionError: division by zero");
        assert_int_equal(A(&f, ACT_A)->state, MODEL_CRASHED);
        assert_int_equal(A(&f, ACT_A)->signal, 11);
        assert_string_equal(A(&f, ACT_A)->why, "segmentation fault");
        assert_int_equal(A(&f, ACT_P)->signal, 0);
        assert_int_equal(A(&f, ACT_P)->code, 3);
        assert_int_equal(A(&f, ACT_B)->signal, -1);
        assert_string_equal(A(&f, ACT_B)->why, "ZeroDivisionError: division by zero");
        /* on screen: a crash is "crashed", an exit too, a raised error "error" */
        assert_string_equal(model_actor_word(A(&f, ACT_A)), "crashed");
        assert_string_equal(model_actor_word(A(&f, ACT_P)), "crashed");
        assert_string_equal(model_actor_word(A(&f, ACT_B)), "error");
        assert_int_equal(model_error_count(f.m), 3);
        e = model_error_at(f.m, 2);
        assert_int_equal(e->kind, EV_ERROR);
        assert_int_equal(e->actor, ACT_B);
        assert_int_equal(model_info_of(f.m)->nerrors, 3);
        /* the engine's EXIT after an ERROR is applied, and the actor stays crashed; an EXIT
         * after a crash by signal is not the engine's and is ignored */
        {
                uint64_t ignored = model_info_of(f.m)->ignored;

                ev(&f, EV_EXIT, ACT_B, -1);
                assert_int_equal(A(&f, ACT_B)->state, MODEL_CRASHED);
                assert_int_equal(model_info_of(f.m)->ignored, ignored);
                ev(&f, EV_EXIT, ACT_A, -1);
                assert_int_equal(A(&f, ACT_A)->state, MODEL_CRASHED);
                assert_int_equal(model_info_of(f.m)->ignored, ignored + 1);
        }
        /* a crashed actor never comes back */
        ev(&f, EV_STEP, ACT_A, -1);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_CRASHED);
        evt(&f, EV_PRINT, ACT_A, -1, 0, "last words"); /* passive: kept */
        assert_int_equal(model_output_count(f.m), 4);
        full(&f, EV_END, EVENT_RUNNER, -1, -1, -1, OUTCOME_CRASH, 0, NULL);
        in = model_info_of(f.m);
        assert_true(in->ended);
        assert_int_equal(in->outcome, OUTCOME_CRASH);
        stop(&f);
}

/* A run ended by errors alone was ended by an error, not a crash (the header and the summary
 * say "error"); one crash by a signal or an exit makes it a crash; no error at all is neither. */
static void test_only_raised(void **state)
{
        feed f = start(all_text);

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        assert_false(model_only_raised(f.m));
        evt(&f, EV_ERROR, ACT_A, -1, 0, "ValueError: x");
        assert_true(model_only_raised(f.m));
        full(&f, EV_CRASH, ACT_B, -1, -1, -1, 0, 3, "exit(3)");
        assert_false(model_only_raised(f.m));
        stop(&f);
}

/* A failed assert ends its actor with the AssertionError (CRASHED, not DONE), as in a Python
 * thread; but only at its EXIT, once it has unwound: the lock its `with` held is given back on
 * the way, and applied. An assert of the runner's changes no actor. */
static void test_assert_ends_actor(void **state)
{
        feed f = start(all_text);
        int l = res(&f, "lock");
        model *before;

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        evn(&f, EV_ACQUIRED, ACT_A, l, 1);
        full(&f, EV_STEP, ACT_A, -1, -1, stmt_id(&f, ACT_A, 2), 0, 0, NULL);
        evt(&f, EV_ASSERT, ACT_A, -1, 0, "AssertionError: boom");
        assert_int_equal(A(&f, ACT_A)->state, MODEL_RUNNING);
        before = model_clone(f.m); /* shares the text */
        /* the unwind's release is at the `with` (statement 0 here): the actor stays at the
         * assert's line, as a traceback does */
        full(&f, EV_READY, ACT_A, -1, -1, stmt_id(&f, ACT_A, 0), 0, 0, NULL);
        ev(&f, EV_RELEASED, ACT_A, l);
        assert_int_equal(R(&f, "lock")->holder, -1);
        full(&f, EV_EXIT, ACT_A, -1, -1, -1, 1, 0, NULL);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_CRASHED);
        assert_int_equal(A(&f, ACT_A)->signal, -1);
        assert_string_equal(A(&f, ACT_A)->why, "AssertionError: boom");
        assert_string_equal(model_actor_word(A(&f, ACT_A)), "error");
        assert_int_equal(model_error_count(f.m), 0); /* an assert, not an error */
        assert_int_equal(model_assert_count(f.m), 1);
        assert_int_equal(A(&f, ACT_A)->stmt, stmt_id(&f, ACT_A, 2));
        assert_int_equal(model_actor_at(before, ACT_A)->state, MODEL_RUNNING);
        model_free(before);
        /* an error is published after the unwind (a READY at the `with`, its release): the
         * actor is shown at the error's statement, which the ERROR carries */
        ev(&f, EV_START, ACT_C, -1);
        evn(&f, EV_ACQUIRED, ACT_C, l, 1);
        full(&f, EV_STEP, ACT_C, -1, -1, stmt_id(&f, ACT_C, 0), 0, 0, NULL);
        full(&f, EV_READY, ACT_C, -1, -1, stmt_id(&f, ACT_A, 0), 0, 0, NULL);
        ev(&f, EV_RELEASED, ACT_C, l);
        full(&f, EV_ERROR, ACT_C, -1, -1, stmt_id(&f, ACT_C, 0), 0, 0, "ValueError: x");
        assert_int_equal(A(&f, ACT_C)->state, MODEL_CRASHED);
        assert_int_equal(A(&f, ACT_C)->stmt, stmt_id(&f, ACT_C, 0));
        /* an actor without a failed assert is done */
        ev(&f, EV_EXIT, ACT_B, -1);
        assert_int_equal(A(&f, ACT_B)->state, MODEL_DONE);
        assert_null(A(&f, ACT_B)->why);
        evt(&f, EV_ASSERT, EVENT_RUNNER, -1, 0, "AssertionError: the runner's");
        assert_int_equal(model_assert_count(f.m), 2);
        assert_int_equal(model_info_of(f.m)->ignored, 0);
        stop(&f);
}

/* An END with OUTCOME_CRASH (the runner died, killed from outside here) leaves no actor alive:
 * the started and the launched ones died with it, with its reason, without an error each; the
 * new and the finished stay as they were. Other outcomes leave the actors alone. */
static void test_end_crash_ends_actors(void **state)
{
        const char *why = "the runner was killed by SIGKILL (signal 9)";
        feed f = start(all_text);
        int l = res(&f, "lock");

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_START, ACT_B, -1);
        ev(&f, EV_START, ACT_MAIN, -1);
        evn(&f, EV_ACQUIRED, ACT_A, l, 1);
        ev(&f, EV_BLOCKED, ACT_B, l);
        evn(&f, EV_SLEEP, ACT_MAIN, -1, 2000000000);
        ev(&f, EV_EXIT, ACT_A, -1);
        assert_null(model_info_of(f.m)->reason);
        full(&f, EV_END, EVENT_RUNNER, -1, -1, -1, OUTCOME_CRASH, 0, why);
        assert_string_equal(model_info_of(f.m)->reason, why);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_DONE);
        assert_int_equal(A(&f, ACT_B)->state, MODEL_CRASHED);
        assert_string_equal(A(&f, ACT_B)->why, why);
        assert_int_equal(A(&f, ACT_B)->op, MODEL_OP_NONE);
        assert_int_equal(R(&f, "lock")->blocked.n, 0);
        assert_int_equal(A(&f, ACT_MAIN)->state, MODEL_CRASHED);
        assert_int_equal(A(&f, ACT_C)->state, MODEL_NEW);
        assert_int_equal(model_error_count(f.m), 0);
        assert_int_equal(model_deadlock(f.m, NULL), 0);
        stop(&f);

        f = start(all_text);
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_BLOCKED, ACT_A, res(&f, "q"));
        full(&f, EV_END, EVENT_RUNNER, -1, -1, -1, OUTCOME_TIMEOUT, 0, "the time limit");
        assert_int_equal(A(&f, ACT_A)->state, MODEL_BLOCKED);
        assert_string_equal(model_info_of(f.m)->reason, "the time limit");
        stop(&f);
}

/* model_trim_logs drops the oldest lines of the shared logs: the model and its clones agree on
 * what is dropped, a clone replaying the same events stays in step, one that diverges gets its
 * own copy, and the output goes before the pool results. */
static void test_trim_logs(void **state)
{
        feed f = start(all_text);
        int p = res(&f, "pool");
        model *clone, *behind;
        size_t one;
        char text[16];

        (void)state;
        evt(&f, EV_PRINT, ACT_A, -1, 0, "line 1");
        one = model_log_bytes(f.m);
        behind = model_clone(f.m); /* one line in its view */
        for (int k = 2; k <= 10; k++) {
                snprintf(text, sizeof text, "line %d", k);
                evt(&f, EV_PRINT, ACT_A, -1, 0, text);
                if (k == 2)
                        one = model_log_bytes(f.m) - one; /* the bytes of one line */
        }
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 0, 0, "1");
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 0, 0, "r0");
        full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, 0, 1, "r1");
        clone = model_clone(f.m);
        /* nothing over the cap: nothing dropped */
        model_trim_logs(f.m, model_log_bytes(f.m));
        assert_int_equal(model_output_dropped(f.m), 0);
        assert_int_equal(model_output_count(f.m), 10);
        /* keep about four lines' worth: six lines go, the results stay */
        model_trim_logs(f.m, model_log_bytes(f.m) - 6 * one);
        assert_int_equal(model_output_dropped(f.m), 6);
        assert_int_equal(model_output_count(f.m), 4);
        assert_string_equal(model_output_at(f.m, 0, &(model_line){ 0 })->text, "line 7");
        assert_int_equal(model_output_at(f.m, 0, &(model_line){ 0 })->seq, 7);
        assert_null(model_output_at(f.m, 4, &(model_line){ 0 }));
        assert_int_equal(model_result_count(f.m, p), 2);
        /* the clone shares the log: the same lines are gone */
        assert_int_equal(model_output_dropped(clone), 6);
        assert_string_equal(model_output_at(clone, 3, &(model_line){ 0 })->text, "line 10");
        /* one behind the dropped front sees none of its line, counted as dropped */
        assert_int_equal(model_output_count(behind), 0);
        assert_int_equal(model_output_dropped(behind), 1);
        /* it replays the same events (taken to be the dropped ones) and catches up */
        for (int k = 2; k <= 10; k++) {
                snprintf(text, sizeof text, "line %d", k);
                full_into(behind, (uint64_t)k, text);
        }
        assert_int_equal(model_output_count(behind), 4);
        assert_int_equal(model_output_dropped(behind), 6);
        assert_string_equal(model_output_at(behind, 0, &(model_line){ 0 })->text, "line 7");
        /* the clone diverges: a private copy of the kept lines, the original untouched */
        full_into(clone, 99, "only in the clone");
        assert_int_equal(model_output_count(clone), 5);
        assert_int_equal(model_output_dropped(clone), 6);
        assert_string_equal(model_output_at(clone, 4, &(model_line){ 0 })->text,
                            "only in the clone");
        evt(&f, EV_PRINT, ACT_A, -1, 0, "line 11");
        assert_string_equal(model_output_at(f.m, 4, &(model_line){ 0 })->text, "line 11");
        assert_string_equal(model_output_at(clone, 4, &(model_line){ 0 })->text,
                            "only in the clone");
        /* a cap of 0: every line, then every result goes */
        model_trim_logs(f.m, 0);
        assert_int_equal(model_output_count(f.m), 0);
        assert_int_equal(model_output_dropped(f.m), 11);
        assert_int_equal(model_result_count(f.m, p), 0);
        assert_int_equal(model_result_dropped(f.m, p), 2);
        assert_null(model_result_at(f.m, p, 0, &(model_line){ 0 }));
        /* and the model goes on */
        evt(&f, EV_PRINT, ACT_A, -1, 0, "line 12");
        assert_int_equal(model_output_count(f.m), 1);
        assert_string_equal(model_output_at(f.m, 0, &(model_line){ 0 })->text, "line 12");
        model_free(clone);
        model_free(behind);
        stop(&f);
}

static void test_actor_states(void **state)
{
        feed f = start(all_text);
        int s0 = stmt_id(&f, ACT_A, 0), s1 = stmt_id(&f, ACT_A, 1);
        const model_actor *a;

        (void)state;
        full(&f, EV_START, ACT_P, -1, -1, -1, 4242, 0, NULL);
        assert_int_equal(A(&f, ACT_P)->pid, 4242);
        assert_true(A(&f, ACT_P)->started);
        ev(&f, EV_START, ACT_A, -1);
        full(&f, EV_READY, ACT_A, -1, -1, s0, 0, 0, NULL);
        a = A(&f, ACT_A);
        assert_int_equal(a->state, MODEL_READY);
        assert_int_equal(a->stmt, s0);
        assert_int_equal(a->since, 3);
        assert_int_equal(model_stmt(f.m, s0)->kind, SC_PUT);
        full(&f, EV_STEP, ACT_A, -1, -1, s0, 0, 0, NULL);
        full(&f, EV_STEP, ACT_A, -1, -1, s1, 0, 0, NULL);
        a = A(&f, ACT_A);
        assert_int_equal(a->state, MODEL_RUNNING);
        assert_int_equal(a->stmt, s1);
        assert_int_equal(a->steps, 2);
        assert_int_equal(a->since, 4);
        full(&f, EV_STEP, ACT_A, -1, -1, 99999, 0, 0, NULL); /* unknown statement: kept */
        assert_int_equal(A(&f, ACT_A)->stmt, s1);
        evn(&f, EV_SLEEP, ACT_A, -1, 2000000000);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_SLEEPING);
        assert_int_equal(A(&f, ACT_A)->sleep_ns, 2000000000);
        evn(&f, EV_WORK, ACT_A, -1, 50);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_RUNNING);
        ev(&f, EV_EXIT, ACT_A, -1);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_DONE);
        assert_int_equal(A(&f, ACT_A)->events, 8);
        assert_int_equal(model_info_of(f.m)->steps, 3);
        assert_int_equal(model_info_of(f.m)->events, 9);
        assert_int_equal(model_info_of(f.m)->last_seq, 9);
        assert_int_equal(model_info_of(f.m)->t_ns, 9000);
        /* joining */
        ev(&f, EV_START, ACT_MAIN, -1);
        full(&f, EV_BLOCKED, ACT_MAIN, -1, ACT_B, -1, 0, 0, NULL);
        assert_int_equal(A(&f, ACT_MAIN)->op, MODEL_OP_JOIN);
        assert_int_equal(A(&f, ACT_MAIN)->join, ACT_B);
        full(&f, EV_JOINED, ACT_MAIN, -1, ACT_B, -1, 0, 0, NULL);
        assert_int_equal(A(&f, ACT_MAIN)->state, MODEL_RUNNING);
        assert_int_equal(A(&f, ACT_MAIN)->join, -1);
        stop(&f);
}

static void test_garbage_ignored(void **state)
{
        feed f = start(all_text);
        int L = res(&f, "lock"), q = res(&f, "q");
        event e = { .seq = 1,
                    .kind = EV_ACQUIRED,
                    .actor = 0,
                    .res = (int16_t)L,
                    .other = -1,
                    .stmt = -1,
                    .len = 5,
                    .text = NULL };

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        ev(&f, EV_KIND_COUNT, ACT_A, L);
        ev(&f, 999, ACT_A, L);
        ev(&f, EV_ACQUIRED, 999, L);
        ev(&f, EV_ACQUIRED, -2, L);
        ev(&f, EV_ACQUIRED, ACT_A, -5);
        ev(&f, EV_ACQUIRED, ACT_A, 999);
        ev(&f, EV_ACQUIRED, ACT_A, -1);
        ev(&f, EV_ACQUIRED, EVENT_RUNNER, L); /* needs an actor */
        ev(&f, EV_ACQUIRED, ACT_A, q);        /* a queue is not a lock */
        evt(&f, EV_PUT, ACT_A, L, 0, "x");    /* a lock is not a queue */
        ev(&f, EV_WAITING, ACT_A, L);         /* nor something to wait on */
        ev(&f, EV_BLOCKED, ACT_A, -1);        /* blocked on nothing */
        full(&f, EV_BLOCKED, ACT_A, -1, 99, -1, 0, 0, NULL);
        evt(&f, EV_PRINT, ACT_A, 999, 0, "x"); /* a bad resource number anywhere */
        model_apply(f.m, NULL);
        assert_int_equal(model_info_of(f.m)->ignored, 15);
        assert_int_equal(model_info_of(f.m)->events, 1);
        assert_int_equal(R(&f, "lock")->holder, -1);
        assert_int_equal(R(&f, "q")->items.n, 0);
        assert_int_equal(A(&f, ACT_A)->state, MODEL_RUNNING);
        assert_int_equal(A(&f, ACT_A)->events, 1);
        assert_int_equal(model_output_count(f.m), 0);
        /* a NULL text with a length is read as "" */
        model_apply(f.m, &e);
        assert_int_equal(R(&f, "lock")->holder, ACT_A);
        e.kind = EV_PRINT;
        model_apply(f.m, &e);
        assert_string_equal(model_output_at(f.m, 0, &(model_line){ 0 })->text, "");
        /* no crash on every kind with every odd number */
        for (int k = 0; k < EV_KIND_COUNT; k++)
                for (int a = -3; a < 7; a++)
                        for (int r = -2; r < model_nres(f.m) + 1; r += 3)
                                full(&f, k, a, r, a + 1, a * 7, a - 1, a - 2, "t");
        stop(&f);
}

static void test_clone_independent(void **state)
{
        feed f = start(all_text);
        int L = res(&f, "lock"), q = res(&f, "q");
        model *c;

        (void)state;
        ev(&f, EV_START, ACT_A, -1);
        evn(&f, EV_ACQUIRED, ACT_A, L, 1);
        evt(&f, EV_PUT, ACT_A, q, 0, "1");
        evt(&f, EV_PRINT, ACT_A, -1, 0, "one");
        c = model_clone(f.m);
        ev(&f, EV_RELEASED, ACT_A, L);
        evt(&f, EV_PUT, ACT_A, q, 0, "2");
        evt(&f, EV_PRINT, ACT_A, -1, 0, "two");
        assert_int_equal(model_res_at(c, L)->holder, ACT_A);
        assert_int_equal(model_res_at(c, q)->items.n, 1);
        assert_int_equal(model_output_count(c), 1);
        assert_int_equal(model_output_count(f.m), 2);
        /* the clone goes its own way: its output diverges from the original's */
        {
                event e = { .seq = 4,
                            .kind = EV_PRINT,
                            .actor = ACT_B,
                            .res = -1,
                            .other = -1,
                            .stmt = -1,
                            .len = 5,
                            .text = "other" };

                model_apply(c, &e);
        }
        assert_int_equal(model_output_count(c), 2);
        assert_string_equal(model_output_at(c, 1, &(model_line){ 0 })->text, "other");
        assert_string_equal(model_output_at(f.m, 1, &(model_line){ 0 })->text, "two");
        model_free(f.m);
        f.m = c;
        assert_string_equal(model_output_at(f.m, 0, &(model_line){ 0 })->text, "one");
        /* a clone left alone behind the end of the output it owns writes over it */
        c = model_clone(f.m);
        evt(&f, EV_PRINT, ACT_A, -1, 0, "three");
        model_free(f.m);
        f.m = c;
        evt(&f, EV_PRINT, ACT_A, -1, 0, "four");
        assert_int_equal(model_output_count(f.m), 3);
        assert_string_equal(model_output_at(f.m, 1, &(model_line){ 0 })->text, "other");
        assert_string_equal(model_output_at(f.m, 2, &(model_line){ 0 })->text, "four");
        assert_true(model_bytes(f.m) > 0);
        assert_true(model_log_bytes(f.m) > 0);
        stop(&f);
}

/* ---- the packed logs ---- */

/* Line K of a log in the tests below: lengths from 0 to a few hundred bytes, control bytes and
 * UTF-8 among them, and every 97th line longer than a chunk (4 KiB). Returns its length. */
static size_t log_text(size_t k, char *buf, size_t cap)
{
        static const char odd[] = "\x01\x1b[31m\t\r\x7f\xc3\xa9\xe2\x82\xac";
        size_t len = k % 97 == 96 ? 5000 + k % 7 : (k * 37) % 301;

        assert_true(len < cap);
        for (size_t i = 0; i < len; i++)
                buf[i] = k % 5 == 0 ? odd[(k + i) % (sizeof odd - 1)] : (char)('a' + (k + i) % 26);
        buf[len] = '\0';
        return len;
}

/* The seq of line K: gaps of every size, one of them past 2^40. */
static uint64_t log_seq(size_t k)
{
        return 10 + k * 3 + (k * k) % 1000 + (k >= 1500 ? (uint64_t)1 << 40 : 0);
}

static void print_line(model *m, uint64_t seq, int actor, const char *text, size_t len)
{
        event e = { .seq = seq,
                    .kind = EV_PRINT,
                    .actor = (int16_t)actor,
                    .res = -1,
                    .other = -1,
                    .stmt = -1,
                    .len = (uint32_t)len,
                    .text = text };

        model_apply(m, &e);
}

static const int log_actors[] = { EVENT_RUNNER, ACT_A, ACT_MAIN, ACT_P };

/* Line I of M's output is line K of the tests' log. */
static void assert_log_line(const model *m, size_t i, size_t k)
{
        char want[6000];
        model_line line;
        const model_line *l = model_output_at(m, i, &line);
        size_t len = log_text(k, want, sizeof want);

        assert_ptr_equal(l, &line);
        assert_int_equal(l->seq, log_seq(k));
        assert_int_equal(l->actor, log_actors[k % 4]);
        assert_int_equal(l->index, 0);
        assert_int_equal(strlen(l->text), len);
        assert_memory_equal(l->text, want, len);
}

static void print_log_lines(model *m, size_t from, size_t to)
{
        char text[6000];

        for (size_t k = from; k < to; k++) {
                size_t len = log_text(k, text, sizeof text);

                print_line(m, log_seq(k), log_actors[k % 4], text, len);
        }
}

/* Every line comes back as it went in, in order, backwards and anywhere; the log takes a few
 * bytes a line besides its texts. */
static void test_log_packed(void **state)
{
        feed f = start(all_text);
        size_t n = 3000, texts = 0;
        char text[6000];

        (void)state;
        print_log_lines(f.m, 0, n);
        for (size_t k = 0; k < n; k++)
                texts += log_text(k, text, sizeof text) + 1;
        assert_int_equal(model_output_count(f.m), n);
        assert_int_equal(model_output_dropped(f.m), 0);
        for (size_t k = 0; k < n; k++)
                assert_log_line(f.m, k, k);
        for (size_t k = n; k-- > 0;)
                assert_log_line(f.m, k, k);
        for (size_t k = 0, i = 0; k < n; k++, i = (i + 1237) % n) /* 1237 is prime to 3000 */
                assert_log_line(f.m, i, i);
        assert_null(model_output_at(f.m, n, &(model_line){ 0 }));
        /* the seq takes 2 bytes here, the actor and the index 1 each; the chunks (one in 4 KiB,
         * each with a header and a pointer, and the end of one that the next line did not fit)
         * add an eighth at most: here 658,120 bytes for 598,266 of text */
        assert_true(model_log_bytes(f.m) > texts + 3 * n);
        assert_true(model_log_bytes(f.m) < texts + 5 * n + texts / 8);
        stop(&f);
}

/* A model that keeps no history (model_keep_no_history) logs in chunks of 64 KiB: the same lines
 * come back as from a model that may be cloned, and the chunks' headers and the ends that the next
 * line did not fit take a fraction of what 4 KiB chunks do. Trimmed, it keeps the newest lines
 * whole. */
static void test_log_unshared(void **state)
{
        feed f = start(all_text), g = start(all_text);
        size_t n = 3000, texts = 0, small, big, before;
        char text[6000];

        (void)state;
        model_keep_no_history(g.m);
        print_log_lines(f.m, 0, n);
        print_log_lines(g.m, 0, n);
        for (size_t k = 0; k < n; k++)
                texts += log_text(k, text, sizeof text) + 1;
        for (size_t k = 0; k < n; k++)
                assert_log_line(g.m, k, k);
        for (size_t k = n; k-- > 0;)
                assert_log_line(g.m, k, k);
        /* the records' own bytes are the same (3 to 5 a line besides the text): what differs is
         * the chunks' share, 4 KiB ones' several times the bigger ones' (here 50,854 bytes
         * against 9,799) */
        small = model_log_bytes(f.m) - texts - 3 * n;
        big = model_log_bytes(g.m) - texts - 3 * n;
        assert_true(model_log_bytes(g.m) > texts + 3 * n);
        assert_true(big * 4 < small);
        /* trimmed to half: the oldest lines go, the newest stay as they were */
        before = model_log_bytes(g.m);
        model_trim_logs(g.m, before / 2);
        assert_true(model_log_bytes(g.m) <= before / 2);
        assert_true(model_log_bytes(g.m) > before / 4);
        assert_true(model_output_dropped(g.m) > 0);
        assert_int_equal(model_output_count(g.m) + model_output_dropped(g.m), n);
        for (size_t i = 0; i < model_output_count(g.m); i++)
                assert_log_line(g.m, i, model_output_dropped(g.m) + i);
        stop(&f);
        stop(&g);
}

/* A text is kept up to its first NUL (as every text of the model), control bytes and all; an
 * empty one is ""; a result's index may jump either way, as far as it goes. */
static void test_log_odd_lines(void **state)
{
        feed f = start(all_text);
        int p = res(&f, "pool");
        static const int64_t index[] = { INT64_MAX, 0, 7, INT64_MAX - 1, 1, 0 };
        model_line line;

        (void)state;
        print_line(f.m, 1, ACT_A, "ab\0cd", 5);
        print_line(f.m, 2, ACT_A, "\x1b]0;title\x07\n\r", 12);
        print_line(f.m, 3, ACT_A, "", 0);
        print_line(f.m, 4, ACT_A, NULL, 3);
        print_line(f.m, UINT64_MAX, EVENT_RUNNER, "last", 4);
        print_line(f.m, 5, ACT_MAIN, "back", 4);
        assert_int_equal(model_output_count(f.m), 6);
        assert_string_equal(model_output_at(f.m, 0, &line)->text, "ab");
        assert_memory_equal(model_output_at(f.m, 1, &line)->text, "\x1b]0;title\x07\n\r", 13);
        assert_string_equal(model_output_at(f.m, 2, &line)->text, "");
        assert_string_equal(model_output_at(f.m, 3, &line)->text, "");
        assert_int_equal(model_output_at(f.m, 4, &line)->seq, UINT64_MAX);
        assert_int_equal(line.actor, EVENT_RUNNER);
        assert_int_equal(model_output_at(f.m, 5, &line)->seq, 5);
        assert_int_equal(line.actor, ACT_MAIN);
        f.seq = 10;
        full(&f, EV_TASK, ACT_MAIN, p, -1, -1, 0, 0, "x");
        for (size_t k = 0; k < sizeof index / sizeof *index; k++)
                full(&f, EV_RESULT, ACT_MAIN, p, -1, -1, (int)k % 2, index[k], "r");
        assert_int_equal(model_result_count(f.m, p), 6);
        for (size_t k = 0; k < sizeof index / sizeof *index; k++) {
                assert_non_null(model_result_at(f.m, p, k, &line));
                assert_int_equal(line.index, index[k]);
                assert_int_equal(line.actor, (int)k % 2);
                assert_int_equal(line.seq, 12 + k);
        }
        assert_null(model_result_at(f.m, p, 6, &line));
        assert_null(model_result_at(f.m, res(&f, "lock"), 0, &line));
        stop(&f);
}

/* Trimming drops lines one by one, across the chunks' borders, and frees each chunk once all of
 * its lines went; every model sharing the log sees the same lines; appending goes on after. */
static void test_log_trim_chunks(void **state)
{
        feed f = start(all_text);
        size_t n = 2000, dropped = 0, mid = 1010;
        model *clone, *diverged;
        char text[6000];

        (void)state;
        print_log_lines(f.m, 0, mid);
        diverged = model_clone(f.m);
        print_log_lines(f.m, mid, n);
        clone = model_clone(f.m);
        /* one that diverges in the middle of a chunk (line 1010) shares the chunks before */
        print_line(diverged, 1, ACT_C, "diverged", 8);
        /* a little less than before: exactly one more line goes, and its bytes (more when its
         * chunk goes with it), through the chunk that the diverged one cut */
        for (size_t k = 0; k < mid + 100; k++) {
                size_t before = model_log_bytes(f.m);

                model_trim_logs(f.m, before - 1);
                assert_int_equal(model_output_dropped(f.m), dropped + 1);
                assert_true(model_log_bytes(f.m) + log_text(dropped, text, sizeof text) + 4 <=
                            before);
                dropped++;
                assert_log_line(f.m, 0, dropped);
                assert_log_line(clone, 0, dropped);
        }
        /* then about STEP lines' worth at a time */
        for (size_t step = 1; step < 300; step += 37) {
                model_trim_logs(f.m, model_log_bytes(f.m) - step * 50);
                dropped = model_output_dropped(f.m);
                assert_int_equal(model_output_count(f.m), n - dropped);
                assert_int_equal(model_output_dropped(clone), dropped);
                assert_log_line(f.m, 0, dropped);
                assert_log_line(clone, 0, dropped);
                assert_log_line(f.m, n - dropped - 1, n - 1);
        }
        assert_true(dropped > mid + 300); /* many chunks of about 30 lines went */
        for (size_t k = 0; k < n - dropped; k++)
                assert_log_line(clone, k, dropped + k);
        /* the one that diverged lost none of its lines */
        assert_int_equal(model_output_count(diverged), mid + 1);
        for (size_t k = 0; k < mid; k++)
                assert_log_line(diverged, k, k);
        /* both go on: the original appends, the clone (at the same line) follows it */
        print_log_lines(f.m, n, n + 300);
        print_log_lines(clone, n, n + 300);
        for (size_t k = 0; k < n + 300 - dropped; k += 7) {
                assert_log_line(f.m, k, dropped + k);
                assert_log_line(clone, k, dropped + k);
        }
        /* all of it (every chunk freed: what is left is the log's own few bytes), then a line */
        model_trim_logs(f.m, 0);
        assert_int_equal(model_output_count(f.m), 0);
        assert_int_equal(model_output_dropped(f.m), n + 300);
        assert_int_equal(model_output_count(clone), 0);
        assert_true(model_log_bytes(f.m) < 4096);
        print_log_lines(f.m, n + 300, n + 301);
        assert_int_equal(model_output_count(f.m), 1);
        assert_log_line(f.m, 0, n + 300);
        model_free(diverged);
        model_free(clone);
        stop(&f);
}

/* Snapshots share the log; each then appends lines of its own, over many chunks: the one at the
 * end writes in place, the other gets a log of its own sharing the chunks before it. Either
 * can be freed first. */
static void test_log_shared_then_both_append(void **state)
{
        static const size_t at[] = { 0, 1, 29, 30, 31, 500, 999 };

        (void)state;
        for (size_t t = 0; t < sizeof at / sizeof *at; t++) {
                feed f = start(all_text);
                model *snap, *other;
                char text[32];

                print_log_lines(f.m, 0, at[t]);
                snap = model_clone(f.m);
                other = model_clone(f.m);
                print_log_lines(f.m, at[t], 1000);
                /* the snapshot replays what the live model did: it shares it all */
                print_log_lines(snap, at[t], at[t] + 10);
                /* and then goes its own way, for many chunks */
                for (size_t k = 0; k < 500; k++) {
                        snprintf(text, sizeof text, "snapshot %zu", k);
                        print_line(snap, 5000000 + k, ACT_B, text, strlen(text));
                }
                print_log_lines(f.m, 1000, 1100);
                /* a third view, at the old end, diverges at once */
                print_line(other, 1, ACT_C, "other", 5);
                assert_int_equal(model_output_count(f.m), 1100);
                assert_int_equal(model_output_count(snap), at[t] + 510);
                assert_int_equal(model_output_count(other), at[t] + 1);
                for (size_t k = 0; k < 1100; k++)
                        assert_log_line(f.m, k, k);
                for (size_t k = 0; k < at[t] + 10; k++)
                        assert_log_line(snap, k, k);
                for (size_t k = 0; k < at[t]; k++)
                        assert_log_line(other, k, k);
                assert_string_equal(model_output_at(other, at[t], &(model_line){ 0 })->text,
                                    "other");
                if (t % 2 == 0) {
                        model_free(f.m);
                        f.m = other;
                } else {
                        model_free(other);
                }
                for (size_t k = 0; k < 500; k++) {
                        model_line line;

                        snprintf(text, sizeof text, "snapshot %zu", k);
                        assert_non_null(model_output_at(snap, at[t] + 10 + k, &line));
                        assert_string_equal(line.text, text);
                        assert_int_equal(line.seq, 5000000 + k);
                        assert_int_equal(line.actor, ACT_B);
                }
                /* left alone, a model behind the end of its log cuts it and writes over it */
                model_free(snap);
                snap = model_clone(f.m);
                model_free(f.m);
                f.m = snap;
                assert_true(model_output_count(f.m) > 0);
                stop(&f);
        }
}

/* A model left alone behind the end of a log of many chunks (the others freed) cuts it where it
 * diverges, in the middle of a chunk or at its border, and goes on from there. */
static void test_log_cut(void **state)
{
        static const size_t at[] = { 0, 1, 100, 1999 };

        (void)state;
        for (size_t t = 0; t < sizeof at / sizeof *at; t++) {
                feed f = start(all_text);
                model *behind;

                print_log_lines(f.m, 0, at[t]);
                behind = model_clone(f.m);
                print_log_lines(f.m, at[t], 2000);
                model_free(f.m);
                f.m = behind;
                /* the same lines first: still shared with nothing, nothing cut */
                print_log_lines(f.m, at[t], at[t] + 1);
                print_line(f.m, 7, ACT_C, "new", 3);
                print_log_lines(f.m, 2000, 2400);
                assert_int_equal(model_output_count(f.m), at[t] + 402);
                for (size_t k = 0; k <= at[t]; k++)
                        assert_log_line(f.m, k, k);
                assert_string_equal(model_output_at(f.m, at[t] + 1, &(model_line){ 0 })->text,
                                    "new");
                for (size_t k = 0; k < 400; k++)
                        assert_log_line(f.m, at[t] + 2 + k, 2000 + k);
                stop(&f);
        }
}

/* ---- deadlock ---- */

static const char two_text[] =
    "{\"lockstep\": 1, \"title\": \"Two\", \"summary\": \"Two locks.\",\n"
    " \"resources\": {\"a\": {\"type\": \"lock\"}, \"b\": {\"type\": \"lock\"},\n"
    "   \"q\": {\"type\": \"queue\"}, \"e\": {\"type\": \"event\"},\n"
    "   \"s\": {\"type\": \"semaphore\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"Worker-1\", \"run\": [{\"sleep\": 0}]},\n"
    "   {\"name\": \"Worker-2\", \"run\": [{\"sleep\": 0}]},\n"
    "   {\"name\": \"Consumer\", \"run\": [{\"get\": \"q\"}]}]}\n";

static void test_deadlock_two(void **state)
{
        feed f = start(two_text);
        int a = res(&f, "a"), b = res(&f, "b");
        model_edge edges[8];

        (void)state;
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 1, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        evn(&f, EV_ACQUIRED, 1, b, 1);
        ev(&f, EV_BLOCKED, 0, b);
        assert_deadlock(f.m, 0, "");
        ev(&f, EV_BLOCKED, 1, a);
        assert_deadlock(f.m, 1,
                        "Worker-1 holds a and waits for b held by Worker-2; "
                        "Worker-2 holds b and waits for a held by Worker-1");
        assert_int_equal(model_wait_edges(f.m, edges, 8), 2);
        assert_int_equal(edges[0].from, 0);
        assert_int_equal(edges[0].to, 1);
        assert_int_equal(edges[0].res, b);
        assert_int_equal(edges[0].kind, MODEL_EDGE_LOCK);
        assert_true(edges[0].cycle);
        assert_true(edges[1].cycle);
        assert_int_equal(model_wait_edges(f.m, NULL, 0), 2);
        assert_deadlock(f.m, 1, NULL);
        assert_int_equal(model_deadlock(f.m, NULL), 1);
        stop(&f);
}

static void test_deadlock_timeout(void **state)
{
        feed f = start(two_text);
        int a = res(&f, "a"), b = res(&f, "b");
        model_edge edges[8];

        (void)state;
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 1, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        evn(&f, EV_ACQUIRED, 1, b, 1);
        full(&f, EV_BLOCKED, 0, b, -1, -1, 1, 0, NULL); /* acquire(timeout=...) */
        ev(&f, EV_BLOCKED, 1, a);
        assert_true(A(&f, 0)->timed);
        assert_deadlock(f.m, 0, "");
        assert_int_equal(model_wait_edges(f.m, edges, 8), 2);
        assert_true(edges[0].timed);
        assert_false(edges[0].cycle);
        assert_false(edges[1].cycle);
        /* the timed wait ends: now it waits for good */
        ev(&f, EV_TIMEOUT, 0, b);
        assert_false(A(&f, 0)->timed);
        ev(&f, EV_BLOCKED, 0, b);
        assert_deadlock(f.m, 1, NULL);
        stop(&f);
}

static void test_deadlock_self(void **state)
{
        feed f = start(two_text);
        int a = res(&f, "a");

        (void)state;
        ev(&f, EV_START, 0, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        ev(&f, EV_BLOCKED, 0, a);
        assert_deadlock(f.m, 1, "Worker-1 holds a and waits for a held by Worker-1");
        stop(&f);
}

/* Worker-2 releases the lock a, which it never takes (Python allows it for a threading.Lock);
 * Starter starts Late, which releases a condition over a; Other releases nothing. */
static const char release_text[] =
    "{\"lockstep\": 1, \"title\": \"Release\", \"summary\": \"Another's release.\",\n"
    " \"resources\": {\"a\": {\"type\": \"lock\"},\n"
    "   \"cl\": {\"type\": \"condition\", \"lock\": \"a\"}},\n"
    " \"actors\": [{\"name\": \"Worker-1\", \"run\": [{\"sleep\": 0}]},\n"
    "   {\"name\": \"Worker-2\", \"run\": [{\"sleep\": 1}, {\"release\": \"a\"}]},\n"
    "   {\"name\": \"Other\", \"run\": [{\"sleep\": 1}]},\n"
    "   {\"name\": \"Late\", \"start\": \"manual\", \"run\": [{\"release\": \"cl\"}]}],\n"
    " \"main\": [{\"start\": \"Late\"}]}\n";

enum { REL_W1, REL_W2, REL_OTHER, REL_LATE, REL_MAIN };

/* A threading.Lock may be released by another thread, by a `release` of it: a cycle through a
 * plain lock is a deadlock once no live actor off the cycle can still move, or once none that
 * has not finished has such a release (one not started yet may be started and release it). */
static void test_deadlock_breakable(void **state)
{
        feed f = start(two_text);
        int a = res(&f, "a");

        (void)state;
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 1, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        ev(&f, EV_BLOCKED, 0, a); /* Worker-1 waits for the lock it holds */
        /* Worker-2 can still move, but no script releases a: nobody ever can */
        evn(&f, EV_SLEEP, 1, -1, 1000);
        assert_deadlock(f.m, 1, "Worker-1 holds a and waits for a held by Worker-1");
        /* ... though the run goes on until Worker-2 is done too: it moves */
        assert_false(model_all_stuck(f.m));
        ev(&f, EV_EXIT, 1, -1);
        assert_true(model_all_stuck(f.m));
        stop(&f);

        f = start(release_text);
        a = res(&f, "a");
        ev(&f, EV_START, REL_W1, -1);
        ev(&f, EV_START, REL_W2, -1);
        ev(&f, EV_START, REL_OTHER, -1);
        evn(&f, EV_ACQUIRED, REL_W1, a, 1);
        ev(&f, EV_BLOCKED, REL_W1, a);
        evn(&f, EV_SLEEP, REL_W2, -1, 1000); /* Worker-2 sleeps: it may release a later */
        assert_deadlock(f.m, 0, "");
        ev(&f, EV_EXIT, REL_W2, -1); /* it did not; Late, not started, releases cl (over a) */
        assert_deadlock(f.m, 0, "");
        ev(&f, EV_START, REL_LATE, -1);
        ev(&f, EV_EXIT, REL_LATE, -1); /* it did not either: now nobody can */
        assert_deadlock(f.m, 1, "Worker-1 holds a and waits for a held by Worker-1");
        stop(&f);
        /* ... and when the other one releases it, the waiter goes on */
        f = start(two_text);
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 1, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        ev(&f, EV_BLOCKED, 0, a);
        ev(&f, EV_RELEASED, 1, a);
        assert_int_equal(R(&f, "a")->holder, -1);
        assert_true(model_can_proceed(f.m, 0));
        evn(&f, EV_ACQUIRED, 0, a, 1);
        assert_int_equal(R(&f, "a")->holder, 0);
        assert_int_equal(A(&f, 0)->state, MODEL_RUNNING);
        assert_int_equal(model_info_of(f.m)->ignored, 0);
        stop(&f);
}

static const char philosophers_text[] =
    "{\"lockstep\": 1, \"title\": \"Philosophers\", \"summary\": \"Five forks.\",\n"
    " \"resources\": {\"fork_0\": {\"type\": \"lock\"}, \"fork_1\": {\"type\": \"lock\"},\n"
    "   \"fork_2\": {\"type\": \"lock\"}, \"fork_3\": {\"type\": \"lock\"},\n"
    "   \"fork_4\": {\"type\": \"lock\"}},\n"
    " \"actors\": [{\"name\": \"Philosopher-{i}\", \"group\": \"Philosopher\", \"count\": 5,\n"
    "   \"run\": [{\"sleep\": 0}]}]}\n";

static void test_deadlock_philosophers(void **state)
{
        feed f = start(philosophers_text);
        int fork[5];

        (void)state;
        for (int k = 0; k < 5; k++) {
                char name[32];

                snprintf(name, sizeof name, "fork_%d", k);
                fork[k] = res(&f, name);
                ev(&f, EV_START, k, -1);
        }
        for (int k = 0; k < 5; k++)
                evn(&f, EV_ACQUIRED, k, fork[k], 1);
        for (int k = 4; k >= 0; k--) {
                assert_deadlock(f.m, 0, "");
                ev(&f, EV_BLOCKED, k, fork[(k + 1) % 5]);
        }
        assert_deadlock(f.m, 1,
                        "Philosopher-0 holds fork_0 and waits for fork_1 held by Philosopher-1; "
                        "Philosopher-1 holds fork_1 and waits for fork_2 held by Philosopher-2; "
                        "Philosopher-2 holds fork_2 and waits for fork_3 held by Philosopher-3; "
                        "Philosopher-3 holds fork_3 and waits for fork_4 held by Philosopher-4; "
                        "Philosopher-4 holds fork_4 and waits for fork_0 held by Philosopher-0");
        /* Philosopher-2 gives up its fork (a timeout): the cycle is gone */
        ev(&f, EV_TIMEOUT, 2, fork[3]);
        ev(&f, EV_RELEASED, 2, fork[2]);
        assert_deadlock(f.m, 0, "");
        stop(&f);
}

/* A and B each release a semaphore the other acquires (a rendezvous); C puts into q, and D gets
 * from it; main releases `m_sig` only. */
static const char givers_text[] =
    "{\"lockstep\": 1, \"title\": \"Givers\", \"summary\": \"Who could end a wait.\",\n"
    " \"resources\": {\"a_sig\": {\"type\": \"semaphore\", \"value\": 0},\n"
    "   \"b_sig\": {\"type\": \"semaphore\", \"value\": 0},\n"
    "   \"m_sig\": {\"type\": \"semaphore\", \"value\": 0}, \"q\": {\"type\": \"queue\"},\n"
    "   \"room\": {\"type\": \"semaphore\", \"value\": 1},\n"
    "   \"gate\": {\"type\": \"semaphore\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"A\", \"run\": [{\"acquire\": \"b_sig\"}, {\"release\": "
    "\"a_sig\"}]},\n"
    "   {\"name\": \"B\", \"run\": [{\"acquire\": \"a_sig\"}, {\"release\": \"b_sig\"}]},\n"
    "   {\"name\": \"C\", \"run\": [{\"put\": \"q\", \"value\": 1}, {\"with\": \"gate\", "
    "\"do\": [{\"sleep\": 1}]}]},\n"
    "   {\"name\": \"D\", \"run\": [{\"get\": \"q\"}, {\"acquire\": \"m_sig\"}]}],\n"
    " \"main\": [{\"release\": \"m_sig\"}]}\n";

enum { GV_A, GV_B, GV_C, GV_D, GV_MAIN };

/* No cycle, but actors that can never move while others can: each waits for what only actors
 * stuck for good could give (3, named at once) — not while one that can still move has in its
 * script what would end the wait, nor while it has not started. */
static void test_deadlock_stuck_for_good(void **state)
{
        feed f = start(givers_text);
        int a_sig = res(&f, "a_sig"), b_sig = res(&f, "b_sig"), m_sig = res(&f, "m_sig"),
            q = res(&f, "q");

        (void)state;
        for (int k = GV_A; k <= GV_D; k++)
                ev(&f, EV_START, k, -1);
        ev(&f, EV_START, GV_MAIN, -1);
        ev(&f, EV_BLOCKED, GV_A, b_sig);
        /* B, which releases b_sig, still moves */
        assert_deadlock(f.m, 0, "");
        ev(&f, EV_BLOCKED, GV_B, a_sig);
        assert_deadlock(f.m, 3,
                        "nobody who could end these waits can move: A waits for semaphore "
                        "b_sig (count 0); B waits for semaphore a_sig (count 0)");
        assert_false(model_all_stuck(f.m));
        /* D waits for an item that C, still moving, puts: not stuck for good */
        ev(&f, EV_BLOCKED, GV_D, q);
        assert_deadlock(f.m, 3, NULL);
        {
                strbuf why = STRBUF_INIT;

                model_deadlock(f.m, &why);
                assert_null(strstr(strbuf_str(&why), "D waits"));
                strbuf_free(&why);
        }
        /* C ends without putting: now D can never have its item either */
        ev(&f, EV_EXIT, GV_C, -1);
        assert_deadlock(f.m, 3,
                        "nobody who could end these waits can move: A waits for semaphore "
                        "b_sig (count 0); B waits for semaphore a_sig (count 0); D waits for "
                        "queue q (empty)");
        stop(&f);

        /* a wait that one still moving (main) could end is not stuck for good */
        f = start(givers_text);
        m_sig = res(&f, "m_sig");
        for (int k = GV_A; k <= GV_D; k++)
                ev(&f, EV_START, k, -1);
        ev(&f, EV_START, GV_MAIN, -1);
        ev(&f, EV_EXIT, GV_C, -1);
        evt(&f, EV_GOT, GV_D, res(&f, "q"), 0, "1"); /* (its item came, somehow) */
        ev(&f, EV_BLOCKED, GV_D, m_sig);
        assert_deadlock(f.m, 0, "");
        stop(&f);

        /* nor one that an actor not started yet could end (B) */
        f = start(givers_text);
        b_sig = res(&f, "b_sig");
        ev(&f, EV_START, GV_A, -1);
        ev(&f, EV_START, GV_MAIN, -1);
        ev(&f, EV_BLOCKED, GV_A, b_sig);
        assert_deadlock(f.m, 0, "");
        stop(&f);

        /* nor a semaphore's waiter while one holding a permit can still move: it gives it back
         * at the end of its `with` (seed 03's three at the door while two are inside) */
        f = start(givers_text);
        {
                int room = res(&f, "room");

                ev(&f, EV_START, GV_C, -1);
                ev(&f, EV_START, GV_D, -1);
                evn(&f, EV_ACQUIRED, GV_C, room, 0); /* C holds the one permit ... */
                evn(&f, EV_SLEEP, GV_C, -1, 1000);   /* ... and sleeps inside */
                ev(&f, EV_BLOCKED, GV_D, room);
                assert_deadlock(f.m, 0, "");
                stop(&f);
                /* gate starts at 0: the model keeps no holder of its permits (initial - count),
                 * but C, inside its `with gate`, gives its permit back at the end of it */
                f = start(givers_text);
                int gate = res(&f, "gate");

                ev(&f, EV_START, GV_C, -1);
                ev(&f, EV_START, GV_D, -1);
                ev(&f, EV_START, GV_MAIN, -1);
                evn(&f, EV_RELEASED, GV_MAIN, gate, 1);
                evn(&f, EV_ACQUIRED, GV_C, gate, 0);
                evn(&f, EV_SLEEP, GV_C, -1, 1000);
                ev(&f, EV_BLOCKED, GV_D, gate);
                assert_deadlock(f.m, 0, "");
                stop(&f);
                f = start(givers_text);
                room = res(&f, "room");
                ev(&f, EV_START, GV_C, -1);
                ev(&f, EV_START, GV_D, -1);
                evn(&f, EV_ACQUIRED, GV_C, room, 0);
                ev(&f, EV_BLOCKED, GV_D, room);
                ev(&f, EV_EXIT, GV_C, -1); /* C ended without giving it back */
                assert_deadlock(f.m, 2,
                                "every actor is blocked: D waits for semaphore room (count "
                                "0)");
        }
        stop(&f);
}

static void test_deadlock_join(void **state)
{
        feed f = start(two_text);
        int a = res(&f, "a");

        (void)state;
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 1, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        full(&f, EV_BLOCKED, 0, -1, 1, -1, 0, 0, NULL); /* Worker-1 joins Worker-2 */
        ev(&f, EV_BLOCKED, 1, a);
        assert_deadlock(f.m, 1,
                        "Worker-1 holds a and waits for Worker-2 to finish; "
                        "Worker-2 waits for a held by Worker-1");
        stop(&f);
        /* two actors joining each other */
        f = start(two_text);
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 1, -1);
        full(&f, EV_BLOCKED, 1, -1, 0, -1, 0, 0, NULL);
        full(&f, EV_BLOCKED, 0, -1, 1, -1, 0, 0, NULL);
        assert_deadlock(f.m, 1,
                        "Worker-1 waits for Worker-2 to finish; Worker-2 waits for Worker-1 to "
                        "finish");
        stop(&f);
}

static void test_every_actor_blocked(void **state)
{
        feed f = start(two_text);
        int q = res(&f, "q"), e = res(&f, "e"), s = res(&f, "s"), a = res(&f, "a");
        const int consumer = 2, main = 3;

        (void)state;
        ev(&f, EV_START, consumer, -1);
        ev(&f, EV_START, main, -1);
        full(&f, EV_BLOCKED, consumer, q, -1, stmt_id(&f, consumer, 0), 0, 0, NULL);
        /* main is running, but no script puts into q: the consumer can never move */
        assert_deadlock(f.m, 3,
                        "nobody who could end these waits can move: Consumer waits for queue q "
                        "(empty)");
        full(&f, EV_BLOCKED, main, -1, consumer, -1, 0, 0, NULL);
        assert_deadlock(f.m, 2,
                        "every actor is blocked: Consumer waits for queue q (empty); "
                        "MainThread waits for Consumer to finish");
        /* an item in the queue: the consumer is not stuck, and its wait says how things stand */
        evt(&f, EV_PUT, EVENT_RUNNER, q, 0, "1");
        assert_deadlock(f.m, 0, "");
        {
                strbuf why = STRBUF_INIT;

                model_describe_wait(f.m, consumer, &why);
                assert_string_equal(strbuf_str(&why),
                                    "Consumer waits for queue q (an item has come)");
                strbuf_free(&why);
        }
        full(&f, EV_GOT, consumer, q, -1, -1, 0, 0, "1");
        ev(&f, EV_STEP, main, -1);
        /* waits on an event, a semaphore, and a lock held by a finished actor */
        ev(&f, EV_START, 0, -1);
        evn(&f, EV_ACQUIRED, 0, a, 1);
        ev(&f, EV_EXIT, 0, -1);
        ev(&f, EV_WAITING, consumer, e);
        ev(&f, EV_START, 1, -1);
        ev(&f, EV_BLOCKED, 1, s);
        /* main runs, but no script sets e or releases s */
        assert_deadlock(f.m, 3,
                        "nobody who could end these waits can move: Worker-2 waits for semaphore "
                        "s (count 0); Consumer waits for event e (not set)");
        full(&f, EV_BLOCKED, main, a, -1, -1, 0, 0, NULL);
        assert_deadlock(f.m, 2,
                        "every actor is blocked: Worker-2 waits for semaphore s (count 0); "
                        "Consumer waits for event e (not set); "
                        "MainThread waits for lock a (held by Worker-1)");
        /* one of them with a timeout: not stuck for good, the others still are (Worker-1,
         * which holds a, has ended) */
        full(&f, EV_WAITING, consumer, e, -1, -1, 1, 0, NULL);
        assert_deadlock(f.m, 3,
                        "nobody who could end these waits can move: Worker-2 waits for semaphore "
                        "s (count 0); MainThread waits for lock a (held by Worker-1)");
        stop(&f);
}

static void test_not_stuck_transient(void **state)
{
        feed f = start(two_text);
        int a = res(&f, "a");

        (void)state;
        /* the engine publishes BLOCKED after a failed try: the lock may be free by now */
        ev(&f, EV_START, 0, -1);
        ev(&f, EV_START, 3, -1);
        ev(&f, EV_BLOCKED, 0, a);
        full(&f, EV_BLOCKED, 3, -1, 0, -1, 0, 0, NULL);
        assert_true(model_can_proceed(f.m, 0));
        assert_deadlock(f.m, 0, "");
        /* joining an actor that has not started (or has finished) is not stuck either */
        full(&f, EV_BLOCKED, 0, -1, 1, -1, 0, 0, NULL);
        assert_true(model_can_proceed(f.m, 0));
        assert_deadlock(f.m, 0, "");
        /* a ready or sleeping actor is not stuck */
        ev(&f, EV_START, 1, -1);
        assert_deadlock(f.m, 0, "");
        ev(&f, EV_SLEEP, 1, -1);
        assert_deadlock(f.m, 0, "");
        ev(&f, EV_READY, 1, -1);
        assert_deadlock(f.m, 0, "");
        /* nobody started: nothing to report */
        stop(&f);
        f = start(two_text);
        assert_deadlock(f.m, 0, "");
        stop(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_initial_state),
                cmocka_unit_test(test_lock_handoff),
                cmocka_unit_test(test_rlock_depth),
                cmocka_unit_test(test_semaphore),
                cmocka_unit_test(test_event_set_clear),
                cmocka_unit_test(test_condition),
                cmocka_unit_test(test_condition_external_lock),
                cmocka_unit_test(test_barrier),
                cmocka_unit_test(test_only_raised),
                cmocka_unit_test(test_let_go_only_those_waiting),
                cmocka_unit_test(test_barrier_broken),
                cmocka_unit_test(test_queue),
                cmocka_unit_test(test_queue_texts),
                cmocka_unit_test(test_pipe),
                cmocka_unit_test(test_pipe_full),
                cmocka_unit_test(test_var_copies),
                cmocka_unit_test(test_copies_at_start),
                cmocka_unit_test(test_var_text_in_place),
                cmocka_unit_test(test_var_text_short),
                cmocka_unit_test(test_int_values),
                cmocka_unit_test(test_manager_requests),
                cmocka_unit_test(test_pool),
                cmocka_unit_test(test_pool_worker_gil),
                cmocka_unit_test(test_pool_argument_reused),
                cmocka_unit_test(test_output_captions_outcome),
                cmocka_unit_test(test_assert_ends_actor),
                cmocka_unit_test(test_end_crash_ends_actors),
                cmocka_unit_test(test_trim_logs),
                cmocka_unit_test(test_actor_states),
                cmocka_unit_test(test_garbage_ignored),
                cmocka_unit_test(test_clone_independent),
                cmocka_unit_test(test_log_packed),
                cmocka_unit_test(test_log_unshared),
                cmocka_unit_test(test_log_odd_lines),
                cmocka_unit_test(test_log_trim_chunks),
                cmocka_unit_test(test_log_shared_then_both_append),
                cmocka_unit_test(test_log_cut),
                cmocka_unit_test(test_deadlock_two),
                cmocka_unit_test(test_deadlock_timeout),
                cmocka_unit_test(test_deadlock_self),
                cmocka_unit_test(test_deadlock_breakable),
                cmocka_unit_test(test_deadlock_philosophers),
                cmocka_unit_test(test_deadlock_join),
                cmocka_unit_test(test_deadlock_stuck_for_good),
                cmocka_unit_test(test_every_actor_blocked),
                cmocka_unit_test(test_not_stuck_transient),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
