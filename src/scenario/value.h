/*
 * value.h — the values of lockstep's expression language.
 *
 * Values behave like Python's and print the way Python prints them: None, True, 1, 1.0, 'a',
 * [1, 2], (1, 2), {'id': 1}. Scalars live inline; strings, lists, tuples and dicts live in a
 * reference-counted heap object (atomic count, so a value may be read from several threads).
 * Values have value semantics: a mutating call on a shared object copies it first, so no caller
 * ever sees another's change.
 *
 * Ownership: a function returning `value` gives the caller one reference; value_drop releases
 * it. Functions taking `value` by value take ownership unless they say "borrowed"; the queries
 * (value_len, value_equal, value_compare, value_repr, …) borrow their arguments. A mutating call
 * takes ownership of the values it stores even when it fails.
 *
 * Values never form cycles (a container can only hold values older than itself), so reference
 * counting frees everything, and every recursive walk is bounded by VALUE_MAX_DEPTH.
 */
#ifndef LOCKSTEP_SCENARIO_VALUE_H
#define LOCKSTEP_SCENARIO_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/strbuf.h"

typedef enum value_type {
        VALUE_NONE,
        VALUE_BOOL,
        VALUE_INT,
        VALUE_FLOAT,
        VALUE_STR, /* from here on, a heap object (value_ref and value_drop test so) */
        VALUE_LIST,
        VALUE_TUPLE,
        VALUE_DICT,
        VALUE_FUNC, /* a lambda: see expr.h */
} value_type;

typedef struct value_obj value_obj;

typedef struct value {
        value_type type;
        union {
                bool b;
                int64_t i;
                double f;
                value_obj *obj; /* STR, LIST, TUPLE, DICT, FUNC */
        } as;
} value;

/* Limits that keep an untrusted scenario from exhausting memory (documented in docs/safety.md).
 * The constructors trust their caller; the operations that grow a value (append, dict_set, and
 * the expression operators) fail with a MemoryError or RecursionError message instead. */
#define VALUE_MAX_STR   (1u << 20) /* bytes in one string */
#define VALUE_MAX_ITEMS (1u << 20) /* items in one list, tuple or dict */
#define VALUE_MAX_DEPTH 100        /* nesting of containers: [[1]] is 2 deep */
/* The total of all values alive in the process (the runner), counted by the allocator's block
 * sizes: past it, the operations that grow or build values fail with a MemoryError. A single
 * operation builds at most a few of the values capped above, so the total stays within a few
 * tens of MiB of the cap. */
#define VALUE_MAX_MEMORY ((size_t)1 << 30) /* 1 GiB */

/* Bytes the values alive in this process take now. */
size_t value_memory_used(void);
/* Sets the total cap (0: VALUE_MAX_MEMORY). The engine calls it before any thread starts. */
void value_memory_limit(size_t bytes);
/* 0, or -1 with "MemoryError: ..." in ERR when the values alive take more than the cap. */
int value_memory_check(char *err, size_t errlen);

/* The scalars, and value_ref and value_drop of one, are inline: the interpreter makes and drops
 * a few on every step. */
static inline value value_none(void)
{
        return (value){ .type = VALUE_NONE, .as.i = 0 };
}

static inline value value_bool(bool b)
{
        value v = { .type = VALUE_BOOL, .as.i = 0 };

        v.as.b = b;
        return v;
}

static inline value value_int(int64_t i)
{
        return (value){ .type = VALUE_INT, .as.i = i };
}

/* I as a C int holds it (ctype 'i' of a Value or an Array): the low 32 bits, two's complement,
 * as ctypes stores a Python int that does not fit. */
static inline int64_t value_c_int(int64_t i)
{
        uint32_t low = (uint32_t)(uint64_t)i;

        return low >= 0x80000000u ? (int64_t)low - ((int64_t)1 << 32) : (int64_t)low;
}

static inline value value_float(double f)
{
        return (value){ .type = VALUE_FLOAT, .as.f = f };
}

value value_str(const char *s, size_t len); /* copies S */
/* A str of A's LA bytes followed by B's LB bytes (either may be empty), copied once. */
value value_str_concat(const char *a, size_t la, const char *b, size_t lb);
/* A + B of two strs, taking both: when only the caller holds one of them (a temporary, as
 * str(k) in 'msg ' + str(k)), the result is that one, made longer where it is. The caller
 * checks the length against VALUE_MAX_STR. */
value value_str_add(value a, value b);
value value_cstr(const char *s);
value value_list(void);
/* Borrows ITEMS (takes new references). The caller checks 1 + the deepest item's value_depth
 * against VALUE_MAX_DEPTH first: a deeper tuple is a broken invariant (xdie). */
value value_tuple(const value *items, size_t n);
value value_dict(void);
/* A function value wrapping an opaque pointer (the expr module stores its lambda here). */
value value_func(const void *fn);
const void *value_func_ptr(value v);

/* A heap object's reference count, one more or one less (the last frees it): for the two below. */
void value_obj_ref(value_obj *o);
void value_obj_drop(value_obj *o);

/* A new reference to V's object when no one but the caller holds one (its count is 1), taken
 * atomically: the object is then as good as a new one (no other holder can tell them apart);
 * false, and no reference, when another holds it. For an immutable object (a function) that
 * the caller keeps for handing out. */
bool value_claim(value v);

/* Returns V with one more reference. */
static inline value value_ref(value v)
{
        if (v.type >= VALUE_STR)
                value_obj_ref(v.as.obj);
        return v;
}

/* Releases one reference and sets *V to None. */
static inline void value_drop(value *v)
{
        if (v->type >= VALUE_STR)
                value_obj_drop(v->as.obj);
        *v = value_none();
}

value value_copy(value v); /* a deep copy that shares nothing with V */

/* Accessors (borrowed results). */
const char *value_str_data(value v, size_t *len);
size_t value_len(value v);         /* items of a list/tuple/dict, bytes of a str */
value value_at(value v, size_t i); /* list or tuple item, borrowed, I < len */
/* Nesting of containers: 0 for a scalar, a str or a function, 1 + the deepest item otherwise (an
 * upper bound after items were replaced or popped). */
size_t value_depth(value v);

/* Mutation (copy-on-write when shared). Each returns 0, or -1 with a Python-like message in ERR. */
int value_list_append(value *list, value item, char *err, size_t errlen);
/* Room for N items (at most VALUE_MAX_ITEMS) in LIST, a list (else nothing), made before its
 * appends when their number is known: no growing on the way, and the appends of scalars take
 * value_list_append's short way. The memory it takes counts toward the cap at once. */
void value_list_reserve(value *list, size_t n);
int value_list_pop(value *list, int64_t at, value *out, char *err, size_t errlen);
int value_list_set(value *list, int64_t at, value item, char *err, size_t errlen);
int value_dict_set(value *dict, value key, value item, char *err, size_t errlen);
/* Dict lookup: 1 found (*out borrowed), 0 missing, -1 unhashable key (message in ERR). */
int value_dict_get(value dict, value key, value *out, char *err, size_t errlen);
value value_dict_key_at(value dict, size_t i);  /* insertion order, borrowed */
value value_dict_item_at(value dict, size_t i); /* borrowed */

const char *value_type_name(value_type t); /* 'int', 'str', 'NoneType', 'function', … */
/* value_truthy of a heap object: a function is true, a str or container when not empty. */
bool value_truthy_obj(value v);
/* Python's truth. Inline for the scalars: every `if` and `while` tests one. */
static inline bool value_truthy(value v)
{
        switch (v.type) {
        case VALUE_NONE: return false;
        case VALUE_BOOL: return v.as.b;
        case VALUE_INT: return v.as.i != 0;
        case VALUE_FLOAT: return v.as.f != 0.0;
        default: return value_truthy_obj(v);
        }
}
bool value_equal(value a, value b); /* Python ==: 1 == 1.0 and True == 1 hold */
/* Python ordering (<): returns 0 and sets *cmp to -1/0/1, or -1 with a TypeError message.
 * *cmp is 2 when the two are unordered (a float NaN decides): every ordering is then false. */
int value_compare(value a, value b, int *cmp, char *err, size_t errlen);
/* The same, naming the operator OP ("<", "<=", ">", ">=") in the TypeError message. */
int value_compare_op(value a, value b, const char *op, int *cmp, char *err, size_t errlen);
/* Python hash() of a hashable value (None, bool, int, float, str, tuple of hashables); equal
 * values hash alike (1, 1.0 and True). Returns 0, or -1 with "TypeError: unhashable type: 'list'".
 */
int value_hash(value v, uint64_t *hash, char *err, size_t errlen);
/* The items of an iterable as a list (borrowed V): a list itself, a tuple's items, a dict's keys,
 * a str's characters (UTF-8 code points). Returns 0, or -1 with "TypeError: 'int' object is not
 * iterable". */
int value_to_list(value v, value *out, char *err, size_t errlen);

/* Printing. A function prints as <function <lambda>>. The text one call appends is cut off
 * after about VALUE_MAX_STR bytes and then ends in "..." (a list can hold one big string many
 * times over). */
void value_repr(value v, strbuf *out); /* Python repr(): 'a', 1.0, [1, 'x'] */
/* value_repr that stops soon after MAX bytes (a long list costs what is shown, not its length):
 * false when it stopped early, having appended more than MAX bytes, which the caller cuts. */
bool value_repr_max(value v, strbuf *out, size_t max);
void value_print(value v, strbuf *out); /* Python str(): a, 1.0, [1, 'x'] */
/* An int's repr and str, written at the start of OUT (room for VALUE_INT_TEXT bytes; not
 * NUL-terminated): returns its length. The events of a counter carry one at every step: no
 * strbuf needed. */
#define VALUE_INT_TEXT 24 /* bytes: "-9223372036854775808" takes 20 */
size_t value_int_decimal(int64_t i, char *out);
/* The same into BUF: returns where it starts (BUF) and sets *LEN. */
const char *value_int_text(int64_t i, char buf[VALUE_INT_TEXT], size_t *len);
/* repr() (REPR) or str() that fails instead: returns 0, or -1 with a MemoryError message and OUT
 * unchanged when the text would be longer than VALUE_MAX_STR bytes. */
int value_format(value v, bool repr, strbuf *out, char *err, size_t errlen);

#endif
