/*
 * measure.c — runs one command and reports its wall time and peak memory, for bench/compare.sh
 * (`make bench`): the same yardstick for lockstep, CPython and the raw C floor.
 *
 * usage: measure OUT COMMAND [ARGS...]
 * COMMAND gets this process's stdin, stdout and stderr. When it exits, OUT gets one line
 * "SECONDS MAXRSS_KB STATUS": the wall time from the fork to its exit (CLOCK_MONOTONIC), the peak
 * resident set of the largest single process of its whole tree, and its exit status (128 + N when
 * killed by signal N). The peak is getrusage(RUSAGE_CHILDREN)'s ru_maxrss, which the kernel folds
 * up the tree as each process is waited for: the largest one, not the sum of them all. This
 * process is made a child subreaper, so that a process orphaned in the tree is waited for here
 * (and counted) instead of by init.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        struct rusage ru;
        double start, seconds = 0;
        int status = 0, code = 0;
        pid_t child, pid;
        FILE *out;

        if (argc < 3) {
                fprintf(stderr, "usage: measure OUT COMMAND [ARGS...]\n");
                return 2;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
                perror("measure: PR_SET_CHILD_SUBREAPER (orphans will not be counted)");
        start = now();
        child = fork();
        if (child < 0) {
                perror("measure: fork");
                return 1;
        }
        if (child == 0) {
                execvp(argv[2], argv + 2);
                fprintf(stderr, "measure: cannot run %s\n", argv[2]);
                _exit(127);
        }
        /* COMMAND first, then whatever it left behind, until there is nothing left to wait for */
        while ((pid = wait(&status)) != -1 || errno == EINTR) {
                if (pid != child)
                        continue;
                seconds = now() - start;
                code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        }
        getrusage(RUSAGE_CHILDREN, &ru);
        out = fopen(argv[1], "w");
        if (out == NULL) {
                perror(argv[1]);
                return 1;
        }
        fprintf(out, "%.6f %ld %d\n", seconds, ru.ru_maxrss, code);
        return fclose(out) == 0 ? 0 : 1;
}
