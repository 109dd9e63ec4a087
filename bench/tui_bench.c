/*
 * tui_bench.c — how long the scenario screen takes to draw a frame of a 32-actor scenario.
 *
 * usage: tui_bench [FRAMES] [COLS ROWS]
 * Writes a scenario of 31 threads and the main thread sharing a semaphore of 2 places (the
 * seed's semaphore scenario, larger), opens it on the scenario screen with curses drawing into
 * /dev/null (an xterm-256color of COLS x ROWS, default 160x48), makes it run by itself at full
 * speed for 200 wakes of the loop (a few hundred steps), pauses, and then times FRAMES (default
 * 2000) draws of that moment: each a whole frame (every pane drawn again, then one doupdate), and
 * again with the terminal told to repaint every cell (clearok). Prints a small table; results go to
 * docs/performance.md.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tui/screen.h"
#include "tui/term.h"
#include "util/strbuf.h"

static const char scenario_text[] =
    "{\"lockstep\": 1, \"title\": \"Bench\", \"summary\": \"31 threads, 2 places.\",\n"
    " \"resources\": {\"room\": {\"type\": \"semaphore\", \"value\": 2},\n"
    "   \"counter\": {\"type\": \"var\", \"value\": 0}},\n"
    " \"actors\": [{\"name\": \"Worker-{i}\", \"group\": \"Worker\", \"count\": 31, \"run\": [\n"
    "   {\"repeat\": 100, \"do\": [\n"
    "     {\"with\": \"room\", \"do\": [\n"
    "       {\"print\": \"{name} is inside\"},\n"
    "       {\"store\": \"counter\", \"value\": \"counter + 1\"},\n"
    "       {\"sleep\": 0.01}]}]}]}]}\n";

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        int frames = argc > 1 ? atoi(argv[1]) : 2000;
        int cols = argc > 3 ? atoi(argv[2]) : 160, rows = argc > 3 ? atoi(argv[3]) : 48;
        char path[] = "/tmp/lockstep-tui-bench-XXXXXX.json";
        int fd = mkstemps(path, 5);
        FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
        term t = { .sig_fd = -1 };
        strbuf err = STRBUF_INIT;
        screen *sc;
        double t0, plain, full;

        if (fd < 0 || out == NULL || in == NULL ||
            write(fd, scenario_text, sizeof(scenario_text) - 1) < 0) {
                perror("tui_bench");
                return 1;
        }
        close(fd);
        sc = screen_open(&(screen_options){ .path = path }, &err);
        unlink(path);
        if (sc == NULL) {
                fputs(strbuf_str(&err), stderr);
                return 1;
        }
        if (term_open_on(&t, "xterm-256color", out, in) < 0) {
                fprintf(stderr, "tui_bench: no xterm-256color terminfo\n");
                return 1;
        }
        resizeterm(rows, cols);
        /* run at full speed to a busy moment, then stop there */
        for (int k = 0; k < 20; k++)
                screen_key(sc, '+', 0, 0);
        screen_key(sc, 'r', 0, 0);
        for (int n = 0; n < 200 && screen_fd(sc) >= 0; n++) {
                struct pollfd p = { .fd = screen_fd(sc), .events = POLLIN };

                poll(&p, 1, 1000);
                screen_pump(sc);
        }
        screen_key(sc, 'p', 0, 0);
        screen_draw(sc, &t);
        t0 = now();
        for (int k = 0; k < frames; k++)
                screen_draw(sc, &t);
        plain = (now() - t0) / frames;
        t0 = now();
        for (int k = 0; k < frames; k++) {
                clearok(curscr, TRUE);
                screen_draw(sc, &t);
        }
        full = (now() - t0) / frames;
        term_close(&t);
        screen_close(sc);
        strbuf_free(&err);
        printf("tui_bench: 32 actors, %dx%d, %d frames\n", cols, rows, frames);
        printf("  frame, screen unchanged       %8.3f ms\n", plain * 1e3);
        printf("  frame, every cell repainted    %8.3f ms\n", full * 1e3);
        return 0;
}
