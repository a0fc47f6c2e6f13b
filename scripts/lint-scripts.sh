#!/usr/bin/env bash
# TAP: every shell script of the project passes shellcheck. The one list of
# them: make lint and scripts/test.sh both run this.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

status=0
for f in scripts/*.sh scripts/nsgraph tests/*.bash tests/as-user tests/as-user-exec tests/vm/init .ci/run; do
	[ -f "$f" ] || continue
	if out=$(shellcheck "$f" 2>&1); then
		echo "ok - shellcheck $f"
	else
		echo "not ok - shellcheck $f"
		printf '%s\n' "$out" | sed 's/^/# /'
		status=1
	fi
done
exit "$status"
