#!/bin/bash
# Without QEMU's isa-debug-exit device, poweroff must switch the machine off
# the way a real PC is: ACPI S5 through PM1 control, with SLP_TYP from the
# DSDT's \_S5 package. QEMU then exits cleanly (status 0) instead of the
# kernel halting.
. "$(dirname "$0")/lib.sh"
boot --smp 1 --no-exit-device --cmdline 'autorun="poweroff 3"'
expect_code 0
expect_log '^poweroff: code 3$'
expect_no_log 'S5 unavailable|halting|PANIC'
pass
