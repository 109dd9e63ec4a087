/*
 * steprule.c — step mode's rule; see steprule.h.
 */
#include "session/steprule.h"

#include "scenario/expr.h"
#include "util/xalloc.h"

#include <stdlib.h>

void steprule_init(steprule *r, const scenario *sc, uint64_t seed)
{
        size_t slots = (size_t)sc->nresources * 2 + 1;

        r->nall = sc->nactors + 1;
        r->at_gate = xcalloc((size_t)r->nall, sizeof(bool));
        r->finished = xcalloc((size_t)r->nall, sizeof(bool));
        r->first = xcalloc(slots, sizeof(int));
        r->first_op = xcalloc(slots, sizeof(model_op));
        r->first_at = xcalloc(slots, sizeof(uint64_t));
        r->choice = 0;
        r->inflight = sc->nactors;
        r->last_granted = -1;
        r->rng = seed ^ 0x5eed5c4edull;
}

void steprule_free(steprule *r)
{
        free(r->at_gate);
        free(r->finished);
        free(r->first);
        free(r->first_op);
        free(r->first_at);
}

static bool waiting_state(model_state st)
{
        return st == MODEL_BLOCKED || st == MODEL_WAITING;
}

void steprule_take(steprule *r, const model *m, const event *ev)
{
        model_state after;

        if (ev->actor < 0 || ev->actor >= r->nall)
                return;
        after = model_actor_at(m, ev->actor)->state;
        if ((ev->kind == EV_READY || ev->kind == EV_BLOCKED || ev->kind == EV_WAITING) &&
            !(ev->flags & EVENT_GOES_ON) && (after == MODEL_READY || waiting_state(after)))
                r->at_gate[ev->actor] = true;
        /* A CRASH is an actor's last word too: a process actor's crash leaves the run going,
         * and the scheduler must not wait for the dead actor's gate. */
        if (ev->kind == EV_EXIT || ev->kind == EV_CRASH) {
                r->finished[ev->actor] = true;
                r->at_gate[ev->actor] = false;
        }
}

/* The first actor of Q that is at its gate, blocked without a timeout for OP, or -1. */
static int first_waiter(const steprule *r, const model *m, const model_ids *q, model_op op)
{
        for (size_t k = 0; k < q->n; k++) {
                const model_actor *w = model_actor_at(m, q->v[k]);

                if (r->at_gate[q->v[k]] && w->state == MODEL_BLOCKED && !w->timed && w->op == op)
                        return q->v[k];
        }
        return -1;
}

bool steprule_can_move(steprule *r, const model *m, int a, bool fifo)
{
        const model_actor *ma;

        if (!r->at_gate[a])
                return false;
        ma = model_actor_at(m, a);
        if (ma->state == MODEL_READY)
                return true;
        /* A wait with a timeout can always move: granting it is the timeout firing. */
        if (waiting_state(ma->state) && ma->timed)
                return true;
        if (!waiting_state(ma->state) || !model_can_proceed(m, a))
                return false;
        /* Waiters go on in the order they began to wait (FIFO): on a lock, a semaphore or a
         * queue, only the longest waiter whose turn it is can move. */
        if (fifo && ma->state == MODEL_BLOCKED && ma->res >= 0) {
                const model_res *res = model_res_at(m, ma->res);
                bool put = ma->op == MODEL_OP_PUT || ma->op == MODEL_OP_SEND;
                size_t slot = (size_t)ma->res * 2 + put;

                /* the first waiter that is itself at its gate and able to go: A is one, so A
                 * can go when it is the first (found once per choice, for every waiter) */
                if (r->first_at[slot] != r->choice || r->first_op[slot] != ma->op) {
                        r->first_at[slot] = r->choice;
                        r->first_op[slot] = ma->op;
                        r->first[slot] =
                            first_waiter(r, m, put ? &res->putters : &res->blocked, ma->op);
                }
                return r->first[slot] < 0 || r->first[slot] == a;
        }
        return true;
}

bool steprule_can_replay(steprule *r, const model *m, int a)
{
        return a >= 0 && a < r->nall && steprule_can_move(r, m, a, false);
}

bool steprule_on_a_step(const steprule *r)
{
        return r->inflight >= 0 && !r->at_gate[r->inflight] && !r->finished[r->inflight];
}

bool steprule_anyone_waits(const steprule *r)
{
        for (int a = 0; a < r->nall; a++)
                if (r->at_gate[a])
                        return true;
        return false;
}

int steprule_movable(steprule *r, const model *m, int *movable)
{
        int n = 0;

        r->choice++;
        for (int a = 0; a < r->nall; a++)
                if (steprule_can_move(r, m, a, true))
                        movable[n++] = a;
        if (n == 0) /* no waiter whose turn it is: any that can go may */
                for (int a = 0; a < r->nall; a++)
                        if (steprule_can_move(r, m, a, false))
                                movable[n++] = a;
        return n;
}

int steprule_pick(steprule *r, const int *movable, int n, bool round_robin)
{
        if (round_robin) {
                for (int k = 0; k < n; k++)
                        if (movable[k] > r->last_granted)
                                return movable[k];
                return movable[0];
        }
        return movable[expr_random_next(&r->rng) % (uint64_t)n];
}

void steprule_granted(steprule *r, int a)
{
        r->at_gate[a] = false;
        r->inflight = a;
        r->last_granted = a;
}
