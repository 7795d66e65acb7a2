/*
 * Power: ACPI S5 through PM1 control (ACPI §4.8.3.2.1: SLP_TYP from \_S5,
 * then SLP_EN), reset through the FADT reset register (§4.8.3.6) with the
 * i8042 pulse as fallback.
 */
#include <stdio.h>
#include <stdlib.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/shell.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1u << 13)
#define I8042_CMD 0x64
#define I8042_PULSE_RESET 0xfe
#define SETTLE_US 100000

void power_exit_qemu(int code)
{
	if (cpu_has_hypervisor())
		outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)(code + 1));
}

#define MAX_SHUTDOWN_FNS 4
static void (*shutdown_fns[MAX_SHUTDOWN_FNS])(void);

void power_on_shutdown(void (*fn)(void))
{
	for (unsigned i = 0; i < MAX_SHUTDOWN_FNS; i++)
		if (!shutdown_fns[i]) {
			shutdown_fns[i] = fn;
			return;
		}
}

/* Devices first (an NVMe controller wants CC.SHN before power goes). */
static void run_shutdown_fns(void)
{
	for (unsigned i = 0; i < MAX_SHUTDOWN_FNS; i++)
		if (shutdown_fns[i])
			shutdown_fns[i]();
}

_Noreturn void power_off(int code)
{
	run_shutdown_fns();
	kprintf("poweroff: code %d\n", code);
	power_exit_qemu(code);
	if (acpi.has_s5 && acpi.pm1a_cnt_port) {
		cli();
		outw(acpi.pm1a_cnt_port, (inw(acpi.pm1a_cnt_port) & ~(7u << PM1_SLP_TYP_SHIFT)) |
					  (uint16_t)(acpi.slp_typa << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
		if (acpi.pm1b_cnt_port)
			outw(acpi.pm1b_cnt_port, (uint16_t)(acpi.slp_typb << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
		udelay(SETTLE_US);
	}
	kprintf("poweroff: ACPI S5 unavailable or ignored; halting\n");
	panic_halt_here();
}

static void acpi_reset(void)
{
	const struct acpi_gas *g = &acpi.reset_reg;
	if (g->space_id == ACPI_GAS_IO)
		outb((uint16_t)g->address, acpi.reset_value);
	else if (g->space_id == ACPI_GAS_MEMORY) {
		volatile uint8_t *r = mmio_map(g->address, 1, VM_UC);
		if (r)
			*r = acpi.reset_value;
	}
}

_Noreturn void power_reboot(void)
{
	run_shutdown_fns();
	kprintf("reboot\n");
	cli();
	if (acpi.has_reset_reg) {
		acpi_reset();
		udelay(SETTLE_US);
	}
	outb(I8042_CMD, I8042_PULSE_RESET);
	udelay(SETTLE_US);
	kprintf("reboot: no reset happened; halting\n");
	panic_halt_here();
}

#define EXIT_CODE_MAX 126 /* ((code+1) << 1) | 1 must fit QEMU's 8-bit exit status */

static int cmd_poweroff(int argc, char **argv)
{
	long code = 0;
	if (argc > 2)
		return shell_usage("poweroff");
	if (argc == 2) {
		char *end;
		code = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || code < 0 || code > EXIT_CODE_MAX) {
			printf("poweroff: code must be a number from 0 to %d\n", EXIT_CODE_MAX);
			return SHELL_USAGE;
		}
	}
	fflush(stdout);
	power_off((int)code);
}
SHELL_COMMAND(poweroff, "poweroff", "[code]", "power off (under QEMU, exit with code)", cmd_poweroff);

static int cmd_reboot(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return shell_usage("reboot");
	fflush(stdout);
	power_reboot();
}
SHELL_COMMAND(reboot, "reboot", "", "reset the machine", cmd_reboot);
