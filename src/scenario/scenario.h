/*
 * scenario.h — a scenario file loaded and checked into an immutable model.
 *
 * scenario_load reads a JSON scenario (untrusted input), reports every problem it finds as
 * FILE:LINE:COL diagnostics, and on success returns a model that the engine runs and the TUI
 * draws: resources, actors (groups expanded), and their scripts as statement trees whose
 * expressions are parsed and whose names are resolved to references (see SC_REF_*).
 * The format is documented in docs/scenario-format.md; the limits in docs/safety.md.
 */
#ifndef LOCKSTEP_SCENARIO_SCENARIO_H
#define LOCKSTEP_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "expr.h"
#include "value.h"

/* Limits on what a scenario may ask for (docs/safety.md). */
#define SC_MAX_FILE_BYTES   (1 << 20)
#define SC_MAX_DEPTH        64   /* JSON nesting */
#define SC_MAX_STRING       4096 /* bytes in one JSON string (description: SC_MAX_DESCRIPTION) */
#define SC_MAX_DESCRIPTION  4000
#define SC_MAX_ACTORS       64
#define SC_MAX_PROCESSES    16
#define SC_MAX_RESOURCES    128
#define SC_MAX_CONSTANTS    128
#define SC_MAX_STATEMENTS   10000 /* in the whole file */
#define SC_MAX_BLOCK        1000  /* statements in one block */
#define SC_MAX_LOCALS       256   /* per script */
#define SC_MAX_NAME         64
#define SC_MAX_SEMAPHORE    1000000
#define SC_MAX_QUEUE        100000
#define SC_MAX_QUEUE_BYTES  ((size_t)16 << 20) /* encoded items of a queue between processes */
#define SC_MAX_ARRAY        100000
#define SC_MAX_POOL         16
#define SC_MAX_POOL_WORKERS 64           /* in all the pools of a scenario */
#define SC_MAIN_NAME        "MainThread" /* the main thread, actor number scenario.nactors */
#define SC_GIL_INTERVAL     10           /* "gil": true: the switch interval, in steps */
#define SC_MAX_GIL_INTERVAL 100000

typedef enum sc_res_type {
        SC_LOCK,
        SC_RLOCK,
        SC_SEMAPHORE,
        SC_BOUNDED_SEMAPHORE,
        SC_EVENT,
        SC_CONDITION,
        SC_BARRIER,
        SC_VAR,
        SC_LIST,
        SC_DICT,
        SC_VALUE,
        SC_ARRAY,
        SC_QUEUE,
        SC_PIPE,
        SC_POOL,
        SC_RES_TYPE_COUNT
} sc_res_type;

typedef struct sc_resource {
        char *name;
        sc_res_type type;
        int line, col;
        char *note;       /* or NULL */
        int64_t count;    /* semaphore: initial value; barrier: parties; queue: max (0: none);
                             pool: workers */
        int lock;         /* condition: index of its lock resource, -1 for its own rlock */
        bool duplex;      /* pipe */
        char *ends[2];    /* pipe: the names of NAME.a and NAME.b ("ends"), or NULL */
        bool via_manager; /* list, dict */
        char ctype;       /* value, array: 'i' or 'd' */
        value init;       /* var, list, dict, value, array: initial contents */
        /* "gil": a pool's workers' GILs are the locks gil_res + 0 .. count - 1 ("GIL@NAME/W"),
         * else -1; such a lock's pool is `pool` (its worker: its index - that pool's gil_res),
         * every other resource's -1 */
        int gil_res;
        int pool;
} sc_resource;

typedef enum sc_stmt_kind {
        SC_ACQUIRE,
        SC_RELEASE,
        SC_WITH,
        SC_WAIT,
        SC_WAIT_FOR,
        SC_SET,
        SC_CLEAR,
        SC_NOTIFY,
        SC_NOTIFY_ALL,
        SC_ABORT,
        SC_RESET,
        SC_PUT,
        SC_GET,
        SC_SEND,
        SC_RECV,
        SC_CLOSE,
        SC_APPEND,
        SC_POP,
        SC_STORE,
        SC_LET,
        SC_PRINT,
        SC_SLEEP,
        SC_WORK,
        SC_IF,
        SC_WHILE,
        SC_REPEAT,
        SC_FOR,
        SC_BREAK,
        SC_START,
        SC_JOIN,
        SC_MAP,
        SC_STARMAP,
        SC_ASSERT,
        SC_CRASH,
        SC_STMT_KIND_COUNT
} sc_stmt_kind;

typedef enum sc_crash_kind { SC_CRASH_SEGFAULT, SC_CRASH_ABORT, SC_CRASH_EXIT } sc_crash_kind;

typedef struct sc_stmt sc_stmt;

typedef struct sc_block {
        sc_stmt *stmts;
        int n;
} sc_block;

/* A resolved name in an expression: the kind in the top byte, an index below. */
enum {
        SC_REF_LOCAL = 1, /* slot in the script's locals */
        SC_REF_CONST,     /* index into scenario.constants */
        SC_REF_RES,       /* index into scenario.resources (var, list, dict, value, array) */
        SC_REF_NAME,      /* the actor's name */
        SC_REF_I,         /* the actor's index in its group */
};
#define SC_REF(kind, index) ((int32_t)(((uint32_t)(kind) << 24) | (uint32_t)(index)))
#define SC_REF_KIND(ref)    ((int)((uint32_t)(ref) >> 24))
#define SC_REF_INDEX(ref)   ((int)((uint32_t)(ref)&0xffffff))

struct sc_stmt {
        sc_stmt_kind kind;
        int id;        /* unique in the scenario, in file order: where an actor is */
        int line, col; /* of the statement's keyword */
        int res;       /* resource operated on, or -1 */
        int end;       /* pipe end: 0 for NAME.a, 1 for NAME.b */
        int *targets;  /* start, join: the actors named (indices into scenario.actors) */
        int ntargets;
        int32_t local;       /* let, for, repeat's as, into: the local slot written, or -1 */
        expr *value;         /* let/store/put/send/append value; if/while condition; repeat count;
                                for's iterable; sleep/work amount; assert condition */
        expr *lvalue;        /* store: the target (a name or name[index]) */
        expr *timeout;       /* acquire, wait, wait_for, put, get, join; or NULL */
        expr *at;            /* pop */
        expr *n;             /* notify */
        expr *until;         /* wait_for */
        expr *fn;            /* map, starmap */
        expr *over;          /* map, starmap */
        expr *chunksize;     /* map, starmap: tasks a live worker takes at a time, or NULL */
        bool blocking;       /* acquire (default true) */
        bool guarded;        /* every datum it touches is kept apart by a lock it holds: it
                                needs no memory lock (guard.h) */
        int crash;           /* sc_crash_kind */
        int exit_code;       /* crash "exit" */
        expr_template *text; /* print text; assert message (or NULL) */
        expr_template *say;  /* narration caption, or NULL */
        sc_block body;       /* with/while/repeat/for do; if then */
        sc_block orelse;     /* if else */
};

typedef struct sc_script {
        sc_block body;
        char **locals; /* slot -> name */
        int nlocals;
} sc_script;

typedef enum sc_actor_kind { SC_THREAD, SC_PROCESS } sc_actor_kind;

typedef struct sc_actor {
        char *name;
        sc_actor_kind kind;
        int i;       /* index in its group */
        int group;   /* index into scenario.groups */
        bool manual; /* started by main */
        int script;  /* index into scenario.scripts */
        int line, col;
        int gil_res; /* "gil", a process actor: its own process's GIL (a lock), else -1 */
        char *note;  /* its entry's "note", shown beside it, or NULL */
} sc_actor;

typedef struct sc_group {
        char *name;
        int *members; /* indices into scenario.actors, in order */
        int nmembers;
} sc_group;

typedef struct sc_constant {
        char *name;
        value v;
} sc_constant;

/* Where an expression or a template of a script starts in the file (its JSON value), so that a
 * run-time error in it can say FILE:LINE:COL. */
typedef struct sc_where {
        const void *what; /* the expr or expr_template */
        int line, col;
} sc_where;

typedef struct scenario {
        char *path;
        char *title, *summary, *mirrors, *description; /* mirrors, description may be NULL */
        char **tags;
        int ntags;
        bool gil;         /* thread actors take turns on a simulated interpreter lock */
        int gil_interval; /* steps a thread may take before it hands the GIL on */
        int gil_res;      /* the main process's GIL as a resource (a lock named GIL), or -1;
                             each process actor has its own (sc_actor.gil_res, "GIL@NAME"),
                             and so has each pool worker (sc_resource.gil_res, "GIL@POOL/W") */
        sc_constant *constants;
        int nconstants;
        sc_resource *resources;
        int nresources;
        sc_actor *actors;
        int nactors;
        sc_group *groups;
        int ngroups;
        sc_script *scripts; /* one per actor entry, then main's last */
        int nscripts;
        int main_script;
        bool main_given; /* false: main was implied (start the auto actors, join everyone) */
        int nstmts;
        sc_where *wheres; /* sorted by `what`: read with scenario_where */
        int nwheres;
} scenario;

/* Where a --set value was written, for its messages: a file's line and column (a schedule's
 * @set line), or the command line when FILE is NULL. */
typedef struct scenario_place {
        const char *file;
        int line, col;
} scenario_place;

typedef struct scenario_options {
        const char *const *set;       /* NAME=VALUE overrides of constants (VALUE an expression) */
        const scenario_place *set_at; /* NULL, or one for each of SET */
        int nset;
        int cpu_count; /* what cpu_count() gives at load time; 0 asks the system */
} scenario_options;

/* Reads the scenario file PATH: a regular file, of which at most SC_MAX_FILE_BYTES + 1 bytes are
 * read (one more than a scenario may have, so that the loader can say it is too big). A FIFO, a
 * device or a directory is refused before anything is read from it (opening a FIFO to read
 * would wait for a writer for ever). Returns the bytes (malloc'd, *LEN of them), or NULL with why
 * in WHY ("not a regular file (a FIFO): give a scenario file"). */
char *scenario_read(const char *path, size_t *len, strbuf *why);
/* Loads PATH (scenario_read). Returns the scenario, or NULL after reporting every problem into
 * D. */
scenario *scenario_load(const char *path, const scenario_options *opt, diag *d);
/* Loads from memory; PATH only names the file in messages. */
scenario *scenario_load_text(const char *path, const char *text, size_t len,
                             const scenario_options *opt, diag *d);
void scenario_free(scenario *sc);

const char *scenario_res_type_name(sc_res_type t);
const char *scenario_stmt_keyword(sc_stmt_kind k);
/* The name of actor number ID: an actor's, SC_MAIN_NAME for nactors, "runner" for -1. */
const char *scenario_actor_name(const scenario *sc, int id);
/* Finds a resource by name; -1 when there is none. */
int scenario_find_resource(const scenario *sc, const char *name);
/* Finds a pipe end by the name its pipe's "ends" gives it: the pipe's index (*END 0 for NAME.a,
 * 1 for NAME.b), or -1 when no pipe names an end so. */
int scenario_find_pipe_end(const scenario *sc, const char *name, int *end);
/* How scripts and the Code pane name end END of pipe R: its name from "ends", or NAME.a /
 * NAME.b written into BUF (SC_MAX_NAME + 3 bytes). */
const char *scenario_pipe_end_name(const sc_resource *r, int end, char *buf);
/* Where expression or template WHAT (one of a statement's) starts in the file: true and *LINE,
 * *COL, or false when WHAT is not one of the scenario's. */
bool scenario_where(const scenario *sc, const void *what, int *line, int *col);
/* Visits every statement of a block in pre-order. */
void scenario_walk(const sc_block *b, void (*fn)(const sc_stmt *s, void *ctx), void *ctx);

#endif
