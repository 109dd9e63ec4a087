/*
 * test_fdio.c — whole reads and writes: the end of a stream before and in the middle of a read,
 * a socket whose peer is gone (EPIPE, not a SIGPIPE that would end this test), a plain file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/fdio.h"

static void test_pipe_whole_and_ends(void **state)
{
        int p[2];
        char buf[8];

        (void)state;
        assert_int_equal(pipe(p), 0);
        assert_int_equal(fdio_write(p[1], "abcdef", 6), 0);
        assert_int_equal(fdio_read(p[0], buf, 4), 0);
        assert_memory_equal(buf, "abcd", 4);
        close(p[1]);
        /* two bytes left, four asked: the stream ends part way */
        assert_int_equal(fdio_read(p[0], buf, 4), -1);
        /* and now before any byte */
        assert_int_equal(fdio_read(p[0], buf, 4), 1);
        close(p[0]);
}

static void test_socket_peer_gone(void **state)
{
        int sv[2];

        (void)state;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        close(sv[1]);
        errno = 0;
        assert_int_equal(fdio_write(sv[0], "x", 1), -1);
        assert_int_equal(errno, EPIPE);
        close(sv[0]);
}

static void test_file(void **state)
{
        FILE *f = tmpfile();
        char buf[5] = { 0 };

        (void)state;
        assert_non_null(f);
        assert_int_equal(fdio_write(fileno(f), "hello", 5), 0);
        assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
        assert_int_equal(fdio_read(fileno(f), buf, 5), 0);
        assert_memory_equal(buf, "hello", 5);
        fclose(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pipe_whole_and_ends),
                cmocka_unit_test(test_socket_peer_gone),
                cmocka_unit_test(test_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
