#!/usr/bin/env bash
# Make a lab exercise of chapter NN: copy its C files (the programs and the
# headers they share, from 08 on) to lab/NN-slug/ with every LAB NN region
# replaced by a TODO that holds the marker's sentence. Earlier chapters'
# regions stay filled: a student works on one idea at a time.
#
#   scripts/mklab.sh NN [OUTDIR]      (default OUTDIR: lab/NN-slug)
#   MB_PART=P scripts/mklab.sh NN [OUTDIR]    (default OUTDIR: lab/NN-slug-partP)
#
# With MB_PART, only the LAB NN regions of the chapter README's "Part P"
# are taken out (those whose marker line that part quotes): a lab handed
# out part by part, the rest of the chapter filled in.
#
# A lab folder holds a student's work: when OUTDIR already has a program that
# differs from the handout written there (.handout.sha256 records it), this
# refuses, says how to grade the work and how to start over, and exits 3.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:?usage: scripts/mklab.sh NN [OUTDIR]}
part=${MB_PART:-}
src=$(find chapters -mindepth 1 -maxdepth 1 -name "$n-*" | head -n 1)
[ -n "$src" ] || { echo "mklab: no chapter $n in chapters/" >&2; exit 2; }
out=${2:-lab/$(basename "$src")${part:+-part$part}}

grep -qs "/\* LAB $n: " "$src"/*.[ch] || { echo "mklab: $src has no LAB $n markers" >&2; exit 2; }

# The marker lines that Part $part of the README quotes, without their
# indent (and a diff's mark): the regions to take out. Empty: all of them.
markers=''
if [ -n "$part" ]; then
	markers=$(awk -v part="$part" -v n="$n" '
		/^### / { inside = index($0, "### Part " part ":") == 1; next }
		/^## / { inside = 0 }
		inside && /^```/ { fence = !fence; next }
		inside && fence { line = $0; sub(/^[-+ ]?[ \t]*/, "", line)
			if (index(line, "/* LAB " n ": ") == 1) print line }' "$src/README.md")
	if [ -z "$markers" ]; then
		echo "mklab: Part $part of $src/README.md quotes no LAB $n region; the parts that do:" \
			"$(awk -v n="$n" '/^### Part / { p = $3; sub(/:$/, "", p) } /^## / { p = "" }
				p != "" && index($0, "/* LAB " n ": ") { print p }' "$src/README.md" | uniq | tr '\n' ' ')" >&2
		exit 2
	fi
fi

# Work in progress is never overwritten: the handout may be written again
# only over files that are still exactly as it was handed out.
edited='' programs=''
for c in "$src"/*.[ch]; do
	f=$out/$(basename "$c")
	[[ $f == *.c ]] && programs+=" ${f%.c}"
	[ -e "$f" ] || continue
	# this file's own line of the record: name the file that changed
	if ! (cd "$out" && grep -F "  $(basename "$c")" .handout.sha256 | sha256sum --quiet --check) >/dev/null 2>&1; then
		edited+="${edited:+ and }$f"
	fi
done
if [ -n "$edited" ]; then
	cat >&2 <<-EOF
	mklab: $edited changed since the lab was handed out: that is your work, left as it is.
	  build it:    make$programs
	  grade it:    sudo make test CH=$n MINIBOX=${out%/}/minibox
	  start over:  mv ${out%/} ${out%/}.mine     (keeps your work aside), then make lab CH=$n
	EOF
	exit 3
fi

mkdir -p "$out"
# The notes beside the code, for the lab tool only (scripts/lab-notes.sh
# checks that every LAB region has them):
#   /* GOAL LAB NN: what must be true afterwards, the man page, the tests */
#       inside a region: the TODO says this, not the marker's sentence (the
#       marker's sentence, for readers of the finished code, names the calls)
#   /* HINT LAB NN K: ... */   inside a region: hint K (1: the man page
#       section, 2: the idea, 3: the call); they go to the handout's .hints,
#       which ./grade --hint shows one step at a time
#   /* SAY LAB NN: ... */      just before a statement or a comment outside
#       the regions (a narrate() or an explanation that would name the calls a
#       gap needs): in the handout it becomes a TODO that says this
#   /* SHOW LAB NN: ... */     the same, for what the student needs as it is
#       but not as the chapter words it: the comment after it is this text
#       instead (a comment above a function that would name the call inside
#       it), or the statement after it is this statement (a die() naming it)
# A GOAL says which tests check it: Checked by "test name", "test name".
# Notes of other chapters are left out of the handout.
# Besides the tests and hints, .hints holds for each region the line that
# follows its TODO in the handout ("after"): code between the two is the
# student's, and ./grade --hint takes that TODO as filled in.
# MB_FILL="05.1 05.3" (or "all") keeps those regions' code after their
# TODO, and every SAY note's statement: a lab as a student fills it in
# (scripts/hint-routes.sh breaks one region of it at a time).
# The .hints file is stored gzipped and in base64, so that `cat .hints`
# does not show hint 3 (the call) before hints 1 and 2: ./grade --hint
# shows them one step at a time (scripts/grade.sh decodes it). It keeps
# nobody out: `base64 -d .hints | zcat` reads it.
plain=$(mktemp)
trap 'rm -f "$plain"' EXIT
k=0
for c in "$src"/*.[ch]; do
	# The TODO keeps the goal (or the marker's sentence), wrapped to fit a 100-column screen.
	MARKERS=$markers awk -v n="$n" -v file="$c" -v k0="$k" -v hints="$plain" -v count="$out/.count" '
	BEGIN { split(ENVIRON["MARKERS"], m, "\n"); for (i in m) wanted[m[i]] = 1; k = k0
		nfill = split(ENVIRON["MB_FILL"], f, " "); for (i in f) fill[f[i]] = 1 }
	# a line of the handout; the first that is not blank after a TODO is
	# its "after" line (a filled region'"'"'s code is printed, not emitted)
	function emit(line,   t) {
		print line
		t = line; gsub(/^[ \t]+|[ \t]+$/, "", t)
		if (after != "" && t != "") { printf "%s\t%s\tafter\t%s\n", after, where, t >> hints; after = "" }
	}
	# The whole comment that starts on this line, as one line of words.
	function comment(first,   text, more) {
		text = first
		while (text !~ /\*\/[ \t]*$/) {
			if ((getline more) <= 0) { print file ": a comment never ends" > "/dev/stderr"; exit 1 }
			sub(/^[ \t]*\*?[ \t]*/, "", more)
			text = text " " more
		}
		sub(/^[ \t]*\/\*[ \t]*/, "", text)
		sub(/[ \t]*\*\/[ \t]*$/, "", text)
		return text
	}
	function todo(indent, text,   words, w, line, i) {
		words = split(text, w, " ")
		line = indent "/* TODO LAB " w[1]
		for (i = 2; i <= words; i++) {
			if (length(line) + 1 + length(w[i]) > 96) { emit(line); line = indent " * " w[i] }
			else line = line " " w[i]
		}
		emit(line " */")
	}
	function wrap(indent, text,   words, w, line, i) {
		words = split(text, w, " ")
		line = indent "/* " w[1]
		for (i = 2; i <= words; i++) {
			if (length(line) + 1 + length(w[i]) > 80) { emit(line); line = indent " * " w[i] }
			else line = line " " w[i]
		}
		emit(line " */")
	}
	# a region of another part stays as it is, markers and all (not its notes)
	$0 ~ "/\\* LAB " n ": " && ENVIRON["MARKERS"] != "" {
		line = $0; sub(/^[ \t]*/, "", line)
		if (!(line in wanted)) { print; kept = 1; next }
	}
	kept && $0 ~ "/\\* END LAB " n " \\*/" { print; kept = 0; next }
	# notes: this chapter'"'"'s are used, the others dropped
	/^[ \t]*\/\* (GOAL|HINT|SAY|SHOW) LAB [0-9]+/ {
		indent = $0; sub(/[^ \t].*/, "", indent)
		text = comment($0)
		# a note of another chapter, or before code that stays: the code as it is
		if (text !~ "^(GOAL|HINT|SAY|SHOW) LAB " n "[: ]" || kept) next
		if (text ~ /^GOAL/) {
			sub(/^GOAL LAB [0-9]+:[ \t]*/, "", text); goal = text
			# the tests it names (Checked by ... "name", "name"): ./grade --hint
			# takes the region whose test failed first
			# the lines it quotes before them (-v lines, error lines): the
			# failure'"'"'s text that shows one points at this region too
			said = i = index(text, "hecked by") ? substr(text, 1, index(text, "hecked by")) : text
			while (match(said, /"[^"]+"/)) {
				if (RLENGTH > 8) printf "%s.%d\t%s\tsays\t%s\n", n, k, where, substr(said, RSTART + 1, RLENGTH - 2) >> hints
				said = substr(said, RSTART + RLENGTH)
			}
			if ((i = index(text, "hecked by")) > 0) {
				rest = substr(text, i)
				while (match(rest, /"[^"]+"/)) {
					printf "%s.%d\t%s\ttest\t%s\n", n, k, where, substr(rest, RSTART + 1, RLENGTH - 2) >> hints
					rest = substr(rest, RSTART + RLENGTH)
				}
			}
			next
		}
		if (text ~ /^HINT/) {
			step = text; sub(/^HINT LAB [0-9]+ /, "", step); sub(/:.*/, "", step)
			sub(/^HINT LAB [0-9]+ [0-9]+:[ \t]*/, "", text)
			printf "%s.%d\t%s\t%s\t%s\n", n, k, where, step, text >> hints
			next
		}
		# SAY: the comment or statement after it (up to its "*/" or ";")
		# becomes a TODO; SHOW: this comment, or this statement
		show = text ~ /^SHOW/
		sub(/^(SAY|SHOW) LAB [0-9]+:[ \t]*/, "", text)
		said = ""; iscomment = 0
		if ((getline more) > 0) {
			said = more
			iscomment = more ~ /^[ \t]*\/\*/
			end = iscomment ? "\\*/[ \t]*$" : ";[ \t]*$"
			while (more !~ end) if ((getline more) <= 0) break; else said = said "\n" more
		}
		if (show && iscomment) wrap(indent, text)
		else if (show) emit(indent text)
		else if (nfill == 0) todo(indent, n ": " text)
		else if (inside) body = body said "\n"
		else print said
		next
	}
	$0 ~ "/\\* LAB " n ": " {
		if (inside) { print file ": LAB " n " opened twice" > "/dev/stderr"; exit 1 }
		inside = 1; k++; goal = ""; body = ""
		filled = ("all" in fill) || ((n "." k) in fill)
		where = file; sub(/.*\//, "", where)
		indent = $0; sub(/[^ \t].*/, "", indent)
		# the sentence may go on over lines that start with " * "
		sentence = comment($0); sub(/^LAB [0-9]+:[ \t]*/, "", sentence)
		next
	}
	$0 ~ "/\\* END LAB " n " \\*/" {
		if (!inside) { print file ": END LAB " n " without a start" > "/dev/stderr"; exit 1 }
		inside = 0
		todo(indent, n " (" n "." k "): " (goal != "" ? goal : sentence))
		after = n "." k
		if (filled) printf "%s", body
		next
	}
	inside && filled { body = body $0 "\n"; next }
	!inside { emit($0) }
	END { if (inside) { print file ": LAB " n " never ends" > "/dev/stderr"; exit 1 }
		print k > count }
	' "$c" >"$out/$(basename "$c")"
	k=$(cat "$out/.count")
done
rm -f "$out/.count"
gzip -9n <"$plain" | base64 >"$out/.hints"
(cd "$out" && sha256sum -- *.[ch] >.handout.sha256)
echo "mklab: wrote $out/ (LAB $n regions are TODOs now: grep -n 'TODO LAB' $out/*.[ch])"
