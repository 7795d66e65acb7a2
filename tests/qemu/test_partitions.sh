#!/bin/bash
# GPT partitions on an NVMe namespace become block devices nvme0n1p1 and
# nvme0n1p2 with the right sizes; I/O is relative to each partition and stays
# inside it. (The backup-header path is covered by the host tests of
# blk/gpt.c: under OVMF it cannot be seen, as the firmware's partition driver
# rewrites a damaged primary GPT from the backup before the kernel starts.)
. "$(dirname "$0")/lib.sh"
command -v sgdisk > /dev/null || { echo "sgdisk missing"; exit 77; }
IMG=$WORK/gpt.img
rm -f "$IMG"; truncate -s 64M "$IMG"
sgdisk -n 1:2048:+16M -c 1:alpha -n 2:0:+8M -c 2:beta "$IMG" > /dev/null
boot --smp 2 --nvme "$IMG" --cmdline 'autorun="lsblk; write nvme0n1p2 0 1 0x42; read nvme0n1 34816 1; read nvme0n1p2 16384 1; echo st=$?; verify write nvme0n1p1 0 32768 3; verify read nvme0n1p1 0 32768 3; poweroff 0"'
expect_code 0
expect_no_log 'PANIC'
expect_log '^blk: nvme0n1: GPT with 2 partitions$'
expect_log '^`-nvme0n1p1 +16M +512 +512 part '
expect_log '^`-nvme0n1p2 +8M +512 +512 part '
# partition 2 starts at LBA 2048 + 32768 = 34816 of the disk
expect_log '^00000000  42 42 42 42 42 42 42 42  42 42 42 42 42 42 42 42  \|BBBBBBBBBBBBBBBB\|$'
expect_log '^read: nvme0n1p2: LBA 16384 \+ 1 blocks is beyond the end \(16384 blocks of 512 bytes\)$'
expect_log '^st=1$'
expect_log '^verify: read 32768 blocks of nvme0n1p1 .* 0 mismatching$'

pass
