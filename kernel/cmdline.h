/*
 * The kernel command line: space-separated `key=value` or bare `flag` words;
 * a value may be double-quoted to hold spaces and ';' (autorun="a; b").
 * Inside quotes, \" and \\ stand for " and \.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdint.h>

#include "kernel/console.h"

#define CMDLINE_MAX_KEYS 32
#define CMDLINE_BUF 1024

struct cmdline {
	int n;
	const char *key[CMDLINE_MAX_KEYS];
	const char *value[CMDLINE_MAX_KEYS]; /* "" for a bare flag */
	char buf[CMDLINE_BUF * 2];
};

/* Returns 0, or -1 with *err saying what is wrong (the parsed prefix is kept). */
int cmdline_parse(struct cmdline *c, const char *s, const char **err);
const char *cmdline_lookup(const struct cmdline *c, const char *key); /* NULL if absent */

/* The kernel's own command line, parsed once at boot. */
void cmdline_init(const char *s);
const char *cmdline_get(const char *key);
/* Integer value of key, or def when absent; a malformed value is reported and def used. */
long cmdline_get_long(const char *key, long def);

/* A numeric key within [lo, hi]; out of range: a message naming the key, and def. */
static inline long cmdline_get_range(const char *key, long def, long lo, long hi)
{
	long v = cmdline_get_long(key, def);
	if (v < lo || v > hi) {
		kprintf("cmdline: %s=%ld out of range %ld-%ld; using %ld\n", key, v, lo, hi, def);
		return def;
	}
	return v;
}

#endif
