/*
 * handoff_bench.c — the process hand-offs of bench/python in plain C, with nothing traced: the
 * floor lockstep's queue, pipe and manager are measured against (docs/performance.md).
 *
 * usage: handoff_bench [queue|pipe|manager] [N]
 *   queue    a process puts 0..N-1 and a sentinel into a queue in shared memory (a ring under a
 *            process-shared mutex and two condition variables); another sums them (N 100,000)
 *   pipe     a process sends N messages "msg i" and an end mark, length-framed, through a
 *            socketpair; another counts them (N 100,000)
 *   manager  a process makes 2N requests to a server process over a socketpair, each answered:
 *            N sets of one of 100 slots and N appends to an array (N 10,000)
 * Each mode prints what the Python program prints and the seconds it took (best of three).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RING 1024

typedef struct ring {
        pthread_mutex_t mu;
        pthread_cond_t not_empty, not_full;
        uint64_t head, tail;
        int64_t items[RING];
} ring;

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void full_io(int fd, void *buf, size_t len, int out)
{
        char *p = buf;

        while (len > 0) {
                ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

                if (n <= 0)
                        exit(1);
                p += n;
                len -= (size_t)n;
        }
}

static void put(ring *r, int64_t v)
{
        pthread_mutex_lock(&r->mu);
        while (r->tail - r->head == RING)
                pthread_cond_wait(&r->not_full, &r->mu);
        r->items[r->tail++ % RING] = v;
        pthread_cond_signal(&r->not_empty);
        pthread_mutex_unlock(&r->mu);
}

static int64_t get(ring *r)
{
        int64_t v;

        pthread_mutex_lock(&r->mu);
        while (r->tail == r->head)
                pthread_cond_wait(&r->not_empty, &r->mu);
        v = r->items[r->head++ % RING];
        pthread_cond_signal(&r->not_full);
        pthread_mutex_unlock(&r->mu);
        return v;
}

static void queue_run(long n)
{
        ring *r =
            mmap(NULL, sizeof(ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pthread_mutexattr_t ma;
        pthread_condattr_t ca;

        pthread_mutexattr_init(&ma);
        pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        pthread_mutex_init(&r->mu, &ma);
        pthread_condattr_init(&ca);
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
        pthread_cond_init(&r->not_empty, &ca);
        pthread_cond_init(&r->not_full, &ca);
        if (fork() == 0) {
                for (long k = 0; k < n; k++)
                        put(r, k);
                put(r, -1);
                _exit(0);
        }
        if (fork() == 0) {
                int64_t total = 0, v;

                while ((v = get(r)) >= 0)
                        total += v;
                printf("%lld\n", (long long)total);
                fflush(stdout);
                _exit(0);
        }
        wait(NULL);
        wait(NULL);
        munmap(r, sizeof(ring));
}

static void pipe_run(long n)
{
        int sv[2];

        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        if (fork() == 0) {
                char msg[64];

                for (long k = 0; k <= n; k++) {
                        uint32_t len =
                            k < n ? (uint32_t)snprintf(msg, sizeof(msg), "msg %ld", k) : 0;

                        full_io(sv[0], &len, sizeof(len), 1);
                        full_io(sv[0], msg, len, 1);
                }
                _exit(0);
        }
        if (fork() == 0) {
                char msg[64];
                long count = 0;

                for (;;) {
                        uint32_t len;

                        full_io(sv[1], &len, sizeof(len), 0);
                        if (len == 0)
                                break;
                        full_io(sv[1], msg, len, 0);
                        count++;
                }
                printf("%ld\n", count);
                fflush(stdout);
                _exit(0);
        }
        close(sv[0]);
        close(sv[1]);
        wait(NULL);
        wait(NULL);
}

static void manager_run(long n)
{
        int sv[2];
        pid_t server;

        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        server = fork();
        if (server == 0) {
                int64_t slots[100] = { 0 }, req[3], reply = 0;
                int64_t *list = malloc(sizeof(int64_t) * (size_t)(n + 1));
                long len = 0, used = 0;

                close(sv[0]);
                for (;;) {
                        full_io(sv[1], req, sizeof(req), 0);
                        if (req[0] == 0) {
                                used += slots[req[1]] == 0;
                                slots[req[1]] = req[2] + 1;
                        } else if (req[0] == 1) {
                                list[len++] = req[2];
                        } else {
                                reply = used * 100000 + len;
                                full_io(sv[1], &reply, sizeof(reply), 1);
                                break;
                        }
                        full_io(sv[1], &reply, sizeof(reply), 1);
                }
                _exit(0);
        }
        if (fork() == 0) {
                int64_t req[3], reply;

                close(sv[1]);
                for (long k = 0; k < n; k++) {
                        req[0] = 0, req[1] = k % 100, req[2] = k;
                        full_io(sv[0], req, sizeof(req), 1);
                        full_io(sv[0], &reply, sizeof(reply), 0);
                        req[0] = 1;
                        full_io(sv[0], req, sizeof(req), 1);
                        full_io(sv[0], &reply, sizeof(reply), 0);
                }
                req[0] = 2;
                full_io(sv[0], req, sizeof(req), 1);
                full_io(sv[0], &reply, sizeof(reply), 0);
                printf("%lld %lld\n", (long long)(reply / 100000), (long long)(reply % 100000));
                fflush(stdout);
                _exit(0);
        }
        close(sv[0]);
        close(sv[1]);
        wait(NULL);
        wait(NULL);
}

int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "queue";
        int manager = strcmp(mode, "manager") == 0;
        long n = argc > 2 ? atol(argv[2]) : manager ? 10000 : 100000;
        double best = 1e9;

        for (int k = 0; k < 3; k++) {
                double t = now();

                if (strcmp(mode, "pipe") == 0)
                        pipe_run(n);
                else if (manager)
                        manager_run(n);
                else
                        queue_run(n);
                t = now() - t;
                best = t < best ? t : best;
        }
        fprintf(stderr, "%s: %.3f s (best of 3)\n", mode, best);
        return 0;
}
