#!/usr/bin/env bats
# Chapter 09-time: --uptime-offset SECONDS gives the container a time
# namespace (unshare(CLONE_NEWTIME), offsets written while it is empty,
# then the child steps in): CLOCK_MONOTONIC and CLOCK_BOOTTIME read SECONDS
# more inside, the host's clocks do not move, the command is still PID 1,
# and minibox-exec joins the time namespace with the others.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

# Names of this file's containers: its own, so that other suites running at
# the same time never meet them. One per test. (MINIBOX_EXEC, the
# minibox-exec under test, comes from tests/helpers.bash.)
NAME=mbt-$MB_TAG-time-$BATS_TEST_NUMBER

# A day, in seconds: far more than a test takes, so that a shifted clock
# cannot pass for the host's.
OFFSET=86400

# The uptime in whole seconds: the first number of /proc/uptime ($1: a
# file, or the output of `cat /proc/uptime`).
seconds() { echo "${1%%.*}"; }

# $2 (the uptime seen inside) is $1 (the host's, read just before) plus the
# offset, within 5 seconds (the time between the two readings).
assert_shifted() {
	local diff=$(($2 - $1 - OFFSET))
	[ "$diff" -ge 0 ] && [ "$diff" -le 5 ] ||
		fail "inside: $2 s, host: $1 s: that is $((diff + OFFSET)) s more, not $OFFSET"
}

@test "inside, /proc/uptime is the host's plus --uptime-offset; the host's has not moved" {
	local before after
	before=$(seconds "$(cat /proc/uptime)")
	run -0 "$MINIBOX" --uptime-offset "$OFFSET" cat /proc/uptime
	assert_shifted "$before" "$(seconds "$output")"
	after=$(seconds "$(cat /proc/uptime)")
	[ $((after - before)) -le 5 ] || fail "the host's uptime went from $before to $after"
}

@test "a negative offset turns the clocks back" {
	local before
	before=$(seconds "$(cat /proc/uptime)")
	[ "$before" -ge 10 ] || skip "this host has been up for less than 10 s"
	run -0 "$MINIBOX" --uptime-offset -5 cat /proc/uptime
	local inside
	inside=$(seconds "$output")
	[ "$inside" -ge $((before - 5)) ] && [ "$inside" -le "$before" ] ||
		fail "inside: $inside s, host: $before s"
}

@test "the container has a time namespace of its own, with both offsets, and the command is PID 1 in it" {
	start_container --uptime-offset "$OFFSET" sh -c 'echo "$$" >/tmp/pid; echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/time"
	assert_output --regexp '^time:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/time)"
	assert_equal "$(readlink "/proc/$CT_PID/ns/time_for_children")" "$output"
	run -0 awk '{ print $1, $2, $3 }' "/proc/$CT_PID/timens_offsets"
	assert_output $'monotonic '"$OFFSET"$' 0\nboottime '"$OFFSET 0"
	run -0 grep '^NSpid:' "/proc/$CT_PID/status"
	assert_output --regexp "	1\$"
}

@test "without --uptime-offset, the container keeps the host's clocks" {
	start_container sh -c 'echo ready; exec sleep 60'
	assert_equal "$(readlink "/proc/$CT_PID/ns/time")" "$(readlink /proc/self/ns/time)"
}

@test "with --init, the init and the command both live in the time namespace" {
	start_container --init --uptime-offset "$OFFSET" sh -c 'echo ready; exec sleep 60'
	local cmd
	cmd=$(first_child "$CT_PID")
	assert_equal "$(readlink "/proc/$cmd/ns/time")" "$(readlink "/proc/$CT_PID/ns/time")"
	[ "$(readlink "/proc/$CT_PID/ns/time")" != "$(readlink /proc/self/ns/time)" ] ||
		fail "the init is in the host's time namespace"
}

@test "minibox-exec joins the time namespace too: it sees the shifted clock" {
	start_container --name "$NAME" --uptime-offset "$OFFSET" sh -c 'echo ready; exec sleep 60'
	local ct=$CT_PID before mode
	for mode in "" --ns-files; do
		before=$(seconds "$(cat /proc/uptime)")
		run -0 "$MINIBOX_EXEC" $mode "$NAME" cat /proc/uptime
		assert_shifted "$before" "$(seconds "$output")"
	done
	: >"$BATS_TEST_TMPDIR/ct.out"
	start_binary "$MINIBOX_EXEC" "$NAME" sh -c 'echo ready; exec sleep 60'
	assert_equal "$(readlink "/proc/$CT_PID/ns/time")" "$(readlink "/proc/$ct/ns/time")"
}

@test "an offset that is not a number, or would take a clock below zero or past the kernel's limit: 125 and one line" {
	local bad
	for bad in x 1.5 "" " 5" +5 - 12s 0x10; do
		run -125 --separate-stderr "$MINIBOX" --uptime-offset "$bad" true
		assert_error_line "minibox: --uptime-offset $bad: expected a whole number of seconds, e.g. 86400 for a day"
	done
	run -125 --separate-stderr "$MINIBOX" --uptime-offset -999999999999 true
	assert_stderr_regex '^minibox: --uptime-offset -999999999999: the clocks would go below zero \(CLOCK_MONOTONIC is at [0-9]+ s\)$'
	# the limit is the clock's, not the offset's: the limit itself, added to the uptime, passes it
	for bad in 9999999999 4611686018; do
		run -125 --separate-stderr "$MINIBOX" --uptime-offset "$bad" true
		assert_error_line "minibox: --uptime-offset $bad: the clocks would pass the kernel's limit, 4611686018 s"
	done
}

@test "-v narrates unshare(CLONE_NEWTIME), the offsets, and the setns() into time_for_children" {
	run -0 --separate-stderr "$MINIBOX" -v --uptime-offset "$OFFSET" true
	assert_stderr_regex '^minibox: child: unshare\(CLONE_NEWTIME\) = 0: a time namespace for our children, not for us$'
	assert_stderr_regex "^minibox: child: write\(/proc/self/timens_offsets, \"monotonic $OFFSET 0\\\\nboottime $OFFSET 0\"\)\$"
	assert_stderr_regex '^minibox: child: setns\(/proc/self/ns/time_for_children, CLONE_NEWTIME\) = 0: in it, still PID 1$'
}

@test "the host is left clean: no process, mount, interface, cgroup or record" {
	# teardown kills minibox with SIGKILL: the next minibox sweeps its record
	run -0 "$MINIBOX" true
	assert_host_clean
}
