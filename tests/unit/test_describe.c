/*
 * test_describe.c — the Resources pane's words: each kind of resource, fed a hand-written event
 * sequence, described as the pane shows it, its parts' roles included (a holder's colour, a
 * waiter's, a free one's).
 *
 * A description is written out as its rows joined by " / ", each part in a role other than the
 * normal one in braces with the role's letter: "held by {h:A} / waiting: {w:B, C}".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "model/model.h"
#include "scenario/scenario.h"
#include "tui/describe.h"

static const char text[] =
    "{\"lockstep\": 1, \"title\": \"All\", \"summary\": \"Every resource.\",\n"
    " \"resources\": {\n"
    "   \"lock\": {\"type\": \"lock\"}, \"r\": {\"type\": \"rlock\"},\n"
    "   \"sem\": {\"type\": \"semaphore\", \"value\": 2},\n"
    "   \"sig\": {\"type\": \"semaphore\", \"value\": 0},\n"
    "   \"ev\": {\"type\": \"event\"}, \"cond\": {\"type\": \"condition\"},\n"
    "   \"cl\": {\"type\": \"condition\", \"lock\": \"lock\"},\n"
    "   \"bar\": {\"type\": \"barrier\", \"parties\": 3},\n"
    "   \"q\": {\"type\": \"queue\", \"max\": 2}, \"uq\": {\"type\": \"queue\"},\n"
    "   \"p\": {\"type\": \"pipe\"},\n"
    "   \"conn\": {\"type\": \"pipe\", \"ends\": [\"parent\", \"child\"]},\n"
    "   \"oneway\": {\"type\": \"pipe\", \"duplex\": false},\n"
    "   \"counter\": {\"type\": \"var\", \"value\": 0},\n"
    "   \"md\": {\"type\": \"dict\", \"via\": \"manager\"},\n"
    "   \"pool\": {\"type\": \"pool\", \"workers\": 2}},\n"
    " \"actors\": [\n"
    "   {\"name\": \"A\", \"run\": [{\"get\": \"q\"}, {\"recv\": \"p.a\"}]},\n"
    "   {\"name\": \"B\", \"run\": [{\"get\": \"q\"}, {\"recv\": \"p.b\"}]},\n"
    "   {\"name\": \"C\", \"run\": [{\"put\": \"q\", \"value\": 1}, {\"send\": \"p.a\", "
    "\"value\": 1}]},\n"
    "   {\"name\": \"P\", \"kind\": \"process\", \"run\": [{\"store\": \"counter\", \"value\": "
    "5}]}]}\n";

enum { ACT_A, ACT_B, ACT_C, ACT_P, ACT_MAIN };

typedef struct feed {
        scenario *sc;
        model *m;
        uint64_t seq;
        char out[1024]; /* the last description written out */
} feed;

static void start(feed *f)
{
        memset(f, 0, sizeof(*f));
        f->sc = fixture_load(text);
        f->m = model_new(f->sc);
        for (int a = 0; a < 3; a++) {
                event e = { .seq = ++f->seq,
                            .kind = EV_START,
                            .actor = (int16_t)a,
                            .res = -1,
                            .other = -1,
                            .stmt = -1,
                            .text = "" };

                model_apply(f->m, &e);
        }
}

static void stop(feed *f)
{
        model_free(f->m);
        scenario_free(f->sc);
}

static int res(const feed *f, const char *name)
{
        int r = scenario_find_resource(f->sc, name);

        assert_true(r >= 0);
        return r;
}

static int stmt_id(const feed *f, int actor, int k)
{
        return fixture_stmt_id(f->sc, actor, k);
}

static void ev(feed *f, int kind, int actor, const char *name, int stmt, int aux, int64_t num,
               const char *t)
{
        event e = { .seq = ++f->seq,
                    .kind = (uint16_t)kind,
                    .actor = (int16_t)actor,
                    .res = (int16_t)(name != NULL ? res(f, name) : -1),
                    .other = -1,
                    .stmt = stmt,
                    .aux = aux,
                    .num = num,
                    .len = t != NULL ? (uint32_t)strlen(t) : 0,
                    .text = t != NULL ? t : "" };

        model_apply(f->m, &e);
}

static char role_letter(term_role r)
{
        switch (r) {
        case ROLE_NORMAL: return 0;
        case ROLE_DIM: return 'd';
        case ROLE_BOLD: return 'b';
        case ROLE_HOLDER: return 'h';
        case ROLE_WAITER: return 'w';
        case ROLE_FREE: return 'f';
        default: return '?';
        }
}

/* Resource NAME described in ROOM, written out (see the top of the file); the rows
 * counted by the spans are the rows written. */
static const char *describe(feed *f, const char *name, describe_room room)
{
        spans l = { 0 };
        size_t at = 0;
        int rows = 0;

        describe_res(f->m, res(f, name), &l, room);
        for (int k = 0; k < l.n; k++) {
                const char *s;
                size_t n;
                char c = role_letter(l.role[k]);

                spans_part(&l, k, &s, &n);
                if (k > 0 && l.row[k]) {
                        at += (size_t)snprintf(f->out + at, sizeof(f->out) - at, " / ");
                        rows++;
                }
                if (c != 0)
                        at += (size_t)snprintf(f->out + at, sizeof(f->out) - at, "{%c:%.*s}", c,
                                               (int)n, s);
                else
                        at += (size_t)snprintf(f->out + at, sizeof(f->out) - at, "%.*s", (int)n, s);
                assert_true(at < sizeof(f->out));
        }
        assert_int_equal(rows, l.rows);
        spans_free(&l);
        return f->out;
}

/* NAME described in WIDTH columns a row */
#define SAYS(name, width, want)                                                                    \
        assert_string_equal(describe(&f, name, (describe_room){ width, width, false }), want)

/* ... as a terminal that is not UTF-8 shows it: a character past ASCII is one `?` */
#define SAYS_NARROW(name, width, want)                                                             \
        assert_string_equal(describe(&f, name, (describe_room){ width, width, true }), want)

static void test_locks(void **state)
{
        feed f;

        (void)state;
        start(&f);
        SAYS("lock", 40, "{f:free}");
        ev(&f, EV_ACQUIRED, ACT_A, "lock", -1, 0, 1, NULL);
        SAYS("lock", 40, "held by {h:A}");
        ev(&f, EV_BLOCKED, ACT_B, "lock", -1, 0, 0, NULL);
        ev(&f, EV_BLOCKED, ACT_C, "lock", -1, 0, 0, NULL);
        SAYS("lock", 40, "held by {h:A} / waiting: {w:B, C}");
        /* an RLock's depth, once it is more than one */
        ev(&f, EV_ACQUIRED, ACT_B, "r", -1, 0, 1, NULL);
        SAYS("r", 40, "held by {h:B}");
        ev(&f, EV_ACQUIRED, ACT_B, "r", -1, 0, 2, NULL);
        SAYS("r", 40, "held by {h:B} (depth 2)");
        stop(&f);
}

static void test_semaphore(void **state)
{
        feed f;

        (void)state;
        start(&f);
        SAYS("sem", 40, "{f:2 of 2 free}");
        ev(&f, EV_ACQUIRED, ACT_A, "sem", -1, 0, 1, NULL);
        SAYS("sem", 40, "{f:1 of 2 free} / held by {h:A}");
        ev(&f, EV_ACQUIRED, ACT_B, "sem", -1, 0, 0, NULL);
        ev(&f, EV_BLOCKED, ACT_C, "sem", -1, 0, 0, NULL);
        /* none free is the waiters' colour */
        SAYS("sem", 40, "{w:0 of 2 free} / held by {h:A, B} / waiting: {w:C}");
        /* one that starts at 0 counts what was released to it (items, signals): its count, not
         * "1 of 0 free" */
        SAYS("sig", 40, "{w:count 0}");
        ev(&f, EV_BLOCKED, ACT_B, "sig", -1, 0, 0, NULL);
        SAYS("sig", 40, "{w:count 0} / waiting: {w:B}");
        ev(&f, EV_RELEASED, ACT_A, "sig", -1, 0, 1, NULL);
        SAYS("sig", 40, "{f:count 1} / waiting: {w:B}");
        /* an actor holding several permits is named once, with how many */
        ev(&f, EV_RELEASED, ACT_A, "sem", -1, 0, 1, NULL);
        ev(&f, EV_ACQUIRED, ACT_B, "sem", -1, 0, 0, NULL);
        SAYS("sem", 40, "{w:0 of 2 free} / held by {h:B} ×2 / waiting: {w:C}");
        SAYS_NARROW("sem", 40, "{w:0 of 2 free} / held by {h:B} x2 / waiting: {w:C}");
        ev(&f, EV_RELEASED, ACT_B, "sem", -1, 0, 1, NULL);
        SAYS("sem", 40, "{f:1 of 2 free} / held by {h:B} / waiting: {w:C}");
        stop(&f);
}

static void test_event_and_conditions(void **state)
{
        feed f;

        (void)state;
        start(&f);
        SAYS("ev", 40, "{w:clear}");
        ev(&f, EV_WAITING, ACT_A, "ev", -1, 0, 0, NULL);
        SAYS("ev", 40, "{w:clear} / waiting: {w:A}");
        ev(&f, EV_SET, ACT_B, "ev", -1, 0, 0, NULL);
        SAYS("ev", 40, "{f:set} / waiting: {w:A}");
        /* a condition with its own lock shows the lock; one over a lock names it */
        SAYS("cond", 40, "lock {f:free}");
        SAYS("cl", 40, "uses lock");
        ev(&f, EV_ACQUIRED, ACT_A, "cond", -1, 0, 1, NULL);
        ev(&f, EV_WAITING, ACT_A, "cond", -1, 0, 0, NULL);
        ev(&f, EV_ACQUIRED, ACT_B, "cond", -1, 0, 1, NULL);
        SAYS("cond", 40, "lock held by {h:B} / waiting: {w:A}");
        ev(&f, EV_NOTIFIED, ACT_B, "cond", -1, 0, 1, NULL);
        SAYS("cond", 40, "lock held by {h:B} / waiting: {w:A}{f:; 1 notified}");
        ev(&f, EV_WOKE, ACT_A, "cond", -1, 0, 0, NULL);
        ev(&f, EV_BLOCKED, ACT_A, "cond", -1, 0, 0, NULL);
        SAYS("cond", 40, "lock held by {h:B} / want the lock: {w:A}");
        stop(&f);
}

static void test_barrier(void **state)
{
        feed f;

        (void)state;
        start(&f);
        SAYS("bar", 40, "0 of 3 arrived");
        ev(&f, EV_WAITING, ACT_A, "bar", -1, 0, 1, NULL);
        ev(&f, EV_WAITING, ACT_B, "bar", -1, 0, 2, NULL);
        SAYS("bar", 40, "2 of 3 arrived / waiting: {w:A, B}");
        /* the last one trips it: the others go on as soon as they move */
        ev(&f, EV_WAITING, ACT_C, "bar", -1, 0, 3, NULL);
        SAYS("bar", 40, "{f:all 3 arrived} / going on: {f:A, B, C}");
        ev(&f, EV_WOKE, ACT_C, "bar", -1, 0, 0, NULL);
        ev(&f, EV_WOKE, ACT_A, "bar", -1, 0, 0, NULL);
        /* C arrives for the next round while B has not woken from the last */
        ev(&f, EV_WAITING, ACT_C, "bar", -1, 0, 1, NULL);
        SAYS("bar", 40, "1 of 3 arrived / going on: {f:B} / waiting: {w:C}");
        /* broken: those it let go get an error, not their turn */
        ev(&f, EV_BROKEN, ACT_C, "bar", -1, 0, 0, NULL);
        SAYS("bar", 40, "{w:broken} / BrokenBarrierError: {w:B}");
        stop(&f);
}

static void test_queue(void **state)
{
        feed f;

        (void)state;
        start(&f);
        /* a bounded queue's empty slots, drawn */
        SAYS("q", 40, "[{d: _ | _} ] 0/2");
        SAYS("uq", 40, "[ ] 0");
        ev(&f, EV_BLOCKED, ACT_A, "q", stmt_id(&f, ACT_A, 0), 0, 0, NULL);
        SAYS("q", 40, "[{d: _ | _} ] 0/2 / getting: {w:A}");
        ev(&f, EV_PUT, ACT_C, "q", -1, 0, 1, "'x'");
        SAYS("q", 40, "[{b: 'x'}{d: | _} ] 1/2 / getting: {w:A}");
        ev(&f, EV_PUT, ACT_C, "q", -1, 0, 2, "[1, 2]");
        ev(&f, EV_BLOCKED, ACT_C, "q", stmt_id(&f, ACT_C, 0), 0, 0, NULL);
        SAYS("q", 40, "[{b: 'x' | [1, 2]} ] 2/2 / getting: {w:A} / putting: {w:C}");
        for (int k = 0; k < 12; k++)
                ev(&f, EV_PUT, ACT_C, "uq", -1, 0, k, "7");
        SAYS("uq", 52, "[{b: 7 | 7 | 7 | 7 | 7 | 7 | 7 | 7 | 7 | 7 | 7 | 7} ] 12");
        /* items that do not fit are counted, and the count after the box stays in view: 52
         * columns hold all twelve exactly, 51 eight and the rest counted, 40 five */
        SAYS("uq", 51, "[{b: 7 | 7 | 7 | 7 | 7 | 7 | 7 | 7}{d: | ... 4 more} ] 12");
        SAYS("uq", 40, "[{b: 7 | 7 | 7 | 7 | 7}{d: | ... 7 more} ] 12");
        for (int k = 0; k < 99988; k++)
                ev(&f, EV_PUT, ACT_C, "uq", -1, 0, k, "'an item'");
        SAYS("uq", 40, "[{b: 7 | 7 | 7}{d: | ... 99997 more} ] 100000");
        /* the first item always, whatever its length (the row cuts it) */
        SAYS("uq", 10, "[{b: 7}{d: | ... 99999 more} ] 100000");
        /* a bounded queue's empty slots as far as they fit */
        ev(&f, EV_GOT, ACT_A, "q", -1, 0, 0, NULL);
        SAYS("q", 40, "[{b: [1, 2]}{d: | _} ] 1/2");
        SAYS("q", 18, "[{b: [1, 2]}{d: ...} ] 1/2");
        stop(&f);
}

/* Items measured as the terminal shows them: two wide characters take four columns of a UTF-8
 * terminal and two (`??`) of another, so that a box there holds more of them */
static void test_narrow(void **state)
{
        feed f;

        (void)state;
        assert_non_null(setlocale(LC_CTYPE, "C.UTF-8")); /* for wcwidth's columns */
        start(&f);
        for (int k = 0; k < 4; k++)
                ev(&f, EV_PUT, ACT_C, "uq", -1, 0, k + 1, "'\xe6\xbc\xa2\xe5\xad\x97'");
        SAYS("uq", 31, "[{b: '\xe6\xbc\xa2\xe5\xad\x97'}{d: | ... 3 more} ] 4");
        SAYS_NARROW("uq", 31,
                    "[{b: '\xe6\xbc\xa2\xe5\xad\x97' | '\xe6\xbc\xa2\xe5\xad\x97' | "
                    "'\xe6\xbc\xa2\xe5\xad\x97' | '\xe6\xbc\xa2\xe5\xad\x97'} ] 4");
        stop(&f);
}

static void test_pipes(void **state)
{
        feed f;

        (void)state;
        start(&f);
        /* duplex: a box each way */
        SAYS("p", 40, "a->b [ ] / b->a [ ]");
        /* who waits at which end: the way their message comes */
        ev(&f, EV_BLOCKED, ACT_B, "p", stmt_id(&f, ACT_B, 1), 0, 0, NULL);
        SAYS("p", 40, "a->b [ ] / b->a [ ] / receiving at b: {w:B}");
        ev(&f, EV_SENT, ACT_C, "p", -1, 0, 0, "'hello'");
        ev(&f, EV_SENT, ACT_C, "p", -1, 0, 0, "2");
        ev(&f, EV_RECEIVED, ACT_B, "p", -1, 1, 0, "'hello'");
        ev(&f, EV_BLOCKED, ACT_A, "p", stmt_id(&f, ACT_A, 1), 0, 0, NULL);
        SAYS("p", 40, "a->b [{b: 2} ] / b->a [ ] / receiving at a: {w:A}");
        ev(&f, EV_CLOSED, ACT_C, "p", -1, 0, 0, NULL);
        SAYS("p", 40, "a->b [{b: 2} ] / b->a [ ] / {d:closed: a} / receiving at a: {w:A}");
        /* the ends as the scenario names them */
        SAYS("conn", 40, "parent->child [ ] / child->parent [ ]");
        /* each direction's box in the room of its row: the first after the name, the second
         * on a row of its own */
        for (int k = 0; k < 30; k++) {
                ev(&f, EV_SENT, ACT_C, "conn", -1, 0, 0, "'m'");
                ev(&f, EV_SENT, ACT_C, "conn", -1, 1, 0, "'m'");
        }
        assert_string_equal(describe(&f, "conn", (describe_room){ 40, 60, false }),
                            "parent->child [{b: 'm'}{d: | ... 29 more} ] / child->parent [{b: "
                            "'m' | 'm' | 'm' | 'm' | 'm'}{d: | ... 25 more} ]");
        /* one-way: only b -> a, until something went the other way */
        SAYS("oneway", 40, "b->a [ ]");
        stop(&f);
}

static void test_copies_and_manager(void **state)
{
        feed f;

        (void)state;
        start(&f);
        SAYS("counter", 40, "= {b:0}");
        ev(&f, EV_CHANGED, ACT_MAIN, "counter", -1, -1, 0, "3");
        ev(&f, EV_START, ACT_P, NULL, -1, 0, 0, NULL);
        ev(&f, EV_CHANGED, ACT_P, "counter", -1, ACT_P, 0, "5");
        /* a process's copy under the shared one, which is the main process's */
        SAYS("counter", 40, "= {b:3}{d:  (the main process's)} / P's copy = {b:5}");
        SAYS("md", 40, "= {b:{}} / {d:in the manager's server, 0 requests}");
        ev(&f, EV_REQUEST, ACT_A, "md", -1, 0, 0, "get");
        SAYS("md", 40,
             "= {b:{}} / {d:in the manager's server, 1 request} / waiting for a reply: {w:A}");
        stop(&f);
}

static void test_pool(void **state)
{
        feed f;
        char item[16];

        (void)state;
        start(&f);
        SAYS("pool", 40, "2 workers, 0 results / worker 0: {d:idle} / worker 1: {d:idle}");
        ev(&f, EV_TASK, ACT_MAIN, "pool", -1, 0, 0, "1");
        ev(&f, EV_TASK, ACT_MAIN, "pool", -1, 1, 1, "2");
        ev(&f, EV_RESULT, ACT_MAIN, "pool", -1, 1, 1, "4");
        SAYS("pool", 40,
             "2 workers, 1 result / worker 0: {h:task 0 (argument 1)} / worker 1 (1 done): "
             "{d:idle} / results:{f: [1]=4}");
        /* results wrap within the width, in at most four rows, then say how many more */
        for (int k = 2; k < 40; k++) {
                snprintf(item, sizeof(item), "%d", k * k);
                ev(&f, EV_TASK, ACT_MAIN, "pool", -1, 1, k, "x");
                ev(&f, EV_RESULT, ACT_MAIN, "pool", -1, 1, k, item);
        }
        SAYS("pool", 30,
             "2 workers, 39 results / worker 0: {h:task 0 (argument 1)} / worker 1 (39 done): "
             "{d:idle} / results:{f: [1]=4 [2]=4 [3]=9} /         {f: [4]=16 [5]=25 [6]=36} "
             "/         {f: [7]=49 [8]=64 [9]=81} /         {f: [10]=100 [11]=121}{d: ... 28 "
             "more}");
        stop(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_locks),
                cmocka_unit_test(test_semaphore),
                cmocka_unit_test(test_event_and_conditions),
                cmocka_unit_test(test_barrier),
                cmocka_unit_test(test_queue),
                cmocka_unit_test(test_narrow),
                cmocka_unit_test(test_pipes),
                cmocka_unit_test(test_copies_and_manager),
                cmocka_unit_test(test_pool),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
