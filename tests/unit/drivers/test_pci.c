/*
 * drivers/pci.c on the host, against the fake ECAM space of fake_pci.c:
 * enumeration through bridges and segments, BAR sizing, capability walks
 * (good and malformed), MSI-X and MSI programming, driver matching, names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/pci.h"
#include "tests/unit/drivers/fake_pci.h"

#define CLASS_HOST_BRIDGE 0x060000
#define CLASS_ISA_BRIDGE  0x060100
#define CLASS_PCI_BRIDGE  0x060400
#define CLASS_NVME        0x010802
#define CLASS_SATA_AHCI   0x010601
#define CLASS_SMBUS       0x0c0500

static struct pci_scan_stats st;

static int setup(void **state)
{
	(void)state;
	fake_pci_reset();
	return 0;
}

static void enumerate_seg0(void)
{
	const struct pci_segment seg = { 0, 0, 0xff };
	assert_int_equal(pci_enumerate(&seg, 1, &st), 0);
}

static struct fake_fn *endpoint(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t class_code)
{
	return fake_pci_fn(0, bus, dev, fn, 0x1b36, 0x0010, class_code, PCI_HEADER_TYPE_NORMAL);
}

static struct fake_fn *bridge(uint8_t bus, uint8_t dev, uint8_t secondary, uint8_t subordinate)
{
	struct fake_fn *f = fake_pci_fn(0, bus, dev, 0, 0x1b36, 0x000c, CLASS_PCI_BRIDGE, PCI_HEADER_TYPE_BRIDGE);
	fake_pci_bridge(f, bus, secondary, subordinate);
	return f;
}

/* ---- enumeration ---- */

static void test_bridges_three_deep(void **state)
{
	(void)state;
	fake_pci_fn(0, 0, 0, 0, 0x8086, 0x29c0, CLASS_HOST_BRIDGE, PCI_HEADER_TYPE_NORMAL);
	bridge(0, 0x1c, 1, 3); /* root port */
	bridge(1, 0, 2, 3);    /* switch upstream port */
	bridge(2, 0, 3, 3);    /* switch downstream port */
	endpoint(3, 0, 0, CLASS_NVME);
	endpoint(5, 0, 0, CLASS_NVME); /* behind no bridge: unreachable */
	enumerate_seg0();

	assert_int_equal(st.functions, 5);
	assert_int_equal(st.buses, 4);
	assert_int_equal(st.segments, 1);
	struct pci_dev *nvme = pci_get_slot(0, 3, 0, 0);
	assert_non_null(nvme);
	assert_int_equal(nvme->class, 0x01);
	assert_int_equal(nvme->subclass, 0x08);
	assert_int_equal(nvme->prog_if, 0x02);
	assert_int_equal(nvme->revision, 0x01);
	assert_int_equal(nvme->vendor, 0x1b36);
	assert_int_equal(nvme->device, 0x0010);
	assert_null(pci_get_slot(0, 5, 0, 0));

	struct pci_dev *rp = pci_get_slot(0, 0, 0x1c, 0);
	assert_int_equal(rp->hdr_type, PCI_HEADER_TYPE_BRIDGE);
	assert_int_equal(rp->primary, 0);
	assert_int_equal(rp->secondary, 1);
	assert_int_equal(rp->subordinate, 3);
	assert_int_equal(rp->nr_bars, PCI_TYPE1_NR_BARS);
	/* sorted by slot, whatever order the walk found them in */
	assert_ptr_equal(pci_dev_at(0), pci_get_slot(0, 0, 0, 0));
	assert_ptr_equal(pci_dev_at(1), rp);
	assert_ptr_equal(pci_dev_at(4), nvme);
	assert_null(pci_dev_at(5));
}

static void test_multifunction(void **state)
{
	(void)state;
	struct fake_fn *isa = fake_pci_fn(0, 0, 0x1f, 0, 0x8086, 0x2918, CLASS_ISA_BRIDGE, PCI_HEADER_MULTI_FUNC);
	fake_pci_fn(0, 0, 0x1f, 2, 0x8086, 0x2922, CLASS_SATA_AHCI, 0); /* function 1 absent */
	struct fake_fn *smbus = fake_pci_fn(0, 0, 0x1f, 3, 0x8086, 0x2930, CLASS_SMBUS, 0);
	smbus->cfg[PCI_SUBSYSTEM_VENDOR_ID / 4] = 0x11001af4; /* 1af4:1100 */
	endpoint(0, 2, 0, CLASS_NVME);
	endpoint(0, 2, 1, CLASS_NVME); /* function 0 is single-function: never looked at */
	endpoint(0, 3, 1, CLASS_NVME); /* no function 0: the device is skipped */
	enumerate_seg0();

	assert_int_equal(st.functions, 4);
	assert_non_null(pci_get_slot(0, 0, 0x1f, 0));
	assert_null(pci_get_slot(0, 0, 0x1f, 1));
	assert_true(pci_get_slot(0, 0, 0x1f, 2)->multifunction);
	assert_false(pci_get_slot(0, 0, 2, 0)->multifunction);
	assert_null(pci_get_slot(0, 0, 2, 1));
	assert_null(pci_get_slot(0, 0, 3, 1));
	struct pci_dev *sm = pci_get_slot(0, 0, 0x1f, 3);
	assert_int_equal(sm->class, 0x0c);
	assert_int_equal(sm->subclass, 0x05);
	assert_int_equal(sm->subsys_vendor, 0x1af4);
	assert_int_equal(sm->subsys_id, 0x1100);
	assert_int_equal(pci_get_slot(0, 0, 0x1f, 0)->hdr_type, PCI_HEADER_TYPE_NORMAL);
	(void)isa;
}

static void test_bus_loops_and_duplicates(void **state)
{
	(void)state;
	bridge(0, 1, 1, 1);
	bridge(0, 2, 1, 1);    /* claims bus 1 again */
	bridge(0, 3, 0x20, 0x20); /* outside the segment's buses */
	bridge(1, 0, 0, 0);    /* points back to bus 0 */
	bridge(1, 1, 1, 1);    /* points at its own bus */
	endpoint(1, 2, 0, CLASS_NVME);
	endpoint(0x20, 0, 0, CLASS_NVME);
	const struct pci_segment seg = { 0, 0, 0x0f };
	assert_int_equal(pci_enumerate(&seg, 1, &st), 0);

	assert_int_equal(st.buses, 2);
	assert_int_equal(st.functions, 6);
	unsigned seen = 0;
	for (unsigned i = 0; i < pci_nr_devs(); i++)
		seen += pci_dev_at(i)->bus == 1 && pci_dev_at(i)->dev == 2;
	assert_int_equal(seen, 1);
	assert_null(pci_get_slot(0, 0x20, 0, 0));
	assert_true(fake_log_has("0000:00:02.0: secondary bus 01 was reached before"));
	assert_true(fake_log_has("0000:00:03.0: secondary bus 20 is outside the segment's ECAM range"));
	assert_true(fake_log_has("0000:01:00.0: secondary bus 00 is not above"));
	assert_true(fake_log_has("0000:01:01.0: secondary bus 01 is not above"));
}

static void test_two_segments(void **state)
{
	(void)state;
	fake_pci_fn(0, 0, 0, 0, 0x8086, 0x29c0, CLASS_HOST_BRIDGE, 0);
	fake_pci_fn(1, 0x40, 0, 0, 0x8086, 0x29c0, CLASS_HOST_BRIDGE, 0);
	struct fake_fn *br = fake_pci_fn(1, 0x40, 1, 0, 0x1b36, 0x000c, CLASS_PCI_BRIDGE, PCI_HEADER_TYPE_BRIDGE);
	fake_pci_bridge(br, 0x40, 0x41, 0x41);
	fake_pci_fn(1, 0x41, 0, 0, 0x1b36, 0x0010, CLASS_NVME, 0);
	fake_pci_fn(1, 0, 0, 0, 0x1b36, 0x0010, CLASS_NVME, 0); /* below segment 1's bus_start */
	const struct pci_segment segs[] = { { 0, 0, 0xff }, { 1, 0x40, 0x7f } };
	assert_int_equal(pci_enumerate(segs, 2, &st), 0);

	assert_int_equal(st.segments, 2);
	assert_int_equal(st.buses, 3);
	assert_int_equal(st.functions, 4);
	assert_non_null(pci_get_slot(1, 0x41, 0, 0));
	assert_null(pci_get_slot(1, 0, 0, 0));
	assert_int_equal(pci_dev_at(0)->seg, 0);
	assert_int_equal(pci_dev_at(3)->seg, 1);
}

/* ---- BARs ---- */

static void test_bars_sized_with_decoding_off(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	fake_pci_bar(f, 0, 0x800000000ull, 0x4000, PCI_BAR_64);
	fake_pci_bar(f, 2, 0xfe000000, 0x100000, PCI_BAR_PREFETCH);
	fake_pci_bar(f, 4, 0xc000, 32, PCI_BAR_IO);
	f->cfg[PCI_COMMAND / 4] |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
	uint32_t bar0 = fake_cfg32(f, PCI_BAR(0)), bar1 = fake_cfg32(f, PCI_BAR(1));
	struct fake_fn *io16 = endpoint(0, 5, 0, CLASS_NVME); /* a 16-bit I/O decoder */
	fake_pci_bar(io16, 0, 0x1000, 0x100, PCI_BAR_IO);
	io16->wmask[PCI_BAR(0) / 4] = 0xff00;
	enumerate_seg0();

	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	assert_int_equal(d->nr_bars, 6);
	assert_int_equal(d->bar[0].addr, 0x800000000ull);
	assert_int_equal(d->bar[0].size, 0x4000);
	assert_int_equal(d->bar[0].flags, PCI_BAR_64);
	assert_int_equal(d->bar[1].size, 0); /* upper half */
	assert_int_equal(d->bar[2].addr, 0xfe000000);
	assert_int_equal(d->bar[2].size, 0x100000);
	assert_int_equal(d->bar[2].flags, PCI_BAR_PREFETCH);
	assert_int_equal(d->bar[3].size, 0);
	assert_int_equal(d->bar[4].addr, 0xc000);
	assert_int_equal(d->bar[4].size, 32);
	assert_int_equal(d->bar[4].flags, PCI_BAR_IO);
	assert_int_equal(d->bar[5].size, 0);
	assert_int_equal(pci_get_slot(0, 0, 5, 0)->bar[0].size, 0x100);

	assert_int_equal(fake_pci_bar_writes_decoding, 0);
	assert_int_equal(fake_cfg32(f, PCI_BAR(0)), bar0); /* restored */
	assert_int_equal(fake_cfg32(f, PCI_BAR(1)), bar1);
	assert_int_equal(fake_cfg16(f, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
}

static void test_bar_64bit_in_last_slot(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	fake_pci_bar(f, 5, 0xfe000000, 0x1000, 0);
	f->cfg[PCI_BAR(5) / 4] |= PCI_BAR_MEM_TYPE_64;
	enumerate_seg0();
	assert_int_equal(pci_get_slot(0, 0, 4, 0)->bar[5].size, 0);
	assert_true(fake_log_has("64-bit BAR5 has no upper half"));
}

static void test_map_and_enable(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	fake_pci_bar(f, 0, 0x800000000ull, 0x4000, PCI_BAR_64);
	fake_pci_bar(f, 2, 0, 0x1000, 0); /* never assigned */
	fake_pci_bar(f, 4, 0xc000, 32, PCI_BAR_IO);
	void *ram = fake_pci_ram(0x800000000ull, 0x4000);
	enumerate_seg0();
	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	assert_int_equal(fake_cfg16(f, PCI_COMMAND), 0); /* enumeration enables nothing */

	pci_enable_device(d);
	assert_int_equal(fake_cfg16(f, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_ptr_equal(pci_map_bar(d, 0), ram);
	assert_ptr_equal(pci_map_bar(d, 0), ram);
	assert_int_equal(fake_pci_maps, 1);
	assert_null(pci_map_bar(d, 1));
	assert_null(pci_map_bar(d, 2));
	assert_true(fake_log_has("BAR2 was not assigned"));
	assert_null(pci_map_bar(d, 4));
	assert_true(fake_log_has("BAR4 is I/O space"));
	assert_null(pci_map_bar(d, 6));
	assert_int_equal(fake_pci_maps, 1);
}

/* ---- capabilities ---- */

static void test_cap_list(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	uint16_t pm = fake_pci_cap(f, PCI_CAP_ID_PM, 8);
	uint16_t msi = fake_pci_msi(f, true, true);
	uint16_t exp = fake_pci_cap(f, PCI_CAP_ID_EXP, 0x3c);
	uint16_t msix = fake_pci_msix(f, 8, 0, 0x2000, 0, 0x3000);
	f->cfg[pm / 4] |= 0x3u << 8; /* reserved low bits of a next pointer are ignored */
	enumerate_seg0();
	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);

	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_PM), pm);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_MSI), msi);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_EXP), exp);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_MSIX), msix);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_VNDR), 0);
	assert_int_equal(d->msi_cap, msi);
	assert_int_equal(d->msix_cap, msix);
	assert_int_equal(d->pcie_cap, exp);
	assert_int_equal(d->msix_size, 8);
	assert_string_equal(fake_log, "");
}

static void test_cap_loop(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	uint16_t a = fake_pci_cap(f, PCI_CAP_ID_PM, 8);
	uint16_t b = fake_pci_cap(f, PCI_CAP_ID_MSI, 16);
	f->cfg[b / 4] |= (uint32_t)a << 8; /* b -> a: a loop */
	enumerate_seg0();
	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	assert_true(fake_log_has("0000:00:04.0: capability pointer 0x40 seen before (a loop)"));

	fake_log_clear();
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_MSIX), 0); /* ends, does not spin */
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_MSI), b);
	assert_string_equal(fake_log, ""); /* reported once per function */

	struct pci_cap_iter it;
	unsigned n = 0;
	for (pci_cap_iter_init(&it, d, false); pci_cap_next(&it);)
		n++;
	assert_int_equal(n, 2);
	assert_non_null(it.error);
}

static void test_cap_pointer_out_of_range(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	uint16_t pm = fake_pci_cap(f, PCI_CAP_ID_PM, 8);
	f->cfg[pm / 4] |= 0x20u << 8; /* into the header */
	struct fake_fn *g = endpoint(0, 5, 0, CLASS_NVME);
	fake_pci_cap(g, PCI_CAP_ID_PM, 8);
	g->cfg[PCI_CAPABILITY_LIST / 4] = 0x10; /* the first pointer already bad */
	enumerate_seg0();

	assert_int_equal(pci_find_cap(pci_get_slot(0, 0, 4, 0), PCI_CAP_ID_PM), pm);
	assert_int_equal(pci_find_cap(pci_get_slot(0, 0, 4, 0), PCI_CAP_ID_MSI), 0);
	assert_true(fake_log_has("0000:00:04.0: capability pointer 0x20 out of range"));
	assert_int_equal(pci_find_cap(pci_get_slot(0, 0, 5, 0), PCI_CAP_ID_PM), 0);
	assert_true(fake_log_has("0000:00:05.0: capability pointer 0x10 out of range"));
}

static void test_ext_caps(void **state)
{
	(void)state;
	struct fake_fn *f = endpoint(0, 4, 0, CLASS_NVME);
	fake_pci_cap(f, PCI_CAP_ID_EXP, 0x3c);
	uint16_t aer = fake_pci_ext_cap(f, PCI_EXT_CAP_ID_AER, 0x48);
	uint16_t dsn = fake_pci_ext_cap(f, 0x03, 12);
	uint16_t vsec = fake_pci_ext_cap(f, 0x0b, 0x18);
	struct fake_fn *conv = endpoint(0, 5, 0, CLASS_NVME); /* no Express capability */
	fake_pci_ext_cap(conv, PCI_EXT_CAP_ID_AER, 0x48);
	struct fake_fn *loop = endpoint(0, 6, 0, CLASS_NVME);
	fake_pci_cap(loop, PCI_CAP_ID_EXP, 0x3c);
	uint16_t l1 = fake_pci_ext_cap(loop, PCI_EXT_CAP_ID_AER, 0x48);
	uint16_t l2 = fake_pci_ext_cap(loop, 0x03, 12);
	loop->cfg[l2 / 4] |= (uint32_t)l1 << 20;
	struct fake_fn *low = endpoint(0, 7, 0, CLASS_NVME);
	fake_pci_cap(low, PCI_CAP_ID_EXP, 0x3c);
	uint16_t m1 = fake_pci_ext_cap(low, PCI_EXT_CAP_ID_AER, 0x48);
	low->cfg[m1 / 4] |= 0x0c0u << 20; /* into standard config space */
	enumerate_seg0();

	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	assert_int_equal(pci_find_ext_cap(d, PCI_EXT_CAP_ID_AER), aer);
	assert_int_equal(pci_find_ext_cap(d, 0x03), dsn);
	assert_int_equal(pci_find_ext_cap(d, 0x0b), vsec);
	assert_int_equal(pci_find_ext_cap(d, 0x10), 0);
	assert_int_equal(pci_find_ext_cap(pci_get_slot(0, 0, 5, 0), PCI_EXT_CAP_ID_AER), 0);

	struct pci_cap_iter it;
	pci_cap_iter_init(&it, d, true);
	assert_true(pci_cap_next(&it));
	assert_int_equal(it.version, 1);

	assert_int_equal(pci_find_ext_cap(pci_get_slot(0, 0, 6, 0), 0x10), 0);
	assert_true(fake_log_has("0000:00:06.0: extended capability pointer 0x100 seen before"));
	assert_int_equal(pci_find_ext_cap(pci_get_slot(0, 0, 7, 0), 0x10), 0);
	assert_true(fake_log_has("0000:00:07.0: extended capability pointer 0xc0 out of range"));
	/* a function with an empty extended space walks nothing, quietly */
	struct fake_fn *none = fake_pci_fn(0, 0, 9, 0, 1, 1, CLASS_NVME, 0);
	fake_pci_cap(none, PCI_CAP_ID_EXP, 0x3c);
	enumerate_seg0();
	fake_log_clear();
	assert_int_equal(pci_find_ext_cap(pci_get_slot(0, 0, 9, 0), PCI_EXT_CAP_ID_AER), 0);
	assert_string_equal(fake_log, "");
}

/* ---- MSI-X ---- */

#define MSIX_BAR_PHYS 0xfe000000u
#define MSIX_TABLE    0x2000
#define MSIX_PBA      0x3000
#define MSIX_SIZE     8

static volatile struct pci_msix_entry *fake_table;
static uint16_t watched_cap;
static unsigned ctrl_writes, masked_enable_writes, unmasked_entries_at_release;

/* Watches MSI-X Message Control writes: the first must enable with the
 * function masked; when the function mask is released, every entry must
 * already be masked. */
static void watch_msix_ctrl(struct fake_fn *f, uint16_t off, uint32_t v)
{
	(void)f;
	if (off != watched_cap)
		return;
	uint16_t ctrl = v >> 16;
	if (ctrl_writes++ == 0 && (ctrl & PCI_MSIX_CTRL_ENABLE) && (ctrl & PCI_MSIX_CTRL_FUNCTION_MASK))
		masked_enable_writes++;
	if ((ctrl & PCI_MSIX_CTRL_ENABLE) && !(ctrl & PCI_MSIX_CTRL_FUNCTION_MASK))
		for (unsigned i = 0; i < MSIX_SIZE; i++)
			unmasked_entries_at_release += !(fake_table[i].vector_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static struct fake_fn *msix_device(uint8_t dev)
{
	struct fake_fn *f = endpoint(0, dev, 0, CLASS_NVME);
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, PCI_BAR_64);
	fake_pci_cap(f, PCI_CAP_ID_EXP, 0x3c);
	watched_cap = fake_pci_msix(f, MSIX_SIZE, 0, MSIX_TABLE, 0, MSIX_PBA);
	return f;
}

static void test_msix_program(void **state)
{
	(void)state;
	struct fake_fn *f = msix_device(4);
	uint8_t *bar = fake_pci_ram(MSIX_BAR_PHYS, 0x4000);
	fake_table = (volatile struct pci_msix_entry *)(bar + MSIX_TABLE);
	for (unsigned i = 0; i < MSIX_SIZE; i++) { /* as a firmware might leave it */
		fake_table[i].msg_addr = 0xdead0000;
		fake_table[i].vector_ctrl = 0;
	}
	fake_table[3].vector_ctrl = 0x80000000; /* a reserved bit, to be preserved */
	enumerate_seg0();
	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	assert_int_equal(pci_irq_mode(d), PCI_IRQ_MSIX);
	uint16_t cap = d->msix_cap;

	assert_int_equal(pci_msix_enable(d, 4), -1); /* memory decoding still off */
	assert_true(fake_log_has("call pci_enable_device first"));
	assert_int_equal(fake_pci_maps, 0);

	pci_enable_device(d);
	ctrl_writes = masked_enable_writes = unmasked_entries_at_release = 0;
	fake_pci_on_write = watch_msix_ctrl;
	assert_int_equal(pci_msix_enable(d, 4), 0);
	fake_pci_on_write = NULL;
	assert_int_equal(masked_enable_writes, 1);
	assert_int_equal(unmasked_entries_at_release, 0);
	assert_ptr_equal(d->msix_table, fake_table);
	uint16_t ctrl = fake_cfg16(f, cap + PCI_MSIX_MSG_CTRL);
	assert_true(ctrl & PCI_MSIX_CTRL_ENABLE);
	assert_false(ctrl & PCI_MSIX_CTRL_FUNCTION_MASK);
	assert_true(fake_cfg16(f, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	for (unsigned i = 0; i < MSIX_SIZE; i++)
		assert_true(fake_table[i].vector_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);

	assert_int_equal(pci_msix_set_entry(d, 1, 3, 0x41), 0);
	assert_int_equal(fake_table[1].msg_addr, 0xfee03000);
	assert_int_equal(fake_table[1].msg_upper_addr, 0);
	assert_int_equal(fake_table[1].msg_data, 0x41);
	assert_int_equal(fake_table[1].vector_ctrl, 0);
	assert_int_equal(pci_msix_set_entry(d, 3, 255, 0xef), 0);
	assert_int_equal(fake_table[3].msg_addr, 0xfeeff000);
	assert_int_equal(fake_table[3].vector_ctrl, 0x80000000);
	for (unsigned i = 0; i < MSIX_SIZE; i++)
		if (i != 1 && i != 3)
			assert_true(fake_table[i].vector_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);

	fake_log_clear();
	assert_int_equal(pci_msix_set_entry(d, 0, 256, 0x40), -1);
	assert_true(fake_log_has("APIC id 256 does not fit"));
	assert_int_equal(fake_table[0].msg_addr, 0xdead0000); /* untouched, still masked */
	assert_true(fake_table[0].vector_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(pci_msix_set_entry(d, 0, 0, 0x0e), -1); /* an exception vector */
	assert_int_equal(pci_msix_set_entry(d, 4, 0, 0x40), -1); /* only 4 asked for */

	pci_msix_mask(d, 1);
	assert_int_equal(fake_table[1].vector_ctrl, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	pci_msix_unmask(d, 1);
	assert_int_equal(fake_table[1].vector_ctrl, 0);
	pci_msix_disable(d);
	assert_false(fake_cfg16(f, cap + PCI_MSIX_MSG_CTRL) & PCI_MSIX_CTRL_ENABLE);
	for (unsigned i = 0; i < MSIX_SIZE; i++)
		assert_true(fake_table[i].vector_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(pci_msix_set_entry(d, 1, 0, 0x40), -1);
}

static void test_msix_outside_bar_refused(void **state)
{
	(void)state;
	/* table end past the BAR: 16 entries at 0x3f80 need up to 0x4080 */
	struct fake_fn *f;
	f = endpoint(0, 4, 0, CLASS_NVME);
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, 0);
	fake_pci_msix(f, 16, 0, 0x3f80, 0, 0x1000);
	f = endpoint(0, 5, 0, CLASS_NVME); /* BIR 5: not implemented */
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, 0);
	fake_pci_msix(f, 4, 5, 0, 0, 0x1000);
	f = endpoint(0, 6, 0, CLASS_NVME); /* BIR 7: reserved */
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, 0);
	fake_pci_msix(f, 4, 7, 0, 0, 0x1000);
	f = endpoint(0, 7, 0, CLASS_NVME); /* PBA past the BAR */
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, 0);
	fake_pci_msix(f, 4, 0, 0, 0, 0x4000);
	f = endpoint(0, 8, 0, CLASS_NVME); /* the upper half of a 64-bit BAR */
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, PCI_BAR_64);
	fake_pci_msix(f, 4, 1, 0, 0, 0x1000);
	f = endpoint(0, 9, 0, CLASS_NVME); /* an I/O BAR */
	fake_pci_bar(f, 0, MSIX_BAR_PHYS, 0x4000, 0);
	fake_pci_bar(f, 2, 0xc000, 0x100, PCI_BAR_IO);
	fake_pci_msix(f, 4, 2, 0, 0, 0x1000);
	fake_pci_ram(MSIX_BAR_PHYS, 0x4000);
	enumerate_seg0();

	for (uint8_t dev = 4; dev <= 9; dev++) {
		struct pci_dev *d = pci_get_slot(0, 0, dev, 0);
		pci_enable_device(d);
		assert_int_equal(pci_msix_enable(d, 1), -1);
		assert_null(d->msix_table);
	}
	assert_int_equal(fake_pci_maps, 0);
	assert_true(fake_log_has("0000:00:04.0: MSI-X table at BIR 0 offset 0x3f80 (256 bytes) is not inside"));
	assert_true(fake_log_has("0000:00:05.0: MSI-X table at BIR 5"));
	assert_true(fake_log_has("0000:00:06.0: MSI-X table at BIR 7"));
	assert_true(fake_log_has("0000:00:07.0: MSI-X PBA at BIR 0 offset 0x4000"));
	assert_true(fake_log_has("0000:00:08.0: MSI-X table at BIR 1"));
	assert_true(fake_log_has("0000:00:09.0: MSI-X table at BIR 2"));
}

static void test_msix_nvec_bounds(void **state)
{
	(void)state;
	msix_device(4);
	fake_pci_ram(MSIX_BAR_PHYS, 0x4000);
	enumerate_seg0();
	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	pci_enable_device(d);
	assert_int_equal(pci_msix_enable(d, 0), -1);
	assert_int_equal(pci_msix_enable(d, MSIX_SIZE + 1), -1);
	assert_int_equal(pci_msix_enable(d, MSIX_SIZE), 0);
	assert_int_equal(pci_msix_set_entry(d, MSIX_SIZE - 1, 0, 0x30), 0);
}

/* ---- MSI ---- */

static void test_msi_fallback(void **state)
{
	(void)state;
	struct fake_fn *f64 = endpoint(0, 4, 0, CLASS_NVME);
	uint16_t c64 = fake_pci_msi(f64, true, true);
	f64->cfg[(c64 + PCI_MSI_MASK_BITS_64) / 4] = 1; /* vector 0 masked at reset */
	struct fake_fn *f32 = endpoint(0, 5, 0, CLASS_NVME);
	uint16_t c32 = fake_pci_msi(f32, false, false);
	endpoint(0, 6, 0, CLASS_NVME); /* nothing: polls */
	enumerate_seg0();

	struct pci_dev *d = pci_get_slot(0, 0, 4, 0);
	assert_int_equal(pci_irq_mode(d), PCI_IRQ_MSI);
	assert_int_equal(pci_msix_enable(d, 1), -1);
	assert_int_equal(pci_msi_enable(d, 2, 0x50), 0);
	assert_int_equal(fake_cfg32(f64, c64 + PCI_MSI_MSG_ADDR), 0xfee02000);
	assert_int_equal(fake_cfg32(f64, c64 + PCI_MSI_MSG_UPPER_ADDR), 0);
	assert_int_equal(fake_cfg16(f64, c64 + PCI_MSI_MSG_DATA_64), 0x50);
	assert_int_equal(fake_cfg32(f64, c64 + PCI_MSI_MASK_BITS_64) & 1, 0);
	uint16_t ctrl = fake_cfg16(f64, c64 + PCI_MSI_MSG_CTRL);
	assert_true(ctrl & PCI_MSI_CTRL_ENABLE);
	assert_int_equal(ctrl & PCI_MSI_CTRL_MME_MASK, 0);
	assert_int_equal(fake_cfg16(f64, c64) & 0xff, PCI_CAP_ID_MSI); /* 16-bit writes kept the id */
	pci_msi_disable(d);
	assert_false(fake_cfg16(f64, c64 + PCI_MSI_MSG_CTRL) & PCI_MSI_CTRL_ENABLE);

	struct pci_dev *d32 = pci_get_slot(0, 0, 5, 0);
	assert_int_equal(pci_msi_enable(d32, 7, 0x51), 0);
	assert_int_equal(fake_cfg32(f32, c32 + PCI_MSI_MSG_ADDR), 0xfee07000);
	assert_int_equal(fake_cfg16(f32, c32 + PCI_MSI_MSG_DATA_32), 0x51);
	assert_int_equal(pci_msi_enable(d32, 300, 0x51), -1);
	assert_true(fake_log_has("APIC id 300 does not fit"));

	struct pci_dev *none = pci_get_slot(0, 0, 6, 0);
	assert_int_equal(pci_irq_mode(none), PCI_IRQ_NONE);
	assert_int_equal(pci_msi_enable(none, 0, 0x40), -1);
	assert_int_equal(pci_msix_enable(none, 1), -1);
}

/* ---- drivers ---- */

static unsigned failing_calls, nvme_calls, virtio_calls;
static int probe_failing(struct pci_dev *d) { (void)d; failing_calls++; return -5; }
static int probe_nvme(struct pci_dev *d) { (void)d; nvme_calls++; return 0; }
static int probe_virtio(struct pci_dev *d) { (void)d; virtio_calls++; return 0; }
static int probe_never(struct pci_dev *d) { (void)d; fail(); return 0; }

static const struct pci_match any_nvm[] = { PCI_MATCH_CLASS(0x01, 0x08, PCI_ANY) };
static const struct pci_match nvme_ids[] = { PCI_MATCH_CLASS(0x01, 0x08, 0x02) };
static const struct pci_match virtio_ids[] = { PCI_MATCH_ID(0x1af4, 0x1042), PCI_MATCH_ID(0x1af4, 0x1001) };
static const struct pci_match never_ids[] = { PCI_MATCH_ID(0xdead, 0xbeef), PCI_MATCH_CLASS(0x0c, 0x03, PCI_ANY) };
static const struct pci_driver drivers[] = {
	{ "failing", any_nvm, 1, probe_failing },
	{ "nvme", nvme_ids, 1, probe_nvme },
	{ "virtio-blk", virtio_ids, 2, probe_virtio },
	{ "never", never_ids, 2, probe_never },
};

static void test_driver_match(void **state)
{
	(void)state;
	fake_pci_fn(0, 0, 0, 0, 0x8086, 0x29c0, CLASS_HOST_BRIDGE, 0);
	fake_pci_fn(0, 0, 3, 0, 0x144d, 0xa808, CLASS_NVME, 0);
	fake_pci_fn(0, 0, 4, 0, 0x1b36, 0x0010, CLASS_NVME, 0);
	fake_pci_fn(0, 0, 5, 0, 0x1af4, 0x1001, 0x010000, 0);
	fake_pci_fn(0, 0, 6, 0, 0x1b36, 0x0011, 0x010803, 0); /* NVM, other prog-if */
	enumerate_seg0();
	failing_calls = nvme_calls = virtio_calls = 0;

	assert_int_equal(pci_probe_driver_table(drivers, drivers + 4), 3);
	assert_int_equal(failing_calls, 3); /* each NVM function, before nvme was tried */
	assert_int_equal(nvme_calls, 2);
	assert_int_equal(virtio_calls, 1);
	assert_true(fake_log_has("0000:00:03.0: failing probe failed (-5)"));
	assert_ptr_equal(pci_get_slot(0, 0, 3, 0)->driver, &drivers[1]);
	assert_ptr_equal(pci_get_slot(0, 0, 4, 0)->driver, &drivers[1]);
	assert_ptr_equal(pci_get_slot(0, 0, 5, 0)->driver, &drivers[2]);
	assert_null(pci_get_slot(0, 0, 6, 0)->driver);
	assert_null(pci_get_slot(0, 0, 0, 0)->driver);

	/* a second pass leaves claimed functions alone */
	assert_int_equal(pci_probe_driver_table(drivers + 1, drivers + 4), 0);
	assert_int_equal(nvme_calls, 2);

	const struct pci_match m = PCI_MATCH_CLASS(0x01, PCI_ANY, PCI_ANY);
	assert_true(pci_match_dev(&m, pci_get_slot(0, 0, 5, 0)));
	assert_false(pci_match_dev(&m, pci_get_slot(0, 0, 0, 0)));
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pci_vendor_name(0x8086), "Intel Corporation");
	assert_string_equal(pci_vendor_name(0x1b36), "Red Hat, Inc.");
	assert_string_equal(pci_vendor_name(0x144d), "Samsung Electronics Co Ltd");
	assert_null(pci_vendor_name(0x0001));
	assert_string_equal(pci_device_name(0x1b36, 0x0010), "QEMU NVM Express Controller");
	assert_null(pci_device_name(0x1b36, 0x7777));
	assert_string_equal(pci_class_name(0x01, 0x08), "Non-Volatile memory controller");
	assert_string_equal(pci_class_name(0x06, 0x00), "Host bridge");
	assert_string_equal(pci_class_name(0x06, 0x01), "ISA bridge");
	assert_string_equal(pci_class_name(0x06, 0x04), "PCI bridge");
	assert_string_equal(pci_class_name(0x01, 0x06), "SATA controller");
	assert_string_equal(pci_class_name(0x0c, 0x05), "SMBus");
	assert_string_equal(pci_class_name(0x03, 0x00), "VGA compatible controller");
	assert_string_equal(pci_class_name(0x02, 0x00), "Ethernet controller");
	assert_string_equal(pci_class_name(0x01, 0x42), "Mass storage controller");
	assert_null(pci_class_name(0x77, 0x00));
	assert_string_equal(pci_cap_name(PCI_CAP_ID_MSIX), "MSI-X");
	assert_string_equal(pci_cap_name(PCI_CAP_ID_EXP), "Express");
	assert_null(pci_cap_name(0xee));
	assert_string_equal(pci_ext_cap_name(PCI_EXT_CAP_ID_AER), "Advanced Error Reporting");
	assert_null(pci_ext_cap_name(0x0c));
	assert_null(pci_ext_cap_name(0x1234));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bridges_three_deep, setup),
		cmocka_unit_test_setup(test_multifunction, setup),
		cmocka_unit_test_setup(test_bus_loops_and_duplicates, setup),
		cmocka_unit_test_setup(test_two_segments, setup),
		cmocka_unit_test_setup(test_bars_sized_with_decoding_off, setup),
		cmocka_unit_test_setup(test_bar_64bit_in_last_slot, setup),
		cmocka_unit_test_setup(test_map_and_enable, setup),
		cmocka_unit_test_setup(test_cap_list, setup),
		cmocka_unit_test_setup(test_cap_loop, setup),
		cmocka_unit_test_setup(test_cap_pointer_out_of_range, setup),
		cmocka_unit_test_setup(test_ext_caps, setup),
		cmocka_unit_test_setup(test_msix_program, setup),
		cmocka_unit_test_setup(test_msix_outside_bar_refused, setup),
		cmocka_unit_test_setup(test_msix_nvec_bounds, setup),
		cmocka_unit_test_setup(test_msi_fallback, setup),
		cmocka_unit_test_setup(test_driver_match, setup),
		cmocka_unit_test_setup(test_names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
