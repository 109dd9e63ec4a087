/*
 * history.c — the recorded run: chunks of events, each starting at a snapshot; see history.h.
 *
 * Chunk c holds the snapshot at moment base = c * every and events base+1 .. base+every; its
 * texts live in a few large blocks, so an event costs no allocation of its own. Dropping the
 * oldest part is dropping whole chunks from the front.
 */
#include "history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define TEXT_BLOCK ((size_t)64 << 10)

typedef struct text_block {
        struct text_block *next;
        size_t used, cap;
        char data[];
} text_block;

typedef struct chunk {
        uint64_t base; /* the snapshot's moment */
        model *snap;
        event *ev;
        size_t n, cap;
        text_block *texts;
        size_t bytes; /* events, texts and the snapshot */
} chunk;

struct history {
        const scenario *sc;
        size_t every, max_bytes;
        model *live;
        chunk **slots; /* the chunks, oldest first, from slots[head] */
        size_t head, nchunks, capslots;
        uint64_t len;
        model *cursor; /* the last history_at rebuilt here */
        uint64_t cursor_seq;
        size_t stored; /* the chunks' bytes */
        size_t bytes;  /* everything counted, as of the last check */
};

static chunk *chunk_new(const model *live, uint64_t base)
{
        chunk *c = xcalloc(1, sizeof *c);

        c->base = base;
        c->snap = model_clone(live);
        c->bytes = sizeof *c + model_bytes(c->snap);
        return c;
}

static void chunk_free(chunk *c)
{
        while (c->texts != NULL) {
                text_block *b = c->texts;

                c->texts = b->next;
                free(b);
        }
        model_free(c->snap);
        free(c->ev);
        free(c);
}

/* Copies a text into the chunk's blocks. Blocks start small and double up to TEXT_BLOCK, so a
 * chunk with few texts costs little; a big text gets a block of its own. */
static const char *chunk_text(chunk *c, const char *s, size_t n)
{
        text_block *b = c->texts;
        char *t;

        if (n == 0)
                return "";
        if (b == NULL || b->cap - b->used < n + 1) {
                size_t cap = b == NULL ? TEXT_BLOCK / 64 : b->cap * 2;
                bool own = n + 1 > TEXT_BLOCK / 4;

                if (cap > TEXT_BLOCK)
                        cap = TEXT_BLOCK;
                if (own || cap < n + 1)
                        cap = n + 1;
                b = xmalloc(sizeof *b + cap);
                b->used = 0;
                b->cap = cap;
                if (own && c->texts != NULL) {
                        /* behind the block being filled, which stays first */
                        b->next = c->texts->next;
                        c->texts->next = b;
                } else {
                        b->next = c->texts;
                        c->texts = b;
                }
                c->bytes += sizeof *b + cap;
        }
        t = b->data + b->used;
        memcpy(t, s, n);
        t[n] = '\0';
        b->used += n + 1;
        return t;
}

history *history_new(const scenario *sc, size_t snapshot_every, size_t max_bytes)
{
        history *h = xcalloc(1, sizeof *h);

        h->sc = sc;
        h->every = snapshot_every > 0 ? snapshot_every : HISTORY_SNAPSHOT_EVERY;
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
        free(h->slots);
        model_free(h->live);
        model_free(h->cursor);
        free(h);
}

static size_t total_bytes(const history *h)
{
        size_t b = sizeof *h + h->capslots * sizeof *h->slots + h->stored;

        b += model_bytes(h->live) + model_log_bytes(h->live);
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
        h->bytes = total_bytes(h);
        while (h->bytes > h->max_bytes && h->nchunks > 1) {
                chunk *c = h->slots[h->head++];

                h->nchunks--;
                h->bytes -= c->bytes;
                h->stored -= c->bytes;
                chunk_free(c);
        }
}

void history_append(history *h, const event *ev)
{
        chunk *c;
        event *e;
        size_t n, before;

        if (ev == NULL)
                return;
        if (h->nchunks == 0 || h->slots[h->head + h->nchunks - 1]->n == h->every) {
                if (h->head + h->nchunks == h->capslots && h->head > 0 && h->head >= h->nchunks) {
                        memmove(h->slots, h->slots + h->head, h->nchunks * sizeof *h->slots);
                        h->head = 0;
                }
                h->slots =
                    xgrow(h->slots, &h->capslots, h->head + h->nchunks + 1, sizeof *h->slots);
                c = h->slots[h->head + h->nchunks++] = chunk_new(h->live, h->len);
                h->stored += c->bytes;
                if (h->nchunks > 1)
                        enforce_cap(h);
        }
        c = h->slots[h->head + h->nchunks - 1];
        before = c->bytes;
        if (c->n == c->cap) {
                size_t old = c->cap;

                /* the whole chunk at once when it is of a usual size, else doubling */
                c->cap = old == 0 && h->every <= 4096 ? h->every : old == 0 ? 4096 : old * 2;
                if (c->cap > h->every)
                        c->cap = h->every;
                c->ev = xrealloc(c->ev, c->cap * sizeof *c->ev);
                c->bytes += (c->cap - old) * sizeof *c->ev;
        }
        e = &c->ev[c->n++];
        *e = *ev;
        n = ev->text != NULL ? strnlen(ev->text, ev->len) : 0;
        e->len = (uint32_t)n;
        e->text = chunk_text(c, ev->text, n);
        h->stored += c->bytes - before;
        h->len++;
        model_apply(h->live, e);
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

static chunk *chunk_of(const history *h, uint64_t seq)
{
        uint64_t first = history_first_seq(h);
        size_t k;

        if (h->nchunks == 0 || seq < first)
                return NULL;
        k = (size_t)((seq - first) / h->every);
        return k < h->nchunks ? h->slots[h->head + k] : NULL;
}

const event *history_event(const history *h, uint64_t seq)
{
        chunk *c;

        if (seq == 0 || seq > h->len)
                return NULL;
        c = chunk_of(h, seq - 1);
        return c != NULL && seq - c->base - 1 < c->n ? &c->ev[seq - c->base - 1] : NULL;
}

const model *history_at(history *h, uint64_t seq)
{
        chunk *c;

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
        while (h->cursor_seq < seq) {
                model_apply(h->cursor, &c->ev[h->cursor_seq - c->base]);
                h->cursor_seq++;
        }
        return h->cursor;
}

size_t history_bytes(const history *h)
{
        return h->bytes;
}
