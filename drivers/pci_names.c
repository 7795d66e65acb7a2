/*
 * Names for PCI vendors, devices, classes and capabilities, as the PCI ID
 * database that lspci uses spells them: only the ones this kernel meets.
 */
#include <stddef.h>

#include "drivers/pci.h"

static const struct {
	uint16_t id;
	const char *name;
} vendors[] = {
	{ 0x1002, "Advanced Micro Devices, Inc. [AMD/ATI]" },
	{ 0x1022, "Advanced Micro Devices, Inc. [AMD]" },
	{ 0x10de, "NVIDIA Corporation" },
	{ 0x10ec, "Realtek Semiconductor Co., Ltd." },
	{ 0x1179, "Toshiba Corporation" },
	{ 0x1234, "QEMU" }, /* the Bochs/QEMU display adapter; not in the database */
	{ 0x126f, "Silicon Motion, Inc." },
	{ 0x1344, "Micron Technology Inc" },
	{ 0x144d, "Samsung Electronics Co Ltd" },
	{ 0x14e4, "Broadcom Inc. and subsidiaries" },
	{ 0x15ad, "VMware" },
	{ 0x15b7, "Sandisk Corp" },
	{ 0x1987, "Phison Electronics Corporation" },
	{ 0x1af4, "Red Hat, Inc." }, /* virtio */
	{ 0x1b21, "ASMedia Technology Inc." },
	{ 0x1b36, "Red Hat, Inc." }, /* QEMU's own devices */
	{ 0x1b4b, "Marvell Technology Group Ltd." },
	{ 0x1bb1, "Seagate Technology PLC" },
	{ 0x1c5c, "SK hynix" },
	{ 0x1cc1, "ADATA Technology Co., Ltd." },
	{ 0x1d0f, "Amazon.com, Inc." },
	{ 0x1e0f, "KIOXIA Corporation" },
	{ 0x1e4b, "MAXIO Technology (Hangzhou) Ltd." },
	{ 0x2646, "Kingston Technology Company, Inc." },
	{ 0x8086, "Intel Corporation" },
	{ 0xc0a9, "Micron/Crucial Technology" },
};

static const struct {
	uint16_t vendor, device;
	const char *name;
} devices[] = {
	/* QEMU q35 chipset */
	{ 0x8086, 0x29c0, "82G33/G31/P35/P31 Express DRAM Controller" },
	{ 0x8086, 0x2918, "82801IB (ICH9) LPC Interface Controller" },
	{ 0x8086, 0x2922, "82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]" },
	{ 0x8086, 0x2930, "82801I (ICH9 Family) SMBus Controller" },
	{ 0x8086, 0x10d3, "82574L Gigabit Network Connection" },
	/* QEMU's own devices */
	{ 0x1b36, 0x0001, "QEMU PCI-PCI bridge" },
	{ 0x1b36, 0x0008, "QEMU PCIe Host bridge" },
	{ 0x1b36, 0x000c, "QEMU PCIe Root port" },
	{ 0x1b36, 0x000d, "QEMU XHCI Host Controller" },
	{ 0x1b36, 0x000e, "QEMU PCIe-to-PCI bridge" },
	{ 0x1b36, 0x0010, "QEMU NVM Express Controller" },
	{ 0x1af4, 0x1000, "Virtio network device" },
	{ 0x1af4, 0x1001, "Virtio block device" },
	{ 0x1af4, 0x1041, "Virtio 1.0 network device" },
	{ 0x1af4, 0x1042, "Virtio 1.0 block device" },
};

/* Class codes (PCI Code and ID Assignment §1). */
static const char *const class_names[] = {
	[0x00] = "Unclassified device",
	[0x01] = "Mass storage controller",
	[0x02] = "Network controller",
	[0x03] = "Display controller",
	[0x04] = "Multimedia controller",
	[0x05] = "Memory controller",
	[0x06] = "Bridge",
	[0x07] = "Communication controller",
	[0x08] = "Generic system peripheral",
	[0x09] = "Input device controller",
	[0x0a] = "Docking station",
	[0x0b] = "Processor",
	[0x0c] = "Serial bus controller",
	[0x0d] = "Wireless controller",
	[0x0e] = "Intelligent controller",
	[0x0f] = "Satellite communications controller",
	[0x10] = "Encryption controller",
	[0x11] = "Signal processing controller",
	[0x12] = "Processing accelerators",
	[0x13] = "Non-Essential Instrumentation",
};

static const struct {
	uint8_t class, subclass;
	const char *name;
} subclass_names[] = {
	{ 0x01, 0x00, "SCSI storage controller" },
	{ 0x01, 0x01, "IDE interface" },
	{ 0x01, 0x04, "RAID bus controller" },
	{ 0x01, 0x05, "ATA controller" },
	{ 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x07, "Serial Attached SCSI controller" },
	{ 0x01, 0x08, "Non-Volatile memory controller" },
	{ 0x01, 0x09, "Universal Flash Storage controller" },
	{ 0x02, 0x00, "Ethernet controller" },
	{ 0x02, 0x07, "Infiniband controller" },
	{ 0x03, 0x00, "VGA compatible controller" },
	{ 0x03, 0x02, "3D controller" },
	{ 0x04, 0x01, "Multimedia audio controller" },
	{ 0x04, 0x03, "Audio device" },
	{ 0x05, 0x00, "RAM memory" },
	{ 0x06, 0x00, "Host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x07, "CardBus bridge" },
	{ 0x07, 0x00, "Serial controller" },
	{ 0x08, 0x00, "PIC" },
	{ 0x08, 0x05, "SD Host controller" },
	{ 0x08, 0x06, "IOMMU" },
	{ 0x08, 0x80, "System peripheral" },
	{ 0x0c, 0x03, "USB controller" },
	{ 0x0c, 0x05, "SMBus" },
	{ 0x0d, 0x80, "Wireless controller" },
	{ 0x11, 0x80, "Signal processing controller" },
};

/* Capability ids (PCI Code and ID Assignment §2 and §3), named as lspci does. */
static const char *const cap_names[] = {
	[0x01] = "Power Management",
	[0x02] = "AGP",
	[0x03] = "Vital Product Data",
	[0x04] = "Slot Identification",
	[0x05] = "MSI",
	[0x06] = "CompactPCI hot-swap",
	[0x07] = "PCI-X",
	[0x08] = "HyperTransport",
	[0x09] = "Vendor Specific Information",
	[0x0a] = "Debug port",
	[0x0b] = "CompactPCI central resource control",
	[0x0c] = "PCI Hot-plug",
	[0x0d] = "Subsystem",
	[0x0e] = "AGP3",
	[0x0f] = "Secure device",
	[0x10] = "Express",
	[0x11] = "MSI-X",
	[0x12] = "SATA HBA",
	[0x13] = "PCI Advanced Features",
	[0x14] = "Enhanced Allocation",
	[0x15] = "Flattening Portal Bridge",
};

static const char *const ext_cap_names[] = {
	[0x01] = "Advanced Error Reporting",
	[0x02] = "Virtual Channel",
	[0x03] = "Device Serial Number",
	[0x04] = "Power Budgeting",
	[0x05] = "Root Complex Link",
	[0x06] = "Root Complex Internal Link Control",
	[0x07] = "Root Complex Event Collector",
	[0x08] = "Multi-Function Virtual Channel",
	[0x09] = "Virtual Channel",
	[0x0a] = "Root Complex Register Block",
	[0x0b] = "Vendor Specific Information",
	[0x0d] = "Access Control Services",
	[0x0e] = "Alternative Routing-ID Interpretation (ARI)",
	[0x0f] = "Address Translation Service (ATS)",
	[0x10] = "Single Root I/O Virtualization (SR-IOV)",
	[0x12] = "Multicast",
	[0x13] = "Page Request Interface (PRI)",
	[0x15] = "Physical Resizable BAR",
	[0x17] = "Transaction Processing Hints",
	[0x18] = "Latency Tolerance Reporting",
	[0x19] = "Secondary PCI Express",
	[0x1b] = "Process Address Space ID (PASID)",
	[0x1d] = "Downstream Port Containment",
	[0x1e] = "L1 PM Substates",
	[0x1f] = "Precision Time Measurement",
	[0x23] = "Designated Vendor-Specific",
	[0x25] = "Data Link Feature",
	[0x26] = "Physical Layer 16.0 GT/s",
	[0x27] = "Lane Margining at the Receiver",
	[0x2a] = "Physical Layer 32.0 GT/s",
	[0x2e] = "Data Object Exchange",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *pci_vendor_name(uint16_t vendor)
{
	for (size_t i = 0; i < ARRAY_LEN(vendors); i++)
		if (vendors[i].id == vendor)
			return vendors[i].name;
	return NULL;
}

const char *pci_device_name(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < ARRAY_LEN(devices); i++)
		if (devices[i].vendor == vendor && devices[i].device == device)
			return devices[i].name;
	return NULL;
}

const char *pci_class_name(uint8_t class, uint8_t subclass)
{
	for (size_t i = 0; i < ARRAY_LEN(subclass_names); i++)
		if (subclass_names[i].class == class && subclass_names[i].subclass == subclass)
			return subclass_names[i].name;
	return class < ARRAY_LEN(class_names) ? class_names[class] : NULL;
}

const char *pci_cap_name(uint8_t id) { return id < ARRAY_LEN(cap_names) ? cap_names[id] : NULL; }

const char *pci_ext_cap_name(uint16_t id) { return id < ARRAY_LEN(ext_cap_names) ? ext_cap_names[id] : NULL; }
