/*
 * A fake PCI configuration space for host tests of drivers/pci.c and of PCI
 * drivers. Each function is 4 KiB of dwords plus a mask of the bits software
 * may write, so BARs size the way hardware does: writing all ones reads back
 * ~(size - 1) | flags, and a 64-bit BAR spans two registers. Device memory
 * (BARs) is RAM handed out by fake_pci_mmio_map. kprintf is captured in
 * fake_log so a test can check the messages.
 *
 * fake_pci_reset() clears everything and points pci_cfg and pci_mmio_map at
 * the fake.
 */
#ifndef TESTS_FAKE_PCI_H
#define TESTS_FAKE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"

struct fake_fn {
	uint16_t seg;
	uint8_t bus, dev, fn;
	uint32_t cfg[PCI_EXT_CFG_SPACE_SIZE / 4];
	uint32_t wmask[PCI_EXT_CFG_SPACE_SIZE / 4]; /* writable bits */
	uint16_t last_cap, next_cap;                /* standard list: tail, free space */
	uint16_t last_ext, next_ext;                /* extended list */
};

void fake_pci_reset(void);
/* A function; hdr_type may include PCI_HEADER_MULTI_FUNC. class_code is
 * class << 16 | subclass << 8 | prog_if. */
struct fake_fn *fake_pci_fn(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device,
			    uint32_t class_code, uint8_t hdr_type);
/* A BAR of `size` bytes (a power of two) at addr; flags are PCI_BAR_*. */
void fake_pci_bar(struct fake_fn *f, unsigned n, uint64_t addr, uint64_t size, unsigned flags);
void fake_pci_bridge(struct fake_fn *f, uint8_t primary, uint8_t secondary, uint8_t subordinate);
/* Appends a capability of len bytes to the standard or extended list;
 * returns its offset. */
uint16_t fake_pci_cap(struct fake_fn *f, uint8_t id, uint8_t len);
uint16_t fake_pci_ext_cap(struct fake_fn *f, uint16_t id, uint16_t len);
/* An MSI-X capability with writable Enable/Function Mask. */
uint16_t fake_pci_msix(struct fake_fn *f, unsigned size, unsigned table_bir, uint32_t table_off, unsigned pba_bir,
		       uint32_t pba_off);
/* An MSI capability (64-bit address and per-vector masking as asked). */
uint16_t fake_pci_msi(struct fake_fn *f, bool is64, bool pvm);

uint32_t fake_cfg32(const struct fake_fn *f, uint16_t off);
uint16_t fake_cfg16(const struct fake_fn *f, uint16_t off);

/* RAM standing for device memory at [phys, phys + size), zero-filled. */
void *fake_pci_ram(uint64_t phys, uint64_t size);
void *fake_pci_mmio_map(uint64_t phys, uint64_t size);

extern const struct pci_cfg_ops fake_pci_ops;
extern unsigned fake_pci_maps;            /* fake_pci_mmio_map calls */
extern unsigned fake_pci_bar_writes_decoding; /* all-ones BAR writes with decoding on */
/* Called after every config write, to look at the device state at that moment. */
extern void (*fake_pci_on_write)(struct fake_fn *f, uint16_t off, uint32_t v);

extern char fake_log[8192];
void fake_log_clear(void);
bool fake_log_has(const char *s);

#endif
