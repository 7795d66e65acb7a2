#!/bin/bash
# The loader refuses a corrupt or missing KERNEL.ELF with a message on the
# console and returns to the firmware instead of jumping into it.
. "$(dirname "$0")/lib.sh"
cp "$ROOT/build/KERNEL.ELF" "$WORK/bad.elf"
printf 'XXXX' | dd of="$WORK/bad.elf" conv=notrunc status=none # clobber the ELF magic
image_with "$WORK/bad.elf"
boot_until 'KERNEL.ELF rejected' --smp 1 --image "$WORK/boot.img"
expect_log 'loader: \\EFI\\BOOT\\KERNEL.ELF rejected: not an ELF file \(bad magic\)'
expect_no_log 'kernel entered'
head -c 3000 "$ROOT/build/KERNEL.ELF" > "$WORK/short.elf" # headers promise more than the file has
image_with "$WORK/short.elf"
boot_until 'KERNEL.ELF rejected' --smp 1 --image "$WORK/boot.img"
expect_log 'KERNEL.ELF rejected: (program headers|segment data) outside the file'
expect_no_log 'kernel entered'
pass
