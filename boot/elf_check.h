/*
 * elf_check: decide whether a file is a kernel the loader may load, and where.
 *
 * Pure code (no UEFI, no allocation) so the host tests run it on good and
 * broken images. On success it fills a plan: the PT_LOAD segments to copy and
 * the virtual span they occupy, all proven to lie inside the file and inside
 * [virt_min, virt_max).
 */
#ifndef BOOT_ELF_CHECK_H
#define BOOT_ELF_CHECK_H

#include <stdint.h>

#define ELF_MAX_SEGMENTS 8
#define ELF_MAX_PHNUM    64

struct elf_segment {
	uint64_t offset; /* in the file */
	uint64_t filesz;
	uint64_t vaddr;
	uint64_t memsz;  /* >= filesz; the rest is zero-filled */
	uint32_t flags;  /* PF_R | PF_W | PF_X */
};

struct elf_plan {
	uint64_t entry;
	uint64_t virt_lo; /* page-aligned start of the lowest segment */
	uint64_t virt_hi; /* page-aligned end of the highest segment */
	unsigned nr_segments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* Returns NULL and fills *plan when the image is acceptable, else a message. */
const char *elf_check(const void *file, uint64_t len, uint64_t virt_min,
		      uint64_t virt_max, struct elf_plan *plan);

#endif
