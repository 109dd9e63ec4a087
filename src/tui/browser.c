/*
 * browser.c — the list of bundled scenarios (see browser.h).
 */
#include "tui/browser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scenario/bundle.h"
#include "scenario/diag.h"
#include "scenario/scenario.h"
#include "tui/draw.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define MIN_COLS   80
#define MIN_ROWS   24
#define MAX_FILTER 64

/* The groups, in the order shown: the folder under scenarios/ and its heading. */
typedef struct group {
        const char *dir, *heading;
} group;

static const group groups[] = {
        { "seed/", "The seed: the tutorial, in order" },
        { "classics/", "Classics" },
        { "", "More" },
};
#define NGROUPS ((int)(sizeof(groups) / sizeof(*groups)))

struct browser {
        bundle bundle;
        char *datadir;
        char filter[MAX_FILTER + 1];
        int *shown; /* entries that pass the filter, in the order drawn */
        int nshown;
        int sel;    /* into shown */
        int scroll; /* first row of the list */
        strbuf msg;
        int preview_of; /* the entry loaded below, or -1 */
        scenario *preview;
        strbuf preview_err;
        int preview_scroll; /* its first row shown (Shift-Down, Shift-Up, the wheel over it) */
};

static int group_of(const bundle_entry *e)
{
        for (int g = 0; g < NGROUPS - 1; g++)
                if (strncmp(e->rel, groups[g].dir, strlen(groups[g].dir)) == 0)
                        return g;
        return NGROUPS - 1;
}

static bool has_word(const bundle_entry *e, const char *w)
{
        return strcasestr(e->rel, w) != NULL ||
               (e->title != NULL && strcasestr(e->title, w) != NULL) ||
               (e->summary != NULL && strcasestr(e->summary, w) != NULL) ||
               (e->tags != NULL && strcasestr(e->tags, w) != NULL);
}

/* Each word of the filter F somewhere in the entry ("pool map" finds Pool.map, as a filter box
 * does; the words as one string found nothing). */
static bool matches(const bundle_entry *e, const char *f)
{
        char word[MAX_FILTER + 1];

        for (;;) {
                size_t n;

                f += strspn(f, " ");
                if (*f == '\0')
                        return true;
                n = strcspn(f, " ");
                memcpy(word, f, n);
                word[n] = '\0';
                if (!has_word(e, word))
                        return false;
                f += n;
        }
}

static void refilter(browser *b)
{
        b->nshown = 0;
        for (int g = 0; g < NGROUPS; g++)
                for (size_t k = 0; k < b->bundle.n; k++)
                        if (group_of(&b->bundle.entries[k]) == g &&
                            matches(&b->bundle.entries[k], b->filter))
                                b->shown[b->nshown++] = (int)k;
        if (b->sel >= b->nshown)
                b->sel = b->nshown > 0 ? b->nshown - 1 : 0;
}

browser *browser_open(strbuf *err)
{
        browser *b = xcalloc(1, sizeof(*b));
        char msg[512];

        b->datadir = bundle_data_dir();
        if (b->datadir == NULL) {
                strbuf_puts(err, "lockstep: cannot find the bundled scenarios; set "
                                 "LOCKSTEP_DATA_DIR to the folder that holds scenarios/\n");
                free(b);
                return NULL;
        }
        if (bundle_open(&b->bundle, b->datadir, msg, sizeof(msg)) < 0) {
                strbuf_printf(err, "lockstep: %s\n", msg);
                free(b->datadir);
                free(b);
                return NULL;
        }
        b->shown = xcalloc(b->bundle.n + 1, sizeof(int));
        b->preview_of = -1;
        refilter(b);
        return b;
}

void browser_close(browser *b)
{
        if (b == NULL)
                return;
        bundle_close(&b->bundle);
        scenario_free(b->preview);
        strbuf_free(&b->preview_err);
        strbuf_free(&b->msg);
        free(b->shown);
        free(b->datadir);
        free(b);
}

void browser_set_message(browser *b, const char *msg)
{
        const char *nl = strchr(msg, '\n');

        /* the first line: a file's first error says where to look */
        strbuf_reset(&b->msg);
        strbuf_append(&b->msg, msg, nl != NULL ? (size_t)(nl - msg) : strlen(msg));
}

int browser_key(browser *b, int key, const char **open)
{
        size_t fl = strlen(b->filter);

        /* too small a terminal shows only how to go on: no key acts unseen but quitting */
        if (COLS < MIN_COLS || LINES < MIN_ROWS)
                return key == 'q' || key == 'Q' || key == KEY_F(10) ? BROWSER_QUIT : 0;
        strbuf_reset(&b->msg);
        switch (key) {
        case KEY_F(10): return BROWSER_QUIT;
        case KEY_UP: b->sel = b->sel > 0 ? b->sel - 1 : 0; break;
        case KEY_DOWN: b->sel = b->sel + 1 < b->nshown ? b->sel + 1 : b->sel; break;
        case KEY_PPAGE: b->sel = b->sel > 10 ? b->sel - 10 : 0; break;
        case KEY_NPAGE: b->sel = b->sel + 10 < b->nshown ? b->sel + 10 : b->nshown - 1; break;
        case KEY_HOME: b->sel = 0; break;
        case KEY_SF: b->preview_scroll++; break; /* Shift-Down */
        case KEY_SR: b->preview_scroll -= b->preview_scroll > 0; break;
        case KEY_END: b->sel = b->nshown - 1; break;
        case KEY_ENTER:
        case '\r':
        case '\n':
                if (b->nshown > 0)
                        *open = b->bundle.entries[b->shown[b->sel]].path;
                break;
        case 27:       /* Esc */
        case 'U' & 31: /* Ctrl-U, as a shell's line */
                b->filter[0] = '\0';
                refilter(b);
                break;
        case 'W' & 31: /* Ctrl-W: the last word, and the spaces after it */
                while (fl > 0 && b->filter[fl - 1] == ' ')
                        fl--;
                while (fl > 0 && b->filter[fl - 1] != ' ')
                        fl--;
                b->filter[fl] = '\0';
                refilter(b);
                break;
        case KEY_BACKSPACE:
        case 127:
        case 8:
                if (fl > 0)
                        b->filter[fl - 1] = '\0';
                refilter(b);
                break;
        default:
                /* q quits while nothing is typed; afterwards it is a letter like any other
                 * (Q is always one: "Queue") */
                if (key == 'q' && fl == 0)
                        return BROWSER_QUIT;
                if (key >= 0x20 && key < 0x7f && fl < MAX_FILTER) {
                        b->filter[fl] = (char)key;
                        b->filter[fl + 1] = '\0';
                        b->sel = 0;
                        refilter(b);
                        break;
                }
                return 0;
        }
        if (b->sel < 0)
                b->sel = 0;
        return BROWSER_REDRAW;
}

/* Loads the selected scenario for its preview (once per selection). */
static void load_preview(browser *b)
{
        int e = b->nshown > 0 ? b->shown[b->sel] : -1;
        diag d;

        if (e == b->preview_of)
                return;
        scenario_free(b->preview);
        b->preview = NULL;
        strbuf_reset(&b->preview_err);
        b->preview_of = e;
        b->preview_scroll = 0;
        if (e < 0)
                return;
        diag_init(&d, 3);
        b->preview = scenario_load(b->bundle.entries[e].path, NULL, &d);
        if (b->preview == NULL) {
                /* the first error itself, where it is, and where to see them all */
                const char *msg = d.n > 0 ? d.items[0].msg : "it cannot be read";
                size_t len = strlen(msg);

                strbuf_puts(&b->preview_err, "This file does not load: ");
                if (d.n > 0 && d.items[0].line > 0)
                        strbuf_printf(&b->preview_err, "line %d, column %d: ", d.items[0].line,
                                      d.items[0].col);
                strbuf_printf(&b->preview_err, "%s%s lockstep check %s shows %s.", msg,
                              len > 0 && msg[len - 1] == '.' ? "" : ".", b->bundle.entries[e].path,
                              diag_count(&d) > 1 ? "every error" : "it");
        }
        diag_free(&d);
}

/* A labelled field of the preview, wrapped beside its label (no label: the whole width). */
static int preview_field(const term *t, WINDOW *win, int y, int x, int w, int bottom,
                         const char *label, const char *text, term_role role)
{
        int lw = label[0] != '\0' ? 10 : 0;

        if (y >= bottom)
                return y;
        draw_str(t, win, y, x, lw, term_attr(t, ROLE_DIM), label);
        return y + draw_wrapped(t, win, y, x + lw, w - lw, bottom - y, term_attr(t, role), text);
}

#define PREVIEW_CONSTANTS   8  /* constants the preview lists at most */
#define PREVIEW_VALUE_BYTES 40 /* ... each value cut beyond this */

/* The preview's fields from row Y, column X of window WIN, W wide, down to row BOTTOM; the row
 * after the last one drawn. */
static int preview_fields(browser *b, const term *t, WINDOW *win, int y, int x, int w, int bottom)
{
        const scenario *sc = b->preview;
        strbuf sb = STRBUF_INIT;

        if (sc == NULL)
                return y + draw_wrapped(t, win, y, x, w, bottom - y, term_attr(t, ROLE_ERROR),
                                        strbuf_str(&b->preview_err));
        y += draw_wrapped(t, win, y, x, w, bottom - y, term_attr(t, ROLE_BOLD), sc->title) + 1;
        y = preview_field(t, win, y, x, w, bottom, "file", b->bundle.entries[b->preview_of].rel,
                          ROLE_NORMAL);
        y = preview_field(t, win, y, x, w, bottom, "summary", sc->summary, ROLE_NORMAL);
        if (sc->mirrors != NULL)
                y = preview_field(t, win, y, x, w, bottom, "mirrors", sc->mirrors, ROLE_NORMAL);
        /* what --set can change, as Python writes the values (a long one cut, a few shown) */
        if (sc->nconstants > 0) {
                for (int k = 0; k < sc->nconstants && k < PREVIEW_CONSTANTS; k++) {
                        size_t start;

                        strbuf_printf(&sb, "%s%s=", k > 0 ? ", " : "", sc->constants[k].name);
                        start = sb.len;
                        if (!value_repr_max(sc->constants[k].v, &sb, PREVIEW_VALUE_BYTES) ||
                            sb.len - start > PREVIEW_VALUE_BYTES) {
                                sb.len = start + utf8_cut(sb.data + start, PREVIEW_VALUE_BYTES - 3);
                                sb.data[sb.len] = '\0';
                                strbuf_puts(&sb, "...");
                        }
                }
                if (sc->nconstants > PREVIEW_CONSTANTS)
                        strbuf_printf(&sb, " and %d more", sc->nconstants - PREVIEW_CONSTANTS);
                y = preview_field(t, win, y, x, w, bottom, "constants", strbuf_str(&sb),
                                  ROLE_NORMAL);
        }
        strbuf_reset(&sb);
        for (int k = 0; k < sc->ntags; k++)
                strbuf_printf(&sb, "%s%s", k > 0 ? ", " : "", sc->tags[k]);
        y = preview_field(t, win, y, x, w, bottom, "tags", strbuf_str(&sb), ROLE_NORMAL);
        strbuf_reset(&sb);
        /* a group as one entry: its name and how many */
        for (int g = 0; g < sc->ngroups; g++) {
                const sc_group *gr = &sc->groups[g];
                bool proc = gr->nmembers > 0 && sc->actors[gr->members[0]].kind == SC_PROCESS;

                if (gr->nmembers == 1)
                        strbuf_printf(&sb, "%s (%s), ", sc->actors[gr->members[0]].name,
                                      proc ? "process" : "thread");
                else
                        strbuf_printf(&sb, "%s (%d %s), ", gr->name, gr->nmembers,
                                      proc ? "processes" : "threads");
        }
        strbuf_puts(&sb, SC_MAIN_NAME);
        y = preview_field(t, win, y, x, w, bottom, "actors", strbuf_str(&sb), ROLE_NORMAL);
        strbuf_reset(&sb);
        for (int k = 0; k < sc->nresources; k++)
                strbuf_printf(&sb, "%s%s (%s)", k > 0 ? ", " : "", sc->resources[k].name,
                              scenario_res_type_name(sc->resources[k].type));
        if (sc->nresources == 0)
                strbuf_puts(&sb, "none");
        y = preview_field(t, win, y, x, w, bottom, "resources", strbuf_str(&sb), ROLE_NORMAL);
        if (sc->description != NULL)
                y = preview_field(t, win, y + 1, x, w, bottom, "", sc->description, ROLE_NORMAL);
        strbuf_free(&sb);
        return y;
}

#define PREVIEW_ROWS 400 /* the rows of the preview drawn at most, to scroll through */

/*
 * The preview in rows Y to BOTTOM (less one) from column X, W wide: drawn whole into a pad, then
 * the rows from its scroll on copied in. A preview longer than its rows (a description at
 * 80x24) ends them with … and scrolls.
 */
static void draw_preview(browser *b, const term *t, int y, int x, int w, int bottom)
{
        int rows = bottom - y, used, shown;
        WINDOW *pad;

        load_preview(b);
        if (b->preview_of < 0 || rows <= 0 || w <= 0)
                return;
        pad = newpad(PREVIEW_ROWS, w);
        if (pad == NULL) { /* no memory for it: the rows that fit, as they come */
                preview_fields(b, t, stdscr, y, x, w, bottom);
                return;
        }
        used = preview_fields(b, t, pad, 0, 0, w, PREVIEW_ROWS);
        if (b->preview_scroll > used - rows)
                b->preview_scroll = used - rows;
        if (b->preview_scroll < 0)
                b->preview_scroll = 0;
        shown = used - b->preview_scroll < rows ? used - b->preview_scroll : rows;
        if (shown > 0)
                copywin(pad, stdscr, b->preview_scroll, 0, y, x, y + shown - 1, x + w - 1, FALSE);
        delwin(pad);
        /* more below: the last row says so */
        if (b->preview_scroll + rows < used)
                draw_str(t, stdscr, y + rows - 1, x + w - 1, 1, term_attr(t, ROLE_DIM),
                         t->ellipsis);
}

/* The key bar, and the key a click on an entry stands for (0: none, as "type"). Once something
 * is typed, q is a letter: F10 quits. ASCII: a byte a column. */
static const struct {
        const char *key, *label;
        int code;
} bar[] = {
        { "Up/Down", "Choose", 0 }, { "Enter", "Open", '\r' }, { "type", "Filter", 0 },
        { "Esc", "Clear", 27 },     { "q", "Quit", 'q' },      { "F10", "Quit", KEY_F(10) },
};
#define NBAR ((int)(sizeof(bar) / sizeof(*bar)))

/* The entry the bar leaves out: q's while something is typed, else F10's. */
static int bar_skipped(const browser *b)
{
        return b->filter[0] != '\0' ? 4 : 5;
}

/* The list's width at this terminal's. */
static int list_width(void)
{
        return COLS * 2 / 5 < 44 ? 44 : COLS * 2 / 5;
}

int browser_wheel(browser *b, int y, int x, int dir)
{
        if (COLS < MIN_COLS || LINES < MIN_ROWS || y < 1 || y > LINES - 3)
                return 0;
        if (x > list_width()) { /* over the preview: it scrolls (draw_preview clamps) */
                b->preview_scroll += 3 * dir;
                if (b->preview_scroll < 0)
                        b->preview_scroll = 0;
        } else { /* over the list: the selection moves */
                b->sel += dir;
                b->sel = b->sel < 0 ? 0 : b->sel >= b->nshown ? b->nshown - 1 : b->sel;
                b->sel = b->sel < 0 ? 0 : b->sel;
        }
        return BROWSER_REDRAW;
}

int browser_click(browser *b, int y, int x, const char **open)
{
        int row = 0, last_group = -1;

        if (COLS >= MIN_COLS && LINES >= MIN_ROWS && y == LINES - 1) {
                /* the key bar: its keys */
                for (int k = 0, x0 = 0; k < NBAR; k++) {
                        int n = (int)(strlen(bar[k].key) + strlen(bar[k].label));

                        if (k == bar_skipped(b))
                                continue;
                        if (x >= x0 && x < x0 + n)
                                return bar[k].code != 0 ? browser_key(b, bar[k].code, open) : 0;
                        x0 += n + 1;
                }
                return 0;
        }
        if (COLS < MIN_COLS || LINES < MIN_ROWS || x >= list_width() || y < 1 || y > LINES - 3)
                return 0;
        strbuf_reset(&b->msg);
        /* the rows as browser_draw lays them out: a heading before each group's first entry */
        for (int k = 0; k < b->nshown; k++) {
                int g = group_of(&b->bundle.entries[b->shown[k]]);

                if (g != last_group)
                        row++, last_group = g;
                if (1 + row - b->scroll == y) {
                        if (k == b->sel)
                                *open = b->bundle.entries[b->shown[k]].path;
                        b->sel = k;
                        return BROWSER_REDRAW;
                }
                row++;
        }
        return 0;
}

void browser_draw(browser *b, const term *t)
{
        int lw, rows, y, row = 0, sel_row = 0, last_group = -1;
        strbuf sb = STRBUF_INIT;

        werase(stdscr);
        if (COLS < MIN_COLS || LINES < MIN_ROWS) {
                strbuf_printf(&sb, "lockstep needs at least %dx%d; this terminal is %dx%d.",
                              MIN_COLS, MIN_ROWS, COLS, LINES);
                draw_str(t, stdscr, LINES / 2 - 1, 0, COLS, term_attr(t, ROLE_BOLD),
                         strbuf_str(&sb));
                draw_str(t, stdscr, LINES / 2, 0, COLS, term_attr(t, ROLE_NORMAL),
                         "Make the window bigger, or press q to quit.");
                strbuf_free(&sb);
                wnoutrefresh(stdscr);
                doupdate();
                return;
        }
        lw = list_width();
        rows = LINES - 3;
        /* header: what this is and the filter typed so far */
        draw_fill(stdscr, 0, 0, COLS, term_attr(t, ROLE_HEADER));
        strbuf_printf(&sb, " lockstep %s ", t->bar);
        if (b->filter[0] != '\0') /* how many the filter leaves */
                strbuf_printf(&sb, "%d of ", b->nshown);
        strbuf_printf(&sb, "%zu scenarios %s filter: %s", b->bundle.n, t->bar,
                      b->filter[0] != '\0' ? b->filter : "(type to filter)");
        draw_str(t, stdscr, 0, 0, COLS, term_attr(t, ROLE_HEADER), strbuf_str(&sb));
        strbuf_reset(&sb);
        /* the rows: group headings and entries; keep the selection in view */
        for (int k = 0; k < b->nshown; k++) {
                int g = group_of(&b->bundle.entries[b->shown[k]]);

                if (g != last_group)
                        row++, last_group = g;
                if (k == b->sel)
                        sel_row = row;
                row++;
        }
        if (sel_row < b->scroll + 1)
                b->scroll = sel_row > 0 ? sel_row - 1 : 0;
        if (sel_row >= b->scroll + rows)
                b->scroll = sel_row - rows + 1;
        row = 0;
        last_group = -1;
        for (int k = 0; k < b->nshown; k++) {
                const bundle_entry *e = &b->bundle.entries[b->shown[k]];
                int g = group_of(e);
                bool sel = k == b->sel;

                if (g != last_group) {
                        y = 1 + row - b->scroll;
                        if (y >= 1 && y <= rows)
                                draw_str(t, stdscr, y, 0, lw, term_attr(t, ROLE_PANE),
                                         groups[g].heading);
                        row++;
                        last_group = g;
                }
                y = 1 + row - b->scroll;
                if (y >= 1 && y <= rows) {
                        attr_t a = term_attr(t, sel ? ROLE_SELECT : ROLE_NORMAL);

                        if (sel)
                                draw_fill(stdscr, y, 0, lw, a);
                        draw_str(t, stdscr, y, 0, 2, a, sel ? t->marker : " ");
                        draw_str(t, stdscr, y, 2, lw - 2, a, e->title != NULL ? e->title : e->rel);
                }
                row++;
        }
        if (b->nshown == 0)
                draw_str(t, stdscr, 2, 2, lw - 2, term_attr(t, ROLE_DIM),
                         "Nothing matches: Backspace or Esc.");
        draw_vline(t, stdscr, 1, lw, rows, term_attr(t, ROLE_DIM));
        draw_preview(b, t, 1, lw + 2, COLS - lw - 3, rows + 1);
        /* the message row and the key bar */
        if (b->msg.len > 0)
                draw_str(t, stdscr, LINES - 2, 0, COLS, term_attr(t, ROLE_ERROR),
                         strbuf_str(&b->msg));
        draw_fill(stdscr, LINES - 1, 0, COLS, term_attr(t, ROLE_KEY_LABEL));
        for (int k = 0, x = 0; k < NBAR; k++) {
                if (k == bar_skipped(b))
                        continue;
                x +=
                    draw_str(t, stdscr, LINES - 1, x, COLS - x, term_attr(t, ROLE_KEY), bar[k].key);
                x += draw_str(t, stdscr, LINES - 1, x, COLS - x, term_attr(t, ROLE_KEY_LABEL),
                              bar[k].label);
                x += draw_str(t, stdscr, LINES - 1, x, COLS - x, term_attr(t, ROLE_KEY_LABEL), " ");
        }
        strbuf_free(&sb);
        wnoutrefresh(stdscr);
        doupdate();
}
