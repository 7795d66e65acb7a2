/*
 * Traps and interrupts: the frame the assembly stubs build, and dispatch.
 * Vectors 0-31 are exceptions (fatal: they panic with a register dump);
 * 32-255 go to kernel/irq.c.
 */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

#define TRAP_DE  0
#define TRAP_NMI 2
#define TRAP_UD  6
#define TRAP_DF  8
#define TRAP_GP  13
#define TRAP_PF  14
#define TRAP_MC  18
#define TRAP_FIRST_IRQ 32

/* Laid out by isr.S: general registers (r15 pushed last), then vector and
 * error code (0 when the CPU pushes none), then the CPU's own frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame matches isr.S");

extern const uint64_t isr_stub_table[256];
void trap_dispatch(struct trap_frame *f);
const char *trap_name(unsigned vector);

#endif
