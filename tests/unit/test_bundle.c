/*
 * test_bundle.c — finding and listing scenario files: a folder's .json files in order
 * (bundle_scan, what `lockstep check FOLDER` checks), the bundle with each file's title
 * (bundle_open, the browser's and `lockstep list`'s), and the data folder from the environment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/bundle.h"
#include "util/strbuf.h"

static const char good[] = "{ \"lockstep\": 1, \"title\": \"T\", \"summary\": \"S\", \"tags\": "
                           "[\"a\", \"b\"], \"actors\": [], \"main\": [ { \"print\": \"hi\" } ] }";

/* A fresh folder for one test (removed by its teardown). */
static int setup(void **state)
{
        char *dir = strdup("/tmp/test_bundle.XXXXXX");

        if (dir == NULL || mkdtemp(dir) == NULL)
                return -1;
        *state = dir;
        return 0;
}

static int teardown(void **state)
{
        strbuf cmd = STRBUF_INIT;
        int rc;

        strbuf_printf(&cmd, "rm -rf '%s'", (char *)*state);
        rc = system(strbuf_str(&cmd));
        strbuf_free(&cmd);
        free(*state);
        return rc == 0 ? 0 : -1;
}

static void put(const char *dir, const char *rel, const char *text)
{
        strbuf p = STRBUF_INIT;
        FILE *f;

        strbuf_printf(&p, "%s/%s", dir, rel);
        f = fopen(strbuf_str(&p), "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        strbuf_free(&p);
}

static void folder(const char *dir, const char *rel)
{
        strbuf p = STRBUF_INIT;

        strbuf_printf(&p, "%s/%s", dir, rel);
        assert_int_equal(mkdir(strbuf_str(&p), 0700), 0);
        strbuf_free(&p);
}

/* Every .json at any depth, sorted by its path under the folder; dot names and other files out. */
static void test_scan(void **state)
{
        const char *dir = *state;
        const char *want[] = { "a.json", "b/c.json", "b/d/e.json", "z.json" };
        char err[256];
        bundle b;
        strbuf p = STRBUF_INIT;

        folder(dir, "b");
        folder(dir, "b/d");
        folder(dir, ".git");
        put(dir, "z.json", "{");
        put(dir, "a.json", good);
        put(dir, "b/c.json", "");
        put(dir, "b/d/e.json", good);
        put(dir, "b/notes.txt", "x");
        put(dir, ".hidden.json", good);
        put(dir, ".git/f.json", good);
        put(dir, "json", good);
        assert_int_equal(bundle_scan(&b, dir, err, sizeof(err)), 0);
        assert_int_equal(b.n, 4);
        for (size_t k = 0; k < b.n; k++) {
                strbuf_reset(&p);
                strbuf_printf(&p, "%s/%s", dir, want[k]);
                assert_string_equal(b.entries[k].rel, want[k]);
                assert_string_equal(b.entries[k].path, strbuf_str(&p));
                assert_null(b.entries[k].title); /* listed, not loaded */
        }
        assert_string_equal(b.dir, dir);
        bundle_close(&b);

        /* DIR/ and DIR// give the same paths */
        strbuf_reset(&p);
        strbuf_printf(&p, "%s//", dir);
        assert_int_equal(bundle_scan(&b, strbuf_str(&p), err, sizeof(err)), 0);
        assert_int_equal(b.n, 4);
        strbuf_reset(&p);
        strbuf_printf(&p, "%s/a.json", dir);
        assert_string_equal(b.entries[0].path, strbuf_str(&p));
        bundle_close(&b);
        strbuf_free(&p);
}

static void test_scan_not_a_folder(void **state)
{
        const char *dir = *state;
        char err[256] = "";
        bundle b;
        strbuf p = STRBUF_INIT;

        put(dir, "a.json", good);
        strbuf_printf(&p, "%s/a.json", dir);
        assert_int_equal(bundle_scan(&b, strbuf_str(&p), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "a.json: "));
        bundle_close(&b); /* empty: closing it is safe */
        strbuf_reset(&p);
        strbuf_printf(&p, "%s/none", dir);
        assert_int_equal(bundle_scan(&b, strbuf_str(&p), err, sizeof(err)), -1);
        bundle_close(&b);
        /* an empty folder is a folder with nothing in it */
        folder(dir, "empty");
        strbuf_reset(&p);
        strbuf_printf(&p, "%s/empty", dir);
        assert_int_equal(bundle_scan(&b, strbuf_str(&p), err, sizeof(err)), 0);
        assert_int_equal(b.n, 0);
        bundle_close(&b);
        strbuf_free(&p);
}

/* The bundle: DIR/scenarios, each file loaded for its title, summary and tags. */
static void test_open(void **state)
{
        const char *dir = *state;
        char err[256] = "";
        bundle b;

        assert_int_equal(bundle_open(&b, dir, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "scenarios"));
        folder(dir, "scenarios");
        folder(dir, "scenarios/seed");
        put(dir, "scenarios/seed/01.json", good);
        put(dir, "scenarios/seed/02.json", "{ \"lockstep\": 1 ");
        assert_int_equal(bundle_open(&b, dir, err, sizeof(err)), 0);
        assert_int_equal(b.n, 2);
        assert_string_equal(b.entries[0].rel, "seed/01.json");
        assert_string_equal(b.entries[0].title, "T");
        assert_string_equal(b.entries[0].summary, "S");
        assert_string_equal(b.entries[0].tags, "a,b");
        assert_string_equal(b.entries[1].rel, "seed/02.json");
        assert_null(b.entries[1].title); /* does not load */
        assert_string_equal(b.entries[1].tags, "");
        bundle_close(&b);
}

/* LOCKSTEP_DATA_DIR names the data folder when it holds scenarios/, and only then. */
static void test_data_dir(void **state)
{
        const char *dir = *state;
        char *d;

        setenv("LOCKSTEP_DATA_DIR", dir, 1);
        assert_null(bundle_data_dir());
        folder(dir, "scenarios");
        d = bundle_data_dir();
        assert_non_null(d);
        assert_string_equal(d, dir);
        free(d);
        unsetenv("LOCKSTEP_DATA_DIR");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_not_a_folder, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open, setup, teardown),
                cmocka_unit_test_setup_teardown(test_data_dir, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
