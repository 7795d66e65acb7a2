#!/bin/bash
# Typing on the serial console (its receive interrupt wakes the halted CPU): line editing (backspace, Ctrl-U), history
# recall with the up arrow, ';'-separated commands, and $?.
. "$(dirname "$0")/lib.sh"
# "ecko\b\bho one" -> "echo one"; Ctrl-U discards "junk"; ESC[A recalls the
# last line, "echo two"; "nosuch" sets $? to 127.
boot_typing 'ecko\b\bho one\rjunk\025echo two\r\033[A\rnosuch; echo st=$?; irq; poweroff 9\r' --smp 1
expect_code 9
expect_log '^one$'
[ "$(grep -c '^two$' "$LOG")" = 2 ] || fail "history recall did not run 'echo two' again"
expect_no_log '^junk|^ecko'
expect_log '^nosuch: command not found'
expect_log '^st=127$'
# The shell sleeps in hlt: the keys must have arrived as COM1 interrupts.
expect_log '^- +0x24 +[1-9][0-9]* +COM1$'
pass
