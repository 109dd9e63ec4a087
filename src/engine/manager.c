/*
 * manager.c — the manager's server process and its client; see manager.h.
 *
 * A request is a header (the operation, the resource, the length of the value that follows) and
 * for SET the encoded value; the reply to GET is a length and the encoded value, to SET an empty
 * one, so a write also waits for the server to have it.
 */
#include "engine/manager.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
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

#include "engine/engine.h"
#include "engine/pidwatch.h"
#include "engine/prim.h"
#include "engine/store.h"
#include "util/coverage.h"
#include "util/fdio.h"
#include "util/xalloc.h"

enum { OP_GET, OP_SET, OP_STOP };
/* How long a process that found the server gone waits for the runner's watch to end the run. */
enum { MANAGER_GONE_WAIT_S = 5 };

typedef struct request {
        int32_t op, k;
        uint32_t len;
        int32_t cpu; /* the client's CPU when it asked, or -1 */
} request;

struct manager {
        pid_t pid;
        int fd;
        pid_t runner; /* the process that started the server */
        /* The runner's watch on the server, so that a server killed from outside ends the run
         * (ENGINE_EXIT_MANAGER, which the session names). */
        pidwatch watch;
        pthread_mutex_t *mu; /* shared: one request at a time */
        cpu_set_t allowed;   /* the CPUs of the run, when there is more than one (see exchange) */
        bool spread;
};

/* The server is gone before the end of the run: killed from outside. The runner ends the run
 * with ENGINE_EXIT_MANAGER, which the session names ("fatal" lines from each actor that asked
 * would say less). A process actor or pool worker leaves that to the runner's watch, which ends
 * the run and so its process (PR_SET_PDEATHSIG), rather than be reported as a crash of its own;
 * after a while (a kernel without pidfds has no watch) it exits with the same status. */
static _Noreturn void server_gone(const manager *m)
{
        if (getpid() != m->runner)
                sleep(MANAGER_GONE_WAIT_S);
        _exit(ENGINE_EXIT_MANAGER);
}

/* The client's request, all of it (the server answers with write_full). */
static void send_full(manager *m, const void *buf, size_t len)
{
        stream_flush(); /* a request waits for its answer */
        if (fdio_write(m->fd, buf, len) < 0)
                server_gone(m);
}

static void write_full(int fd, const void *buf, size_t len)
{
        if (fdio_write(fd, buf, len) < 0)
                xdie("cannot reach the manager's server");
}

/*
 * A request and its reply are one exchange on one CPU: the client stays on its CPU until the reply
 * is in (it only waits meanwhile), and the server follows it there (follow_client). Each of the
 * two hand-offs is then a switch on that CPU. Left to itself the kernel wakes each side on the CPU
 * that is idle, the other one: two cross-CPU wake-ups a request, 20-40 us each where an idle CPU
 * halts (a VM's vCPU) — the manager workload took 0.8 s that way, CPython's 1.2 s.
 */
static int exchange_begin(manager *m)
{
        int cpu = sched_getcpu();
        cpu_set_t one;

        if (!m->spread || cpu < 0 || cpu >= CPU_SETSIZE)
                return -1;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return sched_setaffinity(0, sizeof(one), &one) == 0 ? cpu : -1;
}

/* The client may go anywhere again. */
static void exchange_end(manager *m, int cpu)
{
        if (cpu >= 0)
                sched_setaffinity(0, sizeof(m->allowed), &m->allowed);
}

/*
 * What came in on the socket, read a whole message at a time: each side writes a message in one
 * write, so one read usually takes all of it, instead of one read for each of its fields. The
 * two sides take turns (one request, its reply, the next request), so a read never takes in
 * anything of the message after the one being read.
 */
typedef struct inbox {
        int fd;
        size_t at, len;
        char buf[4096];
} inbox;

/* An empty inbox on FD (the buffer is not cleared: it is only read where written). */
static void in_init(inbox *in, int fd)
{
        in->fd = fd;
        in->at = in->len = 0;
}

/* Reads exactly N bytes into DST, as fdio_read. */
static int in_read(inbox *in, void *dst, size_t n)
{
        char *d = dst;
        size_t got = 0;

        while (got < n) {
                size_t take = in->len - in->at < n - got ? in->len - in->at : n - got;
                ssize_t r;

                memcpy(d + got, in->buf + in->at, take);
                in->at += take;
                got += take;
                if (got == n)
                        break;
                if (n - got >= sizeof(in->buf)) { /* a large value: straight where it goes */
                        r = fdio_read(in->fd, d + got, n - got);
                        return r == 0 ? 0 : r == 1 && got == 0 ? 1 : -1;
                }
                do
                        r = read(in->fd, in->buf, sizeof(in->buf));
                while (r < 0 && errno == EINTR);
                if (r <= 0)
                        return r == 0 && got == 0 ? 1 : -1;
                in->at = 0;
                in->len = (size_t)r;
        }
        return 0;
}

/* RQ and the LEN bytes of encoded values after it, in one write: the server is woken once. */
static void send_request(manager *m, request *rq, const char *body, size_t len)
{
        strbuf msg = { 0 };

        rq->len = (uint32_t)len;
        strbuf_append(&msg, (const char *)rq, sizeof(*rq));
        if (len > 0)
                strbuf_append(&msg, body, len);
        send_full(m, msg.data, msg.len);
        strbuf_free(&msg);
}

static void encode(value v, strbuf *out)
{
        char err[200];

        if (store_encode(v, out, err, sizeof(err)) < 0)
                xdie("manager: %s", err);
}

/* Reads a request's LEN bytes of encoded values into VALS (at most N). */
static int read_values(inbox *in, uint32_t len, value *vals, int n)
{
        char *buf = xmalloc((size_t)len + 1);
        size_t at = 0;
        int got = 0;

        if (in_read(in, buf, len) != 0)
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

/* Appends N (a length or a status) to MSG, as it goes over the socket. */
static void put_u32(strbuf *msg, uint32_t n)
{
        strbuf_append(msg, (const char *)&n, sizeof(n));
}

/* Replies STATUS (0 done, 1 an error) and TEXT, then, when done, POPPED's encoding (if any): in
 * one write, so that the client is woken once, with the whole reply there to read. */
static void reply(int fd, uint32_t status, const strbuf *text, const strbuf *popped)
{
        strbuf msg = { 0 };
        size_t n = popped ? popped->len : 0;

        put_u32(&msg, status);
        put_u32(&msg, (uint32_t)text->len);
        strbuf_append(&msg, text->data, text->len);
        put_u32(&msg, (uint32_t)n);
        if (n > 0)
                strbuf_append(&msg, popped->data, n);
        write_full(fd, msg.data, msg.len);
        strbuf_free(&msg);
}

/* An append, item set or pop on *V, in the server. */
static void update(inbox *in, value *v, const request *rq, strbuf *out)
{
        value args[2] = { value_none(), value_none() }, popped = value_none();
        char err[200];
        int rc;
        strbuf enc = { 0 };

        read_values(in, rq->len, args, 2);
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
                reply(in->fd, 1, out, NULL);
        } else {
                store_repr(*v, out);
                if (rq->op == MANAGER_POP)
                        encode(popped, &enc);
                reply(in->fd, 0, out, &enc);
        }
        value_drop(&args[0]);
        value_drop(&args[1]);
        value_drop(&popped);
        strbuf_free(&enc);
}

/*
 * The server runs on the CPU of the client it answers. A request and its reply are then two
 * direct switches on one CPU (the client sends and sleeps in its read, the server runs; the
 * server replies and sleeps, the client runs) instead of two wake-ups of another CPU, which cost
 * 20-40 us each where an idle CPU halts (a VM's vCPU): the server's work is a few microseconds,
 * so there is nothing to gain from running it beside its client. AT is where it runs now; it
 * moves only within ALLOWED (the CPUs the run may use), and only when the client has moved.
 */
static void follow_client(int cpu, int *at, const cpu_set_t *allowed)
{
        cpu_set_t one;

        if (cpu < 0 || cpu == *at || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, allowed))
                return;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof(one), &one) == 0)
                *at = cpu;
}

/* The server: holds the values, answers until told to stop (or every client is gone). */
static void serve(const scenario *sc, int fd, pid_t parent)
{
        value *vals = xcalloc((size_t)sc->nresources + 1, sizeof(value));
        strbuf out = { 0 };
        inbox in;
        cpu_set_t allowed;
        int at = -1;

        if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
                CPU_ZERO(&allowed); /* then it stays where the kernel puts it */

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        in_init(&in, fd);
        for (int k = 0; k < sc->nresources; k++)
                if (sc->resources[k].via_manager)
                        vals[k] = value_copy(sc->resources[k].init);
        for (;;) {
                request rq;
                uint32_t n;

                if (in_read(&in, &rq, sizeof(rq)) != 0 || rq.op == OP_STOP)
                        break;
                if (rq.k < 0 || rq.k >= sc->nresources || !sc->resources[rq.k].via_manager)
                        xdie("manager: a request for resource %d", (int)rq.k);
                follow_client(rq.cpu, &at, &allowed);
                if (rq.op >= MANAGER_APPEND) {
                        update(&in, &vals[rq.k], &rq, &out);
                        continue;
                }
                if (rq.op == OP_GET) {
                        /* the length, then the value: one write */
                        strbuf_reset(&out);
                        put_u32(&out, 0);
                        encode(vals[rq.k], &out);
                        n = (uint32_t)(out.len - sizeof(n));
                        memcpy(out.data, &n, sizeof(n));
                        write_full(fd, out.data, out.len);
                } else {
                        char *buf = xmalloc((size_t)rq.len + 1);
                        value v;

                        if (in_read(&in, buf, rq.len) != 0 || store_decode(buf, rq.len, &v) < 0)
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
        m->spread = sched_getaffinity(0, sizeof(m->allowed), &m->allowed) == 0 &&
                    CPU_COUNT(&m->allowed) > 1;
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
        m->runner = parent;
        m->watch.pidfd = -1;
        return m;
}

value manager_get(manager *m, int k)
{
        inbox in;
        request rq = { .op = OP_GET, .k = k };
        uint32_t n;
        char *buf;
        value v;

        prim_mutex_lock(m->mu);
        in_init(&in, m->fd);
        rq.cpu = exchange_begin(m);
        send_request(m, &rq, NULL, 0);
        if (in_read(&in, &n, sizeof(n)) != 0)
                server_gone(m);
        buf = xmalloc((size_t)n + 1);
        if (in_read(&in, buf, n) != 0)
                server_gone(m);
        exchange_end(m, rq.cpu);
        pthread_mutex_unlock(m->mu);
        if (store_decode(buf, n, &v) < 0)
                xdie("manager: a value could not be read");
        free(buf);
        return v;
}

void manager_set(manager *m, int k, value v)
{
        inbox in;
        strbuf enc = { 0 };
        request rq = { .op = OP_SET, .k = k };
        uint32_t n;

        encode(v, &enc);
        value_drop(&v);
        prim_mutex_lock(m->mu);
        in_init(&in, m->fd);
        rq.cpu = exchange_begin(m);
        send_request(m, &rq, enc.data, enc.len);
        if (in_read(&in, &n, sizeof(n)) != 0)
                server_gone(m);
        exchange_end(m, rq.cpu);
        pthread_mutex_unlock(m->mu);
        strbuf_free(&enc);
}

int manager_update(manager *m, int k, int op, value index, value item, value *popped, strbuf *repr,
                   char *err, size_t errlen)
{
        inbox in;
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
        prim_mutex_lock(m->mu);
        in_init(&in, m->fd);
        rq.cpu = exchange_begin(m);
        send_request(m, &rq, enc.data, enc.len);
        if (in_read(&in, &status, sizeof(status)) != 0 || in_read(&in, &n, sizeof(n)) != 0)
                server_gone(m);
        buf = xmalloc((size_t)n + 1);
        if (in_read(&in, buf, n) != 0)
                server_gone(m);
        buf[n] = '\0';
        if (status == 0)
                strbuf_append(repr, buf, n);
        else
                snprintf(err, errlen, "%s", buf);
        free(buf);
        if (in_read(&in, &n, sizeof(n)) != 0)
                server_gone(m);
        strbuf_reset(&enc);
        if (n > 0) {
                buf = xmalloc(n);
                if (in_read(&in, buf, n) != 0)
                        server_gone(m);
                if (popped != NULL && store_decode(buf, n, popped) < 0)
                        xdie("manager: a value could not be read");
                free(buf);
        }
        exchange_end(m, rq.cpu);
        pthread_mutex_unlock(m->mu);
        strbuf_free(&enc);
        return status == 0 ? 0 : -1;
}

void manager_watch(manager *m)
{
        if (m != NULL)
                pidwatch_start(&m->watch, m->pid, ENGINE_EXIT_MANAGER);
}

pid_t manager_pid(const manager *m)
{
        return m->pid;
}

void manager_stop(manager *m)
{
        request rq = { .op = OP_STOP, .cpu = -1 };
        int status;

        if (m == NULL)
                return;
        pidwatch_stopping(&m->watch);
        prim_mutex_lock(m->mu);
        send_full(m, &rq, sizeof(rq));
        pthread_mutex_unlock(m->mu);
        while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
                ;
        pidwatch_end(&m->watch);
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
