/*
 * ps2kbd_translate on the host: scan code set 1 bytes in, terminal bytes out.
 * Link with drivers/ps2kbd.c (its port I/O functions are never called here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/ps2kbd.h"

#define BRK(make) ((uint8_t)((make) | 0x80))
#define SC_A      0x1e
#define SC_C      0x2e
#define SC_Z      0x2c
#define SC_1      0x02
#define SC_QUOTE  0x28
#define SC_LSHIFT 0x2a
#define SC_RSHIFT 0x36
#define SC_CTRL   0x1d
#define SC_CAPS   0x3a
#define SC_E0     0xe0

/* Feed bytes, collect every output byte into a NUL-terminated string. */
static const char *feed(struct ps2kbd_state *st, const uint8_t *codes, size_t n)
{
	static char text[64];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		char out[PS2KBD_MAX_OUT + 4];
		memset(out, 0x55, sizeof(out));
		int k = ps2kbd_translate(st, codes[i], out);
		assert_in_range(k, 0, PS2KBD_MAX_OUT);
		for (size_t j = PS2KBD_MAX_OUT; j < sizeof(out); j++)
			assert_int_equal(out[j], 0x55); /* nothing written past out[3] */
		memcpy(text + len, out, (size_t)k);
		len += (size_t)k;
	}
	text[len] = '\0';
	return text;
}

#define FEED(st, ...) feed((st), (const uint8_t[]){ __VA_ARGS__ }, \
			   sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void test_plain_keys(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	assert_string_equal(FEED(&st, 0x23, 0x12, 0x26, 0x26, 0x18), "hello");
	assert_string_equal(FEED(&st, SC_1, 0x0b, 0x0c, 0x0d), "10-=");
	assert_string_equal(FEED(&st, 0x1a, 0x1b, 0x27, SC_QUOTE, 0x29, 0x2b), "[];'`\\");
	assert_string_equal(FEED(&st, 0x33, 0x34, 0x35, 0x39, 0x37), ",./ *");
	assert_string_equal(FEED(&st, 0x1c, 0x0e, 0x0f, 0x01), "\r\b\t\x1b");
}

static void test_break_codes_print_nothing(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	assert_string_equal(FEED(&st, SC_A, BRK(SC_A), BRK(0x1c), BRK(0x39)), "a");
	assert_string_equal(FEED(&st, SC_E0, BRK(0x48), SC_E0, BRK(0x53)), "");
}

static void test_shift(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	assert_string_equal(FEED(&st, SC_LSHIFT, SC_A, SC_1, SC_QUOTE, 0x2b, 0x35), "A!\"|?");
	assert_true(st.shift);
	assert_string_equal(FEED(&st, BRK(SC_LSHIFT), SC_A), "a");
	assert_string_equal(FEED(&st, SC_RSHIFT, 0x0c, BRK(SC_RSHIFT), 0x0c), "_-");
}

static void test_caps_lock(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	assert_string_equal(FEED(&st, SC_CAPS, BRK(SC_CAPS), SC_A, SC_1), "A1");
	assert_true(st.caps);
	/* shift inverts caps lock for letters only */
	assert_string_equal(FEED(&st, SC_LSHIFT, SC_A, SC_1, BRK(SC_LSHIFT)), "a!");
	/* a held key repeats its make code: caps lock toggles once per press */
	assert_string_equal(FEED(&st, SC_CAPS, SC_CAPS, BRK(SC_CAPS), SC_A), "a");
	assert_false(st.caps);
}

static void test_ctrl(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	assert_string_equal(FEED(&st, SC_CTRL, SC_A), "\x01");
	assert_string_equal(FEED(&st, SC_C), "\x03");
	assert_string_equal(FEED(&st, SC_Z), "\x1a");
	/* with shift or caps lock too: still the control code */
	assert_string_equal(FEED(&st, SC_LSHIFT, SC_C, BRK(SC_LSHIFT)), "\x03");
	assert_string_equal(FEED(&st, BRK(SC_CTRL), SC_C), "c");
	/* right ctrl is E0 1D */
	assert_string_equal(FEED(&st, SC_E0, SC_CTRL, SC_C, SC_E0, BRK(SC_CTRL), SC_C), "\x03" "c");
	assert_false(st.ctrl);
}

static void test_extended_keys_send_ansi(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };
	char out[PS2KBD_MAX_OUT];

	assert_string_equal(FEED(&st, SC_E0, 0x48), "\x1b[A");
	assert_string_equal(FEED(&st, SC_E0, 0x50), "\x1b[B");
	assert_string_equal(FEED(&st, SC_E0, 0x4d), "\x1b[C");
	assert_string_equal(FEED(&st, SC_E0, 0x4b), "\x1b[D");
	assert_string_equal(FEED(&st, SC_E0, 0x47), "\x1b[H");
	assert_string_equal(FEED(&st, SC_E0, 0x4f), "\x1b[F");
	assert_int_equal(ps2kbd_translate(&st, SC_E0, out), 0);
	assert_int_equal(ps2kbd_translate(&st, 0x53, out), 4);
	assert_memory_equal(out, "\x1b[3~", 4);
	assert_string_equal(FEED(&st, SC_E0, 0x1c, SC_E0, 0x35), "\r/");
}

static void test_e0_applies_to_one_byte(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	assert_string_equal(FEED(&st, SC_E0), "");
	assert_true(st.e0);
	/* the same code without the prefix is the keypad */
	assert_string_equal(FEED(&st, 0x48, 0x48, 0x4b, 0x52, 0x53), "\x1b[A" "840.");
	assert_false(st.e0);
	/* E1 (Pause) does not leave a stale prefix either */
	assert_string_equal(FEED(&st, SC_E0, 0xe1, 0x48), "8");
}

static void test_fake_shifts_ignored(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	/* PrtSc sends E0 2A E0 37; its release E0 B7 E0 AA */
	assert_string_equal(FEED(&st, SC_E0, SC_LSHIFT, SC_E0, 0x37, SC_A), "a");
	assert_false(st.shift);
	assert_string_equal(FEED(&st, SC_LSHIFT, SC_E0, BRK(SC_LSHIFT), SC_A), "A");
}

static void test_unmapped_keys(void **state)
{
	(void)state;
	struct ps2kbd_state st = { 0 };

	/* F1, Num Lock, F12, left alt, E0 Insert, ACK from the keyboard */
	assert_string_equal(FEED(&st, 0x3b, 0x45, 0x58, 0x38, SC_E0, 0x52, 0xfa), "");
	assert_string_equal(FEED(&st, SC_A), "a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_keys),
		cmocka_unit_test(test_break_codes_print_nothing),
		cmocka_unit_test(test_shift),
		cmocka_unit_test(test_caps_lock),
		cmocka_unit_test(test_ctrl),
		cmocka_unit_test(test_extended_keys_send_ansi),
		cmocka_unit_test(test_e0_applies_to_one_byte),
		cmocka_unit_test(test_fake_shifts_ignored),
		cmocka_unit_test(test_unmapped_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
