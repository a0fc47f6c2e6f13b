# shellcheck shell=bash
# Shared by every tests/NN-slug.bats: `load helpers` at the top of the file.
#
# A test file holds the properties of one chapter. scripts/test.sh runs it
# against that chapter's binary and every later one (MINIBOX=...), so a test
# may only assume what this chapter and all later chapters do.

bats_require_minimum_version 1.5.0
# bats-support and bats-assert, read straight from their src/ folders: their
# load.bash forks a dirname for each file, 30 forks for every test.
mb_load_library() {
	local dir f
	if [ -z "${MB_LIB_DIR:-}" ]; then
		for dir in ${BATS_LIB_PATH//:/ } /usr/lib/bats /usr/local/lib/bats /usr/share/bats /usr/lib /usr/local/lib; do
			[ -f "$dir/$1/load.bash" ] && { export MB_LIB_DIR=$dir; break; }
		done
	fi
	if [ -n "${MB_LIB_DIR:-}" ] && [ -d "$MB_LIB_DIR/$1/src" ]; then
		for f in "$MB_LIB_DIR/$1"/src/*.bash; do
			# shellcheck disable=SC1090
			source "$f"
		done
	else
		bats_load_library "$1"
	fi
}
mb_load_library bats-support
mb_load_library bats-assert

# (helpers.bash is read again for each test: no forks here that the
# environment can spare, what the first reading works out is exported)
REPO=${BATS_TEST_DIRNAME%/tests}
[[ $REPO == /* ]] || REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# tests/01-uts.bats holds chapter 01-uts's properties.
FILE_CHAPTER=${BATS_TEST_FILENAME##*/}
FILE_CHAPTER=${FILE_CHAPTER%.bats}
# The binary under test: by default this chapter's; MINIBOX= grades another.
MINIBOX=${MINIBOX:-$REPO/chapters/$FILE_CHAPTER/minibox}
# From chapter 03 on, the default root filesystem is ./rootfs.
cd "$REPO" || exit 1

# Every test has a time limit (bats 1.8.2 fails a test that runs longer,
# "# timeout after 60s", then runs its teardown): the suite cannot hang.
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-${MB_TEST_TIMEOUT:-60}}

# What this test file starts carries its run id in its environment:
# MB_RUN_ID=... in /proc/PID/environ. The clean-host check counts only those
# processes (and what they hold), so other suites, containers, Docker or
# systemd units running at the same time never fail it. scripts/test.sh gives
# each bats run an id; run by hand, a file makes its own. MB_TAG, 8 hex
# digits, names what the tests make that another run could meet: IPC
# objects (a System V key, queue names), containers' --name, keys.
export MB_RUN_ID=${MB_RUN_ID:-mbt-${BATS_RUN_TMPDIR##*/bats-run-}-$FILE_CHAPTER}
if [ "${MB_TAG_OF:-}" != "$MB_RUN_ID" ]; then
	MB_TAG=$(printf '%08x' "$(($(cksum <<<"$MB_RUN_ID" | cut -d" " -f1) & 0x7fffffff | 1))")
	export MB_TAG MB_TAG_OF=$MB_RUN_ID
fi

# From chapter 04 on, scripts/test.sh runs every file twice: as root, and
# with MB_ROOTLESS=1, where "$MINIBOX" runs as the ordinary user
# (tests/user.bash says who that is: the person who typed sudo, else uid
# 65534 working from a copy of what it needs). MB_UID is the host uid minibox
# runs as (its gid is MB_GID); MB_REAL the binary itself, run as root;
# MB_TREE the tree the minibox under test works from (./rootfs, the probes).
# A test that says who runs minibox ("$MB_REAL" for root, as_user_minibox
# for the ordinary user) does the same in both passes: tagged "once", it is
# left out of the rootless one.
export MB_REAL=${MB_REAL:-$MINIBOX} # helpers.bash is read again for each test
# shellcheck source=tests/user.bash disable=SC1091
source "$REPO/tests/user.bash"
export MB_REPO=$REPO
export MB_UID=0 MB_GID=0 MB_TREE=$REPO
if [ -n "${MB_USER_TREE:-}" ]; then
	# chosen by scripts/test.sh, or by this file's setup_file (remember_host)
	if [ "${MB_USER_MINIBOX_OF:-}" != "$MB_REAL" ]; then
		MB_USER_MINIBOX=$(mb_user_path "$MB_REAL")
		export MB_USER_MINIBOX MB_USER_MINIBOX_OF=$MB_REAL
	fi
	if [ -n "${MB_ROOTLESS:-}" ]; then
		MB_UID=$MB_USER_UID MB_GID=$MB_USER_GID MB_TREE=$MB_USER_TREE
		MINIBOX=$REPO/tests/as-user
	fi
fi
as_user() { mb_as_user "$@"; }
# The binary under test, run by the ordinary user from its tree.
as_user_minibox() { "$REPO/tests/as-user" "$@"; }

# From chapter 08 on, a chapter has a second program beside minibox:
# minibox-exec. MINIBOX_EXEC is the one that comes with the binary under
# test, run by the same user as "$MINIBOX" (MB_EXEC_REAL: the binary itself).
export MB_EXEC_REAL=${MB_EXEC_REAL:-${MB_REAL%/*}/minibox-exec}
# shellcheck disable=SC2034 # the test files use it
MINIBOX_EXEC=$MB_EXEC_REAL
# shellcheck disable=SC2034
if [ -n "${MB_USER_TREE:-}" ]; then
	if [ "${MB_USER_EXEC_OF:-}" != "$MB_EXEC_REAL" ]; then
		MB_USER_EXEC=$(mb_user_path "$MB_EXEC_REAL")
		export MB_USER_EXEC MB_USER_EXEC_OF=$MB_EXEC_REAL
	fi
	[ -z "${MB_ROOTLESS:-}" ] || MINIBOX_EXEC=$REPO/tests/as-user-exec
fi

# The libraries program $1 links with, as its first lines name them
# ("cc ... minibox.c -larchive ...", from chapter 12 on): a test that
# builds a copy of the program links the same.
libs_of() { sed -n '1,/\*\//s/^ \*   cc .* '"${1##*/}"'\( -l.*\)$/\1/p' "$1"; }

# Before each test: in the rootless pass, skip with a reason the learner can
# act on when this host cannot run minibox as an ordinary user.
setup() {
	# scripts/mutate.sh only needs to know whether a test fails: after the
	# first failure it skips the rest (MB_FAIL_FAST=1).
	if [ -n "${MB_FAIL_FAST:-}" ] && [ -e "$BATS_FILE_TMPDIR/a-test-failed" ]; then
		skip "an earlier test failed (fail fast)"
	fi
	[ -n "${MB_ROOTLESS:-}" ] || return 0
	# tried once per file
	if [ ! -e "$BATS_FILE_TMPDIR/userns-tried" ]; then
		as_user unshare --user --map-root-user true 2>/dev/null || touch "$BATS_FILE_TMPDIR/userns-refused"
		touch "$BATS_FILE_TMPDIR/userns-tried"
	fi
	[ ! -e "$BATS_FILE_TMPDIR/userns-refused" ] ||
		skip "unprivileged user namespaces are restricted here: scripts/check-env.sh says what to change"
}

# A fresh directory the user minibox runs as can use (bats' own temporary
# directories are private to root): for --bind folders and working dirs.
user_dir() {
	local dir
	dir=$(mktemp -d /tmp/minibox-test.XXXXXX)
	chmod 755 "$dir"
	chown "$MB_UID:$MB_GID" "$dir"
	echo "$dir" >>"$BATS_TEST_TMPDIR/user-dirs"
	echo "$dir"
}

# Put this first in a container script that writes or mounts: with a broken
# binary (a lab, a mutation) the script may run in the host's own tree.
# shellcheck disable=SC2034 # the test files use it
ROOTFS_ONLY='test -f /etc/minibox-release || { echo "not in the minibox rootfs: refusing to write" >&2; exit 99; };'

# From chapter 10 on, the container may neither mount nor rename itself (no
# CAP_SYS_ADMIN, a seccomp filter): the tests of earlier chapters that make it
# do so give those binaries --privileged, as one would give a container that
# must mount. Asked of the binary's --help, so a lab that has not reached
# chapter 10 gets no option it does not know.
# From chapter 10 on too, the command starts from a clean environment: a
# variable of the caller's reaches it only through --env (MB_HAS_ENV=1).
# Asked once per binary (helpers.bash is read again for each test).
if [ "${MB_PRIVILEGED_OF:-}" != "$MB_REAL" ]; then
	MB_PRIVILEGED='' MB_HAS_ENV=''
	mb_help=$("$MB_REAL" --help 2>/dev/null)
	[[ $mb_help == *--privileged* ]] && MB_PRIVILEGED=--privileged
	[[ $mb_help == *"--env NAME=VALUE"* ]] && MB_HAS_ENV=1
	# from chapter 11 on, the command's streams are pipes, and --tty gives a terminal
	MB_HAS_TTY=''
	[[ $mb_help == *--tty* ]] && MB_HAS_TTY=1
	export MB_PRIVILEGED MB_HAS_ENV MB_HAS_TTY MB_PRIVILEGED_OF=$MB_REAL
fi
# shellcheck disable=SC2034 # the test files use it
PRIVILEGED=(${MB_PRIVILEGED:+"$MB_PRIVILEGED"})

# -------------------------------------------------------------- assertions

# The output of `cat /proc/self/cgroup` names the root of every hierarchy
# ("ID:CONTROLLERS:/"): the cgroup namespace's view. At least one line.
assert_cgroup_root() {
	local line
	# shellcheck disable=SC2154 # bats' run sets lines
	[ "${#lines[@]}" -gt 0 ] || fail "no line of /proc/self/cgroup"
	for line in "${lines[@]}"; do
		[[ $line == *:/ ]] || fail "not the root: $line"
	done
}

# The command failed with one line on stderr, exactly this one.
# (bats-assert 2.1 has no assert_stderr; run with --separate-stderr.)
assert_error_line() {
	# shellcheck disable=SC2154 # bats' run sets $stderr
	if [ "$stderr" != "$1" ]; then
		batslib_print_kv_single_or_multi 8 expected "$1" stderr "$stderr" |
			batslib_decorate "stderr is not the expected one line" | fail
	fi
}

# stderr has a line matching this extended regular expression. On failure,
# the lines that begin as the regex does come first (its literal head, up
# to the first "(" or operator, "minibox: child: setsid"): the near misses,
# which a grader that shows a failure's first lines would otherwise cut.
assert_stderr_regex() {
	local head near
	if ! grep -Eq -- "$1" <<<"$stderr"; then
		head=$(sed -E 's/^\^//; s/\\(.)/\1/g; s/[][(){}.*+?|$^].*//' <<<"$1")
		near=$(grep -F -- "$head" <<<"$stderr")
		if [ "${#head}" -gt 16 ] && [ -n "$near" ]; then
			batslib_print_kv_single_or_multi 8 regex "$1" "lines like it" "$near" stderr "$stderr"
		else
			batslib_print_kv_single_or_multi 8 regex "$1" stderr "$stderr"
		fi | batslib_decorate "no stderr line matches" | fail
	fi
}

# -------------------------------------------------- containers in the background

# How long a test waits for something to happen, in seconds. scripts/mutate.sh
# shortens it: there, tests are expected to fail, and waiting is wasted.
PATIENCE=${MB_PATIENCE:-10}

# Poll until a command succeeds, for up to $PATIENCE seconds (10: a loaded
# machine, two suites at once, may take that long; it costs only on failure).
wait_until() {
	local deadline=$((${EPOCHREALTIME/./} + PATIENCE * 1000000))
	while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.05
	done
	"$@" && return 0
	echo "gave up waiting for: $*" >&2
	return 1
}

# What the kernel says of each namespace file given (ioctl_ns(2)), one line
# each: PATH INODE OWNER PARENT, "-" where it has none. build/nsrel is
# scripts/nsgraph's helper: make all builds it, this for a bats run by hand.
nsrel() { make -s -C "$REPO" build/nsrel && "$REPO/build/nsrel" "$@"; }

# The first child of a process, or nothing.
first_child() {
	local children
	children=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
	echo "${children%% *}"
}

container_started() {
	# (read without forks: this runs every 50 ms)
	local out=() children=
	mapfile -t out 2>/dev/null <"$BATS_TEST_TMPDIR/ct.out"
	[[ " ${out[*]} " == *" ready "* ]] || return 1
	read -r children 2>/dev/null <"/proc/$MB_PID/task/$MB_PID/children"
	CT_PID=${children%% *}
	[ -n "$CT_PID" ]
}

# Run minibox in the background with the given options and command; the
# command must print "ready" when it is set up. Sets MB_PID (minibox) and
# CT_PID (the container's first process, numbered as the host sees it).
# teardown stops whatever is still running.
start_container() { start_binary "$MINIBOX" "$@"; }

# The same with a binary of the test's choice ("$MB_REAL": minibox as root).
start_binary() {
	# A second start in one test: the first one's "ready" must not count
	# (the background job truncates ct.out, maybe after the first look).
	: >"$BATS_TEST_TMPDIR/ct.out"
	# 3>&-: bats waits for every holder of its fd 3 to finish.
	"$@" >"$BATS_TEST_TMPDIR/ct.out" 2>"$BATS_TEST_TMPDIR/ct.err" 3>&- &
	MB_PID=$!
	echo "$MB_PID" >>"$BATS_TEST_TMPDIR/started"
	local deadline=$((${EPOCHREALTIME/./} + PATIENCE * 1000000))
	while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
		if container_started; then
			# teardown also stops what the container started, by its namespace
			readlink "/proc/$CT_PID/ns/uts" >>"$BATS_TEST_TMPDIR/started-uts"
			return 0
		fi
		gone "$MB_PID" && break # it failed: no use waiting
		sleep 0.05
	done
	local status=0
	if gone "$MB_PID"; then
		wait "$MB_PID" || status=$?
		echo "the container did not start: minibox ended with status $status and said:" >&2
	else
		echo "the container did not start within $PATIENCE s (minibox $MB_PID: $(tr '\0' ' ' <"/proc/$MB_PID/cmdline"), children: $(cat "/proc/$MB_PID/task/$MB_PID/children" 2>/dev/null)); minibox said:" >&2
	fi
	cat "$BATS_TEST_TMPDIR/ct.err" >&2
	echo "(and on stdout: $(cat "$BATS_TEST_TMPDIR/ct.out"))" >&2
	return 1
}

# ------------------------------------------------- a throwaway "host" network

# Tests that lay a veth cable do it from inside a network namespace of their
# own, which plays the host: the machine's interfaces are never touched, and
# no packet leaves the test's namespaces. Sets NETNS_PID; teardown ends it.
make_test_netns() {
	unshare --net -- sleep 300 3>&- &
	NETNS_PID=$!
	echo "$NETNS_PID" >>"$BATS_TEST_TMPDIR/started"
	wait_until test_netns_ready
	# teardown ends every process left in it (a server the test started, say)
	readlink "/proc/$NETNS_PID/ns/net" >>"$BATS_TEST_TMPDIR/started-net"
}
test_netns_ready() { [ "$(readlink "/proc/$NETNS_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }
in_test_netns() { nsenter --net --target "$NETNS_PID" -- "$@"; }
# The rootfs' static busybox has ping and nc, whatever the host has.
export BUSYBOX=$REPO/rootfs/bin/busybox
link_exists() { in_test_netns ip link show "$1" >/dev/null 2>&1; }
link_gone() { ! link_exists "$1"; }

# A process has ended: it is gone, or a zombie that waits for its parent
# (or, for an orphan, the host's init) to collect its status.
ended() { [ ! -d "/proc/$1" ] || grep -q '^State:.Z' "/proc/$1/status" 2>/dev/null; }
gone() { ended "$1"; }

# ------------------------------------------------------------------ cgroups

cgroup_v2_host() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

# The host path of the cgroup of process $1 that holds controller $2 (on v2,
# the one cgroup it is in).
cgroup_dir_of() {
	local line
	if cgroup_v2_host; then
		line=$(grep '^0::' "/proc/$1/cgroup")
		echo "/sys/fs/cgroup${line#0::}"
		return
	fi
	line=$(awk -F: -v c="$2" '{ n = split($2, names, ","); for (i = 1; i <= n; i++)
		if (names[i] == c) print $2 ":" $3 }' "/proc/$1/cgroup")
	echo "/sys/fs/cgroup/$2${line#*:}"
}

# The v2 path on a hybrid host (its controllers on cgroup v1, a cgroup v2
# tree with none at /sys/fs/cgroup/unified): in a mount namespace of the
# test's own, that tree takes /sys/fs/cgroup's place, and minibox, seeing
# cgroup2 there, takes its v2 path (no limits: no controller is on v2). The
# host's hierarchy itself is never touched. Sets V2_NS_PID, a process that
# holds the namespace (teardown ends it), and V2_VIEW, a prefix that runs a
# command in it from this folder. Skips on a pure v2 host (every test runs
# the v2 path there) and where there is no v2 tree.
make_v2_view() {
	cgroup_v2_host && skip "a cgroup v2 host: the other tests run the v2 path"
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] ||
		skip "no cgroup v2 tree at /sys/fs/cgroup/unified: sudo make test-vm checks the v2 path"
	# (exec: $! is the holder itself, once the bind is made)
	unshare --mount --propagation private sh -c \
		'mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && exec sleep 300' 3>&- &
	V2_NS_PID=$!
	echo "$V2_NS_PID" >>"$BATS_TEST_TMPDIR/started"
	wait_until v2_view_ready || fail "no v2 view: the bind of /sys/fs/cgroup/unified failed"
	# a prefix: "${V2_VIEW[@]}" minibox ... (start_binary takes it too)
	# shellcheck disable=SC2034 # the test files use it
	V2_VIEW=(nsenter --mount --target "$V2_NS_PID" --wd="$PWD" --)
}
v2_view_ready() { ! gone "$V2_NS_PID" && [ "$(cat "/proc/$V2_NS_PID/comm" 2>/dev/null)" = sleep ]; }
# The v2 cgroup of process $1, as the host names it ("/minibox/minibox-ID"),
# noted for teardown: after a failed test, where teardown killed minibox,
# only a minibox in a v2 view would sweep the host's v2 tree.
v2_cgroup_of() {
	local cgroup
	cgroup=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	[[ $cgroup != /minibox/minibox-* ]] || echo "$cgroup" >>"$BATS_TEST_TMPDIR/v2-cgroups"
	echo "$cgroup"
}
v2_cgroup_removed() { rmdir "/sys/fs/cgroup/unified$1" 2>/dev/null; [ ! -d "/sys/fs/cgroup/unified$1" ]; }
# Remove the v2 cgroups the test noted, once their processes are gone.
remove_v2_cgroups() {
	local dir
	[ -f "$BATS_TEST_TMPDIR/v2-cgroups" ] || return 0
	sort -u "$BATS_TEST_TMPDIR/v2-cgroups" | while read -r dir; do
		wait_until v2_cgroup_removed "$dir" || true
	done
	rm -f "$BATS_TEST_TMPDIR/v2-cgroups"
	rmdir /sys/fs/cgroup/unified/minibox 2>/dev/null # as minibox does: not while another uses it
	return 0
}

# Set STATUS to the exit status of the minibox started by start_container,
# once it ends. A test must not hang: give up after $PATIENCE seconds.
wait_for_minibox() {
	wait_until ended "$MB_PID" || return 1
	local status=0
	wait "$MB_PID" || status=$?
	STATUS=$status
	export STATUS
}

# "PID INODE" for every process: the namespace of type $1 (uts, pid, ...)
# it is in. One stat for all of them: a fork per process would be slow.
namespace_table() {
	stat -L -c '%n %i' /proc/[0-9]*/ns/"$1" 2>/dev/null | awk '{ split($1, p, "/"); print p[3], $2 }'
	return 0
}

# Host PIDs of the processes in the namespace of type $1 named $2 ("pid:[4026532...]").
pids_in_namespace() {
	local inode=${2//[^0-9]/}
	namespace_table "$1" | awk -v ns="$inode" '$2 == ns { print $1 }'
}

pids_in_pidns() { pids_in_namespace pid "$1"; }

# Keep the PIDs (on stdin) of processes that still run: a zombie has ended,
# it only waits for its parent (or the host's init) to collect its status.
alive() {
	local p
	while read -r p; do
		grep -q '^State:.Z' "/proc/$p/status" 2>/dev/null || [ ! -d "/proc/$p" ] || echo "$p"
	done
}
pidns_empty() { [ -z "$(pids_in_pidns "$1" | alive)" ]; }

# Host PIDs of the zombies in a PID namespace.
zombies_in_pidns() {
	local p
	for p in $(pids_in_pidns "$1"); do
		grep -q '^State:.Z' "/proc/$p/status" 2>/dev/null && echo "$p"
	done
	return 0
}
has_zombie() { [ -n "$(zombies_in_pidns "$1")" ]; }

# Kill, by the ids this test recorded, every minibox it started, every
# process left in the UTS namespaces of its containers (a broken lab may
# leave some behind), and every process in its throwaway networks.
stop_containers() {
	local pid ns p
	if [ -f "$BATS_TEST_TMPDIR/started" ]; then
		while read -r pid; do
			# still ours? (once collected, its number may be another's)
			grep -qzxF "MB_RUN_ID=$MB_RUN_ID" "/proc/$pid/environ" 2>/dev/null &&
				kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		done <"$BATS_TEST_TMPDIR/started"
		rm -f "$BATS_TEST_TMPDIR/started"
	fi
	kill_namespace_members uts
	kill_namespace_members net
	return 0
}

# SIGKILL every process of this run (MB_RUN_ID in its environment) in the
# namespaces of type $1 listed in started-$1. (A namespace's number is
# reused once it is freed: without the run id, a test could kill another
# test's container that got the same number.)
kill_namespace_members() {
	local list=$BATS_TEST_TMPDIR/started-$1 ns pids=() p
	[ -f "$list" ] || return 0
	while read -r ns; do
		[ "$ns" = "$(readlink "/proc/self/ns/$1")" ] && continue
		for p in $(pids_in_namespace "$1" "$ns"); do pids+=("/proc/$p/environ"); done
	done <"$list"
	rm -f "$list"
	[ ${#pids[@]} -gt 0 ] || return 0
	grep -lzxF "MB_RUN_ID=$MB_RUN_ID" "${pids[@]}" 2>/dev/null | cut -d/ -f3 | while read -r p; do
		kill -KILL "$p" 2>/dev/null
	done
	return 0
}

# A failed test shows what minibox itself said: bats reports only "`run -0
# ...` failed, expected exit code 0, got 125", and the reason ("minibox:
# pivot_root(.): Invalid argument") is in the output of that last run. Its
# error and hint lines (not the -v narration, whose calls end in "= N"),
# else its last lines. teardown's output is printed under the failure.
show_minibox_said() {
	local said
	said=$(printf '%s\n%s\n' "${stderr:-}" "${output:-}" | grep -E '^(minibox|hint): ' | grep -vE ' = -?[0-9]')
	[ -n "$said" ] || said=$(printf '%s\n%s\n' "${stderr:-}" "${output:-}" | grep -v '^$' | tail -n 5)
	[ -n "$said" ] || return 0
	echo "the last command run said:"
	echo "  ${said//$'\n'/$'\n'  }"
}

# After each test (a file with its own teardown calls this one too).
mb_teardown() {
	# bats sets BATS_TEST_COMPLETED only when the test passed
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		touch "$BATS_FILE_TMPDIR/a-test-failed"
		show_minibox_said
	fi
	stop_containers
	remove_v2_cgroups
	if [ -f "$BATS_TEST_TMPDIR/user-dirs" ]; then
		xargs rm -rf <"$BATS_TEST_TMPDIR/user-dirs"
		rm -f "$BATS_TEST_TMPDIR/user-dirs"
	fi
}
teardown() { mb_teardown; }

# ---------------------------------------------------------- a clean host

# Process $1 descends from a process that carries another run's id.
of_another_run() {
	local p=$1 id
	while p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) && [ "${p:-0}" -gt 1 ]; do
		id=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^MB_RUN_ID=//p')
		[ -z "$id" ] || { [ "$id" != "$MB_RUN_ID" ]; return; }
	done
	return 1
}

# This run's processes: alive, with MB_RUN_ID=<this run's id> in their
# environment, that are minibox (a binary of this clone, of the ordinary
# user's tree, or the one under test) or live in a PID or UTS namespace other
# than ours (a container). Processes of this clone's binaries that carry no
# run id at all count too: nobody but a test should run them while it runs.
# The test harness itself (bats, the shell, grep) carries the id but is
# neither. One line each: PID, then the program.
run_processes() {
	local tree=${MB_USER_TREE:-$REPO} pids p files=()
	pids=$({
		# carrying this run's id (one grep reads every environment)
		grep -lzxF "MB_RUN_ID=$MB_RUN_ID" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
		# running a program of this clone (or its copy) without any run id,
		# unless it descends from another run's process (another job's
		# --init PID 1, which clears its environment, is that job's)
		find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname "$REPO/*" -o -lname "$tree/*" \) \
			-printf '%h/environ\n' 2>/dev/null | xargs -r grep -Lz '^MB_RUN_ID=' 2>/dev/null | cut -d/ -f3 |
			while read -r p; do of_another_run "$p" || echo "$p"; done
	} | sort -un)
	[ -n "$pids" ] || return 0
	# From chapter 10 on, a container's command starts from a clean
	# environment: it carries no run id, but descends from a minibox (or a
	# minibox-exec, run from its sealed copy) of this run that does.
	local roots kids
	roots=$(for p in $pids; do
		case $(readlink "/proc/$p/exe" 2>/dev/null) in
		"$MB_REAL" | "${MB_USER_MINIBOX:-/none}" | "$REPO"/* | "$tree"/* | /memfd:minibox-exec*) echo "$p" ;;
		esac
	done)
	while [ -n "$roots" ]; do
		kids=$(for p in $roots; do cat "/proc/$p/task/"*/children 2>/dev/null; done | tr ' ' '\n' | grep -v '^$')
		pids+=$'\n'$kids
		roots=$kids
	done
	pids=$(sort -un <<<"$pids")
	for p in $pids; do files+=("/proc/$p/exe" "/proc/$p/ns/pid" "/proc/$p/ns/uts"); done
	# one stat for all: "'/proc/PID/exe' -> '/path'"; a zombie has no exe
	stat -c '%N' /proc/self/ns/pid /proc/self/ns/uts "${files[@]}" 2>/dev/null |
		awk -v real="$MB_REAL" -v user="${MB_USER_MINIBOX:-}" -v repo="$REPO/" -v tree="$tree/" '
		{ gsub(/\047/, ""); split($1, f, "/"); pid = f[3]; what = f[4] == "ns" ? f[5] : f[4]; to = $3 }
		pid == "self" { self[what] = to; next }
		{ seen[pid]; v[pid, what] = to }
		END {
			for (pid in seen) {
				exe = v[pid, "exe"]
				if (exe == "") continue
				if (exe == real || exe == user || index(exe, repo) == 1 || index(exe, tree) == 1 ||
				    v[pid, "pid"] != self["pid"] || v[pid, "uts"] != self["uts"])
					print pid, exe
			}
		}' | sort -n
}

# The folders of this run: the clone (or the ordinary user's copy of it),
# bats' temporary folder, and every folder a test made in /tmp (user_dir(),
# private_home(): listed in its user-dirs file, also after teardown).
run_folders() {
	printf '%s\n' "$REPO" ${MB_USER_TREE:+"$MB_USER_TREE"} "$BATS_RUN_TMPDIR"
	find "$BATS_RUN_TMPDIR" -name user-dirs -exec cat {} + 2>/dev/null
}

# Everything a container of this run could leave behind on the host, one
# line each.
host_state() {
	echo "hostname $(hostname)"
	# mount point, filesystem type and source of every mount in this run's
	# own folders, where a container of this run could leave one (its
	# rootfs, its --bind folders, the tests' temporary folders): a mount
	# that another program makes elsewhere meanwhile (a login's
	# /run/user/UID, another suite's folders) is not this run's
	run_folders | awk 'NR == FNR { dir[NR] = $0; n = NR; next }
	     { sep = 0; for (i = 7; i <= NF; i++) if ($i == "-") { sep = i; break }
	       for (d = 1; d <= n; d++)
		       if ($5 == dir[d] || index($5, dir[d] "/") == 1) { print "mount", $5, $(sep + 1), $(sep + 2); break } }' \
		- /proc/self/mountinfo | sort
	printf 'interface %s\n' /sys/class/net/*
	# the cgroups this run's processes are in, when they are minibox's
	local p
	run_processes | while read -r p _; do
		sed -n 's/^[0-9]*:\([^:]*\):\(.*\/minibox-.*\)/cgroup \1 \2/p' "/proc/$p/cgroup" 2>/dev/null
	done | sort -u
	# state files of containers this run named (tests put MB_TAG in the name):
	# root's in /run/minibox, the ordinary user's in its runtime folder or
	# /tmp/minibox-UID (chapter 08)
	find /run/minibox "/tmp/minibox-${MB_USER_UID:-65534}" "${XDG_RUNTIME_DIR:-/nonexistent}/minibox" \
		-mindepth 1 -name "*$MB_TAG*" 2>/dev/null | sed 's/^/state /'
	# System V IPC objects with this run's key, and POSIX message queues with
	# this run's tag in their name (an mqueue mount lists them; it is made in
	# a throwaway mount namespace)
	awk -v key=$((0x$MB_TAG)) 'FNR > 1 && $1 == key { print "ipc", FILENAME, $1 }' \
		/proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem
	if [ "$(stat -f -c %T /dev/mqueue 2>/dev/null)" = mqueue ]; then
		ls /dev/mqueue
	else
		unshare --mount sh -c 'mount -t mqueue none /tmp 2>/dev/null && ls /tmp'
	fi | grep -F -- "$MB_TAG" | sed 's/^/mqueue /'
}

# Call from setup_file: remember the host as it was, and choose the
# ordinary user (when scripts/test.sh has not: bats run by hand).
remember_host() {
	if [ -z "${MB_USER_TREE:-}" ]; then
		mb_choose_user "$REPO" || return 1
		# this file made the copy, this file removes it (restore_host)
		[ -z "${MB_USER_COPY:-}" ] || echo "$MB_USER_COPY" >"$BATS_FILE_TMPDIR/user-tree"
	fi
	host_state >"$BATS_FILE_TMPDIR/host.before"
	hostname >"$BATS_FILE_TMPDIR/hostname"
}

# Call from teardown_file: a broken lab must not leave the host renamed.
restore_host() {
	local name tree
	if [ -f "$BATS_FILE_TMPDIR/user-tree" ]; then
		tree=$(cat "$BATS_FILE_TMPDIR/user-tree")
		[[ $tree == /tmp/minibox-user.* ]] && rm -rf "$tree"
	fi
	name=$(cat "$BATS_FILE_TMPDIR/hostname" 2>/dev/null) || return 0
	[ "$(hostname)" = "$name" ] || hostname "$name"
}

# This run's processes, with their command lines.
stray_processes() {
	local p exe
	run_processes | while read -r p exe; do
		echo "process $p ($exe): $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
}

no_stray_processes() { [ -z "$(stray_processes)" ]; }
host_unchanged() { host_state | cmp -s - "$BATS_FILE_TMPDIR/host.before"; }

# The last test of every file: nothing the tests started is left over.
assert_host_clean() {
	local now stray
	# minibox sweeps what a minibox killed with SIGKILL had no time to
	# remove (from chapter 07 on, its cgroup; from 08 on, its record) when
	# it next starts: start one, and one as the ordinary user (its records).
	"$MB_REAL" true >/dev/null 2>&1 || true
	[ -z "${MB_ROOTLESS:-}" ] || "$MINIBOX" true >/dev/null 2>&1 || true
	# The kernel frees a dead container's namespaces and interfaces moments
	# after its last process exits: look again for a while before failing.
	stray=$(stray_processes)
	if [ -n "$stray" ]; then
		wait_until no_stray_processes 2>/dev/null || true
		stray=$(stray_processes)
	fi
	# both checks report; fail's status is its own, so keep it for the end
	local clean=0
	[ -z "$stray" ] || { fail "left behind: $stray"; clean=1; }
	now=$(host_state)
	if [ "$now" != "$(cat "$BATS_FILE_TMPDIR/host.before")" ]; then
		wait_until host_unchanged 2>/dev/null || true
		now=$(host_state)
	fi
	diff <(echo "$now") "$BATS_FILE_TMPDIR/host.before" >&2 ||
		{ fail "the host changed (> before, < after)"; clean=1; }
	[ "$clean" = 0 ]
}
