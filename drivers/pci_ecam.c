/*
 * PCI on the real machine: config space through ECAM (PCIe §7.2.2) at the
 * addresses the ACPI MCFG table gives, device memory through mmio_map, and
 * the linker-gathered driver table. The core logic is in pci.c.
 *
 * Each bus's 1 MiB of ECAM is mapped uncached the first time the bus is
 * touched, so only buses that exist cost page tables (a whole 256-bus window
 * would take 512 KiB of them). An ECAM access is one aligned 32-bit load or
 * store: no lock is needed around it, only around the lazy mapping.
 */
#include "arch/x86_64/io.h"
#include "drivers/pci.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"

#define ALL_ONES 0xffffffffu /* what a read of an absent function returns */

/* bus_window[i][bus]: the mapping of that bus in MCFG entry i, or NULL. */
static volatile uint8_t *bus_window[ACPI_MAX_MCFG][PCI_MAX_BUSES];
static spinlock_t map_lock = SPINLOCK_INIT;

static volatile uint8_t *map_bus(unsigned i, uint8_t bus)
{
	uint64_t f = spin_lock_irqsave(&map_lock);
	volatile uint8_t *w = bus_window[i][bus];
	if (!w) {
		uint64_t phys = acpi.mcfg[i].base + ((uint64_t)bus << PCI_ECAM_BUS_SHIFT);
		w = mmio_map(phys, PCI_ECAM_BUS_SIZE, VM_UC);
		/* release: the page tables are written before another CPU sees w */
		__atomic_store_n(&bus_window[i][bus], w, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&map_lock, f);
	if (!w)
		kprintf("pci: no MMIO space to map ECAM for bus %02x\n", bus);
	return w;
}

/* The virtual address of a config register, or NULL outside every MCFG range. */
static volatile uint32_t *ecam_reg(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	if (dev >= PCI_MAX_DEVICES || fn >= PCI_MAX_FUNCS || off >= PCI_EXT_CFG_SPACE_SIZE || off % 4)
		return NULL;
	for (unsigned i = 0; i < acpi.nr_mcfg && i < ACPI_MAX_MCFG; i++) {
		const struct acpi_mcfg_seg *m = &acpi.mcfg[i];
		if (m->segment != seg || bus < m->bus_start || bus > m->bus_end)
			continue;
		volatile uint8_t *w = __atomic_load_n(&bus_window[i][bus], __ATOMIC_ACQUIRE);
		if (!w && !(w = map_bus(i, bus)))
			return NULL;
		return (volatile uint32_t *)(w + ((uint32_t)dev << PCI_ECAM_DEV_SHIFT) +
					     ((uint32_t)fn << PCI_ECAM_FN_SHIFT) + off);
	}
	return NULL;
}

static uint32_t ecam_read32(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	volatile uint32_t *r = ecam_reg(seg, bus, dev, fn, off);
	return r ? mmio_read32(r) : ALL_ONES;
}

static void ecam_write32(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
	volatile uint32_t *r = ecam_reg(seg, bus, dev, fn, off);
	if (r)
		mmio_write32(r, v);
}

static const struct pci_cfg_ops ecam_ops = { ecam_read32, ecam_write32 };

static void *map_uncached(uint64_t phys, uint64_t size) { return mmio_map(phys, size, VM_UC); }

int pci_init(void)
{
	struct pci_segment segs[ACPI_MAX_MCFG];
	unsigned nr = acpi.nr_mcfg < ACPI_MAX_MCFG ? acpi.nr_mcfg : ACPI_MAX_MCFG;
	struct pci_scan_stats st;

	if (!nr) {
		kprintf("pci: no MCFG table, so no ECAM: PCI devices not enumerated\n");
		return -1;
	}
	for (unsigned i = 0; i < nr; i++)
		segs[i] = (struct pci_segment){ acpi.mcfg[i].segment, acpi.mcfg[i].bus_start, acpi.mcfg[i].bus_end };
	pci_cfg = &ecam_ops;
	pci_mmio_map = map_uncached;
	if (pci_enumerate(segs, nr, &st) < 0) {
		kprintf("pci: out of memory during enumeration\n");
		return -1;
	}
	kprintf("pci: %u function%s on %u bus%s in %u segment%s\n", st.functions, st.functions == 1 ? "" : "s",
		st.buses, st.buses == 1 ? "" : "es", st.segments, st.segments == 1 ? "" : "s");
	return 0;
}

/* PCI_DRIVER entries, gathered by linker.ld. */
extern const struct pci_driver __pci_drivers_start[], __pci_drivers_end[];

void pci_probe_drivers(void)
{
	unsigned n = pci_probe_driver_table(__pci_drivers_start, __pci_drivers_end);
	kprintf("pci: drivers claimed %u of %u functions\n", n, pci_nr_devs());
}
