#!/bin/sh
# The workloads `make bench` times (docs/performance.md, "End to end"), at small sizes: each raw C
# floor (bench/floor.c) and each lockstep scenario (bench/scenarios/) prints the answer the Python
# program prints, worked out here from N. No timing is checked.
# usage: floor.sh LOCKSTEP SOURCE_ROOT FLOOR
. "$(dirname "$0")/lib.sh" "$1" "$2"
floor=$3

# answer NAME N: what bench/python/NAME.py prints for N
answer() {
        case $1 in
        lock_counter) echo $((4 * $2)) ;;
        condition_pc | queue_pc) echo $(($2 * ($2 - 1) / 2)) ;;
        process_value) echo $((4 * $2)) ;;
        pool_map) echo $(($2 * ($2 - 1) * (2 * $2 - 1) / 6)) ;;
        pipe) echo "$2" ;;
        manager) echo "$(($2 < 100 ? $2 : 100)) $2" ;;
        esac
}
# check WHO NAME N COMMAND...: COMMAND exits 0 and its last line is NAME's answer for N
check() {
        who=$1; name=$2; n=$3; shift 3
        want=$(answer "$name" "$n")
        if "$@" >"$tmp/out" 2>"$tmp/err"; then
                got=$(tail -n 1 "$tmp/out")
                [ "$got" = "$want" ] && ok || ko "$who $name N=$n: printed '$got', wanted '$want'"
        else
                ko "$who $name N=$n: exit $?"; tail -3 "$tmp/err"
        fi
}

for name in lock_counter condition_pc process_value pool_map queue_pc pipe manager; do
        # 0 and 1 are the edges (an empty pool map, a lone sentinel); 7 leaves a pool chunk part
        # full; 2000 goes round the queue's ring and past the manager's 100 keys
        for n in 0 1 7 2000; do
                check floor "$name" "$n" "$floor" "$name" "$n"
        done
        check lockstep "$name" 2000 "$bin" run --set N=2000 "bench/scenarios/$name.json"
done
check floor pool_map 200000 "$floor" pool_map
# not a workload: a round trip in ns, or - with one CPU
case $("$floor" roundtrip) in
[0-9]*" ns" | -) ok ;;
*) ko "floor roundtrip: printed '$("$floor" roundtrip)'" ;;
esac
case $(taskset -c 0 "$floor" roundtrip 2>/dev/null || echo -) in
-) ok ;;
*) ko "floor roundtrip on one CPU: not -" ;;
esac
"$floor" nothing >/dev/null 2>&1
[ $? -eq 2 ] && ok || ko "floor: an unknown workload is not a usage error"
"$floor" pipe 12x >/dev/null 2>&1
[ $? -eq 2 ] && ok || ko "floor: a bad N is not a usage error"
finish
