#!/usr/bin/env bash
# Build the course's own OCI image from rootfs/, offline: chapter 12 runs it.
# Two layers, so that every case of a layer stack is real:
#   layer 1: rootfs/ (busybox), plus /etc/issue and /usr/share/minibox/{one,two}
#   layer 2: adds /etc/os-release, deletes /etc/issue (a whiteout, .wh.issue),
#            replaces /usr/share/minibox by a folder holding only "three"
#            (an opaque folder, .wh..wh..opq)
# Written with tar, gzip and sha256sum, the JSON by hand: an OCI image layout
# is files named by their digests, and index.json.
#
#   scripts/mkimage.sh [OUT]   (default build/image: writes OUT/ and OUT.tar)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build/image}
[ -x rootfs/bin/busybox ] || { echo "mkimage: no rootfs/; run make rootfs first" >&2; exit 1; }
case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) arch=$(uname -m) ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256" "$work/l1" "$work/l2/etc" "$work/l2/usr/share/minibox"

cp -a rootfs/. "$work/l1/"
echo "layer 1's /etc/issue: layer 2 deletes it" >"$work/l1/etc/issue"
mkdir -p "$work/l1/usr/share/minibox"
echo "layer 1" >"$work/l1/usr/share/minibox/one"
echo "layer 1" >"$work/l1/usr/share/minibox/two"

cat >"$work/l2/etc/os-release" <<'OS'
NAME="minibox course image"
ID=minibox
PRETTY_NAME="minibox course image (busybox, two layers)"
OS
: >"$work/l2/etc/.wh.issue"
: >"$work/l2/usr/share/minibox/.wh..wh..opq"
echo "layer 2" >"$work/l2/usr/share/minibox/three"

# The same bytes from the same rootfs: names sorted, owner root, times 0.
blob() { # FILE: move it into the blobs, print "DIGEST SIZE"
	local sum size
	sum=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	mv "$1" "$work/blobs/sha256/$sum"
	echo "sha256:$sum $size"
}
layer() { # DIR: print "DIGEST SIZE DIFF_ID" of its gzipped tar
	tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-C "$1" -cf "$work/layer.tar" .
	local diff
	diff=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
	gzip -n -9 "$work/layer.tar"
	echo "$(blob "$work/layer.tar.gz") $diff"
}
read -r l1 l1size l1diff < <(layer "$work/l1")
read -r l2 l2size l2diff < <(layer "$work/l2")

printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin","IMAGE=minibox-course"],"Cmd":["sh"],"WorkingDir":"/root"},"rootfs":{"type":"layers","diff_ids":["%s","%s"]},"history":[{"created_by":"scripts/mkimage.sh: rootfs/"},{"created_by":"scripts/mkimage.sh: os-release, whiteouts"}]}' \
	"$arch" "$l1diff" "$l2diff" >"$work/config.json"
read -r config configsize < <(blob "$work/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
	"$config" "$configsize" "$l1" "$l1size" "$l2" "$l2size" >"$work/manifest.json"
read -r manifest manifestsize < <(blob "$work/manifest.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
	"$manifest" "$manifestsize" >"$work/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

rm -rf "$work/l1" "$work/l2" "$out" "$out.tar"
mkdir -p "$(dirname "$out")"
tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$work" -cf "$out.tar" oci-layout index.json blobs
mv "$work" "$out"
chmod 755 "$out"
trap - EXIT
echo "mkimage: built $out/ and $out.tar: manifest $manifest, layers ${l1:7:12}... ${l2:7:12}..."
