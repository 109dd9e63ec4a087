/*
 * test_process.c — process actors through the harness (harness.h), and the store's encoding.
 *
 * Step mode gives one exact list of events for a scenario, so those tests compare the whole list:
 * copies of memory at fork, Value in shared memory, a queue and a pipe between processes, a crash
 * in a process. Live mode asserts what the program forces (final values, order of sent and
 * received messages, what every process saw).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/manager.h"
#include "engine/pool.h"
#include "engine/store.h"
#include "engine/stream.h"
#include "fixture.h"
#include "harness.h"
#include "scenario/diag.h"
#include "scenario/scenario.h"
#include "util/xalloc.h"

/* The scenario around BODY, written with ' for " (no test needs an apostrophe). */
static char *scenario_text(const char *body)
{
        size_t n = strlen(body);
        char *s = xmalloc(n + 64);

        snprintf(s, n + 64, "{'lockstep': 1, 'title': 't', 'summary': 's', %s}", body);
        for (char *p = s; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return s;
}

static harness_result *run_opts(const char *body, const harness_opts *opt)
{
        char *json = scenario_text(body);
        harness_result *r = harness_run(json, opt);

        free(json);
        return r;
}

static harness_result *step(const char *body, const char *schedule)
{
        harness_opts opt = { .mode = HARNESS_STEP, .schedule = schedule };

        return run_opts(body, &opt);
}

__attribute__((unused)) static harness_result *live(const char *body)
{
        harness_opts opt = { .mode = HARNESS_LIVE };

        return run_opts(body, &opt);
}

/* ---- step mode: the exact events ---- */

/* A plain var is copied at fork: each child changes its own copy, the parent keeps 0; a Value
 * is one number in shared memory. The child started second gets the memory as it is then. */
static void t_step_copies(void **state)
{
        harness_result *r =
            step("'resources': {'n': {'type': 'var', 'value': 0},"
                 "              'v': {'type': 'value', 'ctype': 'i', 'value': 0}},"
                 "'actors': [{'name': 'P', 'kind': 'process', 'start': 'manual',"
                 "            'run': [{'store': 'n', 'value': 'n + 10'}, {'store': 'v', 'value': "
                 "'v + 1'}]},"
                 "           {'name': 'Q', 'kind': 'process', 'start': 'manual',"
                 "            'run': [{'store': 'n', 'value': 'n + 1'}, {'store': 'v', 'value': 'v "
                 "+ 1'}]}],"
                 "'main': [{'store': 'n', 'value': 5}, {'start': 'P'}, {'join': 'P'},"
                 "         {'store': 'n', 'value': 7}, {'start': 'Q'}, {'join': 'Q'},"
                 "         {'print': '{n} {v}'}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "MainThread changed n 5\n"
                          "MainThread step start\n"
                          "P start\n"
                          "MainThread blocked P\n"
                          "P changed n 15 [copy of P]\n"
                          "P changed v 1\n"
                          "P exit\n"
                          "MainThread joined P\n"
                          "MainThread changed n 7\n"
                          "MainThread step start\n"
                          "Q start\n"
                          "MainThread blocked Q\n"
                          "Q changed n 8 [copy of Q]\n"
                          "Q changed v 2\n"
                          "Q exit\n"
                          "MainThread joined Q\n"
                          "MainThread print 7 2\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, 0);
        harness_free(r);
}

/* A queue between processes: items of every type come out as they went in, in order; a full
 * queue (max 1) makes the producer wait at its gate. */
static void t_step_queue(void **state)
{
        harness_result *r =
            step("'resources': {'q': {'type': 'queue', 'max': 1}},"
                 "'actors': [{'name': 'Prod', 'kind': 'process',"
                 "            'run': [{'for': 'x', 'in': '[1, 2.5, (3, None), {4: [5]}]',"
                 "                     'do': [{'put': 'q', 'value': 'x'}]}]},"
                 "           {'name': 'Cons', 'kind': 'process',"
                 "            'run': [{'repeat': 4, 'do': [{'get': 'q', 'into': 'y'},"
                 "                                          {'print': '{[y]}'}]}]}]",
                 "Prod*2, Cons*2");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "Prod start\n"
                          "Cons start\n"
                          "MainThread blocked Prod\n"
                          "Prod step for\n"
                          "Prod put q 1 (1)\n"
                          "Cons step repeat\n"
                          "Cons got q 1 (0)\n"
                          "Cons print [1]\n"
                          "Cons step repeat\n"
                          "Cons blocked q\n"
                          "Prod step for\n"
                          "Prod put q 2.5 (1)\n"
                          "Prod step for\n"
                          "Prod blocked q\n"
                          "Cons got q 2.5 (0)\n"
                          "Cons print [2.5]\n"
                          "Cons step repeat\n"
                          "Cons blocked q\n"
                          "Prod put q (3, None) (1)\n"
                          "Prod step for\n"
                          "Prod blocked q\n"
                          "Cons got q (3, None) (0)\n"
                          "Cons print [(3, None)]\n"
                          "Cons step repeat\n"
                          "Cons blocked q\n"
                          "Prod put q {4: [5]} (1)\n"
                          "Prod exit\n"
                          "Cons got q {4: [5]} (0)\n"
                          "Cons print [{4: [5]}]\n"
                          "Cons exit\n"
                          "MainThread joined Prod\n"
                          "MainThread joined Cons\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, 0);
        harness_free(r);
}

/* A pipe: messages in the order sent, then close; the receiver's next recv is an EOFError. */
static void t_step_pipe(void **state)
{
        harness_result *r =
            step("'resources': {'p': {'type': 'pipe'}},"
                 "'actors': [{'name': 'S', 'kind': 'process',"
                 "            'run': [{'send': 'p.a', 'value': '\\u0027hi\\u0027'},"
                 "                    {'send': 'p.a', 'value': '[1, (2,)]'}, {'close': 'p.a'}]},"
                 "           {'name': 'R', 'kind': 'process',"
                 "            'run': [{'recv': 'p.b', 'into': 'm'}, {'recv': 'p.b', 'into': 'm'},"
                 "                    {'print': '{m}'}, {'recv': 'p.b', 'into': 'm'}]}]",
                 "R, S*3, R*4");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "S start\n"
                          "R start\n"
                          "MainThread blocked S\n"
                          "R blocked p\n"
                          "S sent p a 'hi'\n"
                          "S sent p a [1, (2,)]\n"
                          "S closed p a\n"
                          "S exit\n"
                          "R received p b 'hi'\n"
                          "R received p b [1, (2,)]\n"
                          "R print [1, (2,)]\n"
                          "R step recv\n"
                          "R error EOFError\n"
                          "R exit after an error\n"
                          "MainThread joined S\n"
                          "MainThread joined R\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, 4);
        harness_free(r);
}

/* A crash in a thread of a process ends its process: the thread, its sibling and the process
 * actor are crashed; another process and the main process go on. Stepped, the others of the
 * process say so before the crash itself, so the list is exact. */
static void t_step_thread_crash_in_process(void **state)
{
        harness_opts opt = { .mode = HARNESS_STEP, .fork = true };
        harness_result *r = run_opts(
            "'resources': {'e': {'type': 'event'}},"
            "'actors': [{'name': 'Host', 'kind': 'process', 'start': 'manual',"
            "            'run': [{'start': 'T'}, {'start': 'U'}, {'join': 'T'}]},"
            "           {'name': 'T', 'start': 'manual', 'run': [{'crash': 'abort'}]},"
            "           {'name': 'U', 'start': 'manual', 'run': [{'wait': 'e'}]},"
            "           {'name': 'Other', 'kind': 'process', 'start': 'manual',"
            "            'run': [{'print': 'fine'}]}],"
            "'main': [{'start': 'Host'}, {'join': 'Host'}, {'start': 'Other'}, {'join': 'Other'},"
            "         {'print': 'main goes on'}]",
            &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "MainThread step start\n"
                          "Host start\n"
                          "MainThread blocked Host\n"
                          "Host step start\n"
                          "T start\n"
                          "Host step start\n"
                          "U start\n"
                          "Host blocked T\n"
                          "Host crash abort (SIGABRT)\n"
                          "U crash Host its process Host died: abort (SIGABRT)\n"
                          "T crash abort (SIGABRT)\n"
                          "MainThread joined Host\n"
                          "MainThread step start\n"
                          "Other start\n"
                          "MainThread blocked Other\n"
                          "Other print fine\n"
                          "Other exit\n"
                          "MainThread joined Other\n"
                          "MainThread print main goes on\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, 4);
        harness_free(r);
}

/* Live: four processes add to a Value under a lock; every increment counts, and the messages
 * of a pipe arrive in the order sent, from a process to the main thread. */
static void t_live_value_and_pipe(void **state)
{
        harness_result *r = live(
            "'resources': {'v': {'type': 'value', 'ctype': 'i', 'value': 0},"
            "              'l': {'type': 'lock'}, 'p': {'type': 'pipe', 'duplex': false}},"
            "'actors': [{'name': 'W-{i}', 'group': 'W', 'count': 4, 'kind': 'process',"
            "            'start': 'manual',"
            "            'run': [{'repeat': 50, 'do': [{'with': 'l', 'do': ["
            "                     {'store': 'v', 'value': 'v + 1'}]}]}]},"
            "           {'name': 'S', 'kind': 'process', 'start': 'manual',"
            "            'run': [{'repeat': 20, 'as': 'k', 'do': [{'send': 'p.b', 'value': 'k'}]},"
            "                    {'close': 'p.b'}]}],"
            "'main': [{'start': 'W'}, {'start': 'S'}, {'let': 'got', 'value': '[]'},"
            "         {'repeat': 20, 'do': [{'recv': 'p.a', 'into': 'm'},"
            "                               {'store': 'got', 'value': 'got + [m]'}]},"
            "         {'join': 'W'}, {'join': 'S'},"
            "         {'assert': 'got == list(range(20))'}, {'print': '{v}'}]");

        (void)state;
        assert_int_equal(r->outcome, 0);
        assert_int_equal(harness_count(r, "MainThread print 200\n"), 1);
        assert_int_equal(harness_count(r, " changed v "), 200);
        assert_int_equal(harness_count(r, "S sent p b "), 20);
        assert_int_equal(harness_count(r, "MainThread received p a "), 20);
        harness_free(r);
}

/* A lambda cannot go to another process (pickle cannot): a PicklingError, the run goes on. */
static void t_live_lambda_cannot_cross(void **state)
{
        harness_result *r = live("'resources': {'q': {'type': 'queue'}},"
                                 "'actors': [{'name': 'P', 'kind': 'process',"
                                 "            'run': [{'put': 'q', 'value': 'lambda x: x'}]}]");

        (void)state;
        assert_int_equal(r->outcome, 4);
        assert_int_equal(harness_count(r, "P error PicklingError\n"), 1);
        assert_int_equal(harness_count(r, " put q "), 0);
        harness_free(r);
}

/* A Manager's dict and list: every process reads and writes the server's one copy (each write
 * a request), so the increments of three processes under a lock all count; a lambda cannot go
 * to the server. */
static void t_live_manager(void **state)
{
        harness_result *r = live(
            "'resources': {'d': {'type': 'dict', 'via': 'manager', 'value': {'n': 0}},"
            "              'log': {'type': 'list', 'via': 'manager'}, 'l': {'type': 'lock'}},"
            "'actors': [{'name': 'P-{i}', 'group': 'P', 'count': 3, 'kind': 'process',"
            "            'start': 'manual',"
            "            'run': [{'repeat': 10, 'do': [{'with': 'l', 'do': ["
            "                     {'store': 'd[\\u0027n\\u0027]', 'value': 'd[\\u0027n\\u0027] + "
            "1'}]}]},"
            "                    {'append': 'log', 'value': 'name'}]},"
            "           {'name': 'Bad', 'kind': 'process', 'start': 'manual',"
            "            'run': [{'append': 'log', 'value': 'lambda: 1'}]}],"
            "'main': [{'start': 'P'}, {'join': 'P'}, {'start': 'Bad'}, {'join': 'Bad'},"
            "         {'print': '{d} {sorted(log)}'}]");

        (void)state;
        assert_int_equal(r->outcome, 4);
        assert_int_equal(harness_count(r, "MainThread print {'n': 30} ['P-0', 'P-1', 'P-2']\n"), 1);
        assert_int_equal(harness_count(r, "Bad error PicklingError\n"), 1);
        /* the shared copy (no process's own) */
        assert_int_equal(harness_count(r, "[copy of"), 0);
        harness_free(r);
}

/* Pins the calling thread to CPU. */
static void pin_self(int cpu)
{
        cpu_set_t one;

        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
}

/* The manager's server answers each request on its client's CPU, and the client may go anywhere
 * again after it: with a client on the first CPU and then on the last, the server is on the one
 * each time, and the client's CPUs are the run's again after each request. A value longer than
 * a read's buffer goes both ways whole. */
static void t_manager_follows_client(void **state)
{
        const char *text = "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\", "
                           "\"resources\": {\"l\": {\"type\": \"list\", \"via\": "
                           "\"manager\"}}, \"actors\": [{\"name\": \"A\", \"run\": []}]}";
        cpu_set_t all, now;
        int cpus[2] = { -1, -1 };
        diag d;
        scenario *sc;
        manager *m;
        strbuf repr = { 0 };
        char err[200];

        (void)state;
        assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
        for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &all)) {
                        if (cpus[0] < 0)
                                cpus[0] = c;
                        cpus[1] = c;
                }
        diag_init(&d, DIAG_DEFAULT_CAP);
        sc = scenario_load_text("m.json", text, strlen(text), NULL, &d);
        diag_print(&d, stderr);
        assert_non_null(sc);
        m = manager_start(sc);
        assert_non_null(m);
        /* with one CPU there is nothing to follow */
        for (int i = 0; i < 2 && cpus[0] != cpus[1]; i++) {
                pin_self(cpus[i]);
                /* pinned by the test: the run's CPUs are what the manager was started with */
                strbuf_reset(&repr);
                assert_int_equal(manager_update(m, 0, MANAGER_APPEND, value_none(), value_int(i),
                                                NULL, &repr, err, sizeof(err)),
                                 0);
                assert_string_equal(strbuf_str(&repr), i == 0 ? "[0]" : "[0, 1]");
                assert_int_equal(sched_getaffinity(manager_pid(m), sizeof(now), &now), 0);
                assert_int_equal(CPU_COUNT(&now), 1);
                assert_true(CPU_ISSET(cpus[i], &now));
                assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
                assert_true(CPU_EQUAL(&now, &all));
        }
        /* a value longer than the inbox's buffer, both ways */
        {
                value big = value_list(), back;

                for (int i = 0; i < 3000; i++)
                        assert_int_equal(value_list_append(&big, value_int(i), err, sizeof(err)),
                                         0);
                manager_set(m, 0, value_copy(big));
                back = manager_get(m, 0);
                assert_true(value_equal(big, back));
                strbuf_reset(&repr);
                assert_int_equal(manager_update(m, 0, MANAGER_APPEND, value_none(), value_int(7),
                                                NULL, &repr, err, sizeof(err)),
                                 0);
                value_drop(&back);
                back = manager_get(m, 0);
                assert_int_equal(value_len(back), 3001);
                value_drop(&back);
                value_drop(&big);
        }
        manager_stop(m);
        strbuf_free(&repr);
        scenario_free(sc);
        diag_free(&d);
}

/* Pools, stepped: in rounds, task base + w to worker w, the workers of a round computing at once
 * and publishing in worker order (each takes its task in turn, then each says its result in
 * turn); the results in order. A task that raises makes the map raise it, in the caller. */
static void t_step_pool(void **state)
{
        harness_result *r = step(
            "'resources': {'p': {'type': 'pool', 'workers': 2}},"
            "'actors': [{'name': 'M', 'run': ["
            "  {'starmap': 'p', 'fn': 'lambda x, y: x * y', 'over': '[(1, 2), (3, 4), (5, 6)]',"
            "   'into': 'r'}, {'print': '{r}'},"
            "  {'map': 'p', 'fn': 'lambda x: 10 // x', 'over': '[5, 0]', 'into': 'r'}]}]",
            NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "M start\n"
                          "MainThread blocked M\n"
                          "M step starmap\n"
                          "M task p #0 worker 0 (1, 2)\n"
                          "M task p #1 worker 1 (3, 4)\n"
                          "M result p #0 worker 0 2\n"
                          "M result p #1 worker 1 12\n"
                          "M task p #2 worker 0 (5, 6)\n"
                          "M result p #2 worker 0 30\n"
                          "M print [2, 12, 30]\n"
                          "M step map\n"
                          "M task p #0 worker 0 5\n"
                          "M task p #1 worker 1 0\n"
                          "M result p #0 worker 0 2\n"
                          "M error ZeroDivisionError\n"
                          "M exit after an error\n"
                          "MainThread joined M\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, 4);
        harness_free(r);
}

/* Pools with "gil", stepped: each worker takes its own GIL (GIL@p/W) before its task and gives
 * it up after its result, as it waits for the next one; the two workers of a round hold theirs
 * at once. The caller gave the main process's GIL up for the map. The model shows every GIL
 * free at the end and M's own state untouched by its workers' GILs. */
static void t_step_pool_gil(void **state)
{
        harness_result *r =
            step("'gil': true,"
                 "'resources': {'p': {'type': 'pool', 'workers': 2}},"
                 "'actors': [{'name': 'M', 'run': ["
                 "  {'map': 'p', 'fn': 'lambda x: x * x', 'over': 'range(3)', 'into': 'r'},"
                 "  {'print': '{r}'}]}]",
                 NULL);
        int g0 = scenario_find_resource(r->sc, "GIL@p/0");
        int g1 = scenario_find_resource(r->sc, "GIL@p/1");

        (void)state;
        assert_true(g0 >= 0 && g1 == g0 + 1);
        harness_expect(r, "MainThread start\n"
                          "M start\n"
                          "MainThread blocked M\n"
                          "M acquired GIL 1\n"
                          "M released GIL 0\n"
                          "M acquired GIL@p/0 1\n"
                          "M task p #0 worker 0 0\n"
                          "M acquired GIL@p/1 1\n"
                          "M task p #1 worker 1 1\n"
                          "M result p #0 worker 0 0\n"
                          "M released GIL@p/0 0\n"
                          "M result p #1 worker 1 1\n"
                          "M released GIL@p/1 0\n"
                          "M acquired GIL@p/0 1\n"
                          "M task p #2 worker 0 2\n"
                          "M result p #2 worker 0 4\n"
                          "M released GIL@p/0 0\n"
                          "M acquired GIL 1\n"
                          "M print [0, 1, 4]\n"
                          "M released GIL 0\n"
                          "M exit\n"
                          "MainThread joined M\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, 0);
        assert_int_equal(model_res_at(r->m, g0)->holder, -1);
        assert_int_equal(model_res_at(r->m, g1)->holder, -1);
        assert_int_equal(model_res_at(r->m, g0)->worker, 0);
        assert_int_equal(model_res_at(r->m, g1)->worker, 1);
        harness_free(r);
}

/* Live: three threads map on one pool at once; each map gets its own results, in order. */
static void t_live_pool_shared(void **state)
{
        harness_result *r = live(
            "'resources': {'p': {'type': 'pool', 'workers': 2}},"
            "'actors': [{'name': 'T-{i}', 'group': 'T', 'count': 3, 'run': ["
            "  {'repeat': 5, 'do': ["
            "    {'map': 'p', 'fn': 'lambda x: x * 10', 'over': '[i, i + 1, i + 2]', 'into': 'r'},"
            "    {'assert': 'r == [i * 10, i * 10 + 10, i * 10 + 20]', 'message': '{name}: {r}'}"
            "  ]}]}]");

        (void)state;
        assert_int_equal(r->outcome, 0);
        assert_int_equal(harness_count(r, " task p "), 45);
        assert_int_equal(harness_count(r, " result p "), 45);
        harness_free(r);
}

/* Live, with "gil" at a switch interval of 3 tasks: each worker takes its GIL before its first
 * task and gives it up every 3 tasks and before it waits, so whatever the workers' share of the
 * 20 tasks, each GIL is taken as often as it is given up, at least once per 3 tasks of its
 * worker, and is free at the end. */
static void t_live_pool_gil(void **state)
{
        harness_result *r =
            live("'gil': 3,"
                 "'resources': {'p': {'type': 'pool', 'workers': 2}},"
                 "'actors': [{'name': 'M', 'run': ["
                 "  {'map': 'p', 'fn': 'lambda x: x + 1', 'over': 'range(20)', 'into': 'r'},"
                 "  {'assert': 'r == list(range(1, 21))', 'message': '{r}'}]}]");
        int tasks = 0;

        (void)state;
        assert_int_equal(r->outcome, 0);
        for (int w = 0; w < 2; w++) {
                char name[32], acq[64], rel[64];
                int n, a;

                snprintf(name, sizeof(name), "GIL@p/%d", w);
                snprintf(acq, sizeof(acq), "M acquired %s 1\n", name);
                snprintf(rel, sizeof(rel), "M released %s 0\n", name);
                snprintf(name, sizeof(name), " worker %d ", w);
                n = harness_count(r, name) / 2; /* its tasks: a TASK and a RESULT each */
                a = harness_count(r, acq);
                assert_int_equal(a, harness_count(r, rel));
                assert_true(a >= (n + 2) / 3);
                assert_true(a <= n);
                assert_int_equal(
                    model_res_at(r->m, scenario_find_resource(r->sc, w ? "GIL@p/1" : "GIL@p/0"))
                        ->holder,
                    -1);
                tasks += n;
        }
        assert_int_equal(tasks, 20);
        harness_free(r);
}

/* Pool.map's chunk size: divmod(items, 4 * workers), one more if anything is left over. */
static void t_chunksize_rule(void **state)
{
        (void)state;
        assert_int_equal(pool_chunksize(0, 2), 0);
        assert_int_equal(pool_chunksize(1, 2), 1);
        assert_int_equal(pool_chunksize(5, 2), 1);
        assert_int_equal(pool_chunksize(8, 2), 1);
        assert_int_equal(pool_chunksize(9, 2), 2);
        assert_int_equal(pool_chunksize(10, 1), 3);
        assert_int_equal(pool_chunksize(1000, 3), 84);
        assert_int_equal(pool_chunksize(200000, 2), 25000);
        assert_int_equal(pool_chunksize(200001, 2), 25001);
        assert_int_equal(pool_chunksize(1u << 20, 16), 16384);
}

/* The live map's TASK and RESULT lines of R: for each task, the worker that said its TASK
 * (-1: none; -2: two said it) and whether its RESULT came once, from that worker, after it. */
static void chunk_lines(const harness_result *r, int n, int *worker, bool *result)
{
        const char *p = r->lines.data;

        for (int k = 0; k < n; k++) {
                worker[k] = -1;
                result[k] = false;
        }
        while (p != NULL && *p) {
                const char *end = strchr(p, '\n');
                int k, w;

                if (sscanf(p, "M task p #%d worker %d", &k, &w) == 2) {
                        assert_true(k >= 0 && k < n);
                        worker[k] = worker[k] == -1 ? w : -2;
                } else if (sscanf(p, "M result p #%d worker %d", &k, &w) == 2) {
                        assert_true(k >= 0 && k < n);
                        assert_int_equal(worker[k], w);
                        assert_false(result[k]);
                        result[k] = true;
                }
                p = end != NULL ? end + 1 : NULL;
        }
}

/* Live, chunks of Pool.map's size (1000 items over 3 workers: 84): every task is taken and said
 * once, and each chunk goes to one worker, which says its tasks' TASK and RESULT in order; the
 * results come back in the order of the items. With "chunksize": 7, chunks of 7. */
static void t_live_pool_chunks(void **state)
{
        static const struct {
                const char *chunksize;
                int size;
        } cases[] = { { "", 84 }, { ", 'chunksize': 7", 7 }, { ", 'chunksize': 'N * 2'", 2000 } };

        (void)state;
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                char body[1024];
                int worker[1000];
                bool result[1000];
                harness_result *r;

                snprintf(body, sizeof(body),
                         "'constants': {'N': 1000},"
                         "'resources': {'p': {'type': 'pool', 'workers': 3}},"
                         "'actors': [{'name': 'M', 'run': ["
                         "  {'map': 'p', 'fn': 'lambda x: x * 2', 'over': 'range(N)', 'into': "
                         "'r'%s},"
                         "  {'assert': 'r == list(range(0, 2 * N, 2))', 'message': '{r}'}]}]",
                         cases[c].chunksize);
                r = live(body);
                assert_int_equal(r->outcome, 0);
                assert_int_equal(harness_count(r, " task p "), 1000);
                assert_int_equal(harness_count(r, " result p "), 1000);
                chunk_lines(r, 1000, worker, result);
                for (int k = 0; k < 1000; k++) {
                        assert_true(worker[k] >= 0 && result[k]);
                        /* the chunk's first task's worker */
                        assert_int_equal(worker[k], worker[k - k % cases[c].size]);
                }
                harness_free(r);
        }
}

/* Live: three threads map 40 items each, five times, on one pool of two (chunks of 5): the maps
 * take turns, and each one's events come between its task 0 and the next map's, whatever the
 * workers' rings (only a chunk's first and last events take the pool's order key): after each
 * task 0, the 40 tasks and the 40 results of that map, each once, before the next task 0. The
 * model ends with both workers idle and the last map's 40 results. */
static void t_live_pool_maps_in_turn(void **state)
{
        harness_result *r = live(
            "'resources': {'p': {'type': 'pool', 'workers': 2}},"
            "'actors': [{'name': 'T-{i}', 'group': 'T', 'count': 3, 'run': ["
            "  {'repeat': 5, 'do': ["
            "    {'map': 'p', 'fn': 'lambda x: x + 1', 'over': 'range(i, i + 40)', 'into': 'r'},"
            "    {'assert': 'r == list(range(i + 1, i + 41))', 'message': '{name}: {r}'}"
            "  ]}]}]");
        const char *p = r->lines.data;
        int maps = 0, tasks = 0, results = 0, p_res = scenario_find_resource(r->sc, "p");
        bool seen[2][40] = { { false } };
        const model_res *mr = model_res_at(r->m, p_res);

        (void)state;
        assert_int_equal(r->outcome, 0);
        while (*p) {
                const char *end = strchr(p, '\n');
                int k, w;

                if (sscanf(p, "%*s task p #%d worker %d", &k, &w) == 2) {
                        assert_true(k >= 0 && k < 40);
                        if (k == 0) {
                                assert_int_equal(tasks, maps * 40);
                                assert_int_equal(results, maps * 40);
                                maps++;
                                memset(seen, 0, sizeof(seen));
                        }
                        assert_false(seen[0][k]);
                        seen[0][k] = true;
                        tasks++;
                } else if (sscanf(p, "%*s result p #%d worker %d", &k, &w) == 2) {
                        assert_true(k >= 0 && k < 40 && seen[0][k]);
                        assert_false(seen[1][k]);
                        seen[1][k] = true;
                        results++;
                }
                p = end + 1;
        }
        assert_int_equal(maps, 15);
        assert_int_equal(tasks, 600);
        assert_int_equal(results, 600);
        assert_int_equal(mr->ntasks, 40);
        assert_int_equal(mr->nresults, 40);
        for (int w = 0; w < mr->nworkers; w++)
                assert_int_equal(mr->workers[w].task, -1);
        harness_free(r);
}

/* A map's errors, live, in chunks: the first in the order of the items is the map's, whichever
 * worker met it first (IndexError at item 100, ZeroDivisionError at item 900); a chunksize that
 * is not an int of at least 1 is Python's error, in the caller. */
static void t_live_pool_chunk_errors(void **state)
{
        static const struct {
                const char *stmt, *error;
        } cases[] = {
                { "'fn': 'lambda x: [1][x] if x == 100 else 10 // (x - 900)', 'over': "
                  "'range(1000)'",
                  "M error IndexError\n" },
                { "'fn': 'lambda x: x', 'over': 'range(10)', 'chunksize': 'len(name) - 1'",
                  "M error ValueError\n" },
                { "'fn': 'lambda x: x', 'over': 'range(10)', 'chunksize': 'name'",
                  "M error TypeError\n" },
        };

        (void)state;
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                char body[1024];
                harness_result *r;

                snprintf(body, sizeof(body),
                         "'resources': {'p': {'type': 'pool', 'workers': 2}},"
                         "'actors': [{'name': 'M', 'run': [{'map': 'p', %s}]}]",
                         cases[c].stmt);
                r = live(body);
                assert_int_equal(r->outcome, 4);
                assert_int_equal(harness_count(r, cases[c].error), 1);
                harness_free(r);
        }
}

/* ---- the store's encoding ---- */

/* Every type survives the encoding, and a cut encoding is refused. */
static void t_encoding(void **state)
{
        value vals[] = { value_none(),
                         value_bool(true),
                         value_int(-7),
                         value_float(2.5),
                         value_cstr("h\xc3\xa9"),
                         value_list(),
                         value_tuple(NULL, 0),
                         value_dict(),
                         value_cstr(""),
                         value_list(),
                         value_tuple(NULL, 0),
                         value_dict() };
        char err[200];

        (void)state;
        {
                value inner = value_list();

                value_list_append(&inner, value_int(2), err, sizeof(err));
                value_list_append(&vals[5], value_int(1), err, sizeof(err));
                value_list_append(&vals[5], inner, err, sizeof(err));
                value_dict_set(&vals[7], value_cstr("k"), value_float(-0.5), err, sizeof(err));
                value_dict_set(&vals[7], value_int(2), value_none(), err, sizeof(err));
        }
        for (size_t k = 0; k < sizeof(vals) / sizeof(*vals); k++) {
                strbuf enc = { 0 }, a = { 0 }, b = { 0 };
                value back;

                assert_int_equal(store_encode(vals[k], &enc, err, sizeof(err)), 0);
                assert_int_equal(store_decode(enc.data, enc.len, &back), (long)enc.len);
                value_repr(vals[k], &a);
                value_repr(back, &b);
                assert_string_equal(strbuf_str(&a), strbuf_str(&b));
                assert_int_equal(back.type, vals[k].type);
                /* a cut encoding is refused, never read past its end */
                for (size_t cut = 0; cut < enc.len; cut++) {
                        value part;

                        assert_true(store_decode(enc.data, cut, &part) < 0);
                }
                value_drop(&back);
                value_drop(&vals[k]);
                strbuf_free(&enc);
                strbuf_free(&a);
                strbuf_free(&b);
        }
}

/* A frame is a 32-bit length and then exactly store_encode's bytes, whatever OUT held before,
 * for every type and for strs of every size that a pipe's reader treats apart (on its stack up
 * to 256 bytes, in a memory file when stepped past 4096): a function has no frame. */
static void t_frame(void **state)
{
        static char big[70000];
        value vals[] = { value_none(),
                         value_bool(false),
                         value_int(INT64_MIN),
                         value_float(-0.0),
                         value_cstr(""),
                         value_str("a\0b", 3),
                         value_cstr("h\xc3\xa9"),
                         value_str(big, 251),
                         value_str(big, 252),
                         value_str(big, 256),
                         value_str(big, 4096),
                         value_str(big, sizeof big),
                         value_list(),
                         value_tuple(NULL, 0),
                         value_dict() };
        strbuf frame = { 0 };
        char err[200];

        (void)state;
        memset(big, 'm', sizeof big);
        value_list_append(&vals[12], value_cstr("x"), err, sizeof(err));
        for (size_t k = 0; k < sizeof(vals) / sizeof(*vals); k++) {
                strbuf enc = { 0 };
                uint32_t n;
                value back;

                strbuf_puts(&frame, "left over from the last one");
                assert_int_equal(store_encode(vals[k], &enc, err, sizeof(err)), 0);
                assert_int_equal(store_frame(vals[k], &frame, err, sizeof(err)),
                                 (long)(sizeof(n) + enc.len));
                assert_int_equal(frame.len, sizeof(n) + enc.len);
                memcpy(&n, frame.data, sizeof(n));
                assert_int_equal(n, enc.len);
                assert_memory_equal(frame.data + sizeof(n), enc.data, enc.len);
                assert_int_equal(store_decode(frame.data + sizeof(n), n, &back), (long)n);
                assert_true(value_equal(back, vals[k]));
                value_drop(&back);
                value_drop(&vals[k]);
                strbuf_free(&enc);
        }
        {
                value f = value_func(big);

                assert_int_equal(store_frame(f, &frame, err, sizeof(err)), -1);
                assert_string_equal(err, "PicklingError: cannot send a function to another process "
                                         "(a lambda cannot be pickled)");
                value_drop(&f);
        }
        strbuf_free(&frame);
}

/* The scenario of JSON (scenario_text's), taking it; dies with the diagnostics when it is not
 * one. */
static scenario *load_json(char *json)
{
        scenario_options so = { 0 };
        scenario *sc = fixture_load_with(json, &so);

        free(json);
        return sc;
}

/* A queue's put and take, in the heap and in shared memory: each put says how many items the
 * queue then holds and each take how many are left, in order; every type goes through (the
 * scalars' frames made by the put itself, the others' prepared), a bounded queue refuses an item
 * past its size without taking it, and an empty one has nothing to take. */
static void t_queue_put_take(void **state)
{
        scenario *sc =
            load_json(scenario_text("'resources': {'q': {'type': 'queue', 'max': 7}}, "
                                    "'actors': [{'name': 'A', 'kind': 'process', 'run': [{'print': "
                                    "'x'}]}], 'main': []"));

        (void)state;
        for (int shared = 0; shared < 2; shared++) {
                store *st = store_create(sc, shared);
                value vals[] = { value_none(),        value_bool(true),        value_int(INT64_MIN),
                                 value_float(-0.5),   value_cstr("h\xc3\xa9"), value_list(),
                                 value_int(INT64_MAX) };
                size_t n = sizeof(vals) / sizeof(*vals);
                strbuf enc = { 0 };
                char err[200];
                value v, extra = value_cstr("one too many");
                long need;

                for (size_t k = 0; k < n; k++) {
                        need = store_queue_prepare(st, 0, vals[k], &enc, err, sizeof(err));
                        assert_true(need >= 0);
                        assert_int_equal(need > 0, shared);
                        assert_int_equal(
                            store_queue_put(st, 0, value_ref(vals[k]), (size_t)need, &enc),
                            (long)k + 1);
                        assert_int_equal(store_queue_len(st, 0), k + 1);
                }
                need = store_queue_prepare(st, 0, extra, &enc, err, sizeof(err));
                assert_int_equal(store_queue_put(st, 0, extra, (size_t)need, &enc), -1);
                assert_string_equal(value_str_data(extra, NULL), "one too many");
                for (size_t k = 0; k < n; k++) {
                        assert_int_equal(store_queue_take(st, 0, &v), (long)(n - k - 1));
                        assert_int_equal(v.type, vals[k].type);
                        assert_true(value_equal(v, vals[k]));
                        value_drop(&v);
                }
                assert_int_equal(store_queue_take(st, 0, &v), -1);
                /* round and round the ring (16 MiB): items across its end, put and taken in
                 * place or through a copy, come back whole */
                if (shared) {
                        static char big[100003];
                        value s1;

                        memset(big, 'q', sizeof big);
                        s1 = value_str(big, sizeof big);
                        for (long i = 0; i < 1200; i++) {
                                value item = i % 3 == 0 ? value_ref(s1) : value_int(i);

                                need = store_queue_prepare(st, 0, item, &enc, err, sizeof(err));
                                assert_int_equal(
                                    store_queue_put(st, 0, value_ref(item), (size_t)need, &enc), 1);
                                assert_int_equal(store_queue_take(st, 0, &v), 0);
                                assert_true(value_equal(v, item));
                                value_drop(&v);
                                value_drop(&item);
                        }
                        value_drop(&s1);
                }
                for (size_t k = 0; k < n; k++)
                        value_drop(&vals[k]);
                value_drop(&extra);
                strbuf_free(&enc);
                store_free(st);
        }
        scenario_free(sc);
}

/* The pages of shared memory that the calling process has in its page table, in KiB
 * (/proc/self/status's RssShmem), or -1. */
static long shmem_mapped_kib(void)
{
        char line[256];
        long kib = -1;
        FILE *f = fopen("/proc/self/status", "r");

        if (f == NULL)
                return -1;
        while (fgets(line, sizeof line, f) != NULL)
                if (sscanf(line, "RssShmem: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

/*
 * A forked process that puts into a queue in shared memory maps the ring's pages a stretch
 * (64 KiB) ahead of its writes instead of taking a write fault at every page of its first lap (a
 * child has none of the ring's pages in its page table). 5,100 ints are 66,300 bytes of frames,
 * just into the second stretch: the child then has the third mapped too, 136 KiB with the
 * ring's header, where page by page it would have 72. Its reader needs nothing of the kind (a
 * read fault maps 16 pages already written at once), and takes every item back in order.
 */
/* A pool alone leaves a queue on the heap, threading's: a lambda goes through it unencoded. */
static void t_queue_pool_only(void **state)
{
        scenario *sc = load_json(scenario_text(
            "'resources': {'q': {'type': 'queue'}, 'p': {'type': 'pool', 'workers': 1}}, "
            "'actors': [{'name': 'A', 'run': [{'print': 'x'}]}], 'main': []"));
        store *st = store_create(sc, true);
        strbuf enc = { 0 };
        char err[200];
        value f;

        (void)state;
        assert_false(store_shared(st, 0));
        f = value_int(7);
        assert_int_equal(store_queue_prepare(st, 0, f, &enc, err, sizeof(err)), 0);
        strbuf_free(&enc);
        store_free(st);
        scenario_free(sc);
}

static void t_queue_maps_ahead(void **state)
{
        enum { N = 5100 };
        scenario *sc = load_json(scenario_text("'resources': {'q': {'type': 'queue'}}, "
                                               "'actors': [{'name': 'A', 'kind': 'process', "
                                               "'run': [{'print': 'x'}]}], 'main': []"));
        store *st = store_create(sc, true);
        char err[200];
        strbuf enc = { 0 };
        long kib, need = store_queue_prepare(st, 0, value_int(1), &enc, err, sizeof(err));
        int fd[2], status;
        pid_t pid;
        value v;

        (void)state;
        assert_int_equal(need, 13); /* a length and an int's 9 bytes */
        assert_int_equal(pipe(fd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                long before = shmem_mapped_kib(), ok = 0;

                for (long k = 0; k < N; k++)
                        ok += store_queue_put(st, 0, value_int(k), 13, NULL) == k + 1;
                kib = ok == N && before >= 0 ? shmem_mapped_kib() - before : -1;
                _exit(write(fd[1], &kib, sizeof kib) == (ssize_t)sizeof kib ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
        assert_int_equal(read(fd[0], &kib, sizeof kib), (ssize_t)sizeof kib);
        assert_true(kib >= 0); /* every put went in */
        assert_true(kib >= 120);
        for (long k = 0; k < N; k++) {
                assert_int_equal(store_queue_take(st, 0, &v), N - k - 1);
                assert_int_equal(v.type, VALUE_INT);
                assert_int_equal(v.as.i, k);
        }
        close(fd[0]);
        close(fd[1]);
        strbuf_free(&enc);
        store_free(st);
        scenario_free(sc);
}

/* A pipe's read-ahead: one buffer for each end of each pipe, apart, empty at the start, and
 * shared with a process forked after the store was made (where and what a thread-only run or a
 * run with processes gives alike). */
static void t_pipe_ahead(void **state)
{
        scenario *sc = load_json(
            scenario_text("'resources': {'p': {'type': 'pipe'}, 'v': {'type': 'var', "
                          "'value': 0}, 'q': {'type': 'pipe', 'duplex': false}}, "
                          "'actors': [{'name': 'A', 'run': [{'print': 'x'}]}], 'main': []"));

        (void)state;
        for (int shared = 0; shared < 2; shared++) {
                store *st = store_create(sc, shared);
                store_ahead *ah[4] = { store_pipe_ahead(st, 0, 0), store_pipe_ahead(st, 0, 1),
                                       store_pipe_ahead(st, 2, 0), store_pipe_ahead(st, 2, 1) };
                pid_t pid;
                int status;

                for (int i = 0; i < 4; i++) {
                        assert_int_equal(ah[i]->at, 0);
                        assert_int_equal(ah[i]->len, 0);
                        for (int j = 0; j < i; j++) /* apart: none overlaps another */
                                assert_true((char *)(ah[i] + 1) <= (char *)ah[j] ||
                                            (char *)(ah[j] + 1) <= (char *)ah[i]);
                }
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        memcpy(ah[3]->data, "next", 4);
                        ah[3]->len = 4;
                        _exit(0);
                }
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_int_equal(ah[3]->len, 4);
                assert_memory_equal(ah[3]->data, "next", 4);
                assert_int_equal(ah[0]->len + ah[1]->len + ah[2]->len, 0);
                assert_false(store_shared(st, 0));
                store_free(st);
        }
        scenario_free(sc);
}

/* Where a resource's value is in place (store_slot): a var always (in this process's heap); a
 * Value in the heap without processes, and as the value itself in shared memory with them — read
 * by store_get, written through the slot and by store_commit, and the same in a process forked
 * after the store was made, both ways; an Array in shared memory is not (it is kept encoded). */
static void t_value_in_place(void **state)
{
        scenario *sc = load_json(scenario_text(
            "'resources': {'x': {'type': 'var', 'value': 0}, 'v': {'type': 'value', 'ctype': 'i', "
            "'value': 5}, 'f': {'type': 'value', 'ctype': 'd', 'value': 0.5}, 'a': {'type': "
            "'array', 'ctype': 'i', 'value': [1, 2]}}, "
            "'actors': [{'name': 'A', 'run': [{'print': 'x'}]}], 'main': []"));

        (void)state;
        for (int shared = 0; shared < 2; shared++) {
                store *st = store_create(sc, shared);
                value *v = store_slot(st, 1), got, w = value_int(41);
                char err[200];
                pid_t pid;
                int status;

                assert_non_null(store_slot(st, 0));
                assert_non_null(v);
                assert_non_null(store_slot(st, 2));
                assert_true(store_shared(st, 1) == (shared == 1));
                assert_true((store_slot(st, 3) == NULL) == (shared == 1));
                assert_int_equal(v->type, VALUE_INT);
                assert_int_equal(v->as.i, 5);
                assert_true(store_slot(st, 2)->type == VALUE_FLOAT &&
                            store_slot(st, 2)->as.f == 0.5);
                v->as.i = 6;
                got = store_get(st, 1);
                assert_int_equal(got.as.i, 6);
                assert_int_equal(store_commit(st, 1, &w, err, sizeof(err)), 0);
                assert_int_equal(store_get(st, 1).as.i, shared ? 41 : 6);
                if (!shared) /* in the heap the slot itself is the value: nothing to write back */
                        v->as.i = 41;
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        value mine = store_get(st, 1);

                        store_slot(st, 1)->as.i = mine.as.i + 1;
                        _exit(mine.as.i == 41 ? 0 : 1);
                }
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                /* the child's write: seen here only when the Value is shared */
                assert_int_equal(store_get(st, 1).as.i, shared ? 42 : 41);
                store_free(st);
        }
        scenario_free(sc);
}

/* ---- a producer that dies with events it had not made visible ---- */

/* A process killed with a batch it had written but not flushed: its parent declares its ring
 * dead, which publishes the batch, and the consumer reads it in key order with another ring's
 * events, without stream_close. */
static void t_stream_producer_dies(void **state)
{
        stream *st = stream_create(2, 1, 0);
        event ev = { .kind = EV_PRINT, .actor = 0, .res = -1, .other = -1, .stmt = -1 };
        const char *want[] = { "first", "second", "third", "after" };
        event got;
        strbuf buf = { 0 };
        stream_stats stats;
        pid_t pid;
        int status;

        (void)state;
        assert_non_null(st);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                event e = ev;

                stream_attach(st, 0);
                e.text = "first";
                e.len = 5;
                stream_publish(st, &e, 0);
                stream_flush();
                e.text = "second";
                e.len = 6;
                stream_publish(st, &e, 0);
                e.text = "third";
                e.len = 5;
                stream_publish(st, &e, 0);
                raise(SIGKILL); /* dies before its batch is full, unflushed */
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        stream_attach(st, 1);
        {
                event c = ev;

                c.actor = 1;
                c.text = "after";
                c.len = 5;
                /* key 0's version 3: it waits for the dead ring's versions 1 and 2 */
                stream_publish(st, &c, 0);
                stream_flush();
        }
        assert_int_equal(stream_next(st, &got, &buf, 5000), 1);
        assert_string_equal(got.text, "first");
        /* the dead ring's batch is not visible yet, and "after" must wait for it */
        assert_int_equal(stream_next(st, &got, &buf, 0), 0);
        stream_ring_dead(st, 0);
        for (int k = 1; k < 4; k++) {
                assert_int_equal(stream_next(st, &got, &buf, 5000), 1);
                assert_string_equal(got.text, want[k]);
                assert_int_equal(got.seq, (uint64_t)k + 1);
        }
        stream_get_stats(st, &stats);
        assert_int_equal(stats.broken, 0);
        strbuf_free(&buf);
        stream_destroy(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_step_copies),
                cmocka_unit_test(t_step_queue),
                cmocka_unit_test(t_step_pipe),
                cmocka_unit_test(t_step_thread_crash_in_process),
                cmocka_unit_test(t_live_value_and_pipe),
                cmocka_unit_test(t_live_lambda_cannot_cross),
                cmocka_unit_test(t_live_manager),
                cmocka_unit_test(t_manager_follows_client),
                cmocka_unit_test(t_step_pool),
                cmocka_unit_test(t_step_pool_gil),
                cmocka_unit_test(t_live_pool_shared),
                cmocka_unit_test(t_live_pool_gil),
                cmocka_unit_test(t_chunksize_rule),
                cmocka_unit_test(t_live_pool_chunks),
                cmocka_unit_test(t_live_pool_maps_in_turn),
                cmocka_unit_test(t_live_pool_chunk_errors),
                cmocka_unit_test(t_encoding),
                cmocka_unit_test(t_frame),
                cmocka_unit_test(t_queue_put_take),
                cmocka_unit_test(t_queue_pool_only),
                cmocka_unit_test(t_queue_maps_ahead),
                cmocka_unit_test(t_pipe_ahead),
                cmocka_unit_test(t_value_in_place),
                cmocka_unit_test(t_stream_producer_dies),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
