#!/usr/bin/env bash
# TAP: every shell script of the project passes shellcheck. The one list of
# them: make lint and scripts/test.sh both run this. One shellcheck for all
# of them (it takes a quarter of a second just to start), one line each.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

files=()
for f in scripts/*.sh scripts/nsgraph tests/*.bash tests/as-user tests/as-user-exec tests/vm/boot tests/vm/v2 tests/vm/arm64 .ci/run; do
	[ -f "$f" ] && files+=("$f")
done
out=$(shellcheck -f gcc "${files[@]}" 2>&1)
rc=$?
status=0 reported=0
for f in "${files[@]}"; do
	if grep -q -F "$f:" <<<"$out"; then
		echo "not ok - shellcheck $f"
		grep -F "$f:" <<<"$out" | sed 's/^/# /'
		status=1 reported=1
	else
		echo "ok - shellcheck $f"
	fi
done
# a failure that names no file: the checker itself did not run
if [ "$rc" != 0 ] && [ "$reported" = 0 ]; then
	echo "not ok - shellcheck ran: $(head -n 1 <<<"$out")"
	status=1
fi
exit "$status"
