/*
 * fbcon: the text console on the boot framebuffer (interface in fbcon.h).
 *
 * The screen is a grid of character cells kept in RAM; the framebuffer is
 * only ever written, because every read of write-combining or uncached memory
 * is a slow bus transaction. Each change to the grid widens its row's dirty
 * span, and fbcon_write redraws the dirty spans once at the end: a burst of
 * output that scrolls many times costs one redraw of the screen, and a single
 * echoed key costs two cells (the key and the cursor).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/boot_info.h"
#include "drivers/fbcon.h"
#include "drivers/font.h"

/* Largest grid kept (1920x2160 pixels of 8x16 cells); a bigger screen shows
 * the console in its top-left part. */
#define FBCON_MAX_COLS 240
#define FBCON_MAX_ROWS 135
#define FBCON_TAB 8
#define FBCON_GREY 0xaa        /* per channel: the light grey of the VGA text palette */
#define FBCON_CURSOR_LINES 2   /* underline cursor: the bottom two pixel rows of the cell */
#define FBCON_NPARAM 2         /* ESC[row;colH needs two parameters, the rest one */
#define FBCON_PARAM_MAX 9999   /* larger counts are clipped to the screen anyway */
#define ASCII_ESC 0x1b
#define CSI_FINAL_MIN 0x40     /* ECMA-48 §5.4: a CSI sequence ends with a byte 0x40-0x7e, */
#define CSI_FINAL_MAX 0x7e     /* after parameter bytes 0x30-0x3f and intermediates 0x20-0x2f */

enum fbcon_esc { ESC_NONE, ESC_SEEN, ESC_CSI };

static struct {
	volatile uint32_t *fb;
	uint32_t pitch;                    /* pixels per scan line */
	uint32_t fg, bg;                   /* already in the framebuffer's byte order */
	unsigned cols, rows;               /* 0 until fbcon_init succeeds */
	unsigned cx, cy;                   /* cx == cols: the line is full, wrap before the next character */
	enum fbcon_esc esc;
	unsigned param[FBCON_NPARAM];      /* 0 = absent */
	unsigned nparam;                   /* index of the parameter being read */
	bool csi_ignore;                   /* private or intermediate bytes: a sequence we do not do */
	uint16_t dirty_from[FBCON_MAX_ROWS]; /* cells [from, to) of the row differ from the screen; */
	uint16_t dirty_to[FBCON_MAX_ROWS];   /* from == to: clean */
	uint8_t grid[FBCON_MAX_ROWS][FBCON_MAX_COLS]; /* printable ASCII only */
} con;

/* Pixels are little-endian 32-bit words; the format names which colour is byte 0. */
static uint32_t fbcon_colour(uint32_t format, uint8_t r, uint8_t g, uint8_t b)
{
	if (format == BOOT_FB_RGBX)
		return r | (uint32_t)g << 8 | (uint32_t)b << 16;
	return b | (uint32_t)g << 8 | (uint32_t)r << 16;
}

static unsigned fbcon_min(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* Where the cursor is shown: a full line shows it on its last cell. */
static unsigned fbcon_cursor_col(void)
{
	return fbcon_min(con.cx, con.cols - 1);
}

static void fbcon_mark(unsigned row, unsigned from, unsigned to)
{
	if (con.dirty_from[row] >= con.dirty_to[row]) { /* clean until now */
		con.dirty_from[row] = (uint16_t)from;
		con.dirty_to[row] = (uint16_t)to;
		return;
	}
	if (from < con.dirty_from[row])
		con.dirty_from[row] = (uint16_t)from;
	if (to > con.dirty_to[row])
		con.dirty_to[row] = (uint16_t)to;
}

static void fbcon_mark_all(void)
{
	for (unsigned r = 0; r < con.rows; r++)
		fbcon_mark(r, 0, con.cols);
}

/* Pixel line by pixel line, so the stores are sequential as write-combining wants. */
static void fbcon_draw_span(unsigned row, unsigned from, unsigned to)
{
	unsigned cursor = row == con.cy ? fbcon_cursor_col() : con.cols;

	for (unsigned y = 0; y < FONT_H; y++) {
		volatile uint32_t *px = con.fb + ((size_t)row * FONT_H + y) * con.pitch + from * FONT_W;
		for (unsigned col = from; col < to; col++) {
			uint8_t bits = font8x16[con.grid[row][col] - FONT_FIRST][y];
			if (col == cursor && y >= FONT_H - FBCON_CURSOR_LINES)
				bits = 0xff;
			for (unsigned x = 0; x < FONT_W; x++)
				*px++ = (bits << x) & 0x80 ? con.fg : con.bg;
		}
	}
}

static void fbcon_flush(void)
{
	for (unsigned r = 0; r < con.rows; r++) {
		if (con.dirty_from[r] < con.dirty_to[r])
			fbcon_draw_span(r, con.dirty_from[r], con.dirty_to[r]);
		con.dirty_from[r] = con.dirty_to[r] = 0;
	}
}

static void fbcon_erase(unsigned row, unsigned from)
{
	if (from >= con.cols)
		return;
	memset(&con.grid[row][from], ' ', con.cols - from);
	fbcon_mark(row, from, con.cols);
}

static void fbcon_erase_all(void)
{
	for (unsigned r = 0; r < con.rows; r++)
		fbcon_erase(r, 0);
}

static void fbcon_newline(void)
{
	con.cx = 0;
	if (con.cy + 1 < con.rows) {
		con.cy++;
		return;
	}
	memmove(con.grid[0], con.grid[1], sizeof(con.grid[0]) * (con.rows - 1));
	fbcon_erase(con.rows - 1, 0);
	fbcon_mark_all();
}

static void fbcon_put(uint8_t c)
{
	if (con.cx >= con.cols)
		fbcon_newline();
	con.grid[con.cy][con.cx] = c;
	fbcon_mark(con.cy, con.cx, con.cx + 1);
	con.cx++;
}

static void fbcon_tab(void)
{
	unsigned next = fbcon_min((con.cx / FBCON_TAB + 1) * FBCON_TAB, con.cols - 1);

	if (next > con.cx)
		con.cx = next;
}

static void fbcon_csi(uint8_t final)
{
	unsigned n = con.param[0] ? con.param[0] : 1;
	unsigned col = fbcon_cursor_col();

	switch (final) {
	case 'K': /* erase to end of line; 1 and 2 (other parts) are not used */
		if (con.param[0] == 0)
			fbcon_erase(con.cy, con.cx);
		break;
	case 'J': /* only 2, the whole screen; the cursor stays */
		if (con.param[0] == 2)
			fbcon_erase_all();
		break;
	case 'H': /* ESC[row;colH, 1-based, default home */
	case 'f':
		con.cy = fbcon_min(n, con.rows) - 1;
		con.cx = fbcon_min(con.param[1] ? con.param[1] : 1, con.cols) - 1;
		break;
	case 'D':
		con.cx = col > n ? col - n : 0;
		break;
	case 'C':
		con.cx = fbcon_min(col + n, con.cols - 1);
		break;
	}
}

/* Returns true when c belonged to an escape sequence. */
static bool fbcon_escape(uint8_t c)
{
	if (con.esc == ESC_SEEN) {
		con.esc = c == '[' ? ESC_CSI : ESC_NONE;
		memset(con.param, 0, sizeof(con.param));
		con.nparam = 0;
		con.csi_ignore = false;
		return c >= ' '; /* a control byte is obeyed; ESC x (not CSI) is dropped */
	}
	if (c < ' ' || c > CSI_FINAL_MAX) { /* not part of a CSI sequence: abandon it */
		con.esc = ESC_NONE;
		return false;
	}
	if (c >= '0' && c <= '9') {
		if (con.nparam < FBCON_NPARAM)
			con.param[con.nparam] = fbcon_min(con.param[con.nparam] * 10 + (c - '0'),
							  FBCON_PARAM_MAX);
	} else if (c == ';') {
		if (con.nparam < FBCON_NPARAM)
			con.nparam++;
	} else if (c < CSI_FINAL_MIN) {
		con.csi_ignore = true;
	} else {
		con.esc = ESC_NONE;
		if (!con.csi_ignore)
			fbcon_csi(c);
	}
	return true;
}

static void fbcon_byte(uint8_t c)
{
	if (con.esc != ESC_NONE && fbcon_escape(c))
		return;
	if (c >= FONT_FIRST && c <= FONT_LAST) {
		fbcon_put(c);
		return;
	}
	switch (c) {
	case '\n':
		fbcon_newline();
		break;
	case '\r':
		con.cx = 0;
		break;
	case '\b':
		if (con.cx > 0)
			con.cx--;
		break;
	case '\t':
		fbcon_tab();
		break;
	case ASCII_ESC:
		con.esc = ESC_SEEN;
		break;
	default:
		fbcon_put('?');
	}
}

void fbcon_write(const char *s, size_t n)
{
	if (con.cols == 0)
		return;
	fbcon_mark(con.cy, fbcon_cursor_col(), fbcon_cursor_col() + 1); /* the cursor leaves */
	for (size_t i = 0; i < n; i++)
		fbcon_byte((uint8_t)s[i]);
	fbcon_mark(con.cy, fbcon_cursor_col(), fbcon_cursor_col() + 1); /* and arrives */
	fbcon_flush();
}

void fbcon_clear(void)
{
	if (con.cols == 0)
		return;
	fbcon_erase_all();
	con.cx = con.cy = 0;
	con.esc = ESC_NONE;
	fbcon_flush();
}

unsigned fbcon_cols(void)
{
	return con.cols;
}

unsigned fbcon_rows(void)
{
	return con.rows;
}

int fbcon_init(volatile uint32_t *fb_virt, const struct boot_framebuffer *fb)
{
	if (!fb_virt || !fb || (fb->format != BOOT_FB_RGBX && fb->format != BOOT_FB_BGRX))
		return -1;
	/* size / 4 / pitch: how many whole scan lines of 4-byte pixels, without overflow */
	if (fb->width < FONT_W || fb->height < FONT_H || fb->pitch < fb->width ||
	    fb->size / 4 / fb->pitch < fb->height)
		return -1;
	memset(&con, 0, sizeof(con));
	con.fb = fb_virt;
	con.pitch = fb->pitch;
	con.fg = fbcon_colour(fb->format, FBCON_GREY, FBCON_GREY, FBCON_GREY);
	con.bg = fbcon_colour(fb->format, 0, 0, 0);
	/* Blank everything once: the margins outside the grid keep whatever the firmware drew. */
	for (size_t i = 0; i < (size_t)fb->pitch * fb->height; i++)
		fb_virt[i] = con.bg;
	con.cols = fbcon_min(fb->width / FONT_W, FBCON_MAX_COLS);
	con.rows = fbcon_min(fb->height / FONT_H, FBCON_MAX_ROWS);
	fbcon_clear();
	return 0;
}
