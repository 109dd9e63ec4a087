/*
 * test_engine.c — the engine, statement by statement, through the harness (harness.h).
 *
 * Step mode gives one exact list of events for a scenario and a schedule, so those tests compare
 * the whole list. Live mode is scheduled by the OS: those tests assert what the program forces
 * (final state, counts, the order of causally related events).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "harness.h"
#include "scenario/diag.h"
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

__attribute__((unused)) static harness_result *step(const char *body, const char *schedule)
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

static void t_step_with_lock(void **state)
{
        harness_result *r = step("'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', "
                                 "'run': [{'with': 'l', 'do': [{'print': 'in'}]}]}, {'name': 'U', "
                                 "'run': [{'with': 'l', 'do': [{'print': 'U in'}]}]}]",
                                 "T, U, T, T, U, U");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "U blocked l\n"
                          "T print in\n"
                          "T released l 0\n"
                          "T exit\n"
                          "U acquired l 1\n"
                          "U print U in\n"
                          "U released l 0\n"
                          "U exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 8);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_acquire_timeout_gives_up(void **state)
{
        harness_result *r = step(
            "'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', 'run': [{'acquire': "
            "'l'}, {'print': 'holding'}, {'release': 'l'}]}, {'name': 'U', 'run': [{'acquire': "
            "'l', 'timeout': 5, 'into': 'ok'}, {'print': 'U got it: {ok}'}]}]",
            "T, U, U");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "U blocked l timed\n"
                          "U timeout l\n"
                          "U print U got it: False\n"
                          "U exit\n"
                          "T print holding\n"
                          "T released l 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 7);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_acquire_timeout_succeeds(void **state)
{
        harness_result *r = step(
            "'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', 'run': [{'acquire': "
            "'l'}, {'print': 'holding'}, {'release': 'l'}]}, {'name': 'U', 'run': [{'acquire': "
            "'l', 'timeout': 5, 'into': 'ok'}, {'print': 'U got it: {ok}'}, {'release': 'l'}]}]",
            "T, U, T, T, U");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "U blocked l timed\n"
                          "T print holding\n"
                          "T released l 0\n"
                          "T exit\n"
                          "U acquired l 1\n"
                          "U print U got it: True\n"
                          "U released l 0\n"
                          "U exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 8);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_acquire_not_blocking(void **state)
{
        harness_result *r =
            step("'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', 'run': "
                 "[{'acquire': 'l', 'blocking': false, 'into': 'a'}, {'acquire': 'l', 'blocking': "
                 "false, 'into': 'b'}, {'print': '{a} {b}'}, {'release': 'l'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "T step acquire\n"
                          "T print True False\n"
                          "T released l 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 5);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_release_unheld(void **state)
{
        harness_result *r = step("'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', "
                                 "'run': [{'release': 'l'}, {'print': 'never'}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T step release\n"
                          "T error RuntimeError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 2);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

/* A with block of a plain lock that its body released: the block's own release finds it free,
 * Python's RuntimeError (the with's short way checks as release does). */
static void t_step_with_released_inside(void **state)
{
        harness_result *r = step("'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', "
                                 "'run': [{'with': 'l', 'do': [{'release': 'l'}]}, {'print': "
                                 "'never'}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "T released l 0\n"
                          "T step with\n"
                          "T error RuntimeError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(model_error_count(r->m), 1);
        assert_non_null(
            strstr(model_error_at(r->m, 0)->text, "RuntimeError: release unlocked lock 'l'"));
        harness_free(r);
}

static void t_step_self_deadlock(void **state)
{
        harness_opts opt = { .mode = HARNESS_STEP, .fork = true, .schedule = NULL };
        harness_result *r =
            run_opts("'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', 'run': "
                     "[{'acquire': 'l'}, {'acquire': 'l'}, {'print': 'never'}]}]",
                     &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "T blocked l\n");
        assert_int_equal(r->outcome, OUTCOME_DEADLOCK);
        assert_int_equal(r->grants, 2);
        assert_string_equal(strbuf_str(&r->why), "T holds l and waits for l held by T");
        assert_int_equal(r->signal, 0);
        assert_int_equal(r->status, -1);
        harness_free(r);
}

static void t_step_self_acquire_timeout(void **state)
{
        harness_result *r = step("'resources': {'l': {'type': 'lock'}}, 'actors': [{'name': 'T', "
                                 "'run': [{'acquire': 'l'}, {'acquire': 'l', 'timeout': 0.01, "
                                 "'into': 'ok'}, {'print': 'again: {ok}'}, {'release': 'l'}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired l 1\n"
                          "T blocked l timed\n"
                          "T timeout l\n"
                          "T print again: False\n"
                          "T released l 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 6);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_deadlock_cycle(void **state)
{
        harness_opts opt = { .mode = HARNESS_STEP, .fork = true, .schedule = "P, Q, P, Q" };
        harness_result *r = run_opts(
            "'resources': {'a': {'type': 'lock'}, 'b': {'type': 'lock'}}, 'actors': [{'name': 'P', "
            "'run': [{'with': 'a', 'do': [{'with': 'b', 'do': [{'print': 'P ate'}]}]}]}, {'name': "
            "'Q', 'run': [{'with': 'b', 'do': [{'with': 'a', 'do': [{'print': 'Q ate'}]}]}]}]",
            &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "P start\n"
                          "Q start\n"
                          "MainThread blocked P\n"
                          "P acquired a 1\n"
                          "Q acquired b 1\n"
                          "P blocked b\n"
                          "Q blocked a\n");
        assert_int_equal(r->outcome, OUTCOME_DEADLOCK);
        assert_int_equal(r->grants, 4);
        assert_string_equal(
            strbuf_str(&r->why),
            "P holds a and waits for b held by Q; Q holds b and waits for a held by P");
        assert_int_equal(r->signal, 0);
        assert_int_equal(r->status, -1);
        harness_free(r);
}

static void t_step_rlock_depth(void **state)
{
        harness_result *r = step(
            "'resources': {'r': {'type': 'rlock'}}, 'actors': [{'name': 'T', 'run': [{'acquire': "
            "'r'}, {'with': 'r', 'do': [{'print': 'depth 2'}]}, {'release': 'r'}, {'release': "
            "'r'}]}, {'name': 'U', 'run': [{'with': 'r', 'do': [{'print': 'U in'}]}]}]",
            "T, T, U, T, T, T");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired r 1\n"
                          "T acquired r 2\n"
                          "U blocked r\n"
                          "T print depth 2\n"
                          "T released r 1\n"
                          "T released r 0\n"
                          "T step release\n"
                          "T error RuntimeError\n"
                          "T exit after an error\n"
                          "U acquired r 1\n"
                          "U print U in\n"
                          "U released r 0\n"
                          "U exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 11);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_semaphore_counts(void **state)
{
        harness_result *r = step(
            "'resources': {'s': {'type': 'semaphore', 'value': 2}}, 'actors': [{'name': 'W{i}', "
            "'count': 3, 'run': [{'acquire': 's'}, {'print': '{name} in'}, {'release': 's'}]}]",
            "W0, W1, W2, W0, W0, W2, W2");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "W0 start\n"
                          "W1 start\n"
                          "W2 start\n"
                          "MainThread blocked W0\n"
                          "W0 acquired s 1\n"
                          "W1 acquired s 0\n"
                          "W2 blocked s\n"
                          "W0 print W0 in\n"
                          "W0 released s 1\n"
                          "W0 exit\n"
                          "W2 acquired s 0\n"
                          "W2 print W2 in\n"
                          "W2 released s 1\n"
                          "W2 exit\n"
                          "W1 print W1 in\n"
                          "W1 released s 2\n"
                          "W1 exit\n"
                          "MainThread joined W0\n"
                          "MainThread joined W1\n"
                          "MainThread joined W2\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 11);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_semaphore_timeout(void **state)
{
        harness_result *r =
            step("'resources': {'s': {'type': 'semaphore', 'value': 0}}, 'actors': [{'name': 'T', "
                 "'run': [{'acquire': 's', 'timeout': 1, 'into': 'ok'}, {'print': 'got {ok}'}, "
                 "{'acquire': 's', 'blocking': false, 'into': 'ok'}, {'print': 'try {ok}'}, "
                 "{'release': 's'}, {'release': 's'}, {'acquire': 's', 'timeout': 1, 'into': "
                 "'ok'}, {'print': 'got {ok}'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T blocked s timed\n"
                          "T timeout s\n"
                          "T print got False\n"
                          "T step acquire\n"
                          "T print try False\n"
                          "T released s 1\n"
                          "T released s 2\n"
                          "T acquired s 1\n"
                          "T print got True\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 10);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_bounded_over_release(void **state)
{
        harness_result *r = step("'resources': {'s': {'type': 'bounded_semaphore', 'value': 1}}, "
                                 "'actors': [{'name': 'T', 'run': [{'with': 's', 'do': [{'print': "
                                 "'in'}]}, {'release': 's'}, {'print': 'never'}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired s 0\n"
                          "T print in\n"
                          "T released s 1\n"
                          "T step release\n"
                          "T error ValueError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 5);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_event_set_clear_wait(void **state)
{
        harness_result *r =
            step("'resources': {'e': {'type': 'event'}}, 'actors': [{'name': 'Waiter', 'run': "
                 "[{'wait': 'e', 'into': 'was'}, {'print': 'set: {was}'}]}, {'name': 'Setter', "
                 "'run': [{'set': 'e'}, {'clear': 'e'}, {'wait': 'e', 'timeout': 1, 'into': "
                 "'was'}, {'print': 'timed out: {not was}'}]}]",
                 "Waiter, Setter, Waiter, Setter");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "Waiter start\n"
                          "Setter start\n"
                          "MainThread blocked Waiter\n"
                          "Waiter waiting e\n"
                          "Setter set e\n"
                          "Waiter woke e\n"
                          "Setter cleared e\n"
                          "Setter waiting e timed\n"
                          "Waiter print set: True\n"
                          "Waiter exit\n"
                          "MainThread joined Waiter\n"
                          "MainThread blocked Setter\n"
                          "Setter timeout e\n"
                          "Setter print timed out: True\n"
                          "Setter exit\n"
                          "MainThread joined Setter\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 10);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_event_already_set(void **state)
{
        harness_result *r =
            step("'resources': {'e': {'type': 'event'}}, 'actors': [{'name': 'T', 'run': [{'set': "
                 "'e'}, {'wait': 'e', 'into': 'was'}, {'wait': 'e', 'timeout': 1, 'into': "
                 "'again'}, {'print': '{was} {again}'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T set e\n"
                          "T step wait\n"
                          "T step wait\n"
                          "T print True True\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 5);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_condition_wait_notify(void **state)
{
        harness_result *r =
            step("'resources': {'c': {'type': 'condition'}, 'ready': {'type': 'var', 'value': "
                 "false}}, 'actors': [{'name': 'Waiter', 'run': [{'with': 'c', 'do': [{'while': "
                 "'not ready', 'do': [{'wait': 'c', 'into': 'ok'}]}, {'print': 'woke: {ok}'}]}]}, "
                 "{'name': 'Notifier', 'run': [{'with': 'c', 'do': [{'store': 'ready', 'value': "
                 "true}, {'notify': 'c'}]}]}]",
                 "Waiter, Waiter, Waiter");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "Waiter start\n"
                          "Notifier start\n"
                          "MainThread blocked Waiter\n"
                          "Waiter acquired c 1\n"
                          "Waiter step while\n"
                          "Waiter released c 0\n"
                          "Waiter waiting c\n"
                          "Notifier acquired c 1\n"
                          "Notifier changed ready True\n"
                          "Notifier notified c 1\n"
                          "Notifier released c 0\n"
                          "Notifier exit\n"
                          "Waiter woke c\n"
                          "Waiter acquired c 1\n"
                          "Waiter step while\n"
                          "Waiter print woke: True\n"
                          "Waiter released c 0\n"
                          "Waiter exit\n"
                          "MainThread joined Waiter\n"
                          "MainThread joined Notifier\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 12);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_condition_wait_timeout(void **state)
{
        harness_result *r = step("'resources': {'c': {'type': 'condition'}}, 'actors': [{'name': "
                                 "'T', 'run': [{'with': 'c', 'do': [{'wait': 'c', 'timeout': 1, "
                                 "'into': 'ok'}, {'print': 'notified: {ok}'}]}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired c 1\n"
                          "T released c 0\n"
                          "T waiting c timed\n"
                          "T timeout c\n"
                          "T acquired c 1\n"
                          "T print notified: False\n"
                          "T released c 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 6);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_condition_notify_n(void **state)
{
        harness_result *r = step(
            "'resources': {'c': {'type': 'condition'}, 'woken': {'type': 'var', 'value': 0}}, "
            "'actors': [{'name': 'W{i}', 'count': 3, 'run': [{'with': 'c', 'do': [{'wait': 'c', "
            "'timeout': 100}, {'store': 'woken', 'value': 'woken + 1'}]}]}], 'main': [{'sleep': "
            "0}, {'with': 'c', 'do': [{'notify': 'c', 'n': 2}]}, {'join': 'W0'}, {'join': 'W1'}, "
            "{'print': 'woken {woken}'}, {'with': 'c', 'do': [{'notify': 'c'}]}]",
            "W0*2, W1*2, W2*2");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "W0 start\n"
                          "W1 start\n"
                          "W2 start\n"
                          "W0 acquired c 1\n"
                          "W0 released c 0\n"
                          "W0 waiting c timed\n"
                          "W1 acquired c 1\n"
                          "W1 released c 0\n"
                          "W1 waiting c timed\n"
                          "W2 acquired c 1\n"
                          "W2 released c 0\n"
                          "W2 waiting c timed\n"
                          "MainThread sleep 0s\n"
                          "MainThread acquired c 1\n"
                          "MainThread notified c 2\n"
                          "MainThread released c 0\n"
                          "MainThread blocked W0\n"
                          "W0 woke c\n"
                          "W0 acquired c 1\n"
                          "W0 changed woken 1\n"
                          "W0 released c 0\n"
                          "W0 exit\n"
                          "W1 woke c\n"
                          "W1 acquired c 1\n"
                          "W1 changed woken 2\n"
                          "W1 released c 0\n"
                          "W1 exit\n"
                          "MainThread joined W0\n"
                          "MainThread joined W1\n"
                          "MainThread print woken 2\n"
                          "MainThread acquired c 1\n"
                          "MainThread notified c 1\n"
                          "MainThread released c 0\n"
                          "MainThread exit\n"
                          "W2 woke c\n"
                          "W2 acquired c 1\n"
                          "W2 changed woken 3\n"
                          "W2 released c 0\n"
                          "W2 exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 26);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_condition_notify_all(void **state)
{
        harness_result *r =
            step("'resources': {'l': {'type': 'lock'}, 'c': {'type': 'condition', 'lock': 'l'}, "
                 "'go': {'type': 'var', 'value': false}}, 'actors': [{'name': 'W{i}', 'count': 3, "
                 "'run': [{'with': 'c', 'do': [{'wait_for': 'c', 'until': 'go'}, {'print': '{name} "
                 "goes'}]}]}], 'main': [{'sleep': 0}, {'with': 'c', 'do': [{'store': 'go', "
                 "'value': true}, {'notify_all': 'c'}]}]",
                 "W0*2, W1*2, W2*2");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "W0 start\n"
                          "W1 start\n"
                          "W2 start\n"
                          "W0 acquired l 1\n"
                          "W0 released l 0\n"
                          "W0 waiting c\n"
                          "W1 acquired l 1\n"
                          "W1 released l 0\n"
                          "W1 waiting c\n"
                          "W2 acquired l 1\n"
                          "W2 released l 0\n"
                          "W2 waiting c\n"
                          "MainThread sleep 0s\n"
                          "MainThread acquired l 1\n"
                          "MainThread changed go True\n"
                          "MainThread notified c 3\n"
                          "MainThread released l 0\n"
                          "MainThread exit\n"
                          "W0 woke c\n"
                          "W0 acquired l 1\n"
                          "W0 print W0 goes\n"
                          "W0 released l 0\n"
                          "W0 exit\n"
                          "W1 woke c\n"
                          "W1 acquired l 1\n"
                          "W1 print W1 goes\n"
                          "W1 released l 0\n"
                          "W1 exit\n"
                          "W2 woke c\n"
                          "W2 acquired l 1\n"
                          "W2 print W2 goes\n"
                          "W2 released l 0\n"
                          "W2 exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 20);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_wait_for_true_at_once(void **state)
{
        harness_result *r = step("'resources': {'c': {'type': 'condition'}}, 'actors': [{'name': "
                                 "'T', 'run': [{'with': 'c', 'do': [{'wait_for': 'c', 'until': '1 "
                                 "+ 1', 'into': 'v'}, {'print': 'v = {v}'}]}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired c 1\n"
                          "T step wait_for\n"
                          "T print v = 2\n"
                          "T released c 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 5);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_wait_for_timeout(void **state)
{
        harness_result *r =
            step("'resources': {'c': {'type': 'condition'}, 'n': {'type': 'var', 'value': 0}}, "
                 "'actors': [{'name': 'T', 'run': [{'with': 'c', 'do': [{'wait_for': 'c', 'until': "
                 "'n > 0', 'timeout': 1, 'into': 'v'}, {'print': 'v = {v}'}]}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T acquired c 1\n"
                          "T released c 0\n"
                          "T waiting c timed\n"
                          "T timeout c\n"
                          "T acquired c 1\n"
                          "T print v = False\n"
                          "T released c 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 6);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_wait_for_notified_twice(void **state)
{
        harness_result *r = step(
            "'resources': {'c': {'type': 'condition'}, 'n': {'type': 'var', 'value': 0}}, "
            "'actors': [{'name': 'T', 'run': [{'with': 'c', 'do': [{'wait_for': 'c', 'until': 'n "
            ">= 2', 'into': 'v'}, {'print': 'n = {n}'}]}]}, {'name': 'U', 'run': [{'repeat': 2, "
            "'do': [{'with': 'c', 'do': [{'store': 'n', 'value': 'n + 1'}, {'notify': 'c'}]}]}]}]",
            "T, T, U*5, T");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired c 1\n"
                          "T released c 0\n"
                          "T waiting c\n"
                          "U step repeat\n"
                          "U acquired c 1\n"
                          "U changed n 1\n"
                          "U notified c 1\n"
                          "U released c 0\n"
                          "T woke c\n"
                          "T acquired c 1\n"
                          "T released c 0\n"
                          "T waiting c\n"
                          "U step repeat\n"
                          "U acquired c 1\n"
                          "U changed n 2\n"
                          "U notified c 1\n"
                          "U released c 0\n"
                          "U exit\n"
                          "T woke c\n"
                          "T acquired c 1\n"
                          "T print n = 2\n"
                          "T released c 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 17);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

/* The interpreter's short ways (a store of a whole var in the heap, the expression shapes
 * expr_eval_fast takes) say and do what the general ones do: a resource, a constant and a local
 * read, a bool (True + 1 is 2), a float, a typed Value in the heap (a scenario without
 * processes), `is None` on None, 0 and '', a name rebound, and an overflow's message. */
static void t_step_short_ways(void **state)
{
        harness_result *r = step(
            "'constants': {'K': 5}, 'resources': {'counter': {'type': 'var', 'value': 0}, "
            "'total': {'type': 'var', 'value': 100}, 'v': {'type': 'value', 'ctype': 'i', "
            "'value': 0}}, 'actors': [{'name': 'T', 'run': [{'store': 'counter', 'value': 'total "
            "+ K'}, {'let': 't', 'value': 1}, {'store': 'counter', 'value': 't + 1'}, {'store': "
            "'counter', 'value': 'counter + counter'}, {'let': 'x', 'value': 'True'}, {'store': "
            "'counter', 'value': 'x + 1'}, {'store': 'counter', 'value': 'counter * 0.5'}, "
            "{'store': 'v', 'value': 't + 2'}, {'store': 'v', 'value': 'x'}, {'let': 't', "
            "'value': 'None'}, {'if': 't is None', 'then': [{'print': 'None is None'}]}, {'let': "
            "'t', 'value': 0}, {'if': 't is not None', 'then': [{'print': '0 is not None'}]}, "
            "{'let': 't', 'value': 'str()'}, {'if': 't is None', 'then': [{'print': 'wrong'}], "
            "'else': [{'print': 'empty is not None'}]}, {'store': 'counter', 'value': "
            "'9223372036854775806'}, {'store': 'counter', 'value': 'counter + 1'}, {'store': "
            "'counter', 'value': 'counter + 1'}]}]",
            NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T changed counter 105\n"
                          "T step let\n"
                          "T changed counter 2\n"
                          "T changed counter 4\n"
                          "T step let\n"
                          "T changed counter 2\n"
                          "T changed counter 1.0\n"
                          "T changed v 3\n"
                          "T changed v 1\n"
                          "T step let\n"
                          "T step if\n"
                          "T print None is None\n"
                          "T step let\n"
                          "T step if\n"
                          "T print 0 is not None\n"
                          "T step let\n"
                          "T step if\n"
                          "T print empty is not None\n"
                          "T changed counter 9223372036854775806\n"
                          "T changed counter 9223372036854775807\n"
                          "T step store\n"
                          "T error OverflowError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(model_error_count(r->m), 1);
        assert_non_null(strstr(model_error_at(r->m, 0)->text,
                               "OverflowError: 9223372036854775807 + 1 does not fit in a 64-bit "
                               "int"));
        harness_free(r);
}

static void t_step_condition_rlock_depth(void **state)
{
        harness_result *r = step("'resources': {'r': {'type': 'rlock'}, 'c': {'type': 'condition', "
                                 "'lock': 'r'}}, 'actors': [{'name': 'T', 'run': [{'with': 'r', "
                                 "'do': [{'with': 'c', 'do': [{'wait': 'c', 'timeout': 5}]}]}]}, "
                                 "{'name': 'U', 'run': [{'with': 'c', 'do': [{'notify': 'c'}]}]}]",
                                 "T, T, T");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired r 1\n"
                          "T acquired r 2\n"
                          "T released r 0\n"
                          "T waiting c timed\n"
                          "U acquired r 1\n"
                          "U notified c 1\n"
                          "U released r 0\n"
                          "U exit\n"
                          "T woke c\n"
                          "T acquired r 2\n"
                          "T released r 1\n"
                          "T released r 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 10);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_condition_unheld(void **state)
{
        harness_result *r =
            step("'resources': {'c': {'type': 'condition'}}, 'actors': [{'name': 'T', 'run': "
                 "[{'wait': 'c'}]}, {'name': 'U', 'run': [{'notify': 'c'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T step wait\n"
                          "T error RuntimeError\n"
                          "T exit after an error\n"
                          "U step notify\n"
                          "U error RuntimeError\n"
                          "U exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 3);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_barrier(void **state)
{
        harness_result *r = step(
            "'resources': {'b': {'type': 'barrier', 'parties': 3}}, 'actors': [{'name': 'W{i}', "
            "'count': 3, 'run': [{'wait': 'b', 'into': 'k'}, {'print': '{name} was {k}'}]}]",
            "W2, W0, W1");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "W0 start\n"
                          "W1 start\n"
                          "W2 start\n"
                          "MainThread blocked W0\n"
                          "W2 waiting b 1\n"
                          "W0 waiting b 2\n"
                          "W1 waiting b 3\n"
                          "W1 woke b\n"
                          "W1 print W1 was 2\n"
                          "W1 exit\n"
                          "W0 woke b\n"
                          "W0 print W0 was 1\n"
                          "W0 exit\n"
                          "W2 woke b\n"
                          "W2 print W2 was 0\n"
                          "W2 exit\n"
                          "MainThread joined W0\n"
                          "MainThread joined W1\n"
                          "MainThread joined W2\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 9);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_barrier_timeout_not_reached(void **state)
{
        harness_result *r = step("'resources': {'b': {'type': 'barrier', 'parties': 2}}, 'actors': "
                                 "[{'name': 'W{i}', 'count': 2, 'run': [{'wait': 'b', 'timeout': "
                                 "60, 'into': 'k'}, {'print': '{name} was {k}'}]}]",
                                 "W0, W1");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "W0 start\n"
                          "W1 start\n"
                          "MainThread blocked W0\n"
                          "W0 waiting b 1 timed\n"
                          "W1 waiting b 2 timed\n"
                          "W1 woke b\n"
                          "W1 print W1 was 1\n"
                          "W1 exit\n"
                          "W0 woke b\n"
                          "W0 print W0 was 0\n"
                          "W0 exit\n"
                          "MainThread joined W0\n"
                          "MainThread joined W1\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 6);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_queue_put_get(void **state)
{
        harness_result *r = step(
            "'resources': {'q': {'type': 'queue'}}, 'actors': [{'name': 'C', 'run': [{'get': 'q', "
            "'into': 'x'}, {'get': 'q', 'into': 'y'}, {'print': 'got {x} {y}'}]}, {'name': 'P', "
            "'run': [{'put': 'q', 'value': 1}, {'put': 'q', 'value': 'str(2)'}]}]",
            "C, P, P, C");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "C start\n"
                          "P start\n"
                          "MainThread blocked C\n"
                          "C blocked q\n"
                          "P put q 1 (1)\n"
                          "P put q '2' (2)\n"
                          "P exit\n"
                          "C got q 1 (1)\n"
                          "C got q '2' (0)\n"
                          "C print got 1 2\n"
                          "C exit\n"
                          "MainThread joined C\n"
                          "MainThread joined P\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 7);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_queue_bounded(void **state)
{
        harness_result *r =
            step("'resources': {'q': {'type': 'queue', 'max': 1}}, 'actors': [{'name': 'P', 'run': "
                 "[{'put': 'q', 'value': 1}, {'put': 'q', 'value': 2}, {'put': 'q', 'value': 3, "
                 "'timeout': 1}, {'print': 'put all'}]}, {'name': 'C', 'run': [{'get': 'q', "
                 "'into': 'a'}, {'get': 'q', 'into': 'b'}, {'get': 'q', 'timeout': 1, 'into': "
                 "'c'}, {'print': '{a} {b} {c}'}]}]",
                 "P, P, C, P, P, C, C, C");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "P start\n"
                          "C start\n"
                          "MainThread blocked P\n"
                          "P put q 1 (1)\n"
                          "P blocked q\n"
                          "C got q 1 (0)\n"
                          "P put q 2 (1)\n"
                          "P blocked q timed\n"
                          "C got q 2 (0)\n"
                          "C blocked q timed\n"
                          "C timeout q\n"
                          "C print 1 2 None\n"
                          "C exit\n"
                          "P put q 3 (1)\n"
                          "P print put all\n"
                          "P exit\n"
                          "MainThread joined P\n"
                          "MainThread joined C\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 12);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_queue_put_timeout(void **state)
{
        harness_result *r =
            step("'resources': {'q': {'type': 'queue', 'max': 1}}, 'actors': [{'name': 'P', 'run': "
                 "[{'put': 'q', 'value': 1}, {'put': 'q', 'value': 2, 'timeout': 1}, {'print': "
                 "'size {1}'}]}], 'main': [{'join': 'P'}, {'get': 'q', 'into': 'a'}, {'get': 'q', "
                 "'timeout': 0.5, 'into': 'b'}, {'print': '{a} {b}'}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "P start\n"
                          "P put q 1 (1)\n"
                          "P blocked q timed\n"
                          "MainThread blocked P\n"
                          "P timeout q\n"
                          "P print size 1\n"
                          "P exit\n"
                          "MainThread joined P\n"
                          "MainThread got q 1 (0)\n"
                          "MainThread blocked q timed\n"
                          "MainThread timeout q\n"
                          "MainThread print 1 None\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 10);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_list_ops(void **state)
{
        harness_result *r =
            step("'resources': {'buf': {'type': 'list', 'value': [1, 2, 3]}, 'd': {'type': "
                 "'dict'}, 'v': {'type': 'value', 'ctype': 'd', 'value': 0}, 'arr': {'type': "
                 "'array', 'ctype': 'i', 'size': 2}}, 'actors': [{'name': 'T', 'run': [{'append': "
                 "'buf', 'value': 4}, {'pop': 'buf', 'at': 0, 'into': 'x'}, {'pop': 'buf'}, "
                 "{'store': 'buf[0]', 'value': 'x * 10'}, {'store': 'd[x]', 'value': 'len(buf)'}, "
                 "{'store': 'v', 'value': 2}, {'store': 'arr[1]', 'value': 'True'}, {'let': 'loc', "
                 "'value': '[0, 0]'}, {'store': 'loc[1]', 'value': 5}, {'store': 'loc2', 'value': "
                 "'loc'}, {'print': '{buf} {d} {v} {arr} {loc2}'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T changed buf [1, 2, 3, 4]\n"
                          "T changed buf [2, 3, 4]\n"
                          "T changed buf [2, 3]\n"
                          "T changed buf [10, 3]\n"
                          "T changed d {1: 2}\n"
                          "T changed v 2.0\n"
                          "T changed arr [0, 1]\n"
                          "T step let\n"
                          "T step store\n"
                          "T step store\n"
                          "T print [10, 3] {1: 2} 2.0 [0, 1] [0, 5]\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 12);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_typed_value_error(void **state)
{
        harness_result *r =
            step("'resources': {'v': {'type': 'value', 'ctype': 'i', 'value': 0}}, 'actors': "
                 "[{'name': 'T', 'run': [{'store': 'v', 'value': 1.5}, {'print': 'never'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T step store\n"
                          "T error TypeError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 2);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_pop_empty(void **state)
{
        harness_result *r = step("'resources': {'buf': {'type': 'list'}}, 'actors': [{'name': 'T', "
                                 "'run': [{'pop': 'buf', 'into': 'x'}, {'print': 'never'}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T step pop\n"
                          "T error IndexError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 2);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_store_errors(void **state)
{
        harness_result *r = step(
            "'resources': {'n': {'type': 'var', 'value': 5}, 'buf': {'type': 'list'}}, 'actors': "
            "[{'name': 'A', 'run': [{'store': 'n[0]', 'value': 1}]}, {'name': 'B', 'run': "
            "[{'store': 'buf[\\\"k\\\"]', 'value': 1}]}, {'name': 'C', 'run': [{'store': 'buf[3]', "
            "'value': 1}]}, {'name': 'E', 'run': [{'print': '{u}'}, {'let': 'u', 'value': 1}]}]",
            NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "A start\n"
                          "B start\n"
                          "C start\n"
                          "E start\n"
                          "MainThread blocked A\n"
                          "A step store\n"
                          "A error TypeError\n"
                          "A exit after an error\n"
                          "B step store\n"
                          "B error TypeError\n"
                          "B exit after an error\n"
                          "C step store\n"
                          "C error IndexError\n"
                          "C exit after an error\n"
                          "E step print\n"
                          "E error UnboundLocalError\n"
                          "E exit after an error\n"
                          "MainThread joined A\n"
                          "MainThread joined B\n"
                          "MainThread joined C\n"
                          "MainThread joined E\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 5);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_control_flow(void **state)
{
        harness_result *r =
            step("'actors': [{'name': 'T', 'run': [{'if': '1 > 2', 'then': [{'print': 'no'}], "
                 "'else': [{'print': 'else'}]}, {'if': 'True', 'then': [{'print': 'then'}]}, "
                 "{'let': 'k', 'value': 0}, {'while': 'True', 'do': [{'let': 'k', 'value': 'k + "
                 "1'}, {'if': 'k == 2', 'then': [{'break': true}]}]}, {'repeat': 2, 'as': 'j', "
                 "'do': [{'print': 'j {j}'}]}, {'repeat': 3, 'do': [{'break': true}]}, {'for': "
                 "'x', 'in': '(7, 8)', 'do': [{'print': 'x {x}'}]}, {'print': 'k {k}'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T step if\n"
                          "T print else\n"
                          "T step if\n"
                          "T print then\n"
                          "T step let\n"
                          "T step while\n"
                          "T step let\n"
                          "T step if\n"
                          "T step while\n"
                          "T step let\n"
                          "T step if\n"
                          "T step break\n"
                          "T step repeat\n"
                          "T print j 0\n"
                          "T step repeat\n"
                          "T print j 1\n"
                          "T step repeat\n"
                          "T step break\n"
                          "T step for\n"
                          "T print x 7\n"
                          "T step for\n"
                          "T print x 8\n"
                          "T print k 2\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 24);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_for_kinds(void **state)
{
        harness_result *r =
            step("'resources': {'d': {'type': 'dict', 'value': {'a': 1, 'b': 2}}}, 'constants': "
                 "{'WORD': 'hé!'}, 'actors': [{'name': 'T', 'run': [{'for': 'c', 'in': 'WORD', "
                 "'do': [{'print': '{c}'}]}, {'for': 'key', 'in': 'd', 'do': [{'print': '{key}'}, "
                 "{'break': true}]}, {'for': 'e', 'in': '[]', 'do': [{'print': 'never'}]}, {'for': "
                 "'n', 'in': '5', 'do': [{'print': 'never'}]}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T step for\n"
                          "T print h\n"
                          "T step for\n"
                          "T print é\n"
                          "T step for\n"
                          "T print !\n"
                          "T step for\n"
                          "T print a\n"
                          "T step break\n"
                          "T step for\n"
                          "T step for\n"
                          "T error TypeError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 12);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_repeat_not_int(void **state)
{
        harness_result *r = step("'actors': [{'name': 'T', 'run': [{'repeat': 'random() + 1', "
                                 "'do': [{'print': 'never'}]}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T step repeat\n"
                          "T error TypeError\n"
                          "T exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 2);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_start_join(void **state)
{
        harness_result *r =
            step("'resources': {'e': {'type': 'event'}}, 'actors': [{'name': 'W{i}', 'group': 'W', "
                 "'count': 2, 'start': 'manual', 'run': [{'print': '{name} runs'}]}, {'name': "
                 "'Late', 'start': 'manual', 'run': [{'wait': 'e'}]}], 'main': [{'start': 'W'}, "
                 "{'join': 'W'}, {'start': 'Late'}, {'join': 'Late', 'timeout': 2}, {'print': "
                 "'gave up'}, {'set': 'e'}, {'join': 'Late'}, {'start': 'W0'}]",
                 "MainThread, MainThread, W0, W1, MainThread*5");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "MainThread step start\n"
                          "W0 start\n"
                          "W1 start\n"
                          "MainThread blocked W0\n"
                          "W0 print W0 runs\n"
                          "W0 exit\n"
                          "W1 print W1 runs\n"
                          "W1 exit\n"
                          "MainThread joined W0\n"
                          "MainThread joined W1\n"
                          "MainThread step start\n"
                          "Late start\n"
                          "MainThread blocked Late timed\n"
                          "MainThread timeout Late\n"
                          "MainThread print gave up\n"
                          "MainThread set e\n"
                          "MainThread blocked Late\n"
                          "Late step wait\n"
                          "Late exit\n"
                          "MainThread joined Late\n"
                          "MainThread step start\n"
                          "MainThread error RuntimeError\n"
                          "MainThread exit after an error\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 14);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_join_unstarted(void **state)
{
        harness_result *r = step("'actors': [{'name': 'W', 'start': 'manual', 'run': [{'print': "
                                 "'never'}]}], 'main': [{'join': 'W'}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "MainThread step join\n"
                          "MainThread error RuntimeError\n"
                          "MainThread exit after an error\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 1);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_assert_fails(void **state)
{
        harness_result *r =
            step("'resources': {'n': {'type': 'var', 'value': 1}}, 'actors': [{'name': 'T', 'run': "
                 "[{'assert': 'n == 1'}, {'assert': 'n == 2', 'message': 'n is {n}'}, {'print': "
                 "'never'}]}, {'name': 'U', 'run': [{'assert': 'False'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T step assert\n"
                          "T assert_failed t.json:1:152: AssertionError: n is 1\n"
                          "T exit after an error\n"
                          "U assert_failed t.json:1:241: AssertionError\n"
                          "U exit after an error\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end assert\n");
        assert_int_equal(r->outcome, OUTCOME_ASSERT);
        assert_int_equal(r->grants, 4);
        assert_int_equal(r->status, 1);
        harness_free(r);
}

static void t_step_sleep_work(void **state)
{
        harness_result *r = step("'actors': [{'name': 'T', 'run': [{'sleep': 30}, {'sleep': "
                                 "'True'}, {'work': 1}, {'sleep': 1e9}, {'print': 'awake'}]}]",
                                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T sleep 30s\n"
                          "T sleep 1s\n"
                          "T work 0.001s\n"
                          "T sleep 1e+06s\n"
                          "T print awake\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 6);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_sleep_errors(void **state)
{
        harness_result *r =
            step("'actors': [{'name': 'A', 'run': [{'sleep': '-1'}]}, {'name': 'B', 'run': "
                 "[{'sleep': '[1]'}]}, {'name': 'C', 'run': [{'let': 'x', 'value': '1 // 0'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "A start\n"
                          "B start\n"
                          "C start\n"
                          "MainThread blocked A\n"
                          "A step sleep\n"
                          "A error ValueError\n"
                          "A exit after an error\n"
                          "B step sleep\n"
                          "B error TypeError\n"
                          "B exit after an error\n"
                          "C step let\n"
                          "C error ZeroDivisionError\n"
                          "C exit after an error\n"
                          "MainThread joined A\n"
                          "MainThread joined B\n"
                          "MainThread joined C\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 4);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_say(void **state)
{
        harness_result *r =
            step("'resources': {'l': {'type': 'lock'}, 'n': {'type': 'var', 'value': 3}}, "
                 "'actors': [{'name': 'T', 'run': [{'acquire': 'l', 'say': 'n is {n}'}, {'store': "
                 "'n', 'value': 'n + 1', 'say': 'n was {n}'}, {'release': 'l'}]}]",
                 NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T say n is 3\n"
                          "T acquired l 1\n"
                          "T say n was 3\n"
                          "T changed n 4\n"
                          "T released l 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 4);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_gil(void **state)
{
        harness_result *r = step("'gil': 2, 'actors': [{'name': 'T{i}', 'count': 2, 'run': "
                                 "[{'repeat': 2, 'do': [{'work': 0}]}]}]",
                                 "T0, T1");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T0 start\n"
                          "T1 start\n"
                          "MainThread blocked T0\n"
                          "T0 acquired GIL 1\n"
                          "T1 blocked GIL\n"
                          "T0 work 0s\n"
                          "T0 step repeat\n"
                          "T0 work 0s\n"
                          "T0 released GIL 0\n"
                          "T0 exit\n"
                          "T1 acquired GIL 1\n"
                          "T1 work 0s\n"
                          "T1 step repeat\n"
                          "T1 work 0s\n"
                          "T1 released GIL 0\n"
                          "T1 exit\n"
                          "MainThread joined T0\n"
                          "MainThread joined T1\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 10);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_crash_exit(void **state)
{
        harness_opts opt = { .mode = HARNESS_STEP, .fork = true, .schedule = NULL };
        harness_result *r =
            run_opts("'actors': [{'name': 'T', 'run': [{'crash': 'exit', 'code': 7}]}]", &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T crash exit(7)\n"
                          "runner exit 7\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 1);
        assert_int_equal(r->signal, 0);
        assert_int_equal(r->status, 7);
        harness_free(r);
}

static void t_step_crash_segfault(void **state)
{
        harness_opts opt = { .mode = HARNESS_STEP, .fork = true, .schedule = NULL };
        harness_result *r =
            run_opts("'actors': [{'name': 'T', 'run': [{'crash': 'segfault'}]}]", &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T crash segmentation fault (SIGSEGV)\n"
                          "runner killed by signal 11\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 1);
        assert_int_equal(r->signal, 11);
        harness_free(r);
}

static void t_step_crash_abort(void **state)
{
        harness_opts opt = { .mode = HARNESS_STEP, .fork = true, .schedule = NULL };
        harness_result *r =
            run_opts("'actors': [{'name': 'T', 'run': [{'crash': 'abort'}]}]", &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "MainThread blocked T\n"
                          "T crash abort (SIGABRT)\n"
                          "runner killed by signal 6\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 1);
        assert_int_equal(r->signal, 6);
        harness_free(r);
}

static void t_step_condition_woken_waits_for_lock(void **state)
{
        harness_result *r =
            step("'resources': {'c': {'type': 'condition'}}, 'actors': [{'name': 'Waiter', 'run': "
                 "[{'with': 'c', 'do': [{'wait': 'c'}, {'print': 'Waiter goes on'}]}]}, {'name': "
                 "'Notifier', 'run': [{'with': 'c', 'do': [{'notify': 'c'}, {'print': 'Notifier "
                 "still holds c'}]}]}]",
                 "Waiter, Waiter, Notifier, Notifier, Waiter, Notifier, Notifier, Waiter");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "Waiter start\n"
                          "Notifier start\n"
                          "MainThread blocked Waiter\n"
                          "Waiter acquired c 1\n"
                          "Waiter released c 0\n"
                          "Waiter waiting c\n"
                          "Notifier acquired c 1\n"
                          "Notifier notified c 1\n"
                          "Waiter woke c\n"
                          "Waiter blocked c\n"
                          "Notifier print Notifier still holds c\n"
                          "Notifier released c 0\n"
                          "Notifier exit\n"
                          "Waiter acquired c 1\n"
                          "Waiter print Waiter goes on\n"
                          "Waiter released c 0\n"
                          "Waiter exit\n"
                          "MainThread joined Waiter\n"
                          "MainThread joined Notifier\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(r->grants, 11);
        assert_int_equal(r->status, 0);
        harness_free(r);
}

static void t_step_expression_errors(void **state)
{
        harness_result *r = step(
            "'resources': {'l': {'type': 'lock'}, 'e': {'type': 'event'}, 'c': {'type': "
            "'condition'}, 'q': {'type': 'queue'}, 'buf': {'type': 'list'}, 'd': {'type': 'dict'}, "
            "'v': {'type': 'value', 'ctype': 'd'}}, 'constants': {'Z': 0}, 'actors': [{'name': "
            "'A{i}', 'count': 1, 'run': [{'acquire': 'l', 'timeout': '1 / Z'}]}, {'name': 'B', "
            "'run': [{'wait': 'e', 'timeout': '1 / Z'}]}, {'name': 'C', 'run': [{'wait_for': 'c', "
            "'until': '1 / Z'}]}, {'name': 'D', 'run': [{'notify': 'c', 'n': '1 / Z'}]}, {'name': "
            "'E', 'run': [{'put': 'q', 'value': '1 / Z'}]}, {'name': 'F', 'run': [{'put': 'q', "
            "'value': 1, 'timeout': '1 / Z'}]}, {'name': 'G', 'run': [{'get': 'q', 'timeout': '1 / "
            "Z'}]}, {'name': 'H', 'run': [{'if': '1 / Z', 'then': []}]}, {'name': 'I', 'run': "
            "[{'while': '1 / Z', 'do': []}]}, {'name': 'J', 'run': [{'for': 'x', 'in': '1 / Z', "
            "'do': []}]}, {'name': 'K', 'run': [{'store': 'buf[1 / Z]', 'value': 1}]}, {'name': "
            "'L', 'run': [{'store': 'v', 'value': '1 / Z'}]}, {'name': 'M', 'run': [{'pop': 'buf', "
            "'at': '1 / Z'}]}, {'name': 'N', 'run': [{'append': 'buf', 'value': '1 / Z'}]}, "
            "{'name': 'O', 'run': [{'print': '{1 / Z}'}]}, {'name': 'P', 'run': [{'assert': '1 / "
            "Z'}]}, {'name': 'Q', 'run': [{'sleep': '1 / Z'}]}, {'name': 'R', 'run': [{'work': '1 "
            "/ Z'}]}, {'name': 'S', 'run': [{'repeat': '1 / Z', 'do': []}]}, {'name': 'U', 'run': "
            "[{'store': 'd[[1]]', 'value': 1}]}, {'name': 'V', 'run': [{'store': 'v', 'value': "
            "'True'}, {'print': 'v = {v}'}]}, {'name': 'W', 'start': 'manual', 'run': []}, "
            "{'name': 'X', 'run': [{'join': 'W', 'timeout': '1 / Z'}]}, {'name': 'Y', 'run': "
            "[{'acquire': 'l', 'timeout': 1e12, 'into': 'ok'}, {'release': 'l'}, {'print': 'Y "
            "{ok}'}]}], 'main': [{'print': 'main'}]",
            NULL);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "A0 start\n"
                          "B start\n"
                          "C start\n"
                          "D start\n"
                          "E start\n"
                          "F start\n"
                          "G start\n"
                          "H start\n"
                          "I start\n"
                          "J start\n"
                          "K start\n"
                          "L start\n"
                          "M start\n"
                          "N start\n"
                          "O start\n"
                          "P start\n"
                          "Q start\n"
                          "R start\n"
                          "S start\n"
                          "U start\n"
                          "V start\n"
                          "X start\n"
                          "Y start\n"
                          "A0 step acquire\n"
                          "A0 error ZeroDivisionError\n"
                          "A0 exit after an error\n"
                          "B step wait\n"
                          "B error ZeroDivisionError\n"
                          "B exit after an error\n"
                          "C step wait_for\n"
                          "C error ZeroDivisionError\n"
                          "C exit after an error\n"
                          "D step notify\n"
                          "D error ZeroDivisionError\n"
                          "D exit after an error\n"
                          "E step put\n"
                          "E error ZeroDivisionError\n"
                          "E exit after an error\n"
                          "F step put\n"
                          "F error ZeroDivisionError\n"
                          "F exit after an error\n"
                          "G step get\n"
                          "G error ZeroDivisionError\n"
                          "G exit after an error\n"
                          "H step if\n"
                          "H error ZeroDivisionError\n"
                          "H exit after an error\n"
                          "I step while\n"
                          "I error ZeroDivisionError\n"
                          "I exit after an error\n"
                          "J step for\n"
                          "J error ZeroDivisionError\n"
                          "J exit after an error\n"
                          "K step store\n"
                          "K error ZeroDivisionError\n"
                          "K exit after an error\n"
                          "L step store\n"
                          "L error ZeroDivisionError\n"
                          "L exit after an error\n"
                          "M step pop\n"
                          "M error ZeroDivisionError\n"
                          "M exit after an error\n"
                          "N step append\n"
                          "N error ZeroDivisionError\n"
                          "N exit after an error\n"
                          "O step print\n"
                          "O error ZeroDivisionError\n"
                          "O exit after an error\n"
                          "P step assert\n"
                          "P error ZeroDivisionError\n"
                          "P exit after an error\n"
                          "Q step sleep\n"
                          "Q error ZeroDivisionError\n"
                          "Q exit after an error\n"
                          "R step work\n"
                          "R error ZeroDivisionError\n"
                          "R exit after an error\n"
                          "S step repeat\n"
                          "S error ZeroDivisionError\n"
                          "S exit after an error\n"
                          "U step store\n"
                          "U error TypeError\n"
                          "U exit after an error\n"
                          "V changed v 1.0\n"
                          "V print v = 1.0\n"
                          "V exit\n"
                          "X step join\n"
                          "X error ZeroDivisionError\n"
                          "X exit after an error\n"
                          "Y acquired l 1\n"
                          "Y released l 0\n"
                          "Y print Y True\n"
                          "Y exit\n"
                          "MainThread print main\n"
                          "MainThread exit\n"
                          "runner end crash\n");
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->grants, 27);
        assert_int_equal(r->status, 4);
        harness_free(r);
}

static void t_step_queue_grows_in_order(void **state)
{
        /* 10 in, 5 out, 20 more in: the ring grows while its head is in the middle */
        harness_result *r = step(
            "'resources': {'q': {'type': 'queue'}, 'got': {'type': 'list'}}, "
            "'actors': [{'name': 'T', 'run': [{'for': 'k', 'in': 'range(10)', "
            "'do': [{'put': 'q', 'value': 'k'}]}, {'repeat': 5, 'do': [{'get': 'q', 'into': 'x'}, "
            "{'append': 'got', 'value': 'x'}]}, {'for': 'k', 'in': 'range(10, 30)', "
            "'do': [{'put': 'q', 'value': 'k'}]}, {'repeat': 25, 'do': [{'get': 'q', "
            "'into': 'x'}, {'append': 'got', 'value': 'x'}]}, "
            "{'assert': 'got == list(range(30))'}, {'print': 'in order: {len(got)}'}]}]",
            NULL);

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(harness_count(r, "T put q"), 30);
        assert_int_equal(harness_count(r, "T got q"), 30);
        assert_int_equal(harness_count(r, "T put q 29 (25)"), 1);
        assert_int_equal(harness_count(r, "T print in order: 30"), 1);
        assert_int_equal(model_res_at(r->m, 0)->items.n, 0);
        harness_free(r);
}

static void t_step_long_repr_is_cut(void **state)
{
        /* 300 two-byte characters: the event's repr is cut to 512 bytes, between characters */
        harness_result *r = step("'constants': {'E': '\\u00e9'}, 'resources': {'s': {'type': "
                                 "'var', 'value': 0}}, 'actors': [{'name': 'T', 'run': [{'store': "
                                 "'s', 'value': 'E * 300'}, {'print': '{len(s)}'}]}]",
                                 NULL);
        char *line = harness_grep(r, "T changed s ");
        const char *text = line + strlen("T changed s ");
        size_t n = strlen(text) - 1; /* without the newline */

        (void)state;
        assert_int_equal(harness_count(r, "T print 300"), 1);
        assert_true(n <= 512 && n >= 508);
        assert_memory_equal(text + n - 3, "...", 3);
        assert_true(text[0] == '\'');
        /* after the quote, whole characters only: é é é ... then "..." */
        for (size_t k = 1; k + 3 < n; k += 2)
                assert_memory_equal(text + k, "\xc3\xa9", 2);
        assert_int_equal((n - 4) % 2, 0);
        free(line);
        harness_free(r);
}

static void t_live_semaphore_timeouts(void **state)
{
        harness_result *r =
            live("'resources': {'s': {'type': 'semaphore', 'value': 0}, 'tried': {'type': "
                 "'event'}}, 'actors': [{'name': 'T', 'run': [{'acquire': 's', 'timeout': 0.01, "
                 "'into': 'a'}, {'set': 'tried'}, {'acquire': 's', 'timeout': 60, 'into': 'b'}, "
                 "{'print': '{a} {b}'}]}], "
                 "'main': [{'wait': 'tried'}, {'release': 's'}, {'join': 'T'}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(harness_count(r, "T print False True"), 1);
        assert_int_equal(harness_count(r, "T timeout s"), 1);
        assert_int_equal(harness_count(r, "T acquired s 0"), 1);
        harness_free(r);
}

/* ---- live mode: what the program forces ---- */

/* The index of the first line that is exactly LINE, or -1. */
static int line_index(const harness_result *r, const char *line)
{
        const char *p = strbuf_str(&r->lines);
        size_t n = strlen(line);

        for (int k = 0; *p != '\0'; k++) {
                const char *nl = strchr(p, '\n');

                if ((size_t)(nl - p) == n && strncmp(p, line, n) == 0)
                        return k;
                p = nl + 1;
        }
        return -1;
}

static harness_result *live_fork(const char *body)
{
        harness_opts opt = { .mode = HARNESS_LIVE, .fork = true };

        return run_opts(body, &opt);
}

static void t_live_lock_counter(void **state)
{
        harness_result *r =
            live("'resources': {'l': {'type': 'lock'}, 'n': {'type': 'var', 'value': 0}}, "
                 "'actors': [{'name': 'W{i}', 'group': 'W', 'count': 4, 'run': [{'repeat': 25, "
                 "'do': [{'with': 'l', 'do': [{'let': 'tmp', 'value': 'n'}, "
                 "{'store': 'n', 'value': 'tmp + 1'}]}]}]}], "
                 "'main': [{'join': 'W'}, {'print': 'n = {n}'}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(harness_count(r, " acquired l 1"), 100);
        assert_int_equal(harness_count(r, " released l 0"), 100);
        assert_true(line_index(r, "MainThread print n = 100") >= 0);
        assert_int_equal(model_res_at(r->m, 0)->holder, -1);
        harness_free(r);
}

/* Names read in place by the evaluator (a var in the heap, a constant, a local) are the names
 * the general path reads: a local stored to, a resource stored to and read again in the next
 * statement, a bool in a var (True + 1 is 2), a float, an overflow
 * at the edge with its message, and `is None`; stores run again in a loop (their targets are
 * worked out once), a whole var and a list's item; a `while` on a literal. */
static void t_step_names_in_place(void **state)
{
        harness_result *r = step(
            "'constants': {'C': 7, 'BIG': 9223372036854775807}, "
            "'resources': {'counter': {'type': 'var', 'value': 10}, "
            "'flag': {'type': 'var', 'value': true}, 'f': {'type': 'var', 'value': 0.5}, "
            "'arr': {'type': 'list', 'value': [0, 0, 0]}}, "
            "'actors': [{'name': 'A', 'run': [{'let': 'n', 'value': 'C'}, "
            "{'store': 'n', 'value': 'n + 1'}, {'let': 'y', 'value': 'n + C'}, "
            "{'print': 'A {n} {y}'}, {'while': 'False', 'do': [{'print': 'never'}]}, "
            "{'while': 1, 'do': [{'print': 'once'}, {'break': true}]}]}, "
            "{'name': 'B', 'run': [{'store': 'counter', 'value': 'counter + C'}, "
            "{'store': 'counter', 'value': 'counter * 2'}, {'store': 'flag', 'value': 'flag + 1'}, "
            "{'store': 'f', 'value': 'f + counter'}, {'let': 'x', 'value': 'None'}, "
            "{'if': 'x is None', 'then': [{'print': 'B {counter} {flag} {f}'}]}, "
            "{'repeat': 3, 'as': 'j', 'do': [{'store': 'arr[j]', 'value': 'j * 2'}, "
            "{'store': 'f', 'value': 'f + j'}]}, {'print': 'B2 {arr} {f}'}, "
            "{'store': 'counter', 'value': 'BIG - counter'}, "
            "{'store': 'counter', 'value': 'counter + 35'}]}], "
            "'main': [{'join': 'A'}, {'join': 'B'}, {'print': 'main {counter}'}]",
            NULL);

        (void)state;
        assert_int_equal(harness_count(r, "A print A 8 15"), 1);
        /* a literal condition (tested without an evaluation) */
        assert_int_equal(harness_count(r, "never"), 0);
        assert_int_equal(harness_count(r, "A print once"), 1);
        assert_int_equal(harness_count(r, "B print B 34 2 34.5"), 1);
        assert_int_equal(harness_count(r, "B print B2 [0, 2, 4] 37.5"), 1);
        assert_int_equal(harness_count(r, "B changed counter 9223372036854775773"), 1);
        /* the overflow at the edge raised (test_expr compares its message with the general
         * path's) and the store did not happen */
        assert_int_equal(harness_count(r, "B error OverflowError"), 1);
        assert_int_equal(harness_count(r, "MainThread print main 9223372036854775773"), 1);
        harness_free(r);
}

static void t_live_acquire_timeouts(void **state)
{
        /* U tries while T certainly holds the lock (T waits for U's event to let go), then
         * once T let go. (Not while T lets go: GCC 12's ThreadSanitizer does not know
         * pthread_mutex_clocklock, and would report the holder's writes as a race.) */
        harness_result *r =
            live("'resources': {'l': {'type': 'lock'}, 'held': {'type': 'event'}, "
                 "'tried': {'type': 'event'}, 'free': {'type': 'event'}}, "
                 "'actors': [{'name': 'T', 'run': [{'acquire': 'l'}, {'set': 'held'}, "
                 "{'wait': 'tried'}, {'release': 'l'}, {'set': 'free'}]}, "
                 "{'name': 'U', 'run': [{'wait': 'held'}, "
                 "{'acquire': 'l', 'timeout': 0.01, 'into': 'a'}, "
                 "{'acquire': 'l', 'blocking': false, 'into': 'b'}, {'set': 'tried'}, "
                 "{'wait': 'free'}, "
                 "{'acquire': 'l', 'timeout': 60, 'into': 'c'}, {'print': '{a} {b} {c}'}, "
                 "{'acquire': 'l', 'timeout': 0.01, 'into': 'd'}, {'print': 'again {d}'}, "
                 "{'release': 'l'}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_true(line_index(r, "U print False False True") >= 0);
        /* the holder itself times out on a plain lock, as in Python */
        assert_true(line_index(r, "U print again False") >= 0);
        assert_int_equal(harness_count(r, "U timeout l"), 2);
        harness_free(r);
}

static void t_live_rlock(void **state)
{
        harness_result *r =
            live("'resources': {'r': {'type': 'rlock'}, 'n': {'type': 'var', 'value': 0}}, "
                 "'actors': [{'name': 'W{i}', 'count': 3, 'run': [{'repeat': 10, 'do': [{'with': "
                 "'r', 'do': [{'with': 'r', 'do': [{'store': 'n', 'value': 'n + 1'}]}]}]}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(harness_count(r, " acquired r 1"), 30);
        assert_int_equal(harness_count(r, " acquired r 2"), 30);
        assert_int_equal(harness_count(r, " released r 1"), 30);
        assert_int_equal(harness_count(r, " released r 0"), 30);
        assert_int_equal(harness_count(r, "changed n 30"), 1);
        assert_int_equal(model_res_at(r->m, 0)->holder, -1);
        harness_free(r);
}

static void t_live_semaphore(void **state)
{
        harness_result *r = live(
            "'resources': {'s': {'type': 'bounded_semaphore', 'value': 2}, "
            "'inside': {'type': 'var', 'value': 0}}, "
            "'actors': [{'name': 'W{i}', 'count': 5, 'run': [{'repeat': 4, 'do': [{'with': "
            "'s', 'do': [{'store': 'inside', 'value': 'inside + 1'}, {'assert': 'inside <= 2'}, "
            "{'store': 'inside', 'value': 'inside - 1'}]}]}]}], "
            "'main': [{'join': 'W0'}, {'join': 'W1'}, {'join': 'W2'}, {'join': 'W3'}, "
            "{'join': 'W4'}, {'release': 's'}]");

        (void)state;
        /* every with took and gave back; main's extra release is one too many */
        assert_int_equal(harness_count(r, " acquired s"), 20);
        assert_int_equal(harness_count(r, " released s"), 20);
        assert_int_equal(harness_count(r, "assert_failed"), 0);
        assert_int_equal(harness_count(r, "MainThread error ValueError"), 1);
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(model_res_at(r->m, 0)->count, 2);
        harness_free(r);
}

static void t_live_event(void **state)
{
        harness_result *r =
            live("'resources': {'e': {'type': 'event'}, 'never': {'type': 'event'}}, "
                 "'actors': [{'name': 'Waiter', 'run': [{'wait': 'e', 'into': 'w'}, "
                 "{'print': 'set {w}'}]}, "
                 "{'name': 'Setter', 'run': [{'wait': 'never', 'timeout': 0.01, 'into': 'n'}, "
                 "{'print': 'never {n}'}, {'set': 'e'}, {'clear': 'never'}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_true(line_index(r, "Setter print never False") >= 0);
        assert_true(line_index(r, "Waiter print set True") > line_index(r, "Setter set e"));
        assert_true(line_index(r, "Setter set e") > 0);
        assert_false(model_res_at(r->m, 1)->set);
        assert_true(model_res_at(r->m, 0)->set);
        harness_free(r);
}

static void t_live_condition_buffer(void **state)
{
        /* a bounded buffer on one condition: every item once, in order */
        harness_result *r =
            live("'resources': {'c': {'type': 'condition'}, 'buf': {'type': 'list'}, "
                 "'got': {'type': 'list'}}, "
                 "'actors': [{'name': 'P', 'run': [{'repeat': 30, 'as': 'k', 'do': [{'with': 'c', "
                 "'do': [{'while': 'len(buf) == 2', 'do': [{'wait': 'c'}]}, "
                 "{'append': 'buf', 'value': 'k'}, {'notify_all': 'c'}]}]}]}, "
                 "{'name': 'C', 'run': [{'repeat': 30, 'do': [{'with': 'c', 'do': ["
                 "{'wait_for': 'c', 'until': 'buf'}, {'pop': 'buf', 'at': 0, 'into': 'x'}, "
                 "{'append': 'got', 'value': 'x'}, {'notify': 'c'}]}]}]}], "
                 "'main': [{'join': 'P'}, {'join': 'C'}, {'assert': 'got == list(range(30))'}, "
                 "{'print': 'ok {len(got)}'}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_true(line_index(r, "MainThread print ok 30") >= 0);
        assert_int_equal(harness_count(r, "P notified c"), 30);
        assert_int_equal(harness_count(r, "C notified c"), 30);
        harness_free(r);
}

static void t_live_condition_timeouts(void **state)
{
        harness_result *r =
            live("'resources': {'c': {'type': 'condition'}, 'n': {'type': 'var', 'value': 0}}, "
                 "'actors': [{'name': 'T', 'run': [{'with': 'c', 'do': ["
                 "{'wait': 'c', 'timeout': 0.01, 'into': 'a'}, "
                 "{'wait_for': 'c', 'until': 'n > 0', 'timeout': 0.01, 'into': 'b'}, "
                 "{'print': '{a} {b}'}]}]}]");
        char *t;

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        t = harness_grep(r, "T ");
        assert_string_equal(t, "T start\n"
                               "T acquired c 1\n"
                               "T released c 0\n"
                               "T waiting c timed\n"
                               "T timeout c\n"
                               "T acquired c 1\n"
                               "T released c 0\n"
                               "T waiting c timed\n"
                               "T timeout c\n"
                               "T acquired c 1\n"
                               "T print False False\n"
                               "T released c 0\n"
                               "T exit\n");
        free(t);
        harness_free(r);
}

static void t_live_notify_all(void **state)
{
        harness_result *r = live(
            "'resources': {'c': {'type': 'condition'}, 'go': {'type': 'var', 'value': false}}, "
            "'actors': [{'name': 'W{i}', 'group': 'W', 'count': 3, 'run': [{'with': 'c', "
            "'do': [{'wait_for': 'c', 'until': 'go'}, {'print': '{name} goes'}]}]}], "
            "'main': [{'with': 'c', 'do': [{'store': 'go', 'value': true}, "
            "{'notify_all': 'c'}]}, {'join': 'W'}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_int_equal(harness_count(r, " goes"), 3);
        for (int k = 0; k < 3; k++) {
                char line[32];

                snprintf(line, sizeof(line), "W%d print W%d goes", k, k);
                assert_true(line_index(r, line) > line_index(r, "MainThread changed go True"));
        }
        harness_free(r);
}

static void t_live_barrier(void **state)
{
        harness_result *r =
            live("'resources': {'b': {'type': 'barrier', 'parties': 3}}, "
                 "'actors': [{'name': 'W{i}', 'count': 3, 'run': [{'repeat': 3, 'do': ["
                 "{'wait': 'b', 'into': 'k'}, {'print': 'was {k}'}, "
                 "{'wait': 'b', 'timeout': 60}]}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        /* each round hands out the indices 0, 1 and 2 once */
        assert_int_equal(harness_count(r, "print was 0"), 3);
        assert_int_equal(harness_count(r, "print was 1"), 3);
        assert_int_equal(harness_count(r, "print was 2"), 3);
        assert_int_equal(harness_count(r, " woke b"), 18);
        assert_int_equal(harness_count(r, " timeout b"), 0);
        assert_int_equal(model_res_at(r->m, 0)->arrivals, 0);
        harness_free(r);
}

static void t_live_queue(void **state)
{
        harness_result *r =
            live("'resources': {'q': {'type': 'queue', 'max': 3}, 'total': {'type': 'var', "
                 "'value': 0}, 'full': {'type': 'queue', 'max': 1}}, "
                 "'actors': [{'name': 'P', 'run': [{'for': 'k', 'in': 'list(range(1, 51))', "
                 "'do': [{'put': 'q', 'value': 'k'}]}, {'put': 'q', 'value': null}, "
                 "{'put': 'q', 'value': null}]}, "
                 "{'name': 'C{i}', 'count': 2, 'run': [{'while': 'True', 'do': [{'get': 'q', "
                 "'into': 'x'}, {'if': 'x is None', 'then': [{'break': true}]}, "
                 "{'store': 'total', 'value': 'total + x'}]}]}], "
                 "'main': [{'join': 'P'}, {'join': 'C0'}, {'join': 'C1'}, "
                 "{'get': 'q', 'timeout': 0.01, 'into': 'none'}, "
                 "{'put': 'full', 'value': 1}, {'put': 'full', 'value': 2, 'timeout': 0.01}, "
                 "{'print': 'total {total} {none}'}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        assert_true(line_index(r, "MainThread print total 1275 None") >= 0);
        assert_int_equal(harness_count(r, "P put q"), 52);
        assert_int_equal(harness_count(r, " got q"), 52);
        assert_int_equal(harness_count(r, "MainThread timeout"), 2);
        assert_int_equal(model_res_at(r->m, 2)->items.n, 1);
        assert_int_equal(model_res_at(r->m, 0)->items.n, 0);
        harness_free(r);
}

static void t_live_single_actor(void **state)
{
        /* one actor alone: its own events are the same as in step mode */
        harness_result *r =
            live("'resources': {'buf': {'type': 'list', 'value': [1, 2, 3]}, "
                 "'d': {'type': 'dict'}}, 'constants': {'WORD': 'ab'}, "
                 "'actors': [{'name': 'T', 'run': [{'append': 'buf', 'value': 4}, "
                 "{'pop': 'buf', 'at': 0, 'into': 'x'}, {'store': 'd[x]', 'value': 'len(buf)'}, "
                 "{'for': 'c', 'in': 'WORD', 'do': [{'print': '{c}'}]}, "
                 "{'if': 'x', 'then': [{'print': 'then'}], 'else': [{'print': 'else'}]}, "
                 "{'repeat': 2, 'as': 'j', 'do': [{'sleep': 0.001}]}, {'work': 0.1}, "
                 "{'print': '{buf} {d}'}]}]");
        char *t;

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        t = harness_grep(r, "T ");
        assert_string_equal(t, "T start\n"
                               "T changed buf [1, 2, 3, 4]\n"
                               "T changed buf [2, 3, 4]\n"
                               "T changed d {1: 3}\n"
                               "T step for\n"
                               "T print a\n"
                               "T step for\n"
                               "T print b\n"
                               "T step if\n"
                               "T print then\n"
                               "T step repeat\n"
                               "T sleep 0.001s\n"
                               "T step repeat\n"
                               "T sleep 0.001s\n"
                               "T work 0.0001s\n"
                               "T print [2, 3, 4] {1: 3}\n"
                               "T exit\n");
        free(t);
        harness_free(r);
}

static void t_live_join_timeout_and_delay(void **state)
{
        harness_opts opt = { .mode = HARNESS_LIVE, .step_delay = 0.001 };
        harness_result *r = run_opts(
            "'resources': {'e': {'type': 'event'}}, "
            "'actors': [{'name': 'Late', 'start': 'manual', 'run': [{'wait': 'e'}]}], "
            "'main': [{'start': 'Late'}, {'join': 'Late', 'timeout': 0.01}, {'print': 'gave up'}, "
            "{'set': 'e'}, {'join': 'Late'}, {'print': 'joined'}]",
            &opt);

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        /* the second join may or may not find Late still running: the rest is forced */
        assert_int_equal(harness_count(r, "MainThread blocked Late timed"), 1);
        assert_int_equal(harness_count(r, "MainThread timeout Late"), 1);
        assert_true(line_index(r, "MainThread timeout Late") <
                    line_index(r, "MainThread print gave up"));
        assert_true(line_index(r, "MainThread print gave up") < line_index(r, "MainThread set e"));
        assert_true(line_index(r, "MainThread set e") < line_index(r, "Late exit"));
        assert_true(line_index(r, "Late exit") < line_index(r, "MainThread joined Late"));
        assert_true(line_index(r, "MainThread joined Late") <
                    line_index(r, "MainThread print joined"));
        harness_free(r);
}

static void t_live_deadlock(void **state)
{
        /* The barrier makes the deadlock certain: each holds its first lock before either
         * tries its second. */
        harness_result *r =
            live_fork("'resources': {'a': {'type': 'lock'}, 'b': {'type': 'lock'}, "
                      "'both': {'type': 'barrier', 'parties': 2}}, "
                      "'actors': [{'name': 'P', 'run': [{'with': 'a', 'do': [{'wait': 'both'}, "
                      "{'with': 'b', 'do': [{'print': 'P ate'}]}]}]}, "
                      "{'name': 'Q', 'run': [{'with': 'b', 'do': [{'wait': 'both'}, "
                      "{'with': 'a', 'do': [{'print': 'Q ate'}]}]}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DEADLOCK);
        assert_string_equal(strbuf_str(&r->why),
                            "P holds a and waits for b held by Q; Q holds b and waits for a held "
                            "by P");
        assert_int_equal(harness_count(r, "ate"), 0);
        harness_free(r);
}

static void t_live_self_deadlock(void **state)
{
        harness_result *r = live_fork("'resources': {'l': {'type': 'lock'}}, "
                                      "'actors': [{'name': 'T', 'run': [{'acquire': 'l'}, "
                                      "{'acquire': 'l'}, {'print': 'never'}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DEADLOCK);
        assert_string_equal(strbuf_str(&r->why), "T holds l and waits for l held by T");
        harness_free(r);
}

static void t_live_gil(void **state)
{
        /* with the GIL, an actor computes only while it holds it */
        harness_result *r = live("'gil': 1, 'actors': [{'name': 'T{i}', 'count': 3, "
                                 "'run': [{'repeat': 4, 'do': [{'work': 0.05}]}]}]");
        const char *p = strbuf_str(&r->lines);
        char holder[16] = "";
        int works = 0;

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_DONE);
        while (*p != '\0') {
                const char *nl = strchr(p, '\n');
                char who[16];
                size_t n = strcspn(p, " ");

                snprintf(who, sizeof(who), "%.*s", (int)n, p);
                if (strncmp(p + n, " acquired GIL", 13) == 0) {
                        assert_string_equal(holder, "");
                        snprintf(holder, sizeof(holder), "%s", who);
                } else if (strncmp(p + n, " released GIL", 13) == 0) {
                        assert_string_equal(holder, who);
                        holder[0] = '\0';
                } else if (strncmp(p + n, " work", 5) == 0) {
                        assert_string_equal(holder, who);
                        works++;
                }
                p = nl + 1;
        }
        assert_int_equal(works, 12);
        harness_free(r);
}

static void t_live_assert_and_errors(void **state)
{
        harness_result *r =
            live("'resources': {'n': {'type': 'var', 'value': 1}}, "
                 "'actors': [{'name': 'A', 'run': [{'assert': 'n == 2', 'message': 'n is {n}'}, "
                 "{'print': 'never'}]}, {'name': 'B', 'run': [{'print': 'B ran'}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_ASSERT);
        assert_int_equal(r->status, OUTCOME_ASSERT);
        assert_true(line_index(r, "A assert_failed t.json:1:130: AssertionError: n is 1") >= 0);
        assert_true(line_index(r, "B print B ran") >= 0);
        assert_int_equal(harness_count(r, "never"), 0);
        assert_int_equal(model_assert_count(r->m), 1);
        harness_free(r);
}

static void t_live_crash(void **state)
{
        harness_result *r = live_fork(
            "'resources': {'e': {'type': 'event'}}, "
            "'actors': [{'name': 'Crasher', 'run': [{'wait': 'e'}, {'crash': 'exit', 'code': 9}]}, "
            "{'name': 'Other', 'run': [{'set': 'e'}, {'wait': 'e', 'timeout': 60}, "
            "{'sleep': 60}, {'print': 'never'}]}]");

        (void)state;
        assert_int_equal(r->outcome, OUTCOME_CRASH);
        assert_int_equal(r->status, 9);
        assert_true(line_index(r, "Crasher crash exit(9)") >= 0);
        assert_true(line_index(r, "runner exit 9") >= 0);
        assert_int_equal(harness_count(r, "never"), 0);
        harness_free(r);
}

static void t_step_boundaries(void **state)
{
        /* Where each step begins (*): a caption comes before its step's first event, a with
         * takes one step to acquire and one to release, a loop's test is a step of its own, and
         * a blocked actor granted to go on (main's join) begins one too: every grant is a step. */
        harness_opts opt = { .mode = HARNESS_STEP, .show = HARNESS_SHOW_READY | HARNESS_SHOW_STEP };
        harness_result *r = run_opts(
            "'resources': {'l': {'type': 'lock'}, 'n': {'type': 'var', 'value': 0}}, "
            "'actors': [{'name': 'T', 'run': [{'with': 'l', 'say': 'taking l', 'do': [{'let': "
            "'x', 'value': 'n', 'say': 'n is {n}'}, {'store': 'n', 'value': 'x + 1'}]}, "
            "{'repeat': 2, 'do': [{'sleep': 0}]}]}]",
            &opt);

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "T ready with\n"
                          "MainThread blocked T\n"
                          "T say taking l\n"
                          "* T acquired l 1\n"
                          "T ready let\n"
                          "T say n is 0\n"
                          "* T step let\n"
                          "T ready store\n"
                          "* T changed n 1\n"
                          "T ready with\n"
                          "* T released l 0\n"
                          "T ready repeat\n"
                          "* T step repeat\n"
                          "T ready sleep\n"
                          "* T sleep 0s\n"
                          "T ready repeat\n"
                          "* T step repeat\n"
                          "T ready sleep\n"
                          "* T sleep 0s\n"
                          "T exit\n"
                          "* MainThread joined T\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->grants, 9);
        /* the model counts a step at each first event (the lines marked *): one a grant */
        assert_int_equal(model_info_of(r->m)->steps, 9);
        harness_free(r);
}

static void t_step_wait_for_timed_notified(void **state)
{
        harness_result *r =
            step("'resources': {'c': {'type': 'condition'}, 'n': {'type': 'var', 'value': 0}}, "
                 "'actors': [{'name': 'T', 'run': [{'with': 'c', 'do': [{'wait_for': 'c', 'until': "
                 "'n > 0', 'timeout': 5, 'into': 'v'}, {'print': 'v = {v}'}]}]}, {'name': 'U', "
                 "'run': [{'with': 'c', 'do': [{'store': 'n', 'value': 7}, {'notify': 'c'}]}]}]",
                 "T, T, U");

        (void)state;
        harness_expect(r, "MainThread start\n"
                          "T start\n"
                          "U start\n"
                          "MainThread blocked T\n"
                          "T acquired c 1\n"
                          "T released c 0\n"
                          "T waiting c timed\n"
                          "U acquired c 1\n"
                          "U changed n 7\n"
                          "U notified c 1\n"
                          "U released c 0\n"
                          "U exit\n"
                          "T woke c\n"
                          "T acquired c 1\n"
                          "T print v = True\n"
                          "T released c 0\n"
                          "T exit\n"
                          "MainThread joined T\n"
                          "MainThread joined U\n"
                          "MainThread exit\n"
                          "runner end done\n");
        assert_int_equal(r->grants, 10);
        harness_free(r);
}

static void t_live_say(void **state)
{
        harness_result *r =
            live("'resources': {'l': {'type': 'lock'}, 'n': {'type': 'var', 'value': 3}}, "
                 "'actors': [{'name': 'T', 'run': [{'acquire': 'l', 'say': 'n is {n}'}, "
                 "{'store': 'n', 'value': 'n + 1', 'say': 'n was {n}'}, {'release': 'l'}]}]");
        char *t = harness_grep(r, "T ");

        (void)state;
        assert_string_equal(t, "T start\n"
                               "T say n is 3\n"
                               "T acquired l 1\n"
                               "T say n was 3\n"
                               "T changed n 4\n"
                               "T released l 0\n"
                               "T exit\n");
        assert_string_equal(model_info_of(r->m)->caption, "n was 3");
        free(t);
        harness_free(r);
}

static void t_dump(void **state)
{
        (void)state;
        const char *body = getenv("BODY");
        harness_opts opt = { .mode = getenv("LIVE") ? HARNESS_LIVE : HARNESS_STEP,
                             .schedule = getenv("SCHED"),
                             .fork = getenv("FORK") != NULL,
                             .show = getenv("READY") ? HARNESS_SHOW_READY | HARNESS_SHOW_STEP : 0 };
        harness_result *r = run_opts(body, &opt);

        printf("outcome %d status %d signal %d grants %llu why %s\n%s", r->outcome, r->status,
               r->signal, (unsigned long long)r->grants, strbuf_str(&r->why),
               strbuf_str(&r->lines));
        harness_free(r);
}

int main(void)
{
        const struct CMUnitTest dump[] = { cmocka_unit_test(t_dump) };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_step_with_lock),
                cmocka_unit_test(t_step_acquire_timeout_gives_up),
                cmocka_unit_test(t_step_acquire_timeout_succeeds),
                cmocka_unit_test(t_step_acquire_not_blocking),
                cmocka_unit_test(t_step_release_unheld),
                cmocka_unit_test(t_step_with_released_inside),
                cmocka_unit_test(t_step_self_deadlock),
                cmocka_unit_test(t_step_self_acquire_timeout),
                cmocka_unit_test(t_step_deadlock_cycle),
                cmocka_unit_test(t_step_rlock_depth),
                cmocka_unit_test(t_step_semaphore_counts),
                cmocka_unit_test(t_step_semaphore_timeout),
                cmocka_unit_test(t_step_bounded_over_release),
                cmocka_unit_test(t_step_event_set_clear_wait),
                cmocka_unit_test(t_step_event_already_set),
                cmocka_unit_test(t_step_condition_wait_notify),
                cmocka_unit_test(t_step_condition_wait_timeout),
                cmocka_unit_test(t_step_condition_notify_n),
                cmocka_unit_test(t_step_condition_notify_all),
                cmocka_unit_test(t_step_wait_for_true_at_once),
                cmocka_unit_test(t_step_wait_for_timeout),
                cmocka_unit_test(t_step_wait_for_notified_twice),
                cmocka_unit_test(t_step_condition_rlock_depth),
                cmocka_unit_test(t_step_condition_unheld),
                cmocka_unit_test(t_step_barrier),
                cmocka_unit_test(t_step_barrier_timeout_not_reached),
                cmocka_unit_test(t_step_queue_put_get),
                cmocka_unit_test(t_step_queue_bounded),
                cmocka_unit_test(t_step_queue_put_timeout),
                cmocka_unit_test(t_step_list_ops),
                cmocka_unit_test(t_step_typed_value_error),
                cmocka_unit_test(t_step_pop_empty),
                cmocka_unit_test(t_step_store_errors),
                cmocka_unit_test(t_step_control_flow),
                cmocka_unit_test(t_step_for_kinds),
                cmocka_unit_test(t_step_repeat_not_int),
                cmocka_unit_test(t_step_start_join),
                cmocka_unit_test(t_step_join_unstarted),
                cmocka_unit_test(t_step_assert_fails),
                cmocka_unit_test(t_step_sleep_work),
                cmocka_unit_test(t_step_sleep_errors),
                cmocka_unit_test(t_step_say),
                cmocka_unit_test(t_step_gil),
                cmocka_unit_test(t_step_crash_exit),
                cmocka_unit_test(t_step_crash_segfault),
                cmocka_unit_test(t_step_crash_abort),
                cmocka_unit_test(t_live_lock_counter),
                cmocka_unit_test(t_step_names_in_place),
                cmocka_unit_test(t_live_acquire_timeouts),
                cmocka_unit_test(t_live_rlock),
                cmocka_unit_test(t_live_semaphore),
                cmocka_unit_test(t_live_event),
                cmocka_unit_test(t_live_condition_buffer),
                cmocka_unit_test(t_live_condition_timeouts),
                cmocka_unit_test(t_live_notify_all),
                cmocka_unit_test(t_live_barrier),
                cmocka_unit_test(t_live_queue),
                cmocka_unit_test(t_live_single_actor),
                cmocka_unit_test(t_live_join_timeout_and_delay),
                cmocka_unit_test(t_live_deadlock),
                cmocka_unit_test(t_live_self_deadlock),
                cmocka_unit_test(t_live_gil),
                cmocka_unit_test(t_live_assert_and_errors),
                cmocka_unit_test(t_live_crash),
                cmocka_unit_test(t_step_condition_woken_waits_for_lock),
                cmocka_unit_test(t_step_expression_errors),
                cmocka_unit_test(t_step_queue_grows_in_order),
                cmocka_unit_test(t_step_long_repr_is_cut),
                cmocka_unit_test(t_live_semaphore_timeouts),
                cmocka_unit_test(t_step_boundaries),
                cmocka_unit_test(t_step_short_ways),
                cmocka_unit_test(t_step_wait_for_timed_notified),
                cmocka_unit_test(t_live_say),
        };

        /* BODY=... [SCHED=...] [LIVE=1] [FORK=1] [READY=1] test_engine: prints what a scenario
         * does, for writing a test. */
        if (getenv("BODY") != NULL)
                return cmocka_run_group_tests(dump, NULL, NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
