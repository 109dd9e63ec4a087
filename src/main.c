/*
 * main.c — lockstep's command line: parses the arguments and dispatches to a subcommand.
 *
 * Each subcommand is one entry of a table (name, handler); usage errors print what is wrong, the
 * usage's first line and where the rest is, and exit 2, as documented in `lockstep --help` and
 * docs/running.md. A run itself — files, schedule, runner, limits — is the session's
 * (src/session/session.h): `run` only turns flags into a session_config, pumps, and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "model/model.h"
#include "scenario/bundle.h"
#include "scenario/diag.h"
#include "scenario/scenario.h"
#include "session/session.h"
#include "tui/tui.h"
#include "util/outq.h"
#include "util/sigend.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* EXIT_INTERNAL: the trace or schedule could not be written, or the engine and model disagree. */
enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_INTERNAL = 70 };
/* `run`: pumping again at once after a done step, a look at the signals every so many turns
 * (a few hundred microseconds: Ctrl-C still stops the run at once, for a person) */
enum { SIGNAL_LOOK_EVERY = 64 };

/* In a sanitizer build, a scenario's deliberate segfault or abort must still kill the runner
 * with that signal (the front end reports it), not be turned into a sanitizer report. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
        return "handle_segv=0:handle_abort=0";
}
#endif
#if defined(__SANITIZE_THREAD__)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
        return "handle_segv=0:handle_abort=0";
}
#endif

static const char usage_text[] =
    "usage: lockstep [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "  lockstep                 the terminal UI: the bundled scenarios, to pick one\n"
    "  lockstep FILE [--live | --schedule S] [--set NAME=VALUE]... [--seed N]\n"
    "                [--speed X|max]\n"
    "                           the terminal UI on one scenario, stepped by hand\n"
    "                           (--live: the operating system schedules; --schedule:\n"
    "                           make the moves of S first; --set, --seed: as for\n"
    "                           run; --speed: the speed to start at, as + and - set\n"
    "                           it); ? lists the keys (docs/tui.md)\n"
    "  lockstep run FILE [OPTIONS]\n"
    "                           run a scenario headless: print what the actors\n"
    "                           print, then a summary on stderr (docs/running.md)\n"
    "      --seed N             seed for every actor's random() and the random\n"
    "                           policy (default: the schedule's, else 1)\n"
    "      --set NAME=VALUE     override a constant of the scenario (repeatable)\n"
    "      --trace FILE         write every event as JSON Lines\n"
    "                           (docs/trace-format.md)\n"
    "      --speed X            at most X steps per second (per actor when live)\n"
    "      --time-limit S       stop after S seconds of running (default: 60 live,\n"
    "                           none stepped; 0: no limit)\n"
    "      --max-steps N        stepped: stop after N steps (default 1000000)\n"
    "      --max-output N       stop once the actors printed N bytes (default\n"
    "                           64 MiB)\n"
    "      --max-trace N        stop once the trace holds N bytes (default 1 GiB)\n"
    "      --prefix             start each printed line with [actor name]\n"
    "      --say                print each narration caption as it happens, as\n"
    "                           '# caption'\n"
    "      --step               lockstep is the scheduler: one step at a time, the\n"
    "                           same choices give the same run (default policy:\n"
    "                           random)\n"
    "      --policy P           step mode: random (seeded by --seed) or round-robin\n"
    "      --handoff H          barging (default, as CPython) or fifo: who gets a\n"
    "                           freed lock\n"
    "      --schedule FILE      replay the moves in FILE first, in step mode (--step\n"
    "                           implied; its seed and --set values unless given\n"
    "                           here)\n"
    "      --save-schedule FILE write the order in which actors moved (live or step)\n"
    "  lockstep replay TRACE    view a trace written by run --trace in the terminal\n"
    "                           UI, step by step, back and forth, or played (r;\n"
    "                           nothing runs)\n"
    "  lockstep check FILE...   validate scenario files (a folder: every .json under\n"
    "                           it); errors as FILE:LINE:COL: error: ...\n"
    "  lockstep list            the bundled scenarios: file, title, summary\n"
    "  lockstep --help          this text\n"
    "  lockstep --version       the version\n"
    "\n"
    "Exit status of run: 0 finished and every assert held, 1 an assert failed\n"
    "(whatever ended the run), 2 a usage or scenario error or a schedule that cannot\n"
    "be followed, 3 deadlock, 4 an actor crashed or raised an error, 5 the time\n"
    "limit, 6 a cap (steps, output, trace, schedule) or output that could not be\n"
    "written, 70 an internal error, 128+N interrupted by signal N.\n"
    "Exit status of check and list: 0 success, 2 a usage error or an invalid\n"
    "scenario.\n"
    "Scenario format: docs/scenario-format.md. Bundled scenarios: lockstep list.\n";

/* The message's control characters escaped: it quotes what was typed, which may hold any. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
        va_list ap;
        char *text = NULL;
        strbuf sb = STRBUF_INIT;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        strbuf_puts(&sb, "lockstep: ");
        utf8_escape_str(&sb, text != NULL ? text : fmt);
        fputs(strbuf_str(&sb), stderr);
        free(text);
        strbuf_free(&sb);
        /* the usage's first line and where the rest is: the whole of it (50 lines) pushed the
         * message off a terminal's screen */
        fputs("\n", stderr);
        fwrite(usage_text, 1, strcspn(usage_text, "\n"), stderr);
        fputs("\n'lockstep --help' lists the commands and their options.\n", stderr);
        return EXIT_USAGE;
}

/* Collects the operands of a subcommand that takes no options ("--" ends options, so a file
 * named "-x" can still be given). Returns 0, or the usage error's exit status. */
static int operands(int argc, char **argv, char ***ops, int *nops)
{
        bool only_operands = false;

        *ops = xcalloc((size_t)argc + 1, sizeof(char *));
        *nops = 0;
        for (int k = 1; k < argc; k++) {
                if (!only_operands && strcmp(argv[k], "--") == 0) {
                        only_operands = true;
                } else if (!only_operands && argv[k][0] == '-' && argv[k][1] != '\0') {
                        free(*ops);
                        *ops = NULL;
                        return usage_error("unknown option '%s'", argv[k]);
                } else {
                        (*ops)[(*nops)++] = argv[k];
                }
        }
        return 0;
}

/* Checks one scenario file: "ok" and its counts on stdout, or its errors on stderr. */
static bool check_file(const char *path)
{
        diag d;
        scenario *sc;

        diag_init(&d, DIAG_DEFAULT_CAP);
        sc = scenario_load(path, NULL, &d);
        if (sc == NULL) {
                fflush(stdout);
                diag_print(&d, stderr);
        } else {
                strbuf name = STRBUF_INIT;

                utf8_escape_str(&name, path);
                printf("%s: ok (%d actor%s, %d resource%s, %d statement%s)\n", strbuf_str(&name),
                       sc->nactors + 1, sc->nactors == 0 ? "" : "s", sc->nresources,
                       sc->nresources == 1 ? "" : "s", sc->nstmts, sc->nstmts == 1 ? "" : "s");
                strbuf_free(&name);
                scenario_free(sc);
        }
        diag_free(&d);
        return sc != NULL;
}

/* A folder given to check: every *.json under it, as linters take a folder. */
static bool check_folder(const char *dir)
{
        char err[512];
        bundle b;
        bool ok = true;

        if (bundle_scan(&b, dir, err, sizeof(err)) < 0 || b.n == 0) {
                strbuf name = STRBUF_INIT;

                utf8_escape_str(&name, dir);
                fflush(stdout);
                fprintf(stderr,
                        "%s: error: a folder with no .json file in it: give scenario files\n",
                        strbuf_str(&name));
                strbuf_free(&name);
                bundle_close(&b);
                return false;
        }
        for (size_t k = 0; k < b.n; k++)
                ok &= check_file(b.entries[k].path);
        bundle_close(&b);
        return ok;
}

static int cmd_check(int argc, char **argv)
{
        char **files;
        int n, rc, status = EXIT_OK;

        if ((rc = operands(argc, argv, &files, &n)) != 0)
                return rc;
        if (n == 0) {
                free(files);
                return usage_error("%s", "check needs at least one FILE");
        }
        for (int k = 0; k < n; k++) {
                struct stat st;
                bool ok = stat(files[k], &st) == 0 && S_ISDIR(st.st_mode) ? check_folder(files[k])
                                                                          : check_file(files[k]);

                if (!ok)
                        status = EXIT_USAGE;
        }
        free(files);
        return status;
}

/* How `lockstep list` lays out its lines: one each for a pipe; wrapped to the width of a terminal.
 */
typedef struct list_layout {
        int cols;   /* the terminal's columns; 0: a pipe, one line per scenario */
        bool wide;  /* the terminal shows UTF-8: wcwidth counts the columns */
        int file;   /* columns of the FILE column: its longest name */
        int text;   /* columns of the text beside or under it */
        bool table; /* the text beside the file; else under it, indented */
} list_layout;

/* At a terminal wide enough, the text goes beside the file; narrower than this, under it; with
 * fewer columns than LIST_NARROW under it, not wrapped at all. */
enum { LIST_TEXT_MIN = 40, LIST_INDENT = 2, LIST_NARROW = 16 };

static void list_layout_init(list_layout *l, const bundle *b)
{
        struct winsize ws;
        const char *codeset;

        *l = (list_layout){ .file = 4, .table = true };
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
                /* only the character type, for wcwidth: numbers stay the C way */
                setlocale(LC_CTYPE, "");
                codeset = nl_langinfo(CODESET);
                l->cols = ws.ws_col;
                l->wide = codeset != NULL && strcmp(codeset, "UTF-8") == 0;
        }
        for (size_t k = 0; k < b->n; k++) {
                int w = utf8_columns(b->entries[k].rel, strlen(b->entries[k].rel), l->wide);

                if (w > l->file)
                        l->file = w;
        }
        if (l->cols > 0 && l->cols - LIST_INDENT < LIST_NARROW)
                l->cols = 0; /* too narrow to wrap sensibly: the terminal folds a line each */
        if (l->cols > 0) {
                l->table = l->cols - l->file - 2 >= LIST_TEXT_MIN;
                l->text = l->table ? l->cols - l->file - 2 : l->cols - LIST_INDENT;
        }
}

/* Where list_line's wrapped lines go. */
typedef struct list_wrap {
        const list_layout *l;
        int lines;
} list_wrap;

static void list_wrapped(const char *s, size_t n, void *ctx)
{
        list_wrap *w = ctx;
        int indent = w->l->table ? w->l->file + 2 : LIST_INDENT;

        /* in the table the first line goes beside the name; the others, and every line under a
         * name, are indented */
        if (w->lines++ > 0 || !w->l->table)
                printf("%*s", indent, "");
        printf("%.*s\n", (int)n, s);
}

/* One scenario (or the header): FILE, then TEXT beside it or under it (both escaped). */
static void list_line(const list_layout *l, const char *file, const char *text)
{
        int pad = l->file - utf8_columns(file, strlen(file), l->wide);
        list_wrap w = { .l = l };

        if (l->cols == 0) {
                printf("%s%*s  %s\n", file, pad, "", text);
                return;
        }
        if (l->table)
                printf("%s%*s  ", file, pad, "");
        else
                printf("%s\n", file);
        if (utf8_wrap(text, l->text, l->wide, list_wrapped, &w) == 0)
                putchar('\n');
}

static int cmd_list(int argc, char **argv)
{
        char *dir, err[512];
        bundle b;
        list_layout l;
        char **ops;
        int n, rc;

        if ((rc = operands(argc, argv, &ops, &n)) != 0)
                return rc;
        free(ops);
        if (n > 0)
                return usage_error("list takes no arguments, got '%s'", argv[1]);
        dir = bundle_data_dir();
        if (dir == NULL) {
                fprintf(stderr, "lockstep: cannot find the bundled scenarios; set "
                                "LOCKSTEP_DATA_DIR to the folder that holds scenarios/\n");
                return EXIT_USAGE;
        }
        if (bundle_open(&b, dir, err, sizeof(err)) < 0) {
                fprintf(stderr, "lockstep: %s\n", err);
                free(dir);
                return EXIT_USAGE;
        }
        list_layout_init(&l, &b);
        if (l.table)
                list_line(&l, "FILE", "TITLE — SUMMARY");
        for (size_t k = 0; k < b.n; k++) {
                const bundle_entry *e = &b.entries[k];
                /* names, titles and summaries come from files: shown, never sent raw */
                strbuf f = STRBUF_INIT, t = STRBUF_INIT;

                utf8_escape_str(&f, e->rel);
                if (e->title != NULL) {
                        utf8_escape_str(&t, e->title);
                        strbuf_puts(&t, " — ");
                        utf8_escape_str(&t, e->summary);
                } else {
                        strbuf_puts(&t, "(does not load: run lockstep check ");
                        utf8_escape_str(&t, e->path);
                        strbuf_putc(&t, ')');
                }
                list_line(&l, strbuf_str(&f), strbuf_str(&t));
                strbuf_free(&f);
                strbuf_free(&t);
        }
        bundle_close(&b);
        free(dir);
        return EXIT_OK;
}

/* Queued output beyond which a run is not pumped until its standard output takes some: a reader
 * that stopped holds the run back, and memory stays bounded. */
enum { RUN_OUTPUT_MAX = 1 << 20 };
/* Interrupted, how long the summary may wait for a reader that is slow to take it. */
enum { RUN_LAST_WORDS_MS = 1000 };

typedef struct run_output {
        const scenario *sc;
        session *s;
        bool prefix; /* [actor] before each printed line */
        bool say;    /* captions between the output lines */
        bool escape; /* standard output is a terminal: control characters are shown, not sent */
        int failed;  /* the errno of the first write to standard output that failed, or 0 */
        strbuf line;
        /* What a run writes, written only as fast as it is taken (util/outq.h), so that a
         * reader that stopped never holds the front end in a write with its signals blocked:
         * standard output's, and standard error's in the same queue when both are one file (a
         * terminal, 2>&1) so that their lines keep their order; else standard error's in a queue
         * of its own, so that the summary does not wait for a pipe's reader. */
        outq q;
        outq eq;
        bool one_file;
} run_output;

/* The queue of what goes to standard error. */
static outq *err_q(run_output *o)
{
        return o->one_file ? &o->q : &o->eq;
}

/* Whether standard output and standard error are one file. */
static bool output_one_file(void)
{
        struct stat a, b;

        return fstat(STDOUT_FILENO, &a) == 0 && fstat(STDERR_FILENO, &b) == 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static size_t output_pending(const run_output *o)
{
        return outq_pending(&o->q) + outq_pending(&o->eq);
}

/* The descriptors with bytes waiting, as POLLOUT entries into P: how many. */
static int output_polls(const run_output *o, struct pollfd *p)
{
        int n = 0;

        if (outq_fd(&o->q) >= 0)
                p[n++] = (struct pollfd){ .fd = outq_fd(&o->q), .events = POLLOUT };
        if (outq_fd(&o->eq) >= 0)
                p[n++] = (struct pollfd){ .fd = outq_fd(&o->eq), .events = POLLOUT };
        return n;
}

/* Writes what the descriptors take now. Standard output's failure, other than by a closed pipe
 * (SIGPIPE tells that), is kept in O; standard error's is not (nothing could say it). */
static void output_write(run_output *o)
{
        int e;

        outq_write(&o->q);
        outq_write(&o->eq);
        e = outq_error(&o->q, STDOUT_FILENO);
        if (o->failed == 0 && e != 0 && e != EPIPE)
                o->failed = e;
}

/* What the run's end says of O's failed output. */
static void output_why(const run_output *o, char *why, size_t n)
{
        snprintf(why, n, "standard output could not be written: %s", strerror(o->failed));
}

/* Appends N bytes of TEXT to O's line: as they are into a file or a pipe, escaped onto a terminal
 * (OUTPUT: what an actor printed, whose newlines and tabs stay). */
static void put_text(run_output *o, bool escape, bool output, const char *text, size_t n)
{
        if (!escape)
                strbuf_append(&o->line, text, n);
        else if (output)
                utf8_escape_output(&o->line, text, n);
        else
                utf8_escape(&o->line, text, n);
}

/* What `lockstep run` shows of each event: what actors print and say, and their errors. */
/* The kinds run_event writes out: the session calls it for no other (a call an event spared). */
#define RUN_EVENT_KINDS (1ull << EV_PRINT | 1ull << EV_SAY | 1ull << EV_ERROR | 1ull << EV_ASSERT)

static void run_event(const event *ev, void *ctx)
{
        run_output *o = ctx;
        const char *name;

        if (ev->kind != EV_PRINT && ev->kind != EV_SAY && ev->kind != EV_ERROR &&
            ev->kind != EV_ASSERT)
                return;
        name = ev->actor >= 0 ? scenario_actor_name(o->sc, ev->actor) : "lockstep";
        strbuf_reset(&o->line);
        switch (ev->kind) {
        case EV_PRINT:
        case EV_SAY:
                if (ev->kind == EV_SAY && !o->say)
                        break;
                if (ev->kind == EV_SAY)
                        strbuf_puts(&o->line, "# ");
                if (o->prefix) {
                        strbuf_putc(&o->line, '[');
                        put_text(o, o->escape, false, name, strlen(name));
                        strbuf_puts(&o->line, "] ");
                }
                put_text(o, o->escape, true, ev->text, ev->len);
                strbuf_putc(&o->line, '\n');
                outq_put(&o->q, STDOUT_FILENO, o->line.data, o->line.len);
                /* backed up: no more events this pump, whatever their size */
                if (output_pending(o) > RUN_OUTPUT_MAX)
                        session_hold(o->s);
                break;
        case EV_ERROR:
        case EV_ASSERT:
                /* Like the loader's errors: FILE:LINE:COL: ExceptionName: message (in ACTOR). */
                put_text(o, true, false, ev->text, ev->len);
                strbuf_puts(&o->line, " (in ");
                put_text(o, true, false, name, strlen(name));
                strbuf_puts(&o->line, ")\n");
                outq_put(err_q(o), STDERR_FILENO, o->line.data, o->line.len);
                break;
        default: break;
        }
}

/* A whole number from 0 to MAX, in decimal digits only ("1.5", "0x10" and "1e15" are not). */
static int parse_count(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;

        if (arg[0] == '\0' || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 19)
                goto bad;
        for (const char *p = arg; *p != '\0'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
        if (v < min || v > max)
                goto bad;
        *out = v;
        return 0;
bad:
        return usage_error("%s needs a whole number from %llu to %llu, not '%s'", opt,
                           (unsigned long long)min, (unsigned long long)max, arg);
}

static int parse_number(const char *opt, const char *arg, double lo, double hi, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !(v >= lo && v <= hi))
                return usage_error("%s needs a number from %g to %g, not '%s'", opt, lo, hi, arg);
        *out = v;
        return 0;
}

static const char *outcome_words(event_outcome o)
{
        switch (o) {
        case OUTCOME_DONE: return "done";
        case OUTCOME_ASSERT: return "an assertion failed";
        case OUTCOME_SCHEDULE: return "the schedule cannot be followed";
        case OUTCOME_DEADLOCK: return "deadlock";
        case OUTCOME_CRASH: return "crashed";
        case OUTCOME_TIMEOUT: return "time limit";
        case OUTCOME_LIMIT: return "a limit was reached";
        case OUTCOME_INTERRUPTED: return "interrupted";
        default: return "ended";
        }
}

/* The summary on standard error: how it ended, counts, why, who ended with an error. */
static void run_summary(session *s, run_output *o)
{
        const scenario *sc = session_scenario(s);
        const model *m = session_model(s);
        event_outcome oc = session_outcome(s);
        const char *reason = session_reason(s);
        strbuf sb = STRBUF_INIT;
        size_t nerr = model_error_count(m);
        const char *words = outcome_words(oc);

        /* "crashed" only where something crashed: errors alone are raised, not crashes */
        if (oc == OUTCOME_CRASH && model_only_raised(m))
                words = "an error ended an actor";
        strbuf_printf(&sb, "lockstep: %s: %d actor%s, %llu step%s, %llu event%s, %.3f s", words,
                      sc->nactors + 1, sc->nactors == 0 ? "" : "s",
                      (unsigned long long)session_steps(s), session_steps(s) == 1 ? "" : "s",
                      (unsigned long long)session_events(s), session_events(s) == 1 ? "" : "s",
                      session_seconds(s));
        if (oc != OUTCOME_ASSERT && session_exit_status(s) == OUTCOME_ASSERT)
                strbuf_puts(&sb, " (an assert failed too)");
        strbuf_putc(&sb, '\n');
        if (oc != OUTCOME_DONE && reason[0] != '\0') {
                strbuf_puts(&sb, "lockstep: ");
                utf8_escape_str(&sb, reason);
                strbuf_putc(&sb, '\n');
        }
        if (nerr > 0) {
                strbuf_puts(&sb, "lockstep: ended with an error: ");
                for (size_t k = 0; k < nerr; k++) {
                        const model_error *e = model_error_at(m, k);

                        if (k > 0)
                                strbuf_puts(&sb, ", ");
                        utf8_escape_str(&sb, e->actor >= 0 ? scenario_actor_name(sc, e->actor)
                                                           : "the runner");
                }
                if (model_info_of(m)->nerrors > nerr)
                        strbuf_printf(&sb, " and %llu more",
                                      (unsigned long long)(model_info_of(m)->nerrors - nerr));
                strbuf_putc(&sb, '\n');
        }
        outq_put(err_q(o), STDERR_FILENO, sb.data, sb.len);
        strbuf_free(&sb);
}

/*
 * The signals that end a run: blocked, and read from a descriptor beside the run's, so no
 * handler runs at all. A closed pipe on standard output is SIGPIPE like any other: the write
 * fails with EPIPE and the signal waits on the descriptor.
 */
static int signals_open(sigset_t *old)
{
        sigset_t set;

        sigemptyset(&set);
        sigend_add(&set);
        /* A closed pipe is always read: an ignored SIGPIPE would be discarded, blocked or not. */
        signal(SIGPIPE, SIG_DFL);
        sigaddset(&set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &set, old);
        return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* "PREFIX SIGINT" into WHY. */
static void signal_why(char *why, size_t n, const char *prefix, int signo)
{
        const char *abbrev = sigabbrev_np(signo);

        snprintf(why, n, "%s SIG%s", prefix, abbrev != NULL ? abbrev : "?");
}

/* Writes what O holds, waiting for its descriptors as long as they take (MS: at most that many
 * milliseconds, -1 without end); a signal (but a closed pipe's: its bytes are dropped) ends the
 * wait: 0, or that signal, with the rest still queued. */
static int run_drain(run_output *o, int sfd, int ms)
{
        struct timespec t0, t;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                struct pollfd p[3];
                struct signalfd_siginfo si;
                int n, wait = -1;

                output_write(o);
                if (output_pending(o) == 0)
                        return 0;
                if (ms >= 0) {
                        clock_gettime(CLOCK_MONOTONIC, &t);
                        wait = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
                                          (t.tv_nsec - t0.tv_nsec) / 1000000);
                        if (wait <= 0)
                                return 0;
                }
                n = output_polls(o, p);
                p[n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                if (poll(p, (nfds_t)n + (sfd >= 0), wait) < 0 && errno != EINTR)
                        xdie("poll: %s", strerror(errno));
                if (sfd >= 0 && (p[n].revents & POLLIN) &&
                    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGPIPE)
                        return (int)si.ssi_signo;
        }
}

/* Writes the rest of S's trace as its reader takes it; a signal (but SIGPIPE) ends the wait: 0,
 * or that signal. */
static int run_trace_drain(session *s, int sfd)
{
        for (;;) {
                struct pollfd p[2] = { { .fd = -1, .events = POLLOUT },
                                       { .fd = sfd, .events = POLLIN } };
                struct signalfd_siginfo si;

                session_trace_push(s);
                if ((p[0].fd = session_trace_fd(s)) < 0)
                        return 0;
                if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
                        xdie("poll: %s", strerror(errno));
                if (sfd >= 0 && (p[1].revents & POLLIN) &&
                    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGPIPE)
                        return (int)si.ssi_signo;
        }
}

static int cmd_run(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "seed", required_argument, NULL, 'S' },
                { "set", required_argument, NULL, 's' },
                { "trace", required_argument, NULL, 't' },
                { "speed", required_argument, NULL, 'v' },
                { "time-limit", required_argument, NULL, 'l' },
                { "max-steps", required_argument, NULL, 'm' },
                { "max-output", required_argument, NULL, 'o' },
                { "max-trace", required_argument, NULL, 'T' },
                { "prefix", no_argument, NULL, 'p' },
                { "say", no_argument, NULL, 'y' },
                { "step", no_argument, NULL, 'x' },
                { "policy", required_argument, NULL, 'P' },
                { "handoff", required_argument, NULL, 'H' },
                { "schedule", required_argument, NULL, 'r' },
                { "save-schedule", required_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        session_config cfg = { 0 };
        run_output out = { 0 };
        const char **set = xcalloc((size_t)argc + 1, sizeof(char *));
        int c, status, sfd, closed, stopped;
        unsigned fast = 0;
        bool failed, signalled = false, policy_given = false;
        strbuf err = STRBUF_INIT;
        sigset_t old;
        session *s;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                int rc = 0;

                switch (c) {
                case 'S':
                        rc = parse_count("--seed", optarg, 0, 9007199254740991ull, &cfg.seed);
                        cfg.seed_given = true;
                        break;
                case 's': set[cfg.nset++] = optarg; break;
                case 't': cfg.trace_path = optarg; break;
                case 'v': rc = parse_number("--speed", optarg, 0.001, 1e9, &cfg.speed); break;
                case 'l':
                        rc = parse_number("--time-limit", optarg, 0, 1e6, &cfg.time_limit);
                        cfg.time_limit_given = true;
                        break;
                case 'm':
                        rc = parse_count("--max-steps", optarg, 1, 9007199254740991ull,
                                         &cfg.max_steps);
                        break;
                case 'o':
                        rc = parse_count("--max-output", optarg, 1, 9007199254740991ull,
                                         &cfg.max_output);
                        break;
                case 'T':
                        rc = parse_count("--max-trace", optarg, 1, 9007199254740991ull,
                                         &cfg.max_trace);
                        break;
                case 'p': out.prefix = true; break;
                case 'y': out.say = true; break;
                case 'x': cfg.step = true; break;
                case 'P':
                        policy_given = true;
                        if (strcmp(optarg, "random") == 0)
                                cfg.policy = SESSION_RANDOM;
                        else if (strcmp(optarg, "round-robin") == 0)
                                cfg.policy = SESSION_ROUND_ROBIN;
                        else
                                rc = usage_error("--policy is random or round-robin, not '%s'",
                                                 optarg);
                        break;
                case 'H':
                        if (strcmp(optarg, "fifo") == 0 || strcmp(optarg, "barging") == 0)
                                cfg.fifo = optarg[0] == 'f';
                        else
                                rc = usage_error("--handoff is barging or fifo, not '%s'", optarg);
                        break;
                case 'r': cfg.schedule_in = optarg; break;
                case 'w': cfg.schedule_out = optarg; break;
                case 'h':
                        fputs(usage_text, stdout);
                        free(set);
                        return EXIT_OK;
                case ':': rc = usage_error("run: %s needs a value", argv[optind - 1]); break;
                default: rc = usage_error("run: unknown option '%s'", argv[optind - 1]); break;
                }
                if (rc != 0) {
                        free(set);
                        return rc;
                }
        }
        if (optind != argc - 1) {
                free(set);
                return usage_error("%s", optind >= argc ? "run needs a scenario FILE"
                                                        : "run takes one scenario FILE");
        }
        /* A schedule's moves are steps: replaying one is a stepped run, as in the TUI. */
        if (cfg.schedule_in != NULL)
                cfg.step = true;
        /* A live run has no steps to count or choose: such a flag would do nothing unsaid. */
        if (!cfg.step && (cfg.max_steps != 0 || policy_given)) {
                free(set);
                return usage_error("run: %s is for a stepped run: add --step%s",
                                   cfg.max_steps != 0 ? "--max-steps" : "--policy",
                                   cfg.max_steps != 0 ? " (a live run is ended by --time-limit)"
                                                      : "");
        }
        cfg.path = argv[optind];
        cfg.set = set;
        /* Live runs have a wall-clock limit by default; stepped runs a step budget instead. */
        if (!cfg.time_limit_given)
                cfg.time_limit = cfg.step ? 0 : SESSION_DEFAULT_TIME_LIMIT;
        cfg.on_event = run_event;
        cfg.on_event_kinds = RUN_EVENT_KINDS;
        cfg.ctx = &out;
        cfg.live_only = true;  /* nothing rewinds a headless run */
        cfg.unattended = true; /* nobody steers it: a stepped run may be scheduled in the runner */
        out.escape = isatty(STDOUT_FILENO);
        out.one_file = output_one_file();
        sfd = signals_open(&old);
        s = session_open(&cfg, &err);
        if (s == NULL) {
                fputs(strbuf_str(&err), stderr);
                strbuf_free(&err);
                free(set);
                return EXIT_USAGE;
        }
        out.sc = session_scenario(s);
        out.s = s;
        for (;;) {
                struct pollfd p[4];
                struct signalfd_siginfo si;
                int np = 0, pg = -1, timeout = -1;
                bool backed = output_pending(&out) > RUN_OUTPUT_MAX, more = false;
                /* Held back by a reader that stopped, a run still ends at its time limit. */
                double left = cfg.time_limit > 0 ? cfg.time_limit - session_seconds(s) : 0;

                if (!backed || (cfg.time_limit > 0 && left <= 0) || signalled) {
                        if (!session_pump(s))
                                break;
                        more = session_more(s);
                }
                /* A stepped run going as fast as it can: the step just granted is done, so pump
                 * again at once (the session did not arm its descriptor: it would not wake us);
                 * the signals and the output are looked at, without waiting, every
                 * SIGNAL_LOOK_EVERY such turns. */
                if (more && ++fast % SIGNAL_LOOK_EVERY != 0)
                        continue;
                /* What was printed goes out as far as it is taken: a slow run's first line comes
                 * when it is printed, and a write that fails is seen now, not after the run. */
                output_write(&out);
                /* Output that cannot be written (a full disk, a closed descriptor) ends the
                 * run, as the trace's does: nobody would see the rest. */
                if (out.failed != 0) {
                        char why[128];

                        output_why(&out, why, sizeof(why));
                        session_stop(s, why);
                        break;
                }
                backed = output_pending(&out) > RUN_OUTPUT_MAX;
                if (!backed)
                        p[np++] = (struct pollfd){ .fd = session_fd(s), .events = POLLIN };
                np += output_polls(&out, p + np);
                if (sfd >= 0)
                        p[pg = np++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                if (more)
                        timeout = 0;
                else if (backed && cfg.time_limit > 0)
                        timeout = left <= 0 ? 0 : (int)(left * 1000) + 1;
                if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
                        xdie("poll: %s", strerror(errno));
                if (pg >= 0 && (p[pg].revents & POLLIN) &&
                    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        char why[64];

                        if (si.ssi_signo == SIGPIPE)
                                snprintf(why, sizeof(why), "standard output was closed (SIGPIPE)");
                        else
                                signal_why(why, sizeof(why), "interrupted by", (int)si.ssi_signo);
                        session_interrupt(s, (int)si.ssi_signo, why);
                        signalled = true; /* pumped once more, to end */
                }
        }
        run_summary(s, &out);
        status = session_exit_status(s);
        failed = out.failed != 0;
        /* interrupted, lockstep does not wait for its output to be read */
        stopped = session_outcome(s) == OUTCOME_INTERRUPTED && session_signal(s) != SIGPIPE
                      ? session_signal(s)
                      : 0;
        /* the trace's last lines, as slowly as its reader takes them (a FIFO); a signal, or one
         * that interrupted the run, cuts them short */
        output_write(&out); /* the summary need not wait for the trace's reader */
        if (stopped == 0)
                stopped = run_trace_drain(s, sfd);
        if (stopped != 0)
                session_trace_cut(s);
        closed = session_close(s, &err);
        if (closed < 0) {
                outq_put(err_q(&out), STDERR_FILENO, err.data, err.len);
                /* a file that could not be written is what a full disk does, not a bug */
                if (closed == -2)
                        status = EXIT_INTERNAL;
                else if (status == EXIT_OK)
                        status = OUTCOME_LIMIT;
        }
        /* The rest of the output and the summary go out, as slowly as they are read, the run's
         * processes all gone by now; a signal ends the wait. A failure to write the rest, too,
         * is the run's (exit 6). */
        if (stopped == 0)
                stopped = run_drain(&out, sfd, -1);
        if (!failed && out.failed != 0) {
                char why[128];

                output_why(&out, why, sizeof(why));
                strbuf_reset(&err);
                strbuf_printf(&err, "lockstep: %s\n", why);
                outq_put(err_q(&out), STDERR_FILENO, err.data, err.len);
                if (stopped == 0)
                        stopped = run_drain(&out, sfd, -1);
        }
        if (out.failed != 0 && status == EXIT_OK)
                status = OUTCOME_LIMIT;
        if (stopped > 0) {
                /* Standard output's rest is dropped (but for the rest of a line begun) and said;
                 * the summary gets a moment to go out, which a second signal cuts short. */
                size_t lost;

                output_write(&out); /* what fits now goes */
                lost = outq_drop(&out.q, STDOUT_FILENO, true);

                if (lost > 0) {
                        char why[64];

                        signal_why(why, sizeof(why), "interrupted by", stopped);
                        strbuf_reset(&err);
                        strbuf_printf(&err, "lockstep: %s: %zu bytes of output not written\n", why,
                                      lost);
                        outq_put(err_q(&out), STDERR_FILENO, err.data, err.len);
                }
                run_drain(&out, sfd, RUN_LAST_WORDS_MS);
                status = 128 + stopped;
        }
        if (sfd >= 0)
                close(sfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        strbuf_free(&err);
        outq_free(&out.q);
        outq_free(&out.eq);
        strbuf_free(&out.line);
        free(set);
        return status;
}

/* The screen's --speed: steps a second, or "max" (0), the last of the speeds + goes through. */
static int parse_tui_speed(const char *arg, double *out)
{
        char *end;

        if (strcmp(arg, "max") == 0) {
                *out = 0;
                return 0;
        }
        errno = 0;
        *out = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !(*out >= 0.001 && *out <= 1e9))
                return usage_error("--speed is steps a second (0.001 to 1e9) or max, not '%s'",
                                   arg);
        return 0;
}

/* `lockstep FILE [--live | --schedule S] [--set NAME=VALUE]... [--seed N] [--speed X]`: the
 * scenario screen. A FILE that is neither a command nor a file that exists is most likely a
 * mistyped command. */
static int cmd_tui(int argc, char **argv)
{
        const char *path = NULL, *schedule = NULL;
        const char **set = xcalloc((size_t)argc + 1, sizeof(char *));
        tui_options o = { .set = set };
        int rc = 0;

        for (int k = 1; k < argc && rc == 0; k++) {
                const char *a = argv[k];
                bool takes = strcmp(a, "--schedule") == 0 || strcmp(a, "--set") == 0 ||
                             strcmp(a, "--seed") == 0 || strcmp(a, "--speed") == 0;

                if (takes && k + 1 >= argc)
                        rc = usage_error("%s needs a value", a);
                else if (strcmp(a, "--live") == 0)
                        o.live = true;
                else if (strcmp(a, "--schedule") == 0)
                        schedule = argv[++k];
                else if (strcmp(a, "--set") == 0)
                        set[o.nset++] = argv[++k];
                else if (strcmp(a, "--seed") == 0) {
                        rc = parse_count("--seed", argv[++k], 0, 9007199254740991ull, &o.seed);
                        o.seed_given = true;
                } else if (strcmp(a, "--speed") == 0) {
                        o.speed_given = true;
                        rc = parse_tui_speed(argv[++k], &o.speed);
                } else if (a[0] == '-' && a[1] != '\0')
                        rc = usage_error("unknown option '%s'", a);
                else if (path != NULL)
                        rc = usage_error("%s", "lockstep opens one scenario FILE");
                else
                        path = a;
        }
        /* the schedule's moves are a stepped run's: a live one has the operating system's */
        if (rc == 0 && o.live && schedule != NULL)
                rc = usage_error("%s", "--live and --schedule go apart: a schedule's moves are "
                                       "made stepped (drop --live), a live run's by the "
                                       "operating system");
        if (rc == 0 && path == NULL &&
            (o.nset > 0 || o.seed_given || o.speed_given || o.live || schedule))
                rc = usage_error("%s", "--live, --schedule, --set, --seed and --speed need a "
                                       "scenario FILE");
        if (rc == 0 && path != NULL && access(path, F_OK) != 0 && strchr(path, '/') == NULL &&
            (strlen(path) < 5 || strcmp(path + strlen(path) - 5, ".json") != 0))
                rc = usage_error("unknown command '%s'", path);
        if (rc == 0) {
                o.path = path;
                o.schedule = schedule;
                rc = tui_main(&o);
        }
        free(set);
        return rc;
}

/* `lockstep replay TRACE`: a trace written by run --trace, viewed and scrubbed in the TUI. */
static int cmd_replay(int argc, char **argv)
{
        char **ops;
        int n, rc;

        if ((rc = operands(argc, argv, &ops, &n)) != 0)
                return rc;
        if (n != 1) {
                free(ops);
                return usage_error("%s", "replay takes one TRACE file");
        }
        rc = tui_main(&(tui_options){ .replay = ops[0] });
        free(ops);
        return rc;
}

typedef struct command {
        const char *name;
        int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
        { .name = "run", .run = cmd_run },
        { .name = "check", .run = cmd_check },
        { .name = "list", .run = cmd_list },
        { .name = "replay", .run = cmd_replay },
};

/*
 * A standard descriptor closed when lockstep starts (`lockstep run X >&-`) would be the next one
 * opened — the scenario, the session's eventfd — and what the actors print would go there. Each
 * becomes /dev/null opened the other way, so that using it fails (EBADF), as with it closed.
 */
static void std_fds_open(void)
{
        for (int fd = 0; fd <= 2; fd++) {
                int got;

                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
                if (got >= 0 && got != fd) {
                        dup2(got, fd);
                        close(got);
                }
        }
}

int main(int argc, char **argv)
{
        std_fds_open();
        /* no terminal (a pipe, a script): the list the browser would show */
        if (argc < 2)
                return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? tui_main(&(tui_options){ 0 })
                                                                     : cmd_list(1, argv);
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(usage_text, stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("lockstep %s\n", LOCKSTEP_VERSION);
                return EXIT_OK;
        }
        for (size_t k = 0; k < sizeof(commands) / sizeof(*commands); k++)
                if (strcmp(argv[1], commands[k].name) == 0)
                        return commands[k].run(argc - 1, argv + 1);
        return cmd_tui(argc, argv);
}
