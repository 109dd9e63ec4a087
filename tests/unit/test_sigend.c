/*
 * test_sigend.c — the signals that end lockstep: the ones from outside are in the set, faults and
 * SIGPIPE are not, a signal ignored on entry stays out, and a blocked one is seen pending.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>

#include "util/sigend.h"

static void test_the_set(void **state)
{
        static const int in[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                  SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGPROF };
        static const int out[] = { SIGSEGV, SIGBUS,  SIGFPE,   SIGILL,  SIGABRT,
                                   SIGPIPE, SIGCHLD, SIGWINCH, SIGKILL, SIGSTOP };
        sigset_t set;

        (void)state;
        /* a job started in the background by a shell that is not interactive (CI) ignores
         * SIGINT and SIGQUIT from its start, and those rightly stay out: start from the default */
        for (size_t k = 0; k < sizeof(in) / sizeof(*in); k++)
                signal(in[k], SIG_DFL);
        sigemptyset(&set);
        sigend_add(&set);
        for (size_t k = 0; k < sizeof(in) / sizeof(*in); k++)
                assert_int_equal(sigismember(&set, in[k]), 1);
        for (size_t k = 0; k < sizeof(out) / sizeof(*out); k++)
                assert_int_equal(sigismember(&set, out[k]), 0);
}

static void test_ignored_stays_out(void **state)
{
        sigset_t set;

        (void)state;
        signal(SIGUSR2, SIG_IGN);
        sigemptyset(&set);
        sigend_add(&set);
        assert_int_equal(sigismember(&set, SIGUSR2), 0);
        assert_int_equal(sigismember(&set, SIGUSR1), 1);
        signal(SIGUSR2, SIG_DFL);
}

static void test_pending(void **state)
{
        sigset_t set, old;
        siginfo_t si;
        struct timespec none = { 0 };

        (void)state;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, &old);
        assert_false(sigend_pending());
        /* a pending SIGCHLD ends nothing */
        raise(SIGCHLD);
        assert_false(sigend_pending());
        raise(SIGUSR1);
        assert_true(sigend_pending());
        /* taken, it is no longer pending */
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        assert_int_equal(sigtimedwait(&set, &si, &none), SIGUSR1);
        assert_false(sigend_pending());
        sigaddset(&set, SIGCHLD);
        (void)sigtimedwait(&set, &si, &none);
        sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_set),
                cmocka_unit_test(test_ignored_stays_out),
                cmocka_unit_test(test_pending),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
