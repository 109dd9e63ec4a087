/*
 * test_trace.c — traces: writer -> reader round trips (every event kind, every kind of text, the
 * header), the reader's FILE:LINE:COL errors on bad traces, and junk that must never crash it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/trace.h"
#include "util/xalloc.h"

static const char scenario_text[] =
    "{\"lockstep\": 1, \"title\": \"Trace test\", \"summary\": \"Every event.\",\n"
    " \"constants\": {\"N\": 2, \"MSG\": \"hi\"},\n"
    " \"resources\": {\"room\": {\"type\": \"semaphore\", \"value\": 1},\n"
    "               \"counter\": {\"type\": \"var\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"T-{i}\", \"group\": \"T\", \"count\": \"N\", \"run\": [\n"
    "   {\"with\": \"room\", \"do\": [\n"
    "     {\"let\": \"tmp\", \"value\": \"counter\"},\n"
    "     {\"store\": \"counter\", \"value\": \"tmp + 1\"}]}]}]}\n";

/* Actors called like the runner and the main thread: traces must use their numbers. */
static const char clash_text[] =
    "{\"lockstep\": 1, \"title\": \"Clash\", \"summary\": \"Odd names.\",\n"
    " \"actors\": [{\"name\": \"runner\", \"run\": [{\"print\": \"a\"}]},\n"
    "            {\"name\": \"MainThread\", \"run\": [{\"print\": \"b\"}]}]}\n";

typedef struct fixture {
        scenario *sc;
        const char *source;
} fixture;

static scenario *load(const char *path, const char *text, const char *const *set, int nset)
{
        scenario_options opt = { .set = set, .nset = nset, .cpu_count = 3 };
        diag d;
        scenario *sc;

        diag_init(&d, 20);
        sc = scenario_load_text(path, text, strlen(text), &opt, &d);
        if (sc == NULL)
                diag_print(&d, stderr);
        assert_non_null(sc);
        diag_free(&d);
        return sc;
}

/* Writes a trace of EVS into memory; returns it (free() it) and its length in *LEN. */
static char *write_trace(const scenario *sc, const char *source, const trace_info *info,
                         const event *evs, int n, size_t *len)
{
        char *buf = NULL, err[256] = "";
        FILE *f = open_memstream(&buf, len);
        trace_writer *w;

        assert_non_null(f);
        w = trace_writer_open_stream(f, "mem", sc, source, strlen(source), info, err, sizeof(err));
        if (w == NULL)
                fail_msg("open: %s", err);
        for (int k = 0; k < n; k++)
                trace_write(w, &evs[k]);
        assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
        fclose(f);
        return buf;
}

static const trace_info default_info = { .seed = 42, .mode = "step", .cpu_count = 3 };

static void assert_event_equal(const event *a, const event *b)
{
        assert_int_equal(a->seq, b->seq);
        assert_int_equal(a->t_ns, b->t_ns);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->actor, b->actor);
        assert_int_equal(a->res, b->res);
        assert_int_equal(a->other, b->other);
        assert_int_equal(a->stmt, b->stmt);
        assert_int_equal(a->aux, b->aux);
        assert_true(a->num == b->num);
        assert_int_equal(a->flags, b->flags);
        assert_int_equal(a->len, b->len);
        assert_non_null(b->text);
        assert_memory_equal(a->len ? a->text : "", b->text, a->len);
        assert_int_equal(b->text[b->len], '\0');
}

/* Reads LEN bytes of DATA both ways (trace_reader_set_fast): the same result from every call of
 * trace_read — its return, its event, the count of problems reported. Returns how many events
 * the fast way read. */
static uint64_t read_both_ways(const char *data, size_t len)
{
        trace_reader *r[2];
        diag d[2];
        strbuf text[2] = { STRBUF_INIT, STRBUF_INIT };
        uint64_t fast = 0;
        int guard = 0;

        for (int k = 0; k < 2; k++) {
                diag_init(&d[k], 5);
                r[k] = trace_reader_open_mem("both", data, len, &d[k]);
                if (r[k] != NULL)
                        trace_reader_set_fast(r[k], k == 0);
        }
        assert_int_equal(r[0] == NULL, r[1] == NULL);
        while (r[0] != NULL) {
                event ev[2];
                int rc[2];

                for (int k = 0; k < 2; k++)
                        rc[k] = trace_read(r[k], &ev[k], &text[k], &d[k]);
                assert_int_equal(rc[0], rc[1]);
                assert_int_equal(diag_count(&d[0]), diag_count(&d[1]));
                if (rc[0] == 0)
                        break;
                if (rc[0] == 1)
                        assert_event_equal(&ev[1], &ev[0]);
                assert_true(++guard < 100000);
        }
        if (r[0] != NULL)
                fast = trace_reader_fast_read(r[0]);
        assert_true(r[1] == NULL || trace_reader_fast_read(r[1]) == 0);
        for (int k = 0; k < 2; k++) {
                trace_reader_close(r[k]);
                strbuf_free(&text[k]);
                diag_free(&d[k]);
        }
        return fast;
}

/* Writes EVS, checks every line is valid JSON, reads them back and compares. */
static void round_trip(const scenario *sc, const char *source, const trace_info *info,
                       const event *evs, int n)
{
        size_t len;
        char *buf = write_trace(sc, source, info, evs, n, &len);
        trace_reader *r;
        strbuf text = STRBUF_INIT;
        uint64_t at = 0;
        event got;
        diag d;
        int k = 0, rc;

        for (const char *p = buf; p < buf + len;) {
                const char *nl = memchr(p, '\n', (size_t)(buf + len - p));
                cJSON *j;

                assert_non_null(nl);
                j = cJSON_ParseWithLength(p, (size_t)(nl - p));
                assert_non_null(j);
                cJSON_Delete(j);
                p = nl + 1;
        }
        diag_init(&d, 20);
        r = trace_reader_open_mem("mem.jsonl", buf, len, &d);
        if (r == NULL)
                diag_print(&d, stderr);
        assert_non_null(r);
        while ((rc = trace_read(r, &got, &text, &d)) == 1) {
                assert_true(k < n);
                assert_event_equal(&evs[k], &got);
                /* how far the reading has come: never back, never past the end */
                assert_true(trace_reader_offset(r) >= at && trace_reader_offset(r) <= len);
                at = trace_reader_offset(r);
                k++;
        }
        if (rc != 0)
                diag_print(&d, stderr);
        assert_int_equal(rc, 0);
        assert_int_equal(k, n);
        assert_int_equal(trace_reader_offset(r), len);
        assert_int_equal(trace_read(r, &got, &text, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        trace_reader_close(r);
        assert_true(read_both_ways(buf, len) <= (uint64_t)n);
        strbuf_free(&text);
        diag_free(&d);
        free(buf);
}

static event ev_make(uint64_t seq, event_kind kind, int actor)
{
        event e = { .seq = seq,
                    .t_ns = seq * 1234567 + 89,
                    .kind = (uint8_t)kind,
                    .actor = (int16_t)actor,
                    .res = -1,
                    .other = -1,
                    .stmt = -1,
                    .text = "" };
        return e;
}

static void test_every_kind(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        event evs[EV_KIND_COUNT * 2];
        int n = 0;

        (void)state;
        for (int k = 0; k < EV_KIND_COUNT; k++) {
                event a = ev_make((uint64_t)n + 1, (event_kind)k, k % (sc->nactors + 2) - 1);
                event b;

                evs[n++] = a;
                b = ev_make((uint64_t)n + 1, (event_kind)k, k % 3);
                b.res = (int16_t)(k % 2);
                b.stmt = k % sc->nstmts;
                b.other = (int16_t)(k % (sc->nactors + 1));
                b.aux = k % 2 ? -1 : INT32_MAX - k;
                b.num = k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : -k * 1000003LL;
                b.flags = (uint8_t)(k % 2 ? EVENT_BEGINS_STEP : 255);
                b.text = "with text";
                b.len = 9;
                evs[n++] = b;
        }
        evs[n - 1].t_ns = UINT64_MAX; /* the largest time there is */
        evs[n - 1].seq = UINT64_MAX;
        round_trip(sc, scenario_text, &default_info, evs, n);
        scenario_free(sc);
}

static void test_texts(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
#define T(s)                                                                                       \
        {                                                                                          \
                s, sizeof(s) - 1                                                                   \
        }
        static const struct {
                const char *s;
                uint32_t n;
        } texts[] = {
                T("plain"),
                T("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e"),          /* é ✓ 𝄞 */
                T("\x01\x1f\x7f\n\t\r\b\f\"\\/ quotes \"and\" \\back\\"), /* escapes */
                T("\xff\xfe bad \xc3 end \xed\xa0\x80 surrogate \xc0\xaf overlong "
                  "\xf4\x90\x80\x80"),
                T("a\0b\0"),       /* NUL bytes: len says 4 */
                T("\xe2\x9c"),     /* cut in the middle of a character */
                T("\xef\xbf\xbd"), /* a real U+FFFD */
        };
#undef T
        enum { NT = sizeof(texts) / sizeof(*texts) };
        event evs[NT + 2];
        char *big = xmalloc(EVENT_MAX_TEXT + 1), *bigbad = xmalloc(EVENT_MAX_TEXT + 1);

        (void)state;
        for (int k = 0; k < NT; k++) {
                evs[k] = ev_make((uint64_t)k + 1, EV_PRINT, 0);
                evs[k].text = texts[k].s;
                evs[k].len = texts[k].n;
        }
        for (int k = 0; k < 60 * 1024; k++)
                big[k] = (char)('a' + k % 26);
        big[60 * 1024] = '\0';
        evs[NT] = ev_make(NT + 1, EV_CHANGED, 1);
        evs[NT].text = big;
        evs[NT].len = 60 * 1024;
        for (int k = 0; k < EVENT_MAX_TEXT; k++)
                bigbad[k] = (char)(k * 7 + 1); /* every byte value, valid UTF-8 or not */
        bigbad[EVENT_MAX_TEXT] = '\0';
        evs[NT + 1] = ev_make(NT + 2, EV_PUT, 1);
        evs[NT + 1].text = bigbad;
        evs[NT + 1].len = EVENT_MAX_TEXT;
        round_trip(sc, scenario_text, &default_info, evs, NT + 2);
        free(big);
        free(bigbad);
        scenario_free(sc);
}

/* Plain texts that run across the end of the writer's buffer, at every offset a few hundred
 * events give: each is written whole (the writer once looped for ever when a text left exactly
 * 8 bytes of its buffer free). */
static void test_texts_across_the_buffer(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        enum { N = 400 };
        event *evs = xcalloc(N, sizeof(event));
        char *text = xmalloc(EVENT_MAX_TEXT + 1);

        (void)state;
        memset(text, 'a', EVENT_MAX_TEXT);
        text[EVENT_MAX_TEXT] = '\0';
        for (int k = 0; k < N; k++) {
                evs[k] = ev_make((uint64_t)k + 1, EV_PRINT, 0);
                evs[k].text = text;
                /* 700 bytes, and now and then a long one: the buffer's end falls everywhere */
                evs[k].len = k % 50 == 49 ? (uint32_t)(EVENT_MAX_TEXT - k) : 700u + (uint32_t)k % 7;
        }
        round_trip(sc, scenario_text, &default_info, evs, N);
        free(text);
        free(evs);
        scenario_free(sc);
}

/* Invalid bytes are written as U+FFFD in "text" and exactly in "text_b64"; valid text has no
 * text_b64. */
static void test_text_escaping(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        event evs[3] = { ev_make(1, EV_PRINT, 0), ev_make(2, EV_PRINT, 0),
                         ev_make(3, EV_PRINT, -1) };
        size_t len;
        char *buf;

        (void)state;
        evs[0].text = "ok \"q\" \\ \x01";
        evs[0].len = (uint32_t)strlen(evs[0].text);
        evs[1].text = "a\xff"
                      "b";
        evs[1].len = 3;
        buf = write_trace(sc, scenario_text, &default_info, evs, 3, &len);
        assert_non_null(strstr(buf, "\"text\": \"ok \\\"q\\\" \\\\ \\u0001\"}\n"));
        assert_non_null(strstr(buf, "\"text\": \"a\xef\xbf\xbd"
                                    "b\", \"text_b64\": \"Yf9i\"}\n"));
        assert_non_null(strstr(buf, "{\"seq\": 3, \"t\": 0.003703790, \"actor\": \"runner\", "
                                    "\"ev\": \"print\"}\n"));
        free(buf);
        scenario_free(sc);
}

static void test_header(void **state)
{
        static const char *const set[] = { "N=3", "MSG='caf\xc3\xa9'" };
        const char *path = "dir/\xff\xfe-odd.json"; /* a path that is not UTF-8 */
        scenario *sc = load(path, scenario_text, set, 2);
        trace_info info = {
                .seed = UINT64_MAX, .mode = "live", .set = set, .nset = 2, .cpu_count = 3
        };
        size_t len;
        char *buf = write_trace(sc, scenario_text, &info, NULL, 0, &len);
        const trace_header *h;
        const scenario *rsc;
        trace_reader *r;
        diag d;

        (void)state;
        assert_non_null(strstr(buf, "\"scenario_b64\": "));
        diag_init(&d, 20);
        r = trace_reader_open_mem("mem.jsonl", buf, len, &d);
        if (r == NULL)
                diag_print(&d, stderr);
        assert_non_null(r);
        h = trace_reader_header(r);
        assert_int_equal(h->version, 1);
        assert_non_null(h->lockstep_version);
        assert_string_equal(h->scenario_path, path);
        assert_int_equal(h->source_len, strlen(scenario_text));
        assert_memory_equal(h->source, scenario_text, h->source_len);
        assert_string_equal(h->title, "Trace test");
        assert_true(h->seed == UINT64_MAX);
        assert_string_equal(h->mode, "live");
        assert_int_equal(h->cpu_count, 3);
        assert_int_equal(h->nset, 2);
        assert_string_equal(h->set[0], "N=3");
        assert_string_equal(h->set[1], set[1]);
        assert_int_equal(h->nactors, 4); /* T-0 T-1 T-2 MainThread: --set N=3 applied */
        assert_string_equal(h->actors[2], "T-2");
        assert_string_equal(h->actors[3], "MainThread");
        assert_int_equal(h->nresources, 2);
        assert_string_equal(h->resources[0], "room");
        assert_string_equal(h->resources[1], "counter");
        rsc = trace_reader_scenario(r);
        assert_int_equal(rsc->nactors, 3);
        assert_int_equal(rsc->nstmts, sc->nstmts);
        assert_int_equal(trace_read(r, &(event){ 0 }, &(strbuf)STRBUF_INIT, &d), 0);
        trace_reader_close(r);
        diag_free(&d);
        free(buf);
        scenario_free(sc);
}

/* A set value that is not UTF-8 goes into set_b64 and comes back exactly. */
static void test_header_set_bytes(void **state)
{
        static const char *const set[] = { "MSG='\xff'", "N=1" };
        scenario *sc = load("s.json", scenario_text, set, 2);
        trace_info info = { .seed = 1, .mode = "step", .set = set, .nset = 2, .cpu_count = 3 };
        size_t len;
        char *buf = write_trace(sc, scenario_text, &info, NULL, 0, &len);
        trace_reader *r;
        diag d;

        (void)state;
        assert_non_null(strstr(buf, "\"set_b64\": [\"TVNHPSf/Jw==\", \"Tj0x\"]"));
        diag_init(&d, 20);
        r = trace_reader_open_mem("mem.jsonl", buf, len, &d);
        if (r == NULL)
                diag_print(&d, stderr);
        assert_non_null(r);
        assert_string_equal(trace_reader_header(r)->set[0], set[0]);
        trace_reader_close(r);
        diag_free(&d);
        free(buf);
        scenario_free(sc);
}

static void test_clashing_names(void **state)
{
        scenario *sc = load("c.json", clash_text, NULL, 0);
        event evs[4] = { ev_make(1, EV_START, 0), ev_make(2, EV_START, 1), ev_make(3, EV_JOINED, 2),
                         ev_make(4, EV_END, -1) };
        size_t len;
        char *buf;

        (void)state;
        evs[2].other = 1;
        round_trip(sc, clash_text, &default_info, evs, 4);
        buf = write_trace(sc, clash_text, &default_info, evs, 4, &len);
        assert_non_null(strstr(buf, "\"actor\": 0, \"ev\": \"start\""));
        assert_non_null(strstr(buf, "\"actor\": 2, \"ev\": \"joined\", \"other\": 1}"));
        assert_non_null(strstr(buf, "\"actor\": -1, \"ev\": \"end\""));
        free(buf);
        scenario_free(sc);
}

static char *header_line(void)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        size_t len;
        char *buf = write_trace(sc, scenario_text, &default_info, NULL, 0, &len);

        scenario_free(sc);
        return buf;
}

/* Reads TEXT to its end; asserts an error at LINE and the column of the first occurrence of AT
 * in that line ("" for column 1, NULL for its end) whose message contains WANT. */
static void expect_error(const char *text, size_t len, int line, const char *at, const char *want)
{
        diag d;
        trace_reader *r;
        strbuf sb = STRBUF_INIT;
        event ev;
        int col = 1, found = 0, guard = 0;
        const char *p = text;

        for (int l = 1; l < line; l++)
                p = strchr(p, '\n') + 1;
        if (at == NULL) {
                for (const char *c = p; *c && *c != '\n'; c++)
                        if ((*c & 0xc0) != 0x80)
                                col++;
        } else if (*at) {
                const char *q = strstr(p, at);

                assert_non_null(q);
                for (const char *c = p; c < q; c++)
                        if ((*c & 0xc0) != 0x80)
                                col++;
        }
        diag_init(&d, 50);
        r = trace_reader_open_mem("t.jsonl", text, len, &d);
        if (r != NULL) {
                while (trace_read(r, &ev, &sb, &d) != 0)
                        assert_true(++guard < 1000);
                trace_reader_close(r);
        }
        for (size_t k = 0; k < d.n; k++)
                if (d.items[k].line == line && d.items[k].col == col &&
                    strstr(d.items[k].msg, want) != NULL && strcmp(d.items[k].file, "t.jsonl") == 0)
                        found = 1;
        if (!found) {
                for (size_t k = 0; k < d.n; k++)
                        fprintf(stderr, "got %s:%d:%d: %s\n", d.items[k].file, d.items[k].line,
                                d.items[k].col, d.items[k].msg);
                fail_msg("no error at %d:%d containing '%s'", line, col, want);
        }
        strbuf_free(&sb);
        diag_free(&d);
}

/* The header, then BODY (event lines): expects an error on line LINE (2 = BODY's first). */
static void expect_body_error(const char *body, int line, const char *at, const char *want)
{
        char *head = header_line();
        strbuf sb = STRBUF_INIT;

        strbuf_puts(&sb, head);
        strbuf_puts(&sb, body);
        expect_error(sb.data, sb.len, line, at, want);
        read_both_ways(sb.data, sb.len);
        strbuf_free(&sb);
        free(head);
}

#define GOOD "{\"seq\": 1, \"t\": 0.5, \"actor\": \"T-0\", \"ev\": \"start\"}\n"

static void test_event_errors(void **state)
{
        (void)state;
        expect_body_error(GOOD "{\"seq\": 2, \"t\": 1, \"actor\" \"T-0\"}\n", 3, "\"T-0\"}",
                          "JSON syntax error");
        expect_body_error("not json at all\n", 2, "", "JSON syntax error");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"aquired\"}\n", 2,
                          "\"aquired\"", "unknown event \"aquired\" (did you mean \"acquired\"?)");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-7\", \"ev\": \"start\"}\n", 2,
                          "\"T-7\"", "no actor is called 'T-7'");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": 9, \"ev\": \"start\"}\n", 2, "9,",
                          "\"actor\" must be an integer from -1 to 2");
        expect_body_error(GOOD "{\"seq\": 1, \"t\": 0.5, \"actor\": \"T-1\", \"ev\": \"start\"}\n",
                          3, "1,", "seq must increase");
        expect_body_error(GOOD "{\"seq\": 2, \"t\": 0.25, \"actor\": \"T-1\", \"ev\": \"start\"}\n",
                          3, "0.25", "goes back in time");
        expect_body_error("{\"seq\": \"1\", \"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\"}\n", 2,
                          "\"1\"", "\"seq\" must be an integer from 1");
        expect_body_error("{\"seq\": 1.5, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\"}\n", 2,
                          "1.5", "\"seq\" must be an integer");
        expect_body_error("{\"seq\": 1, \"t\": 1e3, \"actor\": \"T-0\", \"ev\": \"start\"}\n", 2,
                          "1e3", "\"t\" must be seconds");
        expect_body_error("{\"seq\": 1, \"t\": 0.0000000001, \"actor\": \"T-0\", \"ev\": "
                          "\"start\"}\n",
                          2, "0.0", "at most 9 decimals");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": "
                          "5}\n",
                          2, "5}", "\"text\" must be a string, not a number");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"set\", \"aux\": "
                          "2147483648}\n",
                          2, "2147483648", "\"aux\" must be an integer from -2147483648");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"set\", \"num\": "
                          "9223372036854775808}\n",
                          2, "9223372036854775808", "\"num\" must be an integer");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": [], \"ev\": \"start\"}\n", 2, "[]",
                          "must be an actor's name (or number), not an array");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"got\", \"res\": "
                          "\"rom\"}\n",
                          2, "\"rom\"", "no resource is called 'rom' (did you mean 'room'?)");
        expect_body_error(
            "{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\", \"colour\": "
            "1}\n",
            2, "\"colour\"", "unknown key \"colour\"");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\", \"seq\": "
                          "2}\n",
                          2, "\"seq\": 2", "\"seq\" appears twice");
        expect_body_error("{\"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\"}\n", 2, "",
                          "an event needs \"seq\"");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"step\", \"stmt\": "
                          "1, \"line\": 3}\n",
                          2, "3}", "statement 1 is on line 7 of the scenario, not 3");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"step\", \"stmt\": "
                          "99, \"line\": 3}\n",
                          2, "99", "\"stmt\" must be an integer from 0 to 2");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"step\", \"stmt\": "
                          "1}\n",
                          2, "\"stmt\"", "\"stmt\" comes with \"line\"");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"set\", \"flags\": "
                          "256}\n",
                          2, "256", "\"flags\" must be an integer from 0 to 255");
        expect_body_error("[1, 2]\n", 2, "", "a JSON object {...}, not an array");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\"} x\n", 2,
                          "x", "text after the end");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T\xff\", \"ev\": \"start\"}\n", 2,
                          "\xff", "invalid UTF-8 (byte 0xff)");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": "
                          "\"a\\u0000b\"}\n",
                          2, "\\u0000", "\\u0000 in a string");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": "
                          "\"ab\", \"text_b64\": \"Yf9i\"}\n",
                          2, "\"ab\"", "\"text\" does not match \"text_b64\"");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": "
                          "\"ab\", \"text_b64\": \"Y*9i\"}\n",
                          2, "*", "\"text_b64\" is not base64");
        expect_body_error("\n", 2, "", "empty line");
        expect_body_error(GOOD "{\"lockstep_trace\": 1}\n", 3, "", "a second header");
        expect_body_error("{\"seq\": 1, \"t\": 0, \"actor\": \"T-0\", \"ev\": \"start\"}\r\n"
                          "{\"seq\": 2, \"t\": 0, \"actor\": \"nobody\", \"ev\": \"start\"}\r\n",
                          3, "\"nobody\"", "no actor is called");
}

/* BODY after the header: how many events it reads, with no error, and whether it was cut. */
static int read_body(const char *body, bool *cut)
{
        char *head = header_line();
        strbuf sb = STRBUF_INIT, text = STRBUF_INIT;
        trace_reader *r;
        event ev;
        diag d;
        int n = 0, rc;

        strbuf_puts(&sb, head);
        strbuf_puts(&sb, body);
        diag_init(&d, 10);
        r = trace_reader_open_mem("t.jsonl", sb.data, sb.len, &d);
        assert_non_null(r);
        assert_false(trace_reader_cut(r));
        while ((rc = trace_read(r, &ev, &text, &d)) != 0) {
                assert_int_equal(rc, 1);
                n++;
        }
        assert_int_equal(trace_read(r, &ev, &text, &d), 0); /* and stays at its end */
        assert_int_equal(diag_count(&d), 0);
        *cut = trace_reader_cut(r);
        trace_reader_close(r);
        diag_free(&d);
        strbuf_free(&text);
        strbuf_free(&sb);
        free(head);
        return n;
}

/* The fast way takes the lines the writer writes, gives the full way every other line, and both
 * make the same of each (read_both_ways); here which lines are whose, counted. */
static void test_fast_way(void **state)
{
        static const char *const body[] = {
                /* the fast way's: as written, with other spacing, t without decimals */
                GOOD,
                "{\"seq\": 2, \"t\": 0.500000001, \"actor\": \"T-1\", \"ev\": \"changed\", "
                "\"res\": "
                "\"counter\", \"stmt\": 2, \"line\": 8, \"other\": \"T-0\", \"aux\": -1, \"num\": "
                "-9223372036854775808, \"flags\": 255, \"text\": \"'v' [1, 2]\"}\n",
                "{ \"seq\" :3 ,\"t\":1.0,\"actor\":\"runner\",\"ev\":\"print\",\"aux\": -0, "
                "\"text\": \"h\xc3\xa9llo \xe4\xb8\x96\"}  \n",
                "{\"seq\": 4, \"t\": 1.0, \"actor\": \"MainThread\", \"ev\": \"print\", \"text\": "
                "\"\"}\n",
                "{\"seq\": 5, \"t\": 2, \"actor\": \"T-0\", \"ev\": \"start\"}\n",
                /* good lines the full way reads: an escape, an actor's number, a text in base64
                 * too, a tab */
                "{\"seq\": 6, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": "
                "\"a\\\"b\\n\"}\n",
                "{\"seq\": 7, \"t\": 2.0, \"actor\": 1, \"ev\": \"start\"}\n",
                "{\"seq\": 8, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": \"a\", "
                "\"text_b64\": \"YQ==\"}\n",
                "{\"seq\": 9,\t\"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\"}\n",
                /* bad lines: each the full way's, to say what is wrong */
                "{\"seq\": 09, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\"}\n",
                "{\"seq\": 10, \"t\": 02.0, \"actor\": \"T-0\", \"ev\": \"start\"}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\", \"ev\": "
                "\"end\"}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\"} ,\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\", \"flags\": "
                "256}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"step\", \"stmt\": 1, "
                "\"line\": 3}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"print\", \"text\": "
                "\"\xff\"}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"started\"}\n",
                "{\"seq\": 10, \"t\": 1.9, \"actor\": \"T-0\", \"ev\": \"start\"}\n",
                "{\"seq\": 9, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\"}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\", \"num\": "
                "9223372036854775808}\n",
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"start\", \"num\": 1e3}\n",
                /* and the fast way again after them */
                "{\"seq\": 10, \"t\": 2.0, \"actor\": \"T-0\", \"ev\": \"end\"}\n",
        };
        char *head = header_line();
        strbuf sb = STRBUF_INIT;
        bool cut;

        (void)state;
        strbuf_puts(&sb, head);
        for (size_t k = 0; k < sizeof(body) / sizeof(*body); k++)
                strbuf_puts(&sb, body[k]);
        assert_int_equal(read_both_ways(sb.data, sb.len), 6);
        /* the good lines alone: nine events, no error (read_body) */
        strbuf_reset(&sb);
        for (size_t k = 0; k < 9; k++)
                strbuf_puts(&sb, body[k]);
        strbuf_puts(&sb, body[sizeof(body) / sizeof(*body) - 1]);
        assert_int_equal(read_body(sb.data, &cut), 10);
        /* a text of EVENT_MAX_TEXT bytes is the fast way's; one byte more, the full way's error */
        for (size_t extra = 0; extra < 2; extra++) {
                strbuf_reset(&sb);
                strbuf_puts(&sb, head);
                strbuf_puts(&sb, "{\"seq\": 1, \"t\": 0.5, \"actor\": \"T-0\", \"ev\": \"print\", "
                                 "\"text\": \"");
                for (size_t k = 0; k < EVENT_MAX_TEXT + extra; k++)
                        strbuf_append(&sb, "a", 1);
                strbuf_puts(&sb, "\"}\n");
                assert_int_equal(read_both_ways(sb.data, sb.len), 1 - extra);
                if (extra > 0)
                        expect_error(sb.data, sb.len, 2, "\"aaa", "\"text\" is longer than 65536");
        }
        strbuf_free(&sb);
        free(head);
}

/* A last line with no newline at its end was cut short: left out, whatever it holds (even a
 * whole object: its newline never came), and the lines before it read. */
static void test_cut_short(void **state)
{
        bool cut;

        (void)state;
        assert_int_equal(read_body(GOOD "{\"seq\": 2, \"t\": 0.5, \"act", &cut), 1);
        assert_true(cut);
        assert_int_equal(read_body(GOOD "{\"seq\": 2, \"t\": 0.5, \"actor\": \"T-0\", \"ev\": "
                                        "\"exit\"}",
                                   &cut),
                         1);
        assert_true(cut);
        assert_int_equal(read_body("{", &cut), 0);
        assert_true(cut);
        assert_int_equal(read_body(GOOD, &cut), 1);
        assert_false(cut);
        assert_int_equal(read_body("", &cut), 0);
        assert_false(cut);
}

static void test_header_errors(void **state)
{
        char *head = header_line();
        strbuf sb = STRBUF_INIT;
        char *p;

        (void)state;
        expect_error("", 0, 1, "", "empty file");
        expect_error(GOOD, strlen(GOOD), 1, "", "the trace has no header");
        expect_error("{\"hello\": 1}\n", 13, 1, "", "not a lockstep trace");
        expect_error("\x7f"
                     "ELF\x02\x01\x01\n",
                     8, 1, "\x02", "control character 0x02");
        /* a cut-off header */
        {
                char *half = xstrndup(head, strlen(head) / 2);

                expect_error(half, strlen(half), 1, NULL, "the header has no newline");
                free(half);
        }

        /* a wrong version */
        strbuf_puts(&sb, head);
        p = strstr(sb.data, "\"lockstep_trace\": 1") + 18;
        *p = '2';
        expect_error(sb.data, sb.len, 1, "2,", "trace format 2 is newer");
        *p = '1';

        /* actors that do not match the scenario */
        p = strstr(sb.data, "\"T-1\"") + 3;
        *p = '9';
        expect_error(sb.data, sb.len, 1, "[\"T-0\"", "\"actors\" must list the scenario's");
        *p = '1';

        /* a mode that is not one */
        strbuf_reset(&sb);
        strbuf_puts(&sb, head);
        p = strstr(sb.data, "\"step\"");
        memcpy(p, "\"walk\"", 6);
        expect_error(sb.data, sb.len, 1, "\"walk\"", "\"mode\" must be \"live\" or \"step\"");

        /* a source that does not load */
        strbuf_reset(&sb);
        strbuf_puts(&sb, head);
        p = strstr(sb.data, "\\\"lockstep\\\": 1");
        memcpy(p, "\\\"lockstep\\\": 7", 15);
        expect_error(sb.data, sb.len, 1, "\"{\\\"lockstep", "the scenario in \"source\" does not");

        /* a missing field */
        strbuf_reset(&sb);
        strbuf_puts(&sb, head);
        p = strstr(sb.data, "\"seed\"");
        memcpy(p, "\"sead\"", 6);
        expect_error(sb.data, sb.len, 1, "\"sead\"", "unknown key \"sead\" in the header");
        expect_error(sb.data, sb.len, 1, "", "the header needs \"seed\"");

        /* lines past TRACE_MAX_LINE: the header, then an event */
        {
                size_t big = TRACE_MAX_LINE + 100, hl = strlen(head);
                char *huge = xmalloc(hl + big + 1);

                memset(huge, 'x', big);
                huge[big] = '\0';
                expect_error(huge, big, 1, "", "the header line is longer than 8388608 bytes");
                memcpy(huge, head, hl);
                memset(huge + hl, ' ', big);
                huge[hl + big] = '\0';
                expect_error(huge, hl + big, 2, "", "line longer than 8388608 bytes");
                free(huge);
        }

        /* a source with a raw control character (cJSON takes it for a space) */
        strbuf_reset(&sb);
        p = strstr(head, "\\n \\\"constants");
        strbuf_append(&sb, head, (size_t)(p - head));
        strbuf_puts(&sb, "\\u0018");
        strbuf_puts(&sb, p + 2);
        expect_error(sb.data, sb.len, 1, "\"{\\\"lockstep", "holds control character 0x18");

        strbuf_free(&sb);
        free(head);
}

/* Cut a good trace at every length and flip bytes: the reader reports, never crashes. */
static void test_junk(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        event evs[6] = { ev_make(1, EV_START, 0),    ev_make(2, EV_ACQUIRED, 1),
                         ev_make(3, EV_PRINT, 1),    ev_make(4, EV_CHANGED, 2),
                         ev_make(5, EV_RELEASED, 1), ev_make(6, EV_END, -1) };
        size_t len, head_len;
        char *buf, *copy;
        unsigned seed = 12345;

        (void)state;
        evs[1].res = 0;
        evs[1].stmt = 0;
        evs[2].text = "x\xff\x01y";
        evs[2].len = 4;
        evs[3].res = 1;
        evs[3].aux = -1;
        evs[3].text = "'v'";
        evs[3].len = 3;
        buf = write_trace(sc, scenario_text, &default_info, evs, 6, &len);
        head_len = (size_t)(strchr(buf, '\n') - buf) + 1;
        copy = xmalloc(len);
        for (size_t cut = 0; cut <= len; cut += cut < head_len - 40 ? 97 : 1) {
                diag d;
                trace_reader *r;
                strbuf sb = STRBUF_INIT;
                event ev;
                int events = 0, lines = 0, rc;

                diag_init(&d, 5);
                memcpy(copy, buf, cut);
                read_both_ways(copy, cut);
                r = trace_reader_open_mem("cut", copy, cut, &d);
                while (r != NULL && (rc = trace_read(r, &ev, &sb, &d)) != 0)
                        events += rc == 1;
                for (size_t k = 0; k < cut; k++)
                        lines += buf[k] == '\n';
                /* cut in the header: refused; after it, the whole lines read, the cut one left
                 * out */
                if (cut < head_len) {
                        assert_true(diag_count(&d) > 0);
                } else {
                        assert_int_equal(diag_count(&d), 0);
                        assert_int_equal(events, lines - 1);
                        assert_int_equal(trace_reader_cut(r), buf[cut - 1] != '\n');
                }
                trace_reader_close(r);
                strbuf_free(&sb);
                diag_free(&d);
        }
        for (int round = 0; round < 3000; round++) {
                diag d;
                trace_reader *r;
                strbuf sb = STRBUF_INIT;
                event ev;
                int guard = 0;

                memcpy(copy, buf, len);
                for (int k = 0; k < 1 + round % 4; k++) {
                        size_t at;

                        seed = seed * 1103515245 + 12345;
                        /* mostly in the event lines: the header hits the scenario loader */
                        at = round % 5 == 0 ? (seed >> 8) % len
                                            : head_len + (seed >> 8) % (len - head_len);
                        seed = seed * 1103515245 + 12345;
                        copy[at] = (char)(seed >> 16);
                }
                diag_init(&d, 5);
                read_both_ways(copy, len);
                r = trace_reader_open_mem("junk", copy, len, &d);
                while (r != NULL && trace_read(r, &ev, &sb, &d) != 0)
                        assert_true(++guard < 100);
                trace_reader_close(r);
                strbuf_free(&sb);
                diag_free(&d);
        }
        free(copy);
        free(buf);
        scenario_free(sc);
}

/* Reading from a file, and a file that is not there. */
static void test_files(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        char path[] = "/tmp/test_trace_XXXXXX", err[256];
        event evs[2] = { ev_make(1, EV_START, 0), ev_make(2, EV_EXIT, 0) };
        trace_writer *w;
        trace_reader *r;
        strbuf sb = STRBUF_INIT;
        struct stat st;
        event ev;
        diag d;
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        close(fd);
        w = trace_writer_open(path, sc, scenario_text, strlen(scenario_text), &default_info, err,
                              sizeof(err));
        assert_non_null(w);
        trace_write(w, &evs[0]);
        trace_write(w, &evs[1]);
        assert_false(trace_writer_failed(w));
        assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
        diag_init(&d, 10);
        r = trace_reader_open(path, &d);
        assert_non_null(r);
        assert_int_equal(trace_read(r, &ev, &sb, &d), 1);
        assert_event_equal(&evs[0], &ev);
        assert_int_equal(trace_read(r, &ev, &sb, &d), 1);
        assert_event_equal(&evs[1], &ev);
        assert_int_equal(trace_reader_line(r), 3);
        assert_int_equal(trace_read(r, &ev, &sb, &d), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(trace_reader_offset(r), st.st_size); /* the whole file read */
        trace_reader_close(r);
        remove(path);
        assert_null(trace_reader_open(path, &d));
        assert_int_equal(diag_count(&d), 1);
        assert_non_null(strstr(d.items[0].msg, "cannot open"));
        diag_free(&d);
        strbuf_free(&sb);
        scenario_free(sc);
}

/* A full disk is reported by close; a bad mode by open. */
static void test_write_errors(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        trace_info bad = default_info;
        char err[256] = "";
        trace_writer *w;
        FILE *full = fopen("/dev/full", "w");

        (void)state;
        bad.mode = "fast";
        assert_null(trace_writer_open("/tmp/never-made.jsonl", sc, scenario_text,
                                      strlen(scenario_text), &bad, err, sizeof(err)));
        assert_non_null(strstr(err, "\"live\" or \"step\""));
        assert_null(trace_writer_open("/nonexistent-dir/x.jsonl", sc, scenario_text,
                                      strlen(scenario_text), &default_info, err, sizeof(err)));
        assert_non_null(strstr(err, "cannot create"));
        if (full != NULL) {
                w = trace_writer_open_stream(full, "/dev/full", sc, scenario_text,
                                             strlen(scenario_text), &default_info, err,
                                             sizeof(err));
                assert_non_null(w);
                for (uint64_t k = 1; k <= 20000; k++) {
                        event e = ev_make(k, EV_STEP, 0);

                        trace_write(w, &e);
                }
                assert_true(trace_writer_failed(w));
                assert_int_equal(trace_writer_close(w, err, sizeof(err)), -1);
                assert_non_null(strstr(err, "No space left on device"));
                fclose(full);
        }
        scenario_free(sc);
}

/* The byte cap: the writer stops before the line that could go past it, refuses every later
 * event, still writes END, and the file is a valid trace of the prefix (within the cap plus
 * the END line). */
static void test_byte_cap(void **state)
{
        scenario *sc = load("s.json", scenario_text, NULL, 0);
        char *buf = NULL, err[256];
        size_t len = 0, written = 0;
        FILE *f = open_memstream(&buf, &len);
        trace_writer *w = trace_writer_open_stream(
            f, "mem", sc, scenario_text, strlen(scenario_text), &default_info, err, sizeof(err));
        const uint64_t cap = 64 << 10;
        uint64_t k, header = trace_writer_bytes(w);
        trace_reader *r;
        strbuf sb = STRBUF_INIT;
        event ev, end = ev_make(1000000, EV_END, -1);
        diag d;

        (void)state;
        assert_false(trace_writer_capped(w));
        trace_writer_set_max_bytes(w, cap);
        for (k = 1; k <= 100000; k++) {
                event e = ev_make(k, EV_PRINT, 0);

                e.text = "a line of output";
                e.len = 16;
                if (trace_write(w, &e) == TRACE_CAPPED)
                        break;
                written++;
        }
        assert_true(trace_writer_capped(w));
        assert_true(written > 100 && k < 100000);
        assert_true(trace_writer_bytes(w) <= cap);
        assert_true(trace_writer_bytes(w) > header);
        /* later events are refused even when small; END is written */
        {
                event e = ev_make(k + 1, EV_STEP, 0);

                assert_int_equal(trace_write(w, &e), TRACE_CAPPED);
        }
        assert_int_equal(trace_write(w, &end), 0);
        assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
        fclose(f);
        assert_true(len > cap - 1024 && len <= cap + 200);
        /* the file reads back: every event written, then END */
        diag_init(&d, 10);
        r = trace_reader_open_mem("mem", buf, len, &d);
        assert_non_null(r);
        for (size_t n = 0; n < written; n++)
                assert_int_equal(trace_read(r, &ev, &sb, &d), 1);
        assert_int_equal(trace_read(r, &ev, &sb, &d), 1);
        assert_int_equal(ev.kind, EV_END);
        assert_int_equal(trace_read(r, &ev, &sb, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        trace_reader_close(r);
        diag_free(&d);
        strbuf_free(&sb);
        free(buf);
        scenario_free(sc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_kind),
                cmocka_unit_test(test_texts),
                cmocka_unit_test(test_texts_across_the_buffer),
                cmocka_unit_test(test_text_escaping),
                cmocka_unit_test(test_header),
                cmocka_unit_test(test_header_set_bytes),
                cmocka_unit_test(test_clashing_names),
                cmocka_unit_test(test_event_errors),
                cmocka_unit_test(test_fast_way),
                cmocka_unit_test(test_cut_short),
                cmocka_unit_test(test_header_errors),
                cmocka_unit_test(test_junk),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_write_errors),
                cmocka_unit_test(test_byte_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
