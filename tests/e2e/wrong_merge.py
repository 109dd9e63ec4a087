#!/usr/bin/env python3
"""Makes wrong merges of a real trace, to show that trace_check.py catches them (order.sh).

usage: wrong_merge.py TRACE OUTDIR COUNTER

A consumer that merges the actors' event streams can go wrong in a few ways: it puts an event
before one it depends on (a lock's or a semaphore's acquired before the last holder's released,
a wake-up before the notify, set or last arrival that woke it, a got or received before its put
or sent, an actor's start before the statement that starts it), it loses or repeats an event, it
reorders an actor's own events, or it takes one actor's stream whole before another's, or a
batch of it before another's because the batch's clock says so. Each mutation below does one of
these to the trace (seq renumbered, t kept non-decreasing, so that only the order is wrong) and
writes OUTDIR/NAME.trace; it prints one line per trace written, NAME|the message trace_check.py
must fail with. COUNTER names a variable incremented under a lock. A mutation that finds nothing
to mutate in this trace (no condition, say) writes nothing; order.sh requires the ones its
scenario forces.
"""
import json
import re
import sys


def main():
    path, out, counter = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, encoding="utf-8") as f:
        header = f.readline()
        events = [json.loads(line) for line in f if line.strip()]
    times = [e["t"] for e in events]
    source = json.loads(json.loads(header)["source"])
    types = {name: r["type"] for name, r in source.get("resources", {}).items()}
    manual = [re.compile(re.sub(r"\\\{[^}]*\\\}", ".*", re.escape(a["name"])))
              for a in source["actors"] if a.get("start") == "manual"]

    def write(name, evs, why):
        with open(f"{out}/{name}.trace", "w", encoding="utf-8") as f:
            f.write(header)
            for k, e in enumerate(evs):
                e = dict(e, seq=k + 1, t=times[min(k, len(times) - 1)])
                f.write(json.dumps(e) + "\n")
        print(f"{name}|{why}")

    def find(pred, start=0):
        return next((k for k in range(start, len(events)) if pred(events[k])), None)

    def moved(frm, to):  # the event at frm moved to just before the one at to (to < frm)
        evs = list(events)
        evs.insert(to, evs.pop(frm))
        return evs

    def free(actor, k, res="lock"):  # the actor has started and waits on nothing but res at k
        last = next((x for x in reversed(events[:k]) if x["actor"] == actor), None)
        return last is not None and (last["ev"] not in ("blocked", "waiting")
                                     or last.get("res") == res)

    def later(frm, to):  # the event at frm moved to just after the one at to (to > frm)
        evs = list(events)
        evs.insert(to, evs.pop(frm))
        return evs

    # a lock handed over: the last holder's released put after the next one's acquired
    for k in range(len(events)):
        e = events[k]
        if e["ev"] == "released" and e.get("res") == "lock":
            j = find(lambda x: x["ev"] == "acquired" and x.get("res") == "lock", k + 1)
            if j is not None and events[j]["actor"] != e["actor"]:
                write("lock-handover", later(k, j), f"acquired lock while {e['actor']} holds it")
                break
    # the merge the per-batch clock invites: each actor's events in batches (of 64, or fewer when
    # it blocks or waits) that share the batch's first time, merged by time (and actor) instead
    # of by the resources' versions
    first_t, seen, keys = {}, {}, []
    for k, e in enumerate(events):
        n = seen.get(e["actor"], 0)
        seen[e["actor"]] = 0 if e["ev"] in ("blocked", "waiting") else (n + 1) % 64
        if n == 0:
            first_t[e["actor"]] = e["t"]
        keys.append((first_t[e["actor"]], str(e["actor"]), k))
    by_clock = [events[k] for _, _, k in sorted(keys)]

    def told(evs):  # what a reordering always shows in: the queue's events and the counter's
        return [e["seq"] for e in evs if e.get("res") == "q" and e["ev"] in ("put", "got")
                or e.get("res") == counter and e["ev"] == "changed"]

    if told(by_clock) != told(events):  # (in most runs; a merge that happens to be right is not)
        write("batch-clock", by_clock, "trace invariant broken")
    # an actor started by main's first statement put before that statement's step
    j = find(lambda e: e["actor"] == "MainThread" and e["ev"] == "step")
    if j is not None:
        k = find(lambda e: e["ev"] == "start" and e["actor"] != "MainThread", j)
        if k is not None and any(rx.fullmatch(str(events[k]["actor"])) for rx in manual):
            write("start-early", moved(k, j),
                  f"{events[k]['actor']} starts before a start statement")
    # an event lost, or repeated: the COUNTER's changed values skip or repeat one
    changes = [k for k, e in enumerate(events) if e["ev"] == "changed" and e.get("res") == counter]
    if len(changes) > 2:
        k = changes[len(changes) // 2]
        v = int(events[k]["text"])
        write("lost", events[:k] + events[k + 1:], f"{counter} changed to {v + 1}, not {v}")
        write("twice", events[:k + 1] + events[k:], f"{counter} changed to {v}, not {v + 1}")
        # the merge takes the first worker's stream whole, then the others': each actor's own
        # order and every lock's holders stay right, but the counter goes back
        first = events[changes[0]]["actor"]
        mine = [e for e in events if e["actor"] == first]
        last = max(k for k in changes if events[k]["actor"] == first)
        if any(events[k]["actor"] != first for k in changes if k < last):
            rest = [e for e in events if e["actor"] != first]
            at = rest.index(next(e for e in rest if e["actor"] != "MainThread"))
            # what breaks first depends on the scenario (its counter, a barrier, a queue's size)
            write("actor-by-actor", rest[:at] + mine + rest[at:], "trace invariant broken")
    # an actor's own events reordered: what it did next put before the change it made
    for k, e in enumerate(events):
        if e["ev"] == "changed" and e.get("res") == counter:
            j = find(lambda x: x["actor"] == e["actor"] and x["ev"] != "step", k + 1)
            if j is not None and events[j]["ev"] not in ("exit", "crash", "error"):
                write("own-order", moved(j, k), "events do not follow its program")
                break
    # an event's waiter woken before the set that woke it (none since it began to wait)
    for k, e in enumerate(events):
        if e["ev"] == "woke" and types.get(e.get("res")) == "event":
            res, who = e["res"], e["actor"]
            w = max(i for i in range(k) if events[i]["actor"] == who)
            sets = [i for i in range(w, k)
                    if events[i]["ev"] == "set" and events[i].get("res") == res]
            if events[w]["ev"] == "waiting" and len(sets) == 1:
                write("event-early", moved(k, sets[0]), f"{who} woke on {res}, which is not set")
                break
    # a condition's waiter woken before the notify that woke it: the first wake-up, when only
    # one notify before it woke anybody
    k = find(lambda e: e["ev"] == "woke" and e.get("res") == "cond")
    if k is not None:
        woke = [i for i in range(k) if events[i]["ev"] == "notified"
                and events[i].get("res") == "cond" and events[i].get("num", 0) > 0]
        if len(woke) == 1:
            write("woke-early", moved(k, woke[0]), "which no notify woke it on")
    # a barrier's waiter going on before the last party arrives
    k = find(lambda e: e["ev"] == "waiting" and e.get("res") == "bar" and e.get("flags", 0) & 2)
    if k is not None:
        j = find(lambda e: e["ev"] == "woke" and e.get("res") == "bar"
                 and e["actor"] != events[k]["actor"], k)
        write("barrier-early", moved(j, k), "before its round is full")
    # an item got before it was put, and two gets swapped; a message received before it was
    # sent (the k-th got or received moved before the k-th put or sent)
    def early(name, take, give, res, why):
        for k, e in enumerate(events):
            if e["ev"] != take or e.get("res") != res:
                continue
            nth = sum(1 for x in events[:k] if x["ev"] == take and x.get("res") == res
                      and x.get("aux", 0) == e.get("aux", 0))
            gives = [i for i, x in enumerate(events) if x["ev"] == give and x.get("res") == res
                     and (take == "got" or x.get("aux", 0) != e.get("aux", 0))]
            if free(e["actor"], gives[nth], res):
                write(name, moved(k, gives[nth]), why)
                return k
        return None

    k = early("got-early", "got", "put", "q", "from q")
    if k is not None:
        j = find(lambda e: e["ev"] == "got" and e.get("res") == "q"
                 and e.get("text") != events[k].get("text"), k + 1)
        if j is not None:
            evs = list(events)
            evs[k], evs[j] = evs[j], evs[k]
            write("got-swapped", evs, "from q, but")
    early("received-early", "received", "sent", "p", "at p.")
    # a semaphore's release put after another's acquire: the count it reports (or its holders)
    # go wrong
    for k, e in enumerate(events):
        if e["ev"] == "released" and e.get("res") == "room":
            j = find(lambda x: x["ev"] == "acquired" and x.get("res") == "room", k + 1)
            if j is not None and events[j]["actor"] != e["actor"]:
                write("semaphore-late", later(k, j), "room, which")
                break

if __name__ == "__main__":
    main()
