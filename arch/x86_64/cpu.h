/*
 * Privileged x86-64 instructions as inline functions: control registers,
 * MSRs, CPUID, TSC, interrupt flag. Register and bit names follow the
 * Intel SDM Vol. 3.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define CR0_MP  (1ull << 1)
#define CR0_EM  (1ull << 2)
#define CR0_WP  (1ull << 16)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

#define MSR_EFER     0xc0000080u
#define EFER_NXE     (1ull << 11)
#define MSR_PAT      0x277u
#define MSR_GS_BASE  0xc0000101u
#define RFLAGS_IF    (1ull << 9)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n)                                                                  \
	static inline uint64_t read_cr##n(void)                                       \
	{                                                                             \
		uint64_t v;                                                           \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                     \
		return v;                                                             \
	}                                                                             \
	static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
#ifdef HOST_TEST
/* Host unit tests run kernel code (spinlocks, drivers) in user mode, where
 * cli/sti/hlt fault: there the interrupt flag is not ours to change, and
 * these are no-ops (irq_save then reports interrupts as on). */
static inline void cli(void) { __asm__ volatile("" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("" ::: "memory"); }
#else
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
#endif

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f)::"memory");
	return f;
}

/* Interrupt-state save/restore for spinlocks taken from interrupt context. */
static inline uint64_t irq_save(void)
{
	uint64_t f = read_rflags();
	cli();
	return f;
}

static inline void irq_restore(uint64_t f)
{
	if (f & RFLAGS_IF)
		sti();
}

/* x87/SSE on: architecturally so in UEFI long mode, and set by the AP
 * trampoline; stated here for every CPU anyway (SDM §13.1). */
static inline void fpu_init(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");
}

static inline bool cpu_has_hypervisor(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[2] & (1u << 31);
}

#endif
