#!/bin/sh
# Runs each libFuzzer harness of a fuzz build for a bounded time and reports, per harness, the
# executions and the edges covered (libFuzzer's "cov"). A crash, leak, sanitizer report or
# timeout fails it; the input is left in a scratch folder and named in the output: fix the bug,
# then add the input to tests/fuzz/corpus/HARNESS/ so that `meson test` replays it for good.
# usage: fuzz.sh FUZZ_BUILD [SECONDS_PER_HARNESS]   (the build: CC=clang meson setup X -Dfuzz=true)
# Prints one line per harness, "fuzz NAME: ok, E executions, C edges" or "fuzz NAME: FAIL ...".
set -u
build=$1
secs=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
status=0
for name in scenario trace schedule; do
        bin="$build/tests/fuzz/fuzz_$name"
        if [ ! -x "$bin" ]; then
                echo "fuzz $name: FAIL, $bin is missing (meson compile -C $build)"
                status=1
                continue
        fi
        mkdir -p "$work/$name"
        ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
                -artifact_prefix="$work/$name-" "$work/$name" "$src/tests/fuzz/corpus/$name" \
                >"$work/$name.log" 2>&1
        rc=$?
        done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$name.log" | tail -n 1)
        execs=$(echo "$done_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
        edges=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then
                echo "fuzz $name: ok, $execs executions, $edges edges in ${secs} s"
        else
                status=1
                echo "fuzz $name: FAIL (exit $rc); the log and the input are in $work:"
                grep -E 'ERROR|SUMMARY|Test unit written' "$work/$name.log" | head -n 5 | sed 's/^/  | /'
        fi
done
[ "$status" -eq 0 ] && rm -rf "$work"
exit $status
