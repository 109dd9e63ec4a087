/*
 * test_expr.c — the expression language: precedence, Python semantics of every operator and
 * builtin, error messages and offsets, lambdas, name resolution, templates, random numbers and
 * the limits that keep hostile input from crashing the parser or the evaluator.
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

#include "scenario/expr.h"

/* ---- a small environment: names resolve to their index in NAMES ---- */

static const char *const names[] = {
        "counter", "arr", "d",    "name", "i",   "k",      "minint", "double", "fact",
        "forever", "big", "deep", "s",    "nan", "maxint", "flag",   "half",   "none",
};
enum { N_NAMES = sizeof names / sizeof names[0] };

static expr *lambdas[3]; /* the values of double, fact and forever */
static uint64_t rng_state;

static value make_list(int n, ...)
{
        value l = value_list();
        va_list ap;

        va_start(ap, n);
        for (int i = 0; i < n; i++)
                assert_int_equal(value_list_append(&l, value_int(va_arg(ap, int)), NULL, 0), 0);
        va_end(ap);
        return l;
}

static int load(void *ctx, int32_t ref, const char *name, value *out, expr_error *err)
{
        (void)ctx;
        switch (ref) {
        case 0: *out = value_int(5); return 0;
        case 1: *out = make_list(3, 1, 2, 3); return 0;
        case 2:
                *out = value_dict();
                assert_int_equal(value_dict_set(out, value_cstr("k"), value_cstr("v"), NULL, 0), 0);
                return 0;
        case 3: *out = value_cstr("Worker-1"); return 0;
        case 4: *out = value_int(3); return 0;
        case 5: *out = value_int(10); return 0;
        case 6: *out = value_int(INT64_MIN); return 0;
        case 7:
        case 8:
        case 9: return expr_eval(lambdas[ref - 7], NULL, out, err);
        case 10: {
                char *s = malloc(VALUE_MAX_STR);

                memset(s, 'x', VALUE_MAX_STR);
                *out = value_str(s, VALUE_MAX_STR);
                free(s);
                return 0;
        }
        case 11:
                *out = value_list();
                for (int i = 1; i < VALUE_MAX_DEPTH; i++) {
                        value outer = value_list();

                        assert_int_equal(value_list_append(&outer, *out, NULL, 0), 0);
                        *out = outer;
                }
                return 0;
        case 12: *out = value_cstr("h\xc3\xa9llo"); return 0;
        case 13: *out = value_float(NAN); return 0;
        case 14: *out = value_int(INT64_MAX); return 0;
        case 15: *out = value_bool(true); return 0;
        case 16: *out = value_float(0.5); return 0;
        case 17: *out = value_none(); return 0;
        default:
                snprintf(err->msg, sizeof err->msg, "NameError: name '%s' is not defined", name);
                return -1;
        }
}

static int resolve_cb(void *ctx, const char *name, int offset, int32_t *ref)
{
        (void)ctx;
        (void)offset;
        *ref = -1;
        for (int i = 0; i < N_NAMES; i++)
                if (strcmp(names[i], name) == 0)
                        *ref = i;
        return 0;
}

static expr_env env = { .ctx = NULL, .load = load, .rng = &rng_state, .cpu_count = 4 };

static expr *parse_resolved(const char *src)
{
        expr_error err;
        expr *e = expr_parse(src, strlen(src), &err);

        assert_non_null(e);
        assert_int_equal(expr_resolve(e, resolve_cb, NULL), 0);
        return e;
}

static int setup(void **state)
{
        (void)state;
        lambdas[0] = parse_resolved("lambda n: n * 2");
        lambdas[1] = parse_resolved("lambda n: 1 if n <= 1 else n * fact(n - 1)");
        lambdas[2] = parse_resolved("lambda n: forever(n + 1)");
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        for (int i = 0; i < 3; i++)
                expr_free(lambdas[i]);
        return 0;
}

/* ---- running expressions ---- */

static char result[8192];

/* Parses, resolves and evaluates SRC: its repr, "PARSE@off msg" or "ERR@off msg". */
static const char *run(const char *src)
{
        expr_error err = { -1, "" };
        expr *e = expr_parse(src, strlen(src), &err);
        value v;

        if (e == NULL) {
                snprintf(result, sizeof result, "PARSE@%d %s", err.offset, err.msg);
                return result;
        }
        assert_int_equal(expr_resolve(e, resolve_cb, NULL), 0);
        rng_state = 42;
        if (expr_eval(e, &env, &v, &err) < 0) {
                snprintf(result, sizeof result, "ERR@%d %s", err.offset, err.msg);
        } else {
                strbuf sb = STRBUF_INIT;

                value_repr(v, &sb);
                snprintf(result, sizeof result, "%s", strbuf_str(&sb));
                strbuf_free(&sb);
                value_drop(&v);
        }
        expr_free(e);
        return result;
}

typedef struct {
        const char *src, *want;
} example;

static void check_all(const example *ex, size_t n)
{
        int bad = 0;

        for (size_t i = 0; i < n; i++) {
                const char *got = run(ex[i].src);

                if (strcmp(got, ex[i].want) != 0) {
                        print_error("%s\n    got:  %s\n    want: %s\n", ex[i].src, got, ex[i].want);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

#define CHECK_ALL(table) check_all(table, sizeof table / sizeof table[0])

/* ---- tests ---- */

static void test_precedence(void **state)
{
        static const example ex[] = {
                { "2 + 3 * 4", "14" },
                { "(2 + 3) * 4", "20" },
                { "1 - 2 - 3", "-4" },
                { "1 - (2 - 3)", "2" },
                { "100 // 10 // 3", "3" },
                { "2 * 3 % 4", "2" },
                { "-2 * 3", "-6" },
                { "- -2", "2" },
                { "-counter + 1", "-4" },
                { "not 1 == 2", "True" },
                { "not counter", "False" },
                { "not not counter", "True" },
                { "1 or 0 and 0", "1" },
                { "0 or 0 and 1", "0" },
                { "0 and 1 or 2", "2" },
                { "not 0 and 0", "0" },
                { "1 + 2 == 3", "True" },
                { "1 < 2 == True", "False" }, /* chained: 1 < 2 and 2 == True */
                { "1 if 0 else 2 if 0 else 3", "3" },
                { "1 + 1 if counter > 4 else 0", "2" },
                { "counter if counter else 1 / 0", "5" },
                { "arr[1] * 2 + arr[-1]", "7" },
                { "-arr[0]", "-1" },
                { "[1, 2][0] + (3, 4)[1]", "5" },
                { "(lambda x: x + 1)(2) * 10", "30" },
                { "2 + 3 in [5]", "True" },
                { "not 5 in [5]", "False" },
                { "1 +  \n 2", "3" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_arithmetic(void **state)
{
        static const example ex[] = {
                { "7 / 2", "3.5" },
                { "4 / 2", "2.0" },
                { "1 / 3", "0.3333333333333333" },
                { "7 // 2", "3" },
                { "-7 // 2", "-4" },
                { "7 // -2", "-4" },
                { "-7 // -2", "3" },
                { "7 % 3", "1" },
                { "-7 % 3", "2" },
                { "7 % -3", "-2" },
                { "-7 % -3", "-1" },
                { "(-9223372036854775807 - 1) % -1", "0" },
                { "7.5 // 2", "3.0" },
                { "-7.5 // 2", "-4.0" },
                { "-7.5 % 2", "0.5" },
                { "7.5 % -2", "-0.5" },
                { "5.0 % 0.5", "0.0" },
                { "-0.0 % 5", "0.0" },
                { "1 + 2.0", "3.0" },
                { "True + True", "2" },
                { "True * 1.5", "1.5" },
                { "0.1 + 0.2", "0.30000000000000004" },
                { "1e308 * 10", "inf" },
                { "-1e308 * 10", "-inf" },
                { "1e16", "1e+16" },
                { "1e-5", "1e-05" },
                { "100.0", "100.0" },
                { "-0.0", "-0.0" },
                { "1.5e-5", "1.5e-05" },
                { ".5 + 5.", "5.5" },
                { "1_000_000 + 1_0.0_1", "1000010.01" },
                { "+True", "1" },
                { "-True", "-1" },
                { "-1.5", "-1.5" },
                { "-9223372036854775808", "-9223372036854775808" },
                { "9223372036854775807", "9223372036854775807" },
                { "'a' + 'b'", "'ab'" },
                { "'' + ''", "''" },
                { "'h\xc3' + '\xa9'", "'h\xc3\xa9'" },
                { "len(big + '')", "1048576" },
                { "big + 'x'", "ERR@4 MemoryError: a str cannot be longer than 1048576 bytes" },
                { "[1] + [2, 3]", "[1, 2, 3]" },
                { "(1,) + (2,)", "(1, 2)" },
                { "'ab' * 3", "'ababab'" },
                { "3 * 'ab'", "'ababab'" },
                { "'ab' * -1", "''" },
                { "'a' * True", "'a'" },
                { "[0] * 3", "[0, 0, 0]" },
                { "2 * [1, 2]", "[1, 2, 1, 2]" },
                { "(1,) * 2", "(1, 1)" },
                { "[] * 5", "[]" },
                { "'h\xc3\xa9' * 2", "'h\xc3\xa9h\xc3\xa9'" },
                /* two ints take a fast path in a chain; a bool, a float or an overflow do not */
                { "2 * 3 * 4 - 25", "-1" },
                { "3 - 5 * 2", "-7" },
                { "9223372036854775807 - 1 + 1", "9223372036854775807" },
                { "minint * 1", "-9223372036854775808" },
                { "minint + 0 - 0", "-9223372036854775808" },
                { "True + True", "2" },
                { "1 + 2 + 0.5", "3.5" },
                { "counter * counter - counter", "20" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_arithmetic_errors(void **state)
{
        static const example ex[] = {
                { "1 / 0", "ERR@2 ZeroDivisionError: division by zero" },
                { "1 // 0", "ERR@2 ZeroDivisionError: integer division or modulo by zero" },
                { "1 % 0", "ERR@2 ZeroDivisionError: integer modulo by zero" },
                { "1.0 / 0", "ERR@4 ZeroDivisionError: float division by zero" },
                { "1 / 0.0", "ERR@2 ZeroDivisionError: float division by zero" },
                { "1.0 // 0", "ERR@4 ZeroDivisionError: float floor division by zero" },
                { "1.0 % 0", "ERR@4 ZeroDivisionError: float modulo" },
                { "counter / (counter - 5)", "ERR@8 ZeroDivisionError: division by zero" },
                { "9223372036854775807 + 1",
                  "ERR@20 OverflowError: 9223372036854775807 + 1 does not fit in a 64-bit int" },
                { "-9223372036854775807 - 2",
                  "ERR@21 OverflowError: -9223372036854775807 - 2 does not fit in a 64-bit int" },
                { "4611686018427387904 * 2",
                  "ERR@20 OverflowError: 4611686018427387904 * 2 does not fit in a 64-bit int" },
                { "minint // -1",
                  "ERR@7 OverflowError: -9223372036854775808 // -1 does not fit in a 64-bit int" },
                { "-minint",
                  "ERR@0 OverflowError: -(-9223372036854775808) does not fit in a 64-bit int" },
                { "abs(minint)",
                  "ERR@0 OverflowError: abs(-9223372036854775808) does not fit in a 64-bit int" },
                { "9223372036854775806 + 1 + 1",
                  "ERR@24 OverflowError: 9223372036854775807 + 1 does not fit in a 64-bit int" },
                { "minint + 0 - 1",
                  "ERR@11 OverflowError: -9223372036854775808 - 1 does not fit in a 64-bit int" },
                { "minint * -1",
                  "ERR@7 OverflowError: -9223372036854775808 * -1 does not fit in a 64-bit int" },
                { "2 * 2147483648 * 2147483648",
                  "ERR@15 OverflowError: 4294967296 * 2147483648 does not fit in a 64-bit int" },
                { "sum([9223372036854775807, 1])",
                  "ERR@0 OverflowError: 9223372036854775807 + 1 does not fit in a 64-bit int" },
                { "int(1e30)", "ERR@0 OverflowError: int(1e+30) does not fit in a 64-bit int" },
                { "1 + 'a'",
                  "ERR@2 TypeError: unsupported operand type(s) for +: 'int' and 'str'" },
                { "'a' + 1", "ERR@4 TypeError: can only concatenate str (not \"int\") to str" },
                { "[1] + (1,)",
                  "ERR@4 TypeError: can only concatenate list (not \"tuple\") to list" },
                { "(1,) + 1",
                  "ERR@5 TypeError: can only concatenate tuple (not \"int\") to tuple" },
                { "1 - 'a'",
                  "ERR@2 TypeError: unsupported operand type(s) for -: 'int' and 'str'" },
                { "None / 1",
                  "ERR@5 TypeError: unsupported operand type(s) for /: 'NoneType' and 'int'" },
                { "[1] // 1",
                  "ERR@4 TypeError: unsupported operand type(s) for //: 'list' and 'int'" },
                { "'a' * 1.5",
                  "ERR@4 TypeError: can't multiply sequence by non-int of type 'float'" },
                { "'a' * 'b'",
                  "ERR@4 TypeError: can't multiply sequence by non-int of type 'str'" },
                { "None * [1]",
                  "ERR@5 TypeError: can't multiply sequence by non-int of type 'NoneType'" },
                { "'%d' % 1", "ERR@5 TypeError: '%' string formatting is not supported: use a "
                              "template such as \"{x}\"" },
                { "-'a'", "ERR@0 TypeError: bad operand type for unary -: 'str'" },
                { "+[1]", "ERR@0 TypeError: bad operand type for unary +: 'list'" },
                { "'a' * 2000000", "ERR@4 MemoryError: a str cannot be longer than 1048576 bytes" },
                { "[0] * 2000000",
                  "ERR@4 MemoryError: a list cannot have more than 1048576 items" },
                { "(0,) * 2000000",
                  "ERR@5 MemoryError: a tuple cannot have more than 1048576 items" },
                { "big + 'x'", "ERR@4 MemoryError: a str cannot be longer than 1048576 bytes" },
                { "len(big + '')", "1048576" },
                { "[deep]", "ERR@1 RecursionError: containers nested more than 100 deep" },
                { "(deep,)", "ERR@0 RecursionError: containers nested more than 100 deep" },
                { "{1: deep}", "ERR@1 RecursionError: containers nested more than 100 deep" },
                { "len(deep)", "1" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_comparisons(void **state)
{
        static const example ex[] = {
                { "1 < 2 < 3", "True" },
                { "1 < 3 < 2", "False" },
                { "3 > 2 > 1 >= 1 <= 1 != 0 == 0", "True" },
                { "1 == 1.0 == True", "True" },
                { "1 > 2 < 1 / 0", "False" }, /* stops at the first false link */
                { "0 and 1 / 0", "0" },
                { "1 or 1 / 0", "1" },
                { "0 or ''", "''" },
                { "[] or [1]", "[1]" },
                { "3 and 5", "5" },
                { "'' and 1 / 0", "''" },
                { "[1, 2] < [1, 3]", "True" },
                { "[1, 2] < [1, 2, 0]", "True" },
                { "(1, 2) <= (1, 2)", "True" },
                { "'abc' < 'abd'", "True" },
                { "'a' < 'B'", "False" },
                { "1 < 1.5", "True" },
                { "9007199254740993 > 9007199254740992.0", "True" },
                { "nan < 1 or nan > 1 or nan == nan", "False" },
                { "nan != nan", "True" },
                { "[1, 'a'] == [1, 'a']", "True" },
                { "[1] == (1,)", "False" },
                { "{'a': 1, 'b': 2} == {'b': 2, 'a': 1.0}", "True" },
                { "None == 0", "False" },
                { "1 < 'a'", "ERR@2 TypeError: '<' not supported between instances of 'int' and "
                             "'str'" },
                { "'a' >= None",
                  "ERR@4 TypeError: '>=' not supported between instances of 'str' and "
                  "'NoneType'" },
                { "[1] > ['a']",
                  "ERR@4 TypeError: '>' not supported between instances of 'int' and 'str'" },
                { "{} < {}",
                  "ERR@3 TypeError: '<' not supported between instances of 'dict' and 'dict'" },
                { "1 in [1, 2]", "True" },
                { "3 not in [1, 2]", "True" },
                { "1.0 in (1, 2)", "True" },
                { "'ell' in 'hello'", "True" },
                { "'' in 'x'", "True" },
                { "'x' not in name", "True" },
                { "'k' in d", "True" },
                { "'v' in d", "False" },
                { "1.0 in {1: 2}", "True" },
                { "1 in 'a'",
                  "ERR@2 TypeError: 'in <string>' requires string as left operand, not int" },
                { "1 in 1", "ERR@2 TypeError: argument of type 'int' is not iterable" },
                { "[1] in {}", "ERR@4 TypeError: unhashable type: 'list'" },
                { "[1] not in d", "ERR@4 TypeError: unhashable type: 'list'" },
                { "None is None", "True" },
                { "None is not None", "False" },
                { "counter is 5", "True" },
                { "1 is True", "False" },
                { "True is True", "True" },
                { "False is not False", "False" },
                { "arr is arr", "False" }, /* two loads, two objects */
                { "[1] is [1]", "False" },
                { "1.5 is 1.5", "True" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_indexing(void **state)
{
        static const example ex[] = {
                { "arr[0]", "1" },
                { "arr[-1]", "3" },
                { "arr[True]", "2" },
                { "(1, 2)[1]", "2" },
                { "'abc'[1]", "'b'" },
                { "s[1]", "'\xc3\xa9'" }, /* by character, not byte */
                { "s[-1]", "'o'" },
                { "len(s)", "5" },
                { "d['k']", "'v'" },
                { "{(1, 2): 'x'}[(1, 2)]", "'x'" },
                { "{1: 'one'}[True]", "'one'" },
                { "arr[3]", "ERR@3 IndexError: list index out of range" },
                { "arr[-4]", "ERR@3 IndexError: list index out of range" },
                { "(1, 2)[5]", "ERR@6 IndexError: tuple index out of range" },
                { "'abc'[5]", "ERR@5 IndexError: string index out of range" },
                { "s[5]", "ERR@1 IndexError: string index out of range" },
                { "arr['a']", "ERR@3 TypeError: list indices must be integers or slices, not str" },
                { "(1,)[1.0]",
                  "ERR@4 TypeError: tuple indices must be integers or slices, not float" },
                { "'a'['a']", "ERR@3 TypeError: string indices must be integers, not 'str'" },
                { "d['x']", "ERR@1 KeyError: 'x'" },
                { "d[(1, 'a')]", "ERR@1 KeyError: (1, 'a')" },
                { "d[[1]]", "ERR@1 TypeError: unhashable type: 'list'" },
                { "counter[0]", "ERR@7 TypeError: 'int' object is not subscriptable" },
                { "None[0]", "ERR@4 TypeError: 'NoneType' object is not subscriptable" },
                { "[[1, 2], [3, 4]][1][0]", "3" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_literals_and_printing(void **state)
{
        static const example ex[] = {
                { "None", "None" },
                { "True", "True" },
                { "False", "False" },
                { "[]", "[]" },
                { "()", "()" },
                { "{}", "{}" },
                { "(1,)", "(1,)" },
                { "(1, 2,)", "(1, 2)" },
                { "[1, 2,]", "[1, 2]" },
                { "{'id': 1, 'name': 'Python',}", "{'id': 1, 'name': 'Python'}" },
                { "{1: 'a', True: 'b', 1.0: 'c'}", "{1: 'c'}" },
                { "{(1, 2): 3, None: 4, 2.5: 5}", "{(1, 2): 3, None: 4, 2.5: 5}" },
                { "[1.0, 101.0]", "[1.0, 101.0]" },
                { "[1, 'a', None, True, 2.5, (1,), {}]", "[1, 'a', None, True, 2.5, (1,), {}]" },
                { "'it\\'s'", "\"it's\"" },
                { "\"say \\\"hi\\\"\"", "'say \"hi\"'" },
                { "'both \\' and \"'", "'both \\' and \"'" },
                { "'tab\\there'", "'tab\\there'" },
                { "'new\\nline\\r'", "'new\\nline\\r'" },
                { "'back\\\\slash'", "'back\\\\slash'" },
                { "'\\x01\\x7f'", "'\\x01\\x7f'" },
                { "'\\u00e9'", "'\xc3\xa9'" },
                { "'\\x41\\u20ac'", "'A\xe2\x82\xac'" },
                { "\"\"", "''" },
                { "{[1]: 2}", "ERR@1 TypeError: unhashable type: 'list'" },
                { "{'a': 1, 'a': 2}", "{'a': 2}" },
                { "lambda x: x", "<function <lambda>>" },
                { "double", "<function <lambda>>" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_builtins(void **state)
{
        static const example ex[] = {
                { "len('h\xc3\xa9llo')", "5" },
                { "len([1, 2])", "2" },
                { "len({1: 2})", "1" },
                { "len(())", "0" },
                { "len(1)", "ERR@0 TypeError: object of type 'int' has no len()" },
                { "range(5)", "[0, 1, 2, 3, 4]" },
                { "range(2, 5)", "[2, 3, 4]" },
                { "range(10, 0, -3)", "[10, 7, 4, 1]" },
                { "range(0)", "[]" },
                { "range(5, 2)", "[]" },
                { "range(True, 3)", "[1, 2]" },
                { "range(-9223372036854775807 - 1, 9223372036854775807, 4611686018427387904)",
                  "[-9223372036854775808, -4611686018427387904, 0, 4611686018427387904]" },
                { "range(1, 2, 0)", "ERR@0 ValueError: range() arg 3 must not be zero" },
                { "range(1.5)", "ERR@0 TypeError: 'float' object cannot be interpreted as an "
                                "integer" },
                { "range(1000001)",
                  "ERR@0 ValueError: range() would have 1000001 items; the limit is 1000000" },
                { "len(range(1000000))", "1000000" },
                { "list()", "[]" },
                { "list('ab')", "['a', 'b']" },
                { "list((1, 2))", "[1, 2]" },
                { "list(d)", "['k']" },
                { "list(1)", "ERR@0 TypeError: 'int' object is not iterable" },
                { "tuple()", "()" },
                { "tuple([1, 2])", "(1, 2)" },
                { "tuple('ab')", "('a', 'b')" },
                { "tuple(None)", "ERR@0 TypeError: 'NoneType' object is not iterable" },
                { "str()", "''" },
                { "str(1.0)", "'1.0'" },
                { "str(0)", "'0'" },
                { "str(-7)", "'-7'" },
                { "str(4294967296)", "'4294967296'" },
                { "str(-9223372036854775807 - 1)", "'-9223372036854775808'" },
                { "str(True)", "'True'" },
                { "'msg ' + str(19999)", "'msg 19999'" },
                { "'' + str(5) + ''", "'5'" },
                { "str(1) + str(2) + 'ab' * 40 + str(3)",
                  "'12ababababababababababababababababababababababababababababababababababababababa"
                  "bab3'" },
                { "(str(1) + 'é') + ('é' + str(2))", "'1éé2'" },
                { "str([1, 'a'])", "\"[1, 'a']\"" },
                { "str('a')", "'a'" },
                { "str(None)", "'None'" },
                { "str(big)[0]", "'x'" },
                { "str([big])", "ERR@0 MemoryError: a str cannot be longer than 1048576 bytes" },
                { "int()", "0" },
                { "int(3.9)", "3" },
                { "int(-3.9)", "-3" },
                { "int(True)", "1" },
                { "int('  -42 ')", "-42" },
                { "int('+1_000')", "1000" },
                { "int('007')", "7" },
                { "int('-9223372036854775808')", "-9223372036854775808" },
                { "int('9223372036854775808')",
                  "ERR@0 OverflowError: int('9223372036854775808') does not fit in a 64-bit int" },
                { "int('_1')", "ERR@0 ValueError: invalid literal for int() with base 10: '_1'" },
                { "int('1__0')",
                  "ERR@0 ValueError: invalid literal for int() with base 10: '1__0'" },
                { "int('1.5')", "ERR@0 ValueError: invalid literal for int() with base 10: '1.5'" },
                { "int('')", "ERR@0 ValueError: invalid literal for int() with base 10: ''" },
                { "int(nan)", "ERR@0 ValueError: cannot convert float NaN to integer" },
                { "int(float('inf'))", "ERR@0 OverflowError: cannot convert float infinity to "
                                       "integer" },
                { "int([1])", "ERR@0 TypeError: int() argument must be a string, a bytes-like "
                              "object or a real number, not 'list'" },
                { "float()", "0.0" },
                { "float(2)", "2.0" },
                { "float(' 1_0.5 ')", "10.5" },
                { "float('1e3')", "1000.0" },
                { "float('-.5')", "-0.5" },
                { "float('5.')", "5.0" },
                { "float('inf')", "inf" },
                { "float('-Infinity')", "-inf" },
                { "float('NaN')", "nan" },
                { "float('1e999')", "inf" },
                { "float('x')", "ERR@0 ValueError: could not convert string to float: 'x'" },
                { "float('0x10')", "ERR@0 ValueError: could not convert string to float: '0x10'" },
                { "float('1__0')", "ERR@0 ValueError: could not convert string to float: '1__0'" },
                { "float('.')", "ERR@0 ValueError: could not convert string to float: '.'" },
                { "float('1e')", "ERR@0 ValueError: could not convert string to float: '1e'" },
                { "float([])", "ERR@0 TypeError: float() argument must be a string or a real "
                               "number, not 'list'" },
                { "bool()", "False" },
                { "bool([])", "False" },
                { "bool([0])", "True" },
                { "bool(0.0)", "False" },
                { "bool('False')", "True" },
                { "abs(-3)", "3" },
                { "abs(-3.5)", "3.5" },
                { "abs(True)", "1" },
                { "abs('a')", "ERR@0 TypeError: bad operand type for abs(): 'str'" },
                /* round: half to even on the exact value, as Python's */
                { "round(2.5)", "2" },
                { "round(-0.5)", "0" },
                { "round(3.5)", "4" },
                { "round(2.675, 2)", "2.67" },
                { "round(0.125, 2)", "0.12" },
                { "round(1.005, 2)", "1.0" },
                { "round(1250.0, -2)", "1200.0" },
                { "round(1350.0, -2)", "1400.0" },
                { "round(-1250.5, -2)", "-1300.0" },
                { "round(-0.4, -1)", "-0.0" },
                { "round(25, -1)", "20" },
                { "round(-15, -1)", "-20" },
                { "round(7, 3)", "7" },
                { "round(2.5, None)", "2" },
                { "round(1.5, 400)", "1.5" },
                { "round(9223372036854775807, -1)",
                  "ERR@0 OverflowError: round(9223372036854775807, -1) does not fit in a 64-bit "
                  "int" },
                { "round(1.5, 1.0)", "ERR@0 TypeError: 'float' object cannot be interpreted as an "
                                     "integer" },
                { "round('a')", "ERR@0 TypeError: type str doesn't define __round__ method" },
                { "min(3, 1, 2)", "1" },
                { "max(3, 1, 2)", "3" },
                { "min([3, 1, 2])", "1" },
                { "max('abc')", "'c'" },
                { "max(d)", "'k'" },
                { "max(1, 1.0)", "1" },
                { "max(1.0, 1)", "1.0" },
                { "min([(2, 'b'), (1, 'z')])", "(1, 'z')" },
                { "max([])", "ERR@0 ValueError: max() arg is an empty sequence" },
                { "min('')", "ERR@0 ValueError: min() arg is an empty sequence" },
                { "min(1, 'a')",
                  "ERR@0 TypeError: '<' not supported between instances of 'str' and 'int'" },
                { "max(1, 'a')",
                  "ERR@0 TypeError: '>' not supported between instances of 'str' and 'int'" },
                { "max(5)", "ERR@0 TypeError: 'int' object is not iterable" },
                { "sum([1, 2, 3])", "6" },
                { "sum([1, True, 2.5, -4])", "0.5" }, /* an int, a bool, a float: the long way */
                { "sum([-9223372036854775807, -1])", "-9223372036854775808" },
                { "sum(range(100001))", "5000050000" },
                { "sum([])", "0" },
                { "sum([0.1] * 10)", "0.9999999999999999" },
                { "sum([1, 2], 10)", "13" },
                { "sum([[1], [2]], [])", "[1, 2]" },
                { "sum(['a'])",
                  "ERR@0 TypeError: unsupported operand type(s) for +: 'int' and 'str'" },
                { "sum(['a'], '')",
                  "ERR@0 TypeError: sum() can't sum strings [use ''.join(seq) instead]" },
                { "sorted([3, 1, 2])", "[1, 2, 3]" },
                { "sorted('bca')", "['a', 'b', 'c']" },
                { "sorted([])", "[]" },
                { "sorted([2.5, 1, True, -1])", "[-1, 1, True, 2.5]" },
                { "sorted([(2, 'b'), (1, 'z'), (2, 'a')])", "[(1, 'z'), (2, 'a'), (2, 'b')]" },
                { "sorted([1, 'a'])",
                  "ERR@0 TypeError: '<' not supported between instances of 'str' and 'int'" },
                { "sorted(range(20, 0, -1)) == range(1, 21)", "True" },
                { "cpu_count()", "4" },
                { "cpu_count() * 2", "8" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_sorted_stable(void **state)
{
        /* Equal keys keep their order: 1, 1.0 and True compare equal. */
        (void)state;
        assert_string_equal(run("sorted([True, 1.0, 0, 1, False, 0.0])"),
                            "[0, False, 0.0, True, 1.0, 1]");
}

static void test_syntax_errors(void **state)
{
        static const example ex[] = {
                { "", "PARSE@0 empty expression" },
                { "   ", "PARSE@0 empty expression" },
                { "(1 + 2", "PARSE@6 expected ')' to close '(' at column 1" },
                { "f((1, 2)", "PARSE@8 expected ')' to close '(' at column 2" },
                { "[1, 2", "PARSE@5 expected ']' to close '[' at column 1" },
                { "{1: 2", "PARSE@5 expected '}' to close '{' at column 1" },
                { "{1 2}", "PARSE@3 expected '}' to close '{' at column 1" },
                { "arr[0", "PARSE@5 expected ']' to close '[' at column 4" },
                { "1 +", "PARSE@3 unexpected end of expression" },
                { "not", "PARSE@3 unexpected end of expression" },
                { "a = 1", "PARSE@2 '=' is not an operator here: use '==' to compare" },
                { "counter = = 1", "PARSE@8 '=' is not an operator here: use '==' to compare" },
                { "(a = 1)", "PARSE@3 '=' is not an operator here: use '==' to compare" },
                { "'abc", "PARSE@0 unterminated string literal (opened at column 1)" },
                { "1 + \"abc\\\"", "PARSE@4 unterminated string literal (opened at column 5)" },
                { "'a\nb'", "PARSE@0 unterminated string literal (opened at column 1)" },
                { "'a\\d'",
                  "PARSE@2 invalid escape sequence '\\d' (write '\\\\' for a backslash)" },
                { "'\\x4'", "PARSE@1 invalid \\x escape: it needs 2 hex digits" },
                { "'\\ud800'", "PARSE@1 invalid \\u escape: a surrogate" },
                { "1abc", "PARSE@0 invalid decimal literal" },
                { "1__0", "PARSE@0 invalid decimal literal" },
                { "1_", "PARSE@0 invalid decimal literal" },
                { "1e", "PARSE@0 invalid decimal literal" },
                { "1 + 2e+", "PARSE@4 invalid decimal literal" },
                { "1.2.3", "PARSE@0 invalid decimal literal" },
                { "0x10", "PARSE@0 only decimal numbers are supported" },
                { "012", "PARSE@0 leading zeros in decimal integer literals are not permitted" },
                { "00 + 0_0", "0" },
                { "9223372036854775808",
                  "PARSE@0 integer literal is too large (the limit is 9223372036854775807)" },
                { "1 + 99999999999999999999",
                  "PARSE@4 integer literal is too large (the limit is 9223372036854775807)" },
                { "1 @ 2", "PARSE@2 unknown character '@'" },
                { "1 + \x01", "PARSE@4 unknown character '\\x01'" },
                { "2 ** 3", "PARSE@2 '**' (power) is not supported" },
                { "1 & 2", "PARSE@2 '&' (bitwise and) is not supported: use 'and'" },
                { "!counter", "PARSE@0 '!' is not an operator: use 'not'" },
                { "arr.append(1)", "PARSE@3 '.' is not supported: values have no attributes or "
                                   "methods (the append statement: { \"append\": \"L\", "
                                   "\"value\": ... })" },
                { "d.get('n', 0)",
                  "PARSE@1 '.' is not supported: values have no attributes or methods (for a "
                  "dict, d[k] if k in d else DEFAULT; for a queue, the get statement)" },
                { "d.items()", "PARSE@1 '.' is not supported: values have no attributes or "
                               "methods (a for over the dict gives its keys: for k in d, then "
                               "d[k])" },
                { "x.getter", "PARSE@1 '.' is not supported: values have no attributes or "
                              "methods" },
                { "v.value + 1",
                  "PARSE@1 '.' is not supported: values have no attributes or "
                  "methods (a Value is read and stored by its name: v, not v.value)" },
                { "1 # comment", "PARSE@2 comments ('#') are not supported in expressions" },
                { "1, 2", "PARSE@1 a tuple needs parentheses: (a, b)" },
                { ")", "PARSE@0 unmatched ')'" },
                { "1 + 2)", "PARSE@5 unmatched ')'" },
                { "1 + ]", "PARSE@4 unmatched ']'" },
                { "(1 + ])", "PARSE@5 unexpected ']'" },
                { "{1, 2}", "PARSE@2 expected ':' after a dict key (sets are not supported)" },
                { "arr[1:2]", "PARSE@5 slices (a[i:j]) are not supported" },
                { "a b", "PARSE@2 unexpected name 'b'" },
                { "1 2", "PARSE@2 unexpected number 2" },
                { "'a' 'b'", "PARSE@4 unexpected string 'b'" },
                { "1 if 2", "PARSE@6 expected 'else' for the 'if' at column 3" },
                { "1 if 2 else", "PARSE@11 unexpected end of expression" },
                { "x for x in arr", "PARSE@2 'for' is not supported in expressions" },
                { "import os", "PARSE@0 'import' is not supported in expressions" },
                { "len", "PARSE@0 'len' is a builtin function: call it, as in len(...)" },
                { "len(1, 2)", "PARSE@0 len() takes exactly one argument (2 given)" },
                { "1 + len()", "PARSE@4 len() takes exactly one argument (0 given)" },
                { "range()", "PARSE@0 range() takes at least 1 argument (0 given)" },
                { "range(1, 2, 3, 4)", "PARSE@0 range() takes at most 3 arguments (4 given)" },
                { "random(1)", "PARSE@0 random() takes 0 or 2 arguments (1 given)" },
                { "random(1, 2, 3)", "PARSE@0 random() takes at most 2 arguments (3 given)" },
                { "cpu_count(1)", "PARSE@0 cpu_count() takes no arguments (1 given)" },
                { "max()", "PARSE@0 max() takes at least 1 argument (0 given)" },
                { "int(x=1)", "PARSE@5 keyword arguments are not supported" },
                { "len(", "PARSE@4 unexpected end of expression" },
                { "len(1", "PARSE@5 expected ')' to close '(' at column 4" },
                { "1 + lambda x: x", "PARSE@4 a lambda needs parentheses here: (lambda ...)" },
                { "lambda x, x: x", "PARSE@10 duplicate parameter 'x' in lambda" },
                { "lambda len: 1", "PARSE@7 'len' is a builtin and cannot be a parameter name" },
                { "lambda x=1: x", "PARSE@8 default parameter values are not supported" },
                { "lambda x y: x",
                  "PARSE@9 expected ':' after the parameters of the lambda at column 1" },
                { "lambda 1: 1", "PARSE@7 expected a parameter name, found number 1" },
                { "lambda if: 1", "PARSE@7 expected a parameter name, found 'if'" },
                { "lambda x:", "PARSE@9 unexpected end of expression" },
                { "lambda x: lambda y: x + y",
                  "PARSE@20 'x' is a parameter of an enclosing lambda: a nested lambda cannot "
                  "use it" },
        };

        (void)state;
        CHECK_ALL(ex);
}

static void test_depth_limits(void **state)
{
        char *src = malloc(40000);
        size_t n = 0;

        (void)state;
        /* 10,000 nested parentheses: refused before parsing (too long), no crash. */
        for (int i = 0; i < 10000; i++)
                src[n++] = '(';
        src[n++] = '1';
        for (int i = 0; i < 10000; i++)
                src[n++] = ')';
        src[n] = '\0';
        assert_string_equal(run(src),
                            "PARSE@4096 expression is too long (20001 bytes; the limit is 4096)");

        /* 1,000 nested parentheses fit in the length limit and hit the depth limit. */
        n = 0;
        for (int i = 0; i < 1000; i++)
                src[n++] = '(';
        src[n++] = '1';
        for (int i = 0; i < 1000; i++)
                src[n++] = ')';
        src[n] = '\0';
        assert_string_equal(run(src),
                            "PARSE@64 expression is nested too deeply (the limit is 64 levels)");

        /* Brackets, braces, unary operators, not, indexing and conditionals all count. */
        {
                static const char *const units[] = { "[",    "{1: ",         "-",        "not ",
                                                     "arr[", "1 if 1 else ", "(lambda: " };

                for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
                        n = 0;
                        for (int i = 0; i < 1000 && n + 20 < 4000; i++)
                                n += (size_t)sprintf(src + n, "%s", units[u]);
                        src[n++] = '1';
                        src[n] = '\0';
                        assert_non_null(strstr(run(src), "is nested too deeply"));
                }
        }

        /* Within the limit, deep nesting works. */
        n = 0;
        for (int i = 0; i < 55; i++)
                src[n++] = '(';
        n += (size_t)sprintf(src + n, "-[{1: not 0}][0][1]");
        for (int i = 0; i < 55; i++)
                src[n++] = ')';
        src[n] = '\0';
        assert_string_equal(run(src), "-1");

        /* A long flat chain is not deep: 1 + 1 + ... fills the length limit. */
        n = 0;
        src[n++] = '1';
        while (n + 4 <= 4096)
                n += (size_t)sprintf(src + n, "+1");
        src[n] = '\0';
        assert_string_equal(run(src), "2047");
        n = 0;
        for (int i = 0; i < 1000; i++)
                n += (size_t)sprintf(src + n, "1<");
        n += (size_t)sprintf(src + n, "2");
        assert_string_equal(run(src), "False");
        free(src);

        /* Recursion through lambdas stops with RecursionError. */
        assert_string_equal(run("fact(20)"), "2432902008176640000");
        assert_string_equal(run("fact(21)"),
                            "ERR@0 OverflowError: 21 * 2432902008176640000 does not fit in a "
                            "64-bit int");
        assert_string_equal(run("forever(0)"),
                            "ERR@0 RecursionError: maximum recursion depth exceeded");
        assert_string_equal(run("double(double(21))"), "84");
        assert_string_equal(run("double('a') * 2"), "'aaaa'");
        /* Each evaluation of a lambda is a new function, as in Python: here each load of double
         * evaluates its lambda again (the node's own object is handed out only while no one else
         * holds it, so the second is another object). */
        assert_string_equal(run("double is double"), "False");
        assert_string_equal(run("double is not double"), "True");
        assert_string_equal(run("double == double"), "True");
        assert_string_equal(run("(lambda: 1) is (lambda: 1)"), "False");
        assert_string_equal(run("double(2) + double(3) + double(4)"), "18");
        assert_string_equal(run("1 + double(None)"),
                            "ERR@4 TypeError: unsupported operand type(s) for *: 'NoneType' and "
                            "'int'");
}

static void test_lambdas(void **state)
{
        expr_error err;
        expr *e = parse_resolved("lambda x, y: x * y + k");
        value fn, out, args[3];

        (void)state;
        assert_int_equal(expr_lambda_params(e), 2);
        assert_int_equal(expr_eval(e, &env, &fn, &err), 0);
        assert_int_equal(fn.type, VALUE_FUNC);
        args[0] = value_int(3);
        args[1] = value_int(4);
        args[2] = value_int(5);
        assert_int_equal(expr_call(fn, args, 2, &env, &out, &err), 0);
        assert_int_equal(out.type, VALUE_INT);
        assert_int_equal(out.as.i, 22); /* k is 10 */
        value_drop(&out);

        assert_int_equal(expr_call(fn, args, 3, &env, &out, &err), -1);
        assert_string_equal(err.msg,
                            "TypeError: <lambda>() takes 2 positional arguments but 3 were given");
        assert_int_equal(err.offset, 0);
        assert_int_equal(expr_call(fn, args, 1, &env, &out, &err), -1);
        assert_string_equal(err.msg,
                            "TypeError: <lambda>() missing 1 required positional argument: 'y'");
        assert_int_equal(expr_call(fn, args, 0, &env, &out, &err), -1);
        assert_string_equal(err.msg, "TypeError: <lambda>() missing 2 required positional "
                                     "arguments: 'x' and 'y'");
        assert_int_equal(out.type, VALUE_NONE);
        args[1] = value_cstr("a");
        assert_int_equal(expr_call(fn, args, 2, &env, &out, &err), -1);
        assert_string_equal(err.msg, "TypeError: can only concatenate str (not \"int\") to str");
        assert_int_equal(err.offset, 19); /* the '+' in the body */
        assert_int_equal(expr_call(args[0], args, 0, &env, &out, &err), -1);
        assert_string_equal(err.msg, "TypeError: 'int' object is not callable");
        value_drop(&args[1]);
        value_drop(&fn);
        expr_free(e);

        e = parse_resolved("1 + 2");
        assert_int_equal(expr_lambda_params(e), -1);
        expr_free(e);

        {
                static const example ex[] = {
                        { "(lambda: 5)()", "5" },
                        { "(lambda x: x)(1, 2)",
                          "ERR@1 TypeError: <lambda>() takes 1 positional argument but 2 were "
                          "given" },
                        { "(lambda: 1)(1)",
                          "ERR@1 TypeError: <lambda>() takes 0 positional arguments but 1 was "
                          "given" },
                        { "(lambda x, y, z: 1)()",
                          "ERR@1 TypeError: <lambda>() missing 3 required positional arguments: "
                          "'x', 'y', and 'z'" },
                        /* Parameters shadow free names. */
                        { "(lambda counter: counter * 2)(21)", "42" },
                        { "(lambda f, x: f(f(x)))(double, 3)", "12" },
                        { "(lambda x: lambda y: y)(1)(2)", "2" },
                        { "(lambda: counter + i)()", "8" },
                        { "counter(1)", "ERR@0 TypeError: 'int' object is not callable" },
                        { "[1](0)", "ERR@0 TypeError: 'list' object is not callable" },
                        { "(lambda *a: 1)", "PARSE@8 expected a parameter name, found '*'" },
                        { "(lambda x: x) == (lambda x: x)", "False" },
                        { "double == double", "True" },
                };

                CHECK_ALL(ex);
        }
}

/* ---- resolving ---- */

typedef struct {
        char seen[512];
        int calls;
        const char *reject;
} resolve_log;

static int log_cb(void *ctx, const char *name, int offset, int32_t *ref)
{
        resolve_log *log = ctx;
        size_t len = strlen(log->seen);

        snprintf(log->seen + len, sizeof log->seen - len, "%s%s@%d", len ? " " : "", name, offset);
        *ref = 100 + log->calls++;
        return log->reject && strcmp(name, log->reject) == 0 ? -1 : 0;
}

static const char *resolve_names(const char *src, const char *reject, int *rejected)
{
        static resolve_log log;
        expr_error err;
        expr *e = expr_parse(src, strlen(src), &err);

        assert_non_null(e);
        memset(&log, 0, sizeof log);
        log.reject = reject;
        *rejected = expr_resolve(e, log_cb, &log);
        expr_free(e);
        return log.seen;
}

static void test_resolve(void **state)
{
        int rejected;

        (void)state;
        assert_string_equal(resolve_names("b + a[c] if d else len(e)", NULL, &rejected),
                            "b@0 a@4 c@6 d@12 e@23");
        assert_int_equal(rejected, 0);
        /* Lambda parameters are bound; free names inside a lambda are not. */
        assert_string_equal(resolve_names("(lambda x, y: x + y + z)(w, x)", NULL, &rejected),
                            "z@22 w@25 x@28");
        assert_string_equal(resolve_names("f(1) + g(h)", NULL, &rejected), "f@0 g@7 h@9");
        assert_string_equal(resolve_names("{k: v, 'a': [m, (n,)]}", NULL, &rejected),
                            "k@1 v@4 m@13 n@17");
        assert_string_equal(resolve_names("not p < q <= r and s or t", NULL, &rejected),
                            "p@4 q@8 r@13 s@19 t@24");
        assert_string_equal(resolve_names("cpu_count() + random(1, 6) + len(x)", NULL, &rejected),
                            "x@33");
        assert_string_equal(resolve_names("a + b + a", "a", &rejected), "a@0 b@4 a@8");
        assert_int_equal(rejected, 2);
        assert_string_equal(resolve_names("None + True", NULL, &rejected), "");
}

static void test_lvalue(void **state)
{
        const char *name;
        int32_t ref;
        const expr *index;
        expr *e;
        expr_error err;
        value v;

        (void)state;
        e = parse_resolved("counter");
        assert_true(expr_lvalue(e, &name, &ref, &index));
        assert_string_equal(name, "counter");
        assert_int_equal(ref, 0);
        assert_null(index);
        expr_free(e);

        e = parse_resolved("arr[i - 1]");
        assert_true(expr_lvalue(e, &name, &ref, &index));
        assert_string_equal(name, "arr");
        assert_int_equal(ref, 1);
        assert_non_null(index);
        assert_int_equal(expr_eval(index, &env, &v, &err), 0);
        assert_int_equal(v.as.i, 2);
        expr_free(e);

        e = parse_resolved("d['k']");
        assert_true(expr_lvalue(e, &name, &ref, &index));
        assert_string_equal(name, "d");
        assert_int_equal(expr_eval(index, &env, &v, &err), 0);
        assert_string_equal(value_str_data(v, NULL), "k");
        value_drop(&v);
        expr_free(e);

        e = expr_parse("x", 1, &err); /* before resolving, the ref is -1 */
        assert_true(expr_lvalue(e, &name, &ref, &index));
        assert_int_equal(ref, -1);
        expr_free(e);

        {
                static const char *const not_lvalues[] = {
                        "counter + 1", "arr[0][1]", "len(arr)", "[a][0]",    "1",
                        "'x'",         "f(x)",      "-x",       "lambda: x", "(a, b)",
                };

                for (size_t i = 0; i < sizeof not_lvalues / sizeof not_lvalues[0]; i++) {
                        e = expr_parse(not_lvalues[i], strlen(not_lvalues[i]), &err);
                        assert_non_null(e);
                        assert_false(expr_lvalue(e, &name, &ref, &index));
                        expr_free(e);
                }
        }
}

static bool uses_random(const char *src)
{
        expr_error err;
        expr *e = expr_parse(src, strlen(src), &err);
        bool r;

        assert_non_null(e);
        r = expr_uses_random(e);
        expr_free(e);
        return r;
}

static void test_random(void **state)
{
        uint64_t a = 0, b = 0, st;
        expr_error err;
        expr *e;
        value v;
        int seen[7] = { 0 };

        (void)state;
        /* splitmix64's reference output for seed 0. */
        assert_true(expr_random_next(&a) == 0xe220a8397b1dcdafULL);
        assert_true(expr_random_next(&b) == 0xe220a8397b1dcdafULL);
        assert_true(expr_random_next(&a) == expr_random_next(&b));

        assert_true(uses_random("random()"));
        assert_true(uses_random("1 + random(1, 6)"));
        assert_true(uses_random("[x, (lambda: random())]"));
        assert_true(uses_random("f(random())"));
        assert_false(uses_random("cpu_count() + len(x)"));
        assert_false(uses_random("random_name"));

        /* random(a, b) stays in [a, b], hits every value, and one seed gives one sequence. */
        e = parse_resolved("random(1, 6)");
        st = 7;
        env.rng = &st;
        for (int i = 0; i < 6000; i++) {
                assert_int_equal(expr_eval(e, &env, &v, &err), 0);
                assert_int_equal(v.type, VALUE_INT);
                assert_true(v.as.i >= 1 && v.as.i <= 6);
                seen[v.as.i]++;
        }
        for (int i = 1; i <= 6; i++)
                assert_true(seen[i] > 800 && seen[i] < 1200);
        {
                int64_t first[10];

                st = 99;
                for (int i = 0; i < 10; i++) {
                        assert_int_equal(expr_eval(e, &env, &v, &err), 0);
                        first[i] = v.as.i;
                }
                st = 99;
                for (int i = 0; i < 10; i++) {
                        assert_int_equal(expr_eval(e, &env, &v, &err), 0);
                        assert_int_equal(v.as.i, first[i]);
                }
        }
        expr_free(e);

        e = parse_resolved("random()");
        st = 1;
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(expr_eval(e, &env, &v, &err), 0);
                assert_int_equal(v.type, VALUE_FLOAT);
                assert_true(v.as.f >= 0.0 && v.as.f < 1.0);
        }
        env.rng = NULL;
        assert_int_equal(expr_eval(e, &env, &v, &err), -1);
        assert_string_equal(err.msg, "ValueError: random() is not available here (this expression "
                                     "is evaluated when the scenario loads)");
        assert_int_equal(err.offset, 0);
        env.rng = &rng_state;
        expr_free(e);

        {
                static const example ex[] = {
                        { "random(5, 5)", "5" },
                        { "random(5, 1)", "ERR@0 ValueError: empty range for random(5, 1)" },
                        { "random(1.5, 2)",
                          "ERR@0 TypeError: random(a, b) needs two ints, not 'float'" },
                        { "random(-9223372036854775808, 9223372036854775807) is not None", "True" },
                };

                CHECK_ALL(ex);
        }
}

static void test_names(void **state)
{
        static const example ex[] = {
                { "counter + 1", "6" },
                { "name", "'Worker-1'" },
                { "'Thread ' + name + ' (' + str(i) + ')'", "'Thread Worker-1 (3)'" },
                { "undefined + 1", "ERR@0 NameError: name 'undefined' is not defined" },
                { "1 + (2 * undefined)", "ERR@9 NameError: name 'undefined' is not defined" },
                /* Values loaded from the environment are never changed by an expression. */
                { "arr + [4]", "[1, 2, 3, 4]" },
                { "arr", "[1, 2, 3]" },
        };

        (void)state;
        CHECK_ALL(ex);
}

/* ---- templates ---- */

static const char *render(const char *src)
{
        expr_error err = { -1, "" };
        expr_template *t = expr_template_parse(src, strlen(src), &err);
        strbuf sb = STRBUF_INIT;

        if (t == NULL) {
                snprintf(result, sizeof result, "PARSE@%d %s", err.offset, err.msg);
                return result;
        }
        assert_int_equal(expr_template_resolve(t, resolve_cb, NULL), 0);
        strbuf_puts(&sb, ">");
        if (expr_template_render(t, &env, &sb, &err) < 0)
                snprintf(result, sizeof result, "ERR@%d %s [%s]", err.offset, err.msg,
                         strbuf_str(&sb));
        else
                snprintf(result, sizeof result, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
        expr_template_free(t);
        return result;
}

static void test_templates(void **state)
{
        static const example ex[] = {
                { "plain text", ">plain text" },
                { "", ">" },
                { "Thread {name} ({i}) has entered.", ">Thread Worker-1 (3) has entered." },
                { "{counter}{counter}", ">55" },
                { "{{literal}} and {counter}", ">{literal} and 5" },
                { "{{}}", ">{}" },
                { "}}{{", ">}{" },
                { "{ {'a': 1}['a'] }", ">1" },
                { "{'}'}{\"{\"}", ">}{" },
                { "{[1.0, 101.0]} {(1,)}", ">[1.0, 101.0] (1,)" },
                { "{'s'} {None} {1/3}", ">s None 0.3333333333333333" },
                { "{d}", ">{'k': 'v'}" },
                { "{name + '!'}", ">Worker-1!" },
                { "{counter if counter > 3 else 'small'}", ">5" },
                { "{lambda: 1}", "><function <lambda>>" },
                { "a {counter", "PARSE@10 expected '}' to close '{' at column 3" },
                { "a {", "PARSE@2 '{' at column 3 is never closed (write '{{' for a literal "
                         "brace)" },
                { "a { }", "PARSE@2 empty expression in '{}' at column 3 (write '{{' for a "
                           "literal brace)" },
                { "a } b", "PARSE@2 single '}' is not allowed in a template (write '}}')" },
                { "{counter:>5}", "PARSE@8 format specs (':') are not supported in "
                                  "templates (for a float to two places: {round(x, 2)})" },
                { "{counter!r}", "PARSE@8 conversions ('!r', '!s') are not supported in "
                                 "templates (a value prints as str() prints it, a string inside "
                                 "a list or dict quoted)" },
                { "{counter=}", "PARSE@8 '{x=}' is not supported in templates: write "
                                "counter={counter}" },
                { "{counter + 1 = }", "PARSE@13 '{x=}' is not supported in templates: write "
                                      "counter + 1={counter + 1}" },
                { "{counter + counter + counter + counter + 1=}",
                  "PARSE@42 '{x=}' is not supported in templates: write x={x}" },
                { "{counter, 1}", "PARSE@8 a tuple needs parentheses: (a, b)" },
                { "{counter +}", "PARSE@10 unexpected '}'" },
                { "{counter name}", "PARSE@9 expected '}' to close '{' at column 1" },
                { "ok {1 = 2}", "PARSE@6 '=' is not an operator here: use '==' to compare" },
                { "x {'abc}", "PARSE@3 unterminated string literal (opened at column 4)" },
                { "ab {1 / 0} cd", "ERR@6 ZeroDivisionError: division by zero [>]" },
                { "{undefined}", "ERR@1 NameError: name 'undefined' is not defined [>]" },
                { "{big}{big}",
                  "ERR@6 MemoryError: a str cannot be longer than 1048576 bytes [>]" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
                const char *got = render(ex[i].src);

                if (strcmp(got, ex[i].want) != 0)
                        print_error("%s\n    got:  %s\n    want: %s\n", ex[i].src, got, ex[i].want);
                assert_string_equal(got, ex[i].want);
        }
}

static void test_template_plain_and_resolve(void **state)
{
        expr_error err;
        expr_template *t;
        const char *text;
        resolve_log log;
        strbuf sb = STRBUF_INIT;

        (void)state;
        /* One hole may print up to the string limit. */
        t = expr_template_parse("{big}", 5, &err);
        assert_int_equal(expr_template_resolve(t, resolve_cb, NULL), 0);
        assert_int_equal(expr_template_render(t, &env, &sb, &err), 0);
        assert_int_equal(sb.len, VALUE_MAX_STR);
        strbuf_free(&sb);
        expr_template_free(t);

        t = expr_template_parse("Main thread {{done}}", 20, &err);
        assert_non_null(t);
        assert_true(expr_template_is_plain(t, &text));
        assert_string_equal(text, "Main thread {done}");
        expr_template_free(t);

        t = expr_template_parse("", 0, &err);
        assert_true(expr_template_is_plain(t, &text));
        assert_string_equal(text, "");
        expr_template_free(t);

        t = expr_template_parse("{a} and {(lambda b: b + c)(d)}", 30, &err);
        assert_non_null(t);
        assert_false(expr_template_is_plain(t, &text));
        memset(&log, 0, sizeof log);
        assert_int_equal(expr_template_resolve(t, log_cb, &log), 0);
        assert_string_equal(log.seen, "a@1 c@24 d@27"); /* offsets in the template */
        expr_template_free(t);

        {
                char *long_text = malloc(5000);

                memset(long_text, 'x', 5000);
                assert_null(expr_template_parse(long_text, 5000, &err));
                assert_string_equal(err.msg,
                                    "template is too long (5000 bytes; the limit is 4096)");
                free(long_text);
        }
}

/* ---- ctypes' words for an Array's item ---- */

static bool arr_is_array(void *ctx, int32_t ref)
{
        (void)ctx;
        return ref == 1; /* "arr" */
}

static void test_ctype_array_words(void **state)
{
        static const struct {
                const char *src, *array_msg, *list_msg;
        } cases[] = {
                { "arr[9]", "IndexError: invalid index", "IndexError: list index out of range" },
                { "arr['x']", "TypeError: indices must be integers",
                  "TypeError: list indices must be integers or slices, not str" },
                /* only the Array's own item: a list made from it is a list */
                { "list(arr)[9]", "IndexError: list index out of range",
                  "IndexError: list index out of range" },
        };
        expr_env my = env;

        (void)state;
        my.is_ctype_array = arr_is_array;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
                expr *e = parse_resolved(cases[k].src);
                expr_error err = { 0 };
                value v;

                assert_int_equal(expr_eval(e, &my, &v, &err), -1);
                assert_string_equal(err.msg, cases[k].array_msg);
                assert_int_equal(expr_eval(e, &env, &v, &err), -1);
                assert_string_equal(err.msg, cases[k].list_msg);
                expr_free(e);
        }
        /* an index that is good reads the item */
        expr *e = parse_resolved("arr[-1]");
        expr_error err = { 0 };
        value v;

        assert_int_equal(expr_eval(e, &my, &v, &err), 0);
        assert_int_equal(v.type, VALUE_INT);
        value_drop(&v);
        expr_free(e);
}

/* ---- threads ---- */

static void *eval_many(void *arg)
{
        const expr *e = arg;
        uint64_t st = 5;
        expr_env my = env;
        int *ok = malloc(sizeof *ok);

        my.rng = &st;
        *ok = 1;
        for (int i = 0; i < 2000; i++) {
                expr_error err;
                value v;

                if (expr_eval(e, &my, &v, &err) < 0 || v.type != VALUE_LIST || value_len(v) != 4)
                        *ok = 0;
                value_drop(&v);
        }
        return ok;
}

static void test_threads(void **state)
{
        expr *e = parse_resolved("sorted(arr + [random(1, 6)]) if double(counter) else 0");
        pthread_t t[4];

        (void)state;
        for (int i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, eval_many, e), 0);
        for (int i = 0; i < 4; i++) {
                void *ok;

                pthread_join(t[i], &ok);
                assert_int_equal(*(int *)ok, 1);
                free(ok);
        }
        expr_free(e);
}

static void test_misc_api(void **state)
{
        expr_error err;
        expr *e;
        value v;

        (void)state;
        /* expr_constant: a literal only (`while True` tests it without evaluating), its value
         * what an evaluation gives */
        {
                static const char *const yes[] = { "True", "0", "'a'", "None", "2.5", "(1)" };
                static const char *const no[] = { "1 + 2", "k", "not True", "[1]", "-1" };

                for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
                        value c;

                        e = parse_resolved(yes[i]);
                        assert_true(expr_constant(e, &c));
                        assert_int_equal(expr_eval(e, &env, &v, &err), 0);
                        assert_true(value_equal(c, v) && c.type == v.type);
                        value_drop(&v);
                        expr_free(e);
                }
                for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
                        value c;

                        e = parse_resolved(no[i]);
                        assert_false(expr_constant(e, &c));
                        expr_free(e);
                }
                assert_false(expr_constant(NULL, &v));
        }
        /* A NULL error pointer and a NULL environment are tolerated. */
        assert_null(expr_parse("1 +", 3, NULL));
        e = expr_parse("1 + 1", 5, NULL);
        assert_int_equal(expr_eval(e, NULL, &v, NULL), 0);
        assert_int_equal(v.as.i, 2);
        expr_free(e);
        e = expr_parse("x", 1, &err);
        assert_int_equal(expr_eval(e, NULL, &v, &err), -1);
        assert_string_equal(err.msg, "NameError: name 'x' is not defined");
        expr_free(e);
        expr_free(NULL);
        expr_template_free(NULL);
        /* A literal value, however big or deep, needs no text. */
        {
                value l = value_list(), nest = value_list();

                for (int i = 0; i < 100000; i++)
                        assert_int_equal(value_list_append(&l, value_int(i), NULL, 0), 0);
                assert_int_equal(value_list_append(&l, value_float(INFINITY), NULL, 0), 0);
                for (int i = 1; i < 80; i++) {
                        value outer = value_list();

                        assert_int_equal(value_list_append(&outer, nest, NULL, 0), 0);
                        nest = outer;
                }
                assert_int_equal(value_list_append(&l, nest, NULL, 0), 0);
                e = expr_literal(l);
                assert_false(expr_uses_random(e));
                assert_false(expr_lvalue(e, NULL, NULL, NULL));
                assert_int_equal(expr_resolve(e, resolve_cb, NULL), 0);
                assert_int_equal(expr_eval(e, NULL, &v, &err), 0);
                assert_int_equal(value_len(v), 100002);
                assert_int_equal(value_at(v, 100000).type, VALUE_FLOAT);
                assert_int_equal(value_depth(v), 81);
                value_drop(&v);
                expr_free(e);
        }
        /* The text need not be NUL-terminated. */
        e = expr_parse("12345", 2, &err);
        assert_int_equal(expr_eval(e, NULL, &v, &err), 0);
        assert_int_equal(v.as.i, 12);
        expr_free(e);
}

/* Names whose refs fall in the environment's slots are read from them, without load; the others,
 * and a slot not set yet, through load. */
static void test_slots(void **state)
{
        value slots[3] = { value_int(100), value_int(-1), make_list(2, 1, 2) };
        bool set[3] = { true, false, true };

        (void)state;
        env.slots = slots;
        env.slot_set = set;
        env.slot_first = 4; /* i, k, minint */
        env.nslots = 3;
        assert_string_equal(run("i + 1"), "101");
        assert_string_equal(run("k"), "10");
        assert_string_equal(run("minint + [3]"), "[1, 2, 3]");
        assert_string_equal(run("minint"), "[1, 2]");
        assert_string_equal(run("counter"), "5");
        assert_string_equal(run("nan"), "nan");
        assert_string_equal(run("undefined"), "ERR@0 NameError: name 'undefined' is not defined");
        /* as operands of + and of a comparison (read there without eval): set slots, a slot
         * not set and a name below the slots through load, the same object for `is` */
        assert_string_equal(run("i + i"), "200");
        assert_string_equal(run("k + 1"), "11");
        assert_string_equal(run("counter + i"), "105");
        assert_string_equal(run("i is None"), "False");
        assert_string_equal(run("k is not None"), "True");
        assert_string_equal(run("minint is minint"), "True");
        assert_string_equal(run("i < k < 200"), "False");
        assert_string_equal(run("1 + undefined"),
                            "ERR@4 NameError: name 'undefined' is not defined");
        assert_string_equal(run("i + 'a'"),
                            "ERR@2 TypeError: unsupported operand type(s) for +: 'int' and 'str'");
        env.nslots = 0;
        assert_string_equal(run("i + 1"), "4");
        env.slots = NULL;
        env.slot_set = NULL;
        env.slot_first = 0;
        /* the reads gave their references back: this drop frees the list (the ASan build would
         * see a use after free, or a leak, otherwise) */
        assert_int_equal(value_len(slots[2]), 2);
        value_drop(&slots[2]);
}

/* expr_env's hold in test_tables: counts its calls and takes the "lock". */
static int holds;

static void hold(void *ctx)
{
        holds++;
        *(bool *)ctx = true;
}

/* SRC evaluated by the general path, as an item of a tuple: run's answer for SRC, its error
 * offsets pointing into SRC. */
static const char *run_general(const char *src)
{
        char wrapped[256];
        int off;

        snprintf(wrapped, sizeof wrapped, "(%s,)[0]", src);
        run(wrapped);
        if (sscanf(result, "ERR@%d", &off) == 1) {
                char *msg = strchr(result, ' ');
                char tmp[sizeof result];

                snprintf(tmp, sizeof tmp, "ERR@%d%s", off - 1, msg);
                snprintf(result, sizeof result, "%s", tmp);
        }
        return result;
}

/* The root's own evaluation (eval_root: a leaf, or an operator between two leaves, read from the
 * environment's tables) gives what the general path gives, with the same messages and offsets:
 * every example runs at the root with the tables (constants: maxint, flag, half, none; data in
 * place: counter, and arr's slot empty so that it goes to load), and then inside a tuple, where
 * eval takes it, with load alone. */
static void test_tables(void **state)
{
        static const char *const srcs[] = {
                "counter",
                "flag",
                "none",
                "half",
                "arr",
                "counter + 1",
                "1 + counter",
                "counter - i",
                "counter * k",
                "maxint + 1",
                "maxint - 1",
                "1 - maxint",
                "maxint * 2",
                "minint - 1",
                "minint * -1",
                "maxint + flag",
                "flag + 1",
                "flag + flag",
                "flag - counter",
                "half + 1",
                "counter + half",
                "counter / 2",
                "counter // 2",
                "counter % 3",
                "counter / 0",
                "counter < k",
                "counter <= 5",
                "counter == 5",
                "counter != 5",
                "counter > flag",
                "counter >= half",
                "flag == 1",
                "half == 0.5",
                "none is None",
                "none is not None",
                "counter is 5",
                "flag is True",
                "flag is 1",
                "arr is arr",
                "counter + 'a'",
                "none + 1",
                "none < 1",
                "counter in arr",
                "counter not in arr",
                "arr + arr",
                "arr * 2",
                "undefined + 1",
                "counter + undefined",
                "k < counter < maxint",
                "-counter",
                "not none",
                "s + s",
                "1 + 2",
                "True + 1",
                "len(arr) == 3",
                "len(arr) + counter",
                "str(counter) + 'x'",
                "(counter + 1) * 2",
                "len(arr) + undefined",
                "not counter",
                "not arr",
                "not undefined",
                "not (counter - 5)",
                "not len(arr)",
                "-counter + maxint",
                "'a' + s",
        };
        value consts[4] = { value_int(INT64_MAX), value_bool(true), value_float(0.5),
                            value_none() };
        value counter = value_int(5);
        value *res[2] = { &counter, NULL };
        bool held = false;
        char with[sizeof result];

        (void)state;
        for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
                env.consts = consts;
                env.const_first = 14;
                env.nconsts = 4;
                env.res_slots = res;
                env.res_first = 0;
                env.nres = 2;
                env.held = &held;
                env.hold = hold;
                env.ctx = &held;
                snprintf(with, sizeof with, "%s", run(srcs[i]));
                env.nconsts = 0;
                env.nres = 0;
                assert_string_equal(with, run_general(srcs[i]));
        }
        /* the data's lock: taken once, by the first read of data in place, and not again while
         * it is held */
        env.nconsts = 4;
        env.nres = 2;
        holds = 0;
        held = false;
        assert_string_equal(run("counter + counter"), "10");
        assert_int_equal(holds, 1);
        assert_true(held);
        assert_string_equal(run("counter * 3"), "15");
        assert_int_equal(holds, 1);
        held = false;
        assert_string_equal(run("maxint - 1"), "9223372036854775806");
        assert_int_equal(holds, 1);
        assert_false(held);
        /* data rebound between two evaluations is read anew */
        counter = value_int(41);
        assert_string_equal(run("counter + 1"), "42");
        counter = value_bool(true);
        assert_string_equal(run("counter + 1"), "2");
        assert_string_equal(run("counter is True"), "True");
        counter = value_float(1.5);
        assert_string_equal(run("counter * 2"), "3.0");
        env.consts = NULL;
        env.nconsts = 0;
        env.res_slots = NULL;
        env.nres = 0;
        env.held = NULL;
        env.hold = NULL;
        env.ctx = NULL;
}

/* SRC's value with the general path (eval, as an item of a tuple) in the same environment. */
static const char *eval_general(const char *src)
{
        char wrapped[256];

        snprintf(wrapped, sizeof wrapped, "(%s,)[0]", src);
        return run(wrapped);
}

/* expr_eval_fast (the shapes a caller works out inline) gives exactly what expr_eval gives, or
 * leaves the expression to it: every shape, with locals (counter, i: slots, set or not) and data
 * in place (maxint, none: res_slots) holding ints at the edges, bools, a float, None and the
 * empty and non-empty containers, rebound between evaluations of the one parsed tree. */
static void test_fast(void **state)
{
        /* each with how many of the 14 x 14 bindings of counter and i (and none) take the short
         * way: all for a name and `is None`; for two ints, the 6 x 6 pairs whose result fits (6
         * x 14 with a literal, whatever i is); none for a bool, a float, an overflow (the general
         * path's OverflowError), an unset or unknown name or another shape */
        static const struct {
                const char *src;
                int fast;
        } srcs[] = {
                { "counter", 196 },
                { "counter is None", 196 },
                { "counter is not None", 196 },
                { "none is None", 196 },
                { "none is not None", 196 },
                { "counter + i", 28 },
                { "counter - i", 28 },
                { "i - counter", 28 },
                { "counter * i", 25 },
                { "counter + 1", 70 },
                { "counter - 1", 70 },
                { "counter * 2", 56 },
                { "counter * 3", 56 },
                { "counter + maxint", 42 },
                { "maxint + 1", 0 },
                { "counter < i", 36 },
                { "counter <= i", 36 },
                { "counter > 0", 84 },
                { "counter >= 0", 84 },
                { "counter == i", 36 },
                { "counter != 1", 84 },
                { "counter / 2", 0 },
                { "counter is 1", 0 },
                { "counter in i", 0 },
                { "undefined + 1", 0 },
                { "counter + undefined", 0 },
        };
        value vals[] = {
                value_int(0),         value_int(1),          value_int(-1),    value_int(INT64_MAX),
                value_int(INT64_MIN), value_int(3037000500), value_bool(true), value_bool(false),
                value_float(0.5),     value_none(),          value_cstr(""),   value_cstr("a"),
                value_list(),         make_list(1, 7),
        };
        enum { NV = sizeof vals / sizeof vals[0] };
        value slots[6],
            data[4] = { value_int(INT64_MAX), value_none(), value_none(), value_none() };
        value *res[4] = { &data[0], NULL, NULL, &data[1] };
        bool set[6] = { false }, held = false;

        (void)state;
        for (int k = 0; k < 6; k++)
                slots[k] = value_none();
        env.slots = slots;
        env.slot_set = set;
        env.slot_first = 0;
        env.nslots = 6;
        env.res_slots = res;
        env.res_first = 14;
        env.nres = 4;
        env.held = &held;
        env.hold = hold;
        env.ctx = &held;
        for (size_t n = 0; n < sizeof srcs / sizeof srcs[0]; n++) {
                const char *src = srcs[n].src;
                expr *e = parse_resolved(src);
                bool in_place = strstr(src, "maxint") != NULL || strstr(src, "none") != NULL;
                int fast = 0;
                value v;

                /* unset locals: the general path's NameError */
                set[0] = set[4] = false;
                assert_false(!in_place && expr_eval_fast(e, &env, &v));
                set[0] = set[4] = true;
                for (int x = 0; x < NV; x++) {
                        for (int y = 0; y < NV; y++) {
                                char got[sizeof result];

                                slots[0] = vals[x]; /* counter: borrowed, set[] says so */
                                slots[4] = vals[y]; /* i */
                                data[1] = vals[y];  /* none */
                                held = false;
                                if (!expr_eval_fast(e, &env, &v))
                                        continue;
                                fast++;
                                /* data in place read under its lock, taken by the read */
                                assert_int_equal(held, in_place);
                                {
                                        strbuf sb = STRBUF_INIT;

                                        value_repr(v, &sb);
                                        snprintf(got, sizeof got, "%s", strbuf_str(&sb));
                                        strbuf_free(&sb);
                                        value_drop(&v);
                                }
                                if (strcmp(got, eval_general(src)) != 0)
                                        print_error("%s with %d, %d: %s, not %s\n", src, x, y, got,
                                                    result);
                                assert_string_equal(got, result);
                        }
                }
                if (fast != srcs[n].fast)
                        print_error("%s: %d short\n", src, fast);
                assert_int_equal(fast, srcs[n].fast);
                expr_free(e);
        }
        /* the named edges themselves */
        {
                expr *e = parse_resolved("counter + 1");
                value v;

                slots[0] = value_bool(true); /* True + 1 is 2, by the general path */
                assert_false(expr_eval_fast(e, &env, &v));
                slots[0] = value_int(INT64_MAX - 1);
                assert_true(expr_eval_fast(e, &env, &v));
                assert_int_equal(v.type, VALUE_INT);
                assert_true(v.as.i == INT64_MAX);
                slots[0] = value_int(INT64_MAX); /* the OverflowError is the general path's */
                assert_false(expr_eval_fast(e, &env, &v));
                expr_free(e);
        }
        for (int k = 0; k < NV; k++)
                value_drop(&vals[k]);
        env.slots = NULL;
        env.slot_set = NULL;
        env.nslots = 0;
        env.res_slots = NULL;
        env.nres = 0;
        env.held = NULL;
        env.hold = NULL;
        env.ctx = NULL;
}

/* What calling FN with X and Y gave: the result's repr, or the error's message. */
static void call_outcome(value fn, value x, value y, char *buf, size_t len)
{
        value args[2] = { x, y }, out;
        expr_error err;

        if (expr_call(fn, args, 2, &env, &out, &err) < 0) {
                snprintf(buf, len, "error %s", err.msg);
                return;
        }
        {
                strbuf sb = STRBUF_INIT;

                value_repr(out, &sb);
                snprintf(buf, len, "%s %s", value_type_name(out.type), strbuf_str(&sb));
                strbuf_free(&sb);
        }
        value_drop(&out);
}

/* A lambda whose body is two ints' + - * or comparison of its parameters and literals is worked
 * out without the evaluator (call_fast): every such body, called with 10 x 10 arguments (ints at
 * the edges, where + - * overflow, bools, a float, None, a str), gives what the same body gives
 * through the evaluator (inside a list display, which the short way does not take) — the value
 * and its type, or the error's message. */
/* expr_eval_range gives range()'s items without its list, and range()'s errors, for every
 * shape of its arguments; anything else is not a range. */
static void test_range_lazy(void **state)
{
        static const char *const calls[] = {
                "range(0)",
                "range(5)",
                "range(-3)",
                "range(2, 9)",
                "range(9, 2)",
                "range(20, 5, -3)",
                "range(-5, 5, 4)",
                "range(3, 3)",
                "range(1, 10, 10)",
                "range(True, 4)",
                "range(10, 0, -1)",
                "range(2 + 3)",
                "range(9223372036854775807, 9223372036854775800, -2)",
                "range(-9223372036854775807 - 1, -9223372036854775800, 3)",
                "range(1, 2, 0)",
                "range(1.5)",
                "range('a', 3)",
                "range(2000000)",
                "range(1 // 0)",
        };
        static const char *const others[] = { "list(range(3))", "[0, 1, 2]", "len(range(3))", "3",
                                              "(lambda n: range(n))(3)" };

        (void)state;
        for (size_t n = 0; n < sizeof calls / sizeof calls[0]; n++) {
                expr *e = parse_resolved(calls[n]);
                expr_error lerr = { 0 }, rerr = { 0 };
                expr_range r = { 0 };
                value l;
                int lrc = expr_eval(e, &env, &l, &lerr);
                int rrc = expr_eval_range(e, &env, &r, &rerr);

                if (lrc < 0) {
                        assert_int_equal(rrc, -1);
                        assert_string_equal(rerr.msg, lerr.msg);
                        assert_int_equal(rerr.offset, lerr.offset);
                } else {
                        assert_int_equal(rrc, 1);
                        assert_int_equal(r.count, value_len(l));
                        for (size_t k = 0; k < r.count; k++)
                                assert_true(value_at(l, k).as.i == expr_range_at(&r, k));
                        value_drop(&l);
                }
                expr_free(e);
        }
        for (size_t n = 0; n < sizeof others / sizeof others[0]; n++) {
                expr *e = parse_resolved(others[n]);
                expr_error err = { 0 };
                expr_range r = { .count = 7 };

                assert_int_equal(expr_eval_range(e, &env, &r, &err), 0);
                assert_int_equal(r.count, 7); /* untouched */
                expr_free(e);
        }
}

static void test_lambda_shapes(void **state)
{
        static const char *const bodies[] = {
                "x * x",  "x + y",  "x - y", "y - x",  "x * y", "x * 3",
                "2 + x",  "x - 1",  "x < y", "x <= y", "x > 0", "x >= y",
                "x == y", "x != 1", "1 < x", "x / y",  "x % 2", "x is y",
        };
        value vals[] = {
                value_int(0),         value_int(7),          value_int(-3),    value_int(INT64_MAX),
                value_int(INT64_MIN), value_int(3037000500), value_bool(true), value_float(1.5),
                value_none(),         value_cstr("a"),
        };
        enum { NV = sizeof vals / sizeof vals[0] };

        (void)state;
        for (size_t n = 0; n < sizeof bodies / sizeof bodies[0]; n++) {
                char src[64], general[64], got[256], want[256];
                expr *f, *g;
                value fv, gv;
                expr_error err;

                snprintf(src, sizeof src, "lambda x, y: %s", bodies[n]);
                snprintf(general, sizeof general, "lambda x, y: [%s][0]", bodies[n]);
                f = parse_resolved(src);
                g = parse_resolved(general);
                assert_int_equal(expr_eval(f, &env, &fv, &err), 0);
                assert_int_equal(expr_eval(g, &env, &gv, &err), 0);
                for (int x = 0; x < NV; x++)
                        for (int y = 0; y < NV; y++) {
                                call_outcome(fv, vals[x], vals[y], got, sizeof got);
                                call_outcome(gv, vals[x], vals[y], want, sizeof want);
                                if (strcmp(got, want) != 0)
                                        print_error("%s with %d, %d: %s, not %s\n", src, x, y, got,
                                                    want);
                                assert_string_equal(got, want);
                        }
                value_drop(&fv);
                value_drop(&gv);
                expr_free(f);
                expr_free(g);
        }
        /* the edges themselves */
        {
                expr *f = parse_resolved("lambda x, y: x * x");
                value fv;
                expr_error err;
                char got[256];

                assert_int_equal(expr_eval(f, &env, &fv, &err), 0);
                call_outcome(fv, value_int(3037000499), value_none(), got, sizeof got);
                assert_string_equal(got, "int 9223372030926249001");
                call_outcome(fv, value_int(3037000500), value_none(), got, sizeof got);
                assert_non_null(strstr(got, "error OverflowError"));
                call_outcome(fv, value_bool(true), value_none(), got, sizeof got);
                assert_string_equal(got, "int 1"); /* True * True, by the evaluator */
                value_drop(&fv);
                expr_free(f);
        }
        for (int k = 0; k < NV; k++)
                value_drop(&vals[k]);
}

/* The total cap on values holds inside one expression: a tuple of big lists stops at the node
 * that goes past it. */
static void test_total_memory(void **state)
{
        (void)state;
        /* one list of a million items takes 16 MiB: the second goes past 20 */
        value_memory_limit(value_memory_used() + (20u << 20));
        assert_string_equal(run("([0] * 1000000, [1] * 1000000, [2] * 1000000)"),
                            "ERR@20 MemoryError: the run's values take more than 20 MiB (the "
                            "limit)");
        assert_string_equal(run("len('x' * 1000000)"), "1000000");
        value_memory_limit(0);
        assert_string_equal(run("len(([0] * 1000000, [1] * 1000000, [2] * 1000000))"), "3");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_precedence),
                cmocka_unit_test(test_arithmetic),
                cmocka_unit_test(test_arithmetic_errors),
                cmocka_unit_test(test_comparisons),
                cmocka_unit_test(test_indexing),
                cmocka_unit_test(test_literals_and_printing),
                cmocka_unit_test(test_builtins),
                cmocka_unit_test(test_sorted_stable),
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_depth_limits),
                cmocka_unit_test(test_lambdas),
                cmocka_unit_test(test_lambda_shapes),
                cmocka_unit_test(test_range_lazy),
                cmocka_unit_test(test_resolve),
                cmocka_unit_test(test_lvalue),
                cmocka_unit_test(test_random),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_templates),
                cmocka_unit_test(test_template_plain_and_resolve),
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_misc_api),
                cmocka_unit_test(test_slots),
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_fast),
                cmocka_unit_test(test_total_memory),
                cmocka_unit_test(test_ctype_array_words),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
