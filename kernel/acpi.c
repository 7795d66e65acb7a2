/*
 * ACPI table discovery and the facts the kernel keeps: from the FADT and DSDT
 * the PM timer (TSC calibration), PM1 control and \_S5 (power off), the reset
 * register (reboot) and whether an i8042 exists; from the MADT the CPUs, I/O
 * APICs and ISA overrides (SMP bring-up, interrupt routing); from MCFG the
 * ECAM windows (PCI); from HPET its register block. See acpi.h for the
 * checking rules. A table that breaks its own structure rules is rejected as
 * a whole, with a message saying what and where: a half-read MADT would start
 * the wrong CPUs.
 */
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/console.h"

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
/* Checked tables: the root, those it lists, then the DSDT (acpi_table order). */
static const struct acpi_sdt_header *tables[MAX_TABLES];
static uint64_t table_phys[MAX_TABLES];
static unsigned nr_tables;
static const struct acpi_rsdp *rsdp;
static uint64_t rsdp_phys;

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
	char sig[4];
	uint32_t len = h->length;
	memcpy(sig, h->signature, sizeof(sig));
	if (len < sizeof(*h)) {
		kprintf("acpi: table %.4s at %#llx: length %u too short\n", sig, (unsigned long long)phys, len);
		return NULL;
	}
	if (!(h = acpi_map(phys, len))) {
		kprintf("acpi: table %.4s at %#llx: length %u not mapped\n", sig, (unsigned long long)phys, len);
		return NULL;
	}
	if (!acpi_checksum_ok(h, len)) {
		kprintf("acpi: table %.4s at %#llx: bad checksum\n", sig, (unsigned long long)phys);
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

const struct acpi_sdt_header *acpi_table(unsigned i, uint64_t *phys)
{
	if (i >= nr_tables)
		return NULL;
	if (phys)
		*phys = table_phys[i];
	return tables[i];
}

const struct acpi_rsdp *acpi_rsdp(uint64_t *phys, uint32_t *len)
{
	if (phys)
		*phys = rsdp ? rsdp_phys : 0;
	if (len)
		*len = !rsdp ? 0 : rsdp->revision >= 2 ? rsdp->length : RSDP_V1_LEN;
	return rsdp;
}

static void add_table(const struct acpi_sdt_header *t, uint64_t phys)
{
	if (nr_tables == MAX_TABLES) {
		kprintf("acpi: more than %u tables; %.4s at %#llx ignored\n", MAX_TABLES, t->signature,
			(unsigned long long)phys);
		return;
	}
	table_phys[nr_tables] = phys;
	tables[nr_tables++] = t;
}

static int read_root(const struct acpi_rsdp *r)
{
	bool x = r->revision >= 2 && r->xsdt;
	uint64_t root_phys = x ? r->xsdt : r->rsdt;
	const struct acpi_sdt_header *root = map_table(root_phys);
	if (!root || memcmp(root->signature, x ? "XSDT" : "RSDT", 4) != 0) {
		kprintf("acpi: bad %s\n", x ? "XSDT" : "RSDT");
		return -1;
	}
	add_table(root, root_phys);
	uint32_t esize = x ? 8 : 4, n = (root->length - sizeof(*root)) / esize;
	const uint8_t *e = (const uint8_t *)(root + 1);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = 0;
		memcpy(&a, e + i * esize, esize); /* little-endian: the low bytes of a */
		const struct acpi_sdt_header *t = map_table(a);
		if (t)
			add_table(t, a);
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
	if (d && memcmp(d->signature, "DSDT", 4) == 0) {
		add_table(d, dsdt);
		find_s5(d);
	}
}

/* ---- MADT (§5.2.12) ---- */

/* Bytes an entry of this type must have for the fields we read; 2 (type and
 * length) for the types we step over. */
static uint32_t madt_min_length(uint8_t type)
{
	switch (type) {
	case ACPI_MADT_LAPIC: return sizeof(struct acpi_madt_lapic);
	case ACPI_MADT_IOAPIC: return sizeof(struct acpi_madt_ioapic);
	case ACPI_MADT_ISO: return sizeof(struct acpi_madt_iso);
	case ACPI_MADT_LAPIC_OVERRIDE: return sizeof(struct acpi_madt_lapic_override);
	case ACPI_MADT_X2APIC: return sizeof(struct acpi_madt_x2apic);
	default: return 2;
	}
}

/* Entries past the arrays' ends, counted to report once after the walk. */
struct madt_dropped {
	unsigned cpus, ioapics, overrides;
};

static void madt_add_cpu(uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2apic,
			 struct madt_dropped *dropped)
{
	if (acpi.nr_cpus == ACPI_MAX_CPUS) {
		dropped->cpus++;
		return;
	}
	acpi.cpus[acpi.nr_cpus++] = (struct acpi_cpu){
		.apic_id = apic_id,
		.uid = uid,
		.enabled = flags & ACPI_MADT_ENABLED,
		/* Online Capable is reserved when Enabled is set (§5.2.12, Local APIC Flags). */
		.online_capable = !(flags & ACPI_MADT_ENABLED) && (flags & ACPI_MADT_ONLINE_CAPABLE),
		.x2apic = x2apic,
	};
}

/* One entry whose length was checked against madt_min_length. */
static void madt_entry(const uint8_t *p, struct madt_dropped *dropped)
{
	switch (p[0]) {
	case ACPI_MADT_LAPIC: {
		struct acpi_madt_lapic e;
		memcpy(&e, p, sizeof(e));
		madt_add_cpu(e.apic_id, e.acpi_processor_uid, e.flags, false, dropped);
		break;
	}
	case ACPI_MADT_X2APIC: {
		struct acpi_madt_x2apic e;
		memcpy(&e, p, sizeof(e));
		madt_add_cpu(e.x2apic_id, e.acpi_processor_uid, e.flags, true, dropped);
		break;
	}
	case ACPI_MADT_IOAPIC: {
		struct acpi_madt_ioapic e;
		memcpy(&e, p, sizeof(e));
		if (acpi.nr_ioapics == ACPI_MAX_IOAPICS) {
			dropped->ioapics++;
			break;
		}
		acpi.ioapics[acpi.nr_ioapics++] = (struct acpi_ioapic){
			.id = e.io_apic_id, .address = e.io_apic_address, .gsi_base = e.global_system_interrupt_base
		};
		break;
	}
	case ACPI_MADT_ISO: {
		struct acpi_madt_iso e;
		memcpy(&e, p, sizeof(e));
		if (acpi.nr_overrides == ACPI_MAX_OVERRIDES) {
			dropped->overrides++;
			break;
		}
		acpi.overrides[acpi.nr_overrides++] = (struct acpi_override){
			.bus = e.bus, .source = e.source, .gsi = e.global_system_interrupt, .flags = e.flags
		};
		break;
	}
	case ACPI_MADT_LAPIC_OVERRIDE: {
		struct acpi_madt_lapic_override e;
		memcpy(&e, p, sizeof(e));
		acpi.lapic_address = e.local_apic_address; /* replaces the 32-bit field */
		break;
	}
	}
}

static void madt_forget(void)
{
	acpi.has_madt = false;
	acpi.lapic_address = 0;
	acpi.pcat_compat = false;
	acpi.nr_cpus = acpi.nr_ioapics = acpi.nr_overrides = 0;
}

/* Checks the entry at `off` fits; prints what is wrong and returns -1 if not. */
static int madt_check_entry(const struct acpi_sdt_header *t, uint32_t off)
{
	const uint8_t *p = (const uint8_t *)t + off;
	uint32_t left = t->length - off;
	if (left < 2) {
		kprintf("acpi: MADT: entry at offset %u: %u byte left of the %u-byte table, "
			"no room for type and length\n", off, left, t->length);
		return -1;
	}
	uint32_t min = madt_min_length(p[0]);
	if (p[1] < min) {
		kprintf("acpi: MADT: entry at offset %u (type %u): length %u, below the %u bytes it needs\n", off,
			p[0], p[1], min);
		return -1;
	}
	if (p[1] > left) {
		kprintf("acpi: MADT: entry at offset %u (type %u): length %u overruns the %u-byte table\n", off,
			p[0], p[1], t->length);
		return -1;
	}
	return 0;
}

static void read_madt(const struct acpi_sdt_header *t)
{
	if (t->length < ACPI_MADT_ENTRIES) {
		kprintf("acpi: MADT: length %u, shorter than its %u-byte fixed part; ignored\n", t->length,
			ACPI_MADT_ENTRIES);
		return;
	}
	acpi.lapic_address = field32(t, ACPI_MADT_LAPIC_ADDR);
	acpi.pcat_compat = field32(t, ACPI_MADT_FLAGS) & ACPI_MADT_PCAT_COMPAT;
	struct madt_dropped dropped = { 0 };
	for (uint32_t off = ACPI_MADT_ENTRIES; off < t->length; off += ((const uint8_t *)t)[off + 1]) {
		if (madt_check_entry(t, off) != 0) {
			kprintf("acpi: MADT: ignored, no CPUs or I/O APICs taken from it\n");
			madt_forget();
			return;
		}
		madt_entry((const uint8_t *)t + off, &dropped);
	}
	if (dropped.cpus)
		kprintf("acpi: MADT: %u CPU entries past the first %u ignored\n", dropped.cpus, ACPI_MAX_CPUS);
	if (dropped.ioapics)
		kprintf("acpi: MADT: %u I/O APICs past the first %u ignored\n", dropped.ioapics, ACPI_MAX_IOAPICS);
	if (dropped.overrides)
		kprintf("acpi: MADT: %u interrupt source overrides past the first %u ignored\n", dropped.overrides,
			ACPI_MAX_OVERRIDES);
	acpi.has_madt = true;
}

/* ---- MCFG (PCI Firmware spec §4.1.2) ---- */

static void read_mcfg(const struct acpi_sdt_header *t)
{
	uint32_t len = t->length;
	if (len < ACPI_MCFG_ALLOCS || (len - ACPI_MCFG_ALLOCS) % sizeof(struct acpi_mcfg_alloc) != 0) {
		kprintf("acpi: MCFG: length %u is not %u + 16 * n; ignored\n", len, ACPI_MCFG_ALLOCS);
		return;
	}
	unsigned n = (len - ACPI_MCFG_ALLOCS) / sizeof(struct acpi_mcfg_alloc);
	for (unsigned i = 0; i < n; i++) {
		struct acpi_mcfg_alloc a;
		memcpy(&a, (const uint8_t *)t + ACPI_MCFG_ALLOCS + i * sizeof(a), sizeof(a));
		if (a.end_bus < a.start_bus) {
			kprintf("acpi: MCFG: allocation %u (segment %u at %#llx): end bus %u below start bus %u; "
				"skipped\n", i, a.pci_segment, (unsigned long long)a.base_address, a.end_bus, a.start_bus);
			continue;
		}
		if (acpi.nr_mcfg == ACPI_MAX_MCFG) {
			kprintf("acpi: MCFG: allocations past the first %u ignored\n", ACPI_MAX_MCFG);
			return;
		}
		acpi.mcfg[acpi.nr_mcfg++] = (struct acpi_mcfg_seg){
			.base = a.base_address, .segment = a.pci_segment, .bus_start = a.start_bus, .bus_end = a.end_bus
		};
	}
}

/* ---- HPET (IA-PC HPET 1.0a §3.2.4) ---- */

static void read_hpet(const struct acpi_sdt_header *t)
{
	struct acpi_hpet h;
	if (t->length < sizeof(h)) {
		kprintf("acpi: HPET: length %u, shorter than %zu; ignored\n", t->length, sizeof(h));
		return;
	}
	memcpy(&h, t, sizeof(h));
	if (h.base_address.space_id != ACPI_GAS_MEMORY) {
		kprintf("acpi: HPET: base address %#llx in address space %u, not system memory; ignored\n",
			(unsigned long long)h.base_address.address, h.base_address.space_id);
		return;
	}
	if (!h.base_address.address) {
		kprintf("acpi: HPET: base address 0; ignored\n");
		return;
	}
	acpi.has_hpet = true;
	acpi.hpet_address = h.base_address.address;
	acpi.hpet_number = h.hpet_number;
	acpi.hpet_min_tick = h.main_counter_minimum_clock_tick;
	acpi.hpet_block_id = h.event_timer_block_id;
}

static const char *plural(unsigned n) { return n == 1 ? "" : "s"; }

/* Two lines for the boot log: the tables, then what the kernel took from them. */
static void log_summary(void)
{
	kprintf("acpi: ACPI %s, %u tables:", acpi.revision >= 2 ? "2.0+" : "1.0", nr_tables);
	for (unsigned i = 0; i < nr_tables; i++)
		kprintf(" %.4s", tables[i]->signature);
	kprintf("\n");
	unsigned en = 0;
	for (unsigned i = 0; i < acpi.nr_cpus; i++)
		en += acpi.cpus[i].enabled;
	kprintf("acpi: %u CPU%s (%u enabled), %u I/O APIC%s, %u ISA override%s, %u MCFG segment%s, HPET %s\n",
		acpi.nr_cpus, plural(acpi.nr_cpus), en, acpi.nr_ioapics, plural(acpi.nr_ioapics), acpi.nr_overrides,
		plural(acpi.nr_overrides), acpi.nr_mcfg, plural(acpi.nr_mcfg), acpi.has_hpet ? "yes" : "no");
}

/* Maps and checks the RSDP (§5.2.5.3): both checksums, the length it claims. */
static const struct acpi_rsdp *map_rsdp(uint64_t phys)
{
	const struct acpi_rsdp *r = phys ? acpi_map(phys, RSDP_V1_LEN) : NULL;
	if (!r || memcmp(r->signature, "RSD PTR ", 8) != 0 || !acpi_checksum_ok(r, RSDP_V1_LEN)) {
		kprintf("acpi: no valid RSDP\n");
		return NULL;
	}
	if (r->revision < 2)
		return r;
	/* The extended checksum covers the whole structure, by its length field. */
	if (!(r = acpi_map(phys, sizeof(*r))) || r->length < sizeof(*r) || !(r = acpi_map(phys, r->length)) ||
	    !acpi_checksum_ok(r, r->length)) {
		kprintf("acpi: RSDP extended checksum bad\n");
		return NULL;
	}
	return r;
}

int acpi_init(uint64_t phys)
{
	memset(&acpi, 0, sizeof(acpi));
	acpi.has_8042 = true;
	nr_tables = 0;
	rsdp = NULL;
	const struct acpi_rsdp *r = map_rsdp(phys);
	if (!r)
		return -1;
	acpi.revision = r->revision;
	if (read_root(r) != 0)
		return -1;
	rsdp = r;
	rsdp_phys = phys;
	const struct acpi_sdt_header *t;
	if ((t = acpi_find("FACP", 0)))
		read_fadt(t);
	else
		kprintf("acpi: no FADT\n");
	if ((t = acpi_find("APIC", 0)))
		read_madt(t);
	if ((t = acpi_find("MCFG", 0)))
		read_mcfg(t);
	if ((t = acpi_find("HPET", 0)))
		read_hpet(t);
	log_summary();
	return 0;
}
