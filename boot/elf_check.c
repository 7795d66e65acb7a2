/*
 * elf_check: validation of the kernel image before the loader trusts any of it.
 * Every offset and size read from the file is checked against the file length
 * and the allowed virtual window with overflow-safe arithmetic.
 */
#include "boot/elf_check.h"
#include "boot/elf64.h"

#define PAGE_SIZE 4096ull

static const char *check_header(const struct elf64_ehdr *eh, uint64_t len)
{
	if (len < sizeof(*eh))
		return "file shorter than an ELF header";
	if (eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
	    eh->e_ident[3] != 'F')
		return "not an ELF file (bad magic)";
	if (eh->e_ident[4] != ELFCLASS64)
		return "not a 64-bit ELF file";
	if (eh->e_ident[5] != ELFDATA2LSB)
		return "not little-endian";
	if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return "unknown ELF version";
	if (eh->e_type != ET_EXEC)
		return "not an executable (ET_EXEC)";
	if (eh->e_machine != EM_X86_64)
		return "not an x86-64 executable";
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return "unexpected program header size";
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return "program header count out of range";
	if (eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > len - eh->e_phoff)
		return "program headers outside the file";
	if (eh->e_phoff % 8)
		return "misaligned program headers";
	return 0;
}

static const char *check_segment(const struct elf64_phdr *ph, uint64_t len,
				 uint64_t virt_min, uint64_t virt_max)
{
	if (ph->p_filesz > ph->p_memsz)
		return "segment file size exceeds its memory size";
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return "segment data outside the file";
	if (ph->p_vaddr < virt_min || ph->p_vaddr > virt_max ||
	    ph->p_memsz > virt_max - ph->p_vaddr)
		return "segment outside the allowed kernel address range";
	if (ph->p_vaddr % PAGE_SIZE != ph->p_offset % PAGE_SIZE)
		return "segment address and file offset not congruent modulo the page size";
	return 0;
}

static uint64_t page_down(uint64_t v) { return v & ~(PAGE_SIZE - 1); }
static uint64_t page_up(uint64_t v) { return (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

/* Segments must not share a page: each page gets one set of permissions. */
static const char *check_overlap(const struct elf_plan *plan)
{
	for (unsigned i = 0; i < plan->nr_segments; i++)
		for (unsigned j = i + 1; j < plan->nr_segments; j++) {
			const struct elf_segment *a = &plan->segments[i], *b = &plan->segments[j];
			if (page_down(a->vaddr) < page_up(b->vaddr + b->memsz) &&
			    page_down(b->vaddr) < page_up(a->vaddr + a->memsz))
				return "segments overlap";
		}
	return 0;
}

static int entry_is_executable(const struct elf_plan *plan)
{
	for (unsigned i = 0; i < plan->nr_segments; i++) {
		const struct elf_segment *s = &plan->segments[i];
		if ((s->flags & PF_X) && plan->entry >= s->vaddr && plan->entry < s->vaddr + s->memsz)
			return 1;
	}
	return 0;
}

const char *elf_check(const void *file, uint64_t len, uint64_t virt_min,
		      uint64_t virt_max, struct elf_plan *plan)
{
	const struct elf64_ehdr *eh = file;
	const char *err = check_header(eh, len);
	if (err)
		return err;

	const struct elf64_phdr *ph = (const void *)((const char *)file + eh->e_phoff);
	plan->nr_segments = 0;
	plan->virt_lo = UINT64_MAX;
	plan->virt_hi = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if ((err = check_segment(&ph[i], len, virt_min, virt_max)))
			return err;
		if (plan->nr_segments == ELF_MAX_SEGMENTS)
			return "too many loadable segments";
		plan->segments[plan->nr_segments++] = (struct elf_segment){
			.offset = ph[i].p_offset, .filesz = ph[i].p_filesz,
			.vaddr = ph[i].p_vaddr, .memsz = ph[i].p_memsz, .flags = ph[i].p_flags,
		};
		if (page_down(ph[i].p_vaddr) < plan->virt_lo)
			plan->virt_lo = page_down(ph[i].p_vaddr);
		if (page_up(ph[i].p_vaddr + ph[i].p_memsz) > plan->virt_hi)
			plan->virt_hi = page_up(ph[i].p_vaddr + ph[i].p_memsz);
	}
	if (plan->nr_segments == 0)
		return "no loadable segments";
	if (plan->virt_hi > virt_max)
		return "segment outside the allowed kernel address range";
	if ((err = check_overlap(plan)))
		return err;
	plan->entry = eh->e_entry;
	if (!entry_is_executable(plan))
		return "entry point not inside an executable segment";
	return 0;
}
