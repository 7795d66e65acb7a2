/*
 * Command-line parsing (grammar in cmdline.h). Keys and values are copied
 * into the struct's own buffer, so the source string may go away.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/console.h"

static const char *word(struct cmdline *c, const char **sp, size_t *used, int in_value, const char **err)
{
	const char *s = *sp;
	char *out = c->buf + *used, *start = out, *lim = c->buf + sizeof(c->buf) - 1;
	int quoted = 0;
	while (*s && (quoted || *s != ' ') && (in_value || quoted || *s != '=')) {
		if (*s == '"') {
			quoted = !quoted;
			s++;
			continue;
		}
		if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		if (out == lim) {
			*err = "command line too long";
			return NULL;
		}
		*out++ = *s++;
	}
	if (quoted) {
		*err = "unterminated quote";
		return NULL;
	}
	*out++ = '\0';
	*used = (size_t)(out - c->buf);
	*sp = s;
	return start;
}

int cmdline_parse(struct cmdline *c, const char *s, const char **err)
{
	size_t used = 0;
	c->n = 0;
	*err = NULL;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (*s == '=') {
			*err = "empty key before '='";
			return -1;
		}
		if (c->n == CMDLINE_MAX_KEYS) {
			*err = "too many keys";
			return -1;
		}
		const char *k = word(c, &s, &used, 0, err), *v = "";
		if (!k)
			return -1;
		if (*s == '=') {
			s++;
			if (!(v = word(c, &s, &used, 1, err)))
				return -1;
		}
		c->key[c->n] = k;
		c->value[c->n++] = v;
	}
	return 0;
}

const char *cmdline_lookup(const struct cmdline *c, const char *key)
{
	const char *v = NULL;
	for (int i = 0; i < c->n; i++) /* the last one wins, as on Linux */
		if (strcmp(c->key[i], key) == 0)
			v = c->value[i];
	return v;
}

static struct cmdline kernel_cmdline;

void cmdline_init(const char *s)
{
	const char *err;
	if (cmdline_parse(&kernel_cmdline, s, &err) != 0)
		kprintf("cmdline: %s; using the keys before the error\n", err);
}

const char *cmdline_get(const char *key) { return cmdline_lookup(&kernel_cmdline, key); }

long cmdline_get_long(const char *key, long def)
{
	const char *v = cmdline_get(key);
	if (!v)
		return def;
	char *end;
	long n = strtol(v, &end, 0);
	if (!*v || *end) {
		kprintf("cmdline: %s=%s is not a number; using %ld\n", key, v, def);
		return def;
	}
	return n;
}
