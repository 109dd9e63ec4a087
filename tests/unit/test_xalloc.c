/*
 * test_xalloc.c — the fatal exit: exit() in the process lockstep started as, _exit() in a forked
 * child, which must neither run the front end's atexit handlers (the terminal restore) nor write
 * the stdio buffers it copied at the fork.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/xalloc.h"

static int atexit_fd = -1;

/* Stands for the TUI's terminal restore. */
static void restore_terminal(void)
{
        if (write(atexit_fd, "atexit ran", 10) < 0)
                abort();
}

/* Everything readable on FD (its write end closed) as a string. */
static char *slurp(int fd)
{
        static char buf[4096];
        size_t len = 0;
        ssize_t n;

        while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        return buf;
}

static void test_front_end_is_not_a_child(void **state)
{
        pid_t pid;
        int status;

        (void)state;
        assert_false(xalloc_in_child());
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(xalloc_in_child() ? 0 : 1);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* The child stands for the runner: it holds unflushed output and an atexit handler, then dies of
 * a broken invariant. */
static void test_child_uses_exit_without_handlers(void **state)
{
        int out[2], err[2], ran[2], status;
        pid_t pid;

        (void)state;
        assert_int_equal(pipe(out), 0);
        assert_int_equal(pipe(err), 0);
        assert_int_equal(pipe(ran), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static char obuf[4096];

                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                atexit_fd = ran[1];
                setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
                fputs("buffered output of the front end", stdout);
                atexit(restore_terminal);
                xdie("broken invariant %d", 7);
        }
        close(out[1]);
        close(err[1]);
        close(ran[1]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 70);
        assert_string_equal(slurp(err[0]), "lockstep: fatal: broken invariant 7\n");
        assert_string_equal(slurp(out[0]), "");
        assert_string_equal(slurp(ran[0]), "");
        close(out[0]);
        close(err[0]);
        close(ran[0]);
}

/* A message longer than the child's buffer is cut, still on one line. */
static void test_child_long_message(void **state)
{
        int err[2], status;
        pid_t pid;
        char *got;

        (void)state;
        assert_int_equal(pipe(err), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char big[2000];

                memset(big, 'x', sizeof big - 1);
                big[sizeof big - 1] = '\0';
                dup2(err[1], STDERR_FILENO);
                xdie("%s", big);
        }
        close(err[1]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), 70);
        got = slurp(err[0]);
        assert_int_equal(strlen(got), 511); /* the 512-byte buffer, less its NUL */
        assert_memory_equal(got, "lockstep: fatal: xxx", 20);
        assert_ptr_equal(strchr(got, '\n'), got + 510);
        close(err[0]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_front_end_is_not_a_child),
                cmocka_unit_test(test_child_uses_exit_without_handlers),
                cmocka_unit_test(test_child_long_message),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
