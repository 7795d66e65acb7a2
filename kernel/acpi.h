/*
 * ACPI tables (ACPI 6.x §5.2): RSDP → XSDT (RSDT fallback) → the tables we
 * use. Every table is checked (signature, length, checksum) before any field
 * is read, and fields are read only inside the checked length.
 *
 * Physical addresses are turned into pointers by acpi_map, which the kernel
 * points at its direct map and the host tests at captured table images.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
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

/* What the kernel keeps from the FADT and DSDT. */
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
};

extern void *(*acpi_map)(uint64_t phys, uint32_t len);
extern struct acpi_info acpi;

/* Returns 0, or -1 after printing why the tables were rejected. */
int acpi_init(uint64_t rsdp_phys);
/* The checked table with this signature (instance n, from 0), or NULL. */
const struct acpi_sdt_header *acpi_find(const char sig[4], unsigned n);
bool acpi_checksum_ok(const void *p, uint32_t len);

#endif
