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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"
#include "../util/strbuf.h"

typedef struct stream stream;

#define STREAM_MIN_SLOTS 2048u /* a ring holds any event: 16 + 64 * 1024 text bytes */
#define STREAM_MAX_SLOTS (1u << 20)
#define STREAM_AUTO_MAX  16384u /* shared out, at most 1 MiB a ring: small, and warm in cache */
#define STREAM_BUDGET    (64u << 20) /* bytes of rings, shared out among the rings */
#define STREAM_BATCH     128u        /* events a producer writes before it makes them visible */
#define STREAM_MAX_RINGS 32767
#define STREAM_NO_KEY    (-1)

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

/*
 * The one consumer: waits up to TIMEOUT_MS (0: do not wait, -1: forever) for the next event.
 * Returns 1 with the event in EV (seq 1, 2, 3, ...; t_ns since stream_create, never decreasing;
 * ev->text points into TEXT's buffer until TEXT changes), 0 when none came in time, -1 when the
 * stream is closed and everything published before the close has been read.
 */
int stream_next(stream *s, event *ev, strbuf *text, int timeout_ms);

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
 * are what it waits for: armed as without LAZY), wants the descriptor written only for a batch
 * unread in a ring (STREAM_BATCH), stream_flush_now, a full ring, a dead producer's ring, and
 * stream_close: a live run's hand-offs then cost no wake-up each.
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
