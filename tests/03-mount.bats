#!/usr/bin/env bats
# Chapter 03-mount: the container has a filesystem tree of its own
# (CLONE_NEWNS, pivot_root), with its own /proc, /sys, /tmp and /dev.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

# The mount points and filesystem types of a mount table, one per line.
mount_points() { awk '{ print $5 }' "$1" | sort; }

@test "/ inside is the rootfs: a file only the rootfs has is there" {
	run -0 "$MINIBOX" cat /etc/minibox-release
	assert_output "this file is in the minibox rootfs"
}

@test "/ inside lists what the rootfs holds, and a file made on the host is not reachable" {
	local dir
	dir=$(user_dir)
	touch "$dir/host-only"
	run -0 "$MINIBOX" ls -1 /
	assert_output "$(ls -1 rootfs)"
	run -1 "$MINIBOX" test -e "$dir/host-only"
}

@test "the old root is gone: the container's mount table has one / and no host path" {
	run -0 "$MINIBOX" cat /proc/self/mountinfo
	local inside=$output
	run -0 awk '$5 == "/"' <<<"$inside"
	assert_equal "${#lines[@]}" 1
	# no mount point is a path of the host's
	run -0 awk '{ print $5 }' <<<"$inside"
	refute_output --partial "$REPO"
}

@test "ps inside lists only the container's processes" {
	run -0 "$MINIBOX" sh -c "$ROOTFS_ONLY"'ps -o pid,comm >/tmp/ps; cat /tmp/ps'
	assert_equal "${#lines[@]}" 3
	assert_line --index 1 --regexp '^ +1 sh$'
	assert_line --index 2 --regexp '^ +[0-9]+ ps$'
}

@test "a mount made inside is not in the host's mount table while the container runs" {
	start_container "${PRIVILEGED[@]}" sh -c "$ROOTFS_ONLY"'mount -t tmpfs mbtest-inside /mnt && echo ready && exec sleep 60'
	# the container has it...
	run -0 grep -c mbtest-inside "/proc/$CT_PID/mountinfo"
	assert_output 1
	# ...the host does not
	run grep -c mbtest-inside /proc/self/mountinfo
	assert_output 0
}

@test "on a host whose / is shared (as systemd makes it), no mount leaks out" {
	# unshare gives us a throwaway "host" whose / is shared, like a learner's.
	run -0 unshare --mount --propagation shared -- bash -c '
		before=$(awk "{ print \$5 }" /proc/self/mountinfo | sort)
		"$@" sh -c "mount -t tmpfs mbtest-leak /mnt" || exit
		after=$(awk "{ print \$5 }" /proc/self/mountinfo | sort)
		diff <(echo "$before") <(echo "$after") && echo same' _ "$MINIBOX" "${PRIVILEGED[@]}"
	assert_output "same"
}

@test "the host's mount table is the same before and after a run" {
	local before
	before=$(mount_points /proc/self/mountinfo)
	run -0 "$MINIBOX" --bind "$(user_dir):/mnt" true
	assert_equal "$(mount_points /proc/self/mountinfo)" "$before"
}

@test "the container's mount namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/mnt"
	assert_output --regexp '^mnt:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/mnt)"
}

@test "/dev holds the usual devices, bound from the host, and none of the host's disks" {
	run -0 "$MINIBOX" sh -c 'ls /dev'
	local d
	for d in null zero full random urandom tty pts shm ptmx fd stdin stdout stderr; do
		assert_line "$d"
	done
	refute_line --regexp '^(sd|vd|nvme|hd|xvd|loop|mem|kmem|port|kmsg)'
	run -0 "$MINIBOX" sh -c "$ROOTFS_ONLY"'echo gone >/dev/null && head -c 4 /dev/zero | od -An -tx1'
	assert_output " 00 00 00 00"
}

@test "/sys is read-only and /tmp is a fresh, empty tmpfs" {
	run -1 --separate-stderr "$MINIBOX" sh -c "$ROOTFS_ONLY"'touch /sys/mbtest'
	assert_error_line "touch: /sys/mbtest: Read-only file system"
	run -0 "$MINIBOX" sh -c 'stat -f -c %T /tmp; ls -A /tmp'
	assert_output "tmpfs"
}

# The container's mounts at the paths given, one line each as the command
# sees them in its mount table: "PATH TYPE rw,nosuid,nodev,...".
MOUNTS_INSIDE='for p in "$@"; do awk -v p="$p" '"'"'$5 == p { for (i = 7; $i != "-"; i++); print $5, $(i + 1), $6 }'"'"' /proc/self/mountinfo; done'
# The line of output for the mount at $1 is of file system type $2 and
# has each flag of the rest among its options.
assert_mount_flags() {
	local path=$1 type=$2 flag
	shift 2
	assert_line --regexp "^$path $type [^ ]+\$"
	for flag; do
		assert_line --regexp "^$path $type ([^ ]*,)?$flag(,[^ ]*)?\$"
	done
}

@test "/proc is mounted nosuid, nodev and noexec, /tmp nosuid and nodev with mode 1777" {
	run -0 "$MINIBOX" sh -c "$MOUNTS_INSIDE"'; stat -c "%a %n" /tmp' _ /proc /tmp
	assert_equal "${#lines[@]}" 3
	assert_mount_flags /proc proc nosuid nodev noexec
	assert_mount_flags /tmp tmpfs nosuid nodev
	assert_line "1777 /tmp"
}

@test "/dev is a nosuid tmpfs of mode 755, /dev/pts nosuid and noexec with ptmx 0666, /dev/shm nosuid, nodev and 1777" {
	run -0 "$MINIBOX" sh -c "$MOUNTS_INSIDE"'; stat -c "%a %n" /dev /dev/pts/ptmx /dev/shm' _ /dev /dev/pts /dev/shm
	assert_equal "${#lines[@]}" 6
	assert_mount_flags /dev tmpfs nosuid
	assert_mount_flags /dev/pts devpts nosuid noexec
	assert_mount_flags /dev/shm tmpfs nosuid nodev
	assert_line "755 /dev"
	assert_line "666 /dev/pts/ptmx"
	assert_line "1777 /dev/shm"
}

@test "a --bind folder is shared both ways" {
	local dir
	dir=$(user_dir)
	echo "from the host" >"$dir/host.txt"
	run -0 "$MINIBOX" --bind "$dir:/srv" sh -c "$ROOTFS_ONLY"'cat /srv/host.txt; echo "from the container" >/srv/container.txt'
	assert_output "from the host"
	run -0 cat "$dir/container.txt"
	assert_output "from the container"
}

@test "a :ro --bind folder refuses writes" {
	local dir
	dir=$(user_dir)
	run -1 --separate-stderr "$MINIBOX" --bind "$dir:/srv:ro" sh -c "$ROOTFS_ONLY"'echo x >/srv/file'
	assert_error_line "sh: can't create /srv/file: Read-only file system"
	[ ! -e "$dir/file" ]
}

@test "a command the host has but the rootfs lacks gives 127 and one line" {
	run -127 --separate-stderr "$MINIBOX" /usr/bin/bash -c true
	assert_error_line "minibox: execvp(/usr/bin/bash): No such file or directory"
}

@test "-v narrates the private tree, pivot_root() and the detach of the old root" {
	run -0 --separate-stderr "$MINIBOX" -v true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|]*CLONE_NEWNS[A-Z_|]*, exit_signal=SIGCHLD\)'
	assert_stderr_regex '^minibox: child: mount\(NULL, /, NULL, MS_REC\|MS_PRIVATE, NULL\) = 0$'
	# the facts, not the arguments: the call that switches the root, and
	# the detach, each with its result
	assert_stderr_regex '^minibox: child: pivot_root\(.*\) = 0, in '
	assert_stderr_regex '^minibox: child: [a-z0-9_]+\(.*\) = 0: the old root is gone$'
}

@test "a rootfs that does not exist gives 125 and one line" {
	run -125 --separate-stderr "$MINIBOX" --rootfs /nonexistent-mbtest true
	assert_error_line "minibox: --rootfs /nonexistent-mbtest: No such file or directory"
}

@test "without ./rootfs, the error says how to build it" {
	cd "$(user_dir)"
	run -125 --separate-stderr "$MINIBOX" true
	assert_error_line "minibox: --rootfs ./rootfs: No such file or directory
hint: make rootfs builds ./rootfs from the host's busybox"
}

@test "a rootfs that is not a directory gives 125 and one line" {
	run -125 --separate-stderr "$MINIBOX" --rootfs /etc/passwd true
	assert_error_line "minibox: --rootfs /etc/passwd: not a directory"
}

@test "bad --bind values give 125 and one line each" {
	run -125 --separate-stderr "$MINIBOX" --bind nocolon true
	assert_error_line "minibox: --bind nocolon: expected HOST:CONTAINER[:ro]"
	run -125 --separate-stderr "$MINIBOX" --bind /tmp:relative true
	assert_error_line "minibox: --bind /tmp:relative: CONTAINER must be an absolute path"
	run -125 --separate-stderr "$MINIBOX" --bind /nonexistent-mbtest:/srv true
	assert_error_line "minibox: --bind /nonexistent-mbtest:/srv: /nonexistent-mbtest: No such file or directory"
	run -125 --separate-stderr "$MINIBOX" --bind /etc/passwd:/srv true
	assert_error_line "minibox: --bind /etc/passwd:/srv: /etc/passwd is not a directory"
	run -125 --separate-stderr "$MINIBOX" --bind /tmp:/srv:rw true
	assert_error_line 'minibox: --bind /tmp:/srv:rw: unknown mode "rw", the only one is ro'
	run -125 --separate-stderr "$MINIBOX" --bind /tmp:/srv/../../made true
	assert_error_line 'minibox: --bind /tmp:/srv/../../made: CONTAINER may not contain ".."'
}

@test "16 --bind folders work, a 17th is refused with 125 and one line" {
	local dir i binds=()
	dir=$(user_dir)
	for i in $(seq 16); do binds+=(--bind "$dir:/tmp/b$i"); done
	run -0 "$MINIBOX" "${binds[@]}" sh -c 'ls -d /tmp/b16'
	assert_output /tmp/b16
	run -125 --separate-stderr "$MINIBOX" "${binds[@]}" --bind "$dir:/tmp/b17" true
	assert_error_line "minibox: --bind $dir:/tmp/b17: at most 16 of them"
}

@test "a symlink in the rootfs is not followed: 125, and no folder is made on the host" {
	local root target
	root=$(user_dir) target=$(user_dir)
	cp -a "$MB_TREE/rootfs/." "$root/"
	ln -s "$target" "$root/evil"
	run -125 --separate-stderr "$MINIBOX" --rootfs "$root" --bind "$(user_dir):/evil/made" true
	assert_error_line "minibox: /evil in the rootfs: a symlink or not a folder; minibox follows no link there (give the path it points to)"
	[ ! -e "$target/made" ]
}

@test ":ro reaches the mounts below a --bind folder" {
	local dir
	dir=$(user_dir)
	mkdir "$dir/sub"
	# the mount below the folder is made in a mount namespace of the test's own
	run -1 --separate-stderr unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=1777 none "$1/sub" && "$2" --bind "$1:/srv:ro" sh -c "echo x >/srv/sub/file"' \
		sh "$dir" "$MINIBOX"
	assert_stderr_regex 'Read-only file system'
}

@test "a mount made inside a --bind folder stays inside, even when the host's / is shared" {
	local dir
	dir=$(user_dir)
	run -0 unshare --mount --propagation shared sh -c \
		'd=$1; shift; "$@" --bind "$d:/srv" sh -c "mount -t tmpfs none /srv"; grep -c " $d " /proc/self/mountinfo || true' \
		sh "$dir" "$MINIBOX" "${PRIVILEGED[@]}"
	assert_output 0
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
