#!/usr/bin/env bash
# Tested where learners run minibox, from a host that is neither: Debian's
# own kernels under qemu, one VM at a time. The host's own cgroups are
# never touched.
#
#   v2     pure cgroup v2 (this project's machines are hybrid): Debian's
#          x86_64 kernel, with KVM if a short probe boot with it works,
#          else under software emulation (TCG: no KVM needed), boots a
#          small initramfs (busybox, the 9p, overlay, veth, virtio_blk and
#          ext4 modules: tests/vm/boot) that mounts the host's root
#          filesystem read-only over 9p under a tmpfs overlay and runs
#          tests/vm/v2 there, with the host's bash, bats and the clone's
#          binaries, and a sparse ext4 disk of its own as /tmp (chapter
#          12's image store): cgroup2 as the only hierarchy, checks with no
#          controller enabled at the root, then the bats files with
#          +cpu +memory +pids enabled (MB_VM_LADDER=subset, the default:
#          chapter 07's tests and the cgroup tests of 08 on, against their
#          own binaries, as root; MB_VM_LADDER=full: those as root and as
#          the ordinary user, and every file against the last chapter's
#          binary, both ways).
#   arm64  Debian's arm64 kernel under qemu-system-aarch64 (-machine virt,
#          -cpu max,pauth-impdef=on), with every chapter cross-built
#          statically (make cross ARCH=arm64) and an arm64 busybox rootfs,
#          all in the initramfs: tests/vm/arm64 runs a smoke set of each
#          chapter's properties (TCG: another architecture).
#
#   sudo scripts/test-vm.sh [v2] [arm64]     (default v2; make test-vm, make test-arm64)
#   sudo scripts/test-vm.sh --fetch v2 arm64 only download what is missing (announced)
#
# Downloads (Debian's kernel packages, busybox-static:arm64) are cached in
# build/vm/amd64 and build/vm/arm64. Prints one TAP line per result,
# labelled "v2 vm: " or "arm64 vm: ", then "# v2 vm: N passed, N failed,
# N skipped, in S s (kvm)" or "(tcg)" (scripts/test.sh shows that line in
# its summary; MB_VM_ACCEL=tcg or kvm skips the probe). The
# console of each run is kept in build/vm/<arch>/console.log.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

fetch_only=0 vms=()
for arg in "$@"; do
	case $arg in
	--fetch) fetch_only=1 ;;
	v2 | arm64) vms+=("$arg") ;;
	-h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "test-vm: unknown argument: $arg (v2, arm64, --fetch)" >&2; exit 2 ;;
	esac
done
[ ${#vms[@]} -gt 0 ] || vms=(v2)
[ "$(id -u)" = 0 ] || { echo "test-vm: run me as root (it installs qemu and downloads a kernel package)" >&2; exit 1; }
if ! command -v apt-get >/dev/null; then
	for vm in "${vms[@]}"; do echo "ok - $vm vm: # skip it fetches Debian's kernel with apt, which this host lacks"; done
	exit 0
fi

# Modules to load, in an order that loads each one's dependencies first
# (read from its .modinfo: the package has no modules.dep).
module_order() { # MODULE-DIR NAME...
	local dir=$1 name f dep
	shift
	for name in "$@"; do
		[[ " $seen " == *" $name "* ]] && continue
		seen+=" $name "
		f=$(find "$dir" -name "$name.ko" | head -n 1)
		[ -n "$f" ] || { echo "test-vm: no $name.ko in the kernel package" >&2; return 1; }
		dep=$(grep -ao 'depends=[^[:cntrl:]]*' "$f" | head -n 1)
		dep=${dep#depends=}
		# shellcheck disable=SC2086 # one name a word
		[ -z "$dep" ] || module_order "$dir" ${dep//,/ } || return 1
		echo "$name"
	done
}

# Debian's kernel for ARCH (amd64, arm64), its package unpacked in
# build/vm/ARCH: the kernel, and the modules the VM needs with their
# dependencies (modules/*.ko, modules/order). Downloaded once, announced.
fetch_kernel() { # ARCH MODULE...
	local arch=$1 dir=build/vm/$1 pkg tmp seen='' m have=1
	shift
	# (a cache from before a module was added to the list is fetched again)
	for m in "$@"; do grep -qx "$m" "$dir/modules/order" 2>/dev/null || have=0; done
	[ -f "$dir/kernel" ] && [ "$have" = 1 ] && return 0
	pkg=$(apt-cache depends "linux-image-$arch:$arch" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
	[ -n "$pkg" ] || { apt-get update -qq && pkg=$(apt-cache depends "linux-image-$arch:$arch" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'); }
	[ -n "$pkg" ] || { echo "test-vm: apt knows no linux-image-$arch (for arm64: scripts/install-deps.sh --arm64 adds the architecture)" >&2; return 1; }
	pkg=${pkg%:*}
	echo "test-vm: downloading $pkg (Debian's $arch kernel, about 60 MB) into $dir, once: it stays there" >&2
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/pkg.XXXXXX")
	if ! (cd "$tmp" && apt-get download -qq "$pkg:$arch" 2>/dev/null) || ! dpkg-deb -x "$tmp"/*.deb "$tmp/x"; then
		echo "test-vm: could not download $pkg" >&2
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$dir/modules"
	mkdir -p "$dir/modules"
	module_order "$tmp/x/lib/modules" "$@" >"$tmp/order" || { rm -rf "$tmp"; return 1; }
	while read -r m; do cp "$(find "$tmp/x/lib/modules" -name "$m.ko" | head -n 1)" "$dir/modules/"; done <"$tmp/order"
	mv "$tmp/order" "$dir/modules/order"
	cp "$tmp"/x/boot/vmlinuz-* "$dir/kernel"
	echo "${pkg}" >"$dir/package"
	rm -rf "$tmp"
}

# busybox-static for arm64, the arm64 VM's shell and its containers' rootfs.
fetch_busybox_arm64() {
	local dir=build/vm/arm64 tmp
	[ -f "$dir/busybox" ] && return 0
	echo "test-vm: downloading busybox-static:arm64 into $dir, once: it stays there" >&2
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/pkg.XXXXXX")
	if ! (cd "$tmp" && apt-get download -qq busybox-static:arm64 2>/dev/null) ||
		! dpkg-deb -x "$tmp"/*.deb "$tmp/x" || ! cp "$tmp/x/bin/busybox" "$dir/busybox"; then
		echo "test-vm: could not download busybox-static:arm64" >&2
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp"
}

fetch() {
	case $1 in
	v2) fetch_kernel amd64 virtio_pci 9pnet_virtio 9p overlay veth virtio_blk crc32c_generic ext4 ;;
	arm64) fetch_kernel arm64 veth && fetch_busybox_arm64 ;;
	esac
}

# An initramfs in DIR/initramfs.gz from the tree ROOT: busybox BUSYBOX,
# the modules, tests/vm/boot as /init, whatever ROOT holds already.
make_initramfs() { # DIR ROOT BUSYBOX APPLET-LIST
	local dir=$1 root=$2 applet
	mkdir -p "$root"/{bin,proc,sys,dev,modules}
	cp "$3" "$root/bin/busybox"
	for applet in $4; do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	cp "$dir"/modules/*.ko "$dir/modules/order" "$root/modules/"
	install -m 755 tests/vm/boot "$root/init"
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$dir/initramfs.gz"
}

# Run qemu (its console into LOG, cleaned of escape codes), then print the
# results as TAP, labelled "VM vm: ", and the VM's summary (with the
# accelerator, if the caller chose one in $accel). Fails when the VM
# failed a check or did not finish.
boot() { # VM LOG SECONDS qemu-command...
	local vm=$1 log=$2 limit=$3 began=$SECONDS summary
	shift 3
	# (--foreground: qemu stays in our process group, and a TERM to the
	# group, as scripts/test.sh ends a job, ends it too)
	timeout --foreground "$limit" "$@" </dev/null 2>&1 |
		sed -u 's/\x1b[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/\r//g' >"$log"
	# test.sh's lines (MB_VM_RUN): "ok    X", "FAIL  X", "skip  X # skip reason", "      # ..."
	sed -n -e "s/^.*ok    \(.*\)$/ok - $vm vm: \1/p" \
		-e "s/^.*FAIL  \(.*\)$/not ok - $vm vm: \1/p" \
		-e "s/^.*skip  \(.*\) # skip \(.*\)$/ok - $vm vm: \1 # skip \2/p" \
		-e 's/^      \(# .*\)$/\1/p' "$log"
	summary=$(sed -n 's/^.*vm: \([0-9]* passed, [0-9]* failed, [0-9]* skipped\)$/\1/p' "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "not ok - $vm vm: the VM did not finish its checks (see $log)"
		tail -n 15 "$log" | sed 's/^/# /'
		return 1
	fi
	echo "# $vm vm: $summary, in $((SECONDS - began)) s${accel:+ ($accel)}"
	[[ $summary == *" 0 failed"* ]]
}

# The accelerator for the v2 VM: kvm when /dev/kvm is there and a probe
# boot with it reaches the initramfs's /init within 20 s (some machines'
# /dev/kvm takes a guest that then hangs at "Booting from ROM"), else tcg,
# qemu's software emulation. MB_VM_ACCEL=tcg (or kvm) skips the probe.
choose_accel() { # DIR
	local dir=$1
	[ -z "${MB_VM_ACCEL:-}" ] || { echo "$MB_VM_ACCEL"; return; }
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		timeout 20 qemu-system-x86_64 -accel kvm -m 256 -smp 1 -nographic -no-reboot -nic none \
			-kernel "$dir/kernel" -initrd "$dir/initramfs.gz" \
			-append "console=ttyS0 quiet panic=-1 mb.probe=1" </dev/null 2>/dev/null | grep -q 'vm: boot: probe reached /init'; then
		echo kvm
	else
		echo tcg
	fi
}

scratch='' # the v2 VM's disk while it runs: removed however this script ends
trap '[ -z "$scratch" ] || rm -f "$scratch"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

run_v2() {
	local dir=build/vm/amd64 root user='' accel status
	if [ "$(uname -m)" != x86_64 ]; then
		echo "ok - v2 vm: the whole ladder on pure cgroup v2 # skip it boots an x86_64 kernel, this is $(uname -m)"
		return 0
	fi
	make -s all rootfs probes || return 1
	root=$(mktemp -d)
	make_initramfs "$dir" "$root" "$(command -v busybox)" "$(busybox --list)"
	rm -rf "$root"
	[ -n "${SUDO_UID:-}" ] && [ "$SUDO_UID" != 0 ] && user=$SUDO_UID:${SUDO_GID:-$SUDO_UID}
	# The host's root, read-only, as the VM's lower layer: the VM writes
	# only to its own tmpfs. (A clone whose path has a space cannot be named
	# on the kernel command line.)
	accel=$(choose_accel "$dir")
	# The VM's /tmp, where the tests make their folders and chapter 12 its
	# image store: a disk of its own, ext4, not the overlay of the root,
	# which refuses a whiteout (a 0/0 character device) in an overlay's
	# upper layer, and not a tmpfs (user.* xattrs, which a rootless overlay
	# needs, only from Linux 6.6). Sparse, made here, removed after.
	scratch=$(mktemp "$dir/scratch.XXXXXX")
	truncate -s 16G "$scratch"
	mke2fs -q -F -t ext4 -O ^has_journal "$scratch" || { rm -f "$scratch"; return 1; }
	boot v2 "$dir/console.log" "${MB_VM_TIMEOUT:-2400}" \
		qemu-system-x86_64 -accel "$accel" -m 2048 -smp 2 -nographic -no-reboot -nic none \
		-kernel "$dir/kernel" -initrd "$dir/initramfs.gz" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-drive "file=$scratch,format=raw,if=virtio,cache=unsafe" \
		-append "console=ttyS0 quiet panic=-1 mb.run=$PWD/tests/vm/v2 mb.repo=$PWD mb.ladder=${MB_VM_LADDER:-subset}${user:+ mb.user=$user}"
	status=$?
	rm -f "$scratch"
	scratch=''
	return "$status"
}

run_arm64() {
	local dir=build/vm/arm64 root
	make -s cross ARCH=arm64 || { echo "not ok - arm64 vm: make cross ARCH=arm64 failed"; return 1; }
	root=$(mktemp -d)
	mkdir -p "$root/arm64" "$root/etc"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp -a build/arm64/. "$root/arm64/"
	scripts/mkrootfs.sh "$root/rootfs" >/dev/null || return 1
	cp "$dir/busybox" "$root/rootfs/bin/busybox"
	install -m 755 tests/vm/arm64 "$root/stage2"
	# the applets of the host's busybox (the same version): the arm64 one
	# cannot run here to list its own
	make_initramfs "$dir" "$root" "$dir/busybox" "$(busybox --list)"
	rm -rf "$root"
	boot arm64 "$dir/console.log" "${MB_ARM64_TIMEOUT:-900}" \
		qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on -m 1024 -smp 2 \
		-nographic -no-reboot -nic none -kernel "$dir/kernel" -initrd "$dir/initramfs.gz" \
		-append "console=ttyAMA0 quiet panic=-1"
}

status=0
for vm in "${vms[@]}"; do
	# (scripts/test.sh installed them already: then this is silent)
	if ! scripts/install-deps.sh "$([ "$vm" = v2 ] && echo --vm || echo --arm64)" >&2; then
		echo "not ok - $vm vm: could not install what it needs"
		status=1
		continue
	fi
	if ! fetch "$vm"; then
		echo "not ok - $vm vm: could not fetch what it boots"
		status=1
		continue
	fi
	[ "$fetch_only" = 1 ] && continue
	case $vm in
	v2) run_v2 || status=1 ;;
	arm64) run_arm64 || status=1 ;;
	esac
done
exit "$status"
