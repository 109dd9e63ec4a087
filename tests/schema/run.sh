#!/bin/sh
# The JSON Schema and the loader agree: every bundled scenario and every scenario the end-to-end
# tests run is valid under the schema (ajv, draft 2020-12), and in the bad-input corpus the schema rejects exactly the files marked
# `schema` in tests/bad/expect.txt; the files marked `loader` hold mistakes only the loader can
# see (expression syntax, unknown names, references), so the schema must accept them.
# usage: run.sh SOURCE_ROOT. Needs `npm ci` in tests/schema first (make test does it).
set -u
src=$1
cd "$src" || exit 1
if [ ! -d tests/schema/node_modules/ajv ]; then
        echo "tests/schema/node_modules is missing: run 'npm ci' in tests/schema (make test does)"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valid=""
invalid=""
for f in scenarios/*/*.json tests/e2e/scenarios/*.json; do valid="$valid $f"; done
while IFS='|' read -r file pos kind msg; do
        case "$file" in ''|'#'*) continue ;; esac
        case "$kind" in
        schema) invalid="$invalid tests/bad/$file" ;;
        loader) valid="$valid tests/bad/$file" ;;
        *) echo "FAIL: expect.txt: $file: kind must be schema or loader" ;;
        esac
done <tests/bad/expect.txt
# One node process per group; validate.mjs prints "FILE: ok" or "FILE: invalid: ..." per file.
# shellcheck disable=SC2086
node tests/schema/validate.mjs assets/scenario.schema.json $valid >"$tmp/valid" 2>&1
# shellcheck disable=SC2086
node tests/schema/validate.mjs assets/scenario.schema.json $invalid >"$tmp/invalid" 2>&1
pass=0
fail=0
for f in $valid; do
        if grep -qxF "$f: ok" "$tmp/valid"; then pass=$((pass + 1)); else
                fail=$((fail + 1)); echo "FAIL: the schema rejects $f, which it should accept:"
                grep -F "$f:" "$tmp/valid" | head -2
        fi
done
for f in $invalid; do
        if grep -qF "$f: invalid" "$tmp/invalid"; then pass=$((pass + 1)); else
                fail=$((fail + 1)); echo "FAIL: the schema accepts $f, which is marked 'schema'"
        fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
