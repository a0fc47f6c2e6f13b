#!/usr/bin/env bash
# TAP: ./grade --hint names the region a student got wrong. For each chapter,
# its handout filled in as a student fills it (every region's code under its
# TODO, the TODO left in place: scripts/mklab.sh's MB_FILL), then broken one
# region at a time, emptied back to its TODO, and graded with ./grade --hint:
# the hint must be that region's, and no other's.
#
#   scripts/hint-routes.sh [NN...]      (default: 03 05 08 10)
#
# Each break runs the chapter's own tests up to the first that fails (as
# ./grade --hint does), as root. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

[ "$(id -u)" = 0 ] || { echo "hint-routes: run me as root" >&2; exit 2; }
[ $# -gt 0 ] || set -- 03 05 08 10
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=0 failures=0

for n in "$@"; do
	chapter=$(find chapters -mindepth 1 -maxdepth 1 -name "$n-*" -printf '%f\n' | head -n 1)
	[ -n "$chapter" ] || { echo "hint-routes: no chapter $n" >&2; exit 2; }
	h=$tmp/$chapter
	scripts/mkhandout.sh "$n" "$h" >/dev/null || exit 1
	# the course's rootfs, as the handout's `make rootfs` would build it
	cp -a rootfs "$h/" && touch "$h/rootfs/bin/busybox" || exit 1
	ids=$(base64 -d "$h/.hints" | gzip -dc | awk -F '\t' '!seen[$1]++ { print $1 }')
	for id in $ids; do
		rm -rf "$tmp/src"
		MB_FILL=$(tr '\n' ' ' <<<"$ids" | sed "s/\(^\| \)$id / /") \
			scripts/mklab.sh "$n" "$tmp/src" >/dev/null || exit 1
		cp "$tmp/src"/*.[ch] "$h/"
		rm -f "$h/grade.tap" "$h/.hints-shown"
		# into a file: a broken program may leave a process behind that
		# holds a pipe open; a hang is a failure, not a wait
		timeout -k 10 300 "$h/grade" --hint >"$tmp/out" 2>&1 </dev/null
		out=$(cat "$tmp/out")
		k=$((k + 1))
		got=$(sed -n 's/^TODO LAB [0-9]* (\([0-9.]*\)) in .*/\1/p' <<<"$out" | tr '\n' ' ')
		if [ "$got" = "$id " ]; then
			echo "ok $k $id emptied: ./grade --hint names $id ($(sed -n 's/^first failing test: //p' <<<"$out"))"
		else
			echo "not ok $k $id emptied: ./grade --hint names ${got:-nothing}"
			head -n 12 "$tmp/out" | sed 's/^/# /'
			failures=$((failures + 1))
		fi
	done
done
echo "1..$k"
[ "$failures" = 0 ]
