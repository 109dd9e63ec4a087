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

finish
