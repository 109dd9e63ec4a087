/*
 * screen.c — the scenario screen (see screen.h): a run opened, followed and stepped, a trace
 * replayed, and what each key does to them. panes.c draws it (screen_int.h: what they share).
 */
#include "tui/screen.h"

#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "tui/screen_int.h"
#include "util/sigend.h"
#include "util/utf8.h"
#include "util/xalloc.h"

const double screen_speeds[NSPEEDS] = { 0.5, 1, 2, 5, 10, 20, 50, 100, 1000, 0 };

/* The screen's own keys, given back by the loop after SCREEN_AGAIN: Space's pick, actor A's step.
 */
#define KEY_AGAIN_PICK    (KEY_MAX + 1)
#define KEY_AGAIN_STEP(a) (KEY_MAX + 2 + (a))

/* Says, into MSG, what the end of a replayed trace is: a run's end, or where its trace was cut
 * short; PLAYED: it was played there (r plays it again). */
static void say_replay_end(const screen *sc, strbuf *msg, bool played)
{
        const char *again = played ? " r plays it again from the start." : "";

        if (trace_reader_cut(sc->reader))
                strbuf_printf(msg,
                              "The end of the trace: its last line was cut short, in the middle "
                              "(left out); the run went on past here.%s",
                              again);
        else if (run_outcome(sc) == OUTCOME_RUNNING)
                strbuf_printf(msg,
                              "The end of the trace: it has no end line, so the run was cut short "
                              "here (lockstep was killed, or the disk was full).%s",
                              again);
        else
                strbuf_puts(msg, played ? "The end of the trace: r plays it again from the start."
                                        : "The end of the trace.");
}

static void code_set(screen *sc, code_book *cb)
{
        code_free(sc->code);
        sc->code = cb;
        free(sc->code_h);
        sc->code_h = NULL;
}

void screen_draw(screen *sc, const term *t)
{
        panes_draw(sc, t);
}

/* ---- running it ------------------------------------------------------------------------------ */

static session *open_session(const screen *sc, strbuf *err)
{
        session_config cfg = {
                .path = sc->path,
                .step = !sc->live,
                .policy = SESSION_MANUAL, /* a person at the keys picks who moves */
                /* stepped: no pace until r (a pace while nobody is granted keeps the session's
                 * timer firing) */
                .speed = sc->live ? screen_speeds[sc->speed_i] : 0,
                .time_limit_given = true,
                .time_limit = 0,         /* someone is watching: q ends it, */
                .max_steps = UINT64_MAX, /* a stepped run's too */
                .record = true,
                .schedule_in = sc->schedule,
                .set = (const char *const *)sc->set,
                .nset = sc->nset,
                .seed_given = sc->seed_given,
                .seed = sc->seed,
        };

        return session_open(&cfg, err);
}

static void free_sets(screen *sc)
{
        for (int k = 0; k < sc->nset; k++)
                free(sc->set[k]);
        free(sc->set);
        sc->set = NULL;
        sc->nset = 0;
}

static void set_sets(screen *sc, const char *const *set, int n)
{
        char **copy = xcalloc((size_t)n + 1, sizeof(char *));

        for (int k = 0; k < n; k++)
                copy[k] = xstrdup(set[k]);
        free_sets(sc);
        sc->set = copy;
        sc->nset = n;
}

/* The file name of PATH, without its folders. */
static const char *base_name(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash != NULL ? slash + 1 : path;
}

/* Watches the folder of PATH: an editor may write the file in place or replace it. */
static int watch(const char *path)
{
        const char *slash = strrchr(path, '/');
        char *dir = slash != NULL ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup(".");
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

        if (fd >= 0 && inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
                close(fd);
                fd = -1;
        }
        free(dir);
        return fd;
}

static void start_screen(screen *sc);

/* The actor selected at first: the main thread, which moves first, unless its script is the
 * implied one (no code worth showing): then the first actor. */
static int first_selected(const scenario *scn)
{
        return scn->main_given || scn->nactors == 0 ? scn->nactors : 0;
}

/* Whether the file loads without the --set values: when it does and a run with them did not,
 * the command line is what to fix, not the file. */
static bool loads_without_sets(const screen *sc)
{
        diag d;
        scenario *scn;
        bool loads;

        if (sc->nset == 0)
                return false;
        diag_init(&d, 1);
        scn = scenario_load(sc->path, NULL, &d);
        loads = scn != NULL;
        scenario_free(scn);
        diag_free(&d);
        return loads;
}

screen *screen_open(const screen_options *opt, strbuf *err)
{
        screen *sc = xcalloc(1, sizeof(*sc));

        sc->path = xstrdup(opt->path);
        sc->schedule = opt->schedule != NULL ? xstrdup(opt->schedule) : NULL;
        sc->live = opt->live;
        set_sets(sc, opt->set, opt->nset);
        sc->seed_given = opt->seed_given;
        sc->seed = opt->seed;
        sc->first_speed_i = DEFAULT_SPEED_I;
        if (opt->speed_given) /* the first speed at or above it; 0 and beyond the last: max */
                for (sc->first_speed_i = 0;
                     sc->first_speed_i < NSPEEDS - 1 &&
                     (opt->speed <= 0 || screen_speeds[sc->first_speed_i] < opt->speed);
                     sc->first_speed_i++)
                        ;
        sc->speed_i = sc->first_speed_i;
        sc->watch_fd = -1;
        sc->s = open_session(sc, err);
        /* a file that is there but does not load: its errors on the screen until it does */
        if (sc->s == NULL && opt->wait_for_fix && access(sc->path, R_OK) == 0 &&
            !loads_without_sets(sc) && (sc->watch_fd = watch(sc->path)) >= 0) {
                sc->waiting = true;
                strbuf_puts(&sc->errors, strbuf_str(err));
                return sc;
        }
        if (sc->s == NULL) {
                free(sc->path);
                free(sc->schedule);
                free_sets(sc);
                free(sc);
                return NULL;
        }
        start_screen(sc);
        return sc;
}

/* The first run of the file, once it loads. */
static void start_screen(screen *sc)
{
        /* a restart replays the schedule from the session; a fresh one (after a failed
         * restart) starts clean */
        int nset;
        const char *const *set = session_sets(sc->s, &nset);

        free(sc->schedule);
        sc->schedule = NULL;
        /* the schedule's seed and values stay with the scenario's later runs (L, a reload) */
        set_sets(sc, set, nset);
        sc->seed_given = true;
        sc->seed = session_seed(sc->s);
        code_set(sc, code_new(session_scenario(sc->s), NULL, 0));
        if (sc->watch_fd < 0)
                sc->watch_fd = watch(sc->path);
        sc->mode = sc->live ? MODE_LIVE : MODE_STEPPING;
        sc->speed_i = sc->first_speed_i;
        sc->focus = PANE_ACTORS;
        sc->sel = first_selected(session_scenario(sc->s));
        sc->waiting = false;
        strbuf_reset(&sc->errors);
}

/* Prints the problems D holds into ERR, as lockstep check prints them. */
static void diag_text(const diag *d, strbuf *err)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (f == NULL)
                xdie("open_memstream: out of memory");
        diag_print(d, f);
        fclose(f);
        strbuf_append(err, buf, len);
        free(buf);
}

/* A trace at least this large says how far its reading has come, on a terminal's stderr, before
 * the screen opens (394 MB took 6 s with nothing shown); its name in at most so many bytes, so
 * that the line fits 80 columns and "\r" can write over it. */
#define REPLAY_PROGRESS_BYTES (32u << 20)
#define REPLAY_NAME_BYTES     40

/* "lockstep: reading big.trace:  42% of 394 MB" over the last such line (NAME escaped and cut
 * already); returns the bytes written. */
static int replay_progress(const char *name, uint64_t at, uint64_t size)
{
        return fprintf(stderr, "\rlockstep: reading %s: %3d%% of %llu MB", name,
                       (int)(size > 0 ? at * 100 / size : 100), (unsigned long long)(size >> 20));
}

screen *screen_open_replay(const char *trace, strbuf *err)
{
        screen *sc = xcalloc(1, sizeof(*sc));
        const trace_header *th;
        strbuf text = STRBUF_INIT, name = STRBUF_INIT;
        uint64_t size = 0;
        int shown = 0; /* the bytes of the progress line on the terminal */
        struct stat st;
        event ev;
        diag d;
        int rc;

        diag_init(&d, DIAG_DEFAULT_CAP);
        sc->reader = trace_reader_open(trace, &d);
        if (sc->reader == NULL) {
                diag_text(&d, err);
                diag_free(&d);
                free(sc);
                return NULL;
        }
        th = trace_reader_header(sc->reader);
        if (isatty(STDERR_FILENO) && stat(trace, &st) == 0 && st.st_size >= REPLAY_PROGRESS_BYTES) {
                utf8_escape_str(&name, base_name(trace));
                if (name.len > REPLAY_NAME_BYTES) {
                        name.len = utf8_cut(name.data, REPLAY_NAME_BYTES - 3);
                        name.data[name.len] = '\0';
                        strbuf_puts(&name, "...");
                }
                size = (uint64_t)st.st_size;
        }
        sc->replay = history_new(trace_reader_scenario(sc->reader), 0, 0);
        /* every event now: scrubbing then only rebuilds moments from the history; a long trace
         * is read with the TUI's signals blocked, so they are looked for now and then, and one
         * that came stops the reading (it acts once the terminal is given back) */
        for (uint64_t n = 1; (rc = trace_read(sc->reader, &ev, &text, &d)) != 0; n++) {
                if (rc > 0)
                        history_append(sc->replay, &ev);
                if (n % 65536 == 0 && sigend_pending()) {
                        diag_error(&d, trace, 0, 0, "interrupted while reading the trace");
                        break;
                }
                if (n % 65536 == 0 && size > 0)
                        shown = replay_progress(strbuf_str(&name), trace_reader_offset(sc->reader),
                                                size);
        }
        if (shown > 1) /* the line goes: the screen, or the errors, take its place */
                fprintf(stderr, "\r%*s\r", shown - 1, "");
        strbuf_free(&name);
        strbuf_free(&text);
        if (diag_count(&d) > 0) {
                diag_text(&d, err);
                diag_free(&d);
                history_free(sc->replay);
                trace_reader_close(sc->reader);
                free(sc);
                return NULL;
        }
        diag_free(&d);
        sc->replay_steps = history_steps(sc->replay, history_len(sc->replay));
        sc->path = xstrdup(trace);
        code_set(sc, code_new(trace_reader_scenario(sc->reader), th->source, th->source_len));
        sc->watch_fd = -1;
        sc->ended = true;
        sc->shown = moments_earliest(sc->replay); /* from the beginning */
        sc->past = sc->shown < history_len(sc->replay);
        sc->speed_i = DEFAULT_SPEED_I;
        sc->focus = PANE_ACTORS;
        sc->sel = first_selected(trace_reader_scenario(sc->reader));
        sc->play_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        strbuf_printf(&sc->msg,
                      "A replay of a trace%s: Right, ] or Space go forward a step, Left or [ "
                      "back, r plays.",
                      trace_reader_cut(sc->reader) || run_outcome(sc) == OUTCOME_RUNNING
                          ? " cut short (it ends before the run did)"
                          : "");
        return sc;
}

void screen_close(screen *sc)
{
        strbuf err = STRBUF_INIT;

        if (sc == NULL)
                return;
        if (sc->replay != NULL) {
                history_free(sc->replay);
                trace_reader_close(sc->reader);
                if (sc->play_fd >= 0)
                        close(sc->play_fd);
        } else if (sc->s != NULL) {
                session_close(sc->s, &err); /* no trace is written here: nothing to report */
        }
        strbuf_free(&err);
        code_set(sc, NULL);
        if (sc->watch_fd >= 0)
                close(sc->watch_fd);
        strbuf_free(&sc->errors);
        strbuf_free(&sc->msg);
        strbuf_free(&sc->saved);
        free(sc->saved_list);
        free(sc->schedule);
        free_sets(sc);
        free(sc->path);
        free(sc);
}

static void reset_run(screen *sc);

int screen_watch_fd(const screen *sc)
{
        return sc->watch_fd;
}

bool screen_reload(screen *sc)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        const char *base = base_name(sc->path);
        bool ours = false;
        ssize_t n;
        strbuf err = STRBUF_INIT;
        session *s;

        while ((n = read(sc->watch_fd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;

                        ours |= ev->len > 0 && strcmp(ev->name, base) == 0;
                        p += sizeof(*ev) + ev->len;
                }
        if (!ours)
                return false;
        /* the new file first: when it does not load, the old run stays on view */
        s = open_session(sc, &err);
        strbuf_reset(&sc->errors);
        if (s == NULL) {
                strbuf_puts(&sc->errors, strbuf_str(&err));
                strbuf_free(&err);
                return true;
        }
        strbuf_free(&err);
        if (sc->waiting) {
                sc->s = s;
                start_screen(sc);
                strbuf_puts(&sc->msg, "The file loads now: its run has started.");
                return true;
        }
        session_close(sc->s, &err);
        strbuf_free(&err);
        sc->s = s;
        code_set(sc, code_new(session_scenario(sc->s), NULL, 0));
        reset_run(sc);
        strbuf_reset(&sc->saved); /* another file: the same moves would make another schedule */
        strbuf_reset(&sc->msg);
        strbuf_puts(&sc->msg, "The file changed: loaded again, and started again.");
        return true;
}

int screen_fd(const screen *sc)
{
        if (sc->replay != NULL)
                return sc->playing ? sc->play_fd : -1;
        return sc->ended || sc->waiting ? -1 : session_fd(sc->s);
}

static void rewind_by(screen *sc, int dir);

/* A replay plays on (or stops): the timer ticks every step's time, "max" every millisecond. */
static void play_set(screen *sc, bool on)
{
        double sp = screen_speeds[sc->speed_i], every = sp > 0 ? 1 / sp : 0.001;
        struct itimerspec it = { 0 };

        sc->playing = on && sc->play_fd >= 0;
        if (sc->playing) {
                it.it_interval.tv_sec = (time_t)every;
                it.it_interval.tv_nsec = (long)((every - (double)(time_t)every) * 1e9);
                it.it_value = it.it_interval;
        }
        if (sc->play_fd >= 0)
                timerfd_settime(sc->play_fd, 0, &it, NULL);
}

/* The steps a replay's timer says are due; at the end of the trace it stops playing. */
static bool play_on(screen *sc)
{
        uint64_t due;

        if (!sc->playing || read(sc->play_fd, &due, sizeof(due)) != (ssize_t)sizeof(due))
                return false;
        /* "max": ten steps a tick, some 10,000 a second */
        for (uint64_t k = 0; k < due * (screen_speeds[sc->speed_i] > 0 ? 1 : 10) && sc->past; k++)
                rewind_by(sc, 1);
        strbuf_reset(&sc->msg);
        if (!sc->past) {
                play_set(sc, false);
                say_replay_end(sc, &sc->msg, true);
        } else {
                strbuf_printf(&sc->msg,
                              "Playing (event %llu of %llu): p pauses, + and - change "
                              "the speed.",
                              (unsigned long long)sc->shown,
                              (unsigned long long)history_len(sc->replay));
        }
        return true;
}

bool screen_pump(screen *sc)
{
        if (sc->replay != NULL)
                return play_on(sc);
        if (sc->ended || sc->waiting)
                return false;
        if (!session_pump(sc->s)) {
                sc->ended = true;
                /* a run that ended by itself, not as it should: the row says why, not what an
                 * older key did */
                if (run_outcome(sc) != OUTCOME_DONE)
                        strbuf_reset(&sc->msg);
        }
        return true;
}

bool screen_more(screen *sc)
{
        return sc->replay == NULL && !sc->ended && !sc->waiting && session_more(sc->s);
}

bool screen_busy(const screen *sc)
{
        if (sc->replay != NULL)
                return sc->playing;
        return !sc->ended && !sc->waiting &&
               (sc->mode == MODE_RUNNING || (sc->mode == MODE_LIVE && !session_paused(sc->s)));
}

bool screen_settling(const screen *sc)
{
        return !sc->ended && sc->replay == NULL && !sc->waiting && !sc->live &&
               session_settling(sc->s);
}

/* Steps by hand: the policy grants nothing and keeps no pace. */
static void hand_stepping(screen *sc, mode m)
{
        session_set_policy(sc->s, SESSION_MANUAL);
        session_set_speed(sc->s, 0);
        sc->mode = m;
}

static void branch(screen *sc);

/* Whether a step may be asked for now; if not, says why in the message row. */
static bool can_step(screen *sc)
{
        if (sc->replay != NULL) { /* nothing runs: a step key moves forward, by hand */
                play_set(sc, false);
                rewind_by(sc, 1);
                return false;
        }
        if (sc->past && !sc->live) {
                branch(sc);
                return false;
        }
        if (sc->past) {
                strbuf_puts(&sc->msg, "This is an earlier moment of a live run: press ] or "
                                      "Right until now.");
                return false;
        }
        if (sc->ended) {
                strbuf_puts(&sc->msg, "The run has ended: R starts it again.");
                return false;
        }
        if (sc->live) {
                strbuf_puts(&sc->msg, "A live run: the operating system decides who moves "
                                      "(p pauses it, r goes on).");
                return false;
        }
        if (sc->mode == MODE_RUNNING)
                hand_stepping(sc, MODE_STEPPING);
        return true;
}

static void step_actor(screen *sc, int a)
{
        int n = model_nactors(history_live(hist(sc)));

        if (a < 0 || a >= n) {
                strbuf_printf(&sc->msg, "There is no actor %d.", a + 1);
                return;
        }
        sc->sel = a;
        if (!can_step(sc)) {
                if (sc->branched) /* then the step itself, in the new run */
                        sc->again = KEY_AGAIN_STEP(a);
                return;
        }
        if (session_grant(sc->s, a, &sc->msg) == 0) {
                sc->scroll[PANE_CODE] = 0; /* follow the actor again */
                sc->mode = MODE_STEPPING;
        }
}

/* Space: the next actor after the last one stepped that can move (round-robin). */
static void step_pick(screen *sc)
{
        session_why why[SC_MAX_ACTORS + 1];
        int n = model_nactors(history_live(hist(sc)));
        int last = moments_last_mover(hist(sc));

        if (!can_step(sc)) {
                if (sc->branched)
                        sc->again = KEY_AGAIN_PICK;
                return;
        }
        if (session_movable(sc->s, why) == 0) {
                for (int a = 0; a < n; a++)
                        if (why[a] == SESSION_RUNNING) {
                                session_why_text(sc->s, a, &sc->msg);
                                return;
                        }
                strbuf_puts(&sc->msg, "No actor can move now.");
                return;
        }
        for (int k = 1; k <= n; k++) {
                int a = (last + k) % n;

                if (why[a] == SESSION_CAN_MOVE) {
                        int sel = sc->sel;

                        step_actor(sc, a);
                        /* the implied main's moves are not worth following in Code */
                        if (first_selected(session_scenario(sc->s)) != a &&
                            a == session_scenario(sc->s)->nactors)
                                sc->sel = sel;
                        return;
                }
        }
}

/* Where the screen is, once moved to an earlier moment (LEN: the history's events). */
static void say_moment(screen *sc, uint64_t len)
{
        if (sc->past)
                strbuf_printf(&sc->msg,
                              "An earlier moment (event %llu of %llu): Left/[ back, "
                              "Right/] forward.",
                              (unsigned long long)sc->shown, (unsigned long long)len);
}

static void rewind_by(screen *sc, int dir)
{
        history *h = hist(sc);
        uint64_t len = history_len(h), cur = sc->past ? sc->shown : len, j = cur;

        if (dir < 0) {
                if (j <= moments_earliest(h)) {
                        strbuf_puts(&sc->msg, "This is the earliest moment kept.");
                        return;
                }
                if (sc->mode == MODE_RUNNING)
                        hand_stepping(sc, MODE_PAUSED);
                j = moments_before(h, j);
                sc->past = true;
                sc->shown = j;
        } else {
                if (!sc->past) {
                        if (sc->replay != NULL)
                                say_replay_end(sc, &sc->msg, false);
                        return;
                }
                j = moments_after(h, j);
                sc->past = j < len;
                sc->shown = j;
        }
        say_moment(sc, len);
}

/* A click on a column of the Timeline: the moment after that step, as the rewinding keys show
 * it (the last column is the moment shown already). */
static void show_step_end(screen *sc, uint64_t j)
{
        history *h = hist(sc);
        uint64_t len = history_len(h), cur = sc->past ? sc->shown : len;

        if (j == cur || j < moments_earliest(h) || j > len)
                return;
        if (sc->replay != NULL)
                play_set(sc, false);
        else if (sc->mode == MODE_RUNNING)
                hand_stepping(sc, MODE_PAUSED);
        sc->past = j < len;
        sc->shown = j;
        say_moment(sc, len);
}

/* { and }: the earliest moment kept, or the present (a replay's end) at once. */
static void rewind_to_end(screen *sc, bool now)
{
        history *h = hist(sc);
        uint64_t len = history_len(h), first = moments_earliest(h);

        if (now) {
                if (sc->past && sc->replay != NULL)
                        say_replay_end(sc, &sc->msg, false);
                else if (sc->past)
                        strbuf_puts(&sc->msg, "Back to now.");
                sc->past = false;
                return;
        }
        if (sc->mode == MODE_RUNNING)
                hand_stepping(sc, MODE_PAUSED);
        sc->past = first < len;
        sc->shown = first;
        strbuf_printf(&sc->msg, "The earliest moment kept (event %llu of %llu): } back to %s.",
                      (unsigned long long)first, (unsigned long long)len,
                      sc->replay != NULL ? "the end" : "now");
}

/* After a new session replaced the old one: the screen follows it from its start. */
static void reset_run(screen *sc)
{
        session_pause(sc->s, false);
        if (sc->live)
                session_set_speed(sc->s, screen_speeds[sc->speed_i]);
        else
                hand_stepping(sc, MODE_STEPPING);
        sc->ended = sc->past = false;
        sc->mode = sc->live ? MODE_LIVE : MODE_STEPPING;
}

/* R: the scenario from its first step, with the same seed and --set values and no moves made for
 * the person (not a branch's: R after a branch went back to the branch's moment; not those of
 * --schedule, which are the first run's only). */
static void restart(screen *sc)
{
        strbuf err = STRBUF_INIT;

        sc->s = session_restart(sc->s, SESSION_RESTART_CLEAN, &err);
        if (sc->s == NULL)
                sc->s = open_session(sc, &err);
        if (sc->s == NULL)
                xdie("cannot restart: %s", strbuf_str(&err));
        strbuf_free(&err);
        reset_run(sc);
        sc->sel = first_selected(session_scenario(sc->s)); /* as at the first start */
        strbuf_puts(&sc->msg, "Started again from the first step, with the same seed.");
}

/* L: the same scenario again, live (the operating system schedules) or stepped by hand. */
static void toggle_live(screen *sc)
{
        strbuf err = STRBUF_INIT;

        session_close(sc->s, &err);
        strbuf_reset(&err);
        sc->live = !sc->live;
        sc->s = open_session(sc, &err);
        if (sc->s == NULL)
                xdie("cannot start again: %s", strbuf_str(&err));
        strbuf_free(&err);
        reset_run(sc);
        strbuf_puts(&sc->msg, sc->live ? "A live run: the operating system schedules, slowed to "
                                         "the speed shown; p pauses, L steps by hand again."
                                       : "Stepped by hand again, from the start.");
}

/*
 * A step asked for at an earlier moment: a new run that makes the same moves up to that moment
 * (the grants made by then, replayed in order with the same seed, so it arrives at the same
 * state), then waits for the keys to go on differently.
 */
static void branch(screen *sc)
{
        history *h = hist(sc);
        /* the grants made by then: in step mode every grant is a step (docs/running.md), the
         * last ones too, that end in an actor's exit or crash */
        uint64_t k = history_steps(h, sc->shown);
        size_t nmoves;
        strbuf err = STRBUF_INIT;

        session_schedule(sc->s, &nmoves);
        if (k > nmoves && session_schedule_cut(sc->s)) {
                /* the moves that would lead there were not kept: a branch could not get there */
                strbuf_printf(&sc->msg,
                              "No new run from this moment: the run kept its first %zu moves, "
                              "the most a schedule holds, and this moment is past them.",
                              nmoves);
                return;
        }
        if (k > nmoves)
                k = nmoves;
        /* the seed and the --set values of this run, its schedule's too */
        sc->s = session_branch(sc->s, k, &err);
        if (sc->s == NULL)
                sc->s = open_session(sc, &err);
        if (sc->s == NULL)
                xdie("cannot branch: %s", strbuf_str(&err));
        strbuf_free(&err);
        reset_run(sc);
        sc->branched = true;
        if (k == 0)
                strbuf_puts(&sc->msg, "A new run from the start: it is yours.");
        else
                strbuf_printf(&sc->msg,
                              "A new run from that moment: its first %llu move%s made again, "
                              "then it is yours.",
                              (unsigned long long)k, k == 1 ? " is" : "s are");
}

#define SCHEDULE_FILES 999 /* names for s to try: NAME-schedule.txt, then -2 to -999 */

/* s: the moves so far into a new file beside the current directory's others, named after the
 * scenario: deadlock-schedule.txt, deadlock-schedule-2.txt, ... — unless there are none yet, or
 * the last s saved these same moves (this run's, or another's of the same file: R, L and a branch
 * keep the seed and the --set values) and its file is still there. */
static void save_schedule(screen *sc)
{
        const char *base = base_name(sc->path);
        size_t len = strlen(base), nmoves;
        strbuf path = STRBUF_INIT, err = STRBUF_INIT;
        const int *moves = session_schedule(sc->s, &nmoves);
        bool cut;
        int k;

        /* stepped and rewound: the moves up to the moment shown (every grant is a step), as a
         * branch from there would make them; a live run's moves are read from its events and
         * are not cut by steps */
        if (sc->past && !sc->live && history_steps(hist(sc), sc->shown) < nmoves)
                nmoves = (size_t)history_steps(hist(sc), sc->shown);
        if (nmoves == 0) {
                strbuf_puts(&sc->msg, "Nothing to save yet: no move has been made in this run.");
                return;
        }
        if (sc->saved.len > 0 && sc->saved_moves == nmoves &&
            memcmp(sc->saved_list, moves, nmoves * sizeof *moves) == 0 &&
            access(strbuf_str(&sc->saved), F_OK) == 0) {
                strbuf_printf(&sc->msg, "Already saved: these %zu moves are in %s.", nmoves,
                              strbuf_str(&sc->saved));
                return;
        }
        if (len > 5 && strcmp(base + len - 5, ".json") == 0)
                len -= 5;
        for (k = 1; k <= SCHEDULE_FILES; k++) {
                strbuf_reset(&path);
                strbuf_append(&path, base, len);
                strbuf_puts(&path, "-schedule");
                if (k > 1)
                        strbuf_printf(&path, "-%d", k);
                strbuf_puts(&path, ".txt");
                if (access(strbuf_str(&path), F_OK) != 0)
                        break;
        }
        if (k > SCHEDULE_FILES) { /* never written over: it may be someone's */
                strbuf_printf(&sc->msg, "Not saved: %s is the last of %d names, and it is taken.",
                              strbuf_str(&path), SCHEDULE_FILES);
                strbuf_free(&path);
                return;
        }
        /* all of them, or only the first when the recording stopped before that moment */
        cut = session_schedule_cut(sc->s) &&
              (!sc->past || sc->live || history_steps(hist(sc), sc->shown) > nmoves);
        if (session_save_schedule(sc->s, strbuf_str(&path), nmoves, &err) < 0) {
                strbuf_printf(&sc->msg, "Not saved: %s", strbuf_str(&err));
        } else {
                strbuf_reset(&sc->saved);
                strbuf_puts(&sc->saved, strbuf_str(&path));
                sc->saved_list = xrealloc(sc->saved_list, nmoves * sizeof *moves);
                memcpy(sc->saved_list, moves, nmoves * sizeof *moves);
                sc->saved_moves = nmoves;
                strbuf_printf(&sc->msg, "Saved %s%zu moves%s to %s (lockstep FILE --schedule %s).",
                              cut ? "the first " : "", nmoves,
                              cut                     ? ", the most a schedule holds,"
                              : sc->past && !sc->live ? ", up to the moment shown,"
                                                      : "",
                              strbuf_str(&path), strbuf_str(&path));
        }
        strbuf_free(&path);
        strbuf_free(&err);
}

/* The pane shown at row Y, column X, or -1. */
static int pane_at(const screen *sc, int y, int x)
{
        for (int p = 0; sc->fits && p < PANE_COUNT; p++) {
                const layout_rect *r = &sc->pane[p];

                if (r->h > 0 && y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w)
                        return p;
        }
        return -1;
}

static void say_zoomed(screen *sc)
{
        strbuf_printf(&sc->msg,
                      "Zoomed: %s alone. Tab zooms the next pane, z shows them all again.",
                      screen_pane_names[sc->focus]);
}

static void scroll_by(screen *sc, int delta)
{
        /* Output counts from the bottom: up shows older lines */
        sc->scroll[sc->focus] += sc->focus == PANE_OUTPUT ? -delta : delta;
        if (sc->focus != PANE_OUTPUT && sc->focus != PANE_CODE && sc->scroll[sc->focus] < 0)
                sc->scroll[sc->focus] = 0;
}

static void run_or_pause(screen *sc, bool run)
{
        if (sc->replay != NULL) {
                if (run && sc->play_fd < 0) {
                        strbuf_puts(&sc->msg, "This replay cannot play (no timer): Right, ] or "
                                              "Space go forward.");
                } else if (run) {
                        if (!sc->past) { /* at the end: from the start again */
                                sc->shown = moments_earliest(sc->replay);
                                sc->past = sc->shown < history_len(sc->replay);
                        }
                        play_set(sc, true);
                        strbuf_puts(&sc->msg, "Playing: p pauses, + and - change the speed.");
                } else if (sc->playing) {
                        play_set(sc, false);
                        strbuf_puts(&sc->msg, "Paused: r plays on, Left and Right step.");
                }
                return;
        }
        if (sc->ended) {
                strbuf_puts(&sc->msg, "The run has ended: R starts it again.");
                return;
        }
        if (sc->live) {
                session_pause(sc->s, !run);
                return;
        }
        if (run) {
                /* from the run's latest moment: an earlier one shown is left, and said so */
                if (sc->past)
                        strbuf_puts(&sc->msg, "Running on from the latest moment, not the "
                                              "earlier one shown (a step key there branches).");
                sc->past = false;
                session_set_speed(sc->s, screen_speeds[sc->speed_i]);
                session_set_policy(sc->s, SESSION_RANDOM);
                session_pause(sc->s, false);
                sc->mode = MODE_RUNNING;
        } else if (sc->mode == MODE_RUNNING) {
                hand_stepping(sc, MODE_PAUSED);
        }
}

int screen_key(screen *sc, int key, int mouse_y, int mouse_x)
{
        int n, page;

        if (sc->waiting) /* nothing runs: only q means something */
                return key == 'q' || key == 'Q' ? SCREEN_QUIT : 0;
        /* too small a terminal shows only how to go on: no key acts unseen but quitting */
        if (COLS < LAYOUT_MIN_COLS || LINES < LAYOUT_MIN_ROWS)
                return key == 'q' || key == 'Q' ? SCREEN_QUIT : 0;
        n = model_nactors(history_live(hist(sc)));

        if (sc->help) {
                sc->help = false;
                return SCREEN_REDRAW;
        }
        page = sc->fits ? sc->pane[sc->focus].h - 2 : 1;
        sc->branched = false;
        sc->again = 0;
        /* the step a step key asked for, now in the run it branched (its message stays) */
        if (key == KEY_AGAIN_PICK) {
                step_pick(sc);
                return SCREEN_REDRAW;
        }
        if (key >= KEY_AGAIN_STEP(0) && key < KEY_AGAIN_STEP(n)) {
                step_actor(sc, key - KEY_AGAIN_STEP(0));
                return SCREEN_REDRAW;
        }
        strbuf_reset(&sc->msg);
        switch (key) {
        case 'q':
        case 'Q': return SCREEN_QUIT;
        case '?':
        case KEY_F(1): sc->help = true; break;
        case ' ':
        case 'n': step_pick(sc); break;
        case 'b':
                /* a branch without a step: the new run at the moment shown, yours to go on */
                if (sc->replay != NULL)
                        strbuf_puts(&sc->msg, "A replay runs nothing to branch.");
                else if (!sc->past || sc->live)
                        strbuf_puts(&sc->msg, sc->live ? "A live run cannot branch: the "
                                                         "operating system made its choices."
                                                       : "b branches at an earlier moment: "
                                                         "Left or [ first.");
                else
                        branch(sc);
                break;
        case KEY_ENTER:
        case '\r':
        case '\n': step_actor(sc, sc->sel); break;
        case 'r': run_or_pause(sc, true); break;
        case 'p': run_or_pause(sc, false); break;
        case '+':
        case '=':
        case '-':
        case '_':
                sc->speed_i += key == '+' || key == '=' ? 1 : -1;
                sc->speed_i = sc->speed_i < 0          ? 0
                              : sc->speed_i >= NSPEEDS ? NSPEEDS - 1
                                                       : sc->speed_i;
                if (sc->replay != NULL)
                        play_set(sc, sc->playing);
                else if (sc->live || sc->mode == MODE_RUNNING)
                        session_set_speed(sc->s, screen_speeds[sc->speed_i]);
                break;
        case KEY_LEFT:
        case '[':
                if (sc->replay != NULL)
                        play_set(sc, false); /* back by hand: the playing stops */
                rewind_by(sc, -1);
                break;
        case KEY_RIGHT:
        case ']':
                if (sc->replay != NULL)
                        play_set(sc, false);
                rewind_by(sc, 1);
                break;
        case '{':
        case '}':
                if (sc->replay != NULL)
                        play_set(sc, false);
                rewind_to_end(sc, key == '}');
                break;
        case 'R':
                if (sc->replay != NULL) {
                        sc->shown = moments_earliest(sc->replay);
                        sc->past = sc->shown < history_len(sc->replay);
                } else {
                        restart(sc);
                }
                break;
        case 'L':
                if (sc->replay != NULL)
                        strbuf_puts(&sc->msg, "A replay runs nothing.");
                else
                        toggle_live(sc);
                break;
        case 's':
                if (sc->replay != NULL)
                        strbuf_puts(&sc->msg, "A replay has no moves of its own to save.");
                else
                        save_schedule(sc);
                break;
        case '\t':
        case KEY_BTAB:
                /* the next pane on the screen (the timeline is not always there); zoomed, the
                 * next pane zoomed, whichever it is */
                for (;;) {
                        sc->focus = (sc->focus + (key == '\t' ? 1 : PANE_COUNT - 1)) % PANE_COUNT;
                        if (!sc->fits || sc->zoomed || sc->pane[sc->focus].h > 0)
                                break;
                        if (sc->focus == PANE_TIMELINE)
                                strbuf_puts(&sc->msg, "The Timeline has no room here: z zooms "
                                                      "a pane, and Tab then goes to it.");
                }
                if (sc->zoomed)
                        say_zoomed(sc);
                break;
        case 'z': {
                layout_rect all[PANE_COUNT];

                sc->zoomed = !sc->zoomed;
                if (sc->zoomed)
                        say_zoomed(sc);
                /* back from a pane the others leave no room for (the Timeline): on to Code */
                else if (layout_compute(COLS, LINES, n, all) && all[sc->focus].h == 0)
                        sc->focus = PANE_CODE;
                break;
        }
        case KEY_UP:
        case 'k':
                if (sc->focus == PANE_ACTORS)
                        sc->sel = sc->sel > 0 ? sc->sel - 1 : 0;
                else
                        scroll_by(sc, -1);
                break;
        case KEY_DOWN:
        case 'j':
                if (sc->focus == PANE_ACTORS)
                        sc->sel = sc->sel + 1 < n ? sc->sel + 1 : n - 1;
                else
                        scroll_by(sc, 1);
                break;
        case KEY_PPAGE:
        case KEY_NPAGE:
                if (sc->focus == PANE_ACTORS) {
                        sc->sel += key == KEY_PPAGE ? -page : page;
                        sc->sel = sc->sel < 0 ? 0 : sc->sel >= n ? n - 1 : sc->sel;
                } else {
                        scroll_by(sc, key == KEY_PPAGE ? -page : page);
                }
                break;
        case KEY_HOME:
                if (sc->focus == PANE_ACTORS)
                        sc->sel = 0;
                else /* the panes clamp their scrolling when drawn */
                        sc->scroll[sc->focus] = sc->focus == PANE_OUTPUT ? 1 << 30 : -(1 << 20);
                break;
        case KEY_END:
                if (sc->focus == PANE_ACTORS)
                        sc->sel = n - 1;
                else
                        sc->scroll[sc->focus] = sc->focus == PANE_OUTPUT ? 0 : 1 << 20;
                break;
        case KEY_MOUSE: {
                const layout_rect *r = &sc->pane[PANE_ACTORS];
                int p = pane_at(sc, mouse_y, mouse_x), bar;

                /* a click on the key bar is its key */
                if (mouse_y == LINES - 1 && (bar = panes_key_at(sc, mouse_x)) != 0)
                        return screen_key(sc, bar, -1, -1);
                /* a click on an actor's row steps that actor, as its digit does; on another
                 * pane (or Actors' title) it focuses that pane */
                if (p == PANE_ACTORS && mouse_y > r->y)
                        step_actor(sc, sc->scroll[PANE_ACTORS] + mouse_y - r->y - 1);
                else if (p == PANE_TIMELINE && mouse_y > sc->pane[p].y && mouse_x >= sc->lane_x0 &&
                         mouse_x - sc->lane_x0 < sc->lane_n)
                        show_step_end(sc, sc->lane_end[mouse_x - sc->lane_x0]);
                else if (p >= 0)
                        sc->focus = p;
                break;
        }
        case TERM_KEY_WHEEL_UP:
        case TERM_KEY_WHEEL_DOWN: {
                int p = pane_at(sc, mouse_y, mouse_x), d = key == TERM_KEY_WHEEL_UP ? -1 : 1;

                /* the pane under the pointer, focused: Actors' selection moves a row, the
                 * others scroll three */
                if (p < 0)
                        break;
                sc->focus = p;
                if (p == PANE_ACTORS)
                        sc->sel = sc->sel + d < 0 ? 0 : sc->sel + d >= n ? n - 1 : sc->sel + d;
                else
                        scroll_by(sc, 3 * d);
                break;
        }
        default:
                if (key >= '0' && key <= '9')
                        step_actor(sc, key == '0' ? 9 : key - '1');
                else
                        return 0; /* KEY_RESIZE and keys that mean nothing here */
                break;
        }
        return SCREEN_REDRAW | (sc->again != 0 ? SCREEN_AGAIN : 0);
}

int screen_again_key(const screen *sc)
{
        return sc->again;
}
