/*
 * harness.h — run a scenario for real and get back exactly what happened, for engine tests.
 *
 * A scenario's JSON text goes in (loaded with scenario_load_text), the engine runs it (engine_run
 * in a thread of the test process, or in a forked child for runs that deadlock or crash), and the
 * events it published come back as compact lines ("T acquired l 1"), folded into a model as
 * well. In step mode the harness is the scheduler: it grants the actors of a given schedule
 * first, then follows one fixed rule, so a test can compare the exact list of events. Every run
 * also checks that the model accepted every event (model_info.ignored == 0).
 *
 * The harness talks to src/engine and src/model directly, never to the session.
 */
#ifndef LOCKSTEP_TESTS_HARNESS_H
#define LOCKSTEP_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "scenario/scenario.h"
#include "util/strbuf.h"

typedef enum harness_mode {
        HARNESS_STEP, /* the harness grants every step (engine_options.gates) */
        HARNESS_LIVE, /* real threads scheduled by the OS */
} harness_mode;

/* What the lines show: each flag adds lines of a kind the default leaves out. */
enum {
        HARNESS_SHOW_READY = 1, /* step mode's READY ("T ready acquire") */
        HARNESS_SHOW_STEP = 2,  /* mark the first event of each step with a leading "* " */
};

typedef struct harness_opts {
        harness_mode mode;
        /* Step mode: actors to grant first, in order: "MainThread, T*3, U" (NAME*N: N times).
         * A name that cannot move when its turn comes fails the test. Then the rule: the actor
         * granted last goes on while it can; else the lowest-numbered actor (MainThread last)
         * that can go on for real; else the lowest-numbered one in a wait with a timeout, whose
         * timeout then fires (time passes only when nobody else can move). */
        const char *schedule;
        /* Run the engine in a forked child (it flushes its coverage before it ends): for runs
         * that deadlock, crash, or never end on their own. In process, such a run fails. */
        bool fork;
        unsigned show; /* HARNESS_SHOW_* */
        uint64_t seed; /* 0: ENGINE_DEFAULT_SEED */
        const char *const *set;
        int nset;
        double step_delay;
        /* Live, forked: how long nothing may happen, in ms, before the model is asked whether
         * the run is stuck (default 200); a run the model calls deadlocked then ends. */
        int quiet_ms;
} harness_opts;

typedef struct harness_result {
        scenario *sc;
        model *m;        /* the state after the last event */
        strbuf lines;    /* one line per event, each ending in "\n" */
        int outcome;     /* END's outcome; OUTCOME_DEADLOCK when the run was stuck; OUTCOME_CRASH
                            when the runner died; OUTCOME_RUNNING when it never ended */
        int status;      /* engine_run's return, or the child's exit status; -1 killed */
        int signal;      /* forked: the signal that ended the runner (0: none) */
        strbuf why;      /* a deadlock's description (model_deadlock) */
        uint64_t events; /* events read */
        uint64_t grants; /* step mode: steps granted */
} harness_result;

/* Loads JSON (fails the test when it does not load) and runs it. */
harness_result *harness_run(const char *json, const harness_opts *opt);
void harness_free(harness_result *r);

/* Asserts that the run's lines are exactly WANT ("line\nline\n"); prints both when not. */
void harness_expect(const harness_result *r, const char *want);
/* The lines that contain NEEDLE, in order, each ending in "\n" (a new string: free() it). */
char *harness_grep(const harness_result *r, const char *needle);
/* How many lines contain NEEDLE. */
int harness_count(const harness_result *r, const char *needle);

/* Shorthands: a step run with SCHEDULE (may be NULL), and a live run, both in process. */
harness_result *harness_step(const char *json, const char *schedule);
harness_result *harness_live(const char *json);

#endif
