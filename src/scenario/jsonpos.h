/*
 * jsonpos.h — where each cJSON value came from in the text.
 *
 * cJSON keeps no positions, but it keeps members and elements in text order. jsonpos scans the
 * same (already successfully parsed) text once, records where every value and every object key
 * starts, in pre-order, and pairs that list with a pre-order walk of the cJSON tree. Lookups are
 * then a binary search by node address. Lines and columns are 1-based; a column counts Unicode
 * characters, not bytes, so it matches what an editor shows.
 */
#ifndef LOCKSTEP_SCENARIO_JSONPOS_H
#define LOCKSTEP_SCENARIO_JSONPOS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct jsonpos jsonpos;

/* What ITEM is, for a message: "a string", "a number", "a boolean", "null", "an array",
 * "an object". */
const char *jsonpos_type_name(const cJSON *item);

/* Line and column of byte OFFSET in TEXT. */
void jsonpos_linecol(const char *text, size_t len, size_t offset, int *line, int *col);

/* Indexes ROOT, which cJSON parsed from TEXT. Returns NULL when the text and the tree disagree
 * (which would be a bug) . MAX_DEPTH_SEEN receives the deepest nesting of arrays and objects and
 * DEEP_OFFSET where it first went past LIMIT (or -1). */
jsonpos *jsonpos_build(const char *text, size_t len, const cJSON *root, int limit,
                       long *deep_offset);
void jsonpos_free(jsonpos *p);

/* Byte offset where ITEM's value starts, or of the key naming it; -1 when unknown. */
long jsonpos_value_offset(const jsonpos *p, const cJSON *item);
long jsonpos_key_offset(const jsonpos *p, const cJSON *item);
/* Line and column of ITEM's value, of its key (falls back to the value), and of byte OFFSET of
 * its decoded string (escapes taken into account). Unknown items give line 0. */
void jsonpos_value(const jsonpos *p, const cJSON *item, int *line, int *col);
void jsonpos_key(const jsonpos *p, const cJSON *item, int *line, int *col);
void jsonpos_in_string(const jsonpos *p, const cJSON *item, size_t offset, int *line, int *col);
/* The raw text of a number value (for telling 5 from 5.0 and reading big integers exactly). */
const char *jsonpos_raw(const jsonpos *p, const cJSON *item, size_t *len);

#endif
