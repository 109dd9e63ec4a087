/*
 * fdio.c — whole reads and writes on a descriptor; see fdio.h.
 */
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

int fdio_read(int fd, void *buf, size_t len)
{
        char *p = buf;
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0 && got == 0)
                        return 1;
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        return 0;
}

FILE *fdio_fopen(const char *path, const char *mode)
{
        bool w = mode[0] == 'w';
        int fd = open(path, (w ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | O_NONBLOCK | O_CLOEXEC,
                      0666);
        FILE *f;

        if (fd < 0)
                return NULL;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        f = fdopen(fd, mode);
        if (f == NULL) {
                int e = errno;

                close(fd);
                errno = e;
        }
        return f;
}

int fdio_write(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        bool socket = true;

        while (len > 0) {
                ssize_t n = socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);

                if (n < 0 && errno == ENOTSOCK && socket) {
                        socket = false; /* a pipe or a file */
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}
