/*
 * fold_trace.c — test helper: folds a trace into the model, as the front end folds a live run,
 * and prints how many events the model applied and how many it ignored as malformed. The
 * engine's own events must never be ignored: e2e tests assert "ignored 0" on the traces they
 * make.
 *
 * usage: fold_trace [--stuck] TRACE  (prints "events N ignored N"; exit 1 if the trace cannot be
 * read). With --stuck it also looks, after every event, at which actors the model says are stuck
 * for good (model_stuck_for_good) and counts the events such an actor makes afterwards — none
 * but its death with the runner may come: "... moved N" must say 0.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "trace/trace.h"

int main(int argc, char **argv)
{
        diag d;
        trace_reader *r;
        model *m;
        event ev;
        strbuf text = STRBUF_INIT;
        int rc, bad = 0;
        bool stuck = argc == 3 && strcmp(argv[1], "--stuck") == 0;
        bool never[SC_MAX_ACTORS + 1] = { false }, now[SC_MAX_ACTORS + 1];
        unsigned long long moved = 0;

        if (argc != 2 && !stuck) {
                fprintf(stderr, "usage: fold_trace [--stuck] TRACE\n");
                return 2;
        }
        diag_init(&d, 20);
        r = trace_reader_open(argv[argc - 1], &d);
        if (r == NULL) {
                diag_print(&d, stderr);
                diag_free(&d);
                return 1;
        }
        m = model_new(trace_reader_scenario(r));
        while ((rc = trace_read(r, &ev, &text, &d)) != 0) {
                if (rc != 1) {
                        bad = 1;
                        continue;
                }
                if (stuck && ev.actor >= 0 && ev.actor <= SC_MAX_ACTORS && never[ev.actor] &&
                    ev.kind != EV_CRASH)
                        moved++;
                model_apply(m, &ev);
                if (stuck && model_stuck_for_good(m, now) > 0)
                        for (int a = 0; a < model_nactors(m) && a <= SC_MAX_ACTORS; a++)
                                never[a] |= now[a];
        }
        diag_print(&d, stderr);
        printf("events %llu ignored %llu", (unsigned long long)model_info_of(m)->events,
               (unsigned long long)model_info_of(m)->ignored);
        if (stuck)
                printf(" moved %llu", moved);
        printf("\n");
        model_free(m);
        trace_reader_close(r);
        strbuf_free(&text);
        diag_free(&d);
        return bad;
}
