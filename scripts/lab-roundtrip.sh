#!/usr/bin/env bash
# TAP: the lab round trip a teacher relies on, on chapter 01 (small and
# quick: its own tests only). The handout unpacks and builds on its own, its
# README gives no solution away, it fails the chapter's tests, ./grade --hint
# gives hints in steps, it carries the GitHub workflow, and it passes
# them once the chapter's code is put back; `make lab` never writes over
# edited work, but does write again over a lab nobody touched; and the last
# chapter's handout holds every helper its tests call. Run as root.
#
#   scripts/lab-roundtrip.sh [NN]     (default 01)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

n=${1:-01}
chapter=$(find chapters -mindepth 1 -maxdepth 1 -name "$n-*" -printf '%f\n' | head -n 1)
[ -n "$chapter" ] || { echo "lab-roundtrip: no chapter $n" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=0 failures=0

# check WHAT COMMAND...: one TAP line; on failure, the command's last lines.
check() {
	local what=$1 log
	shift
	k=$((k + 1))
	if log=$("$@" 2>&1); then
		echo "ok $k $what"
	else
		echo "not ok $k $what"
		tail -n 12 <<<"$log" | sed 's/^/# /'
		failures=$((failures + 1))
	fi
}
fails() { ! "$@"; }

# The handout, as a student gets it: the tarball, unpacked elsewhere.
check "make handout CH=$n writes a folder and a tarball" \
	scripts/mkhandout.sh "$n" "$tmp/made/minibox-lab-$chapter"
mkdir -p "$tmp/student"
check "the tarball unpacks" tar -C "$tmp/student" -xzf "$tmp/made/minibox-lab-$chapter.tar.gz"
h=$tmp/student/minibox-lab-$chapter
check "the handout builds on its own (make)" make -s -C "$h"
# (in minibox.c, or in a file the chapter adds: 11's are all in console.h)
check "the handout's sources have the TODOs, not the code" \
	sh -c "grep -q 'TODO LAB $n' '$h'/*.[ch] && ! grep -q '/[*] LAB $n: ' '$h'/*.[ch]"
check "the handout's README points to no solution (no make diff, no finished program, no code walk)" \
	sh -c "! grep -n 'make diff\|chapters/$chapter/minibox\.c\|make lab\|not in the lab\|solutions/' '$h/README.md' &&
		sed -n '/^## The code/,/^## /p' '$h/README.md' | grep -q 'That is your part'"
check "sudo ./grade fails the handout as given" fails "$h/grade" --own
check "the grade sheet names each failing test" \
	sh -c "grep -q '<failure' '$h/grade.xml' && grep -q '^not ok ' '$h/grade.tap'"
# shellcheck disable=SC2016 # the scripts are for sh -c: $1 is theirs
check "./grade --hint gives the first failing test's hints one step at a time, and remembers" sh -c '
	"$1/grade" --hint >"$1/h1" && "$1/grade" --hint >"$1/h2" || exit 1
	grep -q "hint 1 of 3:" "$1/h1" && grep -q "hint 2 of 3:" "$1/h2" && [ -s "$1/.hints-shown" ] ||
		{ cat "$1/h1" "$1/h2"; exit 1; }' sh "$h"
check "the handout carries a workflow that runs sudo ./grade on GitHub's runner" \
	grep -q 'run: sudo ./grade' "$h/.github/workflows/grade.yml"
cp "chapters/$chapter"/*.[ch] "$h/" # minibox.c, from 08 on minibox-exec.c, in 10 layers.h, in 11 console.h
check "sudo ./grade passes once the chapter's code is put back" "$h/grade" --own
check "the grade sheet then has no failure" \
	sh -c "grep -q 'failures=\"0\"' '$h/grade.xml' && ! grep -q '<failure' '$h/grade.xml'"

# The tests of later chapters call helpers (build/nsrel, scripts/nsgraph):
# the last chapter's handout, which holds every test, must hold them too.
last=$(find chapters -mindepth 1 -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' | sort | tail -n 1)
# shellcheck disable=SC2016 # the script is for sh -c: its $1 and $2 are its own
check "the last chapter's handout holds every scripts/ and build/ helper its tests call" sh -c '
	scripts/mkhandout.sh "${2%%-*}" "$1" >/dev/null && cd "$1" || exit 1
	for f in $(grep -hv "^[[:space:]]*#" tests/*.bats tests/*.bash |
		grep -o "\(scripts\|build\)/[A-Za-z0-9_.-]*" | sort -u); do
		[ -e "$f" ] || make -n "$f" >/dev/null 2>&1 || { echo "missing in the handout: $f"; exit 1; }
	done' sh "$tmp/last/minibox-lab-$last" "$last"

# The hint router, on a lab of its own with a grade.tap written by hand (no
# test runs): a failing test goes to the region whose GOAL names it (its
# whole name or the start of it), ids compare whole ("08.1" is not "08.10"),
# every step shown has text; of several regions naming the test, the one
# whose TODO is still there, and when all are filled in, all of them.
router() {
	local r=$tmp/router/$chapter hints ids id name out total want others last
	scripts/mklab.sh "$n" "$r" >/dev/null || return 1
	hints=$tmp/hints # .hints decoded (it is gzipped and in base64)
	base64 -d "$r/.hints" | gzip -dc >"$hints" || return 1
	route() { # the hints for failing test $1, after the edits made
		printf 'not ok 1 %s\n' "$1" >"$r/grade.tap"
		touch -d '+1 min' "$r/grade.tap"
		rm -f "$r/.hints-shown"
		scripts/grade.sh --hint "$n" "$r/minibox"
	}
	mapfile -t ids < <(awk -F '\t' '!seen[$1 ""]++ { print $1 }' "$hints")
	for id in "${ids[@]}"; do
		name=$(awk -F '\t' -v id="$id" '$1 "" == id "" && $3 == "test" { print $4; exit }' "$hints")
		[ -n "$name" ] || continue
		want=$(awk -F '\t' -v t="$name" '$3 == "test" && index(t, $4) == 1 { print $1; exit }' "$hints")
		total=$(awk -F '\t' -v id="$want" '$1 "" == id "" && $3 ~ /^[0-9]+$/ && $4 ~ /[^ \t]/' "$hints" | wc -l)
		out=$(route "$name") || { echo "$out"; return 1; }
		if ! grep -q "^TODO LAB $n ($want) in [^ ]*, hint 1 of $total:\$" <<<"$out" ||
			! grep -A 1 '^TODO LAB' <<<"$out" | tail -n 1 | grep -q '[^ ]'; then
			echo "test \"$name\": want $want, hint 1 of $total, with text; got:"; echo "$out"; return 1
		fi
	done
	# a test named by several regions
	name=$(awk -F '\t' '$3 == "test" { n[$4]++; if (n[$4] == 2) { print $4; exit } }' "$hints")
	[ -n "$name" ] || return 0
	mapfile -t ids < <(awk -F '\t' -v t="$name" '$3 == "test" && index(t, $4) == 1 && !seen[$1 ""]++ { print $1 }' "$hints")
	last=${ids[-1]}
	for id in "${ids[@]:0:${#ids[@]}-1}"; do sed -i "s/($id)/(filled)/" "$r"/*.[ch]; done
	out=$(route "$name")
	grep -q "^TODO LAB $n ($last) " <<<"$out" ||
		{ echo "test \"$name\", all but $last filled in: want $last; got:"; echo "$out"; return 1; }
	# every region filled in (with other TODOs left, the router would go to them)
	sed -i "s/($n\.[0-9]*)/(filled)/" "$r"/*.[ch]
	out=$(route "$name")
	others=$(printf '%s, ' "${ids[@]:0:${#ids[@]}-1}")
	if ! grep -q "^this test checks ${others%, } and $last, all filled in" <<<"$out" ||
		[ "$(grep -c '^TODO LAB' <<<"$out")" != "${#ids[@]}" ]; then
		echo "test \"$name\", all filled in: want ${ids[*]} listed; got:"; echo "$out"; return 1
	fi
}
check "./grade --hint routes a failing test to the TODO that its GOAL names, exactly, with no empty step" router

# make lab's guard, on a lab folder of this test's own.
lab=$tmp/lab/$chapter
check "make lab writes a lab" scripts/mklab.sh "$n" "$lab"
check "make lab writes it again while nobody has touched it" scripts/mklab.sh "$n" "$lab"
echo '/* the student was here */' >>"$lab/minibox.c"
check "make lab refuses to write over an edited lab, and says how to start over" \
	sh -c "! scripts/mklab.sh '$n' '$lab' 2>'$tmp/refusal' && grep -q 'start over' '$tmp/refusal'"
check "the student's edit is still there" grep -q 'the student was here' "$lab/minibox.c"

echo "1..$k"
[ "$failures" = 0 ]
