/*
 * harness.c — run a scenario and get its exact events back; see harness.h.
 *
 * The step-mode scheduler here follows the same rules as the session's (an actor is at its gate
 * once it says where it is: READY, or BLOCKED / WAITING in a state the model agrees with; it
 * has left for good after EXIT), but chooses by one fixed rule instead of a seeded policy, so
 * that a test can write the expected events down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#include "engine/engine.h"
#include "engine/gate.h"
#include "engine/stream.h"
#include "util/coverage.h"
#include "util/xalloc.h"

#define POLL_MS  10    /* forked runs: how often to look at the child while nothing comes */
#define GUARD_MS 20000 /* nothing for this long: the run hangs (a bug, never a normal end) */

typedef struct run {
        harness_result *r;
        const harness_opts *opt;
        stream *st;
        gates *gates;
        gate_pacer *pacer; /* live mode with a step delay */
        pid_t child;
        bool child_gone;
        bool ended;
        bool runner_dying; /* an event said its crash takes the runner down (EVENT_ENDS_RUNNER) */
        int nall;
        bool at_gate[SC_MAX_ACTORS + 1];
        bool finished[SC_MAX_ACTORS + 1];
        int inflight; /* granted last, until it is back at a gate or finished; -1 none */
        int last;     /* granted last */
        int *sched;   /* the schedule's actor numbers */
        size_t nsched, next;
} run;

static scenario *load(const harness_opts *opt, const char *json)
{
        scenario_options so = { .set = opt->set, .nset = opt->nset, .cpu_count = 4 };

        return fixture_load_with(json, &so);
}

static int actor_named(const scenario *sc, const char *name, size_t len)
{
        for (int a = 0; a <= sc->nactors; a++) {
                const char *n = scenario_actor_name(sc, a);

                if (strlen(n) == len && memcmp(n, name, len) == 0)
                        return a;
        }
        fail_msg("the schedule names '%.*s', which is no actor", (int)len, name);
        return -1;
}

/* "A, B*3, C" into actor numbers. */
static void parse_schedule(run *rn, const char *text)
{
        size_t cap = 0;

        while (text != NULL && *text != '\0') {
                size_t len = strcspn(text, ",*");
                const char *name = text;
                long times = 1;

                while (*name == ' ')
                        name++, len--;
                while (len > 0 && name[len - 1] == ' ')
                        len--;
                text += strcspn(text, ",*");
                if (*text == '*') {
                        char *end;

                        times = strtol(text + 1, &end, 10);
                        text = end;
                        while (*text == ' ')
                                text++;
                }
                if (*text == ',')
                        text++;
                for (long k = 0; k < times; k++) {
                        rn->sched = xgrow(rn->sched, &cap, rn->nsched + 1, sizeof(int));
                        rn->sched[rn->nsched++] = actor_named(rn->r->sc, name, len);
                }
        }
}

/* ---- the lines ---------------------------------------------------------------------------- */

/* A run-time error shows as the name of its exception only ("ZeroDivisionError"): where the
 * message says it, and in what words, is not the engine's behaviour under test here. */
static void exception_name(const char *text, strbuf *out)
{
        const char *p = text;

        while (*p != '\0') {
                size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

                if (n > 5 && strncmp(p + n - 5, "Error", 5) == 0) {
                        strbuf_printf(out, " %.*s", (int)n, p);
                        return;
                }
                p += n > 0 ? n : 1;
        }
        strbuf_printf(out, " %s", text);
}

static void format_event(run *rn, const event *ev, strbuf *out)
{
        const scenario *sc = rn->r->sc;
        const sc_stmt *s = ev->stmt >= 0 ? model_stmt(rn->r->m, ev->stmt) : NULL;
        const char *word = event_kind_word((event_kind)ev->kind);

        if ((rn->opt->show & HARNESS_SHOW_STEP) && (ev->flags & EVENT_BEGINS_STEP))
                strbuf_puts(out, "* ");
        strbuf_printf(out, "%s %s", scenario_actor_name(sc, ev->actor), word ? word : "?");
        if (ev->res >= 0 && ev->res < sc->nresources)
                strbuf_printf(out, " %s", sc->resources[ev->res].name);
        if (ev->other >= 0)
                strbuf_printf(out, " %s", scenario_actor_name(sc, ev->other));
        switch ((event_kind)ev->kind) {
        case EV_READY:
        case EV_STEP:
                if (s != NULL)
                        strbuf_printf(out, " %s", scenario_stmt_keyword(s->kind));
                break;
        case EV_WAITING:
                if (ev->num != 0)
                        strbuf_printf(out, " %lld", (long long)ev->num);
                /* fall through */
        case EV_BLOCKED:
                if (ev->aux)
                        strbuf_puts(out, " timed");
                break;
        case EV_ACQUIRED:
        case EV_RELEASED:
        case EV_NOTIFIED: strbuf_printf(out, " %lld", (long long)ev->num); break;
        case EV_PUT:
        case EV_GOT: strbuf_printf(out, " %s (%lld)", ev->text, (long long)ev->num); break;
        case EV_ERROR: exception_name(ev->text, out); break;
        case EV_CHANGED:
                strbuf_printf(out, " %s", ev->text);
                /* a process's own copy (not the shared one, -1) */
                if (ev->aux >= 0)
                        strbuf_printf(out, " [copy of %s]", scenario_actor_name(sc, ev->aux));
                break;
        case EV_REQUEST: strbuf_printf(out, " %s", ev->text); break;
        case EV_REPLY: strbuf_printf(out, " %s%s", ev->aux ? "raised " : "", ev->text); break;
        case EV_SENT:
        case EV_RECEIVED: strbuf_printf(out, " %s %s", ev->aux ? "b" : "a", ev->text); break;
        case EV_CLOSED: strbuf_printf(out, " %s", ev->aux ? "b" : "a"); break;
        case EV_TASK:
        case EV_RESULT:
                strbuf_printf(out, " #%lld worker %d %s", (long long)ev->num, ev->aux, ev->text);
                break;
        case EV_PRINT:
        case EV_SAY:
        case EV_ASSERT:
        case EV_CRASH: strbuf_printf(out, " %s", ev->text); break;
        case EV_SLEEP:
        case EV_WORK: strbuf_printf(out, " %gs", (double)ev->num / 1e9); break;
        case EV_EXIT:
                if (ev->aux)
                        strbuf_puts(out, " after an error");
                break;
        case EV_END: strbuf_printf(out, " %s", event_outcome_word((event_outcome)ev->aux)); break;
        default: break;
        }
        strbuf_putc(out, '\n');
}

static bool waiting_state(model_state s)
{
        return s == MODEL_BLOCKED || s == MODEL_WAITING;
}

static void take(run *rn, const event *ev)
{
        harness_result *r = rn->r;

        /* Format first: a READY's statement is read from the model, which does not change it. */
        if (ev->kind != EV_READY || (rn->opt->show & HARNESS_SHOW_READY))
                format_event(rn, ev, &r->lines);
        {
                uint64_t before = model_info_of(r->m)->ignored;

                /* The engine and the model always agree: an ignored event fails the run. */
                model_apply(r->m, ev);
                if (model_info_of(r->m)->ignored != before)
                        fail_msg("the model ignored event %llu of:\n%s",
                                 (unsigned long long)ev->seq, strbuf_str(&r->lines));
        }
        r->events++;
        if (ev->actor >= 0 && ev->actor < rn->nall) {
                model_state st = model_actor_at(r->m, ev->actor)->state;

                /* the last party at a barrier goes on: its arrival is no gate (EVENT_GOES_ON) */
                if ((ev->kind == EV_READY || ev->kind == EV_BLOCKED || ev->kind == EV_WAITING) &&
                    !(ev->flags & EVENT_GOES_ON) && (st == MODEL_READY || waiting_state(st)))
                        rn->at_gate[ev->actor] = true;
                /* a CRASH is a last word too: a process actor's crash leaves the run going */
                if (ev->kind == EV_EXIT || ev->kind == EV_CRASH) {
                        rn->finished[ev->actor] = true;
                        rn->at_gate[ev->actor] = false;
                }
        }
        if (ev->flags & EVENT_ENDS_RUNNER)
                rn->runner_dying = true;
        if (ev->kind == EV_END) {
                r->outcome = ev->aux;
                rn->ended = true;
        }
}

/* ---- the step-mode scheduler -------------------------------------------------------------- */

/* 2: A can go on for real; 1: only by its wait timing out; 0: not now. */
static int movable(run *rn, int a)
{
        const model_actor *ma = model_actor_at(rn->r->m, a);

        if (!rn->at_gate[a])
                return 0;
        if (ma->state == MODEL_READY)
                return 2;
        if (!waiting_state(ma->state))
                return 0;
        if (model_can_proceed(rn->r->m, a))
                return 2;
        return ma->timed ? 1 : 0;
}

static void grant(run *rn, int a)
{
        rn->at_gate[a] = false;
        rn->inflight = a;
        rn->last = a;
        rn->r->grants++;
        gate_grant(rn->gates, a);
}

static void kill_child(run *rn)
{
        int st;

        if (rn->child > 0 && !rn->child_gone) {
                kill(rn->child, SIGKILL);
                waitpid(rn->child, &st, 0);
                rn->child_gone = true;
                rn->r->status = -1;
        }
}

static void stuck(run *rn)
{
        harness_result *r = rn->r;

        r->outcome = OUTCOME_DEADLOCK;
        strbuf_reset(&r->why);
        if (model_deadlock(r->m, &r->why) == 0)
                strbuf_puts(&r->why, "no actor can move");
        if (rn->child <= 0)
                fail_msg("the run is stuck (%s) in process: give it .fork\n%s", strbuf_str(&r->why),
                         strbuf_str(&r->lines));
        kill_child(rn);
        rn->ended = true;
}

/* Everything quiet: grants the next step. False when there is nothing to grant. */
static bool schedule(run *rn)
{
        int pick = -1, timed = -1;
        bool anyone_waits = false;

        /* As the session: the runner's death ends the run whenever it comes, and a crash that
         * takes it down has made every other actor's state the model shows moot (a join of the
         * crashed thread looks as if it could go on). */
        if (rn->runner_dying)
                return false;
        if (rn->inflight >= 0 && !rn->at_gate[rn->inflight] && !rn->finished[rn->inflight])
                return false; /* still on its step */
        rn->inflight = -1;
        if (rn->next < rn->nsched) {
                int want = rn->sched[rn->next++];

                if (movable(rn, want) == 0)
                        fail_msg("schedule entry %zu names %s, which cannot move (%s); so far:\n%s",
                                 rn->next, scenario_actor_name(rn->r->sc, want),
                                 model_actor_word(model_actor_at(rn->r->m, want)),
                                 strbuf_str(&rn->r->lines));
                grant(rn, want);
                return true;
        }
        if (rn->last >= 0 && movable(rn, rn->last) == 2)
                pick = rn->last;
        for (int a = 0; a < rn->nall; a++) {
                int m = movable(rn, a);

                anyone_waits |= rn->at_gate[a];
                if (m == 2 && pick < 0)
                        pick = a;
                if (m == 1 && timed < 0)
                        timed = a;
        }
        if (pick < 0)
                pick = timed;
        if (pick >= 0) {
                grant(rn, pick);
                return true;
        }
        if (anyone_waits)
                stuck(rn);
        return false; /* every actor finished: END is on its way */
}

/* ---- running ------------------------------------------------------------------------------ */

typedef struct job {
        const scenario *sc;
        engine_options eo;
        stream *st;
        int status;
} job;

static void *engine_thread(void *arg)
{
        job *j = arg;

        j->status = engine_run(j->sc, &j->eo, j->st);
        return NULL;
}

/* Forked: whether the child has ended; then drains what it published. */
static bool child_ended(run *rn)
{
        int st;
        event ev;
        strbuf text = STRBUF_INIT;

        if (rn->child <= 0 || rn->child_gone || waitpid(rn->child, &st, WNOHANG) != rn->child)
                return false;
        rn->child_gone = true;
        stream_close(rn->st);
        while (!rn->ended && stream_next(rn->st, &ev, &text, 0) == 1)
                take(rn, &ev);
        strbuf_free(&text);
        if (WIFSIGNALED(st)) {
                rn->r->signal = WTERMSIG(st);
                rn->r->status = -1;
                strbuf_printf(&rn->r->lines, "runner killed by signal %d\n", rn->r->signal);
        } else {
                rn->r->status = WEXITSTATUS(st);
                if (!rn->ended)
                        strbuf_printf(&rn->r->lines, "runner exit %d\n", rn->r->status);
        }
        if (!rn->ended)
                rn->r->outcome = OUTCOME_CRASH;
        rn->ended = true;
        return true;
}

static void pump(run *rn)
{
        int quiet = rn->opt->quiet_ms > 0 ? rn->opt->quiet_ms : 200;
        int idle = 0;
        event ev;
        strbuf text = STRBUF_INIT;

        while (!rn->ended) {
                int rc = stream_next(rn->st, &ev, &text, rn->child > 0 ? POLL_MS : 0);

                if (rc == 1) {
                        take(rn, &ev);
                        idle = 0;
                        continue;
                }
                if (child_ended(rn))
                        break;
                if (rn->gates != NULL && schedule(rn))
                        continue;
                if (rn->ended)
                        break;
                if (rn->child <= 0) {
                        /* in process: wait for the step (or the run) to go on */
                        rc = stream_next(rn->st, &ev, &text, GUARD_MS);
                        if (rc != 1)
                                fail_msg("no event for %d s; so far:\n%s", GUARD_MS / 1000,
                                         strbuf_str(&rn->r->lines));
                        take(rn, &ev);
                        continue;
                }
                idle += POLL_MS;
                if (rn->gates == NULL && idle >= quiet && model_deadlock(rn->r->m, NULL) != 0) {
                        stuck(rn);
                        break;
                }
                if (idle >= GUARD_MS) {
                        kill_child(rn);
                        rn->r->outcome = OUTCOME_RUNNING;
                        break;
                }
        }
        strbuf_free(&text);
}

harness_result *harness_run(const char *json, const harness_opts *opt)
{
        harness_result *r = xcalloc(1, sizeof(*r));
        run rn = { .r = r, .opt = opt, .inflight = -1, .last = -1 };
        job j = { 0 };
        pthread_t th;

        r->sc = load(opt, json);
        r->m = model_new(r->sc);
        r->outcome = OUTCOME_RUNNING;
        rn.nall = r->sc->nactors + 1;
        parse_schedule(&rn, opt->schedule);
        rn.st = stream_create(engine_stream_rings(r->sc), engine_stream_keys(r->sc), 0);
        assert_non_null(rn.st);
        j.sc = r->sc;
        j.st = rn.st;
        j.eo =
            (engine_options){ .seed = opt->seed ? opt->seed : ENGINE_DEFAULT_SEED, .cpu_count = 4 };
        if (opt->mode == HARNESS_STEP) {
                rn.gates = gate_create(rn.nall);
                assert_non_null(rn.gates);
                j.eo.gates = rn.gates;
                rn.inflight = r->sc->nactors; /* main comes to its first gate on its own */
        } else if (opt->step_delay > 0) {
                rn.pacer = gate_pacer_create();
                assert_non_null(rn.pacer);
                gate_pacer_set(rn.pacer, false, (uint64_t)(opt->step_delay * 1e9));
                j.eo.pacer = rn.pacer;
        }
        if (opt->fork) {
                fflush(NULL);
                rn.child = fork();
                assert_true(rn.child >= 0);
                if (rn.child == 0) {
                        int status;

                        /* the test's signal handlers are not the runner's: a fault must kill */
                        signal(SIGSEGV, SIG_DFL);
                        signal(SIGBUS, SIG_DFL);
                        signal(SIGILL, SIG_DFL);
                        signal(SIGFPE, SIG_DFL);
                        signal(SIGABRT, SIG_DFL);
                        status = engine_run(r->sc, &j.eo, rn.st);

                        stream_close(rn.st);
                        coverage_flush();
                        _exit(status);
                }
                pump(&rn);
                if (!rn.child_gone) {
                        int st;

                        waitpid(rn.child, &st, 0);
                        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                        r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
                }
        } else {
                assert_int_equal(pthread_create(&th, NULL, engine_thread, &j), 0);
                pump(&rn);
                pthread_join(th, NULL);
                r->status = j.status;
        }
        /* The engine and the model always agree: the model took every event. */
        assert_int_equal(model_info_of(r->m)->ignored, 0);
        if (getenv("HARNESS_DUMP") != NULL) /* for writing a test: what did it do? */
                fprintf(stderr, "---- outcome %d\n%s", r->outcome, strbuf_str(&r->lines));
        stream_destroy(rn.st);
        gate_destroy(rn.gates);
        gate_pacer_destroy(rn.pacer);
        free(rn.sched);
        return r;
}

void harness_free(harness_result *r)
{
        if (r == NULL)
                return;
        model_free(r->m);
        scenario_free(r->sc);
        strbuf_free(&r->lines);
        strbuf_free(&r->why);
        free(r);
}

void harness_expect(const harness_result *r, const char *want)
{
        const char *got = strbuf_str(&r->lines);

        if (strcmp(got, want) != 0) {
                /* cmocka cuts long strings: say where they part, then show all of what came */
                size_t k = 0, line = 1;

                for (; got[k] != '\0' && got[k] == want[k]; k++)
                        line += got[k] == '\n';
                fprintf(stderr, "events differ from line %zu; the events were:\n%s", line, got);
        }
        assert_string_equal(got, want);
}

char *harness_grep(const harness_result *r, const char *needle)
{
        strbuf out = STRBUF_INIT;
        const char *p = strbuf_str(&r->lines);

        while (*p != '\0') {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
                char *line = xstrndup(p, len);

                if (strstr(line, needle) != NULL)
                        strbuf_puts(&out, line);
                free(line);
                p += len;
        }
        strbuf_puts(&out, ""); /* "" rather than NULL when nothing matched */
        return strbuf_detach(&out);
}

int harness_count(const harness_result *r, const char *needle)
{
        char *lines = harness_grep(r, needle);
        int n = 0;

        for (const char *p = lines; *p; p++)
                n += *p == '\n';
        free(lines);
        return n;
}

harness_result *harness_step(const char *json, const char *schedule)
{
        harness_opts opt = { .mode = HARNESS_STEP, .schedule = schedule };

        return harness_run(json, &opt);
}

harness_result *harness_live(const char *json)
{
        harness_opts opt = { .mode = HARNESS_LIVE };

        return harness_run(json, &opt);
}
