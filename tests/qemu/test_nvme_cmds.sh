#!/bin/bash
# The nvme-cli-like `nvme` shell command against QEMU's controller, with QEMU
# tracing every protocol error (pci_nvme_err_*, pci_nvme_ub_*): list, the
# Identify pages, the SMART and error logs (the SMART write counter moves
# after the writes of iotest), the per-queue counters, a reset with I/O
# still correct after it, and the error paths (no such device: status 1;
# bad usage: status 2).
. "$(dirname "$0")/lib.sh"
TRACE=(-trace 'pci_nvme_err_*' -trace 'pci_nvme_ub_*')
trace_clean() { ! grep -q 'pci_nvme_err_\|pci_nvme_ub_' "$WORK/run-qemu.err" || fail "QEMU traced: $(grep -m1 'pci_nvme_err_\|pci_nvme_ub_' "$WORK/run-qemu.err")"; }

boot --smp 2 --cmdline 'autorun="nvme list; nvme id-ctrl nvme0; nvme id-ns nvme0n1; nvme smart-log nvme0; nvme error-log nvme0; iotest nvme0n1 --verify; nvme smart-log nvme0n1; nvme stats nvme0; nvme id-ns nvme9n1; echo st=$?; nvme id-ns nvme0; echo st=$?; nvme bogus; echo st=$?; nvme smart-log; echo st=$?; nvme reset nvme0; echo st=$?; iotest nvme0n1 --verify; nvme stats nvme0; poweroff 0"' -- "${TRACE[@]}"
expect_code 0
expect_no_log 'PANIC|MISMATCH|not started|nvme.*(failed|timed out)'
trace_clean

# nvme list: one row per namespace (the run-qemu image: 1 GiB of 512-byte blocks)
expect_log '^Node +SN +Model +Namespace +Usage +Format +FW Rev$'
expect_log '^nvme0n1 +nvme0 +QEMU NVMe Ctrl +1 +1\.07 +GB / +1\.07 +GB +512 +B \+ +0 B +[0-9.]+$'

# id-ctrl, fresh from Identify Controller
expect_log '^NVME Identify Controller:$'
expect_log '^vid +: 0x1b36$'
expect_log '^sn +: nvme0$'
expect_log '^mn +: QEMU NVMe Ctrl$'
expect_log '^ver +: 0x10400$'
expect_log '^sqes +: 0x66$'
expect_log '^cqes +: 0x44$'
expect_log '^nn +: 256$'
for k in ssvid fr rab ieee cmic mdts cntlid oacs acl aerl frmw lpa elpe npss maxcmd oncs fuses fna vwc awun awupf sgls; do
	expect_log "^$k +: [0-9a-fx.]+$"
done

# id-ns: 2^21 blocks, the 512-byte format without metadata in use
expect_log '^NVME Identify Namespace 1:$'
expect_log '^nsze +: 0x200000$'
for k in ncap nuse nsfeat nlbaf flbas mc dpc dps nmic dlfeat; do expect_log "^$k +: (0x)?[0-9a-f]+$"; done
expect_log '^lbaf  0 : ms:0   lbads:9  rp:0 \(in use\)$'
[ "$(grep -c ' (in use)$' "$LOG")" = 1 ] || fail "not exactly one LBA format in use"

# smart-log: QEMU counts the write commands it got, so 0 before iotest, more after
expect_log '^Smart Log for NVME device:nvme0 namespace-id:ffffffff$'
expect_log '^temperature +: [0-9]+ C \([0-9]+ K\)$'
for k in critical_warning available_spare available_spare_threshold percentage_used data_units_read \
	data_units_written host_read_commands controller_busy_time power_cycles power_on_hours unsafe_shutdowns \
	media_errors num_err_log_entries; do
	expect_log "^$k +: [0-9]"
done
writes=$(grep -E '^host_write_commands +: ' "$LOG" | sed 's/.*: //' | tr '\n' ' ')
[[ $writes =~ ^0\ [1-9][0-9]*\ $ ]] || fail "host_write_commands before and after iotest: $writes (expected 0, then > 0)"

# error-log: ELPE + 1 entries read, none used on a healthy controller
expect_log '^Error Log Entries for device:nvme0 entries:[0-9]+$'
expect_log '^0 non-empty of [0-9]+ entries read \(ELPE [0-9]+\)$'

# stats: the admin queue polled, each I/O queue's interrupt on its own CPU,
# completions on both, and interrupts per I/O above 0
expect_log '^iotest: nvme0n1: 32 of 32 I/O pairs ok .*data verified\)$'
expect_log '^nvme0: 2/0/0 default/read/poll I/O queues, resets 0, async event requests outstanding [1-4]$'
expect_log '^q0 +admin +0 +[1-9][0-9]* +[1-9][0-9]* '
for q in 1 2; do
	# submitted, completed, doorbells (few or none with shadow doorbells), interrupts, bogus, timeouts, aborts
	expect_log "^q$q +default +$((q - 1)) +[1-9][0-9]* +[1-9][0-9]* +[0-9]+ +[1-9][0-9]* +0 +0 +0 +[0-9.]+ +[0-9.]+$"
done
expect_log '^nvme0: I/O queues: ([1-9][0-9]*) submitted, \1 completed, [0-9]+\.[0-9]+ doorbells/IO, (0\.0[1-9]|0\.[1-9][0-9]|[1-9][0-9]*\.[0-9]+) interrupts/IO, 0 timeouts, 0 aborts$'

# error paths
expect_log '^nvme id-ns: nvme9n1: no such NVMe controller or namespace'
expect_log '^nvme id-ns: nvme0 is a controller'
[ "$(grep -E '^st=' "$LOG" | tr '\n' ' ')" = "st=1 st=1 st=2 st=2 st=0 " ] ||
	fail "statuses $(grep -E '^st=' "$LOG" | tr '\n' ' '), expected st=1 st=1 st=2 st=2 st=0"
expect_log '^usage: nvme list \| '

# reset: done, counted, and I/O still right after it
expect_log '^nvme0: reset done in [0-9]+ ms \(resets since boot: 1\)$'
expect_log '^nvme0: 2/0/0 default/read/poll I/O queues, resets 1, async event requests outstanding [1-4]$'
[ "$(grep -c '^iotest: nvme0n1: 32 of 32 I/O pairs ok .*data verified)$' "$LOG")" = 2 ] || fail "iotest after the reset"
pass
