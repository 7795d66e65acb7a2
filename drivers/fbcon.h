/*
 * Text console on a linear 32-bit framebuffer (the GOP framebuffer the loader
 * hands over): light grey on black, 8x16 cells, a few ANSI sequences.
 *
 * Contract: call fbcon_init once with the framebuffer mapped in the kernel
 * (write-combining or uncached; fbcon only ever writes it). Until it succeeds
 * the other calls do nothing. Not thread-safe: the caller serialises.
 * Understood: \n (CR+LF), \r, \b (left, no erase), \t (next multiple of 8),
 * ESC[K, ESC[2J, ESC[H / ESC[row;colH, ESC[nD, ESC[nC; other CSI sequences
 * are swallowed. Other non-printable bytes are shown as '?'.
 */
#ifndef DRIVERS_FBCON_H
#define DRIVERS_FBCON_H

#include <stddef.h>
#include <stdint.h>

struct boot_framebuffer;

/* fb_virt: the framebuffer mapped in the kernel (write-combining or uncached).
 * Returns 0, or -1 when the framebuffer is unusable (format NONE, too small, NULL). */
int fbcon_init(volatile uint32_t *fb_virt, const struct boot_framebuffer *fb);
void fbcon_write(const char *s, size_t n);   /* no-op before a successful init */
void fbcon_clear(void);                      /* blank screen, cursor home */
unsigned fbcon_cols(void);                   /* 0 before a successful init */
unsigned fbcon_rows(void);

#endif
