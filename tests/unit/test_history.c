/*
 * test_history.c — the recorded run: rebuilding earlier moments from snapshots, the memory cap.
 *
 * The reference for every moment is a fresh model fed the first k events; model_equal_check
 * compares two models through everything the accessors show (and model_apply's fast path with
 * the generic way, on the same streams of events).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "model/history.h"
#include "model/model.h"
#include "scenario/scenario.h"
#include "util/strbuf.h"

static const char all_text[] =
    "{\"lockstep\": 1, \"title\": \"All\", \"summary\": \"Every resource.\",\n"
    " \"resources\": {\n"
    "   \"lock\": {\"type\": \"lock\"}, \"r\": {\"type\": \"rlock\"},\n"
    "   \"sem\": {\"type\": \"semaphore\", \"value\": 2},\n"
    "   \"ev\": {\"type\": \"event\"}, \"cond\": {\"type\": \"condition\"},\n"
    "   \"cl\": {\"type\": \"condition\", \"lock\": \"lock\"},\n"
    "   \"bar\": {\"type\": \"barrier\", \"parties\": 2},\n"
    "   \"q\": {\"type\": \"queue\", \"max\": 3}, \"p\": {\"type\": \"pipe\"},\n"
    "   \"counter\": {\"type\": \"var\", \"value\": 0},\n"
    "   \"items\": {\"type\": \"list\"},\n"
    "   \"pool\": {\"type\": \"pool\", \"workers\": 2}},\n"
    " \"actors\": [\n"
    "   {\"name\": \"A\", \"run\": [{\"put\": \"q\", \"value\": 1}, {\"get\": \"q\"},\n"
    "      {\"send\": \"p.a\", \"value\": 1}, {\"recv\": \"p.a\"}]},\n"
    "   {\"name\": \"B\", \"run\": [{\"get\": \"q\"}, {\"recv\": \"p.b\"}]},\n"
    "   {\"name\": \"P\", \"kind\": \"process\", \"run\": [{\"sleep\": 0}]}]}\n";

static scenario *load(const char *text)
{
        return fixture_load(text);
}

/* ---- a model-equality helper: everything the accessors show ---- */

static void same_str(const char *a, const char *b, const char *what)
{
        if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
                fail_msg("%s: '%s' != '%s'", what, a != NULL ? a : "(null)",
                         b != NULL ? b : "(null)");
}

static void same_ids(const model_ids *a, const model_ids *b)
{
        assert_int_equal(a->n, b->n);
        for (size_t k = 0; k < a->n; k++)
                assert_int_equal(a->v[k], b->v[k]);
}

static void same_texts(const model_texts *a, const model_texts *b)
{
        assert_int_equal(a->n, b->n);
        for (size_t k = 0; k < a->n; k++)
                same_str(model_texts_at(a, k), model_texts_at(b, k), "item");
}

static void same_line(const model_line *a, const model_line *b)
{
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->seq, b->seq);
        assert_int_equal(a->actor, b->actor);
        assert_int_equal(a->index, b->index);
        same_str(a->text, b->text, "line");
}

static void same_error(const model_error *a, const model_error *b)
{
        assert_int_equal(a->seq, b->seq);
        assert_int_equal(a->actor, b->actor);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->signal, b->signal);
        assert_int_equal(a->code, b->code);
        same_str(a->text, b->text, "error");
}

static void model_equal_check(const model *x, const model *y)
{
        const model_info *i = model_info_of(x), *j = model_info_of(y);
        strbuf wx = STRBUF_INIT, wy = STRBUF_INIT;
        model_edge ex[80], ey[80];
        int n;

        assert_int_equal(i->events, j->events);
        assert_int_equal(i->ignored, j->ignored);
        assert_int_equal(i->steps, j->steps);
        assert_int_equal(i->last_seq, j->last_seq);
        assert_int_equal(i->t_ns, j->t_ns);
        assert_int_equal(i->outcome, j->outcome);
        assert_int_equal(i->ended, j->ended);
        same_str(i->caption, j->caption, "caption");
        assert_int_equal(i->caption_actor, j->caption_actor);
        assert_int_equal(i->caption_seq, j->caption_seq);
        assert_int_equal(i->nasserts, j->nasserts);
        assert_int_equal(i->nerrors, j->nerrors);
        assert_int_equal(model_nactors(x), model_nactors(y));
        for (int a = 0; a < model_nactors(x); a++) {
                const model_actor *p = model_actor_at(x, a), *q = model_actor_at(y, a);

                same_str(p->name, q->name, "name");
                assert_int_equal(p->process, q->process);
                assert_int_equal(p->started, q->started);
                assert_int_equal(p->launched, q->launched);
                assert_int_equal(p->home, q->home);
                assert_int_equal(p->state, q->state);
                assert_int_equal(p->since, q->since);
                assert_int_equal(p->stmt, q->stmt);
                assert_int_equal(p->op, q->op);
                assert_int_equal(p->res, q->res);
                assert_int_equal(p->join, q->join);
                assert_int_equal(p->end, q->end);
                assert_int_equal(p->timed, q->timed);
                assert_int_equal(p->sleep_ns, q->sleep_ns);
                assert_int_equal(p->steps, q->steps);
                assert_int_equal(p->events, q->events);
                assert_int_equal(p->pid, q->pid);
                assert_int_equal(p->signal, q->signal);
                assert_int_equal(p->code, q->code);
                same_str(p->why, q->why, "why");
                assert_int_equal(p->restore_depth, q->restore_depth);
                assert_int_equal(model_can_proceed(x, a), model_can_proceed(y, a));
        }
        assert_int_equal(model_nres(x), model_nres(y));
        for (int k = 0; k < model_nres(x); k++) {
                const model_res *p = model_res_at(x, k), *q = model_res_at(y, k);

                assert_int_equal(p->type, q->type);
                assert_int_equal(p->lock, q->lock);
                assert_int_equal(p->holder, q->holder);
                assert_int_equal(p->depth, q->depth);
                same_ids(&p->blocked, &q->blocked);
                same_ids(&p->putters, &q->putters);
                same_ids(&p->waiting, &q->waiting);
                assert_int_equal(p->count, q->count);
                assert_int_equal(p->initial, q->initial);
                same_ids(&p->holders, &q->holders);
                assert_int_equal(p->set, q->set);
                assert_int_equal(p->pending, q->pending);
                assert_int_equal(p->arrivals, q->arrivals);
                assert_int_equal(p->parties, q->parties);
                same_texts(&p->items, &q->items);
                assert_int_equal(p->max, q->max);
                same_texts(&p->flow[0], &q->flow[0]);
                same_texts(&p->flow[1], &q->flow[1]);
                assert_int_equal(p->closed[0], q->closed[0]);
                assert_int_equal(p->closed[1], q->closed[1]);
                assert_int_equal(p->ncopies, q->ncopies);
                for (size_t c = 0; c < p->ncopies; c++) {
                        assert_int_equal(p->copies[c].owner, q->copies[c].owner);
                        char pn[VALUE_INT_TEXT], qn[VALUE_INT_TEXT];

                        same_str(model_copy_text(&p->copies[c], pn),
                                 model_copy_text(&q->copies[c], qn), "copy");
                }
                assert_int_equal(p->nworkers, q->nworkers);
                for (int w = 0; w < p->nworkers; w++) {
                        char pn[VALUE_INT_TEXT], qn[VALUE_INT_TEXT];

                        assert_int_equal(p->workers[w].task, q->workers[w].task);
                        same_str(model_worker_arg(&p->workers[w], pn),
                                 model_worker_arg(&q->workers[w], qn), "arg");
                }
                assert_int_equal(p->ntasks, q->ntasks);
                assert_int_equal(model_result_count(x, k), model_result_count(y, k));
                for (size_t r = 0; r < model_result_count(x, k); r++)
                        same_line(model_result_at(x, k, r, &(model_line){ 0 }),
                                  model_result_at(y, k, r, &(model_line){ 0 }));
        }
        assert_int_equal(model_output_count(x), model_output_count(y));
        for (size_t k = 0; k < model_output_count(x); k++)
                same_line(model_output_at(x, k, &(model_line){ 0 }),
                          model_output_at(y, k, &(model_line){ 0 }));
        assert_int_equal(model_assert_count(x), model_assert_count(y));
        for (size_t k = 0; k < model_assert_count(x); k++)
                same_error(model_assert_at(x, k), model_assert_at(y, k));
        assert_int_equal(model_error_count(x), model_error_count(y));
        for (size_t k = 0; k < model_error_count(x); k++)
                same_error(model_error_at(x, k), model_error_at(y, k));
        n = model_wait_edges(x, ex, 80);
        assert_int_equal(n, model_wait_edges(y, ey, 80));
        for (int k = 0; k < n; k++) {
                assert_int_equal(ex[k].from, ey[k].from);
                assert_int_equal(ex[k].to, ey[k].to);
                assert_int_equal(ex[k].res, ey[k].res);
                assert_int_equal(ex[k].kind, ey[k].kind);
                assert_int_equal(ex[k].timed, ey[k].timed);
                assert_int_equal(ex[k].cycle, ey[k].cycle);
        }
        assert_int_equal(model_deadlock(x, &wx), model_deadlock(y, &wy));
        same_str(strbuf_str(&wx), strbuf_str(&wy), "deadlock");
        strbuf_free(&wx);
        strbuf_free(&wy);
}

/* E as event SEQ with TEXT, into FAST the fast way (model_apply) and into SLOW the generic way:
 * the two must agree after it. */
static void apply_both(model *fast, model *slow, event e, uint64_t seq, const char *text)
{
        e.text = text;
        e.seq = seq;
        model_apply(fast, &e);
        model_apply_generic(slow, &e);
        model_equal_check(fast, slow);
}

/* ---- a deterministic stream of events, plausible and not ---- */

typedef struct gen {
        uint64_t state;
        char text[64];
} gen;

static uint32_t rnd(gen *g, uint32_t n)
{
        g->state = g->state * 6364136223846793005ull + 1442695040888963407ull;
        return (uint32_t)(g->state >> 33) % n;
}

/* The resource types an event kind works on (0: it needs none). */
static unsigned kind_types(int kind)
{
        const unsigned locks =
            1u << SC_LOCK | 1u << SC_RLOCK | 1u << SC_SEMAPHORE | 1u << SC_CONDITION;
        const unsigned waits = 1u << SC_EVENT | 1u << SC_CONDITION | 1u << SC_BARRIER;

        switch (kind) {
        case EV_BLOCKED: return locks | 1u << SC_QUEUE | 1u << SC_PIPE | 1u << SC_EVENT;
        case EV_ACQUIRED:
        case EV_RELEASED: return locks;
        case EV_WAITING:
        case EV_WOKE:
        case EV_TIMEOUT: return waits;
        case EV_SET:
        case EV_CLEARED: return 1u << SC_EVENT;
        case EV_NOTIFIED: return 1u << SC_CONDITION;
        case EV_PUT:
        case EV_GOT: return 1u << SC_QUEUE;
        case EV_SENT:
        case EV_RECEIVED:
        case EV_CLOSED: return 1u << SC_PIPE;
        case EV_CHANGED: return 1u << SC_VAR | 1u << SC_LIST;
        case EV_REQUEST:
        case EV_REPLY: return 1u << SC_LIST | 1u << SC_DICT;
        case EV_TASK:
        case EV_RESULT: return 1u << SC_POOL;
        default: return 0;
        }
}

/* Event number SEQ: mostly well formed (any kind, a real actor, a resource of the right type),
 * some garbage. Actors rarely finish, so the run stays busy. The text lives in G until the next
 * call. */
static event gen_event(gen *g, const scenario *sc, uint64_t seq)
{
        static const char *const words[] = { "", "1", "'x'", "[1, 2]", "hello world", "None" };
        int nact = sc->nactors + 1;
        event e = { .seq = seq, .t_ns = seq * 10, .other = -1, .stmt = -1, .res = -1 };
        unsigned types;
        int kind;

        do
                kind = (int)rnd(g, EV_KIND_COUNT);
        while ((kind == EV_EXIT || kind == EV_CRASH || kind == EV_ERROR || kind == EV_END) &&
               rnd(g, 150) != 0);
        e.kind = (uint16_t)kind;
        e.actor = (int16_t)rnd(g, (uint32_t)nact);
        types = kind_types(kind);
        if (types != 0)
                for (int tries = 0; tries < 50; tries++) {
                        int r = (int)rnd(g, (uint32_t)sc->nresources);

                        if (types & 1u << sc->resources[r].type) {
                                e.res = (int16_t)r;
                                break;
                        }
                }
        if (kind == EV_BLOCKED && rnd(g, 5) == 0) {
                e.res = -1;
                e.other = (int16_t)rnd(g, (uint32_t)nact);
        }
        if (rnd(g, 2) == 0)
                e.stmt = (int32_t)rnd(g, (uint32_t)sc->nstmts);
        e.aux = (int32_t)rnd(g, 3) - 1;
        if (kind == EV_SENT || kind == EV_RECEIVED || kind == EV_CLOSED || kind == EV_TASK ||
            kind == EV_RESULT)
                e.aux = (int32_t)rnd(g, 2);
        e.num = (int64_t)rnd(g, 5) - 1;
        switch (rnd(g, 30)) {
        case 0: e.kind = (uint16_t)(EV_KIND_COUNT + rnd(g, 5)); break;
        case 1: e.actor = 999; break;
        case 2: e.res = -5; break;
        case 3: e.actor = -1; break;
        case 4: e.res = (int16_t)rnd(g, (uint32_t)sc->nresources); break;
        default: break;
        }
        snprintf(g->text, sizeof g->text, "%s", words[rnd(g, 6)]);
        if (rnd(g, 3) == 0)
                snprintf(g->text, sizeof g->text, "line %llu", (unsigned long long)seq);
        e.text = g->text;
        e.len = (uint32_t)strlen(g->text);
        if (rnd(g, 4) == 0)
                e.flags = EVENT_BEGINS_STEP;
        return e;
}

/* The stream, with stable texts, for the reference folds. */
typedef struct stream {
        event *ev;
        char **text;
        size_t n;
} stream;

static stream make_stream(const scenario *sc, size_t n, uint64_t seed)
{
        stream s = { .ev = calloc(n, sizeof(event)), .text = calloc(n, sizeof(char *)), .n = n };
        gen g = { .state = seed };

        for (size_t k = 0; k < n; k++) {
                s.ev[k] = gen_event(&g, sc, k + 1);
                s.text[k] = strdup(s.ev[k].text);
                s.ev[k].text = s.text[k];
        }
        return s;
}

static void free_stream(stream *s)
{
        for (size_t k = 0; k < s->n; k++)
                free(s->text[k]);
        free(s->text);
        free(s->ev);
}

/* The steps among events FIRST + 1 .. SEQ of S, as the session counts them. */
static uint64_t count_steps(const stream *s, uint64_t first, uint64_t seq)
{
        uint64_t n = 0;

        for (uint64_t k = first; k < seq; k++)
                n += s->ev[k].kind == EV_STEP || (s->ev[k].flags & EVENT_BEGINS_STEP);
        return n;
}

static model *fold(const scenario *sc, const stream *s, size_t k)
{
        model *m = model_new(sc);

        for (size_t j = 0; j < k; j++)
                model_apply(m, &s->ev[j]);
        return m;
}

static void test_at_equals_fold(void **state)
{
        scenario *sc = load(all_text);
        stream s = make_stream(sc, 400, 12345);
        history *h = history_new(sc, 7, 0);
        const uint64_t ks[] = { 0,   1,   6,   7,   8,   13,  14,  15, 50,  49, 48,
                                100, 101, 399, 398, 350, 351, 357, 2,  203, 210 };
        model *ref;

        (void)state;
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        assert_int_equal(history_len(h), 400);
        assert_int_equal(history_first_seq(h), 0);
        /* the live model is the fold of everything */
        ref = fold(sc, &s, s.n);
        model_equal_check(history_live(h), ref);
        assert_ptr_equal(history_at(h, 400), history_live(h));
        model_free(ref);
        /* the stream exercises the model: some events applied, some ignored */
        assert_true(model_info_of(history_live(h))->events > 100);
        assert_true(model_info_of(history_live(h))->ignored > 10);
        assert_true(model_output_count(history_live(h)) > 3);
        /* moments in any order, across snapshot boundaries (every 7) */
        for (size_t j = 0; j < sizeof ks / sizeof *ks; j++) {
                const model *at = history_at(h, ks[j]);

                assert_non_null(at);
                ref = fold(sc, &s, ks[j]);
                model_equal_check(at, ref);
                model_free(ref);
        }
        /* every moment, forward then backward */
        for (uint64_t k = 0; k <= 400; k += 3) {
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        for (uint64_t k = 400; k-- > 0;) {
                if (k % 11 != 0)
                        continue;
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        assert_null(history_at(h, 401));
        /* the steps up to every moment */
        assert_true(count_steps(&s, 0, 400) > 100);
        for (uint64_t k = 0; k <= 400; k++)
                assert_int_equal(history_steps(h, k), count_steps(&s, 0, k));
        for (uint64_t k = 400; k-- > 0;)
                assert_int_equal(history_steps(h, k), count_steps(&s, 0, k));
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

/* Whether model_apply's fast path may take E (its kinds, an actor or the runner, a resource). */
static bool hot(const event *e)
{
        switch (e->kind) {
        case EV_STEP: return e->actor >= 0 && e->res == -1;
        case EV_ACQUIRED:
        case EV_RELEASED:
        case EV_PUT:
        case EV_GOT: return e->actor >= 0 && e->res >= 0;
        case EV_CHANGED:
        case EV_TASK:
        case EV_RESULT: return e->actor >= -1 && e->res >= 0;
        default: return false;
        }
}

/*
 * model_apply's fast path for its hottest kinds gives exactly what the generic way gives: the
 * same streams of plausible and malformed events folded both ways, compared after every event.
 * Then events the fast kinds must still ignore, each against a fresh pair.
 */
static void test_fast_equals_generic(void **state)
{
        scenario *sc = load(all_text);
        int lock = scenario_find_resource(sc, "lock"), cl = scenario_find_resource(sc, "cl");
        int q = scenario_find_resource(sc, "q"), counter = scenario_find_resource(sc, "counter");
        int pool = scenario_find_resource(sc, "pool");
        const event bad[] = {
                { .kind = EV_STEP, .actor = 0, .res = 999, .stmt = -1 },
                { .kind = EV_STEP, .actor = EVENT_RUNNER, .res = -1, .stmt = -1 },
                { .kind = EV_STEP, .actor = 99, .res = -1, .stmt = -1 },
                { .kind = EV_ACQUIRED, .actor = 0, .res = (int16_t)q, .stmt = -1 },
                { .kind = EV_ACQUIRED, .actor = 0, .res = -1, .stmt = -1 },
                { .kind = EV_ACQUIRED, .actor = EVENT_RUNNER, .res = (int16_t)lock, .stmt = -1 },
                { .kind = EV_RELEASED, .actor = 0, .res = 999, .stmt = -1 },
                { .kind = EV_RELEASED, .actor = 0, .res = (int16_t)counter, .stmt = -1 },
                { .kind = EV_PUT, .actor = 1, .res = (int16_t)lock, .stmt = -1 },
                { .kind = EV_GOT, .actor = 1, .res = -1, .stmt = -1 },
                { .kind = EV_CHANGED, .actor = 0, .res = (int16_t)counter, .aux = 99, .stmt = -1 },
                { .kind = EV_CHANGED, .actor = 0, .res = (int16_t)q, .stmt = -1 },
                { .kind = EV_CHANGED, .actor = -2, .res = (int16_t)counter, .stmt = -1 },
                { .kind = EV_TASK, .actor = 0, .res = (int16_t)pool, .aux = 2, .stmt = -1 },
                { .kind = EV_TASK, .actor = 0, .res = (int16_t)pool, .num = -1, .stmt = -1 },
                { .kind = EV_RESULT, .actor = 0, .res = (int16_t)lock, .stmt = -1 },
        };
        const event good[] = {
                { .kind = EV_ACQUIRED, .actor = 0, .res = (int16_t)cl, .stmt = -1 },
                { .kind = EV_RELEASED, .actor = 0, .res = (int16_t)cl, .stmt = -1 },
                { .kind = EV_CHANGED,
                  .actor = EVENT_RUNNER,
                  .res = (int16_t)counter,
                  .aux = -1,
                  .stmt = -1 },
        };
        size_t nhot = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= 4; seed++) {
                stream s = make_stream(sc, 3000, seed * 7919);
                model *fast = model_new(sc), *slow = model_new(sc);

                for (size_t k = 0; k < s.n; k++) {
                        nhot += hot(&s.ev[k]);
                        model_apply(fast, &s.ev[k]);
                        model_apply_generic(slow, &s.ev[k]);
                        model_equal_check(fast, slow);
                }
                model_free(fast);
                model_free(slow);
                free_stream(&s);
        }
        /* the streams go the fast way often */
        assert_true(nhot > 1000);
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
                model *fast = model_new(sc), *slow = model_new(sc);
                event e = bad[k];

                e.text = "";
                e.seq = 1;
                model_apply(fast, &e);
                model_apply_generic(slow, &e);
                assert_int_equal(model_info_of(fast)->ignored, 1);
                assert_int_equal(model_info_of(fast)->events, 0);
                model_equal_check(fast, slow);
                model_free(fast);
                model_free(slow);
        }
        /* a condition with a lock of its own stands for that lock; the runner's CHANGED counts */
        {
                model *fast = model_new(sc), *slow = model_new(sc);

                for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
                        event e = good[k];

                        e.len = 1;
                        apply_both(fast, slow, e, k + 1, "7");
                        if (k == 0)
                                assert_int_equal(model_res_at(fast, lock)->holder, 0);
                }
                assert_int_equal(model_info_of(fast)->events, 3);
                assert_int_equal(model_info_of(fast)->ignored, 0);
                assert_int_equal(model_res_at(fast, lock)->holder, -1);
                assert_string_equal(model_res_at(fast, counter)->copies[0].text, "7");
                model_free(fast);
                model_free(slow);
        }
        /* a dead actor's active events are ignored; its passive ones still count */
        {
                model *fast = model_new(sc), *slow = model_new(sc);
                const event seq[] = {
                        { .kind = EV_EXIT, .actor = 0, .res = -1, .stmt = -1 },
                        { .kind = EV_STEP, .actor = 0, .res = -1, .stmt = -1 },
                        { .kind = EV_ACQUIRED, .actor = 0, .res = (int16_t)lock, .stmt = -1 },
                        { .kind = EV_CHANGED, .actor = 0, .res = (int16_t)counter, .stmt = -1 },
                };

                for (size_t k = 0; k < sizeof seq / sizeof *seq; k++)
                        apply_both(fast, slow, seq[k], k + 1, "");
                assert_int_equal(model_info_of(fast)->events, 2);
                assert_int_equal(model_info_of(fast)->ignored, 2);
                assert_int_equal(model_res_at(fast, lock)->holder, -1);
                model_free(fast);
                model_free(slow);
        }
        scenario_free(sc);
        /* a pool worker's GIL: passive both ways, for an actor READY, RUNNING, in a wait, dead */
        sc = load("{\"lockstep\": 1, \"title\": \"G\", \"summary\": \"s\", \"gil\": true,"
                  " \"resources\": {\"pool\": {\"type\": \"pool\", \"workers\": 2}},"
                  " \"actors\": [{\"name\": \"A\", \"run\": [{\"print\": \"x\"}]}]}");
        {
                model *fast = model_new(sc), *slow = model_new(sc);
                int16_t g0 = (int16_t)scenario_find_resource(sc, "GIL@pool/0");
                int16_t g1 = (int16_t)scenario_find_resource(sc, "GIL@pool/1");
                const event seq[] = {
                        { .kind = EV_START, .actor = 0, .res = -1, .stmt = -1 },
                        { .kind = EV_READY, .actor = 0, .res = -1, .stmt = -1 },
                        { .kind = EV_ACQUIRED, .actor = 0, .res = g0, .num = 1, .stmt = -1 },
                        { .kind = EV_STEP, .actor = 0, .res = -1, .stmt = -1 },
                        { .kind = EV_ACQUIRED, .actor = 0, .res = g1, .num = 1, .stmt = -1 },
                        { .kind = EV_BLOCKED, .actor = 0, .res = -1, .other = 1, .stmt = -1 },
                        { .kind = EV_RELEASED, .actor = 0, .res = g0, .stmt = -1 },
                        { .kind = EV_EXIT, .actor = 0, .res = -1, .stmt = -1 },
                        { .kind = EV_RELEASED, .actor = 0, .res = g1, .stmt = -1 },
                };

                for (size_t k = 0; k < sizeof seq / sizeof *seq; k++) {
                        apply_both(fast, slow, seq[k], k + 1, "");
                        if (k == 2)
                                assert_int_equal(model_actor_at(fast, 0)->state, MODEL_READY);
                }
                assert_int_equal(model_info_of(fast)->ignored, 0);
                assert_int_equal(model_res_at(fast, g0)->holder, -1);
                assert_int_equal(model_res_at(fast, g1)->holder, -1);
                model_free(fast);
                model_free(slow);
        }
        scenario_free(sc);
}

static void test_events_stored(void **state)
{
        scenario *sc = load(all_text);
        history *h = history_new(sc, 4, 0);
        char buf[32];
        event e;

        (void)state;
        for (int k = 1; k <= 10; k++) {
                event ev = { .seq = (uint64_t)k,
                             .kind = EV_PRINT,
                             .actor = 0,
                             .res = -1,
                             .other = -1,
                             .stmt = -1,
                             .num = k };

                snprintf(buf, sizeof buf, "line %d", k);
                ev.text = buf;
                ev.len = (uint32_t)strlen(buf);
                history_append(h, &ev);
                memset(buf, 'x', sizeof buf - 1); /* the history keeps its own copy */
        }
        {
                event ev = { .seq = 11,
                             .kind = EV_SAY,
                             .actor = -1,
                             .res = -1,
                             .other = -1,
                             .stmt = -1,
                             .len = 0,
                             .text = NULL };

                history_append(h, &ev);
        }
        history_append(h, NULL);
        assert_int_equal(history_len(h), 11);
        assert_false(history_event(h, 0, &e));
        assert_false(history_event(h, 12, &e));
        for (int k = 1; k <= 10; k++) {
                snprintf(buf, sizeof buf, "line %d", k);
                assert_true(history_event(h, (uint64_t)k, &e));
                assert_int_equal(e.seq, k);
                assert_int_equal(e.num, k);
                assert_int_equal(e.kind, EV_PRINT);
                assert_string_equal(e.text, buf);
                assert_int_equal(e.len, strlen(buf));
        }
        assert_true(history_event(h, 11, &e));
        assert_string_equal(e.text, "");
        assert_int_equal(e.len, 0);
        assert_int_equal(model_output_count(history_live(h)), 10);
        assert_int_equal(model_output_count(history_at(h, 5)), 5);
        assert_string_equal(model_output_at(history_at(h, 9), 8, &(model_line){ 0 })->text,
                            "line 9");
        assert_string_equal(model_info_of(history_live(h))->caption, "");
        history_free(h);
        scenario_free(sc);
}

static void test_memory_cap(void **state)
{
        scenario *sc = load(all_text);
        stream s = make_stream(sc, 3000, 777);
        const size_t cap = 64 << 10;
        history *h = history_new(sc, 50, cap);
        uint64_t first;
        model *ref;
        event e;

        (void)state;
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        first = history_first_seq(h);
        assert_true(first > 0);
        assert_int_equal(first % 50, 0);
        assert_true(first < 3000);
        assert_true(history_bytes(h) <= cap);
        assert_int_equal(history_len(h), 3000);
        /* before the oldest kept moment: gone */
        assert_null(history_at(h, first - 1));
        assert_null(history_at(h, 0));
        assert_false(history_event(h, first, &e));
        assert_false(history_event(h, 1, &e));
        assert_true(history_event(h, first + 1, &e));
        assert_int_equal(e.seq, first + 1);
        /* steps count from the oldest kept moment */
        for (uint64_t k = first; k <= 3000; k += 7)
                assert_int_equal(history_steps(h, k), count_steps(&s, first, k));
        assert_int_equal(history_steps(h, 3000), count_steps(&s, first, 3000));
        assert_int_equal(history_steps(h, first - 1), 0);
        /* from the oldest kept moment on: exact */
        for (uint64_t k = first; k <= 3000; k += 37) {
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        ref = fold(sc, &s, first);
        model_equal_check(history_at(h, first), ref);
        model_free(ref);
        /* the live model keeps everything */
        ref = fold(sc, &s, 3000);
        model_equal_check(history_live(h), ref);
        model_free(ref);
        history_free(h);

        /* the default cap keeps all of it */
        h = history_new(sc, 0, 0);
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        assert_int_equal(history_first_seq(h), 0);
        ref = fold(sc, &s, 1234);
        model_equal_check(history_at(h, 1234), ref);
        model_free(ref);
        assert_true(history_event(h, 1, &e));
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

/* Printed output counts in the cap: a run that only prints keeps the newest lines, says how many
 * were dropped, and stays under the cap; every moment still rebuilds its view of the output. */
static void test_output_cap(void **state)
{
        scenario *sc = load(all_text);
        const size_t cap = 1 << 20, every = 100, nprint = 20000;
        history *h = history_new(sc, every, cap);
        char buf[1001];
        const model *live;
        uint64_t first;

        (void)state;
        memset(buf, '.', sizeof buf - 1);
        buf[sizeof buf - 1] = '\0';
        for (size_t k = 1; k <= nprint; k++) {
                event ev = { .seq = k,
                             .kind = EV_PRINT,
                             .actor = 0,
                             .res = -1,
                             .other = -1,
                             .stmt = -1,
                             .text = buf,
                             .len = sizeof buf - 1 };

                snprintf(buf, 16, "line %zu", k);
                buf[strlen(buf)] = '.';
                history_append(h, &ev);
        }
        live = history_live(h);
        assert_int_equal(model_output_count(live) + model_output_dropped(live), nprint);
        assert_true(model_output_dropped(live) > 0);
        /* the logs are trimmed to 3/8 of the cap, then grow by at most a chunk of lines */
        assert_true(model_log_bytes(live) <= cap / 2 + every * (sizeof buf + 64));
        assert_true(history_bytes(h) <= cap);
        /* the newest lines are kept, in order */
        for (size_t i = 0; i < model_output_count(live); i++)
                assert_int_equal(model_output_at(live, i, &(model_line){ 0 })->seq,
                                 model_output_dropped(live) + i + 1);
        assert_null(model_output_at(live, model_output_count(live), &(model_line){ 0 }));
        assert_memory_equal(
            model_output_at(live, model_output_count(live) - 1, &(model_line){ 0 })->text,
            "line 20000.", 11);
        /* every kept moment sees its own prefix: count + dropped = the lines printed by then */
        first = history_first_seq(h);
        assert_true(first > 0);
        for (uint64_t k = first; k <= nprint; k += 97) {
                const model *m = history_at(h, k);
                size_t n = model_output_count(m), dropped = model_output_dropped(m);

                assert_int_equal(n + dropped, k);
                for (size_t i = 0; i < n; i++)
                        assert_int_equal(model_output_at(m, i, &(model_line){ 0 })->seq,
                                         dropped + i + 1);
        }
        history_free(h);

        /* under the default cap nothing is dropped */
        h = history_new(sc, every, 0);
        for (size_t k = 1; k <= 2000; k++) {
                event ev = { .seq = k,
                             .kind = EV_PRINT,
                             .actor = 0,
                             .res = -1,
                             .other = -1,
                             .stmt = -1,
                             .text = buf,
                             .len = sizeof buf - 1 };

                history_append(h, &ev);
        }
        assert_int_equal(model_output_count(history_live(h)), 2000);
        assert_int_equal(model_output_dropped(history_live(h)), 0);
        history_free(h);
        scenario_free(sc);
}

/* ---- the packed events ---- */

static void same_event(const event *a, const event *b)
{
        assert_int_equal(a->seq, b->seq);
        assert_int_equal(a->t_ns, b->t_ns);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->flags, b->flags);
        assert_int_equal(a->actor, b->actor);
        assert_int_equal(a->res, b->res);
        assert_int_equal(a->other, b->other);
        assert_int_equal(a->stmt, b->stmt);
        assert_int_equal(a->aux, b->aux);
        assert_true(a->num == b->num);
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->text, b->text, a->len);
        assert_int_equal(a->text[a->len], '\0');
}

/* Event K of the history must be EXPECT, asked for in any order. */
static void check_events(history *h, const event *expect, size_t n, uint64_t seed)
{
        gen g = { .state = seed };
        event e;

        for (size_t k = 0; k < n; k++) {
                assert_true(history_event(h, k + 1, &e));
                same_event(&e, &expect[k]);
        }
        for (size_t k = n; k-- > 0;) {
                assert_true(history_event(h, k + 1, &e));
                same_event(&e, &expect[k]);
        }
        for (size_t j = 0; j < 4 * n; j++) {
                size_t k = rnd(&g, (uint32_t)n);

                assert_true(history_event(h, k + 1, &e));
                same_event(&e, &expect[k]);
        }
}

/* Every field at its extremes and its usual values, every kind (and some that are none), texts
 * empty, missing, cut at a NUL, long and as long as they get: each comes back as it went in,
 * whatever the order it is asked for in, across snapshots and index groups. */
static void test_pack_round_trip(void **state)
{
        static const int64_t nums[] = { 0, 1, -1, 127, 128, -128, INT64_MAX, INT64_MIN, 1 << 20 };
        static const int32_t i32[] = { -1, 0, 1, INT32_MAX, INT32_MIN, 63, 64, -65 };
        static const int16_t i16[] = { -1, 0, 1, INT16_MAX, INT16_MIN, 3, 200, -2 };
        static const uint64_t u64[] = {
                0,    1,   UINT64_MAX,        UINT64_MAX - 1, (uint64_t)INT64_MAX + 1,
                1000, 999, 123456789012345ull
        };
        scenario *sc = load(all_text);
        const size_t n = 700;
        event *ev = calloc(n, sizeof *ev);
        char **texts = calloc(n, sizeof *texts);
        char *big = malloc(EVENT_MAX_TEXT + 27);
        history *h = history_new(sc, 7, 0);
        gen g = { .state = 4242 };

        (void)state;
        assert_non_null(ev);
        assert_non_null(texts);
        assert_non_null(big);
        for (size_t k = 0; k < EVENT_MAX_TEXT + 26; k++)
                big[k] = (char)('a' + k % 26);
        big[EVENT_MAX_TEXT + 26] = '\0';
        for (size_t k = 0; k < n; k++) {
                event *e = &ev[k];
                size_t len;

                /* mostly a plausible stream (seq in order, t growing), then anything */
                e->seq = k + 1;
                e->t_ns = k * 37;
                e->kind = (uint8_t)(k % (EV_KIND_COUNT + 3));
                e->flags = (uint8_t)(k % 5 == 0 ? EVENT_BEGINS_STEP : 0);
                e->actor = (int16_t)(k / 3 % 4);
                e->res = -1;
                e->other = -1;
                e->stmt = -1;
                switch (rnd(&g, 12)) {
                case 0: e->seq = u64[rnd(&g, 8)]; break;
                case 1: e->t_ns = u64[rnd(&g, 8)]; break;
                case 2: e->kind = (uint8_t)(60 + rnd(&g, 196)); break;
                case 3: e->flags = (uint8_t)rnd(&g, 256); break;
                case 4: e->actor = i16[rnd(&g, 8)]; break;
                case 5: e->res = i16[rnd(&g, 8)]; break;
                case 6: e->other = i16[rnd(&g, 8)]; break;
                case 7: e->stmt = i32[rnd(&g, 8)]; break;
                case 8: e->aux = i32[rnd(&g, 8)]; break;
                default: break;
                }
                e->num = nums[rnd(&g, 9)];
                if (rnd(&g, 3) == 0)
                        e->res = (int16_t)rnd(&g, (uint32_t)sc->nresources);
                if (rnd(&g, 3) == 0)
                        e->stmt = (int32_t)rnd(&g, (uint32_t)sc->nstmts);
                switch (rnd(&g, 8)) {
                case 0: len = 0; break;
                case 1: len = EVENT_MAX_TEXT; break;
                case 2: len = 1000 + rnd(&g, 3000); break;
                default: len = rnd(&g, 40); break;
                }
                texts[k] = malloc(len + 1);
                assert_non_null(texts[k]);
                memcpy(texts[k], big + rnd(&g, 26), len);
                texts[k][len] = '\0';
                if (len > 0 && rnd(&g, 4) == 0)
                        texts[k][rnd(&g, (uint32_t)len)] = 'X'; /* a change in the middle */
                e->text = texts[k];
                e->len = (uint32_t)len;
                if (rnd(&g, 25) == 0) {
                        e->text = NULL; /* a missing text is an empty one */
                        e->len = 5;
                }
        }
        for (size_t k = 0; k < n; k++) {
                event in = ev[k];

                if (in.text != NULL && in.len > 3 && rnd(&g, 20) == 0) {
                        /* a NUL inside: the text ends there */
                        texts[k][3] = '\0';
                        history_append(h, &in);
                        ev[k].len = 3;
                } else
                        history_append(h, &in);
                if (ev[k].text == NULL) {
                        ev[k].text = "";
                        ev[k].len = 0;
                }
        }
        assert_int_equal(history_len(h), n);
        check_events(h, ev, n, 99);
        history_free(h);
        for (size_t k = 0; k < n; k++)
                free(texts[k]);
        free(texts);
        free(ev);
        free(big);
        scenario_free(sc);
}

/* A repr that keeps changing (a growing list, a dict updated in the middle, a counter) is stored
 * as its changed part: a few bytes per event rather than the whole text. Chains of such texts
 * longer than the packer allows, more resources than it keeps texts for, and texts that share
 * little with the last one all come back whole, and the models rebuilt from them are the fold. */
static void test_changing_texts(void **state)
{
        scenario *sc = load(all_text);
        const size_t n = 3000;
        stream s = { .ev = calloc(n, sizeof(event)), .text = calloc(n, sizeof(char *)), .n = n };
        strbuf list = STRBUF_INIT;
        history *h = history_new(sc, 500, 0);
        history_stats st;
        size_t total = 0;
        gen g = { .state = 7 };
        model *ref;

        (void)state;
        strbuf_puts(&list, "[");
        for (size_t k = 0; k < n; k++) {
                event *e = &s.ev[k];
                char buf[256];

                *e = (event){ .seq = k + 1,
                              .kind = EV_CHANGED,
                              .actor = 0,
                              .other = -1,
                              .stmt = -1,
                              .aux = -1,
                              .t_ns = k * 100 };
                if (k % 3 == 0) {
                        /* the list grows: 'counter' (a var) shows it */
                        snprintf(buf, sizeof buf, "%s%zu", k > 0 ? ", " : "", k);
                        if (list.len > 1)
                                list.len--; /* the closing bracket */
                        strbuf_puts(&list, buf);
                        strbuf_puts(&list, "]");
                        e->res = 9;
                        s.text[k] = strdup(strbuf_str(&list));
                } else if (k % 3 == 1) {
                        /* one of 20 resources (more than the packer keeps texts for), by actor */
                        e->kind = EV_PRINT;
                        e->actor = (int16_t)(k % 20);
                        snprintf(buf, sizeof buf, "{'k': %u, 'v': 'same tail here'}", rnd(&g, 50));
                        s.text[k] = strdup(buf);
                } else {
                        /* unrelated to the last, or (3 times in 4) the same, in runs longer
                         * than the chains the packer makes */
                        e->res = 10;
                        if (k < 3 || rnd(&g, 4) == 0)
                                snprintf(buf, sizeof buf, "%08x/%0200d", rnd(&g, 0xfffffff), 0);
                        else
                                snprintf(buf, sizeof buf, "%s", s.text[k - 3]);
                        s.text[k] = strdup(buf);
                }
                e->text = s.text[k];
                e->len = (uint32_t)strlen(s.text[k]);
                total += e->len;
                history_append(h, e);
        }
        check_events(h, s.ev, n, 5);
        for (uint64_t k = 0; k <= n; k += 97) {
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        /* the texts take some 2.7 MB; packed (the buffer's spare room counted), a small part */
        history_get_stats(h, &st);
        assert_true(total > 2500000);
        assert_true(st.events < total / 8);
        history_free(h);
        strbuf_free(&list);
        free_stream(&s);
        scenario_free(sc);
}

static const char queue_text[] =
    "{\"lockstep\": 1, \"title\": \"Q\", \"summary\": \"A queue without a bound.\",\n"
    " \"resources\": {\"q\": {\"type\": \"queue\"}},\n"
    " \"actors\": [{\"name\": \"A\", \"run\": [{\"put\": \"q\", \"value\": 1}]}]}\n";

/* Puts N items into the queue, or (BALANCED) puts and gets in turn. */
static stream queue_stream(size_t n, bool balanced)
{
        stream s = { .ev = calloc(n, sizeof(event)), .text = calloc(n, sizeof(char *)), .n = n };
        char buf[32];

        for (size_t k = 0; k < n; k++) {
                bool get = balanced && k % 2 == 1;

                snprintf(buf, sizeof buf, "'item %zu'", get ? k - 1 : k);
                s.text[k] = strdup(buf);
                s.ev[k] = (event){ .seq = k + 1,
                                   .t_ns = k,
                                   .kind = get ? EV_GOT : EV_PUT,
                                   .actor = 0,
                                   .res = 0,
                                   .other = -1,
                                   .stmt = -1,
                                   .num = balanced ? !get : (int64_t)k + 1,
                                   .text = s.text[k],
                                   .len = (uint32_t)strlen(buf) };
        }
        return s;
}

/* A snapshot is taken every snapshot_every events while the model is small; a model that grows
 * big (a queue of 30,000 items) is snapshotted only as often as its events pay for it — here
 * never, as it grows faster than that — or every 256 * snapshot_every events, so that rewinding
 * stays bounded. Every moment still rebuilds exactly. */
static void test_snapshot_budget(void **state)
{
        scenario *sc = load(queue_text);
        stream s = queue_stream(30000, true);
        history *h = history_new(sc, 1000, 0);
        history_stats st;
        model *ref;

        (void)state;
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        history_get_stats(h, &st);
        assert_int_equal(st.chunks, 30);
        history_free(h);
        free_stream(&s);

        s = queue_stream(30000, false);
        h = history_new(sc, 100, 0);
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        history_get_stats(h, &st);
        assert_int_equal(st.chunks, 2);
        assert_int_equal(history_first_seq(h), 0);
        for (uint64_t k = 0; k <= s.n; k += 1999) {
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        ref = fold(sc, &s, 29999);
        model_equal_check(history_at(h, 29999), ref);
        model_free(ref);
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

/* Long texts under a small cap: the bytes counted stay under it, the oldest chunks go, what is
 * kept unpacks whole. */
static void test_cap_long_texts(void **state)
{
        scenario *sc = load(all_text);
        const size_t n = 400, cap = 4 << 20;
        stream s = { .ev = calloc(n, sizeof(event)), .text = calloc(n, sizeof(char *)), .n = n };
        history *h = history_new(sc, 10, cap);
        history_stats st;
        uint64_t first;
        event e;

        (void)state;
        for (size_t k = 0; k < n; k++) {
                s.text[k] = malloc(EVENT_MAX_TEXT + 1);
                assert_non_null(s.text[k]);
                for (size_t j = 0; j < EVENT_MAX_TEXT; j++)
                        s.text[k][j] = (char)('0' + (j * 7 + k * 13) % 10); /* unlike the last */
                s.text[k][EVENT_MAX_TEXT] = '\0';
                s.ev[k] = (event){ .seq = k + 1,
                                   .kind = EV_SAY,
                                   .actor = -1,
                                   .res = -1,
                                   .other = -1,
                                   .stmt = -1,
                                   .text = s.text[k],
                                   .len = EVENT_MAX_TEXT };
                history_append(h, &s.ev[k]);
                assert_true(history_bytes(h) <= cap);
                /* asked for while it grows and drops: the newest, then the oldest kept */
                assert_true(history_event(h, k + 1, &e));
                same_event(&e, &s.ev[k]);
                assert_true(history_event(h, history_first_seq(h) + 1, &e));
                same_event(&e, &s.ev[history_first_seq(h)]);
        }
        first = history_first_seq(h);
        assert_true(first > 0);
        assert_int_equal(first % 10, 0);
        history_get_stats(h, &st);
        assert_true(st.chunks > 1);
        assert_false(history_event(h, first, &e));
        for (uint64_t k = first + 1; k <= n; k++) {
                assert_true(history_event(h, k, &e));
                same_event(&e, &s.ev[k - 1]);
        }
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

/* A pool's map of many results (texts of every length, some longer than a log's chunk) and
 * printed lines among them, enough for many chunks of each log: every moment rebuilt from its
 * snapshot shows the same results and lines as a fresh fold, forward, backward and anywhere. */
static stream results_stream(size_t nresults)
{
        stream s = { .ev = calloc(3 * nresults, sizeof(event)),
                     .text = calloc(3 * nresults, sizeof(char *)) };
        const int main_actor = 3, pool = 11;

        for (size_t i = 0; i < nresults; i++) {
                size_t len = i % 101 == 100 ? 5000 : 1 + (i * 7) % 40;
                char *t = malloc(len + 1);
                event task = { .kind = EV_TASK,
                               .actor = main_actor,
                               .res = pool,
                               .other = -1,
                               .stmt = -1,
                               .aux = (int32_t)(i % 2),
                               .num = (int64_t)i };
                event res = task;

                for (size_t c = 0; c < len; c++)
                        t[c] = (char)('0' + (i + c) % 10);
                t[len] = '\0';
                task.text = s.text[s.n] = strdup("arg");
                task.len = 3;
                task.seq = ++s.n;
                s.ev[s.n - 1] = task;
                res.kind = EV_RESULT;
                res.text = s.text[s.n] = t;
                res.len = (uint32_t)len;
                res.seq = ++s.n;
                s.ev[s.n - 1] = res;
                if (i % 3 == 0) {
                        event print = { .kind = EV_PRINT,
                                        .actor = (int16_t)(i % 4) - 1,
                                        .res = -1,
                                        .other = -1,
                                        .stmt = -1 };

                        print.text = s.text[s.n] = strdup(t);
                        print.len = (uint32_t)len;
                        print.seq = ++s.n;
                        s.ev[s.n - 1] = print;
                }
        }
        return s;
}

static void test_results_rewind(void **state)
{
        scenario *sc = load(all_text);
        stream s = results_stream(3000);
        history *h = history_new(sc, 100, 0);
        model *ref;

        (void)state;
        assert_int_equal(scenario_find_resource(sc, "pool"), 11);
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        assert_int_equal(model_result_count(history_live(h), 11), 3000);
        assert_int_equal(model_output_count(history_live(h)), 1000);
        ref = fold(sc, &s, s.n);
        model_equal_check(history_live(h), ref);
        model_free(ref);
        for (uint64_t k = 0; k <= s.n; k += 97) {
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        for (uint64_t k = s.n + 1, j = 0; k-- > 0; j++) {
                if (j % 89 != 0)
                        continue;
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        for (uint64_t k = 1, j = 0; j < 50; j++, k = (k * 7919 + 13) % (s.n + 1)) {
                ref = fold(sc, &s, k);
                model_equal_check(history_at(h, k), ref);
                model_free(ref);
        }
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

/* Past the cap the oldest results go too, whole chunks of them and parts of one: each kept
 * moment still sees its own results, counted with those dropped, with their indexes. */
static void test_results_cap(void **state)
{
        scenario *sc = load(all_text);
        stream s = results_stream(20000);
        const size_t cap = 1 << 20;
        history *h = history_new(sc, 100, cap);
        const model *live;
        uint64_t first;

        (void)state;
        for (size_t k = 0; k < s.n; k++)
                history_append(h, &s.ev[k]);
        live = history_live(h);
        assert_int_equal(model_result_count(live, 11) + model_result_dropped(live, 11), 20000);
        assert_true(model_result_dropped(live, 11) > 0);
        assert_true(model_output_dropped(live) > 0); /* the output goes first */
        assert_true(history_bytes(h) <= cap);
        first = history_first_seq(h);
        for (uint64_t k = first; k <= s.n; k += 101) {
                const model *m = history_at(h, k);
                size_t n = model_result_count(m, 11), dropped = model_result_dropped(m, 11);
                size_t made = 0;
                model_line line;

                for (uint64_t j = 0; j < k; j++)
                        made += s.ev[j].kind == EV_RESULT;
                assert_int_equal(n + dropped, made);
                for (size_t i = 0; i < n; i++) {
                        assert_non_null(model_result_at(m, 11, i, &line));
                        assert_int_equal(line.index, (int64_t)(dropped + i));
                }
        }
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

/* A clone taken from history_at lives on after the history moves. */
static void test_at_clone_survives(void **state)
{
        scenario *sc = load(all_text);
        stream s = make_stream(sc, 200, 99);
        history *h = history_new(sc, 16, 0);
        model *keep, *ref;

        (void)state;
        for (size_t k = 0; k < 100; k++)
                history_append(h, &s.ev[k]);
        keep = model_clone(history_at(h, 40));
        for (size_t k = 100; k < s.n; k++)
                history_append(h, &s.ev[k]);
        (void)history_at(h, 150);
        (void)history_at(h, 3);
        ref = fold(sc, &s, 40);
        model_equal_check(keep, ref);
        model_free(ref);
        model_free(keep);
        history_free(h);
        free_stream(&s);
        scenario_free(sc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_at_equals_fold),  cmocka_unit_test(test_fast_equals_generic),
                cmocka_unit_test(test_events_stored),   cmocka_unit_test(test_memory_cap),
                cmocka_unit_test(test_output_cap),      cmocka_unit_test(test_at_clone_survives),
                cmocka_unit_test(test_pack_round_trip), cmocka_unit_test(test_changing_texts),
                cmocka_unit_test(test_snapshot_budget), cmocka_unit_test(test_cap_long_texts),
                cmocka_unit_test(test_results_rewind),  cmocka_unit_test(test_results_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
