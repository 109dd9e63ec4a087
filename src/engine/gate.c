/*
 * gate.c — step mode's gates; see gate.h.
 */
#include "gate.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct gate {
        alignas(64) _Atomic uint32_t granted; /* written by the front end only */
        uint32_t used;                        /* written by the actor only */
} gate;

struct gates {
        size_t bytes;
        int n;
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

void gate_grant(gates *g, int a)
{
        atomic_fetch_add_explicit(&g->g[a].granted, 1, memory_order_release);
        futex(&g->g[a].granted, FUTEX_WAKE, 1);
}

void gate_wait(gates *g, int a)
{
        gate *t = &g->g[a];
        uint32_t now;

        while ((now = atomic_load_explicit(&t->granted, memory_order_acquire)) == t->used)
                if (futex(&t->granted, FUTEX_WAIT, now) < 0 && errno != EAGAIN && errno != EINTR)
                        break;
        t->used++;
}
