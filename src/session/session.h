/*
 * session.h — one run of a scenario, seen from the front end.
 *
 * A session creates the event stream, forks the runner process (which calls engine_run), and
 * then pumps: every event the runner publishes goes into the history (and so the model), to an
 * optional trace file and to an optional callback (`lockstep run` prints there). The session
 * decides how the run ends: the runner's END event, a deadlock the model finds (the runner is
 * then killed), the runner dying of a signal (a crash), or the time limit. The front end stays
 * alive whatever the runner does.
 */
#ifndef LOCKSTEP_SESSION_SESSION_H
#define LOCKSTEP_SESSION_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "event/event.h"
#include "model/history.h"
#include "scenario/scenario.h"

#define SESSION_DEFAULT_TIME_LIMIT 60.0 /* seconds */
#define SESSION_QUIET_MS           100  /* a deadlock must hold this long with no new event */

/* Who moves next in step mode. */
typedef enum session_policy {
        SESSION_RANDOM,      /* any actor that can move, chosen by the seeded generator */
        SESSION_ROUND_ROBIN, /* the next actor, by number, after the last one that moved */
} session_policy;

typedef struct session_options {
        engine_options engine; /* engine.gates is set by the session in step mode */
        bool step;             /* lockstep is the scheduler: one step at a time */
        session_policy policy;
        bool record;         /* keep the order of moves, for session_schedule */
        const int *schedule; /* step mode: actor numbers to grant first, in order */
        size_t nschedule;
        double time_limit;      /* seconds; 0: none */
        const char *trace_path; /* or NULL */
        const char *source;     /* the scenario's file text, for the trace header */
        size_t source_len;
        const char *const *set; /* --set overrides, for the trace header */
        int nset;
        /* Called for every event, in order (e.g. to print what actors print). */
        void (*on_event)(const event *ev, void *ctx);
        void *ctx;
} session_options;

typedef struct session session;

/* Starts the run. NULL with a message in ERR when it cannot (trace file, fork, memory). */
session *session_start(const scenario *sc, const session_options *opt, char *err, size_t errlen);
/* Takes in what the runner published, waiting at most TIMEOUT_MS for something. Returns true
 * while the run goes on, false once it has ended (then session_outcome says how). */
bool session_pump(session *s, int timeout_ms);
event_outcome session_outcome(const session *s);
/* Why the run ended as it did (the deadlock cycle, the crash), or "". */
const char *session_reason(const session *s);
history *session_history(session *s);
/* With opt.record, the order in which actors moved, as a schedule (actor numbers): every step, and
 * every time a waiting actor went on. In step mode these are the grants; in live mode they are read
 * from the events, so that replaying them in step mode runs the same way. */
const int *session_schedule(const session *s, size_t *n);
double session_seconds(const session *s);
/* Ends the run if it still goes on (the runner is killed) and frees everything. Returns 0, or
 * -1 with a message in ERR when the trace could not be written completely. */
int session_close(session *s, char *err, size_t errlen);

#endif
