#!/usr/bin/env bash
# Build the container's root filesystem from the host's static busybox.
# Offline: nothing is downloaded. A static binary needs no libraries, so one
# file plus links to it for each applet (sh, ls, ps, ip, ...) is a whole system.
#
#   scripts/mkrootfs.sh [DIR]     (default: rootfs, next to this repository's README)
set -euo pipefail

dest=${1:-$(cd "$(dirname "$0")/.." && pwd)/rootfs}

# ldd refuses (or says "statically linked" of) a program with no loader.
is_static() { ! ldd "$1" >/dev/null 2>&1 || ldd "$1" 2>&1 | grep -q statically; }

busybox=
for b in /bin/busybox.static /usr/bin/busybox.static /bin/busybox /usr/bin/busybox /sbin/busybox; do
	if [ -x "$b" ] && is_static "$b"; then busybox=$b; break; fi
done
if [ -z "$busybox" ]; then
	echo "mkrootfs: no static busybox on this host; install busybox-static" \
		"(Debian, Ubuntu, Alpine) or busybox (Fedora, Arch), or run scripts/install-deps.sh" >&2
	exit 1
fi

# Build next to the destination, then swap it in: a half-built rootfs never
# stands at the destination.
tmp=$(mktemp -d "$dest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,mnt,opt,srv,proc,sys,dev,tmp}
chmod 1777 "$tmp/tmp"
chmod 700 "$tmp/root"
cp "$busybox" "$tmp/bin/busybox"
chmod 755 "$tmp/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$tmp/$applet"
done

cat >"$tmp/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$tmp/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo minibox >"$tmp/etc/hostname"
# A file only the container has, so a learner (and the tests) can tell whose / they see.
echo "this file is in the minibox rootfs" >"$tmp/etc/minibox-release"

rm -rf "$dest"
mv "$tmp" "$dest"
chmod 755 "$dest"
trap - EXIT
echo "mkrootfs: built $dest from $busybox ($("$dest/bin/busybox" | head -n 1 | cut -d' ' -f1-2))"
