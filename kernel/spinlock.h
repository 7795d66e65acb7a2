/*
 * Spinlocks. spin_lock_irqsave disables interrupts on this CPU first, so a
 * lock also taken from an interrupt handler cannot deadlock against itself.
 * The recursive variant exists for newlib's malloc and stdio locks, which
 * newlib may take again on the same CPU.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"

typedef struct {
	volatile uint32_t locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

/* Spins until l is ours. Out of line: a lock taken at the first try (the
 * usual case) costs one exchange and a branch. */
static __attribute__((noinline, cold, unused)) void spin_lock_contended(spinlock_t *l)
{
	do
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE));
}

static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
	uint64_t flags = irq_save();
	if (__builtin_expect(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0, 0))
		spin_lock_contended(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

/* Without touching interrupts: for locks held long (a command waiting on a
 * device) that interrupt handlers only ever try, never wait for. */
static inline bool spin_trylock(spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(spinlock_t *l)
{
	if (__builtin_expect(!spin_trylock(l), 0))
		spin_lock_contended(l);
}

static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

#endif
