#!/usr/bin/env bash
# The README's test command. Installs what is missing, checks the host,
# builds, then runs every chapter's binary against its own chapter's tests and
# those of every earlier chapter, and last the checks that keep the project
# honest: mutation, README transcripts, diagrams, shellcheck. Run as root.
#
#   sudo ./scripts/test.sh          the whole suite
#   sudo ./scripts/test.sh 03       chapter 03's binary against tests 00..03
#   sudo CH=03 MINIBOX=lab/03-mount/minibox ./scripts/test.sh    grade a lab
#
# The last line is "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

CH=${1:-${CH:-}}
MINIBOX=${MINIBOX:-}
BINDIR=${BINDIR:-chapters} # make sanitize points this at build/sanitize

if [ "$(id -u)" != 0 ]; then
	echo "test: run me as root (sudo $0): the tests create namespaces, mounts, interfaces and cgroups" >&2
	exit 1
fi
if [ -n "$MINIBOX" ] && [ -z "$CH" ]; then
	echo "test: MINIBOX= needs CH= to say which chapter it is, e.g. CH=03" >&2
	exit 2
fi
scripts/install-deps.sh || exit 1
scripts/check-env.sh --brief || exit 1
make -s all rootfs probes || exit 1

mapfile -t chapters < <(find chapters -mindepth 1 -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' | sort)

# Chapter 07's tests run on this host's cgroups. If they are not pure v2,
# a VM that is runs the v2 checks: in the background, it shares nothing
# with the tests here. Its results are counted at the end.
vm_log=$(mktemp)
trap 'rm -f "$vm_log"' EXIT
vm_pid=
if [ -z "$CH" ] && [ "$BINDIR" = chapters ] && [ -d chapters/07-cgroup ]; then
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "ok - vm: cgroup v2 checks # skip this host is cgroup v2: chapter 07's tests ran on v2 here" >"$vm_log"
	else
		{ scripts/test-vm.sh; echo "exit $?"; } >"$vm_log" 2>&1 &
		vm_pid=$!
	fi
fi
passed=0 failed=0 skipped=0
start=$SECONDS

# Read TAP on stdin: count each result and print it on one line, labelled.
# A last line "exit N" is the producer's exit status.
count_tap() {
	local label=$1 line failing=0 results=0 status=0 failures=0
	while IFS= read -r line; do
		case $line in
		"not ok "*)
			failed=$((failed + 1)) failing=1 results=$((results + 1)) failures=$((failures + 1))
			echo "FAIL  $label${line#not ok * }" ;;
		"ok "*"# skip"*)
			skipped=$((skipped + 1)) failing=0 results=$((results + 1))
			line=${line#ok * }
			echo "skip  $label${line%% # skip*} (${line#* # skip })" ;;
		"ok "*)
			passed=$((passed + 1)) failing=0 results=$((results + 1))
			echo "ok    $label${line#ok * }" ;;
		"exit "*) status=${line#exit } ;;
		"#"*) [ "$failing" = 1 ] && echo "      $line" ;;
		esac
	done
	# A producer that fails without a failing result (a file that does not
	# even load, a VM whose report is garbled) is a failure too.
	if [ "$status" != 0 ] && [ "$failures" = 0 ]; then
		failed=$((failed + 1))
		echo "FAIL  ${label}failed without a failing test (exit $status, $results results)"
	fi
}

# Tests of chapter $1's properties (tests/$1.bats) against the binary $2;
# $4 non-empty: run minibox as an ordinary user (uid 65534).
run_tests() {
	local tests=$1 binary=$2 label=$3 rootless=${4:-}
	[ -f "tests/$tests.bats" ] || return 0
	local filter=()
	# tests tagged "once" say themselves who runs minibox: one pass will do
	[ -n "$rootless" ] && filter=(--filter-tags '!once')
	count_tap "$label" < <(
		MB_ROOTLESS=$rootless MINIBOX=$binary bats --formatter tap "${filter[@]}" "tests/$tests.bats" 2>&1
		echo "exit $?"
	)
}

# Chapter $1's binary against the tests of every chapter up to it. From
# chapter 04 (user namespaces) on, all of them again as an ordinary user.
run_ladder() {
	local chapter=$1 binary=$2 t
	for t in "${chapters[@]}"; do
		[[ $t > $chapter ]] && break
		run_tests "$t" "$binary" "$t on ${binary#"$PWD"/}: "
	done
	[ "$((10#${chapter%%-*}))" -lt 4 ] && return 0
	for t in "${chapters[@]}"; do
		[[ $t > $chapter ]] && break
		run_tests "$t" "$binary" "$t as uid 65534 on ${binary#"$PWD"/}: " rootless
	done
}

if [ -n "$CH" ]; then
	chapter=$(printf '%s\n' "${chapters[@]}" | grep "^$CH-" | head -n 1)
	[ -n "$chapter" ] || { echo "test: no chapter $CH in chapters/" >&2; exit 2; }
	binary=${MINIBOX:-$BINDIR/$chapter/minibox}
	run_ladder "$chapter" "$(realpath "$binary")"
else
	for chapter in "${chapters[@]}"; do
		run_ladder "$chapter" "$PWD/$BINDIR/$chapter/minibox"
	done
	if [ "$BINDIR" = chapters ]; then
		count_tap "" < <(scripts/mutate.sh; echo "exit $?")
		count_tap "" < <(scripts/transcripts.sh; echo "exit $?")
		count_tap "" < <(scripts/diagrams.sh --check; echo "exit $?")
		count_tap "" < <(scripts/lint-scripts.sh; echo "exit $?")
		[ -n "$vm_pid" ] && wait "$vm_pid"
		count_tap "" <"$vm_log"
	fi
fi

echo "time: $((SECONDS - start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
