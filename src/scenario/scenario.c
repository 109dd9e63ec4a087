/*
 * scenario.c — load and check a scenario file into an immutable model; see scenario.h.
 *
 * The file is untrusted: it is size-checked, UTF-8-checked, parsed by cJSON, indexed for
 * positions (jsonpos), checked for depth and duplicate keys, and only then read. Reading is
 * driven by tables: one entry per resource type (which keys, which ranges) and one per statement
 * (its keyword, what the keyword names, its other keys and where they go). Every problem is
 * reported with FILE:LINE:COL and loading goes on, so that one run shows all of a file's errors.
 *
 * Scripts are read in two passes: the first builds the statements and collects the script's
 * locals (every name assigned by let, into, as, for or store); the second resolves every name in
 * every expression, so a name used before the statement that assigns it still resolves, as in
 * Python, while a name assigned nowhere is reported with a suggestion.
 */
#include "scenario.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"
#include "guard.h"
#include "jsonpos.h"

#define BIT(t) (1u << (t))
#define LOCKLIKE                                                                                   \
        (BIT(SC_LOCK) | BIT(SC_RLOCK) | BIT(SC_SEMAPHORE) | BIT(SC_BOUNDED_SEMAPHORE) |            \
         BIT(SC_CONDITION))
#define READABLE (BIT(SC_VAR) | BIT(SC_LIST) | BIT(SC_DICT) | BIT(SC_VALUE) | BIT(SC_ARRAY))

/* ---- resource types ---------------------------------------------------------------------- */

typedef enum init_kind {
        INIT_NONE,
        INIT_ANY,
        INIT_LIST,
        INIT_DICT,
        INIT_NUMBER,
        INIT_ARRAY
} init_kind;

typedef struct res_info {
        const char *name;
        const char *count_key; /* the key read into sc_resource.count, or NULL */
        int64_t count_min, count_max, count_default;
        bool count_required, count_defaults_to_cpus;
        init_kind init;
        bool init_required, has_lock, has_duplex, has_via, has_ctype;
} res_info;

static const res_info res_table[SC_RES_TYPE_COUNT] = {
        [SC_LOCK] = { .name = "lock" },
        [SC_RLOCK] = { .name = "rlock" },
        [SC_SEMAPHORE] = { .name = "semaphore",
                           .count_key = "value",
                           .count_max = SC_MAX_SEMAPHORE,
                           .count_default = 1 },
        [SC_BOUNDED_SEMAPHORE] = { .name = "bounded_semaphore",
                                   .count_key = "value",
                                   .count_max = SC_MAX_SEMAPHORE,
                                   .count_default = 1 },
        [SC_EVENT] = { .name = "event" },
        [SC_CONDITION] = { .name = "condition", .has_lock = true },
        [SC_BARRIER] = { .name = "barrier",
                         .count_key = "parties",
                         .count_min = 1,
                         .count_max = SC_MAX_ACTORS,
                         .count_required = true },
        [SC_VAR] = { .name = "var", .init = INIT_ANY, .init_required = true },
        [SC_LIST] = { .name = "list", .init = INIT_LIST, .has_via = true },
        [SC_DICT] = { .name = "dict", .init = INIT_DICT, .has_via = true },
        [SC_VALUE] = { .name = "value", .init = INIT_NUMBER, .has_ctype = true },
        [SC_ARRAY] = { .name = "array", .init = INIT_ARRAY, .has_ctype = true },
        [SC_QUEUE] = { .name = "queue", .count_key = "max", .count_max = SC_MAX_QUEUE },
        [SC_PIPE] = { .name = "pipe", .has_duplex = true },
        [SC_POOL] = { .name = "pool",
                      .count_key = "workers",
                      .count_min = 1,
                      .count_max = SC_MAX_POOL,
                      .count_defaults_to_cpus = true },
};

/* ---- statements -------------------------------------------------------------------------- */

/* What a statement's keyword names. */
typedef enum target_kind {
        T_RES,      /* a resource of the types in res_mask */
        T_PIPE_END, /* NAME.a or NAME.b */
        T_ACTOR,    /* an actor or a group */
        T_EXPR,     /* an expression, into sc_stmt.value */
        T_TEXT,     /* a template, into sc_stmt.text */
        T_LOCAL,    /* a local's name, into sc_stmt.local */
        T_LVALUE,   /* store's target */
        T_TRUE,     /* break: true */
        T_CRASH,    /* segfault, abort, exit */
} target_kind;

typedef enum field_kind { F_EXPR, F_TEXT, F_BLOCK, F_LOCAL, F_BOOL, F_INT } field_kind;

/* What a JSON literal (not an expression string) may be where an expression goes. */
typedef enum lit_kind {
        LIT_ANY,
        LIT_SECONDS,  /* a number >= 0 */
        LIT_TIMEOUT,  /* a number >= 0, or null: None, no timeout */
        LIT_COUNT,    /* an integer >= 0 */
        LIT_INT,      /* an integer */
        LIT_POSITIVE, /* an integer >= 1 */
        LIT_SEQ,      /* an array */
        LIT_EXPR,     /* no literal: an expression string (a lambda) */
} lit_kind;

typedef struct field {
        const char *key;
        field_kind kind;
        size_t off; /* into sc_stmt */
        bool required;
        lit_kind lit;
} field;

#define MAX_FIELDS 4

typedef struct stmt_info {
        const char *keyword;
        target_kind target;
        unsigned res_mask;
        bool loop;    /* break may appear in its body */
        lit_kind lit; /* T_EXPR: what a literal keyword value may be */
        field fields[MAX_FIELDS];
} stmt_info;

#define OFF(f) offsetof(sc_stmt, f)
/* clang-format off */
#define FLD(k, kd, f) { .key = k, .kind = kd, .off = OFF(f), .required = false, .lit = LIT_ANY }
#define REQ(k, kd, f) { .key = k, .kind = kd, .off = OFF(f), .required = true, .lit = LIT_ANY }
#define FLDL(k, kd, f, l) { .key = k, .kind = kd, .off = OFF(f), .required = false, .lit = l }
#define REQL(k, kd, f, l) { .key = k, .kind = kd, .off = OFF(f), .required = true, .lit = l }
/* clang-format on */

static const stmt_info stmt_table[SC_STMT_KIND_COUNT] = {
        [SC_ACQUIRE] = { .keyword = "acquire",
                         .target = T_RES,
                         .res_mask = LOCKLIKE,
                         .fields = { FLDL("timeout", F_EXPR, timeout, LIT_TIMEOUT),
                                     FLD("blocking", F_BOOL, blocking),
                                     FLD("into", F_LOCAL, local) } },
        [SC_RELEASE] = { .keyword = "release", .target = T_RES, .res_mask = LOCKLIKE },
        [SC_WITH] = { .keyword = "with",
                      .target = T_RES,
                      .res_mask = LOCKLIKE,
                      .fields = { REQ("do", F_BLOCK, body) } },
        [SC_WAIT] = { .keyword = "wait",
                      .target = T_RES,
                      .res_mask = BIT(SC_EVENT) | BIT(SC_CONDITION) | BIT(SC_BARRIER),
                      .fields = { FLDL("timeout", F_EXPR, timeout, LIT_TIMEOUT),
                                  FLD("into", F_LOCAL, local) } },
        [SC_WAIT_FOR] = { .keyword = "wait_for",
                          .target = T_RES,
                          .res_mask = BIT(SC_CONDITION),
                          .fields = { REQ("until", F_EXPR, until),
                                      FLDL("timeout", F_EXPR, timeout, LIT_TIMEOUT),
                                      FLD("into", F_LOCAL, local) } },
        [SC_SET] = { .keyword = "set", .target = T_RES, .res_mask = BIT(SC_EVENT) },
        [SC_CLEAR] = { .keyword = "clear", .target = T_RES, .res_mask = BIT(SC_EVENT) },
        [SC_NOTIFY] = { .keyword = "notify",
                        .target = T_RES,
                        .res_mask = BIT(SC_CONDITION),
                        .fields = { FLDL("n", F_EXPR, n, LIT_COUNT) } },
        [SC_ABORT] = { .keyword = "abort", .target = T_RES, .res_mask = BIT(SC_BARRIER) },
        [SC_RESET] = { .keyword = "reset", .target = T_RES, .res_mask = BIT(SC_BARRIER) },
        [SC_NOTIFY_ALL] = { .keyword = "notify_all",
                            .target = T_RES,
                            .res_mask = BIT(SC_CONDITION) },
        [SC_PUT] = { .keyword = "put",
                     .target = T_RES,
                     .res_mask = BIT(SC_QUEUE),
                     .fields = { REQ("value", F_EXPR, value),
                                 FLDL("timeout", F_EXPR, timeout, LIT_TIMEOUT) } },
        [SC_GET] = { .keyword = "get",
                     .target = T_RES,
                     .res_mask = BIT(SC_QUEUE),
                     .fields = { FLD("into", F_LOCAL, local),
                                 FLDL("timeout", F_EXPR, timeout, LIT_TIMEOUT) } },
        [SC_SEND] = { .keyword = "send",
                      .target = T_PIPE_END,
                      .fields = { REQ("value", F_EXPR, value) } },
        [SC_RECV] = { .keyword = "recv",
                      .target = T_PIPE_END,
                      .fields = { FLD("into", F_LOCAL, local) } },
        [SC_CLOSE] = { .keyword = "close", .target = T_PIPE_END },
        [SC_APPEND] = { .keyword = "append",
                        .target = T_RES,
                        .res_mask = BIT(SC_LIST),
                        .fields = { REQ("value", F_EXPR, value) } },
        [SC_POP] = { .keyword = "pop",
                     .target = T_RES,
                     .res_mask = BIT(SC_LIST),
                     .fields = { FLDL("at", F_EXPR, at, LIT_INT), FLD("into", F_LOCAL, local) } },
        [SC_STORE] = { .keyword = "store",
                       .target = T_LVALUE,
                       .fields = { REQ("value", F_EXPR, value) } },
        [SC_LET] = { .keyword = "let",
                     .target = T_LOCAL,
                     .fields = { REQ("value", F_EXPR, value) } },
        [SC_PRINT] = { .keyword = "print", .target = T_TEXT },
        [SC_SLEEP] = { .keyword = "sleep", .target = T_EXPR, .lit = LIT_SECONDS },
        [SC_WORK] = { .keyword = "work", .target = T_EXPR, .lit = LIT_SECONDS },
        [SC_IF] = { .keyword = "if",
                    .target = T_EXPR,
                    .fields = { REQ("then", F_BLOCK, body), FLD("else", F_BLOCK, orelse) } },
        [SC_WHILE] = { .keyword = "while",
                       .target = T_EXPR,
                       .loop = true,
                       .fields = { REQ("do", F_BLOCK, body) } },
        [SC_REPEAT] = { .keyword = "repeat",
                        .target = T_EXPR,
                        .loop = true,
                        .lit = LIT_COUNT,
                        .fields = { FLD("as", F_LOCAL, local), REQ("do", F_BLOCK, body) } },
        [SC_FOR] = { .keyword = "for",
                     .target = T_LOCAL,
                     .loop = true,
                     .fields = { REQL("in", F_EXPR, value, LIT_SEQ), REQ("do", F_BLOCK, body) } },
        [SC_BREAK] = { .keyword = "break", .target = T_TRUE },
        [SC_START] = { .keyword = "start", .target = T_ACTOR },
        [SC_JOIN] = { .keyword = "join",
                      .target = T_ACTOR,
                      .fields = { FLDL("timeout", F_EXPR, timeout, LIT_TIMEOUT) } },
        [SC_MAP] = { .keyword = "map",
                     .target = T_RES,
                     .res_mask = BIT(SC_POOL),
                     .fields = { REQL("fn", F_EXPR, fn, LIT_EXPR),
                                 REQL("over", F_EXPR, over, LIT_SEQ), FLD("into", F_LOCAL, local),
                                 FLDL("chunksize", F_EXPR, chunksize, LIT_POSITIVE) } },
        [SC_STARMAP] = { .keyword = "starmap",
                         .target = T_RES,
                         .res_mask = BIT(SC_POOL),
                         .fields = { REQL("fn", F_EXPR, fn, LIT_EXPR),
                                     REQL("over", F_EXPR, over, LIT_SEQ),
                                     FLD("into", F_LOCAL, local),
                                     FLDL("chunksize", F_EXPR, chunksize, LIT_POSITIVE) } },
        [SC_ASSERT] = { .keyword = "assert",
                        .target = T_EXPR,
                        .fields = { FLD("message", F_TEXT, text) } },
        [SC_CRASH] = { .keyword = "crash",
                       .target = T_CRASH,
                       .fields = { FLD("code", F_INT, exit_code) } },
};

static const char *const crash_names[] = { "segfault", "abort", "exit" };

/* ---- the loader's context ---------------------------------------------------------------- */

typedef struct pending {
        expr *e;
        expr_template *t;
        const cJSON *item; /* the JSON string it came from, for positions */
} pending;

typedef struct script_ctx {
        sc_script *script;
        bool is_main;
        size_t cap_locals;
        pending *pend;
        size_t npend, cap_pend;
        int loop_depth;
} script_ctx;

typedef struct loader {
        const char *file;
        const char *text;
        size_t len;
        jsonpos *pos;
        diag *d;
        scenario *sc;
        int cpu_count;
        script_ctx *script; /* the script being read */
        size_t cap_actors, cap_groups, cap_wheres;
} loader;

#define AT_VALUE (-1)    /* err_at: the error is at ITEM's value */
#define AT_KEY   INT_MIN /* err_at: at ITEM's key (no offset in a string is negative) */

/* Reports an error at ITEM: its value, its key, or byte OFFSET (>= 0) of its string's contents;
 * any other negative OFFSET means its value. err_value, err_key and err_in name the three. */
__attribute__((format(printf, 4, 5))) static void err_at(loader *L, const cJSON *item, int offset,
                                                         const char *fmt, ...)
{
        strbuf sb = STRBUF_INIT;
        va_list ap;
        int line, col;

        if (offset == AT_KEY)
                jsonpos_key(L->pos, item, &line, &col);
        else if (offset >= 0 && cJSON_IsString(item))
                jsonpos_in_string(L->pos, item, (size_t)offset, &line, &col);
        else
                jsonpos_value(L->pos, item, &line, &col);
        va_start(ap, fmt);
        strbuf_vprintf(&sb, fmt, ap);
        va_end(ap);
        diag_error(L->d, L->file, line, col, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
}

#define err_value(L, item, ...)      err_at(L, item, AT_VALUE, __VA_ARGS__)
#define err_key(L, item, ...)        err_at(L, item, AT_KEY, __VA_ARGS__)
#define err_in(L, item, offset, ...) err_at(L, item, offset, __VA_ARGS__)

/* "a " or "an " for a noun. */
static const char *article(const char *noun)
{
        return strchr("aeiou", noun[0]) != NULL ? "an " : "a ";
}

/* Appends ", did you mean 'x'?" or nothing. */
static void suggest(strbuf *sb, const char *word, const char *const *cands, size_t n)
{
        const char *s = diag_suggest(word, cands, n);

        if (s != NULL)
                strbuf_printf(sb, "; did you mean '%s'?", s);
}

/* After "name NAME is not defined" when nothing like it is defined (no suggestion): ITEM, the
 * JSON string of the expression, that is NAME alone was most likely meant as that text. */
static void hint_quotes(strbuf *sb, size_t before, const cJSON *item, const char *name)
{
        if (sb->len == before && item != NULL && cJSON_IsString(item) &&
            strcmp(item->valuestring, name) == 0)
                strbuf_printf(sb, "; a text is written with its quotes inside: \"'%s'\"", name);
}

static void list_words(strbuf *sb, const char *const *words, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (words[i] != NULL)
                        strbuf_printf(sb, "%s%s", i ? ", " : "", words[i]);
}

/* Reports every key of OBJ that is not in KEYS (NULL entries are skipped). */
static void check_keys(loader *L, const cJSON *obj, const char *const *keys, size_t n,
                       const char *what)
{
        for (const cJSON *c = obj->child; c != NULL; c = c->next) {
                bool ok = false;

                for (size_t i = 0; i < n && !ok; i++)
                        ok = keys[i] != NULL && strcmp(keys[i], c->string) == 0;
                if (!ok) {
                        strbuf sb = STRBUF_INIT;

                        strbuf_printf(&sb, "unknown key '%s' in %s", c->string, what);
                        if (diag_suggest(c->string, keys, n) != NULL) {
                                suggest(&sb, c->string, keys, n);
                        } else {
                                strbuf_puts(&sb, " (allowed: ");
                                list_words(&sb, keys, n);
                                strbuf_puts(&sb, ")");
                        }
                        err_key(L, c, "%s", strbuf_str(&sb));
                        strbuf_free(&sb);
                }
        }
}

static bool is_identifier(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > SC_MAX_NAME)
                return false;
        if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9')))
                        return false;
        return true;
}

/* Words an identifier may not be: the expression language's own, and the two names every script
 * has. */
static bool is_reserved(const char *s)
{
        return expr_is_reserved(s) || strcmp(s, "name") == 0 || strcmp(s, "i") == 0;
}

/* Checks that ITEM is a usable name for WHAT; reports and returns false otherwise. */
static bool check_name(loader *L, const cJSON *item, const char *name, bool at_key,
                       const char *what)
{
        const char *why = NULL;

        if (strlen(name) > SC_MAX_NAME &&
            strspn(name, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(name))
                why = "is too long: at most 64 characters";
        else if (!is_identifier(name))
                why = "must be an identifier: letters, digits and _, not starting with a digit, "
                      "at most 64 characters";
        else if (is_reserved(name))
                why = "is a reserved word of the expression language";
        if (why == NULL)
                return true;
        if (at_key)
                err_key(L, item, "%s name '%.64s' %s", what, name, why);
        else
                err_value(L, item, "%s name '%.64s' %s", what, name, why);
        return false;
}

static int find_constant(const scenario *sc, const char *name)
{
        for (int i = 0; i < sc->nconstants; i++)
                if (strcmp(sc->constants[i].name, name) == 0)
                        return i;
        return -1;
}

const char *scenario_actor_name(const scenario *sc, int id)
{
        if (id >= 0 && id < sc->nactors)
                return sc->actors[id].name;
        return id == sc->nactors ? SC_MAIN_NAME : "runner";
}

int scenario_find_pipe_end(const scenario *sc, const char *name, int *end)
{
        for (int i = 0; i < sc->nresources; i++)
                for (int e = 0; e < 2; e++)
                        if (sc->resources[i].ends[e] != NULL &&
                            strcmp(sc->resources[i].ends[e], name) == 0) {
                                *end = e;
                                return i;
                        }
        return -1;
}

const char *scenario_pipe_end_name(const sc_resource *r, int end, char *buf)
{
        if (r->ends[end != 0] != NULL)
                return r->ends[end != 0];
        snprintf(buf, SC_MAX_NAME + 3, "%.64s.%c", r->name, end != 0 ? 'b' : 'a');
        return buf;
}

int scenario_find_resource(const scenario *sc, const char *name)
{
        for (int i = 0; i < sc->nresources; i++)
                if (strcmp(sc->resources[i].name, name) == 0)
                        return i;
        return -1;
}

/* ---- JSON literals into values ----------------------------------------------------------- */

static int json_to_value(loader *L, const cJSON *j, value *out)
{
        if (cJSON_IsNull(j)) {
                *out = value_none();
        } else if (cJSON_IsBool(j)) {
                *out = value_bool(cJSON_IsTrue(j));
        } else if (cJSON_IsNumber(j)) {
                size_t len;
                const char *raw = jsonpos_raw(L->pos, j, &len);
                char buf[64];

                if (len == 0 || len >= sizeof(buf)) {
                        err_value(L, j, "number too long");
                        return -1;
                }
                memcpy(buf, raw, len);
                buf[len] = '\0';
                if (strpbrk(buf, ".eE") == NULL) {
                        char *end;
                        long long v;

                        errno = 0;
                        v = strtoll(buf, &end, 10);
                        if (errno == ERANGE || *end != '\0') {
                                err_value(L, j, "integer %s does not fit in 64 bits", buf);
                                return -1;
                        }
                        *out = value_int(v);
                } else {
                        if (!isfinite(j->valuedouble)) {
                                err_value(L, j, "number %s is too large", buf);
                                return -1;
                        }
                        *out = value_float(j->valuedouble);
                }
        } else if (cJSON_IsString(j)) {
                *out = value_cstr(j->valuestring);
        } else if (cJSON_IsArray(j)) {
                char err[200];

                *out = value_list();
                for (const cJSON *c = j->child; c != NULL; c = c->next) {
                        value v;

                        if (json_to_value(L, c, &v) < 0) {
                                value_drop(out);
                                return -1;
                        }
                        if (value_list_append(out, v, err, sizeof(err)) < 0) {
                                err_value(L, c, "%s", err);
                                value_drop(out);
                                return -1;
                        }
                }
        } else if (cJSON_IsObject(j)) {
                char err[200];

                *out = value_dict();
                for (const cJSON *c = j->child; c != NULL; c = c->next) {
                        value v;

                        if (json_to_value(L, c, &v) < 0) {
                                value_drop(out);
                                return -1;
                        }
                        if (value_dict_set(out, value_cstr(c->string), v, err, sizeof(err)) < 0) {
                                err_value(L, c, "%s", err);
                                value_drop(out);
                                return -1;
                        }
                }
        } else {
                err_value(L, j, "not a JSON value");
                return -1;
        }
        return 0;
}

/* ---- expressions ------------------------------------------------------------------------- */

/* Parses the expression at ITEM: a JSON string is source text, anything else a literal. */
static expr *parse_expr(loader *L, const cJSON *item)
{
        expr_error e = { 0 };
        expr *x;

        if (cJSON_IsString(item)) {
                const char *s = item->valuestring;

                if (s[0] == '\0') {
                        err_value(L, item, "empty expression");
                        return NULL;
                }
                x = expr_parse(s, strlen(s), &e);
                if (x == NULL)
                        err_in(L, item, e.offset, "in expression: %s", e.msg);
                return x;
        } else {
                value v;

                if (json_to_value(L, item, &v) < 0)
                        return NULL;
                return expr_literal(v);
        }
}

static expr_template *parse_template(loader *L, const cJSON *item, const char *what)
{
        expr_error e = { 0 };
        expr_template *t;

        if (!cJSON_IsString(item)) {
                err_value(L, item, "%s must be a string, not %s", what, jsonpos_type_name(item));
                return NULL;
        }
        t = expr_template_parse(item->valuestring, strlen(item->valuestring), &e);
        if (t == NULL)
                err_in(L, item, e.offset, "in %s: %s", what, e.msg);
        return t;
}

/* Load-time evaluation: names are constants, and `i` when an actor index is given. */
typedef struct const_ctx {
        loader *L;
        const cJSON *item;
        int i; /* -1: `i` is not available */
        int bad;
} const_ctx;

static int const_resolve(void *ctx, const char *name, int offset, int32_t *ref)
{
        const_ctx *c = ctx;
        int k = find_constant(c->L->sc, name);

        if (k >= 0) {
                *ref = SC_REF(SC_REF_CONST, k);
                return 0;
        }
        if (c->i >= 0 && strcmp(name, "i") == 0) {
                *ref = SC_REF(SC_REF_I, 0);
                return 0;
        }
        {
                strbuf sb = STRBUF_INIT;
                const char **names = xcalloc((size_t)c->L->sc->nconstants + 1, sizeof(char *));

                for (int j = 0; j < c->L->sc->nconstants; j++)
                        names[j] = c->L->sc->constants[j].name;
                size_t before;

                strbuf_printf(&sb,
                              "name '%s' cannot be used here: this value is computed when "
                              "the file loads, so it may use only constants%s",
                              name, c->i >= 0 ? " and i" : "");
                before = sb.len;
                suggest(&sb, name, names, (size_t)c->L->sc->nconstants);
                hint_quotes(&sb, before, c->item, name);
                err_in(c->L, c->item, offset, "%s", strbuf_str(&sb));
                free(names);
                strbuf_free(&sb);
        }
        c->bad++;
        return -1;
}

static int const_load(void *ctx, int32_t ref, const char *name, value *out, expr_error *err)
{
        const_ctx *c = ctx;

        switch (SC_REF_KIND(ref)) {
        case SC_REF_CONST: *out = value_ref(c->L->sc->constants[SC_REF_INDEX(ref)].v); return 0;
        case SC_REF_I: *out = value_int(c->i); return 0;
        default:
                snprintf(err->msg, sizeof(err->msg), "NameError: name '%s' is not defined", name);
                return -1;
        }
}

/* Evaluates the load-time expression at ITEM into *OUT; reports and returns -1 on error. */
static int eval_const(loader *L, const cJSON *item, int i, value *out)
{
        const_ctx c = { .L = L, .item = item, .i = i };
        expr_env env = { .ctx = &c, .load = const_load, .rng = NULL, .cpu_count = L->cpu_count };
        expr_error e = { 0 };
        expr *x = parse_expr(L, item);
        int rc = -1;

        if (x == NULL)
                return -1;
        if (expr_resolve(x, const_resolve, &c) == 0) {
                if (expr_eval(x, &env, out, &e) == 0)
                        rc = 0;
                else
                        err_in(L, item, e.offset, "%s", e.msg);
        }
        expr_free(x);
        return rc;
}

static int eval_const_int(loader *L, const cJSON *item, const char *what, int64_t lo, int64_t hi,
                          int64_t *out)
{
        value v;

        if (eval_const(L, item, -1, &v) < 0)
                return -1;
        if (v.type != VALUE_INT) {
                err_value(L, item, "%s must be an integer, not %s", what, value_type_name(v.type));
                value_drop(&v);
                return -1;
        }
        if (v.as.i < lo || v.as.i > hi) {
                err_value(L, item, "%s must be between %lld and %lld, not %lld", what,
                          (long long)lo, (long long)hi, (long long)v.as.i);
                return -1;
        }
        *out = v.as.i;
        return 0;
}

/* ---- top-level strings ------------------------------------------------------------------- */

static char *get_string(loader *L, const cJSON *obj, const char *key, bool required, size_t min,
                        size_t max, const char *what)
{
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
        size_t n;

        if (j == NULL) {
                if (required)
                        err_value(L, obj, "%s needs \"%s\": %s", what, key,
                                  strcmp(key, "title") == 0     ? "a short title"
                                  : strcmp(key, "summary") == 0 ? "a one-line summary"
                                                                : "a string");
                return NULL;
        }
        if (!cJSON_IsString(j)) {
                err_value(L, j, "\"%s\" must be a string, not %s", key, jsonpos_type_name(j));
                return NULL;
        }
        n = strlen(j->valuestring);
        if (n < min || n > max) {
                err_value(L, j, "\"%s\" must be %zu to %zu characters long, not %zu", key, min, max,
                          n);
                return NULL;
        }
        return xstrdup(j->valuestring);
}

/* ---- constants --------------------------------------------------------------------------- */

static void read_constants(loader *L, const cJSON *obj, const scenario_options *opt)
{
        scenario *sc = L->sc;
        int n = 0;

        if (obj != NULL && !cJSON_IsObject(obj)) {
                err_value(L, obj, "\"constants\" must be an object of NAME: value, not %s",
                          jsonpos_type_name(obj));
                obj = NULL;
        }
        if (obj != NULL)
                n = cJSON_GetArraySize(obj);
        if (n > SC_MAX_CONSTANTS) {
                err_value(L, obj, "too many constants: %d (at most %d)", n, SC_MAX_CONSTANTS);
                n = 0;
                obj = NULL;
        }
        sc->constants = xcalloc((size_t)n + 1, sizeof(sc_constant));
        for (const cJSON *c = obj ? obj->child : NULL; c != NULL; c = c->next) {
                value v;

                if (!check_name(L, c, c->string, true, "constant"))
                        continue;
                if (json_to_value(L, c, &v) < 0)
                        continue;
                sc->constants[sc->nconstants].name = xstrdup(c->string);
                sc->constants[sc->nconstants].v = v;
                sc->nconstants++;
        }
        /* --set NAME=VALUE: VALUE is an expression over the file's constants. */
        for (int k = 0; opt != NULL && k < opt->nset; k++) {
                const char *s = opt->set[k], *eq = strchr(s, '=');
                scenario_place at = opt->set_at != NULL && opt->set_at[k].file != NULL
                                        ? opt->set_at[k]
                                        : (scenario_place){ "--set", 0, 0 };
                char *name;
                int idx;

                if (eq == NULL || eq == s) {
                        diag_error(L->d, at.file, at.line, at.col,
                                   "'%s' should read NAME=VALUE, for example --set WORKERS=3", s);
                        continue;
                }
                name = xstrndup(s, (size_t)(eq - s));
                idx = find_constant(sc, name);
                if (idx < 0) {
                        strbuf sb = STRBUF_INIT;
                        const char **names = xcalloc((size_t)sc->nconstants + 1, sizeof(char *));

                        for (int j = 0; j < sc->nconstants; j++)
                                names[j] = sc->constants[j].name;
                        strbuf_printf(&sb, "%s has no constant '%s'", L->file, name);
                        suggest(&sb, name, names, (size_t)sc->nconstants);
                        diag_error(L->d, at.file, at.line, at.col, "%s", strbuf_str(&sb));
                        strbuf_free(&sb);
                        free(names);
                } else {
                        cJSON *tmp = cJSON_CreateString(eq + 1);
                        expr_error e = { 0 };
                        expr *x = expr_parse(eq + 1, strlen(eq + 1), &e);
                        const_ctx c = { .L = L, .item = tmp, .i = -1 };
                        expr_env env = { .ctx = &c, .load = const_load, .cpu_count = L->cpu_count };
                        value v;

                        if (x == NULL) {
                                /* words the parser could not take were meant as a string; a
                                 * number too large or a bracket left open was not */
                                const char *v0 = eq + 1 + strspn(eq + 1, " \t");

                                if (isalpha((unsigned char)*v0) || *v0 == '_')
                                        diag_error(L->d, at.file, at.line, at.col,
                                                   "%s: %s (a string needs quotes: %s%s=%s)", s,
                                                   e.msg, at.line ? "@set \"" : "--set ", name,
                                                   at.line ? "'text'\"" : "\"'text'\"");
                                else
                                        diag_error(L->d, at.file, at.line, at.col, "%s: %s", s,
                                                   e.msg);
                        } else {
                                /* Names here can only be other constants. */
                                diag scratch;

                                diag_init(&scratch, 1);
                                diag *saved = L->d;
                                L->d = &scratch;
                                int bad = expr_resolve(x, const_resolve, &c);
                                L->d = saved;
                                diag_free(&scratch);
                                if (bad > 0)
                                        diag_error(L->d, at.file, at.line, at.col,
                                                   "%s: only numbers, 'strings', lists and other "
                                                   "constants can be used (a string needs "
                                                   "quotes: %s%s=%s)",
                                                   s, at.line ? "@set \"" : "--set ", name,
                                                   at.line ? "'text'\"" : "\"'text'\"");
                                else if (expr_eval(x, &env, &v, &e) < 0)
                                        diag_error(L->d, at.file, at.line, at.col, "%s: %s", s,
                                                   e.msg);
                                else {
                                        value_drop(&sc->constants[idx].v);
                                        sc->constants[idx].v = v;
                                }
                        }
                        expr_free(x);
                        cJSON_Delete(tmp);
                }
                free(name);
        }
}

/* ---- resources --------------------------------------------------------------------------- */

static int res_type_of(const char *s)
{
        for (int t = 0; t < SC_RES_TYPE_COUNT; t++)
                if (strcmp(res_table[t].name, s) == 0)
                        return t;
        return -1;
}

static void read_init(loader *L, sc_resource *r, const cJSON *obj)
{
        const res_info *info = &res_table[r->type];
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, "value");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(obj, "size");
        value v;

        r->init = value_none();
        if (info->init == INIT_ARRAY) {
                if ((j == NULL) == (size == NULL)) {
                        err_value(L, j ? j : obj,
                                  "an array needs exactly one of \"value\" (its items) and "
                                  "\"size\" (that many zeros)");
                        return;
                }
                if (size != NULL) {
                        int64_t n;
                        char err[200];

                        if (eval_const_int(L, size, "\"size\"", 1, SC_MAX_ARRAY, &n) < 0)
                                return;
                        r->init = value_list();
                        for (int64_t k = 0; k < n; k++)
                                value_list_append(&r->init,
                                                  r->ctype == 'd' ? value_float(0) : value_int(0),
                                                  err, sizeof(err));
                        return;
                }
        }
        if (j == NULL) {
                if (info->init_required)
                        err_value(L, obj, "a %s needs \"value\": its initial contents", info->name);
                else if (info->init == INIT_LIST)
                        r->init = value_list();
                else if (info->init == INIT_DICT)
                        r->init = value_dict();
                else if (info->init == INIT_NUMBER)
                        r->init = r->ctype == 'd' ? value_float(0) : value_int(0);
                return;
        }
        if (eval_const(L, j, -1, &v) < 0)
                return;
        switch (info->init) {
        case INIT_LIST:
                if (v.type != VALUE_LIST) {
                        err_value(L, j, "a list's \"value\" must be a list, not %s",
                                  value_type_name(v.type));
                        value_drop(&v);
                        return;
                }
                break;
        case INIT_DICT:
                if (v.type != VALUE_DICT) {
                        err_value(L, j, "a dict's \"value\" must be a dict, not %s",
                                  value_type_name(v.type));
                        value_drop(&v);
                        return;
                }
                break;
        case INIT_NUMBER:
        case INIT_ARRAY: {
                /* Typed like multiprocessing: 'i' holds ints, 'd' holds floats. */
                bool is_list = info->init == INIT_ARRAY;
                size_t n = is_list ? value_len(v) : 1;
                value conv = is_list ? value_list() : value_none();
                char err[200];

                if (is_list && (v.type != VALUE_LIST || n == 0 || n > SC_MAX_ARRAY)) {
                        err_value(L, j, "an array's \"value\" must be a list of 1 to %d numbers",
                                  SC_MAX_ARRAY);
                        value_drop(&v);
                        value_drop(&conv);
                        return;
                }
                for (size_t k = 0; k < n; k++) {
                        value x = is_list ? value_at(v, k) : v, y;

                        if (x.type == VALUE_BOOL) /* a bool is an int, as in Python */
                                x = value_int(x.as.b);
                        if (r->ctype == 'i' && x.type == VALUE_INT)
                                y = value_int(value_c_int(x.as.i)); /* wraps, as ctypes */
                        else if (r->ctype == 'd' && x.type == VALUE_INT)
                                y = value_float((double)x.as.i);
                        else if (r->ctype == 'd' && x.type == VALUE_FLOAT)
                                y = x;
                        else {
                                err_value(L, j, "ctype '%c' holds %s, so %s cannot go in it",
                                          r->ctype,
                                          r->ctype == 'i' ? "ints (and bools)"
                                                          : "floats (ints and bools convert)",
                                          value_type_name(x.type));
                                value_drop(&v);
                                value_drop(&conv);
                                return;
                        }
                        if (is_list)
                                value_list_append(&conv, y, err, sizeof(err));
                        else
                                conv = y;
                }
                value_drop(&v);
                v = conv;
                break;
        }
        default: break;
        }
        r->init = v;
}

/* "ends": ["parent_conn", "child_conn"]: the names of a pipe's two ends, as Python's
 * `parent_conn, child_conn = Pipe()` names them; scripts and the screen use them for NAME.a and
 * NAME.b. Checked against the other resources once all are read (check_ends). */
static void read_ends(loader *L, sc_resource *r, const cJSON *j)
{
        const cJSON *e[2];

        if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2) {
                err_value(L, j,
                          "\"ends\" must be the names of the two ends, as Python's "
                          "`parent_conn, child_conn = Pipe()`: [\"parent_conn\", \"child_conn\"]");
                return;
        }
        e[0] = j->child;
        e[1] = j->child->next;
        for (int k = 0; k < 2; k++)
                if (!cJSON_IsString(e[k])) {
                        err_value(L, e[k], "a pipe end's name must be a string, not %s",
                                  jsonpos_type_name(e[k]));
                        return;
                }
        for (int k = 0; k < 2; k++)
                if (!check_name(L, e[k], e[k]->valuestring, false, "pipe end"))
                        return;
        if (strcmp(e[0]->valuestring, e[1]->valuestring) == 0) {
                err_value(L, e[1], "the two ends of '%s' need two names, not '%s' twice", r->name,
                          e[1]->valuestring);
                return;
        }
        for (int k = 0; k < 2; k++)
                r->ends[k] = xstrdup(e[k]->valuestring);
}

/* A pipe end's name is no other resource's, no constant's, and no other end's. */
static void check_ends(loader *L, const cJSON *obj)
{
        scenario *sc = L->sc;

        for (const cJSON *c = obj->child; c != NULL; c = c->next) {
                int k = scenario_find_resource(sc, c->string ? c->string : "");
                const cJSON *j = cJSON_GetObjectItemCaseSensitive(c, "ends");

                if (k < 0 || sc->resources[k].ends[0] == NULL || j == NULL)
                        continue;
                for (int e = 0; e < 2; e++) {
                        const char *name = sc->resources[k].ends[e];
                        const cJSON *at = e == 0 ? j->child : j->child->next;
                        int other, oe;

                        if (scenario_find_resource(sc, name) >= 0)
                                err_value(L, at,
                                          "'%s' is already a resource; a pipe end needs "
                                          "a name of its own",
                                          name);
                        else if (find_constant(sc, name) >= 0)
                                err_value(L, at,
                                          "'%s' is already a constant; a pipe end needs "
                                          "a name of its own",
                                          name);
                        else if ((other = scenario_find_pipe_end(sc, name, &oe)) != k)
                                err_value(L, at, "'%s' already names an end of pipe '%s'", name,
                                          sc->resources[other].name);
                }
        }
}

static void read_resource(loader *L, sc_resource *r, const cJSON *obj)
{
        const res_info *info = &res_table[r->type];
        const char *keys[12];
        size_t nk = 0;
        char what[64];
        const cJSON *j;

        keys[nk++] = "type";
        keys[nk++] = "note";
        if (info->count_key)
                keys[nk++] = info->count_key;
        if (info->init != INIT_NONE)
                keys[nk++] = "value";
        if (info->init == INIT_ARRAY)
                keys[nk++] = "size";
        if (info->has_lock)
                keys[nk++] = "lock";
        if (info->has_duplex) {
                keys[nk++] = "duplex";
                keys[nk++] = "ends";
        }
        if (info->has_via)
                keys[nk++] = "via";
        if (info->has_ctype)
                keys[nk++] = "ctype";
        snprintf(what, sizeof(what), "%s %s resource", strchr("aeiou", info->name[0]) ? "an" : "a",
                 info->name);
        check_keys(L, obj, keys, nk, what);

        r->note = get_string(L, obj, "note", false, 0, 200, what);
        r->lock = -1;
        r->gil_res = -1;
        r->pool = -1;
        r->duplex = true;
        r->count = info->count_defaults_to_cpus ? L->cpu_count : info->count_default;
        if (r->count > info->count_max && info->count_defaults_to_cpus)
                r->count = info->count_max;
        if (info->count_key) {
                j = cJSON_GetObjectItemCaseSensitive(obj, info->count_key);
                if (j != NULL) {
                        char label[32];

                        snprintf(label, sizeof(label), "\"%s\"", info->count_key);
                        eval_const_int(L, j, label, info->count_min, info->count_max, &r->count);
                } else if (info->count_required) {
                        err_value(L, obj, "a %s needs \"%s\"", info->name, info->count_key);
                }
        }
        if (info->has_ctype) {
                j = cJSON_GetObjectItemCaseSensitive(obj, "ctype");
                r->ctype = 'i';
                if (j == NULL)
                        err_value(L, obj, "a %s needs \"ctype\": \"i\" (int) or \"d\" (double)",
                                  info->name);
                else if (!cJSON_IsString(j) ||
                         (strcmp(j->valuestring, "i") != 0 && strcmp(j->valuestring, "d") != 0))
                        err_value(L, j, "\"ctype\" must be \"i\" (int) or \"d\" (double)");
                else
                        r->ctype = j->valuestring[0];
        }
        if (info->has_duplex && (j = cJSON_GetObjectItemCaseSensitive(obj, "duplex")) != NULL) {
                if (!cJSON_IsBool(j))
                        err_value(L, j, "\"duplex\" must be true or false");
                else
                        r->duplex = cJSON_IsTrue(j);
        }
        if (info->has_duplex && (j = cJSON_GetObjectItemCaseSensitive(obj, "ends")) != NULL)
                read_ends(L, r, j);
        if (info->has_via && (j = cJSON_GetObjectItemCaseSensitive(obj, "via")) != NULL) {
                if (!cJSON_IsString(j) || strcmp(j->valuestring, "manager") != 0)
                        err_value(L, j,
                                  "\"via\" can only be \"manager\" (leave it out for plain "
                                  "memory)");
                else
                        r->via_manager = true;
        }
        if (info->init != INIT_NONE)
                read_init(L, r, obj);
        else
                r->init = value_none();
}

/* Conditions name their lock, which may come later in the file: a second pass. */
static void link_condition(loader *L, sc_resource *r, const cJSON *obj)
{
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, "lock");
        int k;

        if (j == NULL)
                return;
        if (!cJSON_IsString(j)) {
                err_value(L, j, "\"lock\" must name a lock or rlock resource");
                return;
        }
        k = scenario_find_resource(L->sc, j->valuestring);
        if (k < 0 ||
            (L->sc->resources[k].type != SC_LOCK && L->sc->resources[k].type != SC_RLOCK)) {
                err_value(L, j,
                          "a condition's \"lock\" must name a lock or rlock resource; "
                          "'%.64s' is %s%s",
                          j->valuestring,
                          k < 0 ? "not a resource"
                                : article(res_table[L->sc->resources[k].type].name),
                          k < 0 ? "" : res_table[L->sc->resources[k].type].name);
                return;
        }
        r->lock = k;
}

static void read_resources(loader *L, const cJSON *obj)
{
        scenario *sc = L->sc;
        int64_t workers = 0;
        int n;

        if (obj == NULL) {
                sc->resources = xcalloc(1, sizeof(sc_resource));
                return;
        }
        if (!cJSON_IsObject(obj)) {
                err_value(L, obj,
                          "\"resources\" must be an object of NAME: {\"type\": ...}, not %s",
                          jsonpos_type_name(obj));
                sc->resources = xcalloc(1, sizeof(sc_resource));
                return;
        }
        n = cJSON_GetArraySize(obj);
        if (n > SC_MAX_RESOURCES) {
                err_value(L, obj, "too many resources: %d (at most %d)", n, SC_MAX_RESOURCES);
                n = 0;
        }
        sc->resources = xcalloc((size_t)n + 1, sizeof(sc_resource));
        for (const cJSON *c = obj->child; c != NULL && sc->nresources < n; c = c->next) {
                const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
                sc_resource *r;
                int t;

                if (!check_name(L, c, c->string, true, "resource"))
                        continue;
                if (find_constant(sc, c->string) >= 0) {
                        err_key(L, c, "'%s' is already a constant; a resource needs its own name",
                                c->string);
                        continue;
                }
                if (!cJSON_IsObject(c)) {
                        err_value(L, c,
                                  "resource '%s' must be an object such as {\"type\": "
                                  "\"lock\"}, not %s",
                                  c->string, jsonpos_type_name(c));
                        continue;
                }
                if (type == NULL) {
                        err_value(L, c,
                                  "resource '%s' needs \"type\" (lock, rlock, semaphore, "
                                  "bounded_semaphore, event, condition, barrier, var, list, "
                                  "dict, value, array, queue, pipe or pool)",
                                  c->string);
                        continue;
                }
                if (!cJSON_IsString(type) || (t = res_type_of(type->valuestring)) < 0) {
                        strbuf sb = STRBUF_INIT;
                        const char *names[SC_RES_TYPE_COUNT];

                        for (int k = 0; k < SC_RES_TYPE_COUNT; k++)
                                names[k] = res_table[k].name;
                        if (cJSON_IsString(type)) {
                                strbuf_printf(&sb, "unknown resource type '%.64s'",
                                              type->valuestring);
                                if (diag_suggest(type->valuestring, names, SC_RES_TYPE_COUNT))
                                        suggest(&sb, type->valuestring, names, SC_RES_TYPE_COUNT);
                                else {
                                        strbuf_puts(&sb, " (one of: ");
                                        list_words(&sb, names, SC_RES_TYPE_COUNT);
                                        strbuf_puts(&sb, ")");
                                }
                        } else {
                                strbuf_puts(&sb, "\"type\" must be a string such as \"lock\"");
                        }
                        err_value(L, type, "%s", strbuf_str(&sb));
                        strbuf_free(&sb);
                        continue;
                }
                r = &sc->resources[sc->nresources++];
                r->name = xstrdup(c->string);
                r->type = (sc_res_type)t;
                jsonpos_key(L->pos, c, &r->line, &r->col);
                read_resource(L, r, c);
                /* the pools' workers together, as the process actors are counted: 128 pools of
                 * 16 made 2,048 processes */
                if (r->type == SC_POOL && (workers += r->count) > SC_MAX_POOL_WORKERS &&
                    workers - r->count <= SC_MAX_POOL_WORKERS)
                        err_value(L, c,
                                  "too many pool workers: %lld with pool '%s' (at most %d in all "
                                  "the pools)",
                                  (long long)workers, r->name, SC_MAX_POOL_WORKERS);
        }
        for (const cJSON *c = obj->child; c != NULL; c = c->next) {
                int k = scenario_find_resource(sc, c->string ? c->string : "");

                if (k >= 0 && sc->resources[k].type == SC_CONDITION)
                        link_condition(L, &sc->resources[k], c);
        }
        check_ends(L, obj);
}

/* "gil": true or false, a switch interval (steps), or a load-time expression giving either
 * (so that --set can turn it off to compare). The GIL becomes a lock resource named GIL, so the
 * model shows who holds it and who waits for it like any other lock. */
static void read_gil(loader *L, const cJSON *j)
{
        scenario *sc = L->sc;
        int64_t interval = 0;

        sc->gil_res = -1;
        if (j == NULL)
                return;
        if (cJSON_IsBool(j)) {
                interval = cJSON_IsTrue(j) ? SC_GIL_INTERVAL : 0;
        } else {
                value v;

                if (eval_const(L, j, -1, &v) < 0)
                        return;
                if (v.type == VALUE_BOOL)
                        interval = v.as.b ? SC_GIL_INTERVAL : 0;
                else if (v.type == VALUE_INT && v.as.i >= 0 && v.as.i <= SC_MAX_GIL_INTERVAL)
                        interval = v.as.i;
                else {
                        err_value(L, j,
                                  "\"gil\" must be true, false or a switch interval of 0 to "
                                  "%d steps",
                                  SC_MAX_GIL_INTERVAL);
                        value_drop(&v);
                        return;
                }
        }
        if (interval == 0)
                return;
        if (scenario_find_resource(sc, "GIL") >= 0) {
                err_value(L, j,
                          "with \"gil\", the name GIL belongs to the simulated interpreter "
                          "lock: rename the resource called GIL");
                return;
        }
        if (sc->nresources >= SC_MAX_RESOURCES) {
                err_value(L, j, "too many resources to add the GIL (at most %d)", SC_MAX_RESOURCES);
                return;
        }
        sc->resources = xrealloc(sc->resources, sizeof(sc_resource) * (size_t)(sc->nresources + 1));
        sc->resources[sc->nresources] = (sc_resource){
                .name = xstrdup("GIL"),
                .type = SC_LOCK,
                .note = xstrdup("the simulated global interpreter lock"),
                .lock = -1,
                .gil_res = -1,
                .pool = -1,
                .init = value_none(),
        };
        jsonpos_value(L->pos, j, &sc->resources[sc->nresources].line,
                      &sc->resources[sc->nresources].col);
        sc->gil_res = sc->nresources++;
        sc->gil = true;
        sc->gil_interval = (int)interval;
}

/* With "gil", every process actor gets a GIL of its own, as each CPython process has its own
 * interpreter: a lock resource "GIL@NAME" (not a name a scenario can spell), taken by the threads
 * of that process only. Added after the actors, so no statement can name one. */
static void add_process_gils(loader *L, const cJSON *at)
{
        scenario *sc = L->sc;

        for (int k = 0; k < sc->nactors; k++) {
                strbuf name = { 0 };

                sc->actors[k].gil_res = -1;
                if (!sc->gil || sc->actors[k].kind != SC_PROCESS)
                        continue;
                if (sc->nresources >= SC_MAX_RESOURCES) {
                        err_value(L, at,
                                  "too many resources to add a GIL for each process (at most %d)",
                                  SC_MAX_RESOURCES);
                        return;
                }
                strbuf_printf(&name, "GIL@%s", sc->actors[k].name);
                sc->resources =
                    xrealloc(sc->resources, sizeof(sc_resource) * (size_t)(sc->nresources + 1));
                sc->resources[sc->nresources] = (sc_resource){
                        .name = strbuf_detach(&name),
                        .type = SC_LOCK,
                        .note = xstrdup("the simulated global interpreter lock of this process"),
                        .lock = -1,
                        .gil_res = -1,
                        .pool = -1,
                        .init = value_none(),
                        .line = sc->resources[sc->gil_res].line,
                        .col = sc->resources[sc->gil_res].col,
                };
                sc->actors[k].gil_res = sc->nresources++;
        }
}

/* With "gil", each worker process of a pool has its own GIL too: "GIL@POOL/W" for worker W, the
 * pool's GILs in a row (sc_resource.gil_res). Its number of workers is known now: "workers" is
 * a load-time value (cpu_count() at load when it is not given). Only an actor's name can spell
 * such a name ("GIL@" + a process actor named "pool/0"): that clash is refused. */
static void add_pool_gils(loader *L, const cJSON *at)
{
        scenario *sc = L->sc;
        int n = sc->nresources;

        for (int p = 0; p < n && sc->gil; p++) {
                if (sc->resources[p].type != SC_POOL)
                        continue;
                if (sc->nresources + sc->resources[p].count > SC_MAX_RESOURCES) {
                        err_value(L, at,
                                  "too many resources to add a GIL for each worker of pool '%s' "
                                  "(at most %d)",
                                  sc->resources[p].name, SC_MAX_RESOURCES);
                        return;
                }
                sc->resources[p].gil_res = sc->nresources;
                for (int w = 0; w < sc->resources[p].count; w++) {
                        strbuf name = { 0 };

                        strbuf_printf(&name, "GIL@%s/%d", sc->resources[p].name, w);
                        if (scenario_find_resource(sc, strbuf_str(&name)) >= 0) {
                                err_value(L, at,
                                          "with \"gil\", %s is the GIL of worker %d of pool '%s': "
                                          "rename the process actor called %s",
                                          strbuf_str(&name), w, sc->resources[p].name,
                                          strbuf_str(&name) + 4);
                                strbuf_free(&name);
                                return;
                        }
                        sc->resources = xrealloc(sc->resources, sizeof(sc_resource) *
                                                                    (size_t)(sc->nresources + 1));
                        sc->resources[sc->nresources++] = (sc_resource){
                                .name = strbuf_detach(&name),
                                .type = SC_LOCK,
                                .note = xstrdup("the simulated global interpreter lock of this "
                                                "worker's process"),
                                .lock = -1,
                                .gil_res = -1,
                                .pool = p,
                                .init = value_none(),
                                .line = sc->resources[sc->gil_res].line,
                                .col = sc->resources[sc->gil_res].col,
                        };
                }
        }
}

/* ---- scripts: pass one, statements ------------------------------------------------------- */

static int local_slot(loader *L, const char *name)
{
        sc_script *s = L->script->script;

        for (int k = 0; k < s->nlocals; k++)
                if (strcmp(s->locals[k], name) == 0)
                        return k;
        if (s->nlocals >= SC_MAX_LOCALS)
                return -1;
        s->locals =
            xgrow(s->locals, &L->script->cap_locals, (size_t)s->nlocals + 1, sizeof(char *));
        s->locals[s->nlocals] = xstrdup(name);
        return s->nlocals++;
}

/* Declares the local named at ITEM (a let, into, as or for); returns its slot or -1. */
static int declare_local(loader *L, const cJSON *item, const char *what)
{
        const char *name;
        int slot;

        if (!cJSON_IsString(item)) {
                err_value(L, item, "%s must name a local variable, not be %s", what,
                          jsonpos_type_name(item));
                return -1;
        }
        name = item->valuestring;
        if (!check_name(L, item, name, false, "local"))
                return -1;
        if (scenario_find_resource(L->sc, name) >= 0) {
                err_value(L, item,
                          "'%s' is a resource; a local needs another name (to change the "
                          "resource, use store)",
                          name);
                return -1;
        }
        if (find_constant(L->sc, name) >= 0) {
                err_value(L, item, "'%s' is a constant; a local needs another name", name);
                return -1;
        }
        slot = local_slot(L, name);
        if (slot < 0)
                err_value(L, item, "too many locals in one script (at most %d)", SC_MAX_LOCALS);
        return slot;
}

static void add_pending(loader *L, expr *e, expr_template *t, const cJSON *item)
{
        script_ctx *s = L->script;
        sc_where *w;

        s->pend = xgrow(s->pend, &s->cap_pend, s->npend + 1, sizeof(pending));
        s->pend[s->npend++] = (pending){ .e = e, .t = t, .item = item };
        /* Kept for the run: a run-time error in it says where it is. */
        L->sc->wheres =
            xgrow(L->sc->wheres, &L->cap_wheres, (size_t)L->sc->nwheres + 1, sizeof(sc_where));
        w = &L->sc->wheres[L->sc->nwheres++];
        w->what = e != NULL ? (const void *)e : (const void *)t;
        jsonpos_value(L->pos, item, &w->line, &w->col);
}

static int where_cmp(const void *x, const void *y)
{
        uintptr_t a = (uintptr_t)((const sc_where *)x)->what;
        uintptr_t b = (uintptr_t)((const sc_where *)y)->what;

        return a < b ? -1 : a > b;
}

/* Checks a JSON literal given where an expression goes; reports and returns false if wrong. */
static bool check_literal(loader *L, const cJSON *item, lit_kind lit, const char *what)
{
        /* an int is written as one, as in Python (1e3 is a float); never through a cast of the
         * double: 9223372036854775807 is 2**63 as a double, and casting that to int64_t is
         * undefined (the exact value is read from the text, literal_value) */
        size_t rawlen = 0;
        const char *raw = cJSON_IsNumber(item) ? jsonpos_raw(L->pos, item, &rawlen) : NULL;
        bool is_int = raw != NULL && rawlen > 0 && memchr(raw, '.', rawlen) == NULL &&
                      memchr(raw, 'e', rawlen) == NULL && memchr(raw, 'E', rawlen) == NULL;
        const char *want = NULL;

        if (cJSON_IsString(item))
                return true;
        switch (lit) {
        case LIT_ANY: return true;
        case LIT_SECONDS:
                if (!cJSON_IsNumber(item) || item->valuedouble < 0)
                        want = "a number of at least 0";
                break;
        case LIT_TIMEOUT:
                if (!cJSON_IsNull(item) && (!cJSON_IsNumber(item) || item->valuedouble < 0))
                        want = "a number of at least 0, or null (no timeout)";
                break;
        case LIT_COUNT:
                if (!is_int || item->valuedouble < 0)
                        want = "an integer of at least 0";
                break;
        case LIT_INT:
                if (!is_int)
                        want = "an integer";
                break;
        case LIT_POSITIVE:
                if (!is_int || item->valuedouble < 1)
                        want = "an integer of at least 1";
                break;
        case LIT_SEQ:
                if (!cJSON_IsArray(item))
                        want = "a list such as [1, 2, 3] or an expression such as \"range(10)\"";
                break;
        case LIT_EXPR: want = "an expression string such as \"lambda x: x * x\""; break;
        }
        if (want == NULL)
                return true;
        if (raw != NULL) {
                err_value(L, item, "\"%s\" must be %s, not %.*s", what, want, (int)rawlen, raw);
        } else {
                err_value(L, item, "\"%s\" must be %s, not %s", what, want,
                          jsonpos_type_name(item));
        }
        return false;
}

static expr *script_expr(loader *L, const cJSON *item)
{
        expr *e = parse_expr(L, item);

        if (e != NULL)
                add_pending(L, e, NULL, item);
        return e;
}

static expr_template *script_template(loader *L, const cJSON *item, const char *what)
{
        expr_template *t = parse_template(L, item, what);

        if (t != NULL)
                add_pending(L, NULL, t, item);
        return t;
}

static void read_block(loader *L, const cJSON *arr, sc_block *out, const char *what);

/* "NAME.get_lock()": the lock of Value or Array NAME, as multiprocessing gives each one (an RLock,
 * its default). Made the first time a statement names it, as a resource of that name (which no
 * declared resource can have); -1 when NAME is not a Value or an Array. */
static int value_lock(loader *L, const cJSON *kw)
{
        scenario *sc = L->sc;
        const char *name = kw->valuestring, *suffix = ".get_lock()";
        size_t n = strlen(name), ns = strlen(suffix);
        char *base;
        int k;

        if (n <= ns || strcmp(name + n - ns, suffix) != 0)
                return -1;
        base = xstrndup(name, n - ns);
        k = scenario_find_resource(sc, base);
        free(base);
        if (k < 0 || (sc->resources[k].type != SC_VALUE && sc->resources[k].type != SC_ARRAY))
                return -1;
        if (sc->nresources >= SC_MAX_RESOURCES) {
                err_value(L, kw, "too many resources to add the lock of '%.*s' (at most %d)",
                          (int)(n - ns), name, SC_MAX_RESOURCES);
                return -1;
        }
        sc->resources = xrealloc(sc->resources, sizeof(sc_resource) * (size_t)(sc->nresources + 1));
        sc->resources[sc->nresources] = (sc_resource){
                .name = xstrdup(name),
                .type = SC_RLOCK,
                .note = xstrdup("the Value's own lock: an RLock, as multiprocessing's default"),
                .lock = -1,
                .gil_res = -1,
                .pool = -1,
                .init = value_none(),
                .line = sc->resources[k].line,
                .col = sc->resources[k].col,
        };
        return sc->nresources++;
}

/* Whether NAME ends in SUFFIX and what comes before it names a Value or an Array: NAME is then a
 * way of naming its own lock that misses (NAME.get_lock without the call, or NAME itself). */
static bool value_named(const scenario *sc, const char *name, const char *suffix)
{
        size_t n = strlen(name), ns = strlen(suffix);
        char *base;
        int k;

        if (n <= ns || strcmp(name + n - ns, suffix) != 0)
                return false;
        base = xstrndup(name, n - ns);
        k = scenario_find_resource(sc, base);
        free(base);
        return k >= 0 && (sc->resources[k].type == SC_VALUE || sc->resources[k].type == SC_ARRAY);
}

static void read_target(loader *L, sc_stmt *s, const stmt_info *info, const cJSON *kw)
{
        scenario *sc = L->sc;

        switch (info->target) {
        case T_RES: {
                int k;

                if (!cJSON_IsString(kw)) {
                        err_value(L, kw, "'%s' must name a resource, not be %s", info->keyword,
                                  jsonpos_type_name(kw));
                        return;
                }
                k = scenario_find_resource(sc, kw->valuestring);
                if (k < 0 && (info->res_mask & BIT(SC_RLOCK)))
                        k = value_lock(L, kw);
                if (k < 0) {
                        strbuf sb = STRBUF_INIT;
                        const char **names = xcalloc((size_t)sc->nresources + 1, sizeof(char *));

                        for (int r = 0; r < sc->nresources; r++)
                                if (info->res_mask & BIT(sc->resources[r].type))
                                        names[r] = sc->resources[r].name;
                        strbuf_printf(&sb, "no resource named '%.64s'", kw->valuestring);
                        if ((info->res_mask & BIT(SC_RLOCK)) &&
                            value_named(sc, kw->valuestring, ".get_lock"))
                                strbuf_printf(&sb, "; did you mean '%.64s()'?", kw->valuestring);
                        else
                                suggest(&sb, kw->valuestring, names, (size_t)sc->nresources);
                        /* append/pop on a local list, as Python allows: say where they work */
                        if (info->res_mask == BIT(SC_LIST) &&
                            strstr(strbuf_str(&sb), "?") == NULL) {
                                strbuf_printf(&sb,
                                              " ('%s' works on a list declared under "
                                              "\"resources\"",
                                              info->keyword);
                                if (s->kind == SC_APPEND)
                                        strbuf_printf(&sb,
                                                      "; a local list grows by let: { \"let\": "
                                                      "\"%.64s\", \"value\": \"%.64s + [item]\" }",
                                                      kw->valuestring, kw->valuestring);
                                strbuf_printf(&sb, ")");
                        }
                        err_value(L, kw, "%s", strbuf_str(&sb));
                        strbuf_free(&sb);
                        free(names);
                        return;
                }
                if (!(info->res_mask & BIT(sc->resources[k].type))) {
                        strbuf sb = STRBUF_INIT;
                        int first = 1;

                        strbuf_printf(&sb, "'%s' works on ", info->keyword);
                        for (int t = 0; t < SC_RES_TYPE_COUNT; t++)
                                if (info->res_mask & BIT(t)) {
                                        strbuf_printf(&sb, "%s%s", first ? "" : ", ",
                                                      res_table[t].name);
                                        first = 0;
                                }
                        strbuf_printf(
                            &sb, ", but '%s' is a%s %s", kw->valuestring,
                            strchr("aeiou", res_table[sc->resources[k].type].name[0]) ? "n" : "",
                            res_table[sc->resources[k].type].name);
                        if ((info->res_mask & BIT(SC_RLOCK)) &&
                            value_named(sc, kw->valuestring, ""))
                                strbuf_printf(&sb, "; its own lock is '%.64s.get_lock()'",
                                              kw->valuestring);
                        err_value(L, kw, "%s", strbuf_str(&sb));
                        strbuf_free(&sb);
                        return;
                }
                s->res = k;
                return;
        }
        case T_PIPE_END: {
                const char *dot;
                char *name;
                int k, end = 0;

                /* an end named by its pipe's "ends" */
                if (cJSON_IsString(kw) &&
                    (k = scenario_find_pipe_end(sc, kw->valuestring, &end)) >= 0) {
                        name = xstrdup(sc->resources[k].name);
                } else if (!cJSON_IsString(kw) || (dot = strrchr(kw->valuestring, '.')) == NULL ||
                           (strcmp(dot, ".a") != 0 && strcmp(dot, ".b") != 0)) {
                        err_value(L, kw,
                                  "'%s' needs a pipe end: \"PIPE.a\" or \"PIPE.b\", or a name "
                                  "a pipe's \"ends\" gives",
                                  info->keyword);
                        return;
                } else {
                        name = xstrndup(kw->valuestring, (size_t)(dot - kw->valuestring));
                        k = scenario_find_resource(sc, name);
                        end = dot[1] == 'b';
                }
                if (k < 0 || sc->resources[k].type != SC_PIPE) {
                        err_value(L, kw, "'%s' is not a pipe resource", name);
                } else {
                        char ea[SC_MAX_NAME + 3], eb[SC_MAX_NAME + 3];
                        const sc_resource *pr = &sc->resources[k];

                        s->res = k;
                        s->end = end;
                        /* Pipe(duplex=False) gives (receive end, send end), as in Python. */
                        if (!pr->duplex && s->kind == SC_SEND && s->end == 0)
                                err_value(L, kw, "'%s' is not duplex: %s only receives; send on %s",
                                          name, scenario_pipe_end_name(pr, 0, ea),
                                          scenario_pipe_end_name(pr, 1, eb));
                        if (!pr->duplex && s->kind == SC_RECV && s->end == 1)
                                err_value(L, kw, "'%s' is not duplex: %s only sends; receive on %s",
                                          name, scenario_pipe_end_name(pr, 1, eb),
                                          scenario_pipe_end_name(pr, 0, ea));
                }
                free(name);
                return;
        }
        case T_ACTOR:
                if (!cJSON_IsString(kw))
                        err_value(L, kw, "'%s' must name an actor or a group", info->keyword);
                /* resolved once every actor is known: see resolve_targets */
                return;
        case T_EXPR:
                if (check_literal(L, kw, info->lit, info->keyword))
                        s->value = script_expr(L, kw);
                return;
        case T_TEXT: s->text = script_template(L, kw, "the text to print"); return;
        case T_LOCAL: s->local = declare_local(L, kw, info->keyword); return;
        case T_LVALUE: {
                const char *name;
                int32_t ref;
                const expr *index;

                if (!cJSON_IsString(kw)) {
                        err_value(L, kw,
                                  "'store' needs a target such as \"counter\", "
                                  "\"arr[i]\" or \"d['k']\"");
                        return;
                }
                s->lvalue = parse_expr(L, kw);
                if (s->lvalue == NULL)
                        return;
                if (!expr_lvalue(s->lvalue, &name, &ref, &index)) {
                        if (strstr(kw->valuestring, "][") != NULL)
                                err_value(L, kw,
                                          "'store' takes one index at most (\"d['k']\"): to "
                                          "change an item inside an item, let a local take the "
                                          "outer item, change the local, and store it back");
                        else
                                err_value(L, kw,
                                          "'store' needs a target such as \"counter\", "
                                          "\"arr[i]\" or \"d['k']\", not an expression");
                        expr_free(s->lvalue);
                        s->lvalue = NULL;
                        return;
                }
                if (find_constant(sc, name) >= 0) {
                        err_value(L, kw, "'%s' is a constant and cannot be changed", name);
                } else if (scenario_find_resource(sc, name) < 0) {
                        if (index == NULL)
                                declare_local(L, kw, "store");
                } else {
                        int k = scenario_find_resource(sc, name);

                        if (!(READABLE & BIT(sc->resources[k].type)))
                                err_value(L, kw,
                                          "'%s' is %s%s: only a var, list, dict, value "
                                          "or array can be stored into",
                                          name, article(res_table[sc->resources[k].type].name),
                                          res_table[sc->resources[k].type].name);
                        else if (index == NULL && sc->resources[k].type == SC_ARRAY)
                                err_value(L, kw, "store into one item of an array: \"%s[i]\"",
                                          name);
                }
                add_pending(L, s->lvalue, NULL, kw);
                return;
        }
        case T_TRUE:
                if (!cJSON_IsTrue(kw))
                        err_value(L, kw, "write a break as {\"break\": true}");
                if (L->script->loop_depth == 0)
                        err_value(L, kw,
                                  "'break' outside a loop: it must be inside while, "
                                  "repeat or for");
                return;
        case T_CRASH:
                for (size_t k = 0; k < 3; k++)
                        if (cJSON_IsString(kw) && strcmp(kw->valuestring, crash_names[k]) == 0) {
                                s->crash = (int)k;
                                return;
                        }
                err_value(L, kw, "'crash' must be \"segfault\", \"abort\" or \"exit\"");
                return;
        }
}

static void read_field(loader *L, sc_stmt *s, const field *f, const cJSON *j, bool loop)
{
        void *at = (char *)s + f->off;

        switch (f->kind) {
        case F_EXPR:
                if (check_literal(L, j, f->lit, f->key))
                        *(expr **)at = script_expr(L, j);
                break;
        case F_TEXT: *(expr_template **)at = script_template(L, j, f->key); break;
        case F_BLOCK:
                if (loop)
                        L->script->loop_depth++;
                read_block(L, j, (sc_block *)at, f->key);
                if (loop)
                        L->script->loop_depth--;
                break;
        case F_LOCAL: *(int32_t *)at = declare_local(L, j, f->key); break;
        case F_BOOL:
                if (!cJSON_IsBool(j))
                        err_value(L, j, "\"%s\" must be true or false", f->key);
                else
                        *(bool *)at = cJSON_IsTrue(j);
                break;
        case F_INT:
                if (!cJSON_IsNumber(j) || !(j->valuedouble >= 0 && j->valuedouble <= 255) ||
                    j->valuedouble != floor(j->valuedouble))
                        err_value(L, j, "\"%s\" must be an integer from 0 to 255", f->key);
                else
                        *(int *)at = j->valueint;
                break;
        }
}

static int stmt_kind_of(const char *key)
{
        for (int k = 0; k < SC_STMT_KIND_COUNT; k++)
                if (strcmp(stmt_table[k].keyword, key) == 0)
                        return k;
        return -1;
}

static void read_stmt(loader *L, const cJSON *obj, sc_stmt *s)
{
        const cJSON *kw = NULL;
        const stmt_info *info;
        const char *keys[MAX_FIELDS + 2];
        size_t nk = 0;
        char what[64];
        int kind = -1;

        s->res = -1;
        s->local = -1;
        s->blocking = true;
        s->id = L->sc->nstmts++;
        jsonpos_value(L->pos, obj, &s->line, &s->col);
        if (!cJSON_IsObject(obj)) {
                err_value(L, obj,
                          "a statement must be an object such as {\"print\": \"hi\"}, not "
                          "%s",
                          jsonpos_type_name(obj));
                s->kind = SC_BREAK;
                return;
        }
        bool several = false;

        for (const cJSON *c = obj->child; c != NULL; c = c->next) {
                int k = stmt_kind_of(c->string);

                if (k < 0)
                        continue;
                if (kw != NULL) {
                        several = true;
                        err_key(L, c,
                                "a statement has one keyword, but this one has both '%s' "
                                "and '%s': split it into two statements",
                                kw->string, c->string);
                        continue;
                }
                kw = c;
                kind = k;
        }
        if (kw == NULL) {
                strbuf sb = STRBUF_INIT;
                const char *names[SC_STMT_KIND_COUNT];
                const cJSON *first = obj->child;

                for (int k = 0; k < SC_STMT_KIND_COUNT; k++)
                        names[k] = stmt_table[k].keyword;
                while (first != NULL && strcmp(first->string, "say") == 0)
                        first = first->next;
                if (first != NULL) {
                        strbuf_printf(&sb, "unknown statement '%s'", first->string);
                        if (strcmp(first->string, "try") == 0 ||
                            strcmp(first->string, "except") == 0 ||
                            strcmp(first->string, "finally") == 0 ||
                            strcmp(first->string, "raise") == 0)
                                strbuf_puts(&sb,
                                            " (a scenario has no try, except, finally or raise: "
                                            "an error ends its actor, as an uncaught "
                                            "exception ends a Python thread; \"assert\" "
                                            "raises one)");
                        else if (diag_suggest(first->string, names, SC_STMT_KIND_COUNT))
                                suggest(&sb, first->string, names, SC_STMT_KIND_COUNT);
                        else
                                strbuf_puts(&sb, " (see docs/scenario-format.md for the list)");
                        err_key(L, first, "%s", strbuf_str(&sb));
                } else {
                        err_value(L, obj,
                                  "a statement needs a keyword such as \"print\", "
                                  "\"acquire\" or \"sleep\"");
                }
                strbuf_free(&sb);
                s->kind = SC_BREAK;
                return;
        }
        s->kind = (sc_stmt_kind)kind;
        info = &stmt_table[kind];
        jsonpos_key(L->pos, kw, &s->line, &s->col);
        keys[nk++] = info->keyword;
        keys[nk++] = "say";
        for (int f = 0; f < MAX_FIELDS && info->fields[f].key; f++)
                keys[nk++] = info->fields[f].key;
        snprintf(what, sizeof(what), "%s'%s' statement", article(info->keyword), info->keyword);
        if (!several) /* the extra keyword was reported already */
                check_keys(L, obj, keys, nk, what);

        read_target(L, s, info, kw);
        for (int f = 0; f < MAX_FIELDS && info->fields[f].key; f++) {
                const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, info->fields[f].key);

                if (j != NULL)
                        read_field(L, s, &info->fields[f], j, info->loop);
                else if (info->fields[f].required)
                        err_key(L, kw, "'%s' needs \"%s\"", info->keyword, info->fields[f].key);
        }
        /* acquire(blocking=False, timeout=T) is Python's ValueError; null is no timeout */
        if (kind == SC_ACQUIRE && !s->blocking &&
            cJSON_GetObjectItemCaseSensitive(obj, "timeout") != NULL &&
            !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "timeout")))
                err_key(L, cJSON_GetObjectItemCaseSensitive(obj, "timeout"),
                        "a non-blocking acquire takes no \"timeout\" (Python: ValueError: "
                        "can't specify a timeout for a non-blocking call): drop one of them");
        if (kind == SC_CRASH && s->crash != SC_CRASH_EXIT &&
            cJSON_GetObjectItemCaseSensitive(obj, "code") != NULL)
                err_key(L, cJSON_GetObjectItemCaseSensitive(obj, "code"),
                        "\"code\" goes only with {\"crash\": \"exit\"}");
        {
                const cJSON *say = cJSON_GetObjectItemCaseSensitive(obj, "say");

                if (say != NULL)
                        s->say = script_template(L, say, "say");
        }
}

static void read_block(loader *L, const cJSON *arr, sc_block *out, const char *what)
{
        int n, k = 0;

        out->n = 0;
        out->stmts = NULL;
        if (!cJSON_IsArray(arr)) {
                err_value(L, arr, "\"%s\" must be an array of statements, not %s", what,
                          jsonpos_type_name(arr));
                return;
        }
        n = cJSON_GetArraySize(arr);
        if (n > SC_MAX_BLOCK) {
                err_value(L, arr, "too many statements in one block: %d (at most %d)", n,
                          SC_MAX_BLOCK);
                return;
        }
        if (L->sc->nstmts + n > SC_MAX_STATEMENTS) {
                err_value(L, arr, "too many statements in the file (at most %d)",
                          SC_MAX_STATEMENTS);
                return;
        }
        out->stmts = xcalloc((size_t)n + 1, sizeof(sc_stmt));
        for (const cJSON *c = arr->child; c != NULL; c = c->next)
                read_stmt(L, c, &out->stmts[k++]);
        out->n = k;
}

/* ---- scripts: pass two, names ------------------------------------------------------------ */

typedef struct name_ctx {
        loader *L;
        const cJSON *item;
        int bad;
} name_ctx;

static int script_resolve(void *ctx, const char *name, int offset, int32_t *ref)
{
        name_ctx *c = ctx;
        loader *L = c->L;
        scenario *sc = L->sc;
        sc_script *s = L->script->script;
        int k;

        for (k = 0; k < s->nlocals; k++)
                if (strcmp(s->locals[k], name) == 0) {
                        *ref = SC_REF(SC_REF_LOCAL, k);
                        return 0;
                }
        if ((k = find_constant(sc, name)) >= 0) {
                *ref = SC_REF(SC_REF_CONST, k);
                return 0;
        }
        if ((k = scenario_find_resource(sc, name)) >= 0) {
                if (READABLE & BIT(sc->resources[k].type)) {
                        *ref = SC_REF(SC_REF_RES, k);
                        return 0;
                }
                err_in(L, c->item, offset,
                       "'%s' is %s%s: only a var, list, dict, value or array can be read in an "
                       "expression",
                       name, article(res_table[sc->resources[k].type].name),
                       res_table[sc->resources[k].type].name);
                c->bad++;
                return -1;
        }
        if (strcmp(name, "name") == 0) {
                *ref = SC_REF(SC_REF_NAME, 0);
                return 0;
        }
        if (strcmp(name, "i") == 0 && !L->script->is_main) {
                *ref = SC_REF(SC_REF_I, 0);
                return 0;
        }
        {
                strbuf sb = STRBUF_INIT;
                size_t n = (size_t)(s->nlocals + sc->nconstants + sc->nresources) + 2, m = 0;
                const char **names = xcalloc(n, sizeof(char *));

                for (k = 0; k < s->nlocals; k++)
                        names[m++] = s->locals[k];
                for (k = 0; k < sc->nconstants; k++)
                        names[m++] = sc->constants[k].name;
                for (k = 0; k < sc->nresources; k++)
                        if (READABLE & BIT(sc->resources[k].type))
                                names[m++] = sc->resources[k].name;
                names[m++] = "name";
                if (!L->script->is_main)
                        names[m++] = "i";
                if (strcmp(name, "i") == 0) {
                        strbuf_puts(&sb, "'i' is an actor's index and main has none");
                } else {
                        size_t before;

                        strbuf_printf(&sb, "name '%s' is not defined", name);
                        before = sb.len;
                        suggest(&sb, name, names, m);
                        hint_quotes(&sb, before, c->item, name);
                }
                err_in(L, c->item, offset, "%s", strbuf_str(&sb));
                strbuf_free(&sb);
                free(names);
        }
        c->bad++;
        return -1;
}

static void resolve_script(loader *L)
{
        script_ctx *s = L->script;

        for (size_t k = 0; k < s->npend; k++) {
                name_ctx c = { .L = L, .item = s->pend[k].item };

                if (s->pend[k].e != NULL)
                        expr_resolve(s->pend[k].e, script_resolve, &c);
                else
                        expr_template_resolve(s->pend[k].t, script_resolve, &c);
        }
        free(s->pend);
        s->pend = NULL;
        s->npend = s->cap_pend = 0;
}

static void read_script(loader *L, sc_script *out, const cJSON *arr, bool is_main, const char *what)
{
        script_ctx ctx = { .script = out, .is_main = is_main };

        L->script = &ctx;
        read_block(L, arr, &out->body, what);
        resolve_script(L);
        L->script = NULL;
}

/* ---- actors ------------------------------------------------------------------------------ */

static int find_group(const scenario *sc, const char *name)
{
        for (int g = 0; g < sc->ngroups; g++)
                if (strcmp(sc->groups[g].name, name) == 0)
                        return g;
        return -1;
}

static int find_actor(const scenario *sc, const char *name)
{
        for (int a = 0; a < sc->nactors; a++)
                if (strcmp(sc->actors[a].name, name) == 0)
                        return a;
        return -1;
}

static void add_member(scenario *sc, int g, int actor)
{
        sc_group *gr = &sc->groups[g];

        gr->members = xrealloc(gr->members, sizeof(int) * (size_t)(gr->nmembers + 1));
        gr->members[gr->nmembers++] = actor;
}

static int group_for(loader *L, const char *name)
{
        scenario *sc = L->sc;
        int g = find_group(sc, name);

        if (g >= 0)
                return g;
        sc->groups = xgrow(sc->groups, &L->cap_groups, (size_t)sc->ngroups + 1, sizeof(sc_group));
        sc->groups[sc->ngroups] = (sc_group){ .name = xstrdup(name) };
        return sc->ngroups++;
}

static const char *const actor_keys[] = {
        "name", "kind", "count", "group", "start", "run", "note"
};

/* Expands one actor entry (pass one: names and groups; scripts come after all names). */
static void read_actor_entry(loader *L, const cJSON *obj, int script)
{
        scenario *sc = L->sc;
        const cJSON *jname = cJSON_GetObjectItemCaseSensitive(obj, "name");
        const cJSON *j;
        expr_template *tname;
        int64_t count = 1;
        bool counted = false, manual = false;
        sc_actor_kind kind = SC_THREAD;
        const char *group = NULL, *note = NULL;

        check_keys(L, obj, actor_keys, sizeof(actor_keys) / sizeof(*actor_keys), "an actor");
        if (jname == NULL) {
                err_value(L, obj, "an actor needs \"name\", such as \"Worker\" or \"Worker-{i}\"");
                return;
        }
        if ((j = cJSON_GetObjectItemCaseSensitive(obj, "kind")) != NULL) {
                if (cJSON_IsString(j) && strcmp(j->valuestring, "process") == 0)
                        kind = SC_PROCESS;
                else if (!cJSON_IsString(j) || strcmp(j->valuestring, "thread") != 0)
                        err_value(L, j, "\"kind\" must be \"thread\" or \"process\"");
        }
        if ((j = cJSON_GetObjectItemCaseSensitive(obj, "start")) != NULL) {
                if (cJSON_IsString(j) && strcmp(j->valuestring, "manual") == 0)
                        manual = true;
                else if (!cJSON_IsString(j) || strcmp(j->valuestring, "auto") != 0)
                        err_value(L, j,
                                  "\"start\" must be \"auto\" (starts with the run) or "
                                  "\"manual\" (main starts it)");
        }
        if ((j = cJSON_GetObjectItemCaseSensitive(obj, "group")) != NULL) {
                if (!cJSON_IsString(j) || j->valuestring[0] == '\0' ||
                    utf8_count(j->valuestring, strlen(j->valuestring)) > SC_MAX_NAME)
                        err_value(L, j, "\"group\" must be a name of 1 to %d characters",
                                  SC_MAX_NAME);
                else
                        group = j->valuestring;
        }
        if ((j = cJSON_GetObjectItemCaseSensitive(obj, "count")) != NULL) {
                /* 0: a group of no actors, as Python's threads list of range(0) (its start and
                 * join do nothing); a bad count leaves the group known, so that its start and
                 * join say nothing more */
                if (eval_const_int(L, j, "\"count\"", 0, SC_MAX_ACTORS, &count) < 0)
                        count = 0;
                counted = true;
        }
        if ((j = cJSON_GetObjectItemCaseSensitive(obj, "note")) != NULL) {
                if (cJSON_IsString(j))
                        note = j->valuestring;
                else
                        err_value(L, j, "\"note\" must be a string");
        }
        if (cJSON_GetObjectItemCaseSensitive(obj, "run") == NULL)
                err_value(L, obj, "an actor needs \"run\": the statements it runs");

        tname = parse_template(L, jname, "the actor's name");
        if (tname == NULL)
                return;
        {
                const_ctx c = { .L = L, .item = jname, .i = 0 };

                if (expr_template_resolve(tname, const_resolve, &c) > 0) {
                        expr_template_free(tname);
                        return;
                }
        }
        if (count == 0 && group != NULL)
                group_for(L, group);
        for (int64_t i = 0; i < count; i++) {
                const_ctx c = { .L = L, .item = jname, .i = (int)i };
                expr_env env = { .ctx = &c, .load = const_load, .cpu_count = L->cpu_count };
                strbuf sb = STRBUF_INIT;
                expr_error e = { 0 };
                sc_actor *a;

                if (expr_template_render(tname, &env, &sb, &e) < 0) {
                        err_in(L, jname, e.offset, "%s", e.msg);
                        strbuf_free(&sb);
                        break;
                }
                /* characters, not bytes (30 CJK characters were too many, and the message
                 * cut one in half) */
                if (sb.len == 0 || utf8_count(sb.data, sb.len) > SC_MAX_NAME ||
                    strpbrk(strbuf_str(&sb), "\n\t")) {
                        size_t shown = sb.len <= 4 * SC_MAX_NAME
                                           ? sb.len
                                           : utf8_cut(strbuf_str(&sb), 4 * SC_MAX_NAME);

                        err_value(L, jname,
                                  "actor name '%.*s%s' must be 1 to %d characters, without a "
                                  "tab or a newline",
                                  (int)shown, strbuf_str(&sb), shown < sb.len ? "..." : "",
                                  SC_MAX_NAME);
                        strbuf_free(&sb);
                        break;
                }
                if (find_actor(sc, strbuf_str(&sb)) >= 0) {
                        err_value(L, jname, "two actors are named '%s'%s", strbuf_str(&sb),
                                  counted ? " (put {i} in the name of a group)" : "");
                        strbuf_free(&sb);
                        break;
                }
                if (sc->nactors >= SC_MAX_ACTORS) {
                        err_value(L, obj, "too many actors (at most %d in all)", SC_MAX_ACTORS);
                        strbuf_free(&sb);
                        break;
                }
                sc->actors =
                    xgrow(sc->actors, &L->cap_actors, (size_t)sc->nactors + 1, sizeof(sc_actor));
                a = &sc->actors[sc->nactors];
                *a = (sc_actor){ .name = strbuf_detach(&sb),
                                 .kind = kind,
                                 .i = (int)i,
                                 .manual = manual,
                                 .script = script,
                                 .note = note != NULL ? xstrdup(note) : NULL };
                jsonpos_value(L->pos, obj, &a->line, &a->col);
                a->group = group_for(L, group ? group : counted ? "" : a->name);
                add_member(sc, a->group, sc->nactors);
                sc->nactors++;
        }
        expr_template_free(tname);
}

/* An entry with "count" and no "group" makes actors that no one name reaches: "start": "W" for
 * the entry "W{i}" is nearly always meant for all of them, and the nearest name, W0, would start
 * one. Say so when every actor of such an entry has a name that starts with the word. Those
 * entries share the group named "", each entry a run of its members that starts at i = 0. */
static bool hint_unnamed_group(const scenario *sc, strbuf *sb, const char *word)
{
        int g = find_group(sc, ""), best = -1, best_last = -1;
        size_t len = strlen(word);
        const sc_group *gr;

        if (g < 0 || len == 0)
                return false;
        gr = &sc->groups[g];
        /* of the entries whose names all start with the word, the nearest: W{i}, not Wx{i} */
        for (int first = 0, last; first < gr->nmembers; first = last + 1) {
                bool all = true;

                for (last = first;; last++) {
                        all = all && strncmp(sc->actors[gr->members[last]].name, word, len) == 0;
                        if (last + 1 == gr->nmembers || sc->actors[gr->members[last + 1]].i == 0)
                                break;
                }
                if (all && (best < 0 || strlen(sc->actors[gr->members[first]].name) <
                                            strlen(sc->actors[gr->members[best]].name))) {
                        best = first;
                        best_last = last;
                }
        }
        if (best < 0)
                return false;
        if (best == best_last)
                strbuf_printf(sb, "; the actor %.64s comes from an entry with \"count\"",
                              sc->actors[gr->members[best]].name);
        else
                strbuf_printf(sb, "; the actors %.64s to %.64s come from one entry with \"count\"",
                              sc->actors[gr->members[best]].name,
                              sc->actors[gr->members[best_last]].name);
        strbuf_printf(sb, ": give it \"group\": \"%.64s\" to start or join them all", word);
        return true;
}

static void resolve_target(loader *L, sc_stmt *s, const cJSON *kw)
{
        scenario *sc = L->sc;
        int a, g;

        if (!cJSON_IsString(kw))
                return;
        g = find_group(sc, kw->valuestring);
        a = find_actor(sc, kw->valuestring);
        if (g >= 0 && kw->valuestring[0] != '\0') {
                s->ntargets = sc->groups[g].nmembers;
                s->targets = xcalloc((size_t)s->ntargets, sizeof(int));
                if (s->ntargets > 0) /* a group of count 0 has no members array */
                        memcpy(s->targets, sc->groups[g].members,
                               sizeof(int) * (size_t)s->ntargets);
        } else if (a >= 0) {
                s->ntargets = 1;
                s->targets = xcalloc(1, sizeof(int));
                s->targets[0] = a;
        } else {
                strbuf sb = STRBUF_INIT;
                size_t n = (size_t)(sc->nactors + sc->ngroups), m = 0;
                const char **names = xcalloc(n + 1, sizeof(char *));

                for (int k = 0; k < sc->ngroups; k++)
                        names[m++] = sc->groups[k].name;
                for (int k = 0; k < sc->nactors; k++)
                        names[m++] = sc->actors[k].name;
                strbuf_printf(&sb, "no actor or group named '%.64s'", kw->valuestring);
                if (!hint_unnamed_group(sc, &sb, kw->valuestring))
                        suggest(&sb, kw->valuestring, names, m);
                err_value(L, kw, "%s", strbuf_str(&sb));
                strbuf_free(&sb);
                free(names);
        }
}

/* A start of an actor that starts with the run starts it a second time: always an error at run
 * time (Python's "threads can only be started once"), and nearly always a forgotten
 * "start": "manual", said here where the fix is. */
static void check_manual(loader *L, const sc_stmt *s, const cJSON *kw)
{
        const scenario *sc = L->sc;

        for (int k = 0; k < s->ntargets; k++) {
                const sc_actor *t = &sc->actors[s->targets[k]];

                if (t->manual)
                        continue;
                err_value(L, kw,
                          "'%s' starts with the run (it has no \"start\": \"manual\"), so this "
                          "start would start it a second time: give %s \"start\": \"manual\"",
                          kw->valuestring, s->ntargets > 1 ? "the group's entry" : "it");
                return;
        }
}

/* start and join name actors, which are all known only after every entry was read. */
static void resolve_targets(loader *L, const cJSON *arr, sc_block *b)
{
        int k = 0;

        if (!cJSON_IsArray(arr))
                return;
        for (const cJSON *c = arr->child; c != NULL && k < b->n; c = c->next, k++) {
                sc_stmt *s = &b->stmts[k];
                const stmt_info *info = &stmt_table[s->kind];

                if (!cJSON_IsObject(c))
                        continue;
                if (info->target == T_ACTOR) {
                        const cJSON *kw = cJSON_GetObjectItemCaseSensitive(c, info->keyword);

                        if (kw != NULL)
                                resolve_target(L, s, kw);
                        if (s->kind == SC_START)
                                check_manual(L, s, kw);
                }
                for (int f = 0; f < MAX_FIELDS && info->fields[f].key; f++)
                        if (info->fields[f].kind == F_BLOCK)
                                resolve_targets(
                                    L, cJSON_GetObjectItemCaseSensitive(c, info->fields[f].key),
                                    (sc_block *)((char *)s + info->fields[f].off));
        }
}

static void check_groups(loader *L, const cJSON *actors)
{
        scenario *sc = L->sc;

        for (int g = 0; g < sc->ngroups; g++) {
                int a = find_actor(sc, sc->groups[g].name);

                if (a >= 0 && !(sc->groups[g].nmembers == 1 && sc->groups[g].members[0] == a))
                        err_value(L, actors,
                                  "'%s' names both an actor and a group of other actors: rename "
                                  "one of them",
                                  sc->groups[g].name);
        }
}

static void read_actors(loader *L, const cJSON *arr, const cJSON *main)
{
        scenario *sc = L->sc;
        int n, k, nproc = 0;

        if (!cJSON_IsArray(arr)) {
                err_value(L, arr, "\"actors\" must be an array of actors");
                return;
        }
        /* none: a program of one thread, the main one (a pool's caller, say) */
        if ((n = cJSON_GetArraySize(arr)) == 0 && main == NULL) {
                err_value(L, arr,
                          "\"actors\" is empty and there is no \"main\": nothing would run "
                          "(give an actor, or the main thread's script as \"main\")");
                return;
        }
        if (n > SC_MAX_ACTORS) {
                err_value(L, arr, "too many actor entries: %d (at most %d)", n, SC_MAX_ACTORS);
                return;
        }
        sc->nscripts = n + 1;
        sc->scripts = xcalloc((size_t)n + 1, sizeof(sc_script));
        sc->main_script = n;
        k = 0;
        for (const cJSON *c = arr->child; c != NULL; c = c->next, k++) {
                if (!cJSON_IsObject(c)) {
                        err_value(L, c,
                                  "an actor must be an object with \"name\" and \"run\", "
                                  "not %s",
                                  jsonpos_type_name(c));
                        continue;
                }
                read_actor_entry(L, c, k);
        }
        for (int a = 0; a < sc->nactors; a++)
                nproc += sc->actors[a].kind == SC_PROCESS;
        if (nproc > SC_MAX_PROCESSES)
                err_value(L, arr, "too many process actors: %d (at most %d)", nproc,
                          SC_MAX_PROCESSES);
        check_groups(L, arr);
        k = 0;
        for (const cJSON *c = arr->child; c != NULL; c = c->next, k++) {
                const cJSON *run = cJSON_GetObjectItemCaseSensitive(c, "run");

                if (!cJSON_IsObject(c) || run == NULL)
                        continue;
                read_script(L, &sc->scripts[k], run, false, "run");
                resolve_targets(L, run, &sc->scripts[k].body);
        }
        if (main != NULL) {
                sc->main_given = true;
                read_script(L, &sc->scripts[n], main, true, "main");
                resolve_targets(L, main, &sc->scripts[n].body);
        } else {
                for (int a = 0; a < sc->nactors; a++)
                        if (sc->actors[a].manual) {
                                err_value(L, arr,
                                          "actor '%s' has \"start\": \"manual\" but there is no "
                                          "\"main\" to start it",
                                          sc->actors[a].name);
                                break;
                        }
        }
}

/* ---- the whole file ---------------------------------------------------------------------- */

static const char *const top_keys[] = { "$schema", "lockstep",  "title",       "summary",
                                        "mirrors", "tags",      "description", "constants",
                                        "gil",     "resources", "actors",      "main" };

static void read_tags(loader *L, const cJSON *j)
{
        scenario *sc = L->sc;
        int n;

        if (j == NULL)
                return;
        if (!cJSON_IsArray(j) || (n = cJSON_GetArraySize(j)) > 16) {
                err_value(L, j, "\"tags\" must be an array of at most 16 short strings");
                return;
        }
        sc->tags = xcalloc((size_t)n + 1, sizeof(char *));
        for (const cJSON *c = j->child; c != NULL; c = c->next) {
                if (!cJSON_IsString(c) || c->valuestring[0] == '\0' ||
                    strlen(c->valuestring) > 32) {
                        err_value(L, c, "a tag must be a string of 1 to 32 characters");
                        continue;
                }
                sc->tags[sc->ntags++] = xstrdup(c->valuestring);
        }
}

/* Object keys must be unique: cJSON would silently keep both. Sorting finds them in n log n. */
static int by_key(const void *a, const void *b)
{
        return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static void check_duplicates(loader *L, const cJSON *root)
{
        const cJSON **stack = NULL, **keys = NULL;
        size_t sp = 0, scap = 0, kcap = 0;

        stack = xgrow(stack, &scap, 1, sizeof(*stack));
        stack[sp++] = root;
        while (sp > 0 && !diag_full(L->d)) {
                const cJSON *it = stack[--sp];
                size_t n = 0;

                for (const cJSON *c = it->child; c != NULL; c = c->next) {
                        stack = xgrow(stack, &scap, sp + 1, sizeof(*stack));
                        stack[sp++] = c;
                        if (cJSON_IsObject(it)) {
                                keys = xgrow(keys, &kcap, n + 1, sizeof(*keys));
                                keys[n++] = c;
                        }
                }
                if (n < 2)
                        continue;
                qsort(keys, n, sizeof(*keys), by_key);
                for (size_t k = 1; k < n; k++)
                        if (strcmp(keys[k - 1]->string, keys[k]->string) == 0) {
                                /* report the later one in the text */
                                const cJSON *later = jsonpos_key_offset(L->pos, keys[k]) >
                                                             jsonpos_key_offset(L->pos, keys[k - 1])
                                                         ? keys[k]
                                                         : keys[k - 1];
                                err_key(L, later,
                                        "duplicate key '%.64s': JSON would keep only one "
                                        "of them",
                                        later->string);
                        }
        }
        free(stack);
        free(keys);
}

/* Strings longer than the cap are refused wherever they are. */
static void check_strings(loader *L, const cJSON *root)
{
        const cJSON **stack = NULL;
        size_t sp = 0, scap = 0;

        stack = xgrow(stack, &scap, 1, sizeof(*stack));
        stack[sp++] = root;
        while (sp > 0 && !diag_full(L->d)) {
                const cJSON *it = stack[--sp];
                size_t max = it->string && strcmp(it->string, "description") == 0
                                 ? SC_MAX_DESCRIPTION
                                 : SC_MAX_STRING;

                if (it->string && strlen(it->string) > SC_MAX_NAME * 4)
                        err_key(L, it, "key of %zu bytes is too long", strlen(it->string));
                if (cJSON_IsString(it) && strlen(it->valuestring) > max)
                        err_value(L, it, "string of %zu bytes is too long (at most %zu)",
                                  strlen(it->valuestring), max);
                for (const cJSON *c = it->child; c != NULL; c = c->next) {
                        stack = xgrow(stack, &scap, sp + 1, sizeof(*stack));
                        stack[sp++] = c;
                }
        }
        free(stack);
}

static void read_root(loader *L, const cJSON *root)
{
        scenario *sc = L->sc;
        const cJSON *j;

        if (!cJSON_IsObject(root)) {
                err_value(L, root,
                          "a scenario must be a JSON object {\"lockstep\": 1, ...}, not "
                          "%s",
                          jsonpos_type_name(root));
                return;
        }
        check_keys(L, root, top_keys, sizeof(top_keys) / sizeof(*top_keys), "a scenario");
        j = cJSON_GetObjectItemCaseSensitive(root, "lockstep");
        if (j == NULL)
                err_value(L, root, "a scenario starts with \"lockstep\": 1 (the format version)");
        else if (!cJSON_IsNumber(j) || j->valuedouble != 1)
                err_value(L, j, "this lockstep reads format version 1: write \"lockstep\": 1");
        sc->title = get_string(L, root, "title", true, 1, 120, "a scenario");
        sc->summary = get_string(L, root, "summary", true, 1, 300, "a scenario");
        sc->mirrors = get_string(L, root, "mirrors", false, 0, 120, "a scenario");
        sc->description =
            get_string(L, root, "description", false, 0, SC_MAX_DESCRIPTION, "a scenario");
        read_tags(L, cJSON_GetObjectItemCaseSensitive(root, "tags"));
        if ((j = cJSON_GetObjectItemCaseSensitive(root, "$schema")) != NULL && !cJSON_IsString(j))
                err_value(L, j, "\"$schema\" must be a string");
}
/* Whether a comment, // or slash-star, begins at TEXT[K]: JSON has none. */
static bool comment_at(const char *text, size_t len, size_t k)
{
        return k + 1 < len && text[k] == '/' && (text[k + 1] == '/' || text[k + 1] == '*');
}

/* The 4 hex digits after "\\u" at TEXT[K] (the backslash), or -1 where they are not that. */
static long escape_u16(const char *text, size_t len, size_t k)
{
        long v = 0;

        if (k + 6 > len || text[k] != '\\' || text[k + 1] != 'u')
                return -1;
        for (size_t i = k + 2; i < k + 6; i++) {
                int c = (unsigned char)text[i];

                if (!isxdigit(c))
                        return -1;
                v = v * 16 + (isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
        }
        return v;
}

/* Whether the escape at TEXT[K] is half of a surrogate pair without its other half: cJSON
 * refuses it with no word why ("syntax error"). A high half must be followed at once by a low
 * one; a low half must follow a high one, and the scan, which steps over a whole pair, never
 * reaches a low half that does. */
static bool lone_surrogate(const char *text, size_t len, size_t k)
{
        long v = escape_u16(text, len, k), w;

        if (v >= 0xDC00 && v <= 0xDFFF)
                return true;
        if (v < 0xD800 || v > 0xDBFF)
                return false;
        w = escape_u16(text, len, k + 6);
        return w < 0xDC00 || w > 0xDFFF;
}

/* The offset of the first bracket that opens more than LIMIT levels of nesting (strings
 * skipped), or -1: so that a file cJSON refuses for its depth is told so, not "syntax error". */
static long too_deep(const char *text, size_t len, int limit)
{
        int depth = 0;
        bool in_str = false;

        for (size_t i = 0; i < len; i++) {
                char c = text[i];

                if (in_str) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_str = false;
                } else if (c == '"') {
                        in_str = true;
                } else if (c == '[' || c == '{') {
                        if (++depth > limit)
                                return (long)i;
                } else if (c == ']' || c == '}') {
                        depth--;
                }
        }
        return -1;
}

scenario *scenario_load_text(const char *path, const char *text, size_t len,
                             const scenario_options *opt, diag *d)
{
        loader L;
        size_t before = diag_count(d), bad;
        const char *end = NULL;
        cJSON *root;
        long deep;
        scenario *sc;

        /* A UTF-8 byte order mark, which some editors write, is passed over (RFC 8259 lets a
         * parser ignore it); it shows as nothing, so the columns after it are the ones seen. */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
                text += 3;
                len -= 3;
        }
        L = (loader){ .file = path, .text = text, .len = len, .d = d };
        /* A second one is not JSON (cJSON would pass over it too, and the positions of what
         * follows would be off by it). */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
                diag_error(d, path, 1, 1,
                           "a second byte order mark (U+FEFF): JSON allows one, at the very "
                           "start; remove this one");
                return NULL;
        }
        /* a reader stops once past the most (the file may be far longer): no size to tell */
        if (len > SC_MAX_FILE_BYTES) {
                diag_error(d, path, 0, 0,
                           "file is larger than %d bytes, the most a scenario may be",
                           SC_MAX_FILE_BYTES);
                return NULL;
        }
        if (memchr(text, '\0', len) != NULL) {
                int line, col;

                jsonpos_linecol(text, len, (size_t)((const char *)memchr(text, '\0', len) - text),
                                &line, &col);
                diag_error(d, path, line, col, "NUL byte: this is not a text file");
                return NULL;
        }
        bool in_string = false;

        for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char)text[k];

                if (c == '"')
                        in_string = !in_string; /* an escaped quote is stepped over below */
                /* A raw tab or line break inside a string (JSON's, and cJSON keeps it). */
                if (in_string && (c == '\t' || c == '\n' || c == '\r')) {
                        int line, col;

                        jsonpos_linecol(text, len, k, &line, &col);
                        diag_error(d, path, line, col,
                                   "a string cannot hold a raw %s: write it as %s, or close the "
                                   "string before it (a missing '\"'?)",
                                   c == '\t' ? "tab" : "line break",
                                   c == '\t'   ? "\\t"
                                   : c == '\n' ? "\\n"
                                               : "\\r");
                        return NULL;
                }
                /* JSON allows no raw control characters (cJSON would take them for spaces). */
                if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        int line, col;

                        jsonpos_linecol(text, len, k, &line, &col);
                        diag_error(d, path, line, col,
                                   "control character U+%04X is not allowed in JSON (in a "
                                   "string, write it as \\u%04X; elsewhere, remove it)",
                                   c, c);
                        return NULL;
                }
                /* A backslash begins an escape (only strings have them): \u0000 would cut the
                 * string short where cJSON gives it to us, so that "A\u0000x" named 'A'. */
                if (c == '\\') {
                        if (k + 5 < len && text[k + 1] == 'u' &&
                            memcmp(text + k + 2, "0000", 4) == 0) {
                                int line, col;

                                jsonpos_linecol(text, len, k, &line, &col);
                                diag_error(d, path, line, col,
                                           "a string cannot hold the character U+0000 (\\u0000)");
                                return NULL;
                        }
                        if (lone_surrogate(text, len, k)) {
                                int line, col;

                                jsonpos_linecol(text, len, k, &line, &col);
                                diag_error(d, path, line, col,
                                           "'%.6s' is half of a UTF-16 surrogate pair: a string "
                                           "cannot hold it alone (write the character itself, or "
                                           "both halves, as \\ud83d\\ude00 for U+1F600)",
                                           text + k);
                                return NULL;
                        }
                        long u = escape_u16(text, len, k);

                        if (u >= 0xD800 && u <= 0xDBFF)
                                k += 6; /* a whole pair: its low half is not a lone one */
                        k++; /* the escaped character: a backslash is not another escape */
                }
        }
        if (!utf8_valid(text, len, &bad)) {
                int line, col;

                jsonpos_linecol(text, len, bad, &line, &col);
                diag_error(d, path, line, col,
                           "invalid UTF-8 (byte 0x%02x): save the file as UTF-8",
                           (unsigned char)text[bad]);
                return NULL;
        }
        root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (root != NULL) {
                /* Only whitespace may follow the value. */
                while (end < text + len && strchr(" \t\r\n", *end) != NULL)
                        end++;
                if (end < text + len) {
                        int line, col;

                        jsonpos_linecol(text, len, (size_t)(end - text), &line, &col);
                        diag_error(d, path, line, col,
                                   comment_at(text, len, (size_t)(end - text))
                                       ? "JSON has no comments: remove it"
                                       : "text after the end of the scenario's JSON object");
                        cJSON_Delete(root);
                        return NULL;
                }
        }
        if (root == NULL && (deep = too_deep(text, len, SC_MAX_DEPTH)) >= 0) {
                int line, col;

                /* cJSON gives up past its own limit (1000) with no word why */
                jsonpos_linecol(text, len, (size_t)deep, &line, &col);
                diag_error(d, path, line, col, "nesting deeper than %d levels", SC_MAX_DEPTH);
                return NULL;
        }
        if (root == NULL) {
                int line, col;
                size_t off = end ? (size_t)(end - text) : 0;

                size_t back = off;

                /* A comma right before a closing bracket: point at the comma. */
                while (back > 0 && strchr(" \t\r\n", text[back - 1]) != NULL)
                        back--;
                if (off < len && (text[off] == '}' || text[off] == ']') && back > 0 &&
                    text[back - 1] == ',') {
                        jsonpos_linecol(text, len, back - 1, &line, &col);
                        diag_error(d, path, line, col,
                                   "JSON syntax error: a comma before '%c' (JSON allows no "
                                   "trailing comma)",
                                   text[off]);
                        return NULL;
                }
                /* a comment: cJSON stops at its first or second character */
                if (comment_at(text, len, off) || (off > 0 && comment_at(text, len, off - 1))) {
                        size_t at = comment_at(text, len, off) ? off : off - 1;

                        jsonpos_linecol(text, len, at, &line, &col);
                        diag_error(d, path, line, col,
                                   "JSON has no comments: remove it (a note fits in a statement's "
                                   "\"say\", a resource's \"note\" or the scenario's "
                                   "\"description\")");
                        return NULL;
                }
                jsonpos_linecol(text, len, off, &line, &col);
                size_t rest = off;

                /* the text is not NUL-terminated: count the trailing spaces by hand */
                while (rest < len && strchr(" \t\r\n", text[rest]) != NULL)
                        rest++;
                if (off >= len || rest == len)
                        diag_error(d, path, line, col,
                                   "JSON syntax error: the file ends too early (a missing "
                                   "closing bracket or quote?)");
                else
                        diag_error(d, path, line, col,
                                   "JSON syntax error near '%.*s' (check for a missing comma, "
                                   "quote or bracket, or a trailing comma)",
                                   (int)(len - off < 12 ? len - off : 12), text + off);
                return NULL;
        }
        L.pos = jsonpos_build(text, len, root, SC_MAX_DEPTH, &deep);
        if (L.pos == NULL) { /* JSON that cJSON reads and jsonpos cannot place: say so, not die */
                diag_error(d, path, 1, 1,
                           "this JSON is too unusual to read (try a strict JSON writer)");
                cJSON_Delete(root);
                return NULL;
        }
        if (deep >= 0) {
                int line, col;

                jsonpos_linecol(text, len, (size_t)deep, &line, &col);
                diag_error(d, path, line, col, "nesting deeper than %d levels", SC_MAX_DEPTH);
                jsonpos_free(L.pos);
                cJSON_Delete(root);
                return NULL;
        }
        sc = xcalloc(1, sizeof(*sc));
        sc->path = xstrdup(path);
        sc->main_script = -1;
        sc->gil_res = -1;
        L.sc = sc;
        L.cpu_count =
            opt && opt->cpu_count > 0 ? opt->cpu_count : (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (L.cpu_count < 1)
                L.cpu_count = 1;
        check_duplicates(&L, root);
        check_strings(&L, root);
        if (diag_count(d) == before) {
                read_root(&L, root);
                if (cJSON_IsObject(root)) {
                        const cJSON *actors = cJSON_GetObjectItemCaseSensitive(root, "actors");

                        read_constants(&L, cJSON_GetObjectItemCaseSensitive(root, "constants"),
                                       opt);
                        read_resources(&L, cJSON_GetObjectItemCaseSensitive(root, "resources"));
                        read_gil(&L, cJSON_GetObjectItemCaseSensitive(root, "gil"));
                        if (actors == NULL)
                                err_value(&L, root,
                                          "a scenario needs \"actors\": the threads "
                                          "and processes it runs");
                        else
                                read_actors(&L, actors,
                                            cJSON_GetObjectItemCaseSensitive(root, "main"));
                        if (diag_count(d) == before)
                                add_process_gils(&L, cJSON_GetObjectItemCaseSensitive(root, "gil"));
                        if (diag_count(d) == before)
                                add_pool_gils(&L, cJSON_GetObjectItemCaseSensitive(root, "gil"));
                }
        }
        jsonpos_free(L.pos);
        cJSON_Delete(root);
        if (sc->nwheres > 1)
                qsort(sc->wheres, (size_t)sc->nwheres, sizeof(sc_where), where_cmp);
        if (diag_count(d) != before) {
                scenario_free(sc);
                return NULL;
        }
        guard_mark(sc);
        return sc;
}

char *scenario_read(const char *path, size_t *len, strbuf *why)
{
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        strbuf sb = STRBUF_INIT;
        struct stat st;
        char buf[65536];
        ssize_t n;

        if (fd < 0) {
                strbuf_printf(why, "cannot open: %s", strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                strbuf_printf(why, "not a regular file (%s): give a scenario file",
                              S_ISDIR(st.st_mode)    ? "a directory"
                              : S_ISFIFO(st.st_mode) ? "a FIFO"
                              : S_ISCHR(st.st_mode)  ? "a character device"
                                                     : "not a plain file");
                close(fd);
                return NULL;
        }
        fcntl(fd, F_SETFL, 0);
        while (sb.len <= SC_MAX_FILE_BYTES && (n = read(fd, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        strbuf_printf(why, "cannot read: %s", strerror(errno));
                        close(fd);
                        strbuf_free(&sb);
                        return NULL;
                }
                strbuf_append(&sb, buf, (size_t)n);
        }
        close(fd);
        *len = sb.len;
        return strbuf_detach(&sb);
}

scenario *scenario_load(const char *path, const scenario_options *opt, diag *d)
{
        strbuf why = STRBUF_INIT;
        size_t n = 0;
        char *buf = scenario_read(path, &n, &why);
        scenario *sc = NULL;

        if (buf == NULL)
                diag_error(d, path, 0, 0, "%s", strbuf_str(&why));
        else
                sc = scenario_load_text(path, buf, n, opt, d);
        free(buf);
        strbuf_free(&why);
        return sc;
}

/* ---- teardown and small queries --------------------------------------------------------- */

static void free_block(sc_block *b)
{
        for (int k = 0; k < b->n; k++) {
                sc_stmt *s = &b->stmts[k];

                expr_free(s->value);
                expr_free(s->lvalue);
                expr_free(s->timeout);
                expr_free(s->at);
                expr_free(s->n);
                expr_free(s->until);
                expr_free(s->fn);
                expr_free(s->over);
                expr_free(s->chunksize);
                expr_template_free(s->text);
                expr_template_free(s->say);
                free(s->targets);
                free_block(&s->body);
                free_block(&s->orelse);
        }
        free(b->stmts);
}

void scenario_free(scenario *sc)
{
        if (sc == NULL)
                return;
        free(sc->path);
        free(sc->title);
        free(sc->summary);
        free(sc->mirrors);
        free(sc->description);
        for (int k = 0; k < sc->ntags; k++)
                free(sc->tags[k]);
        free(sc->tags);
        for (int k = 0; k < sc->nconstants; k++) {
                free(sc->constants[k].name);
                value_drop(&sc->constants[k].v);
        }
        free(sc->constants);
        for (int k = 0; k < sc->nresources; k++) {
                free(sc->resources[k].name);
                free(sc->resources[k].note);
                free(sc->resources[k].ends[0]);
                free(sc->resources[k].ends[1]);
                value_drop(&sc->resources[k].init);
        }
        free(sc->resources);
        for (int k = 0; k < sc->nactors; k++) {
                free(sc->actors[k].name);
                free(sc->actors[k].note);
        }
        free(sc->actors);
        for (int k = 0; k < sc->ngroups; k++) {
                free(sc->groups[k].name);
                free(sc->groups[k].members);
        }
        free(sc->groups);
        for (int k = 0; k < sc->nscripts; k++) {
                free_block(&sc->scripts[k].body);
                for (int l = 0; l < sc->scripts[k].nlocals; l++)
                        free(sc->scripts[k].locals[l]);
                free(sc->scripts[k].locals);
        }
        free(sc->scripts);
        free(sc->wheres);
        free(sc);
}

bool scenario_where(const scenario *sc, const void *what, int *line, int *col)
{
        sc_where key = { .what = what };
        const sc_where *w;

        if (what == NULL || sc->nwheres == 0)
                return false;
        w = bsearch(&key, sc->wheres, (size_t)sc->nwheres, sizeof(sc_where), where_cmp);
        if (w == NULL)
                return false;
        *line = w->line;
        *col = w->col;
        return true;
}

const char *scenario_res_type_name(sc_res_type t)
{
        return (unsigned)t < SC_RES_TYPE_COUNT ? res_table[t].name : "?";
}

const char *scenario_stmt_keyword(sc_stmt_kind k)
{
        return (unsigned)k < SC_STMT_KIND_COUNT ? stmt_table[k].keyword : "?";
}

void scenario_walk(const sc_block *b, void (*fn)(const sc_stmt *s, void *ctx), void *ctx)
{
        for (int k = 0; k < b->n; k++) {
                fn(&b->stmts[k], ctx);
                scenario_walk(&b->stmts[k].body, fn, ctx);
                scenario_walk(&b->stmts[k].orelse, fn, ctx);
        }
}
