/*
 * value.c — Python-like values for lockstep's expression language; see value.h.
 *
 * Scalars live inline in `value`; str, list, tuple, dict and function values point to a
 * reference-counted value_obj. Counts are atomic so that threads may share values; mutation only
 * ever happens on an object its caller holds the only reference to (copy-on-write), so shared
 * objects are effectively immutable and need no lock.
 *
 * Dicts keep their entries in insertion order in plain arrays; past DICT_LINEAR entries an
 * open-addressing index (slot = entry + 1, 0 = empty) makes lookups O(1). Entries are never
 * removed, so the index needs no tombstones.
 */
#include "value.h"

#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/utf8.h"
#include "../util/xalloc.h"
#include "diag.h"

#define DICT_LINEAR 8 /* dicts up to this size are searched linearly */
/* value_list_reserve maps room of this many bytes or more at once */
#define RESERVE_POPULATE ((size_t)64 << 10)

struct value_obj {
        size_t refs;
        value_type type;
        size_t depth; /* see value_depth */
        union {
                struct {
                        char *data; /* NUL-terminated */
                        size_t len;
                } str;
                struct {
                        value *items;
                        size_t len, cap;
                } seq; /* LIST and TUPLE */
                struct {
                        value *keys, *vals;
                        uint64_t *hashes;
                        size_t len, cap;
                        uint32_t *index; /* NULL while len <= DICT_LINEAR */
                        size_t icap;     /* a power of two, > 2 * len */
                } dict;
                const void *fn;
        } u;
};

/* ---- the run's value memory ---------------------------------------------------------------
 *
 * Every allocation of a value (objects, string bytes, item arrays, dict tables) is counted, by
 * the allocator's own size of the block, so that a scenario cannot take more than a total cap
 * even though each value is capped on its own. The count is process-wide on purpose, like the
 * heap it measures: the runner is a process of its own, its values are shared by its threads,
 * and the engine sets the cap once before any thread starts. Atomic, relaxed: it is a budget,
 * not a synchronization. */
static size_t mem_used;
static size_t mem_limit = VALUE_MAX_MEMORY;

static void mem_count(void *p, bool add)
{
        size_t n = p != NULL ? malloc_usable_size(p) : 0;

        if (add)
                __atomic_add_fetch(&mem_used, n, __ATOMIC_RELAXED);
        else
                __atomic_sub_fetch(&mem_used, n, __ATOMIC_RELAXED);
}

static void *vm_malloc(size_t n)
{
        void *p = xmalloc(n);

        mem_count(p, true);
        return p;
}

static void *vm_calloc(size_t n, size_t size)
{
        void *p = xcalloc(n, size);

        mem_count(p, true);
        return p;
}

static void *vm_grow(void *p, size_t *cap, size_t need, size_t size)
{
        size_t old = *cap;

        if (need <= old)
                return p;
        mem_count(p, false);
        p = xgrow(p, cap, need, size);
        mem_count(p, true);
        return p;
}

static void vm_free(void *p)
{
        mem_count(p, false);
        free(p);
}

size_t value_memory_used(void)
{
        return __atomic_load_n(&mem_used, __ATOMIC_RELAXED);
}

void value_memory_limit(size_t bytes)
{
        __atomic_store_n(&mem_limit, bytes > 0 ? bytes : VALUE_MAX_MEMORY, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static int memory_error(size_t limit, char *err, size_t errlen)
{
        diag_set_err(err, errlen,
                     "MemoryError: the run's values take more than %zu MiB (the limit)",
                     limit >> 20);
        return -1;
}

/* Whether the run's values are within the cap: two loads and a compare. */
static inline bool mem_within_limit(void)
{
        return __atomic_load_n(&mem_used, __ATOMIC_RELAXED) <=
               __atomic_load_n(&mem_limit, __ATOMIC_RELAXED);
}

/* After every node of every expression: mem_within_limit, the message out of line. */
int value_memory_check(char *err, size_t errlen)
{
        if (mem_within_limit())
                return 0;
        return memory_error(__atomic_load_n(&mem_limit, __ATOMIC_RELAXED), err, errlen);
}

static bool is_obj(value_type t)
{
        return t >= VALUE_STR;
}

static value_obj *obj_new(value_type t)
{
        value_obj *o = vm_calloc(1, sizeof *o);

        o->refs = 1;
        o->type = t;
        return o;
}

static value wrap(value_obj *o)
{
        value v;

        v.type = o->type;
        v.as.obj = o;
        return v;
}

/* A str's object ends where its fields do, and its bytes follow in the same block: one
 * allocation (and one free) per string, which a message or an item built every step makes. */
#define STR_HEAD (offsetof(value_obj, u) + sizeof(((value_obj *)NULL)->u.str))

value value_str_concat(const char *a, size_t la, const char *b, size_t lb)
{
        value_obj *o = vm_malloc(STR_HEAD + la + lb + 1);

        o->refs = 1;
        o->type = VALUE_STR;
        o->depth = 0;
        o->u.str.data = (char *)o + STR_HEAD;
        o->u.str.len = la + lb;
        if (la > 0)
                memcpy(o->u.str.data, a, la);
        if (lb > 0)
                memcpy(o->u.str.data + la, b, lb);
        o->u.str.data[la + lb] = '\0';
        return wrap(o);
}

value value_str(const char *s, size_t len)
{
        return value_str_concat(s, len, NULL, 0);
}

/* O (a str only its caller holds) with room for LEN bytes: its block as it is when that has the
 * room already (the allocator's blocks have some), else grown. */
static value_obj *str_room(value_obj *o, size_t len)
{
        size_t need = STR_HEAD + len + 1;

        if (malloc_usable_size(o) < need) {
                mem_count(o, false);
                o = xrealloc(o, need);
                mem_count(o, true);
                o->u.str.data = (char *)o + STR_HEAD;
        }
        return o;
}

value value_str_add(value a, value b)
{
        value_obj *x = a.as.obj, *y = b.as.obj;
        size_t la = x->u.str.len, lb = y->u.str.len;
        value r;

        /* only the caller holds it (a temporary): no one can tell it from a new one */
        if (__atomic_load_n(&x->refs, __ATOMIC_ACQUIRE) == 1) {
                x = str_room(x, la + lb);
                memcpy(x->u.str.data + la, y->u.str.data, lb);
                x->u.str.len = la + lb;
                x->u.str.data[la + lb] = '\0';
                value_drop(&b);
                return wrap(x);
        }
        if (__atomic_load_n(&y->refs, __ATOMIC_ACQUIRE) == 1) {
                y = str_room(y, la + lb);
                memmove(y->u.str.data + la, y->u.str.data, lb);
                memcpy(y->u.str.data, x->u.str.data, la);
                y->u.str.len = la + lb;
                y->u.str.data[la + lb] = '\0';
                value_drop(&a);
                return wrap(y);
        }
        r = value_str_concat(x->u.str.data, la, y->u.str.data, lb);
        value_drop(&a);
        value_drop(&b);
        return r;
}

value value_cstr(const char *s)
{
        return value_str(s, strlen(s));
}

value value_list(void)
{
        value_obj *o = obj_new(VALUE_LIST);

        o->depth = 1;
        return wrap(o);
}

size_t value_depth(value v)
{
        return is_obj(v.type) ? v.as.obj->depth : 0;
}

value value_tuple(const value *items, size_t n)
{
        value_obj *o = obj_new(VALUE_TUPLE);

        o->u.seq.items = vm_malloc((n ? n : 1) * sizeof(value));
        o->u.seq.len = o->u.seq.cap = n;
        o->depth = 1;
        for (size_t i = 0; i < n; i++) {
                o->u.seq.items[i] = value_ref(items[i]);
                if (value_depth(items[i]) + 1 > o->depth)
                        o->depth = value_depth(items[i]) + 1;
        }
        if (o->depth > VALUE_MAX_DEPTH)
                xdie("value_tuple: containers nested more than %d deep", VALUE_MAX_DEPTH);
        return wrap(o);
}

value value_dict(void)
{
        value_obj *o = obj_new(VALUE_DICT);

        o->depth = 1;
        return wrap(o);
}

value value_func(const void *fn)
{
        value_obj *o = obj_new(VALUE_FUNC);

        o->u.fn = fn;
        return wrap(o);
}

const void *value_func_ptr(value v)
{
        return v.type == VALUE_FUNC ? v.as.obj->u.fn : NULL;
}

void value_obj_ref(value_obj *o)
{
        __atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
}

static void obj_free(value_obj *o)
{
        switch (o->type) {
        case VALUE_STR: break; /* its bytes are in its block */
        case VALUE_LIST:
        case VALUE_TUPLE:
                for (size_t i = 0; i < o->u.seq.len; i++)
                        value_drop(&o->u.seq.items[i]);
                vm_free(o->u.seq.items);
                break;
        case VALUE_DICT:
                for (size_t i = 0; i < o->u.dict.len; i++) {
                        value_drop(&o->u.dict.keys[i]);
                        value_drop(&o->u.dict.vals[i]);
                }
                vm_free(o->u.dict.keys);
                vm_free(o->u.dict.vals);
                vm_free(o->u.dict.hashes);
                vm_free(o->u.dict.index);
                break;
        default: break;
        }
        vm_free(o);
}

bool value_claim(value v)
{
        size_t one = 1;

        return is_obj(v.type) && __atomic_compare_exchange_n(&v.as.obj->refs, &one, 2, false,
                                                             __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

void value_obj_drop(value_obj *o)
{
        if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0)
                obj_free(o);
}

/* A new dict object holding references to D's entries (and a copy of its index). */
static value_obj *dict_clone(const value_obj *d, bool deep)
{
        value_obj *c = obj_new(VALUE_DICT);
        size_t n = d->u.dict.len;

        c->depth = d->depth;
        c->u.dict.len = c->u.dict.cap = n;
        c->u.dict.keys = vm_malloc((n ? n : 1) * sizeof(value));
        c->u.dict.vals = vm_malloc((n ? n : 1) * sizeof(value));
        c->u.dict.hashes = vm_malloc((n ? n : 1) * sizeof(uint64_t));
        for (size_t i = 0; i < n; i++) {
                c->u.dict.keys[i] =
                    deep ? value_copy(d->u.dict.keys[i]) : value_ref(d->u.dict.keys[i]);
                c->u.dict.vals[i] =
                    deep ? value_copy(d->u.dict.vals[i]) : value_ref(d->u.dict.vals[i]);
        }
        if (n > 0)
                memcpy(c->u.dict.hashes, d->u.dict.hashes, n * sizeof(uint64_t));
        if (d->u.dict.index != NULL) {
                c->u.dict.icap = d->u.dict.icap;
                c->u.dict.index = vm_malloc(c->u.dict.icap * sizeof(uint32_t));
                memcpy(c->u.dict.index, d->u.dict.index, c->u.dict.icap * sizeof(uint32_t));
        }
        return c;
}

static value_obj *seq_clone(const value_obj *s, bool deep)
{
        value_obj *c = obj_new(s->type);
        size_t n = s->u.seq.len;

        c->depth = s->depth;
        c->u.seq.len = c->u.seq.cap = n;
        c->u.seq.items = vm_malloc((n ? n : 1) * sizeof(value));
        for (size_t i = 0; i < n; i++)
                c->u.seq.items[i] =
                    deep ? value_copy(s->u.seq.items[i]) : value_ref(s->u.seq.items[i]);
        return c;
}

value value_copy(value v)
{
        value_obj *o;

        if (!is_obj(v.type))
                return v;
        o = v.as.obj;
        switch (v.type) {
        case VALUE_STR: return value_str(o->u.str.data, o->u.str.len);
        case VALUE_LIST:
        case VALUE_TUPLE: return wrap(seq_clone(o, true));
        case VALUE_DICT: return wrap(dict_clone(o, true));
        default: return value_func(o->u.fn);
        }
}

/* Makes *V the only reference to its object, copying it when shared (copy-on-write). */
static value_obj *unshare(value *v)
{
        value_obj *o = v->as.obj, *c;

        if (__atomic_load_n(&o->refs, __ATOMIC_ACQUIRE) == 1)
                return o;
        c = v->type == VALUE_DICT ? dict_clone(o, false) : seq_clone(o, false);
        value_drop(v);
        *v = wrap(c);
        return c;
}

const char *value_str_data(value v, size_t *len)
{
        if (v.type != VALUE_STR) {
                if (len)
                        *len = 0;
                return "";
        }
        if (len)
                *len = v.as.obj->u.str.len;
        return v.as.obj->u.str.data;
}

size_t value_len(value v)
{
        switch (v.type) {
        case VALUE_STR: return v.as.obj->u.str.len;
        case VALUE_LIST:
        case VALUE_TUPLE: return v.as.obj->u.seq.len;
        case VALUE_DICT: return v.as.obj->u.dict.len;
        default: return 0;
        }
}

value value_at(value v, size_t i)
{
        if ((v.type != VALUE_LIST && v.type != VALUE_TUPLE) || i >= v.as.obj->u.seq.len)
                return value_none();
        return v.as.obj->u.seq.items[i];
}

/* ---- numbers ---- */

static bool is_num(value v)
{
        return v.type == VALUE_BOOL || v.type == VALUE_INT || v.type == VALUE_FLOAT;
}

static int64_t int_of(value v)
{
        return v.type == VALUE_BOOL ? (int64_t)v.as.b : v.as.i;
}

/* Compares an int with a float exactly (as Python does, without rounding the int): -1, 0, 1, or
 * 2 when F is NaN. */
static int cmp_int_float(int64_t i, double f)
{
        double fl;
        int64_t fi;

        if (isnan(f))
                return 2;
        if (f >= 9223372036854775808.0)
                return -1;
        if (f < -9223372036854775808.0)
                return 1;
        fl = floor(f);
        fi = (int64_t)fl;
        if (i != fi)
                return i < fi ? -1 : 1;
        return f > fl ? -1 : 0;
}

static int num_cmp(value a, value b)
{
        if (a.type == VALUE_FLOAT && b.type == VALUE_FLOAT) {
                if (isnan(a.as.f) || isnan(b.as.f))
                        return 2;
                return a.as.f < b.as.f ? -1 : a.as.f > b.as.f ? 1 : 0;
        }
        if (a.type != VALUE_FLOAT && b.type != VALUE_FLOAT) {
                int64_t x = int_of(a), y = int_of(b);

                return x < y ? -1 : x > y ? 1 : 0;
        }
        if (a.type == VALUE_FLOAT) {
                int c = cmp_int_float(int_of(b), a.as.f);

                return c == 2 ? 2 : -c;
        }
        return cmp_int_float(int_of(a), b.as.f);
}

/* ---- hashing ---- */

static uint64_t mix64(uint64_t z)
{
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

int value_hash(value v, uint64_t *hash, char *err, size_t errlen)
{
        uint64_t h;

        switch (v.type) {
        case VALUE_NONE: *hash = 0x6e6f6e65ULL; return 0;
        case VALUE_BOOL:
        case VALUE_INT: *hash = mix64((uint64_t)int_of(v)); return 0;
        case VALUE_FLOAT: {
                double f = v.as.f;

                /* An integral float must hash like the equal int (1.0 == 1). */
                if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && f == floor(f)) {
                        *hash = mix64((uint64_t)(int64_t)f);
                } else {
                        uint64_t bits;

                        memcpy(&bits, &f, sizeof bits);
                        *hash = mix64(bits ^ 0x666c6f6174ULL);
                }
                return 0;
        }
        case VALUE_STR: {
                const unsigned char *s = (const unsigned char *)v.as.obj->u.str.data;

                h = 0xcbf29ce484222325ULL; /* FNV-1a */
                for (size_t i = 0; i < v.as.obj->u.str.len; i++)
                        h = (h ^ s[i]) * 0x100000001b3ULL;
                *hash = mix64(h);
                return 0;
        }
        case VALUE_TUPLE:
                h = 0x7475706c65ULL + v.as.obj->u.seq.len;
                for (size_t i = 0; i < v.as.obj->u.seq.len; i++) {
                        uint64_t ih;

                        if (value_hash(v.as.obj->u.seq.items[i], &ih, err, errlen) < 0)
                                return -1;
                        h = mix64(h ^ ih) + i;
                }
                *hash = h;
                return 0;
        default:
                diag_set_err(err, errlen, "TypeError: unhashable type: '%s'",
                             value_type_name(v.type));
                return -1;
        }
}

/* ---- dicts ---- */

/* The entry of KEY (hash H) in D, or -1. */
static long dict_find(const value_obj *d, value key, uint64_t h)
{
        if (d->u.dict.index == NULL) {
                for (size_t i = 0; i < d->u.dict.len; i++)
                        if (d->u.dict.hashes[i] == h && value_equal(d->u.dict.keys[i], key))
                                return (long)i;
                return -1;
        }
        for (size_t mask = d->u.dict.icap - 1, s = h & mask;; s = (s + 1) & mask) {
                uint32_t e = d->u.dict.index[s];

                if (e == 0)
                        return -1;
                if (d->u.dict.hashes[e - 1] == h && value_equal(d->u.dict.keys[e - 1], key))
                        return (long)e - 1;
        }
}

static void dict_index_put(value_obj *d, size_t entry)
{
        size_t mask = d->u.dict.icap - 1, s = d->u.dict.hashes[entry] & mask;

        while (d->u.dict.index[s] != 0)
                s = (s + 1) & mask;
        d->u.dict.index[s] = (uint32_t)entry + 1;
}

/* Keeps the index at most half full once the dict is past DICT_LINEAR entries. */
static void dict_reindex(value_obj *d)
{
        size_t n = d->u.dict.len, cap = 32;

        if (n <= DICT_LINEAR)
                return;
        if (d->u.dict.index != NULL && 2 * n < d->u.dict.icap) {
                dict_index_put(d, n - 1);
                return;
        }
        while (cap <= 4 * n)
                cap *= 2;
        vm_free(d->u.dict.index);
        d->u.dict.index = vm_calloc(cap, sizeof(uint32_t));
        d->u.dict.icap = cap;
        for (size_t i = 0; i < n; i++)
                dict_index_put(d, i);
}

static size_t max_size(size_t a, size_t b)
{
        return a > b ? a : b;
}

int value_dict_set(value *dict, value key, value item, char *err, size_t errlen)
{
        value_obj *d;
        uint64_t h;
        long at;
        size_t depth;

        if (dict->type != VALUE_DICT) {
                diag_set_err(err, errlen, "TypeError: '%s' object does not support item assignment",
                             value_type_name(dict->type));
                goto fail;
        }
        if (value_hash(key, &h, err, errlen) < 0)
                goto fail;
        depth = max_size(value_depth(key), value_depth(item)) + 1;
        if (depth > VALUE_MAX_DEPTH) {
                diag_set_err(err, errlen, "RecursionError: containers nested more than %d deep",
                             VALUE_MAX_DEPTH);
                goto fail;
        }
        at = dict_find(dict->as.obj, key, h);
        if (at < 0 && dict->as.obj->u.dict.len >= VALUE_MAX_ITEMS) {
                diag_set_err(err, errlen, "MemoryError: a dict cannot have more than %u items",
                             VALUE_MAX_ITEMS);
                goto fail;
        }
        if (value_memory_check(err, errlen) < 0)
                goto fail;
        d = unshare(dict);
        d->depth = max_size(d->depth, depth);
        if (at >= 0) {
                /* As in Python, the first key stays ({1: 'a', 1.0: 'b'} is {1: 'b'}). */
                value_drop(&key);
                value_drop(&d->u.dict.vals[at]);
                d->u.dict.vals[at] = item;
                return 0;
        }
        if (d->u.dict.len == d->u.dict.cap) {
                size_t cap = d->u.dict.cap;

                d->u.dict.keys = vm_grow(d->u.dict.keys, &cap, d->u.dict.len + 1, sizeof(value));
                cap = d->u.dict.cap;
                d->u.dict.vals = vm_grow(d->u.dict.vals, &cap, d->u.dict.len + 1, sizeof(value));
                cap = d->u.dict.cap;
                d->u.dict.hashes =
                    vm_grow(d->u.dict.hashes, &cap, d->u.dict.len + 1, sizeof(uint64_t));
                d->u.dict.cap = cap;
        }
        d->u.dict.keys[d->u.dict.len] = key;
        d->u.dict.vals[d->u.dict.len] = item;
        d->u.dict.hashes[d->u.dict.len] = h;
        d->u.dict.len++;
        dict_reindex(d);
        return 0;
fail:
        value_drop(&key);
        value_drop(&item);
        return -1;
}

int value_dict_get(value dict, value key, value *out, char *err, size_t errlen)
{
        uint64_t h;
        long at;

        if (dict.type != VALUE_DICT) {
                diag_set_err(err, errlen, "TypeError: '%s' object is not a dict",
                             value_type_name(dict.type));
                return -1;
        }
        if (value_hash(key, &h, err, errlen) < 0)
                return -1;
        at = dict_find(dict.as.obj, key, h);
        if (at < 0)
                return 0;
        *out = dict.as.obj->u.dict.vals[at];
        return 1;
}

value value_dict_key_at(value dict, size_t i)
{
        if (dict.type != VALUE_DICT || i >= dict.as.obj->u.dict.len)
                return value_none();
        return dict.as.obj->u.dict.keys[i];
}

value value_dict_item_at(value dict, size_t i)
{
        if (dict.type != VALUE_DICT || i >= dict.as.obj->u.dict.len)
                return value_none();
        return dict.as.obj->u.dict.vals[i];
}

/* ---- lists ---- */

int value_list_append(value *list, value item, char *err, size_t errlen)
{
        value_obj *l;

        /* The common way, with no call: a scalar (depth 0: the list's own depth holds) onto a
         * list nobody else holds that has room, under the memory cap — a loop's appends, a
         * map's results into a list made with room for them (value_list_reserve). */
        if (list->type == VALUE_LIST && !is_obj(item.type)) {
                l = list->as.obj;
                if (l->u.seq.len < l->u.seq.cap && l->u.seq.len < VALUE_MAX_ITEMS &&
                    __atomic_load_n(&l->refs, __ATOMIC_ACQUIRE) == 1 && mem_within_limit()) {
                        l->u.seq.items[l->u.seq.len++] = item;
                        return 0;
                }
        }
        if (list->type != VALUE_LIST) {
                diag_set_err(err, errlen, "AttributeError: '%s' object has no attribute 'append'",
                             value_type_name(list->type));
                goto fail;
        }
        if (list->as.obj->u.seq.len >= VALUE_MAX_ITEMS) {
                diag_set_err(err, errlen, "MemoryError: a list cannot have more than %u items",
                             VALUE_MAX_ITEMS);
                goto fail;
        }
        if (value_memory_check(err, errlen) < 0)
                goto fail;
        if (value_depth(item) + 1 > VALUE_MAX_DEPTH) {
                diag_set_err(err, errlen, "RecursionError: containers nested more than %d deep",
                             VALUE_MAX_DEPTH);
                goto fail;
        }
        l = unshare(list);
        l->u.seq.items = vm_grow(l->u.seq.items, &l->u.seq.cap, l->u.seq.len + 1, sizeof(value));
        l->depth = max_size(l->depth, value_depth(item) + 1);
        l->u.seq.items[l->u.seq.len++] = item;
        return 0;
fail:
        value_drop(&item);
        return -1;
}

void value_list_reserve(value *list, size_t n)
{
        value_obj *l;

        if (list->type != VALUE_LIST)
                return;
        l = unshare(list);
        if (n > VALUE_MAX_ITEMS)
                n = VALUE_MAX_ITEMS;
        l->u.seq.items = vm_grow(l->u.seq.items, &l->u.seq.cap, n, sizeof(value));
        /* room that is to be filled: its pages at once, not a fault each (a map's 200,000
         * results are 800 pages) */
        if (n > l->u.seq.len && (n - l->u.seq.len) * sizeof(value) >= RESERVE_POPULATE)
                xpopulate(l->u.seq.items + l->u.seq.len, (n - l->u.seq.len) * sizeof(value));
}

int value_list_pop(value *list, int64_t at, value *out, char *err, size_t errlen)
{
        value_obj *l;
        size_t n, i;

        if (list->type != VALUE_LIST) {
                diag_set_err(err, errlen, "AttributeError: '%s' object has no attribute 'pop'",
                             value_type_name(list->type));
                return -1;
        }
        n = list->as.obj->u.seq.len;
        if (n == 0) {
                diag_set_err(err, errlen, "IndexError: pop from empty list");
                return -1;
        }
        if (at < 0)
                at += (int64_t)n;
        if (at < 0 || (uint64_t)at >= n) {
                diag_set_err(err, errlen, "IndexError: pop index out of range");
                return -1;
        }
        i = (size_t)at;
        l = unshare(list);
        *out = l->u.seq.items[i];
        memmove(l->u.seq.items + i, l->u.seq.items + i + 1, (n - i - 1) * sizeof(value));
        l->u.seq.len--;
        return 0;
}

int value_list_set(value *list, int64_t at, value item, char *err, size_t errlen)
{
        value_obj *l;
        size_t n;

        if (list->type != VALUE_LIST) {
                diag_set_err(err, errlen, "TypeError: '%s' object does not support item assignment",
                             value_type_name(list->type));
                goto fail;
        }
        n = list->as.obj->u.seq.len;
        if (at < 0)
                at += (int64_t)n;
        if (at < 0 || (uint64_t)at >= n) {
                diag_set_err(err, errlen, "IndexError: list assignment index out of range");
                goto fail;
        }
        if (value_depth(item) + 1 > VALUE_MAX_DEPTH) {
                diag_set_err(err, errlen, "RecursionError: containers nested more than %d deep",
                             VALUE_MAX_DEPTH);
                goto fail;
        }
        l = unshare(list);
        l->depth = max_size(l->depth, value_depth(item) + 1);
        value_drop(&l->u.seq.items[at]);
        l->u.seq.items[at] = item;
        return 0;
fail:
        value_drop(&item);
        return -1;
}

int value_to_list(value v, value *out, char *err, size_t errlen)
{
        value l;

        switch (v.type) {
        case VALUE_LIST: *out = value_ref(v); return 0;
        case VALUE_TUPLE: {
                value_obj *o = seq_clone(v.as.obj, false);

                o->type = VALUE_LIST;
                *out = wrap(o);
                return 0;
        }
        case VALUE_DICT:
                l = value_list();
                for (size_t i = 0; i < v.as.obj->u.dict.len; i++)
                        if (value_list_append(&l, value_ref(v.as.obj->u.dict.keys[i]), err,
                                              errlen) < 0)
                                goto fail;
                *out = l;
                return 0;
        case VALUE_STR: {
                const char *s = v.as.obj->u.str.data;
                size_t n = v.as.obj->u.str.len;

                l = value_list();
                for (size_t i = 0, k; i < n; i += k) {
                        k = utf8_char_len(s + i, n - i);
                        if (value_list_append(&l, value_str(s + i, k), err, errlen) < 0)
                                goto fail;
                }
                *out = l;
                return 0;
        }
        default:
                diag_set_err(err, errlen, "TypeError: '%s' object is not iterable",
                             value_type_name(v.type));
                return -1;
        }
fail:
        value_drop(&l);
        return -1;
}

/* ---- queries ---- */

const char *value_type_name(value_type t)
{
        switch (t) {
        case VALUE_NONE: return "NoneType";
        case VALUE_BOOL: return "bool";
        case VALUE_INT: return "int";
        case VALUE_FLOAT: return "float";
        case VALUE_STR: return "str";
        case VALUE_LIST: return "list";
        case VALUE_TUPLE: return "tuple";
        case VALUE_DICT: return "dict";
        case VALUE_FUNC: return "function";
        }
        return "object";
}

bool value_truthy_obj(value v)
{
        return v.type == VALUE_FUNC || value_len(v) != 0;
}

bool value_equal(value a, value b)
{
        if (is_num(a) && is_num(b))
                return num_cmp(a, b) == 0;
        if (a.type != b.type)
                return false;
        if (!is_obj(a.type) || a.as.obj == b.as.obj)
                return true; /* None, or the very same object */
        switch (a.type) {
        case VALUE_STR:
                return a.as.obj->u.str.len == b.as.obj->u.str.len &&
                       memcmp(a.as.obj->u.str.data, b.as.obj->u.str.data, a.as.obj->u.str.len) == 0;
        case VALUE_LIST:
        case VALUE_TUPLE:
                if (a.as.obj->u.seq.len != b.as.obj->u.seq.len)
                        return false;
                for (size_t i = 0; i < a.as.obj->u.seq.len; i++)
                        if (!value_equal(a.as.obj->u.seq.items[i], b.as.obj->u.seq.items[i]))
                                return false;
                return true;
        case VALUE_DICT:
                if (a.as.obj->u.dict.len != b.as.obj->u.dict.len)
                        return false;
                for (size_t i = 0; i < a.as.obj->u.dict.len; i++) {
                        long at = dict_find(b.as.obj, a.as.obj->u.dict.keys[i],
                                            a.as.obj->u.dict.hashes[i]);

                        if (at < 0 ||
                            !value_equal(a.as.obj->u.dict.vals[i], b.as.obj->u.dict.vals[at]))
                                return false;
                }
                return true;
        default: return a.as.obj->u.fn == b.as.obj->u.fn; /* the same lambda (or a copy) */
        }
}

int value_compare_op(value a, value b, const char *op, int *cmp, char *err, size_t errlen)
{
        if (is_num(a) && is_num(b)) {
                *cmp = num_cmp(a, b);
                return 0;
        }
        if (a.type == b.type && a.type == VALUE_STR) {
                size_t la = a.as.obj->u.str.len, lb = b.as.obj->u.str.len;
                /* Byte order of UTF-8 is code point order, which is what Python compares. */
                int c = memcmp(a.as.obj->u.str.data, b.as.obj->u.str.data, la < lb ? la : lb);

                *cmp = c < 0 ? -1 : c > 0 ? 1 : la < lb ? -1 : la > lb ? 1 : 0;
                return 0;
        }
        if (a.type == b.type && (a.type == VALUE_LIST || a.type == VALUE_TUPLE)) {
                size_t la = a.as.obj->u.seq.len, lb = b.as.obj->u.seq.len;

                /* Like Python: the first items that differ decide, else the lengths. */
                for (size_t i = 0; i < la && i < lb; i++) {
                        value x = a.as.obj->u.seq.items[i], y = b.as.obj->u.seq.items[i];

                        if (!value_equal(x, y))
                                return value_compare_op(x, y, op, cmp, err, errlen);
                }
                *cmp = la < lb ? -1 : la > lb ? 1 : 0;
                return 0;
        }
        diag_set_err(err, errlen,
                     "TypeError: '%s' not supported between instances of '%s' and '%s'", op,
                     value_type_name(a.type), value_type_name(b.type));
        return -1;
}

int value_compare(value a, value b, int *cmp, char *err, size_t errlen)
{
        return value_compare_op(a, b, "<", cmp, err, errlen);
}

/* ---- printing ---- */

/* The digits of U, at least 1: four a division (a multiplication) and compares for the rest. */
static const char decimal_pairs[] = "00010203040506070809101112131415161718192021222324"
                                    "25262728293031323334353637383940414243444546474849"
                                    "50515253545556575859606162636465666768697071727374"
                                    "75767778798081828384858687888990919293949596979899";

/* V (below 10**8) in exactly eight digits at P: four pairs, each worked out in 32 bits with no
 * loop (what a int's low digits take). */
static inline void decimal8(char *p, uint32_t v)
{
        uint32_t hi = v / 10000, lo = v % 10000;

        memcpy(p, decimal_pairs + 2 * (hi / 100), 2);
        memcpy(p + 2, decimal_pairs + 2 * (hi % 100), 2);
        memcpy(p + 4, decimal_pairs + 2 * (lo / 100), 2);
        memcpy(p + 6, decimal_pairs + 2 * (lo % 100), 2);
}

/* V (below 10**8) in its digits at P, its length counted first and the pairs written from the
 * end; returns the length. */
static inline size_t decimal_upto8(char *p, uint32_t v)
{
        size_t n = v < 10000 ? (v < 100 ? (v < 10 ? 1 : 2) : (v < 1000 ? 3 : 4))
                             : (v < 1000000 ? (v < 100000 ? 5 : 6) : (v < 10000000 ? 7 : 8));
        char *e = p + n;

        while (v >= 100) {
                uint32_t d = v % 100;

                v /= 100;
                e -= 2;
                memcpy(e, decimal_pairs + 2 * d, 2);
        }
        if (v >= 10)
                memcpy(e - 2, decimal_pairs + 2 * v, 2);
        else
                e[-1] = (char)('0' + v);
        return n;
}

/* An int in decimal, without printf: ints are printed for nearly every event of a run. In
 * blocks of eight digits, each in 32 bits (a 64-bit division by 10**8 at most twice), two digits
 * a table look-up. */
size_t value_int_decimal(int64_t i, char *out)
{
        uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
        char *p = out;
        size_t n;

        if (i < 0)
                *p++ = '-';
        if (u < 100000000u)
                return (size_t)(p - out) + decimal_upto8(p, (uint32_t)u);
        if (u < 10000000000000000u) {
                n = decimal_upto8(p, (uint32_t)(u / 100000000u));
                decimal8(p + n, (uint32_t)(u % 100000000u));
                return (size_t)(p - out) + n + 8;
        }
        n = decimal_upto8(p, (uint32_t)(u / 10000000000000000u)); /* at most 1844 */
        u %= 10000000000000000u;
        decimal8(p + n, (uint32_t)(u / 100000000u));
        decimal8(p + n + 8, (uint32_t)(u % 100000000u));
        return (size_t)(p - out) + n + 16;
}

const char *value_int_text(int64_t i, char buf[VALUE_INT_TEXT], size_t *len)
{
        *len = value_int_decimal(i, buf);
        return buf;
}

static void put_int(int64_t i, strbuf *out)
{
        char buf[VALUE_INT_TEXT];
        size_t n;
        const char *p = value_int_text(i, buf, &n);

        strbuf_append(out, p, n);
}

/* Python's repr of a float: the shortest text that reads back as the same double, in fixed
 * notation for exponents -4..15 and scientific notation otherwise. */
static void put_float(double f, strbuf *out)
{
        char buf[64], digits[32];
        int prec, nd = 0, exp;
        const char *p;

        if (isnan(f)) {
                strbuf_puts(out, "nan");
                return;
        }
        if (isinf(f)) {
                strbuf_puts(out, f > 0 ? "inf" : "-inf");
                return;
        }
        if (f == 0) {
                strbuf_puts(out, signbit(f) ? "-0.0" : "0.0");
                return;
        }
        /* printf rounds correctly, so the first precision that round-trips is the shortest.
         * snprintf and strtod use the same locale, so the check holds whatever its decimal
         * point; the digits are then read without it. */
        for (prec = 0; prec < 17; prec++) {
                snprintf(buf, sizeof buf, "%.*e", prec, f);
                if (strtod(buf, NULL) == f)
                        break;
        }
        p = buf;
        if (*p == '-') {
                strbuf_putc(out, '-');
                p++;
        }
        for (; *p != 'e' && *p != '\0'; p++)
                if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits - 1)
                        digits[nd++] = *p;
        exp = *p == 'e' ? atoi(p + 1) : 0;
        while (nd > 1 && digits[nd - 1] == '0')
                nd--;
        if (exp < -4 || exp >= 16) {
                strbuf_putc(out, digits[0]);
                if (nd > 1) {
                        strbuf_putc(out, '.');
                        strbuf_append(out, digits + 1, (size_t)nd - 1);
                }
                strbuf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        } else if (exp >= 0) {
                for (int i = 0; i <= exp; i++)
                        strbuf_putc(out, i < nd ? digits[i] : '0');
                strbuf_putc(out, '.');
                if (nd > exp + 1)
                        strbuf_append(out, digits + exp + 1, (size_t)(nd - exp - 1));
                else
                        strbuf_putc(out, '0');
        } else {
                strbuf_puts(out, "0.");
                for (int i = 0; i < -exp - 1; i++)
                        strbuf_putc(out, '0');
                strbuf_append(out, digits, (size_t)nd);
        }
}

/* Code points Python's repr escapes although they are valid (controls, separators, format
 * characters): a short list of the ones a scenario could plausibly contain. */
static bool unprintable(uint32_t c)
{
        return c <= 0xa0 || c == 0xad || c == 0x1680 || c == 0x180e ||
               (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
               (c >= 0x205f && c <= 0x206f) || c == 0x3000 || c == 0xfeff ||
               (c >= 0xfff9 && c <= 0xfffb);
}

/* Printable ASCII that a repr in single quotes shows as it is. */
static bool plain_in_single(unsigned char c)
{
        return c >= 0x20 && c < 0x7f && c != '\'' && c != '\\';
}

/* How many of the N bytes at U are plain_in_single before the first that is not: eight at a
 * time while they are (a word has a byte that is not when one is at least 0x80, below 0x20,
 * or equal to DEL, ' or \ — the usual bit tricks for "has a zero byte" and "has a byte less
 * than"), then one at a time. */
static size_t plain_prefix(const unsigned char *u, size_t n)
{
        const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        size_t i = 0;

        for (; i + 8 <= n; i += 8) {
                uint64_t w, del, quote, backslash, low;

                memcpy(&w, u + i, sizeof w);
                del = w ^ (0x7f * ones);
                quote = w ^ ((unsigned char)'\'' * ones);
                backslash = w ^ ((unsigned char)'\\' * ones);
                low = (w - 0x20 * ones) & ~w; /* a byte below 0x20 (when none is >= 0x80) */
                if ((w & high) != 0 || ((low | ((del - ones) & ~del) | ((quote - ones) & ~quote) |
                                         ((backslash - ones) & ~backslash)) &
                                        high) != 0)
                        break;
        }
        while (i < n && plain_in_single(u[i]))
                i++;
        return i;
}

static void put_str_repr(const char *s, size_t n, strbuf *out)
{
        const unsigned char *u = (const unsigned char *)s;
        char q, quoted[64];
        size_t plain = plain_prefix(u, n);

        if (plain == n && n + 2 <= sizeof(quoted)) {
                /* the usual short text that needs no escape: in one append */
                quoted[0] = '\'';
                memcpy(quoted + 1, s, n);
                quoted[n + 1] = '\'';
                strbuf_append(out, quoted, n + 2);
                return;
        }
        q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
        strbuf_putc(out, q);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = u[i];
                uint32_t cp;
                size_t len, run = i;

                /* printable ASCII that needs no escape, most of any text: a run at a time */
                while (run < n && u[run] >= 0x20 && u[run] < 0x7f && u[run] != (unsigned char)q &&
                       u[run] != '\\')
                        run++;
                if (run > i) {
                        strbuf_append(out, s + i, run - i);
                        i = run - 1;
                        continue;
                }
                if (c == (unsigned char)q || c == '\\') {
                        strbuf_putc(out, '\\');
                        strbuf_putc(out, (char)c);
                } else if (c == '\n') {
                        strbuf_puts(out, "\\n");
                } else if (c == '\t') {
                        strbuf_puts(out, "\\t");
                } else if (c == '\r') {
                        strbuf_puts(out, "\\r");
                } else if (c < 0x20 || c == 0x7f) {
                        strbuf_printf(out, "\\x%02x", c);
                } else if ((len = utf8_decode(s + i, n - i, &cp)) == 0) {
                        strbuf_printf(out, "\\x%02x", c); /* not UTF-8: show the byte */
                } else {
                        if (!unprintable(cp))
                                strbuf_append(out, s + i, len);
                        else if (cp <= 0xff)
                                strbuf_printf(out, "\\x%02x", (unsigned)cp);
                        else
                                strbuf_printf(out, "\\u%04x", (unsigned)cp);
                        i += len - 1;
                }
        }
        strbuf_putc(out, q);
}

/* Appends V; returns false when it stopped because OUT grew past LIMIT bytes. */
static bool put_value(value v, bool repr, strbuf *out, size_t limit)
{
        value_obj *o = is_obj(v.type) ? v.as.obj : NULL;

        if (out->len > limit)
                return false;
        switch (v.type) {
        case VALUE_NONE: strbuf_puts(out, "None"); break;
        case VALUE_BOOL: strbuf_puts(out, v.as.b ? "True" : "False"); break;
        case VALUE_INT: put_int(v.as.i, out); break;
        case VALUE_FLOAT: put_float(v.as.f, out); break;
        case VALUE_STR:
                if (repr)
                        put_str_repr(o->u.str.data, o->u.str.len, out);
                else
                        strbuf_append(out, o->u.str.data, o->u.str.len);
                break;
        case VALUE_LIST:
        case VALUE_TUPLE:
                strbuf_putc(out, v.type == VALUE_LIST ? '[' : '(');
                for (size_t i = 0; i < o->u.seq.len; i++) {
                        value it = o->u.seq.items[i];

                        if (it.type == VALUE_INT && out->len + (i > 0 ? 2 : 0) <= limit) {
                                /* an int and its separator in one append (a buffer's events
                                 * show lists of ints); near the limit, the general way, so the
                                 * text stops where it did */
                                char buf[2 + VALUE_INT_TEXT];
                                size_t n;
                                char *p = (char *)value_int_text(it.as.i, buf + 2, &n);

                                if (i > 0) {
                                        p -= 2;
                                        memcpy(p, ", ", 2);
                                        n += 2;
                                }
                                strbuf_append(out, p, n);
                                if (out->len > limit)
                                        return false;
                                continue;
                        }
                        if (i > 0)
                                strbuf_puts(out, ", ");
                        if (!put_value(it, true, out, limit))
                                return false;
                }
                if (v.type == VALUE_TUPLE && o->u.seq.len == 1)
                        strbuf_putc(out, ',');
                strbuf_putc(out, v.type == VALUE_LIST ? ']' : ')');
                break;
        case VALUE_DICT:
                strbuf_putc(out, '{');
                for (size_t i = 0; i < o->u.dict.len; i++) {
                        if (i > 0)
                                strbuf_puts(out, ", ");
                        if (!put_value(o->u.dict.keys[i], true, out, limit))
                                return false;
                        strbuf_puts(out, ": ");
                        if (!put_value(o->u.dict.vals[i], true, out, limit))
                                return false;
                }
                strbuf_putc(out, '}');
                break;
        case VALUE_FUNC: strbuf_puts(out, "<function <lambda>>"); break;
        }
        return out->len <= limit;
}

void value_repr(value v, strbuf *out)
{
        if (!put_value(v, true, out, out->len + VALUE_MAX_STR))
                strbuf_puts(out, "...");
}

bool value_repr_max(value v, strbuf *out, size_t max)
{
        return put_value(v, true, out, out->len + max);
}

void value_print(value v, strbuf *out)
{
        if (!put_value(v, false, out, out->len + VALUE_MAX_STR))
                strbuf_puts(out, "...");
}

int value_format(value v, bool repr, strbuf *out, char *err, size_t errlen)
{
        size_t start = out->len;

        if (put_value(v, repr, out, start + VALUE_MAX_STR))
                return 0;
        out->len = start;
        if (out->data != NULL)
                out->data[start] = '\0';
        diag_set_err(err, errlen, "MemoryError: a str cannot be longer than %u bytes",
                     VALUE_MAX_STR);
        return -1;
}
