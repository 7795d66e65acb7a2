/*
 * boot_info: the one structure the loader hands the kernel.
 *
 * Contract: the loader fills it after ExitBootServices and jumps to the kernel
 * entry with a pointer to it (through the direct map) in %rdi. Addresses inside
 * it are physical; the loader's page tables map all RAM both at identity and at
 * BOOT_PHYS_OFFSET, so the kernel reads everything through the direct map.
 * The kernel accepts it only when magic, version and size all match
 * (boot_info_check); a new field means a new version.
 *
 * This header is shared by the GNU-EFI loader, the kernel and the host tests,
 * so it uses only fixed-width types and no UEFI definitions.
 */
#ifndef BOOT_INFO_H
#define BOOT_INFO_H

#include <stddef.h>
#include <stdint.h>

#define BOOT_INFO_MAGIC   0x4f464e49544f4f42ull /* "BOOTINFO" little-endian */
#define BOOT_INFO_VERSION 1u

/* Virtual addresses the loader sets up before the jump. */
#define BOOT_PHYS_OFFSET  0xffff800000000000ull /* direct map of physical memory */
#define BOOT_KERNEL_BASE  0xffffffff80000000ull /* -mcmodel=kernel: top 2 GiB */
#define BOOT_KERNEL_MAX   (64ull << 20)         /* image span the loader accepts */

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,     /* free once the kernel owns the machine */
	BOOT_MEM_RESERVED,       /* firmware, unusable, unknown */
	BOOT_MEM_ACPI_RECLAIM,   /* ACPI tables: keep until parsed */
	BOOT_MEM_ACPI_NVS,
	BOOT_MEM_MMIO,
	BOOT_MEM_BAD,
};

struct boot_mem_region {
	uint64_t base;  /* physical, page aligned */
	uint64_t pages; /* 4 KiB pages */
	uint32_t type;  /* enum boot_mem_type */
	uint32_t pad;
};
_Static_assert(sizeof(struct boot_mem_region) == 24, "boot_mem_region size");

/* Physical ranges inside USABLE memory that the kernel must not hand out:
 * the kernel image, this block, the loader's page tables, the trampoline. */
enum boot_reserved_kind {
	BOOT_RSV_KERNEL = 1,
	BOOT_RSV_KERNEL_FILE, /* the whole KERNEL.ELF as read: symbols for backtraces */
	BOOT_RSV_BOOT_INFO,   /* this structure, the map, the command line */
	BOOT_RSV_PAGE_TABLES,
	BOOT_RSV_TRAMPOLINE,
};

struct boot_reserved {
	uint64_t base;
	uint64_t size;
	uint32_t kind;
	uint32_t pad;
};
_Static_assert(sizeof(struct boot_reserved) == 24, "boot_reserved size");

enum boot_fb_format {
	BOOT_FB_NONE = 0,
	BOOT_FB_RGBX = 1, /* byte 0 red */
	BOOT_FB_BGRX = 2, /* byte 0 blue */
};

struct boot_framebuffer {
	uint64_t base;   /* physical */
	uint64_t size;   /* bytes */
	uint32_t width;
	uint32_t height;
	uint32_t pitch;  /* pixels per scan line */
	uint32_t format; /* enum boot_fb_format; NONE: no usable framebuffer */
};
_Static_assert(sizeof(struct boot_framebuffer) == 32, "boot_framebuffer size");

#define BOOT_MAX_REGIONS  512
#define BOOT_MAX_RESERVED 8
#define BOOT_CMDLINE_MAX  1024

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size;               /* sizeof(struct boot_info) */

	uint64_t loader_entry_tsc;   /* rdtsc at the loader's entry: boot time origin */
	uint64_t rsdp;               /* physical address of the ACPI 2.0 RSDP, 0 if none */
	uint64_t trampoline;         /* physical page below 1 MiB for AP start-up, 0 if none */
	uint64_t kernel_phys;        /* where the image's lowest segment landed */
	uint64_t kernel_virt;        /* its link address */
	uint64_t kernel_size;        /* bytes from kernel_virt to the end of the image */

	struct boot_framebuffer fb;

	uint32_t nr_regions;
	uint32_t nr_reserved;
	struct boot_mem_region regions[BOOT_MAX_REGIONS]; /* sorted by base, no overlap */
	struct boot_reserved reserved[BOOT_MAX_RESERVED];

	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated, may be empty */
};
_Static_assert(offsetof(struct boot_info, regions) % 8 == 0, "regions alignment");

/* Returns NULL when bi is acceptable, else a message saying what is wrong. */
static inline const char *boot_info_check(const struct boot_info *bi)
{
	if (bi->magic != BOOT_INFO_MAGIC)
		return "bad magic";
	if (bi->version != BOOT_INFO_VERSION)
		return "unsupported version";
	if (bi->size != sizeof(*bi))
		return "size mismatch (loader and kernel built from different headers)";
	if (bi->nr_regions == 0 || bi->nr_regions > BOOT_MAX_REGIONS)
		return "memory map region count out of range";
	if (bi->nr_reserved > BOOT_MAX_RESERVED)
		return "reserved range count out of range";
	for (size_t i = 0; i < BOOT_CMDLINE_MAX; i++)
		if (bi->cmdline[i] == '\0')
			return NULL;
	return "command line not terminated";
}

#endif
