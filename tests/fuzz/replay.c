/*
 * replay.c — runs a fuzz harness over saved inputs, without libFuzzer: the regression corpus.
 *
 * Linked with one harness (its LLVMFuzzerTestOneInput) in the normal build, it feeds every file
 * of every folder given, so `meson test` replays each input the fuzzers found (and the seeds)
 * through the same entry point. A crash, a sanitizer report (in the sanitizer builds) or an
 * abort fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;

        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) != 0) {
                fprintf(stderr, "replay: cannot read %s\n", path);
                if (f != NULL)
                        fclose(f);
                return -1;
        }
        buf = malloc((size_t)n + 1);
        if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
                fprintf(stderr, "replay: cannot read %s\n", path);
                free(buf);
                fclose(f);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)n);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        int files = 0, bad = 0;

        for (int k = 1; k < argc; k++) {
                DIR *dir = opendir(argv[k]);
                struct dirent *e;
                char **names = NULL;
                size_t n = 0;

                if (dir == NULL) {
                        fprintf(stderr, "replay: cannot open the folder %s\n", argv[k]);
                        return 1;
                }
                while ((e = readdir(dir)) != NULL) {
                        if (e->d_name[0] == '.')
                                continue;
                        names = realloc(names, (n + 1) * sizeof(*names));
                        if (names == NULL)
                                return 1;
                        names[n++] = strdup(e->d_name);
                }
                closedir(dir);
                qsort(names, n, sizeof(*names), by_name);
                for (size_t i = 0; i < n; i++) {
                        char path[4096];

                        snprintf(path, sizeof(path), "%s/%s", argv[k], names[i]);
                        printf("%s\n", path);
                        fflush(stdout);
                        bad += replay_file(path) < 0;
                        files++;
                        free(names[i]);
                }
                free(names);
        }
        printf("replayed %d inputs\n", files);
        /* an empty corpus replays nothing and proves nothing */
        return bad > 0 || files == 0;
}
