/*
 * The narrow seam for hardware access: port I/O, MMIO and barriers.
 *
 * Every register access in the kernel goes through these. Barrier rules, once:
 * - x86 keeps stores ordered with stores and loads with loads for WB memory, and
 *   uncached (UC) MMIO accesses are not reordered with each other, so plain
 *   volatile accesses are enough between two MMIO registers.
 * - Ordering normal memory (a queue entry in RAM, WB) before an MMIO write (a
 *   doorbell) needs only a compiler barrier on x86: an uncached store is not
 *   reordered with earlier stores.
 * - Between accesses to coherent DMA memory in RAM (WB: queue entries, shadow
 *   doorbells) the same rule makes a compiler barrier enough.
 *   So dma_rmb() and dma_wmb() are compiler barriers: a device reads and
 *   writes that memory through the caches' coherence, so it sees our stores
 *   in order and we see its in order. A store followed by a load that must
 *   not pass it takes mb(); stores to write-combining memory (a frame buffer)
 *   take wmb() (sfence) before anything that must see them.
 */
#ifndef ARCH_IO_H
#define ARCH_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint8_t mmio_read8(const volatile void *a) { return *(const volatile uint8_t *)a; }
static inline uint16_t mmio_read16(const volatile void *a) { return *(const volatile uint16_t *)a; }
static inline uint32_t mmio_read32(const volatile void *a) { return *(const volatile uint32_t *)a; }
static inline uint64_t mmio_read64(const volatile void *a) { return *(const volatile uint64_t *)a; }
static inline void mmio_write8(volatile void *a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write16(volatile void *a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void mmio_write32(volatile void *a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void mmio_write64(volatile void *a, uint64_t v) { *(volatile uint64_t *)a = v; }

#define barrier() __asm__ volatile("" ::: "memory")
static inline void wmb(void) { __asm__ volatile("sfence" ::: "memory"); }
static inline void rmb(void) { __asm__ volatile("lfence" ::: "memory"); }
static inline void mb(void) { __asm__ volatile("mfence" ::: "memory"); }
#define dma_rmb() barrier()
#define dma_wmb() barrier()
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* A write to an unused port takes about 1 us on PC hardware: the classic
 * delay between accesses to slow legacy devices (i8042, PIT). */
static inline void io_delay(void) { outb(0x80, 0); }

#endif
