/*
 * gate.c — step mode's gates; see gate.h.
 */
#include "gate.h"

#include "stream.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Waiting for a step. The front end grants and the granted actor takes its step: on two cores
 * each could spin for the other, but a sleeping actor woken onto an idle core (of a virtual
 * machine, too) takes tens of microseconds to come, and a busy wait takes the core from the
 * one it waits for whenever the two share one — measured, both made step mode slower. What pays
 * is letting the actor run where the front end is: after a grant the front end yields its core
 * (sched_yield) until the step is done, for a budget that halves each time the step was not done
 * within it (a long step, a busy machine) and doubles back each time it was. The actor then
 * wakes the front end neither with the events of its step (the stream is not armed meanwhile)
 * nor at its end: the front end finds them when it looks. Actors sleep at their gates at once.
 */
#define GATE_BUDGET_MAX 20000u /* ns: a step of a thread, woken, is a few microseconds */
#define GATE_BUDGET_MIN 2000u

typedef struct gate {
        alignas(64) _Atomic uint32_t granted; /* written by the front end only */
        _Atomic uint32_t back;                /* the actor: the grants it had used when it last
                                                 came to its gate */
        uint32_t used;                        /* written by the actor only */
} gate;

struct gates {
        size_t bytes;
        int n;
        _Atomic uint32_t stuck; /* gate_say_stuck */
        uint64_t budget;        /* the front end's: how long gate_back waits, in ns */
        gate g[];
};

gates *gate_create(int n)
{
        size_t bytes = sizeof(gates) + sizeof(gate) * (size_t)n;
        gates *g = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

        if (g == MAP_FAILED)
                return NULL;
        memset(g, 0, bytes);
        g->bytes = bytes;
        g->n = n;
        g->budget = GATE_BUDGET_MAX;
        for (int k = 0; k < n; k++)
                g->g[k].back = UINT32_MAX; /* not at a gate yet: its first arrival says 0 */
        return g;
}

void gate_destroy(gates *g)
{
        if (g != NULL)
                munmap(g, g->bytes);
}

/* Not FUTEX_PRIVATE: the gate may be shared with forked processes. */
static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
        return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

static long futex_wait_for(_Atomic uint32_t *word, uint32_t val, const struct timespec *rel)
{
        /* A gate or a pause: what this actor published must be seen while it waits. */
        stream_flush();
        return syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, val, rel, NULL, 0);
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t gate_grant(gates *g, int a)
{
        uint32_t n = atomic_fetch_add_explicit(&g->g[a].granted, 1, memory_order_release) + 1;

        futex(&g->g[a].granted, FUTEX_WAKE, 1);
        return n;
}

void gate_pass(gates *g, int a)
{
        atomic_fetch_add_explicit(&g->g[a].granted, 1, memory_order_relaxed);
}

void gate_say_stuck(gates *g, uint32_t why)
{
        atomic_store_explicit(&g->stuck, why, memory_order_release);
}

uint32_t gate_stuck(const gates *g)
{
        return atomic_load_explicit(&g->stuck, memory_order_acquire);
}

bool gate_back(gates *g, int a, uint32_t grant)
{
        _Atomic uint32_t *back = &g->g[a].back;
        uint64_t start = now_ns();

        for (;;) {
                if (atomic_load_explicit(back, memory_order_acquire) == grant) {
                        if (g->budget < GATE_BUDGET_MAX)
                                g->budget *= 2;
                        return true;
                }
                if (now_ns() - start >= g->budget)
                        break;
                sched_yield();
        }
        if (g->budget / 2 >= GATE_BUDGET_MIN)
                g->budget /= 2;
        return false;
}

void gate_wait(gates *g, int a)
{
        gate *t = &g->g[a];
        uint32_t now;

        /* Granted already: a scheduler in the runner gave this actor its next step on its way
         * here (gate_pass). It does not wait, and its batch goes on (the front end does not wait
         * for this step). */
        if (atomic_load_explicit(&t->granted, memory_order_acquire) != t->used) {
                t->used++;
                return;
        }
        /* The session grants after it has seen where the actor stands: its events go out now,
         * and then it says it is back (gate_back counts on everything being in the stream). */
        stream_flush();
        atomic_store_explicit(&t->back, t->used, memory_order_release);
        while ((now = atomic_load_explicit(&t->granted, memory_order_acquire)) == t->used)
                if (futex(&t->granted, FUTEX_WAIT, now) < 0 && errno != EAGAIN && errno != EINTR)
                        break;
        t->used++;
}

gate_pacer *gate_pacer_create(void)
{
        gate_pacer *p =
            mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                return NULL;
        memset(p, 0, sizeof(*p));
        return p;
}

void gate_pacer_destroy(gate_pacer *p)
{
        if (p != NULL)
                munmap(p, sizeof(*p));
}

void gate_pacer_set(gate_pacer *p, bool paused, uint64_t delay_ns)
{
        atomic_store_explicit(&p->paused, paused, memory_order_relaxed);
        atomic_store_explicit(&p->delay_ns, delay_ns, memory_order_relaxed);
        atomic_store_explicit(&p->holds, paused || delay_ns != 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->changes, 1, memory_order_release);
        futex(&p->changes, FUTEX_WAKE, INT32_MAX);
}

void gate_pacer_hold(gate_pacer *p)
{
        uint64_t start = 0;

        for (;;) {
                /* Read the word first: a change after this read makes the futex wait return. */
                uint32_t seen = atomic_load_explicit(&p->changes, memory_order_acquire);
                uint64_t delay = atomic_load_explicit(&p->delay_ns, memory_order_relaxed);
                struct timespec rel;
                uint64_t now;

                if (atomic_load_explicit(&p->paused, memory_order_relaxed)) {
                        futex_wait_for(&p->changes, seen, NULL);
                        start = 0; /* the delay counts from the resume */
                        continue;
                }
                if (delay == 0)
                        return;
                now = now_ns();
                if (start == 0)
                        start = now;
                if (now - start >= delay)
                        return;
                rel.tv_sec = (time_t)((delay - (now - start)) / 1000000000u);
                rel.tv_nsec = (long)((delay - (now - start)) % 1000000000u);
                futex_wait_for(&p->changes, seen, &rel);
        }
}
