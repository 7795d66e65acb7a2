/*
 * Shell line parsing: a line holds commands separated by unquoted ';'; a
 * command is words separated by blanks. "double" and 'single' quotes group
 * words; a backslash outside single quotes takes the next byte literally.
 * $? (outside single quotes) stands for the previous command's status.
 */
#ifndef KERNEL_SHELL_PARSE_H
#define KERNEL_SHELL_PARSE_H

#include <stddef.h>

#define SHELL_MAX_ARGS 32
#define SHELL_LINE_MAX 512

struct shell_cmd {
	int argc;
	char *argv[SHELL_MAX_ARGS + 1]; /* argv[argc] == NULL */
	char buf[SHELL_LINE_MAX + 16];
};

/* Parses the command starting at *line, advancing *line past its ';' (or to
 * the end). Returns argc (0 for an empty command), or -1 with *err set. */
int shell_parse_next(const char **line, struct shell_cmd *cmd, int last_status, const char **err);

#endif
