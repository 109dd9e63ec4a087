/*
 * pool.c — a Pool's shared state, its map, and its worker processes; see pool.h.
 *
 * A worker finds the statement and the function to call by the statement's address, written by
 * the caller into shared memory: every process of a run is forked from the runner after the
 * scenario was loaded, so the scenario is at the same address in all of them.
 *
 * Live, a worker takes a chunk of consecutive tasks under the pool's mutex, runs them without it
 * (each result written into the worker's own block of the result bytes and its task's own slot),
 * and takes the mutex again only to count the chunk done: two mutex round trips a chunk, not two
 * a task. What a worker that dies has done of its chunk is in shared memory (the task it runs,
 * and whether that one's result is stored and said), so the rest of the chunk is handed out
 * again, and no result is lost or said twice.
 */
#include "engine/pool.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine_int.h"
#include "util/xalloc.h"

#define POOL_MAX_TASKS VALUE_MAX_ITEMS    /* items of one map: a list holds no more */
#define POOL_BYTES     ((size_t)16 << 20) /* encoded arguments, and results, of one map */
_Static_assert(POOL_BYTES <= UINT32_MAX, "the offsets into a pool's bytes are 32 bits");
#define POOL_BLOCK ((size_t)64 << 10) /* result bytes a live worker takes at a time */
/* tasks in a chunk from which a live worker maps the chunk's entries of the result arrays at once
 * (16 KiB of res_off): a smaller chunk's would cost a system call more a chunk than its faults */
#define POOL_POPULATE_TASKS 4096
#define NOT_SAID            UINT64_MAX
#define POOL_ARGV           8 /* a starmap's arguments on the stack, up to this many */

enum { GIL_FREE, GIL_TAKING, GIL_HELD, GIL_GIVING };
/* what a task's result is: its value encoded, an error's message, or nothing (no room) */
enum { RES_VALUE, RES_ERROR, RES_FULL };

static const char full_msg[] = "MemoryError: the results of a map take too much memory";

/* What worker w writes as it works, on cache lines of its own: two workers on two cores writing
 * neighbouring items of shared arrays at every task made those lines travel between the cores
 * at every task. (128 bytes: a line's neighbour is fetched with it.) */
typedef struct pool_own {
        /* the task it runs, plus one (0: none); live, its chunk, lo .. hi - 1 (while running is
         * not 0); whether the result of its running task is stored and said: NOT_SAID, or where
         * its ring was before it began to write the RESULT (0 for an error, which has none): a
         * worker that dies has said it if its ring went past that. Written by the worker alone,
         * without the mutex, and read by the fork server once it is dead. */
        int running;
        int lo, hi;
        uint64_t said_at;
        /* live: its block of the result bytes, at .. end - 1 free (taken from res_used under
         * the mutex) */
        uint64_t blk_at, blk_end;
        /* "gil": its GIL as its events say (GIL_FREE, GIL_HELD), or the event it is writing
         * (GIL_TAKING, GIL_GIVING) from where its ring was then (gil_at): a worker that dies
         * meanwhile has written it whole if its ring went past that */
        uint8_t gil;
        uint64_t gil_at;
} __attribute__((aligned(128))) pool_own;

typedef struct pool_state {
        pthread_mutex_t mu;
        prim_cond cv; /* a task handed out, a result in, the end */
        bool started, stop;
        bool busy;    /* a map is under way: another caller waits for it to end (live only: a map is
                         one step, so stepped runs never overlap two) */
        bool stepped; /* the map hands out its tasks in rounds (step mode) */
        bool one_by_one;     /* ... and its function publishes (a manager's data: a request and a
                                reply), so the workers of a round compute in turn too */
        const sc_stmt *stmt; /* the map statement (the same address in every process) */
        int caller;          /* the actor whose map it is */
        /* live: the maps handed out so far, and what the caller's ring (its actor's) had written
         * when it handed this one out: a worker's events of the map come after that, the step
         * that began the map, which nothing else orders them after (the caller's ring may be
         * unread yet, waiting for an event of another ring before it) */
        unsigned maps;
        uint64_t caller_mark;
        int ntasks, next, done;
        int limit; /* live: tasks that may be taken */
        int chunk; /* live: tasks handed out at a time */
        /* live: what is left of the chunks of workers that died, to hand out again (at most
         * one a worker: a worker takes these before new ones, so chunks held and left to redo
         * are never more than the workers), and the dead worker and where its ring ended: the
         * tasks handed out again are said after everything it said */
        int redo_lo[SC_MAX_POOL], redo_hi[SC_MAX_POOL], redo_w[SC_MAX_POOL];
        uint64_t redo_end[SC_MAX_POOL];
        int nredo;
        /* stepped: the task of each worker in this round (-1: none), how many the round has, and
         * whose turn it is to publish: workers 0 .. round-1 take theirs (turn 0 .. round-1), then
         * say their results (turn round .. 2 round-1), each in worker order */
        int assigned[SC_MAX_POOL];
        int round, turn;
        pool_own own[SC_MAX_POOL];
        /* the map is over range(): task K's argument is item K of `range`, and `args` holds
         * nothing */
        bool ranged;
        expr_range range;
        uint64_t args_used, res_used;
        /* 32 bits (POOL_BYTES): a map of 200,000 items writes, and the other side reads, 2.4 MB
         * fewer of pages that each process faults in one by one */
        uint32_t arg_off[POOL_MAX_TASKS + 1];
        uint32_t res_off[POOL_MAX_TASKS], res_len[POOL_MAX_TASKS];
        uint8_t res_err[POOL_MAX_TASKS]; /* RES_VALUE, RES_ERROR, RES_FULL */
        char args[POOL_BYTES];
        char res[POOL_BYTES];
} pool_state;

struct pool_region {
        const scenario *sc;
        pool_state **by_res;
};

int pool_chunksize(size_t ntasks, int workers)
{
        /* Pool.map: chunksize, extra = divmod(len(iterable), len(pool) * 4); if extra: += 1 */
        size_t per = (size_t)(workers < 1 ? 1 : workers) * 4;
        size_t c = ntasks / per + (ntasks % per != 0);

        return c > POOL_MAX_TASKS ? (int)POOL_MAX_TASKS : (int)c;
}

pool_region *pool_create(const scenario *sc)
{
        pool_region *p = NULL;

        for (int k = 0; k < sc->nresources; k++) {
                pool_state *ps;
                pthread_mutexattr_t ma;

                if (sc->resources[k].type != SC_POOL)
                        continue;
                if (p == NULL) {
                        p = xcalloc(1, sizeof(*p));
                        p->sc = sc;
                        p->by_res = xcalloc((size_t)sc->nresources, sizeof(pool_state *));
                }
                ps = mmap(NULL, sizeof(pool_state), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (ps == MAP_FAILED)
                        xdie("cannot map shared memory for pool '%s'", sc->resources[k].name);
                pthread_mutexattr_init(&ma);
                pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
                pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
                pthread_mutex_init(&ps->mu, &ma);
                pthread_mutexattr_destroy(&ma);
                /* ps->cv: zero, as mmap leaves it (prim_cond) */
                for (int w = 0; w < SC_MAX_POOL; w++)
                        ps->assigned[w] = -1;
                p->by_res[k] = ps;
        }
        return p;
}

void pool_destroy(pool_region *p)
{
        if (p == NULL)
                return;
        for (int k = 0; k < p->sc->nresources; k++)
                if (p->by_res[k] != NULL)
                        munmap(p->by_res[k], sizeof(pool_state));
        free(p->by_res);
        free(p);
}

void pool_stop(pool_region *p)
{
        if (p == NULL)
                return;
        for (int k = 0; k < p->sc->nresources; k++) {
                pool_state *ps = p->by_res[k];

                if (ps == NULL)
                        continue;
                prim_mutex_lock(&ps->mu);
                ps->stop = true;
                prim_cond_broadcast(&ps->cv);
                pthread_mutex_unlock(&ps->mu);
        }
}

/* The fork server: worker W of pool RES died, its ring having reached END. If its events last
 * said that it holds its GIL — an ACQUIRED it was writing counts once its ring went past where
 * it began, a RELEASED once its ring did not — the RELEASED goes into the dead worker's ring
 * after its last event, as a dead actor's CRASH does, so that neither the model nor the worker
 * that replaces it finds the GIL held by nobody alive. */
static void dead_gil(engine *eng, pool_state *ps, int res, int w, uint64_t end)
{
        int gil = eng->sc->resources[res].gil_res + w;
        bool held = ps->own[w].gil == GIL_HELD ||
                    (ps->own[w].gil == GIL_TAKING && end > ps->own[w].gil_at) ||
                    (ps->own[w].gil == GIL_GIVING && end == ps->own[w].gil_at);
        event ev = { .kind = EV_RELEASED,
                     .actor = (int16_t)ps->caller,
                     .res = (int16_t)gil,
                     .other = -1,
                     .stmt = ps->stmt != NULL ? ps->stmt->id : -1 };

        ps->own[w].gil = GIL_FREE;
        if (held)
                stream_publish_for(eng->st, engine_worker_ring(eng->sc, res, w), &ev,
                                   eng->actors[ps->caller].res_key[gil]);
}

bool pool_reaped(engine *eng, int res, int w, uint64_t end)
{
        pool_state *ps = eng->pools->by_res[res];
        bool again;

        prim_mutex_lock(&ps->mu);
        if (ps->own[w].gil != GIL_FREE)
                dead_gil(eng, ps, res, w, end);
        again = !ps->stop;
        if (again && ps->own[w].running > 0) {
                if (ps->stepped) {
                        /* the task stays its worker's: the one that replaces it */
                        ps->assigned[w] = ps->own[w].running - 1;
                } else {
                        /* the tasks of its chunk before the running one are done (their results
                         * stored and said), and the running one too if its RESULT is in the
                         * ring whole (or it has none: an error); the rest goes out again */
                        int k = ps->own[w].running - 1;

                        if (ps->own[w].said_at != NOT_SAID && end > ps->own[w].said_at)
                                k++;
                        ps->done += k - ps->own[w].lo;
                        if (k < ps->own[w].hi) {
                                ps->redo_lo[ps->nredo] = k;
                                ps->redo_hi[ps->nredo] = ps->own[w].hi;
                                ps->redo_w[ps->nredo] = w;
                                ps->redo_end[ps->nredo++] = end;
                        }
                }
                ps->own[w].running = 0;
                prim_cond_broadcast(&ps->cv);
        }
        pthread_mutex_unlock(&ps->mu);
        return again;
}

static int workers_of(actor *a, int res)
{
        int64_t n = a->sc->resources[res].count;

        if (n <= 0)
                n = a->eng->opt.cpu_count;
        return n < 1 ? 1 : n > SC_MAX_POOL ? SC_MAX_POOL : (int)n;
}

/* The pool's workers, forked at its first map with the caller's memory, as Pool() forks: -1
 * after raising an error in A when that memory is too much to send (STORE_MAX_ENCODED). */
static int start_workers(actor *a, int res, pool_state *ps)
{
        strbuf snap = { 0 };
        char err[200];
        int n = workers_of(a, res), rc;

        actor_memory_take(a);
        rc = store_snapshot(a->store, &snap, err, sizeof(err));
        actor_memory_drop(a);
        for (int w = 0; rc == 0 && w < n; w++)
                forksrv_request(&a->eng->fs, POOL_TARGET(res, w), snap.data, snap.len);
        strbuf_free(&snap);
        if (rc < 0) {
                actor_fail(a, "%s", err);
                return -1;
        }
        return 0;
}

/* 1 with *R when OVER is a call of range(), 0 when it is not, -1 when its arguments fail. */
static int over_range(actor *a, const expr *over, expr_range *r)
{
        expr_error err = { .offset = -1 };
        int rc = expr_eval_range(over, &a->env, r, &err);

        if (rc < 0)
                actor_fail_at(a, over, "%s", err.msg);
        return rc;
}

/* Whether the map's function FN publishes events when it runs: it reads or writes data the
 * manager keeps, each access a request and a reply. */
typedef struct fn_refs {
        const scenario *sc;
        bool publishes;
} fn_refs;

static void on_fn_ref(void *ctx, int32_t ref, bool in_lambda)
{
        fn_refs *f = ctx;

        (void)in_lambda;
        if (SC_REF_KIND(ref) == SC_REF_RES && f->sc->resources[SC_REF_INDEX(ref)].via_manager)
                f->publishes = true;
}

static bool fn_publishes(const scenario *sc, const expr *fn)
{
        fn_refs f = { .sc = sc, .publishes = false };

        expr_refs(fn, on_fn_ref, &f);
        return f.publishes;
}

int pool_map(actor *a, const sc_stmt *s, value *out)
{
        pool_state *ps = a->eng->pools->by_res[s->res];
        bool star = s->kind == SC_STARMAP;
        int nw = workers_of(a, s->res);
        value fn, over, items = value_none();
        expr_range range;
        int ranged = 0;
        char err[200];
        strbuf enc = { 0 };
        size_t n;
        int64_t chunk = 0;
        int flow = FLOW_NEXT;

        if (actor_eval(a, s->fn, &fn) < 0)
                return FLOW_STOP;
        if (fn.type != VALUE_FUNC) {
                flow = actor_fail_at(a, s->fn, "TypeError: '%s' object is not callable",
                                     value_type_name(fn.type));
                value_drop(&fn);
                return flow;
        }
        value_drop(&fn); /* the workers evaluate it again, each in its own process */
        /* range(N) is not made into a list, nor encoded: a worker works its items out (a
         * starmap's items are unpacked: the general way says that a range's int is not
         * iterable) */
        if (!star && (ranged = over_range(a, s->over, &range)) < 0)
                return FLOW_STOP;
        if (!ranged) {
                if (actor_eval(a, s->over, &over) < 0)
                        return FLOW_STOP;
                if (value_to_list(over, &items, err, sizeof(err)) < 0) {
                        value_drop(&over);
                        return actor_fail_at(a, s->over, "%s", err);
                }
                value_drop(&over);
        }
        if (s->chunksize != NULL) {
                /* Python's map(fn, iterable, chunksize); a stepped map hands out a task per
                 * worker a round whatever it is, but checks it the same */
                value c;

                if (actor_eval(a, s->chunksize, &c) < 0) {
                        value_drop(&items);
                        return FLOW_STOP;
                }
                if (c.type == VALUE_BOOL)
                        c = value_int(c.as.b);
                if (c.type != VALUE_INT) {
                        value_drop(&items);
                        flow = actor_fail_at(a, s->chunksize,
                                             "TypeError: chunksize must be an int, not %s",
                                             value_type_name(c.type));
                        value_drop(&c);
                        return flow;
                }
                chunk = c.as.i;
                if (chunk < 1) {
                        value_drop(&items);
                        return actor_fail_at(a, s->chunksize,
                                             "ValueError: Chunksize must be 1+, not %lld",
                                             (long long)chunk);
                }
        }
        actor_memory_drop(a);
        n = ranged ? range.count : value_len(items);
        if (n > POOL_MAX_TASKS) {
                value_drop(&items);
                return actor_fail(a, "MemoryError: a map of more than %u items", POOL_MAX_TASKS);
        }
        if (chunk == 0)
                chunk = pool_chunksize(n, nw);
        /* the step's own first event: the tasks' events come from the workers */
        interp_end_step(a);
        interp_gil_drop(a);
        {
                bool start;

                /* one caller starts the workers, however many threads map at once */
                prim_mutex_lock(&ps->mu);
                start = !ps->started;
                ps->started = true;
                pthread_mutex_unlock(&ps->mu);
                if (start && start_workers(a, s->res, ps) < 0) {
                        /* no worker: the next map tries again */
                        prim_mutex_lock(&ps->mu);
                        ps->started = false;
                        pthread_mutex_unlock(&ps->mu);
                        value_drop(&items);
                        return FLOW_STOP;
                }
        }
        prim_mutex_lock(&ps->mu);
        while (ps->busy)
                prim_cond_wait(&ps->cv, &ps->mu, NULL);
        ps->busy = true;
        ps->args_used = 0;
        ps->ranged = ranged;
        if (ranged)
                ps->range = range;
        for (size_t k = 0; k < n && !ranged && flow == FLOW_NEXT; k++) {
                value item = value_at(items, k), args = value_none(); /* item: borrowed */
                size_t bytes;

                /* a scalar straight into the task list (nine bytes at most: a million of them
                 * fit) */
                if (!star && ps->args_used + STORE_SCALAR_BYTES <= POOL_BYTES &&
                    (bytes = store_encode_scalar(item, ps->args + ps->args_used)) > 0) {
                        ps->arg_off[k] = (uint32_t)ps->args_used;
                        ps->args_used += bytes;
                        continue;
                }
                strbuf_reset(&enc);
                /* a starmap's item is unpacked as fn(*item): any iterable, made a list (a
                 * string's characters, a dict's keys), as Python's starmap takes it */
                if (star && item.type != VALUE_TUPLE && item.type != VALUE_LIST &&
                    value_to_list(item, &args, err, sizeof(err)) < 0) {
                        flow = actor_fail_at(a, s->over, "%s", err);
                        break;
                }
                if (store_encode(args.type != VALUE_NONE ? args : item, &enc, err, sizeof(err)) < 0)
                        flow = actor_fail_at(a, s->over, "%s", err);
                else if (ps->args_used + enc.len > POOL_BYTES)
                        flow = actor_fail(a,
                                          "MemoryError: the arguments of a map take more than "
                                          "%zu bytes",
                                          POOL_BYTES);
                value_drop(&args);
                if (flow != FLOW_NEXT)
                        break;
                ps->arg_off[k] = (uint32_t)ps->args_used;
                memcpy(ps->args + ps->args_used, enc.data, enc.len);
                ps->args_used += enc.len;
        }
        strbuf_free(&enc);
        value_drop(&items);
        if (flow != FLOW_NEXT) {
                ps->busy = false;
                prim_cond_broadcast(&ps->cv);
                pthread_mutex_unlock(&ps->mu);
                return flow;
        }
        if (!ranged)
                ps->arg_off[n] = (uint32_t)ps->args_used;
        ps->stmt = s;
        ps->caller = a->id;
        ps->ntasks = (int)n;
        ps->next = ps->done = ps->nredo = 0;
        ps->res_used = 0;
        for (int w = 0; w < nw; w++)
                ps->own[w].blk_at = ps->own[w].blk_end = 0;
        if (a->gates == NULL) {
                ps->stepped = false;
                ps->chunk = chunk > (int64_t)n ? (n > 0 ? (int)n : 1) : (int)chunk;
                ps->limit = (int)n;
                ps->caller_mark = stream_written(a->eng->st, a->id);
                ps->maps++;
                prim_cond_broadcast(&ps->cv);
                while (ps->done < ps->ntasks)
                        prim_cond_wait(&ps->cv, &ps->mu, NULL);
                /* Whatever the caller does next comes after every worker's last result, which
                 * its ring has by now (written before the worker counted it done). */
                for (int w = 0; w < nw; w++) {
                        int ring = engine_worker_ring(a->sc, s->res, w);

                        stream_order_after(a->eng->st, ring, stream_written(a->eng->st, ring));
                }
        } else {
                /* stepped: in rounds, task base + w to worker w, every worker of a round
                 * computing at once; they publish in turn, so the trace is the same whatever
                 * the timing */
                ps->stepped = true;
                ps->one_by_one = fn_publishes(a->sc, s->fn);
                for (int base = 0; base < (int)n; base += nw) {
                        int m = (int)n - base < nw ? (int)n - base : nw;

                        ps->round = m;
                        ps->turn = 0;
                        for (int w = 0; w < m; w++)
                                ps->assigned[w] = base + w;
                        prim_cond_broadcast(&ps->cv);
                        while (ps->done < base + m)
                                prim_cond_wait(&ps->cv, &ps->mu, NULL);
                }
        }
        /* the results in the order of the inputs; the first error is the map's */
        *out = value_list();
        value_list_reserve(out, n);
        for (int k = 0; k < (int)n && flow == FLOW_NEXT; k++) {
                const char *p = ps->res + ps->res_off[k];
                value v;

                if (ps->res_err[k] == RES_FULL)
                        flow = actor_fail_at(a, s->fn, "%s", full_msg);
                else if (ps->res_err[k] == RES_ERROR)
                        flow = actor_fail_at(a, s->fn, "%.*s", (int)ps->res_len[k], p);
                else if (store_decode(p, ps->res_len[k], &v) < 0 ||
                         value_list_append(out, v, err, sizeof(err)) < 0)
                        flow = actor_fail(a, "MemoryError: the results of a map do not fit");
        }
        ps->busy = false;
        prim_cond_broadcast(&ps->cv);
        pthread_mutex_unlock(&ps->mu);
        if (flow != FLOW_NEXT)
                value_drop(out);
        return flow;
}

/* Stepped, under ps->mu: keeps task K's result (encoded, or an error message). */
static void put_result(pool_state *ps, int k, const char *data, size_t len, bool error)
{
        if (ps->res_used + len > POOL_BYTES) {
                ps->res_err[k] = RES_FULL;
                return;
        }
        memcpy(ps->res + ps->res_used, data, len);
        ps->res_off[k] = (uint32_t)ps->res_used;
        ps->res_len[k] = (uint32_t)len;
        ps->res_err[k] = error ? RES_ERROR : RES_VALUE;
        ps->res_used += len;
}

/* Live, without ps->mu: keeps task K's result in worker W's block of the result bytes, which it
 * fills alone; only a new block takes the mutex. */
static inline __attribute__((always_inline)) void
keep_result(pool_state *ps, int w, int k, const char *data, size_t len, bool error)
{
        if (ps->own[w].blk_end - ps->own[w].blk_at < len) {
                uint64_t want = len > POOL_BLOCK ? len : POOL_BLOCK;

                prim_mutex_lock(&ps->mu);
                if (ps->res_used + len > POOL_BYTES) {
                        pthread_mutex_unlock(&ps->mu);
                        ps->res_err[k] = RES_FULL;
                        return;
                }
                if (ps->res_used + want > POOL_BYTES)
                        want = POOL_BYTES - ps->res_used; /* the last bytes: as much as is left */
                ps->own[w].blk_at = ps->res_used;
                ps->own[w].blk_end = ps->res_used + want;
                ps->res_used += want;
                pthread_mutex_unlock(&ps->mu);
                /* the block's pages for this process at once, not a fault each */
                xpopulate(ps->res + ps->own[w].blk_at, want);
        }
        memcpy(ps->res + ps->own[w].blk_at, data, len);
        ps->res_off[k] = (uint32_t)ps->own[w].blk_at;
        ps->res_len[k] = (uint32_t)len;
        ps->res_err[k] = error ? RES_ERROR : RES_VALUE;
        ps->own[w].blk_at += len;
}

/* Under ps->mu: worker W has a task to take (stepped: its own, in its turn — or, replacing a
 * worker that died, at once). */
static bool task_for(const pool_state *ps, int w)
{
        if (ps->stepped)
                return ps->assigned[w] >= 0 && ps->turn >= w;
        return ps->nredo > 0 || ps->next < ps->limit;
}

/*
 * A worker's GIL ("gil"): taken before it takes a task, given up at the switch interval and
 * before it waits for the next task, as a process actor's one thread does around its steps; so
 * the same events, named after the map's caller as the worker's TASK and RESULT are. The
 * worker's process has no other thread, so nothing ever contends for it: holding it is what its
 * events say (ps->gil, written by the worker alone), which the fork server also reads when the
 * worker is dead, and no sched_yield follows the switch interval's release (a thread does it for
 * a waiting thread).
 */
static void gil_take(pool_state *ps, actor *c, int gil, int w, int ring)
{
        ps->own[w].gil_at = stream_written(c->eng->st, ring);
        ps->own[w].gil = GIL_TAKING;
        actor_emit(c, EV_ACQUIRED, gil, -1, 1, 0, NULL, 0);
        ps->own[w].gil = GIL_HELD;
}

static void gil_drop(pool_state *ps, actor *c, int gil, int w, int ring)
{
        ps->own[w].gil_at = stream_written(c->eng->st, ring);
        ps->own[w].gil = GIL_GIVING;
        actor_emit(c, EV_RELEASED, gil, -1, 0, 0, NULL, 0);
        ps->own[w].gil = GIL_FREE;
}

/* One worker process: its pool, its number, its GIL (-1: none), its ring, and its buffers. */
typedef struct worker {
        engine *eng;
        pool_state *ps;
        int res, w, gil, ring;
        int held;      /* tasks since it took its GIL */
        unsigned maps; /* live: the maps whose caller's mark it has ordered its events after */
        strbuf enc, text;
        /* what run_task gives: the result's encoding, or an error's message */
        const char *out;
        size_t outlen;
        char scalar[STORE_SCALAR_BYTES];
} worker;

/* Task K's arguments, decoded from the task list. */
static inline __attribute__((always_inline)) value task_args(const pool_state *ps, int k)
{
        value args;

        if (ps->ranged)
                return value_int(expr_range_at(&ps->range, (size_t)k));
        if (store_decode(ps->args + ps->arg_off[k], ps->arg_off[k + 1] - ps->arg_off[k], &args) < 0)
                xdie("pool: a task could not be read");
        return args;
}

/* Says that WK takes task K, with ARGS: its GIL first if it has given it up, then TASK (KEYED:
 * under the resource's order key, else after WK's own events only). */
static inline __attribute__((always_inline)) void say_task(worker *wk, actor *c, int k, value args,
                                                           bool keyed)
{
        int64_t box;
        size_t len;
        unsigned tflags;
        const char *repr;

        if (wk->gil >= 0 && wk->ps->own[wk->w].gil == GIL_FREE) {
                gil_take(wk->ps, c, wk->gil, wk->w, wk->ring);
                wk->held = 0;
        }
        repr = store_event_text(args, &wk->text, &box, &len, &tflags);
        if (keyed)
                actor_emit_flagged(c, tflags, EV_TASK, wk->res, -1, k, wk->w, repr, len);
        else
                actor_emit_in_ring(c, tflags, EV_TASK, wk->res, -1, k, wk->w, repr, len);
}

static inline __attribute__((always_inline)) void say_result(worker *wk, actor *c, int k,
                                                             value result, bool keyed)
{
        int64_t box;
        size_t len;
        unsigned tflags;
        const char *repr = store_event_text(result, &wk->text, &box, &len, &tflags);

        if (keyed)
                actor_emit_flagged(c, tflags, EV_RESULT, wk->res, -1, k, wk->w, repr, len);
        else
                actor_emit_in_ring(c, tflags, EV_RESULT, wk->res, -1, k, wk->w, repr, len);
}

/* FN (evaluated: FRC 0, or its error in E) called with ARGS in the caller C's environment: 0 with
 * the result kept in *RESULT and encoded in WK->out (a scalar's without a strbuf), or -1 with an
 * error's message there. */
static int run_task(worker *wk, actor *c, const sc_stmt *s, int frc, value fn, value args,
                    value *result, expr_error *e)
{
        int rc = frc;

        if (rc == 0) {
                if (s->kind == SC_STARMAP) {
                        size_t n = value_len(args);
                        value stack[POOL_ARGV];
                        value *argv = n <= POOL_ARGV ? stack : xcalloc(n, sizeof(value));

                        for (size_t j = 0; j < n; j++)
                                argv[j] = value_at(args, j);
                        rc = expr_call(fn, argv, n, &c->env, result, e);
                        if (argv != stack)
                                free(argv);
                } else {
                        rc = expr_call(fn, &args, 1, &c->env, result, e);
                }
        }
        actor_memory_drop(c);
        if (rc == 0 && (wk->outlen = store_encode_scalar(*result, wk->scalar)) > 0) {
                wk->out = wk->scalar;
                return 0;
        }
        strbuf_reset(&wk->enc);
        if (rc == 0 && store_encode(*result, &wk->enc, e->msg, sizeof(e->msg)) < 0) {
                value_drop(result);
                rc = -1;
        }
        if (rc != 0) {
                strbuf_reset(&wk->enc);
                strbuf_puts(&wk->enc, e->msg);
        }
        wk->out = wk->enc.data ? wk->enc.data : "";
        wk->outlen = wk->enc.len;
        return rc;
}

/* Stepped, under ps->mu (and so again at the end): WK's task of this round. It takes it in its
 * turn, computes at the same time as the others of the round (in turn when the function
 * publishes), and says its result in its turn. */
static void stepped_task(worker *wk)
{
        pool_state *ps = wk->ps;
        int w = wk->w, k = ps->assigned[w], rc, frc;
        const sc_stmt *s = ps->stmt;
        actor *c = &wk->eng->actors[ps->caller];
        value args, fn = value_none(), result;
        expr_error e = { .offset = -1 };

        ps->assigned[w] = -1;
        ps->own[w].running = k + 1;
        c->stmt = s;
        args = task_args(ps, k);
        say_task(wk, c, k, args, true);
        if (ps->turn == w) {
                ps->turn++;
                prim_cond_broadcast(&ps->cv);
        }
        /* a function that publishes computes in its result's turn: its events in worker order */
        while (ps->one_by_one && !ps->stop && ps->turn != ps->round + w)
                prim_cond_wait(&ps->cv, &ps->mu, NULL);
        pthread_mutex_unlock(&ps->mu);

        frc = expr_eval(s->fn, &c->env, &fn, &e);
        rc = run_task(wk, c, s, frc, fn, args, &result, &e);
        if (frc == 0)
                value_drop(&fn);
        value_drop(&args);
        prim_mutex_lock(&ps->mu);
        while (!ps->stop && ps->turn != ps->round + w)
                prim_cond_wait(&ps->cv, &ps->mu, NULL);
        if (rc == 0) {
                say_result(wk, c, k, result, true);
                value_drop(&result);
        }
        put_result(ps, k, wk->out, wk->outlen, rc != 0);
        ps->own[w].running = 0;
        if (ps->own[w].gil == GIL_HELD &&
            (++wk->held >= wk->eng->sc->gil_interval || !task_for(ps, w)))
                gil_drop(ps, c, wk->gil, w, wk->ring);
        ps->done++;
        ps->turn++;
        prim_cond_broadcast(&ps->cv);
}

/*
 * Live, under ps->mu (and so again at the end): WK takes a chunk — first what is left of a dead
 * worker's — and runs its tasks one by one, the mutex given up after the first one's TASK (under
 * it, task 0 is the first TASK of a map, whoever takes the next chunk). The function is
 * evaluated once for the chunk. Each task's TASK and RESULT are said as they happen; the chunk
 * is counted done under the mutex at its end.
 *
 * Only the chunk's first TASK, its last TASK and its last RESULT take the pool's order key: the
 * others are ordered by the worker's ring alone, as nothing else can come between them, so that
 * the workers do not take turns on the key's counter (a cache line between two cores) at every
 * event. The keyed ones are enough for the model: whatever comes after a map (the next map's
 * task 0, from any worker) takes the key after the last TASK and RESULT of every chunk, and so
 * after every event of it; the rest of a dead worker's chunk is said after its ring's end.
 */
static void live_chunk(worker *wk)
{
        pool_state *ps = wk->ps;
        int w = wk->w, lo, hi, frc = -1;
        const sc_stmt *s = ps->stmt;
        actor *c = &wk->eng->actors[ps->caller];
        stream *st = wk->eng->st;
        value fn = value_none();
        expr_error fe = { .offset = -1 };

        if (ps->nredo > 0) {
                int n = --ps->nredo;

                lo = ps->redo_lo[n];
                hi = ps->redo_hi[n];
                stream_order_after(st, engine_worker_ring(wk->eng->sc, wk->res, ps->redo_w[n]),
                                   ps->redo_end[n]);
        } else {
                lo = ps->next;
                hi = ps->limit - lo > ps->chunk ? lo + ps->chunk : ps->limit;
                ps->next = hi;
        }
        /* its first events of this map (its GIL's too) after the step that began it */
        if (wk->maps != ps->maps) {
                wk->maps = ps->maps;
                stream_order_after(st, ps->caller, ps->caller_mark);
        }
        ps->own[w].lo = lo;
        ps->own[w].hi = hi;
        c->stmt = s;
        /* a long chunk's entries of the result arrays: their pages for this process at once */
        if (hi - lo >= POOL_POPULATE_TASKS) {
                xpopulate(&ps->res_off[lo], (size_t)(hi - lo) * sizeof(ps->res_off[0]));
                xpopulate(&ps->res_len[lo], (size_t)(hi - lo) * sizeof(ps->res_len[0]));
                xpopulate(&ps->res_err[lo], (size_t)(hi - lo) * sizeof(ps->res_err[0]));
        }
        for (int k = lo; k < hi; k++) {
                value args, result;
                expr_error e;
                int rc;

                /* what the fork server reads if this process dies: program order is enough, as
                 * it reads only after the process is gone */
                ps->own[w].running = k + 1;
                ps->own[w].said_at = NOT_SAID;
                atomic_signal_fence(memory_order_seq_cst);
                args = task_args(ps, k);
                say_task(wk, c, k, args, k == lo || k + 1 == hi);
                if (k == lo) {
                        pthread_mutex_unlock(&ps->mu);
                        frc = expr_eval(s->fn, &c->env, &fn, &fe);
                }
                if (frc != 0)
                        e = fe;
                else
                        e.offset = -1; /* not the whole error: its message is written if any */
                rc = run_task(wk, c, s, frc, fn, args, &result, &e);
                value_drop(&args);
                keep_result(ps, w, k, wk->out, wk->outlen, rc != 0);
                atomic_signal_fence(memory_order_seq_cst);
                ps->own[w].said_at = rc == 0 ? stream_written(st, wk->ring) : 0;
                atomic_signal_fence(memory_order_seq_cst);
                if (rc == 0) {
                        say_result(wk, c, k, result, k + 1 == hi);
                        value_drop(&result);
                }
                /* its GIL at the switch interval; after the chunk's last task, below */
                if (k + 1 < hi && ps->own[w].gil == GIL_HELD &&
                    ++wk->held >= wk->eng->sc->gil_interval)
                        gil_drop(ps, c, wk->gil, w, wk->ring);
        }
        if (frc == 0)
                value_drop(&fn);
        prim_mutex_lock(&ps->mu);
        ps->own[w].running = 0;
        /* its GIL, at the switch interval, and before it waits for its next task (the caller
         * goes on only after this: its map's trace ends with every worker's GIL free) */
        if (ps->own[w].gil == GIL_HELD &&
            (++wk->held >= wk->eng->sc->gil_interval || !task_for(ps, w)))
                gil_drop(ps, c, wk->gil, w, wk->ring);
        ps->done += hi - lo;
        if (ps->done == ps->limit) {
                /* only the caller waits for results, and only for the last one handed out (the
                 * other workers are busy or wait for tasks, which only the caller hands out): a
                 * wake-up per chunk would be a system call each */
                prim_cond_broadcast(&ps->cv);
        }
}

void pool_worker(engine *eng, int res, int w)
{
        pool_state *ps = eng->pools->by_res[res];
        worker wk = { .eng = eng,
                      .ps = ps,
                      .res = res,
                      .w = w,
                      .gil = eng->sc->resources[res].gil_res,
                      .ring = engine_worker_ring(eng->sc, res, w) };

        if (wk.gil >= 0)
                wk.gil += w;
        prim_mutex_lock(&ps->mu);
        /* a block of its own: one that replaces a dead worker may find the dead one's half
         * taken (it died in keep_result) */
        ps->own[w].blk_at = ps->own[w].blk_end = 0;
        for (;;) {
                while (!ps->stop && !task_for(ps, w))
                        prim_cond_wait(&ps->cv, &ps->mu, NULL);
                if (ps->stop)
                        break;
                eng->actors[ps->caller].in_pool_worker = true;
                if (ps->stepped)
                        stepped_task(&wk);
                else
                        live_chunk(&wk);
        }
        if (ps->own[w].gil == GIL_HELD)
                gil_drop(ps, &eng->actors[ps->caller], wk.gil, w, wk.ring);
        pthread_mutex_unlock(&ps->mu);
        strbuf_free(&wk.enc);
        strbuf_free(&wk.text);
}
