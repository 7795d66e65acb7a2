/* The fake PCI configuration space and device memory (see fake_pci.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/console.h"
#include "tests/unit/drivers/fake_pci.h"

#define MAX_FNS 64
#define MAX_RAM 8

static struct fake_fn fns[MAX_FNS];
static unsigned nr_fns;
static struct {
	uint64_t phys, size;
	uint8_t *mem;
} ram[MAX_RAM];
static unsigned nr_ram;

unsigned fake_pci_maps, fake_pci_bar_writes_decoding;
void (*fake_pci_on_write)(struct fake_fn *f, uint16_t off, uint32_t v);
char fake_log[8192];

static struct fake_fn *find(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (unsigned i = 0; i < nr_fns; i++)
		if (fns[i].seg == seg && fns[i].bus == bus && fns[i].dev == dev && fns[i].fn == fn)
			return &fns[i];
	return NULL;
}

static uint32_t fake_read32(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	if (off % 4 || off >= PCI_EXT_CFG_SPACE_SIZE)
		abort(); /* pci.c must never ask for this */
	struct fake_fn *f = find(seg, bus, dev, fn);
	return f ? f->cfg[off / 4] : 0xffffffffu;
}

static bool is_bar(const struct fake_fn *f, uint16_t off)
{
	unsigned type = f->cfg[PCI_HEADER_TYPE / 4] >> 16 & PCI_HEADER_TYPE_MASK;
	unsigned n = type == PCI_HEADER_TYPE_NORMAL ? PCI_TYPE0_NR_BARS : PCI_TYPE1_NR_BARS;
	return off >= PCI_BAR(0) && off < PCI_BAR(n);
}

static void fake_write32(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
	if (off % 4 || off >= PCI_EXT_CFG_SPACE_SIZE)
		abort();
	struct fake_fn *f = find(seg, bus, dev, fn);
	if (!f)
		return;
	uint32_t decode = f->cfg[PCI_COMMAND / 4] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	if (is_bar(f, off) && v == 0xffffffffu && decode)
		fake_pci_bar_writes_decoding++;
	f->cfg[off / 4] = (f->cfg[off / 4] & ~f->wmask[off / 4]) | (v & f->wmask[off / 4]);
	if (fake_pci_on_write)
		fake_pci_on_write(f, off, v);
}

const struct pci_cfg_ops fake_pci_ops = { fake_read32, fake_write32 };

void fake_pci_reset(void)
{
	memset(fns, 0, sizeof(fns));
	nr_fns = 0;
	for (unsigned i = 0; i < nr_ram; i++)
		free(ram[i].mem);
	nr_ram = 0;
	fake_pci_maps = fake_pci_bar_writes_decoding = 0;
	fake_pci_on_write = NULL;
	fake_log_clear();
	pci_cfg = &fake_pci_ops;
	pci_mmio_map = fake_pci_mmio_map;
}

struct fake_fn *fake_pci_fn(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device,
			    uint32_t class_code, uint8_t hdr_type)
{
	if (nr_fns == MAX_FNS)
		abort();
	struct fake_fn *f = &fns[nr_fns++];
	f->seg = seg;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->cfg[PCI_VENDOR_ID / 4] = (uint32_t)device << 16 | vendor;
	f->cfg[PCI_CLASS_REVISION / 4] = class_code << 8 | 0x01; /* revision 1 */
	f->cfg[PCI_HEADER_TYPE / 4] = (uint32_t)hdr_type << 16;
	f->wmask[PCI_COMMAND / 4] = 0xffff; /* COMMAND writable, STATUS read-only here */
	f->next_cap = PCI_CAP_PTR_MIN;
	f->next_ext = PCI_EXT_CAP_START;
	return f;
}

void fake_pci_bar(struct fake_fn *f, unsigned n, uint64_t addr, uint64_t size, unsigned flags)
{
	uint64_t mask = ~(size - 1);
	if (flags & PCI_BAR_IO) {
		f->cfg[PCI_BAR(n) / 4] = (uint32_t)addr | PCI_BAR_SPACE_IO;
		f->wmask[PCI_BAR(n) / 4] = (uint32_t)mask & PCI_BAR_IO_ADDR_MASK;
		return;
	}
	uint32_t low_flags = (flags & PCI_BAR_64 ? PCI_BAR_MEM_TYPE_64 : 0) | (flags & PCI_BAR_PREFETCH ? PCI_BAR_MEM_PREFETCH : 0);
	f->cfg[PCI_BAR(n) / 4] = (uint32_t)addr | low_flags;
	f->wmask[PCI_BAR(n) / 4] = (uint32_t)mask & PCI_BAR_MEM_ADDR_MASK;
	if (flags & PCI_BAR_64) {
		f->cfg[PCI_BAR(n + 1) / 4] = (uint32_t)(addr >> 32);
		f->wmask[PCI_BAR(n + 1) / 4] = (uint32_t)(mask >> 32);
	}
}

void fake_pci_bridge(struct fake_fn *f, uint8_t primary, uint8_t secondary, uint8_t subordinate)
{
	f->cfg[PCI_PRIMARY_BUS / 4] = (uint32_t)subordinate << 16 | (uint32_t)secondary << 8 | primary;
}

uint16_t fake_pci_cap(struct fake_fn *f, uint8_t id, uint8_t len)
{
	uint16_t off = f->next_cap;
	f->next_cap = (uint16_t)((off + len + 3) & ~3);
	f->cfg[off / 4] = id; /* next pointer 0: the end */
	if (f->last_cap)
		f->cfg[f->last_cap / 4] |= (uint32_t)off << 8;
	else {
		f->cfg[PCI_CAPABILITY_LIST / 4] = off;
		f->cfg[PCI_COMMAND / 4] |= (uint32_t)PCI_STATUS_CAP_LIST << 16;
	}
	f->last_cap = off;
	return off;
}

uint16_t fake_pci_ext_cap(struct fake_fn *f, uint16_t id, uint16_t len)
{
	uint16_t off = f->next_ext;
	f->next_ext = (uint16_t)((off + len + 3) & ~3);
	f->cfg[off / 4] = (uint32_t)1 << 16 | id; /* version 1, next 0 */
	if (f->last_ext)
		f->cfg[f->last_ext / 4] |= (uint32_t)off << 20;
	f->last_ext = off;
	return off;
}

uint16_t fake_pci_msix(struct fake_fn *f, unsigned size, unsigned table_bir, uint32_t table_off, unsigned pba_bir,
		       uint32_t pba_off)
{
	uint16_t c = fake_pci_cap(f, PCI_CAP_ID_MSIX, 12);
	f->cfg[c / 4] |= (uint32_t)(size - 1) << 16;
	f->wmask[c / 4] = (uint32_t)(PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FUNCTION_MASK) << 16;
	f->cfg[(c + PCI_MSIX_TABLE) / 4] = table_off | table_bir;
	f->cfg[(c + PCI_MSIX_PBA) / 4] = pba_off | pba_bir;
	return c;
}

uint16_t fake_pci_msi(struct fake_fn *f, bool is64, bool pvm)
{
	uint16_t c = fake_pci_cap(f, PCI_CAP_ID_MSI, 24);
	uint32_t ctrl = (is64 ? PCI_MSI_CTRL_64BIT : 0) | (pvm ? PCI_MSI_CTRL_PVM : 0);
	f->cfg[c / 4] |= ctrl << 16;
	f->wmask[c / 4] = (uint32_t)(PCI_MSI_CTRL_ENABLE | PCI_MSI_CTRL_MME_MASK) << 16;
	f->wmask[(c + PCI_MSI_MSG_ADDR) / 4] = 0xfffffffc;
	for (unsigned off = 8; off < 24; off += 4) /* upper address, data, mask bits */
		f->wmask[(c + off) / 4] = 0xffffffff;
	return c;
}

uint32_t fake_cfg32(const struct fake_fn *f, uint16_t off) { return f->cfg[off / 4]; }

uint16_t fake_cfg16(const struct fake_fn *f, uint16_t off) { return (uint16_t)(f->cfg[off / 4] >> (8 * (off & 2))); }

void *fake_pci_ram(uint64_t phys, uint64_t size)
{
	if (nr_ram == MAX_RAM)
		abort();
	ram[nr_ram].phys = phys;
	ram[nr_ram].size = size;
	ram[nr_ram].mem = calloc(1, size);
	return ram[nr_ram++].mem;
}

void *fake_pci_mmio_map(uint64_t phys, uint64_t size)
{
	fake_pci_maps++;
	for (unsigned i = 0; i < nr_ram; i++)
		if (phys >= ram[i].phys && phys + size <= ram[i].phys + ram[i].size)
			return ram[i].mem + (phys - ram[i].phys);
	return NULL;
}

void fake_log_clear(void) { fake_log[0] = '\0'; }

bool fake_log_has(const char *s) { return strstr(fake_log, s) != NULL; }

/* The kernel's console, for the code under test: printed and kept. */
int kprintf(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fputs(line, stdout);
	size_t used = strlen(fake_log);
	snprintf(fake_log + used, sizeof(fake_log) - used, "%s", line);
	return n;
}
