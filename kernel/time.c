/*
 * TSC calibration. The reference counts a known interval: the ACPI PM timer
 * runs at 3.579545 MHz (ACPI §4.8.3.3) and the PIT at 1.193182 MHz; we read
 * the TSC at both ends of ~50 ms of the reference. Every wait is bounded by a
 * TSC budget so a stuck reference cannot hang boot.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/time.h"

#define PM_TIMER_HZ 3579545ull
#define PIT_HZ 1193182ull
#define CALIBRATE_MS 50ull
#define PIT_CH2_DATA 0x42
#define PIT_MODE_PORT 0x43
#define PIT_GATE_PORT 0x61       /* bit 0: channel 2 gate, bit 5: output */
#define PIT_CH2_ONESHOT 0xb0     /* channel 2, lo/hi byte, mode 0 */
#define WAIT_BUDGET_TSC (20ull * 1000 * 1000 * 1000) /* ~several seconds on any CPU */
#define FALLBACK_HZ 2000000000ull

static uint64_t hz;
uint64_t time_boot_tsc, time_ns_mult;
static const char *source = "none";

static uint64_t calibrate_pm_timer(void)
{
	uint32_t mask = acpi.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t ticks = (uint32_t)(PM_TIMER_HZ * CALIBRATE_MS / 1000);
	uint32_t t0 = inl(acpi.pm_timer_port) & mask;
	uint64_t c0 = rdtsc();
	uint32_t t;
	do {
		t = inl(acpi.pm_timer_port) & mask;
		if (rdtsc() - c0 > WAIT_BUDGET_TSC)
			return 0;
	} while (((t - t0) & mask) < ticks);
	uint64_t c1 = rdtsc();
	return (c1 - c0) * PM_TIMER_HZ / ((t - t0) & mask);
}

static uint64_t calibrate_pit(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
	outb(PIT_GATE_PORT, (inb(PIT_GATE_PORT) & ~0x02) | 0x01);
	outb(PIT_MODE_PORT, PIT_CH2_ONESHOT);
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	uint64_t c0 = rdtsc();
	while (!(inb(PIT_GATE_PORT) & 0x20))
		if (rdtsc() - c0 > WAIT_BUDGET_TSC)
			return 0;
	return (rdtsc() - c0) * 1000 / CALIBRATE_MS;
}

void time_init(uint64_t tsc0)
{
	time_boot_tsc = tsc0;
	if (acpi.pm_timer_port && (hz = calibrate_pm_timer()))
		source = "ACPI PM timer";
	else if ((hz = calibrate_pit()))
		source = "PIT";
	else {
		hz = FALLBACK_HZ;
		source = "nothing (assumed 2 GHz)";
	}
	time_ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / hz);
	kprintf("time: TSC %llu.%03llu MHz, calibrated against %s\n", (unsigned long long)(hz / 1000000),
		(unsigned long long)(hz / 1000 % 1000), source);
}

uint64_t tsc_hz(void) { return hz; }
const char *time_source(void) { return source; }

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000000u / hz);
}


void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + hz / 1000000 * us;
	while (rdtsc() < end)
		cpu_relax();
}
