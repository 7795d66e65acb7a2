#!/bin/bash
# reboot resets the machine through the ACPI reset register; run-qemu passes
# -no-reboot, so QEMU ends with status 0 instead of booting again.
. "$(dirname "$0")/lib.sh"
boot --smp 1 --cmdline 'autorun="reboot; echo not reached"'
expect_code 0
expect_log '^reboot$'
expect_no_log '^not reached|halting'
[ "$(grep -c '^ready in' "$LOG")" = 1 ] || fail "machine booted twice"
pass
