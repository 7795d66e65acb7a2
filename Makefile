# One Makefile for the loader, the kernel, newlib, the images and the tests.
# `make V=1` shows the commands. All outputs go to build/.

V ?= 0
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-8s %s\n' $(1) $(2);)
B := build

# ---- newlib, built once from Debian's newlib-source ----
NEWLIB := $(B)/newlib/install/x86_64-elf
NEWLIB_STAMP := $(B)/newlib/.built
KERNEL_CFLAGS_BASE := -O2 -g -mcmodel=kernel -mno-red-zone -ffreestanding -fno-stack-protector \
	-fno-pic -fno-pie -D__DYNAMIC_REENT__
GCC_INC := $(shell gcc -print-file-name=include)

# ---- kernel ----
KCFLAGS := -std=c11 $(KERNEL_CFLAGS_BASE) -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INC) \
	-I. -MMD -MP
KSRCS := $(wildcard arch/x86_64/*.c kernel/*.c drivers/*.c drivers/nvme/*.c blk/*.c fs/*.c lib/*.c) boot/elf_check.c
KASMS := $(wildcard arch/x86_64/*.S)
KOBJS := $(patsubst %,$(B)/kernel/%.o,$(KSRCS) $(KASMS))
KERNEL := $(B)/kernel.elf

# ---- loader (GNU-EFI) ----
EFI_INC := /usr/include/efi
LCFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -fpic -ffreestanding \
	-fno-stack-protector -fno-stack-check -fshort-wchar -mno-red-zone -maccumulate-outgoing-args \
	-I$(EFI_INC) -I$(EFI_INC)/x86_64 -I. -MMD -MP
LOBJS := $(B)/boot/loader.o $(B)/boot/elf_check.o
LOADER := $(B)/BOOTX64.EFI

# ---- host unit tests (cmocka) ----
HCFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -I. -MMD -MP -D_DEFAULT_SOURCE
# test binary name -> sources it links besides the test file
UT_boot/test_elf_check := boot/elf_check.c
UT_boot/test_boot_info :=
UT_kernel/test_frame := kernel/frame.c
UT_kernel/test_cmdline := kernel/cmdline.c tests/unit/stub_console.c
UT_kernel/test_shell_parse := kernel/shell_parse.c
UT_kernel/test_lineedit := kernel/lineedit.c
UT_drivers/test_fbcon := drivers/font.c
UT_drivers/test_ps2kbd := drivers/ps2kbd.c
UT_kernel/test_affinity := kernel/affinity.c
UT_kernel/test_irq_matrix := kernel/irq_matrix.c
UT_kernel/test_spinlock :=
$(B)/unit/kernel/test_spinlock: HCFLAGS += -pthread -DHOST_TEST
UT_kernel/test_acpi := kernel/acpi.c tests/unit/stub_console.c
UT_drivers/test_pci := drivers/pci.c drivers/pci_names.c tests/unit/drivers/fake_pci.c
UT_drivers/test_prp := drivers/nvme/prp.c
UT_drivers/test_fake_nvme := tests/unit/drivers/fake_nvme.c drivers/nvme/prp.c
$(B)/unit/drivers/test_fake_nvme: HCFLAGS += -pthread
UT_drivers/test_nvme := drivers/nvme/nvme.c drivers/nvme/prp.c tests/unit/drivers/fake_nvme.c \
	tests/unit/drivers/stub_nvme_env.c kernel/affinity.c blk/core.c blk/genhd.c blk/gpt.c lib/crc.c blk/tag_set.c \
	blk/pool.c blk/tag.c blk/cpumap.c tests/unit/blk/stub_env.c
$(B)/unit/drivers/test_nvme: HCFLAGS += -pthread -DHOST_TEST
UT_blk/test_tag := blk/tag.c
UT_blk/test_bench_hist := blk/bench_hist.c -lm
UT_lib/test_crc := lib/crc.c
UT_blk/test_gpt := blk/gpt.c lib/crc.c tests/unit/stub_console.c
UT_blk/test_cpumap := blk/cpumap.c tests/unit/blk/stub_env.c
UT_blk/test_pool := blk/pool.c blk/tag_set.c blk/core.c blk/tag.c blk/cpumap.c tests/unit/blk/stub_env.c
UT_blk/test_core := blk/core.c blk/genhd.c blk/gpt.c lib/crc.c blk/tag_set.c blk/pool.c blk/tag.c blk/cpumap.c \
	tests/unit/blk/stub_env.c tests/unit/stub_console.c
# tfs (fs/): every fs test links the whole core plus the RAM block device
TFS_CORE := $(wildcard fs/*.c) lib/crc.c tests/unit/fs/ram_bdev.c
UT_fs/test_tfs_super := $(TFS_CORE)
UT_fs/test_tfs_alloc := $(TFS_CORE)
UT_fs/test_tfs_inode := $(TFS_CORE)
UT_fs/test_tfs_dir := $(TFS_CORE)
UT_fs/test_tfs_file := $(TFS_CORE)
UT_fs/test_tfs_journal := $(TFS_CORE)
UT_fs/test_tfs_api := $(TFS_CORE)
UT_fs/test_tfs_fsck := $(TFS_CORE)
UT_fs/test_tfs_crash := $(TFS_CORE) tests/fs/crash_enum.c
UT_fs/test_tfs_fuzz_corpus := $(TFS_CORE) tests/fs/fuzz_one.c
UT_fs/test_tfs_tools :=
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/*/test_*.c))
UNIT_BINS := $(patsubst %,$(B)/unit/%,$(UNIT_TESTS))

BOOT_IMG := $(B)/boot.img
USB_IMG := $(B)/usb.img

.PHONY: all deps run test unit usb clean distclean microbench bench
all: $(BOOT_IMG) $(UNIT_BINS)

# ---- tfs host tools (tools/tfs/), sharing fs/ with the kernel ----
TFS_TOOLS := $(B)/tools/mkfs.tfs $(B)/tools/fsck.tfs $(B)/tools/tfs
TFS_TOOL_SRCS := $(wildcard fs/*.c) lib/crc.c blk/gpt.c tools/tfs/host_bdev.c tools/tfs/console_stub.c
TFS_TOOL_DEPS := $(TFS_TOOL_SRCS) $(wildcard fs/*.h tools/tfs/*.h) lib/crc.h blk/gpt.h
TFS_TOOL_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -I. -D_DEFAULT_SOURCE
$(B)/tools/mkfs.tfs: tools/tfs/mkfs_tfs.c $(TFS_TOOL_DEPS)
$(B)/tools/fsck.tfs: tools/tfs/fsck_tfs.c $(TFS_TOOL_DEPS)
$(B)/tools/tfs: tools/tfs/tfs.c $(TFS_TOOL_DEPS)
$(TFS_TOOLS):
	$(call say,HOSTCC,$@)
	$(Q)mkdir -p $(dir $@) && gcc $(TFS_TOOL_CFLAGS) $< $(TFS_TOOL_SRCS) -o $@

.PHONY: crashtest fuzz
# crash-state enumeration, full length (make test runs a bounded pass)
crashtest: $(B)/unit/fs/test_tfs_crash
	$(Q)TFS_CRASH_FULL=1 $<

# libFuzzer (clang): mount + fsck of mutated images; FUZZ_TIME seconds
FUZZ_TIME ?= 60
$(B)/fuzz/tfs_fuzz: tests/fs/fuzz_target.c tests/fs/fuzz_one.c $(wildcard fs/*.c fs/*.h) lib/crc.c tests/unit/fs/ram_bdev.c
	$(Q)tools/deps fuzz
	$(call say,CLANG,$@)
	$(Q)mkdir -p $(dir $@) && clang -std=c11 -g -O1 -I. -D_DEFAULT_SOURCE -DTFS_STAGE_BLOCKS=64 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		tests/fs/fuzz_target.c tests/fs/fuzz_one.c $(wildcard fs/*.c) lib/crc.c tests/unit/fs/ram_bdev.c -o $@
fuzz: $(B)/fuzz/tfs_fuzz
	$(Q)mkdir -p $(B)/fuzz/corpus && $< -max_total_time=$(FUZZ_TIME) -max_len=8192 \
		-artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus tests/fs/corpus
	@echo "fuzz: crashes (if any) are $(B)/fuzz/crash-*: copy them to tests/fs/corpus/"
	@echo "fuzz: add new coverage with: $< -merge=1 tests/fs/corpus $(B)/fuzz/corpus"

all: $(TFS_TOOLS)
$(B)/unit/fs/test_tfs_tools: $(TFS_TOOLS)

deps:
	$(Q)tools/deps

$(NEWLIB_STAMP): tools/build-newlib
	$(call say,NEWLIB,$(NEWLIB))
	$(Q)tools/build-newlib $(B)/newlib "$(KERNEL_CFLAGS_BASE)"
	$(Q)touch $@

$(B)/kernel/%.c.o: %.c $(NEWLIB_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@) && gcc $(KCFLAGS) -c $< -o $@

$(B)/kernel/%.S.o: %.S
	$(call say,AS,$<)
	$(Q)mkdir -p $(dir $@) && gcc $(KCFLAGS) -c $< -o $@

$(KERNEL): $(KOBJS) linker.ld $(NEWLIB_STAMP)
	$(call say,LD,$@)
	$(Q)gcc -nostdlib -static -no-pie -Wl,-T,linker.ld -Wl,-z,max-page-size=4096 \
		-Wl,--build-id=none -Wl,-z,noexecstack -o $@ $(KOBJS) $(NEWLIB)/lib/libc.a -lgcc

$(B)/KERNEL.ELF: $(KERNEL)
	$(call say,STRIP,$@)
	$(Q)objcopy --strip-debug $< $@

$(B)/boot/%.o: boot/%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@) && gcc $(LCFLAGS) -c $< -o $@

$(B)/loader.so: $(LOBJS)
	$(call say,LD,$@)
	$(Q)ld -shared -Bsymbolic -nostdlib -T /usr/lib/elf_x86_64_efi.lds /usr/lib/crt0-efi-x86_64.o \
		$(LOBJS) -o $@ -L/usr/lib -lgnuefi -lefi

$(LOADER): $(B)/loader.so
	$(call say,EFI,$@)
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

$(BOOT_IMG): $(LOADER) $(B)/KERNEL.ELF tools/mkimage
	$(call say,IMAGE,$@)
	$(Q)tools/mkimage $@ $(LOADER) $(B)/KERNEL.ELF

usb: $(LOADER) $(B)/KERNEL.ELF tools/mkimage
	$(call say,IMAGE,$(USB_IMG))
	$(Q)tools/mkimage $(USB_IMG) $(LOADER) $(B)/KERNEL.ELF $(CMDLINE)
	@echo "wrote $(USB_IMG): dd if=$(USB_IMG) of=/dev/sdX bs=4M conv=fsync"

$(B)/unit/%: tests/unit/%.c
	$(call say,HOSTCC,$@)
	$(Q)mkdir -p $(dir $@) && gcc $(HCFLAGS) $< $(UT_$*) -lcmocka -o $@
# a unit test is rebuilt when a source it links changes
.SECONDEXPANSION:
$(UNIT_BINS): $(B)/unit/%: $$(UT_$$*)

unit: $(UNIT_BINS)
	$(Q)tests/run --unit-only

# ---- microbenchmark: blk-mq submit+complete, instructions per I/O under callgrind ----
# Built -O2 like the kernel; not part of `make test`.
MB_SRCS := tools/microbench/blkbench.c blk/core.c blk/genhd.c blk/gpt.c lib/crc.c blk/tag_set.c blk/pool.c \
	blk/tag.c blk/cpumap.c
# every header they may include: with several sources in one gcc run, -MMD records only the last one's
MB_HDRS := $(wildcard blk/*.h drivers/*.h drivers/nvme/*.h kernel/*.h arch/x86_64/*.h lib/*.h tools/microbench/*.h \
	tests/unit/blk/*.h tests/unit/drivers/*.h)
$(B)/microbench/blkbench: $(MB_SRCS) $(MB_HDRS)
	$(call say,HOSTCC,$@)
	$(Q)mkdir -p $(dir $@) && gcc $(HCFLAGS) -O2 -DBLK_MICROBENCH $(MB_SRCS) -o $@

# the same through the NVMe driver against the fake controller (the host tests' stand-ins)
NB_SRCS := tools/microbench/nvmebench.c drivers/nvme/nvme.c drivers/nvme/prp.c tests/unit/drivers/fake_nvme.c \
	tests/unit/drivers/stub_nvme_env.c kernel/affinity.c blk/core.c blk/genhd.c blk/gpt.c lib/crc.c blk/tag_set.c \
	blk/pool.c blk/tag.c blk/cpumap.c tests/unit/blk/stub_env.c
$(B)/microbench/nvmebench: $(NB_SRCS) $(MB_HDRS)
	$(call say,HOSTCC,$@)
	$(Q)mkdir -p $(dir $@) && gcc $(HCFLAGS) -O2 -pthread -DHOST_TEST -DBLK_MICROBENCH $(NB_SRCS) -lcmocka -o $@

microbench: $(B)/microbench/blkbench $(B)/microbench/nvmebench
	$(Q)tools/microbench/run $(B)/microbench/blkbench $(B)/microbench/nvmebench $(B)/microbench/nvmebench:8

run: deps $(BOOT_IMG)
	$(Q)tools/run-qemu $(RUNFLAGS)

# our bench vs Linux + fio in the same QEMU machine; BENCHFLAGS go to tools/bench (--help)
bench: deps $(BOOT_IMG)
	$(Q)tools/deps bench
	$(Q)tools/bench $(BENCHFLAGS)

test: deps all
	$(Q)tests/run

clean:
	rm -rf $(B)/kernel $(B)/boot $(B)/unit $(B)/*.elf $(B)/*.ELF $(B)/*.EFI $(B)/*.so $(B)/*.img $(B)/tests

distclean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
