# lib.sh — what the end-to-end test scripts share; sourced as `. tests/e2e/lib.sh LOCKSTEP ROOT`
# after which $bin is the binary, $tmp a scratch folder removed at exit, the working directory
# is the source root, and ok/ko count checks; `finish` prints the "N passed, N failed" line.
set -u
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() {
        echo "$pass passed, $fail failed"
        [ "$fail" -eq 0 ]
}
cd "$src" || exit 1
