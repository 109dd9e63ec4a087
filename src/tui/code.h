/*
 * code.h — the scripts of a scenario rendered as Python-like code, for the Code pane.
 *
 * Each script becomes lines (`with room:`, `time.sleep(2)`, `q.put(item)`), each knowing the
 * statement it shows, so the pane can mark where every actor is and the Actors pane can say
 * which line. Expressions are shown as the author wrote them: their text is read back from the
 * scenario file at the position the loader recorded (scenario_where), since the parsed tree
 * keeps no text.
 */
#ifndef LOCKSTEP_TUI_CODE_H
#define LOCKSTEP_TUI_CODE_H

#include <stddef.h>

#include "scenario/scenario.h"

typedef struct code_line {
        char *text; /* indented, without a newline; scenario text, escaped when drawn */
        int stmt;   /* the statement's id, or -1 (an `else:`) */
} code_line;

typedef struct code_script {
        code_line *lines;
        int n;
        size_t cap;
} code_script;

typedef struct code_book {
        code_script *scripts; /* one per scenario script */
        int nscripts;
        int *line_of; /* statement id -> line in its script, or -1 */
        int nstmts;
} code_book;

/* Renders every script of SC. The expressions' text comes from SRC (LEN bytes: the file's text
 * as it was loaded, e.g. a trace's copy), or when SRC is NULL from the file, read again. */
code_book *code_new(const scenario *sc, const char *src, size_t len);
void code_free(code_book *cb);
/* The line (0-based) statement STMT is on in its script, or -1. */
int code_line_of(const code_book *cb, int stmt);

#endif
