#!/usr/bin/env python3
"""Checks the invariants of a lockstep trace (JSON Lines, docs/trace-format.md).

usage: trace_check.py TRACE

- seq is 1, 2, 3, ... and t never goes back;
- a lock or rlock never has two holders at once (acquired/released, in trace order); a lock
  is released by anyone while held, an rlock only by its holder;
- a semaphore never has more holders than its initial value;
- a queue hands items out in the order they were put (FIFO), and nothing is got that was not put;
- with "gil", an actor computes (work) only while it holds a GIL: the main process's (GIL) or
  its process's own (GIL@NAME), each a lock, and an actor only ever takes one of them;
- an actor's first event is start, and nothing of it comes after its exit;
- join returns only after the joined actor's exit;
- a waiter on an event wakes only while the event is set, or after a set since it began to
  wait (Python's set() wakes every waiter, even if clear() comes before it runs);
- every request to a Manager's server gets its reply, on the same resource, as the asking
  actor's very next event (a request is a round trip: the actor does nothing in between, unless
  it crashes), and no reply comes without a request;
- the run's end, when the trace has one, is its last event.
Prints what it checked; exits 1 on the first violation, and also when the trace has no events or
none of its events was subject to an invariant (a check that checked nothing is no check).
"""
import json
import sys


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline())
        events = [json.loads(line) for line in f if line.strip()]
    source = json.loads(header["source"])
    types = {name: r["type"] for name, r in source.get("resources", {}).items()}
    gils = [n for n in header.get("resources", [])
            if (n == "GIL" or n.startswith("GIL@")) and n not in types]
    gil = bool(gils)
    for n in gils:
        types[n] = "lock"
    gil_of = {}  # actor -> the GIL it takes
    for n in header.get("resources", []):
        if n.endswith(".get_lock()") and n not in types:
            types[n] = "rlock"  # a Value's or an Array's own lock
    initial = {}
    for name, r in source.get("resources", {}).items():
        if r["type"] in ("semaphore", "bounded_semaphore"):
            v = r.get("value", 1)
            if isinstance(v, str):  # an expression over constants: the common case is a name
                v = source.get("constants", {}).get(v, None)
            initial[name] = v
    holders = {}  # lock -> actor (with depth)
    permits = {}  # semaphore -> held count
    queues = {}
    flags = {}  # event -> set
    signalled = {}  # event -> the actors waiting on it when it was last set
    event_waits = {}  # actor -> the event it waits on
    asking = {}  # actor -> the resource of its request awaiting a reply
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
        if kind == "end":
            ended = True
            continue
        if actor not in started:
            if kind != "start":
                fail(ev, f"{actor}'s first event is {kind}, not start")
            started.add(actor)
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
        if res in gils and kind == "acquired":
            if gil_of.setdefault(actor, res) != res:
                fail(ev, f"{actor} took {res}, after {gil_of[actor]}: one process, one GIL")
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
        if rtype in ("lock", "rlock", "condition"):
            if kind == "acquired":
                h = holders.get(res)
                if h and h[0] != actor:
                    fail(ev, f"{actor} acquired {res} while {h[0]} holds it")
                holders[res] = (actor, (h[1] if h else 0) + 1)
                checks += 1
            elif kind == "released":
                h = holders.get(res)
                # a lock may be released by any thread (threading.Lock), an rlock only by its holder
                if not h or (h[0] != actor and rtype != "lock"):
                    fail(ev, f"{actor} released {res}, which it does not hold")
                holders[res] = (h[0], h[1] - 1) if h[1] > 1 else None
        elif rtype in ("semaphore", "bounded_semaphore"):
            if kind == "acquired":
                permits[res] = permits.get(res, 0) + 1
                if initial.get(res) is not None and permits[res] > initial[res]:
                    fail(ev, f"{permits[res]} holders of {res}, which admits {initial[res]}")
                checks += 1
            elif kind == "released":
                permits[res] = permits.get(res, 0) - 1
        elif rtype == "queue":
            q = queues.setdefault(res, [])
            if kind == "put":
                q.append(ev.get("text", ""))
            elif kind == "got":
                if not q:
                    fail(ev, f"got from empty {res}")
                want = q.pop(0)
                if ev.get("text", "") != want:
                    fail(ev, f"got {ev.get('text')} from {res}, but {want} was put first")
                checks += 1
    if not events:
        print(f"{path}: no events: nothing was checked")
        sys.exit(1)
    if checks == 0:
        print(f"{path}: {len(events)} events, none subject to an invariant: nothing was checked")
        sys.exit(1)
    print(f"{path}: {len(events)} events, {checks} invariant checks: ok")


def fail(ev, why):
    print(f"trace invariant broken at seq {ev['seq']}: {why}")
    sys.exit(1)


if __name__ == "__main__":
    main()
