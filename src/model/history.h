/*
 * history.h — a recorded run: every event kept, and any earlier moment rebuilt on demand.
 *
 * The front end appends each event as it arrives; the history packs it (text included) into a
 * few bytes (history.c describes the format), folds it into the live model and, every
 * `snapshot_every` events, keeps a clone of the live model as a snapshot — less often when the
 * model is big: a snapshot is taken only once the events since the last one number at least
 * model_bytes / HISTORY_SNAPSHOT_BUDGET, so that snapshots cost at most about that many bytes per
 * event, yet at least every 256 * snapshot_every events (a queue holding 60,000 items is
 * snapshotted every 256,000 events, not every 1,000). history_at(seq) rebuilds the state right
 * after event `seq` from the nearest snapshot at or before it, applying the events in between
 * (at most snapshot_every - 1 for a model of usual size). That is how the TUI rewinds without
 * re-running anything.
 *
 * Numbering: the history numbers events 1, 2, 3, ... in the order they are appended (for the
 * engine's stream that is event.seq); moment 0 is the state before any event.
 *
 * Memory cap: everything the front end keeps per event is under one cap, max_bytes (default
 * HISTORY_MAX_BYTES, 256 MiB). The history counts the bytes of its packed events, its
 * snapshots, the live model and the live model's logs (printed output, pool results),
 * approximately, erring high, and checks them every snapshot_every events. The logs take at most
 * half the cap: past it, the oldest printed lines (then pool results) are dropped until they take
 * 3/8 of it, for the live model and every snapshot alike; model_output_dropped says how many (a
 * front end shows "N earlier lines dropped"). The events are kept in chunks, each starting at a
 * snapshot; when the total is above max_bytes, the oldest chunks (events and their snapshot) are
 * dropped until it fits again, never the newest one (a new chunk is begun early when that is what
 * lets the older ones go, or when the newest holds 1/16 of the cap). After that, rewinding cannot
 * go before history_first_seq, and history_event returns false for the events dropped. The live
 * model's state is never dropped.
 *
 * Not thread-safe: a history, and the models it returns, belong to one thread at a time.
 */
#ifndef LOCKSTEP_MODEL_HISTORY_H
#define LOCKSTEP_MODEL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"
#include "../scenario/scenario.h"
#include "model.h"

#define HISTORY_SNAPSHOT_EVERY  1000                /* events between snapshots, at least */
#define HISTORY_SNAPSHOT_BUDGET 4                   /* bytes per event a snapshot may cost */
#define HISTORY_MAX_BYTES       ((size_t)256 << 20) /* 256 MiB */

typedef struct history history;

/* A history of a run of SC (which must outlive it), starting at the initial state. 0 for either
 * number takes the default above. */
history *history_new(const scenario *sc, size_t snapshot_every, size_t max_bytes);
void history_free(history *h);

/* Records EV (packed, text included), applies it to the live model, takes a snapshot every
 * snapshot_every events or more and enforces the memory cap. Malformed events are kept and numbered
 * too (the model ignores them), so the numbering follows the stream. */
void history_append(history *h, const event *ev);

/* Events appended so far: the latest moment. */
size_t history_len(const history *h);
/* The earliest moment history_at can rebuild: 0 until the memory cap drops something. */
uint64_t history_first_seq(const history *h);
/* The state after every event. */
const model *history_live(const history *h);
/* The state right after event SEQ (0: the initial state), for history_first_seq <= SEQ <=
 * history_len; NULL otherwise. The model belongs to the history and stays valid until the next
 * history_append, history_at or history_free (model_clone it to keep it). Moving forward from
 * the last moment asked for applies only the events in between. */
const model *history_at(history *h, uint64_t seq);
/* Unpacks event SEQ (history_first_seq < SEQ <= history_len) into *OUT and returns true; false
 * for an event not kept. OUT->text (NUL-terminated, OUT->len bytes) belongs to the history and
 * stays valid until the next call on H. Going forward one event at a time unpacks one event per
 * call, going back or elsewhere at most 32 (and, for a text made from earlier ones that were not
 * unpacked lately, those). */
bool history_event(history *h, uint64_t seq, event *out);
/* How many of the events history_first_seq + 1 .. SEQ began a step (a STEP, or an event flagged
 * EVENT_BEGINS_STEP: the steps as the session counts them), for SEQ up to history_len. Unpacks at
 * most 31 events. */
uint64_t history_steps(history *h, uint64_t seq);
/* The bytes the cap counts, as of the last check (every snapshot_every events). */
size_t history_bytes(const history *h);

/* Where the bytes go, counted now (for benchmarks and tests). */
typedef struct history_stats {
        size_t events;    /* the packed events and their index */
        size_t snapshots; /* the snapshots */
        size_t other;     /* the live model and its logs, the rewound model, scratch texts */
        size_t chunks;    /* chunks kept (each a snapshot and the events after it) */
} history_stats;
void history_get_stats(const history *h, history_stats *st);

#endif
