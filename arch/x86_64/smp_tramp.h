/*
 * The AP start-up trampoline's data block, shared by trampoline.S (which
 * reads it) and kernel/smp.c (which fills it). The trampoline is copied to
 * the page below 1 MiB that the loader reserved; a SIPI starts an AP there in
 * real mode with CS = page >> 4.
 */
#ifndef ARCH_SMP_TRAMP_H
#define ARCH_SMP_TRAMP_H

#define TRAMP_DATA_OFF   0xf00 /* code above it, data below the page end */
#define TD_GDT           0x00  /* 4 descriptors: null, code32, data32, code64 */
#define TD_GDT_PTR       0x20  /* u16 limit, u32 base */
#define TD_FAR32         0x28  /* u32 offset, u16 selector */
#define TD_FAR64         0x30  /* u32 offset, u16 selector */
#define TD_CR3_LOW       0x38  /* u32: page tables below 4 GiB with the trampoline identity-mapped */
#define TD_STACK         0x40  /* kernel virtual: mapped by the low tables' copied upper half */
#define TD_ENTRY         0x48  /* kernel virtual; it switches to the kernel's own CR3 */
#define TD_ARG           0x50
#define TD_SIZE          0x58

#define TRAMP_SEL_CODE32 0x08
#define TRAMP_SEL_DATA32 0x10
#define TRAMP_SEL_CODE64 0x18

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct tramp_data {
	uint64_t gdt[4];
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t pad0;
	uint32_t far32_offset;
	uint16_t far32_sel;
	uint16_t pad1;
	uint32_t far64_offset;
	uint16_t far64_sel;
	uint16_t pad2;
	uint32_t cr3_low;
	uint32_t pad3;
	uint64_t stack;
	uint64_t entry;
	uint64_t arg;
} __attribute__((packed));
_Static_assert(offsetof(struct tramp_data, gdt_limit) == TD_GDT_PTR, "GDT pointer offset");
_Static_assert(offsetof(struct tramp_data, far32_offset) == TD_FAR32, "far32 offset");
_Static_assert(offsetof(struct tramp_data, far64_offset) == TD_FAR64, "far64 offset");
_Static_assert(offsetof(struct tramp_data, cr3_low) == TD_CR3_LOW, "CR3 offset");
_Static_assert(offsetof(struct tramp_data, stack) == TD_STACK, "stack offset");
_Static_assert(offsetof(struct tramp_data, entry) == TD_ENTRY, "entry offset");
_Static_assert(offsetof(struct tramp_data, arg) == TD_ARG, "arg offset");
_Static_assert(sizeof(struct tramp_data) == TD_SIZE, "data block size");
_Static_assert(TRAMP_DATA_OFF + TD_SIZE <= 4096, "trampoline fits its page");

extern const char trampoline_start[], trampoline_end[], trampoline_32[], trampoline_64[];
#endif

#endif
