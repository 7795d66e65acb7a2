/*
 * ACPI tables (ACPI 6.x §5.2): RSDP → XSDT (RSDT fallback) → the tables we
 * use. Every table is checked (signature, length, checksum) before any field
 * is read, and fields are read only inside the checked length.
 *
 * Inside the MADT every entry must have a length of at least 2 and at least
 * its type's structure size, and must end inside the table; one bad entry
 * rejects the whole MADT (has_madt false, no CPUs, I/O APICs or overrides).
 * An MCFG whose length is not 44 + 16 * n is rejected; an allocation whose
 * end bus is below its start bus is skipped. An HPET whose base address is
 * not in system memory is rejected. Each rejection prints why.
 *
 * Physical addresses are turned into pointers by acpi_map, which the kernel
 * points at its direct map and the host tests at captured table images
 * (tests/data/acpi/, written by tools/acpi-capture).
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "ACPI table header (§5.2.6)");

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;   /* revision >= 2 from here */
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP (§5.2.5.3)");

/* Generic Address Structure (§5.2.3.2). */
struct acpi_gas {
	uint8_t space_id; /* 0 system memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1

/* MADT (§5.2.12): the fixed part, then interrupt controller structures, each
 * starting with {type, length}. Only the types we read are described here. */
#define ACPI_MADT_LAPIC_ADDR    36   /* u32 local interrupt controller address */
#define ACPI_MADT_FLAGS         40
#define ACPI_MADT_ENTRIES       44   /* first interrupt controller structure */
#define ACPI_MADT_PCAT_COMPAT   (1u << 0)

enum acpi_madt_type {
	ACPI_MADT_LAPIC          = 0,  /* Processor Local APIC */
	ACPI_MADT_IOAPIC         = 1,  /* I/O APIC */
	ACPI_MADT_ISO            = 2,  /* Interrupt Source Override */
	ACPI_MADT_LAPIC_OVERRIDE = 5,  /* Local APIC Address Override */
	ACPI_MADT_X2APIC         = 9,  /* Processor Local x2APIC */
};

/* Local APIC Flags, shared by types 0 and 9. Online Capable is
 * only meaningful with Enabled clear: the CPU may be hot-added later. */
#define ACPI_MADT_ENABLED        (1u << 0)
#define ACPI_MADT_ONLINE_CAPABLE (1u << 1)

struct acpi_madt_lapic {
	uint8_t type, length;
	uint8_t acpi_processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT Processor Local APIC");

struct acpi_madt_ioapic {
	uint8_t type, length;
	uint8_t io_apic_id;
	uint8_t reserved;
	uint32_t io_apic_address;
	uint32_t global_system_interrupt_base;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT I/O APIC");
_Static_assert(offsetof(struct acpi_madt_ioapic, global_system_interrupt_base) == 8, "I/O APIC GSI base");

struct acpi_madt_iso {
	uint8_t type, length;
	uint8_t bus;      /* 0: ISA */
	uint8_t source;   /* bus-relative IRQ */
	uint32_t global_system_interrupt;
	uint16_t flags;   /* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT Interrupt Source Override");
_Static_assert(offsetof(struct acpi_madt_iso, flags) == 8, "Interrupt Source Override flags");

struct acpi_madt_lapic_override {
	uint8_t type, length;
	uint16_t reserved;
	uint64_t local_apic_address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12, "MADT Local APIC Address Override");
_Static_assert(offsetof(struct acpi_madt_lapic_override, local_apic_address) == 4, "LAPIC override address");

struct acpi_madt_x2apic {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t acpi_processor_uid;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT Processor Local x2APIC");
_Static_assert(offsetof(struct acpi_madt_x2apic, acpi_processor_uid) == 12, "x2APIC UID");

/* MCFG (PCI Firmware spec 3.x §4.1.2): header, 8 reserved bytes, then
 * allocations. A valid length is ACPI_MCFG_ALLOCS + 16 * n. */
#define ACPI_MCFG_ALLOCS 44

struct acpi_mcfg_alloc {
	uint64_t base_address;   /* ECAM base for bus 0 of the segment */
	uint16_t pci_segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation (PCI FW §4.1.2)");

/* HPET description table (IA-PC HPET 1.0a §3.2.4). */
struct acpi_hpet {
	struct acpi_sdt_header header;
	uint32_t event_timer_block_id; /* bits 31:16 PCI vendor id, 12:8 last comparator, 15 legacy route */
	struct acpi_gas base_address;  /* must be system memory */
	uint8_t hpet_number;
	uint16_t main_counter_minimum_clock_tick; /* in periodic mode, in counter ticks */
	uint8_t page_protection;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET table (HPET 1.0a §3.2.4)");
_Static_assert(offsetof(struct acpi_hpet, base_address) == 40, "HPET base address");
_Static_assert(offsetof(struct acpi_hpet, main_counter_minimum_clock_tick) == 53, "HPET minimum tick");

#define ACPI_MAX_CPUS      256
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_MCFG      16

/* One processor from the MADT (Processor Local APIC or Local x2APIC entry). */
struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid;           /* ACPI processor UID */
	bool enabled;           /* flags bit 0: usable now */
	bool online_capable;    /* flags bit 1: may be enabled later (not started by us) */
	bool x2apic;            /* came from a type 9 entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t address;
	uint32_t gsi_base;
};

/* Interrupt Source Override: ISA IRQ `source` is GSI `gsi` with MPS `flags`. */
struct acpi_override {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;
};

/* One MCFG allocation: ECAM at `base` covers buses bus_start..bus_end of `segment`.
 * `base` is the address of bus 0 (as the table gives it), even when bus_start > 0. */
struct acpi_mcfg_seg {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

/* What the kernel keeps from the FADT, DSDT, MADT, MCFG and HPET. */
struct acpi_info {
	uint32_t pm_timer_port;   /* 0: none */
	bool pm_timer_32bit;
	uint32_t pm1a_cnt_port, pm1b_cnt_port;
	bool has_s5;
	uint8_t slp_typa, slp_typb; /* \_S5 sleep types */
	bool has_reset_reg;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	bool has_8042;            /* IAPC_BOOT_ARCH bit 1, or FADT too old to say */
	uint8_t revision;         /* of the RSDP: 0 = ACPI 1.0 (RSDT), 2+ = XSDT */

	/* MADT (§5.2.12); has_madt false when absent or rejected. */
	bool has_madt;
	uint64_t lapic_address;   /* 32-bit field, or the type 5 override */
	bool pcat_compat;         /* flags bit 0: dual 8259s present */
	unsigned nr_cpus;         /* entries kept, in table order (the BSP is not always first) */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned nr_overrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];

	/* MCFG (PCI Firmware spec §4.1.2). */
	unsigned nr_mcfg;
	struct acpi_mcfg_seg mcfg[ACPI_MAX_MCFG];

	/* HPET (IA-PC HPET spec §3.2.4). */
	bool has_hpet;
	uint64_t hpet_address;    /* memory-space base of the register block */
	uint8_t hpet_number;
	uint16_t hpet_min_tick;
	uint32_t hpet_block_id;   /* Event Timer Block ID as the table gives it */
};

extern void *(*acpi_map)(uint64_t phys, uint32_t len);
extern struct acpi_info acpi;

/* Returns 0, or -1 after printing why the tables were rejected. */
int acpi_init(uint64_t rsdp_phys);
/* The checked table with this signature (instance n, from 0), or NULL. */
const struct acpi_sdt_header *acpi_find(const char sig[4], unsigned n);
/* Table i (from 0) of the checked tables, or NULL past the last: the XSDT (or
 * RSDT), the tables it lists in its order, then the DSDT. *phys, when not
 * NULL, gets its physical address. */
const struct acpi_sdt_header *acpi_table(unsigned i, uint64_t *phys);
/* The RSDP acpi_init accepted (NULL if none); *phys and *len (20 bytes for
 * revision 0, else its length field) when not NULL. */
const struct acpi_rsdp *acpi_rsdp(uint64_t *phys, uint32_t *len);
bool acpi_checksum_ok(const void *p, uint32_t len);

#endif
