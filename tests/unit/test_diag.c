/*
 * test_diag.c — the diagnostics list: format, cap, suggestions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/diag.h"

/* What diag_print writes for D (free() it). */
static char *printed(const diag *d)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        diag_print(d, f);
        fclose(f);
        return buf;
}

static void test_format_and_cap(void **state)
{
        diag d;
        char *buf;

        (void)state;
        diag_init(&d, 2);
        diag_error(&d, "a.json", 3, 7, "unknown key '%s'", "x");
        diag_error(&d, "a.json", 0, 0, "cannot open");
        diag_error(&d, "a.json", 9, 1, "dropped");
        assert_int_equal(diag_count(&d), 3);
        assert_true(diag_full(&d));
        buf = printed(&d);
        assert_string_equal(buf, "a.json:3:7: error: unknown key 'x'\n"
                                 "a.json: error: cannot open\n"
                                 "a.json: note: 1 more error not shown\n");
        free(buf);
        diag_free(&d);
}

/* A message may quote scenario text: diag_print never lets its control characters through. */
static void test_print_escapes(void **state)
{
        diag d;
        char *buf;

        (void)state;
        diag_init(&d, 1);
        diag_error(&d, "e\x1b]0;x\a.json", 2, 5, "no actor named '%s'", "E\x1b[2J\nX\xc2\x9b");
        diag_error(&d, "-", 0, 0, "dropped");
        buf = printed(&d);
        assert_string_equal(buf, "e\\x1b]0;x\\x07.json:2:5: error: no actor named "
                                 "'E\\x1b[2J\\nX\\u009b'\n"
                                 "e\\x1b]0;x\\x07.json: note: 1 more error not shown\n");
        free(buf);
        diag_free(&d);
}

static void test_suggest(void **state)
{
        const char *const types[] = { "lock", "rlock", "semaphore", "bounded_semaphore", "event" };

        (void)state;
        assert_string_equal(diag_suggest("semaphor", types, 5), "semaphore");
        assert_string_equal(diag_suggest("evnet", types, 5), "event"); /* transposition */
        assert_string_equal(diag_suggest("lokc", types, 5), "lock");
        assert_null(diag_suggest("banana", types, 5));
        assert_null(diag_suggest("x", NULL, 0));
        /* never an empty name, nor the word itself, nor anything for an empty word */
        {
                const char *const odd[] = { "", "ab", "lock" };

                assert_null(diag_suggest("x", odd, 1));
                assert_string_equal(diag_suggest("a", odd, 2), "ab");
                assert_null(diag_suggest("lock", odd + 2, 1));
                assert_null(diag_suggest("", odd, 3));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_and_cap),
                cmocka_unit_test(test_print_escapes),
                cmocka_unit_test(test_suggest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
