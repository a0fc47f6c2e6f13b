#!/usr/bin/env bash
# Install what minibox needs to build, test and demo, and nothing that is
# already there. Works with apt (Debian, Ubuntu), dnf (Fedora), apk (Alpine)
# and pacman (Arch). Run as root. Says what it installs; silent when all is present.
#
#   scripts/install-deps.sh          build, tests, demo, diagrams
#   scripts/install-deps.sh --lint   also clang and cppcheck, for `make lint`
#   scripts/install-deps.sh --vm     also qemu (x86_64), for the cgroup v2 VM (`make test-vm`)
#   scripts/install-deps.sh --arm64  also qemu (aarch64) and the arm64 cross compiler, for the
#                                    arm64 VM (`make test-arm64`); adds dpkg's arm64 architecture
#                                    (apt then knows arm64 packages; none is installed)
# scripts/test.sh asks for --vm and --arm64 only when the suite boots those
# VMs (not with MB_SKIP_VM=1). Their kernels and arm64 busybox are not
# installed but downloaded into build/vm/ (scripts/test-vm.sh, announced).
#   scripts/install-deps.sh --bench  also bwrap, crun and strace, the tools `make bench` compares with
set -euo pipefail

want_lint=0 want_vm=0 want_arm64=0 want_bench=0
for arg in "$@"; do
	case $arg in
	--lint) want_lint=1 ;;
	--vm) want_vm=1 ;;
	--arm64) want_arm64=1 ;;
	--bench) want_bench=1 ;;
	-h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "install-deps: unknown option: $arg" >&2; exit 2 ;;
	esac
done

# What must be present: "test|debian-pkg|fedora-pkg|alpine-pkg|arch-pkg".
# The test is a command name, or a path when no command tells.
needs=(
	"cc|gcc|gcc|build-base|gcc"
	"make|make|make|make|make"
	"/usr/include/stdio.h|libc6-dev|glibc-devel|musl-dev|glibc"
	"bats|bats|bats|bats|bats"
	"@bats-support|bats-support|-|-|bats-support"
	"@bats-assert|bats-assert|-|-|bats-assert"
	"dot|graphviz|graphviz|graphviz|graphviz"
	"@busybox-static|busybox-static|busybox|busybox-static|busybox"
	"ip|iproute2|iproute|iproute2|iproute2"
	"setpriv|util-linux|util-linux|setpriv|util-linux"
	"ps|procps|procps-ng|procps|procps-ng"
	"shellcheck|shellcheck|ShellCheck|shellcheck|shellcheck"
	# chapter 12 (images): tar and gzip, JSON
	"/usr/include/archive.h|libarchive-dev|libarchive-devel|libarchive-dev|libarchive"
	"/usr/include/jansson.h|libjansson-dev|jansson-devel|jansson-dev|jansson"
	"python3|python3|python3|python3|python"
)
[ "$want_lint" = 1 ] && needs+=("clang|clang|clang|clang|clang" "cppcheck|cppcheck|cppcheck|cppcheck|cppcheck")
[ "$want_bench" = 1 ] && needs+=("bwrap|bubblewrap|bubblewrap|bubblewrap|bubblewrap" "crun|crun|crun|crun|crun" "strace|strace|strace|strace|strace")
[ "$want_arm64" = 1 ] && needs+=("qemu-system-aarch64|qemu-system-arm|qemu-system-aarch64|qemu-system-aarch64|qemu-system-aarch64"
	"aarch64-linux-gnu-gcc|gcc-aarch64-linux-gnu|gcc-aarch64-linux-gnu|gcc-aarch64|aarch64-linux-gnu-gcc"
	"/usr/aarch64-linux-gnu/lib/libc.a|libc6-dev-arm64-cross|-|-|-"
	"arm-linux-gnueabihf-as|binutils-arm-linux-gnueabihf|binutils-arm-linux-gnu|binutils-armhf|arm-linux-gnueabihf-binutils"
	"gzip|gzip|gzip|gzip|gzip" "dpkg-deb|dpkg|-|-|-")
[ "$want_vm" = 1 ] && needs+=("qemu-system-x86_64|qemu-system-x86|qemu-system-x86|qemu-system-x86_64|qemu-system-x86" "gzip|gzip|gzip|gzip|gzip" "dpkg-deb|dpkg|-|-|-"
	"mke2fs|e2fsprogs|e2fsprogs|e2fsprogs|e2fsprogs")

# The bats helper libraries live under a lib dir, not on PATH.
has_bats_lib() {
	local d
	for d in ${BATS_LIB_PATH:+${BATS_LIB_PATH//:/ }} /usr/lib/bats /usr/share/bats /usr/local/lib/bats /usr/lib /usr/local/lib; do
		[ -f "$d/$1/load.bash" ] && return 0
	done
	return 1
}

# A static busybox is what the root filesystem is made of (scripts/mkrootfs.sh).
has_static_busybox() {
	local b
	for b in /bin/busybox.static /bin/busybox /usr/bin/busybox /sbin/busybox; do
		[ -x "$b" ] && is_static "$b" && return 0
	done
	return 1
}
# ldd refuses (or says "statically linked" of) a program with no loader.
is_static() { ! ldd "$1" >/dev/null 2>&1 || ldd "$1" 2>&1 | grep -q statically; }

present() {
	case $1 in
	@bats-support | @bats-assert) has_bats_lib "${1#@}" ;;
	@busybox-static) has_static_busybox ;;
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

if command -v apt-get >/dev/null; then col=2
elif command -v dnf >/dev/null; then col=3
elif command -v apk >/dev/null; then col=4
elif command -v pacman >/dev/null; then col=5
else col=0
fi

# Debian's arm64 kernel and busybox are fetched with apt (scripts/test-vm.sh):
# apt must know the arm64 architecture.
if [ "$want_arm64" = 1 ] && [ "$col" = 2 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: apt does not know arm64 packages; run as root (sudo $0 --arm64)" >&2
		exit 1
	fi
	echo "install-deps: adding the arm64 architecture to dpkg (for the arm64 VM's kernel; nothing arm64 is installed)"
	dpkg --add-architecture arm64 && apt-get update -qq
fi

missing=() unknown=()
for row in "${needs[@]}"; do
	IFS='|' read -r -a f <<<"$row"
	present "${f[0]}" && continue
	if [ "$col" = 0 ] || [ "${f[$((col - 1))]}" = - ]; then
		unknown+=("${f[0]#@}")
	else
		missing+=("${f[$((col - 1))]}")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing: ${missing[*]}; run as root (sudo $0) to install them" >&2
		exit 1
	fi
	why=()
	[ "$want_vm" = 0 ] || why+=("--vm: the cgroup v2 VM")
	[ "$want_arm64" = 0 ] || why+=("--arm64: the arm64 VM")
	echo "install-deps: installing ${missing[*]}${why:+ (with ${why[*]})}"
	case $col in
	2) export DEBIAN_FRONTEND=noninteractive
	   # A fresh machine has no package lists yet; refresh them once.
	   apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
	   { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ;;
	3) dnf install -y -q "${missing[@]}" ;;
	4) apk add -q "${missing[@]}" ;;
	5) pacman -S --needed --noconfirm "${missing[@]}" ;;
	esac
fi

if [ ${#unknown[@]} -gt 0 ]; then
	echo "install-deps: no package known here for: ${unknown[*]}; install them by hand" >&2
	exit 1
fi
exit 0
