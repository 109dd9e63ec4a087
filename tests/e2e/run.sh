#!/bin/sh
# End-to-end tests of `lockstep run` in live mode, on the real binary.
# usage: run.sh LOCKSTEP SOURCE_ROOT
# Live runs are scheduled by the OS, so these tests assert only what holds under every schedule:
# what the Python program prints (as a set of lines, or in an order the program forces), exit
# codes, and trace invariants (tests/e2e/trace_check.py). Where a classic's outcome depends on the
# schedule (a race, a deadlock), a variant that forces it with events or a barrier is run instead,
# so that every check has one right answer; no check depends on how long something took.
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
        python3 tests/e2e/trace_check.py "$tmp/$1.trace" >"$tmp/check" 2>&1 && ok ||
                { ko "$1: trace invariants"; tail -3 "$tmp/check"; }
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
# no threads at all, as Python's loops over an empty list: start and join do nothing
run_ok 0 nolock -- scenarios/seed/02-lock.json --set THREADS=0
same_lines nolock "Main thread has completed"

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
# A lost update made certain (events order the reads and writes): the assert catches it.
run_ok 1 lost -- tests/e2e/scenarios/lost-update.json
[ "$(cat "$tmp/lost.out")" = "counter = 1" ] && ok || ko "lost-update: wrong output"
# where, as an error says it (it was not said)
grep -qF "tests/e2e/scenarios/lost-update.json:26:7: AssertionError: lost 1 of 2 increments (in MainThread)" "$tmp/lost.err" &&
        ok || ko "lost-update: assert not reported: $(cat "$tmp/lost.err")"
invariants lost
run_ok 3 deadlock -- scenarios/classics/deadlock.json
grep -q "Thread-1 holds lock_a and waits for lock_b held by Thread-2" "$tmp/deadlock.err" && ok ||
        { ko "deadlock: the cycle is not named"; sed 's/^/  | /' "$tmp/deadlock.err" | tail -2; }
# The philosophers, each holding the left fork before any reaches for the right (a barrier):
# a deadlock every time, and the whole cycle named.
run_ok 3 dining -- tests/e2e/scenarios/dining-forced.json
grep -q "Philosopher-0 holds fork_0 and waits for fork_1 held by Philosopher-1; Philosopher-1 holds fork_1 and waits for fork_2 held by Philosopher-2; Philosopher-2 holds fork_2 and waits for fork_0 held by Philosopher-0" \
        "$tmp/dining.err" && ok || { ko "dining: the cycle is not named"; tail -2 "$tmp/dining.err"; }
[ -s "$tmp/dining.out" ] && ko "dining: a philosopher ate" || ok
# A cycle closed while a third thread still sleeps: the run ends (exit 3) only once the third
# has printed its line, as Python prints it before it hangs.
run_ok 3 bystander -- tests/e2e/scenarios/cycle-bystander.json
[ "$(cat "$tmp/bystander.out")" = "Bystander still runs after the cycle closed" ] && ok ||
        ko "bystander: the run ended before the thread off the cycle printed: $(cat "$tmp/bystander.out")"
grep -q "T1 holds a and waits for b held by T2" "$tmp/bystander.err" && ok || ko "bystander: the cycle is not named"
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

# --- the classics of the primitives the seed leaves out, live (their stepped sweeps are in
# docs/teaching.md, run by teaching.sh)
run_ok 0 barrier -- scenarios/classics/barrier.json --set WORKERS=4
# every "finished phase 1" before any "starts phase 2", each worker once, one report
awk '/finished phase 1/ { if (s) bad = 1; f++ } /starts phase 2/ { s++ } /have arrived/ { r++ }
     END { exit bad || f != 4 || s != 4 || r != 1 }' "$tmp/barrier.out" && ok ||
        { ko "barrier: phases out of order"; cat "$tmp/barrier.out"; }
last_line barrier "Main thread has completed"
invariants barrier
run_ok 0 rlock -- scenarios/classics/rlock.json
last_line rlock "balance = 40"
invariants rlock
run_ok 3 lockself -- scenarios/classics/rlock.json --set REENTRANT=False
grep -Eq "lockstep: (Teller-[01]) holds lock and waits for lock held by \1\$" "$tmp/lockself.err" && ok ||
        { ko "rlock with a Lock: not a cycle of one"; tail -2 "$tmp/lockself.err"; }
run_ok 1 bounded -- scenarios/classics/bounded-semaphore.json
[ "$(cat "$tmp/bounded.out")" = "Semaphore(2) lets 3 threads in at once" ] && ok || ko "bounded: output"
grep -q "bounded-semaphore.json:23:11: ValueError: Semaphore released too many times (in Borrower)" \
        "$tmp/bounded.err" && ok || ko "bounded: the ValueError is not at the second release"
run_ok 0 recheck -- scenarios/classics/condition-if.json --set RECHECK=True --set CONSUMERS=3
# each consumer got one item, each item went to one consumer, whatever the order
[ "$(sed -n 's/^Consumer-\([0-9]\) got \([0-9]\)$/\1/p' "$tmp/recheck.out" | sort | paste -sd,)" = 0,1,2 ] &&
        [ "$(sed -n 's/^Consumer-[0-9] got \([0-9]\)$/\1/p' "$tmp/recheck.out" | sort | paste -sd,)" = 0,1,2 ] &&
        ok || { ko "condition-if with RECHECK: items"; cat "$tmp/recheck.out"; }
last_line recheck "left in the buffer: []"
invariants recheck

# --- the new statement scenarios print the same in every live run as in step mode (step.sh)
run_ok 0 phases -- tests/e2e/scenarios/barrier-phases.json
printf 'round 0: 3 arrived\nround 1: 6 arrived\nround 2: 9 arrived\ndone: True\n' | cmp -s - "$tmp/phases.out" &&
        ok || { ko "barrier-phases: output"; cat "$tmp/phases.out"; }
invariants phases
run_ok 0 gate -- tests/e2e/scenarios/gate-notify-all.json
printf 'Latecomer gave up: False\nW0 passed\nW1 passed\nW2 passed\nW3 passed\n' | cmp -s - "$tmp/gate.out" &&
        ok || { ko "gate-notify-all: output"; cat "$tmp/gate.out"; }
invariants gate
run_ok 0 timeouts -- tests/e2e/scenarios/timeouts.json
printf 'lock False, event False, item None\nWaiter still waiting\nbalance 10, at most True two inside\n' |
        cmp -s - "$tmp/timeouts.out" && ok || { ko "timeouts: output"; cat "$tmp/timeouts.out"; }
invariants timeouts
grep -c '"ev": "timeout"' "$tmp/timeouts.trace" | grep -qx 4 && ok || ko "timeouts: not four timeouts"

run_ok 4 over -- tests/e2e/scenarios/over-release.json
printf 'plain semaphore released twice\nbounded semaphore used\n' | cmp -s - "$tmp/over.out" &&
        grep -q "ValueError" "$tmp/over.err" && ok || { ko "over-release"; cat "$tmp/over.out" "$tmp/over.err"; }

# --- trace_check.py fails a trace that breaks an invariant, and one it could check nothing in
python3 - "$tmp/timeouts.trace" "$tmp" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
head, evs = lines[0], [json.loads(l) for l in lines[1:]]
def write(name, events):
    with open(f"{sys.argv[2]}/{name}", "w") as f:
        f.write(head + "\n" + "".join(json.dumps(e) + "\n" for e in events))
# the rlock taken by a second thread while the first holds it
def ev(seq, actor, kind, **kw):
    return dict(seq=seq, t=seq / 1000, actor=actor, ev=kind, **kw)
write("two-holders.trace", [ev(1, "MainThread", "start"), ev(2, "Saver0", "start"),
                            ev(3, "Saver1", "start"), ev(4, "Saver0", "acquired", res="r", num=1),
                            ev(5, "Saver1", "acquired", res="r", num=1)])
write("empty.trace", [])
main = [e for e in evs if e["actor"] == "MainThread" and e["ev"] in ("start", "print")]
for k, e in enumerate(main):
    e["seq"] = k + 1
write("nothing.trace", main)
PY
for t in "two-holders:acquired r while" "empty:no events" "nothing:nothing was checked"; do
        python3 tests/e2e/trace_check.py "$tmp/${t%%:*}.trace" >"$tmp/check" 2>&1
        [ $? -eq 1 ] && grep -q "${t#*:}" "$tmp/check" && ok ||
                { ko "trace_check.py on ${t%%:*}.trace"; cat "$tmp/check"; }
done

# --- crashes: the front end survives and names the actor
run_ok 4 segfault -- tests/e2e/scenarios/crash-segfault.json
grep -q "Crasher crashed the runner with SIGSEGV (signal 11)" "$tmp/segfault.err" && ok ||
        ko "segfault: the crash is not explained"
grep -q "never printed" "$tmp/segfault.out" && ko "segfault: the other thread survived" || ok
run_ok 4 abort -- tests/e2e/scenarios/crash-abort.json
grep -q "Crasher crashed the runner with SIGABRT (signal 6)" "$tmp/abort.err" && ok || ko "abort: not explained"
run_ok 4 exit -- tests/e2e/scenarios/crash-exit.json
grep -q "exit(7)" "$tmp/exit.err" && ok || ko "exit: not explained"
run_ok 4 error -- tests/e2e/scenarios/error.json
grep -q "error.json:7:58: ZeroDivisionError: integer division or modulo by zero (in Divider)$" \
        "$tmp/error.err" && ok || ko "error: not reported with its position and actor"
grep -qx "Other finished" "$tmp/error.out" && ok || ko "error: the other thread did not go on"
# the summary's first word: "crashed" for a crash, not for errors alone ("1 step", not "1 steps")
grep -q "^lockstep: crashed: 3 actors, " "$tmp/segfault.err" && ok || ko "segfault: the summary"
grep -q "^lockstep: an error ended an actor: 3 actors, " "$tmp/error.err" && ok ||
        ko "error: the summary says $(grep '^lockstep: ' "$tmp/error.err" | head -n 1)"
printf '{"lockstep": 1, "title": "t", "summary": "s", "actors": [], "main": [{"print": "x"}]}\n' \
        >"$tmp/one.json"
run_ok 0 onestep -- "$tmp/one.json"
grep -q "^lockstep: done: 1 actor, 1 step, [0-9]* events, " "$tmp/onestep.err" && ok ||
        ko "one step: the summary says $(cat "$tmp/onestep.err")"

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
# A nap of a day: only the time limit can end this run (were it ignored, `timeout` would, 124).
timeout 60 "$bin" run --time-limit 0.5 --set NAP=86400 tests/e2e/scenarios/slow.json \
        >"$tmp/slow.out" 2>"$tmp/slow.err"
x=$?
[ $x -eq 5 ] && grep -q "time limit" "$tmp/slow.err" && ok || ko "time limit: exit $x"
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
