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

# $2 (the uptime seen inside) is the host's plus the offset: at least $1
# (the host's, read just before) plus it, at most the host's now (read
# again, after the one inside) plus it. No fixed margin: a slow machine
# (the v2 VM under software emulation, loaded) took more than 5 s between.
assert_shifted() {
	local now
	now=$(seconds "$(cat /proc/uptime)")
	[ "$2" -ge $(($1 + OFFSET)) ] && [ "$2" -le $((now + OFFSET)) ] ||
		fail "inside: $2 s, host: $1 s before, $now s after: not the host's plus $OFFSET"
}

@test "inside, /proc/uptime is the host's plus --uptime-offset; the host's has not moved" {
	local before after
	before=$(seconds "$(cat /proc/uptime)")
	run -0 "$MINIBOX" --uptime-offset "$OFFSET" cat /proc/uptime
	assert_shifted "$before" "$(seconds "$output")"
	after=$(seconds "$(cat /proc/uptime)")
	[ $((after - before)) -lt "$OFFSET" ] || fail "the host's uptime went from $before to $after"
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
	# past 64 bits too (strtoll says ERANGE): no number to compare with the limits
	for bad in x 1.5 "" " 5" +5 - 12s 0x10 99999999999999999999 -99999999999999999999; do
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

# ---- each limit just inside and just outside (found by a mutation hunt)

# The whole seconds of the two clocks minibox checks the offset against,
# as the host reads them: CLOCK_MONOTONIC ("now at" in /proc/timer_list,
# ktime_get()), CLOCK_BOOTTIME (the uptime, which counts suspend too).
monotonic_seconds() { awk '/^now at / { print int($3 / 1000000000); exit }' /proc/timer_list; }
boottime_seconds() { seconds "$(cat /proc/uptime)"; }
# Run minibox with --uptime-offset (clock $1, offset $2 added to its
# seconds) until that clock's second did not turn meanwhile (minibox then
# read the same second as we did): the edge is exact. Each try starts just
# after the second turned, so that minibox has nearly all of it (a slow
# machine, the v2 VM under software emulation, takes a good part of one
# second for a run); at most 10 tries.
run_at_edge() {
	local clock=$1 add=$2 try before after
	shift 2
	for try in 1 2 3 4 5 6 7 8 9 10; do
		after=$("${clock}_seconds")
		until before=$("${clock}_seconds") && [ "$before" != "$after" ]; do sleep 0.01; done
		EDGE=$((add - before)) # -seconds + add for the lower limit, limit - seconds for the upper
		[ "$clock" = monotonic ] && EDGE=$((-before - add))
		run --separate-stderr "$MINIBOX" --uptime-offset "$EDGE" "$@"
		after=$("${clock}_seconds")
		[ "$after" != "$before" ] || return 0
	done
	fail "the second of $clock turned during each of $try tries"
}

@test "the lower limit, just inside: minus CLOCK_MONOTONIC's seconds is taken, 0 and nothing on stderr" {
	run_at_edge monotonic 0 true
	assert_equal "$status $stderr" "0 "
}

@test "the lower limit, just outside: one second more below is refused, 125 and one line" {
	run_at_edge monotonic 1 true
	assert_equal "$status" 125
	assert_error_line "minibox: --uptime-offset $EDGE: the clocks would go below zero (CLOCK_MONOTONIC is at $((-EDGE - 1)) s)"
}

@test "the upper limit, just inside: the kernel's limit minus CLOCK_BOOTTIME's seconds is taken, the uptime inside reads the limit, 4611686018 s" {
	run_at_edge boottime 4611686018 cat /proc/uptime
	assert_equal "$status $stderr" "0 "
	assert_equal "$(seconds "$output")" 4611686018
}

@test "the upper limit, just outside: one second more is refused before the container starts, 125 and one line" {
	run_at_edge boottime 4611686019 true
	assert_equal "$status" 125
	assert_error_line "minibox: --uptime-offset $EDGE: the clocks would pass the kernel's limit, 4611686018 s"
}

# A host that has been suspended: CLOCK_BOOTTIME (the uptime) is ahead of
# CLOCK_MONOTONIC, which stops meanwhile. A time namespace of the test's own
# makes one, the uptime 1000 s ahead. The kernel refuses an offset that takes
# either clock below zero: the lower limit is CLOCK_MONOTONIC's.
@test "on a host that has been suspended (the uptime ahead of CLOCK_MONOTONIC), an offset below minus CLOCK_MONOTONIC is refused before the container starts: 125 and one line" {
	local bad
	bad=-$(($(monotonic_seconds) + 500))
	run -125 --separate-stderr unshare --time --boottime 1000 "$MINIBOX" --uptime-offset "$bad" true
	[[ $stderr =~ ^minibox:\ --uptime-offset\ $bad:\ the\ clocks\ would\ go\ below\ zero\ \(CLOCK_MONOTONIC\ is\ at\ [0-9]+\ s\)$ ]] ||
		fail "stderr is not the one line expected: $stderr"
}

# On a hybrid host the tests above run the v1 path. On v2, minibox-exec's
# command is born in the container's cgroup (clone3 with CLONE_INTO_CGROUP),
# and in its time namespace all the same.
# bats test_tags=once
@test "on a hybrid host, the v2 path: minibox-exec's command, born in the container's cgroup (CLONE_INTO_CGROUP), lives in its time namespace and sees the shifted clock" {
	make_v2_view
	start_binary "${V2_VIEW[@]}" "$MB_REAL" --name "$NAME" --uptime-offset "$OFFSET" sh -c 'echo ready; exec sleep 60'
	local ct=$CT_PID mb=$MB_PID cgroup before
	cgroup=$(v2_cgroup_of "$ct")
	[[ $cgroup == /minibox/minibox-* ]] || fail "the container is not in a minibox-ID cgroup of the v2 tree: 0::$cgroup"
	before=$(seconds "$(cat /proc/uptime)")
	start_binary "${V2_VIEW[@]}" "$MB_EXEC_REAL" "$NAME" sh -c 'cat /proc/uptime; echo ready; exec sleep 60'
	assert_equal "cgroup $(v2_cgroup_of "$CT_PID")" "cgroup $cgroup"
	assert_equal "$(readlink "/proc/$CT_PID/ns/time")" "$(readlink "/proc/$ct/ns/time")"
	assert_shifted "$before" "$(seconds "$(head -n 1 "$BATS_TEST_TMPDIR/ct.out")")"
	kill -KILL "$ct"
	MB_PID=$mb wait_for_minibox
	[ ! -e "/sys/fs/cgroup/unified$cgroup" ] || fail "left behind: /sys/fs/cgroup/unified$cgroup"
}

@test "the host is left clean: no process, mount, interface, cgroup or record" {
	# teardown kills minibox with SIGKILL: the next minibox sweeps its record
	run -0 "$MINIBOX" true
	assert_host_clean
}
