#!/bin/sh
# End-to-end tests of Python's semantics, statement by statement, in live and step mode.
# usage: semantics.sh LOCKSTEP SOURCE_ROOT
# Each scenario here has one outcome under every schedule, so the tests assert it exactly.
. "$(dirname "$0")/lib.sh" "$1" "$2"
# the words of a trace's events of actor $2, in order (trace file $1)
evs() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("actor") == sys.argv[2]:
        print(e["ev"], e.get("res", ""))' "$1" "$2"; }

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
        timeout 20 "$bin" run "$@" tests/e2e/scenarios/lock-release-other.json >"$tmp/lr.out" 2>"$tmp/lr.err"
        x=$?
        printf 'U released l\nT got l again\nMainThread released l\n' | cmp -s - "$tmp/lr.out" && [ $x -eq 4 ] &&
                ok || ko "lock-release-other ($mode): exit $x, output $(tr '\n' '|' <"$tmp/lr.out")"
        grep -q "lock-release-other.json:21:9: RuntimeError: cannot release un-acquired lock 'r'" "$tmp/lr.err" &&
                grep -q "lock-release-other.json:29:7: RuntimeError: release unlocked lock 'l'" "$tmp/lr.err" &&
                ok || ko "lock-release-other ($mode): the two RuntimeErrors are not reported"
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

finish
