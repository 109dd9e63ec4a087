/*
 * trace.c — a run's events as JSON Lines; see trace.h and docs/trace-format.md.
 *
 * Writing: every name a line can hold (actors, resources, event words) is escaped once, when the
 * writer opens; an event is then a few memcpys and integer conversions into the writer's own
 * 256 KiB buffer, which goes to the FILE in whole blocks. Only a text needs escaping per event,
 * and it is scanned in runs of plain ASCII.
 *
 * Strings: valid UTF-8 is written as is, `"` `\` and control characters are escaped. A string that
 * is not valid UTF-8, or holds a NUL byte (texts can hold any bytes), is written "lossy" — each
 * such byte as U+FFFD — and its exact bytes follow in base64 under KEY_b64, so every line is valid
 * JSON that any tool reads and the round trip stays exact.
 *
 * Reading: a line is read into a buffer of at most TRACE_MAX_LINE bytes, checked (no NUL, valid
 * UTF-8, no raw control character, no \u0000 escape: cJSON would cut the string there) and parsed
 * with cJSON. Positions — columns for messages, and the raw text of numbers, so that integers are
 * read exactly, never through a double — come from jsonpos for the header and from a one-pass
 * scan of the members for an event line (a flat object; jsonpos per line cost a quarter of the
 * reader's time). The header's source is loaded as a scenario, so stmt ids and lines are checked
 * against the scenario itself.
 */
#include "trace.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../scenario/jsonpos.h"
#include "../util/fdio.h"
#include "../util/outq.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"
#include "config.h"

#define WRITE_BUF      (256 * 1024)
#define READ_BUF       (64 * 1024)
#define MAX_CPUS       (1 << 20)
#define NS_PER_SEC     1000000000ull
#define MAX_EVENT_KEYS 32 /* members of an event line: 12 known, the rest reported */

/* ---- strings: UTF-8, escaping, base64 ---------------------------------------------------- */

/* Bytes in the valid, non-NUL UTF-8 character at S (N bytes available); 0 for a bad byte (a NUL
 * is one: cJSON would cut the string there). */
static size_t text_char(const unsigned char *s, size_t n)
{
        uint32_t cp;

        return s[0] == 0 ? 0 : utf8_decode((const char *)s, n, &cp);
}

static int plain(unsigned char c)
{
        return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Escapes the character at S (not plain) into OUT (at least 6 bytes). Returns the bytes written;
 * *USED gets the input bytes consumed, *BAD is set for a byte that needs base64. */
static size_t escape_one(const unsigned char *s, size_t n, char *out, size_t *used, bool *bad)
{
        static const char hex[] = "0123456789abcdef";
        unsigned c = s[0];
        size_t k;

        *used = 1;
        if (c >= 0x80 || c == 0) {
                k = text_char(s, n);
                if (k > 0) {
                        memcpy(out, s, k);
                        *used = k;
                        return k;
                }
                *bad = true;
                memcpy(out, "\xef\xbf\xbd", 3); /* U+FFFD */
                return 3;
        }
        out[0] = '\\';
        switch (c) {
        case '"': out[1] = '"'; return 2;
        case '\\': out[1] = '\\'; return 2;
        case '\b': out[1] = 'b'; return 2;
        case '\f': out[1] = 'f'; return 2;
        case '\n': out[1] = 'n'; return 2;
        case '\r': out[1] = 'r'; return 2;
        case '\t': out[1] = 't'; return 2;
        default: break;
        }
        memcpy(out + 1, "u00", 3);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
}

/* Appends S as a JSON string (quotes included) to SB; returns true when it was lossy. */
static bool json_string(strbuf *sb, const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;
        bool bad = false;
        size_t i = 0;

        strbuf_putc(sb, '"');
        while (i < n) {
                size_t j = i, used;
                char tmp[8];

                while (j < n && plain(u[j]))
                        j++;
                strbuf_append(sb, s + i, j - i);
                if (j == n)
                        break;
                strbuf_append(sb, tmp, escape_one(u + j, n - j, tmp, &used, &bad));
                i = j + used;
        }
        strbuf_putc(sb, '"');
        return bad;
}

/* The lossy form of S (what "text" holds for bytes that need "text_b64"). */
static void lossy(strbuf *sb, const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;

        for (size_t i = 0; i < n;) {
                size_t k = text_char(u + i, n - i);

                if (k == 0) {
                        strbuf_append(sb, "\xef\xbf\xbd", 3);
                        i++;
                } else {
                        strbuf_append(sb, s + i, k);
                        i += k;
                }
        }
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes the 1-3 bytes at S into 4 characters at OUT. */
static void b64_group(const unsigned char *s, size_t n, char *out)
{
        uint32_t v = (uint32_t)s[0] << 16 | (n > 1 ? (uint32_t)s[1] << 8 : 0) | (n > 2 ? s[2] : 0);

        out[0] = b64[v >> 18];
        out[1] = b64[(v >> 12) & 63];
        out[2] = n > 1 ? b64[(v >> 6) & 63] : '=';
        out[3] = n > 2 ? b64[v & 63] : '=';
}

static int b64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Decodes standard padded base64 into OUT. Returns false (with the offset of the bad character
 * in *BAD) for anything else, or when the result would pass MAX bytes. */
static bool b64_decode(const char *s, size_t n, size_t max, strbuf *out, size_t *bad)
{
        const unsigned char *u = (const unsigned char *)s;

        strbuf_reset(out);
        if (n % 4 != 0) {
                *bad = n;
                return false;
        }
        if (n / 4 * 3 > max + 2) {
                *bad = 0;
                return false;
        }
        for (size_t i = 0; i < n; i += 4) {
                int v[4], pad = 0;
                char bytes[3];

                for (int k = 0; k < 4; k++) {
                        v[k] = b64_value(u[i + k]);
                        if (u[i + k] == '=' && i + 4 == n && k >= 2) {
                                v[k] = 0;
                                pad++;
                        } else if (v[k] < 0 || pad > 0) {
                                *bad = i + (size_t)k;
                                return false;
                        }
                }
                bytes[0] = (char)(v[0] << 2 | v[1] >> 4);
                bytes[1] = (char)((v[1] & 15) << 4 | v[2] >> 2);
                bytes[2] = (char)((v[2] & 3) << 6 | v[3]);
                strbuf_append(out, bytes, (size_t)(3 - pad));
        }
        if (out->len > max) {
                *bad = 0;
                return false;
        }
        if (out->data == NULL)
                strbuf_append(out, "", 0);
        return true;
}

/* ---- writer ------------------------------------------------------------------------------ */

typedef struct frag {
        char *s; /* a JSON value, ready to copy: "name" or a number */
        size_t n;
} frag;

struct trace_writer {
        FILE *f;
        int fd; /* f's descriptor, written through q; -1 (a memory stream): f, with fwrite */
        outq q; /* what waits for a slow reader (a FIFO): written only as it is taken */
        bool own;
        char *name;
        char *buf;
        size_t len, cap;
        size_t fixed_max; /* room an event needs before its text */
        int err;          /* errno of the first failed write; -1 for an unknown cause */
        frag *actors;     /* actor number + 1 (the runner first) */
        int nactors;      /* with main and the runner */
        frag *res;
        int nres;
        frag kinds[EV_KIND_COUNT];
        int *lines; /* statement id -> line */
        int nstmts;
        uint64_t last_seq, last_t;
        bool any;
        uint64_t flushed;   /* bytes handed to the file so far */
        uint64_t max_bytes; /* the cap: see trace_write */
        bool capped;
        size_t cut; /* bytes dropped unwritten (trace_writer_cut) */
};

/* Writes what waits as far as the file takes it now. */
static void push(trace_writer *w)
{
        if (w->fd >= 0 && outq_write(&w->q) < 0 && w->err == 0)
                w->err = outq_error(&w->q, w->fd) != 0 ? outq_error(&w->q, w->fd) : -1;
}

static void flush_buf(trace_writer *w)
{
        if (w->len > 0 && w->err == 0 && w->fd < 0 && fwrite(w->buf, 1, w->len, w->f) != w->len)
                w->err = errno ? errno : -1;
        if (w->len > 0 && w->err == 0 && w->fd >= 0) {
                outq_put(&w->q, w->fd, w->buf, w->len);
                push(w);
        }
        w->flushed += w->len;
        w->len = 0;
}

static void reserve(trace_writer *w, size_t n)
{
        if (w->cap - w->len < n)
                flush_buf(w);
}

static void put(trace_writer *w, const char *s, size_t n)
{
        while (n > 0) {
                size_t k;

                if (w->len == w->cap)
                        flush_buf(w);
                k = w->cap - w->len < n ? w->cap - w->len : n;
                memcpy(w->buf + w->len, s, k);
                w->len += k;
                s += k;
                n -= k;
        }
}

#define PUT_LIT(w, lit) put((w), (lit), sizeof(lit) - 1)

/* Writes S as a JSON string, escaping on the fly; returns true when it was lossy. */
static bool put_string(trace_writer *w, const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;
        bool bad = false;
        size_t i = 0;

        reserve(w, 8);
        w->buf[w->len++] = '"';
        while (i < n) {
                size_t stop, j = i, used;

                /* room for an escape (at most 6 bytes) and at least one plain byte: with exactly
                 * 8 free, the plain run below could take none, and the loop would not move */
                if (w->cap - w->len <= 8)
                        flush_buf(w);
                stop = i + (n - i < w->cap - w->len - 8 ? n - i : w->cap - w->len - 8);
                while (j < stop && plain(u[j]))
                        j++;
                memcpy(w->buf + w->len, s + i, j - i);
                w->len += j - i;
                i = j;
                if (i == n || plain(u[i]))
                        continue;
                w->len += escape_one(u + i, n - i, w->buf + w->len, &used, &bad);
                i += used;
        }
        reserve(w, 1);
        w->buf[w->len++] = '"';
        return bad;
}

static void put_b64(trace_writer *w, const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;

        reserve(w, 1);
        w->buf[w->len++] = '"';
        for (size_t i = 0; i < n; i += 3) {
                reserve(w, 4);
                b64_group(u + i, n - i < 3 ? n - i : 3, w->buf + w->len);
                w->len += 4;
        }
        reserve(w, 1);
        w->buf[w->len++] = '"';
}

/* Writes `, "KEY": "S"` and, when S is lossy, `, "KEY_b64": "..."`. */
static void put_field(trace_writer *w, const char *key, const char *s, size_t n)
{
        PUT_LIT(w, ", \"");
        put(w, key, strlen(key));
        PUT_LIT(w, "\": ");
        if (put_string(w, s, n)) {
                PUT_LIT(w, ", \"");
                put(w, key, strlen(key));
                PUT_LIT(w, "_b64\": ");
                put_b64(w, s, n);
        }
}

/* Integer conversions into a buffer with room; they return the end. */
static char *fmt_u64(char *p, uint64_t v)
{
        char tmp[20];
        int n = 0;

        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v > 0);
        while (n > 0)
                *p++ = tmp[--n];
        return p;
}

static char *fmt_i64(char *p, int64_t v)
{
        if (v < 0) {
                *p++ = '-';
                return fmt_u64(p, (uint64_t)0 - (uint64_t)v);
        }
        return fmt_u64(p, (uint64_t)v);
}

static char *fmt_lit(char *p, const char *s, size_t n)
{
        memcpy(p, s, n);
        return p + n;
}

#define FMT_LIT(p, lit) fmt_lit((p), (lit), sizeof(lit) - 1)

static void put_u64(trace_writer *w, uint64_t v)
{
        reserve(w, 24);
        w->len = (size_t)(fmt_u64(w->buf + w->len, v) - w->buf);
}

static frag make_frag(const char *s, int number, bool as_number)
{
        strbuf sb = STRBUF_INIT;
        frag f;

        if (as_number)
                strbuf_printf(&sb, "%d", number);
        else
                json_string(&sb, s, strlen(s));
        f.n = sb.len;
        f.s = strbuf_detach(&sb);
        return f;
}

static void collect_line(const sc_stmt *s, void *ctx)
{
        trace_writer *w = ctx;

        if (s->id >= 0 && s->id < w->nstmts)
                w->lines[s->id] = s->line;
}

/* Whether actor A's name is also another actor's or the runner's: then traces use its number. */
static bool ambiguous_actor(const scenario *sc, int a)
{
        const char *name = a < sc->nactors ? sc->actors[a].name : TRACE_MAIN_NAME;

        if (strcmp(name, TRACE_RUNNER_NAME) == 0)
                return true;
        for (int b = 0; b <= sc->nactors; b++)
                if (b != a &&
                    strcmp(name, b < sc->nactors ? sc->actors[b].name : TRACE_MAIN_NAME) == 0)
                        return true;
        return false;
}

static void free_writer(trace_writer *w)
{
        for (int k = 0; k < w->nactors; k++)
                free(w->actors[k].s);
        for (int k = 0; k < w->nres; k++)
                free(w->res[k].s);
        for (int k = 0; k < EV_KIND_COUNT; k++)
                free(w->kinds[k].s);
        free(w->actors);
        free(w->res);
        free(w->lines);
        free(w->buf);
        free(w->name);
        outq_free(&w->q);
        free(w);
}

static void write_header(trace_writer *w, const scenario *sc, const char *source, size_t source_len,
                         const trace_info *info, int cpus)
{
        bool lossy_set = false;

        PUT_LIT(w, "{\"lockstep_trace\": 1, \"lockstep_version\": ");
        put_string(w, LOCKSTEP_VERSION, strlen(LOCKSTEP_VERSION));
        put_field(w, "scenario", sc->path, strlen(sc->path));
        PUT_LIT(w, ", \"title\": ");
        put_string(w, sc->title, strlen(sc->title));
        PUT_LIT(w, ", \"seed\": ");
        put_u64(w, info->seed);
        PUT_LIT(w, ", \"mode\": ");
        put_string(w, info->mode, strlen(info->mode));
        PUT_LIT(w, ", \"cpu_count\": ");
        put_u64(w, (uint64_t)cpus);
        PUT_LIT(w, ", \"set\": [");
        for (int k = 0; k < info->nset; k++) {
                if (k > 0)
                        PUT_LIT(w, ", ");
                lossy_set |= put_string(w, info->set[k], strlen(info->set[k]));
        }
        PUT_LIT(w, "]");
        if (lossy_set) {
                PUT_LIT(w, ", \"set_b64\": [");
                for (int k = 0; k < info->nset; k++) {
                        if (k > 0)
                                PUT_LIT(w, ", ");
                        put_b64(w, info->set[k], strlen(info->set[k]));
                }
                PUT_LIT(w, "]");
        }
        PUT_LIT(w, ", \"actors\": [");
        for (int a = 0; a <= sc->nactors; a++) {
                const char *name = a < sc->nactors ? sc->actors[a].name : TRACE_MAIN_NAME;

                if (a > 0)
                        PUT_LIT(w, ", ");
                put_string(w, name, strlen(name));
        }
        PUT_LIT(w, "], \"resources\": [");
        for (int k = 0; k < sc->nresources; k++) {
                if (k > 0)
                        PUT_LIT(w, ", ");
                put_string(w, sc->resources[k].name, strlen(sc->resources[k].name));
        }
        PUT_LIT(w, "], \"source\": ");
        put_string(w, source, source_len);
        PUT_LIT(w, "}\n");
}

/* Checks what a writer is given; false with a message in ERR. */
static bool check_open(const char *name, const scenario *sc, const char *source, size_t source_len,
                       const trace_info *info, char *err, size_t errlen)
{
        size_t total = 0;

        if (info->mode == NULL ||
            (strcmp(info->mode, "live") != 0 && strcmp(info->mode, "step") != 0)) {
                diag_set_err(err, errlen, "%s: the mode must be \"live\" or \"step\"", name);
                return false;
        }
        if (info->nset < 0 || info->nset > TRACE_MAX_SET) {
                diag_set_err(err, errlen, "%s: a trace holds at most %d --set values", name,
                             TRACE_MAX_SET);
                return false;
        }
        for (int k = 0; k < info->nset; k++)
                total += strlen(info->set[k]);
        if (total > TRACE_MAX_SET_BYTES) {
                diag_set_err(err, errlen, "%s: the --set values of a trace hold at most %d bytes",
                             name, TRACE_MAX_SET_BYTES);
                return false;
        }
        if (strlen(sc->path) > TRACE_MAX_PATH) {
                diag_set_err(err, errlen, "%s: the scenario path is longer than %d bytes", name,
                             TRACE_MAX_PATH);
                return false;
        }
        if (source == NULL || source_len > SC_MAX_FILE_BYTES) {
                diag_set_err(err, errlen,
                             "%s: the scenario's source must be given (at most %d bytes)", name,
                             SC_MAX_FILE_BYTES);
                return false;
        }
        return true;
}

trace_writer *trace_writer_open_stream(FILE *f, const char *name, const scenario *sc,
                                       const char *source, size_t source_len,
                                       const trace_info *info, char *err, size_t errlen)
{
        trace_writer *w;
        size_t longest = 0;
        long cpus = info->cpu_count;

        if (!check_open(name, sc, source, source_len, info, err, errlen))
                return NULL;
        if (cpus <= 0)
                cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (cpus < 1)
                cpus = 1;
        if (cpus > MAX_CPUS)
                cpus = MAX_CPUS;

        w = xcalloc(1, sizeof(*w));
        w->f = f;
        w->fd = fileno(f);
        w->max_bytes = TRACE_MAX_BYTES;
        w->name = xstrdup(name);
        w->nactors = sc->nactors + 2;
        w->actors = xcalloc((size_t)w->nactors, sizeof(frag));
        w->actors[0] = make_frag(TRACE_RUNNER_NAME, EVENT_RUNNER, false);
        for (int a = 0; a < sc->nactors; a++)
                if (strcmp(sc->actors[a].name, TRACE_RUNNER_NAME) == 0) {
                        free(w->actors[0].s);
                        w->actors[0] = make_frag(NULL, EVENT_RUNNER, true);
                }
        for (int a = 0; a <= sc->nactors; a++) {
                const char *an = a < sc->nactors ? sc->actors[a].name : TRACE_MAIN_NAME;

                w->actors[a + 1] = make_frag(an, a, ambiguous_actor(sc, a));
        }
        w->nres = sc->nresources;
        w->res = xcalloc((size_t)w->nres + 1, sizeof(frag));
        for (int k = 0; k < w->nres; k++)
                w->res[k] = make_frag(sc->resources[k].name, k, false);
        for (int k = 0; k < EV_KIND_COUNT; k++)
                w->kinds[k] = make_frag(event_kind_word((event_kind)k), k, false);
        for (int a = 0; a < w->nactors; a++)
                longest = w->actors[a].n > longest ? w->actors[a].n : longest;
        w->fixed_max = 2 * longest;
        longest = 0;
        for (int k = 0; k < w->nres; k++)
                longest = w->res[k].n > longest ? w->res[k].n : longest;
        w->fixed_max += longest;
        longest = 0;
        for (int k = 0; k < EV_KIND_COUNT; k++)
                longest = w->kinds[k].n > longest ? w->kinds[k].n : longest;
        w->fixed_max += longest + 512; /* keys, seven numbers, "{", "}\n" */
        w->cap = w->fixed_max * 4 > WRITE_BUF ? w->fixed_max * 4 : WRITE_BUF;
        w->buf = xmalloc(w->cap);
        w->nstmts = sc->nstmts;
        w->lines = xcalloc((size_t)sc->nstmts + 1, sizeof(int));
        for (int k = 0; k < sc->nscripts; k++)
                scenario_walk(&sc->scripts[k].body, collect_line, w);
        write_header(w, sc, source, source_len, info, (int)cpus);
        return w;
}

trace_writer *trace_writer_open(const char *path, const scenario *sc, const char *source,
                                size_t source_len, const trace_info *info, char *err, size_t errlen)
{
        FILE *f;
        trace_writer *w;

        if (!check_open(path, sc, source, source_len, info, err, errlen))
                return NULL;
        f = fdio_fopen(path, "wb");
        if (f == NULL) {
                diag_set_err(err, errlen, "%s: cannot create the trace: %s", path,
                             errno == ENXIO ? "a FIFO that no process reads" : strerror(errno));
                return NULL;
        }
        w = trace_writer_open_stream(f, path, sc, source, source_len, info, err, errlen);
        w->own = true;
        return w;
}

int trace_write(trace_writer *w, const event *ev)
{
        char *p;
        /* the most this line can take: its fixed part, then the text escaped (at most 6 bytes
         * per byte) and, when lossy, in base64 too */
        uint64_t most = w->fixed_max + 64 + (uint64_t)ev->len * 6 + ((uint64_t)ev->len + 2) / 3 * 4;

        if (ev->kind >= EV_KIND_COUNT || ev->actor < -1 || ev->actor >= w->nactors - 1 ||
            ev->res < -1 || ev->res >= w->nres || ev->other < -1 || ev->other >= w->nactors - 1 ||
            ev->stmt < -1 || ev->stmt >= w->nstmts || ev->len > EVENT_MAX_TEXT ||
            (ev->len > 0 && ev->text == NULL))
                xdie("trace_write: event %llu is out of range (kind %u, actor %d, res %d, other "
                     "%d, stmt %d, len %u)",
                     (unsigned long long)ev->seq, (unsigned)ev->kind, ev->actor, ev->res, ev->other,
                     (int)ev->stmt, (unsigned)ev->len);
        if (w->any && (ev->seq <= w->last_seq || ev->t_ns < w->last_t))
                xdie("trace_write: event %llu (t %llu ns) after event %llu (t %llu ns): seq must "
                     "increase and t must not go back",
                     (unsigned long long)ev->seq, (unsigned long long)ev->t_ns,
                     (unsigned long long)w->last_seq, (unsigned long long)w->last_t);
        if (ev->seq == 0)
                xdie("trace_write: seq starts at 1");
        /* the cap: past it nothing more is written, except the END line */
        if (ev->kind != EV_END && (w->capped || w->flushed + w->len + most > w->max_bytes)) {
                w->capped = true;
                return TRACE_CAPPED;
        }
        w->any = true;
        w->last_seq = ev->seq;
        w->last_t = ev->t_ns;

        reserve(w, w->fixed_max);
        p = w->buf + w->len;
        p = FMT_LIT(p, "{\"seq\": ");
        p = fmt_u64(p, ev->seq);
        p = FMT_LIT(p, ", \"t\": ");
        p = fmt_u64(p, ev->t_ns / NS_PER_SEC);
        {
                uint64_t frac = ev->t_ns % NS_PER_SEC;

                *p++ = '.';
                for (int k = 8; k >= 0; k--) { /* nine digits, right to left */
                        p[k] = (char)('0' + frac % 10);
                        frac /= 10;
                }
                p += 9;
        }
        p = FMT_LIT(p, ", \"actor\": ");
        p = fmt_lit(p, w->actors[ev->actor + 1].s, w->actors[ev->actor + 1].n);
        p = FMT_LIT(p, ", \"ev\": ");
        p = fmt_lit(p, w->kinds[ev->kind].s, w->kinds[ev->kind].n);
        if (ev->res >= 0) {
                p = FMT_LIT(p, ", \"res\": ");
                p = fmt_lit(p, w->res[ev->res].s, w->res[ev->res].n);
        }
        if (ev->stmt >= 0) {
                p = FMT_LIT(p, ", \"stmt\": ");
                p = fmt_i64(p, ev->stmt);
                p = FMT_LIT(p, ", \"line\": ");
                p = fmt_i64(p, w->lines[ev->stmt]);
        }
        if (ev->other >= 0) {
                p = FMT_LIT(p, ", \"other\": ");
                p = fmt_lit(p, w->actors[ev->other + 1].s, w->actors[ev->other + 1].n);
        }
        if (ev->aux != 0) {
                p = FMT_LIT(p, ", \"aux\": ");
                p = fmt_i64(p, ev->aux);
        }
        if (ev->num != 0) {
                p = FMT_LIT(p, ", \"num\": ");
                p = fmt_i64(p, ev->num);
        }
        if (ev->flags != 0) {
                p = FMT_LIT(p, ", \"flags\": ");
                p = fmt_u64(p, ev->flags);
        }
        w->len = (size_t)(p - w->buf);
        if (ev->len > 0)
                put_field(w, "text", ev->text, ev->len);
        PUT_LIT(w, "}\n");
        return outq_pending(&w->q) > TRACE_WAIT_MAX ? TRACE_WAITING : 0;
}

void trace_writer_set_max_bytes(trace_writer *w, uint64_t max_bytes)
{
        w->max_bytes = max_bytes > 0 ? max_bytes : TRACE_MAX_BYTES;
}

bool trace_writer_capped(const trace_writer *w)
{
        return w->capped;
}

uint64_t trace_writer_bytes(const trace_writer *w)
{
        return w->flushed + w->len;
}

int trace_writer_flush(trace_writer *w)
{
        flush_buf(w);
        while (w->err == 0 && outq_pending(&w->q) > 0) {
                struct pollfd p = { .fd = w->fd, .events = POLLOUT };

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        w->err = errno;
                push(w);
        }
        if (w->err == 0 && fflush(w->f) != 0)
                w->err = errno ? errno : -1;
        return w->err == 0 ? 0 : -1;
}

size_t trace_writer_waiting(const trace_writer *w)
{
        return outq_pending(&w->q);
}

int trace_writer_fd(const trace_writer *w)
{
        return outq_fd(&w->q);
}

void trace_writer_push(trace_writer *w)
{
        flush_buf(w);
        push(w);
}

void trace_writer_cut(trace_writer *w)
{
        size_t n;

        flush_buf(w);
        push(w);
        n = outq_drop(&w->q, -1, false);
        if (n > 0 && w->err == 0)
                w->cut = n;
}

bool trace_writer_failed(const trace_writer *w)
{
        return w->err != 0;
}

int trace_writer_close(trace_writer *w, char *err, size_t errlen)
{
        int rc;

        if (w == NULL)
                return 0;
        trace_writer_flush(w);
        if (w->err == 0 && ferror(w->f))
                w->err = -1;
        if (w->own && fclose(w->f) != 0 && w->err == 0)
                w->err = errno ? errno : -1;
        rc = w->err == 0 && w->cut == 0 ? 0 : -1;
        if (w->err != 0)
                diag_set_err(err, errlen, "%s: writing the trace failed: %s", w->name,
                             w->err > 0 ? strerror(w->err) : "I/O error");
        else if (w->cut > 0)
                diag_set_err(err, errlen,
                             "%s: the trace ends short: its last %zu bytes were not read before "
                             "lockstep was interrupted",
                             w->name, w->cut);
        free_writer(w);
        return rc;
}

/* ---- reader ------------------------------------------------------------------------------ */

typedef struct name_ix {
        const char *name;
        int index;
        bool ambiguous;
} name_ix;

struct trace_reader {
        char *name;
        FILE *f; /* NULL when reading memory */
        const char *in;
        size_t ipos, ilen;
        char *ibuf;
        bool eof;
        strbuf line;
        int lineno;
        bool newline; /* the line read last ended with '\n' */
        bool done;
        bool cut;           /* the last line had no newline: left out (trace_reader_cut) */
        bool slow_only;     /* trace_reader_set_fast(r, false) */
        uint64_t fast_read; /* events read by fast_event */
        trace_header h;
        scenario *sc;
        int *lines;      /* statement id -> line */
        name_ix *actors; /* sorted by name; the runner included */
        int nactor_ix;
        name_ix *res;
        uint64_t last_seq, last_t;
        bool any;
        strbuf scratch, scratch2;
};

/* One line being checked. */
typedef struct line_ctx {
        trace_reader *r;
        diag *d;
        const char *text;
        size_t len;
        cJSON *root;
        jsonpos *pos;        /* the header: positions of every value */
        const cJSON **items; /* an event (a flat object): its members, with where they start */
        long *keys, *vals;
        int nitems;
        int errors;
} line_ctx;

/* Appends S for a message: at most 40 characters, escaped for the terminal. */
static void shown(strbuf *sb, const char *s, size_t n)
{
        size_t end = utf8_offset(s, n, 40);

        utf8_escape(sb, s, end);
        if (end < n)
                strbuf_puts(sb, "...");
}

__attribute__((format(printf, 3, 0))) static void lerr_v(line_ctx *L, long off, const char *fmt,
                                                         va_list ap)
{
        strbuf sb = STRBUF_INIT;
        int line, col = 1;

        L->errors++;
        if (diag_full(L->d)) { /* only counted: spare the cost of a column */
                diag_error(L->d, L->r->name, L->r->lineno, 0, "-");
                return;
        }
        if (off >= 0)
                jsonpos_linecol(L->text, L->len, (size_t)off, &line, &col);
        strbuf_vprintf(&sb, fmt, ap);
        diag_error(L->d, L->r->name, L->r->lineno, col, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
}

static void lerr(line_ctx *L, long off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void lerr(line_ctx *L, long off, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        lerr_v(L, off, fmt, ap);
        va_end(ap);
}

static int item_index(const line_ctx *L, const cJSON *it)
{
        for (int k = 0; k < L->nitems; k++)
                if (L->items[k] == it)
                        return k;
        return -1;
}

/* Where IT's key starts (its value, for an array element); -1 when unknown. */
static long key_off(const line_ctx *L, const cJSON *it)
{
        long off;
        int k;

        if (L->pos != NULL) {
                off = jsonpos_key_offset(L->pos, it);
                return off >= 0 ? off : jsonpos_value_offset(L->pos, it);
        }
        return (k = item_index(L, it)) >= 0 ? L->keys[k] : -1;
}

static long val_off(const line_ctx *L, const cJSON *it)
{
        int k;

        if (L->pos != NULL)
                return jsonpos_value_offset(L->pos, it);
        return (k = item_index(L, it)) >= 0 ? L->vals[k] : -1;
}

/* The raw text of IT's value (a number's digits). */
static const char *raw_text(const line_ctx *L, const cJSON *it, size_t *n)
{
        long off = val_off(L, it);
        size_t end;

        *n = 0;
        if (off < 0)
                return "";
        end = (size_t)off;
        while (end < L->len && strchr(",]} \t\r\n", L->text[end]) == NULL)
                end++;
        *n = end - (size_t)off;
        return L->text + off;
}

static size_t skip_ws(const char *t, size_t len, size_t i)
{
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
                i++;
        return i;
}

/* From the opening quote at I to just past the closing one (past LEN when there is none). */
static size_t skip_str(const char *t, size_t len, size_t i)
{
        for (i++; i < len && t[i] != '"'; i++)
                if (t[i] == '\\')
                        i++;
        return i + 1;
}

/* Finds where the members of the object that is the line start: key and value offsets, in text
 * order, which is cJSON's order. Returns the number of members, or -1 when the text does not
 * have the shape expected (cJSON accepts a few things strict JSON does not) or more than MAX. */
static int scan_members(const char *t, size_t len, long *keys, long *vals, int max)
{
        size_t i = skip_ws(t, len, 0);
        int n = 0;

        if (i >= len || t[i] != '{')
                return -1;
        i = skip_ws(t, len, i + 1);
        if (i < len && t[i] == '}')
                return 0;
        for (;;) {
                if (i >= len || t[i] != '"' || n == max)
                        return -1;
                keys[n] = (long)i;
                i = skip_ws(t, len, skip_str(t, len, i));
                if (i >= len || t[i] != ':')
                        return -1;
                i = skip_ws(t, len, i + 1);
                if (i >= len)
                        return -1;
                vals[n++] = (long)i;
                if (t[i] == '"') {
                        i = skip_str(t, len, i);
                } else if (t[i] == '{' || t[i] == '[') {
                        int depth = 0;

                        do {
                                if (t[i] == '"') {
                                        i = skip_str(t, len, i);
                                        continue;
                                }
                                depth += t[i] == '{' || t[i] == '[';
                                depth -= t[i] == '}' || t[i] == ']';
                                i++;
                        } while (i < len && depth > 0);
                } else {
                        while (i < len && strchr(",}] \t\r", t[i]) == NULL)
                                i++;
                }
                i = skip_ws(t, len, i);
                if (i < len && t[i] == ',') {
                        i = skip_ws(t, len, i + 1);
                        continue;
                }
                return i < len && t[i] == '}' ? n : -1;
        }
}

/* Reads the next line into r->line. Returns 1 for a line, 0 at the end, -1 for a line past
 * TRACE_MAX_LINE, -2 for a read error. */
static int next_line(trace_reader *r)
{
        size_t total = 0;
        bool too_long = false;

        strbuf_reset(&r->line);
        strbuf_append(&r->line, "", 0);
        for (;;) {
                const char *p, *nl;
                size_t avail, take;

                if (r->ipos == r->ilen) {
                        if (r->f == NULL || r->eof) {
                                r->eof = true;
                        } else {
                                r->ilen = fread(r->ibuf, 1, READ_BUF, r->f);
                                r->ipos = 0;
                                if (r->ilen == 0) {
                                        r->eof = true;
                                        if (ferror(r->f))
                                                return -2;
                                }
                        }
                        if (r->eof) {
                                r->newline = false;
                                if (too_long)
                                        return -1;
                                return total > 0 ? 1 : 0;
                        }
                }
                p = r->in + r->ipos;
                avail = r->ilen - r->ipos;
                nl = memchr(p, '\n', avail);
                take = nl ? (size_t)(nl - p) : avail;
                if (!too_long && total + take > TRACE_MAX_LINE)
                        too_long = true;
                if (!too_long)
                        strbuf_append(&r->line, p, take);
                total += take;
                r->ipos += take + (nl ? 1 : 0);
                if (nl) {
                        r->newline = true;
                        return too_long ? -1 : 1;
                }
                if (too_long)
                        return -1; /* the reader stops here: no need to read the rest */
        }
}

/* Checks and parses r->line into L. Returns true for a JSON object. */
static bool parse_line(line_ctx *L, bool header)
{
        const char *t = L->text, *end = NULL, *nul;
        size_t bad, len = L->len;
        long deep;
        bool in_string = false;

        if (strspn(t, " \t\r") == len) {
                lerr(L, -1, "empty line: every line of a trace is one JSON object");
                return false;
        }
        if ((nul = memchr(t, '\0', len)) != NULL) {
                lerr(L, nul - t, "NUL byte: a trace is a text file");
                return false;
        }
        if (!utf8_valid(t, len, &bad)) {
                lerr(L, (long)bad, "invalid UTF-8 (byte 0x%02x): a trace is UTF-8 text",
                     (unsigned char)t[bad]);
                return false;
        }
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)t[i] < 0x20 && t[i] != '\t' && t[i] != '\r') {
                        lerr(L, (long)i,
                             "control character 0x%02x: JSON allows none outside strings, and "
                             "strings write them as \\u00XX",
                             (unsigned char)t[i]);
                        return false;
                }
        L->root = cJSON_ParseWithLengthOpts(t, len, &end, 0);
        if (L->root == NULL) {
                size_t off = end && end >= t && end <= t + len ? (size_t)(end - t) : 0;

                if (off >= len || strspn(t + off, " \t\r") == len - off) {
                        lerr(L, (long)off,
                             "JSON syntax error: the line ends too early (was the trace cut "
                             "short?)");
                } else {
                        strbuf sb = STRBUF_INIT;

                        shown(&sb, t + off, len - off < 12 ? len - off : 12);
                        lerr(L, (long)off, "JSON syntax error near '%s'", strbuf_str(&sb));
                        strbuf_free(&sb);
                }
                return false;
        }
        while (end < t + len && strchr(" \t\r", *end) != NULL)
                end++;
        if (end < t + len) {
                lerr(L, end - t, "text after the end of the line's JSON object");
                return false;
        }
        if (!cJSON_IsObject(L->root)) {
                lerr(L, (long)strspn(t, " \t\r"),
                     "each line of a trace is a JSON object {...}, not %s",
                     jsonpos_type_name(L->root));
                return false;
        }
        /* cJSON cuts a string at an escaped NUL: refuse \u0000 (exact bytes go in *_b64). */
        for (size_t i = 0, scan = memmem(t, len, "\\u0000", 6) != NULL; scan && i < len; i++) {
                if (t[i] == '"') {
                        in_string = !in_string;
                } else if (in_string && t[i] == '\\') {
                        if (i + 5 < len && t[i + 1] == 'u' && memcmp(t + i + 2, "0000", 4) == 0) {
                                lerr(L, (long)i,
                                     "\\u0000 in a string: a text with NUL bytes is written in "
                                     "KEY_b64");
                                return false;
                        }
                        i++;
                }
        }
        if (header) {
                L->pos = jsonpos_build(t, len, L->root, 64, &deep);
                if (L->pos == NULL) {
                        lerr(L, -1, "this JSON is too unusual to read (try a strict JSON writer)");
                        return false;
                }
                return true;
        }
        for (const cJSON *c = L->root->child; c != NULL; c = c->next) {
                if (L->nitems == MAX_EVENT_KEYS) {
                        lerr(L, -1, "an event has at most %d keys", MAX_EVENT_KEYS);
                        return false;
                }
                L->items[L->nitems++] = c;
        }
        if (scan_members(t, len, L->keys, L->vals, MAX_EVENT_KEYS) != L->nitems) {
                lerr(L, -1, "this JSON is too unusual to read (try a strict JSON writer)");
                return false;
        }
        return true;
}

static void free_line(line_ctx *L)
{
        jsonpos_free(L->pos);
        cJSON_Delete(L->root);
        L->pos = NULL;
        L->root = NULL;
        L->nitems = 0;
}

/* Sorts the members of L->root into OUT by KEYS; reports unknown and repeated keys. */
static void collect(line_ctx *L, const char *const *keys, int nkeys, const cJSON **out,
                    const char *what)
{
        for (int k = 0; k < nkeys; k++)
                out[k] = NULL;
        for (const cJSON *c = L->root->child; c != NULL; c = c->next) {
                int k = 0;

                while (k < nkeys && strcmp(keys[k], c->string) != 0)
                        k++;
                if (k == nkeys) {
                        strbuf sb = STRBUF_INIT;
                        const char *near = diag_suggest(c->string, keys, (size_t)nkeys);

                        shown(&sb, c->string, strlen(c->string));
                        lerr(L, key_off(L, c), "unknown key \"%s\" in %s%s%s%s", strbuf_str(&sb),
                             what, near ? " (did you mean \"" : "", near ? near : "",
                             near ? "\"?)" : "");
                        strbuf_free(&sb);
                } else if (out[k] != NULL) {
                        lerr(L, key_off(L, c), "\"%s\" appears twice", keys[k]);
                } else {
                        out[k] = c;
                }
        }
}

/* The raw text of a number, checked against -?(0|[1-9][0-9]*); its magnitude in *MAG. */
/* An integer's text, N bytes at S, checked against -?(0|[1-9][0-9]*): its sign in *NEG and its
 * magnitude in *MAG; false for any other text, or a magnitude past UINT64_MAX. */
static bool integer_text(const char *s, size_t n, bool *neg, uint64_t *mag)
{
        size_t i = 0;

        *neg = false;
        *mag = 0;
        if (n == 0)
                return false;
        if (s[0] == '-')
                *neg = true, i++;
        if (i == n || (s[i] == '0' && n - i > 1))
                return false;
        for (; i < n; i++) {
                unsigned dgt;

                if (s[i] < '0' || s[i] > '9')
                        return false;
                dgt = (unsigned)(s[i] - '0');
                if (*mag > (UINT64_MAX - dgt) / 10)
                        return false;
                *mag = *mag * 10 + dgt;
        }
        return true;
}

/* IT's number, read from its raw text (integer_text). */
static bool raw_integer(line_ctx *L, const cJSON *it, bool *neg, uint64_t *mag)
{
        size_t n;
        const char *s = raw_text(L, it, &n);

        *neg = false;
        *mag = 0;
        return cJSON_IsNumber(it) && integer_text(s, n, neg, mag);
}

static bool get_int(line_ctx *L, const cJSON *it, const char *key, int64_t min, int64_t max,
                    int64_t *out)
{
        bool neg;
        uint64_t mag;
        int64_t v;

        if (!raw_integer(L, it, &neg, &mag) || (neg && mag > (uint64_t)INT64_MAX + 1) ||
            (!neg && mag > (uint64_t)INT64_MAX)) {
                lerr(L, val_off(L, it), "\"%s\" must be an integer from %lld to %lld, not %s", key,
                     (long long)min, (long long)max,
                     cJSON_IsNumber(it) ? "this number" : jsonpos_type_name(it));
                return false;
        }
        v = neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
        if (v < min || v > max) {
                lerr(L, val_off(L, it), "\"%s\" must be an integer from %lld to %lld", key,
                     (long long)min, (long long)max);
                return false;
        }
        *out = v; /* only when it is good: callers index with it */
        return true;
}

static bool get_u64(line_ctx *L, const cJSON *it, const char *key, uint64_t min, uint64_t *out)
{
        bool neg;
        uint64_t v;

        if (!raw_integer(L, it, &neg, &v) || (neg && v != 0) || v < min) {
                lerr(L, val_off(L, it), "\"%s\" must be an integer from %llu to %llu%s%s", key,
                     (unsigned long long)min, (unsigned long long)UINT64_MAX,
                     cJSON_IsNumber(it) ? "" : ", not ",
                     cJSON_IsNumber(it) ? "" : jsonpos_type_name(it));
                return false;
        }
        *out = v;
        return true;
}

/* "t"'s text, N bytes at S: seconds with at most nine decimals (no exponent, no leading zero),
 * read exactly into nanoseconds in *NS. */
static bool time_text(const char *s, size_t n, uint64_t *ns)
{
        size_t i = 0;
        uint64_t sec = 0, frac = 0, scale = NS_PER_SEC;

        if (n == 0 || (s[0] == '0' && n > 1 && s[1] != '.'))
                return false;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                if (sec > UINT64_MAX / NS_PER_SEC)
                        return false;
                sec = sec * 10 + (uint64_t)(s[i] - '0');
        }
        if (i == 0 || sec > UINT64_MAX / NS_PER_SEC)
                return false;
        if (i < n) {
                if (s[i++] != '.' || i == n || n - i > 9)
                        return false;
                for (; i < n; i++) {
                        if (s[i] < '0' || s[i] > '9')
                                return false;
                        scale /= 10;
                        frac += (uint64_t)(s[i] - '0') * scale;
                }
        }
        if (sec * NS_PER_SEC > UINT64_MAX - frac)
                return false;
        *ns = sec * NS_PER_SEC + frac;
        return true;
}

/* "t": seconds with at most nine decimals, read exactly into nanoseconds. */
static bool get_time(line_ctx *L, const cJSON *it, uint64_t *ns)
{
        size_t n = 0;
        const char *s = cJSON_IsNumber(it) ? raw_text(L, it, &n) : "";

        if (cJSON_IsNumber(it) && time_text(s, n, ns))
                return true;
        lerr(L, val_off(L, it),
             "\"t\" must be seconds since the start, like 1.250000000 (at most 9 decimals, no "
             "exponent)");
        return false;
}

static bool get_string(line_ctx *L, const cJSON *it, const char *key, size_t max, const char **s)
{
        if (!cJSON_IsString(it)) {
                lerr(L, val_off(L, it), "\"%s\" must be a string, not %s", key,
                     jsonpos_type_name(it));
                return false;
        }
        if (strlen(it->valuestring) > max) {
                lerr(L, val_off(L, it), "\"%s\" is longer than %zu bytes", key, max);
                return false;
        }
        *s = it->valuestring;
        return true;
}

/* A string with an optional base64 companion: the exact bytes go into OUT. NUL bytes are
 * refused unless ALLOW_NUL. */
static bool get_exact(line_ctx *L, const cJSON *it, const cJSON *it64, const char *key, size_t max,
                      bool allow_nul, strbuf *out)
{
        const char *s, *enc;
        size_t bad;

        strbuf_reset(out);
        if (!get_string(L, it, key, max * 3, &s))
                return false;
        if (it64 == NULL) {
                if (strlen(s) > max) {
                        lerr(L, val_off(L, it), "\"%s\" is longer than %zu bytes", key, max);
                        return false;
                }
                strbuf_append(out, s, strlen(s));
                return true;
        }
        if (!cJSON_IsString(it64)) {
                lerr(L, val_off(L, it64), "\"%s_b64\" must be a string (base64), not %s", key,
                     jsonpos_type_name(it64));
                return false;
        }
        enc = it64->valuestring;
        if (!b64_decode(enc, strlen(enc), max, out, &bad)) {
                if (bad == 0 && strlen(enc) % 4 == 0)
                        lerr(L, val_off(L, it64), "\"%s_b64\" holds more than %zu bytes", key, max);
                else
                        lerr(L, val_off(L, it64) + 1 + (long)bad,
                             "\"%s_b64\" is not base64 (A-Z a-z 0-9 + /, padded with = to a "
                             "multiple of 4 characters)",
                             key);
                return false;
        }
        if (!allow_nul && memchr(out->data, '\0', out->len) != NULL) {
                lerr(L, val_off(L, it64), "\"%s_b64\" holds a NUL byte", key);
                return false;
        }
        strbuf_reset(&L->r->scratch2);
        lossy(&L->r->scratch2, out->data, out->len);
        if (strcmp(strbuf_str(&L->r->scratch2), s) != 0) {
                lerr(L, val_off(L, it),
                     "\"%s\" does not match \"%s_b64\" (it must hold the same bytes, each one "
                     "that is not UTF-8 as U+FFFD)",
                     key, key);
                return false;
        }
        return true;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const name_ix *)a)->name, ((const name_ix *)b)->name);
}

static name_ix *build_index(const char *const *names, int n, bool runner, int *count)
{
        name_ix *ix = xcalloc((size_t)n + 2, sizeof(name_ix));
        int k = 0;

        for (; k < n; k++)
                ix[k] = (name_ix){ .name = names[k], .index = k };
        if (runner)
                ix[k++] = (name_ix){ .name = TRACE_RUNNER_NAME, .index = EVENT_RUNNER };
        qsort(ix, (size_t)k, sizeof(name_ix), by_name);
        for (int j = 1; j < k; j++)
                if (strcmp(ix[j - 1].name, ix[j].name) == 0)
                        ix[j - 1].ambiguous = ix[j].ambiguous = true;
        *count = k;
        return ix;
}

static const name_ix *find_name(const name_ix *ix, int n, const char *name)
{
        name_ix key = { .name = name };

        return n > 0 ? bsearch(&key, ix, (size_t)n, sizeof(name_ix), by_name) : NULL;
}

/* "actor" and "other": a name from the header (or "runner"), or an actor number. */
static bool get_actor(line_ctx *L, const cJSON *it, const char *key, int *out)
{
        trace_reader *r = L->r;
        int main_actor = r->h.nactors - 1;

        if (cJSON_IsString(it)) {
                const name_ix *e = find_name(r->actors, r->nactor_ix, it->valuestring);
                strbuf sb = STRBUF_INIT;

                if (e != NULL && !e->ambiguous) {
                        *out = e->index;
                        return true;
                }
                shown(&sb, it->valuestring, strlen(it->valuestring));
                if (e != NULL) {
                        lerr(L, val_off(L, it),
                             "\"%s\": the name '%s' belongs to more than one actor: use the "
                             "actor's number",
                             key, strbuf_str(&sb));
                } else {
                        const char *near =
                            diag_suggest(it->valuestring, (const char *const *)r->h.actors,
                                         (size_t)r->h.nactors);

                        lerr(L, val_off(L, it),
                             "\"%s\": no actor is called '%s' (the header's \"actors\" lists "
                             "them; \"runner\" is the runner)%s%s%s",
                             key, strbuf_str(&sb), near ? "; did you mean '" : "", near ? near : "",
                             near ? "'?" : "");
                }
                strbuf_free(&sb);
                return false;
        }
        if (cJSON_IsNumber(it)) {
                int64_t v;

                if (!get_int(L, it, key, -1, main_actor, &v))
                        return false;
                *out = (int)v;
                return true;
        }
        lerr(L, val_off(L, it), "\"%s\" must be an actor's name (or number), not %s", key,
             jsonpos_type_name(it));
        return false;
}

/* What an event line says, read and checked (either way: read_event, fast_event). */
typedef struct line_event {
        uint64_t seq, t;
        int actor, other, res, kind;
        int64_t stmt, aux, num, flags;
} line_event;

#define LINE_EVENT_INIT                                                                            \
        {                                                                                          \
                .actor = EVENT_RUNNER, .other = -1, .res = -1, .kind = -1, .stmt = -1              \
        }

/* GOT into EV, its text TEXT's: the line was good, and the reader's order moves on. */
static void give_event(trace_reader *r, const line_event *got, event *ev, strbuf *text)
{
        r->any = true;
        r->last_seq = got->seq;
        r->last_t = got->t;
        memset(ev, 0, sizeof(*ev));
        ev->seq = got->seq;
        ev->t_ns = got->t;
        ev->kind = (uint8_t)got->kind;
        ev->flags = (uint8_t)got->flags;
        ev->actor = (int16_t)got->actor;
        ev->res = (int16_t)got->res;
        ev->other = (int16_t)got->other;
        ev->stmt = (int32_t)got->stmt;
        ev->aux = (int32_t)got->aux;
        ev->num = got->num;
        strbuf_append(text, "", 0);
        ev->len = (uint32_t)text->len;
        ev->text = text->data;
}

enum {
        E_SEQ,
        E_T,
        E_ACTOR,
        E_EV,
        E_RES,
        E_STMT,
        E_LINE,
        E_OTHER,
        E_AUX,
        E_NUM,
        E_FLAGS,
        E_TEXT,
        E_TEXT_B64,
        E_COUNT
};

static const char *const event_keys[E_COUNT] = {
        "seq",   "t",   "actor", "ev",    "res",  "stmt",     "line",
        "other", "aux", "num",   "flags", "text", "text_b64",
};

static void read_event(line_ctx *L, event *ev, strbuf *text)
{
        trace_reader *r = L->r;
        const cJSON *f[E_COUNT];
        static const int required[] = { E_SEQ, E_T, E_ACTOR, E_EV };
        line_event got = LINE_EVENT_INIT;
        int64_t line = 0;

        if (cJSON_GetObjectItemCaseSensitive(L->root, "lockstep_trace")) {
                lerr(L, -1, "a second header: a trace has one, on line 1");
                return;
        }
        collect(L, event_keys, E_COUNT, f, "an event");
        for (size_t k = 0; k < sizeof(required) / sizeof(*required); k++)
                if (f[required[k]] == NULL)
                        lerr(L, -1, "an event needs \"%s\"", event_keys[required[k]]);
        if (f[E_SEQ] && get_u64(L, f[E_SEQ], "seq", 1, &got.seq) && r->any &&
            got.seq <= r->last_seq)
                lerr(L, val_off(L, f[E_SEQ]),
                     "\"seq\" %llu after %llu: seq must increase from line to line",
                     (unsigned long long)got.seq, (unsigned long long)r->last_seq);
        if (f[E_T] && get_time(L, f[E_T], &got.t) && r->any && got.t < r->last_t)
                lerr(L, val_off(L, f[E_T]),
                     "\"t\" goes back in time (the line before says %llu.%09llu)",
                     (unsigned long long)(r->last_t / NS_PER_SEC),
                     (unsigned long long)(r->last_t % NS_PER_SEC));
        if (f[E_ACTOR])
                get_actor(L, f[E_ACTOR], "actor", &got.actor);
        if (f[E_EV]) {
                const char *w;

                if (get_string(L, f[E_EV], "ev", 64, &w) && (got.kind = event_kind_of(w)) < 0) {
                        const char *words[EV_KIND_COUNT];
                        const char *near;
                        strbuf sb = STRBUF_INIT;

                        for (int k = 0; k < EV_KIND_COUNT; k++)
                                words[k] = event_kind_word((event_kind)k);
                        near = diag_suggest(w, words, EV_KIND_COUNT);
                        shown(&sb, w, strlen(w));
                        lerr(L, val_off(L, f[E_EV]), "unknown event \"%s\"%s%s%s", strbuf_str(&sb),
                             near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
                        strbuf_free(&sb);
                }
        }
        if (f[E_RES]) {
                const char *s;

                if (get_string(L, f[E_RES], "res", SC_MAX_NAME * 4, &s)) {
                        const name_ix *e = find_name(r->res, r->h.nresources, s);

                        if (e != NULL) {
                                got.res = e->index;
                        } else {
                                strbuf sb = STRBUF_INIT;
                                const char *near =
                                    diag_suggest(s, (const char *const *)r->h.resources,
                                                 (size_t)r->h.nresources);

                                shown(&sb, s, strlen(s));
                                lerr(L, val_off(L, f[E_RES]),
                                     "\"res\": no resource is called '%s'%s%s%s", strbuf_str(&sb),
                                     near ? " (did you mean '" : "", near ? near : "",
                                     near ? "'?)" : "");
                                strbuf_free(&sb);
                        }
                }
        }
        if (f[E_STMT]) {
                if (r->sc->nstmts == 0)
                        lerr(L, val_off(L, f[E_STMT]), "\"stmt\": the scenario has no statements");
                else if (get_int(L, f[E_STMT], "stmt", 0, r->sc->nstmts - 1, &got.stmt) &&
                         f[E_LINE] == NULL)
                        lerr(L, key_off(L, f[E_STMT]), "\"stmt\" comes with \"line\"");
        }
        if (f[E_LINE]) {
                if (f[E_STMT] == NULL)
                        lerr(L, key_off(L, f[E_LINE]), "\"line\" comes with \"stmt\"");
                else if (get_int(L, f[E_LINE], "line", 1, INT32_MAX, &line) && got.stmt >= 0 &&
                         line != r->lines[got.stmt])
                        lerr(L, val_off(L, f[E_LINE]),
                             "statement %lld is on line %d of the scenario, not %lld",
                             (long long)got.stmt, r->lines[got.stmt], (long long)line);
        }
        if (f[E_OTHER])
                get_actor(L, f[E_OTHER], "other", &got.other);
        if (f[E_AUX])
                get_int(L, f[E_AUX], "aux", INT32_MIN, INT32_MAX, &got.aux);
        if (f[E_NUM])
                get_int(L, f[E_NUM], "num", INT64_MIN, INT64_MAX, &got.num);
        if (f[E_FLAGS])
                get_int(L, f[E_FLAGS], "flags", 0, UINT8_MAX, &got.flags);
        if (f[E_TEXT_B64] && f[E_TEXT] == NULL)
                lerr(L, key_off(L, f[E_TEXT_B64]), "\"text_b64\" comes with \"text\"");
        else if (f[E_TEXT])
                get_exact(L, f[E_TEXT], f[E_TEXT_B64], "text", EVENT_MAX_TEXT, true, text);
        if (L->errors > 0)
                return;
        if (f[E_TEXT] == NULL)
                strbuf_reset(text);
        give_event(r, &got, ev, text);
}

/* ---- the fast way: a line as the writer writes it ------------------------------------------
 *
 * Nearly every line of a trace is one trace_write wrote: a flat object of known keys whose
 * values are plain strings (no escapes) and integers. fast_event reads such a line in one pass,
 * without cJSON's tree of allocations (a replay of a million events was ~1.3 s of cJSON and
 * checks). It gives up — returns false, having changed nothing — at anything else (an escape,
 * another number's form, an unknown or repeated key, a value out of range, a name it does not
 * know), and trace_read then reads the line the full way, which says what is wrong, if anything.
 * So it must accept only lines the full way accepts, and make of them the same event: the unit
 * test and the trace fuzzer compare the two ways on every line they have.
 */

typedef struct fast_span {
        const char *s;
        size_t n;
        bool present;
        bool string; /* a string (else an integer's or t's digits) */
} fast_span;

/* The string at T[I] (its opening quote): its bytes in *SP, and the index past the closing
 * quote; 0 when it is not a plain one (an escape, a control character, invalid UTF-8). */
static size_t fast_string(const char *t, size_t len, size_t i, fast_span *sp)
{
        size_t start = ++i;
        bool high = false;

        for (; i < len && t[i] != '"'; i++) {
                unsigned char c = (unsigned char)t[i];

                if (c < 0x20 || c == '\\')
                        return 0;
                high |= c >= 0x80;
        }
        if (i >= len || (high && !utf8_valid(t + start, i - start, &(size_t){ 0 })))
                return 0;
        *sp = (fast_span){ .s = t + start, .n = i - start, .present = true, .string = true };
        return i + 1;
}

/* An integer's text, as get_int reads it (integer_text), from MIN to MAX (a seq past INT64_MAX,
 * which get_u64 takes, goes the full way). */
static bool fast_integer(const fast_span *sp, int64_t min, int64_t max, int64_t *out)
{
        bool neg;
        uint64_t mag;
        int64_t v;

        if (sp->string || !integer_text(sp->s, sp->n, &neg, &mag) ||
            (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX))
                return false;
        v = neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
        if (v < min || v > max)
                return false;
        *out = v;
        return true;
}

/* A name the header lists (an actor's, a resource's), as find_name looks it up. */
static const name_ix *fast_name(const name_ix *ix, int n, const fast_span *sp)
{
        char buf[4 * SC_MAX_NAME + 1];

        if (!sp->string || sp->n >= sizeof(buf))
                return NULL;
        memcpy(buf, sp->s, sp->n);
        buf[sp->n] = '\0';
        return find_name(ix, n, buf);
}

static bool fast_actor(const trace_reader *r, const fast_span *sp, int *out)
{
        const name_ix *e = fast_name(r->actors, r->nactor_ix, sp);

        if (e == NULL || e->ambiguous)
                return false;
        *out = e->index;
        return true;
}

/* "t", as get_time reads it. */
static bool fast_time(const fast_span *sp, uint64_t *ns)
{
        return !sp->string && time_text(sp->s, sp->n, ns);
}

/* Reads line T (LEN bytes) into EV and TEXT when it is a writer's plain line (above). */
static bool fast_event(trace_reader *r, const char *t, size_t len, event *ev, strbuf *text)
{
        fast_span f[E_COUNT] = { 0 };
        size_t i = 0;
        int k = E_COUNT - 1; /* the key found last */
        line_event got = LINE_EVENT_INIT;
        int64_t seq, line = 0;
        const name_ix *e;
        char word[65];

        while (i < len && t[i] == ' ')
                i++;
        if (i >= len || t[i++] != '{')
                return false;
        for (;;) {
                fast_span key;
                int tries;

                while (i < len && t[i] == ' ')
                        i++;
                if (i >= len || t[i] != '"' || (i = fast_string(t, len, i, &key)) == 0)
                        return false;
                /* the writer's keys come in event_keys' order: look from after the last one */
                for (tries = 0, k = (k + 1) % E_COUNT; tries < E_COUNT;
                     tries++, k = (k + 1) % E_COUNT)
                        if (key.n > 0 && event_keys[k][0] == key.s[0] &&
                            strncmp(event_keys[k], key.s, key.n) == 0 &&
                            event_keys[k][key.n] == '\0')
                                break;
                if (tries == E_COUNT || k == E_TEXT_B64 || f[k].present)
                        return false;
                while (i < len && t[i] == ' ')
                        i++;
                if (i >= len || t[i++] != ':')
                        return false;
                while (i < len && t[i] == ' ')
                        i++;
                if (i >= len)
                        return false;
                if (t[i] == '"') {
                        if ((i = fast_string(t, len, i, &f[k])) == 0)
                                return false;
                } else {
                        size_t start = i;

                        while (i < len &&
                               ((t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '.'))
                                i++;
                        f[k] = (fast_span){ .s = t + start, .n = i - start, .present = true };
                }
                while (i < len && t[i] == ' ')
                        i++;
                if (i < len && t[i] == ',') {
                        i++;
                        continue;
                }
                if (i >= len || t[i++] != '}')
                        return false;
                break;
        }
        while (i < len && t[i] == ' ')
                i++;
        if (i < len || !f[E_SEQ].present || !f[E_T].present || !f[E_ACTOR].present ||
            !f[E_EV].present)
                return false;
        /* the same checks as read_event's, in its order */
        if (!fast_integer(&f[E_SEQ], 1, INT64_MAX, &seq) ||
            (r->any && (uint64_t)seq <= r->last_seq))
                return false;
        got.seq = (uint64_t)seq;
        if (!fast_time(&f[E_T], &got.t) || (r->any && got.t < r->last_t))
                return false;
        if (!fast_actor(r, &f[E_ACTOR], &got.actor))
                return false;
        if (!f[E_EV].string || f[E_EV].n >= sizeof(word))
                return false;
        memcpy(word, f[E_EV].s, f[E_EV].n);
        word[f[E_EV].n] = '\0';
        if ((got.kind = event_kind_of(word)) < 0)
                return false;
        if (f[E_RES].present) {
                if (f[E_RES].n > SC_MAX_NAME * 4 ||
                    (e = fast_name(r->res, r->h.nresources, &f[E_RES])) == NULL)
                        return false;
                got.res = e->index;
        }
        if (f[E_STMT].present != f[E_LINE].present)
                return false;
        if (f[E_STMT].present &&
            (r->sc->nstmts == 0 || !fast_integer(&f[E_STMT], 0, r->sc->nstmts - 1, &got.stmt) ||
             !fast_integer(&f[E_LINE], 1, INT32_MAX, &line) || line != r->lines[got.stmt]))
                return false;
        if (f[E_OTHER].present && !fast_actor(r, &f[E_OTHER], &got.other))
                return false;
        if ((f[E_AUX].present && !fast_integer(&f[E_AUX], INT32_MIN, INT32_MAX, &got.aux)) ||
            (f[E_NUM].present && !fast_integer(&f[E_NUM], INT64_MIN, INT64_MAX, &got.num)) ||
            (f[E_FLAGS].present && !fast_integer(&f[E_FLAGS], 0, UINT8_MAX, &got.flags)))
                return false;
        if (f[E_TEXT].present && (!f[E_TEXT].string || f[E_TEXT].n > EVENT_MAX_TEXT))
                return false;
        strbuf_reset(text);
        if (f[E_TEXT].present)
                strbuf_append(text, f[E_TEXT].s, f[E_TEXT].n);
        give_event(r, &got, ev, text);
        r->fast_read++;
        return true;
}

enum {
        H_VERSION,
        H_LOCKSTEP,
        H_SCENARIO,
        H_SCENARIO_B64,
        H_TITLE,
        H_SEED,
        H_MODE,
        H_CPUS,
        H_SET,
        H_SET_B64,
        H_ACTORS,
        H_RESOURCES,
        H_SOURCE,
        H_COUNT
};

static const char *const header_keys[H_COUNT] = {
        "lockstep_trace", "lockstep_version", "scenario", "scenario_b64", "title",  "seed",
        "mode",           "cpu_count",        "set",      "set_b64",      "actors", "resources",
        "source",
};

/* A header array of strings into a NULL-terminated vector. */
static char **get_names(line_ctx *L, const cJSON *it, const char *key, int max, size_t maxlen,
                        int *n)
{
        char **v;
        int k = 0;

        *n = 0;
        if (!cJSON_IsArray(it)) {
                lerr(L, val_off(L, it), "\"%s\" must be an array of strings, not %s", key,
                     jsonpos_type_name(it));
                return NULL;
        }
        if (cJSON_GetArraySize(it) > max) {
                lerr(L, val_off(L, it), "\"%s\" has more than %d entries", key, max);
                return NULL;
        }
        v = xcalloc((size_t)cJSON_GetArraySize(it) + 1, sizeof(char *));
        for (const cJSON *c = it->child; c != NULL; c = c->next) {
                const char *s;

                if (get_string(L, c, key, maxlen, &s))
                        v[k++] = xstrdup(s);
        }
        *n = k;
        return v;
}

static void free_vec(char **v, int n)
{
        for (int k = 0; k < n; k++)
                free(v[k]);
        free(v);
}

static void stmt_line(const sc_stmt *s, void *ctx)
{
        trace_reader *r = ctx;

        if (s->id >= 0 && s->id < r->sc->nstmts)
                r->lines[s->id] = s->line;
}

/* Checks the header against the scenario rebuilt from its source. */
static void match_scenario(line_ctx *L, const cJSON *const *f)
{
        trace_reader *r = L->r;
        const scenario *sc = r->sc;
        bool ok = r->h.nactors == sc->nactors + 1;

        for (int a = 0; ok && a < sc->nactors; a++)
                ok = strcmp(r->h.actors[a], sc->actors[a].name) == 0;
        if (ok && strcmp(r->h.actors[sc->nactors], TRACE_MAIN_NAME) != 0)
                ok = false;
        if (!ok)
                lerr(L, val_off(L, f[H_ACTORS]),
                     "\"actors\" must list the scenario's %d actors in order, then \"%s\"",
                     sc->nactors, TRACE_MAIN_NAME);
        ok = r->h.nresources == sc->nresources;
        for (int k = 0; ok && k < sc->nresources; k++)
                ok = strcmp(r->h.resources[k], sc->resources[k].name) == 0;
        if (!ok)
                lerr(L, val_off(L, f[H_RESOURCES]),
                     "\"resources\" must list the scenario's %d resources in order",
                     sc->nresources);
        if (strcmp(r->h.title, sc->title) != 0)
                lerr(L, val_off(L, f[H_TITLE]), "\"title\" is not the scenario's title");
}

static bool read_header(line_ctx *L)
{
        trace_reader *r = L->r;
        trace_header *h = &r->h;
        const cJSON *f[H_COUNT];
        static const int required[] = { H_VERSION, H_SCENARIO, H_TITLE,     H_SEED,  H_MODE,
                                        H_CPUS,    H_ACTORS,   H_RESOURCES, H_SOURCE };
        const char *s;
        int64_t v;
        int n;
        scenario_options opt = { 0 };

        if (!cJSON_GetObjectItemCaseSensitive(L->root, "lockstep_trace")) {
                lerr(L, -1,
                     cJSON_GetObjectItemCaseSensitive(L->root, "seq")
                         ? "the trace has no header: line 1 must be {\"lockstep_trace\": 1, ...}, "
                           "not an event"
                         : "not a lockstep trace: line 1 must be {\"lockstep_trace\": 1, ...}");
                return false;
        }
        collect(L, header_keys, H_COUNT, f, "the header");
        for (size_t k = 0; k < sizeof(required) / sizeof(*required); k++)
                if (f[required[k]] == NULL)
                        lerr(L, -1, "the header needs \"%s\"", header_keys[required[k]]);
        if (f[H_VERSION] && get_int(L, f[H_VERSION], "lockstep_trace", 1, INT32_MAX, &v)) {
                if (v != TRACE_VERSION) {
                        lerr(L, val_off(L, f[H_VERSION]),
                             "trace format %lld is newer than this lockstep reads (%d): "
                             "update lockstep",
                             (long long)v, TRACE_VERSION);
                        return false;
                }
                h->version = (int)v;
        }
        if (f[H_LOCKSTEP] && get_string(L, f[H_LOCKSTEP], "lockstep_version", 64, &s))
                h->lockstep_version = xstrdup(s);
        if (f[H_SCENARIO_B64] && !f[H_SCENARIO])
                lerr(L, key_off(L, f[H_SCENARIO_B64]), "\"scenario_b64\" comes with \"scenario\"");
        else if (f[H_SCENARIO] && get_exact(L, f[H_SCENARIO], f[H_SCENARIO_B64], "scenario",
                                            TRACE_MAX_PATH, false, &r->scratch))
                h->scenario_path = xstrdup(strbuf_str(&r->scratch));
        if (f[H_TITLE] && get_string(L, f[H_TITLE], "title", SC_MAX_STRING, &s))
                h->title = xstrdup(s);
        if (f[H_SEED])
                get_u64(L, f[H_SEED], "seed", 0, &h->seed);
        if (f[H_MODE] && get_string(L, f[H_MODE], "mode", 16, &s)) {
                if (strcmp(s, "live") != 0 && strcmp(s, "step") != 0)
                        lerr(L, val_off(L, f[H_MODE]), "\"mode\" must be \"live\" or \"step\"");
                else
                        h->mode = xstrdup(s);
        }
        if (f[H_CPUS] && get_int(L, f[H_CPUS], "cpu_count", 1, MAX_CPUS, &v))
                h->cpu_count = (int)v;
        if (f[H_SET_B64] && !f[H_SET]) {
                lerr(L, key_off(L, f[H_SET_B64]), "\"set_b64\" comes with \"set\"");
        } else if (f[H_SET]) {
                int before = L->errors;

                h->set =
                    get_names(L, f[H_SET], "set", TRACE_MAX_SET, TRACE_MAX_SET_BYTES * 3, &h->nset);
                if (h->set != NULL && f[H_SET_B64] != NULL) {
                        if (!cJSON_IsArray(f[H_SET_B64]) ||
                            cJSON_GetArraySize(f[H_SET_B64]) != cJSON_GetArraySize(f[H_SET])) {
                                lerr(L, val_off(L, f[H_SET_B64]),
                                     "\"set_b64\" must be an array as long as \"set\"");
                        } else if (L->errors == before) {
                                const cJSON *c = f[H_SET]->child, *c64 = f[H_SET_B64]->child;

                                for (int k = 0; c && c64; k++, c = c->next, c64 = c64->next)
                                        if (get_exact(L, c, c64, "set", TRACE_MAX_SET_BYTES, false,
                                                      &r->scratch)) {
                                                free(h->set[k]);
                                                h->set[k] = xstrdup(strbuf_str(&r->scratch));
                                        }
                        }
                }
                if (h->set != NULL && L->errors == before) {
                        size_t total = 0;

                        for (int k = 0; k < h->nset; k++)
                                total += strlen(h->set[k]);
                        if (total > TRACE_MAX_SET_BYTES)
                                lerr(L, val_off(L, f[H_SET]),
                                     "\"set\" holds more than %d bytes in all",
                                     TRACE_MAX_SET_BYTES);
                }
        } else {
                h->set = xcalloc(1, sizeof(char *));
        }
        if (f[H_ACTORS]) {
                h->actors = get_names(L, f[H_ACTORS], "actors", SC_MAX_ACTORS + 1, SC_MAX_NAME * 4,
                                      &h->nactors);
                if (h->actors != NULL && h->nactors == 0)
                        lerr(L, val_off(L, f[H_ACTORS]),
                             "\"actors\" ends with \"%s\", the main thread", TRACE_MAIN_NAME);
        }
        if (f[H_RESOURCES])
                h->resources = get_names(L, f[H_RESOURCES], "resources", SC_MAX_RESOURCES,
                                         SC_MAX_NAME * 4, &h->nresources);
        if (f[H_SOURCE] && get_string(L, f[H_SOURCE], "source", SC_MAX_FILE_BYTES, &s)) {
                h->source_len = strlen(s);
                h->source = xstrndup(s, h->source_len);
        }
        if (L->errors > 0)
                return false;
        /* JSON has no raw control characters but whitespace; cJSON would take them for spaces,
         * where the loader's jsonpos does not (and gives up). */
        for (size_t i = 0; i < h->source_len; i++)
                if ((unsigned char)h->source[i] < 0x20 && !strchr("\t\n\r", h->source[i])) {
                        int line, col;

                        jsonpos_linecol(h->source, h->source_len, i, &line, &col);
                        lerr(L, val_off(L, f[H_SOURCE]),
                             "the scenario in \"source\" holds control character 0x%02x (its "
                             "line %d, column %d): it is not JSON",
                             (unsigned char)h->source[i], line, col);
                        return false;
                }

        opt.set = (const char *const *)h->set;
        opt.nset = h->nset;
        opt.cpu_count = h->cpu_count;
        r->sc = scenario_load_text(h->scenario_path, h->source, h->source_len, &opt, L->d);
        if (r->sc == NULL) {
                lerr(L, val_off(L, f[H_SOURCE]),
                     "the scenario in \"source\" does not load (see the errors in %s above)",
                     h->scenario_path);
                return false;
        }
        match_scenario(L, f);
        if (L->errors > 0)
                return false;
        r->lines = xcalloc((size_t)r->sc->nstmts + 1, sizeof(int));
        for (int k = 0; k < r->sc->nscripts; k++)
                scenario_walk(&r->sc->scripts[k].body, stmt_line, r);
        r->actors = build_index((const char *const *)h->actors, h->nactors, true, &r->nactor_ix);
        r->res = build_index((const char *const *)h->resources, h->nresources, false, &n);
        return true;
}

void trace_reader_close(trace_reader *r)
{
        trace_header *h;

        if (r == NULL)
                return;
        h = &r->h;
        if (r->f != NULL)
                fclose(r->f);
        free(r->ibuf);
        free(r->name);
        strbuf_free(&r->line);
        strbuf_free(&r->scratch);
        strbuf_free(&r->scratch2);
        free(h->lockstep_version);
        free(h->scenario_path);
        free(h->source);
        free(h->title);
        free(h->mode);
        free_vec(h->set, h->nset);
        free_vec(h->actors, h->nactors);
        free_vec(h->resources, h->nresources);
        scenario_free(r->sc);
        free(r->lines);
        free(r->actors);
        free(r->res);
        free(r);
}

static trace_reader *open_common(trace_reader *r, diag *d)
{
        line_ctx L = { .r = r, .d = d };
        int rc = next_line(r);

        r->lineno = 1;
        if (rc == 0) {
                diag_error(d, r->name, 1, 1, "empty file: not a lockstep trace");
        } else if (rc == -2) {
                diag_error(d, r->name, 0, 0, "cannot read: %s", strerror(errno));
        } else if (rc == -1) {
                diag_error(d, r->name, 1, 1,
                           "the header line is longer than %d bytes: not a lockstep trace",
                           TRACE_MAX_LINE);
        } else {
                L.text = r->line.data;
                L.len = r->line.len;
                if (!r->newline)
                        lerr(&L, (long)L.len,
                             "the header has no newline at its end: the trace was cut short");
                else if (parse_line(&L, true) && read_header(&L)) {
                        free_line(&L);
                        return r;
                }
                free_line(&L);
        }
        trace_reader_close(r);
        return NULL;
}

trace_reader *trace_reader_open(const char *path, diag *d)
{
        trace_reader *r;
        struct stat st;
        FILE *f;

        /* A pipe or a FIFO may never end (and is read whole before anything is shown), and
         * opening a FIFO waits for a writer: refused before it is opened. */
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                diag_error(d, path, 0, 0, "%s: a trace is a file written by run --trace",
                           S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
                return NULL;
        }
        f = fdio_fopen(path, "rb");
        if (f == NULL) {
                diag_error(d, path, 0, 0, "cannot open the trace: %s", strerror(errno));
                return NULL;
        }
        r = xcalloc(1, sizeof(*r));
        r->name = xstrdup(path);
        r->f = f;
        r->ibuf = xmalloc(READ_BUF);
        r->in = r->ibuf;
        return open_common(r, d);
}

trace_reader *trace_reader_open_mem(const char *name, const char *data, size_t len, diag *d)
{
        trace_reader *r = xcalloc(1, sizeof(*r));

        r->name = xstrdup(name);
        r->in = data;
        r->ilen = len;
        return open_common(r, d);
}

const trace_header *trace_reader_header(const trace_reader *r)
{
        return &r->h;
}

const scenario *trace_reader_scenario(const trace_reader *r)
{
        return r->sc;
}

bool trace_reader_cut(const trace_reader *r)
{
        return r->cut;
}

int trace_reader_line(const trace_reader *r)
{
        return r->lineno;
}

uint64_t trace_reader_offset(const trace_reader *r)
{
        off_t at;

        if (r->f == NULL)
                return r->ipos;
        at = ftello(r->f);
        return at > 0 ? (uint64_t)at : 0;
}

int trace_read(trace_reader *r, event *ev, strbuf *text, diag *d)
{
        const cJSON *items[MAX_EVENT_KEYS];
        long keys[MAX_EVENT_KEYS], vals[MAX_EVENT_KEYS];
        line_ctx L = { .r = r, .d = d, .items = items, .keys = keys, .vals = vals };
        int rc;

        if (r->done)
                return 0;
        rc = next_line(r);
        if (rc == 0) {
                r->done = true;
                return 0;
        }
        r->lineno++;
        if (rc == -2) {
                diag_error(d, r->name, r->lineno, 1, "read error: %s", strerror(errno));
                r->done = true;
                return -1;
        }
        if (rc == -1) {
                diag_error(d, r->name, r->lineno, 1,
                           "line longer than %d bytes: the trace is damaged (reading stops here)",
                           TRACE_MAX_LINE);
                r->done = true;
                return -1;
        }
        L.text = r->line.data;
        L.len = r->line.len;
        if (!r->newline) {
                /* cut short in the middle of writing it: what came before is whole */
                r->done = true;
                r->cut = true;
                return 0;
        }
        if (!r->slow_only && fast_event(r, L.text, L.len, ev, text))
                return 1;
        if (parse_line(&L, false))
                read_event(&L, ev, text);
        free_line(&L);
        return L.errors > 0 ? -1 : 1;
}

void trace_reader_set_fast(trace_reader *r, bool on)
{
        r->slow_only = !on;
}

uint64_t trace_reader_fast_read(const trace_reader *r)
{
        return r->fast_read;
}
