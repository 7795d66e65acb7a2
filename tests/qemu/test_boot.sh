#!/bin/bash
# Boots with one and with four CPUs, runs the core commands through autorun,
# and powers off with a chosen code that run-qemu must return.
. "$(dirname "$0")/lib.sh"
for smp in 1 4; do
	boot --smp $smp --cmdline "autorun=\"echo hello from smp $smp; mem; uptime; bootinfo; poweroff 7\""
	expect_code 7
	expect_log '^ready in [0-9]+ ms$'
	expect_log "^hello from smp $smp\$"
	expect_log '^total: +[0-9]+ KiB'
	expect_log '^free: +[0-9]+ KiB'
	expect_log '^up [0-9]+\.[0-9]{3} s$'
	expect_log '^framebuffer: [0-9]+x[0-9]+ pitch'
	expect_log '^RSDP: 0x[0-9a-f]+ \(ACPI revision 2\)'
	expect_log '^cmdline: autorun="echo hello'
	expect_log '^  usable +[0-9]+ regions'
	expect_log 'calibrated against ACPI PM timer'
	expect_log '^poweroff: code 7$'
	expect_no_log 'PANIC'
done
pass
