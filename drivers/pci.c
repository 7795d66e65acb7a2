/*
 * PCI core (interface in pci.h): enumeration, BAR sizing, capability walks,
 * MSI and MSI-X programming, driver matching (names: pci_names.c). There is no hardware in this file: config space is reached only
 * through pci_cfg and device memory only through pci_mmio_map, so the host
 * tests run all of it against a fake ECAM space.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/io.h"
#include "drivers/pci.h"
#include "kernel/console.h"

const struct pci_cfg_ops *pci_cfg;
void *(*pci_mmio_map)(uint64_t phys, uint64_t size);

/* Every function found, sorted by slot; each pci_dev is its own allocation so
 * the pointers drivers keep stay valid. */
static struct pci_dev **devs;
static unsigned nr_devs, devs_cap;

#define VENDOR_NONE 0xffffu /* what an absent function's VENDOR_ID reads */

/* ---- config registers ---- */

uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
	return pci_cfg->read32(d->seg, d->bus, d->dev, d->fn, off & ~3u);
}

uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
	return (uint16_t)(pci_read32(d, off) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
	return (uint8_t)(pci_read32(d, off) >> (8 * (off & 3)));
}

void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
	pci_cfg->write32(d->seg, d->bus, d->dev, d->fn, off & ~3u, v);
}

void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
	unsigned shift = 8 * (off & 2);
	uint32_t dw = pci_read32(d, off) & ~(0xffffu << shift);
	pci_write32(d, off, dw | (uint32_t)v << shift);
}

void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v)
{
	unsigned shift = 8 * (off & 3);
	uint32_t dw = pci_read32(d, off) & ~(0xffu << shift);
	pci_write32(d, off, dw | (uint32_t)v << shift);
}

_Static_assert(PCI_COMMAND % 4 == 0 && PCI_STATUS == PCI_COMMAND + 2, "STATUS is COMMAND's upper half");

void pci_set_command(const struct pci_dev *d, uint16_t cmd)
{
	pci_write32(d, PCI_COMMAND, cmd); /* zeros to STATUS: its RW1C bits stay as they are */
}

/* ---- the function list ---- */

unsigned pci_nr_devs(void) { return nr_devs; }

struct pci_dev *pci_dev_at(unsigned i) { return i < nr_devs ? devs[i] : NULL; }

struct pci_dev *pci_get_slot(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (unsigned i = 0; i < nr_devs; i++) {
		struct pci_dev *d = devs[i];
		if (d->seg == seg && d->bus == bus && d->dev == dev && d->fn == fn)
			return d;
	}
	return NULL;
}

static void free_devs(void)
{
	for (unsigned i = 0; i < nr_devs; i++)
		free(devs[i]);
	free(devs);
	devs = NULL;
	nr_devs = devs_cap = 0;
}

static struct pci_dev *new_dev(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	if (nr_devs == devs_cap) {
		unsigned cap = devs_cap ? 2 * devs_cap : 32;
		struct pci_dev **p = realloc(devs, cap * sizeof(*p));
		if (!p)
			return NULL;
		devs = p;
		devs_cap = cap;
	}
	struct pci_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->seg = seg;
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	devs[nr_devs++] = d;
	return d;
}

static uint32_t slot_key(const struct pci_dev *d)
{
	return (uint32_t)d->seg << 16 | (uint32_t)d->bus << 8 | (uint32_t)d->dev << 3 | d->fn;
}

static int cmp_slot(const void *a, const void *b)
{
	uint32_t ka = slot_key(*(struct pci_dev *const *)a), kb = slot_key(*(struct pci_dev *const *)b);
	return ka < kb ? -1 : ka > kb;
}

/* ---- BAR sizing (PCI 3.0 §6.2.5.1) ---- */

/* Writes all ones, reads back which address bits the BAR implements, restores it. */
static uint32_t bar_probe(const struct pci_dev *d, uint16_t off, uint32_t *orig)
{
	*orig = pci_read32(d, off);
	pci_write32(d, off, 0xffffffffu);
	uint32_t mask = pci_read32(d, off);
	pci_write32(d, off, *orig);
	return mask;
}

/* Sizes BAR n; returns the number of registers it occupies (2 when 64-bit). */
static unsigned size_bar(struct pci_dev *d, unsigned n)
{
	struct pci_bar *b = &d->bar[n];
	uint32_t lo, hi = 0, hi_mask = 0;
	uint32_t lo_mask = bar_probe(d, PCI_BAR(n), &lo);
	unsigned used = 1;
	uint64_t mask;

	if (lo & PCI_BAR_SPACE_IO) {
		b->flags = PCI_BAR_IO;
		b->addr = lo & PCI_BAR_IO_ADDR_MASK;
		mask = lo_mask & PCI_BAR_IO_ADDR_MASK; /* bits 31:16 may read 0 (16-bit decoder) */
	} else {
		if ((lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64) {
			if (n + 1 >= d->nr_bars) {
				kprintf("pci " PCI_SLOT_FMT ": 64-bit BAR%u has no upper half: ignored\n",
					PCI_SLOT_ARGS(d), n);
				return 1;
			}
			hi_mask = bar_probe(d, PCI_BAR(n + 1), &hi);
			b->flags = PCI_BAR_64;
			used = 2;
		}
		if (lo & PCI_BAR_MEM_PREFETCH)
			b->flags |= PCI_BAR_PREFETCH;
		b->addr = (uint64_t)hi << 32 | (lo & PCI_BAR_MEM_ADDR_MASK);
		mask = (uint64_t)hi_mask << 32 | (lo_mask & PCI_BAR_MEM_ADDR_MASK);
	}
	b->size = mask & (~mask + 1); /* the lowest writable address bit */
	if (!b->size)
		memset(b, 0, sizeof(*b)); /* not implemented: reads as zero */
	return used;
}

/* A BAR holding all ones would decode a bogus range: decoding stays off
 * while the BARs are probed, and COMMAND is restored after. Host bridges
 * keep decoding (as Linux does): on some chipsets turning it off cuts the
 * CPU off from memory-mapped resources behind them. */
static void size_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	bool host_bridge = d->class == PCI_CLASS_BRIDGE && d->subclass == PCI_SUBCLASS_HOST;
	uint16_t decode = host_bridge ? 0 : cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	if (decode)
		pci_set_command(d, cmd & ~decode);
	for (unsigned n = 0; n < d->nr_bars;)
		n += size_bar(d, n);
	if (decode)
		pci_set_command(d, cmd);
}

/* ---- capability lists (PCI 3.0 §6.7, PCIe §7.6) ---- */

void pci_cap_iter_init(struct pci_cap_iter *it, struct pci_dev *d, bool ext)
{
	memset(it, 0, sizeof(*it));
	it->d = d;
	it->ext = ext;
	if (ext) {
		/* Only PCI Express functions have config space past 256 bytes. */
		it->next = d->pcie_cap ? PCI_EXT_CAP_START : 0;
	} else if (pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST) {
		uint16_t reg = d->hdr_type == PCI_HEADER_TYPE_CARDBUS ? PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST;
		it->next = pci_read8(d, reg) & PCI_CAP_PTR_MASK;
	}
}

static bool cap_walk_stop(struct pci_cap_iter *it, uint16_t ptr, const char *why)
{
	bool *warned = it->ext ? &it->d->ext_cap_warned : &it->d->cap_warned;
	it->error = why;
	it->next = 0;
	if (!*warned) {
		*warned = true;
		kprintf("pci " PCI_SLOT_FMT ": %scapability pointer %#x %s: list cut there\n", PCI_SLOT_ARGS(it->d),
			it->ext ? "extended " : "", ptr, why);
	}
	return false;
}

bool pci_cap_next(struct pci_cap_iter *it)
{
	uint16_t p = it->next;
	uint16_t min = it->ext ? PCI_EXT_CAP_START : PCI_CAP_PTR_MIN;
	uint16_t max = it->ext ? PCI_EXT_CAP_PTR_MAX : PCI_CAP_PTR_MAX;

	if (!p)
		return false;
	if (p < min || p > max)
		return cap_walk_stop(it, p, "out of range");
	uint64_t bit = 1ull << (p / 4 % 64);
	if (it->seen[p / 4 / 64] & bit)
		return cap_walk_stop(it, p, "seen before (a loop)");
	it->seen[p / 4 / 64] |= bit;

	if (it->ext) {
		uint32_t h = pci_read32(it->d, p);
		/* An all-zero first header means no extended capabilities (§7.6.3);
		 * all ones means the space is not there (behind a conventional bridge). */
		if (p == PCI_EXT_CAP_START && (h == 0 || h == 0xffffffffu)) {
			it->next = 0;
			return false;
		}
		if (h == 0xffffffffu)
			return cap_walk_stop(it, p, "reads all ones");
		it->id = PCI_EXT_CAP_ID(h);
		it->version = PCI_EXT_CAP_VERSION(h);
		it->next = PCI_EXT_CAP_NEXT(h);
	} else {
		uint16_t h = pci_read16(it->d, p);
		it->id = h & 0xff;
		it->next = (h >> 8) & PCI_CAP_PTR_MASK;
	}
	it->off = p;
	return true;
}

uint16_t pci_find_cap(struct pci_dev *d, uint8_t id)
{
	struct pci_cap_iter it;
	for (pci_cap_iter_init(&it, d, false); pci_cap_next(&it);)
		if (it.id == id)
			return it.off;
	return 0;
}

uint16_t pci_find_ext_cap(struct pci_dev *d, uint16_t id)
{
	struct pci_cap_iter it;
	for (pci_cap_iter_init(&it, d, true); pci_cap_next(&it);)
		if (it.id == id)
			return it.off;
	return 0;
}

/* The capabilities the core itself uses, found once. */
static void find_caps(struct pci_dev *d)
{
	struct pci_cap_iter it;
	for (pci_cap_iter_init(&it, d, false); pci_cap_next(&it);) {
		uint16_t *slot = it.id == PCI_CAP_ID_EXP ? &d->pcie_cap : it.id == PCI_CAP_ID_MSI ? &d->msi_cap
			: it.id == PCI_CAP_ID_MSIX ? &d->msix_cap : NULL;
		if (slot && !*slot)
			*slot = it.off;
	}
	if (d->msix_cap)
		d->msix_size = (pci_read16(d, d->msix_cap + PCI_MSIX_MSG_CTRL) & PCI_MSIX_CTRL_TABLE_SIZE) + 1;
}

/* ---- enumeration ---- */

/* One segment's walk: each bus is queued at most once, so a bridge loop or
 * two bridges claiming the same bus cannot make it scan forever or twice. */
struct walk {
	const struct pci_segment *segs;
	unsigned nr_segs;
	uint16_t seg;
	uint64_t seen[PCI_MAX_BUSES / 64];
	uint8_t queue[PCI_MAX_BUSES];
	unsigned head, tail;
};

static bool bus_seen(const struct walk *w, unsigned bus) { return w->seen[bus / 64] >> (bus % 64) & 1; }

static bool bus_in_segment(const struct walk *w, unsigned bus)
{
	for (unsigned i = 0; i < w->nr_segs; i++)
		if (w->segs[i].seg == w->seg && bus >= w->segs[i].bus_start && bus <= w->segs[i].bus_end)
			return true;
	return false;
}

static void queue_bus(struct walk *w, unsigned bus)
{
	w->seen[bus / 64] |= 1ull << (bus % 64);
	w->queue[w->tail++] = (uint8_t)bus;
}

/* A bridge's secondary bus, as the firmware numbered it (never renumbered). */
static void queue_secondary(struct walk *w, const struct pci_dev *br)
{
	const char *why = NULL;
	if (br->secondary <= br->bus)
		why = "is not above the bridge's own bus (unconfigured?)";
	else if (!bus_in_segment(w, br->secondary))
		why = "is outside the segment's ECAM range";
	else if (bus_seen(w, br->secondary))
		why = "was reached before (bus numbers overlap or loop)";
	if (why) {
		kprintf("pci " PCI_SLOT_FMT ": secondary bus %02x %s: not scanned\n", PCI_SLOT_ARGS(br),
			br->secondary, why);
		return;
	}
	queue_bus(w, br->secondary);
}

static void read_header(struct pci_dev *d)
{
	uint32_t id = pci_read32(d, PCI_VENDOR_ID), cr = pci_read32(d, PCI_CLASS_REVISION);
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	d->revision = cr & 0xff;
	d->prog_if = (cr >> 8) & 0xff;
	d->subclass = (cr >> 16) & 0xff;
	d->class = cr >> 24;
	d->hdr_type = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
	if (d->hdr_type == PCI_HEADER_TYPE_NORMAL) {
		d->nr_bars = PCI_TYPE0_NR_BARS;
		d->subsys_vendor = pci_read16(d, PCI_SUBSYSTEM_VENDOR_ID);
		d->subsys_id = pci_read16(d, PCI_SUBSYSTEM_ID);
	} else if (d->hdr_type == PCI_HEADER_TYPE_BRIDGE || d->hdr_type == PCI_HEADER_TYPE_CARDBUS) {
		d->nr_bars = d->hdr_type == PCI_HEADER_TYPE_BRIDGE ? PCI_TYPE1_NR_BARS : 0;
		d->primary = pci_read8(d, PCI_PRIMARY_BUS);
		d->secondary = pci_read8(d, PCI_SECONDARY_BUS);
		d->subordinate = pci_read8(d, PCI_SUBORDINATE_BUS);
	}
}

static bool absent(const struct pci_dev *probe)
{
	uint16_t v = pci_read16(probe, PCI_VENDOR_ID);
	return v == VENDOR_NONE || v == 0; /* 0 is no vendor either; some bridges return it */
}

static int scan_bus(struct walk *w, uint8_t bus)
{
	for (uint8_t dev = 0; dev < PCI_MAX_DEVICES; dev++) {
		struct pci_dev probe = { .seg = w->seg, .bus = bus, .dev = dev };
		if (absent(&probe)) /* no function 0: no device (ARI layouts are not handled) */
			continue;
		bool multi = pci_read8(&probe, PCI_HEADER_TYPE) & PCI_HEADER_MULTI_FUNC;
		for (uint8_t fn = 0; fn < (multi ? PCI_MAX_FUNCS : 1); fn++) {
			probe.fn = fn;
			if (fn && absent(&probe))
				continue;
			struct pci_dev *d = new_dev(w->seg, bus, dev, fn);
			if (!d)
				return -1;
			d->multifunction = multi;
			read_header(d);
			size_bars(d);
			find_caps(d);
			if (d->hdr_type == PCI_HEADER_TYPE_BRIDGE || d->hdr_type == PCI_HEADER_TYPE_CARDBUS)
				queue_secondary(w, d);
		}
	}
	return 0;
}

/* Walks segment segs[first].seg from the bus_start of each of its entries. */
static int scan_segment(struct walk *w, unsigned first, struct pci_scan_stats *st)
{
	memset(w->seen, 0, sizeof(w->seen));
	w->seg = w->segs[first].seg;
	w->head = w->tail = 0;
	for (unsigned i = first; i < w->nr_segs; i++) {
		const struct pci_segment *s = &w->segs[i];
		if (s->seg != w->seg)
			continue;
		if (s->bus_start > s->bus_end) {
			kprintf("pci: segment %04x: bus range %02x-%02x is empty: ignored\n", s->seg, s->bus_start,
				s->bus_end);
			continue;
		}
		if (!bus_seen(w, s->bus_start))
			queue_bus(w, s->bus_start);
		while (w->head < w->tail) {
			if (scan_bus(w, w->queue[w->head++]) < 0)
				return -1;
			st->buses++;
		}
	}
	return 0;
}

int pci_enumerate(const struct pci_segment *segs, unsigned nr, struct pci_scan_stats *st)
{
	struct walk w = { .segs = segs, .nr_segs = nr };
	free_devs();
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < nr; i++) {
		bool done = false; /* an earlier entry of the same segment walked it */
		for (unsigned j = 0; j < i; j++)
			done |= segs[j].seg == segs[i].seg;
		if (done)
			continue;
		st->segments++;
		if (scan_segment(&w, i, st) < 0)
			return -1;
	}
	if (nr_devs)
		qsort(devs, nr_devs, sizeof(*devs), cmp_slot);
	st->functions = nr_devs;
	return 0;
}

/* ---- BARs for drivers ---- */

void pci_enable_device(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	uint16_t want = cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	for (unsigned n = 0; n < d->nr_bars; n++)
		if (d->bar[n].size && (d->bar[n].flags & PCI_BAR_IO))
			want |= PCI_COMMAND_IO;
	if (want != cmd)
		pci_set_command(d, want);
}

volatile void *pci_map_bar(struct pci_dev *d, unsigned n)
{
	struct pci_bar *b = n < d->nr_bars ? &d->bar[n] : NULL;
	const char *why = NULL;
	if (!b || !b->size)
		why = "is not implemented";
	else if (b->flags & PCI_BAR_IO)
		why = "is I/O space (use port I/O)";
	else if (!b->addr)
		why = "was not assigned an address by the firmware";
	else if (!b->virt && !(b->virt = pci_mmio_map(b->addr, b->size)))
		why = "does not fit in the MMIO window";
	if (why) {
		kprintf("pci " PCI_SLOT_FMT ": BAR%u %s: not mapped\n", PCI_SLOT_ARGS(d), n, why);
		return NULL;
	}
	return b->virt;
}

/* ---- MSI and MSI-X ---- */

enum pci_irq_mode pci_irq_mode(const struct pci_dev *d)
{
	if (d->msix_cap && d->msix_size)
		return PCI_IRQ_MSIX;
	return d->msi_cap ? PCI_IRQ_MSI : PCI_IRQ_NONE;
}

static int msi_message(const struct pci_dev *d, uint32_t apic_id, uint8_t vector, uint32_t *addr, uint32_t *data)
{
	if (apic_id > MSI_ADDR_DEST_MAX) {
		kprintf("pci " PCI_SLOT_FMT ": APIC id %u does not fit an MSI address (8 bits; larger ids "
			"need interrupt remapping, which this kernel lacks): refused\n", PCI_SLOT_ARGS(d), apic_id);
		return -1;
	}
	if (vector < MSI_VECTOR_MIN) {
		kprintf("pci " PCI_SLOT_FMT ": vector %#x is a CPU exception vector: refused\n", PCI_SLOT_ARGS(d),
			vector);
		return -1;
	}
	*addr = MSI_ADDR_BASE | apic_id << MSI_ADDR_DEST_SHIFT;
	*data = vector;
	return 0;
}

static void intx_off(const struct pci_dev *d)
{
	pci_set_command(d, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
}

int pci_msix_info(const struct pci_dev *d, struct pci_msix_info *mi)
{
	if (!d->msix_cap)
		return -1;
	uint16_t ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_MSG_CTRL);
	uint32_t table = pci_read32(d, d->msix_cap + PCI_MSIX_TABLE);
	uint32_t pba = pci_read32(d, d->msix_cap + PCI_MSIX_PBA);
	mi->size = (ctrl & PCI_MSIX_CTRL_TABLE_SIZE) + 1;
	mi->enabled = ctrl & PCI_MSIX_CTRL_ENABLE;
	mi->function_masked = ctrl & PCI_MSIX_CTRL_FUNCTION_MASK;
	mi->table_bir = table & PCI_MSIX_BIR_MASK;
	mi->table_off = table & PCI_MSIX_OFFSET_MASK;
	mi->pba_bir = pba & PCI_MSIX_BIR_MASK;
	mi->pba_off = pba & PCI_MSIX_OFFSET_MASK;
	return 0;
}

/* The table and the PBA must lie inside implemented memory BARs (§7.7.2.3-4). */
static bool msix_region_ok(const struct pci_dev *d, const char *what, unsigned bir, uint32_t off, uint64_t len)
{
	const struct pci_bar *b = bir < d->nr_bars ? &d->bar[bir] : NULL;
	if (b && b->size && !(b->flags & PCI_BAR_IO) && off + len <= b->size)
		return true;
	kprintf("pci " PCI_SLOT_FMT ": MSI-X %s at BIR %u offset %#x (%llu bytes) is not inside a memory BAR "
		"(BAR size %llu): MSI-X refused\n", PCI_SLOT_ARGS(d), what, bir, off, (unsigned long long)len,
		(unsigned long long)(b ? b->size : 0));
	return false;
}

static volatile uint32_t *msix_ctrl(const struct pci_dev *d, unsigned entry)
{
	return &d->msix_table[entry].vector_ctrl;
}

void pci_msix_mask(struct pci_dev *d, unsigned entry)
{
	if (!d->msix_table || entry >= d->msix_size)
		return;
	/* Reserved Vector Control bits are preserved (§7.7.2.8). */
	mmio_write32(msix_ctrl(d, entry), mmio_read32(msix_ctrl(d, entry)) | PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

void pci_msix_unmask(struct pci_dev *d, unsigned entry)
{
	if (!d->msix_table || entry >= d->msix_size)
		return;
	mmio_write32(msix_ctrl(d, entry), mmio_read32(msix_ctrl(d, entry)) & ~PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

int pci_msix_enable(struct pci_dev *d, unsigned nvec)
{
	struct pci_msix_info mi;
	if (pci_msix_info(d, &mi) < 0) {
		kprintf("pci " PCI_SLOT_FMT ": no MSI-X capability\n", PCI_SLOT_ARGS(d));
		return -1;
	}
	if (nvec == 0 || nvec > mi.size) {
		kprintf("pci " PCI_SLOT_FMT ": %u MSI-X vectors asked, the table has %u\n", PCI_SLOT_ARGS(d), nvec,
			mi.size);
		return -1;
	}
	if (!msix_region_ok(d, "table", mi.table_bir, mi.table_off, mi.size * sizeof(struct pci_msix_entry)) ||
	    !msix_region_ok(d, "PBA", mi.pba_bir, mi.pba_off, PCI_MSIX_PBA_BYTES(mi.size)))
		return -1;
	if (!(pci_read16(d, PCI_COMMAND) & PCI_COMMAND_MEMORY)) {
		kprintf("pci " PCI_SLOT_FMT ": MSI-X needs memory decoding: call pci_enable_device first\n",
			PCI_SLOT_ARGS(d));
		return -1;
	}
	volatile uint8_t *bar = pci_map_bar(d, mi.table_bir);
	if (!bar)
		return -1;
	if (d->msi_cap)
		pci_msi_disable(d); /* MSI and MSI-X must never be on together (§7.7.1.2) */

	d->msix_table = (volatile struct pci_msix_entry *)(bar + mi.table_off);
	d->msix_size = mi.size;
	uint16_t ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_MSG_CTRL);
	/* On, but masked as a whole while each entry (perhaps left unmasked by
	 * the firmware) gets its own mask bit; then every entry stays masked
	 * until pci_msix_set_entry. */
	pci_write16(d, d->msix_cap + PCI_MSIX_MSG_CTRL, ctrl | PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FUNCTION_MASK);
	for (unsigned i = 0; i < mi.size; i++)
		pci_msix_mask(d, i);
	pci_write16(d, d->msix_cap + PCI_MSIX_MSG_CTRL, (ctrl | PCI_MSIX_CTRL_ENABLE) & ~PCI_MSIX_CTRL_FUNCTION_MASK);
	intx_off(d);
	d->msix_nvec = nvec;
	return 0;
}

int pci_msix_set_entry(struct pci_dev *d, unsigned entry, uint32_t apic_id, uint8_t vector)
{
	uint32_t addr, data;
	if (!d->msix_table || entry >= d->msix_nvec) {
		kprintf("pci " PCI_SLOT_FMT ": MSI-X entry %u is not enabled (%u are)\n", PCI_SLOT_ARGS(d), entry,
			d->msix_table ? d->msix_nvec : 0);
		return -1;
	}
	if (msi_message(d, apic_id, vector, &addr, &data) < 0)
		return -1;
	volatile struct pci_msix_entry *e = &d->msix_table[entry];
	/* Address and data change only while the entry is masked (§7.7.2); UC
	 * stores reach the device in order, so the unmask comes last. */
	pci_msix_mask(d, entry);
	mmio_write32(&e->msg_addr, addr);
	mmio_write32(&e->msg_upper_addr, 0);
	mmio_write32(&e->msg_data, data);
	pci_msix_unmask(d, entry);
	return 0;
}

void pci_msix_disable(struct pci_dev *d)
{
	if (!d->msix_cap)
		return;
	uint16_t ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_MSG_CTRL);
	pci_write16(d, d->msix_cap + PCI_MSIX_MSG_CTRL, ctrl | PCI_MSIX_CTRL_FUNCTION_MASK);
	for (unsigned i = 0; d->msix_table && i < d->msix_size; i++)
		pci_msix_mask(d, i);
	pci_write16(d, d->msix_cap + PCI_MSIX_MSG_CTRL, ctrl & ~(PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FUNCTION_MASK));
	d->msix_table = NULL;
	d->msix_nvec = 0;
}

int pci_msi_enable(struct pci_dev *d, uint32_t apic_id, uint8_t vector)
{
	uint32_t addr, data;
	if (!d->msi_cap) {
		kprintf("pci " PCI_SLOT_FMT ": no MSI capability\n", PCI_SLOT_ARGS(d));
		return -1;
	}
	if (d->msix_table) {
		kprintf("pci " PCI_SLOT_FMT ": MSI-X is on: MSI refused\n", PCI_SLOT_ARGS(d));
		return -1;
	}
	if (msi_message(d, apic_id, vector, &addr, &data) < 0)
		return -1;
	uint16_t cap = d->msi_cap, ctrl = pci_read16(d, cap + PCI_MSI_MSG_CTRL);
	bool is64 = ctrl & PCI_MSI_CTRL_64BIT, pvm = ctrl & PCI_MSI_CTRL_PVM;
	uint16_t data_reg = is64 ? PCI_MSI_MSG_DATA_64 : PCI_MSI_MSG_DATA_32;
	uint16_t mask_reg = cap + (is64 ? PCI_MSI_MASK_BITS_64 : PCI_MSI_MASK_BITS_32);

	/* Off and vector 0 masked while the message changes; one vector (MME 0). */
	ctrl &= ~(PCI_MSI_CTRL_ENABLE | PCI_MSI_CTRL_MME_MASK);
	pci_write16(d, cap + PCI_MSI_MSG_CTRL, ctrl);
	if (pvm)
		pci_write32(d, mask_reg, pci_read32(d, mask_reg) | 1);
	pci_write32(d, cap + PCI_MSI_MSG_ADDR, addr);
	if (is64)
		pci_write32(d, cap + PCI_MSI_MSG_UPPER_ADDR, 0);
	pci_write16(d, cap + data_reg, (uint16_t)data);
	pci_write16(d, cap + PCI_MSI_MSG_CTRL, ctrl | PCI_MSI_CTRL_ENABLE);
	if (pvm)
		pci_write32(d, mask_reg, pci_read32(d, mask_reg) & ~1u);
	intx_off(d);
	return 0;
}

void pci_msi_disable(struct pci_dev *d)
{
	if (!d->msi_cap)
		return;
	uint16_t ctrl = pci_read16(d, d->msi_cap + PCI_MSI_MSG_CTRL);
	if (ctrl & PCI_MSI_CTRL_ENABLE)
		pci_write16(d, d->msi_cap + PCI_MSI_MSG_CTRL, ctrl & ~PCI_MSI_CTRL_ENABLE);
}

/* ---- drivers ---- */

static bool field_matches(uint16_t want, uint16_t have) { return want == PCI_ANY || want == have; }

bool pci_match_dev(const struct pci_match *m, const struct pci_dev *d)
{
	return field_matches(m->vendor, d->vendor) && field_matches(m->device, d->device) &&
	       field_matches(m->class, d->class) && field_matches(m->subclass, d->subclass) &&
	       field_matches(m->prog_if, d->prog_if);
}

static bool driver_matches(const struct pci_driver *drv, const struct pci_dev *d)
{
	for (unsigned i = 0; i < drv->nr_match; i++)
		if (pci_match_dev(&drv->match[i], d))
			return true;
	return false;
}

unsigned pci_probe_driver_table(const struct pci_driver *first, const struct pci_driver *end)
{
	unsigned claimed = 0;
	for (unsigned i = 0; i < nr_devs; i++) {
		struct pci_dev *d = devs[i];
		for (const struct pci_driver *drv = first; drv < end && !d->driver; drv++) {
			if (!driver_matches(drv, d))
				continue;
			int err = drv->probe(d);
			if (err == 0) {
				d->driver = drv;
				claimed++;
			} else {
				kprintf("pci " PCI_SLOT_FMT ": %s probe failed (%d)\n", PCI_SLOT_ARGS(d), drv->name, err);
			}
		}
	}
	return claimed;
}
