#!/bin/bash
# PCI enumeration through ECAM: q35 with one NVMe controller on the root bus
# (run-qemu's --nvme) and one behind a pcie-root-port. lspci must list both
# (class 0108, 1b36:0010), the second on a bus above 0 that the root port's
# secondary bus names; the q35 host bridge and ISA bridge; and with -v the
# NVMe BARs and capabilities. A bad option is a usage error (status 2).
. "$(dirname "$0")/lib.sh"
RP_IMG=$WORK/nvme-rp.img
[ -f "$RP_IMG" ] || truncate -s 64M "$RP_IMG"
boot --smp 2 --cmdline 'autorun="lspci; lspci -v; lspci -x; echo st=$?; poweroff 0"' -- \
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1 \
	-drive if=none,id=nvmrp,format=raw,file="$RP_IMG" \
	-device nvme,bus=rp1,serial=nvmerp,drive=nvmrp
expect_code 0
expect_no_log 'PANIC'
expect_log '^pci: [0-9]+ functions on [2-9][0-9]* buses in 1 segment$'

# slots NAME CLASS VENDOR DEVICE: the slots of blocks with these [ids].
slots() {
	awk -v c="[$1]" -v v="[$2]" -v d="[$3]" '
		/^Slot:/ { slot = $2; cls = ven = "" }
		/^Class:/ { cls = $NF }
		/^Vendor:/ { ven = $NF }
		/^Device:/ && cls == c && ven == v && $NF == d { print slot }' "$LOG" | sort -u
}
# slots_with LINE_REGEX CLASS VENDOR DEVICE: slots of such blocks that also have a matching line.
slots_with() {
	awk -v re="$1" -v c="[$2]" -v v="[$3]" -v d="[$4]" '
		/^Slot:/ { slot = $2; cls = ven = ""; hit = 0 }
		/^Class:/ { cls = $NF }
		/^Vendor:/ { ven = $NF }
		/^Device:/ { hit = cls == c && ven == v && $NF == d }
		hit && $0 ~ re { print slot }' "$LOG" | sort -u
}

nvme=$(slots 0108 1b36 0010)
[ "$(echo "$nvme" | grep -c .)" = 2 ] || fail "expected 2 NVMe controllers, found: $(echo $nvme)"
root_nvme=$(echo "$nvme" | grep '^0000:00:') || fail "no NVMe controller on bus 00: $(echo $nvme)"
rp_nvme=$(echo "$nvme" | grep -v '^0000:00:') || fail "no NVMe controller behind the root port: $(echo $nvme)"
rp_bus=${rp_nvme:5:2}
[ $((16#$rp_bus)) -gt 0 ] || fail "NVMe behind the root port on bus $rp_bus"

rp=$(slots 0604 1b36 000c)
[ -n "$rp" ] || fail "no pcie-root-port (1b36:000c, class 0604)"
[ -n "$(slots_with "^Bus:.*secondary=$rp_bus," 0604 1b36 000c)" ] ||
	fail "root port $rp does not lead to bus $rp_bus"
[ -n "$(slots 0600 8086 29c0)" ] || fail "no q35 host bridge (8086:29c0, class 0600)"
[ -n "$(slots 0601 8086 2918)" ] || fail "no ICH9 ISA bridge (8086:2918, class 0601)"
expect_log '^Class:	Non-Volatile memory controller \[0108\]$'
expect_log '^Vendor:	Red Hat, Inc\. \[1b36\]$'
expect_log '^Device:	QEMU NVM Express Controller \[0010\]$'
expect_log '^Class:	Host bridge \[0600\]$'
expect_log '^Class:	ISA bridge \[0601\]$'
expect_log '^ProgIf:	02$'

# -v: both NVMe controllers show a 64-bit memory BAR0 with a size, MSI-X and
# an Express capability; the one behind the root port is a plain Endpoint.
bar='^BAR0:	Memory at 0x[0-9a-f]+ \(64-bit, non-prefetchable\) \[size=[0-9]+[KM]?\]$'
[ "$(slots_with "$bar" 0108 1b36 0010 | grep -c .)" = 2 ] || fail "NVMe BAR0 not listed for both controllers"
[ "$(slots_with '^Capability:	\[[0-9a-f]+\] MSI-X$' 0108 1b36 0010 | grep -c .)" = 2 ] ||
	fail "NVMe MSI-X capability not listed for both controllers"
[ "$(slots_with '^MSI-X:	[0-9]+ entr(y|ies), table BAR[0-5]\+0x' 0108 1b36 0010 | grep -c .)" = 2 ] ||
	fail "NVMe MSI-X table location not listed"
[ "$(slots_with '^Capability:	\[[0-9a-f]+\] Express \(v2\) Endpoint$' 0108 1b36 0010)" = "$rp_nvme" ] ||
	fail "NVMe behind the root port is not listed as a PCI Express Endpoint"
expect_log '^Driver:	none$'
expect_log '^usage: lspci \[-v\]$'
expect_log '^st=2$'
pass
