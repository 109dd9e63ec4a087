/*
 * test_outq.c — output queued for descriptors that may stall: a full pipe never blocks a write
 * (a test that blocked would hang to its timeout), the order kept across two descriptors, every
 * byte once and in order through a pipe read slowly, a regular file in one go, a closed reader
 * dropping only its own bytes, and a queue that never empties staying bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/outq.h"

/* Fills the pipe whose write end is FD until it takes nothing more: the number of bytes. */
static size_t fill(int fd)
{
        char block[4096];
        size_t n = 0;
        ssize_t w;

        memset(block, 'f', sizeof(block));
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        while ((w = write(fd, block, sizeof(block))) > 0 || (w < 0 && errno == EINTR))
                n += w > 0 ? (size_t)w : 0;
        assert_true(errno == EAGAIN);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return n;
}

/* Reads what FD has now, at most N bytes, into BUF: the number read. */
static size_t take(int fd, char *buf, size_t n)
{
        ssize_t r;

        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        r = read(fd, buf, n);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return r > 0 ? (size_t)r : 0;
}

static void test_full_pipe_waits_and_keeps_order(void **state)
{
        int a[2], b[2];
        size_t filled;
        char *buf;
        outq q = { 0 };

        (void)state;
        assert_int_equal(pipe(a), 0);
        assert_int_equal(pipe(b), 0);
        filled = fill(a[1]);
        buf = malloc(filled + 16);
        outq_put(&q, a[1], "one ", 4);
        outq_put(&q, b[1], "two ", 4);
        outq_put(&q, a[1], "three", 5);
        assert_int_equal(outq_pending(&q), 13);
        /* A is full: nothing goes, and B's bytes wait behind A's */
        assert_int_equal(outq_write(&q), 1);
        assert_int_equal(outq_fd(&q), a[1]);
        assert_int_equal(outq_pending(&q), 13);
        assert_int_equal(take(b[0], buf, 16), 0);
        /* A read: everything goes, in order */
        assert_int_equal(take(a[0], buf, filled), filled);
        assert_int_equal(outq_write(&q), 0);
        assert_int_equal(outq_fd(&q), -1);
        assert_int_equal(take(a[0], buf, 16), 9);
        assert_memory_equal(buf, "one three", 9);
        assert_int_equal(take(b[0], buf, 16), 4);
        assert_memory_equal(buf, "two ", 4);
        free(buf);
        outq_free(&q);
        close(a[0]);
        close(a[1]);
        close(b[0]);
        close(b[1]);
}

static void test_slow_reader_gets_every_byte(void **state)
{
        enum { N = 1 << 20 };
        char *in = malloc(N), *out = malloc(N), piece[1000];
        size_t got = 0;
        int p[2], rounds = 0;
        outq q = { 0 };

        (void)state;
        for (size_t k = 0; k < N; k++)
                in[k] = (char)(k * 7 + k / 251);
        assert_int_equal(pipe(p), 0);
        /* put in pieces of odd sizes, as lines come */
        for (size_t k = 0; k < N; k += 777)
                outq_put(&q, p[1], in + k, k + 777 <= N ? 777 : N - k);
        assert_int_equal(outq_pending(&q), N);
        while (got < N) {
                int rc = outq_write(&q);

                assert_true(rc == 0 || rc == 1);
                got += take(p[0], out + got, sizeof(piece));
                rounds++;
        }
        assert_int_equal(outq_pending(&q), 0);
        assert_memory_equal(in, out, N);
        /* read a thousand bytes at a time: never all at once */
        assert_true(rounds >= N / 1000);
        free(in);
        free(out);
        outq_free(&q);
        close(p[0]);
        close(p[1]);
}

static void test_regular_file_at_once(void **state)
{
        enum { N = 300000 };
        FILE *f = tmpfile();
        char *in = malloc(N), *out = malloc(N);
        outq q = { 0 };

        (void)state;
        memset(in, 'x', N);
        in[N - 1] = 'y';
        outq_put(&q, fileno(f), in, N);
        assert_int_equal(outq_write(&q), 0);
        assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
        assert_int_equal(read(fileno(f), out, N), N);
        assert_memory_equal(in, out, N);
        free(in);
        free(out);
        outq_free(&q);
        fclose(f);
}

static void test_closed_reader_drops_its_own(void **state)
{
        int a[2], b[2];
        char buf[16];
        outq q = { 0 };

        (void)state;
        signal(SIGPIPE, SIG_IGN);
        assert_int_equal(pipe(a), 0);
        assert_int_equal(pipe(b), 0);
        close(a[0]);
        outq_put(&q, a[1], "lost", 4);
        outq_put(&q, b[1], "kept", 4);
        outq_put(&q, a[1], "lost too", 8);
        assert_int_equal(outq_write(&q), -1);
        assert_int_equal(outq_error(&q, a[1]), EPIPE);
        assert_int_equal(outq_error(&q, b[1]), 0);
        assert_int_equal(outq_pending(&q), 0);
        assert_int_equal(take(b[0], buf, sizeof(buf)), 4);
        assert_memory_equal(buf, "kept", 4);
        /* what comes later for the closed one is dropped at once; the other's still goes */
        outq_put(&q, a[1], "later", 5);
        assert_int_equal(outq_pending(&q), 0);
        outq_put(&q, b[1], "more", 4);
        assert_int_equal(outq_write(&q), 0);
        assert_int_equal(take(b[0], buf, sizeof(buf)), 4);
        assert_memory_equal(buf, "more", 4);
        outq_free(&q);
        close(a[1]);
        close(b[0]);
        close(b[1]);
}

static void test_drop(void **state)
{
        int p[2];
        outq q = { 0 };

        (void)state;
        assert_int_equal(pipe(p), 0);
        fill(p[1]);
        outq_put(&q, p[1], "abc", 3);
        outq_put(&q, STDERR_FILENO, "de", 2);
        assert_int_equal(outq_write(&q), 1);
        assert_int_equal(outq_drop(&q, -1, true), 5);
        assert_int_equal(outq_pending(&q), 0);
        assert_int_equal(outq_fd(&q), -1);
        assert_int_equal(outq_write(&q), 0);
        outq_free(&q);
        close(p[0]);
        close(p[1]);
}

/* Dropping one descriptor's bytes keeps the others', in order, from where their writing was. */
static void test_drop_one(void **state)
{
        int a[2], b[2];
        size_t filled;
        char *buf;
        outq q = { 0 };

        (void)state;
        assert_int_equal(pipe(a), 0);
        assert_int_equal(pipe(b), 0);
        filled = fill(a[1]);
        buf = malloc(filled + 16);
        outq_put(&q, b[1], "first ", 6);
        outq_put(&q, a[1], "stuck", 5);
        outq_put(&q, b[1], "second ", 7);
        outq_put(&q, a[1], "stuck too", 9);
        outq_put(&q, b[1], "third", 5);
        assert_int_equal(outq_write(&q), 1);
        assert_int_equal(take(b[0], buf, 16), 6);
        assert_int_equal(outq_drop(&q, a[1], true), 14);
        assert_int_equal(outq_pending(&q), 12);
        assert_int_equal(outq_fd(&q), b[1]);
        /* a put to the last kept descriptor lengthens its record */
        outq_put(&q, b[1], "!", 1);
        assert_int_equal(outq_write(&q), 0);
        assert_int_equal(take(b[0], buf, 16), 13);
        assert_memory_equal(buf, "second third!", 13);
        assert_int_equal(take(a[0], buf, filled + 16), filled);
        free(buf);
        outq_free(&q);
        close(a[0]);
        close(a[1]);
        close(b[0]);
        close(b[1]);
}

/* A line partly written when its descriptor's bytes are dropped is written to its end; the lines
 * after it are dropped. */
static void test_drop_keeps_a_line_begun(void **state)
{
        enum { N = 100000 };
        char *line = malloc(N + 1), *got = malloc(2 * N);
        size_t n = 0, r;
        int p[2];
        outq q = { 0 };

        (void)state;
        memset(line, 'l', N);
        line[N] = '\n';
        assert_int_equal(pipe(p), 0);
        outq_put(&q, p[1], line, N + 1);
        outq_put(&q, p[1], "next\n", 5);
        /* the pipe takes 64 KiB of the line, the rest waits */
        assert_int_equal(outq_write(&q), 1);
        assert_true(outq_pending(&q) > 5 && outq_pending(&q) < N);
        assert_int_equal(outq_drop(&q, p[1], true), 5);
        while (outq_pending(&q) > 0) {
                outq_write(&q);
                n += take(p[0], got + n, 2 * N - n);
        }
        while ((r = take(p[0], got + n, 2 * N - n)) > 0)
                n += r;
        assert_int_equal(n, N + 1);
        assert_memory_equal(got, line, N + 1);
        free(line);
        free(got);
        outq_free(&q);
        close(p[0]);
        close(p[1]);
}

/* A terminal nobody reads (a pty whose master is never read): a write never waits, though poll
 * says the terminal has room. */
static void test_terminal_never_waits(void **state)
{
        enum { N = 1 << 20 };
        char *big = malloc(N);
        int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
        outq q = { 0 };

        (void)state;
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        slave = open(ptsname(master), O_RDWR | O_NOCTTY);
        assert_true(slave >= 0);
        memset(big, 't', N);
        for (int k = 0; k < 4; k++)
                outq_put(&q, slave, big, N);
        assert_int_equal(outq_write(&q), 1);
        assert_true(outq_pending(&q) > 3 * (size_t)N);
        /* and the slave's own descriptor is as blocking as it was */
        assert_int_equal(fcntl(slave, F_GETFL) & O_NONBLOCK, 0);
        free(big);
        outq_free(&q);
        close(slave);
        close(master);
}

/* A reader that always keeps up a little behind: the queue never empties, and 40 MB through it
 * must not make a buffer of 40 MB. */
static void test_never_empty_stays_bounded(void **state)
{
        int p[2];
        char block[4096];
        size_t filled;
        outq q = { 0 };

        (void)state;
        memset(block, 'b', sizeof(block));
        assert_int_equal(pipe(p), 0);
        filled = fill(p[1]);
        outq_put(&q, p[1], block, 100);
        for (int k = 0; k < 10000; k++) {
                char sink[4096];

                assert_int_equal(take(p[0], sink, sizeof(sink)), sizeof(sink));
                outq_put(&q, p[1], block, sizeof(block));
                outq_write(&q);
                assert_true(outq_pending(&q) > 0);
        }
        assert_true(q.buf.cap <= 1024 * 1024);
        (void)filled;
        outq_free(&q);
        close(p[0]);
        close(p[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_pipe_waits_and_keeps_order),
                cmocka_unit_test(test_slow_reader_gets_every_byte),
                cmocka_unit_test(test_regular_file_at_once),
                cmocka_unit_test(test_closed_reader_drops_its_own),
                cmocka_unit_test(test_drop),
                cmocka_unit_test(test_drop_one),
                cmocka_unit_test(test_drop_keeps_a_line_begun),
                cmocka_unit_test(test_terminal_never_waits),
                cmocka_unit_test(test_never_empty_stays_bounded),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
