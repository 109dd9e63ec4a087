/*
 * test_limits.c — the runner's limits (engine_limit): each is set, soft and hard, and the total
 * cap on values follows LOCKSTEP_MAX_VALUE_MIB. Each check runs in a forked child, as the
 * runner does, so the test process keeps its own limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "scenario/value.h"

/* Runs FN in a child; the test fails unless it exits 0 (its exit status names the check). */
static void in_child(int (*fn)(void))
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0)
                _exit(fn());
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static int limits(void)
{
        struct rlimit rl;
        unsigned long running, tasks;
        FILE *f = fopen("/proc/loadavg", "r");

        if (f == NULL || fscanf(f, "%*s %*s %*s %lu/%lu", &running, &tasks) != 2)
                return 90;
        fclose(f);
        engine_limit();
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max > ENGINE_LIMIT_FILES ||
            rl.rlim_cur > rl.rlim_max)
                return 1;
        if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
                return 2;
        if (getrlimit(RLIMIT_CPU, &rl) != 0 || rl.rlim_max > ENGINE_LIMIT_CPU + 10 ||
            rl.rlim_cur + 10 != rl.rlim_max)
                return 3;
        if (getrlimit(RLIMIT_NPROC, &rl) != 0 || rl.rlim_max != rl.rlim_cur ||
            rl.rlim_max > tasks + ENGINE_LIMIT_NPROCS + 64)
                return 4;
        if (!ENGINE_SANITIZED && (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_max > ENGINE_LIMIT_AS ||
                                  rl.rlim_cur != rl.rlim_max))
                return 5;
        /* nothing in the run can lift them again (root could: it is not checked as root) */
        if (geteuid() != 0) {
                getrlimit(RLIMIT_NOFILE, &rl);
                rl.rlim_max += 1;
                if (setrlimit(RLIMIT_NOFILE, &rl) == 0 || errno != EPERM)
                        return 6;
        }
        return 0;
}

static void test_limits(void **state)
{
        (void)state;
        in_child(limits);
}

static int value_cap(void)
{
        char err[128];
        value s;

        setenv("LOCKSTEP_MAX_VALUE_MIB", "4", 1);
        engine_limit();
        if (value_memory_check(err, sizeof err) != 0)
                return 1;
        s = value_str(NULL, 0);
        value_drop(&s);
        {
                char *buf = calloc(1, 5u << 20);

                s = value_str(buf, 5u << 20);
                free(buf);
        }
        if (value_memory_check(err, sizeof err) != -1)
                return 2;
        value_drop(&s);
        return value_memory_check(err, sizeof err) == 0 ? 0 : 3;
}

static void test_value_cap(void **state)
{
        (void)state;
        in_child(value_cap);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_value_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
