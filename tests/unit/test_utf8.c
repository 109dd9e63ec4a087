/*
 * test_utf8.c — util/utf8: the strict decoder, the character-wise helpers, the encoder and the
 * escaping of untrusted text for the terminal, and the columns text takes there (measured and
 * wrapped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* utf8_decode of a string literal (its bytes, without the NUL): the length, *CP the code point. */
static size_t dec(const char *s, size_t n, uint32_t *cp)
{
        *cp = 0xdeadbeef;
        return utf8_decode(s, n, cp);
}

static void test_decode_valid(void **state)
{
        uint32_t cp;

        (void)state;
        assert_int_equal(dec("A", 1, &cp), 1);
        assert_int_equal(cp, 0x41);
        assert_int_equal(dec("\0", 1, &cp), 1); /* NUL is a character */
        assert_int_equal(cp, 0);
        assert_int_equal(dec("\x7f", 1, &cp), 1);
        assert_int_equal(cp, 0x7f);
        assert_int_equal(dec("\xc2\x80", 2, &cp), 2); /* the smallest 2-byte form */
        assert_int_equal(cp, 0x80);
        assert_int_equal(dec("\xc3\xa9", 2, &cp), 2); /* é */
        assert_int_equal(cp, 0xe9);
        assert_int_equal(dec("\xdf\xbf", 2, &cp), 2);
        assert_int_equal(cp, 0x7ff);
        assert_int_equal(dec("\xe0\xa0\x80", 3, &cp), 3);
        assert_int_equal(cp, 0x800);
        assert_int_equal(dec("\xe2\x82\xac", 3, &cp), 3); /* € */
        assert_int_equal(cp, 0x20ac);
        assert_int_equal(dec("\xed\x9f\xbf", 3, &cp), 3); /* just below the surrogates */
        assert_int_equal(cp, 0xd7ff);
        assert_int_equal(dec("\xee\x80\x80", 3, &cp), 3); /* just above them */
        assert_int_equal(cp, 0xe000);
        assert_int_equal(dec("\xef\xbf\xbf", 3, &cp), 3);
        assert_int_equal(cp, 0xffff);
        assert_int_equal(dec("\xf0\x90\x80\x80", 4, &cp), 4);
        assert_int_equal(cp, 0x10000);
        assert_int_equal(dec("\xf0\x9f\x98\x80", 4, &cp), 4); /* 😀 */
        assert_int_equal(cp, 0x1f600);
        assert_int_equal(dec("\xf4\x8f\xbf\xbf", 4, &cp), 4);
        assert_int_equal(cp, 0x10ffff);
        /* only the first character is decoded */
        assert_int_equal(dec("\xc3\xa9xyz", 5, &cp), 2);
        assert_int_equal(cp, 0xe9);
}

static void test_decode_invalid(void **state)
{
        uint32_t cp;

        (void)state;
        assert_int_equal(dec("", 0, &cp), 0);
        assert_int_equal(dec("\x80", 1, &cp), 0);             /* lone continuation */
        assert_int_equal(dec("\xbf", 1, &cp), 0);             /* lone continuation */
        assert_int_equal(dec("\xc0\x80", 2, &cp), 0);         /* overlong NUL */
        assert_int_equal(dec("\xc1\xbf", 2, &cp), 0);         /* overlong 0x7f */
        assert_int_equal(dec("\xe0\x9f\xbf", 3, &cp), 0);     /* overlong 0x7ff */
        assert_int_equal(dec("\xf0\x8f\xbf\xbf", 4, &cp), 0); /* overlong 0xffff */
        assert_int_equal(dec("\xed\xa0\x80", 3, &cp), 0);     /* surrogate D800 */
        assert_int_equal(dec("\xed\xbf\xbf", 3, &cp), 0);     /* surrogate DFFF */
        assert_int_equal(dec("\xf4\x90\x80\x80", 4, &cp), 0); /* 0x110000 */
        assert_int_equal(dec("\xf5\x80\x80\x80", 4, &cp), 0); /* lead byte past U+10FFFF */
        assert_int_equal(dec("\xff", 1, &cp), 0);
        assert_int_equal(dec("\xc3", 1, &cp), 0);         /* truncated by N */
        assert_int_equal(dec("\xe2\x82", 2, &cp), 0);     /* truncated by N */
        assert_int_equal(dec("\xe2\x82\xac", 2, &cp), 0); /* N cuts a valid character */
        assert_int_equal(dec("\xc3"
                             "A",
                             2, &cp),
                         0); /* not a continuation */
        assert_int_equal(dec("\xe2\x82"
                             "A",
                             3, &cp),
                         0);
        assert_int_equal(dec("\xf0\x9f\x98"
                             "A",
                             4, &cp),
                         0);
        assert_int_equal(cp, 0xdeadbeef); /* untouched on failure */
}

static void test_valid(void **state)
{
        size_t bad = 99;

        (void)state;
        assert_true(utf8_valid("", 0, &bad));
        assert_true(utf8_valid("plain \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 15, &bad));
        assert_int_equal(bad, 99);
        assert_true(utf8_valid("a\0b", 3, NULL)); /* NUL is valid UTF-8 */
        assert_false(utf8_valid("abc\xc3", 4, &bad));
        assert_int_equal(bad, 3);
        assert_false(utf8_valid("\xc3\xa9\xed\xa0\x80", 5, &bad));
        assert_int_equal(bad, 2);
        assert_false(utf8_valid("ok\x80", 3, &bad));
        assert_int_equal(bad, 2);
        assert_false(utf8_valid("\xc0\xaf", 2, NULL));
}

static void test_valid_file_text(void **state)
{
        size_t bad;

        (void)state;
        assert_true(utf8_valid("plain", 5, &bad));
        assert_true(utf8_valid("\xea\xb0\x80", 3, &bad));     /* 가 */
        assert_true(utf8_valid("\xf0\x9f\x98\x80", 4, &bad)); /* emoji */
        assert_false(utf8_valid("ab\xff", 3, &bad));
        assert_int_equal(bad, 2);
        assert_false(utf8_valid("\xc0\xaf", 2, &bad)); /* overlong '/' */
        assert_int_equal(bad, 0);
        assert_false(utf8_valid("x\xed\xa0\x80", 4, &bad)); /* surrogate */
        assert_int_equal(bad, 1);
        assert_false(utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* > U+10FFFF */
        assert_false(utf8_valid("\xe4\xb8", 2, &bad));         /* truncated */
}

static void test_characters(void **state)
{
        const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* a é € 😀 z */

        (void)state;
        assert_int_equal(utf8_count(s, 11), 5);
        assert_int_equal(utf8_count("", 0), 0);
        assert_int_equal(utf8_count("\x80\x80", 2), 0); /* continuation bytes only */
        assert_int_equal(utf8_char_len(s, 11), 1);
        assert_int_equal(utf8_char_len(s + 1, 10), 2);
        assert_int_equal(utf8_char_len(s + 3, 8), 3);
        assert_int_equal(utf8_char_len(s + 6, 5), 4);
        assert_int_equal(utf8_char_len(s + 6, 2), 2); /* never past N */
        assert_int_equal(utf8_char_len("\xff\x80\x80x", 4), 3);
        assert_int_equal(utf8_offset(s, 11, 0), 0);
        assert_int_equal(utf8_offset(s, 11, 1), 1);
        assert_int_equal(utf8_offset(s, 11, 2), 3);
        assert_int_equal(utf8_offset(s, 11, 3), 6);
        assert_int_equal(utf8_offset(s, 11, 4), 10);
        assert_int_equal(utf8_offset(s, 11, 5), 11);
        assert_int_equal(utf8_offset(s, 11, 500), 11);
}

static void test_cut(void **state)
{
        const char *s = "ab\xe2\x82\xac"
                        "cd"; /* a b € c d */

        (void)state;
        assert_int_equal(utf8_cut(s, 1), 1);
        assert_int_equal(utf8_cut(s, 2), 2); /* before the € */
        assert_int_equal(utf8_cut(s, 3), 2); /* inside it: back to its start */
        assert_int_equal(utf8_cut(s, 4), 2);
        assert_int_equal(utf8_cut(s, 5), 5); /* after it */
        assert_int_equal(utf8_cut("\x80\x80\x80x", 2), 0);
        assert_int_equal(utf8_cut(s, 0), 0);
}

static void test_encode(void **state)
{
        const uint32_t cps[] = { 0,      0x41,   0x7f,   0x80,   0xe9,    0x7ff,   0x800,
                                 0x20ac, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x1f600, 0x10ffff };
        char out[UTF8_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
                size_t len = utf8_encode(cps[i], out);
                uint32_t back;

                assert_int_equal(len, utf8_encoded_len(cps[i]));
                assert_int_equal(utf8_decode(out, len, &back), len);
                assert_int_equal(back, cps[i]);
        }
        assert_int_equal(utf8_encode(0x20ac, out), 3);
        assert_memory_equal(out, "\xe2\x82\xac", 3);
        assert_int_equal(utf8_encoded_len(0x7f), 1);
        assert_int_equal(utf8_encoded_len(0x80), 2);
        assert_int_equal(utf8_encoded_len(0x800), 3);
        assert_int_equal(utf8_encoded_len(0x10000), 4);
        assert_int_equal(utf8_encode(0xd800, out), 0);
        assert_int_equal(utf8_encode(0xdfff, out), 0);
        assert_int_equal(utf8_encode(0x110000, out), 0);
}

/* utf8_escape of N bytes of S, as a string to compare. */
static char *esc(const char *s, size_t n)
{
        strbuf sb = STRBUF_INIT;

        utf8_escape(&sb, s, n);
        return strbuf_detach(&sb);
}

static void check_escape(const char *s, size_t n, const char *want)
{
        char *got = esc(s, n);

        assert_string_equal(got, want);
        free(got);
}

static void test_escape(void **state)
{
        strbuf sb = STRBUF_INIT;

        (void)state;
        check_escape("", 0, "");
        check_escape("Philosopher-0", 13, "Philosopher-0");
        /* the example: an actor named "E\u001b[2J" */
        check_escape("E\x1b[2J", 5, "E\\x1b[2J");
        check_escape("a\nb\tc\rd", 7, "a\\nb\\tc\\rd");
        check_escape("\x01\x7f", 2, "\\x01\\x7f");
        check_escape("a\0b", 3, "a\\x00b");
        /* printable UTF-8 is kept; C1 controls (here CSI, U+009B) and bidi overrides are not */
        check_escape("caf\xc3\xa9 \xe2\x82\xac", 9, "caf\xc3\xa9 \xe2\x82\xac");
        check_escape("\xc2\x9b"
                     "2J",
                     4, "\\u009b2J");
        check_escape("\xc2\x85", 2, "\\u0085");
        check_escape("\xc2\xa0", 2, "\xc2\xa0"); /* no-break space is printable */
        check_escape("x\xe2\x80\xaey", 5, "x\\u202ey");
        check_escape("\xe2\x80\xa8\xe2\x81\xa6", 6, "\\u2028\\u2066");
        /* bidi marks and what shows as nothing: escaped; the joiners scripts need: kept */
        check_escape("T\xe2\x80\x8b"
                     "1\xef\xbb\xbf",
                     8, "T\\u200b1\\ufeff");
        check_escape("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c\xe2\x81\xa0", 11,
                     "\\u200e\\u200f\\u061c\\u2060");
        check_escape("a\xe2\x80\x8c"
                     "b\xe2\x80\x8d"
                     "c",
                     9,
                     "a\xe2\x80\x8c"
                     "b\xe2\x80\x8d"
                     "c");
        /* bytes that are not UTF-8: one \xNN each, and the rest goes on */
        check_escape("\xff"
                     "a",
                     2, "\\xffa");
        check_escape("\xc3"
                     "A",
                     2, "\\xc3A");
        check_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
        check_escape("\xe2\x82", 2, "\\xe2\\x82");
        /* a backslash stays one backslash */
        check_escape("C:\\x", 4, "C:\\x");
        /* for printed output: newlines and tabs kept, every other control escaped */
        utf8_escape_output(&sb, "a\tb\nc\r\x1b[2J\xc2\x9b\xff", 13);
        assert_string_equal(strbuf_str(&sb), "a\tb\nc\\r\\x1b[2J\\u009b\\xff");
        strbuf_reset(&sb);
        /* appends; the NUL-terminated form */
        strbuf_puts(&sb, "name: ");
        utf8_escape_str(&sb, "E\x1b]0;pwned\x07");
        utf8_escape_str(&sb, NULL);
        assert_string_equal(strbuf_str(&sb), "name: E\\x1b]0;pwned\\x07");
        strbuf_free(&sb);
}

/* Every byte string of up to 3 bytes: escaping leaves no control byte, and the strict decoder
 * agrees with utf8_valid. */
static void test_escape_exhaustive(void **state)
{
        unsigned char s[3];

        (void)state;
        for (unsigned a = 0; a < 256; a++) {
                for (unsigned b = 0; b < 256; b++) {
                        for (unsigned c = 0; c < 256; c += 5) {
                                char *out;
                                uint32_t cp;
                                size_t k;

                                s[0] = (unsigned char)a, s[1] = (unsigned char)b;
                                s[2] = (unsigned char)c;
                                out = esc((const char *)s, 3);
                                for (const unsigned char *p = (const unsigned char *)out; *p; p++)
                                        assert_true(*p >= 0x20 && *p != 0x7f);
                                assert_true(utf8_valid(out, strlen(out), NULL));
                                free(out);
                                k = utf8_decode((const char *)s, 3, &cp);
                                if (k == 3)
                                        assert_true(utf8_valid((const char *)s, 3, NULL));
                        }
                }
        }
}

static void test_columns(void **state)
{
        (void)state;
        assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
        assert_int_equal(utf8_columns("abc", 3, true), 3);
        assert_int_equal(utf8_columns("h\xc3\xa9", 3, true), 2);     /* hé */
        assert_int_equal(utf8_columns("\xe6\xbc\xa2", 3, true), 2);  /* 漢: wide */
        assert_int_equal(utf8_columns("\xe6\xbc\xa2", 3, false), 1); /* one a character */
        assert_int_equal(utf8_columns("e\xcc\x81", 3, true), 1);     /* e + combining acute */
        assert_int_equal(utf8_columns("\x1b[", 2, true), 5);         /* \x1b[ as escaped */
        assert_int_equal(utf8_columns("a\xff", 2, false), 5);        /* a\xff */
        assert_int_equal(utf8_columns("\xe2\x80\xae", 3, true), 6);  /* \u202e */
        assert_int_equal(utf8_cp_columns(0x6f22, true), 2);
        assert_int_equal(utf8_cp_columns(0x6f22, false), 1);
        assert_int_equal(utf8_cp_columns('x', true), 1);
        assert_int_equal(utf8_columns("a\tb\n", 4, true), 6);   /* a\tb\n */
        assert_int_equal(utf8_columns("\xc2\x85", 2, true), 6); /* \u0085, a C1 control */
        assert_int_equal(utf8_columns("", 0, true), 0);
}

/* The columns of S as escaped, counted from what utf8_escape writes. */
static int columns_escaped(const char *s, size_t n, bool wide)
{
        strbuf sb = STRBUF_INIT;
        int cols = 0;

        utf8_escape(&sb, s, n);
        for (size_t k = 0; k < sb.len;) {
                uint32_t cp;
                size_t l = utf8_decode(sb.data + k, sb.len - k, &cp);

                assert_true(l > 0); /* what escape writes is valid */
                cols += utf8_cp_columns(cp, wide);
                k += l;
        }
        strbuf_free(&sb);
        return cols;
}

/* utf8_columns counts what utf8_escape writes without writing it: the two agree on every
 * string of 1 to 3 bytes drawn from the bytes that matter (printable, controls, the lead and
 * continuation bytes of every length, invalid ones), and on random strings of up to 24 bytes. */
static void test_columns_as_escaped(void **state)
{
        static const unsigned char bytes[] = {
                'a',  ' ',  '~',  0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x7f, 0x80, 0x85, 0xa9, 0xbf, 0xc0,
                0xc2, 0xc3, 0xcc, 0xdf, 0xe0, 0xe2, 0xe6, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff
        };
        const size_t nb = sizeof(bytes);
        unsigned seed = 42;
        char buf[24];

        (void)state;
        assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
        for (size_t a = 0; a < nb; a++)
                for (size_t b = 0; b < nb; b++)
                        for (size_t c = 0; c < nb; c++) {
                                buf[0] = (char)bytes[a], buf[1] = (char)bytes[b];
                                buf[2] = (char)bytes[c];
                                for (size_t n = 1; n <= 3; n++)
                                        for (int wide = 0; wide < 2; wide++)
                                                assert_int_equal(utf8_columns(buf, n, wide),
                                                                 columns_escaped(buf, n, wide));
                        }
        for (int k = 0; k < 20000; k++) {
                size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf)) + 1;

                for (size_t i = 0; i < n; i++)
                        buf[i] = (char)(rand_r(&seed) & 0xff);
                assert_int_equal(utf8_columns(buf, n, true), columns_escaped(buf, n, true));
        }
}

/* utf8_wrap's lines, joined with '|'. */
static void join_line(const char *s, size_t n, void *ctx)
{
        strbuf *sb = ctx;

        if (sb->len > 0)
                strbuf_putc(sb, '|');
        strbuf_append(sb, s, n);
}

static void check_wrap(const char *s, int width, bool wide, const char *want, int lines)
{
        strbuf sb = STRBUF_INIT;

        assert_int_equal(utf8_wrap(s, width, wide, join_line, &sb), lines);
        assert_string_equal(strbuf_str(&sb), want);
        assert_int_equal(utf8_wrap(s, width, wide, NULL, NULL), lines);
        strbuf_free(&sb);
}

static void test_wrap(void **state)
{
        (void)state;
        assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
        check_wrap("one two three", 7, true, "one two|three", 2);
        check_wrap("one two three", 6, true, "one|two|three", 3);
        check_wrap("one   two", 4, true, "one|two", 2); /* the spaces at a break go */
        check_wrap("abcdefghij", 4, true, "abcd|efgh|ij", 3);
        /* a word longer than a line is cut after its last mark that fits, not inside a name */
        check_wrap("v = shared_value.value + 1", 17, true, "v =|shared_value.|value + 1", 3);
        check_wrap("a.b.cdefgh", 5, true, "a.b.|cdefg|h", 3);
        check_wrap("abc.", 3, true, "abc|.", 2); /* a mark past the line does not count */
        check_wrap("ab.", 3, true, "ab.", 1);
        check_wrap("ab.cd", 3, true, "ab.|cd", 2);
        check_wrap("f(x) + g(y)", 3, true, "f(|x)|+|g(|y)", 5);
        /* ... when that keeps at least half the line */
        check_wrap("print(\"abcdefghij\")", 14, true, "print(\"abcdefg|hij\")", 2);
        check_wrap("ab.cdefghij", 8, true, "ab.cdefg|hij", 2);
        check_wrap("ab.cdefghij", 6, true, "ab.|cdefgh|ij", 3);
        check_wrap("\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2", 3, true,
                   "\xe6\xbc\xa2|\xe5\xad\x97|\xe6\xbc\xa2", 3);
        check_wrap("\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2", 3, false,
                   "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2", 1);
        check_wrap("a\x1b b", 5, true, "a\x1b|b", 2); /* a\x1b is 5 columns */
        check_wrap("", 10, true, "", 0);
        /* leading spaces stay, but never as a blank line of their own */
        check_wrap("  ab cd", 5, true, "  ab|cd", 2);
        check_wrap("   hello", 4, true, "   h|ello", 2);
        check_wrap("    x", 4, true, "x", 1);
        check_wrap("      ", 2, true, "", 0);
        check_wrap("   ", 10, true, "   ", 1);
        check_wrap("abc", 0, true, "", 0);
}

/* What a random text's lines must be, whatever the marks and spaces: in order, only spaces
 * between them, none longer than the width unless it is one character, none empty. */
typedef struct wrap_seen {
        const char *s, *at;
        int width;
        bool ok;
} wrap_seen;

static void seen_line(const char *s, size_t n, void *ctx)
{
        wrap_seen *w = ctx;

        for (const char *p = w->at; p < s; p++)
                w->ok = w->ok && *p == ' ';
        w->ok = w->ok && s >= w->at && n > 0 &&
                (utf8_columns(s, n, true) <= w->width || utf8_char_len(s, n) == n);
        w->at = s + n;
}

static void test_wrap_random(void **state)
{
        static const char pool[] = "ab._,(/ ";
        unsigned seed = 7;
        char buf[64];

        (void)state;
        assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
        for (int round = 0; round < 20000; round++) {
                size_t n = (size_t)(rand_r(&seed) % (sizeof(buf) - 4)), k = 0;
                wrap_seen w;

                while (k < n) {
                        int c = rand_r(&seed) % 10; /* pool's 8, a wide character, an ESC */

                        if (c == 8) {
                                memcpy(buf + k, "\xe6\xbc\xa2", 3);
                                k += 3;
                        } else {
                                buf[k++] = c == 9 ? '\x1b' : pool[c];
                        }
                }
                buf[k] = '\0';
                w = (wrap_seen){ buf, buf, 1 + rand_r(&seed) % 12, true };
                utf8_wrap(buf, w.width, true, seen_line, &w);
                for (const char *p = w.at; *p != '\0'; p++)
                        w.ok = w.ok && *p == ' ';
                if (!w.ok)
                        fail_msg("wrapping \"%s\" in %d columns", buf, w.width);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_valid),
                cmocka_unit_test(test_decode_invalid),
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_valid_file_text),
                cmocka_unit_test(test_characters),
                cmocka_unit_test(test_cut),
                cmocka_unit_test(test_encode),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_escape_exhaustive),
                cmocka_unit_test(test_columns),
                cmocka_unit_test(test_columns_as_escaped),
                cmocka_unit_test(test_wrap),
                cmocka_unit_test(test_wrap_random),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
