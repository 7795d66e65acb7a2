#!/bin/bash
# Every CPU comes online for -smp 1, 2, 4, 8 and a 2-core x 2-thread package;
# smp_call reaches each one and runs there; the topology is read right.
. "$(dirname "$0")/lib.sh"
for smp in 1 2 4 8 4,sockets=1,cores=2,threads=2; do
	n=${smp%%,*}
	boot --smp "$smp" --cmdline 'autorun="cpus; cpus ping; irq test; sleep 0.5; irq; poweroff 3"'
	expect_code 3
	expect_no_log 'PANIC|not started|FAILED'
	expect_log "^smp: $n CPUs? online, x?APIC"
	for ((i = 0; i < n; i++)); do
		expect_log "^ +$i +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+  online "
		expect_log "^cpu $i: smp_call ok, ran on cpu $i "
	done
	expect_no_log "^ +$n +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+  online "
	expect_log "^smp_call_all: $n of $n CPUs ran$"
	expect_log "^heap stress: $n of $n CPUs clean "
	expect_log '^- +0xf1 .* call IPI$'
	# One admin-like vector on all CPUs, one managed vector per CPU, each fired.
	expect_log "^irq test: $((n + 1)) of $((n + 1)) vectors delivered to their CPU$"
	expect_log "^[0-9]+ +0x[0-9a-f]+ .* irqtest-q0 +(0-$((n - 1))|0)$"
	expect_log "^[0-9]+ +0x[0-9a-f]+ .* irqtest-q$n +$((n - 1)) managed$"
	# The boot CPU's 10 Hz LAPIC timer ticked during the half-second sleep.
	expect_log '^- +0xf0 +([2-9]|[1-9][0-9]+) .*timer$'
done
# The last boot was the SMT one: CPU 1 is CPU 0's sibling, CPU 2 the next core.
expect_log '^ +0 +[0-9]+ +0 +0 +0  online '
expect_log '^ +1 +[0-9]+ +0 +0 +1  online '
expect_log '^ +2 +[0-9]+ +0 +1 +0  online '
expect_log '^ +3 +[0-9]+ +0 +1 +1  online '
pass
