#!/bin/sh
# pictures.sh — the README's screenshots, from real runs of the TUI in tmux: each scene is
# driven with send-keys until its screen shows what it is for, captured with its colours
# (capture-pane -e), turned into HTML by aha and into a PNG by headless chromium, under
# docs/pictures/. Run by `make pictures` from the source root, after a build.
# Needs tmux, aha and chromium (Debian: apt-get install tmux aha chromium).
set -eu
bin=${1:-build/lockstep}
out=docs/pictures
for tool in tmux aha chromium; do
        command -v $tool >/dev/null 2>&1 || { echo "pictures: $tool is missing" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d)
sock="lockstep-pictures-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -rf "$work"' EXIT

# a session that stays, so the server does not exit between scenes
T new-session -d -s keep "sleep 600"

shows() { T capture-pane -p -t "$1" | grep -Eq -- "$2"; }
# press NAME KEY TEXT: press KEY (at most 60 times) until the screen shows TEXT
press() {
        k=0
        while ! shows "$1" "$3"; do
                [ $k -lt 60 ] || { echo "pictures: $1 never showed '$3'" >&2; exit 1; }
                T send-keys -t "$1" "$2"
                i=0
                while [ $i -lt 10 ]; do sleep 0.05; i=$((i + 1)); done
                k=$((k + 1))
        done
}
# scene NAME COLS ROWS ARGS...: start lockstep ARGS in a fresh pane
scene() {
        name=$1 cols=$2 rows=$3
        shift 3
        T new-session -d -s "$name" -x "$cols" -y "$rows" \
                "env LANG=C.UTF-8 TERM=xterm-256color $bin $*"
        press "$name" "" "lockstep"
}
# shoot NAME: the pane as docs/pictures/NAME.png
shoot() {
        T capture-pane -e -p -t "$1" | aha --black --title "lockstep" >"$work/$1.html"
        cols=$(T display -p -t "$1" '#{pane_width}')
        rows=$(T display -p -t "$1" '#{pane_height}')
        chromium --headless --no-sandbox --hide-scrollbars \
                --window-size=$((cols * 8 + 24)),$((rows * 15 + 24)) \
                --screenshot="$out/$1.png" "$work/$1.html" >/dev/null 2>&1
        T send-keys -t "$1" q
        echo "pictures: $out/$1.png"
}

scene browser 100 30
T send-keys -t browser Down Down
press browser "" "summary +Five threads"
shoot browser

scene semaphore 100 30 scenarios/seed/03-semaphore.json
press semaphore " " "waits for semaphore"
shoot semaphore

scene philosophers 120 36 scenarios/classics/dining-philosophers.json
press philosophers " " "DEADLOCK"
shoot philosophers

# main starts both threads; the producer fills the buffer, holding the condition's lock as it
# prints; the consumer then comes to the lock and waits for it
scene condition 120 36 scenarios/seed/05-condition.json
press condition 3 "MainThread +line 3"
press condition 1 "buffer .*= \\[[0-9]+, [0-9]+, [0-9]+, [0-9]+\\].*"
press condition 1 "▶ +7 +print"
press condition 2 "blocked +Consumer .*waits for condition"
shoot condition

# processes: a Queue between two processes, only the Producer stepped, its items waiting
scene queue 120 36 scenarios/seed/09-queue.json
press queue 3 "Consumer +line 1"
press queue 1 "queue +(queue +)?\\[ 0 \\| 1 \\| 2 \\]"
shoot queue

# a Pool's map is one step of its caller: stepped, then rewound into it, the results filling in
scene pool 120 36 scenarios/seed/13-cpu-count.json
press pool " " "finished"
press pool Left "2 workers, 6 results"
press pool Left "worker [01]( \\([0-9]+ done\\))?: task 6"
shoot pool
