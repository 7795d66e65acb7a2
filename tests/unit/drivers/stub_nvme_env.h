/*
 * The kernel services drivers/nvme/nvme.c calls, for host tests of the
 * driver against the fake controller (fake_nvme.h). Beside blk/blk_env.h
 * (tests/unit/blk/stub_env.c) this supplies: the command line (a table the
 * test sets), kprintf into a log the test can search, one clock shared with
 * blk_now_ns, MSI-X and interrupt stand-ins that turn the fake's vector into
 * the driver's handler, and the boot CPU's deferred work (smp_call_async).
 *
 * Determinism: there is no device thread. Time passes only when the driver
 * reads the clock (uptime_ns, udelay) or the test says so, and every such
 * step runs one fake_nvme_process() pass, so a bounded wait on the device
 * sees it make progress; the fake's interrupts call the handler at once
 * (the driver keeps interrupts on wherever it waits). blk_wait (the block
 * layer's sleep) runs stub_nvme_idle(): a device pass, then deferred work.
 */
#ifndef TESTS_UNIT_DRIVERS_STUB_NVME_ENV_H
#define TESTS_UNIT_DRIVERS_STUB_NVME_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"

struct fake_nvme;

/* Clears everything (the command line included), sets nr_cpus and the
 * clock step, and points the blk_env stub's wait at stub_nvme_idle. */
void stub_nvme_reset(unsigned cpus, uint64_t clock_step_ns);
/* The device the clock and the idle loop drive, and whose interrupts go to
 * the handlers the driver requested (via its MSI-X table in pdev). */
void stub_nvme_use(struct fake_nvme *f, struct pci_dev *pdev);

/* The fake's cfg.irq: runs the handler of the vector the driver programmed
 * into MSI-X entry `entry` (fails the test if it programmed none). */
void stub_nvme_fake_irq(void *arg, unsigned entry);

/* From now on the fake's interrupts reach nobody (on) or the driver again. */
void stub_nvme_lose_irqs(bool on);

/* cmdline_get_long(key) returns v from now on (up to 16 keys). */
void stub_cmdline_set(const char *key, long v);

/* The clock: blk_now_ns and uptime_ns both read it. */
uint64_t stub_now(void);
void stub_advance(uint64_t ns);

/* fn(n) runs after each smp_call_all and smp_call the driver makes (the
 * n-th since this was set), on the caller's CPU: what another CPU might do
 * at that point of, e.g., a reset. NULL: nothing. */
void stub_nvme_on_cross_call(void (*fn)(unsigned n));

/* One device pass, then the deferred work queued with smp_call_async.
 * Returns whether anything happened. */
bool stub_nvme_idle(void);
unsigned stub_nvme_pending_work(void);

/* Every kprintf since the reset, concatenated; whether it holds s. */
const char *stub_log(void);
bool stub_log_has(const char *s);

/* Interrupts the driver took, per MSI-X entry. */
unsigned long stub_irqs(unsigned entry);

#endif
