#!/usr/bin/env bash
# The README's test command. Installs what is missing, checks the host,
# builds, then runs every chapter's binary against its own chapter's tests and
# those of every earlier chapter, and last the checks that keep the project
# honest: mutation, README transcripts and quoted code, diagrams, the chapter
# programs against their one source (ladder/), shellcheck. Run as root.
#
#   sudo ./scripts/test.sh          the whole suite
#   sudo ./scripts/test.sh 03       chapter 03's binary against tests 00..03
#   sudo CH=03 MINIBOX=lab/03-mount/minibox ./scripts/test.sh    grade a lab (scripts/grade.sh)
#   sudo MB_JOBS=1 ./scripts/test.sh                 one job at a time
#   sudo MB_LADDER=full ./scripts/test.sh            every binary against every earlier chapter's tests
#   sudo MB_SKIP_VM=1 ./scripts/test.sh              without the VMs (no download, no qemu)
#   sudo MB_VM_LADDER=full ./scripts/test.sh         the whole ladder in the cgroup v2 VM (by hand: long)
#
# Each bats file, mutation check and README is a job; MB_JOBS (default 4)
# run side by side: they mostly wait, and each sees only what it created
# (MB_RUN_ID, see tests/helpers.bash). Each job's lines are printed when it
# ends, in ladder order, so the output is the same whatever the timing. A job
# has a time limit (MB_JOB_TIMEOUT seconds, default 300, twice that for a
# chapter's mutation check; each test has its own, 60). The rootless passes run as the ordinary user: tests/user.bash.
#
# The last line is "N passed, N failed, N skipped"; the time each chapter's
# jobs took is the line before.
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
# The VMs of a whole run (not of CH=NN, nor of a grading): tests/vm/ says
# what each does. VM_V2 and VM_ARM64 are "run", or why not (a skip reason).
VM_V2='' VM_ARM64=''
if [ -z "$CH" ] && [ -z "${MB_VM_RUN:-}" ]; then
	VM_V2=run VM_ARM64=run
	if [ -n "${MB_SKIP_VM:-}" ]; then
		VM_V2="MB_SKIP_VM is set: sudo make test-vm runs it" VM_ARM64="MB_SKIP_VM is set: sudo make test-arm64 runs it"
	elif ! command -v apt-get >/dev/null; then
		VM_V2="it fetches Debian's kernel with apt, which this host lacks" VM_ARM64=$VM_V2
	else
		if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
			VM_V2="this host is cgroup v2: chapters 07 on ran on v2 here"
		elif [ "$(uname -m)" != x86_64 ]; then
			VM_V2="it boots an x86_64 kernel, this is $(uname -m)"
		fi
		[ "$(uname -m)" = x86_64 ] || VM_ARM64="it cross-builds with Debian's x86_64 packages, this is $(uname -m)"
	fi
fi
vm_wanted() { # install-deps' options for the VMs this run boots
	[ "$VM_V2" != run ] || echo --vm
	[ "$VM_ARM64" != run ] || echo --arm64
}

# MB_VM_RUN=v2: this is the cgroup v2 VM's run (tests/vm/v2), on the host's
# files and binaries, already built: only the bats files of MB_VM_LADDER.
VM_RUN=${MB_VM_RUN:-}
if [ -z "$VM_RUN" ]; then
	mapfile -t vm_deps < <(vm_wanted)
	scripts/install-deps.sh "${vm_deps[@]}" || exit 1
	scripts/check-env.sh --brief || exit 1
	make -s -j"$(nproc)" all rootfs probes || exit 1 # the chapters build side by side
	make -s image >/dev/null || exit 1 # chapter 12's README runs build/image.tar
fi
# A program under grading (MINIBOX=lab/...): one grader, the same as
# `make progress` and a handout's ./grade. It rebuilds the program from what
# the student wrote (never graded stale), runs the tests of chapters 00..CH
# as root and, from 04 on, as the ordinary user too, and says why the first
# failure failed.
if [ -n "$MINIBOX" ]; then
	exec scripts/grade.sh "$CH" "$MINIBOX"
fi

mapfile -t chapters < <(find chapters -mindepth 1 -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' | sort)

# The ordinary user of the rootless passes (and of the transcripts): the
# person who typed sudo, else uid 65534 working from a copy (tests/user.bash).
# shellcheck source=tests/user.bash disable=SC1091
source tests/user.bash
mb_choose_user "$PWD" || { echo "test: could not prepare the ordinary user's copy" >&2; exit 1; }
tmp=$(mktemp -d)
running=() # the process group of each running job: a job is its own group
cleanup() {
	local pid
	for pid in "${running[@]}"; do
		[ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null
	done
	rm -rf "$tmp"
	mb_remove_user_tree
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JOBS=${MB_JOBS:-4}
JOB_TIMEOUT=${MB_JOB_TIMEOUT:-300}
# Every job's processes carry MB_RUN_ID=<suite>-<job>: the clean-host check
# of each bats file counts only its own.
suite_id=mb-$$-$(date +%s)
passed=0 failed=0 skipped=0
start=$SECONDS

# Read TAP on stdin: count each result and print it on one line, labelled.
# A last line "exit N" is the producer's exit status.
count_tap() { # label, the job's time limit in seconds
	local label=$1 limit=$2 line failing=0 results=0 status=0 failures=0
	while IFS= read -r line; do
		case $line in
		"not ok "*)
			failed=$((failed + 1)) failing=1 results=$((results + 1)) failures=$((failures + 1))
			echo "FAIL  $label${line#not ok * }" ;;
		"ok "*"# skip"*)
			skipped=$((skipped + 1)) failing=0 results=$((results + 1))
			line=${line#ok * }
			# (in the v2 VM, for scripts/test-vm.sh: the reason may hold parentheses)
			if [ -n "$VM_RUN" ]; then
				echo "skip  $label${line%% # skip*} # skip ${line#* # skip }"
			else
				echo "skip  $label${line%% # skip*} (${line#* # skip })"
			fi ;;
		"ok "*)
			passed=$((passed + 1)) failing=0 results=$((results + 1))
			echo "ok    $label${line#ok * }" ;;
		"exit "*) status=${line#exit } ;;
		"#"*) [ "$failing" = 1 ] && echo "      $line" ;;
		esac
	done
	# A producer that fails without a failing result (a file that does not
	# even load, a VM whose report is garbled, a job out of time) is a failure too.
	if [ "$status" = 124 ]; then
		failed=$((failed + 1))
		echo "FAIL  ${label}timed out after $limit s ($results results)"
	elif [ "$status" != 0 ] && [ "$failures" = 0 ]; then
		failed=$((failed + 1))
		echo "FAIL  ${label}failed without a failing test (exit $status, $results results)"
	fi
}

# ------------------------------------------------------------------ jobs
# A job: a label for its lines, a group for the time per chapter, and a
# command. job_add queues it; the jobs run in the order given by their
# priority (longest first), and print in the order they were queued.
labels=() groups=() cmds=() prios=() tmos=()
job_add() { # priority group label command... (job_timeout=N job_add ...: its own time limit)
	prios+=("$1") groups+=("$2") labels+=("$3") tmos+=("${job_timeout:-$JOB_TIMEOUT}")
	shift 3
	cmds+=("$(printf '%q ' "$@")")
}

# Tests of chapter $1's properties (tests/$1.bats) against the binary $2;
# $5 non-empty: run minibox as the ordinary user.
add_tests() {
	local tests=$1 binary=$2 label=$3 group=$4 rootless=${5:-} filter=()
	[ -f "tests/$tests.bats" ] || return 0
	# tests tagged "once" say themselves who runs minibox: one pass will do
	[ -n "$rootless" ] && filter=(--filter-tags '!once')
	# add_filter=REGEX add_tests ...: only the tests whose names match
	[ -n "${add_filter:-}" ] && filter+=(--filter "$add_filter")
	job_add 1 "$group" "$label" env MB_ROOTLESS="$rootless" MINIBOX="$binary" \
		bats --formatter tap "${filter[@]}" "tests/$tests.bats"
}

# Chapter $1's binary against the tests of every chapter up to it, as root,
# and from chapter 04 (user namespaces) on again as the ordinary user. With
# $3 = step, only against its own tests: what the step to chapter N added.
add_ladder() {
	local chapter=$1 binary=$2 ladder=${3:-full} t
	for t in "${chapters[@]}"; do
		[[ $t > $chapter ]] && break
		[ "$ladder" = full ] || [ "$t" = "$chapter" ] || continue
		add_tests "$t" "$binary" "$t on ${binary#"$PWD"/}: " "$chapter"
	done
	[ "$((10#${chapter%%-*}))" -lt 4 ] && return 0
	# In a step, the rootless pass is chapter 04's idea alone; the last
	# chapter's binary runs every chapter's tests rootless too.
	[ "$ladder" = step ] && [ "${chapter%%-*}" != 04 ] && return 0
	for t in "${chapters[@]}"; do
		[[ $t > $chapter ]] && break
		[ "$ladder" = full ] || [ "$t" = "$chapter" ] || continue
		add_tests "$t" "$binary" "$t as $MB_USER_LABEL on ${binary#"$PWD"/}: " "$chapter" rootless
	done
}

if [ -n "$VM_RUN" ]; then
	# In the v2 VM, under software emulation (TCG: some 20 times slower
	# than here). MB_VM_LADDER=full: every test file against the last
	# chapter's binary, as root and as the ordinary user, the clean-host
	# check, and the cgroup tests of 07 on against their own binaries.
	# The default subset, where the v2 paths differ from v1: chapter 07's
	# tests against its binary, as root, and the cgroup tests of 08 on
	# (minibox-exec's clone3(CLONE_INTO_CGROUP)) against their own.
	for chapter in "${chapters[@]}"; do
		[ "$((10#${chapter%%-*}))" -ge 7 ] || continue
		binary=$PWD/$BINDIR/$chapter/minibox
		if [ "${MB_VM_LADDER:-subset}" != full ]; then
			if [ "${chapter%%-*}" = 07 ]; then
				add_tests "$chapter" "$binary" "$chapter on $BINDIR/$chapter/minibox: " "$chapter"
			else
				add_filter=cgroup add_tests "$chapter" "$binary" "$chapter (its cgroup tests) on $BINDIR/$chapter/minibox: " "$chapter"
			fi
		elif [ "$chapter" = "${chapters[-1]}" ]; then
			add_ladder "$chapter" "$binary" full
			job_add 1 checks "clean-host on $chapter: " env MINIBOX="$binary" bats --formatter tap tests/clean-host.bats
		else
			# the others' cgroup tests, where v2 differs (the rest of their
			# code is the last chapter's too, and ran here on the host)
			add_filter=cgroup add_tests "$chapter" "$binary" "$chapter (its cgroup tests) on $BINDIR/$chapter/minibox: " "$chapter"
			add_filter=cgroup add_tests "$chapter" "$binary" "$chapter (its cgroup tests) as $MB_USER_LABEL on $BINDIR/$chapter/minibox: " "$chapter" rootless
		fi
	done
elif [ -n "$CH" ]; then
	chapter=$(printf '%s\n' "${chapters[@]}" | grep "^$CH-" | head -n 1)
	[ -n "$chapter" ] || { echo "test: no chapter $CH in chapters/" >&2; exit 2; }
	binary=$BINDIR/$chapter/minibox
	add_ladder "$chapter" "$(realpath "$binary")"
else
	# The square ladder, every binary against every earlier chapter's tests,
	# twice from chapter 04 on, does not fit in two minutes on two cores:
	# every binary takes its own chapter's tests (as the ordinary user too
	# in chapter 04), and the last chapter's binary, which holds the code
	# of all the others, every chapter's, as root and as the ordinary user.
	# MB_LADDER=full runs the square (about twice as long);
	# ./scripts/test.sh NN runs chapter NN's whole ladder.
	for chapter in "${chapters[@]}"; do
		ladder=${MB_LADDER:-step}
		[ "$chapter" = "${chapters[-1]}" ] && ladder=full
		add_ladder "$chapter" "$PWD/$BINDIR/$chapter/minibox" "$ladder"
	done
	if [ "$BINDIR" = chapters ]; then
		# the clean-host check itself, with the last chapter's binary
		job_add 1 checks "clean-host on ${chapters[-1]}: " env MINIBOX="$PWD/chapters/${chapters[-1]}/minibox" \
			bats --formatter tap tests/clean-host.bats
		for chapter in "${chapters[@]}"; do
			# a chapter's mutation hunt builds and tests its mutants one after
			# the other (chapter 08: some 40); on a busy machine 300 s was seen
			# to run out before the last: twice a bats file's limit
			job_timeout=$((JOB_TIMEOUT * 2)) job_add 2 checks "" scripts/mutate.sh "${chapter%%-*}"
		done
		for readme in chapters/*/README.md; do
			# in an IPC and a mount namespace of its own, with a /run/minibox of its
			# own: a README's fixed keys, queue names and container names
			# (chapter 08's "web") never meet another suite's
			job_add 1 checks "" scripts/private-run.sh scripts/transcripts.sh "$readme"
		done
		job_add 0 checks "" scripts/diagrams.sh --check
		job_add 0 checks "" scripts/ladder.sh --check
		job_add 0 checks "" scripts/listings.sh --check
		job_add 0 checks "" scripts/lint-scripts.sh
		job_add 0 checks "lab notes: " scripts/lab-notes.sh
		job_add 0 checks "lab giveaways: " scripts/lab-giveaways.sh
		job_add 1 checks "solutions: " env MINIBOX="$PWD/chapters/${chapters[-1]}/minibox" \
			bats --formatter tap tests/solutions.bats
		job_add 1 checks "lab round trip: " scripts/lab-roundtrip.sh 01
		# each region of lab 05 emptied in turn: ./grade --hint names it
		# (some 15 s; make hint-routes does labs 03, 08 and 10 too, minutes each)
		job_add 1 checks "hint routes: " scripts/hint-routes.sh 05
		# Chapter 07's tests run on this host's cgroups. If they are not pure
		# v2, a VM that is runs the v2 paths (MB_VM_LADDER: the subset or the
		# full ladder there); another VM runs the arm64 builds. Each shares
		# nothing with the tests here; they boot one after the other.
		if [ "$VM_V2" = run ] || [ "$VM_ARM64" = run ]; then
			vms=()
			[ "$VM_V2" = run ] && vms+=(v2)
			[ "$VM_ARM64" = run ] && vms+=(arm64)
			# (under TCG, the full ladder takes minutes: its own time limit)
			job_timeout=${MB_VM_TIMEOUT:-2400} job_add 3 vm "" scripts/test-vm.sh "${vms[@]}"
		fi
		[ "$VM_V2" = run ] || job_add 0 vm "" echo "ok - v2 vm: the whole ladder on pure cgroup v2 # skip $VM_V2"
		[ "$VM_ARM64" = run ] || job_add 0 vm "" echo "ok - arm64 vm: every chapter's smoke checks on arm64 # skip $VM_ARM64"
	fi
fi

# ------------------------------------------------------------ the scheduler
n=${#cmds[@]}
order=() # job numbers, highest priority first, queue order within one
for p in 3 2 1 0; do
	for ((i = 0; i < n; i++)); do [ "${prios[i]}" = "$p" ] && order+=("$i"); done
done
declare -A job_of=() # process id -> job number
status=() began=() took=()
next=0 printed=0 active=0

# Print every finished job whose turn it is (ladder order).
print_ready() {
	while [ "$printed" -lt "$n" ] && [ -n "${status[printed]:-}" ]; do
		count_tap "${labels[printed]}" "${tmos[printed]}" < <(cat "$tmp/$printed.tap"; echo "exit ${status[printed]}")
		printed=$((printed + 1))
	done
}

while [ "$printed" -lt "$n" ]; do
	while [ "$active" -lt "$JOBS" ] && [ "$next" -lt "$n" ]; do
		j=${order[next]}
		next=$((next + 1))
		began[j]=${EPOCHREALTIME/./}
		# timeout puts the job in a process group of its own, and ends it all
		eval "MB_RUN_ID=$suite_id-$j timeout --kill-after=10 ${tmos[j]} ${cmds[j]}" >"$tmp/$j.tap" 2>&1 </dev/null &
		job_of[$!]=$j
		running[j]=$!
		active=$((active + 1))
	done
	pid=
	wait -n -p pid
	rc=$?
	[ -n "$pid" ] || continue
	j=${job_of[$pid]}
	status[j]=$rc
	took[j]=$(((${EPOCHREALTIME/./} - began[j]) / 1000))
	# MB_TIMES=file: how long each job took, to balance the schedule
	[ -n "${MB_TIMES:-}" ] && echo "${took[j]} ms, exit $rc: ${labels[j]}${cmds[j]}" >>"$MB_TIMES"
	running[j]=''
	active=$((active - 1))
	print_ready
done

# The time each chapter's jobs took (summed: jobs run side by side), and
# the wall time of the whole run.
declare -A group_ms=()
group_order=()
for ((i = 0; i < n; i++)); do
	g=${groups[i]}
	[ -n "${group_ms[$g]:-}" ] || group_order+=("$g")
	group_ms[$g]=$((${group_ms[$g]:-0} + took[i]))
done
line=
for g in "${group_order[@]}"; do
	line+="$g $(((group_ms[$g] + 500) / 1000)) s, "
done
# The VMs' own counts (in the totals below too), from their jobs' output.
vm_line=$(cat "$tmp"/*.tap 2>/dev/null | sed -n 's/^# \(.* vm\): \([0-9]* passed, .*\)$/\1 \2/p' | paste -sd ';' | sed 's/;/; /g')
[ -z "$vm_line" ] || echo "vms: $vm_line"
echo "time: ${line}wall $((SECONDS - start)) s, $JOBS jobs at a time"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
