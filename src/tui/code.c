/*
 * code.c — rendering statements as Python-like lines (see code.h).
 */
#include "tui/code.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/value.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

typedef struct render {
        const scenario *sc;
        const sc_script *script;
        char *src; /* the scenario file, or NULL when it cannot be read */
        size_t len;
        code_book *cb;
        code_script *out;
} render;

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        strbuf sb = STRBUF_INIT;
        char buf[8192];
        size_t n;

        if (f == NULL)
                return NULL;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len <= SC_MAX_FILE_BYTES)
                strbuf_append(&sb, buf, n);
        fclose(f);
        *len = sb.len;
        return strbuf_detach(&sb);
}

/* The byte offset of LINE:COL (1-based; the column counts characters, as jsonpos does). */
static size_t offset_of(const char *s, size_t n, int line, int col)
{
        size_t k = 0;

        for (int l = 1; l < line && k < n; k++)
                if (s[k] == '\n')
                        l++;
        for (int c = 1; c < col && k < n && s[k] != '\n'; c++)
                k += utf8_char_len(s + k, n - k);
        return k;
}

/* Where a Value is named in an expression's text, as Python names its number: `.value` goes after
 * each (at most MAX_VALUE_NAMES, sorted). */
#define MAX_VALUE_NAMES 32
typedef struct value_names {
        const render *r;
        const char *text; /* the expression's text */
        size_t len, n;
        size_t at[MAX_VALUE_NAMES]; /* just past each name */
} value_names;

static void value_name(void *ctx, int32_t ref, int off, size_t len)
{
        value_names *v = ctx;
        const sc_resource *res;
        size_t k;

        if (ref < 0 || SC_REF_KIND(ref) != SC_REF_RES || SC_REF_INDEX(ref) >= v->r->sc->nresources)
                return;
        res = &v->r->sc->resources[SC_REF_INDEX(ref)];
        /* the name where the parser saw it (else the text is not what was parsed: leave it) */
        if (res->type != SC_VALUE || off < 0 || (size_t)off + len > v->len ||
            strlen(res->name) != len || memcmp(v->text + off, res->name, len) != 0 ||
            v->n == MAX_VALUE_NAMES)
                return;
        for (k = v->n++; k > 0 && v->at[k - 1] > (size_t)off + len; k--)
                v->at[k] = v->at[k - 1];
        v->at[k] = (size_t)off + len;
}

/* TEXT, the string of expression E or template T, with `.value` after each name of a Value. */
static void put_with_values(const render *r, const char *text, const expr *e,
                            const expr_template *t, strbuf *out)
{
        value_names v = { .r = r, .text = text, .len = strlen(text) };
        size_t from = 0;

        if (e != NULL)
                expr_names(e, value_name, &v);
        else
                expr_template_names(t, value_name, &v);
        for (size_t k = 0; k < v.n; k++) {
                strbuf_append(out, text + from, v.at[k] - from);
                strbuf_puts(out, ".value");
                from = v.at[k];
        }
        strbuf_puts(out, text + from);
}

/* Appends the text of expression or template WHAT as written in the file: a JSON string's
 * contents (a Value named in it as Python names its number, `v.value`); a number, list or other
 * literal (E, the expression WHAT is, or NULL for a template) as Python writes it, since the pane
 * shows Python: None, True, 'a', not JSON's null, true, "a". */
static void put_source(render *r, const void *what, const expr *e, strbuf *out)
{
        int line, col;
        const char *end = NULL;
        value v;
        cJSON *j;

        if (what == NULL)
                return;
        if (r->src == NULL || !scenario_where(r->sc, what, &line, &col)) {
                strbuf_puts(out, "...");
                return;
        }
        j = cJSON_ParseWithOpts(r->src + offset_of(r->src, r->len, line, col), &end, false);
        if (cJSON_IsString(j)) {
                put_with_values(r, j->valuestring, e, e == NULL ? what : NULL, out);
        } else if (j != NULL && e != NULL && expr_constant(e, &v)) {
                value_repr(v, out);
        } else if (j != NULL) {
                char *p = cJSON_PrintUnformatted(j);

                strbuf_puts(out, p != NULL ? p : "...");
                free(p);
        } else {
                strbuf_puts(out, "...");
        }
        cJSON_Delete(j);
}

static void put_expr(render *r, const expr *e, strbuf *out)
{
        put_source(r, e, e, out);
}

static const char *local_name(const render *r, int32_t slot)
{
        return slot >= 0 && slot < r->script->nlocals ? r->script->locals[slot] : "_";
}

static const char *res_name(const render *r, int res)
{
        return res >= 0 && res < r->sc->nresources ? r->sc->resources[res].name : "?";
}

static void add_line(render *r, int depth, int stmt, const strbuf *text)
{
        code_script *cs = r->out;
        strbuf sb = STRBUF_INIT;

        for (int k = 0; k < depth; k++)
                strbuf_puts(&sb, "    ");
        strbuf_puts(&sb, strbuf_str(text));
        cs->lines = xgrow(cs->lines, &cs->cap, (size_t)cs->n + 1, sizeof(*cs->lines));
        cs->lines[cs->n].text = strbuf_detach(&sb);
        cs->lines[cs->n].stmt = stmt;
        if (stmt >= 0 && stmt < r->cb->nstmts)
                r->cb->line_of[stmt] = cs->n;
        cs->n++;
}

/* "A.start()", or for a group "for t in Group: t.start()" style when it names several. */
static void put_actors(const render *r, const sc_stmt *s, const char *method, strbuf *sb)
{
        const sc_group *g = NULL;

        if (s->ntargets == 1) {
                strbuf_printf(sb, "%s.%s()", r->sc->actors[s->targets[0]].name, method);
                return;
        }
        for (int k = 0; k < r->sc->ngroups && g == NULL; k++) {
                const sc_group *c = &r->sc->groups[k];

                /* (a group of count 0 has no members array) */
                if (c->nmembers == s->ntargets &&
                    (s->ntargets == 0 ||
                     memcmp(c->members, s->targets, (size_t)s->ntargets * sizeof(int)) == 0))
                        g = c;
        }
        strbuf_puts(sb, "for t in ");
        if (g != NULL) {
                strbuf_puts(sb, g->name);
        } else {
                strbuf_putc(sb, '[');
                for (int k = 0; k < s->ntargets; k++)
                        strbuf_printf(sb, "%s%s", k > 0 ? ", " : "",
                                      r->sc->actors[s->targets[k]].name);
                strbuf_putc(sb, ']');
        }
        strbuf_printf(sb, ": t.%s()", method);
}

/* ", timeout=T" or "timeout=T" when there is one. */
static void put_timeout(render *r, const sc_stmt *s, bool first, strbuf *sb)
{
        if (s->timeout == NULL)
                return;
        strbuf_puts(sb, first ? "timeout=" : ", timeout=");
        put_expr(r, s->timeout, sb);
}

static void put_into(const render *r, const sc_stmt *s, strbuf *sb)
{
        if (s->local >= 0)
                strbuf_printf(sb, "%s = ", local_name(r, s->local));
}

static void put_template(render *r, const expr_template *t, strbuf *sb)
{
        strbuf text = STRBUF_INIT;

        put_source(r, t, NULL, &text);
        strbuf_printf(sb, "%s\"%s\"", strchr(strbuf_str(&text), '{') != NULL ? "f" : "",
                      strbuf_str(&text));
        strbuf_free(&text);
}

static void render_block(render *r, const sc_block *b, int depth);

static void render_stmt(render *r, const sc_stmt *s, int depth)
{
        strbuf sb = STRBUF_INIT;
        const char *res = res_name(r, s->res);
        char ebuf[SC_MAX_NAME + 3];
        /* a pipe end as the script names it: parent_conn (its pipe's "ends"), or pipe.a */
        const char *end = s->res >= 0 && s->res < r->sc->nresources
                              ? scenario_pipe_end_name(&r->sc->resources[s->res], s->end, ebuf)
                              : "?";

        switch (s->kind) {
        case SC_ACQUIRE:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.acquire(%s", res, s->blocking ? "" : "blocking=False");
                put_timeout(r, s, s->blocking, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_RELEASE: strbuf_printf(&sb, "%s.release()", res); break;
        case SC_WITH: strbuf_printf(&sb, "with %s:", res); break;
        case SC_WAIT:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.wait(", res);
                put_timeout(r, s, true, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_WAIT_FOR:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.wait_for(lambda: ", res);
                put_expr(r, s->until, &sb);
                put_timeout(r, s, false, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_SET: strbuf_printf(&sb, "%s.set()", res); break;
        case SC_CLEAR: strbuf_printf(&sb, "%s.clear()", res); break;
        case SC_NOTIFY:
                strbuf_printf(&sb, "%s.notify(", res);
                put_expr(r, s->n, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_NOTIFY_ALL: strbuf_printf(&sb, "%s.notify_all()", res); break;
        case SC_ABORT: strbuf_printf(&sb, "%s.abort()", res); break;
        case SC_RESET: strbuf_printf(&sb, "%s.reset()", res); break;
        case SC_PUT:
                strbuf_printf(&sb, "%s.put(", res);
                put_expr(r, s->value, &sb);
                put_timeout(r, s, false, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_GET:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.get(", res);
                put_timeout(r, s, true, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_SEND:
                strbuf_printf(&sb, "%s.send(", end);
                put_expr(r, s->value, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_RECV:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.recv()", end);
                break;
        case SC_CLOSE: strbuf_printf(&sb, "%s.close()", end); break;
        case SC_APPEND:
                strbuf_printf(&sb, "%s.append(", res);
                put_expr(r, s->value, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_POP:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.pop(", res);
                put_expr(r, s->at, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_STORE:
                put_expr(r, s->lvalue, &sb);
                strbuf_puts(&sb, " = ");
                put_expr(r, s->value, &sb);
                break;
        case SC_LET:
                strbuf_printf(&sb, "%s = ", local_name(r, s->local));
                put_expr(r, s->value, &sb);
                break;
        case SC_PRINT:
                strbuf_puts(&sb, "print(");
                put_template(r, s->text, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_SLEEP:
                strbuf_puts(&sb, "time.sleep(");
                put_expr(r, s->value, &sb);
                strbuf_putc(&sb, ')');
                break;
        case SC_WORK:
                strbuf_puts(&sb, "work(");
                put_expr(r, s->value, &sb);
                strbuf_puts(&sb, ")  # busy on the CPU");
                break;
        case SC_IF:
        case SC_WHILE:
                strbuf_puts(&sb, s->kind == SC_IF ? "if " : "while ");
                put_expr(r, s->value, &sb);
                strbuf_putc(&sb, ':');
                break;
        case SC_REPEAT:
                strbuf_printf(&sb, "for %s in range(", local_name(r, s->local));
                put_expr(r, s->value, &sb);
                strbuf_puts(&sb, "):");
                break;
        case SC_FOR:
                strbuf_printf(&sb, "for %s in ", local_name(r, s->local));
                put_expr(r, s->value, &sb);
                strbuf_putc(&sb, ':');
                break;
        case SC_BREAK: strbuf_puts(&sb, "break"); break;
        case SC_START: put_actors(r, s, "start", &sb); break;
        case SC_JOIN:
                put_actors(r, s, "join", &sb);
                if (s->timeout != NULL) {
                        sb.len -= 1; /* "...join(" + timeout + ")" */
                        put_timeout(r, s, true, &sb);
                        strbuf_putc(&sb, ')');
                }
                break;
        case SC_MAP:
        case SC_STARMAP:
                put_into(r, s, &sb);
                strbuf_printf(&sb, "%s.%s(", res, s->kind == SC_MAP ? "map" : "starmap");
                put_expr(r, s->fn, &sb);
                strbuf_puts(&sb, ", ");
                put_expr(r, s->over, &sb);
                if (s->chunksize != NULL) {
                        strbuf_puts(&sb, ", ");
                        put_expr(r, s->chunksize, &sb);
                }
                strbuf_putc(&sb, ')');
                break;
        case SC_ASSERT:
                strbuf_puts(&sb, "assert ");
                put_expr(r, s->value, &sb);
                if (s->text != NULL) {
                        strbuf_puts(&sb, ", ");
                        put_template(r, s->text, &sb);
                }
                break;
        case SC_CRASH:
                if (s->crash == SC_CRASH_SEGFAULT)
                        strbuf_puts(&sb, "ctypes.string_at(0)  # segfault");
                else if (s->crash == SC_CRASH_ABORT)
                        strbuf_puts(&sb, "os.abort()");
                else
                        strbuf_printf(&sb, "os._exit(%d)", s->exit_code);
                break;
        case SC_STMT_KIND_COUNT: break; /* no statement's kind; a kind left out is a warning */
        }
        add_line(r, depth, s->id, &sb);
        strbuf_free(&sb);
        render_block(r, &s->body, depth + 1);
        if (s->orelse.n > 0) {
                strbuf e = STRBUF_INIT;

                strbuf_puts(&e, "else:");
                add_line(r, depth, -1, &e);
                strbuf_free(&e);
                render_block(r, &s->orelse, depth + 1);
        }
}

static void render_block(render *r, const sc_block *b, int depth)
{
        for (int k = 0; k < b->n; k++)
                render_stmt(r, &b->stmts[k], depth);
}

code_book *code_new(const scenario *sc, const char *src, size_t len)
{
        code_book *cb = xcalloc(1, sizeof(*cb));
        render r = { .sc = sc, .cb = cb };

        if (src != NULL) {
                r.src = xstrndup(src, len);
                r.len = len;
        } else {
                r.src = read_file(sc->path, &r.len);
        }
        cb->nscripts = sc->nscripts;
        cb->scripts = xcalloc((size_t)sc->nscripts + 1, sizeof(*cb->scripts));
        cb->nstmts = sc->nstmts;
        cb->line_of = xcalloc((size_t)sc->nstmts + 1, sizeof(int));
        for (int k = 0; k < sc->nstmts; k++)
                cb->line_of[k] = -1;
        for (int k = 0; k < sc->nscripts; k++) {
                r.script = &sc->scripts[k];
                r.out = &cb->scripts[k];
                render_block(&r, &sc->scripts[k].body, 0);
                if (r.out->n == 0) {
                        strbuf p = STRBUF_INIT;

                        /* a scenario without "main": what the engine does in its place */
                        strbuf_puts(&p, k == sc->main_script && !sc->main_given
                                            ? "# no main given: start every automatic actor, "
                                              "then join every actor"
                                            : "pass");
                        add_line(&r, 0, -1, &p);
                        strbuf_free(&p);
                }
        }
        free(r.src);
        return cb;
}

void code_free(code_book *cb)
{
        if (cb == NULL)
                return;
        for (int k = 0; k < cb->nscripts; k++) {
                for (int l = 0; l < cb->scripts[k].n; l++)
                        free(cb->scripts[k].lines[l].text);
                free(cb->scripts[k].lines);
        }
        free(cb->scripts);
        free(cb->line_of);
        free(cb);
}

int code_line_of(const code_book *cb, int stmt)
{
        return stmt >= 0 && stmt < cb->nstmts ? cb->line_of[stmt] : -1;
}
