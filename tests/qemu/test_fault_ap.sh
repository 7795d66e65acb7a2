#!/bin/bash
# A panic on an application processor names that CPU, stops the others with
# an NMI, and exits with the panic code.
. "$(dirname "$0")/lib.sh"
boot --smp 4 --cmdline 'autorun="fault -c 2 panic"'
expect_code 100
expect_log '^PANIC on CPU 2: requested by the fault command$'
expect_log '^all CPUs stopped$'
expect_no_log 'PANIC on CPU [013]'
boot --smp 4 --cmdline 'autorun="fault -c 9 ud; echo status $?; poweroff 5"'
expect_code 5
expect_log '^fault: no CPU 9 \(CPUs 0-3 are online\)$'
expect_log '^status 1$'
pass
