/*
 * diag.c — diagnostics for bad input; see diag.h.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"

void diag_init(diag *d, size_t limit)
{
        memset(d, 0, sizeof(*d));
        d->limit = limit ? limit : DIAG_DEFAULT_CAP;
}

void diag_free(diag *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].msg);
        }
        free(d->items);
        memset(d, 0, sizeof(*d));
}

void diag_error(diag *d, const char *file, int line, int col, const char *fmt, ...)
{
        strbuf sb = STRBUF_INIT;
        va_list ap;
        diag_item *it;

        if (d->n >= d->limit) {
                d->dropped++;
                return;
        }
        va_start(ap, fmt);
        strbuf_vprintf(&sb, fmt, ap);
        va_end(ap);
        d->items = xgrow(d->items, &d->cap_items, d->n + 1, sizeof(*d->items));
        it = &d->items[d->n++];
        it->file = xstrdup(file ? file : "-");
        it->line = line;
        it->col = col;
        it->msg = strbuf_detach(&sb);
}

void diag_set_err(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (err == NULL || errlen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

size_t diag_count(const diag *d)
{
        return d->n + d->dropped;
}

int diag_full(const diag *d)
{
        return d->n >= d->limit;
}

void diag_print(const diag *d, FILE *out)
{
        strbuf file = STRBUF_INIT, msg = STRBUF_INIT;

        for (size_t i = 0; i < d->n; i++) {
                const diag_item *it = &d->items[i];

                strbuf_reset(&file);
                strbuf_reset(&msg);
                utf8_escape_str(&file, it->file);
                utf8_escape_str(&msg, it->msg);
                if (it->line > 0)
                        fprintf(out, "%s:%d:%d: error: %s\n", strbuf_str(&file), it->line, it->col,
                                strbuf_str(&msg));
                else
                        fprintf(out, "%s: error: %s\n", strbuf_str(&file), strbuf_str(&msg));
        }
        if (d->dropped > 0) {
                strbuf_reset(&file);
                utf8_escape_str(&file, d->n ? d->items[0].file : "-");
                fprintf(out, "%s: note: %zu more error%s not shown\n", strbuf_str(&file),
                        d->dropped, d->dropped == 1 ? "" : "s");
        }
        strbuf_free(&file);
        strbuf_free(&msg);
}

/* Optimal string alignment distance (Levenshtein plus transpositions), capped at 64 chars. */
static size_t distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        size_t rows[3][65];
        size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];

        if (la > 64 || lb > 64)
                return (size_t)-1;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = a[i - 1] != b[j - 1];
                        size_t best = prev[j] + 1;

                        if (cur[j - 1] + 1 < best)
                                best = cur[j - 1] + 1;
                        if (prev[j - 1] + cost < best)
                                best = prev[j - 1] + cost;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            pp[j - 2] + 1 < best)
                                best = pp[j - 2] + 1;
                        cur[j] = best;
                }
                size_t *t = pp;
                pp = prev;
                prev = cur;
                cur = t;
        }
        return prev[lb];
}

const char *diag_suggest(const char *word, const char *const *candidates, size_t n)
{
        const char *best = NULL;
        size_t best_d = (size_t)-1, len = strlen(word);
        /* a third of the word's length, at least 1 and at most 3 edits */
        size_t allowed = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;

        if (len == 0)
                return NULL;

        for (size_t i = 0; i < n; i++) {
                size_t dd;

                /* never "did you mean ''?", nor the word itself (a name cut at a NUL) */
                if (candidates[i] == NULL || candidates[i][0] == '\0' ||
                    strcmp(candidates[i], word) == 0)
                        continue;
                dd = distance(word, candidates[i]);
                if (dd < best_d) {
                        best_d = dd;
                        best = candidates[i];
                }
        }
        return best_d <= allowed ? best : NULL;
}
