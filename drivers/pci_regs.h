/*
 * PCI and PCI Express configuration space: the registers this kernel uses.
 * Sources: PCI Local Bus Specification 3.0 (§6.1 header, §6.2.5 BARs, §6.7
 * capabilities, §6.8 MSI/MSI-X), PCI-to-PCI Bridge Architecture 1.2 (§3.2),
 * PCI Express Base Specification 5.0 (§7.2.2 ECAM, §7.5 header, §7.6 extended
 * capabilities, §7.7.1 MSI, §7.7.2 MSI-X), PCI Code and ID Assignment 1.11
 * (capability ids). Names follow the specifications' field names.
 */
#ifndef DRIVERS_PCI_REGS_H
#define DRIVERS_PCI_REGS_H

#include <stddef.h>
#include <stdint.h>

/* ---- ECAM (PCIe §7.2.2): one 4 KiB page per function, 1 MiB per bus ---- */
#define PCI_ECAM_BUS_SHIFT 20
#define PCI_ECAM_DEV_SHIFT 15
#define PCI_ECAM_FN_SHIFT  12
#define PCI_ECAM_BUS_SIZE  (1u << PCI_ECAM_BUS_SHIFT)

#define PCI_MAX_BUSES   256
#define PCI_MAX_DEVICES 32 /* per bus */
#define PCI_MAX_FUNCS   8  /* per device */
#define PCI_CFG_SPACE_SIZE     0x100  /* conventional PCI */
#define PCI_EXT_CFG_SPACE_SIZE 0x1000 /* PCI Express */

/* ---- Header common to all types (PCI 3.0 §6.1) ---- */
#define PCI_VENDOR_ID 0x00 /* 16 bits; 0xffff reads back from an absent function */
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND   0x04 /* 16 bits */
#define  PCI_COMMAND_IO           (1u << 0)  /* I/O Space enable */
#define  PCI_COMMAND_MEMORY       (1u << 1)  /* Memory Space enable */
#define  PCI_COMMAND_MASTER       (1u << 2)  /* Bus Master enable: DMA and MSI writes */
#define  PCI_COMMAND_INTX_DISABLE (1u << 10) /* Interrupt Disable */
#define PCI_STATUS    0x06 /* 16 bits, error bits RW1C */
#define  PCI_STATUS_CAP_LIST      (1u << 4)  /* Capabilities List */
#define PCI_CLASS_REVISION 0x08 /* Revision ID, then the 3-byte Class Code */
#define  PCI_CLASS_BRIDGE         0x06 /* base class: bridge device */
#define  PCI_SUBCLASS_HOST        0x00 /* ... host bridge */
#define PCI_HEADER_TYPE    0x0e
#define  PCI_HEADER_TYPE_MASK     0x7f
#define  PCI_HEADER_MULTI_FUNC    0x80 /* device has functions 1-7 */
#define  PCI_HEADER_TYPE_NORMAL   0
#define  PCI_HEADER_TYPE_BRIDGE   1    /* PCI-to-PCI bridge */
#define  PCI_HEADER_TYPE_CARDBUS  2

/* Base Address Registers (§6.2.5.1). */
#define PCI_BAR(n) (0x10 + 4 * (n))
#define PCI_TYPE0_NR_BARS 6
#define PCI_TYPE1_NR_BARS 2
#define  PCI_BAR_SPACE_IO       0x1 /* bit 0: I/O space, else memory */
#define  PCI_BAR_MEM_TYPE_MASK  0x6 /* bits 2:1 of a memory BAR */
#define  PCI_BAR_MEM_TYPE_64    0x4 /* 64-bit: the next BAR holds the upper half */
#define  PCI_BAR_MEM_PREFETCH   0x8
#define  PCI_BAR_MEM_ADDR_MASK  0xfffffff0u
#define  PCI_BAR_IO_ADDR_MASK   0xfffffffcu

/* Type 0 (endpoint). */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_CAPABILITY_LIST     0x34 /* also in type 1 */
/* Type 1 (PCI-to-PCI bridge, Bridge Architecture §3.2.5.2-4). */
#define PCI_PRIMARY_BUS     0x18
#define PCI_SECONDARY_BUS   0x19 /* same offset in a CardBus header */
#define PCI_SUBORDINATE_BUS 0x1a
/* Type 2 (CardBus bridge). */
#define PCI_CB_CAPABILITY_LIST 0x14

_Static_assert(PCI_BAR(PCI_TYPE0_NR_BARS - 1) == 0x24, "BAR5 is the last type 0 BAR");
_Static_assert(PCI_BAR(PCI_TYPE1_NR_BARS) == PCI_PRIMARY_BUS, "bus numbers follow the two bridge BARs");

/* ---- Capability list (§6.7): a byte chain from PCI_CAPABILITY_LIST ---- */
#define PCI_CAP_ID   0 /* byte */
#define PCI_CAP_NEXT 1 /* byte; bits 1:0 reserved, software masks them */
#define PCI_CAP_PTR_MASK 0xfc
#define PCI_CAP_PTR_MIN  0x40 /* capabilities live after the 64-byte header */
#define PCI_CAP_PTR_MAX  (PCI_CFG_SPACE_SIZE - 4)

#define PCI_CAP_ID_PM   0x01 /* Power Management */
#define PCI_CAP_ID_MSI  0x05
#define PCI_CAP_ID_VNDR 0x09 /* Vendor Specific */
#define PCI_CAP_ID_EXP  0x10 /* PCI Express: the device has extended config space */
#define PCI_CAP_ID_MSIX 0x11

/* ---- Extended capabilities (PCIe §7.6): a dword chain from 0x100 ---- */
#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_ID(hdr)      ((hdr) & 0xffffu)
#define PCI_EXT_CAP_VERSION(hdr) (((hdr) >> 16) & 0xfu)
#define PCI_EXT_CAP_NEXT(hdr)    (((hdr) >> 20) & 0xffcu) /* bits 1:0 reserved */
#define PCI_EXT_CAP_PTR_MAX (PCI_EXT_CFG_SPACE_SIZE - 4)

#define PCI_EXT_CAP_ID_AER 0x01

/* ---- PCI Express capability (PCIe §7.5.3); offsets from the capability ---- */
#define PCI_EXP_FLAGS 0x02 /* PCI Express Capabilities Register, 16 bits */
#define  PCI_EXP_FLAGS_VERSION(f)   ((f) & 0xfu)
#define  PCI_EXP_FLAGS_PORT_TYPE(f) (((f) >> 4) & 0xfu) /* Device/Port Type */

/* ---- MSI capability (PCIe §7.7.1); offsets from the capability ---- */
#define PCI_MSI_MSG_CTRL 0x02 /* Message Control, 16 bits */
#define  PCI_MSI_CTRL_ENABLE     (1u << 0)
#define  PCI_MSI_CTRL_MME_MASK   (7u << 4) /* Multiple Message Enable: log2 of vectors granted */
#define  PCI_MSI_CTRL_64BIT      (1u << 7) /* 64 bit address capable */
#define  PCI_MSI_CTRL_PVM        (1u << 8) /* per-vector masking capable */
#define PCI_MSI_MSG_ADDR       0x04
#define PCI_MSI_MSG_UPPER_ADDR 0x08 /* 64-bit layout only */
#define PCI_MSI_MSG_DATA_32    0x08 /* 16 bits */
#define PCI_MSI_MSG_DATA_64    0x0c
#define PCI_MSI_MASK_BITS_32   0x0c /* with per-vector masking */
#define PCI_MSI_MASK_BITS_64   0x10

/* ---- MSI-X capability (PCIe §7.7.2); offsets from the capability ---- */
#define PCI_MSIX_MSG_CTRL 0x02 /* Message Control, 16 bits */
#define  PCI_MSIX_CTRL_TABLE_SIZE    0x07ffu    /* N - 1 */
#define  PCI_MSIX_CTRL_FUNCTION_MASK (1u << 14) /* masks every vector, whatever its entry says */
#define  PCI_MSIX_CTRL_ENABLE        (1u << 15)
#define PCI_MSIX_TABLE 0x04 /* Table Offset/Table BIR */
#define PCI_MSIX_PBA   0x08 /* PBA Offset/PBA BIR */
#define  PCI_MSIX_BIR_MASK    0x7u        /* which BAR (0-5) */
#define  PCI_MSIX_OFFSET_MASK 0xfffffff8u /* QWORD-aligned offset into it */

/* One MSI-X table entry (PCIe §7.7.2.5-8), in device memory. */
struct pci_msix_entry {
	uint32_t msg_addr;       /* Message Address, bits 1:0 zero */
	uint32_t msg_upper_addr; /* Message Upper Address */
	uint32_t msg_data;       /* Message Data */
	uint32_t vector_ctrl;    /* Vector Control: bit 0 Mask Bit, the rest reserved (preserve) */
};
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1u
_Static_assert(sizeof(struct pci_msix_entry) == 16, "MSI-X table entry is 16 bytes");
_Static_assert(offsetof(struct pci_msix_entry, msg_data) == 8, "Message Data offset");
_Static_assert(offsetof(struct pci_msix_entry, vector_ctrl) == 12, "Vector Control offset");
/* Pending Bit Array: one bit per entry, read in QWORDs. */
#define PCI_MSIX_PBA_BYTES(n) ((((n) + 63u) / 64u) * 8u)

#endif
