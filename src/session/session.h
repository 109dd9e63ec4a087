/*
 * session.h — one run of a scenario, for every front end (`lockstep run` now; the TUI, replay
 * and explore next).
 *
 * A front end fills a session_config from its arguments and calls session_open, which does the
 * whole preparation once: reads the scenario file (refusing a FIFO, a directory, a trace that
 * would overwrite it), reads a schedule (whose seed and --set values apply unless the command
 * line gives its own), loads the scenario with the --set values, opens the trace, creates the
 * event stream, forks the runner process (which calls engine_run) and returns.
 *
 * Then the front end pumps: session_pump never blocks; it takes in a bounded batch of what the
 * runner published (into the history and so the model, the trace and the on_event hook) and
 * checks every limit. Between pumps the front end sleeps in poll() on session_fd, beside its
 * terminal and its signals: the descriptor becomes readable when events wait, when the runner
 * exits and when a deadline of the session (the time limit, the deadlock check, the next paced
 * grant) comes, so a front end uses no CPU while nothing happens.
 *
 * The session decides how the run ends (session_outcome): the runner's end, a deadlock the model
 * finds (the runner is then killed), the runner dying of a signal (a crash), the time limit, a
 * cap (steps, output, trace, schedule), a schedule that cannot be followed, or the front end
 * interrupting it. Every trace ends with an `end` line that says which and why.
 *
 * The runner never outlives the front end: it dies with it whatever kills it (SIGKILL included:
 * PR_SET_PDEATHSIG, checked against the front end being gone already), and it holds none of the
 * front end's standard streams open.
 */
#ifndef LOCKSTEP_SESSION_SESSION_H
#define LOCKSTEP_SESSION_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "model/history.h"
#include "scenario/scenario.h"
#include "util/strbuf.h"

#define SESSION_DEFAULT_TIME_LIMIT 60.0        /* seconds, live mode */
#define SESSION_DEFAULT_MAX_STEPS  1000000u    /* steps, step mode */
#define SESSION_MAX_OUTPUT         (64u << 20) /* default: bytes the actors may print in a run */
#define SESSION_QUIET_MS           100 /* live: a deadlock must hold this long with no new event */
#define SESSION_RECHECK_MS                                                                         \
        10                 /* ... and it looks again this soon when an actor had not               \
                            * published all it wrote (stream_settled) */
#define SESSION_BATCH 4096 /* events one session_pump takes in at most */
/* live, at full speed, once the session has read everything visible: it looks for new events
 * on its own this often (1 ms after events, doubling to 16 ms while none come), and the runner
 * wakes it only for half a ring unread, its last word, a full or dead ring (stream_arm's lazy
 * mode) */
#define SESSION_TICK_MIN_MS 1
#define SESSION_TICK_MAX_MS 16

/* Who moves next in step mode. */
typedef enum session_policy {
        SESSION_RANDOM,      /* any actor that can move, chosen by the seeded generator */
        SESSION_ROUND_ROBIN, /* the next actor, by number, after the last one that moved */
        SESSION_MANUAL,      /* only session_grant: a person at the keys */
} session_policy;

/* What a front end learns from the command line; every front end shares it. */
typedef struct session_config {
        const char *path;       /* the scenario file */
        const char *const *set; /* --set NAME=VALUE, in order (after a schedule's own) */
        int nset;
        bool seed_given; /* --seed (else the schedule's seed, else ENGINE_DEFAULT_SEED) */
        uint64_t seed;
        bool step; /* lockstep is the scheduler */
        session_policy policy;
        bool fifo;                /* waiters get a freed lock or permit in order (--handoff) */
        double speed;             /* steps per second (per actor live, in all stepped); 0: any */
        bool time_limit_given;    /* --time-limit */
        double time_limit;        /* seconds of running (paused time does not count); 0: none */
        uint64_t max_steps;       /* 0: the default; step mode only */
        size_t max_moves;         /* the most moves recorded; 0 (or more): SCHEDULE_MAX_MOVES */
        uint64_t max_output;      /* bytes the actors may print; 0: SESSION_MAX_OUTPUT */
        uint64_t max_trace;       /* bytes of the trace file; 0: TRACE_MAX_BYTES */
        const char *trace_path;   /* or NULL */
        const char *schedule_in;  /* replay these moves first (step mode) */
        const char *schedule_out; /* session_close writes the moves here (--save-schedule) */
        /* Keep the order of moves (session_schedule). With schedule_out the run ends where a
         * schedule can hold no more (max_moves); without, only the recording does, and
         * the run goes on (session_schedule_cut): a person at the keys branches and saves. */
        bool record;
        bool paused; /* start paused (live) or with nothing granted */
        /* Keep only the state after every event, not the recorded run (nothing to rewind:
         * lockstep run): session_history is NULL, and memory stays small. */
        bool live_only;
        /* Nobody will steer the run (lockstep run): no grant by hand, no change of the policy,
         * the speed or the pause. A stepped run of threads may then be scheduled inside the
         * runner (session.c, "runner_steps"): the same run, without a round trip a step. */
        bool unattended;
        const int *schedule; /* moves to replay, already resolved (restart); or NULL */
        size_t nschedule;
        /* Called for every event, in order (e.g. to print what actors print)... */
        void (*on_event)(const event *ev, void *ctx);
        /* ...of these kinds, one bit a kind (1ull << EV_PRINT); 0: of every kind, known or not.
         * A hook that wants a few kinds spares the call for the others (lockstep run). */
        uint64_t on_event_kinds;
        void *ctx;
} session_config;

typedef struct session session;

/*
 * Prepares and starts a run. NULL with the message(s) in ERR (FILE:LINE:COL diagnostics, each
 * line ending in a newline) when the file, the schedule, the scenario or a flag is bad, or the
 * run cannot start; the front end then exits 2.
 */
session *session_open(const session_config *cfg, strbuf *err);
/* Which moves a restart makes again before a person goes on. */
typedef enum session_restart_moves {
        SESSION_RESTART_CLEAN, /* none: the first step is the person's */
        SESSION_RESTART_GIVEN, /* those S replayed (its schedule, or a branch's moves) */
        SESSION_RESTART_ALL,   /* every move of S so far, then paused (step mode) */
} session_restart_moves;

/* The same scenario again, with the seed and --set values of S, making the moves HOW says. S is
 * closed first; its trace, if any, is written anew. NULL with a message in ERR. */
session *session_restart(session *s, session_restart_moves how, strbuf *err);

/* A branch from an earlier moment of a stepped run: the same scenario again, with the seed and
 * --set values of S (a schedule's too), making the first K moves S made (all of them when it
 * made fewer), then waiting for session_grant. S is closed first. NULL with a message in ERR. */
session *session_branch(session *s, size_t k, strbuf *err);

const scenario *session_scenario(const session *s);
const session_config *session_config_of(const session *s);
/* The seed actually used (from --seed, the schedule, or the default). */
uint64_t session_seed(const session *s);
/* The --set values the run was made with, in order: a schedule's, then the command line's. */
const char *const *session_sets(const session *s, int *n);

/* Readable when session_pump has something to do. Valid until session_close. */
int session_fd(const session *s);
/* Takes in what the runner published (at most SESSION_BATCH events) and checks the limits;
 * never waits. True while the run goes on. */
bool session_pump(session *s);
/* From inside the on_event hook: this pump takes in no more events; the rest stay in the stream
 * for the next pump, and the runner's actors wait when their rings fill. For a front end whose
 * output is backed up (`lockstep run` into a pipe nobody reads). */
void session_hold(session *s);
/* The run's --trace, when its reader is slower than the run (a FIFO): the descriptor to poll for
 * POLLOUT while lines wait for it, or -1; session_trace_push writes what it takes now. A run
 * that ended may wait for those (a signal is the front end's to watch), or cut them short
 * (session_trace_cut: session_close then says the trace ends short). During the run the session
 * itself takes in no events while too much waits, and its descriptor wakes when the trace takes
 * more. */
int session_trace_fd(const session *s);
void session_trace_push(session *s);
void session_trace_cut(session *s);
/* Step mode going by itself: true (once) when the last pump granted a step that is done by now,
 * so the next pump has its events and can grant again. A front end that calls it must then pump
 * again at once (it may poll other descriptors first, without waiting): once it has called it,
 * the session no longer makes its descriptor readable for such a step, which spares a write
 * and two reads a step. False otherwise. */
bool session_more(session *s);

/* ---- controls: a person at the keys ---- */

/* Why an actor can or cannot be granted a step now (step mode). */
typedef enum session_why {
        SESSION_CAN_MOVE,    /* at its gate, and what it waits for is there */
        SESSION_RUNNING,     /* on its step: not back at its gate yet */
        SESSION_BLOCKED,     /* waits for something no one has given yet */
        SESSION_NOT_STARTED, /* not started yet */
        SESSION_FINISHED,    /* done, crashed or ended by an error */
        SESSION_NOT_STEPPED, /* a live run: the operating system decides */
} session_why;

/* For each actor (main last, sc->nactors + 1 entries), whether it can move now; returns how many
 * can. OUT may be NULL. */
int session_movable(session *s, session_why *out);
/* Why actor A can or cannot move, in words, into OUT: "Thread-1 waits for lock lock_b (held by
 * Thread-2)", "Consumer has finished", "Thread-0 is still on its step". */
void session_why_text(session *s, int a, strbuf *out);
/* Stepped by hand, a step granted and not back yet, or moves of a schedule still being made: what
 * a person's next key means depends on how they end, so a front end holds its keys meanwhile. */
bool session_settling(const session *s);
/* Grants actor A exactly one step (step mode). 0, or -1 with the reason in WHY when it cannot. */
int session_grant(session *s, int a, strbuf *why);
/* Step mode: who moves next when the front end does not choose (MANUAL: nobody). */
void session_set_policy(session *s, session_policy p);
session_policy session_policy_of(const session *s);
/* Live mode: every actor stops at its next step boundary (PAUSED) or goes on. Step mode: no
 * automatic grants while paused. */
void session_pause(session *s, bool paused);
bool session_paused(const session *s);
/* Steps per second (live: per actor; step mode: grants by the policy); 0: as fast as it goes. */
void session_set_speed(session *s, double speed);
double session_speed(const session *s);
/* Ends the run now: outcome INTERRUPTED, with REASON ("interrupted by SIGINT"). */
void session_interrupt(session *s, int signo, const char *reason);
/* Ends the run now as a cap does (OUTCOME_LIMIT, exit 6), because the front end cannot go on:
 * REASON ("standard output could not be written: No space left on device"). */
void session_stop(session *s, const char *reason);

/* ---- how it went ---- */

event_outcome session_outcome(const session *s);
/* Why the run ended as it did (the deadlock cycle, the crash), or "". */
const char *session_reason(const session *s);
/* lockstep run's exit status: 1 when an assert failed, whatever ended the run after; else the
 * outcome (0 done, 2 schedule, 3 deadlock, 4 crash or error, 5 time limit, 6 a cap); 128 + the
 * signal when interrupted. */
int session_exit_status(const session *s);
/* The signal that interrupted the run, or 0. */
int session_signal(const session *s);
history *session_history(session *s);
/* The state after every event so far. */
const model *session_model(const session *s);
/* With cfg.record, the order in which actors moved, as a schedule (actor numbers): every step, and
 * every time a waiting actor went on. In step mode these are the grants; in live mode they are read
 * from the events, so that replaying them in step mode runs the same way. */
const int *session_schedule(const session *s, size_t *n);
/* True when the run made more moves than a schedule holds (cfg.max_moves), and the recording
 * (cfg.record without schedule_out) kept only the first ones. */
bool session_schedule_cut(const session *s);
/* Seconds the run has been running (paused time excluded); once it ended, how long it ran. */
double session_seconds(const session *s);
uint64_t session_steps(const session *s);
uint64_t session_events(const session *s);
/* Writes the moves so far (at most the first UPTO: SIZE_MAX for all) to PATH as a self-contained
 * schedule (seed and --set values). 0, or -1 with a message in ERR. */
int session_save_schedule(session *s, const char *path, size_t upto, strbuf *err);
/* Ends the run if it still goes on (the runner is killed), writes the trace's end line and frees
 * everything. Returns 0; -1 with a message in ERR when the trace or the schedule could not be
 * written (a full disk, a FIFO nobody reads); -2 when the model ignored events of the engine (a
 * bug), whatever else. */
int session_close(session *s, strbuf *err);

#endif
