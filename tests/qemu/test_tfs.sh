#!/bin/bash
# tfs in the kernel: the shell's file commands and newlib's stdio on a tfs
# mounted from NVMe, checked against the host tools (build/tools/) on the
# same image both ways; refusals with their reasons; the POSIX calls beyond
# stdio's (truncate, ftruncate, 64-bit lseek) and the two forms of write.
# The SIGKILL crash test is test_tfs_crash.sh, fsbench test_tfs_bench.sh.
. "$(dirname "$0")/lib.sh"
TOOLS=$ROOT/build/tools
IMG=$WORK/nvme.img
fresh_image() { rm -f "$IMG"; truncate -s 256M "$IMG"; }
ok_boot() { expect_code 0; expect_no_log 'PANIC|not started'; }

# (a) Made and written in the kernel, read on the host. write and cat go
# through stdio (fopen/fprintf/fread) to the newlib file syscalls.
fresh_image
boot --cmdline 'autorun="mkfs nvme0n1; mount nvme0n1; mkdir /d; write /d/a hello; cp /d/a /d/b; mv /d/b /c; ls -l /; cat /c; stat /c; df; umount; fsck nvme0n1; poweroff $?"'
ok_boot
expect_log '^mkfs: nvme0n1: tfs, 65536 blocks of 4096 bytes$'
expect_log '^mount: nvme0n1 on /$'
expect_log '^d +4096 d/$'
expect_log '^- +6 c$'
expect_log '^hello$'
expect_log '^/c: file, 6 bytes, 1 blocks'
expect_log '^nvme0n1 +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ /$'
expect_log '^umount: nvme0n1 unmounted$'
expect_log '^fsck: nvme0n1: clean \(status 0\)$'
"$TOOLS/fsck.tfs" -n "$IMG" > "$WORK/fsck.out" 2>&1 || fail "fsck.tfs -n after the kernel's writes: status $?: $(tail -n 1 "$WORK/fsck.out")"
[ "$("$TOOLS/tfs" "$IMG" cat /c)" = hello ] || fail "tfs cat /c on the host: '$("$TOOLS/tfs" "$IMG" cat /c 2>&1)', expected hello"
[ "$("$TOOLS/tfs" "$IMG" cat /d/a)" = hello ] || fail "tfs cat /d/a on the host is not hello"
! "$TOOLS/tfs" "$IMG" cat /d/b > /dev/null 2>&1 || fail "/d/b still exists after mv"

# (b) Made and filled on the host, read in the kernel: 300 KiB of random
# bytes (several extents' worth of bios) and a small text file, at a mount
# point other than /; the kernel's fsck finds it clean.
fresh_image
"$TOOLS/mkfs.tfs" "$IMG" > /dev/null || fail "mkfs.tfs failed"
head -c 307200 /dev/urandom > "$WORK/big"
printf 'from the host\n' > "$WORK/small"
"$TOOLS/tfs" "$IMG" mkdir /in > /dev/null && "$TOOLS/tfs" "$IMG" put "$WORK/big" /in/big > /dev/null &&
	"$TOOLS/tfs" "$IMG" put "$WORK/small" /small > /dev/null || fail "tfs put failed"
want=$(python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read(); print("%08x %d" % (zlib.crc32(d), len(d)))' "$WORK/big")
boot --cmdline 'autorun="fsck -n nvme0n1; mount nvme0n1 /mnt; ls -l /mnt/in; cksum /mnt/in/big; cat /mnt/small; umount; poweroff $?"'
ok_boot
expect_log '^fsck: nvme0n1: clean \(status 0\)$'
expect_log '^mount: nvme0n1 on /mnt$'
expect_log '^- +307200 big$'
expect_log "^$want /mnt/in/big\$"
expect_log '^from the host$'

# (c) Bad input: each refused with its reason and status 1 (2 for usage).
fresh_image
boot --cmdline 'autorun="mount nvme0n1; echo s=$?; mount nullb1; echo s=$?; mkfs nvme0n1; mount nvme0n1; mkdir /d; write /d/f x; cat /nope; echo s=$?; rmdir /d; echo s=$?; rm /d; echo s=$?; mount nvme0n1; echo s=$?; mkfs nvme0n1; echo s=$?; ls /mnt/x; echo s=$?; cat; echo s=$?; umount; ls /; echo s=$?; poweroff 0"'
ok_boot
expect_log '^mount: nvme0n1: cannot mount: superblock: .*not a tfs file system'
expect_log '^mount: nullb1: cannot mount: .+'
expect_log '^cat: /nope: No such file or directory$'
expect_log '^rmdir: /d: Directory not empty$'
expect_log '^rm: /d: Is a directory$'
expect_log '^mount: nvme0n1: nvme0n1 is already mounted on / '
expect_log '^mkfs: nvme0n1: in use: nvme0n1 is mounted on / \(umount first\)$'
expect_log '^usage: cat '
expect_log '^ls: /: no file system mounted'
[ "$(grep -c '^s=1$' "$LOG")" -ge 8 ] || fail "expected status 1 from 8 refusals: $(grep '^s=' "$LOG" | tr '\n' ' ')"
expect_log '^s=2$'
"$TOOLS/fsck.tfs" -n "$IMG" > /dev/null 2>&1 || fail "fsck.tfs -n after the refusals: status $?"

# (d) On a GPT partition (the block layer adds the offset): made on the host
# as IMAGE@p2, written in the kernel, read back on the host; the whole disk
# under it cannot be mkfs'd while it is mounted.
if command -v sgdisk > /dev/null; then
	fresh_image
	sgdisk -n 1:2048:+16M -n 2:0:+32M "$IMG" > /dev/null || fail "sgdisk failed"
	"$TOOLS/mkfs.tfs" "$IMG@p2" > /dev/null && "$TOOLS/tfs" "$IMG@p2" put "$WORK/small" /s > /dev/null ||
		fail "mkfs.tfs/tfs put on p2 failed"
	boot --cmdline 'autorun="mount nvme0n1p2 /p; cat /p/s; write /p/t from kernel; mkfs nvme0n1; umount; poweroff $?"'
	ok_boot
	expect_log '^mount: nvme0n1p2 on /p$'
	expect_log '^from the host$'
	expect_log '^mkfs: nvme0n1: in use: nvme0n1p2 is mounted on /p \(umount first\)$'
	"$TOOLS/fsck.tfs" -n "$IMG@p2" > /dev/null 2>&1 || fail "fsck.tfs -n on p2: status $?"
	[ "$("$TOOLS/tfs" "$IMG@p2" cat /t)" = "from kernel" ] || fail "tfs cat /t on p2 is not 'from kernel'"
	sgdisk -v "$IMG" | grep -q 'No problems found' || fail "the GPT was damaged: $(sgdisk -v "$IMG" | head -n 3)"
fi

# (e) truncate goes through truncate(), or open + ftruncate for a new file,
# and reports lseek(SEEK_END): 5 GiB (a hole) needs 64-bit offsets all the
# way. write: a block device's name is the raw form, a path the file form,
# anything else is refused; each form's usage error names that form.
fresh_image
boot --cmdline 'autorun="mkfs nvme0n1; mount nvme0n1; truncate /t 5g; stat /t; truncate /t 3000; write /w hi there; truncate /w 2; cksum /w; truncate /nodir/u 1; echo s=$?; truncate /t x; echo s=$?; write nullb1 8 1 0x41; echo s=$?; read nullb1 8 1; write nullb1 0 1; echo s=$?; write nvme9n1 0 1 2; echo s=$?; write /w; echo s=$?; ls /; umount; poweroff $?"'
ok_boot
expect_log '^truncate: /t: 5368709120 bytes$'
expect_log '^/t: file, 5368709120 bytes, 0 blocks'
expect_log '^truncate: /t: 3000 bytes$'
expect_log '^truncate: /w: 2 bytes$'
expect_log '^d8932aac 2 /w$'
expect_log '^truncate: /nodir/u: No such file or directory$'
expect_log '^usage: truncate FILE SIZE$'
expect_log '^wrote 512 bytes at sector 8 of nullb1$'
expect_log '^00000000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  \|AAAAAAAAAAAAAAAA\|$'
expect_log '^write: nvme9n1: no such block device, and not a file path \(paths start with /\)$'
[ "$(grep -c '^usage: write DEV LBA COUNT PATTERN' "$LOG")" = 2 ] || fail "the raw form's usage is not shown twice"
[ "$(grep -c '^usage: write FILE TEXT' "$LOG")" = 1 ] || fail "the file form's usage is not shown once"
[ "$(grep '^s=' "$LOG" | tr '\n' ' ')" = "s=1 s=2 s=0 s=2 s=1 s=2 " ] || fail "statuses: $(grep '^s=' "$LOG" | tr '\n' ' ')"
expect_no_log '^nvme9n1$'
"$TOOLS/fsck.tfs" -n "$IMG" > /dev/null 2>&1 || fail "fsck.tfs -n after truncate: status $?"
[ "$("$TOOLS/tfs" "$IMG" cat /w)" = hi ] || fail "tfs cat /w on the host is not hi"
pass
