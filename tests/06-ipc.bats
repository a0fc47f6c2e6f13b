#!/usr/bin/env bats
# Chapter 06-ipc: the container has IPC objects of its own (CLONE_NEWIPC):
# System V shared memory, message queues, semaphores, and POSIX message
# queues, listed in its own /dev/mqueue. tests/probes/ipcprobe creates and
# finds them: the busybox rootfs has no ipcs.

load helpers

PROBE=$REPO/tests/probes/ipcprobe
# The keys and names these tests use, and remove from the host afterwards:
# this run's own (MB_TAG comes from the run id), so that two suites at once
# never meet, and the clean-host check looks for these alone.
KEY=0x$MB_TAG
QUEUE=/mbtest-queue-$MB_TAG
INSIDE=made-inside-$MB_TAG

setup_file() {
	remember_host
	[ -x "$PROBE" ] || make -s -C "$REPO" probes
}
teardown_file() { restore_host; }
teardown() {
	mb_teardown
	local kind
	for kind in shm msg sem; do "$PROBE" remove "$kind" "$KEY" 2>/dev/null || true; done
	# a broken binary (a lab, the previous chapter's) makes "inside" on the host
	"$PROBE" remove mq "$QUEUE" 2>/dev/null || true
	"$PROBE" remove mq "/$INSIDE" 2>/dev/null || true
}

# Run the probe inside a container: the probes folder (of the tree the
# minibox under test works from) is bound read-only.
probe_inside() { "$MINIBOX" --bind "$MB_TREE/tests/probes:/opt:ro" /opt/ipcprobe "$@"; }

@test "System V objects made on the host are invisible inside" {
	local kind
	for kind in shm msg sem; do
		"$PROBE" create "$kind" "$KEY"
		run -0 "$PROBE" find "$kind" "$KEY"
		run -1 probe_inside find "$kind" "$KEY"
		assert_output "missing"
	done
}

@test "a POSIX message queue made on the host is invisible inside" {
	"$PROBE" create mq "$QUEUE"
	run -1 probe_inside find mq "$QUEUE"
	assert_output "missing"
}

@test "objects made inside are invisible on the host while the container runs" {
	start_container --bind "$MB_TREE/tests/probes:/opt:ro" sh -c \
		"for k in shm msg sem; do /opt/ipcprobe create \$k $KEY || exit; done
		 /opt/ipcprobe create mq $QUEUE && echo ready && exec sleep 60"
	local kind
	for kind in shm msg sem; do
		run -1 "$PROBE" find "$kind" "$KEY"
		# ...and the host sees them only by entering the container's namespace
		run -0 nsenter --ipc --target "$CT_PID" -- "$PROBE" find "$kind" "$KEY"
	done
	run -1 "$PROBE" find mq "$QUEUE"
	run -0 nsenter --ipc --target "$CT_PID" -- "$PROBE" find mq "$QUEUE"
}

@test "objects made inside are gone when the container ends" {
	run -0 probe_inside create shm "$KEY"
	run -1 "$PROBE" find shm "$KEY"
	# a new container has a new namespace: nothing of the last one is left
	run -1 probe_inside find shm "$KEY"
	assert_output "missing"
}

@test "/dev/mqueue inside lists only the container's queues" {
	"$PROBE" create mq "$QUEUE"
	run -0 "$MINIBOX" --bind "$MB_TREE/tests/probes:/opt:ro" sh -c \
		"/opt/ipcprobe create mq /$INSIDE && ls /dev/mqueue"
	assert_output "$INSIDE"
}

@test "the container's IPC namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/ipc"
	assert_output --regexp '^ipc:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/ipc)"
}

@test "-v narrates CLONE_NEWIPC and the mqueue mount" {
	run -0 --separate-stderr "$MINIBOX" -v true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|]*CLONE_NEWIPC[A-Z_|]*, exit_signal=SIGCHLD\)'
	assert_stderr_regex '^minibox: child: mount\(mqueue, .*/dev/mqueue, mqueue, MS_NOSUID\|MS_NODEV\|MS_NOEXEC, NULL\) = 0$'
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
