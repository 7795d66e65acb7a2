#!/bin/bash
# fsbench on nvme0n1 and nullb1 (RAM-backed): three result lines each, well
# formed, raw and tfs figures side by side; the file system it leaves on
# nvme0n1 passes the host's fsck.tfs; bad options and a mounted file system
# are refused. No speed is asserted.
. "$(dirname "$0")/lib.sh"
TOOLS=$ROOT/build/tools
IMG=$WORK/nvme.img
rm -f "$IMG"
truncate -s 256M "$IMG"
NUM='[0-9]+\.[0-9]{2}'
RATIO='[0-9]+\.[0-9]{3}'
LINE_SEQ="^fsbench: dev=(nvme0n1|nullb1) test=seq-(write|read) bytes=16777216 bs=1048576 raw_mib_s=$NUM tfs_mib_s=$NUM ratio=$RATIO\$"
LINE_SMALL="^fsbench: dev=(nvme0n1|nullb1) test=create-fsync files=300 file_size=4096 raw_ops_s=$NUM tfs_ops_s=$NUM ratio=$RATIO\$"

opts='--size=16m --files=300'
boot --cmdline "nullb.mem_mb=64 autorun=\"fsbench nvme0n1 $opts; echo st=\$?; fsbench nullb1 $opts; echo st=\$?; fsbench nullb1 --bs=3k; echo st=\$?; fsbench nullb1 --size=3m --bs=2m; echo st=\$?; fsbench nullb1 --speed=1; echo st=\$?; fsbench nvme9n1; echo st=\$?; fsbench nullb1 --size=1g; echo st=\$?; mount nvme0n1; fsbench nullb1; echo st=\$?; umount; poweroff 0\""
expect_code 0
expect_no_log 'PANIC|^fsbench: .*failed'
for dev in nvme0n1 nullb1; do
	for t in seq-write seq-read; do
		[ "$(grep -E "$LINE_SEQ" "$LOG" | grep -c "dev=$dev test=$t ")" = 1 ] || fail "no well-formed $t line for $dev"
	done
	[ "$(grep -E "$LINE_SMALL" "$LOG" | grep -c "dev=$dev ")" = 1 ] || fail "no well-formed create-fsync line for $dev"
done
[ "$(grep -c '^fsbench: dev=' "$LOG")" = 6 ] || fail "expected 6 result lines, got $(grep -c '^fsbench: dev=' "$LOG")"
# The figures are positive: every rate has a non-zero digit.
! grep -E '^fsbench: dev=' "$LOG" | grep -qE '_s=0\.00 ' || fail "a zero rate: $(grep -E '_s=0\.00 ' "$LOG" | head -n 1)"
expect_log '^fsbench: bad --bs \(a multiple of 4k, up to 4m\)$'
expect_log '^fsbench: bad --size \(a multiple of --bs\)$'
expect_log "^fsbench: unknown option '--speed=1'"
expect_log '^fsbench: nvme9n1: no such block device'
expect_log '^fsbench: nullb1: too small for --size and --files'
expect_log '^fsbench: nullb1: a file system is mounted'
sts=$(grep '^st=' "$LOG" | tr '\n' ' ')
[ "$sts" = "st=0 st=0 st=2 st=2 st=2 st=1 st=1 st=1 " ] || fail "statuses: $sts"
"$TOOLS/fsck.tfs" -n "$IMG" > "$WORK/fsck.out" 2>&1 || fail "fsck.tfs -n after fsbench: status $?: $(tail -n 1 "$WORK/fsck.out")"
[ "$("$TOOLS/tfs" "$IMG" ls /s | wc -l)" = 300 ] || fail "fsbench's 300 small files are not all on nvme0n1"
pass
