/*
 * expr.c — lockstep's Python-like expression language: lexer, parser, resolver, evaluator and
 * templates; see expr.h.
 *
 * The lexer runs lazily one or two tokens ahead of a recursive-descent parser, so errors come
 * out in source order. Every node of a tree lives in one arena owned by its root, and so do the
 * constants it holds: freeing the root frees everything. Chains of one precedence level
 * (a + b - c, a and b and c, a < b < c) are one n-ary node, so the tree only gets deeper through
 * real nesting, which the parser caps at EXPR_MAX_DEPTH; evaluation also counts its recursion
 * (lambdas may call lambdas) so that no input can exhaust the stack.
 *
 * Evaluation keeps all of its state in an evalctx on the stack: the tree is read-only after
 * expr_resolve, so threads may evaluate one expression at the same time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strtod_l, newlocale, memmem */
#endif
#include "expr.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/utf8.h"
#include "../util/xalloc.h"

/* Recursion of the evaluator: a bound on its stack use (above the deepest tree the parser builds,
 * so that it only stops lambdas that call themselves too deeply). One level takes about 200 bytes
 * of stack at -O2, so evaluation needs at most about 256 KiB. */
#define EVAL_MAX_DEPTH 1000
#define RANGE_MAX      1000000 /* items in the list range() returns */

/* Keeps a helper out of the recursive evaluator's frame: inlined, its buffers and locals would be
 * paid for at every level of recursion. */
#define NOINLINE __attribute__((noinline))

/* ---- the tree ---- */

enum node_kind {
        N_CONST,
        N_NAME,  /* a free name, resolved to a ref */
        N_PARAM, /* a parameter of the enclosing lambda */
        N_LIST,
        N_TUPLE,
        N_DICT, /* kids: key, value, key, value, ... */
        N_NEG,
        N_POS,
        N_NOT,
        N_ARITH, /* kids joined by ops: + - * / // % */
        N_AND,
        N_OR,
        N_CMP, /* a chained comparison */
        N_IF,  /* a if b else c */
        N_INDEX,
        N_BUILTIN,
        N_CALL, /* a call of a function value */
        N_LAMBDA,
};

enum op {
        OP_ADD,
        OP_SUB,
        OP_MUL,
        OP_DIV,
        OP_FLOORDIV,
        OP_MOD,
        OP_LT,
        OP_LE,
        OP_GT,
        OP_GE,
        OP_EQ,
        OP_NE,
        OP_IN,
        OP_NOTIN,
        OP_IS,
        OP_ISNOT,
        OP_AND,
        OP_OR,
};

static const char *const op_names[] = {
        [OP_ADD] = "+",       [OP_SUB] = "-",        [OP_MUL] = "*", [OP_DIV] = "/",
        [OP_FLOORDIV] = "//", [OP_MOD] = "%",        [OP_LT] = "<",  [OP_LE] = "<=",
        [OP_GT] = ">",        [OP_GE] = ">=",        [OP_EQ] = "==", [OP_NE] = "!=",
        [OP_IN] = "in",       [OP_NOTIN] = "not in", [OP_IS] = "is", [OP_ISNOT] = "is not",
        [OP_AND] = "and",     [OP_OR] = "or",
};

typedef struct arena arena;
typedef struct evalctx evalctx;

typedef int (*builtin_fn)(evalctx *c, const expr *call, const value *args, size_t nargs,
                          value *out);

typedef struct builtin {
        const char *name;
        int min, max; /* number of arguments */
        builtin_fn fn;
} builtin;

struct expr {
        expr_fast fast; /* first: expr_eval_fast reads it through the expr's pointer */
        enum node_kind kind;
        int off;      /* where errors about this node point */
        arena *owner; /* the arena of the text this node was parsed from */
        /* N_ARITH and N_CMP of two operands (`counter + 1`, `item is None`, `len(buf) == MAX`):
         * at the root, expr_eval takes them without eval (eval_root) */
        bool binary;
        union {
                value cst; /* borrowed: the arena holds the reference */
                struct {
                        const char *name;
                        int32_t ref;
                } name;
                size_t param;
                struct {
                        expr **kids;
                        size_t n;
                        unsigned char *ops; /* n - 1 operators (N_ARITH, N_CMP) */
                        int *offs;          /* their offsets */
                } seq;
                struct {
                        expr *a, *b, *c;
                } k;
                struct {
                        const builtin *bi; /* N_BUILTIN */
                        expr *callee;      /* N_CALL */
                        expr **args;
                        size_t nargs;
                } call;
                struct {
                        const char **params;
                        size_t nparams;
                        expr *body;
                        value fn; /* its function value, kept by the arena: see eval_node */
                } lam;
        } u;
};

/* ---- the arena ---- */

typedef struct block {
        struct block *next;
        size_t used, cap;
} block;

#define BLOCK_HEADER ((sizeof(block) + 15) & ~(size_t)15)

struct arena {
        block *blocks;
        value *consts;
        size_t nconsts, cap;
};

static arena *arena_new(void)
{
        return xcalloc(1, sizeof(arena));
}

static void *arena_alloc(arena *a, size_t size)
{
        block *b = a->blocks;
        void *p;

        size = (size + 15) & ~(size_t)15;
        if (b == NULL || b->used + size > b->cap) {
                size_t cap = size > 4096 ? size : 4096;

                b = xmalloc(BLOCK_HEADER + cap);
                b->next = a->blocks;
                b->used = 0;
                b->cap = cap;
                a->blocks = b;
        }
        p = (char *)b + BLOCK_HEADER + b->used;
        b->used += size;
        memset(p, 0, size);
        return p;
}

static char *arena_strndup(arena *a, const char *s, size_t n)
{
        char *d = arena_alloc(a, n + 1);

        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

/* Hands the reference V over to the arena; returns V (borrowed). */
static value arena_keep(arena *a, value v)
{
        a->consts = xgrow(a->consts, &a->cap, a->nconsts + 1, sizeof(value));
        a->consts[a->nconsts++] = v;
        return v;
}

static void arena_free(arena *a)
{
        if (a == NULL)
                return;
        for (size_t i = 0; i < a->nconsts; i++)
                value_drop(&a->consts[i]);
        free(a->consts);
        while (a->blocks != NULL) {
                block *next = a->blocks->next;

                free(a->blocks);
                a->blocks = next;
        }
        free(a);
}

/* ---- small helpers ---- */

static bool is_intlike(value v)
{
        return v.type == VALUE_INT || v.type == VALUE_BOOL;
}

static bool is_num(value v)
{
        return is_intlike(v) || v.type == VALUE_FLOAT;
}

static int64_t int_of(value v)
{
        return v.type == VALUE_BOOL ? (int64_t)v.as.b : v.as.i;
}

static double float_of(value v)
{
        return v.type == VALUE_FLOAT ? v.as.f : (double)int_of(v);
}

static bool is_seq(value v)
{
        return v.type == VALUE_STR || v.type == VALUE_LIST || v.type == VALUE_TUPLE;
}

static const char *tname(value v)
{
        return value_type_name(v.type);
}

/* Converts without implementation-defined behaviour (two's complement wrap-around). */
static int64_t u2i(uint64_t u)
{
        return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* strtod in the C locale: the program's locale (the TUI sets one) must not change what a
 * number in a scenario means. */
static double c_strtod(const char *s)
{
        locale_t loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        double d;

        if (loc == (locale_t)0)
                return strtod(s, NULL);
        d = strtod_l(s, NULL, loc);
        freelocale(loc);
        return d;
}

static bool is_digit(int c)
{
        return c >= '0' && c <= '9';
}

static bool is_ident_start(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(int c)
{
        return is_ident_start(c) || is_digit(c);
}

/* What to write instead of a method Python would call here (TEXT: what follows the '.', N
 * bytes), or NULL: the methods authors reach for first. */
static const char *method_hint(const char *text, size_t n)
{
        static const struct {
                const char *name, *how;
        } hints[] = {
                { "value", "a Value is read and stored by its name: v, not v.value" },
                { "get",
                  "for a dict, d[k] if k in d else DEFAULT; for a queue, the get statement" },
                { "append", "the append statement: { \"append\": \"L\", \"value\": ... }" },
                { "pop", "the pop statement: { \"pop\": \"L\", \"into\": ... }" },
                { "keys", "a dict gives its keys itself: k in d, sorted(d), a for over d" },
                { "items", "a for over the dict gives its keys: for k in d, then d[k]" },
                { "values", "a for over the dict gives its keys: for k in d, then d[k]" },
        };
        size_t len = 0;

        while (len < n && is_ident(text[len]))
                len++;
        for (size_t k = 0; k < sizeof hints / sizeof hints[0]; k++)
                if (strlen(hints[k].name) == len && memcmp(text, hints[k].name, len) == 0)
                        return hints[k].how;
        return NULL;
}

static bool is_space(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Scans digits with single '_' separators between them (Python's rule) from S[*I]; returns
 * false when an '_' is misplaced. Appends the digits to BUF (when not NULL). */
static bool scan_digits(const char *s, size_t n, size_t *i, char *buf, size_t *blen)
{
        while (*i < n) {
                if (is_digit(s[*i])) {
                        if (buf)
                                buf[(*blen)++] = s[*i];
                        (*i)++;
                } else if (s[*i] == '_') {
                        if (*i + 1 >= n || !is_digit(s[*i + 1]) || *i == 0 || !is_digit(s[*i - 1]))
                                return false;
                        (*i)++;
                } else {
                        break;
                }
        }
        return true;
}

/* Parses Python's int() text: optional blanks and sign, digits with '_' separators. Returns 1,
 * 0 when it is not a number, -1 when it does not fit in 64 bits. */
static int parse_int_text(const char *s, size_t n, int64_t *out)
{
        size_t i = 0, start;
        bool neg = false;
        uint64_t mag = 0, lim;

        while (n > 0 && is_space(s[n - 1]))
                n--;
        while (i < n && is_space(s[i]))
                i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
                neg = s[i++] == '-';
        start = i;
        if (i >= n || !is_digit(s[i]))
                return 0;
        if (!scan_digits(s, n, &i, NULL, NULL) || i != n)
                return 0;
        lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = start; k < n; k++) {
                if (s[k] == '_')
                        continue;
                if (mag > (lim - (uint64_t)(s[k] - '0')) / 10)
                        return -1;
                mag = mag * 10 + (uint64_t)(s[k] - '0');
        }
        *out = neg ? u2i(0 - mag) : (int64_t)mag;
        return 1;
}

static bool word_is(const char *s, size_t n, const char *w)
{
        return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* Parses Python's float() text: blanks, sign, decimal digits with '_', fraction, exponent,
 * or inf / infinity / nan in any case. */
static bool parse_float_text(const char *s, size_t n, double *out)
{
        size_t i = 0, blen = 0, start;
        bool neg = false, digits = false;
        char *buf;

        while (n > 0 && is_space(s[n - 1]))
                n--;
        while (i < n && is_space(s[i]))
                i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
                neg = s[i++] == '-';
        if (word_is(s + i, n - i, "inf") || word_is(s + i, n - i, "infinity")) {
                *out = neg ? -INFINITY : INFINITY;
                return true;
        }
        if (word_is(s + i, n - i, "nan")) {
                *out = neg ? -NAN : NAN;
                return true;
        }
        buf = xmalloc(n - i + 3);
        buf[blen++] = neg ? '-' : '+';
        start = i;
        if (i < n && is_digit(s[i])) {
                digits = true;
                if (!scan_digits(s, n, &i, buf, &blen))
                        goto bad;
        }
        if (i < n && s[i] == '.') {
                buf[blen++] = '.';
                i++;
                if (i < n && is_digit(s[i])) {
                        digits = true;
                        if (!scan_digits(s, n, &i, buf, &blen))
                                goto bad;
                }
        }
        if (!digits)
                goto bad;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                buf[blen++] = 'e';
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        buf[blen++] = s[i++];
                if (i >= n || !is_digit(s[i]) || !scan_digits(s, n, &i, buf, &blen))
                        goto bad;
        }
        if (i != n || i == start)
                goto bad;
        buf[blen] = '\0';
        *out = c_strtod(buf);
        free(buf);
        return true;
bad:
        free(buf);
        return false;
}

/* ---- evaluation context and errors ---- */

struct evalctx {
        const expr_env *env;
        expr_error *err;
        const value *frame; /* the arguments of the lambda being evaluated */
        int depth;
};

static int fail(evalctx *c, int off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(evalctx *c, int off, const char *fmt, ...)
{
        va_list ap;

        c->err->offset = off;
        va_start(ap, fmt);
        vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
        va_end(ap);
        return -1;
}

/* For a message that a value_* call already wrote into c->err->msg. */
static int fail_here(evalctx *c, int off)
{
        c->err->offset = off;
        return -1;
}

#define EMSG(c) (c)->err->msg, sizeof((c)->err->msg)

/* A repr for messages, cut to fit. */
static void short_repr(value v, char *buf, size_t n)
{
        strbuf sb = STRBUF_INIT;

        value_repr(v, &sb);
        if (sb.len < n)
                snprintf(buf, n, "%s", strbuf_str(&sb));
        else
                snprintf(buf, n, "%.*s...", (int)(n > 4 ? n - 4 : 0), strbuf_str(&sb));
        strbuf_free(&sb);
}

static int overflow(evalctx *c, int off, int64_t a, const char *op, int64_t b)
{
        return fail(c, off, "OverflowError: %lld %s %lld does not fit in a 64-bit int",
                    (long long)a, op, (long long)b);
}

static int eval(evalctx *c, const expr *n, value *out);

/* A resolved name read from the environment's tables without a call (a new reference into *OUT):
 * a local that is set, a constant, a resource whose data is in place (taking its lock first).
 * None of them allocates. false: the name is for env->load (or an error). */
__attribute__((always_inline)) static inline bool read_name(const expr_env *env, int32_t ref,
                                                            value *out)
{
        const value *v;

        if (env == NULL || (v = expr_env_find(env, ref)) == NULL)
                return false;
        *out = value_ref(*v);
        return true;
}

/* eval for an operand: a constant, or a local that is set (`total + item`, `m is None`), is
 * read here, with eval's checks (the depth, then the memory cap), and no call; anything else
 * goes to eval. */
static inline int eval_operand(evalctx *c, const expr *e, value *out)
{
        if (c->depth >= EVAL_MAX_DEPTH)
                return eval(c, e, out);
        if (e->kind == N_CONST)
                *out = value_ref(e->u.cst);
        else if (e->kind != N_NAME || !read_name(c->env, e->u.name.ref, out))
                return eval(c, e, out);
        if (value_memory_check(EMSG(c)) < 0) {
                value_drop(out);
                return fail_here(c, e->off);
        }
        return 0;
}

/* ---- operators ---- */

/* Python's float divmod: the floored quotient and a remainder with the divisor's sign. */
static void float_divmod(double x, double y, double *floordiv, double *mod)
{
        double m = fmod(x, y), div = (x - m) / y;

        if (m != 0) {
                if ((y < 0) != (m < 0)) {
                        m += y;
                        div -= 1.0;
                }
        } else {
                m = copysign(0.0, y);
        }
        if (div != 0) {
                *floordiv = floor(div);
                if (div - *floordiv > 0.5)
                        *floordiv += 1.0;
        } else {
                *floordiv = copysign(0.0, x / y);
        }
        *mod = m;
}

static int num_arith(evalctx *c, int op, value a, value b, int off, value *out)
{
        if (a.type == VALUE_FLOAT || b.type == VALUE_FLOAT) {
                double x = float_of(a), y = float_of(b), q, m;

                switch (op) {
                case OP_ADD: *out = value_float(x + y); return 0;
                case OP_SUB: *out = value_float(x - y); return 0;
                case OP_MUL: *out = value_float(x * y); return 0;
                case OP_DIV:
                        if (y == 0)
                                return fail(c, off, "ZeroDivisionError: float division by zero");
                        *out = value_float(x / y);
                        return 0;
                case OP_FLOORDIV:
                        if (y == 0)
                                return fail(c, off,
                                            "ZeroDivisionError: float floor division by zero");
                        float_divmod(x, y, &q, &m);
                        *out = value_float(q);
                        return 0;
                default:
                        if (y == 0)
                                return fail(c, off, "ZeroDivisionError: float modulo");
                        float_divmod(x, y, &q, &m);
                        *out = value_float(m);
                        return 0;
                }
        } else {
                int64_t x = int_of(a), y = int_of(b), r;

                switch (op) {
                case OP_ADD:
                        if (__builtin_add_overflow(x, y, &r))
                                return overflow(c, off, x, "+", y);
                        break;
                case OP_SUB:
                        if (__builtin_sub_overflow(x, y, &r))
                                return overflow(c, off, x, "-", y);
                        break;
                case OP_MUL:
                        if (__builtin_mul_overflow(x, y, &r))
                                return overflow(c, off, x, "*", y);
                        break;
                case OP_DIV:
                        if (y == 0)
                                return fail(c, off, "ZeroDivisionError: division by zero");
                        *out = value_float((double)x / (double)y);
                        return 0;
                case OP_FLOORDIV:
                        if (y == 0)
                                return fail(
                                    c, off,
                                    "ZeroDivisionError: integer division or modulo by zero");
                        if (x == INT64_MIN && y == -1)
                                return overflow(c, off, x, "//", y);
                        r = x / y;
                        if (x % y != 0 && ((x < 0) != (y < 0)))
                                r--; /* C truncates; Python floors */
                        break;
                default:
                        if (y == 0)
                                return fail(c, off, "ZeroDivisionError: integer modulo by zero");
                        if (y == -1) {
                                r = 0; /* INT64_MIN % -1 is undefined in C */
                                break;
                        }
                        r = x % y;
                        if (r != 0 && ((r < 0) != (y < 0)))
                                r += y;
                        break;
                }
                *out = value_int(r);
                return 0;
        }
}

static int too_long(evalctx *c, int off, value_type t)
{
        if (t == VALUE_STR)
                return fail(c, off, "MemoryError: a str cannot be longer than %u bytes",
                            VALUE_MAX_STR);
        return fail(c, off, "MemoryError: a %s cannot have more than %u items", value_type_name(t),
                    VALUE_MAX_ITEMS);
}

/* A new list or tuple (of type T) of the N values at ITEMS, each repeated TIMES times. */
static int make_seq(evalctx *c, value_type t, const value *items, size_t n, size_t times, int off,
                    value *out)
{
        if (t == VALUE_LIST) {
                value l = value_list();

                for (size_t k = 0; k < times; k++)
                        for (size_t i = 0; i < n; i++)
                                if (value_list_append(&l, value_ref(items[i]), EMSG(c)) < 0) {
                                        value_drop(&l);
                                        return fail_here(c, off);
                                }
                *out = l;
                return 0;
        } else {
                size_t depth = 0, total = n * times;
                value *all = xmalloc((total ? total : 1) * sizeof(value));

                for (size_t i = 0; i < n; i++)
                        if (value_depth(items[i]) > depth)
                                depth = value_depth(items[i]);
                if (depth + 1 > VALUE_MAX_DEPTH) {
                        free(all);
                        return fail(c, off, "RecursionError: containers nested more than %d deep",
                                    VALUE_MAX_DEPTH);
                }
                for (size_t k = 0; k < times; k++)
                        memcpy(all + k * n, items, n * sizeof(value));
                *out = value_tuple(all, total);
                free(all);
                return 0;
        }
}

static int concat(evalctx *c, value a, value b, int off, value *out)
{
        size_t la = value_len(a), lb = value_len(b);

        if (a.type == VALUE_STR) {
                if (la + lb > VALUE_MAX_STR)
                        return too_long(c, off, VALUE_STR);
                *out = value_str_concat(value_str_data(a, NULL), la, value_str_data(b, NULL), lb);
                return 0;
        }
        if (la + lb > VALUE_MAX_ITEMS)
                return too_long(c, off, a.type);
        {
                value *all = xmalloc((la + lb ? la + lb : 1) * sizeof(value));
                int rc;

                for (size_t i = 0; i < la; i++)
                        all[i] = value_at(a, i);
                for (size_t i = 0; i < lb; i++)
                        all[la + i] = value_at(b, i);
                rc = make_seq(c, a.type, all, la + lb, 1, off, out);
                free(all);
                return rc;
        }
}

static int repeat(evalctx *c, value s, int64_t times, int off, value *out)
{
        size_t n = value_len(s), limit = s.type == VALUE_STR ? VALUE_MAX_STR : VALUE_MAX_ITEMS;
        size_t total;

        if (times < 0 || n == 0)
                times = 0; /* also spares looping 2**62 times over nothing */
        if (n > 0 && (uint64_t)times > limit / n)
                return too_long(c, off, s.type);
        total = n * (size_t)times;
        if (s.type == VALUE_STR) {
                char *buf = xmalloc(total + 1);
                const char *d = value_str_data(s, NULL);

                for (int64_t k = 0; k < times; k++)
                        memcpy(buf + (size_t)k * n, d, n);
                *out = value_str(buf, total);
                free(buf);
                return 0;
        }
        {
                value *items = xmalloc((n ? n : 1) * sizeof(value));
                int rc;

                for (size_t i = 0; i < n; i++)
                        items[i] = value_at(s, i);
                rc = make_seq(c, s.type, items, n, (size_t)times, off, out);
                free(items);
                return rc;
        }
}

/* A OP B for the arithmetic operators; borrows A and B. */
static int arith(evalctx *c, int op, value a, value b, int off, value *out)
{
        if (is_num(a) && is_num(b))
                return num_arith(c, op, a, b, off, out);
        if (op == OP_ADD && is_seq(a)) {
                if (a.type == b.type)
                        return concat(c, a, b, off, out);
                return fail(c, off, "TypeError: can only concatenate %s (not \"%s\") to %s",
                            tname(a), tname(b), tname(a));
        }
        if (op == OP_MUL && (is_seq(a) || is_seq(b))) {
                if (is_seq(a) && is_intlike(b))
                        return repeat(c, a, int_of(b), off, out);
                if (is_seq(b) && is_intlike(a))
                        return repeat(c, b, int_of(a), off, out);
                return fail(c, off, "TypeError: can't multiply sequence by non-int of type '%s'",
                            is_seq(a) ? tname(b) : tname(a));
        }
        if (op == OP_MOD && a.type == VALUE_STR)
                return fail(c, off,
                            "TypeError: '%%' string formatting is not supported: use a template "
                            "such as \"{x}\"");
        return fail(c, off, "TypeError: unsupported operand type(s) for %s: '%s' and '%s'",
                    op_names[op], tname(a), tname(b));
}

static int contains(evalctx *c, value hay, value needle, int off, bool *res)
{
        switch (hay.type) {
        case VALUE_STR: {
                size_t hn, nn;
                const char *h = value_str_data(hay, &hn), *n;

                if (needle.type != VALUE_STR)
                        return fail(c, off,
                                    "TypeError: 'in <string>' requires string as left operand, "
                                    "not %s",
                                    tname(needle));
                n = value_str_data(needle, &nn);
                *res = nn == 0 || memmem(h, hn, n, nn) != NULL;
                return 0;
        }
        case VALUE_LIST:
        case VALUE_TUPLE:
                *res = false;
                for (size_t i = 0; i < value_len(hay) && !*res; i++)
                        *res = value_equal(value_at(hay, i), needle);
                return 0;
        case VALUE_DICT: {
                value found;
                int r = value_dict_get(hay, needle, &found, EMSG(c));

                if (r < 0)
                        return fail_here(c, off);
                *res = r == 1;
                return 0;
        }
        default:
                return fail(c, off, "TypeError: argument of type '%s' is not iterable", tname(hay));
        }
}

/* Python's `is`: the same singleton, the same number, or the same object. */
static bool identical(value a, value b)
{
        if (a.type != b.type)
                return false;
        switch (a.type) {
        case VALUE_NONE: return true;
        case VALUE_BOOL: return a.as.b == b.as.b;
        case VALUE_INT: return a.as.i == b.as.i;
        case VALUE_FLOAT: return memcmp(&a.as.f, &b.as.f, sizeof(double)) == 0;
        default: return a.as.obj == b.as.obj;
        }
}

static int compare(evalctx *c, int op, value a, value b, int off, bool *res)
{
        int cmp;

        switch (op) {
        case OP_EQ: *res = value_equal(a, b); return 0;
        case OP_NE: *res = !value_equal(a, b); return 0;
        case OP_IS: *res = identical(a, b); return 0;
        case OP_ISNOT: *res = !identical(a, b); return 0;
        case OP_IN: return contains(c, b, a, off, res);
        case OP_NOTIN:
                if (contains(c, b, a, off, res) < 0)
                        return -1;
                *res = !*res;
                return 0;
        default: break;
        }
        if (value_compare_op(a, b, op_names[op], &cmp, EMSG(c)) < 0)
                return fail_here(c, off);
        switch (op) {
        case OP_LT: *res = cmp == -1; break;
        case OP_LE: *res = cmp == -1 || cmp == 0; break;
        case OP_GT: *res = cmp == 1; break;
        default: *res = cmp == 1 || cmp == 0; break;
        }
        return 0;
}

NOINLINE static int index_value(evalctx *c, value obj, value idx, int off, value *out)
{
        int64_t i;
        size_t n;

        switch (obj.type) {
        case VALUE_LIST:
        case VALUE_TUPLE:
                if (!is_intlike(idx))
                        return fail(c, off,
                                    "TypeError: %s indices must be integers or slices, not %s",
                                    tname(obj), tname(idx));
                n = value_len(obj);
                i = int_of(idx);
                if (i < 0)
                        i += (int64_t)n;
                if (i < 0 || (uint64_t)i >= n)
                        return fail(c, off, "IndexError: %s index out of range", tname(obj));
                *out = value_ref(value_at(obj, (size_t)i));
                return 0;
        case VALUE_STR: {
                const char *s = value_str_data(obj, &n);
                size_t count, at = 0, len = 1;

                if (!is_intlike(idx))
                        return fail(c, off, "TypeError: string indices must be integers, not '%s'",
                                    tname(idx));
                count = utf8_count(s, n);
                i = int_of(idx);
                if (i < 0)
                        i += (int64_t)count;
                if (i < 0 || (uint64_t)i >= count)
                        return fail(c, off, "IndexError: string index out of range");
                if (count == n) {
                        at = (size_t)i;
                } else {
                        /* Index by character, as Python does, not by byte. */
                        at = utf8_offset(s, n, (size_t)i);
                        len = utf8_char_len(s + at, n - at);
                }
                *out = value_str(s + at, len);
                return 0;
        }
        case VALUE_DICT: {
                value found;
                int r = value_dict_get(obj, idx, &found, EMSG(c));
                char key[120];

                if (r < 0)
                        return fail_here(c, off);
                if (r == 0) {
                        short_repr(idx, key, sizeof key);
                        return fail(c, off, "KeyError: %s", key);
                }
                *out = value_ref(found);
                return 0;
        }
        default: return fail(c, off, "TypeError: '%s' object is not subscriptable", tname(obj));
        }
}

/* ---- builtins ---- */

static int bi_len(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        size_t n;
        const char *s;
        (void)nargs;

        switch (args[0].type) {
        case VALUE_STR:
                s = value_str_data(args[0], &n);
                *out = value_int((int64_t)utf8_count(s, n));
                return 0;
        case VALUE_LIST:
        case VALUE_TUPLE:
        case VALUE_DICT: *out = value_int((int64_t)value_len(args[0])); return 0;
        default:
                return fail(c, call->off, "TypeError: object of type '%s' has no len()",
                            tname(args[0]));
        }
}

/* range()'s arguments checked and counted, with its errors, into *R. */
static int range_of(evalctx *c, const expr *call, const value *args, size_t nargs, expr_range *r)
{
        int64_t start = 0, stop, step = 1;
        uint64_t count = 0;

        for (size_t i = 0; i < nargs; i++)
                if (!is_intlike(args[i]))
                        return fail(c, call->off,
                                    "TypeError: '%s' object cannot be interpreted as an integer",
                                    tname(args[i]));
        if (nargs == 1) {
                stop = int_of(args[0]);
        } else {
                start = int_of(args[0]);
                stop = int_of(args[1]);
                if (nargs == 3)
                        step = int_of(args[2]);
        }
        if (step == 0)
                return fail(c, call->off, "ValueError: range() arg 3 must not be zero");
        /* Unsigned differences cannot overflow (stop - start can exceed INT64_MAX). */
        if (step > 0 && start < stop)
                count = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
        else if (step < 0 && start > stop)
                count = ((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1;
        if (count > RANGE_MAX)
                return fail(c, call->off,
                            "ValueError: range() would have %llu items; the limit is %d",
                            (unsigned long long)count, RANGE_MAX);
        r->start = start;
        r->step = step;
        r->count = (size_t)count;
        return 0;
}

int64_t expr_range_at(const expr_range *r, size_t k)
{
        /* in unsigned arithmetic: every item is an int64, but start + k * step may pass
         * through a wrap on the way */
        return u2i((uint64_t)r->start + (uint64_t)k * (uint64_t)r->step);
}

static int bi_range(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        expr_range r;
        value l;

        if (range_of(c, call, args, nargs, &r) < 0)
                return -1;
        l = value_list();
        value_list_reserve(&l, r.count);
        for (size_t k = 0; k < r.count; k++)
                if (value_list_append(&l, value_int(expr_range_at(&r, k)), EMSG(c)) < 0) {
                        value_drop(&l);
                        return fail_here(c, call->off);
                }
        *out = l;
        return 0;
}

static int bi_list(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        if (nargs == 0) {
                *out = value_list();
                return 0;
        }
        if (value_to_list(args[0], out, EMSG(c)) < 0)
                return fail_here(c, call->off);
        return 0;
}

static int bi_tuple(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value l;
        int rc;

        if (nargs == 0) {
                *out = value_tuple(NULL, 0);
                return 0;
        }
        if (args[0].type == VALUE_TUPLE) {
                *out = value_ref(args[0]);
                return 0;
        }
        if (value_to_list(args[0], &l, EMSG(c)) < 0)
                return fail_here(c, call->off);
        {
                size_t n = value_len(l);
                value *items = xmalloc((n ? n : 1) * sizeof(value));

                for (size_t i = 0; i < n; i++)
                        items[i] = value_at(l, i);
                rc = make_seq(c, VALUE_TUPLE, items, n, 1, call->off, out);
                free(items);
        }
        value_drop(&l);
        return rc;
}

static int bi_str(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        strbuf sb = STRBUF_INIT;

        if (nargs == 0) {
                *out = value_str("", 0);
                return 0;
        }
        if (args[0].type == VALUE_STR) {
                *out = value_ref(args[0]);
                return 0;
        }
        if (args[0].type == VALUE_INT) {
                /* str(i), the usual one: its digits straight into the string */
                char num[VALUE_INT_TEXT];
                size_t len;
                const char *p = value_int_text(args[0].as.i, num, &len);

                *out = value_str(p, len);
                return 0;
        }
        if (value_format(args[0], false, &sb, EMSG(c)) < 0) {
                strbuf_free(&sb);
                return fail_here(c, call->off);
        }
        *out = value_str(strbuf_str(&sb), sb.len);
        strbuf_free(&sb);
        return 0;
}

static int bi_int(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value v = nargs ? args[0] : value_int(0);
        char text[80];

        switch (v.type) {
        case VALUE_BOOL:
        case VALUE_INT: *out = value_int(int_of(v)); return 0;
        case VALUE_FLOAT: {
                double t = trunc(v.as.f);

                if (isnan(v.as.f))
                        return fail(c, call->off,
                                    "ValueError: cannot convert float NaN to integer");
                if (isinf(v.as.f))
                        return fail(c, call->off,
                                    "OverflowError: cannot convert float infinity to integer");
                if (t < -9223372036854775808.0 || t >= 9223372036854775808.0) {
                        short_repr(v, text, sizeof text);
                        return fail(c, call->off,
                                    "OverflowError: int(%s) does not fit in a 64-bit int", text);
                }
                *out = value_int((int64_t)t);
                return 0;
        }
        case VALUE_STR: {
                size_t n;
                const char *s = value_str_data(v, &n);
                int64_t i;
                int r = parse_int_text(s, n, &i);

                if (r == 1) {
                        *out = value_int(i);
                        return 0;
                }
                short_repr(v, text, sizeof text);
                if (r < 0)
                        return fail(c, call->off,
                                    "OverflowError: int(%s) does not fit in a 64-bit int", text);
                return fail(c, call->off, "ValueError: invalid literal for int() with base 10: %s",
                            text);
        }
        default:
                return fail(c, call->off,
                            "TypeError: int() argument must be a string, a bytes-like object or "
                            "a real number, not '%s'",
                            tname(v));
        }
}

static int bi_float(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value v = nargs ? args[0] : value_float(0);
        char text[80];

        switch (v.type) {
        case VALUE_BOOL:
        case VALUE_INT:
        case VALUE_FLOAT: *out = value_float(float_of(v)); return 0;
        case VALUE_STR: {
                size_t n;
                const char *s = value_str_data(v, &n);
                double f;

                if (parse_float_text(s, n, &f)) {
                        *out = value_float(f);
                        return 0;
                }
                short_repr(v, text, sizeof text);
                return fail(c, call->off, "ValueError: could not convert string to float: %s",
                            text);
        }
        default:
                return fail(c, call->off,
                            "TypeError: float() argument must be a string or a real number, not "
                            "'%s'",
                            tname(v));
        }
}

static int bi_bool(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        (void)c;
        (void)call;
        *out = value_bool(nargs && value_truthy(args[0]));
        return 0;
}

static int bi_abs(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value v = args[0];
        (void)nargs;

        if (v.type == VALUE_FLOAT) {
                *out = value_float(fabs(v.as.f));
                return 0;
        }
        if (!is_intlike(v))
                return fail(c, call->off, "TypeError: bad operand type for abs(): '%s'", tname(v));
        if (int_of(v) == INT64_MIN)
                return fail(c, call->off, "OverflowError: abs(%lld) does not fit in a 64-bit int",
                            (long long)INT64_MIN);
        *out = value_int(int_of(v) < 0 ? -int_of(v) : int_of(v));
        return 0;
}

/* min() and max(): of one iterable, or of several arguments. */
static int min_max(evalctx *c, const expr *call, const value *args, size_t nargs, value *out,
                   bool max)
{
        const char *name = max ? "max" : "min";
        value l = value_none(), best;
        const value *items = args;
        size_t n = nargs;

        if (nargs == 1) {
                if (value_to_list(args[0], &l, EMSG(c)) < 0)
                        return fail_here(c, call->off);
                n = value_len(l);
                items = NULL; /* the items are value_at(l, i) */
        }
        if (n == 0) {
                value_drop(&l);
                return fail(c, call->off, "ValueError: %s() arg is an empty sequence", name);
        }
        best = nargs == 1 ? value_at(l, 0) : items[0];
        for (size_t i = 1; i < n; i++) {
                value item = nargs == 1 ? value_at(l, i) : items[i];
                int cmp;

                /* Python keeps the first of equal items and compares item OP best. */
                if (value_compare_op(item, best, max ? ">" : "<", &cmp, EMSG(c)) < 0) {
                        value_drop(&l);
                        return fail_here(c, call->off);
                }
                if (cmp == (max ? 1 : -1))
                        best = item;
        }
        *out = value_ref(best);
        value_drop(&l);
        return 0;
}

static int bi_min(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        return min_max(c, call, args, nargs, out, false);
}

static int bi_max(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        return min_max(c, call, args, nargs, out, true);
}

static int bi_sum(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value l, acc = nargs == 2 ? value_ref(args[1]) : value_int(0);

        if (acc.type == VALUE_STR) {
                value_drop(&acc);
                return fail(c, call->off,
                            "TypeError: sum() can't sum strings [use ''.join(seq) instead]");
        }
        if (value_to_list(args[0], &l, EMSG(c)) < 0) {
                value_drop(&acc);
                return fail_here(c, call->off);
        }
        for (size_t i = 0, n = value_len(l); i < n; i++) {
                value item = value_at(l, i), next;
                int64_t sum;

                /* ints whose sum fits: no call (the sum of a map's squares) */
                if (acc.type == VALUE_INT && item.type == VALUE_INT &&
                    !__builtin_add_overflow(acc.as.i, item.as.i, &sum)) {
                        acc.as.i = sum;
                        continue;
                }
                if (arith(c, OP_ADD, acc, item, call->off, &next) < 0) {
                        value_drop(&acc);
                        value_drop(&l);
                        return -1;
                }
                value_drop(&acc);
                acc = next;
        }
        value_drop(&l);
        *out = acc;
        return 0;
}

/* A stable bottom-up merge sort that only asks `<`, as Python's sorted() does. */
static int sort_values(evalctx *c, value *a, size_t n, int off)
{
        value *tmp;

        if (n < 2)
                return 0;
        tmp = xmalloc(n * sizeof(value));
        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = lo + width < n ? lo + width : n;
                        size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
                        size_t i = lo, j = mid, k = lo;

                        while (i < mid && j < hi) {
                                int cmp;

                                if (value_compare_op(a[j], a[i], "<", &cmp, EMSG(c)) < 0) {
                                        free(tmp);
                                        return fail_here(c, off);
                                }
                                tmp[k++] = cmp == -1 ? a[j++] : a[i++];
                        }
                        while (i < mid)
                                tmp[k++] = a[i++];
                        while (j < hi)
                                tmp[k++] = a[j++];
                }
                memcpy(a, tmp, n * sizeof(value));
                if (width > n / 2)
                        break;
        }
        free(tmp);
        return 0;
}

static int bi_sorted(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value l;
        size_t n;
        value *items;
        int rc;
        (void)nargs;

        if (value_to_list(args[0], &l, EMSG(c)) < 0)
                return fail_here(c, call->off);
        n = value_len(l);
        items = xmalloc((n ? n : 1) * sizeof(value));
        for (size_t i = 0; i < n; i++)
                items[i] = value_at(l, i);
        rc = sort_values(c, items, n, call->off);
        if (rc == 0)
                rc = make_seq(c, VALUE_LIST, items, n, 1, call->off, out);
        free(items);
        value_drop(&l);
        return rc;
}

static int bi_random(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        uint64_t *rng = c->env ? c->env->rng : NULL;
        int64_t a, b;
        uint64_t span, r;

        if (rng == NULL)
                return fail(c, call->off,
                            "ValueError: random() is not available here (this expression is "
                            "evaluated when the scenario loads)");
        if (nargs == 0) {
                /* 53 random bits: every double in [0, 1) that is a multiple of 2**-53. */
                *out = value_float((double)(expr_random_next(rng) >> 11) * 0x1.0p-53);
                return 0;
        }
        if (!is_intlike(args[0]) || !is_intlike(args[1]))
                return fail(c, call->off, "TypeError: random(a, b) needs two ints, not '%s'",
                            tname(is_intlike(args[0]) ? args[1] : args[0]));
        a = int_of(args[0]);
        b = int_of(args[1]);
        if (a > b)
                return fail(c, call->off, "ValueError: empty range for random(%lld, %lld)",
                            (long long)a, (long long)b);
        span = (uint64_t)b - (uint64_t)a + 1; /* 0 stands for all 2**64 values */
        r = expr_random_next(rng);
        if (span != 0) {
                /* Rejection sampling: drop the low values that would make r % span biased. */
                uint64_t floor_ = (0 - span) % span;

                while (r < floor_)
                        r = expr_random_next(rng);
                r %= span;
        }
        *out = value_int(u2i((uint64_t)a + r));
        return 0;
}

/* X rounded half to even at 10^K (K > 0): round(x, -k) of an int. False when that does not fit
 * in 64 bits. */
static bool round_int_at(int64_t x, int k, int64_t *out)
{
        uint64_t m = x < 0 ? 0 - (uint64_t)x : (uint64_t)x, p = 1, q, r, res;

        if (k > 19) { /* 10^k > 2 |x|: nearer 0 */
                *out = 0;
                return true;
        }
        for (int i = 0; i < k; i++)
                p *= 10;
        q = m / p;
        r = m % p;
        if (r > p - r || (r == p - r && (q & 1)))
                q++;
        if (q > UINT64_MAX / p)
                return false;
        res = q * p;
        if (res > (x < 0 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
                return false;
        *out = x < 0 ? u2i(0 - res) : (int64_t)res;
        return true;
}

/* round(X, N) of a float, N < 0: half to even at 10^-N on X's exact value, as Python's (whose
 * dtoa rounds the exact binary value too). The integer part's decimal is exact ("%.0f" of an
 * integer), and a tie needs the dropped digits to be 5 then zeros and no fraction. */
static double round_float_left(double x, int n)
{
        char d[400], r[400];
        double t = trunc(x), frac = x - t;
        int len = snprintf(d, sizeof d, "%.0f", fabs(t)), k = -n, keep = len - k, i;
        bool up, tie = true;

        if (keep < 0)
                return copysign(0.0, x);
        /* the dropped digits against half: 5000... */
        for (i = keep; i < len; i++) {
                int want = i == keep ? 5 : 0;

                if (d[i] - '0' != want) {
                        tie = false;
                        break;
                }
        }
        if (tie)
                tie = frac == 0.0;
        if (tie)
                up = keep > 0 && (d[keep - 1] - '0') % 2 == 1;
        else
                up = keep < len && (i < len ? d[i] - '0' > (i == keep ? 5 : 0) : frac != 0.0);
        /* the kept digits, plus one, then K zeros */
        memcpy(r + 1, d, (size_t)keep);
        r[0] = '0';
        for (i = keep; i > 0 && up; i--) {
                if (r[i] == '9') {
                        r[i] = '0';
                } else {
                        r[i]++;
                        up = false;
                }
        }
        if (up)
                r[0] = '1';
        memset(r + 1 + keep, '0', (size_t)k);
        r[1 + keep + k] = '\0';
        return copysign(strtod(r, NULL), x);
}

/* round(x) and round(x, n), as Python's: half to even on the exact value; an int for an int or
 * without N, a float for a float with N. */
static int bi_round(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        value v = args[0];
        bool digits = nargs == 2 && args[1].type != VALUE_NONE;
        int64_t n = 0;
        char text[80];

        if (!is_num(v))
                return fail(c, call->off, "TypeError: type %s doesn't define __round__ method",
                            tname(v));
        if (digits) {
                if (!is_intlike(args[1]))
                        return fail(c, call->off,
                                    "TypeError: '%s' object cannot be interpreted as an integer",
                                    tname(args[1]));
                n = int_of(args[1]);
        }
        if (is_intlike(v)) {
                int64_t r;

                if (!digits || n >= 0) {
                        *out = value_int(int_of(v));
                        return 0;
                }
                if (!round_int_at(int_of(v), n < -20 ? 20 : (int)-n, &r))
                        return fail(c, call->off,
                                    "OverflowError: round(%lld, %lld) does not fit in a 64-bit int",
                                    (long long)int_of(v), (long long)n);
                *out = value_int(r);
                return 0;
        }
        if (!digits) {
                double t = rint(v.as.f); /* the default rounding: half to even */

                if (isnan(v.as.f))
                        return fail(c, call->off,
                                    "ValueError: cannot convert float NaN to integer");
                if (isinf(v.as.f))
                        return fail(c, call->off,
                                    "OverflowError: cannot convert float infinity to integer");
                if (t < -9223372036854775808.0 || t >= 9223372036854775808.0) {
                        short_repr(v, text, sizeof text);
                        return fail(c, call->off,
                                    "OverflowError: round(%s) does not fit in a 64-bit int", text);
                }
                *out = value_int((int64_t)t);
                return 0;
        }
        /* past 323 digits either way a double is what it is, or 0 (Python's limits too) */
        if (!isfinite(v.as.f) || n > 323) {
                *out = v;
                return 0;
        }
        if (n < -308) {
                *out = value_float(copysign(0.0, v.as.f));
                return 0;
        }
        if (n >= 0) {
                char buf[700];

                /* glibc prints the exact value rounded half to even: Python's answer */
                snprintf(buf, sizeof buf, "%.*f", (int)n, v.as.f);
                *out = value_float(strtod(buf, NULL));
                return 0;
        }
        *out = value_float(round_float_left(v.as.f, (int)n));
        return 0;
}

static int bi_cpu_count(evalctx *c, const expr *call, const value *args, size_t nargs, value *out)
{
        (void)call;
        (void)args;
        (void)nargs;
        *out = value_int(c->env ? c->env->cpu_count : 1);
        return 0;
}

static const builtin builtins[] = {
        { .name = "len", .min = 1, .max = 1, .fn = bi_len },
        { .name = "range", .min = 1, .max = 3, .fn = bi_range },
        { .name = "list", .min = 0, .max = 1, .fn = bi_list },
        { .name = "tuple", .min = 0, .max = 1, .fn = bi_tuple },
        { .name = "str", .min = 0, .max = 1, .fn = bi_str },
        { .name = "int", .min = 0, .max = 1, .fn = bi_int },
        { .name = "float", .min = 0, .max = 1, .fn = bi_float },
        { .name = "bool", .min = 0, .max = 1, .fn = bi_bool },
        { .name = "abs", .min = 1, .max = 1, .fn = bi_abs },
        { .name = "round", .min = 1, .max = 2, .fn = bi_round },
        { .name = "min", .min = 1, .max = 1000, .fn = bi_min },
        { .name = "max", .min = 1, .max = 1000, .fn = bi_max },
        { .name = "sum", .min = 1, .max = 2, .fn = bi_sum },
        { .name = "sorted", .min = 1, .max = 1, .fn = bi_sorted },
        { .name = "random", .min = 0, .max = 2, .fn = bi_random }, /* 0 or 2 */
        { .name = "cpu_count", .min = 0, .max = 0, .fn = bi_cpu_count },
};

static const builtin *find_builtin(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
                if (strlen(builtins[i].name) == len && memcmp(builtins[i].name, name, len) == 0)
                        return &builtins[i];
        return NULL;
}

/* ---- the lexer ---- */

enum tok_kind {
        T_EOF,
        T_ERROR,
        T_INT,
        T_BIGINT, /* 9223372036854775808: only valid right after a unary minus */
        T_FLOAT,
        T_STR,
        T_NAME,
        T_RESERVED, /* a Python keyword the language does not have */
        T_NONE,
        T_TRUE,
        T_FALSE,
        T_AND,
        T_OR,
        T_NOT,
        T_IN,
        T_IS,
        T_IF,
        T_ELSE,
        T_LAMBDA,
        T_LPAREN,
        T_RPAREN,
        T_LBRACK,
        T_RBRACK,
        T_LBRACE,
        T_RBRACE,
        T_COMMA,
        T_COLON,
        T_ASSIGN,
        T_PLUS,
        T_MINUS,
        T_STAR,
        T_SLASH,
        T_DSLASH,
        T_PERCENT,
        T_LT,
        T_LE,
        T_GT,
        T_GE,
        T_EQ,
        T_NE,
};

typedef struct token {
        enum tok_kind kind;
        int off, end;
        int64_t i;
        double f;
        value s;       /* T_STR: owned by the token until the parser takes it */
        char msg[200]; /* T_ERROR: as long as expr_error.msg */
} token;

static const struct {
        const char *word;
        enum tok_kind kind;
} keywords[] = {
        { "None", T_NONE }, { "True", T_TRUE }, { "False", T_FALSE },   { "and", T_AND },
        { "or", T_OR },     { "not", T_NOT },   { "in", T_IN },         { "is", T_IS },
        { "if", T_IF },     { "else", T_ELSE }, { "lambda", T_LAMBDA },
};

static const char *const reserved[] = {
        "as",       "assert", "async",  "await",   "break", "class", "continue", "def",
        "del",      "elif",   "except", "finally", "for",   "from",  "global",   "import",
        "nonlocal", "pass",   "raise",  "return",  "try",   "while", "with",     "yield",
};

bool expr_is_reserved(const char *word)
{
        size_t len = strlen(word);

        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
                if (strcmp(keywords[k].word, word) == 0)
                        return true;
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
                if (strcmp(reserved[k], word) == 0)
                        return true;
        return find_builtin(word, len) != NULL;
}

typedef struct scope {
        const char **params;
        size_t n;
        const struct scope *up;
} scope;

typedef struct parser {
        const char *src;
        size_t len, pos; /* the lexer reads src[pos..len) */
        token la[2];     /* lookahead */
        int nla;
        arena *a;
        expr_error *err;
        bool failed;
        bool template; /* parsing the holes of a template */
        int depth;
        const scope *scope;
} parser;

static void lex_error(parser *p, token *t, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void lex_error(parser *p, token *t, size_t off, const char *fmt, ...)
{
        va_list ap;

        t->kind = T_ERROR;
        t->off = (int)off;
        t->end = (int)off + 1;
        va_start(ap, fmt);
        vsnprintf(t->msg, sizeof t->msg, fmt, ap);
        va_end(ap);
        p->pos = p->len; /* nothing after an error is read */
}

static void lex_number(parser *p, token *t)
{
        const char *s = p->src;
        size_t n = p->len, i = p->pos, start = p->pos;
        bool is_float = false;

        if (s[i] == '0' && i + 1 < n && s[i + 1] != '\0' && strchr("xXoObB", s[i + 1]) != NULL) {
                lex_error(p, t, start, "only decimal numbers are supported");
                return;
        }
        if (is_digit(s[i]) && !scan_digits(s, n, &i, NULL, NULL))
                goto bad;
        if (i < n && s[i] == '.') {
                is_float = true;
                i++;
                if (i < n && is_digit(s[i]) && !scan_digits(s, n, &i, NULL, NULL))
                        goto bad;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                is_float = true;
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= n || !is_digit(s[i]) || !scan_digits(s, n, &i, NULL, NULL))
                        goto bad;
        }
        if (i < n && (is_ident(s[i]) || s[i] == '.'))
                goto bad;
        t->off = (int)start;
        t->end = (int)i;
        p->pos = i;
        if (is_float) {
                char *buf = xmalloc(i - start + 1);
                size_t blen = 0;

                for (size_t k = start; k < i; k++)
                        if (s[k] != '_')
                                buf[blen++] = s[k];
                buf[blen] = '\0';
                t->kind = T_FLOAT;
                t->f = c_strtod(buf);
                free(buf);
        } else {
                uint64_t mag = 0;
                bool nonzero = false;

                for (size_t k = start; k < i; k++) {
                        if (s[k] == '_')
                                continue;
                        if (s[k] != '0')
                                nonzero = true;
                        if (mag > ((uint64_t)INT64_MAX + 1 - (uint64_t)(s[k] - '0')) / 10) {
                                lex_error(p, t, start,
                                          "integer literal is too large (the limit is %lld)",
                                          (long long)INT64_MAX);
                                return;
                        }
                        mag = mag * 10 + (uint64_t)(s[k] - '0');
                }
                if (s[start] == '0' && nonzero) {
                        lex_error(p, t, start,
                                  "leading zeros in decimal integer literals are not permitted");
                        return;
                }
                t->kind = mag > (uint64_t)INT64_MAX ? T_BIGINT : T_INT;
                t->i = mag > (uint64_t)INT64_MAX ? INT64_MIN : (int64_t)mag;
        }
        return;
bad:
        lex_error(p, t, start, "invalid decimal literal");
}

static int hex_value(int c)
{
        if (is_digit(c))
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static void lex_string(parser *p, token *t)
{
        const char *s = p->src;
        size_t n = p->len, i = p->pos + 1, start = p->pos;
        char q = s[start];
        strbuf sb = STRBUF_INIT;

        for (;;) {
                if (i >= n || s[i] == '\n') {
                        lex_error(p, t, start, "unterminated string literal (opened at column %d)",
                                  (int)start + 1);
                        goto fail;
                }
                if (s[i] == q)
                        break;
                if (s[i] != '\\') {
                        strbuf_putc(&sb, s[i++]);
                        continue;
                }
                if (i + 1 >= n) {
                        lex_error(p, t, start, "unterminated string literal (opened at column %d)",
                                  (int)start + 1);
                        goto fail;
                }
                switch (s[i + 1]) {
                case '\\': strbuf_putc(&sb, '\\'); break;
                case '\'': strbuf_putc(&sb, '\''); break;
                case '"': strbuf_putc(&sb, '"'); break;
                case 'n': strbuf_putc(&sb, '\n'); break;
                case 't': strbuf_putc(&sb, '\t'); break;
                case 'r': strbuf_putc(&sb, '\r'); break;
                case 'x':
                case 'u': {
                        int digits = s[i + 1] == 'x' ? 2 : 4;
                        uint32_t cp = 0;
                        char enc[UTF8_MAX];

                        for (int k = 0; k < digits; k++) {
                                int h = i + 2 + (size_t)k < n ? hex_value(s[i + 2 + k]) : -1;

                                if (h < 0) {
                                        lex_error(p, t, i,
                                                  "invalid \\%c escape: it needs %d hex digits",
                                                  s[i + 1], digits);
                                        goto fail;
                                }
                                cp = cp * 16 + (uint32_t)h;
                        }
                        if (cp >= 0xd800 && cp <= 0xdfff) {
                                lex_error(p, t, i, "invalid \\u escape: a surrogate");
                                goto fail;
                        }
                        strbuf_append(&sb, enc, utf8_encode(cp, enc));
                        i += (size_t)digits;
                        break;
                }
                default:
                        if ((unsigned char)s[i + 1] >= 0x20 && (unsigned char)s[i + 1] < 0x7f)
                                lex_error(p, t, i,
                                          "invalid escape sequence '\\%c' (write '\\\\' for a "
                                          "backslash)",
                                          s[i + 1]);
                        else
                                lex_error(p, t, i, "invalid escape sequence");
                        goto fail;
                }
                i += 2;
        }
        t->kind = T_STR;
        t->off = (int)start;
        t->end = (int)i + 1;
        t->s = value_str(strbuf_str(&sb), sb.len);
        p->pos = i + 1;
fail:
        strbuf_free(&sb);
}

static void lex(parser *p, token *t)
{
        const char *s = p->src;
        size_t n = p->len, i;
        char c;

        memset(t, 0, sizeof *t);
        t->s = value_none();
        while (p->pos < n && is_space(s[p->pos]))
                p->pos++;
        i = p->pos;
        t->off = t->end = (int)i;
        if (i >= n) {
                t->kind = T_EOF;
                return;
        }
        c = s[i];
        if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1]))) {
                lex_number(p, t);
                return;
        }
        if (is_ident_start(c)) {
                size_t e = i;

                while (e < n && is_ident(s[e]))
                        e++;
                t->kind = T_NAME;
                t->end = (int)e;
                p->pos = e;
                for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
                        if (strlen(keywords[k].word) == e - i &&
                            memcmp(keywords[k].word, s + i, e - i) == 0)
                                t->kind = keywords[k].kind;
                for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
                        if (strlen(reserved[k]) == e - i && memcmp(reserved[k], s + i, e - i) == 0)
                                t->kind = T_RESERVED;
                return;
        }
        if (c == '\'' || c == '"') {
                lex_string(p, t);
                return;
        }
        {
                static const struct {
                        const char *text;
                        enum tok_kind kind;
                } puncts[] = {
                        { "//", T_DSLASH }, { "<=", T_LE },    { ">=", T_GE },    { "==", T_EQ },
                        { "!=", T_NE },     { "(", T_LPAREN }, { ")", T_RPAREN }, { "[", T_LBRACK },
                        { "]", T_RBRACK },  { "{", T_LBRACE }, { "}", T_RBRACE }, { ",", T_COMMA },
                        { ":", T_COLON },   { "+", T_PLUS },   { "-", T_MINUS },  { "/", T_SLASH },
                        { "%", T_PERCENT }, { "<", T_LT },     { ">", T_GT },     { "=", T_ASSIGN },
                        { "*", T_STAR },
                };
                static const struct {
                        const char *text, *msg;
                } unsupported[] = {
                        { "**", "'**' (power) is not supported" },
                        { "<<", "'<<' (shift) is not supported" },
                        { ">>", "'>>' (shift) is not supported" },
                        { "&", "'&' (bitwise and) is not supported: use 'and'" },
                        { "|", "'|' (bitwise or) is not supported: use 'or'" },
                        { "^", "'^' (bitwise xor) is not supported" },
                        { "~", "'~' (bitwise not) is not supported: use 'not'" },
                        { "!", "'!' is not an operator: use 'not'" },
                        { ".", "'.' is not supported: values have no attributes or methods" },
                        { "#", "comments ('#') are not supported in expressions" },
                        { ";", "';' is not supported: one expression only" },
                };

                for (size_t k = 0; k < sizeof unsupported / sizeof unsupported[0]; k++) {
                        size_t l = strlen(unsupported[k].text);

                        if (i + l <= n && memcmp(s + i, unsupported[k].text, l) == 0 &&
                            !(unsupported[k].text[0] == '!' && i + 1 < n && s[i + 1] == '=')) {
                                const char *how =
                                    s[i] == '.' ? method_hint(s + i + 1, n - i - 1) : NULL;

                                if (how != NULL)
                                        lex_error(p, t, i, "%s (%s)", unsupported[k].msg, how);
                                else
                                        lex_error(p, t, i, "%s", unsupported[k].msg);
                                return;
                        }
                }
                for (size_t k = 0; k < sizeof puncts / sizeof puncts[0]; k++) {
                        size_t l = strlen(puncts[k].text);

                        if (i + l <= n && memcmp(s + i, puncts[k].text, l) == 0) {
                                t->kind = puncts[k].kind;
                                t->end = (int)(i + l);
                                p->pos = i + l;
                                return;
                        }
                }
        }
        if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
                lex_error(p, t, i, "unknown character '%c'", c);
        else
                lex_error(p, t, i, "unknown character '\\x%02x'", (unsigned char)c);
}

/* ---- the parser ---- */

static token *peek(parser *p, int k)
{
        while (p->nla <= k)
                lex(p, &p->la[p->nla++]);
        return &p->la[k];
}

static void advance(parser *p)
{
        peek(p, 0);
        value_drop(&p->la[0].s);
        p->la[0] = p->la[1];
        p->nla--;
}

static expr *perr(parser *p, int off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static expr *perr(parser *p, int off, const char *fmt, ...)
{
        va_list ap;

        if (p->failed)
                return NULL;
        p->failed = true;
        p->err->offset = off;
        va_start(ap, fmt);
        vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
        va_end(ap);
        return NULL;
}

static void describe(const parser *p, const token *t, char *buf, size_t n)
{
        int len = t->end - t->off;
        const char *text = p->src + t->off;
        const char *more = len > 40 ? "..." : "";

        if (len > 40)
                len = 40;
        switch (t->kind) {
        case T_EOF: snprintf(buf, n, "end of expression"); break;
        case T_NAME: snprintf(buf, n, "name '%.*s'", len, text); break;
        case T_INT:
        case T_BIGINT:
        case T_FLOAT: snprintf(buf, n, "number %.*s%s", len, text, more); break;
        case T_STR: snprintf(buf, n, "string %.*s%s", len, text, more); break;
        default: snprintf(buf, n, "'%.*s'", len, text); break;
        }
}

/* Reports T as unexpected, with the most helpful message its kind allows. */
static expr *unexpected(parser *p, const token *t)
{
        char what[80];

        switch (t->kind) {
        case T_ERROR: return perr(p, t->off, "%s", t->msg);
        case T_EOF: return perr(p, t->off, "unexpected end of expression");
        case T_ASSIGN: return perr(p, t->off, "'=' is not an operator here: use '==' to compare");
        case T_RESERVED:
                return perr(p, t->off, "'%.*s' is not supported in expressions", t->end - t->off,
                            p->src + t->off);
        case T_BIGINT:
                return perr(p, t->off, "integer literal is too large (the limit is %lld)",
                            (long long)INT64_MAX);
        default: describe(p, t, what, sizeof what); return perr(p, t->off, "unexpected %s", what);
        }
}

/* Consumes the closing bracket KIND of the one opened at OPEN, or reports it missing. */
static bool expect_close(parser *p, enum tok_kind kind, int open)
{
        token *t = peek(p, 0);
        char close = kind == T_RPAREN ? ')' : kind == T_RBRACK ? ']' : '}';

        if (t->kind == kind) {
                advance(p);
                return true;
        }
        if (t->kind == T_ERROR || t->kind == T_ASSIGN || t->kind == T_RESERVED)
                unexpected(p, t);
        else
                perr(p, t->off, "expected '%c' to close '%c' at column %d", close, p->src[open],
                     open + 1);
        return false;
}

static bool enter(parser *p)
{
        if (++p->depth > EXPR_MAX_DEPTH) {
                perr(p, peek(p, 0)->off, "expression is nested too deeply (the limit is %d levels)",
                     EXPR_MAX_DEPTH);
                return false;
        }
        return true;
}

static expr *new_node(parser *p, enum node_kind kind, int off)
{
        expr *e = arena_alloc(p->a, sizeof(expr));

        e->kind = kind;
        e->off = off;
        e->owner = p->a;
        return e;
}

static expr *const_node(parser *p, value v, int off)
{
        expr *e = new_node(p, N_CONST, off);

        e->u.cst = arena_keep(p->a, v);
        return e;
}

/* A growing list of nodes (and operators) that becomes an arena array when complete. */
typedef struct vec {
        expr **items;
        unsigned char *ops;
        int *offs;
        size_t n, cap, opcap, offcap;
} vec;

static void vec_push(vec *v, expr *e, int op, int off)
{
        v->items = xgrow(v->items, &v->cap, v->n + 1, sizeof(expr *));
        v->ops = xgrow(v->ops, &v->opcap, v->n + 1, 1);
        v->offs = xgrow(v->offs, &v->offcap, v->n + 1, sizeof(int));
        v->items[v->n] = e;
        v->ops[v->n] = (unsigned char)op;
        v->offs[v->n] = off;
        v->n++;
}

static void vec_free(vec *v)
{
        free(v->items);
        free(v->ops);
        free(v->offs);
}

static expr *seq_node(parser *p, enum node_kind kind, vec *v, int off)
{
        expr *e = new_node(p, kind, off);

        e->u.seq.n = v->n;
        e->u.seq.kids = arena_alloc(p->a, (v->n ? v->n : 1) * sizeof(expr *));
        if (v->n > 0)
                memcpy(e->u.seq.kids, v->items, v->n * sizeof(expr *));
        if (v->n > 1) {
                /* The operator before operand k is stored at k - 1. */
                e->u.seq.ops = arena_alloc(p->a, v->n - 1);
                e->u.seq.offs = arena_alloc(p->a, (v->n - 1) * sizeof(int));
                memcpy(e->u.seq.ops, v->ops + 1, v->n - 1);
                memcpy(e->u.seq.offs, v->offs + 1, (v->n - 1) * sizeof(int));
        }
        e->binary = (kind == N_ARITH || kind == N_CMP) && v->n == 2;
        vec_free(v);
        return e;
}

static expr *parse_expr(parser *p);
static expr *parse_not(parser *p);
static expr *parse_unary(parser *p);

enum level { L_OR, L_AND, L_CMP, L_SUM, L_TERM };

/* The operator at the current token for level LV (setting *NTOK to its token count), or -1. */
static int match_op(parser *p, enum level lv, int *ntok)
{
        token *t = peek(p, 0);

        *ntok = 1;
        switch (lv) {
        case L_OR: return t->kind == T_OR ? OP_OR : -1;
        case L_AND: return t->kind == T_AND ? OP_AND : -1;
        case L_CMP:
                switch (t->kind) {
                case T_LT: return OP_LT;
                case T_LE: return OP_LE;
                case T_GT: return OP_GT;
                case T_GE: return OP_GE;
                case T_EQ: return OP_EQ;
                case T_NE: return OP_NE;
                case T_IN: return OP_IN;
                case T_NOT:
                        if (peek(p, 1)->kind != T_IN)
                                return -1;
                        *ntok = 2;
                        return OP_NOTIN;
                case T_IS:
                        if (peek(p, 1)->kind == T_NOT)
                                *ntok = 2;
                        return *ntok == 2 ? OP_ISNOT : OP_IS;
                default: return -1;
                }
        case L_SUM: return t->kind == T_PLUS ? OP_ADD : t->kind == T_MINUS ? OP_SUB : -1;
        default:
                switch (t->kind) {
                case T_STAR: return OP_MUL;
                case T_SLASH: return OP_DIV;
                case T_DSLASH: return OP_FLOORDIV;
                case T_PERCENT: return OP_MOD;
                default: return -1;
                }
        }
}

static expr *parse_level(parser *p, enum level lv);

static expr *parse_operand(parser *p, enum level lv)
{
        switch (lv) {
        case L_OR: return parse_level(p, L_AND);
        case L_AND: return parse_not(p);
        case L_CMP: return parse_level(p, L_SUM);
        case L_SUM: return parse_level(p, L_TERM);
        default: return parse_unary(p);
        }
}

/* One binary precedence level: operands joined by its operators, as one n-ary node. */
static expr *parse_level(parser *p, enum level lv)
{
        static const enum node_kind kinds[] = {
                [L_OR] = N_OR,     [L_AND] = N_AND,    [L_CMP] = N_CMP,
                [L_SUM] = N_ARITH, [L_TERM] = N_ARITH,
        };
        expr *first = parse_operand(p, lv), *e;
        vec v = { 0 };
        int op, ntok;

        if (first == NULL || match_op(p, lv, &ntok) < 0)
                return first;
        vec_push(&v, first, 0, first->off);
        while ((op = match_op(p, lv, &ntok)) >= 0) {
                int off = peek(p, 0)->off;

                while (ntok-- > 0)
                        advance(p);
                e = parse_operand(p, lv);
                if (e == NULL) {
                        vec_free(&v);
                        return NULL;
                }
                vec_push(&v, e, op, off);
        }
        return seq_node(p, kinds[lv], &v, first->off);
}

static expr *parse_not(parser *p)
{
        token *t = peek(p, 0);
        expr *e, *a;
        int off = t->off;

        if (t->kind != T_NOT)
                return parse_level(p, L_CMP);
        advance(p);
        if (!enter(p))
                return NULL;
        a = parse_not(p);
        p->depth--;
        if (a == NULL)
                return NULL;
        e = new_node(p, N_NOT, off);
        e->u.k.a = a;
        return e;
}

/* Arguments of a call up to the closing ')', whose '(' is at OPEN and already consumed. */
static bool parse_args(parser *p, int open, vec *v)
{
        if (peek(p, 0)->kind != T_RPAREN) {
                for (;;) {
                        expr *e;

                        if (peek(p, 0)->kind == T_NAME && peek(p, 1)->kind == T_ASSIGN) {
                                perr(p, peek(p, 1)->off, "keyword arguments are not supported");
                                return false;
                        }
                        if ((e = parse_expr(p)) == NULL)
                                return false;
                        vec_push(v, e, 0, e->off);
                        if (peek(p, 0)->kind != T_COMMA)
                                break;
                        advance(p);
                        if (peek(p, 0)->kind == T_RPAREN)
                                break;
                }
        }
        return expect_close(p, T_RPAREN, open);
}

static bool check_arity(parser *p, const builtin *b, size_t n, int off)
{
        if (b->fn == bi_random && n == 1) {
                perr(p, off, "random() takes 0 or 2 arguments (1 given)");
                return false;
        }
        if ((int)n >= b->min && (int)n <= b->max)
                return true;
        if (b->max == 0)
                perr(p, off, "%s() takes no arguments (%zu given)", b->name, n);
        else if (b->min == b->max)
                perr(p, off, "%s() takes exactly %s argument%s (%zu given)", b->name,
                     b->min == 1 ? "one" : "two", b->min == 1 ? "" : "s", n);
        else if ((int)n < b->min)
                perr(p, off, "%s() takes at least %d argument%s (%zu given)", b->name, b->min,
                     b->min == 1 ? "" : "s", n);
        else
                perr(p, off, "%s() takes at most %d argument%s (%zu given)", b->name, b->max,
                     b->max == 1 ? "" : "s", n);
        return false;
}

static expr *parse_name(parser *p)
{
        token *t = peek(p, 0);
        const char *text = p->src + t->off;
        size_t len = (size_t)(t->end - t->off);
        int off = t->off;
        const builtin *b = find_builtin(text, len);
        expr *e;

        advance(p);
        if (b != NULL) {
                vec v = { 0 };
                int open;

                if (peek(p, 0)->kind != T_LPAREN)
                        return perr(p, off, "'%s' is a builtin function: call it, as in %s(...)",
                                    b->name, b->name);
                open = peek(p, 0)->off;
                advance(p);
                if (!parse_args(p, open, &v) || !check_arity(p, b, v.n, off)) {
                        vec_free(&v);
                        return NULL;
                }
                e = new_node(p, N_BUILTIN, off);
                e->u.call.bi = b;
                e->u.call.nargs = v.n;
                e->u.call.args = arena_alloc(p->a, (v.n ? v.n : 1) * sizeof(expr *));
                if (v.n > 0)
                        memcpy(e->u.call.args, v.items, v.n * sizeof(expr *));
                vec_free(&v);
                return e;
        }
        for (const scope *s = p->scope; s != NULL; s = s->up)
                for (size_t i = 0; i < s->n; i++)
                        if (strlen(s->params[i]) == len && memcmp(s->params[i], text, len) == 0) {
                                if (s != p->scope)
                                        return perr(p, off,
                                                    "'%.*s' is a parameter of an enclosing lambda: "
                                                    "a nested lambda cannot use it",
                                                    (int)len, text);
                                e = new_node(p, N_PARAM, off);
                                e->u.param = i;
                                return e;
                        }
        e = new_node(p, N_NAME, off);
        e->u.name.name = arena_strndup(p->a, text, len);
        e->u.name.ref = -1;
        return e;
}

/* ( ... ), [ ... ] and { ... }, the opening bracket being the current token. */
static expr *parse_display(parser *p)
{
        token *t = peek(p, 0);
        enum tok_kind open_kind = t->kind;
        enum tok_kind close = open_kind == T_LPAREN   ? T_RPAREN
                              : open_kind == T_LBRACK ? T_RBRACK
                                                      : T_RBRACE;
        int open = t->off;
        bool tuple = false;
        vec v = { 0 };
        expr *e;

        advance(p);
        if (peek(p, 0)->kind != close) {
                for (;;) {
                        if ((e = parse_expr(p)) == NULL)
                                goto fail;
                        vec_push(&v, e, 0, e->off);
                        if (open_kind == T_LBRACE) {
                                if (peek(p, 0)->kind != T_COLON) {
                                        if (peek(p, 0)->kind == T_COMMA ||
                                            peek(p, 0)->kind == T_RBRACE)
                                                perr(p, peek(p, 0)->off,
                                                     "expected ':' after a dict key (sets are not "
                                                     "supported)");
                                        else if (!expect_close(p, T_RBRACE, open))
                                                goto fail;
                                        goto fail;
                                }
                                advance(p);
                                if ((e = parse_expr(p)) == NULL)
                                        goto fail;
                                vec_push(&v, e, 0, e->off);
                        }
                        if (peek(p, 0)->kind != T_COMMA)
                                break;
                        tuple = true;
                        advance(p);
                        if (peek(p, 0)->kind == close)
                                break;
                }
        } else {
                tuple = true; /* () */
        }
        if (!expect_close(p, close, open))
                goto fail;
        if (open_kind == T_LPAREN && !tuple) {
                e = v.items[0]; /* a parenthesized expression */
                vec_free(&v);
                return e;
        }
        return seq_node(p,
                        open_kind == T_LPAREN   ? N_TUPLE
                        : open_kind == T_LBRACK ? N_LIST
                                                : N_DICT,
                        &v, open);
fail:
        vec_free(&v);
        return NULL;
}

static expr *parse_primary(parser *p)
{
        token *t = peek(p, 0);
        expr *e;

        switch (t->kind) {
        case T_INT: e = const_node(p, value_int(t->i), t->off); break;
        case T_FLOAT: e = const_node(p, value_float(t->f), t->off); break;
        case T_STR:
                e = const_node(p, t->s, t->off);
                t->s = value_none(); /* the arena has it now */
                break;
        case T_NONE: e = const_node(p, value_none(), t->off); break;
        case T_TRUE: e = const_node(p, value_bool(true), t->off); break;
        case T_FALSE: e = const_node(p, value_bool(false), t->off); break;
        case T_NAME: return parse_name(p);
        case T_LPAREN:
        case T_LBRACK:
        case T_LBRACE: return parse_display(p);
        case T_LAMBDA: return perr(p, t->off, "a lambda needs parentheses here: (lambda ...)");
        case T_RPAREN:
        case T_RBRACK:
        case T_RBRACE:
                if (p->depth <= 1 && !(t->kind == T_RBRACE && p->template))
                        return perr(p, t->off, "unmatched '%c'", p->src[t->off]);
                return unexpected(p, t);
        default: return unexpected(p, t);
        }
        advance(p);
        return e;
}

static expr *parse_postfix(parser *p)
{
        expr *e = parse_primary(p), *n;
        int extra = 0;

        while (e != NULL) {
                enum tok_kind kind = peek(p, 0)->kind;
                int open = peek(p, 0)->off;

                if (kind != T_LBRACK && kind != T_LPAREN)
                        break;
                if (!enter(p)) {
                        e = NULL;
                        break;
                }
                extra++;
                advance(p);
                if (kind == T_LBRACK) {
                        expr *idx = parse_expr(p);

                        if (idx != NULL && peek(p, 0)->kind == T_COLON) {
                                perr(p, peek(p, 0)->off, "slices (a[i:j]) are not supported");
                                idx = NULL;
                        }
                        if (idx == NULL || !expect_close(p, T_RBRACK, open)) {
                                e = NULL;
                                break;
                        }
                        n = new_node(p, N_INDEX, open);
                        n->u.k.a = e;
                        n->u.k.b = idx;
                } else {
                        vec v = { 0 };

                        if (!parse_args(p, open, &v)) {
                                vec_free(&v);
                                e = NULL;
                                break;
                        }
                        n = new_node(p, N_CALL, e->off);
                        n->u.call.callee = e;
                        n->u.call.nargs = v.n;
                        n->u.call.args = arena_alloc(p->a, (v.n ? v.n : 1) * sizeof(expr *));
                        if (v.n > 0)
                                memcpy(n->u.call.args, v.items, v.n * sizeof(expr *));
                        vec_free(&v);
                }
                e = n;
        }
        p->depth -= extra;
        return e;
}

static expr *parse_unary(parser *p)
{
        token *t = peek(p, 0);
        enum tok_kind kind = t->kind;
        int off = t->off;
        expr *e, *a;

        if (kind != T_MINUS && kind != T_PLUS)
                return parse_postfix(p);
        advance(p);
        if (kind == T_MINUS && peek(p, 0)->kind == T_BIGINT) {
                /* -9223372036854775808 is the one literal that needs its sign to fit. */
                e = const_node(p, value_int(INT64_MIN), off);
                advance(p);
                return e;
        }
        if (!enter(p))
                return NULL;
        a = parse_unary(p);
        p->depth--;
        if (a == NULL)
                return NULL;
        e = new_node(p, kind == T_MINUS ? N_NEG : N_POS, off);
        e->u.k.a = a;
        return e;
}

static expr *parse_lambda(parser *p)
{
        int off = peek(p, 0)->off;
        const char **params = NULL;
        size_t n = 0, cap = 0;
        scope s;
        expr *body, *e;

        advance(p);
        while (peek(p, 0)->kind != T_COLON) {
                token *t = peek(p, 0);
                const char *text = p->src + t->off;
                size_t len = (size_t)(t->end - t->off);
                char what[80];

                if (t->kind != T_NAME) {
                        if (t->kind == T_ERROR || t->kind == T_EOF) {
                                unexpected(p, t);
                        } else {
                                describe(p, t, what, sizeof what);
                                perr(p, t->off, "expected a parameter name, found %s", what);
                        }
                        goto fail;
                }
                if (find_builtin(text, len) != NULL) {
                        perr(p, t->off, "'%.*s' is a builtin and cannot be a parameter name",
                             (int)len, text);
                        goto fail;
                }
                for (size_t i = 0; i < n; i++)
                        if (strlen(params[i]) == len && memcmp(params[i], text, len) == 0) {
                                perr(p, t->off, "duplicate parameter '%.*s' in lambda", (int)len,
                                     text);
                                goto fail;
                        }
                params = xgrow(params, &cap, n + 1, sizeof(char *));
                params[n++] = arena_strndup(p->a, text, len);
                advance(p);
                if (peek(p, 0)->kind == T_ASSIGN) {
                        perr(p, peek(p, 0)->off, "default parameter values are not supported");
                        goto fail;
                }
                if (peek(p, 0)->kind != T_COMMA)
                        break;
                advance(p);
        }
        if (peek(p, 0)->kind != T_COLON) {
                token *t = peek(p, 0);

                if (t->kind == T_ERROR)
                        unexpected(p, t);
                else
                        perr(p, t->off,
                             "expected ':' after the parameters of the lambda at "
                             "column %d",
                             off + 1);
                goto fail;
        }
        advance(p);
        e = new_node(p, N_LAMBDA, off);
        e->u.lam.nparams = n;
        e->u.lam.params = arena_alloc(p->a, (n ? n : 1) * sizeof(char *));
        if (n > 0)
                memcpy(e->u.lam.params, params, n * sizeof(char *));
        free(params);
        s.params = e->u.lam.params;
        s.n = n;
        s.up = p->scope;
        p->scope = &s;
        body = parse_expr(p);
        p->scope = s.up;
        if (body == NULL)
                return NULL;
        e->u.lam.body = body;
        e->u.lam.fn = arena_keep(p->a, value_func(e));
        return e;
fail:
        free(params);
        return NULL;
}

/* expression: lambda | or_test ['if' or_test 'else' expression] */
static expr *parse_expr(parser *p)
{
        expr *e = NULL;

        if (!enter(p))
                return NULL;
        if (peek(p, 0)->kind == T_LAMBDA) {
                e = parse_lambda(p);
        } else if ((e = parse_level(p, L_OR)) != NULL && peek(p, 0)->kind == T_IF) {
                int off = peek(p, 0)->off;
                expr *cond, *other, *n;

                advance(p);
                cond = parse_level(p, L_OR);
                if (cond != NULL && peek(p, 0)->kind != T_ELSE) {
                        token *t = peek(p, 0);

                        if (t->kind == T_ERROR || t->kind == T_ASSIGN || t->kind == T_RESERVED)
                                unexpected(p, t);
                        else
                                perr(p, t->off, "expected 'else' for the 'if' at column %d",
                                     off + 1);
                        cond = NULL;
                }
                if (cond != NULL)
                        advance(p);
                other = cond != NULL ? parse_expr(p) : NULL;
                if (other == NULL) {
                        e = NULL;
                } else {
                        n = new_node(p, N_IF, off);
                        n->u.k.a = e;
                        n->u.k.b = cond;
                        n->u.k.c = other;
                        e = n;
                }
        }
        p->depth--;
        return e;
}

static void parser_init(parser *p, const char *text, size_t len, size_t start, arena *a,
                        expr_error *err)
{
        memset(p, 0, sizeof *p);
        p->src = text;
        p->len = len;
        p->pos = start;
        p->a = a;
        p->err = err;
}

static void parser_done(parser *p)
{
        for (int i = 0; i < p->nla; i++)
                value_drop(&p->la[i].s);
        p->nla = 0;
}

static bool too_long_text(size_t len, expr_error *err, const char *what)
{
        if (len <= EXPR_MAX_LEN)
                return false;
        err->offset = EXPR_MAX_LEN;
        snprintf(err->msg, sizeof err->msg, "%s is too long (%zu bytes; the limit is %d)", what,
                 len, EXPR_MAX_LEN);
        return true;
}

expr *expr_parse(const char *text, size_t len, expr_error *err)
{
        expr_error dummy;
        parser p;
        arena *a;
        expr *e;

        if (err == NULL)
                err = &dummy;
        if (too_long_text(len, err, "expression"))
                return NULL;
        a = arena_new();
        parser_init(&p, text, len, 0, a, err);
        if (peek(&p, 0)->kind == T_EOF) {
                e = perr(&p, 0, "empty expression");
        } else if ((e = parse_expr(&p)) != NULL && peek(&p, 0)->kind != T_EOF) {
                token *t = peek(&p, 0);

                if (t->kind == T_COMMA)
                        perr(&p, t->off, "a tuple needs parentheses: (a, b)");
                else if (t->kind == T_RPAREN || t->kind == T_RBRACK || t->kind == T_RBRACE)
                        perr(&p, t->off, "unmatched '%c'", text[t->off]);
                else if (t->kind == T_COLON)
                        perr(&p, t->off, "unexpected ':' (slices are not supported)");
                else
                        unexpected(&p, t);
                e = NULL;
        }
        parser_done(&p);
        if (e == NULL)
                arena_free(a);
        return e;
}

expr *expr_literal(value v)
{
        arena *a = arena_new();
        expr *e = arena_alloc(a, sizeof(expr));

        e->kind = N_CONST;
        e->off = 0;
        e->owner = a;
        e->u.cst = arena_keep(a, v);
        return e;
}

void expr_free(expr *e)
{
        if (e != NULL)
                arena_free(e->owner);
}

/* ---- resolving and inspecting ---- */

/* E's shape for expr_eval_fast (expr.h), once its names are resolved: one of the shapes that
 * eval_root works out without a call (a leaf name, `is` of None, two ints). */
/* The shape of two ints' operator OP (EXPR_FAST_NONE: not one of them). */
static const unsigned char int_ops[] = {
        [OP_ADD] = EXPR_FAST_ADD, [OP_SUB] = EXPR_FAST_SUB, [OP_MUL] = EXPR_FAST_MUL,
        [OP_LT] = EXPR_FAST_LT,   [OP_LE] = EXPR_FAST_LE,   [OP_GT] = EXPR_FAST_GT,
        [OP_GE] = EXPR_FAST_GE,   [OP_EQ] = EXPR_FAST_EQ,   [OP_NE] = EXPR_FAST_NE,
};

static void find_shape(expr *e)
{
        expr_fast f = { .shape = EXPR_FAST_NONE };
        const expr *x, *y;
        int op;

        if (e->kind == N_NAME) {
                f.shape = EXPR_FAST_NAME;
                f.a = e->u.name.ref;
        } else if (e->binary && (x = e->u.seq.kids[0])->kind == N_NAME) {
                y = e->u.seq.kids[1];
                op = e->u.seq.ops[0];
                f.a = x->u.name.ref;
                if ((op == OP_IS || op == OP_ISNOT) && y->kind == N_CONST &&
                    y->u.cst.type == VALUE_NONE) {
                        f.shape = op == OP_IS ? EXPR_FAST_IS_NONE : EXPR_FAST_IS_NOT_NONE;
                } else if ((size_t)op < sizeof int_ops && int_ops[op] != EXPR_FAST_NONE &&
                           (y->kind == N_NAME ||
                            (y->kind == N_CONST && y->u.cst.type == VALUE_INT))) {
                        f.shape = int_ops[op];
                        f.b_int = y->kind == N_CONST;
                        if (f.b_int)
                                f.k = y->u.cst.as.i;
                        else
                                f.b = y->u.name.ref;
                }
        }
        e->fast = f;
}

/* E's I-th operand (from 0, in source order: `a if b else c` gives a, b, c; a call its callee,
 * then its arguments; a lambda its body), or NULL past the last: the one walk of an expression's
 * tree, for resolve, expr_refs and expr_uses_random. */
static expr *kid_at(const expr *e, size_t i)
{
        switch (e->kind) {
        case N_LIST:
        case N_TUPLE:
        case N_DICT:
        case N_ARITH:
        case N_AND:
        case N_OR:
        case N_CMP: return i < e->u.seq.n ? e->u.seq.kids[i] : NULL;
        case N_NEG:
        case N_POS:
        case N_NOT: return i == 0 ? e->u.k.a : NULL;
        case N_IF: return i == 0 ? e->u.k.a : i == 1 ? e->u.k.b : i == 2 ? e->u.k.c : NULL;
        case N_INDEX: return i == 0 ? e->u.k.a : i == 1 ? e->u.k.b : NULL;
        case N_CALL:
                if (i == 0)
                        return e->u.call.callee;
                return i - 1 < e->u.call.nargs ? e->u.call.args[i - 1] : NULL;
        case N_BUILTIN: return i < e->u.call.nargs ? e->u.call.args[i] : NULL;
        case N_LAMBDA: return i == 0 ? e->u.lam.body : NULL;
        default: return NULL;
        }
}

static int resolve(expr *e, expr_resolve_fn fn, void *ctx)
{
        int bad = 0;
        expr *kid;

        if (e->kind == N_NAME) {
                int32_t ref = -1;

                if (fn(ctx, e->u.name.name, e->off, &ref) != 0)
                        bad++;
                else
                        e->u.name.ref = ref;
        }
        for (size_t i = 0; (kid = kid_at(e, i)) != NULL; i++)
                bad += resolve(kid, fn, ctx);
        if (bad == 0)
                find_shape(e);
        return bad;
}

int expr_resolve(expr *e, expr_resolve_fn fn, void *ctx)
{
        return e != NULL ? resolve(e, fn, ctx) : 0;
}

static void refs(const expr *e, expr_ref_fn fn, void *ctx, bool in_lambda)
{
        const expr *kid;

        if (e->kind == N_NAME)
                fn(ctx, e->u.name.ref, in_lambda);
        for (size_t i = 0; (kid = kid_at(e, i)) != NULL; i++)
                refs(kid, fn, ctx, in_lambda || e->kind == N_LAMBDA);
}

void expr_refs(const expr *e, expr_ref_fn fn, void *ctx)
{
        if (e != NULL)
                refs(e, fn, ctx, false);
}

void expr_names(const expr *e, expr_name_fn fn, void *ctx)
{
        const expr *kid;

        if (e == NULL)
                return;
        if (e->kind == N_NAME)
                fn(ctx, e->u.name.ref, e->off, strlen(e->u.name.name));
        for (size_t i = 0; (kid = kid_at(e, i)) != NULL; i++)
                expr_names(kid, fn, ctx);
}

bool expr_lvalue(const expr *e, const char **name, int32_t *ref, const expr **index)
{
        const expr *target = e;

        if (e == NULL)
                return false;
        if (e->kind == N_INDEX)
                target = e->u.k.a;
        if (target->kind != N_NAME)
                return false;
        if (name)
                *name = target->u.name.name;
        if (ref)
                *ref = target->u.name.ref;
        if (index)
                *index = e->kind == N_INDEX ? e->u.k.b : NULL;
        return true;
}

bool expr_constant(const expr *e, value *v)
{
        if (e == NULL || e->kind != N_CONST)
                return false;
        *v = e->u.cst;
        return true;
}

int expr_lambda_params(const expr *e)
{
        return e != NULL && e->kind == N_LAMBDA ? (int)e->u.lam.nparams : -1;
}

bool expr_uses_random(const expr *e)
{
        const expr *kid;

        if (e == NULL)
                return false;
        if (e->kind == N_BUILTIN && e->u.call.bi->fn == bi_random)
                return true;
        for (size_t i = 0; (kid = kid_at(e, i)) != NULL; i++)
                if (expr_uses_random(kid))
                        return true;
        return false;
}

/* ---- evaluation ---- */

/* Python's message for a lambda called with too few or too many arguments. */
NOINLINE static int arity_error(evalctx *c, const expr *lam, size_t nargs, int off)
{
        size_t np = lam->u.lam.nparams, missing = np - nargs, used = 0;
        char names[150] = "";

        if (nargs > np)
                return fail(c, off,
                            "TypeError: <lambda>() takes %zu positional argument%s but %zu %s "
                            "given",
                            np, np == 1 ? "" : "s", nargs, nargs == 1 ? "was" : "were");
        /* Python lists them as 'a', 'b' and 'c' / 'a', 'b', and 'c'. */
        for (size_t i = nargs; i < np && used < sizeof names; i++) {
                const char *sep = i == nargs     ? ""
                                  : i + 1 < np   ? ", "
                                  : missing == 2 ? " and "
                                                 : ", and ";

                used += (size_t)snprintf(names + used, sizeof names - used, "%s'%s'", sep,
                                         lam->u.lam.params[i]);
        }
        return fail(c, off, "TypeError: <lambda>() missing %zu required positional argument%s: %s",
                    missing, missing == 1 ? "" : "s", names);
}

/* An int operand of a lambda's body: a parameter whose argument is an int, or an int literal. */
static inline bool int_operand(const expr *e, const value *args, int64_t *v)
{
        if (e->kind == N_PARAM && args[e->u.param].type == VALUE_INT)
                *v = args[e->u.param].as.i;
        else if (e->kind == N_CONST && e->u.cst.type == VALUE_INT)
                *v = e->u.cst.as.i;
        else
                return false;
        return true;
}

/*
 * LAM called with ARGS when its body is two ints' + - * or comparison, each a parameter or a
 * literal (`lambda x: x * x`, `lambda a, b: a + b`, a pool's map of the seed): true with the
 * result in *OUT, exactly what eval gives, without its recursion, its depth count and its
 * memory check (no error is possible then, and nothing is allocated). False — a bool, a float,
 * an overflow, any other body — and eval does it, with the messages.
 */
static inline bool call_fast(const expr *lam, const value *args, value *out)
{
        const expr *b = lam->u.lam.body;
        int64_t x, y;
        int op;

        if (!b->binary || (size_t)(op = b->u.seq.ops[0]) >= sizeof int_ops ||
            int_ops[op] == EXPR_FAST_NONE || !int_operand(b->u.seq.kids[0], args, &x) ||
            !int_operand(b->u.seq.kids[1], args, &y))
                return false;
        return expr_fast_ints(int_ops[op], x, y, out);
}

NOINLINE static int call_lambda(evalctx *c, value fn, const value *args, size_t nargs, int off,
                                value *out)
{
        const expr *lam = fn.type == VALUE_FUNC ? value_func_ptr(fn) : NULL;
        const value *saved;
        int rc;

        if (lam == NULL || lam->kind != N_LAMBDA)
                return fail(c, off, "TypeError: '%s' object is not callable", tname(fn));
        if (nargs != lam->u.lam.nparams)
                return arity_error(c, lam, nargs, off);
        if (call_fast(lam, args, out))
                return 0;
        saved = c->frame;
        c->frame = args;
        rc = eval(c, lam->u.lam.body, out);
        c->frame = saved;
        return rc;
}

/* Up to this many values go in the caller's array (SMALL below): a call such as len(buf) needs
 * no malloc. */
#define SMALL_VALUES 4

/* Evaluates the N nodes at KIDS into an array of values: SMALL (of SMALL_VALUES) when they fit,
 * else a new one. NULL when one failed. */
static value *eval_all(evalctx *c, expr *const *kids, size_t n, value *small)
{
        value *vals = n <= SMALL_VALUES ? small : xmalloc(n * sizeof(value));

        for (size_t i = 0; i < n; i++) {
                if (eval(c, kids[i], &vals[i]) < 0) {
                        while (i-- > 0)
                                value_drop(&vals[i]);
                        if (vals != small)
                                free(vals);
                        return NULL;
                }
        }
        return vals;
}

static void drop_all(value *vals, size_t n, const value *small)
{
        for (size_t i = 0; i < n; i++)
                value_drop(&vals[i]);
        if (vals != small)
                free(vals);
}

NOINLINE static int eval_display(evalctx *c, const expr *e, value *out)
{
        size_t n = e->u.seq.n;
        value *vals, small[SMALL_VALUES];
        int rc = 0;

        if (e->kind == N_LIST) {
                value l = value_list();

                for (size_t i = 0; i < n; i++) {
                        value v;

                        if (eval(c, e->u.seq.kids[i], &v) < 0) {
                                value_drop(&l);
                                return -1;
                        }
                        if (value_list_append(&l, v, EMSG(c)) < 0) {
                                value_drop(&l);
                                return fail_here(c, e->u.seq.kids[i]->off);
                        }
                }
                *out = l;
                return 0;
        }
        if (e->kind == N_DICT) {
                value d = value_dict();

                for (size_t i = 0; i + 1 < n; i += 2) {
                        value k, v;

                        if (eval(c, e->u.seq.kids[i], &k) < 0) {
                                value_drop(&d);
                                return -1;
                        }
                        if (eval(c, e->u.seq.kids[i + 1], &v) < 0) {
                                value_drop(&k);
                                value_drop(&d);
                                return -1;
                        }
                        if (value_dict_set(&d, k, v, EMSG(c)) < 0) {
                                value_drop(&d);
                                return fail_here(c, e->u.seq.kids[i]->off);
                        }
                }
                *out = d;
                return 0;
        }
        if ((vals = eval_all(c, e->u.seq.kids, n, small)) == NULL)
                return -1;
        rc = make_seq(c, VALUE_TUPLE, vals, n, 1, e->off, out);
        drop_all(vals, n, small);
        return rc;
}

NOINLINE static int eval_unary(evalctx *c, const expr *e, value *out)
{
        value a;

        if (eval(c, e->u.k.a, &a) < 0)
                return -1;
        if (e->kind == N_NOT) {
                *out = value_bool(!value_truthy(a));
        } else if (a.type == VALUE_FLOAT) {
                *out = value_float(e->kind == N_NEG ? -a.as.f : a.as.f);
        } else if (is_intlike(a)) {
                if (e->kind == N_NEG && int_of(a) == INT64_MIN) {
                        value_drop(&a);
                        return fail(c, e->off,
                                    "OverflowError: -(%lld) does not fit in a 64-bit int",
                                    (long long)INT64_MIN);
                }
                *out = value_int(e->kind == N_NEG ? -int_of(a) : int_of(a));
        } else {
                int rc = fail(c, e->off, "TypeError: bad operand type for unary %c: '%s'",
                              e->kind == N_NEG ? '-' : '+', tname(a));

                value_drop(&a);
                return rc;
        }
        value_drop(&a);
        return 0;
}

/* X OP Y for +, - and * of two ints into *R: false when it overflows (*R is then garbage) or OP
 * is another (then arith decides, as for any operands). */
static bool small_int_arith(int op, int64_t x, int64_t y, int64_t *r)
{
        switch (op) {
        case OP_ADD: return !__builtin_add_overflow(x, y, r);
        case OP_SUB: return !__builtin_sub_overflow(x, y, r);
        case OP_MUL: return !__builtin_mul_overflow(x, y, r);
        default: return false;
        }
}

NOINLINE static int eval_arith(evalctx *c, const expr *e, value *out)
{
        value acc;

        if (eval_operand(c, e->u.seq.kids[0], &acc) < 0)
                return -1;
        for (size_t i = 1; i < e->u.seq.n; i++) {
                value b, r;
                int rc;

                if (eval_operand(c, e->u.seq.kids[i], &b) < 0) {
                        value_drop(&acc);
                        return -1;
                }
                /* two ints that do not overflow, as in `counter + 1`: no call (arith reports
                 * an overflow) */
                if (acc.type == VALUE_INT && b.type == VALUE_INT &&
                    small_int_arith(e->u.seq.ops[i - 1], acc.as.i, b.as.i, &r.as.i)) {
                        acc.as.i = r.as.i;
                        continue;
                }
                /* two strs within the cap: a temporary among them holds the result, without a
                 * new one (arith reports a str too long) */
                if (e->u.seq.ops[i - 1] == OP_ADD && acc.type == VALUE_STR && b.type == VALUE_STR &&
                    value_len(acc) + value_len(b) <= VALUE_MAX_STR) {
                        acc = value_str_add(acc, b);
                        continue;
                }
                rc = arith(c, e->u.seq.ops[i - 1], acc, b, e->u.seq.offs[i - 1], &r);
                value_drop(&acc);
                value_drop(&b);
                if (rc < 0)
                        return -1;
                acc = r;
        }
        *out = acc;
        return 0;
}

/* and / or: the first operand that decides, as Python returns it. */
NOINLINE static int eval_logic(evalctx *c, const expr *e, value *out)
{
        for (size_t i = 0; i < e->u.seq.n; i++) {
                value v;

                if (eval(c, e->u.seq.kids[i], &v) < 0)
                        return -1;
                if (i + 1 == e->u.seq.n || value_truthy(v) == (e->kind == N_OR)) {
                        *out = v;
                        return 0;
                }
                value_drop(&v);
        }
        return -1; /* not reached: a chain has at least two operands */
}

NOINLINE static int eval_cmp(evalctx *c, const expr *e, value *out)
{
        value left, right;
        bool res = true;

        if (eval_operand(c, e->u.seq.kids[0], &left) < 0)
                return -1;
        for (size_t i = 1; i < e->u.seq.n && res; i++) {
                int rc;

                if (eval_operand(c, e->u.seq.kids[i], &right) < 0) {
                        value_drop(&left);
                        return -1;
                }
                rc = compare(c, e->u.seq.ops[i - 1], left, right, e->u.seq.offs[i - 1], &res);
                value_drop(&left);
                left = right;
                if (rc < 0) {
                        value_drop(&left);
                        return -1;
                }
        }
        value_drop(&left);
        *out = value_bool(res);
        return 0;
}

NOINLINE static int eval_call(evalctx *c, const expr *e, value *out)
{
        size_t n = e->u.call.nargs;
        value fn = value_none(), *args, small[SMALL_VALUES];
        int rc;

        if (e->kind == N_CALL && eval(c, e->u.call.callee, &fn) < 0)
                return -1;
        if ((args = eval_all(c, e->u.call.args, n, small)) == NULL) {
                value_drop(&fn);
                return -1;
        }
        if (e->kind == N_BUILTIN) {
                rc = e->u.call.bi->fn(c, e, args, n, out);
        } else {
                const expr *lam = fn.type == VALUE_FUNC ? value_func_ptr(fn) : NULL;

                rc = call_lambda(c, fn, args, n, e->off, out);
                /* An offset inside a lambda from another text would point into the wrong
                 * text: point at the call instead. */
                if (rc < 0 && lam != NULL && lam->owner != e->owner)
                        c->err->offset = e->off;
        }
        drop_all(args, n, small);
        value_drop(&fn);
        return rc;
}

NOINLINE static int eval_if(evalctx *c, const expr *e, value *out)
{
        value cond;
        bool yes;

        if (eval(c, e->u.k.b, &cond) < 0)
                return -1;
        yes = value_truthy(cond);
        value_drop(&cond);
        return eval(c, yes ? e->u.k.a : e->u.k.c, out);
}

NOINLINE static int eval_index(evalctx *c, const expr *e, value *out)
{
        value obj, idx;
        int rc;

        if (eval(c, e->u.k.a, &obj) < 0)
                return -1;
        if (eval(c, e->u.k.b, &idx) < 0) {
                value_drop(&obj);
                return -1;
        }
        rc = index_value(c, obj, idx, e->off, out);
        if (rc < 0 && obj.type == VALUE_LIST && e->u.k.a->kind == N_NAME && c->env != NULL &&
            c->env->is_ctype_array != NULL &&
            c->env->is_ctype_array(c->env->ctx, e->u.k.a->u.name.ref)) {
                /* an Array's item: ctypes' words, as multiprocessing's Array raises them */
                const char *msg = is_intlike(idx) ? "IndexError: invalid index"
                                                  : "TypeError: indices must be integers";

                snprintf(c->err->msg, sizeof c->err->msg, "%s", msg);
        }
        value_drop(&obj);
        value_drop(&idx);
        return rc;
}

/* A name that is not in the environment's slots: through its load. */
NOINLINE static int load_name(evalctx *c, const expr *e, value *out)
{
        if (c->env == NULL || c->env->load == NULL)
                return fail(c, e->off, "NameError: name '%s' is not defined", e->u.name.name);
        c->err->msg[0] = '\0';
        if (c->env->load(c->env->ctx, e->u.name.ref, e->u.name.name, out, c->err) < 0) {
                if (c->err->msg[0] == '\0')
                        snprintf(c->err->msg, sizeof c->err->msg,
                                 "NameError: name '%s' is not defined", e->u.name.name);
                return fail_here(c, e->off);
        }
        return 0;
}

static inline int eval_name(evalctx *c, const expr *e, value *out)
{
        if (read_name(c->env, e->u.name.ref, out))
                return 0;
        return load_name(c, e, out);
}

static int eval_node(evalctx *c, const expr *e, value *out)
{
        switch (e->kind) {
        case N_CONST: *out = value_ref(e->u.cst); return 0;
        case N_NAME: return eval_name(c, e, out);
        case N_PARAM:
                if (c->frame == NULL)
                        return fail(c, e->off, "SystemError: a lambda parameter outside a call");
                *out = value_ref(c->frame[e->u.param]);
                return 0;
        case N_LIST:
        case N_TUPLE:
        case N_DICT: return eval_display(c, e, out);
        case N_NEG:
        case N_POS:
        case N_NOT: return eval_unary(c, e, out);
        case N_ARITH: return eval_arith(c, e, out);
        case N_AND:
        case N_OR: return eval_logic(c, e, out);
        case N_CMP: return eval_cmp(c, e, out);
        case N_IF: return eval_if(c, e, out);
        case N_INDEX: return eval_index(c, e, out);
        case N_BUILTIN:
        case N_CALL: return eval_call(c, e, out);
        case N_LAMBDA:
                /* A new function object each time, as in Python (`is` tells two apart) — but
                 * while nothing else holds the node's own, it is as good as new: no malloc. */
                *out = value_claim(e->u.lam.fn) ? e->u.lam.fn : value_func(e);
                return 0;
        }
        return fail(c, e->off, "SystemError: bad expression node");
}

static int eval(evalctx *c, const expr *e, value *out)
{
        int rc;

        if (c->depth >= EVAL_MAX_DEPTH)
                return fail(c, e->off, "RecursionError: maximum recursion depth exceeded");
        c->depth++;
        rc = eval_node(c, e, out);
        c->depth--;
        /* the total cap on the run's values: checked after every node, so no expression (a
         * tuple of big lists) can build more than one node's worth past it */
        if (rc == 0 && value_memory_check(EMSG(c)) < 0) {
                value_drop(out);
                return fail_here(c, e->off);
        }
        return rc;
}

/* expr_eval without an ERR of the caller's: one of its own for the messages. */
__attribute__((noinline)) static int eval_quiet(const expr *e, const expr_env *env, value *out)
{
        expr_error dummy;

        return expr_eval(e, env, out, &dummy);
}

/* A name at the root that is not in the environment's tables: through env->load, which may
 * allocate (a shared list decoded), so checked as eval checks a node. */
NOINLINE static int root_load(evalctx *c, const expr *e, value *out)
{
        if (load_name(c, e, out) < 0)
                return -1;
        if (value_memory_check(EMSG(c)) < 0) {
                value_drop(out);
                return fail_here(c, e->off);
        }
        return 0;
}

/* A leaf operand at the root: a constant or a name in the environment's tables, read without a
 * call and without allocating (no memory check owed), or else root_load. */
__attribute__((always_inline)) static inline int root_leaf(evalctx *c, const expr *e, value *out)
{
        if (e->kind == N_CONST) {
                *out = value_ref(e->u.cst);
                return 0;
        }
        if (read_name(c->env, e->u.name.ref, out))
                return 0;
        return root_load(c, e, out);
}

/* An operand of the root: a leaf as root_leaf reads it, anything else through eval. */
__attribute__((always_inline)) static inline int root_operand(evalctx *c, const expr *e, value *out)
{
        if (e->kind == N_CONST || e->kind == N_NAME)
                return root_leaf(c, e, out);
        return eval(c, e, out);
}

/*
 * The commonest expressions of a step, at the root, without eval's recursion and depth count: a
 * leaf (`True`, `item`, `counter`), `not` (`not buf`), and an operator node of two operands
 * (`counter + 1`, `total + item`, `item is None`, `len(buf) == MAX`), whose leaves are read
 * without eval. Two ints, `is` and `not` are worked out here: nothing is allocated, so no check
 * of the memory cap is owed; anything else goes to arith or compare, as in eval_arith and
 * eval_cmp (two strs joined in place as there), with their messages, and is checked as eval
 * checks a node.
 */
static int eval_root(evalctx *c, const expr *e, value *out)
{
        value a, b;
        int op, rc;
        bool res = false;

        if (e->kind == N_NOT) {
                if (root_operand(c, e->u.k.a, &a) < 0)
                        return -1;
                res = !value_truthy(a);
                value_drop(&a);
                *out = value_bool(res);
                return 0;
        }
        if (!e->binary)
                return root_leaf(c, e, out);
        if (root_operand(c, e->u.seq.kids[0], &a) < 0)
                return -1;
        if (root_operand(c, e->u.seq.kids[1], &b) < 0) {
                value_drop(&a);
                return -1;
        }
        op = e->u.seq.ops[0];
        if (a.type == VALUE_INT && b.type == VALUE_INT) {
                switch (op) {
                case OP_LT: *out = value_bool(a.as.i < b.as.i); return 0;
                case OP_LE: *out = value_bool(a.as.i <= b.as.i); return 0;
                case OP_GT: *out = value_bool(a.as.i > b.as.i); return 0;
                case OP_GE: *out = value_bool(a.as.i >= b.as.i); return 0;
                case OP_EQ: *out = value_bool(a.as.i == b.as.i); return 0;
                case OP_NE: *out = value_bool(a.as.i != b.as.i); return 0;
                default:
                        if (small_int_arith(op, a.as.i, b.as.i, &out->as.i)) {
                                out->type = VALUE_INT;
                                return 0;
                        }
                }
        } else if (op == OP_IS || op == OP_ISNOT) {
                res = identical(a, b) == (op == OP_IS);
                value_drop(&a);
                value_drop(&b);
                *out = value_bool(res);
                return 0;
        }
        if (e->kind == N_ARITH && op == OP_ADD && a.type == VALUE_STR && b.type == VALUE_STR &&
            value_len(a) + value_len(b) <= VALUE_MAX_STR) {
                *out = value_str_add(a, b);
                rc = 0;
                b = a = value_none();
        } else if (e->kind == N_ARITH) {
                rc = arith(c, op, a, b, e->u.seq.offs[0], out);
        } else {
                rc = compare(c, op, a, b, e->u.seq.offs[0], &res);
                *out = value_bool(res);
        }
        value_drop(&a);
        value_drop(&b);
        if (rc < 0)
                return -1;
        if (value_memory_check(EMSG(c)) < 0) {
                value_drop(out);
                return fail_here(c, e->off);
        }
        return 0;
}

int expr_eval_range(const expr *e, const expr_env *env, expr_range *r, expr_error *err)
{
        evalctx c = { .env = env, .err = err };
        size_t n;
        value *args, small[SMALL_VALUES];
        int rc;

        if (e == NULL || e->kind != N_BUILTIN || e->u.call.bi->fn != bi_range)
                return 0;
        n = e->u.call.nargs;
        if ((args = eval_all(&c, e->u.call.args, n, small)) == NULL)
                return -1;
        rc = range_of(&c, e, args, n, r);
        drop_all(args, n, small);
        return rc < 0 ? -1 : 1;
}

int expr_eval(const expr *e, const expr_env *env, value *out, expr_error *err)
{
        evalctx c = { .env = env, .err = err };

        if (err == NULL)
                return eval_quiet(e, env, out);
        *out = value_none();
        if (e == NULL)
                return fail(&c, -1, "SystemError: no expression");
        if (e->binary || e->kind == N_CONST || e->kind == N_NAME || e->kind == N_NOT)
                c.depth = 1; /* its operands are as deep as under eval */
        if ((c.depth > 0 ? eval_root(&c, e, out) : eval(&c, e, out)) < 0) {
                *out = value_none();
                return -1;
        }
        return 0;
}

/* expr_call's way through the evaluator (its context and an error's room set up here, out of
 * line: the short way needs neither). */
NOINLINE static int call_general(value fn, const value *args, size_t nargs, const expr_env *env,
                                 value *out, expr_error *err, const expr *lam)
{
        expr_error dummy;
        evalctx c = { .env = env, .err = err ? err : &dummy };

        *out = value_none();
        if (call_lambda(&c, fn, args, nargs, lam ? lam->off : -1, out) < 0) {
                *out = value_none();
                return -1;
        }
        return 0;
}

int expr_call(value fn, const value *args, size_t nargs, const expr_env *env, value *out,
              expr_error *err)
{
        const expr *lam = fn.type == VALUE_FUNC ? value_func_ptr(fn) : NULL;

        /* a pool's every item: the short way before the evaluator's context is set up */
        if (lam != NULL && lam->kind == N_LAMBDA && nargs == lam->u.lam.nparams &&
            call_fast(lam, args, out))
                return 0;
        return call_general(fn, args, nargs, env, out, err, lam);
}

uint64_t expr_random_next(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* ---- templates ---- */

typedef struct tseg {
        const char *text; /* literal text (braces unescaped) */
        size_t len;
        expr *hole; /* or NULL */
} tseg;

struct expr_template {
        arena *a;
        tseg *segs;
        size_t n;
        const char *plain; /* the whole text when there are no holes */
};

/* Parses the hole whose '{' is at OPEN; returns it and sets *END past its '}'. */
static expr *parse_hole(parser *p, int open, size_t *end)
{
        expr *e;
        token *t;
        size_t i = (size_t)open + 1;

        while (i < p->len && is_space(p->src[i]))
                i++;
        if (i >= p->len)
                return perr(p, open,
                            "'{' at column %d is never closed (write '{{' for a literal brace)",
                            open + 1);
        if (p->src[i] == '}')
                return perr(p, open,
                            "empty expression in '{}' at column %d (write '{{' for a literal "
                            "brace)",
                            open + 1);
        p->pos = (size_t)open + 1;
        p->depth = 0;
        if ((e = parse_expr(p)) == NULL)
                return NULL;
        t = peek(p, 0);
        if (t->kind == T_RBRACE) {
                *end = (size_t)t->end;
                advance(p);
                parser_done(p);
                return e;
        }
        if (t->kind == T_COLON)
                return perr(p, t->off,
                            "format specs (':') are not supported in templates "
                            "(for a float to two places: {round(x, 2)})");
        if (t->kind == T_ERROR && p->src[t->off] == '!')
                return perr(p, t->off,
                            "conversions ('!r', '!s') are not supported in templates (a value "
                            "prints as str() prints it, a string inside a list or dict quoted)");
        /* f"{x=}", Python 3.8's self-documenting form */
        if (t->kind == T_ASSIGN && peek(p, 1)->kind == T_RBRACE) {
                int from = open + 1, len = t->off - from;

                while (len > 0 && p->src[from + len - 1] == ' ')
                        len--;
                if (len > 40) /* too long to repeat whole in a message */
                        return perr(p, t->off, "'{x=}' is not supported in templates: write x={x}");
                return perr(p, t->off, "'{x=}' is not supported in templates: write %.*s={%.*s}",
                            len, p->src + from, len, p->src + from);
        }
        if (t->kind == T_EOF)
                return perr(p, t->off, "expected '}' to close '{' at column %d", open + 1);
        if (t->kind == T_COMMA)
                return perr(p, t->off, "a tuple needs parentheses: (a, b)");
        if (t->kind == T_ERROR || t->kind == T_ASSIGN || t->kind == T_RESERVED)
                return unexpected(p, t);
        return perr(p, t->off, "expected '}' to close '{' at column %d", open + 1);
}

expr_template *expr_template_parse(const char *text, size_t len, expr_error *err)
{
        expr_error dummy;
        expr_template *t;
        strbuf lit = STRBUF_INIT;
        tseg *segs = NULL;
        size_t n = 0, cap = 0, i = 0, holes = 0;
        parser p;
        arena *a;

        if (err == NULL)
                err = &dummy;
        if (too_long_text(len, err, "template"))
                return NULL;
        a = arena_new();
        parser_init(&p, text, len, 0, a, err);
        p.template = true;
        while (i <= len) {
                expr *hole = NULL;
                size_t end = i;

                if (i < len && text[i] == '{' && !(i + 1 < len && text[i + 1] == '{')) {
                        if ((hole = parse_hole(&p, (int)i, &end)) == NULL)
                                goto fail;
                } else if (i < len && text[i] == '}' && !(i + 1 < len && text[i + 1] == '}')) {
                        perr(&p, (int)i, "single '}' is not allowed in a template (write '}}')");
                        goto fail;
                } else if (i < len) {
                        strbuf_putc(&lit, text[i]);
                        i += text[i] == '{' || text[i] == '}' ? 2 : 1;
                        continue;
                }
                /* A hole or the end: close the literal text before it. */
                if (lit.len > 0 || hole != NULL || (n == 0 && i == len)) {
                        segs = xgrow(segs, &cap, n + 1, sizeof(tseg));
                        segs[n].text = arena_strndup(a, strbuf_str(&lit), lit.len);
                        segs[n].len = lit.len;
                        segs[n].hole = hole;
                        n++;
                        holes += hole != NULL;
                        strbuf_reset(&lit);
                }
                if (i == len)
                        break;
                i = end;
        }
        strbuf_free(&lit);
        parser_done(&p);
        t = xcalloc(1, sizeof *t);
        t->a = a;
        t->n = n;
        t->segs = arena_alloc(a, (n ? n : 1) * sizeof(tseg));
        memcpy(t->segs, segs, n * sizeof(tseg));
        free(segs);
        if (holes == 0)
                t->plain = n > 0 ? t->segs[0].text : "";
        return t;
fail:
        strbuf_free(&lit);
        parser_done(&p);
        free(segs);
        arena_free(a);
        return NULL;
}

void expr_template_free(expr_template *t)
{
        if (t == NULL)
                return;
        arena_free(t->a);
        free(t);
}

int expr_template_resolve(expr_template *t, expr_resolve_fn fn, void *ctx)
{
        int bad = 0;

        for (size_t i = 0; t != NULL && i < t->n; i++)
                if (t->segs[i].hole != NULL)
                        bad += resolve(t->segs[i].hole, fn, ctx);
        return bad;
}

void expr_template_refs(const expr_template *t, expr_ref_fn fn, void *ctx)
{
        for (size_t i = 0; t != NULL && i < t->n; i++)
                expr_refs(t->segs[i].hole, fn, ctx);
}

void expr_template_names(const expr_template *t, expr_name_fn fn, void *ctx)
{
        for (size_t i = 0; t != NULL && i < t->n; i++)
                expr_names(t->segs[i].hole, fn, ctx);
}

int expr_template_render(const expr_template *t, const expr_env *env, strbuf *out, expr_error *err)
{
        expr_error dummy;
        size_t start = out->len;

        if (err == NULL)
                err = &dummy;
        for (size_t i = 0; i < t->n; i++) {
                const expr *hole = t->segs[i].hole;
                value v;
                int rc;

                strbuf_append(out, t->segs[i].text, t->segs[i].len);
                if (hole == NULL)
                        continue;
                if (expr_eval(hole, env, &v, err) < 0)
                        goto fail;
                rc = value_format(v, false, out, err->msg, sizeof err->msg);
                value_drop(&v);
                if (rc < 0 || out->len - start > VALUE_MAX_STR) {
                        snprintf(err->msg, sizeof err->msg,
                                 "MemoryError: a str cannot be longer than %u bytes",
                                 VALUE_MAX_STR);
                        err->offset = hole->off;
                        goto fail;
                }
        }
        return 0;
fail:
        out->len = start;
        if (out->data != NULL)
                out->data[start] = '\0';
        return -1;
}

bool expr_template_is_plain(const expr_template *t, const char **text)
{
        if (t == NULL || t->plain == NULL)
                return false;
        if (text)
                *text = t->plain;
        return true;
}
