/*
 * test_code.c — scripts rendered as Python-like code for the Code pane: each statement's line,
 * expressions as the file writes them, and where each statement is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "scenario/scenario.h"
#include "tui/code.h"

static const char text[] =
    "{\"lockstep\": 1, \"title\": \"Code\", \"summary\": \"Rendering.\",\n"
    " \"constants\": {\"N\": 3},\n"
    " \"resources\": {\"room\": {\"type\": \"semaphore\", \"value\": 2},\n"
    "   \"cond\": {\"type\": \"condition\"}, \"q\": {\"type\": \"queue\"},\n"
    "   \"counter\": {\"type\": \"var\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"W-{i}\", \"group\": \"W\", \"count\": 2, \"run\": [\n"
    "   {\"with\": \"room\", \"do\": [\n"
    "     {\"let\": \"tmp\", \"value\": \"counter\"},\n"
    "     {\"store\": \"counter\", \"value\": \"tmp + 1\"},\n"
    "     {\"sleep\": 2}]},\n"
    "   {\"with\": \"cond\", \"do\": [{\"wait\": \"cond\", \"timeout\": 0.5}]},\n"
    "   {\"repeat\": \"N\", \"as\": \"k\", \"do\": [{\"put\": \"q\", \"value\": \"k * 2\"}]},\n"
    "   {\"if\": \"counter > 1\", \"then\": [{\"print\": \"big {counter}\"}],\n"
    "    \"else\": [{\"get\": \"q\", \"into\": \"item\"}]}]}]}\n";

static const char *const want[] = {
        "with room:",
        "    tmp = counter",
        "    counter = tmp + 1",
        "    time.sleep(2)",
        "with cond:",
        "    cond.wait(timeout=0.5)",
        "for k in range(N):",
        "    q.put(k * 2)",
        "if counter > 1:",
        "    print(f\"big {counter}\")",
        "else:",
        "    item = q.get()",
};

static void python_like(void **state)
{
        scenario *sc;
        code_book *cb;
        const code_script *w, *main_script;

        (void)state;
        sc = fixture_load_with(text, NULL);
        cb = code_new(sc, text, strlen(text));
        w = &cb->scripts[sc->actors[0].script];
        assert_int_equal(w->n, (int)(sizeof(want) / sizeof(*want)));
        for (int k = 0; k < w->n; k++)
                assert_string_equal(w->lines[k].text, want[k]);
        /* every statement knows its line; `else:` is no statement */
        assert_int_equal(w->lines[10].stmt, -1);
        for (int k = 0; k < w->n; k++)
                if (w->lines[k].stmt >= 0)
                        assert_int_equal(code_line_of(cb, w->lines[k].stmt), k);
        /* both actors of the group share the script */
        assert_int_equal(sc->actors[1].script, sc->actors[0].script);
        /* no main given: a line says what happens in its place */
        main_script = &cb->scripts[sc->main_script];
        assert_int_equal(main_script->n, 1);
        assert_non_null(strstr(main_script->lines[0].text, "no main given"));
        assert_int_equal(code_line_of(cb, -1), -1);
        assert_int_equal(code_line_of(cb, sc->nstmts), -1);
        code_free(cb);
        scenario_free(sc);
}

/* The main script of SRC reads as the N LINES. */
static void main_reads(const char *src, const char *const *lines, int n)
{
        scenario *sc = fixture_load_with(src, NULL);
        code_book *cb = code_new(sc, src, strlen(src));
        const code_script *m = &cb->scripts[sc->main_script];

        assert_int_equal(m->n, n);
        for (int k = 0; k < m->n; k++)
                assert_string_equal(m->lines[k].text, lines[k]);
        code_free(cb);
        scenario_free(sc);
}

/* A Value is named as Python names its number, `v.value`, in expressions, stores and a print's
 * holes; an Array, a var and the letter v inside a string are as written (an Array reads as
 * Python's Array does: items and len()). */
static void value_names(void **state)
{
        static const char values_text[] =
            "{\"lockstep\": 1, \"title\": \"Values\", \"summary\": \"Value.value.\",\n"
            " \"resources\": {\"v\": {\"type\": \"value\", \"ctype\": \"i\", \"value\": 0},\n"
            "   \"vv\": {\"type\": \"value\", \"ctype\": \"d\"},\n"
            "   \"a\": {\"type\": \"array\", \"ctype\": \"i\", \"size\": 3},\n"
            "   \"x\": {\"type\": \"var\", \"value\": 0}},\n"
            " \"actors\": [],\n"
            " \"main\": [\n"
            "   {\"store\": \"v\", \"value\": \"v + vv * (v - 1) + x + a[v]\"},\n"
            "   {\"store\": \"a[v]\", \"value\": \"len(a)\"},\n"
            "   {\"let\": \"t\", \"value\": \"'v' + str( v )\"},\n"
            "   {\"if\": \"v>vv\", \"then\": [{\"print\": \"v={v} {{v}} {vv + v}\"}]}]}\n";
        static const char *const lines[] = {
                "v.value = v.value + vv.value * (v.value - 1) + x + a[v.value]",
                "a[v.value] = len(a)",
                "t = 'v' + str( v.value )",
                "if v.value>vv.value:",
                "    print(f\"v={v.value} {{v}} {vv.value + v.value}\")",
        };

        (void)state;
        main_reads(values_text, lines, (int)(sizeof(lines) / sizeof(*lines)));
}

/* A pipe whose "ends" name its ends reads as Python's `parent_conn, child_conn = Pipe()`: each
 * end by its name, whichever way the statement named it. */
static void pipe_end_names(void **state)
{
        static const char pipe_text[] =
            "{\"lockstep\": 1, \"title\": \"Ends\", \"summary\": \"Named ends.\",\n"
            " \"resources\": {\"p\": {\"type\": \"pipe\", \"ends\": [\"parent_conn\", "
            "\"child_conn\"]}},\n"
            " \"actors\": [],\n"
            " \"main\": [{\"send\": \"parent_conn\", \"value\": 1}, {\"recv\": \"p.b\", \"into\": "
            "\"m\"},\n"
            "   {\"close\": \"child_conn\"}]}\n";
        static const char *const lines[] = {
                "parent_conn.send(1)",
                "m = child_conn.recv()",
                "child_conn.close()",
        };

        (void)state;
        main_reads(pipe_text, lines, (int)(sizeof(lines) / sizeof(*lines)));
}

/* A map's chunksize is Python's third argument. */
/* A group of count 0: its start and join read as loops over it (no members to compare). */
static void empty_group(void **state)
{
        static const char none_text[] =
            "{\"lockstep\": 1, \"title\": \"None\", \"summary\": \"No threads.\",\n"
            " \"actors\": [{\"name\": \"T-{i}\", \"group\": \"T\", \"count\": 0, \"start\": "
            "\"manual\", \"run\": [{\"print\": \"x\"}]}],\n"
            " \"main\": [{\"start\": \"T\"}, {\"join\": \"T\"}]}\n";
        scenario *sc;
        code_book *cb;
        const code_script *m;

        (void)state;
        sc = fixture_load_with(none_text, NULL);
        assert_int_equal(sc->nactors, 0);
        cb = code_new(sc, none_text, strlen(none_text));
        m = &cb->scripts[sc->main_script];
        assert_int_equal(m->n, 2);
        assert_string_equal(m->lines[0].text, "for t in T: t.start()");
        assert_string_equal(m->lines[1].text, "for t in T: t.join()");
        code_free(cb);
        scenario_free(sc);
}

static void pool_map_lines(void **state)
{
        static const char maps[] =
            "{\"lockstep\": 1, \"title\": \"Maps\", \"summary\": \"Chunks.\",\n"
            " \"resources\": {\"p\": {\"type\": \"pool\", \"workers\": 2}},\n"
            " \"actors\": [{\"name\": \"M\", \"run\": [\n"
            "   {\"map\": \"p\", \"fn\": \"lambda x: x * x\", \"over\": \"range(8)\", \"into\": "
            "\"r\"},\n"
            "   {\"starmap\": \"p\", \"fn\": \"lambda x, y: x + y\", \"over\": \"[(1, 2)]\",\n"
            "    \"chunksize\": 2, \"into\": \"s\"}]}]}\n";
        scenario *sc;
        code_book *cb;
        const code_script *m;

        (void)state;
        sc = fixture_load_with(maps, NULL);
        cb = code_new(sc, maps, strlen(maps));
        m = &cb->scripts[sc->actors[0].script];
        assert_int_equal(m->n, 2);
        assert_string_equal(m->lines[0].text, "r = p.map(lambda x: x * x, range(8))");
        assert_string_equal(m->lines[1].text, "s = p.starmap(lambda x, y: x + y, [(1, 2)], 2)");
        code_free(cb);
        scenario_free(sc);
}

/* Literals the file writes as JSON are shown as Python writes them: the pane shows Python. */
static void python_literals(void **state)
{
        static const char lits[] =
            "{\"lockstep\": 1, \"title\": \"Literals\", \"summary\": \"JSON values.\",\n"
            " \"resources\": {\"q\": {\"type\": \"queue\"}},\n"
            " \"actors\": [{\"name\": \"M\", \"run\": [\n"
            "   {\"let\": \"m\", \"value\": [\"Hello\", null, true, false, 2, 0.5, "
            "{\"k\": [1]}]},\n"
            "   {\"put\": \"q\", \"value\": null, \"timeout\": 1.5},\n"
            "   {\"let\": \"f\", \"value\": false},\n"
            "   {\"let\": \"s\", \"value\": \"'text'\"}]}]}\n";
        scenario *sc;
        code_book *cb;
        const code_script *m;

        (void)state;
        sc = fixture_load_with(lits, NULL);
        cb = code_new(sc, lits, strlen(lits));
        m = &cb->scripts[sc->actors[0].script];
        assert_int_equal(m->n, 4);
        assert_string_equal(m->lines[0].text,
                            "m = ['Hello', None, True, False, 2, 0.5, {'k': [1]}]");
        assert_string_equal(m->lines[1].text, "q.put(None, timeout=1.5)");
        assert_string_equal(m->lines[2].text, "f = False");
        /* an expression is shown as written */
        assert_string_equal(m->lines[3].text, "s = 'text'");
        code_free(cb);
        scenario_free(sc);
}

/* Every kind of statement has a line of its own Python: none falls back to its bare keyword (a
 * barrier's abort once read "abort"). The kinds are counted, so a new kind needs a line here. */
static const char every_text[] =
    "{\"lockstep\": 1, \"title\": \"Every\", \"summary\": \"One statement of each kind.\",\n"
    " \"resources\": {\"l\": {\"type\": \"lock\"}, \"e\": {\"type\": \"event\"},\n"
    "   \"c\": {\"type\": \"condition\"}, \"b\": {\"type\": \"barrier\", \"parties\": 2},\n"
    "   \"q\": {\"type\": \"queue\"}, \"p\": {\"type\": \"pipe\"}, \"xs\": {\"type\": \"list\"},\n"
    "   \"v\": {\"type\": \"var\", \"value\": 0}, \"pl\": {\"type\": \"pool\", \"workers\": 2}},\n"
    " \"actors\": [{\"name\": \"T\", \"start\": \"manual\", \"run\": [{\"crash\": \"abort\"}]}],\n"
    " \"main\": [\n"
    "   {\"acquire\": \"l\", \"timeout\": 1, \"into\": \"ok\"}, {\"release\": \"l\"},\n"
    "   {\"with\": \"c\", \"do\": [{\"wait\": \"c\"}, {\"wait_for\": \"c\", \"until\": \"v > "
    "0\"},\n"
    "     {\"notify\": \"c\", \"n\": 2}, {\"notify_all\": \"c\"}]},\n"
    "   {\"set\": \"e\"}, {\"clear\": \"e\"}, {\"abort\": \"b\"}, {\"reset\": \"b\"},\n"
    "   {\"put\": \"q\", \"value\": \"v\"}, {\"get\": \"q\", \"into\": \"g\"},\n"
    "   {\"send\": \"p.a\", \"value\": \"g\"}, {\"recv\": \"p.b\", \"into\": \"m\"},\n"
    "   {\"close\": \"p.a\"}, {\"append\": \"xs\", \"value\": 1},\n"
    "   {\"pop\": \"xs\", \"at\": 0, \"into\": \"y\"}, {\"store\": \"v\", \"value\": \"y\"},\n"
    "   {\"let\": \"t\", \"value\": 2}, {\"print\": \"{t}\"}, {\"sleep\": 1}, {\"work\": 3},\n"
    "   {\"while\": \"t > 0\", \"do\": [{\"break\": true}]},\n"
    "   {\"repeat\": 2, \"as\": \"k\", \"do\": [{\"if\": \"k\", \"then\": [{\"start\": "
    "\"T\"}]}]},\n"
    "   {\"for\": \"z\", \"in\": \"xs\", \"do\": [{\"join\": \"T\"}]},\n"
    "   {\"map\": \"pl\", \"fn\": \"lambda x: x\", \"over\": \"xs\", \"into\": \"r\"},\n"
    "   {\"starmap\": \"pl\", \"fn\": \"lambda x, y: x\", \"over\": \"[(1, 2)]\", \"into\": "
    "\"s\"},\n"
    "   {\"assert\": \"r == xs\"}, {\"crash\": \"exit\", \"code\": 3}]}\n";

static const char *const every_want[] = {
        "ok = l.acquire(timeout=1)",
        "l.release()",
        "with c:",
        "    c.wait()",
        "    c.wait_for(lambda: v > 0)",
        "    c.notify(2)",
        "    c.notify_all()",
        "e.set()",
        "e.clear()",
        "b.abort()",
        "b.reset()",
        "q.put(v)",
        "g = q.get()",
        "p.a.send(g)",
        "m = p.b.recv()",
        "p.a.close()",
        "xs.append(1)",
        "y = xs.pop(0)",
        "v = y",
        "t = 2",
        "print(f\"{t}\")",
        "time.sleep(1)",
        "work(3)  # busy on the CPU",
        "while t > 0:",
        "    break",
        "for k in range(2):",
        "    if k:",
        "        T.start()",
        "for z in xs:",
        "    T.join()",
        "r = pl.map(lambda x: x, xs)",
        "s = pl.starmap(lambda x, y: x, [(1, 2)])",
        "assert r == xs",
        "os._exit(3)",
};

static void count_kinds(const sc_block *b, int *seen)
{
        for (int k = 0; k < b->n; k++) {
                seen[b->stmts[k].kind]++;
                count_kinds(&b->stmts[k].body, seen);
                count_kinds(&b->stmts[k].orelse, seen);
        }
}

static void every_kind(void **state)
{
        scenario *sc;
        code_book *cb;
        const code_script *m;
        int seen[SC_STMT_KIND_COUNT] = { 0 };

        (void)state;
        sc = fixture_load_with(every_text, NULL);
        for (int k = 0; k < sc->nscripts; k++)
                count_kinds(&sc->scripts[k].body, seen);
        for (int k = 0; k < SC_STMT_KIND_COUNT; k++)
                if (seen[k] == 0)
                        fail_msg("no statement of kind %s", scenario_stmt_keyword((sc_stmt_kind)k));
        cb = code_new(sc, every_text, strlen(every_text));
        assert_string_equal(cb->scripts[sc->actors[0].script].lines[0].text, "os.abort()");
        m = &cb->scripts[sc->main_script];
        assert_int_equal(m->n, (int)(sizeof(every_want) / sizeof(*every_want)));
        for (int k = 0; k < m->n; k++)
                assert_string_equal(m->lines[k].text, every_want[k]);
        code_free(cb);
        scenario_free(sc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(python_like),    cmocka_unit_test(pool_map_lines),
                cmocka_unit_test(empty_group),    cmocka_unit_test(python_literals),
                cmocka_unit_test(every_kind),     cmocka_unit_test(value_names),
                cmocka_unit_test(pipe_end_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
