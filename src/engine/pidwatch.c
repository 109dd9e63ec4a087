/*
 * pidwatch.c — a watch on a helper process of the runner; see pidwatch.h.
 */
#include "engine/pidwatch.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *watch(void *arg)
{
        pidwatch *w = arg;
        struct pollfd p = { .fd = w->pidfd, .events = POLLIN };

        while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
        if (!__atomic_load_n(&w->stopping, __ATOMIC_ACQUIRE))
                _exit(w->status);
        return NULL;
}

void pidwatch_start(pidwatch *w, pid_t pid, int status)
{
        sigset_t all, old;

        w->status = status;
        w->watching = false;
        w->stopping = false;
        w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (w->pidfd < 0)
                return;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        w->watching = pthread_create(&w->thread, NULL, watch, w) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

bool pidwatch_on(const pidwatch *w)
{
        return w->watching;
}

void pidwatch_stopping(pidwatch *w)
{
        __atomic_store_n(&w->stopping, true, __ATOMIC_RELEASE);
}

void pidwatch_end(pidwatch *w)
{
        if (w->watching)
                pthread_join(w->thread, NULL);
        w->watching = false;
        if (w->pidfd >= 0)
                close(w->pidfd);
        w->pidfd = -1;
}
