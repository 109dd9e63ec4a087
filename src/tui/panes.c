/*
 * panes.c — the scenario screen drawn (see screen_int.h): the panes, the status lines, help.
 *
 * Panes: Actors (one row per actor: number, glyph, name, state in words, the line it is at and
 * what it waits for), Code (the selected actor's script, the current line marked, the numbers
 * of the other actors at each line), Resources (each drawn for what it is, with holders and
 * waiters named: describe.c) and Output (what the actors printed, tagged with who), and the
 * Timeline. The status lines below say what a key did or why an actor cannot move, show the
 * deadlock banner, and keep the last narration caption in view.
 */
#include <stdlib.h>
#include <string.h>

#include "tui/describe.h"
#include "tui/draw.h"
#include "tui/screen_int.h"
#include "tui/spans.h"
#include "util/utf8.h"
#include "util/xalloc.h"

const char *const screen_pane_names[PANE_COUNT] = {
        [PANE_ACTORS] = "Actors", [PANE_CODE] = "Code",         [PANE_RES] = "Resources",
        [PANE_OUTPUT] = "Output", [PANE_TIMELINE] = "Timeline",
};

/* Every key, for the help screen; those with a bar label also go on the bottom bar — a spare one
 * only when the whole bar fits (at 80 columns it would push `q Quit` off). */
typedef struct key_help {
        const char *keys, *bar_key, *bar, *help;
        bool spare;
} key_help;

/* Each help text fits the help box at 80 columns (54 columns beside the keys). */
static const key_help key_table[] = {
        { "Space, n", "Spc", "Step", "step the next actor that can move, in turn", false },
        { "1-9, 0", "1-9", "Actor", "step that actor (its number); if it can't, says why", false },
        { "Up, Down, Enter", NULL, NULL, "choose an actor in Actors, then step it (or click it)",
          false },
        { "r", "r", "Run", "run: steps come by themselves (seeded random pick)", false },
        { "p", "p", "Pause", "pause a run; then step by hand again", false },
        { "+, -", "+-", "Speed", "more or fewer steps per second", false },
        { "Left, Right, [, ]", "[]", "Rewind", "back and forth in time; a step there branches",
          false },
        { "{, }", NULL, NULL, "the earliest moment kept; back to now", false },
        { "b", NULL, NULL, "branch at the moment shown, without a step", false },
        { "R", "R", "Restart", "start again from the first step, with the same seed", false },
        { "L", NULL, NULL, "start again live (the OS schedules) or stepped", false },
        { "s", NULL, NULL, "save the moves so far as a schedule (--schedule)", false },
        { "Tab, Shift-Tab", "Tab", "Focus", "the next (previous) pane; PgUp, PgDn, Home, End",
          false },
        { "z", "z", "Zoom", "the pane in focus alone, larger; z again: all panes", true },
        { "Ctrl-L", NULL, NULL, "paint the whole screen again", false },
        { "?", "?", "Help", "this help (any key closes it)", false },
        { "q", "q", "Quit", "quit (back to the list when opened from it)", false },
};
#define NKEYS ((int)(sizeof(key_table) / sizeof(*key_table)))

/* A replay's keys: nothing runs, the moment shown moves (by hand, or played). */
static const key_help replay_key_table[] = {
        { "Space, Right, ]", "Spc", "Forward", "the next step of the trace (n, Enter, 1-9 too)",
          false },
        { "Left, [", "[", "Back", "the step before", false },
        { "{, }", NULL, NULL, "the start of the trace; its end", false },
        { "r", "r", "Play", "play the trace forward, a step at a time, at the speed", false },
        { "p", "p", "Pause", "pause the playing", false },
        { "+, -", "+-", "Speed", "more or fewer steps per second", false },
        { "R", "R", "Start", "back to the start of the trace", false },
        { "Up, Down", NULL, NULL, "choose an actor: Code shows its script", false },
        { "Tab, Shift-Tab", "Tab", "Focus", "the next (previous) pane; PgUp, PgDn, Home, End",
          false },
        { "z", "z", "Zoom", "the pane in focus alone, larger; z again: all panes", true },
        { "Ctrl-L", NULL, NULL, "paint the whole screen again", false },
        { "?", "?", "Help", "this help (any key closes it)", false },
        { "q", "q", "Quit", "quit", false },
};
#define NREPLAY_KEYS ((int)(sizeof(replay_key_table) / sizeof(*replay_key_table)))

/* ---- the panes ---------------------------------------------------------------------------- */

#define ZOOMED_TITLE " - zoomed, z shows all"

/* Pane P's title as pane_title draws it, EXTRA after the pane's name, into SB. */
static void title_text(const screen *sc, int p, const char *extra, strbuf *sb)
{
        strbuf_printf(sb, " %s%s%s ", screen_pane_names[p], extra, sc->zoomed ? ZOOMED_TITLE : "");
}

/* Whether pane P's title with EXTRA and MORE after its name fits its width, cut by nothing. */
static bool title_fits(const screen *sc, const term *t, int p, const char *extra, const char *more)
{
        strbuf both = STRBUF_INIT, sb = STRBUF_INIT;
        bool fits;

        strbuf_printf(&both, "%s%s", extra, more);
        title_text(sc, p, strbuf_str(&both), &sb);
        fits = draw_width(t, strbuf_str(&sb), sb.len) <= sc->pane[p].w;
        strbuf_free(&both);
        strbuf_free(&sb);
        return fits;
}

static void pane_title(screen *sc, const term *t, int p, const char *extra)
{
        const layout_rect *r = &sc->pane[p];
        term_role role = sc->focus == p ? ROLE_PANE_FOCUS : ROLE_PANE;
        strbuf sb = STRBUF_INIT;

        title_text(sc, p, extra, &sb);
        draw_fill(stdscr, r->y, r->x, r->w, term_attr(t, role));
        draw_str(t, stdscr, r->y, r->x, r->w, term_attr(t, role), strbuf_str(&sb));
        strbuf_free(&sb);
}

static int script_of(const scenario *scn, int a)
{
        return a < scn->nactors ? scn->actors[a].script : scn->main_script;
}

/* "waits for lock_b (held by Thread-2)": model_describe_wait without the actor's own name. */
static void wait_words(const model *m, int a, strbuf *out)
{
        strbuf sb = STRBUF_INIT;
        const model_actor *ma = model_actor_at(m, a);
        size_t skip = strlen(ma->name) + 1;

        model_describe_wait(m, a, &sb);
        strbuf_puts(out, sb.len > skip ? sb.data + skip : strbuf_str(&sb));
        strbuf_free(&sb);
}

/* An error's or a failed assert's TEXT ("FILE:LINE:COL: Name: message") into OUT without its
 * place in the file: the Code pane marks the line (numbered as shown, not as in the file), and
 * the room is for the message. */
static void put_error_text(const screen *sc, const char *text, strbuf *out)
{
        const scenario *scn =
            sc->replay != NULL ? trace_reader_scenario(sc->reader) : session_scenario(sc->s);
        size_t n = scn != NULL && scn->path != NULL ? strlen(scn->path) : 0;
        int line, col, used = 0;

        if (n > 0 && strncmp(text, scn->path, n) == 0 &&
            sscanf(text + n, ":%d:%d: %n", &line, &col, &used) == 2 && used > 0)
                text += n + (size_t)used;
        strbuf_puts(out, text);
}

/* The actors and resources of a deadlock cycle, to draw them as the banner is drawn. */
static void cycle_marks(const model *m, bool *actors, bool *res)
{
        model_edge e[SC_MAX_ACTORS + 1];
        int n = model_wait_edges(m, e, SC_MAX_ACTORS + 1);

        for (int k = 0; k < n && k < SC_MAX_ACTORS + 1; k++) {
                if (!e[k].cycle)
                        continue;
                if (actors != NULL)
                        actors[e[k].from] = true;
                if (res != NULL && e[k].res >= 0)
                        res[e[k].res] = true;
        }
}

static void draw_actors(screen *sc, const term *t, const model *m)
{
        const layout_rect *r = &sc->pane[PANE_ACTORS];
        const scenario *scn = model_scenario(m);
        int n = model_nactors(m), rows = r->h - 1, namew = 4;
        bool cycle[SC_MAX_ACTORS + 1] = { false };

        pane_title(sc, t, PANE_ACTORS, "");
        cycle_marks(m, cycle, NULL);
        for (int a = 0; a < n; a++) {
                int w =
                    draw_width(t, model_actor_at(m, a)->name, strlen(model_actor_at(m, a)->name));

                if (w > namew)
                        namew = w;
        }
        if (namew > 22)
                namew = 22;
        /* the selected actor stays in view */
        if (sc->scroll[PANE_ACTORS] > n - rows)
                sc->scroll[PANE_ACTORS] = n - rows;
        if (sc->scroll[PANE_ACTORS] < 0)
                sc->scroll[PANE_ACTORS] = 0;
        if (sc->sel < sc->scroll[PANE_ACTORS])
                sc->scroll[PANE_ACTORS] = sc->sel;
        if (sc->sel >= sc->scroll[PANE_ACTORS] + rows)
                sc->scroll[PANE_ACTORS] = sc->sel - rows + 1;
        for (int row = 0; row < rows; row++) {
                int a = sc->scroll[PANE_ACTORS] + row, y = r->y + 1 + row, x = r->x, line;
                const model_actor *ma = model_actor_at(m, a);
                model_state shown;
                term_role st;
                spans l = { 0 };
                bool sel = a == sc->sel;

                if (ma == NULL)
                        break;
                /* a waiter whose wait is over is ready, not blocked; the words after its name
                 * say on what it waited */
                shown = model_state_shown(m, a);
                st = (term_role)(ROLE_STATE + shown);
                line = code_line_of(sc->code, ma->stmt);
                spans_add(&l, sel ? ROLE_SELECT : ROLE_NORMAL, "%s", sel ? t->marker : " ");
                if (a < 10)
                        spans_add(&l, ROLE_BOLD, "%d ", (a + 1) % 10);
                else
                        spans_add(&l, ROLE_NORMAL, "  ");
                /* started, its first event not in yet (a forked process takes a moment) */
                spans_add(&l, st, "%s %-8s ", t->glyph[shown],
                          ma->state == MODEL_NEW && ma->launched ? "starting"
                          : shown != ma->state                   ? model_state_word(shown)
                                                                 : model_actor_word(ma));
                x += spans_draw(t, y, x, r->w, &l);
                spans_free(&l);
                l = (spans){ 0 };
                draw_str(t, stdscr, y, x, namew,
                         term_attr(t, cycle[a] ? ROLE_BANNER
                                      : sel    ? ROLE_SELECT
                                               : ROLE_BOLD),
                         ma->name);
                x += namew + 1;
                if (line >= 0)
                        spans_add(&l, ROLE_DIM, "line %-3d ", line + 1);
                else
                        spans_add(&l, ROLE_DIM, "         ");
                if (ma->state == MODEL_BLOCKED || ma->state == MODEL_WAITING) {
                        strbuf why = STRBUF_INIT;

                        wait_words(m, a, &why);
                        /* red for a wait, plain once it is over */
                        spans_add(&l, shown == MODEL_READY ? ROLE_NORMAL : ROLE_WAITER, "%s",
                                  strbuf_str(&why));
                        strbuf_free(&why);
                } else if (ma->state == MODEL_SLEEPING) {
                        spans_add(&l, ROLE_NORMAL, "sleeps %g s", (double)ma->sleep_ns / 1e9);
                } else if (ma->state == MODEL_CRASHED && ma->why != NULL) {
                        strbuf why = STRBUF_INIT;

                        put_error_text(sc, ma->why, &why);
                        spans_add(&l, ROLE_ERROR, "%s", strbuf_str(&why));
                        strbuf_free(&why);
                } else if (a < scn->nactors && scn->actors[a].note != NULL) {
                        /* the author's note, as a comment, where nothing more pressing is said */
                        spans_add(&l, ROLE_DIM, "# %s", scn->actors[a].note);
                }
                spans_draw(t, y, x, r->x + r->w - x, &l);
                spans_free(&l);
        }
}

/* NAME in WIDTH columns at Y, X, its middle cut when too wide. */
static void put_name_cut(const term *t, int y, int x, int width, attr_t a, const char *name)
{
        strbuf sb = STRBUF_INIT;

        draw_cut_middle(t, name, strlen(name), width, width / 2 < 6 ? width / 2 : 6, &sb);
        draw_str(t, stdscr, y, x, width, a, strbuf_str(&sb));
        strbuf_free(&sb);
}

/* The columns before a line of code: who else is there (only where another actor runs the same
 * script: a group's), the marker, the line's number. */
#define CODE_OTHERS 6
#define CODE_PREFIX (1 + 4)
/* A line of code too long for the pane wraps, its later rows indented this much more than it
 * (as Python continues a line); when that would leave fewer than CODE_WRAP_MIN columns, it
 * loses its middle instead. */
#define CODE_WRAP_INDENT 4
#define CODE_WRAP_MIN    12
/* A line that loses its middle keeps its indentation while its code keeps this many columns. */
#define CODE_CUT_MIN 10

/* Where code_rows puts a line's rows: their text (as the scenario has it, escaped when drawn)
 * and indentation. */
typedef struct code_row {
        const char *s;
        size_t n;
        int indent;
} code_row;

typedef struct code_rows_out {
        code_row *v; /* NULL: only counted */
        int max, n;  /* room in v, rows given */
        int indent;  /* of the rows given now */
        bool first;  /* only the first row is wanted */
} code_rows_out;

static void code_row_at(const char *s, size_t n, void *ctx)
{
        code_rows_out *o = ctx;

        if (o->first && o->n > 0)
                return;
        if (o->v != NULL && o->n < o->max)
                o->v[o->n] = (code_row){ s, n, o->indent };
        o->n++;
}

/* The rows the line TEXT takes in WIDTH columns, into OUT (at most MAX; NULL: only
 * counted): one when it fits, when not to WRAP or when too little would be left for its wrapped
 * rows, else its first row at its indentation and the rest CODE_WRAP_INDENT columns further
 * in. Measured as drawn, escapes and all, and cut between characters, never inside an escape
 * (`\t` split into `\` and `t`). */
static int code_rows(const term *t, const char *text, int width, bool wrap, code_row *out, int max)
{
        size_t indent = strspn(text, " ");
        int rest = width - (int)indent - CODE_WRAP_INDENT;
        code_row one = { 0 };
        code_rows_out o = { .v = &one, .max = 1, .indent = (int)indent, .first = true };
        const char *more;

        if (!wrap || rest < CODE_WRAP_MIN || draw_width(t, text, strlen(text)) <= width) {
                if (out != NULL && max > 0)
                        out[0] = (code_row){ text, strlen(text), -1 };
                return 1;
        }
        draw_wrap(t, text + indent, width - (int)indent, code_row_at, &o);
        if (out != NULL && max > 0)
                out[0] = one;
        more = one.s + one.n;
        more += strspn(more, " ");
        o = (code_rows_out){ .v = out != NULL ? out + 1 : NULL,
                             .max = max - 1,
                             .indent = (int)indent + CODE_WRAP_INDENT };
        draw_wrap(t, more, rest, code_row_at, &o);
        return 1 + o.n;
}

/* The rows each line of SCRIPT takes in WIDTH columns: worked out again only when the script,
 * the width or the code (code_set) changed. */
static const int *code_heights(screen *sc, const term *t, int script, int width)
{
        const code_script *cs = &sc->code->scripts[script];

        if (sc->code_h != NULL && sc->code_h_script == script && sc->code_h_width == width)
                return sc->code_h;
        free(sc->code_h);
        sc->code_h = xcalloc((size_t)(cs->n > 0 ? cs->n : 1), sizeof(int));
        for (int k = 0; k < cs->n; k++)
                sc->code_h[k] = code_rows(t, cs->lines[k].text, width, true, NULL, 0);
        sc->code_h_script = script;
        sc->code_h_width = width;
        return sc->code_h;
}

/* Whether more than one actor of M runs SCRIPT (a group's), so that another may be on a line. */
static bool script_shared(const model *m, int script)
{
        const scenario *scn = model_scenario(m);
        int n = 0;

        for (int a = 0; a < model_nactors(m); a++)
                n += script_of(scn, a) == script;
        return n > 1;
}

/* The code shown from now on: CB, the old one freed. */
static void draw_code(screen *sc, const term *t, const model *m)
{
        const layout_rect *r = &sc->pane[PANE_CODE];
        const scenario *scn = model_scenario(m);
        int script = script_of(scn, sc->sel), rows = r->h - 1;
        int others_w = script_shared(m, script) ? CODE_OTHERS : 0;
        int prefix = others_w + CODE_PREFIX, width = r->w - prefix;
        const code_script *cs = &sc->code->scripts[script];
        const model_actor *me = model_actor_at(m, sc->sel);
        strbuf title = STRBUF_INIT, text = STRBUF_INIT;
        const char *more;
        const int *wrapped = code_heights(sc, t, script, width);
        int cur, first, total = 0, row = 0, at, cur_row = 0, last_first, below = 0;
        int *h = xcalloc((size_t)(cs->n > 0 ? cs->n : 1), sizeof(int));
        code_row *parts = xcalloc((size_t)(rows > 0 ? rows : 1), sizeof(*parts));

        /* A long line wraps where the pane keeps room for it; else it takes a row, losing its
         * middle. The selected actor's line first, the one its step and caption are about,
         * when it takes at most half the pane; then the others nearest to it, while the rows
         * left over by the script's lines allow: wrapping them all would take rows from the
         * others, out of view (at 80 columns seed 03's thread went from all its lines in view
         * to two of four). */
        cur = code_line_of(sc->code, me->stmt);
        for (int k = 0; k < cs->n; k++)
                h[k] = k == cur && wrapped[k] <= rows / 2 ? wrapped[k] : 1;
        for (int k = 0; k < cs->n; k++)
                total += h[k];
        for (int d = 0, from = cur >= 0 ? cur : 0; total < rows && d < cs->n; d++) {
                for (int side = 0; side < 2; side++) {
                        int k = side == 0 ? from - d : from + d;

                        if (k < 0 || k >= cs->n || h[k] > 1 || total + wrapped[k] - 1 > rows)
                                continue;
                        total += wrapped[k] - 1;
                        h[k] = wrapped[k];
                }
        }
        total = 0;
        for (int k = 0; k < cs->n; k++) {
                if (k < cur)
                        cur_row += h[k];
                total += h[k];
        }
        /* follow the selected actor's line (half the pane down once it would not be whole
         * from the top), then the reader's own scrolling, in lines; counted in rows */
        at = cur >= 0 && cur_row + h[cur] > rows ? cur_row - rows / 2 : 0;
        for (first = 0; first < cs->n && at > 0; first++)
                at -= h[first];
        /* the last line to start at: from there the script's end fills the pane */
        for (last_first = cs->n, at = 0; last_first > 0 && at + h[last_first - 1] <= rows;
             last_first--)
                at += h[last_first - 1];
        if (first + sc->scroll[PANE_CODE] > last_first)
                sc->scroll[PANE_CODE] = last_first - first;
        if (first + sc->scroll[PANE_CODE] < 0)
                sc->scroll[PANE_CODE] = -first;
        first += sc->scroll[PANE_CODE];
        for (int k = first; k < cs->n; k++)
                below += h[k];
        /* lines out of view are said, as Resources and Output say theirs; the actor's name
         * gives up its middle for it */
        more = first > 0 && below > rows ? " (more above, below)"
               : below > rows            ? " (more below)"
               : first > 0               ? " (more above)"
                                         : "";
        strbuf_puts(&title, " - ");
        draw_cut_middle(t, me->name, strlen(me->name),
                        r->w - (int)(strlen(screen_pane_names[PANE_CODE]) + strlen(more)) - 5, 4,
                        &title);
        strbuf_puts(&title, more);
        pane_title(sc, t, PANE_CODE, strbuf_str(&title));
        strbuf_free(&title);
        for (int ln = first; ln < cs->n && row < rows; ln++) {
                const code_line *cl = &cs->lines[ln];
                strbuf others = STRBUF_INIT;
                bool here = ln == cur && cl->stmt >= 0;
                int nothers = 0, nparts;

                /* the other actors whose statement is on this line, by number */
                for (int a = 0; a < model_nactors(m) && cl->stmt >= 0; a++)
                        if (a != sc->sel && script_of(scn, a) == script &&
                            model_actor_at(m, a)->stmt == cl->stmt &&
                            model_actor_at(m, a)->state != MODEL_DONE) {
                                if (nothers++ < 2)
                                        strbuf_printf(&others, "%s%d", others.len > 0 ? "," : "",
                                                      a + 1);
                        }
                if (nothers > 2)
                        strbuf_printf(&others, "+%d", nothers - 2);
                nparts = code_rows(t, cl->text, width, h[ln] > 1, parts, rows - row);
                if (nparts > rows - row)
                        nparts = rows - row; /* the rest below the pane: "(more below)" */
                for (int p = 0; p < nparts; p++, row++) {
                        spans l = { 0 };

                        if (p == 0) {
                                if (others_w > 0)
                                        spans_add(&l, ROLE_MESSAGE, "%*.*s", others_w, others_w,
                                                  strbuf_str(&others));
                                spans_add(&l, here ? ROLE_SELECT : ROLE_NORMAL, "%s",
                                          here ? t->marker : " ");
                                spans_add(&l, ROLE_DIM, "%3d ", ln + 1);
                        } else {
                                spans_add(&l, ROLE_NORMAL, "%*s", prefix, "");
                        }
                        strbuf_reset(&text);
                        if (parts[p].indent < 0) {
                                /* a line that does not wrap: when too long for too narrow a
                                 * pane it keeps its end ("for t in Custo… t.start()" and "...
                                 * t.join()" were both "for t in CustomProcess: …"), and its
                                 * indentation, whose depth is the code's structure, while its
                                 * code keeps CODE_CUT_MIN columns: the middle cut is the
                                 * code's, so it starts as it does ("balan…+ 10", not
                                 * "…lance + 10" after the spaces) */
                                size_t sp = strspn(parts[p].s, " ");
                                int in;

                                if (sp > parts[p].n)
                                        sp = parts[p].n;
                                in = (int)sp;
                                /* (a line that fits keeps all of its indentation) */
                                if (in > width - CODE_CUT_MIN &&
                                    draw_width(t, parts[p].s, parts[p].n) > width)
                                        in = width - CODE_CUT_MIN > 0 ? width - CODE_CUT_MIN : 0;
                                strbuf_printf(&text, "%*s", in, "");
                                draw_cut_middle(t, parts[p].s + sp, parts[p].n - sp, width - in,
                                                (width - in) * 2 / 5, &text);
                        } else {
                                strbuf_printf(&text, "%*s", parts[p].indent, "");
                                strbuf_append(&text, parts[p].s, parts[p].n);
                        }
                        spans_add(&l, here ? ROLE_BOLD : ROLE_NORMAL, "%s", strbuf_str(&text));
                        spans_draw(t, r->y + 1 + row, r->x, r->w, &l);
                        spans_free(&l);
                }
                strbuf_free(&others);
        }
        free(parts);
        free(h);
        strbuf_free(&text);
}

static void free_texts(char **v, int n)
{
        if (v == NULL)
                return;
        for (int k = 0; k < n; k++)
                free(v[k]);
        free(v);
}

/* The resources' texts at moment SEQ, described for a pane W columns wide, or NULL when the
 * history cannot rebuild it. Uses history_at: the caller asks for its shown model again. */
/* The Resources pane's columns in W: the names' (as wide as the longest, up to 16, or 24 where
 * the pane is wide: "shared_array.get_lock()") and the types' (0: not shown, where the pane is
 * narrow); the rooms a resource's rows have. */
typedef struct res_columns {
        int namew, typew;
        describe_room room;
} res_columns;

static res_columns res_columns_of(const term *t, const model *m, int w)
{
        res_columns c = { .namew = 4 };

        for (int k = 0; k < model_nres(m); k++) {
                const char *name = model_res_at(m, k)->name;
                int n = draw_width(t, name, strlen(name));

                c.namew = n > c.namew ? n : c.namew;
                n = (int)strlen(scenario_res_type_name(model_res_at(m, k)->type));
                c.typew = n > c.typew ? n : c.typew;
        }
        if (c.namew > (w >= 72 ? 24 : 16))
                c.namew = w >= 72 ? 24 : 16;
        if (w < 60)
                c.typew = 0;
        /* the first row after the name and the type, the others indented by 3 */
        c.room.first = w - c.namew - 2 - (c.typew > 0 ? c.typew + 1 : 0);
        c.room.rest = w - 3;
        c.room.narrow = !t->utf8;
        return c;
}

static char **res_texts_at(const term *t, history *h, uint64_t seq, int w)
{
        const model *m = history_at(h, seq);
        describe_room room;
        char **v;

        if (m == NULL)
                return NULL;
        room = res_columns_of(t, m, w).room;
        v = xcalloc((size_t)model_nres(m) + 1, sizeof(char *));
        for (int k = 0; k < model_nres(m); k++) {
                spans l = { 0 };

                describe_res(m, k, &l, room);
                v[k] = xstrdup(strbuf_str(&l.text));
                spans_free(&l);
        }
        return v;
}

/* BEFORE: the texts at the moment before the last step shown, to mark what that step changed
 * (NULL: no marks). */
static void draw_resources(screen *sc, const term *t, const model *m, char **before)
{
        const layout_rect *r = &sc->pane[PANE_RES];
        const scenario *scn = model_scenario(m);
        int n = model_nres(m), rows = r->h - 1, total = 0, nnotes = 0, row;
        res_columns c = res_columns_of(t, m, r->w);
        int namew = c.namew, typew = c.typew;
        bool notes = false;
        spans *l = xcalloc((size_t)n + 1, sizeof(*l));
        char **now = xcalloc((size_t)n + 1, sizeof(char *));
        bool *cycle = xcalloc((size_t)n + 1, sizeof(bool));

        cycle_marks(m, NULL, cycle);
        for (int k = 0; k < n; k++) {
                describe_res(m, k, &l[k], c.room);
                now[k] = xstrdup(strbuf_str(&l[k].text));
        }
        for (int k = 0; k < n; k++) {
                total += 1 + l[k].rows;
                nnotes += scn->resources[k].note != NULL;
        }
        /* the authors' notes, each a comment on a row of its own, where all of them fit */
        if (nnotes > 0 && total + nnotes <= rows) {
                notes = true;
                total += nnotes;
        }
        if (sc->scroll[PANE_RES] > total - rows)
                sc->scroll[PANE_RES] = total - rows;
        if (sc->scroll[PANE_RES] < 0)
                sc->scroll[PANE_RES] = 0;
        /* rows out of view are said, or a small terminal hides resources without a word */
        pane_title(sc, t, PANE_RES,
                   sc->scroll[PANE_RES] + rows < total ? " (more below)"
                   : sc->scroll[PANE_RES] > 0          ? " (more above)"
                                                       : "");
        row = -sc->scroll[PANE_RES];
        for (int k = 0; k < n; k++) {
                int h = 1 + l[k].rows, skip = row < 0 ? -row : 0, y = r->y + 1 + row + skip;
                int x = r->x + namew + 2;
                bool changed = before != NULL && strcmp(before[k], now[k]) != 0;

                /* the type too where there is room for it */
                if (typew > 0)
                        x += typew + 1;
                if (row + h > 0 && row < rows && skip == 0) {
                        /* changed since the previous moment: a star, not colour alone */
                        draw_str(t, stdscr, y, r->x, 1, term_attr(t, ROLE_CHANGED),
                                 changed ? "*" : " ");
                        draw_str(t, stdscr, y, r->x + 1, namew,
                                 term_attr(t, cycle[k]  ? ROLE_BANNER
                                              : changed ? ROLE_CHANGED
                                                        : ROLE_BOLD),
                                 model_res_at(m, k)->name);
                        if (typew > 0)
                                draw_str(t, stdscr, y, r->x + namew + 2, typew,
                                         term_attr(t, ROLE_DIM),
                                         scenario_res_type_name(model_res_at(m, k)->type));
                }
                if (row + h > 0 && row < rows)
                        spans_draw_rows(t, y, x, r->x + r->w - x, &l[k], r->x + 3 - x, skip,
                                        rows - row - skip);
                row += h;
                /* (every row fits when notes are shown: nothing is scrolled away) */
                if (notes && scn->resources[k].note != NULL) {
                        strbuf note = STRBUF_INIT;

                        strbuf_printf(&note, "# %s", scn->resources[k].note);
                        draw_str(t, stdscr, r->y + 1 + row, r->x + 3, r->w - 3,
                                 term_attr(t, ROLE_DIM), strbuf_str(&note));
                        strbuf_free(&note);
                        row++;
                }
                spans_free(&l[k]);
        }
        free_texts(now, n);
        free(cycle);
        free(l);
}

/* The rows printed line K takes in W columns: wrapped, at most MAX. */
static int out_line_rows(const term *t, const model *m, size_t k, int w, int max)
{
        model_line line;
        const model_line *ml = model_output_at(m, k, &line);
        int n = draw_wrap(t, ml->text, w, NULL, NULL);

        return n < 1 ? 1 : n > max ? max : n;
}

static void draw_output(screen *sc, const term *t, const model *m)
{
        const layout_rect *r = &sc->pane[PANE_OUTPUT];
        size_t n = model_output_count(m), last, first, top = 0;
        int rows = r->h - 1, used = 0, textw, barw = draw_width(t, t->bar, strlen(t->bar));
        strbuf extra = STRBUF_INIT;
        model_line line;
        /* the names in one column as wide as the longest of those shown, up to a third of the
         * pane (14 was the cap: worker_thread-1 and worker_thread-2 both came out as
         * worker_thread…, which is the whole point of the scenario that names them) */
        int tagw = 1, most = r->w / 3 > 14 ? r->w / 3 : 14;

        /* Scrolled back by whole lines (the newest at the bottom unless the reader scrolled
         * up), and no further than the oldest lines filling the pane from its top. */
        if (sc->scroll[PANE_OUTPUT] < 0 || n == 0)
                sc->scroll[PANE_OUTPUT] = 0;
        for (size_t k = n > (size_t)rows ? n - (size_t)rows : 0; k < n; k++) {
                const model_line *ml = model_output_at(m, k, &line);
                const model_actor *a = model_actor_at(m, ml->actor);
                const char *name = a != NULL ? a->name : "lockstep";
                int w = draw_width(t, name, strlen(name));

                tagw = w > tagw ? w : tagw;
        }
        tagw = tagw < most ? tagw : most;
        textw = r->w - tagw - barw - 1;
        /* a printed line longer than the pane wraps under its text (it was cut, and 06's
         * "Shared Value: N" was the cut part at 80 columns) */
        if (n > 0) {
                int fill = 0;

                while (top < n && (fill += out_line_rows(t, m, top, textw, rows)) < rows)
                        top++;
                if (top >= n)
                        top = n - 1;
                if ((size_t)sc->scroll[PANE_OUTPUT] > n - 1 - top)
                        sc->scroll[PANE_OUTPUT] = (int)(n - 1 - top);
        }
        last = n - (size_t)sc->scroll[PANE_OUTPUT]; /* one past the newest shown */
        first = last;
        while (first > 0) {
                int c = out_line_rows(t, m, first - 1, textw, rows);

                if (used + c > rows && used > 0)
                        break;
                used += c;
                first--;
        }
        if (model_output_dropped(m) > 0)
                strbuf_printf(&extra, " (%zu earlier lines dropped)", model_output_dropped(m));
        if (first > 0 || last < n)
                strbuf_puts(&extra, last < n ? " (more below)" : " (more above)");
        pane_title(sc, t, PANE_OUTPUT, strbuf_str(&extra));
        strbuf_free(&extra);
        for (size_t k = first, y = (size_t)r->y + 1; k < last; k++) {
                const model_line *ml = model_output_at(m, k, &line);
                const model_actor *a = model_actor_at(m, ml->actor);
                int x = r->x, c = out_line_rows(t, m, k, textw, rows);

                /* each actor's lines in its own colour (and its name: never colour alone) */
                put_name_cut(
                    t, (int)y, x, tagw,
                    term_attr(t, ml->actor >= 0
                                     ? (term_role)(ROLE_ACTOR + ml->actor % TERM_ACTOR_COLORS)
                                     : ROLE_BOLD),
                    a != NULL ? a->name : "lockstep");
                x += tagw;
                for (int row = 0; row < c; row++)
                        draw_str(t, stdscr, (int)y + row, x, 2, term_attr(t, ROLE_DIM), t->bar);
                x += barw + 1;
                draw_wrapped(t, stdscr, (int)y, x, textw, c, term_attr(t, ROLE_NORMAL), ml->text);
                y += (size_t)c;
        }
}

static const char *mode_word(const screen *sc)
{
        if (sc->replay != NULL)
                return sc->playing ? "replay, playing" : "replay";
        if (sc->past)
                return "rewound";
        if (sc->ended)
                return "finished";
        switch (sc->mode) {
        case MODE_RUNNING: return "running";
        case MODE_PAUSED: return "paused";
        case MODE_LIVE: return session_paused(sc->s) ? "live, paused" : "live";
        default: return "stepping";
        }
}

static void draw_header(screen *sc, const term *t, const model *m)
{
        history *h = hist(sc);
        const scenario *scn = model_scenario(m);
        spans l = { 0 };
        double sp = screen_speeds[sc->speed_i];

        draw_fill(stdscr, 0, 0, COLS, term_attr(t, ROLE_HEADER));
        spans_add(&l, ROLE_HEADER, " lockstep %s", t->bar);
        spans_add(&l, ROLE_PANE_FOCUS, " %s ", mode_word(sc));
        if (sc->ended && !sc->past) {
                event_outcome o = run_outcome(sc);

                /* an error raised is not a crash (the run's summary says so too) */
                spans_add(&l, o == OUTCOME_DONE ? ROLE_PANE_FOCUS : ROLE_BANNER, " %s ",
                          o == OUTCOME_CRASH && model_only_raised(m) ? "error"
                                                                     : event_outcome_word(o));
        }
        spans_add(&l, ROLE_HEADER, " %s step %llu", t->bar,
                  (unsigned long long)(sc->past ? history_steps(h, sc->shown) : run_steps(sc)));
        if (sc->past)
                spans_add(&l, ROLE_HEADER, " of %llu", (unsigned long long)run_steps(sc));
        /* how long a live run ran, as `lockstep run` says: the operating system's scheduling is
         * what it timed (speedup.json's point), where a stepped run's time is the keys' */
        else if (sc->ended && sc->replay == NULL && sc->mode == MODE_LIVE)
                spans_add(&l, ROLE_HEADER, " %s %.3f s", t->bar, session_seconds(sc->s));
        if (sp > 0)
                spans_add(&l, ROLE_HEADER, " %s speed %g/s", t->bar, sp);
        else
                spans_add(&l, ROLE_HEADER, " %s speed max", t->bar);
        spans_add(&l, ROLE_HEADER, " %s %s", t->bar, scn->title);
        spans_draw(t, 0, 0, COLS, &l);
        spans_free(&l);
}

typedef struct wrap_ctx {
        const term *t;
        int y, x, w, rows, used;
        term_role role;
} wrap_ctx;

static void wrap_line(const char *s, size_t n, void *ctx)
{
        wrap_ctx *c = ctx;

        if (c->used < c->rows)
                draw_text(c->t, stdscr, c->y + c->used, c->x, c->w, term_attr(c->t, c->role), s, n);
        c->used++;
}

/* The deadlock cycle of M into OUT as a chain, "DEADLOCK: P-0 → fork_1 → P-1 → ... → P-0": each
 * actor waits for the resource after it, which the actor after that holds (a join: the actor). */
static void cycle_chain(const term *t, const model *m, strbuf *out)
{
        model_edge e[SC_MAX_ACTORS + 1];
        int n = model_wait_edges(m, e, SC_MAX_ACTORS + 1), first = -1, a;
        const char *arrow = t->utf8 ? " → " : " -> ";

        for (int k = 0; k < n && first < 0; k++)
                if (e[k].cycle)
                        first = e[k].from;
        if (first < 0)
                return;
        strbuf_reset(out);
        strbuf_puts(out, "DEADLOCK: ");
        strbuf_puts(out, model_actor_at(m, first)->name);
        a = first;
        for (int hops = 0; hops <= n; hops++) {
                const model_edge *next = NULL;

                for (int k = 0; k < n && next == NULL; k++)
                        if (e[k].cycle && e[k].from == a)
                                next = &e[k];
                if (next == NULL)
                        break;
                if (next->res >= 0) {
                        strbuf_puts(out, arrow);
                        strbuf_puts(out, model_res_at(m, next->res)->name);
                }
                strbuf_puts(out, arrow);
                strbuf_puts(out, model_actor_at(m, next->to)->name);
                a = next->to;
                if (a == first)
                        break;
        }
}

/* The status rows above the key bar, in this order while there is room: the deadlock banner,
 * what the last key did (or the first error), the caption. */
static void draw_status(screen *sc, const term *t, const model *m)
{
        int left = 1 + layout_caption_rows(LINES), y = LINES - 1 - left;
        const model_info *mi = model_info_of(m);
        strbuf why = STRBUF_INIT, text = STRBUF_INIT;
        wrap_ctx c = { .t = t, .x = 0, .w = COLS };
        int kind;

        if ((kind = model_deadlock(m, &why)) != 0 ||
            (!sc->past && sc->ended && run_outcome(sc) == OUTCOME_DEADLOCK)) {
                if (why.len == 0)
                        strbuf_puts(&why, sc->replay != NULL ? "" : session_reason(sc->s));
                strbuf_printf(&text, "DEADLOCK: %s", strbuf_str(&why));
                c.y = y;
                c.rows = left - 1 > 0 ? left - 1 : 1; /* a row stays for the message */
                c.role = ROLE_BANNER;
                /* a cycle too long for its rows as a chain instead (five philosophers'
                 * sentences took five rows of 80 where there are two) */
                if (kind == 1 && draw_wrap(t, strbuf_str(&text), COLS, NULL, NULL) > c.rows) {
                        size_t len;

                        cycle_chain(t, m, &text);
                        len = text.len;
                        strbuf_puts(&text, t->utf8 ? " (→ waits for, → held by)"
                                                   : " (-> waits for, -> held by)");
                        if (draw_wrap(t, strbuf_str(&text), COLS, NULL, NULL) > c.rows)
                                text.data[text.len = len] = '\0'; /* the chain, no key */
                }
                for (int k = 0; k < c.rows; k++)
                        draw_fill(stdscr, y + k, 0, COLS, term_attr(t, ROLE_BANNER));
                c.used = draw_wrapped(t, stdscr, y, 0, COLS, c.rows, term_attr(t, ROLE_BANNER),
                                      strbuf_str(&text));
                c.used = c.used < c.rows ? c.used : c.rows;
                y += c.used;
                left -= c.used;
        }
        if (sc->msg.len > 0 && left > 0) {
                /* what a key did, whole where it takes two rows and three are left (a saved
                 * schedule's file name was cut off at 80 columns): the caption makes room */
                int rows = left >= 3 ? 2 : 1,
                    used = draw_wrapped(t, stdscr, y, 0, COLS, rows, term_attr(t, ROLE_MESSAGE),
                                        strbuf_str(&sc->msg));

                used = used < rows ? used : rows;
                y += used;
                left -= used;
        }
        /* an error or the run's end stays in sight under what a key did, where there is room
         * (a key pressed after a limit ended the run hid why it had ended) */
        if (left > 0 && (model_error_count(m) > 0 || model_assert_count(m) > 0)) {
                const model_error *e =
                    model_error_count(m) > 0 ? model_error_at(m, 0) : model_assert_at(m, 0);
                const model_actor *a = model_actor_at(m, e->actor);

                /* whose: a crash's text is only the signal */
                strbuf_reset(&text);
                if (a != NULL)
                        strbuf_printf(&text, "%s%s: ", a->name,
                                      e->kind == EV_CRASH ? " crashed" : "");
                put_error_text(sc, e->text, &text);
                draw_str(t, stdscr, y++, 0, COLS, term_attr(t, ROLE_ERROR), strbuf_str(&text));
                left--;
        } else if (left > 0 && mi->ended && mi->reason != NULL && mi->reason[0] != '\0' &&
                   mi->outcome != OUTCOME_DONE && mi->outcome != OUTCOME_DEADLOCK) {
                /* nobody's error: the run's end says why ("the runner was killed by SIGKILL") */
                strbuf_reset(&text);
                strbuf_printf(&text, "The run ended: %s", mi->reason);
                draw_str(t, stdscr, y++, 0, COLS, term_attr(t, ROLE_ERROR), strbuf_str(&text));
                left--;
        }
        if (left > 0 && mi->caption != NULL) {
                const model_actor *by = model_actor_at(m, mi->caption_actor);

                /* whose: after other actors' steps it is still the last thing said, and says
                 * who said it */
                strbuf_reset(&text);
                if (by != NULL)
                        strbuf_printf(&text, "%s: ", by->name);
                strbuf_printf(&text, "\"%s\"", mi->caption);
                draw_wrapped(t, stdscr, y, 0, COLS, left, term_attr(t, ROLE_CAPTION),
                             strbuf_str(&text));
        }
        strbuf_free(&why);
        strbuf_free(&text);
}

/* The keys of SC's screen: a replay's, or a run's. */
static const key_help *keys_of(const screen *sc, int *n)
{
        *n = sc->replay != NULL ? NREPLAY_KEYS : NKEYS;
        return sc->replay != NULL ? replay_key_table : key_table;
}

/* Whether entry K of KEYS (of NK) is on the bar: a spare one only when the whole bar fits. */
static bool on_bar(const key_help *keys, int nk, int k)
{
        int need = -1; /* no space after the last */

        if (keys[k].bar == NULL)
                return false;
        if (!keys[k].spare)
                return true;
        for (int j = 0; j < nk; j++)
                if (keys[j].bar != NULL)
                        need += (int)(strlen(keys[j].bar_key) + strlen(keys[j].bar)) + 1;
        return need <= COLS;
}

static void draw_keybar(const screen *sc, const term *t)
{
        int x = 0, y = LINES - 1, nk;
        const key_help *keys = keys_of(sc, &nk);

        draw_fill(stdscr, y, 0, COLS, term_attr(t, ROLE_KEY_LABEL));
        for (int k = 0; k < nk && x < COLS; k++) {
                if (!on_bar(keys, nk, k))
                        continue;
                x += draw_str(t, stdscr, y, x, COLS - x, term_attr(t, ROLE_KEY), keys[k].bar_key);
                x += draw_str(t, stdscr, y, x, COLS - x, term_attr(t, ROLE_KEY_LABEL), keys[k].bar);
                x += draw_str(t, stdscr, y, x, COLS - x, term_attr(t, ROLE_KEY_LABEL), " ");
        }
}

/* The key a click at column X of the key bar stands for (as htop's bar), or 0: an entry's key
 * ("Spc", "Tab", "r"), of two ("+-", "[]") the one clicked, the first for its label; "1-9"
 * names no one key. The bar's labels are ASCII: a byte a column. */
int panes_key_at(const screen *sc, int x)
{
        int x0 = 0, nk;
        const key_help *keys = keys_of(sc, &nk);

        for (int k = 0; k < nk; k++) {
                const char *bk = keys[k].bar_key;
                int n;

                if (!on_bar(keys, nk, k))
                        continue;
                n = (int)(strlen(bk) + strlen(keys[k].bar));
                if (x >= x0 && x < x0 + n) {
                        int at = x - x0 < (int)strlen(bk) ? x - x0 : 0;

                        return strcmp(bk, "Spc") == 0   ? ' '
                               : strcmp(bk, "Tab") == 0 ? '\t'
                               : strlen(bk) <= 2        ? (unsigned char)bk[at < 2 ? at : 0]
                                                        : 0;
                }
                x0 += n + 1;
        }
        return 0;
}

/* What the mouse does, under the keys in the help box: two rows, the second by mode (a replay
 * has no step to make). */
static const char mouse_help[] = "wheel: scroll the pane under it; click: focus a pane,";
static const char mouse_clicks[] = "step an actor, go to a Timeline step, press a bar key";
static const char replay_mouse_clicks[] = "go to a Timeline step, press a bar key";
#define NMOUSE      2
#define LEGEND_ROWS 2 /* the state glyphs' words: two rows at 80 columns */

/* The state glyphs with their words from row Y, under the keys in the help box. */
static void draw_legend(const term *t, int y, int x, int w)
{
        int used = 0;
        spans l = { 0 };

        /* on a second row what does not fit the first (at 80 columns "crashed" was cut) */
        for (int s = 0; s < MODEL_STATE_COUNT; s++) {
                /* an actor an error ended shows "error" with the glyph of a crash; a waiter
                 * whose wait is over shows "ready" (draw_actors) */
                const char *word = s == MODEL_CRASHED ? "crashed or error"
                                   : s == MODEL_READY ? "ready, or its wait over"
                                                      : model_state_word((model_state)s);
                int need =
                    draw_width(t, t->glyph[s], strlen(t->glyph[s])) + 1 + (int)strlen(word) + 2;

                if (used > 0 && used + need > w) {
                        spans_draw(t, y++, x, w, &l);
                        spans_free(&l);
                        l = (spans){ 0 };
                        used = 0;
                }
                spans_add(&l, (term_role)(ROLE_STATE + s), "%s %s  ", t->glyph[s], word);
                used += need;
        }
        spans_draw(t, y, x, w, &l);
        spans_free(&l);
}

/*
 * The help box: the keys, what the mouse does, the state glyphs. It keeps the key bar in sight;
 * with the rows for them, blank rows between its parts (at 160x48), else none (at 80x24 the
 * mouse's rows fit only so), and on fewer rows than the smallest screen the mouse's go first.
 */
static void draw_help(const screen *sc, const term *t)
{
        int nk;
        const key_help *keys = keys_of(sc, &nk);
        const char *mouse[NMOUSE][2] = {
                { "Mouse", mouse_help },
                { "", sc->replay != NULL ? replay_mouse_clicks : mouse_clicks },
        };
        int w = COLS - 4 < 90 ? COLS - 4 : 90, x0 = (COLS - w) / 2, kw = 18, rows = LINES - 1;
        int nm = NMOUSE, gap = 1, h, y0, y;

        if (nk + nm + LEGEND_ROWS + 2 + 3 * gap > rows)
                gap = 0;
        if (nk + nm + LEGEND_ROWS + 2 > rows)
                nm = 0;
        h = nk + nm + LEGEND_ROWS + 2 + (nm > 0 ? 3 : 2) * gap;
        if (h > LINES)
                h = LINES;
        y0 = (rows - h) / 2 > 0 ? (rows - h) / 2 : 0;
        for (y = 0; y < h; y++)
                draw_fill(stdscr, y0 + y, x0, w, term_attr(t, ROLE_NORMAL));
        draw_box(t, stdscr, y0, x0, h, w, term_attr(t, ROLE_PANE));
        draw_str(t, stdscr, y0, x0 + 2, w - 4, term_attr(t, ROLE_PANE_FOCUS), " lockstep keys ");
        y = y0 + 1 + gap;
        for (int k = 0; k < nk && y < y0 + h - 1; k++, y++) {
                draw_str(t, stdscr, y, x0 + 2, kw, term_attr(t, ROLE_BOLD), keys[k].keys);
                draw_str(t, stdscr, y, x0 + 2 + kw, w - 4 - kw, term_attr(t, ROLE_NORMAL),
                         keys[k].help);
        }
        if (nm > 0)
                y += gap;
        for (int k = 0; k < nm && y < y0 + h - 1; k++, y++) {
                draw_str(t, stdscr, y, x0 + 2, kw, term_attr(t, ROLE_BOLD), mouse[k][0]);
                draw_str(t, stdscr, y, x0 + 2 + kw, w - 4 - kw, term_attr(t, ROLE_NORMAL),
                         mouse[k][1]);
        }
        y += gap;
        if (y + LEGEND_ROWS <= y0 + h - 1)
                draw_legend(t, y, x0 + 2, w - 4);
}

static void draw_too_small(const term *t)
{
        strbuf sb = STRBUF_INIT;

        /* short lines, each whole down to 24 columns: the terminal is small */
        strbuf_printf(&sb, "lockstep needs %dx%d;", LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
        draw_str(t, stdscr, LINES / 2 - 1, 0, COLS, term_attr(t, ROLE_BOLD), strbuf_str(&sb));
        strbuf_reset(&sb);
        strbuf_printf(&sb, "this terminal is %dx%d.", COLS, LINES);
        draw_str(t, stdscr, LINES / 2, 0, COLS, term_attr(t, ROLE_BOLD), strbuf_str(&sb));
        draw_str(t, stdscr, LINES / 2 + 1, 0, COLS, term_attr(t, ROLE_NORMAL),
                 "Make it bigger, or q quits.");
        strbuf_free(&sb);
}

/* ---- the timeline: a lane per actor across the last steps up to the moment shown ---------- */

/* The lanes' names: as wide as the longest, up to 16 columns. */
static int lane_name_width(const term *t, const model *m)
{
        int w = 4;

        for (int a = 0; a < model_nactors(m); a++) {
                const char *name = model_actor_at(m, a)->name;
                int n = draw_width(t, name, strlen(name));

                w = n > w ? n : w;
        }
        return w > 16 ? 16 : w;
}

static void draw_timeline(screen *sc, const term *t, const model *m, const moments_lanes *l)
{
        const layout_rect *r = &sc->pane[PANE_TIMELINE];
        int namew = lane_name_width(t, m), x0 = r->x + namew + 1, n = model_nactors(m),
            rows = r->h - 1, first;
        strbuf title = STRBUF_INIT;

        /* more lanes than rows (zoomed, a scenario of many actors): they scroll */
        first = sc->scroll[PANE_TIMELINE] < n - rows ? sc->scroll[PANE_TIMELINE] : n - rows;
        first = first > 0 ? first : 0;
        sc->scroll[PANE_TIMELINE] = first;
        if (first > 0 || first + rows < n)
                strbuf_puts(&title, first > 0 && first + rows < n ? " (more above, below)"
                                    : first > 0                   ? " (more above)"
                                                                  : " (more below)");
        if (l->ncols > 0) {
                char legend[32];

                strbuf_printf(&title, " - steps %llu to %llu", (unsigned long long)l->first,
                              (unsigned long long)(l->first + (uint64_t)l->ncols - 1));
                /* what a lane's marker means, where the title has room for it (not at 80x24) */
                snprintf(legend, sizeof(legend), ", %s who moved", t->glyph[MODEL_RUNNING]);
                if (title_fits(sc, t, PANE_TIMELINE, strbuf_str(&title), legend))
                        strbuf_puts(&title, legend);
        }
        pane_title(sc, t, PANE_TIMELINE, strbuf_str(&title));
        strbuf_free(&title);
        sc->lane_x0 = x0;
        sc->lane_n = 0;
        for (int c = 0; c < l->ncols && x0 + c < r->x + r->w; c++)
                sc->lane_end[sc->lane_n++] = l->end[c];
        for (int a = first; a < n && a - first < rows; a++) {
                int y = r->y + 1 + a - first;

                draw_str(t, stdscr, y, r->x, namew, term_attr(t, ROLE_BOLD),
                         model_actor_at(m, a)->name);
                for (int c = 0; c < l->ncols && x0 + c < r->x + r->w; c++) {
                        model_state st = (model_state)l->state[c][a];
                        bool moved = l->mover[c] == a;
                        const char *g;

                        /* who moved at that step stands out, alone: the others show their state,
                         * and one running (live, every actor not waiting is) is one that can go
                         * on, as a ready one */
                        if (!moved && st == MODEL_RUNNING)
                                st = MODEL_READY;
                        g = moved                                 ? t->glyph[MODEL_RUNNING]
                            : st == MODEL_NEW || st == MODEL_DONE ? " "
                            : st == MODEL_READY                   ? t->glyph[MODEL_NEW]
                                                                  : t->glyph[st];
                        attr_t at = term_attr(t, moved ? (term_role)(ROLE_STATE + MODEL_RUNNING)
                                                       : (term_role)(ROLE_STATE + st));

                        if (c == l->ncols - 1)
                                at |= A_REVERSE; /* the cursor: the moment shown */
                        draw_str(t, stdscr, y, x0 + c, 1, at, g);
                }
        }
}

/* The file's errors over the lower panes while it does not load: the run on view is the old one. */
static void draw_errors(screen *sc, const term *t)
{
        const char *p = strbuf_str(&sc->errors);
        int lines = 0, h, y0, bottom = LINES - 2 - layout_caption_rows(LINES);

        for (const char *q = p; *q != '\0'; q++)
                lines += *q == '\n';
        h = lines + 2 < 10 ? lines + 2 : 10;
        y0 = bottom - h;
        for (int y = 0; y < h; y++)
                draw_fill(stdscr, y0 + y, 0, COLS, term_attr(t, ROLE_NORMAL));
        draw_box(t, stdscr, y0, 0, h, COLS, term_attr(t, ROLE_ERROR));
        draw_str(t, stdscr, y0, 2, COLS - 4, term_attr(t, ROLE_BANNER),
                 " The file no longer loads; the run shown is the last one that did: ");
        for (int row = 1; row < h - 1 && *p != '\0'; row++) {
                const char *nl = strchr(p, '\n');
                size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

                draw_text(t, stdscr, y0 + row, 2, COLS - 4, term_attr(t, ROLE_ERROR), p, n);
                p += n + (nl != NULL);
        }
}

static const model *shown_model(screen *sc)
{
        history *h = hist(sc);
        const model *m = sc->past ? history_at(h, sc->shown) : NULL;

        return m != NULL ? m : history_live(h);
}

/* No run yet: the file given on the command line does not load. Its errors, until it does. */
static void draw_waiting(screen *sc, const term *t)
{
        spans l = { 0 };
        wrap_ctx c;

        draw_fill(stdscr, 0, 0, COLS, term_attr(t, ROLE_HEADER));
        spans_add(&l, ROLE_HEADER, " lockstep %s", t->bar);
        spans_add(&l, ROLE_BANNER, " errors ");
        spans_add(&l, ROLE_HEADER, " %s ", t->bar);
        utf8_escape_str(&l.text, sc->path); /* a name from the command line: escaped */
        spans_draw(t, 0, 0, COLS, &l);
        spans_free(&l);
        /* the whole screen is theirs: every error wrapped, not cut */
        c = (wrap_ctx){
                .t = t, .y = 3, .x = 2, .w = COLS - 4, .rows = LINES - 6, .role = ROLE_ERROR
        };
        draw_str(t, stdscr, 2, 0, COLS, term_attr(t, ROLE_BANNER),
                 " The file does not load: fix it and save it, lockstep loads it again. ");
        for (const char *p = strbuf_str(&sc->errors); *p != '\0';) {
                const char *nl = strchr(p, '\n');
                size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
                char *line = xstrndup(p, n);

                draw_wrap(t, line, c.w, wrap_line, &c);
                free(line);
                p += n + (nl != NULL);
        }
        if (c.used > c.rows)
                draw_str(t, stdscr, LINES - 3, 2, COLS - 4, term_attr(t, ROLE_DIM),
                         "(more: lockstep check FILE lists them all)");
        draw_str(t, stdscr, LINES - 2, 0, COLS, term_attr(t, ROLE_NORMAL),
                 " Waiting for the file to change on disk.");
        draw_str(t, stdscr, LINES - 1, 0, COLS, term_attr(t, ROLE_KEY), " q Quit");
}

void panes_draw(screen *sc, const term *t)
{
        const model *m;
        moments_lanes *l = NULL;
        char **before = NULL;

        werase(stdscr);
        if (sc->waiting) {
                if (COLS >= LAYOUT_MIN_COLS && LINES >= LAYOUT_MIN_ROWS)
                        draw_waiting(sc, t);
                else
                        draw_too_small(t);
                wnoutrefresh(stdscr);
                doupdate();
                return;
        }
        m = shown_model(sc);
        sc->fits = layout_compute(COLS, LINES, model_nactors(m), sc->pane);
        if (sc->fits && sc->zoomed)
                layout_zoom(COLS, LINES, sc->focus, sc->pane);
        sc->lane_n = 0;
        if (sc->fits && sc->pane[PANE_TIMELINE].h > 0) {
                history *h = hist(sc);

                l = xcalloc(1, sizeof(*l));
                moments_lanes_at(h, sc->past ? sc->shown : history_len(h),
                                 sc->past ? history_steps(h, sc->shown) : run_steps(sc),
                                 sc->pane[PANE_TIMELINE].w - lane_name_width(t, m) - 1, l);
                m = shown_model(sc); /* history_at moved on */
        }
        /* The marks are what the last step shown changed: the resources at the moment before
         * it, now as when rewound (not the moment drawn before, which a run at speed, or a
         * rewind and back, leaves several steps behind). */
        if (sc->fits && sc->pane[PANE_RES].h > 0) {
                history *h = hist(sc);
                uint64_t at = sc->past ? sc->shown : history_len(h);

                before = res_texts_at(t, h, moments_before(h, at), sc->pane[PANE_RES].w);
                m = shown_model(sc);
        }
        if (!sc->fits) {
                draw_too_small(t);
        } else {
                if (sc->sel >= model_nactors(m))
                        sc->sel = model_nactors(m) - 1;
                draw_header(sc, t, m);
                /* (zoomed, one pane is shown) */
                if (sc->pane[PANE_ACTORS].h > 0)
                        draw_actors(sc, t, m);
                if (sc->pane[PANE_CODE].h > 0)
                        draw_code(sc, t, m);
                if (sc->pane[PANE_RES].h > 0)
                        draw_resources(sc, t, m, before);
                if (sc->pane[PANE_OUTPUT].h > 0)
                        draw_output(sc, t, m);
                if (l != NULL)
                        draw_timeline(sc, t, m, l);
                /* the column between the left and the right panes */
                if (!sc->zoomed)
                        draw_vline(t, stdscr, sc->pane[PANE_RES].y, sc->pane[PANE_RES].x - 1,
                                   sc->pane[PANE_OUTPUT].y + sc->pane[PANE_OUTPUT].h -
                                       sc->pane[PANE_RES].y,
                                   term_attr(t, ROLE_DIM));
                draw_status(sc, t, m);
                draw_keybar(sc, t);
                if (sc->errors.len > 0)
                        draw_errors(sc, t);
                if (sc->help)
                        draw_help(sc, t);
        }
        free(l);
        if (before != NULL)
                free_texts(before, model_nres(m));
        wnoutrefresh(stdscr);
        doupdate();
}
