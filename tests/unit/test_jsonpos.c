/*
 * test_jsonpos.c — positions of cJSON values in their text, UTF-8 checks, depth limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/jsonpos.h"
#include "util/strbuf.h"

static void check_value_at(const jsonpos *p, const cJSON *it, int line, int col)
{
        int l, c;

        jsonpos_value(p, it, &l, &c);
        assert_int_equal(l, line);
        assert_int_equal(c, col);
}

static void check_key_at(const jsonpos *p, const cJSON *it, int line, int col)
{
        int l, c;

        jsonpos_key(p, it, &l, &c);
        assert_int_equal(l, line);
        assert_int_equal(c, col);
}

static void test_values_and_keys(void **state)
{
        const char *text = "{\n"
                           "  \"a\": 1,\n"
                           "  \"b\": [true, {\"c\": \"x\"}],\n"
                           "  \"d\": null\n"
                           "}\n";
        cJSON *root = cJSON_Parse(text);
        long deep;
        jsonpos *p = jsonpos_build(text, strlen(text), root, 64, &deep);
        cJSON *a = cJSON_GetObjectItem(root, "a"), *b = cJSON_GetObjectItem(root, "b");
        cJSON *c = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 1), "c");

        (void)state;
        assert_non_null(p);
        assert_int_equal(deep, -1);
        check_value_at(p, root, 1, 1);
        check_value_at(p, a, 2, 8);
        check_key_at(p, a, 2, 3);
        check_value_at(p, b, 3, 8);
        check_value_at(p, cJSON_GetArrayItem(b, 0), 3, 9);
        check_value_at(p, cJSON_GetArrayItem(b, 1), 3, 15);
        check_key_at(p, c, 3, 16);
        check_value_at(p, c, 3, 21);
        check_value_at(p, cJSON_GetObjectItem(root, "d"), 4, 8);
        /* a value that is not in the tree */
        check_value_at(p, NULL, 0, 0);
        jsonpos_free(p);
        cJSON_Delete(root);
}

static void test_columns_count_characters(void **state)
{
        /* "가" is three bytes but one column. */
        const char *text = "{\"가나\": 5}";
        cJSON *root = cJSON_Parse(text);
        long deep;
        jsonpos *p = jsonpos_build(text, strlen(text), root, 64, &deep);

        (void)state;
        check_value_at(p, root->child, 1, 8);
        jsonpos_free(p);
        cJSON_Delete(root);
}

static void test_in_string_with_escapes(void **state)
{
        /* decoded: a"b<TAB>é c   — offset 6 is 'c' (é is two bytes) */
        const char *text = "[\"a\\\"b\\t\\u00e9 c\"]";
        cJSON *root = cJSON_Parse(text);
        long deep;
        jsonpos *p = jsonpos_build(text, strlen(text), root, 64, &deep);
        int l, c;

        (void)state;
        assert_string_equal(root->child->valuestring, "a\"b\t\xc3\xa9 c");
        jsonpos_in_string(p, root->child, 0, &l, &c);
        assert_int_equal(c, 3);
        jsonpos_in_string(p, root->child, 3, &l, &c); /* the tab */
        assert_int_equal(c, 7);
        jsonpos_in_string(p, root->child, 7, &l, &c); /* 'c' */
        assert_int_equal(c, 16);
        jsonpos_free(p);
        cJSON_Delete(root);
}

static void test_raw_numbers(void **state)
{
        const char *text = "[5, 5.0, 12345678901234567890]";
        cJSON *root = cJSON_Parse(text);
        long deep;
        jsonpos *p = jsonpos_build(text, strlen(text), root, 64, &deep);
        size_t n;
        const char *raw;

        (void)state;
        raw = jsonpos_raw(p, cJSON_GetArrayItem(root, 0), &n);
        assert_int_equal(n, 1);
        assert_memory_equal(raw, "5", 1);
        raw = jsonpos_raw(p, cJSON_GetArrayItem(root, 1), &n);
        assert_int_equal(n, 3);
        raw = jsonpos_raw(p, cJSON_GetArrayItem(root, 2), &n);
        assert_int_equal(n, 20);
        jsonpos_free(p);
        cJSON_Delete(root);
}

static void test_depth_limit(void **state)
{
        char text[200];
        cJSON *root;
        long deep;
        jsonpos *p;

        (void)state;
        memset(text, '[', 70);
        memset(text + 70, ']', 70);
        text[140] = '\0';
        root = cJSON_Parse(text);
        assert_non_null(root);
        p = jsonpos_build(text, strlen(text), root, 64, &deep);
        assert_non_null(p);
        assert_int_equal(deep, 64); /* the 65th '[' is at offset 64 */
        jsonpos_free(p);
        cJSON_Delete(root);
}

static void test_linecol(void **state)
{
        int l, c;

        (void)state;
        jsonpos_linecol("ab\ncd\n", 6, 4, &l, &c);
        assert_int_equal(l, 2);
        assert_int_equal(c, 2);
        jsonpos_linecol("ab", 2, 99, &l, &c); /* clamps to the end */
        assert_int_equal(l, 1);
        assert_int_equal(c, 3);
}

/* A long text, some lines of it several kilobytes and with characters of three bytes: every
 * value's position (found from the marks kept every few kilobytes) is the one counted from the
 * start. */
static void test_long_text(void **state)
{
        strbuf t = STRBUF_INIT;
        cJSON *root;
        jsonpos *p;
        long deep;
        int n = 0;

        (void)state;
        strbuf_puts(&t, "[");
        for (int k = 0; k < 6000; k++)
                strbuf_printf(&t, "%s\"가%d\"%s", k ? ", " : "", k, k % 700 == 0 ? "\n" : "");
        strbuf_puts(&t, "]");
        root = cJSON_Parse(strbuf_str(&t));
        assert_non_null(root);
        p = jsonpos_build(strbuf_str(&t), t.len, root, 64, &deep);
        assert_non_null(p);
        for (const cJSON *it = root->child; it != NULL; it = it->next, n++) {
                int l, c, wl, wc;

                jsonpos_value(p, it, &l, &c);
                jsonpos_linecol(strbuf_str(&t), t.len, (size_t)jsonpos_value_offset(p, it), &wl,
                                &wc);
                assert_int_equal(l, wl);
                assert_int_equal(c, wc);
        }
        assert_int_equal(n, 6000);
        assert_true(t.len > 8 * 4096);
        jsonpos_free(p);
        cJSON_Delete(root);
        strbuf_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values_and_keys),
                cmocka_unit_test(test_columns_count_characters),
                cmocka_unit_test(test_in_string_with_escapes),
                cmocka_unit_test(test_raw_numbers),
                cmocka_unit_test(test_depth_limit),
                cmocka_unit_test(test_linecol),
                cmocka_unit_test(test_long_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
