/*
 * utf8.c — decoding, validating, counting, cutting, encoding and escaping UTF-8; see utf8.h.
 */
#include "utf8.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
        const unsigned char *u = (const unsigned char *)s;
        unsigned c;
        size_t need;
        uint32_t v, min;

        if (n == 0)
                return 0;
        c = u[0];
        if (c < 0x80) {
                *cp = c;
                return 1;
        }
        if (c >= 0xc2 && c <= 0xdf)
                need = 1, v = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
                need = 2, v = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
                need = 3, v = c & 0x07, min = 0x10000;
        else
                return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or past U+10FFFF */
        if (n <= need)
                return 0;
        for (size_t k = 1; k <= need; k++) {
                if (!utf8_is_cont(u[k]))
                        return 0;
                v = (v << 6) | (u[k] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return 0;
        *cp = v;
        return need + 1;
}

bool utf8_valid(const char *s, size_t n, size_t *bad)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;

        while (i < n) {
                uint32_t cp;
                size_t k;

                if (u[i] < 0x80) { /* the common case, without a call */
                        i++;
                        continue;
                }
                k = utf8_decode(s + i, n - i, &cp);
                if (k == 0) {
                        if (bad != NULL)
                                *bad = i;
                        return false;
                }
                i += k;
        }
        return true;
}

size_t utf8_char_len(const char *s, size_t n)
{
        size_t len = 1;

        while (len < n && utf8_is_cont((unsigned char)s[len]))
                len++;
        return len;
}

size_t utf8_count(const char *s, size_t n)
{
        size_t count = 0;

        for (size_t i = 0; i < n; i++)
                if (!utf8_is_cont((unsigned char)s[i]))
                        count++;
        return count;
}

size_t utf8_offset(const char *s, size_t n, size_t index)
{
        size_t seen = 0;

        for (size_t i = 0; i < n; i++)
                if (!utf8_is_cont((unsigned char)s[i]) && seen++ == index)
                        return i;
        return n;
}

size_t utf8_encoded_len(uint32_t cp)
{
        if (cp < 0x80)
                return 1;
        if (cp < 0x800)
                return 2;
        if (cp >= 0xd800 && cp <= 0xdfff)
                return 0;
        if (cp < 0x10000)
                return 3;
        return cp <= 0x10ffff ? 4 : 0;
}

size_t utf8_encode(uint32_t cp, char out[UTF8_MAX])
{
        size_t len = utf8_encoded_len(cp);

        switch (len) {
        case 1: out[0] = (char)cp; break;
        case 2:
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                break;
        case 3:
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                break;
        case 4:
                out[0] = (char)(0xf0 | (cp >> 18));
                out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[3] = (char)(0x80 | (cp & 0x3f));
                break;
        default: break;
        }
        return len;
}

/* Code points a terminal acts on, that reorder what follows (the line and paragraph separators,
 * the bidirectional overrides, isolates and marks) or that show as nothing where they stand (a
 * zero-width space, a word joiner, a byte order mark: "T1" and "T\u200b1" would look alike),
 * beyond C0, DEL and C1. The zero-width joiners that scripts and emoji need are kept. */
static bool moves_text(uint32_t cp)
{
        return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c || cp == 0x200b || cp == 0x200e ||
               cp == 0x200f || cp == 0x2060 || cp == 0xfeff;
}

/* The character that starts S (N bytes, not printable ASCII), as utf8_escape writes it: its
 * bytes in *K, its code point in *CP, and into OUT its escape ("\x1b", "\n", "\u202e"), or ""
 * when it is shown as it is. The one place the rules are, for escape and utf8_columns. */
static void escape_char(const char *s, size_t n, size_t *k, uint32_t *cp, char out[12])
{
        *k = utf8_decode(s, n, cp);
        out[0] = '\0';
        if (*k == 0) {
                snprintf(out, 12, "\\x%02x", (unsigned char)s[0]);
                *k = 1, *cp = 0xfffd;
        } else if (*cp == '\n' || *cp == '\r' || *cp == '\t') {
                snprintf(out, 12, "\\%c", *cp == '\n' ? 'n' : *cp == '\r' ? 'r' : 't');
        } else if (*cp < 0x20 || *cp == 0x7f) {
                snprintf(out, 12, "\\x%02x", (unsigned)*cp);
        } else if ((*cp >= 0x80 && *cp <= 0x9f) || moves_text(*cp)) {
                snprintf(out, 12, "\\u%04x", (unsigned)*cp);
        }
}

/* utf8_escape, and with LAYOUT utf8_escape_output: \n and \t kept as they are. */
static void escape(strbuf *sb, const char *s, size_t n, bool layout)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;

        while (i < n) {
                size_t j = i, k;
                uint32_t cp;
                char out[12];

                /* runs of printable ASCII are copied in one piece */
                while (j < n && u[j] >= 0x20 && u[j] < 0x7f)
                        j++;
                strbuf_append(sb, s + i, j - i);
                if (j == n)
                        break;
                i = j;
                escape_char(s + i, n - i, &k, &cp, out);
                if (out[0] == '\0' || (layout && (cp == '\n' || cp == '\t')))
                        strbuf_append(sb, s + i, k);
                else
                        strbuf_puts(sb, out);
                i += k;
        }
}

void utf8_escape(strbuf *sb, const char *s, size_t n)
{
        escape(sb, s, n, false);
}

void utf8_escape_output(strbuf *sb, const char *s, size_t n)
{
        escape(sb, s, n, true);
}

void utf8_escape_str(strbuf *sb, const char *s)
{
        if (s != NULL)
                utf8_escape(sb, s, strlen(s));
}

int utf8_cp_columns(uint32_t cp, bool wide)
{
        int w;

        if (cp < 0x80 || !wide)
                return 1;
        w = wcwidth((wchar_t)cp);
        return w < 0 ? 1 : w;
}

/* Counted as escape() (not for layout) writes it, without writing it: wrapping measures every
 * character, and an allocation each was most of the work. */
int utf8_columns(const char *s, size_t n, bool wide)
{
        const unsigned char *u = (const unsigned char *)s;
        int cols = 0;

        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t k;
                char out[12];

                if (u[i] >= 0x20 && u[i] < 0x7f) {
                        cols++, i++;
                        continue;
                }
                escape_char(s + i, n - i, &k, &cp, out);
                cols += out[0] != '\0' ? (int)strlen(out) : utf8_cp_columns(cp, wide);
                i += k;
        }
        return cols;
}

/* What a word too long for a line is cut after, where it has one: where code and paths part. */
#define WRAP_MARKS "._,;:/-([{"

int utf8_wrap(const char *s, int width, bool wide, void (*line)(const char *s, size_t n, void *ctx),
              void *ctx)
{
        size_t n = strlen(s), start = 0;
        int lines = 0;

        if (width < 1)
                return 0;
        while (start < n) {
                size_t end = start, last_space = 0, last_mark = 0, next;
                int cols = 0, mark_cols = 0;
                bool word = false; /* a break at a space after the indentation only */

                while (end < n) {
                        size_t l = utf8_char_len(s + end, n - end);
                        int cw = utf8_columns(s + end, l, wide);

                        if (cols + cw > width)
                                break;
                        if (s[end] == ' ' && word)
                                last_space = end;
                        word = word || s[end] != ' ';
                        cols += cw;
                        end += l;
                        if (strchr(WRAP_MARKS, s[end - 1]) != NULL && end < n)
                                last_mark = end, mark_cols = cols;
                }
                /* the text's own indentation stays, unless nothing fits after it: no blank
                 * line */
                if (!word && end > start && end < n) {
                        start = end;
                        while (start < n && s[start] == ' ')
                                start++;
                        continue;
                }
                /* a word that ends at the line's last column stays on the line; a word longer
                 * than the line is cut after a mark that keeps at least half the line
                 * (`shared_value.` above `value + 1`, not `shared_value.valu` above `e + 1`;
                 * but not `print(` alone above a long string), else where the line ends */
                if (end < n && s[end] != ' ' && last_space > start)
                        end = last_space;
                else if (end < n && s[end] != ' ' && last_mark > start && 2 * mark_cols >= width)
                        end = last_mark;
                if (end == start) /* one character wider than the line */
                        end += utf8_char_len(s + start, n - start);
                next = end;
                while (end > start && s[end - 1] == ' ' && next < n)
                        end--;
                if (line != NULL)
                        line(s + start, end - start, ctx);
                lines++;
                start = next;
                while (start < n && s[start] == ' ')
                        start++;
        }
        return lines;
}
