/*
 * interp.c — executes statements: one table entry per statement kind.
 *
 * Each statement is one atomic step, as a bytecode is under Python's GIL: expressions that read
 * shared memory take the runner's memory lock, which is held to the end of the statement (so
 * `store counter = counter + 1` is atomic while a `let` then a `store` is a race), but always
 * dropped before anything that may block. Events go out in causal order: a release before the
 * real release, an acquire after the real acquire, a queue item's `put` before anyone can take it.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/gate.h"
#include "engine_int.h"
#include "util/coverage.h"
#include "util/fdio.h"
#include "util/utf8.h"
#include "util/xalloc.h"

typedef int (*exec_fn)(actor *a, const sc_stmt *s);

static prim_res *res_of(actor *a, int k)
{
        return &a->prim->res[k];
}

/* ---- step mode --------------------------------------------------------------------------- */

static bool stepping(const actor *a)
{
        return a->gates != NULL;
}

/* Step mode: wait at the gate for the next grant (which a scheduler in the runner may give
 * now: this actor's step is written). Every grant is a step: a blocked or waiting actor granted
 * to go on (or to try again) begins one too, and its next event says so, so that the steps
 * counted, the front end's moments and the grants are the same. */
static void step_gate(actor *a)
{
        const engine_options *o = &a->eng->opt;

        if (o->step_back != NULL)
                o->step_back(o->step_ctx, a->id);
        gate_wait(a->gates, a->id);
        a->step_pending = true;
}

typedef bool (*ready_fn)(actor *a, void *arg);

/*
 * With MU held, waits until READY(a, arg) holds. Live: on CV, until DEADLINE. Step mode: at the
 * gate with MU released, never on the real condition variable, so that only lockstep decides
 * who moves; granted while still not ready, a wait with a deadline times out and one without
 * announces itself again (AGAIN on RES/OTHER) and goes back to the gate. Returns PRIM_OK or
 * PRIM_TIMEOUT, with MU held.
 */
static int wait_until(actor *a, pthread_mutex_t *mu, prim_cond *cv, ready_fn ready, void *arg,
                      const struct timespec *deadline, event_kind again, int res, int other)
{
        int rc = PRIM_OK;

        if (!stepping(a)) {
                while (!ready(a, arg) && rc == PRIM_OK)
                        rc = prim_cond_wait(cv, mu, deadline);
                return ready(a, arg) ? PRIM_OK : PRIM_TIMEOUT;
        }
        while (!ready(a, arg)) {
                pthread_mutex_unlock(mu);
                step_gate(a);
                prim_mutex_lock(mu);
                if (ready(a, arg))
                        break;
                if (deadline != NULL)
                        return PRIM_TIMEOUT;
                actor_emit(a, again, res, other, 0, 0, NULL, 0);
        }
        return PRIM_OK;
}

/* ---- evaluation helpers ------------------------------------------------------------------ */

/* V, E's value, as a number of seconds or the like (WHAT, for the error) into *OUT; dropped. */
static int number_of(actor *a, const expr *e, value v, const char *what, double *out)
{
        if (v.type == VALUE_INT || v.type == VALUE_BOOL)
                *out = v.type == VALUE_INT ? (double)v.as.i : v.as.b;
        else if (v.type == VALUE_FLOAT && !isnan(v.as.f))
                *out = v.as.f;
        else if (v.type == VALUE_FLOAT) {
                actor_fail_at(a, e, "ValueError: %s must be a number, not NaN", what);
                value_drop(&v);
                return -1;
        } else {
                actor_fail_at(a, e, "TypeError: %s must be a number, not %s", what,
                              value_type_name(v.type));
                value_drop(&v);
                return -1;
        }
        value_drop(&v);
        if (*out < 0) {
                actor_fail_at(a, e, "ValueError: %s must not be negative", what);
                return -1;
        }
        return 0;
}

static int eval_number(actor *a, const expr *e, const char *what, double *out)
{
        value v;

        if (actor_eval(a, e, &v) < 0)
                return -1;
        return number_of(a, e, v, what, out);
}

static int eval_int(actor *a, const expr *e, const char *what, int64_t *out)
{
        value v;

        if (actor_eval(a, e, &v) < 0)
                return -1;
        if (v.type == VALUE_INT)
                *out = v.as.i;
        else if (v.type == VALUE_BOOL)
                *out = v.as.b;
        else {
                actor_fail_at(a, e, "TypeError: %s must be an int, not %s", what,
                              value_type_name(v.type));
                value_drop(&v);
                return -1;
        }
        return 0;
}

/* deadline_of's way for a statement that gives a timeout. */
static int deadline_eval(actor *a, const sc_stmt *s, struct timespec *ts,
                         const struct timespec **dl)
{
        double secs;
        value v;

        if (actor_eval(a, s->timeout, &v) < 0)
                return -1;
        if (v.type == VALUE_NONE)
                return 0;
        if (number_of(a, s->timeout, v, "timeout", &secs) < 0)
                return -1;
        prim_deadline(secs, ts);
        *dl = ts;
        return 0;
}

/* The deadline of a statement's timeout, or NULL for none: no timeout given, or None (as
 * Python's waits take it; a threading.Lock's acquire alone refuses None, a multiprocessing one
 * takes it, and lockstep's lock is both). Inline: a statement without a timeout (nearly every
 * get and put) makes no call. */
static inline int deadline_of(actor *a, const sc_stmt *s, struct timespec *ts,
                              const struct timespec **dl)
{
        *dl = NULL;
        return s->timeout == NULL ? 0 : deadline_eval(a, s, ts, dl);
}

static inline void store_into(actor *a, const sc_stmt *s, value v)
{
        if (s->local >= 0)
                actor_set_local(a, s->local, v);
        else
                value_drop(&v);
}

/* ---- locks and semaphores ---------------------------------------------------------------- */

/* The lock a lock-like resource means and the resource its events name. */
static prim_lock *lock_of(actor *a, int k, int *evres)
{
        const sc_resource *r = &a->sc->resources[k];

        if (r->type == SC_CONDITION && r->lock >= 0)
                k = r->lock;
        *evres = k;
        return &res_of(a, k)->lock;
}

static bool is_semaphore(actor *a, int k)
{
        sc_res_type t = a->sc->resources[k].type;

        return t == SC_SEMAPHORE || t == SC_BOUNDED_SEMAPHORE;
}

static void sem_took(actor *a, int k)
{
        prim_res *r = res_of(a, k);

        prim_mutex_lock(&r->mu);
        actor_emit(a, EV_ACQUIRED, k, -1, prim_sem_taken(r), 0, NULL, 0);
        pthread_mutex_unlock(&r->mu);
}

/* Step mode, after BLOCKED on lock L (or, with L NULL, semaphore K): at the gate, trying again
 * at each grant; granted while it is still taken, a wait with a deadline times out. */
static int retry(actor *a, int k, prim_lock *l, const struct timespec *deadline)
{
        for (;;) {
                int rc;

                step_gate(a);
                rc = l ? prim_lock_retry(l, a->id) : prim_sem_retry(res_of(a, k), a->id);
                if (rc == PRIM_OK)
                        return PRIM_OK;
                if (deadline != NULL)
                        return l ? prim_lock_unblock(l, a->id)
                                 : prim_sem_unblock(res_of(a, k), a->id);
                actor_emit(a, EV_BLOCKED, k, -1, 0, 0, NULL, 0);
        }
}

/* Live: waits for lock L (resource EVRES) after a failed try, saying so. With fifo, in a run that
 * records its moves, in the queue before it says so, as stepped: the queue's order, which decides
 * whom a release hands L to, is then the events' order, and the replay hands it on alike. */
static int lock_wait_live(actor *a, prim_lock *l, int evres, const struct timespec *deadline)
{
        if (l->fifo && a->total_order) {
                if (prim_lock_block(l, a->id) == PRIM_OK)
                        return PRIM_OK;
                actor_emit(a, EV_BLOCKED, evres, -1, 0, deadline != NULL, NULL, 0);
                return prim_lock_wait_queued(l, a->id, deadline);
        }
        actor_emit(a, EV_BLOCKED, evres, -1, 0, deadline != NULL, NULL, 0);
        return prim_lock_wait(l, a->id, deadline);
}

/* acquire for a semaphore K. */
__attribute__((noinline)) static int acquire_sem(actor *a, int k, bool blocking,
                                                 const struct timespec *deadline)
{
        prim_res *r = res_of(a, k);
        int rc;

        if (prim_sem_try(r, a->id) == PRIM_OK) {
                sem_took(a, k);
                return PRIM_OK;
        }
        if (!blocking)
                return PRIM_BUSY;
        interp_gil_drop(a);
        if (stepping(a)) {
                /* in the queue (fifo) before it says it waits, as for a lock */
                rc = prim_sem_block(r, a->id);
                if (rc != PRIM_OK) {
                        actor_emit(a, EV_BLOCKED, k, -1, 0, deadline != NULL, NULL, 0);
                        rc = retry(a, k, NULL, deadline);
                }
        } else if (r->fifo && a->total_order) {
                /* in the queue before it says it waits, as a lock's (lock_wait_live) */
                rc = prim_sem_block(r, a->id);
                if (rc != PRIM_OK) {
                        actor_emit(a, EV_BLOCKED, k, -1, 0, deadline != NULL, NULL, 0);
                        rc = prim_sem_wait_queued(r, a->id, deadline);
                }
        } else {
                actor_emit(a, EV_BLOCKED, k, -1, 0, deadline != NULL, NULL, 0);
                rc = prim_sem_wait(r, a->id, deadline);
        }
        if (rc == PRIM_OK)
                sem_took(a, k);
        else
                actor_emit(a, EV_TIMEOUT, k, -1, 0, 0, NULL, 0);
        return rc;
}

/* acquire for lock L (resource EVRES) that a first try found taken. */
__attribute__((noinline)) static int acquire_busy(actor *a, prim_lock *l, int evres, bool blocking,
                                                  const struct timespec *deadline)
{
        int rc;

        if (!blocking)
                return PRIM_BUSY;
        if (evres != a->gil)
                interp_gil_drop(a);
        if (stepping(a)) {
                /* In the queue (fifo) before it says it waits: a release from now on hands the
                 * lock to it in turn. */
                rc = prim_lock_block(l, a->id);
                if (rc != PRIM_OK) {
                        actor_emit(a, EV_BLOCKED, evres, -1, 0, deadline != NULL, NULL, 0);
                        rc = retry(a, evres, l, deadline);
                }
        } else {
                rc = lock_wait_live(a, l, evres, deadline);
        }
        if (rc == PRIM_OK)
                actor_emit(a, EV_ACQUIRED, evres, -1, l->depth, 0, NULL, 0);
        else
                actor_emit(a, EV_TIMEOUT, evres, -1, 0, 0, NULL, 0);
        return rc;
}

/* Acquires lock-like resource K: PRIM_OK, PRIM_BUSY (not blocking) or PRIM_TIMEOUT. A plain lock
 * the actor holds itself is waited for like any other: only another thread's release (legal for
 * a threading.Lock) or the timeout ends that wait. Inline, a lock taken at the first try (a
 * `with` every iteration); a semaphore and a wait out of line. */
static inline int acquire(actor *a, int k, bool blocking, const struct timespec *deadline)
{
        int evres;
        prim_lock *l;

        actor_memory_drop(a);
        if (is_semaphore(a, k))
                return acquire_sem(a, k, blocking, deadline);
        l = lock_of(a, k, &evres);
        if (prim_lock_try(l, a->id) != PRIM_OK)
                return acquire_busy(a, l, evres, blocking, deadline);
        actor_emit(a, EV_ACQUIRED, evres, -1, l->depth, 0, NULL, 0);
        return PRIM_OK;
}

/* Whether a misuse of resource K raises multiprocessing's error rather than threading's: in a
 * process actor's process (and its threads) a lock is a multiprocessing one, and a Value's or an
 * Array's get_lock() is one everywhere. */
static bool mp_words(const actor *a, int k)
{
        const char *name = a->sc->resources[k].name, *own = ".get_lock()";
        size_t n = strlen(name), no = strlen(own);

        /* a Value's own lock is the resource "NAME.get_lock()", a name nothing else can have */
        return a->copy >= 0 || (n > no && strcmp(name + n - no, own) == 0);
}

/* release for a semaphore K. */
__attribute__((noinline)) static int release_sem(actor *a, int k)
{
        prim_res *r = res_of(a, k);

        prim_mutex_lock(&r->mu);
        if (a->sc->resources[k].type == SC_BOUNDED_SEMAPHORE && r->count >= r->initial) {
                pthread_mutex_unlock(&r->mu);
                return actor_fail(a, mp_words(a, k)
                                         ? "ValueError: semaphore or lock released too many times"
                                         : "ValueError: Semaphore released too many times");
        }
        r->count++;
        actor_emit(a, EV_RELEASED, k, -1, r->count, 0, NULL, 0);
        prim_sem_post(r);
        pthread_mutex_unlock(&r->mu);
        return FLOW_NEXT;
}

/* release of lock L (resource EVRES) that the actor may not release. The messages are Python's
 * (threading's or multiprocessing's), with the resource's name. */
__attribute__((noinline)) static int release_unheld(actor *a, const prim_lock *l, int evres)
{
        const char *name = a->sc->resources[evres].name;

        if (mp_words(a, evres))
                return actor_fail(a,
                                  l->reentrant ? "AssertionError: attempt to release recursive "
                                                 "lock not owned by thread ('%s')"
                                               : "ValueError: semaphore or lock released too many "
                                                 "times ('%s')",
                                  name);
        return actor_fail(a,
                          l->reentrant ? "RuntimeError: cannot release un-acquired lock '%s'"
                                       : "RuntimeError: release unlocked lock '%s'",
                          name);
}

/* A plain lock's release without fifo hand-off (threading.Lock: whoever holds it): RELEASED's
 * place in the order taken while L is held, L freed by one compare-and-swap, the event written;
 * a lock nobody holds gives the place back and raises. One atomic operation on L, where a claim
 * and an unlock were two. */
static inline int release_plain(actor *a, prim_lock *l, int evres)
{
        stream_head *h = actor_emit_begin(a, evres);

        if (prim_lock_release(l) != PRIM_OK) {
                actor_emit_undo(a, h);
                return release_unheld(a, l, evres);
        }
        actor_emit_done(a, h, EV_RELEASED, evres, 0, 0);
        return FLOW_NEXT;
}

/* Inline, as acquire: a lock's release; a semaphore's and an error out of line. */
static inline int release(actor *a, int k)
{
        int evres;
        prim_lock *l;

        if (is_semaphore(a, k))
                return release_sem(a, k);
        l = lock_of(a, k, &evres);
        /* Not the GIL: it is let go inside a step that goes on (a join, a blocking call), and
         * freed before its RELEASED is written, the waiter it wakes more often ran ahead of the
         * rest of that step — a live run that a step replay cannot follow (gil-processes.json:
         * 5 recordings in 30 under ThreadSanitizer, against 1 in 60 with the GIL's two steps). */
        if (!l->reentrant && !l->fifo && k != a->gil)
                return release_plain(a, l, evres);
        /* A plain lock may be released by any actor (threading.Lock); an rlock only by its
         * holder. */
        if (prim_lock_unlocking(l, a->id) != PRIM_OK)
                return release_unheld(a, l, evres);
        actor_emit(a, EV_RELEASED, evres, -1, l->reentrant ? l->depth - 1 : 0, 0, NULL, 0);
        prim_lock_unlock(l);
        return FLOW_NEXT;
}

static int x_acquire(actor *a, const sc_stmt *s)
{
        struct timespec ts;
        const struct timespec *dl;
        int rc;

        if (deadline_of(a, s, &ts, &dl) < 0)
                return FLOW_STOP;
        rc = acquire(a, s->res, s->blocking, dl);
        store_into(a, s, value_bool(rc == PRIM_OK));
        return FLOW_NEXT;
}

static int x_release(actor *a, const sc_stmt *s)
{
        return release(a, s->res);
}

static inline void begin_step(actor *a, const sc_stmt *s);
static inline int run_block(actor *a, const sc_block *b);

/* x_with of anything but a plain lock. */
__attribute__((noinline)) static int with_general(actor *a, const sc_stmt *s)
{
        int flow;

        acquire(a, s->res, true, NULL);
        flow = interp_block(a, &s->body);
        /* the release is its own step, as the end of a with block is in Python */
        begin_step(a, s);
        if (release(a, s->res) == FLOW_STOP)
                return FLOW_STOP;
        return flow;
}

/* A with block: acquire, the body, release. A plain lock's (the hottest loops') in one function,
 * as acquire and release would do it, with nothing between the real acquire and the real release
 * but the events and the body. */
static int x_with(actor *a, const sc_stmt *s)
{
        int k = s->res, flow;
        prim_res *r = res_of(a, k);
        prim_lock *l = &r->lock;

        if (r->type != SC_LOCK)
                return with_general(a, s);
        actor_memory_drop(a);
        if (prim_lock_try(l, a->id) == PRIM_OK)
                actor_emit(a, EV_ACQUIRED, k, -1, l->depth, 0, NULL, 0);
        else
                acquire_busy(a, l, k, true, NULL);
        flow = run_block(a, &s->body);
        begin_step(a, s);
        if (!l->fifo)
                return release_plain(a, l, k) == FLOW_NEXT ? flow : FLOW_STOP;
        /* released by anyone (threading.Lock) */
        if (prim_lock_unlocking(l, a->id) != PRIM_OK)
                return release_unheld(a, l, k);
        actor_emit(a, EV_RELEASED, k, -1, 0, 0, NULL, 0);
        prim_lock_unlock(l);
        return flow;
}

/* ---- conditions, events, barriers ------------------------------------------------------- */

static bool is_notified(actor *a, void *arg)
{
        (void)a;
        return ((prim_actor *)arg)->notified;
}

/* An event wait ends when the event is set, or was set since the wait began (Python's set()
 * wakes every waiter, even when a clear() comes before the waiter runs). */
typedef struct event_wait_arg {
        prim_res *r;
        uint64_t sets; /* r->sets when the wait began */
} event_wait_arg;

static bool is_set(actor *a, void *arg)
{
        const event_wait_arg *w = arg;

        (void)a;
        return w->r->flag || w->r->sets != w->sets;
}

/* Waits on condition K with its lock held; *NOTIFIED says whether a notify (not the timeout)
 * ended the wait. */
static int cond_wait(actor *a, int k, const struct timespec *deadline, bool *notified)
{
        prim_res *r = res_of(a, k);
        prim_actor *me = &a->prim->actors[a->id];
        int evres, depth;
        prim_lock *l = lock_of(a, k, &evres);

        actor_memory_drop(a);
        if (prim_lock_holder(l) != a->id)
                return actor_fail(a,
                                  mp_words(a, k)
                                      ? "AssertionError: must acquire() condition before using "
                                        "wait() ('%s')"
                                      : "RuntimeError: cannot wait on un-acquired lock ('%s')",
                                  a->sc->resources[k].name);
        interp_gil_drop(a);
        prim_mutex_lock(&r->mu);
        me->notified = false;
        r->waitq[r->nwait++] = a->id;
        actor_emit(a, EV_RELEASED, evres, -1, 0, 0, NULL, 0);
        depth = prim_lock_release_all(l, a->id);
        actor_emit(a, EV_WAITING, k, -1, 0, deadline != NULL, NULL, 0);
        wait_until(a, &r->mu, &r->cv, is_notified, me, deadline, EV_WAITING, k, -1);
        *notified = me->notified;
        if (*notified) {
                actor_emit(a, EV_WOKE, k, -1, 0, 0, NULL, 0);
        } else {
                /* timed out: leave the queue */
                for (int j = 0; j < r->nwait; j++)
                        if (r->waitq[j] == a->id) {
                                memmove(&r->waitq[j], &r->waitq[j + 1],
                                        sizeof(int) * (size_t)(r->nwait - j - 1));
                                r->nwait--;
                                break;
                        }
                actor_emit(a, EV_TIMEOUT, k, -1, 0, 0, NULL, 0);
        }
        pthread_mutex_unlock(&r->mu);
        /* Take the lock back, waiting for the notifier to let go of it. */
        if (prim_lock_try(l, a->id) != PRIM_OK) {
                if (stepping(a)) {
                        if (prim_lock_block(l, a->id) != PRIM_OK) {
                                actor_emit(a, EV_BLOCKED, evres, -1, 0, 0, NULL, 0);
                                retry(a, evres, l, NULL);
                        }
                } else {
                        lock_wait_live(a, l, evres, NULL);
                }
        }
        /* an rlock gets its depth back */
        if (l->reentrant)
                l->depth = depth;
        actor_emit(a, EV_ACQUIRED, evres, -1, l->depth, 0, NULL, 0);
        return FLOW_NEXT;
}

static int event_wait(actor *a, int k, const struct timespec *deadline, bool *set)
{
        prim_res *r = res_of(a, k);

        actor_memory_drop(a);
        prim_mutex_lock(&r->mu);
        *set = r->flag;
        if (!r->flag) {
                event_wait_arg w = { .r = r, .sets = r->sets };

                interp_gil_drop(a);
                actor_emit(a, EV_WAITING, k, -1, 0, deadline != NULL, NULL, 0);
                *set = wait_until(a, &r->mu, &r->cv, is_set, &w, deadline, EV_WAITING, k, -1) ==
                       PRIM_OK;
                actor_emit(a, *set ? EV_WOKE : EV_TIMEOUT, k, -1, 0, 0, NULL, 0);
        }
        pthread_mutex_unlock(&r->mu);
        return FLOW_NEXT;
}

static bool barrier_ended(actor *a, void *arg)
{
        (void)a;
        return ((prim_actor *)arg)->barrier != PRIM_BARRIER_WAITING;
}

/* Ends the barrier's current round (with its mu held): every waiter learns how (END), and the
 * next round starts empty. */
static void barrier_end_round(actor *a, prim_res *r, int end)
{
        for (int j = 0; j < r->nwait; j++)
                a->prim->actors[r->waitq[j]].barrier = end;
        r->nwait = 0;
        r->waiting = 0;
        r->generation++;
        prim_cond_broadcast(&r->cv);
}

/* abort(), or a wait that timed out: the barrier is broken until reset (Python's _break). */
static void barrier_break(actor *a, prim_res *r, int k)
{
        actor_emit(a, EV_BROKEN, k, -1, 0, 0, NULL, 0);
        r->broken = true;
        barrier_end_round(a, r, PRIM_BARRIER_BROKEN);
}

static int barrier_wait(actor *a, int k, const struct timespec *deadline, int64_t *index)
{
        prim_res *r = res_of(a, k);
        prim_actor *me = &a->prim->actors[a->id];
        const char *name = a->sc->resources[k].name;
        int end;

        actor_memory_drop(a);
        interp_gil_drop(a);
        prim_mutex_lock(&r->mu);
        if (r->broken) {
                pthread_mutex_unlock(&r->mu);
                return actor_fail(a,
                                  "BrokenBarrierError: barrier '%s' is broken (reset makes it "
                                  "usable again)",
                                  name);
        }
        *index = r->waiting++;
        me->barrier = PRIM_BARRIER_WAITING;
        r->waitq[r->nwait++] = a->id;
        /* The last party's arrival trips the barrier: it goes on without waiting at its gate. */
        actor_emit_flagged(a, r->waiting == r->parties ? EVENT_GOES_ON : 0, EV_WAITING, k, -1,
                           r->waiting, deadline != NULL, NULL, 0);
        if (r->waiting == r->parties)
                barrier_end_round(a, r, PRIM_BARRIER_TRIPPED);
        else
                wait_until(a, &r->mu, &r->cv, barrier_ended, me, deadline, EV_WAITING, k, -1);
        end = me->barrier;
        if (end == PRIM_BARRIER_WAITING) {
                /* Timed out: out of the round, and the barrier breaks for everyone. */
                for (int j = 0; j < r->nwait; j++)
                        if (r->waitq[j] == a->id) {
                                memmove(&r->waitq[j], &r->waitq[j + 1],
                                        sizeof(int) * (size_t)(r->nwait - j - 1));
                                r->nwait--;
                                break;
                        }
                actor_emit(a, EV_TIMEOUT, k, -1, 0, 0, NULL, 0);
                barrier_break(a, r, k);
                pthread_mutex_unlock(&r->mu);
                return actor_fail(a,
                                  "BrokenBarrierError: the wait on barrier '%s' timed out, which "
                                  "breaks it",
                                  name);
        }
        actor_emit(a, EV_WOKE, k, -1, 0, end != PRIM_BARRIER_TRIPPED, NULL, 0);
        pthread_mutex_unlock(&r->mu);
        if (end != PRIM_BARRIER_TRIPPED)
                return actor_fail(a, "BrokenBarrierError: barrier '%s' was %s while waiting", name,
                                  end == PRIM_BARRIER_RESET ? "reset" : "broken");
        return FLOW_NEXT;
}

/* barrier.abort() and barrier.reset(): the waiters get BrokenBarrierError; abort leaves the
 * barrier broken, reset makes it whole and empty. */
static int x_abort_reset(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);

        actor_memory_drop(a);
        prim_mutex_lock(&r->mu);
        if (s->kind == SC_ABORT) {
                barrier_break(a, r, s->res);
        } else {
                actor_emit(a, EV_RESET, s->res, -1, 0, 0, NULL, 0);
                r->broken = false;
                barrier_end_round(a, r, PRIM_BARRIER_RESET);
        }
        pthread_mutex_unlock(&r->mu);
        return FLOW_NEXT;
}

static int x_wait(actor *a, const sc_stmt *s)
{
        struct timespec ts;
        const struct timespec *dl;
        bool ok = false;
        int64_t index = 0;
        int flow;

        if (deadline_of(a, s, &ts, &dl) < 0)
                return FLOW_STOP;
        switch (a->sc->resources[s->res].type) {
        case SC_CONDITION: flow = cond_wait(a, s->res, dl, &ok); break;
        case SC_EVENT: flow = event_wait(a, s->res, dl, &ok); break;
        default:
                flow = barrier_wait(a, s->res, dl, &index);
                if (flow == FLOW_NEXT)
                        store_into(a, s, value_int(index));
                return flow;
        }
        if (flow == FLOW_NEXT)
                store_into(a, s, value_bool(ok));
        return flow;
}

static int x_wait_for(actor *a, const sc_stmt *s)
{
        struct timespec ts;
        const struct timespec *dl;
        value v;

        if (deadline_of(a, s, &ts, &dl) < 0)
                return FLOW_STOP;
        for (;;) {
                bool notified;

                if (actor_eval(a, s->until, &v) < 0)
                        return FLOW_STOP;
                actor_memory_drop(a);
                if (value_truthy(v))
                        break;
                value_drop(&v);
                if (cond_wait(a, s->res, dl, &notified) == FLOW_STOP)
                        return FLOW_STOP;
                if (!notified) {
                        if (actor_eval(a, s->until, &v) < 0)
                                return FLOW_STOP;
                        break;
                }
        }
        store_into(a, s, v);
        return FLOW_NEXT;
}

static int x_set(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);

        prim_mutex_lock(&r->mu);
        actor_emit(a, s->kind == SC_SET ? EV_SET : EV_CLEARED, s->res, -1, 0, 0, NULL, 0);
        r->flag = s->kind == SC_SET;
        if (r->flag) {
                r->sets++;
                prim_cond_broadcast(&r->cv);
        }
        pthread_mutex_unlock(&r->mu);
        return FLOW_NEXT;
}

static int x_notify(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);
        int evres;
        prim_lock *l = lock_of(a, s->res, &evres);
        int64_t n = 1, k;

        if (s->kind == SC_NOTIFY_ALL)
                n = INT32_MAX;
        else if (s->n != NULL && eval_int(a, s->n, "n", &n) < 0)
                return FLOW_STOP;
        if (prim_lock_holder(l) != a->id)
                return actor_fail(a,
                                  mp_words(a, s->res)
                                      ? "AssertionError: lock is not owned ('%s')"
                                      : "RuntimeError: cannot notify on un-acquired lock ('%s')",
                                  a->sc->resources[s->res].name);
        prim_mutex_lock(&r->mu);
        /* Wake the N longest waiters, in the order they began to wait. */
        k = n < r->nwait ? n : r->nwait;
        actor_emit(a, EV_NOTIFIED, s->res, -1, k, 0, NULL, 0);
        for (int64_t j = 0; j < k; j++)
                a->prim->actors[r->waitq[j]].notified = true;
        memmove(&r->waitq[0], &r->waitq[k], sizeof(int) * (size_t)(r->nwait - k));
        r->nwait -= (int)k;
        if (k > 0)
                prim_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        return FLOW_NEXT;
}

/* ---- queues ------------------------------------------------------------------------------ */

/* A put's item, prepared: its bytes in shared memory (0 for a queue in the heap). */
typedef struct put_item {
        int res;
        size_t need;
} put_item;

static bool has_room(actor *a, void *arg)
{
        const put_item *it = arg;
        bool never;

        return store_queue_fits(a->store, it->res, it->need, &never);
}

static bool has_item(actor *a, void *arg)
{
        return store_queue_len(a->store, ((const sc_stmt *)arg)->res) > 0;
}

/* Live, under queue R's mutex: waits on its condition variable for room or an item (READY) as
 * wait_until, counted in R's sleepers while it does, so that a put or a get that finds none
 * (queue_wake) does not signal the variable at all. */
static int queue_wait(actor *a, prim_res *r, ready_fn ready, void *arg,
                      const struct timespec *deadline, int k)
{
        int rc;

        r->sleepers++;
        rc = wait_until(a, &r->mu, &r->cv, ready, arg, deadline, EV_BLOCKED, k, -1);
        r->sleepers--;
        return rc;
}

static void queue_wake(prim_res *r)
{
        if (r->sleepers > 0)
                prim_cond_broadcast(&r->cv);
}

static int x_put(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);
        struct timespec ts;
        const struct timespec *dl;
        value v;
        int rc;
        long need, n;
        bool never;
        char err[200];
        strbuf *enc = &a->enc;
        put_item it = { .res = s->res };
        int64_t box;
        size_t len;
        unsigned tflags;
        const char *text;

        if (actor_eval(a, s->value, &v) < 0)
                return FLOW_STOP;
        if (deadline_of(a, s, &ts, &dl) < 0)
                return value_drop(&v), FLOW_STOP;
        actor_memory_drop(a);
        need = store_queue_prepare(a->store, s->res, v, enc, err, sizeof(err));
        /* too big for any queue between processes (the queue itself is looked at under its
         * mutex, below) */
        never = need >= 0 && (size_t)need > STORE_QUEUE_BYTES;
        if (need < 0 || never) {
                if (need >= 0)
                        snprintf(err, sizeof(err),
                                 "ValueError: an item of %ld bytes does not fit in a queue between "
                                 "processes (at most %zu)",
                                 need, STORE_QUEUE_BYTES);
                value_drop(&v);
                return actor_fail(a, "%s", err);
        }
        it.need = (size_t)need;
        /* the item's text before the mutex: the put then holds it for less */
        text = store_event_text(v, &a->scratch, &box, &len, &tflags);
        prim_mutex_lock(&r->mu);
        /* the room, the item and the count in one pass; the event goes out before the mutex is
         * given back, so before anyone can take the item */
        while ((n = store_queue_put(a->store, s->res, v, it.need, enc)) < 0) {
                interp_gil_drop(a);
                actor_emit(a, EV_BLOCKED, s->res, -1, 0, dl != NULL, NULL, 0);
                rc = queue_wait(a, r, has_room, &it, dl, s->res);
                if (rc != PRIM_OK) {
                        /* put(timeout=...) gives up: the item is not put */
                        actor_emit(a, EV_TIMEOUT, s->res, -1, 0, 0, NULL, 0);
                        pthread_mutex_unlock(&r->mu);
                        value_drop(&v);
                        return FLOW_NEXT;
                }
        }
        actor_emit_flagged(a, tflags, EV_PUT, s->res, -1, (int64_t)n, 0, text, len);
        queue_wake(r);
        pthread_mutex_unlock(&r->mu);
        if (enc->cap > 65536)
                strbuf_free(enc); /* a big item's room is not kept */
        return FLOW_NEXT;
}

static int x_get(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);
        struct timespec ts;
        const struct timespec *dl;
        value v;
        long n;
        int64_t box;
        size_t len;
        unsigned tflags;
        const char *text;

        if (deadline_of(a, s, &ts, &dl) < 0)
                return FLOW_STOP;
        actor_memory_drop(a);
        prim_mutex_lock(&r->mu);
        if ((n = store_queue_take(a->store, s->res, &v)) < 0) {
                interp_gil_drop(a);
                actor_emit(a, EV_BLOCKED, s->res, -1, 0, dl != NULL, NULL, 0);
                queue_wait(a, r, has_item, (void *)s, dl, s->res);
                if ((n = store_queue_take(a->store, s->res, &v)) < 0) {
                        /* get(timeout=...) gives up: `into` receives None */
                        actor_emit(a, EV_TIMEOUT, s->res, -1, 0, 0, NULL, 0);
                        pthread_mutex_unlock(&r->mu);
                        store_into(a, s, value_none());
                        return FLOW_NEXT;
                }
        }
        text = store_event_text(v, &a->scratch, &box, &len, &tflags);
        actor_emit_flagged(a, tflags, EV_GOT, s->res, -1, (int64_t)n, 0, text, len);
        queue_wake(r);
        pthread_mutex_unlock(&r->mu);
        store_into(a, s, v);
        return FLOW_NEXT;
}

/* ---- pipes ------------------------------------------------------------------------------- */

/* Stepped, a message larger than this goes in a memory file whose descriptor the pipe carries
 * (after the length PIPE_IN_FILE): written whole into the socket, it could fill the kernel's
 * buffer and wait there, outside the sender's gate, for a receiver that only lockstep can move. */
#define PIPE_STEP_INLINE 4096
#define PIPE_IN_FILE     UINT32_MAX

/* Whether FD can be read (a message, or the end of the stream) or written without waiting. */
static bool fd_ready(int fd, short what)
{
        struct pollfd p = { .fd = fd, .events = what };
        int rc;

        while ((rc = poll(&p, 1, 0)) < 0 && errno == EINTR)
                ;
        return rc > 0;
}

/* Reads a message's length into *N (as fdio_read), and the descriptor of its memory file if it
 * came with one (PIPE_IN_FILE) into *MFD (-1 otherwise). With DONTWAIT, 2 when nothing is there
 * yet: a look and the read in one system call. */
static int read_length(int fd, uint32_t *n, int *mfd, bool dontwait)
{
        char ctl[CMSG_SPACE(sizeof(int))];
        char *p = (char *)n;
        size_t got = 0;

        *mfd = -1;
        while (got < sizeof(*n)) {
                struct iovec iov = { .iov_base = p + got, .iov_len = sizeof(*n) - got };
                struct msghdr mh = { .msg_iov = &iov,
                                     .msg_iovlen = 1,
                                     .msg_control = ctl,
                                     .msg_controllen = sizeof(ctl) };
                ssize_t r =
                    recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (dontwait && got == 0 ? MSG_DONTWAIT : 0));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && dontwait && got == 0)
                        return 2;
                if (r == 0 && got == 0)
                        return 1;
                if (r <= 0)
                        return -1;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && *mfd < 0)
                                memcpy(mfd, CMSG_DATA(c), sizeof(int));
                got += (size_t)r;
        }
        return 0;
}

/* The message in memory file MFD (closed): its bytes into *BUF (malloc'd), *N of them. 0, or -1. */
static int read_file(int mfd, char **buf, uint32_t *n)
{
        struct stat st;
        size_t got = 0;

        *buf = NULL;
        if (mfd < 0 || fstat(mfd, &st) < 0 || st.st_size < 0 || st.st_size >= PIPE_IN_FILE) {
                if (mfd >= 0)
                        close(mfd);
                return -1;
        }
        *n = (uint32_t)st.st_size;
        *buf = xmalloc((size_t)*n + 1);
        while (got < *n) {
                ssize_t r = pread(mfd, *buf + got, *n - got, (off_t)got);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(mfd);
        return got == *n ? 0 : -1;
}

/* Stepped send of FRAME (its length, then the message) when it is long: in a memory file. 0, or
 * -1 on an error. */
static int send_in_file(int fd, const strbuf *frame)
{
        uint32_t mark = PIPE_IN_FILE;
        int mfd = memfd_create("lockstep-pipe", MFD_CLOEXEC), rc = -1;
        char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { .iov_base = &mark, .iov_len = sizeof(mark) };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

        if (mfd < 0)
                return -1;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &mfd, sizeof(int));
        if (fdio_write(mfd, frame->data + sizeof(mark), frame->len - sizeof(mark)) == 0) {
                ssize_t n;

                while ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
                        ;
                rc = n == (ssize_t)sizeof(mark) ? 0 : -1;
        }
        close(mfd);
        return rc;
}

/*
 * Stepped: whether the socket takes one more message (at most PIPE_STEP_INLINE bytes, or a
 * memory file's mark) without waiting. A unix socket's writer waits only when what it has in
 * flight, as the kernel counts it (SIOCOUTQ, overhead included), has reached its send buffer;
 * below that, one such message goes in whole.
 */
static bool pipe_has_room(int fd)
{
        int queued, size;
        socklen_t len = sizeof(size);

        if (ioctl(fd, SIOCOUTQ, &queued) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) < 0)
                return true;
        return queued < size;
}

/*
 * Live: writes FRAME, trying first without waiting (one system call when it fits, as nearly
 * always: a poll before every write cost the pipe workload 100,000 system calls). When the pipe
 * is full the sender says it is blocked, on a message it has begun to send (SENT is out: the
 * model counts the message in flight, and a received one lets the sender go on), and waits in
 * the write. 0, or -1 when the other end is gone.
 */
static int send_live(actor *a, const sc_stmt *s, int fd, const strbuf *frame)
{
        ssize_t w;

        while ((w = send(fd, frame->data, frame->len, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 &&
               errno == EINTR)
                ;
        if (w == (ssize_t)frame->len)
                return 0;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
        if (w < 0)
                w = 0;
        /* the pipe is full: wait for the receiver */
        interp_gil_drop(a);
        actor_emit(a, EV_BLOCKED, s->res, -1, 0, 0, NULL, 0);
        stream_flush();
        return fdio_write(fd, frame->data + w, frame->len - (size_t)w);
}

/* conn.send(v): a length-framed encoding of the value, written whole. SENT goes out before the
 * write, so no RECEIVED can come before its SENT. */
static int x_send(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);
        int fd = store_pipe_fd(a->store, s->res, s->end);
        strbuf *frame = &a->enc; /* the actor's: no allocation per message */
        char err[200];
        value v;
        int rc;

        if (actor_eval(a, s->value, &v) < 0)
                return FLOW_STOP;
        actor_memory_drop(a);
        if (store_frame(v, frame, err, sizeof(err)) < 0) {
                value_drop(&v);
                return actor_fail(a, "%s", err);
        }
        if (r->closed[s->end] || r->closed[1 - s->end]) {
                value_drop(&v);
                return actor_fail(a, r->closed[s->end] ? "OSError: handle is closed"
                                                       : "BrokenPipeError: [Errno 32] Broken pipe");
        }
        prim_mutex_lock(&r->sendmu[s->end]);
        /* Stepped, a full pipe is waited for at the gate, never in the kernel: lockstep grants
         * the sender again once the receiver has taken a message (a long message goes in a
         * memory file, but its mark fills the socket too, after a few hundred). */
        while (stepping(a) && !pipe_has_room(fd)) {
                interp_gil_drop(a);
                actor_emit(a, EV_BLOCKED, s->res, -1, 0, 0, NULL, 0);
                pthread_mutex_unlock(&r->sendmu[s->end]);
                step_gate(a);
                prim_mutex_lock(&r->sendmu[s->end]);
                if (r->closed[s->end] || r->closed[1 - s->end]) {
                        pthread_mutex_unlock(&r->sendmu[s->end]);
                        value_drop(&v);
                        return actor_fail(a, r->closed[s->end]
                                                 ? "OSError: handle is closed"
                                                 : "BrokenPipeError: [Errno 32] Broken pipe");
                }
        }
        strbuf_reset(&a->scratch);
        store_repr(v, &a->scratch);
        value_drop(&v);
        actor_emit(a, EV_SENT, s->res, -1, 0, s->end, strbuf_str(&a->scratch), a->scratch.len);
        if (stepping(a)) {
                stream_flush(); /* the grant's events, before the step ends */
                rc = frame->len > PIPE_STEP_INLINE ? send_in_file(fd, frame)
                                                   : fdio_write(fd, frame->data, frame->len);
        } else {
                rc = send_live(a, s, fd, frame);
        }
        pthread_mutex_unlock(&r->sendmu[s->end]);
        if (frame->cap > 65536)
                strbuf_free(frame); /* a big message's room is not kept */
        if (rc < 0)
                return actor_fail(a, "BrokenPipeError: [Errno 32] Broken pipe");
        return FLOW_NEXT;
}

/*
 * Live, a receive reads the socket through its end's read-ahead (store_ahead): one read
 * takes as much as the buffer has room for, the message's length and its bytes and, when the
 * sender is ahead, the next messages, which the next receives then take without a system call
 * (before, every message was two: its length, then its bytes). The buffer is in shared memory,
 * read under the end's recvmu, so a receiver in another process takes the next message from it
 * as it would from the socket. Stepped runs read the socket exactly, as a message may come with a
 * memory file's descriptor, and never fill the buffer.
 *
 * ahead_fill reads until AH holds NEED bytes (at most STORE_PIPE_AHEAD): 0; with DONTWAIT, 2
 * when it held nothing and nothing was there; 1 at the end of the stream with nothing held; -1
 * at the end of the stream in the middle of a message, or on an error.
 */
static int ahead_fill(store_ahead *ah, int fd, uint32_t need, bool dontwait)
{
        while (ah->len - ah->at < need) {
                ssize_t got;

                if (ah->at > 0) {
                        memmove(ah->data, ah->data + ah->at, ah->len - ah->at);
                        ah->len -= ah->at;
                        ah->at = 0;
                }
                got = recv(fd, ah->data + ah->len, sizeof(ah->data) - ah->len,
                           dontwait && ah->len == 0 ? MSG_DONTWAIT : 0);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && dontwait &&
                    ah->len == 0)
                        return 2;
                if (got == 0 && ah->len == 0)
                        return 1;
                if (got <= 0)
                        return -1;
                ah->len += (uint32_t)got;
        }
        return 0;
}

/* Live: the next message's length into *N (ahead_fill's answers). */
static int ahead_length(store_ahead *ah, int fd, uint32_t *n, bool dontwait)
{
        int rc = ahead_fill(ah, fd, sizeof(*n), dontwait);

        if (rc == 0) {
                memcpy(n, ah->data + ah->at, sizeof(*n));
                ah->at += sizeof(*n);
        }
        return rc;
}

/* The message's N bytes into BUF: from the read-ahead, filled first when the message fits in
 * it, else what it holds and the rest from the socket. 0, or -1. */
static int ahead_read(store_ahead *ah, int fd, char *buf, uint32_t n)
{
        uint32_t take;

        if (n <= sizeof(ah->data) && ahead_fill(ah, fd, n, false) != 0)
                return -1;
        take = ah->len - ah->at < n ? ah->len - ah->at : n;
        memcpy(buf, ah->data + ah->at, take);
        ah->at += take;
        return take < n ? fdio_read(fd, buf + take, n - take) : 0;
}

/* conn.recv(): waits for a message; at the end of the stream (the other end closed and nothing
 * left), EOFError. */
static int x_recv(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);
        int fd = store_pipe_fd(a->store, s->res, s->end);
        pthread_mutex_t *mu = &r->recvmu[s->end];
        store_ahead *ah = store_pipe_ahead(a->store, s->res, s->end);
        uint32_t n;
        int mfd = -1;
        char small[256], *buf;
        value v;
        int rc;

        actor_memory_drop(a);
        if (r->closed[s->end])
                return actor_fail(a, "OSError: handle is closed");
        prim_mutex_lock(mu);
        /* Live, the read itself tells whether the message is there (one system call at most,
         * not a poll and a read); stepped, a look at the socket, as the model must not be told
         * of a wait that step mode keeps at the gate. */
        rc = stepping(a) ? (fd_ready(fd, POLLIN) ? 0 : 2) : ahead_length(ah, fd, &n, true);
        if (rc == 2) {
                interp_gil_drop(a);
                actor_emit(a, EV_BLOCKED, s->res, -1, 0, 0, NULL, 0);
                if (!stepping(a)) {
                        /* the read below waits for the message (no poll first) */
                        stream_flush();
                } else {
                        /* at the gate, never in the kernel: lockstep decides who moves */
                        for (;;) {
                                pthread_mutex_unlock(mu);
                                step_gate(a);
                                prim_mutex_lock(mu);
                                if (fd_ready(fd, POLLIN))
                                        break;
                                actor_emit(a, EV_BLOCKED, s->res, -1, 0, 0, NULL, 0);
                        }
                }
        }
        if (stepping(a))
                rc = read_length(fd, &n, &mfd, false);
        else if (rc == 2)
                rc = ahead_length(ah, fd, &n, false);
        if (rc != 0) {
                pthread_mutex_unlock(mu);
                /* its own end closed under it (by another process) reads as an end too */
                if (rc > 0 && r->closed[s->end])
                        return actor_fail(a, "OSError: handle is closed");
                return rc > 0 ? actor_fail(a, "EOFError: the other end of '%s' was closed",
                                           a->sc->resources[s->res].name)
                              : actor_fail(a, "OSError: pipe '%s' was cut off in a message",
                                           a->sc->resources[s->res].name);
        }
        if (n == PIPE_IN_FILE) {
                rc = read_file(mfd, &buf, &n);
        } else {
                if (mfd >= 0)
                        close(mfd);
                /* most messages are small: no malloc for them */
                buf = n <= sizeof(small) ? small : xmalloc((size_t)n + 1);
                rc = stepping(a) ? fdio_read(fd, buf, n) : ahead_read(ah, fd, buf, n);
        }
        pthread_mutex_unlock(mu);
        if (rc != 0 || store_decode(buf, n, &v) < 0) {
                if (buf != small)
                        free(buf);
                return actor_fail(a, "OSError: pipe '%s' was cut off in a message",
                                  a->sc->resources[s->res].name);
        }
        if (buf != small)
                free(buf);
        strbuf_reset(&a->scratch);
        store_repr(v, &a->scratch);
        actor_emit(a, EV_RECEIVED, s->res, -1, 0, s->end, strbuf_str(&a->scratch), a->scratch.len);
        store_into(a, s, v);
        return FLOW_NEXT;
}

/* conn.close(): the end is shut down for every process at once, so a receiver at the other end
 * gets EOFError once it has taken what was sent, and a sender there BrokenPipeError. */
static int x_close(actor *a, const sc_stmt *s)
{
        prim_res *r = res_of(a, s->res);

        actor_memory_drop(a);
        prim_mutex_lock(&r->mu);
        actor_emit(a, EV_CLOSED, s->res, -1, 0, s->end, NULL, 0);
        if (!r->closed[s->end]) {
                r->closed[s->end] = true;
                shutdown(store_pipe_fd(a->store, s->res, s->end), SHUT_RDWR);
        }
        pthread_mutex_unlock(&r->mu);
        return FLOW_NEXT;
}

/* ---- memory: store, let, append, pop ----------------------------------------------------- */

/* Resource K now holds V (borrowed), in COPY: -1 the shared one, else this process's own. */
static void changed_in(actor *a, int k, value v, int copy)
{
        int64_t box;
        size_t len;
        unsigned tflags;
        const char *text = store_event_text(v, &a->scratch, &box, &len, &tflags);

        actor_emit_flagged(a, tflags, EV_CHANGED, k, -1, 0, copy, text, len);
}

/* Resource K now holds V (borrowed): in the shared copy, or in this process's own. */
static void changed(actor *a, int k, value v)
{
        changed_in(a, k, v, a->shared[k] ? -1 : a->copy);
}

/* The end of an edit of resource K: written back when it went well. */
static int edited(actor *a, int k, value *target, value *tmp, int flow)
{
        char err[200];

        if (flow != FLOW_NEXT) {
                if (target == tmp)
                        value_drop(tmp);
                return flow;
        }
        changed(a, k, *target);
        if (store_commit(a->store, k, target, err, sizeof(err)) < 0)
                return actor_fail(a, "%s", err);
        return FLOW_NEXT;
}

/* multiprocessing.Value and Array are typed: 'i' holds C ints (an int wraps to 32 bits, as
 * ctypes stores it), 'd' floats (ints convert). */
static int typed(actor *a, const sc_resource *r, value *v)
{
        if (r->type != SC_VALUE && r->type != SC_ARRAY)
                return 0;
        if (r->ctype == 'd' && v->type == VALUE_INT)
                *v = value_float((double)v->as.i);
        else if (r->ctype == 'd' && v->type == VALUE_BOOL)
                *v = value_float(v->as.b);
        else if (r->ctype == 'i' && v->type == VALUE_BOOL)
                *v = value_int(v->as.b);
        else if (r->ctype == 'i' && v->type == VALUE_INT)
                v->as.i = value_c_int(v->as.i);
        /* ctypes' words */
        if (r->ctype == 'd' && v->type != VALUE_FLOAT) {
                actor_fail(a, "TypeError: must be real number, not %s", value_type_name(v->type));
                value_drop(v);
                return -1;
        }
        if (r->ctype == 'i' && v->type != VALUE_INT) {
                actor_fail(a, "TypeError: '%s' object cannot be interpreted as an integer",
                           value_type_name(v->type));
                value_drop(v);
                return -1;
        }
        return 0;
}

/* An Array's item INDEX for a store into TARGET (its list): ctypes' words for a bad one. */
static int array_index(actor *a, const value *target, value index)
{
        int64_t i, n = (int64_t)value_len(*target);

        if (index.type != VALUE_INT && index.type != VALUE_BOOL)
                return actor_fail(a, "TypeError: indices must be integer");
        i = index.type == VALUE_INT ? index.as.i : index.as.b;
        if (i < -n || i >= n)
                return actor_fail(a, "IndexError: invalid index");
        return FLOW_NEXT;
}

/* Sets TARGET[INDEX] = V (a list or dict item), the Python way. */
static int set_item(actor *a, value *target, value index, value v)
{
        char err[200];

        if (store_item_set(target, index, v, err, sizeof(err)) < 0)
                return actor_fail(a, "%s", err);
        return FLOW_NEXT;
}

/* A Manager's list or dict changed in its server (store_append, ...): RC and the new repr in the
 * scratch buffer, or the error in ERR. The reply carries ANSWER (NULL: None), what Python's
 * proxy returns; CHANGED the new contents. */
static int changed_there(actor *a, int k, int rc, const char *err, const value *answer)
{
        actor_reply(a, k, answer, rc < 0 ? err : NULL);
        if (rc < 0)
                return actor_fail(a, "%s", err);
        actor_emit(a, EV_CHANGED, k, -1, 0, -1, strbuf_str(&a->scratch), a->scratch.len);
        return FLOW_NEXT;
}

/* The whole of a Manager's list or dict replaced by V (taken): one request, which carries it. */
static int replaced_there(actor *a, int k, value v)
{
        char err[200];

        actor_request(a, k, "set");
        strbuf_reset(&a->scratch);
        store_repr(v, &a->scratch);
        if (store_commit(a->store, k, &v, err, sizeof(err)) < 0)
                return changed_there(a, k, -1, err, NULL);
        return changed_there(a, k, 0, NULL, NULL);
}

/* x_store of anything but the whole of a resource whose value is in place: an item, a local, a
 * resource in the manager. */
__attribute__((noinline)) static int store_general(actor *a, const sc_stmt *s,
                                                   const actor_lvalue *lv)
{
        const char *name = lv->name;
        int32_t ref = lv->ref;
        const expr *index_e = lv->index;
        value v, index = value_none(), tmp = value_none();
        value *target;
        int flow = FLOW_NEXT;

        if (actor_eval(a, s->value, &v) < 0)
                return FLOW_STOP;
        if (index_e != NULL && actor_eval(a, index_e, &index) < 0)
                return value_drop(&v), FLOW_STOP;
        if (SC_REF_KIND(ref) == SC_REF_RES) {
                int k = SC_REF_INDEX(ref);
                const sc_resource *r = &a->sc->resources[k];

                if (typed(a, r, &v) < 0) {
                        value_drop(&index);
                        return FLOW_STOP;
                }
                actor_memory_take(a);
                if (index_e == NULL && a->managed[k])
                        return replaced_there(a, k, v);
                /* the whole of anything else is in place (x_store), and an Array is never
                 * replaced whole (the loader says so) */
                if (index_e == NULL)
                        xdie("store: '%s' replaced whole, not in place", r->name);
                {
                        char err[200];
                        int rc;

                        if (a->managed[k])
                                actor_request(a, k, "setitem");
                        strbuf_reset(&a->scratch);
                        rc = store_set_item(a->store, k, index, value_ref(v), &a->scratch, err,
                                            sizeof(err));
                        if (rc <= 0) {
                                value_drop(&v);
                                value_drop(&index);
                                return changed_there(a, k, rc, err, NULL);
                        }
                }
                target = store_edit(a->store, k, &tmp);
                if (r->type == SC_ARRAY && array_index(a, target, index) != FLOW_NEXT) {
                        value_drop(&v);
                        flow = FLOW_STOP;
                } else {
                        flow = set_item(a, target, index, v);
                }
                flow = edited(a, k, target, &tmp, flow);
        } else {
                int slot = SC_REF_INDEX(ref);

                if (index_e == NULL) {
                        actor_set_local(a, slot, v);
                } else if (!a->assigned[slot]) {
                        value_drop(&v);
                        flow = actor_fail(a, "NameError: name '%s' is not defined", name);
                } else {
                        flow = set_item(a, &a->locals[slot], index, v);
                }
        }
        value_drop(&index);
        return flow;
}

static int x_store(actor *a, const sc_stmt *s)
{
        const actor_lvalue *lv = actor_lvalue_of(a, s);
        value v, *target = lv->slot;
        int k;

        if (target == NULL)
                return store_general(a, s, lv);
        /* the whole of a resource whose value is in place (a counter in this process's heap, a
         * Value's number): replaced in its slot, nothing to write back; its `changed` under the
         * memory lock, as every store's */
        k = SC_REF_INDEX(lv->ref);
        if (actor_eval(a, s->value, &v) < 0 ||
            (lv->typed && typed(a, &a->sc->resources[k], &v) < 0))
                return FLOW_STOP;
        actor_memory_take(a);
        value_drop(target);
        *target = v;
        changed(a, k, *target);
        return FLOW_NEXT;
}

static int x_let(actor *a, const sc_stmt *s)
{
        value v;

        if (actor_eval(a, s->value, &v) < 0)
                return FLOW_STOP;
        actor_set_local(a, s->local, v);
        return FLOW_NEXT;
}

static int x_append(actor *a, const sc_stmt *s)
{
        char err[200];
        value v, tmp = value_none(), *target;
        int flow = FLOW_NEXT, rc;

        if (actor_eval(a, s->value, &v) < 0)
                return FLOW_STOP;
        actor_memory_take(a);
        if (a->managed[s->res])
                actor_request(a, s->res, "append");
        strbuf_reset(&a->scratch);
        rc = store_append(a->store, s->res, value_ref(v), &a->scratch, err, sizeof(err));
        if (rc <= 0) {
                value_drop(&v);
                return changed_there(a, s->res, rc, err, NULL);
        }
        target = store_edit(a->store, s->res, &tmp);
        if (value_list_append(target, v, err, sizeof(err)) < 0)
                flow = actor_fail(a, "%s", err);
        return edited(a, s->res, target, &tmp, flow);
}

static int x_pop(actor *a, const sc_stmt *s)
{
        char err[200];
        int64_t at = -1;
        value v, tmp = value_none(), *target;
        int flow = FLOW_NEXT, rc;

        if (s->at != NULL && eval_int(a, s->at, "at", &at) < 0)
                return FLOW_STOP;
        actor_memory_take(a);
        if (a->managed[s->res])
                actor_request(a, s->res, "pop");
        strbuf_reset(&a->scratch);
        rc = store_pop(a->store, s->res, at, &v, &a->scratch, err, sizeof(err));
        if (rc <= 0) {
                flow = changed_there(a, s->res, rc, err, rc < 0 ? NULL : &v);
                if (flow == FLOW_NEXT)
                        store_into(a, s, v);
                return flow;
        }
        target = store_edit(a->store, s->res, &tmp);
        if (value_list_pop(target, at, &v, err, sizeof(err)) < 0)
                flow = actor_fail(a, "%s", err);
        flow = edited(a, s->res, target, &tmp, flow);
        if (flow == FLOW_NEXT)
                store_into(a, s, v);
        return flow;
}

/* ---- output, time --------------------------------------------------------------------------- */

static int x_print(actor *a, const sc_stmt *s)
{
        expr_error e = { .offset = -1 };

        strbuf_reset(&a->scratch);
        if (expr_template_render(s->text, &a->env, &a->scratch, &e) < 0)
                return actor_fail_at(a, s->text, "%s", e.msg);
        actor_emit(a, EV_PRINT, -1, -1, 0, 0, strbuf_str(&a->scratch), a->scratch.len);
        return FLOW_NEXT;
}

/* SECS cut to 0 .. ENGINE_MAX_PAUSE (docs/scenario-format.md): also an infinity, and
 * --speed 1e-300's pause of 1e300 s, so that every conversion to an integer below is in range. */
static double clamp_pause(double secs)
{
        return secs > 0 ? secs < ENGINE_MAX_PAUSE ? secs : ENGINE_MAX_PAUSE : 0;
}

static void pause_for(double secs)
{
        struct timespec ts;

        secs = clamp_pause(secs);
        stream_flush();
        ts.tv_sec = (time_t)secs;
        ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

static int x_sleep(actor *a, const sc_stmt *s)
{
        double secs;

        if (eval_number(a, s->value, "sleep", &secs) < 0)
                return FLOW_STOP;
        actor_memory_drop(a);
        secs = clamp_pause(secs);
        actor_emit(a, EV_SLEEP, -1, -1, (int64_t)(secs * 1e9), 0, NULL, 0);
        interp_gil_drop(a);
        if (stepping(a))
                return FLOW_NEXT; /* a sleep advances the actor, not the clock */
        pause_for(secs);
        return FLOW_NEXT;
}

static int x_work(actor *a, const sc_stmt *s)
{
        double ms;
        struct timespec start, now;
        volatile uint64_t sink = 0;

        if (eval_number(a, s->value, "work", &ms) < 0)
                return FLOW_STOP;
        actor_memory_drop(a);
        ms = clamp_pause(ms / 1e3) * 1e3;
        actor_emit(a, EV_WORK, -1, -1, (int64_t)(ms * 1e6), 0, NULL, 0);
        stream_flush(); /* a long computation: what came before it is seen meanwhile */
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
        do {
                for (int k = 0; k < 1000; k++)
                        sink += (uint64_t)k * 2654435761u;
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        } while ((double)(now.tv_sec - start.tv_sec) * 1e3 +
                     (double)(now.tv_nsec - start.tv_nsec) / 1e6 <
                 ms);
        (void)sink;
        return FLOW_NEXT;
}

/* ---- control flow ------------------------------------------------------------------------ */

/* The branch that an if whose test is V (taken) runs. */
static inline int if_branch(actor *a, const sc_stmt *s, value v)
{
        bool t = value_truthy(v);
        const sc_block *b = t ? &s->body : &s->orelse;

        value_drop(&v);
        actor_memory_drop(a);
        /* an if without an else, false: no call (the loops' `if ...: break`) */
        return b->n > 0 ? interp_block(a, b) : FLOW_NEXT;
}

/* x_if whose test is not one of the shapes expr_eval_fast works out. */
__attribute__((noinline)) static int if_general(actor *a, const sc_stmt *s)
{
        value v;

        if (actor_eval_general(a, s->value, &v) < 0)
                return FLOW_STOP;
        return if_branch(a, s, v);
}

static int x_if(actor *a, const sc_stmt *s)
{
        value v;

        if (!expr_eval_fast(s->value, &a->env, &v))
                return if_general(a, s);
        return if_branch(a, s, v);
}

/* Runs a loop body; the loop's own statement becomes the current one again after it. */
static int loop_body(actor *a, const sc_stmt *s, bool *stop)
{
        int flow = run_block(a, &s->body);

        a->stmt = s;
        *stop = flow != FLOW_NEXT;
        return flow == FLOW_BREAK ? FLOW_NEXT : flow;
}

static int x_while(actor *a, const sc_stmt *s)
{
        bool first = true;
        value cst;
        /* `while True`: a literal is what it is at every test, without an evaluation */
        bool constant = expr_constant(s->value, &cst);

        for (;;) {
                value v;
                bool t, stop;
                int flow;

                if (!first)
                        begin_step(a, s);
                first = false;
                if (constant) {
                        t = value_truthy(cst);
                } else {
                        if (actor_eval(a, s->value, &v) < 0)
                                return FLOW_STOP;
                        t = value_truthy(v);
                        value_drop(&v);
                }
                actor_memory_drop(a);
                if (!t)
                        return FLOW_NEXT;
                flow = loop_body(a, s, &stop);
                if (stop)
                        return flow;
        }
}

static int x_repeat(actor *a, const sc_stmt *s)
{
        int64_t n;

        if (eval_int(a, s->value, "repeat", &n) < 0)
                return FLOW_STOP;
        actor_memory_drop(a);
        for (int64_t k = 0; k < n; k++) {
                bool stop;
                int flow;

                if (k > 0)
                        begin_step(a, s);
                if (s->local >= 0)
                        actor_set_local(a, s->local, value_int(k));
                flow = loop_body(a, s, &stop);
                if (stop)
                        return flow;
        }
        return FLOW_NEXT;
}

static int x_for(actor *a, const sc_stmt *s)
{
        value seq;
        size_t n;
        int flow = FLOW_NEXT;

        if (actor_eval(a, s->value, &seq) < 0)
                return FLOW_STOP;
        actor_memory_drop(a);
        if (seq.type == VALUE_DICT || seq.type == VALUE_STR) {
                /* iterate over keys / characters by turning them into a list first */
                value list = value_list();
                char err[200];

                n = value_len(seq);
                for (size_t k = 0; k < n; k++) {
                        if (seq.type == VALUE_DICT) {
                                value_list_append(&list, value_ref(value_dict_key_at(seq, k)), err,
                                                  sizeof(err));
                        } else {
                                size_t len;
                                const char *p = value_str_data(seq, &len);
                                size_t w = utf8_char_len(p + k, len - k);

                                value_list_append(&list, value_str(p + k, w), err, sizeof(err));
                                k += w - 1;
                        }
                }
                value_drop(&seq);
                seq = list;
        } else if (seq.type != VALUE_LIST && seq.type != VALUE_TUPLE) {
                flow = actor_fail(a, "TypeError: '%s' object is not iterable",
                                  value_type_name(seq.type));
                value_drop(&seq);
                return flow;
        }
        n = value_len(seq);
        for (size_t k = 0; k < n; k++) {
                bool stop;

                if (k > 0)
                        begin_step(a, s);
                actor_set_local(a, s->local, value_ref(value_at(seq, k)));
                flow = loop_body(a, s, &stop);
                if (stop)
                        break;
        }
        value_drop(&seq);
        return flow;
}

static int x_break(actor *a, const sc_stmt *s)
{
        (void)a;
        (void)s;
        return FLOW_BREAK;
}

/* ---- actors ------------------------------------------------------------------------------ */

static int x_start(actor *a, const sc_stmt *s)
{
        actor_memory_drop(a); /* a new actor's first step may need it (step mode waits) */
        interp_end_step(a);   /* this step comes before anything the new actors do */
        for (int k = 0; k < s->ntargets; k++)
                if (actor_start(a, s->targets[k]) < 0)
                        return FLOW_STOP;
        return FLOW_NEXT;
}

static bool is_done(actor *a, void *arg)
{
        (void)a;
        return ((prim_actor *)arg)->done;
}

int interp_join(actor *a, int t, const struct timespec *deadline)
{
        prim_actor *p = &a->prim->actors[t];
        bool process = t < a->sc->nactors && a->sc->actors[t].kind == SC_PROCESS;
        int rc = PRIM_OK;

        /* joining oneself would wait for ever: Python refuses it at once */
        if (t == a->id)
                return actor_fail(a, process ? "AssertionError: can only join a child process"
                                             : "RuntimeError: cannot join current thread");
        prim_mutex_lock(&p->mu);
        if (!p->started) {
                pthread_mutex_unlock(&p->mu);
                if (process)
                        return actor_fail(a, "AssertionError: can only join a started process");
                return actor_fail(a, "RuntimeError: cannot join %s before it is started",
                                  scenario_actor_name(a->sc, t));
        }
        /* a process started by another process (a sibling, a grandchild) is not this one's to
         * join: multiprocessing checks the parent's pid */
        if (process && !a->eng->actors[t].started_here) {
                pthread_mutex_unlock(&p->mu);
                return actor_fail(a, "AssertionError: can only join a child process");
        }
        if (!p->done) {
                pthread_mutex_unlock(&p->mu);
                interp_gil_drop(a);
                prim_mutex_lock(&p->mu);
        }
        if (!p->done) {
                actor_emit(a, EV_BLOCKED, -1, t, 0, deadline != NULL, NULL, 0);
                rc = wait_until(a, &p->mu, &p->cv, is_done, p, deadline, EV_BLOCKED, -1, t);
        }
        pthread_mutex_unlock(&p->mu);
        if (rc != PRIM_OK) {
                actor_emit(a, EV_TIMEOUT, -1, t, 0, 0, NULL, 0);
                return FLOW_NEXT; /* join(timeout) just returns, as in Python */
        }
        actor_emit(a, EV_JOINED, -1, t, 0, 0, NULL, 0);
        return FLOW_NEXT;
}

static int x_join(actor *a, const sc_stmt *s)
{
        struct timespec ts;
        const struct timespec *dl;

        actor_memory_drop(a);
        /* a group's join is `for t in group: t.join(timeout)`: each its own timeout */
        for (int k = 0; k < s->ntargets; k++)
                if (deadline_of(a, s, &ts, &dl) < 0 ||
                    interp_join(a, s->targets[k], dl) == FLOW_STOP)
                        return FLOW_STOP;
        return FLOW_NEXT;
}

/* ---- checks and faults -------------------------------------------------------------------- */

static int x_assert(actor *a, const sc_stmt *s)
{
        value v;
        bool ok;
        expr_error e = { .offset = -1 };

        if (actor_eval(a, s->value, &v) < 0)
                return FLOW_STOP;
        ok = value_truthy(v);
        value_drop(&v);
        if (ok)
                return FLOW_NEXT;
        strbuf_reset(&a->scratch);
        /* where, as an error says it */
        strbuf_printf(&a->scratch, "%s:%d:%d: AssertionError", a->sc->path, s->line, s->col);
        /* A message that fails raises its own error instead, as `assert c, 1 / 0` does. */
        if (s->text != NULL) {
                strbuf_puts(&a->scratch, ": ");
                if (expr_template_render(s->text, &a->env, &a->scratch, &e) < 0)
                        return actor_fail_at(a, s->text, "%s", e.msg);
        }
        actor_memory_drop(a);
        __atomic_add_fetch(&a->prim->asserts_failed, 1, __ATOMIC_RELAXED);
        actor_emit(a, EV_ASSERT, -1, -1, 0, 0, strbuf_str(&a->scratch), a->scratch.len);
        return FLOW_STOP; /* an AssertionError ends the actor, as the exception would */
}

/* A real invalid write, kept out of the sanitizers' reach so that it faults the same way. */
__attribute__((no_sanitize("address", "undefined"), noinline)) static void fault(void)
{
        /* Both volatile: the compiler may neither see that it is NULL nor drop the store. */
        volatile int *volatile nowhere = NULL;
        sigset_t segv;

        /* Actor threads block signals; a fault is delivered anyway, but raise() would not be. */
        sigemptyset(&segv);
        sigaddset(&segv, SIGSEGV);
        pthread_sigmask(SIG_UNBLOCK, &segv, NULL);
        *nowhere = 1;
}

static int x_crash(actor *a, const sc_stmt *s)
{
        static const int sig[] = { SIGSEGV, SIGABRT, 0 };

        actor_memory_drop(a);
        strbuf_reset(&a->scratch);
        actor_death_words(&a->scratch, sig[s->crash], s->exit_code);
        /* its last word: the fork server reports the other actors of its process, not it */
        a->prim->actors[a->id].said = true;
        __atomic_add_fetch(&a->prim->errors, 1, __ATOMIC_RELAXED);
        /* the others first: once the scheduler sees this actor's CRASH, they are dead too */
        if (stepping(a) && a->copy >= 0)
                actor_crash_others(a, sig[s->crash], strbuf_str(&a->scratch));
        actor_emit_flagged(a, a->copy < 0 ? EVENT_ENDS_RUNNER : 0, EV_CRASH, -1, -1, s->exit_code,
                           sig[s->crash], strbuf_str(&a->scratch), a->scratch.len);
        stream_flush();

        coverage_flush(); /* the process ends now, without its atexit handlers */
        switch (s->crash) {
        case SC_CRASH_SEGFAULT:
                fault();
                raise(SIGSEGV);
                break;
        case SC_CRASH_ABORT: abort();
        default:
                /* os._exit: the system call itself (ThreadSanitizer's _exit runs its own
                 * finalization from this thread, which can hang while others run) */
                syscall(SYS_exit_group, s->exit_code);
                _exit(s->exit_code);
        }
        return FLOW_STOP;
}

/* pool.map / pool.starmap: the results, in order, into `into`. */
static int x_map(actor *a, const sc_stmt *s)
{
        value out;

        if (pool_map(a, s, &out) == FLOW_STOP)
                return FLOW_STOP;
        store_into(a, s, out);
        return FLOW_NEXT;
}

static const exec_fn exec_table[SC_STMT_KIND_COUNT] = {
        [SC_ACQUIRE] = x_acquire,   [SC_RELEASE] = x_release,   [SC_WITH] = x_with,
        [SC_WAIT] = x_wait,         [SC_WAIT_FOR] = x_wait_for, [SC_SET] = x_set,
        [SC_CLEAR] = x_set,         [SC_NOTIFY] = x_notify,     [SC_NOTIFY_ALL] = x_notify,
        [SC_ABORT] = x_abort_reset, [SC_RESET] = x_abort_reset, [SC_PUT] = x_put,
        [SC_GET] = x_get,           [SC_SEND] = x_send,         [SC_RECV] = x_recv,
        [SC_CLOSE] = x_close,       [SC_APPEND] = x_append,     [SC_POP] = x_pop,
        [SC_STORE] = x_store,       [SC_LET] = x_let,           [SC_PRINT] = x_print,
        [SC_SLEEP] = x_sleep,       [SC_WORK] = x_work,         [SC_IF] = x_if,
        [SC_WHILE] = x_while,       [SC_REPEAT] = x_repeat,     [SC_FOR] = x_for,
        [SC_BREAK] = x_break,       [SC_START] = x_start,       [SC_JOIN] = x_join,
        [SC_MAP] = x_map,           [SC_STARMAP] = x_map,       [SC_ASSERT] = x_assert,
        [SC_CRASH] = x_crash,
};

/* A step that published nothing still shows: STEP. Inline here, after every statement. */
static inline void end_step(actor *a)
{
        if (a->step_pending)
                actor_emit_step(a);
}

void interp_end_step(actor *a)
{
        end_step(a);
}

/* ---- the simulated GIL ("gil") -------------------------------------------------------- */

/* A step needs the GIL. Taking it is the step's first event (it may wait for it). */
__attribute__((noinline)) static void gil_take(actor *a)
{
        acquire(a, a->gil, true, NULL);
        a->holds_gil = true;
        a->gil_steps = 0;
}

void interp_gil_drop(actor *a)
{
        if (a->holds_gil) {
                a->holds_gil = false;
                release(a, a->gil);
        }
}

/* After a step: at the switch interval, hand the GIL on (CPython does it every 5 ms). */
static void gil_tick(actor *a)
{
        if (a->holds_gil && ++a->gil_steps >= a->sc->gil_interval) {
                interp_gil_drop(a);
                if (!stepping(a))
                        sched_yield(); /* let a thread waiting for it take it */
        }
}

/* Step mode: the actor says it is ready for its next step and waits for the grant. */
__attribute__((noinline)) static void ready(actor *a)
{
        prim_actor *me = &a->prim->actors[a->id];

        actor_emit(a, EV_READY, -1, -1, 0, 0, NULL, 0);
        if (!me->arrived) {
                /* whoever started this actor waits for it to reach its first gate */
                prim_mutex_lock(&me->mu);
                me->arrived = true;
                prim_cond_broadcast(&me->cv);
                pthread_mutex_unlock(&me->mu);
        }
        step_gate(a);
}

/* announce in step mode or under the GIL. */
__attribute__((noinline)) static void announce_slow(actor *a)
{
        if (stepping(a))
                ready(a);
        a->step_pending = true;
        if (a->gil >= 0 && !a->holds_gil)
                gil_take(a);
}

/* The step at S begins: in step mode, only once lockstep grants it. Before every statement: a
 * live actor without a GIL (a->gated false: neither can change during its life) in two stores,
 * step mode and the GIL in a call of their own. A guarded statement's step (its first, or a
 * loop's next test) then runs as if it held the memory lock (guard.h). */
static inline void announce(actor *a, const sc_stmt *s)
{
        a->stmt = s;
        if (a->gated)
                announce_slow(a);
        else
                a->step_pending = true;
        if (s->guarded && !a->holds_memory)
                actor_memory_elide(a);
}

/* Begins a new step of the current statement (a loop's next test, a with block's release). */
static inline void begin_step(actor *a, const sc_stmt *s)
{
        end_step(a);
        announce(a, s);
}

/* S's caption, said. Out of line: the statements without one (most) need no room for its error
 * on the stack. */
__attribute__((noinline)) static int say(actor *a, const sc_stmt *s)
{
        expr_error e = { .offset = -1 };

        strbuf_reset(&a->scratch);
        /* The memory lock the caption may take stays held into the statement: caption and
         * statement are one atomic step (the statement drops it before any wait). */
        if (expr_template_render(s->say, &a->env, &a->scratch, &e) < 0)
                return actor_fail_at(a, s->say, "%s", e.msg);
        actor_emit(a, EV_SAY, -1, -1, 0, 0, strbuf_str(&a->scratch), a->scratch.len);
        return FLOW_NEXT;
}

/* Statement S of a block, its step before it ended: the pacer (live mode's pause and speed),
 * then the step begins (its first event will say so), and its caption is said — before the
 * statement's effect; a caption that fails is the step's error, and the statement does not run.
 * After it its step ends, and its memory lock and (at the switch interval) its GIL are given
 * back. */
static inline int run_stmt(actor *a, const sc_stmt *s)
{
        int flow = FLOW_NEXT;

        if (a->pacer != NULL)
                gate_pacer_wait(a->pacer);
        announce(a, s);
        if (s->say != NULL)
                flow = say(a, s);
        if (flow == FLOW_NEXT)
                flow = exec_table[s->kind](a, s);
        /* Under the memory lock still: a step's event takes its place in the run at the moment
         * its reads and writes did, so a live run's order replays exactly. */
        end_step(a);
        actor_memory_drop(a);
        gil_tick(a);
        return flow;
}

/* interp_block, a block of one statement (`with lock: store ...`, `repeat N: put ...`) without
 * its call: the hottest loops' bodies. */
static inline int run_block(actor *a, const sc_block *b)
{
        if (b->n != 1)
                return interp_block(a, b);
        end_step(a);
        return run_stmt(a, b->stmts);
}

int interp_block(actor *a, const sc_block *b)
{
        const sc_stmt *s, *end;

        if (b->n == 0)
                return FLOW_NEXT;
        /* the step before the block (a loop's test, a with's acquire) ends here; each statement's
         * ends after it, so the next one begins without a look */
        end_step(a);
        for (s = b->stmts, end = s + b->n; s != end; s++) {
                int flow = run_stmt(a, s);

                if (flow != FLOW_NEXT)
                        return flow;
        }
        return FLOW_NEXT;
}
