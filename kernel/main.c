/*
 * kmain: boot order. Each step needs the ones before it:
 *   serial console → boot_info check → GDT/IDT/per-CPU → frames → own page
 *   tables → guard-paged stacks → ACPI → PCI enumeration → TSC → local APIC,
 *   vectors, APs → framebuffer, keyboard → command line → console
 *   interrupts → PCI driver probes → block devices → shell.
 */
#include <stdio.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "boot/boot_info.h"
#include "blk/blkdev.h"
#include "blk/nullb.h"
#include "drivers/pci.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/ksym.h"
#include "kernel/mm.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define KERNEL_STACK_SIZE (64 * 1024)
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

_Noreturn void call_on_stack(uint64_t top, void (*fn)(void *), void *arg);

static const struct boot_info *boot;

static void *acpi_direct_map(uint64_t phys, uint32_t len)
{
	if (!len || !vm_is_mapped(PHYS_OFFSET + phys) || !vm_is_mapped(PHYS_OFFSET + phys + len - 1))
		return NULL;
	return phys_to_virt(phys);
}

static const struct boot_reserved *reserved(uint32_t kind)
{
	for (unsigned i = 0; i < boot->nr_reserved; i++)
		if (boot->reserved[i].kind == kind)
			return &boot->reserved[i];
	return NULL;
}

static _Noreturn void kmain_late(void *arg)
{
	(void)arg;
	percpu_alloc_ist_stacks(&cpus[0]);
	const struct boot_reserved *kf = reserved(BOOT_RSV_KERNEL_FILE);
	if (!kf || ksym_init(phys_to_virt(kf->base), kf->size) != 0)
		kprintf("ksym: no symbol table; backtraces show addresses only\n");
	acpi_map = acpi_direct_map;
	acpi_init(boot->rsdp);
	pci_init(); /* sizes BARs with decoding off: before anything uses a device, interrupts off */
	time_init(boot->loader_entry_tsc);
	smp_init(boot);
	/* The legacy 8259 PICs stay masked: interrupts come through the APICs. */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	console_init_fb(&boot->fb);
	console_init_keyboard(acpi.has_8042);
	cmdline_init(boot->cmdline);
	console_enable_irqs(cpus[0].apic_id);
	sti();
	blk_init();
	pci_probe_drivers();
	nullb_init();
	kprintf("memory: %llu MiB total, %llu MiB free\n", (unsigned long long)(mm_total_bytes() >> 20),
		(unsigned long long)(mm_free_bytes() >> 20));
	if (boot->cmdline[0])
		kprintf("cmdline: %s\n", boot->cmdline);
	shell_run(cmdline_get("autorun"));
}

_Noreturn void kmain(struct boot_info *bi)
{
	console_init_serial();
	kprintf("\nnvmekern: kernel entered\n");
	const char *err = boot_info_check(bi);
	if (err)
		panic("boot_info rejected: %s", err);
	boot = bi;
	fpu_init();
	percpu_init_bsp();
	mm_init(bi);
	vm_init(bi);
	uint64_t stack = vm_alloc_stack(KERNEL_STACK_SIZE);
	if (!stack)
		panic("no memory for the kernel stack");
	call_on_stack(stack, kmain_late, NULL);
}

/* ---- bootinfo ---- */

static const char *const region_names[] = {
	[BOOT_MEM_USABLE] = "usable", [BOOT_MEM_RESERVED] = "reserved",
	[BOOT_MEM_ACPI_RECLAIM] = "ACPI reclaim", [BOOT_MEM_ACPI_NVS] = "ACPI NVS",
	[BOOT_MEM_MMIO] = "MMIO", [BOOT_MEM_BAD] = "bad",
};

static int cmd_bootinfo(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return shell_usage("bootinfo");
	printf("boot_info: version %u, %u bytes\n", boot->version, boot->size);
	printf("memory map: %u regions\n", boot->nr_regions);
	for (unsigned t = BOOT_MEM_USABLE; t <= BOOT_MEM_BAD; t++) {
		uint64_t pages = 0, n = 0;
		for (unsigned i = 0; i < boot->nr_regions; i++)
			if (boot->regions[i].type == t) {
				pages += boot->regions[i].pages;
				n++;
			}
		if (n)
			printf("  %-13s %4llu regions %10llu KiB\n", region_names[t], (unsigned long long)n,
			       (unsigned long long)(pages * 4));
	}
	printf("kernel: %llu KiB at phys %#llx, virt %#llx\n", (unsigned long long)(boot->kernel_size >> 10),
	       (unsigned long long)boot->kernel_phys, (unsigned long long)boot->kernel_virt);
	if (boot->fb.format != BOOT_FB_NONE)
		printf("framebuffer: %ux%u pitch %u %s at %#llx\n", boot->fb.width, boot->fb.height,
		       boot->fb.pitch, boot->fb.format == BOOT_FB_RGBX ? "RGBX" : "BGRX",
		       (unsigned long long)boot->fb.base);
	else
		printf("framebuffer: none\n");
	printf("RSDP: %#llx (ACPI revision %u)\n", (unsigned long long)boot->rsdp, acpi.revision);
	printf("trampoline: %#llx\n", (unsigned long long)boot->trampoline);
	printf("TSC: %llu kHz (%s)\n", (unsigned long long)(tsc_hz() / 1000), time_source());
	printf("cmdline: %s\n", boot->cmdline);
	return 0;
}
SHELL_COMMAND(bootinfo, "bootinfo", "", "memory map summary, framebuffer, RSDP, command line", cmd_bootinfo);
