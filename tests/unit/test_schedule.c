/*
 * test_schedule.c — schedule files: what is written reads back (odd names, seed, --set values,
 * long runs), and every error is reported with its position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/schedule.h"

/* Actor names that a bare line cannot say, and one that it can. */
static const char odd_scenario[] =
    "{ \"lockstep\": 1, \"title\": \"odd names\", \"summary\": \"s\", \"actors\": ["
    "  { \"name\": \"X * 2\", \"run\": [] },"
    "  { \"name\": \"# hidden\", \"run\": [] },"
    "  { \"name\": \" padded \", \"run\": [] },"
    "  { \"name\": \"@seed 3\", \"run\": [] },"
    "  { \"name\": \"\\\"q\\\"\", \"run\": [] },"
    "  { \"name\": \"esc\\u001b[2J\", \"run\": [] },"
    "  { \"name\": \"Worker-1\", \"run\": [] } ] }";

static scenario *load_odd(void)
{
        diag d;
        scenario *sc;

        diag_init(&d, 0);
        sc = scenario_load_text("odd.json", odd_scenario, strlen(odd_scenario), NULL, &d);
        diag_print(&d, stderr);
        assert_non_null(sc);
        assert_int_equal(sc->nactors, 7);
        diag_free(&d);
        return sc;
}

static char *temp_path(void)
{
        char *p = strdup("/tmp/lockstep-schedule-XXXXXX");
        int fd = mkstemp(p);

        assert_true(fd >= 0);
        close(fd);
        return p;
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = malloc(1 << 16);

        assert_non_null(f);
        *len = fread(buf, 1, (1 << 16) - 1, f);
        buf[*len] = '\0';
        fclose(f);
        return buf;
}

static void test_round_trip(void **state)
{
        scenario *sc = load_odd();
        char *path = temp_path(), err[256], *text;
        const char *set[] = { "N=5", "MSG=tab\there \"quoted\" \\ back" };
        int moves[] = { 7, 0, 0, 1, 2, 3, 4, 5, 6, 6, 6, 0, 7 };
        size_t nm = sizeof(moves) / sizeof(moves[0]), len;
        schedule s;
        int *back;
        diag d;

        (void)state;
        assert_int_equal(schedule_write(path, sc, moves, nm, UINT64_MAX, set, 2, err, sizeof(err)),
                         0);
        text = slurp(path, &len);
        /* bare where bare is safe, quoted where not; no raw control character */
        assert_non_null(strstr(text, "\nMainThread\n\"X * 2\" * 2\n\"# hidden\"\n\" padded \"\n"
                                     "\"@seed 3\"\n\"\\\"q\\\"\"\n\"esc\\u001b[2J\"\n"
                                     "Worker-1 * 3\n\"X * 2\"\nMainThread\n"));
        assert_null(strchr(text, '\033'));
        assert_true(strncmp(text, "# lockstep schedule for \"odd.json\": 13 moves", 43) == 0);
        assert_non_null(strstr(text, "\n@seed 18446744073709551615\n@set \"N=5\"\n"));
        free(text);

        diag_init(&d, 0);
        assert_int_equal(schedule_read(path, &s, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_true(s.has_seed);
        assert_true(s.seed == UINT64_MAX);
        assert_int_equal(s.nset, 2);
        assert_string_equal(s.set[0], set[0]);
        assert_string_equal(s.set[1], set[1]);
        assert_int_equal(s.n, nm);
        assert_string_equal(s.names[1], "X * 2");
        assert_string_equal(s.names[4], " padded ");
        assert_int_equal(s.ndistinct, 8);
        assert_int_equal(schedule_resolve(&s, sc, &back, &d), 0);
        assert_memory_equal(back, moves, sizeof(moves));
        free(back);
        schedule_free(&s);
        diag_free(&d);
        unlink(path);
        free(path);
        scenario_free(sc);
}

/* The most moves a schedule holds: written in one line, and read back; one more is refused by
 * both sides. */
static void test_many_moves(void **state)
{
        scenario *sc = load_odd();
        char *path = temp_path(), err[256];
        int *moves = calloc(SCHEDULE_MAX_MOVES + 1, sizeof(int));
        schedule s;
        diag d;

        (void)state;
        assert_int_equal(
            schedule_write(path, sc, moves, SCHEDULE_MAX_MOVES, 1, NULL, 0, err, sizeof(err)), 0);
        diag_init(&d, 0);
        assert_int_equal(schedule_read(path, &s, &d), 0);
        assert_int_equal(s.n, SCHEDULE_MAX_MOVES);
        assert_false(s.nset);
        schedule_free(&s);
        assert_int_equal(
            schedule_write(path, sc, moves, SCHEDULE_MAX_MOVES + 1, 1, NULL, 0, err, sizeof(err)),
            -1);
        assert_non_null(strstr(err, "more than a schedule holds (10000000)"));
        /* nor a --set value that is not UTF-8 (the reader would refuse the file) */
        {
                const char *bad[] = { "N=1", "S=\xff" };

                assert_int_equal(schedule_write(path, sc, moves, 3, 1, bad, 2, err, sizeof(err)),
                                 -1);
                assert_non_null(strstr(err, "--set value 2 is not UTF-8 text (byte 3)"));
        }
        diag_free(&d);
        unlink(path);
        free(path);
        free(moves);
        scenario_free(sc);
}

/* Parsing TEXT fails with exactly one error, WANT (FILE:LINE:COL: error: ...). */
static void expect_error(const char *text, size_t len, const char *want)
{
        schedule s;
        diag d;
        char *buf = NULL;
        size_t blen = 0;
        FILE *f = open_memstream(&buf, &blen);

        diag_init(&d, 0);
        assert_int_equal(schedule_parse("s.sched", text, len, &s, &d), -1);
        assert_null(s.names);
        assert_int_equal(s.n, 0);
        diag_print(&d, f);
        fclose(f);
        assert_string_equal(buf, want);
        free(buf);
        diag_free(&d);
}

#define EXPECT(text, want) expect_error(text, sizeof(text) - 1, want)

static void test_parse_errors(void **state)
{
        (void)state;
        EXPECT("A\nThread-0\0\n", "s.sched:2:9: error: a NUL byte: a schedule is text, one name "
                                  "a line\n");
        EXPECT("A\n  B\xff\n", "s.sched:2:4: error: not UTF-8 text: a schedule is written in "
                               "UTF-8\n");
        EXPECT("A * x\n", "s.sched:1:5: error: 'x' is not a count from 1 to 10000000\n");
        EXPECT("A * 0\n", "s.sched:1:5: error: '0' is not a count from 1 to 10000000\n");
        EXPECT("A * 10000001\n", "s.sched:1:5: error: '10000001' is not a count from 1 to "
                                 "10000000\n");
        EXPECT("A *\n", "s.sched:1:4: error: write a repeat as NAME * COUNT\n");
        EXPECT(" * 3\n", "s.sched:1:2: error: a repeat needs a name: NAME * COUNT\n");
        EXPECT("A * 9999999\nB * 2\n",
               "s.sched:2:1: error: more than 10000000 moves (the most a schedule holds)\n");
        EXPECT("\"A\n", "s.sched:1:1: error: a quoted name must be a JSON string in double "
                        "quotes, such as \"X * 2\"\n");
        EXPECT("\"A\\u0000B\"\n", "s.sched:1:3: error: a quoted name cannot hold \\u0000 (a NUL "
                                  "character)\n");
        EXPECT("\"A\" B\n", "s.sched:1:5: error: after a quoted name or @main, only * COUNT may "
                            "follow\n");
        EXPECT("\"A\" * -1\n", "s.sched:1:7: error: '-1' is not a count from 1 to 10000000\n");
        EXPECT("@seed\n", "s.sched:1:6: error: @seed needs a whole number from 0 to "
                          "18446744073709551615\n");
        EXPECT("@seed 18446744073709551616\n", "s.sched:1:7: error: @seed needs a whole number "
                                               "from 0 to 18446744073709551615\n");
        EXPECT("@seed 1\n@seed 2\n", "s.sched:2:1: error: a second @seed line (one is enough)\n");
        EXPECT("@set N=1\n", "s.sched:1:6: error: write @set \"NAME=VALUE\" (a JSON string, as "
                             "given to --set)\n");
        EXPECT("@set \"N\"\n", "s.sched:1:6: error: write @set \"NAME=VALUE\" (a JSON string, as "
                               "given to --set)\n");
        EXPECT("@set \"N=1\" x\n", "s.sched:1:6: error: write @set \"NAME=VALUE\" (a JSON "
                                   "string, as given to --set)\n");
        EXPECT("@speed 3\n", "s.sched:1:1: error: unknown line '@speed'; a schedule knows @seed, "
                             "@set and @main (write a name starting with @ in double quotes)\n");
        EXPECT("@\x1b[2J\n", "s.sched:1:1: error: unknown line \"@\\u001b[2J\"; a schedule knows "
                             "@seed, @set and @main (write a name starting with @ in double "
                             "quotes)\n");
        EXPECT("A * 1\x07\n", "s.sched:1:5: error: \"1\\u0007\" is not a count from 1 to "
                              "10000000\n");
}

static void test_too_many_names(void **state)
{
        char text[1024];
        size_t len = 0;

        (void)state;
        for (int k = 0; k < SC_MAX_ACTORS + 2; k++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "A%d\n", k);
        expect_error(text, len,
                     "s.sched:66:1: error: more than 65 different names (a scenario "
                     "has at most 64 actors and MainThread)\n");
}

static void test_comments_and_blanks(void **state)
{
        static const char text[] = "# a comment\n\n  \t\r\nA\r\n  B * 2  \n\"# not a comment\"\n";
        schedule s;
        diag d;

        (void)state;
        diag_init(&d, 0);
        assert_int_equal(schedule_parse("s", text, sizeof(text) - 1, &s, &d), 0);
        assert_int_equal(s.n, 4);
        assert_false(s.has_seed);
        assert_string_equal(s.names[0], "A");
        assert_ptr_equal(s.names[1], s.names[2]); /* interned */
        assert_string_equal(s.names[2], "B");
        assert_string_equal(s.names[3], "# not a comment");
        schedule_free(&s);
        diag_free(&d);
}

static void test_resolve_errors(void **state)
{
        static const char text[] = "Worker-1\nWorkr-1 * 2\n\"esc\\u001b[2\"\n\"Worker-1\\u0007\"\n"
                                   "Worker-1\n";
        scenario *sc = load_odd();
        schedule s;
        diag d;
        int *moves;
        char *buf = NULL;
        size_t blen = 0;
        FILE *f = open_memstream(&buf, &blen);

        (void)state;
        diag_init(&d, 0);
        assert_int_equal(schedule_parse("s.sched", text, sizeof(text) - 1, &s, &d), 0);
        assert_int_equal(schedule_resolve(&s, sc, &moves, &d), -1);
        assert_null(moves);
        diag_print(&d, f);
        fclose(f);
        /* each unknown name once, at its first use; names quoted so no escape goes out raw */
        assert_string_equal(buf, "s.sched:2:1: error: no actor named 'Workr-1' in odd.json; did "
                                 "you mean 'Worker-1'?\n"
                                 "s.sched:3:1: error: no actor named \"esc\\u001b[2\" in odd.json; "
                                 "did you mean \"esc\\u001b[2J\"?\n"
                                 "s.sched:4:1: error: no actor named \"Worker-1\\u0007\" in "
                                 "odd.json; did you mean 'Worker-1'?\n");
        free(buf);
        schedule_free(&s);
        diag_free(&d);
        scenario_free(sc);
}

static void test_read_errors(void **state)
{
        char dir[] = "/tmp/lockstep-schedule-dir-XXXXXX", fifo[64], *buf = NULL;
        size_t blen = 0;
        FILE *f = open_memstream(&buf, &blen);
        schedule s;
        diag d;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        diag_init(&d, 0);
        assert_int_equal(schedule_read(dir, &s, &d), -1);
        assert_int_equal(schedule_read(fifo, &s, &d), -1); /* and does not block */
        assert_int_equal(schedule_read("/nonexistent/x.sched", &s, &d), -1);
        diag_print(&d, f);
        fclose(f);
        {
                char want[512];

                snprintf(want, sizeof(want),
                         "%s: error: is a directory: a schedule is a file written by "
                         "--save-schedule\n"
                         "%s: error: is not a regular file: a schedule is a file written by "
                         "--save-schedule\n"
                         "/nonexistent/x.sched: error: cannot open the schedule: No such file or "
                         "directory\n",
                         dir, fifo);
                assert_string_equal(buf, want);
        }
        free(buf);
        diag_free(&d);
        unlink(fifo);
        rmdir(dir);
}

/* An actor may be named MainThread: the main thread is then written @main, and both read back. */
static void test_actor_named_main(void **state)
{
        static const char text[] = "{ \"lockstep\": 1, \"title\": \"t\", \"summary\": \"s\", "
                                   "\"actors\": [ { \"name\": \"MainThread\", \"run\": [] } ] }";
        scenario *sc;
        char *path = temp_path(), err[256], *file;
        int moves[] = { 1, 0, 1, 1 }, *back;
        size_t len;
        schedule s;
        diag d;

        (void)state;
        diag_init(&d, 0);
        sc = scenario_load_text("m.json", text, strlen(text), NULL, &d);
        assert_non_null(sc);
        assert_int_equal(schedule_write(path, sc, moves, 4, 1, NULL, 0, err, sizeof(err)), 0);
        file = slurp(path, &len);
        assert_non_null(strstr(file, "\n@main\nMainThread\n@main * 2\n"));
        free(file);
        assert_int_equal(schedule_read(path, &s, &d), 0);
        assert_int_equal(schedule_resolve(&s, sc, &back, &d), 0);
        assert_memory_equal(back, moves, sizeof(moves));
        free(back);
        schedule_free(&s);
        diag_free(&d);
        unlink(path);
        free(path);
        scenario_free(sc);
}

/* A scenario path that is not UTF-8 stays out of the header: the file must read back. */
static void test_path_not_utf8(void **state)
{
        diag d;
        scenario *sc;
        char *path = temp_path(), err[256];
        int moves[] = { 0 };
        schedule s;

        (void)state;
        diag_init(&d, 0);
        sc = scenario_load_text("odd\xff.json", odd_scenario, strlen(odd_scenario), NULL, &d);
        assert_non_null(sc);
        assert_int_equal(schedule_write(path, sc, moves, 1, 1, NULL, 0, err, sizeof(err)), 0);
        assert_int_equal(schedule_read(path, &s, &d), 0);
        assert_int_equal(s.n, 1);
        schedule_free(&s);
        diag_free(&d);
        unlink(path);
        free(path);
        scenario_free(sc);
}

/* schedule_locate finds the line and column of a move, past comments, directives, repeats,
 * quoted names and @main; -1 past the last move or for a file that is gone. */
static void test_locate(void **state)
{
        static const char text[] = "# lockstep schedule\n@seed 3\n\nA * 2\n  \"B x\" * 3\n@main\n"
                                   "C\n";
        static const struct {
                size_t entry;
                int line, col;
        } want[] = { { 1, 4, 1 }, { 2, 4, 1 }, { 3, 5, 3 }, { 5, 5, 3 }, { 6, 6, 1 }, { 7, 7, 1 } };
        char *path = temp_path();
        FILE *f = fopen(path, "w");
        int line, col;

        (void)state;
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        for (size_t k = 0; k < sizeof(want) / sizeof(*want); k++) {
                line = col = 0;
                assert_int_equal(schedule_locate(path, want[k].entry, &line, &col), 0);
                assert_int_equal(line, want[k].line);
                assert_int_equal(col, want[k].col);
        }
        assert_int_equal(schedule_locate(path, 8, &line, &col), -1);
        unlink(path);
        assert_int_equal(schedule_locate(path, 1, &line, &col), -1);
        free(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),          cmocka_unit_test(test_many_moves),
                cmocka_unit_test(test_parse_errors),        cmocka_unit_test(test_too_many_names),
                cmocka_unit_test(test_comments_and_blanks), cmocka_unit_test(test_resolve_errors),
                cmocka_unit_test(test_read_errors),         cmocka_unit_test(test_actor_named_main),
                cmocka_unit_test(test_path_not_utf8),       cmocka_unit_test(test_locate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
