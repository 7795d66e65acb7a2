#!/bin/bash
# The block layer on the null device: lsblk and queues on -smp 4, I/O from
# every core through its own queue (checked against the map), data verified
# on the RAM-backed nullb1, range errors, poll queues and inline completion,
# and recovery of lost requests through timeouts and requeue.
. "$(dirname "$0")/lib.sh"
boot --smp 4 --cmdline 'autorun="lsblk; queues nullb0; iotest nullb0; iotest nullb1 --verify; write nullb1 8 2 0x5a; read nullb1 8 2; write nullb1 40 1 abc; read nullb1 40 1; read nullb1 32768 1; echo st=$?; read nullb1 0 4096; read nullb7 0 1; read nullb1 x 1; irq; poweroff 0"'
expect_code 0
expect_no_log 'PANIC|MISMATCH'
expect_log '^nullb0: 1024 MiB, 512-byte blocks, data discarded, 4/0/0 default/read/poll queues, depth 64, interrupt completion$'
expect_log '^nullb0 +1G +512 +512 disk 4/0/0 +discard,write-zeroes$'
expect_log '^nullb1 +16M +512 +512 disk 4/0/0 '
expect_log '^map default \(4 queues from 0\): cpu0->hctx0 cpu1->hctx1 cpu2->hctx2 cpu3->hctx3$'
for i in 0 1 2 3; do
	expect_log "^hctx $i +default cpus $i +ctxs 1 +depth 64 +in use 0 +irq [0-9]+ \(vector 0x[0-9a-f]+ on CPU $i\)"
done
expect_log '^iotest: nullb0: 64 of 64 I/O pairs ok \(4 CPUs x 16 writes\+reads of 4096 bytes\)$'
expect_log '^iotest: nullb1: 64 of 64 I/O pairs ok \(4 CPUs x 16 writes\+reads of 4096 bytes, data verified\)$'
expect_log '^00000000  5a 5a 5a 5a 5a 5a 5a 5a  5a 5a 5a 5a 5a 5a 5a 5a  \|ZZZZZZZZZZZZZZZZ\|$'
expect_log '^00000400$'
expect_log '^00000000  61 62 63 61 62 63 61 62  63 61 62 63 61 62 63 61  \|abcabcabcabcabca\|$'
expect_log '^read: nullb1: LBA 32768 \+ 1 blocks is beyond the end \(32768 blocks of 512 bytes\)$'
expect_log '^st=1$'
expect_log '^read: at most 1048576 bytes at a time$'
expect_log '^read: nullb7: no such block device'
expect_log '^read: LBA and COUNT must be numbers'
expect_log '^[0-9]+ +0x[0-9a-f]+ .* nullb1q4 +3 managed$'

# Poll queues and inline completion, 4 KiB blocks.
boot --smp 2 --cmdline 'nullb.poll_queues=1 nullb.irqmode=0 nullb.bs=4096 autorun="lsblk; queues nullb1; iotest nullb1 --verify; poweroff 0"'
expect_code 0
expect_no_log 'PANIC|MISMATCH'
expect_log '^nullb1: 16 MiB, 4096-byte blocks, RAM-backed, 2/0/1 default/read/poll queues, depth 64, inline completion$'
expect_log '^nullb1 +16M +4096 +4096 disk 2/0/1 +discard,write-zeroes,poll$'
expect_log '^map poll +\(1 queues from 2\): cpu0->hctx2 cpu1->hctx2$'
expect_log '^hctx 2 +poll +cpus 0-1 .* polled '
expect_log '^iotest: nullb1: 32 of 32 I/O pairs ok .*data verified\)$'

# Lost requests: every 7th is dropped; the 200 ms timeout finds each one on
# the tick, nullb's timeout handler requeues it, and every I/O still verifies.
boot --smp 2 --cmdline 'nullb.drop_every=7 nullb.timeout_ms=200 autorun="iotest nullb1 --verify; blkstat nullb1; poweroff $?"'
expect_code 0
expect_no_log 'PANIC|MISMATCH'
expect_log '^nullb1: request tag [0-9]+ \((read|write), sector [0-9]+\) timed out; requeued$'
expect_log '^iotest: nullb1: 32 of 32 I/O pairs ok .*data verified\)$'
expect_log '^  merges [1-9][0-9]*, errors 0, timeouts [1-9][0-9]*, requeues [1-9][0-9]*, in flight 0$'
expect_log '^  read +[1-9][0-9]* requests +[0-9]+ sectors$'
pass
