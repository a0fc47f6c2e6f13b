#!/usr/bin/env bash
# Make a lab exercise of chapter NN: copy its C files to lab/NN-slug/ with
# every LAB NN region replaced by a TODO that holds the marker's sentence.
# Earlier chapters' regions stay filled: a student works on one idea at a time.
#
#   scripts/mklab.sh NN [OUTDIR]      (default OUTDIR: lab/NN-slug)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:?usage: scripts/mklab.sh NN [OUTDIR]}
src=$(find chapters -mindepth 1 -maxdepth 1 -name "$n-*" | head -n 1)
[ -n "$src" ] || { echo "mklab: no chapter $n in chapters/" >&2; exit 2; }
out=${2:-lab/$(basename "$src")}

grep -q "/\* LAB $n: " "$src"/*.c || { echo "mklab: $src has no LAB $n markers" >&2; exit 2; }
mkdir -p "$out"
for c in "$src"/*.c; do
	awk -v n="$n" -v file="$c" '
	$0 ~ "/\\* LAB " n ": " {
		if (inside) { print file ": LAB " n " opened twice" > "/dev/stderr"; exit 1 }
		inside = 1
		indent = $0; sub(/[^ \t].*/, "", indent)
		text = $0; sub(/^[ \t]*\/\* LAB /, "", text)
		print indent "/* TODO LAB " text
		next
	}
	$0 ~ "/\\* END LAB " n " \\*/" {
		if (!inside) { print file ": END LAB " n " without a start" > "/dev/stderr"; exit 1 }
		inside = 0
		next
	}
	!inside { print }
	END { if (inside) { print file ": LAB " n " never ends" > "/dev/stderr"; exit 1 } }
	' "$c" >"$out/$(basename "$c")"
done
echo "mklab: wrote $out/ (LAB $n regions are TODOs now)"
