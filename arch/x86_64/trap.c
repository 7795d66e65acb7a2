/*
 * Trap dispatch: exceptions are fatal in this kernel (no user mode, no demand
 * paging), so vectors 0-31 go to panic_trap with the frame; other vectors run
 * the handler registered for them, or are counted as spurious.
 */
#include <stddef.h>

#include "arch/x86_64/trap.h"
#include "kernel/panic.h"

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved 15", "x87 floating point", "alignment check",
	"machine check", "SIMD floating point", "virtualization", "control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "hypervisor injection", "VMM communication", "security", "reserved 31",
};

static struct {
	trap_handler_t fn;
	void *arg;
} handlers[256];

unsigned long trap_spurious;

const char *trap_name(unsigned vector)
{
	return vector < 32 ? exception_names[vector] : "interrupt";
}

void trap_set_handler(unsigned vector, trap_handler_t fn, void *arg)
{
	handlers[vector & 255].arg = arg;
	handlers[vector & 255].fn = fn;
}

void trap_dispatch(struct trap_frame *f)
{
	unsigned v = f->vector & 255;
	if (handlers[v].fn) {
		handlers[v].fn(f, handlers[v].arg);
		return;
	}
	if (v == TRAP_NMI && panic_in_progress())
		panic_halt_here();
	if (v < TRAP_FIRST_IRQ)
		panic_trap(f);
	trap_spurious++;
}
