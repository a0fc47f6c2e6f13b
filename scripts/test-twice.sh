#!/usr/bin/env bash
# Two suites at once on one machine, from two clones, the way two learners
# sharing a lab machine (or a learner and a CI job) run them: both must pass.
# Clones this repository's committed HEAD twice into fresh private folders
# (mktemp -d, mode 0700, as a clone below /root would be), runs
# ./scripts/test.sh in both at the same time, prints the summary of each, and
# removes the clones. Exits 1 when either suite failed. Run as root.
#
#   sudo scripts/test-twice.sh        (or: sudo make test-twice)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "test-twice: run me as root (sudo $0)" >&2; exit 1; }

dirs=() pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	wait
	rm -rf "${dirs[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in 1 2; do
	dir=$(mktemp -d /tmp/minibox-twice.XXXXXX)
	dirs+=("$dir")
	git clone -q "$PWD" "$dir/minibox" || exit 1
	# the build outputs need not be built twice by both (same sources)
	cp -a rootfs "$dir/minibox/rootfs" 2>/dev/null
done
start=$SECONDS
for n in 1 2; do
	(cd "${dirs[n - 1]}/minibox" && exec ./scripts/test.sh) >"${dirs[n - 1]}/log" 2>&1 &
	pids+=($!)
done
status=0
for n in 1 2; do
	wait "${pids[n - 1]}" || status=1
	log=${dirs[n - 1]}/log
	echo "suite $n (${dirs[n - 1]}/minibox): $(tail -n 1 "$log")"
	echo "   $(tail -n 2 "$log" | head -n 1)"
	if grep -q '^FAIL' "$log"; then
		grep '^FAIL' "$log" | sed 's/^/   /'
		cp "$log" "/tmp/minibox-twice-$n.log" && echo "   (the whole output: /tmp/minibox-twice-$n.log)"
	fi
done
pids=()
echo "test-twice: both suites ran side by side in $((SECONDS - start)) s"
exit "$status"
