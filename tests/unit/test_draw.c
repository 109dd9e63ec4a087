/*
 * test_draw.c — cutting text to fit: a middle cut measured in display columns whatever the
 * characters (ASCII, accented, wide, escaped), text wrapped at spaces (a word that ends at the
 * row's last column kept on it), and wrapped text cut at its last row with the ellipsis.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/draw.h"
#include "util/strbuf.h"

static term utf8_term(void)
{
        return (term){ .utf8 = true, .ellipsis = "…", .marker = "▶", .bar = "│" };
}

/* S cut to WIDTH keeping TAIL columns: checks the text and that it takes WIDTH columns. */
static void check_cut(const term *t, const char *s, int width, int tail, const char *want)
{
        strbuf sb = STRBUF_INIT;

        draw_cut_middle(t, s, strlen(s), width, tail, &sb);
        assert_string_equal(strbuf_str(&sb), want);
        if (strcmp(want, s) != 0)
                assert_int_equal(draw_width(t, sb.data, sb.len), width);
        strbuf_free(&sb);
}

static void cut_middle_any_text(void **state)
{
        term t = utf8_term();

        (void)state;
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL && setlocale(LC_CTYPE, "en_US.UTF-8") == NULL)
                skip(); /* wcwidth knows no wide characters without a UTF-8 locale */
        /* fits: whole */
        check_cut(&t, "worker-1", 8, 3, "worker-1");
        /* ASCII: the middle goes */
        check_cut(&t, "worker_thread-1", 14, 6, "worker_…read-1");
        /* accented letters are one column each: cut the same way, not at the end */
        check_cut(&t, "héllo wörld ünïcödé end", 12, 4, "héllo w… end");
        /* escaped text is measured as shown (\t is two columns) and cut the same way */
        check_cut(&t, "tab\there\tand\tthere end", 14, 6, "tab\\the…re end");
        /* wide characters: never split; the column one leaves goes to the tail when a narrow
         * character can take it, else it is a blank after the ellipsis: the end stays at the
         * edge */
        check_cut(&t, "漢字漢字漢字漢字 tail", 12, 4, "漢字漢… tail");
        check_cut(&t, "漢字漢字漢字漢字 end", 12, 4, "漢字漢…  end");
        check_cut(&t, "漢字漢字漢字漢字字end", 12, 4, "漢字漢字…end");
        check_cut(&t, "漢字漢字漢字漢字漢字", 12, 4, "漢字漢… 漢字");
        /* too narrow for a middle: whole, for draw_text to cut at the end */
        check_cut(&t, "héllo wörld", 3, 1, "héllo wörld");
        check_cut(&t, "héllo wörld", 6, 5, "héllo wörld");
}

static void cut_middle_ascii_terminal(void **state)
{
        term t = { .utf8 = false, .ellipsis = "~" };

        (void)state;
        /* non-ASCII is shown as '?', one column each */
        check_cut(&t, "héllo wörld end", 10, 4, "héllo~ end");
}

/* The row Y of W as text. */
static void row_text(WINDOW *w, int y, int width, char *out, size_t size)
{
        wchar_t buf[64];

        mvwinnwstr(w, y, 0, buf, width);
        wcstombs(out, buf, size);
        for (size_t n = strlen(out); n > 0 && out[n - 1] == ' ';)
                out[--n] = '\0';
}

static void wrapped_cut_says_so(void **state)
{
        term t = utf8_term();
        FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
        SCREEN *scr;
        WINDOW *w;
        char row[256];

        (void)state;
        if (setlocale(LC_ALL, "C.UTF-8") == NULL && setlocale(LC_ALL, "en_US.UTF-8") == NULL)
                skip();
        scr = out != NULL && in != NULL ? newterm("xterm", out, in) : NULL;
        if (scr == NULL)
                skip(); /* no terminfo entry to draw into */
        w = newwin(4, 10, 0, 0);
        /* it fits: every line, no ellipsis */
        assert_int_equal(draw_wrapped(&t, w, 0, 0, 10, 3, A_NORMAL, "one two three four"), 2);
        row_text(w, 1, 10, row, sizeof(row));
        assert_string_equal(row, "three four");
        werase(w);
        /* it does not: the last row takes the rest, cut with the ellipsis */
        assert_int_equal(draw_wrapped(&t, w, 0, 0, 10, 2, A_NORMAL, "one two three four five"), 3);
        row_text(w, 0, 10, row, sizeof(row));
        assert_string_equal(row, "one two");
        row_text(w, 1, 10, row, sizeof(row));
        assert_string_equal(row, "three fou…");
        row_text(w, 2, 10, row, sizeof(row));
        assert_string_equal(row, "");
        werase(w);
        /* trailing blanks are no more text */
        assert_int_equal(draw_wrapped(&t, w, 0, 0, 10, 1, A_NORMAL, "one two   "), 1);
        row_text(w, 0, 10, row, sizeof(row));
        assert_string_equal(row, "one two");
        delwin(w);
        endwin();
        delscreen(scr);
        fclose(out);
        fclose(in);
}

/* draw_wrap's lines, joined with '|'. */
static void join_line(const char *s, size_t n, void *ctx)
{
        strbuf *sb = ctx;

        if (sb->len > 0)
                strbuf_putc(sb, '|');
        strbuf_append(sb, s, n);
}

static void check_wrap(const char *s, int width, const char *want, int lines)
{
        term t = utf8_term();
        strbuf sb = STRBUF_INIT;

        assert_int_equal(draw_wrap(&t, s, width, join_line, &sb), lines);
        assert_string_equal(strbuf_str(&sb), want);
        strbuf_free(&sb);
}

static void wrap_at_spaces(void **state)
{
        (void)state;
        /* a word that fills the row to its last column stays on it (it went to the next row:
         * "results =" alone, then "pool.map(lambda x:", in the Code pane) */
        check_wrap("one two three", 7, "one two|three", 2);
        check_wrap("results = pool.map(lambda x: x * x)", 25, "results = pool.map(lambda|x: x * x)",
                   2);
        /* one column short: the word goes down */
        check_wrap("one two three", 6, "one|two|three", 3);
        /* a word longer than the row is split where the row is full, a wide character whole */
        check_wrap("abcdefghij", 4, "abcd|efgh|ij", 3);
        check_wrap("漢字漢字漢", 5, "漢字|漢字|漢", 3);
        /* measured in columns: accented letters take one each */
        check_wrap("héllo wörld", 5, "héllo|wörld", 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cut_middle_any_text),
                cmocka_unit_test(cut_middle_ascii_terminal),
                cmocka_unit_test(wrap_at_spaces),
                cmocka_unit_test(wrapped_cut_says_so),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
