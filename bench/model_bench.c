/*
 * model_bench.c — how many events per second the model and the history absorb.
 *
 * usage: model_bench [EVENTS]
 * Builds EVENTS (default 4,000,000) events of a lock hand-off among 4 threads with var changes:
 * per round the holder steps into `with lock`, acquires, the next thread blocks on the lock, the
 * holder steps twice, the var changes, the holder releases — then times model_apply over them
 * all, history_append (default snapshots and cap, and snapshots every 100), and history_at at
 * random moments (a rewind). Prints a small table; results go to docs/performance.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/history.h"
#include "model/model.h"
#include "scenario/scenario.h"

static const char scenario_text[] =
    "{\"lockstep\": 1, \"title\": \"Bench\", \"summary\": \"Four threads, one lock.\",\n"
    " \"resources\": {\"lock\": {\"type\": \"lock\"}, \"counter\": {\"type\": \"var\", "
    "\"value\": 0}},\n"
    " \"actors\": [{\"name\": \"Worker-{i}\", \"group\": \"Worker\", \"count\": 4, \"run\": [\n"
    "   {\"repeat\": 1000000, \"do\": [\n"
    "     {\"with\": \"lock\", \"do\": [\n"
    "       {\"let\": \"tmp\", \"value\": \"counter\"},\n"
    "       {\"store\": \"counter\", \"value\": \"tmp + 1\"}]}]}]}]}\n";

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct workload {
        event *ev;
        char *texts;
        size_t n;
} workload;

/* N events: rounds of 7 (step, acquired, blocked, step, step, changed, released). */
static workload make_workload(size_t n)
{
        workload w = { .ev = calloc(n, sizeof(event)), .texts = calloc(n, 24), .n = n };
        const int with = 1, let = 2, store = 3; /* statement ids: repeat 0, with 1, ... */

        if (w.ev == NULL || w.texts == NULL) {
                fprintf(stderr, "model_bench: out of memory\n");
                exit(1);
        }
        for (size_t k = 0; k < n; k++) {
                size_t round = k / 7;
                int a = (int)(round % 4), next = (int)((round + 1) % 4);
                event *e = &w.ev[k];

                e->seq = k + 1;
                e->t_ns = k * 1000;
                e->actor = (int16_t)a;
                e->res = -1;
                e->other = -1;
                e->stmt = -1;
                e->text = "";
                switch (k % 7) {
                case 0:
                        e->kind = EV_STEP;
                        e->stmt = with;
                        break;
                case 1:
                        e->kind = EV_ACQUIRED;
                        e->res = 0;
                        e->stmt = with;
                        e->num = 1;
                        break;
                case 2:
                        e->kind = EV_BLOCKED;
                        e->actor = (int16_t)next;
                        e->res = 0;
                        e->stmt = with;
                        break;
                case 3:
                        e->kind = EV_STEP;
                        e->stmt = let;
                        break;
                case 4:
                        e->kind = EV_STEP;
                        e->stmt = store;
                        break;
                case 5:
                        e->kind = EV_CHANGED;
                        e->res = 1;
                        e->aux = -1;
                        e->stmt = store;
                        e->text = w.texts + k * 24;
                        e->len = (uint32_t)snprintf(w.texts + k * 24, 24, "%zu", round + 1);
                        break;
                default:
                        e->kind = EV_RELEASED;
                        e->res = 0;
                        e->stmt = with;
                        break;
                }
        }
        return w;
}

static void row(const char *what, size_t n, double secs, const char *unit)
{
        printf("| %-34s | %10zu | %8.3f | %12.0f %s |\n", what, n, secs, (double)n / secs, unit);
}

static void bench_history(const scenario *sc, const workload *w, size_t every, const char *what,
                          char *note, size_t len)
{
        history *h = history_new(sc, every, 0);
        double t0 = now(), t1;

        for (size_t k = 0; k < w->n; k++)
                history_append(h, &w->ev[k]);
        t1 = now();
        row(what, w->n, t1 - t0, "events/s");
        if (every == 0) {
                size_t m = 20000;
                uint64_t first = history_first_seq(h), span = history_len(h) - first;
                uint64_t x = 88172645463325252ull;
                history_stats st;

                t0 = now();
                for (size_t k = 0; k < m; k++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        if (history_at(h, first + x % (span + 1)) == NULL) {
                                fprintf(stderr, "model_bench: history_at failed\n");
                                exit(1);
                        }
                }
                t1 = now();
                row("history_at, random moment", m, t1 - t0, "rebuilds/s");
                t0 = now();
                for (uint64_t s = history_len(h), k = 0; k < m && s > first; k++, s--)
                        (void)history_at(h, s - 1);
                t1 = now();
                row("history_at, one back at a time", m, t1 - t0, "rebuilds/s");
                history_get_stats(h, &st);
                snprintf(note, len,
                         "history (defaults): %zu events kept from moment %llu in %zu chunks, "
                         "%.1f MiB counted (%.1f bytes/event: %.1f packed events, %.1f "
                         "snapshots)\n",
                         history_len(h) - (size_t)first, (unsigned long long)first, st.chunks,
                         (double)history_bytes(h) / (1 << 20),
                         (double)history_bytes(h) / (double)(history_len(h) - first),
                         (double)st.events / (double)(history_len(h) - first),
                         (double)st.snapshots / (double)(history_len(h) - first));
        }
        history_free(h);
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 4000000;
        scenario_options opt = { .cpu_count = 4 };
        scenario *sc;
        workload w;
        char note[400] = "";
        model *m;
        double t0, t1;
        diag d;

        diag_init(&d, 10);
        sc = scenario_load_text("bench.json", scenario_text, strlen(scenario_text), &opt, &d);
        if (sc == NULL) {
                diag_print(&d, stderr);
                return 1;
        }
        diag_free(&d);
        w = make_workload(n);

        printf("workload: lock hand-off among 4 threads with var changes, %zu events\n\n", n);
        printf("| %-34s | %10s | %8s | %21s |\n", "what", "count", "seconds", "rate");
        printf("|%s|%s|%s|%s|\n", "------------------------------------", "------------",
               "----------", "-----------------------");
        m = model_new(sc);
        t0 = now();
        for (size_t k = 0; k < w.n; k++)
                model_apply(m, &w.ev[k]);
        t1 = now();
        row("model_apply", w.n, t1 - t0, "events/s");
        if (model_info_of(m)->ignored != 0 ||
            model_info_of(m)->steps !=
                (uint64_t)(n / 7 * 3 + (n % 7 > 0) + (n % 7 > 3) + (n % 7 > 4))) {
                fprintf(stderr, "model_bench: the workload did not apply as intended\n");
                return 1;
        }
        model_free(m);
        bench_history(sc, &w, 0, "history_append, defaults", note, 300);
        bench_history(sc, &w, 100, "history_append, snapshot every 100", note + 300, 100);
        printf("\n%s", note);

        free(w.ev);
        free(w.texts);
        scenario_free(sc);
        return 0;
}
