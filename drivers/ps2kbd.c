/*
 * i8042 PS/2 controller and keyboard, polled (interface in ps2kbd.h).
 *
 * The controller stays in translation mode, so whatever scan code set the
 * keyboard speaks reaches us as set 1 and one table serves every keyboard.
 * IRQs are switched off because the console polls ps2kbd_getc; bytes from
 * the second port (a mouse) are read and dropped. The keyboard itself is not
 * reset: the firmware left it scanning, and a reset costs hundreds of ms.
 * Commands and bits are those of the IBM PC/AT 8042 interface.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/io.h"
#include "drivers/ps2kbd.h"

#define PS2_DATA    0x60 /* read: the byte from a device or controller command */
#define PS2_STATUS  0x64 /* read */
#define PS2_COMMAND 0x64 /* write */

#define STATUS_OUT_FULL 0x01 /* a byte waits at PS2_DATA */
#define STATUS_IN_FULL  0x02 /* the controller has not taken our last byte yet */
#define STATUS_AUX      0x20 /* the waiting byte is from the second port (mouse) */
#define STATUS_NO_CHIP  0xff /* what reading an unclaimed I/O port returns */

#define CMD_READ_CONFIG   0x20
#define CMD_WRITE_CONFIG  0x60 /* the next byte written to PS2_DATA is the config */
#define CMD_DISABLE_PORT2 0xa7
#define CMD_SELF_TEST     0xaa /* answers SELF_TEST_OK; may reset the config byte */
#define CMD_DISABLE_PORT1 0xad
#define CMD_ENABLE_PORT1  0xae
#define SELF_TEST_OK      0x55

#define CONFIG_PORT1_IRQ       0x01
#define CONFIG_PORT2_IRQ       0x02
#define CONFIG_PORT1_CLOCK_OFF 0x10
#define CONFIG_TRANSLATE       0x40 /* set 2 -> set 1 translation */

#define PS2_TIMEOUT    100000 /* polls of ~1 us (io_delay): about 100 ms per wait */
#define PS2_FLUSH_MAX  32     /* stale bytes to drop: the keyboard buffers ~16 keys */
#define PS2_POLL_MAX   16     /* bytes one ps2kbd_getc may consume looking for a key */
#define PS2_QUEUE      8      /* power of two, >= PS2KBD_MAX_OUT: refilled only when empty */

/* Scan code set 1 (IBM PC/XT key numbers) */
#define SC_BREAK      0x80 /* bit 7: key released */
#define SC_PREFIX_E0  0xe0 /* next byte is an extended key */
#define SC_PREFIX_E1  0xe1 /* Pause; its bytes are harmless when read as plain keys */
#define SC_CTRL       0x1d /* left; E0 1D is right */
#define SC_LSHIFT     0x2a /* E0 2A / E0 36 are "fake shifts" sent around PrtSc etc. */
#define SC_RSHIFT     0x36
#define SC_CAPS       0x3a
#define SC_KEYPAD_7   0x47 /* keypad 0x47-0x53 (without E0), read as with Num Lock on */
#define SC_KEYPAD_DOT 0x53

/* Main block, 0x00-0x39, unshifted and shifted; 0 = no character (modifiers, unused). */
static const char kbd_plain[] =
	"\0\x1b" "1234567890-=\b\t"
	"qwertyuiop[]\r\0"
	"asdfghjkl;'`\0\\"
	"zxcvbnm,./\0*\0 ";
static const char kbd_shifted[] =
	"\0\x1b" "!@#$%^&*()_+\b\t"
	"QWERTYUIOP{}\r\0"
	"ASDFGHJKL:\"~\0|"
	"ZXCVBNM<>?\0*\0 ";
static const char kbd_keypad[] = "789-456+1230.";
_Static_assert(sizeof(kbd_plain) == SC_CAPS + 1, "main table covers 0x00-0x39");
_Static_assert(sizeof(kbd_shifted) == sizeof(kbd_plain), "shifted table matches");
_Static_assert(sizeof(kbd_keypad) == SC_KEYPAD_DOT - SC_KEYPAD_7 + 2, "keypad table");

/* E0-prefixed keys, sent as a VT100/xterm terminal would send them. */
static const struct {
	uint8_t key;
	const char *seq;
} kbd_extended[] = {
	{ 0x48, "\x1b[A" }, /* up */
	{ 0x50, "\x1b[B" }, /* down */
	{ 0x4d, "\x1b[C" }, /* right */
	{ 0x4b, "\x1b[D" }, /* left */
	{ 0x47, "\x1b[H" }, /* home */
	{ 0x4f, "\x1b[F" }, /* end */
	{ 0x53, "\x1b[3~" }, /* delete */
	{ 0x1c, "\r" },     /* keypad enter */
	{ 0x35, "/" },      /* keypad / */
};

static bool ps2_present;
static struct ps2kbd_state ps2_state;
static char ps2_queue[PS2_QUEUE];
static unsigned ps2_head, ps2_tail; /* free-running: head - tail bytes are queued */

/* Returns true when a modifier key took the byte. */
static bool ps2kbd_modifier(struct ps2kbd_state *st, uint8_t key, bool down, bool e0)
{
	switch (key) {
	case SC_CTRL:
		st->ctrl = down;
		return true;
	case SC_LSHIFT:
	case SC_RSHIFT:
		if (!e0)
			st->shift = down;
		return true;
	case SC_CAPS:
		if (down && !st->caps_down)
			st->caps = !st->caps;
		st->caps_down = down;
		return true;
	}
	return false;
}

static int ps2kbd_extended(uint8_t key, char out[PS2KBD_MAX_OUT])
{
	for (size_t i = 0; i < sizeof(kbd_extended) / sizeof(kbd_extended[0]); i++) {
		if (kbd_extended[i].key != key)
			continue;
		int n = 0;
		for (const char *p = kbd_extended[i].seq; *p; p++)
			out[n++] = *p;
		return n;
	}
	return 0;
}

static int ps2kbd_plain(const struct ps2kbd_state *st, uint8_t key, char out[PS2KBD_MAX_OUT])
{
	char c;

	if (key < SC_CAPS)
		c = (st->shift ? kbd_shifted : kbd_plain)[key];
	else if (key >= SC_KEYPAD_7 && key <= SC_KEYPAD_DOT)
		c = kbd_keypad[key - SC_KEYPAD_7];
	else
		return 0; /* function keys, Num/Scroll Lock, keys we do not map */
	if (c == 0)
		return 0;
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') { /* ASCII: 0x20 is the case bit */
		if (st->caps)
			c ^= 0x20;
		if (st->ctrl)
			c &= 0x1f; /* Ctrl+A = 0x01 ... Ctrl+Z = 0x1a */
	}
	out[0] = c;
	return 1;
}

int ps2kbd_translate(struct ps2kbd_state *st, uint8_t scancode, char out[PS2KBD_MAX_OUT])
{
	bool e0 = st->e0;
	uint8_t key = scancode & (uint8_t)~SC_BREAK;
	bool down = !(scancode & SC_BREAK);

	st->e0 = scancode == SC_PREFIX_E0;
	if (scancode == SC_PREFIX_E0 || scancode == SC_PREFIX_E1)
		return 0;
	if (ps2kbd_modifier(st, key, down, e0) || !down)
		return 0;
	return e0 ? ps2kbd_extended(key, out) : ps2kbd_plain(st, key, out);
}

/* Bounded wait until (status & mask) == want. */
static bool ps2_wait(uint8_t mask, uint8_t want)
{
	for (int i = 0; i < PS2_TIMEOUT; i++) {
		if ((inb(PS2_STATUS) & mask) == want)
			return true;
		io_delay();
	}
	return false;
}

static bool ps2_command(uint8_t cmd)
{
	if (!ps2_wait(STATUS_IN_FULL, 0))
		return false;
	outb(PS2_COMMAND, cmd);
	return true;
}

static bool ps2_write_data(uint8_t v)
{
	if (!ps2_wait(STATUS_IN_FULL, 0))
		return false;
	outb(PS2_DATA, v);
	return true;
}

static int ps2_read_data(void)
{
	if (!ps2_wait(STATUS_OUT_FULL, STATUS_OUT_FULL))
		return -1;
	return inb(PS2_DATA);
}

static void ps2_flush(void)
{
	for (int i = 0; i < PS2_FLUSH_MAX && (inb(PS2_STATUS) & STATUS_OUT_FULL); i++) {
		(void)inb(PS2_DATA);
		io_delay();
	}
}

/* Interrupts off (we poll), translation on, first port's clock running. */
static bool ps2_setup_config(void)
{
	int cfg;

	if (!ps2_command(CMD_READ_CONFIG) || (cfg = ps2_read_data()) < 0)
		return false;
	cfg &= ~(CONFIG_PORT1_IRQ | CONFIG_PORT2_IRQ | CONFIG_PORT1_CLOCK_OFF);
	cfg |= CONFIG_TRANSLATE;
	return ps2_command(CMD_WRITE_CONFIG) && ps2_write_data((uint8_t)cfg);
}

int ps2kbd_init(void)
{
	if (inb(PS2_STATUS) == STATUS_NO_CHIP)
		return -1;
	/* Quiet both ports so no key press lands among the command replies. */
	if (!ps2_command(CMD_DISABLE_PORT1) || !ps2_command(CMD_DISABLE_PORT2))
		return -1;
	ps2_flush();
	if (!ps2_command(CMD_SELF_TEST) || ps2_read_data() != SELF_TEST_OK)
		return -1;
	if (!ps2_setup_config() || !ps2_command(CMD_ENABLE_PORT1))
		return -1;
	ps2_state = (struct ps2kbd_state){ 0 };
	ps2_head = ps2_tail = 0;
	ps2_present = true;
	return 0;
}

int ps2kbd_getc(void)
{
	if (!ps2_present)
		return -1;
	for (int i = 0; i < PS2_POLL_MAX && ps2_head == ps2_tail; i++) {
		uint8_t status = inb(PS2_STATUS);
		if (!(status & STATUS_OUT_FULL))
			break;
		uint8_t byte = inb(PS2_DATA);
		if (status & STATUS_AUX)
			continue;
		char out[PS2KBD_MAX_OUT];
		int n = ps2kbd_translate(&ps2_state, byte, out);
		for (int j = 0; j < n; j++)
			ps2_queue[ps2_head++ % PS2_QUEUE] = out[j];
	}
	if (ps2_head == ps2_tail)
		return -1;
	return (uint8_t)ps2_queue[ps2_tail++ % PS2_QUEUE];
}
