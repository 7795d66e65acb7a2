/* Time: the TSC, calibrated once at boot against the ACPI PM timer (or the
 * PIT when there is none). Uptime counts from the loader's entry. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

void time_init(uint64_t boot_tsc);
uint64_t tsc_hz(void);
uint64_t uptime_ns(void);
uint64_t tsc_to_ns(uint64_t ticks);
/* Busy-waits; for short delays in bring-up code only. */
void udelay(uint64_t us);
const char *time_source(void); /* what the TSC was calibrated against */

#endif
