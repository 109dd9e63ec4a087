/*
 * bundle.h — the scenarios that ship with lockstep: where they are and what they say.
 *
 * The folder is found the same way whether lockstep runs from its build folder or after
 * `meson install`: $LOCKSTEP_DATA_DIR when set, the source tree when the binary sits in a meson
 * build folder, <prefix>/share/lockstep next to an installed binary, then the configured data
 * dir.
 */
#ifndef LOCKSTEP_SCENARIO_BUNDLE_H
#define LOCKSTEP_SCENARIO_BUNDLE_H

#include <stddef.h>

typedef struct bundle_entry {
        char *path;  /* full path */
        char *rel;   /* relative to the bundle folder: seed/01-thread.json */
        char *title; /* NULL when the file does not load */
        char *summary;
        char *tags; /* comma-separated, or "" */
} bundle_entry;

typedef struct bundle {
        char *dir;
        bundle_entry *entries; /* sorted by rel */
        size_t n;
} bundle;

/* The data folder (holding scenarios/ and scenario.schema.json), or NULL; free() it. */
char *bundle_data_dir(void);
/* Lists every *.json under DIR/scenarios, loading each for its title. Returns 0, or -1 when
 * the folder cannot be read (the reason in ERR). */
int bundle_open(bundle *b, const char *datadir, char *err, size_t errlen);
/* Lists every *.json under DIR (its subfolders too, a few deep; names starting with '.' left
 * out), sorted, without loading them: path and rel only. Returns 0, or -1 when DIR is not a
 * folder (the reason in ERR). */
int bundle_scan(bundle *b, const char *dir, char *err, size_t errlen);
void bundle_close(bundle *b);

#endif
