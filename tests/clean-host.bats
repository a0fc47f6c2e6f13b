#!/usr/bin/env bats
# The clean-host check itself (tests/helpers.bash, assert_host_clean): it
# counts only what this run created, yet a leak of this run still fails it.
# Not a chapter's properties: scripts/test.sh runs this file once, with the
# last chapter's binary (MINIBOX=...; chapter 02's on by default).

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }
teardown() {
	# a leak whose test failed before ending it
	[ -n "${LEAKED:-}" ] && kill -KILL "$LEAKED" 2>/dev/null
	mb_teardown
}

# A leaked container: minibox runs on, but is no longer in the list of what
# teardown stops. LEAKED holds its PID, so the test can end it by that id.
# (A check expected to fail waits PATIENCE seconds for the host to settle:
# there 1 s. Starting and ending a container keep the usual patience, which
# a slow machine needs: the v2 VM under software emulation; and the leak
# sleeps long enough to outlive a slow test.)
leak_container() {
	start_container sh -c 'echo ready; exec sleep 600'
	LEAKED=$MB_PID
	rm -f "$BATS_TEST_TMPDIR/started" "$BATS_TEST_TMPDIR/started-uts"
}
end_leak() {
	kill -KILL "$LEAKED"
	wait "$LEAKED" 2>/dev/null || true
	wait_until gone "$CT_PID"
}

@test "a container this file leaks fails the clean-host check, naming it" {
	leak_container
	PATIENCE=1 run assert_host_clean
	assert_failure
	assert_output --partial "left behind: process $LEAKED "
	end_leak
	run assert_host_clean
	assert_success
}

@test "a container of another run (another MB_RUN_ID) does not fail it" {
	MB_RUN_ID=someone-else leak_container
	run assert_host_clean
	assert_success
	end_leak
}

@test "a System V object with this run's key fails it; another key does not" {
	local probe=$REPO/tests/probes/ipcprobe other=0x$(printf '%08x' $((0x$MB_TAG ^ 1)))
	[ -x "$probe" ] || skip "tests/probes/ipcprobe is not built: make probes"
	"$probe" create shm "$other"
	run assert_host_clean
	"$probe" remove shm "$other"
	assert_success
	"$probe" create shm "0x$MB_TAG"
	PATIENCE=1 run assert_host_clean
	"$probe" remove shm "0x$MB_TAG"
	assert_failure
	assert_output --partial "ipc /proc/sysvipc/shm $((0x$MB_TAG))"
}

@test "a cgroup a leaked container of this run is in fails it" {
	"$MB_REAL" --help | grep -q -- --pids || skip "needs chapter 07's binary (MINIBOX=chapters/07-cgroup/minibox)"
	start_binary "$MB_REAL" --pids 16 sh -c 'echo ready; exec sleep 600'
	LEAKED=$MB_PID
	rm -f "$BATS_TEST_TMPDIR/started" "$BATS_TEST_TMPDIR/started-uts"
	PATIENCE=1 run assert_host_clean
	assert_failure
	assert_output --regexp "cgroup [a-z,_]* /.*minibox-"
	end_leak
}

@test "a mount another program makes meanwhile does not fail it; one in this run's folders does" {
	local elsewhere mine
	elsewhere=$(mktemp -d /tmp/mbtest-elsewhere.XXXXXX)
	mount -t tmpfs -o size=64k mbtest-elsewhere "$elsewhere"
	run assert_host_clean
	umount "$elsewhere"
	rmdir "$elsewhere"
	assert_success
	mine=$BATS_TEST_TMPDIR/mine
	mkdir "$mine"
	mount -t tmpfs -o size=64k mbtest-mine "$mine"
	PATIENCE=1 run assert_host_clean
	umount "$mine"
	assert_failure
	assert_output --partial "mount $mine tmpfs mbtest-mine"
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
