/*
 * outq.h — output for descriptors that may stall, queued in order and written only as fast as
 * they take it.
 *
 * `lockstep run` prints what actors print into whatever its standard output is: a pipe whose
 * reader stopped reading holds a blocking write(2) for ever, and the front end holds its signals
 * blocked then (it reads them from a signalfd), so Ctrl-C, SIGTERM and the time limit would all
 * wait for the reader. With an outq, nothing is written that does not fit at once: on a pipe, a
 * FIFO, a socket or a terminal, PIPE_BUF bytes at a time once poll(2) says POLLOUT (a pipe with
 * a free page takes them whole); a regular file takes everything. The caller polls outq_fd.
 *
 * Bytes for several descriptors (standard output and standard error) keep the one order they were
 * put in: standard error's wait behind standard output's, as a terminal shows them.
 */
#ifndef LOCKSTEP_UTIL_OUTQ_H
#define LOCKSTEP_UTIL_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

typedef struct outq {
        strbuf buf;     /* records: int fd, size_t length, then the bytes */
        size_t head;    /* offset of the first record not written whole */
        size_t done;    /* bytes of that record written */
        size_t chunk;   /* bytes a write may take of it (0: not looked at yet) */
        size_t last;    /* offset of the last record, which a put to its fd lengthens */
        size_t pending; /* bytes not written yet */
        int err;        /* errno of the first write that failed, or 0 */
        bool bad;       /* a write failed: what is put for bad_fd is dropped */
        int bad_fd;
} outq;

/* An outq starts zeroed, as OUTQ_INIT, and is released with outq_free. */
#define OUTQ_INIT                                                                                  \
        {                                                                                          \
                STRBUF_INIT, 0, 0, 0, 0, 0, 0, false, 0                                            \
        }

/* Queues N bytes of P for FD. */
void outq_put(outq *q, int fd, const char *p, size_t n);
/* The bytes queued and not written yet. */
size_t outq_pending(const outq *q);
/* The descriptor the next bytes are for (poll it for POLLOUT), or -1 when all are written. */
int outq_fd(const outq *q);
/* Writes what the descriptors take now, without waiting: 0 when all is written, 1 when bytes wait
 * for outq_fd, -1 when a write failed (its errno in Q->err and errno; that descriptor's bytes are
 * dropped, now and later, and the others' go on being written). */
int outq_write(outq *q);
/* Drops what is not written yet for FD (-1: for every descriptor): the number of bytes. */
size_t outq_drop(outq *q, int fd);
void outq_free(outq *q);

#endif
