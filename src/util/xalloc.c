/*
 * xalloc.c — allocation that never returns NULL, and the fatal exit; see xalloc.h.
 */
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The pid of the process lockstep started as. Written once, by a constructor, before main and
 * before any thread or fork; only read after: a process-wide constant, not mutable state.
 */
static pid_t start_pid;

__attribute__((constructor)) static void record_start_pid(void)
{
        start_pid = getpid();
}

bool xalloc_in_child(void)
{
        return getpid() != start_pid;
}

_Noreturn void xdie(const char *fmt, ...)
{
        va_list ap;

        if (xalloc_in_child()) {
                /* no stdio: its buffers are the front end's copies, and no atexit handler */
                char msg[512];
                int n = snprintf(msg, sizeof msg, "lockstep: fatal: ");

                va_start(ap, fmt);
                vsnprintf(msg + n, sizeof msg - (size_t)n - 1, fmt, ap);
                va_end(ap);
                n = (int)strlen(msg);
                msg[n++] = '\n';
                if (write(STDERR_FILENO, msg, (size_t)n) < 0) {
                        /* nowhere left to report it */
                }
                /* The system call itself: ThreadSanitizer's _exit still flushes stdio. */
                syscall(SYS_exit_group, 70);
                _exit(70);
        }
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

bool xpopulate(void *p, size_t len)
{
        /* every page that holds a byte of the range is mapped (the byte is the process's): the
         * pages are rounded outward */
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a, b;

        if (len == 0)
                return true;
        a = (uintptr_t)p & ~(page - 1);
        b = ((uintptr_t)p + len + page - 1) & ~(page - 1);
        return madvise((void *)a, b - a, MADV_POPULATE_WRITE) == 0;
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
