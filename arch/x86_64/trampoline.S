/*
 * AP start-up: real mode → protected mode → long mode → the kernel.
 * Copied to the reserved page below 1 MiB and entered at its first byte by a
 * SIPI (CS = page >> 4, IP = 0). It only reads the data block smp.c fills in
 * (smp_tramp.h), so nothing here is relocated. %ebx holds the page's linear
 * address from real mode on. It jumps to the kernel still on the low page
 * tables (their upper half is the kernel's); the kernel entry then loads the
 * kernel's CR3, as this page is not mapped there.
 *
 * After INIT, CR0 has caching disabled (CD, NW) and FPU/SSE off; the value
 * written to CR0 below turns caching on and sets exactly PE, MP, ET, NE, WP
 * and PG. CR4 gets PAE and the SSE enables (OSFXSR, OSXMMEXCPT) before any
 * compiled C runs. EFER gets LME and NXE (the kernel's tables use NX).
 */
#include "arch/x86_64/smp_tramp.h"

#define CR0_LONG    0x80010033 /* PG | WP | NE | ET | MP | PE */
#define CR4_BITS    0x620      /* OSXMMEXCPT | OSFXSR | PAE */
#define MSR_EFER    0xc0000080
#define EFER_BITS   0x900      /* NXE | LME */

	.section .rodata.trampoline, "a"
	.globl trampoline_start, trampoline_32, trampoline_64, trampoline_end

	.code16
trampoline_start:
	cli
	cld
	xor %ebx, %ebx
	mov %cs, %bx
	mov %bx, %ds
	shl $4, %ebx
	lgdtl TRAMP_DATA_OFF + TD_GDT_PTR
	mov $1, %eax            /* PE */
	mov %eax, %cr0
	ljmpl *(TRAMP_DATA_OFF + TD_FAR32)

	.code32
trampoline_32:
	mov $TRAMP_SEL_DATA32, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $CR4_BITS, %eax
	mov %eax, %cr4
	mov TRAMP_DATA_OFF + TD_CR3_LOW(%ebx), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_BITS, %eax
	wrmsr
	mov $CR0_LONG, %eax
	mov %eax, %cr0
	ljmp *(TRAMP_DATA_OFF + TD_FAR64)(%ebx)

	.code64
trampoline_64:
	mov %ebx, %ebx          /* upper halves are undefined after the mode switch */
	mov TRAMP_DATA_OFF + TD_STACK(%rbx), %rsp
	mov TRAMP_DATA_OFF + TD_ARG(%rbx), %rdi
	mov TRAMP_DATA_OFF + TD_ENTRY(%rbx), %rax
	xor %ebp, %ebp
	call *%rax
1:	hlt
	jmp 1b
trampoline_end:
	.org trampoline_start + TRAMP_DATA_OFF /* fails to assemble if the code overlaps the data */
	.text
