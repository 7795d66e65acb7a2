/*
 * Host stand-ins for the kernel services the NVMe driver calls; see
 * stub_nvme_env.h for how they keep a test deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_env.h"
#include "drivers/pci.h"
#include "kernel/affinity.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/percpu.h"
#include "kernel/power.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "tests/unit/blk/stub_env.h"
#include "tests/unit/drivers/fake_nvme.h"
#include "tests/unit/drivers/stub_nvme_env.h"

#define MAX_KEYS 16
#define MAX_IRQS 64
#define MAX_ENTRIES 64
#define LOG_BYTES (256 * 1024)
#define FIRST_VECTOR 32 /* irq n is CPU vector FIRST_VECTOR + n, as in kernel/irq.c's range */

unsigned nr_cpus = 1;

static struct {
	struct { char key[48]; long v; } keys[MAX_KEYS];
	unsigned nr_keys;
	uint64_t step;
	struct fake_nvme *f;
	struct pci_dev *pdev;
	struct { irq_handler_t fn; void *arg; unsigned cpu; } irqs[MAX_IRQS];
	unsigned nr_irqs;
	uint8_t entry_vector[MAX_ENTRIES];  /* MSI-X entry -> CPU vector, 0 = unset */
	unsigned long entry_irqs[MAX_ENTRIES];
	struct smp_work *work_head, *work_tail;
	bool in_pass;
	bool irqs_lost;
	void (*cross_call_hook)(unsigned n);
	unsigned cross_calls;
	char log[LOG_BYTES];
	size_t log_len;
} S;

/* ---- the test's controls ---- */

static bool idle_for_blk(void *arg)
{
	(void)arg;
	return stub_nvme_idle();
}

void stub_nvme_reset(unsigned cpus, uint64_t clock_step_ns)
{
	memset(&S, 0, sizeof(S));
	stub_env_reset();
	nr_cpus = cpus;
	stub_set_cpus(cpumask_first_n(cpus), cpumask_first_n(cpus), NULL);
	S.step = clock_step_ns;
	stub_set_time(0, clock_step_ns);
	stub_set_wait(idle_for_blk, NULL);
}

void stub_nvme_use(struct fake_nvme *f, struct pci_dev *pdev)
{
	S.f = f;
	S.pdev = pdev;
}

void stub_cmdline_set(const char *key, long v)
{
	for (unsigned i = 0; i < S.nr_keys; i++)
		if (strcmp(S.keys[i].key, key) == 0) {
			S.keys[i].v = v;
			return;
		}
	assert_true(S.nr_keys < MAX_KEYS);
	snprintf(S.keys[S.nr_keys].key, sizeof(S.keys[0].key), "%s", key);
	S.keys[S.nr_keys++].v = v;
}

long cmdline_get_long(const char *key, long def)
{
	for (unsigned i = 0; i < S.nr_keys; i++)
		if (strcmp(S.keys[i].key, key) == 0)
			return S.keys[i].v;
	return def;
}

const char *stub_log(void) { return S.log; }
bool stub_log_has(const char *s) { return strstr(S.log, s) != NULL; }
void stub_nvme_lose_irqs(bool on) { S.irqs_lost = on; }
unsigned long stub_irqs(unsigned entry) { return entry < MAX_ENTRIES ? S.entry_irqs[entry] : 0; }

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(S.log + S.log_len, LOG_BYTES - S.log_len, fmt, ap);
	va_end(ap);
	if (n > 0 && getenv("NVME_TEST_VERBOSE"))
		fputs(S.log + S.log_len, stdout);
	if (n > 0)
		S.log_len += (size_t)n < LOG_BYTES - S.log_len ? (size_t)n : LOG_BYTES - 1 - S.log_len;
	return n;
}

/* ---- time and the device ---- */

static void device_pass(void)
{
	if (!S.f || S.in_pass)
		return;
	S.in_pass = true;
	fake_nvme_process(S.f); /* interrupts come back through stub_nvme_fake_irq */
	S.in_pass = false;
}

uint64_t stub_now(void) { return blk_now_ns(); }
void stub_advance(uint64_t ns) { stub_set_time(blk_now_ns() + ns, S.step); }

uint64_t uptime_ns(void)
{
	uint64_t t = blk_now_ns();
	device_pass();
	return t;
}

void udelay(uint64_t us)
{
	stub_advance(us * 1000);
	device_pass();
}

unsigned stub_nvme_pending_work(void)
{
	unsigned n = 0;
	for (struct smp_work *w = S.work_head; w; w = w->next)
		n++;
	return n;
}

bool stub_nvme_idle(void)
{
	bool did = false;
	if (S.f && !S.in_pass) {
		S.in_pass = true;
		did = fake_nvme_process(S.f) != 0;
		S.in_pass = false;
	}
	while (S.work_head) {
		struct smp_work *w = S.work_head;
		S.work_head = w->next;
		if (!S.work_head)
			S.work_tail = NULL;
		w->fn(w->arg);
		__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
		did = true;
	}
	return did;
}

/* ---- CPUs and deferred work: one thread plays the boot CPU ---- */

unsigned this_cpu_id(void) { return blk_cpu(); }
cpumask_t cpus_online_mask(void) { return cpumask_first_n(nr_cpus); }

void stub_nvme_on_cross_call(void (*fn)(unsigned n))
{
	S.cross_call_hook = fn;
	S.cross_calls = 0;
}

static void cross_call_done(void)
{
	if (S.cross_call_hook)
		S.cross_call_hook(++S.cross_calls);
}

int smp_call_all(void (*fn)(void *), void *arg)
{
	fn(arg);
	cross_call_done();
	return 0;
}

int smp_call_async(unsigned cpu, struct smp_work *w)
{
	(void)cpu;
	w->next = NULL;
	w->done = 0;
	if (S.work_tail)
		S.work_tail->next = w;
	else
		S.work_head = w;
	S.work_tail = w;
	return 0;
}

void smp_tick_register(void (*fn)(void)) { (void)fn; }
void power_on_shutdown(void (*fn)(void)) { (void)fn; }

/* ---- interrupts and MSI-X ---- */

int irq_spread_vectors(unsigned nvec, const struct irq_affinity *affd, struct irq_affinity_desc *masks)
{
	return irq_create_affinity_masks(nvec, affd, cpus_online_mask(), NULL, masks);
}

int irq_request_affinity(const struct irq_affinity_desc *aff, irq_handler_t fn, void *arg, const char *name)
{
	(void)name;
	cpumask_t online = cpumask_and(aff->mask, cpus_online_mask());
	if (S.nr_irqs == MAX_IRQS || cpumask_empty(online))
		return -1;
	S.irqs[S.nr_irqs].fn = fn;
	S.irqs[S.nr_irqs].arg = arg;
	S.irqs[S.nr_irqs].cpu = cpumask_first(online); /* as the kernel's: one CPU of the mask */
	return (int)S.nr_irqs++;
}

int irq_cpu(int irq) { return irq >= 0 && (unsigned)irq < S.nr_irqs ? (int)S.irqs[irq].cpu : -1; }

/* Runs fn there: the stubs' CPU is a number the thread carries. */
int smp_call(unsigned cpu, void (*fn)(void *), void *arg)
{
	unsigned was = blk_cpu();
	stub_set_cpu(cpu);
	fn(arg);
	stub_set_cpu(was);
	cross_call_done();
	return 0;
}

uint32_t irq_dest_apic_id(int irq) { return (uint32_t)irq % nr_cpus; }
uint8_t irq_vector(int irq) { return (uint8_t)(FIRST_VECTOR + irq); }

void pci_enable_device(struct pci_dev *d) { (void)d; }
volatile void *pci_map_bar(struct pci_dev *d, unsigned bar)
{
	(void)d;
	(void)bar;
	return NULL; /* tests hand nvme_attach the fake's registers instead */
}

int pci_msix_enable(struct pci_dev *d, unsigned nvec)
{
	if (nvec == 0 || nvec > d->msix_size)
		return -1;
	d->msix_nvec = nvec;
	return 0;
}

int pci_msix_set_entry(struct pci_dev *d, unsigned entry, uint32_t apic_id, uint8_t vector)
{
	(void)apic_id;
	if (entry >= d->msix_nvec || entry >= MAX_ENTRIES || vector < FIRST_VECTOR)
		return -1;
	S.entry_vector[entry] = vector;
	return 0;
}

/* The fake raised MSI-X entry `entry`: run the handler of the vector the
 * driver programmed there, as the CPU would. */
void stub_nvme_fake_irq(void *arg, unsigned entry)
{
	(void)arg;
	assert_true(entry < MAX_ENTRIES);
	uint8_t vector = S.entry_vector[entry];
	if (!vector)
		fail_msg("interrupt on MSI-X entry %u, which the driver never programmed", entry);
	unsigned irq = vector - FIRST_VECTOR;
	assert_true(irq < S.nr_irqs);
	if (S.irqs_lost)
		return;
	S.entry_irqs[entry]++;
	S.irqs[irq].fn(S.irqs[irq].arg);
}
