/*
 * Kernel entry from the loader: interrupts off, loader page tables live,
 * %rdi = struct boot_info * (direct map). Switch to the boot stack in .bss,
 * clear %rbp so backtraces end here, and call kmain.
 */
	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	call kmain
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .bss
	.balign 4096
	.globl boot_stack_bottom
boot_stack_bottom:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:

/*
 * call_on_stack(top, fn, arg): run fn(arg) on the stack ending at top; fn
 * does not return. Used to leave the boot stack for a guard-paged one.
 */
	.text
	.globl call_on_stack
	.type call_on_stack, @function
call_on_stack:
	mov %rdi, %rsp
	xor %ebp, %ebp
	mov %rdx, %rdi
	call *%rsi
2:	hlt
	jmp 2b
	.size call_on_stack, . - call_on_stack
