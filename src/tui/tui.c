/*
 * tui.c — the one loop of the terminal front end.
 *
 * It blocks in poll() on the terminal, the signal descriptor and the run's descriptor, with no
 * timeout unless a frame is due: nothing moves, nothing runs. The open scenario's folder is
 * watched too, so that an edited file is loaded again. After every wake it reads every
 * key curses has queued, takes in what the run published, and draws once if anything changed
 * (at most about 30 frames a second while steps pour in). Signals arrive as data: SIGWINCH
 * resizes (the one place that does), SIGINT, SIGTERM, SIGHUP and SIGQUIT end the program through
 * the same path as q, which restores the terminal and closes the run (its runner dies with it).
 */
#include "tui/tui.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "tui/browser.h"
#include "tui/screen.h"
#include "tui/term.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define FRAME_MS 33  /* while steps come by themselves */
#define KEYS_MAX 256 /* keys held while a step settles; more are dropped */
#define PUMP_MS  4   /* the longest the run is pumped before the keys get their turn */

enum { EXIT_OK = 0, EXIT_USAGE = 2 };

static double mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct app {
        term t;
        browser *b; /* the list, or NULL when lockstep FILE was asked for */
        screen *sc; /* the open scenario, or NULL */
        int status; /* the exit status once done */
        bool done;
        bool dirty;
        /* Keys read but not acted on yet, oldest first: while the open scenario settles (a
         * step granted by hand, not back yet), each waits for the one before to have its
         * effect, so that five Spaces typed or pasted at once are five steps. */
        int keys[KEYS_MAX];
        int nkeys, key0;
        bool more; /* the run's last step is done and its events wait: pump again at once */
} app;

/* Reads the signals that came: a resize redraws, anything else ends the program. */
static void read_signals(app *a)
{
        struct signalfd_siginfo si;

        while (read(a->t.sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGWINCH) {
                        term_resize(&a->t);
                        a->dirty = true;
                } else {
                        a->status = 128 + (int)si.ssi_signo;
                        a->done = true;
                }
        }
}

static void open_from_browser(app *a, const char *path)
{
        strbuf err = STRBUF_INIT;
        screen_options opt = { .path = path };

        a->sc = screen_open(&opt, &err);
        a->more = false;
        if (a->sc == NULL)
                browser_set_message(a->b, strbuf_str(&err));
        strbuf_free(&err);
}

static void on_key(app *a, int key)
{
        MEVENT me = { 0 };
        int r;

        if (key == KEY_RESIZE)
                return;  /* resizeterm's echo of a SIGWINCH already handled */
        if (key == 12) { /* Ctrl-L: paint everything again */
                clearok(curscr, TRUE);
                a->dirty = true;
                return;
        }
        if (key == KEY_MOUSE && getmouse(&me) != OK)
                return;
        if (key == KEY_MOUSE && (me.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)))
                key = me.bstate & BUTTON4_PRESSED ? TERM_KEY_WHEEL_UP : TERM_KEY_WHEEL_DOWN;
        if (a->sc != NULL) {
                r = screen_key(a->sc, key, me.y, me.x);
                /* the rest of what the key asked, first among the keys held */
                if ((r & SCREEN_AGAIN) && a->nkeys < KEYS_MAX) {
                        a->key0 = (a->key0 + KEYS_MAX - 1) % KEYS_MAX;
                        a->keys[a->key0] = screen_again_key(a->sc);
                        a->nkeys++;
                }
                if (r & SCREEN_QUIT) {
                        screen_close(a->sc);
                        a->sc = NULL;
                        a->more = false;
                        a->done = a->b == NULL;
                }
        } else {
                const char *path = NULL;

                r = key == KEY_MOUSE             ? browser_click(a->b, me.y, me.x, &path)
                    : key == TERM_KEY_WHEEL_UP   ? browser_wheel(a->b, me.y, me.x, -1)
                    : key == TERM_KEY_WHEEL_DOWN ? browser_wheel(a->b, me.y, me.x, 1)
                                                 : browser_key(a->b, key, &path);
                if (r & BROWSER_QUIT)
                        a->done = true;
                else if (path != NULL)
                        open_from_browser(a, path);
        }
        a->dirty |= r != 0;
}

/* A key read: q and Q act at once (a step that takes long must not keep a person from quitting),
 * the others wait their turn. */
static void take_key(app *a, int key)
{
        if (a->sc != NULL && (key == 'q' || key == 'Q')) {
                a->nkeys = 0;
                on_key(a, key);
        } else if (a->nkeys < KEYS_MAX) {
                a->keys[(a->key0 + a->nkeys++) % KEYS_MAX] = key;
        }
}

/* Acts on the keys held, in order, until one leaves the scenario settling. */
static void run_keys(app *a)
{
        while (a->nkeys > 0 && !a->done && !(a->sc != NULL && screen_settling(a->sc))) {
                int key = a->keys[a->key0];

                a->key0 = (a->key0 + 1) % KEYS_MAX;
                a->nkeys--;
                on_key(a, key);
        }
}

static void draw(app *a)
{
        if (a->sc != NULL)
                screen_draw(a->sc, &a->t);
        else
                browser_draw(a->b, &a->t);
        a->dirty = false;
}

/* Takes in what the run published, and again at once while a step is done and its events wait
 * (a stepped run going by itself: a poll, a read of the keys and two reads of the run's
 * descriptor a step spared), until a key waits or PUMP_MS have gone by. */
static void pump(app *a)
{
        double until = mono_ms() + PUMP_MS;

        do {
                a->dirty |= screen_pump(a->sc);
                a->more = screen_more(a->sc);
        } while (a->more && a->nkeys == 0 && mono_ms() < until);
}

static void loop(app *a)
{
        double last_frame = 0;

        a->dirty = true;
        while (!a->done) {
                bool busy = a->sc != NULL && screen_busy(a->sc);
                double wait = busy ? last_frame + FRAME_MS - mono_ms() : 0;
                struct pollfd p[4] = {
                        { .fd = STDIN_FILENO, .events = POLLIN },
                        { .fd = a->t.sig_fd, .events = POLLIN },
                        { .fd = a->sc != NULL ? screen_fd(a->sc) : -1, .events = POLLIN },
                        { .fd = a->sc != NULL ? screen_watch_fd(a->sc) : -1, .events = POLLIN },
                };
                int key;

                if (a->dirty && wait <= 0) {
                        draw(a);
                        last_frame = mono_ms();
                }
                /* no timeout unless a frame waits for its turn, none at all when the run has
                 * more at once */
                if (poll(p, 4,
                         a->more    ? 0
                         : a->dirty ? (int)(wait > 0 ? wait + 1 : 0)
                                    : -1) < 0 &&
                    errno != EINTR)
                        xdie("poll: %s", strerror(errno));
                if (p[1].revents & POLLIN)
                        read_signals(a);
                /* curses may hold keys poll() cannot see: read until it has none */
                while (!a->done && (key = getch()) != ERR)
                        take_key(a, key);
                run_keys(a);
                if (p[0].revents & (POLLHUP | POLLERR)) {
                        a->status = 128 + SIGHUP; /* the terminal went away */
                        a->done = true;
                }
                if (a->sc != NULL && (a->more || (p[2].revents & (POLLIN | POLLHUP)))) {
                        pump(a);
                        run_keys(a); /* the step they waited for may be back */
                }
                if (a->sc != NULL && (p[3].revents & POLLIN))
                        a->dirty |= screen_reload(a->sc);
        }
}

/* What to do instead, for a lockstep without a terminal. */
static void no_terminal(const tui_options *o, strbuf *err)
{
        strbuf_puts(err, "lockstep: the terminal UI needs a terminal");
        if (o->replay != NULL) {
                strbuf_puts(err, "; a trace is JSON Lines text (docs/trace-format.md)\n");
                return;
        }
        strbuf_puts(err, "; without one:\n  lockstep run ");
        utf8_escape_str(err, o->path != NULL ? o->path : "FILE");
        strbuf_puts(err, "            (live)\n  lockstep run --step ");
        utf8_escape_str(err, o->path != NULL ? o->path : "FILE");
        strbuf_puts(err, "     (one step at a time, reproducible)\n");
}

int tui_main(const tui_options *o)
{
        app a = { .t = { .sig_fd = -1 } };
        strbuf err = STRBUF_INIT;
        const char *theme = getenv("LOCKSTEP_THEME");

        if (term_theme_parse(theme) < 0) {
                strbuf_puts(&err, "lockstep: LOCKSTEP_THEME='");
                utf8_escape_str(&err, theme);
                strbuf_puts(&err, "' is no theme: dark or light (unset, the terminal's "
                                  "COLORFGBG says which, else dark)\n");
                fputs(strbuf_str(&err), stderr);
                strbuf_free(&err);
                return EXIT_USAGE;
        }
        /* before the runner forks: it must not inherit a handler, and signals become data */
        if (term_signals(&a.t) < 0)
                xdie("signalfd: %s", strerror(errno));
        if (o->replay != NULL) {
                a.sc = screen_open_replay(o->replay, &err);
        } else if (o->path != NULL) {
                screen_options opt = {
                        .path = o->path,
                        .live = o->live,
                        .schedule = o->schedule,
                        .set = o->set,
                        .nset = o->nset,
                        .seed_given = o->seed_given,
                        .seed = o->seed,
                        .speed_given = o->speed_given,
                        .speed = o->speed,
                        /* with no terminal to show them on, the errors go to stderr; and a
                         * bad schedule is not mended by saving the scenario */
                        .wait_for_fix =
                            isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && o->schedule == NULL,
                };

                a.sc = screen_open(&opt, &err);
        } else {
                a.b = browser_open(&err);
        }
        if (a.sc == NULL && a.b == NULL) {
                term_close(&a.t);
                fputs(strbuf_str(&err), stderr);
                strbuf_free(&err);
                return EXIT_USAGE;
        }
        strbuf_reset(&err);
        if (term_open(&a.t) < 0) {
                screen_close(a.sc);
                browser_close(a.b);
                term_close(&a.t);
                no_terminal(o, &err);
                fputs(strbuf_str(&err), stderr);
                strbuf_free(&err);
                return EXIT_USAGE;
        }
        strbuf_free(&err);
        loop(&a);
        /* the terminal first: closing the run must not leave it raw if anything goes wrong */
        term_close(&a.t);
        screen_close(a.sc);
        browser_close(a.b);
        return a.status;
}
