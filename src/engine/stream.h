/*
 * stream.h — the event stream: every event of a run, in one order, to one reader.
 *
 * The front end creates the stream in shared memory before it forks the runner, so every thread
 * of the runner and every process forked from it can publish into it; one consumer thread in the
 * front end reads it. The stream is
 *   - lossless: when a ring is full its producer waits for the consumer; nothing is dropped;
 *   - cheap to publish: each producer (an actor's thread, a pool worker) writes its own
 *     single-producer ring with plain stores, makes its events visible a batch at a time
 *     (STREAM_BATCH events, and always before anything that can block: stream_flush), and reads
 *     the clock once per batch; no word is written by every producer;
 *   - ordered: an event about a resource carries the resource's version (an order key: each key
 *     counts its events, and an event takes the next count where it is published — under the
 *     resource's own lock or right after the atomic operation it reports), and the consumer
 *     merges the rings in an order that keeps every ring's own order and every key's versions,
 *     so "publish a release before the real release, an acquire after the real acquire"
 *     (event.h) holds in what it sees. Events of different keys and rings with nothing between
 *     them may come in either order: both happened, and neither depends on the other.
 * A producer that dies leaves its ring ending at its last whole event: stream_ring_dead publishes
 * what it had written and gives up a version it took without writing its event.
 */
#ifndef LOCKSTEP_ENGINE_STREAM_H
#define LOCKSTEP_ENGINE_STREAM_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../event/event.h"
#include "../util/strbuf.h"

typedef struct stream stream;

#define STREAM_MIN_SLOTS 2048u /* a ring holds any event: 16 + 64 * 1024 text bytes */
#define STREAM_MAX_SLOTS (1u << 20)
#define STREAM_AUTO_MAX  8192u /* shared out, at most 512 KiB a ring: small, and warm in cache */
#define STREAM_BUDGET    (64u << 20) /* bytes of rings, shared out among the rings */
#define STREAM_BATCH     128u        /* events a producer writes before it makes them visible */
#define STREAM_MAX_RINGS 32767
#define STREAM_NO_KEY    (-1)
/* A consumer armed lazily (stream_arm) is woken for a ring of SLOTS slots once this many of them
 * are unread */
#define STREAM_LAZY_UNREAD(slots) ((slots) / 2)

/*
 * Maps a stream of RINGS rings (one per producer) and KEYS order keys into shared memory. SLOTS
 * per ring (a power of two, STREAM_MIN_SLOTS..STREAM_MAX_SLOTS), or 0 for STREAM_BUDGET shared
 * out. An event takes one 64-byte slot with up to 16 bytes of text, and one more for each further
 * 64 bytes. NULL with errno set (EINVAL, ENOMEM) on failure.
 */
stream *stream_create(int rings, int keys, size_t slots);
/* Unmaps the stream; once, in the creating process, when no one uses it any more. */
void stream_destroy(stream *s);

/*
 * From now on the calling thread is the producer of ring RING (a thread starts as none). One
 * thread per ring; a forked child keeps its parent thread's ring until it attaches another.
 */
void stream_attach(stream *s, int ring);

/*
 * Appends EV (seq and t_ns are ignored: the stream assigns them) to the calling thread's ring.
 * KEY >= 0: the event takes KEY's next version (the caller makes sure that the versions of a
 * key are taken in the order its events happened); STREAM_NO_KEY: only the ring's order counts.
 * Blocks while the ring is full. A text longer than EVENT_MAX_TEXT bytes is cut (at a UTF-8
 * character boundary) and ends in EVENT_CUT_MARK; a NULL text is none, whatever len says. Never
 * from the consumer's own thread.
 */
void stream_publish(stream *s, const event *ev, int key);
/* stream_publish ordered after everything ring AFTER had written when it was at MARK
 * (stream_written): a joiner after the joined actor's exit, a started actor after its start. */
void stream_publish_after(stream *s, const event *ev, int after, uint64_t mark);
/* Publishes nothing the consumer gives out, but orders the calling thread's next events after
 * what ring AFTER had written at MARK: a caller that waited for several rings (a pool's map
 * after every worker's last result). */
void stream_order_after(stream *s, int after, uint64_t mark);
/* Makes the calling thread's events visible: before anything that can block, or take long. */
void stream_flush(void);
/* stream_flush, and the consumer is woken even if it armed lazily: the run's last word. */
void stream_flush_now(void);
/* How far ring RING has written so far: a mark for stream_publish_after's order. */
uint64_t stream_written(const stream *s, int ring);

/*
 * From another thread or process, once the producer of RING has died (or never started): its
 * ring ends with the events it had written whole (published now); a version it took and did not
 * write is given up, so that its key goes on. Then stream_publish_for may append to the ring.
 */
void stream_ring_dead(stream *s, int ring);
/* Appends EV to RING, whose producer is dead (stream_ring_dead), with order KEY (as
 * stream_publish), and publishes it at once. */
void stream_publish_for(stream *s, int ring, const event *ev, int key);

/* ---- the producer's own way: an event written straight into its slot ----
 *
 * stream_publish copies an event the caller built; a producer that publishes at every step (an
 * actor) writes the slot itself instead, inline: stream_begin gives the event's first slot with
 * its order, time stamp and length written, the caller fills the fields, stream_end writes the
 * text and counts the event written. What is out of line is what is rare: a long text, a full
 * ring, the batch's first event (its clock read), its flush.
 */

#define STREAM_HEAD_TEXT 16 /* text bytes in an event's first slot */
#define STREAM_PREFETCH  8  /* slots a producer asks for ahead of writing them */
/* Slots the consumer reads before it frees them (stores the ring's head), unless it has read all
 * it has seen published of the ring first, or has nothing it can read (stream.c, free_slots) */
#define STREAM_FREE_EVERY 64

/* An event's first slot: what the producer writes and the consumer reads (64 bytes). */
typedef struct stream_head {
        uint32_t len; /* its text's length (as written: cut, see stream_publish) */
        int32_t key;  /* >= 0: an order key; STREAM_NO_KEY; <= -2: after ring -2 - key */
        uint64_t ver; /* the key's version, or the ring's mark */
        uint64_t t_ns;
        int64_t num;
        int32_t stmt;
        int32_t aux;
        uint8_t kind;
        uint8_t flags;
        int16_t actor;
        int16_t res;
        int16_t other;
        char text[STREAM_HEAD_TEXT];
} stream_head;

/*
 * The five small fields of an event's first slot, kind to other (8 bytes in a row), as one word
 * that stream_set_what stores at once: a caller packs what it knows when it is compiled (the
 * kind, most flags) into a constant.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define STREAM_WHAT(kind, flags, actor, res, other)                                                \
        ((uint64_t)(uint8_t)(kind) | (uint64_t)(uint8_t)(flags) << 8 |                             \
         (uint64_t)(uint16_t)(actor) << 16 | (uint64_t)(uint16_t)(res) << 32 |                     \
         (uint64_t)(uint16_t)(other) << 48)
#define STREAM_WHAT_RES(what) ((int16_t)((what) >> 32))
#else
#define STREAM_WHAT(kind, flags, actor, res, other)                                                \
        ((uint64_t)(uint8_t)(kind) << 56 | (uint64_t)(uint8_t)(flags) << 48 |                      \
         (uint64_t)(uint16_t)(actor) << 32 | (uint64_t)(uint16_t)(res) << 16 |                     \
         (uint64_t)(uint16_t)(other))
#define STREAM_WHAT_RES(what) ((int16_t)((what) >> 16))
#endif

/*
 * A flag of an event's first slot: its text is an int64's 8 bytes, which the consumer turns into
 * the int's decimal (stream_next), so that the event comes out as if that text had been written
 * — or, for a consumer that keeps ints (stream_keep_ints), leaves as they are, the flag being
 * the event's EVENT_INT. An actor's counter, a queue's item, a pool's task and result are nearly
 * always ints, and their decimal costs the producer ~55 instructions an event — often inside a
 * lock, where every instruction is the other actors' wait — and the consumer's core less.
 */
#define STREAM_TEXT_INT EVENT_INT
#define STREAM_INT_LEN  8 /* the text's bytes with STREAM_TEXT_INT */

/*
 * A flag of an event's first slot, not of the event: the slot carries a STEP event that comes
 * before its own (stream_hold_step), its statement, flags and actor in the text field's bytes
 * from STREAM_STEP_AT (the slot's own text is at most that long). A statement that publishes
 * nothing else publishes a STEP — `repeat`'s turn, `while`, `if`, `let`: four of queue_pc's six
 * events an item, one of lock_counter's four an iteration — and a slot is a cache line that
 * crosses from the producer's core to the consumer's: the STEP rides in the next event's line.
 */
#define STREAM_STEP_BEFORE 0x40u
#define STREAM_STEP_AT     8
/* Kinds from here on are orders only, never given out (stream.c): they carry no step. */
#define STREAM_KIND_MARKS 0xfe

/* Stores WHAT (STREAM_WHAT) into H's kind, flags, actor, res and other. */
static inline void stream_set_what(stream_head *h, uint64_t what)
{
        memcpy((char *)h + offsetof(stream_head, kind), &what, sizeof(what));
}

/* An order key's counter, on a line of its own (only its resource's users touch it). */
typedef struct stream_key {
        alignas(64) _Atomic uint64_t next; /* the next version to take */
} stream_key;

/* A ring's counters, in shared memory: stream.c says how they are used (its own; here for the
 * producer's inline way, which stores tail and taking_*). */
typedef struct stream_ring {
        /* The producer's own line (the reaper reads it after the producer died). */
        alignas(64) _Atomic uint64_t tail; /* slots written whole */
        _Atomic uint64_t taking_ver;       /* a version taken and not written yet ... */
        _Atomic int32_t taking_key; /* ... of this key (-1: none; stored after the version) */
        _Atomic uint64_t waits, sleeps, flushes; /* read by stream_get_stats from anywhere */
        _Atomic uint64_t held;   /* the last step held back (stream_hold_step), for a reaper ... */
        _Atomic uint64_t held_t; /* ... with the tail then + 1 (0: none): still held if equal */

        alignas(64) _Atomic uint64_t pub; /* slots made visible */

        alignas(64) _Atomic uint64_t head; /* slots the consumer has read and freed */

        alignas(64) _Atomic uint32_t prod_sleeping; /* the producer waits for room */
        _Atomic uint32_t prod_futex;
} stream_ring;

/*
 * A producer's writing state. The calling thread's is stream_mine (per thread, as errno is: a
 * producer's identity travels with its thread and the thread's forked children), set by
 * stream_attach; what the consumer or a reaper must see is in the ring, in shared memory: the
 * count of slots written whole (tail) and the version being taken (taking_key, taking_ver).
 */
typedef struct stream_producer {
        /* what every event uses, inline (stream_begin, stream_end), first */
        stream_head *slots;  /* the ring's slots: slot i is slots[i & mask] */
        uint64_t mask;       /* the ring's slots - 1 */
        uint64_t t;          /* slots written (the ring's tail, as this side has it) */
        uint64_t room_end;   /* head_end, or 0 at the batch's first event (and with no ring) */
        uint64_t batch_t;    /* the batch's time stamp */
        uint32_t batch_left; /* events until the batch's flush; STREAM_BATCH: none yet */
        uint32_t want_seen;  /* the consumer's last request for a flush, answered */
        bool step_held;      /* a STEP is held back (stream_hold_step), in `step` */
        bool prefetchw;      /* the CPU has x86's write prefetch (stream_prefetch_slot) */
        stream_key *keys;    /* the stream's order keys */
        const _Atomic uint32_t *want; /* the consumer's requests for a flush */
        stream_ring *r;               /* the ring */
        /* the rest */
        uint64_t step;       /* the STEP held, as a slot carries it */
        stream *s;           /* NULL: the thread has no ring */
        uint64_t head_end;   /* the consumer's head as last loaded + the ring's slots */
        uint64_t mapped_t;   /* slots up to which this process has the ring's pages mapped ... */
        uint64_t mapped_end; /* ... until the whole ring is (0: not asked for: stream_prepare) */
        int ring;            /* its number */
} stream_producer;

extern _Thread_local stream_producer stream_mine __attribute__((tls_model("local-exec")));

/* For stream_begin_any: room for the whole event, the batch's time stamp; returns LEN, at most
 * EVENT_MAX_TEXT (stream_put_text finds where a longer text is cut). Dies when the thread has no
 * ring. */
size_t stream_prepare(stream_producer *p, size_t len);
/* For stream_end: a text longer than STREAM_HEAD_TEXT (LEN bytes; past EVENT_MAX_TEXT cut here,
 * and H->len set) into H and the slots after it; the slots the event takes. */
uint64_t stream_put_text(stream_producer *p, stream_head *h, const char *text, size_t len);
/* For stream_end: the batch is full, or the consumer asked for it: make it visible. */
void stream_end_batch(stream_producer *p);

/*
 * Asks for the line of slot H to be this core's, to write, before the producer gets there. The
 * consumer's core read the slot a ring ago and still has the line: a read prefetch brings it in
 * shared, and the first store must then take it from the consumer's core while the producer
 * waits — at its next locked instruction, often inside a lock. x86's write prefetch (prefetchw)
 * takes it for writing at once. GCC emits that for __builtin_prefetch(H, 1) only when told the
 * target has it, which a generic x86-64 build is not, so it is asked for here, where the CPU
 * says it has it (stream_create looks once).
 */
static inline void stream_prefetch_slot(const stream_producer *p, const stream_head *h)
{
#if defined(__x86_64__) || defined(__i386__)
        if (p->prefetchw) {
                __asm__("prefetchw %0" : : "m"(*(const char *)h));
                return;
        }
#endif
        __builtin_prefetch(h, 1);
}

/* stream_begin's second half, once the event can be written: its version, its first slot. */
static inline stream_head *stream_begin_at(stream_producer *p, int key, size_t len)
{
        uint64_t ver = 0, t = p->t;
        stream_head *h = &p->slots[t & p->mask];

        /* The slot a few events on is asked for now, to be ours when we get there (a slot the
         * consumer has not read yet is only shared with it: a hint, no check) ... */
        stream_prefetch_slot(p, &p->slots[(t + STREAM_PREFETCH) & p->mask]);
        /* ... and the version before the slot's stores: a locked add waits for the stores before
         * it, and the slot's may be slow (its line comes back from the consumer's core). If
         * this process dies before the event is counted (stream_end), stream_ring_dead finds the
         * version in taking_*: the version is stored before the key that says it is there. */
        if (key >= 0) {
                stream_ring *r = p->r;

                ver = atomic_fetch_add_explicit(&p->keys[key].next, 1, memory_order_relaxed);
                atomic_store_explicit(&r->taking_ver, ver, memory_order_relaxed);
                atomic_store_explicit(&r->taking_key, key, memory_order_release);
        }
        h->len = (uint32_t)len;
        h->key = key;
        h->ver = ver;
        h->t_ns = p->batch_t;
        return h;
}

/*
 * The calling thread's next event, LEN bytes of text (0 when it has none), of order KEY (as
 * stream_publish's: the key's next version is taken here, in the place the caller's order needs
 * it): its first slot with len, key, ver and t_ns written; the caller writes the other fields
 * (not text) and then calls stream_end. NULL when the event is not the common one (a text longer
 * than STREAM_HEAD_TEXT, a ring that is full or not attached, the batch's first event, which
 * reads the clock): then nothing is done, and the caller calls stream_begin_any, out of line
 * (so that the common way makes no call but its last). KEY must be one of the stream's (no check
 * here): STREAM_NO_KEY up to the count given to stream_create, less one.
 */
static inline stream_head *stream_begin(stream_producer *p, int key, size_t len)
{
        /* no room: a full ring, or room_end 0 (the batch's first event, or a thread that has no
         * ring) */
        if (__builtin_expect(len > STREAM_HEAD_TEXT || p->t >= p->room_end, 0))
                return NULL;
        return stream_begin_at(p, key, len);
}

/* The event stream_begin gave (H) is not to be: its version is given up, in its place an order
 * only (never given out) that lets its key go on. */
void stream_give_back(stream_producer *p, stream_head *h);

/* stream_begin for any event: waits for room, reads the clock, cuts a long text. */
static inline stream_head *stream_begin_any(stream_producer *p, int key, size_t len)
{
        return stream_begin_at(p, key, stream_prepare(p, len));
}

/* Copies LEN bytes, 1 to STREAM_HEAD_TEXT, of a short text into DST: two copies of a fixed size
 * that may overlap, inline, rather than a call of memcpy for a few bytes (nearly every text is a
 * short repr). Never reads a byte past the text's end. */
static inline void stream_copy_short(char *dst, const char *src, size_t len)
{
        if (len >= 8) {
                uint64_t a, b;

                memcpy(&a, src, 8);
                memcpy(&b, src + len - 8, 8);
                memcpy(dst, &a, 8);
                memcpy(dst + len - 8, &b, 8);
        } else if (len >= 4) {
                uint32_t a, b;

                memcpy(&a, src, 4);
                memcpy(&b, src + len - 4, 4);
                memcpy(dst, &a, 4);
                memcpy(dst + len - 4, &b, 4);
        } else {
                dst[0] = src[0];
                dst[len / 2] = src[len / 2];
                dst[len - 1] = src[len - 1];
        }
}

/*
 * Holds back a STEP event of the calling thread's ring (an actor's: statement STMT, event flags
 * FLAGS, actor ACTOR; no resource, number or text; no order key) to ride in the slot of the
 * thread's next event, ahead of it (STREAM_STEP_BEFORE). It is written in a slot of its own when
 * the next event cannot carry it (a longer text, an order only) and before anything is made
 * visible (every flush), so that it is never later than a step published the plain way would
 * have been. None may be held already, and the thread must have a ring.
 */
static inline void stream_hold_step(stream_producer *p, int32_t stmt, uint8_t flags, int16_t actor)
{
        char img[8]; /* its layout: stream.c's step_unpack */

        memcpy(img, &stmt, 4);
        img[4] = (char)flags;
        memcpy(img + 5, &actor, 2);
        img[7] = 0;
        memcpy(&p->step, img, sizeof(img));
        p->step_held = true;
        /* for a reaper, should this process die holding it (stream_ring_dead): still held while
         * the ring's tail is where it was */
        atomic_store_explicit(&p->r->held, p->step, memory_order_relaxed);
        atomic_store_explicit(&p->r->held_t, p->t + 1, memory_order_release);
}

/* The step held (stream_hold_step) into the slot H, which is to carry it. */
static inline void stream_carry_step(stream_producer *p, stream_head *h)
{
        memcpy(h->text + STREAM_STEP_AT, &p->step, sizeof(p->step));
        h->flags |= STREAM_STEP_BEFORE;
        p->step_held = false;
}

/* The event whose last slot is T - 1 written whole: counted, and the batch made visible when it
 * is full or the consumer asked for it. For stream_end and stream_end_apart. */
static inline __attribute__((always_inline)) void stream_count(stream_producer *p, uint64_t t)
{
        stream_ring *r = p->r;

        p->t = t;
        /* For a process that dies here, the order its stores are made in (release: plain stores
         * on x86, kept in order by the compiler): the slots before the count, the count before
         * "nothing taken". */
        atomic_store_explicit(&r->tail, t, memory_order_release);
        atomic_store_explicit(&r->taking_key, -1, memory_order_release);
        if (--p->batch_left == 0 ||
            atomic_load_explicit(p->want, memory_order_relaxed) != p->want_seen)
                stream_end_batch(p);
}

/* stream_end for an event H of one slot whose text is too long to carry the step held: the event
 * moved a slot on, the step written apart in its place. Out of line, a tail call (rare). */
void stream_end_apart(stream_producer *p, stream_head *h);

/*
 * The event stream_begin gave (H), its fields written: its text (LEN bytes as given to
 * stream_begin; TEXT may be NULL when LEN is 0) goes in, and the event is written whole, with the
 * step held before it if there is one: carried in its slot, or (a text of more than
 * STREAM_STEP_AT bytes, rare) apart in the slot before it. Visible to the consumer at the batch's
 * flush.
 */
static inline __attribute__((always_inline)) void stream_end(stream_producer *p, stream_head *h,
                                                             const char *text, size_t len)
{
        uint64_t t = p->t + 1;

        if (len > STREAM_HEAD_TEXT)
                t = p->t + stream_put_text(p, h, text, len);
        else if (len > 0)
                stream_copy_short(h->text, text, len);
        if (p->step_held && h->kind < STREAM_KIND_MARKS) {
                if (len > STREAM_STEP_AT) {
                        stream_end_apart(p, h);
                        return;
                }
                stream_carry_step(p, h);
        }
        stream_count(p, t);
}

/*
 * The one consumer: waits up to TIMEOUT_MS (0: do not wait, -1: forever) for the next event.
 * Returns 1 with the event in EV (seq 1, 2, 3, ...; t_ns since stream_create, never decreasing;
 * ev->text points into TEXT's buffer until TEXT changes), 0 when none came in time, -1 when the
 * stream is closed and everything published before the close has been read.
 */
int stream_next(stream *s, event *ev, strbuf *text, int timeout_ms);
/* From now on stream_next gives an int's text as its 8 bytes with EVENT_INT (event.h) instead of
 * its decimal: for a consumer that folds it as an int (model_apply) and writes the decimal only
 * where it must. The consumer's call; the second reader (stream_reader) always writes it. */
void stream_keep_ints(stream *s);

/*
 * A second reader, for step mode's scheduler in the runner (session's stepper), in the runner's
 * own memory: it reads every event written whole (up to each ring's tail: also what is not
 * visible to the consumer yet), in the consumer's order, and frees nothing. It is sound only
 * where the producers stop between its reads (step mode: every actor but one waits at a gate,
 * and the reader reads at every gate), so that no producer writes a ring's worth of slots past
 * what it has read, which the consumer may have freed (it dies if one did). In step mode a step
 * writes a few events of at most 1,025 slots each (EVENT_MAX_TEXT), and a run of threads has at
 * most 65 rings of 8,192 slots or more (STREAM_BUDGET shared out). Threads of the process that
 * created the stream only: the tails it reads are loaded with acquire.
 */
typedef struct stream_reader stream_reader;

stream_reader *stream_reader_new(stream *s);
void stream_reader_free(stream_reader *rd);
/* The next event (1, with seq counted from 1, the time stamp as written, the text in TEXT) or
 * 0 when none is written whole that may come next. */
int stream_reader_next(stream_reader *rd, event *ev, strbuf *text);
/* Whether RD has read everything written so far. */
bool stream_reader_done(const stream_reader *rd);

/*
 * The consumer: whether every event written so far has been published and read. A producer
 * publishes before anything that can block (stream_flush), so an actor that is asleep in a wait
 * has nothing unpublished; one that has is running, or was stopped by the scheduler in the middle
 * of a batch. A live run's deadlock check asks this first: the model is then not behind anyone.
 */
bool stream_settled(const stream *s);

/*
 * Says that the producers are done (they have returned from stream_publish, exited or died):
 * stream_next drains what was published and then returns -1. A version a dead producer took is
 * skipped then. Publishing after the close is a bug.
 */
void stream_close(stream *s);

/*
 * A descriptor for a front end's poll(): FD (an eventfd, or the write end of a pipe, opened before
 * the fork so the producers have it) is written whenever a producer publishes while the consumer
 * is armed. Set once, before anyone publishes.
 */
void stream_set_wake_fd(stream *s, int fd);
/*
 * The consumer, instead of sleeping in stream_next: true when nothing is there to read and the
 * next publish (or stream_close) will write the wake descriptor; false when something can be read
 * now (read it, then arm again). Armed, the consumer also asks every producer to make what it
 * has written visible at its next event. LAZY: the consumer looks again on its own within a few
 * milliseconds (a timer), and, if it has read everything visible (else the flushes it asks for
 * are what it waits for: armed as without LAZY), wants the descriptor written only for half a
 * ring unread (STREAM_LAZY_UNREAD), stream_flush_now, a full ring, a dead producer's ring, and
 * stream_close: a live run's hand-offs then cost no wake-up each, and a stream of events one
 * every half a ring rather than one every batch.
 */
bool stream_arm(stream *s, bool lazy);

typedef struct stream_stats {
        uint64_t events;          /* events read by the consumer */
        uint64_t producer_waits;  /* a producer found its ring full */
        uint64_t consumer_waits;  /* the consumer found nothing it could read and had to wait */
        uint64_t producer_sleeps; /* ... and went to sleep in the kernel (futex) */
        uint64_t consumer_sleeps;
        uint64_t flushes; /* batches made visible */
        uint64_t broken;  /* versions given up: their producer died before writing */
} stream_stats;

/* Counters so far; any thread or process. */
void stream_get_stats(const stream *s, stream_stats *out);

#endif
