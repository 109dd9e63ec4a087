#!/usr/bin/env python3
"""Every check of tests/e2e/trace_check.py can fail: small hand-written traces, each breaking one
invariant, must be rejected with the message that names it, and the same traces put right must
be accepted (a checker that rejects everything proves nothing either).

usage: cases.py TRACE_CHECK

A case is a scenario (the header's source), the trace's events in a short form, the checker's
extra arguments (a first "--set NAME=VALUE" goes into the header instead, as the run's --set),
and the message a bad trace gets (None: the trace is good). An event is written
"ACTOR KIND [RES] [KEY=VALUE]...": seq counts from 1, t is seq microseconds, and a VALUE is an
integer for num, aux, flags and stmt, a string otherwise (no spaces).
"""
import json
import os
import subprocess
import sys
import tempfile


def scenario(resources, actors, constants=None, gil=False):
    s = {"lockstep": 1, "title": "trace_check case", "summary": "a hand-written trace",
         "constants": constants or {}, "resources": resources,
         "actors": [{"name": a, "run": [{"print": "x"}]} for a in actors]}
    if gil:
        s["gil"] = True
    return s


def gils(scen):
    """The GILs lockstep adds: the main process's, then one per pool worker (GIL@POOL/W)."""
    return ["GIL"] + [f"GIL@{n}/{w}" for n, r in scen["resources"].items() if r["type"] == "pool"
                      for w in range(r.get("workers", 1))]


def write(path, scen, events, sets=()):
    header = {"lockstep_trace": 1, "scenario": "case.json", "title": scen["title"], "seed": 1,
              "mode": "live", "cpu_count": 2, "set": list(sets),
              "actors": [a["name"] for a in scen["actors"]] + ["MainThread"],
              "resources": list(scen["resources"]) + (gils(scen) if scen.get("gil") else []),
              "source": json.dumps(scen)}
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for seq, line in enumerate(events, 1):
            actor, kind, *rest = line.split()
            ev = {"seq": seq, "t": seq / 1e6, "actor": actor, "ev": kind}
            for word in rest:
                key, eq, value = word.partition("=")
                if not eq:
                    ev["res"] = word
                elif key in ("num", "aux", "flags", "stmt"):
                    ev[key] = int(value)
                else:
                    ev[key] = value
            f.write(json.dumps(ev) + "\n")


LOCKS = scenario({"lock": {"type": "lock"}, "r": {"type": "rlock"},
                  "counter": {"type": "var", "value": 0}}, ["A", "B"])
SEM = scenario({"room": {"type": "bounded_semaphore", "value": "ROOM"}}, ["A", "B", "C"],
               {"ROOM": 2})
QUEUE = scenario({"q": {"type": "queue", "max": 2}, "p": {"type": "pipe"}}, ["A", "B"])
SYNC = scenario({"e": {"type": "event"}, "m": {"type": "lock"},
                 "c": {"type": "condition", "lock": "m"}, "own": {"type": "condition"},
                 "b": {"type": "barrier", "parties": 2}}, ["A", "B"])
# a barrier whose size is an expression the checker does not evaluate: its rounds go unchecked
SIZED = scenario({"b": {"type": "barrier", "parties": "P + 1"}}, ["A", "B"], {"P": 1})
# workers started by main's statement 1 (statement 0 is their print)
STARTED = dict(scenario({}, []), actors=[{"name": "T{i}", "group": "T", "count": 2,
                                         "start": "manual", "run": [{"print": "x"}]}],
               main=[{"start": "T"}, {"join": "T"}])
MANAGED = scenario({"l": {"type": "list", "via": "manager"}}, ["A"])
GIL = scenario({}, ["A", "B"], gil=True)
POOL = scenario({"pool": {"type": "pool", "workers": 2}}, ["A"], gil=True)

# a lock handed from A to B, each adding one to the counter under it
HANDOFF = ["A start", "B start", "A acquired lock num=1", "B blocked lock",
           "A changed counter aux=-1 text=1", "A released lock", "B acquired lock num=1",
           "B changed counter aux=-1 text=2", "B released lock", "A exit", "B exit"]
PROGRAM = "start (?:blocked:lock )?acquired:lock changed:counter released:lock exit"

CASES = [
    # name, scenario, events, extra arguments, the message a bad trace gets
    ("handoff", LOCKS, HANDOFF,
     ["--sequence", "counter=1..2", "--count", "*:acquired:lock=1", "--pattern", "[AB]=" + PROGRAM],
     None),
    ("after-end", LOCKS, HANDOFF + ["runner end", "A print text=late"], [],
     "an event after the run's end"),
    ("not-started", LOCKS, ["A start", "B acquired lock num=1"], [],
     "B's first event is acquired, not start"),
    ("after-exit", LOCKS, ["A start", "A exit", "A acquired lock num=1"], [],
     "A acquired after its exit"),
    ("two-holders", LOCKS, ["A start", "B start", "A acquired lock num=1", "B acquired lock num=1"],
     [], "B acquired lock while A holds it"),
    ("lock-again", LOCKS, ["A start", "A acquired lock num=1", "A acquired lock num=1"], [],
     "A acquired lock while A holds it"),
    ("rlock", LOCKS, ["A start", "A acquired r num=1", "A acquired r num=2", "A released r num=1",
                      "A released r", "A exit"], [], None),
    ("rlock-other", LOCKS, ["A start", "B start", "A acquired r num=1", "B released r"], [],
     "B released r, which it does not hold"),
    ("rlock-depth", LOCKS, ["A start", "A acquired r num=1", "A acquired r num=1"], [],
     "A acquired r at depth 1, but it is depth 2"),
    ("rlock-release-depth", LOCKS, ["A start", "A acquired r num=1", "A acquired r num=2",
                                    "A released r"], [],
     "A released r to depth 0, but it is depth 1"),
    ("semaphore", SEM, ["A start", "B start", "A acquired room num=1", "B acquired room",
                        "A released room num=1", "B released room num=2", "A exit", "B exit"],
     [], None),
    ("semaphore-over", SEM, ["A start", "B start", "C start", "A acquired room num=1",
                             "B acquired room", "C acquired room num=-1"], [],
     "3 holders of room, which admits 2"),
    ("semaphore-set", SEM, ["A start", "B start", "A acquired room", "B acquired room num=-1"],
     ["--set", "ROOM=1"], "2 holders of room, which admits 1"),
    ("semaphore-count", SEM, ["A start", "B start", "A acquired room num=1",
                              "B acquired room num=1"], [],
     "B acquired room, which counts 1, but it is 0"),
    ("queue", QUEUE, ["A start", "B start", "A put q num=1 text=1", "A put q num=2 text=2",
                      "B got q num=1 text=1", "B got q text=2", "A exit", "B exit"], [], None),
    ("queue-order", QUEUE, ["A start", "B start", "A put q num=1 text=1", "A put q num=2 text=2",
                            "B got q num=1 text=2"], [],
     "got 2 from q, but 1 was put first"),
    ("queue-empty", QUEUE, ["A start", "B start", "B got q text=1"], [],
     "B got 1 from q, which is empty"),
    ("queue-twice", QUEUE, ["A start", "B start", "A put q num=1 text=1", "B got q text=1",
                            "B got q text=1"], [], "B got 1 from q, which is empty"),
    ("queue-size", QUEUE, ["A start", "A put q num=1 text=1", "A put q num=1 text=2"], [],
     "A put q, which holds 1, but it holds 2"),
    ("queue-max", QUEUE, ["A start", "A put q num=1 text=1", "A put q num=2 text=2",
                          "A put q num=3 text=3"], [], "q holds 3, over its max 2"),
    ("pipe", QUEUE, ["A start", "B start", "A sent p text=x", "A sent p text=y",
                     "B received p aux=1 text=x", "B sent p aux=1 text=z",
                     "B received p aux=1 text=y", "A received p text=z", "A exit", "B exit"],
     [], None),
    ("pipe-order", QUEUE, ["A start", "B start", "A sent p text=x", "A sent p text=y",
                           "B received p aux=1 text=y"], [],
     "B received y at p.b, but x was sent first"),
    ("pipe-nothing", QUEUE, ["A start", "B start", "A sent p text=x", "A received p text=x"], [],
     "A received x at p.a, which nothing was sent to"),
    ("blocked", LOCKS, ["A start", "B start", "A acquired lock num=1", "B blocked lock",
                        "B changed counter aux=-1 text=1"], [],
     "B changed counter while it is blocked on lock (since seq 4)"),
    ("blocked-join", LOCKS, ["A start", "B start", "B blocked other=A", "B joined other=B"], [],
     "B joined while it is blocked on A"),
    ("started", STARTED, ["MainThread start", "MainThread step stmt=1 flags=1", "T0 start",
                          "T1 start", "T0 exit", "T1 exit"], [], None),
    ("started-early", STARTED, ["MainThread start", "T0 start", "MainThread step stmt=1 flags=1"],
     [], "T0 starts before a start statement started T"),
    ("started-elsewhere", STARTED, ["MainThread start", "MainThread step stmt=2 flags=1",
                                    "T0 start"], [], "T0 starts before a start statement"),
    ("joined-early", LOCKS, ["A start", "B start", "A acquired lock num=1", "B joined other=A"],
     [], "B joined A, which has not exited"),
    ("event", SYNC, ["A start", "B start", "A waiting e", "B set e", "B cleared e", "A woke e",
                     "A exit", "B exit"], [], None),
    ("event-unset", SYNC, ["A start", "B start", "A waiting e", "B set e", "B cleared e",
                           "A woke e", "B waiting e", "B woke e"], [],
     "B woke on e, which is not set and was not set while it waited"),
    ("waiting-again", SYNC, ["A start", "B start", "A waiting e", "A waiting e", "B set e",
                             "A woke e", "A exit", "B exit"], [], None),
    ("waiting", SYNC, ["A start", "B start", "A waiting e", "A set e"], [],
     "A set e while it is waiting on e (since seq 3)"),
    ("condition", SYNC, ["A start", "B start", "A acquired m num=1", "A released m",
                         "A waiting c", "B acquired m num=1", "B notified c num=1",
                         "B released m", "A woke c", "A blocked m", "A acquired m num=1",
                         "A released m", "A exit", "B exit"], [], None),
    ("condition-unnotified", SYNC, ["A start", "B start", "A acquired m num=1", "A released m",
                                    "A waiting c", "B acquired m num=1", "B notified c",
                                    "B released m", "A woke c"], [],
     "A woke on c, which no notify woke it on"),
    ("condition-twice", SYNC, ["A start", "B start", "A acquired own num=1", "A released own",
                               "A waiting own", "B acquired own num=1", "B released own",
                               "B waiting own", "MainThread start",
                               "MainThread acquired own num=1", "MainThread notified own num=1",
                               "MainThread released own", "A woke own", "B woke own"], [],
     "B woke on own, which no notify woke it on"),
    ("condition-holding", SYNC, ["A start", "A acquired m num=1", "A waiting c"], [],
     "A waits on c holding its lock m"),
    ("condition-relock", SYNC, ["A start", "B start", "A acquired m num=1", "A released m",
                                "A waiting c", "B acquired m num=1", "B notified c num=1",
                                "B released m", "A woke c", "A set e"], [],
     "A set e before it takes m again after its wait"),
    ("barrier", SYNC, ["A start", "B start", "A waiting b num=1", "B waiting b num=2 flags=2",
                       "B woke b", "A woke b", "A waiting b num=1", "A timeout b", "A broken b",
                       "B waiting b", "B woke b aux=1", "A reset b", "B waiting b num=1",
                       "A waiting b num=2 flags=2", "A woke b", "B woke b", "A exit", "B exit"],
     [], None),
    ("barrier-unknown-size", SIZED, ["A start", "B start", "A waiting b num=1", "A woke b",
                                     "A exit", "B exit"], [], None),
    ("barrier-count", SYNC, ["A start", "B start", "A waiting b num=1", "B waiting b num=1"], [],
     "B arrives at b as 1, but it is arrival 2"),
    ("barrier-early", SYNC, ["A start", "B start", "A waiting b num=1", "A woke b"], [],
     "A goes on at b before its round is full"),
    ("gil", GIL, ["A start", "A acquired GIL num=1", "A work num=5", "A released GIL", "A exit"],
     [], None),
    ("gil-work", GIL, ["A start", "B start", "A acquired GIL num=1", "B work num=5"], [],
     "B computes without holding the GIL"),
    # a worker's GIL is taken under the caller's name, besides the caller's own GIL
    ("gil-pool", POOL, ["A start", "A acquired GIL num=1", "A released GIL",
                        "A acquired GIL@pool/1 num=1", "A task pool aux=1 num=0 text=7",
                        "A result pool aux=1 num=0 text=49", "A released GIL@pool/1",
                        "A acquired GIL num=1", "A released GIL", "A exit"], [], None),
    ("gil-pool-task", POOL, ["A start", "A acquired GIL@pool/0 num=1",
                             "A task pool aux=1 num=0 text=7"], [],
     "worker 1 of pool runs a task of A without holding GIL@pool/1"),
    ("gil-pool-result", POOL, ["A start", "A acquired GIL@pool/1 num=1",
                               "A task pool aux=1 num=0 text=7", "A released GIL@pool/1",
                               "A result pool aux=1 num=0 text=49"], [],
     "worker 1 of pool runs a task of A without holding GIL@pool/1"),
    ("request", MANAGED, ["A start", "A request l text=get", "A reply l text=[]", "A exit"], [],
     None),
    ("request-unanswered", MANAGED, ["A start", "A request l text=get", "A print text=x"], [],
     "A print while its request on l awaits the reply"),
    ("reply-unasked", MANAGED, ["A start", "A reply l text=[]"], [],
     "A got a reply on l without a request"),
    ("sequence-gap", LOCKS, ["A start", "A changed counter aux=-1 text=1",
                             "A changed counter aux=-1 text=3"], ["--sequence", "counter=1..3"],
     "counter changed to 3, not 2"),
    ("sequence-twice", LOCKS, ["A start", "A changed counter aux=-1 text=1",
                               "B start", "B changed counter aux=-1 text=1"],
     ["--sequence", "counter=1..2"], "counter changed to 1, not 2"),
    ("sequence-short", LOCKS, HANDOFF[:5], ["--sequence", "counter=1..2"],
     "counter took 1 of its 2 values (1..2)"),
    ("sequence-long", LOCKS, HANDOFF, ["--sequence", "counter=1..1"],
     "counter changed to 2 after its last value 1"),
    ("count", LOCKS, HANDOFF, ["--count", "*:acquired:lock=2"],
     "A has 1 acquired lock events, not 2"),
    ("count-nobody", LOCKS, HANDOFF, ["--count", "W*:acquired=1"], "no actor matches W*"),
    ("pattern", LOCKS, HANDOFF[:4] + HANDOFF[5:], ["--pattern", "[AB]=" + PROGRAM],
     "A's events do not follow its program: start acquired:lock released:lock exit"),
    ("pattern-nobody", LOCKS, HANDOFF, ["--pattern", "W*=start"], "no actor matches W*"),
    ("empty", LOCKS, [], [], "no events: nothing was checked"),
    ("nothing", LOCKS, ["A start", "A print text=x"], [], "nothing was checked"),
]


def main():
    checker = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = list(CASES)
        # seq and t, which write() always gets right, and a last line cut short
        cases += [("seq", LOCKS, HANDOFF, [], "seq 4 after 2"),
                  ("t", LOCKS, HANDOFF, [], "t went back"),
                  ("cut", LOCKS, HANDOFF, [], "cut short after 10 events: {\"seq\": 11")]
        for name, scen, events, args, want in cases:
            path = os.path.join(tmp, name + ".trace")
            sets = []  # --set goes into the header (as lockstep run writes it), not to the checker
            if args[:1] == ["--set"]:
                sets, args = [args[1]], args[2:]
            write(path, scen, events, sets)
            if name == "cut":  # the last line without its end
                with open(path, "r+", encoding="utf-8") as f:
                    f.truncate(os.path.getsize(path) - 5)
            elif name in ("seq", "t"):
                lines = open(path, encoding="utf-8").read().splitlines(True)
                ev = json.loads(lines[3])
                if name == "seq":
                    ev["seq"] += 1
                else:
                    ev["t"] = 0.0000005
                lines[3] = json.dumps(ev) + "\n"
                open(path, "w", encoding="utf-8").writelines(lines)
            r = subprocess.run([sys.executable, checker, path] + args, capture_output=True,
                               text=True)
            out = r.stdout + r.stderr
            if want is None:
                good = r.returncode == 0 and out.endswith(": ok\n")
            else:
                good = r.returncode == 1 and want in out
            if good:
                passed += 1
            else:
                failed += 1
                print(f"FAIL: {name}: exit {r.returncode}, wanted "
                      f"{'acceptance' if want is None else repr(want)}:\n  {out.strip()}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
