#!/bin/bash
# Invalid opcode and an explicit panic() both stop the machine with the panic code.
. "$(dirname "$0")/lib.sh"
boot --smp 1 --cmdline 'autorun="fault ud"'
expect_code 100
expect_log '^PANIC on CPU 0: exception 6 \(invalid opcode\)'
boot --smp 1 --cmdline 'autorun="fault panic"'
expect_code 100
expect_log '^PANIC on CPU 0: requested by the fault command'
pass
