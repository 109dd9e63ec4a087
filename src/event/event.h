/*
 * event.h — what happens in a run, one event at a time.
 *
 * The engine emits an event for every step of every actor; the front end folds them into the
 * visual state (src/model/), prints them (`lockstep run`) and writes them as a JSON Lines trace
 * (src/trace/). This header is the vocabulary all three share, so it sits below them and
 * includes nothing of theirs.
 *
 * Events are totally ordered by `seq`, and that order is causal: an event that gives something up
 * (released, put into a queue, set) is published before the real operation, an event that takes
 * something (acquired, got) after it, so a prefix of the sequence never shows two holders of one
 * lock. A step of an actor begins with its first event that has EVENT_BEGINS_STEP in flags: most
 * statements publish something of their own (acquired, changed, print, ...), which then carries
 * the flag; a statement that publishes nothing else (let, if, a loop's test) publishes a STEP.
 * Actor numbers are indices into scenario.actors; the main thread is number
 * scenario.nactors (named SC_MAIN_NAME); -1 (EVENT_RUNNER) is the runner itself.
 */
#ifndef LOCKSTEP_EVENT_EVENT_H
#define LOCKSTEP_EVENT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(NAME, "word in traces", meaning of the fields beyond actor/stmt) */
#define EVENT_KINDS(X)                                                                             \
        X(START, "start", "the actor began its script; aux: pid for a process (live runs)")        \
        X(READY, "ready", "the actor is at statement stmt, waiting to be granted it (step mode)")  \
        X(STEP, "step", "the actor runs statement stmt, which publishes nothing else")             \
        X(EXIT, "exit", "the actor finished its script")                                           \
        X(CRASH, "crash", "the actor died: aux = signal (0: exit(num)); text = why")               \
        X(ERROR, "error", "a run-time error ended the actor: text = the message")                  \
        X(BLOCKED, "blocked", "must wait for res (other: the actor joined, when joining)")         \
        X(ACQUIRED, "acquired", "took res: num = count left (semaphore) or depth (rlock)")         \
        X(RELEASED, "released", "gave res back: num = count after (semaphore)")                    \
        X(TIMEOUT, "timeout", "gave up waiting for res")                                           \
        X(WAITING, "waiting",                                                                      \
          "waits on res (condition: after releasing its lock; barrier: "                           \
          "arrived, num = arrivals)")                                                              \
        X(WOKE, "woke",                                                                            \
          "stops waiting on res (event set, notified, barrier full); aux = 1: the barrier broke "  \
          "or was reset instead (BrokenBarrierError follows)")                                     \
        X(BROKEN, "broken",                                                                        \
          "barrier res is broken (a wait timed out, or abort): its waiters and every later wait "  \
          "get BrokenBarrierError")                                                                \
        X(RESET, "reset",                                                                          \
          "barrier res is empty and whole again; its waiters get BrokenBarrierError")              \
        X(SET, "set", "set event res")                                                             \
        X(CLEARED, "cleared", "cleared event res")                                                 \
        X(NOTIFIED, "notified", "notified condition res: num = how many it wakes")                 \
        X(PUT, "put", "put text (a repr) into queue res: num = size after")                        \
        X(GOT, "got", "took text from queue res: num = size after")                                \
        X(SENT, "sent", "sent text into pipe res from end aux")                                    \
        X(RECEIVED, "received", "received text from pipe res at end aux")                          \
        X(CLOSED, "closed", "closed end aux of pipe res")                                          \
        X(CHANGED, "changed",                                                                      \
          "res now holds text (a repr); aux: the copy (-1 shared, else the "                       \
          "process actor whose copy)")                                                             \
        X(REQUEST, "request",                                                                      \
          "asks the manager's server about list or dict res: text = the operation (get, set, "     \
          "append, setitem, pop)")                                                                 \
        X(REPLY, "reply",                                                                          \
          "the manager's server answered the actor's request on res: text = the answer (a repr), " \
          "or with aux = 1 the error it raised")                                                   \
        X(PRINT, "print", "printed the line text")                                                 \
        X(SAY, "say", "narration caption text")                                                    \
        X(SLEEP, "sleep", "sleeps num nanoseconds")                                                \
        X(WORK, "work", "burns num nanoseconds of CPU")                                            \
        X(JOINED, "joined", "joined actor other")                                                  \
        X(TASK, "task", "pool res gives task num (argument text) to worker aux")                   \
        X(RESULT, "result", "worker aux of pool res finished task num with result text")           \
        X(ASSERT, "assert_failed", "an assert failed: text = the message")                         \
        X(END, "end", "the run ended: aux = outcome (event_outcome)")

typedef enum event_kind {
#define EVENT_ENUM(name, word, doc) EV_##name,
        EVENT_KINDS(EVENT_ENUM)
#undef EVENT_ENUM
            EV_KIND_COUNT
} event_kind;

/* How a run ends; also `lockstep run`'s exit status, except INTERRUPTED (128 + the signal). */
typedef enum event_outcome {
        OUTCOME_RUNNING = -1,
        OUTCOME_DONE = 0,        /* finished, every assert held */
        OUTCOME_ASSERT = 1,      /* an assert failed */
        OUTCOME_SCHEDULE = 2,    /* a replayed schedule named an actor that could not move */
        OUTCOME_DEADLOCK = 3,    /* a wait-for cycle, or every live actor blocked */
        OUTCOME_CRASH = 4,       /* an actor crashed or raised an error */
        OUTCOME_TIMEOUT = 5,     /* the time limit passed */
        OUTCOME_LIMIT = 6,       /* a cap was reached: steps, output, trace or schedule size */
        OUTCOME_INTERRUPTED = 7, /* the front end was told to stop (a signal, a closed pipe) */
} event_outcome;

#define EVENT_RUNNER   (-1)
#define EVENT_MAX_TEXT 65536 /* longer texts are cut, ending in EVENT_CUT_MARK */
#define EVENT_CUT_MARK "... (cut)"

/* event.flags */
#define EVENT_BEGINS_STEP 1u /* the first event of a step: the actor is now at statement stmt */
/* A waiting announcement whose wait is over at once (the last party at a barrier): the actor goes
 * on without stopping at its gate, so step mode must not take it for "back at its gate". */
#define EVENT_GOES_ON 2u
/* A crash that takes the runner down (a thread of the runner's own process): step mode grants
 * nothing more, so that the run ends the same way whenever the process dies. */
#define EVENT_ENDS_RUNNER 4u
/* The text is an int's 8 bytes (host order, len 8), not yet written in decimal: what the stream
 * gives a consumer that asked for it (stream_keep_ints) for a counter's value or a queue's int
 * item. model_apply takes it so (an int stored as an int, written out only when shown); anything
 * else wants the decimal: model_event_decimal writes it. No trace or history holds one. */
#define EVENT_INT 0x80u

typedef struct event {
        uint64_t seq;     /* 1, 2, 3, ... in the order of the run */
        uint64_t t_ns;    /* since the run started */
        uint8_t kind;     /* event_kind */
        uint8_t flags;    /* EVENT_BEGINS_STEP, ... */
        int16_t actor;    /* actor number, or EVENT_RUNNER */
        int16_t res;      /* resource index, or -1 */
        int16_t other;    /* another actor involved, or -1 */
        int32_t stmt;     /* statement id, or -1 */
        int32_t aux;      /* small number, by kind */
        int64_t num;      /* number, by kind */
        uint32_t len;     /* bytes of text */
        const char *text; /* NUL-terminated; "" when len is 0 */
} event;

/* Whether EV begins a step of its actor: it carries the flag, or it is a STEP (above). */
static inline int event_begins_step(const event *ev)
{
        return ev->kind == EV_STEP || (ev->flags & EVENT_BEGINS_STEP) != 0;
}

/* The trace word for a kind ("acquired"); NULL for an unknown kind. */
const char *event_kind_word(event_kind k);
/* The kind for a trace word; -1 when there is none. */
int event_kind_of(const char *word);
const char *event_outcome_word(event_outcome o); /* "done", "assert", "deadlock", ... */

#endif
