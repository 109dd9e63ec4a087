/*
 * guard.c — marks the statements that need no memory lock (guard.h says when, and why that is
 * safe).
 *
 * Two walks over every script. The first records, for each datum, the locks held (as `with`
 * blocks) at every access that may run beside another, and whether some access cannot be guarded
 * at all; a datum's guard is then a lock held at every such access. The second marks each
 * statement whose every access is to a guarded datum with its guard held. Before both, which
 * script touches which datum, and for main's top level, which actors may be running.
 */
#include "guard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

typedef struct guard {
        const scenario *sc;
        int nres, words;
        /* per datum */
        uint64_t *cand; /* nres x words: the locks held at every access that needs a guard */
        bool *seen;     /* some access needs a guard */
        bool *never;    /* some access cannot have one */
        int *lock;      /* its guard, or -1 */
        bool *quiet;    /* main's top level, here: no actor that touches it can be running */
        /* per lock: only `with` blocks hold it */
        bool *with_only;
        /* per script x datum: the script touches it */
        bool *uses;
        /* the walk */
        uint64_t *held; /* the locks held where it is (words) */
        int script;
        bool mark;         /* the second walk */
        bool any, guarded; /* the statement's accesses, so far: some; all guarded */
} guard;

typedef void (*access_fn)(guard *g, int res, bool in_lambda);

/* The lock a `with` of resource RES holds (a condition's: its lock's), or -1 when it is no lock
 * that keeps its holders apart (a semaphore's count may let several in). */
static int lock_of(const scenario *sc, int res)
{
        const sc_resource *r = &sc->resources[res];

        if (r->type == SC_CONDITION)
                return r->lock >= 0 ? r->lock : res;
        return r->type == SC_LOCK || r->type == SC_RLOCK ? res : -1;
}

static bool is_copied(sc_res_type t)
{
        return t == SC_VAR || t == SC_LIST || t == SC_DICT;
}

/* Whether S copies the memory of the process it runs in: a process's start, a pool's map. */
static bool copies_memory(const scenario *sc, const sc_stmt *s)
{
        if (s->kind == SC_MAP || s->kind == SC_STARMAP)
                return true;
        if (s->kind == SC_START)
                for (int k = 0; k < s->ntargets; k++)
                        if (sc->actors[s->targets[k]].kind == SC_PROCESS)
                                return true;
        return false;
}

typedef struct ref_ctx {
        guard *g;
        access_fn fn;
} ref_ctx;

static void on_ref(void *ctx, int32_t ref, bool in_lambda)
{
        ref_ctx *c = ctx;

        if (SC_REF_KIND(ref) == SC_REF_RES)
                c->fn(c->g, SC_REF_INDEX(ref), in_lambda);
}

/* Calls FN for each datum statement S itself reads or writes (not its blocks'). */
static void accesses(guard *g, const sc_stmt *s, access_fn fn)
{
        const expr *exprs[] = { s->value, s->lvalue, s->timeout, s->at,       s->n,
                                s->until, s->fn,     s->over,    s->chunksize };
        ref_ctx c = { .g = g, .fn = fn };

        for (size_t k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++)
                expr_refs(exprs[k], on_ref, &c);
        expr_template_refs(s->text, on_ref, &c);
        expr_template_refs(s->say, on_ref, &c);
        if (s->kind == SC_APPEND || s->kind == SC_POP)
                fn(g, s->res, false);
        if (copies_memory(g->sc, s))
                for (int k = 0; k < g->nres; k++)
                        if (is_copied(g->sc->resources[k].type))
                                fn(g, k, false);
}

static bool has(const uint64_t *set, int k)
{
        return (set[k / 64] >> (k % 64)) & 1;
}

static void on_use(guard *g, int res, bool in_lambda)
{
        (void)in_lambda;
        g->uses[g->script * g->nres + res] = true;
}

static void on_access(guard *g, int res, bool in_lambda)
{
        uint64_t *cand = &g->cand[res * g->words];

        if (g->mark) {
                g->any = true;
                if (in_lambda || g->lock[res] < 0 || !has(g->held, g->lock[res]))
                        g->guarded = false;
                return;
        }
        if (in_lambda || g->sc->resources[res].via_manager)
                g->never[res] = true;
        else if (g->quiet[res])
                return;
        else if (!g->seen[res]) {
                memcpy(cand, g->held, sizeof(uint64_t) * (size_t)g->words);
                g->seen[res] = true;
        } else {
                for (int w = 0; w < g->words; w++)
                        cand[w] &= g->held[w];
        }
}

static void walk_block(guard *g, sc_block *b);

static void walk_stmt(guard *g, sc_stmt *s)
{
        int l = s->kind == SC_WITH ? lock_of(g->sc, s->res) : -1;
        bool was = l >= 0 && has(g->held, l);

        g->any = false;
        g->guarded = true;
        accesses(g, s, on_access);
        if (g->mark)
                s->guarded = g->any && g->guarded;
        if (l >= 0)
                g->held[l / 64] |= (uint64_t)1 << (l % 64);
        walk_block(g, &s->body);
        walk_block(g, &s->orelse);
        if (l >= 0 && !was)
                g->held[l / 64] &= ~((uint64_t)1 << (l % 64));
}

static void walk_block(guard *g, sc_block *b)
{
        for (int k = 0; k < b->n; k++)
                walk_stmt(g, &b->stmts[k]);
}

/* CTX: per actor, started somewhere but at main's top level (so running from start to end). */
static void find_starts(const sc_stmt *s, void *ctx)
{
        bool *elsewhere = ctx;

        if (s->kind == SC_START)
                for (int k = 0; k < s->ntargets; k++)
                        elsewhere[s->targets[k]] = true;
}

/* Main's top level, one statement at a time: which data no running actor touches there. */
static void walk_main(guard *g, sc_block *main)
{
        const scenario *sc = g->sc;
        int n = sc->nactors;
        bool *running = xcalloc((size_t)n + 1, sizeof(bool));
        bool *elsewhere = xcalloc((size_t)n + 1, sizeof(bool));

        for (int k = 0; k < sc->nscripts; k++) {
                const sc_block *b = &sc->scripts[k].body;

                if (k != sc->main_script)
                        scenario_walk(b, find_starts, elsewhere);
                else
                        for (int i = 0; i < b->n; i++) {
                                scenario_walk(&b->stmts[i].body, find_starts, elsewhere);
                                scenario_walk(&b->stmts[i].orelse, find_starts, elsewhere);
                        }
        }
        for (int a = 0; a < n; a++)
                running[a] = !sc->actors[a].manual || elsewhere[a];
        for (int i = 0; i < main->n; i++) {
                sc_stmt *s = &main->stmts[i];

                if (s->kind == SC_START)
                        for (int k = 0; k < s->ntargets; k++)
                                running[s->targets[k]] = true;
                for (int r = 0; r < g->nres; r++) {
                        g->quiet[r] = true;
                        for (int a = 0; a < n && g->quiet[r]; a++)
                                if (running[a] && g->uses[sc->actors[a].script * g->nres + r])
                                        g->quiet[r] = false;
                }
                walk_stmt(g, s);
                if (s->kind == SC_JOIN && s->timeout == NULL)
                        for (int k = 0; k < s->ntargets; k++)
                                if (!elsewhere[s->targets[k]])
                                        running[s->targets[k]] = false;
        }
        memset(g->quiet, 0, sizeof(bool) * (size_t)g->nres);
        free(elsewhere);
        free(running);
}

static void walk_all(guard *g)
{
        const scenario *sc = g->sc;

        for (g->script = 0; g->script < sc->nscripts; g->script++) {
                sc_block *b = &sc->scripts[g->script].body;

                if (g->script == sc->main_script && sc->main_given)
                        walk_main(g, b);
                else
                        walk_block(g, b);
        }
}

static void use_stmt(const sc_stmt *s, void *ctx)
{
        guard *g = ctx;

        accesses(g, s, on_use);
        if ((s->kind == SC_ACQUIRE || s->kind == SC_RELEASE) && lock_of(g->sc, s->res) >= 0)
                g->with_only[lock_of(g->sc, s->res)] = false;
}

void guard_mark(scenario *sc)
{
        guard g = { .sc = sc, .nres = sc->nresources, .words = (sc->nresources + 63) / 64 };
        size_t n = (size_t)g.nres;

        if (n == 0)
                return;
        g.cand = xcalloc(n * (size_t)g.words, sizeof(uint64_t));
        g.held = xcalloc((size_t)g.words, sizeof(uint64_t));
        g.seen = xcalloc(n, sizeof(bool));
        g.never = xcalloc(n, sizeof(bool));
        g.quiet = xcalloc(n, sizeof(bool));
        g.with_only = xcalloc(n, sizeof(bool));
        g.lock = xcalloc(n, sizeof(int));
        g.uses = xcalloc(n * (size_t)sc->nscripts, sizeof(bool));
        for (int k = 0; k < g.nres; k++)
                g.with_only[k] = lock_of(sc, k) == k;
        for (g.script = 0; g.script < sc->nscripts; g.script++)
                scenario_walk(&sc->scripts[g.script].body, use_stmt, &g);
        walk_all(&g);
        for (int k = 0; k < g.nres; k++) {
                g.lock[k] = -1;
                for (int l = 0; l < g.nres && g.seen[k] && !g.never[k] && g.lock[k] < 0; l++)
                        if (g.with_only[l] && has(&g.cand[k * g.words], l))
                                g.lock[k] = l;
        }
        g.mark = true;
        walk_all(&g);
        free(g.cand);
        free(g.held);
        free(g.seen);
        free(g.never);
        free(g.quiet);
        free(g.with_only);
        free(g.lock);
        free(g.uses);
}
