/*
 * handoff.c — the floor of step mode (docs/performance.md, "Step mode"): what a round trip
 * between two processes costs when nothing else is done, as a stepped run's grant and the
 * actor's return to its gate are. The front end and the runner of a stepped run live on one CPU;
 * so do these two: one process bumps a counter in shared memory and wakes the other through a
 * futex, then sleeps on a second counter until the other has bumped it back.
 *
 * With -t the two are threads of one process: the floor of a stepped run that the runner
 * schedules itself, where a step that goes to another actor is one such hand-off between two
 * threads (half a round trip).
 *
 * usage: handoff [-t] [N]   N round trips (default 160,003: the steps of
 *                           `lockstep run --step --set N=10000 bench/scenarios/lock_counter.json`)
 * Prints the round trips a second and the microseconds each; a stepped run of lockstep cannot
 * take more steps a second than this, whatever it does in a step.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct turns {
        _Atomic uint32_t go;   /* bumped by the granting side: the other's turn */
        _Atomic uint32_t back; /* bumped by the other side: its turn is over */
} turns;

static void futex_wait(_Atomic uint32_t *w, uint32_t seen)
{
        if (syscall(SYS_futex, w, FUTEX_WAIT, seen, NULL, NULL, 0) < 0 && errno != EAGAIN &&
            errno != EINTR) {
                perror("handoff: futex");
                exit(1);
        }
}

static void futex_wake(_Atomic uint32_t *w)
{
        syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Waits until *W is no longer SEEN. */
static void wait_change(_Atomic uint32_t *w, uint32_t seen)
{
        while (atomic_load_explicit(w, memory_order_acquire) == seen)
                futex_wait(w, seen);
}

static void turn(_Atomic uint32_t *w)
{
        atomic_fetch_add_explicit(w, 1, memory_order_release);
        futex_wake(w);
}

static double now(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct other {
        turns *t;
        uint32_t n;
} other;

/* The other side: waits for each turn and gives it back. */
static void answer(turns *t, uint32_t n)
{
        for (uint32_t k = 0; k < n; k++) {
                wait_change(&t->go, k);
                turn(&t->back);
        }
}

static void *answer_thread(void *arg)
{
        other *o = arg;

        answer(o->t, o->n);
        return NULL;
}

int main(int argc, char **argv)
{
        long n = 160003;
        char *end = NULL;
        cpu_set_t one;
        int cpu = sched_getcpu();
        bool threads = argc > 1 && strcmp(argv[1], "-t") == 0;
        turns *t;
        pid_t child = 0;
        pthread_t thread;
        other o;
        double t0, t1;

        if (threads) {
                argc--;
                argv++;
        }
        if (argc > 2 || (argc == 2 && ((n = strtol(argv[1], &end, 10)) <= 0 || *end != '\0' ||
                                       n > UINT32_MAX))) {
                fprintf(stderr, "usage: handoff [-t] [N]   (-t: two threads, not two processes; "
                                "N round trips, 1 or more)\n");
                return 2;
        }
        /* one CPU for both, the one we are on, as a stepped run does */
        CPU_ZERO(&one);
        CPU_SET(cpu < 0 ? 0 : cpu, &one);
        if (sched_setaffinity(0, sizeof(one), &one) != 0)
                perror("handoff: sched_setaffinity (going on unpinned)");
        t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (t == MAP_FAILED) {
                perror("handoff: mmap");
                return 1;
        }
        atomic_init(&t->go, 0);
        atomic_init(&t->back, 0);
        o.t = t;
        o.n = (uint32_t)n;
        if (threads) {
                /* the new thread inherits the affinity: one CPU for both */
                if ((errno = pthread_create(&thread, NULL, answer_thread, &o)) != 0) {
                        perror("handoff: pthread_create");
                        return 1;
                }
        } else if ((child = fork()) < 0) {
                perror("handoff: fork");
                return 1;
        } else if (child == 0) {
                answer(t, o.n);
                _exit(0);
        }
        t0 = now();
        for (uint32_t k = 0; k < (uint32_t)n; k++) {
                turn(&t->go);
                wait_change(&t->back, k);
        }
        t1 = now();
        if (threads)
                pthread_join(thread, NULL);
        else
                waitpid(child, NULL, 0);
        printf("%ld round trips between two %s in %.3f s: %.0f a second, %.2f us each\n", n,
               threads ? "threads" : "processes", t1 - t0, (double)n / (t1 - t0),
               (t1 - t0) / (double)n * 1e6);
        return 0;
}
