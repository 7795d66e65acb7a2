/*
 * The lspci shell command: one block per PCI function, in the tagged format
 * of `lspci -vmmnn` (names with their [ids]), a blank line after each.
 * `lspci -v` adds the BARs, the capability lists, the MSI/MSI-X state read
 * live from the device, and the driver that claimed the function.
 */
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/io.h"
#include "drivers/pci.h"
#include "kernel/shell.h"

/* Device/Port Type of the PCI Express capability (PCIe §7.5.3.2). */
static const char *const port_types[] = {
	[0x0] = "Endpoint",
	[0x1] = "Legacy Endpoint",
	[0x4] = "Root Port",
	[0x5] = "Upstream Port",
	[0x6] = "Downstream Port",
	[0x7] = "PCI-Express to PCI/PCI-X Bridge",
	[0x8] = "PCI/PCI-X to PCI-Express Bridge",
	[0x9] = "Root Complex Integrated Endpoint",
	[0xa] = "Root Complex Event Collector",
};

static void print_basic(const struct pci_dev *d)
{
	const char *class = pci_class_name(d->class, d->subclass);
	const char *vendor = pci_vendor_name(d->vendor);
	const char *device = pci_device_name(d->vendor, d->device);

	printf("Slot:\t" PCI_SLOT_FMT "\n", PCI_SLOT_ARGS(d));
	printf("Class:\t%s [%02x%02x]\n", class ? class : "Class", d->class, d->subclass);
	printf("Vendor:\t%s [%04x]\n", vendor ? vendor : "Vendor", d->vendor);
	printf("Device:\t%s [%04x]\n", device ? device : "Device", d->device);
	if (d->hdr_type == PCI_HEADER_TYPE_NORMAL && (d->subsys_vendor || d->subsys_id)) {
		const char *sv = pci_vendor_name(d->subsys_vendor);
		printf("SVendor:\t%s [%04x]\n", sv ? sv : "Vendor", d->subsys_vendor);
		printf("SDevice:\tDevice [%04x]\n", d->subsys_id);
	}
	printf("ProgIf:\t%02x\n", d->prog_if);
	printf("Rev:\t%02x\n", d->revision);
}

/* "16K", "1M", "32": the largest unit that divides the size. */
static const char *size_str(uint64_t size, char *buf, size_t len)
{
	static const char units[] = { 0, 'K', 'M', 'G', 'T' };
	unsigned u = 0;
	while (u + 1 < sizeof(units) && size && !(size & 1023)) {
		size >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%.1s", (unsigned long long)size, u ? &units[u] : "");
	return buf;
}

static void print_bars(const struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	char sz[24];
	for (unsigned n = 0; n < d->nr_bars; n++) {
		const struct pci_bar *b = &d->bar[n];
		if (!b->size)
			continue;
		bool io = b->flags & PCI_BAR_IO;
		bool off = !(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY));
		printf("BAR%u:\t%s at ", n, io ? "I/O ports" : "Memory");
		if (b->addr)
			printf("%#llx", (unsigned long long)b->addr);
		else
			printf("<unassigned>");
		if (!io)
			printf(" (%s, %s)", b->flags & PCI_BAR_64 ? "64-bit" : "32-bit",
			       b->flags & PCI_BAR_PREFETCH ? "prefetchable" : "non-prefetchable");
		printf(" [size=%s]%s\n", size_str(b->size, sz, sizeof(sz)), off ? " [disabled]" : "");
	}
}

static void print_cap(struct pci_dev *d, const struct pci_cap_iter *it)
{
	const char *name = it->ext ? pci_ext_cap_name(it->id) : pci_cap_name((uint8_t)it->id);
	printf("%s:\t[%02x] ", it->ext ? "ExtCapability" : "Capability", it->off);
	if (!name)
		printf("Unknown id %#x", it->id);
	else
		printf("%s", name);
	if (it->ext)
		printf(" (v%u)", it->version);
	if (!it->ext && it->id == PCI_CAP_ID_EXP) {
		uint16_t flags = pci_read16(d, it->off + PCI_EXP_FLAGS);
		unsigned type = PCI_EXP_FLAGS_PORT_TYPE(flags);
		const char *tn = type < sizeof(port_types) / sizeof(port_types[0]) ? port_types[type] : NULL;
		printf(" (v%u) %s", PCI_EXP_FLAGS_VERSION(flags), tn ? tn : "Unknown type");
	}
	printf("\n");
}

static void print_caps(struct pci_dev *d)
{
	for (int ext = 0; ext <= 1; ext++) {
		struct pci_cap_iter it;
		for (pci_cap_iter_init(&it, d, ext); pci_cap_next(&it);)
			print_cap(d, &it);
		if (it.error)
			printf("%s:\t<list cut short: pointer %s>\n", ext ? "ExtCapability" : "Capability", it.error);
	}
}

/* The destination APIC id of an MSI address. */
static unsigned msi_dest(uint32_t addr) { return (addr >> MSI_ADDR_DEST_SHIFT) & MSI_ADDR_DEST_MAX; }

static void print_msix(const struct pci_dev *d)
{
	struct pci_msix_info mi;
	if (pci_msix_info(d, &mi) < 0)
		return;
	printf("MSI-X:\t%u %s, table BAR%u+%#x, PBA BAR%u+%#x, %s, function %s\n", mi.size,
	       mi.size == 1 ? "entry" : "entries", mi.table_bir, mi.table_off, mi.pba_bir, mi.pba_off,
	       mi.enabled ? "enabled" : "disabled", mi.function_masked ? "masked" : "unmasked");
	if (!d->msix_table)
		return; /* no driver mapped the table */
	unsigned shown = 0;
	for (unsigned i = 0; i < d->msix_size; i++) {
		volatile struct pci_msix_entry *e = &d->msix_table[i];
		if (mmio_read32(&e->vector_ctrl) & PCI_MSIX_ENTRY_CTRL_MASKBIT)
			continue;
		uint32_t addr = mmio_read32(&e->msg_addr), data = mmio_read32(&e->msg_data);
		printf("MSI-X entry:\t%u: APIC %u vector %#x\n", i, msi_dest(addr), data & MSI_DATA_VECTOR);
		shown++;
	}
	if (!shown)
		printf("MSI-X entry:\tall masked\n");
}

static void print_msi(const struct pci_dev *d)
{
	if (!d->msi_cap)
		return;
	uint16_t ctrl = pci_read16(d, d->msi_cap + PCI_MSI_MSG_CTRL);
	bool is64 = ctrl & PCI_MSI_CTRL_64BIT;
	printf("MSI:\t%s, %s address, %s", ctrl & PCI_MSI_CTRL_ENABLE ? "enabled" : "disabled",
	       is64 ? "64-bit" : "32-bit", ctrl & PCI_MSI_CTRL_PVM ? "per-vector masking" : "no masking");
	if (ctrl & PCI_MSI_CTRL_ENABLE) {
		uint32_t addr = pci_read32(d, d->msi_cap + PCI_MSI_MSG_ADDR);
		uint16_t data = pci_read16(d, d->msi_cap + (is64 ? PCI_MSI_MSG_DATA_64 : PCI_MSI_MSG_DATA_32));
		printf(", APIC %u vector %#x", msi_dest(addr), data & MSI_DATA_VECTOR);
	}
	printf("\n");
}

static void print_verbose(struct pci_dev *d)
{
	if (d->hdr_type == PCI_HEADER_TYPE_BRIDGE || d->hdr_type == PCI_HEADER_TYPE_CARDBUS)
		printf("Bus:\tprimary=%02x, secondary=%02x, subordinate=%02x\n", d->primary, d->secondary,
		       d->subordinate);
	print_bars(d);
	print_caps(d);
	print_msix(d);
	print_msi(d);
	printf("Driver:\t%s\n", d->driver ? d->driver->name : "none");
}

static int cmd_lspci(int argc, char **argv)
{
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") != 0)
			return shell_usage("lspci");
		verbose = true;
	}
	if (!pci_nr_devs()) {
		printf("lspci: no PCI functions (see the pci: line of the boot log)\n");
		return 1;
	}
	for (unsigned i = 0; i < pci_nr_devs(); i++) {
		struct pci_dev *d = pci_dev_at(i);
		print_basic(d);
		if (verbose)
			print_verbose(d);
		printf("\n");
	}
	return 0;
}
SHELL_COMMAND(lspci, "lspci", "[-v]", "PCI functions; -v adds BARs, capabilities, MSI/MSI-X, driver", cmd_lspci);
