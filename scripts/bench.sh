#!/usr/bin/env bash
# How fast does minibox start a container, next to the real tools? Runs
# `/bin/true` through every chapter and, where installed, util-linux `unshare`
# (the same namespaces, --root), `bwrap --unshare-all`, `crun run` (an OCI
# bundle of the same rootfs with the same limits) and bench/launcher (the
# smallest C launcher: namespaces, pivot_root, /proc; with --cgroup the same
# cgroup as chapter 07). Then the same at 1, 10 and 50 at once, what moving a
# process into a cgroup costs, and where each step's time goes (minibox
# --timings). Prints README-ready tables (BENCH.md shows one run).
#
#   scripts/bench.sh [--rounds N] [--quick]
#
# --rounds N: measured rounds (default 60, after 3 warm-up rounds); --quick:
# 15 rounds and a shorter scale curve. Takes 2-3 minutes (--quick: about
# one) on a 2-core VM. Run as root; `scripts/install-deps.sh --bench` installs
# bwrap and crun. Absolute times drift 15-20 % between runs here: quote the
# ratios, which come from one interleaved run.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=60 quick=0
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--quick) quick=1 rounds=15 ;;
	-h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench: unknown option: $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench: run me as root (sudo make bench)" >&2; exit 1; }
for f in bench/timeit bench/launcher bench/attach rootfs/bin/busybox; do
	[ -e "$f" ] || { echo "bench: $f is missing: run make bench" >&2; exit 1; }
done

# Everything runs in a private mount namespace and a network namespace of
# its own: there, cgroup2's /sys/fs/cgroup/unified can be unmounted, which
# crun needs on a hybrid host ("cgroups in hybrid mode not supported"), and
# the veth of the --ip run meets nothing of the host's. The host's mounts
# and interfaces stay as they are.
if [ -z "${MB_BENCH_INNER:-}" ]; then
	again=(--rounds "$rounds")
	[ "$quick" = 1 ] && again=(--quick)
	MB_BENCH_INNER=1 exec unshare --mount --propagation private --net -- "$0" "${again[@]}"
fi
started=$SECONDS
tmp=$(mktemp -d /tmp/mbbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Moving a new process into a cgroup, three ways, on this kernel (bench/attach):
# before /sys/fs/cgroup/unified goes, as it is the v2 tree of a hybrid host.
attach() { # TEXT HOW HIERARCHY
	local t
	t=$(bench/attach "$2" "$3" 20 | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f | %.2f | %.2f", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }') &&
		echo "| $1 | $t |"
}
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then v2=""; v1=""
else v2=unified v1=pids; mountpoint -q /sys/fs/cgroup/unified || v2=-
fi
{
	echo "| how a new process gets into its cgroup | median ms | min | max |"
	echo "|---|---:|---:|---:|"
	attach "clone3() alone, no cgroup" plain ""
	[ -n "$v1" ] && attach "clone3(), then write(cgroup.procs), cgroup v1 ($v1)" write "$v1"
	[ "$v2" != - ] && attach "clone3(), then write(cgroup.procs), cgroup v2" write "$v2"
	[ "$v2" != - ] && attach "clone3(CLONE_INTO_CGROUP), cgroup v2" into "$v2"
} >"$tmp/attach.md"

if mountpoint -q /sys/fs/cgroup/unified && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	umount /sys/fs/cgroup/unified
fi
rootfs=$PWD/rootfs
limits="--memory 64M --pids 64"
last=$(find chapters -maxdepth 1 -name '[0-9][0-9]-*' | sort | tail -n 1)
last=${last#chapters/}

# An OCI bundle for crun: the same rootfs, namespaces, mounts and limits.
mkdir -p "$tmp/bundle"
cat >"$tmp/bundle/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": { "terminal": false, "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/true" ], "env": [ "PATH=/bin:/sbin" ], "cwd": "/" },
  "root": { "path": "$rootfs" },
  "hostname": "minibox",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc", "options": [ "nosuid", "nodev", "noexec" ] },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "mode=755" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": [ "nosuid", "nodev", "mode=1777" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": [ "nosuid", "nodev", "noexec" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": [ "nosuid", "nodev", "noexec", "ro" ] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "nodev", "mode=1777" ] }
  ],
  "linux": {
    "uidMappings": [ { "containerID": 0, "hostID": 0, "size": 1 } ],
    "gidMappings": [ { "containerID": 0, "hostID": 0, "size": 1 } ],
    "namespaces": [ { "type": "user" }, { "type": "uts" }, { "type": "pid" }, { "type": "mount" },
      { "type": "network" }, { "type": "ipc" }, { "type": "cgroup" } ],
    "resources": { "memory": { "limit": 67108864, "swap": 67108864 }, "pids": { "limit": 64 } }
  }
}
EOF

# What to run: "NAME COMMAND ARG...", one a line (bench/timeit's list).
# Chapters 07 on run with the limits; the tools with chapter 06's namespaces.
list=$tmp/list
{
	echo "true /bin/true"
	for dir in chapters/[0-9][0-9]-*/; do
		ch=$(basename "$dir")
		case $ch in
		0[0-6]-*) echo "$ch $PWD/${dir}minibox /bin/true" ;;
		*) echo "$ch $PWD/${dir}minibox $limits /bin/true" ;;
		esac
	done
	# Chapter 12: the course image (make image), its layers in the store
	# already (the check below unpacked them), and unpacked the first time
	# (a fresh store each run, %n)
	if [ -x chapters/12-image/minibox ] && [ -d build/image ]; then
		echo "12-image+image $PWD/chapters/12-image/minibox $limits --store $tmp/store --image $PWD/build/image /bin/true"
		echo "12-image+unpack $PWD/chapters/12-image/minibox $limits --store $tmp/unpack-%n --image $PWD/build/image /bin/true"
		command -v podman >/dev/null &&
			echo "podman podman run --rm --network none oci:$PWD/build/image /bin/true"
	fi
	echo "launcher $PWD/bench/launcher $rootfs /bin/true"
	echo "launcher+cgroup $PWD/bench/launcher --cgroup $rootfs /bin/true"
	echo "unshare unshare --user --map-root-user --uts --pid --fork --mount --net --ipc --root=$rootfs --mount-proc /bin/true"
	command -v bwrap >/dev/null &&
		echo "bwrap bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev /bin/true"
	command -v crun >/dev/null &&
		echo "crun crun run --bundle $tmp/bundle mbbench-%n"
} >"$tmp/candidates"

# Each must work before it is timed: say why one does not, and leave it out.
while read -r name cmd; do
	read -r -a argv <<<"${cmd//%n/check-$$}"
	if out=$("${argv[@]}" 2>&1 </dev/null); then # (from 11 on, minibox reads its stdin: not this list)
		echo "$name $cmd"
	else
		echo "bench: left out $name, it failed: ${out:0:200}" >&2
	fi
done <"$tmp/candidates" >"$list"
has() { grep -q "^$1 " "$list"; }
for tool in unshare bwrap crun; do
	has "$tool" || echo "bench: no $tool here (scripts/install-deps.sh --bench installs bwrap and crun)" >&2
done

echo "bench: $(wc -l <"$list") commands, 3 warm-up + $rounds rounds, shuffled, 50 ms pause before each run" \
	"($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); all of it takes about $([ "$quick" = 1 ] && echo a minute || echo 2-3 minutes)" >&2
bench/timeit -r "$rounds" -w 3 -p 50 "$list" >"$tmp/runs"

# Median, min, max in ms of each name's runs, and how many failed.
stats() {
	awk '{ t[$1] = t[$1] " " $2; if ($3 != 0) bad[$1]++ }
	END { for (n in t) {
		k = split(t[n], v, " ")
		for (i = 2; i <= k; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		med = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
		printf "%s %.2f %.2f %.2f %d\n", n, med / 1000, v[1] / 1000, v[k] / 1000, bad[n] + 0
	} }' "$1"
}
stats "$tmp/runs" >"$tmp/stats"
med() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/stats"; }
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { if (a && b) printf "%.2f", a / b; else printf "-" }'; }

echo
echo "### Start-to-exit of \`/bin/true\` ($rounds interleaved rounds)"
echo
echo "| what | median ms | min | max | failed | vs 06-ipc |"
echo "|---|---:|---:|---:|---:|---:|"
while read -r name _; do
	awk -v n="$name" -v r="$(ratio "$name" 06-ipc)" '$1 == n {
		printf "| %s | %.2f | %.2f | %.2f | %d | %sx |\n", n, $2, $3, $4, $5, r }' "$tmp/stats"
done <"$list"

# The issue's targets, each a ratio of two medians of this one run.
echo
echo "### Targets"
echo
echo "| A / B | ratio of medians | median of per-round ratios | target |"
echo "|---|---:|---:|---|"
# The k-th runs of A and B belong to the same round, seconds apart: their
# ratio is the least touched by the machine's drift.
paired() {
	awk -v a="$1" -v b="$2" '$1 == a { x[++i] = $2 } $1 == b { y[++j] = $2 }
	END { for (k = 1; k <= i && k <= j; k++) r[k] = x[k] / y[k]; n = k - 1
	      for (k = 2; k <= n; k++) { v = r[k]; for (m = k - 1; m >= 1 && r[m] > v; m--) r[m + 1] = r[m]; r[m + 1] = v }
	      printf "%.2f", (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2 }' "$tmp/runs"
}
target() { # A B LIMIT: A's median over B's, and whether it is within LIMIT
	has "$1" && has "$2" || return 0
	awk -v a="$1" -v b="$2" -v r="$(ratio "$1" "$2")" -v p="$(paired "$1" "$2")" -v lim="$3" 'BEGIN {
		printf "| %s / %s | %.2fx | %.2fx | %s |\n", a, b, r, p,
			lim == "-" ? "(for comparison)" : (r <= lim + 0 ? "at most " lim "x: met" : "at most " lim "x: **missed**") }'
}
target 06-ipc unshare 1.00
target 06-ipc launcher 1.10
target 07-cgroup launcher+cgroup 1.10
while read -r ch _; do
	case $ch in *+*) ;; 0[89]-* | [1-9][0-9]-*) target "$ch" 07-cgroup 1.30 ;; esac # (not 12's image runs)
done <"$list"
has 11-console && target 11-console 10-harden 1.30
target 12-image+image 11-console 1.30
target 12-image+image 12-image -
target 12-image+unpack 12-image -
target podman 12-image+image -
target crun 07-cgroup -
target bwrap 06-ipc -
target unshare launcher -

# The relay (chapter 11 on): 100 MB through minibox's pipes next to a plain
# pipe (cat | cat), and out of a --tty container next to script(1), which
# relays a pty the same way (the rootfs's busybox writes into the pty in both). Seconds of wall time, median of interleaved runs.
relay() { # NAME COMMAND: the command reads stdin, writes stdout
	local t0 t1
	sleep 0.05
	t0=${EPOCHREALTIME/./}
	bash -c "$2" </dev/zero >/dev/null 2>&1
	t1=${EPOCHREALTIME/./}
	echo "$1 $((t1 - t0))"
}
if [ -x "chapters/11-console/minibox" ]; then
	mb11="$PWD/chapters/11-console/minibox --rootfs $rootfs"
	big=$tmp/100M
	head -c 100M /dev/urandom >"$big"
	same=differ
	# shellcheck disable=SC2094 # both only read it
	$mb11 cat <"$big" | cmp -s - "$big" && same="byte for byte"
	: >"$tmp/relay.runs"
	for _ in $(seq "$([ "$quick" = 1 ] && echo 3 || echo 7)"); do
		for w in $(shuf -e pipe relay script tty); do
			case $w in
			pipe) relay "cat|cat" "head -c 100M | cat | cat" ;;
			relay) relay "minibox" "head -c 100M | $mb11 cat" ;;
			script) relay "script" "script -qec '$rootfs/bin/busybox head -c 104857600 /dev/zero' /dev/null </dev/null" ;;
			tty) relay "minibox-t" "$mb11 -t head -c 104857600 /dev/zero </dev/null" ;;
			esac
		done >>"$tmp/relay.runs"
	done
	stats "$tmp/relay.runs" >"$tmp/relay.stats"
	echo
	echo "### The relay: 100 MB (chapter 11; the 100 MB came back $same)"
	echo
	echo "| A / B | A median ms | B median ms | ratio | target |"
	echo "|---|---:|---:|---:|---|"
	for pair in "minibox cat|cat" "minibox-t script"; do
		read -r a b <<<"$pair"
		awk -v a="$a" -v b="$b" '$1 == a { x = $2 } $1 == b { y = $2 }
		END { r = x / y; printf "| %s / %s | %.0f | %.0f | %.2fx | %s |\n", a, b, x, y, r,
			r <= 1.5 ? "at most 1.5x: met" : "at most 1.5x: **missed**" }' "$tmp/relay.stats"
	done
	echo
	echo "(minibox: head -c 100M | minibox cat, the container's start included; minibox-t: minibox -t head -c 104857600"
	echo "/dev/zero out of the container's terminal; script: script -qec 'rootfs/bin/busybox head -c 104857600"
	echo "/dev/zero' /dev/null: the same program writes into a pty of script's)"
fi

# Scale: N containers started at once, wall time until the last ends, per container.
echo
echo "### Scale: time per container, N started at once"
echo
scale=$tmp/scale
{
	echo "06-ipc $PWD/chapters/06-ipc/minibox /bin/true"
	echo "$last $PWD/chapters/$last/minibox $limits /bin/true"
	has unshare && grep "^unshare " "$list"
	has crun && grep "^crun " "$list"
} >"$scale"
if [ "$quick" = 1 ]; then set -- 1:5 10:2 50:1; else set -- 1:20 10:5 50:3; fi
: >"$tmp/scale.runs"
for nr in "$@"; do
	n=${nr%%:*} r=${nr##*:}
	bench/timeit -c "$n" -r "$r" -w 1 -p 300 "$scale" | awk -v n="$n" '{ print $1 "@" n, $2 / n, $3 }' >>"$tmp/scale.runs"
done
stats "$tmp/scale.runs" >"$tmp/scale.stats"
printf '| what |'; for nr in "$@"; do printf ' %s at once, ms each |' "${nr%%:*}"; done; echo
printf '|---|'; for _ in "$@"; do printf -- '---:|'; done; echo
while read -r name _; do
	printf '| %s |' "$name"
	for nr in "$@"; do
		awk -v k="$name@${nr%%:*}" '$1 == k { printf " %.2f%s |", $2, $5 ? " (" $5 " failed)" : "" }' "$tmp/scale.stats"
	done
	echo
done <"$scale"

echo
echo "### Moving a new process into its cgroup (bench/attach, 20 runs each)"
echo
cat "$tmp/attach.md"

# Where the time goes: minibox --timings, each line's time since the line
# before it (in the order stderr got them), summed by step, median of runs.
echo
echo "### Where the time goes (minibox --timings, median ms of 15 runs)"
echo
steps() { # LABEL MINIBOX ARGS...
	local label=$1 i
	shift
	for i in $(seq 15); do
		sleep 0.05
		"$@" --timings /bin/true 2>&1 >/dev/null | awk -v run="$i" -v label="$label" '
		/^minibox: +[0-9.]+ ms/ {
			at = $2; text = $0; sub(/^minibox: +[0-9.]+ ms  /, "", text); cost = at - prev; prev = at
			if (text ~ /^child: (mount|open_tree|move_mount|pivot_root|umount2|chdir|fsopen)/) s = "child: pivot_root and mounts"
			else if (text ~ /^child: execvp/) s = "child: pivot_root and mounts"
			else if (text ~ /^child: prctl/) s = "child: wakes on go"
			else if (text ~ /^child: /) s = "child: ids, hostname, lo, eth0"
			else if (text ~ /^clone3/) s = "clone3"
			else if (text ~ /^(sha256|index\.json|layer [0-9]|mkdir\(.*\/containers\/)/) s = "image: store, digests, layers"
			else if (text ~ /^remove .*\/containers\//) s = "image: upper, work removed"
			else if (text ~ /^(statfs|mkdir)\(/ && text ~ /cgroup/) s = "cgroup create"
			else if (text ~ /cgroup\.procs/) s = "cgroup attach"
			else if (text ~ /^write\(\/sys\/fs\/cgroup/) s = "cgroup limits"
			else if (text ~ /^rmdir/) s = "cgroup remove"
			else if (text ~ /(uid|gid)_map|setgroups/) s = "uid/gid maps"
			else if (text ~ /^RTM_/) s = "veth, host end"
			else if (text ~ /^write\(sync pipe/) s = "go"
			else if (text ~ /^waitpid/) s = "exec, run, exit, wait"
			else s = "start: options, chdir, sweeps"
			sum[s] += cost }
		END { for (s in sum) printf "%s|%s|%d|%.3f\n", label, s, run, sum[s] }'
	done
}
{
	steps 06-ipc "$PWD/chapters/06-ipc/minibox"
	read -r -a lim <<<"$limits"
	steps "07-cgroup $limits" "$PWD/chapters/07-cgroup/minibox" "${lim[@]}"
	steps "$last $limits --ip" "$PWD/chapters/$last/minibox" "${lim[@]}" --ip 10.213.0.2/24
	has 12-image+image && steps "12-image $limits --image" "$PWD/chapters/12-image/minibox" "${lim[@]}" \
		--store "$tmp/store" --image "$PWD/build/image"
} >"$tmp/steps"
labels=("06-ipc" "07-cgroup $limits" "$last $limits --ip")
has 12-image+image && labels+=("12-image $limits --image")
printf '| step |'; printf ' %s |' "${labels[@]}"; echo
printf '|---|'; printf -- '---:|%.0s' "${labels[@]}"; echo
for s in "start: options, chdir, sweeps" "cgroup create" "cgroup limits" clone3 "cgroup attach" \
	"uid/gid maps" "veth, host end" go "child: wakes on go" "child: ids, hostname, lo, eth0" \
	"child: pivot_root and mounts" "exec, run, exit, wait" "cgroup remove" \
	"image: store, digests, layers" "image: upper, work removed"; do
	printf '| %s |' "$s"
	for l in "${labels[@]}"; do
		awk -F'|' -v l="$l" -v s="$s" '$1 == l && $2 == s { v[++k] = $4 }
		END { if (!k) { printf " - |"; exit }
		      for (i = 2; i <= k; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
		      printf " %.2f |", v[int((k + 1) / 2)] }' "$tmp/steps"
	done
	echo
done

echo
echo "($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg) at the end; $((SECONDS - started)) s;" \
	"reproduce: sudo scripts/install-deps.sh --bench && sudo make bench)"
