#!/bin/bash
# Unknown commands and bad arguments give clear errors and statuses ($?);
# help lists every command; quotes and ';' split as documented.
. "$(dirname "$0")/lib.sh"
boot --smp 1 --cmdline 'autorun="help; nosuch; echo st=$?; poweroff 300; echo st=$?; poweroff x; mem extra; echo st=$?; echo \"a;b\"  c; poweroff 0"'
expect_code 0
for c in help mem uptime echo poweroff reboot bootinfo fault; do
	expect_log "^  $c .* [a-z(]"
done
expect_log '^nosuch: command not found \(try .help.\)$'
expect_log '^st=127$'
expect_log '^poweroff: code must be a number from 0 to 126$'
expect_log '^st=2$'
expect_log '^usage: mem $'
expect_log '^a;b c$'
pass
