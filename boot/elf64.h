/*
 * The ELF64 structures the loader reads and the kernel's symbol lookup walks
 * (System V gABI, ELF-64 Object File Format 1.5). Only what we use.
 */
#ifndef BOOT_ELF64_H
#define BOOT_ELF64_H

#include <stdint.h>

#define EI_NIDENT     16
#define ELFCLASS64    2   /* e_ident[EI_CLASS] */
#define ELFDATA2LSB   1   /* e_ident[EI_DATA] */
#define EV_CURRENT    1
#define ET_EXEC       2
#define EM_X86_64     62
#define PT_LOAD       1
#define PF_X          1
#define PF_W          2
#define PF_R          4
#define SHT_SYMTAB    2
#define STT_FUNC      2

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr size");

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr size");

struct elf64_shdr {
	uint32_t sh_name;
	uint32_t sh_type;
	uint64_t sh_flags;
	uint64_t sh_addr;
	uint64_t sh_offset;
	uint64_t sh_size;
	uint32_t sh_link;
	uint32_t sh_info;
	uint64_t sh_addralign;
	uint64_t sh_entsize;
};
_Static_assert(sizeof(struct elf64_shdr) == 64, "Elf64_Shdr size");

struct elf64_sym {
	uint32_t st_name;
	uint8_t st_info;
	uint8_t st_other;
	uint16_t st_shndx;
	uint64_t st_value;
	uint64_t st_size;
};
_Static_assert(sizeof(struct elf64_sym) == 24, "Elf64_Sym size");

#endif
