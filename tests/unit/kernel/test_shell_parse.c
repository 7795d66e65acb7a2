/* Shell parsing: ';' splitting, quotes, escapes, $?, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/shell_parse.h"

static struct shell_cmd cmd;

static void test_split_commands(void **state)
{
	(void)state;
	const char *line = "echo a  b ; mem;;uptime", *err;
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), 3);
	assert_string_equal(cmd.argv[0], "echo");
	assert_string_equal(cmd.argv[2], "b");
	assert_null(cmd.argv[3]);
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), 1);
	assert_string_equal(cmd.argv[0], "mem");
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), 0); /* empty between ;; */
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), 1);
	assert_string_equal(cmd.argv[0], "uptime");
	assert_int_equal(*line, '\0');
}

static void test_quotes(void **state)
{
	(void)state;
	const char *line = "echo \"a; b\" 'c \"d\"' e\\ f x\"y z\"", *err;
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), 5);
	assert_string_equal(cmd.argv[1], "a; b");
	assert_string_equal(cmd.argv[2], "c \"d\"");
	assert_string_equal(cmd.argv[3], "e f");
	assert_string_equal(cmd.argv[4], "xy z");
	line = "echo ''";
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), 2);
	assert_string_equal(cmd.argv[1], "");
}

static void test_status(void **state)
{
	(void)state;
	const char *line = "poweroff $? '$?' st=$? \"[$?]\" $", *err;
	assert_int_equal(shell_parse_next(&line, &cmd, 42, &err), 6);
	assert_string_equal(cmd.argv[1], "42");
	assert_string_equal(cmd.argv[2], "$?"); /* single quotes keep it literal */
	assert_string_equal(cmd.argv[3], "st=42");
	assert_string_equal(cmd.argv[4], "[42]");
	assert_string_equal(cmd.argv[5], "$");
}

static void test_errors(void **state)
{
	(void)state;
	const char *line = "echo \"open", *err;
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), -1);
	assert_string_equal(err, "unterminated quote");
	char many[256] = "x";
	for (int i = 0; i < SHELL_MAX_ARGS; i++)
		strcat(many, " a");
	line = many;
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), -1);
	assert_string_equal(err, "too many arguments");
	char big[SHELL_LINE_MAX * 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	line = big;
	assert_int_equal(shell_parse_next(&line, &cmd, 0, &err), -1);
	assert_string_equal(err, "line too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_commands),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
