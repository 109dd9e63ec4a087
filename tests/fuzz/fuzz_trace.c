/*
 * fuzz_trace.c — libFuzzer harness for the trace reader (and the writer's escaping).
 *
 * Every input is read as a whole trace from memory (trace_reader_open_mem, then trace_read to
 * the end), and again as event lines after a valid header (so the fuzzer need not invent a
 * header whose source loads): the reader must report, never crash, hang or leak, and read each
 * line alike whether its fast way may take it or not (trace_reader_set_fast). The same bytes
 * are also written as the text of one event and read back, which must give exactly those bytes
 * (the escaping and base64 rules of docs/trace-format.md).
 *
 * Build (the lead wires it into meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Ibuild tests/fuzz/fuzz_trace.c \
 *     src/trace/trace.c src/event/event.c src/util/{strbuf,xalloc}.c \
 *     src/scenario/{value,expr,jsonpos,diag,scenario,bundle}.c -lcjson -lm
 * Seed it with real traces (`lockstep run FILE --trace OUT`) for the reader to get past the
 * header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char scenario_text[] =
    "{\"lockstep\": 1, \"title\": \"Fuzz\", \"summary\": \"One actor.\",\n"
    " \"resources\": {\"room\": {\"type\": \"lock\"}},\n"
    " \"actors\": [{\"name\": \"A\", \"run\": [{\"with\": \"room\", \"do\": [{\"print\": "
    "\"x\"}]}]}]}\n";

/* Whether A and B are the same event, their texts too. */
static int same_event(const event *a, const event *b)
{
        return a->seq == b->seq && a->t_ns == b->t_ns && a->kind == b->kind &&
               a->flags == b->flags && a->actor == b->actor && a->res == b->res &&
               a->other == b->other && a->stmt == b->stmt && a->aux == b->aux && a->num == b->num &&
               a->len == b->len && memcmp(a->text, b->text, a->len + 1) == 0;
}

/* Reads DATA to its end both ways (trace_reader_set_fast): every call of trace_read must give
 * the same return, event and count of problems either way. */
static void read_all(const char *data, size_t size)
{
        diag d[2];
        trace_reader *r[2];
        strbuf text[2] = { STRBUF_INIT, STRBUF_INIT };
        int guard = 0;

        for (int k = 0; k < 2; k++) {
                diag_init(&d[k], 20);
                r[k] = trace_reader_open_mem("fuzz.jsonl", data, size, &d[k]);
                if (r[k] != NULL)
                        trace_reader_set_fast(r[k], k == 0);
        }
        if ((r[0] == NULL) != (r[1] == NULL))
                abort();
        while (r[0] != NULL) {
                event ev[2];
                int rc[2];

                for (int k = 0; k < 2; k++)
                        rc[k] = trace_read(r[k], &ev[k], &text[k], &d[k]);
                if (rc[0] != rc[1] || diag_count(&d[0]) != diag_count(&d[1]) ||
                    (rc[0] == 1 && !same_event(&ev[0], &ev[1])))
                        abort(); /* the fast way read a line otherwise than the full way */
                if (rc[0] == 0)
                        break;
                if (++guard > 1000000)
                        abort(); /* more lines than bytes: the reader does not move on */
        }
        for (int k = 0; k < 2; k++) {
                trace_reader_close(r[k]);
                strbuf_free(&text[k]);
                diag_free(&d[k]);
        }
}

/* Writes DATA as an event's text and checks that it comes back exactly; then reads DATA as the
 * event lines of a trace with that header. */
static void round_trip(const char *data, size_t size)
{
        scenario_options opt = { .cpu_count = 2 };
        trace_info info = { .seed = 1, .mode = "step", .cpu_count = 2 };
        event ev = {
                .seq = 1, .t_ns = 5, .kind = EV_PRINT, .actor = 0, .res = -1, .other = -1, .stmt = 0
        };
        char *buf = NULL, err[256];
        size_t len = 0, head;
        scenario *sc;
        trace_writer *w;
        trace_reader *r;
        strbuf text = STRBUF_INIT;
        event got;
        diag d;
        FILE *f;

        diag_init(&d, 20);
        sc = scenario_load_text("fuzz.json", scenario_text, strlen(scenario_text), &opt, &d);
        if (sc == NULL)
                abort();
        ev.len = (uint32_t)(size < EVENT_MAX_TEXT ? size : EVENT_MAX_TEXT);
        ev.text = data;
        f = open_memstream(&buf, &len);
        w = trace_writer_open_stream(f, "mem", sc, scenario_text, strlen(scenario_text), &info, err,
                                     sizeof(err));
        if (w == NULL)
                abort();
        trace_write(w, &ev);
        if (trace_writer_close(w, err, sizeof(err)) != 0)
                abort();
        fclose(f);
        r = trace_reader_open_mem("mem", buf, len, &d);
        if (r == NULL || trace_read(r, &got, &text, &d) != 1 || got.len != ev.len ||
            memcmp(got.text, data, ev.len) != 0 || got.text[got.len] != '\0' ||
            trace_read(r, &got, &text, &d) != 0) {
                diag_print(&d, stderr);
                abort();
        }
        trace_reader_close(r);
        head = (size_t)((char *)memchr(buf, '\n', len) - buf) + 1;
        strbuf_reset(&text);
        strbuf_append(&text, buf, head);
        strbuf_append(&text, data, size);
        read_all(text.data, text.len);
        strbuf_free(&text);
        free(buf);
        scenario_free(sc);
        diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        read_all((const char *)data, size);
        round_trip((const char *)data, size);
        return 0;
}
