/*
 * outq.c — output queued for descriptors that may stall; see outq.h.
 */
#include "outq.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

/* How a descriptor is written (outq.h). */
enum { WAY_UNKNOWN, WAY_FILE, WAY_OWN, WAY_SOCKET, WAY_POLL };

typedef struct rec {
        int fd;
        size_t len;
} rec;

/* What Q knows of FD, made on first sight. */
static outq_fdinfo *info_of(outq *q, int fd)
{
        for (size_t k = 0; k < q->nfds; k++)
                if (q->fds[k].fd == fd)
                        return &q->fds[k];
        q->fds = xrealloc(q->fds, (q->nfds + 1) * sizeof(*q->fds));
        q->fds[q->nfds] = (outq_fdinfo){ .fd = fd, .own = -1 };
        return &q->fds[q->nfds++];
}

/* A record's header is copied in and out: the buffer gives no alignment. */
static rec rec_at(const outq *q, size_t off)
{
        rec r;

        memcpy(&r, q->buf.data + off, sizeof(r));
        return r;
}

static void rec_set(outq *q, size_t off, rec r)
{
        memcpy(q->buf.data + off, &r, sizeof(r));
}

/* The written bytes before the head go, so that a queue that never empties (or one record that
 * grows as fast as it is written) stays bounded: when they are most of the buffer. */
static void compact(outq *q)
{
        size_t from = q->head + sizeof(rec) + q->done, rest = q->buf.len - from;
        rec r;

        if (q->pending == 0 || from - sizeof(rec) < 64 * 1024 || from <= q->buf.len / 2)
                return;
        r = rec_at(q, q->head);
        r.len -= q->done;
        rec_set(q, 0, r);
        memmove(q->buf.data + sizeof(rec), q->buf.data + from, rest);
        q->buf.len = sizeof(rec) + rest;
        q->buf.data[q->buf.len] = '\0';
        q->last = q->last == q->head ? 0 : q->last - (from - sizeof(rec));
        q->head = 0;
        q->done = 0;
}

/* Nothing is waiting: the buffer starts again from its beginning. */
static void empty(outq *q)
{
        q->pending = 0;
        q->buf.len = 0;
        q->head = 0;
        q->done = 0;
        q->last = SIZE_MAX;
}

/* The head record is written: on to the next. */
static void advance(outq *q, size_t len)
{
        q->head += sizeof(rec) + len;
        q->done = 0;
        if (q->pending == 0)
                empty(q);
}

void outq_put(outq *q, int fd, const char *p, size_t n)
{
        rec r;

        if (fd < 0)
                xdie("outq: descriptor %d", fd);
        if (n == 0 || info_of(q, fd)->err != 0)
                return;
        if (q->pending == 0)
                empty(q);
        if (q->last != SIZE_MAX && (r = rec_at(q, q->last)).fd == fd) {
                r.len += n;
                rec_set(q, q->last, r);
        } else {
                r = (rec){ .fd = fd, .len = n };
                q->last = q->buf.len;
                strbuf_append(&q->buf, (const char *)&r, sizeof(r));
        }
        strbuf_append(&q->buf, p, n);
        q->pending += n;
}

size_t outq_pending(const outq *q)
{
        return q->pending;
}

int outq_fd(const outq *q)
{
        return q->pending == 0 ? -1 : rec_at(q, q->head).fd;
}

int outq_error(const outq *q, int fd)
{
        for (size_t k = 0; k < q->nfds; k++)
                if (q->fds[k].fd == fd)
                        return q->fds[k].err;
        return 0;
}

/* How FD is written: a regular file as it is; a socket with MSG_DONTWAIT; anything else (a pipe,
 * a FIFO, a terminal) through a descriptor of its own on the same file, opened anew through
 * /proc with O_NONBLOCK, so that the flag is not the shared descriptor's; failing that, PIPE_BUF
 * bytes once poll says POLLOUT. */
static int way_of(outq_fdinfo *d)
{
        struct stat st;
        char path[64];
        int fd = d->fd;

        if (d->way != WAY_UNKNOWN)
                return d->way;
        if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
                d->way = WAY_FILE;
        } else if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
                d->way = WAY_SOCKET;
        } else if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
                d->way = WAY_POLL; /* its writes fail (EBADF): a descriptor of its own would not */
        } else {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                d->own = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                d->way = d->own >= 0 ? WAY_OWN : WAY_POLL;
        }
        return d->way;
}

/* One write of up to N bytes of P to D's descriptor, never waiting: what was written, or -1 with
 * errno (EAGAIN: nothing fits now). */
static ssize_t write_some(outq_fdinfo *d, const char *p, size_t n)
{
        struct pollfd pf = { .fd = d->fd, .events = POLLOUT };

        switch (way_of(d)) {
        case WAY_FILE: return write(d->fd, p, n);
        case WAY_OWN: return write(d->own, p, n);
        case WAY_SOCKET: return send(d->fd, p, n, MSG_DONTWAIT);
        default:
                if (poll(&pf, 1, 0) == 0) {
                        errno = EAGAIN;
                        return -1;
                }
                return write(d->fd, p, n < PIPE_BUF ? n : PIPE_BUF);
        }
}

int outq_write(outq *q)
{
        bool failed = false;

        while (q->pending > 0) {
                rec r = rec_at(q, q->head);
                size_t left = r.len - q->done;
                outq_fdinfo *d = info_of(q, r.fd);
                ssize_t w;

                if (d->err != 0) {
                        q->pending -= left;
                        advance(q, r.len);
                        continue;
                }
                w = write_some(d, q->buf.data + q->head + sizeof(rec) + q->done, left);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (w <= 0) {
                        d->err = w < 0 ? errno : EIO;
                        failed = true;
                        continue; /* dropped at the top of the loop */
                }
                d->midline = q->buf.data[q->head + sizeof(rec) + q->done + (size_t)w - 1] != '\n';
                q->done += (size_t)w;
                q->pending -= (size_t)w;
                if (q->done == r.len)
                        advance(q, r.len);
        }
        compact(q);
        return failed ? -1 : q->pending > 0;
}

size_t outq_drop(outq *q, int fd, bool finish)
{
        size_t n = 0, off = q->head, done = q->done;
        strbuf keep = STRBUF_INIT;

        /* the records kept, each from its first byte not written: those of other descriptors,
         * and of a dropped one's first record the rest of the line it began */
        while (off < q->buf.len) {
                rec r = rec_at(q, off), k = r;
                const char *p = q->buf.data + off + sizeof(rec) + done;
                outq_fdinfo *d = info_of(q, r.fd);

                k.len = r.len - done;
                if (fd < 0 || r.fd == fd) {
                        const char *nl = memchr(p, '\n', k.len);

                        k.len = finish && d->midline && nl != NULL ? (size_t)(nl - p) + 1 : 0;
                        n += r.len - done - k.len;
                        d->midline = false;
                }
                if (k.len > 0) {
                        strbuf_append(&keep, (const char *)&k, sizeof(k));
                        strbuf_append(&keep, p, k.len);
                }
                off += sizeof(rec) + r.len;
                done = 0;
        }
        strbuf_free(&q->buf);
        q->buf = keep;
        q->pending -= n;
        q->head = 0;
        q->done = 0;
        q->last = SIZE_MAX;
        if (q->pending == 0)
                empty(q);
        /* a put to the last kept record's descriptor lengthens it */
        for (size_t o = 0; o < q->buf.len; o += sizeof(rec) + rec_at(q, o).len)
                q->last = o;
        return n;
}

void outq_free(outq *q)
{
        for (size_t k = 0; k < q->nfds; k++)
                if (q->fds[k].own >= 0)
                        close(q->fds[k].own);
        free(q->fds);
        strbuf_free(&q->buf);
        memset(q, 0, sizeof(*q));
}
