# Helpers for QEMU integration tests. A test sources this, calls boot with
# tools/run-qemu options, then asserts on the serial log ($LOG) and the
# kernel's exit code ($CODE). Any failed assertion exits 1 with its reason as
# the last line; tests/run prints that line.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=$(basename "$0" .sh)
WORK=$ROOT/build/tests/$NAME
LOG=$WORK/serial.log
TIMEOUT=${QEMU_TEST_TIMEOUT:-180}
mkdir -p "$WORK"
rm -f "$LOG"

fail() { echo "$NAME: $*"; exit 1; }

# boot [run-qemu options...]: runs QEMU in batch mode; sets CODE. The test's
# own NVMe image is attached unless the options name an --nvme of their own.
boot() {
	local disk=(--nvme "$WORK/nvme.img")
	case " $* " in *" --nvme "*) disk=() ;; esac
	CODE=0
	"$ROOT/tools/run-qemu" --batch --timeout "$TIMEOUT" --log "$LOG" "${disk[@]}" "$@" > /dev/null 2>"$WORK/run-qemu.err" || CODE=$?
	return 0
}

expect_code() { [ "$CODE" = "$1" ] || fail "exit code $CODE, expected $1 ($(tail -n 1 "$WORK/run-qemu.err" 2>/dev/null))"; }
# expect_log REGEX: some line of the log matches (grep -E)
expect_log() { grep -Eq -- "$1" "$LOG" || fail "log lacks /$1/"; }
expect_no_log() { ! grep -Eq -- "$1" "$LOG" || fail "log has /$1/: $(grep -E -m1 -- "$1" "$LOG")"; }
pass() { echo "$NAME: ok"; exit 0; }

# boot_until REGEX [run-qemu options...]: for runs that never power off (the
# firmware keeps the machine after a rejected kernel): stops QEMU as soon as
# the log matches REGEX, or at the timeout. Sets CODE (124 on timeout).
boot_until() {
	local re=$1 pid
	shift
	CODE=0
	: > "$LOG"
	"$ROOT/tools/run-qemu" --batch --timeout "$TIMEOUT" --log "$LOG" --nvme none "$@" > /dev/null 2>"$WORK/run-qemu.err" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		if grep -Eq -- "$re" "$LOG"; then
			pkill -P $pid 2>/dev/null; pkill -f "file=$WORK/" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait $pid || CODE=$?
}

# image_with KERNEL CMDLINE: a boot image in $WORK with this kernel file.
image_with() {
	"$ROOT/tools/mkimage" "$WORK/boot.img" "$ROOT/build/BOOTX64.EFI" "$1" "${2-}"
}

# boot_typing KEYS [run-qemu options...]: boots, waits for the shell's first
# prompt in the log, then types KEYS (printf format) on the serial port.
boot_typing() {
	local keys=$1
	shift
	CODE=0
	: > "$LOG"
	{
		for _ in $(seq "$TIMEOUT"); do grep -q '^ready in' "$LOG" && break; sleep 1; done
		printf "$keys"
		# keep stdin open until QEMU is gone, so it does not see EOF first
		while pgrep -f "file=$WORK/nvme.img" > /dev/null; do sleep 1; done
	} | "$ROOT/tools/run-qemu" --batch --stdin --timeout "$TIMEOUT" --log "$LOG" --nvme "$WORK/nvme.img" "$@" > /dev/null 2>"$WORK/run-qemu.err" || CODE=$?
}
