#!/bin/bash
# Boots with one and with four CPUs, runs the core commands through autorun,
# and powers off with a chosen code that run-qemu must return.
. "$(dirname "$0")/lib.sh"
for smp in 1 4; do
	boot --smp $smp --cmdline "autorun=\"echo hello from smp $smp; mem; uptime; bootinfo; acpi; poweroff 7\""
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
	expect_log "^acpi: $smp CPUs? \\($smp enabled\\), 1 I/O APIC, [0-9]+ ISA overrides, 1 MCFG segment, HPET yes$"
	expect_log '^MADT: local APIC at 0xfee00000'
	expect_log '^MCFG: segment 0, buses 0-255, ECAM at 0x[0-9a-f]+$'
	expect_log '^HPET: number 0 at 0xfed00000'
	expect_log '^FADT: PM timer port 0x[0-9a-f]+'
	expect_log '^poweroff: code 7$'
	expect_no_log 'PANIC'
done
pass
