#!/usr/bin/env bash
# Prove that the tests test something. For every chapter NN:
#   (a) strip the LAB NN code (scripts/mklab.sh), rebuild, run tests/NN-*.bats:
#       they must fail ("killed"); if they pass, the tests are vacuous ("SURVIVED");
#   (b) run tests/NN-*.bats against chapter NN-1's binary: they must fail too.
# Prints one TAP line per check; exits 1 when anything survived. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
survivors=0

# How many of a test file's tests fail against a binary.
failures() {
	[ -x "$2" ] || { echo "mutate: no binary $2" >&2; exit 2; }
	# Tests that wait for something the stripped code never does would
	# wait the full 5 seconds; 1 is plenty for code that works.
	MB_PATIENCE=1 MINIBOX=$2 bats --formatter tap "tests/$1.bats" 2>/dev/null | grep -c '^not ok'
}

report() { # failing-count total what
	if [ "$1" -gt 0 ]; then
		echo "ok - $3: killed ($1 of $2 tests fail)"
	else
		echo "not ok - $3: SURVIVED (every test passes without the code)"
		survivors=$((survivors + 1))
	fi
}

prev=
for dir in chapters/[0-9][0-9]-*/; do
	chapter=$(basename "$dir") n=${chapter%%-*}
	if [ ! -f "tests/$chapter.bats" ]; then
		prev=$chapter
		continue
	fi
	total=$(grep -c '^@test' "tests/$chapter.bats")
	# Chapter 00 is the skeleton: it has no LAB region to strip.
	if grep -q "/\* LAB $n: " "$dir"minibox.c; then
		scripts/mklab.sh "$n" "$tmp/$chapter" >/dev/null
		if $CC -std=gnu11 -w -o "$tmp/$chapter/minibox" "$tmp/$chapter/minibox.c"; then
			report "$(failures "$chapter" "$tmp/$chapter/minibox")" "$total" "$chapter with LAB $n stripped"
		else
			echo "not ok - $chapter: the lab with LAB $n stripped does not build"
			survivors=$((survivors + 1))
		fi
	fi
	if [ -n "$prev" ]; then
		report "$(failures "$chapter" "$PWD/chapters/$prev/minibox")" "$total" "$chapter on chapter $prev's binary"
	fi
	prev=$chapter
done
[ "$survivors" = 0 ]
