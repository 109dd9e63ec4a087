/*
 * store.h — where each resource's data lives while a scenario runs, and the one encoding of
 * values that crosses processes.
 *
 * A data resource (var, list, dict, value, array) and a queue's items have a place:
 *   - the heap of the process: a var, list or dict, and in a scenario without process actors
 *     everything. fork() copies the heap, so after a process actor starts, each process has its
 *     own copy (multiprocessing's classic surprise), taken when the process was started;
 *   - shared memory (MAP_SHARED, made before anything forks): a Value and an Array, and every
 *     queue's items, in a scenario with process actors. They are kept encoded (store_encode), so
 *     every process reads and writes the same bytes — but a Value, a number, is kept as the
 *     value itself, which points at nothing and so means the same in every process.
 * The interpreter reads and writes through this module only, and never asks where a resource
 * lives. Data is read and written under the engine's memory lock (statement atomicity), a
 * queue's items under the queue's own mutex: the store itself takes no lock.
 */
#ifndef LOCKSTEP_ENGINE_STORE_H
#define LOCKSTEP_ENGINE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/stream.h"
#include "scenario/scenario.h"
#include "scenario/value.h"
#include "util/strbuf.h"

typedef struct store store;

/* Bytes of encoded items a queue between processes holds at most (mapped lazily). */
#define STORE_QUEUE_BYTES SC_MAX_QUEUE_BYTES
/* The most one encoding may take (store_encode): a value sent to another process, or the memory a
 * new process is given. The run's values are capped in memory (VALUE_MAX_MEMORY), but a list
 * that holds one long string a million times is small there and a terabyte encoded. */
#define STORE_MAX_ENCODED ((size_t)64 << 20)

/* Places SC's resources: with SHARED (the scenario has process actors or pools), Values and
 * Arrays go to shared memory, and so do queues when SC has process actors (a pool's workers never
 * reach a queue). Every data resource starts as the scenario's initial value. */
store *store_create(const scenario *sc, bool shared);
void store_free(store *st);
/* The runner's watch on the manager's server, if any (manager_watch): once the fork server is
 * forked. */
void store_watch(store *st);

/* ---- data: var, list, dict, value, array (under the memory lock) --------------------------- */

/* Resource K's contents: a new reference. */
value store_get(store *st, int k);
/* Resource K's contents to change in place: the heap slot itself, or *TMP (decoded) for shared
 * memory or the manager; store_commit writes it back (and drops *TMP): 0, or -1 with a message
 * in ERR when the value cannot go to the manager (a lambda). */
value *store_edit(store *st, int k, value *tmp);
int store_commit(store *st, int k, value *v, char *err, size_t errlen);
/* Resource K's value in place, where a change needs no commit: in this process's heap (a var,
 * list or dict of a thread, or a process's own copy), or a Value's number in shared memory (the
 * value itself, which every process reads and writes there: only ever a number, None or a
 * bool); NULL when it lives elsewhere (encoded in shared memory: an Array, a queue; or in the
 * manager). */
value *store_slot(store *st, int k);
/* Whether K has one copy for every process: shared memory, or the manager. */
bool store_shared(const store *st, int k);
/* Whether K lives in the manager's server: every access is a request and a reply. */
bool store_managed(const store *st, int k);

/* The heap data of every var, list and dict (what a process copies at fork), encoded into OUT;
 * store_restore puts it back in a new process. -1 with ERR when it is more than
 * STORE_MAX_ENCODED. */
int store_snapshot(store *st, strbuf *out, char *err, size_t errlen);
void store_restore(store *st, const char *data, size_t len);

/* ---- queues (under the queue's mutex) -------------------------------------------------------- */

/* Items in queue K. */
size_t store_queue_len(const store *st, int k);
/* Prepares V (borrowed) for queue K: for a queue in shared memory, returns its frame's bytes
 * (encoded into ENC, but for a scalar's, which store_queue_put makes), else 0. -1 with a
 * message in ERR when it cannot cross (a function). */
long store_queue_prepare(store *st, int k, value v, strbuf *enc, char *err, size_t errlen);
/* Whether an item of NEED bytes (store_queue_prepare's answer) fits now; *NEVER: not even empty. */
bool store_queue_fits(const store *st, int k, size_t need, bool *never);
/* Appends V (taken; ENC as prepared, a scalar's frame made here), of NEED bytes (the prepared
 * answer), when it fits now (store_queue_fits): returns the items then in the queue. -1, and V
 * not taken, when it does not fit. One pass: the room, the frame, the item and the count. */
long store_queue_put(store *st, int k, value v, size_t need, const strbuf *enc);
/* Takes the oldest item into *OUT: returns the items left, or -1 when the queue is empty. */
long store_queue_take(store *st, int k, value *out);

/* ---- pipes ---------------------------------------------------------------------------------- */

/* A pipe end's read-ahead, for a live run's receives: what a receive read from the socket past
 * the end of its own message (the next ones, when the sender is ahead), for the next receive at
 * that end, whatever its process: it is in shared memory made before anything forks, and read
 * and written under the end's receive lock. DATA[AT..LEN) is unread. */
#define STORE_PIPE_AHEAD 512
typedef struct store_ahead {
        uint32_t at, len;
        char data[STORE_PIPE_AHEAD];
} store_ahead;

/* The descriptor of pipe K's END (0: NAME.a, 1: NAME.b): one end of a socketpair made before
 * anything forks, so every process of the run has both. */
int store_pipe_fd(const store *st, int k, int end);
/* The read-ahead of pipe K's receiving END. */
store_ahead *store_pipe_ahead(store *st, int k, int end);

/* ---- a Manager's lists and dicts: changed in the server, not moved -------------------------- */

/* For resource K in the manager's server: appends V, sets item INDEX to V (index borrowed), or
 * pops item AT into *OUT, there, and puts the new contents' repr (as store_repr) into REPR.
 * 1 when K is not the manager's (the caller edits it with store_edit), 0 done, -1 with a
 * Python-like message in ERR. V is taken in every case. */
int store_append(store *st, int k, value v, strbuf *repr, char *err, size_t errlen);
int store_set_item(store *st, int k, value index, value v, strbuf *repr, char *err, size_t errlen);
int store_pop(store *st, int k, int64_t at, value *out, strbuf *repr, char *err, size_t errlen);

/* ---- values -------------------------------------------------------------------------------- */

/* TARGET[INDEX] = V (a list or dict item), the Python way; V taken, INDEX borrowed. 0, or -1
 * with a message in ERR. */
int store_item_set(value *target, value index, value v, char *err, size_t errlen);
/* Appends repr(V) to OUT, cut to STORE_REPR_MAX bytes (ending in "..."): a value as events
 * show it. */
#define STORE_REPR_MAX 512
void store_repr(value v, strbuf *out);
/* store_event_text of anything but an int. */
const char *store_repr_scratch(value v, strbuf *scratch, size_t *len);
/* The same text for an event, as actor_emit_flagged takes it: an int as its 8 bytes in *BOX with
 * *FLAGS STREAM_TEXT_INT (the stream's consumer writes its decimal: a counter's every step, a
 * queue's every item), anything else's repr in SCRATCH (reset first) with *FLAGS 0. Returns the
 * text and sets *LEN. Inline: nearly every event of a counter or a queue carries one. */
static inline const char *store_event_text(value v, strbuf *scratch, int64_t *box, size_t *len,
                                           unsigned *flags)
{
        if (v.type == VALUE_INT) {
                *box = v.as.i;
                *len = STREAM_INT_LEN;
                *flags = STREAM_TEXT_INT;
                return (const char *)box;
        }
        *flags = 0;
        return store_repr_scratch(v, scratch, len);
}

/* ---- the encoding -------------------------------------------------------------------------- */

/* Appends V's encoding to OUT: 0, or -1 with a Python-like message in ERR (a function cannot be
 * encoded, as a lambda cannot be pickled). */
int store_encode(value v, strbuf *out, char *err, size_t errlen);
/* The same for a scalar (None, bool, int, float) into BUF, without a strbuf: its bytes, or 0 for
 * any other value (store_encode it). */
#define STORE_SCALAR_BYTES 9
size_t store_encode_scalar(value v, char buf[STORE_SCALAR_BYTES]);
/* Resets OUT to V's frame, as a pipe's message and a queue's item in shared memory are kept: a
 * 32-bit length, then V's encoding. Returns the frame's bytes, or -1 with a message in ERR as
 * store_encode. */
long store_frame(value v, strbuf *out, char *err, size_t errlen);
/* Decodes one value from DATA (LEN bytes) into *OUT and returns the bytes used, or -1 when the
 * bytes are not an encoding (or too deep). */
long store_decode(const char *data, size_t len, value *out);

#endif
