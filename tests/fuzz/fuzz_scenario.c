/*
 * fuzz_scenario.c — libFuzzer harness for the scenario loader and the expression language.
 *
 * Every input is loaded as a scenario file (untrusted input: whatever it holds, the loader must
 * answer with diagnostics, never crash, hang or leak), and, as an expression and as a template,
 * parsed and evaluated with constants only. Build: CC=clang meson setup build-fuzz -Dfuzz=true,
 * then build-fuzz/tests/fuzz/fuzz_scenario [corpus folder].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario/diag.h"
#include "scenario/expr.h"
#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_names(void *ctx, int32_t ref, const char *name, value *out, expr_error *err)
{
        (void)ctx;
        (void)ref;
        (void)out;
        snprintf(err->msg, sizeof(err->msg), "NameError: name '%s' is not defined", name);
        return -1;
}

static int resolve_any(void *ctx, const char *name, int offset, int32_t *ref)
{
        (void)ctx;
        (void)name;
        (void)offset;
        *ref = 0;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        scenario_options opt = { .cpu_count = 2 };
        uint64_t rng = 1;
        expr_env env = { .load = no_names, .rng = &rng, .cpu_count = 2 };
        expr_error err;
        diag d;
        scenario *sc;
        expr *e;
        expr_template *t;

        diag_init(&d, DIAG_DEFAULT_CAP);
        sc = scenario_load_text("fuzz.json", (const char *)data, size, &opt, &d);
        scenario_free(sc);
        diag_free(&d);
        if (size <= EXPR_MAX_LEN) {
                e = expr_parse((const char *)data, size, &err);
                if (e != NULL) {
                        value v;

                        expr_resolve(e, resolve_any, NULL);
                        if (expr_eval(e, &env, &v, &err) == 0)
                                value_drop(&v);
                        expr_free(e);
                }
                t = expr_template_parse((const char *)data, size, &err);
                if (t != NULL) {
                        strbuf sb = STRBUF_INIT;

                        expr_template_resolve(t, resolve_any, NULL);
                        expr_template_render(t, &env, &sb, &err);
                        strbuf_free(&sb);
                        expr_template_free(t);
                }
        }
        return 0;
}
