/*
 * strbuf.h — a growable byte buffer, NUL-terminated once anything is appended.
 *
 * Used wherever text is built piece by piece: values printed the Python way, diagnostics, trace
 * lines. A strbuf starts zeroed (STRBUF_INIT) and is released with strbuf_free.
 */
#ifndef LOCKSTEP_UTIL_STRBUF_H
#define LOCKSTEP_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
        char *data; /* NUL-terminated when len > 0 or after any append */
        size_t len;
        size_t cap;
} strbuf;

#define STRBUF_INIT                                                                                \
        {                                                                                          \
                NULL, 0, 0                                                                         \
        }

void strbuf_append(strbuf *sb, const char *s, size_t n);
void strbuf_puts(strbuf *sb, const char *s);
void strbuf_putc(strbuf *sb, char c);
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The text so far ("" for an empty buffer); valid until the next append. */
const char *strbuf_str(const strbuf *sb);
void strbuf_reset(strbuf *sb);
/* Hands the text over to the caller (free() it) and leaves SB empty. */
char *strbuf_detach(strbuf *sb);
void strbuf_free(strbuf *sb);

#endif
