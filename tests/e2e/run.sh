#!/bin/sh
# End-to-end tests of `lockstep run` in live mode, on the real binary.
# usage: run.sh LOCKSTEP SOURCE_ROOT
# Live runs are scheduled by the OS, so these tests assert only what holds under every schedule:
# what the Python program prints (as a set of lines, or in an order the program forces), exit
# codes, and trace invariants (tests/e2e/trace_check.py). Deadlocks are made certain by sleeps.
. "$(dirname "$0")/lib.sh" "$1" "$2"

# run_ok WANT_EXIT NAME -- ARGS...: runs lockstep run ARGS, output in $tmp/NAME.{out,err,trace}
run_ok() {
        want=$1; name=$2; shift 3
        "$bin" run --trace "$tmp/$name.trace" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
        got=$?
        if [ "$got" -eq "$want" ]; then ok; else
                ko "$name: exit $got, wanted $want"; sed 's/^/  | /' "$tmp/$name.err" | tail -5; fi
}
# same_lines NAME EXPECTED...: stdout has exactly these lines, in any order
same_lines() {
        name=$1; shift
        printf '%s\n' "$@" | sort >"$tmp/want"
        sort "$tmp/$name.out" >"$tmp/got"
        if cmp -s "$tmp/want" "$tmp/got"; then ok; else
                ko "$name: output differs (want vs got, sorted):"; diff "$tmp/want" "$tmp/got" | head -10; fi
}
last_line() {
        [ "$(tail -n 1 "$tmp/$1.out")" = "$2" ] && ok || ko "$1: last line is not '$2'"
}
invariants() {
        python3 tests/e2e/trace_check.py "$tmp/$1.trace" >/dev/null 2>"$tmp/check" &&
                python3 tests/e2e/trace_check.py "$tmp/$1.trace" >/dev/null && ok ||
                { ko "$1: trace invariants"; python3 tests/e2e/trace_check.py "$tmp/$1.trace" | tail -3; }
}

# --- the thread examples of the seed print what the Python programs print
run_ok 0 thread -- scenarios/seed/01-thread.json
same_lines thread "Thread MyCustomThread (1) is running" "Main thread has completed"
last_line thread "Main thread has completed"
invariants thread

run_ok 0 lock -- scenarios/seed/02-lock.json
same_lines lock "Thread MyCustomThread-0 (0) is running in a critical section" \
        "Thread MyCustomThread-1 (1) is running in a critical section" \
        "Thread MyCustomThread-2 (2) is running in a critical section" "Main thread has completed"
last_line lock "Main thread has completed"
invariants lock

run_ok 0 semaphore -- scenarios/seed/03-semaphore.json
lines=""
for i in 0 1 2 3 4; do
        grep -qx "Thread MyCustomThread-$i ($i) has entered the critical section." "$tmp/semaphore.out" &&
        grep -qx "Thread MyCustomThread-$i ($i) is leaving the critical section." "$tmp/semaphore.out" && ok ||
                ko "semaphore: MyCustomThread-$i did not enter and leave"
done
last_line semaphore "Main thread has completed"
invariants semaphore
# at most two inside at any moment, read from the printed order
awk '/has entered/ { n++; if (n > 2) bad = 1 } /is leaving/ { n-- } END { exit bad }' \
        "$tmp/semaphore.out" && ok || ko "semaphore: three threads inside at once"

run_ok 0 event -- scenarios/seed/04-event.json
same_lines event "Worker is starting work" "Waiter is waiting for event" "Worker has finished work" \
        "Waiter has noticed that the event was set" "Main thread has completed"
awk '/Worker has finished work/ { f = NR } /Waiter has noticed/ { n = NR } END { exit !(f && n > f) }' \
        "$tmp/event.out" && ok || ko "event: the waiter went on before the event was set"

run_ok 0 condition -- scenarios/seed/05-condition.json --set ITEMS=8
grep '^Produced' "$tmp/condition.out" | sed 's/Produced //' >"$tmp/produced"
grep '^Consumed' "$tmp/condition.out" | sed 's/Consumed //' >"$tmp/consumed"
[ "$(wc -l <"$tmp/produced")" -eq 8 ] && cmp -s "$tmp/produced" "$tmp/consumed" && ok ||
        ko "condition: consumed items differ from produced items (in order)"
invariants condition

run_ok 0 names -- scenarios/seed/14-thread-names.json
grep -qx "MainThread" "$tmp/names.out" && ok || ko "names: main does not print MainThread"
for i in 0 1 2; do
        grep -q "worker_thread-$i" "$tmp/names.out" && ok || ko "names: worker_thread-$i missing"
done

# --- the same seed gives the same random numbers
run_ok 0 seed1 -- scenarios/seed/05-condition.json --set ITEMS=4 --seed 7
run_ok 0 seed2 -- scenarios/seed/05-condition.json --set ITEMS=4 --seed 7
grep '^Produced' "$tmp/seed1.out" >"$tmp/p1"; grep '^Produced' "$tmp/seed2.out" >"$tmp/p2"
cmp -s "$tmp/p1" "$tmp/p2" && ok || ko "the same --seed gave different random() values"
run_ok 0 seed3 -- scenarios/seed/05-condition.json --set ITEMS=4 --seed 8
grep '^Produced' "$tmp/seed3.out" >"$tmp/p3"
cmp -s "$tmp/p1" "$tmp/p3" && ko "--seed 7 and --seed 8 gave the same numbers" || ok

# --- classics
run_ok 0 race-fixed -- scenarios/classics/race-fixed.json
grep -q "counter = 200 (expected 200)" "$tmp/race-fixed.out" && ok || ko "race-fixed: lost an update"
invariants race-fixed
"$bin" run scenarios/classics/race.json >"$tmp/race.out" 2>"$tmp/race.err"
case $? in
0) grep -q "counter = 200 (expected 200)" "$tmp/race.out" && ok || ko "race: exit 0 with a wrong count" ;;
1) grep -q "AssertionError" "$tmp/race.err" && ok || ko "race: exit 1 without the assertion" ;;
*) ko "race: exit status $?" ;;
esac
start=$(date +%s)
run_ok 3 deadlock -- scenarios/classics/deadlock.json
[ $(($(date +%s) - start)) -le 5 ] && ok || ko "deadlock: took more than 5 s to end"
grep -q "Thread-1 holds lock_a and waits for lock_b held by Thread-2" "$tmp/deadlock.err" && ok ||
        { ko "deadlock: the cycle is not named"; sed 's/^/  | /' "$tmp/deadlock.err" | tail -2; }
# Live, the philosophers may or may not deadlock; when they do, the cycle must be named.
"$bin" run scenarios/classics/dining-philosophers.json >"$tmp/dining.out" 2>"$tmp/dining.err"
case $? in
0) ok ;;
3) grep -q "Philosopher-.* holds fork_.* and waits for fork_" "$tmp/dining.err" && ok ||
        ko "dining: deadlock without a named cycle" ;;
*) ko "dining: unexpected exit status" ;;
esac
run_ok 3 self -- tests/e2e/scenarios/self-deadlock.json
grep -q "T holds l and waits for l held by T" "$tmp/self.err" && ok || ko "self-deadlock: not named"
run_ok 0 ordered -- scenarios/classics/dining-philosophers-ordered.json
invariants ordered

# --- the GIL: workers compute only while holding it; without it there is no GIL at all
run_ok 0 gil -- scenarios/classics/gil.json --set CHUNKS=4 --set CHUNK_MS=5
invariants gil
grep -q '"res": "GIL"' "$tmp/gil.trace" && ok || ko "gil: the GIL never changed hands"
run_ok 0 nogil -- scenarios/classics/gil.json --set CHUNKS=4 --set CHUNK_MS=5 --set USE_GIL=False
grep -q '"GIL"' "$tmp/nogil.trace" && ko "nogil: a GIL appeared with USE_GIL=False" || ok

# --- queues between threads: every item once, FIFO
run_ok 0 queue -- tests/e2e/scenarios/queue-fifo.json
grep -qx "total 400" "$tmp/queue.out" && ok || ko "queue: items lost or duplicated"
invariants queue

# --- crashes: the front end survives and names the actor
run_ok 4 segfault -- tests/e2e/scenarios/crash-segfault.json
grep -q "Crasher crashed the runner" "$tmp/segfault.err" && grep -qi "segmentation" "$tmp/segfault.err" && ok ||
        ko "segfault: the crash is not explained"
grep -q "never printed" "$tmp/segfault.out" && ko "segfault: the other thread survived" || ok
run_ok 4 abort -- tests/e2e/scenarios/crash-abort.json
grep -qi "abort" "$tmp/abort.err" && ok || ko "abort: not explained"
run_ok 4 exit -- tests/e2e/scenarios/crash-exit.json
grep -q "exit(7)" "$tmp/exit.err" && ok || ko "exit: not explained"
run_ok 4 error -- tests/e2e/scenarios/error.json
grep -q "error.json:7:58: ZeroDivisionError: integer division or modulo by zero (in Divider)$" \
        "$tmp/error.err" && ok || ko "error: not reported with its position and actor"
grep -qx "Other finished" "$tmp/error.out" && ok || ko "error: the other thread did not go on"

# --- no float-to-int conversion overflows: n = 2**63 - 1 is a valid int (its double, 2**63, is
# never cast); work of 1e18 ms is cut to 1e6 s (the trace says so, in ns) and the time limit
# ends it; --speed 1e-300 pauses (cut to 1e6 s) instead of not at all; a NaN sleep is an error
run_ok 0 notifymax -- tests/e2e/scenarios/notify-max.json
grep -qx "notified" "$tmp/notifymax.out" && ok || ko "notify-max: did not go on"
run_ok 5 workforever -- --time-limit 0.3 tests/e2e/scenarios/work-forever.json
grep -q '"ev": "work", .*"num": 1000000000000000,' "$tmp/workforever.trace" && ok ||
        ko "work-forever: the work is not cut to 1e6 s"
run_ok 5 tinyspeed -- --time-limit 0.3 --speed 0.001 tests/e2e/scenarios/notify-max.json
[ ! -s "$tmp/tinyspeed.out" ] && ok || ko "--speed 0.001: the step was not paused"
run_ok 4 sleepnan -- tests/e2e/scenarios/sleep-nan.json
grep -q "ValueError: sleep must be a number, not NaN (in S)$" "$tmp/sleepnan.err" && ok ||
        ko "sleep-nan: wrong message"

# --- a print over 64 KiB is cut, and says so
run_ok 0 longprint -- tests/e2e/scenarios/long-print.json
[ "$(head -c 65536 "$tmp/longprint.out" | tail -c 9)" = "... (cut)" ] &&
        [ "$(wc -c <"$tmp/longprint.out")" -eq 65537 ] && ok || ko "long-print: not cut with a mark"

# --- the run's values have a total cap: distinct 1 MB strings end in a MemoryError, exit 4
LOCKSTEP_MAX_VALUE_MIB=64 run_ok 4 hog -- tests/e2e/scenarios/memory-hog.json
grep -q "MemoryError: the run.s values take more than 64 MiB (the limit) (in Hog)$" "$tmp/hog.err" &&
        ok || ko "memory-hog: no MemoryError"
[ ! -s "$tmp/hog.out" ] && ok || ko "memory-hog: went on after the MemoryError"

# --- time limit, --set, usage
start=$(date +%s)
run_ok 5 slow -- tests/e2e/scenarios/slow.json --time-limit 0.5
[ $(($(date +%s) - start)) -le 3 ] && ok || ko "time limit: took too long"
run_ok 0 slowset -- tests/e2e/scenarios/slow.json --set NAP=0.1
grep -qx "woke after 0.1" "$tmp/slowset.out" && ok || ko "--set did not change the constant"
"$bin" run >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "run without a file"
"$bin" run --seed x scenarios/seed/01-thread.json >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "run --seed x"
"$bin" run --bogus scenarios/seed/01-thread.json >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "run --bogus"
"$bin" run --set NOPE=1 scenarios/seed/01-thread.json >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && ok || ko "run --set NOPE"
"$bin" run tests/bad/put-on-lock.json >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "put-on-lock.json:6:48" "$tmp/err" && ok || ko "run of a bad file"
"$bin" run --prefix scenarios/seed/01-thread.json >"$tmp/prefix.out" 2>/dev/null
grep -qx "\[MyCustomThread\] Thread MyCustomThread (1) is running" "$tmp/prefix.out" && ok || ko "--prefix"

finish
