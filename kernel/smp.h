/*
 * Every core online, and a way to run a function on any of them.
 *
 * Each core runs to completion: it does its work, then sleeps in `hlt` until
 * an interrupt (a device, its timer, or a call IPI) wakes it. A call is a
 * struct smp_work pushed onto the target's lock-free list; the pusher that
 * finds the list empty sends VECTOR_CALL, and the target runs the list in
 * order from its idle loop (interrupts on, not in the handler).
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot_info.h"

struct smp_work {
	struct smp_work *next;
	void (*fn)(void *arg);
	void *arg;
	int done;              /* set by the target after fn returns */
};

/* Boot CPU: local APIC, vectors, then start every enabled AP in the MADT. */
void smp_init(const struct boot_info *bi);

/* Runs fn(arg) on `cpu` and waits for it; runs it directly on this CPU.
 * Returns 0, or -1 when the CPU is not online. A CPU that does not answer
 * within SMP_CALL_TIMEOUT_MS is a dead core: the caller panics, naming it. */
int smp_call(unsigned cpu, void (*fn)(void *), void *arg);
/* Runs fn(arg) on every online CPU (this one too) and waits for all. */
int smp_call_all(void (*fn)(void *), void *arg);
/* Queues w on `cpu` without waiting; w must live until w->done. */
int smp_call_async(unsigned cpu, struct smp_work *w);
#define SMP_CALL_TIMEOUT_MS 10000

/* fn runs on every CPU's 10 Hz tick, in interrupt context. */
void smp_tick_register(void (*fn)(void));

/* Runs this CPU's queued calls; if there were none, sleeps until the next
 * interrupt, unless an interrupt already ran since the last call (it may
 * have done what the caller is waiting for: the caller checks its condition,
 * then calls this, in a loop, and no wake-up between the two is lost).
 * Returns with interrupts enabled. */
void cpu_idle(void);
/* Runs the calls queued for this CPU, as cpu_idle would: for loops that
 * poll and so never reach the idle loop (the calls may wait on devices). */
void smp_run_calls(void);
_Noreturn void cpu_idle_loop(void);

#endif
