/*
 * Trap dispatch: exceptions are fatal in this kernel (no user mode, no demand
 * paging), so vectors 0-31 go to panic_trap with the frame, except the NMI
 * that stops a CPU while another panics; vectors 32-255 are interrupts
 * (kernel/irq.c).
 */
#include <stddef.h>

#include "arch/x86_64/trap.h"
#include "kernel/irq.h"
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

const char *trap_name(unsigned vector)
{
	return vector < 32 ? exception_names[vector] : "interrupt";
}

void trap_dispatch(struct trap_frame *f)
{
	unsigned v = f->vector & 255;
	if (v >= TRAP_FIRST_IRQ) {
		irq_dispatch(f);
		return;
	}
	if (v == TRAP_NMI && panic_in_progress()) /* smp_stop_others: another CPU panicked */
		panic_halt_here();
	panic_trap(f);
}
