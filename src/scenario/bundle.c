/*
 * bundle.c — find and list the bundled scenarios; see bundle.h.
 */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "../util/xalloc.h"
#include "config.h"
#include "diag.h"
#include "scenario.h"

static int is_dir(const char *p)
{
        struct stat st;

        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
        struct stat st;

        return stat(p, &st) == 0;
}

/* Returns DIR when DIR/scenarios is a folder, else frees it and returns NULL. */
static char *try_dir(char *dir)
{
        strbuf sb = STRBUF_INIT;
        int ok;

        if (dir == NULL)
                return NULL;
        strbuf_printf(&sb, "%s/scenarios", dir);
        ok = is_dir(strbuf_str(&sb));
        strbuf_free(&sb);
        if (ok)
                return dir;
        free(dir);
        return NULL;
}

char *bundle_data_dir(void)
{
        const char *env = getenv("LOCKSTEP_DATA_DIR");
        char exe[PATH_MAX], *slash, *d;
        ssize_t n;

        if (env != NULL && env[0] != '\0')
                return try_dir(xstrdup(env));
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                strbuf sb = STRBUF_INIT;

                exe[n] = '\0';
                slash = strrchr(exe, '/');
                if (slash != NULL)
                        *slash = '\0';
                /* A meson build folder: use the source tree it was configured from. */
                strbuf_printf(&sb, "%s/build.ninja", exe);
                if (exists(strbuf_str(&sb)) && (d = try_dir(xstrdup(LOCKSTEP_SOURCE_ROOT))))
                        return strbuf_free(&sb), d;
                strbuf_reset(&sb);
                strbuf_printf(&sb, "%s/../share/lockstep", exe);
                if ((d = try_dir(strbuf_detach(&sb))))
                        return d;
        }
        return try_dir(xstrdup(LOCKSTEP_DATADIR));
}

static void scan(bundle *b, const char *root, const char *rel, size_t *cap, int depth)
{
        /* the root "/" has its separator already */
        const char *sep = root[0] != '\0' && root[strlen(root) - 1] == '/' ? "" : "/";
        strbuf dirpath = STRBUF_INIT;
        struct dirent *e;
        DIR *dir;

        if (depth > 4)
                return;
        strbuf_printf(&dirpath, "%s%s%s", root, rel[0] ? sep : "", rel);
        dir = opendir(strbuf_str(&dirpath));
        if (dir == NULL) {
                strbuf_free(&dirpath);
                return;
        }
        while ((e = readdir(dir)) != NULL) {
                strbuf sub = STRBUF_INIT, full = STRBUF_INIT;
                size_t len = strlen(e->d_name);

                if (e->d_name[0] == '.')
                        continue;
                strbuf_printf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
                strbuf_printf(&full, "%s%s%s", root, sep, strbuf_str(&sub));
                if (is_dir(strbuf_str(&full))) {
                        scan(b, root, strbuf_str(&sub), cap, depth + 1);
                } else if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
                        b->entries = xgrow(b->entries, cap, b->n + 1, sizeof(bundle_entry));
                        b->entries[b->n++] = (bundle_entry){ .path = strbuf_detach(&full),
                                                             .rel = strbuf_detach(&sub) };
                }
                strbuf_free(&sub);
                strbuf_free(&full);
        }
        closedir(dir);
        strbuf_free(&dirpath);
}

static int by_rel(const void *a, const void *b)
{
        return strcmp(((const bundle_entry *)a)->rel, ((const bundle_entry *)b)->rel);
}

int bundle_scan(bundle *b, const char *dir, char *err, size_t errlen)
{
        size_t cap = 0;

        memset(b, 0, sizeof(*b));
        if (!is_dir(dir)) {
                snprintf(err, errlen, "%s: %s", dir, strerror(ENOENT));
                return -1;
        }
        /* DIR/ or DIR//: the paths read DIR/x.json all the same */
        b->dir = xstrdup(dir);
        for (size_t len = strlen(b->dir); len > 1 && b->dir[len - 1] == '/'; len--)
                b->dir[len - 1] = '\0';
        scan(b, b->dir, "", &cap, 0);
        if (b->n > 1) /* an empty folder has no entries at all: qsort's NULL is undefined */
                qsort(b->entries, b->n, sizeof(bundle_entry), by_rel);
        return 0;
}

int bundle_open(bundle *b, const char *datadir, char *err, size_t errlen)
{
        strbuf root = STRBUF_INIT;
        int rc;

        strbuf_printf(&root, "%s/scenarios", datadir);
        rc = bundle_scan(b, strbuf_str(&root), err, errlen);
        strbuf_free(&root);
        if (rc < 0)
                return -1;
        for (size_t k = 0; k < b->n; k++) {
                bundle_entry *e = &b->entries[k];
                diag d;
                scenario *sc;

                diag_init(&d, 1);
                sc = scenario_load(e->path, NULL, &d);
                if (sc != NULL) {
                        strbuf tags = STRBUF_INIT;

                        e->title = xstrdup(sc->title);
                        e->summary = xstrdup(sc->summary);
                        for (int t = 0; t < sc->ntags; t++)
                                strbuf_printf(&tags, "%s%s", t ? "," : "", sc->tags[t]);
                        e->tags = strbuf_detach(&tags);
                        scenario_free(sc);
                } else {
                        e->tags = xstrdup("");
                }
                diag_free(&d);
        }
        return 0;
}

void bundle_close(bundle *b)
{
        for (size_t k = 0; k < b->n; k++) {
                free(b->entries[k].path);
                free(b->entries[k].rel);
                free(b->entries[k].title);
                free(b->entries[k].summary);
                free(b->entries[k].tags);
        }
        free(b->entries);
        free(b->dir);
        memset(b, 0, sizeof(*b));
}
