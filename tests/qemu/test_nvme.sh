#!/bin/bash
# The NVMe driver against QEMU's controller, with QEMU tracing every protocol
# error (pci_nvme_err_*, pci_nvme_ub_*): a correct driver triggers none.
# Queue layouts (one per CPU; poll and write queues; fewer queues than
# CPUs), interrupts on the owning CPUs, two namespaces with 512- and
# 4096-byte blocks, a small MDTS splitting large I/O, a controller behind a
# PCIe root port beside one on the root bus, and data surviving a reboot.
. "$(dirname "$0")/lib.sh"
TRACE=(-trace 'pci_nvme_err_*' -trace 'pci_nvme_ub_*')
trace_clean() { ! grep -q 'pci_nvme_err_\|pci_nvme_ub_' "$WORK/run-qemu.err" || fail "QEMU traced: $(grep -m1 'pci_nvme_err_\|pci_nvme_ub_' "$WORK/run-qemu.err")"; }
ok_boot() { expect_code 0; expect_no_log 'PANIC|MISMATCH|not started'; trace_clean; }

# One queue pair and vector per CPU; each CPU's I/O interrupts its own CPU.
boot --smp 4 --cmdline 'autorun="lsblk; queues nvme0n1; iotest nvme0n1 --verify; irq; poweroff $?"' -- "${TRACE[@]}"
ok_boot
expect_log '^nvme0: QEMU NVMe Ctrl, serial nvme0, NVMe 1\.4, 1 namespace, max transfer 512 KiB$'
expect_log '^nvme0: 4/0/0 default/read/poll queues, shadow doorbells$'
expect_log '^nvme0n1 +1G +512 +512 disk 4/0/0 +write-cache,fua,discard,write-zeroes$'
expect_log '^iotest: nvme0n1: 64 of 64 I/O pairs ok .*data verified\)$'
for i in 0 1 2 3; do
	expect_log "^hctx $i +default cpus $i +ctxs 1 +depth 255 .* on CPU $i\)"
	# nvme0q(i+1) is managed on CPU i and took its interrupts there (column i, counted > 0)
	cols=$(printf ' +-' ; for ((k = 0; k < 4; k++)); do [ $k = $i ] && printf ' +[1-9][0-9]*' || printf ' +-'; done)
	expect_log "^[0-9]+ +0x[0-9a-f]+${cols# +-} +nvme0q$((i + 1)) +$i managed$"
done

# Linux's poll_queues and write_queues: 8 queues = 2 default (writes) + 4 read + 2 poll.
boot --smp 4 --cmdline 'nvme.poll_queues=2 nvme.write_queues=2 autorun="queues nvme0n1; iotest nvme0n1 --verify; poweroff $?"' -- "${TRACE[@]}"
ok_boot
expect_log '^nvme0: 2/4/2 default/read/poll queues, shadow doorbells$'
expect_log '^map read +\(4 queues from 2\): cpu0->hctx2 cpu1->hctx3 cpu2->hctx4 cpu3->hctx5$'
expect_log '^map poll +\(2 queues from 6\)'
expect_log '^hctx 6 +poll .* polled '
expect_log '^iotest: nvme0n1: 64 of 64 I/O pairs ok .*data verified\)$'

# Fewer queues than CPUs (max_ioqpairs=2 on 4 CPUs), and MDTS 2 (16 KiB).
boot --smp 4 --nvme "$WORK/nvme.img,max_ioqpairs=2,mdts=2" \
	--cmdline 'autorun="queues nvme0n1; iotest nvme0n1 --verify; read nvme0n1 0 128; blkstat nvme0n1; poweroff $?"' -- "${TRACE[@]}"
ok_boot
expect_log '^nvme0: .* max transfer 16 KiB$'
expect_log '^nvme0: 2/0/0 default/read/poll queues, shadow doorbells$'
expect_log '^map default \(2 queues from 0\): cpu0->hctx0 cpu1->hctx0 cpu2->hctx1 cpu3->hctx1$'
expect_log '^iotest: nvme0n1: 64 of 64 I/O pairs ok .*data verified\)$'
expect_log '^00010000$' # the 64 KiB read arrived whole (as 4 requests of 16 KiB)

# An NVM subsystem with two namespaces (512 and 4096-byte blocks) on a
# second controller behind a PCIe root port.
for f in ns1 ns2; do [ -f "$WORK/$f.img" ] || truncate -s 64M "$WORK/$f.img"; done
boot --smp 2 --cmdline 'autorun="lsblk; iotest nvme0n1 --verify; iotest nvme1n1 --verify; iotest nvme1n2 --verify; poweroff $?"' -- "${TRACE[@]}" \
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1 \
	-device nvme-subsys,id=subsys0 -device nvme,bus=rp1,serial=sub0,subsys=subsys0 \
	-drive if=none,id=ns1,format=raw,file="$WORK/ns1.img" -device nvme-ns,drive=ns1,nsid=1 \
	-drive if=none,id=ns2,format=raw,file="$WORK/ns2.img" \
	-device nvme-ns,drive=ns2,nsid=2,logical_block_size=4096,physical_block_size=4096
ok_boot
expect_log '^nvme1: .* 2 namespaces'
expect_log '^nvme1n1 +64M +512 +512 disk'
expect_log '^nvme1n2 +64M +4096 +4096 disk'
for d in nvme0n1 nvme1n1 nvme1n2; do
	expect_log "^iotest: $d: 32 of 32 I/O pairs ok .*data verified\)$"
done

# Written in one boot, read back in the next.
boot --smp 2 --cmdline 'autorun="write nvme0n1 1000 8 0x77; poweroff 0"' -- "${TRACE[@]}"
ok_boot
boot --smp 2 --cmdline 'autorun="read nvme0n1 1000 8; poweroff 0"' -- "${TRACE[@]}"
ok_boot
expect_log '^00000000  77 77 77 77 77 77 77 77  77 77 77 77 77 77 77 77  \|wwwwwwwwwwwwwwww\|$'
expect_log '^00001000$'
# The verify pattern, written from every CPU, checked in the kernel and, word
# by word, in the image file on the host: splitmix64(SEED + g) at word g.
boot --smp 4 --cmdline 'autorun="verify write nvme0n1 2048 4096 7; verify read nvme0n1 2048 4096 7; verify read nvme0n1 2048 4096 8; poweroff 0"' -- "${TRACE[@]}"
expect_code 0
trace_clean
expect_log '^verify: wrote 4096 blocks of nvme0n1 \(2048 KiB\) from 4 CPUs'
expect_log '^verify: read 4096 blocks of nvme0n1 \(2048 KiB\) from 4 CPUs .* 0 mismatching$'
expect_log '^verify: read 4096 blocks .* 4096 mismatching, first at LBA 2048$'
python3 - "$WORK/nvme.img" <<'PY' || fail "the image does not hold the verify pattern"
import struct, sys
M = (1 << 64) - 1
def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)
with open(sys.argv[1], "rb") as f:
    f.seek(2048 * 512)
    data = f.read(4096 * 512)
words = struct.unpack("<%dQ" % (len(data) // 8), data)
g0 = 2048 * 512 // 8
bad = [i for i, w in enumerate(words) if w != splitmix64(7 + g0 + i)]
sys.exit(1 if bad or len(words) != 4096 * 64 else 0)
PY
# A controller reset in the middle of writing and of reading the whole disk
# (1 GiB from 4 CPUs): nothing lost, nothing corrupted. Then doorbells per
# I/O with shadow doorbells and without.
boot --smp 4 --cmdline 'autorun="nvme reset nvme0 --after 300; verify write nvme0n1 0 2097152 11; nvme reset nvme0 --after 200; verify read nvme0n1 0 2097152 11; nvme stats nvme0; poweroff $?"' -- "${TRACE[@]}"
ok_boot
expect_log '^nvme0: reset scheduled in 300 ms$'
[ "$(grep -c '^nvme0: reset done, 4 queues restored$' "$LOG")" = 2 ] || fail "expected two resets"
expect_log '^verify: read 2097152 blocks of nvme0n1 .* 0 mismatching$'
expect_log '^nvme0: 4/0/0 default/read/poll I/O queues, resets 2, async event requests outstanding [1-4]$'
expect_log '^nvme0: shadow doorbells: [0-9]+ updates in memory, [0-9]+ MMIO doorbell writes, [0-9]+ stall kicks$'
boot --smp 4 --cmdline 'nvme.shadow_doorbells=0 autorun="verify write nvme0n1 0 262144 12; verify read nvme0n1 0 262144 12; poweroff $?"' -- "${TRACE[@]}"
ok_boot
expect_log '^nvme0: 4/0/0 default/read/poll queues$'
expect_log '^verify: read 262144 blocks of nvme0n1 .* 0 mismatching$'
# MMIO doorbell writes per I/O with shadow doorbells and without, with the
# device kept busy (iodepth 32 on two CPUs): where EventIdx saves them. At
# low depth the device is often idle when a command comes, and then every
# doorbell needs its MMIO write either way.
doorbells_per_io() { # CMDLINE_KEYS: sets db
	boot --smp 2 --cmdline "$1 autorun=\"bench nvme0n1 --rw=randread --iodepth=32 --runtime=2; nvme stats nvme0; poweroff \$?\"" -- "${TRACE[@]}"
	ok_boot
	db=$(grep -aoE '^nvme0: I/O queues: .* ([0-9.]+) doorbells/IO' "$LOG" | grep -oE '[0-9.]+ doorbells' | cut -d' ' -f1)
	[ -n "$db" ] || fail "no doorbells/IO in nvme stats"
}
doorbells_per_io ""
shadow_db=$db
doorbells_per_io nvme.shadow_doorbells=0
mmio_db=$db
echo "doorbells per I/O: $shadow_db with shadow doorbells, $mmio_db without" > "$WORK/doorbells.txt"
python3 -c "import sys; sys.exit(0 if float('$shadow_db') < float('$mmio_db') else 1)" ||
	fail "shadow doorbells did not save MMIO writes ($shadow_db vs $mmio_db per I/O)"
# A reset while the only CPU polls (bench --hipri with one CPU never goes
# idle, where deferred work runs): it runs between polls, during the run,
# and the run loses nothing.
boot --smp 1 --cmdline 'nvme.poll_queues=1 autorun="nvme reset nvme0 --after 500; bench nvme0n1 --rw=randread --iodepth=8 --runtime=3 --hipri; poweroff $?"' -- "${TRACE[@]}"
ok_boot
reset_at=$(grep -aEnm1 '^nvme0: reset done, [0-9]+ queues restored$' "$LOG" | cut -d: -f1)
bench_at=$(grep -anm1 '^bench: dev=nvme0n1 rw=randread' "$LOG" | cut -d: -f1)
[ -n "$reset_at" ] && [ -n "$bench_at" ] && [ "$reset_at" -lt "$bench_at" ] ||
	fail "the reset did not run during the polled bench (reset at line ${reset_at:-none}, summary at ${bench_at:-none})"
expect_log '^  interrupts/IO=[0-9.]+, cycles/IO=[0-9]+, errors=0($|,)'
# A media error injected below the controller (QEMU's blkdebug, EIO on reads
# at sector 4096) reaches the reader as an error, never as data.
[ -f "$WORK/bd.img" ] || truncate -s 64M "$WORK/bd.img"
printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "4096"\nonce = "off"\n' > "$WORK/blkdebug.cfg"
boot --smp 2 --nvme none --cmdline 'autorun="read nvme0n1 4096 8; echo st=$?; verify read nvme0n1 4000 200 1; echo st=$?; blkstat nvme0n1; poweroff 0"' -- \
	-drive if=none,id=bd,format=raw,file="blkdebug:$WORK/blkdebug.cfg:$WORK/bd.img" -device nvme,serial=bd0,drive=bd
expect_code 0
expect_no_log 'PANIC'
expect_log '^nvme0: q[0-9]+: read of 4096 bytes at sector 4096 failed: status type 2 code 0x81'
expect_log '^read: nvme0n1: I/O error -5$'
expect_log '^verify: 1 I/O errors$'
[ "$(grep -c '^st=1$' "$LOG")" = 2 ] || fail "a read over the injected error did not fail"
expect_log '^  merges [0-9]+, errors 2, '
pass
