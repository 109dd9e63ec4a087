/*
 * guard.h — which statements need no memory lock: a static look at a scenario's lock discipline.
 *
 * Every statement that reads or writes shared data (a var, list, dict, Value or Array) takes the
 * engine's memory lock for its duration (statement atomicity). When every access to a datum that
 * can run beside another is made inside `with L` for one lock L, L already keeps those accesses
 * apart, and the memory lock adds nothing but two locked operations a statement: such a statement
 * is marked guarded, and the engine runs it without the memory lock. The rules, from the safe
 * side (anything not proved is not guarded):
 *
 * - L is a lock, an rlock or a condition (its lock), that no `acquire` or `release` statement
 *   names anywhere (so only `with` blocks hold it, and no one can release it under a holder);
 * - every access of the datum is lexically inside a `with` of L — its own statement's
 *   expressions, captions and texts, not a lambda's body (called wherever it goes), `append`
 *   and `pop`, and the copy of every var, list and dict that starting a process or a pool's
 *   workers makes;
 * - but for main's top-level statements at a point where no actor that touches the datum can be
 *   running: not started yet, or joined (without a timeout) since it was started — the
 *   `print` of a result after the joins. An actor started anywhere but at main's top level, or
 *   started with the run, counts as running from the start to the end;
 * - a datum kept by the manager is never guarded (each access is a request anyway).
 *
 * guard_mark sets sc_stmt.guarded; the loader calls it once a scenario has loaded.
 */
#ifndef LOCKSTEP_SCENARIO_GUARD_H
#define LOCKSTEP_SCENARIO_GUARD_H

#include "scenario.h"

void guard_mark(scenario *sc);

#endif
