/*
 * Power off and reset. Under a hypervisor, power_off(code) first writes to
 * QEMU's isa-debug-exit port (tools/run-qemu adds the device at 0xf4), which
 * makes QEMU exit with status ((code+1) << 1) | 1; tools/run-qemu turns that
 * back into 'code'. Without the device the write does nothing and the ACPI
 * S5 path follows, as on real hardware.
 */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

#define QEMU_DEBUG_EXIT_PORT 0xf4

/* fn runs before poweroff and reboot (not on panic): orderly device shutdown. */
void power_on_shutdown(void (*fn)(void));
_Noreturn void power_off(int code);
_Noreturn void power_reboot(void);
/* Only the isa-debug-exit write (panic path); returns if nothing happened. */
void power_exit_qemu(int code);

#endif
