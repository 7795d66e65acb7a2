/*
 * Host tests: capture what the code under test prints (its kprintf goes to
 * stdout through tests/unit/stub_console.c) into `out`, and assert on it.
 * Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_CAPTURE_H
#define TESTS_UNIT_CAPTURE_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char out[65536];

struct capture {
	int saved;
	FILE *tmp;
};

static inline void capture_begin(struct capture *c)
{
	fflush(stdout);
	c->saved = dup(STDOUT_FILENO);
	c->tmp = tmpfile();
	assert_true(c->saved >= 0 && c->tmp);
	dup2(fileno(c->tmp), STDOUT_FILENO);
}

/* Restores stdout; what was printed is in out, NUL-terminated. */
static inline void capture_end(struct capture *c)
{
	fflush(stdout);
	dup2(c->saved, STDOUT_FILENO);
	close(c->saved);
	rewind(c->tmp);
	size_t n = fread(out, 1, sizeof(out) - 1, c->tmp);
	out[n] = 0;
	fclose(c->tmp);
}

#define expect_msg(s)                                                                    \
	do {                                                                             \
		if (!strstr(out, (s)))                                                   \
			fail_msg("messages lack \"%s\"; they were:\n%s", (s), out);      \
	} while (0)
#define expect_no_msg(s)                                                                 \
	do {                                                                             \
		if (strstr(out, (s)))                                                    \
			fail_msg("messages have \"%s\"; they were:\n%s", (s), out);      \
	} while (0)

#endif
