#!/bin/sh
# The merged order of live runs: many seeded live runs of scenarios with several actors on every
# kind of resource (locks, rlocks, semaphores, events, conditions, barriers, queues, process
# actors with a Value, a Queue and a Pipe, a Manager, the GIL), each trace checked by tests/e2e/trace_check.py: never
# two holders of a lock, never more holders than a semaphore admits, FIFO queues and pipes,
# wake-ups only after what wakes them, program order per actor (each actor's events, as a
# pattern of its script), and every event once (a counter incremented under a lock changes to
# exactly 1, 2, ... N; exact counts per actor). Then wrong merges of real traces
# (tests/e2e/wrong_merge.py) must be rejected, each with its message.
# Each trace is also read back and folded into the model (FOLD_TRACE, tests/e2e/fold_trace.c), which
# must ignore none of its events.
# usage: order.sh LOCKSTEP SOURCE_ROOT FOLD_TRACE
. "$(dirname "$0")/lib.sh" "$1" "$2"
fold_bin=$3

b() { printf '(?:blocked:%s )?' "$1"; }  # an actor may find the resource taken first

# order NAME RUNS WANT_OUTPUT FILE SETS -- CHECK_ARGS...: RUNS live runs of FILE with --set SETS
# (space-separated) and seeds 1 ... RUNS, each exiting 0 and printing WANT_OUTPUT (its lines
# sorted and joined by |), each trace passing trace_check.py with CHECK_ARGS; NAME.trace keeps the last
# trace and NAME.args the CHECK_ARGS; the model folds each trace, ignoring nothing. One check for
# all the runs: "N of N runs good".
order() {
        name=$1; runs=$2; want=$3; file=$4; sets=$5; shift 6
        setargs=""
        for s in $sets; do setargs="$setargs --set $s"; done
        good=0; seed=1; first=""
        while [ "$seed" -le "$runs" ]; do
                # shellcheck disable=SC2086
                "$bin" run "$file" $setargs --seed "$seed" --trace "$tmp/$name.trace" \
                        >"$tmp/$name.out" 2>"$tmp/$name.err"
                x=$?
                got=$(LC_ALL=C sort "$tmp/$name.out" | paste -sd '|')
                if [ "$x" -ne 0 ] || [ "$got" != "$want" ]; then
                        [ -n "$first" ] || first="seed $seed: exit $x, printed '$got' (want '$want'): $(tail -1 "$tmp/$name.err")"
                elif ! python3 tests/e2e/trace_check.py "$tmp/$name.trace" "$@" >"$tmp/check" 2>&1; then
                        [ -n "$first" ] || first="seed $seed: $(tail -1 "$tmp/check")"
                else
                        folded=$("$fold_bin" "$tmp/$name.trace" 2>&1)
                        case $folded in
                        *" ignored 0") good=$((good + 1)) ;;
                        *) [ -n "$first" ] || first="seed $seed: the model: $folded" ;;
                        esac
                fi
                seed=$((seed + 1))
        done
        echo "$name: $good of $runs runs good"
        if [ "$good" -eq "$runs" ]; then ok; else ko "$name: $good of $runs runs good; $first"; fi
        printf '%s\n' "$@" >"$tmp/$name.args"  # for the wrong merges of NAME.trace below
}

# --- threads: W workers, N rounds each through every kind of resource, in step by a barrier
N=20; W=3; NW=$((N * W))
order order-threads 20 "$NW $NW $((N * 1000 * W * (W - 1) / 2 + W * N * (N - 1) / 2))" \
        tests/e2e/scenarios/order-threads.json "N=$N W=$W" -- \
        --sequence "counter=1..$NW" --sequence "rc=1..$NW" \
        --count "W*:acquired:lock=$N" --count "W*:acquired:r=$((2 * N))" \
        --count "W*:acquired:room=$N" --count "W*:woke:bar=$N" \
        --count "Feeder:got:q=$NW" --count "Feeder:step=$NW" \
        --count "Taker:changed:total=$NW" \
        --pattern "W*=start (?:waiting:go woke:go )?(?:$(b lock)acquired:lock changed:counter released:lock $(b r)acquired:r acquired:r changed:rc released:r released:r $(b room)acquired:room work released:room waiting:bar woke:bar $(b q)put:q ){$N}exit" \
        --pattern "Feeder=start (?:$(b q)got:q $(b cond)acquired:cond changed:buf notified:cond released:cond ){$NW}exit" \
        --pattern "Taker=start (?:$(b cond)acquired:cond (?:released:cond waiting:cond woke:cond $(b cond)acquired:cond )*changed:buf released:cond changed:total ){$NW}exit" \
        --pattern "MainThread=start set:go (?:(?:blocked )?joined ){$((W + 2))}print exit"

# --- processes: a Value under a lock, a semaphore, a bounded Queue, a Pipe both ways
N=20; P=3; NP=$((N * P))
order order-processes 12 "$NP $((N * 1000 * P * (P - 1) / 2 + P * N * (N - 1) / 2))|got $NP" \
        tests/e2e/scenarios/order-processes.json "N=$N P=$P" -- \
        --sequence "v=1..$NP" --count "P*:acquired:lock=$N" --count "P*:acquired:room=$N" \
        --count "Relay:sent:p=$NP" --count "Receiver:received:p=$NP" \
        --pattern "P*=start (?:$(b lock)acquired:lock changed:v released:lock $(b room)acquired:room work released:room $(b q)put:q ){$N}exit" \
        --pattern "Relay=start (?:$(b q)got:q sent:p ){$NP}$(b p)received:p print exit" \
        --pattern "Receiver=start (?:$(b p)received:p changed:total ){$NP}sent:p exit"

# --- processes signalling: ping-pong on two events; a barrier, and a condition's notify_all
N=20; P=3; NP=$((N * P))
order order-signals 12 "$N $NP" tests/e2e/scenarios/order-signals.json "N=$N P=$P" -- \
        --sequence "hits=1..$N" --sequence "done=1..$NP" --count "W*:woke:bar=$N" \
        --pattern "Ping=start (?:set:ping (?:waiting:pong woke:pong )?cleared:pong ){$N}exit" \
        --pattern "Pong=start (?:(?:waiting:ping woke:ping )?cleared:ping changed:hits set:pong ){$N}exit" \
        --pattern "W*=start (?:waiting:bar woke:bar $(b cond)acquired:cond changed:done notified:cond released:cond ){$N}exit" \
        --pattern "MainThread=start $(b cond)acquired:cond (?:released:cond waiting:cond woke:cond $(b cond)acquired:cond )*released:cond (?:(?:blocked )?joined ){$((P + 2))}print exit"

# --- the benchmark's workloads, small
order lock-counter 20 400 bench/scenarios/lock_counter.json "N=100 THREADS=4" -- \
        --sequence counter=1..400 --count "T*:acquired:lock=100" --count "T*:step=100" \
        --pattern "T*=start (?:$(b lock)acquired:lock changed:counter released:lock ){100}exit"
order process-value 10 200 bench/scenarios/process_value.json "N=50 PROCESSES=4" -- \
        --sequence v=1..200 --count "P*:acquired:lock=50" \
        --pattern "P*=start (?:$(b lock)acquired:lock changed:v released:lock ){50}exit"
order condition-pc 10 19900 bench/scenarios/condition_pc.json "N=200 MAX=3" -- \
        --count "producer:changed:buf=200" --count "consumer:changed:total=200" \
        --pattern "producer=start (?:$(b cond)acquired:cond (?:released:cond waiting:cond woke:cond $(b cond)acquired:cond )*changed:buf notified:cond released:cond ){200}exit" \
        --pattern "consumer=start (?:$(b cond)acquired:cond (?:released:cond waiting:cond woke:cond $(b cond)acquired:cond )*changed:buf changed:total notified:cond released:cond ){200}exit"
order queue-pc 10 19900 bench/scenarios/queue_pc.json "N=200" -- \
        --count "Producer:put:q=201" --count "Consumer:got:q=201" \
        --pattern "Consumer=start (?:$(b q)got:q ){201}print exit"
order pipe 10 200 bench/scenarios/pipe.json "N=200" -- \
        --count "Sender:sent:p=201" --count "Receiver:received:p=201" \
        --pattern "Receiver=start (?:$(b p)received:p ){201}print closed:p exit"
order manager 5 "20 20" bench/scenarios/manager.json "N=20" -- \
        --pattern "worker=start (?:request:d reply:d changed:d request:l reply:l changed:l ){20}exit"

# --- two threads computing under the GIL: every work step while holding it
order gil 10 "Worker-0 finished 0 ms of work|Worker-1 finished 0 ms of work" \
        scenarios/classics/gil.json "CHUNKS=200 CHUNK_MS=0" -- \
        --count "Worker-*:work=200" \
        --pattern "Worker-*=start (?:$(b GIL)acquired:GIL (?:say work )*(?:print )?released:GIL )+exit"

# --- wrong merges of these traces are caught, each with its message: SCENARIO:COUNTER:the
# mutations its scenario forces (wrong_merge.py makes the others when the run allows)
for t in "order-threads:counter:lock-handover lost twice actor-by-actor own-order barrier-early got-early got-swapped" \
         "order-processes:v:start-early lock-handover lost twice own-order got-early got-swapped received-early" \
         "order-signals:done:lost twice own-order barrier-early"; do
        name=${t%%:*}; rest=${t#*:}; counter=${rest%%:*}; must=${rest#*:}
        mkdir "$tmp/$name.wrong"
        python3 tests/e2e/wrong_merge.py "$tmp/$name.trace" "$tmp/$name.wrong" "$counter" \
                >"$tmp/wrong" || ko "wrong_merge.py on $name.trace"
        for m in $must; do
                grep -q "^$m|" "$tmp/wrong" && ok || ko "$name: no $m merge made"
        done
        # the same arguments as for the good runs: a pattern catches what only it can
        set --
        while IFS= read -r a; do set -- "$@" "$a"; done <"$tmp/$name.args"
        while IFS='|' read -r m why; do
                python3 tests/e2e/trace_check.py "$tmp/$name.wrong/$m.trace" "$@" >"$tmp/check" 2>&1
                x=$?
                [ "$x" -eq 1 ] && grep -qF "$why" "$tmp/check" && ok ||
                        { ko "$name: the wrong merge $m passed (exit $x), wanted '$why'"; cat "$tmp/check"; }
        done <"$tmp/wrong"
done
finish
