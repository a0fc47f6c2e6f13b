#!/usr/bin/env bash
# cgroup v2, tested for real from a host that is not pure v2 (this project's
# own machines are hybrid). Boots the distribution's kernel under qemu,
# with no KVM needed, from a small initramfs: busybox, a static build of
# chapter 07's minibox, the rootfs, and tests/vm/init, which mounts cgroup2
# as the only hierarchy, runs chapter 07's checks and powers off. The
# host's own cgroups are never touched. Prints one TAP line per check.
#
#   sudo scripts/test-vm.sh        (or: sudo make test-vm)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

vm=build/vm
chapter=chapters/07-cgroup
[ "$(id -u)" = 0 ] || { echo "test-vm: run me as root (it installs qemu and a kernel package)" >&2; exit 1; }
if [ "$(uname -m)" != x86_64 ]; then
	echo "ok - vm: cgroup v2 checks in a VM # skip they boot an x86_64 kernel, this is $(uname -m)"
	exit 0
fi
if ! command -v apt-get >/dev/null; then
	echo "ok - vm: cgroup v2 checks in a VM # skip they fetch Debian's kernel with apt, which this host lacks"
	exit 0
fi
scripts/install-deps.sh --vm || exit 1
make -s rootfs || exit 1
mkdir -p "$vm"

# The kernel: Debian's own, from its package, unpacked here (not installed).
if [ ! -f "$vm/vmlinuz" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
	[ -n "$pkg" ] || { apt-get update -qq && pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }'); }
	(cd "$vm" && apt-get download -qq "$pkg" 2>/dev/null) || { echo "test-vm: could not download $pkg" >&2; exit 1; }
	rm -rf "$vm/kernel"
	dpkg-deb -x "$vm/$pkg"_*.deb "$vm/kernel" && cp "$vm"/kernel/boot/vmlinuz-* "$vm/vmlinuz" || exit 1
	rm -rf "$vm/kernel" "$vm/$pkg"_*.deb
fi

# The initramfs: everything static, so no library is needed.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp}
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
# (the linker warns that getpwuid() in a static program wants the host's
# libraries at run time: minibox only uses it for ordinary users' names;
# -O0: each program runs a few times, optimizing it costs more CPU than it saves)
cc -static -std=gnu11 -O0 -Wall -Wextra -Werror -o "$root/minibox" "$chapter/minibox.c" \
	2> >(grep -v -e getpwuid -e 'in function' >&2) || exit 1
# chapter 09's minibox and minibox-exec: joining a container's cgroup v2
# (clone3(CLONE_INTO_CGROUP)), as root and as an ordinary user
for prog in minibox minibox-exec; do
	[ -f "chapters/09-time/$prog.c" ] || continue
	cc -static -std=gnu11 -O0 -Wall -Wextra -Werror -o "$root/$prog-09" "chapters/09-time/$prog.c" \
		2> >(grep -v -e getpwuid -e 'in function' >&2) || exit 1
done
cp -a rootfs "$root/rootfs"
install -m 755 tests/vm/init "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$vm/initramfs.gz"

timeout 600 qemu-system-x86_64 -m 1024 -nographic -no-reboot -kernel "$vm/vmlinuz" \
	-initrd "$vm/initramfs.gz" -append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 |
	sed 's/\x1b[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/\r//g' >"$vm/console.log"
# (the console may put escape codes or kernel messages in front of a line)
grep -aoE '(not ok|ok) - vm:.*|^# .*' "$vm/console.log"
if ! grep -q '^vm: [0-9]* passed, 0 failed$' "$vm/console.log"; then
	grep -q '^vm: [0-9]* passed' "$vm/console.log" ||
		echo "not ok - vm: the VM did not finish its checks (see $vm/console.log)"
	exit 1
fi
