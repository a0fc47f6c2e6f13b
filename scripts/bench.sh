#!/usr/bin/env bash
# What does each namespace cost at start-up? Runs `minibox true` for every
# chapter, and a plain `true` as the baseline, in interleaved rounds (order
# shuffled each round, a short pause before each run), and prints the median
# time of each and its ratio to the baseline. Absolute times drift between
# runs and machines; the ratios are what to quote. Run as root.
#
#   scripts/bench.sh [ROUNDS]      (default 30)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=${1:-30}
[ "$(id -u)" = 0 ] || { echo "bench: run me as root (sudo make bench)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=(baseline) cmds=("/bin/true")
for dir in chapters/[0-9][0-9]-*/; do
	names+=("$(basename "$dir")")
	cmds+=("$PWD/${dir}minibox /bin/true")
done

for _ in $(seq "$rounds"); do
	for i in $(seq 0 $((${#names[@]} - 1)) | shuf); do
		sleep 0.02
		read -r -a cmd <<<"${cmds[$i]}"
		t0=$EPOCHREALTIME
		"${cmd[@]}" >/dev/null 2>&1
		t1=$EPOCHREALTIME
		echo "$((10#${t1/./} - 10#${t0/./}))" >>"$tmp/${names[$i]}"
	done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
base=$(median "$tmp/baseline")
printf '%-14s %12s %8s\n' "" "median (ms)" "ratio"
for name in "${names[@]}"; do
	m=$(median "$tmp/$name")
	awk -v n="$name" -v m="$m" -v b="$base" 'BEGIN { printf "%-14s %12.2f %7.1fx\n", n, m / 1000, m / b }'
done
echo "($rounds rounds; ratio = median / median of a plain /bin/true)"
