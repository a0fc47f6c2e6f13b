#!/usr/bin/env bats
# Chapter 01-uts: the container has a hostname of its own (CLONE_NEWUTS).

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

@test "the container sees the hostname it was given" {
	run -0 "$MINIBOX" --hostname lab-host hostname
	assert_output "lab-host"
}

@test "without --hostname the container is called minibox" {
	run -0 "$MINIBOX" hostname
	assert_output "minibox"
}

@test "a hostname of exactly 64 characters is accepted" {
	local name
	name=$(printf 'h%.0s' {1..64})
	run -0 "$MINIBOX" --hostname "$name" hostname
	assert_output "$name"
}

@test "the host's hostname is unchanged while the container runs" {
	start_container --hostname lab-host sh -c 'echo ready; exec sleep 60'
	run -0 hostname
	assert_output "$(cat "$BATS_FILE_TMPDIR/hostname")"
	# The name lives in the container's UTS namespace: enter it to see it.
	run -0 nsenter --uts --target "$CT_PID" hostname
	assert_output "lab-host"
}

@test "the host's hostname is unchanged afterwards" {
	run -0 "$MINIBOX" --hostname lab-host true
	run -0 hostname
	assert_output "$(cat "$BATS_FILE_TMPDIR/hostname")"
}

@test "the container's UTS namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/uts"
	assert_output --regexp '^uts:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/uts)"
}

@test "-v narrates CLONE_NEWUTS and sethostname()" {
	run -0 --separate-stderr "$MINIBOX" -v --hostname lab-host true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|]*CLONE_NEWUTS[A-Z_|]*, exit_signal=SIGCHLD\) = [0-9]+ \(host pid\)$'
	assert_stderr_regex '^minibox: child: sethostname\("lab-host"\) = 0$'
}

@test "a hostname over 64 characters gives 125 and one line, and starts nothing" {
	run -125 --separate-stderr "$MINIBOX" -v --hostname "$(printf 'h%.0s' {1..65})" true
	assert_error_line "minibox: --hostname: 65 characters, the limit is 64"
}

@test "an empty hostname gives 125 and one line, and starts nothing" {
	run -125 --separate-stderr "$MINIBOX" -v --hostname "" true
	assert_error_line "minibox: --hostname: empty, give 1 to 64 characters"
}

@test "--hostname without a value gives 125 and one line" {
	run -125 --separate-stderr "$MINIBOX" --hostname
	assert_error_line "minibox: --hostname: needs a value"
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
