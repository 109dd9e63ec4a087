/*
 * stream.h — the event stream: every event of a run, in one total order, to one reader.
 *
 * The front end creates the stream in shared memory before it forks the runner, so every thread
 * of the runner and every process forked from it can publish into it; one consumer thread in the
 * front end reads it. The stream is
 *   - lossless: when it is full a producer waits for the consumer; nothing is ever dropped;
 *   - lock-free to publish: a producer claims its slots with one atomic add, no mutex;
 *   - totally ordered: the consumer sees events in the order their producers claimed them, so
 *     "publish a release before the real release, an acquire after the real acquire" (event.h)
 *     holds in what it sees.
 * A producer killed in the middle of a publish cannot hang the consumer: stream_next takes a
 * timeout; a producer that publishes with stream_publish_claimed leaves a record of the slots it
 * claimed, with which whoever sees it die (its parent) skips the half-written event at once
 * (stream_abandon); and after stream_close any half-written event is skipped.
 */
#ifndef LOCKSTEP_ENGINE_STREAM_H
#define LOCKSTEP_ENGINE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"
#include "../util/strbuf.h"

typedef struct stream stream;

#define STREAM_MIN_SLOTS     1024u
#define STREAM_MAX_SLOTS     (1u << 24)
#define STREAM_DEFAULT_SLOTS 65536u /* 4 MiB */

/*
 * Maps a stream of SLOTS 64-byte slots (a power of two, STREAM_MIN_SLOTS..STREAM_MAX_SLOTS) into
 * shared memory. An event takes one slot with up to 24 bytes of text, and one more slot for each
 * further 56 bytes. NULL with errno set (EINVAL, ENOMEM) on failure.
 */
stream *stream_create(size_t slots);
/* Unmaps the stream; once, in the creating process, when no one uses it any more. */
void stream_destroy(stream *s);

/*
 * Appends EV (seq and t_ns are ignored: the stream assigns them) from any thread of any process
 * forked after stream_create. Blocks while the stream is full. A text longer than
 * EVENT_MAX_TEXT bytes is cut (at a UTF-8 character boundary) and ends in EVENT_CUT_MARK.
 * Never from the consumer's own thread: on a full stream it would wait for itself.
 */
void stream_publish(stream *s, const event *ev);

/* The slots a publish claimed, kept in shared memory while it writes them (n 0: none). */
typedef struct stream_claim {
        uint64_t first, n;
} stream_claim;

/* stream_publish, recording in *CLAIM (in shared memory) the slots it is writing until it is
 * done, so that if this process dies before, stream_abandon can skip them. */
void stream_publish_claimed(stream *s, const event *ev, stream_claim *claim);
/* From another process, once the producer that published with CLAIM has died: the slots it
 * claimed and did not write are skipped by the consumer (counted in stream_stats.broken), and the
 * stream goes on. Nothing when it was not publishing. The only window left is between the claim
 * and its record, two stores. */
void stream_abandon(stream *s, stream_claim *claim);

/*
 * The one consumer: waits up to TIMEOUT_MS (0: do not wait, -1: forever) for the next event.
 * Returns 1 with the event in EV (seq 1, 2, 3, ...; t_ns since stream_create, never decreasing;
 * ev->text points into TEXT's buffer until TEXT changes), 0 when none came in time, -1 when the
 * stream is closed and everything published before the close has been read.
 */
int stream_next(stream *s, event *ev, strbuf *text, int timeout_ms);

/*
 * Says that the producers are done (they have returned from stream_publish, exited or died):
 * stream_next drains what was published and then returns -1, and skips an event whose producer
 * died before publishing all of it. Publishing after the close is a bug.
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
 * now (read it, then arm again).
 */
bool stream_arm(stream *s);

typedef struct stream_stats {
        uint64_t events;          /* events read by the consumer */
        uint64_t producer_waits;  /* a producer found the stream full */
        uint64_t consumer_waits;  /* the consumer found the stream empty and had to wait */
        uint64_t producer_sleeps; /* ... and went to sleep in the kernel (futex) */
        uint64_t consumer_sleeps;
        uint64_t broken; /* events skipped after close: their producer died while publishing */
} stream_stats;

/* Counters so far; any thread or process. */
void stream_get_stats(const stream *s, stream_stats *out);

#endif
