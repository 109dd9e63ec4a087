/*
 * describe.c — a resource in words and roles (see describe.h).
 */
#include "tui/describe.h"

#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

/* "A, B, C" */
static void add_actors(spans *l, const model *m, const model_ids *ids, term_role role)
{
        for (size_t k = 0; k < ids->n; k++) {
                const model_actor *a = model_actor_at(m, ids->v[k]);

                spans_add(l, role, "%s%s", k > 0 ? ", " : "", a != NULL ? a->name : "?");
        }
}

/* A semaphore's holders: each once, in the order they took their first permit, with how many
 * they hold when more than one ("Producer ×2", not "Producer, Producer"; "x2" in a terminal that
 * is not UTF-8). */
static void add_holders(spans *l, const model *m, const model_ids *ids, bool narrow)
{
        for (size_t k = 0, shown = 0; k < ids->n; k++) {
                const model_actor *a = model_actor_at(m, ids->v[k]);
                size_t times = 0;
                bool before = false;

                for (size_t j = 0; j < ids->n; j++) {
                        before |= j < k && ids->v[j] == ids->v[k];
                        times += ids->v[j] == ids->v[k];
                }
                if (before)
                        continue;
                spans_add(l, ROLE_HOLDER, "%s%s", shown++ > 0 ? ", " : "",
                          a != NULL ? a->name : "?");
                if (times > 1)
                        spans_add(l, ROLE_NORMAL, narrow ? " x%zu" : " ×%zu", times);
        }
}

/* IDS on a row of their own after WHAT, in ROLE: waiters (ROLE_WAITER), or those a barrier lets
 * go, whose wait is over (ROLE_FREE) */
static void add_ids(spans *l, const model *m, const model_ids *ids, const char *what,
                    term_role role)
{
        if (ids->n == 0)
                return;
        spans_row(l);
        spans_add(l, ROLE_NORMAL, "%s: ", what);
        add_actors(l, m, ids, role);
}

static void add_waiters(spans *l, const model *m, const model_ids *ids, const char *what)
{
        add_ids(l, m, ids, what, ROLE_WAITER);
}

/* A pipe's waiters of IDS at its end END (0: a, 1: b; -1: either), on a row of their own:
 * "receiving at b: Receiver" — the end says which way the message goes. */
static void add_pipe_waiters(spans *l, const model *m, const model_ids *ids, int end,
                             const char *end_name, const char *what)
{
        int v[SC_MAX_ACTORS + 1];
        model_ids at = { .v = v };

        for (size_t k = 0; k < ids->n && at.n < SC_MAX_ACTORS + 1; k++) {
                const model_actor *a = model_actor_at(m, ids->v[k]);

                if (a != NULL && a->end == end)
                        v[at.n++] = ids->v[k];
        }
        if (at.n == 0)
                return;
        spans_row(l);
        if (end < 0)
                spans_add(l, ROLE_NORMAL, "%s: ", what);
        else
                spans_add(l, ROLE_NORMAL, "%s at %s: ", what, end_name);
        add_actors(l, m, &at, ROLE_WAITER);
}

/* The columns S takes as the terminal shows it (not NARROW: a UTF-8 terminal's) */
static int columns(const char *s, bool narrow)
{
        return utf8_columns(s, strlen(s), !narrow);
}

static int digits(size_t n)
{
        int d = 1;

        while (n >= 10)
                n /= 10, d++;
        return d;
}

/* The items of a queue or a pipe direction as a box in ROOM columns: [ 'a' | 'b' | _ ] (empty
 * slots of a bounded queue shown up to a few). The items that do not fit are counted instead,
 * "[ 'a' | 'b' | ... 41 more ]", so that what follows the box stays in view; the first is
 * always shown (cut at the row's end if need be). */
static void add_box(spans *l, const model_texts *items, int64_t max, int room, bool narrow)
{
        size_t n = items->n, k, fit;
        int64_t empty = max > 0 ? max - (int64_t)n : 0, e;
        int used = 1;

        /* how many fit with " ]" after them (counting stops at the room: a queue may hold
         * 100,000) */
        for (fit = 0; fit < n; fit++) {
                const char *item = model_texts_at(items, fit);

                used += (fit > 0 ? 3 : 1) + columns(item, narrow);
                if (used + 2 > room)
                        break;
        }
        used = 1;
        spans_add(l, ROLE_NORMAL, "[");
        for (k = 0; k < n; k++) {
                const char *item = model_texts_at(items, k);
                int cols = (k > 0 ? 3 : 1) + columns(item, narrow);

                /* not all of them: room for the count of those after it, " | ... 41 more ]" */
                if (k > 0 && fit < n && used + cols + 14 + digits(n - k - 1) > room)
                        break;
                spans_add(l, ROLE_BOLD, "%s%s", k > 0 ? " | " : " ", item);
                used += cols;
        }
        if (k < n) {
                spans_add(l, ROLE_DIM, " | ... %zu more", n - k);
                empty = 0;
        }
        /* an empty place " | _" where " ..." and " ]" still fit after it */
        for (e = 0; e < empty && e < 8 && used + 4 + 6 <= room; e++, used += 4)
                spans_add(l, ROLE_DIM, "%s_", n + (size_t)e > 0 ? " | " : " ");
        if (e < empty)
                spans_add(l, ROLE_DIM, " ...");
        spans_add(l, ROLE_NORMAL, " ]");
}

static void add_lock(spans *l, const model *m, const model_res *r)
{
        const model_actor *h = model_actor_at(m, r->holder);

        if (h != NULL && r->worker >= 0) {
                /* a pool worker's GIL: its events name the map's caller, but the worker holds it */
                spans_add(l, ROLE_NORMAL, "held by ");
                spans_add(l, ROLE_HOLDER, "worker %d", r->worker);
        } else if (h != NULL) {
                spans_add(l, ROLE_NORMAL, "held by ");
                spans_add(l, ROLE_HOLDER, "%s", h->name);
                if (r->depth > 1)
                        spans_add(l, ROLE_NORMAL, " (depth %d)", r->depth);
        } else {
                spans_add(l, ROLE_FREE, "free");
        }
}

/* The values of a var, list, dict, value or array: one, or the shared copy and below it each
 * process's own (a var forked into a process is that process's copy from then on). */
static void add_copies(spans *l, const model *m, const model_res *r)
{
        for (size_t k = 0; k < r->ncopies; k++) {
                const model_actor *o = model_actor_at(m, r->copies[k].owner);
                char num[VALUE_INT_TEXT];

                if (k > 0) {
                        spans_row(l);
                        spans_add(l, ROLE_NORMAL, "%s's copy = ", o != NULL ? o->name : "?");
                } else {
                        spans_add(l, ROLE_NORMAL, "= ");
                }
                spans_add(l, ROLE_BOLD, "%s", model_copy_text(&r->copies[k], num));
                if (k == 0 && r->ncopies > 1)
                        spans_add(l, ROLE_DIM, "  (the main process's)");
        }
        if (r->manager) { /* a row of its own: the value keeps the first row's room */
                spans_row(l);
                spans_add(l, ROLE_DIM, "in the manager's server, %lld request%s",
                          (long long)r->requests, r->requests == 1 ? "" : "s");
                /* every access is a round trip: who is waiting for the server's reply now */
                add_waiters(l, m, &r->asking, "waiting for a reply");
        }
}

/* A pool: a row per worker with how many results of the map it gave and the task it runs, then
 * the results of the current map as they come, wrapped within WIDTH columns over at most a few
 * rows. */
static void add_pool(spans *l, const model *m, int ri, int width)
{
        const model_res *r = model_res_at(m, ri);
        size_t n = model_result_count(m, ri), k;
        int used = 0, rows = 0;
        char item[64];
        model_line line;

        spans_add(l, ROLE_NORMAL, "%d workers, %zu result%s", r->nworkers, n, n == 1 ? "" : "s");
        for (int w = 0; w < r->nworkers; w++) {
                const model_worker *wk = &r->workers[w];
                char num[VALUE_INT_TEXT];
                const char *arg = model_worker_arg(wk, num);

                spans_row(l);
                /* how the map's work spread over the workers, before the task (a long argument
                 * is cut at the row's end) */
                if (wk->done > 0)
                        spans_add(l, ROLE_NORMAL, "worker %d (%lld done): ", w,
                                  (long long)wk->done);
                else
                        spans_add(l, ROLE_NORMAL, "worker %d: ", w);
                if (wk->task >= 0)
                        spans_add(l, ROLE_HOLDER, "task %lld (argument %s)", (long long)wk->task,
                                  arg != NULL ? arg : "");
                else
                        spans_add(l, ROLE_DIM, "idle");
        }
        if (n == 0)
                return;
        spans_row(l);
        spans_add(l, ROLE_NORMAL, "results:");
        used = 8;
        for (k = 0; k < n && rows < 4; k++) {
                const model_line *res = model_result_at(m, ri, k, &line);
                int len =
                    snprintf(item, sizeof(item), " [%lld]=%s", (long long)res->index, res->text);

                if (len >= (int)sizeof(item))
                        len = (int)sizeof(item) - 1;
                if (used + len > width && used > 0) {
                        if (++rows == 4)
                                break;
                        spans_row(l);
                        spans_add(l, ROLE_NORMAL, "        ");
                        used = 8;
                }
                spans_add(l, ROLE_FREE, "%s", item);
                used += len;
        }
        if (k < n)
                spans_add(l, ROLE_DIM, " ... %zu more", n - k);
}

/* One resource, drawn for what it is; WIDTH: the columns of its later rows. */
void describe_res(const model *m, int ri, spans *l, describe_room room)
{
        const model_res *r = model_res_at(m, ri);

        switch (r->type) {
        case SC_LOCK:
        case SC_RLOCK:
                add_lock(l, m, r);
                add_waiters(l, m, &r->blocked, "waiting");
                break;
        case SC_SEMAPHORE:
        case SC_BOUNDED_SEMAPHORE:
                /* one that starts at 0 counts what is released to it (items, signals): "1 of 0
                 * free" would say nothing; a release too many of a pool's shows ("3 of 2") */
                if (r->initial == 0)
                        spans_add(l, r->count > 0 ? ROLE_FREE : ROLE_WAITER, "count %lld",
                                  (long long)r->count);
                else
                        spans_add(l, r->count > 0 ? ROLE_FREE : ROLE_WAITER, "%lld of %lld free",
                                  (long long)r->count, (long long)r->initial);
                if (r->holders.n > 0) {
                        spans_row(l);
                        spans_add(l, ROLE_NORMAL, "held by ");
                        add_holders(l, m, &r->holders, room.narrow);
                }
                add_waiters(l, m, &r->blocked, "waiting");
                break;
        case SC_EVENT:
                spans_add(l, r->set ? ROLE_FREE : ROLE_WAITER, "%s", r->set ? "set" : "clear");
                add_waiters(l, m, &r->waiting, "waiting");
                add_waiters(l, m, &r->blocked, "waiting");
                break;
        case SC_CONDITION:
                if (r->lock < 0) {
                        spans_add(l, ROLE_NORMAL, "lock ");
                        add_lock(l, m, r);
                } else {
                        const model_res *lk = model_res_at(m, r->lock);

                        spans_add(l, ROLE_NORMAL, "uses %s", lk != NULL ? lk->name : "?");
                }
                add_waiters(l, m, &r->blocked, "want the lock");
                add_waiters(l, m, &r->waiting, "waiting");
                if (r->pending > 0)
                        spans_add(l, ROLE_FREE, "; %lld notified", (long long)r->pending);
                break;
        case SC_BARRIER: {
                /* the `pending` oldest waiters were let go (a trip, or a break): they go on as soon
                 * as they move, so they are not shown waiting with the next round's arrivals */
                size_t gone =
                    r->pending < (int64_t)r->waiting.n ? (size_t)r->pending : r->waiting.n;
                model_ids going = { .v = r->waiting.v, .n = gone };
                model_ids rest = { .v = r->waiting.v + gone, .n = r->waiting.n - gone };

                if (r->broken)
                        spans_add(l, ROLE_WAITER, "broken");
                else if (gone > 0 && r->arrivals == 0)
                        spans_add(l, ROLE_FREE, "all %lld arrived", (long long)r->parties);
                else
                        spans_add(l, ROLE_NORMAL, "%lld of %lld arrived", (long long)r->arrivals,
                                  (long long)r->parties);
                add_ids(l, m, &going, r->broken ? "BrokenBarrierError" : "going on",
                        r->broken ? ROLE_WAITER : ROLE_FREE);
                add_waiters(l, m, &rest, "waiting");
                break;
        }
        case SC_QUEUE: {
                char count[48];

                if (r->max > 0)
                        snprintf(count, sizeof(count), " %zu/%lld", r->items.n, (long long)r->max);
                else
                        snprintf(count, sizeof(count), " %zu", r->items.n);
                add_box(l, &r->items, r->max, room.first - (int)strlen(count), room.narrow);
                spans_add(l, ROLE_NORMAL, "%s", count);
                add_waiters(l, m, &r->blocked, "getting");
                add_waiters(l, m, &r->putters, "putting");
                break;
        }
        case SC_PIPE: {
                /* the ends as the script names them: a and b, or the names of "ends" */
                const sc_resource *sr = &model_scenario(m)->resources[ri];
                const char *ea = sr->ends[0] != NULL ? sr->ends[0] : "a";
                const char *eb = sr->ends[1] != NULL ? sr->ends[1] : "b";
                int way = columns(ea, room.narrow) + columns(eb, room.narrow) + 3;
                int row_room = room.first;

                /* each direction its own box, one under the other; a one-way pipe's only
                 * direction is b->a (Pipe(duplex=False): a receives, b sends) */
                if (r->duplex || r->flow[0].n > 0) {
                        spans_add(l, ROLE_NORMAL, "%s->%s ", ea, eb);
                        add_box(l, &r->flow[0], 0, row_room - way, room.narrow);
                        spans_row(l);
                        row_room = room.rest;
                }
                spans_add(l, ROLE_NORMAL, "%s->%s ", eb, ea);
                add_box(l, &r->flow[1], 0, row_room - way, room.narrow);
                if (r->closed[0] || r->closed[1]) {
                        spans_row(l); /* of the pipe, not of the direction above */
                        spans_add(l, ROLE_DIM, "closed:%s%s%s%s", r->closed[0] ? " " : "",
                                  r->closed[0] ? ea : "", r->closed[1] ? " " : "",
                                  r->closed[1] ? eb : "");
                }
                for (int end = -1; end <= 1; end++) {
                        add_pipe_waiters(l, m, &r->blocked, end, end == 1 ? eb : ea, "receiving");
                        add_pipe_waiters(l, m, &r->putters, end, end == 1 ? eb : ea, "sending");
                }
                break;
        }
        case SC_VAR:
        case SC_LIST:
        case SC_DICT:
        case SC_VALUE:
        case SC_ARRAY: add_copies(l, m, r); break;
        case SC_POOL: add_pool(l, m, ri, room.rest); break;
        default: break;
        }
}
