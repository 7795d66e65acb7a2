/*
 * Symbol lookup over the kernel's own ELF symbol table. Every section header,
 * symbol and name offset is checked against the file length once at init,
 * so a lookup during a panic cannot wander off.
 */
#include <stddef.h>

#include "boot/elf64.h"
#include "kernel/ksym.h"

static const struct elf64_sym *syms;
static uint64_t nr_syms;
static const char *strtab;
static uint64_t strtab_len;

int ksym_init(const void *file, uint64_t len)
{
	const struct elf64_ehdr *eh = file;
	if (len < sizeof(*eh) || eh->e_shentsize != sizeof(struct elf64_shdr) ||
	    eh->e_shoff > len || (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr) > len - eh->e_shoff)
		return -1;
	const struct elf64_shdr *sh = (const void *)((const char *)file + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const struct elf64_shdr *st = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset ||
		    st->sh_offset > len || st->sh_size > len - st->sh_offset || st->sh_size == 0)
			return -1;
		syms = (const void *)((const char *)file + sh[i].sh_offset);
		nr_syms = sh[i].sh_size / sizeof(struct elf64_sym);
		strtab = (const char *)file + st->sh_offset;
		strtab_len = st->sh_size;
		return 0;
	}
	return -1;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	const struct elf64_sym *best = NULL;
	for (uint64_t i = 0; i < nr_syms; i++) {
		const struct elf64_sym *s = &syms[i];
		if ((s->st_info & 0xf) != STT_FUNC || s->st_value > addr || s->st_name >= strtab_len)
			continue;
		if (!best || s->st_value > best->st_value)
			best = s;
	}
	if (!best || (best->st_size && addr >= best->st_value + best->st_size))
		return NULL;
	*offset = addr - best->st_value;
	/* names are NUL-terminated inside strtab: the last byte of a valid strtab is NUL */
	return strtab[strtab_len - 1] == '\0' ? strtab + best->st_name : NULL;
}
