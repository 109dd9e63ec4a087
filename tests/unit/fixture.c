/*
 * fixture.c — scenarios for the unit tests (see fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"

scenario *fixture_load_with(const char *text, const scenario_options *opt)
{
        scenario *sc;
        diag d;

        diag_init(&d, 20);
        sc = scenario_load_text("t.json", text, strlen(text), opt, &d);
        if (sc == NULL)
                diag_print(&d, stderr);
        diag_free(&d);
        assert_non_null(sc);
        return sc;
}

scenario *fixture_load(const char *text)
{
        scenario_options opt = { .cpu_count = 4 };

        return fixture_load_with(text, &opt);
}

typedef struct nth {
        int k, id;
} nth;

static void nth_fn(const sc_stmt *s, void *ctx)
{
        nth *n = ctx;

        if (n->k-- == 0)
                n->id = s->id;
}

int fixture_stmt_id(const scenario *sc, int a, int k)
{
        int script = a < sc->nactors ? sc->actors[a].script : sc->main_script;
        nth n = { k, -1 };

        scenario_walk(&sc->scripts[script].body, nth_fn, &n);
        assert_true(n.id >= 0);
        return n.id;
}
