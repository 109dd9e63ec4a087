/*
 * spans.c — a line of several parts, each with its role (see spans.h).
 */
#include "tui/spans.h"

#include <stdarg.h>

#include "tui/draw.h"

void spans_row(spans *l)
{
        l->next_row = true;
}

void spans_add(spans *l, term_role role, const char *fmt, ...)
{
        va_list ap;

        if (l->n < SPANS_MAX && (l->n == 0 || l->role[l->n - 1] != role || l->next_row)) {
                l->from[l->n] = l->text.len;
                l->row[l->n] = l->next_row;
                l->role[l->n++] = role;
                l->rows += l->next_row;
                l->next_row = false;
        }
        va_start(ap, fmt);
        strbuf_vprintf(&l->text, fmt, ap);
        va_end(ap);
}

void spans_part(const spans *l, int k, const char **s, size_t *n)
{
        size_t end = k + 1 < l->n ? l->from[k + 1] : l->text.len;

        *s = l->text.data + l->from[k];
        *n = end - l->from[k];
}

int spans_draw_rows(const term *t, int y, int x, int width, const spans *l, int indent, int skip,
                    int maxrows)
{
        int used = 0, row = 0;

        for (int k = 0; k < l->n; k++) {
                const char *s;
                size_t n;
                int r = row - skip;

                if (k > 0 && l->row[k]) {
                        row++, r++;
                        used = indent;
                }
                if (r < 0 || r >= maxrows || used >= width)
                        continue;
                spans_part(l, k, &s, &n);
                used += draw_text(t, stdscr, y + r, x + used, width - used,
                                  term_attr(t, l->role[k]), s, n);
        }
        return used;
}

int spans_draw(const term *t, int y, int x, int width, const spans *l)
{
        return spans_draw_rows(t, y, x, width, l, 0, 0, 1);
}

void spans_free(spans *l)
{
        strbuf_free(&l->text);
}
