/*
 * session.c — one run of a scenario, seen from the front end; see session.h.
 */
#include "session/session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/gate.h"
#include "engine/stream.h"
#include "model/model.h"
#include "scenario/expr.h"
#include "trace/trace.h"
#include "util/coverage.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct session {
        const scenario *sc;
        session_options opt;
        stream *st;
        pid_t runner;
        bool runner_gone;
        int runner_status;
        history *hist;
        trace_writer *trace;
        strbuf text;
        strbuf reason;
        event_outcome outcome;
        bool ended;
        struct timespec start;
        double last_event; /* seconds since start */
        int last_crash_actor;
        /* step mode */
        gates *gates;
        int nall;             /* actors + main */
        bool *at_gate;        /* waiting for a grant */
        bool *finished;       /* published EXIT */
        bool *transient;      /* live: blocked on something already free (one move with its end) */
        size_t *transient_at; /* where its blocked move is in moves */
        int inflight;         /* the actor granted last, until it is back at a gate */
        int last_granted;
        uint64_t rng;
        size_t next_entry; /* in opt.schedule */
        /* what moved, in order */
        int *moves;
        size_t nmoves, capmoves;
};

static double since(const struct timespec *t0)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *actor_name(const session *s, int id)
{
        return scenario_actor_name(s->sc, id);
}

session *session_start(const scenario *sc, const session_options *opt, char *err, size_t errlen)
{
        session *s = xcalloc(1, sizeof(*s));

        s->sc = sc;
        s->opt = *opt;
        s->outcome = OUTCOME_RUNNING;
        s->last_crash_actor = -1;
        s->hist = history_new(sc, HISTORY_SNAPSHOT_EVERY, HISTORY_MAX_BYTES);
        s->nall = sc->nactors + 1;
        s->at_gate = xcalloc((size_t)s->nall, sizeof(bool));
        s->finished = xcalloc((size_t)s->nall, sizeof(bool));
        s->transient = xcalloc((size_t)s->nall, sizeof(bool));
        s->transient_at = xcalloc((size_t)s->nall, sizeof(size_t));
        s->inflight = sc->nactors; /* main comes to its first gate before anything is granted */
        s->last_granted = -1;
        s->rng = opt->engine.seed ^ 0x5eed5c4edull;
        if (opt->step) {
                s->gates = gate_create(s->nall);
                if (s->gates == NULL)
                        xdie("cannot map shared memory for the step gates");
                s->opt.engine.gates = s->gates;
        } else {
                s->opt.engine.gates = NULL;
        }
        if (opt->trace_path != NULL) {
                trace_info info = { .seed = opt->engine.seed,
                                    .mode = "live",
                                    .set = opt->set,
                                    .nset = opt->nset,
                                    .cpu_count = opt->engine.cpu_count };

                s->trace = trace_writer_open(opt->trace_path, sc, opt->source, opt->source_len,
                                             &info, err, errlen);
                if (s->trace == NULL) {
                        history_free(s->hist);
                        free(s);
                        return NULL;
                }
        }
        s->st = stream_create(STREAM_DEFAULT_SLOTS);
        if (s->st == NULL)
                xdie("cannot map shared memory for the event stream");
        clock_gettime(CLOCK_MONOTONIC, &s->start);
        fflush(NULL); /* the child must not write our buffered output again */
        s->runner = fork();
        if (s->runner < 0) {
                snprintf(err, errlen, "cannot start the runner process: %s", strerror(errno));
                stream_destroy(s->st);
                if (s->trace)
                        trace_writer_close(s->trace, NULL, 0);
                history_free(s->hist);
                free(s);
                return NULL;
        }
        if (s->runner == 0) {
                /* The runner: its own process group, so the session can end all of it at once. */
                int status;

                setpgid(0, 0);
                signal(SIGPIPE, SIG_DFL);
                signal(SIGINT, SIG_DFL);
                status = engine_run(sc, &s->opt.engine, s->st);
                stream_close(s->st);
                coverage_flush();
                _exit(status);
        }
        setpgid(s->runner, s->runner);
        return s;
}

static void end(session *s, event_outcome o)
{
        if (!s->ended) {
                s->ended = true;
                s->outcome = o;
        }
}

static void kill_runner(session *s)
{
        if (!s->runner_gone) {
                kill(-s->runner, SIGKILL);
                kill(s->runner, SIGKILL);
                waitpid(s->runner, &s->runner_status, 0);
                s->runner_gone = true;
        }
}

static void insert_move(session *s, size_t at, int a)
{
        s->moves = xgrow(s->moves, &s->capmoves, s->nmoves + 1, sizeof(int));
        memmove(&s->moves[at + 1], &s->moves[at], sizeof(int) * (s->nmoves - at));
        s->moves[at] = a;
        s->nmoves++;
        for (int k = 0; k < s->nall; k++)
                if (s->transient[k] && s->transient_at[k] >= at)
                        s->transient_at[k]++;
}

static void record_move(session *s, int a)
{
        insert_move(s, s->nmoves, a);
}

static bool waiting_state(model_state st)
{
        return st == MODEL_BLOCKED || st == MODEL_WAITING;
}

/*
 * Live mode: the moves, as step mode would grant them. A step is one move; a waiting actor
 * going on is another — unless the wait was only the transient of a failed try (the engine
 * publishes BLOCKED after its try failed, and the holder may have let go in between): an actor
 * announced waiting on something available, which stayed available until it went on, took the
 * whole step in one move, as it does in step mode.
 */
static void record_live(session *s, const event *ev, model_state before, model_state after)
{
        const model *m = history_live(s->hist);
        int a = ev->actor;

        bool step = (ev->flags & EVENT_BEGINS_STEP) || ev->kind == EV_STEP;
        bool resumed =
            !step && waiting_state(before) && !waiting_state(after) && ev->kind != EV_EXIT;

        if (step || (resumed && !s->transient[a])) {
                /* A move that took what a transient waiter was trying for came before that try
                 * (the try failed because of it; an acquire is published after the real one,
                 * so its event can come after the waiter's BLOCKED). */
                size_t at = s->nmoves;

                for (int k = 0; k < s->nall; k++)
                        if (k != a && s->transient[k] && !model_can_proceed(m, k) &&
                            s->transient_at[k] < at)
                                at = s->transient_at[k];
                insert_move(s, at, a);
                if (step) {
                        s->transient[a] = waiting_state(after) && model_can_proceed(m, a);
                        s->transient_at[a] = at;
                }
        }
        if (resumed)
                s->transient[a] = false;
        /* Someone took it first after all: the wait is real, and so is its end. */
        for (int k = 0; k < s->nall; k++)
                if (s->transient[k] && !model_can_proceed(m, k))
                        s->transient[k] = false;
}

static void take(session *s, const event *ev)
{
        const model *m = history_live(s->hist);
        bool actor = ev->actor >= 0 && ev->actor < s->nall;
        /* Recording a live run's moves costs model look-ups on every event: only when asked. */
        bool record = s->gates == NULL && s->opt.record && actor;
        model_state before = record ? model_actor_at(m, ev->actor)->state : MODEL_NEW;

        history_append(s->hist, ev);
        if (actor) {
                model_state after = model_actor_at(history_live(s->hist), ev->actor)->state;

                /* Live mode: what moved is read from the events (step mode records its grants). */
                if (record)
                        record_live(s, ev, before, after);
                /* Step mode: an actor is back at its gate when it says where it waits. */
                if ((ev->kind == EV_READY || ev->kind == EV_BLOCKED || ev->kind == EV_WAITING) &&
                    (after == MODEL_READY || waiting_state(after)))
                        s->at_gate[ev->actor] = true;
                if (ev->kind == EV_EXIT) {
                        s->finished[ev->actor] = true;
                        s->at_gate[ev->actor] = false;
                }
        }
        if (s->trace != NULL)
                trace_write(s->trace, ev);
        if (s->opt.on_event != NULL)
                s->opt.on_event(ev, s->opt.ctx);
        if (ev->kind == EV_CRASH)
                s->last_crash_actor = ev->actor;
        if (ev->kind == EV_CRASH || ev->kind == EV_ERROR) {
                strbuf_reset(&s->reason);
                strbuf_printf(&s->reason, "%s: %s", actor_name(s, ev->actor), ev->text);
        } else if (ev->kind == EV_ASSERT && s->reason.len == 0) {
                strbuf_printf(&s->reason, "%s: %s", actor_name(s, ev->actor), ev->text);
        }
        if (ev->kind == EV_END)
                end(s, (event_outcome)ev->aux);
}

/* The runner died on its own: a crash (a signal, or exit() from a crash statement). */
static void runner_died(session *s)
{
        int st = s->runner_status;

        if (s->ended)
                return;
        if (WIFSIGNALED(st)) {
                strbuf_reset(&s->reason);
                if (s->last_crash_actor >= 0)
                        strbuf_printf(&s->reason,
                                      "%s crashed the runner with %s: every thread of "
                                      "its process died with it",
                                      actor_name(s, s->last_crash_actor), strsignal(WTERMSIG(st)));
                else
                        strbuf_printf(&s->reason, "the runner died of %s", strsignal(WTERMSIG(st)));
        } else {
                strbuf_reset(&s->reason);
                if (s->last_crash_actor >= 0)
                        strbuf_printf(&s->reason,
                                      "%s ended the runner with exit(%d): every "
                                      "thread of its process ended with it",
                                      actor_name(s, s->last_crash_actor), WEXITSTATUS(st));
                else
                        strbuf_printf(&s->reason,
                                      "the runner exited with status %d before the "
                                      "end of the run",
                                      WEXITSTATUS(st));
        }
        end(s, OUTCOME_CRASH);
}

/* Step mode: whether actor A, at its gate, can be granted a step. With FIFO, waiters on one
 * resource go in the order they came (lockstep's own choices); a replayed schedule may hand a
 * resource to any waiter that can have it, as the OS did in the live run it was read from. */
static bool can_move(session *s, int a, bool fifo)
{
        const model *m = history_live(s->hist);
        const model_actor *ma = model_actor_at(m, a);

        if (!s->at_gate[a])
                return false;
        if (ma->state == MODEL_READY)
                return true;
        /* A wait with a timeout can always move: granting it is the timeout firing. */
        if (waiting_state(ma->state) && ma->timed)
                return true;
        if (!waiting_state(ma->state) || !model_can_proceed(m, a))
                return false;
        /* Waiters go on in the order they began to wait (FIFO): on a lock, a semaphore or a
         * queue, only the longest waiter whose turn it is can move. */
        if (fifo && ma->state == MODEL_BLOCKED && ma->res >= 0) {
                const model_res *r = model_res_at(m, ma->res);
                const model_ids *q =
                    ma->op == MODEL_OP_PUT || ma->op == MODEL_OP_SEND ? &r->putters : &r->blocked;

                for (size_t k = 0; k < q->n; k++) {
                        const model_actor *w = model_actor_at(m, q->v[k]);

                        if (q->v[k] == a)
                                return true;
                        /* an earlier waiter that is itself at its gate and able to go first */
                        if (s->at_gate[q->v[k]] && w->state == MODEL_BLOCKED && !w->timed &&
                            w->op == ma->op)
                                return false;
                }
        }
        return true;
}

static void grant(session *s, int a)
{
        s->at_gate[a] = false;
        s->inflight = a;
        s->last_granted = a;
        if (s->opt.record)
                record_move(s, a);
        gate_grant(s->gates, a);
}

static const char *state_word_of(session *s, int a)
{
        return model_state_word(model_actor_at(history_live(s->hist), a)->state);
}

/* Step mode, once everything is quiet: grant the next step, or say how the run ended. */
static bool schedule(session *s)
{
        int movable[SC_MAX_ACTORS + 1], n = 0, pick;
        bool anyone_waits = false, anyone_free = false;

        /* The last actor granted is still on its step (or has not come to its first gate). */
        if (s->inflight >= 0 && !s->at_gate[s->inflight] && !s->finished[s->inflight])
                return true;
        s->inflight = -1;
        for (int a = 0; a < s->nall; a++) {
                if (can_move(s, a, true))
                        movable[n++] = a;
                anyone_free |= can_move(s, a, false);
                anyone_waits |= s->at_gate[a];
        }
        if (n == 0 && anyone_free) /* no waiter whose turn it is: any that can go may */
                for (int a = 0; a < s->nall; a++)
                        if (can_move(s, a, false))
                                movable[n++] = a;
        if (n == 0) {
                strbuf why = STRBUF_INIT;

                if (!anyone_waits)
                        return true; /* every actor finished: END is on its way */
                strbuf_reset(&s->reason);
                if (model_deadlock(history_live(s->hist), &why) != 0)
                        strbuf_puts(&s->reason, strbuf_str(&why));
                else
                        strbuf_puts(&s->reason, "no actor can move: every actor is blocked");
                strbuf_free(&why);
                kill_runner(s);
                end(s, OUTCOME_DEADLOCK);
                return false;
        }
        if (s->next_entry < s->opt.nschedule) {
                int want = s->opt.schedule[s->next_entry++];

                if (want >= 0 && want < s->nall && can_move(s, want, false)) {
                        grant(s, want);
                        return true;
                }
                strbuf_reset(&s->reason);
                strbuf_printf(&s->reason, "schedule entry %zu names %s, which cannot move now (%s)",
                              s->next_entry, actor_name(s, want),
                              want >= 0 && want < s->nall ? state_word_of(s, want) : "unknown");
                kill_runner(s);
                end(s, OUTCOME_SCHEDULE);
                return false;
        }
        if (s->opt.policy == SESSION_ROUND_ROBIN) {
                pick = movable[0];
                for (int k = 0; k < n; k++)
                        if (movable[k] > s->last_granted) {
                                pick = movable[k];
                                break;
                        }
        } else {
                pick = movable[expr_random_next(&s->rng) % (uint64_t)n];
        }
        grant(s, pick);
        return true;
}

bool session_pump(session *s, int timeout_ms)
{
        event ev;
        int got = 0, rc;

        if (s->ended)
                return false;
        /* Take everything that is there, then wait at most TIMEOUT_MS for more. */
        while ((rc = stream_next(s->st, &ev, &s->text, got ? 0 : timeout_ms)) == 1) {
                take(s, &ev);
                got++;
                if (s->ended)
                        break;
        }
        if (got > 0)
                s->last_event = since(&s->start);
        if (s->ended) {
                /* END came: the runner is exiting; collect it. */
                if (!s->runner_gone) {
                        waitpid(s->runner, &s->runner_status, 0);
                        s->runner_gone = true;
                }
                return false;
        }
        if (!s->runner_gone && waitpid(s->runner, &s->runner_status, WNOHANG) == s->runner) {
                s->runner_gone = true;
                /* Drain what it published before it died; closing first lets the stream skip an
                 * event the runner was killed in the middle of publishing. */
                stream_close(s->st);
                while (stream_next(s->st, &ev, &s->text, 0) == 1 && !s->ended)
                        take(s, &ev);
                runner_died(s);
                return false;
        }
        if (rc == -1 && !s->runner_gone) {
                waitpid(s->runner, &s->runner_status, 0);
                s->runner_gone = true;
                runner_died(s);
                return false;
        }
        if (s->opt.time_limit > 0 && since(&s->start) > s->opt.time_limit) {
                strbuf_reset(&s->reason);
                strbuf_printf(&s->reason, "the time limit of %g s passed", s->opt.time_limit);
                kill_runner(s);
                end(s, OUTCOME_TIMEOUT);
                return false;
        }
        if (s->gates != NULL)
                return schedule(s);
        /* A deadlock must hold with nothing new happening for a moment. */
        if (got == 0 && since(&s->start) - s->last_event >= SESSION_QUIET_MS / 1000.0) {
                strbuf why = STRBUF_INIT;

                if (model_deadlock(history_live(s->hist), &why) != 0) {
                        strbuf_reset(&s->reason);
                        strbuf_puts(&s->reason, strbuf_str(&why));
                        strbuf_free(&why);
                        kill_runner(s);
                        end(s, OUTCOME_DEADLOCK);
                        return false;
                }
                strbuf_free(&why);
        }
        return true;
}

event_outcome session_outcome(const session *s)
{
        return s->outcome;
}

const char *session_reason(const session *s)
{
        return strbuf_str(&s->reason);
}

history *session_history(session *s)
{
        return s->hist;
}

const int *session_schedule(const session *s, size_t *n)
{
        *n = s->nmoves;
        return s->moves;
}

double session_seconds(const session *s)
{
        return since(&s->start);
}

int session_close(session *s, char *err, size_t errlen)
{
        int rc = 0;

        kill_runner(s);
        if (s->trace != NULL && trace_writer_close(s->trace, err, errlen) < 0)
                rc = -1;
        stream_destroy(s->st);
        gate_destroy(s->gates);
        history_free(s->hist);
        free(s->at_gate);
        free(s->finished);
        free(s->transient);
        free(s->transient_at);
        free(s->moves);
        strbuf_free(&s->text);
        strbuf_free(&s->reason);
        free(s);
        return rc;
}
