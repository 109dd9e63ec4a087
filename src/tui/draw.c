/*
 * draw.c — escaping, measuring, clipping and writing text (see draw.h).
 */
#include "tui/draw.h"

#include <string.h>
#include <wchar.h>

#include "util/strbuf.h"
#include "util/utf8.h"

/* The columns of code point CP as shown: 1 for anything the terminal would not show sensibly
 * (it was escaped already; a stray one becomes '?'), 0 for a combining mark. */
static int cp_width(const term *t, uint32_t cp)
{
        int w;

        if (cp < 0x80)
                return 1;
        if (!t->utf8)
                return 1; /* shown as '?' */
        w = wcwidth((wchar_t)cp);
        return w < 0 ? 1 : w;
}

static wchar_t cp_shown(const term *t, uint32_t cp)
{
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && !t->utf8) ||
            (cp >= 0x80 && wcwidth((wchar_t)cp) < 0))
                return L'?';
        return (wchar_t)cp;
}

int draw_width(const term *t, const char *s, size_t n)
{
        strbuf sb = STRBUF_INIT;
        int cols = 0;

        utf8_escape(&sb, s, n);
        for (size_t k = 0; k < sb.len;) {
                uint32_t cp;
                size_t l = utf8_decode(sb.data + k, sb.len - k, &cp);

                if (l == 0)
                        l = 1, cp = '?';
                cols += cp_width(t, cp);
                k += l;
        }
        strbuf_free(&sb);
        return cols;
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
                cw = cp_width(t, cp);
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
        size_t n = strlen(s), start = 0;
        int lines = 0;

        if (width < 1)
                return 0;
        while (start < n) {
                size_t end = start, last_space = 0;
                int cols = 0;

                while (end < n) {
                        size_t l = utf8_char_len(s + end, n - end);
                        int cw = draw_width(t, s + end, l);

                        if (cols + cw > width)
                                break;
                        if (s[end] == ' ')
                                last_space = end;
                        cols += cw;
                        end += l;
                }
                if (end < n && last_space > start)
                        end = last_space;
                if (end == start) /* one character wider than the line */
                        end += utf8_char_len(s + start, n - start);
                if (line != NULL)
                        line(s + start, end - start, ctx);
                lines++;
                start = end;
                while (start < n && s[start] == ' ')
                        start++;
        }
        return lines;
}
