/*
 * pool.h — multiprocessing.Pool: worker processes that run the tasks of map and starmap.
 *
 * Each pool resource has its state in shared memory: a task list (the encoded arguments, or for
 * a map over range() just the range, whose items each worker works out), the results as they
 * come (encoded), and a mutex and condition variable. The workers are real
 * processes forked by the fork server at a pool's first map, each running pool_worker: it takes
 * a task, publishes TASK, calls the function, publishes RESULT and stores the result. Live, the
 * workers take chunks of consecutive tasks as they free up (the statement's "chunksize", else
 * Pool.map's rule: pool_chunksize), so a CPU-bound map runs on every core and the pool's mutex
 * is taken twice a chunk, not twice a task; stepped, the tasks go out in rounds, task base + w to
 * worker w, and the workers of a round compute at once but publish in turn (each its TASK in worker
 * order, then each its RESULT), so the trace is the same for the same seed. The caller collects the
 * results in the order of the inputs. With "gil", each worker holds its own process's GIL (the lock
 * GIL@POOL/W) while it computes, as a process actor's one thread does. A worker killed from outside
 * is replaced (the fork server gives up the GIL it held for it), and the tasks of its chunk it had
 * not done are handed out again (from the one it ran), so its map still finishes (CPython's Pool
 * replaces the worker, but its map then waits for ever for the lost task).
 */
#ifndef LOCKSTEP_ENGINE_POOL_H
#define LOCKSTEP_ENGINE_POOL_H

#include "engine/actor.h"

typedef struct pool_region pool_region;

/* Shared state for every pool of SC; NULL when it has none. */
pool_region *pool_create(const scenario *sc);
void pool_destroy(pool_region *p);
/* Actor A runs map (or starmap) statement S: the results in order into *OUT. FLOW_NEXT, or
 * FLOW_STOP after raising an error (a task's own, or a bad argument). */
int pool_map(actor *a, const sc_stmt *s, value *out);
/* In a process the fork server made for worker W of pool resource RES: serve until stopped. */
void pool_worker(engine *eng, int res, int w);
/* In the fork server: worker W of pool RES ended, its ring written up to END (stream_written,
 * before stream_ring_dead). If it died holding its GIL, the RELEASED goes into its ring for it.
 * Unless the pool was told to stop (it was killed from outside), the tasks it had not done go
 * back to be handed out again, and it is replaced, as Pool replaces a worker that died: true, fork
 * it again. */
bool pool_reaped(engine *eng, int res, int w, uint64_t end);
/* The runner at the end: tells every worker to end (the fork server reaps them). */
void pool_stop(pool_region *p);

/* Pool.map's chunk size for NTASKS items over WORKERS workers: ceil(NTASKS / (4 WORKERS)), as
 * Python's divmod rule gives it (0 for no items). */
int pool_chunksize(size_t ntasks, int workers);

/* A fork server request for worker W of pool RES (forksrv targets below -1). */
#define POOL_TARGET(res, w) (-2 - ((res)*SC_MAX_POOL + (w)))
#define POOL_TARGET_RES(t)  ((-2 - (t)) / SC_MAX_POOL)
#define POOL_TARGET_W(t)    ((-2 - (t)) % SC_MAX_POOL)

#endif
