#!/usr/bin/env bats
# Chapter 10-harden: the container keeps Docker's 14 capabilities and no
# other, runs with no_new_privs and a seccomp filter, in a session and a
# keyring of its own, on a read-only rootfs with /proc's dangerous files
# masked or read-only; minibox-exec gives a joined command the same layers.
# Each escape of the chapter works with --privileged and fails without it,
# but for minibox-exec's binary (escape 7): it runs from a sealed copy in
# memory even then, and its mutants show the escape open.
# Every escape here aims at something the test made: a sysctl is opened for
# writing, never written; the terminal is a pseudo-terminal escprobe makes;
# the key, the :ro folder and the rootfs with the planted program are the
# test's own, and removed after it.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }
# A binary whose rootfs stays writable (a lab before that layer, a mutant)
# leaves the file a test tried to write there: removed, passed or failed.
teardown() {
	mb_teardown
	rm -f "$MB_TREE/rootfs/mbtest-file"
}

NAME=mbt-$MB_TAG-harden-$BATS_TEST_NUMBER
# Docker's default capabilities, as /proc/PID/status shows them
DOCKER_CAPS=00000000a80425fb
# The probe, on the host and (bound read-only at /opt) in the container.
PROBE=$REPO/tests/probes/escprobe
OPT=(--bind "${MB_TREE:-$REPO}/tests/probes:/opt:ro")

# The lines of /proc/PID/status that chapter 10 sets: of host process $1
# (layers_of), or of the command itself (SHOW_LAYERS, a command for inside).
LAYERS='^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):'
layers_of() { grep -E "$LAYERS" "/proc/$1/status" | tr -d '\t'; }
SHOW_LAYERS="grep -E '$LAYERS' /proc/self/status | tr -d '\t'"
# The session of host process $1: field 6 of /proc/PID/stat, after the ")"
# that ends the name.
session_of() { awk '{ print $6 }' "/proc/$1/stat"; }
HARDENED=$'CapInh:0000000000000000\nCapPrm:'$DOCKER_CAPS$'\nCapEff:'$DOCKER_CAPS$'\nCapBnd:'$DOCKER_CAPS$'\nCapAmb:0000000000000000\nNoNewPrivs:1\nSeccomp:2'

# Is folder $1 on a mount with nosuid? (the longest mount point above it in
# /proc/self/mounts decides)
on_nosuid_mount() {
	awk -v dir="$1/" '{ at = $2 == "/" ? "/" : $2 "/" }
		index(dir, at) == 1 && length(at) >= best { best = length(at); opts = $4 }
		END { exit opts ~ /(^|,)nosuid(,|$)/ ? 0 : 1 }' /proc/self/mounts
}

# ------------------------------------------------------------ the layers

@test "inside, the capabilities are Docker's 14 in every set, none inheritable or ambient; NoNewPrivs 1, Seccomp 2" {
	run -0 "$MINIBOX" sh -c "$SHOW_LAYERS"
	assert_output "$HARDENED"
}

# Every capability by its number (linux/capability.h), and the 14 of
# Docker's that chapter 10 keeps: each one is checked by name.
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
	NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
	SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
	AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
	PERFMON BPF CHECKPOINT_RESTORE)
KEPT_CAPS=" CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE "
cap_name() { echo "CAP_${CAP_NAMES[$1]:-$1}"; }

# Each capability this kernel has, one line each, from the Cap lines of a
# /proc/PID/status on stdin: "kept" when it is in the permitted, effective
# and bounding sets and no other, "dropped" when in none, else the sets.
caps_by_name() {
	local line cap in set
	local -A mask=()
	while read -r line; do
		[[ $line == Cap* ]] && mask[${line:3:3}]=$((16#${line##*[[:space:]]}))
	done
	for ((cap = 0; cap <= $(cat /proc/sys/kernel/cap_last_cap); cap++)); do
		in=
		for set in Inh Prm Eff Bnd Amb; do
			(((${mask[$set]:-0} >> cap) & 1)) && in+=" $set"
		done
		case $in in
		" Prm Eff Bnd") echo "$(cap_name "$cap"): kept" ;;
		"") echo "$(cap_name "$cap"): dropped" ;;
		*) echo "$(cap_name "$cap"): in$in" ;;
		esac
	done
}
caps_expected() {
	local cap
	for ((cap = 0; cap <= $(cat /proc/sys/kernel/cap_last_cap); cap++)); do
		if [[ $KEPT_CAPS == *" ${CAP_NAMES[cap]:-none} "* ]]; then
			echo "$(cap_name "$cap"): kept"
		else
			echo "$(cap_name "$cap"): dropped"
		fi
	done
}

@test "each of Docker's 14 capabilities is kept, each other one this kernel has is dropped from every set, by name: in the command and in minibox-exec's" {
	# (600 s: naming some 40 capabilities, a fork or more each, is slow in
	# the v2 VM under software emulation; there, under load, the container
	# was once gone before minibox-exec joined it)
	start_container --name "$NAME" sh -c 'echo ready; exec sleep 600'
	run -0 caps_by_name <"/proc/$CT_PID/status"
	assert_output "$(caps_expected)"
	run -0 "$MINIBOX_EXEC" "$NAME" grep '^Cap' /proc/self/status
	run -0 caps_by_name <<<"$output"
	assert_output "$(caps_expected)"
}

# The ambient set is what an exec keeps without file capabilities: a caller
# that raised one (setpriv, a systemd unit's AmbientCapabilities=) must not
# hand it to the command. CAP_NET_RAW is one of the 14 kept: the bounding set
# keeps it, only emptying the inheritable and ambient sets takes it away.
# (The kernel empties both when minibox makes its user namespace, and the
# ambient set again when capset() empties the inheritable one: this test
# cannot tell minibox's own PR_CAP_AMBIENT_CLEAR_ALL from those.)
# bats test_tags=once
@test "a caller's ambient capability does not reach the command: none inheritable or ambient, in minibox's and minibox-exec's" {
	local raise=(setpriv --inh-caps +net_raw --ambient-caps +net_raw --)
	# the caller has it in both sets
	run -0 "${raise[@]}" grep -E '^Cap(Inh|Amb):' /proc/self/status
	assert_output $'CapInh:\t0000000000002000\nCapAmb:\t0000000000002000'
	run -0 "${raise[@]}" "$MB_REAL" grep '^Cap' /proc/self/status
	run -0 caps_by_name <<<"$output"
	assert_output "$(caps_expected)"
	assert_line "CAP_NET_RAW: kept"
	start_container --name "$NAME" sh -c 'echo ready; exec sleep 60'
	run -0 "${raise[@]}" "$MB_EXEC_REAL" "$NAME" grep '^Cap' /proc/self/status
	run -0 caps_by_name <<<"$output"
	assert_output "$(caps_expected)"
}

@test "with --privileged, the container keeps every capability, with neither no_new_privs nor a filter" {
	run -0 "$MINIBOX" --privileged sh -c "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\t'"
	assert_output $'CapEff:'"$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))"$'\nNoNewPrivs:0\nSeccomp:0'
}

@test "the host sees the layers on the container's PID 1, and on --init's command too" {
	start_container --init sh -c 'echo ready; exec sleep 60'
	run -0 layers_of "$CT_PID"
	assert_output "$HARDENED"
	run -0 layers_of "$(first_child "$CT_PID")"
	assert_output "$HARDENED"
}

@test "a refused call fails with EPERM and the container goes on; clone3 gives ENOSYS, so fork still works" {
	# TIOCSTI on a terminal of the probe's own, its controlling one: only the
	# filter refuses it (where dev.tty.legacy_tiocsti is 0, the kernel does, EIO)
	local tiocsti=ok
	[ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 1 ] || tiocsti=EIO
	run -0 "$MINIBOX" "${OPT[@]}" sh -c '/opt/escprobe syscalls; echo still running'
	assert_output $'fork: ok\nunshare(CLONE_NEWUSER): EPERM\nmount(tmpfs): EPERM\nclone3: ENOSYS\nclone(CLONE_NEWUSER): EPERM\nioctl(TIOCSTI), its own terminal: EPERM\nkeyctl(KEYCTL_GET_KEYRING_ID): EPERM\nstill running'
	run -0 "$MINIBOX" --privileged "${OPT[@]}" /opt/escprobe syscalls
	assert_output $'fork: ok\nunshare(CLONE_NEWUSER): ok\nmount(tmpfs): ok\nclone3: ok\nclone(CLONE_NEWUSER): ok\nioctl(TIOCSTI), its own terminal: '"$tiocsti"$'\nkeyctl(KEYCTL_GET_KEYRING_ID): ok'
}

# Chapter 10's list of refused calls, entry by entry (iopl and ioperm on
# x86_64 only), and the namespace flags refused in clone's and unshare's
# first argument (CLONE_NEWTIME: unshare's only; for clone it is the exit
# signal's bits). escprobe refused asks the filter about each call without
# making it; where the filter lets a call through, its own filter refuses
# it (ENOSYS): it says "allowed".
REFUSED_CALLS="keyctl add_key request_key kexec_load kexec_file_load init_module finit_module delete_module
	bpf perf_event_open userfaultfd io_uring_setup io_uring_enter io_uring_register setns mount umount2
	pivot_root open_tree open_tree_attr move_mount fsopen fsconfig fsmount fspick mount_setattr
	open_by_handle_at name_to_handle_at settimeofday clock_settime clock_adjtime swapon swapoff reboot
	syslog acct quotactl vhangup"
NS_FLAGS="CLONE_NEWNS CLONE_NEWCGROUP CLONE_NEWUTS CLONE_NEWIPC CLONE_NEWUSER CLONE_NEWPID CLONE_NEWNET"
# What escprobe refused must say: $1 for each refused call (EPERM, or
# "allowed" without a filter), $2 for clone3 (ENOSYS, or "allowed").
filter_verdicts() {
	local c calls=$REFUSED_CALLS
	[ "$(uname -m)" != x86_64 ] || calls+=" iopl ioperm"
	for c in $calls; do echo "$c: $1"; done
	# x32's numbers (from 0x40000000) share x86_64's arch
	[ "$(uname -m)" != x86_64 ] || echo "x32 getpid: $1"
	echo "clone3: $2"
	echo "ioctl(TIOCSTI): $1"
	echo "ioctl(TIOCSTI | 1 << 32): $1"
	echo "ioctl(TCGETS): allowed"
	for c in $NS_FLAGS; do echo "clone($c): $1"; done
	echo "clone(SIGCHLD): allowed"
	for c in $NS_FLAGS CLONE_NEWTIME; do echo "unshare($c): $1"; done
	echo "unshare(CLONE_FILES): allowed"
}

@test "the filter refuses each call of its list (EPERM), clone3 (ENOSYS), TIOCSTI and each namespace flag by the argument; with --privileged, none" {
	run -0 "$MINIBOX" "${OPT[@]}" /opt/escprobe refused
	assert_output "$(filter_verdicts EPERM ENOSYS)"
	run -0 "$MINIBOX" --privileged "${OPT[@]}" /opt/escprobe refused
	assert_output "$(filter_verdicts allowed allowed)"
}

@test "minibox-exec's command, by name and by PID, is refused each call of the list as the container's command is" {
	start_container --name "$NAME" "${OPT[@]}" sh -c 'echo ready; exec sleep 60'
	local target
	for target in "$NAME" "$CT_PID"; do
		run -0 "$MINIBOX_EXEC" "$target" /opt/escprobe refused
		assert_output "$(filter_verdicts EPERM ENOSYS)"
	done
}

@test "io_uring is refused (EPERM): its workers would make calls the filter never sees; not with --privileged, nor for minibox-exec's command" {
	run -1 "$MINIBOX" "${OPT[@]}" /opt/escprobe uring
	assert_output "io_uring_setup: EPERM"
	run -0 "$MINIBOX" --privileged "${OPT[@]}" /opt/escprobe uring
	assert_output "io_uring_setup: ok"
	start_container --name "$NAME" "${OPT[@]}" sh -c 'echo ready; exec sleep 60'
	run -1 "$MINIBOX_EXEC" "$NAME" /opt/escprobe uring
	assert_output "io_uring_setup: EPERM"
}

@test "on x86_64, a call through the 32-bit table (int 0x80) is killed by the filter's arch check; not with --privileged" {
	[ "$(uname -m)" = x86_64 ] || skip "the 32-bit table is x86_64's (this is $(uname -m))"
	run "$MINIBOX" --privileged "${OPT[@]}" /opt/escprobe int80
	# without 32-bit emulation, int 0x80 faults: SIGSEGV, 128 + 11. Any
	# other failure is minibox's or the probe's, and fails the test.
	[ "$status" != 139 ] || skip "this kernel runs no 32-bit code (no CONFIG_IA32_EMULATION, or ia32_emulation=0)"
	assert_success
	assert_output "int 0x80, getpid: 1"
	# SIGSYS is signal 31: 128 + 31
	run -159 "$MINIBOX" "${OPT[@]}" /opt/escprobe int80
	assert_output ""
}

@test "CAP_NET_RAW is kept, ping works; CAP_SYS_ADMIN is not, root inside cannot rename its UTS namespace" {
	run -0 "$MINIBOX" ping -c 1 -W 2 127.0.0.1
	assert_line --partial "1 packets received"
	run -1 --separate-stderr "$MINIBOX" hostname renamed
	assert_error_line "hostname: sethostname: Operation not permitted"
}

@test "the container's command leads a session of its own; with --privileged it stays in minibox's" {
	start_container sh -c 'echo ready; exec sleep 60'
	assert_equal "$(session_of "$CT_PID")" "$CT_PID"
	start_container --privileged sh -c 'echo ready; exec sleep 60'
	assert_equal "$(session_of "$CT_PID")" "$(session_of "$MB_PID")"
}

# The line of /proc/keys for keyring $1 (a number, as -v prints it), read
# by the user minibox runs as: a keyring shows there to its owner.
keyring_line() {
	local id
	id=$(printf '%08x' "$1")
	if [ -n "${MB_ROOTLESS:-}" ]; then as_user cat /proc/keys; else cat /proc/keys; fi | grep "^$id "
}

# The caller's session keyring holds a key (escprobe keyring): the keyring
# the command joined, which -v names, must be another, new and empty.
# /proc/keys inside is masked and keyctl refused there: the host looks.
@test "the container's command has a session keyring of its own, new and empty, not the caller's" {
	start_binary "$PROBE" keyring "mbtest-$MB_TAG" hush "$MINIBOX" -v sh -c 'echo ready; exec sleep 60'
	local id
	id=$(sed -n 's/^minibox: child: .* = \([0-9][0-9]*\): a session and a keyring of our own$/\1/p' \
		"$BATS_TEST_TMPDIR/ct.err")
	[ -n "$id" ] || fail "no keyring in the -v lines: $(cat "$BATS_TEST_TMPDIR/ct.err")"
	run -0 keyring_line "$id"
	assert_output --regexp ' keyring +_ses: empty$'
}

@test "the rootfs is read-only inside, /tmp and /dev/shm are not; with --privileged the rootfs is writable" {
	run -1 --separate-stderr "$MINIBOX" sh -c "$ROOTFS_ONLY"'touch /tmp/a /dev/shm/b && touch /mbtest-file'
	assert_error_line "touch: /mbtest-file: Read-only file system"
	# the rootfs minibox ran on: the ordinary user's copy in the rootless pass
	[ ! -e "$MB_TREE/rootfs/mbtest-file" ]
	run -0 "$MINIBOX" --privileged sh -c "$ROOTFS_ONLY"'grep " / " /proc/self/mounts'
	assert_output --regexp ' / [a-z0-9]+ rw[ ,]'
}

@test "/proc/keys, /proc/timer_list and /sys/firmware are masked, /proc/sys and /proc/irq read-only; not with --privileged" {
	run -0 "$MINIBOX" sh -c 'echo "/proc/keys $(wc -c </proc/keys) bytes"
		echo "/proc/timer_list $(wc -c </proc/timer_list) bytes"
		echo "/sys/firmware $(ls -A /sys/firmware | wc -l) entries"
		grep -E " /proc/(sys|irq) " /proc/self/mounts | cut -d" " -f2,4 | cut -d, -f1'
	assert_output $'/proc/keys 0 bytes\n/proc/timer_list 0 bytes\n/sys/firmware 0 entries\n/proc/irq ro\n/proc/sys ro'
	run -1 "$MINIBOX" --privileged grep -E " /proc/(keys|timer_list|sys|irq) " /proc/self/mounts
}

# Docker's lists, as chapter 10 keeps them: each path this kernel has must
# be covered inside (a mount on top of it, read-only where it is a folder
# that writes to the kernel: /proc/bus/pci reaches the PCI devices), not
# just the three the test above reads.
MASKED="/proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
READ_ONLY="/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"

@test "every path of Docker's masked and read-only lists that this kernel has is covered inside: masked, or mounted read-only" {
	local p expected=()
	for p in $MASKED; do [ -e "$p" ] && expected+=("$p masked, 0"); done
	for p in $READ_ONLY; do [ -e "$p" ] && expected+=("$p read-only"); done
	[ "${#expected[@]}" -gt 0 ] || skip "this kernel has none of the paths"
	# the options of the last mount at $1, or "none": a mount on top is a mask
	run -0 "$MINIBOX" sh -c 'opts() { awk -v p="$1" '\''$2 == p { o = $4 } END { print o ? o : "none" }'\'' /proc/self/mounts; }
		for p in '"$MASKED"'; do
			[ -e "$p" ] || continue
			[ "$(opts "$p")" = none ] && { echo "$p not masked"; continue; }
			if [ -d "$p" ]; then echo "$p masked, $(ls -A "$p" | wc -l)"; else echo "$p masked, $(head -c 1 "$p" | wc -c)"; fi
		done
		for p in '"$READ_ONLY"'; do
			[ -e "$p" ] || continue
			case $(opts "$p") in ro,* | ro) echo "$p read-only" ;; *) echo "$p writable: $(opts "$p")" ;; esac
		done'
	assert_output "$(printf '%s\n' "${expected[@]}")"
}

# A masked folder is an empty tmpfs, read-only: a writable one would be a
# place to leave files the host's tools never look in.
@test "a masked folder refuses writes inside: Read-only file system" {
	local p dirs=() expected=()
	for p in $MASKED; do [ -d "$p" ] && dirs+=("$p") && expected+=("touch: $p/mbtest: Read-only file system"); done
	[ "${#dirs[@]}" -gt 0 ] || skip "this kernel has none of the masked folders"
	run -0 "$MINIBOX" sh -c 'for p; do touch "$p/mbtest" 2>&1 && echo "$p/mbtest written"; done; true' sh "${dirs[@]}"
	assert_output "$(printf '%s\n' "${expected[@]}")"
}

@test "-v narrates the read-only rootfs, setsid, the keyring, the capabilities, no_new_privs and the filter" {
	run -0 --separate-stderr "$MINIBOX" -v true
	assert_stderr_regex '^minibox: child: mount_setattr\(\., 0, MOUNT_ATTR_RDONLY\) = 0$'
	assert_stderr_regex '^minibox: child: mount\(\./proc/sys, \./proc/sys, NULL, MS_BIND\|MS_REC, NULL\) = 0$'
	# the facts each line states, not the calls' exact arguments
	assert_stderr_regex '^minibox: child: [a-z_]+\(\) = 1, [a-z_]+\(.*\) = [0-9]+: a session and a keyring of our own$'
	assert_stderr_regex '^minibox: child: prctl\(.*\) = 0 for [0-9]+ capabilities, 14 kept$'
	assert_stderr_regex '^minibox: child: [a-z_]+\(.*effective=permitted=0xa80425fb, inheritable=0\) = 0$'
	assert_stderr_regex '^minibox: child: prctl\(.*AMBIENT.*\) = 0$'
	assert_stderr_regex '^minibox: child: prctl\(.*NO_NEW_PRIVS.*\) = 0$'
	assert_stderr_regex '^minibox: child: seccomp\(.*[0-9]+ instructions\) = 0: [0-9]+ calls refused, '
}

@test "--help lists --privileged" {
	run -0 "$MINIBOX" --help
	assert_line --partial "  --privileged     none of chapter 10's layers"
}

# -------------------------------------------------------------- minibox-exec

@test "minibox-exec gives the joined command the same layers, by name and by PID, and a session of its own" {
	start_container --name "$NAME" sh -c 'echo ready; exec sleep 60'
	local ct=$CT_PID
	run -0 "$MINIBOX_EXEC" "$NAME" sh -c "$SHOW_LAYERS"
	assert_output "$HARDENED"
	run -0 "$MINIBOX_EXEC" "$ct" sh -c "$SHOW_LAYERS"
	assert_output "$HARDENED"
	start_binary "$MINIBOX_EXEC" "$NAME" sh -c 'echo ready; exec sleep 60'
	assert_equal "$(session_of "$CT_PID")" "$CT_PID"
}

@test "minibox-exec's command runs the very filter of minibox's command, instruction by instruction, and the same capabilities" {
	start_container --name "$NAME" sh -c 'echo ready; exec sleep 60'
	local ct=$CT_PID
	run -0 "$PROBE" filter "$ct"
	local theirs=$output
	assert [ "$(wc -l <<<"$theirs")" -gt 50 ] # the refused calls are in it
	start_binary "$MINIBOX_EXEC" "$NAME" sh -c 'echo ready; exec sleep 60'
	run -0 "$PROBE" filter "$CT_PID"
	assert_equal "$output" "$theirs"
	assert_equal "$(layers_of "$CT_PID")" "$(layers_of "$ct")"
}

@test "minibox-exec joins a --privileged container without the layers, by name and by PID" {
	start_container --privileged --name "$NAME" sh -c 'echo ready; exec sleep 60'
	run -0 "$MINIBOX_EXEC" "$NAME" grep -E '^Seccomp:' /proc/self/status
	assert_output $'Seccomp:\t0'
	run -0 "$MINIBOX_EXEC" "$CT_PID" grep -E '^Seccomp:' /proc/self/status
	assert_output $'Seccomp:\t0'
}

@test "-v narrates minibox-exec's layers" {
	start_container --name "$NAME" sh -c 'echo ready; exec sleep 60'
	run -0 --separate-stderr "$MINIBOX_EXEC" -v "$NAME" true
	assert_stderr_regex '^minibox-exec: child: [a-z_]+\(\) = 2, [a-z_]+\(.*\) = [0-9]+: a session and a keyring of our own$'
	assert_stderr_regex '^minibox-exec: child: [a-z_]+\(.*effective=permitted=0xa80425fb, inheritable=0\) = 0$'
	assert_stderr_regex '^minibox-exec: child: seccomp\(.*[0-9]+ instructions\) = 0: [0-9]+ calls refused, '
}

# ---------------------------------------------------------------- the escapes

# bats test_tags=once
@test "escape 1, host sysctls: as root, core_pattern and drop_caches open for writing with --privileged, not without" {
	# opened O_WRONLY and closed again: nothing is written
	local files=(/proc/sys/kernel/core_pattern /proc/sys/vm/drop_caches)
	run -0 "$MB_REAL" --privileged "${OPT[@]}" /opt/escprobe openw "${files[@]}"
	assert_output $'/proc/sys/kernel/core_pattern: writable\n/proc/sys/vm/drop_caches: writable'
	run -0 "$MB_REAL" "${OPT[@]}" /opt/escprobe openw "${files[@]}"
	assert_output $'/proc/sys/kernel/core_pattern: Read-only file system\n/proc/sys/vm/drop_caches: Read-only file system'
}

@test "escape 1, as an unprivileged host uid (--uid-map or rootless) the sysctls stay shut even with --privileged" {
	local map=()
	[ -n "${MB_ROOTLESS:-}" ] || map=(--uid-map 0:100000:65536 --gid-map 0:100000:65536)
	run -0 "$MINIBOX" --privileged "${map[@]}" "${OPT[@]}" /opt/escprobe openw /proc/sys/kernel/core_pattern
	assert_output "/proc/sys/kernel/core_pattern: Permission denied"
}

@test "escape 2, terminal injection: TIOCSTI types into the caller's terminal with --privileged, not without" {
	[ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 1 ] ||
		skip "this kernel refuses TIOCSTI to everyone (dev.tty.legacy_tiocsti = 0)"
	# escprobe pty: a terminal of the test's own, minibox's stdin; afterwards
	# it prints what waits in its input, what the caller's shell would run
	# from chapter 11 on, the container holds no descriptor of the caller's
	# terminal at all: its stdin is a pipe (tests/11-console.bats)
	local typed=$'TIOCSTI: typed\nthe terminal\'s input: echo pwned'
	[ -z "$MB_HAS_TTY" ] || typed=$'TIOCSTI: Inappropriate ioctl for device\nthe terminal\'s input: (nothing)'
	run "$PROBE" pty "$MINIBOX" --privileged "${OPT[@]}" /opt/escprobe type 'echo pwned'
	assert_output "$typed"
	run -1 "$PROBE" pty "$MINIBOX" "${OPT[@]}" /opt/escprobe type 'echo pwned'
	assert_output $'TIOCSTI: Operation not permitted\nthe terminal\'s input: (nothing)'
}

# bats test_tags=once
@test "escape 2, kill(0): as root, the container signals the caller's process group with --privileged, not without" {
	# a session and a group of the test's own play the caller's shell
	local caller='trap "echo the caller got SIGUSR1" USR1; "$@" sh -c "kill -USR1 0"; echo "minibox: $?"'
	run -0 "$BUSYBOX" setsid bash -c "$caller" _ "$MB_REAL" --privileged
	assert_output $'the caller got SIGUSR1\nminibox: 0'
	run -0 "$BUSYBOX" setsid bash -c "$caller" _ "$MB_REAL"
	assert_output "minibox: 0"
}

# bats test_tags=once
@test "escape 3, a setuid program planted in the rootfs gives a host user euid 0 with --privileged; without, the rootfs is read-only" {
	local dir
	dir=$(user_dir)
	! on_nosuid_mount "$dir" ||
		skip "$dir is on a nosuid mount: a planted program could not gain root there anyway"
	cp -a "$REPO/rootfs" "$dir/rootfs"
	local plant='cp /opt/escprobe /planted && chmod 4755 /planted'
	run -1 --separate-stderr "$MB_REAL" --rootfs "$dir/rootfs" "${OPT[@]}" sh -c "$plant"
	assert_error_line "cp: can't create '/planted': Read-only file system"
	[ ! -e "$dir/rootfs/planted" ]
	run -0 "$MB_REAL" --privileged --rootfs "$dir/rootfs" "${OPT[@]}" sh -c "$plant"
	# an ordinary user of the host runs it from the host's path
	run -0 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$dir/rootfs/planted" euid
	assert_output "euid 0"
}

@test "escape 4, a :ro folder remounted read-write and written with --privileged; without, mount is refused" {
	local dir
	dir=$(user_dir)
	run -0 "$MINIBOX" --privileged --bind "$dir:/mnt:ro" sh -c 'mount -o remount,bind,rw /mnt && echo undone >/mnt/file'
	assert_equal "$(cat "$dir/file")" undone
	rm -f "$dir/file"
	run -1 --separate-stderr "$MINIBOX" --bind "$dir:/mnt:ro" sh -c 'mount -o remount,bind,rw /mnt && echo undone >/mnt/file'
	assert_error_line "mount: permission denied (are you root?)"
	[ ! -e "$dir/file" ]
}

# bats test_tags=once
@test "escape 5, limits: with --privileged the container remounts its cgroup read-write and lifts pids.max; without, it cannot" {
	local raise='c=/sys/fs/cgroup; [ -f $c/pids.max ] || c=$c/pids
		mount -o remount,bind,rw $c 2>/dev/null && echo max >$c/pids.max; cat $c/pids.max'
	run -0 "$MB_REAL" --privileged --pids 20 sh -c "$raise"
	if cgroup_v2_host && grep -q '^[^ ]* /sys/fs/cgroup cgroup2 .*nsdelegate' /proc/self/mounts; then
		# cgroup2 mounted with nsdelegate, as systemd does: the kernel keeps a
		# cgroup namespace's root limits from being written from inside
		assert_output $'sh: write error: Operation not permitted\n20'
	else
		assert_output max
	fi
	run -0 "$MB_REAL" --pids 20 sh -c "$raise"
	assert_output 20
}

@test "escape 6, the caller's session keyring: its secret is read with --privileged; without, keyctl is refused" {
	run -0 "$PROBE" keyring "mbtest-$MB_TAG" hush "$MINIBOX" --privileged "${OPT[@]}" /opt/escprobe readkey "mbtest-$MB_TAG"
	assert_output "the caller's key mbtest-$MB_TAG: hush"
	run -1 "$PROBE" keyring "mbtest-$MB_TAG" hush "$MINIBOX" "${OPT[@]}" /opt/escprobe readkey "mbtest-$MB_TAG"
	assert_output "keyctl(KEYCTL_SEARCH): Operation not permitted"
}

# The container's root watches for a process named $1 (minibox-exec, as it
# joins) and opens its /proc/PID/exe; minibox-exec runs $2... up to 30 times;
# the rest: options of minibox. ct.out says what the probe got.
grab_exe() {
	local comm=$1 i
	local -a cmd=("$2")
	shift 2
	start_binary "$MB_REAL" "$@" --name "$NAME" "${OPT[@]}" sh -c \
		"printf '#!/proc/self/exe\n' >/tmp/x && chmod +x /tmp/x && echo ready && exec /opt/escprobe grab $comm 60"
	for i in $(seq 30); do
		grep -q opened "$BATS_TEST_TMPDIR/ct.out" && break
		"$MB_EXEC_REAL" "$NAME" "${cmd[@]}" 2>/dev/null || true
	done
	# opened: the probe's last line comes once minibox-exec is gone (counted
	# at each poll: a count expanded once, when wait_until was called, never
	# changed, and a slow machine's third line was waited for in vain)
	if grep -q opened "$BATS_TEST_TMPDIR/ct.out"; then
		wait_until has_lines 3 "$BATS_TEST_TMPDIR/ct.out"
	fi
}
has_lines() { [ "$(wc -l <"$2")" -ge "$1" ]; }
SEALED=$'/proc/PID/exe opened: /memfd:minibox-exec (deleted)\n/memfd:minibox-exec (deleted): sealed, not writable'

@test "escape 7, minibox-exec's binary: while it joins, the container's root may not open its /proc/PID/exe; with --privileged it opens a sealed copy in memory" {
	# CVE-2019-5736 (runc): the host's binary, once it exits, would open
	# O_WRONLY; the probe would open it and close it again, never write
	grab_exe minibox-exec true --privileged
	run -0 cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output $'ready\nminibox-exec: '"$SEALED"
	grab_exe minibox-exec true
	run -0 cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output ready
}

@test "escape 7, a command that is \"#!/proc/self/exe\" runs minibox-exec again inside, with the image's libc: its /proc/PID/exe is a sealed copy, not the host's file" {
	# a rootfs of the test's own, with the host's ld.so and libc in it
	local dir lib
	dir=$(user_dir)
	cp -a "$REPO/rootfs" "$dir/"
	for lib in $(ldd "$MB_EXEC_REAL" | grep -o '/[^ ]*'); do
		mkdir -p "$dir/rootfs${lib%/*}"
		cp -L "$lib" "$dir/rootfs$lib"
	done
	grab_exe x /tmp/x --rootfs "$dir/rootfs"
	run -0 cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output $'ready\nx: '"$SEALED"
}

# The environment the command starts with: the usual PATH, root's HOME,
# the hostname, and TERM where stdin is a terminal (</dev/null: none).
USUAL_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

@test "escape 8, the caller's environment: the command gets PATH, HOME and HOSTNAME, nothing of the caller's, with --privileged and --init too" {
	local canary=MB_CANARY_TOKEN=mbtest-$MB_TAG
	run -0 env "$canary" "$MINIBOX" --hostname envbox env </dev/null
	assert_output $'PATH='"$USUAL_PATH"$'\nHOME=/root\nHOSTNAME=envbox'
	run -0 env "$canary" "$MINIBOX" --privileged --init env </dev/null
	assert_output $'PATH='"$USUAL_PATH"$'\nHOME=/root\nHOSTNAME=minibox'
}

@test "escape 8: --env sets a variable, replaces a default, and the last of one name wins; a terminal on stdin adds TERM=xterm" {
	run -0 "$MINIBOX" --env A=1 --env HOME=/tmp --env "B=two words" --env A=2 env </dev/null
	assert_output $'PATH='"$USUAL_PATH"$'\nHOME=/tmp\nHOSTNAME=minibox\nA=2\nB=two words'
	if [ -n "$MB_HAS_TTY" ]; then # from chapter 11 on, TERM comes with a terminal: --tty
		run -0 bash -c '"$@" </dev/null | tr -d "\r"' _ "$MINIBOX" --tty env
		assert_output $'PATH='"$USUAL_PATH"$'\nHOME=/root\nHOSTNAME=minibox\nTERM=xterm'
		return
	fi
	run -0 "$PROBE" pty "$MINIBOX" env
	assert_output $'PATH='"$USUAL_PATH"$'\nHOME=/root\nHOSTNAME=minibox\nTERM=xterm\nthe terminal\'s input: (nothing)'
}

@test "escape 8: minibox-exec's command gets the environment minibox recorded, --env included, though the container zeroed its own; by PID, the usual PATH alone" {
	start_container --name "$NAME" --env MB_VAR=given "${OPT[@]}" /opt/escprobe hostile-env
	run -0 env MB_CANARY_TOKEN=mbtest "$MINIBOX_EXEC" "$NAME" env
	assert_output $'PATH='"$USUAL_PATH"$'\nHOME=/root\nHOSTNAME=minibox\nMB_VAR=given'
	run -0 bash -c '"$1" "$2" env | od -An -c | tr -s " \n" " "' - "$MINIBOX_EXEC" "$CT_PID"
	assert_output "$(echo "PATH=$USUAL_PATH" | od -An -c | tr -s " \n" " ")"
}

# An --init PID 1 never execs: /proc/1/environ would show what minibox was
# started with, to the container's processes, and to minibox-exec joining
# by PID.
@test "escape 8, --init: /proc/1/environ inside holds nothing of the caller's, and minibox-exec joining it by PID hands nothing on" {
	local canary=MB_CANARY_TOKEN=mbtest-$MB_TAG
	run -0 env "$canary" "$MINIBOX" --init sh -c 'tr "\0" "\n" </proc/1/environ'
	refute_output --partial "mbtest-$MB_TAG"
	export MB_CANARY_TOKEN=mbtest-$MB_TAG # bats runs each test in a subshell of its own
	start_container --init sh -c 'echo ready; exec sleep 60'
	unset MB_CANARY_TOKEN
	run -0 "$MINIBOX_EXEC" "$CT_PID" env
	refute_output --partial "mbtest-$MB_TAG"
}

@test "escape 8: bad --env values give 125 and one line each" {
	local bad
	for bad in =x 1A=b A-B=c NOEQUALS; do
		run -125 --separate-stderr "$MINIBOX" --env "$bad" true
		assert_error_line "minibox: --env $bad: expected NAME=VALUE, a NAME of letters, digits and \"_\", not a digit first"
	done
	run -125 --separate-stderr "$MINIBOX" --env $'A=line\nbreak' true
	assert_error_line "minibox: --env A: a newline in the value; a record holds one variable a line"
	run -125 --separate-stderr "$MINIBOX" --env "A=$(printf '%04096d' 0)" true
	assert_error_line "minibox: --env A: 4098 bytes, the limit is 4095"
	local many=()
	for bad in $(seq 33); do many+=(--env "V$bad=x"); done
	run -125 --separate-stderr "$MINIBOX" "${many[@]}" true
	assert_error_line "minibox: --env V33=x: at most 32 of them"
	many=()
	for bad in $(seq 5); do many+=(--env "V$bad=$(printf '%04000d' 0)"); done
	run -125 --separate-stderr "$MINIBOX" "${many[@]}" true
	assert_stderr_regex '^minibox: --env: [0-9]+ bytes in all, the limit is 16384$'
}

# The options of the mount at $1 that are among $2 (a regex), one a line,
# from inside: for a command of the container.
mount_opts() { echo "awk '\$2 == \"$1\" { o = \$4 } END { print o }' /proc/self/mounts | tr , '\\n' | grep -xE '$2'"; }

# bats test_tags=once
@test "escape 9, a setuid program in a --bind folder: with --privileged a user inside runs it as root; without, the folder is nosuid,nodev" {
	local dir
	dir=$(user_dir)
	! on_nosuid_mount "$dir" || skip "$dir is on a nosuid mount: no setuid program runs from there anyway"
	cp "$PROBE" "$dir/suid"
	chmod 4755 "$dir/suid"
	# uid and gid 65534 mapped too, so that root inside can become nobody
	local as_nobody='su -s /bin/sh nobody -c "/mnt/suid euid"'
	local maps=(--uid-map 0:0:1 --uid-map 65534:65534:1 --gid-map 0:0:1 --gid-map 65534:65534:1)
	run -0 "$MB_REAL" --privileged "${maps[@]}" --bind "$dir:/mnt:ro" sh -c "$as_nobody"
	assert_output "euid 0"
	run -0 "$MB_REAL" "${maps[@]}" --bind "$dir:/mnt:ro" sh -c "$as_nobody; $(mount_opts /mnt 'nosuid|nodev')"
	assert_output $'euid 65534\nnosuid\nnodev'
	run -0 "$MB_REAL" --privileged --bind "$dir:/mnt" sh -c "$(mount_opts /mnt 'nosuid|nodev') || echo none"
	assert_output none
}

@test "escape 10, no limits: by default /tmp and /dev/shm hold 64 MiB, /dev 64 KiB; each size can be given; --privileged mounts them as chapter 09 did" {
	local sizes='for m in /tmp /dev /dev/shm; do echo "$m $(awk -v m=$m '\''$2 == m { print $4 }'\'' /proc/self/mounts | tr , "\n" | grep "^size=")"; done'
	run -0 "$MINIBOX" sh -c "$sizes"
	assert_output $'/tmp size=65536k\n/dev size=64k\n/dev/shm size=65536k'
	run -0 "$MINIBOX" --tmp-size 1M --dev-size 128K --shm-size 2m sh -c "$sizes"
	assert_output $'/tmp size=1024k\n/dev size=128k\n/dev/shm size=2048k'
	# a tmpfs without size= holds half the RAM: the kernel's default
	run -0 "$MINIBOX" --privileged sh -c "$sizes"
	refute_output --partial 'size=65536k'
	refute_output --partial 'size=64k'
	run -0 "$MINIBOX" sh -c "$ROOTFS_ONLY"'head -c 200000 /dev/zero >/dev/filler 2>/dev/null; echo "head: $?"
		[ "$(wc -c </dev/filler)" -le 65536 ] && echo "/dev/filler: 64 KiB at most"; rm -f /dev/filler'
	assert_output $'head: 1\n/dev/filler: 64 KiB at most'
}

# bats test_tags=once
@test "escape 10: as root the container gets pids.max 2048 without --pids, --pids N as given; --privileged no limit; -v shows each limit" {
	local dir=/sys/fs/cgroup
	[ -d "$dir/pids" ] && dir=$dir/pids # cgroup v1
	run -0 "$MB_REAL" cat "$dir/pids.max"
	assert_output 2048
	run -0 "$MB_REAL" --pids 100 cat "$dir/pids.max"
	assert_output 100
	# --privileged: no cgroup of its own, /sys/fs/cgroup is the host's mount:
	# a cgroup without a limit; on a pure v2 host whose cgroup2 is mounted
	# at the root (the v2 VM), the root, which has no pids.max at all
	run -0 "$MB_REAL" --privileged sh -c "cat $dir/pids.max 2>/dev/null || echo max"
	assert_output max
	run -0 --separate-stderr "$MB_REAL" -v true
	assert_stderr_regex '^minibox: write\(/sys/fs/cgroup/.*minibox-[0-9a-f]{12}/pids.max, "2048"\)$'
	assert_stderr_regex '^minibox: child: mount\(NULL, \./tmp, NULL, MS_NOSUID\|MS_NODEV\|MS_REMOUNT, size=67108864\) = 0$'
	assert_stderr_regex '^minibox: child: mount\(NULL, \./dev, NULL, MS_NOSUID\|MS_REMOUNT, size=65536\) = 0$'
	assert_stderr_regex '^minibox: child: mount\(NULL, \./dev/shm, NULL, MS_NOSUID\|MS_NODEV\|MS_REMOUNT, size=67108864\) = 0$'
}

@test "escape 10: bad sizes give 125 and one line each" {
	local opt
	for opt in --tmp-size --dev-size --shm-size; do
		run -125 --separate-stderr "$MINIBOX" "$opt" 0 true
		assert_error_line "minibox: $opt 0: expected a size above 0, in bytes or with K, M or G, e.g. 64M"
		run -125 --separate-stderr "$MINIBOX" "$opt" 5X true
		assert_error_line "minibox: $opt 5X: expected a size above 0, in bytes or with K, M or G, e.g. 64M"
	done
}

@test "escape 11, the host's device inodes: chmod, chown and touch of /dev/full and of a masked /proc file are refused inside; the devices still read and write" {
	# the mode and owner they have already: were the change let through, only the ctime would move
	run -0 "$MINIBOX" sh -c 'chmod "$(stat -c %a /dev/full)" /dev/full 2>&1
		chown "$(stat -c %u:%g /dev/full)" /dev/full 2>&1
		touch -c -r /dev/full /dev/full 2>&1
		touch -c -r /proc/keys /proc/keys 2>&1
		echo written >/dev/null && head -c 3 /dev/zero | wc -c'
	assert_output $'chmod: /dev/full: Read-only file system\nchown: /dev/full: Read-only file system\ntouch: /dev/full: Read-only file system\ntouch: /proc/keys: Read-only file system\n3'
}

# bats test_tags=once
@test "escape 12, device nodes in the rootfs or a :ro --bind folder: with --privileged they open for writing; without, the rootfs and the folders are nodev" {
	local dir
	dir=$(user_dir)
	cp -a "$REPO/rootfs" "$dir/rootfs"
	mkdir "$dir/folder"
	# /dev/null's numbers (1, 3): a harmless device, and the probe only opens it
	mknod "$dir/rootfs/mbtest-null" c 1 3
	mknod "$dir/folder/mbtest-null" c 1 3
	local run=(--rootfs "$dir/rootfs" --bind "$dir/folder:/mnt:ro" "${OPT[@]}" /opt/escprobe openw /mbtest-null /mnt/mbtest-null)
	run -0 "$MB_REAL" --privileged "${run[@]}"
	assert_output $'/mbtest-null: writable\n/mnt/mbtest-null: writable'
	run -0 "$MB_REAL" "${run[@]}"
	assert_output $'/mbtest-null: Permission denied\n/mnt/mbtest-null: Permission denied'
}

# bats test_tags=once
@test "a rootfs on a nosuid,nodev mount is made read-only too: the flags the kernel locked stay" {
	local dir
	dir=$(user_dir)
	# the mount is made in a mount namespace of the test's own
	run -0 unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o nosuid,nodev mbtest-locked "$1" && cp -a "$2/rootfs" "$1/" &&
		"$3" --rootfs "$1/rootfs" sh -c "touch /mbtest-file 2>&1; true"' \
		sh "$dir" "$MB_TREE" "$MINIBOX"
	assert_output "touch: /mbtest-file: Read-only file system"
}

# On a hybrid host the tests above run the v1 path. In the v2 view the v2
# tree has no pids controller (they are all on v1): the default limit is
# for a host that has one, and minibox must not fail for the want of it.
# bats test_tags=once
@test "on a hybrid host, the v2 path: with no pids controller on v2 the container starts without the default limit; minibox-exec's command is born in its cgroup (CLONE_INTO_CGROUP), with the layers" {
	make_v2_view
	run -0 --separate-stderr "${V2_VIEW[@]}" "$MB_REAL" -v true
	assert_stderr_regex '^minibox: statfs\(/sys/fs/cgroup\) = cgroup2: cgroup v2$'
	[[ $stderr != *pids* ]] || fail "a pids limit on a v2 tree without a pids controller: $(grep pids <<<"$stderr")"
	start_binary "${V2_VIEW[@]}" "$MB_REAL" --name "$NAME" sh -c 'echo ready; exec sleep 60'
	local ct=$CT_PID mb=$MB_PID cgroup
	cgroup=$(v2_cgroup_of "$ct")
	[[ $cgroup == /minibox/minibox-* ]] || fail "the container is not in a minibox-ID cgroup of the v2 tree: 0::$cgroup"
	start_binary "${V2_VIEW[@]}" "$MB_EXEC_REAL" "$NAME" sh -c "$SHOW_LAYERS; echo ready; exec sleep 60"
	assert_equal "cgroup $(v2_cgroup_of "$CT_PID")" "cgroup $cgroup"
	run -0 cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output "$HARDENED"$'\nready'
	kill -KILL "$ct"
	MB_PID=$mb wait_for_minibox
	[ ! -e "/sys/fs/cgroup/unified$cgroup" ] || fail "left behind: /sys/fs/cgroup/unified$cgroup"
}

@test "the host is left clean: no process, mount, interface, cgroup or record" {
	# teardown kills minibox with SIGKILL: the next minibox sweeps its record
	run -0 "$MINIBOX" true
	assert_host_clean
}
