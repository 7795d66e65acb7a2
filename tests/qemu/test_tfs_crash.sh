#!/bin/bash
# tfs survives SIGKILL: the kernel writes and fsyncs files (fsfill write),
# printing a line per file once its fsync returned; when enough lines are in
# the serial log, QEMU is killed with SIGKILL in the middle of the workload.
# The journal's committed transaction then has its checkpoint wiped on the
# host (the home blocks it rewrites are zeroed: the checkpoint writes are not
# flushed before the next commit, so a power cut may lose them; zeroes make
# the loss certain and total), so only the journal replay at the next mount
# can bring the metadata back. The second boot mounts (replays), checks every
# file reported synced byte for byte (fsfill check), and unmounts; then the
# host's fsck.tfs -n is clean and tfs get returns each synced file's size
# and CRC as the kernel printed it before the kill.
. "$(dirname "$0")/lib.sh"
TOOLS=$ROOT/build/tools
IMG=$WORK/nvme.img
COUNT=2000      # more files than the workload writes before the kill
SYNCED_RE='^fsfill: synced /c/f[0-9]{5} size=[0-9]+ crc=[0-9a-f]{8}$'

# boot_and_kill N SEED: boots the workload in the background, waits (up to
# $TIMEOUT s) for N synced lines in the log, then SIGKILLs that QEMU.
boot_and_kill() {
	local want=$1 seed=$2 pid qpid=
	: > "$LOG"
	"$ROOT/tools/run-qemu" --batch --timeout "$TIMEOUT" --log "$LOG" --nvme "$IMG" \
		--cmdline "autorun=\"mount nvme0n1; mkdir /c; fsfill write /c $COUNT $seed; echo fsfill-done; poweroff 0\"" \
		> /dev/null 2> "$WORK/run-qemu.err" &
	pid=$!
	while kill -0 $pid 2> /dev/null; do
		if [ "$(grep -cE "$SYNCED_RE" "$LOG")" -ge "$want" ]; then
			qpid=$(pgrep -f "^qemu-system-x86_64 .*file=$IMG ") && kill -9 $qpid
			break
		fi
		sleep 0.2
	done
	wait $pid
	[ -n "$qpid" ] || fail "QEMU ended before $want files were synced: $(grep -cE "$SYNCED_RE" "$LOG") lines, last: $(tail -n 1 "$LOG")"
	! grep -q '^fsfill-done' "$LOG" || fail "the workload finished before the kill"
	expect_no_log 'PANIC|^fsfill: /c/'
}

# uncheckpoint IMAGE: if the journal holds a committed transaction, zero the
# home blocks of its images and print how many; print 0 otherwise.
uncheckpoint() {
	python3 - "$1" <<'PY'
import struct, sys
BS = 4096
def crc32c(data, crc=0):
    t = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)
def zero_crc(block, off):
    return block[:off] + b"\0\0\0\0" + block[off + 4:]
f = open(sys.argv[1], "r+b")
def blk(n):
    f.seek(n * BS)
    return f.read(BS)
sb = blk(0)
jstart, = struct.unpack_from("<Q", sb, 64)
desc = blk(jstart)
magic, dcrc, seq, count = struct.unpack_from("<IIQI", desc, 0)
if magic != 0x4353444A or dcrc != crc32c(zero_crc(desc, 4)) or not 1 <= count <= 509:
    print(0); sys.exit()
commit = blk(jstart + 1 + count)[:64]
cmagic, ccrc, cseq, ccount, icrc = struct.unpack_from("<IIQII", commit, 0)
if cmagic != 0x4D4D434A or ccrc != crc32c(zero_crc(commit, 4)) or (cseq, ccount) != (seq, count):
    print(0); sys.exit()
c = crc32c(desc)
for i in range(count):
    c = crc32c(blk(jstart + 1 + i), c)
if c != icrc:
    print(0); sys.exit()
for t in struct.unpack_from("<%dQ" % count, desc, 24):
    f.seek(t * BS)
    f.write(b"\0" * BS)
print(count)
PY
}

rm -f "$IMG"
truncate -s 256M "$IMG"
"$TOOLS/mkfs.tfs" "$IMG" > /dev/null || fail "mkfs.tfs failed"

# The kill lands anywhere in a file's write, fsync or the next file's start;
# while a new transaction is being written to the journal there is none
# committed to wipe: then the crash is tried again a little later.
seed=$((RANDOM % 1000 + 1))
for attempt in 1 2 3 4 5; do
	cp --sparse=always "$IMG" "$WORK/before.img"
	boot_and_kill $((20 + attempt * 7)) $seed
	wiped=$(uncheckpoint "$IMG") || fail "reading the journal failed"
	[ "$wiped" != 0 ] && break
	echo "attempt $attempt: no committed transaction in the journal at the kill; again"
	cp --sparse=always "$WORK/before.img" "$IMG"
done
[ "$wiped" != 0 ] || fail "no committed transaction in the journal after 5 kills"
grep -E "$SYNCED_RE" "$LOG" > "$WORK/synced.txt"
n=$(wc -l < "$WORK/synced.txt")
echo "killed after $n synced files (seed $seed); wiped $wiped home blocks of the committed transaction"
cp "$LOG" "$WORK/serial-kill.log"

# Second boot: mount replays; every synced file is there, byte for byte.
boot --cmdline "autorun=\"mount nvme0n1; fsfill check /c $n $seed; echo check=\$?; umount; poweroff \$?\""
expect_code 0
expect_no_log 'PANIC'
expect_log '^mount: nvme0n1 on /$'
expect_log "^fsfill: check: $n of $n files intact\$"
expect_log '^check=0$'
expect_log '^umount: nvme0n1 unmounted$'

# On the host: clean, and the same bytes.
"$TOOLS/fsck.tfs" -n "$IMG" > "$WORK/fsck.out" 2>&1 || fail "fsck.tfs -n after replay: status $?: $(tail -n 1 "$WORK/fsck.out")"
python3 - "$TOOLS/tfs" "$IMG" "$WORK/synced.txt" <<'PY' || fail "a synced file differs on the host"
import re, subprocess, sys, zlib
tfs, img, synced = sys.argv[1:4]
for line in open(synced):
    path, size, crc = re.match(r"fsfill: synced (\S+) size=(\d+) crc=([0-9a-f]{8})$", line.strip()).groups()
    data = subprocess.run([tfs, img, "cat", path], capture_output=True, check=True).stdout
    if len(data) != int(size) or "%08x" % zlib.crc32(data) != crc:
        sys.exit("%s: %d bytes crc %08x, synced as %s bytes crc %s" % (path, len(data), zlib.crc32(data), size, crc))
PY
pass
