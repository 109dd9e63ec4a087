/*
 * term.c — starting and ending curses, colours, glyphs and the signals the TUI reads.
 *
 * No state of lockstep's own outlives a call: the atexit() handler asks curses itself whether
 * the screen is still open (isendwin), so a fatal exit anywhere restores the terminal.
 */
#include "tui/term.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "util/sigend.h"
#include "util/utf8.h"

/* Glyphs per actor state: the UTF-8 set, used only when each is one column wide. */
static const char *const glyphs_utf8[MODEL_STATE_COUNT] = {
        [MODEL_NEW] = "·",     [MODEL_READY] = "○",    [MODEL_RUNNING] = "▶", [MODEL_BLOCKED] = "■",
        [MODEL_WAITING] = "◇", [MODEL_SLEEPING] = "…", [MODEL_DONE] = "✓",    [MODEL_CRASHED] = "✗",
};
static const char *const glyphs_ascii[MODEL_STATE_COUNT] = {
        [MODEL_NEW] = ".",     [MODEL_READY] = "o",    [MODEL_RUNNING] = ">", [MODEL_BLOCKED] = "#",
        [MODEL_WAITING] = "~", [MODEL_SLEEPING] = "z", [MODEL_DONE] = "+",    [MODEL_CRASHED] = "x",
};

/* Colour scheme: foreground per role (-1: the terminal's own), plus attributes. */
typedef struct role_style {
        short fg, bg;
        attr_t color_attr; /* with colours */
        attr_t mono_attr;  /* NO_COLOR or a monochrome terminal */
} role_style;

static const role_style styles[ROLE_COUNT] = {
        [ROLE_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
        [ROLE_DIM] = { -1, -1, A_DIM, A_DIM },
        [ROLE_BOLD] = { -1, -1, A_BOLD, A_BOLD },
        [ROLE_HEADER] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
        [ROLE_PANE] = { COLOR_CYAN, -1, A_BOLD, A_UNDERLINE },
        [ROLE_PANE_FOCUS] = { COLOR_BLACK, COLOR_GREEN, A_BOLD, A_REVERSE | A_BOLD },
        [ROLE_SELECT] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
        [ROLE_KEY] = { -1, -1, A_BOLD, A_BOLD },
        [ROLE_KEY_LABEL] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
        [ROLE_HOLDER] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
        [ROLE_WAITER] = { COLOR_RED, -1, A_BOLD, A_UNDERLINE },
        [ROLE_FREE] = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
        [ROLE_BANNER] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
        [ROLE_CAPTION] = { COLOR_YELLOW, -1, A_NORMAL, A_NORMAL },
        [ROLE_MESSAGE] = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD },
        [ROLE_CHANGED] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
        [ROLE_ERROR] = { COLOR_RED, -1, A_BOLD, A_BOLD },
        [ROLE_STATE + MODEL_NEW] = { -1, -1, A_DIM, A_DIM },
        [ROLE_STATE + MODEL_READY] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
        [ROLE_STATE + MODEL_RUNNING] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
        [ROLE_STATE + MODEL_BLOCKED] = { COLOR_RED, -1, A_BOLD, A_BOLD },
        [ROLE_STATE + MODEL_WAITING] = { COLOR_YELLOW, -1, A_NORMAL, A_NORMAL },
        [ROLE_STATE + MODEL_SLEEPING] = { COLOR_BLUE, -1, A_NORMAL, A_NORMAL },
        [ROLE_STATE + MODEL_DONE] = { -1, -1, A_DIM, A_DIM },
        [ROLE_STATE + MODEL_CRASHED] = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD | A_REVERSE },
        [ROLE_ACTOR + 0] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
        [ROLE_ACTOR + 1] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
        [ROLE_ACTOR + 2] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
        [ROLE_ACTOR + 3] = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD },
        [ROLE_ACTOR + 4] = { COLOR_BLUE, -1, A_BOLD, A_BOLD },
        [ROLE_ACTOR + 5] = { COLOR_WHITE, -1, A_BOLD, A_BOLD },
};

/* The light scheme: the foregrounds a light background washes out (yellow, cyan and white, an
 * actor's name in white vanished) made dark ones; the rest as above. Nothing is told by colour
 * alone either way (the words and glyphs say it), so two roles may share a colour here. */
static const struct {
        term_role role;
        short fg;
} light_fg[] = {
        { ROLE_PANE, COLOR_BLUE },
        { ROLE_CAPTION, COLOR_BLUE },
        { ROLE_CHANGED, COLOR_MAGENTA },
        { ROLE_STATE + MODEL_READY, -1 },
        { ROLE_STATE + MODEL_WAITING, COLOR_MAGENTA },
        { ROLE_ACTOR + 0, COLOR_BLUE },
        { ROLE_ACTOR + 2, COLOR_MAGENTA },
        { ROLE_ACTOR + 3, COLOR_RED },
        { ROLE_ACTOR + 4, COLOR_CYAN },
        { ROLE_ACTOR + 5, COLOR_BLACK },
};

int term_theme_parse(const char *name)
{
        if (name == NULL || name[0] == '\0')
                return TERM_THEME_AUTO;
        if (strcmp(name, "dark") == 0)
                return TERM_THEME_DARK;
        if (strcmp(name, "light") == 0)
                return TERM_THEME_LIGHT;
        return -1;
}

/* Unsaid (LOCKSTEP_THEME unset): what COLORFGBG says of the background, as rxvt, Konsole and
 * others set it ("15;0", "0;default;15": the last number is the background's colour), the
 * light ones being 7 (white) and 9 to 15 (the bright ones but dark grey, 8); else dark. */
static term_theme theme_of_env(void)
{
        int theme = term_theme_parse(getenv("LOCKSTEP_THEME"));
        const char *fgbg = getenv("COLORFGBG"), *bg;
        char *end;
        long n;

        if (theme != TERM_THEME_AUTO)
                return theme < 0 ? TERM_THEME_DARK : (term_theme)theme;
        if (fgbg == NULL || (bg = strrchr(fgbg, ';')) == NULL)
                return TERM_THEME_DARK;
        n = strtol(bg + 1, &end, 10);
        if (end == bg + 1 || *end != '\0')
                return TERM_THEME_DARK;
        return n == 7 || (n >= 9 && n <= 15) ? TERM_THEME_LIGHT : TERM_THEME_DARK;
}

static void restore_at_exit(void)
{
        /* curses' own state says whether the screen is still ours to give back */
        if (stdscr != NULL && !isendwin()) {
                curs_set(1);
                endwin();
        }
}

int term_signals(term *t)
{
        sigset_t set;

        sigemptyset(&set);
        sigend_add(&set);
        sigaddset(&set, SIGWINCH);
        if (sigprocmask(SIG_BLOCK, &set, &t->old_mask) < 0)
                return -1;
        t->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        return t->sig_fd < 0 ? -1 : 0;
}

static bool glyphs_fit(const char *const *g, size_t n)
{
        for (size_t k = 0; k < n; k++) {
                uint32_t cp;

                if (utf8_decode(g[k], strlen(g[k]), &cp) == 0 || wcwidth((wchar_t)cp) != 1)
                        return false;
        }
        return true;
}

static void pick_glyphs(term *t)
{
        static const char *const extra[] = { "…", "▶", "│" };
        static const char *const box_utf8[6] = { "─", "│", "┌", "┐", "└", "┘" };
        static const char *const box_ascii[6] = { "-", "|", "+", "+", "+", "+" };
        const char *codeset = nl_langinfo(CODESET);

        t->utf8 = codeset != NULL && strcmp(codeset, "UTF-8") == 0 &&
                  glyphs_fit(glyphs_utf8, MODEL_STATE_COUNT) && glyphs_fit(extra, 3) &&
                  glyphs_fit(box_utf8, 6);
        /* lines are drawn as text, not with the alternate character set: one way for all */
        for (int k = 0; k < 6; k++)
                t->box[k] = t->utf8 ? box_utf8[k] : box_ascii[k];
        for (int k = 0; k < MODEL_STATE_COUNT; k++)
                t->glyph[k] = t->utf8 ? glyphs_utf8[k] : glyphs_ascii[k];
        t->ellipsis = t->utf8 ? extra[0] : "~";
        t->marker = t->utf8 ? extra[1] : ">";
        t->bar = t->utf8 ? extra[2] : "|";
}

static void pick_colors(term *t)
{
        const char *no_color = getenv("NO_COLOR");
        role_style style[ROLE_COUNT];

        memcpy(style, styles, sizeof(style));
        if (theme_of_env() == TERM_THEME_LIGHT)
                for (size_t k = 0; k < sizeof(light_fg) / sizeof(*light_fg); k++)
                        style[light_fg[k].role].fg = light_fg[k].fg;
        t->color = (no_color == NULL || no_color[0] == '\0') && has_colors();
        if (t->color) {
                start_color();
                use_default_colors();
        }
        for (int r = 0; r < ROLE_COUNT; r++) {
                const role_style *s = &style[r];

                if (!t->color) {
                        t->role[r] = s->mono_attr;
                } else if (s->fg == -1 && s->bg == -1) {
                        t->role[r] = s->color_attr;
                } else {
                        /* one pair per role: the numbers stay far below COLOR_PAIRS */
                        init_pair((short)(r + 1), s->fg, s->bg);
                        t->role[r] = s->color_attr | COLOR_PAIR(r + 1);
                }
        }
}

int term_open(term *t)
{
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
                errno = ENOTTY;
                return -1;
        }
        return term_open_on(t, NULL, stdout, stdin);
}

/* Ctrl-S and Ctrl-Q are keys, not the terminal's XON/XOFF: a Ctrl-S froze the screen until a
 * Ctrl-Q. The shell's modes, flow control too, come back at endwin. */
static void no_flow_control(FILE *in)
{
        struct termios tio;

        if (tcgetattr(fileno(in), &tio) == 0) {
                tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
                tcsetattr(fileno(in), TCSANOW, &tio);
                def_prog_mode(); /* curses' own copy, for a return from Ctrl-Z */
        }
}

int term_open_on(term *t, const char *type, FILE *out, FILE *in)
{
        /* only the character type: numbers in scenario files are read the C way */
        setlocale(LC_CTYPE, "");
        pick_glyphs(t);
        if (newterm(type, out, in) == NULL)
                return -1;
        atexit(restore_at_exit);
        t->open = true;
        cbreak();
        no_flow_control(in);
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(25);
        curs_set(0);
        mouseinterval(0);
        mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        pick_colors(t);
        return 0;
}

void term_close(term *t)
{
        if (t->open) {
                t->open = false;
                restore_at_exit();
        }
        if (t->sig_fd >= 0) {
                close(t->sig_fd);
                t->sig_fd = -1;
                /* signals that came meanwhile stay pending and are acted on by their default */
                sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
        }
}

void term_resize(term *t)
{
        struct winsize ws;

        if (t->open && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
                resizeterm(ws.ws_row, ws.ws_col); /* queues a KEY_RESIZE, which input ignores */
}
