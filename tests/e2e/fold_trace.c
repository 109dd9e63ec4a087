/*
 * fold_trace.c — test helper: folds a trace into the model, as the front end folds a live run,
 * and prints how many events the model applied and how many it ignored as malformed. The
 * engine's own events must never be ignored: e2e tests assert "ignored 0" on the traces they
 * make.
 *
 * usage: fold_trace TRACE  (prints "events N ignored N"; exit 1 if the trace cannot be read)
 */
#include <stdio.h>

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

        if (argc != 2) {
                fprintf(stderr, "usage: fold_trace TRACE\n");
                return 2;
        }
        diag_init(&d, 20);
        r = trace_reader_open(argv[1], &d);
        if (r == NULL) {
                diag_print(&d, stderr);
                diag_free(&d);
                return 1;
        }
        m = model_new(trace_reader_scenario(r));
        while ((rc = trace_read(r, &ev, &text, &d)) != 0)
                if (rc == 1)
                        model_apply(m, &ev);
                else
                        bad = 1;
        diag_print(&d, stderr);
        printf("events %llu ignored %llu\n", (unsigned long long)model_info_of(m)->events,
               (unsigned long long)model_info_of(m)->ignored);
        model_free(m);
        trace_reader_close(r);
        strbuf_free(&text);
        diag_free(&d);
        return bad;
}
