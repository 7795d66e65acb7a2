/*
 * fbcon and the font on the host: the framebuffer is a malloc'd buffer and
 * each check compares the pixels of a cell with the font's bits.
 * fbcon.c is included, not linked, so the static colour helper can be tested
 * and the console state reset between tests. Link with drivers/font.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/fbcon.c"

#define TEST_COLS  10
#define TEST_ROWS  4
#define TEST_W     (TEST_COLS * FONT_W + 5)  /* a margin the grid does not cover */
#define TEST_H     (TEST_ROWS * FONT_H + 7)
#define TEST_PITCH (TEST_W + 11)             /* padding after each scan line */
#define GARBAGE    0xdeadbeefu               /* what the firmware left in the buffer */
#define FG         0x00aaaaaau
#define BG         0x00000000u

static uint32_t *fb;
static struct boot_framebuffer desc;

static void fill_garbage(uint32_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = GARBAGE;
}

static int setup(void **state)
{
	(void)state;
	memset(&con, 0, sizeof(con));
	fb = malloc(sizeof(uint32_t) * TEST_PITCH * TEST_H);
	fill_garbage(fb, (size_t)TEST_PITCH * TEST_H);
	desc = (struct boot_framebuffer){ .size = sizeof(uint32_t) * TEST_PITCH * TEST_H,
					  .width = TEST_W, .height = TEST_H,
					  .pitch = TEST_PITCH, .format = BOOT_FB_BGRX };
	assert_int_equal(fbcon_init(fb, &desc), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fb);
	return 0;
}

static void put(const char *s)
{
	fbcon_write(s, strlen(s));
}

static uint32_t pixel(unsigned col, unsigned row, unsigned x, unsigned y)
{
	return fb[(row * FONT_H + y) * TEST_PITCH + col * FONT_W + x];
}

/* The first `lines` pixel rows of the cell are exactly glyph c. */
static bool glyph_lines_are(unsigned col, unsigned row, char c, unsigned lines)
{
	for (unsigned y = 0; y < lines; y++)
		for (unsigned x = 0; x < FONT_W; x++) {
			bool on = font8x16[c - FONT_FIRST][y] & (0x80 >> x);
			if (pixel(col, row, x, y) != (on ? FG : BG))
				return false;
		}
	return true;
}

static bool cell_is(unsigned col, unsigned row, char c)
{
	return glyph_lines_are(col, row, c, FONT_H);
}

/* The underline cursor fills the cell's bottom lines, which no glyph does. */
static bool cursor_at(unsigned col, unsigned row)
{
	for (unsigned y = FONT_H - FBCON_CURSOR_LINES; y < FONT_H; y++)
		for (unsigned x = 0; x < FONT_W; x++)
			if (pixel(col, row, x, y) != FG)
				return false;
	return true;
}

/* Row `row` shows text s, space padded (the cursor lines are not compared). */
static bool row_is(unsigned row, const char *s)
{
	for (unsigned col = 0; col < TEST_COLS; col++) {
		char c = col < strlen(s) ? s[col] : ' ';
		if (!glyph_lines_are(col, row, c, FONT_H - FBCON_CURSOR_LINES))
			return false;
	}
	return true;
}

static unsigned cursor_count(void)
{
	unsigned n = 0;
	for (unsigned row = 0; row < TEST_ROWS; row++)
		for (unsigned col = 0; col < TEST_COLS; col++)
			n += cursor_at(col, row);
	return n;
}

static void test_write_before_init_is_noop(void **state)
{
	(void)state;
	memset(&con, 0, sizeof(con));
	fill_garbage(fb, (size_t)TEST_PITCH * TEST_H);
	put("abc");
	fbcon_clear();
	assert_int_equal(fbcon_cols(), 0);
	assert_int_equal(fb[0], GARBAGE);
}

static void test_init_rejects_unusable(void **state)
{
	(void)state;
	struct boot_framebuffer bad = desc;

	assert_int_equal(fbcon_init(NULL, &desc), -1);
	assert_int_equal(fbcon_init(fb, NULL), -1);
	bad.format = BOOT_FB_NONE;
	assert_int_equal(fbcon_init(fb, &bad), -1);
	bad = desc, bad.format = 7;
	assert_int_equal(fbcon_init(fb, &bad), -1);
	bad = desc, bad.width = FONT_W - 1;
	assert_int_equal(fbcon_init(fb, &bad), -1);
	bad = desc, bad.height = FONT_H - 1;
	assert_int_equal(fbcon_init(fb, &bad), -1);
	bad = desc, bad.pitch = TEST_W - 1;
	assert_int_equal(fbcon_init(fb, &bad), -1);
	bad = desc, bad.size = desc.size - 4;
	assert_int_equal(fbcon_init(fb, &bad), -1);
	/* a failed init leaves the working console alone */
	assert_int_equal(fbcon_cols(), TEST_COLS);
}

static void test_init_blanks_screen(void **state)
{
	(void)state;
	assert_int_equal(fbcon_cols(), TEST_COLS);
	assert_int_equal(fbcon_rows(), TEST_ROWS);
	for (size_t i = 0; i < (size_t)TEST_PITCH * TEST_H; i++) {
		size_t x = i % TEST_PITCH, y = i / TEST_PITCH;
		bool in_cursor = x < FONT_W && y >= FONT_H - FBCON_CURSOR_LINES && y < FONT_H;
		assert_int_equal(fb[i], in_cursor ? FG : BG);
	}
	assert_true(cursor_at(0, 0));
}

static void test_char_draws_glyph(void **state)
{
	(void)state;
	put("A");
	assert_true(cell_is(0, 0, 'A'));
	/* 'A' has its apex on the centre column of row 2 and nothing beside it */
	assert_int_equal(pixel(0, 0, 3, 2), FG);
	assert_int_equal(pixel(0, 0, 2, 2), BG);
	assert_int_equal(pixel(0, 0, 4, 2), BG);
	assert_true(cursor_at(1, 0));
	assert_int_equal(cursor_count(), 1);
	assert_true(row_is(1, ""));
}

static void test_cursor_follows_moves(void **state)
{
	(void)state;
	put("ab");
	put("\b");
	assert_true(cursor_at(1, 0));
	assert_int_equal(cursor_count(), 1);
	put("\n");
	assert_true(cursor_at(0, 1));
	assert_int_equal(cursor_count(), 1);
	put("\x1b[H");
	assert_true(cursor_at(0, 0));
	assert_int_equal(cursor_count(), 1);
}

static void test_newline_and_cr(void **state)
{
	(void)state;
	put("ab\ncd\rX");
	assert_true(row_is(0, "ab"));
	assert_true(row_is(1, "Xd"));
	assert_true(cursor_at(1, 1));
	assert_int_equal(cursor_count(), 1);
}

static void test_wrap_at_right_edge(void **state)
{
	(void)state;
	put("0123456789");
	assert_true(row_is(0, "0123456789"));
	assert_true(cursor_at(9, 0)); /* a full line keeps the cursor on its last cell */
	put("\nz");                   /* ... and a newline there does not add a blank line */
	assert_true(row_is(1, "z"));
	put("\r0123456789k");
	assert_true(row_is(1, "0123456789"));
	assert_true(row_is(2, "k"));
	assert_true(cursor_at(1, 2));
}

static void test_backspace_and_tab(void **state)
{
	(void)state;
	put("ab\b");
	assert_true(row_is(0, "ab")); /* no erase */
	assert_true(cursor_at(1, 0));
	assert_false(cursor_at(2, 0));
	put("\r\tT");
	assert_true(row_is(0, "ab      T"));
	put("\t\tU"); /* at the last tab stop the cursor stays on the last column */
	assert_true(row_is(0, "ab      TU"));
	put("\t1"); /* a tab never moves left, even from a full line */
	assert_true(row_is(0, "ab      TU"));
	assert_true(row_is(1, "1"));
	put("\r\b\bV");
	assert_true(cell_is(0, 1, 'V'));
}

static void test_scroll(void **state)
{
	(void)state;
	put("r0\nr1\nr2\nr3\nr4");
	assert_true(row_is(0, "r1"));
	assert_true(row_is(1, "r2"));
	assert_true(row_is(2, "r3"));
	assert_true(row_is(3, "r4"));
	assert_true(cursor_at(2, 3));
	assert_int_equal(cursor_count(), 1);
	put("\n");
	assert_true(row_is(0, "r2"));
	assert_true(row_is(3, ""));
}

static void test_erase_to_end_of_line(void **state)
{
	(void)state;
	put("hello\nworld\x1b[3D\x1b[K");
	assert_true(row_is(0, "hello"));
	assert_true(row_is(1, "wo"));
	assert_true(cursor_at(2, 1));
	put("\r\x1b[0K");
	assert_true(row_is(1, ""));
}

static void test_clear_and_home(void **state)
{
	(void)state;
	put("abc\ndef\x1b[3J\x1b[1J"); /* only 2 clears the screen */
	assert_true(row_is(0, "abc"));
	put("\x1b[2J");
	assert_true(row_is(0, ""));
	assert_true(row_is(1, ""));
	assert_true(cursor_at(3, 1)); /* ESC[2J leaves the cursor where it was */
	put("\x1b[HZ");
	assert_true(row_is(0, "Z"));
	put("\x1b[3;4HY\x1b[99;99HW");
	assert_true(row_is(2, "   Y"));
	assert_true(row_is(3, "         W"));
	put("q\x1b[H");
	fbcon_clear();
	for (unsigned r = 0; r < TEST_ROWS; r++)
		assert_true(row_is(r, ""));
	assert_true(cursor_at(0, 0));
}

static void test_cursor_left_right(void **state)
{
	(void)state;
	put("abcdef\x1b[D");
	assert_true(cursor_at(5, 0));
	put("\x1b[2DX");
	assert_true(row_is(0, "abcXef"));
	put("\x1b[CY");
	assert_true(row_is(0, "abcXeY"));
	put("\x1b[99CZ\x1b[99D");
	assert_true(row_is(0, "abcXeY   Z"));
	assert_true(cursor_at(0, 0));
	assert_int_equal(cursor_count(), 1);
}

static void test_unknown_sequences_print_nothing(void **state)
{
	(void)state;
	put("\x1b[31m\x1b[?25l\x1b[1;24r\x1b[0 q\x1b" "7" "A");
	assert_true(row_is(0, "A"));
	assert_true(cursor_at(1, 0));
	/* private ('?') and intermediate (' ') bytes make even a known final byte inert */
	put("BC\b\b\x1b[?K\x1b[?2J\x1b[ K\x1b[?H");
	assert_true(row_is(0, "ABC"));
	assert_true(cursor_at(1, 0));
	/* a sequence split across writes is still recognised */
	put("BC\x1b[");
	put("2");
	put("DX");
	assert_true(row_is(0, "AXC"));
}

static void test_control_inside_csi_is_obeyed(void **state)
{
	(void)state;
	put("a\x1b[\nb");
	assert_true(row_is(0, "a"));
	assert_true(row_is(1, "b"));
	put("\x1b\nc"); /* after a lone ESC too */
	assert_true(row_is(2, "c"));
}

static void test_nonprintable_shown_as_question_mark(void **state)
{
	(void)state;
	put("\x01\x7f\x80\xff");
	assert_true(row_is(0, "????"));
}

static void test_colour_byte_order(void **state)
{
	(void)state;
	assert_int_equal(fbcon_colour(BOOT_FB_RGBX, 0x11, 0x22, 0x33), 0x00332211);
	assert_int_equal(fbcon_colour(BOOT_FB_BGRX, 0x11, 0x22, 0x33), 0x00112233);
	desc.format = BOOT_FB_RGBX;
	assert_int_equal(fbcon_init(fb, &desc), 0);
	put("M");
	assert_true(cell_is(0, 0, 'M'));
}

static void test_large_screen_is_clipped(void **state)
{
	(void)state;
	struct boot_framebuffer big = { .width = 2000, .height = 2400, .pitch = 2000,
					.format = BOOT_FB_BGRX };
	big.size = (uint64_t)big.pitch * big.height * 4;
	uint32_t *mem = malloc(big.size);

	assert_int_equal(fbcon_init(mem, &big), 0);
	assert_int_equal(fbcon_cols(), FBCON_MAX_COLS);
	assert_int_equal(fbcon_rows(), FBCON_MAX_ROWS);
	for (unsigned i = 0; i < FBCON_MAX_COLS; i++)
		put("|");
	put("x"); /* wrapped, so nothing is drawn right of the grid */
	unsigned right = FBCON_MAX_COLS * FONT_W, y = 2 + 2;
	for (unsigned x = right; x < big.width; x++)
		assert_int_equal(mem[y * big.pitch + x], BG);
	assert_int_equal(mem[y * big.pitch + right - 5], FG); /* the last '|' */
	assert_true(mem[(FONT_H + 5) * big.pitch + 1] == FG && mem[(FONT_H + 5) * big.pitch + 2] == BG); /* 'x' on the next row */
	free(mem);
}

static void test_font_glyphs_distinct_and_drawn(void **state)
{
	(void)state;
	for (int a = 0; a < FONT_GLYPHS; a++) {
		bool empty = true;
		for (int y = 0; y < FONT_H; y++)
			empty &= font8x16[a][y] == 0;
		assert_int_equal(empty, a + FONT_FIRST == ' ');
		/* rows 0-1 and 15 are the line spacing */
		assert_int_equal(font8x16[a][0] | font8x16[a][1] | font8x16[a][FONT_H - 1], 0);
		for (int b = 0; b < a; b++)
			assert_memory_not_equal(font8x16[a], font8x16[b], FONT_H);
	}
}

static void test_font_descenders(void **state)
{
	(void)state;
	const int baseline = 11; /* the font's last row above descenders */
	for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
		bool below = false;
		for (int y = baseline + 1; y < FONT_H; y++)
			below |= font8x16[c - FONT_FIRST][y] != 0;
		bool expect = strchr("gjpqy_,;()[]{}|", c) != NULL;
		assert_int_equal(below, expect);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_before_init_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_rejects_unusable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_blanks_screen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_char_draws_glyph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_follows_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_and_cr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_at_right_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backspace_and_tab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_to_end_of_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_and_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_left_right, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_sequences_print_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_inside_csi_is_obeyed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonprintable_shown_as_question_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_colour_byte_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_screen_is_clipped, setup, teardown),
		cmocka_unit_test(test_font_glyphs_distinct_and_drawn),
		cmocka_unit_test(test_font_descenders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
