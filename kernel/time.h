/* Time: the TSC, calibrated once at boot against the ACPI PM timer (or the
 * PIT when there is none). Uptime counts from the loader's entry. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

#include "arch/x86_64/cpu.h"

void time_init(uint64_t boot_tsc);
uint64_t tsc_hz(void);
uint64_t tsc_to_ns(uint64_t ticks);

/* Set by time_init: ns = ticks * time_ns_mult >> 32 (0 until calibrated). */
extern uint64_t time_boot_tsc, time_ns_mult;

#ifdef HOST_TEST
uint64_t uptime_ns(void); /* host tests of drivers supply their own clock */
#else
/* Inline and division-free: the block layer reads it twice per I/O. */
static inline uint64_t uptime_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - time_boot_tsc) * time_ns_mult) >> 32);
}
#endif
/* Busy-waits; for short delays in bring-up code only. */
void udelay(uint64_t us);
const char *time_source(void); /* what the TSC was calibrated against */

#endif
