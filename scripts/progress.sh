#!/usr/bin/env bash
# How far each lab has come: every lab/NN-slug/ is rebuilt and graded by
# scripts/grade.sh against its chapter's tests and the earlier chapters'
# (a lab must not break what came before), with the reason its first
# failing test gave. The grade sheets a teacher collects: lab/grades.xml
# (JUnit XML, one <testsuite> per test file) and lab/grades.tap (TAP), both
# naming the student (MB_STUDENT, else user@host). Make a lab with
# `make lab CH=NN`. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

[ "$(id -u)" = 0 ] || { echo "progress: run me as root (sudo make progress)" >&2; exit 1; }
shopt -s nullglob
labs=()
for dir in lab/[0-9][0-9]-*/; do
	# only folders named as a chapter: lab/03-mount.mine is work set aside
	[ -d "chapters/$(basename "$dir")" ] && labs+=("$(basename "$dir")")
done
if [ ${#labs[@]} = 0 ]; then
	echo "progress: no lab yet; start one with: make lab CH=01"
	exit 0
fi
student=${MB_STUDENT:-${SUDO_USER:-$(id -un)}@$(hostname)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for chapter in "${labs[@]}"; do
	echo "== lab/$chapter"
	scripts/grade.sh --name "$student" --tap "$tmp/$chapter.tap" --junit "$tmp/$chapter.xml" \
		"${chapter%%-*}" "lab/$chapter/minibox" | sed 's/^/   /'
done

# One sheet for all the labs: the <testsuite>s of each, the TAP renumbered.
{
	echo '<?xml version="1.0" encoding="UTF-8"?>'
	echo "<testsuites name=\"minibox labs: $student\">"
	cat "$tmp"/*.xml 2>/dev/null | grep -v '^<?xml\|^<testsuites\|^</testsuites'
	echo '</testsuites>'
} >lab/grades.xml
cat "$tmp"/*.tap 2>/dev/null | awk '
	/^1\.\./ { next }
	/^#/ { print; next }
	{ k++; sub(/^ok [0-9]+/, "ok " k); sub(/^not ok [0-9]+/, "not ok " k); print }
	END { print "1.." k }' >lab/grades.tap
echo "grade sheets: lab/grades.xml (JUnit), lab/grades.tap (TAP)"
exit 0
