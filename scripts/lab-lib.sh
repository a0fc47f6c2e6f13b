# shellcheck shell=bash
# Shared by the lab checks (scripts/lab-notes.sh, scripts/lab-giveaways.sh):
# sourced, not run.

# The calls and constants of region number $2 of chapter $1 (its files, $3...,
# in mklab's order): code lines only, no comments, no strings; one
# identifier a line.
region_names() {
	awk -v n="$1" -v want="$2" '
	$0 ~ "/\\* LAB " n ": " { k++; inside = (k == want); next }
	$0 ~ "/\\* END LAB " n " \\*/" { inside = 0; next }
	!inside { next }
	/^[ \t]*\/\*/ { c = 1 }
	c { if (/\*\//) c = 0; next }
	/^\/\/@/ { next }
	{ line = $0; sub(/\/\*.*/, "", line); gsub(/"([^"\\]|\\.)*"/, "", line)
		while (match(line, /[A-Za-z_][A-Za-z0-9_]*/)) {
			w = substr(line, RSTART, RLENGTH); rest = substr(line, RSTART + RLENGTH)
			if (w ~ /^[A-Z][A-Z0-9_]+$/ && length(w) > 2 || rest ~ /^[ \t]*\(/) print w
			line = rest
		} }' "${@:3}" | sort -u
}
