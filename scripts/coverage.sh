#!/bin/sh
# Line coverage per file, from a build made with -Db_coverage=true after its tests ran.
# usage: coverage.sh BUILD DIR[:MIN]...   e.g.  coverage.sh build-cov src/engine:90 src/session
# Prints each C file's executed lines and each DIR's total; exits 1 when a DIR given a MIN is
# below MIN percent. Plain gcov, run on the library's counter files (meson names an object
# liblockstep.a.p/src_engine_interp.c.o, so its counters are src_engine_interp.c.gcda).
set -eu
build=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for arg in "$@"; do
        dir=${arg%%:*}
        min=${arg#*:}
        [ "$min" = "$arg" ] && min=""
        total=0
        run=0
        for src in "$root/$dir"/*.c; do
                obj="$build/liblockstep.a.p/$(echo "$dir/${src##*/}" | tr / _)"
                data=$obj.gcda
                [ -f "$data" ] || data=$obj.gcno # never ran: every line counts as missed
                # "Lines executed:91.96% of 721" for the source itself (the first File block)
                line=$(cd "$build" && gcov -n "$(basename "$(dirname "$data")")/$(basename "$data")" 2>/dev/null |
                        awk -v f="${src##*/}" '/^File / { mine = index($0, "/" f "'"'"'") > 0 }
                                mine && /^Lines executed:/ { print; exit }')
                pct=$(echo "$line" | sed -n 's/^Lines executed:\([0-9.]*\)% of \([0-9]*\)$/\1/p')
                n=$(echo "$line" | sed -n 's/^Lines executed:\([0-9.]*\)% of \([0-9]*\)$/\2/p')
                [ -n "$n" ] || { pct=0; n=0; }
                hit=$(awk -v p="$pct" -v n="$n" 'BEGIN { printf "%d", p * n / 100 + 0.5 }')
                printf '%-32s %6s%% of %5s lines\n' "$dir/${src##*/}" "$pct" "$n"
                total=$((total + n))
                run=$((run + hit))
        done
        pct=$(awk -v r="$run" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * r / t : 0 }')
        printf '%-32s %6s%% of %5s lines%s\n\n' "$dir (total)" "$pct" "$total" \
                "${min:+ (minimum $min%)}"
        if [ -n "$min" ] && awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p < m) }'; then
                echo "coverage of $dir is below $min%" >&2
                status=1
        fi
done
exit $status
