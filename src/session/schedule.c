/*
 * schedule.c — schedule files; see schedule.h.
 */
#include "session/schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

static int actor_of(const scenario *sc, const char *name, size_t len)
{
        for (int a = 0; a <= sc->nactors; a++) {
                const char *n = scenario_actor_name(sc, a);

                if (strlen(n) == len && memcmp(n, name, len) == 0)
                        return a;
        }
        return -1;
}

int schedule_parse(const char *name, const char *text, size_t len, const scenario *sc, int **moves,
                   size_t *n, diag *d)
{
        size_t cap = 0, before = diag_count(d);
        int line = 0;

        *moves = NULL;
        *n = 0;
        for (size_t at = 0; at < len;) {
                const char *p = text + at, *end = memchr(p, '\n', len - at);
                size_t l = end ? (size_t)(end - p) : len - at, b = 0, e;
                long long count = 1;
                int a;

                at += l + 1;
                line++;
                while (b < l && (p[b] == ' ' || p[b] == '\t' || p[b] == '\r'))
                        b++;
                e = l;
                while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r'))
                        e--;
                if (b == e || p[b] == '#')
                        continue;
                /* NAME * COUNT: the last '*' on the line splits them */
                for (size_t star = e; star > b; star--) {
                        char num[24], *stop;
                        size_t c = star, ce = e;

                        if (p[star - 1] != '*')
                                continue;
                        while (c < ce && (p[c] == ' ' || p[c] == '\t'))
                                c++;
                        if (c == ce || ce - c >= sizeof(num)) {
                                diag_error(d, name, line, (int)star,
                                           "write a repeat as NAME * COUNT");
                                count = -1;
                                break;
                        }
                        memcpy(num, p + c, ce - c);
                        num[ce - c] = '\0';
                        count = strtoll(num, &stop, 10);
                        if (*stop != '\0' || count < 1 || count > SCHEDULE_MAX_MOVES) {
                                diag_error(d, name, line, (int)c + 1,
                                           "'%s' is not a count from 1 to %d", num,
                                           SCHEDULE_MAX_MOVES);
                                count = -1;
                                break;
                        }
                        e = star - 1;
                        while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
                                e--;
                        break;
                }
                if (count < 0)
                        continue;
                a = actor_of(sc, p + b, e - b);
                if (a < 0) {
                        strbuf sb = STRBUF_INIT;
                        const char **names = xcalloc((size_t)sc->nactors + 1, sizeof(char *));
                        char *word = xstrndup(p + b, e - b);
                        const char *guess;

                        for (int k = 0; k <= sc->nactors; k++)
                                names[k] = scenario_actor_name(sc, k);
                        guess = diag_suggest(word, names, (size_t)sc->nactors + 1);
                        strbuf_printf(&sb, "no actor named '%.64s' in %s", word, sc->path);
                        if (guess)
                                strbuf_printf(&sb, "; did you mean '%s'?", guess);
                        diag_error(d, name, line, (int)b + 1, "%s", strbuf_str(&sb));
                        strbuf_free(&sb);
                        free(names);
                        free(word);
                        continue;
                }
                if (*n + (size_t)count > SCHEDULE_MAX_MOVES) {
                        diag_error(d, name, line, 1, "more than %d moves", SCHEDULE_MAX_MOVES);
                        break;
                }
                *moves = xgrow(*moves, &cap, *n + (size_t)count, sizeof(int));
                for (long long k = 0; k < count; k++)
                        (*moves)[(*n)++] = a;
        }
        if (diag_count(d) != before) {
                free(*moves);
                *moves = NULL;
                *n = 0;
                return -1;
        }
        return 0;
}

int schedule_read(const char *path, const scenario *sc, int **moves, size_t *n, diag *d)
{
        FILE *f = fopen(path, "rb");
        strbuf sb = STRBUF_INIT;
        char buf[65536];
        size_t got;
        int rc;

        if (f == NULL) {
                diag_error(d, path, 0, 0, "cannot open: %s", strerror(errno));
                return -1;
        }
        while ((got = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < (256u << 20))
                strbuf_append(&sb, buf, got);
        fclose(f);
        rc = schedule_parse(path, strbuf_str(&sb), sb.len, sc, moves, n, d);
        strbuf_free(&sb);
        return rc;
}

int schedule_write(const char *path, const scenario *sc, const int *moves, size_t n, char *err,
                   size_t errlen)
{
        FILE *f = fopen(path, "w");
        int bad;

        if (f == NULL) {
                snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
                return -1;
        }
        fprintf(f, "# lockstep schedule for %s: %zu moves, one per line (NAME * N: N in a row)\n",
                sc->path, n);
        for (size_t k = 0; k < n;) {
                size_t run = 1;

                while (k + run < n && moves[k + run] == moves[k])
                        run++;
                if (run > 1)
                        fprintf(f, "%s * %zu\n", scenario_actor_name(sc, moves[k]), run);
                else
                        fprintf(f, "%s\n", scenario_actor_name(sc, moves[k]));
                k += run;
        }
        bad = ferror(f);
        if (fclose(f) != 0 || bad) {
                snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
                return -1;
        }
        return 0;
}
