/*
 * The `acpi` shell command: the tables acpi_init accepted and what the kernel
 * took from them, and `acpi dump` to get a table's bytes out through the
 * serial log. The dump format is what tools/acpi-capture reads back:
 *
 *   acpidump: NAME at 0xPHYS length LEN
 *   acpidump: NAME OFFSET: up to 16 bytes as 2-digit hex, space separated
 *
 * NAME is the signature, with ".N" for instance N > 0 (SSDT.1); OFFSET is
 * hex, at least 4 digits; the lines of one table are in order with no gaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/shell.h"

#define DUMP_BYTES_PER_LINE 16

/* OEM strings are space-padded ASCII; show anything else as '.'. */
static void print_field(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		putchar(s[i] >= ' ' && s[i] <= '~' ? s[i] : '.');
}

static void list_tables(void)
{
	uint64_t phys;
	uint32_t len;
	const struct acpi_rsdp *r = acpi_rsdp(&phys, &len);
	printf("SIG   ADDRESS             LENGTH  REV  OEM     TABLE ID\n");
	if (r) {
		printf("RSDP  %#018llx %7u  %3u  ", (unsigned long long)phys, len, r->revision);
		print_field(r->oem_id, 6);
		printf("\n");
	}
	const struct acpi_sdt_header *t;
	for (unsigned i = 0; (t = acpi_table(i, &phys)); i++) {
		print_field(t->signature, 4);
		printf("  %#018llx %7u  %3u  ", (unsigned long long)phys, t->length, t->revision);
		print_field(t->oem_id, 6);
		printf("  ");
		print_field(t->oem_table_id, 8);
		printf("\n");
	}
}

/* MPS INTI flags (§5.2.12, Interrupt Source Override): polarity bits 1:0,
 * trigger mode bits 3:2; 0 in either means "as the bus defines", and the bus
 * of an override is always ISA (0): active high, edge. */
static const char *const inti_polarity[4] = { "high (ISA default)", "high", "reserved polarity", "low" };
static const char *const inti_trigger[4] = { "edge (ISA default)", "edge", "reserved trigger", "level" };

static void show_madt(void)
{
	if (!acpi.has_madt) {
		printf("MADT: none (or rejected): only the boot CPU runs\n");
		return;
	}
	unsigned en = 0, oc = 0;
	for (unsigned i = 0; i < acpi.nr_cpus; i++) {
		en += acpi.cpus[i].enabled;
		oc += acpi.cpus[i].online_capable;
	}
	printf("MADT: local APIC at %#llx%s; %u CPUs: %u enabled, %u online-capable, %u disabled\n",
	       (unsigned long long)acpi.lapic_address, acpi.pcat_compat ? ", PCAT_COMPAT (8259s present)" : "",
	       acpi.nr_cpus, en, oc, acpi.nr_cpus - en - oc);
	printf("  APIC ids:");
	for (unsigned i = 0; i < acpi.nr_cpus; i++) {
		const struct acpi_cpu *c = &acpi.cpus[i];
		printf(" %u%s%s", c->apic_id, c->x2apic ? "(x2)" : "",
		       c->enabled ? "" : c->online_capable ? "(online-capable)" : "(disabled)");
	}
	printf("\n");
	for (unsigned i = 0; i < acpi.nr_ioapics; i++)
		printf("  I/O APIC id %u at %#x, GSI base %u\n", acpi.ioapics[i].id, acpi.ioapics[i].address,
		       acpi.ioapics[i].gsi_base);
	for (unsigned i = 0; i < acpi.nr_overrides; i++) {
		const struct acpi_override *o = &acpi.overrides[i];
		printf("  override: bus %u IRQ %u -> GSI %u, flags %#x: %s, %s\n", o->bus, o->source, o->gsi,
		       o->flags, inti_polarity[o->flags & 3], inti_trigger[(o->flags >> 2) & 3]);
	}
}

static void show_summary(void)
{
	show_madt();
	if (!acpi.nr_mcfg)
		printf("MCFG: none (or rejected)\n");
	for (unsigned i = 0; i < acpi.nr_mcfg; i++)
		printf("MCFG: segment %u, buses %u-%u, ECAM at %#llx\n", acpi.mcfg[i].segment, acpi.mcfg[i].bus_start,
		       acpi.mcfg[i].bus_end, (unsigned long long)acpi.mcfg[i].base);
	if (acpi.has_hpet)
		/* Block id bits 12:8 hold the last comparator's index, as in GCAP_ID. */
		printf("HPET: number %u at %#llx, vendor %#06x, %u comparators, minimum tick %u\n", acpi.hpet_number,
		       (unsigned long long)acpi.hpet_address, acpi.hpet_block_id >> 16,
		       ((acpi.hpet_block_id >> 8) & 0x1f) + 1, acpi.hpet_min_tick);
	else
		printf("HPET: none (or rejected)\n");
	printf("FADT: PM timer port %#x (%s), PM1a_CNT %#x", acpi.pm_timer_port,
	       acpi.pm_timer_32bit ? "32-bit" : "24-bit", acpi.pm1a_cnt_port);
	if (acpi.pm1b_cnt_port)
		printf(", PM1b_CNT %#x", acpi.pm1b_cnt_port);
	if (acpi.has_s5)
		printf(", \\_S5 SLP_TYP %u/%u", acpi.slp_typa, acpi.slp_typb);
	else
		printf(", no \\_S5");
	printf(", i8042 %s", acpi.has_8042 ? "yes" : "no");
	if (acpi.has_reset_reg)
		printf(", reset %s %#llx <- %#x", acpi.reset_reg.space_id == ACPI_GAS_IO ? "port" : "memory",
		       (unsigned long long)acpi.reset_reg.address, acpi.reset_value);
	printf("\n");
}

static void dump_bytes(const char *name, const uint8_t *p, uint64_t phys, uint32_t len)
{
	printf("acpidump: %s at %#llx length %u\n", name, (unsigned long long)phys, len);
	for (uint32_t off = 0; off < len; off += DUMP_BYTES_PER_LINE) {
		printf("acpidump: %s %04x:", name, off);
		for (uint32_t i = off; i < len && i < off + DUMP_BYTES_PER_LINE; i++)
			printf(" %02x", p[i]);
		printf("\n");
	}
}

/* Name for instance n of a signature: "APIC", "SSDT.1". */
static void dump_name(char out[16], const char sig[4], unsigned n)
{
	if (n)
		snprintf(out, 16, "%.4s.%u", sig, n);
	else
		snprintf(out, 16, "%.4s", sig);
}

static void dump_all(void)
{
	uint64_t phys;
	uint32_t len;
	const struct acpi_rsdp *r = acpi_rsdp(&phys, &len);
	if (r)
		dump_bytes("RSDP", (const uint8_t *)r, phys, len);
	const struct acpi_sdt_header *t;
	for (unsigned i = 0; (t = acpi_table(i, &phys)); i++) {
		unsigned n = 0; /* earlier tables with this signature */
		for (unsigned j = 0; j < i; j++)
			n += memcmp(acpi_table(j, NULL)->signature, t->signature, 4) == 0;
		char name[16];
		dump_name(name, t->signature, n);
		dump_bytes(name, (const uint8_t *)t, phys, t->length);
	}
}

/* acpi dump SIG [N]: status 1 when there is no such table. */
static int dump_one(const char *sig, const char *nstr)
{
	char *end;
	unsigned long n = nstr ? strtoul(nstr, &end, 10) : 0;
	if (strlen(sig) != 4 || (nstr && (!*nstr || *end || n > 1000)))
		return shell_usage("acpi");
	uint64_t phys;
	uint32_t len;
	const struct acpi_rsdp *r;
	if (strcmp(sig, "RSDP") == 0 && n == 0 && (r = acpi_rsdp(&phys, &len))) {
		dump_bytes("RSDP", (const uint8_t *)r, phys, len);
		return 0;
	}
	const struct acpi_sdt_header *t, *want = acpi_find(sig, (unsigned)n);
	for (unsigned i = 0; want && (t = acpi_table(i, &phys)); i++)
		if (t == want) {
			char name[16];
			dump_name(name, sig, (unsigned)n);
			dump_bytes(name, (const uint8_t *)t, phys, t->length);
			return 0;
		}
	printf("acpi: no table %s (instance %lu)\n", sig, n);
	return 1;
}

static int cmd_acpi(int argc, char **argv)
{
	if (argc == 1) {
		list_tables();
		show_summary();
		return 0;
	}
	if (strcmp(argv[1], "dump") != 0 || argc < 3 || argc > 4)
		return shell_usage("acpi");
	if (strcmp(argv[2], "all") == 0) {
		if (argc != 3)
			return shell_usage("acpi");
		dump_all();
		return 0;
	}
	return dump_one(argv[2], argc == 4 ? argv[3] : NULL);
}
SHELL_COMMAND(acpi, "acpi", "[dump SIG [N] | dump all]",
	      "ACPI tables and what the kernel took from them; dump: a table as hex lines", cmd_acpi);
