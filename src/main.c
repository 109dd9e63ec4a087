/*
 * main.c — lockstep's command line: parses the arguments and dispatches to a subcommand.
 *
 * Each subcommand is one entry of a table (name, handler, one-line usage); usage errors print
 * the usage and exit 2, as documented in `lockstep --help` and docs/cli.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine/engine.h"
#include "scenario/bundle.h"
#include "scenario/diag.h"
#include "scenario/scenario.h"
#include "session/schedule.h"
#include "session/session.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2 };

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
    "  lockstep run FILE [OPTIONS]\n"
    "                           run a scenario headless: print what the actors print, then\n"
    "                           a summary on stderr\n"
    "      --seed N             seed for every actor's random() (default 1)\n"
    "      --set NAME=VALUE     override a constant of the scenario (repeatable)\n"
    "      --trace FILE         write every event as JSON Lines (docs/trace-format.md)\n"
    "      --speed X            at most X steps per second per actor (default: no limit)\n"
    "      --time-limit S       stop after S seconds (default 60; 0: no limit)\n"
    "      --prefix             start each printed line with [actor name]\n"
    "      --step               lockstep is the scheduler: one step at a time, the same\n"
    "                           choices give the same run (default policy: random)\n"
    "      --policy P           step mode: random (seeded by --seed) or round-robin\n"
    "      --schedule FILE      step mode: replay the moves in FILE first\n"
    "      --save-schedule FILE write the order in which actors moved (live or step)\n"
    "  lockstep check FILE...   validate scenario files; errors as FILE:LINE:COL: error: ...\n"
    "  lockstep list            the bundled scenarios: file, title, summary\n"
    "  lockstep --help          this text\n"
    "  lockstep --version       the version\n"
    "\n"
    "Exit status of run: 0 finished and every assert held, 1 an assert failed, 2 a usage or\n"
    "scenario error, 3 deadlock, 4 an actor crashed or raised an error, 5 the time limit.\n"
    "Exit status of check and list: 0 success, 2 a usage error or an invalid scenario.\n"
    "Scenario format: docs/scenario-format.md. Bundled scenarios: lockstep list.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("lockstep: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\n\n", stderr);
        fputs(usage_text, stderr);
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
                diag d;
                scenario *sc;

                diag_init(&d, DIAG_DEFAULT_CAP);
                sc = scenario_load(files[k], NULL, &d);
                if (sc == NULL) {
                        fflush(stdout);
                        diag_print(&d, stderr);
                        status = EXIT_USAGE;
                } else {
                        printf("%s: ok (%d actor%s, %d resource%s, %d statement%s)\n", files[k],
                               sc->nactors, sc->nactors == 1 ? "" : "s", sc->nresources,
                               sc->nresources == 1 ? "" : "s", sc->nstmts,
                               sc->nstmts == 1 ? "" : "s");
                        scenario_free(sc);
                }
                diag_free(&d);
        }
        free(files);
        return status;
}

static int cmd_list(int argc, char **argv)
{
        char *dir, err[512];
        bundle b;
        size_t w = 4;
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
        for (size_t k = 0; k < b.n; k++)
                if (strlen(b.entries[k].rel) > w)
                        w = strlen(b.entries[k].rel);
        printf("%-*s  %s\n", (int)w, "FILE", "TITLE — SUMMARY");
        for (size_t k = 0; k < b.n; k++) {
                const bundle_entry *e = &b.entries[k];

                if (e->title != NULL)
                        printf("%-*s  %s — %s\n", (int)w, e->rel, e->title, e->summary);
                else
                        printf("%-*s  (does not load: run lockstep check %s)\n", (int)w, e->rel,
                               e->path);
        }
        bundle_close(&b);
        free(dir);
        return EXIT_OK;
}

/* Reads a whole file (at most SC_MAX_FILE_BYTES + 1 bytes, so the loader can say it is too big). */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
        FILE *f = fopen(path, "rb");
        strbuf sb = STRBUF_INIT;
        char buf[65536];
        size_t n;

        if (f == NULL) {
                snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
                return NULL;
        }
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len <= SC_MAX_FILE_BYTES)
                strbuf_append(&sb, buf, n);
        if (ferror(f)) {
                snprintf(err, errlen, "%s: error: cannot read: %s", path, strerror(errno));
                fclose(f);
                strbuf_free(&sb);
                return NULL;
        }
        fclose(f);
        *len = sb.len;
        return strbuf_detach(&sb);
}

typedef struct run_output {
        const scenario *sc;
        bool prefix;
        unsigned long steps, events;
} run_output;

/* What `lockstep run` shows of each event: what actors print, and their errors. */
static void run_event(const event *ev, void *ctx)
{
        run_output *o = ctx;

        o->events++;
        if (ev->kind == EV_STEP || (ev->flags & EVENT_BEGINS_STEP))
                o->steps++;
        switch (ev->kind) {
        case EV_PRINT:
                if (o->prefix)
                        printf("[%s] ", scenario_actor_name(o->sc, ev->actor));
                fwrite(ev->text, 1, ev->len, stdout);
                putchar('\n');
                break;
        case EV_ERROR:
        case EV_ASSERT:
                fflush(stdout);
                fprintf(stderr, "Exception in %s: %s\n", scenario_actor_name(o->sc, ev->actor),
                        ev->text);
                break;
        default: break;
        }
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

static int cmd_run(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "seed", required_argument, NULL, 'S' },
                { "set", required_argument, NULL, 's' },
                { "trace", required_argument, NULL, 't' },
                { "speed", required_argument, NULL, 'v' },
                { "time-limit", required_argument, NULL, 'l' },
                { "prefix", no_argument, NULL, 'p' },
                { "step", no_argument, NULL, 'x' },
                { "policy", required_argument, NULL, 'P' },
                { "schedule", required_argument, NULL, 'r' },
                { "save-schedule", required_argument, NULL, 'w' },
                { NULL, 0, NULL, 0 },
        };
        session_options so = { .time_limit = SESSION_DEFAULT_TIME_LIMIT };
        scenario_options lo = { 0 };
        run_output out = { 0 };
        const char **set = xcalloc((size_t)argc + 1, sizeof(char *));
        int nset = 0, c, status;
        double seed = ENGINE_DEFAULT_SEED, speed = 0;
        char err[512], *text;
        size_t len;
        diag d;
        scenario *sc;
        session *s;
        const char *why;
        const char *schedule_in = NULL, *schedule_out = NULL;
        int *moves = NULL;
        size_t nmoves = 0;

        so.engine.seed = ENGINE_DEFAULT_SEED;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                int rc = 0;

                switch (c) {
                case 'S': rc = parse_number("--seed", optarg, 0, 9007199254740991.0, &seed); break;
                case 's': set[nset++] = optarg; break;
                case 't': so.trace_path = optarg; break;
                case 'v': rc = parse_number("--speed", optarg, 0, 1e9, &speed); break;
                case 'l': rc = parse_number("--time-limit", optarg, 0, 1e9, &so.time_limit); break;
                case 'p': out.prefix = true; break;
                case 'x': so.step = true; break;
                case 'P':
                        if (strcmp(optarg, "random") == 0)
                                so.policy = SESSION_RANDOM;
                        else if (strcmp(optarg, "round-robin") == 0)
                                so.policy = SESSION_ROUND_ROBIN;
                        else
                                rc = usage_error("--policy is random or round-robin, not '%s'",
                                                 optarg);
                        break;
                case 'r': schedule_in = optarg; break;
                case 'w':
                        schedule_out = optarg;
                        so.record = true;
                        break;
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
        text = read_file(argv[optind], &len, err, sizeof(err));
        if (text == NULL) {
                fprintf(stderr, "%s\n", err);
                free(set);
                return EXIT_USAGE;
        }
        lo.set = set;
        lo.nset = nset;
        diag_init(&d, DIAG_DEFAULT_CAP);
        sc = scenario_load_text(argv[optind], text, len, &lo, &d);
        if (sc == NULL) {
                diag_print(&d, stderr);
                diag_free(&d);
                free(text);
                free(set);
                return EXIT_USAGE;
        }
        diag_free(&d);
        if (schedule_in != NULL && !so.step) {
                scenario_free(sc);
                free(text);
                free(set);
                return usage_error("%s", "--schedule needs --step");
        }
        if (schedule_in != NULL) {
                schedule sched;

                diag_init(&d, DIAG_DEFAULT_CAP);
                if (schedule_read(schedule_in, &sched, &d) < 0 ||
                    schedule_resolve(&sched, sc, &moves, &d) < 0) {
                        schedule_free(&sched);
                        diag_print(&d, stderr);
                        diag_free(&d);
                        scenario_free(sc);
                        free(text);
                        free(set);
                        return EXIT_USAGE;
                }
                diag_free(&d);
                nmoves = sched.n;
                schedule_free(&sched);
                so.schedule = moves;
                so.nschedule = nmoves;
        }
        if ((why = engine_unsupported(sc)) != NULL) {
                fprintf(stderr,
                        "lockstep: %s uses %s, which this version of lockstep cannot run yet "
                        "(it can check the file: lockstep check %s)\n",
                        argv[optind], why, argv[optind]);
                scenario_free(sc);
                free(text);
                free(set);
                return EXIT_USAGE;
        }
        so.engine.seed = (uint64_t)seed;
        so.engine.step_delay = speed > 0 ? 1.0 / speed : 0;
        so.engine.cpu_count = (int)sysconf(_SC_NPROCESSORS_ONLN);
        so.source = text;
        so.source_len = len;
        so.set = set;
        so.nset = nset;
        so.on_event = run_event;
        so.ctx = &out;
        out.sc = sc;
        s = session_start(sc, &so, err, sizeof(err));
        if (s == NULL) {
                fprintf(stderr, "lockstep: %s\n", err);
                scenario_free(sc);
                free(text);
                free(set);
                return EXIT_USAGE;
        }
        while (session_pump(s, 50))
                ;
        fflush(stdout);
        status = session_outcome(s);
        {
                const char *reason = session_reason(s);

                fprintf(stderr, "lockstep: %s: %d actor%s, %lu steps, %lu events, %.3f s\n",
                        status == OUTCOME_DONE       ? "done"
                        : status == OUTCOME_ASSERT   ? "an assertion failed"
                        : status == OUTCOME_DEADLOCK ? "deadlock"
                        : status == OUTCOME_CRASH    ? "crashed"
                        : status == OUTCOME_SCHEDULE ? "the schedule cannot be followed"
                                                     : "time limit",
                        sc->nactors + 1, sc->nactors == 0 ? "" : "s", out.steps, out.events,
                        session_seconds(s));
                if (status != OUTCOME_DONE && reason[0] != '\0')
                        fprintf(stderr, "lockstep: %s\n", reason);
        }
        if (schedule_out != NULL) {
                size_t n;
                const int *done = session_schedule(s, &n);

                if (schedule_write(schedule_out, sc, done, n, so.engine.seed, set, nset, err,
                                   sizeof(err)) < 0) {
                        fprintf(stderr, "lockstep: %s\n", err);
                        if (status == OUTCOME_DONE)
                                status = EXIT_USAGE;
                }
        }
        if (session_close(s, err, sizeof(err)) < 0) {
                fprintf(stderr, "lockstep: %s\n", err);
                if (status == OUTCOME_DONE)
                        status = EXIT_USAGE;
        }
        scenario_free(sc);
        free(text);
        free(set);
        free(moves);
        return status;
}

typedef struct command {
        const char *name;
        int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
        { .name = "run", .run = cmd_run },
        { .name = "check", .run = cmd_check },
        { .name = "list", .run = cmd_list },
};

int main(int argc, char **argv)
{
        if (argc < 2)
                return cmd_list(1, argv);
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
        if (argv[1][0] == '-')
                return usage_error("unknown option '%s'", argv[1]);
        if (strlen(argv[1]) > 5 && strcmp(argv[1] + strlen(argv[1]) - 5, ".json") == 0) {
                /* `lockstep FILE.json` will open the TUI; until it exists, say what works */
                fprintf(stderr,
                        "lockstep: the terminal UI is not built yet; to run %s headless:\n"
                        "  lockstep run %s            (live)\n"
                        "  lockstep run --step %s     (one step at a time, reproducible)\n",
                        argv[1], argv[1], argv[1]);
                return EXIT_USAGE;
        }
        return usage_error("unknown command '%s'", argv[1]);
}
