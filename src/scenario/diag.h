/*
 * diag.h — diagnostics for bad input, printed as FILE:LINE:COL: error: message.
 *
 * A loader reports every error it finds (up to a cap) into a diag list instead of stopping at
 * the first; the caller prints them. Messages say what is wrong and how to fix it, and may end
 * with a suggestion from diag_suggest ("did you mean 'semaphore'?").
 */
#ifndef LOCKSTEP_SCENARIO_DIAG_H
#define LOCKSTEP_SCENARIO_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define DIAG_DEFAULT_CAP 20 /* errors kept per file; more are counted, not kept */

typedef struct diag_item {
        char *file;
        int line, col; /* 0 when the error is about the whole file */
        char *msg;
} diag_item;

typedef struct diag {
        diag_item *items;
        size_t n, cap_items;
        size_t limit;   /* how many are kept */
        size_t dropped; /* errors past the limit */
} diag;

void diag_init(diag *d, size_t limit);
void diag_free(diag *d);
void diag_error(diag *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
size_t diag_count(const diag *d); /* kept plus dropped */
/* True once the cap is reached: a loader may stop early. */
int diag_full(const diag *d);
/* Prints every kept error, then a line saying how many more there were. File names and messages
 * are escaped (utf8_escape): a message may quote scenario text, which must not reach a terminal
 * raw. */
void diag_print(const diag *d, FILE *out);

/* Writes a message into the caller's fixed buffer ERR of ERRLEN bytes (cut to fit; nothing when
 * ERR is NULL or ERRLEN is 0): the convention of the functions that report one error through a
 * `char *err, size_t errlen` pair (value, trace). */
void diag_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The candidate closest to WORD by edit distance, when it is close enough to be a likely typo;
 * NULL otherwise. */
const char *diag_suggest(const char *word, const char *const *candidates, size_t n);

#endif
