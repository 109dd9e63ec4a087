/*
 * fuzz_schedule.c — libFuzzer harness for schedule files (src/session/schedule.c).
 *
 * Every input is parsed as a schedule file (untrusted input: whatever it holds, the reader must
 * answer with diagnostics, never crash, hang or leak) and, when it parses, resolved against a
 * small scenario. Then the bytes are tried as an actor's name: when the loader takes a scenario
 * with an actor of that name, a schedule written for it must read back to the same moves,
 * seed and --set value (whatever lockstep writes, it reads back).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "session/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_text[] =
    "{\"lockstep\": 1, \"title\": \"Fuzz\", \"summary\": \"Two actors.\",\n"
    " \"actors\": [{\"name\": \"A\", \"run\": []}, {\"name\": \"B * 2\", \"run\": []}]}\n";

static void parse_and_resolve(const char *data, size_t size)
{
        scenario_options opt = { .cpu_count = 2 };
        scenario *sc;
        schedule s;
        diag d;
        int *moves;

        diag_init(&d, 20);
        sc = scenario_load_text("fuzz.json", fixed_text, strlen(fixed_text), &opt, &d);
        if (sc == NULL)
                abort();
        if (schedule_parse("fuzz.sched", data, size, &s, &d) == 0) {
                if (schedule_resolve(&s, sc, &moves, &d) == 0) {
                        for (size_t k = 0; k < s.n; k++)
                                if (moves[k] < 0 || moves[k] > sc->nactors)
                                        abort();
                        free(moves);
                }
                schedule_free(&s);
        }
        scenario_free(sc);
        diag_free(&d);
}

/* DATA as the name of an actor: written, then read back. */
static void round_trip(const char *data, size_t size)
{
        scenario_options opt = { .cpu_count = 2 };
        char *name = strndup(data, size), *text, path[] = "/tmp/fuzz-schedule-XXXXXX", err[256];
        cJSON *root = cJSON_CreateObject(), *actors, *actor;
        const char *set[] = { name };
        int moves[] = { 0, 0, 1, 0 }, *back = NULL, fd;
        scenario *sc;
        schedule s;
        diag d;

        if (strlen(name) != size) { /* a NUL: no name holds one */
                free(name);
                cJSON_Delete(root);
                return;
        }
        cJSON_AddNumberToObject(root, "lockstep", 1);
        cJSON_AddStringToObject(root, "title", "Fuzz");
        cJSON_AddStringToObject(root, "summary", "s");
        actors = cJSON_AddArrayToObject(root, "actors");
        actor = cJSON_CreateObject();
        cJSON_AddStringToObject(actor, "name", name);
        cJSON_AddArrayToObject(actor, "run");
        cJSON_AddItemToArray(actors, actor);
        text = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        diag_init(&d, 20);
        sc = scenario_load_text("fuzz.json", text, strlen(text), &opt, &d);
        /* a name with '{' is a template, and may render to another name: only exact ones */
        if (sc == NULL || sc->nactors != 1 || strcmp(scenario_actor_name(sc, 0), name) != 0)
                goto out;
        fd = mkstemp(path);
        if (fd < 0)
                abort();
        close(fd);
        if (schedule_write(path, sc, moves, 4, 42, strchr(name, '=') ? set : NULL,
                           strchr(name, '=') ? 1 : 0, err, sizeof(err)) != 0)
                abort();
        if (schedule_read(path, &s, &d) != 0 || schedule_resolve(&s, sc, &back, &d) != 0) {
                diag_print(&d, stderr);
                abort();
        }
        if (s.n != 4 || memcmp(back, moves, sizeof(moves)) != 0 || !s.has_seed || s.seed != 42 ||
            (strchr(name, '=') && (s.nset != 1 || strcmp(s.set[0], name) != 0)))
                abort();
        free(back);
        schedule_free(&s);
        unlink(path);
out:
        scenario_free(sc);
        diag_free(&d);
        cJSON_free(text);
        free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        parse_and_resolve((const char *)data, size);
        if (size > 0 && size <= SC_MAX_NAME)
                round_trip((const char *)data, size);
        return 0;
}
