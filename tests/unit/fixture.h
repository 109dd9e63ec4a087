/*
 * fixture.h — what the unit tests share: a scenario from JSON text, and a statement found by its
 * place in a script.
 */
#ifndef LOCKSTEP_TESTS_FIXTURE_H
#define LOCKSTEP_TESTS_FIXTURE_H

#include "scenario/scenario.h"

/* The scenario of TEXT (file name t.json) loaded with OPT (NULL: the defaults); its errors
 * printed and the test failed when it does not load. */
scenario *fixture_load_with(const char *text, const scenario_options *opt);
/* The same with 4 CPUs and no --set. */
scenario *fixture_load(const char *text);
/* The id of statement K (pre-order, from 0) of actor A's script; A = nactors is the main thread. */
int fixture_stmt_id(const scenario *sc, int a, int k);

#endif
