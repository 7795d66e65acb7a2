/*
 * SMP bring-up (INIT-SIPI-SIPI through the loader's trampoline page), the
 * per-core idle loop, cross-core calls, the NMI stop used by panic, and the
 * `cpus` command.
 */
#include <errno.h>
#include <reent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/smp_tramp.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define AP_STACK_SIZE        (64 * 1024)
#define AP_ONLINE_TIMEOUT_MS 2000   /* generous: under TCG many vCPUs share few host cores */
#define SIPI_RETRY_US        200
#define INIT_DELAY_US        10000    /* SDM §8.4.4.1: a second SIPI if the first was missed */
#define STOP_TIMEOUT_MS      200
#define TICK_NS              100000000ull /* 10 Hz on every CPU: timeouts; wakes the shell if input IRQs are lost */
#define MAX_TICK_FNS         4
/* Flat 4 GiB code/data and a 64-bit code descriptor for the trampoline (SDM §3.4.5). */
#define TRAMP_GDT_CODE32 0x00cf9a000000ffffull
#define TRAMP_GDT_DATA32 0x00cf92000000ffffull
#define TRAMP_GDT_CODE64 0x00af9a000000ffffull

static struct {
	uint32_t apic_id;
	const char *why;
} not_started[ACPI_MAX_CPUS];
static unsigned nr_not_started;

static void (*tick_fns[MAX_TICK_FNS])(void);

void smp_tick_register(void (*fn)(void))
{
	for (unsigned i = 0; i < MAX_TICK_FNS; i++)
		if (!tick_fns[i]) {
			__atomic_store_n(&tick_fns[i], fn, __ATOMIC_RELEASE);
			return;
		}
	panic("smp_tick_register: more than %d tick functions", MAX_TICK_FNS);
}

static void on_tick(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < MAX_TICK_FNS; i++) {
		void (*fn)(void) = __atomic_load_n(&tick_fns[i], __ATOMIC_ACQUIRE);
		if (fn)
			fn();
	}
}

static uint64_t deadline_ms(uint64_t ms) { return rdtsc() + tsc_hz() / 1000 * ms; }

/* ---- calls between cores ---- */

/* Runs everything queued for this CPU, oldest first; false when nothing was. */
static bool run_work(struct cpu *c)
{
	struct smp_work *w = __atomic_exchange_n(&c->work, NULL, __ATOMIC_ACQUIRE), *fifo = NULL;
	if (!w)
		return false;
	while (w) { /* the list is newest first */
		struct smp_work *next = w->next;
		w->next = fifo;
		fifo = w;
		w = next;
	}
	while (fifo) {
		struct smp_work *next = fifo->next; /* fifo may be gone once done is set */
		fifo->fn(fifo->arg);
		__atomic_store_n(&fifo->done, 1, __ATOMIC_RELEASE);
		fifo = next;
	}
	return true;
}

int smp_call_async(unsigned cpu, struct smp_work *w)
{
	if (cpu >= nr_cpus || !__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE))
		return -1;
	struct cpu *c = &cpus[cpu];
	w->done = 0;
	struct smp_work *old = __atomic_load_n(&c->work, __ATOMIC_RELAXED);
	do
		w->next = old;
	while (!__atomic_compare_exchange_n(&c->work, &old, w, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	if (!old) /* a non-empty list already has its IPI on the way */
		lapic_send_ipi(c->apic_id, VECTOR_CALL);
	return 0;
}

/* Waits for w, answering calls made to this CPU meanwhile (two CPUs calling
 * each other would otherwise wait forever). */
static void wait_done(struct smp_work *w, unsigned cpu)
{
	uint64_t end = deadline_ms(SMP_CALL_TIMEOUT_MS);
	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		run_work(this_cpu());
		cpu_relax();
		if (rdtsc() > end)
			panic("smp_call: CPU %u did not answer within %u ms", cpu, SMP_CALL_TIMEOUT_MS);
	}
}

int smp_call(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu == this_cpu_id()) {
		fn(arg);
		return 0;
	}
	struct smp_work w = { .fn = fn, .arg = arg };
	if (smp_call_async(cpu, &w) != 0)
		return -1;
	wait_done(&w, cpu);
	return 0;
}

int smp_call_all(void (*fn)(void *), void *arg)
{
	struct smp_work w[MAX_CPUS];
	unsigned me = this_cpu_id();
	cpumask_t queued = CPUMASK_NONE;
	for (unsigned i = 0; i < nr_cpus; i++) {
		w[i] = (struct smp_work){ .fn = fn, .arg = arg };
		if (i != me && smp_call_async(i, &w[i]) == 0)
			cpumask_set(&queued, i);
	}
	fn(arg);
	for_each_cpu(i, queued)
		wait_done(&w[i], i);
	return 0;
}

void smp_run_calls(void)
{
	struct cpu *c = this_cpu();
	if (__atomic_load_n(&c->work, __ATOMIC_RELAXED))
		run_work(c);
}

void cpu_idle(void)
{
	struct cpu *c = this_cpu();
	if (run_work(c)) {
		sti();
		return;
	}
	cli();
	/* Work queued after the check (no IPI will come), or an interrupt that
	 * ran since we last looked: it may have done what our caller checked
	 * for just before calling (a completion), so the caller looks again
	 * rather than halt until some later interrupt. */
	if (__atomic_load_n(&c->work, __ATOMIC_ACQUIRE) || c->irq_since_idle) {
		c->irq_since_idle = false;
		sti();
		return;
	}
	uint64_t t = rdtsc();
	__atomic_store_n(&c->idle_since, t, __ATOMIC_RELAXED);
	__asm__ volatile("sti; hlt" ::: "memory"); /* sti's one-instruction delay: no wake-up is lost */
	__atomic_store_n(&c->idle_since, 0, __ATOMIC_RELAXED);
	c->idle_tsc += rdtsc() - t;
}

_Noreturn void cpu_idle_loop(void)
{
	for (;;)
		cpu_idle();
}

/* ---- panic support ---- */

void smp_stop_others(void)
{
	if (nr_cpus <= 1)
		return;
	lapic_send_nmi_others();
	uint64_t end = deadline_ms(STOP_TIMEOUT_MS);
	while (panic_halted_cpus() < nr_cpus - 1 && rdtsc() < end)
		cpu_relax();
}

/* ---- bring-up ---- */

static _Noreturn void ap_main(void *arg)
{
	struct cpu *c = arg;
	write_cr3(vm_kernel_cr3()); /* leave the trampoline's low tables */
	percpu_init_ap(c);
	vm_cpu_init();
	fpu_init();
	lapic_init_cpu();
	irq_init_cpu();
	cpu_topology_detect(c);
	lapic_timer_periodic(TICK_NS);
	c->online_tsc = rdtsc();
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	cpu_idle_loop();
}

static void tramp_fill(uint64_t tramp, uint64_t tables, struct cpu *c)
{
	memcpy(phys_to_virt(tramp), trampoline_start, (size_t)(trampoline_end - trampoline_start));
	struct tramp_data *td = phys_to_virt(tramp + TRAMP_DATA_OFF);
	td->gdt[0] = 0;
	td->gdt[1] = TRAMP_GDT_CODE32;
	td->gdt[2] = TRAMP_GDT_DATA32;
	td->gdt[3] = TRAMP_GDT_CODE64;
	td->gdt_limit = sizeof(td->gdt) - 1;
	td->gdt_base = (uint32_t)(tramp + TRAMP_DATA_OFF + TD_GDT);
	td->far32_offset = (uint32_t)(tramp + (uint64_t)(trampoline_32 - trampoline_start));
	td->far32_sel = TRAMP_SEL_CODE32;
	td->far64_offset = (uint32_t)(tramp + (uint64_t)(trampoline_64 - trampoline_start));
	td->far64_sel = TRAMP_SEL_CODE64;
	td->cr3_low = (uint32_t)tables;
	td->stack = c->stack_top;
	td->entry = (uint64_t)ap_main;
	td->arg = (uint64_t)c;
}

/* Stacks and newlib state for the AP about to start in slot c. */
static int ap_prepare(struct cpu *c, unsigned id, uint32_t apic_id)
{
	memset(c, 0, sizeof(*c));
	c->self = c;
	c->id = id;
	c->apic_id = apic_id;
	c->stack_top = vm_alloc_stack(AP_STACK_SIZE);
	c->reent = calloc(1, sizeof(struct _reent));
	if (!c->stack_top || !c->reent)
		return -1;
	_REENT_INIT_PTR(c->reent);
	for (int i = 0; i < IST_COUNT; i++)
		if (!(c->ist_top[i] = vm_alloc_stack(IST_STACK_SIZE)))
			return -1;
	return 0;
}

/* The SDM's 10 ms wait between INIT and SIPI is needed only by CPUs older
 * than Intel family 6 (the 64-bit Pentium 4s are family 0xf); AMD's 64-bit
 * CPUs (family 0xf on) and Intel family 6 accept the SIPI at once. */
static bool needs_init_delay(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	bool intel = r[1] == 0x756e6547u; /* "Genu" */
	cpuid(1, 0, r);
	return intel && ((r[0] >> 8) & 0xf) == 0xf;
}

/* INIT, then SIPI (twice if needed). */
static const char *ap_start(struct cpu *c, uint64_t tramp, uint64_t tables)
{
	tramp_fill(tramp, tables, c);
	uint64_t t0 = rdtsc();
	if (lapic_send_init(c->apic_id))
		return "INIT IPI not delivered";
	if (needs_init_delay())
		udelay(INIT_DELAY_US);
	if (lapic_send_sipi(c->apic_id, (uint32_t)tramp)) {
		lapic_send_init(c->apic_id);
		return "SIPI not delivered";
	}
	udelay(SIPI_RETRY_US);
	if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		lapic_send_sipi(c->apic_id, (uint32_t)tramp);
	uint64_t end = deadline_ms(AP_ONLINE_TIMEOUT_MS);
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		if (rdtsc() > end) {
			lapic_send_init(c->apic_id); /* park it: a late start would use the next AP's block */
			return "did not come online";
		}
		cpu_relax();
	}
	c->bringup_ns = tsc_to_ns(rdtsc() - t0);
	return NULL;
}

static void skip(uint32_t apic_id, const char *why)
{
	if (nr_not_started < ACPI_MAX_CPUS) {
		not_started[nr_not_started].apic_id = apic_id;
		not_started[nr_not_started++].why = why;
	}
	kprintf("smp: CPU with APIC id %u not started: %s\n", apic_id, why);
}

/* APIC id 0xff (xAPIC) and 0xffffffff (x2APIC) are the broadcast
 * destination: an INIT sent there would reset every CPU, this one included. */
static bool apic_id_broadcast(uint32_t apic_id)
{
	return apic_id == 0xffffffffu || (apic_id == 0xff && !lapic_x2apic_mode());
}

static bool apic_id_taken(uint32_t apic_id)
{
	for (unsigned i = 0; i < nr_cpus; i++)
		if (cpus[i].apic_id == apic_id)
			return true;
	return false;
}

static void start_aps(uint64_t tramp)
{
	uint64_t tables = vm_trampoline_tables(tramp);
	if (!tramp || !vm_is_mapped(PHYS_OFFSET + tramp) || !tables) {
		kprintf("smp: no usable trampoline page or low page tables; only the boot CPU runs\n");
		return;
	}
	for (unsigned i = 0; i < acpi.nr_cpus; i++) {
		const struct acpi_cpu *a = &acpi.cpus[i];
		if (a->apic_id == cpus[0].apic_id)
			continue;
		const char *why = !a->enabled ? (a->online_capable ? "online-capable, not enabled" : "disabled")
				  : apic_id_broadcast(a->apic_id) ? "broadcast APIC id in the MADT"
				  : apic_id_taken(a->apic_id) ? "duplicate APIC id in the MADT"
				  : nr_cpus == MAX_CPUS ? "more CPUs than MAX_CPUS"
				  : a->apic_id > 255 && !lapic_x2apic_mode() ? "APIC id needs x2APIC"
				  : ap_prepare(&cpus[nr_cpus], nr_cpus, a->apic_id) ? "out of memory"
				  : ap_start(&cpus[nr_cpus], tramp, tables);
		if (why)
			skip(a->apic_id, why);
		else
			nr_cpus++;
	}
	vm_trampoline_tables_free(tables);
}

void smp_init(const struct boot_info *bi)
{
	struct cpu *bsp = &cpus[0];
	lapic_init(acpi.has_madt ? acpi.lapic_address : 0);
	irq_init();
	lapic_init_cpu();
	irq_init_cpu();
	bsp->apic_id = lapic_id();
	cpu_topology_detect(bsp);
	bsp->online = true; /* online_tsc 0: it has run since reset */
	lapic_timer_calibrate();
	irq_set_system(VECTOR_CALL, NULL, NULL, "call IPI");
	irq_set_system(VECTOR_TIMER, on_tick, NULL, "timer");
	lapic_timer_periodic(TICK_NS);
	if (!acpi.has_madt)
		kprintf("smp: no MADT; only the boot CPU runs\n");
	else
		start_aps(bi->trampoline);
	uint64_t sum = 0, max = 0;
	for (unsigned i = 1; i < nr_cpus; i++) {
		sum += cpus[i].bringup_ns;
		max = cpus[i].bringup_ns > max ? cpus[i].bringup_ns : max;
	}
	kprintf("smp: %u CPU%s online, %s, LAPIC timer %llu kHz", nr_cpus, nr_cpus > 1 ? "s" : "",
		lapic_x2apic_mode() ? "x2APIC" : "xAPIC", (unsigned long long)(lapic_timer_hz() / 1000));
	if (nr_cpus > 1)
		kprintf(", AP bring-up %llu us average, %llu us max", (unsigned long long)(sum / (nr_cpus - 1) / 1000),
			(unsigned long long)(max / 1000));
	kprintf("\n");
}

/* ---- cpus ---- */

struct ping {
	unsigned ran_on;
	uint32_t apic_id;
	unsigned count;
};

static void ping_fn(void *arg)
{
	struct ping *p = arg;
	p->ran_on = this_cpu_id();
	p->apic_id = lapic_id();
	__atomic_fetch_add(&p->count, 1, __ATOMIC_RELAXED);
}

#define STRESS_ROUNDS 2000
#define STRESS_SLOTS  16

/* Every CPU at once: malloc/free of varied sizes with a per-CPU fill pattern
 * checked before each free, and errno (newlib per-thread state) set to the
 * CPU number and checked after; counts the CPUs that saw no corruption. */
static void heap_stress(void *arg)
{
	unsigned me = this_cpu_id(), *ok = arg;
	unsigned char *slot[STRESS_SLOTS] = { 0 };
	size_t size[STRESS_SLOTS] = { 0 };
	bool good = true;
	errno = (int)me + 1000;
	for (unsigned r = 0; r < STRESS_ROUNDS; r++) {
		unsigned i = (r * 7 + me) % STRESS_SLOTS;
		if (slot[i]) {
			for (size_t k = 0; k < size[i]; k++)
				good &= slot[i][k] == (unsigned char)(me + k);
			free(slot[i]);
		}
		size[i] = 16 + (r * 131 + me * 17) % 3000;
		if ((slot[i] = malloc(size[i])))
			for (size_t k = 0; k < size[i]; k++)
				slot[i][k] = (unsigned char)(me + k);
	}
	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		free(slot[i]);
	if (good && errno == (int)me + 1000)
		__atomic_fetch_add(ok, 1, __ATOMIC_RELAXED);
}

/* smp_call on each CPU and smp_call_all: each must run where it was sent. */
static int cpus_ping(void)
{
	int bad = 0;
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct ping p = { .ran_on = MAX_CPUS };
		uint64_t t0 = rdtsc();
		int err = smp_call(i, ping_fn, &p);
		uint64_t ns = tsc_to_ns(rdtsc() - t0);
		bool ok = !err && p.ran_on == i && p.apic_id == cpus[i].apic_id;
		printf("cpu %u: smp_call %s, ran on cpu %u (APIC id %u), round trip %llu us\n", i, ok ? "ok" : "FAILED",
		       p.ran_on, p.apic_id, (unsigned long long)(ns / 1000));
		bad |= !ok;
	}
	struct ping all = { 0 };
	smp_call_all(ping_fn, &all);
	printf("smp_call_all: %u of %u CPUs ran\n", all.count, nr_cpus);
	unsigned heap_ok = 0;
	smp_call_all(heap_stress, &heap_ok);
	printf("heap stress: %u of %u CPUs clean (%u malloc/free each, all at once)\n", heap_ok, nr_cpus, STRESS_ROUNDS);
	return bad || all.count != nr_cpus || heap_ok != nr_cpus;
}

static int cmd_cpus(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "ping") == 0)
		return cpus_ping();
	if (argc > 1)
		return shell_usage("cpus");
	uint64_t now = rdtsc();
	printf("CPU  APIC  PKG CORE THR  STATE    BRING-UP      IRQS  IDLE\n");
	for (unsigned i = 0; i < nr_cpus; i++) {
		const struct cpu *c = &cpus[i];
		char up[16];
		if (i == 0)
			snprintf(up, sizeof(up), "boot");
		else
			snprintf(up, sizeof(up), "%llu us", (unsigned long long)(c->bringup_ns / 1000));
		uint64_t span = now - c->online_tsc, since = __atomic_load_n(&c->idle_since, __ATOMIC_RELAXED);
		uint64_t idle_tsc = c->idle_tsc + (since && since < now ? now - since : 0);
		unsigned idle = (unsigned)(idle_tsc * 100 / (span ? span : 1));
		printf("%3u %5u %4u %4u %3u  %-7s %9s %9llu  %3u%%\n", i, c->apic_id, c->package, c->core, c->thread,
		       c->online ? "online" : "offline", up, (unsigned long long)irq_count_cpu(i), idle);
	}
	for (unsigned i = 0; i < nr_not_started; i++)
		printf("  - %5u     -    -   -  offline  (%s)\n", not_started[i].apic_id, not_started[i].why);
	printf("TSC %llu MHz, LAPIC timer %llu kHz, %s\n", (unsigned long long)(tsc_hz() / 1000000),
	       (unsigned long long)(lapic_timer_hz() / 1000), lapic_x2apic_mode() ? "x2APIC" : "xAPIC");
	return 0;
}
SHELL_COMMAND(cpus, "cpus", "[ping]", "CPUs: APIC id, topology, state, interrupts; ping: smp_call each", cmd_cpus);
