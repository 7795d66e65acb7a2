#!/bin/bash
# bench on nullb0 and nvme0n1 in every mode: the summary line is there and
# well formed, the JSON output parses with fio's layout, --verify catches a
# block corrupted on the host between two boots, bad options fail clearly.
# No speed is asserted.
. "$(dirname "$0")/lib.sh"
SUMMARY='^bench: dev=[a-z0-9]+ rw=[a-z]+ bs=[0-9]+ iodepth=[0-9]+ cpus=[0-9]+ runtime_ms=[0-9]+ ios=[1-9][0-9]* iops=[0-9]+ mib_s=[0-9]+ lat_us_p50=[0-9]+ lat_us_p99=[0-9]+ lat_us_p999=[0-9]+ lat_us_max=[0-9]+ cycles_per_io=[0-9]+$'
cmds=""
for dev in nullb0 nvme0n1; do
	for rw in read write randread randwrite randrw; do
		cmds="$cmds bench $dev --rw=$rw --runtime=1 --iodepth=4 --bs=4k;"
	done
	cmds="$cmds bench $dev --rw=randread --hipri --iodepth=2 --size=1m --cpus=1;"
done
boot --smp 2 --cmdline "nvme.poll_queues=1 nullb.poll_queues=1 autorun=\"$cmds bench nvme0n1 --rw=read --bs=128k --size=4m --output-format=json; bench nullb0 --output-format=terse --runtime=1; poweroff 0\""
expect_code 0
expect_no_log 'PANIC|errors=[1-9]'
[ "$(grep -cE "$SUMMARY" "$LOG")" = 14 ] || fail "expected 14 summary lines, got $(grep -cE "$SUMMARY" "$LOG")"
for dev in nullb0 nvme0n1; do
	for rw in read write randread randwrite randrw; do
		expect_log "^bench: dev=$dev rw=$rw bs=4096 iodepth=4 cpus=2 "
	done
	expect_log "^bench: dev=$dev rw=randread bs=4096 iodepth=2 cpus=1 .* ios=256 "
done
# with --runtime, rates are over that window (fio's time_based): runtime_ms is exact
expect_log "^bench: dev=nullb0 rw=randread bs=4096 iodepth=4 cpus=2 runtime_ms=1000 "
expect_log '^\[r=[0-9]+k? IOPS, [0-9.]+ MiB/s\]\[eta 00m:0[01]s\]$'
expect_log '^  read: IOPS=[0-9]+, BW=[0-9]+KiB/s'
expect_log '^     \|   1.00th=\[ *[0-9]+\],   5.00th=\[ *[0-9]+\],  10.00th=\[ *[0-9]+\],  50.00th=\[ *[0-9]+\],$'
expect_log '^  cpu 1: IOPS=[0-9]+, busy [0-9]+%$'
expect_log '^3;nvmekern-bench;nullb0;read;randread;4096;1;[1-9][0-9]*;'
python3 - "$LOG" <<'PY' || fail "the JSON output does not parse as fio's layout"
import json, sys
text = open(sys.argv[1], errors="replace").read().replace("\r", "")
start = text.index("{\n  \"fio version\"")
doc, _ = json.JSONDecoder().raw_decode(text[start:])
job = doc["jobs"][0]
assert job["read"]["total_ios"] == 32 and job["read"]["io_bytes"] == 4 << 20
assert job["read"]["iops"] > 0 and job["read"]["bw"] > 0
p = job["read"]["clat_ns"]["percentile"]
assert set(p) >= {"1.000000", "50.000000", "99.000000", "99.990000"}
assert job["read"]["clat_ns"]["min"] <= p["50.000000"] <= job["read"]["clat_ns"]["max"]
PY

# --verify: write the pattern, corrupt one block of the image on the host,
# then a verifying read reports it and fails.
boot --smp 2 --cmdline 'autorun="bench nvme0n1 --rw=write --verify --size=1m --bs=64k; poweroff $?"'
expect_code 0
expect_log '^  interrupts/IO=.*, verify ok$'
printf 'CORRUPT!' | dd of="$WORK/nvme.img" bs=1 seek=$((300 * 512)) conv=notrunc status=none
boot --smp 2 --cmdline 'autorun="bench nvme0n1 --rw=read --verify --size=1m --bs=64k; echo st=$?; bench nvme0n1 --rw=sideways; echo st=$?; bench nvme0n1 --bs=3000; echo st=$?; bench nvme0n1 --iodepth=0; echo st=$?; bench nvme0n1 --cpus=7; echo st=$?; bench nvme0n1 --runtime=1 --size=1m; echo st=$?; bench nvme9n1; echo st=$?; bench nullb0 --hipri; echo st=$?; poweroff 0"'
expect_code 0
expect_log '^bench: verify: mismatch in the block at LBA 256 \(CPU [01]\)$'
expect_log 'verify FAILED$'
expect_log "^bench: bad --rw 'sideways'"
expect_log "^bench: bad --bs \(512 bytes to 1 MiB, a multiple of 512\) '3000'"
expect_log "^bench: bad --iodepth \(1-256\) '0'"
expect_log "^bench: bad --cpus"
expect_log '^bench: give --runtime or --size, not both$'
expect_log '^bench: nvme9n1: no such block device'
expect_log "^bench: bad --hipri: no poll queues on 'nullb0'"
[ "$(grep -c '^st=' "$LOG")" = 8 ] && [ "$(grep -c '^st=0$' "$LOG")" = 0 ] || fail "a bad bench run did not fail: $(grep '^st=' "$LOG" | tr '\n' ' ')"
pass
