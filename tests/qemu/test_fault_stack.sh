#!/bin/bash
# Kernel stack overflow: the guard page below the stack turns it into a page
# fault that cannot push its frame, so a double fault, which the CPU delivers
# on its own IST stack: it is reported instead of resetting the machine.
. "$(dirname "$0")/lib.sh"
boot --smp 1 --cmdline 'autorun="fault stack"'
expect_code 100
expect_log '^PANIC on CPU 0: exception 8 \(double fault\)'
expect_log '^RIP: ffffffff8[0-9a-f]+ <overflow\+'
pass
