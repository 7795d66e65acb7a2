/*
 * The shell: reads lines from the console, runs ';'-separated commands.
 * Commands register themselves with SHELL_COMMAND anywhere in the kernel; the
 * linker gathers them, so adding a command touches only its own file.
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

struct shell_command {
	const char *name;
	const char *usage; /* arguments, e.g. "[code]" */
	const char *help;  /* one line */
	int (*fn)(int argc, char **argv); /* returns the status: 0 ok */
};

#define SHELL_COMMAND(id, nm, use, hlp, func)                                          \
	static const struct shell_command shell_cmd_##id                                \
		__attribute__((used, section(".shell_cmds"), aligned(8))) = { nm, use, hlp, func }

/* Status for bad usage, as most Unix tools use. */
#define SHELL_USAGE 2

/* Runs the commands in 'script' (if any), then reads commands forever. */
_Noreturn void shell_run(const char *script);
/* Runs one line; returns the status of its last command. */
int shell_exec_line(const char *line);
/* Prints "usage: name args" for the command; returns SHELL_USAGE. */
int shell_usage(const char *name);

#endif
