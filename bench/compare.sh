#!/bin/sh
# End to end (docs/performance.md): lockstep, CPython and raw C on the same workloads. `make bench`
# runs it after building.
# usage: bench/compare.sh [-b BUILD] [-p PYTHON_DIR] [-r RUNS] [-n N] [-I] [WORKLOAD...]
#   -b BUILD        the build folder: lockstep, bench/floor, bench/measure (default: build)
#   -p PYTHON_DIR   the Python programs, NAME.py per workload (default: ../shared/bench/python
#                   from the source root)
#   -r RUNS         runs of each of the three (default 5)
#   -n N            the size: `python3 NAME.py N`, `lockstep run --set N=N`, `floor NAME N`
#                   (default: each program's own)
#   -I              do not count instructions (they take one slow run per workload)
#   WORKLOAD        default: all seven
# For each workload the three run in turn, RUNS rounds, each round starting with the next one
# (so that the machine's other load falls on all three alike); the table has the medians of wall
# time and of peak memory (bench/measure: the largest process of the tree, getrusage
# RUSAGE_CHILDREN), lockstep's events (its summary line), and lockstep's user-space instructions
# per event over its whole process tree, from `perf stat -e instructions:u` where the machine has
# the counter, else from valgrind's callgrind (one more run). Every run must exit 0 and print the
# same last line as all the others, which the last column shows; else the exit status is 1. A
# cache line's round trip between two CPUs (`floor roundtrip`) is printed before and after.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$root/build
py=$root/../shared/bench/python
runs=5
size=
count=1
while getopts b:p:r:n:I opt; do
        case $opt in
        b) build=$(cd "$OPTARG" && pwd) ;;
        p) py=$OPTARG ;;
        r) runs=$OPTARG ;;
        n) size=$OPTARG ;;
        I) count= ;;
        *) sed -n '4,12s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
        esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] && set -- lock_counter condition_pc process_value pool_map queue_pc pipe manager
for f in "$build/lockstep" "$build/bench/floor" "$build/bench/measure"; do
        [ -x "$f" ] || { echo "compare.sh: no $f (build first: make build)" >&2; exit 2; }
done
for w in "$@"; do
        [ -f "$py/$w.py" ] || { echo "compare.sh: no $py/$w.py (-p PYTHON_DIR)" >&2; exit 2; }
        [ -f "$root/bench/scenarios/$w.json" ] || { echo "compare.sh: no workload $w" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# how instructions are counted: perf where the counter works (not in every VM), else callgrind
counter=
if [ -n "$count" ]; then
        if perf stat -x, -e instructions:u -o "$tmp/perf" true 2>/dev/null &&
                grep -q '^[0-9][0-9]*,' "$tmp/perf"; then
                counter=perf
        elif command -v valgrind >/dev/null 2>&1; then
                counter=callgrind
        else
                echo "compare.sh: neither perf's instructions counter nor valgrind: no instructions" >&2
        fi
fi

# run SIDE WORKLOAD [WRAPPER...]: runs SIDE's program on WORKLOAD, under WRAPPER when given
run() {
        run_side=$1 run_w=$2
        shift 2
        case $run_side in
        python) "$@" python3 "$py/$run_w.py" ${size:+"$size"} ;;
        lockstep) "$@" "$build/lockstep" run ${size:+--set "N=$size"} "$root/bench/scenarios/$run_w.json" ;;
        floor) "$@" "$build/bench/floor" "$run_w" ${size:+"$size"} ;;
        esac
}
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.6f", m }'; }
events() { sed -n 's/^lockstep: .* steps, \([0-9]*\) events, .*/\1/p' "$1" | tail -n 1; }

status=0
echo "$runs runs each, medians; peak RSS of the largest process; instructions: ${counter:-not counted}"
# the machine's stretch: a cache line's round trip between two CPUs (docs/performance.md, "On
# another machine"), before the table and after it
echo "a cache line's round trip between two CPUs: $("$build/bench/floor" roundtrip)"
echo
echo "| workload | events | CPython | lockstep | raw C | lockstep / CPython | lockstep / raw C | peak RSS CPython | lockstep | raw C | instructions / event | last line |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for w in "$@"; do
        for s in lockstep python floor; do : >"$tmp/$s.t"; : >"$tmp/$s.m"; done
        : >"$tmp/events"
        : >"$tmp/lines"
        problem=
        for r in $(seq "$runs"); do
                # this round's order: the sides rotated by the round number
                case $(((r - 1) % 3)) in
                0) order="lockstep python floor" ;;
                1) order="python floor lockstep" ;;
                *) order="floor lockstep python" ;;
                esac
                for s in $order; do
                        run "$s" "$w" "$build/bench/measure" "$tmp/m" >"$tmp/out" 2>"$tmp/err" || true
                        read -r secs rss code <"$tmp/m"
                        echo "$secs" >>"$tmp/$s.t"
                        echo "$rss" >>"$tmp/$s.m"
                        echo "$s $(tail -n 1 "$tmp/out")" >>"$tmp/lines"
                        [ "$s" = lockstep ] && events "$tmp/err" >>"$tmp/events"
                        if [ "$code" != 0 ]; then
                                case $problem in
                                *" $s exited $code;"*) ;;
                                *) problem="$problem $s exited $code;" ;;
                                esac
                                sed "s/^/  $w $s: /" "$tmp/err" | tail -n 3 >&2
                        fi
                done
        done
        if [ "$(cut -d' ' -f2- "$tmp/lines" | sort -u | wc -l)" -ne 1 ]; then
                problem="$problem DIFFERENT:$(sort -u "$tmp/lines" |
                        awk '{ s = $1; $1 = ""; printf " %s \"%s\";", s, substr($0, 2) }')"
        fi
        result=${problem:-$(head -n 1 "$tmp/lines" | cut -d' ' -f2-)}
        [ -z "$problem" ] || status=1

        ipe=-
        if [ -n "$counter" ]; then
                rm -f "$tmp"/cg.*
                if [ "$counter" = perf ]; then
                        run lockstep "$w" perf stat -x, -e instructions:u -o "$tmp/perf" >/dev/null 2>"$tmp/err" || true
                        ins=$(sed -n 's/^\([0-9][0-9]*\),.*instructions.*/\1/p' "$tmp/perf")
                else
                        run lockstep "$w" valgrind -q --tool=callgrind \
                                --callgrind-out-file="$tmp/cg.%p" >/dev/null 2>"$tmp/err" || true
                        ins=$(cat "$tmp"/cg.* | awk '/^summary:/ { s += $2 } END { printf "%.0f\n", s }')
                fi
                ev=$(events "$tmp/err")
                [ -n "$ins" ] && [ -n "$ev" ] && [ "$ev" -gt 0 ] && ipe=$(awk "BEGIN { printf \"%.0f\", $ins / $ev }")
        fi

        tl=$(median <"$tmp/lockstep.t")
        tp=$(median <"$tmp/python.t")
        tf=$(median <"$tmp/floor.t")
        awk -v w="$w" -v ev="$(median <"$tmp/events")" -v tl="$tl" -v tp="$tp" -v tf="$tf" \
                -v ml="$(median <"$tmp/lockstep.m")" -v mp="$(median <"$tmp/python.m")" \
                -v mf="$(median <"$tmp/floor.m")" -v ipe="$ipe" -v res="$result" 'BEGIN {
                printf "| %s | %.0f | %.3f s | %.3f s | %.3f s | %.2f× | %s | %.1f MB | %.1f MB | %.1f MB | %s | %s |\n",
                        w, ev, tp, tl, tf, (tp > 0) ? tl / tp : 0,
                        (tf > 0) ? sprintf("%.1f×", tl / tf) : "-", mp / 1024, ml / 1024, mf / 1024, ipe, res
        }'
done
echo
echo "a cache line's round trip between two CPUs, after: $("$build/bench/floor" roundtrip)"
exit $status
