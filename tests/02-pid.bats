#!/usr/bin/env bats
# Chapter 02-pid: the container has PID numbers of its own (CLONE_NEWPID);
# --init keeps a tiny init at PID 1; minibox passes signals on.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

@test "the command is PID 1" {
	run -0 "$MINIBOX" sh -c 'echo $$'
	assert_output "1"
}

@test "the host sees the container's PID 1 under its own number (NSpid has both)" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 grep '^NSpid:' "/proc/$CT_PID/status"
	assert_output "$(printf 'NSpid:\t%s\t1' "$CT_PID")"
}

@test "the container's PID namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/pid"
	assert_output --regexp '^pid:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/pid)"
}

# bats test_tags=once
@test "the kernel names the host's PID namespace as the parent of the container's (NS_GET_PARENT)" {
	start_binary "$MB_REAL" sh -c 'echo ready; exec sleep 60'
	run -0 nsrel "/proc/$CT_PID/ns/pid"
	assert_output --regexp "^/proc/$CT_PID/ns/pid $(stat -L -c %i "/proc/$CT_PID/ns/pid") [0-9]+ $(stat -L -c %i /proc/self/ns/pid)\$"
}

@test "with --init, the command is PID 2 and the init is PID 1" {
	run -0 "$MINIBOX" --init sh -c 'echo $$'
	assert_output "2"
	start_container --init sh -c 'echo ready; exec sleep 60'
	run -0 grep '^NSpid:' "/proc/$CT_PID/status"
	assert_output "$(printf 'NSpid:\t%s\t1' "$CT_PID")"
	run -0 grep '^NSpid:' "/proc/$(first_child "$CT_PID")/status"
	assert_output --regexp $'^NSpid:\t[0-9]+\t2$'
}

@test "without --init, an orphan stays a zombie under a PID 1 that does not reap" {
	start_container sh -c '(sleep 0.1 &); echo ready; exec sleep 60'
	wait_until has_zombie "$(readlink "/proc/$CT_PID/ns/pid")"
}

@test "with --init, an orphaned grandchild is reaped while the container runs" {
	start_container --init sh -c '(sleep 0.1 &); echo ready; exec sleep 60'
	local ns
	ns=$(readlink "/proc/$CT_PID/ns/pid")
	sleep 0.6 # the orphan has ended by now
	run zombies_in_pidns "$ns"
	assert_output ""
	# what is left is the init and the command
	run pids_in_pidns "$ns"
	assert_equal "${#lines[@]}" 2
}

@test "signals sent to minibox reach the container's PID 1" {
	local sig
	for sig in INT TERM HUP QUIT USR1 USR2; do
		# A PID 1 gets only the signals it has a handler for: trap sets one.
		start_container sh -c "trap 'echo got $sig; exit 7' $sig; echo ready; while :; do sleep 0.05; done"
		kill -"$sig" "$MB_PID"
		wait_for_minibox
		assert_equal "$STATUS" 7
		run cat "$BATS_TEST_TMPDIR/ct.out"
		assert_line "got $sig"
	done
}

@test "with --init, SIGTERM sent to minibox on the host ends the container with 143" {
	start_container --init sh -c 'echo ready; exec sleep 60'
	kill -TERM "$MB_PID"
	wait_for_minibox
	assert_equal "$STATUS" 143
}

@test "without --init, SIGTERM does not stop a sleep running as PID 1 (the lesson)" {
	start_container -v sh -c 'echo ready; exec sleep 60'
	# the shell that said "ready" may not have become sleep yet
	wait_until grep -qx sleep "/proc/$CT_PID/comm"
	kill -TERM "$MB_PID"
	# minibox passed it on...
	wait_until grep -q "kill($CT_PID, 15): passing on" "$BATS_TEST_TMPDIR/ct.err"
	sleep 0.3
	# ...and PID 1, with no handler for it, ignored it.
	kill -0 "$CT_PID"
	kill -0 "$MB_PID"
	# teardown ends it with SIGKILL, which no PID 1 can ignore
}

@test "killing the container's PID 1 ends every process in it" {
	start_container sh -c 'sleep 60 & sleep 60 & echo ready; wait'
	local ns
	ns=$(readlink "/proc/$CT_PID/ns/pid")
	run pids_in_pidns "$ns"
	assert_equal "${#lines[@]}" 3
	kill -KILL "$CT_PID"
	wait_until pidns_empty "$ns"
}

@test "killing minibox with SIGKILL ends every process in the container, init or not" {
	local ns
	for init in "" --init; do
		start_container $init sh -c 'sleep 60 & sleep 60 & echo ready; wait'
		ns=$(readlink "/proc/$CT_PID/ns/pid")
		kill -KILL "$MB_PID"
		wait_until pidns_empty "$ns"
	done
}

@test "-v narrates CLONE_NEWPID, and with --init the fork() of the command" {
	run -0 --separate-stderr "$MINIBOX" -v --init true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|]*CLONE_NEWPID[A-Z_|]*, exit_signal=SIGCHLD\) = [0-9]+ \(host pid\)$'
	assert_stderr_regex '^minibox: child: init: fork\(\) = 2, the command$'
}

@test "--init reaps orphans that end together" {
	start_container --init sh -c '(for i in 1 2 3 4 5 6; do sleep 0.5 & done); echo ready; exec sleep 30'
	local ns
	ns=$(readlink "/proc/$CT_PID/ns/pid")
	# The init is stopped while its six orphans end: their six SIGCHLDs
	# become one pending signal, which it must take for all of them.
	kill -STOP "$CT_PID"
	sleep 1
	kill -CONT "$CT_PID"
	sleep 0.5
	run zombies_in_pidns "$ns"
	assert_output ""
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
