/*
 * BOOTX64.EFI: the GNU-EFI loader.
 *
 * Loads \EFI\BOOT\KERNEL.ELF from the volume this program was started from,
 * checks it (elf_check), copies its segments to fresh pages, gathers what the
 * kernel needs (memory map, ACPI RSDP, GOP framebuffer, a trampoline page below
 * 1 MiB, the command line from \EFI\BOOT\CMDLINE.TXT), builds page tables that
 * map all RAM at identity and at BOOT_PHYS_OFFSET plus the kernel at its link
 * address, exits boot services and jumps to the kernel with a boot_info.
 *
 * Anything wrong before ExitBootServices is printed and the loader returns to
 * the firmware; after it, nothing can fail.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/boot_info.h"
#include "boot/elf_check.h"

#define PAGE 4096ull
#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_PS  (1ull << 7) /* 2 MiB page in a PD entry */
#define TWO_MB  (2ull << 20)
#define ONE_GB  (1ull << 30)
#define TRAMPOLINE_MAX 0x9ffffull   /* SIPI vectors address pages below 1 MiB; stay under the EBDA */
#define EXIT_RETRIES   8
#define ERROR_STALL_US (5 * 1000 * 1000)
/* EFI_ERROR does not parenthesise its argument: wrap assignments. */
#define FAILED(expr) (EFI_ERROR((expr)))

static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;
static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;

static EFI_STATUS fail(const CHAR16 *what, EFI_STATUS st)
{
	Print(L"loader: %s (%r)\n", what, st);
	uefi_call_wrapper(BS->Stall, 1, ERROR_STALL_US);
	return st;
}

static UINT64 rdtsc(void)
{
	UINT32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((UINT64)hi << 32) | lo;
}

static EFI_STATUS alloc_pages(UINT64 bytes, EFI_PHYSICAL_ADDRESS *out)
{
	*out = 0;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
					  (bytes + PAGE - 1) / PAGE, out);
	if (!EFI_ERROR(st))
		ZeroMem((void *)*out, (bytes + PAGE - 1) / PAGE * PAGE);
	return st;
}

/* Reads a whole file from dir into fresh pages. EFI_NOT_FOUND when absent. */
static EFI_STATUS read_file(EFI_FILE_HANDLE dir, CHAR16 *path, EFI_PHYSICAL_ADDRESS *buf, UINT64 *len)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st = uefi_call_wrapper(dir->Open, 5, dir, &f, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	EFI_FILE_INFO *info = LibFileInfo(f);
	if (!info) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_DEVICE_ERROR;
	}
	*len = info->FileSize;
	FreePool(info);
	st = alloc_pages(*len + 1, buf);
	if (!EFI_ERROR(st)) {
		UINTN n = *len;
		st = uefi_call_wrapper(f->Read, 3, f, &n, (void *)*buf);
		if (!EFI_ERROR(st) && n != *len)
			st = EFI_END_OF_FILE;
	}
	uefi_call_wrapper(f->Close, 1, f);
	return st;
}

static void reserve(struct boot_info *bi, UINT64 base, UINT64 size, UINT32 kind)
{
	if (bi->nr_reserved < BOOT_MAX_RESERVED)
		bi->reserved[bi->nr_reserved++] = (struct boot_reserved){ base, (size + PAGE - 1) & ~(PAGE - 1), kind, 0 };
}

static void read_cmdline(EFI_FILE_HANDLE root, struct boot_info *bi)
{
	EFI_PHYSICAL_ADDRESS buf;
	UINT64 len;
	if (EFI_ERROR(read_file(root, L"\\EFI\\BOOT\\CMDLINE.TXT", &buf, &len)))
		return;
	const char *s = (const char *)buf;
	UINT64 n = 0;
	for (UINT64 i = 0; i < len && n < BOOT_CMDLINE_MAX - 1; i++) {
		char c = s[i];
		bi->cmdline[n++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	while (n > 0 && bi->cmdline[n - 1] == ' ')
		n--;
	bi->cmdline[n] = '\0';
	if (len >= BOOT_CMDLINE_MAX)
		Print(L"loader: CMDLINE.TXT longer than %d bytes, truncated\n", BOOT_CMDLINE_MAX - 1);
	uefi_call_wrapper(BS->FreePages, 2, buf, (len + 1 + PAGE - 1) / PAGE);
}

static UINT64 find_rsdp(void)
{
	UINT64 v1 = 0;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (CompareGuid(&t->VendorGuid, &acpi20_guid) == 0)
			return (UINT64)t->VendorTable;
		if (CompareGuid(&t->VendorGuid, &acpi10_guid) == 0)
			v1 = (UINT64)t->VendorTable;
	}
	return v1;
}

static int usable_format(EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi)
{
	return mi->PixelFormat == PixelRedGreenBlueReserved8BitPerColor ||
	       mi->PixelFormat == PixelBlueGreenRedReserved8BitPerColor;
}

/* Keeps the firmware's mode when it is a linear 32-bit one of at least
 * 800x600; otherwise the largest linear mode up to 1920x1200. */
static void setup_gop(struct boot_info *bi)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &gop_guid, NULL, (void **)&gop)) || !gop->Mode)
		return;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *cur = gop->Mode->Info;
	if (!(usable_format(cur) && cur->HorizontalResolution >= 800 && cur->VerticalResolution >= 600)) {
		UINT32 best = UINT32_MAX;
		UINT64 best_area = 0;
		for (UINT32 m = 0; m < gop->Mode->MaxMode; m++) {
			EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi;
			UINTN sz;
			if (EFI_ERROR(uefi_call_wrapper(gop->QueryMode, 4, gop, m, &sz, &mi)))
				continue;
			UINT64 area = (UINT64)mi->HorizontalResolution * mi->VerticalResolution;
			if (usable_format(mi) && mi->HorizontalResolution <= 1920 &&
			    mi->VerticalResolution <= 1200 && area > best_area) {
				best = m;
				best_area = area;
			}
		}
		if (best != UINT32_MAX)
			uefi_call_wrapper(gop->SetMode, 2, gop, best);
	}
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	if (!usable_format(mi))
		return;
	bi->fb = (struct boot_framebuffer){
		.base = gop->Mode->FrameBufferBase, .size = gop->Mode->FrameBufferSize,
		.width = mi->HorizontalResolution, .height = mi->VerticalResolution,
		.pitch = mi->PixelsPerScanLine,
		.format = mi->PixelFormat == PixelRedGreenBlueReserved8BitPerColor ? BOOT_FB_RGBX : BOOT_FB_BGRX,
	};
}

static int is_ram(UINT32 type)
{
	return type == EfiConventionalMemory || type == EfiLoaderCode || type == EfiLoaderData ||
	       type == EfiBootServicesCode || type == EfiBootServicesData ||
	       type == EfiRuntimeServicesCode || type == EfiRuntimeServicesData ||
	       type == EfiACPIReclaimMemory || type == EfiACPIMemoryNVS;
}

static UINT32 boot_type(UINT32 efi_type)
{
	switch (efi_type) {
	case EfiConventionalMemory: case EfiLoaderCode: case EfiLoaderData:
	case EfiBootServicesCode: case EfiBootServicesData:
		return BOOT_MEM_USABLE;
	case EfiACPIReclaimMemory: return BOOT_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS: return BOOT_MEM_ACPI_NVS;
	case EfiMemoryMappedIO: case EfiMemoryMappedIOPortSpace: return BOOT_MEM_MMIO;
	case EfiUnusableMemory: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

struct efi_map {
	EFI_MEMORY_DESCRIPTOR *desc;
	UINTN size, cap, key, desc_size;
	UINT32 desc_version;
};

#define FOR_EACH_DESC(m, d) \
	for (EFI_MEMORY_DESCRIPTOR *d = (m)->desc; (char *)d < (char *)(m)->desc + (m)->size; \
	     d = (EFI_MEMORY_DESCRIPTOR *)((char *)d + (m)->desc_size))

static EFI_STATUS get_map(struct efi_map *m)
{
	m->size = m->cap;
	return uefi_call_wrapper(BS->GetMemoryMap, 5, &m->size, m->desc, &m->key, &m->desc_size, &m->desc_version);
}

/* Allocates the buffer once, with room for the descriptors the allocations
 * between now and ExitBootServices may add. */
static EFI_STATUS alloc_map(struct efi_map *m)
{
	m->cap = 0;
	m->desc = NULL;
	EFI_STATUS st = get_map(m);
	if (st != EFI_BUFFER_TOO_SMALL)
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	m->cap = m->size + 64 * m->desc_size;
	EFI_PHYSICAL_ADDRESS a;
	if (FAILED(st = alloc_pages(m->cap, &a)))
		return st;
	m->desc = (EFI_MEMORY_DESCRIPTOR *)a;
	return get_map(m);
}

/* Pure: after ExitBootServices. Sorted by base (insertion sort: maps are short),
 * adjacent regions of one type merged. */
static void convert_map(const struct efi_map *m, struct boot_info *bi)
{
	bi->nr_regions = 0;
	FOR_EACH_DESC(m, d) {
		struct boot_mem_region r = { d->PhysicalStart, d->NumberOfPages, boot_type(d->Type), 0 };
		UINT32 i = bi->nr_regions;
		if (i == BOOT_MAX_REGIONS)
			break;
		while (i > 0 && bi->regions[i - 1].base > r.base) {
			bi->regions[i] = bi->regions[i - 1];
			i--;
		}
		bi->regions[i] = r;
		bi->nr_regions++;
	}
	UINT32 out = 0;
	for (UINT32 i = 0; i < bi->nr_regions; i++) {
		struct boot_mem_region *p = out ? &bi->regions[out - 1] : NULL;
		struct boot_mem_region *r = &bi->regions[i];
		if (p && p->type == r->type && p->base + p->pages * PAGE == r->base)
			p->pages += r->pages;
		else
			bi->regions[out++] = *r;
	}
	bi->nr_regions = out;
}

static UINT64 *table_at(EFI_PHYSICAL_ADDRESS *pool, UINT64 *parent, unsigned idx)
{
	if (!(parent[idx] & PTE_P)) {
		parent[idx] = *pool | PTE_P | PTE_W;
		*pool += PAGE;
	}
	return (UINT64 *)(parent[idx] & ~0xfffull);
}

/* Identity + direct map of [0, top) in 2 MiB pages (one PDPT shared by both),
 * and the kernel's pages at their link address. */
static EFI_STATUS build_page_tables(struct boot_info *bi, UINT64 top, UINT64 *cr3)
{
	UINT64 gbs = (top + ONE_GB - 1) / ONE_GB;
	if (gbs > 512)
		gbs = 512; /* the direct map covers at most 512 GiB here; the kernel maps the rest */
	UINT64 kpages = bi->kernel_size / PAGE;
	UINT64 pages = 2 + gbs + 2 + (kpages + 511) / 512 + 1;
	EFI_PHYSICAL_ADDRESS pool;
	EFI_STATUS st = alloc_pages(pages * PAGE, &pool);
	if (EFI_ERROR(st))
		return st;
	reserve(bi, pool, pages * PAGE, BOOT_RSV_PAGE_TABLES);
	UINT64 *pml4 = (UINT64 *)pool;
	pool += PAGE;
	UINT64 *pdpt = (UINT64 *)pool;
	pool += PAGE;
	for (UINT64 g = 0; g < gbs; g++) {
		UINT64 *pd = table_at(&pool, pdpt, g);
		for (UINT64 i = 0; i < 512; i++)
			pd[i] = (g * ONE_GB + i * TWO_MB) | PTE_P | PTE_W | PTE_PS;
	}
	pml4[0] = (UINT64)pdpt | PTE_P | PTE_W;
	pml4[(BOOT_PHYS_OFFSET >> 39) & 511] = (UINT64)pdpt | PTE_P | PTE_W;
	for (UINT64 i = 0; i < kpages; i++) {
		UINT64 va = bi->kernel_virt + i * PAGE;
		UINT64 *p3 = table_at(&pool, pml4, (va >> 39) & 511);
		UINT64 *p2 = table_at(&pool, p3, (va >> 30) & 511);
		UINT64 *p1 = table_at(&pool, p2, (va >> 21) & 511);
		p1[(va >> 12) & 511] = (bi->kernel_phys + i * PAGE) | PTE_P | PTE_W;
	}
	*cr3 = (UINT64)pml4;
	return EFI_SUCCESS;
}

static EFI_STATUS load_kernel(EFI_FILE_HANDLE root, struct boot_info *bi, UINT64 *entry)
{
	EFI_PHYSICAL_ADDRESS file;
	UINT64 len;
	EFI_STATUS st = read_file(root, L"\\EFI\\BOOT\\KERNEL.ELF", &file, &len);
	if (st == EFI_NOT_FOUND)
		return fail(L"\\EFI\\BOOT\\KERNEL.ELF not found on the boot volume", st);
	if (EFI_ERROR(st))
		return fail(L"cannot read \\EFI\\BOOT\\KERNEL.ELF", st);
	struct elf_plan plan;
	const char *err = elf_check((void *)file, len, BOOT_KERNEL_BASE, BOOT_KERNEL_BASE + BOOT_KERNEL_MAX, &plan);
	if (err) {
		Print(L"loader: \\EFI\\BOOT\\KERNEL.ELF rejected: %a\n", err);
		uefi_call_wrapper(BS->Stall, 1, ERROR_STALL_US);
		return EFI_LOAD_ERROR;
	}
	EFI_PHYSICAL_ADDRESS img;
	bi->kernel_virt = plan.virt_lo;
	bi->kernel_size = plan.virt_hi - plan.virt_lo;
	if (FAILED(st = alloc_pages(bi->kernel_size, &img)))
		return fail(L"no memory for the kernel image", st);
	bi->kernel_phys = img;
	for (unsigned i = 0; i < plan.nr_segments; i++) {
		struct elf_segment *s = &plan.segments[i];
		CopyMem((void *)(img + (s->vaddr - plan.virt_lo)), (void *)(file + s->offset), s->filesz);
	}
	reserve(bi, img, bi->kernel_size, BOOT_RSV_KERNEL);
	reserve(bi, file, len, BOOT_RSV_KERNEL_FILE);
	*entry = plan.entry;
	return EFI_SUCCESS;
}

static UINT64 ram_top(struct efi_map *m)
{
	UINT64 top = 4ull << 30; /* low MMIO (LAPIC, IOAPIC, ECAM) is reached through identity early on */
	FOR_EACH_DESC(m, d) {
		UINT64 end = d->PhysicalStart + d->NumberOfPages * PAGE;
		if (is_ram(d->Type) && end > top)
			top = end;
	}
	return top;
}

/* Exits boot services, retrying when the map changed under us (UEFI 2.x
 * §7.4: the key must match the latest GetMemoryMap). No allocation here. */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, struct efi_map *m)
{
	EFI_STATUS st = EFI_INVALID_PARAMETER;
	for (int i = 0; i < EXIT_RETRIES && EFI_ERROR(st); i++) {
		if (FAILED(st = get_map(m)))
			return st;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, m->key);
	}
	return st;
}

typedef void (*kernel_entry_t)(struct boot_info *) __attribute__((sysv_abi, noreturn));

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	UINT64 tsc0 = rdtsc();
	InitializeLib(image, systab);
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);

	EFI_LOADED_IMAGE *li;
	EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return fail(L"no loaded-image protocol", st);
	EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return fail(L"cannot open the boot volume", EFI_NOT_FOUND);

	EFI_PHYSICAL_ADDRESS bia;
	if (FAILED(st = alloc_pages(sizeof(struct boot_info), &bia)))
		return fail(L"no memory for boot_info", st);
	struct boot_info *bi = (struct boot_info *)bia;
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->loader_entry_tsc = tsc0;
	reserve(bi, bia, sizeof(*bi), BOOT_RSV_BOOT_INFO);

	UINT64 entry;
	if (FAILED(st = load_kernel(root, bi, &entry)))
		return st;
	read_cmdline(root, bi);
	bi->rsdp = find_rsdp();
	EFI_PHYSICAL_ADDRESS tramp = TRAMPOLINE_MAX;
	if (!EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, 1, &tramp))) {
		bi->trampoline = tramp;
		reserve(bi, tramp, PAGE, BOOT_RSV_TRAMPOLINE);
	}
	setup_gop(bi);

	struct efi_map m;
	if (FAILED(st = alloc_map(&m)))
		return fail(L"cannot read the memory map", st);
	UINT64 cr3;
	if (FAILED(st = build_page_tables(bi, ram_top(&m), &cr3)))
		return fail(L"no memory for page tables", st);
	Print(L"loader: kernel %lx bytes at %lx, entry %lx\n", bi->kernel_size, bi->kernel_phys, entry);

	if (FAILED(st = exit_boot_services(image, &m)))
		return fail(L"ExitBootServices failed", st);
	convert_map(&m, bi);
	__asm__ volatile("cli; mov %0, %%cr3" ::"r"(cr3) : "memory");
	((kernel_entry_t)entry)((struct boot_info *)(BOOT_PHYS_OFFSET + bia));
}
