/*
 * test_scenario.c — the loader: the model it builds, and the errors it reports with positions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

static scenario *load(const char *text, diag *d, const char *const *set, int nset)
{
        scenario_options opt = { .set = set, .nset = nset, .cpu_count = 4 };

        diag_init(d, 50);
        return scenario_load_text("t.json", text, strlen(text), &opt, d);
}

/* TEXT, whose first "true" is its "gil", loaded with "gil": 0 instead. */
static scenario *load_without_gil(const char *text, diag *d)
{
        char *no = strdup(text);
        scenario *sc;

        memcpy(strstr(no, "true"), "0   ", 4);
        sc = load(no, d, NULL, 0);
        free(no);
        return sc;
}

/* Asserts that loading TEXT fails with an error that points at the first occurrence of AT (the
 * text it must name; "" for the start) and whose message contains WANT. */
static void expect_error(const char *text, const char *at, const char *want)
{
        diag d;
        scenario *sc = load(text, &d, NULL, 0);
        const char *p = strstr(text, at);
        int line = 1, col = 1, found = 0;

        assert_non_null(p);
        for (const char *q = text; q < p; q++) {
                if (*q == '\n')
                        line++, col = 1;
                else if ((*q & 0xc0) != 0x80)
                        col++;
        }
        assert_null(sc);
        for (size_t k = 0; k < d.n; k++)
                if (d.items[k].line == line && d.items[k].col == col &&
                    strstr(d.items[k].msg, want) != NULL)
                        found = 1;
        if (!found) {
                for (size_t k = 0; k < d.n; k++)
                        fprintf(stderr, "got %d:%d: %s\n", d.items[k].line, d.items[k].col,
                                d.items[k].msg);
                fail_msg("no error at %d:%d containing '%s'", line, col, want);
        }
        diag_free(&d);
}

static const char semaphore_text[] =
    "{\"lockstep\": 1, \"title\": \"Semaphore\", \"summary\": \"Two at a time.\",\n"
    " \"constants\": {\"WORKERS\": 5, \"SLOTS\": 2},\n"
    " \"resources\": {\"room\": {\"type\": \"semaphore\", \"value\": \"SLOTS\"},\n"
    "               \"counter\": {\"type\": \"var\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"T-{i}\", \"group\": \"T\", \"count\": \"WORKERS\",\n"
    "   \"start\": \"manual\", \"run\": [\n"
    "   {\"with\": \"room\", \"do\": [\n"
    "     {\"let\": \"tmp\", \"value\": \"counter\"},\n"
    "     {\"store\": \"counter\", \"value\": \"tmp + i\", \"say\": \"{name} writes\"}]}]}],\n"
    " \"main\": [{\"start\": \"T\"}, {\"join\": \"T\"}, {\"print\": \"done {counter}\"}]}\n";

static void test_model(void **state)
{
        diag d;
        scenario *sc = load(semaphore_text, &d, NULL, 0);
        const sc_stmt *with, *let, *store;

        (void)state;
        assert_non_null(sc);
        assert_string_equal(sc->title, "Semaphore");
        assert_int_equal(sc->nresources, 2);
        assert_int_equal(sc->resources[0].type, SC_SEMAPHORE);
        assert_int_equal(sc->resources[0].count, 2);
        assert_int_equal(sc->nactors, 5);
        assert_string_equal(sc->actors[3].name, "T-3");
        assert_int_equal(sc->actors[3].i, 3);
        assert_true(sc->actors[3].manual);
        assert_int_equal(sc->ngroups, 1);
        assert_string_equal(sc->groups[0].name, "T");
        assert_int_equal(sc->groups[0].nmembers, 5);
        assert_true(sc->main_given);
        with = &sc->scripts[0].body.stmts[0];
        assert_int_equal(with->kind, SC_WITH);
        assert_int_equal(with->res, 0);
        assert_int_equal(with->line, 7);
        assert_int_equal(with->col, 5);
        let = &with->body.stmts[0];
        store = &with->body.stmts[1];
        assert_int_equal(let->kind, SC_LET);
        assert_int_equal(let->local, 0);
        assert_string_equal(sc->scripts[0].locals[0], "tmp");
        assert_int_equal(store->kind, SC_STORE);
        assert_non_null(store->say);
        {
                const char *name;
                int32_t ref;
                const expr *index;

                assert_true(expr_lvalue(store->lvalue, &name, &ref, &index));
                assert_string_equal(name, "counter");
                assert_int_equal(SC_REF_KIND(ref), SC_REF_RES);
                assert_int_equal(SC_REF_INDEX(ref), 1);
                assert_null(index);
        }
        {
                const sc_script *m = &sc->scripts[sc->main_script];

                assert_int_equal(m->body.n, 3);
                assert_int_equal(m->body.stmts[0].kind, SC_START);
                assert_int_equal(m->body.stmts[0].ntargets, 5);
                assert_int_equal(m->body.stmts[0].targets[4], 4);
        }
        assert_int_equal(sc->nstmts, 6);
        scenario_free(sc);
        diag_free(&d);
}

static void test_set_overrides(void **state)
{
        const char *set[] = { "WORKERS=2", "SLOTS=WORKERS - 1" };
        diag d;
        scenario *sc = load(semaphore_text, &d, set, 2);

        (void)state;
        assert_non_null(sc);
        assert_int_equal(sc->nactors, 2);
        assert_int_equal(sc->resources[0].count, 1);
        scenario_free(sc);
        diag_free(&d);
}

/* A count of 0 (WORKERS=0) is a group of no actors: its start and join target none. A bad count
 * is one error, not also one for each start and join of its group. */
static void test_count_zero(void **state)
{
        const char *zero[] = { "WORKERS=0" }, *bad[] = { "WORKERS=-1" };
        diag d;
        scenario *sc = load(semaphore_text, &d, zero, 1);
        int starts = 0;

        (void)state;
        assert_non_null(sc);
        assert_int_equal(sc->nactors, 0);
        for (int k = 0; k < sc->scripts[sc->main_script].body.n; k++) {
                const sc_stmt *st = &sc->scripts[sc->main_script].body.stmts[k];

                if (st->kind == SC_START || st->kind == SC_JOIN) {
                        assert_int_equal(st->ntargets, 0);
                        starts++;
                }
        }
        assert_int_equal(starts, 2);
        scenario_free(sc);
        diag_free(&d);
        sc = load(semaphore_text, &d, bad, 1);
        assert_null(sc);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.items[0].msg, "\"count\" must be between 0 and 64, not -1"));
        diag_free(&d);
}

static void test_set_errors(void **state)
{
        const char *bad1[] = { "WORKER=2" };
        const char *bad2[] = { "WORKERS" };
        const char *bad3[] = { "WORKERS=hello" };
        diag d;

        (void)state;
        assert_null(load(semaphore_text, &d, bad1, 1));
        assert_non_null(strstr(d.items[0].msg, "did you mean 'WORKERS'?"));
        diag_free(&d);
        assert_null(load(semaphore_text, &d, bad2, 1));
        assert_non_null(strstr(d.items[0].msg, "NAME=VALUE"));
        diag_free(&d);
        assert_null(load(semaphore_text, &d, bad3, 1));
        assert_non_null(strstr(d.items[0].msg, "quotes"));
        diag_free(&d);
        /* words the parser cannot take were meant as a string: the hint; a number too large or
         * a bracket left open was not: the parser's words alone */
        for (int k = 0; k < 3; k++) {
                const char *bad[][1] = { { "WORKERS=hello world" },
                                         { "WORKERS=99999999999999999999" },
                                         { "WORKERS=[1, 2" } };
                const char *want[] = { "unexpected name 'world'", "integer literal is too large",
                                       "expected ']'" };

                assert_null(load(semaphore_text, &d, bad[k], 1));
                assert_non_null(strstr(d.items[0].msg, want[k]));
                assert_true((strstr(d.items[0].msg, "quotes") != NULL) == (k == 0));
                diag_free(&d);
        }
}

static void test_implied_main_and_defaults(void **state)
{
        const char *text =
            "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
            " \"resources\": {\"p\": {\"type\": \"pool\"}, \"q\": {\"type\": \"queue\"},\n"
            "   \"c\": {\"type\": \"condition\", \"lock\": \"l\"}, \"l\": {\"type\": \"rlock\"},\n"
            "   \"arr\": {\"type\": \"array\", \"ctype\": \"d\", \"value\": [0, 100]},\n"
            "   \"v\": {\"type\": \"value\", \"ctype\": \"i\"}},\n"
            " \"actors\": [{\"name\": \"A\", \"run\": [{\"get\": \"q\", \"into\": \"x\"},\n"
            "   {\"map\": \"p\", \"fn\": \"lambda x: x * x\", \"over\": \"range(3)\", "
            "\"into\": \"r\"}]}]}";
        diag d;
        scenario *sc = load(text, &d, NULL, 0);
        strbuf sb = STRBUF_INIT;

        (void)state;
        assert_non_null(sc);
        assert_false(sc->main_given);
        assert_int_equal(sc->resources[0].count, 4); /* cpu_count() */
        assert_int_equal(sc->resources[1].count, 0); /* unbounded */
        assert_int_equal(sc->resources[2].lock, 3);
        value_repr(sc->resources[4].init, &sb);
        assert_string_equal(strbuf_str(&sb), "[0.0, 100.0]");
        assert_int_equal(sc->resources[5].init.type, VALUE_INT);
        assert_int_equal(sc->scripts[0].nlocals, 2);
        strbuf_free(&sb);
        scenario_free(sc);
        diag_free(&d);
}

/* Notes: a resource's and an actor entry's, kept for the screen (each actor of a group has its
 * entry's); an entry without one has none. */
static void test_notes(void **state)
{
        const char *text =
            "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
            " \"resources\": {\"l\": {\"type\": \"lock\", \"note\": \"l = Lock()\"},\n"
            "   \"e\": {\"type\": \"event\"}},\n"
            " \"actors\": [{\"name\": \"W{i}\", \"count\": 2, \"note\": \"Worker(i)\",\n"
            "   \"run\": [{\"set\": \"e\"}]}, {\"name\": \"B\", \"run\": [{\"wait\": \"e\"}]}]}";
        diag d;
        scenario *sc = load(text, &d, NULL, 0);

        (void)state;
        assert_non_null(sc);
        assert_string_equal(sc->resources[0].note, "l = Lock()");
        assert_null(sc->resources[1].note);
        assert_int_equal(sc->nactors, 3);
        assert_string_equal(sc->actors[0].note, "Worker(i)");
        assert_string_equal(sc->actors[1].note, "Worker(i)");
        assert_ptr_not_equal(sc->actors[0].note, sc->actors[1].note); /* each its own to free */
        assert_null(sc->actors[2].note);
        scenario_free(sc);
        diag_free(&d);
        expect_error("{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
                     " \"actors\": [{\"name\": \"A\", \"note\": 7, \"run\": [{\"sleep\": 0}]}]}",
                     "7", "\"note\" must be a string");
}

/* No actors: the main thread's script is the whole program (a pool's caller, as in the seed). */
static void test_main_only(void **state)
{
        const char *text = "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
                           " \"resources\": {\"p\": {\"type\": \"pool\", \"workers\": 2}},\n"
                           " \"actors\": [], \"main\": [{\"map\": \"p\", \"fn\": \"lambda x: x\", "
                           "\"over\": \"range(3)\", \"into\": \"r\"}, {\"print\": \"{r}\"}]}";
        diag d;
        scenario *sc = load(text, &d, NULL, 0);

        (void)state;
        assert_non_null(sc);
        assert_int_equal(sc->nactors, 0);
        assert_true(sc->main_given);
        assert_int_equal(sc->nscripts, 1);
        assert_int_equal(sc->main_script, 0);
        assert_int_equal(sc->nstmts, 2);
        scenario_free(sc);
        diag_free(&d);
}

#define HEAD  "{\"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\",\n"
#define ACTOR " \"actors\": [{\"name\": \"A\", \"run\": [{\"print\": \"hi\"}]}]}"

/* A map's chunksize: a literal must be an integer of at least 1 (an expression is checked when
 * the map runs); without it, none. */
static void test_map_chunksize(void **state)
{
#define MAP(cs)                                                                                    \
        HEAD " \"resources\": {\"p\": {\"type\": \"pool\"}},\n"                                    \
             " \"actors\": [{\"name\": \"A\", \"run\": [{\"map\": \"p\", \"fn\": \"lambda x: x\"," \
             " \"over\": \"range(9)\"" cs "}]}]}"
        /* the text, where the error is (the value), what it says */
        static const char *const bad[][3] = {
                { MAP(", \"chunksize\": 0"), "0}", "must be an integer of at least 1, not 0" },
                { MAP(", \"chunksize\": -2"), "-2}", "must be an integer of at least 1, not -2" },
                { MAP(", \"chunksize\": 2.5"), "2.5}",
                  "must be an integer of at least 1, not 2.5" },
                { MAP(", \"chunksize\": [2]"), "[2]",
                  "must be an integer of at least 1, not an array" },
        };
        const char *good[] = { MAP(""), MAP(", \"chunksize\": 3"),
                               MAP(", \"chunksize\": \"2 * 2\"") };
        diag d;

        (void)state;
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
                expect_error(bad[k][0], bad[k][1], bad[k][2]);
        for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
                scenario *sc = load(good[k], &d, NULL, 0);
                const sc_stmt *m;

                assert_non_null(sc);
                m = &sc->scripts[sc->actors[0].script].body.stmts[0];
                assert_int_equal(m->kind, SC_MAP);
                assert_true((m->chunksize != NULL) == (k > 0));
                scenario_free(sc);
                diag_free(&d);
        }
#undef MAP
}

/* A pipe's "ends" name its two ends: statements use either name or NAME.a / NAME.b, and the
 * names are the ends' own (no resource's, constant's or other end's); a one-way pipe's mistakes
 * are said with the names. */
static void test_pipe_ends(void **state)
{
#define PIPE(ends, extra, stmt)                                                                    \
        HEAD " \"constants\": {\"K\": 1},\n"                                                       \
             " \"resources\": {\"p\": {\"type\": \"pipe\", " ends "}" extra "},\n"                 \
             " \"actors\": [], \"main\": [" stmt "]}"
        diag d;
        scenario *sc = load(PIPE("\"ends\": [\"parent_conn\", \"child_conn\"]", "",
                                 "{\"send\": \"parent_conn\", \"value\": 1}, {\"recv\": "
                                 "\"child_conn\", \"into\": \"m\"}, {\"close\": \"p.b\"}"),
                            &d, NULL, 0);
        const sc_block *b;
        char buf[SC_MAX_NAME + 3];
        int end = -1;

        (void)state;
        assert_non_null(sc);
        b = &sc->scripts[sc->main_script].body;
        assert_int_equal(b->n, 3);
        assert_int_equal(b->stmts[0].end, 0);
        assert_int_equal(b->stmts[1].end, 1);
        assert_int_equal(b->stmts[2].end, 1);
        assert_int_equal(scenario_find_pipe_end(sc, "child_conn", &end), 0);
        assert_int_equal(end, 1);
        assert_int_equal(scenario_find_pipe_end(sc, "p", &end), -1);
        assert_string_equal(scenario_pipe_end_name(&sc->resources[0], 0, buf), "parent_conn");
        scenario_free(sc);
        diag_free(&d);
        /* without "ends", NAME.a */
        sc = load(PIPE("\"duplex\": true", "", "{\"close\": \"p.a\"}"), &d, NULL, 0);
        assert_non_null(sc);
        assert_string_equal(scenario_pipe_end_name(&sc->resources[0], 1, buf), "p.b");
        scenario_free(sc);
        diag_free(&d);

        expect_error(PIPE("\"ends\": \"parent_conn\"", "", ""), "\"parent_conn\"",
                     "\"ends\" must be the names of the two ends");
        expect_error(PIPE("\"ends\": [\"a1\"]", "", ""), "[\"a1\"]",
                     "\"ends\" must be the names of the two ends");
        expect_error(PIPE("\"ends\": [\"a1\", 2]", "", ""), "2]",
                     "a pipe end's name must be a string, not a number");
        expect_error(PIPE("\"ends\": [\"a1\", \"2x\"]", "", ""), "\"2x\"",
                     "pipe end name '2x' must be an identifier");
        expect_error(PIPE("\"ends\": [\"a1\", \"a1\"]", "", ""), "\"a1\"]",
                     "the two ends of 'p' need two names, not 'a1' twice");
        expect_error(PIPE("\"ends\": [\"l\", \"a1\"]", ", \"l\": {\"type\": \"lock\"}", ""),
                     "\"l\", ", "'l' is already a resource; a pipe end needs a name of its own");
        expect_error(PIPE("\"ends\": [\"a1\", \"K\"]", "", ""), "\"K\"]",
                     "'K' is already a constant");
        expect_error(PIPE("\"ends\": [\"a1\", \"b1\"]",
                          ", \"q\": {\"type\": \"pipe\", \"ends\": [\"c1\", \"b1\"]}", ""),
                     "\"b1\"]}}", "'b1' already names an end of pipe 'p'");
        expect_error(PIPE("\"ends\": [\"a1\", \"b1\"]", "", "{\"send\": \"c1\", \"value\": 1}"),
                     "\"c1\"", "or a name a pipe's \"ends\" gives");
        expect_error(PIPE("\"duplex\": false, \"ends\": [\"r\", \"w\"]", "",
                          "{\"send\": \"r\", \"value\": 1}"),
                     "\"r\", \"value", "'p' is not duplex: r only receives; send on w");
#undef PIPE
}

static void test_errors(void **state)
{
        (void)state;
        expect_error(HEAD " \"resources\": {\"r\": {\"type\": \"semaphor\"}},\n" ACTOR,
                     "\"semaphor\"", "did you mean 'semaphore'?");
        expect_error(HEAD " \"resources\": {\"r\": {\"type\": \"lock\", \"value\": 1}},\n" ACTOR,
                     "\"value\"", "unknown key 'value' in a lock resource");
        expect_error(HEAD " \"resources\": {\"e\": {\"type\": \"event\", \"value\": 1}},\n" ACTOR,
                     "\"value\"", "unknown key 'value' in an event resource");
        expect_error(HEAD " \"resources\": {\"D\": {\"type\": \"dict\"}}, \"actors\": [{\"name\": "
                          "\"A\", \"run\": [{\"store\": \"D['a']['b']\", \"value\": 1}]}]}",
                     "\"D['a']['b']\"", "'store' takes one index at most");
        expect_error(HEAD " \"actors\": [{\"name\": \"A\", \"run\": [{\"let\": "
                          "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde\", "
                          "\"value\": 1}]}]}",
                     "\"abcdefghij", "is too long: at most 64 characters");
        expect_error(HEAD " \"actors\": [{\"name\": \"A\", \"run\": [{\"try\": []}]}]}", "\"try\"",
                     "unknown statement 'try' (a scenario has no try, except");
        expect_error(HEAD " \"actors\": [{\"name\": \"A\", \"run\": [{\"let\": \"acc\", "
                          "\"value\": []}, {\"append\": \"acc\", \"value\": 1}]}]}",
                     "\"acc\", \"value\": 1", "a local list grows by let");
        expect_error(HEAD " \"actors\": [{\"name\": \"A\", \"start\": \"auto\", \"run\": []}],"
                          " \"main\": [{\"start\": \"A\"}]}",
                     "\"A\"}", "'A' starts with the run");
        expect_error(HEAD " \"resources\": {\"l\": {\"type\": \"lock\"}},\n"
                          " \"actors\": [{\"name\": \"A\", \"run\": [{\"put\": \"l\", \"value\": "
                          "1}]}]}",
                     "\"l\", \"value", "'put' works on queue, but 'l' is a lock");
        /* an expression error points inside the string, at the offending token */
        expect_error(HEAD " \"actors\": [{\"name\": \"A\", \"run\": [{\"let\": \"x\", \"value\": "
                          "\"1 + * 2\"}]}]}",
                     "* 2", "in expression");
        expect_error(HEAD
                     " \"actors\": [{\"name\": \"A\", \"run\": [{\"print\": \"n={y + 1}\"}]}]}",
                     "y + 1", "name 'y' is not defined");
        expect_error(HEAD
                     " \"actors\": [{\"name\": \"A\", \"run\": [{\"let\": \"total\", \"value\": "
                     "1}, {\"print\": \"{totl}\"}]}]}",
                     "totl", "did you mean 'total'?");
        expect_error(HEAD " \"actors\": [{\"name\": \"A\", \"run\": [{\"break\": true}]}]}", "true",
                     "'break' outside a loop");
        /* get_lock() belongs to a Value or an Array only */
        expect_error(HEAD " \"resources\": {\"l\": {\"type\": \"lock\"}},\n"
                          " \"actors\": [{\"name\": \"A\", \"run\": [{\"acquire\": "
                          "\"l.get_lock()\"}]}]}",
                     "\"l.get_lock()\"", "no resource named 'l.get_lock()'");
        /* a Value's own lock named without the call, or as the Value itself: the right name */
        expect_error(HEAD " \"resources\": {\"v\": {\"type\": \"value\", \"ctype\": \"i\"}},\n"
                          " \"actors\": [{\"name\": \"A\", \"run\": [{\"with\": "
                          "\"v.get_lock\", \"do\": []}]}]}",
                     "\"v.get_lock\"", "did you mean 'v.get_lock()'?");
        expect_error(HEAD " \"resources\": {\"v\": {\"type\": \"value\", \"ctype\": \"i\"}},\n"
                          " \"actors\": [{\"name\": \"A\", \"run\": [{\"acquire\": \"v\"}]}]}",
                     "\"v\"}]", "but 'v' is a value; its own lock is 'v.get_lock()'");
        expect_error(HEAD " \"a\": 1,\n" ACTOR, "\"a\"", "unknown key 'a' in a scenario");
        expect_error(HEAD " \"actors\": []}", "[]", "is empty and there is no \"main\"");
        expect_error("{\"lockstep\": 1, \"lockstep\": 1}", "\"lockstep\": 1}",
                     "duplicate key 'lockstep'");
        expect_error("{\"lockstep\": 1,,}", ",}", "JSON syntax error: a comma before");
        expect_error("{\"lockstep\": 1, \"title\": \"a\xff\"}", "\xff", "invalid UTF-8");
        expect_error("{\"lockstep\": 1} x", "x", "text after the end");
}

/* One list of reserved words: the expression language's (expr_is_reserved) and the two names every
 * script has. */
static void test_reserved_names(void **state)
{
        const char *const words[] = { "lambda", "None",  "len",  "cpu_count", "class",
                                      "while",  "yield", "name", "i" };

        (void)state;
        for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
                char text[400], at[40];

                snprintf(text, sizeof text,
                         HEAD " \"resources\": {\"%s\": {\"type\": \"lock\"}},\n" ACTOR, words[k]);
                snprintf(at, sizeof at, "\"%s\": {", words[k]);
                expect_error(text, at, "is a reserved word of the expression language");
                snprintf(text, sizeof text,
                         HEAD " \"actors\": [{\"name\": \"A\", \"run\": [{\"let\": \"%s\", "
                              "\"value\": 1}]}]}",
                         words[k]);
                snprintf(at, sizeof at, "\"%s\", \"value", words[k]);
                expect_error(text, at, "is a reserved word of the expression language");
        }
        assert_true(expr_is_reserved("else"));
        assert_true(expr_is_reserved("sorted"));
        assert_true(expr_is_reserved("round"));
        assert_true(expr_is_reserved("nonlocal"));
        assert_false(expr_is_reserved("name")); /* the scenario's, not the language's */
        assert_false(expr_is_reserved("counter"));
        assert_false(expr_is_reserved("Len"));
}

/* With "gil", the main process's GIL and one for each process actor, in that order, after the
 * scenario's own resources; without it, none. */
static void test_gil_per_process(void **state)
{
        const char *text =
            HEAD " \"gil\": true, \"resources\": {\"l\": {\"type\": \"lock\"}},\n"
                 " \"actors\": [{\"name\": \"P-{i}\", \"kind\": \"process\", \"count\": 2,"
                 " \"run\": [{\"print\": \"x\"}]},"
                 " {\"name\": \"T\", \"run\": [{\"print\": \"y\"}]}]}";
        diag d;
        scenario *sc = load(text, &d, NULL, 0);

        (void)state;
        assert_non_null(sc);
        assert_int_equal(sc->nresources, 4);
        assert_int_equal(sc->gil_res, 1);
        assert_string_equal(sc->resources[1].name, "GIL");
        assert_int_equal(sc->actors[0].gil_res, 2);
        assert_string_equal(sc->resources[2].name, "GIL@P-0");
        assert_int_equal(sc->actors[1].gil_res, 3);
        assert_string_equal(sc->resources[3].name, "GIL@P-1");
        assert_int_equal(sc->resources[3].type, SC_LOCK);
        assert_int_equal(sc->actors[2].gil_res, -1);
        scenario_free(sc);
        diag_free(&d);
        /* "gil": false: no GIL at all */
        sc = load_without_gil(text, &d);
        assert_non_null(sc);
        assert_int_equal(sc->nresources, 1);
        assert_int_equal(sc->gil_res, -1);
        assert_int_equal(sc->actors[0].gil_res, -1);
        scenario_free(sc);
        diag_free(&d);
}

/* With "gil", each pool worker too has its own GIL, "GIL@POOL/W", after the process actors':
 * a pool's in a row (its gil_res), each naming its pool; "workers" not given is cpu_count(). A
 * process actor whose GIL would have the same name is refused. */
static void test_gil_per_pool_worker(void **state)
{
        const char *text = HEAD " \"gil\": true, \"resources\": {\"p\": {\"type\": \"pool\"},"
                                " \"q\": {\"type\": \"pool\", \"workers\": 2}},\n"
                                " \"actors\": [{\"name\": \"P\", \"kind\": \"process\","
                                " \"run\": [{\"print\": \"x\"}]}]}";
        static const char *const names[] = { "GIL@p/0", "GIL@p/1", "GIL@p/2",
                                             "GIL@p/3", "GIL@q/0", "GIL@q/1" };
        diag d;
        scenario *sc = load(text, &d, NULL, 0);

        (void)state;
        assert_non_null(sc);
        assert_int_equal(sc->nresources, 10);
        assert_string_equal(sc->resources[2].name, "GIL");
        assert_string_equal(sc->resources[3].name, "GIL@P");
        assert_int_equal(sc->resources[0].gil_res, 4);
        assert_int_equal(sc->resources[1].gil_res, 8);
        for (int k = 0; k < 6; k++) {
                assert_string_equal(sc->resources[4 + k].name, names[k]);
                assert_int_equal(sc->resources[4 + k].type, SC_LOCK);
                assert_int_equal(sc->resources[4 + k].pool, k < 4 ? 0 : 1);
                assert_int_equal(sc->resources[4 + k].gil_res, -1);
        }
        for (int k = 0; k < 4; k++)
                assert_int_equal(sc->resources[k].pool, -1);
        scenario_free(sc);
        diag_free(&d);
        /* "gil": false: no GIL, and the pools have none */
        sc = load_without_gil(text, &d);
        assert_non_null(sc);
        assert_int_equal(sc->nresources, 2);
        assert_int_equal(sc->resources[0].gil_res, -1);
        assert_int_equal(sc->resources[1].gil_res, -1);
        scenario_free(sc);
        diag_free(&d);
        expect_error(HEAD " \"gil\": true, \"resources\": {\"p\": {\"type\": \"pool\"}},\n"
                          " \"actors\": [{\"name\": \"p/1\", \"kind\": \"process\","
                          " \"run\": [{\"print\": \"x\"}]}]}",
                     "true",
                     "GIL@p/1 is the GIL of worker 1 of pool 'p': rename the process actor "
                     "called p/1");
}

/* NAME.get_lock(): one rlock per Value or Array, made when first named, shared by every
 * statement that names it. */
static void test_value_get_lock(void **state)
{
        const char *text =
            HEAD " \"resources\": {\"v\": {\"type\": \"value\", \"ctype\": \"i\"},"
                 " \"a\": {\"type\": \"array\", \"ctype\": \"d\", \"size\": 2}},\n"
                 " \"actors\": [{\"name\": \"A\", \"run\": [{\"acquire\": \"a.get_lock()\"},"
                 " {\"with\": \"v.get_lock()\", \"do\": [{\"release\": \"a.get_lock()\"}]}]}]}";
        diag d;
        scenario *sc = load(text, &d, NULL, 0);
        const sc_block *b;

        (void)state;
        assert_non_null(sc);
        assert_int_equal(sc->nresources, 4);
        assert_string_equal(sc->resources[2].name, "a.get_lock()");
        assert_int_equal(sc->resources[2].type, SC_RLOCK);
        assert_string_equal(sc->resources[3].name, "v.get_lock()");
        b = &sc->scripts[sc->actors[0].script].body;
        assert_int_equal(b->stmts[0].res, 2);
        assert_int_equal(b->stmts[1].res, 3);
        assert_int_equal(b->stmts[1].body.stmts[0].res, 2);
        scenario_free(sc);
        diag_free(&d);
}

static void test_all_errors_reported(void **state)
{
        diag d;
        scenario *sc =
            load(HEAD " \"resources\": {\"a\": {\"type\": \"x\"}, \"b\": {\"type\": \"y\"}},\n"
                      " \"actors\": [{\"name\": \"A\", \"run\": [{\"prnt\": \"hi\"}]}]}",
                 &d, NULL, 0);

        (void)state;
        assert_null(sc);
        assert_int_equal(diag_count(&d), 3);
        diag_free(&d);
}

/* The loader reads exactly LEN bytes: nothing may look past the end of a buffer that is not
 * NUL-terminated (under ASan, an over-read fails this test). Found by fuzzing. */
static void test_unterminated_buffers(void **state)
{
        const char *cases[] = { "{\"lockstep\": 1, \"title\": ", "{\"a\": [1, 2", "{\"x\" ", "{}  ",
                                "{\"lockstep\": 1} \n  x",       "[1,]" };

        (void)state;
        for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
                size_t len = strlen(cases[k]);
                char *buf = malloc(len); /* exactly LEN bytes, no NUL */
                diag d;

                memcpy(buf, cases[k], len);
                diag_init(&d, 10);
                assert_null(scenario_load_text("t.json", buf, len, NULL, &d));
                assert_true(diag_count(&d) > 0);
                diag_free(&d);
                free(buf);
        }
}

static void test_bundled_scenarios_load(void **state)
{
        const char *files[] = { "seed/01-thread.json", "seed/05-condition.json",
                                "seed/11-manager.json" };

        (void)state;
        for (size_t k = 0; k < sizeof(files) / sizeof(*files); k++) {
                char path[512];
                diag d;
                scenario *sc;

                snprintf(path, sizeof(path), "%s/scenarios/%s", SOURCE_ROOT, files[k]);
                diag_init(&d, 10);
                sc = scenario_load(path, NULL, &d);
                if (sc == NULL)
                        diag_print(&d, stderr);
                assert_non_null(sc);
                scenario_free(sc);
                diag_free(&d);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_model),
                cmocka_unit_test(test_set_overrides),
                cmocka_unit_test(test_count_zero),
                cmocka_unit_test(test_set_errors),
                cmocka_unit_test(test_implied_main_and_defaults),
                cmocka_unit_test(test_notes),
                cmocka_unit_test(test_main_only),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_pipe_ends),
                cmocka_unit_test(test_map_chunksize),
                cmocka_unit_test(test_reserved_names),
                cmocka_unit_test(test_gil_per_process),
                cmocka_unit_test(test_gil_per_pool_worker),
                cmocka_unit_test(test_value_get_lock),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_unterminated_buffers),
                cmocka_unit_test(test_bundled_scenarios_load),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
