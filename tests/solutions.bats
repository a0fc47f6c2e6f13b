#!/usr/bin/env bats
# The answers of solutions/NN-slug.md that are commands, run as they are
# written there (with this repository's chapter programs): a solution that
# stops working fails here. Run as root, like the chapters' tests.

load helpers

CH() { echo "$REPO/chapters/$(cd "$REPO/chapters" && echo "$1"-*)/minibox"; }

@test "00, exercise 2: strace shows clone3, execve and wait4" {
	command -v strace >/dev/null || skip "strace is not installed"
	run -0 strace -f -e trace=clone3,execve,wait4 "$(CH 00)" true
	assert_output --regexp 'clone3\('
	assert_output --regexp 'execve\("/usr/bin/true"|execve\("/bin/true"'
	assert_output --regexp 'wait4\(.*= [0-9]+'
}

@test "01, exercise 3: two containers have two UTS namespaces, and neither is the host's" {
	start_binary "$(CH 01)" sh -c 'echo ready; exec sleep 60'
	first=$(readlink "/proc/$CT_PID/ns/uts")
	start_binary "$(CH 01)" sh -c 'echo ready; exec sleep 60'
	second=$(readlink "/proc/$CT_PID/ns/uts")
	[ "$first" != "$second" ]
	[ "$first" != "$(readlink /proc/self/ns/uts)" ]
}

@test "04, exercise 1: chown 1000 inside a --uid-map 0:100000:65536 container is host uid 101000" {
	dir=$BATS_TEST_TMPDIR/shared
	mkdir -p "$dir" && chmod 777 "$dir"
	run -0 "$(CH 04)" --uid-map 0:100000:65536 --gid-map 0:100000:65536 \
		--bind "$dir:/srv" sh -c 'touch /srv/x && chown 1000 /srv/x'
	run -0 stat -c %u "$dir/x"
	assert_output 101000
}

@test "05, exercise 3: nsenter --net --target PID ip link lists the container's interfaces" {
	start_binary "$(CH 05)" sh -c 'echo ready; exec sleep 60'
	run -0 nsenter --net --target "$CT_PID" ip -o link
	assert_line --regexp '^1: lo:'
	assert_equal "${#lines[@]}" 1
}

@test "06, exercise 2: /proc/sysvipc/shm through nsenter --ipc shows the container's segments, not the host's" {
	start_binary "$(CH 06)" sh -c 'echo ready; exec sleep 60'
	run -0 nsenter --ipc --target "$CT_PID" cat /proc/sysvipc/shm
	assert_equal "${#lines[@]}" 1 # the header alone: a fresh IPC namespace has none
}

@test "06, exercise 3: kernel.msgmni set inside leaves the host's unchanged" {
	before=$(cat /proc/sys/kernel/msgmni)
	inside=$((before == 100 ? 101 : 100))
	run -0 "$(CH 06)" sh -c "echo $inside > /proc/sys/kernel/msgmni; cat /proc/sys/kernel/msgmni"
	assert_output "$inside"
	run -0 cat /proc/sys/kernel/msgmni
	assert_output "$before"
}

@test "11, exercise 3: 100 MB through minibox cat arrive whole, as through cat | cat" {
	run -0 sh -c "head -c 100M /dev/zero | '$(CH 11)' cat | wc -c"
	assert_output 104857600
	run -0 sh -c "head -c 100M /dev/zero | cat | cat | wc -c"
	assert_output 104857600
}
