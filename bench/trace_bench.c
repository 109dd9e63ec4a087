/*
 * trace_bench.c — how many events per second the trace writer (and reader) sustain.
 *
 * usage: trace_bench [EVENTS] [FILE]
 * Writes EVENTS (default 5,000,000) events of a typical mix — steps, acquired/released with a
 * resource and a statement, changed and print with a short text, now and then a text that needs
 * escaping — to FILE (default a temporary file, removed afterwards), then reads the first
 * 1,000,000 back. Prints events/s and bytes/s for both. Results go to docs/performance.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace/trace.h"

static const char scenario_text[] =
    "{\"lockstep\": 1, \"title\": \"Bench\", \"summary\": \"Four threads, one lock.\",\n"
    " \"resources\": {\"lock\": {\"type\": \"lock\"}, \"counter\": {\"type\": \"var\", "
    "\"value\": 0}},\n"
    " \"actors\": [{\"name\": \"MyCustomThread-{i}\", \"group\": \"T\", \"count\": 4, \"run\": [\n"
    "   {\"repeat\": 1000, \"do\": [\n"
    "     {\"with\": \"lock\", \"do\": [\n"
    "       {\"store\": \"counter\", \"value\": \"counter + 1\"},\n"
    "       {\"print\": \"Thread {name} ({i}) has entered the critical section.\"}]}]}]}]}\n";

#define POOL 4096

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Event number K of a plausible run. */
static void make_event(uint64_t k, event *ev, char *buf, size_t size)
{
        static const char *const texts[] = { "Thread MyCustomThread-2 (2) has entered the "
                                             "critical section.",
                                             "'tab\there' \"quoted\" caf\xc3\xa9" };
        int actor = (int)(k % 4);

        memset(ev, 0, sizeof(*ev));
        ev->seq = k + 1;
        ev->t_ns = k * 1733;
        ev->actor = (int16_t)actor;
        ev->res = -1;
        ev->other = -1;
        ev->stmt = -1;
        ev->text = "";
        switch (k % 6) {
        case 0:
                ev->kind = EV_STEP;
                ev->stmt = 1;
                break;
        case 1:
                ev->kind = EV_ACQUIRED;
                ev->res = 0;
                ev->stmt = 1;
                break;
        case 2:
                ev->kind = EV_CHANGED;
                ev->res = 1;
                ev->aux = -1;
                ev->len = (uint32_t)snprintf(buf, size, "%llu", (unsigned long long)k);
                ev->text = buf;
                ev->stmt = 2;
                break;
        case 3:
                ev->kind = EV_PRINT;
                ev->text = texts[k % 60 == 3];
                ev->len = (uint32_t)strlen(ev->text);
                ev->stmt = 3;
                break;
        case 4:
                ev->kind = EV_RELEASED;
                ev->res = 0;
                ev->stmt = 1;
                break;
        default:
                ev->kind = EV_BLOCKED;
                ev->res = 0;
                ev->other = (int16_t)((actor + 1) % 4);
                ev->stmt = 1;
                break;
        }
}

int main(int argc, char **argv)
{
        uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
        static event pool[POOL];
        static char texts[POOL][24];
        char tmpl[] = "/tmp/trace_bench_XXXXXX", err[256];
        const char *path = argc > 2 ? argv[2] : tmpl;
        scenario_options opt = { .cpu_count = 4 };
        trace_info info = { .seed = 1, .mode = "live", .cpu_count = 4 };
        strbuf text = STRBUF_INIT;
        trace_writer *w;
        trace_reader *r;
        scenario *sc;
        event ev;
        diag d;
        double t0, t1;
        long bytes;
        uint64_t nread = 0;
        FILE *f;

        if (argc <= 2) {
                int fd = mkstemp(tmpl);

                if (fd < 0) {
                        perror("mkstemp");
                        return 1;
                }
                close(fd);
        }
        diag_init(&d, 10);
        sc = scenario_load_text("bench.json", scenario_text, strlen(scenario_text), &opt, &d);
        if (sc == NULL) {
                diag_print(&d, stderr);
                return 1;
        }
        w = trace_writer_open(path, sc, scenario_text, strlen(scenario_text), &info, err,
                              sizeof(err));
        if (w == NULL) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        /* The events are made beforehand, so that only the writer is timed. */
        for (int k = 0; k < POOL; k++)
                make_event((uint64_t)k, &pool[k], texts[k], sizeof(texts[k]));
        t0 = now();
        for (uint64_t k = 0; k < n; k++) {
                ev = pool[k % POOL];
                ev.seq = k + 1;
                ev.t_ns = k * 1733;
                trace_write(w, &ev);
        }
        if (trace_writer_close(w, err, sizeof(err)) != 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        t1 = now();
        f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        bytes = ftell(f);
        fclose(f);
        printf("trace writer: %llu events in %.3f s: %.2f M events/s", (unsigned long long)n,
               t1 - t0, (double)n / (t1 - t0) / 1e6);
        if (bytes > 0)
                printf(", %.0f MB/s (%.1f bytes/event)", (double)bytes / (t1 - t0) / 1e6,
                       (double)bytes / (double)n);
        printf("\n");

        if (bytes <= 0) /* /dev/null: nothing to read back */
                return 0;
        /* read back twice: as replay reads (the fast way where a line allows it), and the full
         * way only, which every line could take */
        for (int fast = 1; fast >= 0; fast--) {
                r = trace_reader_open(path, &d);
                if (r == NULL) {
                        diag_print(&d, stderr);
                        return 1;
                }
                trace_reader_set_fast(r, fast);
                nread = 0;
                t0 = now();
                while (nread < 1000000 && trace_read(r, &ev, &text, &d) == 1)
                        nread++;
                t1 = now();
                if (diag_count(&d) > 0) {
                        diag_print(&d, stderr);
                        return 1;
                }
                printf("trace reader (%s): %llu events in %.3f s: %.2f M events/s",
                       fast ? "as replay reads" : "the full way only", (unsigned long long)nread,
                       t1 - t0, (double)nread / (t1 - t0) / 1e6);
                if (fast)
                        printf(", %llu of them the fast way",
                               (unsigned long long)trace_reader_fast_read(r));
                printf("\n");
                trace_reader_close(r);
        }
        strbuf_free(&text);
        scenario_free(sc);
        diag_free(&d);
        if (argc <= 2)
                remove(path);
        return 0;
}
