/*
 * test_pidwatch.c — the runner's watch on a helper process: a helper killed from outside ends the
 * watching process with the watch's status at once; one ended by the run itself (stopping first)
 * does not, and the watch then ends cleanly. Each case runs in a forked "runner", since the watch
 * ends its whole process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/pidwatch.h"

/* In a forked runner: forks a helper that waits to be killed, watches it with status 42, then
 * kills it, after pidwatch_stopping when STOP. The runner's exit status, or -1. */
static int runner(bool stop)
{
        pid_t r = fork();
        int st;

        if (r == 0) {
                pidwatch w;
                pid_t helper = fork();

                if (helper == 0) {
                        for (;;)
                                pause();
                }
                pidwatch_start(&w, helper, 42);
                if (!pidwatch_on(&w))
                        _exit(43); /* no pidfds here */
                if (stop)
                        pidwatch_stopping(&w);
                kill(helper, SIGKILL);
                waitpid(helper, NULL, 0);
                pidwatch_end(&w); /* the watch has seen the end by now: its exit, or none */
                _exit(0);
        }
        if (waitpid(r, &st, 0) != r || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

static void test_killed_from_outside_ends_the_runner(void **state)
{
        (void)state;
        for (int k = 0; k < 20; k++)
                assert_int_equal(runner(false), 42);
}

static void test_stopping_first_is_no_fault(void **state)
{
        (void)state;
        for (int k = 0; k < 20; k++)
                assert_int_equal(runner(true), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_killed_from_outside_ends_the_runner),
                cmocka_unit_test(test_stopping_first_is_no_fault),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
