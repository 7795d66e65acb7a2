/*
 * ACPI parsing over tables captured from QEMU q35 + OVMF (tests/data/acpi/q35/,
 * written by tools/acpi-capture), run through the whole acpi_init path: the
 * fake acpi_map puts each captured file at the physical address it had. Then
 * corrupted and synthesized copies: checksums, lengths, MADT entries that
 * overrun or have length 0/1, x2APIC and online-capable entries, array caps,
 * MCFG and HPET rules. Messages are checked by capturing stdout, where the
 * stub kprintf writes.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/acpi.h"
#include "tests/unit/capture.h"

/* ---- fake physical memory: captured tables at their addresses ---- */

#define MAX_BLOBS 32
#define TEST_TIMEOUT_S 20 /* a parser loop that never ends kills the binary: a failure */

struct blob {
	char name[16];
	uint64_t phys;
	uint32_t len;
	uint8_t *data;
};

static struct blob blobs[MAX_BLOBS];
static unsigned nr_blobs;
static char data_root[512] = "."; /* the repository, where tests/data lives */

/* The blob starting closest below phys, if [phys, phys+len) lies inside it: a
 * table grown in place by a test does not hide the table that follows it. */
static void *fake_map(uint64_t phys, uint32_t len)
{
	struct blob *best = NULL;
	for (unsigned i = 0; i < nr_blobs; i++)
		if (blobs[i].phys <= phys && (!best || blobs[i].phys > best->phys))
			best = &blobs[i];
	if (!len || !best || phys + len > best->phys + best->len)
		return NULL;
	return best->data + (phys - best->phys);
}

static void free_blobs(void)
{
	for (unsigned i = 0; i < nr_blobs; i++)
		free(blobs[i].data);
	nr_blobs = 0;
}

static uint8_t *read_file(const char *path, uint32_t len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	uint8_t *p = malloc(len);
	assert_non_null(p);
	if (fread(p, 1, len, f) != len || fgetc(f) != EOF)
		fail_msg("%s is not %u bytes long", path, len);
	fclose(f);
	return p;
}

/* Loads tests/data/acpi/q35/<capture>/ as described by its manifest. */
static void load(const char *capture)
{
	char dir[768], path[1024], line[256];
	free_blobs();
	snprintf(dir, sizeof(dir), "%s/tests/data/acpi/q35/%s", data_root, capture);
	snprintf(path, sizeof(path), "%s/manifest", dir);
	FILE *m = fopen(path, "r");
	if (!m)
		fail_msg("cannot open %s (run from the repository or set ACPI_TEST_ROOT)", path);
	while (fgets(line, sizeof(line), m)) {
		struct blob *b = &blobs[nr_blobs];
		char file[64];
		unsigned long long phys;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%15s %llx %u %63s", b->name, &phys, &b->len, file) != 4)
			fail_msg("%s: bad line %s", path, line);
		assert_true(nr_blobs < MAX_BLOBS);
		b->phys = phys;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		b->data = read_file(path, b->len);
		nr_blobs++;
	}
	fclose(m);
	assert_true(nr_blobs >= 4);
	acpi_map = fake_map;
}

static struct blob *blob(const char *name)
{
	for (unsigned i = 0; i < nr_blobs; i++)
		if (strcmp(blobs[i].name, name) == 0)
			return &blobs[i];
	fail_msg("no %s in the capture", name);
	return NULL;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

/* Makes the checksums right again after a test edited a table. */
static void fix_checksum(struct blob *b)
{
	if (strcmp(b->name, "RSDP") == 0) {
		struct acpi_rsdp *r = (struct acpi_rsdp *)b->data;
		r->checksum = 0;
		r->checksum = (uint8_t)-sum(b->data, 20); /* ACPI 1.0 part */
		if (r->revision >= 2) {
			r->ext_checksum = 0;
			r->ext_checksum = (uint8_t)-sum(b->data, r->length);
		}
		return;
	}
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)b->data;
	uint32_t n = h->length < b->len ? h->length : b->len;
	h->checksum = 0;
	h->checksum = (uint8_t)-sum(b->data, n);
}

/* Replaces a table's bytes (same address), sets its length field, fixes the checksum. */
static void install(const char *name, const void *data, uint32_t len)
{
	struct blob *b = blob(name);
	uint8_t *copy = malloc(len); /* data may be the blob's own bytes */
	assert_non_null(copy);
	memcpy(copy, data, len);
	free(b->data);
	b->data = copy;
	b->len = len;
	((struct acpi_sdt_header *)b->data)->length = len;
	fix_checksum(b);
}

/* ---- running acpi_init with its messages captured ---- */

static int init(void)
{
	struct capture c;
	capture_begin(&c);
	int r = acpi_init(blob("RSDP")->phys);
	capture_end(&c);
	return r;
}

/* ---- what q35 + OVMF (QEMU 7.2) give, checked by hand against the dumps ---- */

#define Q35_LAPIC    0xfee00000u
#define Q35_IOAPIC   0xfec00000u
#define Q35_ECAM     0xb0000000u
#define Q35_HPET     0xfed00000u
#define Q35_PM_TMR   0x608u /* ICH9 PMBASE 0x600 + 8 */
#define Q35_PM1A_CNT 0x604u
#define Q35_RESET    0xcf9u

static void expect_q35_platform(void)
{
	assert_true(acpi.has_madt);
	assert_int_equal(acpi.lapic_address, Q35_LAPIC);
	assert_true(acpi.pcat_compat);
	assert_int_equal(acpi.nr_ioapics, 1);
	assert_int_equal(acpi.ioapics[0].id, 0);
	assert_int_equal(acpi.ioapics[0].address, Q35_IOAPIC);
	assert_int_equal(acpi.ioapics[0].gsi_base, 0);
	/* IRQ0 -> GSI2 with bus-default flags; the PCI link IRQs 5, 9, 10, 11 level, active high. */
	static const struct acpi_override iso[] = {
		{ 0, 0, 2, 0x0 }, { 0, 5, 5, 0xd }, { 0, 9, 9, 0xd }, { 0, 10, 10, 0xd }, { 0, 11, 11, 0xd },
	};
	assert_int_equal(acpi.nr_overrides, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(acpi.overrides[i].bus, iso[i].bus);
		assert_int_equal(acpi.overrides[i].source, iso[i].source);
		assert_int_equal(acpi.overrides[i].gsi, iso[i].gsi);
		assert_int_equal(acpi.overrides[i].flags, iso[i].flags);
	}
	assert_int_equal(acpi.nr_mcfg, 1);
	assert_int_equal(acpi.mcfg[0].base, Q35_ECAM);
	assert_int_equal(acpi.mcfg[0].segment, 0);
	assert_int_equal(acpi.mcfg[0].bus_start, 0);
	assert_int_equal(acpi.mcfg[0].bus_end, 255);
	assert_true(acpi.has_hpet);
	assert_int_equal(acpi.hpet_address, Q35_HPET);
	assert_int_equal(acpi.hpet_number, 0);
	assert_int_equal(acpi.hpet_min_tick, 0);
	assert_int_equal(acpi.hpet_block_id, 0x8086a201); /* Intel, 3 comparators */
}

static void expect_q35_fadt(void)
{
	assert_int_equal(acpi.revision, 2);
	assert_int_equal(acpi.pm_timer_port, Q35_PM_TMR);
	assert_false(acpi.pm_timer_32bit);
	assert_int_equal(acpi.pm1a_cnt_port, Q35_PM1A_CNT);
	assert_int_equal(acpi.pm1b_cnt_port, 0);
	assert_true(acpi.has_s5);
	assert_int_equal(acpi.slp_typa, 0);
	assert_int_equal(acpi.slp_typb, 0);
	assert_true(acpi.has_reset_reg);
	assert_int_equal(acpi.reset_reg.space_id, ACPI_GAS_IO);
	assert_int_equal(acpi.reset_reg.address, Q35_RESET);
	assert_int_equal(acpi.reset_value, 0xf);
	assert_true(acpi.has_8042);
}

/* CPUs in MADT order: APIC id i -> ids[i], processor UID i, flags 1 for the first `enabled`. */
static void expect_cpus(const uint32_t *ids, unsigned n, unsigned enabled)
{
	assert_int_equal(acpi.nr_cpus, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(acpi.cpus[i].apic_id, ids[i]);
		assert_int_equal(acpi.cpus[i].uid, i);
		assert_int_equal(acpi.cpus[i].enabled, i < enabled);
		assert_false(acpi.cpus[i].online_capable);
		assert_false(acpi.cpus[i].x2apic);
	}
}

static void test_q35_smp4(void **state)
{
	(void)state;
	load("smp4");
	assert_int_equal(init(), 0);
	static const uint32_t ids[] = { 0, 1, 2, 3 };
	expect_cpus(ids, 4, 4);
	expect_q35_platform();
	expect_q35_fadt();
	/* Nothing but the two summary lines. */
	assert_string_equal(out, "acpi: ACPI 2.0+, 8 tables: XSDT FACP APIC HPET MCFG WAET BGRT DSDT\n"
				 "acpi: 4 CPUs (4 enabled), 1 I/O APIC, 5 ISA overrides, 1 MCFG segment, HPET yes\n");
}

static void test_q35_smp8(void **state)
{
	(void)state;
	load("smp8");
	assert_int_equal(init(), 0);
	static const uint32_t ids[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	expect_cpus(ids, 8, 8);
	expect_q35_platform();
	expect_q35_fadt();
}

static void test_q35_smp4_smt(void **state)
{
	(void)state;
	load("smp4-ht"); /* -smp 4,sockets=1,cores=2,threads=2 */
	assert_int_equal(init(), 0);
	static const uint32_t ids[] = { 0, 1, 2, 3 };
	expect_cpus(ids, 4, 4);
	expect_q35_platform();
}

/* -smp 6,sockets=2,cores=3: 2 bits of core id, so socket 1 starts at APIC id 4. */
static void test_q35_sparse_apic_ids(void **state)
{
	(void)state;
	load("smp6-2s3c");
	assert_int_equal(init(), 0);
	static const uint32_t ids[] = { 0, 1, 2, 4, 5, 6 };
	expect_cpus(ids, 6, 6);
	expect_q35_platform();
}

/* -smp 4,maxcpus=8: QEMU lists the 4 absent CPUs with flags 0 (neither enabled
 * nor online-capable); they are kept, marked not enabled. */
static void test_q35_hotplug_slots(void **state)
{
	(void)state;
	load("smp4-max8");
	assert_int_equal(init(), 0);
	static const uint32_t ids[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	expect_cpus(ids, 8, 4);
	expect_q35_platform();
	expect_msg("acpi: 8 CPUs (4 enabled)");
}

static void test_table_list(void **state)
{
	(void)state;
	load("smp4");
	assert_int_equal(init(), 0);
	/* acpi_table order: XSDT, what it lists in its order, then the DSDT. */
	static const char *const order[] = { "XSDT", "FACP", "APIC", "HPET", "MCFG", "WAET", "BGRT", "DSDT" };
	uint64_t phys;
	unsigned i;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct acpi_sdt_header *t = acpi_table(i, &phys);
		struct blob *b = blob(order[i]);
		assert_non_null(t);
		assert_memory_equal(t->signature, order[i], 4);
		assert_ptr_equal(t, b->data);
		assert_int_equal(phys, b->phys);
		assert_int_equal(t->length, b->len);
	}
	assert_null(acpi_table(i, &phys));
	assert_ptr_equal(acpi_find("DSDT", 0), blob("DSDT")->data);
	assert_ptr_equal(acpi_find("APIC", 0), blob("APIC")->data);
	assert_null(acpi_find("APIC", 1));
	assert_null(acpi_find("SSDT", 0));
	uint32_t len;
	assert_ptr_equal(acpi_rsdp(&phys, &len), blob("RSDP")->data);
	assert_int_equal(phys, blob("RSDP")->phys);
	assert_int_equal(len, 36);
}

/* Revision 0 RSDP: the RSDT (32-bit entries) is used. q35 has one too, but it
 * was not captured: build it from the XSDT's entries. */
static void test_rsdt_path(void **state)
{
	(void)state;
	load("smp4");
	struct blob *x = blob("XSDT");
	uint32_t n = (x->len - 36) / 8;
	uint8_t rsdt[36 + 4 * 16];
	assert_true(n <= 16);
	memcpy(rsdt, x->data, 36);
	memcpy(rsdt, "RSDT", 4);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a;
		memcpy(&a, x->data + 36 + 8 * i, 8);
		assert_true(a <= UINT32_MAX);
		uint32_t a32 = (uint32_t)a;
		memcpy(rsdt + 36 + 4 * i, &a32, 4);
	}
	install("XSDT", rsdt, 36 + 4 * n); /* same address, now an RSDT */
	struct acpi_rsdp *r = (struct acpi_rsdp *)blob("RSDP")->data;
	r->revision = 0;
	r->rsdt = (uint32_t)x->phys;
	fix_checksum(blob("RSDP"));
	assert_int_equal(init(), 0);
	assert_int_equal(acpi.revision, 0);
	uint64_t phys;
	assert_memory_equal(acpi_table(0, &phys)->signature, "RSDT", 4);
	static const uint32_t ids[] = { 0, 1, 2, 3 };
	expect_cpus(ids, 4, 4);
	expect_q35_platform();
	uint32_t len;
	assert_non_null(acpi_rsdp(NULL, &len));
	assert_int_equal(len, 20);
}

static void test_bad_rsdp(void **state)
{
	(void)state;
	load("smp4");
	blob("RSDP")->data[8]++;
	assert_int_equal(init(), -1);
	expect_msg("acpi: no valid RSDP");
	assert_false(acpi.has_madt);
	assert_null(acpi_table(0, NULL));
	assert_null(acpi_rsdp(NULL, NULL));

	load("smp4");
	blob("RSDP")->data[32]++; /* extended checksum only */
	assert_int_equal(init(), -1);
	expect_msg("acpi: RSDP extended checksum bad");
}

static void test_bad_xsdt_checksum(void **state)
{
	(void)state;
	load("smp4");
	blob("XSDT")->data[40]++;
	assert_int_equal(init(), -1);
	expect_msg("table XSDT at 0x1fb7d0e8: bad checksum");
	expect_msg("acpi: bad XSDT");
	assert_int_equal(acpi.nr_cpus, 0);
	assert_int_equal(acpi.pm_timer_port, 0);
}

/* A MADT with a wrong checksum is not used at all; the other tables are. */
static void test_madt_bad_checksum(void **state)
{
	(void)state;
	load("smp4");
	blob("APIC")->data[47] = 9; /* first CPU's APIC id, checksum left stale */
	assert_int_equal(init(), 0);
	expect_msg("acpi: table APIC at 0x1fb78000: bad checksum");
	assert_null(acpi_find("APIC", 0));
	assert_false(acpi.has_madt);
	assert_int_equal(acpi.nr_cpus, 0);
	assert_int_equal(acpi.nr_ioapics, 0);
	expect_q35_fadt();
	assert_int_equal(acpi.nr_mcfg, 1);
	assert_true(acpi.has_hpet);
}

static void test_fadt_bad_checksum(void **state)
{
	(void)state;
	load("smp4");
	blob("FACP")->data[76]++; /* PM timer port */
	assert_int_equal(init(), 0);
	expect_msg("table FACP at 0x1fb79000: bad checksum");
	expect_msg("acpi: no FADT");
	assert_int_equal(acpi.pm_timer_port, 0);
	assert_false(acpi.has_s5);
	assert_false(acpi.has_reset_reg);
	assert_null(acpi_find("DSDT", 0)); /* only the FADT leads to it */
	assert_int_equal(acpi.nr_cpus, 4);
}

/* All MADT results are dropped, not just what came after the bad entry. */
static void expect_madt_rejected(void)
{
	expect_msg("acpi: MADT: ignored, no CPUs or I/O APICs taken from it\n");
	assert_false(acpi.has_madt);
	assert_int_equal(acpi.nr_cpus, 0);
	assert_int_equal(acpi.nr_ioapics, 0);
	assert_int_equal(acpi.nr_overrides, 0);
	assert_int_equal(acpi.lapic_address, 0);
	expect_q35_fadt(); /* the rest still works */
	assert_int_equal(acpi.nr_mcfg, 1);
}

static void set_madt_length(uint32_t len)
{
	((struct acpi_sdt_header *)blob("APIC")->data)->length = len;
	fix_checksum(blob("APIC"));
}

static void test_madt_short(void **state)
{
	(void)state;
	load("smp4");
	set_madt_length(40); /* a header but not the LAPIC address and flags */
	assert_int_equal(init(), 0);
	expect_msg("acpi: MADT: length 40, shorter than its 44-byte fixed part; ignored\n");
	assert_false(acpi.has_madt);
	assert_int_equal(acpi.nr_cpus, 0);

	load("smp4");
	set_madt_length(30); /* not even a table header */
	assert_int_equal(init(), 0);
	expect_msg("acpi: table APIC at 0x1fb78000: length 30 too short\n");
	assert_false(acpi.has_madt);

	load("smp4");
	set_madt_length(200); /* longer than what is there: cannot be mapped */
	assert_int_equal(init(), 0);
	expect_msg("acpi: table APIC at 0x1fb78000: length 200 not mapped\n");
	assert_false(acpi.has_madt);
}

/* The q35 MADT ends with a 6-byte Local APIC NMI entry (type 4) at offset 138. */
#define Q35_MADT_LEN 144
#define Q35_MADT_NMI 138

static void test_madt_entry_overruns(void **state)
{
	(void)state;
	load("smp4");
	assert_int_equal(blob("APIC")->len, Q35_MADT_LEN);
	assert_int_equal(blob("APIC")->data[Q35_MADT_NMI], 4);
	set_madt_length(Q35_MADT_LEN - 3); /* the table now ends inside the last entry */
	assert_int_equal(init(), 0);
	expect_msg("acpi: MADT: entry at offset 138 (type 4): length 6 overruns the 141-byte table\n");
	expect_madt_rejected();

	load("smp4");
	blob("APIC")->data[Q35_MADT_NMI + 1] = 7; /* one past the end */
	fix_checksum(blob("APIC"));
	assert_int_equal(init(), 0);
	expect_msg("acpi: MADT: entry at offset 138 (type 4): length 7 overruns the 144-byte table\n");
	expect_madt_rejected();

	load("smp4");
	blob("APIC")->data[44 + 1] = 255; /* the first entry, a CPU, claims 255 bytes */
	fix_checksum(blob("APIC"));
	assert_int_equal(init(), 0);
	expect_msg("acpi: MADT: entry at offset 44 (type 0): length 255 overruns the 144-byte table\n");
	expect_madt_rejected();
}

/* Lengths 0 and 1 would never advance the walk: rejected (and the alarm set in
 * main ends a test that loops). */
static void test_madt_entry_length_0_1(void **state)
{
	(void)state;
	for (uint8_t len = 0; len < 2; len++) {
		char msg[128];
		load("smp4");
		blob("APIC")->data[44 + 1] = len;
		fix_checksum(blob("APIC"));
		assert_int_equal(init(), 0);
		snprintf(msg, sizeof(msg), "acpi: MADT: entry at offset 44 (type 0): length %u, below the 8 bytes it needs\n",
			 len);
		expect_msg(msg);
		expect_madt_rejected();

		load("smp4");
		blob("APIC")->data[Q35_MADT_NMI + 1] = len; /* a type we step over */
		fix_checksum(blob("APIC"));
		assert_int_equal(init(), 0);
		snprintf(msg, sizeof(msg),
			 "acpi: MADT: entry at offset 138 (type 4): length %u, below the 2 bytes it needs\n", len);
		expect_msg(msg);
		expect_madt_rejected();
	}
}

/* ---- synthesized tables ---- */

struct table {
	uint8_t b[8192];
	uint32_t len;
};

/* Starts a table with the first `fixed` bytes of a captured one. */
static void table_from(struct table *t, const char *name, uint32_t fixed)
{
	memcpy(t->b, blob(name)->data, fixed);
	t->len = fixed;
}

static void table_add(struct table *t, const void *p, uint32_t n)
{
	assert_true(t->len + n <= sizeof(t->b));
	memcpy(t->b + t->len, p, n);
	t->len += n;
}

static void add_lapic(struct table *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	struct acpi_madt_lapic e = { ACPI_MADT_LAPIC, sizeof(e), uid, id, flags };
	table_add(t, &e, sizeof(e));
}

static void add_x2apic(struct table *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	struct acpi_madt_x2apic e = { ACPI_MADT_X2APIC, sizeof(e), 0, id, flags, uid };
	table_add(t, &e, sizeof(e));
}

static void add_ioapic(struct table *t, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	struct acpi_madt_ioapic e = { ACPI_MADT_IOAPIC, sizeof(e), id, 0, addr, gsi_base };
	table_add(t, &e, sizeof(e));
}

static void add_iso(struct table *t, uint8_t source, uint32_t gsi, uint16_t flags)
{
	struct acpi_madt_iso e = { ACPI_MADT_ISO, sizeof(e), 0, source, gsi, flags };
	table_add(t, &e, sizeof(e));
}

/* x2APIC entries (ids past 255), online-capable and disabled CPUs, the LAPIC
 * address override, an unknown entry type of odd length, all in one MADT. */
static void test_madt_x2apic_online_capable(void **state)
{
	(void)state;
	load("smp4");
	struct table t;
	table_from(&t, "APIC", ACPI_MADT_ENTRIES);
	add_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
	add_x2apic(&t, 256, ACPI_MADT_ENABLED, 1);
	add_x2apic(&t, 0x12345, ACPI_MADT_ONLINE_CAPABLE, 2);
	static const uint8_t unknown[5] = { 0x7f, 5, 1, 2, 3 };
	table_add(&t, unknown, sizeof(unknown));
	add_lapic(&t, 3, 3, 0);                                          /* neither flag: kept, disabled */
	add_x2apic(&t, 300, ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE, 4); /* bit 1 reserved when enabled */
	add_lapic(&t, 5, 5, ACPI_MADT_ONLINE_CAPABLE);
	struct acpi_madt_lapic_override o = { ACPI_MADT_LAPIC_OVERRIDE, sizeof(o), 0, 0x1fee00000ull };
	table_add(&t, &o, sizeof(o));
	add_ioapic(&t, 2, 0xfec01000, 24);
	add_iso(&t, 9, 20, 0xf);
	install("APIC", t.b, t.len);

	assert_int_equal(init(), 0);
	assert_true(acpi.has_madt);
	static const struct acpi_cpu want[] = {
		{ 0, 0, true, false, false },         { 256, 1, true, false, true }, { 0x12345, 2, false, true, true },
		{ 3, 3, false, false, false },        { 300, 4, true, false, true }, { 5, 5, false, true, false },
	};
	assert_int_equal(acpi.nr_cpus, 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(acpi.cpus[i].apic_id, want[i].apic_id);
		assert_int_equal(acpi.cpus[i].uid, want[i].uid);
		assert_int_equal(acpi.cpus[i].enabled, want[i].enabled);
		assert_int_equal(acpi.cpus[i].online_capable, want[i].online_capable);
		assert_int_equal(acpi.cpus[i].x2apic, want[i].x2apic);
	}
	assert_int_equal(acpi.lapic_address, 0x1fee00000ull);
	assert_int_equal(acpi.nr_ioapics, 1);
	assert_int_equal(acpi.ioapics[0].id, 2);
	assert_int_equal(acpi.ioapics[0].address, 0xfec01000);
	assert_int_equal(acpi.ioapics[0].gsi_base, 24);
	assert_int_equal(acpi.nr_overrides, 1);
	assert_int_equal(acpi.overrides[0].source, 9);
	assert_int_equal(acpi.overrides[0].gsi, 20);
	assert_int_equal(acpi.overrides[0].flags, 0xf);
	expect_msg("acpi: 6 CPUs (3 enabled), 1 I/O APIC, 1 ISA override, 1 MCFG segment, HPET yes\n");
	expect_no_msg("acpi: MADT:");
}

/* An entry shorter than its type needs is as bad as one that overruns. */
static void test_madt_entry_below_type_minimum(void **state)
{
	(void)state;
	static const struct {
		uint8_t type, len;
		unsigned need;
	} cases[] = { { ACPI_MADT_LAPIC, 6, 8 },  { ACPI_MADT_IOAPIC, 8, 12 },          { ACPI_MADT_ISO, 8, 10 },
		      { ACPI_MADT_X2APIC, 12, 16 }, { ACPI_MADT_LAPIC_OVERRIDE, 4, 12 } };
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load("smp4");
		struct table t;
		table_from(&t, "APIC", ACPI_MADT_ENTRIES);
		add_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
		uint8_t e[16] = { cases[i].type, cases[i].len };
		table_add(&t, e, cases[i].len);
		add_lapic(&t, 1, 1, ACPI_MADT_ENABLED);
		install("APIC", t.b, t.len);
		assert_int_equal(init(), 0);
		char msg[128];
		snprintf(msg, sizeof(msg), "acpi: MADT: entry at offset 52 (type %u): length %u, below the %u bytes it needs\n",
			 cases[i].type, cases[i].len, cases[i].need);
		expect_msg(msg);
		expect_madt_rejected();
	}
}

/* One byte after the last entry: no room for a type and a length. */
static void test_madt_trailing_byte(void **state)
{
	(void)state;
	load("smp4");
	struct table t;
	table_from(&t, "APIC", Q35_MADT_LEN);
	table_add(&t, "\0", 1);
	install("APIC", t.b, t.len);
	assert_int_equal(init(), 0);
	expect_msg("acpi: MADT: entry at offset 144: 1 byte left of the 145-byte table, no room for type and length\n");
	expect_madt_rejected();
}

/* More entries than the arrays hold: the first ones are kept, the MADT is still used. */
static void test_madt_caps(void **state)
{
	(void)state;
	load("smp4");
	static struct table t;
	table_from(&t, "APIC", ACPI_MADT_ENTRIES);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 44; i++)
		add_x2apic(&t, 1000 + i, ACPI_MADT_ENABLED, i);
	for (uint8_t i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		add_ioapic(&t, i, 0xfec00000 + 0x1000u * i, 24u * i);
	for (uint8_t i = 0; i < ACPI_MAX_OVERRIDES + 2; i++)
		add_iso(&t, i, i, 0);
	install("APIC", t.b, t.len);
	assert_int_equal(init(), 0);
	assert_true(acpi.has_madt);
	assert_int_equal(acpi.nr_cpus, ACPI_MAX_CPUS);
	assert_int_equal(acpi.cpus[ACPI_MAX_CPUS - 1].apic_id, 1000 + ACPI_MAX_CPUS - 1);
	assert_int_equal(acpi.nr_ioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(acpi.ioapics[ACPI_MAX_IOAPICS - 1].id, ACPI_MAX_IOAPICS - 1);
	assert_int_equal(acpi.nr_overrides, ACPI_MAX_OVERRIDES);
	expect_msg("acpi: MADT: 44 CPU entries past the first 256 ignored\n");
	expect_msg("acpi: MADT: 1 I/O APICs past the first 8 ignored\n");
	expect_msg("acpi: MADT: 2 interrupt source overrides past the first 16 ignored\n");
}

static void test_mcfg_bad_length(void **state)
{
	(void)state;
	static const uint32_t bad[] = { 40, 60 + 4, 44 + 8 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		load("smp4");
		struct table t;
		table_from(&t, "MCFG", 60);
		memset(t.b + 60, 0, 8);
		t.len = bad[i];
		install("MCFG", t.b, t.len);
		assert_int_equal(init(), 0);
		char msg[96];
		snprintf(msg, sizeof(msg), "acpi: MCFG: length %u is not 44 + 16 * n; ignored\n", bad[i]);
		expect_msg(msg);
		assert_int_equal(acpi.nr_mcfg, 0);
		assert_true(acpi.has_madt);
	}
	load("smp4"); /* no allocations at all is a valid, empty MCFG */
	install("MCFG", blob("MCFG")->data, 44);
	assert_int_equal(init(), 0);
	assert_int_equal(acpi.nr_mcfg, 0);
	expect_no_msg("MCFG:");
}

static void test_mcfg_bus_range(void **state)
{
	(void)state;
	load("smp4");
	struct table t;
	table_from(&t, "MCFG", ACPI_MCFG_ALLOCS);
	struct acpi_mcfg_alloc a[] = {
		{ 0xe0000000, 1, 10, 5, 0 },            /* end below start: skipped */
		{ 0xc0000000, 2, 0, 63, 0 },
		{ 0x4000000000ull, 3, 128, 128, 0 },    /* one bus, above 4 GiB */
	};
	table_add(&t, a, sizeof(a));
	install("MCFG", t.b, t.len);
	assert_int_equal(init(), 0);
	expect_msg("acpi: MCFG: allocation 0 (segment 1 at 0xe0000000): end bus 5 below start bus 10; skipped\n");
	assert_int_equal(acpi.nr_mcfg, 2);
	assert_int_equal(acpi.mcfg[0].segment, 2);
	assert_int_equal(acpi.mcfg[0].base, 0xc0000000);
	assert_int_equal(acpi.mcfg[0].bus_start, 0);
	assert_int_equal(acpi.mcfg[0].bus_end, 63);
	assert_int_equal(acpi.mcfg[1].segment, 3);
	assert_int_equal(acpi.mcfg[1].base, 0x4000000000ull);
	assert_int_equal(acpi.mcfg[1].bus_start, 128);
	assert_int_equal(acpi.mcfg[1].bus_end, 128);
}

static void test_hpet_rules(void **state)
{
	(void)state;
	load("smp4");
	struct acpi_hpet *h = (struct acpi_hpet *)blob("HPET")->data;
	h->base_address.space_id = ACPI_GAS_IO;
	fix_checksum(blob("HPET"));
	assert_int_equal(init(), 0);
	expect_msg("acpi: HPET: base address 0xfed00000 in address space 1, not system memory; ignored\n");
	assert_false(acpi.has_hpet);
	assert_int_equal(acpi.hpet_address, 0);

	load("smp4");
	install("HPET", blob("HPET")->data, 52);
	assert_int_equal(init(), 0);
	expect_msg("acpi: HPET: length 52, shorter than 56; ignored\n");
	assert_false(acpi.has_hpet);

	load("smp4");
	h = (struct acpi_hpet *)blob("HPET")->data;
	h->hpet_number = 2;
	h->main_counter_minimum_clock_tick = 0x80;
	h->base_address.address = 0xfed80000;
	fix_checksum(blob("HPET"));
	assert_int_equal(init(), 0);
	assert_true(acpi.has_hpet);
	assert_int_equal(acpi.hpet_address, 0xfed80000);
	assert_int_equal(acpi.hpet_number, 2);
	assert_int_equal(acpi.hpet_min_tick, 0x80);
}

/* A good run after a bad one leaves nothing of the bad one behind, and back. */
static void test_reinit(void **state)
{
	(void)state;
	load("smp8");
	assert_int_equal(init(), 0);
	assert_int_equal(acpi.nr_cpus, 8);
	blob("APIC")->data[blob("APIC")->len - 6 + 1] = 0; /* the NMI entry is last here too */
	fix_checksum(blob("APIC"));
	assert_int_equal(init(), 0);
	expect_msg("(type 4): length 0, below the 2 bytes it needs");
	assert_int_equal(acpi.nr_cpus, 0);
	assert_int_equal(acpi.nr_overrides, 0);
	load("smp4");
	assert_int_equal(init(), 0);
	assert_int_equal(acpi.nr_cpus, 4);
	assert_int_equal(acpi.nr_overrides, 5);
}

/* Finds the repository from the binary's path (build/unit/kernel/test_acpi)
 * unless ACPI_TEST_ROOT says where it is. */
static void find_root(const char *argv0)
{
	const char *env = getenv("ACPI_TEST_ROOT");
	const char *b = strstr(argv0, "build/unit/");
	if (env)
		snprintf(data_root, sizeof(data_root), "%s", env);
	else if (b && b > argv0)
		snprintf(data_root, sizeof(data_root), "%.*s", (int)(b - argv0), argv0);
}

static void on_alarm(int sig)
{
	static const char msg[] = "test_acpi: timed out: a parser loop that does not advance?\n";
	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(int argc, char **argv)
{
	(void)argc;
	find_root(argv[0]);
	signal(SIGALRM, on_alarm);
	alarm(TEST_TIMEOUT_S);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q35_smp4),
		cmocka_unit_test(test_q35_smp8),
		cmocka_unit_test(test_q35_smp4_smt),
		cmocka_unit_test(test_q35_sparse_apic_ids),
		cmocka_unit_test(test_q35_hotplug_slots),
		cmocka_unit_test(test_table_list),
		cmocka_unit_test(test_rsdt_path),
		cmocka_unit_test(test_bad_rsdp),
		cmocka_unit_test(test_bad_xsdt_checksum),
		cmocka_unit_test(test_madt_bad_checksum),
		cmocka_unit_test(test_fadt_bad_checksum),
		cmocka_unit_test(test_madt_short),
		cmocka_unit_test(test_madt_entry_overruns),
		cmocka_unit_test(test_madt_entry_length_0_1),
		cmocka_unit_test(test_madt_x2apic_online_capable),
		cmocka_unit_test(test_madt_entry_below_type_minimum),
		cmocka_unit_test(test_madt_trailing_byte),
		cmocka_unit_test(test_madt_caps),
		cmocka_unit_test(test_mcfg_bad_length),
		cmocka_unit_test(test_mcfg_bus_range),
		cmocka_unit_test(test_hpet_rules),
		cmocka_unit_test(test_reinit),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	free_blobs();
	return failed;
}
