/*
 * recorder.c — the moves of a run for --save-schedule; see recorder.h.
 *
 * A stepped run's moves are its grants. A live run's are read from its events, which come in
 * the order they were published (engine_options.total_order). A move begins with an actor's step
 * (EVENT_BEGINS_STEP) or with the end of a wait (a waiting actor going on), as a grant does in
 * step mode, and takes every event of its actor up to the next. In step mode a move is atomic;
 * live, moves overlap, and the one thing the order of events cannot say is when a failed try
 * happened: an actor publishes BLOCKED after its try failed, and the model's view of a resource
 * lags the real one (an acquire is published after the real take, a release before the real give),
 * so a try can have failed on a lock that the events show free, or held by a move that also lets it
 * go. A failed try changes nothing, so it may be placed at any point between the waiter's previous
 * move and its going on, as long as the resource is unavailable there to a stepped try. So:
 *
 *  - a take or a failed try goes after the last move that took, gave back or tried its resource
 *    (changed_at; with --handoff fifo a failed try joins the queue): it sees the resource as that
 * move left it, as a stepped one does — a take within a move too (a woken condition waiter taking
 * its lock back, published after the notifier's release although the wake-up came before it);
 *  - a try on something that the events show available (transient) was, in step mode, not a
 *    failed try: the actor took it at once, and its going on is the same move;
 *  - when another actor's move takes it from a transient waiter first, the try goes after that
 *    move (where it fails, as live) — never that move before the try, which would put it before
 *    that actor's own earlier moves;
 *  - a printed line goes after the move of the line before it, as the output is one resource,
 *    and a join after the move that ended the actor it joins;
 *  - a try that fails on a lock whose holder is in the middle of a move (held_by) waits for that
 *    move to end: if the move lets it go (a woken condition waiter checking its predicate and
 *    waiting again; a thread handing the GIL on at the end of a step), a stepped try after it
 *    succeeds, so the try is transient again; if the move ends holding it, the try failed for
 *    real. A join of an actor in the middle of a move (a sleep, live) is the same: if that move
 *    ends its script, a stepped join after it succeeds.
 *  - a waiter's death when its process dies is no move: stepped, it happens within the move of
 *    the actor that crashed the process.
 *
 * Moves only ever move later (place_after), so each actor's moves stay in its program order. A
 * move passes over others only when what it sees next (a take, a failed try, a line) came after
 * them; the reading assumes that what it did before in the same move (a wake-up, a GIL taken and
 * given back) does not matter to them.
 */
#include "session/recorder.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define NONE SIZE_MAX

struct recorder {
        int nall, nres;
        int *moves;
        size_t nmoves, cap, max; /* max: the most it records */
        size_t *last_at;     /* where each actor's latest move is in moves, NONE before its first */
        uint64_t *move_seq;  /* the event that began each actor's latest move */
        bool *transient;     /* waits on something available: its going on is the same move */
        int *held_by;        /* its try failed while the holder (or the actor it joins) was in
                                the middle of a move: that actor, else -1 ... */
        uint64_t *held_move; /* ... and that move's move_seq */
        size_t *changed_at;  /* the move of each resource's last change, NONE before any; [nres]:
                                the output's last line */
};

recorder *recorder_new(int nactors, int nres, size_t max)
{
        recorder *r = xcalloc(1, sizeof(*r));

        r->max = max;
        r->nall = nactors;
        r->nres = nres;
        r->last_at = xcalloc((size_t)nactors, sizeof(size_t));
        r->move_seq = xcalloc((size_t)nactors, sizeof(uint64_t));
        r->transient = xcalloc((size_t)nactors, sizeof(bool));
        r->held_by = xcalloc((size_t)nactors, sizeof(int));
        r->held_move = xcalloc((size_t)nactors, sizeof(uint64_t));
        r->changed_at = xcalloc((size_t)nres + 1, sizeof(size_t));
        for (int k = 0; k < nactors; k++) {
                r->last_at[k] = NONE;
                r->held_by[k] = -1;
        }
        for (int k = 0; k <= nres; k++)
                r->changed_at[k] = NONE;
        return r;
}

void recorder_free(recorder *r)
{
        if (r == NULL)
                return;
        free(r->moves);
        free(r->last_at);
        free(r->move_seq);
        free(r->transient);
        free(r->held_by);
        free(r->held_move);
        free(r->changed_at);
        free(r);
}

int recorder_append(recorder *r, int a)
{
        if (r->nmoves >= r->max)
                return -1;
        r->moves = xgrow(r->moves, &r->cap, r->nmoves + 1, sizeof(int));
        r->moves[r->nmoves] = a;
        r->last_at[a] = r->nmoves++;
        return 0;
}

const int *recorder_moves(const recorder *r, size_t *n)
{
        *n = r->nmoves;
        return r->moves;
}

/* Moves K's latest move to just after move Q, if it is before it: what it passes over did not
 * touch what the move is about (see the top of the file). */
static void place_after(recorder *r, int k, size_t q)
{
        size_t from = r->last_at[k];

        if (q == NONE || from == NONE || from > q)
                return;
        memmove(&r->moves[from], &r->moves[from + 1], sizeof(int) * (q - from));
        r->moves[q] = k;
        for (int j = 0; j < r->nall; j++)
                if (r->last_at[j] != NONE && r->last_at[j] > from && r->last_at[j] <= q)
                        r->last_at[j]--;
        for (int x = 0; x <= r->nres; x++)
                if (r->changed_at[x] == from)
                        r->changed_at[x] = q;
                else if (r->changed_at[x] != NONE && r->changed_at[x] > from &&
                         r->changed_at[x] <= q)
                        r->changed_at[x]--;
        r->last_at[k] = q;
}

/* What a stepped try sees of a resource: its takes (and a failed try), and its gives. */
#define BIT(k) (1ull << (k))
#define TAKES                                                                                      \
        (BIT(EV_BLOCKED) | BIT(EV_ACQUIRED) | BIT(EV_GOT) | BIT(EV_PUT) | BIT(EV_RECEIVED) |       \
         BIT(EV_SENT))
#define GIVES (BIT(EV_RELEASED) | BIT(EV_CLOSED))
_Static_assert(EV_KIND_COUNT <= 64, "a kind is a bit of a uint64_t");

static bool kind_in(int kind, uint64_t kinds)
{
        return kind >= 0 && kind < 64 && (kinds & BIT(kind));
}

static bool waiting_state(model_state st)
{
        return st == MODEL_BLOCKED || st == MODEL_WAITING;
}

/* A's try on RES failed. */
static void blocked(recorder *r, const model *m, int a, int res)
{
        int h = model_res_at(m, res)->holder;

        if (h >= 0 && h != a) {
                r->held_by[a] = h;
                r->held_move[a] = r->move_seq[h];
        }
        /* with --handoff fifo the try joins the queue: the next try goes after it */
        r->changed_at[res] = r->last_at[a];
}

/* A changed RES (EV: anything but a wait's start or its timeout). */
static void changed(recorder *r, const model *m, const event *ev, int a, int res)
{
        r->changed_at[res] = r->last_at[a];
        /* A lets go, within the move it was making, of what others' tries failed on then */
        if (ev->kind == EV_RELEASED)
                for (int k = 0; k < r->nall; k++)
                        if (r->held_by[k] == a && r->held_move[k] == r->move_seq[a] &&
                            model_actor_at(m, k)->res == res && model_can_proceed(m, k)) {
                                r->held_by[k] = -1;
                                r->transient[k] = true;
                        }
}

/* A's join of T failed while T is in the middle of a move (a sleep): if that move ends T's
 * script, a stepped join after it succeeds. */
static void blocked_on_join(recorder *r, const model *m, int a, int t)
{
        model_state st = model_actor_at(m, t)->state;

        if (t != a && r->last_at[t] != NONE && (st == MODEL_RUNNING || st == MODEL_SLEEPING)) {
                r->held_by[a] = t;
                r->held_move[a] = r->move_seq[t];
        }
}

/* A's script ended (or A died) within its latest move: who joined it in that move goes on. */
static void ended(recorder *r, const model *m, int a)
{
        for (int k = 0; k < r->nall; k++)
                if (r->held_by[k] == a && r->held_move[k] == r->move_seq[a] &&
                    model_actor_at(m, k)->res < 0 && model_can_proceed(m, k)) {
                        r->held_by[k] = -1;
                        r->transient[k] = true;
                        place_after(r, k, r->last_at[a]);
                }
}

int recorder_take(recorder *r, const model *m, const event *ev, model_state before)
{
        int a = ev->actor, res = ev->res;
        model_state after = model_actor_at(m, a)->state;
        bool step = event_begins_step(ev);
        /* (a waiter's death is no move: stepped, its process dies within the crashing actor's
         * move) */
        bool resumed = !step && waiting_state(before) && !waiting_state(after) &&
                       ev->kind != EV_EXIT && ev->kind != EV_CRASH;

        if (step || (resumed && !r->transient[a])) {
                if (recorder_append(r, a) < 0)
                        return -1;
                r->move_seq[a] = ev->seq;
        }
        if (resumed) {
                r->transient[a] = false;
                r->held_by[a] = -1;
        }
        if (res >= 0 && res < r->nres) {
                /* A take or a failed try goes after what it saw: a woken condition waiter that
                 * takes its lock back once its notifier let go goes after the notifier's
                 * release. (Only these: a condition and its own lock are one resource, and a
                 * wait on the condition does not see who has the lock.) */
                if (kind_in(ev->kind, TAKES))
                        place_after(r, a, r->changed_at[res]);
                if (ev->kind == EV_BLOCKED)
                        blocked(r, m, a, res);
                else if (kind_in(ev->kind, TAKES | GIVES))
                        changed(r, m, ev, a, res);
        } else if (ev->kind == EV_BLOCKED && ev->other >= 0 && ev->other < r->nall) {
                blocked_on_join(r, m, a, ev->other);
        } else if (ev->kind == EV_JOINED && ev->other >= 0 && ev->other < r->nall) {
                /* after the move that ended the joined actor (a join of a group finds one done
                 * without waiting, after the move that began with the join of another) */
                place_after(r, a, r->last_at[ev->other]);
        } else if (ev->kind == EV_PRINT) {
                /* lines come out in the order of the moves that print them: a line printed
                 * within a move (after it took its GIL) goes after the last one */
                place_after(r, a, r->changed_at[r->nres]);
                r->changed_at[r->nres] = r->last_at[a];
        }
        if (ev->kind == EV_EXIT || ev->kind == EV_CRASH)
                ended(r, m, a);
        /* Starting to wait on something available — in a step, or on the way out of a wait (a
         * woken condition waiter taking its lock back just as the notifier lets go) — is the
         * transient of a failed try. */
        if (waiting_state(after) && (step || !waiting_state(before)))
                r->transient[a] = model_can_proceed(m, a);
        /* Someone took it first: the try fails after the move that took it. */
        for (int k = 0; k < r->nall; k++)
                if (r->transient[k] && !model_can_proceed(m, k)) {
                        r->transient[k] = false;
                        place_after(r, k, r->last_at[a]);
                        if (res >= 0 && model_actor_at(m, k)->res == res &&
                            model_res_at(m, res)->holder == a)
                                r->held_by[k] = a;
                        r->held_move[k] = r->move_seq[a];
                }
        return 0;
}
