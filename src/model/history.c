/*
 * history.c — the recorded run: chunks of packed events, each starting at a snapshot; see
 * history.h.
 *
 * Chunk c holds the snapshot at moment base and the events base+1 .. base+n, packed one after
 * the other into one byte buffer, so that an event costs a few bytes and no allocation of its own.
 * Dropping the oldest part is dropping whole chunks from the front.
 *
 * An event packed:
 *   h0            kind (6 bits; all ones: the kind byte below) | H0_NUM | H0_TEXT
 *   h1            flags & 3 | H1_T | H1_ACTOR | H1_RES | H1_STMT | H1_AUX | H1_RARE
 *   [h2]          with H1_RARE: H2_FLAGS | H2_SEQ | H2_OTHER | H2_KIND
 *   [kind] [flags]                       raw bytes, with H2_KIND, H2_FLAGS
 *   [seq] [t] [actor] [res] [stmt] [other] [aux] [num]   zigzag varints, each when its bit is set
 *   [text]        with H0_TEXT: a varint v, then
 *                 v even: the text inline, v / 2 bytes and a NUL (so it is read in place);
 *                 v odd:  the text is made from the text of the event v / 2 before it (same kind,
 *                         same resource, same chunk): varints prefix, suffix and middle length,
 *                         then the middle — its first `prefix` bytes, the middle, its last
 *                         `suffix` bytes.
 * A field that is absent takes its usual value: seq the previous one + 1 (the history's
 * numbering), t and actor the previous event's, num the previous event's of the same kind, res,
 * other and stmt -1, aux 0, text ""; seq, t and num are stored as the difference from that.
 * "Previous" starts afresh every GROUP events (seq: the history's number, t, num: 0, actor: 0), and
 * the chunk keeps where each group starts, so event k is found by decoding at most GROUP - 1
 * others. A changing repr (a growing list, a counter, a pipe's messages) costs its changed part
 * only; a chain of such texts is at most MAX_DEPTH long, which bounds rebuilding one.
 */
#include "history.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/varint.h"
#include "../util/xalloc.h"

#define GROUP     32  /* events per entry of a chunk's index */
#define MAX_DEPTH 32  /* a text is rebuilt from at most this many earlier ones */
#define NKEYS     16  /* (kind, resource) pairs whose last text the packer keeps */
#define NCACHE    64  /* texts the unpacker keeps */
#define MAX_SPAN  256 /* a chunk holds at most this many times snapshot_every events */
#define MAX_EVENT (3 + 2 + 8 * 10 + 4 * 10) /* the most bytes an event takes, but its text */

/* Every field of an event is packed: a field added to event.h must be added to pack() and
 * cursor_next() too (and to same_event in the tests). */
_Static_assert(offsetof(event, len) == 40 &&
                   sizeof(event) == offsetof(event, text) + sizeof(const char *),
               "event has a field that history.c does not pack");

#define H0_KIND  0x3f
#define H0_NUM   0x40
#define H0_TEXT  0x80
#define H1_FLAGS 0x03
#define H1_T     0x04
#define H1_ACTOR 0x08
#define H1_RES   0x10
#define H1_STMT  0x20
#define H1_AUX   0x40
#define H1_RARE  0x80
#define H2_FLAGS 0x01
#define H2_SEQ   0x02
#define H2_OTHER 0x04
#define H2_KIND  0x08

typedef struct chunk {
        uint64_t base; /* the snapshot's moment */
        model *snap;
        size_t snap_bytes;
        unsigned char *buf; /* the packed events */
        size_t used, cap;
        size_t *group;   /* group[g]: where event g * GROUP starts in buf */
        uint32_t *steps; /* steps[g]: the steps among the events before it */
        size_t ngroups, capgroups;
        uint64_t steps_before; /* the steps before base, since the history began */
        uint32_t nsteps;       /* the steps among its events */
        size_t n;              /* events */
        size_t check;          /* n at the next check (a multiple of snapshot_every) */
        size_t bytes;          /* the chunk, its buffer, its index and its snapshot */
} chunk;

/* The delta state while packing or unpacking a chunk. */
typedef struct cursor {
        const chunk *c;
        size_t i;     /* the next event */
        size_t off;   /* where it starts */
        uint64_t seq; /* the previous event's */
        uint64_t t;
        int actor;
        int64_t num[EV_KIND_COUNT]; /* the previous event's of each kind */
} cursor;

/* Where an unpacked event's text is: inline at off, or made from the text `back` events before. */
typedef struct text_at {
        bool delta;
        size_t off; /* inline: the text; delta: the middle */
        uint32_t len;
        uint64_t back, prefix, suffix;
} text_at;

/* The packer's last text of a (kind, resource) pair in the newest chunk. */
typedef struct key {
        bool used;
        uint8_t kind;
        int16_t res;
        size_t index;  /* the event's, in the chunk */
        int depth;     /* texts it is made from: 0 inline */
        size_t origin; /* the first event since whose text it has not changed */
        int origin_depth;
        uint64_t stamp;
        char *text;
        size_t len, cap;
} key;

/* A text the unpacker rebuilt: event index of the chunk at base. */
typedef struct cached {
        bool used;
        uint64_t base;
        size_t index;
        char *text;
        size_t len, cap;
} cached;

struct history {
        const scenario *sc;
        size_t every, max_bytes;
        model *live;
        chunk **slots; /* the chunks, oldest first, from slots[head] */
        size_t head, nchunks, capslots;
        uint64_t len;
        uint64_t steps; /* events that began a step, since the history began */
        model *cursor;  /* the last history_at rebuilt here */
        uint64_t cursor_seq;
        cursor pack; /* the newest chunk's */
        cursor next; /* history_event's: right after the event it unpacked last */
        key keys[NKEYS];
        uint64_t stamp;
        cached cache[NCACHE];
        cached spare[2];
        size_t stored;     /* the chunks' bytes */
        size_t scratch;    /* the packer's and unpacker's texts */
        size_t bytes;      /* everything counted, as of the last check */
        size_t live_bytes; /* model_bytes of the live model, as of the last check */
};

/* ---- chunks ------------------------------------------------------------------------------- */

static chunk *chunk_new(const model *live, uint64_t base)
{
        chunk *c = xcalloc(1, sizeof *c);

        c->base = base;
        c->snap = model_clone(live);
        c->snap_bytes = model_bytes(c->snap);
        c->bytes = sizeof *c + c->snap_bytes;
        return c;
}

static void chunk_free(chunk *c)
{
        model_free(c->snap);
        free(c->buf);
        free(c->group);
        free(c->steps);
        free(c);
}

/* The buffer and the index of a finished chunk shrink to what they hold. */
static void chunk_seal(chunk *c)
{
        if (c->cap > c->used && c->used > 0) {
                c->buf = xrealloc(c->buf, c->used);
                c->cap = c->used;
        }
        if (c->capgroups > c->ngroups && c->ngroups > 0) {
                c->group = xrealloc(c->group, c->ngroups * sizeof *c->group);
                c->steps = xrealloc(c->steps, c->ngroups * sizeof *c->steps);
                c->capgroups = c->ngroups;
        }
        c->bytes = sizeof *c + c->snap_bytes + c->cap +
                   c->capgroups * (sizeof *c->group + sizeof *c->steps);
}

/* Puts the cursor at the start of event I's group... */
static void cursor_group(cursor *k, const chunk *c, size_t i)
{
        size_t g = i / GROUP;

        k->c = c;
        k->i = g * GROUP;
        k->off = g < c->ngroups ? c->group[g] : c->used;
}

/* ...where the deltas start afresh. */
static void cursor_fresh(cursor *k)
{
        k->seq = k->c->base + k->i;
        k->t = 0;
        k->actor = 0;
        memset(k->num, 0, sizeof k->num);
}

/* The number an event of KIND is expected to carry: the last one of its kind (a task's index,
 * a queue's size, a semaphore's count move little), 0 for a kind that is none. */
static int64_t *num_slot(cursor *k, uint8_t kind, int64_t *none)
{
        *none = 0;
        return kind < EV_KIND_COUNT ? &k->num[kind] : none;
}

/* One zigzag varint at *OFF, as a signed number: most are one byte. */
static inline int64_t get_signed(const unsigned char *p, size_t *off)
{
        unsigned b = p[*off];

        if (b < 0x80) {
                (*off)++;
                return (int64_t)(b >> 1) ^ -(int64_t)(b & 1);
        }
        return varint_signed(varint_unzigzag(varint_get(p, off)));
}

/* Unpacks event k->i into E (its text left at TA) and moves on to the next one. */
static void cursor_next(cursor *k, event *e, text_at *ta)
{
        const unsigned char *p = k->c->buf;
        size_t off = k->off;
        unsigned h0, h1, h2 = 0;

        if (k->i % GROUP == 0)
                cursor_fresh(k);
        h0 = p[off++];
        h1 = p[off++];
        if (h1 & H1_RARE)
                h2 = p[off++];
        e->kind = (uint8_t)(h0 & H0_KIND);
        if (h2 & H2_KIND)
                e->kind = p[off++];
        e->flags = (uint8_t)(h1 & H1_FLAGS);
        if (h2 & H2_FLAGS)
                e->flags = p[off++];
        e->seq = k->seq + 1;
        if (h2 & H2_SEQ)
                e->seq += varint_unzigzag(varint_get(p, &off));
        e->t_ns = k->t;
        if (h1 & H1_T)
                e->t_ns += varint_unzigzag(varint_get(p, &off));
        e->actor = (int16_t)(h1 & H1_ACTOR ? get_signed(p, &off) : k->actor);
        e->res = (int16_t)(h1 & H1_RES ? get_signed(p, &off) : -1);
        e->stmt = (int32_t)(h1 & H1_STMT ? get_signed(p, &off) : -1);
        e->other = (int16_t)(h2 & H2_OTHER ? get_signed(p, &off) : -1);
        e->aux = (int32_t)(h1 & H1_AUX ? get_signed(p, &off) : 0);
        {
                int64_t none, *last = num_slot(k, e->kind, &none);

                e->num = *last;
                if (h0 & H0_NUM)
                        e->num = varint_signed((uint64_t)e->num + (uint64_t)get_signed(p, &off));
                *last = e->num;
        }
        e->text = "";
        e->len = 0;
        ta->len = 0;
        if (h0 & H0_TEXT) {
                uint64_t v = varint_get(p, &off);

                ta->delta = v & 1;
                if (ta->delta) {
                        ta->back = v >> 1;
                        ta->prefix = varint_get(p, &off);
                        ta->suffix = varint_get(p, &off);
                        v = varint_get(p, &off);
                        ta->off = off;
                        ta->len = (uint32_t)(ta->prefix + ta->suffix + v);
                        off += v;
                } else {
                        ta->off = off;
                        ta->len = (uint32_t)(v >> 1);
                        off += (v >> 1) + 1;
                }
                e->len = ta->len;
        }
        k->seq = e->seq;
        k->t = e->t_ns;
        k->actor = e->actor;
        k->off = off;
        k->i++;
}

/* ---- texts --------------------------------------------------------------------------------- */

/* Event I's text in chunk C (TA: where it is), rebuilt from the texts it is made from if need
 * be, and where it now is (a slot of the cache, or NULL: inline). Rebuilt texts sit in slot
 * I % NCACHE, so that the text a delta needs is found at once when the events are unpacked in
 * order; one whose slot is its source's goes to a spare. Valid until the slot is taken again or
 * the chunk grows. */
static const char *text_get(history *h, const chunk *c, size_t i, const text_at *ta,
                            const cached **where)
{
        cached *s = &h->cache[i % NCACHE];
        const cached *from = NULL;
        const char *ref;
        size_t j = i - ta->back, mid, rlen;

        *where = NULL;
        if (!ta->delta)
                return (const char *)c->buf + ta->off;
        if (s->used && s->base == c->base && s->index == i) {
                *where = s;
                return s->text;
        }
        from = &h->cache[j % NCACHE];
        if (from->used && from->base == c->base && from->index == j) {
                ref = from->text;
                rlen = from->len;
        } else {
                cursor k;
                event e;
                text_at rta;

                cursor_group(&k, c, j);
                do
                        cursor_next(&k, &e, &rta);
                while (k.i <= j);
                ref = text_get(h, c, j, &rta, &from);
                rlen = rta.len;
        }
        if (s == from)
                s = &h->spare[from == &h->spare[0]];
        mid = ta->len - ta->prefix - ta->suffix;
        if (s->cap < (size_t)ta->len + 1) {
                h->scratch += ta->len + 1 - s->cap;
                s->cap = ta->len + 1;
                s->text = xrealloc(s->text, s->cap);
        }
        memcpy(s->text, ref, ta->prefix);
        memcpy(s->text + ta->prefix, c->buf + ta->off, mid);
        memcpy(s->text + ta->prefix + mid, ref + rlen - ta->suffix, ta->suffix);
        s->text[ta->len] = '\0';
        s->used = true;
        s->base = c->base;
        s->index = i;
        s->len = ta->len;
        *where = s;
        return s->text;
}

/* The key for (KIND, RES), or the one to reuse for it (unused or the oldest) with used false. */
static key *key_of(history *h, uint8_t kind, int16_t res)
{
        key *old = &h->keys[0];

        for (size_t k = 0; k < NKEYS; k++) {
                key *y = &h->keys[k];

                if (y->used && y->kind == kind && y->res == res)
                        return y;
                if (!y->used || (old->used && y->stamp < old->stamp))
                        old = y;
        }
        old->used = false;
        return old;
}

/* Packs text S (N bytes, N > 0) of event I into C at *OFF: made from the last text of the same
 * kind and resource when that is shorter, else inline. */
static void pack_text(history *h, chunk *c, size_t *off, size_t i, uint8_t kind, int16_t res,
                      const char *s, size_t n)
{
        key *y = key_of(h, kind, res);
        int depth = 0;

        if (y->used && y->len == n && memcmp(y->text, s, n) == 0 && y->origin_depth < MAX_DEPTH &&
            varint_len((uint64_t)(i - y->origin) << 1 | 1) + varint_len(n) + 2 <
                varint_len((uint64_t)n << 1) + n + 1) {
                /* unchanged: made from the first of the run, so that a run does not lengthen
                 * the chain */
                varint_put(c->buf, off, (uint64_t)(i - y->origin) << 1 | 1);
                varint_put(c->buf, off, n);
                varint_put(c->buf, off, 0);
                varint_put(c->buf, off, 0);
                y->index = i;
                y->depth = y->origin_depth + 1;
                y->stamp = ++h->stamp;
                return;
        }
        if (y->used && y->depth < MAX_DEPTH) {
                size_t pre = 0, suf = 0, most = y->len < n ? y->len : n, mid;
                uint64_t v = (uint64_t)(i - y->index) << 1 | 1;

                while (pre < most && y->text[pre] == s[pre])
                        pre++;
                while (suf < most - pre && y->text[y->len - 1 - suf] == s[n - 1 - suf])
                        suf++;
                mid = n - pre - suf;
                if (varint_len(v) + varint_len(pre) + varint_len(suf) + varint_len(mid) + mid <
                    varint_len((uint64_t)n << 1) + n + 1) {
                        varint_put(c->buf, off, v);
                        varint_put(c->buf, off, pre);
                        varint_put(c->buf, off, suf);
                        varint_put(c->buf, off, mid);
                        memcpy(c->buf + *off, s + pre, mid);
                        *off += mid;
                        depth = y->depth + 1;
                }
        }
        if (depth == 0) {
                varint_put(c->buf, off, (uint64_t)n << 1);
                memcpy(c->buf + *off, s, n);
                *off += n;
                c->buf[(*off)++] = '\0';
        }
        if (y->cap < n) {
                h->scratch += n - y->cap;
                y->cap = n;
                y->text = xrealloc(y->text, y->cap);
        }
        memcpy(y->text, s, n);
        y->len = n;
        y->used = true;
        y->kind = kind;
        y->res = res;
        y->index = y->origin = i;
        y->depth = y->origin_depth = depth;
        y->stamp = ++h->stamp;
}

/* Appends EV (its text N bytes) to chunk C, the packer's cursor at its end. */
static void pack(history *h, chunk *c, const event *ev, size_t n)
{
        cursor *k = &h->pack;
        unsigned char *p;
        size_t off;
        unsigned h0, h1, h2 = 0;
        int64_t none, *last;

        if (c->cap - c->used < MAX_EVENT + n + 1) {
                size_t old = c->cap;

                c->buf = xgrow(c->buf, &c->cap, c->used + MAX_EVENT + n + 1, 1);
                c->bytes += c->cap - old;
        }
        if (k->i % GROUP == 0) {
                size_t old = c->capgroups, cap = old;

                c->group = xgrow(c->group, &c->capgroups, c->ngroups + 1, sizeof *c->group);
                c->steps = xgrow(c->steps, &cap, c->capgroups, sizeof *c->steps);
                c->bytes += (c->capgroups - old) * (sizeof *c->group + sizeof *c->steps);
                c->steps[c->ngroups] = c->nsteps;
                c->group[c->ngroups++] = c->used;
                cursor_fresh(k);
        }
        last = num_slot(k, ev->kind, &none);
        h0 = ev->kind < H0_KIND ? ev->kind : H0_KIND;
        h0 |= (ev->num != *last ? H0_NUM : 0) | (n > 0 ? H0_TEXT : 0);
        h1 = (ev->flags & H1_FLAGS) | (ev->t_ns != k->t ? H1_T : 0) |
             (ev->actor != k->actor ? H1_ACTOR : 0) | (ev->res != -1 ? H1_RES : 0) |
             (ev->stmt != -1 ? H1_STMT : 0) | (ev->aux != 0 ? H1_AUX : 0);
        h2 = (ev->flags > H1_FLAGS ? H2_FLAGS : 0) | (ev->seq != k->seq + 1 ? H2_SEQ : 0) |
             (ev->other != -1 ? H2_OTHER : 0) | (ev->kind >= H0_KIND ? H2_KIND : 0);
        if (h2 != 0)
                h1 |= H1_RARE;
        p = c->buf;
        off = c->used;
        p[off++] = (unsigned char)h0;
        p[off++] = (unsigned char)h1;
        if (h2 != 0)
                p[off++] = (unsigned char)h2;
        if (h2 & H2_KIND)
                p[off++] = ev->kind;
        if (h2 & H2_FLAGS)
                p[off++] = ev->flags;
        if (h2 & H2_SEQ)
                varint_put(p, &off, varint_zigzag(ev->seq - (k->seq + 1)));
        if (h1 & H1_T)
                varint_put(p, &off, varint_zigzag(ev->t_ns - k->t));
        if (h1 & H1_ACTOR)
                varint_put(p, &off, varint_zigzag((uint64_t)(int64_t)ev->actor));
        if (h1 & H1_RES)
                varint_put(p, &off, varint_zigzag((uint64_t)(int64_t)ev->res));
        if (h1 & H1_STMT)
                varint_put(p, &off, varint_zigzag((uint64_t)(int64_t)ev->stmt));
        if (h2 & H2_OTHER)
                varint_put(p, &off, varint_zigzag((uint64_t)(int64_t)ev->other));
        if (h1 & H1_AUX)
                varint_put(p, &off, varint_zigzag((uint64_t)(int64_t)ev->aux));
        if (h0 & H0_NUM)
                varint_put(p, &off, varint_zigzag((uint64_t)ev->num - (uint64_t)*last));
        *last = ev->num;
        if (n > 0)
                pack_text(h, c, &off, k->i, ev->kind, ev->res, ev->text, n);
        c->used = off;
        c->n++;
        if (event_begins_step(ev)) {
                c->nsteps++;
                h->steps++;
        }
        k->seq = ev->seq;
        k->t = ev->t_ns;
        k->actor = ev->actor;
        k->off = off;
        k->i++;
}

/* ---- the history --------------------------------------------------------------------------- */

history *history_new(const scenario *sc, size_t snapshot_every, size_t max_bytes)
{
        history *h = xcalloc(1, sizeof *h);

        h->sc = sc;
        h->every = snapshot_every > 0 ? snapshot_every : HISTORY_SNAPSHOT_EVERY;
        if (h->every > (size_t)1 << 20)
                h->every = (size_t)1 << 20; /* so that a chunk's counts fit in 32 bits */
        h->max_bytes = max_bytes > 0 ? max_bytes : HISTORY_MAX_BYTES;
        h->live = model_new(sc);
        return h;
}

void history_free(history *h)
{
        if (h == NULL)
                return;
        for (size_t k = 0; k < h->nchunks; k++)
                chunk_free(h->slots[h->head + k]);
        for (size_t k = 0; k < NKEYS; k++)
                free(h->keys[k].text);
        for (size_t k = 0; k < NCACHE; k++)
                free(h->cache[k].text);
        free(h->spare[0].text);
        free(h->spare[1].text);
        free(h->slots);
        model_free(h->live);
        model_free(h->cursor);
        free(h);
}

static size_t total_bytes(const history *h, size_t live_bytes)
{
        size_t b = sizeof *h + h->capslots * sizeof *h->slots + h->stored + h->scratch;

        b += live_bytes + model_log_bytes(h->live);
        if (h->cursor != NULL)
                b += model_bytes(h->cursor);
        return b;
}

/* Trims the live model's logs, then drops the oldest chunks while the total is over the cap,
 * keeping the newest. */
static void enforce_cap(history *h)
{
        /* the logs take at most half the cap; trimmed to 3/8 of it, so that trimming (which
         * moves the kept lines down) happens seldom */
        if (model_log_bytes(h->live) > h->max_bytes / 2)
                model_trim_logs(h->live, h->max_bytes / 8 * 3);
        h->live_bytes = model_bytes(h->live);
        h->bytes = total_bytes(h, h->live_bytes);
        while (h->bytes > h->max_bytes && h->nchunks > 1) {
                chunk *c = h->slots[h->head++];

                h->nchunks--;
                if (h->next.c == c)
                        h->next.c = NULL;
                h->bytes -= c->bytes;
                h->stored -= c->bytes;
                chunk_free(c);
        }
}

static chunk *newest(const history *h)
{
        return h->nchunks > 0 ? h->slots[h->head + h->nchunks - 1] : NULL;
}

static void start_chunk(history *h)
{
        chunk *c = newest(h);

        if (c != NULL) {
                size_t before = c->bytes;

                chunk_seal(c);
                h->stored -= before - c->bytes;
        }
        if (h->head + h->nchunks == h->capslots && h->head > 0 && h->head >= h->nchunks) {
                memmove(h->slots, h->slots + h->head, h->nchunks * sizeof *h->slots);
                h->head = 0;
        }
        h->slots = xgrow(h->slots, &h->capslots, h->head + h->nchunks + 1, sizeof *h->slots);
        c = h->slots[h->head + h->nchunks++] = chunk_new(h->live, h->len);
        c->check = h->every;
        c->steps_before = h->steps;
        h->stored += c->bytes;
        h->pack = (cursor){ .c = c };
        for (size_t k = 0; k < NKEYS; k++)
                h->keys[k].used = false;
}

void history_append(history *h, const event *ev)
{
        chunk *c = newest(h);
        event e;
        size_t before;

        if (ev == NULL)
                return;
        /* every `every` events: the cap, then a new chunk when the next snapshot is paid for (a
         * big model is snapshotted less often), or rewinding would apply too many events, or the
         * chunk is big enough that the cap should be able to drop it alone, or the older ones
         * must go */
        if (c == NULL)
                start_chunk(h);
        else if (c->n == c->check) {
                c->check += h->every;
                enforce_cap(h);
                if ((double)c->n * HISTORY_SNAPSHOT_BUDGET >= (double)h->live_bytes ||
                    c->n >= MAX_SPAN * h->every || c->bytes - c->snap_bytes >= h->max_bytes / 16 ||
                    h->bytes > h->max_bytes) {
                        start_chunk(h);
                        enforce_cap(h);
                }
        }
        c = newest(h);
        e = *ev;
        e.len = ev->text != NULL && ev->len > 0 ? (uint32_t)strnlen(ev->text, ev->len) : 0;
        e.text = e.len > 0 ? ev->text : "";
        before = c->bytes;
        pack(h, c, &e, e.len);
        h->stored += c->bytes - before;
        h->len++;
        model_apply(h->live, &e);
}

size_t history_len(const history *h)
{
        return (size_t)h->len;
}

uint64_t history_first_seq(const history *h)
{
        return h->nchunks > 0 ? h->slots[h->head]->base : 0;
}

const model *history_live(const history *h)
{
        return h->live;
}

/* The chunk whose snapshot is the latest at or before moment SEQ (SEQ < history_len). */
static chunk *chunk_of(const history *h, uint64_t seq)
{
        size_t lo = 0, hi = h->nchunks;

        if (h->nchunks == 0 || seq < history_first_seq(h) || seq >= h->len)
                return NULL;
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;

                if (h->slots[h->head + mid]->base <= seq)
                        lo = mid;
                else
                        hi = mid;
        }
        return h->slots[h->head + lo];
}

bool history_event(history *h, uint64_t seq, event *out)
{
        chunk *c;
        cursor *k = &h->next;
        text_at ta;
        size_t i;

        if (seq == 0 || seq > h->len || (c = chunk_of(h, seq - 1)) == NULL)
                return false;
        i = (size_t)(seq - 1 - c->base);
        /* going on from the last one when it is just before, else from I's group */
        if (k->c != c || k->i > i || i - k->i >= GROUP)
                cursor_group(k, c, i);
        do
                cursor_next(k, out, &ta);
        while (k->i <= i);
        if (ta.len > 0) {
                const cached *where;

                out->text = text_get(h, c, i, &ta, &where);
        }
        return true;
}

const model *history_at(history *h, uint64_t seq)
{
        chunk *c;
        cursor k;

        if (seq == h->len)
                return h->live;
        if (seq > h->len || seq < history_first_seq(h))
                return NULL;
        c = chunk_of(h, seq);
        if (c == NULL)
                return NULL;
        if (h->cursor == NULL || h->cursor_seq > seq || h->cursor_seq < c->base) {
                model_free(h->cursor);
                h->cursor = model_clone(c->snap);
                h->cursor_seq = c->base;
        }
        if (h->cursor_seq == seq)
                return h->cursor;
        cursor_group(&k, c, (size_t)(h->cursor_seq - c->base));
        while (k.i < seq - c->base) {
                event e;
                text_at ta;
                size_t i = k.i;

                cursor_next(&k, &e, &ta);
                if (i < h->cursor_seq - c->base)
                        continue; /* before the cursor, in its group */
                if (ta.len > 0) {
                        const cached *where;

                        e.text = text_get(h, c, i, &ta, &where);
                }
                model_apply(h->cursor, &e);
        }
        h->cursor_seq = seq;
        return h->cursor;
}

uint64_t history_steps(history *h, uint64_t seq)
{
        const chunk *c, *first;
        cursor k;
        size_t i;
        uint64_t n;

        if (h->nchunks == 0 || seq < history_first_seq(h))
                return 0;
        first = h->slots[h->head];
        if (seq >= h->len)
                return h->steps - first->steps_before;
        c = chunk_of(h, seq);
        i = (size_t)(seq - c->base);
        cursor_group(&k, c, i);
        n = c->steps_before - first->steps_before + c->steps[i / GROUP];
        while (k.i < i) {
                event e;
                text_at ta;

                cursor_next(&k, &e, &ta);
                n += event_begins_step(&e);
        }
        return n;
}

size_t history_bytes(const history *h)
{
        return h->bytes;
}

void history_get_stats(const history *h, history_stats *st)
{
        memset(st, 0, sizeof *st);
        for (size_t k = 0; k < h->nchunks; k++) {
                const chunk *c = h->slots[h->head + k];

                st->snapshots += c->snap_bytes;
                st->events += c->bytes - c->snap_bytes;
        }
        st->chunks = h->nchunks;
        st->other = total_bytes(h, model_bytes(h->live)) - st->snapshots - st->events;
}
