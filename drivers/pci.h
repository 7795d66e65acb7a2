/*
 * PCI / PCI Express: enumeration, BARs, capabilities, MSI/MSI-X, drivers.
 *
 * For drivers: register with PCI_DRIVER (matched by class or by ids); probe
 * gets the function and, to claim it, calls pci_enable_device (memory
 * decoding + bus mastering), pci_map_bar, then pci_msix_enable +
 * pci_msix_set_entry, or pci_msi_enable, or polls when pci_irq_mode says
 * PCI_IRQ_NONE; it returns 0.
 *
 * For the platform: pci_init (drivers/pci_ecam.c) sets pci_cfg and
 * pci_mmio_map, calls pci_enumerate once, and pci_probe_drivers later, once
 * interrupts work. Host tests set the two hooks to fakes instead.
 *
 * Enumeration keeps the firmware's bus numbers; after it, the function list
 * is fixed and sorted by segment:bus:device.function. Config accesses are
 * single ECAM loads and stores, so they need no lock; the functions that
 * change a device's state (enable, MSI/MSI-X) are for its driver only.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci_regs.h"

/* ---- configuration space access (the seam for host tests) ---- */

struct pci_cfg_ops {
	/* off is dword-aligned and below 4096; an absent function reads all ones. */
	uint32_t (*read32)(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off);
	void (*write32)(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v);
};
extern const struct pci_cfg_ops *pci_cfg;
/* Maps device memory uncached; NULL when out of address space. */
extern void *(*pci_mmio_map)(uint64_t phys, uint64_t size);

/* ---- one function ---- */

#define PCI_MAX_BARS PCI_TYPE0_NR_BARS

#define PCI_BAR_IO       0x1 /* I/O ports, else memory */
#define PCI_BAR_64       0x2 /* 64-bit memory BAR: bar[n + 1] is its upper half (size 0) */
#define PCI_BAR_PREFETCH 0x4

struct pci_bar {
	uint64_t addr;        /* as the firmware assigned it; 0: unassigned */
	uint64_t size;        /* 0: not implemented (or the upper half of a 64-bit BAR) */
	unsigned flags;       /* PCI_BAR_* */
	volatile void *virt;  /* pci_map_bar's uncached mapping, made once */
};

struct pci_driver;

struct pci_dev {
	uint16_t seg;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, prog_if, revision;
	uint8_t hdr_type;        /* PCI_HEADER_TYPE_*, without the multi-function bit */
	bool multifunction;      /* header type bit 7 of function 0 */
	uint16_t subsys_vendor, subsys_id; /* type 0 headers only, else 0 */
	uint8_t primary, secondary, subordinate; /* bridges only: firmware's bus numbers */

	unsigned nr_bars;        /* 6 for type 0, 2 for a bridge, 0 for CardBus */
	struct pci_bar bar[PCI_MAX_BARS];

	/* Capability offsets found at enumeration, 0 when absent. */
	uint16_t pcie_cap, msi_cap, msix_cap;
	uint16_t msix_size;      /* MSI-X table entries (Table Size + 1), 0 without MSI-X */
	/* The MSI-X table, set by pci_msix_enable; a host test may hand it RAM. */
	volatile struct pci_msix_entry *msix_table;
	unsigned msix_nvec;      /* entries the driver asked for: 0..msix_nvec-1 usable */

	bool cap_warned, ext_cap_warned; /* a malformed list was reported (once) */
	const struct pci_driver *driver; /* whose probe claimed the function, or NULL */
	void *driver_data;
};

#define PCI_SLOT_FMT "%04x:%02x:%02x.%x"
#define PCI_SLOT_ARGS(d) (d)->seg, (d)->bus, (d)->dev, (d)->fn

/* ---- enumeration ---- */

/* A range of buses whose config space the platform can reach (one MCFG entry). */
struct pci_segment {
	uint16_t seg;
	uint8_t bus_start, bus_end;
};

struct pci_scan_stats {
	unsigned functions, buses, segments;
};

/* Scans each segment from its bus_start, following bridges to their secondary
 * buses (each bus at most once, and only inside its segment's range). Replaces
 * any earlier list. Returns 0, or -1 when out of memory. */
int pci_enumerate(const struct pci_segment *segs, unsigned nr, struct pci_scan_stats *st);
unsigned pci_nr_devs(void);
struct pci_dev *pci_dev_at(unsigned i);
struct pci_dev *pci_get_slot(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn);

/* ---- config registers of a known function ---- */

uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);
/* Read-modify-write of the containing dword: not for a register that shares
 * its dword with RW1C bits. COMMAND is written through pci_set_command. */
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v);
/* Writes COMMAND with zeros into STATUS, whose error bits are write-1-to-clear. */
void pci_set_command(const struct pci_dev *d, uint16_t cmd);

/* ---- BARs ---- */

/* Memory decoding, I/O decoding if the function has an I/O BAR, bus mastering. */
void pci_enable_device(struct pci_dev *d);
/* The whole memory BAR mapped uncached (once; later calls return the same
 * mapping), or NULL with a message: I/O, unimplemented, unassigned, no space. */
volatile void *pci_map_bar(struct pci_dev *d, unsigned bar);

/* ---- capabilities ---- */

/* Walks a capability list: standard (ext false, from PCI_CAPABILITY_LIST) or
 * extended (from 0x100, PCI Express functions only). A pointer out of range
 * or a loop ends the walk, sets `error` and is reported once per function. */
struct pci_cap_iter {
	struct pci_dev *d;
	bool ext;
	uint16_t off;         /* this capability */
	uint16_t id;
	uint8_t version;      /* extended capabilities only */
	uint16_t next;        /* 0: end */
	const char *error;    /* why the walk stopped early, or NULL */
	uint64_t seen[PCI_EXT_CFG_SPACE_SIZE / 4 / 64]; /* one bit per dword visited */
};
void pci_cap_iter_init(struct pci_cap_iter *it, struct pci_dev *d, bool ext);
bool pci_cap_next(struct pci_cap_iter *it);
/* Offset of the first capability with this id, or 0. */
uint16_t pci_find_cap(struct pci_dev *d, uint8_t id);
uint16_t pci_find_ext_cap(struct pci_dev *d, uint16_t id);

/* ---- interrupts ---- */

enum pci_irq_mode {
	PCI_IRQ_NONE, /* neither MSI nor MSI-X: the driver polls */
	PCI_IRQ_MSI,
	PCI_IRQ_MSIX,
};
/* The best message-signalled interrupt the function offers. */
enum pci_irq_mode pci_irq_mode(const struct pci_dev *d);

/* The x86 MSI message (Intel SDM Vol. 3A §11.11.1-2). Address: 0xFEE in bits
 * 31:20, the destination APIC id in bits 19:12, redirection hint and
 * destination mode 0 (physical). Data: the vector in bits 7:0, delivery mode
 * 000 (fixed) and trigger mode 0 (edge) above it. */
#define MSI_ADDR_BASE       0xfee00000u
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_ADDR_DEST_MAX   0xffu /* wider ids need interrupt remapping */
#define MSI_DATA_VECTOR     0xffu
#define MSI_VECTOR_MIN      0x20  /* 0-31 are CPU exceptions */

struct pci_msix_info {
	unsigned size;              /* table entries */
	uint8_t table_bir, pba_bir;
	uint32_t table_off, pba_off;
	bool enabled, function_masked;
};
/* Reads the MSI-X capability; -1 when the function has none. */
int pci_msix_info(const struct pci_dev *d, struct pci_msix_info *mi);

/* Checks that table and PBA lie inside their memory BARs, maps the table,
 * enables MSI-X with every entry masked (the function masked meanwhile) and
 * INTx off. Needs pci_enable_device first. nvec: entries the driver will use,
 * 1..msix_size. Returns 0 or -1 with a message. */
int pci_msix_enable(struct pci_dev *d, unsigned nvec);
/* Points entry at vector on the CPU with this APIC id (fixed delivery, edge,
 * physical destination), written while the entry is masked, then unmasks it.
 * APIC ids above 255 need interrupt remapping, which we lack: refused. */
int pci_msix_set_entry(struct pci_dev *d, unsigned entry, uint32_t apic_id, uint8_t vector);
void pci_msix_mask(struct pci_dev *d, unsigned entry);
void pci_msix_unmask(struct pci_dev *d, unsigned entry);
/* Masks every entry and turns MSI-X off. */
void pci_msix_disable(struct pci_dev *d);

/* One MSI vector (Multiple Message Enable 0) to vector on apic_id; per-vector
 * masking is used while programming when the function has it. */
int pci_msi_enable(struct pci_dev *d, uint32_t apic_id, uint8_t vector);
void pci_msi_disable(struct pci_dev *d);

/* ---- drivers ---- */

#define PCI_ANY 0xffffu /* matches any value of a pci_match field */

struct pci_match {
	uint16_t vendor, device;
	uint16_t class, subclass, prog_if;
};
#define PCI_MATCH_ID(v, d) { .vendor = (v), .device = (d), .class = PCI_ANY, .subclass = PCI_ANY, .prog_if = PCI_ANY }
#define PCI_MATCH_CLASS(c, s, p) { .vendor = PCI_ANY, .device = PCI_ANY, .class = (c), .subclass = (s), .prog_if = (p) }

struct pci_driver {
	const char *name;
	const struct pci_match *match;
	unsigned nr_match;
	int (*probe)(struct pci_dev *d); /* 0: claimed; else the next matching driver is tried */
};

/* Registers a driver, as SHELL_COMMAND does a command: the linker gathers
 * them in .pci_drivers. `ids` is an array of struct pci_match. */
#define PCI_DRIVER(id, nm, ids, fn)                                                      \
	static const struct pci_driver pci_driver_##id                                    \
		__attribute__((used, section(".pci_drivers"), aligned(8))) =              \
			{ nm, ids, sizeof(ids) / sizeof((ids)[0]), fn }

bool pci_match_dev(const struct pci_match *m, const struct pci_dev *d);
/* Offers every unclaimed function to the drivers in [first, end), in order,
 * until one's probe returns 0. Returns the number of functions claimed. */
unsigned pci_probe_driver_table(const struct pci_driver *first, const struct pci_driver *end);

/* ---- names, as lspci prints them; NULL when unknown ---- */

const char *pci_vendor_name(uint16_t vendor);
const char *pci_device_name(uint16_t vendor, uint16_t device);
/* The subclass's name if known, else the class's. */
const char *pci_class_name(uint8_t class, uint8_t subclass);
const char *pci_cap_name(uint8_t id);
const char *pci_ext_cap_name(uint16_t id);

/* ---- platform (drivers/pci_ecam.c) ---- */

/* After acpi_init: ECAM through every MCFG segment, enumeration, one log line.
 * Returns 0, or -1 (with a message) when there is no MCFG or no memory. */
int pci_init(void);
/* After interrupts work: offers every function to the PCI_DRIVER drivers. */
void pci_probe_drivers(void);

#endif
