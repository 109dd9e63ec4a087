/*
 * stream_bench.c — how many events per second go through the event stream.
 *
 * usage: stream_bench [EVENTS] [SLOTS]
 * For 1, 2 and 4 producer threads and events with no text and with 20 bytes of text, pushes
 * EVENTS events (default 4,000,000, shared among the producers) through a stream of SLOTS slots
 * (default STREAM_DEFAULT_SLOTS) to one consumer (this thread), which copies each text out as the
 * front end does. Prints the best of three runs and how often each side had to wait or sleep.
 * Results go to docs/performance.md, "Event stream".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/stream.h"
#include "util/strbuf.h"

struct producer {
        pthread_t th;
        stream *s;
        int id;
        long count;
        size_t text_len;
};

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *produce(void *arg)
{
        const struct producer *p = arg;
        static const char text[] = "counter = 1234567890"; /* 20 bytes, a typical repr */
        event ev;

        memset(&ev, 0, sizeof ev);
        ev.kind = EV_CHANGED;
        ev.actor = (int16_t)p->id;
        ev.res = 1;
        ev.other = -1;
        ev.stmt = 2;
        ev.aux = -1;
        ev.text = p->text_len ? text : "";
        ev.len = (uint32_t)p->text_len;
        for (long i = 0; i < p->count; i++) {
                ev.num = i;
                stream_publish(p->s, &ev);
        }
        return NULL;
}

/* One run: seconds for EVENTS events from NPROD producers; the stream's counters in ST. */
static double run(long events, size_t slots, int nprod, size_t text_len, stream_stats *st)
{
        struct producer prod[4];
        stream *s = stream_create(slots);
        strbuf text = STRBUF_INIT;
        size_t copied = 0;
        event ev;
        double t0, t;

        if (s == NULL) {
                perror("stream_create");
                exit(1);
        }
        t0 = now();
        for (int i = 0; i < nprod; i++) {
                prod[i].s = s;
                prod[i].id = i;
                prod[i].count = events / nprod + (i < events % nprod);
                prod[i].text_len = text_len;
                if (pthread_create(&prod[i].th, NULL, produce, &prod[i]) != 0) {
                        perror("pthread_create");
                        exit(1);
                }
        }
        for (long k = 0; k < events; k++) {
                if (stream_next(s, &ev, &text, -1) != 1) {
                        fprintf(stderr, "stream_bench: stream ended early\n");
                        exit(1);
                }
                copied += ev.len;
        }
        t = now() - t0;
        for (int i = 0; i < nprod; i++)
                pthread_join(prod[i].th, NULL);
        if (copied != (size_t)events * text_len) {
                fprintf(stderr, "stream_bench: lost text\n");
                exit(1);
        }
        stream_get_stats(s, st);
        strbuf_free(&text);
        stream_destroy(s);
        return t;
}

int main(int argc, char **argv)
{
        static const int nprods[] = { 1, 2, 4 };
        static const size_t lens[] = { 0, 20 };
        long events = argc > 1 ? atol(argv[1]) : 4000000;
        size_t slots = argc > 2 ? (size_t)atol(argv[2]) : STREAM_DEFAULT_SLOTS;

        if (events <= 0) {
                fprintf(stderr, "usage: stream_bench [EVENTS] [SLOTS]\n");
                return 2;
        }
        printf("%ld events, %zu slots, best of 3\n\n", events, slots);
        printf("| producers | text | events/s | ns/event | producer waits | sleeps | consumer "
               "waits | sleeps |\n");
        printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                for (size_t p = 0; p < sizeof nprods / sizeof nprods[0]; p++) {
                        stream_stats st, best_st = { 0 };
                        double best = 0;

                        for (int rep = 0; rep < 3; rep++) {
                                double t = run(events, slots, nprods[p], lens[l], &st);

                                if (rep == 0 || t < best) {
                                        best = t;
                                        best_st = st;
                                }
                        }
                        printf("| %d | %zu B | %.1f M | %.0f | %llu | %llu | %llu | %llu |\n",
                               nprods[p], lens[l], (double)events / best / 1e6,
                               best * 1e9 / (double)events,
                               (unsigned long long)best_st.producer_waits,
                               (unsigned long long)best_st.producer_sleeps,
                               (unsigned long long)best_st.consumer_waits,
                               (unsigned long long)best_st.consumer_sleeps);
                }
        }
        return 0;
}
