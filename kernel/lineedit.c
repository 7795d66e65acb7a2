/* The shell's line editor; behaviour in lineedit.h. */
#include <string.h>

#include "kernel/lineedit.h"

#define CTRL(c) ((c) & 0x1f)
#define ESC 0x1b
#define DEL 0x7f

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

static void echo(struct lineedit *le, const char *s, size_t n)
{
	if (le->echo)
		le->echo(s, n, le->echo_arg);
}

void lineedit_init(struct lineedit *le, void (*fn)(const char *, size_t, void *), void *arg)
{
	memset(le, 0, sizeof(*le));
	le->echo = fn;
	le->echo_arg = arg;
}

void lineedit_reset(struct lineedit *le)
{
	le->len = 0;
	le->line[0] = '\0';
	le->hist_pos = 0;
	le->esc = ESC_NONE;
}

static void replace_line(struct lineedit *le, const char *s)
{
	while (le->len) {
		echo(le, "\b \b", 3);
		le->len--;
	}
	le->len = strlen(s);
	memcpy(le->line, s, le->len + 1);
	echo(le, le->line, le->len);
}

static const char *history_entry(const struct lineedit *le, unsigned k)
{
	return le->history[(le->hist_head + HISTORY_LEN - k) % HISTORY_LEN];
}

static void history_move(struct lineedit *le, int older)
{
	unsigned pos = le->hist_pos;
	if (older && pos < le->hist_count)
		pos++;
	else if (!older && pos > 0)
		pos--;
	else
		return;
	le->hist_pos = pos;
	replace_line(le, pos ? history_entry(le, pos) : "");
}

static void history_add(struct lineedit *le)
{
	if (le->len == 0 || (le->hist_count && strcmp(history_entry(le, 1), le->line) == 0))
		return;
	memcpy(le->history[le->hist_head], le->line, le->len + 1);
	le->hist_head = (le->hist_head + 1) % HISTORY_LEN;
	if (le->hist_count < HISTORY_LEN)
		le->hist_count++;
}

/* Returns 1 while the byte belongs to an escape sequence. */
static int escape(struct lineedit *le, int ch)
{
	switch (le->esc) {
	case ESC_START:
		le->esc = ch == '[' ? ESC_CSI : ch == 'O' ? ESC_SS3 : ESC_NONE;
		return 1;
	case ESC_CSI:
	case ESC_SS3:
		if (ch >= 0x40 && ch <= 0x7e) { /* final byte */
			le->esc = ESC_NONE;
			if (ch == 'A' || ch == 'B')
				history_move(le, ch == 'A');
		}
		return 1;
	}
	return 0;
}

enum le_result lineedit_feed(struct lineedit *le, int ch)
{
	int after_cr = le->prev_cr;
	le->prev_cr = ch == '\r';
	if (escape(le, ch))
		return LE_CONTINUE;
	if (ch == '\n' && after_cr) /* CR LF from a terminal ends one line, not two */
		return LE_CONTINUE;
	if (ch == '\r' || ch == '\n') {
		echo(le, "\n", 1);
		history_add(le);
		return LE_DONE;
	}
	if (ch == ESC) {
		le->esc = ESC_START;
	} else if (ch == '\b' || ch == DEL) {
		if (le->len) {
			le->line[--le->len] = '\0';
			echo(le, "\b \b", 3);
		}
	} else if (ch == CTRL('c')) {
		echo(le, "^C\n", 3);
		return LE_CANCEL;
	} else if (ch == CTRL('u')) {
		replace_line(le, "");
	} else if (ch >= ' ' && ch < DEL && le->len < LINE_MAX_LEN - 1) {
		le->line[le->len++] = (char)ch;
		le->line[le->len] = '\0';
		char c = (char)ch;
		echo(le, &c, 1);
	}
	return LE_CONTINUE;
}
