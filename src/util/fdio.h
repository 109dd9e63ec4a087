/*
 * fdio.h — whole reads and writes on a descriptor (a pipe, a socket, a file), retried when a
 * signal interrupts them. The runner's processes talk through pipes and sockets (the fork server,
 * the manager's server, a scenario's pipes); these are the one way they do it.
 */
#ifndef LOCKSTEP_UTIL_FDIO_H
#define LOCKSTEP_UTIL_FDIO_H

#include <stddef.h>
#include <stdio.h>

/* Reads exactly LEN bytes: 0; 1 when the stream ended before any byte; -1 on an error or when it
 * ended part way. */
int fdio_read(int fd, void *buf, size_t len);
/* Writes all LEN bytes: 0, or -1 with errno. On a socket with MSG_NOSIGNAL: a closed peer is
 * EPIPE, never a SIGPIPE that would kill the process. */
int fdio_write(int fd, const void *buf, size_t len);
/*
 * fopen(PATH, "rb" or "wb"), but never waiting in the open itself: a FIFO that no process has
 * open at its other end would hold an open(2) for ever, and lockstep holds its signals blocked
 * then (they are read from a signalfd). Writing, such a FIFO is refused (NULL, errno ENXIO);
 * reading, it reads as empty. Once open, the descriptor blocks as fopen's does.
 */
FILE *fdio_fopen(const char *path, const char *mode);

#endif
