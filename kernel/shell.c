/*
 * Shell loop and the built-in commands of the core kernel. A line is parsed
 * by shell_parse, edited by lineedit; each command returns a status, which
 * $? expands to (so a script can end with `poweroff $?`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/io.h"
#include "kernel/console.h"
#include "kernel/lineedit.h"
#include "kernel/shell.h"
#include "kernel/shell_parse.h"
#include "kernel/smp.h"
#include "kernel/time.h"

#define PROMPT "> "
#define STATUS_NOT_FOUND 127

extern const struct shell_command __shell_cmds_start[], __shell_cmds_end[];

static int last_status;

static const struct shell_command *find(const char *name)
{
	for (const struct shell_command *c = __shell_cmds_start; c < __shell_cmds_end; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int shell_usage(const char *name)
{
	const struct shell_command *c = find(name);
	printf("usage: %s %s\n", name, c ? c->usage : "");
	return SHELL_USAGE;
}

int shell_exec_line(const char *line)
{
	static struct shell_cmd cmd; /* the shell runs on one CPU; keeps 600 bytes off the stack */
	const char *err;
	while (*line) {
		int argc = shell_parse_next(&line, &cmd, last_status, &err);
		if (argc < 0) {
			printf("shell: %s\n", err);
			return last_status = SHELL_USAGE;
		}
		if (argc == 0)
			continue;
		const struct shell_command *c = find(cmd.argv[0]);
		if (!c) {
			printf("%s: command not found (try 'help')\n", cmd.argv[0]);
			last_status = STATUS_NOT_FOUND;
			continue;
		}
		last_status = c->fn(argc, cmd.argv);
		fflush(stdout);
	}
	return last_status;
}

static void echo_console(const char *s, size_t n, void *arg)
{
	(void)arg;
	console_write(s, n);
}

_Noreturn void shell_run(const char *script)
{
	static struct lineedit le;
	printf("ready in %llu ms\n", (unsigned long long)(uptime_ns() / 1000000));
	if (script && *script) {
		printf("autorun: %s\n", script);
		shell_exec_line(script);
	}
	lineedit_init(&le, echo_console, NULL);
	for (;;) {
		printf(PROMPT);
		fflush(stdout);
		lineedit_reset(&le);
		enum le_result r;
		do {
			int ch;
			while ((ch = console_getc()) < 0)
				cpu_idle();
			r = lineedit_feed(&le, ch);
		} while (r == LE_CONTINUE);
		if (r == LE_DONE)
			shell_exec_line(le.line);
	}
}

/* ---- built-in commands ---- */

static int cmp_cmd(const void *a, const void *b)
{
	return strcmp((*(const struct shell_command *const *)a)->name,
		      (*(const struct shell_command *const *)b)->name);
}

static int cmd_help(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return shell_usage("help");
	size_t n = (size_t)(__shell_cmds_end - __shell_cmds_start);
	const struct shell_command **v = malloc(n * sizeof(*v));
	if (!v)
		return 1;
	for (size_t i = 0; i < n; i++)
		v[i] = &__shell_cmds_start[i];
	qsort(v, n, sizeof(*v), cmp_cmd);
	for (size_t i = 0; i < n; i++) {
		char head[48];
		snprintf(head, sizeof(head), "%s %s", v[i]->name, v[i]->usage);
		printf("  %-28s %s\n", head, v[i]->help);
	}
	free(v);
	return 0;
}
SHELL_COMMAND(help, "help", "", "list the commands", cmd_help);

static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	printf("\n");
	return 0;
}
SHELL_COMMAND(echo, "echo", "[word...]", "print the words", cmd_echo);

static int cmd_uptime(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return shell_usage("uptime");
	uint64_t ms = uptime_ns() / 1000000;
	printf("up %llu.%03llu s\n", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
	return 0;
}
SHELL_COMMAND(uptime, "uptime", "", "time since the loader started", cmd_uptime);

#define SLEEP_MAX_S 3600

/* Sleeps in hlt (the boot CPU's tick wakes it), so other work keeps running. */
static int cmd_sleep(int argc, char **argv)
{
	char *end;
	double s = argc == 2 ? strtod(argv[1], &end) : -1;
	if (argc != 2 || end == argv[1] || *end || !(s >= 0 && s <= SLEEP_MAX_S))
		return shell_usage("sleep");
	uint64_t until = uptime_ns() + (uint64_t)(s * 1e9);
	while (uptime_ns() < until)
		cpu_idle();
	return 0;
}
SHELL_COMMAND(sleep, "sleep", "SECONDS", "wait (decimals allowed, up to 3600), halted between timer ticks", cmd_sleep);
