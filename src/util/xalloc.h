/*
 * xalloc.h — allocation that never returns NULL.
 *
 * Allocation failure is not a recoverable error in lockstep: these wrappers print a message and
 * exit(), so atexit() handlers (the TUI's terminal restore among them) still run.
 */
#ifndef LOCKSTEP_UTIL_XALLOC_H
#define LOCKSTEP_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grows an array of N elements of SIZE bytes so that it has room for at least NEED. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Reports a broken invariant and exits (status 70, EX_SOFTWARE). */
_Noreturn void xdie(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
