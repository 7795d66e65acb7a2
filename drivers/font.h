/*
 * The built-in 8x16 console font: printable ASCII only.
 *
 * Contract: font8x16[c - FONT_FIRST] is the glyph of character c for
 * FONT_FIRST <= c <= FONT_LAST; one byte per pixel row, top row first,
 * bit 7 = leftmost pixel. Rows 0-1 and 15 are blank so lines do not touch.
 */
#ifndef DRIVERS_FONT_H
#define DRIVERS_FONT_H

#include <stdint.h>

#define FONT_W 8
#define FONT_H 16
#define FONT_FIRST 0x20 /* ' ' */
#define FONT_LAST  0x7e /* '~' */
#define FONT_GLYPHS (FONT_LAST - FONT_FIRST + 1)

extern const uint8_t font8x16[FONT_GLYPHS][FONT_H];

#endif
