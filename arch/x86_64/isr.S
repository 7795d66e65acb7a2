/*
 * One stub per IDT vector. Each pushes a zero error code when the CPU does not
 * push one (so every frame has the same shape), then its vector, and jumps to
 * isr_common, which saves the general registers and the FPU/SSE state (newlib
 * and compiled C may use XMM registers, and an interrupt must not clobber the
 * interrupted code's), calls trap_dispatch(frame) and returns with iretq.
 */
	.text
.macro STUB v
	.balign 16
isr_stub_\v:
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp isr_common
.endm

.altmacro
	.set vec, 0
	.rept 256
	STUB %vec
	.set vec, vec + 1
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	mov %rsp, %rdi
	mov %rsp, %rbx
	sub $512, %rsp
	and $-16, %rsp
	fxsave64 (%rsp)
	call trap_dispatch
	fxrstor64 (%rsp)
	mov %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	add $16, %rsp
	iretq

.macro ADDR v
	.quad isr_stub_\v
.endm
	.section .rodata
	.balign 8
	.globl isr_stub_table
isr_stub_table:
	.set vec, 0
	.rept 256
	ADDR %vec
	.set vec, vec + 1
	.endr
