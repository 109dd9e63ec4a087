/*
 * model.h — the visual state of a run: a pure fold over its events, plus the wait-for graph.
 *
 * model_new builds the state before the first event from the scenario (every actor NEW, every
 * resource as the file declares it); model_apply folds one event into it. The same sequence of
 * events always gives the same state, so the front end can rebuild any earlier moment
 * (history.h) and a trace replays exactly. The TUI draws the state; `lockstep run` prints its
 * summary. Nothing here runs anything: the model includes the scenario and event headers and
 * util/, never curses and never the engine.
 *
 * Reading: `model` is opaque; the accessors return read-only views (model_actor, model_res,
 * model_line, ...) that stay valid until the next model_apply or model_free of that model.
 * Texts are NUL-terminated and shared between a model and its clones (reference counted, never
 * changed once made). The logs (printed lines, pool results) are packed; their accessors decode
 * a line into the caller's model_line, whose text points into the log and stays valid as long
 * as the other views (and past a model_trim_logs only if the line was kept) — or, for a result
 * kept as an int, into the model_line itself, its decimal written there. A model and its
 * clones belong to one thread at a time (reading a log moves the log's read cursor).
 *
 * Actors are numbered as in event.h: 0 .. sc->nactors-1 are the scenario's actors and
 * sc->nactors is the main thread, named MODEL_MAIN_NAME; model_nactors() is sc->nactors + 1.
 *
 * How each event kind changes the state (where event.h leaves room, this is the decision):
 *
 * - Robustness: a trace is untrusted. An event whose kind is unknown, whose actor is not -1 or a
 *   real actor, whose res is neither -1 nor a resource, or whose resource has the wrong type for
 *   its kind (PUT on a lock) is ignored whole and counted in model_info.ignored. So are events
 *   that need an actor (START, READY, STEP, EXIT, BLOCKED, ACQUIRED, TIMEOUT, WAITING, WOKE,
 *   SLEEP, WORK, JOINED, REQUEST, REPLY) sent by the runner (-1), events that need a resource and
 * have none, and every event but the passive ones (below) from an actor already DONE or CRASHED: a
 * finished actor never comes back. The one exception is the engine's own: an EXIT after an ERROR
 * (the actor's last word, once it has unwound) is applied and leaves the actor CRASHED. Some kinds
 * check their numbers too: a pipe end (aux) must be 0 or 1, a copy (CHANGED aux) -1 or an actor, a
 * pool worker (aux) one of the pool's, a task (num)
 *   >= 0, and BLOCKED without a resource must name an actor to join.
 * - Actor state: START, STEP, and every event that shows the actor doing something (ACQUIRED,
 *   RELEASED, TIMEOUT, WOKE, SET, CLEARED, NOTIFIED, PUT, GOT, SENT, RECEIVED, CLOSED, WORK,
 *   JOINED, ASSERT) make it RUNNING; READY makes it READY, SLEEP SLEEPING (num ns in sleep_ns),
 *   BLOCKED BLOCKED, WAITING WAITING, EXIT DONE (CRASHED after a failed assert: below), CRASH
 *   and ERROR CRASHED. Any of these ends the
 *   actor's current wait (it leaves the waiter lists). PRINT, SAY, CHANGED, REQUEST, REPLY, TASK,
 *   RESULT, END and the ACQUIRED and RELEASED of a pool worker's GIL are passive: they never
 *   change the state of the actor that sends them, so a caption sent after BLOCKED does not
 *   unblock anybody. STEP and READY set the statement (stmt) the actor is at; STEP counts a
 *   step. An actor that failed stays at the statement of its failure: READY moves no actor
 *   unwinding from a failed assert, and CRASH and ERROR set the statement they carry (an
 *   ERROR comes after the unwinding's release of a `with`).
 * - BLOCKED: res >= 0 waits for that resource; res = -1 with other >= 0 joins actor `other`.
 *   aux = 1 when the wait has a timeout (also for WAITING). What the wait is (model_op: put or
 *   get on a queue, send or receive at which pipe end) comes from the statement the event
 *   names, or the actor's current one (sc_stmt.kind, sc_stmt.end); failing that, a queue that is
 *   full means a putter and otherwise a getter. A BLOCKED that repeats the actor's current wait
 *   (the engine publishes one after every failed try in step mode) keeps its place in the FIFO.
 *   The lists are FIFO in the order of the BLOCKED / WAITING events.
 * - Locks: ACQUIRED makes the actor the holder (rlock and a condition's own lock: depth = num
 *   when num > 0, else one more for the holder, else the depth saved by the actor's last
 *   condition wait, else 1). RELEASED frees a lock whoever sends it (Python allows that); an
 *   rlock only when its holder sends it, one level at a time. BLOCKED, ACQUIRED and RELEASED on a
 *   condition that uses another lock (sc_resource.lock >= 0) apply to that lock: the engine
 *   names the lock, and the model redirects when it names the condition.
 * - A pool worker's GIL ("gil": the lock GIL@POOL/W, model_res.worker = W): its worker process
 *   takes and gives it, and its ACQUIRED and RELEASED name the map's caller, as the worker's TASK
 *   and RESULT do. They are passive: the caller's state is left alone (it waits for its map, or
 *   may even have died), and the holder is the actor they name. A worker that dies holding it
 *   has its RELEASED sent for it (by the fork server), so it is never shown held for ever.
 * - Semaphores: count = num of ACQUIRED ("count left") and of RELEASED ("count after"); when num
 *   is negative, one less / one more. ACQUIRED adds the actor to `holders`, RELEASED removes one
 *   entry of the releasing actor. Holders never exceed initial - count: the oldest entries are
 *   dropped beyond that, so a semaphore used as a signal (released by one actor, acquired by
 *   another) shows no holders instead of a growing list.
 * - Events: SET / CLEARED change the flag; SET also releases every actor waiting then (pending =
 *   waiters: the oldest ones), which can go on even if CLEARED comes first, as Python's set()
 *   wakes them; waiters leave one by one as their WOKE arrives.
 * - Conditions: WAITING releases the condition's lock if the waiting actor still holds it (the
 *   engine may also send RELEASED first) and saves an rlock's depth; NOTIFIED adds num to
 *   `pending` (capped at the number of waiters): the `pending` oldest waiters are the ones
 *   notified, and only they can go on (one that began to wait after the notify waits on); each
 *   WOKE uses one. After WOKE the actor takes
 *   the lock again with ACQUIRED on the lock (BLOCKED on it first when it must wait); WOKE does
 *   not take the lock by itself.
 * - Barriers: WAITING sets arrivals to num (or one more when num <= 0). When arrivals reach
 *   parties the barrier trips: every waiter is released (pending = waiters) and arrivals start
 *   again at 0; each WOKE takes one. A WOKE on a barrier that has not tripped trips it. TIMEOUT
 *   takes one arrival back. BROKEN (abort, or a wait that timed out) makes it broken and RESET
 *   whole again; both release every waiter (pending = waiters, arrivals 0), whose WOKE (aux 1:
 *   with BrokenBarrierError) takes one each. A broken barrier is available: its waiters go on.
 * - Queues: PUT appends text, GOT removes the oldest item (num, the size, is not trusted: the
 *   items are). A putter's BLOCKED says the queue is full, by its count or by its bytes (one
 *   between processes holds 16 MiB): it can go on once an item has been taken since. Pipes:
 *   SENT from end aux appends to flow[aux] (flow[0]: a -> b, flow[1]: b -> a); RECEIVED at end
 *   aux takes the oldest of flow[1 - aux]; CLOSED marks closed[aux].
 * - Data (var, list, dict, value, array): copy -1 (the shared one) starts as the repr of the
 *   scenario's initial value. A process actor gets its own copy of every var and of every list
 *   and dict not via a manager when it is started: at the STEP of the `start` statement that
 *   starts it, equal to the copy of the process its starter lives in (fork() copies the parent's
 *   memory then; the child's own START comes later, in a live run after the parent may have
 *   changed the data again). A thread lives in the process of the actor that started it. A START
 *   of a process that has no copy yet (no start step seen) takes the shared copy.
 *   CHANGED sets copy aux (-1 or an actor number; the main thread's number means -1).
 * - A Manager's list or dict: REQUEST (an actor's, on a resource via a manager; anything else is
 *   ignored) counts one more request and adds the actor to `asking`; REPLY takes it out again (a
 *   REPLY from an actor that is not asking is ignored), and so does the actor's CRASH or ERROR.
 *   Both are passive: the wait for the server is short and never stuck, and the new contents
 *   come with the CHANGED that follows a write's REPLY, so a REPLY's text (the answer) changes
 *   nothing else.
 * - Pools: TASK gives worker aux task num with argument text; RESULT records (num -> text), in
 *   the order results come, and makes worker aux idle if that was its task. A TASK with index 0
 *   starts a new map: the results of the last one are cleared — unless a worker still runs task
 *   0. A TASK for a task that a worker still runs hands it out again (that worker died and was
 *   replaced): the worker that ran it becomes idle, and no result is cleared. A worker number
 *   outside the pool or a negative task index is ignored.
 * - PRINT appends a line to the output, SAY replaces the caption; ASSERT records a failed assert
 *   and keeps its text as the actor's `why`: the AssertionError ends the actor, as it ends a
 *   Python thread, but only once it has unwound (a `with` it is in releases its lock first), so
 *   the actor stays RUNNING until its EXIT, which then makes it CRASHED (signal -1, an error)
 *   instead of DONE; CRASH (signal aux, exit status num) and ERROR (signal -1) make the actor
 *   CRASHED with the text as the reason and add an entry to the errors. END sets the outcome to
 *   aux (a known event_outcome), `ended` and the reason (its text); an END with OUTCOME_CRASH
 *   (the runner died: a thread's crash, or a kill from outside) makes every actor still alive
 *   (started or launched, not DONE or CRASHED) CRASHED with that reason (signal 0), as they died
 *   with it, but adds no error. Before END the outcome is OUTCOME_ASSERT once an assert failed,
 *   else OUTCOME_RUNNING.
 *
 * Deadlock (model_deadlock, model_wait_edges): an actor BLOCKED on a lock, an rlock or a
 * condition's own lock held by another actor (or on a plain lock it holds itself), or joining an
 * actor that started and is not done, has an edge to that actor. A cycle of edges whose waits
 * have no timeout is a deadlock — if it goes through a plain lock, only once every live actor
 * off the cycle is stuck as well (below), or no actor off it that has not finished has a
 * `release` of one of its plain locks (or of a condition over one) in its script, since a
 * threading.Lock may be released by any thread, but only by a release; a cycle of rlocks and
 * joins at once. So the cycle is named while an actor off it can still move (a main thread not
 * yet at its join), as stuck for good; a run ends on it only once nobody moves
 * (model_all_stuck). Otherwise, when every live
 * actor (started, not DONE or CRASHED) is BLOCKED or WAITING without a timeout on something the
 * model shows as unavailable, every actor is blocked. A wait on something available (a free
 * lock, a set event, a non-empty queue for a getter, a notified condition, a tripped barrier,
 * a NEW or finished actor to join, a pool, a manager) is a legal transient, never stuck.
 */
#ifndef LOCKSTEP_MODEL_MODEL_H
#define LOCKSTEP_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"
#include "../scenario/scenario.h"
#include "../util/strbuf.h"

#define MODEL_MAIN_NAME SC_MAIN_NAME
#define MODEL_MAX_KEPT  256 /* failed asserts and errors kept; more are only counted */

typedef struct model model;

typedef enum model_state {
        MODEL_NEW,      /* not started */
        MODEL_READY,    /* step mode: at a statement, waiting to be granted it */
        MODEL_RUNNING,  /* running (or just did something) */
        MODEL_BLOCKED,  /* on a resource, or joining another actor */
        MODEL_WAITING,  /* on an event, a condition or a barrier */
        MODEL_SLEEPING, /* in a sleep */
        MODEL_DONE,     /* finished its script */
        MODEL_CRASHED,  /* died: a signal, an exit, or a run-time error */
        MODEL_STATE_COUNT
} model_state;

/* What a BLOCKED or WAITING actor waits to do. */
typedef enum model_op {
        MODEL_OP_NONE,
        MODEL_OP_ACQUIRE, /* lock, rlock, semaphore, a condition's lock */
        MODEL_OP_WAIT,    /* event, condition, barrier (WAITING, or BLOCKED on an event) */
        MODEL_OP_GET,     /* queue */
        MODEL_OP_PUT,     /* queue */
        MODEL_OP_RECV,    /* pipe, at `end` */
        MODEL_OP_SEND,    /* pipe, from `end` */
        MODEL_OP_JOIN,    /* another actor, `join` */
        MODEL_OP_OTHER,   /* anything else (a pool, a manager): never stuck */
        MODEL_OP_COUNT
} model_op;

typedef struct model_actor {
        const char *name; /* the scenario's, or MODEL_MAIN_NAME */
        bool process;     /* a fork()ed process actor */
        bool started;     /* START (or any active event) seen */
        bool launched;    /* a `start` statement started it: its START may come later (live) */
        model_state state;
        uint64_t since;    /* seq of the event that gave it this state (0: from the start) */
        int stmt;          /* statement id it is at (STEP / READY), -1 before the first */
        model_op op;       /* BLOCKED / WAITING: what for; MODEL_OP_NONE otherwise */
        int res;           /* the resource waited on, or -1 */
        int join;          /* MODEL_OP_JOIN: the actor joined, else -1 */
        int end;           /* MODEL_OP_RECV / SEND: the pipe end (0 a, 1 b), -1 when unknown */
        size_t in_flight;  /* at its last BLOCKED: SEND, its end's messages; PUT, the items */
        bool timed;        /* the current wait has a timeout (aux = 1) */
        int64_t sleep_ns;  /* the last SLEEP's length */
        uint64_t steps;    /* its steps (STEP events and first events of a step) */
        uint64_t events;   /* events of this actor applied */
        int64_t pid;       /* START's aux (a process's pid), 0 before */
        int home;          /* the process actor whose memory it uses (-1: main process) */
        int signal;        /* CRASHED: the signal, 0 for an exit (status in `code`), -1 error */
        int64_t code;      /* CRASHED by exit: the status */
        const char *why;   /* CRASHED: the reason text (may be ""); before, a failed assert's */
        int restore_depth; /* rlock depth given up by the last condition wait (internal) */
} model_actor;

typedef struct model_ids {
        int *v; /* actor numbers, oldest first */
        size_t n, cap;
} model_ids;

/* One text of a FIFO: a short one (MODEL_TEXT_SHORT bytes at most, nearly every queue item and
 * message) in place, a longer one shared (its last byte, `big`, says which). */
#define MODEL_TEXT_SHORT 15
typedef union model_text {
        char s[MODEL_TEXT_SHORT + 1]; /* NUL-terminated; s[MODEL_TEXT_SHORT] is 0 */
        struct {
                const char *p;
                char pad[MODEL_TEXT_SHORT - sizeof(const char *)];
                char big; /* 1: the text is p's */
        } l;
} model_text;

typedef struct model_texts { /* a FIFO of texts: read with model_texts_at */
        model_text *v;
        size_t head, n, cap;
} model_texts;

typedef struct model_copy {
        int owner;   /* -1 the shared copy, else the process actor whose own copy it is */
        bool is_int; /* the contents are the int NUM (text is stale): read model_copy_text */
        int64_t num;
        const char *text; /* the contents, as repr(), unless is_int */
} model_copy;

/* C's contents as repr() (the decimal of an int written into BUF). */
const char *model_copy_text(const model_copy *c, char buf[VALUE_INT_TEXT]);

typedef struct model_worker {
        int64_t task;    /* the task it runs, -1 idle */
        const char *arg; /* its argument text, NULL when idle (read with model_worker_arg) */
        bool arg_int;    /* the argument is the int ARG_NUM (arg is stale) */
        int64_t arg_num;
        int64_t done; /* the results of the current map it has given */
} model_worker;

/* W's argument as repr() (an int's decimal written into BUF); NULL when it is idle. */
const char *model_worker_arg(const model_worker *w, char buf[VALUE_INT_TEXT]);

struct model_log;

/* One resource. Only the fields of its type mean anything; the others stay zero / -1. */
typedef struct model_res {
        const char *name;
        sc_res_type type;
        int lock; /* condition: the lock resource it uses, -1 for its own (holder/depth here) */
        /* lock, rlock, a condition's own lock */
        int holder; /* actor, -1 free */
        int worker; /* lock: a pool worker's GIL ("GIL@POOL/W"), its worker W; else -1 */
        int depth;  /* rlock, condition: times the holder acquired it */
        /* waiters, FIFO */
        model_ids blocked; /* BLOCKED here: lock/semaphore waiters, queue getters, pipe receivers
                              (see each actor's end), anything else */
        model_ids putters; /* BLOCKED putting: queue putters, pipe senders */
        model_ids waiting; /* WAITING here: event, condition, barrier */
        /* semaphore, bounded_semaphore */
        int64_t count, initial;
        model_ids holders; /* one entry per permit held, oldest first */
        /* event */
        bool set;
        /* condition: notifies not yet taken by a WOKE; barrier: waiters released by a trip; event:
         * waiters released by a set (the oldest `pending` of `waiting`) */
        int64_t pending;
        /* barrier */
        int64_t arrivals, parties;
        bool broken; /* BROKEN seen, and no RESET since */
        /* queue */
        model_texts items; /* oldest first */
        int64_t max;       /* 0: unbounded */
        /* pipe: flow[0] sent from end a toward b, flow[1] from b toward a */
        model_texts flow[2];
        bool closed[2];
        bool duplex;
        /* var, list, dict, value, array */
        bool manager;       /* list, dict via a manager */
        model_ids asking;   /* manager: actors whose REQUEST awaits its REPLY, oldest first */
        int64_t requests;   /* manager: REQUESTs seen (each a round trip to the server) */
        model_copy *copies; /* copies[0] is the shared copy (owner -1) */
        size_t ncopies, capcopies;
        /* pool */
        model_worker *workers;
        int nworkers;
        int64_t ntasks;            /* tasks of the current map seen so far (highest index + 1) */
        struct model_log *results; /* read with model_result_count / model_result_at */
        size_t nresults;
} model_res;

/* A printed line, or a pool result. */
typedef struct model_line {
        uint64_t seq;     /* the event's */
        int actor;        /* output: who printed (-1 the runner); result: the worker */
        int64_t index;    /* result: the task index; output: 0 */
        const char *text; /* without a newline; an int result's decimal is in num */
        char num[VALUE_INT_TEXT];
} model_line;

typedef struct model_error {
        uint64_t seq;
        int actor;       /* -1 the runner */
        event_kind kind; /* EV_CRASH, EV_ERROR or EV_ASSERT */
        int signal;      /* EV_CRASH: the signal, 0 for an exit */
        int64_t code;    /* EV_CRASH with signal 0: the exit status */
        const char *text;
} model_error;

typedef struct model_info {
        uint64_t events;   /* events applied */
        uint64_t last_seq; /* of the last event applied */
        uint64_t ignored;  /* events ignored as malformed (see above) */
        /* of the last event applied; not next to last_seq, so that the two are not copied in one
         * 16-byte load, which an event's 8-byte stores just before cannot be forwarded to */
        uint64_t t_ns;
        uint64_t steps;      /* steps: STEP events and first events of a step (BEGINS_STEP) */
        int outcome;         /* event_outcome (see above) */
        bool ended;          /* END seen */
        const char *caption; /* the last SAY's text, NULL before any */
        int caption_actor;   /* who said it (-1 the runner) */
        uint64_t caption_seq;
        const char *reason; /* END's text: how the run ended (may be ""), NULL before END */
        uint64_t nasserts;  /* ASSERT events, all of them (MODEL_MAX_KEPT are kept) */
        uint64_t nerrors;   /* CRASH and ERROR events, all of them */
} model_info;

/* The state before any event. SC must outlive the model and its clones. */
model *model_new(const scenario *sc);
/* Folds one event in (EV may be anything: see above). The text is copied; an EVENT_INT text
 * (a counter's value) is kept as the int. */
void model_apply(model *m, const event *ev);
/* EV as everybody but the model wants it: EV itself, or, for an EVENT_INT, a copy in OUT whose
 * text is the int's decimal, written into BUF. */
const event *model_event_decimal(const event *ev, event *out, char buf[VALUE_INT_TEXT]);
/* The same fold without model_apply's fast paths for its hottest kinds: every event through its
 * rule's checks. Gives exactly what model_apply gives (the tests compare the two). */
void model_apply_generic(model *m, const event *ev);
/*
 * M will not be cloned (a run that keeps no history: `lockstep run`): its logs (the output, a
 * pool's results) grow in chunks of 64 KiB, each mapped at once, instead of 4 KiB ones, which
 * are what a snapshot seals and shares, and a fresh page of heap each, whose first write is a
 * page fault. A clone still works, sharing bigger chunks.
 */
void model_keep_no_history(model *m);
/* A deep copy that evolves independently (texts and the output are shared, copy-on-write). */
model *model_clone(const model *m);
void model_free(model *m);

const scenario *model_scenario(const model *m);
const model_info *model_info_of(const model *m);
/* sc->nactors + 1: the main thread is the last. */
int model_nactors(const model *m);
/* Actor A (0 .. model_nactors - 1), or NULL. */
const model_actor *model_actor_at(const model *m, int a);
int model_nres(const model *m);
const model_res *model_res_at(const model *m, int r);
/* The statement with id ID, or NULL. */
const sc_stmt *model_stmt(const model *m, int id);
const char *model_state_word(model_state s); /* "new", "ready", "running", ... */
/* The word for A's state on screen: its state's, but "error" for an actor an error ended (a
 * failed assert, a raised ValueError: CRASHED with signal -1). */
const char *model_actor_word(const model_actor *a);

/* Item I (oldest first, I < T->n) of a queue or a pipe direction. */
const char *model_texts_at(const model_texts *t, size_t i);

/* Printed lines kept, oldest first; model_output_dropped earlier lines were dropped by
 * model_trim_logs (a front end says "N earlier lines dropped"). model_output_at decodes line I
 * into *LINE and returns LINE (NULL past the end). Reading the lines in order is a few
 * instructions each; a line anywhere else takes a search among the log's chunks and the decoding
 * of at most a chunk's lines (a few KiB). */
size_t model_output_count(const model *m);
size_t model_output_dropped(const model *m);
const model_line *model_output_at(const model *m, size_t i, model_line *line);
/* A pool's results of the current map kept, in the order they came (decoded into *LINE as
 * model_output_at does; NULL past the end or for a resource that is not a pool), and how many
 * earlier ones were dropped. */
size_t model_result_count(const model *m, int r);
size_t model_result_dropped(const model *m, int r);
const model_line *model_result_at(const model *m, int r, size_t i, model_line *line);
/* Failed asserts (kind EV_ASSERT) and crashes/errors, oldest first; the first MODEL_MAX_KEPT
 * of each. */
size_t model_assert_count(const model *m);
const model_error *model_assert_at(const model *m, size_t i);
size_t model_error_count(const model *m);
const model_error *model_error_at(const model *m, size_t i);
/* Whether errors were kept and every one of them was raised (an exception, not a crash by a
 * signal or an exit): a run those ended was ended by an error, not a crash. */
bool model_only_raised(const model *m);

/* Whether actor A's current wait is on something the model shows as available (or A is not
 * waiting at all): such an actor is not stuck. */
bool model_can_proceed(const model *m, int a);
/* Actor A's state as a person is shown it: a waiter (BLOCKED or WAITING) whose wait is over —
 * the lock free, an item come, notified, the thread it joins ended — waits only for its turn,
 * so MODEL_READY, as its next step will find it; any other state as it is. The Actors pane and
 * the Timeline's lanes both show this. */
model_state model_state_shown(const model *m, int a);

typedef enum model_edge_kind {
        MODEL_EDGE_LOCK, /* `from` is BLOCKED on lock `res`, held by `to` */
        MODEL_EDGE_JOIN, /* `from` joins `to` */
} model_edge_kind;

typedef struct model_edge {
        int from, to;
        int res; /* MODEL_EDGE_LOCK: the lock; -1 for a join */
        model_edge_kind kind;
        bool timed; /* the wait of `from` has a timeout */
        bool cycle; /* part of a deadlock cycle (timed edges never are) */
} model_edge;

/* The wait-for graph: at most one edge per actor, so at most model_nactors edges. Fills OUT
 * with up to CAP of them, in actor order, and returns how many there are. */
int model_wait_edges(const model *m, model_edge *out, int cap);
/* 0: no deadlock. 1: a cycle, described into WHY (when not NULL) from its lowest-numbered
 * actor: "P-0 holds fork_0 and waits for fork_1 held by P-1; P-1 holds fork_1 and waits for
 * fork_0 held by P-0" (a join: "waits for P-1 to finish"). 2: no cycle, but every live actor is
 * stuck: "every actor is blocked: Consumer waits for queue q (empty); MainThread waits for
 * Consumer to finish". 3: no cycle, some actors can still move, but others are stuck for good —
 * stuck, and whatever could end each one's wait is up to actors stuck for good too: the holder
 * of the lock or of a semaphore's permit, the actor joined, or any actor (not finished; one not
 * started counts) whose script has what would end the wait (a release of the semaphore or of
 * the plain lock, a `with` of the semaphore, a set of the event, a notify of the condition, a put
 * into or a get from the queue, a wait at the barrier, its abort or reset; a pipe's wait is never
 * stuck for good here): "nobody who could end these waits can move: A waits for semaphore b (count
 * 0); B waits for semaphore a (count 0)". A live run ends only at 1 or 2 once every actor is stuck
 * (model_all_stuck); 3 is for the terminal UI's banner, named as soon as it holds. */
int model_deadlock(const model *m, strbuf *why);
/* Into OUT (one a model actor), whether each actor is stuck for good, as model_deadlock's 3 says
 * (and as every stuck actor is when all are); how many are. */
int model_stuck_for_good(const model *m, bool *out);
/* Whether every live actor (started, not DONE or CRASHED) is stuck as above, and there is one:
 * nobody can move. A live run ends at a deadlock only then, when the actors off a cycle have
 * done what they could (Python's program prints their lines, then hangs). */
bool model_all_stuck(const model *m);

/* What actor A waits for, in words, into WHY: "Consumer waits for queue q (empty)", "T-1 waits for
 * lock a (held by T-2)", "MainThread waits for Consumer to finish". The words in brackets say
 * how things stand now: a waiter that can go on says why ("(an item has come)", "(notified)"). */
void model_describe_wait(const model *m, int a, strbuf *why);

/* Approximate heap bytes of M, not counting the output and the pool results, which M shares
 * with its clones (model_log_bytes counts those). */
size_t model_bytes(const model *m);
size_t model_log_bytes(const model *m);
/* Drops the oldest printed lines, then the oldest pool results, until model_log_bytes(M) is at
 * most MAX_BYTES. The logs are shared: every clone sharing them loses those lines too (and
 * counts them as dropped). A clone rebuilt from before the dropped lines replays the same
 * events, so its lines there are taken as the ones dropped. */
void model_trim_logs(model *m, size_t max_bytes);

#endif
