/*
 * test_guard.c — which statements the loader marks as needing no memory lock (guard.h): each
 * rule of the discipline, kept and broken.
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
#include "scenario/scenario.h"

/* A scenario of RESOURCES (the inside of its object), ACTORS (the inside of its array) and, when
 * not NULL, MAIN (the inside of its array). */
static scenario *load(const char *resources, const char *actors, const char *main)
{
        char text[4096];
        scenario_options opt = { .cpu_count = 2 };

        snprintf(text, sizeof text,
                 "{ \"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
                 "  \"resources\": { %s },\n  \"actors\": [ %s ]%s%s%s }",
                 resources, actors, main ? ",\n  \"main\": [ " : "", main ? main : "",
                 main ? " ]" : "");
        return fixture_load_with(text, &opt);
}

typedef struct finder {
        sc_stmt_kind kind;
        int nth;
        const sc_stmt *found;
} finder;

static void find_one(const sc_stmt *s, void *ctx)
{
        finder *f = ctx;

        if (s->kind == f->kind && f->nth-- == 0)
                f->found = s;
}

/* The NTH statement (from 0) of kind KIND, scripts in order (main's last). */
static const sc_stmt *nth(const scenario *sc, sc_stmt_kind kind, int n)
{
        finder f = { .kind = kind, .nth = n };

        for (int k = 0; k < sc->nscripts && f.found == NULL; k++)
                scenario_walk(&sc->scripts[k].body, find_one, &f);
        assert_non_null(f.found);
        return f.found;
}

#define LOCK_COUNTER                                                                               \
        "\"lock\": { \"type\": \"lock\" }, \"counter\": { \"type\": \"var\", \"value\": 0 }"
#define INCREMENTS                                                                                 \
        "{ \"name\": \"T{i}\", \"group\": \"T\", \"count\": 2, \"start\": \"manual\", \"run\": [ " \
        "{ \"repeat\": 3, \"do\": [ { \"with\": \"lock\", \"do\": [ "                              \
        "{ \"store\": \"counter\", \"value\": \"counter + 1\" } ] } ] } ] }"

/* The bench's shape: increments under a lock, the result printed after the joins. */
static void test_lock_counter(void **state)
{
        scenario *sc =
            load(LOCK_COUNTER, INCREMENTS,
                 "{ \"start\": \"T\" }, { \"join\": \"T\" }, { \"print\": \"{counter}\" }");

        (void)state;
        assert_true(nth(sc, SC_STORE, 0)->guarded);
        /* main's print, with nothing running, takes the memory lock as ever */
        assert_false(nth(sc, SC_PRINT, 0)->guarded);
        assert_false(nth(sc, SC_WITH, 0)->guarded);
        assert_false(nth(sc, SC_REPEAT, 0)->guarded);
        scenario_free(sc);
}

/* An access outside the lock while an actor that uses it may run: nothing is guarded. */
static void test_read_while_running(void **state)
{
        const char *mains[] = {
                /* before the join */
                "{ \"start\": \"T\" }, { \"print\": \"{counter}\" }, { \"join\": \"T\" }",
                /* a join that may time out */
                ("{ \"start\": \"T\" }, { \"join\": \"T\", \"timeout\": 1 }, "
                 "{ \"print\": \"{counter}\" }"),
                /* a join of only one of the two */
                "{ \"start\": \"T\" }, { \"join\": \"T0\" }, { \"print\": \"{counter}\" }",
                /* started again inside a block of main's: running from the start */
                ("{ \"if\": \"True\", \"then\": [ { \"start\": \"T\" } ] }, { \"join\": \"T\" }, "
                 "{ \"print\": \"{counter}\" }"),
                /* a block that starts them reads it too */
                ("{ \"if\": \"True\", \"then\": [ { \"start\": \"T\" }, "
                 "{ \"print\": \"{counter}\" } ] }, { \"join\": \"T\" }"),
        };

        (void)state;
        for (size_t k = 0; k < sizeof mains / sizeof mains[0]; k++) {
                scenario *sc = load(LOCK_COUNTER, INCREMENTS, mains[k]);

                if (nth(sc, SC_STORE, 0)->guarded)
                        fail_msg("main %zu: the store is marked guarded", k);
                scenario_free(sc);
        }
}

/* Reads in main before any start and after every join are no threat. */
static void test_main_before_and_after(void **state)
{
        scenario *sc = load(LOCK_COUNTER, INCREMENTS,
                            "{ \"store\": \"counter\", \"value\": 5 }, { \"start\": \"T0\" }, "
                            "{ \"join\": \"T0\" }, { \"print\": \"{counter}\" }, "
                            "{ \"start\": \"T1\" }, { \"join\": \"T1\" }, "
                            "{ \"print\": \"{counter}\" }");

        (void)state;
        assert_true(nth(sc, SC_STORE, 0)->guarded);
        assert_false(nth(sc, SC_STORE, 1)->guarded); /* main's, unguarded and alone */
        scenario_free(sc);
}

/* What breaks the discipline anywhere in the file: the first of OTHERS (a second actor beside
 * the increments, started and joined with them) keeps it, each of the rest breaks it. */
static void test_broken(void **state)
{
        static const char *const others[] = {
                /* the same lock: kept */
                "{ \"with\": \"lock\", \"do\": [ { \"store\": \"counter\", \"value\": 0 } ] }",
                /* the lock taken and given back by hand: released by anyone */
                "{ \"acquire\": \"lock\" }, { \"release\": \"lock\" }",
                /* another lock */
                "{ \"with\": \"other\", \"do\": [ { \"store\": \"counter\", \"value\": 0 } ] }",
                /* a lambda, called wherever it goes */
                ("{ \"with\": \"lock\", \"do\": [ { \"let\": \"f\", \"value\": \"lambda: counter\" "
                 "} ] }"),
                /* a semaphore, whose count may let several in */
                "{ \"with\": \"sem\", \"do\": [ { \"store\": \"counter\", \"value\": 0 } ] }",
                /* a with's own caption is said before it takes the lock */
                "{ \"with\": \"lock\", \"say\": \"{counter}\", \"do\": [] }",
                /* an unguarded read */
                "{ \"let\": \"x\", \"value\": \"counter\" }",
        };

        (void)state;
        for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
                char actors[1024];
                scenario *sc;

                snprintf(actors, sizeof actors,
                         "%s, { \"name\": \"U\", \"start\": \"manual\", \"run\": [ %s ] }",
                         INCREMENTS, others[k]);
                sc = load(LOCK_COUNTER ", \"other\": { \"type\": \"lock\" }, "
                                       "\"sem\": { \"type\": \"semaphore\", \"value\": 1 }",
                          actors,
                          "{ \"start\": \"T\" }, { \"start\": \"U\" }, { \"join\": \"T\" }, "
                          "{ \"join\": \"U\" }, { \"print\": \"{counter}\" }");
                if (nth(sc, SC_STORE, 0)->guarded != (k == 0))
                        fail_msg("actor %zu: the store is%s marked guarded", k,
                                 k == 0 ? " not" : "");
                scenario_free(sc);
        }
}

/* Nested withs: the inner lock, held at every access, guards; a condition's lock is its lock. */
static void test_nested_and_conditions(void **state)
{
        scenario *sc =
            load(LOCK_COUNTER ", \"a\": { \"type\": \"rlock\" }, "
                              "\"c\": { \"type\": \"condition\", \"lock\": \"lock\" }, "
                              "\"own\": { \"type\": \"condition\" }, "
                              "\"xs\": { \"type\": \"list\" }",
                 "{ \"name\": \"U\", \"run\": [ { \"with\": \"a\", \"do\": [ { \"with\": \"lock\", "
                 "\"do\": [ { \"store\": \"counter\", \"value\": 1 } ] } ] } ] }, "
                 "{ \"name\": \"V\", \"run\": [ { \"with\": \"c\", \"do\": [ "
                 "{ \"wait_for\": \"c\", \"until\": \"counter > 0\" }, "
                 "{ \"store\": \"counter\", \"value\": 2 } ] } ] }, "
                 "{ \"name\": \"W\", \"run\": [ { \"with\": \"own\", \"do\": [ "
                 "{ \"append\": \"xs\", \"value\": 1 } ] }, { \"with\": \"own\", \"do\": [ "
                 "{ \"pop\": \"xs\" } ] } ] }",
                 NULL);

        (void)state;
        assert_true(nth(sc, SC_STORE, 0)->guarded);
        assert_true(nth(sc, SC_WAIT_FOR, 0)->guarded);
        assert_true(nth(sc, SC_STORE, 1)->guarded);
        assert_true(nth(sc, SC_APPEND, 0)->guarded);
        assert_true(nth(sc, SC_POP, 0)->guarded);
        scenario_free(sc);
}

/* Every access under a semaphore, whose count may let several in, or under a lock taken by
 * hand: nothing is guarded. */
static void test_not_locks(void **state)
{
        static const char *const runs[] = {
                ("{ \"with\": \"sem\", \"do\": [ { \"store\": \"counter\", \"value\": "
                 "\"counter + 1\" } ] }"),
                ("{ \"with\": \"lock\", \"do\": [ { \"store\": \"counter\", \"value\": "
                 "\"counter + 1\" } ] }, { \"acquire\": \"c\" }, { \"release\": \"c\" }"),
        };

        (void)state;
        for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
                char actors[1024];
                scenario *sc;

                snprintf(actors, sizeof actors,
                         "{ \"name\": \"T{i}\", \"group\": \"T\", \"count\": 2, \"run\": [ %s ] }",
                         runs[k]);
                sc = load(LOCK_COUNTER ", \"sem\": { \"type\": \"semaphore\", \"value\": 1 }, "
                                       "\"c\": { \"type\": \"condition\", \"lock\": \"lock\" }",
                          actors, NULL);
                if (nth(sc, SC_STORE, 0)->guarded)
                        fail_msg("run %zu: the store is marked guarded", k);
                scenario_free(sc);
        }
}

/* Processes: a Value under a lock is guarded; starting a process copies every var, so a var
 * that threads change under a lock is read by main's start while they run. */
static void test_processes(void **state)
{
        scenario *sc = load(
            "\"lock\": { \"type\": \"lock\" }, \"v\": { \"type\": \"value\", \"ctype\": \"i\", "
            "\"value\": 0 }",
            "{ \"name\": \"P{i}\", \"group\": \"P\", \"kind\": \"process\", \"count\": 2, "
            "\"start\": \"manual\", \"run\": [ { \"with\": \"lock\", \"do\": [ "
            "{ \"store\": \"v\", \"value\": \"v + 1\" } ] } ] }",
            "{ \"start\": \"P\" }, { \"join\": \"P\" }, { \"print\": \"{v}\" }");

        (void)state;
        assert_true(nth(sc, SC_STORE, 0)->guarded);
        scenario_free(sc);
        sc = load(LOCK_COUNTER,
                  INCREMENTS ", { \"name\": \"P\", \"kind\": \"process\", \"start\": \"manual\", "
                             "\"run\": [ { \"print\": \"hi\" } ] }",
                  "{ \"start\": \"T\" }, { \"start\": \"P\" }, { \"join\": \"T\" }, "
                  "{ \"join\": \"P\" }, { \"print\": \"{counter}\" }");
        assert_false(nth(sc, SC_STORE, 0)->guarded);
        scenario_free(sc);
        /* started before the threads: a copy made with nothing running */
        sc = load(LOCK_COUNTER,
                  INCREMENTS ", { \"name\": \"P\", \"kind\": \"process\", \"start\": \"manual\", "
                             "\"run\": [ { \"print\": \"hi\" } ] }",
                  "{ \"start\": \"P\" }, { \"start\": \"T\" }, { \"join\": \"T\" }, "
                  "{ \"join\": \"P\" }, { \"print\": \"{counter}\" }");
        assert_true(nth(sc, SC_STORE, 0)->guarded);
        scenario_free(sc);
}

/* A pool's map copies every var for its workers: while the threads run, it reads the counter. */
static void test_map_copies(void **state)
{
        static const char *const mains[] = {
                ("{ \"start\": \"T\" }, { \"join\": \"T\" }, { \"map\": \"p\", \"fn\": \"lambda x: "
                 "x\", "
                 "\"over\": \"[1]\" }"),
                ("{ \"start\": \"T\" }, { \"map\": \"p\", \"fn\": \"lambda x: x\", \"over\": "
                 "\"[1]\" }, "
                 "{ \"join\": \"T\" }"),
        };

        (void)state;
        for (size_t k = 0; k < sizeof mains / sizeof mains[0]; k++) {
                scenario *sc = load(LOCK_COUNTER ", \"p\": { \"type\": \"pool\", \"workers\": 1 }",
                                    INCREMENTS, mains[k]);

                if (nth(sc, SC_STORE, 0)->guarded != (k == 0))
                        fail_msg("main %zu: the store is%s marked guarded", k,
                                 k == 0 ? " not" : "");
                scenario_free(sc);
        }
}

/* One scenario each: whether the first statement of a kind is guarded. */
static const struct guard_case {
        const char *what, *resources, *actors, *main;
        sc_stmt_kind kind;
        bool guarded;
} cases[] = {
        { "actors started with the run and no main: only their accesses count", LOCK_COUNTER,
          "{ \"name\": \"T{i}\", \"group\": \"T\", \"count\": 2, \"run\": [ "
          "{ \"with\": \"lock\", \"do\": [ { \"store\": \"counter\", "
          "\"value\": \"counter + 1\" } ] } ] }",
          NULL, SC_STORE, true },
        { "a pop outside the lock that guards the appends",
          LOCK_COUNTER ", \"xs\": { \"type\": \"list\" }",
          "{ \"name\": \"U\", \"run\": [ { \"with\": \"lock\", \"do\": [ "
          "{ \"append\": \"xs\", \"value\": 1 } ] } ] }, "
          "{ \"name\": \"V\", \"run\": [ { \"pop\": \"xs\" } ] }",
          NULL, SC_APPEND, false },
        { "a dict the manager keeps is never guarded",
          "\"lock\": { \"type\": \"lock\" }, \"d\": { \"type\": \"dict\", \"via\": \"manager\" }",
          "{ \"name\": \"P\", \"kind\": \"process\", \"run\": [ "
          "{ \"with\": \"lock\", \"do\": [ { \"store\": \"d['k']\", \"value\": 1 } ] } ] }",
          NULL, SC_STORE, false },
};

static void test_cases(void **state)
{
        (void)state;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
                const struct guard_case *c = &cases[k];
                scenario *sc = load(c->resources, c->actors, c->main);

                if (nth(sc, c->kind, 0)->guarded != c->guarded)
                        fail_msg("%s: the %s is%s marked guarded", c->what,
                                 scenario_stmt_keyword(c->kind), c->guarded ? " not" : "");
                scenario_free(sc);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lock_counter),
                cmocka_unit_test(test_read_while_running),
                cmocka_unit_test(test_main_before_and_after),
                cmocka_unit_test(test_broken),
                cmocka_unit_test(test_nested_and_conditions),
                cmocka_unit_test(test_not_locks),
                cmocka_unit_test(test_map_copies),
                cmocka_unit_test(test_processes),
                cmocka_unit_test(test_cases),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
