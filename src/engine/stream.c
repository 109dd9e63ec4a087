/*
 * stream.c — the event stream: a bounded multi-producer, single-consumer ring in shared memory;
 * see stream.h.
 *
 * The design follows Dmitry Vyukov's bounded queue. The ring is an array of 64-byte slots, each
 * with a turn word; ticket t lives in slot t & mask, and the turn says whose move it is:
 *   turn == t       the slot is free for the producer holding ticket t;
 *   turn == t + 1   ticket t is written: the consumer may read it;
 * and the consumer, having read ticket t, sets turn = t + nslots (free again, one lap later).
 * A producer claims all the slots of an event with one fetch-add on `tail` (the one word that all
 * producers write), so the claim order is the event order; then it writes and publishes the
 * slots one by one. One by one matters: an event may need more slots than the ring has, and it
 * still goes through as the consumer frees them.
 *
 * An event's first slot holds its fields and the first HEAD_TEXT bytes of its text; each further
 * slot holds SLOT_TEXT more. `word` tells a first slot (HEADER_BIT | text length) from the others
 * (0), which lets the consumer skip what a dead producer left half-written once the stream is
 * closed.
 *
 * Turns are 32 bits: a waiter only ever compares for equality with a value less than one lap
 * away, so truncation is harmless while the ring has fewer than 2^31 slots.
 *
 * Waiting: spin briefly, then sleep on a futex word (shared, not FUTEX_PRIVATE_FLAG, so that it
 * works across processes). The side that goes to sleep announces it (a flag or a counter), then
 * looks again; the other side publishes, then looks at the announcement. A seq_cst fence between
 * the store and the load on each side means at least one of them sees the other (Dekker), so no
 * wake-up is lost, and while no one sleeps the fast path makes no system call.
 */
#include "stream.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../util/utf8.h"
#include "../util/xalloc.h"

#define SLOT_SIZE   64
#define SLOT_TEXT   56          /* text bytes in a slot after the first */
#define HEAD_TEXT   24          /* text bytes in an event's first slot */
#define HEADER_BIT  0x80000000u /* `word` of an event's first slot: HEADER_BIT | text length */
#define SKIP_BIT    0x40000000u /* `word` of a slot whose producer died before writing it */
#define SPIN_PAUSES 256         /* busy looks before yielding the CPU: a few microseconds */
#define SPIN_YIELDS 8           /* sched_yield()s before sleeping: on 2 cores, let the other run */
#define WAKE_BATCH  32          /* freed slots after which the consumer looks for sleepers */

/* The atomics live in memory shared between processes: they must not be emulated with a lock. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
               "the stream needs lock-free 32- and 64-bit atomics");

struct head { /* an event's fields, in its first slot */
        uint64_t t_ns;
        int64_t num;
        int32_t stmt;
        int32_t aux;
        uint8_t kind;
        uint8_t flags;
        int16_t actor;
        int16_t res;
        int16_t other;
        char text[HEAD_TEXT];
};

typedef struct slot {
        _Atomic uint32_t turn;
        uint32_t word; /* HEADER_BIT | text length in an event's first slot, 0 in the others */
        union {
                struct head head;
                char text[SLOT_TEXT];
        } u;
} slot;

_Static_assert(sizeof(struct head) == SLOT_TEXT, "the header fills a slot");
/* A tripwire: a field added to event must be carried in struct head too. */
_Static_assert(sizeof(event) == 56, "event changed: carry its new fields through the stream");
_Static_assert(sizeof(slot) == SLOT_SIZE, "a slot is one cache line");

/* Fields that different sides write are kept on different cache lines. */
struct stream {
        /* Set by stream_create, read-only afterwards. */
        uint64_t nslots;
        uint64_t mask;
        uint64_t t0_ns;
        size_t map_size;
        int wake_fd; /* written when the consumer is armed (stream_arm); -1: none */

        /* The next ticket: every publish adds to it. */
        alignas(64) _Atomic uint64_t tail;

        /* Read by every publish, written rarely. */
        alignas(64) _Atomic uint32_t cons_sleeping; /* the consumer is (about to be) asleep */
        _Atomic uint32_t closed;

        /* Sleeping and its counters: slow paths only. */
        alignas(64) _Atomic uint32_t cons_futex; /* bumped to wake the consumer */
        _Atomic uint32_t prod_futex;             /* bumped to wake producers */
        _Atomic uint32_t prod_sleeping;          /* producers (about to be) asleep */
        _Atomic uint64_t producer_waits;
        _Atomic uint64_t producer_sleeps;

        /* The consumer's own state (only the consumer writes here). */
        alignas(64) uint64_t head; /* the next ticket to read */
        uint64_t seq;              /* the last seq handed out */
        uint64_t last_t;           /* the last t_ns handed out */
        uint64_t unchecked;        /* slots freed since the consumer last looked for sleepers */
        bool in_event;             /* stream_next timed out in the middle of an event */
        uint32_t cur_len;          /* that event's text length, */
        uint32_t cur_done;         /* how much of it was read, */
        struct head cur;           /* its fields */
        strbuf stash;              /* and the text read so far */
        _Atomic uint64_t events;
        _Atomic uint64_t consumer_waits;
        _Atomic uint64_t consumer_sleeps;
        _Atomic uint64_t broken;

        alignas(64) slot slots[];
};

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
}

static void futex_wait(_Atomic uint32_t *word, uint32_t seen, const struct timespec *rel)
{
        /* EAGAIN: the word changed already; EINTR: a signal; both mean "look again". */
        if (syscall(SYS_futex, (void *)word, FUTEX_WAIT, seen, rel, NULL, 0) == -1 &&
            errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
                xdie("event stream: futex wait: %s", strerror(errno));
}

static void futex_wake(_Atomic uint32_t *word, int n)
{
        syscall(SYS_futex, (void *)word, FUTEX_WAKE, n, NULL, NULL, 0);
}

static slot *slot_at(stream *s, uint64_t ticket)
{
        return &s->slots[ticket & s->mask];
}

/* Slots an event with LEN bytes of text takes. */
static uint64_t slots_for(size_t len)
{
        return len <= HEAD_TEXT ? 1 : 1 + (len - HEAD_TEXT + SLOT_TEXT - 1) / SLOT_TEXT;
}

stream *stream_create(size_t slots)
{
        size_t size;
        void *p;
        stream *s;

        if (slots < STREAM_MIN_SLOTS || slots > STREAM_MAX_SLOTS || (slots & (slots - 1)) != 0) {
                errno = EINVAL;
                return NULL;
        }
        size = sizeof(stream) + slots * sizeof(slot);
        /* Shared and anonymous: every process forked from here on sees the same ring. */
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        s = p; /* zero-filled: counters 0, not closed, nobody asleep */
        s->nslots = slots;
        s->mask = slots - 1;
        s->map_size = size;
        for (size_t i = 0; i < slots; i++)
                atomic_init(&s->slots[i].turn, (uint32_t)i);
        s->t0_ns = now_ns();
        s->wake_fd = -1;
        return s;
}

void stream_destroy(stream *s)
{
        if (s == NULL)
                return;
        strbuf_free(&s->stash);
        munmap(s, s->map_size);
}

/* ---- producers ---- */

/* Makes the consumer's descriptor readable: one 8-byte count for an eventfd, one byte for a pipe
 * (EAGAIN on a full pipe or a saturated counter means it is readable already). */
static void notify_fd(int fd)
{
        uint64_t one = 1;

        while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
                ;
}

static void wake_consumer(stream *s)
{
        /* Pairs with the fence in wait_published: our turn stores before, its flag after. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&s->cons_sleeping, memory_order_relaxed) != 0 &&
            atomic_exchange_explicit(&s->cons_sleeping, 0, memory_order_acquire) != 0) {
                /* Only the producer that cleared the flag makes the system call. */
                atomic_fetch_add_explicit(&s->cons_futex, 1, memory_order_release);
                futex_wake(&s->cons_futex, 1);
                if (s->wake_fd >= 0)
                        notify_fd(s->wake_fd);
        }
}

/* Waits until SL is free for ticket WANT (the consumer has read the ticket one lap before). */
static void wait_free(stream *s, slot *sl, uint32_t want)
{
        if (atomic_load_explicit(&sl->turn, memory_order_acquire) == want)
                return;
        atomic_fetch_add_explicit(&s->producer_waits, 1, memory_order_relaxed);
        /* The slots of this event published so far may be what the consumer sleeps on. */
        wake_consumer(s);
        for (int i = 0; i < SPIN_PAUSES; i++) {
                if (atomic_load_explicit(&sl->turn, memory_order_acquire) == want)
                        return;
                cpu_relax();
        }
        for (int i = 0; i < SPIN_YIELDS; i++) {
                sched_yield();
                if (atomic_load_explicit(&sl->turn, memory_order_acquire) == want)
                        return;
        }
        for (;;) {
                uint32_t seen = atomic_load_explicit(&s->prod_futex, memory_order_acquire);

                atomic_fetch_add_explicit(&s->prod_sleeping, 1, memory_order_seq_cst);
                atomic_thread_fence(memory_order_seq_cst);
                if (atomic_load_explicit(&sl->turn, memory_order_acquire) != want) {
                        atomic_fetch_add_explicit(&s->producer_sleeps, 1, memory_order_relaxed);
                        futex_wait(&s->prod_futex, seen, NULL);
                }
                atomic_fetch_sub_explicit(&s->prod_sleeping, 1, memory_order_relaxed);
                if (atomic_load_explicit(&sl->turn, memory_order_acquire) == want)
                        return;
        }
}

/* Copies N bytes from POS of the text TEXT[0..CUT) followed by the string MORE. */
static void copy_text(char *dst, size_t pos, size_t n, const char *text, size_t cut,
                      const char *more)
{
        if (pos < cut) {
                size_t k = n < cut - pos ? n : cut - pos;

                memcpy(dst, text + pos, k);
                dst += k;
                pos += k;
                n -= k;
        }
        if (n > 0)
                memcpy(dst, more + (pos - cut), n);
}

void stream_publish(stream *s, const event *ev)
{
        stream_publish_claimed(s, ev, NULL);
}

void stream_abandon(stream *s, stream_claim *c)
{
        uint64_t first = c->first, n = c->n;

        for (uint64_t t = first; t < first + n; t++) {
                slot *sl = slot_at(s, t);
                uint32_t turn = atomic_load_explicit(&sl->turn, memory_order_acquire);

                /* written before the producer died (and maybe read already) */
                if (turn == (uint32_t)(t + 1) || turn == (uint32_t)(t + s->nslots))
                        continue;
                /* still the consumer's from the last lap: the producer died waiting for it */
                wait_free(s, sl, (uint32_t)t);
                sl->word = (t == first ? HEADER_BIT : 0) | SKIP_BIT;
                atomic_store_explicit(&sl->turn, (uint32_t)(t + 1), memory_order_release);
        }
        c->n = 0;
        wake_consumer(s);
}

void stream_publish_claimed(stream *s, const event *ev, stream_claim *claim)
{
        const char *text = ev->text ? ev->text : "";
        const char *more = "";
        size_t len = ev->text ? ev->len : 0;
        size_t cut = len, done;
        uint64_t n, t, t_ns;
        slot *sl;
        struct head *h;

        if (len > EVENT_MAX_TEXT) {
                /* Cut at a character boundary, never inside a UTF-8 sequence. */
                cut = utf8_cut(text, EVENT_MAX_TEXT - (sizeof(EVENT_CUT_MARK) - 1));
                more = EVENT_CUT_MARK;
                len = cut + sizeof(EVENT_CUT_MARK) - 1;
        }
        n = slots_for(len);
        /*
         * Stamped before the claim: measured, the clock costs twice as much right after the locked
         * add (bench/stream_bench.c). stream_next evens out the rare inversion between producers.
         */
        t_ns = now_ns() - s->t0_ns;
        /*
         * Relaxed is enough for the order: fetch-adds on one object are totally ordered, and one
         * that happens after another (an acquire after the matching release) reads a later value.
         */
        t = atomic_fetch_add_explicit(&s->tail, n, memory_order_relaxed);
        if (claim != NULL) {
                claim->first = t;
                claim->n = n;
        }

        sl = slot_at(s, t);
        wait_free(s, sl, (uint32_t)t);
        sl->word = HEADER_BIT | (uint32_t)len;
        h = &sl->u.head;
        h->t_ns = t_ns;
        h->num = ev->num;
        h->stmt = ev->stmt;
        h->aux = ev->aux;
        h->kind = ev->kind;
        h->flags = ev->flags;
        h->actor = ev->actor;
        h->res = ev->res;
        h->other = ev->other;
        done = len < HEAD_TEXT ? len : HEAD_TEXT;
        copy_text(h->text, 0, done, text, cut, more);
        atomic_store_explicit(&sl->turn, (uint32_t)(t + 1), memory_order_release);

        for (uint64_t i = 1; i < n; i++) {
                size_t k = len - done < SLOT_TEXT ? len - done : SLOT_TEXT;

                sl = slot_at(s, t + i);
                wait_free(s, sl, (uint32_t)(t + i));
                sl->word = 0;
                copy_text(sl->u.text, done, k, text, cut, more);
                done += k;
                atomic_store_explicit(&sl->turn, (uint32_t)(t + i + 1), memory_order_release);
        }
        if (claim != NULL)
                claim->n = 0;
        wake_consumer(s);
}

/* ---- the consumer ---- */

static bool published(slot *sl, uint64_t ticket)
{
        return atomic_load_explicit(&sl->turn, memory_order_acquire) == (uint32_t)(ticket + 1);
}

static void wake_producers(stream *s)
{
        s->unchecked = 0;
        /* Pairs with the fence in wait_free: our turn stores before, its counter after. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&s->prod_sleeping, memory_order_acquire) != 0) {
                atomic_fetch_add_explicit(&s->prod_futex, 1, memory_order_release);
                /* All: each waits for its own slot, and we cannot tell whose is free. */
                futex_wake(&s->prod_futex, INT_MAX);
        }
}

static void free_slot(stream *s, slot *sl, uint64_t ticket)
{
        atomic_store_explicit(&sl->turn, (uint32_t)(ticket + s->nslots), memory_order_release);
        s->unchecked++;
}

/*
 * Waits for ticket H to be published: 1 when it is, 0 when TIMEOUT_MS passed (DEADLINE, set at
 * the first wait of a stream_next call), -1 when the stream is closed and H never will be.
 */
static int wait_published(stream *s, uint64_t h, int timeout_ms, uint64_t *deadline)
{
        slot *sl = slot_at(s, h);

        if (published(sl, h))
                return 1;
        /* Whoever writes H may be asleep waiting for a slot we freed: it must run first. */
        if (s->unchecked > 0)
                wake_producers(s);
        if (atomic_load_explicit(&s->closed, memory_order_acquire))
                return published(sl, h) ? 1 : -1;
        if (timeout_ms == 0)
                return 0;
        if (timeout_ms > 0 && *deadline == 0)
                *deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
        atomic_fetch_add_explicit(&s->consumer_waits, 1, memory_order_relaxed);
        for (int i = 0; i < SPIN_PAUSES; i++) {
                if (published(sl, h))
                        return 1;
                cpu_relax();
        }
        for (int i = 0; i < SPIN_YIELDS; i++) {
                sched_yield();
                if (published(sl, h))
                        return 1;
        }
        for (;;) {
                uint32_t seen = atomic_load_explicit(&s->cons_futex, memory_order_acquire);
                struct timespec rel, *relp = NULL;
                int r = 2; /* keep waiting */

                atomic_store_explicit(&s->cons_sleeping, 1, memory_order_seq_cst);
                atomic_thread_fence(memory_order_seq_cst);
                if (published(sl, h))
                        r = 1;
                else if (atomic_load_explicit(&s->closed, memory_order_acquire))
                        r = published(sl, h) ? 1 : -1;
                else if (timeout_ms > 0) {
                        uint64_t now = now_ns();

                        if (now >= *deadline) {
                                r = 0;
                        } else {
                                rel.tv_sec = (time_t)((*deadline - now) / 1000000000u);
                                rel.tv_nsec = (long)((*deadline - now) % 1000000000u);
                                relp = &rel;
                        }
                }
                if (r != 2) {
                        atomic_store_explicit(&s->cons_sleeping, 0, memory_order_relaxed);
                        return r;
                }
                atomic_fetch_add_explicit(&s->consumer_sleeps, 1, memory_order_relaxed);
                futex_wait(&s->cons_futex, seen, relp);
                atomic_store_explicit(&s->cons_sleeping, 0, memory_order_relaxed);
        }
}

/*
 * Reads the rest of the current event's text into TEXT: 1 when complete, 0 on timeout (the text
 * so far is kept for the next call), -1 when the stream was closed before its producer finished.
 */
static int read_text(stream *s, strbuf *text, int timeout_ms, uint64_t *deadline)
{
        while (s->cur_done < s->cur_len) {
                slot *sl = slot_at(s, s->head);
                uint32_t k = s->cur_len - s->cur_done;
                int r = wait_published(s, s->head, timeout_ms, deadline);

                if (r <= 0) {
                        if (r == 0) {
                                strbuf_reset(&s->stash);
                                strbuf_append(&s->stash, strbuf_str(text), text->len);
                        }
                        s->in_event = r == 0;
                        return r;
                }
                if (sl->word & SKIP_BIT) {
                        /* its producer died: the rest of the event is skipped too */
                        free_slot(s, sl, s->head);
                        s->head++;
                        s->in_event = false;
                        return -1;
                }
                if (k > SLOT_TEXT)
                        k = SLOT_TEXT;
                strbuf_append(text, sl->u.text, k);
                s->cur_done += k;
                free_slot(s, sl, s->head);
                s->head++;
        }
        return 1;
}

int stream_next(stream *s, event *ev, strbuf *text, int timeout_ms)
{
        uint64_t deadline = 0, t;
        int r;

        for (;;) {
                if (s->in_event) {
                        strbuf_reset(text);
                        strbuf_append(text, strbuf_str(&s->stash), s->stash.len);
                } else {
                        slot *sl = slot_at(s, s->head);

                        r = wait_published(s, s->head, timeout_ms, &deadline);
                        if (r == 0)
                                return 0;
                        if (r < 0) {
                                /* Closed: the end, or a ticket whose producer died unpublished. */
                                if (s->head == atomic_load_explicit(&s->tail, memory_order_acquire))
                                        return -1;
                                s->head++;
                                continue;
                        }
                        if ((sl->word & HEADER_BIT) == 0 || (sl->word & SKIP_BIT)) {
                                /* The rest of an event whose start was skipped (see below), or
                                 * an event its producer died before writing (stream_abandon). */
                                if (sl->word & SKIP_BIT)
                                        atomic_fetch_add_explicit(&s->broken,
                                                                  (sl->word & HEADER_BIT) != 0,
                                                                  memory_order_relaxed);
                                free_slot(s, sl, s->head);
                                s->head++;
                                continue;
                        }
                        s->cur = sl->u.head;
                        s->cur_len = sl->word & ~HEADER_BIT;
                        s->cur_done = s->cur_len < HEAD_TEXT ? s->cur_len : HEAD_TEXT;
                        strbuf_reset(text);
                        strbuf_append(text, sl->u.head.text, s->cur_done);
                        free_slot(s, sl, s->head);
                        s->head++;
                }
                r = read_text(s, text, timeout_ms, &deadline);
                if (r == 0)
                        return 0;
                if (r > 0)
                        break;
                /* Its producer died mid-publish: drop the half event, go on after it. */
                atomic_fetch_add_explicit(&s->broken, 1, memory_order_relaxed);
        }
        s->in_event = false;

        ev->seq = ++s->seq;
        /* Producers stamp before they publish; the consumer keeps time from going backwards. */
        t = s->cur.t_ns > s->last_t ? s->cur.t_ns : s->last_t;
        s->last_t = t;
        ev->t_ns = t;
        ev->kind = s->cur.kind;
        ev->flags = s->cur.flags;
        ev->actor = s->cur.actor;
        ev->res = s->cur.res;
        ev->other = s->cur.other;
        ev->stmt = s->cur.stmt;
        ev->aux = s->cur.aux;
        ev->num = s->cur.num;
        ev->len = s->cur_len;
        ev->text = strbuf_str(text);
        atomic_store_explicit(&s->events, s->seq, memory_order_relaxed);

        /*
         * Producers asleep on a full ring are woken in batches, or as soon as the consumer has
         * caught up. A plain look suffices here: what guarantees no wake-up is lost is the fenced
         * look in wait_published, before the consumer itself waits.
         */
        if (s->unchecked > 0 &&
            atomic_load_explicit(&s->prod_sleeping, memory_order_relaxed) != 0 &&
            (s->unchecked >= WAKE_BATCH || !published(slot_at(s, s->head), s->head)))
                wake_producers(s);
        return 1;
}

void stream_set_wake_fd(stream *s, int fd)
{
        s->wake_fd = fd;
}

bool stream_arm(stream *s)
{
        slot *sl = slot_at(s, s->head);

        if (published(sl, s->head))
                return false;
        if (s->unchecked > 0)
                wake_producers(s);
        /* The same announcement as wait_published's, with the same fence (Dekker): a producer
         * that publishes after this store sees the flag and writes the descriptor, or this look
         * sees its event. */
        atomic_store_explicit(&s->cons_sleeping, 1, memory_order_seq_cst);
        atomic_thread_fence(memory_order_seq_cst);
        if (published(sl, s->head) || atomic_load_explicit(&s->closed, memory_order_acquire)) {
                atomic_store_explicit(&s->cons_sleeping, 0, memory_order_relaxed);
                return false;
        }
        return true;
}

void stream_close(stream *s)
{
        atomic_store_explicit(&s->closed, 1, memory_order_seq_cst);
        wake_consumer(s);
}

void stream_get_stats(const stream *s, stream_stats *out)
{
        out->events = atomic_load_explicit(&s->events, memory_order_relaxed);
        out->producer_waits = atomic_load_explicit(&s->producer_waits, memory_order_relaxed);
        out->consumer_waits = atomic_load_explicit(&s->consumer_waits, memory_order_relaxed);
        out->producer_sleeps = atomic_load_explicit(&s->producer_sleeps, memory_order_relaxed);
        out->consumer_sleeps = atomic_load_explicit(&s->consumer_sleeps, memory_order_relaxed);
        out->broken = atomic_load_explicit(&s->broken, memory_order_relaxed);
}
