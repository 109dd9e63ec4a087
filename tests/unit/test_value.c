/*
 * test_value.c — values: Python printing, equality and ordering, dict keys, copy-on-write,
 * limits, and reference counts shared between threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first: a block of its own keeps clang-format from
 * sorting it before them. */
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/value.h"

static char text[4096];

/* repr() of V, which is dropped. */
static const char *repr(value v)
{
        strbuf sb = STRBUF_INIT;

        value_repr(v, &sb);
        snprintf(text, sizeof text, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
        value_drop(&v);
        return text;
}

/* str() of V, which is dropped. */
static const char *str(value v)
{
        strbuf sb = STRBUF_INIT;

        value_print(v, &sb);
        snprintf(text, sizeof text, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
        value_drop(&v);
        return text;
}

static value list_of_ints(int n, ...)
{
        value l = value_list();
        va_list ap;

        va_start(ap, n);
        for (int i = 0; i < n; i++)
                assert_int_equal(value_list_append(&l, value_int(va_arg(ap, int)), NULL, 0), 0);
        va_end(ap);
        return l;
}

static void test_scalars(void **state)
{
        (void)state;
        assert_string_equal(repr(value_none()), "None");
        assert_string_equal(repr(value_bool(true)), "True");
        assert_string_equal(repr(value_bool(false)), "False");
        assert_string_equal(repr(value_int(0)), "0");
        assert_string_equal(repr(value_int(-42)), "-42");
        assert_string_equal(repr(value_int(INT64_MIN)), "-9223372036854775808");
        assert_string_equal(repr(value_int(INT64_MAX)), "9223372036854775807");
        assert_string_equal(value_type_name(VALUE_NONE), "NoneType");
        assert_string_equal(value_type_name(VALUE_BOOL), "bool");
        assert_string_equal(value_type_name(VALUE_INT), "int");
        assert_string_equal(value_type_name(VALUE_FLOAT), "float");
        assert_string_equal(value_type_name(VALUE_STR), "str");
        assert_string_equal(value_type_name(VALUE_LIST), "list");
        assert_string_equal(value_type_name(VALUE_TUPLE), "tuple");
        assert_string_equal(value_type_name(VALUE_DICT), "dict");
        assert_string_equal(value_type_name(VALUE_FUNC), "function");
}

/* value_int_text (blocks of eight digits, two a step) against printf: every number of up to
 * five digits, both signs, each power of ten and its neighbours, 2**32's, the ends of int64,
 * and 200,000 numbers spread over every length; nothing written past the text. */
/* A C int (ctype 'i') keeps the low 32 bits, two's complement, as ctypes does. */
static void test_c_int(void **state)
{
        (void)state;
        assert_int_equal(value_c_int(0), 0);
        assert_int_equal(value_c_int(2147483647), 2147483647);
        assert_int_equal(value_c_int(2147483648LL), -2147483648LL);
        assert_int_equal(value_c_int(-2147483648LL), -2147483648LL);
        assert_int_equal(value_c_int(-2147483649LL), 2147483647);
        assert_int_equal(value_c_int(5000000000LL), 705032704);
        assert_int_equal(value_c_int(-5000000000LL), -705032704);
        assert_int_equal(value_c_int(INT64_MIN), 0);
        assert_int_equal(value_c_int(INT64_MAX), -1);
}

static void test_int_text(void **state)
{
        char buf[VALUE_INT_TEXT], want[32];
        int64_t edges[] = { INT64_MIN,   INT64_MIN + 1, INT64_MAX,    INT64_MAX - 1,
                            4294967295,  4294967296,    4294967297,   -4294967295,
                            -4294967296, -4294967297,   429496729600, -429496729599 };
        size_t n;
        const char *p;

        (void)state;
        for (int64_t i = -100000; i <= 100000; i++) {
                memset(buf, 'x', sizeof(buf));
                p = value_int_text(i, buf, &n);
                snprintf(want, sizeof(want), "%lld", (long long)i);
                assert_int_equal(n, strlen(want));
                assert_memory_equal(p, want, n);
                assert_int_equal(buf[n], 'x');
        }
        for (uint64_t t = 10; t <= 1000000000000000000ull; t *= 10)
                for (int d = -1; d <= 1; d++)
                        for (int sign = -1; sign <= 1; sign += 2) {
                                int64_t i = sign * ((int64_t)t + d);

                                p = value_int_text(i, buf, &n);
                                snprintf(want, sizeof(want), "%lld", (long long)i);
                                assert_int_equal(n, strlen(want));
                                assert_memory_equal(p, want, n);
                        }
        {
                uint64_t x = 88172645463325252ull; /* xorshift64 */

                for (int k = 0; k < 200000; k++) {
                        int64_t i;

                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        /* a length from 1 to 19 digits: the top bits shifted away */
                        i = (int64_t)(x >> (k % 61 + 1));
                        if (k & 1)
                                i = -i;
                        memset(buf, 'x', sizeof(buf));
                        p = value_int_text(i, buf, &n);
                        snprintf(want, sizeof(want), "%lld", (long long)i);
                        assert_int_equal(n, strlen(want));
                        assert_memory_equal(p, want, n);
                        if (n < sizeof(buf))
                                assert_int_equal(buf[n], 'x');
                }
        }
        for (size_t k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
                p = value_int_text(edges[k], buf, &n);
                snprintf(want, sizeof(want), "%lld", (long long)edges[k]);
                assert_int_equal(n, strlen(want));
                assert_memory_equal(p, want, n);
                assert_string_equal(repr(value_int(edges[k])), want);
        }
}

/* value_claim takes a reference only from an object no one else holds. */
static void test_claim(void **state)
{
        static const int fn;
        value kept = value_func(&fn), other;

        (void)state;
        assert_false(value_claim(value_int(1)));
        assert_true(value_claim(kept)); /* now two: the caller's and the claimer's */
        assert_false(value_claim(kept));
        other = kept;
        value_drop(&other); /* back to one */
        assert_true(value_claim(kept));
        other = value_ref(kept);
        assert_false(value_claim(kept)); /* three */
        value_drop(&other);
        assert_false(value_claim(kept)); /* two */
        other = kept;
        value_drop(&other);
        value_drop(&kept); /* the last: ASan would see it freed twice or leaked */
}

static void test_float_repr(void **state)
{
        static const struct {
                double f;
                const char *want;
        } cases[] = {
                { 0.1, "0.1" },
                { 1.0 / 3.0, "0.3333333333333333" },
                { 2.0 / 3.0, "0.6666666666666666" },
                { 0.1 + 0.2, "0.30000000000000004" },
                { 1.0, "1.0" },
                { 100.0, "100.0" },
                { 101.0, "101.0" },
                { 1.5, "1.5" },
                { -2.5, "-2.5" },
                { 1e15, "1000000000000000.0" },
                { 1e16, "1e+16" },
                { 1.5e16, "1.5e+16" },
                { 123456789012345678.0, "1.2345678901234568e+17" },
                { 1e22, "1e+22" },
                { 0.0001, "0.0001" },
                { 1e-5, "1e-05" },
                { 1.5e-5, "1.5e-05" },
                { 0.00012345, "0.00012345" },
                { 5e-324, "5e-324" },
                { 1.7976931348623157e308, "1.7976931348623157e+308" },
                { 9007199254740993.0, "9007199254740992.0" },
                { 0.0, "0.0" },
                { -0.0, "-0.0" },
                { INFINITY, "inf" },
                { -INFINITY, "-inf" },
                { NAN, "nan" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                assert_string_equal(repr(value_float(cases[i].f)), cases[i].want);
        assert_string_equal(str(value_float(0.1)), "0.1");
}

static void test_str_repr(void **state)
{
        (void)state;
        assert_string_equal(repr(value_cstr("abc")), "'abc'");
        assert_string_equal(repr(value_cstr("")), "''");
        assert_string_equal(repr(value_cstr("it's")), "\"it's\"");
        assert_string_equal(repr(value_cstr("say \"hi\"")), "'say \"hi\"'");
        assert_string_equal(repr(value_cstr("both ' and \"")), "'both \\' and \"'");
        assert_string_equal(repr(value_cstr("a\nb\tc\rd")), "'a\\nb\\tc\\rd'");
        assert_string_equal(repr(value_cstr("back\\slash")), "'back\\\\slash'");
        assert_string_equal(repr(value_cstr("\x01\x1f\x7f")), "'\\x01\\x1f\\x7f'");
        assert_string_equal(repr(value_str("a\0b", 3)), "'a\\x00b'");
        assert_string_equal(repr(value_cstr("h\xc3\xa9llo")), "'h\xc3\xa9llo'"); /* é */
        assert_string_equal(repr(value_cstr("\xc2\x85")), "'\\x85'");            /* U+0085 */
        assert_string_equal(repr(value_cstr("\xe2\x80\xa8")), "'\\u2028'");      /* U+2028 */
        assert_string_equal(repr(value_cstr("\xf0\x9f\x99\x82")), "'\xf0\x9f\x99\x82'"); /* 🙂 */
        assert_string_equal(repr(value_cstr("bad\xff")), "'bad\\xff'");
        /* runs of plain characters broken at either end and in the middle, by every kind of
         * character that is not plain */
        assert_string_equal(repr(value_cstr("\\ab\\")), "'\\\\ab\\\\'");
        assert_string_equal(repr(value_cstr("'a'b\"")), "'\\'a\\'b\"'");
        assert_string_equal(repr(value_cstr("\"x\"")), "'\"x\"'");
        assert_string_equal(repr(value_cstr("ab\x7f~ \x1f!")), "'ab\\x7f~ \\x1f!'");
        assert_string_equal(repr(value_cstr("x\xc3\xa9y\xe2\x80\xa8z\xff")),
                            "'x\xc3\xa9y\\u2028z\\xff'");
        assert_string_equal(repr(value_str("\0", 1)), "'\\x00'");
        assert_string_equal(repr(value_cstr(" ")), "' '");
        /* plain texts on both sides of the length written in one append (62), and one with
         * a quote at the end that takes the other way */
        for (size_t n = 0; n <= 70; n++) {
                char t[80], want[90];

                memset(t, n % 2 ? '"' : 'm', n);
                snprintf(want, sizeof want, "'%.*s'", (int)n, t);
                assert_string_equal(repr(value_str(t, n)), want);
                if (n == 0)
                        continue;
                t[n - 1] = '\'';
                if (n % 2 && n > 1) /* both quotes: in single ones, that one escaped */
                        snprintf(want, sizeof want, "'%.*s\\''", (int)n - 1, t);
                else /* a single quote only: in double ones */
                        snprintf(want, sizeof want, "\"%.*s'\"", (int)n - 1, t);
                assert_string_equal(repr(value_str(t, n)), want);
        }
        {
                char long_text[1000], want[1100];

                memset(long_text, 'm', sizeof long_text);
                long_text[500] = '\n';
                snprintf(want, sizeof want, "'%.500s\\n%.499s'", long_text, long_text);
                assert_string_equal(repr(value_str(long_text, sizeof long_text)), want);
        }
        /* str() prints a string raw. */
        assert_string_equal(str(value_cstr("it's\n")), "it's\n");
}

static void test_container_repr(void **state)
{
        value items[3];
        value l, d;

        (void)state;
        assert_string_equal(repr(value_list()), "[]");
        assert_string_equal(repr(value_tuple(NULL, 0)), "()");
        assert_string_equal(repr(value_dict()), "{}");

        items[0] = value_int(1);
        assert_string_equal(repr(value_tuple(items, 1)), "(1,)");
        items[1] = value_cstr("a");
        assert_string_equal(repr(value_tuple(items, 2)), "(1, 'a')");
        value_drop(&items[1]);

        l = value_list();
        assert_int_equal(value_list_append(&l, value_float(1.0), NULL, 0), 0);
        assert_int_equal(value_list_append(&l, value_float(101.0), NULL, 0), 0);
        assert_string_equal(repr(value_ref(l)), "[1.0, 101.0]");
        assert_string_equal(str(value_ref(l)), "[1.0, 101.0]");

        d = value_dict();
        assert_int_equal(value_dict_set(&d, value_cstr("id"), value_int(1), NULL, 0), 0);
        assert_int_equal(value_dict_set(&d, value_cstr("name"), value_cstr("Python"), NULL, 0), 0);
        assert_string_equal(repr(value_ref(d)), "{'id': 1, 'name': 'Python'}");
        /* str() of a container shows its strings with repr. */
        assert_string_equal(str(value_ref(d)), "{'id': 1, 'name': 'Python'}");

        assert_int_equal(value_list_append(&l, d, NULL, 0), 0);
        assert_int_equal(value_list_append(&l, value_none(), NULL, 0), 0);
        assert_int_equal(value_list_append(&l, value_bool(true), NULL, 0), 0);
        assert_string_equal(repr(l), "[1.0, 101.0, {'id': 1, 'name': 'Python'}, None, True]");

        assert_string_equal(repr(value_func(&items)), "<function <lambda>>");
        assert_string_equal(str(value_func(&items)), "<function <lambda>>");
}

static void test_truthy(void **state)
{
        value v;

        (void)state;
        assert_false(value_truthy(value_none()));
        assert_false(value_truthy(value_bool(false)));
        assert_true(value_truthy(value_bool(true)));
        assert_false(value_truthy(value_int(0)));
        assert_true(value_truthy(value_int(-1)));
        assert_false(value_truthy(value_float(0.0)));
        assert_false(value_truthy(value_float(-0.0)));
        assert_true(value_truthy(value_float(NAN)));
        v = value_cstr("");
        assert_false(value_truthy(v));
        value_drop(&v);
        v = value_cstr("x");
        assert_true(value_truthy(v));
        value_drop(&v);
        v = value_list();
        assert_false(value_truthy(v));
        value_drop(&v);
        v = list_of_ints(1, 0);
        assert_true(value_truthy(v));
        value_drop(&v);
        v = value_dict();
        assert_false(value_truthy(v));
        value_drop(&v);
        v = value_func(&v);
        assert_true(value_truthy(v));
        value_drop(&v);
}

static void test_equal(void **state)
{
        value a, b, t;
        value items[1];

        (void)state;
        assert_true(value_equal(value_int(1), value_float(1.0)));
        assert_true(value_equal(value_int(1), value_bool(true)));
        assert_true(value_equal(value_float(0.0), value_bool(false)));
        assert_true(value_equal(value_float(-0.0), value_int(0)));
        assert_false(value_equal(value_int(1), value_float(1.5)));
        assert_false(value_equal(value_float(NAN), value_float(NAN)));
        assert_true(value_equal(value_none(), value_none()));
        assert_false(value_equal(value_none(), value_int(0)));
        /* 2**53 + 1 is not equal to the nearest double (Python compares exactly). */
        assert_false(value_equal(value_int(9007199254740993), value_float(9007199254740992.0)));
        assert_true(value_equal(value_int(9007199254740992), value_float(9007199254740992.0)));
        assert_false(value_equal(value_int(INT64_MAX), value_float(9223372036854775808.0)));

        a = value_cstr("abc");
        b = value_cstr("abc");
        assert_true(value_equal(a, b));
        value_drop(&b);
        b = value_cstr("abd");
        assert_false(value_equal(a, b));
        assert_false(value_equal(a, value_int(1)));
        value_drop(&a);
        value_drop(&b);

        a = list_of_ints(2, 1, 2);
        b = value_list();
        assert_int_equal(value_list_append(&b, value_float(1.0), NULL, 0), 0);
        assert_int_equal(value_list_append(&b, value_bool(false), NULL, 0), 0);
        assert_false(value_equal(a, b));
        assert_int_equal(value_list_set(&b, 1, value_int(2), NULL, 0), 0);
        assert_true(value_equal(a, b));
        items[0] = value_int(1);
        t = value_tuple(items, 1);
        assert_false(value_equal(t, a)); /* a tuple is never equal to a list */
        value_drop(&t);
        value_drop(&a);
        value_drop(&b);

        /* Dicts compare by content, not order. */
        a = value_dict();
        b = value_dict();
        assert_int_equal(value_dict_set(&a, value_cstr("x"), value_int(1), NULL, 0), 0);
        assert_int_equal(value_dict_set(&a, value_cstr("y"), value_int(2), NULL, 0), 0);
        assert_int_equal(value_dict_set(&b, value_cstr("y"), value_float(2.0), NULL, 0), 0);
        assert_int_equal(value_dict_set(&b, value_cstr("x"), value_int(1), NULL, 0), 0);
        assert_true(value_equal(a, b));
        assert_int_equal(value_dict_set(&b, value_cstr("x"), value_int(3), NULL, 0), 0);
        assert_false(value_equal(a, b));
        value_drop(&a);
        value_drop(&b);

        /* Functions are equal when they are the same lambda. */
        a = value_func(&t);
        b = value_func(&t);
        assert_true(value_equal(a, b));
        value_drop(&b);
        b = value_func(&a);
        assert_false(value_equal(a, b));
        value_drop(&a);
        value_drop(&b);
}

static int cmp_of(value a, value b, const char *op, char *err)
{
        int cmp = 99;

        if (value_compare_op(a, b, op, &cmp, err, 200) < 0)
                cmp = -99;
        value_drop(&a);
        value_drop(&b);
        return cmp;
}

static void test_compare(void **state)
{
        char err[200];
        value items[2];

        (void)state;
        assert_int_equal(cmp_of(value_int(1), value_int(2), "<", err), -1);
        assert_int_equal(cmp_of(value_int(2), value_float(1.5), "<", err), 1);
        assert_int_equal(cmp_of(value_bool(true), value_float(1.0), "<", err), 0);
        assert_int_equal(cmp_of(value_float(-INFINITY), value_int(INT64_MIN), "<", err), -1);
        assert_int_equal(cmp_of(value_int(INT64_MAX), value_float(INFINITY), "<", err), -1);
        assert_int_equal(cmp_of(value_int(INT64_MAX), value_float(9223372036854775808.0), "<", err),
                         -1);
        assert_int_equal(
            cmp_of(value_int(9007199254740993), value_float(9007199254740992.0), "<", err), 1);
        assert_int_equal(cmp_of(value_int(-3), value_float(-2.5), "<", err), -1);
        assert_int_equal(cmp_of(value_int(-2), value_float(-2.5), "<", err), 1);
        /* NaN is unordered. */
        assert_int_equal(cmp_of(value_float(NAN), value_int(1), "<", err), 2);
        assert_int_equal(cmp_of(value_int(1), value_float(NAN), "<", err), 2);
        assert_int_equal(cmp_of(value_float(NAN), value_float(NAN), "<", err), 2);

        assert_int_equal(cmp_of(value_cstr("abc"), value_cstr("abd"), "<", err), -1);
        assert_int_equal(cmp_of(value_cstr("ab"), value_cstr("abc"), "<", err), -1);
        assert_int_equal(cmp_of(value_cstr("b"), value_cstr("abc"), "<", err), 1);
        assert_int_equal(cmp_of(value_cstr("a"), value_cstr("B"), "<", err), 1);
        assert_int_equal(cmp_of(value_cstr("z"), value_cstr("\xc3\xa9"), "<", err), -1);
        assert_int_equal(cmp_of(value_cstr("x"), value_cstr("x"), "<", err), 0);

        assert_int_equal(cmp_of(list_of_ints(2, 1, 2), list_of_ints(2, 1, 3), "<", err), -1);
        assert_int_equal(cmp_of(list_of_ints(2, 1, 2), list_of_ints(3, 1, 2, 0), "<", err), -1);
        assert_int_equal(cmp_of(list_of_ints(1, 5), list_of_ints(3, 1, 2, 0), "<", err), 1);
        assert_int_equal(cmp_of(list_of_ints(0), list_of_ints(0), "<", err), 0);
        items[0] = value_int(1);
        items[1] = value_int(2);
        assert_int_equal(cmp_of(value_tuple(items, 2), value_tuple(items, 1), "<", err), 1);

        assert_int_equal(cmp_of(value_int(1), value_cstr("a"), "<", err), -99);
        assert_string_equal(err,
                            "TypeError: '<' not supported between instances of 'int' and 'str'");
        assert_int_equal(cmp_of(value_none(), value_none(), ">=", err), -99);
        assert_string_equal(err, "TypeError: '>=' not supported between instances of 'NoneType' "
                                 "and 'NoneType'");
        assert_int_equal(cmp_of(value_tuple(items, 1), list_of_ints(1, 1), "<", err), -99);
        assert_string_equal(err,
                            "TypeError: '<' not supported between instances of 'tuple' and 'list'");
        /* Lists compare their first unequal items, which may not be comparable. */
        {
                value a = list_of_ints(1, 1), b = value_list();

                assert_int_equal(value_list_append(&b, value_cstr("a"), NULL, 0), 0);
                assert_int_equal(cmp_of(a, b, ">", err), -99);
                assert_string_equal(
                    err, "TypeError: '>' not supported between instances of 'int' and 'str'");
        }
        {
                int cmp;
                value a = value_cstr("a");

                assert_int_equal(value_compare(value_int(1), a, &cmp, err, 200), -1);
                value_drop(&a);
                assert_string_equal(
                    err, "TypeError: '<' not supported between instances of 'int' and 'str'");
                assert_int_equal(value_compare(value_int(1), value_int(1), &cmp, err, 200), 0);
                assert_int_equal(cmp, 0);
        }
}

static void test_hash(void **state)
{
        uint64_t h1, h2, h3;
        char err[200];
        value items[2], t, l;

        (void)state;
        assert_int_equal(value_hash(value_int(1), &h1, err, sizeof err), 0);
        assert_int_equal(value_hash(value_float(1.0), &h2, err, sizeof err), 0);
        assert_int_equal(value_hash(value_bool(true), &h3, err, sizeof err), 0);
        assert_true(h1 == h2 && h2 == h3);
        assert_int_equal(value_hash(value_float(0.0), &h1, err, sizeof err), 0);
        assert_int_equal(value_hash(value_float(-0.0), &h2, err, sizeof err), 0);
        assert_true(h1 == h2);
        assert_int_equal(value_hash(value_none(), &h1, err, sizeof err), 0);

        l = list_of_ints(1, 1);
        assert_int_equal(value_hash(l, &h1, err, sizeof err), -1);
        assert_string_equal(err, "TypeError: unhashable type: 'list'");
        items[0] = value_int(1);
        items[1] = l;
        t = value_tuple(items, 2);
        assert_int_equal(value_hash(t, &h1, err, sizeof err), -1);
        assert_string_equal(err, "TypeError: unhashable type: 'list'");
        value_drop(&t);
        value_drop(&l);
        t = value_dict();
        assert_int_equal(value_hash(t, &h1, err, sizeof err), -1);
        assert_string_equal(err, "TypeError: unhashable type: 'dict'");
        value_drop(&t);
}

static void test_dict(void **state)
{
        char err[200];
        value d = value_dict(), out, items[2], k;

        (void)state;
        /* 1, 1.0 and True are one key; the first key stays, the last value wins. */
        assert_int_equal(value_dict_set(&d, value_int(1), value_cstr("a"), err, sizeof err), 0);
        assert_int_equal(value_dict_set(&d, value_bool(true), value_cstr("b"), err, sizeof err), 0);
        assert_int_equal(value_dict_set(&d, value_float(1.0), value_cstr("c"), err, sizeof err), 0);
        assert_int_equal(value_len(d), 1);
        assert_string_equal(repr(value_ref(d)), "{1: 'c'}");
        assert_int_equal(value_dict_get(d, value_bool(true), &out, err, sizeof err), 1);
        assert_string_equal(value_str_data(out, NULL), "c");
        assert_int_equal(value_dict_get(d, value_int(2), &out, err, sizeof err), 0);

        /* Tuples, None and strings are keys; lists are not. */
        items[0] = value_int(1);
        items[1] = value_cstr("x");
        k = value_tuple(items, 2);
        value_drop(&items[1]);
        assert_int_equal(value_dict_set(&d, value_ref(k), value_int(7), err, sizeof err), 0);
        assert_int_equal(value_dict_set(&d, value_none(), value_int(8), err, sizeof err), 0);
        assert_int_equal(value_dict_get(d, k, &out, err, sizeof err), 1);
        assert_int_equal(out.as.i, 7);
        value_drop(&k);
        assert_int_equal(value_dict_set(&d, value_list(), value_int(1), err, sizeof err), -1);
        assert_string_equal(err, "TypeError: unhashable type: 'list'");
        k = value_dict();
        assert_int_equal(value_dict_get(d, k, &out, err, sizeof err), -1);
        assert_string_equal(err, "TypeError: unhashable type: 'dict'");
        value_drop(&k);
        assert_string_equal(repr(value_ref(d)), "{1: 'c', (1, 'x'): 7, None: 8}");
        assert_string_equal(repr(value_ref(value_dict_key_at(d, 1))), "(1, 'x')");
        assert_string_equal(repr(value_ref(value_dict_item_at(d, 2))), "8");
        value_drop(&d);

        /* A big dict (with its hash index) keeps insertion order and finds every key. */
        d = value_dict();
        for (int i = 0; i < 5000; i++) {
                char key[32];

                snprintf(key, sizeof key, "k%d", (i * 7919) % 5000);
                assert_int_equal(value_dict_set(&d, value_cstr(key), value_int(i), err, sizeof err),
                                 0);
        }
        assert_int_equal(value_len(d), 5000);
        for (int i = 0; i < 5000; i++) {
                char key[32];
                value kv;

                snprintf(key, sizeof key, "k%d", (i * 7919) % 5000);
                assert_string_equal(value_str_data(value_dict_key_at(d, (size_t)i), NULL), key);
                kv = value_cstr(key);
                assert_int_equal(value_dict_get(d, kv, &out, err, sizeof err), 1);
                assert_int_equal(out.as.i, i);
                value_drop(&kv);
        }
        for (int i = 0; i < 3000; i++)
                assert_int_equal(
                    value_dict_set(&d, value_float((double)i), value_int(-i), err, sizeof err), 0);
        for (int i = 0; i < 3000; i++) {
                assert_int_equal(value_dict_get(d, value_int(i), &out, err, sizeof err), 1);
                assert_int_equal(out.as.i, -i);
        }
        assert_int_equal(value_dict_get(d, value_int(3000), &out, err, sizeof err), 0);
        value_drop(&d);

        assert_int_equal(value_dict_set(&d, value_int(1), value_int(1), err, sizeof err), -1);
        assert_string_equal(err, "TypeError: 'NoneType' object does not support item assignment");
}

static void test_list_ops(void **state)
{
        char err[200];
        value l = list_of_ints(3, 10, 20, 30), out;

        (void)state;
        assert_int_equal(value_len(l), 3);
        assert_int_equal(value_at(l, 2).as.i, 30);
        assert_int_equal(value_list_set(&l, -1, value_int(33), err, sizeof err), 0);
        assert_int_equal(value_list_set(&l, 3, value_int(0), err, sizeof err), -1);
        assert_string_equal(err, "IndexError: list assignment index out of range");
        assert_int_equal(value_list_set(&l, -4, value_int(0), err, sizeof err), -1);
        assert_int_equal(value_list_pop(&l, 0, &out, err, sizeof err), 0);
        assert_int_equal(out.as.i, 10);
        assert_int_equal(value_list_pop(&l, -1, &out, err, sizeof err), 0);
        assert_int_equal(out.as.i, 33);
        assert_int_equal(value_list_pop(&l, 1, &out, err, sizeof err), -1);
        assert_string_equal(err, "IndexError: pop index out of range");
        assert_int_equal(value_list_pop(&l, -1, &out, err, sizeof err), 0);
        assert_int_equal(value_list_pop(&l, -1, &out, err, sizeof err), -1);
        assert_string_equal(err, "IndexError: pop from empty list");
        value_drop(&l);

        l = value_cstr("x");
        assert_int_equal(value_list_append(&l, value_int(1), err, sizeof err), -1);
        assert_string_equal(err, "AttributeError: 'str' object has no attribute 'append'");
        value_drop(&l);
}

static void test_copy_on_write(void **state)
{
        char err[200];
        value a = list_of_ints(2, 1, 2), b = value_ref(a), c, out, d, e;

        (void)state;
        assert_int_equal(value_list_append(&b, value_int(3), err, sizeof err), 0);
        assert_string_equal(repr(value_ref(a)), "[1, 2]");
        assert_string_equal(repr(value_ref(b)), "[1, 2, 3]");
        assert_ptr_not_equal(a.as.obj, b.as.obj);

        /* Once unshared, a mutation happens in place. */
        {
                value_obj *before = b.as.obj;

                assert_int_equal(value_list_append(&b, value_int(4), err, sizeof err), 0);
                assert_ptr_equal(b.as.obj, before);
        }

        c = value_ref(a);
        assert_int_equal(value_list_set(&c, 0, value_cstr("x"), err, sizeof err), 0);
        assert_int_equal(value_list_pop(&a, 0, &out, err, sizeof err), 0);
        assert_string_equal(repr(value_ref(c)), "['x', 2]");
        assert_string_equal(repr(value_ref(a)), "[2]");

        /* A list holding itself holds its old contents, never a cycle. */
        assert_int_equal(value_list_append(&a, value_ref(a), err, sizeof err), 0);
        assert_string_equal(repr(value_ref(a)), "[2, [2]]");

        d = value_dict();
        assert_int_equal(value_dict_set(&d, value_cstr("k"), value_int(1), err, sizeof err), 0);
        e = value_ref(d);
        assert_int_equal(value_dict_set(&e, value_cstr("k"), value_int(2), err, sizeof err), 0);
        assert_int_equal(value_dict_set(&e, value_cstr("n"), value_int(3), err, sizeof err), 0);
        assert_string_equal(repr(value_ref(d)), "{'k': 1}");
        assert_string_equal(repr(value_ref(e)), "{'k': 2, 'n': 3}");

        /* A deep copy shares no object, even nested ones. */
        {
                value outer = value_list(), copy;

                assert_int_equal(value_list_append(&outer, value_ref(d), err, sizeof err), 0);
                copy = value_copy(outer);
                assert_true(value_equal(copy, outer));
                assert_ptr_not_equal(copy.as.obj, outer.as.obj);
                assert_ptr_not_equal(value_at(copy, 0).as.obj, value_at(outer, 0).as.obj);
                value_drop(&copy);
                value_drop(&outer);
        }
        value_drop(&a);
        value_drop(&b);
        value_drop(&c);
        value_drop(&d);
        value_drop(&e);
        assert_int_equal(a.type, VALUE_NONE); /* value_drop leaves None */
}

static void test_to_list(void **state)
{
        char err[200];
        value v, l, d;

        (void)state;
        v = value_cstr("h\xc3\xa9!");
        assert_int_equal(value_to_list(v, &l, err, sizeof err), 0);
        assert_string_equal(repr(l), "['h', '\xc3\xa9', '!']");
        value_drop(&v);
        d = value_dict();
        assert_int_equal(value_dict_set(&d, value_cstr("a"), value_int(1), err, sizeof err), 0);
        assert_int_equal(value_dict_set(&d, value_int(2), value_int(1), err, sizeof err), 0);
        assert_int_equal(value_to_list(d, &l, err, sizeof err), 0);
        assert_string_equal(repr(l), "['a', 2]");
        value_drop(&d);
        assert_int_equal(value_to_list(value_int(3), &l, err, sizeof err), -1);
        assert_string_equal(err, "TypeError: 'int' object is not iterable");
}

static void test_limits(void **state)
{
        char err[200];
        value l = value_list(), nest, big, pair;
        strbuf sb = STRBUF_INIT;

        (void)state;
        for (unsigned i = 0; i < VALUE_MAX_ITEMS; i++)
                assert_int_equal(value_list_append(&l, value_int(i), err, sizeof err), 0);
        assert_int_equal(value_list_append(&l, value_int(0), err, sizeof err), -1);
        assert_string_equal(err, "MemoryError: a list cannot have more than 1048576 items");
        assert_int_equal(value_len(l), VALUE_MAX_ITEMS);
        value_drop(&l);

        /* Nesting stops at VALUE_MAX_DEPTH, so printing and comparing cannot overflow the stack. */
        nest = value_list();
        for (int i = 1; i < VALUE_MAX_DEPTH; i++) {
                value outer = value_list();

                assert_int_equal(value_list_append(&outer, nest, err, sizeof err), 0);
                nest = outer;
        }
        assert_int_equal(value_depth(nest), VALUE_MAX_DEPTH);
        l = value_list();
        assert_int_equal(value_list_append(&l, value_ref(nest), err, sizeof err), -1);
        assert_string_equal(err, "RecursionError: containers nested more than 100 deep");
        assert_int_equal(value_dict_set(&l, value_int(1), value_ref(nest), err, sizeof err), -1);
        value_drop(&l);
        l = value_dict();
        assert_int_equal(value_dict_set(&l, value_int(1), value_ref(nest), err, sizeof err), -1);
        assert_string_equal(err, "RecursionError: containers nested more than 100 deep");
        value_drop(&l);
        value_drop(&nest);

        /* A list can hold one big string many times: printing it stops instead. */
        {
                char *s = malloc(VALUE_MAX_STR);

                memset(s, 'x', VALUE_MAX_STR);
                big = value_str(s, VALUE_MAX_STR);
                free(s);
        }
        pair = value_list();
        assert_int_equal(value_list_append(&pair, value_ref(big), err, sizeof err), 0);
        assert_int_equal(value_format(big, false, &sb, err, sizeof err), 0);
        assert_int_equal(sb.len, VALUE_MAX_STR);
        strbuf_reset(&sb);
        strbuf_puts(&sb, "keep");
        assert_int_equal(value_format(pair, true, &sb, err, sizeof err), -1); /* quotes */
        assert_string_equal(err, "MemoryError: a str cannot be longer than 1048576 bytes");
        assert_string_equal(strbuf_str(&sb), "keep");
        assert_int_equal(value_list_append(&pair, value_ref(big), err, sizeof err), 0);
        value_repr(pair, &sb);
        assert_true(sb.len < 2 * VALUE_MAX_STR + 16);
        assert_memory_equal(sb.data + sb.len - 3, "...", 3);
        strbuf_free(&sb);
        value_drop(&pair);
        value_drop(&big);
}

static void *hammer(void *arg)
{
        value shared = *(value *)arg;

        for (int i = 0; i < 100000; i++) {
                value mine = value_ref(shared);
                char err[200];

                if (i % 1000 == 0) /* a copy-on-write copy, never a change to SHARED */
                        (void)value_list_append(&mine, value_int(i), err, sizeof err);
                value_drop(&mine);
        }
        return NULL;
}

static void test_threads(void **state)
{
        value shared = list_of_ints(3, 1, 2, 3);
        pthread_t t[4];

        (void)state;
        for (int i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, hammer, &shared), 0);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        assert_string_equal(repr(shared), "[1, 2, 3]"); /* and its last reference is gone */
}

/* repr() of a str of ASCII and lone bytes of 0x80 and above, the slow way: what Python shows. */
static void reference_repr(const unsigned char *u, size_t n, char *out)
{
        char q = memchr(u, '\'', n) && !memchr(u, '"', n) ? '"' : '\'';

        *out++ = q;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = u[i];

                if (c == (unsigned char)q || c == '\\')
                        out += sprintf(out, "\\%c", c);
                else if (c == '\n')
                        out += sprintf(out, "\\n");
                else if (c == '\t')
                        out += sprintf(out, "\\t");
                else if (c == '\r')
                        out += sprintf(out, "\\r");
                else if (c < 0x20 || c >= 0x7f)
                        out += sprintf(out, "\\x%02x", c);
                else
                        *out++ = (char)c;
        }
        *out++ = q;
        *out = '\0';
}

/* A str's repr looks at eight bytes at a time while they need no escape: one byte that does,
 * of every kind and at the edges of the plain range, at every place of strs of 0 to 24 bytes,
 * gives the repr the slow way gives. */
static void test_str_repr_words(void **state)
{
        static const unsigned char odd[] = { 0x00, 0x1f, 0x20, 0x26, 0x27, 0x28, 0x5b, 0x5c,
                                             0x5d, 0x7e, 0x7f, 0x80, 0xff, '\n', '"',  '\t' };
        unsigned char u[24];
        char want[200];

        (void)state;
        for (size_t n = 0; n <= sizeof u; n++) {
                memset(u, 'a', n);
                reference_repr(u, n, want);
                assert_string_equal(repr(value_str((const char *)u, n)), want);
                for (size_t at = 0; at < n; at++)
                        for (size_t k = 0; k < sizeof odd; k++) {
                                memset(u, 'a', n);
                                u[at] = odd[k];
                                reference_repr(u, n, want);
                                assert_string_equal(repr(value_str((const char *)u, n)), want);
                        }
        }
}

/* A str in one block with its bytes: every length, both parts empty or not, bytes that are not
 * text (a NUL, UTF-8 cut in two), each NUL-terminated, and the memory given back exactly. */
static void test_str_concat(void **state)
{
        static char big[VALUE_MAX_STR];
        size_t base = value_memory_used(), len;
        const char *p;
        value s;

        (void)state;
        s = value_str_concat("", 0, "", 0);
        p = value_str_data(s, &len);
        assert_int_equal(len, 0);
        assert_int_equal(p[0], '\0');
        assert_string_equal(repr(s), "''");
        s = value_str_concat(NULL, 0, "b", 1);
        assert_string_equal(repr(s), "'b'");
        s = value_str_concat("a", 1, NULL, 0);
        assert_string_equal(repr(s), "'a'");
        s = value_str_concat("msg ", 4, "19999", 5);
        assert_string_equal(str(value_ref(s)), "msg 19999");
        assert_int_equal(value_len(s), 9);
        value_drop(&s);
        /* a NUL inside, and a UTF-8 character whose bytes come from both parts */
        s = value_str_concat("a\0\xc3", 3, "\xa9\0", 2);
        p = value_str_data(s, &len);
        assert_int_equal(len, 5);
        assert_memory_equal(p, "a\0\xc3\xa9\0", 6);
        assert_string_equal(repr(s), "'a\\x00\xc3\xa9\\x00'");
        /* lengths around the sizes of the allocator's blocks, and the largest str */
        memset(big, 'x', sizeof big);
        for (size_t n = 0; n < 300; n++) {
                value a = value_str_concat(big, n / 2, big, n - n / 2), b = value_str(big, n);

                p = value_str_data(a, &len);
                assert_int_equal(len, n);
                assert_int_equal(p[n], '\0');
                assert_true(value_equal(a, b));
                value_drop(&a);
                value_drop(&b);
        }
        s = value_str_concat(big, VALUE_MAX_STR - 1, "y", 1);
        p = value_str_data(s, &len);
        assert_int_equal(len, VALUE_MAX_STR);
        assert_int_equal(p[VALUE_MAX_STR - 1], 'y');
        assert_int_equal(p[VALUE_MAX_STR], '\0');
        assert_true(value_memory_used() >= base + VALUE_MAX_STR);
        value_drop(&s);
        assert_int_equal(value_memory_used(), base);
}

/* A + B of two strs: the result takes over a temporary (the only reference) when there is one,
 * grown where it is or moved, and never changes a str someone else holds. */
static void test_str_add(void **state)
{
        static char big[5000];
        size_t base = value_memory_used(), len;
        value held = value_cstr("msg "), other = value_cstr("held"), s, t;
        const char *p;

        (void)state;
        memset(big, 'z', sizeof big);
        /* the right one a temporary: the result is it, the held left one unchanged */
        s = value_str_add(value_ref(held), value_str("19999", 5));
        assert_string_equal(str(value_ref(s)), "msg 19999");
        assert_string_equal(str(value_ref(held)), "msg ");
        value_drop(&s);
        /* the left one a temporary, the right one held */
        s = value_str_add(value_str("a\0", 2), value_ref(other));
        p = value_str_data(s, &len);
        assert_int_equal(len, 6);
        assert_memory_equal(p, "a\0held", 7);
        assert_string_equal(str(value_ref(other)), "held");
        value_drop(&s);
        /* neither a temporary: a new str; the same object on both sides */
        s = value_str_add(value_ref(held), value_ref(other));
        assert_string_equal(str(value_ref(s)), "msg held");
        t = value_str_add(value_ref(s), value_ref(s));
        assert_string_equal(str(value_ref(t)), "msg heldmsg held");
        assert_string_equal(str(value_ref(s)), "msg held");
        value_drop(&t);
        value_drop(&s);
        /* empty ones, a UTF-8 character made of both, and lengths past every block's room, on
         * either side, grown a step at a time as a chain of + does */
        s = value_str_add(value_str("", 0), value_str("", 0));
        assert_int_equal(value_len(s), 0);
        assert_int_equal(value_str_data(s, NULL)[0], '\0');
        value_drop(&s);
        s = value_str_add(value_str("\xc3", 1), value_str("\xa9", 1));
        assert_string_equal(repr(s), "'\xc3\xa9'");
        s = value_str(NULL, 0);
        t = value_str(NULL, 0);
        for (size_t n = 1; n <= sizeof big; n += n / 3 + 1) {
                s = value_str_add(s, value_str(big, n));
                t = value_str_add(value_str(big, n), t);
        }
        assert_int_equal(value_len(s), value_len(t));
        p = value_str_data(s, &len);
        assert_int_equal(p[len], '\0');
        assert_true(len > sizeof big);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(p[k], 'z');
        assert_true(value_equal(s, t));
        value_drop(&s);
        value_drop(&t);
        value_drop(&held);
        value_drop(&other);
        assert_int_equal(value_memory_used(), base);
}

/* The total cap: every value's blocks are counted, growing past the cap is a MemoryError, and
 * dropping the values gives the memory back to the count. */
static void test_total_memory(void **state)
{
        value list = value_list(), s;
        size_t base = value_memory_used();
        char err[160];
        int k;

        (void)state;
        s = value_str("x", 1);
        assert_true(value_memory_used() > base);
        value_drop(&s);
        assert_int_equal(value_memory_used(), base);
        value_memory_limit(base + (4u << 20));
        /* distinct 64 KiB strings: each under its own cap, their total over 4 MiB */
        for (k = 0; k < 1000; k++) {
                char *buf = calloc(1, 65536);

                buf[0] = (char)k;
                if (value_list_append(&list, value_str(buf, 65536), err, sizeof err) < 0) {
                        free(buf);
                        break;
                }
                free(buf);
        }
        /* 4 MiB holds 63 of them (and a little for the list); the 64th append fails */
        assert_true(k >= 60 && k < 64);
        assert_string_equal(err, "MemoryError: the run's values take more than 4 MiB (the limit)");
        value_drop(&list);
        assert_true(value_memory_used() < base);
        assert_int_equal(value_memory_check(err, sizeof err), 0);
        value_memory_limit(0); /* back to the default */
        assert_int_equal(value_memory_check(err, sizeof err), 0);
}

/* The repr of a list of ints as put_value makes it item by item (printf for the digits, the
 * limit looked at before each item and after it): the reference for test_int_list_repr. */
static bool ref_int_list(const int64_t *xs, size_t n, strbuf *out, size_t limit)
{
        if (out->len > limit)
                return false;
        strbuf_putc(out, '[');
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strbuf_puts(out, ", ");
                if (out->len > limit)
                        return false;
                strbuf_printf(out, "%lld", (long long)xs[i]);
                if (out->len > limit)
                        return false;
        }
        strbuf_putc(out, ']');
        return out->len <= limit;
}

/* A list's ints are written with their separators in one append: the same text as item by item,
 * stopping at the same place for every limit, with ints of every length and sign, and mixed
 * with other items (a str, a nested list, a bool, which stays True). */
static void test_int_list_repr(void **state)
{
        static const int64_t xs[] = { 0,         -1,    7,         42,           -99,
                                      100,       65535, INT32_MAX, 4294967296LL, INT64_MAX,
                                      INT64_MIN, 9 };
        size_t n = sizeof xs / sizeof *xs;
        value l = value_list(), mixed = value_list(), inner = value_list();
        char err[100];

        (void)state;
        for (size_t i = 0; i < n; i++)
                assert_int_equal(value_list_append(&l, value_int(xs[i]), err, sizeof err), 0);
        for (size_t max = 0; max < 160; max++) {
                strbuf got = STRBUF_INIT, want = STRBUF_INIT;
                bool g, w;

                strbuf_puts(&got, "x");
                strbuf_puts(&want, "x");
                g = value_repr_max(l, &got, max);
                w = ref_int_list(xs, n, &want, 1 + max);
                assert_int_equal(g, w);
                assert_string_equal(strbuf_str(&got), strbuf_str(&want));
                strbuf_free(&got);
                strbuf_free(&want);
        }
        assert_int_equal(value_list_append(&inner, value_int(2), err, sizeof err), 0);
        assert_int_equal(value_list_append(&inner, value_int(-3), err, sizeof err), 0);
        assert_int_equal(value_list_append(&mixed, value_int(1), err, sizeof err), 0);
        assert_int_equal(value_list_append(&mixed, value_cstr("a"), err, sizeof err), 0);
        assert_int_equal(value_list_append(&mixed, inner, err, sizeof err), 0);
        assert_int_equal(value_list_append(&mixed, value_bool(true), err, sizeof err), 0);
        assert_int_equal(value_list_append(&mixed, value_int(10), err, sizeof err), 0);
        {
                strbuf sb = STRBUF_INIT;
                value one = value_int(5), t = value_tuple(&one, 1);

                value_repr(mixed, &sb);
                assert_string_equal(strbuf_str(&sb), "[1, 'a', [2, -3], True, 10]");
                strbuf_reset(&sb);
                value_repr(t, &sb);
                assert_string_equal(strbuf_str(&sb), "(5,)");
                strbuf_free(&sb);
                value_drop(&t);
        }
        value_drop(&l);
        value_drop(&mixed);
}

/* A list made with room (value_list_reserve) takes scalars the short way: in order, copy on
 * write when another holds it, past its room the long way, and never past the memory cap. */
static void test_reserve(void **state)
{
        value l = value_list(), other, s, hold[20];
        size_t base;
        char err[160];

        (void)state;
        value_list_reserve(&l, 4);
        for (int k = 0; k < 6; k++) /* the last two past the room */
                assert_int_equal(
                    value_list_append(&l, k % 2 ? value_int(k * k) : value_none(), err, sizeof err),
                    0);
        assert_string_equal(repr(value_ref(l)), "[None, 1, None, 9, None, 25]");
        other = value_ref(l);
        value_list_reserve(&l, 8); /* unshares: OTHER keeps its six */
        assert_int_equal(value_list_append(&l, value_bool(true), err, sizeof err), 0);
        assert_string_equal(repr(value_ref(other)), "[None, 1, None, 9, None, 25]");
        assert_string_equal(repr(value_ref(l)), "[None, 1, None, 9, None, 25, True]");
        /* held by another again, with room: the append copies, the other is left alone */
        value_drop(&other);
        other = value_ref(l);
        assert_int_equal(value_list_append(&l, value_float(0.5), err, sizeof err), 0);
        assert_int_equal(value_len(other), 7);
        assert_int_equal(value_len(l), 8);
        value_drop(&other);
        /* over the cap, a scalar into room fails as any append does */
        value_list_reserve(&l, 64);
        base = value_memory_used();
        value_memory_limit(base + (1u << 20));
        {
                char *buf = calloc(1, 65536);

                for (int k = 0; k < 20; k++) /* 1.25 MiB: over the cap */
                        hold[k] = value_str(buf, 65536);
                free(buf);
        }
        assert_int_equal(value_list_append(&l, value_int(1), err, sizeof err), -1);
        assert_string_equal(err, "MemoryError: the run's values take more than 1 MiB (the limit)");
        assert_int_equal(value_len(l), 8);
        for (int k = 0; k < 20; k++)
                value_drop(&hold[k]);
        assert_int_equal(value_list_append(&l, value_int(1), err, sizeof err), 0);
        value_memory_limit(0);
        /* not a list: nothing */
        s = value_int(3);
        value_list_reserve(&s, 10);
        assert_int_equal(s.type, VALUE_INT);
        value_drop(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scalars),        cmocka_unit_test(test_int_text),
                cmocka_unit_test(test_c_int),          cmocka_unit_test(test_claim),
                cmocka_unit_test(test_float_repr),     cmocka_unit_test(test_str_repr),
                cmocka_unit_test(test_container_repr), cmocka_unit_test(test_truthy),
                cmocka_unit_test(test_equal),          cmocka_unit_test(test_compare),
                cmocka_unit_test(test_hash),           cmocka_unit_test(test_dict),
                cmocka_unit_test(test_list_ops),       cmocka_unit_test(test_copy_on_write),
                cmocka_unit_test(test_to_list),        cmocka_unit_test(test_limits),
                cmocka_unit_test(test_reserve),        cmocka_unit_test(test_threads),
                cmocka_unit_test(test_total_memory),   cmocka_unit_test(test_str_concat),
                cmocka_unit_test(test_str_add),        cmocka_unit_test(test_int_list_repr),
                cmocka_unit_test(test_str_repr_words),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
