#!/usr/bin/env bats
# Chapter 04-user: the container has user IDs of its own (CLONE_NEWUSER):
# root inside, an ordinary user outside. scripts/test.sh runs this file as
# root and again as the ordinary user (MB_ROOTLESS=1, tests/user.bash says
# who that is); MB_UID and MB_GID are the host ids minibox runs as.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

@test "the default maps are container 0 to the invoking user, one id each" {
	run -0 "$MINIBOX" sh -c "awk '{ print \$1, \$2, \$3 }' /proc/self/uid_map /proc/self/gid_map"
	assert_output "0 $MB_UID 1
0 $MB_GID 1"
}

@test "inside, the command is root: uid 0 and gid 0" {
	run -0 "$MINIBOX" sh -c 'id -u; id -g'
	assert_output $'0\n0'
}

@test "on the host, the container's process has the invoking user's uid and gid" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 stat -c '%u %g' "/proc/$CT_PID"
	assert_output "$MB_UID $MB_GID"
}

@test "the container's user namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/user"
	assert_output --regexp '^user:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/user)"
}

# bats test_tags=once
@test "as root, --uid-map 0:100000:65536 makes container root host uid 100000" {
	local dir
	dir=$(user_dir)
	chown 100000:100000 "$dir"
	start_binary "$MB_REAL" --uid-map 0:100000:65536 --gid-map 0:100000:65536 --bind "$dir:/srv" \
		sh -c 'touch /srv/made-inside; echo ready; exec sleep 60'
	run -0 stat -c '%u %g' "/proc/$CT_PID"
	assert_output "100000 100000"
	run -0 cat "/proc/$CT_PID/uid_map"
	assert_output --regexp '^ +0 +100000 +65536$'
	# a file the container's root creates belongs to host uid 100000
	run -0 stat -c '%u %g' "$dir/made-inside"
	assert_output "100000 100000"
}

@test "files of users the map does not name show up as nobody (65534)" {
	local dir
	dir=$(user_dir)
	touch "$dir/someone-elses"
	chown 12345:12345 "$dir/someone-elses"
	run -0 "$MINIBOX" --bind "$dir:/srv" stat -c '%u %g' /srv/someone-elses
	assert_output "65534 65534"
}

@test "root inside cannot write a host file whose owner the map does not name" {
	local dir
	dir=$(user_dir)
	echo "the host's" >"$dir/host-owned"
	chown 12345:12345 "$dir/host-owned"
	chmod 644 "$dir/host-owned"
	run -1 --separate-stderr "$MINIBOX" --bind "$dir:/srv" sh -c "$ROOTFS_ONLY"'echo changed >/srv/host-owned'
	assert_error_line "sh: can't create /srv/host-owned: Permission denied"
	run -0 cat "$dir/host-owned"
	assert_output "the host's"
}

@test "root inside cannot load a kernel module" {
	[ -e /proc/modules ] || skip "this kernel cannot load modules at all (CONFIG_MODULES=n)"
	# init_module() checks CAP_SYS_MODULE in the host's user namespace first.
	run -1 --separate-stderr "$MINIBOX" insmod /etc/passwd
	assert_error_line "insmod: can't insert '/etc/passwd': Operation not permitted"
}

@test "root inside cannot create a device node or raise its priority" {
	# CAP_MKNOD and CAP_SYS_NICE count only in the host's user namespace.
	run -1 --separate-stderr "$MINIBOX" sh -c "$ROOTFS_ONLY"'mknod /tmp/disk b 8 0'
	assert_error_line "mknod: /tmp/disk: Operation not permitted"
	run -1 --separate-stderr "$MINIBOX" renice -n -5 -p 1
	assert_error_line "renice: setpriority: Permission denied"
}

# bats test_tags=once
@test "killing minibox with SIGKILL kills a container whose ids were changed" {
	# setresuid() clears the parent-death signal: minibox must ask again.
	start_binary "$MB_REAL" --uid-map 0:100000:65536 --gid-map 0:100000:65536 \
		sh -c 'echo ready; exec sleep 60'
	kill -KILL "$MB_PID"
	wait_until gone "$CT_PID"
}

@test "root inside renames only its own UTS namespace, never the host" {
	run -0 "$MINIBOX" "${PRIVILEGED[@]}" sh -c 'hostname mbtest-renamed && hostname'
	assert_output "mbtest-renamed"
	assert_equal "$(hostname)" "$(cat "$BATS_FILE_TMPDIR/hostname")"
}

@test "-v narrates the uid_map and gid_map writes, before go" {
	run -0 --separate-stderr "$MINIBOX" -v true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|]*CLONE_NEWUSER[A-Z_|]*, exit_signal=SIGCHLD\)'
	assert_stderr_regex "^minibox: write\\(/proc/[0-9]+/uid_map, \"0 $MB_UID 1\"\\)$"
	assert_stderr_regex "^minibox: write\\(/proc/[0-9]+/gid_map, \"0 $MB_GID 1\"\\)$"
	# the maps are written before the child may go on
	run -0 grep -n -e 'gid_map' -e 'write(sync pipe' <<<"$stderr"
	assert_line --index 0 --partial gid_map
}

@test "a malformed map gives 125 and one line" {
	run -125 --separate-stderr "$MINIBOX" --uid-map 0:1000 true
	assert_error_line "minibox: --uid-map 0:1000: expected CONTAINER:HOST:COUNT, three numbers"
	run -125 --separate-stderr "$MINIBOX" --gid-map 0:x:1 true
	assert_error_line "minibox: --gid-map 0:x:1: expected CONTAINER:HOST:COUNT, three numbers"
	run -125 --separate-stderr "$MINIBOX" --uid-map 0:1000:0 true
	assert_error_line "minibox: --uid-map 0:1000:0: COUNT must be 1 or more, and the range within 0..4294967294"
	# numbers that would wrap around an unsigned long
	run -125 --separate-stderr "$MINIBOX" --uid-map 18446744073709551615:0:1 true
	assert_error_line "minibox: --uid-map 18446744073709551615:0:1: COUNT must be 1 or more, and the range within 0..4294967294"
	run -125 --separate-stderr "$MINIBOX" --uid-map ' 0:0:1' true
	assert_error_line "minibox: --uid-map  0:0:1: expected CONTAINER:HOST:COUNT, three numbers"
	run -125 --separate-stderr "$MINIBOX" --gid-map 0:+0:1 true
	assert_error_line "minibox: --gid-map 0:+0:1: expected CONTAINER:HOST:COUNT, three numbers"
}

# bats test_tags=once
@test "a map that gives the container no id 0 gives 125 and one line" {
	run -125 --separate-stderr "$MB_REAL" --uid-map 1:100000:10 true
	assert_error_line "minibox: --uid-map: no range maps container id 0, the container's root"
	run -125 --separate-stderr "$MB_REAL" --gid-map 1:100000:10 true
	assert_error_line "minibox: --gid-map: no range maps container id 0, the container's root"
}

@test "run where /proc is another PID namespace's, minibox refuses with 125 and says what to do" {
	run -125 --separate-stderr unshare --pid --fork -- "$MINIBOX" true
	assert_stderr_regex '^minibox: /proc is not this PID namespace.s: /proc/self is "[0-9]+", minibox is 1$'
	assert_stderr_regex '^hint: mount a /proc of this PID namespace first, e.g. unshare --pid --fork --mount-proc$'
}

# bats test_tags=once
@test "an overlapping map gives 125 and one line" {
	# as root: an ordinary user is stopped sooner, by the missing /etc/subuid range
	run -125 --separate-stderr "$MB_REAL" --uid-map 0:100000:10 --uid-map 5:200000:10 true
	assert_error_line "minibox: --uid-map 5:200000:10: overlaps 0:100000:10"
	run -125 --separate-stderr "$MB_REAL" --gid-map 0:100000:10 --gid-map 20:100005:10 true
	assert_error_line "minibox: --gid-map 20:100005:10: overlaps 0:100000:10"
}

# The ordinary user's range in /etc/subuid, as C:H:N for --uid-map, or nothing.
subuid_range() {
	local name
	name=$(getent passwd "$MB_USER_UID" | cut -d: -f1)
	awk -F: -v name="$name" -v uid="$MB_USER_UID" '($1 == name || $1 == uid) && NF == 3 {
		print "0:" $2 ":" $3; exit }' /etc/subuid 2>/dev/null
}

# bats test_tags=once
@test "as an ordinary user, a range /etc/subuid does not grant gives 125 and says what is missing" {
	# nobody is granted ids from 3000000000 on
	run -125 --separate-stderr as_user_minibox -v --uid-map 0:3000000000:65536 true
	assert_error_line "minibox: --uid-map 0:3000000000:65536: /etc/subuid grants id $MB_USER_UID no range that holds host ids 3000000000 to 3000065535, and only root may map other ids
hint: root can grant a range (usermod --add-subuids, --add-subgids); newuidmap and newgidmap come with the package uidmap"
}

# bats test_tags=once
@test "as an ordinary user, a range /etc/subuid grants goes through newuidmap" {
	local range
	range=$(subuid_range)
	[ -n "$range" ] || skip "$MB_USER_LABEL has no range in /etc/subuid: sudo usermod --add-subuids 100000-165535 USER"
	if ! command -v newuidmap >/dev/null; then
		run -125 --separate-stderr as_user_minibox --uid-map "$range" true
		assert_stderr_regex '^minibox: newuidmap for pid [0-9]+ failed: not installed \(package uidmap\)$'
		assert_equal "$(wc -l <<<"$stderr")" 1
	else
		run -0 as_user_minibox --uid-map "$range" sh -c "awk '{ print \$1, \$2, \$3 }' /proc/self/uid_map"
		assert_output "${range//:/ }"
	fi
}

# A folder like a learner's home: mode 0700, the ordinary user's, holding a
# rootfs (root's, as "sudo make rootfs" leaves it) and a folder of the
# user's to bind. Removed by teardown.
private_home() {
	local home
	home=$(mktemp -d /tmp/minibox-home.XXXXXX)
	echo "$home" >>"$BATS_TEST_TMPDIR/user-dirs"
	cp -a "$REPO/rootfs" "$home/rootfs"
	mkdir "$home/shared"
	echo "from the home" >"$home/shared/note"
	chown "$MB_USER_UID:$MB_USER_GID" "$home" "$home/shared" "$home/shared/note"
	chmod 0700 "$home"
	echo "$home"
}

@test "a rootfs and a --bind folder below a 0700 home of the ordinary user's work" {
	local home
	home=$(private_home)
	run -0 --separate-stderr "$MINIBOX" --rootfs "$home/rootfs" --bind "$home/shared:/srv" \
		cat /etc/minibox-release /srv/note
	assert_output $'this file is in the minibox rootfs\nfrom the home'
}

# bats test_tags=once
@test "as root with --uid-map 0:100000:65536, a rootfs below a 0700 home works, or 125 names the folder" {
	local home
	home=$(private_home)
	run --separate-stderr "$MB_REAL" --uid-map 0:100000:65536 --gid-map 0:100000:65536 \
		--rootfs "$home/rootfs" --bind "$home/shared:/srv" cat /etc/minibox-release /srv/note
	if [ "$status" = 0 ]; then
		assert_output $'this file is in the minibox rootfs\nfrom the home'
	else
		assert_equal "$status" 125
		assert_equal "$(wc -l <<<"$stderr")" 1
		assert_stderr_regex "^minibox: .*$home"
	fi
}

# bats test_tags=once
@test "every mount at or below /sys is read-only, also the host's below a /sys bound from the host" {
	# chapter 04 binds the host's /sys (sysfs is refused without a network
	# namespace of our own), and below it lie the host's cgroup, security and
	# debug file systems
	run -0 "$MINIBOX" awk '$2 ~ "^/sys(/|$)" { n++; if ($4 !~ /^ro(,|$)/) print "writable:", $2 }
		END { if (n) print n, "mounts"; else print "nothing is mounted at /sys" }' /proc/self/mounts
	assert_output --regexp '^[0-9]+ mounts$'
}

# bats test_tags=once
@test "as root with --uid-map 0:100000:65536, the host's supplementary groups are dropped" {
	# groups 4 and 27 are not in the map: kept, they would show as 65534
	run -0 setpriv --groups 4,27 "$MB_REAL" --uid-map 0:100000:65536 --gid-map 0:100000:65536 id -G
	assert_output "0"
}

@test "the container's user namespace owns its UTS, PID and mount namespaces (NS_GET_USERNS)" {
	local user host_user
	start_binary "$MB_REAL" sh -c 'echo ready; exec sleep 60'
	user=$(stat -L -c %i "/proc/$CT_PID/ns/user")
	host_user=$(stat -L -c %i /proc/self/ns/user)
	run -0 nsrel "/proc/$CT_PID/ns/user" "/proc/$CT_PID/ns/uts" "/proc/$CT_PID/ns/pid" "/proc/$CT_PID/ns/mnt"
	# a child of the host's user namespace, which owns it
	assert_line --index 0 "/proc/$CT_PID/ns/user $user $host_user $host_user"
	assert_line --index 1 --regexp "^/proc/$CT_PID/ns/uts [0-9]+ $user -\$"
	assert_line --index 2 --regexp "^/proc/$CT_PID/ns/pid [0-9]+ $user [0-9]+\$"
	assert_line --index 3 --regexp "^/proc/$CT_PID/ns/mnt [0-9]+ $user -\$"
}

# Process $1 is in a UTS namespace other than ours.
has_own_uts() {
	local ns
	ns=$(readlink "/proc/$1/ns/uts" 2>/dev/null) && [ "$ns" != "$(readlink /proc/self/ns/uts)" ]
}

# bats test_tags=once
@test "nsgraph --minibox draws the container and its minibox, the owner of its namespaces, and no other sandbox" {
	local user uts other
	start_binary "$MB_REAL" sh -c 'echo ready; exec sleep 60'
	# a process with a namespace of its own that is not minibox's
	unshare --uts sleep 60 3>&- &
	other=$!
	echo "$other" >>"$BATS_TEST_TMPDIR/started"
	wait_until has_own_uts "$other"
	user=$(stat -L -c %i "/proc/$CT_PID/ns/user")
	uts=$(stat -L -c %i "/proc/$CT_PID/ns/uts")
	run -0 scripts/nsgraph --minibox
	assert_line --regexp "^	\"p$MB_PID\" \[.*label=\"$MB_PID minibox\\\\non the host\"\];\$"
	assert_line --regexp "^	\"p$MB_PID\" -> \"p$CT_PID\" "
	assert_line "	\"p$CT_PID\" -> \"uts:$uts\";"
	assert_line --regexp "^	\"user:$user\" -> \"uts:$uts\" \[.*label=\"owns\"\];\$"
	refute_output --partial "\"p$other\""
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
