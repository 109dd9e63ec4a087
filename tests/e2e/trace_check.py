#!/usr/bin/env python3
"""Checks the invariants of a lockstep trace (JSON Lines, docs/trace-format.md).

usage: trace_check.py TRACE [--sequence VAR=FIRST..LAST] [--count ACTORS:EV[:RES]=N]...
                            [--pattern ACTORS=REGEX]...

Whatever the scenario, in trace order:
- seq is 1, 2, 3, ... and t never goes back;
- a lock or rlock never has two holders at once (acquired/released); a plain lock is not taken
  again by its own holder (that would deadlock); a lock is released by anyone while held, an rlock
  only by its holder; an rlock's (and a condition's own lock's) depth is the one its events report;
- a semaphore never has more holders than its initial value, and the count its acquired and
  released events report is the initial value minus its holders;
- a queue hands items out in the order they were put (FIFO), nothing is got that was not put, the
  size its events report is the number of items in it, and a bounded queue never holds more than
  its max;
- a pipe delivers at each end what the other end sent, in the order sent, each message once;
- with "gil", an actor computes (work) only while it holds a GIL: the main process's (GIL) or
  its process's own (GIL@NAME), each a lock, and an actor only ever takes one of them; a pool's
  worker w runs a task (its task and its result events) only while GIL@POOL/w is held, taken by
  the map's caller whose task it is (a worker's events name the caller);
- program order per actor: its first event is start, and nothing of it comes after its exit; an
  actor that is blocked (blocked) or waits (waiting) does nothing else until that ends: its next
  event is on the same resource (or the same joined actor), or it crashes or raises; a condition's
  waiter has let go of the condition's lock when it waits, and takes it again (maybe after a
  blocked) right after it wakes;
- an actor that a start statement starts ("start": "manual") starts only after an actor made a
  step at such a statement naming it or its group;
- join returns only after the joined actor's exit;
- a waiter on an event wakes only while the event is set, or after a set since it began to
  wait (Python's set() wakes every waiter, even if clear() comes before it runs);
- a waiter on a condition wakes only if a notify woke it: the notified events' counts are never
  fewer than the woke events so far;
- a barrier's arrivals are counted 1, 2, ... parties in each round, and a waiter goes on (woke,
  not broken) only once its round is full;
- every request to a Manager's server gets its reply, on the same resource, as the asking
  actor's very next event (a request is a round trip: the actor does nothing in between, unless
  it crashes), and no reply comes without a request;
- the run's end, when the trace has one, is its last event.
What the caller knows of the scenario (every event once, program order in detail):
- --sequence VAR=FIRST..LAST: the shared copy of VAR changes to exactly FIRST, FIRST+1, ... LAST,
  in trace order (a counter incremented under a lock: nothing lost, nothing twice);
- --count ACTORS:EV[:RES]=N: each actor whose name matches the glob ACTORS has exactly N events of
  kind EV (on RES, if given); at least one actor matches;
- --pattern ACTORS=REGEX: each matching actor's events, written "EV" or "EV:RES" and joined by
  single spaces (step and ready left out), match REGEX as a whole.
Prints what it checked; exits 1 on the first violation, and also when the trace has no events or
none of its events was subject to an invariant (a check that checked nothing is no check), or
when its last line is cut short (lockstep did not finish writing it).
"""
import argparse
import fnmatch
import json
import re
import sys


def main():
    ap = argparse.ArgumentParser(description="Checks the invariants of a lockstep trace.")
    ap.add_argument("trace")
    ap.add_argument("--sequence", action="append", default=[], metavar="VAR=FIRST..LAST")
    ap.add_argument("--count", action="append", default=[], metavar="ACTORS:EV[:RES]=N")
    ap.add_argument("--pattern", action="append", default=[], metavar="ACTORS=REGEX")
    args = ap.parse_args()
    sequences = {}  # var -> the values it must take, in order
    for s in args.sequence:
        var, _, span = s.partition("=")
        first, _, last = span.partition("..")
        sequences[var] = [str(v) for v in range(int(first), int(last) + 1)]
    counts = []  # (actor glob, kind, res or None, n)
    for c in args.count:
        what, _, n = c.rpartition("=")
        glob, kind, res = (what.split(":", 2) + [None])[:3]
        counts.append((glob, kind, res, int(n)))
    patterns = []
    for p in args.pattern:
        glob, _, rx = p.partition("=")
        patterns.append((glob, re.compile(rx)))

    path = args.trace
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline())
        lines = f.readlines()
    if lines and not lines[-1].endswith("\n"):  # lockstep was killed, or hung (a bug either way)
        print(f"{path}: cut short after {len(lines) - 1} events: {lines[-1][:80]}")
        sys.exit(1)
    events = [json.loads(line) for line in lines if line.strip()]
    source = json.loads(header["source"])
    constants = dict(source.get("constants", {}))
    for s in header.get("set", []):  # --set NAME=VALUE overrides a constant
        name, _, value = s.partition("=")
        try:
            constants[name] = json.loads(value)
        except ValueError:
            constants[name] = value
    resources = source.get("resources", {})
    types = {name: r["type"] for name, r in resources.items()}
    gils = [n for n in header.get("resources", [])
            if (n == "GIL" or n.startswith("GIL@")) and n not in types]
    gil = bool(gils)
    for n in gils:
        types[n] = "lock"
    # a pool worker's GIL: GIL@POOL/W (no process actor may have that name: the loader refuses)
    worker_gils = set()
    for n in gils:
        pool, _, w = n[4:].rpartition("/")
        if types.get(pool) == "pool" and w.isdigit():
            worker_gils.add(n)
    gil_of = {}  # actor -> the GIL it takes
    for n in header.get("resources", []):
        if n.endswith(".get_lock()") and n not in types:
            types[n] = "rlock"  # a Value's or an Array's own lock

    def number(r, key, default):
        v = r.get(key, default)
        if isinstance(v, str):  # an expression over constants: the common case is a name
            v = constants.get(v, None)
        return v if isinstance(v, int) else None

    # statement ids, as the loader gives them: the actors' entries, then main, each statement
    # before the blocks it holds; the start statements by id, and the entries started by one
    start_stmts = {}  # statement id -> the actor or group it starts
    next_id = 0

    def number_block(block):
        nonlocal next_id
        for st in block if isinstance(block, list) else []:
            if isinstance(st, dict) and "start" in st and isinstance(st["start"], str):
                start_stmts[next_id] = st["start"]
            next_id += 1
            for key in ("do", "then", "else"):
                if isinstance(st, dict) and key in st:
                    number_block(st[key])

    manual = []  # (a regex of the names, the group): entries that a start statement starts
    for entry in source.get("actors", []):
        number_block(entry.get("run"))
        if entry.get("start") == "manual":
            rx = re.sub(r"\\\{[^}]*\\\}", ".*", re.escape(entry["name"]))
            manual.append((re.compile(rx), entry.get("group", entry["name"])))
    number_block(source.get("main"))
    issued = set()  # the actors and groups a start statement has started so far

    initial = {}  # semaphore -> its initial count
    bound = {}  # queue -> max
    parties = {}  # barrier -> parties
    cond_lock = {}  # condition -> the resource its lock events are on
    for name, r in resources.items():
        if r["type"] in ("semaphore", "bounded_semaphore"):
            initial[name] = number(r, "value", 1)
        elif r["type"] == "queue" and number(r, "max", 0):
            bound[name] = number(r, "max", 0)
        elif r["type"] == "barrier":
            parties[name] = number(r, "parties", None)
        elif r["type"] == "condition":
            cond_lock[name] = r.get("lock", name)
    holders = {}  # lock -> (actor, depth)
    permits = {}  # semaphore -> held count
    queues = {}
    pipes = {}  # (pipe, end) -> the messages on their way to that end
    flags = {}  # event -> set
    signalled = {}  # event -> the actors waiting on it when it was last set
    event_waits = {}  # actor -> the event it waits on
    notifies = {}  # condition -> wake-ups notified and not yet taken
    rounds = {}  # barrier -> the actors arrived in its current round
    tripped = {}  # barrier -> the actors whose round filled and who have not gone on yet
    broken = set()  # barriers broken since their last reset
    parked = {}  # actor -> the blocked or waiting event it has not come out of
    relock = {}  # actor -> the lock it must take again, having woken on a condition
    asking = {}  # actor -> the resource of its request awaiting a reply
    sequence_at = {v: 0 for v in sequences}
    tallies = {}  # (actor, kind, res) -> events
    words = {}  # actor -> its events, as words for --pattern
    started, exited = set(), set()
    ended = False
    last_seq, last_t = 0, 0.0
    checks = 0
    for ev in events:
        if ended:
            fail(ev, "an event after the run's end")
        if ev["seq"] != last_seq + 1:
            fail(ev, f"seq {ev['seq']} after {last_seq}")
        if ev["t"] < last_t:
            fail(ev, "t went back")
        last_seq, last_t = ev["seq"], ev["t"]
        kind, res, actor = ev["ev"], ev.get("res"), ev.get("actor")
        num, text = ev.get("num", 0), ev.get("text_b64", ev.get("text", ""))
        if kind == "end":
            ended = True
            continue
        key = (actor, kind, res)
        tallies[key] = tallies.get(key, 0) + 1
        if kind not in ("step", "ready"):
            words.setdefault(actor, []).append(f"{kind}:{res}" if res is not None else kind)
        if actor not in started:
            if kind != "start":
                fail(ev, f"{actor}'s first event is {kind}, not start")
            started.add(actor)
            entry = next((g for rx, g in manual if rx.fullmatch(str(actor))), None)
            if entry is not None:
                if entry not in issued and actor not in issued:
                    fail(ev, f"{actor} starts before a start statement started {entry}")
                checks += 1
        if ev.get("flags", 0) & 1 and ev.get("stmt") in start_stmts:
            issued.add(start_stmts[ev["stmt"]])
        if actor in exited:
            fail(ev, f"{actor} {kind} after its exit")
        if actor in asking:
            want = asking.pop(actor)
            # a process killed while it waits for the server never gets its reply
            if kind != "crash" and (kind != "reply" or res != want):
                fail(ev, f"{actor} {kind} while its request on {want} awaits the reply")
            checks += 1
        elif kind == "reply":
            fail(ev, f"{actor} got a reply on {res} without a request")
        if kind == "request":
            asking[actor] = res
        again = False  # a stepped actor granted a move that still finds it blocked says so again
        if actor in parked and kind != "ready":
            was = parked.pop(actor)
            # a blocked actor's next event ends the block (acquired, got, timeout, joined, ...),
            # a waiting one's wakes it; either may die instead
            same = res == was.get("res") and ev.get("other") == was.get("other")
            again = same and kind == was["ev"]
            ends = (kind in ("woke", "timeout") if was["ev"] == "waiting"
                    else kind not in ("blocked", "waiting"))
            if kind not in ("crash", "error") and not (same and (ends or again)):
                what = was.get("res", was.get("other"))
                fail(ev, f"{actor} {kind}{' ' + res if res else ''} while it is "
                         f"{was['ev']} on {what} (since seq {was['seq']})")
            checks += 1
        if kind in ("blocked", "waiting"):
            parked[actor] = ev
        if actor in relock and kind not in ("ready", "step"):
            want = relock.pop(actor)
            if kind == "blocked" and res == want:
                relock[actor] = want
            elif kind not in ("crash", "error") and (kind != "acquired" or res != want):
                fail(ev, f"{actor} {kind}{' ' + res if res else ''} before it takes {want} "
                         f"again after its wait")
            checks += 1
        if kind == "exit":
            exited.add(actor)
            checks += 1
        if kind == "joined":
            if ev.get("other") not in exited:
                fail(ev, f"{actor} joined {ev.get('other')}, which has not exited")
            checks += 1
        if gil and kind == "work":
            g = gil_of.get(actor)
            h = holders.get(g)
            if not h or h[0] != actor:
                fail(ev, f"{actor} computes without holding the GIL")
            checks += 1
        if kind in ("task", "result") and f"GIL@{res}/{ev.get('aux', 0)}" in worker_gils:
            g = f"GIL@{res}/{ev.get('aux', 0)}"
            h = holders.get(g)
            if not h or h[0] != actor:
                fail(ev, f"worker {ev.get('aux', 0)} of {res} runs a task of {actor} without "
                         f"holding {g}")
            checks += 1
        if res in gils and res not in worker_gils and kind == "acquired":
            if gil_of.setdefault(actor, res) != res:
                fail(ev, f"{actor} took {res}, after {gil_of[actor]}: one process, one GIL")
        if kind == "changed" and res in sequences and ev.get("aux", 0) == -1:
            want, k = sequences[res], sequence_at[res]
            if k >= len(want):
                fail(ev, f"{res} changed to {text} after its last value {want[-1]}")
            if text != want[k]:
                fail(ev, f"{res} changed to {text}, not {want[k]}")
            sequence_at[res] += 1
            checks += 1
        rtype = types.get(res)
        if rtype == "event":
            if kind in ("set", "cleared"):
                flags[res] = kind == "set"
                if kind == "set":
                    signalled.setdefault(res, set()).update(
                        a for a, r in event_waits.items() if r == res)
            elif kind == "waiting":
                event_waits[actor] = res
            elif kind in ("woke", "timeout"):
                event_waits.pop(actor, None)
                if kind == "woke" and not flags.get(res) and actor not in signalled.get(res, ()):
                    fail(ev, f"{actor} woke on {res}, which is not set and was not set while it waited")
                signalled.get(res, set()).discard(actor)
                checks += kind == "woke"
        elif rtype == "condition":
            lock = cond_lock[res]
            if kind == "waiting":
                h = holders.get(lock)
                if h and h[0] == actor:
                    fail(ev, f"{actor} waits on {res} holding its lock {lock}")
                checks += 1
            elif kind == "notified":
                notifies[res] = notifies.get(res, 0) + num
            elif kind == "woke":
                if notifies.get(res, 0) <= 0:
                    fail(ev, f"{actor} woke on {res}, which no notify woke it on")
                notifies[res] -= 1
                relock[actor] = lock
                checks += 1
            elif kind == "timeout":
                relock[actor] = lock
        elif rtype == "barrier" and parties.get(res) is not None:  # (a size it can tell)
            arrived = rounds.setdefault(res, [])
            going = tripped.setdefault(res, set())
            if kind == "waiting" and res not in broken and not again:
                arrived.append(actor)
                if num != len(arrived):
                    fail(ev, f"{actor} arrives at {res} as {num}, but it is arrival {len(arrived)}")
                if len(arrived) == parties[res]:
                    going.update(arrived)
                    arrived.clear()
                checks += 1
            elif kind == "woke" and not ev.get("aux"):
                if actor not in going:
                    fail(ev, f"{actor} goes on at {res} before its round is full")
                going.discard(actor)
                checks += 1
            elif kind in ("woke", "timeout"):  # the barrier broke (or was reset) under it
                if actor in arrived:
                    arrived.remove(actor)
                going.discard(actor)
            elif kind == "broken":
                broken.add(res)
                arrived.clear()
            elif kind == "reset":
                broken.discard(res)
                arrived.clear()
        if rtype in ("lock", "rlock") or (rtype == "condition" and cond_lock[res] == res):
            if kind == "acquired":
                h = holders.get(res)
                if h and (h[0] != actor or rtype == "lock"):
                    fail(ev, f"{actor} acquired {res} while {h[0]} holds it")
                depth = (h[1] if h else 0) + 1
                holders[res] = (actor, depth)
                if rtype != "lock" and num != depth:
                    fail(ev, f"{actor} acquired {res} at depth {num}, but it is depth {depth}")
                checks += 1
            elif kind == "released":
                h = holders.get(res)
                # a lock may be released by any thread (threading.Lock), an rlock only by its holder
                if not h or (h[0] != actor and rtype != "lock"):
                    fail(ev, f"{actor} released {res}, which it does not hold")
                holders[res] = (h[0], h[1] - 1) if h[1] > 1 else None
                if rtype != "lock" and num != h[1] - 1:
                    fail(ev, f"{actor} released {res} to depth {num}, but it is depth {h[1] - 1}")
        elif rtype in ("semaphore", "bounded_semaphore"):
            if kind in ("acquired", "released"):
                permits[res] = permits.get(res, 0) + (1 if kind == "acquired" else -1)
                if initial.get(res) is not None:
                    if permits[res] > initial[res]:
                        fail(ev, f"{permits[res]} holders of {res}, which admits {initial[res]}")
                    if num != initial[res] - permits[res]:
                        fail(ev, f"{actor} {kind} {res}, which counts {num}, but it is "
                                 f"{initial[res] - permits[res]}")
                checks += kind == "acquired"
        elif rtype == "queue":
            q = queues.setdefault(res, [])
            if kind == "put":
                q.append(text)
            elif kind == "got":
                if not q:
                    fail(ev, f"{actor} got {text} from {res}, which is empty")
                want = q.pop(0)
                if text != want:
                    fail(ev, f"got {text} from {res}, but {want} was put first")
                checks += 1
            if kind in ("put", "got"):
                if num != len(q):
                    fail(ev, f"{actor} {kind} {res}, which holds {num}, but it holds {len(q)}")
                if res in bound and len(q) > bound[res]:
                    fail(ev, f"{res} holds {len(q)}, over its max {bound[res]}")
        elif rtype == "pipe":
            end = ev.get("aux", 0)
            if kind == "sent":
                pipes.setdefault((res, 1 - end), []).append(text)
            elif kind == "received":
                q = pipes.setdefault((res, end), [])
                name = f"{res}.{'ab'[end]}"
                if not q:
                    fail(ev, f"{actor} received {text} at {name}, which nothing was sent to")
                want = q.pop(0)
                if text != want:
                    fail(ev, f"{actor} received {text} at {name}, but {want} was sent first")
                checks += 1
    if not events:
        print(f"{path}: no events: nothing was checked")
        sys.exit(1)
    for var, want in sequences.items():
        if sequence_at[var] != len(want):
            fail_end(f"{var} took {sequence_at[var]} of its {len(want)} values "
                     f"({want[0]}..{want[-1]})")
        checks += 1
    for glob, kind, res, n in counts:
        actors = [a for a in started if fnmatch.fnmatchcase(str(a), glob)]
        if not actors:
            fail_end(f"no actor matches {glob}")
        for a in sorted(actors, key=str):
            got = (tallies.get((a, kind, res), 0) if res is not None else
                   sum(v for (b, k, _), v in tallies.items() if b == a and k == kind))
            if got != n:
                fail_end(f"{a} has {got} {kind}{' ' + res if res else ''} events, not {n}")
            checks += 1
    for glob, rx in patterns:
        actors = [a for a in started if fnmatch.fnmatchcase(str(a), glob)]
        if not actors:
            fail_end(f"no actor matches {glob}")
        for a in sorted(actors, key=str):
            line = " ".join(words.get(a, []))
            if not rx.fullmatch(line):
                fail_end(f"{a}'s events do not follow its program: {line[:300]}")
            checks += 1
    if checks == 0:
        print(f"{path}: {len(events)} events, none subject to an invariant: nothing was checked")
        sys.exit(1)
    print(f"{path}: {len(events)} events, {checks} invariant checks: ok")


def fail(ev, why):
    print(f"trace invariant broken at seq {ev['seq']}: {why}")
    sys.exit(1)


def fail_end(why):
    print(f"trace invariant broken at the end: {why}")
    sys.exit(1)


if __name__ == "__main__":
    main()
