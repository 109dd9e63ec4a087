/*
 * test_stream.c — the event stream: order, texts, wraparound, many producers (threads and
 * processes), a full ring, close, timeouts, a producer killed mid-publish.
 *
 * No test depends on timing luck: where one side must be blocked, the test waits until the
 * stream's counters say it is, and checks what cannot happen without the other side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/stream.h"
#include "util/strbuf.h"

#define NEXT_TIMEOUT 30000 /* ms: only a broken stream would ever wait this long */

static uint64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

/* The text of event KEY with LEN bytes: printable, different for every key and position. */
static void fill(char *buf, size_t len, uint64_t key)
{
        for (size_t j = 0; j < len; j++)
                buf[j] = (char)('!' + (key * 31 + j * 7 + j / 61) % 94);
        buf[len] = '\0';
}

static int text_ok(const event *ev, size_t len, uint64_t key)
{
        if (ev->len != len || strlen(ev->text) != len)
                return 0;
        for (size_t j = 0; j < len; j++)
                if (ev->text[j] != (char)('!' + (key * 31 + j * 7 + j / 61) % 94))
                        return 0;
        return 1;
}

static event make_event(int actor, int64_t num, const char *text, size_t len)
{
        event ev = { 0 };

        ev.kind = EV_PRINT;
        ev.actor = (int16_t)actor;
        ev.res = -1;
        ev.other = -1;
        ev.stmt = -1;
        ev.aux = 0;
        ev.num = num;
        ev.text = text;
        ev.len = (uint32_t)len;
        return ev;
}

/* Waits (without timing luck: until it happens, or a generous cap) for a producer to block. */
static void wait_for_producer_wait(stream *s)
{
        stream_stats st;
        uint64_t start = mono_ms();

        for (;;) {
                stream_get_stats(s, &st);
                if (st.producer_waits > 0)
                        return;
                assert_true(mono_ms() - start < 60000);
                sleep_ms(1);
        }
}

static void test_single_thread_texts(void **state)
{
        static const size_t lens[] = { 0,
                                       1,
                                       5,
                                       23,
                                       24,
                                       25,
                                       55,
                                       56,
                                       57,
                                       63,
                                       64,
                                       65,
                                       79,
                                       80,
                                       81,
                                       127,
                                       128,
                                       135,
                                       136,
                                       137,
                                       191,
                                       192,
                                       1000,
                                       5000,
                                       EVENT_MAX_TEXT - 1,
                                       EVENT_MAX_TEXT };
        const size_t n = sizeof lens / sizeof lens[0];
        stream *s = stream_create(65536);
        char *buf = malloc(EVENT_MAX_TEXT + 2000);
        strbuf text = STRBUF_INIT;
        event ev;
        uint64_t last_t = 0;

        (void)state;
        assert_non_null(s);
        assert_non_null(buf);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);

        /* Every field round-trips, extremes included. */
        ev = make_event(EVENT_RUNNER, INT64_MIN, NULL, 7);
        ev.kind = EV_CRASH;
        ev.flags = EVENT_BEGINS_STEP;
        ev.res = INT16_MAX;
        ev.other = INT16_MIN;
        ev.stmt = INT32_MIN;
        ev.aux = INT32_MAX;
        ev.seq = 999;
        ev.t_ns = 12345;
        stream_publish(s, &ev);
        for (size_t i = 0; i < n; i++) {
                fill(buf, lens[i], i);
                ev = make_event((int)i, (int64_t)i, buf, lens[i]);
                stream_publish(s, &ev);
        }
        /* Over EVENT_MAX_TEXT: cut, ending in "... (cut)". */
        fill(buf, EVENT_MAX_TEXT + 1000, 77);
        ev = make_event(1, -1, buf, EVENT_MAX_TEXT + 1000);
        stream_publish(s, &ev);
        /* ... never inside a UTF-8 character ("é" is 2 bytes; EVENT_MAX_TEXT - 9 is odd). */
        for (size_t j = 0; j < EVENT_MAX_TEXT + 10; j += 2)
                memcpy(buf + j, "\xc3\xa9", 2);
        ev = make_event(2, -2, buf, EVENT_MAX_TEXT + 10);
        stream_publish(s, &ev);

        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_int_equal(ev.seq, 1);
        assert_int_equal(ev.kind, EV_CRASH);
        assert_int_equal(ev.flags, EVENT_BEGINS_STEP);
        assert_int_equal(ev.actor, EVENT_RUNNER);
        assert_int_equal(ev.res, INT16_MAX);
        assert_int_equal(ev.other, INT16_MIN);
        assert_int_equal(ev.stmt, INT32_MIN);
        assert_int_equal(ev.aux, INT32_MAX);
        assert_true(ev.num == INT64_MIN);
        assert_int_equal(ev.len, 0); /* no text pointer: no text, whatever len said */
        assert_string_equal(ev.text, "");
        last_t = ev.t_ns;
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                assert_int_equal(ev.seq, i + 2);
                assert_int_equal(ev.actor, (int)i);
                assert_int_equal(ev.num, (int64_t)i);
                assert_int_equal(ev.kind, EV_PRINT);
                assert_int_equal(ev.flags, 0);
                assert_true(text_ok(&ev, lens[i], i));
                assert_true(ev.t_ns >= last_t);
                last_t = ev.t_ns;
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_int_equal(ev.len, EVENT_MAX_TEXT);
        fill(buf, EVENT_MAX_TEXT + 1000, 77);
        assert_memory_equal(ev.text, buf, EVENT_MAX_TEXT - 9);
        assert_string_equal(ev.text + EVENT_MAX_TEXT - 9, "... (cut)");
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_int_equal(ev.len, EVENT_MAX_TEXT - 1);
        assert_int_equal(ev.num, -2);
        assert_int_equal((unsigned char)ev.text[EVENT_MAX_TEXT - 11], 0xa9);
        assert_string_equal(ev.text + EVENT_MAX_TEXT - 10, "... (cut)");
        assert_int_equal(ev.seq, n + 3);

        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);

        strbuf_free(&text);
        free(buf);
        stream_destroy(s);
}

static void test_create_errors(void **state)
{
        (void)state;
        assert_null(stream_create(1000));
        assert_null(stream_create(512));
        assert_null(stream_create(0));
        assert_null(stream_create((size_t)STREAM_MAX_SLOTS * 2));
}

/* 100k events through a 1024-slot ring from one thread, in batches that fit. */
static void test_wraparound(void **state)
{
        enum { N = 100000, BATCH = 10 };
        stream *s = stream_create(1024);
        char buf[4096];
        strbuf text = STRBUF_INIT;
        event ev;

        (void)state;
        assert_non_null(s);
        for (int b = 0; b < N; b += BATCH) {
                for (int i = b; i < b + BATCH; i++) { /* at most 54 + 9 * 3 slots */
                        size_t len = i % 10 == 0 ? (size_t)(i * 13) % 3000 : (size_t)(i * 37) % 100;

                        fill(buf, len, (uint64_t)i);
                        ev = make_event(0, i, buf, len);
                        stream_publish(s, &ev);
                }
                for (int i = b; i < b + BATCH; i++) {
                        size_t len = i % 10 == 0 ? (size_t)(i * 13) % 3000 : (size_t)(i * 37) % 100;

                        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                        assert_int_equal(ev.seq, (uint64_t)i + 1);
                        assert_int_equal(ev.num, i);
                        assert_true(text_ok(&ev, len, (uint64_t)i));
                }
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- many producers ---- */

enum { NPROD = 4, PER_PRODUCER = 50000 };

/* Producer P's event I: mostly short, some multi-slot, one bigger than a 1024-slot ring. */
static size_t prod_len(int p, int i)
{
        if (p == 0 && i == PER_PRODUCER / 2)
                return EVENT_MAX_TEXT;
        if (i % 17 == 0)
                return 100 + (size_t)(i % 200);
        return i % 3 ? 0 : 20;
}

static uint64_t prod_key(int p, int i)
{
        return (uint64_t)p * 1000003u + (uint64_t)i;
}

struct prod_arg {
        stream *s;
        int p;
        atomic_int done;
};

static void produce(stream *s, int p)
{
        char *buf = malloc(EVENT_MAX_TEXT + 1);
        event ev;

        if (buf == NULL)
                abort();
        for (int i = 0; i < PER_PRODUCER; i++) {
                size_t len = prod_len(p, i);

                fill(buf, len, prod_key(p, i));
                ev = make_event(p, i, buf, len);
                stream_publish(s, &ev);
        }
        free(buf);
}

static void *producer_thread(void *arg)
{
        struct prod_arg *a = arg;

        produce(a->s, a->p);
        atomic_store(&a->done, 1);
        return NULL;
}

/* Reads NPROD * PER_PRODUCER events: none lost, none twice, each producer's in its order. */
static void consume_all(stream *s)
{
        int next[NPROD] = { 0 };
        strbuf text = STRBUF_INIT;
        event ev;
        uint64_t last_t = 0;

        for (uint64_t k = 1; k <= (uint64_t)NPROD * PER_PRODUCER; k++) {
                assert_int_equal(stream_next(s, &ev, &text, NEXT_TIMEOUT), 1);
                assert_int_equal(ev.seq, k);
                assert_true(ev.t_ns >= last_t);
                last_t = ev.t_ns;
                assert_in_range(ev.actor, 0, NPROD - 1);
                assert_int_equal(ev.num, next[ev.actor]);
                assert_true(
                    text_ok(&ev, prod_len(ev.actor, (int)ev.num), prod_key(ev.actor, (int)ev.num)));
                next[ev.actor]++;
        }
        for (int p = 0; p < NPROD; p++)
                assert_int_equal(next[p], PER_PRODUCER);
        strbuf_free(&text);
}

static void test_producer_threads(void **state)
{
        stream *s = stream_create(1024);
        struct prod_arg args[NPROD];
        pthread_t th[NPROD];
        strbuf text = STRBUF_INIT;
        event ev;
        stream_stats st;

        (void)state;
        assert_non_null(s);
        for (int p = 0; p < NPROD; p++) {
                args[p].s = s;
                args[p].p = p;
                atomic_init(&args[p].done, 0);
                assert_int_equal(pthread_create(&th[p], NULL, producer_thread, &args[p]), 0);
        }
        consume_all(s);
        for (int p = 0; p < NPROD; p++)
                pthread_join(th[p], NULL);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        stream_get_stats(s, &st);
        assert_int_equal(st.events, (uint64_t)NPROD * PER_PRODUCER);
        assert_int_equal(st.broken, 0);
        strbuf_free(&text);
        stream_destroy(s);
}

static void test_producer_processes(void **state)
{
        stream *s = stream_create(1024);
        pid_t pid[NPROD];
        strbuf text = STRBUF_INIT;
        event ev;

        (void)state;
        assert_non_null(s);
        for (int p = 0; p < NPROD; p++) {
                pid[p] = fork();
                assert_true(pid[p] >= 0);
                if (pid[p] == 0) {
                        /* Should the test fail, do not outlive it blocked on the ring. */
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        produce(s, p);
                        _exit(0);
                }
        }
        consume_all(s);
        for (int p = 0; p < NPROD; p++) {
                int status;

                assert_int_equal(waitpid(pid[p], &status, 0), pid[p]);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        /* Every child has exited: the close makes the end visible. */
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, NEXT_TIMEOUT), -1);
        strbuf_free(&text);
        stream_destroy(s);
}

/* The consumer starts late: the producer must block on the full ring, and lose nothing. */
static void test_full_ring_blocks(void **state)
{
        stream *s = stream_create(1024);
        struct prod_arg a;
        pthread_t th;
        strbuf text = STRBUF_INIT;
        event ev;
        stream_stats st;

        (void)state;
        assert_non_null(s);
        a.s = s;
        a.p = 0;
        atomic_init(&a.done, 0);
        assert_int_equal(pthread_create(&th, NULL, producer_thread, &a), 0);
        wait_for_producer_wait(s);
        /* It cannot finish without us: 50000 events do not fit in 1024 slots. */
        assert_int_equal(atomic_load(&a.done), 0);
        for (int i = 0; i < PER_PRODUCER; i++) {
                assert_int_equal(stream_next(s, &ev, &text, NEXT_TIMEOUT), 1);
                assert_int_equal(ev.num, i);
                assert_true(text_ok(&ev, prod_len(0, i), prod_key(0, i)));
        }
        pthread_join(th, NULL);
        assert_int_equal(atomic_load(&a.done), 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_true(st.producer_waits > 0);
        strbuf_free(&text);
        stream_destroy(s);
}

static void *closer_thread(void *arg)
{
        stream_close(arg);
        return NULL;
}

static void test_close_and_timeout(void **state)
{
        stream *s = stream_create(1024);
        strbuf text = STRBUF_INIT;
        event ev;
        uint64_t t0, dt;
        pthread_t th;

        (void)state;
        assert_non_null(s);
        /* Empty: polling returns at once, a timeout returns 0 after (not before) it. */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        t0 = mono_ms();
        assert_int_equal(stream_next(s, &ev, &text, 50), 0);
        dt = mono_ms() - t0;
        assert_true(dt >= 49); /* ms clock granularity */
        assert_true(dt < 10000);

        ev = make_event(0, 1, "one", 3);
        stream_publish(s, &ev);
        ev = make_event(0, 2, "two", 3);
        stream_publish(s, &ev);
        stream_close(s);
        /* What was published before the close is still read, then the end. */
        assert_int_equal(stream_next(s, &ev, &text, -1), 1);
        assert_string_equal(ev.text, "one");
        assert_int_equal(stream_next(s, &ev, &text, -1), 1);
        assert_string_equal(ev.text, "two");
        assert_int_equal(ev.seq, 2);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        stream_destroy(s);

        /* A close from another thread ends a wait without a timeout (before or during it). */
        s = stream_create(1024);
        assert_non_null(s);
        assert_int_equal(pthread_create(&th, NULL, closer_thread, s), 0);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        pthread_join(th, NULL);
        strbuf_free(&text);
        stream_destroy(s);
}

/*
 * A producer process killed in the middle of an event: the child publishes 10 events, then one
 * with EVENT_MAX_TEXT bytes of text (1171 slots) into a 1024-slot ring, so it blocks half-way
 * through; then it is SIGKILLed. The consumer gets the 10 events, then times out (repeatedly)
 * instead of hanging; after the close it skips the half event and still gets what followed.
 */
static void test_killed_producer(void **state)
{
        stream *s = stream_create(1024);
        strbuf text = STRBUF_INIT;
        event ev;
        stream_stats st;
        pid_t pid;
        int status;

        (void)state;
        assert_non_null(s);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static char big[EVENT_MAX_TEXT + 1];

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (int i = 0; i < 10; i++) {
                        ev = make_event(1, i, "x", 1);
                        stream_publish(s, &ev);
                }
                fill(big, EVENT_MAX_TEXT, 5);
                ev = make_event(1, 10, big, EVENT_MAX_TEXT);
                stream_publish(s, &ev); /* blocks: the ring is full, no one reads */
                _exit(3);
        }
        wait_for_producer_wait(s);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);

        for (int i = 0; i < 10; i++) {
                assert_int_equal(stream_next(s, &ev, &text, 20), 1);
                assert_int_equal(ev.num, i);
        }
        assert_int_equal(stream_next(s, &ev, &text, 20), 0); /* half an event: wait, time out */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_int_equal(stream_next(s, &ev, &text, 20), 0);

        /* Later events are not lost to the dead one: they come after it is skipped. */
        ev = make_event(2, 99, "after", 5);
        stream_publish(s, &ev);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, 20), 1);
        assert_int_equal(ev.num, 99);
        assert_int_equal(ev.seq, 11);
        assert_string_equal(ev.text, "after");
        assert_int_equal(stream_next(s, &ev, &text, 20), -1);
        stream_get_stats(s, &st);
        assert_int_equal(st.broken, 1);
        assert_int_equal(st.events, 11);
        strbuf_free(&text);
        stream_destroy(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_single_thread_texts), cmocka_unit_test(test_create_errors),
                cmocka_unit_test(test_wraparound),          cmocka_unit_test(test_producer_threads),
                cmocka_unit_test(test_producer_processes),  cmocka_unit_test(test_full_ring_blocks),
                cmocka_unit_test(test_close_and_timeout),   cmocka_unit_test(test_killed_producer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
