#!/bin/sh
# Runs the whole meson test suite in each build folder given (the plain build, then the
# sanitizer ones) and ends with the one line "N passed, N failed" that CI reads.
# With FUZZ_BUILD set to a fuzz build (clang, -Dfuzz=true), each fuzz harness also runs for
# FUZZ_SECONDS (default 30) and counts as one more test (scripts/fuzz.sh).
# Exit status: 0 when nothing failed anywhere.
set -u
status=0
for build in "$@"; do
        echo "== meson test -C $build"
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1 \
                meson test -C "$build" --print-errorlogs --num-processes 2 || status=1
done
fuzzlog=$(mktemp)
trap 'rm -f "$fuzzlog"' EXIT
if [ -n "${FUZZ_BUILD:-}" ]; then
        echo "== fuzzing ($FUZZ_BUILD, ${FUZZ_SECONDS:-30} s per harness)"
        sh "$(dirname "$0")/fuzz.sh" "$FUZZ_BUILD" "${FUZZ_SECONDS:-30}" | tee "$fuzzlog"
        grep -q "^fuzz .*: FAIL" "$fuzzlog" && status=1
fi
python3 - "$fuzzlog" "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        if line.startswith("fuzz "):
            if ": ok" in line:
                passed += 1
            else:
                failed += 1
for build in sys.argv[2:]:
    try:
        with open(build + "/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif r == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except OSError:
        failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
