/*
 * PS/2 keyboard behind the i8042 controller, polled, US layout.
 *
 * Contract: ps2kbd_getc returns the same bytes a serial terminal would send
 * (Enter '\r', Backspace '\b', Ctrl+letter 0x01-0x1a, arrows and Home/End/
 * Delete as ANSI escape sequences), so the shell reads both alike. It does
 * nothing until ps2kbd_init succeeds. ps2kbd_translate is the pure part:
 * scan code set 1 in, bytes out, no hardware.
 */
#ifndef DRIVERS_PS2KBD_H
#define DRIVERS_PS2KBD_H

#include <stdbool.h>
#include <stdint.h>

#define PS2KBD_MAX_OUT 4 /* longest translation: "\x1b[3~" */

/* Start zeroed (= {0}): no modifier held, caps lock off. */
struct ps2kbd_state {
	bool shift, ctrl, caps, e0; /* e0: the previous byte was the 0xE0 prefix */
	bool caps_down;             /* caps lock key held: its typematic repeats must not toggle */
};

int ps2kbd_init(void);   /* 0 if a controller/keyboard answered, -1 if absent */
int ps2kbd_getc(void);   /* non-blocking: next input byte, or -1 */

/* Feed one scan code set 1 byte; writes 0..PS2KBD_MAX_OUT bytes to out and
 * returns how many. Break codes only update the modifiers in st. */
int ps2kbd_translate(struct ps2kbd_state *st, uint8_t scancode, char out[PS2KBD_MAX_OUT]);

#endif
