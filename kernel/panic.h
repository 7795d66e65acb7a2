/*
 * Fatal errors. panic() and panic_trap() print what happened (for a trap: the
 * vector, error code, RIP with its symbol, CR2, all registers, a backtrace),
 * stop every CPU, and power the machine off with PANIC_EXIT_CODE under QEMU
 * (tools/run-qemu returns that code) or halt on real hardware.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdbool.h>

#define PANIC_EXIT_CODE 100

struct trap_frame;

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void panic_trap(struct trap_frame *f);
_Noreturn void panic_halt_here(void);
/* How many CPUs have parked in panic_halt_here (smp_stop_others waits on it). */
unsigned panic_halted_cpus(void);
bool panic_in_progress(void);

#endif
