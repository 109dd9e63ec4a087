/*
 * expr.h — lockstep's small Python-like expression language.
 *
 * Expressions are parsed once when a scenario loads and evaluated many times while it runs.
 * The grammar (docs/scenario-format.md has the full table) covers literals (ints, floats,
 * 'strings', None, True, False, [lists], (tuples), {dicts}), names, + - * / // % (unary - +),
 * comparisons (chained, as in Python) including in, not in, is, is not, and/or/not,
 * x if c else y, indexing a[i], calls of the builtins (len range list tuple str int float bool
 * abs min max sum sorted random cpu_count) and lambda x, y: body.
 *
 * Names are resolved at load time: expr_resolve hands every free name to the caller, who picks
 * an int32 reference for it; at run time expr_eval asks the environment to load that reference.
 * Integers are 64-bit and an overflow is an error (OverflowError), never undefined behaviour.
 * Templates are text with {expr} holes ({{ and }} for braces), used by print and say.
 */
#ifndef LOCKSTEP_SCENARIO_EXPR_H
#define LOCKSTEP_SCENARIO_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

#define EXPR_MAX_DEPTH 64   /* nesting of parentheses, brackets and operators */
#define EXPR_MAX_LEN   4096 /* bytes of one expression or template */

typedef struct expr expr;
typedef struct expr_template expr_template;

/* A syntax or run-time error. OFFSET is the byte offset in the source text where it was found
 * (-1 when unknown); MSG reads like Python's ("ZeroDivisionError: division by zero"). */
typedef struct expr_error {
        int offset;
        char msg[200];
} expr_error;

/* True when WORD cannot name anything in an expression: a word of the language (None, and,
 * lambda, ...), another Python keyword (which the lexer refuses), or a builtin's name. */
bool expr_is_reserved(const char *word);

/* Parses LEN bytes of TEXT. Returns NULL and fills ERR on a syntax error. */
expr *expr_parse(const char *text, size_t len, expr_error *err);
/* An expression that evaluates to V (takes ownership): a literal from the scenario file, with no
 * detour through text (whose length and nesting limits a big literal would exceed, and in which
 * inf and nan are not literals). */
expr *expr_literal(value v);
void expr_free(expr *e);

/* Called for each free name of an expression (lambda parameters are bound, builtins that are
 * called are not names). Return 0 and set *REF, or -1 to reject (the callback reports why). */
typedef int (*expr_resolve_fn)(void *ctx, const char *name, int offset, int32_t *ref);
/* Resolves every free name; returns the number of names the callback rejected. */
int expr_resolve(expr *e, expr_resolve_fn fn, void *ctx);

/* True when E is a name or a name indexed once (counter, arr[i], d['k']): an lvalue. */
bool expr_lvalue(const expr *e, const char **name, int32_t *ref, const expr **index);
/* The number of parameters when E is a lambda (lambda x, y: ... gives 2), else -1. */
int expr_lambda_params(const expr *e);
/* Calls FN with each resolved name of E (its ref, SC_REF_*), IN_LAMBDA true for one in a lambda's
 * body (read whenever and wherever the lambda is called). */
typedef void (*expr_ref_fn)(void *ctx, int32_t ref, bool in_lambda);
void expr_refs(const expr *e, expr_ref_fn fn, void *ctx);
/* Calls FN with each name of E as written: its ref (SC_REF_*, -1 unresolved), and its offset and
 * length in the text E was parsed from (a template's: in the whole template's text). For a reader
 * that shows the text with something added at a name (the Code pane's `.value`). */
typedef void (*expr_name_fn)(void *ctx, int32_t ref, int off, size_t len);
void expr_names(const expr *e, expr_name_fn fn, void *ctx);
/* True when E calls random() anywhere: such an expression cannot be folded at load time. */
bool expr_uses_random(const expr *e);
/* True when E is a literal (`True`, `0`, `'a'`): *V is its value, borrowed from E (valid while
 * E lives). Evaluating E gives it every time, and can fail in no way. */
bool expr_constant(const expr *e, value *v);

typedef struct expr_env {
        void *ctx;
        /* Loads the value of a resolved name (a new reference into *OUT). Returns 0, or -1 with
         * ERR->msg set. */
        int (*load)(void *ctx, int32_t ref, const char *name, value *out, expr_error *err);
        /* Optional, the commonest names without a call: a ref in [slot_first, slot_first +
         * nslots) whose flag in slot_set is on reads slots[ref - slot_first] (a new reference);
         * load handles every other name, and errors (nslots 0: load does it all). */
        const value *slots;
        const bool *slot_set;
        int32_t slot_first;
        int nslots;
        /* Optional, the same for the scenario's constants (a ref in [const_first, const_first +
         * nconsts) reads consts[ref - const_first]) and for resources whose data is in place
         * (a ref in [res_first, res_first + nres) whose res_slots entry is not NULL reads what it
         * points at, after hold(ctx) unless *held: the lock the data is read under). Names in
         * neither go to load. */
        const value *consts;
        int32_t const_first;
        int nconsts;
        value *const *res_slots;
        int32_t res_first;
        int nres;
        const bool *held;
        void (*hold)(void *ctx);
        uint64_t *rng; /* the actor's random state; NULL makes random() an error */
        int cpu_count; /* what cpu_count() returns */
        /* Optional: whether the resolved name REF is a ctypes Array, whose bad index gets
         * ctypes' words ("IndexError: invalid index") rather than a list's. Asked on that error
         * only. */
        bool (*is_ctype_array)(void *ctx, int32_t ref);
} expr_env;

/* Evaluates E. Returns 0 with a new reference in *OUT, or -1 with ERR filled. */
int expr_eval(const expr *e, const expr_env *env, value *out, expr_error *err);

/* range(start, stop, step) without its list: COUNT ints from START, STEP apart. */
typedef struct expr_range {
        int64_t start, step;
        size_t count;
} expr_range;

/* When E is a call of range(), evaluates its arguments and fills *R, with range()'s checks and
 * errors, and returns 1 without building the list (what a pool's map over range(N) hands out);
 * returns 0 for any other expression, evaluating nothing; -1 with ERR filled. ERR is not
 * optional. */
int expr_eval_range(const expr *e, const expr_env *env, expr_range *r, expr_error *err);
/* Item K (below R->count) of R. */
int64_t expr_range_at(const expr_range *r, size_t k);

/*
 * The commonest whole expressions of a step, which a caller evaluates inline before it calls
 * expr_eval (expr_eval_fast): a name (`k`), `NAME is None` and `NAME is not None`, and an
 * operator of + - * or a comparison between a name and a name or an int literal (`counter + 1`,
 * `total + item`, `i < N`) whose values are ints and whose result fits. resolve works it out for
 * every node once its names are resolved; every struct expr begins with one (a node that is none
 * of these, or whose names are not resolved, has EXPR_FAST_NONE).
 */
enum {
        EXPR_FAST_NONE,
        EXPR_FAST_NAME,
        EXPR_FAST_IS_NONE,
        EXPR_FAST_IS_NOT_NONE,
        EXPR_FAST_ADD, /* from here on, two ints */
        EXPR_FAST_SUB,
        EXPR_FAST_MUL,
        EXPR_FAST_LT,
        EXPR_FAST_LE,
        EXPR_FAST_GT,
        EXPR_FAST_GE,
        EXPR_FAST_EQ,
        EXPR_FAST_NE,
};

typedef struct expr_fast {
        unsigned char shape; /* EXPR_FAST_* */
        bool b_int;          /* the right operand is the literal k, not the name b */
        int32_t a, b;        /* the names' refs */
        int64_t k;
} expr_fast;

/* The value the resolved name REF has in ENV's tables (borrowed: valid until the name is set
 * again), taking the lock of a resource's data first (hold) as expr_eval does; NULL for a name
 * the tables do not have (env->load's, or not set). */
__attribute__((always_inline)) static inline const value *expr_env_find(const expr_env *env,
                                                                        int32_t ref)
{
        /* unsigned: a ref below a table's first wraps past its size */
        uint32_t k;

        if ((k = (uint32_t)ref - (uint32_t)env->slot_first) < (uint32_t)env->nslots)
                return env->slot_set[k] ? &env->slots[k] : NULL;
        if ((k = (uint32_t)ref - (uint32_t)env->const_first) < (uint32_t)env->nconsts)
                return &env->consts[k];
        if ((k = (uint32_t)ref - (uint32_t)env->res_first) < (uint32_t)env->nres &&
            env->res_slots[k] != NULL) {
                if (!*env->held)
                        env->hold(env->ctx);
                return env->res_slots[k];
        }
        return NULL;
}

/* SHAPE (EXPR_FAST_ADD or after) of the ints X and Y into *OUT: false when + - * overflows, and
 * the evaluator then raises the OverflowError. The one place the shapes' arithmetic is done (the
 * expressions above, and a lambda's body of one such operation). */
__attribute__((always_inline)) static inline bool expr_fast_ints(int shape, int64_t x, int64_t y,
                                                                 value *out)
{
        int64_t r;

        /* + first, the commonest, without the switch's table */
        if (shape == EXPR_FAST_ADD) {
                if (__builtin_add_overflow(x, y, &r))
                        return false;
                *out = value_int(r);
                return true;
        }
        switch (shape) {
        case EXPR_FAST_SUB:
                if (__builtin_sub_overflow(x, y, &r))
                        return false;
                break;
        case EXPR_FAST_MUL:
                if (__builtin_mul_overflow(x, y, &r))
                        return false;
                break;
        case EXPR_FAST_LT: *out = value_bool(x < y); return true;
        case EXPR_FAST_LE: *out = value_bool(x <= y); return true;
        case EXPR_FAST_GT: *out = value_bool(x > y); return true;
        case EXPR_FAST_GE: *out = value_bool(x >= y); return true;
        case EXPR_FAST_EQ: *out = value_bool(x == y); return true;
        default: *out = value_bool(x != y); return true;
        }
        *out = value_int(r);
        return true;
}

/*
 * E (NULL allowed) evaluated inline when it is one of the shapes above and its names are in
 * ENV's tables with values the shape takes: true with a new reference in *OUT, exactly what
 * expr_eval gives (no error is possible then, and nothing is allocated). False: expr_eval does
 * it, reading the names again (a read from the tables has no effect that a second one repeats:
 * the lock is held already), and says what is wrong (an unset name, a float, a bool, an
 * overflow).
 */
__attribute__((always_inline)) static inline bool expr_eval_fast(const expr *e, const expr_env *env,
                                                                 value *out)
{
        const expr_fast *f = (const expr_fast *)e; /* its first member */
        const value *x, *y;
        int64_t b;

        if (e == NULL || f->shape == EXPR_FAST_NONE || (x = expr_env_find(env, f->a)) == NULL)
                return false;
        if (f->shape < EXPR_FAST_ADD) {
                if (f->shape == EXPR_FAST_NAME)
                        *out = value_ref(*x);
                else
                        *out =
                            value_bool((x->type == VALUE_NONE) == (f->shape == EXPR_FAST_IS_NONE));
                return true;
        }
        if (x->type != VALUE_INT)
                return false;
        if (f->b_int)
                b = f->k;
        else if ((y = expr_env_find(env, f->b)) != NULL && y->type == VALUE_INT)
                b = y->as.i;
        else
                return false;
        return expr_fast_ints(f->shape, x->as.i, b, out);
}
/* Calls a function value (a lambda) with NARGS borrowed arguments; error offsets are in the
 * lambda's own text. A function value points into the tree that made it: it is only valid while
 * that expression is alive. (When expr_eval calls a lambda that came from another expression, a
 * name holding it, errors inside it point at the call.) */
int expr_call(value fn, const value *args, size_t nargs, const expr_env *env, value *out,
              expr_error *err);

/* One random step: splitmix64 over *STATE. Exposed so the engine seeds actors the same way. */
uint64_t expr_random_next(uint64_t *state);

/* Templates. */
expr_template *expr_template_parse(const char *text, size_t len, expr_error *err);
void expr_template_free(expr_template *t);
int expr_template_resolve(expr_template *t, expr_resolve_fn fn, void *ctx);
/* expr_refs over every hole of T (NULL: none). */
void expr_template_refs(const expr_template *t, expr_ref_fn fn, void *ctx);
/* expr_names of every hole of T. */
void expr_template_names(const expr_template *t, expr_name_fn fn, void *ctx);
/* Appends the rendered text (each hole printed with str()) to OUT. Returns 0 or -1. */
int expr_template_render(const expr_template *t, const expr_env *env, strbuf *out, expr_error *err);
/* True when the template has no holes; its text is then available without an environment. */
bool expr_template_is_plain(const expr_template *t, const char **text);

#endif
