/*
 * stream_bench.c — how many events per second go through the event stream.
 *
 * usage: stream_bench [EVENTS] [SLOTS]
 * For 1, 2 and 4 producer threads, each writing its own ring, pushes EVENTS events (default
 * 4,000,000, shared among the producers) through a stream of SLOTS slots a ring (default 0: the
 * stream's share of STREAM_BUDGET) to one consumer (this thread), which copies each text out as
 * the front end does. Three ways to order the events:
 *   no key      STREAM_NO_KEY: only each ring's own order;
 *   shared key  one key for all, its version taken under a mutex all producers share (a counter
 *               incremented under a lock, as a scenario's shared variable is): the consumer
 *               merges the rings in the key's order, and checks it;
 *   own key     a key each, no lock.
 * Events have no text, or 20 bytes (a typical repr: two slots). Prints the best of three runs,
 * and how often each side had to wait or sleep. Results go to docs/performance.md, "Event
 * stream".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/stream.h"
#include "util/strbuf.h"

enum { MAX_PROD = 4 };

typedef enum order { NO_KEY, SHARED_KEY, OWN_KEY } order;

static const char *const order_name[] = { "no key", "shared key", "own key" };

typedef struct shared {
        pthread_mutex_t mu;
        int64_t counter; /* under mu: the shared key's events carry it in num */
} shared;

struct producer {
        pthread_t th;
        stream *s;
        shared *sh;
        int id;
        order ord;
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
        stream_attach(p->s, p->id);
        for (long i = 0; i < p->count; i++) {
                switch (p->ord) {
                case NO_KEY:
                        ev.num = i;
                        stream_publish(p->s, &ev, STREAM_NO_KEY);
                        break;
                case OWN_KEY:
                        ev.num = i;
                        stream_publish(p->s, &ev, p->id);
                        break;
                case SHARED_KEY:
                        /* as the engine locks: flush before waiting for the lock */
                        if (pthread_mutex_trylock(&p->sh->mu) != 0) {
                                stream_flush();
                                pthread_mutex_lock(&p->sh->mu);
                        }
                        ev.num = ++p->sh->counter;
                        stream_publish(p->s, &ev, 0);
                        pthread_mutex_unlock(&p->sh->mu);
                        break;
                }
        }
        stream_flush();
        return NULL;
}

/* One run: seconds for EVENTS events from NPROD producers; the stream's counters in ST. */
static double run(long events, size_t slots, int nprod, order ord, size_t text_len,
                  stream_stats *st)
{
        struct producer prod[MAX_PROD];
        stream *s = stream_create(nprod, ord == OWN_KEY ? nprod : 1, slots);
        shared sh = { .counter = 0 };
        int64_t next[MAX_PROD] = { 0 }, next_shared = 1;
        strbuf text = STRBUF_INIT;
        size_t copied = 0;
        event ev;
        double t0, t;

        if (s == NULL) {
                perror("stream_create");
                exit(1);
        }
        pthread_mutex_init(&sh.mu, NULL);
        t0 = now();
        for (int i = 0; i < nprod; i++) {
                prod[i].s = s;
                prod[i].sh = &sh;
                prod[i].id = i;
                prod[i].ord = ord;
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
                /* the order the stream promises: the shared key's, or each ring's */
                if (ord == SHARED_KEY ? ev.num != next_shared++ : ev.num != next[ev.actor]++) {
                        fprintf(stderr, "stream_bench: event out of order\n");
                        exit(1);
                }
        }
        t = now() - t0;
        for (int i = 0; i < nprod; i++)
                pthread_join(prod[i].th, NULL);
        if (copied != (size_t)events * text_len) {
                fprintf(stderr, "stream_bench: lost text\n");
                exit(1);
        }
        stream_get_stats(s, st);
        pthread_mutex_destroy(&sh.mu);
        strbuf_free(&text);
        stream_destroy(s);
        return t;
}

int main(int argc, char **argv)
{
        static const int nprods[] = { 1, 2, 4 };
        static const size_t lens[] = { 0, 20 };
        long events = argc > 1 ? atol(argv[1]) : 4000000;
        size_t slots = argc > 2 ? (size_t)atol(argv[2]) : 0;

        if (events <= 0) {
                fprintf(stderr, "usage: stream_bench [EVENTS] [SLOTS]\n");
                return 2;
        }
        printf("%ld events, %zu slots a ring (0: shared out), batches of %u, best of 3\n\n", events,
               slots, STREAM_BATCH);
        printf("| producers | order | text | events/s | ns/event | producer waits | sleeps | "
               "consumer waits | sleeps | flushes |\n");
        printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int o = NO_KEY; o <= OWN_KEY; o++) {
                for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                        for (size_t p = 0; p < sizeof nprods / sizeof nprods[0]; p++) {
                                stream_stats st, best_st = { 0 };
                                double best = 0;

                                for (int rep = 0; rep < 3; rep++) {
                                        double t =
                                            run(events, slots, nprods[p], (order)o, lens[l], &st);

                                        if (rep == 0 || t < best) {
                                                best = t;
                                                best_st = st;
                                        }
                                }
                                printf("| %d | %s | %zu B | %.1f M | %.0f | %llu | %llu | %llu | "
                                       "%llu | %llu |\n",
                                       nprods[p], order_name[o], lens[l],
                                       (double)events / best / 1e6, best * 1e9 / (double)events,
                                       (unsigned long long)best_st.producer_waits,
                                       (unsigned long long)best_st.producer_sleeps,
                                       (unsigned long long)best_st.consumer_waits,
                                       (unsigned long long)best_st.consumer_sleeps,
                                       (unsigned long long)best_st.flushes);
                                fflush(stdout);
                        }
                }
        }
        return 0;
}
