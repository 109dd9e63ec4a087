/*
 * main.c — lockstep's command line: parses the arguments and dispatches to a subcommand.
 *
 * Each subcommand is one entry of a table (name, handler, one-line usage); usage errors print
 * the usage and exit 2, as documented in `lockstep --help` and docs/cli.md.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "scenario/bundle.h"
#include "scenario/diag.h"
#include "scenario/scenario.h"
#include "util/xalloc.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: lockstep [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "  lockstep check FILE...   validate scenario files; errors as FILE:LINE:COL: error: ...\n"
    "  lockstep list            the bundled scenarios: file, title, summary\n"
    "  lockstep --help          this text\n"
    "  lockstep --version       the version\n"
    "\n"
    "Exit status: 0 success, 2 a usage error or an invalid scenario.\n"
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

typedef struct command {
        const char *name;
        int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
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
        return usage_error("unknown command '%s'", argv[1]);
}
