/*
 * store.c — resources' data in the heap or in shared memory, and the value encoding; see
 * store.h.
 *
 * The encoding is a tag byte and then, by tag: nothing (None, False, True), 8 bytes (int, float,
 * in the machine's order: it never leaves the machine), a 32-bit length and the bytes (str), a
 * 32-bit count and the items (list, tuple), a 32-bit count and key, item pairs (dict).
 */
#include "engine/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/manager.h"
#include "scenario/diag.h"
#include "util/utf8.h"
#include "util/xalloc.h"

enum { T_NONE, T_FALSE, T_TRUE, T_INT, T_FLOAT, T_STR, T_LIST, T_TUPLE, T_DICT };

/* A Value's or an Array's bytes in shared memory. */
typedef struct slot_hdr {
        uint32_t len;
        uint32_t cap;
} slot_hdr;

/* A queue in shared memory: a ring of items, each a 32-bit length and its encoding. */
typedef struct ring_hdr {
        uint64_t head, tail; /* byte positions, only ever growing */
        uint64_t n;          /* items */
} ring_hdr;

/* A heap queue's items (a ring of values). */
typedef struct heap_queue {
        value *items;
        size_t head, n, cap;
} heap_queue;

struct store {
        const scenario *sc;
        value *mem;         /* heap data, by resource */
        heap_queue *queues; /* heap queues, by resource */
        bool *shared;       /* by resource */
        /* by resource: a Value in shared memory kept as the value itself rather than encoded —
         * a number, which points at nothing, so every process reads and writes it in place
         * (store_slot) and the evaluator's short ways read it as they read a var */
        bool *scalar;
        size_t *off;   /* by resource: where its shared part starts in `region` */
        int (*fds)[2]; /* by resource: a pipe's ends */
        manager *mgr;  /* the server of the "via": "manager" lists and dicts, or NULL */
        char *region;
        size_t bytes;
};

static bool is_data(sc_res_type t)
{
        return t == SC_VAR || t == SC_LIST || t == SC_DICT || t == SC_VALUE || t == SC_ARRAY;
}

/* ---- encoding -------------------------------------------------------------------------------- */

static void put_u32(strbuf *out, size_t n)
{
        uint32_t u = (uint32_t)n;

        strbuf_append(out, (const char *)&u, sizeof(u));
}

/* A scalar's encoding (None, a bool, an int, a float) into BUF: its length, or 0 for anything
 * else. The shared Values and the queues' items are mostly these: no strbuf for them. */
#define SCALAR_BYTES STORE_SCALAR_BYTES
static size_t encode_scalar(value v, char buf[SCALAR_BYTES])
{
        switch (v.type) {
        case VALUE_NONE: buf[0] = T_NONE; return 1;
        case VALUE_BOOL: buf[0] = v.as.b ? T_TRUE : T_FALSE; return 1;
        case VALUE_INT:
                buf[0] = T_INT;
                memcpy(buf + 1, &v.as.i, sizeof(v.as.i));
                return 1 + sizeof(v.as.i);
        case VALUE_FLOAT:
                buf[0] = T_FLOAT;
                memcpy(buf + 1, &v.as.f, sizeof(v.as.f));
                return 1 + sizeof(v.as.f);
        default: return 0;
        }
}

size_t store_encode_scalar(value v, char buf[STORE_SCALAR_BYTES])
{
        return encode_scalar(v, buf);
}

/* An encoding of LEN bytes is past STORE_MAX_ENCODED: it stops there (ERR says why). */
static int too_big(size_t len, char *err, size_t errlen)
{
        if (len <= STORE_MAX_ENCODED)
                return 0;
        diag_set_err(err, errlen,
                     "MemoryError: what is to go to another process takes more than %zu MiB "
                     "encoded",
                     STORE_MAX_ENCODED >> 20);
        return -1;
}

int store_encode(value v, strbuf *out, char *err, size_t errlen)
{
        char small[SCALAR_BYTES];
        size_t n = encode_scalar(v, small);

        if (n > 0) {
                strbuf_append(out, small, n);
                return 0;
        }
        switch (v.type) {
        case VALUE_NONE:
        case VALUE_BOOL:
        case VALUE_INT:
        case VALUE_FLOAT: break; /* above */
        case VALUE_STR: {
                const char *p = value_str_data(v, &n);

                if (too_big(out->len + n, err, errlen) < 0)
                        return -1;
                strbuf_putc(out, T_STR);
                put_u32(out, n);
                strbuf_append(out, p, n);
                return 0;
        }
        case VALUE_LIST:
        case VALUE_TUPLE:
                n = value_len(v);
                strbuf_putc(out, v.type == VALUE_LIST ? T_LIST : T_TUPLE);
                put_u32(out, n);
                for (size_t k = 0; k < n; k++)
                        if (store_encode(value_at(v, k), out, err, errlen) < 0 ||
                            too_big(out->len, err, errlen) < 0)
                                return -1;
                return 0;
        case VALUE_DICT:
                n = value_len(v);
                strbuf_putc(out, T_DICT);
                put_u32(out, n);
                for (size_t k = 0; k < n; k++)
                        if (store_encode(value_dict_key_at(v, k), out, err, errlen) < 0 ||
                            store_encode(value_dict_item_at(v, k), out, err, errlen) < 0 ||
                            too_big(out->len, err, errlen) < 0)
                                return -1;
                return 0;
        case VALUE_FUNC: break;
        }
        diag_set_err(err, errlen,
                     "PicklingError: cannot send a %s to another process (a lambda "
                     "cannot be pickled)",
                     value_type_name(v.type));
        return -1;
}

static long decode_sized(const char *p, size_t len, value *out, int depth);

static long decode(const char *p, size_t len, value *out, int depth)
{
        *out = value_none();
        if (len < 1 || depth > VALUE_MAX_DEPTH)
                return -1;
        switch ((unsigned char)p[0]) {
        case T_NONE: return 1;
        case T_FALSE: *out = value_bool(false); return 1;
        case T_TRUE: *out = value_bool(true); return 1;
        case T_INT:
        case T_FLOAT: {
                int64_t i;
                double f;

                if (len < 9)
                        return -1;
                if (p[0] == T_INT) {
                        memcpy(&i, p + 1, sizeof(i));
                        *out = value_int(i);
                } else {
                        memcpy(&f, p + 1, sizeof(f));
                        *out = value_float(f);
                }
                return 9;
        }
        default: return decode_sized(p, len, out, depth);
        }
}

/* A str, list, tuple or dict: a count, then the bytes or the items. Out of line, so that a
 * scalar (a shared Value's every read) is decoded with no room for messages on the stack. */
__attribute__((noinline)) static long decode_sized(const char *p, size_t len, value *out, int depth)
{
        uint32_t n;
        size_t at;
        char err[200];

        if (len < 5)
                return -1;
        memcpy(&n, p + 1, sizeof(n));
        at = 5;
        switch ((unsigned char)p[0]) {
        case T_STR:
                if (n > len - at)
                        return -1;
                *out = value_str(p + at, n);
                return (long)(at + n);
        case T_LIST:
        case T_TUPLE: {
                value list = value_list();

                for (uint32_t k = 0; k < n; k++) {
                        value item;
                        long used = decode(p + at, len - at, &item, depth + 1);

                        if (used < 0 || value_list_append(&list, item, err, sizeof(err)) < 0) {
                                value_drop(&list);
                                return -1;
                        }
                        at += (size_t)used;
                }
                if (p[0] == T_TUPLE) {
                        size_t m = value_len(list);
                        value *items = xcalloc(m + 1, sizeof(value));

                        for (size_t k = 0; k < m; k++)
                                items[k] = value_at(list, k);
                        *out = value_tuple(items, m);
                        free(items);
                        value_drop(&list);
                } else {
                        *out = list;
                }
                return (long)at;
        }
        case T_DICT: {
                value dict = value_dict();

                for (uint32_t k = 0; k < n; k++) {
                        value key, item;
                        long used = decode(p + at, len - at, &key, depth + 1);

                        if (used < 0) {
                                value_drop(&dict);
                                return -1;
                        }
                        at += (size_t)used;
                        used = decode(p + at, len - at, &item, depth + 1);
                        if (used < 0) {
                                value_drop(&key);
                                value_drop(&dict);
                                return -1;
                        }
                        at += (size_t)used;
                        if (value_dict_set(&dict, key, item, err, sizeof(err)) < 0) {
                                value_drop(&dict);
                                return -1;
                        }
                }
                *out = dict;
                return (long)at;
        }
        default: return -1;
        }
}

long store_decode(const char *data, size_t len, value *out)
{
        return decode(data, len, out, 0);
}

/* Our own bytes: a failure to decode them is a broken invariant (or the value cap). */
static value decode_own(const char *data, size_t len)
{
        value v;

        /* an int, the commonest Value and queue item, without the general decoder */
        if (len == 1 + sizeof(int64_t) && data[0] == T_INT) {
                int64_t i;

                memcpy(&i, data + 1, sizeof(i));
                return value_int(i);
        }
        if (store_decode(data, len, &v) < 0)
                xdie("store: shared data could not be decoded (value memory exhausted?)");
        return v;
}

static void encode_own(value v, strbuf *out)
{
        char err[200];

        if (store_encode(v, out, err, sizeof(err)) < 0)
                xdie("store: %s", err);
}

/* Resource K lives in the manager's server. */
static bool managed(const store *st, int k)
{
        return st->sc->resources[k].via_manager;
}

/* Whether V can be where every process reads it as it is: a number, None or a bool, which
 * points at nothing (value.h: from VALUE_STR on, a value is a heap object). */
static bool points_nowhere(value v)
{
        return v.type < VALUE_STR;
}

/* Resource K's value in shared memory (st->scalar[k]). */
static value *scalar_slot(const store *st, int k)
{
        return (value *)(void *)(st->region + st->off[k]);
}

/* ---- placing --------------------------------------------------------------------------------- */

store *store_create(const scenario *sc, bool shared)
{
        store *st = xcalloc(1, sizeof(*st));
        int n = sc->nresources;
        strbuf enc = { 0 };
        bool process_actors = false;

        st->sc = sc;
        st->mem = xcalloc((size_t)n + 1, sizeof(value));
        st->queues = xcalloc((size_t)n + 1, sizeof(heap_queue));
        st->shared = xcalloc((size_t)n + 1, sizeof(bool));
        st->scalar = xcalloc((size_t)n + 1, sizeof(bool));
        st->off = xcalloc((size_t)n + 1, sizeof(size_t));
        st->fds = xcalloc((size_t)n + 1, sizeof(*st->fds));
        st->mgr = manager_start(sc);
        /* A pool's workers reach only what a lambda reads (Values, Arrays), never a queue: with
         * no process actor a queue is threading's, whose items need no encoding (a lambda goes
         * through it as in Python). */
        for (int k = 0; k < sc->nactors; k++)
                process_actors |= sc->actors[k].kind == SC_PROCESS;
        for (int k = 0; k < n; k++) {
                const sc_resource *r = &sc->resources[k];
                size_t need = 0;

                if (shared && r->type == SC_VALUE && points_nowhere(r->init)) {
                        st->scalar[k] = true;
                        need = sizeof(value);
                } else if (shared && (r->type == SC_VALUE || r->type == SC_ARRAY)) {
                        /* typed and of a fixed length: the encoding never grows */
                        strbuf_reset(&enc);
                        encode_own(r->init, &enc);
                        need = sizeof(slot_hdr) + enc.len;
                } else if (shared && process_actors && r->type == SC_QUEUE) {
                        need = sizeof(ring_hdr) + STORE_QUEUE_BYTES;
                } else if (r->type == SC_PIPE) {
                        need = 2 * sizeof(store_ahead); /* shared whoever receives */
                }
                if (need > 0) {
                        st->shared[k] = r->type != SC_PIPE; /* its data, not its read-ahead */
                        st->off[k] = st->bytes;
                        st->bytes += (need + 63) & ~(size_t)63;
                }
        }
        if (st->bytes > 0) {
                st->region = mmap(NULL, st->bytes, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (st->region == MAP_FAILED)
                        xdie("cannot map shared memory for the scenario's data");
        }
        for (int k = 0; k < n; k++) {
                const sc_resource *r = &sc->resources[k];

                st->fds[k][0] = st->fds[k][1] = -1;
                if (r->type == SC_PIPE) {
                        /* a socketpair, so that close can end both directions for every
                         * process at once (shutdown), whoever else holds the descriptors */
                        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st->fds[k]) < 0)
                                xdie("cannot make pipe '%s'", r->name);
                        if (!r->duplex) {
                                /* Pipe(duplex=False): a receives, b sends */
                                shutdown(st->fds[k][0], SHUT_WR);
                                shutdown(st->fds[k][1], SHUT_RD);
                        }
                }
                if (!is_data(r->type) || r->via_manager)
                        continue;
                if (st->scalar[k]) {
                        *scalar_slot(st, k) = r->init;
                } else if (st->shared[k]) {
                        slot_hdr *h = (slot_hdr *)(st->region + st->off[k]);

                        strbuf_reset(&enc);
                        encode_own(r->init, &enc);
                        h->cap = h->len = (uint32_t)enc.len;
                        memcpy(h + 1, enc.data, enc.len);
                } else {
                        st->mem[k] = value_copy(r->init);
                }
        }
        strbuf_free(&enc);
        return st;
}

void store_watch(store *st)
{
        manager_watch(st->mgr);
}

void store_free(store *st)
{
        if (st == NULL)
                return;
        for (int k = 0; k < st->sc->nresources; k++) {
                heap_queue *q = &st->queues[k];

                value_drop(&st->mem[k]);
                for (size_t j = 0; j < q->n; j++)
                        value_drop(&q->items[(q->head + j) % q->cap]);
                free(q->items);
        }
        for (int k = 0; k < st->sc->nresources; k++)
                for (int e = 0; e < 2; e++)
                        if (st->fds[k][e] >= 0)
                                close(st->fds[k][e]);
        if (st->region != NULL)
                munmap(st->region, st->bytes);
        manager_stop(st->mgr);
        free(st->mem);
        free(st->queues);
        free(st->shared);
        free(st->scalar);
        free(st->off);
        free(st->fds);
        free(st);
}

bool store_shared(const store *st, int k)
{
        return st->shared[k] || managed(st, k);
}

bool store_managed(const store *st, int k)
{
        return managed(st, k);
}

/* ---- data ------------------------------------------------------------------------------------ */

value store_get(store *st, int k)
{
        if (managed(st, k))
                return manager_get(st->mgr, k);
        if (st->scalar[k])
                return *scalar_slot(st, k);
        if (st->shared[k]) {
                slot_hdr *h = (slot_hdr *)(st->region + st->off[k]);

                return decode_own((const char *)(h + 1), h->len);
        }
        return value_ref(st->mem[k]);
}

value *store_edit(store *st, int k, value *tmp)
{
        if (st->scalar[k])
                return scalar_slot(st, k);
        if (st->shared[k] || managed(st, k)) {
                *tmp = store_get(st, k);
                return tmp;
        }
        return &st->mem[k];
}

value *store_slot(store *st, int k)
{
        if (st->scalar[k])
                return scalar_slot(st, k);
        return st->shared[k] || managed(st, k) ? NULL : &st->mem[k];
}

int store_commit(store *st, int k, value *v, char *err, size_t errlen)
{
        slot_hdr *h;
        strbuf enc = { 0 };

        if (managed(st, k)) {
                /* a value that cannot be encoded never reaches the server */
                if (store_encode(*v, &enc, err, errlen) < 0) {
                        strbuf_free(&enc);
                        value_drop(v);
                        return -1;
                }
                strbuf_free(&enc);
                manager_set(st->mgr, k, *v);
                *v = value_none();
                return 0;
        }
        if (!st->shared[k])
                return 0;
        if (st->scalar[k]) {
                value *slot = scalar_slot(st, k);

                /* nothing that points into one process's heap may go where every process reads
                 * (the interpreter keeps a Value a number: typed) */
                if (v != slot) {
                        if (!points_nowhere(*v))
                                xdie("store: '%s' would hold a %s in shared memory",
                                     st->sc->resources[k].name, value_type_name(v->type));
                        *slot = *v;
                        *v = value_none();
                }
                return 0;
        }
        h = (slot_hdr *)(st->region + st->off[k]);
        {
                char small[SCALAR_BYTES];
                size_t n = encode_scalar(*v, small);

                /* a Value's number: straight into its slot */
                if (n > 0 && n <= h->cap) {
                        memcpy(h + 1, small, n);
                        h->len = (uint32_t)n;
                        *v = value_none();
                        return 0;
                }
        }
        encode_own(*v, &enc);
        /* a Value or an Array keeps its type and length (the interpreter checks both) */
        if (enc.len > h->cap)
                xdie("store: '%s' outgrew its shared memory", st->sc->resources[k].name);
        memcpy(h + 1, enc.data, enc.len);
        h->len = (uint32_t)enc.len;
        strbuf_free(&enc);
        value_drop(v);
        return 0;
}

int store_snapshot(store *st, strbuf *out, char *err, size_t errlen)
{
        for (int k = 0; k < st->sc->nresources; k++)
                if (is_data(st->sc->resources[k].type) && !st->shared[k] && !managed(st, k) &&
                    store_encode(st->mem[k], out, err, errlen) < 0)
                        return -1;
        return 0;
}

void store_restore(store *st, const char *data, size_t len)
{
        size_t at = 0;

        for (int k = 0; k < st->sc->nresources; k++) {
                value v;
                long used;

                if (!is_data(st->sc->resources[k].type) || st->shared[k] || managed(st, k))
                        continue;
                used = store_decode(data + at, len - at, &v);
                if (used < 0)
                        xdie("store: a process's copy of memory could not be decoded");
                at += (size_t)used;
                value_drop(&st->mem[k]);
                st->mem[k] = v;
        }
}

/* ---- queues ---------------------------------------------------------------------------------- */

static ring_hdr *ring_of(const store *st, int k)
{
        return (ring_hdr *)(st->region + st->off[k]);
}

size_t store_queue_len(const store *st, int k)
{
        return st->shared[k] ? (size_t)ring_of(st, k)->n : st->queues[k].n;
}

long store_frame(value v, strbuf *out, char *err, size_t errlen)
{
        /* the length and a scalar, or the length and a str's tag and length, in one append */
        char head[sizeof(uint32_t) + 1 + sizeof(uint32_t) + SCALAR_BYTES];
        size_t bytes;
        uint32_t u;

        strbuf_reset(out);
        bytes = encode_scalar(v, head + sizeof(uint32_t));
        if (bytes > 0) {
                u = (uint32_t)bytes;
                memcpy(head, &u, sizeof(u));
                strbuf_append(out, head, sizeof(u) + bytes);
                return (long)out->len;
        }
        if (v.type == VALUE_STR) {
                const char *p = value_str_data(v, &bytes);

                u = (uint32_t)(1 + sizeof(u) + bytes);
                memcpy(head, &u, sizeof(u));
                head[sizeof(u)] = T_STR;
                u = (uint32_t)bytes;
                memcpy(head + sizeof(u) + 1, &u, sizeof(u));
                strbuf_append(out, head, 2 * sizeof(u) + 1);
                strbuf_append(out, p, bytes);
                return (long)out->len;
        }
        put_u32(out, 0); /* the length, filled in below */
        if (store_encode(v, out, err, errlen) < 0)
                return -1;
        u = (uint32_t)(out->len - sizeof(u));
        memcpy(out->data, &u, sizeof(u));
        return (long)out->len;
}

/* A scalar's frame bytes (its length, then its encoding), or 0 for anything else. */
static size_t scalar_frame(value v)
{
        switch (v.type) {
        case VALUE_NONE:
        case VALUE_BOOL: return sizeof(uint32_t) + 1;
        case VALUE_INT:
        case VALUE_FLOAT: return sizeof(uint32_t) + SCALAR_BYTES;
        default: return 0;
        }
}

long store_queue_prepare(store *st, int k, value v, strbuf *enc, char *err, size_t errlen)
{
        size_t n;

        if (!st->shared[k])
                return 0;
        /* a scalar's frame is made by store_queue_put, straight into the ring */
        if ((n = scalar_frame(v)) > 0)
                return (long)n;
        return store_frame(v, enc, err, errlen);
}

bool store_queue_fits(const store *st, int k, size_t need, bool *never)
{
        int64_t max = st->sc->resources[k].count;
        size_t n = store_queue_len(st, k);

        *never = need > STORE_QUEUE_BYTES;
        if ((max != 0 && (int64_t)n >= max) || n >= SC_MAX_QUEUE)
                return false;
        if (st->shared[k]) {
                const ring_hdr *r = ring_of(st, k);

                return !*never && STORE_QUEUE_BYTES - (size_t)(r->tail - r->head) >= need;
        }
        return true;
}

/*
 * A queue's bytes go round a ring of STORE_QUEUE_BYTES, in shared memory: a process that puts
 * would take a write fault at every 4 KiB of it on its first lap (its page table has none of the
 * ring's pages after the fork), a few microseconds each on a virtual machine, inside the queue's
 * lock. When a put moves the tail FROM to TO into a new stretch of RING_AHEAD bytes, the next
 * stretch is mapped at once (xpopulate): one call instead of 16 faults. (A taker's read fault
 * maps 16 pages that are there already at once: nothing to gain there.)
 */
#define RING_AHEAD ((uint64_t)64 << 10)
static void ring_map_ahead(ring_hdr *r, uint64_t from, uint64_t to)
{
        if (from / RING_AHEAD != to / RING_AHEAD)
                xpopulate((char *)(r + 1) + (to / RING_AHEAD + 1) * RING_AHEAD % STORE_QUEUE_BYTES,
                          RING_AHEAD);
}

/* Copies LEN bytes into / out of the ring at byte position POS (wrapping). */
static void ring_copy(ring_hdr *r, uint64_t pos, void *buf, size_t len, bool in)
{
        char *data = (char *)(r + 1);
        size_t at = (size_t)(pos % STORE_QUEUE_BYTES);
        size_t first = STORE_QUEUE_BYTES - at < len ? STORE_QUEUE_BYTES - at : len;

        if (in) {
                memcpy(data + at, buf, first);
                if (first < len)
                        memcpy(data, (char *)buf + first, len - first);
        } else {
                memcpy(buf, data + at, first);
                if (first < len)
                        memcpy((char *)buf + first, data, len - first);
        }
}

/* store_queue_put into queue K in the heap (a scenario without processes). */
__attribute__((noinline)) static long put_heap(store *st, int k, value v)
{
        int64_t max = st->sc->resources[k].count;
        heap_queue *q = &st->queues[k];

        if ((max != 0 && (int64_t)q->n >= max) || q->n >= SC_MAX_QUEUE)
                return -1;
        if (q->n == q->cap) {
                size_t old = q->cap;
                value *items = xcalloc(old ? old * 2 : 16, sizeof(value));

                for (size_t j = 0; j < q->n; j++)
                        items[j] = q->items[(q->head + j) % (old ? old : 1)];
                free(q->items);
                q->items = items;
                q->cap = old ? old * 2 : 16;
                q->head = 0;
        }
        q->items[(q->head + q->n) % q->cap] = v;
        return (long)++q->n;
}

long store_queue_put(store *st, int k, value v, size_t need, const strbuf *enc)
{
        int64_t max;
        ring_hdr *r;
        char frame[sizeof(uint32_t) + SCALAR_BYTES];
        uint32_t u;
        size_t room;

        if (!st->shared[k])
                return put_heap(st, k, v);
        max = st->sc->resources[k].count;
        r = ring_of(st, k);
        room = STORE_QUEUE_BYTES - (size_t)(r->tail - r->head);
        if ((max != 0 && (int64_t)r->n >= max) || r->n >= SC_MAX_QUEUE || room < need)
                return -1;
        if (scalar_frame(v) > 0) {
                size_t at = (size_t)(r->tail % STORE_QUEUE_BYTES);

                u = (uint32_t)encode_scalar(v, frame + sizeof(u));
                memcpy(frame, &u, sizeof(u));
                /* not where the ring wraps, and with room for the whole buffer (past the frame,
                 * free bytes): straight in, a copy of a known size */
                if (at + sizeof(frame) <= STORE_QUEUE_BYTES && room >= sizeof(frame))
                        memcpy((char *)(r + 1) + at, frame, sizeof(frame));
                else
                        ring_copy(r, r->tail, frame, need, true);
        } else {
                ring_copy(r, r->tail, enc->data, enc->len, true);
                value_drop(&v);
        }
        ring_map_ahead(r, r->tail, r->tail + need);
        r->tail += need;
        return (long)++r->n;
}

/* store_queue_take of an item of queue K in shared memory whose frame the ring's end cuts (its
 * length, or its bytes). */
__attribute__((noinline)) static long take_wrapped(store *st, int k, value *out)
{
        ring_hdr *r = ring_of(st, k);
        uint32_t n;
        char small[64], *buf;

        ring_copy(r, r->head, &n, sizeof(n), false);
        /* most items are small: no malloc for them */
        buf = n <= sizeof(small) ? small : xmalloc(n + 1u);
        ring_copy(r, r->head + sizeof(n), buf, n, false);
        *out = decode_own(buf, n);
        if (buf != small)
                free(buf);
        r->head += sizeof(n) + n;
        return (long)--r->n;
}

/* store_queue_take of queue K in the heap (a scenario without processes). */
__attribute__((noinline)) static long take_heap(store *st, int k, value *out)
{
        heap_queue *q = &st->queues[k];

        if (q->n == 0)
                return -1;
        *out = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        return (long)--q->n;
}

long store_queue_take(store *st, int k, value *out)
{
        ring_hdr *r;
        size_t at;
        uint32_t n;
        const char *p;

        if (!st->shared[k])
                return take_heap(st, k, out);
        r = ring_of(st, k);
        if (r->n == 0)
                return -1;
        at = (size_t)(r->head % STORE_QUEUE_BYTES);
        p = (const char *)(r + 1) + at;
        if (at + sizeof(n) > STORE_QUEUE_BYTES)
                return take_wrapped(st, k, out);
        memcpy(&n, p, sizeof(n));
        if (at + sizeof(n) + n > STORE_QUEUE_BYTES)
                return take_wrapped(st, k, out);
        /* not where the ring wraps: decoded where it is (the mutex keeps the bytes until the head
         * moves past them) */
        *out = decode_own(p + sizeof(n), n);
        r->head += sizeof(n) + n;
        return (long)--r->n;
}

/* ---- pipes ----------------------------------------------------------------------------------- */

int store_pipe_fd(const store *st, int k, int end)
{
        return st->fds[k][end];
}

store_ahead *store_pipe_ahead(store *st, int k, int end)
{
        return (store_ahead *)(st->region + st->off[k]) + end;
}

/* ---- a Manager's lists and dicts --------------------------------------------------------------
 */

int store_append(store *st, int k, value v, strbuf *repr, char *err, size_t errlen)
{
        if (!managed(st, k)) {
                value_drop(&v);
                return 1;
        }
        return manager_update(st->mgr, k, MANAGER_APPEND, value_none(), v, NULL, repr, err, errlen);
}

int store_set_item(store *st, int k, value index, value v, strbuf *repr, char *err, size_t errlen)
{
        if (!managed(st, k)) {
                value_drop(&v);
                return 1;
        }
        return manager_update(st->mgr, k, MANAGER_SET_ITEM, index, v, NULL, repr, err, errlen);
}

int store_pop(store *st, int k, int64_t at, value *out, strbuf *repr, char *err, size_t errlen)
{
        if (!managed(st, k))
                return 1;
        return manager_update(st->mgr, k, MANAGER_POP, value_int(at), value_none(), out, repr, err,
                              errlen);
}

/* ---- values -----------------------------------------------------------------------------------
 */

int store_item_set(value *target, value index, value v, char *err, size_t errlen)
{
        if (target->type == VALUE_LIST) {
                if (index.type != VALUE_INT && index.type != VALUE_BOOL) {
                        value_drop(&v);
                        diag_set_err(err, errlen,
                                     "TypeError: list indices must be integers, not %s",
                                     value_type_name(index.type));
                        return -1;
                }
                return value_list_set(target, index.type == VALUE_INT ? index.as.i : index.as.b, v,
                                      err, errlen);
        }
        if (target->type == VALUE_DICT)
                return value_dict_set(target, value_ref(index), v, err, errlen);
        value_drop(&v);
        diag_set_err(err, errlen, "TypeError: '%s' object does not support item assignment",
                     value_type_name(target->type));
        return -1;
}

void store_repr(value v, strbuf *out)
{
        size_t start = out->len;

        /* a long value's repr costs what is shown: formatting stops past the cut */
        value_repr_max(v, out, STORE_REPR_MAX);
        if (out->len - start > STORE_REPR_MAX) {
                /* do not cut a UTF-8 character in half */
                out->len = start + utf8_cut(out->data + start, STORE_REPR_MAX - 3);
                out->data[out->len] = '\0';
                strbuf_puts(out, "...");
        }
}

const char *store_repr_scratch(value v, strbuf *scratch, size_t *len)
{
        strbuf_reset(scratch);
        store_repr(v, scratch);
        *len = scratch->len;
        return strbuf_str(scratch);
}
