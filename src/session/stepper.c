/*
 * stepper.c — step mode's scheduler inside the runner; see stepper.h.
 */
#include "session/stepper.h"

#include <pthread.h>
#include <stdlib.h>

#include "model/model.h"
#include "session/steprule.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The rule reads no printed line and no pool result: the model's logs are kept this small. */
#define STEPPER_LOG_BYTES (64u << 10)
#define STEPPER_LOG_CHECK 4096u /* events between looks at them */

struct stepper {
        /* Taken by the actor whose step is done; two at once only while a started thread comes
         * to its first gate (its starter goes on meanwhile). */
        pthread_mutex_t mu;
        gates *g;
        stream_reader *rd;
        model *m;
        steprule rule;
        bool round_robin;
        const int *replay; /* the schedule's moves, granted first */
        size_t nreplay, next_entry;
        bool over; /* nothing more is granted: a limit, a run going down, nobody can move */
        uint64_t steps, max_steps;
        uint64_t folded; /* events */
        int *movable;
        strbuf text;
};

stepper *stepper_new(const scenario *sc, stream *st, gates *g, const int *replay, size_t nreplay,
                     uint64_t seed, bool round_robin, uint64_t max_steps)
{
        stepper *sp = xcalloc(1, sizeof(*sp));

        pthread_mutex_init(&sp->mu, NULL);
        sp->g = g;
        sp->rd = stream_reader_new(st);
        sp->m = model_new(sc);
        steprule_init(&sp->rule, sc, seed);
        sp->round_robin = round_robin;
        sp->replay = replay;
        sp->nreplay = nreplay;
        sp->max_steps = max_steps;
        sp->movable = xcalloc((size_t)sp->rule.nall, sizeof(int));
        return sp;
}

void stepper_free(stepper *sp)
{
        if (sp == NULL)
                return;
        stream_reader_free(sp->rd);
        model_free(sp->m);
        steprule_free(&sp->rule);
        free(sp->movable);
        strbuf_free(&sp->text);
        pthread_mutex_destroy(&sp->mu);
        free(sp);
}

/* Folds every event written since the last look, as the front end does (session.c's take). */
static void fold(stepper *sp)
{
        event ev;

        while (stream_reader_next(sp->rd, &ev, &sp->text) == 1) {
                model_apply(sp->m, &ev);
                if (++sp->folded % STEPPER_LOG_CHECK == 0 &&
                    model_log_bytes(sp->m) > STEPPER_LOG_BYTES)
                        model_trim_logs(sp->m, STEPPER_LOG_BYTES / 2);
                sp->steps += (uint64_t)event_begins_step(&ev);
                steprule_take(&sp->rule, sp->m, &ev);
                if ((ev.flags & EVENT_ENDS_RUNNER) || sp->steps > sp->max_steps)
                        sp->over = true;
        }
}

void stepper_back(void *ctx, int me)
{
        stepper *sp = ctx;
        bool say = false;
        int n, pick = -1;

        pthread_mutex_lock(&sp->mu);
        fold(sp);
        /* The next grant once the step granted is done and everything it wrote is folded (a
         * thread it started has come to its gate: actor_start waits for that). */
        if (sp->over || steprule_on_a_step(&sp->rule) || !stream_reader_done(sp->rd)) {
                pthread_mutex_unlock(&sp->mu);
                return;
        }
        sp->rule.inflight = -1;
        n = steprule_movable(&sp->rule, sp->m, sp->movable);
        if (n == 0) {
                /* every actor finished, or a deadlock: the front end finds which in its model */
                if (steprule_anyone_waits(&sp->rule)) {
                        gate_say_stuck(sp->g, GATE_NOBODY);
                        say = true;
                }
                sp->over = true;
        } else if (sp->next_entry < sp->nreplay) {
                /* the schedule's next move, which a replay may give any waiter that can go */
                pick = sp->replay[sp->next_entry++];
                if (!steprule_can_replay(&sp->rule, sp->m, pick)) {
                        gate_say_stuck(sp->g, GATE_NOBODY + (uint32_t)sp->next_entry);
                        say = true;
                        sp->over = true;
                        pick = -1;
                } else {
                        steprule_granted(&sp->rule, pick);
                }
        } else {
                pick = steprule_pick(&sp->rule, sp->movable, n, sp->round_robin);
                steprule_granted(&sp->rule, pick);
        }
        pthread_mutex_unlock(&sp->mu);
        /* After the unlock: the actor woken may take its step at once, on this CPU, and be
         * back here before this thread has gone on. */
        if (pick == me)
                gate_pass(sp->g, me);
        else if (pick >= 0)
                gate_grant(sp->g, pick);
        if (say)
                stream_flush_now();
}
