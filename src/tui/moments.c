/*
 * moments.c — the moments the screen stops at, and the Timeline's last steps (see moments.h).
 */
#include "tui/moments.h"

bool moments_stop(history *h, uint64_t j)
{
        event next, ev;

        if (j <= history_first_seq(h))
                return true;
        if (history_event(h, j + 1, &next)) {
                if (next.kind == EV_SAY)
                        return true;
                if (next.flags & EVENT_BEGINS_STEP) {
                        int actor = next.actor;

                        /* the step began at its own SAY, before this moment */
                        return !(history_event(h, j, &ev) && ev.kind == EV_SAY &&
                                 ev.actor == actor);
                }
        }
        return history_event(h, j, &ev) && (ev.kind == EV_TASK || ev.kind == EV_RESULT);
}

uint64_t moments_earliest(history *h)
{
        uint64_t j = history_first_seq(h), len = history_len(h);
        event next;

        if (j > 0)
                return j;
        while (j < len && history_event(h, j + 1, &next) && !(next.flags & EVENT_BEGINS_STEP) &&
               next.kind != EV_SAY)
                j++;
        return j;
}

uint64_t moments_before(history *h, uint64_t j)
{
        uint64_t first = moments_earliest(h);

        if (j <= first)
                return first;
        do
                j--;
        while (j > first && !moments_stop(h, j));
        return j;
}

uint64_t moments_after(history *h, uint64_t j)
{
        uint64_t len = history_len(h);

        if (j >= len)
                return len;
        do
                j++;
        while (j < len && !moments_stop(h, j));
        return j;
}

/* Taken from the history, not from the keys pressed, so that Space picks the same actor at the
 * same moment however it was reached: by hand, by rewinding, by a replayed schedule or by a run
 * that was paused. */
int moments_last_mover(history *h)
{
        for (uint64_t k = history_len(h); k > history_first_seq(h); k--) {
                event ev;

                if (history_event(h, k, &ev) && event_begins_step(&ev))
                        return ev.actor;
        }
        return -1;
}

void moments_lanes_at(history *h, uint64_t shown, uint64_t total, int cols, moments_lanes *l)
{
        uint64_t starts[MOMENTS_MAX_LANES];
        int n = 0;

        if (cols > MOMENTS_MAX_LANES)
                cols = MOMENTS_MAX_LANES;
        l->ncols = 0;
        /* the events that begin the last COLS steps, newest first */
        for (uint64_t k = shown; k > history_first_seq(h) && n < cols; k--) {
                event ev;

                if (history_event(h, k, &ev) && event_begins_step(&ev))
                        starts[n++] = k;
        }
        l->first = total - (uint64_t)n + 1;
        for (int c = 0; c < n; c++) {
                uint64_t start = starts[n - 1 - c];
                uint64_t end = c + 1 < n ? starts[n - 2 - c] - 1 : shown;
                event ev;
                int mover = history_event(h, start, &ev) ? ev.actor : -1;
                const model *m = history_at(h, end);

                if (m == NULL)
                        break;
                l->mover[c] = (short)mover;
                l->end[c] = end;
                /* as the Actors pane shows the moment: a waiter whose wait is over is ready */
                for (int a = 0; a < model_nactors(m) && a <= SC_MAX_ACTORS; a++)
                        l->state[c][a] = (unsigned char)model_state_shown(m, a);
                l->ncols = c + 1;
        }
}
