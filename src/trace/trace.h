/*
 * trace.h — a run's events as JSON Lines: written during `lockstep run --trace`, read back and
 * checked by trace_read (what replay, still to come, will use).
 *
 * A trace is self-contained: line 1 is a header that holds the scenario file's full text, the
 * seed, the mode, the --set overrides and cpu_count(), so the reader can rebuild the very scenario
 * that ran (scenario_load_text) even when the file has changed or gone; every further line is one
 * event (event.h), with actors, resources and the event kind by name. The format is documented
 * in docs/trace-format.md.
 *
 * The writer is on the hot path of a run: it formats by hand into its own buffer (no allocation
 * per event) and writes in large blocks. It is not thread-safe: one thread writes a trace.
 *
 * The reader treats a trace as untrusted input: every line is parsed with cJSON and every field is
 * checked (types, ranges, names against the header, stmt ids and lines against the rebuilt
 * scenario, seq strictly increasing, t non-decreasing); problems are reported as
 * FILE:LINE:COL diagnostics, LINE being the line of the trace file.
 */
#ifndef LOCKSTEP_TRACE_TRACE_H
#define LOCKSTEP_TRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../event/event.h"
#include "../scenario/diag.h"
#include "../scenario/scenario.h"
#include "../util/strbuf.h"

#define TRACE_VERSION 1
/* Bytes in one line. The longest a writer makes: a header with 1 MiB of source (at most 6 MiB
 * escaped) and 64 KiB of --set values (with their base64, under 1 MiB). */
#define TRACE_MAX_LINE      (8 << 20)
#define TRACE_MAX_SET       256                 /* --set entries in a header */
#define TRACE_MAX_SET_BYTES 65536               /* bytes in all --set entries together */
#define TRACE_MAX_PATH      4096                /* bytes in the header's scenario path */
#define TRACE_MAX_BYTES     ((uint64_t)1 << 30) /* a trace file: 1 GiB (see trace_write) */
#define TRACE_CAPPED        1                   /* trace_write: the cap is reached */
#define TRACE_WAITING       2 /* trace_write: more than TRACE_WAIT_MAX bytes wait for the reader */
#define TRACE_WAIT_MAX      ((size_t)4 << 20)
#define TRACE_MAIN_NAME     SC_MAIN_NAME
#define TRACE_RUNNER_NAME   "runner"

/* What the writer needs beyond the scenario. */
typedef struct trace_info {
        uint64_t seed;
        const char *mode;       /* "live" or "step" */
        const char *const *set; /* the NAME=VALUE overrides the scenario was loaded with */
        int nset;
        int cpu_count; /* what cpu_count() gave at load time (scenario_options); 0 asks the system,
                          as the loader does */
} trace_info;

/* A trace's first line, as read back. Strings are NUL-terminated and hold the exact bytes. */
typedef struct trace_header {
        int version;            /* TRACE_VERSION */
        char *lockstep_version; /* of the lockstep that wrote it; NULL when absent */
        char *scenario_path;    /* as given on the command line */
        char *source;           /* the scenario file's full text */
        size_t source_len;
        char *title;
        uint64_t seed;
        char *mode; /* "live" or "step" */
        int cpu_count;
        char **set;
        int nset;
        char **actors; /* actor number -> name; the last is TRACE_MAIN_NAME (the main thread) */
        int nactors;   /* scenario actors + 1 */
        char **resources;
        int nresources;
} trace_header;

typedef struct trace_writer trace_writer;

/* Creates PATH and writes the header. SC is the loaded scenario, SOURCE its file's text (what
 * scenario_load read). Returns NULL with a message in ERR when the file cannot be created or INFO
 * is out of range. */
trace_writer *trace_writer_open(const char *path, const scenario *sc, const char *source,
                                size_t source_len, const trace_info *info, char *err,
                                size_t errlen);
/* The same on an open stream that the caller keeps (trace_writer_close does not close it); NAME
 * names it in messages. */
trace_writer *trace_writer_open_stream(FILE *f, const char *name, const scenario *sc,
                                       const char *source, size_t source_len,
                                       const trace_info *info, char *err, size_t errlen);
/* Appends one event and returns 0 (or TRACE_WAITING, below). An event that breaks event.h's
 * contract (unknown kind, actor or resource out of range, seq not increasing, t going back, text
 * longer than EVENT_MAX_TEXT) is a bug in the caller: xdie. Write errors are remembered and
 * reported by trace_writer_close.
 *
 * The cap: a trace takes at most max_bytes (TRACE_MAX_BYTES unless trace_writer_set_max_bytes
 * said otherwise). An event whose line might go past it is not written: trace_write returns
 * TRACE_CAPPED, and does so for every later event, so the file holds a prefix of the run. The
 * caller then ends the run. Only an EV_END event is still written after the cap (so a trace
 * always ends with its END): the file is at most max_bytes plus that one line. */
int trace_write(trace_writer *w, const event *ev);
/* The cap on the file's bytes; 0 sets TRACE_MAX_BYTES. */
void trace_writer_set_max_bytes(trace_writer *w, uint64_t max_bytes);
/* True once trace_write refused an event for the cap. */
bool trace_writer_capped(const trace_writer *w);
/* Bytes written so far, header included (buffered ones too). */
uint64_t trace_writer_bytes(const trace_writer *w);
/* Pushes buffered lines to the file, waiting for a slow reader as long as it takes. Returns 0,
 * or -1 after a write error. */
int trace_writer_flush(trace_writer *w);
/*
 * A trace whose reader is slower than the run (a FIFO): the writer never waits for it. Its lines
 * wait in memory and go out as the file takes them (util/outq.h); past TRACE_WAIT_MAX waiting,
 * trace_write returns TRACE_WAITING (the event is written all the same), and the caller should
 * take in no more events until trace_writer_waiting is below it again, pushing as
 * trace_writer_fd says POLLOUT. A memory stream (no descriptor) is written at once, as a FILE.
 */
size_t trace_writer_waiting(const trace_writer *w);
/* The descriptor to poll for POLLOUT while lines wait, or -1. */
int trace_writer_fd(const trace_writer *w);
/* Writes what the file takes now, the buffered lines too; never waits. */
void trace_writer_push(trace_writer *w);
/* Writes what the file takes now and drops the rest (the run is interrupted and will not wait
 * for the reader): trace_writer_close then says the trace ends short. */
void trace_writer_cut(trace_writer *w);
/* True once a write has failed (disk full): the caller may stop tracing early. */
bool trace_writer_failed(const trace_writer *w);
/* Flushes, closes and frees W. Returns 0, or -1 with a message in ERR when anything written was
 * lost (disk full, I/O error). */
int trace_writer_close(trace_writer *w, char *err, size_t errlen);

typedef struct trace_reader trace_reader;

/* Opens PATH, reads and checks the header and rebuilds the scenario from its source. Returns NULL
 * after reporting every problem into D. */
trace_reader *trace_reader_open(const char *path, diag *d);
/* The same over LEN bytes of DATA (kept by the caller until trace_reader_close); NAME names the
 * trace in messages. */
trace_reader *trace_reader_open_mem(const char *name, const char *data, size_t len, diag *d);
const trace_header *trace_reader_header(const trace_reader *r);
/* The scenario rebuilt from the header (owned by the reader). */
const scenario *trace_reader_scenario(const trace_reader *r);
/* Reads the next event into EV; its text goes into TEXT and EV->text points there (valid until
 * TEXT changes). Returns 1 for an event, 0 at the end of the trace, -1 when the line is bad (its
 * problems are reported into D; the next call goes on with the next line). After an I/O error
 * (reported, -1) the reader is at its end. A last line with no newline at its end is where the
 * trace was cut short (lockstep killed, the disk full, mid-line): it is left out, unread, and the
 * trace ends before it (trace_reader_cut). */
int trace_read(trace_reader *r, event *ev, strbuf *text, diag *d);
/* True once trace_read has come to a last line cut short and left it out. */
bool trace_reader_cut(const trace_reader *r);
/* The line of the trace file that trace_read read last (1 is the header). */
int trace_reader_line(const trace_reader *r);
/* About how far into the trace the reader is, in bytes (what it has taken from the file). */
uint64_t trace_reader_offset(const trace_reader *r);
/* trace_read reads a line as trace_write writes it (plain strings, integers, known keys) a
 * faster way, and any other line the full way; what it makes of a line is the same either way.
 * Off (ON false): the full way only, for a test that compares the two. */
void trace_reader_set_fast(trace_reader *r, bool on);
/* The events read the faster way so far. */
uint64_t trace_reader_fast_read(const trace_reader *r);
void trace_reader_close(trace_reader *r);

#endif
