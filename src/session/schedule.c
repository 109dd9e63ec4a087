/*
 * schedule.c — schedule files; see schedule.h and docs/schedule-format.md.
 */
#include "session/schedule.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/jsonpos.h"
#include "util/fdio.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* A name a line can hold as it is: anything else would be read back as something else (a
 * repeat, a comment, a directive, a quoted name, trimmed spaces) or is a control character. */
static bool plain(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || strchr("#@\" \t", s[0]) || s[n - 1] == ' ' || s[n - 1] == '\t')
                return false;
        for (size_t k = 0; k < n; k++)
                if (s[k] == '*' || (unsigned char)s[k] < 0x20 || s[k] == 0x7f)
                        return false;
        return true;
}

/* S as a line writes it: bare when plain, else a JSON string (control characters escaped, so
 * the same form is safe in a message on a terminal). */
static void put_name(strbuf *sb, const char *s, bool force_quotes)
{
        cJSON *str;
        char *json;

        if (!force_quotes && plain(s)) {
                strbuf_puts(sb, s);
                return;
        }
        str = cJSON_CreateString(s);
        json = str ? cJSON_PrintUnformatted(str) : NULL;
        if (json == NULL)
                xdie("out of memory");
        strbuf_puts(sb, json);
        cJSON_free(json);
        cJSON_Delete(str);
}

/* The most of a name a message repeats: a schedule's bogus name may be megabytes long. */
#define SAY_NAME_MAX 64

/* N bytes of S in a message: 'S', or its JSON string when it holds a control character, so that
 * none goes out raw; cut after SAY_NAME_MAX bytes (at a character's start), with "...". */
static void say_bytes(strbuf *sb, const char *s, size_t n)
{
        size_t shown = n > SAY_NAME_MAX ? utf8_cut(s, SAY_NAME_MAX) : n;
        char *copy = xstrndup(s, shown);
        bool control = false;

        for (size_t k = 0; k < shown; k++)
                control |= (unsigned char)s[k] < 0x20 || s[k] == 0x7f;
        if (control)
                put_name(sb, copy, true);
        else
                strbuf_printf(sb, "'%s'", copy);
        if (shown < n)
                strbuf_printf(sb, "... (%zu bytes)", n);
        free(copy);
}

static void say_name(strbuf *sb, const char *s)
{
        say_bytes(sb, s, strlen(s));
}

static bool blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* The JSON string at P (LEN bytes at most) decoded into *OUT; returns the bytes it took, or 0
 * after an error into D. cJSON cuts a string at \u0000, which no name holds: refuse it. */
static size_t json_token(const char *name, int line, const char *p, size_t len, int col,
                         const char *what, char **out, diag *d)
{
        const char *end = NULL;
        cJSON *j;

        for (size_t k = 1; k < len && p[k] != '"'; k++) {
                if (p[k] != '\\')
                        continue;
                if (k + 5 < len && memcmp(p + k + 1, "u0000", 5) == 0) {
                        diag_error(d, name, line, col + (int)k,
                                   "%s cannot hold \\u0000 (a NUL character)", what);
                        return 0;
                }
                k++;
        }
        j = cJSON_ParseWithLengthOpts(p, len, &end, 0);
        if (j == NULL || !cJSON_IsString(j)) {
                diag_error(d, name, line, col,
                           "%s must be a JSON string in double quotes, such as \"X * 2\"", what);
                cJSON_Delete(j);
                return 0;
        }
        *out = xstrdup(j->valuestring);
        cJSON_Delete(j);
        return (size_t)(end - p);
}

/* A count after '*': digits only, 1 to SCHEDULE_MAX_MOVES; -1 after an error. */
static long long repeat_count(const char *name, int line, const char *p, size_t len, int col,
                              diag *d)
{
        long long count = 0;
        size_t k = 0;

        while (k < len && blank(p[k]))
                k++;
        if (k == len) {
                diag_error(d, name, line, col, "write a repeat as NAME * COUNT");
                return -1;
        }
        for (size_t m = k; m < len; m++) {
                if (p[m] < '0' || p[m] > '9' || count > SCHEDULE_MAX_MOVES) {
                        count = -1;
                        break;
                }
                count = count * 10 + (p[m] - '0');
        }
        if (count < 1 || count > SCHEDULE_MAX_MOVES) {
                strbuf sb = STRBUF_INIT;

                say_bytes(&sb, p + k, len - k > 24 ? 24 : len - k);
                diag_error(d, name, line, col + (int)k, "%s is not a count from 1 to %d",
                           strbuf_str(&sb), SCHEDULE_MAX_MOVES);
                strbuf_free(&sb);
                return -1;
        }
        return count;
}

/* Interns NAME (taking it; IS_MAIN: written @main) among the distinct names, noting where it
 * first appears. The caller stops past SC_MAX_ACTORS + 1 distinct names, so the arrays have a
 * fixed size. */
static char *intern(schedule *s, char *name, bool is_main, int line, int col)
{
        for (size_t k = 0; k < s->ndistinct; k++)
                if (s->is_main[k] == is_main && strcmp(s->distinct[k], name) == 0) {
                        free(name);
                        return s->distinct[k];
                }
        if (s->distinct == NULL) {
                s->distinct = xcalloc(SC_MAX_ACTORS + 2, sizeof(char *));
                s->is_main = xcalloc(SC_MAX_ACTORS + 2, sizeof(bool));
                s->line = xcalloc(SC_MAX_ACTORS + 2, sizeof(int));
                s->col = xcalloc(SC_MAX_ACTORS + 2, sizeof(int));
        }
        s->distinct[s->ndistinct] = name;
        s->is_main[s->ndistinct] = is_main;
        s->line[s->ndistinct] = line;
        s->col[s->ndistinct] = col;
        return s->distinct[s->ndistinct++];
}

/* A move of the main thread written @main (when an actor is named MainThread too). */
static bool main_move(const char *p, size_t len)
{
        return len >= 5 && memcmp(p, "@main", 5) == 0 && (len == 5 || blank(p[5]) || p[5] == '*');
}

/* One `@` line: @seed N or @set "NAME=VALUE". */
static void directive(const char *name, int line, const char *p, size_t len, schedule *s,
                      size_t *cap_set, diag *d)
{
        size_t w = 1, v;

        while (w < len && !blank(p[w]))
                w++;
        v = w;
        while (v < len && blank(p[v]))
                v++;
        if (w == 5 && memcmp(p, "@seed", 5) == 0) {
                uint64_t seed = 0;
                bool ok = v < len;

                for (size_t k = v; k < len && ok; k++) {
                        unsigned digit = (unsigned)(p[k] - '0');

                        ok = p[k] >= '0' && p[k] <= '9' && seed <= (UINT64_MAX - digit) / 10;
                        seed = seed * 10 + digit;
                }
                if (!ok)
                        diag_error(d, name, line, (int)v + 1,
                                   "@seed needs a whole number from 0 to %" PRIu64, UINT64_MAX);
                else if (s->has_seed)
                        diag_error(d, name, line, 1, "a second @seed line (one is enough)");
                s->has_seed = ok;
                s->seed = seed;
        } else if (w == 4 && memcmp(p, "@set", 4) == 0) {
                char *set = NULL;
                size_t used = v < len && p[v] == '"'
                                  ? json_token(name, line, p + v, len - v, (int)v + 1,
                                               "an @set value", &set, d)
                                  : 0;

                if (v >= len || p[v] != '"') {
                        diag_error(d, name, line, (int)v + 1,
                                   "write @set \"NAME=VALUE\" (a JSON string, as given to --set)");
                        return;
                }
                if (used == 0)
                        return;
                if (v + used != len || strchr(set, '=') == NULL) {
                        diag_error(d, name, line, (int)v + 1,
                                   "write @set \"NAME=VALUE\" (a JSON string, as given to --set)");
                        free(set);
                        return;
                }
                if (s->nset >= SCHEDULE_MAX_SET) {
                        diag_error(d, name, line, 1, "more than %d @set lines", SCHEDULE_MAX_SET);
                        free(set);
                        return;
                }
                s->set = xgrow(s->set, cap_set, (size_t)s->nset + 1, sizeof(char *));
                s->set_line = xrealloc(s->set_line, sizeof(int) * *cap_set);
                s->set_col = xrealloc(s->set_col, sizeof(int) * *cap_set);
                s->set_line[s->nset] = line;
                s->set_col[s->nset] = (int)v + 1;
                s->set[s->nset++] = set;
        } else {
                strbuf sb = STRBUF_INIT;

                say_bytes(&sb, p, w > 24 ? 24 : w);
                diag_error(d, name, line, 1,
                           "unknown line %s; a schedule knows @seed, @set and @main (write a name "
                           "starting with @ in double quotes)",
                           strbuf_str(&sb));
                strbuf_free(&sb);
        }
}

/* Where the byte at OFFSET is, for the whole-file checks. */
static void position(const char *text, size_t offset, int *line, int *col)
{
        const char *nl = text;

        *line = 1;
        for (const char *q = text; (q = memchr(q, '\n', (size_t)(text + offset - q))) != NULL;
             nl = ++q)
                ++*line;
        *col = (int)(text + offset - nl) + 1;
}

int schedule_parse(const char *name, const char *text, size_t len, schedule *out, diag *d)
{
        size_t cap = 0, cap_set = 0, before = diag_count(d), bad;
        int line = 0, col;
        const char *nul = memchr(text, '\0', len);

        memset(out, 0, sizeof(*out));
        out->path = xstrdup(name);
        if (nul != NULL) {
                position(text, (size_t)(nul - text), &line, &col);
                diag_error(d, name, line, col, "a NUL byte: a schedule is text, one name a line");
                goto done;
        }
        if (!utf8_valid(text, len, &bad)) {
                position(text, bad, &line, &col);
                diag_error(d, name, line, col, "not UTF-8 text: a schedule is written in UTF-8");
                goto done;
        }
        for (size_t at = 0; at < len && !diag_full(d);) {
                const char *p = text + at, *end = memchr(p, '\n', len - at);
                size_t l = end ? (size_t)(end - p) : len - at, b = 0, e, used = 0;
                long long count = 1;
                char *word = NULL;
                bool is_main = false;

                at += l + 1;
                line++;
                while (b < l && blank(p[b]))
                        b++;
                e = l;
                while (e > b && blank(p[e - 1]))
                        e--;
                if (b == e || p[b] == '#')
                        continue;
                if (p[b] == '@' && !main_move(p + b, e - b)) {
                        directive(name, line, p + b, e - b, out, &cap_set, d);
                        continue;
                }
                if (p[b] == '"' || p[b] == '@') {
                        if (p[b] == '@') {
                                word = xstrdup(SC_MAIN_NAME);
                                used = 5;
                                is_main = true;
                        } else {
                                used = json_token(name, line, p + b, e - b, (int)b + 1,
                                                  "a quoted name", &word, d);
                                if (used == 0)
                                        continue;
                        }
                        used += b;
                        while (used < e && blank(p[used]))
                                used++;
                        if (used < e && p[used] != '*') {
                                diag_error(d, name, line, (int)used + 1,
                                           "after a quoted name or @main, only * COUNT may "
                                           "follow");
                                free(word);
                                continue;
                        }
                        if (used < e)
                                count = repeat_count(name, line, p + used + 1, e - used - 1,
                                                     (int)used + 2, d);
                } else {
                        /* NAME * COUNT: a bare name holds no '*' */
                        const char *star = memchr(p + b, '*', e - b);

                        if (star != NULL) {
                                size_t s = (size_t)(star - p);

                                count =
                                    repeat_count(name, line, star + 1, e - s - 1, (int)s + 2, d);
                                e = s;
                                while (e > b && blank(p[e - 1]))
                                        e--;
                                if (e == b && count > 0) {
                                        diag_error(d, name, line, (int)b + 1,
                                                   "a repeat needs a name: NAME * COUNT");
                                        count = -1;
                                }
                        }
                        word = xstrndup(p + b, e - b);
                }
                if (count < 0) {
                        free(word);
                        continue;
                }
                if (out->n + (size_t)count > SCHEDULE_MAX_MOVES) {
                        diag_error(d, name, line, (int)b + 1,
                                   "more than %d moves (the most a schedule holds)",
                                   SCHEDULE_MAX_MOVES);
                        free(word);
                        break;
                }
                word = intern(out, word, is_main, line, (int)b + 1);
                if (out->ndistinct > SC_MAX_ACTORS + 1) {
                        diag_error(d, name, line, (int)b + 1,
                                   "more than %d different names (a scenario has at most %d "
                                   "actors and MainThread)",
                                   SC_MAX_ACTORS + 1, SC_MAX_ACTORS);
                        break;
                }
                out->names = xgrow(out->names, &cap, out->n + (size_t)count, sizeof(char *));
                for (long long k = 0; k < count; k++)
                        out->names[out->n++] = word;
        }
done:
        if (diag_count(d) != before) {
                schedule_free(out);
                return -1;
        }
        return 0;
}

/* The text of the schedule file PATH (*LEN bytes, NUL-terminated), or NULL with the reason in D. */
static char *read_text(const char *path, size_t *lenp, diag *d)
{
        /* O_NONBLOCK: a FIFO must not hang the open; it is refused below */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        char *text;
        size_t len = 0;

        if (fd < 0) {
                diag_error(d, path, 0, 0, "cannot open the schedule: %s", strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                diag_error(d, path, 0, 0, "%s: a schedule is a file written by --save-schedule",
                           S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
                close(fd);
                return NULL;
        }
        if ((uint64_t)st.st_size > SCHEDULE_MAX_BYTES) {
                diag_error(d, path, 0, 0, "the schedule is larger than %u MiB",
                           SCHEDULE_MAX_BYTES >> 20);
                close(fd);
                return NULL;
        }
        text = xmalloc((size_t)st.st_size + 1);
        for (;;) {
                ssize_t got = read(fd, text + len, (size_t)st.st_size + 1 - len);

                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        diag_error(d, path, 0, 0, "cannot read the schedule: %s", strerror(errno));
                        close(fd);
                        free(text);
                        return NULL;
                }
                if (got == 0)
                        break;
                len += (size_t)got;
                if (len > (size_t)st.st_size) {
                        diag_error(d, path, 0, 0, "the schedule changed while it was read");
                        close(fd);
                        free(text);
                        return NULL;
                }
        }
        close(fd);
        text[len] = '\0';
        *lenp = len;
        return text;
}

int schedule_read(const char *path, schedule *out, diag *d)
{
        size_t len;
        char *text;
        int rc;

        memset(out, 0, sizeof(*out));
        text = read_text(path, &len, d);
        if (text == NULL)
                return -1;
        rc = schedule_parse(path, text, len, out, d);
        free(text);
        return rc;
}

int schedule_locate(const char *path, size_t entry, int *line, int *col)
{
        diag d;
        size_t len, moves = 0;
        char *text;
        int rc = -1, at_line = 0;

        diag_init(&d, 1);
        text = read_text(path, &len, &d);
        /* each line parsed alone, as schedule_parse reads it: the moves it makes */
        for (size_t at = 0; text != NULL && at < len && rc < 0;) {
                const char *p = text + at, *end = memchr(p, '\n', len - at);
                size_t l = end ? (size_t)(end - p) : len - at, b = 0;
                schedule one;

                at += l + 1;
                at_line++;
                while (b < l && blank(p[b]))
                        b++;
                if (b < l && p[b] != '#' && p[b] != '@' && p[b] != '"' && !memchr(p, '*', l)) {
                        moves++; /* a bare name, one move: the parse of each line is for the rest */
                } else if (schedule_parse(path, p, l, &one, &d) == 0) {
                        moves += one.n;
                        schedule_free(&one);
                } else {
                        break;
                }
                if (moves >= entry) {
                        *line = at_line;
                        *col = (int)b + 1;
                        rc = 0;
                }
        }
        free(text);
        diag_free(&d);
        return rc;
}

static int actor_of(const scenario *sc, const char *name)
{
        for (int a = 0; a <= sc->nactors; a++)
                if (strcmp(scenario_actor_name(sc, a), name) == 0)
                        return a;
        return -1;
}

int schedule_resolve(const schedule *s, const scenario *sc, int **moves, diag *d)
{
        int *actor = xcalloc(s->ndistinct + 1, sizeof(int));
        const char **names = xcalloc((size_t)sc->nactors + 1, sizeof(char *));
        size_t before = diag_count(d), k = 0;

        *moves = NULL;
        for (int a = 0; a <= sc->nactors; a++)
                names[a] = scenario_actor_name(sc, a);
        for (size_t i = 0; i < s->ndistinct; i++) {
                strbuf sb = STRBUF_INIT;
                const char *guess;

                if ((actor[i] = s->is_main[i] ? sc->nactors : actor_of(sc, s->distinct[i])) >= 0)
                        continue;
                guess = diag_suggest(s->distinct[i], names, (size_t)sc->nactors + 1);
                strbuf_puts(&sb, "no actor named ");
                say_name(&sb, s->distinct[i]);
                strbuf_printf(&sb, " in %s", sc->path);
                if (guess != NULL) {
                        strbuf_puts(&sb, "; did you mean ");
                        say_name(&sb, guess);
                        strbuf_puts(&sb, "?");
                }
                diag_error(d, s->path, s->line[i], s->col[i], "%s", strbuf_str(&sb));
                strbuf_free(&sb);
        }
        if (diag_count(d) == before) {
                *moves = xcalloc(s->n + 1, sizeof(int));
                for (k = 0; k < s->n; k++) {
                        size_t i = 0;

                        while (s->distinct[i] != s->names[k])
                                i++;
                        (*moves)[k] = actor[i];
                }
        }
        free(actor);
        free(names);
        return diag_count(d) == before ? 0 : -1;
}

void schedule_free(schedule *s)
{
        for (size_t k = 0; k < s->ndistinct; k++)
                free(s->distinct[k]);
        for (int k = 0; k < s->nset; k++)
                free(s->set[k]);
        free(s->distinct);
        free(s->is_main);
        free(s->line);
        free(s->col);
        free(s->names);
        free(s->set);
        free(s->set_line);
        free(s->set_col);
        free(s->path);
        memset(s, 0, sizeof(*s));
}

int schedule_write(const char *path, const scenario *sc, const int *moves, size_t n, uint64_t seed,
                   const char *const *set, int nset, char *err, size_t errlen)
{
        strbuf head = STRBUF_INIT, *name;
        FILE *f;
        uint64_t bytes;
        int bad;

        if (n > SCHEDULE_MAX_MOVES) {
                snprintf(err, errlen, "%s: %zu moves is more than a schedule holds (%d)", path, n,
                         SCHEDULE_MAX_MOVES);
                return -1;
        }
        for (int k = 0; k < nset; k++) {
                size_t at;

                /* a schedule is UTF-8 text: a --set value that is not cannot be read back */
                if (!utf8_valid(set[k], strlen(set[k]), &at)) {
                        snprintf(err, errlen,
                                 "%s: --set value %d is not UTF-8 text (byte %zu), which a "
                                 "schedule cannot hold",
                                 path, k + 1, at + 1);
                        return -1;
                }
        }
        if (nset > SCHEDULE_MAX_SET) {
                snprintf(err, errlen, "%s: more than %d --set values, which a schedule cannot hold",
                         path, SCHEDULE_MAX_SET);
                return -1;
        }
        /* each actor's line, written once */
        name = xcalloc((size_t)sc->nactors + 1, sizeof(strbuf));
        for (int a = 0; a <= sc->nactors; a++)
                put_name(&name[a], scenario_actor_name(sc, a), false);
        /* an actor may be named MainThread too: the main thread is then written @main */
        for (int a = 0; a < sc->nactors; a++)
                if (strcmp(scenario_actor_name(sc, a), SC_MAIN_NAME) == 0) {
                        strbuf_reset(&name[sc->nactors]);
                        strbuf_puts(&name[sc->nactors], "@main");
                }
        strbuf_puts(&head, "# lockstep schedule for ");
        {
                size_t at;

                /* the file is UTF-8 text, so a path that is not is left out */
                if (utf8_valid(sc->path, strlen(sc->path), &at))
                        put_name(&head, sc->path, true);
                else
                        strbuf_puts(&head, "a scenario");
        }
        strbuf_printf(&head,
                      ": %zu moves, one per line (NAME * N: N in a row)\n@seed %" PRIu64 "\n", n,
                      seed);
        for (int k = 0; k < nset; k++) {
                strbuf_puts(&head, "@set ");
                put_name(&head, set[k], true);
                strbuf_putc(&head, '\n');
        }
        /* refuse what schedule_read would refuse, before creating the file */
        bytes = head.len;
        for (size_t k = 0; k < n;) {
                size_t run = 1;

                while (k + run < n && moves[k + run] == moves[k])
                        run++;
                bytes += name[moves[k]].len + 1 + (run > 1 ? 3 + 8 : 0);
                k += run;
        }
        if (bytes > SCHEDULE_MAX_BYTES) {
                snprintf(err, errlen, "%s: the schedule would be larger than %u MiB", path,
                         SCHEDULE_MAX_BYTES >> 20);
                f = NULL;
                bad = 1;
                goto out;
        }
        f = fdio_fopen(path, "w");
        if (f == NULL) {
                snprintf(err, errlen, "%s: cannot create: %s", path,
                         errno == ENXIO ? "a FIFO that no process reads" : strerror(errno));
                bad = 1;
                goto out;
        }
        fputs(strbuf_str(&head), f);
        for (size_t k = 0; k < n;) {
                size_t run = 1;

                while (k + run < n && moves[k + run] == moves[k])
                        run++;
                if (run > 1)
                        fprintf(f, "%s * %zu\n", strbuf_str(&name[moves[k]]), run);
                else
                        fprintf(f, "%s\n", strbuf_str(&name[moves[k]]));
                k += run;
        }
        bad = ferror(f);
        if (fclose(f) != 0 || bad) {
                snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
                bad = 1;
        }
out:
        for (int a = 0; a <= sc->nactors; a++)
                strbuf_free(&name[a]);
        free(name);
        strbuf_free(&head);
        return bad ? -1 : 0;
}
