/*
 * test_layout.c — where the panes of the scenario screen go, at the sizes that matter: too
 * small, the minimum 80x24, a large 160x48, and many actors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tui/layout.h"

/* Every shown pane lies inside the rows between the header and the status rows, and no two
 * shown panes share a cell. */
static void check_tiling(int cols, int rows, const layout_rect *p)
{
        int bottom = rows - 2 - layout_caption_rows(rows); /* the first status row */

        for (int k = 0; k < PANE_COUNT; k++) {
                if (p[k].h == 0)
                        continue;
                assert_true(p[k].y >= 1);
                assert_true(p[k].y + p[k].h <= bottom);
                assert_true(p[k].x >= 0);
                assert_true(p[k].x + p[k].w <= cols);
                assert_true(p[k].h >= 2); /* a title and at least one row */
                for (int j = 0; j < k; j++) {
                        bool apart;

                        if (p[j].h == 0)
                                continue;
                        apart = p[j].x + p[j].w <= p[k].x || p[k].x + p[k].w <= p[j].x ||
                                p[j].y + p[j].h <= p[k].y || p[k].y + p[k].h <= p[j].y;
                        assert_true(apart);
                }
        }
}

static void too_small(void **state)
{
        layout_rect p[PANE_COUNT];

        (void)state;
        assert_false(layout_compute(79, 24, 3, p));
        assert_false(layout_compute(80, 23, 3, p));
        assert_false(layout_compute(20, 5, 3, p));
        assert_true(layout_compute(80, 24, 3, p));
}

static void minimum_size(void **state)
{
        layout_rect p[PANE_COUNT];

        (void)state;
        /* the semaphore: 5 threads and main */
        assert_true(layout_compute(80, 24, 6, p));
        check_tiling(80, 24, p);
        /* narrow: Actors across the whole width, one row per actor under its title */
        assert_int_equal(p[PANE_ACTORS].w, 80);
        assert_int_equal(p[PANE_ACTORS].h, 7);
        /* no room for a timeline there */
        assert_int_equal(p[PANE_TIMELINE].h, 0);
        assert_int_equal(layout_caption_rows(24), 2);
        /* Code on the left, Resources and Output on the right, one column between */
        assert_int_equal(p[PANE_CODE].x, 0);
        assert_int_equal(p[PANE_RES].x, p[PANE_CODE].w + 1);
        assert_int_equal(p[PANE_OUTPUT].y, p[PANE_RES].y + p[PANE_RES].h);
}

static void large(void **state)
{
        layout_rect p[PANE_COUNT];

        (void)state;
        assert_true(layout_compute(160, 48, 6, p));
        check_tiling(160, 48, p);
        /* wide: Actors across the top (a wait's words get all 160 columns), then Code on the
         * left half, Resources and Output on the right */
        assert_int_equal(p[PANE_ACTORS].w, 160);
        assert_int_equal(p[PANE_ACTORS].h, 7);
        assert_int_equal(p[PANE_CODE].w, 80);
        assert_int_equal(p[PANE_RES].x, 81);
        assert_int_equal(p[PANE_RES].y, 1 + 7);
        /* the timeline below Code, a lane per actor */
        assert_int_equal(p[PANE_TIMELINE].h, 7);
        assert_int_equal(p[PANE_TIMELINE].y, p[PANE_CODE].y + p[PANE_CODE].h);
        assert_true(p[PANE_CODE].h >= LAYOUT_MIN_CODE);
        assert_int_equal(layout_caption_rows(48), 3);
}

static void many_actors(void **state)
{
        layout_rect p[PANE_COUNT];

        (void)state;
        /* 65 actors: Actors takes at most its share; the pane scrolls */
        for (int rows = 24; rows <= 60; rows += 12) {
                assert_true(layout_compute(80, rows, 65, p));
                check_tiling(80, rows, p);
                assert_true(p[PANE_ACTORS].h < 66);
                assert_true(p[PANE_CODE].h >= 2);
                assert_true(layout_compute(200, rows, 65, p));
                check_tiling(200, rows, p);
        }
}

/* Zoomed, the pane asked for alone fills every row and column the panes had together (the
 * Timeline too, where the layout had no room for it), and the others are not shown. */
static void zoomed(void **state)
{
        static const int sizes[][2] = { { 80, 24 }, { 160, 48 }, { 97, 31 } };

        (void)state;
        for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
                int cols = sizes[k][0], rows = sizes[k][1];

                for (int which = 0; which < PANE_COUNT; which++) {
                        layout_rect p[PANE_COUNT], z[PANE_COUNT];
                        int area = 0;

                        assert_true(layout_compute(cols, rows, 6, p));
                        assert_true(layout_zoom(cols, rows, which, z));
                        check_tiling(cols, rows, z);
                        for (int q = 0; q < PANE_COUNT; q++)
                                if (q != which)
                                        assert_int_equal(z[q].h, 0);
                        /* the panes' room: from the top of Actors to the bottom of Output */
                        assert_int_equal(z[which].y, p[PANE_ACTORS].y);
                        assert_int_equal(z[which].y + z[which].h,
                                         p[PANE_OUTPUT].y + p[PANE_OUTPUT].h);
                        assert_int_equal(z[which].x, 0);
                        assert_int_equal(z[which].w, cols);
                        for (int q = 0; q < PANE_COUNT; q++)
                                area += p[q].h * p[q].w;
                        /* every cell the unzoomed panes had, and the column between them */
                        assert_true(z[which].h * z[which].w >= area);
                }
        }
        /* 80x24: 19 rows, the Timeline of six actors and main with twelve to spare */
        {
                layout_rect z[PANE_COUNT];

                assert_true(layout_zoom(80, 24, PANE_TIMELINE, z));
                assert_int_equal(z[PANE_TIMELINE].h, 19);
                assert_false(layout_zoom(79, 24, PANE_CODE, z));
                assert_false(layout_zoom(80, 24, PANE_COUNT, z));
                assert_false(layout_zoom(80, 24, -1, z));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(too_small), cmocka_unit_test(minimum_size),
                cmocka_unit_test(large),     cmocka_unit_test(many_actors),
                cmocka_unit_test(zoomed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
