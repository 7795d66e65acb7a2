/*
 * Local APIC (Intel SDM Vol. 3 ch. 10/11): x2APIC mode (registers as MSRs)
 * when the CPU has it, xAPIC (registers in a 4 KiB MMIO page) otherwise.
 * Also the I/O APIC, for the two legacy interrupts the console uses.
 *
 * Every CPU calls lapic_init_cpu() for itself; lapic_init() first, once, on
 * the boot CPU picks the mode and maps the xAPIC page.
 */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset/16. */
#define LAPIC_ID       0x020
#define LAPIC_VERSION  0x030
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0b0
#define LAPIC_SVR      0x0f0
#define LAPIC_ESR      0x280
#define LAPIC_ICR_LOW  0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0
#define X2APIC_MSR_BASE 0x800u
_Static_assert(X2APIC_MSR_BASE + (LAPIC_TIMER_DIV >> 4) == 0x83e, "x2APIC divide config MSR (SDM Table 10-6)");
_Static_assert(X2APIC_MSR_BASE + (LAPIC_ICR_LOW >> 4) == 0x830, "x2APIC ICR MSR");

/* Fixed vectors, the same on every CPU (device vectors are allocated per CPU
 * below them by kernel/irq.c). Higher vector = higher priority class. */
#define VECTOR_LEGACY_FIRST 0x20 /* 0x20-0x2f: I/O APIC pins (ISA IRQ n → 0x20+n) */
#define VECTOR_DEVICE_FIRST 0x30
#define VECTOR_DEVICE_LAST  0xef
#define VECTOR_TIMER    0xf0
#define VECTOR_CALL     0xf1 /* smp_call work queued for this CPU */
#define VECTOR_ERROR    0xfe
#define VECTOR_SPURIOUS 0xff

#define LAPIC_ID_NONE 0xffffffffu

/* Picks x2APIC or xAPIC on the boot CPU; `mmio_phys` is the MADT's address. */
void lapic_init(uint64_t mmio_phys);
/* Enables this CPU's local APIC: spurious, error and timer vectors, LINTs masked. */
void lapic_init_cpu(void);
bool lapic_x2apic_mode(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Reads and clears the error status register. */
uint32_t lapic_read_esr(void);

/* Interprocessor interrupts (SDM §10.6). The wait for the ICR is bounded. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi_others(void);
int lapic_send_init(uint32_t apic_id);
int lapic_send_sipi(uint32_t apic_id, uint32_t trampoline_phys);

/* Timer: calibrated once against the TSC; then one-shot or periodic on the
 * calling CPU, delivering VECTOR_TIMER. */
void lapic_timer_calibrate(void);
uint64_t lapic_timer_hz(void);
void lapic_timer_oneshot(uint64_t ns);
void lapic_timer_periodic(uint64_t ns);
void lapic_timer_stop(void);

/* I/O APIC: route ISA IRQ `isa_irq` (after MADT overrides) to vector on apic_id. */
int ioapic_route_isa(unsigned isa_irq, uint8_t vector, uint32_t apic_id);

#endif
