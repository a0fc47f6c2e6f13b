#!/usr/bin/env bash
# The code a chapter's README quotes must be the chapter's code, as the
# transcripts must be its output: the prose cannot drift from the program.
#
#   scripts/listings.sh --check [NN...]     every ```c block of each chapter README is
#       an excerpt of that chapter's files (minibox.c, from 08 on minibox-exec.c and
#       shared.h, in 10 layers.h, in 11 console.h):
#       its lines stand there in a row, as written; a line "..." between two runs
#       leaves lines out. In a ```diff block, the lines marked " " and "+" are
#       the chapter's in that way, and those marked " " and "-" the chapter
#       before's ("@@" lines leave lines out).
#       And each LAB NN region of chapter NN is quoted (its marker line) in
#       exactly one "### " section of the README: a part (make lab PART=P hands
#       it out alone) or an aside. The lab tool's notes (GOAL, HINT, SAY, SHOW
#       comments: scripts/mklab.sh) are not quoted: they are left out here.
#   scripts/listings.sh --coverage [NN...]  how many of the code lines a chapter
#       adds (make diff CH=NN: "+" lines that are neither blank nor comment)
#       its README's blocks show
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

mode=${1:-}
shift
mapfile -t chapters < <(find chapters -mindepth 1 -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' | sort)
wanted=" $* "

# The lines the code blocks of README $1 quote: of the chapter into $2, of the
# chapter before (a diff's " " and "-" lines) into $3; a line "..." between
# runs, and at the end of each block.
quoted() {
	awk -v new="$2" -v old="$3" '
	/^```(c|diff)$/ && !kind { kind = substr($0, 4); next }
	/^```/ && kind { print "..." > new; print "..." > old; kind = ""; next }
	kind == "c" { print > new }
	kind == "diff" && /^@@/ { print "..." > new; print "..." > old; next }
	kind == "diff" { mark = substr($0, 1, 1); rest = substr($0, 2)
		if (mark != "-") print rest > new
		if (mark != "+") print rest > old }
	' "$1"
}

# Every line of a block of README $1 ("-" lines and "@@" lines too).
shown_lines() {
	awk '/^```(c|diff)$/ && !kind { kind = substr($0, 4); next }
		/^```/ && kind { kind = ""; next }
		kind == "c" { print } kind == "diff" { print substr($0, 2) }' "$1"
}

# Is every run of quoted lines (file $1, runs separated by a line "...") found,
# in a row, in one of the files $2...? Print each run that is not.
check_runs() {
	awk 'FNR == 1 { fileno++ }
	fileno == 1 { quoted[++nq] = $0; next }
	{ src[fileno, FNR] = $0; len[fileno] = FNR }
	function found(from, to,   f, i, k) {
		for (f = 2; f <= fileno; f++)
			for (i = 1; i + to - from <= len[f]; i++) {
				for (k = from; k <= to && src[f, i + k - from] == quoted[k]; k++) ;
				if (k > to) return 1
			}
		return 0
	}
	END {
		start = 1
		for (q = 1; q <= nq + 1; q++) {
			if (q <= nq && quoted[q] != "...") continue
			if (q > start && !found(start, q - 1)) print quoted[start]
			start = q + 1
		}
	}' "$@"
}

# The LAB $2 marker lines of chapter folder $1 that are not quoted in exactly
# one "### " section of its README, one per line.
unplaced_labs() {
	awk -v n="$2" '
	FNR == 1 { fileno++ }
	fileno == 1 && /^### / { section++; next }
	fileno == 1 && /^## / { section = 0; next }
	fileno == 1 && /^```/ { fence = !fence; next }
	fileno == 1 && fence && section { line = $0; sub(/^[-+ ]?[ \t]*/, "", line)
		if (!((line, section) in seen)) { seen[line, section] = 1; count[line]++ } next }
	fileno > 1 && index($0, "/* LAB " n ": ") { line = $0; sub(/^[ \t]*/, "", line)
		if (count[line] != 1) print line }
	' "$1/README.md" "$1"/*.[ch]
}

# Chapter $1's programs and the header they share, as a reader sees them
# quoted: without the lab tool's notes (GOAL, HINT, SAY and SHOW comments, which
# scripts/mklab.sh reads), copied into folder $2.
files_of() {
	local f
	mkdir -p "$2/$1"
	for f in chapters/"$1"/*.[ch]; do
		[ -e "$f" ] || continue
		awk '/^[ \t]*\/\* (GOAL|HINT|SAY|SHOW) LAB [0-9]+/ { note = 1 }
			note { if (/\*\/[ \t]*$/) note = 0; next } { print }' "$f" >"$2/$1/${f##*/}"
		echo "$2/$1/${f##*/}"
	done
}

check() {
	local i c prev='' readme bad=0 failing unplaced tmp files
	tmp=$(mktemp -d)
	for ((i = 0; i < ${#chapters[@]}; i++)); do
		c=${chapters[i]}
		[ "$i" -gt 0 ] && prev=${chapters[i - 1]}
		[ $# -gt 0 ] && [[ $wanted != *" ${c%%-*} "* ]] && continue
		readme=chapters/$c/README.md
		: >"$tmp/new" && : >"$tmp/old"
		quoted "$readme" "$tmp/new" "$tmp/old"
		mapfile -t files < <(files_of "$c" "$tmp")
		failing=$(check_runs "$tmp/new" "${files[@]}")
		if [ -n "$prev" ] && [ -s "$tmp/old" ]; then
			mapfile -t files < <(files_of "$prev" "$tmp")
			failing+=$(check_runs "$tmp/old" "${files[@]}")
		fi
		unplaced=$(unplaced_labs "chapters/$c" "${c%%-*}")
		if [ -n "$failing" ]; then
			echo "not ok - $readme quotes code that is not the chapter's, from: $(head -n 1 <<<"$failing" | sed 's/^[[:space:]]*//')"
			bad=1
		elif [ -n "$unplaced" ]; then
			echo "not ok - $readme: a LAB region quoted in no section, or in several: $(head -n 1 <<<"$unplaced" | cut -c 1-80)"
			bad=1
		else
			echo "ok - $readme quotes its chapter's code as it is"
		fi
	done
	rm -rf "$tmp"
	return "$bad"
}

coverage() {
	local i c prev f added shown
	for ((i = 1; i < ${#chapters[@]}; i++)); do
		c=${chapters[i]} prev=${chapters[i - 1]}
		[ $# -gt 0 ] && [[ $wanted != *" ${c%%-*} "* ]] && continue
		# the code lines the chapter adds, without their indent
		added=$(for f in chapters/"$c"/*.[ch]; do
			diff "chapters/$prev/${f##*/}" "$f" 2>/dev/null || { [ -e "chapters/$prev/${f##*/}" ] || sed 's/^/> /' "$f"; }
		done | sed -n 's/^> [[:space:]]*//p' | grep -vE '^($|/\*|\*|//|#include)')
		shown=$(shown_lines "chapters/$c/README.md" | sed 's/^[[:space:]]*//' | sort -u)
		awk -v c="$c" 'NR == FNR { seen[$0] = 1; next } { total++; if ($0 in seen) n++ }
			END { printf "%s: %d of %d added code lines shown (%d%%)\n", c, n, total, total ? 100 * n / total : 0 }' \
			<(printf '%s\n' "$shown") <(printf '%s\n' "$added")
	done
}

case $mode in
--check) check "$@" ;;
--coverage) coverage "$@" ;;
*) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
