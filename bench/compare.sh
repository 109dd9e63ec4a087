#!/bin/sh
# Times `lockstep run` on the scaled-up seed workloads against CPython running the same programs.
# usage: bench/compare.sh [LOCKSTEP] [PYTHON_BENCH_DIR] [RUNS] [WORKLOAD...]
# The two sides run alternately, RUNS times each (default 5), and the median wall-clock time of
# each is reported (alternating spreads the machine's other load over both). Both sides print
# the same result, which is checked.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/lockstep}
py=${2:-$here/../../shared/bench/python}
runs=${3:-5}
[ $# -gt 3 ] && shift 3 || set --
[ $# -eq 0 ] && set -- lock_counter condition_pc process_value pool_map queue_pc pipe manager
out=$(mktemp)
trap 'rm -f "$out" "$out.p" "$out.l"' EXIT
# seconds one run of "$@" takes
timed() {
        s=$(date +%s.%N)
        "$@" >"$out" 2>/dev/null || true
        e=$(date +%s.%N)
        echo "$e - $s" | bc
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
printf '%-16s %10s %10s %8s  %s\n' workload python lockstep ratio result
for w in "$@"; do
        : >"$out.p"
        : >"$out.l"
        for _ in $(seq "$runs"); do
                timed python3 "$py/$w.py" >>"$out.p"
                timed "$bin" run "$here/scenarios/$w.json" >>"$out.l"
        done
        tp=$(median <"$out.p")
        tl=$(median <"$out.l")
        rp=$(python3 "$py/$w.py")
        rl=$("$bin" run "$here/scenarios/$w.json" 2>/dev/null)
        same=$([ "$rp" = "$rl" ] && echo "same ($rl)" || echo "DIFFERENT: python $rp, lockstep $rl")
        printf '%-16s %9ss %9ss %7.2fx  %s\n' "$w" "$tp" "$tl" "$(echo "$tp / $tl" | bc -l)" "$same"
done
