#!/bin/sh
# End-to-end tests of `lockstep check`, `list` and the command line, on the real binary.
# usage: check.sh LOCKSTEP SOURCE_ROOT
# Every bundled scenario must pass `check`; every file of the bad-input corpus (tests/bad, with
# its expected FILE:LINE:COL and message in tests/bad/expect.txt) must fail with exit 2 and that
# message; generated monsters (8 MB string, 200,000 nested brackets) must fail cleanly.
. "$(dirname "$0")/lib.sh" "$1" "$2"

# expect_exit CODE DESCRIPTION -- COMMAND...
expect_exit() {
        want=$1; what=$2; shift 3
        "$@" >"$tmp/out" 2>"$tmp/err"
        got=$?
        if [ "$got" -eq "$want" ]; then ok; else
                ko "$what: exit $got, wanted $want"; sed 's/^/  | /' "$tmp/err" | head -5
        fi
}

# --- the command line
expect_exit 0 "--help" -- "$bin" --help
grep -q "lockstep check FILE" "$tmp/out" && ok || ko "--help does not list check"
# it fits an 80-column terminal: no line of more than 79 characters (they ran to 90, folded)
python3 -c 'import sys; assert max(map(len, open(sys.argv[1]).read().splitlines())) <= 79' \
        "$tmp/out" && ok || ko "--help has a line wider than 79 columns"
expect_exit 0 "--version" -- "$bin" --version
grep -q "^lockstep [0-9]" "$tmp/out" && ok || ko "--version prints no version"
expect_exit 2 "unknown option" -- "$bin" --frobnicate
grep -q "unknown option '--frobnicate'" "$tmp/err" && grep -q "^usage:" "$tmp/err" && ok ||
        ko "unknown option message"
# a usage error says what is wrong, the usage's first line and where the rest is: three lines
# (the whole usage after it, 50 lines, pushed the message off a terminal's screen)
[ "$(wc -l <"$tmp/err")" -eq 3 ] && grep -q "^'lockstep --help' lists" "$tmp/err" && ok ||
        ko "a usage error takes $(wc -l <"$tmp/err") lines"
expect_exit 2 "unknown command" -- "$bin" frobnicate
expect_exit 2 "the TUI without a terminal" -- "$bin" scenarios/seed/01-thread.json
grep -q "lockstep run scenarios/seed/01-thread.json" "$tmp/err" && ok || ko "lockstep FILE.json without a terminal does not say how to run it"
expect_exit 2 "check without files" -- "$bin" check
expect_exit 2 "check with unknown flag" -- "$bin" check --strict scenarios/seed/01-thread.json
expect_exit 2 "check of a missing file" -- "$bin" check "$tmp/nope.json"
grep -q "nope.json: error: cannot open" "$tmp/err" && ok || ko "missing file message"

# --- list
expect_exit 0 "list" -- "$bin" list
for f in scenarios/seed/*.json scenarios/classics/*.json; do
        rel=${f#scenarios/}
        title=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["title"])' "$f")
        grep -qF "$rel  " "$tmp/out" && grep -qF "$title" "$tmp/out" && ok ||
                ko "list does not show $rel with its title"
done
grep -q "does not load" "$tmp/out" && ko "list shows a scenario that does not load" || ok
# from a copy of the install layout, found through LOCKSTEP_DATA_DIR
mkdir -p "$tmp/data" && cp -r scenarios "$tmp/data/"
LOCKSTEP_DATA_DIR="$tmp/data" "$bin" list >"$tmp/out2" 2>&1 && grep -q "01-thread.json" "$tmp/out2" &&
        ok || ko "LOCKSTEP_DATA_DIR is not honoured"

# at a terminal the lines are wrapped to its width: the text beside the file where there are 40
# columns left for it, else under it; nothing lost, every line within the width (but a name
# longer than it, which is never cut). A file's name
# and its text are escaped either way (one named with an ESC, and a title with wide characters).
cp scenarios/seed/01-thread.json "$tmp/data/scenarios/classics/$(printf 'esc\033[2J.json')"
python3 - "$tmp/data/scenarios/classics/wide.json" <<'PY'
import json, sys
d = json.load(open("scenarios/seed/01-thread.json"))
d["title"] = "漢字 " * 12
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
PY
LOCKSTEP_DATA_DIR="$tmp/data" "$bin" list >"$tmp/pipe" 2>&1
grep -qF 'classics/esc\x1b[2J.json  ' "$tmp/pipe" && ok || ko "list does not escape a file's name"
# a terminal too narrow to wrap in (under 18 columns) gets the pipe's lines, for it to fold
LOCKSTEP_DATA_DIR="$tmp/data" script -q -c "stty cols 12 rows 24; $bin list" /dev/null 2>&1 </dev/null |
        tr -d '\r' | cmp -s - "$tmp/pipe" && ok || ko "list at a terminal of 12 columns"
for cols in 30 80 160; do
        LOCKSTEP_DATA_DIR="$tmp/data" script -q -c "stty cols $cols rows 24; $bin list" /dev/null \
                >"$tmp/tty$cols" 2>&1 </dev/null
        python3 - "$tmp/pipe" "$tmp/tty$cols" "$cols" <<'PY' && ok || ko "list at a terminal of $cols columns"
import sys, unicodedata
pipe, tty, cols = open(sys.argv[1]).read(), open(sys.argv[2]).read(), int(sys.argv[3])
assert "\x1b" not in tty, "an ESC byte reached the terminal"
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
# the pipe's lines: FILE, two spaces or more, TEXT
want = {}
for line in pipe.splitlines()[1:]:
    f, t = line.split("  ", 1)
    want[f] = "".join(t.split())
lines = tty.replace("\r\n", "\n").splitlines()
for l in lines:  # a file's name is never cut: only a name alone on its line may be longer
    assert width(l) <= cols or (cols == 30 and not l.startswith(" ")), (cols, l)
table = lines[0].startswith("FILE ")
assert table == (cols == 160), lines[0]
got, cur = {}, None
for l in lines[1:] if table else lines:
    if not l.startswith(" "):
        cur, _, rest = l.partition("  ") if table else (l, "", "")
        got[cur] = "".join(rest.split())
    else:  # a word longer than a line is cut: compare without the spaces
        got[cur] += "".join(l.split())
assert got == want, [(f, got.get(f), want[f]) for f in want if got.get(f) != want[f]][:2]
assert len(got) == len(pipe.splitlines()) - 1
PY
done

# from the layout `meson install` makes: <prefix>/bin/lockstep and <prefix>/share/lockstep
mkdir -p "$tmp/prefix/bin" "$tmp/prefix/share/lockstep" && cp "$bin" "$tmp/prefix/bin/" &&
        cp -r scenarios "$tmp/prefix/share/lockstep/"
(cd / && "$tmp/prefix/bin/lockstep" list) >"$tmp/out3" 2>&1 && grep -q "seed/01-thread.json" "$tmp/out3" &&
        ok || ko "an installed lockstep does not find its scenarios"

# --- every bundled scenario is valid
for f in scenarios/*/*.json; do
        expect_exit 0 "check $f" -- "$bin" check "$f"
done
# ... and its first tag is its folder's, the one word a filter for all of them needs ("classics"
# on three classics left them out of "classic")
for f in scenarios/seed/*.json scenarios/classics/*.json; do
        case $f in */seed/*) want=seed ;; *) want=classic ;; esac
        python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["tags"][0] != sys.argv[2])' \
                "$f" "$want" && ok || ko "$f: its first tag is not $want"
done
# ... and a folder is every .json under it, its subfolders too, in order
expect_exit 0 "check scenarios/" -- "$bin" check scenarios/
[ "$(cut -d: -f1 "$tmp/out")" = "$(LC_ALL=C ls scenarios/*/*.json)" ] && grep -c ": ok (" "$tmp/out" | grep -qx "$(ls scenarios/*/*.json | wc -l)" &&
        ok || { ko "check scenarios/ checks every bundled file, one ok line each"; head -3 "$tmp/out"; }
mkdir -p "$tmp/mine/sub" "$tmp/mine/.hidden" "$tmp/none"
cp scenarios/seed/01-thread.json "$tmp/mine/a.json"
printf '{ "lockstep": 1 ' >"$tmp/mine/sub/b.json"
printf 'not a scenario' >"$tmp/mine/notes.txt"
printf '{' >"$tmp/mine/.hidden/c.json"
expect_exit 2 "check of a folder with a bad file" -- "$bin" check "$tmp/mine"
[ "$(cat "$tmp/out")" = "$tmp/mine/a.json: ok (2 actors, 0 resources, 4 statements)" ] &&
        grep -q "^$tmp/mine/sub/b.json:1:16: error: JSON syntax error" "$tmp/err" && ! grep -q "c.json\|notes" "$tmp/err" &&
        ok || { ko "check FOLDER: its good file ok, its bad one's error, nothing else"; cat "$tmp/out" "$tmp/err"; }
expect_exit 2 "check of a folder with no scenario" -- "$bin" check "$tmp/none"
grep -q "none: error: a folder with no .json file in it" "$tmp/err" && ok || ko "empty folder message: $(cat "$tmp/err")"

# --- the bad-input corpus: exit 2 and the expected message at the expected place
while IFS='|' read -r file pos schema msg; do
        case "$file" in ''|'#'*) continue ;; esac
        expect_exit 2 "check tests/bad/$file" -- "$bin" check "tests/bad/$file"
        if [ "$pos" = "-" ]; then want="tests/bad/$file: error: "; else
                want="tests/bad/$file:$pos: error: "; fi
        if grep -qF -- "$want" "$tmp/err" && grep -qF -- "$msg" "$tmp/err"; then ok; else
                ko "tests/bad/$file: wanted '$want...$msg', got:"; sed 's/^/  | /' "$tmp/err" | head -3
        fi
done <tests/bad/expect.txt
for f in tests/bad/*.json; do
        grep -q "^$(basename "$f")|" tests/bad/expect.txt && ok || ko "$f has no line in expect.txt"
done

# a name is counted in characters, not bytes: 64 CJK characters (192 bytes) are a name (30 were
# too many), and it runs, printed and traced whole
expect_exit 0 "an actor name of 64 CJK characters" -- "$bin" check tests/e2e/scenarios/name-64-characters.json
[ "$("$bin" run tests/e2e/scenarios/name-64-characters.json 2>/dev/null)" = ok ] && ok || ko "run of a 64-character name"

# --- monsters, made here rather than kept in the repository
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
open(d + "/deep.json", "w").write("[" * 200000 + "]" * 200000)
open(d + "/bigstring.json", "w").write('{"lockstep": 1, "title": "' + "x" * (8 << 20) + '"}')
open(d + "/long.json", "w").write('{"lockstep": 1, "title": "t", "summary": "' + "y" * (1 << 19) + '"}')
PY
expect_exit 2 "200,000 nested brackets" -- timeout 10 "$bin" check "$tmp/deep.json"
grep -q "deep.json:1:65: error: nesting deeper than 64 levels" "$tmp/err" && ok || ko "deep nesting message"
expect_exit 2 "an 8 MB string" -- timeout 10 "$bin" check "$tmp/bigstring.json"
grep -q "bigstring.json: error: file is larger than" "$tmp/err" && ok || ko "8 MB file message"
# a UTF-8 byte order mark is passed over (it was an internal error, exit 70): the file loads and
# runs, and a column after it is the one an editor shows
printf '\357\273\277' | cat - scenarios/seed/07-pool-map.json >"$tmp/bom.json"
expect_exit 0 "a scenario with a BOM" -- "$bin" check "$tmp/bom.json"
[ "$("$bin" run "$tmp/bom.json" 2>/dev/null)" = "[1, 4, 9, 16, 25]" ] && ok || ko "run of a scenario with a BOM"
printf '\357\273\277{"lockstep": 1, "x": 1}' >"$tmp/bom2.json"
expect_exit 2 "a bad scenario with a BOM" -- "$bin" check "$tmp/bom2.json"
grep -q "bom2.json:1:17: error: unknown key 'x'" "$tmp/err" && ok || ko "BOM: the column: $(cat "$tmp/err")"
# check reads as run does: a FIFO refused unread (it waited for a writer for ever)
mkfifo "$tmp/fifo.json"
expect_exit 2 "check of a FIFO" -- timeout 10 "$bin" check "$tmp/fifo.json"
grep -qx ".*fifo.json: error: not a regular file (a FIFO): give a scenario file" "$tmp/err" && ok ||
        ko "check of a FIFO: $(cat "$tmp/err")"
# run stops one buffer past the most, as check: the same message, with no size it did not see
expect_exit 2 "run of an 8 MB file" -- timeout 10 "$bin" run "$tmp/bigstring.json"
grep -qx ".*bigstring.json: error: file is larger than 1048576 bytes, the most a scenario may be" \
        "$tmp/err" && ok || ko "run: 8 MB file message"
expect_exit 2 "a 512 KB string" -- timeout 10 "$bin" check "$tmp/long.json"
grep -q "long.json:1:.*: error: string of 524288 bytes is too long" "$tmp/err" && ok ||
        ko "long string message"
# several files at once: all are checked, exit 2 if any is bad
expect_exit 2 "good and bad together" -- "$bin" check scenarios/seed/01-thread.json tests/bad/put-on-lock.json
grep -q "01-thread.json: ok" "$tmp/out" && ok || ko "the good file was not reported ok"

finish
