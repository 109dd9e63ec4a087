/*
 * outq.c — output queued for descriptors that may stall; see outq.h.
 */
#include "outq.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct rec {
        int fd;
        size_t len;
} rec;

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

/* The head record is written: on to the next. */
static void advance(outq *q, size_t len)
{
        q->head += sizeof(rec) + len;
        q->done = 0;
        q->chunk = 0;
        if (q->pending == 0) {
                /* all written: the buffer starts again from its beginning */
                q->buf.len = 0;
                q->head = 0;
                q->last = SIZE_MAX;
        }
}

void outq_put(outq *q, int fd, const char *p, size_t n)
{
        rec r;

        if (n == 0 || (q->bad && fd == q->bad_fd))
                return;
        if (q->pending == 0) {
                q->buf.len = 0;
                q->head = 0;
                q->done = 0;
                q->chunk = 0;
                q->last = SIZE_MAX;
        }
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

/* How much of a write FD takes without blocking once poll says POLLOUT: a regular file all
 * (SIZE_MAX: it is not polled), anything else PIPE_BUF. */
static size_t chunk_of(int fd)
{
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? SIZE_MAX : PIPE_BUF;
}

int outq_write(outq *q)
{
        bool failed = false;

        while (q->pending > 0) {
                rec r = rec_at(q, q->head);
                size_t left = r.len - q->done, n;
                ssize_t w;

                if (q->bad && r.fd == q->bad_fd) {
                        q->pending -= left;
                        advance(q, r.len);
                        continue;
                }
                if (q->chunk == 0)
                        q->chunk = chunk_of(r.fd);
                if (q->chunk != SIZE_MAX) {
                        struct pollfd p = { .fd = r.fd, .events = POLLOUT };

                        if (poll(&p, 1, 0) == 0)
                                break;
                }
                n = left < q->chunk ? left : q->chunk;
                w = write(r.fd, q->buf.data + q->head + sizeof(rec) + q->done, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (w <= 0) {
                        if (q->err == 0)
                                q->err = w < 0 ? errno : EIO;
                        q->bad = true;
                        q->bad_fd = r.fd;
                        failed = true;
                        continue; /* dropped at the top of the loop */
                }
                q->done += (size_t)w;
                q->pending -= (size_t)w;
                if (q->done == r.len)
                        advance(q, r.len);
        }
        compact(q);
        if (failed)
                errno = q->err;
        return failed ? -1 : q->pending > 0;
}

size_t outq_drop(outq *q, int fd)
{
        size_t n = 0, off = q->head, done = q->done;
        strbuf keep = STRBUF_INIT;

        /* the records of other descriptors are kept, in their order, from their first byte not
         * written */
        while (fd >= 0 && off < q->buf.len) {
                rec r = rec_at(q, off);

                if (r.fd == fd) {
                        n += r.len - done;
                } else {
                        r.len -= done;
                        strbuf_append(&keep, (const char *)&r, sizeof(r));
                        strbuf_append(&keep, q->buf.data + off + sizeof(rec) + done, r.len);
                }
                off += sizeof(rec) + rec_at(q, off).len;
                done = 0;
        }
        if (fd < 0)
                n = q->pending;
        strbuf_free(&q->buf);
        q->buf = keep;
        q->pending -= n;
        q->head = 0;
        q->done = 0;
        q->chunk = 0;
        q->last = SIZE_MAX;
        /* the kept records: the last of them is lengthened by a put to its descriptor */
        for (size_t o = 0; o < q->buf.len; o += sizeof(rec) + rec_at(q, o).len)
                q->last = o;
        return n;
}

void outq_free(outq *q)
{
        strbuf_free(&q->buf);
        *q = (outq)OUTQ_INIT;
}
