#!/usr/bin/env bash
# TAP: a lab handout gives no TODO's answer away outside the TODO. A student
# who copies a call from the README, or from the comment above the gap, has
# learned nothing: the handout may explain the kernel idea, not spell the code.
#
# For each LAB region, its answer's names are the calls and constants of its
# code (as scripts/lab-notes.sh reads them) that the rest of the handout's
# code does not use anyway. None of them may stand in
#   - the handout's README (scripts/mkhandout.sh): a call with its
#     arguments, "name(...", or a constant (a flag) as a word; the name of
#     the call as the man page's, "name()" or "name(2)", is fine;
#   - the handout's sources outside the TODOs: their comments and the
#     strings of narrate() and die() (SAY notes or the region take them in).
# Except what a TODO quotes itself: a -v line or an error a test reads; and
# a call whose man page the TODO names (the flags it is called with still count).
#
#   scripts/lab-giveaways.sh [NN...]   (default: every chapter with LAB regions)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=0 failures=0
wanted=" $* "

# shellcheck source=scripts/lab-lib.sh
. scripts/lab-lib.sh

# The handout's sources outside the TODOs, split in two: $1 gets the code
# (no comments, no strings), $2 the comments and the strings.
split_shown() {
	awk -v code="$1" -v words="$2" '
	/TODO LAB/ { t = 1 } t { if (/\*\//) t = 0; next }
	c { if (sub(/.*\*\//, "")) c = 0; else { print > words; next } }
	{ line = $0
		while (match(line, /"([^"\\]|\\.)*"/)) { print substr(line, RSTART, RLENGTH) > words
			line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH) }
		while (match(line, /\/\*/)) { rest = substr(line, RSTART)
			if (match(rest, /\*\//)) { print substr(rest, 1, RSTART + 1) > words
				line = substr(line, 1, index(line, "/*") - 1) " " substr(rest, RSTART + 2) }
			else { print rest > words; line = substr(line, 1, index(line, "/*") - 1); c = 1 } }
		sub(/\/\/.*/, "", line)
		print line > code }' "${@:3}"
}

# Lines of file $2 that name $1: a flag (a constant with a "_", an ioctl's
# TIOC...) as a word; a call with arguments, "name(x" (not "name()" or "name(2)").
naming() {
	if [[ $1 =~ ^[A-Z][A-Z0-9]*_[A-Z0-9_]+$|^TIOC ]]; then
		grep -nw -- "$1" "$2"
	elif [[ $1 =~ ^[A-Z] ]]; then
		return 1 # a word in capitals: JSON, an errno; not a flag
	else
		grep -nE -- "(^|[^A-Za-z0-9_])$1\([^0-9)]" "$2"
	fi
}

for dir in chapters/[0-9][0-9]-*/; do
	c=$(basename "$dir") n=${c%%-*}
	[ -n "${wanted// /}" ] && [[ $wanted != *" $n "* ]] && continue
	grep -qs "/\* LAB $n: " "$dir"*.[ch] || continue
	h=$tmp/$c
	if ! scripts/mkhandout.sh "$n" "$h" >/dev/null 2>"$tmp/err"; then
		k=$((k + 1)) failures=$((failures + 1))
		echo "not ok $k $c: make handout writes the handout"
		sed 's/^/# /' "$tmp/err"
		continue
	fi
	files=("$dir"*.[ch])
	: >"$tmp/code" && : >"$tmp/words"
	split_shown "$tmp/code" "$tmp/words" "$h"/*.[ch]
	# what the TODOs quote: the -v lines and errors the tests read
	# (each TODO as one line: a quote may go on over the comment's lines)
	cat "$h"/*.[ch] | awk '/TODO LAB/ { t = 1 } t { line = $0; sub(/^[ \t]*(\/\*|\*)?[ \t]*/, "", line)
			printf "%s ", line; if (/\*\//) { t = 0; print "" } }' |
		grep -oE '"([^"\\]|\\.)*"' >"$tmp/quoted" || true
	total=$(cat "$dir"*.[ch] | grep -c "/\* LAB $n: ")
	for r in $(seq 1 "$total"); do
		why=''
		# the man pages the TODO names: their calls are no secret, their flags are
		pages=" $(cat "$h"/*.[ch] | awk -v id="($n.$r)" 'index($0, id) && /TODO LAB/ { t = 1 }
			t { print; if (/\*\//) exit }' | grep -oE '[a-z_0-9]+\([0-9]' | tr -d '(0-9' | tr '\n' ' ')"
		while read -r w; do
			[ -n "$w" ] || continue
			grep -qw -- "$w" "$tmp/code" && continue
			naming "$w" "$tmp/quoted" >/dev/null && continue
			[[ $pages == *" $w "* ]] && continue
			where=$(naming "$w" "$h/README.md" | cut -c 1-110)
			[ -z "$where" ] || why+="README.md names $w:"$'\n'"$where"$'\n'
			where=$(naming "$w" "$tmp/words" | cut -d: -f 2- | cut -c 1-110)
			[ -z "$where" ] || why+="a comment or string outside the TODOs names $w:"$'\n'"$where"$'\n'
		done < <(region_names "$n" "$r" "${files[@]}")
		k=$((k + 1))
		if [ -z "$why" ]; then
			echo "ok $k $c: the handout names none of TODO $n.$r's calls outside it"
		else
			failures=$((failures + 1))
			echo "not ok $k $c: the handout names none of TODO $n.$r's calls outside it"
			echo "# ${why//$'\n'/$'\n'# }"
		fi
	done
done
echo "1..$k"
[ "$failures" = 0 ]
