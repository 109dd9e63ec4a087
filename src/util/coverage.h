/*
 * coverage.h — flush gcov's counters in a process about to end with _exit.
 *
 * A coverage build (meson's b_coverage, which defines LOCKSTEP_COVERAGE) writes its counters from
 * an atexit handler, and _exit skips those: the runner process and a scenario's crash statement
 * would count for nothing. They call coverage_flush first. In every other build it does nothing.
 */
#ifndef LOCKSTEP_UTIL_COVERAGE_H
#define LOCKSTEP_UTIL_COVERAGE_H

void coverage_flush(void);

#endif
