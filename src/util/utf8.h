/*
 * utf8.h — the one place that knows UTF-8: decoding, validating, counting, cutting, encoding, and
 * escaping untrusted text for the terminal.
 *
 * Two readings of a byte string, on purpose:
 * - strict (utf8_decode, utf8_valid): RFC 3629 — no overlong forms, no surrogates, nothing past
 *   U+10FFFF, no truncated sequence. For input that must be UTF-8 (files, traces) and for
 *   showing text.
 * - by character (utf8_char_len, utf8_count, utf8_offset, utf8_cut): a character is a byte that
 *   is not a continuation byte (10xxxxxx) plus the continuation bytes that follow it. This never
 *   fails, so a string value holding any bytes still has a length, an index and a safe place to
 *   cut; on valid UTF-8 it agrees with the strict reading. String values use it (len, indexing,
 *   iteration), and so does cutting a long text to a cap.
 *
 * Columns (utf8_cp_columns, utf8_columns, utf8_wrap) are what text takes on a terminal once
 * escaped: wcwidth's on a UTF-8 terminal (WIDE: setlocale(LC_CTYPE) must have chosen a UTF-8
 * locale), one a character on any other. The TUI and the command line measure and wrap with them.
 *
 * utf8_is_cont and utf8_cut are static inline: the event stream cuts texts on its per-event path.
 */
#ifndef LOCKSTEP_UTIL_UTF8_H
#define LOCKSTEP_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define UTF8_MAX 4 /* bytes in the longest character */

/* True for a continuation byte (10xxxxxx): one that never starts a character. */
static inline bool utf8_is_cont(unsigned char c)
{
        return (c & 0xc0) == 0x80;
}

/*
 * The largest length <= MAX at which S (N bytes, N > MAX) can be cut without splitting a
 * character: S[cut] is not a continuation byte. 0 when no such place exists.
 */
static inline size_t utf8_cut(const char *s, size_t max)
{
        size_t cut = max;

        while (cut > 0 && utf8_is_cont((unsigned char)s[cut]))
                cut--;
        return cut;
}

/*
 * Decodes the well-formed UTF-8 character at S (N bytes available): its length (1-4) with the
 * code point in *CP, or 0 for an invalid, overlong, surrogate, out-of-range or truncated sequence
 * (and for N == 0). A NUL byte is the character U+0000 of length 1.
 */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* True when S (N bytes) is entirely well-formed UTF-8; otherwise *BAD (if not NULL) gets the
 * offset of the first byte that does not start a well-formed character. */
bool utf8_valid(const char *s, size_t n, size_t *bad);

/* Bytes in the character at S (N > 0 bytes available): its first byte plus the continuation bytes
 * that follow. */
size_t utf8_char_len(const char *s, size_t n);
/* Characters in S (N bytes): the bytes that are not continuation bytes. */
size_t utf8_count(const char *s, size_t n);
/* The byte offset of character INDEX (counted from 0) in S (N bytes); N when there are not that
 * many characters. */
size_t utf8_offset(const char *s, size_t n, size_t index);

/* Writes the UTF-8 encoding of CP (at most U+10FFFF, not a surrogate) to OUT; returns its length
 * (1-4), or 0, writing nothing, for a code point that has no encoding. */
size_t utf8_encode(uint32_t cp, char out[UTF8_MAX]);
/* The length utf8_encode gives CP, without writing it. */
size_t utf8_encoded_len(uint32_t cp);

/*
 * Appends S (N bytes of untrusted text) to SB so that it is safe to write on a terminal as part of
 * a one-line message: well-formed printable UTF-8 is copied as is; the C0 controls, DEL and the C1
 * controls are written visibly (\n \r \t, else \x1b, \x7f, \u009b), and so are the characters that
 * move or reorder text (U+2028, U+2029, the bidirectional overrides and isolates U+202A-U+202E and
 * U+2066-U+2069: \u202e); a byte that does not start a well-formed character is written \xNN.
 * A backslash is not doubled: the result is for reading, not for parsing back.
 */
void utf8_escape(strbuf *sb, const char *s, size_t n);
/* utf8_escape, but newlines and tabs are kept as they are: for text shown as lines, such as what
 * a scenario prints, where they are harmless and meant. */
void utf8_escape_output(strbuf *sb, const char *s, size_t n);
/* utf8_escape of the NUL-terminated S (nothing for NULL). */
void utf8_escape_str(strbuf *sb, const char *s);

/* Columns code point CP takes: 1 for ASCII; when WIDE, wcwidth's (0 for a combining mark), and 1
 * for what wcwidth cannot show (it is shown as '?'); 1 for anything when not WIDE. */
int utf8_cp_columns(uint32_t cp, bool wide);
/* Columns S (N bytes) takes once escaped (utf8_escape). */
int utf8_columns(const char *s, size_t n, bool wide);
/*
 * Splits the NUL-terminated S into lines of at most WIDTH columns (as utf8_columns counts them),
 * breaking at spaces: a word that ends at a line's last column stays on it, a word longer than a
 * line is cut after the last of `._,;:/-([{` that fits (where code and paths part) if that keeps
 * at least half the line, else where the line ends, and the spaces at a break belong to no line
 * (the text's leading spaces stay on its first line unless they leave no room after them).
 * Calls LINE (if not NULL) for each line in order with its byte range; returns the number of
 * lines (0 for WIDTH < 1).
 */
int utf8_wrap(const char *s, int width, bool wide, void (*line)(const char *s, size_t n, void *ctx),
              void *ctx);

#endif
