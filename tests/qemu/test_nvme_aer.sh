#!/bin/bash
# Asynchronous events: the controller holds our Asynchronous Event Requests;
# when QEMU raises a SMART critical warning (qom-set over QMP while the
# kernel sleeps), the event is reported, the SMART log read, and the request
# re-armed.
. "$(dirname "$0")/lib.sh"
SOCK=$WORK/qmp.sock
rm -f "$SOCK"
{
	for _ in $(seq "$TIMEOUT"); do grep -q '^ready in' "$LOG" 2>/dev/null && break; sleep 1; done
	python3 - "$SOCK" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(50):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.2)
f = s.makefile("rw")
f.readline()
for cmd in ({"execute": "qmp_capabilities"},
            {"execute": "qom-set", "arguments": {"path": "/machine/peripheral/nvmeaer",
                                                 "property": "smart_critical_warning", "value": 2}}):
    f.write(json.dumps(cmd) + "\n"); f.flush(); print(f.readline().strip())
PY
} > "$WORK/qmp.out" 2>&1 &
[ -f "$WORK/aer.img" ] || truncate -s 64M "$WORK/aer.img"
boot --smp 2 --nvme none --cmdline 'autorun="nvme stats nvme0; sleep 6; nvme stats nvme0; poweroff 0"' -- \
	-qmp "unix:$SOCK,server=on,wait=off" \
	-drive if=none,id=aer,format=raw,file="$WORK/aer.img" -device nvme,id=nvmeaer,serial=aer0,drive=aer
wait
expect_code 0
expect_no_log 'PANIC'
grep -q '"return"' "$WORK/qmp.out" || fail "QMP qom-set failed: $(tail -n 1 "$WORK/qmp.out")"
expect_log '^nvme0: asynchronous event: type 1, info 0x1, log page 0x2$'
expect_log '^nvme0: SMART critical warning 0x2 \(temperature\)$'
[ "$(grep -c 'async event requests outstanding [1-4]$' "$LOG")" = 2 ] || fail "the event request was not re-armed"
pass
