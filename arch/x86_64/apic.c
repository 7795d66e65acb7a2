/*
 * Local APIC and I/O APIC. See apic.h for the vector plan. The x2APIC and
 * xAPIC register sets differ only in how a register is reached (MSR 0x800 +
 * offset/16 versus MMIO at offset) and in the ICR (one 64-bit MSR versus two
 * 32-bit halves with a delivery-status bit), so both hide behind
 * lapic_read/lapic_write/icr_write.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define MSR_APIC_BASE      0x1bu
#define APIC_BASE_EXTD     (1ull << 10) /* x2APIC mode */
#define APIC_BASE_ENABLE   (1ull << 11)
#define APIC_BASE_ADDR     0xfffff000ull
#define CPUID1_ECX_X2APIC  (1u << 21)

#define SVR_ENABLE        (1u << 8)
#define LVT_MASKED        (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define TIMER_DIV_16      0x3u  /* divide configuration encoding for /16 (SDM Fig. 10-10) */
#define TIMER_DIVISOR     16

#define ICR_FIXED         (0u << 8)
#define ICR_NMI           (4u << 8)
#define ICR_INIT          (5u << 8)
#define ICR_STARTUP       (6u << 8)
#define ICR_PENDING       (1u << 12) /* xAPIC only */
#define ICR_ASSERT        (1u << 14)
#define ICR_ALL_BUT_SELF  (3u << 18)
#define ICR_SPIN_LIMIT    1000000   /* well over the microseconds an IPI takes to leave */

#define CALIBRATE_US      10000

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN    0x10
#define IOAPIC_VER    0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL      (1u << 15)
#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_LOW  0x3
#define MPS_TRIGGER_SHIFT 2
#define MPS_TRIGGER_LEVEL 0x3

static volatile uint8_t *xapic;
static bool x2apic;
static uint64_t timer_hz;

bool lapic_x2apic_mode(void) { return x2apic; }

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
	return mmio_read32(xapic + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
	else
		mmio_write32(xapic + reg, v);
}

void lapic_init(uint64_t mmio_phys)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	x2apic = r[2] & CPUID1_ECX_X2APIC;
	if (!mmio_phys)
		mmio_phys = rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR;
	if (!x2apic) {
		xapic = mmio_map(mmio_phys, 4096, VM_UC);
		if (!xapic)
			kprintf("apic: cannot map the local APIC at %#llx\n", (unsigned long long)mmio_phys);
	}
}

void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
	wrmsr(MSR_APIC_BASE, base); /* xAPIC first: x2APIC may only be entered from it */
	if (x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	/* Software-enable first: while disabled, LVT mask bits cannot be cleared (SDM §10.4.7.2). */
	lapic_write(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VECTOR_TIMER);
	lapic_write(LAPIC_LVT_ERROR, VECTOR_ERROR);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_read_esr();
	lapic_eoi(); /* drop anything the firmware left in service */
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return x2apic ? id : id >> 24;
}

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

uint32_t lapic_read_esr(void)
{
	lapic_write(LAPIC_ESR, 0); /* latches the errors into the readable register */
	return lapic_read(LAPIC_ESR);
}

/* Sends one IPI; 0, or -1 when an xAPIC never accepted it. */
static int icr_write(uint32_t apic_id, uint32_t low)
{
	if (x2apic) {
		/* WRMSR to x2APIC registers is not serializing, and MFENCE alone does not
		 * hold back later instructions: MFENCE;LFENCE keeps the IPI behind the
		 * stores that queued the work (SDM §10.12.3). */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(X2APIC_MSR_BASE + (LAPIC_ICR_LOW >> 4), ((uint64_t)apic_id << 32) | low);
		return 0;
	}
	uint64_t f = irq_save(); /* the two halves must not be split by an IPI from a handler */
	mmio_write32(xapic + LAPIC_ICR_HIGH, apic_id << 24);
	mmio_write32(xapic + LAPIC_ICR_LOW, low);
	int spins = 0;
	while ((mmio_read32(xapic + LAPIC_ICR_LOW) & ICR_PENDING) && ++spins < ICR_SPIN_LIMIT)
		cpu_relax();
	irq_restore(f);
	return spins < ICR_SPIN_LIMIT ? 0 : -1;
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector) { icr_write(apic_id, ICR_FIXED | ICR_ASSERT | vector); }

void lapic_send_nmi_others(void) { icr_write(0, ICR_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF); }

int lapic_send_init(uint32_t apic_id) { return icr_write(apic_id, ICR_INIT | ICR_ASSERT); }

int lapic_send_sipi(uint32_t apic_id, uint32_t trampoline_phys)
{
	return icr_write(apic_id, ICR_STARTUP | ICR_ASSERT | (trampoline_phys >> 12));
}

/* ---- timer ---- */

void lapic_timer_calibrate(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	uint64_t t0 = rdtsc();
	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
	udelay(CALIBRATE_US);
	uint32_t left = lapic_read(LAPIC_TIMER_CUR);
	uint64_t ns = tsc_to_ns(rdtsc() - t0);
	lapic_write(LAPIC_TIMER_INIT, 0);
	uint64_t ticks = 0xffffffffull - left;
	timer_hz = ns ? ticks * 1000000000ull / ns : 0;
}

uint64_t lapic_timer_hz(void) { return timer_hz; }

static uint32_t ns_to_ticks(uint64_t ns)
{
	uint64_t t = timer_hz * ns / 1000000000ull;
	return t == 0 ? 1 : t > 0xffffffffull ? 0xffffffffu : (uint32_t)t;
}

void lapic_timer_oneshot(uint64_t ns)
{
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INIT, ns_to_ticks(ns));
}

void lapic_timer_periodic(uint64_t ns)
{
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LVT_TIMER_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, ns_to_ticks(ns));
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

/* ---- I/O APIC (82093AA data sheet §3.2) ---- */

static uint32_t ioapic_read(volatile uint8_t *base, uint32_t reg)
{
	mmio_write32(base + IOAPIC_REGSEL, reg);
	return mmio_read32(base + IOAPIC_WIN);
}

static void ioapic_write(volatile uint8_t *base, uint32_t reg, uint32_t v)
{
	mmio_write32(base + IOAPIC_REGSEL, reg);
	mmio_write32(base + IOAPIC_WIN, v);
}

/* ISA defaults are edge-triggered, active high unless the MADT overrides. */
static uint32_t isa_gsi(unsigned isa_irq, uint32_t *redir_flags)
{
	*redir_flags = 0;
	for (unsigned i = 0; i < acpi.nr_overrides; i++) {
		const struct acpi_override *o = &acpi.overrides[i];
		if (o->bus != 0 || o->source != isa_irq)
			continue;
		if ((o->flags & MPS_POLARITY_MASK) == MPS_POLARITY_LOW)
			*redir_flags |= REDIR_ACTIVE_LOW;
		if (((o->flags >> MPS_TRIGGER_SHIFT) & MPS_POLARITY_MASK) == MPS_TRIGGER_LEVEL)
			*redir_flags |= REDIR_LEVEL;
		return o->gsi;
	}
	return isa_irq;
}

static volatile uint8_t *ioapic_regs(unsigned i)
{
	static volatile uint8_t *mapped[ACPI_MAX_IOAPICS];
	if (!mapped[i])
		mapped[i] = mmio_map(acpi.ioapics[i].address, 4096, VM_UC);
	return mapped[i];
}

int ioapic_route_isa(unsigned isa_irq, uint8_t vector, uint32_t apic_id)
{
	uint32_t flags, gsi = isa_gsi(isa_irq, &flags);
	if (apic_id > 255)
		return -1; /* physical destination is 8 bits without interrupt remapping */
	for (unsigned i = 0; i < acpi.nr_ioapics; i++) {
		const struct acpi_ioapic *io = &acpi.ioapics[i];
		if (gsi < io->gsi_base)
			continue;
		volatile uint8_t *base = ioapic_regs(i);
		if (!base)
			return -1;
		unsigned pins = ((ioapic_read(base, IOAPIC_VER) >> 16) & 0xff) + 1;
		if (gsi >= io->gsi_base + pins)
			continue;
		unsigned pin = gsi - io->gsi_base;
		ioapic_write(base, IOAPIC_REDTBL(pin) + 1, apic_id << 24);
		ioapic_write(base, IOAPIC_REDTBL(pin), vector | flags);
		return 0;
	}
	return -1;
}
