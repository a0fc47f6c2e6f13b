#!/usr/bin/env bats
# Chapter 07-cgroup: the container has a cgroup of its own, with limits
# (--memory, --pids, --cpus), on cgroup v2 or v1; and a cgroup namespace
# (CLONE_NEWCGROUP) that shows that cgroup as the root. The limits need
# root here; the rootless pass checks that an ordinary user is told why.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

# Where the container sees its own cgroup's files for controller $1.
inside_dir() { if cgroup_v2_host; then echo /sys/fs/cgroup; else echo "/sys/fs/cgroup/$1"; fi; }

@test "inside, /proc/self/cgroup shows the container's cgroup as the root" {
	run -0 "$MINIBOX" cat /proc/self/cgroup
	local line
	for line in "${lines[@]}"; do
		[[ $line == *:/ ]] || fail "not the root: $line"
	done
}

@test "the container's cgroup namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/cgroup"
	assert_output --regexp '^cgroup:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/cgroup)"
}

# bats test_tags=once
@test "/sys/fs/cgroup inside shows only the container's own cgroup, read-only" {
	local dir
	dir=$(inside_dir pids)
	run -0 "$MB_REAL" --pids 8 sh -c "cat $dir/pids.max; find $dir -mindepth 1 -type d | wc -l"
	assert_output $'8\n0'
	run -1 --separate-stderr "$MB_REAL" --pids 8 sh -c "echo 1000 > $dir/pids.max"
	assert_error_line "sh: can't create $dir/pids.max: Read-only file system"
}

# bats test_tags=once
@test "the container runs in a minibox-PID cgroup of its own" {
	start_binary "$MB_REAL" --pids 8 sh -c 'echo ready; exec sleep 60'
	run -0 cgroup_dir_of "$CT_PID" pids
	assert_output --regexp "/minibox/minibox-$MB_PID\$"
	run -0 cat "$output/pids.max"
	assert_output "8"
}

# bats test_tags=once
@test "a fork bomb under --pids 16 makes no more than 16 tasks, and the host is unaffected" {
	# the bomb goes off in a subshell: a shell that cannot fork gives up
	start_binary "$MB_REAL" --pids 16 sh -c '(for i in $(seq 40); do sleep 10 & done) 2>/dev/null; echo ready; exec sleep 60'
	local dir
	dir=$(cgroup_dir_of "$CT_PID" pids)
	run -0 cat "$dir/pids.current"
	[ "$output" -le 16 ] || fail "pids.current is $output"
	[ "$output" -ge 15 ] || fail "only $output tasks: the bomb did not go off"
	run -0 grep '^max ' "$dir/pids.events"
	[ "${output#max }" -ge 1 ] || fail "pids.events: $output"
	run -0 sh -c 'sleep 0 & wait; echo the host forks'
	assert_output "the host forks"
}

# bats test_tags=once
@test "a process that allocates 256 MiB under --memory 32M is killed by the OOM killer (137)" {
	run -137 "$MB_REAL" --memory 32M dd if=/dev/zero of=/dev/null bs=256M count=1
}

# bats test_tags=once
@test "the memory cgroup records the OOM kill" {
	local events=memory.events
	cgroup_v2_host || events=memory.oom_control
	run -0 "$MB_REAL" --memory 32M sh -c \
		"dd if=/dev/zero of=/dev/null bs=256M count=1 2>/dev/null; echo dd: \$?; grep '^oom_kill ' $(inside_dir memory)/$events"
	assert_output $'dd: 137\noom_kill 1'
}

# bats test_tags=once
@test "--cpus 0.5 holds a busy loop near half a CPU, by the cgroup's own count" {
	start_binary "$MB_REAL" --cpus 0.5 sh -c 'echo ready; while :; do :; done'
	local dir file t0 t1 u0 u1 share
	if cgroup_v2_host; then
		dir=$(cgroup_dir_of "$CT_PID" cpu)
		usage() { awk '$1 == "usage_usec" { print $2 * 1000 }' "$dir/cpu.stat"; }
	else
		dir=$(cgroup_dir_of "$CT_PID" cpuacct)
		usage() { cat "$dir/cpuacct.usage"; }
	fi
	u0=$(usage) t0=${EPOCHREALTIME/./}
	sleep 1.5
	u1=$(usage) t1=${EPOCHREALTIME/./}
	# CPU nanoseconds per wall microsecond / 10 = percent of one CPU
	share=$(((u1 - u0) / (t1 - t0) / 10))
	[ "$share" -ge 30 ] && [ "$share" -le 70 ] || fail "the loop used $share% of a CPU"
}

# bats test_tags=once
@test "the cgroup is gone after the container exits" {
	start_binary "$MB_REAL" --memory 64M --pids 16 sh -c 'echo ready; exec sleep 60'
	run -0 find /sys/fs/cgroup -maxdepth 3 -name "minibox-$MB_PID"
	[ -n "$output" ]
	kill -KILL "$CT_PID"
	wait_for_minibox
	run -0 find /sys/fs/cgroup -maxdepth 3 -name "minibox-$MB_PID"
	assert_output ""
}

# bats test_tags=once
@test "after kill -9 of minibox, its cgroup is swept when the next minibox starts" {
	start_binary "$MB_REAL" --pids 16 sh -c 'echo ready; exec sleep 60'
	local mb=$MB_PID
	kill -KILL "$MB_PID"
	wait_until gone "$CT_PID"
	run -0 find /sys/fs/cgroup -maxdepth 3 -name "minibox-$mb"
	[ -n "$output" ] # no time to clean up...
	run -0 "$MB_REAL" true
	run -0 find /sys/fs/cgroup -maxdepth 3 -name "minibox-$mb"
	assert_output "" # ...swept by the next one
}

# bats test_tags=once
@test "as an ordinary user without a writable cgroup, limits give 125 and say why" {
	cgroup_v2_host && [ -w "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)" ] &&
		skip "this cgroup is writable: the delegated path is tested by make test-vm"
	run -125 --separate-stderr as_nobody "$MB_REAL" --pids 16 true
	assert_stderr_regex '^minibox: --memory, --pids, --cpus: limits need a cgroup this user may write, and '
	assert_stderr_regex '^hint: on cgroup v2, run minibox in a delegated cgroup: systemd-run --user --scope -p Delegate=yes chapters/07-cgroup/minibox \.\.\.$'
	assert_equal "$(wc -l <<<"$stderr")" 2
}

@test "bad sizes and limits give 125 and one line each" {
	local bad
	for bad in 0 -1 12X "" 1.5G; do
		run -125 --separate-stderr "$MINIBOX" --memory "$bad" true
		assert_error_line "minibox: --memory $bad: expected a size above 0, in bytes or with K, M or G, e.g. 64M"
	done
	run -125 --separate-stderr "$MINIBOX" --memory 512K true
	assert_error_line "minibox: --memory 512K: too small to start a process, give at least 1M"
	for bad in 0 -3 x 2.5; do
		run -125 --separate-stderr "$MINIBOX" --pids "$bad" true
		assert_error_line "minibox: --pids $bad: expected a whole number from 1 to 4194304"
	done
	for bad in 0 -1 x; do
		run -125 --separate-stderr "$MINIBOX" --cpus "$bad" true
		assert_error_line "minibox: --cpus $bad: expected a number of CPUs from 0.01 up, e.g. 0.5"
	done
	run -125 --separate-stderr "$MINIBOX" --cpus 4096 true
	assert_error_line "minibox: --cpus 4096: this host has $(nproc) CPUs"
}

# bats test_tags=once
@test "-v narrates the cgroup: its version, mkdir, the limits, unshare(CLONE_NEWCGROUP)" {
	run -0 --separate-stderr "$MB_REAL" -v --pids 16 true
	assert_stderr_regex '^minibox: statfs\(/sys/fs/cgroup\) = (cgroup2: cgroup v2|not cgroup2: cgroup v1)$'
	assert_stderr_regex '^minibox: mkdir\(/sys/fs/cgroup/.*minibox/minibox-[0-9]+\) = 0$'
	assert_stderr_regex '^minibox: write\(/sys/fs/cgroup/.*minibox-[0-9]+/pids.max, "16"\)$'
	assert_stderr_regex '^minibox: child: unshare\(CLONE_NEWCGROUP\) = 0$'
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
