/*
 * draw.c — escaping, measuring, clipping and writing text (see draw.h).
 */
#include "tui/draw.h"

#include <string.h>
#include <wchar.h>

#include "util/strbuf.h"
#include "util/utf8.h"

static wchar_t cp_shown(const term *t, uint32_t cp)
{
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && !t->utf8) ||
            (cp >= 0x80 && wcwidth((wchar_t)cp) < 0))
                return L'?';
        return (wchar_t)cp;
}

int draw_width(const term *t, const char *s, size_t n)
{
        return utf8_columns(s, n, t->utf8);
}

int draw_text(const term *t, WINDOW *w, int y, int x, int width, attr_t a, const char *s, size_t n)
{
        strbuf sb = STRBUF_INIT;
        wchar_t buf[512];
        int cols = 0, total, room, nb = 0;
        bool cut;

        if (width <= 0)
                return 0;
        utf8_escape(&sb, s, n);
        total = draw_width(t, s, n);
        cut = total > width;
        room = cut ? width - 1 : width; /* one column for the ellipsis */
        for (size_t k = 0; k < sb.len && nb < (int)(sizeof(buf) / sizeof(*buf)) - 2;) {
                uint32_t cp;
                size_t l = utf8_decode(sb.data + k, sb.len - k, &cp);
                int cw;

                if (l == 0)
                        l = 1, cp = '?';
                cw = utf8_cp_columns(cp, t->utf8);
                if (cols + cw > room)
                        break; /* a wide character is never split at the edge */
                buf[nb++] = cp_shown(t, cp);
                cols += cw;
                k += l;
        }
        if (cut) {
                uint32_t cp;

                utf8_decode(t->ellipsis, strlen(t->ellipsis), &cp);
                buf[nb++] = (wchar_t)cp;
                cols++;
        }
        buf[nb] = L'\0';
        wattrset(w, a);
        mvwaddnwstr(w, y, x, buf, nb);
        wattrset(w, A_NORMAL);
        strbuf_free(&sb);
        return cols;
}

int draw_str(const term *t, WINDOW *w, int y, int x, int width, attr_t a, const char *s)
{
        return draw_text(t, w, y, x, width, a, s, strlen(s));
}

void draw_fill(WINDOW *w, int y, int x, int width, attr_t a)
{
        if (width <= 0)
                return;
        wattrset(w, a);
        mvwhline(w, y, x, ' ', width);
        wattrset(w, A_NORMAL);
}

void draw_vline(const term *t, WINDOW *w, int y, int x, int h, attr_t a)
{
        for (int k = 0; k < h; k++)
                draw_str(t, w, y + k, x, 1, a, t->box[1]);
}

void draw_box(const term *t, WINDOW *w, int y, int x, int h, int width, attr_t a)
{
        if (h < 2 || width < 2)
                return;
        for (int k = 1; k < width - 1; k++) {
                draw_str(t, w, y, x + k, 1, a, t->box[0]);
                draw_str(t, w, y + h - 1, x + k, 1, a, t->box[0]);
        }
        draw_vline(t, w, y + 1, x, h - 2, a);
        draw_vline(t, w, y + 1, x + width - 1, h - 2, a);
        draw_str(t, w, y, x, 1, a, t->box[2]);
        draw_str(t, w, y, x + width - 1, 1, a, t->box[3]);
        draw_str(t, w, y + h - 1, x, 1, a, t->box[4]);
        draw_str(t, w, y + h - 1, x + width - 1, 1, a, t->box[5]);
}

int draw_wrap(const term *t, const char *s, int width,
              void (*line)(const char *s, size_t n, void *ctx), void *ctx)
{
        return utf8_wrap(s, width, t->utf8, line, ctx);
}

/* Where draw_wrapped's lines go. */
typedef struct wrapped {
        const term *t;
        WINDOW *w;
        int y, x, width, rows, used;
        attr_t a;
        const char *end; /* the end of the whole text */
} wrapped;

static void wrapped_line(const char *s, size_t n, void *ctx)
{
        wrapped *c = ctx;
        const char *after = s + n;

        while (after < c->end && *after == ' ')
                after++;
        /* the last row takes the rest, which draw_text cuts with the ellipsis */
        if (c->used == c->rows - 1 && after < c->end)
                n = (size_t)(c->end - s);
        if (c->used < c->rows)
                draw_text(c->t, c->w, c->y + c->used, c->x, c->width, c->a, s, n);
        c->used++;
}

int draw_wrapped(const term *t, WINDOW *w, int y, int x, int width, int rows, attr_t a,
                 const char *s)
{
        wrapped c = { .t = t, .w = w, .y = y, .x = x, .width = width, .rows = rows, .a = a };

        c.end = s + strlen(s);
        return draw_wrap(t, s, width, wrapped_line, &c);
}

/* The columns and the length of the character at S (N > 0 bytes, escaped text). */
static int char_cols(const term *t, const char *s, size_t n, size_t *len)
{
        uint32_t cp;

        *len = utf8_decode(s, n, &cp);
        if (*len == 0)
                *len = 1, cp = '?';
        return utf8_cp_columns(cp, t->utf8);
}

void draw_cut_middle(const term *t, const char *s, size_t n, int width, int tail, strbuf *out)
{
        strbuf sb = STRBUF_INIT;
        size_t head = 0, from, len;
        int cols = 0, tail_cols = 0;

        utf8_escape(&sb, s, n);
        if (width < 4 || tail + 2 > width || draw_width(t, sb.data, sb.len) <= width) {
                strbuf_append(out, sb.data, sb.len);
                strbuf_free(&sb);
                return;
        }
        /* the tail from the end, then the head in what is left of WIDTH but the ellipsis */
        from = sb.len;
        while (from > 0) {
                size_t k = from - 1;
                int cw;

                while (k > 0 && utf8_is_cont((unsigned char)sb.data[k]))
                        k--;
                cw = char_cols(t, sb.data + k, sb.len - k, &len);
                if (tail_cols + cw > tail)
                        break;
                tail_cols += cw;
                from = k;
        }
        while (head < from) {
                int cw = char_cols(t, sb.data + head, sb.len - head, &len);

                if (cols + cw > width - 1 - tail_cols)
                        break; /* a wide character is never split */
                cols += cw;
                head += len;
        }
        /* a wide character that did not fit at the head leaves a column: the tail takes it
         * when it can, else a blank after the ellipsis, so that the text still ends at the edge */
        while (from > head) {
                size_t k = from - 1;
                int cw;

                while (k > head && utf8_is_cont((unsigned char)sb.data[k]))
                        k--;
                cw = char_cols(t, sb.data + k, sb.len - k, &len);
                if (cols + 1 + tail_cols + cw > width)
                        break;
                tail_cols += cw;
                from = k;
        }
        strbuf_append(out, sb.data, head);
        strbuf_puts(out, t->ellipsis);
        for (cols += 1 + tail_cols; cols < width; cols++)
                strbuf_putc(out, ' ');
        strbuf_append(out, sb.data + from, sb.len - from);
        strbuf_free(&sb);
}
