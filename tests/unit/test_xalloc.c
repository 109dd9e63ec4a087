/*
 * test_xalloc.c — the fatal exit: exit() in the process lockstep started as, _exit() in a forked
 * child, which must neither run the front end's atexit handlers (the terminal restore) nor write
 * the stdio buffers it copied at the fork; and xpopulate, which maps exactly the pages that hold
 * a range.
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
#include <sys/mman.h>
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

/* Which of the PAGES pages from P are mapped in this process (/proc/self/pagemap's bit 63). */
static void mapped(const char *p, size_t pages, bool *out)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        uint64_t entry[16];
        int fd = open("/proc/self/pagemap", O_RDONLY);

        assert_true(fd >= 0);
        assert_true(pages <= sizeof entry / sizeof entry[0]);
        assert_int_equal(pread(fd, entry, pages * sizeof entry[0],
                               (off_t)((uintptr_t)p / page * sizeof entry[0])),
                         (ssize_t)(pages * sizeof entry[0]));
        close(fd);
        for (size_t i = 0; i < pages; i++)
                out[i] = entry[i] >> 63;
}

/* A range from 100 bytes into page 2 to 100 bytes into page 4 maps pages 2, 3 and 4 (each holds
 * a byte of it) and no other, and leaves what they hold as it was. */
static void test_populate_maps_the_pages_of_a_range(void **state)
{
        enum { PAGES = 8 };
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        char *p =
            mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        bool m[PAGES];
        pid_t pid;
        int status;

        (void)state;
        assert_true(p != MAP_FAILED);
        p[3 * page + 7] = 'x';
        /* a child: it gets no page table entries for the shared mapping, so none is mapped */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                mapped(p, PAGES, m);
                for (int i = 0; i < PAGES; i++)
                        if (m[i])
                                _exit(2);
                if (!xpopulate(p + 2 * page + 100, 2 * page))
                        _exit(3); /* a kernel before 5.14 */
                mapped(p, PAGES, m);
                for (int i = 0; i < PAGES; i++)
                        if (m[i] != (i >= 2 && i <= 4))
                                _exit(10 + i);
                _exit(p[3 * page + 7] == 'x' && p[2 * page] == 0 ? 0 : 4);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        munmap(p, PAGES * page);
        if (WEXITSTATUS(status) == 3)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_front_end_is_not_a_child),
                cmocka_unit_test(test_child_uses_exit_without_handlers),
                cmocka_unit_test(test_child_long_message),
                cmocka_unit_test(test_populate_maps_the_pages_of_a_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
