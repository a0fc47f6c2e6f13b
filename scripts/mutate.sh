#!/usr/bin/env bash
# Prove that the tests test something. For every chapter NN:
#   (a) strip the LAB NN code (scripts/mklab.sh), rebuild, run tests/NN-*.bats:
#       they must fail ("killed"); if they pass, the tests are vacuous ("SURVIVED");
#   (b) run tests/NN-*.bats against chapter NN-1's binary: they must fail too;
#   (c) apply each hand-written mutant of chapter NN (tests/mutants.txt: a
#       realistic mistake outside the LAB regions) to the source in ladder/,
#       write chapter NN from it, rebuild, run the test of tests/NN-*.bats it
#       names: it must fail.
#       A mutant marked "? v1" is checked on a cgroup v1 (hybrid) host only:
#       on a pure v2 host its line never runs, or its test skips.
# Prints one TAP line per check; exits 1 when anything survived. Run as root.
#
#   scripts/mutate.sh          every chapter
#   scripts/mutate.sh 03 05    chapters 03 and 05 (scripts/test.sh runs one a job)
#
# A mutant may do on the host what the stripped code did in a namespace
# (rename the machine, make IPC objects, mount): each runs in a UTS, IPC and
# mount namespace of its own, so other tests running meanwhile (this suite's,
# another suite's) never see it. It has a /run/minibox of its own too: a
# real minibox running meanwhile would sweep the stale records that a mutant
# which never sweeps leaves, and let it survive (scripts/private-run.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
survivors=0

# The first test of a file that fails against a binary, or nothing. The
# tests stop at the first failure (MB_FAIL_FAST): one is enough to kill.
# Without a test named, the file's first test, its chapter's main property,
# is tried alone first: it kills almost every stripped chapter, and the
# whole file after it would cost a skip each (bats 1.8 has no --abort).
first_failure() { # test-file binary [test-name-regex]
	local first
	if [ -z "${3:-}" ]; then
		first=$(sed -n 's/^@test "\(.*\)" {$/\1/p' "tests/$1.bats" | head -n 1)
		# its name as a regular expression that matches just it
		# shellcheck disable=SC2001,SC2016 # one sed for every special character
		first=$(first_failure "$1" "$2" "^$(sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$first")\$")
		[ -n "$first" ] && { echo "$first"; return; }
	fi
	local tap try filter=()
	[ -x "$2" ] || { echo "mutate: no binary $2" >&2; exit 2; }
	[ -n "${3:-}" ] && filter=(--filter "$3")
	for try in 1 2; do
		# Tests that wait for something the stripped code never does would
		# wait the full 10 seconds; 1 is plenty for code that works.
		tap=$(MB_FAIL_FAST=1 MB_PATIENCE=1 MB_TEST_TIMEOUT=30 MINIBOX=$2 \
			unshare --uts scripts/private-run.sh bats --formatter tap "${filter[@]}" "tests/$1.bats" 2>&1; echo "exit $?")
		# no plan line: the tests did not even run, which proves nothing
		# (seen once in many runs, with no output at all: try again)
		grep -q '^1\.\.' <<<"$tap" && break
		[ "$try" = 2 ] && { echo "!$(head -n 3 <<<"$tap" | tr '\n' ' ')"; return; }
	done
	sed -n 's/^not ok [0-9]* //p' <<<"$tap" | head -n 1
}

report() { # first-failure what
	if [[ $1 == "!"* ]]; then
		echo "not ok - $2: the tests did not run: ${1#!}"
		survivors=$((survivors + 1))
	elif [ -n "$1" ]; then
		echo "ok - $2: killed (fails: $1)"
	else
		echo "not ok - $2: SURVIVED (every test passes without the code)"
		survivors=$((survivors + 1))
	fi
}

# Chapter $1's hand-written mutants, one "WHAT<TAB>TEST<TAB>OLD<TAB>NEW<TAB>ONLY"
# line each (ONLY: "v1", or empty).
mutants_of() {
	awk -v n="$1" '
	/^@ / { what = substr($0, 3); ok = substr(what, 1, 2) == n; what = substr(what, 4); test = only = ""; next }
	ok && /^= / { test = substr($0, 3); next }
	ok && /^\? / { only = substr($0, 3); next }
	ok && /^- / { old = substr($0, 3); next }
	ok && /^\+ / { print what "\t" test "\t" old "\t" substr($0, 3) "\t" only; ok = 0 }
	' tests/mutants.txt
}

# Write chapter $1's programs into $2 with one mutant applied, to the one
# source every chapter is written from (ladder/, scripts/ladder.sh): OLD ($3)
# must be, without its indent, exactly one line of what chapter $1 has of
# ladder/ (minibox.c, from 08 on minibox-exec.c and what both include), so a
# mutant of code that both programs share reaches both.
mutate_chapter() {
	rm -rf "$2"
	MB_OLD=$3 MB_NEW=$4 scripts/ladder.sh --chapter "${1%%-*}" "$2" 2>"$tmp/err" ||
		{ mkdir -p "$2"; sed 's/^ladder: //' "$tmp/err" >"$2/err"; return 1; }
}

# Build every program in $1 (the test of 08 on runs minibox-exec beside minibox).
# A program whose source is the chapter's own, untouched, is the chapter's
# binary, already built: copied rather than compiled again. A header both
# programs include makes neither untouched when it is mutated.
build_all() {
	local c built h same
	for c in "$1"/*.c; do
		built=chapters/${2:-}/$(basename "${c%.c}")
		same=0
		if [ -n "${2:-}" ] && [ -x "$built" ] && cmp -s "$c" "chapters/$2/${c##*/}"; then
			same=1
			for h in "$1"/*.h; do
				[ -e "$h" ] && ! cmp -s "$h" "chapters/$2/${h##*/}" && same=0
			done
		fi
		if [ "$same" = 1 ]; then
			cp "$built" "${c%.c}" || return 1
		else
			# shellcheck disable=SC2046 # the libraries its first lines name: words
			$CC -std=gnu11 -w -o "${c%.c}" "$c" $(sed -n '1,/\*\//s/^ \*   cc .* '"${c##*/}"'\( -l.*\)$/\1/p' "$c") || return 1
		fi
	done
}

hand_mutants() { # chapter dir
	local chapter=$1 what test old new only
	# the list on descriptor 3: from chapter 11 on, minibox relays its stdin,
	# and a test's minibox would read the rest of the list
	while IFS=$'\t' read -r -u 3 what test old new only; do
		if [ "$only" = v1 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
			echo "ok - $chapter mutant \"$what\" # skip checked on a cgroup v1 host only, this host is v2"
		elif ! mutate_chapter "$chapter" "$tmp/hand" "$old" "$new"; then
			echo "not ok - $chapter mutant \"$what\": stale ($(cat "$tmp/hand/err"))"
			survivors=$((survivors + 1))
		elif ! build_all "$tmp/hand" "$chapter" 2>/dev/null; then
			echo "not ok - $chapter mutant \"$what\": does not build"
			survivors=$((survivors + 1))
		else
			# the test that must catch it, in the chapter's own file
			report "$(first_failure "$chapter" "$tmp/hand/minibox" "$test")" "$chapter mutant \"$what\""
		fi
	done 3< <(mutants_of "${chapter%%-*}")
}

wanted=" $* "
prev=
for dir in chapters/[0-9][0-9]-*/; do
	chapter=$(basename "$dir") n=${chapter%%-*}
	if [ ! -f "tests/$chapter.bats" ] || { [ $# -gt 0 ] && [[ $wanted != *" $n "* ]]; }; then
		prev=$chapter
		continue
	fi
	# Chapter 00 is the skeleton: it has no LAB region to strip.
	if grep -qs "/\* LAB $n: " "$dir"*.[ch]; then
		scripts/mklab.sh "$n" "$tmp/$chapter" >/dev/null
		if build_all "$tmp/$chapter"; then
			report "$(first_failure "$chapter" "$tmp/$chapter/minibox")" "$chapter with LAB $n stripped"
		else
			echo "not ok - $chapter: the lab with LAB $n stripped does not build"
			survivors=$((survivors + 1))
		fi
	fi
	if [ -n "$prev" ]; then
		report "$(first_failure "$chapter" "$PWD/chapters/$prev/minibox")" "$chapter on chapter $prev's binary"
	fi
	hand_mutants "$chapter"
	prev=$chapter
done
[ "$survivors" = 0 ]
