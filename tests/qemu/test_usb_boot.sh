#!/bin/bash
# The USB image (tools/mkimage, as `make usb` builds it) boots from a USB
# mass-storage device on an xHCI controller under OVMF.
. "$(dirname "$0")/lib.sh"
image_with "$ROOT/build/KERNEL.ELF" 'autorun="echo booted from usb; poweroff 5"'
sgdisk -p "$WORK/boot.img" | grep -q 'EF00' || fail "no EFI System Partition in the GPT"
boot --smp 2 --usb --image "$WORK/boot.img"
expect_code 5
expect_log '^booted from usb$'
pass
