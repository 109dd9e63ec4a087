/*
 * xalloc.c — allocation that never returns NULL; see xalloc.h.
 */
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void xdie(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("lockstep: fatal: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(70);
}

void *xmalloc(size_t size)
{
        void *p = malloc(size ? size : 1);

        if (p == NULL)
                xdie("out of memory (%zu bytes)", size);
        return p;
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);

        if (p == NULL)
                xdie("out of memory (%zu x %zu bytes)", n, size);
        return p;
}

void *xrealloc(void *p, size_t size)
{
        void *q = realloc(p, size ? size : 1);

        if (q == NULL)
                xdie("out of memory (%zu bytes)", size);
        return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size)
{
        size_t n = *cap ? *cap : 8;

        if (need <= *cap)
                return p;
        while (n < need) {
                if (n > SIZE_MAX / 2)
                        xdie("array too large");
                n *= 2;
        }
        if (n > SIZE_MAX / size)
                xdie("array too large");
        *cap = n;
        return xrealloc(p, n * size);
}

char *xstrndup(const char *s, size_t n)
{
        char *d = xmalloc(n + 1);

        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

char *xstrdup(const char *s)
{
        return xstrndup(s, strlen(s));
}
