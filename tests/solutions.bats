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

# chapter 12: an image and a store of the test's own
course_image() { "$REPO/scripts/mkimage.sh" "$BATS_TEST_TMPDIR/img" >/dev/null; }
# the image's layers, as the store names them, top first
layer_dirs() {
	m=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$BATS_TEST_TMPDIR/img/index.json")
	jq -r '[.layers[].digest | sub("sha256:"; "")] | reverse | map("'"$1"'/layers/" + .) | join(":")' \
		"$BATS_TEST_TMPDIR/img/blobs/sha256/$m"
}

@test "12, exercise 1: each layer's uncompressed tar hashes to its diff_id" {
	course_image
	cd "$BATS_TEST_TMPDIR/img"
	run -0 sh -c '
m=$(jq -r ".manifests[0].digest | sub(\"sha256:\"; \"\")" index.json)
c=$(jq -r ".config.digest | sub(\"sha256:\"; \"\")" blobs/sha256/$m)
jq -r ".rootfs.diff_ids[]" blobs/sha256/$c
for l in $(jq -r ".layers[].digest | sub(\"sha256:\"; \"\")" blobs/sha256/$m); do
	echo "sha256:$(zcat blobs/sha256/$l | sha256sum | cut -d" " -f1)"
done'
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "${lines[2]}"
	assert_equal "${lines[1]}" "${lines[3]}"
}

@test "12, exercise 2: a kept upper as the top lower layer shows its writes and hides what it deleted" {
	course_image
	S=$BATS_TEST_TMPDIR/store K=$BATS_TEST_TMPDIR/kept mnt=$BATS_TEST_TMPDIR/mnt
	run -0 "$(CH 12)" --store "$S" --keep "$K" --image "$BATS_TEST_TMPDIR/img" \
		sh -c 'echo mine >/etc/written; rm /etc/hostname'
	mkdir "$mnt"
	mount -t overlay -o "ro,lowerdir=$K/upper:$(layer_dirs "$S")" none "$mnt"
	run cat "$mnt/etc/written"
	[ -e "$mnt/etc/passwd" ] && hostname_left=$([ -e "$mnt/etc/hostname" ] && echo yes || echo no)
	umount "$mnt"
	assert_output mine
	assert_equal "$hostname_left" no
}

@test "12, exercise 3: minibox-gc removes the layers no image uses, and stops while a container runs" {
	course_image
	S=$BATS_TEST_TMPDIR/store gc=$BATS_TEST_TMPDIR/minibox-gc
	awk '/^## 3\./ { on = 1 } on && /^```$/ { exit } on && p { print } on && /^```sh$/ { p = 1 }' \
		"$REPO/solutions/12-image.md" >"$gc"
	run -0 "$(CH 12)" --store "$S" --image "$BATS_TEST_TMPDIR/img" true
	mkdir "$S/layers/0123abcd"
	run -0 sh "$gc" "$S" "$BATS_TEST_TMPDIR/img"
	assert_output "removing 0123abcd"
	run -0 ls "$S/layers"
	assert_equal "${#lines[@]}" 2
	"$(CH 12)" --store "$S" --image "$BATS_TEST_TMPDIR/img" sleep 3 </dev/null >/dev/null 2>&1 &
	running=$!
	sleep 1
	run -1 sh "$gc" "$S" "$BATS_TEST_TMPDIR/img"
	assert_output --partial "minibox-gc: a container runs"
	wait "$running"
}
