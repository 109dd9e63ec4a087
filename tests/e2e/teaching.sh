#!/bin/sh
# End-to-end check of docs/teaching.md: what the guide says a command does, it does.
# usage: teaching.sh LOCKSTEP SOURCE_ROOT
# From the guide's code blocks (fenced, or indented by four spaces):
# - every `lockstep run ...   # exit N` line must exit N;
# - every `lockstep run ... --seed N ...` line followed by `# seeds A-B: exit X for S T ..., else
#   exit Y` (or `# seeds A-B: exit X`) must exit X for the seeds listed and Y for the others.
# The commands run in the guide's order (a schedule saved by one is replayed by the next) with
# `lockstep` replaced by the binary under test, from a folder that mirrors the source root (a
# link to each of its entries), so relative paths are the source root's and the files the
# commands write stay out of it. Every scenario path the guide mentions must exist.
. "$(dirname "$0")/lib.sh" "$1" "$2"

guide=docs/teaching.md
[ -f "$guide" ] || { ko "$guide is missing"; finish; exit; }

# one line per check: WANT<TAB>COMMAND, or "path"<TAB>PATH
python3 - "$guide" >"$tmp/plan" <<'PY' || ko "cannot read the commands of $guide"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read().split("\n")
code = []          # the lines of code blocks, in order
fenced = False
for i, line in enumerate(text):
    if line.startswith("```"):
        fenced = not fenced
        continue
    if fenced or line.startswith("    "):
        code.append(line.strip())
exit_re = re.compile(r"^(lockstep run .*?)\s+#\s*exit\s+(\d+)\s*$")
sweep_re = re.compile(r"^#\s*seeds\s+(\d+)-(\d+):\s*exit\s+(\d+)(?:\s+for\s+([\d ]+),\s*else\s+exit\s+(\d+))?\s*$")
found = 0
for k, line in enumerate(code):
    m = exit_re.match(line)
    if m:
        found += 1
        print(f"{m.group(2)}\t{m.group(1)}")
        continue
    m = sweep_re.match(line)
    if m:
        found += 1
        cmd = code[k - 1] if k else ""
        if not cmd.startswith("lockstep run ") or " --seed N " not in cmd:
            print(f"bad\t{line}: not after a `lockstep run ... --seed N` line")
            continue
        first, last, want = int(m.group(1)), int(m.group(2)), m.group(3)
        listed = {int(s) for s in (m.group(4) or "").split()}
        other = m.group(5) if m.group(4) else want
        for seed in range(first, last + 1):
            print(f"{want if seed in listed or not m.group(4) else other}\t"
                  + cmd.replace(" --seed N ", f" --seed {seed} "))
# a `# exit` or `# seeds` the parser did not take (outside a code block, misspelt) checks nothing
marked = sum(1 for line in text if re.search(r"#\s*(exits?|seeds?)\s+\d", line))
if found != marked:
    print(f"bad\t{marked} lines say `# exit N` or `# seeds`, {found} of them were understood")
for path in sorted(set(re.findall(r"scenarios/[A-Za-z0-9_./-]+\.json", "\n".join(text)))):
    print(f"path\t{path}")
PY

# the folder the commands run in: the source root's entries, linked
case $bin in /*) ;; *) bin=$OLDPWD/$bin ;; esac
mkdir "$tmp/root"
for entry in *; do
        ln -s "$PWD/$entry" "$tmp/root/$entry"
done

runs=0
tab=$(printf '\t')
while IFS="$tab" read -r want cmd; do
        case $want in
        path)
                [ -f "$cmd" ] && ok || ko "$guide names $cmd, which does not exist"
                continue ;;
        bad)
                ko "$guide: $cmd"
                continue ;;
        esac
        runs=$((runs + 1))
        rest=${cmd#lockstep }
        (cd "$tmp/root" && eval "\"\$bin\" $rest") >"$tmp/out" 2>"$tmp/err" </dev/null
        got=$?
        if [ "$got" -eq "$want" ]; then ok; else
                ko "$cmd: exit $got, the guide says $want"; tail -n 3 "$tmp/err" | sed 's/^/  | /'
        fi
done <"$tmp/plan"

# a guide whose commands were not found would check nothing
[ "$runs" -gt 0 ] && ok || ko "no command of $guide was run"

# docs/scenario-format.md's worked example (the ticket seller), with its `with` taken away and its
# body kept: the seeds of 1-20 the text names fail the assert (exit 1), the others sell out
fmt=docs/scenario-format.md
python3 - "$fmt" "$tmp/ticket-nolock.json" <<'PY' || ko "cannot take the ticket example of $fmt"
import json, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
sc = json.loads(re.findall(r"```json\n(.*?)```", s[:s.index("What to notice")], re.S)[-1])
def strip(block):
    out = []
    for st in block:
        if "with" in st:
            out += strip(st["do"])
            continue
        for k in ("do", "then", "else"):
            if isinstance(st.get(k), list):
                st[k] = strip(st[k])
        out.append(st)
    return out
for a in sc["actors"]:
    a["run"] = strip(a["run"])
json.dump(sc, open(sys.argv[2], "w"))
PY
want=$(sed -n 's/.*(7 and 8 of these; of 1–20, \([0-9, ]*\)) two sellers.*/\1/p' "$fmt" | tr -d ,)
[ -n "$want" ] && ok || ko "$fmt no longer names the seeds that lose a ticket"
got=
for s in $(seq 1 20); do
        "$bin" run --step --seed "$s" "$tmp/ticket-nolock.json" >/dev/null 2>&1
        case $? in 1) got="$got $s" ;; 0) ;; *) ko "ticket without its lock, seed $s: exit $?" ;; esac
done
[ "$got" = " $want" ] && ok || ko "ticket without its lock: seeds$got fail, the text says $want"
finish
