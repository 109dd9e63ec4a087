/*
 * test_session.c — the session as a front end sees it: the manual policy, grants and why an actor
 * cannot move, the descriptor that stays quiet while nothing happens, pause, switching policies,
 * restart, a branch, interruption, the exit status's precedence, pumping again at once after a
 * done step (session_more), and a live run's short way of taking events in.
 *
 * Every wait here is on the session's descriptor with no timeout, for something the session
 * promises will come (an event, the runner's end): no test depends on timing. Where a test is
 * about time (test_paced_due), the clock is this file's own: the front end's readings of it
 * come at least 2 ms apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "session/session.h"

/* Two threads that each take a lock twice: a short run with contention and an exact shape. */
static const char twice_text[] =
    "{\"lockstep\": 1, \"title\": \"Twice\", \"summary\": \"Two threads, one lock.\",\n"
    " \"resources\": {\"lock\": {\"type\": \"lock\"}, \"n\": {\"type\": \"var\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"T-{i}\", \"count\": 2, \"start\": \"manual\", \"run\": [\n"
    "   {\"for\": \"k\", \"in\": \"range(2)\", \"do\": [\n"
    "     {\"with\": \"lock\", \"do\": [{\"store\": \"n\", \"value\": \"n + 1\"}]}]}]}],\n"
    " \"main\": [{\"start\": \"T-0\"}, {\"start\": \"T-1\"}, {\"join\": \"T-0\"},\n"
    "          {\"join\": \"T-1\"}, {\"assert\": \"n == 4\"}, {\"print\": \"n = {n}\"}]}\n";

static char path[64];

static int setup(void **state)
{
        int fd;

        (void)state;
        strcpy(path, "/tmp/lockstep-test-session-XXXXXX");
        fd = mkstemp(path);
        if (fd < 0 || write(fd, twice_text, sizeof(twice_text) - 1) < 0)
                return -1;
        close(fd);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        unlink(path);
        return 0;
}

static session *open_cfg(session_config *cfg)
{
        strbuf err = STRBUF_INIT;
        session *s;

        cfg->path = path;
        s = session_open(cfg, &err);
        if (s == NULL)
                fprintf(stderr, "%s", strbuf_str(&err));
        strbuf_free(&err);
        assert_non_null(s);
        return s;
}

/* Pumps until some actor can be granted a step (step mode) or the run ends. */
static bool until_movable(session *s)
{
        for (;;) {
                struct pollfd p = { .fd = session_fd(s), .events = POLLIN };

                if (!session_pump(s))
                        return false;
                if (session_movable(s, NULL) > 0)
                        return true;
                assert_true(poll(&p, 1, -1) == 1);
        }
}

static void until_end(session *s)
{
        while (session_pump(s)) {
                struct pollfd p = { .fd = session_fd(s), .events = POLLIN };

                assert_true(poll(&p, 1, -1) == 1);
        }
}

static int readable_now(session *s)
{
        struct pollfd p = { .fd = session_fd(s), .events = POLLIN };

        return poll(&p, 1, 0);
}

static void close_ok(session *s)
{
        strbuf err = STRBUF_INIT;

        assert_int_equal(session_close(s, &err), 0);
        strbuf_free(&err);
}

/* A person steps the run: only main can move at first; the others have not started; a grant of
 * an actor that cannot move says why; nothing moves without a grant. */
static void test_manual_grants(void **state)
{
        session_config cfg = { .step = true, .policy = SESSION_MANUAL };
        session *s = open_cfg(&cfg);
        session_why why[4];
        strbuf text = STRBUF_INIT;
        int main_actor = session_scenario(s)->nactors, grants = 0;

        (void)state;
        assert_true(until_movable(s));
        assert_int_equal(session_movable(s, why), 1);
        assert_int_equal(why[main_actor], SESSION_CAN_MOVE);
        assert_int_equal(why[0], SESSION_NOT_STARTED);
        assert_int_equal(why[1], SESSION_NOT_STARTED);
        assert_int_equal(session_grant(s, 0, &text), -1);
        assert_string_equal(strbuf_str(&text), "T-0 has not been started");
        /* Nothing is granted by pumping: the descriptor is quiet, the step count stays 0. */
        assert_true(session_pump(s));
        assert_int_equal(readable_now(s), 0);
        assert_int_equal(session_steps(s), 0);
        /* Always the lowest-numbered actor that can move: a deterministic run by hand. */
        while (until_movable(s)) {
                int a = 0;

                session_movable(s, why);
                while (why[a] != SESSION_CAN_MOVE)
                        a++;
                strbuf_reset(&text);
                assert_int_equal(session_grant(s, a, &text), 0);
                grants++;
                /* Right after a grant nobody else can move: the actor is on its step. */
                assert_int_equal(session_movable(s, NULL), 0);
        }
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        assert_int_equal(session_exit_status(s), 0);
        assert_int_equal((int)session_steps(s), grants);
        strbuf_free(&text);
        close_ok(s);
}

/* While T-0 holds the lock, T-1 is blocked, and says on what and by whom. */
static void test_why_blocked(void **state)
{
        session_config cfg = { .step = true, .policy = SESSION_MANUAL };
        session *s = open_cfg(&cfg);
        session_why why[4];
        strbuf text = STRBUF_INIT;
        int main_actor = session_scenario(s)->nactors;

        (void)state;
        /* main starts both; T-0 goes into its with (for, then with), T-1 tries the lock */
        static const int plan[] = { 3, 3, 0, 0, 1, 1 };

        for (size_t k = 0; k < sizeof(plan) / sizeof(*plan); k++) {
                assert_true(until_movable(s));
                strbuf_reset(&text);
                assert_int_equal(session_grant(s, plan[k] == 3 ? main_actor : plan[k], &text), 0);
        }
        assert_true(until_movable(s));
        session_movable(s, why);
        assert_int_equal(why[1], SESSION_BLOCKED);
        strbuf_reset(&text);
        session_why_text(s, 1, &text);
        assert_string_equal(strbuf_str(&text), "T-1 waits for lock (held by T-0)");
        strbuf_reset(&text);
        assert_int_equal(session_grant(s, 1, &text), -1);
        assert_string_equal(strbuf_str(&text), "T-1 waits for lock (held by T-0)");
        strbuf_free(&text);
        close_ok(s);
}

/* Step by hand, then let the policy run it to the end: the same run as a random run all along
 * is not promised, but the run finishes and every step after the switch was granted. */
static void test_switch_policy(void **state)
{
        session_config cfg = {
                .step = true, .policy = SESSION_MANUAL, .seed = 3, .seed_given = true
        };
        session *s = open_cfg(&cfg);
        strbuf text = STRBUF_INIT;

        (void)state;
        assert_true(until_movable(s));
        assert_int_equal(session_grant(s, session_scenario(s)->nactors, &text), 0);
        assert_true(until_movable(s));
        assert_int_equal(session_steps(s), 1);
        session_set_policy(s, SESSION_RANDOM);
        assert_int_equal(session_policy_of(s), SESSION_RANDOM);
        until_end(s);
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        assert_true(session_steps(s) > 1);
        strbuf_free(&text);
        close_ok(s);
}

/* A live run opened paused takes no step until it is resumed, and then finishes. */
static void test_live_pause(void **state)
{
        session_config cfg = { .paused = true };
        session *s = open_cfg(&cfg);
        const model *m;

        (void)state;
        assert_true(session_paused(s));
        /* The main thread publishes its start and stops before its first step: pump until the
         * START event is in, then the run must stay still. */
        do {
                struct pollfd p = { .fd = session_fd(s), .events = POLLIN };

                assert_true(session_pump(s));
                m = history_live(session_history(s));
                if (model_info_of(m)->events == 0)
                        assert_true(poll(&p, 1, -1) == 1);
        } while (model_info_of(m)->events == 0);
        assert_int_equal(session_steps(s), 0);
        assert_int_equal(model_info_of(m)->events, 1);
        session_pause(s, false);
        assert_false(session_paused(s));
        until_end(s);
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        assert_int_equal(model_output_count(history_live(session_history(s))), 1);
        close_ok(s);
}

/* Restart from the start gives the same run; restart with the schedule so far stops where the
 * first run was (manual policy), at the same moment. */
static void test_restart(void **state)
{
        session_config cfg = { .step = true, .seed = 5, .seed_given = true, .record = true };
        session *s = open_cfg(&cfg), *r;
        strbuf err = STRBUF_INIT;
        uint64_t steps, events;

        (void)state;
        until_end(s);
        steps = session_steps(s);
        events = session_events(s);
        r = session_restart(s, SESSION_RESTART_GIVEN, &err);
        assert_non_null(r);
        until_end(r);
        assert_int_equal(session_steps(r), steps);
        assert_int_equal(session_events(r), events);
        s = session_restart(r, SESSION_RESTART_ALL, &err);
        assert_non_null(s);
        assert_int_equal(session_policy_of(s), SESSION_MANUAL);
        until_end(s);
        assert_int_equal(session_steps(s), steps);
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        strbuf_free(&err);
        close_ok(s);
}

/* A person's moves: a grant settles once its step's events are in (the TUI holds keys until
 * then); a run opened with moves to make settles once they are made, and its restart makes them
 * again (GIVEN, as a branch's) or none (CLEAN, the TUI's R): the first step is the person's. */
static void test_settling_and_clean_restart(void **state)
{
        int moves[2];
        session_config cfg = { .step = true,
                               .policy = SESSION_MANUAL,
                               .seed = 3,
                               .seed_given = true,
                               .record = true };
        session *s;
        strbuf text = STRBUF_INIT, err = STRBUF_INIT;
        int main_actor;

        (void)state;
        cfg.path = path;
        s = open_cfg(&cfg);
        main_actor = session_scenario(s)->nactors;
        assert_true(until_movable(s));
        assert_false(session_settling(s));
        assert_int_equal(session_grant(s, main_actor, &text), 0);
        assert_true(session_settling(s)); /* until the step's events are taken in */
        assert_true(until_movable(s));
        assert_false(session_settling(s));
        close_ok(s);

        moves[0] = moves[1] = main_actor;
        cfg.schedule = moves;
        cfg.nschedule = 2;
        s = open_cfg(&cfg);
        assert_true(until_movable(s));
        assert_false(session_settling(s));
        assert_int_equal(session_steps(s), 2);
        s = session_restart(s, SESSION_RESTART_GIVEN, &err);
        assert_non_null(s);
        assert_true(until_movable(s));
        assert_int_equal(session_steps(s), 2);
        s = session_restart(s, SESSION_RESTART_CLEAN, &err);
        assert_non_null(s);
        assert_true(until_movable(s));
        assert_int_equal(session_steps(s), 0);
        assert_int_equal(session_seed(s), 3);
        assert_int_equal(session_movable(s, NULL), 1);
        strbuf_free(&text);
        strbuf_free(&err);
        close_ok(s);
}

/* A branch (the TUI's step at an earlier moment) runs again with the seed and the --set values
 * of the run it leaves, makes its first K moves, then waits for a person; and a run's seconds
 * stop when it ends. */
static void test_branch(void **state)
{
        static const char text[] =
            "{\"lockstep\": 1, \"title\": \"B\", \"summary\": \"s\", \"constants\": {\"N\": 1},\n"
            " \"actors\": [], \"main\": [{\"print\": \"a {N}\"}, {\"print\": \"b {N}\"}]}\n";
        const char *set[] = { "N=7" };
        char file[64] = "/tmp/lockstep-test-branch-XXXXXX";
        session_config cfg = {
                .step = true, .seed = 9, .seed_given = true, .record = true, .set = set, .nset = 1
        };
        strbuf err = STRBUF_INIT;
        struct timespec ms = { 0, 2000000 };
        const char *const *got;
        int fd = mkstemp(file), n;
        double ran;
        session *s;

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
        close(fd);
        cfg.path = file;
        s = session_open(&cfg, &err);
        if (s == NULL)
                fprintf(stderr, "%s", strbuf_str(&err));
        assert_non_null(s);
        until_end(s);
        assert_int_equal(session_steps(s), 2);
        ran = session_seconds(s);
        nanosleep(&ms, NULL);
        assert_true(session_seconds(s) == ran);
        s = session_branch(s, 1, &err);
        assert_non_null(s);
        assert_true(until_movable(s));
        assert_int_equal(session_steps(s), 1);
        assert_int_equal(session_policy_of(s), SESSION_MANUAL);
        assert_int_equal(session_seed(s), 9);
        got = session_sets(s, &n);
        assert_int_equal(n, 1);
        assert_string_equal(got[0], "N=7");
        assert_int_equal(model_output_count(session_model(s)), 1);
        assert_string_equal(model_output_at(session_model(s), 0, &(model_line){ 0 })->text, "a 7");
        /* the branch goes on by hand to the end; a branch of it asked for more moves than
         * were made makes them all */
        assert_int_equal(session_grant(s, 0, &err), 0);
        until_end(s);
        assert_int_equal(model_output_count(session_model(s)), 2);
        s = session_branch(s, 5, &err);
        assert_non_null(s);
        assert_false(until_movable(s));
        assert_int_equal(session_steps(s), 2);
        strbuf_free(&err);
        close_ok(s);
        unlink(file);
}

/* Interrupting ends the run at once: outcome INTERRUPTED, exit status 128 + the signal. */
static void test_interrupt(void **state)
{
        session_config cfg = { .step = true, .policy = SESSION_MANUAL };
        session *s = open_cfg(&cfg);

        (void)state;
        assert_true(until_movable(s));
        session_interrupt(s, SIGTERM, "interrupted by SIGTERM");
        assert_false(session_pump(s));
        assert_int_equal(session_outcome(s), OUTCOME_INTERRUPTED);
        assert_int_equal(session_exit_status(s), 128 + SIGTERM);
        assert_string_equal(session_reason(s), "interrupted by SIGTERM");
        close_ok(s);
}

/* Bad configs are refused with a message, before anything runs. */
static void test_refusals(void **state)
{
        session_config cfg = { .trace_path = path };
        strbuf err = STRBUF_INIT;

        (void)state;
        cfg.path = path;
        assert_null(session_open(&cfg, &err));
        assert_non_null(strstr(strbuf_str(&err), "would overwrite the scenario"));
        strbuf_reset(&err);
        cfg.trace_path = NULL;
        cfg.schedule_in = path;
        assert_null(session_open(&cfg, &err));
        assert_non_null(strstr(strbuf_str(&err), "--schedule needs --step"));
        strbuf_reset(&err);
        cfg.schedule_in = NULL;
        cfg.path = "/";
        assert_null(session_open(&cfg, &err));
        assert_non_null(strstr(strbuf_str(&err), "a directory"));
        strbuf_free(&err);
}

/* Why texts for every case, and the accessors. */
static void test_why_texts(void **state)
{
        session_config cfg = { .step = true,
                               .policy = SESSION_MANUAL,
                               .seed = 9,
                               .seed_given = true,
                               .record = true };
        session *s = open_cfg(&cfg);
        int main_actor = session_scenario(s)->nactors;
        strbuf text = STRBUF_INIT;
        size_t n;

        (void)state;
        assert_int_equal(session_seed(s), 9);
        assert_string_equal(session_config_of(s)->path, path);
        assert_true(until_movable(s));
        session_why_text(s, main_actor, &text);
        assert_string_equal(strbuf_str(&text), "MainThread can move");
        assert_int_equal(session_grant(s, 99, &text), -1);
        assert_non_null(strstr(strbuf_str(&text), "there is no actor 99"));
        strbuf_reset(&text);
        assert_int_equal(session_grant(s, main_actor, &text), 0);
        session_why_text(s, main_actor, &text);
        assert_string_equal(strbuf_str(&text), "MainThread is on its step");
        /* by the policy to the end: every grant is a step and a move of the schedule (22
         * statements' steps, and 5 times a blocked actor was let go on) */
        session_set_policy(s, SESSION_ROUND_ROBIN);
        until_end(s);
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        assert_int_equal(session_signal(s), 0);
        session_schedule(s, &n);
        assert_int_equal(session_steps(s), 27);
        assert_int_equal(n, 27);
        strbuf_reset(&text);
        session_why_text(s, 0, &text);
        assert_string_equal(strbuf_str(&text), "T-0 has finished");
        strbuf_free(&text);
        close_ok(s);
}

/* Grants paced at a speed give the same run as unpaced ones: the pace changes when, not what. */
static void test_paced_grants(void **state)
{
        session_config cfg = { .step = true, .seed = 4, .seed_given = true };
        session *s = open_cfg(&cfg);
        uint64_t steps, events;

        (void)state;
        until_end(s);
        steps = session_steps(s);
        events = session_events(s);
        close_ok(s);
        cfg.speed = 1000;
        s = open_cfg(&cfg);
        assert_true(session_speed(s) == 1000);
        until_end(s);
        assert_int_equal(session_steps(s), steps);
        assert_int_equal(session_events(s), events);
        close_ok(s);
}

/*
 * CLOCK_MONOTONIC as this process (the front end) reads it while slow_pid is its pid: the real
 * clock, each reading SLOW_TICK_NS after the one before at least (it sleeps that long first), so
 * that whether a paced grant is due at one reading and not at the next depends on how many
 * readings the session takes more than on the machine's speed — and the clock still agrees with
 * the kernel's timers. Elsewhere (the runner, forked from this process, and every other test)
 * the clock as it is. (Defined here, it is the one the library's calls reach.)
 */
#define SLOW_TICK_NS 2000000L
static pid_t slow_pid;

int clock_gettime(clockid_t id, struct timespec *ts)
{
        if (slow_pid != 0 && id == CLOCK_MONOTONIC && getpid() == slow_pid) {
                struct timespec d = { 0, SLOW_TICK_NS };

                while (nanosleep(&d, &d) != 0)
                        ;
        }
        return (int)syscall(SYS_clock_gettime, id, ts);
}

/* A paced grant put off until it is due is woken for by the session's timer, however many
 * readings of the clock come between the deferral and the timer's setting: the grant falls due
 * (m + 0.5) readings after the one it was granted at, for each m, so that one run puts it
 * between the pump's decision and its timer wherever the code reads the clock (a machine slower
 * than half a tick between two readings only moves it). A session that read the clock again for
 * the timer and found the grant due set no timer and waited for ever (the test's timeout). */
static void test_paced_due(void **state)
{
        (void)state;
        for (int m = 1; m <= 8; m++) {
                session_config cfg = { .step = true,
                                       .seed = 4,
                                       .seed_given = true,
                                       .speed = 1e9 / ((m + 0.5) * SLOW_TICK_NS) };
                session *s;

                slow_pid = getpid();
                s = open_cfg(&cfg);
                until_end(s);
                slow_pid = 0;
                assert_int_equal(session_outcome(s), OUTCOME_DONE);
                assert_int_equal(session_steps(s), 25); /* 3 of them a blocked actor going on */
                close_ok(s);
        }
}

/* A live run paused, its speed changed, resumed: it finishes; a live actor is not steppable. */
static void test_live_speed(void **state)
{
        session_config cfg = { .paused = true };
        session *s = open_cfg(&cfg);
        strbuf text = STRBUF_INIT;

        (void)state;
        session_set_speed(s, 1e-9); /* clamped to 0.001 */
        assert_true(session_speed(s) == 0.001);
        session_set_speed(s, 0);
        assert_true(session_speed(s) == 0);
        assert_int_equal(session_grant(s, 0, &text), -1);
        assert_non_null(strstr(strbuf_str(&text), "a live run"));
        assert_int_equal(session_movable(s, NULL), 0);
        session_pause(s, false);
        until_end(s);
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        strbuf_free(&text);
        close_ok(s);
}

/* live_only: no recorded run, and the same state at the end as a run that keeps one (the twice
 * scenario in step mode: the same seed, the same events). */
static void test_live_only(void **state)
{
        session_config keep = {
                .step = true, .policy = SESSION_RANDOM, .seed_given = true, .seed = 3
        };
        session_config only = keep;
        session *a, *b;
        const model_info *ia, *ib;

        (void)state;
        only.live_only = true;
        a = open_cfg(&keep);
        b = open_cfg(&only);
        until_end(a);
        until_end(b);
        assert_non_null(session_history(a));
        assert_null(session_history(b));
        ia = model_info_of(session_model(a));
        ib = model_info_of(session_model(b));
        assert_int_equal(session_outcome(b), OUTCOME_DONE);
        assert_true(ib->ended);
        assert_int_equal(ib->ignored, 0);
        assert_int_equal(ib->events, ia->events);
        assert_int_equal(ib->steps, ia->steps);
        assert_int_equal(model_output_count(session_model(b)), 1);
        assert_string_equal(model_output_at(session_model(b), 0, &(model_line){ 0 })->text,
                            "n = 4");
        close_ok(a);
        close_ok(b);
}

/* Files that cannot be opened or written: messages, not crashes. */
static void test_file_errors(void **state)
{
        session_config cfg = { .path = "/nonexistent/lockstep.json" };
        strbuf err = STRBUF_INIT;
        session *s;

        (void)state;
        assert_null(session_open(&cfg, &err));
        assert_non_null(strstr(strbuf_str(&err), "cannot open"));
        strbuf_reset(&err);
        cfg.path = path;
        cfg.trace_path = "/nonexistent/trace.jsonl";
        assert_null(session_open(&cfg, &err));
        assert_true(err.len > 0);
        strbuf_reset(&err);
        cfg.trace_path = NULL;
        cfg.step = true;
        cfg.record = true;
        s = open_cfg(&cfg);
        until_end(s);
        assert_int_equal(session_save_schedule(s, "/nonexistent/s.sched", SIZE_MAX, &err), -1);
        assert_true(err.len > 0);
        strbuf_free(&err);
        close_ok(s);
}

/* Stepping by hand at a speed: once the granted step is done, nothing is due, and the
 * descriptor stays quiet (it spun on a paced grant that would never come). */
static void test_manual_with_speed_is_quiet(void **state)
{
        session_config cfg = { .step = true, .policy = SESSION_MANUAL, .speed = 1e9 };
        session *s = open_cfg(&cfg);
        strbuf text = STRBUF_INIT;
        struct pollfd p;

        (void)state;
        assert_true(until_movable(s));
        assert_int_equal(session_grant(s, session_scenario(s)->nactors, &text), 0);
        assert_true(until_movable(s));
        p = (struct pollfd){ .fd = session_fd(s), .events = POLLIN };
        assert_int_equal(poll(&p, 1, 200), 0);
        session_pause(s, true);
        assert_true(session_pump(s));
        p = (struct pollfd){ .fd = session_fd(s), .events = POLLIN };
        assert_int_equal(poll(&p, 1, 200), 0);
        strbuf_free(&text);
        close_ok(s);
}

/* One stepped run by the policy, pumped as `lockstep run` does (again at once while
 * session_more says so) or, with AGAIN false, with a poll before every pump; its moves and its
 * events (kind and actor, in order) into MOVES and EVENTS. */
static void stepped_run(uint64_t seed, bool again, strbuf *moves, strbuf *events)
{
        session_config cfg = { .step = true, .seed = seed, .seed_given = true, .record = true };
        session *s = open_cfg(&cfg);
        const int *m;
        size_t n;

        while (session_pump(s)) {
                struct pollfd p = { .fd = session_fd(s), .events = POLLIN };

                if (again && session_more(s))
                        continue;
                assert_true(poll(&p, 1, -1) == 1);
        }
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        m = session_schedule(s, &n);
        for (size_t k = 0; k < n; k++)
                strbuf_printf(moves, "%d ", m[k]);
        for (uint64_t q = 1; q <= history_len(session_history(s)); q++) {
                event ev;

                assert_true(history_event(session_history(s), q, &ev));
                strbuf_printf(events, "%d:%d ", (int)ev.kind, ev.actor);
        }
        close_ok(s);
}

/* Pumping again at once after a done step changes nothing of the run: the same seed gives the
 * same moves and the same events as polling before every pump. A live run never says more. */
static void test_pump_again(void **state)
{
        session_config live = { .seed = 1, .seed_given = true };
        session *s;

        (void)state;
        for (uint64_t seed = 1; seed <= 4; seed++) {
                strbuf m1 = STRBUF_INIT, e1 = STRBUF_INIT, m2 = STRBUF_INIT, e2 = STRBUF_INIT;

                stepped_run(seed, true, &m1, &e1);
                stepped_run(seed, false, &m2, &e2);
                assert_true(m1.len > 0);
                assert_string_equal(strbuf_str(&m1), strbuf_str(&m2));
                assert_string_equal(strbuf_str(&e1), strbuf_str(&e2));
                strbuf_free(&m1);
                strbuf_free(&e1);
                strbuf_free(&m2);
                strbuf_free(&e2);
        }
        s = open_cfg(&live);
        while (session_pump(s)) {
                struct pollfd p = { .fd = session_fd(s), .events = POLLIN };

                assert_false(session_more(s));
                assert_true(poll(&p, 1, -1) == 1);
        }
        close_ok(s);
}

/* Main alone (T is never started): its events come in one order whatever the machine does. It
 * counts under a lock, prints (a line longer than the stream's first slot too), then fails an
 * assert. */
static const char solo_text[] =
    "{\"lockstep\": 1, \"title\": \"Solo\", \"summary\": \"Main alone.\",\n"
    " \"resources\": {\"lock\": {\"type\": \"lock\"}, \"n\": {\"type\": \"var\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"T\", \"start\": \"manual\", \"run\": [{\"print\": \"never\"}]}],\n"
    " \"main\": [{\"for\": \"k\", \"in\": \"range(3)\", \"do\": [\n"
    "   {\"with\": \"lock\", \"do\": [{\"store\": \"n\", \"value\": \"n + 1\"}]}]},\n"
    "   {\"print\": \"n = {n}\"}, {\"print\": \"and a line of more than sixteen bytes\"},\n"
    "   {\"assert\": \"n == 4\"}]}\n";

typedef struct seen {
        uint64_t events, steps, last_seq;
        uint64_t kinds[EV_KIND_COUNT];
} seen;

static void count_event(const event *ev, void *ctx)
{
        seen *n = ctx;

        n->events++;
        n->steps += ev->kind == EV_STEP || (ev->flags & EVENT_BEGINS_STEP);
        n->last_seq = ev->seq;
        if (ev->kind < EV_KIND_COUNT)
                n->kinds[ev->kind]++;
}

/* A live run without a trace or a recording takes the common kinds the short way (take): the
 * same counts, model, reason and limits as a run with a trace, which takes every event through
 * every check. */
static void test_live_short_way(void **state)
{
        char solo[64], trace[64], trace2[64];
        const uint64_t some = 1ull << EV_CHANGED | 1ull << EV_PRINT | 1ull << EV_END;
        seen n[5] = { { 0 } };
        session_config cfg[5] = {
                { .on_event = count_event, .ctx = &n[0] },
                { .on_event = count_event, .ctx = &n[1], .trace_path = trace },
                { .on_event = count_event, .ctx = &n[2], .max_output = 10 },
                /* a hook for a few kinds, the short way and the long one */
                { .on_event = count_event, .ctx = &n[3], .on_event_kinds = some },
                { .on_event = count_event,
                  .ctx = &n[4],
                  .on_event_kinds = some,
                  .trace_path = trace2 },
        };
        session *s[5];
        int fd;

        (void)state;
        strcpy(solo, "/tmp/lockstep-test-solo-XXXXXX");
        strcpy(trace, "/tmp/lockstep-test-solo-trace-XXXXXX");
        fd = mkstemp(solo);
        assert_true(fd >= 0 && write(fd, solo_text, sizeof(solo_text) - 1) > 0);
        close(fd);
        fd = mkstemp(trace);
        assert_true(fd >= 0);
        close(fd);
        strcpy(trace2, "/tmp/lockstep-test-solo-trace-XXXXXX");
        fd = mkstemp(trace2);
        assert_true(fd >= 0);
        close(fd);
        for (int k = 0; k < 5; k++) {
                strbuf err = STRBUF_INIT;

                cfg[k].path = solo;
                s[k] = session_open(&cfg[k], &err);
                if (s[k] == NULL)
                        fprintf(stderr, "%s", strbuf_str(&err));
                strbuf_free(&err);
                assert_non_null(s[k]);
                until_end(s[k]);
        }
        /* the short way and the long one agree on everything */
        assert_int_equal(session_outcome(s[0]), OUTCOME_ASSERT);
        assert_int_equal(session_outcome(s[1]), OUTCOME_ASSERT);
        assert_string_equal(session_reason(s[0]), session_reason(s[1]));
        assert_int_equal(session_events(s[0]), session_events(s[1]));
        assert_int_equal(session_steps(s[0]), session_steps(s[1]));
        assert_memory_equal(n[0].kinds, n[1].kinds, sizeof n[0].kinds);
        assert_int_equal(n[0].kinds[EV_ACQUIRED], 3);
        assert_int_equal(n[0].kinds[EV_RELEASED], 3);
        assert_int_equal(n[0].kinds[EV_CHANGED], 3);
        assert_int_equal(n[0].kinds[EV_PRINT], 2);
        assert_int_equal(n[0].kinds[EV_ASSERT], 1);
        for (int k = 0; k < 2; k++) {
                const model *m = session_model(s[k]);

                /* what the hook saw is what the session counted and the model folded, and the end
                 * line the session writes itself */
                assert_int_equal(session_events(s[k]) + 1, n[k].events);
                assert_int_equal(n[k].kinds[EV_END], 1);
                assert_int_equal(session_steps(s[k]), n[k].steps);
                assert_int_equal(model_info_of(m)->last_seq, n[k].last_seq);
                assert_int_equal(model_info_of(m)->ignored, 0);
                assert_int_equal(model_output_count(m), 2);
                assert_string_equal(model_output_at(m, 0, &(model_line){ 0 })->text, "n = 3");
                assert_string_equal(model_output_at(m, 1, &(model_line){ 0 })->text,
                                    "and a line of more than sixteen bytes");
                assert_int_equal(model_assert_count(m), 1);
        }
        /* the output's limit is still looked at without a trace: "n = 3" and its newline are 6
         * bytes, the second line passes 10 */
        assert_int_equal(session_outcome(s[2]), OUTCOME_LIMIT);
        assert_non_null(strstr(session_reason(s[2]), "--max-output"));
        assert_int_equal(n[2].kinds[EV_PRINT], 2);
        assert_int_equal(n[2].kinds[EV_ASSERT], 0);
        /* the hook for a few kinds saw those, as many as the hook for all, and no other */
        for (int k = 3; k < 5; k++) {
                assert_int_equal(session_events(s[k]), session_events(s[0]));
                assert_int_equal(n[k].events, 3 + 2 + 1);
                for (int kind = 0; kind < EV_KIND_COUNT; kind++)
                        assert_int_equal(n[k].kinds[kind],
                                         (some >> kind) & 1u ? n[0].kinds[kind] : 0);
        }
        for (int k = 0; k < 5; k++)
                close_ok(s[k]);
        unlink(solo);
        unlink(trace);
        unlink(trace2);
}

/* Every event of a run as a line of text, in order: what two runs must share to be the same. */
static void line_event(const event *ev, void *ctx)
{
        strbuf_printf((strbuf *)ctx, "%d %d %d %d %d %lld %d %.*s\n", ev->kind, ev->flags,
                      ev->actor, ev->res, ev->other, (long long)ev->num, ev->aux, (int)ev->len,
                      ev->text);
}

/* A stepped run that nobody steers is scheduled in the runner (stepper.h): the same events, in
 * the same order, as when the session schedules it, for seeds 1..10 and round-robin, with and
 * without fifo hand-off; and nobody can grant a step of it by hand. */
static void test_runner_steps(void **state)
{
        (void)state;
        for (int k = 0; k < 22; k++) {
                strbuf lines[2] = { STRBUF_INIT, STRBUF_INIT };
                session *s[2];

                for (int w = 0; w < 2; w++) {
                        session_config cfg = { .step = true,
                                               .seed_given = true,
                                               .seed = (uint64_t)(k % 11) + 1,
                                               .policy = k % 11 == 10 ? SESSION_ROUND_ROBIN
                                                                      : SESSION_RANDOM,
                                               .fifo = k >= 11,
                                               .unattended = w == 0,
                                               .on_event = line_event,
                                               .ctx = &lines[w] };

                        s[w] = open_cfg(&cfg);
                        if (w == 0) {
                                strbuf why = STRBUF_INIT;

                                assert_int_equal(session_grant(s[w], 0, &why), -1);
                                assert_string_equal(strbuf_str(&why),
                                                    "the runner schedules this run itself");
                                strbuf_free(&why);
                        }
                        until_end(s[w]);
                        assert_int_equal(session_outcome(s[w]), OUTCOME_DONE);
                }
                assert_true(lines[0].len > 0);
                assert_string_equal(strbuf_str(&lines[0]), strbuf_str(&lines[1]));
                assert_int_equal(session_steps(s[0]), session_steps(s[1]));
                for (int w = 0; w < 2; w++) {
                        close_ok(s[w]);
                        strbuf_free(&lines[w]);
                }
        }
}

/* A recording past its cap (cfg.max_moves, a schedule's most): for a front end (the TUI) it stops
 * and the run goes on to its end; with --save-schedule, whose file must replay the whole run, the
 * run ends there. */
static void test_schedule_cut(void **state)
{
        session_config cfg = { .step = true, .seed = 5, .seed_given = true, .record = true };
        char out[64];
        size_t n, all;
        session *s;
        int fd;

        (void)state;
        s = open_cfg(&cfg);
        until_end(s);
        session_schedule(s, &all);
        assert_true(all > 5);
        assert_false(session_schedule_cut(s));
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        close_ok(s);

        cfg.max_moves = 5;
        s = open_cfg(&cfg);
        until_end(s);
        session_schedule(s, &n);
        assert_int_equal(n, 5);
        assert_true(session_schedule_cut(s));
        assert_int_equal(session_outcome(s), OUTCOME_DONE);
        assert_true(session_steps(s) > 5);
        close_ok(s);

        strcpy(out, "/tmp/lockstep-test-cut-XXXXXX");
        fd = mkstemp(out);
        assert_true(fd >= 0);
        close(fd);
        cfg.schedule_out = out;
        s = open_cfg(&cfg);
        until_end(s);
        assert_int_equal(session_outcome(s), OUTCOME_LIMIT);
        assert_non_null(strstr(session_reason(s), "more than 5 moves, the most a schedule holds"));
        close_ok(s);
        unlink(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_manual_grants),
                cmocka_unit_test(test_why_blocked),
                cmocka_unit_test(test_switch_policy),
                cmocka_unit_test(test_live_pause),
                cmocka_unit_test(test_restart),
                cmocka_unit_test(test_settling_and_clean_restart),
                cmocka_unit_test(test_branch),
                cmocka_unit_test(test_interrupt),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_why_texts),
                cmocka_unit_test(test_paced_grants),
                cmocka_unit_test(test_paced_due),
                cmocka_unit_test(test_live_speed),
                cmocka_unit_test(test_file_errors),
                cmocka_unit_test(test_live_only),
                cmocka_unit_test(test_manual_with_speed_is_quiet),
                cmocka_unit_test(test_pump_again),
                cmocka_unit_test(test_live_short_way),
                cmocka_unit_test(test_runner_steps),
                cmocka_unit_test(test_schedule_cut),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
