/*
 * manager.c — the manager's server process and its client; see manager.h.
 *
 * A request is a header (the operation, the resource, the length of the value that follows) and
 * for SET the encoded value; the reply to GET is a length and the encoded value, to SET an empty
 * one, so a write also waits for the server to have it.
 */
#include "engine/manager.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/prim.h"
#include "engine/store.h"
#include "util/coverage.h"
#include "util/fdio.h"
#include "util/xalloc.h"

enum { OP_GET, OP_SET, OP_STOP };

typedef struct request {
        int32_t op, k;
        uint32_t len;
} request;

struct manager {
        pid_t pid;
        int fd;
        pthread_mutex_t *mu; /* shared: one request at a time */
};

static void write_full(int fd, const void *buf, size_t len)
{
        stream_flush(); /* a request waits for its answer */
        if (fdio_write(fd, buf, len) < 0)
                xdie("cannot reach the manager's server");
}

static void encode(value v, strbuf *out)
{
        char err[200];

        if (store_encode(v, out, err, sizeof(err)) < 0)
                xdie("manager: %s", err);
}

/* Reads a request's LEN bytes of encoded values into VALS (at most N). */
static int read_values(int fd, uint32_t len, value *vals, int n)
{
        char *buf = xmalloc((size_t)len + 1);
        size_t at = 0;
        int got = 0;

        if (fdio_read(fd, buf, len) != 0)
                xdie("manager: a request was cut short");
        while (at < len && got < n) {
                long used = store_decode(buf + at, len - at, &vals[got]);

                if (used < 0)
                        xdie("manager: a value could not be read");
                at += (size_t)used;
                got++;
        }
        free(buf);
        return got;
}

/* Replies STATUS (0 done, 1 an error) and TEXT, then, when done, POPPED's encoding (if any). */
static void reply(int fd, uint32_t status, const strbuf *text, const strbuf *popped)
{
        uint32_t n = (uint32_t)text->len;

        write_full(fd, &status, sizeof(status));
        write_full(fd, &n, sizeof(n));
        write_full(fd, text->data, text->len);
        n = popped ? (uint32_t)popped->len : 0;
        write_full(fd, &n, sizeof(n));
        if (n > 0)
                write_full(fd, popped->data, n);
}

/* An append, item set or pop on *V, in the server. */
static void update(int fd, value *v, const request *rq, strbuf *out)
{
        value args[2] = { value_none(), value_none() }, popped = value_none();
        char err[200];
        int rc;
        strbuf enc = { 0 };

        read_values(fd, rq->len, args, 2);
        switch (rq->op) {
        case MANAGER_APPEND: rc = value_list_append(v, args[0], err, sizeof(err)); break;
        case MANAGER_SET_ITEM:
                rc = store_item_set(v, args[0], args[1], err, sizeof(err));
                args[1] = value_none();
                break;
        default:
                rc = value_list_pop(v, args[0].type == VALUE_INT ? args[0].as.i : -1, &popped, err,
                                    sizeof(err));
                break;
        }
        if (rq->op == MANAGER_APPEND)
                args[0] = value_none();
        strbuf_reset(out);
        if (rc < 0) {
                strbuf_puts(out, err);
                reply(fd, 1, out, NULL);
        } else {
                store_repr(*v, out);
                if (rq->op == MANAGER_POP)
                        encode(popped, &enc);
                reply(fd, 0, out, &enc);
        }
        value_drop(&args[0]);
        value_drop(&args[1]);
        value_drop(&popped);
        strbuf_free(&enc);
}

/* The server: holds the values, answers until told to stop (or every client is gone). */
static void serve(const scenario *sc, int fd, pid_t parent)
{
        value *vals = xcalloc((size_t)sc->nresources + 1, sizeof(value));
        strbuf out = { 0 };

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        for (int k = 0; k < sc->nresources; k++)
                if (sc->resources[k].via_manager)
                        vals[k] = value_copy(sc->resources[k].init);
        for (;;) {
                request rq;
                uint32_t n;

                if (fdio_read(fd, &rq, sizeof(rq)) != 0 || rq.op == OP_STOP)
                        break;
                if (rq.k < 0 || rq.k >= sc->nresources || !sc->resources[rq.k].via_manager)
                        xdie("manager: a request for resource %d", (int)rq.k);
                if (rq.op >= MANAGER_APPEND) {
                        update(fd, &vals[rq.k], &rq, &out);
                        continue;
                }
                if (rq.op == OP_GET) {
                        strbuf_reset(&out);
                        encode(vals[rq.k], &out);
                        n = (uint32_t)out.len;
                        write_full(fd, &n, sizeof(n));
                        write_full(fd, out.data, out.len);
                } else {
                        char *buf = xmalloc((size_t)rq.len + 1);
                        value v;

                        if (fdio_read(fd, buf, rq.len) != 0 || store_decode(buf, rq.len, &v) < 0)
                                xdie("manager: a value could not be read");
                        free(buf);
                        value_drop(&vals[rq.k]);
                        vals[rq.k] = v;
                        n = 0;
                        write_full(fd, &n, sizeof(n));
                }
        }
        coverage_flush();
        _exit(0);
}

manager *manager_start(const scenario *sc)
{
        manager *m;
        int sv[2];
        pid_t parent = getpid();
        pthread_mutexattr_t a;
        bool any = false;

        for (int k = 0; k < sc->nresources; k++)
                any |= sc->resources[k].via_manager;
        if (!any)
                return NULL;
        m = xcalloc(1, sizeof(*m));
        m->mu =
            mmap(NULL, sizeof(*m->mu), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m->mu == MAP_FAILED)
                xdie("cannot map shared memory for the manager");
        pthread_mutexattr_init(&a);
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(m->mu, &a);
        pthread_mutexattr_destroy(&a);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                xdie("cannot make the manager's socket");
        m->pid = fork();
        if (m->pid < 0)
                xdie("cannot start the manager's server");
        if (m->pid == 0) {
                close(sv[0]);
                serve(sc, sv[1], parent);
        }
        close(sv[1]);
        m->fd = sv[0];
        return m;
}

value manager_get(manager *m, int k)
{
        request rq = { .op = OP_GET, .k = k };
        uint32_t n;
        char *buf;
        value v;

        prim_mutex_lock(m->mu);
        write_full(m->fd, &rq, sizeof(rq));
        if (fdio_read(m->fd, &n, sizeof(n)) != 0)
                xdie("the manager's server is gone");
        buf = xmalloc((size_t)n + 1);
        if (fdio_read(m->fd, buf, n) != 0)
                xdie("the manager's server is gone");
        pthread_mutex_unlock(m->mu);
        if (store_decode(buf, n, &v) < 0)
                xdie("manager: a value could not be read");
        free(buf);
        return v;
}

void manager_set(manager *m, int k, value v)
{
        strbuf enc = { 0 };
        request rq = { .op = OP_SET, .k = k };
        uint32_t n;

        encode(v, &enc);
        value_drop(&v);
        rq.len = (uint32_t)enc.len;
        prim_mutex_lock(m->mu);
        write_full(m->fd, &rq, sizeof(rq));
        write_full(m->fd, enc.data, enc.len);
        if (fdio_read(m->fd, &n, sizeof(n)) != 0)
                xdie("the manager's server is gone");
        pthread_mutex_unlock(m->mu);
        strbuf_free(&enc);
}

int manager_update(manager *m, int k, int op, value index, value item, value *popped, strbuf *repr,
                   char *err, size_t errlen)
{
        strbuf enc = { 0 };
        request rq = { .op = op, .k = k };
        uint32_t status, n;
        char *buf;

        /* a value that cannot be encoded (a lambda) never reaches the server */
        if ((op != MANAGER_APPEND && store_encode(index, &enc, err, errlen) < 0) ||
            (op != MANAGER_POP && store_encode(item, &enc, err, errlen) < 0)) {
                strbuf_free(&enc);
                value_drop(&item);
                return -1;
        }
        value_drop(&item);
        rq.len = (uint32_t)enc.len;
        prim_mutex_lock(m->mu);
        write_full(m->fd, &rq, sizeof(rq));
        write_full(m->fd, enc.data, enc.len);
        if (fdio_read(m->fd, &status, sizeof(status)) != 0 || fdio_read(m->fd, &n, sizeof(n)) != 0)
                xdie("the manager's server is gone");
        buf = xmalloc((size_t)n + 1);
        if (fdio_read(m->fd, buf, n) != 0)
                xdie("the manager's server is gone");
        buf[n] = '\0';
        if (status == 0)
                strbuf_append(repr, buf, n);
        else
                snprintf(err, errlen, "%s", buf);
        free(buf);
        if (fdio_read(m->fd, &n, sizeof(n)) != 0)
                xdie("the manager's server is gone");
        strbuf_reset(&enc);
        if (n > 0) {
                buf = xmalloc(n);
                if (fdio_read(m->fd, buf, n) != 0)
                        xdie("the manager's server is gone");
                if (popped != NULL && store_decode(buf, n, popped) < 0)
                        xdie("manager: a value could not be read");
                free(buf);
        }
        pthread_mutex_unlock(m->mu);
        strbuf_free(&enc);
        return status == 0 ? 0 : -1;
}

void manager_stop(manager *m)
{
        request rq = { .op = OP_STOP };
        int status;

        if (m == NULL)
                return;
        prim_mutex_lock(m->mu);
        write_full(m->fd, &rq, sizeof(rq));
        pthread_mutex_unlock(m->mu);
        while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
                ;
        manager_free(m);
}

void manager_free(manager *m)
{
        if (m == NULL)
                return;
        close(m->fd);
        munmap(m->mu, sizeof(*m->mu));
        free(m);
}
