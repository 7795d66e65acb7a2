/*
 * Line editor for the shell: fed one input byte at a time, it keeps the line,
 * echoes through a callback, and recalls history with the up/down arrows.
 * Understands: printable bytes, backspace/DEL, Enter (CR or LF), Ctrl-C
 * (cancel), Ctrl-U (clear), ESC [ A / ESC [ B (and ESC O A/B) for history;
 * other escape sequences are swallowed. Pure logic: tested on the host.
 */
#ifndef KERNEL_LINEEDIT_H
#define KERNEL_LINEEDIT_H

#include <stddef.h>

#define LINE_MAX_LEN 256
#define HISTORY_LEN 16

enum le_result { LE_CONTINUE, LE_DONE, LE_CANCEL };

struct lineedit {
	char line[LINE_MAX_LEN];
	size_t len;
	char history[HISTORY_LEN][LINE_MAX_LEN];
	unsigned hist_count;  /* entries stored, <= HISTORY_LEN */
	unsigned hist_head;   /* slot the next entry goes to */
	unsigned hist_pos;    /* 0 = editing a new line, k = k-th most recent */
	int esc;              /* escape-sequence state */
	int prev_cr;          /* the last byte was CR */
	void (*echo)(const char *s, size_t n, void *arg);
	void *echo_arg;
};

void lineedit_init(struct lineedit *le, void (*echo)(const char *, size_t, void *), void *arg);
/* Starts a new line (after LE_DONE / LE_CANCEL). */
void lineedit_reset(struct lineedit *le);
enum le_result lineedit_feed(struct lineedit *le, int ch);

#endif
