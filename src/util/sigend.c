/*
 * sigend.c — the signals that end lockstep; see sigend.h.
 */
#include "sigend.h"

#include <stddef.h>

/* Those whose default action is to end the process (or dump its core), but faults. */
static const int ending[] = {
        SIGINT,  SIGTERM, SIGHUP, SIGQUIT,   SIGUSR1, SIGUSR2, SIGALRM,
        SIGPROF, SIGIO,   SIGPWR, SIGVTALRM, SIGXCPU, SIGXFSZ, SIGSTKFLT,
};

void sigend_add(sigset_t *set)
{
        for (size_t k = 0; k < sizeof(ending) / sizeof(*ending); k++) {
                struct sigaction sa;

                if (sigaction(ending[k], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
                        sigaddset(set, ending[k]);
        }
}

bool sigend_pending(void)
{
        sigset_t pending;

        if (sigpending(&pending) < 0)
                return false;
        for (size_t k = 0; k < sizeof(ending) / sizeof(*ending); k++)
                if (sigismember(&pending, ending[k]) == 1)
                        return true;
        return false;
}
