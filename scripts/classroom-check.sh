#!/usr/bin/env bash
# Run a handout's GitHub workflow (.github/workflows/grade.yml) here, the way
# GitHub's runner runs it: a fresh clone of the handout as a git repository,
# by an ordinary user with passwordless sudo, each step's `run:` command in
# order under `bash -e`, stopping at the first that fails. What the runner
# itself adds (actions/checkout, upload-artifact) is not run; the grade
# sheets must be there for the upload step to find.
#
#   scripts/classroom-check.sh NN [--solved]
#     --solved   put the chapter's code back first: the grade must pass;
#                without it the handout as given must fail its grade step
#
# Makes a throwaway user (mb-classroom-PID) with a sudoers file, and removes
# both, and the clone, at the end. Run as root. Exit 0 when the workflow did
# what it should.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

n=${1:?usage: scripts/classroom-check.sh NN [--solved]}
solved=${2:-}
[ "$(id -u)" = 0 ] || { echo "classroom-check: run me as root" >&2; exit 2; }
chapter=$(find chapters -mindepth 1 -maxdepth 1 -name "$n-*" -printf '%f\n' | head -n 1)
[ -n "$chapter" ] || { echo "classroom-check: no chapter $n" >&2; exit 2; }

user=mb-classroom-$$
tmp=$(mktemp -d)
cleanup() {
	rm -f "/etc/sudoers.d/$user"
	id "$user" >/dev/null 2>&1 && userdel -r "$user" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The handout as a teacher pushes it: a git repository of its own.
h=$tmp/minibox-lab-$chapter
scripts/mkhandout.sh "$n" "$h" >/dev/null || exit 1
[ -z "$solved" ] || cp "chapters/$chapter"/*.[ch] "$h/"
git -C "$h" init -q && git -C "$h" add -A &&
	git -C "$h" -c user.name=teacher -c user.email=teacher@example.org commit -qm "Lab $n" || exit 1

useradd -m -s /bin/bash "$user" || exit 1
echo "$user ALL=(ALL) NOPASSWD: ALL" >"/etc/sudoers.d/$user"
chmod 0440 "/etc/sudoers.d/$user"
home=$(getent passwd "$user" | cut -d: -f6)
git -c safe.directory='*' clone -q "$h" "$home/work" && chown -R "$user:" "$home/work" || exit 1

# The steps' commands, as the workflow file has them (one line each).
mapfile -t steps < <(sed -n 's/^ *run: //p' "$h/.github/workflows/grade.yml")
[ "${#steps[@]}" -gt 0 ] || { echo "classroom-check: no run: steps in the workflow" >&2; exit 1; }
failed=''
for step in "${steps[@]}"; do
	# shellcheck disable=SC2016 # GitHub's expression, not the shell's
	step=${step//'${{ github.actor }}'/$user}
	echo "classroom-check: as $user: $step"
	if ! runuser -u "$user" -- bash -e -c "cd ~/work && $step"; then
		failed=$step
		break
	fi
done
for sheet in grade.xml grade.tap; do
	[ -s "$home/work/$sheet" ] || { echo "classroom-check: no $sheet for the upload step" >&2; exit 1; }
done
if [ -n "$solved" ]; then
	[ -z "$failed" ] || { echo "classroom-check: the solved handout failed at: $failed" >&2; exit 1; }
	echo "classroom-check: every step passed; the grade: $(tail -n 1 "$home/work/grade.tap")"
else
	[[ $failed == *./grade* ]] || { echo "classroom-check: the handout as given should fail its grade step, not: ${failed:-none}" >&2; exit 1; }
	echo "classroom-check: the handout as given fails its grade step, as it should: $(grep -c '^not ok' "$home/work/grade.tap") tests fail"
fi
