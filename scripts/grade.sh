#!/usr/bin/env bash
# Grade one program against a chapter's tests: rebuild it first (a stale
# binary never gets graded), run the tests, say how far it got and why the
# first failing test failed, and write a grade sheet a teacher can collect.
# Used by `make test CH=NN MINIBOX=...` (scripts/test.sh), by `make progress`
# (every lab/NN-slug/) and by a handout's ./grade.
#
#   scripts/grade.sh [OPTIONS] NN PROGRAM
#     --own          only chapter NN's own tests (default: every chapter's up to NN)
#     --tap FILE     write the results as one TAP stream
#     --junit FILE   write them as JUnit XML (what CI servers and graders read)
#     --name NAME    who is graded, in the sheets (default: user@host)
#     --quiet        no per-file lines, only the summary
#     --first        stop at the first failing test (what --hint needs)
#     --hint         no grading: the next hint for the first failing test
#                    (from the last grade.tap beside PROGRAM if it is newer
#                    than the sources, else from a run of chapter NN's own
#                    tests), one step more each time: the man page, the idea,
#                    the call. The hints are the lab's .hints (scripts/mklab.sh);
#                    .hints-shown beside them remembers what was shown.
#
# PROGRAM is built with `make PROGRAM` (and its siblings, from 08 on
# minibox-exec), from the folder this script's parent is: the repository, or
# a handout. The tests of chapter NN and every earlier one run as root, and
# from chapter 04 on again as the ordinary user (tests/user.bash).
# The last line is "N passed, N failed, N skipped". Exit 0 when all pass,
# 1 when a test fails, 2 when the program does not build. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

own='' tap_out='' junit_out='' quiet='' hint='' first_only=''
name="${SUDO_USER:-$(id -un)}@$(hostname)"
while [ $# -gt 0 ]; do
	case $1 in
	--own) own=1 ;;
	--tap) tap_out=${2:?--tap needs a file}; shift ;;
	--junit) junit_out=${2:?--junit needs a file}; shift ;;
	--name) name=${2:?--name needs a name}; shift ;;
	--quiet) quiet=1 ;;
	--first) first_only=1 ;;
	--hint) hint=1 ;;
	-*) echo "grade: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# = 2 ] || { echo "usage: scripts/grade.sh [--own] [--tap FILE] [--junit FILE] [--name NAME] [--quiet] [--first] [--hint] NN PROGRAM" >&2; exit 2; }
n=$1 program=$(realpath -m --relative-to=. "$2")

# --hint: the next step of the hints for the TODO whose test fails first.
# Ids are compared as strings ("08.1" is not "08.10"); a test is named in a
# GOAL by its whole name or the start of it. The lab's .hints is gzipped and
# in base64 (scripts/mklab.sh), so that it shows no hint before its turn.
show_hint() {
	local dir hints tap failing='' why t names all=() ids=() todo=() route=()
	dir=$(dirname "$program") hints=$(dirname "$program")/.hints
	tap=$dir/grade.tap
	[ -s "$hints" ] || { echo "grade: no hints in $dir (make lab and make handout write them, in .hints)" >&2; return 2; }
	# a lab made before .hints was encoded has it in plain text
	H=$(base64 -d "$hints" 2>/dev/null | gzip -dc 2>/dev/null) || H=$(cat "$hints")
	# a grade older than the sources says nothing about them: grade again,
	# up to the first failing test
	if [ ! -f "$tap" ] || [ -n "$(find "$dir" -maxdepth 1 -name '*.[ch]' -newer "$tap")" ]; then
		echo "grade: running chapter $n's tests to find the first failing one..."
		"$0" --own --first --quiet --tap "$tap" "$n" "$program" >/dev/null || [ $? = 1 ] || { echo "grade: the tests did not run (see sudo ./grade)" >&2; return 2; }
	fi
	failing=$(sed -n 's/^not ok [0-9]* //p' "$tap" | head -n 1)
	[ -n "$failing" ] || { echo "grade: every test passes: no hint needed"; return 0; }
	# what it said: bats' lines under it, and what minibox printed
	why=$(awk '/^not ok / { if (on) exit; on = 1; next } on && /^(ok|not ok) / { exit } on' "$tap")
	# the regions whose GOAL names the failing test; those whose TODO is
	# not filled in yet; and how well each region's GOAL matches what the
	# failure said (the test's name, the lines it quotes)
	mapfile -t ids < <(awk -F '\t' -v t="$failing" '$3 == "test" && index(t, $4) == 1 && !seen[$1 ""]++ { print $1 }' <<<"$H")
	mapfile -t all < <(awk -F '\t' '!seen[$1 ""]++ { print $1 }' <<<"$H")
	for t in "${all[@]}"; do
		filled "$t" || todo+=("$t")
	done
	echo "first failing test: $failing"
	names=''
	if [ "${#ids[@]}" -gt 1 ]; then
		names=$(printf '%s, ' "${ids[@]:0:${#ids[@]}-1}")
		names="${names%, } and ${ids[-1]}"
	fi
	for t in "${ids[@]}"; do
		[[ " ${todo[*]} " == *" $t "* ]] || continue
		route=("$t") # the first of them still to do: the test needs it
		[ "${#ids[@]}" -lt 2 ] || echo "(this test checks $names; the first not filled in yet is $t)"
		break
	done
	if [ "${#route[@]}" = 0 ] && [ "${#todo[@]}" -gt 0 ]; then
		# what the test checks is filled in, but it needs a TODO left: of
		# those, the one the failure points at, else the first
		route=("$(best_match "$failing"$'\n'"$why" "${todo[@]}")")
		if [ "${#ids[@]}" -gt 0 ]; then
			echo "(this test checks ${names:-${ids[0]}}, filled in; ${route[0]} is not yet, and may be what it needs)"
		else
			echo "(no TODO's GOAL names this test; ${route[0]} is not filled in yet, and may be what it needs)"
		fi
	elif [ "${#route[@]}" = 0 ] && [ "${#ids[@]}" -gt 1 ]; then
		# every one of them is filled in: any of them may be the mistake
		echo "this test checks $names, all filled in: the mistake is in one of them"
		route=("${ids[@]}")
	elif [ "${#route[@]}" = 0 ] && [ "${#ids[@]}" = 1 ]; then
		route=("${ids[0]}")
	elif [ "${#route[@]}" = 0 ]; then
		# no GOAL names it and all are filled in: the region the failure
		# points at, else the first
		route=("$(best_match "$failing"$'\n'"$why" "${all[@]}")")
		echo "(no TODO's GOAL names this test: the hints of ${route[0]}, which the failure points at most)"
	fi
	for t in "${route[@]}"; do hint_step "$t"; done
}

# best_match TEXT ID...: of the regions IDs, the one whose GOAL's quoted
# lines (-v lines, error lines) and test names share the most words with
# TEXT; the first of them when none shares any. Words in capitals only
# (PID, PATH) stand for values, and are not compared.
best_match() {
	local text=$1
	shift
	awk -F '\t' -v want=" $* " -v text="$text" '
		BEGIN { n = split(text, w, /[^A-Za-z0-9_]+/); for (i = 1; i <= n; i++) said[w[i]] = 1
			split(want, order, " ") }
		($3 == "says" || $3 == "test") && index(want, " " $1 " ") {
			n = split($4, w, /[^A-Za-z0-9_]+/); all = 0; hit = 1
			for (i = 1; i <= n; i++) {
				if (length(w[i]) < 3 || w[i] ~ /^[A-Z]+$/) continue
				all++; if (!(w[i] in said)) hit = 0
			}
			if (all && hit) score[$1] += all
		}
		END { best = order[1]
			for (i = 1; i in order; i++) if (score[order[i]] > score[best]) best = order[i]
			print best }' <<<"$H"
}

# filled ID: is region ID's TODO filled in? Yes when its comment is gone, or
# when the first line under the comment that is not blank is not the one the
# handout had there (.hints' "after" line): the student wrote code there.
filled() {
	local file after
	file=$(awk -F '\t' -v id="$1" '$1 "" == id "" { print $2; exit }' <<<"$H")
	after=$(awk -F '\t' -v id="$1" '$1 "" == id "" && $3 == "after" { print $4; exit }' <<<"$H")
	awk -v id="($1)" -v after="$after" '
		!on && index($0, "TODO LAB ") && index($0, id) { on = 1; todo = 1 }
		on == 1 { if (index($0, "*/")) on = 2; next }
		on == 2 { t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t); if (t == "") next; seen = 1; same = t == after; exit }
		END { exit !(!todo || (after != "" && seen && !same)) }' "$dir/$file" 2>/dev/null
}

# hint_step ID: the next step of region ID's hints (steps without text are
# not steps), remembered in .hints-shown.
hint_step() {
	local id=$1 dir shown file steps=() step total text
	dir=$(dirname "$program") shown=$(dirname "$program")/.hints-shown
	file=$(awk -F '\t' -v id="$id" '$1 "" == id "" { print $2; exit }' <<<"$H")
	mapfile -t steps < <(awk -F '\t' -v id="$id" '$1 "" == id "" && $3 ~ /^[0-9]+$/ && $4 ~ /[^ \t]/ { print $4 }' <<<"$H")
	total=${#steps[@]}
	[ "$total" -gt 0 ] || { echo "TODO LAB $n ($id) in $file: no hints for it; its GOAL in the TODO says what must be true"; return 0; }
	step=$(awk -v id="$id" '$1 "" == id "" { s = $2 } END { print s + 1 }' "$shown" 2>/dev/null || echo 1)
	[ "$step" -le "$total" ] || step=$total
	text=${steps[step - 1]}
	echo "TODO LAB $n ($id) in $file, hint $step of $total:"
	fold -s -w 96 <<<"$text" | sed 's/^/  /'
	echo "$id $step" >>"$shown"
	if [ "$step" -lt "$total" ]; then
		echo "(./grade --hint again for the next step)"
	else
		echo "(that was the last hint for this TODO: it names the call; the chapter's README says why)"
	fi
}
[ -z "$hint" ] || { show_hint; exit; }
[ "$(id -u)" = 0 ] || { echo "grade: run me as root (sudo): the tests create namespaces and mounts" >&2; exit 2; }
chapter=$(find tests -maxdepth 1 -name "$n-*.bats" -printf '%f\n' | head -n 1)
chapter=${chapter%.bats}
[ -n "$chapter" ] || { echo "grade: no tests/$n-*.bats here" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The results: $tmp/N.tap and $tmp/N.label for each run; the sheets are written from them.
passed=0 failed=0 skipped=0 first='' i=0

# The grade sheets, TAP and JUnit XML, from the $i runs in $tmp.
write_sheets() {
	# TAP: one stream, one plan, a comment before each file, the reasons
	# bats gave under each failure.
	if [ -n "$tap_out" ]; then
		for ((j = 0; j < i; j++)); do
			echo "# $(cat "$tmp/$j.label")"
			grep -E '^((not )?ok |#)' "$tmp/$j.tap"
		done | awk -v who="$name" -v ch="$chapter" '
			BEGIN { print "# minibox " ch ": " who }
			/^#/ { print; next }
			{ k++; sub(/^ok [0-9]+/, "ok " k); sub(/^not ok [0-9]+/, "not ok " k); print }
			END { print "1.." k }' >"$tap_out"
	fi
	# JUnit XML: a testsuite per run, a testcase per test, the reason in <failure>.
	if [ -n "$junit_out" ]; then
		for ((j = 0; j < i; j++)); do
			awk -v label="$(cat "$tmp/$j.label")" '
			function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s); return s }
			function flush() { if (name == "") return; tests++
				out = out "    <testcase classname=\"" esc(label) "\" name=\"" esc(name) "\">"
				if (kind == "fail") { failures++; out = out "\n      <failure message=\"" esc(name) "\">" esc(why) "</failure>\n    " }
				if (kind == "skip") { skipped++; out = out "<skipped message=\"" esc(why) "\"/>" }
				out = out "</testcase>\n"; name = "" }
			/^not ok / { flush(); kind = "fail"; why = ""; name = $0; sub(/^not ok [0-9]+ /, "", name); next }
			/^ok .* # skip/ { flush(); kind = "skip"; name = $0; sub(/^ok [0-9]+ /, "", name); why = name
				sub(/ # skip.*/, "", name); sub(/.* # skip ?/, "", why); next }
			/^ok / { flush(); kind = "pass"; name = $0; sub(/^ok [0-9]+ /, "", name); next }
			/^#/ && kind == "fail" { line = $0; sub(/^# ?/, "", line); why = why line "\n"; next }
			END { flush()
				if (tests == 0) { tests = 1; failures = 1
					out = "    <testcase classname=\"" esc(label) "\" name=\"the tests run\"><failure message=\"the file did not load\"/></testcase>\n" }
				printf "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" skipped=\"%d\">\n%s  </testsuite>\n",
					esc(label), tests, failures + 0, skipped + 0, out }' "$tmp/$j.tap"
		done >"$tmp/suites.xml"
		{
			echo '<?xml version="1.0" encoding="UTF-8"?>'
			printf '<testsuites name="minibox %s: %s" tests="%d" failures="%d" skipped="%d">\n' \
				"$chapter" "$name" "$((passed + failed + skipped))" "$failed" "$skipped"
			cat "$tmp/suites.xml"
			echo '</testsuites>'
		} >"$junit_out"
	fi
}

# Rebuild: the program and its siblings (from 08 on, minibox-exec). A build
# that fails is the first thing to fix: show the compiler's words, and the
# sheets say so too: one failed test, "the program builds".
dir=$(dirname "$program")
for c in "$dir"/*.c; do
	[ -f "$c" ] || continue # a program without its source beside it is graded as it is
	if ! log=$(make -s --no-print-directory "${c%.c}" 2>&1); then
		why=$(grep -m 8 -E 'error|Error' <<<"$log")
		echo "$chapter: ${c%.c} does not build yet:"
		echo "  ${why//$'\n'/$'\n'  }"
		printf 'not ok 1 %s builds\n# %s\n' "${c%.c}" "${why//$'\n'/$'\n'# }" >"$tmp/0.tap"
		echo "$chapter" >"$tmp/0.label"
		i=1 failed=1
		write_sheets
		echo "0 passed, 1 failed, 0 skipped"
		exit 2
	fi
done
# What the tests need besides the program: the rootfs (03 on), probes (06 on).
[ "$((10#$n))" -lt 3 ] || make -s --no-print-directory rootfs >/dev/null || exit 2
[ "$((10#$n))" -lt 6 ] || make -s --no-print-directory probes >/dev/null || exit 2

# The rootless pass runs as the ordinary user (tests/user.bash says who).
# shellcheck source=tests/user.bash disable=SC1091
source tests/user.bash
mb_choose_user "$PWD" || { echo "grade: could not prepare the ordinary user's copy" >&2; exit 2; }
trap 'rm -rf "$tmp"; mb_remove_user_tree' EXIT

# The runs: "label<TAB>test file<TAB>rootless?", earlier chapters first.
runs=()
for t in tests/[0-9][0-9]-*.bats; do
	t=$(basename "$t" .bats)
	[[ $t > $chapter ]] && break
	[ -n "$own" ] && [ "$t" != "$chapter" ] && continue
	runs+=("$t"$'\t'"$t"$'\t')
	# from chapter 04 on, every chapter's tests again as the ordinary user:
	# chapter 04's idea is that the earlier chapters now work rootless
	if [ "$((10#$n))" -ge 4 ]; then
		runs+=("$t as $MB_USER_LABEL"$'\t'"$t"$'\t'1)
	fi
done

for run in "${runs[@]}"; do
	IFS=$'\t' read -r label file rootless <<<"$run"
	filter=()
	[ -n "$rootless" ] && filter=(--filter-tags '!once')
	MB_FAIL_FAST=$first_only MB_ROOTLESS=$rootless MINIBOX=$PWD/$program bats --formatter tap "${filter[@]}" "tests/$file.bats" \
		>"$tmp/$i.tap" 2>&1
	echo "$label" >"$tmp/$i.label"
	p=$(grep -c '^ok ' "$tmp/$i.tap")
	s=$(grep -c '^ok .* # skip' "$tmp/$i.tap")
	f=$(grep -c '^not ok ' "$tmp/$i.tap")
	p=$((p - s))
	# a file that does not even load has no results: that is a failure too
	grep -q '^\(not \)\?ok ' "$tmp/$i.tap" || f=1
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ -z "$quiet" ]; then
		total=$((p + f))
		bar=$(printf '%*s' "$((p * 20 / (total > 0 ? total : 1)))" '' | tr ' ' '#')
		extra=''
		[ "$s" = 0 ] || extra=", $s skipped"
		printf '%-34s [%-20s] %d of %d pass%s\n' "$label" "$bar" "$p" "$total" "$extra"
	fi
	# The first failure, with its reason: bats' own lines and what minibox said.
	if [ -z "$first" ] && [ "$f" -gt 0 ]; then
		first=$(awk 'on && /^(not )?ok / { exit }
			/^not ok /{ on = 1; sub(/^not ok [0-9]+ /, ""); print "  " $0; next }
			on && /^#[ \t]*$/ { next }
			on && /^#/ { sub(/^# ?/, ""); print "    " $0; if (++k >= 14) exit; next }
			on { exit }' "$tmp/$i.tap")
		[ -n "$first" ] || first="  tests/$file.bats did not run: $(head -n 3 "$tmp/$i.tap" | tr '\n' ' ')"
		first="first failure, in $label:"$'\n'$first
	fi
	i=$((i + 1))
	[ -z "$first_only" ] || [ -z "$first" ] || break
done
[ -z "$first" ] || echo "$first"

write_sheets

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
