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

#include "engine/stream.h"
#include "model/model.h"
#include "trace/trace.h"
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
};

static double since(const struct timespec *t0)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *actor_name(const session *s, int id)
{
        if (id >= 0 && id < s->sc->nactors)
                return s->sc->actors[id].name;
        return id == s->sc->nactors ? "MainThread" : "the runner";
}

session *session_start(const scenario *sc, const session_options *opt, char *err, size_t errlen)
{
        session *s = xcalloc(1, sizeof(*s));

        s->sc = sc;
        s->opt = *opt;
        s->outcome = OUTCOME_RUNNING;
        s->last_crash_actor = -1;
        s->hist = history_new(sc, HISTORY_SNAPSHOT_EVERY, HISTORY_MAX_BYTES);
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
                status = engine_run(sc, &opt->engine, s->st);
                stream_close(s->st);
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

static void take(session *s, const event *ev)
{
        history_append(s->hist, ev);
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
        if (s->opt.time_limit > 0 && since(&s->start) > s->opt.time_limit) {
                strbuf_reset(&s->reason);
                strbuf_printf(&s->reason, "the time limit of %g s passed", s->opt.time_limit);
                kill_runner(s);
                end(s, OUTCOME_TIMEOUT);
                return false;
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
        history_free(s->hist);
        strbuf_free(&s->text);
        strbuf_free(&s->reason);
        free(s);
        return rc;
}
