/*
 * session.c — one run of a scenario, for every front end; see session.h.
 *
 * The parts, in order: preparing a run from a config (files, schedule, scenario), starting and
 * ending the runner, taking in events, the step-mode scheduler, the descriptor and its deadlines,
 * and the controls a person uses.
 */
#include "session/session.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/gate.h"
#include "engine/stream.h"
#include "model/model.h"
#include "scenario/diag.h"
#include "scenario/expr.h"
#include "session/recorder.h"
#include "session/schedule.h"
#include "session/stepper.h"
#include "session/steprule.h"
#include "trace/trace.h"
#include "util/coverage.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

struct session {
        /* what was asked, deep-copied */
        session_config cfg;
        uint64_t hook_kinds; /* the kinds cfg.on_event is called for; none without a hook */
        char **set;          /* the schedule's --set values, then the command line's */
        int nset;
        uint64_t seed;
        char *text; /* the scenario file's text */
        size_t len;
        scenario *sc;
        int *replay; /* moves to replay first (a schedule file, or a restart) */
        size_t nreplay;
        /* the run */
        stream *st;
        gates *gates;      /* step mode */
        gate_pacer *pacer; /* live mode */
        pid_t runner;
        bool runner_gone;
        int runner_status;
        int wake_fd, pid_fd, timer_fd, epoll_fd;
        history *hist; /* the recorded run; NULL when live_only */
        model *live;   /* live_only: the state after every event */
        trace_writer *trace;
        strbuf text_buf;
        strbuf reason;
        /* the reason is a fault's: 1 a death seen from outside its statements (a process
         * reaped, or taken down with a thread of it), 2 an actor's own crash statement or
         * error */
        int reason_fault;
        event_outcome outcome;
        bool ended;
        int signo;
        /* The last event's seq and time, taken from every event: not side by side, so that the
         * compiler does not copy the two in one 16-byte load, which the event's two 8-byte
         * stores just before (stream_next) cannot be forwarded to: a stall of every event that
         * was most of the pump's own time. */
        uint64_t last_seq;
        bool runner_end_seen;
        int runner_end_status;
        int last_crash_actor;
        uint64_t steps, events, output_bytes;
        uint64_t last_t;
        /* time: running time excludes pauses */
        double started;      /* monotonic seconds when the run started */
        double paused_total; /* seconds spent paused */
        double paused_at;    /* when the current pause began, or 0 */
        double ran;          /* once the run ended, how long it ran: its time stops there */
        bool paused;
        double speed;
        double last_event;  /* running seconds at the last event */
        double quiet_at;    /* ... and when the live deadlock check looks (running seconds) */
        bool quiet_checked; /* the deadlock check ran since the last event */
        double next_grant;  /* step mode with a speed: no automatic grant before (monotonic) */
        double timer_at;    /* when the timer is set to fire (monotonic), 0: not set */
        double tick;        /* live at full speed: seconds until the session looks again ... */
        double lazy_at;     /* ... then (monotonic), armed lazily; 0: woken by the runner */
        /* step mode */
        session_policy policy;
        int nall;           /* actors + main */
        steprule rule;      /* who is at a gate, who is in flight, the policy's generator */
        bool runner_steps;  /* the runner grants the steps (stepper.h), not the session */
        uint32_t grant_no;  /* the gate's number for that grant (gate_back) */
        bool step_done;     /* the step granted is done: its events wait (session_more) */
        bool uses_more;     /* the front end pumps again when session_more says so */
        bool runner_dying;  /* a crash is taking the runner down: nothing more is granted */
        bool pinned;        /* step mode: kept on one CPU (pin_to_one_cpu); ... */
        cpu_set_t affinity; /* ... the CPUs the front end had before */
        bool again;         /* ... and this pump is such a one: no descriptor was read */
        bool held;          /* the hook asked this pump to take in no more (session_hold) */
        bool trace_held;    /* more than TRACE_WAIT_MAX bytes of the trace wait for its reader */
        int trace_watched;  /* the trace's descriptor while it is in the epoll set, or -1 */
        bool back_seen;     /* gate_back said so for the grant in flight */
        size_t next_entry;  /* in replay */
        recorder *rec;      /* what moved, in order: NULL when not recording */
        bool record;
        bool rec_cut;  /* the recorder is full: the later moves were not recorded */
        bool take_all; /* every event goes through take's every check (take_event) */
};

static double mono(void)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static double running_seconds(const session *s)
{
        if (s->ended)
                return s->ran;
        return (s->paused ? s->paused_at : mono()) - s->started - s->paused_total;
}

/* The pause before each step at SPEED steps a second: at most 1000 s (--speed 0.001), so the
 * conversion never overflows. */
static uint64_t delay_ns(double speed)
{
        return speed > 0 ? (uint64_t)(1e9 / (speed < 0.001 ? 0.001 : speed)) : 0;
}

static const char *actor_name(const session *s, int id)
{
        return scenario_actor_name(s->sc, id);
}

#define LIVE_CHECK_EVERY 4096u      /* live_only: events between looks at the model's logs */
#define LIVE_LOG_BYTES   (4u << 20) /* ... and how much of them it keeps at most */

/* The state after every event so far: the history's, or live_only's own. */
static const model *live(const session *s)
{
        return s->hist != NULL ? history_live(s->hist) : s->live;
}

/* Takes EV into the state (and the recorded run, when there is one). */
/* Whether the on_event hook is called for KIND. */
static inline bool hook_wants(const session *s, unsigned kind)
{
        return kind < 64 ? (s->hook_kinds >> kind) & 1u : s->hook_kinds == UINT64_MAX;
}

static inline void keep(session *s, const event *ev)
{
        if (s->hist != NULL) {
                history_append(s->hist, ev);
                return;
        }
        model_apply(s->live, ev);
        /* Nobody looks back at what was printed (it went out as it came): a little is kept. */
        if ((ev->seq & (LIVE_CHECK_EVERY - 1)) == 0 && model_log_bytes(s->live) > LIVE_LOG_BYTES)
                model_trim_logs(s->live, LIVE_LOG_BYTES / 2);
}

/* An event taken in: counted, and kept in the history or the live model. */
static inline void count_and_keep(session *s, const event *ev)
{
        s->last_seq = ev->seq;
        s->last_t = ev->t_ns;
        s->events++;
        s->steps += (uint64_t)event_begins_step(ev);
        keep(s, ev);
}

/* ---- preparing a run ----------------------------------------------------------------------- */

/* Moves what D holds into ERR, one diagnostic a line. */
static void diag_to(const diag *d, strbuf *err)
{
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        if (f == NULL)
                xdie("open_memstream: %s", strerror(errno));
        diag_print(d, f);
        fclose(f);
        strbuf_append(err, buf, n);
        free(buf);
}

static bool same_file(const char *a, const char *b)
{
        struct stat sa, sb;

        if (a == NULL || b == NULL)
                return false;
        if (strcmp(a, b) == 0)
                return true;
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

/* Reads the scenario file (scenario_read), its error as lockstep says it. */
static char *read_scenario(const char *path, size_t *len, strbuf *err)
{
        strbuf why = STRBUF_INIT;
        char *text = scenario_read(path, len, &why);

        if (text == NULL) {
                utf8_escape_str(err, path);
                strbuf_printf(err, ": error: %s\n", strbuf_str(&why));
        }
        strbuf_free(&why);
        return text;
}

/* Why PATH cannot be written (created, or replaced), or NULL when it looks as if it can. */
static const char *unwritable(const char *path)
{
        struct stat st;
        const char *slash;
        char *dir;
        int rc;

        if (stat(path, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                        return "it is a directory";
                return access(path, W_OK) == 0 ? NULL : strerror(errno);
        }
        if (errno != ENOENT)
                return strerror(errno);
        slash = strrchr(path, '/');
        dir = slash == NULL ? xstrdup(".") : xstrndup(path, (size_t)(slash - path) + 1);
        rc = access(dir, W_OK | X_OK);
        free(dir);
        return rc == 0 ? NULL : strerror(errno);
}

/* Footguns: an output that would overwrite an input, or two outputs in one file. */
static int check_paths(const session_config *c, strbuf *err)
{
        struct {
                const char *out, *flag, *in, *what;
        } pairs[] = {
                { c->trace_path, "--trace", c->path, "the scenario" },
                { c->trace_path, "--trace", c->schedule_in, "the schedule given to --schedule" },
                { c->schedule_out, "--save-schedule", c->path, "the scenario" },
                { c->trace_path, "--trace", c->schedule_out, "the --save-schedule file" },
                { c->schedule_out, "--save-schedule", c->schedule_in,
                  "the schedule given to --schedule" },
        };
        const char *why;

        for (size_t k = 0; k < sizeof(pairs) / sizeof(*pairs); k++)
                if (same_file(pairs[k].out, pairs[k].in)) {
                        strbuf_puts(err, "lockstep: ");
                        strbuf_puts(err, pairs[k].flag);
                        strbuf_putc(err, ' ');
                        utf8_escape_str(err, pairs[k].out);
                        strbuf_printf(err, " would overwrite %s; give another file\n",
                                      pairs[k].what);
                        return -1;
                }
        /* the schedule is written at the end: a file that cannot be must not cost the run */
        if (c->schedule_out != NULL && (why = unwritable(c->schedule_out)) != NULL) {
                strbuf_puts(err, "lockstep: --save-schedule ");
                utf8_escape_str(err, c->schedule_out);
                strbuf_printf(err, ": %s; give another file\n", why);
                return -1;
        }
        return 0;
}

static void copy_config(session *s, const session_config *cfg)
{
        s->cfg = *cfg;
        s->hook_kinds = cfg->on_event == NULL ? 0
                        : cfg->on_event_kinds ? cfg->on_event_kinds
                                              : UINT64_MAX;
        s->cfg.path = xstrdup(cfg->path);
        s->cfg.trace_path = cfg->trace_path ? xstrdup(cfg->trace_path) : NULL;
        s->cfg.schedule_in = cfg->schedule_in ? xstrdup(cfg->schedule_in) : NULL;
        s->cfg.schedule_out = cfg->schedule_out ? xstrdup(cfg->schedule_out) : NULL;
        s->cfg.set = NULL;
        s->cfg.nset = 0;
        s->cfg.schedule = NULL;
        s->cfg.nschedule = 0;
}

static void add_set(session *s, const char *kv)
{
        s->set = xrealloc(s->set, sizeof(char *) * (size_t)(s->nset + 2));
        s->set[s->nset++] = xstrdup(kv);
        s->set[s->nset] = NULL;
}

static void free_prepared(session *s)
{
        for (int k = 0; k < s->nset; k++)
                free(s->set[k]);
        free(s->set);
        free(s->text);
        if (s->sc != NULL)
                scenario_free(s->sc);
        free(s->replay);
        free((char *)s->cfg.path);
        free((char *)s->cfg.trace_path);
        free((char *)s->cfg.schedule_in);
        free((char *)s->cfg.schedule_out);
}

/* Everything before the runner starts. 0, or -1 with the messages in ERR. */
static int prepare(session *s, const session_config *cfg, strbuf *err)
{
        scenario_options lo = { 0 };
        scenario_place *at;
        schedule sched = { 0 };
        bool have_sched = false;
        diag d;

        copy_config(s, cfg);
        if (s->cfg.max_steps == 0)
                s->cfg.max_steps = SESSION_DEFAULT_MAX_STEPS;
        if (s->cfg.max_moves == 0 || s->cfg.max_moves > SCHEDULE_MAX_MOVES)
                s->cfg.max_moves = SCHEDULE_MAX_MOVES;
        if (s->cfg.max_output == 0)
                s->cfg.max_output = SESSION_MAX_OUTPUT;
        if (s->cfg.max_trace == 0)
                s->cfg.max_trace = TRACE_MAX_BYTES;
        if (cfg->schedule_in != NULL && !cfg->step) {
                strbuf_puts(err, "lockstep: --schedule needs --step\n");
                return -1;
        }
        if (check_paths(cfg, err) < 0)
                return -1;
        s->text = read_scenario(cfg->path, &s->len, err);
        if (s->text == NULL)
                return -1;
        diag_init(&d, DIAG_DEFAULT_CAP);
        if (cfg->schedule_in != NULL) {
                if (schedule_read(cfg->schedule_in, &sched, &d) < 0) {
                        diag_to(&d, err);
                        diag_free(&d);
                        schedule_free(&sched);
                        return -1;
                }
                have_sched = true;
        }
        /* The schedule's values first: a flag given on the command line wins. */
        s->seed = cfg->seed_given                ? cfg->seed
                  : have_sched && sched.has_seed ? sched.seed
                                                 : ENGINE_DEFAULT_SEED;
        /* A bad @set is reported at its line of the schedule, a bad --set as the flag's. */
        at = xcalloc((size_t)(have_sched ? sched.nset : 0) + (size_t)cfg->nset + 1, sizeof(*at));
        for (int k = 0; have_sched && k < sched.nset; k++) {
                at[s->nset] = (scenario_place){ sched.path, sched.set_line[k], sched.set_col[k] };
                add_set(s, sched.set[k]);
        }
        for (int k = 0; k < cfg->nset; k++)
                add_set(s, cfg->set[k]);
        lo.set = (const char *const *)s->set;
        lo.set_at = at;
        lo.nset = s->nset;
        s->sc = scenario_load_text(cfg->path, s->text, s->len, &lo, &d);
        free(at);
        if (s->sc == NULL) {
                diag_to(&d, err);
                diag_free(&d);
                schedule_free(&sched);
                return -1;
        }
        if (have_sched && schedule_resolve(&sched, s->sc, &s->replay, &d) < 0) {
                diag_to(&d, err);
                diag_free(&d);
                schedule_free(&sched);
                return -1;
        }
        if (have_sched)
                s->nreplay = sched.n;
        schedule_free(&sched);
        diag_free(&d);
        if (cfg->schedule != NULL) {
                free(s->replay);
                s->replay = xcalloc(cfg->nschedule + 1, sizeof(int));
                memcpy(s->replay, cfg->schedule, cfg->nschedule * sizeof(int));
                s->nreplay = cfg->nschedule;
        }
        return 0;
}

/* ---- the runner ---------------------------------------------------------------------------- */

/*
 * In the runner, right after fork: die with the front end (PR_SET_PDEATHSIG; if the front end
 * died before that call, getppid() already names someone else), take default signal handling
 * and an empty mask (the front end blocks the signals it reads from a descriptor), and hold
 * none of its standard input and output, so a pipeline ends when the front end does.
 */
static void runner_setup(pid_t parent)
{
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD };
        sigset_t none;
        int null;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        setpgid(0, 0);
        for (size_t k = 0; k < sizeof(sigs) / sizeof(*sigs); k++)
                signal(sigs[k], SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        null = open("/dev/null", O_RDWR);
        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                if (null > STDERR_FILENO)
                        close(null);
        }
}

/*
 * A live run's runner is a batch task (SCHED_BATCH, which any process may choose for itself): a
 * thread of it that a futex wakes (given a lock, an item, a message) does not preempt what runs
 * on its CPU — the front end folding the events, or the actor holding the lock the woken one
 * wanted — but waits for the scheduler's tick, as a batch task's wake-ups do. On two CPUs, where
 * the front end shares a CPU with the actors, that is 4–10% off lock_counter, process_value and
 * pipe (docs/performance.md, "The runner as a batch task"). A stepped run hands the CPU from one
 * actor to the next at every step, where a wake-up that waits is a step that waits (5% slower):
 * it keeps the normal policy. Threads and processes inherit it; failing changes nothing else.
 */
static void runner_policy(bool live)
{
        struct sched_param none = { 0 };

        if (live)
                (void)sched_setscheduler(0, SCHED_BATCH, &none);
}

static void kill_runner(session *s)
{
        if (!s->runner_gone && s->runner > 0) {
                kill(-s->runner, SIGKILL);
                kill(s->runner, SIGKILL);
                while (waitpid(s->runner, &s->runner_status, 0) < 0 && errno == EINTR)
                        ;
                s->runner_gone = true;
        }
}

static void epoll_add(int ep, int fd)
{
        struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

        if (fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
                xdie("epoll_ctl: %s", strerror(errno));
}

static void poke(session *s);

/* A trace whose reader is slow (a FIFO): while too much of it waits, the session takes in no
 * events and is woken by the trace's descriptor taking more (EPOLLOUT) instead. */
static void trace_watch(session *s, bool on)
{
        struct epoll_event e = { .events = EPOLLOUT };
        int fd = on ? trace_writer_fd(s->trace) : -1;

        if (fd == s->trace_watched)
                return;
        if (s->trace_watched >= 0)
                epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->trace_watched, NULL);
        s->trace_watched = -1;
        e.data.fd = fd;
        if (fd >= 0 && epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) == 0)
                s->trace_watched = fd;
        else if (fd >= 0)
                poke(s); /* a file epoll cannot watch (a regular one never waits): look again */
}

/*
 * Step mode runs one thing at a time: an actor's step, then the front end's choice, then a step.
 * On one CPU, each hand-off is a direct switch; across two, it wakes the other CPU (measured on a
 * 2-CPU VM: about 3 µs a step on one, 20-35 µs across an idle pair). So the front end moves to the
 * CPU it is on, and the runner it forks inherits that; session_close gives the CPUs back.
 */
static void pin_to_one_cpu(session *s)
{
        cpu_set_t one;
        int cpu = sched_getcpu();

        if (cpu < 0 || sched_getaffinity(0, sizeof(s->affinity), &s->affinity) != 0)
                return;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        s->pinned = sched_setaffinity(0, sizeof(one), &one) == 0;
}

/*
 * Whether the runner may choose the steps itself (stepper.h): a stepped run that nobody steers
 * (no hand, no recording of the grants, no speed, not paused; a schedule to replay it replays
 * too) and that has only thread
 * actors and no pool (the stepper's model is in the runner's memory, which a forked process does
 * not share). The same choices as the session's, and a step without a round trip through the
 * front end: 2 switches between processes a step become 0 or 1 between threads.
 */
static bool runner_may_step(const session *s)
{
        if (!s->cfg.step || !s->cfg.unattended || s->policy == SESSION_MANUAL || s->record ||
            s->speed > 0 || s->paused)
                return false;
        for (int k = 0; k < s->sc->nactors; k++)
                if (s->sc->actors[k].kind == SC_PROCESS)
                        return false;
        for (int k = 0; k < s->sc->nresources; k++)
                if (s->sc->resources[k].type == SC_POOL)
                        return false;
        return true;
}

/* A runner that schedules itself keeps the CPU it was started on; the front end, which only
 * reads its events, takes the others (if there are any), where it does not delay a step. */
static void leave_runner_cpu(session *s)
{
        cpu_set_t others = s->affinity;
        int cpu = sched_getcpu();

        if (cpu >= 0)
                CPU_CLR(cpu, &others);
        if (CPU_COUNT(&others) > 0)
                sched_setaffinity(0, sizeof(others), &others);
}

static int start_runner(session *s, strbuf *err)
{
        engine_options eo = { .seed = s->seed,
                              .cpu_count = (int)sysconf(_SC_NPROCESSORS_ONLN),
                              .fifo = s->cfg.fifo };
        pid_t parent = getpid();
        char e[512];

        s->outcome = OUTCOME_RUNNING;
        s->last_crash_actor = -1;
        if (s->cfg.live_only) {
                s->live = model_new(s->sc);
                model_keep_no_history(s->live);
        } else {
                s->hist = history_new(s->sc, HISTORY_SNAPSHOT_EVERY, HISTORY_MAX_BYTES);
        }
        s->nall = s->sc->nactors + 1;
        steprule_init(&s->rule, s->sc, s->seed);
        s->policy = s->cfg.policy;
        s->speed = s->cfg.speed;
        s->record = s->cfg.record || s->cfg.schedule_out != NULL;
        if (s->record)
                s->rec = recorder_new(s->nall, s->sc->nresources, s->cfg.max_moves);
        s->wake_fd = s->pid_fd = s->timer_fd = s->epoll_fd = -1;
        s->trace_watched = -1;
        if (s->cfg.step) {
                s->gates = gate_create(s->nall);
                if (s->gates == NULL)
                        xdie("cannot map shared memory for the step gates");
                eo.gates = s->gates;
        } else {
                s->pacer = gate_pacer_create();
                if (s->pacer == NULL)
                        xdie("cannot map shared memory for the pacer");
                eo.pacer = s->pacer;
        }
        eo.total_order = s->record;
        if (s->cfg.trace_path != NULL) {
                trace_info info = { .seed = s->seed,
                                    .mode = s->cfg.step ? "step" : "live",
                                    .set = (const char *const *)s->set,
                                    .nset = s->nset,
                                    .cpu_count = eo.cpu_count };

                s->trace = trace_writer_open(s->cfg.trace_path, s->sc, s->text, s->len, &info, e,
                                             sizeof(e));
                if (s->trace == NULL) {
                        strbuf_puts(err, "lockstep: ");
                        utf8_escape_str(err, e); /* it quotes the path given */
                        strbuf_putc(err, '\n');
                        return -1;
                }
                trace_writer_set_max_bytes(s->trace, s->cfg.max_trace);
        }
        s->take_all = s->gates != NULL || s->record || s->trace != NULL;
        s->st = stream_create(engine_stream_rings(s->sc), engine_stream_keys(s->sc), 0);
        if (s->st == NULL)
                xdie("cannot map shared memory for the event stream");
        stream_keep_ints(s->st); /* take() writes an int's decimal where it is wanted */
        /* Non-blocking: a producer must never wait on the descriptor, only mark it readable. */
        s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (s->wake_fd < 0 || s->timer_fd < 0 || s->epoll_fd < 0)
                xdie("cannot create the session's descriptors: %s", strerror(errno));
        stream_set_wake_fd(s->st, s->wake_fd);
        s->started = mono();
        s->quiet_at = SESSION_QUIET_MS / 1000.0;
        s->paused = s->cfg.paused;
        s->paused_at = s->paused ? s->started : 0;
        if (s->pacer != NULL)
                gate_pacer_set(s->pacer, s->paused, delay_ns(s->speed));
        s->runner_steps = runner_may_step(s);
        if (s->cfg.step)
                pin_to_one_cpu(s);
        fflush(NULL); /* the child must not write our buffered output again */
        s->runner = fork();
        if (s->runner < 0) {
                strbuf_printf(err, "lockstep: cannot start the runner process: %s\n",
                              strerror(errno));
                return -1;
        }
        if (s->runner == 0) {
                int status;

                runner_setup(parent);
                runner_policy(!s->cfg.step);
                if (s->runner_steps) {
                        eo.step_back = stepper_back;
                        eo.step_ctx =
                            stepper_new(s->sc, s->st, s->gates, s->replay, s->nreplay, s->seed,
                                        s->policy == SESSION_ROUND_ROBIN, s->cfg.max_steps);
                }
                status = engine_run(s->sc, &eo, s->st);
                stepper_free(eo.step_ctx);
                stream_close(s->st);
                coverage_flush();
                _exit(status);
        }
        setpgid(s->runner, s->runner);
        if (s->runner_steps && s->pinned)
                leave_runner_cpu(s);
        s->pid_fd = (int)syscall(SYS_pidfd_open, s->runner, 0);
        epoll_add(s->epoll_fd, s->wake_fd);
        epoll_add(s->epoll_fd, s->timer_fd);
        epoll_add(s->epoll_fd, s->pid_fd);
        /* Look at once: the first pump arms the stream and the timer. */
        {
                uint64_t one = 1;

                if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                        xdie("eventfd: %s", strerror(errno));
        }
        return 0;
}

static void free_run(session *s)
{
        kill_runner(s);
        if (s->pinned)
                sched_setaffinity(0, sizeof(s->affinity), &s->affinity);
        s->pinned = false;
        if (s->trace != NULL)
                trace_writer_close(s->trace, NULL, 0);
        stream_destroy(s->st);
        gate_destroy(s->gates);
        gate_pacer_destroy(s->pacer);
        history_free(s->hist);
        model_free(s->live);
        steprule_free(&s->rule);
        recorder_free(s->rec);
        strbuf_free(&s->text_buf);
        strbuf_free(&s->reason);
        for (int *fd = &s->wake_fd; fd <= &s->epoll_fd; fd++)
                if (*fd >= 0)
                        close(*fd);
}

session *session_open(const session_config *cfg, strbuf *err)
{
        session *s = xcalloc(1, sizeof(*s));

        if (prepare(s, cfg, err) < 0) {
                free_prepared(s);
                free(s);
                return NULL;
        }
        if (start_runner(s, err) < 0) {
                free_run(s);
                free_prepared(s);
                free(s);
                return NULL;
        }
        return s;
}

/* ---- the end of a run ------------------------------------------------------------------------ */

/*
 * The run ends with outcome O: the runner is killed if it still runs, and the end line — an END
 * event with the outcome and the reason — goes into the history and the trace, so every trace
 * says how its run ended, whatever ended it.
 */
static void end(session *s, event_outcome o)
{
        event ev = { .kind = EV_END, .actor = EVENT_RUNNER, .res = -1, .other = -1, .stmt = -1 };
        uint64_t t = (uint64_t)(running_seconds(s) * 1e9);

        if (s->ended)
                return;
        s->ran = (double)t / 1e9;
        s->ended = true;
        s->outcome = o;
        kill_runner(s);
        if (s->paused)
                s->paused_total += mono() - s->paused_at, s->paused = false;
        ev.seq = s->last_seq + 1;
        ev.t_ns = t > s->last_t ? t : s->last_t;
        ev.aux = o;
        ev.text = strbuf_str(&s->reason);
        ev.len = (uint32_t)(s->reason.len < EVENT_MAX_TEXT ? s->reason.len : EVENT_MAX_TEXT);
        keep(s, &ev);
        if (s->trace != NULL)
                trace_write(s->trace, &ev);
        if (hook_wants(s, ev.kind))
                s->cfg.on_event(&ev, s->cfg.ctx);
}

static void end_because(session *s, event_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void end_because(session *s, event_outcome o, const char *fmt, ...)
{
        va_list ap;

        if (s->ended)
                return;
        strbuf_reset(&s->reason);
        va_start(ap, fmt);
        strbuf_vprintf(&s->reason, fmt, ap);
        va_end(ap);
        end(s, o);
}

/* The runner is gone: its END said how (the engine's status), or it died on its own. */
static void runner_died(session *s)
{
        int st = s->runner_status;

        if (s->ended)
                return;
        if (s->runner_end_seen && WIFEXITED(st)) {
                end(s, (event_outcome)s->runner_end_status);
                return;
        }
        if (WIFSIGNALED(st)) {
                /* the signal as a process actor's death is said: "SIGKILL (signal 9)" ("died
                 * of Killed" read oddly) */
                const char *abbrev = sigabbrev_np(WTERMSIG(st));

                if (s->last_crash_actor >= 0)
                        end_because(s, OUTCOME_CRASH,
                                    "%s crashed the runner with SIG%s (signal %d): every thread of "
                                    "its process died with it",
                                    actor_name(s, s->last_crash_actor), abbrev ? abbrev : "?",
                                    WTERMSIG(st));
                else
                        end_because(s, OUTCOME_CRASH, "the runner was killed by SIG%s (signal %d)",
                                    abbrev ? abbrev : "?", WTERMSIG(st));
        } else if (WEXITSTATUS(st) == ENGINE_EXIT_FORKSRV) {
                end_because(s, OUTCOME_CRASH,
                            "the fork server died (killed from outside): every process actor "
                            "died with it, and the run cannot go on");
        } else if (WEXITSTATUS(st) == ENGINE_EXIT_MANAGER) {
                end_because(s, OUTCOME_CRASH,
                            "the manager's server died (killed from outside): no dict or list "
                            "\"via\": \"manager\" can be read or written any more, and the "
                            "run cannot go on");
        } else if (s->last_crash_actor >= 0) {
                end_because(s, OUTCOME_CRASH,
                            "%s ended the runner with exit(%d): every thread of its process "
                            "ended with it",
                            actor_name(s, s->last_crash_actor), WEXITSTATUS(st));
        } else {
                end_because(s, OUTCOME_CRASH,
                            "the runner exited with status %d before the end of the run",
                            WEXITSTATUS(st));
        }
}

/* ---- taking events in ---------------------------------------------------------------------- */

/* A move past what a schedule holds ends a run whose schedule is to be saved whole
 * (--save-schedule); a front end's recording stops there instead, and the run goes on. */
static void too_many_moves(session *s)
{
        if (s->cfg.schedule_out == NULL) {
                s->rec_cut = true;
                return;
        }
        end_because(s, OUTCOME_LIMIT,
                    "the run made more than %zu moves, the most a schedule holds "
                    "(--save-schedule)",
                    s->cfg.max_moves);
}

/* Takes EV in: the trace, the counts, the model, the step-mode and recording bookkeeping, the
 * reason, the limits. Out of line, so that take's common path saves no registers for it. */
__attribute__((noinline)) static void take_event(session *s, const event *ev0)
{
        event dec;
        char buf[VALUE_INT_TEXT];
        /* the trace, the history, the recorder and the hook want an int's decimal */
        const event *ev = model_event_decimal(ev0, &dec, buf);
        const model *m = live(s);
        bool actor = ev->actor >= 0 && ev->actor < s->nall;
        /* Recording a live run's moves costs model look-ups on every event: only when asked,
         * and not once the recording has stopped at its cap. */
        bool record = s->gates == NULL && s->record && !s->rec_cut && actor;
        model_state before = record ? model_actor_at(m, ev->actor)->state : MODEL_NEW;

        if (ev->kind == EV_END) {
                /* The session writes the end line itself, once it knows how the run ended. */
                s->runner_end_seen = true;
                s->runner_end_status = ev->aux;
                return;
        }
        /* Past the trace's cap the event did not happen for the session either: the history
         * and the trace stay one run, ended where the trace ends. */
        if (s->trace != NULL) {
                int tw = trace_write(s->trace, ev);

                if (tw == TRACE_CAPPED) {
                        end_because(s, OUTCOME_LIMIT,
                                    "the trace reached its cap of %llu bytes (--max-trace): the "
                                    "run was ended",
                                    (unsigned long long)s->cfg.max_trace);
                        return;
                }
                s->trace_held |= tw == TRACE_WAITING;
        }
        count_and_keep(s, ev);
        /* what an actor's state became matters to step mode and to a live recording only */
        if (actor && (record || s->gates != NULL || ev->kind == EV_EXIT || ev->kind == EV_CRASH)) {
                /* Live mode: what moved is read from the events (step mode records its grants). */
                if (record && recorder_take(s->rec, live(s), ev, before) < 0)
                        too_many_moves(s);
                /* Step mode: an actor is back at its gate when it says where it waits. */
                steprule_take(&s->rule, live(s), ev);
        }
        if (hook_wants(s, ev->kind))
                s->cfg.on_event(ev, s->cfg.ctx);
        if (ev->kind == EV_CRASH)
                s->last_crash_actor = ev->actor;
        if (ev->flags & EVENT_ENDS_RUNNER)
                s->runner_dying = true;
        /* Why the run failed: its first fault — an actor's own crash or error, not one that died
         * with its process (`other`: that process; it only says what the process's death said)
         * — else its first assert, or the first crash at all. A crash at a statement (a thread's
         * `crash`) beats its process's death, which may come first in the merged order (a stepped
         * run publishes the others' crashes before the crasher's own). */
        if ((ev->kind == EV_CRASH && ev->other < 0) || ev->kind == EV_ERROR) {
                int rank = ev->kind == EV_ERROR || ev->stmt >= 0 ? 2 : 1;

                if (rank > s->reason_fault) {
                        strbuf_reset(&s->reason);
                        strbuf_printf(&s->reason, "%s: %s", actor_name(s, ev->actor), ev->text);
                        s->reason_fault = rank;
                }
        } else if ((ev->kind == EV_ASSERT || ev->kind == EV_CRASH) && s->reason.len == 0) {
                strbuf_printf(&s->reason, "%s: %s", actor_name(s, ev->actor), ev->text);
        }
        if (ev->kind == EV_PRINT) {
                s->output_bytes += ev->len + 1u;
                if (s->output_bytes > s->cfg.max_output)
                        end_because(s, OUTCOME_LIMIT,
                                    "the actors printed more than %llu bytes (--max-output): "
                                    "the run was ended",
                                    (unsigned long long)s->cfg.max_output);
        }
        if (s->trace != NULL && trace_writer_failed(s->trace))
                end_because(s, OUTCOME_LIMIT, "the trace %s could not be written on",
                            s->cfg.trace_path);
        if (s->gates != NULL && s->steps > s->cfg.max_steps)
                end_because(s, OUTCOME_LIMIT,
                            "the run took more than %llu steps (--max-steps) without finishing",
                            (unsigned long long)s->cfg.max_steps);
}

/* Kinds that take_event looks at beyond keeping them: the end, an actor's last word, what the
 * reason and the output limit read. */
#define TAKE_RARE                                                                                  \
        (1ull << EV_END | 1ull << EV_EXIT | 1ull << EV_CRASH | 1ull << EV_ERROR |                  \
         1ull << EV_ASSERT | 1ull << EV_PRINT)

_Static_assert(EV_KIND_COUNT <= 64, "TAKE_RARE is a 64-bit mask of kinds");

static inline __attribute__((always_inline)) void take(session *s, const event *ev);

/* take's way for an int's bytes (stream_keep_ints) that someone wants in decimal: the history
 * (its events and its models' snapshots), the trace, the hook. Only the live model of a run
 * without them takes the int as it is. */
__attribute__((noinline)) static void take_decimal(session *s, const event *ev)
{
        event dec;
        char buf[VALUE_INT_TEXT];

        take(s, model_event_decimal(ev, &dec, buf));
}

/*
 * Takes EV in. A live run without a trace or a recording (every `lockstep run` of the benchmarks)
 * does, for the other kinds, only what take_event would: counts it, keeps it, hands it on. One
 * test of the kind instead of a dozen per event. Always inline: in the pump's loop, where nearly
 * every event comes through, the call and its frame cost about 13 instructions an event.
 */
static inline __attribute__((always_inline)) void take(session *s, const event *ev)
{
        if (s->take_all || ev->kind >= EV_KIND_COUNT || ((TAKE_RARE >> ev->kind) & 1u) ||
            (ev->flags & EVENT_ENDS_RUNNER)) {
                take_event(s, ev);
                return;
        }
        if ((ev->flags & EVENT_INT) && (s->hist != NULL || ((s->hook_kinds >> ev->kind) & 1u))) {
                take_decimal(s, ev);
                return;
        }
        count_and_keep(s, ev);
        /* the kind is below EV_KIND_COUNT here: one shift */
        if ((s->hook_kinds >> ev->kind) & 1u)
                s->cfg.on_event(ev, s->cfg.ctx);
}

/* ---- the step-mode scheduler --------------------------------------------------------------- */

static bool can_move(session *s, int a, bool fifo)
{
        return steprule_can_move(&s->rule, live(s), a, fifo);
}

static bool on_a_step(const session *s)
{
        return steprule_on_a_step(&s->rule);
}

static void grant(session *s, int a)
{
        steprule_granted(&s->rule, a);
        if (s->record && recorder_append(s->rec, a) < 0)
                too_many_moves(s);
        s->grant_no = gate_grant(s->gates, a);
        if (s->speed > 0)
                s->next_grant = mono() + 1.0 / s->speed;
        /* A step takes microseconds: waiting for it here (the actor runs on our core meanwhile)
         * spares two sleeps and two wake-ups, and the stream is not armed while it publishes. */
        s->step_done = s->back_seen = gate_back(s->gates, a, s->grant_no);
}

/* Step mode, once the last step is done and no actor can move: a deadlock when anyone waits at
 * its gate (else every actor finished, and END is on its way). */
static void nobody_moves(session *s)
{
        if (steprule_anyone_waits(&s->rule)) {
                strbuf why = STRBUF_INIT;

                if (model_deadlock(live(s), &why) != 0)
                        end_because(s, OUTCOME_DEADLOCK, "%s", strbuf_str(&why));
                else
                        end_because(s, OUTCOME_DEADLOCK,
                                    "no actor can move: every actor is blocked");
                strbuf_free(&why);
        }
}

/* The schedule's move ENTRY (from 1) names an actor that cannot move now: the run ends. */
static void schedule_broken(session *s, size_t entry)
{
        int want = s->replay[entry - 1], line, col;
        strbuf where = STRBUF_INIT;

        /* the file's place of the entry, when it came from a file */
        if (s->cfg.schedule_in != NULL &&
            schedule_locate(s->cfg.schedule_in, entry, &line, &col) == 0) {
                strbuf_puts(&where, " (");
                utf8_escape_str(&where, s->cfg.schedule_in);
                strbuf_printf(&where, ":%d:%d)", line, col);
        }
        end_because(s, OUTCOME_SCHEDULE,
                    "schedule entry %zu%s names %s, which cannot move now (%s)", entry,
                    strbuf_str(&where), actor_name(s, want),
                    want >= 0 && want < s->nall ? model_actor_word(model_actor_at(live(s), want))
                                                : "unknown");
        strbuf_free(&where);
}

/* Step mode, once everything is quiet: the next grant of the replay or the policy. NOW is the
 * pump's clock reading, which arm_timer takes too: a grant put off until next_grant must find
 * the timer set for it, and a second reading between the two could find next_grant passed and
 * set none (the paced run then waited for ever). */
static void schedule_next(session *s, double now)
{
        int movable[SC_MAX_ACTORS + 1], n = 0;

        /* the runner's death ends the run, whenever it comes */
        if (s->runner_dying)
                return;
        if (on_a_step(s)) {
                /* Woken by the first events of a step (or by anything else): its end is near.
                 * Once only: back at its gate, the actor has published what it will, and more
                 * pumping at once would only spin (the stream wakes us for anything later). */
                if (!s->back_seen)
                        s->step_done = s->back_seen =
                            gate_back(s->gates, s->rule.inflight, s->grant_no);
                return;
        }
        s->rule.inflight = -1;
        n = steprule_movable(&s->rule, live(s), movable);
        if (n == 0) {
                nobody_moves(s);
                return;
        }
        if (s->paused)
                return;
        if (s->speed > 0 && now < s->next_grant)
                return; /* the timer brings us back (arm_timer, the same NOW) */
        if (s->next_entry < s->nreplay) {
                int want = s->replay[s->next_entry++];

                if (steprule_can_replay(&s->rule, live(s), want)) {
                        grant(s, want);
                        return;
                }
                schedule_broken(s, s->next_entry);
                return;
        }
        if (s->policy == SESSION_MANUAL)
                return;
        grant(s, steprule_pick(&s->rule, movable, n, s->policy == SESSION_ROUND_ROBIN));
}

/* Step mode scheduled in the runner (stepper.h): once it says why it grants nothing more and
 * every event it folded is ours too, the same model here says the same — or the two disagree,
 * a bug. */
static void runner_stuck(session *s)
{
        int movable[SC_MAX_ACTORS + 1], n;
        uint32_t why = gate_stuck(s->gates);

        if (why == 0 || !stream_settled(s->st))
                return;
        n = steprule_movable(&s->rule, live(s), movable);
        if (why > GATE_NOBODY && n > 0 && why - GATE_NOBODY <= s->nreplay) {
                schedule_broken(s, why - GATE_NOBODY);
                return;
        }
        if (why > GATE_NOBODY || n > 0)
                xdie("the runner's scheduler found nobody to move (%u), the session %d", why, n);
        nobody_moves(s);
}

/* ---- pumping ------------------------------------------------------------------------------- */

static void drain_fd(int fd)
{
        uint64_t v;

        while (fd >= 0 && read(fd, &v, sizeof(v)) > 0)
                ;
}

static void poke(session *s)
{
        uint64_t one = 1;

        if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                xdie("eventfd: %s", strerror(errno));
}

/* The next moment the session must look again without being woken: the time limit, the live
 * deadlock check, the next paced grant (NOW: the reading schedule_next decided by). */
static void arm_timer(session *s, double now)
{
        double when = 0;
        /* When running seconds were 0: a fixed point while the run goes, so that an unchanged
         * deadline is the same number and the timer is not set again; paused, deadlines move. */
        double base = s->paused ? now - running_seconds(s) : s->started + s->paused_total;
        struct itimerspec it = { 0 };

        if (!s->ended && !s->paused && s->cfg.time_limit > 0)
                when = base + s->cfg.time_limit;
        if (!s->ended && s->gates == NULL && !s->quiet_checked) {
                double q = base + s->quiet_at;

                if (when == 0 || q < when)
                        when = q;
        }
        /* a paced grant only when one is due: not while paused or stepping by hand */
        if (!s->ended && s->gates != NULL && s->speed > 0 && s->next_grant > now && !s->paused &&
            (s->policy != SESSION_MANUAL || s->next_entry < s->nreplay) &&
            (when == 0 || s->next_grant < when))
                when = s->next_grant;
        if (s->lazy_at > 0 && (when == 0 || s->lazy_at < when))
                when = s->lazy_at;
        if (when > 0 && when <= now)
                when = now + 1e-6;
        if (when == s->timer_at)
                return; /* a step-mode run sets no deadline at all: no system call a step */
        s->timer_at = when;
        if (when > 0) {
                it.it_value.tv_sec = (time_t)when;
                it.it_value.tv_nsec = (long)((when - (double)(time_t)when) * 1e9);
        }
        timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &it, NULL);
}

static void check_limits(session *s, int got, double now)
{
        if (s->ended)
                return;
        if (s->cfg.time_limit > 0 && running_seconds(s) >= s->cfg.time_limit) {
                end_because(s, OUTCOME_TIMEOUT, "the time limit of %g s passed", s->cfg.time_limit);
                return;
        }
        if (s->runner_steps) {
                runner_stuck(s);
                return;
        }
        if (s->gates != NULL) {
                schedule_next(s, now);
                return;
        }
        /* Live: a deadlock must hold with nothing new happening for a moment. Without new
         * events the model does not change, so one look after the quiet moment is enough. */
        if (got == 0 && !s->quiet_checked && running_seconds(s) >= s->quiet_at) {
                strbuf why = STRBUF_INIT;

                /* An actor that the scheduler stopped in the middle of a batch is not blocked,
                 * whatever its last published event says: look again once it has gone on. */
                if (!stream_settled(s->st)) {
                        s->quiet_at = running_seconds(s) + SESSION_RECHECK_MS / 1000.0;
                        return;
                }
                s->quiet_checked = true;
                /* a cycle is named at once (the TUI's banner), but ends a live run only once
                 * the actors off it cannot move either: what they still do, Python does too */
                if (!s->paused && model_all_stuck(live(s)) && model_deadlock(live(s), &why) != 0)
                        end_because(s, OUTCOME_DEADLOCK, "%s", strbuf_str(&why));
                strbuf_free(&why);
        }
}

bool session_pump(session *s)
{
        event ev;
        int got = 0, rc = 0;
        bool lazy;
        double now;

        if (s->ended)
                return false;
        /* Pumping again at once (session_more), nobody looked at the descriptor: two reads a
         * step spared. */
        if (!s->again) {
                drain_fd(s->wake_fd);
                drain_fd(s->timer_fd);
        }
        s->again = false;
        s->held = false;
        if (s->trace != NULL && trace_writer_waiting(s->trace) > 0)
                trace_writer_push(s->trace);
        s->trace_held = s->trace != NULL && trace_writer_waiting(s->trace) > TRACE_WAIT_MAX;
        if (s->trace_held) /* held back by the trace's reader is not quiet: no deadlock check */
                s->quiet_at = running_seconds(s) + SESSION_QUIET_MS / 1000.0;
        while (got < SESSION_BATCH && !s->ended && !s->held && !s->trace_held &&
               (rc = stream_next(s->st, &ev, &s->text_buf, 0)) == 1) {
                take(s, &ev);
                got++;
        }
        if (got > 0) {
                s->last_event = running_seconds(s);
                s->quiet_at = s->last_event + SESSION_QUIET_MS / 1000.0;
                s->quiet_checked = false;
        }
        /* A runner that died publishes nothing more: a pump that took nothing in looks (the
         * pidfd wakes the descriptor), and a stepped run spares a wait4 a step. */
        if (!s->ended && !s->runner_gone && got == 0 &&
            waitpid(s->runner, &s->runner_status, WNOHANG) == s->runner) {
                s->runner_gone = true;
                /* Drain what it published before it went; closing first lets the stream skip
                 * an event the runner was killed in the middle of publishing. */
                stream_close(s->st);
                while (!s->ended && stream_next(s->st, &ev, &s->text_buf, 0) == 1)
                        take(s, &ev);
                runner_died(s);
        }
        if (!s->ended && rc == -1 && !s->runner_gone) {
                /* Closed and drained: the runner is exiting. */
                while (waitpid(s->runner, &s->runner_status, 0) < 0 && errno == EINTR)
                        ;
                s->runner_gone = true;
                runner_died(s);
        }
        now = mono();
        check_limits(s, got, now);
        if (s->ended)
                return false;
        /* More may be waiting (a full batch), or came in while we looked: come back at once —
         * unless the front end does so anyway (session_more: the step granted is done). */
        /* Live at full speed, nobody waits on a single step: the session looks again on its
         * own soon instead of being woken by every hand-off (SESSION_TICK_*). Stepped, paced or
         * paused, every step is woken for, to be shown as it happens. */
        lazy = (s->gates == NULL || s->runner_steps) && s->speed == 0 && !s->paused;
        s->tick = got > 0 || s->tick == 0 ? SESSION_TICK_MIN_MS / 1000.0
                                          : fmin(s->tick * 2, SESSION_TICK_MAX_MS / 1000.0);
        s->lazy_at = 0;
        trace_watch(s, s->trace_held);
        if (s->step_done && s->uses_more)
                ;
        else if (s->trace_held)
                ; /* woken by the trace's descriptor (trace_watch) */
        else if (got == SESSION_BATCH || s->held || !stream_arm(s->st, lazy))
                poke(s);
        else if (lazy)
                s->lazy_at = mono() + s->tick;
        arm_timer(s, now);
        return true;
}

void session_hold(session *s)
{
        s->held = true;
}

int session_trace_fd(const session *s)
{
        return s->trace != NULL ? trace_writer_fd(s->trace) : -1;
}

void session_trace_push(session *s)
{
        if (s->trace != NULL)
                trace_writer_push(s->trace);
}

void session_trace_cut(session *s)
{
        if (s->trace != NULL)
                trace_writer_cut(s->trace);
}

int session_fd(const session *s)
{
        return s->epoll_fd;
}

bool session_more(session *s)
{
        bool more = s->step_done && !s->ended;

        s->uses_more = true;
        s->step_done = false;
        s->again = more;
        return more;
}

/* ---- controls ------------------------------------------------------------------------------ */

static session_why why_of(session *s, int a)
{
        const model_actor *ma = model_actor_at(live(s), a);

        if (s->gates == NULL)
                return SESSION_NOT_STEPPED;
        if (s->rule.finished[a] || ma->state == MODEL_DONE || ma->state == MODEL_CRASHED)
                return SESSION_FINISHED;
        if (ma->state == MODEL_NEW)
                return SESSION_NOT_STARTED;
        if (!s->rule.at_gate[a])
                return SESSION_RUNNING;
        if (s->ended || on_a_step(s))
                return SESSION_RUNNING;
        return can_move(s, a, false) ? SESSION_CAN_MOVE : SESSION_BLOCKED;
}

int session_movable(session *s, session_why *out)
{
        int n = 0;

        for (int a = 0; a < s->nall; a++) {
                session_why w = why_of(s, a);

                if (out != NULL)
                        out[a] = w;
                n += w == SESSION_CAN_MOVE;
        }
        return n;
}

void session_why_text(session *s, int a, strbuf *out)
{
        const model *m = live(s);
        const model_actor *ma = model_actor_at(m, a);
        int busy = s->rule.inflight;

        switch (why_of(s, a)) {
        case SESSION_CAN_MOVE: strbuf_printf(out, "%s can move", ma->name); break;
        case SESSION_NOT_STEPPED:
                strbuf_printf(out, "%s: a live run; the operating system decides who moves",
                              ma->name);
                break;
        case SESSION_FINISHED:
                strbuf_printf(out, "%s %s", ma->name,
                              ma->state != MODEL_CRASHED ? "has finished"
                              : ma->signal == -1         ? "ended with an error"
                                                         : "has crashed");
                break;
        case SESSION_NOT_STARTED: strbuf_printf(out, "%s has not been started", ma->name); break;
        case SESSION_RUNNING:
                if (s->ended)
                        strbuf_printf(out, "the run has ended");
                else if (busy >= 0 && busy != a)
                        strbuf_printf(out, "%s is still on its step", actor_name(s, busy));
                else
                        strbuf_printf(out, "%s is on its step", ma->name);
                break;
        case SESSION_BLOCKED: model_describe_wait(m, a, out); break;
        }
}

bool session_settling(const session *s)
{
        return s->gates != NULL && !s->ended && s->policy == SESSION_MANUAL &&
               (on_a_step(s) || s->next_entry < s->nreplay);
}

int session_grant(session *s, int a, strbuf *why)
{
        if (a < 0 || a >= s->nall) {
                strbuf_printf(why, "there is no actor %d", a);
                return -1;
        }
        if (s->runner_steps) {
                strbuf_printf(why, "the runner schedules this run itself");
                return -1;
        }
        if (why_of(s, a) != SESSION_CAN_MOVE) {
                session_why_text(s, a, why);
                return -1;
        }
        s->rule.inflight = -1;
        grant(s, a);
        return 0;
}

void session_set_policy(session *s, session_policy p)
{
        s->policy = p;
        if (!s->ended)
                poke(s);
}

session_policy session_policy_of(const session *s)
{
        return s->policy;
}

void session_pause(session *s, bool paused)
{
        if (s->ended || paused == s->paused)
                return;
        if (paused) {
                s->paused_at = mono();
        } else {
                s->paused_total += mono() - s->paused_at;
                s->paused_at = 0;
                /* Live: look for a deadlock again once the run has been quiet a moment. */
                s->last_event = running_seconds(s);
                s->quiet_at = s->last_event + SESSION_QUIET_MS / 1000.0;
                s->quiet_checked = false;
        }
        s->paused = paused;
        if (s->pacer != NULL)
                gate_pacer_set(s->pacer, paused, delay_ns(s->speed));
        poke(s);
}

bool session_paused(const session *s)
{
        return s->paused;
}

void session_set_speed(session *s, double speed)
{
        s->speed = speed > 0 && isfinite(speed) ? (speed < 0.001 ? 0.001 : speed) : 0;
        if (s->pacer != NULL && !s->ended)
                gate_pacer_set(s->pacer, s->paused, delay_ns(s->speed));
        s->next_grant = 0;
        if (!s->ended)
                poke(s);
}

double session_speed(const session *s)
{
        return s->speed;
}

/* Ends the run now, as OUTCOME with REASON: what the runner published up to now still goes into
 * the trace, then the end. */
static void end_now(session *s, event_outcome outcome, int signo, const char *reason)
{
        event ev;

        if (s->ended)
                return;
        kill_runner(s);
        stream_close(s->st);
        while (!s->ended && stream_next(s->st, &ev, &s->text_buf, 0) == 1)
                take(s, &ev);
        s->signo = signo;
        end_because(s, outcome, "%s", reason);
}

void session_interrupt(session *s, int signo, const char *reason)
{
        end_now(s, OUTCOME_INTERRUPTED, signo, reason);
}

void session_stop(session *s, const char *reason)
{
        end_now(s, OUTCOME_LIMIT, 0, reason);
}

/* ---- how it went --------------------------------------------------------------------------- */

const scenario *session_scenario(const session *s)
{
        return s->sc;
}

const session_config *session_config_of(const session *s)
{
        return &s->cfg;
}

uint64_t session_seed(const session *s)
{
        return s->seed;
}

const char *const *session_sets(const session *s, int *n)
{
        *n = s->nset;
        return (const char *const *)s->set;
}

event_outcome session_outcome(const session *s)
{
        return s->outcome;
}

const char *session_reason(const session *s)
{
        return strbuf_str(&s->reason);
}

int session_signal(const session *s)
{
        return s->signo;
}

int session_exit_status(const session *s)
{
        if (s->outcome == OUTCOME_INTERRUPTED)
                return 128 + s->signo;
        if (model_info_of(live(s))->nasserts > 0)
                return OUTCOME_ASSERT;
        return s->outcome == OUTCOME_RUNNING ? OUTCOME_DONE : (int)s->outcome;
}

history *session_history(session *s)
{
        return s->hist;
}

const model *session_model(const session *s)
{
        return live(s);
}

const int *session_schedule(const session *s, size_t *n)
{
        if (s->rec == NULL) {
                *n = 0;
                return NULL;
        }
        return recorder_moves(s->rec, n);
}

bool session_schedule_cut(const session *s)
{
        return s->rec_cut;
}

double session_seconds(const session *s)
{
        return running_seconds(s);
}

uint64_t session_steps(const session *s)
{
        return s->steps;
}

uint64_t session_events(const session *s)
{
        return s->events;
}

int session_save_schedule(session *s, const char *path, size_t upto, strbuf *err)
{
        char e[512];
        size_t nmoves;
        const int *moves = session_schedule(s, &nmoves);

        if (nmoves > upto)
                nmoves = upto;
        if (schedule_write(path, s->sc, moves, nmoves, s->seed, (const char *const *)s->set,
                           s->nset, e, sizeof(e)) < 0) {
                strbuf_printf(err, "lockstep: %s\n", e);
                return -1;
        }
        return 0;
}

/* The model folds only what the engine publishes: an event it ignored means the two disagree,
 * a broken invariant that no run may hide. */
static int check_agreement(session *s, strbuf *err)
{
        const model_info *mi = model_info_of(live(s));

        if (mi->ignored == 0)
                return 0;
        strbuf_printf(err,
                      "lockstep: internal error: the model ignored %llu of the run's events "
                      "(the engine and the model disagree; please report this with the scenario)\n",
                      (unsigned long long)mi->ignored);
        return -1;
}

int session_close(session *s, strbuf *err)
{
        int rc = 0;
        char e[512];

        if (!s->ended)
                session_interrupt(s, 0, "the front end closed the run");
        if (s->cfg.schedule_out != NULL &&
            session_save_schedule(s, s->cfg.schedule_out, SIZE_MAX, err) < 0)
                rc = -1;
        if (s->trace != NULL && trace_writer_close(s->trace, e, sizeof(e)) < 0) {
                strbuf_printf(err, "lockstep: %s\n", e);
                rc = -1;
        }
        s->trace = NULL;
        if (check_agreement(s, err) < 0)
                rc = -2;
        free_run(s);
        free_prepared(s);
        free(s);
        return rc;
}

/* S again, with its seed and --set values (its schedule's too), making the NM moves FROM first;
 * MANUAL: then a person's (step mode). */
static session *reopen(session *s, const int *from, size_t nm, bool manual, bool paused,
                       strbuf *err)
{
        session_config cfg = s->cfg;
        int *moves = xcalloc(nm + 1, sizeof(int));
        char *path = xstrdup(s->cfg.path);
        char *trace = s->cfg.trace_path ? xstrdup(s->cfg.trace_path) : NULL;
        char *save = s->cfg.schedule_out ? xstrdup(s->cfg.schedule_out) : NULL;
        char **set = xcalloc((size_t)s->nset + 1, sizeof(char *));
        int nset = s->nset;
        session *n;

        /* Copies first: S owns the strings, and S goes before the new run opens its trace. */
        if (nm > 0)
                memcpy(moves, from, nm * sizeof(int));
        for (int k = 0; k < nset; k++)
                set[k] = xstrdup(s->set[k]);
        cfg.path = path;
        cfg.trace_path = trace;
        cfg.schedule_out = save;
        cfg.seed_given = true;
        cfg.seed = s->seed;
        cfg.set = (const char *const *)set;
        cfg.nset = nset;
        cfg.schedule_in = NULL; /* its moves were read into s->replay */
        cfg.schedule = moves;
        cfg.nschedule = nm;
        cfg.paused = paused;
        if (manual)
                cfg.policy = SESSION_MANUAL;
        session_close(s, err);
        n = session_open(&cfg, err);
        free(moves);
        free(path);
        free(trace);
        free(save);
        for (int k = 0; k < nset; k++)
                free(set[k]);
        free(set);
        return n;
}

session *session_restart(session *s, session_restart_moves how, strbuf *err)
{
        size_t nm = how == SESSION_RESTART_CLEAN ? 0 : s->nreplay;
        const int *from = how == SESSION_RESTART_ALL ? session_schedule(s, &nm) : s->replay;

        return reopen(s, from, nm, how == SESSION_RESTART_ALL, s->paused, err);
}

session *session_branch(session *s, size_t k, strbuf *err)
{
        size_t nm = 0;
        const int *from = session_schedule(s, &nm);

        if (!s->cfg.step)
                xdie("session_branch: a live run cannot branch");
        return reopen(s, from, k < nm ? k : nm, true, false, err);
}
