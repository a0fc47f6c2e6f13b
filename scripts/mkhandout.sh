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
# write the grade sheets grade.xml (JUnit) and grade.tap.
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
%: %.c $(wildcard *.h)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)
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
set -uo pipefail
cd "\$(dirname "\$0")" || exit 1
[ "\$(id -u)" = 0 ] || { echo "grade: run me as root: sudo ./grade" >&2; exit 2; }
scripts/install-deps.sh >&2 || exit 2
status=0
scripts/grade.sh --tap grade.tap --junit grade.xml "\$@" $n ./minibox || status=\$?
echo "grade sheets: grade.xml (JUnit), grade.tap (TAP)"
exit "\$status"
EOF
chmod +x "$out/grade"

# The README: a preface that says what to do; no "The code" section (it
# quotes the solution); the commands and links as they are in the handout:
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
	{ print }' "$src/README.md" |
		sed -e "s#chapters/$chapter/minibox#./minibox#g" \
			-e "s#\.\./\.\./diagrams/\([A-Za-z0-9_-]*\.svg\)#\1#g" \
			-e "s#\.\./\.\./tests/#tests/#g" \
			-e "s#sudo make test CH=$n#sudo ./grade#g" \
			-e "s#\`make lab CH=$n\` does that for you#this handout is just that#" \
			-e 's#\[\([^]]*\)\](\.\./[^)]*)#\1#g' |
		grep -v 'make diff'
} >"$out/README.md"

tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
echo "mkhandout: wrote $out/ and $out.tar.gz (give out either; sudo ./grade grades it)"
