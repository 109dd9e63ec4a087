/*
 * jsonpos.c — where each cJSON value came from in the text; see jsonpos.h.
 */
#include "jsonpos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/utf8.h"
#include "../util/xalloc.h"

typedef struct entry {
        const cJSON *item;
        long value_off;
        long key_off;
} entry;

/* The line and column at every MARK_EVERY-th byte, so that finding a position reads at most that
 * many bytes (from the start each time, a file of 10,000 statements took seconds). */
#define MARK_EVERY 4096
typedef struct mark {
        int line, col;
} mark;

struct jsonpos {
        const char *text;
        size_t len;
        entry *entries; /* sorted by item address */
        size_t n;
        mark *marks; /* marks[k]: where byte k * MARK_EVERY is */
};

const char *jsonpos_type_name(const cJSON *item)
{
        if (cJSON_IsNull(item))
                return "null";
        if (cJSON_IsBool(item))
                return "a boolean";
        if (cJSON_IsNumber(item))
                return "a number";
        if (cJSON_IsString(item))
                return "a string";
        if (cJSON_IsArray(item))
                return "an array";
        if (cJSON_IsObject(item))
                return "an object";
        return "something else"; /* cJSON's raw or invalid items: never parsed from a file */
}

/* From *LINE, *COL at byte FROM to where byte TO is. */
static void advance(const char *text, size_t from, size_t to, int *line, int *col)
{
        int l = *line, c = *col;

        for (size_t i = from; i < to; i++) {
                unsigned char ch = (unsigned char)text[i];

                if (ch == '\n') {
                        l++;
                        c = 1;
                } else if (!utf8_is_cont(ch)) {
                        c++; /* count characters, not continuation bytes */
                }
        }
        *line = l;
        *col = c;
}

void jsonpos_linecol(const char *text, size_t len, size_t offset, int *line, int *col)
{
        *line = *col = 1;
        advance(text, 0, offset > len ? len : offset, line, col);
}

/* Scanner: records value and key starts in text order. The text is valid JSON (cJSON said so). */
typedef struct scan {
        const char *t;
        size_t len, i;
        long *vals, *keys;
        size_t n, cap;
} scan;

static void skip_ws(scan *s)
{
        /* what cJSON skips: every byte up to and including the space */
        while (s->i < s->len && (unsigned char)s->t[s->i] <= 0x20)
                s->i++;
}

static void skip_string(scan *s)
{
        s->i++; /* opening quote */
        while (s->i < s->len && s->t[s->i] != '"')
                s->i += s->t[s->i] == '\\' ? 2 : 1;
        s->i++;
}

static void record(scan *s, long val, long key)
{
        size_t cap = s->cap;

        s->vals = xgrow(s->vals, &cap, s->n + 1, sizeof(long));
        s->keys = xgrow(s->keys, &s->cap, s->n + 1, sizeof(long));
        s->vals[s->n] = val;
        s->keys[s->n] = key;
        s->n++;
}

/* Iterative, so no input can exhaust the stack. Returns the deepest nesting seen. */
static int scan_all(scan *s, int limit, long *deep_offset)
{
        /* in_object[d]: whether the container at depth d is an object */
        unsigned char *in_object = NULL;
        size_t cap = 0;
        int depth = 0, deepest = 0;
        long key = -1;

        *deep_offset = -1;
        for (;;) {
                skip_ws(s);
                if (s->i >= s->len)
                        break;
                char c = s->t[s->i];
                if (c == ',') {
                        s->i++;
                        continue;
                }
                if (c == '}' || c == ']') {
                        depth--;
                        s->i++;
                        continue;
                }
                if (depth > 0 && in_object[depth - 1] && key < 0 && c == '"') {
                        key = (long)s->i; /* a member's key */
                        skip_string(s);
                        skip_ws(s);
                        s->i++; /* ':' */
                        continue;
                }
                record(s, (long)s->i, key);
                key = -1;
                if (c == '{' || c == '[') {
                        in_object = xgrow(in_object, &cap, (size_t)depth + 1, 1);
                        in_object[depth++] = c == '{';
                        if (depth > deepest)
                                deepest = depth;
                        if (depth > limit && *deep_offset < 0)
                                *deep_offset = (long)s->i;
                        s->i++;
                } else if (c == '"') {
                        skip_string(s);
                } else {
                        while (s->i < s->len && !strchr(",]} \t\r\n", s->t[s->i]))
                                s->i++;
                }
        }
        free(in_object);
        return deepest;
}

static int by_item(const void *a, const void *b)
{
        uintptr_t x = (uintptr_t)((const entry *)a)->item;
        uintptr_t y = (uintptr_t)((const entry *)b)->item;

        return x < y ? -1 : x > y;
}

jsonpos *jsonpos_build(const char *text, size_t len, const cJSON *root, int limit,
                       long *deep_offset)
{
        scan s = { .t = text, .len = len };
        const cJSON **stack = NULL;
        size_t scap = 0, sp = 0, k = 0;
        jsonpos *p;

        scan_all(&s, limit, deep_offset);
        p = xcalloc(1, sizeof(*p));
        p->text = text;
        p->len = len;
        p->marks = xcalloc(len / MARK_EVERY + 1, sizeof(mark));
        p->marks[0] = (mark){ 1, 1 };
        for (size_t m = 1; m <= len / MARK_EVERY; m++) {
                p->marks[m] = p->marks[m - 1];
                advance(text, (m - 1) * MARK_EVERY, m * MARK_EVERY, &p->marks[m].line,
                        &p->marks[m].col);
        }
        p->entries = xcalloc(s.n ? s.n : 1, sizeof(entry));
        /* Pre-order walk of the tree, paired with the scan's records. */
        if (root != NULL) {
                stack = xgrow(stack, &scap, 1, sizeof(*stack));
                stack[sp++] = root;
        }
        while (sp > 0) {
                const cJSON *it = stack[--sp];
                size_t nchild = 0;

                if (k >= s.n)
                        goto mismatch;
                p->entries[k].item = it;
                p->entries[k].value_off = s.vals[k];
                p->entries[k].key_off = s.keys[k];
                k++;
                for (const cJSON *c = it->child; c != NULL; c = c->next)
                        nchild++;
                stack = xgrow(stack, &scap, sp + nchild, sizeof(*stack));
                /* push children in reverse so the first is visited first */
                size_t at = sp + nchild;
                for (const cJSON *c = it->child; c != NULL; c = c->next)
                        stack[--at] = c;
                sp += nchild;
        }
        if (k != s.n)
                goto mismatch;
        p->n = k;
        qsort(p->entries, p->n, sizeof(entry), by_item);
        free(stack);
        free(s.vals);
        free(s.keys);
        return p;
mismatch:
        free(stack);
        free(s.vals);
        free(s.keys);
        free(p->entries);
        free(p);
        return NULL;
}

void jsonpos_free(jsonpos *p)
{
        if (p == NULL)
                return;
        free(p->entries);
        free(p->marks);
        free(p);
}

static const entry *find(const jsonpos *p, const cJSON *item)
{
        entry key = { .item = item };

        if (p == NULL || item == NULL)
                return NULL;
        return bsearch(&key, p->entries, p->n, sizeof(entry), by_item);
}

long jsonpos_value_offset(const jsonpos *p, const cJSON *item)
{
        const entry *e = find(p, item);

        return e ? e->value_off : -1;
}

long jsonpos_key_offset(const jsonpos *p, const cJSON *item)
{
        const entry *e = find(p, item);

        return e ? e->key_off : -1;
}

static void at(const jsonpos *p, long off, int *line, int *col)
{
        if (off < 0) {
                *line = *col = 0;
                return;
        }
        size_t to = (size_t)off > p->len ? p->len : (size_t)off, m = to / MARK_EVERY;

        *line = p->marks[m].line;
        *col = p->marks[m].col;
        advance(p->text, m * MARK_EVERY, to, line, col);
}

void jsonpos_value(const jsonpos *p, const cJSON *item, int *line, int *col)
{
        at(p, jsonpos_value_offset(p, item), line, col);
}

void jsonpos_key(const jsonpos *p, const cJSON *item, int *line, int *col)
{
        long off = jsonpos_key_offset(p, item);

        at(p, off >= 0 ? off : jsonpos_value_offset(p, item), line, col);
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return 0;
}

/* How many UTF-8 bytes the \uXXXX escape at RAW decodes to; *RAWLEN gets its raw length. */
static size_t unicode_escape(const char *raw, size_t avail, size_t *rawlen)
{
        unsigned cp = 0;

        *rawlen = 6;
        if (avail < 6)
                return *rawlen = avail, 1;
        for (int k = 2; k < 6; k++)
                cp = cp * 16 + (unsigned)hexval(raw[k]);
        if (cp >= 0xd800 && cp <= 0xdbff && avail >= 12 && raw[6] == '\\' && raw[7] == 'u') {
                *rawlen = 12;
                return 4;
        }
        /* cJSON refused the text if this is a lone surrogate, so it has an encoding */
        return utf8_encoded_len(cp);
}

void jsonpos_in_string(const jsonpos *p, const cJSON *item, size_t offset, int *line, int *col)
{
        long start = jsonpos_value_offset(p, item);
        size_t i, decoded = 0;

        if (start < 0 || p->text[start] != '"') {
                at(p, start, line, col);
                return;
        }
        i = (size_t)start + 1;
        while (i < p->len && p->text[i] != '"' && decoded < offset) {
                if (p->text[i] == '\\' && i + 1 < p->len) {
                        size_t rawlen = 2;
                        size_t n = p->text[i + 1] == 'u'
                                       ? unicode_escape(p->text + i, p->len - i, &rawlen)
                                       : 1;
                        decoded += n;
                        i += rawlen;
                } else {
                        decoded++;
                        i++;
                }
        }
        at(p, (long)i, line, col);
}

const char *jsonpos_raw(const jsonpos *p, const cJSON *item, size_t *len)
{
        long off = jsonpos_value_offset(p, item);
        size_t end;

        if (off < 0) {
                *len = 0;
                return "";
        }
        end = (size_t)off;
        while (end < p->len && !strchr(",]} \t\r\n", p->text[end]))
                end++;
        *len = end - (size_t)off;
        return p->text + off;
}
