/* Kernel symbol lookup for backtraces, from the .symtab of KERNEL.ELF as the
 * loader read it (boot_info reserved range BOOT_RSV_KERNEL_FILE). */
#ifndef KERNEL_KSYM_H
#define KERNEL_KSYM_H

#include <stdint.h>

/* file: the ELF file in memory. Returns 0, or -1 when it has no usable symtab. */
int ksym_init(const void *file, uint64_t len);
/* Name of the function containing addr and the offset into it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
