#!/usr/bin/env bash
# The chapters' programs are written from one source: ladder/. Each file
# there (minibox.c, minibox-exec.c, ...) holds every chapter's version at
# once; a line inside a block says which chapters have it:
#
#   //@ 03+        the lines below, up to the matching //@ end, are in
#   ...            chapter 03 and every chapter after it
#   //@ 07-08      these only in chapters 07 and 08 (a block inside a
#   ...            block narrows it: it must lie within the outer one)
#   //@ end
#   //@ end
#
# A line outside every block is in every chapter that has the file. A
# chapter folder (chapters/NN-slug/, with its README) gets each file whose
# version for NN is not empty. The written files are committed: a learner's
# clone builds each chapter alone, with no generator.
#
#   scripts/ladder.sh              write chapters/*/ from ladder/
#   scripts/ladder.sh --check      fail, naming each chapter file that differs
#   scripts/ladder.sh --chapter NN DIR    write chapter NN's files into DIR;
#       with MB_OLD and MB_NEW set, one line of it (MB_OLD without its indent,
#       found exactly once among the lines chapter NN has) is MB_NEW there:
#       scripts/mutate.sh's hand mutants, applied to the source
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Print chapter $1's version of source file $2. With MB_OLD set, replace
# that line and say on stderr how many lines matched ("matched N").
project() {
	awk -v ch="$((10#$1))" '
	function fail(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; bad = 1; exit 2 }
	BEGIN { old = ENVIRON["MB_OLD"]; new = ENVIRON["MB_NEW"] } # -v would read \0 as an escape
	/^\/\/@/ {
		if (NF != 2) fail("a block line is //@ NN+, //@ NN-MM or //@ end")
		if ($2 == "end") { if (depth == 0) fail("//@ end outside a block"); depth--; next }
		if ($2 ~ /^[0-9][0-9]\+$/) { lo = substr($2, 1, 2) + 0; hi = 99 }
		else if ($2 ~ /^[0-9][0-9]-[0-9][0-9]$/) { lo = substr($2, 1, 2) + 0; hi = substr($2, 4, 2) + 0 }
		else fail("a block line is //@ NN+, //@ NN-MM or //@ end")
		if (hi < lo) fail($2 ": the chapters run backwards")
		if (depth > 0 && (lo < los[depth] || hi > his[depth])) fail($2 ": not within the block around it")
		depth++; los[depth] = lo; his[depth] = hi
		next
	}
	depth > 0 && (ch < los[depth] || ch > his[depth]) { next }
	old != "" { line = $0; sub(/^[ \t]+/, "", line)
		if (line == old) { indent = $0; sub(/[^ \t].*/, "", indent); print indent new; found++; next } }
	{ print }
	END {
		if (bad) exit 2
		if (depth > 0) { printf "%s: %d block(s) without //@ end\n", FILENAME, depth > "/dev/stderr"; exit 2 }
		if (old != "") print "matched " found + 0 > "/dev/stderr"
	}' "$2"
}

# Write chapter $1's files into folder $2; each file whose version is empty is left out.
write_chapter() {
	local src name matched=0 err
	mkdir -p "$2" || return 1
	for src in ladder/*; do
		name=${src##*/}
		err=$(project "$1" "$src" 2>&1 >"$2/$name.new") || { echo "ladder: $err" >&2; rm -f "$2/$name.new"; return 1; }
		if [ -n "${MB_OLD:-}" ]; then matched=$((matched + ${err#matched })); fi
		if [ -s "$2/$name.new" ]; then mv "$2/$name.new" "$2/$name"; else rm -f "$2/$name.new" "$2/$name"; fi
	done
	if [ -n "${MB_OLD:-}" ] && [ "$matched" != 1 ]; then
		echo "ladder: found $matched times in chapter $1: $MB_OLD" >&2
		return 1
	fi
}

chapters() { find chapters -mindepth 1 -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' | sort; }

case ${1:-} in
--chapter)
	[ $# = 3 ] || { echo "usage: scripts/ladder.sh --chapter NN DIR" >&2; exit 2; }
	write_chapter "$2" "$3" ;;
--check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	stale=()
	for c in $(chapters); do
		write_chapter "${c%%-*}" "$tmp/$c" || exit 1
		for src in ladder/*; do
			name=${src##*/}
			if [ -e "$tmp/$c/$name" ] || [ -e "chapters/$c/$name" ]; then
				cmp -s "$tmp/$c/$name" "chapters/$c/$name" 2>/dev/null || stale+=("chapters/$c/$name")
			fi
		done
	done
	if [ ${#stale[@]} -gt 0 ]; then
		echo "not ok - chapter programs: ${stale[*]} are not what ladder/ writes: edit ladder/, then run scripts/ladder.sh (or make ladder)"
		exit 1
	fi
	echo "ok - chapter programs: every chapter's file is what ladder/ writes" ;;
'')
	for c in $(chapters); do write_chapter "${c%%-*}" "chapters/$c" || exit 1; done ;;
*)
	sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 2 ;;
esac
