/* Shell word splitting; grammar in shell_parse.h. */
#include <stdio.h>

#include "kernel/shell_parse.h"

static int put(struct shell_cmd *c, size_t *n, char ch)
{
	if (*n >= sizeof(c->buf) - 1)
		return -1;
	c->buf[(*n)++] = ch;
	return 0;
}

int shell_parse_next(const char **line, struct shell_cmd *c, int last_status, const char **err)
{
	const char *s = *line;
	size_t n = 0;
	char quote = 0;
	int in_word = 0;
	c->argc = 0;
	*err = NULL;
	for (;; s++) {
		char ch = *s;
		int end = !ch || (!quote && ch == ';');
		if (end || (!quote && (ch == ' ' || ch == '\t'))) {
			if (in_word) {
				if (put(c, &n, '\0'))
					goto too_long;
				in_word = 0;
			}
			if (end)
				break;
			continue;
		}
		if (!in_word) {
			if (c->argc == SHELL_MAX_ARGS) {
				*err = "too many arguments";
				return -1;
			}
			c->argv[c->argc++] = c->buf + n;
			in_word = 1;
		}
		if (quote && ch == quote) {
			quote = 0;
		} else if (!quote && (ch == '"' || ch == '\'')) {
			quote = ch;
		} else if (ch == '$' && s[1] == '?' && quote != '\'') {
			char num[12];
			snprintf(num, sizeof(num), "%d", last_status);
			for (char *d = num; *d; d++)
				if (put(c, &n, *d))
					goto too_long;
			s++;
		} else if (ch == '\\' && quote != '\'' && s[1]) {
			if (put(c, &n, *++s))
				goto too_long;
		} else if (put(c, &n, ch)) {
			goto too_long;
		}
	}
	if (quote) {
		*err = "unterminated quote";
		return -1;
	}
	*line = *s ? s + 1 : s;
	c->argv[c->argc] = NULL;
	return c->argc;
too_long:
	*err = "line too long";
	return -1;
}
