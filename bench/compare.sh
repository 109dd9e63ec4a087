#!/bin/sh
# Times `lockstep run` on the scaled-up seed workloads against CPython running the same programs.
# usage: bench/compare.sh [LOCKSTEP] [PYTHON_BENCH_DIR]
# Each command runs 5 times; the best wall-clock time is reported (less noise than the mean on a
# shared machine). Both sides print the same result, which is checked.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/lockstep}
py=${2:-$here/../../shared/bench/python}
best() {
        b=""
        for _ in 1 2 3 4 5; do
                s=$(date +%s.%N)
                "$@" >/tmp/lockstep-bench.out 2>/dev/null || true
                e=$(date +%s.%N)
                t=$(echo "$e - $s" | bc)
                if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" -eq 1 ]; then b=$t; fi
        done
        printf '%.3f' "$b"
}
printf '%-16s %10s %10s %8s  %s\n' workload python lockstep ratio result
for w in lock_counter condition_pc; do
        tp=$(best python3 "$py/$w.py")
        rp=$(python3 "$py/$w.py")
        tl=$(best "$bin" run "$here/scenarios/$w.json")
        rl=$("$bin" run "$here/scenarios/$w.json" 2>/dev/null)
        same=$([ "$rp" = "$rl" ] && echo "same ($rl)" || echo "DIFFERENT: python $rp, lockstep $rl")
        printf '%-16s %9ss %9ss %7.2fx  %s\n' "$w" "$tp" "$tl" "$(echo "$tp / $tl" | bc -l)" "$same"
done
