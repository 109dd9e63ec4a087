#!/bin/sh
# End-to-end tests of Python's semantics, statement by statement, in live and step mode.
# usage: semantics.sh LOCKSTEP SOURCE_ROOT FOLD_TRACE
# Each scenario here has one outcome under every schedule, so the tests assert it exactly. Every
# trace made here is folded into the model (FOLD_TRACE, tests/e2e/fold_trace.c), which must
# ignore none of the engine's events.
fold_bin=$3
. "$(dirname "$0")/lib.sh" "$1" "$2"
# the model applies every event of trace $1 (and $2 names the run in the message)
folds() {
        r=$("$fold_bin" --stuck "$1")
        case $r in
        *" ignored 0 moved 0") ok ;;
        *" ignored 0 "*) ko "$2: an actor the model said was stuck for good moved: $r" ;;
        *) ko "$2: the model ignored events of the engine: $r" ;;
        esac
}
# the words of a trace's events of actor $2, in order (trace file $1)
evs() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("actor") == sys.argv[2]:
        print(e["ev"], e.get("res", ""))' "$1" "$2"; }
# the actors that ended with an error, in trace order, and each error's text after FILE:LINE:COL
errors() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("ev") == "error":
        print(e["actor"], e["text"].split(": ", 1)[1])' "$1"; }

# --- an error inside a with block: the with still releases, then the error goes out (after the
# release, so the model never sees a dead actor act), in both modes, and nobody hangs
for mode in live step; do
        set --; [ $mode = step ] && set -- --step
        timeout 20 "$bin" run "$@" --trace "$tmp/we.trace" tests/e2e/scenarios/with-error.json \
                >"$tmp/we.out" 2>"$tmp/we.err"
        x=$?
        [ $x -eq 4 ] && ok || ko "with-error ($mode): exit $x, wanted 4"
        grep -q "with-error.json:11:32: ZeroDivisionError: integer division or modulo by zero" "$tmp/we.err" &&
                ok || ko "with-error ($mode): the error does not say where"
        grep -qx "U in" "$tmp/we.out" && ! grep -q never "$tmp/we.out" && ok ||
                ko "with-error ($mode): U did not get the lock T's with released"
        folds "$tmp/we.trace" "with-error ($mode)"
        evs "$tmp/we.trace" T | grep -v '^ready\|^step\|^blocked' | tr '\n' ' ' >"$tmp/we.ev"
        [ "$(cat "$tmp/we.ev")" = "start  acquired l print  released l error  exit  " ] && ok ||
                ko "with-error ($mode): T's events are: $(cat "$tmp/we.ev")"
done

# --- captions: evaluated before the step's effect; a loop's once, its body's every round; a
# caption whose {hole} fails is the statement's error (the statement does not run)
for mode in live step; do
        set --; [ $mode = step ] && set -- --step
        timeout 20 "$bin" run "$@" --trace "$tmp/say.trace" tests/e2e/scenarios/say.json \
                >"$tmp/say.out" 2>"$tmp/say.err"
        x=$?
        [ $x -eq 4 ] && [ ! -s "$tmp/say.out" ] && ok || ko "say ($mode): exit $x, output $(head -c 80 "$tmp/say.out")"
        grep -q "say.json:12:46: ZeroDivisionError: integer division or modulo by zero" "$tmp/say.err" &&
                ok || ko "say ($mode): the failing caption is not an error at its position"
        folds "$tmp/say.trace" "say ($mode)"
        python3 -c '
import json, sys
print(" ".join(e["text"] for e in map(json.loads, open(sys.argv[1])) if e.get("ev") == "say"))' \
                "$tmp/say.trace" >"$tmp/say.said"
        [ "$(cat "$tmp/say.said")" = "loop before 0 before 1 before 2" ] && ok ||
                ko "say ($mode): captions were: $(cat "$tmp/say.said")"
done

# --- a threading.Lock may be released by any thread (only an RLock belongs to its holder);
# releasing a lock nobody holds stays a RuntimeError
for mode in live step; do
        set --; [ $mode = step ] && set -- --step
        timeout 20 "$bin" run "$@" --trace "$tmp/lr.trace" tests/e2e/scenarios/lock-release-other.json \
                >"$tmp/lr.out" 2>"$tmp/lr.err"
        x=$?
        folds "$tmp/lr.trace" "lock-release-other ($mode)"
        # U's release comes before T's second acquire, but their prints may come in either order
        [ "$(head -2 "$tmp/lr.out" | sort | tr '\n' '|')" = "T got l again|U released l|" ] &&
                [ "$(tail -n +3 "$tmp/lr.out")" = "MainThread released l" ] && [ $x -eq 4 ] &&
                ok || ko "lock-release-other ($mode): exit $x, output $(tr '\n' '|' <"$tmp/lr.out")"
        grep -q "lock-release-other.json:21:9: RuntimeError: cannot release un-acquired lock 'r'" "$tmp/lr.err" &&
                grep -q "lock-release-other.json:29:7: RuntimeError: release unlocked lock 'l'" "$tmp/lr.err" &&
                ok || ko "lock-release-other ($mode): the two RuntimeErrors are not reported"
done
# ... and a `with` whose lock another thread released in the block: its release at the block's end
# raises, and gives up the place it took in the order (no RELEASED of its own, nothing waits for it)
for mode in live step; do
        set --; [ $mode = step ] && set -- --step
        timeout 20 "$bin" run "$@" --trace "$tmp/wr.trace" tests/e2e/scenarios/with-released.json \
                >"$tmp/wr.out" 2>"$tmp/wr.err"
        x=$?
        folds "$tmp/wr.trace" "with-released ($mode)"
        [ $x -eq 4 ] && [ "$(cat "$tmp/wr.out")" = "MainThread has l" ] &&
                grep -q "with-released.json:8:9: RuntimeError: release unlocked lock 'l'" "$tmp/wr.err" &&
                [ "$(grep -c '"ev": "released"' "$tmp/wr.trace")" -eq 2 ] &&
                ok || ko "with-released ($mode): exit $x, output $(tr '\n' '|' <"$tmp/wr.out")"
done
# --- a timeout of None is no timeout, on every statement that takes one (as Python's waits)
for how in "" "--step --seed 1" "--step --seed 2" "--step --policy round-robin"; do
        # shellcheck disable=SC2086
        timeout 20 "$bin" run $how tests/e2e/scenarios/timeout-none.json >"$tmp/tn.out" 2>"$tmp/tn.err"
        x=$?
        [ $x -eq 0 ] && [ "$(cat "$tmp/tn.out")" = "True True 42 True" ] && ok ||
                ko "timeout-none ($how): exit $x, $(tr '\n' '|' <"$tmp/tn.out") $(head -1 "$tmp/tn.err")"
done
# the hand-off classic: the runners always run in order, live and under every seed
good=0
for seed in $(seq 1 20); do
        "$bin" run --step --seed "$seed" scenarios/classics/handoff.json >"$tmp/ho.out" 2>/dev/null &&
                [ "$(cat "$tmp/ho.out")" = "['Runner-1', 'Runner-2', 'Runner-3']" ] && good=$((good + 1))
done
[ $good -eq 20 ] && ok || ko "handoff: in order for $good of 20 seeds"
good=0
for k in 1 2 3 4 5; do
        "$bin" run scenarios/classics/handoff.json >"$tmp/ho.out" 2>/dev/null &&
                [ "$(cat "$tmp/ho.out")" = "['Runner-1', 'Runner-2', 'Runner-3']" ] && good=$((good + 1))
done
[ $good -eq 5 ] && ok || ko "handoff (live): in order for $good of 5 runs"

# --- a live wait on a semaphore publishes what came before it: with the events of the wait unread
# (they were, until the actor's next event), the front end never saw this deadlock and the run
# went on to its time limit (exit 5)
good=0
for k in 1 2 3 4 5; do
        "$bin" run --time-limit 20 tests/e2e/scenarios/sem-lock-deadlock.json >/dev/null 2>"$tmp/sd.err"
        x=$?
        [ $x -eq 3 ] && grep -q "Holder waits for semaphore sem (count 0); Giver waits for lock" "$tmp/sd.err" &&
                good=$((good + 1))
done
[ $good -eq 5 ] && ok || ko "sem-lock-deadlock (live): named in $good of 5 runs; last exit $x: $(tail -1 "$tmp/sd.err")"

# --- an actor the model says is stuck for good (model_deadlock's "nobody who could end these
# waits can move", named before the run ends) never moves again: every bundled scenario and the
# broken variants stepped under two seeds, the broken ones live too, folded with fold_trace
# --stuck
for spec in scenarios/*/*.json "scenarios/classics/rendezvous.json --set BROKEN=True" \
        "scenarios/classics/semaphore-buffer.json --set BROKEN=True" \
        "scenarios/classics/rlock.json --set REENTRANT=False" tests/e2e/scenarios/sem-lock-deadlock.json; do
        live=""
        case $spec in *BROKEN* | *REENTRANT* | *sem-lock*) live=live ;; esac
        for how in "--step --seed 1" "--step --seed 2" $live; do
                [ "$how" = live ] && how=""
                # shellcheck disable=SC2086
                timeout 30 "$bin" run $how --time-limit 10 --trace "$tmp/sg.trace" $spec >/dev/null 2>&1
                folds "$tmp/sg.trace" "stuck for good: $spec [$how]"
        done
done

# --- the readers-writers classic: a reader never meets the writer (the asserts hold: exit 0);
# without the turnstile the writer may wait through every read (seed 7: all 9 of 9), with it
# through at most one a reader already past the turnstile (3), stepped and live alike
rw=scenarios/classics/readers-writers.json
for t in False True; do
        good=0 most=0 at=""
        for seed in $(seq 1 20); do
                "$bin" run --step --seed "$seed" --set TURNSTILE=$t $rw >"$tmp/rw.out" 2>/dev/null &&
                        good=$((good + 1))
                n=$(sed -n 's/^9 reads, \([0-9]*\) of them while the writer waited$/\1/p' "$tmp/rw.out")
                [ "${n:-0}" -gt $most ] && most=$n at=$seed
        done
        want="20 9 7"; [ $t = True ] && want="20 3"
        got="$good $most"; [ $t = False ] && got="$got $at"
        [ "$got" = "$want" ] && ok ||
                ko "readers-writers (TURNSTILE=$t): ok, most reads waited, seed: $got, not $want"
done
good=0
for k in 1 2 3; do
        "$bin" run --set TURNSTILE=True $rw >"$tmp/rw.out" 2>/dev/null &&
                n=$(sed -n 's/^9 reads, \([0-9]*\) of them while the writer waited$/\1/p' "$tmp/rw.out") &&
                [ -n "$n" ] && [ "$n" -le 3 ] && good=$((good + 1))
        "$bin" run $rw >/dev/null 2>&1 && good=$((good + 1))
done
[ $good -eq 6 ] && ok || ko "readers-writers (live): $good of 6 runs as they should"

# --- "timeout": null is no timeout (Python's None): stepped, such a wait is never given up (with
# 0.05 instead, the timeout fires in 6 seeds of these 10)
good=0
for seed in $(seq 1 10); do
        [ "$("$bin" run --step --seed "$seed" tests/e2e/scenarios/timeout-null.json 2>/dev/null)" = \
                "got 1, event True" ] && good=$((good + 1))
done
[ $good -eq 10 ] && ok || ko "timeout null: the item and the event came in $good of 10 seeds"
for mode in live step; do
        set --; [ $mode = step ] && set -- --step
        "$bin" run "$@" --trace "$tmp/ho.trace" scenarios/classics/handoff.json >/dev/null 2>&1
        python3 tests/e2e/trace_check.py "$tmp/ho.trace" >/dev/null && ok || ko "handoff ($mode): trace invariants"
        folds "$tmp/ho.trace" "handoff ($mode)"
done

# --- barriers: a wait that times out breaks the barrier for every waiter and every later wait;
# abort breaks it, reset makes it whole (its waiters get BrokenBarrierError)
for run in live step1 step2 step3 step4 step5; do
        set --; case $run in step*) set -- --step --seed "${run#step}" ;; esac
        timeout 20 "$bin" run "$@" --trace "$tmp/bt.trace" tests/e2e/scenarios/barrier-timeout.json \
                >"$tmp/bt.out" 2>"$tmp/bt.err"
        x=$?
        errors "$tmp/bt.trace" | sort >"$tmp/bt.errors"
        [ $x -eq 4 ] && [ "$(cat "$tmp/bt.out")" = "both ended" ] &&
                [ "$(cut -d' ' -f1-2 "$tmp/bt.errors" | tr '\n' ' ')" = "A BrokenBarrierError: B BrokenBarrierError: MainThread BrokenBarrierError: " ] &&
                grep -q "^A BrokenBarrierError: the wait on barrier 'b' timed out" "$tmp/bt.errors" &&
                grep -q "^MainThread BrokenBarrierError: barrier 'b' is broken" "$tmp/bt.errors" && ok ||
                { ko "barrier-timeout ($run): exit $x"; cat "$tmp/bt.out" "$tmp/bt.errors"; }
        python3 tests/e2e/trace_check.py "$tmp/bt.trace" >/dev/null || ko "barrier-timeout ($run): trace invariants"
        folds "$tmp/bt.trace" "barrier-timeout ($run)"
done
for mode in live step; do
        set --; [ $mode = step ] && set -- --step
        timeout 20 "$bin" run "$@" --trace "$tmp/ba.trace" tests/e2e/scenarios/barrier-abort-reset.json \
                >"$tmp/ba.out" 2>"$tmp/ba.err"
        x=$?
        [ $x -eq 4 ] && [ "$(sort "$tmp/ba.out" | tr '\n' ' ')" = "W2 passed W3 passed done " ] &&
                [ "$(errors "$tmp/ba.trace")" = "W1 BrokenBarrierError: barrier 'b' is broken (reset makes it usable again)" ] &&
                ok || { ko "barrier-abort-reset ($mode): exit $x"; cat "$tmp/ba.out"; errors "$tmp/ba.trace"; }
        folds "$tmp/ba.trace" "barrier-abort-reset ($mode)"
done
timeout 20 "$bin" run --step --schedule tests/e2e/scenarios/barrier-reset-waiting.sched \
        --trace "$tmp/br.trace" tests/e2e/scenarios/barrier-reset-waiting.json >"$tmp/br.out" 2>"$tmp/br.err"
x=$?
[ $x -eq 4 ] && [ "$(tr '\n' ' ' <"$tmp/br.out")" = "V passed done " ] &&
        [ "$(errors "$tmp/br.trace")" = "W BrokenBarrierError: barrier 'b' was reset while waiting" ] &&
        grep -q '"ev": "reset"' "$tmp/br.trace" && ok ||
        { ko "barrier-reset-waiting: exit $x"; cat "$tmp/br.out" "$tmp/br.err"; }
folds "$tmp/br.trace" "barrier-reset-waiting"

# --- Event: set() wakes every waiter even when clear() comes before the waiter runs (Python's
# wait() returns True); the model and the checker agree that the waiter may go on
timeout 20 "$bin" run --step --schedule tests/e2e/scenarios/set-clear.sched \
        --trace "$tmp/sc.trace" tests/e2e/scenarios/set-clear.json >"$tmp/sc.out" 2>"$tmp/sc.err"
x=$?
[ $x -eq 0 ] && [ "$(cat "$tmp/sc.out")" = "woke: True" ] && ok ||
        { ko "set then clear before the waiter runs: exit $x"; cat "$tmp/sc.out" "$tmp/sc.err"; }
python3 tests/e2e/trace_check.py "$tmp/sc.trace" >/dev/null && ok || ko "set-clear: trace invariants"
folds "$tmp/sc.trace" "set-clear"
timeout 20 "$bin" run tests/e2e/scenarios/set-clear.json >"$tmp/sc.out" 2>/dev/null
[ $? -eq 0 ] && [ "$(cat "$tmp/sc.out")" = "woke: True" ] && ok || ko "set-clear live"

# --- statements that skip the memory lock (src/scenario/guard.h): two data under one lock, one
# of them also written outside it by W; only the other's store is guarded, and no update is lost
# in either, live (10 runs; under ThreadSanitizer a wrongly guarded store is reported) or stepped
for k in 1 2 3 4 5 6 7 8 9 10; do
        timeout 20 "$bin" run tests/e2e/scenarios/guard-mixed.json >"$tmp/gm.out" 2>/dev/null
        x=$?
        [ $x -eq 0 ] && [ "$(cat "$tmp/gm.out")" = "1000 1000" ] && ok ||
                ko "guard-mixed live run $k: exit $x, printed $(cat "$tmp/gm.out")"
done
for seed in 1 2 3; do
        timeout 20 "$bin" run --step --seed $seed tests/e2e/scenarios/guard-mixed.json \
                >"$tmp/gm.out" 2>/dev/null
        x=$?
        [ $x -eq 0 ] && [ "$(cat "$tmp/gm.out")" = "1000 1000" ] && ok ||
                ko "guard-mixed seed $seed: exit $x, printed $(cat "$tmp/gm.out")"
done

finish
