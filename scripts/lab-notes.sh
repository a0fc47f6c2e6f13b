#!/usr/bin/env bash
# TAP: every LAB region of every chapter carries the lab tool's notes
# (scripts/mklab.sh), so that its TODO states a goal, not the code:
#   - a GOAL, which the TODO says instead of the marker's sentence; it names
#     a man page to read (name(N)) and the tests that check it ("Checked by"
#     and their names, each the name or part of the name of a test);
#   - hints 1, 2 and 3 (the man page section, the idea, the call), for
#     ./grade --hint;
#   - no call or constant of the region's code in the TODO that the handout
#     does not show elsewhere anyway, except inside a quoted "-v line" or
#     error line the tests read, or a man page's name;
#   - and every SAY note's statement is out of the handout.
#
#   scripts/lab-notes.sh [NN...]      (default: every chapter with LAB regions)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=0 failures=0
wanted=" $* "

ok() { k=$((k + 1)); echo "ok $k $1"; }
not_ok() {
	k=$((k + 1)) failures=$((failures + 1))
	echo "not ok $k $1"
	echo "# ${2//$'\n'/$'\n'# }"
}

# shellcheck source=scripts/lab-lib.sh
. scripts/lab-lib.sh

grep -h '^@test ' tests/*.bats >"$tmp/tests"
for dir in chapters/[0-9][0-9]-*/; do
	c=$(basename "$dir") n=${c%%-*}
	[ -n "${wanted// /}" ] && [[ $wanted != *" $n "* ]] && continue
	grep -qs "/\* LAB $n: " "$dir"*.[ch] || continue
	h=$tmp/$c
	if ! scripts/mklab.sh "$n" "$h" >/dev/null 2>"$tmp/err"; then
		not_ok "$c: make lab writes the lab" "$(cat "$tmp/err")"
		continue
	fi
	files=("$dir"*.[ch])
	# The handout without its TODOs: what the student is shown anyway.
	for f in "$h"/*.[ch]; do
		awk '/TODO LAB/ { t = 1 } t { if (/\*\//) t = 0; next } { print }' "$f"
	done >"$tmp/shown"
	mapfile -t ids < <(grep -ho "TODO LAB $n ($n\.[0-9]*)" "$h"/*.[ch] | grep -o "$n\.[0-9]*" | sort -u -t . -k 2n)
	total=$(cat "$dir"*.[ch] | grep -c "/\* LAB $n: ")
	if [ "${#ids[@]}" != "$total" ]; then
		not_ok "$c: each of the $total LAB $n regions is one numbered TODO" "TODOs found: ${ids[*]}"
	fi
	for id in "${ids[@]}"; do
		why=''
		todo=$(cat "$h"/*.[ch] | awk -v id="($id)" 'index($0, id) && /TODO LAB/ { t = 1 }
			t { line = $0; sub(/^[ \t]*(\/\*|\*)?[ \t]*/, "", line); sub(/[ \t]*\*\/[ \t]*$/, "", line)
				printf "%s ", line; if (/\*\//) exit }')
		# (.hints is gzipped and in base64: scripts/mklab.sh)
		hints=$(base64 -d "$h/.hints" | gzip -dc | awk -F '\t' -v id="$id" '$1 "" == id')
		# the GOAL is there: it alone names tests (the marker's sentence does not)
		grep -q "^$id	[^	]*	test	" <<<"$hints" ||
			why+="no GOAL LAB $n with 'Checked by \"test name\"' in the region"$'\n'
		for s in 1 2 3; do
			grep -q "^$id	[^	]*	$s	." <<<"$hints" || why+="no HINT LAB $n $s in the region"$'\n'
		done
		grep -qE '[a-z_0-9.-]+\([0-9][a-z]*\)' <<<"$todo" || why+="the TODO names no man page, name(N)"$'\n'
		while IFS=$'\t' read -r _ _ _ name; do
			grep -qF -- "$name" "$tmp/tests" ||
				why+="no test is named \"$name\""$'\n'
		done < <(grep "^$id	[^	]*	test	" <<<"$hints")
		# the names of the region's code that the TODO gives away
		prose=$(sed -E 's/"([^"\\]|\\.)*"//g; s/[A-Za-z_0-9.-]+\([0-9][a-z]*\)//g' <<<"$todo")
		while read -r w; do
			[ -n "$w" ] || continue
			grep -qw -- "$w" <<<"$prose" || continue
			grep -qw -- "$w" "$tmp/shown" && continue
			why+="the TODO names $w, which only the answer uses"$'\n'
		done < <(region_names "$n" "${id#*.}" "${files[@]}")
		if [ -z "$why" ]; then
			ok "$c: TODO $id states a goal, names its man page and tests, has three hints"
		else
			not_ok "$c: TODO $id states a goal, names its man page and tests, has three hints" \
				"${todo:0:300}"$'\n'"$why(README.md, Changing the course, says what a region's notes are)"
		fi
	done
	# SAY notes: their statements are gone from the handout
	says=$(cat "$dir"*.[ch] | grep -c "/\* SAY LAB $n: ")
	made=$(cat "$h"/*.[ch] | grep -c "TODO LAB ${n}[ :]" || true)
	[ "$made" -ge "$((total + says))" ] ||
		not_ok "$c: each SAY LAB $n note is a TODO in the handout" "$says notes, $made TODOs for $total regions"
done
echo "1..$k"
[ "$failures" = 0 ]
