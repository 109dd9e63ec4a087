/*
 * floor.c — the workloads of the seed's programs scaled up (the Python programs `make bench` runs,
 * one per bench/scenarios/NAME.json) in plain C with nothing traced: plain pthreads, fork,
 * sockets and shared memory. It is the floor lockstep is measured against (docs/performance.md,
 * "End to end"): what the same program costs when nobody records its steps.
 *
 * usage: floor WORKLOAD [N]
 *   lock_counter   4 threads x N increments of one counter under a mutex (N 100,000)
 *   condition_pc   a thread puts 0..N-1 into a buffer of 10 under a mutex and one condition
 *                  variable, another sums them (N 100,000)
 *   process_value  4 processes x N increments of an int in shared memory under a process-shared
 *                  mutex (N 20,000)
 *   pool_map       the squares of 0..N-1 by 2 worker processes, handed out in chunks as
 *                  Pool.map does (a chunk of ceil(N / 8) items, the next one to whichever worker
 *                  gives one back) over socketpairs, then the sum (N 200,000)
 *   queue_pc       a process puts 0..N-1 and an end mark into a ring in shared memory (a
 *                  process-shared mutex and two condition variables); another sums them
 *                  (N 100,000)
 *   pipe           a process sends N messages "msg i" and an end mark, length-framed (one write
 *                  each), through a socketpair; another counts them (N 100,000)
 *   manager        a process makes 2N requests to a server process over a socketpair, each
 *                  answered: N sets of one of 100 slots and N appends to an array (N 10,000)
 * Each prints what the Python program prints and nothing else; `make bench` times the whole
 * process. The sizes match the constant N of the scenario (`lockstep run --set N=...`).
 *
 * usage: floor roundtrip | floor lines — not workloads: what the machine's two CPUs cost
 * lockstep's event stream (below).
 */
#include "util/fdio.h"
#include "util/xalloc.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
        THREADS = 4,   /* lock_counter */
        BUFFER = 10,   /* condition_pc: the Python program's MAX */
        PROCESSES = 4, /* process_value */
        WORKERS = 2,   /* pool_map: Pool(2) */
        RING = 1024,   /* queue_pc: the shared ring's slots */
        SLOTS = 100,   /* manager: the dict's keys k0..k99 */
};

/* Memory shared with the processes forked after it (MAP_SHARED | MAP_ANONYMOUS). */
static void *shared(size_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED) {
                perror("floor: mmap");
                exit(1);
        }
        return p;
}

static void process_shared(pthread_mutex_t *mu, pthread_cond_t *conds, int nconds)
{
        pthread_mutexattr_t ma;
        pthread_condattr_t ca;

        pthread_mutexattr_init(&ma);
        pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        pthread_mutex_init(mu, &ma);
        pthread_condattr_init(&ca);
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
        for (int k = 0; k < nconds; k++)
                pthread_cond_init(&conds[k], &ca);
}

static void must(int status, const char *what)
{
        if (status != 0) {
                fprintf(stderr, "floor: %s failed\n", what);
                _exit(1);
        }
}

static void wait_all(int children)
{
        for (int k = 0; k < children; k++) {
                int status;

                if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "floor: a child process failed\n");
                        exit(1);
                }
        }
}

/* --- lock_counter */

typedef struct counter {
        pthread_mutex_t mu;
        long n;
        long value;
} counter;

static void *counter_work(void *arg)
{
        counter *c = arg;

        for (long k = 0; k < c->n; k++) {
                pthread_mutex_lock(&c->mu);
                c->value++;
                pthread_mutex_unlock(&c->mu);
        }
        return NULL;
}

static void lock_counter(long n)
{
        counter c = { .mu = PTHREAD_MUTEX_INITIALIZER, .n = n };
        pthread_t ts[THREADS];

        for (int k = 0; k < THREADS; k++)
                must(pthread_create(&ts[k], NULL, counter_work, &c), "pthread_create");
        for (int k = 0; k < THREADS; k++)
                pthread_join(ts[k], NULL);
        printf("%ld\n", c.value);
}

/* --- condition_pc: one condition variable for both sides, as the Python program has */

typedef struct bounded {
        pthread_mutex_t mu;
        pthread_cond_t cond;
        long n;
        int64_t items[BUFFER];
        int head, len;
        int64_t total;
} bounded;

static void *bounded_produce(void *arg)
{
        bounded *b = arg;

        for (long k = 0; k < b->n; k++) {
                pthread_mutex_lock(&b->mu);
                while (b->len == BUFFER)
                        pthread_cond_wait(&b->cond, &b->mu);
                b->items[(b->head + b->len++) % BUFFER] = k;
                pthread_cond_signal(&b->cond);
                pthread_mutex_unlock(&b->mu);
        }
        return NULL;
}

static void *bounded_consume(void *arg)
{
        bounded *b = arg;

        for (long k = 0; k < b->n; k++) {
                pthread_mutex_lock(&b->mu);
                while (b->len == 0)
                        pthread_cond_wait(&b->cond, &b->mu);
                b->total += b->items[b->head];
                b->head = (b->head + 1) % BUFFER;
                b->len--;
                pthread_cond_signal(&b->cond);
                pthread_mutex_unlock(&b->mu);
        }
        return NULL;
}

static void condition_pc(long n)
{
        bounded b = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .n = n };
        pthread_t producer, consumer;

        must(pthread_create(&producer, NULL, bounded_produce, &b), "pthread_create");
        must(pthread_create(&consumer, NULL, bounded_consume, &b), "pthread_create");
        pthread_join(producer, NULL);
        pthread_join(consumer, NULL);
        printf("%lld\n", (long long)b.total);
}

/* --- process_value */

typedef struct value {
        pthread_mutex_t mu;
        int value; /* Value('i') */
} value;

static void process_value(long n)
{
        value *v = shared(sizeof(value));

        process_shared(&v->mu, NULL, 0);
        for (int k = 0; k < PROCESSES; k++) {
                if (fork() == 0) {
                        for (long i = 0; i < n; i++) {
                                pthread_mutex_lock(&v->mu);
                                v->value++;
                                pthread_mutex_unlock(&v->mu);
                        }
                        _exit(0);
                }
        }
        wait_all(PROCESSES);
        printf("%d\n", v->value);
}

/* --- pool_map: a task is {first index, count} and count inputs; its result is the same header
 * and count squares. A count of -1 sends a worker home. */

static void pool_worker(int fd, long chunk)
{
        int64_t *items = xmalloc(sizeof(int64_t) * (size_t)chunk);
        int64_t head[2];

        for (;;) {
                must(fdio_read(fd, head, sizeof(head)), "read");
                if (head[1] < 0)
                        _exit(0);
                must(fdio_read(fd, items, sizeof(int64_t) * (size_t)head[1]), "read");
                for (int64_t k = 0; k < head[1]; k++)
                        items[k] *= items[k];
                must(fdio_write(fd, head, sizeof(head)), "write");
                must(fdio_write(fd, items, sizeof(int64_t) * (size_t)head[1]), "write");
        }
}

/* Sends the next chunk of range(n) from *next, or the end mark when none is left (and then stops
 * polling the worker, whose socket is about to close). */
static void pool_send(struct pollfd *w, long n, long chunk, long *next, int64_t *buf)
{
        int64_t head[2] = { *next, *next < n ? (n - *next < chunk ? n - *next : chunk) : -1 };

        must(fdio_write(w->fd, head, sizeof(head)), "write");
        if (head[1] < 0) {
                close(w->fd);
                w->fd = -1;
                return;
        }
        for (int64_t k = 0; k < head[1]; k++)
                buf[k] = head[0] + k;
        must(fdio_write(w->fd, buf, sizeof(int64_t) * (size_t)head[1]), "write");
        *next += head[1];
}

static void pool_map(long n)
{
        /* Pool.map's chunk size: divmod(len, 4 * workers), rounded up */
        long chunk = n / (4 * WORKERS) + (n % (4 * WORKERS) != 0);
        int64_t *results = xmalloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
        int64_t *buf = xmalloc(sizeof(int64_t) * (size_t)(chunk > 0 ? chunk : 1));
        struct pollfd fds[WORKERS];
        long next = 0, done = 0;
        int64_t sum = 0;

        for (int w = 0; w < WORKERS; w++) {
                int sv[2];

                must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
                if (fork() == 0) {
                        close(sv[0]);
                        pool_worker(sv[1], chunk > 0 ? chunk : 1);
                }
                close(sv[1]);
                fds[w] = (struct pollfd){ .fd = sv[0], .events = POLLIN };
        }
        for (int w = 0; w < WORKERS; w++)
                pool_send(&fds[w], n, chunk, &next, buf);
        while (done < n) {
                must(poll(fds, WORKERS, -1) < 0, "poll");
                for (int w = 0; w < WORKERS; w++) {
                        int64_t head[2];

                        if (!(fds[w].revents & POLLIN))
                                continue;
                        must(fdio_read(fds[w].fd, head, sizeof(head)), "read");
                        must(fdio_read(fds[w].fd, results + head[0],
                                       sizeof(int64_t) * (size_t)head[1]),
                             "read");
                        done += head[1];
                        pool_send(&fds[w], n, chunk, &next, buf);
                }
        }
        wait_all(WORKERS);
        for (long k = 0; k < n; k++)
                sum += results[k];
        printf("%lld\n", (long long)sum);
        free(results);
        free(buf);
}

/* --- queue_pc */

typedef struct ring {
        pthread_mutex_t mu;
        pthread_cond_t conds[2]; /* not empty, not full */
        uint64_t head, tail;
        int64_t items[RING];
} ring;

static void ring_put(ring *r, int64_t v)
{
        pthread_mutex_lock(&r->mu);
        while (r->tail - r->head == RING)
                pthread_cond_wait(&r->conds[1], &r->mu);
        r->items[r->tail++ % RING] = v;
        pthread_cond_signal(&r->conds[0]);
        pthread_mutex_unlock(&r->mu);
}

static int64_t ring_get(ring *r)
{
        int64_t v;

        pthread_mutex_lock(&r->mu);
        while (r->tail == r->head)
                pthread_cond_wait(&r->conds[0], &r->mu);
        v = r->items[r->head++ % RING];
        pthread_cond_signal(&r->conds[1]);
        pthread_mutex_unlock(&r->mu);
        return v;
}

static void queue_pc(long n)
{
        ring *r = shared(sizeof(ring));

        process_shared(&r->mu, r->conds, 2);
        if (fork() == 0) {
                for (long k = 0; k < n; k++)
                        ring_put(r, k);
                ring_put(r, -1); /* None */
                _exit(0);
        }
        if (fork() == 0) {
                int64_t total = 0, v;

                while ((v = ring_get(r)) >= 0)
                        total += v;
                printf("%lld\n", (long long)total);
                fflush(stdout);
                _exit(0);
        }
        wait_all(2);
}

/* --- pipe: a message is its length (4 bytes) and its bytes; length 0 is None */

static void pipe_run(long n)
{
        int sv[2];

        must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
        if (fork() == 0) {
                char msg[64];

                close(sv[1]);
                for (long k = 0; k <= n; k++) {
                        uint32_t len =
                            k < n ? (uint32_t)snprintf(msg + 4, sizeof(msg) - 4, "msg %ld", k) : 0;

                        memcpy(msg, &len, 4);
                        must(fdio_write(sv[0], msg, 4 + len), "write");
                }
                _exit(0);
        }
        if (fork() == 0) {
                char msg[64];
                long count = 0;

                close(sv[0]);
                for (;;) {
                        uint32_t len;

                        must(fdio_read(sv[1], &len, sizeof(len)), "read");
                        if (len == 0)
                                break;
                        must(len > sizeof(msg) || fdio_read(sv[1], msg, len), "read");
                        count++;
                }
                printf("%ld\n", count);
                fflush(stdout);
                _exit(0);
        }
        close(sv[0]);
        close(sv[1]);
        wait_all(2);
}

/* --- manager: a request is {what, slot, value}, what 0 a set, 1 an append, 2 the lengths; every
 * request gets a reply of two numbers */

static void manager_server(int fd, long n)
{
        int64_t slots[SLOTS] = { 0 }, req[3], reply[2] = { 0, 0 };
        int64_t *list = xmalloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
        long len = 0, used = 0;

        for (;;) {
                must(fdio_read(fd, req, sizeof(req)), "read");
                if (req[0] == 0) {
                        used += slots[req[1]] == 0;
                        slots[req[1]] = req[2] + 1; /* 0 is "no key" */
                } else if (req[0] == 1) {
                        list[len++] = req[2];
                } else {
                        reply[0] = used, reply[1] = len;
                }
                must(fdio_write(fd, reply, sizeof(reply)), "write");
                if (req[0] == 2)
                        _exit(0);
        }
}

static void manager(long n)
{
        int sv[2];

        must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
        if (fork() == 0) {
                close(sv[0]);
                manager_server(sv[1], n);
        }
        if (fork() == 0) {
                int64_t req[3], reply[2];

                close(sv[1]);
                for (long k = 0; k < n; k++) {
                        req[0] = 0, req[1] = k % SLOTS, req[2] = k;
                        must(fdio_write(sv[0], req, sizeof(req)), "write");
                        must(fdio_read(sv[0], reply, sizeof(reply)), "read");
                        req[0] = 1;
                        must(fdio_write(sv[0], req, sizeof(req)), "write");
                        must(fdio_read(sv[0], reply, sizeof(reply)), "read");
                }
                _exit(0);
        }
        wait_all(1);
        {
                int64_t req[3] = { 2, 0, 0 }, reply[2];

                /* the lengths, asked by the main process as the Python program's print does */
                must(fdio_write(sv[0], req, sizeof(req)), "write");
                must(fdio_read(sv[0], reply, sizeof(reply)), "read");
                printf("%lld %lld\n", (long long)reply[0], (long long)reply[1]);
        }
        close(sv[0]);
        close(sv[1]);
        wait_all(1);
}

static const struct workload {
        const char *name;
        long n; /* the Python program's default N */
        void (*run)(long n);
} workloads[] = {
        { .name = "lock_counter", .n = 100000, .run = lock_counter },
        { .name = "condition_pc", .n = 100000, .run = condition_pc },
        { .name = "process_value", .n = 20000, .run = process_value },
        { .name = "pool_map", .n = 200000, .run = pool_map },
        { .name = "queue_pc", .n = 100000, .run = queue_pc },
        { .name = "pipe", .n = 100000, .run = pipe_run },
        { .name = "manager", .n = 10000, .run = manager },
};

/*
 * Not a workload: `floor roundtrip` prints how long a cache line takes to go from one CPU to
 * another and back, in ns (two threads pinned to the first two CPUs this process may use, each
 * waiting for the other's store, ROUNDTRIPS times; "-" with fewer than two CPUs). Every event of
 * lockstep's crosses from a core to the front end's, and a lock's lines go where it goes: on a
 * virtual machine whose host moves its vCPUs this changes from one stretch to the next (115 or
 * 500 ns), and lockstep's thread workloads with it (docs/performance.md, "On another machine").
 * bench/compare.sh prints it before and after its table.
 */
enum { ROUNDTRIPS = 200000 };

typedef struct pingpong {
        alignas(64) _Atomic int turn;
        int cpu;
} pingpong;

static void pin(int cpu)
{
        cpu_set_t one;

        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

static void *pong(void *arg)
{
        pingpong *p = arg;

        pin(p->cpu);
        for (int i = 0; i < ROUNDTRIPS; i++) {
                while (atomic_load_explicit(&p->turn, memory_order_acquire) != 1)
                        ;
                atomic_store_explicit(&p->turn, 0, memory_order_release);
        }
        return NULL;
}

/* The first two CPUs this process may use into CPUS; how many there are (at most 2). */
static int two_cpus(int cpus[2])
{
        cpu_set_t allowed;
        int n = 0;

        if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
                CPU_ZERO(&allowed);
        for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
                if (CPU_ISSET(c, &allowed))
                        cpus[n++] = c;
        return n;
}

static int roundtrip(void)
{
        pingpong p = { .turn = 0 };
        int cpus[2];
        struct timespec a, b;
        pthread_t th;

        if (two_cpus(cpus) < 2) {
                printf("-\n");
                return 0;
        }
        p.cpu = cpus[1];
        pin(cpus[0]);
        if (pthread_create(&th, NULL, pong, &p) != 0)
                xdie("floor: cannot start a thread");
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < ROUNDTRIPS; i++) {
                atomic_store_explicit(&p.turn, 1, memory_order_release);
                while (atomic_load_explicit(&p.turn, memory_order_acquire) != 0)
                        ;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        pthread_join(th, NULL);
        printf("%.0f ns\n",
               ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
                   ROUNDTRIPS);
        return 0;
}

/*
 * Not a workload: `floor lines` prints how long a record takes to go through a ring from one
 * CPU to the other when nothing else is done with it, for records of 64 bytes (one of
 * lockstep's slots: docs/performance.md, "What a slot costs in transit"), 32 and 16, in ns a
 * record: the producer (pinned to one CPU) writes every byte, publishes every 64 records, and
 * the consumer (pinned to the other) reads every byte, freeing every 64; each asks for its
 * slots 16 ahead. The median of LINES_RUNS runs of each, the three sizes taking turns.
 */
enum { LINES_RECORDS = 4000000, LINES_SLOTS = 8192, LINES_BATCH = 64, LINES_RUNS = 9 };

typedef struct lines {
        alignas(64) _Atomic uint64_t pub;  /* records published */
        alignas(64) _Atomic uint64_t head; /* records read and freed */
        alignas(64) uint64_t *ring;
        size_t words; /* a record's 8-byte words */
        int cpu;
} lines;

static void *lines_produce(void *arg)
{
        lines *l = arg;
        uint64_t t = 0, head = 0;

        pin(l->cpu);
        for (uint64_t i = 0; i < LINES_RECORDS; i++) {
                uint64_t *rec = &l->ring[(t & (LINES_SLOTS - 1)) * l->words];

                while (t - head >= LINES_SLOTS)
                        head = atomic_load_explicit(&l->head, memory_order_acquire);
                __builtin_prefetch(&l->ring[((t + 16) & (LINES_SLOTS - 1)) * l->words], 1);
                for (size_t k = 0; k < l->words; k++)
                        rec[k] = i + k;
                if (++t % LINES_BATCH == 0)
                        atomic_store_explicit(&l->pub, t, memory_order_release);
        }
        atomic_store_explicit(&l->pub, t, memory_order_release);
        return NULL;
}

/* One run of records of WORDS words between CPU A and CPU B: ns a record. */
static double lines_run(size_t words, int a, int b)
{
        lines l = { .words = words, .cpu = b };
        uint64_t h = 0, avail = 0, sum = 0;
        struct timespec t0, t1;
        pthread_t th;

        l.ring = xcalloc(LINES_SLOTS * words, sizeof(uint64_t));
        pin(a);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (pthread_create(&th, NULL, lines_produce, &l) != 0)
                xdie("floor: cannot start a thread");
        while (h < LINES_RECORDS) {
                const uint64_t *rec = &l.ring[(h & (LINES_SLOTS - 1)) * words];

                if (h == avail) {
                        avail = atomic_load_explicit(&l.pub, memory_order_acquire);
                        continue;
                }
                __builtin_prefetch(&l.ring[((h + 16) & (LINES_SLOTS - 1)) * words]);
                for (size_t k = 0; k < words; k++)
                        sum += rec[k];
                if (++h % LINES_BATCH == 0)
                        atomic_store_explicit(&l.head, h, memory_order_release);
        }
        pthread_join(th, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        free(l.ring);
        /* every word read: the sum of i + k over all records and words */
        if (sum != (uint64_t)LINES_RECORDS * words * (LINES_RECORDS - 1) / 2 +
                       (uint64_t)LINES_RECORDS * words * (words - 1) / 2)
                xdie("floor: the ring lost a record");
        return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
               LINES_RECORDS;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static int lines_print(void)
{
        static const size_t bytes[] = { 64, 32, 16 };
        double ns[3][LINES_RUNS];
        int cpus[2];

        if (two_cpus(cpus) < 2) {
                printf("-\n");
                return 0;
        }
        for (int r = 0; r < LINES_RUNS; r++)
                for (int k = 0; k < 3; k++)
                        ns[k][r] = lines_run(bytes[k] / 8, cpus[0], cpus[1]);
        for (int k = 0; k < 3; k++) {
                qsort(ns[k], LINES_RUNS, sizeof(double), cmp_double);
                printf("%zu bytes: %.1f ns a record (%.1f-%.1f)\n", bytes[k], ns[k][LINES_RUNS / 2],
                       ns[k][0], ns[k][LINES_RUNS - 1]);
        }
        return 0;
}

int main(int argc, char **argv)
{
        char *end = NULL;
        long n;

        for (size_t k = 0; argc > 1 && k < sizeof(workloads) / sizeof(workloads[0]); k++) {
                if (strcmp(argv[1], workloads[k].name) != 0)
                        continue;
                n = argc > 2 ? strtol(argv[2], &end, 10) : workloads[k].n;
                if (argc > 3 || (end && (*end || end == argv[2])) || n < 0) {
                        fprintf(stderr, "floor: N must be a number >= 0\n");
                        return 2;
                }
                workloads[k].run(n);
                return fflush(stdout) == 0 ? 0 : 1;
        }
        if (argc == 2 && strcmp(argv[1], "roundtrip") == 0)
                return roundtrip() == 0 && fflush(stdout) == 0 ? 0 : 1;
        if (argc == 2 && strcmp(argv[1], "lines") == 0)
                return lines_print() == 0 && fflush(stdout) == 0 ? 0 : 1;
        fprintf(stderr, "usage: floor WORKLOAD [N] | floor roundtrip | floor lines\nworkloads:");
        for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++)
                fprintf(stderr, " %s", workloads[k].name);
        fprintf(stderr, "\n");
        return 2;
}
