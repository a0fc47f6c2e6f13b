#!/usr/bin/env bats
# Chapter 12-image: --image runs an OCI image, offline. Every blob is checked
# against its digest; each layer is unpacked once into a store, refusing any
# entry that aims out of it; the root is an overlay of the layers and the
# container's own upper folder, which goes when the container ends; the
# image's config gives the command, environment, folder and user.
# Every test runs minibox with a store of its own (--store), in a folder the
# test made: the learner's own store is never touched. The images are made
# by setup_file from rootfs/ (scripts/mkimage.sh) and by tests/mkoci.py.

load helpers

setup_file() {
	remember_host
	IMAGES=$(mktemp -d /tmp/minibox-images.XXXXXX)
	chmod 755 "$IMAGES"
	echo "$IMAGES" >"$BATS_FILE_TMPDIR/images"
	"$REPO/scripts/mkimage.sh" "$IMAGES/course" >/dev/null
	export IMAGES
}
teardown_file() {
	rm -rf "$(cat "$BATS_FILE_TMPDIR/images")"
	restore_host
}

# A folder of this test's own, the minibox under test's, and a store in it.
new_store() {
	D=$(user_dir)
	STORE=$D/store
	as_mb mkdir "$STORE"
}
# Run a command as the user the minibox under test runs as.
as_mb() { if [ -n "${MB_ROOTLESS:-}" ]; then as_user "$@"; else "$@"; fi; }
IMAGE() { echo "$IMAGES/course"; }
# What a store holds: every path, its size, mode and change time.
store_state() { find "$1/layers" "$1/blobs" -printf '%p %s %m %C@\n' 2>/dev/null | sort; }
# A test image in folder $D: the course image changed by tests/mkoci.py.
derive() { python3 "$REPO/tests/mkoci.py" derive "$IMAGES/course" "$D/img" "$@"; chmod -R a+rX "$D/img"; }
hostile() {
	python3 "$REPO/tests/mkoci.py" hostile "$1" "$D/$1.tar" "$D"
	derive --layer "$D/$1.tar"
}
# Nothing in the store but the course image's layers and no container folder.
assert_store_has_only_course_layers() {
	run ls "$STORE/layers"
	assert_equal "$(echo "$output" | wc -l)" 2
	run ls -A "$STORE/containers"
	assert_output ""
}

# ------------------------------------------------------------ running one

@test "the course image runs from its tar archive and from its folder" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$IMAGES/course.tar" -- cat /etc/os-release
	assert_line 'PRETTY_NAME="minibox course image (busybox, two layers)"'
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- cat /etc/os-release
	assert_line 'NAME="minibox course image"'
}

@test "PATH:TAG picks the manifest the index names so; an unknown tag is refused" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE):latest" -- true
	run -125 "$MINIBOX" --store "$STORE" --image "$(IMAGE):nope" -- true
	assert_output "minibox: --image $(IMAGE):nope: no manifest named nope in its index.json"
}

@test "a file layer 2 deletes (.wh.issue) is absent inside" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- sh -c 'test -e /etc/issue && echo there || echo absent'
	assert_output absent
}

# overlayfs refuses to create the 0/0 device a whiteout is: a store on it
# (a live system's root, a container's) cannot take layer 2
# bats test_tags=once
@test "a store on overlayfs, which refuses a whiteout's device: 125, the call, and a hint naming the store" {
	new_store
	mkdir "$D/ov" "$D/ov/lower" "$D/ov/upper" "$D/ov/work"
	# shellcheck disable=SC2016 # expanded by that shell
	run -125 unshare --mount sh -c 'mount -t overlay ov -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$2" &&
		exec "$3" --store "$2" --image "$4" -- true' sh "$D/ov" "$STORE" "$MINIBOX" "$(IMAGE)"
	assert_line "minibox: mknod(issue, c 0 0): Operation not permitted"
	assert_line "hint: is the store on overlayfs? use --store DIR on another filesystem"
}

@test "a folder layer 2 makes opaque shows only layer 2's files" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- ls /usr/share/minibox
	assert_output three
}

@test "two containers of one image each see only their own writes, and the store is unchanged after both" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- true
	store_state "$STORE" >"$BATS_TEST_TMPDIR/store.before"
	local go
	go=$(user_dir) # the first goes on when the second has ended: /go/now
	start_container --store "$STORE" --bind "$go:/go" --image "$(IMAGE)" -- sh -c \
		'echo first >/etc/who; echo ready; until [ -e /go/now ]; do sleep 0.05; done
		 cat /etc/who; ls /etc/second 2>&1 || true'
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- sh -c \
		'cat /etc/who 2>&1; echo second >/etc/who; touch /etc/second; cat /etc/who'
	assert_output $'cat: can\'t open \'/etc/who\': No such file or directory\nsecond'
	touch "$go/now"
	wait_for_minibox
	assert_equal "$STATUS" 0
	run cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output $'ready\nfirst\nls: /etc/second: No such file or directory'
	store_state "$STORE" | diff "$BATS_TEST_TMPDIR/store.before" -
}

@test "the root is an overlay mount: the layers below, nodev and nosuid" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- grep ' / ' /proc/self/mounts
	assert_output --regexp '^[^ ]+ / overlay rw,nosuid,nodev,.*lowerdir=\.\./\.\./\.\./layers/[0-9a-f]{64}:\.\./\.\./\.\./layers/[0-9a-f]{64},upperdir=\.\./upper,workdir=\.\./work'
}

# ------------------------------------------------------------- the digests

@test "a layer blob with one byte changed is refused (125, its digest named): nothing unpacked, nothing mounted" {
	new_store
	cp -a "$(IMAGE)" "$D/img"
	layer=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/index.json")); m=json.load(open(sys.argv[1]+"/blobs/sha256/"+i["manifests"][0]["digest"][7:])); print(m["layers"][0]["digest"][7:])' "$D/img")
	printf 'X' | dd of="$D/img/blobs/sha256/$layer" bs=1 seek=1000 conv=notrunc 2>/dev/null
	run -125 "$MINIBOX" -v --store "$STORE" --image "$D/img" -- true
	assert_line --regexp "^minibox: --image $D/img: blob sha256:$layer: its content hashes to sha256:[0-9a-f]{64}: refused$"
	refute_line --partial "fsopen(overlay)"
	run ls -A "$STORE/layers" "$STORE/containers"
	assert_output $'/tmp/'"${STORE#/tmp/}"$'/containers:\n\n/tmp/'"${STORE#/tmp/}"$'/layers:'
}

@test "a tampered blob in a tar archive is refused before it enters the store" {
	new_store
	cp -a "$(IMAGE)" "$D/img"
	# the config blob, the one that holds the image's Env: its name stays
	sed -i 's/minibox-course/minibox-c0urse/' "$D/img/blobs/sha256/"* 2>/dev/null
	tar -C "$D/img" -cf "$D/img.tar" oci-layout index.json blobs
	chmod a+r "$D/img.tar"
	run -125 "$MINIBOX" --store "$STORE" --image "$D/img.tar" -- true
	assert_output --regexp "blob sha256:[0-9a-f]{64}: its content hashes to sha256:[0-9a-f]{64}: refused"
	run ls -A "$STORE/layers" "$STORE/containers"
	refute_output --regexp '[0-9a-f]{64}'
}

@test "a blob of another size than its descriptor says is refused" {
	new_store
	cp -a "$(IMAGE)" "$D/img"
	manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$D/img/index.json")
	echo >>"$D/img/blobs/sha256/${manifest#sha256:}"
	run -125 "$MINIBOX" --store "$STORE" --image "$D/img" -- true
	assert_output --regexp "^minibox: --image $D/img: blob $manifest: [0-9]+ bytes, its descriptor says [0-9]+: refused$"
}

# ------------------------------------------------------ hostile archives

@test "a layer entry named ../../../../escaped is refused, nothing written outside" {
	new_store
	hostile dotdot
	run -125 "$MINIBOX" --store "$STORE" --image "$D/img" -- true
	assert_output --regexp '^minibox: layer sha256:[0-9a-f]{12}\.\.\.: \.\./\.\./\.\./\.\./escaped: a name with "\.\.": refused$'
	[ ! -e "$D/escaped" ]
	assert_store_has_only_course_layers
}

@test "a layer entry with an absolute name is refused, nothing written there" {
	new_store
	hostile absolute
	run -125 "$MINIBOX" --store "$STORE" --image "$D/img" -- true
	assert_output --regexp "^minibox: layer sha256:[0-9a-f]{12}\.\.\.: $D/escaped: an absolute name: refused$"
	[ ! -e "$D/escaped" ]
	assert_store_has_only_course_layers
}

@test "a symlink of a layer followed by an entry below it is refused, nothing written through it" {
	new_store
	hostile symlink
	run -125 "$MINIBOX" --store "$STORE" --image "$D/img" -- true
	assert_output --regexp '^minibox: layer sha256:[0-9a-f]{12}\.\.\.: link/sub/escaped: through a symlink or a file of the layer: refused$'
	[ ! -e "$D/sub" ]
	[ ! -e "$D/escaped" ]
	assert_store_has_only_course_layers
}

@test "a hard link out of the layer is refused, the file outside keeps its one link" {
	new_store
	hostile hardlink
	echo target >"$D/target"
	run -125 "$MINIBOX" --store "$STORE" --image "$D/img" -- true
	assert_output --regexp '^minibox: layer sha256:[0-9a-f]{12}\.\.\.: \.\./\.\./\.\./\.\./target: a name with "\.\.": refused$'
	assert_equal "$(stat -c %h "$D/target")" 1
	assert_store_has_only_course_layers
}

@test "a device node in a layer is not made, with a note; the container runs" {
	new_store
	hostile device
	run -0 "$MINIBOX" --store "$STORE" --image "$D/img" -- sh -c 'test -e /disk && echo made || echo not made'
	assert_line --regexp '^minibox: layer sha256:[0-9a-f]{12}\.\.\.: disk: a device node, not made$'
	assert_line "not made"
}

# --------------------------------------------------------- unpacked once

@test "a second start of the same image unpacks nothing: its layers are in the store already" {
	new_store
	run -0 "$MINIBOX" -v --store "$STORE" --image "$IMAGES/course.tar" -- true
	assert_equal "$(grep -c ': unpacked, ' <<<"$output")" 2
	before=$(stat -c %Y:%i "$STORE"/layers/*)
	run -0 "$MINIBOX" -v --store "$STORE" --image "$IMAGES/course.tar" -- true
	refute_line --partial ': unpacked, '
	refute_line --partial 'blob copied into'
	assert_equal "$(grep -c ': in the store already' <<<"$output")" 2
	assert_equal "$(stat -c %Y:%i "$STORE"/layers/*)" "$before"
}

# ---------------------------------------------------------- the config

@test "without a COMMAND the image's Cmd runs, with its Env and in its WorkingDir" {
	new_store
	derive --config '{"Cmd": ["sh", "-c", "echo $IMAGE in $PWD"]}'
	run -0 "$MINIBOX" --store "$STORE" --image "$D/img"
	assert_output "minibox-course in /root"
}

@test "Entrypoint stays in front; a COMMAND given replaces Cmd; --env replaces the image's Env" {
	new_store
	derive --config '{"Entrypoint": ["echo", "entry"], "Cmd": ["cmd"]}'
	run -0 "$MINIBOX" --store "$STORE" --image "$D/img"
	assert_output "entry cmd"
	run -0 "$MINIBOX" --store "$STORE" --image "$D/img" -- given words
	assert_output "entry given words"
	run -0 "$MINIBOX" --store "$STORE" --env IMAGE=mine --image "$(IMAGE)" -- sh -c 'echo $IMAGE'
	assert_output mine
}

@test "the image's User runs the command, when the maps hold it" {
	new_store
	derive --config '{"User": "nobody"}'
	if [ -n "${MB_ROOTLESS:-}" ]; then
		run -125 "$MINIBOX" --store "$STORE" --image "$D/img" -- id
		assert_line --regexp '^minibox: setresuid\(65534\), setresgid\(65534\): the image.s User nobody: '
		assert_line "hint: the image's User must be in the container's maps: --uid-map, --gid-map"
		return
	fi
	run -0 "$MINIBOX" --store "$STORE" --uid-map 0:0:1 --uid-map 65534:65534:1 \
		--gid-map 0:0:1 --gid-map 65534:65534:1 --image "$D/img" -- id
	assert_output "uid=65534(nobody) gid=65534(nogroup)"
}

# ------------------------------------------------------------ clean-up

@test "after exit no overlay mount, upper or work folder remains" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --image "$(IMAGE)" -- touch /etc/written
	run ls -A "$STORE/containers"
	assert_output ""
	run grep -c "$STORE" /proc/self/mountinfo
	assert_output 0
}

@test "--keep DIR keeps the container's upper and work there; its folder in the store goes" {
	new_store
	run -0 "$MINIBOX" --store "$STORE" --keep "$D/kept" --image "$(IMAGE)" -- \
		sh -c 'echo mine >/etc/written; rm /etc/hostname'
	run cat "$D/kept/upper/etc/written"
	assert_output mine
	run stat -c %F:%t:%T "$D/kept/upper/etc/hostname"
	assert_output "character special file:0:0"
	run ls -A "$STORE/containers"
	assert_output ""
	run -125 "$MINIBOX" --keep "$D/kept" -- true
	assert_output "minibox: --keep $D/kept: only with --image (a --rootfs is written in place)"
}

@test "after kill -9 of minibox, the next start sweeps the container's folder" {
	new_store
	start_container --store "$STORE" --image "$(IMAGE)" -- sh -c 'echo ready; exec sleep 30'
	run ls "$STORE/containers"
	assert_output --regexp '^[0-9a-f]{12}$'
	left=$output
	kill -9 "$MB_PID"
	wait_until ended "$CT_PID"
	[ -d "$STORE/containers/$left/upper" ]
	run -0 "$MINIBOX" -v --store "$STORE" --image "$(IMAGE)" -- true
	assert_line "minibox: remove $STORE/containers/$left: a stale container's upper and work, no minibox holds it"
	run ls -A "$STORE/containers"
	assert_output ""
}

@test "with --init, PID 1 holds no descriptor of the store" {
	new_store
	start_container --init --store "$STORE" --image "$(IMAGE)" -- sh -c 'echo ready; exec sleep 30'
	run ls -l "/proc/$CT_PID/fd/"
	assert_success
	refute_output --partial "$STORE"
}

# --------------------------------------------------------------- bad input

@test "--image of a path that is not there: 125, one line" {
	new_store
	run -125 "$MINIBOX" --store "$STORE" --image "$D/none" -- true
	assert_output "minibox: --image $D/none: No such file or directory"
}

@test "--image and --rootfs together are refused" {
	run -125 "$MINIBOX" --rootfs "$MB_TREE/rootfs" --image "$(IMAGE)" -- true
	assert_output "minibox: --image and --rootfs $MB_TREE/rootfs: give one root, not two"
}

# ------------------------------------------------- an image of another tool

@test "an image written by skopeo runs too" {
	command -v skopeo >/dev/null || skip "needs skopeo (apt-get install skopeo) to write an oci-archive of its own"
	new_store
	skopeo copy --quiet "oci:$(IMAGE):latest" "oci-archive:$D/skopeo.tar"
	chmod a+r "$D/skopeo.tar"
	run -0 "$MINIBOX" --store "$STORE" --image "$D/skopeo.tar" -- cat /etc/os-release
	assert_line 'NAME="minibox course image"'
}

@test "nothing is left on the host" {
	assert_host_clean
}
