/*
 * ACPI table discovery and the FADT/DSDT facts boot needs: the PM timer (TSC
 * calibration), PM1 control and \_S5 (power off), the reset register (reboot)
 * and whether an i8042 exists. See acpi.h for the checking rules.
 */
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/console.h"

struct rsdp {
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
_Static_assert(sizeof(struct rsdp) == 36, "RSDP (§5.2.5.3)");

/* FADT field offsets (§5.2.9, Table 5.9). */
#define FADT_DSDT          40
#define FADT_PM1A_CNT      64
#define FADT_PM1B_CNT      68
#define FADT_PM_TMR        76
#define FADT_IAPC_BOOT     109
#define FADT_FLAGS         112
#define FADT_RESET_REG     116
#define FADT_RESET_VALUE   128
#define FADT_X_DSDT        140
#define FADT_X_PM1A_CNT    172
#define FADT_X_PM1B_CNT    184
#define FADT_X_PM_TMR      208
#define IAPC_8042          (1u << 1)
#define FLAG_TMR_VAL_EXT   (1u << 8)
#define FLAG_RESET_REG_SUP (1u << 10)

#define MAX_TABLES 64
#define RSDP_V1_LEN 20

/* AML opcodes used by the \_S5 search (§20.2). */
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO 0x00
#define AML_ONE 0x01

void *(*acpi_map)(uint64_t phys, uint32_t len);
struct acpi_info acpi;
static const struct acpi_sdt_header *tables[MAX_TABLES];
static unsigned nr_tables;

bool acpi_checksum_ok(const void *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* Maps a table and checks it; NULL (after a message) when bad. */
static const struct acpi_sdt_header *map_table(uint64_t phys)
{
	const struct acpi_sdt_header *h = acpi_map(phys, sizeof(*h));
	if (!h) {
		kprintf("acpi: table at %#llx not mapped\n", (unsigned long long)phys);
		return NULL;
	}
	if (h->length < sizeof(*h)) {
		kprintf("acpi: table %.4s at %#llx: length %u too short\n", h->signature,
			(unsigned long long)phys, h->length);
		return NULL;
	}
	h = acpi_map(phys, h->length);
	if (!h || !acpi_checksum_ok(h, h->length)) {
		kprintf("acpi: table %.4s at %#llx: %s\n", h ? h->signature : "????",
			(unsigned long long)phys, h ? "bad checksum" : "not mapped");
		return NULL;
	}
	return h;
}

const struct acpi_sdt_header *acpi_find(const char sig[4], unsigned n)
{
	for (unsigned i = 0; i < nr_tables; i++)
		if (memcmp(tables[i]->signature, sig, 4) == 0 && n-- == 0)
			return tables[i];
	return NULL;
}

static int read_root(const struct rsdp *r)
{
	bool x = r->revision >= 2 && r->xsdt;
	const struct acpi_sdt_header *root = map_table(x ? r->xsdt : r->rsdt);
	if (!root || memcmp(root->signature, x ? "XSDT" : "RSDT", 4) != 0) {
		kprintf("acpi: bad %s\n", x ? "XSDT" : "RSDT");
		return -1;
	}
	uint32_t esize = x ? 8 : 4, n = (root->length - sizeof(*root)) / esize;
	const uint8_t *e = (const uint8_t *)(root + 1);
	nr_tables = 0;
	for (uint32_t i = 0; i < n && nr_tables < MAX_TABLES; i++) {
		uint64_t a = 0;
		memcpy(&a, e + i * esize, esize);
		const struct acpi_sdt_header *t = map_table(a);
		if (t)
			tables[nr_tables++] = t;
	}
	return 0;
}

static uint32_t field32(const struct acpi_sdt_header *t, uint32_t off)
{
	uint32_t v = 0;
	if (off + 4 <= t->length)
		memcpy(&v, (const uint8_t *)t + off, 4);
	return v;
}

/* An I/O-space GAS overrides the legacy 32-bit port field when present. */
static uint32_t port_field(const struct acpi_sdt_header *t, uint32_t legacy_off, uint32_t gas_off)
{
	struct acpi_gas g;
	if (gas_off + sizeof(g) <= t->length) {
		memcpy(&g, (const uint8_t *)t + gas_off, sizeof(g));
		if (g.space_id == ACPI_GAS_IO && g.address && g.address <= 0xffff)
			return (uint32_t)g.address;
	}
	return field32(t, legacy_off);
}

/* Reads one integer element of an AML package; returns bytes used or 0. */
static int aml_int(const uint8_t *p, const uint8_t *end, uint8_t *v)
{
	if (p >= end)
		return 0;
	if (*p == AML_ZERO || *p == AML_ONE) {
		*v = *p;
		return 1;
	}
	if (*p == AML_BYTE_PREFIX && p + 1 < end) {
		*v = p[1];
		return 2;
	}
	return 0;
}

/* Finds Name(_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}) in the DSDT body. */
static void find_s5(const struct acpi_sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)(dsdt + 1), *end = (const uint8_t *)dsdt + dsdt->length;
	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0 || p[4] != AML_PACKAGE_OP)
			continue;
		const uint8_t *q = p + 5;
		q += 1 + (*q >> 6); /* PkgLength: lead byte's top bits count extra bytes */
		q++;                /* NumElements */
		int n = aml_int(q, end, &acpi.slp_typa);
		if (n && aml_int(q + n, end, &acpi.slp_typb))
			acpi.has_s5 = true;
		return;
	}
}

static void read_fadt(const struct acpi_sdt_header *f)
{
	acpi.pm_timer_port = port_field(f, FADT_PM_TMR, FADT_X_PM_TMR);
	acpi.pm1a_cnt_port = port_field(f, FADT_PM1A_CNT, FADT_X_PM1A_CNT);
	acpi.pm1b_cnt_port = port_field(f, FADT_PM1B_CNT, FADT_X_PM1B_CNT);
	uint32_t flags = field32(f, FADT_FLAGS);
	acpi.pm_timer_32bit = flags & FLAG_TMR_VAL_EXT;
	acpi.has_8042 = f->revision < 2 || f->length <= FADT_IAPC_BOOT + 1 ||
			(((const uint8_t *)f)[FADT_IAPC_BOOT] & IAPC_8042);
	if ((flags & FLAG_RESET_REG_SUP) && f->length >= FADT_RESET_VALUE + 1) {
		memcpy(&acpi.reset_reg, (const uint8_t *)f + FADT_RESET_REG, sizeof(acpi.reset_reg));
		acpi.reset_value = ((const uint8_t *)f)[FADT_RESET_VALUE];
		acpi.has_reset_reg = acpi.reset_reg.address != 0;
	}
	uint64_t dsdt = 0;
	if (f->length >= FADT_X_DSDT + 8)
		memcpy(&dsdt, (const uint8_t *)f + FADT_X_DSDT, 8);
	if (!dsdt)
		dsdt = field32(f, FADT_DSDT);
	const struct acpi_sdt_header *d = dsdt ? map_table(dsdt) : NULL;
	if (d && memcmp(d->signature, "DSDT", 4) == 0)
		find_s5(d);
}

int acpi_init(uint64_t rsdp_phys)
{
	memset(&acpi, 0, sizeof(acpi));
	acpi.has_8042 = true;
	const struct rsdp *r = rsdp_phys ? acpi_map(rsdp_phys, sizeof(*r)) : NULL;
	if (!r || memcmp(r->signature, "RSD PTR ", 8) != 0 || !acpi_checksum_ok(r, RSDP_V1_LEN)) {
		kprintf("acpi: no valid RSDP\n");
		return -1;
	}
	if (r->revision >= 2 && (r->length < sizeof(*r) || !acpi_checksum_ok(r, sizeof(*r)))) {
		kprintf("acpi: RSDP extended checksum bad\n");
		return -1;
	}
	acpi.revision = r->revision;
	if (read_root(r) != 0)
		return -1;
	const struct acpi_sdt_header *fadt = acpi_find("FACP", 0);
	if (fadt)
		read_fadt(fadt);
	else
		kprintf("acpi: no FADT\n");
	return 0;
}
