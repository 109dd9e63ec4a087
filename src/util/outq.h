/*
 * outq.h — output for descriptors that may stall, queued in order and written only as fast as
 * they take it.
 *
 * `lockstep run` prints what actors print into whatever its standard output is: a pipe, a FIFO or
 * a terminal whose reader stopped reading would hold a blocking write(2) for ever, and the front
 * end holds its signals blocked then (it reads them from a signalfd), so Ctrl-C, SIGTERM and the
 * time limit would all wait for the reader. With an outq, a write never waits: on a pipe, a FIFO
 * or a terminal it goes through a descriptor of the outq's own, opened anew on the same file
 * with O_NONBLOCK (the caller's descriptor, which a shell shares, keeps its flags); on a socket it
 * is a send with MSG_DONTWAIT; a regular file takes everything. Where no descriptor of its own
 * can be opened (no /proc), it writes PIPE_BUF bytes once poll says POLLOUT, which a pipe takes
 * whole. The caller polls outq_fd for POLLOUT.
 *
 * Bytes for several descriptors (standard output and standard error) keep the one order they were
 * put in: standard error's wait behind standard output's, as a terminal shows them.
 */
#ifndef LOCKSTEP_UTIL_OUTQ_H
#define LOCKSTEP_UTIL_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* What an outq knows of a descriptor it writes to. */
typedef struct outq_fdinfo {
        int fd;
        unsigned char way; /* how it is written (0: not looked at yet) */
        int own;           /* the outq's own non-blocking descriptor on its file, or -1 */
        int err;           /* errno of its first write that failed (0: none; what is put for it
                              then is dropped) */
        bool midline;      /* the last byte written to it ended no line */
} outq_fdinfo;

typedef struct outq {
        strbuf buf;       /* records: int fd, size_t length, then the bytes */
        size_t head;      /* offset of the first record not written whole */
        size_t done;      /* bytes of that record written */
        size_t last;      /* offset of the last record, which a put to its fd lengthens */
        size_t pending;   /* bytes not written yet */
        outq_fdinfo *fds; /* every descriptor put to, a few */
        size_t nfds;
} outq;

/* An outq starts zeroed and is released with outq_free. */

/* Queues N bytes of P for FD. */
void outq_put(outq *q, int fd, const char *p, size_t n);
/* The bytes queued and not written yet. */
size_t outq_pending(const outq *q);
/* The descriptor the next bytes are for (poll it for POLLOUT), or -1 when all are written. */
int outq_fd(const outq *q);
/* Writes what the descriptors take now, without waiting: 0 when all is written, 1 when bytes wait
 * for outq_fd, -1 when a write failed (outq_error says which; that descriptor's bytes are dropped,
 * now and later, and the others' go on being written). */
int outq_write(outq *q);
/* The errno of FD's first write that failed, or 0. */
int outq_error(const outq *q, int fd);
/* Drops what is not written yet for FD (-1: for every descriptor): the number of bytes. With
 * FINISH, the rest of a line partly written is kept, so that a reader never gets half a line. */
size_t outq_drop(outq *q, int fd, bool finish);
void outq_free(outq *q);

#endif
