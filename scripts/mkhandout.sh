#!/usr/bin/env bash
# A lab handout for chapter NN, for a teacher to give out: a folder and a
# tarball of it, which build and grade on their own, without this repository.
#
#   scripts/mkhandout.sh NN [OUTDIR]   (default: build/handout/minibox-lab-NN-slug)
#   (an OUTDIR that exists is written again only if it is a handout made before)
#
# In it: minibox.c (and from 08 on minibox-exec.c) with the LAB NN code taken
# out (scripts/mklab.sh), the chapter's README without the solution (its
# "The code" section, which quotes it, and the pointers to the finished
# program), the diagram, the tests of every chapter up to NN with their
# helpers, and `sudo ./grade`: install what is missing, build, run the
# tests, print how far it got and why the first failing test failed, and
# write the grade sheets grade.xml (JUnit) and grade.tap; `./grade --hint`
# with the hints of .hints (scripts/mklab.sh); .github/workflows/grade.yml,
# which grades every push on GitHub's runner (GitHub Classroom).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:?usage: scripts/mkhandout.sh NN [OUTDIR]}
src=$(find chapters -mindepth 1 -maxdepth 1 -name "$n-*" | head -n 1)
[ -n "$src" ] || { echo "mkhandout: no chapter $n in chapters/" >&2; exit 2; }
chapter=$(basename "$src")
out=${2:-build/handout/minibox-lab-$chapter}
# A handout made before is made again; any other folder is not ours to delete.
if [ -e "$out" ]; then
	grep -qs '^# Grade this lab: sudo ./grade' "$out/grade" || {
		echo "mkhandout: $out exists and is not a handout: left as it is, name another folder" >&2
		exit 2
	}
	rm -rf "$out"
fi
mkdir -p "$out/tests" "$out/scripts"

scripts/mklab.sh "$n" "$out" >/dev/null
rm -f "$out/.handout.sha256"
# nsgraph and its helper nsrel.c: tests 02 and 04 run them (build/nsrel, nsgraph --minibox)
cp scripts/grade.sh scripts/mkrootfs.sh scripts/install-deps.sh scripts/check-env.sh \
	scripts/nsgraph scripts/nsrel.c "$out/scripts/"
cp tests/helpers.bash tests/user.bash tests/as-user tests/as-user-exec "$out/tests/"
for t in tests/[0-9][0-9]-*.bats; do
	[[ $(basename "$t" .bats) > $chapter ]] || cp "$t" "$out/tests/"
done
if [ "$((10#$n))" -ge 6 ]; then
	mkdir -p "$out/tests/probes"
	cp tests/probes/*.c "$out/tests/probes/"
fi
# chapter 12's tests make their images: the course's from rootfs/, and changed copies
if [ "$((10#$n))" -ge 12 ]; then
	cp scripts/mkimage.sh "$out/scripts/"
	cp tests/mkoci.py "$out/tests/"
fi
# every diagram the chapter's README shows (07 has two)
grep -o '\.\./\.\./diagrams/[A-Za-z0-9_-]*\.svg' "$src/README.md" | sort -u | while read -r svg; do
	cp "diagrams/${svg##*/}" "$out/"
done

cat >"$out/Makefile" <<'EOF'
# make: build the program; sudo ./grade: grade it (make grade does the same).
CC      ?= cc
CFLAGS  ?= -std=gnu11 -O0 -g -Wall -Wextra
PROGRAMS := $(patsubst %.c,%,$(wildcard *.c))
PROBES   := $(patsubst %.c,%,$(wildcard tests/probes/*.c))

.PHONY: all rootfs probes grade clean
all: $(PROGRAMS)
# the libraries a program's first lines name ("cc ... minibox.c -larchive ...")
%: %.c $(wildcard *.h)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS) $(shell sed -n '1,/\*\//s/^ \*   cc .* $<\( -l.*\)$$/\1/p' $<)
rootfs: rootfs/bin/busybox
rootfs/bin/busybox: scripts/mkrootfs.sh
	scripts/mkrootfs.sh
probes: $(PROBES)
tests/probes/%: tests/probes/%.c
	$(CC) -static -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<
# scripts/nsgraph's helper (ioctl_ns(2)); the tests build it when they need it
build/nsrel: scripts/nsrel.c
	@mkdir -p build
	$(CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $<
grade:
	./grade
clean:
	rm -rf $(PROGRAMS) $(PROBES) rootfs build
EOF

cat >"$out/grade" <<EOF
#!/usr/bin/env bash
# Grade this lab: sudo ./grade   (sudo ./grade --own: chapter $n's tests only)
# Installs what is missing, rebuilds ./minibox, runs the tests of chapters
# 00 to $n, says why the first failing test failed, and writes grade.xml
# (JUnit) and grade.tap for your teacher.
# sudo ./grade --hint: the next hint for the first failing test, a step at a time.
set -uo pipefail
cd "\$(dirname "\$0")" || exit 1
# a hint from the last grade needs no root; a new grade does (grade.sh says so)
[ "\${1:-}" != --hint ] || exec scripts/grade.sh --hint $n ./minibox
[ "\$(id -u)" = 0 ] || { echo "grade: run me as root: sudo ./grade" >&2; exit 2; }
scripts/install-deps.sh >&2 || exit 2
status=0
scripts/grade.sh --tap grade.tap --junit grade.xml "\$@" $n ./minibox || status=\$?
echo "grade sheets: grade.xml (JUnit), grade.tap (TAP)"
exit "\$status"
EOF
chmod +x "$out/grade"

# The README: a preface that says what to do; no "The code" section (it
# quotes the solution), no passage between "<!-- not in the lab: TEXT -->"
# and "<!-- end of not in the lab -->" (TEXT, which may run over several
# lines, stands in its place: a transcript's fence there is a plain "```", as
# scripts/transcripts.sh runs only "```console" blocks); the
# commands and links as they are in the handout:
# links into tests/ kept, every other link out of the chapter (../) plain text.
# From chapter 08 on there are two programs, and the TODOs may be in both.
sources='' programs=''
for c in minibox.c minibox-exec.c layers.h console.h; do
	[ -f "$out/$c" ] || continue
	[[ $c == *.c ]] && programs+="${programs:+ and }\`./${c%.c}\`"
	! grep -q "TODO LAB $n" "$out/$c" || sources+="${sources:+ and }\`$c\`"
done
{
	cat <<-EOF
	# Lab $n: ${chapter#*-}

	Your task: fill in every \`TODO LAB $n\` in $sources
	(\`grep -n 'TODO LAB' *.[ch]\` lists them). Each TODO says what the gap must
	do; the tests in \`tests/$chapter.bats\` say what must be true when it does.
	The rest of the program is complete, and the chapter below explains the idea.

	- \`make\` builds $programs (warnings are shown, they do not stop the build).
	- \`make rootfs\` builds \`./rootfs\`, the container's files, which the
	  commands below run in from chapter 03 on (\`./grade\` builds it for you).
	- \`sudo ./grade\` installs what is missing, rebuilds, and runs the tests of
	  this chapter and the earlier ones; it says why the first failing test
	  failed, and writes \`grade.xml\` and \`grade.tap\` for your teacher.
	  \`sudo ./grade --own\` runs this chapter's tests only.
	- Stuck? \`sudo ./grade --hint\` gives a hint for the first failing test, one
	  step more each time you ask: the man page to read, then the idea, then the
	  call (it remembers what it showed, in \`.hints-shown\`). \`.hints\` holds
	  them encoded, so that they come one step at a time when you ask.
	- On GitHub Classroom, \`.github/workflows/grade.yml\` runs \`sudo ./grade\` on
	  every push; its log and the \`grade\` artifact hold the result.

	EOF
	awk -v n="$n" -v sources="$sources" '
	/^## The code/ {
		print "## The code"
		print ""
		print "That is your part: the `TODO LAB " n "` comments in " sources "."
		print ""
		skip = 1; next
	}
	/^## / { skip = 0 }
	skip { next }
	# a passage that would give the lab away: its own replacement, if any
	# (indented, the markers stay inside a list item of the chapter README)
	/^[ ]*<!-- not in the lab:/ { text = $0; sub(/^[ ]*<!-- not in the lab:[ ]*/, "", text)
		# TEXT may go on over lines up to the "-->" (a shortened transcript, say)
		while (text !~ /-->[ ]*$/ && (getline more) > 0) text = text "\n" more
		sub(/[ ]*-->[ ]*$/, "", text)
		if (text != "") { print text; print "" }; hide = 1; next }
	/^[ ]*<!-- end of not in the lab -->/ { hide = 0; next }
	hide { next }
	{ print }' "$src/README.md" |
		sed -e "s#chapters/$chapter/minibox#./minibox#g" \
			-e "s#\.\./\.\./diagrams/\([A-Za-z0-9_-]*\.svg\)#\1#g" \
			-e "s#\.\./\.\./tests/#tests/#g" \
			-e "s#sudo make test CH=$n#sudo ./grade#g" \
			-e "s#\`make lab CH=$n\` does that for you#this handout is just that#" \
			-e 's#\[\([^]]*\)\](\.\./[^)]*)#\1#g' |
		grep -v 'make diff\|^Solutions, for when' |
		cat -s # (a passage left out leaves its blank lines around it)
} >"$out/README.md"

# GitHub Classroom (or any GitHub repository made from the handout): grade
# every push on GitHub's runner, as a student would with sudo. TEACHING.md
# says how to set it up.
mkdir -p "$out/.github/workflows"
cat >"$out/.github/workflows/grade.yml" <<'EOF'
# Grade this lab on every push: sudo ./grade on GitHub's ubuntu-latest runner.
name: grade
on: [push, workflow_dispatch]
permissions:
  contents: read
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 40
    steps:
      - uses: actions/checkout@v4
      # Ubuntu 23.10+ lets AppArmor refuse user namespaces to ordinary users:
      # the rootless pass of the tests needs them (scripts/check-env.sh says so)
      - name: allow user namespaces
        run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
      - name: install what the lab needs
        run: sudo apt-get update -qq && sudo scripts/install-deps.sh
      - name: check the machine
        run: sudo scripts/check-env.sh || true
      - name: grade
        run: sudo ./grade --name "${{ github.actor }}"
      - name: keep the grade sheets
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: grade
          path: |
            grade.xml
            grade.tap
EOF

tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
echo "mkhandout: wrote $out/ and $out.tar.gz (give out either; sudo ./grade grades it)"
