/*
 * test_stream.c — the event stream: texts, sizes, wraparound, the merge of rings by order key,
 * publish_after, END last, many producers (threads and processes) taking one key under a lock,
 * a full ring, batches made visible on request (want_flush, stream_arm and the wake descriptor),
 * close, timeouts, a producer process that dies holding a version, and an event written straight
 * into its slot (stream_begin, stream_end).
 *
 * No test depends on timing luck: where one side must be blocked, the test waits until the
 * stream's counters say it is; where events must be written but not yet visible, the producers
 * are held at known points (a phase: a mutex and a condition variable) and the test checks what
 * cannot be visible without a flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/stream.h"
#include "util/strbuf.h"
#include "util/utf8.h"

#define NEXT_TIMEOUT 20000 /* ms: only a broken stream would ever wait this long */
#define CUT_LEN      (sizeof(EVENT_CUT_MARK) - 1)

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

/* Slots an event with LEN bytes of text takes (stream.h): 16 bytes in the first, 64 in others. */
static uint64_t slots_of(size_t len)
{
        return len <= 16 ? 1 : 1 + (len - 16 + 63) / 64;
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
        if (ev->len != len || ev->text[len] != '\0')
                return 0;
        for (size_t j = 0; j < len; j++)
                if (ev->text[j] != (char)('!' + (key * 31 + j * 7 + j / 61) % 94))
                        return 0;
        return 1;
}

static event make_event(int kind, int actor, int64_t num, const char *text, size_t len)
{
        event ev = { 0 };

        ev.kind = (uint8_t)kind;
        ev.actor = (int16_t)actor;
        ev.res = -1;
        ev.other = -1;
        ev.stmt = -1;
        ev.num = num;
        ev.text = text;
        ev.len = (uint32_t)len;
        return ev;
}

/* Publishes a print of TEXT (num NUM, actor ACTOR) with order KEY. */
static void say(stream *s, int actor, int64_t num, const char *text, int key)
{
        event ev = make_event(EV_PRINT, actor, num, text, strlen(text));

        stream_publish(s, &ev, key);
}

static void next_ok(stream *s, event *ev, strbuf *text)
{
        assert_int_equal(stream_next(s, ev, text, NEXT_TIMEOUT), 1);
}

/* ---- producer threads held at known points ---- */

typedef struct phase {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int n;
} phase;

static phase *phase_new(void)
{
        phase *ph = calloc(1, sizeof *ph);

        assert_non_null(ph);
        pthread_mutex_init(&ph->mu, NULL);
        pthread_cond_init(&ph->cv, NULL);
        return ph;
}

static void phase_free(phase *ph)
{
        pthread_mutex_destroy(&ph->mu);
        pthread_cond_destroy(&ph->cv);
        free(ph);
}

static void phase_wait(phase *ph, int n)
{
        pthread_mutex_lock(&ph->mu);
        while (ph->n < n)
                pthread_cond_wait(&ph->cv, &ph->mu);
        pthread_mutex_unlock(&ph->mu);
}

static void phase_set(phase *ph, int n)
{
        pthread_mutex_lock(&ph->mu);
        ph->n = n;
        pthread_cond_broadcast(&ph->cv);
        pthread_mutex_unlock(&ph->mu);
}

/* A thread that runs FN as the producer of ring RING. */
typedef struct producer {
        pthread_t th;
        stream *s;
        int ring;
        void (*fn)(struct producer *);
        void *ctx;
        atomic_int done;
} producer;

static void *producer_main(void *arg)
{
        producer *p = arg;

        stream_attach(p->s, p->ring);
        p->fn(p);
        atomic_store(&p->done, 1);
        return NULL;
}

/* The producer and what it is given live on the heap: should a test fail half-way, its threads
 * may go on with them. */
static producer *producer_start(stream *s, int ring, void (*fn)(producer *), void *ctx)
{
        producer *p = calloc(1, sizeof *p);

        assert_non_null(p);
        p->s = s;
        p->ring = ring;
        p->fn = fn;
        p->ctx = ctx;
        atomic_init(&p->done, 0);
        assert_int_equal(pthread_create(&p->th, NULL, producer_main, p), 0);
        return p;
}

static void producer_join(producer *p)
{
        assert_int_equal(pthread_join(p->th, NULL), 0);
        assert_int_equal(atomic_load(&p->done), 1);
        free(p);
}

/* Waits until some producer of S found its ring full, or DONE says the producer finished (then
 * it never had to wait). Returns producer_waits. */
static uint64_t wait_producer_waits(stream *s, atomic_int *done)
{
        stream_stats st;

        for (;;) {
                stream_get_stats(s, &st);
                if (st.producer_waits > 0 || atomic_load(done))
                        return st.producer_waits;
                sleep_ms(1);
        }
}

/* ---- texts and fields ---- */

static const size_t text_lens[] = { 0,
                                    1,
                                    2, /* the short copy's edges: 1-3, 4-7, 8-16 bytes */
                                    3,
                                    4,
                                    5,
                                    7,
                                    8,
                                    9,
                                    15,
                                    16,
                                    17,
                                    63,
                                    64,
                                    79,
                                    80,
                                    81,
                                    144,
                                    145,
                                    146,
                                    1000,
                                    4096,
                                    EVENT_MAX_TEXT - 1,
                                    EVENT_MAX_TEXT };
#define NLENS (sizeof text_lens / sizeof text_lens[0])

/* UTF-8 characters of 2, 3 and 4 bytes, repeated past EVENT_MAX_TEXT: each cut differs. */
static const char *const wide_chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
#define NWIDE 3

static void texts_fn(producer *p)
{
        size_t big = EVENT_MAX_TEXT + 1000;
        char *buf = malloc(big + 1);
        event ev;

        if (buf == NULL)
                abort();
        /* Every field round-trips, extremes included; seq and t_ns are the stream's. */
        ev = make_event(EV_CRASH, EVENT_RUNNER, INT64_MIN, NULL, 7);
        ev.flags = EVENT_BEGINS_STEP | EVENT_GOES_ON;
        ev.res = INT16_MAX;
        ev.other = INT16_MIN;
        ev.stmt = INT32_MIN;
        ev.aux = INT32_MAX;
        ev.seq = 999;
        ev.t_ns = UINT64_MAX;
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        ev = make_event(EV_ACQUIRED, INT16_MAX, INT64_MAX, "", 0);
        ev.res = INT16_MIN;
        ev.other = INT16_MAX;
        ev.stmt = INT32_MAX;
        ev.aux = INT32_MIN;
        stream_publish(p->s, &ev, 0);
        for (size_t i = 0; i < NLENS; i++) {
                fill(buf, text_lens[i], i);
                ev = make_event(EV_PRINT, (int)i, (int64_t)i, buf, text_lens[i]);
                stream_publish(p->s, &ev, i % 2 ? 0 : STREAM_NO_KEY);
        }
        /* a NUL inside the text is text too */
        ev = make_event(EV_PRINT, 0, -1, "a\0b", 3);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        /* over EVENT_MAX_TEXT: one byte, and a lot */
        fill(buf, EVENT_MAX_TEXT + 1, 77);
        ev = make_event(EV_PRINT, 0, -2, buf, EVENT_MAX_TEXT + 1);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        fill(buf, big, 78);
        ev = make_event(EV_PRINT, 0, -3, buf, big);
        stream_publish(p->s, &ev, 0);
        /* cut never inside a UTF-8 character */
        for (int w = 0; w < NWIDE; w++) {
                size_t cl = strlen(wide_chars[w]), n = 0;

                while (n + cl <= big) {
                        memcpy(buf + n, wide_chars[w], cl);
                        n += cl;
                }
                ev = make_event(EV_PRINT, 0, -4 - w, buf, n);
                stream_publish(p->s, &ev, STREAM_NO_KEY);
        }
        /* nothing but continuation bytes: nowhere to cut but at 0 */
        memset(buf, 0x80, big);
        ev = make_event(EV_PRINT, 0, -7, buf, big);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        free(buf);
}

static void test_texts(void **state)
{
        stream *s = stream_create(1, 1, 1u << 14);
        char *buf = malloc(EVENT_MAX_TEXT + 1001);
        strbuf text = STRBUF_INIT;
        producer *p;
        event ev;
        uint64_t last_t;
        stream_stats st;

        (void)state;
        assert_non_null(s);
        assert_non_null(buf);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        p = producer_start(s, 0, texts_fn, NULL);

        next_ok(s, &ev, &text);
        assert_int_equal(ev.seq, 1);
        assert_int_equal(ev.kind, EV_CRASH);
        assert_int_equal(ev.flags, EVENT_BEGINS_STEP | EVENT_GOES_ON);
        assert_int_equal(ev.actor, EVENT_RUNNER);
        assert_int_equal(ev.res, INT16_MAX);
        assert_int_equal(ev.other, INT16_MIN);
        assert_int_equal(ev.stmt, INT32_MIN);
        assert_int_equal(ev.aux, INT32_MAX);
        assert_true(ev.num == INT64_MIN);
        assert_int_equal(ev.len, 0); /* no text pointer: no text, whatever len said */
        assert_string_equal(ev.text, "");
        assert_true(ev.t_ns != UINT64_MAX);
        last_t = ev.t_ns;
        next_ok(s, &ev, &text);
        assert_int_equal(ev.seq, 2);
        assert_int_equal(ev.kind, EV_ACQUIRED);
        assert_int_equal(ev.flags, 0);
        assert_int_equal(ev.actor, INT16_MAX);
        assert_int_equal(ev.res, INT16_MIN);
        assert_int_equal(ev.other, INT16_MAX);
        assert_int_equal(ev.stmt, INT32_MAX);
        assert_int_equal(ev.aux, INT32_MIN);
        assert_true(ev.num == INT64_MAX);
        assert_string_equal(ev.text, "");
        assert_true(ev.t_ns >= last_t);
        for (size_t i = 0; i < NLENS; i++) {
                next_ok(s, &ev, &text);
                assert_int_equal(ev.seq, i + 3);
                assert_int_equal(ev.actor, (int)i);
                assert_int_equal(ev.num, (int64_t)i);
                assert_int_equal(ev.kind, EV_PRINT);
                assert_true(text_ok(&ev, text_lens[i], i));
                assert_true(ev.t_ns >= last_t);
                last_t = ev.t_ns;
        }
        next_ok(s, &ev, &text);
        assert_int_equal(ev.num, -1);
        assert_int_equal(ev.len, 3);
        assert_memory_equal(ev.text, "a\0b", 4);

        /* EVENT_MAX_TEXT + 1 ASCII bytes: the first EVENT_MAX_TEXT - 9, then the mark */
        next_ok(s, &ev, &text);
        assert_int_equal(ev.num, -2);
        assert_int_equal(ev.len, EVENT_MAX_TEXT);
        fill(buf, EVENT_MAX_TEXT + 1, 77);
        assert_memory_equal(ev.text, buf, EVENT_MAX_TEXT - CUT_LEN);
        assert_string_equal(ev.text + EVENT_MAX_TEXT - CUT_LEN, EVENT_CUT_MARK);
        next_ok(s, &ev, &text);
        assert_int_equal(ev.num, -3);
        assert_int_equal(ev.len, EVENT_MAX_TEXT);
        fill(buf, EVENT_MAX_TEXT + 1000, 78);
        assert_memory_equal(ev.text, buf, EVENT_MAX_TEXT - CUT_LEN);
        assert_string_equal(ev.text + EVENT_MAX_TEXT - CUT_LEN, EVENT_CUT_MARK);
        for (int w = 0; w < NWIDE; w++) {
                size_t cl = strlen(wide_chars[w]);
                /* the whole characters that fit before the mark */
                size_t keep = (EVENT_MAX_TEXT - CUT_LEN) / cl * cl;

                next_ok(s, &ev, &text);
                assert_int_equal(ev.num, -4 - w);
                assert_int_equal(ev.len, keep + CUT_LEN);
                assert_true(utf8_valid(ev.text, ev.len, NULL));
                for (size_t j = 0; j < keep; j += cl)
                        assert_memory_equal(ev.text + j, wide_chars[w], cl);
                assert_string_equal(ev.text + keep, EVENT_CUT_MARK);
        }
        next_ok(s, &ev, &text);
        assert_int_equal(ev.num, -7);
        assert_int_equal(ev.len, CUT_LEN);
        assert_string_equal(ev.text, EVENT_CUT_MARK);
        assert_int_equal(ev.seq, NLENS + 9);

        producer_join(p);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.events, NLENS + 9);
        assert_int_equal(st.producer_waits, 0);
        assert_int_equal(st.broken, 0);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        strbuf_free(&text);
        free(buf);
        stream_destroy(s);
}

/* ---- sizes ---- */

static void create_fails(int rings, int keys, size_t slots)
{
        errno = 0;
        assert_null(stream_create(rings, keys, slots));
        assert_int_equal(errno, EINVAL);
}

static void test_create_errors(void **state)
{
        stream *s;

        (void)state;
        create_fails(0, 1, STREAM_MIN_SLOTS);
        create_fails(-1, 1, STREAM_MIN_SLOTS);
        create_fails(STREAM_MAX_RINGS + 1, 1, STREAM_MIN_SLOTS);
        create_fails(STREAM_MAX_RINGS + 1, 1, 0);
        create_fails(1, -1, STREAM_MIN_SLOTS);
        create_fails(1, 0, STREAM_MIN_SLOTS / 2); /* too small for the largest event */
        create_fails(1, 0, STREAM_MIN_SLOTS - 1);
        create_fails(1, 0, STREAM_MIN_SLOTS + 1);
        create_fails(1, 0, 3 * STREAM_MIN_SLOTS); /* not a power of two */
        create_fails(1, 0, (size_t)STREAM_MAX_SLOTS * 2);
        create_fails(1, 0, 1);
        /* the bounds themselves are fine */
        s = stream_create(1, 0, STREAM_MIN_SLOTS);
        assert_non_null(s);
        stream_destroy(s);
        s = stream_create(1, 0, STREAM_MAX_SLOTS);
        assert_non_null(s);
        stream_destroy(s);
        s = stream_create(STREAM_MAX_RINGS, 0, STREAM_MIN_SLOTS);
        assert_non_null(s);
        stream_destroy(s);
        stream_destroy(NULL);
}

typedef struct cap_ctx {
        uint64_t n;
        uint64_t waits_before; /* producer_waits after N events, before the one that waits */
} cap_ctx;

/* N one-slot events, then one more: it finds the ring full when N is what it holds. */
static void cap_fn(producer *p)
{
        cap_ctx *c = p->ctx;
        event ev = make_event(EV_STEP, p->ring, 0, NULL, 0);
        stream_stats st;

        for (uint64_t i = 0; i < c->n; i++) {
                ev.num = (int64_t)i;
                stream_publish(p->s, &ev, STREAM_NO_KEY);
        }
        stream_get_stats(p->s, &st);
        c->waits_before = st.producer_waits;
        ev.num = (int64_t)c->n;
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
}

/* Ring RING of S holds exactly CAP one-slot events. */
static void check_capacity(stream *s, int ring, uint64_t cap)
{
        cap_ctx *c = calloc(1, sizeof *c);
        strbuf text = STRBUF_INIT;
        producer *p;
        event ev;
        stream_stats st;

        assert_non_null(c);
        c->n = cap;
        p = producer_start(s, ring, cap_fn, c);
        assert_int_equal(wait_producer_waits(s, &p->done), 1);
        assert_int_equal(atomic_load(&p->done), 0);
        assert_int_equal(stream_written(s, ring), cap);
        stream_get_stats(s, &st);
        assert_int_equal(st.events, 0);
        for (uint64_t i = 0; i <= cap; i++) {
                next_ok(s, &ev, &text);
                assert_int_equal(ev.actor, ring);
                assert_int_equal(ev.num, (int64_t)i);
        }
        producer_join(p);
        assert_int_equal(c->waits_before, 0);
        free(c);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
}

/* SLOTS 0: STREAM_BUDGET bytes shared out, a power of two, within STREAM_MIN_SLOTS..AUTO_MAX. */
static void test_auto_size(void **state)
{
        static const int rings[] = { 3, 100, STREAM_MAX_RINGS };

        (void)state;
        for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
                size_t share = STREAM_BUDGET / 64 / (size_t)rings[i], want = 1;
                stream *s = stream_create(rings[i], 1, 0);

                while (want * 2 <= share)
                        want *= 2;
                want = want < STREAM_MIN_SLOTS  ? STREAM_MIN_SLOTS
                       : want > STREAM_AUTO_MAX ? STREAM_AUTO_MAX
                                                : want;
                assert_non_null(s);
                /* the last ring: every ring has its share */
                check_capacity(s, rings[i] - 1, want);
                stream_destroy(s);
        }
        {
                /* and a size given is the size */
                stream *s = stream_create(2, 0, 4096);

                assert_non_null(s);
                check_capacity(s, 1, 4096);
                stream_destroy(s);
        }
}

/* ---- wraparound ---- */

enum { WRAP_N = 100000 };

static size_t wrap_len(int i)
{
        return i % 97 == 0 ? 2000 + (size_t)i % 1000 : (size_t)(i * 37) % 150;
}

static void wrap_fn(producer *p)
{
        char buf[3001];

        for (int i = 0; i < WRAP_N; i++) {
                event ev;

                fill(buf, wrap_len(i), (uint64_t)i);
                ev = make_event(EV_PRINT, 0, i, buf, wrap_len(i));
                stream_publish(p->s, &ev, i % 3 == 0 ? 0 : STREAM_NO_KEY);
        }
        stream_flush();
}

/* 100k events, many of several slots, through a 2048-slot ring while it is read. */
static void test_wraparound(void **state)
{
        stream *s = stream_create(1, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        uint64_t pos = 0, straddle = 0, last_t = 0;
        producer *p;
        event ev;
        stream_stats st;

        (void)state;
        assert_non_null(s);
        for (int i = 0; i < WRAP_N; i++) {
                uint64_t n = slots_of(wrap_len(i));

                straddle += pos % STREAM_MIN_SLOTS + n > STREAM_MIN_SLOTS;
                pos += n;
        }
        /* what the test is about: the ring turns over many times, events across its end */
        assert_true(pos / STREAM_MIN_SLOTS >= 100);
        assert_true(straddle >= 50);
        p = producer_start(s, 0, wrap_fn, NULL);
        for (int i = 0; i < WRAP_N; i++) {
                next_ok(s, &ev, &text);
                assert_int_equal(ev.seq, (uint64_t)i + 1);
                assert_int_equal(ev.num, i);
                assert_true(text_ok(&ev, wrap_len(i), (uint64_t)i));
                assert_true(ev.t_ns >= last_t);
                last_t = ev.t_ns;
        }
        producer_join(p);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.events, WRAP_N);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- the merge by key ---- */

typedef struct merge_ctx {
        phase *ph;
        uint64_t mark1, mark2; /* publish_after: ring 0's marks */
} merge_ctx;

/*
 * Ring 0 (A) and ring 1 (B) take key 0's versions in the order A0, B1, A2, B3 (the phase makes
 * the order), with events of no key around them; B makes its events visible first.
 */
static void merge_a(producer *p)
{
        merge_ctx *c = p->ctx;

        say(p->s, 0, 0, "a-first", STREAM_NO_KEY);
        say(p->s, 0, 1, "A0", 0);
        say(p->s, 0, 2, "a1", STREAM_NO_KEY);
        phase_set(c->ph, 1);
        phase_wait(c->ph, 2);
        say(p->s, 0, 3, "A2", 0);
        say(p->s, 0, 4, "a2", STREAM_NO_KEY);
        phase_set(c->ph, 3);
        phase_wait(c->ph, 6);
        stream_flush();
        phase_set(c->ph, 7);
}

static void merge_b(producer *p)
{
        merge_ctx *c = p->ctx;

        say(p->s, 1, 0, "b-first", STREAM_NO_KEY);
        phase_wait(c->ph, 1);
        say(p->s, 1, 1, "B1", 0);
        say(p->s, 1, 2, "b1", STREAM_NO_KEY);
        phase_set(c->ph, 2);
        phase_wait(c->ph, 3);
        say(p->s, 1, 3, "B3", 0);
        say(p->s, 1, 4, "b3", STREAM_NO_KEY);
        stream_flush();
        phase_set(c->ph, 5);
}

static void test_merge_by_key(void **state)
{
        static const char *const want_key[] = { "A0", "B1", "A2", "B3" };
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        merge_ctx *c = calloc(1, sizeof *c);
        strbuf text = STRBUF_INIT;
        producer *a, *b;
        event ev;
        int next[2] = { 0, 1 }, nkey = 0;

        (void)state;
        assert_non_null(s);
        assert_non_null(c);
        c->ph = phase_new();
        a = producer_start(s, 0, merge_a, c);
        b = producer_start(s, 1, merge_b, c);
        phase_wait(c->ph, 5);
        /* only B's events are visible: "b-first" can go, B1 waits for A0 */
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "b-first");
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        phase_set(c->ph, 6);
        phase_wait(c->ph, 7);
        for (int k = 0; k < 9; k++) {
                next_ok(s, &ev, &text);
                assert_int_equal(ev.seq, (uint64_t)k + 2);
                assert_in_range(ev.actor, 0, 1);
                /* each ring's own order */
                assert_int_equal(ev.num, next[ev.actor]);
                next[ev.actor]++;
                /* key 0 in version order */
                if (ev.text[0] == 'A' || ev.text[0] == 'B')
                        assert_string_equal(ev.text, want_key[nkey++]);
        }
        assert_int_equal(next[0], 5);
        assert_int_equal(next[1], 5);
        assert_int_equal(nkey, 4);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        producer_join(a);
        producer_join(b);
        phase_free(c->ph);
        free(c);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- publish_after ---- */

static void after_a(producer *p)
{
        merge_ctx *c = p->ctx;
        char buf[201];
        event ev;

        phase_wait(c->ph, 1);
        say(p->s, 0, 0, "e0", STREAM_NO_KEY);
        stream_flush();
        fill(buf, 200, 1); /* 4 slots: a mark counts what was written, whatever its size */
        ev = make_event(EV_PRINT, 0, 1, buf, 200);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        c->mark1 = stream_written(p->s, 0);
        say(p->s, 0, 2, "e2", STREAM_NO_KEY);
        c->mark2 = stream_written(p->s, 0);
        say(p->s, 0, 3, "e3", STREAM_NO_KEY);
        say(p->s, 0, 4, "e4", STREAM_NO_KEY);
        phase_set(c->ph, 2);
        phase_wait(c->ph, 4);
        stream_flush();
        phase_set(c->ph, 5);
}

/* B's batch starts (its time stamp) before A's: only the marks put its events after A's. */
static void after_b(producer *p)
{
        merge_ctx *c = p->ctx;
        event ev;

        say(p->s, 1, 0, "b0", STREAM_NO_KEY);
        ev = make_event(EV_PRINT, 1, 1, "after nothing", 13);
        stream_publish_after(p->s, &ev, 0, 0);
        phase_set(c->ph, 1);
        phase_wait(c->ph, 2);
        ev = make_event(EV_PRINT, 1, 2, "after e1", 8);
        stream_publish_after(p->s, &ev, 0, c->mark1);
        ev = make_event(EV_PRINT, 1, 3, "after e2", 8);
        stream_publish_after(p->s, &ev, 0, c->mark2);
        stream_flush();
        phase_set(c->ph, 3);
}

static void test_publish_after(void **state)
{
        stream *s = stream_create(2, 0, STREAM_MIN_SLOTS);
        merge_ctx *c = calloc(1, sizeof *c);
        strbuf text = STRBUF_INIT;
        producer *a, *b;
        event ev;
        int next[2] = { 0, 0 }, seen_e1 = 0, seen_e2 = 0;

        (void)state;
        assert_non_null(s);
        assert_non_null(c);
        c->ph = phase_new();
        a = producer_start(s, 0, after_a, c);
        b = producer_start(s, 1, after_b, c);
        phase_wait(c->ph, 3);
        assert_true(c->mark1 > 0);
        assert_true(c->mark2 > c->mark1);
        for (int k = 0; k < 9; k++) {
                if (k == 3) {
                        /* b0, "after nothing" and e0 are read; the rest of A's events are not
                         * visible, and what comes after them waits */
                        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
                        phase_set(c->ph, 4);
                        phase_wait(c->ph, 5);
                }
                next_ok(s, &ev, &text);
                assert_int_equal(ev.seq, (uint64_t)k + 1);
                assert_in_range(ev.actor, 0, 1);
                assert_int_equal(ev.num, next[ev.actor]);
                next[ev.actor]++;
                if (ev.actor == 0) {
                        seen_e1 |= ev.num == 1;
                        seen_e2 |= ev.num == 2;
                } else if (ev.num == 2) {
                        assert_true(seen_e1);
                } else if (ev.num == 3) {
                        assert_true(seen_e2);
                }
        }
        assert_int_equal(next[0], 5);
        assert_int_equal(next[1], 4);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        producer_join(a);
        producer_join(b);
        phase_free(c->ph);
        free(c);
        strbuf_free(&text);
        stream_destroy(s);
}

/* stream_order_after: an order and nothing else — the consumer never gives it out, and what the
 * ring publishes after it waits for the other ring's mark (one thread plays both producers, in
 * turn, and the consumer: every event fits, nothing waits for room). */
static void test_order_after(void **state)
{
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        event ev = { .kind = EV_PRINT, .res = -1, .other = -1, .stmt = -1 };

        (void)state;
        assert_non_null(s);
        stream_attach(s, 0);
        ev.actor = 0;
        ev.text = "a0";
        ev.len = 2;
        stream_publish(s, &ev, STREAM_NO_KEY); /* written, not visible */
        stream_attach(s, 1);
        stream_order_after(s, 0, stream_written(s, 0));
        ev.actor = 1;
        ev.text = "b0";
        stream_publish(s, &ev, STREAM_NO_KEY);
        stream_flush();
        /* b0 waits for a0, which is not visible yet; the order itself is never given out */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_attach(s, 0);
        stream_flush();
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_string_equal(ev.text, "a0");
        assert_int_equal(ev.seq, 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_string_equal(ev.text, "b0");
        assert_int_equal(ev.seq, 2);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/*
 * The search looks only at rings below the highest that has had a producer: rings written one
 * after another by one thread, key 0's versions handed from ring to ring out of the rings'
 * order, so each head waits for one in another ring; one written only by stream_publish_for,
 * which no producer attached to; a ring above all those first written after the consumer found
 * nothing (the bound raised after searches that stopped below it).
 */
static void test_sparse_rings(void **state)
{
        static const int ring_of[] = { 120, 3, 64, 127, 70 };
        stream *s = stream_create(150, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        event ev;
        char want[16];
        int nkey = 0, nfor = 0;

        (void)state;
        assert_non_null(s);
        /* nothing anywhere yet: a search of no ring */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        for (int k = 0; k < 5; k++) {
                snprintf(want, sizeof want, "k%d", k);
                stream_attach(s, ring_of[k]);
                say(s, ring_of[k], k, want, 0);
                stream_flush();
        }
        ev = make_event(EV_PRINT, 100, 0, "for", 3);
        stream_publish_for(s, 100, &ev, STREAM_NO_KEY);
        for (int i = 0; i < 6; i++) {
                next_ok(s, &ev, &text);
                assert_int_equal(ev.seq, (uint64_t)i + 1);
                if (ev.actor == 100) {
                        assert_string_equal(ev.text, "for");
                        nfor++;
                        continue;
                }
                /* key 0 in version order, whichever ring holds it */
                snprintf(want, sizeof want, "k%d", nkey);
                assert_string_equal(ev.text, want);
                assert_int_equal(ev.actor, ring_of[nkey]);
                nkey++;
        }
        assert_int_equal(nkey, 5);
        assert_int_equal(nfor, 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        /* a ring first written now, after searches that did not look at it */
        stream_attach(s, 149);
        say(s, 149, 0, "late", 0);
        stream_flush();
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "late");
        assert_int_equal(ev.actor, 149);
        assert_int_equal(ev.seq, 7);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/*
 * Texts around the first slot's size, taken the short way (stream_next's, a fixed-size copy) and
 * the long one, in turns: each arrives whole and NUL-terminated, with nothing of the one before
 * (a shorter text after a longer one), into a buffer that starts with no room; an order between
 * two rings (a mark) is taken the long way and never given out.
 */
static void test_short_texts(void **state)
{
        static const size_t lens[] = { 0, 16, 3, 17, 1, 15, 0, 80, 16, 2, 64 + 16, 5, 0 };
        const int nlens = (int)(sizeof lens / sizeof lens[0]);
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        char buf[128];
        event ev;

        (void)state;
        assert_non_null(s);
        stream_attach(s, 0);
        for (int round = 0; round < 3; round++) {
                for (int k = 0; k < nlens; k++) {
                        fill(buf, lens[k], (uint64_t)(round * nlens + k));
                        ev = make_event(EV_PRINT, 0, round * nlens + k, buf, lens[k]);
                        stream_publish(s, &ev, k % 2 == 0 ? 0 : STREAM_NO_KEY);
                }
                if (round == 1) {
                        /* ring 1's event goes after all of ring 0's so far */
                        stream_attach(s, 1);
                        stream_order_after(s, 0, stream_written(s, 0));
                        fill(buf, 4, 1000);
                        ev = make_event(EV_PRINT, 1, 1000, buf, 4);
                        stream_publish(s, &ev, STREAM_NO_KEY);
                        stream_flush();
                        stream_attach(s, 0);
                }
        }
        stream_flush();
        for (int i = 0, zero = 0; i < 3 * nlens + 1; i++) {
                size_t len;
                uint64_t key;

                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                assert_int_equal(ev.seq, (uint64_t)i + 1);
                if (ev.actor == 1) {
                        /* after ring 0's first two rounds (the third's stamps say where) */
                        assert_true(zero >= 2 * nlens);
                        len = 4;
                        key = 1000;
                } else {
                        key = (uint64_t)ev.num;
                        len = lens[key % (uint64_t)nlens];
                        assert_int_equal(ev.num, zero++);
                }
                assert_true(text_ok(&ev, len, key));
                assert_int_equal(strlen(ev.text), len);
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/*
 * An int sent as its 8 bytes (STREAM_TEXT_INT) comes out as its decimal, as if that text had been
 * sent, the flag taken off (the step's own flag kept): the first event the long way (a consumer
 * with no views yet), the rest the short way, between texts that are not ints (a decimal longer
 * than the 8 bytes, then a shorter text, leaves nothing of it behind).
 */
static void int_texts(bool keep)
{
        static const int64_t ints[] = { 0, 7, -1, 42, 123456789, INT64_MIN, INT64_MAX, -9, 10 };
        const int nints = (int)(sizeof ints / sizeof ints[0]);
        stream *s = stream_create(1, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        char want[32];
        event ev;
        int64_t got;

        assert_non_null(s);
        if (keep)
                stream_keep_ints(s);
        stream_attach(s, 0);
        for (int k = 0; k < nints; k++) {
                ev = make_event(EV_CHANGED, 0, k, (const char *)&ints[k], STREAM_INT_LEN);
                ev.flags = STREAM_TEXT_INT | (k % 2 ? EVENT_BEGINS_STEP : 0);
                stream_publish(s, &ev, k % 2 == 0 ? 0 : STREAM_NO_KEY);
                ev = make_event(EV_PRINT, 0, -1, "ab", 2);
                stream_publish(s, &ev, STREAM_NO_KEY);
        }
        stream_flush();
        for (int k = 0; k < nints; k++) {
                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                snprintf(want, sizeof want, "%" PRId64, ints[k]);
                assert_int_equal(ev.kind, EV_CHANGED);
                assert_int_equal(ev.num, k);
                if (keep) { /* the bytes, the flag the event's EVENT_INT */
                        assert_int_equal(ev.len, STREAM_INT_LEN);
                        memcpy(&got, ev.text, sizeof(got));
                        assert_true(got == ints[k]);
                        assert_int_equal(ev.flags, EVENT_INT | (k % 2 ? EVENT_BEGINS_STEP : 0));
                } else {
                        assert_string_equal(ev.text, want);
                        assert_int_equal(ev.len, strlen(want));
                        assert_int_equal(ev.flags, k % 2 ? EVENT_BEGINS_STEP : 0);
                }
                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                assert_int_equal(ev.kind, EV_PRINT);
                assert_string_equal(ev.text, "ab");
                assert_int_equal(ev.len, 2);
                assert_int_equal(ev.flags, 0);
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/* The same to a consumer that keeps ints (stream_keep_ints): each int's 8 bytes as they were
 * sent, with EVENT_INT, the long way and the short. */
static void test_int_texts(void **state)
{
        (void)state;
        int_texts(false);
        int_texts(true);
}

/* ---- END last ---- */

static void end_a(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_END, EVENT_RUNNER, 0, NULL, 0);

        say(p->s, EVENT_RUNNER, 0, "a0", STREAM_NO_KEY); /* the batch's stamp: the earliest */
        phase_set(ph, 1);
        phase_wait(ph, 3);
        ev.aux = OUTCOME_DONE;
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        phase_set(ph, 4);
}

static void end_b(producer *p)
{
        phase *ph = p->ctx;

        phase_wait(ph, 1);
        say(p->s, 1, 0, "B0", 0);
        phase_set(ph, 2);
        phase_wait(ph, 5);
        say(p->s, 1, 1, "b1", STREAM_NO_KEY);
        stream_flush();
        phase_set(ph, 6);
}

static void end_c(producer *p)
{
        phase *ph = p->ctx;

        phase_wait(ph, 2);
        say(p->s, 2, 0, "C1", 0);
        stream_flush();
        phase_set(ph, 3);
}

/*
 * END is visible (with the earliest stamp) while ring 2's C1 is visible but waits for B0, which
 * ring 1 has not made visible: END must wait for all of them.
 */
static void test_end_last(void **state)
{
        stream *s = stream_create(3, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        producer *a, *b, *c;
        phase *ph;
        event ev;
        int seen_b = 0, seen_c = 0;

        (void)state;
        assert_non_null(s);
        ph = phase_new();
        a = producer_start(s, 0, end_a, ph);
        b = producer_start(s, 1, end_b, ph);
        c = producer_start(s, 2, end_c, ph);
        phase_wait(ph, 4);
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "a0");
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        phase_set(ph, 5);
        phase_wait(ph, 6);
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "B0");
        for (int k = 0; k < 2; k++) {
                next_ok(s, &ev, &text);
                seen_b += strcmp(ev.text, "b1") == 0;
                seen_c += strcmp(ev.text, "C1") == 0;
        }
        assert_int_equal(seen_b, 1);
        assert_int_equal(seen_c, 1);
        next_ok(s, &ev, &text);
        assert_int_equal(ev.kind, EV_END);
        assert_int_equal(ev.aux, OUTCOME_DONE);
        assert_int_equal(ev.seq, 5);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        producer_join(a);
        producer_join(b);
        producer_join(c);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        phase_free(ph);
        strbuf_free(&text);
        stream_destroy(s);
}

static void unflushed_b(producer *p)
{
        phase *ph = p->ctx;

        say(p->s, 1, 0, "written", STREAM_NO_KEY);
        phase_set(ph, 1);
        phase_wait(ph, 3);
        stream_flush();
}

static void unflushed_a(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_END, EVENT_RUNNER, 0, NULL, 0);

        phase_wait(ph, 1);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        phase_set(ph, 2);
}

/*
 * END is visible while another ring has written an event it has not made visible yet: the
 * event is written, not read, so END is not given out ("EV_END is given out only once every
 * other ring is read"); the consumer asks for it (want_flush) and gets it first.
 */
static void test_end_waits_for_written(void **state)
{
        stream *s = stream_create(2, 0, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        producer *a, *b;
        phase *ph;
        event ev;
        int rc, first_kind;

        (void)state;
        assert_non_null(s);
        ph = phase_new();
        b = producer_start(s, 1, unflushed_b, ph);
        a = producer_start(s, 0, unflushed_a, ph);
        phase_wait(ph, 2);
        rc = stream_next(s, &ev, &text, 0);
        first_kind = rc == 1 ? ev.kind : -1;
        phase_set(ph, 3);
        producer_join(a);
        producer_join(b);
        phase_free(ph);
        if (rc == 1)
                fail_msg("%s given out while ring 1 had a written event",
                         event_kind_word((event_kind)first_kind));
        assert_int_equal(rc, 0);
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "written");
        next_ok(s, &ev, &text);
        assert_int_equal(ev.kind, EV_END);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- many producers taking one key under one lock ---- */

enum { NPROD = 4, PER_PRODUCER = 10000, PRINT_EVERY = 5 };

typedef struct counter_shared { /* in shared memory: threads and processes */
        pthread_mutex_t mu;
        long counter;
} counter_shared;

static size_t print_len(int p, int i)
{
        return (size_t)(i * 13 + p) % 150;
}

/* Producer P: PER_PRODUCER times "counter = N" under the lock with key 0 (every PRINT_EVERY-th
 * time a print of no key before it), flushing before it waits for the lock. */
static void count(stream *s, counter_shared *sh, int p)
{
        char buf[160];
        event ev;

        for (int i = 0; i < PER_PRODUCER; i++) {
                long n;
                int len;

                if (i % PRINT_EVERY == 0) {
                        fill(buf, print_len(p, i), (uint64_t)p * 1000003u + (uint64_t)i);
                        ev = make_event(EV_PRINT, p, i, buf, print_len(p, i));
                        stream_publish(s, &ev, STREAM_NO_KEY);
                }
                /* the rule of stream.h: flush before anything that can block */
                if (pthread_mutex_trylock(&sh->mu) != 0) {
                        stream_flush();
                        pthread_mutex_lock(&sh->mu);
                }
                n = ++sh->counter;
                len = snprintf(buf, sizeof buf, "counter = %ld", n);
                ev = make_event(EV_CHANGED, p, i, buf, (size_t)len);
                stream_publish(s, &ev, 0);
                pthread_mutex_unlock(&sh->mu);
        }
        stream_flush();
}

static void count_fn(producer *p)
{
        count(p->s, p->ctx, p->ring);
}

/* NTHREADS producer threads and NPROCS producer processes, one ring each. */
static void run_counters(int nthreads, int nprocs)
{
        int nprod = nthreads + nprocs;
        stream *s = stream_create(nprod, 1, STREAM_MIN_SLOTS);
        counter_shared *sh =
            mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pthread_mutexattr_t ma;
        strbuf text = STRBUF_INIT;
        producer *th[NPROD];
        pid_t pid[NPROD];
        int next[NPROD] = { 0 }, printed[NPROD] = { 0 };
        uint64_t total = (uint64_t)nprod * PER_PRODUCER, prints = 0, last_t = 0;
        long want = 1;
        event ev;
        stream_stats st;
        char expect[64];

        assert_true(nprod <= NPROD);
        assert_non_null(s);
        assert_true(sh != MAP_FAILED);
        pthread_mutexattr_init(&ma);
        pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        pthread_mutex_init(&sh->mu, &ma);
        pthread_mutexattr_destroy(&ma);
        sh->counter = 0;
        /* processes first: fork before this process has other threads */
        for (int p = 0; p < nprocs; p++) {
                pid[p] = fork();
                assert_true(pid[p] >= 0);
                if (pid[p] == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
                        stream_attach(s, p);
                        count(s, sh, p);
                        _exit(0);
                }
        }
        for (int p = nprocs; p < nprod; p++)
                th[p] = producer_start(s, p, count_fn, sh);
        for (uint64_t k = 1; k <= total + (uint64_t)nprod * (PER_PRODUCER / PRINT_EVERY); k++) {
                int p;

                next_ok(s, &ev, &text);
                assert_int_equal(ev.seq, k);
                assert_true(ev.t_ns >= last_t);
                last_t = ev.t_ns;
                p = ev.actor;
                assert_in_range(p, 0, nprod - 1);
                /* each producer's events in its program order */
                assert_int_equal(ev.num, next[p]);
                if (ev.kind == EV_PRINT) {
                        /* before its "counter", once */
                        assert_int_equal(next[p] % PRINT_EVERY, 0);
                        assert_int_equal(printed[p], next[p] / PRINT_EVERY);
                        assert_true(text_ok(&ev, print_len(p, next[p]),
                                            (uint64_t)p * 1000003u + (uint64_t)next[p]));
                        printed[p]++;
                        prints++;
                        continue;
                }
                assert_int_equal(ev.kind, EV_CHANGED);
                assert_int_equal(printed[p], next[p] / PRINT_EVERY + 1);
                /* the key's versions: the counter as it was taken, 1, 2, 3, ... */
                snprintf(expect, sizeof expect, "counter = %ld", want++);
                assert_string_equal(ev.text, expect);
                next[p]++;
        }
        for (int p = 0; p < nprod; p++)
                assert_int_equal(next[p], PER_PRODUCER);
        assert_int_equal(want, (long)total + 1);
        assert_int_equal(prints, (uint64_t)nprod * (PER_PRODUCER / PRINT_EVERY));
        for (int p = 0; p < nprocs; p++) {
                int status;

                assert_int_equal(waitpid(pid[p], &status, 0), pid[p]);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        for (int p = nprocs; p < nprod; p++)
                producer_join(th[p]);
        assert_int_equal(sh->counter, (long)total);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        stream_get_stats(s, &st);
        assert_int_equal(st.events, total + prints);
        assert_int_equal(st.broken, 0);
        pthread_mutex_destroy(&sh->mu);
        munmap(sh, sizeof *sh);
        strbuf_free(&text);
        stream_destroy(s);
}

static void test_counter_threads(void **state)
{
        (void)state;
        run_counters(NPROD, 0);
}

static void test_counter_processes(void **state)
{
        (void)state;
        run_counters(0, NPROD);
}

static void test_counter_mixed(void **state)
{
        (void)state;
        run_counters(2, 2);
}

/* ---- a full ring ---- */

static void ones_fn(producer *p)
{
        event ev = make_event(EV_STEP, 0, 0, NULL, 0);

        for (int i = 0; i < 3000; i++) {
                ev.num = i;
                stream_publish(p->s, &ev, STREAM_NO_KEY);
        }
        stream_flush();
}

static void held_p0(producer *p)
{
        phase *ph = p->ctx;
        char *big = malloc(EVENT_MAX_TEXT + 1);
        event ev;

        if (big == NULL)
                abort();
        say(p->s, 0, 0, "v0", 0);
        phase_set(ph, 1);
        phase_wait(ph, 2);
        /* 1 + 1025 + 1025 slots > 2048: the second waits, and what waits for it is v0, which
         * is only in this ring's unflushed batch */
        fill(big, EVENT_MAX_TEXT, 1);
        ev = make_event(EV_PRINT, 0, 1, big, EVENT_MAX_TEXT);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        fill(big, EVENT_MAX_TEXT, 2);
        ev = make_event(EV_PRINT, 0, 2, big, EVENT_MAX_TEXT);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        free(big);
}

static void held_p1(producer *p)
{
        phase *ph = p->ctx;

        phase_wait(ph, 1);
        say(p->s, 1, 0, "v1", 0);
        stream_flush();
        phase_set(ph, 2);
}

/* A producer that writes FIRST events, flushes and lets the consumer read (phase 1), then, once
 * told (phase 2), writes MORE. */
typedef struct frees_arg {
        phase *ph;
        int first, more;
} frees_arg;

static void frees_fn(producer *p)
{
        frees_arg *f = p->ctx;
        event ev = make_event(EV_STEP, 0, 0, NULL, 0);

        for (int i = 0; i < f->first + f->more; i++) {
                if (i == f->first) {
                        stream_flush();
                        phase_set(f->ph, 1);
                        phase_wait(f->ph, 2);
                }
                ev.num = i;
                stream_publish(p->s, &ev, STREAM_NO_KEY);
        }
        stream_flush();
}

/*
 * The consumer frees what it read (stores the ring's head) every STREAM_FREE_EVERY slots, and
 * whenever it has read all it has seen published: a producer then finds the room without
 * waiting. (Each part waits for room, and fails, without its rule.)
 */
static void test_frees_read_slots(void **state)
{
        const frees_arg args[] = {
                /* all it had seen, fewer than STREAM_FREE_EVERY: a ring's worth of room after */
                { .first = 10, .more = STREAM_MIN_SLOTS },
                /* a full ring, STREAM_FREE_EVERY read of it: that much room */
                { .first = STREAM_MIN_SLOTS, .more = STREAM_FREE_EVERY },
        };

        (void)state;
        for (size_t k = 0; k < sizeof args / sizeof args[0]; k++) {
                stream *s = stream_create(1, 1, STREAM_MIN_SLOTS);
                strbuf text = STRBUF_INIT;
                frees_arg f = args[k];
                int read = f.first < STREAM_FREE_EVERY ? f.first : STREAM_FREE_EVERY;
                producer *p;
                event ev;

                assert_non_null(s);
                f.ph = phase_new();
                p = producer_start(s, 0, frees_fn, &f);
                phase_wait(f.ph, 1);
                for (int i = 0; i < read; i++) {
                        next_ok(s, &ev, &text);
                        assert_int_equal(ev.num, i);
                }
                phase_set(f.ph, 2);
                if (wait_producer_waits(s, &p->done) != 0)
                        fail_msg("part %zu: the producer waited for room", k);
                for (int i = read; i < f.first + f.more; i++) {
                        next_ok(s, &ev, &text);
                        assert_int_equal(ev.num, i);
                }
                producer_join(p);
                assert_int_equal(stream_next(s, &ev, &text, 0), 0);
                phase_free(f.ph);
                strbuf_free(&text);
                stream_destroy(s);
        }
}

/* Waits up to MS milliseconds for phase N; whether it came. */
static bool phase_wait_ms(phase *ph, int n, int ms)
{
        struct timespec until;
        int rc = 0;
        bool came;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&ph->mu);
        while (ph->n < n && rc == 0)
                rc = pthread_cond_timedwait(&ph->cv, &ph->mu, &until);
        came = ph->n >= n;
        pthread_mutex_unlock(&ph->mu);
        return came;
}

/* Ring 1: key 0's version 0 (phase 1), held in its batch until phase 4. */
static void v0_held(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_CHANGED, 1, 0, NULL, 0);

        stream_publish(p->s, &ev, 0);
        phase_set(ph, 1);
        phase_wait(ph, 4);
        stream_flush();
}

enum { BEFORE_V1 = 30 };

/* Ring 0: BEFORE_V1 events, key 0's version 1 (which waits for ring 1's v0), the ring filled
 * (phase 2), then one more, which needs the room of what the consumer read (phase 3). */
static void fills_behind_v1(producer *p)
{
        phase *ph = p->ctx;

        event ev = make_event(EV_CHANGED, 0, 0, NULL, 0);

        phase_wait(ph, 1);
        for (int i = 0; i < (int)STREAM_MIN_SLOTS; i++) {
                ev.num = i;
                stream_publish(p->s, &ev, i == BEFORE_V1 ? 0 : STREAM_NO_KEY);
        }
        stream_flush();
        phase_set(ph, 2);
        ev.num = STREAM_MIN_SLOTS;
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        phase_set(ph, 3);
        stream_flush();
}

/*
 * The consumer reads a ring up to an event it cannot read yet (its version waits for another
 * ring's, which may wait for this ring's producer: a lock its actor holds) and has nothing else
 * to read: what it read must be freed before it returns, or a producer that needs that room
 * waits for ever.
 */
static void test_frees_before_a_wait(void **state)
{
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        phase *ph = phase_new();
        producer *a, *b;
        bool room;
        event ev;
        int n = 0;

        (void)state;
        assert_non_null(s);
        b = producer_start(s, 1, v0_held, ph);
        a = producer_start(s, 0, fills_behind_v1, ph);
        phase_wait(ph, 2);
        while (stream_next(s, &ev, &text, 0) == 1) {
                assert_int_equal(ev.num, n);
                n++;
        }
        assert_int_equal(n, BEFORE_V1);
        /* a failure rather than a hang: the room comes at once, or never */
        room = phase_wait_ms(ph, 3, 5000);
        phase_set(ph, 4);
        for (int i = n; i < (int)STREAM_MIN_SLOTS + 2; i++)
                next_ok(s, &ev, &text);
        producer_join(a);
        producer_join(b);
        assert_true(room);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        phase_free(ph);
        strbuf_free(&text);
        stream_destroy(s);
}

static void test_full_ring_blocks(void **state)
{
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        producer *a, *b;
        phase *ph;
        event ev;
        stream_stats st;
        int next0 = 0, seen_v1 = 0;

        (void)state;
        assert_non_null(s);
        /* The consumer starts late: the producer stops with the ring exactly full. */
        a = producer_start(s, 0, ones_fn, NULL);
        assert_int_equal(wait_producer_waits(s, &a->done), 1);
        assert_int_equal(atomic_load(&a->done), 0);
        assert_int_equal(stream_written(s, 0), STREAM_MIN_SLOTS);
        for (int i = 0; i < 3000; i++) {
                next_ok(s, &ev, &text);
                assert_int_equal(ev.num, i);
        }
        producer_join(a);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_destroy(s);

        /*
         * A producer blocked on its full ring holds the version the consumer needs first (the
         * other ring's v1 waits for it): it must have made its batch visible before it waited,
         * since it never publishes again until the consumer reads.
         */
        s = stream_create(2, 1, STREAM_MIN_SLOTS);
        assert_non_null(s);
        ph = phase_new();
        a = producer_start(s, 0, held_p0, ph);
        b = producer_start(s, 1, held_p1, ph);
        assert_int_equal(wait_producer_waits(s, &a->done), 1);
        assert_int_equal(atomic_load(&a->done), 0);
        assert_int_equal(stream_written(s, 0), 1 + slots_of(EVENT_MAX_TEXT));
        stream_get_stats(s, &st);
        assert_int_equal(st.events, 0);
        for (int k = 0; k < 4; k++) {
                next_ok(s, &ev, &text);
                if (ev.actor == 1) {
                        assert_string_equal(ev.text, "v1");
                        assert_int_equal(next0 >= 1, 1);
                        seen_v1++;
                        continue;
                }
                assert_int_equal(ev.num, next0);
                if (next0 == 0)
                        assert_string_equal(ev.text, "v0");
                else
                        assert_true(text_ok(&ev, EVENT_MAX_TEXT, (uint64_t)next0));
                next0++;
        }
        assert_int_equal(next0, 3);
        assert_int_equal(seen_v1, 1);
        producer_join(a);
        producer_join(b);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.producer_waits, 1);
        phase_free(ph);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- batches, want_flush, stream_arm and the wake descriptor ---- */

static void batch_fn(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_STEP, 0, 0, NULL, 0);

        for (int i = 0; i < 300; i++) {
                ev.num = i;
                stream_publish(p->s, &ev, STREAM_NO_KEY);
        }
        phase_set(ph, 1);
        phase_wait(ph, 2);
        ev.num = 300;
        stream_publish(p->s, &ev, STREAM_NO_KEY); /* the consumer is armed: this flushes */
        phase_set(ph, 3);
}

/* Whether FD became readable within TIMEOUT_MS; its eventfd count in *COUNT. */
static int fd_count(int fd, int timeout_ms, uint64_t *count)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        *count = 0;
        if (poll(&pfd, 1, timeout_ms) != 1)
                return 0;
        return read(fd, count, sizeof *count) == (ssize_t)sizeof *count;
}

/* A stream of RINGS rings and KEYS keys whose wake descriptor is an eventfd, in *EFD. */
static stream *woken_stream(int rings, int keys, int *efd)
{
        stream *s = stream_create(rings, keys, STREAM_MIN_SLOTS);

        assert_non_null(s);
        *efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        assert_true(*efd >= 0);
        stream_set_wake_fd(s, *efd);
        return s;
}

static void woken_free(stream *s, int efd, phase *ph, strbuf *text)
{
        phase_free(ph);
        close(efd);
        strbuf_free(text);
        stream_destroy(s);
}

static void test_want_flush_and_arm(void **state)
{
        int efd;
        stream *s = woken_stream(1, 0, &efd);
        strbuf text = STRBUF_INIT;
        producer *p;
        phase *ph;
        event ev;
        stream_stats st;
        uint64_t count;

        (void)state;
        ph = phase_new();
        p = producer_start(s, 0, batch_fn, ph);
        phase_wait(ph, 1);
        /* 300 events: two whole batches are visible, 44 are written and not */
        stream_get_stats(s, &st);
        assert_int_equal(st.flushes, 300 / STREAM_BATCH);
        assert_int_equal(stream_written(s, 0), 300);
        /* something to read: not armed, nothing written to the descriptor */
        assert_false(stream_arm(s, false));
        for (int i = 0; i < (int)(300 / STREAM_BATCH * STREAM_BATCH); i++) {
                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                assert_int_equal(ev.num, i);
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_false(fd_count(efd, 0, &count));
        /* armed: the producer's next event brings its half batch, and writes the descriptor */
        assert_true(stream_arm(s, false));
        phase_set(ph, 2);
        assert_true(fd_count(efd, NEXT_TIMEOUT, &count));
        assert_int_equal(count, 1);
        phase_wait(ph, 3);
        for (int i = (int)(300 / STREAM_BATCH * STREAM_BATCH); i <= 300; i++) {
                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                assert_int_equal(ev.num, i);
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.flushes, 300 / STREAM_BATCH + 1);
        assert_int_equal(st.events, 301);
        producer_join(p);
        assert_false(fd_count(efd, 0, &count)); /* one wake-up, one write */

        /* armed, then closed: the close writes the descriptor, and the stream ends */
        assert_true(stream_arm(s, false));
        stream_close(s);
        assert_true(fd_count(efd, NEXT_TIMEOUT, &count));
        assert_int_equal(count, 1);
        assert_false(stream_arm(s, false));
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        woken_free(s, efd, ph, &text);
}

/* Armed lazily, the consumer looks again on its own: a flush makes the events visible without a
 * wake-up; stream_flush_now and half a ring unread (STREAM_LAZY_UNREAD) wake it. */
static void lazy_fn(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_STEP, 0, 0, NULL, 0);

        phase_wait(ph, 1);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        phase_set(ph, 2);
        phase_wait(ph, 3);
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush_now();
        phase_set(ph, 4);
        phase_wait(ph, 5);
        /* just under half a ring unread, in many batches: visible, nobody woken */
        for (uint32_t i = 0; i < STREAM_LAZY_UNREAD(STREAM_MIN_SLOTS) - 1; i++)
                stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        phase_set(ph, 6);
        phase_wait(ph, 7);
        /* half a ring unread: the flush wakes it */
        stream_publish(p->s, &ev, STREAM_NO_KEY);
        stream_flush();
        phase_set(ph, 8);
}

static void test_lazy_arm(void **state)
{
        int efd;
        stream *s = woken_stream(1, 0, &efd);
        strbuf text = STRBUF_INIT;
        producer *p;
        phase *ph;
        event ev;
        uint64_t count;
        int n;

        (void)state;
        ph = phase_new();
        p = producer_start(s, 0, lazy_fn, ph);
        assert_true(stream_arm(s, true));
        phase_set(ph, 1);
        phase_wait(ph, 2);
        assert_false(fd_count(efd, 0, &count)); /* flushed, not woken */
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_true(stream_arm(s, true));
        phase_set(ph, 3);
        phase_wait(ph, 4);
        assert_true(fd_count(efd, 0, &count)); /* the last word wakes it */
        assert_int_equal(count, 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_true(stream_arm(s, true));
        phase_set(ph, 5);
        phase_wait(ph, 6);
        assert_false(fd_count(efd, 0, &count));
        phase_set(ph, 7);
        phase_wait(ph, 8);
        assert_true(fd_count(efd, 0, &count)); /* half a ring */
        assert_int_equal(count, 1);
        n = 0;
        while (stream_next(s, &ev, &text, 0) == 1)
                n++;
        assert_int_equal(n, STREAM_LAZY_UNREAD(STREAM_MIN_SLOTS));
        producer_join(p);
        stream_close(s);
        woken_free(s, efd, ph, &text);
}

/* Ring 1 takes key 0's first version and keeps it in its batch; ring 0 takes the second and
 * makes it visible. */
static void stalled_first_fn(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_STEP, 1, 1, NULL, 0);

        stream_publish(p->s, &ev, 0);
        phase_set(ph, 1);
        phase_wait(ph, 3);
        stream_flush(); /* what the consumer waits for */
        phase_set(ph, 4);
}

static void stalled_second_fn(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_STEP, 0, 2, NULL, 0);

        phase_wait(ph, 1);
        stream_publish(p->s, &ev, 0);
        stream_flush();
        phase_set(ph, 2);
}

/* Lazily armed with something visible that waits for a version still in a batch: the flush of
 * that batch wakes the consumer (a lazy wait would hold the run's merge back). */
static void test_lazy_arm_stalled(void **state)
{
        int efd;
        stream *s = woken_stream(2, 1, &efd);
        strbuf text = STRBUF_INIT;
        producer *p1, *p0;
        phase *ph;
        event ev;
        uint64_t count;

        (void)state;
        ph = phase_new();
        p1 = producer_start(s, 1, stalled_first_fn, ph);
        p0 = producer_start(s, 0, stalled_second_fn, ph);
        phase_wait(ph, 2);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0); /* version 1 waits for 0 */
        assert_true(stream_arm(s, true));
        phase_set(ph, 3);
        phase_wait(ph, 4);
        assert_true(fd_count(efd, 0, &count));
        assert_int_equal(count, 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_int_equal(ev.num, 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_int_equal(ev.num, 2);
        producer_join(p0);
        producer_join(p1);
        stream_close(s);
        woken_free(s, efd, ph, &text);
}

/* Writes one event and keeps it in its batch until phase 3, then makes it visible. */
static void unpublished_fn(producer *p)
{
        phase *ph = p->ctx;
        event ev = make_event(EV_STEP, 0, 1, NULL, 0);

        stream_publish(p->s, &ev, STREAM_NO_KEY);
        phase_set(ph, 1);
        phase_wait(ph, 2);
        stream_flush();
        phase_set(ph, 3);
}

/* Settled: nothing written and not published, nothing published and not read. An event in a
 * producer's batch unsettles it although the consumer has read all it can see; so does a
 * published event held back by a version still in another ring's batch. */
static void test_settled(void **state)
{
        int efd;
        stream *s = woken_stream(2, 1, &efd);
        strbuf text = STRBUF_INIT;
        producer *p, *p1, *p0;
        phase *ph;
        event ev;

        (void)state;
        ph = phase_new();
        assert_true(stream_settled(s));
        p = producer_start(s, 0, unpublished_fn, ph);
        phase_wait(ph, 1);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0); /* nothing visible */
        assert_false(stream_settled(s));
        phase_set(ph, 2);
        phase_wait(ph, 3);
        assert_false(stream_settled(s)); /* visible, not read */
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_true(stream_settled(s));
        producer_join(p);
        stream_close(s);
        woken_free(s, efd, ph, &text);

        s = woken_stream(2, 1, &efd);
        ph = phase_new();
        p1 = producer_start(s, 1, stalled_first_fn, ph);
        p0 = producer_start(s, 0, stalled_second_fn, ph);
        phase_wait(ph, 2);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_false(stream_settled(s));
        phase_set(ph, 3);
        phase_wait(ph, 4);
        assert_false(stream_settled(s));
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_false(stream_settled(s)); /* one of two read */
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_true(stream_settled(s));
        producer_join(p0);
        producer_join(p1);
        stream_close(s);
        woken_free(s, efd, ph, &text);
}

/* ---- close and timeouts ---- */

static void three_fn(producer *p)
{
        say(p->s, 0, 1, "one", STREAM_NO_KEY);
        say(p->s, 0, 2, "two", 0);
        say(p->s, 0, 3, "three", STREAM_NO_KEY);
        /* returns without a flush: the close makes them visible */
}

static void *closer_thread(void *arg)
{
        stream *s = arg;
        stream_stats st;

        /* the consumer is asleep in stream_next before the close */
        do {
                sleep_ms(1);
                stream_get_stats(s, &st);
        } while (st.consumer_sleeps == 0);
        stream_close(s);
        return NULL;
}

/*
 * A producer that is done with events it never made visible (no one asked for them: the
 * consumer has not looked yet): 0 until the close, then all of them, then the end, for good
 * (a runner killed mid-batch, drained by the session after the close).
 */
static void test_close_drains_written(void **state)
{
        stream *s = stream_create(1, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        producer *p;
        event ev;
        int rc;

        (void)state;
        assert_non_null(s);
        p = producer_start(s, 0, three_fn, NULL);
        producer_join(p);
        assert_int_equal(stream_written(s, 0), 3);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, -1), 1);
        assert_string_equal(ev.text, "one");
        assert_int_equal(stream_next(s, &ev, &text, -1), 1);
        assert_string_equal(ev.text, "two");
        assert_int_equal(stream_next(s, &ev, &text, 0), 1);
        assert_string_equal(ev.text, "three");
        assert_int_equal(ev.seq, 3);
        rc = stream_next(s, &ev, &text, -1);
        if (rc == 1)
                fail_msg("read past the 3 events ring 0 wrote: kind %d, seq %llu, len %u", ev.kind,
                         (unsigned long long)ev.seq, ev.len);
        assert_int_equal(rc, -1);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        assert_int_equal(stream_next(s, &ev, &text, 50), -1);
        strbuf_free(&text);
        stream_destroy(s);
}

static void test_timeouts_and_close(void **state)
{
        stream *s = stream_create(1, 0, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        event ev;
        uint64_t t0;
        pthread_t th;
        stream_stats st;

        (void)state;
        assert_non_null(s);
        /* Empty: polling returns at once, a timeout returns 0 after (not before) it. */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.consumer_waits, 0);
        t0 = mono_ns();
        assert_int_equal(stream_next(s, &ev, &text, 50), 0);
        assert_true(mono_ns() - t0 >= 50000000u);
        stream_get_stats(s, &st);
        assert_int_equal(st.consumer_waits, 1);
        /* closed: the end at once, whatever the timeout */
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        stream_destroy(s);

        /* A close from another thread ends a wait without a timeout (the consumer sleeps when
         * the close comes). */
        s = stream_create(1, 0, STREAM_MIN_SLOTS);
        assert_non_null(s);
        assert_int_equal(pthread_create(&th, NULL, closer_thread, s), 0);
        assert_int_equal(stream_next(s, &ev, &text, -1), -1);
        pthread_join(th, NULL);
        stream_get_stats(s, &st);
        assert_int_equal(st.events, 0);
        assert_true(st.consumer_sleeps >= 1);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- a producer process that dies holding a version ---- */

static void p3_fn(producer *p)
{
        say(p->s, 1, 0, "p3", 0);
        stream_flush();
}

/* A producer thread that ends without making its events visible: as good as dead. */
static void gone_fn(producer *p)
{
        say(p->s, 2, 0, "w0", STREAM_NO_KEY);
        say(p->s, 2, 1, "w1", STREAM_NO_KEY);
}

/*
 * The child writes c0 (key 0, version 0), a print, c1 (version 1), all in an unflushed batch,
 * then takes version 2 and dies before writing its event (its text is unreadable memory: the
 * copy faults after the take). Ring 1 then takes version 3. The dead ring holds up key 0 until
 * stream_ring_dead publishes the batch and gives version 2 up; then the reaper appends the
 * child's crash (version 4). A ring whose producer ended with an unflushed batch (no version
 * taken) gets it published by stream_ring_dead, and one whose producer never started an event
 * from the reaper.
 */
static void test_producer_dies_holding_a_version(void **state)
{
        stream *s = stream_create(4, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        producer *helper;
        event ev;
        stream_stats st;
        pid_t pid;
        int status, seen_crash = 0, seen_late = 0;

        (void)state;
        assert_non_null(s);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit nocore = { 0, 0 };
                struct sigaction dfl;
                char *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                char buf[101];

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                setrlimit(RLIMIT_CORE, &nocore);
                memset(&dfl, 0, sizeof dfl);
                dfl.sa_handler = SIG_DFL; /* not the test framework's handler */
                sigaction(SIGSEGV, &dfl, NULL);
                sigaction(SIGBUS, &dfl, NULL);
                if (bad == MAP_FAILED)
                        _exit(2);
                stream_attach(s, 0);
                say(s, 0, 0, "c0", 0);
                fill(buf, 100, 9);
                ev = make_event(EV_PRINT, 0, 1, buf, 100);
                stream_publish(s, &ev, STREAM_NO_KEY);
                say(s, 0, 2, "c1", 0);
                ev = make_event(EV_PRINT, 0, 3, bad, 5);
                stream_publish(s, &ev, 0);
                _exit(0); /* not reached */
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* (before the consumer first looks, which asks every producer for its batch) */
        helper = producer_start(s, 2, gone_fn, NULL);
        producer_join(helper);
        helper = producer_start(s, 1, p3_fn, NULL);
        producer_join(helper);
        /* nothing of the child's is visible; p3 waits for versions 0..2 */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_int_equal(stream_next(s, &ev, &text, 20), 0);
        assert_true(stream_written(s, 0) >= 3);

        stream_ring_dead(s, 0);
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "c0");
        next_ok(s, &ev, &text);
        assert_int_equal(ev.num, 1);
        assert_true(text_ok(&ev, 100, 9));
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "c1");
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "p3");
        assert_int_equal(ev.seq, 4);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.broken, 1);
        assert_int_equal(st.events, 4);

        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_ring_dead(s, 2);
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "w0");
        next_ok(s, &ev, &text);
        assert_string_equal(ev.text, "w1");
        assert_int_equal(ev.seq, 6);

        ev = make_event(EV_CRASH, 0, 0, "killed", 6);
        ev.aux = SIGSEGV;
        stream_publish_for(s, 0, &ev, 0);
        stream_ring_dead(s, 3);
        ev = make_event(EV_PRINT, 3, 0, "late", 4);
        stream_publish_for(s, 3, &ev, STREAM_NO_KEY);
        for (int k = 0; k < 2; k++) {
                assert_int_equal(stream_next(s, &ev, &text, 0), 1);
                assert_int_equal(ev.seq, (uint64_t)k + 7);
                seen_crash += ev.kind == EV_CRASH && strcmp(ev.text, "killed") == 0;
                seen_late += ev.kind == EV_PRINT && strcmp(ev.text, "late") == 0;
        }
        assert_int_equal(seen_crash, 1);
        assert_int_equal(seen_late, 1);
        stream_close(s);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        stream_get_stats(s, &st);
        assert_int_equal(st.broken, 1);
        assert_int_equal(st.events, 8);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- an event written straight into its slot: stream_begin, stream_end ---- */

/* Writes an event as an actor does: stream_begin, or stream_begin_any when it leaves it, the
 * fields, stream_end. Returns whether stream_begin took it (the common way). */
static bool write_direct(int key, uint64_t what, int64_t num, int32_t stmt, int32_t aux,
                         const char *text, size_t len)
{
        stream_producer *p = &stream_mine;
        stream_head *h = stream_begin(p, key, len);
        bool common = h != NULL;

        if (!common)
                h = stream_begin_any(p, key, len);
        h->num = num;
        h->stmt = stmt;
        h->aux = aux;
        stream_set_what(h, what);
        stream_end(p, h, text, len);
        return common;
}

/* Reads the next event and checks the fields write_direct was given. */
static void next_direct(stream *s, event *ev, strbuf *text, int kind, int flags, int actor, int res,
                        int other, int64_t num, int32_t stmt, int32_t aux)
{
        next_ok(s, ev, text);
        assert_int_equal(ev->kind, kind);
        assert_int_equal(ev->flags, flags);
        assert_int_equal(ev->actor, actor);
        assert_int_equal(ev->res, res);
        assert_int_equal(ev->other, other);
        assert_true(ev->num == num);
        assert_int_equal(ev->stmt, stmt);
        assert_int_equal(ev->aux, aux);
}

/*
 * The common way takes every event of a batch but its first (the clock), with a text of up to
 * STREAM_HEAD_TEXT bytes; the rest goes the general way: a longer text (across slots, and cut at
 * EVENT_MAX_TEXT), the batch's first event, a ring that is full (stream_begin takes nothing then:
 * the key's versions go on without a gap, or the reader would stop at it). The fields come out
 * as STREAM_WHAT packed them, negative ones too; the batch is made visible at its
 * STREAM_BATCH'th event, not before.
 */
static void test_begin_end(void **state)
{
        const size_t big = EVENT_MAX_TEXT + 7;
        stream *s = stream_create(2, 2, STREAM_MIN_SLOTS);
        char *buf = malloc(big + 1);
        strbuf text = STRBUF_INIT;
        stream_stats st;
        event ev;
        size_t cut;

        (void)state;
        assert_non_null(s);
        assert_non_null(buf);
        /* no ring yet: nothing to take */
        assert_null(stream_begin(&stream_mine, STREAM_NO_KEY, 0));
        stream_attach(s, 0);
        assert_false(write_direct(0, STREAM_WHAT(EV_ACQUIRED, EVENT_BEGINS_STEP, 3, 1, -1), -7, 11,
                                  -5, NULL, 0));
        for (int i = 1; i < (int)STREAM_BATCH; i++) {
                fill(buf, (size_t)i % 17, (uint64_t)i);
                assert_true(write_direct(i % 2 ? STREAM_NO_KEY : 1,
                                         STREAM_WHAT(EV_CHANGED, 0, 3, i % 5 - 1, -1 - i), i, i, -i,
                                         buf, (size_t)i % 17));
                stream_get_stats(s, &st);
                assert_int_equal(st.flushes, i == (int)STREAM_BATCH - 1);
        }
        assert_int_equal(stream_written(s, 0), STREAM_BATCH);
        /* 80 bytes: two slots */
        fill(buf, 80, 80);
        assert_false(write_direct(1, STREAM_WHAT(EV_PUT, 0, 3, 0, -1), 80, 0, 0, buf, 80));
        assert_true(write_direct(0, STREAM_WHAT(EV_RELEASED, 0, 3, 1, -1), 1, 0, 0, NULL, 0));
        assert_int_equal(stream_written(s, 0), STREAM_BATCH + 3);
        /* past EVENT_MAX_TEXT: 3-byte characters, cut before the one the limit falls in */
        for (size_t j = 0; j + 3 <= big; j += 3)
                memcpy(buf + j, "\xe2\x82\xac", 3);
        buf[big - big % 3] = '\0';
        assert_false(write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_PRINT, 0, 3, -1, -1), 9, 0, 0, buf,
                                  big - big % 3));
        /* the common way is open (a slot given without a key takes nothing: left unwritten) */
        assert_non_null(stream_begin(&stream_mine, STREAM_NO_KEY, 0));
        stream_flush();
        /* a flush ends the batch: its next event reads the clock */
        assert_null(stream_begin(&stream_mine, STREAM_NO_KEY, 0));

        next_direct(s, &ev, &text, EV_ACQUIRED, EVENT_BEGINS_STEP, 3, 1, -1, -7, 11, -5);
        assert_int_equal(ev.len, 0);
        assert_string_equal(ev.text, "");
        for (int i = 1; i < (int)STREAM_BATCH; i++) {
                next_direct(s, &ev, &text, EV_CHANGED, 0, 3, i % 5 - 1, -1 - i, i, i, -i);
                assert_true(text_ok(&ev, (size_t)i % 17, (uint64_t)i));
        }
        next_direct(s, &ev, &text, EV_PUT, 0, 3, 0, -1, 80, 0, 0);
        assert_true(text_ok(&ev, 80, 80));
        next_direct(s, &ev, &text, EV_RELEASED, 0, 3, 1, -1, 1, 0, 0);
        next_direct(s, &ev, &text, EV_PRINT, 0, 3, -1, -1, 9, 0, 0);
        cut = (EVENT_MAX_TEXT - CUT_LEN) / 3 * 3;
        assert_int_equal(ev.len, cut + CUT_LEN);
        assert_true(utf8_valid(ev.text, ev.len, NULL));
        assert_memory_equal(ev.text, buf, cut);
        assert_string_equal(ev.text + cut, EVENT_CUT_MARK);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);

        /* A full ring: stream_begin takes nothing (not even a version), stream_begin_any waits
         * for room; the consumer's head is loaded again only then. The consumer frees what it
         * read every STREAM_FREE_EVERY slots: the room comes then. */
        stream_attach(s, 1);
        for (uint64_t i = 0; i < STREAM_MIN_SLOTS; i++)
                write_direct(0, STREAM_WHAT(EV_CHANGED, 0, 4, 0, -1), (int64_t)i, 0, 0, NULL, 0);
        assert_int_equal(stream_written(s, 1), STREAM_MIN_SLOTS);
        assert_null(stream_begin(&stream_mine, 0, 0));
        assert_null(stream_begin(&stream_mine, 0, 0));
        for (uint64_t i = 0; i < STREAM_FREE_EVERY; i++)
                next_direct(s, &ev, &text, EV_CHANGED, 0, 4, 0, -1, (int64_t)i, 0, 0);
        assert_null(stream_begin(&stream_mine, 0, 0));
        assert_false(
            write_direct(0, STREAM_WHAT(EV_CHANGED, 0, 4, 0, -1), STREAM_MIN_SLOTS, 0, 0, NULL, 0));
        stream_flush();
        for (uint64_t i = STREAM_FREE_EVERY; i <= STREAM_MIN_SLOTS; i++) {
                next_direct(s, &ev, &text, EV_CHANGED, 0, 4, 0, -1, (int64_t)i, 0, 0);
                assert_int_equal(ev.seq, STREAM_BATCH + 4 + i);
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.producer_waits, 0);
        assert_int_equal(st.events, STREAM_BATCH + 4 + STREAM_MIN_SLOTS);
        free(buf);
        strbuf_free(&text);
        stream_destroy(s);
}

/*
 * A producer process that dies between stream_begin_any and stream_end, its key's version taken
 * and its event not written: stream_ring_dead publishes the events before it and gives the
 * version up, so that ring 1's event of the next version goes on.
 */
static void test_dies_between_begin_and_end(void **state)
{
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        stream_stats st;
        event ev;
        pid_t pid;
        int status;

        (void)state;
        assert_non_null(s);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                stream_attach(s, 0);
                write_direct(0, STREAM_WHAT(EV_ACQUIRED, 0, 0, 0, -1), 0, 0, 0, NULL, 0);
                write_direct(0, STREAM_WHAT(EV_RELEASED, 0, 0, 0, -1), 1, 0, 0, NULL, 0);
                stream_begin_any(&stream_mine, 0, 0); /* version 2 */
                _exit(3);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
        stream_attach(s, 1);
        write_direct(0, STREAM_WHAT(EV_ACQUIRED, 0, 1, 0, -1), 3, 0, 0, NULL, 0);
        stream_flush();
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_int_equal(stream_written(s, 0), 2);

        stream_ring_dead(s, 0);
        next_direct(s, &ev, &text, EV_ACQUIRED, 0, 0, 0, -1, 0, 0, 0);
        next_direct(s, &ev, &text, EV_RELEASED, 0, 0, 0, -1, 1, 0, 0);
        next_direct(s, &ev, &text, EV_ACQUIRED, 0, 1, 0, -1, 3, 0, 0);
        assert_int_equal(ev.seq, 3);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_get_stats(s, &st);
        assert_int_equal(st.broken, 1);
        assert_int_equal(st.events, 3);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- the second reader (stream_reader) ---- */

static void *reader_b(void *arg)
{
        stream *s = arg;

        stream_attach(s, 1);
        say(s, 1, 0, "B1", 0);
        say(s, 1, 1, "b-nokey", STREAM_NO_KEY);
        return NULL; /* without a flush: written, not visible */
}

/*
 * The reader gives every event written whole — visible to the consumer or not — in the
 * consumer's order (a key's versions across rings), texts long and int as the consumer does, and
 * frees nothing: the consumer then reads the same events.
 */
static void test_reader(void **state)
{
        static const char *const want[] = { "A0", "B1", "A2", NULL, "-42" };
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        stream_reader *rd;
        strbuf text = STRBUF_INIT;
        char long_text[301];
        int64_t i = -42;
        pthread_t b;
        event ev;

        (void)state;
        assert_non_null(s);
        rd = stream_reader_new(s);
        assert_true(stream_reader_done(rd));
        assert_int_equal(stream_reader_next(rd, &ev, &text), 0);
        stream_attach(s, 0);
        say(s, 0, 0, "A0", 0);
        assert_int_equal(pthread_create(&b, NULL, reader_b, s), 0);
        assert_int_equal(pthread_join(b, NULL), 0);
        say(s, 0, 1, "A2", 0);
        fill(long_text, 300, 3);
        ev = make_event(EV_PRINT, 0, 2, long_text, 300);
        stream_publish(s, &ev, 0);
        ev = make_event(EV_CHANGED, 0, 3, (const char *)&i, STREAM_INT_LEN);
        ev.flags = STREAM_TEXT_INT;
        stream_publish(s, &ev, 0);
        /* nothing flushed: the consumer sees none of it, the reader all */
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        assert_false(stream_reader_done(rd));
        for (int k = 0, keyed = 0, b1 = 0; k < 6; k++) {
                assert_int_equal(stream_reader_next(rd, &ev, &text), 1);
                assert_int_equal(ev.seq, (uint64_t)k + 1);
                /* b-nokey, of no key, after ring 1's B1: anywhere after that */
                if (strcmp(ev.text, "b-nokey") == 0) {
                        assert_true(b1);
                        continue;
                }
                b1 |= strcmp(ev.text, "B1") == 0;
                if (want[keyed] != NULL)
                        assert_string_equal(ev.text, want[keyed]);
                else
                        assert_true(text_ok(&ev, 300, 3));
                if (keyed++ == 4)
                        assert_int_equal(ev.flags, 0); /* -42: the int's flag taken off */
        }
        assert_int_equal(stream_reader_next(rd, &ev, &text), 0);
        assert_true(stream_reader_done(rd));
        /* the consumer, once the events are visible, reads them all: the reader freed none
         * (b-nokey, of no key, may come anywhere after nothing: the key's events in order) */
        stream_flush();
        stream_close(s);
        for (int k = 0, keyed = 0; k < 6; k++) {
                next_ok(s, &ev, &text);
                if (strcmp(ev.text, "b-nokey") == 0)
                        continue;
                if (want[keyed] != NULL)
                        assert_string_equal(ev.text, want[keyed]);
                else
                        assert_true(text_ok(&ev, 300, 3));
                keyed++;
        }
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        stream_reader_free(rd);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- steps held back to ride in the next event's slot ---- */

static uint64_t producer_waits(stream *s)
{
        stream_stats st;

        stream_get_stats(s, &st);
        return st.producer_waits;
}

/* Waits (10 s at most) until producers have found their rings full N times in all. */
static void wait_for_waits(stream *s, uint64_t n)
{
        uint64_t until = mono_ns() + 10000000000u;

        while (producer_waits(s) < n && mono_ns() < until)
                sleep_ms(1);
        assert_true(producer_waits(s) >= n);
}

/* Reads the next event and checks that it is the STEP held with these fields. */
static void next_step(stream *s, event *ev, strbuf *text, int32_t stmt, int flags, int actor)
{
        next_direct(s, ev, text, EV_STEP, flags, actor, -1, -1, 0, stmt, 0);
        assert_int_equal(ev->len, 0);
        assert_string_equal(ev->text, "");
}

static void *fill_then_carry(void *arg)
{
        stream *s = arg;

        stream_attach(s, 1);
        for (uint64_t i = 0; i < STREAM_MIN_SLOTS; i++)
                write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_CHANGED, 0, 5, 0, -1), (int64_t)i, 0, 0,
                             NULL, 0);
        stream_hold_step(&stream_mine, 9, EVENT_BEGINS_STEP, 5);
        /* the ring is full: the wait for room flushes, which writes the step apart, itself
         * waiting for room — once */
        write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_RELEASED, EVENT_BEGINS_STEP, 5, 0, -1), -1, 10,
                     0, NULL, 0);
        stream_flush();
        return NULL;
}

static void *fill_then_apart(void *arg)
{
        stream *s = arg;

        stream_attach(s, 1);
        for (uint64_t i = 0; i + 1 < STREAM_MIN_SLOTS; i++)
                write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_CHANGED, 0, 5, 0, -1), (int64_t)i, 0, 0,
                             NULL, 0);
        stream_hold_step(&stream_mine, 19, EVENT_BEGINS_STEP, 5);
        /* room for the event's slot, not for the step's too: stream_end waits for it */
        write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_PRINT, EVENT_BEGINS_STEP, 5, -1, -1), 0, 20, 0,
                     "twelve bytes", 12);
        stream_flush();
        return NULL;
}

/*
 * A step held back (stream_hold_step) comes out as a STEP of its own, ahead of the event whose
 * slot carries it and with the carrier's flag taken off, whatever way it goes: carried by a
 * short text (an int's bytes), apart before a text of 12 bytes (the event moved a slot on) or a
 * longer one, apart at a flush, at a mark of its ring (stream_written), before an order only,
 * after a slot given back; read while its carrier waits for its key; read by the second reader;
 * and written once, in its place, by a producer whose ring is full.
 */
static void test_held_steps(void **state)
{
        stream *s = stream_create(2, 1, STREAM_MIN_SLOTS);
        stream_reader *rd;
        strbuf text = STRBUF_INIT;
        int64_t minus = -42;
        uint64_t w;
        pthread_t th;
        event ev;

        (void)state;
        assert_non_null(s);
        rd = stream_reader_new(s);
        stream_attach(s, 0);
        /* carried by an int's bytes: one slot for both */
        write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_START, 0, 3, -1, -1), 0, -1, 0, NULL, 0);
        stream_hold_step(&stream_mine, 5, EVENT_BEGINS_STEP, 3);
        assert_true(write_direct(
            STREAM_NO_KEY, STREAM_WHAT(EV_CHANGED, STREAM_TEXT_INT | EVENT_BEGINS_STEP, 3, 0, -1),
            0, 6, -1, (const char *)&minus, STREAM_INT_LEN));
        assert_int_equal(stream_written(s, 0), 2);
        /* a text of 12 bytes cannot carry it: the step goes first, apart (the event moved a
         * slot on), and a longer one the same by stream_prepare */
        stream_hold_step(&stream_mine, 7, EVENT_BEGINS_STEP, 3);
        assert_true(write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_PRINT, EVENT_BEGINS_STEP, 3, -1, -1),
                                 0, 8, 0, "twelve bytes", 12));
        assert_int_equal(stream_written(s, 0), 4);
        stream_hold_step(&stream_mine, 17, EVENT_BEGINS_STEP, 3);
        assert_false(write_direct(STREAM_NO_KEY,
                                  STREAM_WHAT(EV_PRINT, EVENT_BEGINS_STEP, 3, -1, -1), 0, 18, 0,
                                  "a text of twenty-nine bytes..", 29));
        assert_int_equal(stream_written(s, 0), 7);
        /* a mark of its own ring counts the step held */
        stream_hold_step(&stream_mine, 11, 0, 3);
        assert_int_equal(stream_written(s, 0), 8);
        /* an order only: the step before it */
        stream_hold_step(&stream_mine, 12, EVENT_BEGINS_STEP, 3);
        stream_order_after(s, 1, 0);
        assert_int_equal(stream_written(s, 0), 10);
        /* a slot given back carries nothing: the step stays held until the flush */
        stream_hold_step(&stream_mine, 13, EVENT_BEGINS_STEP, 3);
        stream_give_back(&stream_mine, stream_begin_any(&stream_mine, 0, 0));
        assert_int_equal(stream_written(s, 0), 12);
        stream_hold_step(&stream_mine, 14, EVENT_BEGINS_STEP, 3);
        stream_flush();
        assert_int_equal(stream_written(s, 0), 13);

        /* the second reader first (the consumer takes a carried step's flag off its slot): the
         * same events */
        for (int k = 0; k < 11; k++) {
                static const int kinds[] = { EV_START, EV_STEP, EV_CHANGED, EV_STEP,
                                             EV_PRINT, EV_STEP, EV_PRINT,   EV_STEP,
                                             EV_STEP,  EV_STEP, EV_STEP };

                assert_int_equal(stream_reader_next(rd, &ev, &text), 1);
                assert_int_equal(ev.kind, kinds[k]);
                assert_int_equal(ev.flags & (STREAM_STEP_BEFORE | STREAM_TEXT_INT), 0);
                if (k == 1)
                        assert_int_equal(ev.stmt, 5);
                if (k == 2)
                        assert_string_equal(ev.text, "-42");
        }
        assert_int_equal(stream_reader_next(rd, &ev, &text), 0);

        next_direct(s, &ev, &text, EV_START, 0, 3, -1, -1, 0, -1, 0);
        next_step(s, &ev, &text, 5, EVENT_BEGINS_STEP, 3);
        next_direct(s, &ev, &text, EV_CHANGED, EVENT_BEGINS_STEP, 3, 0, -1, 0, 6, -1);
        assert_string_equal(ev.text, "-42");
        next_step(s, &ev, &text, 7, EVENT_BEGINS_STEP, 3);
        next_direct(s, &ev, &text, EV_PRINT, EVENT_BEGINS_STEP, 3, -1, -1, 0, 8, 0);
        assert_string_equal(ev.text, "twelve bytes");
        next_step(s, &ev, &text, 17, EVENT_BEGINS_STEP, 3);
        next_direct(s, &ev, &text, EV_PRINT, EVENT_BEGINS_STEP, 3, -1, -1, 0, 18, 0);
        assert_string_equal(ev.text, "a text of twenty-nine bytes..");
        next_step(s, &ev, &text, 11, 0, 3);
        next_step(s, &ev, &text, 12, EVENT_BEGINS_STEP, 3);
        next_step(s, &ev, &text, 13, EVENT_BEGINS_STEP, 3);
        next_step(s, &ev, &text, 14, EVENT_BEGINS_STEP, 3);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);

        /* a carrier that waits for its key: its step is read, then it waits for ring 1's
         * version 0 */
        stream_attach(s, 1);
        write_direct(0, STREAM_WHAT(EV_ACQUIRED, 0, 4, 0, -1), 1, 20, 0, NULL, 0);
        stream_attach(s, 0);
        stream_hold_step(&stream_mine, 15, EVENT_BEGINS_STEP, 3);
        write_direct(0, STREAM_WHAT(EV_ACQUIRED, 0, 3, 0, -1), 1, 16, 0, NULL, 0);
        stream_flush();
        next_step(s, &ev, &text, 15, EVENT_BEGINS_STEP, 3);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_attach(s, 1);
        stream_flush();
        next_direct(s, &ev, &text, EV_ACQUIRED, 0, 4, 0, -1, 1, 20, 0);
        next_direct(s, &ev, &text, EV_ACQUIRED, 0, 3, 0, -1, 1, 16, 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_reader_free(rd);

        /* a full ring: the step written once, before the event that came after it */
        w = producer_waits(s);
        assert_int_equal(pthread_create(&th, NULL, fill_then_carry, s), 0);
        wait_for_waits(s, w + 2);
        for (uint64_t i = 0; i < STREAM_MIN_SLOTS; i++)
                next_direct(s, &ev, &text, EV_CHANGED, 0, 5, 0, -1, (int64_t)i, 0, 0);
        next_step(s, &ev, &text, 9, EVENT_BEGINS_STEP, 5);
        next_direct(s, &ev, &text, EV_RELEASED, EVENT_BEGINS_STEP, 5, 0, -1, -1, 10, 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        /* ... and one that must move its event a slot on to write the step before it */
        w = producer_waits(s);
        assert_int_equal(pthread_create(&th, NULL, fill_then_apart, s), 0);
        wait_for_waits(s, w + 1);
        for (uint64_t i = 0; i + 1 < STREAM_MIN_SLOTS; i++)
                next_direct(s, &ev, &text, EV_CHANGED, 0, 5, 0, -1, (int64_t)i, 0, 0);
        next_step(s, &ev, &text, 19, EVENT_BEGINS_STEP, 5);
        next_direct(s, &ev, &text, EV_PRINT, EVENT_BEGINS_STEP, 5, -1, -1, 0, 20, 0);
        assert_string_equal(ev.text, "twelve bytes");
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        strbuf_free(&text);
        stream_destroy(s);
}

/* A child that holds a step back (and then, with FLAGS 1, writes the event that carries it; with
 * 2, begins a keyed event, its version taken) and dies. */
static void die_holding(stream *s, int ring, int how)
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                stream_attach(s, ring);
                write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_START, 0, 6, -1, -1), 0, -1, 0, NULL, 0);
                stream_hold_step(&stream_mine, 21, EVENT_BEGINS_STEP, 6);
                if (how == 1)
                        write_direct(STREAM_NO_KEY, STREAM_WHAT(EV_SAY, 0, 6, -1, -1), 0, 22, 0,
                                     "x", 1);
                else if (how == 2)
                        stream_begin_any(&stream_mine, 0, 0);
                _exit(3);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
        stream_ring_dead(s, ring);
}

/* A process that dies holding a step: its reaper writes the step (once: not when the event that
 * carried it was written), before the marker of a version it took; one that nobody reaps is given
 * out after the close. */
static void test_dies_holding_a_step(void **state)
{
        stream *s = stream_create(4, 1, STREAM_MIN_SLOTS);
        strbuf text = STRBUF_INIT;
        event ev;

        (void)state;
        assert_non_null(s);
        die_holding(s, 0, 0);
        next_direct(s, &ev, &text, EV_START, 0, 6, -1, -1, 0, -1, 0);
        next_step(s, &ev, &text, 21, EVENT_BEGINS_STEP, 6);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        /* a second reaping writes nothing more */
        stream_ring_dead(s, 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);

        die_holding(s, 1, 1);
        next_direct(s, &ev, &text, EV_START, 0, 6, -1, -1, 0, -1, 0);
        next_step(s, &ev, &text, 21, EVENT_BEGINS_STEP, 6);
        next_direct(s, &ev, &text, EV_SAY, 0, 6, -1, -1, 0, 22, 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);

        /* the step, then the version given up: the key goes on past it */
        die_holding(s, 2, 2);
        next_direct(s, &ev, &text, EV_START, 0, 6, -1, -1, 0, -1, 0);
        next_step(s, &ev, &text, 21, EVENT_BEGINS_STEP, 6);
        stream_attach(s, 3);
        write_direct(0, STREAM_WHAT(EV_ACQUIRED, 0, 7, 0, -1), 1, 23, 0, NULL, 0);
        stream_flush();
        next_direct(s, &ev, &text, EV_ACQUIRED, 0, 7, 0, -1, 1, 23, 0);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        /* the runner dead, its threads with it, nobody to reap them: the consumer gives out a
         * step left held at a ring's end once the stream is closed and everything read */
        stream_hold_step(&stream_mine, 24, EVENT_BEGINS_STEP, 7);
        assert_int_equal(stream_next(s, &ev, &text, 0), 0);
        stream_close(s);
        next_step(s, &ev, &text, 24, EVENT_BEGINS_STEP, 7);
        assert_int_equal(stream_next(s, &ev, &text, 0), -1);
        strbuf_free(&text);
        stream_destroy(s);
}

/* ---- a producer maps its ring's pages ahead ---- */

/* Pages of the ring the calling thread writes that this process has mapped: present in its page
 * table (/proc/self/pagemap's bit 63), whoever put them in memory. */
static size_t ring_pages_mapped(size_t slots)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        uintptr_t a = (uintptr_t)stream_mine.slots & ~(page - 1);
        uintptr_t b = ((uintptr_t)(stream_mine.slots + slots) + page - 1) & ~(page - 1);
        uint64_t entry[1024];
        size_t n = 0, pages = (b - a) / page;
        int fd = open("/proc/self/pagemap", O_RDONLY);

        assert_true(fd >= 0);
        assert_true(pages <= sizeof entry / sizeof entry[0]);
        assert_int_equal(
            pread(fd, entry, pages * sizeof entry[0], (off_t)(a / page * sizeof entry[0])),
            (ssize_t)(pages * sizeof entry[0]));
        close(fd);
        for (size_t i = 0; i < pages; i++)
                n += entry[i] >> 63;
        return n;
}

/*
 * A forked producer writing a fresh ring maps the ring's pages ahead in stretches (a page fault
 * every 64 slots otherwise: a child gets no page table entries for a shared mapping), each as
 * long as what it has mapped, so that one that writes little maps little: after 10 events (one
 * page written) the first 256 slots are mapped, after 8,192 (128 pages) at most 12,288.
 */
static void test_maps_ahead(void **state)
{
        enum { SLOTS = 16384, FEW = 10, MANY = 8192 };
        size_t page = (size_t)sysconf(_SC_PAGESIZE), per_page = page / 64;
        stream *s = stream_create(2, 1, SLOTS);
        void *probe = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        size_t got[2];
        int fd[2], status;
        pid_t pid;

        (void)state;
        assert_non_null(s);
        assert_true(probe != MAP_FAILED);
        if (madvise(probe, page, MADV_POPULATE_WRITE) != 0) {
                munmap(probe, page);
                stream_destroy(s);
                skip(); /* a kernel before 5.14: pages come by faults */
        }
        munmap(probe, page);
        assert_int_equal(pipe(fd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                stream_attach(s, 1);
                for (int i = 0; i < FEW; i++) {
                        event ev = make_event(EV_PRINT, 1, i, "x", 1);

                        stream_publish(s, &ev, STREAM_NO_KEY);
                }
                got[0] = ring_pages_mapped(SLOTS);
                for (int i = FEW; i < MANY; i++) {
                        event ev = make_event(EV_PRINT, 1, i, "x", 1);

                        stream_publish(s, &ev, STREAM_NO_KEY);
                }
                got[1] = ring_pages_mapped(SLOTS);
                stream_flush();
                _exit(write(fd[1], got, sizeof got) == sizeof got ? 0 : 1);
        }
        close(fd[1]);
        assert_int_equal(read(fd[0], got, sizeof got), sizeof got);
        close(fd[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* the ring is not page-aligned: a page more at either end */
        assert_true(got[0] >= 256 / per_page && got[0] <= 256 / per_page + 1);
        assert_true(got[1] >= MANY / per_page && got[1] <= 12288 / per_page + 2);
        stream_destroy(s);
}

/* Whether /proc/cpuinfo's first flags line names FLAG; -1 when it cannot be read. */
static int cpuinfo_has(const char *flag)
{
        FILE *f = fopen("/proc/cpuinfo", "r");
        char line[8192];
        int found = -1;

        if (f == NULL)
                return -1;
        while (fgets(line, sizeof line, f) != NULL) {
                char *words;

                if (strncmp(line, "flags", 5) != 0 || (words = strchr(line, ':')) == NULL)
                        continue;
                found = 0;
                for (char *w = strtok(words + 1, " \n"); w != NULL; w = strtok(NULL, " \n"))
                        if (strcmp(w, flag) == 0)
                                found = 1;
                break;
        }
        fclose(f);
        return found;
}

/* A producer asks for its slots with x86's write prefetch exactly where the CPU has it (the
 * kernel calls the flag 3dnowprefetch): elsewhere the instruction may fault, and a read prefetch
 * leaves the line to be taken from the consumer's core at the first store. (Publishing with it,
 * around the ring many times: test_wraparound.) */
static void test_write_prefetch(void **state)
{
        stream *s = stream_create(1, 0, STREAM_MIN_SLOTS);
        int has = cpuinfo_has("3dnowprefetch");

        (void)state;
        assert_non_null(s);
        stream_attach(s, 0);
#if defined(__x86_64__) || defined(__i386__)
        if (has < 0) {
                stream_destroy(s);
                skip();
        }
        assert_int_equal(stream_mine.prefetchw, has == 1);
#else
        (void)has;
        assert_false(stream_mine.prefetchw);
#endif
        stream_destroy(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_texts),
                cmocka_unit_test(test_create_errors),
                cmocka_unit_test(test_auto_size),
                cmocka_unit_test(test_wraparound),
                cmocka_unit_test(test_merge_by_key),
                cmocka_unit_test(test_publish_after),
                cmocka_unit_test(test_order_after),
                cmocka_unit_test(test_sparse_rings),
                cmocka_unit_test(test_short_texts),
                cmocka_unit_test(test_end_last),
                cmocka_unit_test(test_end_waits_for_written),
                cmocka_unit_test(test_counter_threads),
                cmocka_unit_test(test_counter_processes),
                cmocka_unit_test(test_counter_mixed),
                cmocka_unit_test(test_full_ring_blocks),
                cmocka_unit_test(test_frees_read_slots),
                cmocka_unit_test(test_frees_before_a_wait),
                cmocka_unit_test(test_want_flush_and_arm),
                cmocka_unit_test(test_lazy_arm),
                cmocka_unit_test(test_lazy_arm_stalled),
                cmocka_unit_test(test_settled),
                cmocka_unit_test(test_int_texts),
                cmocka_unit_test(test_begin_end),
                cmocka_unit_test(test_dies_between_begin_and_end),
                cmocka_unit_test(test_close_drains_written),
                cmocka_unit_test(test_timeouts_and_close),
                cmocka_unit_test(test_producer_dies_holding_a_version),
                cmocka_unit_test(test_reader),
                cmocka_unit_test(test_maps_ahead),
                cmocka_unit_test(test_write_prefetch),
                cmocka_unit_test(test_held_steps),
                cmocka_unit_test(test_dies_holding_a_step),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
