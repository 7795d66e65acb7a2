/* Kernel command-line parsing: keys, flags, quotes, escapes, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/cmdline.h"

static struct cmdline c;

static void test_keys_and_flags(void **state)
{
	(void)state;
	const char *err;
	assert_int_equal(cmdline_parse(&c, "  quiet smp=4  nvme.poll_queues=2 ", &err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(cmdline_lookup(&c, "quiet"), "");
	assert_string_equal(cmdline_lookup(&c, "smp"), "4");
	assert_string_equal(cmdline_lookup(&c, "nvme.poll_queues"), "2");
	assert_null(cmdline_lookup(&c, "sm"));
}

static void test_quoted_autorun(void **state)
{
	(void)state;
	const char *err;
	assert_int_equal(cmdline_parse(&c, "autorun=\"echo a b; poweroff 3\" x=1", &err), 0);
	assert_string_equal(cmdline_lookup(&c, "autorun"), "echo a b; poweroff 3");
	assert_string_equal(cmdline_lookup(&c, "x"), "1");
	assert_int_equal(cmdline_parse(&c, "k=\"say \\\"hi\\\" \\\\ ok\"", &err), 0);
	assert_string_equal(cmdline_lookup(&c, "k"), "say \"hi\" \\ ok");
	assert_int_equal(cmdline_parse(&c, "k=a=b", &err), 0); /* '=' inside a value */
	assert_string_equal(cmdline_lookup(&c, "k"), "a=b");
}

static void test_last_wins(void **state)
{
	(void)state;
	const char *err;
	assert_int_equal(cmdline_parse(&c, "a=1 a=2", &err), 0);
	assert_string_equal(cmdline_lookup(&c, "a"), "2");
}

static void test_errors(void **state)
{
	(void)state;
	const char *err;
	assert_int_equal(cmdline_parse(&c, "good=1 autorun=\"echo", &err), -1);
	assert_string_equal(err, "unterminated quote");
	assert_string_equal(cmdline_lookup(&c, "good"), "1"); /* the prefix is kept */
	assert_int_equal(cmdline_parse(&c, "=5", &err), -1);
	assert_string_equal(err, "empty key before '='");
	char many[512] = "";
	for (int i = 0; i < CMDLINE_MAX_KEYS + 1; i++)
		strcat(many, "k ");
	assert_int_equal(cmdline_parse(&c, many, &err), -1);
	assert_string_equal(err, "too many keys");
	assert_int_equal(cmdline_parse(&c, "", &err), 0);
	assert_int_equal(c.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_flags),
		cmocka_unit_test(test_quoted_autorun),
		cmocka_unit_test(test_last_wins),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
