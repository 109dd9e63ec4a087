# tui.sh — the terminal UI, driven for real in tmux: keys go in with send-keys, the screen comes
# back with capture-pane, at 80x24 and at 160x48. Every wait polls the screen until the text
# appears, within a generous bound; nothing is asserted on timing.
# Usage: sh tests/e2e/tui.sh LOCKSTEP SOURCE_ROOT (skipped, 77, without tmux).
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed: skipped"; exit 77; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
sock="lockstep-tui-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
# At the end the panes' shells, killed with the server, may still be writing their
# NAME.after into $tmp: they are waited for (5 s at most) before it is removed.
cleanup() {
        panes=$(T list-panes -a -F '#{pane_pid}' 2>/dev/null)
        T kill-server >/dev/null 2>&1
        i=0
        for p in $panes; do
                while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
                        sleep 0.1
                        i=$((i + 1))
                done
        done
        rm -rf "$tmp"
}
trap cleanup EXIT
# killed (a test timeout), the shell runs its EXIT trap too: no TUI of the test is left running
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
export LANG=C.UTF-8 TERM=xterm-256color

# start NAME COLS ROWS [ENV=VALUE...] -- ARGS: lockstep ARGS in a shell that records the terminal
# settings before and after, and lockstep's exit status, then stays (so the pane can be read).
start() {
        name=$1 cols=$2 rows=$3
        shift 3
        envs=""
        while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
        shift
        cat >"$tmp/$name.sh" <<EOS
cd "${cwd:-$PWD}"
stty -g >"$tmp/$name.before"
env $envs "$bin" $*
rc=\$?
stty -g >"$tmp/$name.after"
echo "lockstep exited \$rc"
exec sleep 600
EOS
        T new-session -d -s "$name" -x "$cols" -y "$rows" "sh $tmp/$name.sh"
}
screen() { T capture-pane -p -t "$1"; }
# wait_for NAME TEXT: true once the screen shows TEXT (a grep -E pattern), within 15 s
wait_for() {
        i=0
        while [ $i -lt 150 ]; do
                screen "$1" | grep -Eq -- "$2" && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# wait_gone NAME TEXT: true once the screen no longer shows TEXT, within 15 s
wait_gone() {
        i=0
        while [ $i -lt 150 ]; do
                screen "$1" | grep -Eq -- "$2" || return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# wait_change NAME BEFORE: until the screen differs from BEFORE (3 s at most)
wait_change() {
        i=0
        while [ $i -lt 30 ]; do
                [ "$(screen "$1")" != "$2" ] && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# press_until NAME KEY TEXT [MAX]: presses KEY, one step at a time, until TEXT shows (MAX presses)
press_until() {
        k=0
        while [ $k -lt "${4:-40}" ]; do
                screen "$1" | grep -Eq -- "$3" && return 0
                before=$(screen "$1")
                T send-keys -t "$1" "$2"
                wait_change "$1" "$before"
                k=$((k + 1))
        done
        screen "$1" | grep -Eq -- "$3"
}
check() { # check DESCRIPTION COMMAND...
        d=$1
        shift
        if "$@"; then ok; else ko "$d"; screen "${last:-s}" | sed 's/^/  | /'; fi
}
pids_of() { # the lockstep process under the pane's shell, and its children (the runner)
        sh_pid=$(T list-panes -t "$1" -F '#{pane_pid}')
        lp=$(pgrep -P "$sh_pid" -x lockstep)
        echo "$lp $(pgrep -P "$lp" 2>/dev/null | tr '\n' ' ')"
}
gone() { for p in $1; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
restored() { cmp -s "$tmp/$1.before" "$tmp/$1.after"; }

# ---- without a terminal ----
"$bin" </dev/null >"$tmp/list" 2>&1
check "lockstep without a terminal prints the list" grep -q "^seed/03-semaphore.json  *Semaphore: two at a time" "$tmp/list"
"$bin" scenarios/seed/03-semaphore.json </dev/null >"$tmp/out" 2>&1
check "lockstep FILE without a terminal exits 2" [ $? -eq 2 ]
check "... and says how to run it headless" grep -q "lockstep run --step scenarios/seed/03-semaphore.json" "$tmp/out"
printf '{ "lockstep": 1, "title": "x", "actors": [ }\n' >"$tmp/bad.json"
"$bin" "$tmp/bad.json" </dev/null >"$tmp/out" 2>&1
check "a bad FILE without a terminal exits 2" [ $? -eq 2 ]
check "... with its errors on stderr" grep -q "bad.json:1:[0-9]*: error" "$tmp/out"
"$bin" scenarios/seed/02-lock.json --live --schedule "$tmp/none" </dev/null >"$tmp/out" 2>&1
check "--live with --schedule is refused (exit 2)" [ $? -eq 2 ]
check "... saying that they go apart, not to add --step" grep -q "^lockstep: --live and --schedule go apart" "$tmp/out"
start badsched 80 24 -- "$tmp/bad.json" --schedule "$tmp/none"
check "a bad FILE with --schedule exits 2" wait_for badsched "lockstep exited 2"

# ---- the semaphore, stepped by hand at 80x24 ----
last=sem
start sem 80 24 -- scenarios/seed/03-semaphore.json
check "the scenario screen opens, stepping" wait_for sem "stepping"
check "every pane is there" sh -c "T() { tmux -L $sock -f /dev/null \"\$@\"; }; T capture-pane -p -t sem | grep -q Actors && T capture-pane -p -t sem | grep -q Resources && T capture-pane -p -t sem | grep -q Output && T capture-pane -p -t sem | grep -q Code"
check "the semaphore starts at 2 of 2" wait_for sem "semaphore +2 of 2 free"
# main's script is main's alone: no column for other actors on its lines, its marker at the edge
check "main's code is shown Python-like" wait_for sem "^▶  1 for t in MyCustomThread: +│"
# a line of code too long for the pane wraps, its rest indented under it as Python continues a
# line (at 80 columns start and join were both "for t in MyCustomThread: …", then "for t in
# MyCus… t.start()")
check "... a long line wraps, its rest on the next row" sh -c "tmux -L $sock capture-pane -p -t sem | grep -A1 '▶  1 for t in MyCustomThread:' | tail -1 | grep -q '^ \{9\}t\.start() *│'"
check "... and so does the next" sh -c "tmux -L $sock capture-pane -p -t sem | grep -A1 ' 2 for t in MyCustomThread:' | tail -1 | grep -q '^ \{9\}t\.join() *│'"
check "the count falls to 1" press_until sem " " "semaphore +1 of 2 free"
check "the count falls to 0 of 2" press_until sem " " "semaphore +0 of 2 free"
check "a third thread waits for the semaphore" press_until sem " " "blocked +MyCustomThread-[0-9] .*waits for semaphore \\(count 0\\)"
check "the caption is shown" wait_for sem '"(with self.semaphore|At most 2|time.sleep)'
# rewinding shows the earlier count again, then Right comes back to now
check "Left rewinds to an earlier moment" press_until sem Left "rewound.*" 5
check "rewinding shows 1 of 2 free again" press_until sem Left "semaphore +1 of 2 free" 20
check "Right comes back to now" press_until sem Right "stepping" 30
check "and shows 0 of 2 again" wait_for sem "semaphore +0 of 2 free"
# help
T send-keys -t sem '?'
check "? shows the keys" wait_for sem "lockstep keys"
# at 80 columns every line of help is whole (they were cut: "one that cann…") and the legend
# of states goes on to a second row rather than lose "crashed or error"
check "... each help text whole at 80 columns" wait_for sem "step that actor \\(its number\\); if it can't, says why"
check "... and the legend ends with crashed or error" wait_for sem "✗ crashed or error"
check "... its ready is also a wait that is over" wait_for sem "│ · new  ○ ready, or its wait over  ▶ running"
# what the mouse does is in it too (it was only in the docs), the key bar still in sight below
check "... and what the mouse does" wait_for sem "│ Mouse +wheel: scroll the pane under it; click: focus a pane, +│"
check "... in two rows at 80x24" wait_for sem "│ +step an actor, go to a Timeline step, press a bar key +│"
check "... with the key bar under the box" sh -c "tmux -L $sock capture-pane -p -t sem | sed -n 23p | grep -q '└─*┘' && tmux -L $sock capture-pane -p -t sem | sed -n 24p | grep -q 'qQuit'"
T send-keys -t sem x
check "any key closes help" sh -c "sleep 0.3; ! tmux -L $sock capture-pane -p -t sem | grep -q 'lockstep keys'"
# an idle screen uses no CPU: its CPU time does not move while nothing happens
pid=$(pids_of sem | cut -d' ' -f1)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
c1=$(cpu)
sleep 3
c2=$(cpu)
check "an idle screen uses no CPU ($c1 -> $c2 ticks)" [ "$c1" = "$c2" ]
# q restores the terminal and leaves no process
procs=$(pids_of sem)
T send-keys -t sem q
check "q ends lockstep with status 0" wait_for sem "lockstep exited 0"
check "q restores the terminal settings" restored sem
check "q leaves no process ($procs)" gone "$procs"

# ---- a rewound moment is what the live screen showed at that step: its caption (said as the
# next step begins) and the marks of what the step changed (not what differs from the screen
# before) ----
last=rw
start rw 80 24 -- scenarios/seed/09-queue.json
wait_for rw "stepping" >/dev/null
# the screen less its header, the rewinding message and what follows the selected actor (its
# mark, and the Code and Timeline panes left of the column line): the moment, not the UI's state
body() {
        screen rw | sed -e 1d -e 's/^▶/ /' -e 's/^[^│]*│//' | grep -v "^An earlier moment" |
                grep -v "^ *\$"
}
# the body once two looks 0.2 s apart agree: a frame is one write of the program's, but tmux may
# take it in pieces, and the header that wait_for saw can come before the rest of the frame
settled() {
        b1=$(body)
        i=0
        while [ $i -lt 25 ]; do
                sleep 0.2
                b2=$(body)
                [ "$b2" = "$b1" ] && break
                b1=$b2
                i=$((i + 1))
        done
        printf '%s\n' "$b1"
}
same=0
# from step 0 (which showed the main thread "new", before its first line, rewound)
for rk in $(seq 0 16); do # (press_until has its own k)
        press_until rw " " "stepping .* step $rk " 3 >/dev/null
        live=$(settled)
        T send-keys -t rw " "
        wait_for rw "stepping .* step $((rk + 1)) " >/dev/null
        T send-keys -t rw Left
        wait_for rw "rewound .* step $rk of" >/dev/null
        rewound=$(settled)
        if [ "$rewound" = "$live" ]; then same=$((same + 1)); else
                echo "step $rk live:"; echo "$live"; echo "rewound:"; echo "$rewound"; fi
        T send-keys -t rw Right
        wait_for rw "stepping .* step $((rk + 1)) " >/dev/null
done
check "17 of 17 rewound steps show what was shown live ($same)" [ $same -eq 17 ]
# { goes to the earliest moment at once, } back to now
T send-keys -t rw "{"
check "{ shows the earliest moment" wait_for rw "rewound .* step 0 of 17"
T send-keys -t rw "}"
check "} comes back to now" wait_for rw "stepping .* step 17 "
# r at an earlier moment runs on from the latest one, and says so
T send-keys -t rw Left
wait_for rw "rewound" >/dev/null
T send-keys -t rw r
check "r at an earlier moment says it runs on from the latest" wait_for rw "Running on from the latest moment"
T send-keys -t rw q

# ---- a chosen actor steps; one that cannot move says why ----
last=pick
start pick 80 24 -- scenarios/seed/03-semaphore.json
wait_for pick "stepping" >/dev/null
T send-keys -t pick 1
check "an actor that cannot move says why" wait_for pick "MyCustomThread-0 has not been started"
T send-keys -t pick 6
check "digit 6 steps the main thread" wait_for pick "ready +MyCustomThread-0"
wait_for pick "ready +MainThread +line 2" >/dev/null
T send-keys -t pick 3
check "digit 3 steps MyCustomThread-2, which takes the semaphore first" wait_for pick "semaphore +1 of 2 free"
check "... and is the one inside" wait_for pick "Code - MyCustomThread-2"
# (its step done: back at its gate at its next line, so the click is not refused as too soon)
wait_for pick "ready +MyCustomThread-2 +line 2" >/dev/null
# mouse NAME REPORT CHECK...: sends REPORT until CHECK holds, 5 times at most
mouse() {
        name=$1 report=$2
        shift 2
        n=0
        while [ $n -lt 5 ]; do
                T send-keys -t "$name" -l "$(printf "$report")"
                j=0
                while [ $j -lt 30 ]; do
                        "$@" && return 0
                        sleep 0.1
                        j=$((j + 1))
                done
                n=$((n + 1))
        done
        return 1
}
shows() { screen "$1" | grep -Eq -- "$2"; }
# a click on an actor's row steps it too: an X10 mouse report (ESC [ M, then 32 + the button,
# 33 + the column, 33 + the row: button 1 pressed, then released, at column 5, row 2)
# (a report whose bytes a loaded machine delivers slowly can be read as separate keys, so the
# click is sent again, up to 5 times, until the step shows; a second step of the same actor
# leaves the count as it is)
check "a click on MyCustomThread-0's row steps it" mouse pick '\033[M &#\033[M#&#' shows pick "semaphore +0 of 2 free"
T send-keys -t pick q

# ---- the deadlock: the banner names both locks ----
last=dl
start dl 80 24 -- scenarios/classics/deadlock.json
wait_for dl "stepping" >/dev/null
check "stepping classics/deadlock.json ends in the deadlock banner" press_until dl " " "DEADLOCK" 40
check "the banner names both locks and who holds them" sh -c "tmux -L $sock capture-pane -p -J -t dl | tr -d '\n' | grep -q 'holds lock_a and waits for lock_b held by Thread-2.*holds lock_b and waits for lock_a'"
check "the header says how the run ended" wait_for dl "finished.*deadlock"
T send-keys -t dl R
check "R starts it again" wait_for dl "Started again from the first step, with the same seed"
check "... from the beginning" wait_for dl "step 0"
# SIGTERM restores the terminal too, and the runner goes with lockstep
procs=$(pids_of dl)
kill -TERM "$(echo "$procs" | cut -d' ' -f1)"
check "SIGTERM ends lockstep with 128+15" wait_for dl "lockstep exited 143"
check "SIGTERM restores the terminal settings" restored dl
check "SIGTERM leaves no process ($procs)" gone "$procs"
# so do the other signals whose default action would end it where it stood: SIGUSR1 left the
# terminal in curses' modes (no newline translation, no echo)
last=usr1
start usr1 80 24 -- tests/e2e/scenarios/work-forever.json
wait_for usr1 "stepping" >/dev/null
procs=$(pids_of usr1)
kill -USR1 "$(echo "$procs" | cut -d' ' -f1)"
check "SIGUSR1 ends lockstep with 128+10" wait_for usr1 "lockstep exited 138"
check "SIGUSR1 restores the terminal settings" restored usr1
check "SIGUSR1 leaves no process ($procs)" gone "$procs"

# ---- stepping from an earlier moment branches a new run ----
last=branch
start branch 160 48 -- scenarios/seed/03-semaphore.json
wait_for branch "stepping" >/dev/null
press_until branch " " "semaphore +semaphore +0 of 2 free" 20 >/dev/null
check "rewound to when one place was taken" press_until branch Left "semaphore +semaphore +1 of 2 free" 20
check "the earlier holder alone is shown again" wait_for branch "│ +held by MyCustomThread-0$|│ +held by MyCustomThread-0 "
# a step key there branches a new run and makes that step in it (it only branched: the key had
# to be pressed again)
T send-keys -t branch 5
check "a step key there branches a new run" wait_for branch "A new run from that moment: its first 2 moves"
check "... and makes its step in it: step 3" wait_for branch "stepping +│ step 3 │"
check "... going on differently: MyCustomThread-4 takes the second place" wait_for branch "│ +held by MyCustomThread-0, MyCustomThread-4"
# at 160x48 the help box has the rows for blank ones between its parts
T send-keys -t branch '?'
wait_for branch "lockstep keys" >/dev/null
check "the help at 160x48: a blank row between the keys and the mouse" sh -c "tmux -L $sock capture-pane -p -t branch | grep -B2 '│ Mouse  *wheel' | head -1 | grep -q '│ q  *quit'"
check "... and between the mouse and the legend" sh -c "tmux -L $sock capture-pane -p -t branch | grep -A3 '│ Mouse  *wheel' | tail -1 | grep -q '│ · new'"
T send-keys -t branch x
wait_gone branch "lockstep keys" >/dev/null
# R after a branch starts from the first step, not from the branch's moment (it went back to step 2)
T send-keys -t branch R
check "R after a branch starts from the first step" wait_for branch "Started again from the first step"
check "... at step 0" wait_for branch "│ step 0 │"
T send-keys -t branch q

# a branch replays the grants, not the steps: a condition's waiter going on is a move of its own,
# and the new run is exactly at the moment shown (everything but the header's mode alike)
last=cbranch
start cbranch 100 30 -- scenarios/seed/05-condition.json
wait_for cbranch "stepping" >/dev/null
press_until cbranch " " "step 30 " 40 >/dev/null
press_until cbranch Left "step 25 of 30" 10 >/dev/null
# (the '*' marks of what changed are left out: the new run has no step before to compare with)
T capture-pane -p -t cbranch | sed 1d | head -24 | sed 's/│\*/│ /' >"$tmp/before-branch"
# (b branches without a step)
T send-keys -t cbranch b
wait_for cbranch "A new run from that moment" >/dev/null
check "a branch of the condition scenario is at the moment shown" wait_for cbranch "stepping .*│ step 25 "
T capture-pane -p -t cbranch | sed 1d | head -24 | sed 's/│\*/│ /' >"$tmp/after-branch"
check "... with every pane as it was" sh -c "diff \"$tmp/before-branch\" \"$tmp/after-branch\" || false"
T send-keys -t cbranch q

# ---- s saves the moves; --schedule (and lockstep run) replay them ----
last=save
cwd=$tmp start save 80 24 -- "$PWD/scenarios/classics/deadlock.json"
wait_for save "stepping" >/dev/null
T send-keys -t save s
check "s before any move saves nothing, and says so" wait_for save "Nothing to save yet: no move has been made in this run\\."
check "... no file written" sh -c "! ls '$tmp' | grep -q schedule"
press_until save " " "DEADLOCK" 40 >/dev/null
T send-keys -t save s
check "s saves the moves so far" wait_for save "Saved 11 moves to deadlock-schedule.txt"
check "the schedule file is there" [ -f "$tmp/deadlock-schedule.txt" ]
T send-keys -t save s
check "s again with the same moves says where they are" wait_for save "Already saved: these 11 moves are in deadlock-schedule\\.txt\\."
check "... and writes no copy" [ ! -e "$tmp/deadlock-schedule-2.txt" ]
# R starts again with the same seed: the same moves once more are the file's too
T send-keys -t save R
wait_for save "Started again from the first step" >/dev/null
press_until save " " "DEADLOCK" 40 >/dev/null
T send-keys -t save s
check "s after R with the same moves again says where they are" wait_for save "Already saved: these 11 moves are in deadlock-schedule\\.txt\\."
check "... and writes no copy either" [ ! -e "$tmp/deadlock-schedule-2.txt" ]
"$bin" run --step --schedule "$tmp/deadlock-schedule.txt" scenarios/classics/deadlock.json >/dev/null 2>&1
check "lockstep run --step --schedule replays it into the deadlock (exit 3)" [ $? -eq 3 ]
# rewound, s saves the moves up to the moment shown (it saved them all)
press_until save Left "step 7 of 11" 10 >/dev/null
T send-keys -t save s
check "s at a rewound moment saves the moves up to it" wait_for save "Saved 7 moves, up to the moment shown, to deadlock-schedule-2.txt"
check "... and the file holds 7 moves" grep -q ': 7 moves' "$tmp/deadlock-schedule-2.txt"
# a message too long for its row goes on in the next (the file name was cut off at 80 columns)
check "... the message whole, on two rows" wait_for save "^--schedule deadlock-schedule-2\\.txt\\)\\.$"
T send-keys -t save q
# every name taken (NAME-schedule.txt, -2 ... -999): s writes over none of them, and says so
mkdir -p "$tmp/full"
touch "$tmp/full/deadlock-schedule.txt"
for i in $(seq 2 999); do touch "$tmp/full/deadlock-schedule-$i.txt"; done
last=full
cwd=$tmp/full start full 80 24 -- "$PWD/scenarios/classics/deadlock.json"
wait_for full "stepping" >/dev/null
T send-keys -t full " " s
check "with all 999 names taken, s saves nothing" wait_for full "Not saved: deadlock-schedule-999\\.txt is the last of 999 names, and it is taken\\."
check "... and writes over no file" sh -c "[ -z \"\$(find '$tmp/full' -type f -size +0)\" ]"
T send-keys -t full q
last=replay
start replay 80 24 -- scenarios/classics/deadlock.json --schedule "$tmp/deadlock-schedule.txt"
check "lockstep FILE --schedule S makes the moves by itself" wait_for replay "DEADLOCK: Thread-1 holds lock_a"
T send-keys -t replay q
# Space goes on in turn after whoever made the last step, however that step was made: by hand
# after MainThread, Thread-1, Thread-1 the next in turn is MainThread (Thread-2 is not started)
printf '@seed 1\nMainThread\nThread-1 * 2\n' >"$tmp/three.txt"
last=replay3
start replay3 80 24 -- scenarios/classics/deadlock.json --schedule "$tmp/three.txt"
wait_for replay3 "step 3" >/dev/null
T send-keys -t replay3 " "
check "after a replayed schedule, Space steps the actor in turn after the last one (MainThread)" \
        wait_for replay3 "MainThread ▶··▶"
T send-keys -t replay3 q

# ---- hot reload: an edited file is loaded again; a broken one shows its errors ----
last=edit
cp scenarios/classics/deadlock.json "$tmp/edit.json"
start edit 80 24 -- "$tmp/edit.json"
wait_for edit "stepping" >/dev/null
press_until edit " " "Thread-1 holds lock_a" 10 >/dev/null
sed 's/holds lock_a"/has lock A"/' scenarios/classics/deadlock.json >"$tmp/edit.json.new"
mv "$tmp/edit.json.new" "$tmp/edit.json"
check "an edited file is loaded again and the run starts again" wait_for edit "The file changed: loaded again"
check "... on the new file" press_until edit " " "Thread-1 has lock A" 10
printf '{ "lockstep": 1, "title": "x", "actors": [ }\n' >"$tmp/edit.json"
check "a broken file shows its errors" wait_for edit "The file no longer loads"
check "... as FILE:LINE:COL" wait_for edit "edit.json:1:[0-9]+: error"
check "... and the old run stays on view" wait_for edit "Thread-1 has lock A"
cp scenarios/classics/deadlock.json "$tmp/edit.json"
check "fixing it loads it again" wait_for edit "The file changed: loaded again"
check "... and the errors go" sh -c "sleep 0.3; ! tmux -L $sock capture-pane -p -t edit | grep -q 'no longer loads'"
T send-keys -t edit q

# ---- processes: a queue's items, a pool's results filling in, each process's copy of a var ----
last=pq
start pq 80 24 -- scenarios/seed/09-queue.json
wait_for pq "stepping" >/dev/null
press_until pq 3 "Consumer +line 1" 6 >/dev/null
check "the queue starts empty" wait_for pq "queue +\\[ \\] 0$"
# only the Producer moves: what it puts stays in the queue, in order
check "items put by one process wait in the queue's box" press_until pq 1 "queue +\\[ 0 \\| 1 \\| 2 \\] 3" 30
check "... the Consumer gets the oldest" press_until pq 2 "queue +\\[ 1 \\| 2 \\] 2" 10
T send-keys -t pq q
last=pp
start pp 160 48 -- scenarios/seed/10-pipe.json
wait_for pp "stepping" >/dev/null
press_until pp 3 "Receiver +line 1" 6 >/dev/null
check "a message sent is in the pipe until it is received" press_until pp 1 "pipe +pipe +parent_conn->child_conn \\[ 'Hello' \\]" 20
check "... the ends named as the file's \"ends\" name them, in Code too" wait_for pp "parent_conn\\.send\\(msg\\) +│"
# a literal the file writes in JSON is shown as Python writes it (it was [..., null])
check "... and the Code pane shows the list as Python: None, not null" wait_for pp "messages = \\['Hello', 'Dear', 'How are you\\?', None\\] +│"
T send-keys -t pp q
# a one-way pipe has one direction, b->a (a receives, b sends): one box, by its ends' names
cat >"$tmp/oneway.json" <<'EOS'
{"lockstep": 1, "title": "One-way", "summary": "s",
 "resources": {"p": {"type": "pipe", "duplex": false, "ends": ["r", "w"]}},
 "actors": [{"name": "Writer", "kind": "process", "run": [{"send": "w", "value": 1}]},
   {"name": "Reader", "kind": "process", "run": [{"recv": "r", "into": "x"}]}]}
EOS
last=ow
start ow 80 24 -- "$tmp/oneway.json"
wait_for ow "stepping" >/dev/null
check "a one-way pipe's message is in its one box, w->r" press_until ow 1 "│.p +w->r \\[ 1 \\]" 6
check "... and no box for the way it does not go" sh -c "! tmux -L $sock capture-pane -p -t ow | grep -q 'r->w'"
T send-keys -t ow q
last=pool
start pool 80 24 -- scenarios/seed/13-cpu-count.json
wait_for pool "stepping" >/dev/null
check "a pool's workers start idle" wait_for pool "worker 1: idle"
check "with no actors, the main thread's code is shown" wait_for pool "Code - MainThread"
check "the map is one step of its caller" press_until pool " " "finished" 5
check "... and the pool has all 10 results, in order" wait_for pool "pool +2 workers, 10 results"
check "... shown as [index]=result" wait_for pool "results: \\[0\\]=0 \\[1\\]=1 \\[2\\]=4 \\[3\\]=9 \\[4\\]=16"
# which worker took which share is the machine's; that they gave the 10 results between them is not
done_in_all() { # done_in_all NAME N: the pool's idle workers say they gave N results in all
        screen "$1" | sed -n 's/.*worker [0-9]* (\([0-9]*\) done): idle.*/\1/p' |
                awk -v want="$2" '{ n += $1 } END { exit n != want }'
}
check "... each worker says how many it gave, 10 in all" done_in_all pool 10
# (back past the moment the map was done)
check "Left goes back through the results one by one" press_until pool Left "pool +2 workers, 9 results" 4
check "... to a worker running a task" press_until pool Left "worker [01]( \\([0-9] done\\))?: task [0-9] \\(argument [0-9]\\)" 3
check "... and further back to 5 results" press_until pool Left "pool +2 workers, 5 results" 12
check "... the header still in that step" wait_for pool "rewound .*step 1 of 2"
check "... and Code still shows the map" wait_for pool "▶ +1 results = pool"
check "... where those 5 show" wait_for pool "results: \\[0\\]=0 \\[1\\]=1 \\[2\\]=4 \\[3\\]=9 \\[4\\]=16"
check "... and not the later ones" sh -c "! tmux -L $sock capture-pane -p -t pool | grep -q '\[5\]=25'"
T send-keys -t pool q
# with "gil", each pool worker's GIL is a lock of its own, held by the worker (its events name
# main, the map's caller); rewound into the map's last round, both workers hold theirs at once
last=gp
start gp 80 24 -- tests/e2e/scenarios/gil-pool.json
wait_for gp "stepping" >/dev/null
check "with gil, a pool worker's GIL is a lock of its own" wait_for gp "GIL@pool/1 +free"
T send-keys -t gp " "
wait_for gp "T +line 1" >/dev/null
# (main back at its gate before its next step is asked for: a key while it is on its step is
# refused; and the map is waited for, not pressed for, as it may take seconds on a slow build)
wait_for gp "ready +MainThread +line 2" >/dev/null
T send-keys -t gp 2
check "the map is one step of main" wait_for gp "pool +2 workers, 6 results"
check "... the second step of the run" wait_for gp "│ step 2 │"
check "... after which every worker's GIL is free" wait_for gp "GIL@pool/0 +free"
# both_held: presses Left until both workers' GILs show held on one screen (30 presses at most)
both_held() {
        k=0
        while [ $k -lt 30 ]; do
                s=$(screen gp)
                echo "$s" | grep -Eq "GIL@pool/0 +held by worker 0" &&
                        echo "$s" | grep -Eq "GIL@pool/1 +held by worker 1" && return 0
                T send-keys -t gp Left
                wait_change gp "$s"
                k=$((k + 1))
        done
        return 1
}
check "rewound into the map, both workers hold their own GILs at once" both_held
T send-keys -t gp q

last=cof
start cof 160 48 -- scenarios/classics/copy-on-fork.json
wait_for cof "stepping" >/dev/null
check "a var forked into processes: each child's own copy" press_until cof " " "Child-1's copy = 1" 30
check "... beside the main process's, unchanged" wait_for cof "counter +var +=  *0  \\(the main process's\\)"
check "... and Child-0's" wait_for cof "Child-0's copy = 1"
check "a Value is one number for all" press_until cof " " "shared +value += 2" 30
# the Code pane names a Value as Python does; a var as written
T send-keys -t cof 1
check "the Code pane writes a Value's number shared.value" wait_for cof "shared\\.value = shared\\.value \\+ 1"
check "... and a var as it is" wait_for cof " counter = counter \\+ 1"
T send-keys -t cof q

last=man
start man 80 24 -- scenarios/seed/11-manager.json
wait_for man "stepping" >/dev/null
check "a manager's dict shows what the worker stored" press_until man " " "shared_dict = \\{'id': 1, 'name': 'Python'\\}" 20
check "... with its server process named below it" sh -c "tmux -L $sock capture-pane -p -t man | grep -A1 'shared_dict = ' | grep -q \"in the manager's server, [0-9]* requests\""
T send-keys -t man q
last=ps
start ps 80 24 -- scenarios/seed/12-process-sync.json
wait_for ps "stepping" >/dev/null
check "resources out of view are said in the pane's title" press_until ps " " "Resources \\(more below\\)" 40
T send-keys -t ps Tab Tab NPage
check "... and scrolling there says what is above" wait_for ps "Resources \\(more above\\)"
check "... showing the last ones" wait_for ps "│ done += 0"
T send-keys -t ps q
# the Code pane says which way its lines out of view are, as Resources does (it hid them without
# a word)
last=pc
start pc 80 24 -- scenarios/seed/12-process-sync.json
wait_for pc "stepping" >/dev/null
T send-keys -t pc Up
check "Code's title says when lines are below" wait_for pc "^ Code - Worker-3 \\(more below\\) +│"
T send-keys -t pc Tab Down
check "... above and below, scrolled (the name giving up its middle)" wait_for pc "^ Code - Wo…er-3 \\(more above, below\\) +│"
T send-keys -t pc End
check "... and above, at the end" wait_for pc "^ Code - Worker-3 \\(more above\\) +│"
check "... whose last line is then in view" wait_for pc "^ +13     finished.notify\\(\\) +│"
T send-keys -t pc q
# a line of code too long for the pane wraps whatever its characters, measured in columns as
# shown: at a space, or where the row is full (a wide character never split at the edge); where
# too little room would be left for its rest, it loses its middle and ends at the pane's edge
# (accented, wide and escaped text was cut at its end, a wide character leaving a blank before
# the border)
cat >"$tmp/wide.json" <<'EOS'
{"lockstep": 1, "title": "wide", "summary": "s", "actors": [{"name": "W", "run": [
 {"print": "héllo wörld ünïcödé straße naïve café résumé déjà vu, the end of it"},
 {"print": "漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字 tail end"},
 {"print": "tab\there\tand\tthere\tand\tnewline\nline two end"},
 {"print": "abcdefghijklmnopqrstuvw\tstuvwxyz"}]}]}
EOS
last=wide
start wide 80 24 -- "$tmp/wide.json"
wait_for wide "stepping" >/dev/null
T send-keys -t wide Up
check "a long line of accented code wraps at a space" wait_for wide '^▶  1 print\("héllo wörld ünïcödé +│'
check "... its rest indented under it" wait_for wide '^ {9}straße naïve café résumé +│'
check "... to its end" wait_for wide '^ {9}déjà vu, the end of it"\) +│'
check "... one of wide characters fills its row to the edge" wait_for wide '^ +2 print\("漢字漢字漢字漢字漢字漢字│'
check "... and goes on under it" wait_for wide '^ {9}漢字漢字漢字漢字 tail end"\)│'
check "... and one with escapes, measured as shown" wait_for wide '^ +3 print\("tab\\there\\tand\\tthere\\ta│'
check "... an escape never split between two rows" wait_for wide '^ +4 print\("abcdefghijklmnopqrstuvw +│'
check "... but kept whole on the next" wait_for wide '^ {9}\\tstuvwxyz"\) +│'
T send-keys -t wide q
cat >"$tmp/deep.json" <<'EOS'
{"lockstep": 1, "title": "deep", "summary": "s", "actors": [{"name": "D", "run": [
 {"repeat": 1, "do": [{"repeat": 1, "do": [{"repeat": 1, "do": [{"repeat": 1, "do": [
  {"print": "héllo wörld ünïcödé straße naïve café résumé déjà vu, the end of it"}]}]}]}]}]}]}
EOS
last=deep
start deep 80 24 -- "$tmp/deep.json"
wait_for deep "stepping" >/dev/null
T send-keys -t deep Up
check "a line indented too deep to wrap loses the middle of its code, its indentation kept" \
        wait_for deep '^ +5 {17}print\("h…f it"\)│'
T send-keys -t deep q
# deeper still, the indentation gives way where the code would have fewer than 10 columns
cat >"$tmp/deeper.json" <<'EOS'
{"lockstep": 1, "title": "deeper", "summary": "s", "actors": [{"name": "D", "run": [
 {"repeat": 1, "do": [{"repeat": 1, "do": [{"repeat": 1, "do": [{"repeat": 1, "do": [
 {"repeat": 1, "do": [{"repeat": 1, "do": [
  {"print": "héllo wörld ünïcödé straße naïve café résumé déjà vu, the end of it"},
  {"break": true}]}]}]}]}]}]}]}]}
EOS
last=deeper
start deeper 80 24 -- "$tmp/deeper.json"
wait_for deeper "stepping" >/dev/null
T send-keys -t deeper Up
check "... a line whose code keeps 10 columns at its own depth" wait_for deeper '^ +6 {21}for _ …\(1\):│'
check "... one deeper given 10 columns, still right of it" wait_for deeper '^ +7 {22}print…it"\)│'
check "... and one as deep that fits, all of its indentation" wait_for deeper '^ +8 {25}break +│'
T send-keys -t deeper q
# a script too long for the pane even unwrapped: its lines a row each, losing their middle,
# but for the selected actor's line, wrapped whole under itself (its caption is about it)
awk 'BEGIN { printf "{\"lockstep\": 1, \"title\": \"long\", \"summary\": \"s\", \"actors\": [{\"name\": \"L\", \"run\": ["
        for (k = 1; k <= 20; k++)
                printf "%s{\"print\": \"step %d of a script too long to show whole at eighty columns\"}", (k > 1 ? ", " : ""), k
        print "]}]}" }' >"$tmp/long.json"
last=long
start long 80 24 -- "$tmp/long.json"
wait_for long "stepping" >/dev/null
T send-keys -t long Up
check "a script longer than the pane: the current line wraps whole" wait_for long '^▶  1 print\("step 1 of a script too +│'
check "... to its end" wait_for long '^ {9}eighty columns"\) +│'
check "... the others a row each, losing their middle" wait_for long '^ +2 print\("step 2 of a…ty columns"\)│'
T send-keys -t long 1
check "... and a step on, the next line is the one whole" wait_for long '^▶  2 print\("step 2 of a script too +│'
check "... the one before a row again" wait_for long '^ +1 print\("step 1 of a…ty columns"\)│'
T send-keys -t long q
# a group's threads share one script: the others on the selected one's line are numbered before
# its marker, in a column that a script of one actor does not have
last=grp
start grp 80 24 -- scenarios/seed/02-lock.json
wait_for grp "stepping" >/dev/null
check "a group's script numbers the other threads on the selected one's line" press_until grp " " '^ +[0-9]+(,[0-9]+)*(\+[0-9]+)?▶  1 with lock: +│' 20
T send-keys -t grp q
last=iso
start iso 80 24 -- scenarios/classics/isolation.json
wait_for iso "stepping" >/dev/null
check "a crashed process is shown dead with its signal" press_until iso " " "✗ crashed +Fragile +line 1 +segmentation fault \\(SIGSEGV\\)" 20
check "... and the message row says whose crash it is" wait_for iso "^Fragile crashed: segmentation fault \\(SIGSEGV\\)"
check "a thread of a crashed process dies with it" press_until iso " " "crashed +Bystander +line 1 +its process Host died" 30
T send-keys -t iso q
# a branch from a moment after a crash makes every move made by then, the crash's too: rewound to
# step 3 (Fragile crashed, Survivor started), a step key there starts at step 3 with Survivor
# ready (it once counted grants by arrivals at a gate, which a crash never makes: step 2, Survivor
# not started)
last=ib
start ib 80 24 -- scenarios/classics/isolation.json
wait_for ib "stepping" >/dev/null
press_until ib " " "stepping .* step 4 " 6 >/dev/null
T send-keys -t ib Left
wait_for ib "rewound .* step 3 of 4" >/dev/null
T send-keys -t ib b
check "a branch after a crash makes its 3 moves again" wait_for ib "its first 3 moves are made again"
# the moves are made again after the message is shown: wait for the last of them
check "... and is at step 3" wait_for ib "stepping .* step 3 "
check "... with Survivor started" wait_for ib "ready +Survivor +line 1"
T send-keys -t ib q

# ---- a cycle too long for the banner's rows at 80x24 is drawn as a chain (five philosophers'
# sentences were cut after two rows, three of the five missing, with no mark of the cut) ----
last=dp
start dp 80 24 -- scenarios/classics/dining-philosophers.json
wait_for dp "stepping" >/dev/null
# exactly the 36 steps in turn that deadlock them, sent at once (keys wait their turn): a Space
# more, pressed while the last step's screen was not yet drawn, put "The run has ended" in the
# caption's row
T send-keys -t dp $(i=0; while [ $i -lt 36 ]; do printf 'Space '; i=$((i + 1)); done)
check "the philosophers deadlock at step 36, stepped in turn" wait_for dp "finished +deadlock +│ step 36 "
check "... and the banner is the whole cycle as a chain" sh -c "tmux -L $sock capture-pane -p -J -t dp | tr -d '\n' | grep -q 'DEADLOCK: Philosopher-0 → fork_1 → Philosopher-1 → fork_2 → Philosopher-2 → *fork_3 → Philosopher-3 → fork_4 → Philosopher-4 → fork_0 → Philosopher-0'"
# the caption in the one row left under it is cut with a mark (it ended "while its")
check "... and the caption under it, cut, ends with …" wait_for dp '^Philosopher-4: "Philosopher-4 takes fork_0 \(right\), or waits while its neighbou…$'
T send-keys -t dp q

# ---- a closed wait-for cycle is a deadlock for its actors while another can still move: the five
# philosophers each with a fork, MainThread not yet at its join (no banner until it blocked too;
# no actor's script releases a fork it does not hold, so nothing can break the cycle) ----
last=dc
start dc 80 24 -- scenarios/classics/dining-philosophers.json
wait_for dc "stepping" >/dev/null
for k in 1 2 3 4 5 6 7 8; do T send-keys -t dc 1 2 3 4 5; done
check "the philosophers' cycle is named while MainThread can still move" wait_for dc "^DEADLOCK: Philosopher-0 → fork_1 → Philosopher-1"
check "... stepping, MainThread ready" sh -c "tmux -L $sock capture-pane -p -t dc | grep -q '^ lockstep │ stepping ' && tmux -L $sock capture-pane -p -t dc | grep -Eq '○ ready +MainThread'"
T send-keys -t dc 6
check "... and its step to the join ends the run" wait_for dc "finished +deadlock"
T send-keys -t dc q

# ---- Output's names: one column, as wide as the longest shown up to a third of the pane, and a
# name too long for it loses its middle, not the end where a group's names differ (all three
# workers were worker_thread…, the very point of the scenario lost) ----
last=names
start names 80 24 -- scenarios/seed/14-thread-names.json
wait_for names "stepping" >/dev/null
press_until names " " "finished" 40 >/dev/null
check "at 80 columns a long name keeps its end" wait_for names "│worker_…read-1│ worker\\(1\\) ran in"
check "... and MainThread is padded to the same column" wait_for names "│MainThread    │ MainThread"
T send-keys -t names q
start names2 160 48 -- scenarios/seed/14-thread-names.json
wait_for names2 "stepping" >/dev/null
press_until names2 " " "finished" 40 >/dev/null
check "at 160 columns the names are whole" wait_for names2 "│worker_thread-1│ worker\\(1\\) ran in worker_thread-1"
T send-keys -t names2 q

# ---- a run-time error on the screen: the message without the file's place (the Code pane marks
# the line, numbered as shown there, not as in the file; the place took the room) ----
last=err
start err 80 24 -- tests/e2e/scenarios/error.json
wait_for err "stepping" >/dev/null
check "an error shows in its actor's row (\"error\", not \"crashed\") without the file's place" press_until err " " "✗ error +Divider +line 1 +ZeroDivisionError: integer division" 10
check "... and in the message row" wait_for err "^Divider: ZeroDivisionError: integer division or modulo by zero"
T send-keys -t err q
# a failed assert ends its actor with the AssertionError, as it ends a Python thread (it showed
# "done"), once the with it is in has given its lock back
cat >"$tmp/assert.json" <<'EOS'
{"lockstep": 1, "title": "assert", "summary": "s", "resources": {"l": {"type": "lock"}},
 "actors": [{"name": "T", "kind": "thread",
   "run": [{"with": "l", "do": [{"assert": "1 == 2", "message": "boom"}]}, {"print": "never"}]}]}
EOS
last=asrt
start asrt 80 24 -- "$tmp/assert.json"
wait_for asrt "stepping" >/dev/null
check "a failed assert ends its actor with an error, at the assert's line" press_until asrt " " "✗ error +T +line 2 +AssertionError: boom" 10
check "... after its with released the lock" wait_for asrt "│.l +(lock +)?free"
T send-keys -t asrt q

# ---- a file with errors on the command line: its errors on the screen until it loads ----
last=broken
printf '{ "lockstep": 1, "title": "x", "actors": [ }\n' >"$tmp/broken.json"
start broken 80 24 -- "$tmp/broken.json"
check "a file with errors opens on its errors" wait_for broken "The file does not load: fix it"
check "... as FILE:LINE:COL" wait_for broken "broken.json:1:[0-9]+: error"
check "... and lockstep waits, no run" sh -c "! tmux -L $sock capture-pane -p -t broken | grep -q 'lockstep exited'"
cp scenarios/classics/deadlock.json "$tmp/broken.json"
check "saving a good file starts its run" wait_for broken "The file loads now: its run has started"
check "... stepped by hand" press_until broken " " "Thread-1 holds lock_a" 10
T send-keys -t broken q
check "q then ends lockstep with 0" wait_for broken "lockstep exited 0"
start broken2 80 24 -- "$tmp/broken.json.missing"
check "a missing file still exits 2" wait_for broken2 "lockstep exited 2"
last=broken3
printf '{ "lockstep": 1, "title": "x", "actors": [ }\n' >"$tmp/broken3.json"
start broken3 80 24 -- "$tmp/broken3.json"
wait_for broken3 "The file does not load" >/dev/null
procs=$(pids_of broken3)
T send-keys -t broken3 q
check "q on the errors ends lockstep with 0" wait_for broken3 "lockstep exited 0"
check "... restores the terminal" restored broken3
check "... and leaves no process ($procs)" gone "$procs"

# ---- lockstep replay TRACE: view and scrub, nothing runs ----
last=rp
"$bin" run --step --policy round-robin --trace "$tmp/dl.trace" scenarios/classics/deadlock.json >/dev/null 2>&1
start rp 80 24 -- replay "$tmp/dl.trace"
check "replay opens the trace at its start" wait_for rp "replay .*│ step 0 of 11"
T send-keys -t rp '?'
check "a replay's help says what the mouse does there" wait_for rp "│ +go to a Timeline step, press a bar key +│"
T send-keys -t rp x
wait_gone rp "lockstep keys" >/dev/null
check "Right moves forward to the deadlock" press_until rp Right "DEADLOCK: Thread-1 holds lock_a" 20
check "the end is the run's end" wait_for rp "replay .*deadlock .*│ step 11"
check "Left moves back again" press_until rp Left "step 10 of 11" 3
T send-keys -t rp "{"
check "{ goes to the trace's start" wait_for rp "replay .*│ step 0 of 11"
T send-keys -t rp "}"
check "} goes to its end" wait_for rp "replay .*deadlock .*│ step 11 "
# a replay's own keys: it plays (r), pauses (p), at the speed (+ -); the bar offered Run and
# Restart, which did nothing there
check "the replay's key bar offers Play and Start" wait_for rp "rPlay pPause \\+-Speed RStart"
T send-keys -t rp R
check "R goes back to the start" wait_for rp "replay .*│ step 0 of 11"
# at the slowest speed (0.5 steps a second) a step is 2 s away: r then p at once, and 3 s on
# nothing has moved
T send-keys -t rp - - r p
check "p pauses the playing" wait_for rp "Paused: r plays on"
sleep 3
check "... and nothing moves while paused" wait_for rp "replay +│ step 0 of 11 │ speed 0.5/s"
T send-keys -t rp + + + + + + + + + + r
check "r plays the trace to its end" wait_for rp "replay .*deadlock .*│ step 11 │ speed max"
check "... and says so" wait_for rp "The end of the trace: r plays it again"
T send-keys -t rp q
check "q ends a replay with 0" wait_for rp "lockstep exited 0"
# a process's copy of a plain var is its parent's memory when the start ran: the main process
# changes x at once after, before the child's own first event in a live run
"$bin" run --trace "$tmp/cf.trace" tests/e2e/scenarios/copy-at-start.json >"$tmp/cf.out" 2>&1
check "the child printed x as it was at its start (0)" grep -q "^P sees 0" "$tmp/cf.out"
last=cf
start cf 100 30 -- replay "$tmp/cf.trace"
T send-keys -t cf "}"
check "the replay shows the child's copy as the child had it" wait_for cf "P's copy = 0"
T send-keys -t cf q
# the '*' marks what the step shown as the last one changed, at the end as when rewound: main's
# last step stores b (a * on b, none on a); it marked nothing at the end of a replay, nor after
# a run at speed, where it marked what changed since some earlier frame
cat >"$tmp/marks.json" <<'EOS'
{"lockstep": 1, "title": "marks", "summary": "s", "actors": [],
 "resources": {"a": {"type": "var", "value": 0}, "b": {"type": "var", "value": 0}},
 "main": [{"store": "a", "value": "1"}, {"store": "b", "value": "2"}]}
EOS
"$bin" run --trace "$tmp/marks.trace" "$tmp/marks.json" >/dev/null 2>&1
last=mk
start mk 80 24 -- replay "$tmp/marks.trace"
T send-keys -t mk "}"
check "the end of a replay marks what its last step changed" wait_for mk "│\\*b +(var +)?= 2"
check "... and only that" sh -c "! tmux -L $sock capture-pane -p -t mk | grep -q '│\\*a '"
T send-keys -t mk q
last=fast
start fast 80 24 -- scenarios/classics/race.json
wait_for fast "stepping" >/dev/null
T send-keys -t fast + + + + + + + + + + + r
check "a run at speed ends (race's last step: main's assert)" wait_for fast "finished .*│ step [0-9]+ │ speed max"
check "... and marks nothing its assert did not change" sh -c "! tmux -L $sock capture-pane -p -t fast | grep -q '│\\*counter'"
T send-keys -t fast q
# --set and --seed make the screen's runs as they make lockstep run's: 3 increments each
last=set
cwd=$tmp start set 80 24 -- "$PWD/scenarios/classics/race.json" --set INCREMENTS=3 --seed 7
wait_for set "stepping" >/dev/null
T send-keys -t set + + + + + + + + + + + r
check "lockstep FILE --set makes the run with that value" wait_for set "counter = [0-9] \\(expected 6\\)"
T send-keys -t set s
check "... and s saves its moves" wait_for set "Saved [0-9]+ moves to race-schedule.txt"
check "... with the seed and the value (@seed 7, @set)" sh -c "grep -qx '@seed 7' '$tmp/race-schedule.txt' && grep -qx '@set \"INCREMENTS=3\"' '$tmp/race-schedule.txt'"
T send-keys -t set q
# a branch keeps the schedule's seed and values (it went back to the scenario's 100 increments)
last=brset
start brset 80 24 -- scenarios/classics/race.json --schedule "$tmp/race-schedule.txt"
wait_for brset "finished" >/dev/null
press_until brset Left "step 20 of" 8 >/dev/null
T send-keys -t brset b
check "b at an earlier moment of a replayed schedule branches" wait_for brset "A new run from that moment: its first 20 moves"
T send-keys -t brset + + + + + + + + + + + r
check "... a run with the schedule's values (expected 6)" wait_for brset "counter = [0-9] \\(expected 6\\)"
T send-keys -t brset q
# a live run that ended says how long it ran, as lockstep run's summary does (speedup.json's
# point); a stepped one does not (above: "step N │ speed max"), its time being the keys'
last=timed
start timed 80 24 -- scenarios/classics/race.json --live --set INCREMENTS=3 --speed max
check "a live run that ended shows the seconds it ran (--speed max: no key pressed)" wait_for timed "finished .*│ step [0-9]+ │ [0-9]+\\.[0-9]{3} s │ speed max"
T send-keys -t timed q
# a queue too long for its row: the items that do not fit are counted, and the count after the
# box stays in view (the box ran off the row, its count with it); the putter's wait names the cap
last=qfull
start qfull 80 24 -- tests/e2e/scenarios/queue-items-full.json --live --speed max
check "a queue of 100,000 items: the first that fit, the rest counted, then the count" wait_for qfull "q +\\[ 0 \\| 1 \\| 2 \\| \\.\\.\\. 99997 more \\] 100000"
check "... the run a deadlock at lockstep's cap" wait_for qfull "waits for queue q \\(full: lockstep's cap"
T send-keys -t qfull q
# --speed starts at the first speed of + and - at or above it
last=sp3
start sp3 80 24 -- scenarios/classics/race.json --speed 3
check "--speed 3 starts at 5 steps a second" wait_for sp3 "stepping .*│ step 0 │ speed 5/s"
T send-keys -t sp3 q
"$bin" scenarios/classics/race.json --speed fast </dev/null >"$tmp/out" 2>&1
check "--speed fast is refused (exit 2)" [ $? -eq 2 ]
check "... saying what it takes" grep -q "^lockstep: --speed is steps a second (0.001 to 1e9) or max, not 'fast'" "$tmp/out"
"$bin" --live </dev/null >"$tmp/out" 2>&1
check "--live without a FILE is refused (exit 2)" [ $? -eq 2 ]
check "... saying it needs one" grep -q "^lockstep: --live, --schedule, --set, --seed and --speed need a scenario FILE" "$tmp/out"
"$bin" scenarios/classics/race.json --set </dev/null >"$tmp/out" 2>&1
check "--set without a value is refused (exit 2)" [ $? -eq 2 ]
check "... saying so" grep -q "^lockstep: --set needs a value" "$tmp/out"
"$bin" scenarios/classics/race.json --seed 1.5 </dev/null >"$tmp/out" 2>&1
check "--seed 1.5 is refused (exit 2)" [ $? -eq 2 ]
# a --set the file cannot take is the command line's to fix: no screen waiting for the file
last=badset
start badset 80 24 -- scenarios/classics/race.json --set INCREMENT=3
check "a --set the scenario has no constant for exits 2" wait_for badset "lockstep exited 2"
check "... saying which, with the name meant" wait_for badset "^--set: error: scenarios/classics/race.json has no constant 'INCREMENT'; did"
# a trace cut short (lockstep killed, the disk full): its whole lines open, and its end says so
# — cut in the middle of a line (it was refused), or after a whole one with no end line
head -n 8 "$tmp/dl.trace" >"$tmp/cut.trace"
printf '{"seq": 8, "t": 0.0' >>"$tmp/cut.trace"
head -n 8 "$tmp/dl.trace" >"$tmp/noend.trace"
for tr in cut noend; do
        last=$tr
        start "$tr" 80 24 -- replay "$tmp/$tr.trace"
        check "replay opens a trace cut short ($tr)" wait_for "$tr" "replay .*│ step 0 of [0-9]"
        check "... and says it was cut short ($tr)" wait_for "$tr" "A replay of a trace cut short \\(it ends before"
        T send-keys -t "$tr" "}"
        if [ $tr = cut ]; then
                check "... its end: the last line was left out" wait_for "$tr" "The end of the trace: its last line was cut short"
        else
                check "... its end: no end line, cut short there" wait_for "$tr" "The end of the trace: it has no end line, so the run"
        fi
        check "... and the run is not over there" wait_for "$tr" "replay +running"
        T send-keys -t "$tr" q
        check "q ends it with 0 ($tr)" wait_for "$tr" "lockstep exited 0"
done
# a long trace says how far its reading has come before the screen opens (376 MB showed nothing
# for 6 s); on a terminal's stderr only, and the line is gone once the screen is there
"$bin" run --trace "$tmp/long.trace" --set N=20000 bench/scenarios/lock_counter.json >/dev/null 2>&1
check "a trace of more than 32 MB is made" [ "$(wc -c <"$tmp/long.trace")" -gt 33554432 ]
script -q -c "\"$bin\" replay \"$tmp/long.trace\"" /dev/null >"$tmp/long.out" 2>&1 </dev/null &
sp=$!
i=0
while [ $i -lt 600 ] && ! grep -q "step 0 of 320003" "$tmp/long.out"; do sleep 0.1; i=$((i + 1)); done
pkill -TERM -f "replay $tmp/long.trace" 2>/dev/null
wait $sp
check "reading a long trace says how far it has come" grep -Eq "lockstep: reading long.trace: +[0-9]+% of 3[0-9] MB" "$tmp/long.out"
check "... and then the screen opens on it" grep -q "step 0 of 320003" "$tmp/long.out"
"$bin" replay "$tmp/long.trace" </dev/null >"$tmp/out" 2>"$tmp/err"
check "... not when stderr is no terminal" sh -c "! grep -q 'lockstep: reading' '$tmp/err'"
echo '{"x": 1}' >"$tmp/bad.trace"
"$bin" replay "$tmp/bad.trace" >"$tmp/out" 2>&1
check "a bad trace exits 2" [ $? -eq 2 ]
check "... saying where and why" grep -q "bad.trace:1:1: error: not a lockstep trace" "$tmp/out"

# ---- live: the operating system schedules; p pauses; L goes back to stepping ----
last=live
start live 80 24 -- scenarios/classics/race.json --live
check "--live runs by itself" wait_for live "live .*│ step [1-9]"
wait_for live "live .*│ step [1-9][0-9]" >/dev/null
T send-keys -t live p
check "p pauses a live run" wait_for live "live, paused"
# the Timeline's ▶ is the actor that made the step, one a column: the other running threads are
# not (every running actor's lane was ▶ in every column); the lanes start after the names
lanes() {
        screen live | sed -n '/Timeline/,/^MainThread/p' | sed -e 1d -e 's/│.*//' -e 's/▶/X/g' \
                -e 's/[·■◇…✗]/./g' | awk '{ for (c = 12; c <= length($0); c++)
                        if (substr($0, c, 1) == "X" && ++n[c] == 2) two++; movers += gsub("X", "") }
                END { print movers + 0, two + 0 }'
}
l=$(lanes) # (the ▶ counted, the columns with two)
check "live, the Timeline has one ▶ a step ($l)" test "${l#* }" = 0 -a "${l% *}" -ge 10
T send-keys -t live L
check "L starts it again stepped by hand" wait_for live "stepping .*│ step 0 "
T send-keys -t live L
check "L again makes it live" wait_for live "A live run: the operating system schedules"
T send-keys -t live q

# ---- a stepped run at full speed is pumped in bursts (its steps taken in at once while each is
# done): p still pauses it where it is, and then nothing moves; q still ends it at once ----
last=burst
# counter FILE TURNS: one thread adding 1 to n TURNS times, two steps a turn
counter() {
        printf '%s\n' '{"lockstep": 1, "title": "counter", "summary": "s",' \
                '"resources": {"n": {"type": "var", "value": 0}}, "main": [{"join": "W"}],' \
                '"actors": [{"name": "W", "run": [{"repeat": '"$2"', "do": [' \
                '{"store": "n", "value": "n + 1"}]}]}]}' >"$1"
}
counter "$tmp/burst.json" 100000000
start burst 80 24 -- "$tmp/burst.json" --speed max
wait_for burst "stepping" >/dev/null
T send-keys -t burst r
check "r at full speed runs the steps by itself" wait_for burst "running .*│ step [0-9]{4,} "
T send-keys -t burst p
check "p pauses a run going at full speed" wait_for burst "paused .*│ step [0-9]+ "
paused_at=$(screen burst | head -1)
sleep 1
check "... and while paused no step is made" [ "$(screen burst | head -1)" = "$paused_at" ]
T send-keys -t burst r
check "r lets it go on" wait_gone burst "$(echo "$paused_at" | grep -o ' step [0-9][0-9]*') "
T send-keys -t burst q
check "q ends it at once while it goes" wait_for burst "lockstep exited 0"
check "... and restores the terminal" restored burst

# ---- no step cap in the terminal UI: a person ends a run with q (it stopped at 1,000,000
# steps, saying "--max-steps", an option only lockstep run has) ----
last=nocap
counter "$tmp/nocap.json" 500001
start nocap 80 24 -- "$tmp/nocap.json" --speed max
wait_for nocap "stepping" >/dev/null
T send-keys -t nocap r
i=0
while [ $i -lt 2400 ] && ! screen nocap | grep -Eq "finished"; do sleep 0.1; i=$((i + 1)); done
check "a stepped run goes past 1,000,000 steps to its end" wait_for nocap "finished +done +│ step 1000004 "
T send-keys -t nocap q

# ---- the runner killed: the screen says so, and q still restores the terminal ----
last=crash
start crash 80 24 -- scenarios/seed/03-semaphore.json
wait_for crash "stepping" >/dev/null
procs=$(pids_of crash)
runner=$(echo "$procs" | cut -d' ' -f2)
check "the runner is a child of lockstep" [ -n "$runner" ]
# (a key's message first: the end replaces it)
T send-keys -t crash 1
wait_for crash "MyCustomThread-0 has not been started" >/dev/null
kill -KILL "$runner"
check "a killed runner ends the run on screen" wait_for crash "finished +crash"
# what happened is said, and the actors alive then died with the runner (they stayed as they
# were, the message row kept the key's message)
check "... saying why on the message row" wait_for crash "^The run ended: the runner was killed by SIGKILL \\(signal 9\\)"
check "... and the actors alive died with it" wait_for crash "✗ crashed +MainThread +line 1 +the runner was killed"
check "... those not started are still new" wait_for crash "· new +MyCustomThread-0"
# a key pressed after the end says so, and why the run ended stays under it (it was hidden)
T send-keys -t crash r
check "a key after the end says the run has ended" wait_for crash "^The run has ended: R starts it again\\.$"
check "... and why it ended stays in sight under it" sh -c "tmux -L '$sock' -f /dev/null capture-pane -p -t crash |
        grep -A1 '^The run has ended: R starts' | grep -q '^The run ended: the runner was killed by SIGKILL'"
T send-keys -t crash q
check "after the runner's crash q ends lockstep with 0" wait_for crash "lockstep exited 0"
check "after the runner's crash the terminal is restored" restored crash
check "after the runner's crash no process is left" gone "$procs"

# ---- a printed line longer than Output wraps under its text (06's "Shared Value: N" was cut
# off at 80 columns), and the title says when lines are out of view ----
last=wrap
start wrap 80 24 -- scenarios/seed/06-process-value.json
wait_for wrap "stepping" >/dev/null
# a name too long for a wrapped row of code is cut after its `.`, not inside the name
T send-keys -t wrap 1
check "a long name in code wraps after its dot" wait_for wrap "^ {19}shared_value\. +│"
check "... its rest on the next row" wait_for wrap "^ {19}value \+ 1 +│"
T send-keys -t wrap Down Down Down Down Down
wait_for wrap "^ Code - MainThread" >/dev/null
T send-keys -t wrap + + + + + + r
check "06 runs to its end" wait_for wrap "finished +done"
check "a long printed line goes on in the next row, under its text" wait_for wrap "^ +│ +│ \\[[0-9]\\.0, 10[0-9]\\.0, 20[0-9]\\.0\\]$"
check "... and Output's title says older lines are above" wait_for wrap "│ Output \\(more above\\)"
T send-keys -t wrap Tab Tab Tab PPage
check "PgUp in Output shows older lines, and the title says newer ones are below" wait_for wrap "│ Output \\(more below\\)"
T send-keys -t wrap q

# ---- 160x48: the room is used ----
# Actors goes across the whole width: a wait's words are whole at 160 columns (the pane was
# the left half, and this line ended "(held by Produc…")
last=cond
start cond 160 48 -- scenarios/seed/05-condition.json
wait_for cond "stepping" >/dev/null
check "at 160x48 a long wait is whole" press_until cond " " "Consumer +line [0-9]+ +waits for condition \\(held by Producer\\)$" 40
T send-keys -t cond q
last=big
start big 160 48 -- scenarios/seed/03-semaphore.json
wait_for big "stepping" >/dev/null
check "at 160x48 the semaphore's count falls to 0" press_until big " " "semaphore +semaphore +0 of 2 free" 20
check "at 160x48 the timeline has a lane per actor" wait_for big "^MyCustomThread-2 +[·▶■]+"
check "at 160x48 the timeline says which steps it shows, and what ▶ is" wait_for big "Timeline - steps 1 to [0-9]+, ▶ who moved +│"
check "at 160x48 the semaphore's holders are named" wait_for big "│ +held by MyCustomThread-0, MyCustomThread-1"
check "at 160x48 the waiter is named in the resource" press_until big " " "│ +waiting: MyCustomThread-2" 20
# resize: too small gets a message, growing again redraws
big_step=$(screen big | sed -n '1s/.*│ step \([0-9]*\) .*/\1/p')
T resize-window -t big -x 60 -y 20
check "too small a terminal says so" wait_for big "lockstep needs 80x24;"
check "... with its size" wait_for big "this terminal is 60x20\\."
# keys do nothing unseen there (three steps and a rewind were made behind the message)
T send-keys -t big " " " " 1 "["
# at 30 columns the message is still whole (it was cut: "press q to q…")
T resize-window -t big -x 30 -y 10
check "... whole at 30 columns" wait_for big "^Make it bigger, or q quits\\.$"
T resize-window -t big -x 100 -y 30
check "growing again redraws the panes" wait_for big "Resources"
check "... at the step it was at ($big_step), stepping" wait_for big "stepping +│ step $big_step │"
T send-keys -t big q

# ---- NO_COLOR: attributes only; with colours, colours ----
sgr_color='\[([0-9]+;)*(3[0-8]|4[0-8]|9[0-7])(;[0-9]+)*m'
start mono 80 24 NO_COLOR=1 -- scenarios/seed/03-semaphore.json
wait_for mono "stepping" >/dev/null
check "NO_COLOR: no colour on the screen" sh -c "! tmux -L $sock capture-pane -e -p -t mono | grep -Eq '$sgr_color'"
check "NO_COLOR: states still in words and glyphs" wait_for mono "ready +MainThread"
T send-keys -t mono q
start color 80 24 -- scenarios/seed/03-semaphore.json
wait_for color "stepping" >/dev/null
check "with colours: colour on the screen" sh -c "tmux -L $sock capture-pane -e -p -t color | grep -Eq '$sgr_color'"
T send-keys -t color q

# ---- a light background: yellow, cyan and white, which it washes out (an actor's name in white
# vanished), made dark colours. LOCKSTEP_THEME says which, else the terminal's COLORFGBG (its
# last number the background's colour), else dark. A pane's title is cyan (36) dark, blue (34)
# light; the caption yellow (33) dark, blue light ----
in_colour() { # in_colour NAME COLOUR TEXT: TEXT is drawn in that SGR colour (other SGRs between)
        e=$(printf '\033')
        tmux -L "$sock" capture-pane -e -p -t "$1" | grep -Eq "$e\[$2m($e\[[0-9;]*m)*$3"
}
title_in() { in_colour "$1" "$2" ' Code - '; }
theme() { # theme NAME ENV...: the semaphore stepped twice (a caption) under ENV
        name=$1
        shift
        start "$name" 80 24 "$@" -- scenarios/seed/03-semaphore.json
        wait_for "$name" "stepping" >/dev/null
        T send-keys -t "$name" Space Space
        wait_for "$name" "│ step 2 │" >/dev/null
}
last=dark
theme dark COLORFGBG=
check "unsaid, dark: a pane's title cyan" title_in dark 36
check "... the caption yellow" in_colour dark 33 'MyCustomThread-0: "with'
T send-keys -t dark q
last=light
theme light LOCKSTEP_THEME=light
check "LOCKSTEP_THEME=light: a pane's title blue" title_in light 34
check "... the caption blue" in_colour light 34 'MyCustomThread-0: "with'
check "... nothing yellow, cyan or white on the background" sh -c "! tmux -L $sock capture-pane -e -p -t light | grep -Eq '$(printf '\033')\[(33|36|37)m'"
T send-keys -t light q
last=fgbg
# (a value with ";" quoted: start writes ENV=VALUE into a script)
theme fgbg "COLORFGBG='0;default;15'"
check "COLORFGBG with a white background: light" title_in fgbg 34
T send-keys -t fgbg q
last=fgbgd
theme fgbgd "COLORFGBG='15;0'"
check "COLORFGBG with a black background: dark" title_in fgbgd 36
T send-keys -t fgbgd q
last=said
theme said "COLORFGBG='0;15'" LOCKSTEP_THEME=dark
check "LOCKSTEP_THEME=dark over a light COLORFGBG: dark" title_in said 36
T send-keys -t said q
out=$(LOCKSTEP_THEME=pink "$bin" scenarios/seed/03-semaphore.json 2>&1 </dev/null)
check "LOCKSTEP_THEME=pink is refused, with the names there are" test $? = 2 -a "$out" = "lockstep: LOCKSTEP_THEME='pink' is no theme: dark or light (unset, the terminal's COLORFGBG says which, else dark)"

# ---- a locale that is not UTF-8: ASCII glyphs and lines ----
start ascii 80 24 LANG=C LC_ALL=C -- scenarios/seed/03-semaphore.json
check "without UTF-8 the states are drawn in ASCII" wait_for ascii "^>6 o ready +MainThread"
check "... and so are the lines" wait_for ascii "lockstep \| stepping"
T send-keys -t ascii q

# ---- keys typed or pasted together each act on what the one before did (five Spaces in one
# write made one step: the others came while it was out and were refused); Ctrl-S is a key, not
# the terminal's XOFF (the screen froze until Ctrl-Q); SIGQUIT (Ctrl-\) ends lockstep as SIGINT
# does, the terminal restored (it was left in the alternate screen, the cursor hidden) ----
last=keys
start keys 80 24 -- scenarios/classics/dining-philosophers.json
wait_for keys "lockstep │ stepping" >/dev/null
T send-keys -t keys -l "     "
check "five Spaces in one write are five steps" wait_for keys "│ step 5 │"
T send-keys -t keys C-s
T send-keys -t keys " "
check "Ctrl-S does not stop the screen" wait_for keys "│ step 6 │"
# (the signal, not the key: the key's SIGQUIT would also end the pane's shell, which waits)
kill -QUIT "$(pids_of keys | cut -d' ' -f1)"
check "SIGQUIT (Ctrl-\\) ends lockstep with 128+3" wait_for keys "lockstep exited 131"
check "... and restores the terminal" restored keys

# ---- the browser: lists, filters, opens, comes back, quits ----
last=br
start br 80 24 -- ""
check "the browser lists the seed's scenarios" wait_for br "Thread: a named thread and join"
check "and the classics" wait_for br "Deadlock: two locks in opposite order"
# the preview's description, cut at the pane's last row, says so (it ended "and overrides")
check "the preview's description cut at 80x24 ends with …" sh -c "tmux -L $sock capture-pane -p -t br | sed -n 22p | grep -q '│ .*…\$'"
T send-keys -t br -l sema
check "typing filters" wait_for br "filter: sema"
check "... and the header says how many are left" wait_for br "lockstep │ 5 of [0-9]+ scenarios │ filter: sema"
check "... to the semaphore scenarios" sh -c "tmux -L $sock capture-pane -p -t br | grep -q 'Semaphore: two at a time' && ! tmux -L $sock capture-pane -p -t br | grep -q 'Thread: a named thread'"
check "the preview shows the selected one" wait_for br "summary +Five threads share a"
T send-keys -t br Enter
check "Enter opens it" wait_for br "lockstep │ stepping .*│ Semaphore: two at a time"
T send-keys -t br q
check "q goes back to the list" wait_for br "filter: sema"
T send-keys -t br Escape
check "Esc clears the filter" wait_for br "Thread: a named thread and join"
# Q is a letter even first (typing "Queue" quit); once something is typed the bar shows F10
T send-keys -t br -l Que
check "Q is a letter of the filter" wait_for br "filter: Que"
check "... and the bar then says F10 quits" wait_for br "F10Quit"
T send-keys -t br Escape
check "with the filter empty the bar says q quits" wait_for br "EscClear qQuit"
# each word of the filter somewhere in the scenario: "pool map" finds Pool.map (as one string it
# found nothing)
T send-keys -t br -l "pool map"
check "two words each found: Pool.map, Pool.starmap and cpu_count's pool" wait_for br "lockstep │ 3 of [0-9]+ scenarios │ filter: pool map"
check "... Pool.map among them" wait_for br "Pool.map: square five numbers"
T send-keys -t br C-u
# a shell's line keys: Ctrl-W takes back the last word, Ctrl-U the whole filter
T send-keys -t br -l "pipe sema"
check "two words filter" wait_for br "filter: pipe sema"
T send-keys -t br C-w
check "Ctrl-W takes back the last word" wait_for br "filter: pipe *$"
T send-keys -t br C-u
check "Ctrl-U clears the filter" wait_for br "EscClear qQuit"
# too small, letters typed do not filter unseen
T resize-window -t br -x 60 -y 20
wait_for br "lockstep needs at least" >/dev/null
T send-keys -t br -l Sema
T resize-window -t br -x 80 -y 24
check "letters typed while too small did not filter" wait_for br "EscClear qQuit"
check "... the whole list is there" wait_for br "Thread: a named thread and join"
T send-keys -t br q
check "q quits the browser" wait_for br "lockstep exited 0"
check "the browser restores the terminal" restored br

# ---- a barrier on the screen: once it trips, those still inside their wait go on ("0 of 3
# arrived" said they waited for nobody); a broken one says so ----
# keys NAME KEY...: presses each key in turn, each once the screen showed the last one's effect
keys() {
        name=$1
        shift
        for key; do
                before=$(screen "$name")
                T send-keys -t "$name" "$key"
                wait_change "$name" "$before"
        done
}
last=bar
start bar 80 24 -- scenarios/classics/barrier.json
wait_for bar "stepping" >/dev/null
keys bar 4 4 1 1 1 1 2 2 2 2
check "two of three at the barrier wait for the third" wait_for bar "◇ waiting +Worker-0 +line 4 +waits for barrier \(2 of 3 arrived\)"
keys bar 3 3 3 3
check "the third trips it" wait_for bar "barrier all 3 arrived"
check "... and the first two go on" wait_for bar "going on: Worker-0, Worker-1"
check "... each waiting only for its turn: ready, not waiting" wait_for bar "○ ready +Worker-1 +line 4 +waits for barrier \(all 3 arrived\)"
check "... and MainThread, joining a worker still alive, blocked" wait_for bar "■ blocked +MainThread +line 2 +waits for Worker-0 to finish *$"
check "... the Timeline's column of that step says the same: the two waits over" \
        wait_for bar '^Worker-0 +·+▶+◇+· +│'
check "... ready, not waiting" wait_for bar '^Worker-1 +·+▶+◇+· +│'
check "... the join still blocked" wait_for bar '^MainThread ▶▶■{12} +│'
check "... its wait in a waiter's red" in_colour bar 31 "waits for Worker-0 to finish"
check "... theirs, being over, in the default colour" in_colour bar 39 "waits for barrier \(all 3 arrived\)"
check "... and those going on green" in_colour bar 32 "Worker-0, Worker-1"
T send-keys -t bar q
# a join whose thread has ended is over: the joiner is ready, only its turn to come
last=join
start join 80 24 -- scenarios/seed/01-thread.json
wait_for join "stepping" >/dev/null
keys join 2 2
check "a join on a thread still alive is blocked" wait_for join "■ blocked +MainThread +line 2 +waits for MyCustomThread to finish *$"
keys join 1
check "... and ready once the thread has ended" wait_for join "○ ready +MainThread +line 2 +waits for MyCustomThread to finish \(it ha"
check "... in the Timeline's column of that step too" wait_for join '^MainThread +▶▶· +│'
T send-keys -t join q
# a deadlock without a cycle is named as soon as it holds, while another actor can still move:
# A and B each wait for a semaphore only the other releases, MainThread not yet at its join
last=rv
start rv 80 24 -- scenarios/classics/rendezvous.json --set BROKEN=True
wait_for rv "stepping" >/dev/null
keys rv 3 3 1 1 1
check "one waiting for the other's signal is no deadlock yet" sh -c \
        "! tmux -L $sock capture-pane -p -t rv | grep -q DEADLOCK"
keys rv 2 2 2
check "both waiting: named at once" wait_for rv "^DEADLOCK: nobody who could end these waits can move: A waits"
check "... while MainThread can still move" wait_for rv "○ ready +MainThread"
T send-keys -t rv q
cat >"$tmp/broken.json" <<'EOS'
{"lockstep": 1, "title": "broken", "summary": "s", "resources": {"b": {"type": "barrier", "parties": 3}},
 "actors": [{"name": "W{i}", "group": "W", "count": 2, "run": [{"wait": "b"}, {"print": "passed"}]}],
 "main": [{"sleep": 1}, {"abort": "b"}, {"join": "W"}]}
EOS
last=brk
start brk 80 24 -- "$tmp/broken.json"
wait_for brk "stepping" >/dev/null
keys brk 1 2 3 3
check "an aborted barrier shows broken" wait_for brk "│.b +broken"
check "... its waiters going on with the error" wait_for brk "BrokenBarrierError: W0, W1"
check "... and the code says b.abort()" wait_for brk "2 b\.abort\(\)"
T send-keys -t brk q

# ---- the authors' notes: an actor's in its row where nothing more pressing is said, each
# resource's on a row under it where every one fits ----
last=notes
start notes 80 24 -- scenarios/seed/10-pipe.json
wait_for notes "stepping" >/dev/null
check "an actor's note in its row" wait_for notes "new +Sender +# Sender\(parent_conn\): its self\.conn"
check "a resource's note under it" wait_for notes "│   # parent_conn, child_conn = Pipe\(\)"
keys notes 3 3 3
check "a wait takes the note's place" press_until notes 2 "blocked +Receiver +line 2 +waits for pipe child_conn \(no message\)" 6
T send-keys -t notes q
last=nonotes
start nonotes 80 24 -- scenarios/seed/12-process-sync.json
wait_for nonotes "stepping" >/dev/null
check "where not every note fits, none is shown" sh -c "! tmux -L $sock capture-pane -p -t nonotes | grep -q '│ *# '"
T resize-window -t nonotes -x 160 -y 48
check "... and at 160x48 each is" wait_for nonotes "│   # how many workers are done: Value\('i', 0\)"
T send-keys -t nonotes q

# ---- an error inside a with: the actor's line is the error's, not the with's (whose lock its
# unwinding gave back) ----
last=cif
start cif 80 24 -- scenarios/classics/condition-if.json
wait_for cif "stepping" >/dev/null
keys cif 4 4 1 1 1 1 2 2 2 2 3 3 3 3 3 1 1 1 2 2 2 3 1 1 1 1 2 2 2
check "the second consumer woken for one item pops from an empty list" wait_for cif "✗ error +Consumer-1 +line 7 +IndexError: pop from empty list"
check "... and the run ends by an error, not a crash" press_until cif " " "finished +error +│" 30
T send-keys -t cif q

# ---- the browser on a file that does not load: its preview says the first error and where ----
mkdir -p "$tmp/data/scenarios/mine"
cp scenarios/seed/01-thread.json "$tmp/data/scenarios/mine/a.json"
printf '{ "lockstep": 1, "title": "broken", "summary": "x" ' >"$tmp/data/scenarios/mine/b.json"
last=brbad
start brbad 80 24 LOCKSTEP_DATA_DIR="$tmp/data" -- ""
wait_for brbad "Thread: a named thread and join" >/dev/null
T send-keys -t brbad Down
check "a broken file's preview says its first error, wrapped" wait_for brbad "│ This file does not load: line 1,"
# the preview pane's lines (right of the list's border), joined
check "... where it is and what it is" sh -c "tmux -L $sock capture-pane -p -t brbad | sed -n 's/^[^│]*│ //p' | tr '\n' ' ' | grep -q 'line 1, column 51: JSON syntax error: the file ends too early'"
check "... and how to see every error" sh -c "tmux -L $sock capture-pane -p -t brbad | sed -n 's/^[^│]*│ //p' | tr -d '\n ' | grep -q 'lockstepcheck.*mine/b.jsonshowsit\.'"
T send-keys -t brbad q
check "q quits that browser" wait_for brbad "lockstep exited 0"
# the preview lists what --set can change: the first 8 constants, a long value cut
cat >"$tmp/data/scenarios/mine/c.json" <<'EOS'
{"lockstep": 1, "title": "Many knobs", "summary": "Ten constants.",
 "constants": {"HOW": "gil", "A": 1, "B": 2.5, "C": [1, 2], "D": null, "E": true, "F": 7,
   "LONG": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "H": 8, "I": 9},
 "actors": [], "main": [{"print": "{HOW}"}]}
EOS
last=brk9
start brk9 160 48 LOCKSTEP_DATA_DIR="$tmp/data" -- ""
wait_for brk9 "Thread: a named thread and join" >/dev/null
T send-keys -t brk9 -l knobs
wait_for brk9 "│ constants HOW='gil'" >/dev/null
# the preview pane's lines (right of the list's border), joined, spaces squeezed
tmux -L "$sock" capture-pane -p -t brk9 | sed -n 's/^[^│]*│ //p' | tr '\n' ' ' | tr -s ' ' >"$tmp/pv"
check "the preview lists the constants, as Python writes them" grep -qF "constants HOW='gil', A=1, B=2.5, C=[1, 2], D=None, E=True, F=7, LONG='" "$tmp/pv"
check "... a long value cut at 40 bytes, and how many more" grep -qE "LONG='x{36}\\.\\.\\. and 2 more( |$)" "$tmp/pv"
T send-keys -t brk9 F10
check "F10 quits that browser" wait_for brk9 "lockstep exited 0"

# ---- z zooms the pane in focus to the panes' whole room, Tab then zooms the next one: every
# pane can be read whole at 80x24, the Timeline too, which has no room there beside the others
# for the six actors of the philosophers ----
last=zoom
start zoom 80 24 -- scenarios/classics/dining-philosophers.json
wait_for zoom "stepping" >/dev/null
T send-keys -t zoom $(i=0; while [ $i -lt 8 ]; do printf 'Space '; i=$((i + 1)); done)
wait_for zoom "│ step 8 │" >/dev/null
check "at 80x24 the philosophers have no Timeline" sh -c "! tmux -L $sock capture-pane -p -t zoom | grep -q Timeline"
keys zoom Tab Tab
check "Tab past the Timeline says how to see it" wait_for zoom "^The Timeline has no room here: z zooms a pane, and Tab then goes to it\.$"
keys zoom z
check "z zooms the pane Tab went on to, Resources" wait_for zoom "^ Resources - zoomed, z shows all *$"
check "... with the room for every note" wait_for zoom "^   # between Philosopher-4 and Philosopher-0$"
check "... the message row says how to go on" wait_for zoom "^Zoomed: Resources alone\. Tab zooms the next pane, z shows them all again\.$"
check "... the other panes not shown" sh -c "! tmux -L $sock capture-pane -p -t zoom | sed -n 2,20p | grep -Eq '^ (Actors|Code|Timeline|Output)|│'"
keys zoom BTab
check "Shift-Tab zooms the Timeline" wait_for zoom "^ Timeline - steps 1 to 8, ▶ who moved - zoomed, z shows all *$"
# the eight steps in turn: each philosopher, MainThread to its join, the first two again
check "... a lane per actor, the steps in turn" sh -c "tmux -L $sock capture-pane -p -t zoom | sed -n 3,8p | tr -s ' ' | tr '\n' '/' | grep -qx 'Philosopher-0 ▶·····▶·/Philosopher-1 ·▶·····▶/Philosopher-2 ··▶·····/Philosopher-3 ···▶····/Philosopher-4 ····▶···/MainThread ·····▶■■/'"
keys zoom Space
check "... a step moves it on" wait_for zoom "^Philosopher-2 +··▶·····▶$"
keys zoom BTab
check "Shift-Tab again zooms Code, the actor of the last step" wait_for zoom "^ Code - Philosopher-2 - zoomed, z shows all *$"
check "... its lines whole" wait_for zoom "^ +10 print\(f\"\{name\} has eaten \{MEALS\} meals and leaves the table\"\)$"
keys zoom z
check "z again shows every pane" wait_for zoom "^ Actors *$"
check "... the Timeline's room gone" sh -c "tmux -L $sock capture-pane -p -t zoom | grep -q '│ Resources' && ! tmux -L $sock capture-pane -p -t zoom | grep -q Timeline"
keys zoom z Tab z
check "unzoomed from the Timeline it has no room for, the focus is on Code" in_colour zoom 42 ' Code - '
T send-keys -t zoom q
# more lanes than rows: the zoomed Timeline scrolls (24 workers and main, 18 rows at 80x24)
printf '%s\n' '{"lockstep": 1, "title": "crowd", "summary": "s", "actors": [' \
        '{"name": "W{i}", "group": "W", "count": 24, "run": [{"print": "hi"}]}]}' >"$tmp/crowd.json"
last=crowd
start crowd 80 24 -- "$tmp/crowd.json"
wait_for crowd "stepping" >/dev/null
keys crowd Space Tab z Tab
check "a zoomed Timeline of more lanes than rows says so" wait_for crowd "^ Timeline \(more below\) - steps 1 to 1,"
check "... its first lanes shown" wait_for crowd "^W0 "
keys crowd End
check "... End scrolls to the last lanes" wait_for crowd "^ Timeline \(more above\) - steps 1 to 1,"
check "... main's lane at the bottom" sh -c "tmux -L $sock capture-pane -p -t crowd | sed -n 20p | grep -q '^MainThread'"
check "... the first ones gone" sh -c "! tmux -L $sock capture-pane -p -t crowd | grep -q '^W0 '"
T send-keys -t crowd q
# ---- the mouse: the wheel scrolls the pane under the pointer (and focuses it), a click on a pane
# focuses it; in the list the wheel moves the selection. X10 reports as for the click above:
# ESC [ M, 32 + the button (64 the wheel up, 65 down; 0 pressed, 3 released), 33 + the
# column, 33 + the row (a report cut into keys by a loaded machine is sent again, as there) ----
last=wheel
start wheel 80 24 -- scenarios/seed/03-semaphore.json
wait_for wheel "stepping" >/dev/null
keys wheel + + + + + + + r
check "the semaphore run to its end" wait_for wheel "finished +done"
check "... its Output ends at its last line" wait_for wheel "Output \(more above\)"
# the wheel up at column 50, row 19 (Output's rows at 80x24 with six actors)
check "the wheel up over Output scrolls it back" mouse wheel '\033[M`S4' shows wheel "Output \(more below\)"
check "... and focuses it" in_colour wheel 42 ' Output'
check "the wheel down scrolls it forward again" mouse wheel '\033[MaS4' shows wheel "Output \(more above\)"
# a click on Resources' title (column 40, row 8), pressed and released
check "a click on a pane focuses it: Resources" mouse wheel '\033[M I)\033[M#I)' in_colour wheel 42 ' Resources'
T send-keys -t wheel q
# a click on a column of the Timeline shows the moment after that step, as Left does: race.json
# six steps on, the third column (column 13, the first lane's row, 17) is step 3, three Lefts
last=tl
start tl 80 24 -- scenarios/classics/race.json
wait_for tl "stepping" >/dev/null
keys tl Space Space Space Space Space Space
check "a click on the Timeline's third column shows step 3" mouse tl '\033[M .2\033[M#.2' shows tl "rewound +│ step 3 of 6 │"
check "... the moment three Lefts show" wait_for tl "^An earlier moment \(event 12 of 19\): Left/\[ back, Right/\] forward\.$"
check "... the lanes up to it (the title without its legend at 36 columns)" wait_for tl "^ Timeline - steps 1 to 3 +│"
T send-keys -t tl q
# a click on the key bar (row 23) is its key, as on htop's: r (column 18), p (23), q (71)
last=kb
start kb 80 24 -- scenarios/classics/race.json
wait_for kb "stepping" >/dev/null
check "a click on the bar's rRun runs" mouse kb '\033[M 38\033[M#38' shows kb "^ lockstep │ running "
check "... on its pPause pauses" mouse kb '\033[M 88\033[M#88' shows kb "^ lockstep │ paused "
check "... on its qQuit quits" mouse kb '\033[M h8\033[M#h8' shows kb "lockstep exited 0"
last=brw
start brw 80 24 -- ""
wait_for brw "summary +A threading.Thread subclass" >/dev/null
# the wheel down over the list (column 10, row 5)
check "in the list the wheel down selects the next scenario" mouse brw '\033[Ma+&' shows brw "^▶ Lock: one thread at a time"
check "... and up the one before again" mouse brw '\033[M`+&' shows brw "^▶ Thread: a named thread"
# a click on a row (column 10, row 4) selects it, a click on the one selected opens it
check "a click on a scenario selects it" mouse brw '\033[M +%%\033[M#+%%' shows brw "^▶ Semaphore: two at a time"
check "... a click on it again opens it" mouse brw '\033[M +%%\033[M#+%%' shows brw "lockstep │ stepping .*│ Semaphore: two at a time"
T send-keys -t brw q
check "... q comes back to the list" wait_for brw "^▶ Semaphore: two at a time"
# the preview cut at 80x24 scrolls: Shift-Down to its end (the semaphore's has 3 rows more),
# the wheel up over it (column 60, row 5) back to its top
keys brw S-Down S-Down S-Down S-Down
check "Shift-Down scrolls the preview to the description's end" wait_for brw "│ the next one waiting may enter\.$"
check "... its first rows gone" sh -c "tmux -L $sock capture-pane -p -t brw | sed -n 2p | grep -q '│ summary   Five threads share a\$'"
check "... and the wheel up over it scrolls back, to its top" mouse brw '\033[M`]&' sh -c "tmux -L $sock capture-pane -p -t brw | sed -n 2p | grep -q '│ Semaphore: two at a time\$'"
check "... its last row cut with … again" wait_for brw "│ once\. Here five threads compete +…$"
# the list's bar too: EnterOpen (column 16), and qQuit (column 45)
check "a click on the list's EnterOpen opens the one selected" mouse brw '\033[M 18\033[M#18' shows brw "lockstep │ stepping .*│ Semaphore: two at a time"
T send-keys -t brw q
wait_for brw "^▶ Semaphore: two at a time" >/dev/null
check "... and on its qQuit quits" mouse brw '\033[M N8\033[M#N8' shows brw "lockstep exited 0"
# 160x48: the bar has room for z (at 80 columns it would push q Quit off)
last=zoomw
start zoomw 160 48 -- scenarios/seed/05-condition.json
check "at 160 columns the key bar shows z" wait_for zoomw "TabFocus zZoom \?Help qQuit"
keys zoomw z
check "... z zooms Actors across the whole screen" wait_for zoomw "^ Actors - zoomed, z shows all *$"
T send-keys -t zoomw q

finish
