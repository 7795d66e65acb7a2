/* blk/gpt.c reports through the kernel's kprintf: on the host, stderr, and
 * only when TFS_VERBOSE is set (the tools' own messages say what matters). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/console.h"

int kprintf(const char *fmt, ...)
{
	if (!getenv("TFS_VERBOSE"))
		return 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}
