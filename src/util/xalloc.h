/*
 * xalloc.h — allocation that never returns NULL, memory mapped ahead of its use (xpopulate), and
 * the fatal exit.
 *
 * Allocation failure is not a recoverable error in lockstep: these wrappers print a message and
 * exit through xdie. In the process that started lockstep (the front end) xdie calls exit(), so
 * atexit() handlers (the TUI's terminal restore among them) still run. In a process forked from
 * it (the runner, and any process the engine forks) those handlers and the stdio buffers copied
 * at the fork belong to the front end: there xdie writes its message with write(2) and calls
 * _exit(), so a child never restores the front end's terminal nor writes its buffered output
 * a second time.
 */
#ifndef LOCKSTEP_UTIL_XALLOC_H
#define LOCKSTEP_UTIL_XALLOC_H

#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grows an array of N elements of SIZE bytes so that it has room for at least NEED. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
/*
 * Maps the pages that hold [P, P + LEN) into this process, written, in one system call instead of
 * a fault a page (MADV_POPULATE_WRITE, Linux 5.14): for memory that is about to be written
 * through. A page fault costs a microsecond or two on a virtual machine, and up to 12 on some. The
 * contents stay as they are. False when the kernel cannot (the pages then come by faults, as
 * they would have).
 */
bool xpopulate(void *p, size_t len);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Reports a broken invariant and exits (status 70, EX_SOFTWARE): exit() in the front end, _exit()
 * in a forked child. */
/* True in a process forked from the one that started lockstep: its pid differs from the one
 * recorded once, before main, by a constructor. */
bool xalloc_in_child(void);
_Noreturn void xdie(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
