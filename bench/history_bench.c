/*
 * history_bench.c — what the recorded run costs on real runs: bytes per event, append and rewind.
 *
 * usage: history_bench TRACE...
 * Replays each trace (written by `lockstep run --trace`) into a history with the defaults that
 * `lockstep run` and the TUI use (a snapshot every HISTORY_SNAPSHOT_EVERY events, the default
 * cap), as the front end does, and prints per trace: the events, the bytes the history counts
 * and bytes per event — all of them, then the packed events, the snapshots and the rest (the
 * live model and its logs: printed lines, pool results) apart — the chunks kept, the time
 * history_append took, and the rate of history_at at random moments; then checks that
 * history_event gives every event back as it went in. Results go to
 * docs/performance.md ("Model").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/history.h"
#include "scenario/diag.h"
#include "trace/trace.h"
#include "util/strbuf.h"

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The events of a trace, kept in memory so that only history_append is timed. */
typedef struct recording {
        event *ev;
        char *texts;
        size_t n, cap, tlen, tcap;
} recording;

static int load(const char *path, trace_reader **rp, recording *rec)
{
        strbuf text = STRBUF_INIT;
        event ev;
        diag d;
        int rc;

        diag_init(&d, DIAG_DEFAULT_CAP);
        *rp = trace_reader_open(path, &d);
        if (*rp == NULL) {
                diag_print(&d, stderr);
                diag_free(&d);
                return -1;
        }
        while ((rc = trace_read(*rp, &ev, &text, &d)) != 0) {
                if (rc < 0)
                        continue;
                if (rec->n == rec->cap) {
                        rec->cap = rec->cap == 0 ? 1 << 16 : rec->cap * 2;
                        rec->ev = realloc(rec->ev, rec->cap * sizeof *rec->ev);
                }
                while (rec->tlen + ev.len + 1 > rec->tcap) {
                        rec->tcap = rec->tcap == 0 ? 1 << 20 : rec->tcap * 2;
                        rec->texts = realloc(rec->texts, rec->tcap);
                }
                if (rec->ev == NULL || rec->texts == NULL) {
                        fprintf(stderr, "history_bench: out of memory\n");
                        exit(1);
                }
                memcpy(rec->texts + rec->tlen, ev.text, ev.len);
                rec->texts[rec->tlen + ev.len] = '\0';
                ev.text = (const char *)(uintptr_t)rec->tlen; /* an offset until the end */
                rec->tlen += ev.len + 1;
                rec->ev[rec->n++] = ev;
        }
        strbuf_free(&text);
        rc = diag_count(&d) > 0 ? -1 : 0;
        diag_print(&d, stderr);
        diag_free(&d);
        for (size_t k = 0; k < rec->n; k++)
                rec->ev[k].text = rec->texts + (uintptr_t)rec->ev[k].text;
        return rc;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: history_bench TRACE...\n");
                return 2;
        }
        printf("| %-20s | %8s | %6s | %7s | %6s | %6s | %6s | %6s | %8s | %9s |\n", "trace",
               "events", "MiB", "B/event", "events", "snaps", "other", "chunks", "append s",
               "rewinds/s");
        printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------", "----------",
               "--------", "---------", "--------", "--------", "--------", "--------",
               "----------", "-----------");
        for (int i = 1; i < argc; i++) {
                recording rec = { 0 };
                trace_reader *r;
                const char *name =
                    strrchr(argv[i], '/') != NULL ? strrchr(argv[i], '/') + 1 : argv[i];
                history *h;
                history_stats st;
                double t0, t1, t2, per;
                uint64_t x = 88172645463325252ull, first, span;
                const size_t m = 2000;

                if (load(argv[i], &r, &rec) != 0)
                        return 1;
                h = history_new(trace_reader_scenario(r), 0, 0);
                t0 = now();
                for (size_t k = 0; k < rec.n; k++)
                        history_append(h, &rec.ev[k]);
                t1 = now();
                first = history_first_seq(h);
                span = history_len(h) - first;
                for (size_t k = 0; k < m; k++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        if (history_at(h, first + x % (span + 1)) == NULL) {
                                fprintf(stderr, "history_bench: history_at failed\n");
                                return 1;
                        }
                }
                t2 = now();
                /* every event comes back as it went in */
                for (size_t k = 0; k < rec.n; k++) {
                        const event *a = &rec.ev[k];
                        event b;
                        size_t len = strnlen(a->text, a->len);

                        if (!history_event(h, k + 1, &b) || b.seq != a->seq || b.t_ns != a->t_ns ||
                            b.kind != a->kind || b.flags != a->flags || b.actor != a->actor ||
                            b.res != a->res || b.other != a->other || b.stmt != a->stmt ||
                            b.aux != a->aux || b.num != a->num || b.len != len ||
                            memcmp(b.text, a->text, len) != 0 || b.text[len] != '\0') {
                                fprintf(stderr, "history_bench: %s: event %zu differs\n", name,
                                        k + 1);
                                return 1;
                        }
                }
                history_get_stats(h, &st);
                per = (double)(span > 0 ? span : 1);
                printf("| %-20s | %8zu | %6.1f | %7.1f | %6.1f | %6.1f | %6.1f | %6zu | %8.3f | "
                       "%9.0f |\n",
                       name, history_len(h), (double)history_bytes(h) / (1 << 20),
                       (double)history_bytes(h) / per, (double)st.events / per,
                       (double)st.snapshots / per, (double)st.other / per, st.chunks, t1 - t0,
                       (double)m / (t2 - t1));
                history_free(h);
                trace_reader_close(r);
                free(rec.ev);
                free(rec.texts);
        }
        return 0;
}
