#!/bin/sh
# End-to-end tests of step mode: lockstep is the scheduler (`lockstep run --step`).
# usage: step.sh LOCKSTEP SOURCE_ROOT
# Everything here is deterministic: the same seed or schedule gives the same trace, so these
# tests assert exact outcomes; the live-to-step test asserts a property of every live run.
. "$(dirname "$0")/lib.sh" "$1" "$2"
# a trace without its times and header: what must be identical between two runs
events() { grep -v '"lockstep_trace"' "$1" | sed 's/"t": *[0-9.e-]*, *//'; }

# --- the same seed twice gives the same trace, for every bundled thread scenario
for f in scenarios/seed/01-thread.json scenarios/seed/02-lock.json scenarios/seed/03-semaphore.json \
        scenarios/seed/04-event.json scenarios/seed/05-condition.json \
        scenarios/seed/14-thread-names.json scenarios/classics/*.json tests/e2e/scenarios/queue-fifo.json; do
        for k in 1 2; do
                timeout 60 "$bin" run --step --seed 11 --trace "$tmp/t$k" "$f" >"$tmp/o$k" 2>"$tmp/e$k"
                echo $? >"$tmp/x$k"
        done
        events "$tmp/t1" >"$tmp/a"; events "$tmp/t2" >"$tmp/b"
        if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/x1" "$tmp/x2" && [ -s "$tmp/a" ]; then ok; else
                ko "$f: two runs with --seed 11 differ"; diff "$tmp/a" "$tmp/b" | head -4; fi
done
# ... and round-robin too
for k in 1 2; do "$bin" run --step --policy round-robin --trace "$tmp/r$k" scenarios/classics/race.json >/dev/null 2>&1; done
events "$tmp/r1" >"$tmp/a"; events "$tmp/r2" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok || ko "round-robin: two runs differ"
# different seeds give different interleavings
"$bin" run --step --seed 1 --trace "$tmp/s1" scenarios/classics/race.json >/dev/null 2>&1
"$bin" run --step --seed 2 --trace "$tmp/s2" scenarios/classics/race.json >/dev/null 2>&1
events "$tmp/s1" >"$tmp/a"; events "$tmp/s2" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ko "seeds 1 and 2 gave the same run" || ok

# --- a stepped run that nobody steers is scheduled inside the runner (session.c, runner_may_step;
# stepper.h): the same trace, output and exit status as when the front end schedules it, which
# it does when the grants are recorded (--save-schedule) — every thread scenario, bundled and of
# these tests (deadlocks, errors, timeouts, barriers, conditions, FIFO hand-offs), two seeds and
# round-robin, and the step limit falling mid-run
for f in scenarios/seed/01-thread.json scenarios/seed/02-lock.json scenarios/seed/03-semaphore.json \
        scenarios/seed/04-event.json scenarios/seed/05-condition.json scenarios/seed/14-thread-names.json \
        scenarios/classics/race.json scenarios/classics/race-fixed.json scenarios/classics/deadlock.json \
        scenarios/classics/dining-philosophers.json scenarios/classics/gil.json scenarios/classics/handoff.json \
        tests/e2e/scenarios/queue-fifo.json tests/e2e/scenarios/barrier-phases.json \
        tests/e2e/scenarios/gate-notify-all.json tests/e2e/scenarios/timeouts.json \
        tests/e2e/scenarios/fifo-lock.json tests/e2e/scenarios/unnotified.json \
        tests/e2e/scenarios/every-primitive.json tests/e2e/scenarios/many-actors.json \
        tests/e2e/scenarios/errors-everywhere.json tests/e2e/scenarios/crowd-waiters.json \
        tests/e2e/scenarios/barrier-condition-crowd.json tests/e2e/scenarios/big-texts.json \
        tests/e2e/scenarios/assert-then-error.json; do
        for how in "--seed 1" "--seed 2 --handoff fifo" "--policy round-robin" "--seed 3 --max-steps 25"; do
                # shellcheck disable=SC2086
                timeout 60 "$bin" run --step $how --trace "$tmp/ra" "$f" >"$tmp/oa" 2>"$tmp/ea"; xa=$?
                # shellcheck disable=SC2086
                timeout 60 "$bin" run --step $how --save-schedule "$tmp/ss" --trace "$tmp/rb" "$f" >"$tmp/ob" 2>"$tmp/eb"; xb=$?
                events "$tmp/ra" >"$tmp/a"; events "$tmp/rb" >"$tmp/b"
                if [ $xa -eq $xb ] && cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/oa" "$tmp/ob" && [ -s "$tmp/a" ] &&
                        [ "$(sed -E 's/, [0-9.]+ s( |$)/\1/' "$tmp/ea")" = "$(sed -E 's/, [0-9.]+ s( |$)/\1/' "$tmp/eb")" ]; then ok; else
                        ko "$f $how: scheduled in the runner (exit $xa) and by the front end (exit $xb), not the same run"
                        diff "$tmp/a" "$tmp/b" | head -4; fi
        done
done
# ... replaying a schedule too (the runner grants its moves first, then goes on by the policy),
# one that breaks off (a move of an actor that cannot move: exit 2) and one that names nobody
printf 'MainThread * 2\nThread-1 * 1000\n' >"$tmp/cant.sched"
for f in scenarios/classics/race.json scenarios/seed/05-condition.json scenarios/classics/dining-philosophers.json \
        tests/e2e/scenarios/every-primitive.json; do
        "$bin" run --step --seed 4 --save-schedule "$tmp/rs.sched" "$f" >/dev/null 2>&1
        head -c 60 "$tmp/rs.sched" >"$tmp/rs-short.sched" # part of a move list: the policy goes on
        for sched in rs rs-short cant; do
                timeout 60 "$bin" run --step --seed 6 --schedule "$tmp/$sched.sched" --trace "$tmp/ra" "$f" \
                        >"$tmp/oa" 2>"$tmp/ea"; xa=$?
                timeout 60 "$bin" run --step --seed 6 --schedule "$tmp/$sched.sched" --save-schedule "$tmp/ss" \
                        --trace "$tmp/rb" "$f" >"$tmp/ob" 2>"$tmp/eb"; xb=$?
                events "$tmp/ra" >"$tmp/a"; events "$tmp/rb" >"$tmp/b"
                if [ $xa -eq $xb ] && cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/oa" "$tmp/ob" && [ -s "$tmp/a" ] &&
                        [ "$(sed -E 's/, [0-9.]+ s( |$)/\1/' "$tmp/ea")" = "$(sed -E 's/, [0-9.]+ s( |$)/\1/' "$tmp/eb")" ]; then ok; else
                        ko "$f --schedule $sched: replayed in the runner (exit $xa) and by the front end (exit $xb), not the same run"
                        diff "$tmp/a" "$tmp/b" | head -4; diff "$tmp/ea" "$tmp/eb" | head -4; fi
        done
done
"$bin" run --step --schedule "$tmp/cant.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/ea"
[ $? -eq 2 ] && grep -q "schedule entry 303 (.*cant.sched:2:1) names Thread-1, which cannot move now (done)" "$tmp/ea" && ok ||
        ko "a broken schedule replayed in the runner: $(tail -1 "$tmp/ea")"
# ... and the runner's scheduling is used: a thread that takes every step alone (main waits in
# its join) makes no round trip a step — its process tree switches fewer than 1 time in 10 steps,
# where the front end's scheduling switches about once a step (its actor sleeps at its gate)
switches() {
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_nvcsw)' "$@"
}
# 4 steps an iteration: 20,003 steps
sw_runner=$(switches "$bin" run --step --set THREADS=1 --set N=5000 bench/scenarios/lock_counter.json)
sw_front=$(switches "$bin" run --step --set THREADS=1 --set N=5000 --save-schedule "$tmp/ss" bench/scenarios/lock_counter.json)
[ "$sw_runner" -lt 2000 ] && [ "$sw_front" -ge 18000 ] && ok ||
        ko "20,003 steps: $sw_runner voluntary switches scheduled in the runner (want < 2,000), $sw_front by the front end (want >= 18,000)"

# ... and the runner's model keeps no more of the output than the rule needs (none): a million
# steps of long printed lines leave every process of the run under 30 MB (46 MB when the runner
# kept every line)
# (without a sanitizer: under one, its shadow memory and quarantine are most of a process)
if ! ldd "$bin" 2>/dev/null | grep -Eq 'lib(a|t)san'; then
        peak=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$bin" run --step tests/e2e/scenarios/printers.json)
        [ "$peak" -lt 30000 ] && ok || ko "a million printing steps: a process of the run took $peak KB (want < 30,000)"
fi

# --- a saved schedule replays to the same trace (whatever the replay's own seed and policy)
for f in scenarios/classics/race.json scenarios/seed/05-condition.json scenarios/classics/dining-philosophers.json; do
        "$bin" run --step --seed 5 --trace "$tmp/p1" --save-schedule "$tmp/sched" "$f" >/dev/null 2>&1
        # the same seed (it also seeds the actors' random()), another policy: the schedule decides
        "$bin" run --step --seed 5 --policy round-robin --schedule "$tmp/sched" --trace "$tmp/p2" "$f" >/dev/null 2>&1
        events "$tmp/p1" >"$tmp/a"; events "$tmp/p2" >"$tmp/b"
        cmp -s "$tmp/a" "$tmp/b" && ok || ko "$f: the saved schedule did not replay the same trace"
done
grep -q "^# lockstep schedule" "$tmp/sched" && ok || ko "a saved schedule has no header"

# --- a live run's saved schedule replays, in step mode, to the same outcome and output (0 bad of
# 200 each; race-fixed, whose recording once put a waiter's failed try before the take it failed
# on 1 run in 260 under load: 0 bad of 1500 since, beside a busy loop; cond-rendezvous, whose
# recording took a waiter that came after a notify for one it let go: 20 bad of 20, 0 of 20 since)
for f in scenarios/classics/race.json scenarios/classics/race-fixed.json scenarios/seed/05-condition.json \
        tests/e2e/scenarios/queue-fifo.json scenarios/classics/deadlock.json \
        tests/e2e/scenarios/cond-rendezvous.json; do
        set --
        case $f in *05-condition*) set -- --set ITEMS=4 ;; esac # its live sleeps are real
        for k in 1 2 3; do
                "$bin" run "$@" --save-schedule "$tmp/live" "$f" >"$tmp/lo" 2>"$tmp/le"; lx=$?
                "$bin" run "$@" --step --schedule "$tmp/live" "$f" >"$tmp/ro" 2>"$tmp/re"; rx=$?
                if [ $lx -eq $rx ] && cmp -s "$tmp/lo" "$tmp/ro"; then ok; else
                        ko "$f: live run (exit $lx) and its step replay (exit $rx) differ"
                        tail -1 "$tmp/re"; fi
        done
done

# --- each classic shows its point under seeds 1..20 (docs/running.md): a stepped run is
# deterministic, so these are exact counts; where a classic may go either way, every run must
# end in one of its two outcomes and both must occur.
fails=0; holds=0; dl=0; nodl=0; other=0; pdl=0; pdone=0; odone=0
for seed in $(seq 1 20); do
        "$bin" run --step --seed "$seed" scenarios/classics/race.json >/dev/null 2>&1; [ $? -eq 1 ] && fails=$((fails + 1))
        "$bin" run --step --seed "$seed" scenarios/classics/race-fixed.json >/dev/null 2>&1; [ $? -eq 0 ] && holds=$((holds + 1))
        "$bin" run --step --seed "$seed" scenarios/classics/deadlock.json >/dev/null 2>&1
        case $? in 3) dl=$((dl + 1)) ;; 0) nodl=$((nodl + 1)) ;; *) other=$((other + 1)) ;; esac
        "$bin" run --step --seed "$seed" scenarios/classics/dining-philosophers.json >/dev/null 2>&1
        case $? in 3) pdl=$((pdl + 1)) ;; 0) pdone=$((pdone + 1)) ;; *) other=$((other + 1)) ;; esac
        "$bin" run --step --seed "$seed" scenarios/classics/dining-philosophers-ordered.json >/dev/null 2>&1; [ $? -eq 0 ] && odone=$((odone + 1))
done
[ $fails -eq 20 ] && ok || ko "race.json: the assertion failed for $fails of seeds 1..20, not all 20"
[ $holds -eq 20 ] && ok || ko "race-fixed.json: failed for $((20 - holds)) seeds"
[ $dl -gt 0 ] && [ $nodl -gt 0 ] && ok || ko "deadlock.json: deadlocked for $dl of 20 seeds, finished for $nodl"
[ $pdl -gt 0 ] && [ $pdone -gt 0 ] && ok || ko "dining-philosophers.json: deadlocked for $pdl of 20 seeds, finished for $pdone"
[ $other -eq 0 ] && ok || ko "deadlock.json / dining-philosophers.json: $other runs neither deadlocked nor finished"
[ $odone -eq 20 ] && ok || ko "dining-philosophers-ordered.json: did not finish for $((20 - odone)) seeds"
# the cycle is named in step mode too
for seed in $(seq 1 20); do
        "$bin" run --step --seed "$seed" scenarios/classics/deadlock.json >/dev/null 2>"$tmp/err" && continue
        break
done
grep -q "holds lock_.* and waits for lock_.* held by" "$tmp/err" && ok || ko "step-mode deadlock: cycle not named"

# --- conditions: FIFO wake-up, and no wake-up without a notify
"$bin" run --step --schedule tests/e2e/scenarios/fifo-wakeup.sched tests/e2e/scenarios/fifo-wakeup.json \
        >"$tmp/fifo" 2>"$tmp/fifo.err"
[ $? -eq 0 ] && printf 'W0 woke\nW1 woke\nW2 woke\n' | cmp -s - "$tmp/fifo" && ok ||
        { ko "notify did not wake the waiters in the order they waited"; cat "$tmp/fifo" "$tmp/fifo.err" | head -5; }
# Waiter waits first (3 steps: with, the test, wait); then Other sets ready without notifying.
# Nothing can wake Waiter now: every actor is blocked (exit 3), and it never goes on.
"$bin" run --step --schedule tests/e2e/scenarios/unnotified.sched tests/e2e/scenarios/unnotified.json \
        >"$tmp/un" 2>"$tmp/un.err"
x=$?
[ $x -eq 3 ] && ! grep -q "Waiter went on" "$tmp/un" && grep -q "every actor is blocked" "$tmp/un.err" && ok ||
        { ko "unnotified: exit $x"; cat "$tmp/un" "$tmp/un.err" | head -4; }

# lock waiters too: after the schedule makes W2, W0, W1 block in that order, every seed lets
# them in in that order; a replayed schedule may still hand the lock on as a live run did
for seed in 1 2 3 4 5 6; do
        "$bin" run --step --seed "$seed" --schedule tests/e2e/scenarios/fifo-lock.sched \
                tests/e2e/scenarios/fifo-lock.json >"$tmp/fl" 2>/dev/null
        printf 'W2 got the lock\nW0 got the lock\nW1 got the lock\n' | cmp -s - "$tmp/fl" && ok ||
                { ko "seed $seed: a lock's waiters did not go in FIFO order"; cat "$tmp/fl"; }
done
cp tests/e2e/scenarios/fifo-lock.sched "$tmp/w0first.sched" && echo W0 >>"$tmp/w0first.sched"
"$bin" run --step --schedule "$tmp/w0first.sched" tests/e2e/scenarios/fifo-lock.json >"$tmp/fl" 2>/dev/null
[ $? -eq 0 ] && [ "$(head -1 "$tmp/fl")" = "W0 got the lock" ] && ok || ko "a schedule could not pass the lock to W0"

# --- sleeps advance the actor, not the clock: a nap of a day ends at once (a run that waited
# for it would be stopped by the time limit, exit 5)
"$bin" run --step --time-limit 60 --set NAP=86400 --trace "$tmp/slow.trace" tests/e2e/scenarios/slow.json \
        >"$tmp/slow" 2>&1
[ $? -eq 0 ] && grep -q "woke after 86400" "$tmp/slow" &&
        grep -q '"ev": "sleep".*"num": 86400000000000' "$tmp/slow.trace" && ok ||
        { ko "a day's sleep made a stepped run wait"; cat "$tmp/slow"; }

# --- barrier, wait_for, notify_all, for, rlock, bounded semaphore and timeouts: the same output
# under every seed and round-robin as in a live run (run.sh)
for f in barrier-phases gate-notify-all timeouts; do
        case $f in
        barrier-phases) want='round 0: 3 arrived\nround 1: 6 arrived\nround 2: 9 arrived\ndone: True\n' ;;
        gate-notify-all) want='Latecomer gave up: False\nW0 passed\nW1 passed\nW2 passed\nW3 passed\n' ;;
        timeouts) want='lock False, event False, item None\nWaiter still waiting\nbalance 10, at most True two inside\n' ;;
        esac
        for p in 1 2 3 4 5 round-robin; do
                case $p in round-robin) set -- --policy round-robin ;; *) set -- --seed "$p" ;; esac
                "$bin" run --step "$@" --trace "$tmp/$f.trace" "tests/e2e/scenarios/$f.json" >"$tmp/$f.out" 2>"$tmp/$f.err"
                x=$?
                # shellcheck disable=SC2059
                printf "$want" | cmp -s - "$tmp/$f.out" && [ $x -eq 0 ] &&
                        python3 tests/e2e/trace_check.py "$tmp/$f.trace" >/dev/null && ok ||
                        { ko "$f.json, step $*: exit $x"; cat "$tmp/$f.out"; tail -2 "$tmp/$f.err"; }
        done
done
grep -c '"ev": "timeout"' "$tmp/timeouts.trace" | grep -qx 4 && ok || ko "timeouts.json, step: not four timeouts"
# the last party's arrival at a barrier says it goes on (flag 2) — 6 trips in 3 rounds, each the
# third arrival — and no other arrival does: step mode takes the others for "at the gate"
python3 - "$tmp/barrier-phases.trace" <<'PY' && ok || ko "barrier-phases: trips not flagged as going on"
import json, sys
w = [json.loads(l) for l in open(sys.argv[1]) if '"waiting"' in l]
on = [e for e in w if e.get("flags", 0) & 2]
sys.exit(not (len(w) == 18 and len(on) == 6 and all(e["num"] == 3 for e in on)))
PY
"$bin" run --step tests/e2e/scenarios/over-release.json >"$tmp/over.out" 2>"$tmp/over.err"
x=$?
printf 'plain semaphore released twice\nbounded semaphore used\n' | cmp -s - "$tmp/over.out" && [ $x -eq 4 ] &&
        grep -q "ValueError" "$tmp/over.err" && ok || ko "over-release.json, step: exit $x"

# --- a thread of the runner crashes: nothing is granted after its crash (flag 4), so the crash is
# the run's last event before the end, the same under every seed, and the runs of one seed agree
for seed in 1 2 3 4 5; do
        for k in 1 2; do
                "$bin" run --step --seed $seed --trace "$tmp/cs$k" tests/e2e/scenarios/crash-segfault.json \
                        >/dev/null 2>&1
        done
        events "$tmp/cs1" >"$tmp/a"; events "$tmp/cs2" >"$tmp/b"
        cmp -s "$tmp/a" "$tmp/b" && tail -n 2 "$tmp/cs1" | head -n 1 | grep -q '"ev": "crash".*"flags": 5' &&
                ok || ko "crash-segfault, seed $seed: a step was granted after the runner's crash"
done

# --- a pipe whose socket fills: the sender waits for room at its gate, not in the kernel (where
# the stepped run would hang); granted again once a message was received
for p in 1 2 3 round-robin; do
        case $p in round-robin) set -- --policy round-robin ;; *) set -- --seed "$p" ;; esac
        timeout 120 "$bin" run --step "$@" --trace "$tmp/flood.trace" tests/e2e/scenarios/pipe-flood.json \
                >"$tmp/flood.out" 2>"$tmp/flood.err"
        x=$?
        [ $x -eq 0 ] && [ "$(cat "$tmp/flood.out")" = "total 4498500" ] &&
                python3 tests/e2e/trace_check.py "$tmp/flood.trace" >/dev/null && ok ||
                { ko "pipe-flood, step $*: exit $x"; tail -2 "$tmp/flood.err"; }
done
# ... and when the receiver reads only after all was sent, that is a deadlock, reported at once
timeout 120 "$bin" run --step --set N=20000 tests/e2e/scenarios/pipe-flood-deadlock.json \
        >/dev/null 2>"$tmp/fd.err"
x=$?
[ $x -eq 3 ] && grep -q "Sender waits for pipe p.a (full)" "$tmp/fd.err" && ok ||
        { ko "pipe-flood-deadlock, step: exit $x"; tail -2 "$tmp/fd.err"; }
# ... and live, where the sender tries its write without waiting and, the socket full, says it is
# blocked on the message it has begun to send, then waits in the kernel
timeout 120 "$bin" run --set N=20000 --trace "$tmp/fdl.trace" tests/e2e/scenarios/pipe-flood-deadlock.json \
        >/dev/null 2>"$tmp/fdl.err"
x=$?
last=$(grep '"actor": "Sender"' "$tmp/fdl.trace" | tail -2 | sed 's/.*"ev": "\([a-z]*\)".*/\1/' | paste -sd ' ')
[ $x -eq 3 ] && grep -q "Sender waits for pipe p.a (full)" "$tmp/fdl.err" && [ "$last" = "sent blocked" ] && ok ||
        { ko "pipe-flood-deadlock, live: exit $x, the sender's last events '$last'"; tail -2 "$tmp/fdl.err"; }

# --- bad schedules
printf 'MainThread\nNobody\n' >"$tmp/bad.sched"
"$bin" run --step --schedule "$tmp/bad.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad.sched:2:1: error: no actor named 'Nobody'" "$tmp/err" && ok || ko "unknown actor in a schedule"
printf 'Thread-0 * x\n' >"$tmp/bad2.sched"
"$bin" run --step --schedule "$tmp/bad2.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad2.sched:1:.*is not a count" "$tmp/err" && ok || ko "bad count in a schedule"
# a directory, a NUL byte (it read as 'Thread-0' and suggested 'Thread-0'), a FIFO (it must not
# block): each refused with its place
mkdir "$tmp/dir.sched"
"$bin" run --step --schedule "$tmp/dir.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "dir.sched: error: is a directory" "$tmp/err" && ok || ko "a directory as a schedule"
printf 'MainThread\nThread-0\000x\n' >"$tmp/nul.sched"
"$bin" run --step --schedule "$tmp/nul.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "nul.sched:2:9: error: a NUL byte" "$tmp/err" && ok || ko "a NUL byte in a schedule"
mkfifo "$tmp/fifo.sched"
timeout 10 "$bin" run --step --schedule "$tmp/fifo.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "fifo.sched: error: is not a regular file" "$tmp/err" && ok || ko "a FIFO as a schedule"
# odd actor names, the seed and the --set values: what is written reads back, and replays alike
cat >"$tmp/odd.json" <<'JSON'
{ "lockstep": 1, "title": "Odd names", "summary": "Actors whose names a bare line cannot say.",
  "constants": { "N": 2 },
  "resources": { "total": { "type": "var", "value": 0 } },
  "actors": [
    { "name": "X * 2", "run": [ { "repeat": "N", "do": [ { "store": "total", "value": "total + random(1, 1000)" } ] } ] },
    { "name": "# hidden", "run": [ { "repeat": "N", "do": [ { "store": "total", "value": "total + random(1, 1000)" } ] } ] },
    { "name": " padded ", "run": [ { "print": "{total}" } ] } ] }
JSON
"$bin" run --step --seed 9 --set N=3 --save-schedule "$tmp/odd.sched" --trace "$tmp/o1" "$tmp/odd.json" >"$tmp/oo1" 2>/dev/null
grep -q '^"X \* 2"' "$tmp/odd.sched" && grep -q '^@seed 9$' "$tmp/odd.sched" && grep -q '^@set "N=3"$' "$tmp/odd.sched" &&
        ok || ko "odd names, the seed or the --set values not written"
"$bin" run --step --seed 9 --set N=3 --schedule "$tmp/odd.sched" --trace "$tmp/o2" "$tmp/odd.json" >"$tmp/oo2" 2>"$tmp/err"
events "$tmp/o1" >"$tmp/a"; events "$tmp/o2" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/oo1" "$tmp/oo2" && ok || { ko "odd names did not replay"; head -3 "$tmp/err"; }
printf 'Thread-0\n' >"$tmp/early.sched"
"$bin" run --step --schedule "$tmp/early.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "schedule entry 1 (.*early.sched:1:1) names Thread-0, which cannot move now" "$tmp/err" && ok ||
        ko "a schedule naming an actor that cannot move"
# a bad @set is reported at its place in the schedule, a bad --set as the flag
printf '@seed 1\n\n@set  "INCREMENTZ=3"\n@set "INCREMENTS=abc"\nMainThread\n' >"$tmp/set.sched"
"$bin" run --step --schedule "$tmp/set.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "set.sched:3:7: error: .*has no constant 'INCREMENTZ'" "$tmp/err" &&
        grep -q "set.sched:4:6: error: INCREMENTS=abc: .*quotes: @set \"INCREMENTS='text'\")" "$tmp/err" && ok ||
        { ko "a bad @set's place in the schedule"; cat "$tmp/err"; }
"$bin" run --step --set INCREMENTZ=3 scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^--set: error: .*has no constant 'INCREMENTZ'" "$tmp/err" && ok || ko "a bad --set: $(head -1 "$tmp/err")"
# a schedule alone is a stepped run (--step implied): a live run's saved schedule replays as
# with --step, the lost updates and the trace's steps the same (times aside)
"$bin" run --save-schedule "$tmp/live.sched" scenarios/classics/race.json >"$tmp/live.out" 2>/dev/null
"$bin" run --schedule "$tmp/live.sched" --trace "$tmp/sa.jsonl" scenarios/classics/race.json >"$tmp/sa.out" 2>/dev/null
xa=$?
"$bin" run --step --schedule "$tmp/live.sched" --trace "$tmp/sb.jsonl" scenarios/classics/race.json >"$tmp/sb.out" 2>/dev/null
xb=$?
steps_of() { grep -v '"ev": "end"' "$1" | sed 's/"t": [0-9.e+-]*, //'; }
[ "$xa" = "$xb" ] && cmp -s "$tmp/sa.out" "$tmp/sb.out" && cmp -s "$tmp/live.out" "$tmp/sa.out" &&
        [ "$(steps_of "$tmp/sa.jsonl")" = "$(steps_of "$tmp/sb.jsonl")" ] &&
        head -n 1 "$tmp/sa.jsonl" | grep -q '"mode": "step"' && ok ||
        ko "--schedule without --step: exit $xa against $xb, $(cat "$tmp/sa.out") against $(cat "$tmp/sb.out")"
"$bin" run --policy round-robin --schedule "$tmp/live.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/err"
[ $? -ne 2 ] && ! grep -q "is for a stepped run" "$tmp/err" && ok || ko "--policy with --schedule alone: $(head -1 "$tmp/err")"
"$bin" run --step --policy fastest scenarios/classics/race.json >/dev/null 2>&1
[ $? -eq 2 ] && ok || ko "--policy fastest"

finish
