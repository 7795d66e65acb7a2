/* Host stand-in for the kernel console: kprintf prints to stdout so a test
 * can see the messages of the code under test. */
#include <stdarg.h>
#include <stdio.h>

#include "kernel/console.h"

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
