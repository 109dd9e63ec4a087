/*
 * stream.c — the event stream: one single-producer ring per producer in shared memory, merged by
 * the one consumer in the order of per-key versions; see stream.h.
 *
 * A ring is an array of 64-byte slots and three counters, each on its own cache line:
 *   tail  the slots its producer has written whole (the producer's own, a release store at every
 *         event, plain on x86; read by the reaper, and by the consumer to know a ring is read to
 *         its end);
 *   pub   the slots made visible (a release store every STREAM_BATCH events, or in stream_flush:
 *         the consumer's acquire load of pub sees every slot before it);
 *   head  the slots the consumer has read and freed (a release store; the producer loads it
 *         only when its cached copy says the ring is full).
 * An event's first slot (stream_head) holds its fields, its order (key and version, or a ring's
 * mark) and the first HEAD_TEXT bytes of its text; each further slot SLOT_TEXT more. A slot may
 * also carry a STEP that comes before its event (STREAM_STEP_BEFORE: stream_hold_step, a text
 * of at most STREAM_STEP_AT bytes), which the consumer gives out first and then takes the flag
 * off (the slot is its own until it moves head past it). Any event
 * fits in a ring (STREAM_MIN_SLOTS), so a producer waits for room for the whole event and the pub
 * counter always falls between events.
 *
 * The producer's side of a ring that only it uses (its copy of tail, the consumer's head as last
 * loaded, the batch's count and stamp) is in the producer's state (stream_producer), the calling
 * thread's in a thread-local, so that an event loads nothing through the stream: stream_begin
 * and stream_end (stream.h) write an event inline, straight into its slot. A reaper writing into
 * a dead producer's ring (stream_ring_dead, stream_publish_for) makes a state of its own from the
 * ring's tail and head.
 *
 * A producer that dies. Its ring ends at its tail: stream_ring_dead publishes what it had written
 * whole. A version it took and did not write is in its ring's taking_ver and taking_key, stored
 * right after the add, the key last (a release store: what the key says is there before it), and
 * the key cleared after the tail's store; the reaper writes a marker in its place. A death between
 * the add and the key's store loses the version (stream_close lets the consumer past it), as one
 * between the tail's store and the clearing gives up a version that was written: harmless, the
 * marker comes after the event and is older than what its key expects by then.
 *
 * The order. Key k's version counter is bumped (a relaxed fetch-add: fetch-adds on one object
 * are totally ordered, and one that happens after another — an acquire after the release it
 * follows, under the resource's lock — reads a later value) as the event is written. The
 * consumer keeps the next version it expects for each key, and a ring's head event can be read
 * when its version is that one (or its ring mark has been read): some ring's head always can,
 * once every producer has made its events visible, since the versions were taken in an order
 * that the rings' own orders agree with. Among the heads that can be read, the one with the
 * earliest time stamp goes first, a batch at a time (a batch shares one clock read). END goes
 * last, once every other ring is read to what its producer wrote. Two records are orders only,
 * never given out: a mark of another ring (stream_order_after) and a version a dead producer
 * gave up (stream_ring_dead), which lets its key go on.
 *
 * Making events visible in batches is what makes publishing cheap, and it needs one rule: a
 * producer flushes before anything that can block (stream_flush, called by the engine before a
 * wait, a sleep, a gate, a blocking system call; and here before waiting for room), or the
 * consumer could wait for a version sitting in the batch of a producer that waits for the
 * consumer. When the consumer runs out of events it asks for every batch at once: it bumps
 * want_flush, and each producer flushes once at its next event when it sees a number it has not
 * answered yet (an answered request costs nothing more: a flag would make every event flush until
 * the consumer cleared it).
 *
 * Waiting: spin briefly, then sleep on a futex word (shared, not FUTEX_PRIVATE_FLAG, so that it
 * works across processes). The side that goes to sleep announces it (a flag), then looks again;
 * the other side publishes, then looks at the announcement. A seq_cst fence between the store and
 * the load on each side means at least one of them sees the other (Dekker), so no wake-up is
 * lost, and while no one sleeps the fast path makes no system call. A consumer that looks
 * again on its own (armed lazily, SLEEP_LAZY) is woken only for half a ring unread, or what
 * cannot wait: stream_flush_now, a full ring, a dead producer, the close.
 */
#include "stream.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "../scenario/value.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"

#define SLOT_SIZE      64
#define SLOT_TEXT      64               /* text bytes in a slot after the first */
#define HEAD_TEXT      STREAM_HEAD_TEXT /* text bytes in an event's first slot */
#define SPIN_PAUSES    512              /* busy looks before yielding the CPU: a few microseconds */
#define SPIN_YIELDS    16   /* sched_yield()s before sleeping: on 2 cores, let the others run */
#define SLEEP_MS       20   /* a sleeper looks again at least this often (a safety net) */
#define KIND_ORDER     0xfe /* only an order: stream_order_after */
#define KIND_SKIP      0xff /* a version given up by a dead producer (stream_ring_dead) */
#define SLEEP_FUTEX    1u   /* cons_sleeping: the consumer sleeps on cons_futex (stream_next) */
#define SLEEP_FD       2u   /* ... or is armed: the wake descriptor (stream_arm) */
#define SLEEP_LAZY     4u   /* ... and looks again on its own soon: wake it only when it must */
#define PREFETCH_AHEAD STREAM_PREFETCH /* slots a producer asks for ahead of writing them */

/* The atomics live in memory shared between processes: they must not be emulated with a lock. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
               "the stream needs lock-free 32- and 64-bit atomics");

typedef stream_head head; /* an event's first slot (stream.h) */

typedef union slot {
        head h;
        char text[SLOT_TEXT];
} slot;

_Static_assert(sizeof(head) == SLOT_SIZE, "the header fills a slot");
_Static_assert(sizeof(stream_key) == 64, "a key's counter is a cache line of its own");
_Static_assert(offsetof(head, flags) == offsetof(head, kind) + 1 &&
                   offsetof(head, actor) == offsetof(head, kind) + 2 &&
                   offsetof(head, res) == offsetof(head, kind) + 4 &&
                   offsetof(head, other) == offsetof(head, kind) + 6,
               "kind to other: the 8 bytes that STREAM_WHAT packs");
_Static_assert(sizeof(slot) == SLOT_SIZE, "a slot is one cache line");
_Static_assert(offsetof(stream_ring, held_t) + sizeof(uint64_t) <= 64,
               "the producer's own counters fill one cache line");
_Static_assert((STREAM_TEXT_INT & (EVENT_BEGINS_STEP | EVENT_GOES_ON | EVENT_ENDS_RUNNER)) == 0,
               "STREAM_TEXT_INT (EVENT_INT) is a bit no other event flag uses");
_Static_assert(STREAM_INT_LEN <= STREAM_HEAD_TEXT, "an int's bytes fit an event's first slot");
_Static_assert((STREAM_STEP_BEFORE &
                (EVENT_BEGINS_STEP | EVENT_GOES_ON | EVENT_ENDS_RUNNER | STREAM_TEXT_INT)) == 0,
               "STREAM_STEP_BEFORE is a bit no event flag uses");
_Static_assert(STREAM_STEP_AT + 8 <= STREAM_HEAD_TEXT && STREAM_INT_LEN <= STREAM_STEP_AT,
               "a carried step fits after an int's bytes");
_Static_assert(STREAM_KIND_MARKS == KIND_ORDER && KIND_SKIP > KIND_ORDER,
               "the kinds that carry no step: the orders only");
/* A tripwire: a field added to event must be carried in the header too. */
_Static_assert(sizeof(event) == 56, "event changed: carry its new fields through the stream");

typedef stream_ring ring; /* stream.h */

typedef stream_key order_key; /* stream.h */

/* The consumer's view of a ring (in its own memory). */
typedef struct view {
        uint64_t head;     /* the next slot to read */
        uint64_t avail;    /* pub, as last loaded */
        const slot *slots; /* the ring's slots (slot_at without the multiply, once per event) */
        ring *ring;
        uint64_t head_pub; /* head as last stored in the ring (free_slots) */
} view;

/* Fields that different sides write are kept on different cache lines. */
struct stream {
        /* Set by stream_create, read-only afterwards. */
        int nrings, nkeys;
        uint64_t nslots, mask;
        uint64_t t0_ns;
        size_t map_size;
        int wake_fd;    /* written when the consumer is armed (stream_arm); -1: none */
        bool prefetchw; /* the CPU has x86's write prefetch (stream_prefetch_slot) */
        ring *rings;
        order_key *keys;
        slot *slots;

        /* Read by every publish, written rarely. */
        alignas(64) _Atomic uint32_t want_flush; /* bumped: the consumer asks for every batch */
        _Atomic uint32_t cons_sleeping;          /* SLEEP_FUTEX, SLEEP_FD: how the consumer waits */
        _Atomic uint32_t closed;
        /* one past the highest ring that has had a producer (ring_used) */
        _Atomic int32_t rings_hi;

        alignas(64) _Atomic uint32_t cons_futex; /* bumped to wake the consumer */

        /* The consumer's own state (only the consumer writes here). */
        /* The last seq handed out, which is the count of events read too: atomic only for
         * stream_get_stats (a relaxed load and store, only the consumer writes it). */
        alignas(64) _Atomic uint64_t seq;
        uint64_t last_t;    /* the last t_ns handed out */
        int cur;            /* the ring read last */
        uint64_t cur_until; /* ... which goes on while its stamps are not later */
        bool keep_ints;     /* stream_keep_ints: an int's text stays its bytes (EVENT_INT) */
        view *views;        /* per ring (the consumer's memory) */
        uint64_t *expect;   /* per key: the next version */
        _Atomic uint64_t consumer_waits;
        _Atomic uint64_t consumer_sleeps;
        _Atomic uint64_t broken;
};

/*
 * The calling thread's ring and its state (stream.h). Per thread by nature, as errno is: a
 * producer's identity travels with the thread (and its forked children), and the engine's
 * blocking primitives, which know no actor, flush it. None yet: no room, so the first event
 * finds out (stream_prepare).
 */
_Thread_local stream_producer stream_mine __attribute__((tls_model("local-exec"))) = { .ring = -1 };

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether the CPU has x86's write prefetch (PREFETCHW): CPUID's extended leaf 1, ECX bit 8. */
static bool cpu_has_prefetchw(void)
{
#if defined(__x86_64__) || defined(__i386__)
        unsigned a, b, c, d;

        return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & bit_PRFCHW) != 0;
#else
        return false;
#endif
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

static slot *slot_at(const stream *s, int r, uint64_t pos)
{
        return &s->slots[(uint64_t)r * s->nslots + (pos & s->mask)];
}

/* Slots an event with LEN bytes of text takes. */
static uint64_t slots_for(size_t len)
{
        return len <= HEAD_TEXT ? 1 : 1 + (len - HEAD_TEXT + SLOT_TEXT - 1) / SLOT_TEXT;
}

static size_t round_down_pow2(size_t n)
{
        size_t p = 1;

        while (p * 2 <= n)
                p *= 2;
        return p;
}

stream *stream_create(int rings, int keys, size_t slots)
{
        size_t size, off_rings, off_keys, off_slots;
        void *p;
        stream *s;

        if (rings < 1 || rings > STREAM_MAX_RINGS || keys < 0) {
                errno = EINVAL;
                return NULL;
        }
        if (slots == 0) {
                slots = round_down_pow2(STREAM_BUDGET / SLOT_SIZE / (size_t)rings);
                slots = slots < STREAM_MIN_SLOTS  ? STREAM_MIN_SLOTS
                        : slots > STREAM_AUTO_MAX ? STREAM_AUTO_MAX
                                                  : slots;
        }
        if (slots < STREAM_MIN_SLOTS || slots > STREAM_MAX_SLOTS || (slots & (slots - 1)) != 0) {
                errno = EINVAL;
                return NULL;
        }
        off_rings = (sizeof(stream) + 63) & ~(size_t)63;
        off_keys = off_rings + (size_t)rings * sizeof(ring);
        off_slots = off_keys + (size_t)(keys > 0 ? keys : 1) * sizeof(order_key);
        size = off_slots + (size_t)rings * slots * sizeof(slot);
        /* Shared and anonymous: every process forked from here on sees the same rings. Pages are
         * given as they are touched, so a ring costs what its producer used. */
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                 0);
        if (p == MAP_FAILED)
                return NULL;
        s = p; /* zero-filled: counters 0, not closed, nobody asleep */
        s->nrings = rings;
        s->nkeys = keys;
        s->nslots = slots;
        s->mask = slots - 1;
        s->map_size = size;
        s->rings = (ring *)((char *)p + off_rings);
        s->keys = (order_key *)((char *)p + off_keys);
        s->slots = (slot *)((char *)p + off_slots);
        for (int r = 0; r < rings; r++)
                atomic_init(&s->rings[r].taking_key, -1);
        s->t0_ns = now_ns();
        s->wake_fd = -1;
        s->prefetchw = cpu_has_prefetchw();
        s->cur = 0;
        return s;
}

void stream_destroy(stream *s)
{
        if (s == NULL)
                return;
        if (stream_mine.s == s)
                stream_mine = (stream_producer){ .ring = -1 };
        free(s->views);
        free(s->expect);
        munmap(s, s->map_size);
}

/* ---- producers ---- */

/*
 * Raises the consumer's bound of rings to search past ring R: it looks only at rings below it
 * (a pool's rings are the last, and most are never written). Raised before the ring's first
 * event is written, so before its first store of pub: a consumer that sees that store (acquire)
 * sees the bound too, and one about to sleep sees it after its fence or is woken, as with pub
 * itself (wait_readable). Once a ring at most, in practice: a process's every attach loads it.
 */
static void ring_used(stream *s, int r)
{
        int32_t hi = atomic_load_explicit(&s->rings_hi, memory_order_relaxed);

        while (hi <= r && !atomic_compare_exchange_weak_explicit(
                              &s->rings_hi, &hi, r + 1, memory_order_release, memory_order_relaxed))
                ;
}

/* The writing state of ring R as it is now: for the thread that attaches it, or a reaper. */
static void producer_init(stream_producer *p, stream *s, int r)
{
        ring *rg = &s->rings[r];

        *p = (stream_producer){
                .s = s,
                .slots = &slot_at(s, r, 0)->h,
                .mask = s->mask,
                .t = atomic_load_explicit(&rg->tail, memory_order_relaxed),
                .head_end = atomic_load_explicit(&rg->head, memory_order_acquire) + s->nslots,
                .room_end = 0, /* the batch's first event: stream_prepare */
                .batch_left = STREAM_BATCH,
                /* answered: what the ring holds was made visible by whoever wrote it */
                .want_seen = atomic_load_explicit(&s->want_flush, memory_order_relaxed),
                .mapped_t = atomic_load_explicit(&rg->tail, memory_order_relaxed),
                .mapped_end = atomic_load_explicit(&rg->tail, memory_order_relaxed) + s->nslots,
                .keys = s->keys,
                .want = &s->want_flush,
                .r = rg,
                .ring = r,
                .prefetchw = s->prefetchw,
        };
}

void stream_attach(stream *s, int r)
{
        if (r < 0 || r >= s->nrings)
                xdie("event stream: no ring %d", r);
        ring_used(s, r);
        producer_init(&stream_mine, s, r);
        atomic_store_explicit(&s->rings[r].held_t, 0, memory_order_relaxed);
}

/* Counts one more in a ring's statistic C: only the ring's producer (or, once it is dead, its
 * reaper) writes it, so a load and a store, not a locked add (a flush before every hand-off's
 * wait paid one). */
static void stat_inc(_Atomic uint64_t *c)
{
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

/* Makes the consumer's descriptor readable: one 8-byte count for an eventfd, one byte for a pipe
 * (EAGAIN on a full pipe or a saturated counter means it is readable already). */
static void notify_fd(int fd)
{
        uint64_t one = 1;

        while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
                ;
}

/*
 * URGENT: the consumer must see this now (the run's last word, a full ring). A consumer armed
 * lazily (stream_arm) looks again on its own within a few milliseconds (one while events come),
 * so a flush of less than half a ring unread (STREAM_LAZY_UNREAD) leaves it asleep: on two cores
 * a wake-up per hand-off (a pipe's message, a queue's item) cost the consumer more than the
 * events themselves, and one per batch (128 events) kept a consumer that reads faster than the
 * producers write going to sleep and waking up: a write to the descriptor in the producer, a
 * poll, reads and a timer set in the consumer, each a system call, every batch (on a machine
 * where a system call costs a microsecond, condition_pc went 0.86 of its time and lock_counter
 * 0.92 without them). Half a ring unread wakes it: a consumer asleep while events pile up would
 * only have more to do once the producers are done, and a full ring would stop the producer.
 */
static void wake_consumer(stream *s, const ring *r, bool urgent)
{
        /* Pairs with the fence in wait_readable: our pub store before, its flag after. */
        atomic_thread_fence(memory_order_seq_cst);
        uint32_t how = atomic_load_explicit(&s->cons_sleeping, memory_order_relaxed);

        if (how == 0)
                return;
        if ((how & SLEEP_LAZY) && !urgent && r != NULL &&
            atomic_load_explicit(&r->pub, memory_order_relaxed) -
                    atomic_load_explicit(&r->head, memory_order_relaxed) <
                STREAM_LAZY_UNREAD(s->nslots))
                return;
        /* Only the producer that cleared the flag makes the system call, and only the one the
         * consumer waits in. */
        how = atomic_exchange_explicit(&s->cons_sleeping, 0, memory_order_acquire);
        if (how & SLEEP_FUTEX) {
                atomic_fetch_add_explicit(&s->cons_futex, 1, memory_order_release);
                futex_wake(&s->cons_futex, 1);
        }
        if ((how & SLEEP_FD) && s->wake_fd >= 0)
                notify_fd(s->wake_fd);
}

/* A step as stream_hold_step packs it (STEP): its statement, event flags and actor. */
static void step_unpack(uint64_t step, int32_t *stmt, uint8_t *flags, int16_t *actor)
{
        const char *img = (const char *)&step;

        memcpy(stmt, img, 4);
        *flags = (uint8_t)img[4];
        memcpy(actor, img + 5, 2);
}

/* The slot H made the STEP event STEP (as packed), in a slot of its own. */
static void step_into(head *h, uint64_t step)
{
        int32_t stmt;
        uint8_t flags;
        int16_t actor;

        step_unpack(step, &stmt, &flags, &actor);
        h->len = 0;
        h->key = STREAM_NO_KEY;
        h->ver = 0;
        h->num = 0;
        h->stmt = stmt;
        h->aux = 0;
        stream_set_what(h, STREAM_WHAT(EV_STEP, flags, actor, -1, -1));
}

/* The step held back (stream_hold_step) written in a slot of its own: the next event cannot
 * carry it, or something is to be made visible. */
static void hold_out(stream_producer *p)
{
        head *h;

        /* not held any more before the slot is begun: waiting for room flushes (flush_ring),
         * which must not write it a second time */
        p->step_held = false;
        h = stream_begin_any(p, STREAM_NO_KEY, 0);
        step_into(h, p->step);
        stream_end(p, h, NULL, 0);
}

static void flush_ring(stream_producer *p, bool urgent)
{
        stream *s = p->s;
        ring *r = p->r;

        if (p->step_held)
                hold_out(p);

        p->batch_left = STREAM_BATCH;
        p->room_end = 0; /* the next event goes by stream_prepare, which reads the clock */
        p->want_seen = atomic_load_explicit(&s->want_flush, memory_order_relaxed);
        /* Nothing new: the consumer has nothing to wake for (a spurious wake-up would stir a
         * front end that waits for a person) — unless it is urgent, and what is new went out
         * at a flush that left a lazy consumer asleep. */
        if (atomic_load_explicit(&r->pub, memory_order_relaxed) != p->t) {
                atomic_store_explicit(&r->pub, p->t, memory_order_release);
                stat_inc(&r->flushes);
        } else if (!urgent) {
                return;
        }
        wake_consumer(s, r, urgent);
}

void stream_end_batch(stream_producer *p)
{
        flush_ring(p, false);
}

void stream_flush(void)
{
        if (stream_mine.s != NULL)
                flush_ring(&stream_mine, false);
}

void stream_flush_now(void)
{
        if (stream_mine.s != NULL)
                flush_ring(&stream_mine, true);
}

/* Whether the ring has room for N slots, the consumer's head loaded again. */
static bool has_room(stream_producer *p, const ring *r, uint64_t n)
{
        p->head_end = atomic_load_explicit(&r->head, memory_order_acquire) + p->s->nslots;
        p->room_end = p->head_end;
        return p->t + n <= p->room_end;
}

/* Waits until the ring has room for N slots. */
static void wait_room(stream_producer *p, uint64_t n)
{
        ring *r = p->r;

        stat_inc(&r->waits);
        /* What we wrote may be what the consumer waits for, to make room. */
        flush_ring(p, true);
        for (int i = 0; i < SPIN_PAUSES; i++) {
                if (has_room(p, r, n))
                        return;
                cpu_relax();
        }
        for (int i = 0; i < SPIN_YIELDS; i++) {
                sched_yield();
                if (has_room(p, r, n))
                        return;
        }
        for (;;) {
                uint32_t seen = atomic_load_explicit(&r->prod_futex, memory_order_acquire);
                struct timespec rel = { 0, SLEEP_MS * 1000000L };

                atomic_store_explicit(&r->prod_sleeping, 1, memory_order_seq_cst);
                atomic_thread_fence(memory_order_seq_cst);
                if (has_room(p, r, n))
                        break;
                stat_inc(&r->sleeps);
                futex_wait(&r->prod_futex, seen, &rel);
        }
        atomic_store_explicit(&r->prod_sleeping, 0, memory_order_relaxed);
}

/* Maps the pages of [FROM, TO) of the producer's ring (slot counts, at most a ring apart) into
 * this process, written: one system call instead of a fault a page. */
static bool map_slots(stream_producer *p, uint64_t from, uint64_t to)
{
        uint64_t end = (from | p->mask) + 1; /* the ring's end, or TO first */
        uint64_t last = (to < end ? to : end) - 1;

        if (!xpopulate(&p->slots[from & p->mask], (last - from + 1) * sizeof(slot)))
                return false;
        return to <= end || map_slots(p, end, to);
}

/*
 * A process that writes a ring it did not map itself (a forked actor, a pool worker: a child gets
 * no page table entries for a shared mapping) or that writes slots never used takes a page fault
 * every 64 slots: in a virtual machine 1–2 µs each, a few thousand a run. The ring's pages are
 * mapped a stretch ahead instead, in one call, on the ring's first lap from the attach: each
 * stretch as long as what is mapped already (MAP_MIN_SLOTS to MAP_MAX_SLOTS), so that a producer
 * that writes little maps little. A kernel without MADV_POPULATE_WRITE (before 5.14) faults.
 */
#define MAP_MIN_SLOTS 256u
#define MAP_MAX_SLOTS 4096u
#define MAP_AHEAD     (2 * STREAM_BATCH)

static void map_ahead(stream_producer *p)
{
        uint64_t done = p->mapped_t - (p->mapped_end - (p->mask + 1));
        uint64_t n = done < MAP_MIN_SLOTS   ? MAP_MIN_SLOTS
                     : done > MAP_MAX_SLOTS ? MAP_MAX_SLOTS
                                            : done;
        uint64_t to = p->mapped_t + n < p->mapped_end ? p->mapped_t + n : p->mapped_end;

        if (!map_slots(p, p->mapped_t, to)) {
                p->mapped_end = 0; /* not to be had: the pages come by faults */
                return;
        }
        p->mapped_t = to;
}

size_t stream_prepare(stream_producer *p, size_t len)
{
        uint64_t n = 1;

        if (p->s == NULL)
                xdie("event stream: a thread that has no ring publishes");
        /* a step held goes first, in a slot of its own, if this event cannot carry it */
        if (p->step_held && len > STREAM_STEP_AT)
                hold_out(p);
        /* A text longer than EVENT_MAX_TEXT is cut to at most that (stream_put_text, which has
         * the text, finds where and writes the length): room for that much is enough. */
        if (len > EVENT_MAX_TEXT)
                len = EVENT_MAX_TEXT;
        if (len > HEAD_TEXT)
                n = slots_for(len);
        p->room_end = p->head_end;
        if (p->t + n > p->room_end && !has_room(p, p->r, n))
                wait_room(p, n);
        if (__builtin_expect(p->t + MAP_AHEAD > p->mapped_t && p->mapped_t < p->mapped_end, 0))
                map_ahead(p);
        /* One clock read per batch: its events share the stamp. */
        if (p->batch_left == STREAM_BATCH)
                p->batch_t = now_ns() - p->s->t0_ns;
        return len;
}

void stream_end_apart(stream_producer *p, stream_head *h)
{
        /* A longer text went by stream_prepare, which wrote the step apart already: the event
         * here has one slot. Not held any more before the wait for room, which flushes. */
        if (h->len > HEAD_TEXT)
                xdie("event stream: a step held over an event of %u bytes of text", h->len);
        p->step_held = false;
        if (p->t + 2 > p->room_end && !has_room(p, p->r, 2))
                wait_room(p, 2);
        memcpy(&p->slots[(p->t + 1) & p->mask], h, sizeof(*h));
        step_into(h, p->step);
        stream_count(p, p->t + 2);
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

/* The length an event's text is written with: cut at a character boundary, never inside a UTF-8
 * sequence, when it is longer than EVENT_MAX_TEXT. */
static size_t __attribute__((noinline)) cut_len(const char *text)
{
        return utf8_cut(text, EVENT_MAX_TEXT - (sizeof(EVENT_CUT_MARK) - 1)) +
               sizeof(EVENT_CUT_MARK) - 1;
}

/*
 * Writes the text (LEN bytes) of an event too long for its first slot: the first HEAD_TEXT bytes
 * into H, the rest into the slots after it; a text longer than EVENT_MAX_TEXT is cut and ends in
 * the mark (its length in H said EVENT_MAX_TEXT until now: stream_prepare).
 */
uint64_t stream_put_text(stream_producer *p, stream_head *h, const char *text, size_t len)
{
        const char *more = "";
        size_t cut = len, done;
        uint64_t n;

        if (len > EVENT_MAX_TEXT) {
                len = cut_len(text);
                cut = len - (sizeof(EVENT_CUT_MARK) - 1);
                more = EVENT_CUT_MARK;
                h->len = (uint32_t)len;
        }
        n = slots_for(len);
        done = len < HEAD_TEXT ? len : HEAD_TEXT; /* a text cut whole: the mark alone */
        copy_text(h->text, 0, done, text, cut, more);
        for (uint64_t i = 1; i < n; i++) {
                size_t k = len - done < SLOT_TEXT ? len - done : SLOT_TEXT;
                slot *sl = (slot *)&p->slots[(p->t + i) & p->mask];

                copy_text(sl->text, done, k, text, cut, more);
                done += k;
        }
        return n;
}

/*
 * Writes EV with order CKEY: a key (with TAKE, its next version is taken here, else MARK is it),
 * STREAM_NO_KEY, or -2 - ring with the mark MARK: an actor's way (stream_begin, stream_end), for
 * the callers that have an event built.
 */
static void put(stream_producer *p, const event *ev, int ckey, uint64_t mark, bool take)
{
        size_t len = ev->text != NULL ? ev->len : 0;
        int key = take ? ckey : STREAM_NO_KEY;
        head *h;

        /* an order only carries no step: one held goes before it */
        if (p->step_held && ev->kind >= KIND_ORDER)
                hold_out(p);
        h = stream_begin(p, key, len);

        if (h == NULL)
                h = stream_begin_any(p, key, len);

        if (!take) {
                h->key = ckey;
                h->ver = mark;
        }
        h->num = ev->num;
        h->stmt = ev->stmt;
        h->aux = ev->aux;
        h->kind = ev->kind;
        h->flags = ev->flags;
        h->actor = ev->actor;
        h->res = ev->res;
        h->other = ev->other;
        stream_end(p, h, ev->text, len);
}

static stream_producer *my_ring(stream *s)
{
        if (stream_mine.s != s)
                xdie("event stream: a thread that has no ring publishes");
        return &stream_mine;
}

void stream_publish(stream *s, const event *ev, int key)
{
        if (key >= s->nkeys || key < STREAM_NO_KEY)
                xdie("event stream: no order key %d", key);
        put(my_ring(s), ev, key, 0, key >= 0);
}

void stream_publish_after(stream *s, const event *ev, int after, uint64_t mark)
{
        put(my_ring(s), ev, -2 - after, mark, false);
}

void stream_order_after(stream *s, int after, uint64_t mark)
{
        event ev = {
                .kind = KIND_ORDER, .actor = EVENT_RUNNER, .res = -1, .other = -1, .stmt = -1
        };

        put(my_ring(s), &ev, -2 - after, mark, false);
}

uint64_t stream_written(const stream *s, int r)
{
        /* the calling thread's own ring: a step it holds was before the mark */
        if (stream_mine.s == s && stream_mine.ring == r && stream_mine.step_held)
                hold_out(&stream_mine);
        return atomic_load_explicit(&s->rings[r].tail, memory_order_acquire);
}

void stream_ring_dead(stream *s, int ri)
{
        ring *r = &s->rings[ri];
        stream_producer p;
        uint64_t ht, v;
        int k;

        ring_used(s, ri);
        producer_init(&p, s, ri);
        /* read before anything is written here: every event written clears it */
        k = atomic_load_explicit(&r->taking_key, memory_order_acquire);
        v = atomic_load_explicit(&r->taking_ver, memory_order_acquire);
        /* It held a step back (stream_hold_step) and wrote nothing after it: the step, before
         * anything else the reaper writes, as the event that was to carry it would have given it
         * (which is also the order of a version it took after). */
        ht = atomic_load_explicit(&r->held_t, memory_order_acquire);
        if (ht != 0 && ht - 1 == p.t) {
                p.step = atomic_load_explicit(&r->held, memory_order_relaxed);
                p.step_held = true;
                atomic_store_explicit(&r->held_t, 0, memory_order_relaxed);
                hold_out(&p);
        }
        if (k >= 0) {
                /* It took version V of key K and died before writing its event whole (its
                 * version is stored before its key): a marker in its place lets the key go on. */
                event skip = { .kind = KIND_SKIP, .actor = EVENT_RUNNER, .res = -1, .other = -1 };

                atomic_store_explicit(&r->taking_key, -1, memory_order_relaxed);
                put(&p, &skip, k, v, false);
        }
        flush_ring(&p, true);
}

void stream_publish_for(stream *s, int ri, const event *ev, int key)
{
        stream_producer p;

        ring_used(s, ri);
        producer_init(&p, s, ri);
        put(&p, ev, key, 0, key >= 0);
        flush_ring(&p, true);
}

/* ---- the consumer ---- */

/* Asks every producer to make what it has written visible at its next event. */
static void ask_flush(stream *s)
{
        /* only the consumer writes it */
        atomic_store_explicit(&s->want_flush,
                              atomic_load_explicit(&s->want_flush, memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

static void consumer_init(stream *s)
{
        if (s->views != NULL)
                return;
        s->views = xcalloc((size_t)s->nrings, sizeof(view));
        s->expect = xcalloc((size_t)(s->nkeys > 0 ? s->nkeys : 1), sizeof(uint64_t));
        for (int r = 0; r < s->nrings; r++) {
                s->views[r].slots = slot_at(s, r, 0);
                s->views[r].ring = &s->rings[r];
        }
}

/* Whether ring R has more visible than V has read: loads its pub (once a batch for a ring that
 * is read, as V's avail runs out). */
static bool refresh(stream *s, view *v)
{
        uint64_t pub = atomic_load_explicit(&v->ring->pub, memory_order_acquire);

        /* Closed: the producers are done, and what they wrote whole counts too (a runner killed
         * mid-batch); then pub may be behind what was read. */
        if (pub <= v->head && atomic_load_explicit(&s->closed, memory_order_acquire))
                pub = atomic_load_explicit(&v->ring->tail, memory_order_acquire);
        v->avail = pub > v->head ? pub : v->head;
        return v->head != v->avail;
}

/* The head event of ring R, or NULL when it has none visible. */
static inline const head *peek(stream *s, int r)
{
        view *v = &s->views[r];

        if (v->head == v->avail && !refresh(s, v))
                return NULL;
        return &v->slots[v->head & s->mask].h;
}

/* Whether every ring but R is read to what its producer wrote (visible or not). */
static bool drained_but(stream *s, int r)
{
        for (int q = 0; q < s->nrings; q++)
                if (q != r && (peek(s, q) != NULL ||
                               atomic_load_explicit(&s->rings[q].tail, memory_order_acquire) !=
                                   s->views[q].head))
                        return false;
        return true;
}

/* Whether H, ring R's head, may be read now. */
static inline bool readable(stream *s, int r, const head *h)
{
        /* a step it carries first: a STEP has no order but its ring's */
        if (h->flags & STREAM_STEP_BEFORE)
                return true;
        if (h->kind == EV_END)
                return drained_but(s, r);
        if (h->key >= 0)
                return h->ver <= s->expect[h->key];
        if (h->key == STREAM_NO_KEY)
                return true;
        return s->views[-2 - h->key].head >= h->ver;
}

/* The ring whose head goes next, when it is not the current ring's (pick): the search. */
static int pick_search(stream *s, bool force)
{
        const head *h;
        uint64_t best_t = UINT64_MAX, next_t = UINT64_MAX;
        int best = -1;
        /* Looked at once a search, not once a ring: it only goes from 0 to 1, and a search that
         * misses it is not the last (whoever finds nothing looks at it again, and searches
         * again once it is set: wait_readable). The loads of pub and tail after it still come
         * after it, as with peek's own look. */
        bool closed = atomic_load_explicit(&s->closed, memory_order_acquire);
        /* Only the rings below the highest that has had a producer (ring_used): loaded once a
         * search too. A ring that raises it after this load is not missed for good: its events
         * come after, and whoever finds nothing searches again (the same reasoning as pub's). */
        int hi = atomic_load_explicit(&s->rings_hi, memory_order_acquire);

        const view *v = s->views;

        for (int r = 0; r < hi; r++, v++) {
                /* Most rings have nothing new at a search (a pool's processes write one at a
                 * time): their pub looked at here, peek's refresh only when it moved. */
                if (!closed && v->head == v->avail &&
                    atomic_load_explicit(&v->ring->pub, memory_order_acquire) <= v->head)
                        continue;
                h = peek(s, r);
                if (h == NULL || !(readable(s, r, h) || (force && h->kind != EV_END)))
                        continue;
                /* The earliest readable head goes first; the ring then goes on until its stamps
                 * pass the next earliest (a blocked head does not count: waiting for it would
                 * cost a search per event). */
                if (best < 0 || h->t_ns < best_t) {
                        if (best >= 0 && best_t < next_t)
                                next_t = best_t;
                        best = r;
                        best_t = h->t_ns;
                } else if (h->t_ns < next_t) {
                        next_t = h->t_ns;
                }
        }
        if (best >= 0) {
                s->cur = best;
                s->cur_until = next_t;
        }
        return best;
}

/* The ring whose head goes next (-1: none can), or with FORCE, any ring with a head. Most
 * events come from the ring read last: that look is inline, the search is not. */
static inline int pick(stream *s, bool force)
{
        const head *h = peek(s, s->cur);

        if (h != NULL && h->t_ns <= s->cur_until && readable(s, s->cur, h))
                return s->cur;
        return pick_search(s, force);
}

/*
 * The slots the consumer has read are freed (the ring's head stored) every STREAM_FREE_EVERY
 * slots, not at every event: a producer that waits for room loads the head in a loop, and a store
 * at every event would take the head's cache line back from it each time (two transfers an
 * event, on the front end's way, while the ring is full). The producer sees the room a little
 * later. The head is stored at once when the consumer has read all it has seen published of the
 * ring (a producer flushes everything before it waits for room, so it always gets the room
 * read), when the ring's producer sleeps for room (take_fields), and for every ring before the
 * consumer waits or returns with nothing it can read (wake_producers): what it read of a ring
 * before an event whose order is not there yet must not wait for more reads, since that order
 * may wait for the ring's own producer.
 */
static void free_slots(view *v)
{
        atomic_store_explicit(&v->ring->head, v->head, memory_order_release);
        v->head_pub = v->head;
}

static void wake_producer(ring *r)
{
        if (atomic_exchange_explicit(&r->prod_sleeping, 0, memory_order_acquire) != 0) {
                atomic_fetch_add_explicit(&r->prod_futex, 1, memory_order_release);
                futex_wake(&r->prod_futex, 1);
        }
}

/* Before the consumer waits, or returns with nothing it can read: producers waiting for room must
 * see the room it made (what it read of a ring before an event it cannot read yet, which may
 * wait for that very producer, is freed here). */
static void wake_producers(stream *s)
{
        int hi = atomic_load_explicit(&s->rings_hi, memory_order_acquire);

        for (int r = 0; r < hi; r++)
                if (s->views[r].head != s->views[r].head_pub)
                        free_slots(&s->views[r]);
        /* Pairs with the fence in wait_room: our head stores before, its flag after. */
        atomic_thread_fence(memory_order_seq_cst);
        for (int r = 0; r < hi; r++)
                if (atomic_load_explicit(&s->rings[r].prod_sleeping, memory_order_relaxed) != 0)
                        wake_producer(&s->rings[r]);
}

/* H's fields (its time stamp aside) into EV, its text in TEXT already. */
static inline void head_fields(event *ev, const head *h, const strbuf *text)
{
        ev->kind = h->kind;
        ev->flags = h->flags;
        ev->actor = h->actor;
        ev->res = h->res;
        ev->other = h->other;
        ev->stmt = h->stmt;
        ev->aux = h->aux;
        ev->num = h->num;
        ev->len = h->len;
        ev->text = text->data;
}

/* The head H of the ring V views, its text read into TEXT already: into EV, and its N slots
 * freed. */
static inline void take_fields(stream *s, view *v, const head *h, uint64_t n, event *ev,
                               const strbuf *text, uint64_t h_t)
{
        uint64_t t;

        /* The slots come from another core: ask for one a few events on while this one is
         * read (the ones before it were asked for by the events before). */
        if (v->head + n + PREFETCH_AHEAD / 2 <= v->avail)
                __builtin_prefetch(&v->slots[(v->head + n + PREFETCH_AHEAD / 2 - 1) & s->mask]);
        /* Producers stamp batches; the consumer keeps time from going backwards. */
        t = h_t > s->last_t ? h_t : s->last_t;
        s->last_t = t;
        ev->t_ns = t;
        head_fields(ev, h, text);
        v->head += n;
        if (v->head - v->head_pub >= STREAM_FREE_EVERY || v->head == v->avail)
                free_slots(v);
        /* A plain look: the fenced one before the consumer waits is what loses no wake-up. */
        if (atomic_load_explicit(&v->ring->prod_sleeping, memory_order_relaxed) != 0) {
                free_slots(v);
                wake_producer(v->ring);
        }
}

/* The head H of the ring V views, its text read into TEXT already: into EV, its key's next
 * version expected, and its N slots freed. */
static inline void take_head(stream *s, view *v, const head *h, uint64_t n, event *ev,
                             const strbuf *text)
{
        if (h->key >= 0 && h->ver + 1 > s->expect[h->key])
                s->expect[h->key] = h->ver + 1;
        take_fields(s, v, h, n, ev, text, h->t_ns);
}

/* An event whose text came as an int's 8 bytes (STREAM_TEXT_INT), read the long way: its text
 * made the int's decimal, the flag taken off (stream_next's short way does the same inline). */
static void int_text(event *ev, strbuf *text)
{
        char buf[VALUE_INT_TEXT];
        int64_t i;
        size_t n;

        memcpy(&i, text->data, sizeof(i));
        n = value_int_decimal(i, buf);
        strbuf_reset(text);
        strbuf_append(text, buf, n);
        ev->text = text->data;
        ev->len = (uint32_t)n;
        ev->flags &= (uint8_t)~STREAM_TEXT_INT;
}

/* The text of H, the event at POS of the ring whose slots are SLOTS, into TEXT; the slots it
 * takes. */
static uint64_t read_text(const stream *s, const slot *slots, uint64_t pos, const head *h,
                          strbuf *text)
{
        uint64_t n = slots_for(h->len);
        size_t done = h->len < HEAD_TEXT ? h->len : HEAD_TEXT;

        strbuf_reset(text);
        /* a text that fits the first slot: its whole field (the room stream_next's short way
         * needs; the bytes past the text are left over from the slot's last use) */
        strbuf_append(text, h->text, n == 1 ? HEAD_TEXT : done);
        text->data[done] = '\0';
        text->len = done;
        for (uint64_t i = 1; i < n; i++) {
                size_t k = h->len - done < SLOT_TEXT ? h->len - done : SLOT_TEXT;

                strbuf_append(text, slots[(pos + i) & s->mask].text, k);
                done += k;
        }
        return n;
}

/* The STEP that slot H carries (STREAM_STEP_BEFORE) into EV, its time stamp T: an event with
 * no text (TEXT emptied), no resource, no number. */
static void step_fields(event *ev, const head *h, strbuf *text, uint64_t t)
{
        uint64_t step;
        int32_t stmt;
        uint8_t flags;
        int16_t actor;

        memcpy(&step, h->text + STREAM_STEP_AT, sizeof(step));
        step_unpack(step, &stmt, &flags, &actor);
        ev->t_ns = t;
        ev->kind = EV_STEP;
        ev->flags = flags;
        ev->actor = actor;
        ev->res = -1;
        ev->other = -1;
        ev->stmt = stmt;
        ev->aux = 0;
        ev->num = 0;
        ev->len = 0;
        if (text->data == NULL)
                strbuf_append(text, "", 0);
        text->data[0] = '\0';
        text->len = 0;
        ev->text = text->data;
}

/* The step that the head H carries, given out: the head stays, its flag taken off (the slot is
 * the consumer's until it moves the head on past it, which orders this store before the
 * producer's next use of the slot). */
static void take_step(stream *s, const head *h, event *ev, strbuf *text, uint64_t h_t)
{
        uint64_t t = h_t > s->last_t ? h_t : s->last_t;

        s->last_t = t;
        step_fields(ev, h, text, t);
        ((head *)h)->flags &= (uint8_t)~STREAM_STEP_BEFORE;
}

/* Reads ring R's head event into EV and TEXT and frees its slots (or, first, the step it
 * carries). */
static void take(stream *s, int r, event *ev, strbuf *text)
{
        view *v = &s->views[r];
        const head *h = &v->slots[v->head & s->mask].h;
        uint64_t n;

        if (h->flags & STREAM_STEP_BEFORE) {
                take_step(s, h, ev, text, h->t_ns);
                return;
        }
        n = read_text(s, v->slots, v->head, h, text);

        take_head(s, v, h, n, ev, text);
        if ((ev->flags & STREAM_TEXT_INT) && !s->keep_ints)
                int_text(ev, text);
}

/* Whether every ring is read to its end (after the close). */
static bool all_read(stream *s)
{
        for (int r = 0; r < s->nrings; r++)
                if (peek(s, r) != NULL)
                        return false;
        return true;
}

/*
 * Waits for a readable event: its ring, or -1 when TIMEOUT_MS passed (DEADLINE set at the first
 * wait), -2 when the stream is closed and everything is read. Out of line: stream_next's path
 * for an event at hand stays short (and a profile shows the waiting apart).
 */
__attribute__((noinline)) static int wait_readable(stream *s, int timeout_ms, uint64_t *deadline)
{
        int r;

        /* Closed: nothing more will be published, so nothing to wait for (the run's end, where
         * looking and yielding first cost the front end's exit tens of microseconds). */
        if (atomic_load_explicit(&s->closed, memory_order_acquire)) {
                /* looked at again after the close: the caller's look may have been before */
                if ((r = pick(s, false)) >= 0)
                        return r;
                return all_read(s) ? -2 : pick(s, true);
        }
        for (int i = 0; i < SPIN_PAUSES; i++) {
                if ((r = pick(s, false)) >= 0)
                        return r;
                cpu_relax();
        }
        wake_producers(s);
        ask_flush(s);
        for (int i = 0; i < SPIN_YIELDS; i++) {
                sched_yield();
                if ((r = pick(s, false)) >= 0)
                        return r;
        }
        for (;;) {
                uint32_t seen = atomic_load_explicit(&s->cons_futex, memory_order_acquire);
                struct timespec rel = { 0, SLEEP_MS * 1000000L };

                atomic_store_explicit(&s->cons_sleeping, SLEEP_FUTEX, memory_order_seq_cst);
                atomic_thread_fence(memory_order_seq_cst);
                if ((r = pick(s, false)) >= 0)
                        break;
                if (atomic_load_explicit(&s->closed, memory_order_acquire)) {
                        /* Done: what is left waits for a version a dead producer took. */
                        r = all_read(s) ? -2 : pick(s, true);
                        break;
                }
                if (timeout_ms == 0) {
                        r = -1;
                        break;
                }
                if (timeout_ms > 0) {
                        uint64_t now = now_ns();

                        if (*deadline == 0)
                                *deadline = now + (uint64_t)timeout_ms * 1000000u;
                        if (now >= *deadline) {
                                r = -1;
                                break;
                        }
                        if (*deadline - now < (uint64_t)rel.tv_nsec)
                                rel.tv_nsec = (long)(*deadline - now);
                }
                atomic_fetch_add_explicit(&s->consumer_sleeps, 1, memory_order_relaxed);
                futex_wait(&s->cons_futex, seen, &rel);
        }
        atomic_store_explicit(&s->cons_sleeping, 0, memory_order_relaxed);
        return r;
}

/*
 * Closed and everything read: a step that a producer held back (stream_hold_step) at the end of
 * its ring, which no reaper wrote (the threads of a runner that died: the front end closes the
 * stream and reads each ring to its tail), into EV as its carrier would have given it. Whether
 * there was one.
 */
static bool held_left(stream *s, event *ev, strbuf *text)
{
        for (int r = 0; r < s->nrings; r++) {
                ring *rg = &s->rings[r];
                uint64_t ht = atomic_load_explicit(&rg->held_t, memory_order_acquire), img;
                head h = { 0 };

                if (ht == 0 || ht - 1 != s->views[r].head)
                        continue;
                atomic_store_explicit(&rg->held_t, 0, memory_order_relaxed);
                img = atomic_load_explicit(&rg->held, memory_order_relaxed);
                memcpy(h.text + STREAM_STEP_AT, &img, sizeof(img));
                step_fields(ev, &h, text, s->last_t);
                ev->seq = atomic_load_explicit(&s->seq, memory_order_relaxed) + 1;
                atomic_store_explicit(&s->seq, ev->seq, memory_order_relaxed);
                return true;
        }
        return false;
}

/* stream_next's whole way: a search of the rings, a wait, the records that are orders only. */
__attribute__((noinline)) static int next_any(stream *s, event *ev, strbuf *text, int timeout_ms)
{
        uint64_t deadline = 0;

        if (s->views == NULL)
                consumer_init(s);
        for (;;) {
                int r = pick(s, false);

                if (r < 0) {
                        if (timeout_ms == 0 &&
                            !atomic_load_explicit(&s->closed, memory_order_acquire)) {
                                wake_producers(s);
                                ask_flush(s);
                                return 0;
                        }
                        atomic_fetch_add_explicit(&s->consumer_waits, 1, memory_order_relaxed);
                        r = wait_readable(s, timeout_ms, &deadline);
                        if (r == -1)
                                return 0;
                        if (r == -2)
                                return held_left(s, ev, text) ? 1 : -1;
                }
                take(s, r, ev, text);
                if (ev->kind == KIND_SKIP || ev->kind == KIND_ORDER) {
                        if (ev->kind == KIND_SKIP)
                                atomic_fetch_add_explicit(&s->broken, 1, memory_order_relaxed);
                        continue;
                }
                ev->seq = atomic_load_explicit(&s->seq, memory_order_relaxed) + 1;
                atomic_store_explicit(&s->seq, ev->seq, memory_order_relaxed);
                return 1;
        }
}

/* stream_next's short way for an event whose text is an int's bytes (STREAM_TEXT_INT): the
 * decimal written straight into TEXT (room for any: stream_next checked), the flag taken off. */
__attribute__((noinline)) static int take_int(stream *s, view *v, const head *h, event *ev,
                                              strbuf *text, uint64_t t)
{
        int64_t i;
        size_t n;

        memcpy(&i, h->text, sizeof(i));
        n = value_int_decimal(i, text->data);
        text->data[n] = '\0';
        text->len = n;
        take_fields(s, v, h, 1, ev, text, t);
        ev->len = (uint32_t)n;
        ev->flags &= (uint8_t)~STREAM_TEXT_INT;
        ev->seq = atomic_load_explicit(&s->seq, memory_order_relaxed) + 1;
        atomic_store_explicit(&s->seq, ev->seq, memory_order_relaxed);
        return 1;
}

/* stream_next's short way for the step a slot carries (a tail call, as take_int). */
__attribute__((noinline)) static int short_step(stream *s, const head *h, event *ev, strbuf *text,
                                                uint64_t t)
{
        take_step(s, h, ev, text, t);
        ev->seq = atomic_load_explicit(&s->seq, memory_order_relaxed) + 1;
        atomic_store_explicit(&s->seq, ev->seq, memory_order_relaxed);
        return 1;
}

int stream_next(stream *s, event *ev, strbuf *text, int timeout_ms)
{
        view *v;
        const head *h;
        uint64_t t;
        uint32_t len;
        int key;
        uint8_t kind, flags;
        char *d;

        /* Most events: the current ring's head, visible, readable by its order, an event (not an
         * order only, not END) with a text that fits its first slot, and a buffer with room for
         * it: taken here, with no call (the search, the wait and the rest are next_any's). */
        if (s->views == NULL)
                return next_any(s, ev, text, timeout_ms);
        v = &s->views[s->cur];
        if (v->head == v->avail)
                return next_any(s, ev, text, timeout_ms);
        h = &v->slots[v->head & s->mask].h;
        /* each field read once (the head is the consumer's until it stores head) */
        len = h->len;
        kind = h->kind;
        t = h->t_ns;
        key = h->key;
        flags = h->flags;
        if (len > HEAD_TEXT || text->cap <= VALUE_INT_TEXT || kind >= KIND_ORDER ||
            kind == EV_END || t > s->cur_until)
                return next_any(s, ev, text, timeout_ms);
        /* a step it carries goes first, readable whatever the slot's own order says */
        if (flags & STREAM_STEP_BEFORE)
                return short_step(s, h, ev, text, t);
        /* readable (as readable() says, END aside), and for a key the version it expects next
         * set in the same look: one lookup of expect */
        if (key >= 0) {
                uint64_t *want = &s->expect[key], ver = h->ver;

                if (ver > *want)
                        return next_any(s, ev, text, timeout_ms);
                if (ver == *want)
                        *want = ver + 1;
        } else if (key != STREAM_NO_KEY && s->views[-2 - key].head < h->ver) {
                return next_any(s, ev, text, timeout_ms);
        }
        /* an int's bytes: their decimal (a tail call, so that this way makes no call), or the
         * bytes themselves as any text for a consumer that keeps ints */
        if ((flags & STREAM_TEXT_INT) && !s->keep_ints)
                return take_int(s, v, h, ev, text, t);
        /* the whole text field: a copy of a fixed size, inline */
        d = text->data;
        memcpy(d, h->text, HEAD_TEXT);
        d[len] = '\0';
        text->len = len;
        take_fields(s, v, h, 1, ev, text, t);
        ev->seq = atomic_load_explicit(&s->seq, memory_order_relaxed) + 1;
        atomic_store_explicit(&s->seq, ev->seq, memory_order_relaxed);
        return 1;
}

void stream_keep_ints(stream *s)
{
        s->keep_ints = true;
}

void stream_give_back(stream_producer *p, stream_head *h)
{
        h->kind = KIND_ORDER;
        h->len = 0;
        stream_end(p, h, NULL, 0);
}

/* ---- a second reader, which frees nothing -------------------------------------------------- */

struct stream_reader {
        stream *s;
        uint64_t *head; /* per ring: the next slot to read */
        /* per ring: the step its next slot carries is given out. No step is carried where
         * this reader is used (step mode has one order, and actor_emit_step holds none then), so
         * the consumer's taking a slot's STREAM_STEP_BEFORE off cannot hide one from it; a
         * carried step is read here all the same, from a slot it reads first. */
        bool *step_out;
        uint64_t *expect; /* per key: the next version */
        uint64_t seq;
        int cur; /* the ring read last, looked at first: a step's events are mostly one ring's */
};

stream_reader *stream_reader_new(stream *s)
{
        stream_reader *rd = xcalloc(1, sizeof(*rd));

        rd->s = s;
        rd->head = xcalloc((size_t)s->nrings, sizeof(uint64_t));
        rd->step_out = xcalloc((size_t)s->nrings, sizeof(bool));
        rd->expect = xcalloc((size_t)(s->nkeys > 0 ? s->nkeys : 1), sizeof(uint64_t));
        return rd;
}

void stream_reader_free(stream_reader *rd)
{
        if (rd == NULL)
                return;
        free(rd->head);
        free(rd->step_out);
        free(rd->expect);
        free(rd);
}

/* Whether H, ring R's next event for RD, may be read now (as readable(): a key's versions in
 * turn, a ring's mark once that ring is read to it; END never, which comes after every step). */
static bool reader_may(const stream_reader *rd, int r, const head *h)
{
        if ((h->flags & STREAM_STEP_BEFORE) && !rd->step_out[r])
                return true;
        if (h->kind == EV_END)
                return false;
        if (h->key >= 0)
                return h->ver <= rd->expect[h->key];
        return h->key == STREAM_NO_KEY || rd->head[-2 - h->key] >= h->ver;
}

/* Ring R's next event for RD, or NULL when it has none written whole. */
static const head *reader_peek(const stream_reader *rd, int r)
{
        const stream *s = rd->s;
        uint64_t tail = atomic_load_explicit(&s->rings[r].tail, memory_order_acquire);

        if (tail == rd->head[r])
                return NULL;
        /* the slots it has not read are the producer's again once the consumer read them: the
         * producer must not have gone a whole ring past (stream.h says why it cannot) */
        if (tail - rd->head[r] > s->nslots)
                xdie("the stream's second reader fell a ring behind (ring %d)", r);
        return &slot_at(s, r, rd->head[r])->h;
}

int stream_reader_next(stream_reader *rd, event *ev, strbuf *text)
{
        stream *s = rd->s;
        int hi = atomic_load_explicit(&s->rings_hi, memory_order_acquire);

        for (;;) {
                int r = rd->cur;
                const head *h = r < hi ? reader_peek(rd, r) : NULL;

                if (h == NULL || !reader_may(rd, r, h)) {
                        for (r = 0; r < hi; r++)
                                if ((h = reader_peek(rd, r)) != NULL && reader_may(rd, r, h))
                                        break;
                        if (r == hi)
                                return 0;
                        rd->cur = r;
                }
                if ((h->flags & STREAM_STEP_BEFORE) && !rd->step_out[r]) {
                        step_fields(ev, h, text, h->t_ns);
                        rd->step_out[r] = true;
                        ev->seq = ++rd->seq;
                        return 1;
                }
                rd->step_out[r] = false;
                /* a text in the first slot: its whole field, as stream_next's short way */
                if (h->len <= HEAD_TEXT && text->cap > HEAD_TEXT) {
                        memcpy(text->data, h->text, HEAD_TEXT);
                        text->data[h->len] = '\0';
                        text->len = h->len;
                        rd->head[r]++;
                } else {
                        rd->head[r] += read_text(s, slot_at(s, r, 0), rd->head[r], h, text);
                }
                if (h->key >= 0 && h->ver + 1 > rd->expect[h->key])
                        rd->expect[h->key] = h->ver + 1;
                if (h->kind == KIND_SKIP || h->kind == KIND_ORDER)
                        continue;
                ev->t_ns = h->t_ns;
                head_fields(ev, h, text);
                ev->flags &= (uint8_t)~STREAM_STEP_BEFORE;
                if (ev->flags & STREAM_TEXT_INT)
                        int_text(ev, text);
                ev->seq = ++rd->seq;
                return 1;
        }
}

bool stream_reader_done(const stream_reader *rd)
{
        int hi = atomic_load_explicit(&rd->s->rings_hi, memory_order_acquire);

        for (int r = 0; r < hi; r++)
                if (atomic_load_explicit(&rd->s->rings[r].tail, memory_order_acquire) !=
                    rd->head[r])
                        return false;
        return true;
}

bool stream_settled(const stream *s)
{
        int hi = atomic_load_explicit(&s->rings_hi, memory_order_acquire);

        for (int r = 0; r < hi; r++) {
                ring *rg = &s->rings[r];
                uint64_t pub = atomic_load_explicit(&rg->pub, memory_order_acquire);

                if (atomic_load_explicit(&rg->tail, memory_order_acquire) != pub ||
                    (s->views != NULL ? s->views[r].head : 0) != pub)
                        return false;
        }
        return true;
}

void stream_set_wake_fd(stream *s, int fd)
{
        s->wake_fd = fd;
}

bool stream_arm(stream *s, bool lazy)
{
        consumer_init(s);
        if (pick(s, false) >= 0)
                return false;
        /* Something visible waits for a version still in a producer's batch: the flush asked
         * for below is what the consumer waits for, and it must wake it (the run's pace hangs
         * on the merge). Lazy only when everything visible has been read. */
        for (int r = 0; r < s->nrings && lazy; r++)
                if (peek(s, r) != NULL)
                        lazy = false;
        wake_producers(s);
        ask_flush(s);
        /* The same announcement as wait_readable's, with the same fence (Dekker): a producer
         * that publishes after this store sees the flag and writes the descriptor, or this look
         * sees its event. */
        atomic_store_explicit(&s->cons_sleeping, SLEEP_FD | (lazy ? SLEEP_LAZY : 0),
                              memory_order_seq_cst);
        atomic_thread_fence(memory_order_seq_cst);
        if (pick(s, false) >= 0 || atomic_load_explicit(&s->closed, memory_order_acquire)) {
                atomic_store_explicit(&s->cons_sleeping, 0, memory_order_relaxed);
                return false;
        }
        return true;
}

void stream_close(stream *s)
{
        atomic_store_explicit(&s->closed, 1, memory_order_seq_cst);
        wake_consumer(s, NULL, true);
}

void stream_get_stats(const stream *s, stream_stats *out)
{
        *out = (stream_stats){ 0 };
        out->events = atomic_load_explicit(&s->seq, memory_order_relaxed);
        out->consumer_waits = atomic_load_explicit(&s->consumer_waits, memory_order_relaxed);
        out->consumer_sleeps = atomic_load_explicit(&s->consumer_sleeps, memory_order_relaxed);
        out->broken = atomic_load_explicit(&s->broken, memory_order_relaxed);
        for (int r = 0; r < s->nrings; r++) {
                out->producer_waits +=
                    atomic_load_explicit(&s->rings[r].waits, memory_order_relaxed);
                out->producer_sleeps +=
                    atomic_load_explicit(&s->rings[r].sleeps, memory_order_relaxed);
                out->flushes += atomic_load_explicit(&s->rings[r].flushes, memory_order_relaxed);
        }
}
