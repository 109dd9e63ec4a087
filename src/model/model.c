/*
 * model.c — the visual state as a fold over events, and the wait-for graph; see model.h.
 *
 * One table (rules[]) says, per event kind, what the event needs to be valid (an actor, a
 * resource of some types), whether it changes its sender's state and to what, and which
 * function applies the rest. Texts are reference counted and immutable (text_*), so a clone
 * shares them; the output and the pool results are packed append-only logs shared between a
 * model and its clones, each model seeing its own prefix, a log copied (its chunks still shared)
 * only when two models diverge (log_*).
 */
#include "model.h"

#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "../util/varint.h"
#include "../util/xalloc.h"

/* ---- shared immutable texts ---------------------------------------------------------------- */

typedef struct text_hdr {
        size_t refs;
        size_t len;
} text_hdr;

static text_hdr *text_head(const char *t)
{
        return (text_hdr *)(void *)((char *)(uintptr_t)t - sizeof(text_hdr));
}

static char *text_new(const char *s, size_t n)
{
        text_hdr *h = xmalloc(sizeof *h + n + 1);
        char *t = (char *)(h + 1);

        h->refs = 1;
        h->len = n;
        memcpy(t, s, n);
        t[n] = '\0';
        return t;
}

static char *text_of(const event *ev)
{
        if (ev->text == NULL || ev->len == 0)
                return text_new("", 0);
        return text_new(ev->text, strnlen(ev->text, ev->len));
}

/* EV's text, read as text_of does, without copying it. */
static const char *text_or_empty(const event *ev)
{
        return ev->text != NULL && ev->len > 0 ? ev->text : "";
}

static size_t text_len(const event *ev)
{
        return ev->text != NULL && ev->len > 0 ? strnlen(ev->text, ev->len) : 0;
}

/* The decimal of a well-formed EVENT_INT's int (int_as_decimal let it through) into BUF, with
 * its NUL; its length. */
static size_t int_decimal(const event *ev, char buf[VALUE_INT_TEXT])
{
        int64_t i;
        size_t n;

        memcpy(&i, ev->text, sizeof(i));
        n = value_int_decimal(i, buf);
        buf[n] = '\0';
        return n;
}

/* The longest text text_set copies byte by byte; a longer one goes to memcpy. */
#define TEXT_SHORT 16

/* *T becomes EV's text: in place when nobody else holds *T and it has room (a var stored over
 * and over, a worker's next argument: no allocation each time). */
static void text_set(const char **t, const event *ev)
{
        text_hdr *h = *t != NULL ? text_head(*t) : NULL;
        size_t n;

        /* A short text into room it surely fits (at most LEN bytes, no more than there): the
         * length found while copying, one pass and no calls instead of strnlen and memcpy (a
         * counter's value, stored at every step). The same text as the way below: up to the
         * first NUL within LEN. */
        if (h != NULL && h->refs == 1 && ev->len <= TEXT_SHORT && ev->len <= h->len &&
            ev->text != NULL) {
                char *d = (char *)(h + 1);
                const char *src = ev->text;
                size_t len = ev->len;

                for (n = 0; n < len && src[n] != '\0'; n++)
                        d[n] = src[n];
                d[n] = '\0';
                h->len = n;
                return;
        }
        n = text_len(ev);

        /* no longer than the text there: the room is known without asking malloc */
        if (h != NULL && h->refs == 1 &&
            (n <= h->len || malloc_usable_size(h) >= sizeof *h + n + 1)) {
                char *d = (char *)(h + 1);

                if (n > 0)
                        memcpy(d, ev->text, n);
                d[n] = '\0';
                h->len = n;
                return;
        }
        if (h != NULL && --h->refs == 0)
                free(h);
        *t = text_of(ev);
}

static const char *text_ref(const char *t)
{
        if (t != NULL)
                text_head(t)->refs++;
        return t;
}

static void text_unref(const char *t)
{
        text_hdr *h;

        if (t == NULL)
                return;
        h = text_head(t);
        if (--h->refs == 0)
                free(h);
}

static size_t text_bytes(const char *t)
{
        return t != NULL ? sizeof(text_hdr) + text_head(t)->len + 1 : 0;
}

/* ---- append-only logs shared by clones -------------------------------------------------- */

/*
 * A log (the printed lines, a pool's results) is packed: its lines are records in chunks of a few
 * KiB, one after the other, so that a line costs a few bytes besides its text and no allocation
 * of its own. A record:
 *   seq - the previous line's seq, zigzag varint (the chunk's first line: from 0)
 *   actor, zigzag varint, shifted left by one: the low bit says the line is an int
 *   index - the previous line's index, zigzag varint (the first: from 0; the output's are all 0)
 *   the text, then a NUL (read in place: a line's text points into its chunk); or an int's
 *   zigzag varint (a pool's int result: its decimal is written when the line is read, into the
 *   reader's model_line, so that folding a result writes no decimal and keeps a few bytes)
 * A chunk is never moved nor grown once made, so the texts handed out stay where they are while
 * other lines are appended; a chunk that two logs share (refs > 1) is never written (a model
 * alone on its log that diverges cuts it and writes over the lines cut, which nobody sees). The
 * chunks are found by their first line's number (a binary search), a line within its chunk by
 * decoding the ones before it, or from where the last lookup stopped (the log's cursor), which
 * makes reading the lines in order (a view, a replay comparing each line) a step each.
 */

#define LOG_CHUNK_MIN 256  /* a log's first chunk, so that a short log stays small */
#define LOG_CHUNK_MAX 4096 /* the chunk the others grow to, the header included */

/* The chunk a log grows to in a model no snapshot shares (model_keep_no_history) */
#define LOG_CHUNK_UNSHARED ((size_t)64 << 10)

typedef struct log_chunk {
        size_t refs;  /* logs holding it */
        size_t start; /* its first line's number in the log */
        uint64_t seq; /* its last line's seq and index, which the next line's start from */
        int64_t index;
        uint32_t n;         /* lines */
        uint32_t used, cap; /* bytes of data */
        unsigned char data[];
} log_chunk;

struct model_log {
        size_t refs;
        log_chunk **chunks; /* chunks[head .. head + nchunks - 1], oldest first */
        size_t head, nchunks, capchunks;
        size_t first;  /* lines dropped from the front (model_trim_logs) */
        size_t n;      /* lines, the dropped ones included */
        size_t skip;   /* bytes of the head chunk's dropped lines */
        size_t sealed; /* the chunks' bytes but the newest's (which counts only what it uses) */
        /* the cursor: line k starts at off in chunk c, the line before it had seq and index */
        struct {
                const log_chunk *c;
                size_t k, off;
                uint64_t seq;
                int64_t index;
        } at;
};

static log_chunk *log_tail(const struct model_log *l)
{
        return l->nchunks > 0 ? l->chunks[l->head + l->nchunks - 1] : NULL;
}

/* What L takes: its sealed chunks whole, the newest as far as it is used, the lines dropped
 * from the front not. */
static size_t log_bytes(const struct model_log *l)
{
        const log_chunk *t = log_tail(l);

        return sizeof *l + l->capchunks * sizeof *l->chunks + l->sealed +
               (t != NULL ? sizeof *t + t->used : 0) - l->skip;
}

static void chunk_unref(log_chunk *c)
{
        if (--c->refs == 0)
                free(c);
}

static void log_unref(struct model_log *l)
{
        if (l == NULL || --l->refs > 0)
                return;
        for (size_t k = 0; k < l->nchunks; k++)
                chunk_unref(l->chunks[l->head + k]);
        free(l->chunks);
        free(l);
}

/* Decodes the record at C->data + *OFF into LINE, its deltas from *SEQ and *INDEX (which become
 * the line's), and moves *OFF past it. */
static void record_read(const log_chunk *c, size_t *off, uint64_t *seq, int64_t *index,
                        model_line *line)
{
        const unsigned char *p = c->data;

        *seq += varint_unzigzag(varint_get(p, off));
        line->seq = *seq;
        uint64_t who = varint_get(p, off);

        line->actor = (int)varint_signed(varint_unzigzag(who >> 1));
        *index = varint_signed((uint64_t)*index + varint_unzigzag(varint_get(p, off)));
        line->index = *index;
        if (who & 1) {
                int64_t i = varint_signed(varint_unzigzag(varint_get(p, off)));

                line->num[value_int_decimal(i, line->num)] = '\0';
                line->text = line->num;
                return;
        }
        line->text = (const char *)p + *off;
        *off += strlen(line->text) + 1;
}

/* The chunk of L that holds line K (K < L->n, not dropped). */
static size_t log_find(const struct model_log *l, size_t k)
{
        size_t lo = l->head, hi = l->head + l->nchunks - 1;

        while (lo < hi) {
                size_t mid = lo + (hi - lo + 1) / 2;

                if (l->chunks[mid]->start <= k)
                        lo = mid;
                else
                        hi = mid - 1;
        }
        return lo;
}

/* Decodes line K of L (one it holds) into LINE; leaves the cursor at the line after it. */
static void log_line(struct model_log *l, size_t k, model_line *line)
{
        const log_chunk *c = l->at.c;

        if (c == NULL || k < l->at.k || k >= c->start + c->n) {
                c = l->at.c = l->chunks[log_find(l, k)];
                l->at.k = c->start;
                l->at.off = 0;
                l->at.seq = 0;
                l->at.index = 0;
        }
        for (;;) {
                record_read(c, &l->at.off, &l->at.seq, &l->at.index, line);
                if (l->at.k++ == k)
                        return;
        }
}

/* Cuts L (whose lines no other log shares: L->refs is 1) to its first N lines, N >= L->first. */
static void log_cut(struct model_log *l, size_t n)
{
        log_chunk *c;
        model_line line;
        size_t off = 0;
        uint64_t seq = 0;
        int64_t index = 0;

        l->at.c = NULL;
        /* the chunks that start at line N or later (none of their lines was dropped: N is at
         * least L->first) */
        while (l->nchunks > 0 && (c = log_tail(l))->start >= n) {
                l->nchunks--;
                chunk_unref(c);
                if (l->nchunks > 0)
                        l->sealed -= sizeof *c + log_tail(l)->cap;
                else
                        l->head = 0;
        }
        l->n = n;
        c = log_tail(l);
        if (c == NULL || c->start + c->n <= n)
                return;
        for (size_t k = c->start; k < n; k++)
                record_read(c, &off, &seq, &index, &line);
        if (c->refs > 1) { /* a shared chunk is copied, not written */
                log_chunk *d = xmalloc(sizeof *d + c->cap);

                memcpy(d, c, sizeof *d + off);
                d->refs = 1;
                chunk_unref(c);
                l->chunks[l->head + l->nchunks - 1] = c = d;
        }
        c->n = (uint32_t)(n - c->start);
        c->used = (uint32_t)off;
        c->seq = seq;
        c->index = index;
}

/* Appends a record to L, in its newest chunk if it fits there, else in a new one: TEXT (LEN
 * bytes), or with NUM the int *NUM. */
static void log_push(struct model_log *l, size_t chunk_max, uint64_t seq, int actor, int64_t index,
                     const char *text, size_t len, const int64_t *num)
{
        log_chunk *c = log_tail(l);
        uint64_t dseq = varint_zigzag(seq - (c != NULL ? c->seq : 0));
        uint64_t dindex = varint_zigzag((uint64_t)index - (uint64_t)(c != NULL ? c->index : 0));
        uint64_t who = varint_zigzag((uint64_t)(int64_t)actor) << 1 | (num != NULL);
        uint64_t znum = num != NULL ? varint_zigzag((uint64_t)*num) : 0;
        size_t off, body = num != NULL ? varint_len(znum) : len + 1;
        size_t need = varint_len(dseq) + varint_len(who) + varint_len(dindex) + body;

        if (c == NULL || c->refs > 1 || c->cap - c->used < need) {
                size_t cap = c != NULL ? 2 * (sizeof *c + c->cap) : LOG_CHUNK_MIN;

                cap = (cap > chunk_max ? chunk_max : cap) - sizeof *c;
                /* a line longer than a chunk: a chunk that holds it and the usual room after */
                if (cap < need)
                        cap += need;
                if (c != NULL)
                        l->sealed += sizeof *c + c->cap;
                if (l->head > 0 && l->head + l->nchunks == l->capchunks) {
                        memmove(l->chunks, l->chunks + l->head, l->nchunks * sizeof *l->chunks);
                        l->head = 0;
                }
                l->chunks =
                    xgrow(l->chunks, &l->capchunks, l->head + l->nchunks + 1, sizeof *l->chunks);
                c = xmalloc(sizeof *c + cap);
                /* A chunk of many pages, fresh heap as a rule, written through: its pages in one
                 * call, not a fault each (a fault costs 12 µs on some virtual machines) */
                if (sizeof *c + cap > LOG_CHUNK_MAX)
                        xpopulate(c, sizeof *c + cap);
                *c = (log_chunk){ .refs = 1, .start = l->n, .cap = (uint32_t)cap };
                l->chunks[l->head + l->nchunks++] = c;
        }
        if (c->n == 0) { /* a new chunk's first line starts from 0 */
                dseq = varint_zigzag(seq);
                dindex = varint_zigzag((uint64_t)index);
        }
        off = c->used;
        varint_put(c->data, &off, dseq);
        varint_put(c->data, &off, who);
        varint_put(c->data, &off, dindex);
        if (num != NULL) {
                varint_put(c->data, &off, znum);
        } else {
                memcpy(c->data + off, text, len);
                c->data[off + len] = '\0';
                off += len + 1;
        }
        c->used = (uint32_t)off;
        c->seq = seq;
        c->index = index;
        c->n++;
        l->n++;
}

/* A copy of L sharing its chunks (each model then writes only its own). */
static struct model_log *log_copy(const struct model_log *l)
{
        struct model_log *c = xmalloc(sizeof *c);

        *c = *l;
        c->refs = 1;
        c->head = 0;
        c->capchunks = l->nchunks;
        c->chunks = NULL;
        if (l->nchunks > 0) {
                c->chunks = xmalloc(l->nchunks * sizeof *c->chunks);
                memcpy(c->chunks, l->chunks + l->head, l->nchunks * sizeof *c->chunks);
        }
        for (size_t k = 0; k < c->nchunks; k++)
                c->chunks[k]->refs++;
        c->at.c = NULL;
        return c;
}

/* Appends a line (TEXT, LEN bytes with no NUL among them, is copied; or with NUM the int *NUM,
 * whose line reads as its decimal) to the view (*LP, its first *NP lines). A model at the end of
 * the log appends in place; one behind it either finds the same line next (a model rebuilt from a
 * snapshot replays what the live model did) or gets a log of its own, which shares the chunks
 * before the lines it diverges from. A line already dropped cannot be compared: a model behind the
 * dropped front is taken to replay. */
static void log_append(struct model_log **lp, size_t *np, size_t chunk_max, uint64_t seq, int actor,
                       int64_t index, const char *text, size_t len, const int64_t *num)
{
        struct model_log *l = *lp;

        if (l != NULL && l->n > *np) {
                model_line next;
                char buf[VALUE_INT_TEXT];

                if (*np < l->first) {
                        (*np)++;
                        return;
                }
                log_line(l, *np, &next);
                if (num != NULL) { /* compared as its line reads */
                        len = value_int_decimal(*num, buf);
                        text = buf;
                }
                if (next.seq == seq && next.actor == actor && next.index == index &&
                    strncmp(next.text, text, len) == 0 && next.text[len] == '\0') {
                        (*np)++;
                        return;
                }
                if (l->refs > 1) {
                        l->refs--;
                        l = *lp = log_copy(l);
                }
                log_cut(l, *np);
        }
        if (l == NULL) {
                l = *lp = xcalloc(1, sizeof *l);
                l->refs = 1;
        }
        log_push(l, chunk_max, seq, actor, index, text, len, num);
        *np = l->n;
}

/* Drops the oldest lines of L until it takes at most MAX bytes (for every model that shares
 * it). Returns the bytes freed. */
static size_t log_trim(struct model_log *l, size_t max)
{
        size_t before;

        if (l == NULL || log_bytes(l) <= max)
                return 0;
        before = log_bytes(l);
        l->at.c = NULL;
        while (l->first < l->n && log_bytes(l) > max) {
                log_chunk *c = l->chunks[l->head];
                model_line line;
                size_t off = l->skip;
                uint64_t seq = 0;
                int64_t index = 0;

                record_read(c, &off, &seq, &index, &line); /* only its length counts */
                l->skip = off;
                if (++l->first == c->start + c->n) { /* the whole chunk is dropped */
                        l->skip = 0;
                        l->head++;
                        if (--l->nchunks > 0)
                                l->sealed -= sizeof *c + c->cap;
                        else
                                l->head = 0;
                        chunk_unref(c);
                }
        }
        return before - log_bytes(l);
}

/* A view's first kept line (lines before it were dropped), and how many it keeps. */
static size_t log_dropped(const struct model_log *l, size_t n)
{
        return l == NULL ? 0 : n < l->first ? n : l->first;
}

static const model_line *log_at(struct model_log *l, size_t n, size_t i, model_line *line)
{
        size_t k = log_dropped(l, n) + i;

        if (l == NULL || k >= n)
                return NULL;
        log_line(l, k, line);
        return line;
}

/* ---- small containers ------------------------------------------------------------------- */

static void ids_push(model_ids *l, int a)
{
        l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
        l->v[l->n++] = a;
}

static void ids_remove_at(model_ids *l, size_t k)
{
        memmove(l->v + k, l->v + k + 1, (l->n - k - 1) * sizeof *l->v);
        l->n--;
}

/* Removes the first entry A; returns whether there was one. */
static bool ids_remove(model_ids *l, int a)
{
        for (size_t k = 0; k < l->n; k++)
                if (l->v[k] == a) {
                        ids_remove_at(l, k);
                        return true;
                }
        return false;
}

static void ids_dup(model_ids *l)
{
        int *v = NULL;

        if (l->n > 0) {
                v = xmalloc(l->n * sizeof *v);
                memcpy(v, l->v, l->n * sizeof *v);
        }
        l->v = v;
        l->cap = l->n;
}

_Static_assert(sizeof(model_text) == MODEL_TEXT_SHORT + 1, "a short text fills its slot");

static const char *text_at(const model_text *x)
{
        return x->l.big ? x->l.p : x->s;
}

#define TEXTS_POPULATE ((size_t)64 << 10)
/* EV's text at the end of T: in its slot when it is short, else shared (text_of). */
static void texts_push(model_texts *t, const event *ev)
{
        model_text *x;
        size_t len;
        char buf[VALUE_INT_TEXT];
        event dec;

        if (t->head + t->n == t->cap) {
                if (t->head > 0 && t->head >= t->n) {
                        memmove(t->v, t->v + t->head, t->n * sizeof *t->v);
                        t->head = 0;
                } else {
                        size_t was = t->cap;

                        t->v = xgrow(t->v, &t->cap, t->head + t->n + 1, sizeof *t->v);
                        /* a queue that grows long (a producer far ahead) gets its new pages in
                         * one call, not a fault each, as its items come */
                        if ((t->cap - was) * sizeof *t->v >= TEXTS_POPULATE)
                                xpopulate(t->v + was, (t->cap - was) * sizeof *t->v);
                }
        }
        x = &t->v[t->head + t->n++];
        if (ev->flags & EVENT_INT) { /* well formed: int_as_decimal let it through */
                /* the decimal at once into a short slot, or as any longer text */
                len = int_decimal(ev, buf);
                if (len <= MODEL_TEXT_SHORT) {
                        memset(x, 0, sizeof *x);
                        memcpy(x->s, buf, len);
                        return;
                }
                dec = *ev; /* a longer one: as any text, the decimal written once */
                dec.text = buf;
                dec.len = (uint32_t)len;
                dec.flags &= (uint8_t)~EVENT_INT;
                ev = &dec;
        }
        if (ev->text != NULL && ev->len <= MODEL_TEXT_SHORT) {
                /* short for sure: copied up to its first NUL as text_len reads it, no calls */
                const char *src = ev->text;

                memset(x, 0, sizeof *x);
                for (len = 0; len < ev->len && src[len] != '\0'; len++)
                        x->s[len] = src[len];
                return;
        }
        len = text_len(ev);
        if (len <= MODEL_TEXT_SHORT) {
                memset(x, 0, sizeof *x);
                if (len > 0)
                        memcpy(x->s, ev->text, len);
        } else {
                x->l.p = text_of(ev);
                x->l.big = 1;
        }
}

static void texts_dup(model_texts *t)
{
        model_text *v = NULL;

        if (t->n > 0) {
                v = xmalloc(t->n * sizeof *v);
                memcpy(v, t->v + t->head, t->n * sizeof *v);
                for (size_t k = 0; k < t->n; k++)
                        if (v[k].l.big)
                                text_ref(v[k].l.p);
        }
        t->v = v;
        t->head = 0;
        t->cap = t->n;
}

static void texts_free(model_texts *t)
{
        for (size_t k = 0; k < t->n; k++)
                if (t->v[t->head + k].l.big)
                        text_unref(t->v[t->head + k].l.p);
        free(t->v);
}

static size_t texts_bytes(const model_texts *t)
{
        size_t b = t->cap * sizeof *t->v;

        for (size_t k = 0; k < t->n; k++)
                if (t->v[t->head + k].l.big)
                        b += text_bytes(t->v[t->head + k].l.p);
        return b;
}

/* ---- the model -------------------------------------------------------------------------- */

typedef struct stmt_index {
        size_t refs;
        int n;
        const sc_stmt **v;
        /* per script and resource, what the script has that could end a wait on it (GIVES_*):
         * a byte a pair, worked out once (model_stuck_for_good is asked at every frame) */
        unsigned char *gives;
        int nres;
        int script; /* the script being indexed */
        const scenario *sc;
} stmt_index;

enum {
        GIVES_RELEASE = 1, /* a semaphore's, a lock's (a condition's over it, too) */
        GIVES_SET = 2,
        GIVES_NOTIFY = 4, /* notify, notify_all */
        GIVES_PUT = 8,
        GIVES_GET = 16,
        GIVES_ARRIVE = 32, /* a barrier's wait, abort, reset */
};

struct model {
        const scenario *sc;
        stmt_index *stmts;
        int nactors; /* sc->nactors + 1 */
        model_actor *actors;
        int nres;
        model_res *res;
        struct model_log *out;
        size_t nout;
        size_t log_chunk_max; /* LOG_CHUNK_MAX, or LOG_CHUNK_UNSHARED (model_keep_no_history) */
        model_info info;
        model_error *asserts, *errors;
        size_t nasserts, nerrors; /* kept */
        size_t capasserts, caperrors;
        const char *spare; /* a worker's last argument, which nobody holds: the next one's room */
};

/* The oldest text goes. */
static void texts_pop(model_texts *t)
{
        if (t->n == 0)
                return;
        if (t->v[t->head].l.big)
                text_unref(t->v[t->head].l.p);
        t->head++;
        if (--t->n == 0)
                t->head = 0;
}

#define T(type) (1u << (type))
#define T_LOCKS                                                                                    \
        (T(SC_LOCK) | T(SC_RLOCK) | T(SC_SEMAPHORE) | T(SC_BOUNDED_SEMAPHORE) | T(SC_CONDITION))
#define T_WAITS  (T(SC_EVENT) | T(SC_CONDITION) | T(SC_BARRIER))
#define T_DATA   (T(SC_VAR) | T(SC_LIST) | T(SC_DICT) | T(SC_VALUE) | T(SC_ARRAY))
#define T_ANY    (T(SC_RES_TYPE_COUNT) - 1)
#define MAX_ACTS (SC_MAX_ACTORS + 1)

/* What a BLOCKED actor does on each type of resource, before the statement refines it. */
static const model_op blocked_op[SC_RES_TYPE_COUNT] = {
        [SC_LOCK] = MODEL_OP_ACQUIRE,      [SC_RLOCK] = MODEL_OP_ACQUIRE,
        [SC_SEMAPHORE] = MODEL_OP_ACQUIRE, [SC_BOUNDED_SEMAPHORE] = MODEL_OP_ACQUIRE,
        [SC_CONDITION] = MODEL_OP_ACQUIRE, [SC_EVENT] = MODEL_OP_WAIT,
        [SC_BARRIER] = MODEL_OP_WAIT,      [SC_QUEUE] = MODEL_OP_GET,
        [SC_PIPE] = MODEL_OP_RECV,         [SC_VAR] = MODEL_OP_OTHER,
        [SC_LIST] = MODEL_OP_OTHER,        [SC_DICT] = MODEL_OP_OTHER,
        [SC_VALUE] = MODEL_OP_OTHER,       [SC_ARRAY] = MODEL_OP_OTHER,
        [SC_POOL] = MODEL_OP_OTHER,
};

static const char *const state_words[MODEL_STATE_COUNT] = {
        [MODEL_NEW] = "new",         [MODEL_READY] = "ready",     [MODEL_RUNNING] = "running",
        [MODEL_BLOCKED] = "blocked", [MODEL_WAITING] = "waiting", [MODEL_SLEEPING] = "sleeping",
        [MODEL_DONE] = "done",       [MODEL_CRASHED] = "crashed",
};

const char *model_state_word(model_state s)
{
        return (unsigned)s < MODEL_STATE_COUNT ? state_words[s] : "unknown";
}

const char *model_actor_word(const model_actor *a)
{
        /* a raised error ends the actor as a crash does, but nothing crashed (the summary and
         * the header say "error" too) */
        return a->state == MODEL_CRASHED && a->signal == -1 ? "error" : model_state_word(a->state);
}

static bool dead(const model_actor *a)
{
        return a->state == MODEL_DONE || a->state == MODEL_CRASHED;
}

/* A lock with a holder: lock, rlock, or a condition with a lock of its own. */
static bool lockish(const model_res *r)
{
        return r->type == SC_LOCK || r->type == SC_RLOCK ||
               (r->type == SC_CONDITION && r->lock < 0);
}

/* Plain memory that a fork() copies. */
static bool forked_data(const model_res *r)
{
        return r->type == SC_VAR || ((r->type == SC_LIST || r->type == SC_DICT) && !r->manager);
}

static void index_stmt(const sc_stmt *s, void *ctx)
{
        stmt_index *ix = ctx;
        unsigned char *g = ix->gives + (size_t)ix->script * (size_t)ix->nres;
        int r = s->res;

        if (s->id >= 0 && s->id < ix->n)
                ix->v[s->id] = s;
        if (r < 0 || r >= ix->nres)
                return;
        switch (s->kind) {
        case SC_RELEASE:
                g[r] |= GIVES_RELEASE;
                if (ix->sc->resources[r].type == SC_CONDITION && ix->sc->resources[r].lock >= 0)
                        g[ix->sc->resources[r].lock] |= GIVES_RELEASE; /* its lock's release */
                break;
        case SC_WITH:
                /* a semaphore's `with` gives back the permit it took: its holder is not always
                 * among the model's (a release too many thins them out) */
                if (ix->sc->resources[r].type == SC_SEMAPHORE ||
                    ix->sc->resources[r].type == SC_BOUNDED_SEMAPHORE)
                        g[r] |= GIVES_RELEASE;
                break;
        case SC_SET: g[r] |= GIVES_SET; break;
        case SC_NOTIFY:
        case SC_NOTIFY_ALL: g[r] |= GIVES_NOTIFY; break;
        case SC_PUT: g[r] |= GIVES_PUT; break;
        case SC_GET: g[r] |= GIVES_GET; break;
        case SC_WAIT:
        case SC_ABORT:
        case SC_RESET:
                if (ix->sc->resources[r].type == SC_BARRIER)
                        g[r] |= GIVES_ARRIVE;
                break;
        default: break;
        }
}

static void init_res(model_res *r, const scenario *sc, int k)
{
        const sc_resource *sr = &sc->resources[k];
        int nres = sc->nresources;
        strbuf sb = STRBUF_INIT;

        r->name = sr->name;
        r->type = sr->type;
        r->lock = sr->type == SC_CONDITION && sr->lock >= 0 && sr->lock < nres ? sr->lock : -1;
        r->holder = -1;
        r->worker = -1;
        if (sr->type == SC_LOCK && sr->pool >= 0 && sr->pool < nres &&
            sc->resources[sr->pool].gil_res >= 0 && k >= sc->resources[sr->pool].gil_res)
                r->worker = k - sc->resources[sr->pool].gil_res;
        switch (sr->type) {
        case SC_SEMAPHORE:
        case SC_BOUNDED_SEMAPHORE: r->count = r->initial = sr->count; break;
        case SC_BARRIER: r->parties = sr->count; break;
        case SC_QUEUE: r->max = sr->count; break;
        case SC_PIPE: r->duplex = sr->duplex; break;
        case SC_POOL:
                r->nworkers = sr->count < 0 ? 0 : sr->count > 64 ? 64 : (int)sr->count;
                r->workers = xcalloc((size_t)r->nworkers, sizeof *r->workers);
                for (int w = 0; w < r->nworkers; w++)
                        r->workers[w].task = -1;
                break;
        case SC_VAR:
        case SC_LIST:
        case SC_DICT:
        case SC_VALUE:
        case SC_ARRAY:
                r->manager = sr->via_manager;
                value_repr(sr->init, &sb);
                r->copies = xgrow(NULL, &r->capcopies, 1, sizeof *r->copies);
                r->copies[0] =
                    (model_copy){ .owner = -1, .text = text_new(strbuf_str(&sb), sb.len) };
                r->ncopies = 1;
                strbuf_free(&sb);
                break;
        default: break;
        }
}

model *model_new(const scenario *sc)
{
        model *m = xcalloc(1, sizeof *m);

        if (sc->nactors < 0 || sc->nactors > SC_MAX_ACTORS)
                xdie("model_new: %d actors", sc->nactors);
        m->sc = sc;
        m->log_chunk_max = LOG_CHUNK_MAX;
        m->stmts = xcalloc(1, sizeof *m->stmts);
        m->stmts->refs = 1;
        m->stmts->n = sc->nstmts > 0 ? sc->nstmts : 0;
        m->stmts->v = xcalloc((size_t)m->stmts->n + 1, sizeof *m->stmts->v);
        m->stmts->sc = sc;
        m->stmts->nres = sc->nresources;
        m->stmts->gives = xcalloc((size_t)(sc->nscripts > 0 ? sc->nscripts : 1) *
                                      (size_t)(sc->nresources > 0 ? sc->nresources : 1),
                                  1);
        for (int k = 0; k < sc->nscripts; k++) {
                m->stmts->script = k;
                scenario_walk(&sc->scripts[k].body, index_stmt, m->stmts);
        }
        m->nactors = sc->nactors + 1;
        m->actors = xcalloc((size_t)m->nactors, sizeof *m->actors);
        for (int a = 0; a < m->nactors; a++) {
                model_actor *x = &m->actors[a];

                x->name = a < sc->nactors ? sc->actors[a].name : MODEL_MAIN_NAME;
                x->process = a < sc->nactors && sc->actors[a].kind == SC_PROCESS;
                x->home = x->process ? a : -1;
                x->state = MODEL_NEW;
                x->stmt = -1;
                x->res = -1;
                x->join = -1;
                x->end = -1;
        }
        m->nres = sc->nresources;
        m->res = xcalloc((size_t)m->nres + 1, sizeof *m->res);
        for (int r = 0; r < m->nres; r++)
                init_res(&m->res[r], sc, r);
        m->info.outcome = OUTCOME_RUNNING;
        m->info.caption_actor = EVENT_RUNNER;
        return m;
}

static void res_dup(model_res *r)
{
        model_copy *c = NULL;
        model_worker *w = NULL;

        ids_dup(&r->blocked);
        ids_dup(&r->putters);
        ids_dup(&r->waiting);
        ids_dup(&r->holders);
        ids_dup(&r->asking);
        texts_dup(&r->items);
        texts_dup(&r->flow[0]);
        texts_dup(&r->flow[1]);
        if (r->ncopies > 0) {
                c = xmalloc(r->ncopies * sizeof *c);
                for (size_t k = 0; k < r->ncopies; k++) {
                        c[k] = r->copies[k];
                        text_ref(c[k].text);
                }
        }
        r->copies = c;
        r->capcopies = r->ncopies;
        if (r->nworkers > 0) {
                w = xmalloc((size_t)r->nworkers * sizeof *w);
                for (int k = 0; k < r->nworkers; k++) {
                        w[k] = r->workers[k];
                        text_ref(w[k].arg);
                }
        }
        r->workers = w;
        if (r->results != NULL)
                r->results->refs++;
}

static model_error *errors_dup(const model_error *v, size_t n)
{
        model_error *d = NULL;

        if (n > 0) {
                d = xmalloc(n * sizeof *d);
                for (size_t k = 0; k < n; k++) {
                        d[k] = v[k];
                        text_ref(d[k].text);
                }
        }
        return d;
}

void model_keep_no_history(model *m)
{
        m->log_chunk_max = LOG_CHUNK_UNSHARED;
}

model *model_clone(const model *src)
{
        model *m = xmalloc(sizeof *m);

        *m = *src;
        m->stmts->refs++;
        m->actors = xmalloc((size_t)m->nactors * sizeof *m->actors);
        memcpy(m->actors, src->actors, (size_t)m->nactors * sizeof *m->actors);
        for (int a = 0; a < m->nactors; a++)
                text_ref(m->actors[a].why);
        m->res = xmalloc(((size_t)m->nres + 1) * sizeof *m->res);
        memcpy(m->res, src->res, (size_t)m->nres * sizeof *m->res);
        for (int r = 0; r < m->nres; r++)
                res_dup(&m->res[r]);
        if (m->out != NULL)
                m->out->refs++;
        text_ref(m->info.caption);
        text_ref(m->info.reason);
        m->asserts = errors_dup(src->asserts, src->nasserts);
        m->capasserts = src->nasserts;
        m->errors = errors_dup(src->errors, src->nerrors);
        m->caperrors = src->nerrors;
        m->spare = NULL;
        return m;
}

static void errors_free(model_error *v, size_t n)
{
        for (size_t k = 0; k < n; k++)
                text_unref(v[k].text);
        free(v);
}

void model_free(model *m)
{
        if (m == NULL)
                return;
        if (--m->stmts->refs == 0) {
                free(m->stmts->gives);
                free(m->stmts->v);
                free(m->stmts);
        }
        for (int a = 0; a < m->nactors; a++)
                text_unref(m->actors[a].why);
        free(m->actors);
        for (int k = 0; k < m->nres; k++) {
                model_res *r = &m->res[k];

                free(r->blocked.v);
                free(r->putters.v);
                free(r->waiting.v);
                free(r->holders.v);
                free(r->asking.v);
                texts_free(&r->items);
                texts_free(&r->flow[0]);
                texts_free(&r->flow[1]);
                for (size_t c = 0; c < r->ncopies; c++)
                        text_unref(r->copies[c].text);
                free(r->copies);
                for (int w = 0; w < r->nworkers; w++)
                        text_unref(r->workers[w].arg);
                free(r->workers);
                log_unref(r->results);
        }
        free(m->res);
        log_unref(m->out);
        text_unref(m->info.caption);
        text_unref(m->info.reason);
        errors_free(m->asserts, m->nasserts);
        errors_free(m->errors, m->nerrors);
        text_unref(m->spare);
        free(m);
}

/* ---- applying events -------------------------------------------------------------------- */

static const sc_stmt *stmt_at(const model *m, int id)
{
        return id >= 0 && id < m->stmts->n ? m->stmts->v[id] : NULL;
}

static int res_index(const model *m, const model_res *r)
{
        return r != NULL ? (int)(r - m->res) : -1;
}

static void set_state(model_actor *a, model_state s, uint64_t seq)
{
        if (a->state != s) {
                a->state = s;
                a->since = seq;
        }
}

/* Actor AN stops waiting (WOKE: it was woken, which takes a notify or a barrier release). */
static void end_wait(model *m, int an, bool woke)
{
        model_actor *a = &m->actors[an];

        if (a->op == MODEL_OP_NONE)
                return;
        if (a->res >= 0) {
                model_res *r = &m->res[a->res];

                if (a->state == MODEL_WAITING) {
                        if (woke && r->type == SC_BARRIER && r->pending == 0) {
                                r->pending = (int64_t)r->waiting.n;
                                r->arrivals = 0;
                        }
                        if (ids_remove(&r->waiting, an) && woke && r->pending > 0)
                                r->pending--;
                        if (r->pending > (int64_t)r->waiting.n)
                                r->pending = (int64_t)r->waiting.n;
                } else {
                        bool put = a->op == MODEL_OP_PUT || a->op == MODEL_OP_SEND;

                        ids_remove(put ? &r->putters : &r->blocked, an);
                }
        }
        a->op = MODEL_OP_NONE;
        a->res = -1;
        a->join = -1;
        a->end = -1;
        a->timed = false;
}

static void push_error(model_error **v, size_t *n, size_t *cap, const event *ev, event_kind kind,
                       int signal, int64_t code)
{
        if (*n >= MODEL_MAX_KEPT)
                return;
        *v = xgrow(*v, cap, *n + 1, sizeof **v);
        (*v)[(*n)++] = (model_error){ .seq = ev->seq,
                                      .actor = ev->actor,
                                      .kind = kind,
                                      .signal = signal,
                                      .code = code,
                                      .text = text_of(ev) };
}

/* The copy of R owned by OWNER (-1: the shared one), or -1 when it has none. */
static int copy_of(const model_res *r, int owner)
{
        for (size_t c = 0; c < r->ncopies; c++)
                if (r->copies[c].owner == owner)
                        return (int)c;
        return -1;
}

/* Process actor AN forked: its own copy of the plain data, as the process FROM had it (-1: the
 * main process); a copy it has already is kept. */
static void fork_copies(model *m, int an, int from)
{
        for (int k = 0; k < m->nres; k++) {
                model_res *d = &m->res[k];
                int src;

                if (!forked_data(d) || copy_of(d, an) >= 0)
                        continue;
                src = copy_of(d, from);
                if (src < 0)
                        src = 0; /* the process never changed it: as forked, or the shared one */
                d->copies = xgrow(d->copies, &d->capcopies, d->ncopies + 1, sizeof *d->copies);
                d->copies[d->ncopies] = d->copies[src];
                d->copies[d->ncopies].owner = an;
                text_ref(d->copies[d->ncopies++].text);
        }
}

static void on_start(model *m, const event *ev, model_actor *a, model_res *r)
{
        a->pid = ev->aux;
        if (a->process)
                fork_copies(m, (int)(a - m->actors), -1);
}

static void on_ready(model *m, const event *ev, model_actor *a, model_res *r)
{
        /* an actor unwinding from a failed assert (its `why` set) stays at the assert's line, as
         * a traceback does, while a `with` it is in gives its lock back */
        if (stmt_at(m, ev->stmt) != NULL && a->why == NULL)
                a->stmt = ev->stmt;
}

/* A `start` statement's step: the threads it starts live in the starter's process, and the
 * processes it starts are forked from it now, not at their own START (model.h). */
static void started_by(model *m, const sc_stmt *s, const model_actor *starter)
{
        for (int k = 0; k < s->ntargets; k++) {
                int t = s->targets[k];
                model_actor *x;

                if (t < 0 || t >= m->nactors - 1)
                        continue;
                x = &m->actors[t];
                if (x->state != MODEL_NEW || x->launched)
                        continue; /* started twice: the second start fails */
                x->launched = true;
                if (x->process)
                        fork_copies(m, t, starter->home);
                else
                        x->home = starter->home;
        }
}

static void on_step(model *m, const event *ev, model_actor *a, model_res *r)
{
        const sc_stmt *s = stmt_at(m, ev->stmt);

        on_ready(m, ev, a, r);
        a->steps++;
        m->info.steps++;
        if (s != NULL && s->kind == SC_START)
                started_by(m, s, a);
}

static void on_crash(model *m, const event *ev, model_actor *a, model_res *r)
{
        bool error = ev->kind == EV_ERROR;
        int signal = error ? -1 : ev->aux;
        int64_t code = error ? 0 : ev->num;

        m->info.nerrors++;
        push_error(&m->errors, &m->nerrors, &m->caperrors, ev, (event_kind)ev->kind, signal, code);
        if (a == NULL)
                return;
        /* a process killed while it waited for the Manager's server never gets its reply */
        for (int k = 0; k < m->nres; k++)
                ids_remove(&m->res[k].asking, ev->actor);
        a->signal = signal;
        a->code = code;
        text_set(&a->why, ev);
        /* the line of the error, not of the `with` whose release came before it (the unwind) */
        if (stmt_at(m, ev->stmt) != NULL)
                a->stmt = ev->stmt;
}

/* The op of a BLOCKED event: by the resource's type, refined by the statement. */
static model_op blocked_op_of(const model *m, const event *ev, const model_actor *a,
                              const model_res *r, int *end)
{
        const sc_stmt *s = stmt_at(m, ev->stmt);
        model_op op = blocked_op[r->type];

        *end = -1;
        if (s == NULL)
                s = stmt_at(m, a->stmt);
        if (s != NULL && s->res != res_index(m, r))
                s = NULL;
        if (r->type == SC_QUEUE) {
                if (s != NULL && (s->kind == SC_PUT || s->kind == SC_GET))
                        op = s->kind == SC_PUT ? MODEL_OP_PUT : MODEL_OP_GET;
                else if (r->max > 0 && (int64_t)r->items.n >= r->max)
                        op = MODEL_OP_PUT;
        } else if (r->type == SC_PIPE && s != NULL && (s->kind == SC_SEND || s->kind == SC_RECV)) {
                op = s->kind == SC_SEND ? MODEL_OP_SEND : MODEL_OP_RECV;
                *end = s->end == 0 || s->end == 1 ? s->end : -1;
        }
        return op;
}

static void on_blocked(model *m, const event *ev, model_actor *a, model_res *r)
{
        int an = (int)(a - m->actors), ri = res_index(m, r), join = r == NULL ? ev->other : -1;
        int end = -1;
        model_op op = r == NULL ? MODEL_OP_JOIN : blocked_op_of(m, ev, a, r, &end);

        if (!(a->state == MODEL_BLOCKED && a->res == ri && a->join == join && a->op == op &&
              a->end == end)) {
                end_wait(m, an, false);
                a->op = op;
                a->res = ri;
                a->join = join;
                a->end = end;
                a->since = ev->seq;
                if (r != NULL)
                        ids_push(op == MODEL_OP_PUT || op == MODEL_OP_SEND ? &r->putters
                                                                           : &r->blocked,
                                 an);
        }
        a->timed = ev->aux == 1;
        /* a full pipe: a message received from its end makes room (stepped, the sender says it
         * is blocked again if the room is not enough yet) */
        if (op == MODEL_OP_SEND && end >= 0)
                a->in_flight = r->flow[end].n;
        /* a full queue, by its count or by its bytes (one between processes holds 16 MiB: an
         * unbounded one fills too): an item taken makes room (stepped, the putter says it is
         * blocked again if the room is not enough yet) */
        if (op == MODEL_OP_PUT)
                a->in_flight = r->items.n;
}

/* The lock a condition uses: its own (itself) or another resource. */
static model_res *cond_lock(model *m, model_res *r)
{
        return r->lock >= 0 ? &m->res[r->lock] : r;
}

static void on_waiting(model *m, const event *ev, model_actor *a, model_res *r)
{
        int an = (int)(a - m->actors), ri = res_index(m, r);

        if (!(a->state == MODEL_WAITING && a->res == ri)) {
                end_wait(m, an, false);
                a->op = MODEL_OP_WAIT;
                a->res = ri;
                a->since = ev->seq;
                ids_push(&r->waiting, an);
                if (r->type == SC_BARRIER) {
                        r->arrivals = ev->num > 0 ? ev->num : r->arrivals + 1;
                        if (r->arrivals >= r->parties) {
                                r->pending = (int64_t)r->waiting.n;
                                r->arrivals = 0;
                        }
                }
        }
        a->timed = ev->aux == 1;
        if (r->type == SC_CONDITION) {
                model_res *l = cond_lock(m, r);

                if (l->holder == an) {
                        a->restore_depth = l->depth;
                        l->holder = -1;
                        l->depth = 0;
                }
        }
}

/* A semaphore's holders never outnumber the permits taken (initial - count). */
static void trim_holders(model_res *r)
{
        int64_t taken = r->initial - r->count;
        size_t keep = taken > 0 ? (size_t)taken : 0;

        if (r->holders.n > keep) {
                size_t drop = r->holders.n - keep;

                memmove(r->holders.v, r->holders.v + drop, keep * sizeof *r->holders.v);
                r->holders.n = keep;
        }
}

static void on_acquired(model *m, const event *ev, model_actor *a, model_res *r)
{
        int an = (int)(a - m->actors);

        if (r->type == SC_SEMAPHORE || r->type == SC_BOUNDED_SEMAPHORE) {
                r->count = ev->num >= 0 ? ev->num : r->count > 0 ? r->count - 1 : 0;
                ids_push(&r->holders, an);
                trim_holders(r);
                return;
        }
        if (r->type == SC_LOCK)
                r->depth = 1;
        else if (ev->num > 0)
                r->depth = ev->num > INT_MAX ? INT_MAX : (int)ev->num;
        else if (r->holder == an)
                r->depth += r->depth < INT_MAX;
        else
                r->depth = a->restore_depth > 0 ? a->restore_depth : 1;
        r->holder = an;
        if (r->worker < 0) /* (a worker's GIL leaves the actor alone: passive) */
                a->restore_depth = 0;
}

static void on_released(model *m, const event *ev, model_actor *a, model_res *r)
{
        int an = ev->actor;

        if (r->type == SC_SEMAPHORE || r->type == SC_BOUNDED_SEMAPHORE) {
                r->count = ev->num >= 0 ? ev->num : r->count < INT64_MAX ? r->count + 1 : r->count;
                if (an >= 0)
                        ids_remove(&r->holders, an);
                trim_holders(r);
                return;
        }
        if (r->type == SC_LOCK) {
                r->holder = -1;
                r->depth = 0;
        } else if (an >= 0 && r->holder == an && --r->depth <= 0) {
                r->holder = -1;
                r->depth = 0;
        }
}

static void on_timeout(model *m, const event *ev, model_actor *a, model_res *r)
{
        if (r != NULL && r->type == SC_BARRIER && r->arrivals > 0)
                r->arrivals--;
}

/* BROKEN and RESET: the round ends for every waiter (each goes on with BrokenBarrierError). */
static void on_broken(model *m, const event *ev, model_actor *a, model_res *r)
{
        r->broken = ev->kind == EV_BROKEN;
        r->arrivals = 0;
        r->pending = (int64_t)r->waiting.n;
}

/* A set wakes every actor waiting then, even if a clear comes before they run: they are the
 * `pending` oldest waiters until each wakes. */
static void on_set(model *m, const event *ev, model_actor *a, model_res *r)
{
        r->set = ev->kind == EV_SET;
        if (r->set)
                r->pending = (int64_t)r->waiting.n;
}

static void on_notified(model *m, const event *ev, model_actor *a, model_res *r)
{
        int64_t n = (int64_t)r->waiting.n;

        if (ev->num > 0)
                r->pending = ev->num >= n - r->pending ? n : r->pending + ev->num;
}

static void on_put(model *m, const event *ev, model_actor *a, model_res *r)
{
        texts_push(&r->items, ev);
}

static void on_got(model *m, const event *ev, model_actor *a, model_res *r)
{
        texts_pop(&r->items);
}

static void on_sent(model *m, const event *ev, model_actor *a, model_res *r)
{
        texts_push(&r->flow[ev->aux], ev);
}

static void on_received(model *m, const event *ev, model_actor *a, model_res *r)
{
        texts_pop(&r->flow[1 - ev->aux]);
}

static void on_closed(model *m, const event *ev, model_actor *a, model_res *r)
{
        r->closed[ev->aux] = true;
}

static void on_changed(model *m, const event *ev, model_actor *a, model_res *r)
{
        int owner = ev->aux >= m->nactors - 1 ? -1 : ev->aux;
        size_t c = 0;

        while (c < r->ncopies && r->copies[c].owner != owner)
                c++;
        if (c == r->ncopies) {
                r->copies = xgrow(r->copies, &r->capcopies, c + 1, sizeof *r->copies);
                r->copies[r->ncopies++] = (model_copy){ .owner = owner, .text = NULL };
        }
        /* an int stays an int until it is shown: no decimal for every step of a counter (its
         * text keeps its room for when the copy holds a text again) */
        if (ev->flags & EVENT_INT) {
                memcpy(&r->copies[c].num, ev->text, sizeof(int64_t));
                r->copies[c].is_int = true;
                return;
        }
        r->copies[c].is_int = false;
        text_set(&r->copies[c].text, ev);
}

const char *model_copy_text(const model_copy *c, char buf[VALUE_INT_TEXT])
{
        if (!c->is_int)
                return c->text;
        buf[value_int_decimal(c->num, buf)] = '\0';
        return buf;
}

const event *model_event_decimal(const event *ev, event *out, char buf[VALUE_INT_TEXT])
{
        if (!(ev->flags & EVENT_INT))
                return ev;
        *out = *ev;
        out->flags &= (uint8_t)~EVENT_INT;
        out->text = buf;
        out->len = 0;
        buf[0] = '\0';
        if (ev->text != NULL && ev->len == sizeof(int64_t)) /* else malformed: no text */
                out->len = (uint32_t)int_decimal(ev, buf);
        return out;
}

/* The kinds whose fold takes an EVENT_INT as it is: CHANGED keeps the int, PUT and SENT write
 * the decimal straight into the item's slot (texts_push), TASK and RESULT into the worker's
 * argument and the results, GOT and RECEIVED do not read the item (they take the oldest). */
#define INT_AS_IS                                                                                  \
        (1ull << EV_CHANGED | 1ull << EV_PUT | 1ull << EV_SENT | 1ull << EV_GOT |                  \
         1ull << EV_RECEIVED | 1ull << EV_TASK | 1ull << EV_RESULT)

/* Whether EV is an EVENT_INT that the fold takes as its decimal: any other kind, and a
 * malformed one. */
static inline bool int_as_decimal(const event *ev)
{
        return (ev->flags & EVENT_INT) &&
               (ev->kind >= EV_KIND_COUNT || !((INT_AS_IS >> ev->kind) & 1u) || ev->text == NULL ||
                ev->len != sizeof(int64_t));
}

void model_apply(model *m, const event *ev);

/* model_apply of an event that int_as_decimal says wants its decimal, written first. */
__attribute__((noinline)) static void apply_decimal(model *m, const event *ev)
{
        event dec;
        char buf[VALUE_INT_TEXT];

        model_apply(m, model_event_decimal(ev, &dec, buf));
}

static void on_request(model *m, const event *ev, model_actor *a, model_res *r)
{
        r->requests++;
        ids_push(&r->asking, ev->actor);
}

static void on_reply(model *m, const event *ev, model_actor *a, model_res *r)
{
        ids_remove(&r->asking, ev->actor);
}

static void on_print(model *m, const event *ev, model_actor *a, model_res *r)
{
        log_append(&m->out, &m->nout, m->log_chunk_max, ev->seq, ev->actor, 0, text_or_empty(ev),
                   text_len(ev), NULL);
}

static void on_say(model *m, const event *ev, model_actor *a, model_res *r)
{
        text_set(&m->info.caption, ev);
        m->info.caption_actor = ev->actor;
        m->info.caption_seq = ev->seq;
}

static void on_sleep(model *m, const event *ev, model_actor *a, model_res *r)
{
        a->sleep_ns = ev->num;
}

/* A worker's argument goes: kept as the model's spare when nobody else holds it, so that the
 * next task's argument is written into it (a pool's task and its result allocate nothing). */
static void arg_drop(model *m, model_worker *w)
{
        if (w->arg != NULL && m->spare == NULL && text_head(w->arg)->refs == 1)
                m->spare = w->arg;
        else
                text_unref(w->arg);
        w->arg = NULL;
        w->arg_int = false;
}

const char *model_worker_arg(const model_worker *w, char buf[VALUE_INT_TEXT])
{
        if (!w->arg_int)
                return w->arg;
        buf[value_int_decimal(w->arg_num, buf)] = '\0';
        return buf;
}

static void on_task(model *m, const event *ev, model_actor *a, model_res *r)
{
        model_worker *w = &r->workers[ev->aux];
        bool again = false;

        /* a task some worker still runs is handed out again: that worker died (and is replaced) */
        for (int k = 0; k < r->nworkers; k++)
                if (r->workers[k].task == ev->num) {
                        again = true;
                        r->workers[k].task = -1;
                        arg_drop(m, &r->workers[k]);
                }
        if (ev->num == 0 && !again) {
                log_unref(r->results);
                r->results = NULL;
                r->nresults = 0;
                r->ntasks = 0;
                for (int k = 0; k < r->nworkers; k++)
                        r->workers[k].done = 0;
        }
        w->task = ev->num;
        /* an int stays an int until it is shown (int_as_decimal: well formed) */
        w->arg_int = (ev->flags & EVENT_INT) != 0;
        if (w->arg_int) {
                memcpy(&w->arg_num, ev->text, sizeof(w->arg_num));
        } else {
                if (w->arg == NULL) {
                        w->arg = m->spare;
                        m->spare = NULL;
                }
                text_set(&w->arg, ev);
        }
        if (ev->num >= r->ntasks)
                r->ntasks = ev->num + 1;
}

static void on_result(model *m, const event *ev, model_actor *a, model_res *r)
{
        model_worker *w = &r->workers[ev->aux];
        int64_t i;

        if (ev->flags & EVENT_INT) { /* well formed (int_as_decimal): kept as an int */
                memcpy(&i, ev->text, sizeof(i));
                log_append(&r->results, &r->nresults, m->log_chunk_max, ev->seq, ev->aux, ev->num,
                           NULL, 0, &i);
        } else {
                log_append(&r->results, &r->nresults, m->log_chunk_max, ev->seq, ev->aux, ev->num,
                           text_or_empty(ev), text_len(ev), NULL);
        }
        w->done++;
        if (w->task == ev->num) {
                w->task = -1;
                arg_drop(m, w);
        }
}

static void on_assert(model *m, const event *ev, model_actor *a, model_res *r)
{
        m->info.nasserts++;
        push_error(&m->asserts, &m->nasserts, &m->capasserts, ev, EV_ASSERT, 0, 0);
        if (!m->info.ended && m->info.outcome == OUTCOME_RUNNING)
                m->info.outcome = OUTCOME_ASSERT;
        /* the AssertionError it raises ends the actor once it has unwound (its EXIT) */
        if (a != NULL)
                text_set(&a->why, ev);
}

/* EXIT: done, or ended by the AssertionError of its failed assert (`why` set), as Python's
 * thread is ended by the exception. */
static void on_finish(model *m, const event *ev, model_actor *a, model_res *r)
{
        if (a->why != NULL)
                a->signal = -1;
        set_state(a, a->why != NULL ? MODEL_CRASHED : MODEL_DONE, ev->seq);
}

static void on_end(model *m, const event *ev, model_actor *a, model_res *r)
{
        m->info.ended = true;
        text_set(&m->info.reason, ev);
        switch (ev->aux) {
        case OUTCOME_RUNNING:
        case OUTCOME_DONE:
        case OUTCOME_ASSERT:
        case OUTCOME_DEADLOCK:
        case OUTCOME_CRASH:
        case OUTCOME_SCHEDULE:
        case OUTCOME_TIMEOUT:
        case OUTCOME_LIMIT:
        case OUTCOME_INTERRUPTED: m->info.outcome = ev->aux; break;
        default: break;
        }
        if (ev->aux != OUTCOME_CRASH)
                return;
        /* A crash that ends the run took the runner down (a thread's crash, or a kill from
         * outside): every actor still alive died with it, whatever its last event said. */
        for (int k = 0; k < m->nactors; k++) {
                model_actor *x = &m->actors[k];

                if ((x->started || x->launched) && !dead(x)) {
                        if (x->op != MODEL_OP_NONE)
                                end_wait(m, k, false);
                        x->signal = 0;
                        x->code = 0;
                        text_set(&x->why, ev);
                        set_state(x, MODEL_CRASHED, ev->seq);
                }
        }
}

/* Extra checks some kinds make on their numbers. */
static bool check_join(const model *m, const event *ev, const model_res *r)
{
        return r != NULL || (ev->other >= 0 && ev->other < m->nactors);
}

static bool check_end(const model *m, const event *ev, const model_res *r)
{
        return ev->aux == 0 || ev->aux == 1;
}

static bool check_copy(const model *m, const event *ev, const model_res *r)
{
        return ev->aux >= -1 && ev->aux < m->nactors;
}

static bool check_manager(const model *m, const event *ev, const model_res *r)
{
        return r->manager;
}

static bool check_reply(const model *m, const event *ev, const model_res *r)
{
        for (size_t k = 0; r->manager && k < r->asking.n; k++)
                if (r->asking.v[k] == ev->actor)
                        return true;
        return false;
}

static bool check_worker(const model *m, const event *ev, const model_res *r)
{
        return ev->aux >= 0 && ev->aux < r->nworkers && ev->num >= 0;
}

enum {
        F_ACTOR = 1 << 0,    /* needs a real actor */
        F_RES = 1 << 1,      /* needs a resource of one of `types` */
        F_RES_OPT = 1 << 2,  /* res may be -1, else one of `types` */
        F_PASSIVE = 1 << 3,  /* leaves its sender's state alone */
        F_REDIRECT = 1 << 4, /* a condition using another lock stands for that lock */
};

typedef void apply_fn(model *m, const event *ev, model_actor *a, model_res *r);
typedef bool check_fn(const model *m, const event *ev, const model_res *r);

static const struct rule {
        apply_fn *fn;
        check_fn *check;
        unsigned flags;
        unsigned types;
        int state; /* the sender's new state, -1: unchanged */
} rules[EV_KIND_COUNT] = {
        [EV_START] = { on_start, NULL, F_ACTOR, 0, MODEL_RUNNING },
        [EV_READY] = { on_ready, NULL, F_ACTOR, 0, MODEL_READY },
        [EV_STEP] = { on_step, NULL, F_ACTOR, 0, MODEL_RUNNING },
        [EV_EXIT] = { on_finish, NULL, F_ACTOR, 0, -1 },
        [EV_CRASH] = { on_crash, NULL, 0, 0, MODEL_CRASHED },
        [EV_ERROR] = { on_crash, NULL, 0, 0, MODEL_CRASHED },
        [EV_BLOCKED] = { on_blocked, check_join, F_ACTOR | F_RES_OPT | F_REDIRECT, T_ANY,
                         MODEL_BLOCKED },
        [EV_ACQUIRED] = { on_acquired, NULL, F_ACTOR | F_RES | F_REDIRECT, T_LOCKS, MODEL_RUNNING },
        [EV_RELEASED] = { on_released, NULL, F_RES | F_REDIRECT, T_LOCKS, MODEL_RUNNING },
        [EV_TIMEOUT] = { on_timeout, NULL, F_ACTOR | F_RES_OPT, T_ANY, MODEL_RUNNING },
        [EV_WAITING] = { on_waiting, NULL, F_ACTOR | F_RES, T_WAITS, MODEL_WAITING },
        [EV_WOKE] = { NULL, NULL, F_ACTOR | F_RES_OPT, T_WAITS, MODEL_RUNNING },
        [EV_BROKEN] = { on_broken, NULL, F_RES, T(SC_BARRIER), MODEL_RUNNING },
        [EV_RESET] = { on_broken, NULL, F_RES, T(SC_BARRIER), MODEL_RUNNING },
        [EV_SET] = { on_set, NULL, F_RES, T(SC_EVENT), MODEL_RUNNING },
        [EV_CLEARED] = { on_set, NULL, F_RES, T(SC_EVENT), MODEL_RUNNING },
        [EV_NOTIFIED] = { on_notified, NULL, F_RES, T(SC_CONDITION), MODEL_RUNNING },
        [EV_PUT] = { on_put, NULL, F_RES, T(SC_QUEUE), MODEL_RUNNING },
        [EV_GOT] = { on_got, NULL, F_RES, T(SC_QUEUE), MODEL_RUNNING },
        [EV_SENT] = { on_sent, check_end, F_RES, T(SC_PIPE), MODEL_RUNNING },
        [EV_RECEIVED] = { on_received, check_end, F_RES, T(SC_PIPE), MODEL_RUNNING },
        [EV_CLOSED] = { on_closed, check_end, F_RES, T(SC_PIPE), MODEL_RUNNING },
        [EV_CHANGED] = { on_changed, check_copy, F_RES | F_PASSIVE, T_DATA, -1 },
        [EV_REQUEST] = { on_request, check_manager, F_ACTOR | F_RES | F_PASSIVE,
                         T(SC_LIST) | T(SC_DICT), -1 },
        [EV_REPLY] = { on_reply, check_reply, F_ACTOR | F_RES | F_PASSIVE, T(SC_LIST) | T(SC_DICT),
                       -1 },
        [EV_PRINT] = { on_print, NULL, F_PASSIVE, 0, -1 },
        [EV_SAY] = { on_say, NULL, F_PASSIVE, 0, -1 },
        [EV_SLEEP] = { on_sleep, NULL, F_ACTOR, 0, MODEL_SLEEPING },
        [EV_WORK] = { NULL, NULL, F_ACTOR, 0, MODEL_RUNNING },
        [EV_JOINED] = { NULL, NULL, F_ACTOR, 0, MODEL_RUNNING },
        [EV_TASK] = { on_task, check_worker, F_RES | F_PASSIVE, T(SC_POOL), -1 },
        [EV_RESULT] = { on_result, check_worker, F_RES | F_PASSIVE, T(SC_POOL), -1 },
        [EV_ASSERT] = { on_assert, NULL, 0, 0, MODEL_RUNNING },
        [EV_END] = { on_end, NULL, F_PASSIVE, 0, -1 },
};

void model_apply_generic(model *m, const event *ev)
{
        const struct rule *ru;
        model_actor *a = NULL;
        model_res *r = NULL;
        unsigned flags;
        event dec;
        char buf[VALUE_INT_TEXT];

        if (ev == NULL || ev->kind >= EV_KIND_COUNT)
                goto ignore;
        if (int_as_decimal(ev))
                ev = model_event_decimal(ev, &dec, buf);
        ru = &rules[ev->kind];
        flags = ru->flags;
        /* EVENT_RUNNER .. nactors - 1, in one compare */
        if ((unsigned)(ev->actor - EVENT_RUNNER) >= (unsigned)(m->nactors - EVENT_RUNNER))
                goto ignore;
        if (ev->actor >= 0)
                a = &m->actors[ev->actor];
        else if (flags & F_ACTOR)
                goto ignore;
        if (ev->res != -1) {
                if ((unsigned)ev->res >= (unsigned)m->nres)
                        goto ignore;
                if (flags & (F_RES | F_RES_OPT)) {
                        r = &m->res[ev->res];
                        if ((flags & F_REDIRECT) && r->type == SC_CONDITION && r->lock >= 0)
                                r = &m->res[r->lock];
                        if (!(ru->types & T(r->type)))
                                goto ignore;
                }
        } else if (flags & F_RES) {
                goto ignore;
        }
        if (ru->check != NULL && !ru->check(m, ev, r))
                goto ignore;
        /* a pool worker's GIL: the worker takes and gives it, in its own process, while the actor
         * its events name (the map's caller) waits for the map or has even died */
        if (r != NULL && r->worker >= 0)
                flags |= F_PASSIVE;
        if (a != NULL && dead(a) && !(flags & F_PASSIVE)) {
                /* The engine's EXIT after an actor's ERROR is its last word: applied, and the
                 * actor stays CRASHED. */
                if (ev->kind != EV_EXIT || a->state != MODEL_CRASHED || a->signal != -1)
                        goto ignore;
                m->info.events++;
                m->info.last_seq = ev->seq;
                m->info.t_ns = ev->t_ns;
                a->events++;
                return;
        }

        m->info.events++;
        m->info.last_seq = ev->seq;
        m->info.t_ns = ev->t_ns;
        if (a != NULL) {
                a->events++;
                if (!(flags & F_PASSIVE)) {
                        /* (end_wait's own first look, made here: most events end no wait) */
                        if (a->op != MODEL_OP_NONE && ev->kind != EV_BLOCKED &&
                            ev->kind != EV_WAITING)
                                end_wait(m, ev->actor, ev->kind == EV_WOKE);
                        a->started = true;
                }
                /* A step's first event (a STEP, or whatever the statement published first) moves
                 * the actor to the statement; before the kind's own rule, which may read it. */
                if ((ev->flags & EVENT_BEGINS_STEP) && ev->kind != EV_STEP)
                        on_step(m, ev, a, r);
        }
        if (ru->fn != NULL)
                ru->fn(m, ev, a, r);
        if (a != NULL && ru->state >= 0 && !(flags & F_PASSIVE))
                set_state(a, (model_state)ru->state, ev->seq);
        return;
ignore:
        m->info.ignored++;
}

/*
 * The hottest kinds, with the checks their rules make written out: what model_apply_generic does
 * for them, in its order, without reading the rule's flags, check and function from the table.
 * An active kind (it moves its sender) takes this way only for an actor that is alive and waits
 * for nothing (no wait to end, no last word), and not on a pool worker's GIL (passive); a passive
 * one (CHANGED, TASK, RESULT) for any sender. Anything else, and anything the generic way would
 * ignore, goes the generic way.
 */
void model_apply(model *m, const event *ev)
{
        model_actor *a = NULL;
        model_res *r = NULL;
        unsigned kind;

        if (ev == NULL)
                goto generic;
        if (__builtin_expect(int_as_decimal(ev), 0)) {
                apply_decimal(m, ev);
                return;
        }
        kind = ev->kind;
        switch (kind) {
        case EV_STEP:
        case EV_ACQUIRED:
        case EV_RELEASED:
        case EV_PUT:
        case EV_GOT:
                if ((unsigned)ev->actor >= (unsigned)m->nactors)
                        goto generic;
                a = &m->actors[ev->actor];
                if (a->op != MODEL_OP_NONE || dead(a))
                        goto generic;
                if (kind == EV_STEP) {
                        if (ev->res != -1)
                                goto generic;
                        break;
                }
                if ((unsigned)ev->res >= (unsigned)m->nres)
                        goto generic;
                r = &m->res[ev->res];
                if ((rules[kind].flags & F_REDIRECT) && r->type == SC_CONDITION && r->lock >= 0)
                        r = &m->res[r->lock];
                if (!(rules[kind].types & T(r->type)) || r->worker >= 0)
                        goto generic;
                break;
        case EV_CHANGED:
        case EV_TASK:
        case EV_RESULT:
                if ((unsigned)(ev->actor - EVENT_RUNNER) >= (unsigned)(m->nactors - EVENT_RUNNER) ||
                    (unsigned)ev->res >= (unsigned)m->nres)
                        goto generic;
                r = &m->res[ev->res];
                if (!(rules[kind].types & T(r->type)) ||
                    !(kind == EV_CHANGED ? check_copy(m, ev, r) : check_worker(m, ev, r)))
                        goto generic;
                m->info.events++;
                m->info.last_seq = ev->seq;
                m->info.t_ns = ev->t_ns;
                if (ev->actor >= 0) {
                        a = &m->actors[ev->actor];
                        a->events++;
                        if (ev->flags & EVENT_BEGINS_STEP)
                                on_step(m, ev, a, r);
                }
                if (kind == EV_CHANGED)
                        on_changed(m, ev, a, r);
                else if (kind == EV_TASK)
                        on_task(m, ev, a, r);
                else
                        on_result(m, ev, a, r);
                return;
        default: goto generic;
        }
        m->info.events++;
        m->info.last_seq = ev->seq;
        m->info.t_ns = ev->t_ns;
        a->events++;
        a->started = true;
        if (kind != EV_STEP && (ev->flags & EVENT_BEGINS_STEP))
                on_step(m, ev, a, r);
        switch (kind) {
        case EV_STEP: on_step(m, ev, a, r); break;
        case EV_ACQUIRED: on_acquired(m, ev, a, r); break;
        case EV_RELEASED: on_released(m, ev, a, r); break;
        case EV_PUT: on_put(m, ev, a, r); break;
        default: on_got(m, ev, a, r); break;
        }
        set_state(a, MODEL_RUNNING, ev->seq);
        return;
generic:
        model_apply_generic(m, ev);
}

/* ---- reading ---------------------------------------------------------------------------- */

const scenario *model_scenario(const model *m)
{
        return m->sc;
}

const model_info *model_info_of(const model *m)
{
        return &m->info;
}

int model_nactors(const model *m)
{
        return m->nactors;
}

const model_actor *model_actor_at(const model *m, int a)
{
        return a >= 0 && a < m->nactors ? &m->actors[a] : NULL;
}

int model_nres(const model *m)
{
        return m->nres;
}

const model_res *model_res_at(const model *m, int r)
{
        return r >= 0 && r < m->nres ? &m->res[r] : NULL;
}

const sc_stmt *model_stmt(const model *m, int id)
{
        return stmt_at(m, id);
}

const char *model_texts_at(const model_texts *t, size_t i)
{
        return i < t->n ? text_at(&t->v[t->head + i]) : NULL;
}

size_t model_output_count(const model *m)
{
        return m->nout - log_dropped(m->out, m->nout);
}

size_t model_output_dropped(const model *m)
{
        return log_dropped(m->out, m->nout);
}

const model_line *model_output_at(const model *m, size_t i, model_line *line)
{
        return log_at(m->out, m->nout, i, line);
}

size_t model_result_count(const model *m, int r)
{
        const model_res *x = model_res_at(m, r);

        return x != NULL ? x->nresults - log_dropped(x->results, x->nresults) : 0;
}

size_t model_result_dropped(const model *m, int r)
{
        const model_res *x = model_res_at(m, r);

        return x != NULL ? log_dropped(x->results, x->nresults) : 0;
}

const model_line *model_result_at(const model *m, int r, size_t i, model_line *line)
{
        const model_res *x = model_res_at(m, r);

        return x != NULL ? log_at(x->results, x->nresults, i, line) : NULL;
}

size_t model_assert_count(const model *m)
{
        return m->nasserts;
}

const model_error *model_assert_at(const model *m, size_t i)
{
        return i < m->nasserts ? &m->asserts[i] : NULL;
}

size_t model_error_count(const model *m)
{
        return m->nerrors;
}

const model_error *model_error_at(const model *m, size_t i)
{
        return i < m->nerrors ? &m->errors[i] : NULL;
}

bool model_only_raised(const model *m)
{
        for (size_t k = 0; k < m->nerrors; k++)
                if (m->errors[k].kind == EV_CRASH)
                        return false;
        return m->nerrors > 0;
}

size_t model_bytes(const model *m)
{
        size_t b = sizeof *m + (size_t)m->nactors * sizeof *m->actors;

        b += ((size_t)m->nres + 1) * sizeof *m->res;
        for (int a = 0; a < m->nactors; a++)
                b += text_bytes(m->actors[a].why);
        for (int k = 0; k < m->nres; k++) {
                const model_res *r = &m->res[k];

                b += (r->blocked.cap + r->putters.cap + r->waiting.cap + r->holders.cap +
                      r->asking.cap) *
                     sizeof(int);
                b += texts_bytes(&r->items) + texts_bytes(&r->flow[0]) + texts_bytes(&r->flow[1]);
                b += r->capcopies * sizeof *r->copies;
                for (size_t c = 0; c < r->ncopies; c++)
                        b += text_bytes(r->copies[c].text);
                b += (size_t)r->nworkers * sizeof *r->workers;
                for (int w = 0; w < r->nworkers; w++)
                        b += text_bytes(r->workers[w].arg);
        }
        b += text_bytes(m->info.caption);
        b += text_bytes(m->info.reason);
        b += (m->capasserts + m->caperrors) * sizeof(model_error);
        for (size_t k = 0; k < m->nasserts; k++)
                b += text_bytes(m->asserts[k].text);
        for (size_t k = 0; k < m->nerrors; k++)
                b += text_bytes(m->errors[k].text);
        return b;
}

size_t model_log_bytes(const model *m)
{
        size_t b = m->out != NULL ? log_bytes(m->out) : 0;

        for (int k = 0; k < m->nres; k++)
                if (m->res[k].results != NULL)
                        b += log_bytes(m->res[k].results);
        return b;
}

/* Drops the oldest lines of L to free at least EXCESS bytes (all of them if need be). */
static size_t log_shed(struct model_log *l, size_t excess)
{
        size_t b = l != NULL ? log_bytes(l) : 0;

        return l == NULL ? 0 : log_trim(l, excess < b ? b - excess : 0);
}

void model_trim_logs(model *m, size_t max_bytes)
{
        size_t total = model_log_bytes(m);

        if (total <= max_bytes)
                return;
        total -= log_shed(m->out, total - max_bytes);
        for (int k = 0; k < m->nres && total > max_bytes; k++)
                total -= log_shed(m->res[k].results, total - max_bytes);
}

/* ---- the wait-for graph ----------------------------------------------------------------- */

/* Whether AN is one of R's `pending` oldest waiters: those a set, a notify or a trip let go. A
 * waiter that came after them waits on, however many are pending: a condition notified before
 * it began to wait is not notified for it. */
static bool let_go(const model_res *r, int an)
{
        for (int64_t k = 0; k < r->pending && k < (int64_t)r->waiting.n; k++)
                if (r->waiting.v[k] == an)
                        return true;
        return false;
}

bool model_can_proceed(const model *m, int an)
{
        const model_actor *a = model_actor_at(m, an);
        const model_res *r;
        int e;

        if (a == NULL || (a->state != MODEL_BLOCKED && a->state != MODEL_WAITING))
                return true;
        if (a->op == MODEL_OP_JOIN) {
                const model_actor *t = model_actor_at(m, a->join);

                return t == NULL || t->state == MODEL_NEW || dead(t);
        }
        r = model_res_at(m, a->res);
        if (r == NULL)
                return true;
        e = a->end;
        switch (a->op) {
        case MODEL_OP_ACQUIRE:
                if (lockish(r))
                        return r->holder < 0 || (r->holder == an && r->type != SC_LOCK);
                if (r->type == SC_SEMAPHORE || r->type == SC_BOUNDED_SEMAPHORE)
                        return r->count > 0;
                return true;
        case MODEL_OP_WAIT:
                if (r->type == SC_EVENT)
                        return r->set || let_go(r, an);
                if (r->type == SC_CONDITION)
                        return let_go(r, an);
                if (r->type == SC_BARRIER)
                        return let_go(r, an) || r->arrivals >= r->parties || r->broken;
                return true;
        case MODEL_OP_GET: return r->items.n > 0;
        case MODEL_OP_PUT: return r->items.n < a->in_flight;
        case MODEL_OP_RECV:
                if (e < 0)
                        return r->flow[0].n > 0 || r->flow[1].n > 0 || r->closed[0] || r->closed[1];
                return r->flow[1 - e].n > 0 || r->closed[0] || r->closed[1];
        case MODEL_OP_SEND:
                return r->closed[0] || r->closed[1] || (e >= 0 && r->flow[e].n < a->in_flight);
        default: return true;
        }
}

model_state model_state_shown(const model *m, int a)
{
        model_state st = model_actor_at(m, a)->state;

        if ((st == MODEL_BLOCKED || st == MODEL_WAITING) && model_can_proceed(m, a))
                return MODEL_READY;
        return st;
}

/* The edge out of actor AN, if it has one. */
static bool out_edge(const model *m, int an, model_edge *e)
{
        const model_actor *a = &m->actors[an];

        if (a->state != MODEL_BLOCKED)
                return false;
        if (a->op == MODEL_OP_JOIN) {
                const model_actor *t = model_actor_at(m, a->join);

                if (t == NULL || t->state == MODEL_NEW || dead(t))
                        return false;
                *e = (model_edge){ an, a->join, -1, MODEL_EDGE_JOIN, a->timed, false };
                return true;
        }
        if (a->op == MODEL_OP_ACQUIRE && a->res >= 0) {
                const model_res *r = &m->res[a->res];

                if (!lockish(r) || r->holder < 0 || (r->holder == an && r->type != SC_LOCK))
                        return false;
                *e = (model_edge){ an, r->holder, a->res, MODEL_EDGE_LOCK, a->timed, false };
                return true;
        }
        return false;
}

/* Every actor's edge (has[a]) and which actors lie on a cycle of untimed edges. */
static void graph(const model *m, model_edge *edge, bool *has, bool *cyc)
{
        int next[MAX_ACTS], mark[MAX_ACTS];
        int n = m->nactors;

        for (int a = 0; a < n; a++) {
                has[a] = out_edge(m, a, &edge[a]);
                next[a] = has[a] && !edge[a].timed ? edge[a].to : -1;
                mark[a] = 0;
                cyc[a] = false;
        }
        for (int s = 0; s < n; s++) {
                int x = s;

                while (x >= 0 && mark[x] == 0) {
                        mark[x] = s + 1;
                        x = next[x];
                }
                if (x >= 0 && mark[x] == s + 1) {
                        int y = x;

                        do {
                                cyc[y] = true;
                                y = next[y];
                        } while (y != x);
                }
                for (x = s; x >= 0 && mark[x] == s + 1; x = next[x])
                        mark[x] = -1;
        }
        for (int a = 0; a < n; a++)
                if (has[a])
                        edge[a].cycle = cyc[a] && !edge[a].timed;
}

int model_wait_edges(const model *m, model_edge *out, int cap)
{
        model_edge edge[MAX_ACTS];
        bool has[MAX_ACTS], cyc[MAX_ACTS];
        int n = 0;

        graph(m, edge, has, cyc);
        for (int a = 0; a < m->nactors; a++)
                if (has[a]) {
                        if (out != NULL && n < cap)
                                out[n] = edge[a];
                        n++;
                }
        return n;
}

static const char *res_name(const model *m, int r)
{
        return r >= 0 && r < m->nres ? m->res[r].name : "?";
}

static void describe_cycle(const model *m, const model_edge *edge, int start, strbuf *why)
{
        int cycle[MAX_ACTS], n = 0, x = start;

        do {
                cycle[n++] = x;
                x = edge[x].to;
        } while (x != start && n < MAX_ACTS);
        for (int k = 0; k < n; k++) {
                const model_edge *in = &edge[cycle[(k + n - 1) % n]], *e = &edge[cycle[k]];

                if (k > 0)
                        strbuf_puts(why, "; ");
                strbuf_puts(why, m->actors[cycle[k]].name);
                if (in->kind == MODEL_EDGE_LOCK)
                        strbuf_printf(why, " holds %s and", res_name(m, in->res));
                if (e->kind == MODEL_EDGE_LOCK)
                        strbuf_printf(why, " waits for %s held by %s", res_name(m, e->res),
                                      m->actors[e->to].name);
                else
                        strbuf_printf(why, " waits for %s to finish", m->actors[e->to].name);
        }
}

void model_describe_wait(const model *m, int an, strbuf *why)
{
        const model_actor *a = &m->actors[an];
        const model_res *r = model_res_at(m, a->res);
        const char *type = r != NULL ? scenario_res_type_name(r->type) : "";

        strbuf_printf(why, "%s waits for ", a->name);
        if (a->op == MODEL_OP_JOIN) {
                const model_actor *t = model_actor_at(m, a->join);

                strbuf_printf(why, "%s to finish", t != NULL ? t->name : "?");
                if (t != NULL && dead(t))
                        strbuf_puts(why, " (it has)");
                return;
        }
        if (r == NULL) {
                strbuf_puts(why, "something");
                return;
        }
        /* a pipe's end as the script names it: pipe.b, or child_conn (its "ends") */
        if ((a->op == MODEL_OP_RECV || a->op == MODEL_OP_SEND) && a->end >= 0) {
                char buf[SC_MAX_NAME + 3];

                strbuf_printf(why, "%s %s", type,
                              scenario_pipe_end_name(&m->sc->resources[a->res], a->end, buf));
        } else if (strcmp(type, r->name) == 0) {
                strbuf_puts(why, r->name); /* `lock = threading.Lock()`: "lock", not "lock lock" */
        } else {
                strbuf_printf(why, "%s %s", type, r->name);
        }
        /* what stops it, as things are now: a waiter whose wait is over (an item came, it was
         * notified) waits only for its turn to go on */
        if (a->op == MODEL_OP_RECV || a->op == MODEL_OP_SEND) {
                bool can = model_can_proceed(m, an);

                /* a receiver gets what was sent before the close first, then EOFError */
                if (a->op == MODEL_OP_RECV &&
                    (a->end < 0 ? r->flow[0].n + r->flow[1].n : r->flow[1 - a->end].n) > 0)
                        strbuf_puts(why, " (a message has come)");
                else if (r->closed[0] || r->closed[1])
                        strbuf_puts(why, " (closed)");
                else if (a->op == MODEL_OP_RECV)
                        strbuf_puts(why, can ? " (a message has come)" : " (no message)");
                else
                        strbuf_puts(why, can ? " (there is room now)" : " (full)");
        } else if (a->op == MODEL_OP_GET) {
                strbuf_puts(why, r->items.n > 0 ? " (an item has come)" : " (empty)");
        } else if (a->op == MODEL_OP_PUT) {
                /* an unbounded queue is full at lockstep's caps (safety.md): say which */
                if (model_can_proceed(m, an))
                        strbuf_puts(why, " (there is room now)");
                else if (r->max > 0 && (int64_t)r->items.n >= r->max)
                        strbuf_puts(why, " (full)");
                else if (r->items.n >= SC_MAX_QUEUE)
                        strbuf_printf(why, " (full: lockstep's cap of %d items)", SC_MAX_QUEUE);
                else
                        strbuf_printf(why, " (full: lockstep's cap of %zu MiB of items)",
                                      SC_MAX_QUEUE_BYTES >> 20);
        } else if (lockish(r) && a->state == MODEL_BLOCKED) {
                const model_actor *h = model_actor_at(m, r->holder);

                strbuf_printf(why, " (held by %s)", h != NULL ? h->name : "nobody");
        } else if (r->type == SC_SEMAPHORE || r->type == SC_BOUNDED_SEMAPHORE) {
                strbuf_printf(why, " (count %lld)", (long long)r->count);
        } else if (r->type == SC_EVENT) {
                strbuf_puts(why, model_can_proceed(m, an) ? " (set)" : " (not set)");
        } else if (r->type == SC_CONDITION) {
                strbuf_puts(why, model_can_proceed(m, an) ? " (notified)" : " (not notified)");
        } else if (r->type == SC_BARRIER) {
                if (r->broken)
                        strbuf_puts(why, " (broken)");
                else if (let_go(r, an))
                        strbuf_printf(why, " (all %lld arrived)", (long long)r->parties);
                else
                        strbuf_printf(why, " (%lld of %lld arrived)", (long long)r->arrivals,
                                      (long long)r->parties);
        }
}

/* Whether live actor A can do nothing more on its own: waiting, without a timeout, for
 * something the model shows as unavailable. */
static bool stuck(const model *m, int a)
{
        const model_actor *x = &m->actors[a];

        return (x->state == MODEL_BLOCKED || x->state == MODEL_WAITING) && !x->timed &&
               !model_can_proceed(m, a);
}

/* The plain locks of a cycle, to find a `release` of one of them in a script. */
typedef struct cycle_locks {
        const model *m;
        int res[MAX_ACTS];
        int n;
        bool found;
} cycle_locks;

static void find_release(const sc_stmt *s, void *ctx)
{
        cycle_locks *c = ctx;
        int r = s->res;

        if (s->kind != SC_RELEASE || r < 0 || r >= c->m->nres)
                return;
        if (c->m->res[r].type == SC_CONDITION && c->m->res[r].lock >= 0)
                r = c->m->res[r].lock; /* a condition's release is its lock's */
        for (int k = 0; k < c->n; k++)
                c->found |= c->res[k] == r;
}

/* Whether lock R is a GIL: the engine takes and gives it, with no statement of the script's. */
static bool is_gil(const model *m, int r)
{
        const scenario *sc = m->sc;

        if (r == sc->gil_res || m->res[r].worker >= 0)
                return true;
        for (int k = 0; k < sc->nactors; k++)
                if (sc->actors[k].gil_res == r)
                        return true;
        return false;
}

/* A cycle through a plain lock can be broken by another actor, for a threading.Lock may be
 * released by a thread that does not hold it — but only by a `release` of it, once that actor
 * gets there: it is a deadlock when every live actor off the cycle is stuck too, or when no actor
 * off it that has not finished (one not started yet may be) has such a statement in its script
 * (a GIL, released by the engine, is taken as released by anyone). A cycle of rlocks and joins
 * is a deadlock whatever the others do. */
static bool unbreakable(const model *m, const model_edge *edge, int start)
{
        cycle_locks c = { .m = m };
        bool on[MAX_ACTS] = { false }, moving = false;
        const scenario *sc = m->sc;
        int x = start;

        do {
                on[x] = true;
                if (edge[x].kind == MODEL_EDGE_LOCK && m->res[edge[x].res].type == SC_LOCK) {
                        c.res[c.n++] = edge[x].res;
                        c.found |= is_gil(m, edge[x].res);
                }
                x = edge[x].to;
        } while (x != start);
        if (c.n == 0)
                return true;
        for (int a = 0; a < m->nactors; a++) {
                const model_actor *y = &m->actors[a];

                moving |= !on[a] && y->state != MODEL_NEW && !dead(y) && !stuck(m, a);
        }
        if (!moving)
                return true;
        for (int a = 0; a < m->nactors && !c.found; a++) {
                int script = a < sc->nactors ? sc->actors[a].script : sc->main_script;

                if (!on[a] && !dead(&m->actors[a]))
                        scenario_walk(&sc->scripts[script].body, find_release, &c);
        }
        return !c.found;
}

bool model_all_stuck(const model *m)
{
        int live = 0;

        for (int a = 0; a < m->nactors; a++) {
                const model_actor *x = &m->actors[a];

                if (x->state == MODEL_NEW || dead(x))
                        continue;
                if (!stuck(m, a))
                        return false;
                live++;
        }
        return live > 0;
}

/* Whether an actor that is not in OUT (which may still move: running, ready, sleeping, waiting
 * with a timeout, not started yet) and has not finished could end actor AN's wait: the holder of
 * its lock or of one of its semaphore's permits, the actor it joins, or one with a statement in
 * its script that could — release the semaphore or the plain lock, set the event, notify the
 * condition, put into or get from the queue, arrive at the barrier or abort or reset it. A pipe's
 * waits, a GIL's and any other count as ones that can end. */
static bool can_be_freed(const model *m, int an, const bool *out)
{
        const model_actor *a = &m->actors[an];
        const model_res *r = model_res_at(m, a->res);
        const scenario *sc = m->sc;
        unsigned need;

        if (a->op == MODEL_OP_JOIN)
                return a->join < 0 || a->join >= m->nactors || !out[a->join];
        if (r == NULL || is_gil(m, a->res))
                return true;
        /* (a finished actor gives nothing back: its locks and permits stay taken) */
        if (a->op == MODEL_OP_ACQUIRE && lockish(r)) {
                if (r->holder >= 0 && r->holder < m->nactors && !out[r->holder] &&
                    !dead(&m->actors[r->holder]))
                        return true;
                if (r->type != SC_LOCK)
                        return false; /* an rlock: only its holder gives it back */
                need = GIVES_RELEASE;
        } else if (a->op == MODEL_OP_ACQUIRE &&
                   (r->type == SC_SEMAPHORE || r->type == SC_BOUNDED_SEMAPHORE)) {
                /* a holder gives its permit back at the end of its `with`, or by a release */
                for (size_t k = 0; k < r->holders.n; k++) {
                        int h = r->holders.v[k];

                        if (h >= 0 && h < m->nactors && !out[h] && !dead(&m->actors[h]))
                                return true;
                }
                need = GIVES_RELEASE;
        } else if (a->op == MODEL_OP_WAIT && r->type == SC_EVENT) {
                need = GIVES_SET;
        } else if (a->op == MODEL_OP_WAIT && r->type == SC_CONDITION) {
                need = GIVES_NOTIFY;
        } else if (a->op == MODEL_OP_WAIT && r->type == SC_BARRIER) {
                need = GIVES_ARRIVE;
        } else if (a->op == MODEL_OP_GET && r->type == SC_QUEUE) {
                need = GIVES_PUT;
        } else if (a->op == MODEL_OP_PUT && r->type == SC_QUEUE) {
                need = GIVES_GET;
        } else {
                return true;
        }
        for (int b = 0; b < m->nactors; b++) {
                int script = b < sc->nactors ? sc->actors[b].script : sc->main_script;

                if (!out[b] && !dead(&m->actors[b]) && script >= 0 && script < sc->nscripts &&
                    (m->stmts->gives[(size_t)script * (size_t)m->stmts->nres + (size_t)a->res] &
                     need))
                        return true;
        }
        return false;
}

/* From every stuck actor, those that another, not stuck, could free are taken out, again until
 * none is; those left can never move. */
int model_stuck_for_good(const model *m, bool *out)
{
        bool changed = true;
        int n = 0;

        for (int a = 0; a < m->nactors; a++)
                out[a] = m->actors[a].state != MODEL_NEW && !dead(&m->actors[a]) && stuck(m, a);
        while (changed) {
                changed = false;
                for (int a = 0; a < m->nactors; a++)
                        if (out[a] && can_be_freed(m, a, out))
                                out[a] = false, changed = true;
        }
        for (int a = 0; a < m->nactors; a++)
                n += out[a];
        return n;
}

int model_deadlock(const model *m, strbuf *why)
{
        model_edge edge[MAX_ACTS];
        bool has[MAX_ACTS], cyc[MAX_ACTS];

        graph(m, edge, has, cyc);
        for (int a = 0; a < m->nactors; a++)
                if (cyc[a] && unbreakable(m, edge, a)) {
                        if (why != NULL)
                                describe_cycle(m, edge, a, why);
                        return 1;
                }
        if (!model_all_stuck(m)) {
                /* no cycle, but some who can never move while others still can (two waiting
                 * for each other's semaphore, a getter whose producers have ended) */
                bool good[MAX_ACTS];

                if (model_stuck_for_good(m, good) == 0)
                        return 0;
                if (why != NULL) {
                        strbuf_puts(why, "nobody who could end these waits can move: ");
                        for (int a = 0, k = 0; a < m->nactors; a++)
                                if (good[a]) {
                                        if (k++ > 0)
                                                strbuf_puts(why, "; ");
                                        model_describe_wait(m, a, why);
                                }
                }
                return 3;
        }
        if (why != NULL) {
                strbuf_puts(why, "every actor is blocked: ");
                for (int a = 0, k = 0; a < m->nactors; a++) {
                        const model_actor *x = &m->actors[a];

                        if (x->state == MODEL_NEW || dead(x))
                                continue;
                        if (k++ > 0)
                                strbuf_puts(why, "; ");
                        model_describe_wait(m, a, why);
                }
        }
        return 2;
}
