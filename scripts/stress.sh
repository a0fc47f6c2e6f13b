#!/usr/bin/env bash
# Does minibox leave anything behind, whatever happens to it? Runs the last
# chapter with --ip and limits 1000 times one after another, 50 at once,
# kills minibox with SIGKILL at random moments during start-up and while
# its command runs, and joins one long-running container 100 times. Then
# checks that no process, mount, interface, cgroup or state file of these
# runs remains, and that the long-running minibox's descriptors did not grow.
# Not part of scripts/test.sh: it takes a few minutes. Run as root.
#
#   scripts/stress.sh [--runs N] [--at-once N] [--kills N]
#
# Everything runs in a network namespace and a private mount namespace of
# its own: the veth ends and their addresses meet nothing of the host's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

runs=1000 at_once=50 kills=100
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--at-once) at_once=$2; shift ;;
	--kills) kills=$2; shift ;;
	-h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "stress: unknown option: $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "stress: run me as root (sudo make stress)" >&2; exit 1; }
[ "$at_once" -le 250 ] || { echo "stress: --at-once: at most 250 (one /24 each)" >&2; exit 2; }
last=$(find chapters -maxdepth 1 -name '[0-9][0-9]-*' | sort | tail -n 1)
minibox=$PWD/$last/minibox
exec_tool=$PWD/$last/minibox-exec
if [ ! -x "$minibox" ] || [ ! -e rootfs/bin/busybox ]; then
	echo "stress: run make stress (builds $minibox and rootfs)" >&2
	exit 1
fi

if [ -z "${MB_STRESS_INNER:-}" ]; then
	MB_STRESS_INNER=1 exec unshare --mount --propagation private --net -- "$0" \
		--runs "$runs" --at-once "$at_once" --kills "$kills"
fi

started=$SECONDS
tmp=$(mktemp -d /tmp/mbstress.XXXXXX)
# removed however the run ends: a failed step or Ctrl-C too
trap 'rm -rf "$tmp"' EXIT
# Ctrl-C or kill ends the containers running too: a background minibox
# ignores SIGINT, and passes SIGTERM to a PID 1 that ignores it. Their
# commands go, by the tag in their command line (the minibox, whose command
# line holds it too, is spared), and each minibox cleans up after its own.
trap 'pkill -KILL -f "^(/bin/sh -c )?sleep 29\.$$"; wait; exit 130' INT TERM
tag="stress$$" # in every --name and every command line of this run
passed=0 failed=0
pass() { echo "ok    $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }
# verdict COND OK_TEXT FAIL_TEXT: COND is a test's words, e.g. -z "$left".
verdict() {
	if test "${@:1:$#-2}"; then pass "${*: -2:1}"; else fail "${*: -1}"; fi
}
limits=(--memory 64M --pids 64)
# Each run's stderr (--timings) names the cgroups it made, in $tmp/made.log:
# what to look for afterwards. The commands that run long carry the tag.
long="sleep 29.$$; : $tag"
mounts_before=$(wc -l </proc/self/mountinfo)
cgroups() { find /sys/fs/cgroup/*/minibox -mindepth 1 -maxdepth 1 -name 'minibox-*' 2>/dev/null | sort; }
cgroups >"$tmp/cgroups.before" # other suites' containers, running now

# 1. One after another.
bad=0
for i in $(seq "$runs"); do
	timeout 20 "$minibox" --timings --ip 10.231.0.2/24 "${limits[@]}" /bin/true 2>>"$tmp/made.log" || bad=$((bad + 1))
	[ $((i % 200)) = 0 ] && echo "      $i runs" >&2
done
verdict "$bad" = 0 "$runs runs one after another, each exits 0" "$bad of $runs sequential runs failed"

# 2. At once, each with a subnet of its own.
bad=0
pids=()
for i in $(seq "$at_once"); do
	timeout 60 "$minibox" --timings --ip "10.232.$i.2/24" "${limits[@]}" /bin/sh -c 'sleep 0.2' 2>>"$tmp/made.log.$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
cat "$tmp"/made.log.* >>"$tmp/made.log"
rm -f "$tmp"/made.log.*
verdict "$bad" = 0 "$at_once runs at once, each exits 0" "$bad of $at_once concurrent runs failed"

# 3. SIGKILL to minibox at a random moment: during start-up (0-25 ms after
# it starts), and while its command runs (100-400 ms). The command's
# arguments carry the tag, so we can look for what survives by name.
for i in $(seq "$kills"); do
	if [ $((i % 2)) = 0 ]; then delay=$((RANDOM % 26)); else delay=$((100 + RANDOM % 301)); fi
	args=(--ip 10.233.0.2/24 "${limits[@]}" --name "$tag-$i")
	[ $((i % 3)) = 0 ] && args+=(--init)
	"$minibox" --timings "${args[@]}" /bin/sh -c "$long" 2>>"$tmp/made.log" &
	mb=$!
	sleep "$(printf '0.%03d' "$delay")"
	kill -9 "$mb" 2>/dev/null
	wait "$mb" 2>/dev/null
done
pass "$kills runs killed with SIGKILL, half during start-up"

# 4. One long-running container, joined 100 times: its minibox's descriptors.
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
"$minibox" --timings --ip 10.234.0.2/24 "${limits[@]}" --name "$tag-long" --init \
	/bin/sh -c "$long" 2>>"$tmp/made.log" &
mb=$!
bad=0
for _ in $(seq 50); do [ -e "/run/minibox/$tag-long" ] && break; sleep 0.1; done
sleep 0.2
fd_before=$(fds "$mb")
if [ -x "$exec_tool" ]; then
	for _ in $(seq 100); do timeout 10 "$exec_tool" "$tag-long" /bin/true || bad=$((bad + 1)); done
else
	sleep 2
fi
fd_after=$(fds "$mb")
kill -TERM "$mb"
wait "$mb" 2>/dev/null
[ "$bad" = 0 ] || fail "$bad of 100 joins failed"
if [ "$fd_before" -gt 0 ] && [ "$fd_before" = "$fd_after" ]; then
	pass "the long-running minibox holds $fd_before descriptors before and after 100 joins"
else
	fail "the long-running minibox held $fd_before descriptors, then $fd_after"
fi

# A killed minibox cannot clean up: the next start sweeps what it left.
timeout 20 "$minibox" --timings "${limits[@]}" /bin/true 2>>"$tmp/made.log" ||
	fail "the sweeping run failed"
sleep 1 # veth ends go with their network namespace, moments after

# What remains of all this?
left=$( (pgrep -a -f -- "$tag"; pgrep -a -f -- "sleep 29.$$") | sort -u)
verdict -z "$left" "no process of these runs remains" "processes remain: $left"
left=$(grep -o '/sys/fs/cgroup/[a-z,]*/minibox/minibox-[0-9a-f]*' "$tmp/made.log" | sort -u |
	while read -r d; do [ -e "$d" ] && echo "$d"; done)
made=$(grep -o '/sys/fs/cgroup/[a-z,]*/minibox/minibox-[0-9a-f]*' "$tmp/made.log" | sort -u | wc -l)
verdict -z "$left" "none of the $made cgroup directories remains" "cgroups remain: $left"
# One killed before it could say which it made: any new one no minibox holds.
left=$(cgroups | comm -13 "$tmp/cgroups.before" - | while read -r d; do
	flock -n "$d" true 2>/dev/null && echo "$d"; done)
verdict -z "$left" "no other cgroup directory is left unheld" "unheld cgroups remain: $left"
left=$(ip -o link show 2>/dev/null | grep -o 'mb-[0-9a-f]*' || true)
verdict -z "$left" "no veth end remains" "interfaces remain: $left"
left=$(find /run/minibox -maxdepth 1 -name "$tag-*" 2>/dev/null)
verdict -z "$left" "no state file remains" "state files remain: $left"
mounts_after=$(wc -l </proc/self/mountinfo)
verdict "$mounts_before" = "$mounts_after" "no mount remains ($mounts_after before and after)" \
	"$mounts_before mounts before, $mounts_after after"

echo "stress: $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
