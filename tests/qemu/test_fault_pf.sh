#!/bin/bash
# A page fault in the kernel: the register dump names the vector, the error
# code, the faulting address, RIP's function, and a backtrace; QEMU exits
# with the panic code.
. "$(dirname "$0")/lib.sh"
boot --smp 2 --cmdline 'autorun="fault pf; echo not reached"'
expect_code 100
expect_log '^PANIC on CPU 0: exception 14 \(page fault\), error code 0x0'
expect_log '^RIP: ffffffff8[0-9a-f]+ <raise_fault\+0x[0-9a-f]+>'
expect_log '^CR2: 00000000dead0000'
expect_log '^RAX: [0-9a-f]{16}  RBX'
expect_log '^backtrace:'
expect_log '^  ffffffff8[0-9a-f]+ <shell_exec_line\+'
expect_log '^all CPUs stopped'
expect_no_log '^not reached'
pass
