/*
 * forksrv.c — the fork server; see forksrv.h.
 *
 * A request is a header (the actor number, or -1 to stop, and the length of the memory that
 * follows) and the memory, written whole under the shared mutex so that requests from several
 * processes never interleave. The server forks at once and goes back to waiting, on the socket
 * and on a signalfd for its children's ends.
 */
#include "engine/forksrv.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/prim.h"
#include "util/coverage.h"
#include "util/fdio.h"
#include "util/xalloc.h"

typedef struct request {
        int32_t target; /* -1: stop */
        uint32_t len;
} request;

typedef struct kid {
        pid_t pid;
        int target;
        char *data; /* the memory it was forked with, kept to fork it again */
        uint32_t len;
} kid;

typedef struct kids {
        kid *v;
        int n, cap;
        int sfd, in; /* closed in every child */
        pid_t me;
} kids;

static void write_full(int fd, const void *buf, size_t len)
{
        if (fdio_write(fd, buf, len) < 0)
                xdie("cannot reach the fork server");
}

/* In a new process: die with the parent (if it already died, getppid() names someone else). */
static void die_with(pid_t parent)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
}

/* Forks for TARGET with DATA (taken: kept until the child is reaped). */
static void spawn(const forksrv_ops *ops, kids *ks, int target, char *data, uint32_t len)
{
        sigset_t none;
        pid_t pid = fork();

        if (pid < 0)
                xdie("fork server: fork failed");
        if (pid == 0) {
                die_with(ks->me);
                close(ks->sfd);
                close(ks->in);
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                for (int k = 0; k < ks->n; k++)
                        free(ks->v[k].data);
                free(ks->v);
                ops->child(ops->ctx, target, data, len);
                coverage_flush();
                _exit(0);
        }
        if (ks->n == ks->cap) {
                ks->cap = ks->cap ? 2 * ks->cap : 16;
                ks->v = xrealloc(ks->v, sizeof(kid) * (size_t)ks->cap);
        }
        ks->v[ks->n++] = (kid){ .pid = pid, .target = target, .data = data, .len = len };
}

static void reap(const forksrv_ops *ops, kids *ks, bool stopping)
{
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);

                if (pid <= 0)
                        return;
                for (int k = 0; k < ks->n; k++)
                        if (ks->v[k].pid == pid) {
                                kid gone = ks->v[k];

                                ks->v[k] = ks->v[--ks->n];
                                if (ops->reaped(ops->ctx, gone.target, pid, status) && !stopping)
                                        spawn(ops, ks, gone.target, gone.data, gone.len);
                                else
                                        free(gone.data);
                                break;
                        }
        }
}

static void serve(forksrv *fs, int in, const forksrv_ops *ops, pid_t parent)
{
        sigset_t chld;
        kids ks = { .in = in, .me = getpid() };
        bool stopping = false;

        die_with(parent);
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        ks.sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
        if (ks.sfd < 0)
                xdie("fork server: signalfd failed");
        for (;;) {
                struct pollfd p[2] = { { .fd = ks.sfd, .events = POLLIN },
                                       { .fd = in, .events = POLLIN } };
                request rq;
                char *data;

                reap(ops, &ks, stopping);
                if (stopping && ks.n == 0)
                        break;
                if (poll(p, stopping ? 1 : 2, -1) < 0 && errno != EINTR)
                        xdie("fork server: poll failed");
                if (p[0].revents != 0) {
                        struct signalfd_siginfo si;

                        while (read(ks.sfd, &si, sizeof(si)) > 0)
                                ;
                }
                if (stopping || p[1].revents == 0)
                        continue;
                if (fdio_read(in, &rq, sizeof(rq)) != 0 || rq.target == -1) {
                        stopping = true;
                        continue;
                }
                data = xmalloc((size_t)rq.len + 1);
                if (fdio_read(in, data, rq.len) != 0)
                        xdie("fork server: a request was cut short");
                spawn(ops, &ks, rq.target, data, rq.len);
        }
        (void)fs;
        coverage_flush();
        _exit(0);
}

int forksrv_start(forksrv *fs, const forksrv_ops *ops, pthread_mutex_t *mu)
{
        int sv[2];
        pid_t parent = getpid();

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        fs->fd = sv[0];
        fs->mu = mu;
        fs->pid = fork();
        if (fs->pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return -1;
        }
        if (fs->pid == 0)
                serve(fs, sv[1], ops, parent);
        close(sv[1]);
        pidwatch_start(&fs->watch, fs->pid, ENGINE_EXIT_FORKSRV);
        return 0;
}

void forksrv_request(forksrv *fs, int target, const char *data, size_t len)
{
        request rq = { .target = target, .len = (uint32_t)len };

        prim_mutex_lock(fs->mu);
        write_full(fs->fd, &rq, sizeof(rq));
        write_full(fs->fd, data, len);
        pthread_mutex_unlock(fs->mu);
}

void forksrv_stop(forksrv *fs)
{
        int status;

        pidwatch_stopping(&fs->watch);
        forksrv_request(fs, -1, NULL, 0);
        while (waitpid(fs->pid, &status, 0) < 0 && errno == EINTR)
                ;
        pidwatch_end(&fs->watch);
        close(fs->fd);
}
