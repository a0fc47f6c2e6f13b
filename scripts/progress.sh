#!/usr/bin/env bash
# How far each lab has come: every lab/NN-slug/minibox against its chapter's
# own tests. Make a lab with `make lab CH=NN`. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

[ "$(id -u)" = 0 ] || { echo "progress: run me as root (sudo make progress)" >&2; exit 1; }
shopt -s nullglob
labs=(lab/[0-9][0-9]-*/)
if [ ${#labs[@]} = 0 ]; then
	echo "progress: no lab yet; start one with: make lab CH=01"
	exit 0
fi
make -s rootfs || exit 1
for dir in "${labs[@]}"; do
	chapter=$(basename "$dir")
	make -s "lab/$chapter/minibox" 2>/dev/null || {
		printf '%-12s does not build yet: make lab/%s/minibox shows why\n' "$chapter" "$chapter"
		continue
	}
	tap=$(MINIBOX=$PWD/lab/$chapter/minibox bats --formatter tap "tests/$chapter.bats" 2>/dev/null)
	total=$(grep -c '^ok\|^not ok' <<<"$tap")
	pass=$(grep -c '^ok' <<<"$tap")
	bar=$(printf '%*s' "$((pass * 20 / (total > 0 ? total : 1)))" '' | tr ' ' '#')
	printf '%-12s [%-20s] %d of %d tests pass\n' "$chapter" "$bar" "$pass" "$total"
	first=$(grep -m1 '^not ok' <<<"$tap" | sed 's/^not ok [0-9]* //')
	[ -n "$first" ] && printf '%-12s next: %s\n' "" "$first"
done
exit 0
