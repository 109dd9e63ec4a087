/*
 * strbuf.c — a growable byte buffer; see strbuf.h.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void reserve(strbuf *sb, size_t extra)
{
        if (sb->len + extra + 1 > sb->cap)
                sb->data = xgrow(sb->data, &sb->cap, sb->len + extra + 1, 1);
}

void strbuf_append(strbuf *sb, const char *s, size_t n)
{
        reserve(sb, n);
        if (n > 0)
                memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = '\0';
}

void strbuf_puts(strbuf *sb, const char *s)
{
        strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(strbuf *sb, char c)
{
        strbuf_append(sb, &c, 1);
}

void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
        va_list copy;
        int n;

        va_copy(copy, ap);
        n = vsnprintf(NULL, 0, fmt, copy);
        va_end(copy);
        if (n < 0)
                xdie("strbuf_vprintf: bad format");
        reserve(sb, (size_t)n);
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
        sb->len += (size_t)n;
}

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        strbuf_vprintf(sb, fmt, ap);
        va_end(ap);
}

const char *strbuf_str(const strbuf *sb)
{
        return sb->data ? sb->data : "";
}

void strbuf_reset(strbuf *sb)
{
        sb->len = 0;
        if (sb->data)
                sb->data[0] = '\0';
}

char *strbuf_detach(strbuf *sb)
{
        char *s = sb->data ? sb->data : xstrdup("");

        sb->data = NULL;
        sb->len = sb->cap = 0;
        return s;
}

void strbuf_free(strbuf *sb)
{
        free(sb->data);
        sb->data = NULL;
        sb->len = sb->cap = 0;
}
