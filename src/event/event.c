/*
 * event.c — names of event kinds and outcomes; see event.h.
 */
#include "event.h"

#include <string.h>

static const char *const words[EV_KIND_COUNT] = {
#define EVENT_WORD(name, word, doc) [EV_##name] = word,
        EVENT_KINDS(EVENT_WORD)
#undef EVENT_WORD
};

const char *event_kind_word(event_kind k)
{
        return (unsigned)k < EV_KIND_COUNT ? words[k] : NULL;
}

int event_kind_of(const char *word)
{
        for (int k = 0; k < EV_KIND_COUNT; k++) /* the first byte first: a trace reads one a line */
                if (words[k][0] == word[0] && strcmp(words[k], word) == 0)
                        return k;
        return -1;
}

const char *event_outcome_word(event_outcome o)
{
        switch (o) {
        case OUTCOME_RUNNING: return "running";
        case OUTCOME_DONE: return "done";
        case OUTCOME_ASSERT: return "assert";
        case OUTCOME_SCHEDULE: return "schedule";
        case OUTCOME_DEADLOCK: return "deadlock";
        case OUTCOME_CRASH: return "crash";
        case OUTCOME_TIMEOUT: return "timeout";
        case OUTCOME_LIMIT: return "limit";
        case OUTCOME_INTERRUPTED: return "interrupted";
        }
        return "unknown";
}
