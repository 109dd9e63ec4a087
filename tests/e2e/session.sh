#!/bin/sh
# End-to-end tests of a run's life, tried as a hostile user would: a closed pipe, signals, kill -9,
# every limit, footguns and bad flags. After each, no process of the run may be left.
# usage: session.sh LOCKSTEP SOURCE_ROOT
. "$(dirname "$0")/lib.sh" "$1" "$2"
sc=tests/e2e/scenarios
# Each test copies its scenario to a name of its own, so that its processes (the front end and
# the forked runner share the command line) can be found, and counted, by that name.
mine() { cp "$sc/$1.json" "$tmp/$2.json"; }
# The processes whose command line names $tmp/$1.json; waits for them to go (up to 10 s: the
# kernel reaps a killed process at once, but a loaded machine may be slow to schedule it).
gone() {
        k=0
        while pgrep -f "$tmp/$1.json" >/dev/null && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
        if pgrep -f "$tmp/$1.json" >/dev/null; then
                ko "$1: a process of the run is left:"; pgrep -af "$tmp/$1.json"
                pkill -9 -f "$tmp/$1.json"
        else ok; fi
}
# Waits until FILE has at least N lines (the run is under way).
lines_at_least() {
        k=0
        # head, not wc: the trace grows by hundreds of MB a second, and only its start matters
        while [ "$( { head -n "$2" "$1" | wc -l; } 2>/dev/null || echo 0)" -lt "$2" ] && [ $k -lt 200 ]; do
                sleep 0.05; k=$((k + 1)); done
}
# The trace's last line is the end line with outcome $2 (event_outcome; 0 is not written) and a
# reason matching $3.
ends_with() {
        last=$(tail -n 1 "$1")
        case "$2:$last" in
        0:*'"ev": "end"}'|0:*'"ev": "end", "text"'*) ;;
        *'"ev": "end", "aux": '"$2"[,}]*) ;;
        *) ko "$1: the trace does not end with outcome $2: $last"; return ;;
        esac
        echo "$last" | grep -q "$3" && ok || ko "$1: the end line does not say '$3': $last"
}
status_is() { [ "$2" -eq "$3" ] && ok || ko "$1: exit $2, want $3"; }

# --- a closed pipe: `lockstep run X | head -n 1` ends lockstep and its runner
mine drizzle pipe
"$bin" run --trace "$tmp/pipe.trace" "$tmp/pipe.json" 2>"$tmp/pipe.err" | head -n 1 >"$tmp/pipe.out"
[ "$(cat "$tmp/pipe.out")" = hello ] && ok || ko "pipe: head did not get 'hello'"
gone pipe
grep -q "standard output was closed" "$tmp/pipe.err" && ok || ko "pipe: no word of the closed pipe"
ends_with "$tmp/pipe.trace" 7 "SIGPIPE"

# --- output that cannot be written (a full disk, a closed descriptor) ends the run with exit 6 and
# says why — at once for an endless printer (not at the 60 s time limit), at the end for a short
# run whose output stdio held until then; live and stepped
if [ -w /dev/full ]; then
        for how in "" --step; do
                mine storm full
                # shellcheck disable=SC2086
                timeout 30 "$bin" run $how --trace "$tmp/full.trace" "$tmp/full.json" >/dev/full 2>"$tmp/full.err"
                status_is "storm >/dev/full $how" $? 6
                grep -q "standard output could not be written: No space left on device" "$tmp/full.err" && ok ||
                        ko "storm >/dev/full $how: $(tail -1 "$tmp/full.err")"
                ends_with "$tmp/full.trace" 6 "standard output could not be written"
                gone full
                # shellcheck disable=SC2086
                "$bin" run $how scenarios/seed/01-thread.json >/dev/full 2>"$tmp/full.err"
                status_is "01-thread >/dev/full $how" $? 6
                # standard error the same file: its failure, too, does not hide standard output's
                # shellcheck disable=SC2086
                "$bin" run $how scenarios/seed/01-thread.json >/dev/full 2>&1
                status_is "01-thread >/dev/full 2>&1 $how" $? 6
                grep -q "standard output could not be written: No space left on device" "$tmp/full.err" && ok ||
                        ko "01-thread >/dev/full $how: $(tail -1 "$tmp/full.err")"
        done
fi
# a closed standard output is not the next descriptor opened: what the actors print fails to go
"$bin" run scenarios/seed/01-thread.json >&- 2>"$tmp/closed.err"
status_is "01-thread >&-" $? 6
"$bin" run scenarios/seed/01-thread.json >&- 2>&-
status_is "01-thread >&- 2>&-" $? 6
grep -q "standard output could not be written: Bad file descriptor" "$tmp/closed.err" && ok ||
        ko "01-thread >&-: $(tail -1 "$tmp/closed.err")"

# --- what is printed goes out as the run goes, into a pipe too, not when stdio's buffer fills or
# the run ends: a line printed before a 60 s wait reaches the reader of the pipe, though the run
# is then killed (-9: nothing is written after that); and the write that fails is seen at once
[ "$( (timeout -s KILL 4 "$bin" run tests/e2e/scenarios/print-then-wait.json | head -n 1) 2>/dev/null)" = first ] &&
        ok || ko "a line printed before a long wait did not come out before the run was killed"
timeout 30 "$bin" run tests/e2e/scenarios/print-then-wait.json >&- 2>"$tmp/closed.err"
status_is "print-then-wait >&- (ended at once, not by the 60 s wait or the timeout)" $? 6
if [ -w /dev/full ]; then
        timeout 30 "$bin" run tests/e2e/scenarios/print-then-wait.json >/dev/full 2>"$tmp/full.err"
        status_is "print-then-wait >/dev/full" $? 6
fi

# --- a reader that stopped: `lockstep run X | less` left unread, or a FIFO nobody reads. The run
# waits for its reader with its memory bounded, but SIGINT, SIGTERM and SIGHUP still end it at
# once and say what output was dropped, and the time limit still ends it; once the reader reads,
# every line comes, in order. (lockstep used to block in write(2) with its signals blocked: only
# SIGKILL ended it.) The reader holds the FIFO open and says "full" once the pipe is full, which
# only a writer that stopped on it can make.
hold() { # hold FIFO OUT: opens FIFO (then OUT.open is there), reads nothing until told (SIGUSR1),
        # then everything into OUT
        exec python3 -c '
import fcntl, os, signal, struct, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)  # not waiting for a writer
os.set_blocking(fd, True)
open(sys.argv[2] + ".open", "w").close()
go = []
signal.signal(signal.SIGUSR1, lambda *a: go.append(1))
size = fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
while not go:
    n = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    if n >= size and not os.path.exists(sys.argv[2] + ".full"):
        open(sys.argv[2] + ".full", "w").close()
    time.sleep(0.02)
with open(sys.argv[2], "wb") as out:
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        out.write(b)
' "$1" "$2"
}
until_file() { k=0; while [ ! -e "$1" ] && [ $k -lt 300 ]; do sleep 0.05; k=$((k + 1)); done; }
for sig in INT:130 TERM:143 HUP:129; do
        name=${sig%:*}; want=${sig#*:}
        mine storm "stall$name"
        rm -f "$tmp/stall.fifo" "$tmp/stall.out" "$tmp/stall.out.full"
        mkfifo "$tmp/stall.fifo"
        hold "$tmp/stall.fifo" "$tmp/stall.out" &
        holder=$!
        env --default-signal="$name" "$bin" run --time-limit 0 "$tmp/stall$name.json" \
                >"$tmp/stall.fifo" 2>"$tmp/stall.err" &
        pid=$!
        until_file "$tmp/stall.out.full"
        # the queue fills behind the full pipe: bounded, then the run waits (10 MB at most)
        k=0
        while [ "$(awk '/VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)" -lt 2048 ] &&
                [ $k -lt 100 ]; do sleep 0.05; k=$((k + 1)); done
        kill -"$name" $pid
        (sleep 20; kill -9 $pid) >/dev/null 2>&1 &
        dog=$!
        wait $pid; st=$?
        kill $dog 2>/dev/null
        status_is "SIG$name with a reader that stopped" $st "$want"
        grep -q "interrupted by SIG$name: [0-9]* bytes of output not written" "$tmp/stall.err" && ok ||
                ko "SIG$name with a reader that stopped: $(tail -1 "$tmp/stall.err")"
        gone "stall$name"
        kill -USR1 $holder; wait $holder
done
# bounded: a run that prints lines of 200 characters, or two threads of 30,000, which fill the
# 64 MiB of --max-output in well under a second, held for 2 s by a full pipe: the front end takes
# in no more once 1 MiB waits (in the middle of a batch of events, too), so its memory grows by a
# few MB at most, and the time limit ends the run (exit 5, not the 6 of the output cap); then the
# reader gets every line, whole
for width in 200:1 30000:2; do
        mine flood stallT
        rm -f "$tmp/stall.fifo" "$tmp/stall.out" "$tmp/stall.out.full"
        mkfifo "$tmp/stall.fifo"
        hold "$tmp/stall.fifo" "$tmp/stall.out" &
        holder=$!
        "$bin" run --time-limit 2 --set WIDTH=${width%:*} --set THREADS=${width#*:} "$tmp/stallT.json" \
                >"$tmp/stall.fifo" 2>"$tmp/stall.err" &
        pid=$!
        rss() { awk '/VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0; }
        until_file "$tmp/stall.out.full"
        rss0=$(rss)
        k=0
        while ! grep -q "limit" "$tmp/stall.err" && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
        grep -q "the time limit of 2 s passed" "$tmp/stall.err" && ok ||
                ko "a reader that stopped, $width: $(tail -1 "$tmp/stall.err")"
        rss1=$(rss)
        [ "$rss0" -gt 0 ] && [ "$rss1" -gt 0 ] && [ $((rss1 - rss0)) -lt 16384 ] && ok ||
                ko "a reader that stopped, $width: resident $rss0 kB when the pipe was full, $rss1 kB at the end"
        kill -USR1 $holder
        wait $pid; st=$?
        wait $holder
        status_is "a reader that stopped, $width, then the time limit" $st 5
        line=$(printf "%${width%:*}s" '' | tr ' ' x)
        [ "$(sort -u "$tmp/stall.out")" = "$line" ] && [ "$(wc -l <"$tmp/stall.out")" -gt 30 ] && ok ||
                ko "a reader that stopped, $width: not every line came whole: $(wc -l <"$tmp/stall.out") lines"
        gone stallT
done
# a terminal nobody reads (a pty whose master is never read, as a terminal stopped by Ctrl-S):
# SIGTERM ends the run at once, though the terminal said it had room (lockstep waited in the
# terminal's write until it was read); the wait for the summary to go is bounded
mine flood stallP
python3 -c '
import fcntl, os, pty, signal, struct, subprocess, sys, termios, time
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s, stderr=s, start_new_session=True)
os.close(s)
for _ in range(600):  # until it has written 32 KiB that nobody read
    if struct.unpack("i", fcntl.ioctl(m, termios.FIONREAD, b"\0" * 4))[0] >= 32768:
        break
    time.sleep(0.05)
p.send_signal(signal.SIGTERM)
try:
    sys.exit(0 if p.wait(timeout=20) == 143 else 1)
except subprocess.TimeoutExpired:
    p.kill(); p.wait(); sys.exit(2)
' "$bin" run --time-limit 0 "$tmp/stallP.json" && ok || ko "SIGTERM with a terminal nobody reads: it did not end 143 ($?)"
gone stallP
# interrupted with standard output and error one pipe, read slowly: what was printed ends with a
# whole line, then the summary and what was dropped (the summary was dropped with the output)
mine flood stallS
env --default-signal=INT "$bin" run --time-limit 0 "$tmp/stallS.json" 2>&1 | python3 -c '
import os, sys, time
out = open(sys.argv[1], "wb")
while True:
    b = os.read(0, 4096)
    if not b:
        break
    out.write(b)
    time.sleep(0.01)
' "$tmp/stallS.out" &
k=0
while [ "$(cat "$tmp/stallS.out" 2>/dev/null | wc -c)" -lt 100000 ] && [ $k -lt 300 ]; do
        sleep 0.05; k=$((k + 1)); done
# the front end: the oldest of the processes named so (the runner shares its command line)
kill -INT "$(pgrep -of "run --time-limit 0 $tmp/stallS.json")" || ko "interrupted, one pipe: no run"
wait
python3 -c '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
body = [l for l in lines if not l.startswith(b"lockstep:")]
said = [l for l in lines if l.startswith(b"lockstep:")]
assert lines[-1] == b"", "the output ends in the middle of a line"
assert set(body) == {b"x" * 200, b""}, "a line printed was cut"
assert said[0].startswith(b"lockstep: interrupted:"), said
assert any(b"bytes of output not written" in l for l in said), said
' "$tmp/stallS.out" && ok || ko "interrupted, one pipe: $(tail -c 300 "$tmp/stallS.out")"
gone stallS

# --- a --trace FIFO whose reader stopped: the same. The run takes in no more events while 4 MiB
# of trace wait (memory bounded), SIGTERM ends it at once and says the trace ends short, and the
# time limit ends it; a run that ended waits for the trace's reader, whose trace is then whole and
# valid. (lockstep blocked in the trace's write with its signals blocked: only SIGKILL ended it.)
mine storm tstall
rm -f "$tmp/tr.fifo" "$tmp/tr.out" "$tmp/tr.out.full" "$tmp/tr.out.open"
mkfifo "$tmp/tr.fifo"
hold "$tmp/tr.fifo" "$tmp/tr.out" &
holder=$!
until_file "$tmp/tr.out.open" # a FIFO with no reader is refused as a trace
"$bin" run --time-limit 0 --trace "$tmp/tr.fifo" "$tmp/tstall.json" >/dev/null 2>"$tmp/tr.err" &
pid=$!
until_file "$tmp/tr.out.full"
k=0
while [ "$(awk '/VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)" -lt 6144 ] &&
        [ $k -lt 100 ]; do sleep 0.05; k=$((k + 1)); done
rss=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)
kill -TERM $pid
(sleep 20; kill -9 $pid) >/dev/null 2>&1 &
dog=$!
wait $pid; st=$?
kill $dog 2>/dev/null
status_is "SIGTERM with a trace FIFO nobody reads" $st 143
grep -q "the trace ends short: its last [0-9]* bytes were not read" "$tmp/tr.err" && ok ||
        ko "SIGTERM with a trace FIFO nobody reads: $(tail -1 "$tmp/tr.err")"
[ "$rss" -lt 40000 ] && ok || ko "a trace FIFO nobody reads: $rss kB resident"
gone tstall
kill -USR1 $holder; wait $holder
mine storm tstallT
rm -f "$tmp/tr.fifo" "$tmp/tr.out" "$tmp/tr.out.full" "$tmp/tr.out.open"
mkfifo "$tmp/tr.fifo"
hold "$tmp/tr.fifo" "$tmp/tr.out" &
holder=$!
until_file "$tmp/tr.out.open"
"$bin" run --time-limit 2 --trace "$tmp/tr.fifo" "$tmp/tstallT.json" >/dev/null 2>"$tmp/tr.err" &
pid=$!
until_file "$tmp/tr.out.full"
k=0
while ! grep -q "limit" "$tmp/tr.err" && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
grep -q "the time limit of 2 s passed" "$tmp/tr.err" && ok ||
        ko "a trace FIFO nobody reads, the time limit: $(tail -1 "$tmp/tr.err")"
kill -USR1 $holder
wait $pid; st=$?
wait $holder
status_is "a trace FIFO read late, then the time limit" $st 5
ends_with "$tmp/tr.out" 5 "the time limit of 2 s passed"
python3 tests/e2e/trace_check.py "$tmp/tr.out" >/dev/null && ok || ko "a trace FIFO read late: the trace does not read back"
gone tstallT

# --- SIGINT, SIGTERM, SIGHUP, and the other signals that end a process from outside (SIGUSR1 and
# SIGALRM ended it where it stood, with no end line and no summary): the run ends, the trace gets
# its end line, exit 128 + N
for sig in INT:130 TERM:143 HUP:129 USR1:138 ALRM:142 XCPU:152; do
        name=${sig%:*}; want=${sig#*:}
        mine drizzle "sig$name"
        env --default-signal="$name" "$bin" run --trace "$tmp/sig$name.trace" "$tmp/sig$name.json" \
                >/dev/null 2>"$tmp/sig$name.err" &
        pid=$!
        lines_at_least "$tmp/sig$name.trace" 50
        kill -"$name" $pid
        wait $pid; st=$?
        status_is "SIG$name" $st "$want"
        ends_with "$tmp/sig$name.trace" 7 "interrupted by SIG$name"
        python3 tests/e2e/trace_check.py "$tmp/sig$name.trace" >/dev/null && ok ||
                ko "SIG$name: the trace does not read back"
        gone "sig$name"
done

# --- SIGKILL and SIGQUIT to the front end: nothing can be written, but the runner dies with it
for name in KILL QUIT; do
        mine drizzle "k$name"
        env --default-signal=QUIT "$bin" run --trace "$tmp/k$name.trace" "$tmp/k$name.json" \
                >/dev/null 2>&1 &
        pid=$!
        lines_at_least "$tmp/k$name.trace" 50
        kill -"$name" $pid
        wait $pid 2>/dev/null
        gone "k$name"
done

# --- the time limit ends a busy run (exit 5) with its end line, live and stepped
mine busy tl
"$bin" run --time-limit 0.5 --trace "$tmp/tl.trace" "$tmp/tl.json" >/dev/null 2>"$tmp/tl.err"
status_is "time limit" $? 5
ends_with "$tmp/tl.trace" 5 "time limit of 0.5 s"
gone tl
"$bin" run --step --time-limit 0.5 --trace "$tmp/tl.trace" "$tmp/tl.json" >/dev/null 2>"$tmp/tl.err"
status_is "time limit, stepped" $? 5
ends_with "$tmp/tl.trace" 5 "time limit"

# --- a stepped run has a step budget, not a wall-clock limit
"$bin" run --step --max-steps 500 --trace "$tmp/ms.trace" "$sc/busy.json" >/dev/null 2>"$tmp/ms.err"
status_is "--max-steps" $? 6
ends_with "$tmp/ms.trace" 6 "more than 500 steps"
[ "$(grep -c '"flags": 1' "$tmp/ms.trace")" -eq 501 ] && ok ||
        ko "--max-steps 500: $(grep -c '"flags": 1' "$tmp/ms.trace") steps in the trace, want 501"

# --- output is bounded: past --max-output the run ends (exit 6)
mine storm mo
"$bin" run --max-output 100000 "$tmp/mo.json" >"$tmp/mo.out" 2>"$tmp/mo.err"
status_is "--max-output" $? 6
grep -q "printed more than 100000 bytes" "$tmp/mo.err" && ok || ko "--max-output: no message"
# what was printed stops at the first line past the cap: 6 bytes a line
[ "$(wc -c <"$tmp/mo.out")" -eq 100002 ] && ok || ko "--max-output: $(wc -c <"$tmp/mo.out") bytes out"
gone mo

# --- the trace is bounded: past --max-trace the run ends (exit 6), the trace a valid prefix
"$bin" run --max-trace 100000 --trace "$tmp/mt.trace" "$sc/busy.json" >/dev/null 2>"$tmp/mt.err"
status_is "--max-trace" $? 6
ends_with "$tmp/mt.trace" 6 "cap of 100000 bytes"
[ "$(wc -c <"$tmp/mt.trace")" -lt 101000 ] && ok || ko "--max-trace: $(wc -c <"$tmp/mt.trace") bytes"
python3 tests/e2e/trace_check.py "$tmp/mt.trace" >/dev/null && ok || ko "--max-trace: the trace does not read back"

# --- every way a run ends writes the end line: done, assert, deadlock, crash, bad schedule
"$bin" run --step --seed 1 --trace "$tmp/e0" scenarios/classics/race-fixed.json >/dev/null 2>&1
ends_with "$tmp/e0" 0 'end'
"$bin" run --step --seed 1 --trace "$tmp/e1" scenarios/classics/race.json >/dev/null 2>&1
status_is "race" $? 1
ends_with "$tmp/e1" 1 "AssertionError"
"$bin" run --trace "$tmp/e3" "$sc/self-deadlock.json" >/dev/null 2>&1
ends_with "$tmp/e3" 3 "waits for"
"$bin" run --trace "$tmp/e4" "$sc/crash-segfault.json" >/dev/null 2>&1
ends_with "$tmp/e4" 4 "crashed the runner with SIGSEGV (signal 11)"
printf 'Thread-9\n' >"$tmp/bad.sched"
"$bin" run --step --schedule "$tmp/bad.sched" scenarios/classics/race.json >/dev/null 2>"$tmp/bs.err"
status_is "a schedule naming no actor" $? 2
printf 'MainThread * 2\nThread-1 * 1000\n' >"$tmp/cant.sched"
"$bin" run --step --schedule "$tmp/cant.sched" --trace "$tmp/e2" scenarios/classics/race.json >/dev/null 2>&1
status_is "a schedule that cannot be followed" $? 2
ends_with "$tmp/e2" 2 "cannot move now"

# --- the trace header's mode is the real one
head -n 1 "$tmp/e1" | grep -q '"mode": "step"' && ok || ko "a --step trace does not say mode step"
head -n 1 "$tmp/e3" | grep -q '"mode": "live"' && ok || ko "a live trace does not say mode live"

# --- an assert decides the exit status even when the run then deadlocks
cat >"$tmp/ad.json" <<'EOF'
{ "lockstep": 1, "title": "Assert, then deadlock", "summary": "For the exit status's precedence.",
  "resources": { "e": { "type": "event" } },
  "actors": [ { "name": "A", "run": [ { "assert": "1 == 2", "message": "wrong" } ] },
              { "name": "B", "run": [ { "wait": "e" } ] } ] }
EOF
"$bin" run --step "$tmp/ad.json" >/dev/null 2>"$tmp/ad.err"
status_is "assert then deadlock" $? 1
grep -q "deadlock.*an assert failed too" "$tmp/ad.err" && ok || ko "assert then deadlock: summary"

# --- a saved schedule is self-contained: its seed and --set values replay the same run
"$bin" run --step --seed 7 --set ROLLS=5 --save-schedule "$tmp/dice.sched" "$sc/dice.json" >"$tmp/d1" 2>/dev/null
"$bin" run --step --schedule "$tmp/dice.sched" "$sc/dice.json" >"$tmp/d2" 2>/dev/null
cmp -s "$tmp/d1" "$tmp/d2" && [ "$(wc -l <"$tmp/d1")" -eq 10 ] && ok ||
        ko "a schedule alone does not replay its run"; diff "$tmp/d1" "$tmp/d2" | head -3
# a flag on the command line wins over the schedule's
"$bin" run --step --schedule "$tmp/dice.sched" --seed 8 "$sc/dice.json" >"$tmp/d3" 2>/dev/null
cmp -s "$tmp/d1" "$tmp/d3" && ko "--seed did not win over the schedule's seed" || ok

# --- --say prints the captions between the output lines, marked
"$bin" run --step --say scenarios/seed/01-thread.json >"$tmp/say.out" 2>/dev/null
grep -q "^# Because of join(), this line always comes after the thread's line.$" "$tmp/say.out" &&
        ok || ko "--say: caption missing"
[ "$(tail -n 1 "$tmp/say.out")" = "Main thread has completed" ] && ok || ko "--say: order"

# --- --handoff: after the same moves, barging lets A take the lock back while B waits; FIFO
# hands it to B at A's release
for h in barging:"A 0,A 1,B,A 2," fifo:"A 0,B,A 1,A 2,"; do
        mode=${h%%:*}; want=${h#*:}
        got=$("$bin" run --step --policy round-robin --handoff "$mode" \
                --schedule "$sc/relock.sched" "$sc/relock.json" 2>/dev/null | tr '\n' ,)
        [ "$got" = "$want" ] && ok || ko "--handoff $mode: printed '$got', want '$want'"
done
"$bin" run --handoff fifo --trace "$tmp/hf.trace" scenarios/classics/handoff.json >/dev/null 2>&1
status_is "--handoff fifo, live" $? 0
"$bin" run --handoff sideways scenarios/classics/handoff.json >/dev/null 2>&1
status_is "--handoff sideways" $? 2

# --- what was typed is quoted with its control characters escaped: a flag's value, an unknown
# option or command, a path (an ESC reached the terminal raw from each)
esc=$(printf '\033[2J')
for args in "run scenarios/seed/01-thread.json --seed $esc" "run scenarios/seed/01-thread.json --bogus$esc" \
        "$esc" "run x$esc" "run scenarios/seed/01-thread.json --trace /nonexist$esc/x" \
        "run scenarios/seed/01-thread.json --save-schedule /nonexist$esc/x" "list $esc"; do
        "$bin" $args >/dev/null 2>"$tmp/esc.err"
        rc=$?
        status_is "lockstep $(echo "$args" | cut -c1-40 | tr -d '\033')..." $rc 2
        if grep -q "$(printf '\033')" "$tmp/esc.err"; then ko "a raw ESC in: $(cat -v "$tmp/esc.err" | head -1)"
        else grep -qF '\x1b[2J' "$tmp/esc.err" && ok || ko "no escaped ESC in: $(head -1 "$tmp/esc.err")"; fi
done

# --- footguns: outputs that would overwrite inputs, a FIFO as the scenario
cp scenarios/classics/race.json "$tmp/own.json"
"$bin" run --trace "$tmp/own.json" "$tmp/own.json" >/dev/null 2>"$tmp/fg.err"
status_is "--trace over the scenario" $? 2
cmp -s scenarios/classics/race.json "$tmp/own.json" && ok || ko "--trace overwrote the scenario"
"$bin" run --trace "$tmp/same" --save-schedule "$tmp/same" scenarios/classics/race.json >/dev/null 2>&1
status_is "--trace X --save-schedule X" $? 2
# a schedule saved over the one replayed (a schedule that could not be followed was replaced by
# one of 0 moves), and one that could not be written, found before the run (it was after)
printf 'MyCustomThread\n' >"$tmp/g.sched"
"$bin" run --step --schedule "$tmp/g.sched" --save-schedule "$tmp/g.sched" scenarios/seed/01-thread.json >/dev/null 2>"$tmp/fg.err"
status_is "--schedule X --save-schedule X" $? 2
[ "$(cat "$tmp/g.sched")" = MyCustomThread ] && grep -q "would overwrite the schedule given to --schedule" "$tmp/fg.err" &&
        ok || ko "--schedule X --save-schedule X: $(cat "$tmp/fg.err")"
"$bin" run --save-schedule "$tmp/no/such/folder" scenarios/seed/01-thread.json >"$tmp/fg.out" 2>"$tmp/fg.err"
status_is "--save-schedule into no folder" $? 2
[ ! -s "$tmp/fg.out" ] && grep -q "folder: No such file or directory; give another file" "$tmp/fg.err" &&
        ok || ko "--save-schedule into no folder: $(cat "$tmp/fg.out" "$tmp/fg.err")"
mkfifo "$tmp/fifo"
timeout 10 "$bin" run "$tmp/fifo" >/dev/null 2>"$tmp/fifo.err"
status_is "a FIFO as FILE" $? 2
grep -q "FIFO" "$tmp/fifo.err" && ok || ko "a FIFO as FILE: no word of it"
# a schedule naming an actor of 5,000,000 bytes: the message shows 64 of them (it echoed all)
python3 -c "print('# lockstep schedule\n@seed 1\n' + 'X' * 5000000)" >"$tmp/bigname.sched"
"$bin" run --step --schedule "$tmp/bigname.sched" scenarios/seed/01-thread.json >/dev/null 2>"$tmp/bn.err"
status_is "a schedule's 5 MB name" $? 2
[ "$(wc -c <"$tmp/bn.err")" -lt 1000 ] && grep -q "'X*'\.\.\. (5000000 bytes)" "$tmp/bn.err" && ok ||
        ko "a schedule's 5 MB name: $(wc -c <"$tmp/bn.err") bytes of message"
# a FIFO that no process reads, as the trace or the saved schedule, and one replayed: refused,
# never waited on for ever (signals blocked then); replay refuses any FIFO before it opens it (one
# that a process wrote for ever was read, with the signals blocked, until SIGKILL)
mkfifo "$tmp/outfifo"
timeout 10 "$bin" run --trace "$tmp/outfifo" scenarios/seed/01-thread.json >/dev/null 2>"$tmp/of.err"
status_is "--trace FIFO" $? 2
grep -q "cannot create the trace: a FIFO that no process reads" "$tmp/of.err" && ok ||
        ko "--trace FIFO: $(cat "$tmp/of.err")"
timeout 10 "$bin" run --save-schedule "$tmp/outfifo" scenarios/seed/01-thread.json >/dev/null 2>"$tmp/of.err"
status_is "--save-schedule FIFO (exit 6: what lockstep writes could not be written)" $? 6
timeout 10 "$bin" replay "$tmp/outfifo" </dev/null >/dev/null 2>"$tmp/of.err"
status_is "replay FIFO" $? 2
grep -q "outfifo: error: is not a regular file: a trace is a file written by run --trace" "$tmp/of.err" &&
        ok || ko "replay FIFO: $(cat "$tmp/of.err")"
if [ -w /dev/full ]; then
        "$bin" run --trace /dev/full scenarios/seed/01-thread.json >/dev/null 2>"$tmp/of.err"
        status_is "--trace /dev/full (a full disk is no internal error)" $? 6
fi
"$bin" run /dev/zero >/dev/null 2>"$tmp/zero.err"
status_is "run /dev/zero" $? 2
grep -q "character device" "$tmp/zero.err" && ok || ko "run /dev/zero: $(cat "$tmp/zero.err")"

# --- messages for bad flags
"$bin" run --seed 2>"$tmp/m.err" >/dev/null
status_is "--seed without a value" $? 2
grep -q "\-\-seed needs a value" "$tmp/m.err" && ok || ko "--seed without a value: $(head -1 "$tmp/m.err")"
for bad in 1.5 0x10 1e15 -1; do
        "$bin" run --seed "$bad" scenarios/classics/race.json 2>"$tmp/m.err" >/dev/null
        status_is "--seed $bad" $? 2
        grep -q "whole number" "$tmp/m.err" && ok || ko "--seed $bad: $(head -1 "$tmp/m.err")"
done
# a cap of 0 is out of its range, and the message says which range
for cap in --max-steps --max-output --max-trace; do
        "$bin" run "$cap" 0 scenarios/classics/race.json 2>"$tmp/m.err" >/dev/null
        status_is "$cap 0" $? 2
        grep -q -- "$cap needs a whole number from 1 to" "$tmp/m.err" && ok || ko "$cap 0: $(head -1 "$tmp/m.err")"
done
# the flags of a stepped run do nothing live: refused, not silently ignored
for flag in "--max-steps 5" "--policy round-robin"; do
        # shellcheck disable=SC2086
        "$bin" run $flag scenarios/classics/race.json 2>"$tmp/m.err" >"$tmp/m.out"
        status_is "$flag without --step" $? 2
        grep -q -- "${flag%% *} is for a stepped run: add --step" "$tmp/m.err" && [ ! -s "$tmp/m.out" ] && ok ||
                ko "$flag without --step: $(head -1 "$tmp/m.err")"
done
"$bin" run --speed 1e-300 scenarios/classics/race.json 2>/dev/null >/dev/null
status_is "--speed 1e-300" $? 2
"$bin" run --help >"$tmp/h.out" 2>"$tmp/h.err"
status_is "run --help" $? 0
grep -q "unknown" "$tmp/h.err" && ko "run --help: called unknown" || ok
grep -q "\-\-max-steps" "$tmp/h.out" && ok || ko "run --help: no usage"
"$bin" check scenarios/classics/race-fixed.json >"$tmp/c.out"
"$bin" run scenarios/classics/race-fixed.json 2>"$tmp/c.err" >/dev/null
[ "$(sed -n 's/.*ok (\([0-9]*\) actors.*/\1/p' "$tmp/c.out")" = \
  "$(sed -n 's/^lockstep: done: \([0-9]*\) actors.*/\1/p' "$tmp/c.err")" ] && ok || ko "check and run count actors differently"

# --- untrusted text never reaches the terminal raw
"$bin" run "$sc/escape-name.json" >/dev/null 2>"$tmp/esc.err"
status_is "escape name" $? 4
grep -q "$(printf '\033')" "$tmp/esc.err" && ko "an escape sequence reached stderr raw" || ok
grep -qF 'E\x1b[2J' "$tmp/esc.err" && ok || ko "the name is not shown escaped: $(cat "$tmp/esc.err")"
# printed output onto a terminal is shown escaped; into a pipe it is written as it is
if command -v script >/dev/null 2>&1; then
        script -q -c "$bin run $sc/escape-print.json" /dev/null >"$tmp/tty.out" 2>&1
        grep -qF 'before\x1b[2Jafter' "$tmp/tty.out" && ok || ko "a terminal got the printed escape raw"
        grep -q "$(printf '\033')" "$tmp/tty.out" && ko "an ESC byte reached the terminal" || ok
fi
"$bin" run "$sc/escape-print.json" 2>/dev/null | grep -q "before$(printf '\033')\[2Jafter" && ok ||
        ko "a pipe did not get the printed line as it is"

finish
