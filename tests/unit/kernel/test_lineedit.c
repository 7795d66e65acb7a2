/* The line editor: typing, backspace, history with arrow keys, CR LF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/lineedit.h"

static char echoed[1024];
static size_t echoed_len;

static void capture(const char *s, size_t n, void *arg)
{
	(void)arg;
	memcpy(echoed + echoed_len, s, n);
	echoed_len += n;
	echoed[echoed_len] = '\0';
}

static enum le_result type(struct lineedit *le, const char *s)
{
	enum le_result r = LE_CONTINUE;
	while (*s)
		r = lineedit_feed(le, (unsigned char)*s++);
	return r;
}

static struct lineedit le;

static void setup_le(void)
{
	lineedit_init(&le, capture, NULL);
	lineedit_reset(&le);
	echoed_len = 0;
}

static void test_typing_and_backspace(void **state)
{
	(void)state;
	setup_le();
	assert_int_equal(type(&le, "mex\bm"), LE_CONTINUE);
	assert_string_equal(le.line, "mem");
	assert_string_equal(echoed, "mex\b \bm");
	lineedit_feed(&le, 0x7f); /* DEL erases too */
	assert_string_equal(le.line, "me");
	assert_int_equal(type(&le, "\b\b\b\b"), LE_CONTINUE); /* extra backspaces are harmless */
	assert_string_equal(le.line, "");
	assert_int_equal(type(&le, "ok\r"), LE_DONE);
	assert_string_equal(le.line, "ok");
}

static void test_history(void **state)
{
	(void)state;
	setup_le();
	const char *cmds[] = { "one\r", "two\r", "three\r" };
	for (int i = 0; i < 3; i++) {
		lineedit_reset(&le);
		assert_int_equal(type(&le, cmds[i]), LE_DONE);
	}
	lineedit_reset(&le);
	type(&le, "\x1b[A");
	assert_string_equal(le.line, "three");
	type(&le, "\x1b[A\x1b[A\x1b[A"); /* past the oldest stays at the oldest */
	assert_string_equal(le.line, "one");
	type(&le, "\x1bOB"); /* SS3 form of down */
	assert_string_equal(le.line, "two");
	type(&le, "\x1b[B\x1b[B");
	assert_string_equal(le.line, "");
	type(&le, "\x1b[C\x1b[3~x"); /* other sequences are swallowed */
	assert_string_equal(le.line, "x");
}

static void test_crlf_and_cancel(void **state)
{
	(void)state;
	setup_le();
	assert_int_equal(type(&le, "a\r"), LE_DONE);
	lineedit_reset(&le);
	assert_int_equal(lineedit_feed(&le, '\n'), LE_CONTINUE); /* LF of CR LF */
	assert_int_equal(type(&le, "b\n"), LE_DONE);
	lineedit_reset(&le);
	assert_int_equal(type(&le, "junk\x03"), LE_CANCEL);
	lineedit_reset(&le);
	type(&le, "abc\x15"); /* Ctrl-U */
	assert_string_equal(le.line, "");
}

static void test_length_limit(void **state)
{
	(void)state;
	setup_le();
	for (int i = 0; i < LINE_MAX_LEN + 10; i++)
		lineedit_feed(&le, 'a');
	assert_int_equal(strlen(le.line), LINE_MAX_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typing_and_backspace),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_crlf_and_cancel),
		cmocka_unit_test(test_length_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
