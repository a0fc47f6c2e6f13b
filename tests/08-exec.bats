#!/usr/bin/env bats
# Chapter 08-exec: minibox --name NAME records the running container;
# minibox-exec NAME|PID COMMAND joins it with setns() (through a pidfd, or
# one /proc/PID/ns file at a time), forks once more so that COMMAND lives in
# its PID namespace, puts it in its cgroup, and runs it as its root user.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

# Names of this file's containers: its own, so that other suites running at
# the same time never meet them. One per test. (MINIBOX_EXEC, the
# minibox-exec under test, comes from tests/helpers.bash.)
NAME=mbt-$MB_TAG-$BATS_TEST_NUMBER
# The folder of the records, as minibox chooses it for the user it runs as.
records_dir() {
	local uid=${MB_UID:-0}
	if [ "$uid" = 0 ]; then
		echo /run/minibox
	elif [ -n "${XDG_RUNTIME_DIR:-}" ] && [ "$(stat -c %u "$XDG_RUNTIME_DIR" 2>/dev/null)" = "$uid" ]; then
		echo "$XDG_RUNTIME_DIR/minibox"
	else
		echo "/tmp/minibox-$uid"
	fi
}

# A container that waits, named $NAME, with the options given.
start_named() { start_container --name "$NAME" "$@" sh -c 'echo ready; exec sleep 60'; }

# Run a command through minibox-exec in the background, until it prints
# "ready". Sets CT (the container's PID 1), EXEC_PID (minibox-exec) and
# JOINED (the command, as the host numbers it).
start_joined() {
	CT=$CT_PID
	: >"$BATS_TEST_TMPDIR/ct.out" # the container's "ready" is there already
	start_binary "$MINIBOX_EXEC" "$@"
	EXEC_PID=$MB_PID JOINED=$CT_PID
}

# The namespaces of process $2 are those of process $1, type by type.
assert_same_namespaces() {
	local ns
	for ns in user mnt uts ipc net pid cgroup; do
		assert_equal "$ns $(readlink "/proc/$2/ns/$ns")" "$ns $(readlink "/proc/$1/ns/$ns")"
	done
}

@test "a command run with minibox-exec NAME sees the container's hostname" {
	start_named --hostname inside-the-box
	run -0 "$MINIBOX_EXEC" "$NAME" hostname
	assert_output "inside-the-box"
}

@test "it lives in the container's PID namespace: its own PID is small, /proc/1 is the container's command" {
	start_named
	run -0 "$MINIBOX_EXEC" "$NAME" sh -c 'echo "$$"; tr "\0" " " </proc/1/cmdline'
	assert_output $'2\nsleep 60 '
}

@test "it sees the container's mounts: a file in the container's own /tmp" {
	start_container --name "$NAME" sh -c "$ROOTFS_ONLY"'echo written-inside >/tmp/mark; echo ready; exec sleep 60'
	run -0 "$MINIBOX_EXEC" "$NAME" cat /tmp/mark /etc/minibox-release
	assert_line --index 0 "written-inside"
	[ ! -e /tmp/mark ] || [ "$(cat /tmp/mark)" != written-inside ]
}

@test "it sees the container's System V IPC objects" {
	local key
	key=$(($(cksum <<<"$MB_TAG" | cut -d" " -f1) & 0x7fffffff | 1))
	start_container --name "$NAME" --bind "${MB_TREE:-$REPO}/tests/probes:/opt:ro" \
		sh -c "/opt/ipcprobe create shm $key && echo ready && exec sleep 60"
	run -0 "$MINIBOX_EXEC" "$NAME" /opt/ipcprobe find shm "$key"
	assert_output "found"
}

@test "it sees the container's network interfaces: only lo" {
	start_named
	# /proc/net is the reader's own network namespace
	run -0 "$MINIBOX_EXEC" "$NAME" awk -F: 'NF > 1 { gsub(/ /, "", $1); print $1 }' /proc/net/dev
	assert_output "lo"
}

@test "it sees the container's cgroup as the root of its cgroup tree" {
	start_named
	run -0 "$MINIBOX_EXEC" "$NAME" cat /proc/self/cgroup
	assert_cgroup_root
}

@test "the host sees the joined command in the container's namespaces, and minibox-exec in its own PID namespace" {
	start_named
	start_joined "$NAME" sh -c 'echo ready; exec sleep 60'
	assert_same_namespaces "$CT" "$JOINED"
	# setns(CLONE_NEWPID) moved only minibox-exec's children
	assert_equal "$(readlink "/proc/$EXEC_PID/ns/pid")" "$(readlink /proc/self/ns/pid)"
	assert_equal "$(readlink "/proc/$EXEC_PID/ns/pid_for_children")" "$(readlink "/proc/$CT/ns/pid")"
	run -0 grep '^NSpid:' "/proc/$JOINED/status"
	assert_output --regexp "^NSpid:	$JOINED	2\$"
}

@test "the record is published once the container is set up (after pivot_root), and the command runs only after" {
	# before pivot_root, the container's mount namespace still shows the
	# host's files: minibox-exec must not find the record then
	run -0 --separate-stderr "$MINIBOX" -v --name "$NAME" true
	local pivot record exec
	pivot=$(grep -n '^minibox: child: pivot_root' <<<"$stderr" | cut -d: -f1)
	record=$(grep -n "^minibox: write(.*/$NAME, \"pid " <<<"$stderr" | cut -d: -f1)
	exec=$(grep -n '^minibox: child: execvp("true"' <<<"$stderr" | cut -d: -f1)
	[ -n "$pivot" ] && [ -n "$record" ] && [ -n "$exec" ] || fail "a -v line is missing (pivot_root: '$pivot', the record: '$record', execvp: '$exec')"
	[ "$pivot" -lt "$record" ] && [ "$record" -lt "$exec" ] ||
		fail "-v line $pivot is pivot_root, $record the record, $exec execvp: not in that order"
}

@test "--ns-files joins the same namespaces, one /proc/PID/ns file at a time" {
	start_named
	start_joined --ns-files "$NAME" sh -c 'echo ready; exec sleep 60'
	assert_same_namespaces "$CT" "$JOINED"
}

@test "minibox-exec takes a host PID too" {
	start_container --hostname by-pid sh -c 'echo ready; exec sleep 60'
	run -0 "$MINIBOX_EXEC" "$CT_PID" hostname
	assert_output "by-pid"
}

@test "with --init, the command joins beside the init: /proc/1 is minibox's init, /proc/2 the container's command" {
	start_named --init
	run -0 "$MINIBOX_EXEC" "$NAME" sh -c 'echo "$$"; tr "\0" " " </proc/2/cmdline'
	assert_output $'3\nsleep 60 '
	start_joined "$NAME" sh -c 'echo ready; exec sleep 60'
	assert_same_namespaces "$CT" "$JOINED"
}

@test "the command runs as the container's root, with the container's environment" {
	# from chapter 10 on, the caller's variables reach the container through --env only
	local pass=()
	[ -z "${MB_HAS_ENV:-}" ] || pass=(--env CONTAINER_VAR=from-minibox)
	CONTAINER_VAR=from-minibox start_named "${pass[@]}"
	run -0 "$MINIBOX_EXEC" "$NAME" sh -c 'id -u; id -g; echo "${CONTAINER_VAR:-unset}"; echo "$PATH"'
	assert_output $'0\n0\nfrom-minibox\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
}

# /proc/PID/environ is the container's memory: hostile input to a program
# that runs as the host's root. Zeroed, it is a run of empty strings.
# Joined by PID: from chapter 10 on, a name's record holds the environment.
@test "a container that zeroes its environment block gets nothing past minibox-exec: the command's environment is the usual PATH alone" {
	start_container --name "$NAME" --bind "${MB_TREE:-$REPO}/tests/probes:/opt:ro" /opt/escprobe hostile-env
	# counted on the host: bats' $output drops the empty lines at the end
	run -0 bash -c '"$1" "$2" env | od -An -c | tr -s " \n" " "' - "$MINIBOX_EXEC" "$CT_PID"
	assert_output "$(echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" | od -An -c | tr -s " \n" " ")"
}

# Its descriptors of the container (a pidfd, /proc/PID/ns files, the
# cgroup's folder on the host) and the pipe it watches minibox-exec by
# are for the joining only: the command must not inherit one. ls opens
# the folder it lists (3).
@test "the joined command gets no descriptor but stdin, stdout and stderr, by pidfd or --ns-files" {
	start_named
	local mode
	for mode in "" --ns-files; do
		run -0 bash -c 'exec 7</ 8</dev/null; "$0" $1 "$2" ls /proc/self/fd' "$MINIBOX_EXEC" "$mode" "$NAME"
		assert_output "$(printf '0\n1\n2\n3')"
	done
}

@test "the exit status is the command's: its own, 128+N for signal N, 126, 127" {
	start_named
	run -7 "$MINIBOX_EXEC" "$NAME" sh -c 'exit 7'
	run -143 "$MINIBOX_EXEC" "$NAME" sh -c 'kill -TERM $$'
	run -126 "$MINIBOX_EXEC" "$NAME" /etc/minibox-release
	run -127 --separate-stderr "$MINIBOX_EXEC" "$NAME" no-such-command
	assert_error_line "minibox-exec: execvp(no-such-command): No such file or directory"
}

# minibox-exec's list of signals, entry by entry (02's test does it for minibox)
PASSED_ON="INT TERM HUP QUIT USR1 USR2"
said_or_ended() { grep -qx "$1" "$BATS_TEST_TMPDIR/ct.out" || ended "$EXEC_PID"; }

@test "each signal a person sends to minibox-exec (INT, TERM, HUP, QUIT, USR1, USR2) is passed on to the command" {
	start_named
	# one command traps them all; the last one ends it
	local sig traps=
	for sig in $PASSED_ON; do traps+="trap 'echo got $sig' $sig; "; done
	start_joined "$NAME" sh -c "${traps}trap 'echo got USR2; exit 3' USR2; echo ready; while :; do sleep 0.05; done"
	for sig in $PASSED_ON; do
		kill -"$sig" "$EXEC_PID"
		# (one at a time: a second signal of the same kind could merge with the first)
		wait_until said_or_ended "got $sig"
	done
	MB_PID=$EXEC_PID wait_for_minibox
	assert_equal "$STATUS" 3
	run -0 cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output $'ready\ngot INT\ngot TERM\ngot HUP\ngot QUIT\ngot USR1\ngot USR2'
}

@test "the command dies with the container, and minibox-exec says so (137)" {
	start_named
	start_joined "$NAME" sh -c 'echo ready; exec sleep 60'
	kill -KILL "$CT"
	wait_until gone "$JOINED"
	MB_PID=$EXEC_PID wait_for_minibox
	assert_equal "$STATUS" 137
}

@test "after kill -9 of minibox-exec, the command is gone too" {
	start_named
	start_joined "$NAME" sh -c 'echo ready; exec sleep 60'
	kill -KILL "$EXEC_PID"
	wait_until gone "$JOINED"
}

# setresuid() into a container whose root is another host uid clears the
# parent-death signal: the command must ask for it again after.
# bats test_tags=once
@test "as root, into a container whose root is host uid 100000, the command is gone too after kill -9 of minibox-exec" {
	start_binary "$MB_REAL" --name "$NAME" --uid-map 0:100000:65536 --gid-map 0:100000:65536 \
		sh -c 'echo ready; exec sleep 60'
	MINIBOX_EXEC=$MB_EXEC_REAL start_joined "$NAME" sh -c 'echo ready; exec sleep 60'
	run -0 grep -E '^Uid:' "/proc/$JOINED/status"
	assert_output $'Uid:\t100000\t100000\t100000\t100000'
	kill -KILL "$EXEC_PID"
	wait_until gone "$JOINED"
}

# With --name, minibox removes the record on the way out: its own way
# out only, not that of its child (a copy of it until the exec) or of
# --init's PID 1, whose exit would add a line and change the status.
@test "with --name, with and without --init, the status and stderr are the command's: its own status and nothing, 127 and one line" {
	local init
	for init in "" --init; do
		run -3 --separate-stderr "$MINIBOX" --name "$NAME" ${init:+"$init"} sh -c 'exit 3'
		assert_equal "$init stderr: $stderr" "$init stderr: "
		run -127 --separate-stderr "$MINIBOX" --name "$NAME" ${init:+"$init"} no-such-command
		assert_error_line "minibox: execvp(no-such-command): No such file or directory"
		[ ! -e "$(records_dir)/$NAME" ] || fail "$init: the record of $NAME is still there"
	done
}

@test "a name in use is refused: 125 and one line" {
	start_named
	run -125 --separate-stderr "$MINIBOX" --name "$NAME" true
	assert_error_line "minibox: --name $NAME: a container of that name is running ($(records_dir)/$NAME)"
	run -0 "$MINIBOX_EXEC" "$NAME" true # still there
}

@test "the record is there while the container runs, and gone after it ends" {
	local record
	record=$(records_dir)/$NAME
	start_named
	run -0 cat "$record"
	assert_line --index 0 "pid $CT_PID"
	assert_line --index 2 "uid $MB_UID"
	kill -KILL "$CT_PID"
	wait_for_minibox
	[ ! -e "$record" ] || fail "$record is still there"
	run -125 --separate-stderr "$MINIBOX_EXEC" "$NAME" true
	assert_error_line "minibox-exec: $NAME: no container of that name (no $record)"
}

@test "after kill -9 of minibox, its record is stale: refused, then swept by the next minibox, never a live one" {
	local record live=$NAME-live
	record=$(records_dir)/$NAME
	start_container --name "$live" sh -c 'echo ready; exec sleep 60'
	local live_ct=$CT_PID
	start_named
	kill -KILL "$MB_PID"
	wait_until gone "$CT_PID"
	# (another suite's minibox may sweep it first: then it is gone already)
	if [ -e "$record" ]; then
		run -125 --separate-stderr "$MINIBOX_EXEC" "$NAME" true
		# (or swept between the look and minibox-exec: then there is no record)
		[ ! -e "$record" ] && [ "$stderr" = "minibox-exec: $NAME: no container of that name (no $record)" ] ||
			assert_error_line "minibox-exec: $NAME: the container has ended ($record is stale: no minibox holds it)"
	fi
	run -0 "$MINIBOX" true
	[ ! -e "$record" ] || fail "$record was not swept"
	run -0 "$MINIBOX_EXEC" "$live" sh -c 'echo "$$"'
	assert_output 2
	run -0 grep "^pid $live_ct\$" "$(records_dir)/$live"
}

@test "an unknown name, a PID that is no process, a bad TARGET: 125 and one line" {
	run -125 --separate-stderr "$MINIBOX_EXEC" "$NAME-none" true
	assert_error_line "minibox-exec: $NAME-none: no container of that name (no $(records_dir)/$NAME-none)"
	run -125 --separate-stderr "$MINIBOX_EXEC" 999999999 true
	assert_error_line "minibox-exec: 999999999: no such process"
	run -125 --separate-stderr "$MINIBOX_EXEC" ../etc true
	assert_error_line "minibox-exec: ../etc: expected the NAME of a container (minibox --name) or a host PID"
	run -125 --separate-stderr "$MINIBOX_EXEC" 0 true
	assert_error_line "minibox-exec: 0: not a host PID (1 to 999999999), and a NAME is not only digits"
	run -125 --separate-stderr "$MINIBOX_EXEC" 12345678901 true
	assert_error_line "minibox-exec: 12345678901: not a host PID (1 to 999999999), and a NAME is not only digits"
	run -125 --separate-stderr "$MINIBOX_EXEC" "$NAME"
	assert_error_line "minibox-exec: no COMMAND given, see minibox-exec --help"
	run -125 --separate-stderr "$MINIBOX_EXEC"
	assert_error_line "minibox-exec: no TARGET given, see minibox-exec --help"
	run -0 "$MINIBOX_EXEC" --help
	assert_line --index 0 "usage: minibox-exec [OPTIONS] TARGET [--] COMMAND [ARG...]"
}

@test "bad names are refused: 125 and one line" {
	local bad
	for bad in "" ../x .hidden -x "a b" a/b "$(printf 'n%.0s' {1..65})"; do
		run -125 --separate-stderr "$MINIBOX" --name "$bad" true
		assert_error_line "minibox: --name $bad: expected 1 to 64 letters, digits, \"_\", \".\" or \"-\", the first a letter or a digit"
	done
	run -125 --separate-stderr "$MINIBOX" --name 4242 true
	assert_error_line "minibox: --name 4242: only digits, which minibox-exec would take for a PID"
}

@test "a name of 64 characters, the limit, is taken, and minibox-exec joins it" {
	local long=$NAME-
	while [ "${#long}" -lt 64 ]; do long+=x; done
	start_container --name "$long" --hostname long-name sh -c 'echo ready; exec sleep 60'
	run -0 "$MINIBOX_EXEC" "$long" hostname
	assert_output "long-name"
}

# By name, minibox-exec reads the cgroups from the record; by PID, from
# /proc/PID/cgroup: each controller minibox limits, both ways.
# bats test_tags=once
@test "as root, the joined command is in the container's cgroup, by name and by PID, and counts against its limits" {
	# (600 s: in the v2 VM under TCG and load, the container was gone,
	# its sleep 60 had most likely run out, before the test read its cgroups)
	start_binary "$MB_REAL" --name "$NAME" --pids 16 sh -c 'echo ready; exec sleep 600'
	local ct=$CT_PID target ctl
	for target in "$NAME" "$ct"; do
		CT_PID=$ct MINIBOX_EXEC=$MB_EXEC_REAL start_joined "$target" sh -c 'echo ready; exec sleep 600'
		for ctl in memory pids cpu; do
			assert_equal "$target: $ctl $(cgroup_dir_of "$JOINED" "$ctl")" "$target: $ctl $(cgroup_dir_of "$ct" "$ctl")"
		done
	done
	run -0 cat "$(cgroup_dir_of "$ct" pids)/pids.current"
	assert_output 3
	run -0 "$MB_EXEC_REAL" "$NAME" cat /proc/self/cgroup
	for line in "${lines[@]}"; do
		[[ $line == *:/ ]] || fail "not the root: $line"
	done
}

# bats test_tags=once
@test "as root, into a container whose root is host uid 100000, the command is that root" {
	start_binary "$MB_REAL" --name "$NAME" --uid-map 0:100000:65536 --gid-map 0:100000:65536 \
		sh -c 'echo ready; exec sleep 60'
	MINIBOX_EXEC=$MB_EXEC_REAL start_joined "$NAME" sh -c 'id -u; id -g; echo ready; exec sleep 60'
	run -0 cat "$BATS_TEST_TMPDIR/ct.out"
	assert_output $'0\n0\nready'
	run -0 grep -E '^(Uid|Gid):' "/proc/$JOINED/status"
	assert_output $'Uid:\t100000\t100000\t100000\t100000\nGid:\t100000\t100000\t100000\t100000'
}

# bats test_tags=once
@test "a record whose PID names another process now is refused: 125 and one line" {
	# In a /run/minibox of its own: another job's minibox --name sweeps
	# every record nobody holds, and could take this one before it is held.
	# The record names a live PID (this shell's), but not that process's
	# start time; fd 9 holds it, as minibox holds the record of a running
	# container, while minibox-exec reads it.
	mkdir -p /run/minibox
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -125 --separate-stderr unshare --mount sh -c '
		mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
		printf "pid %d\nstart 1\nuid 0\n" "$1" >"/run/minibox/$2"
		exec 9<"/run/minibox/$2"
		flock --exclusive 9
		"$3" "$2" true 9<&-' sh "$$" "$NAME" "$MB_EXEC_REAL"
	assert_error_line "minibox-exec: $NAME: the container has ended (process $$ is another one now)"
}

# A pin_target() that opens no pidfd (what its lab region left empty does),
# in a copy of minibox-exec built again from its own source: the error says
# what is missing, not that the container has gone (it is running).
# bats test_tags=once
@test "a minibox-exec whose pin_target() opens no pidfd says so: 125, the line and a hint, not that the container is gone" {
	local copy=$BATS_TEST_TMPDIR/unpinned pin='^static void pin_target(struct target \*t)$'
	[ -f "$MB_EXEC_REAL.c" ] || skip "no minibox-exec.c beside $MB_EXEC_REAL to break on purpose"
	mkdir "$copy" && cp "$(dirname "$MB_EXEC_REAL")"/*.[ch] "$copy/"
	grep -q "$pin" "$copy/minibox-exec.c" ||
		fail "no 'static void pin_target(struct target *t)' in minibox-exec.c: the slip goes into it"
	sed -i "/$pin/{n;a\\
	return; /* left empty */
}" "$copy/minibox-exec.c"
	# shellcheck disable=SC2046 # the libraries, as words
	cc -std=gnu11 -w -o "$copy/minibox-exec" "$copy/minibox-exec.c" $(libs_of "$copy/minibox-exec.c")
	start_binary "$MB_REAL" --name "$NAME" sh -c 'echo ready; exec sleep 60'
	run -125 --separate-stderr "$copy/minibox-exec" "$NAME" true
	assert_equal "$stderr" "minibox-exec: $NAME: process $CT_PID was never pinned: no pidfd
hint: pin_target() opens it with pidfd_open(2)"
}

# bats test_tags=once
@test "the container holds no descriptor of its record, even with --init" {
	start_binary "$MB_REAL" --name "$NAME" --init sh -c 'echo ready; exec sleep 60'
	[ -e "/run/minibox/$NAME" ]
	run -0 find "/proc/$CT_PID/fd" -lname "/run/minibox/*"
	assert_output ""
}

# An ordinary user's records live in $XDG_RUNTIME_DIR/minibox (or
# /tmp/minibox-UID): a folder that someone else owns, or may write, could
# hold records of their choosing, which minibox-exec would trust.
# bats test_tags=once
@test "an ordinary user's records folder that others may write, or that is not the user's, is refused: 125 and one line" {
	local xdg
	xdg=$(mktemp -d /tmp/minibox-test.XXXXXX)
	echo "$xdg" >>"$BATS_TEST_TMPDIR/user-dirs"
	chown "$MB_USER_UID:$MB_USER_GID" "$xdg"
	chmod 0700 "$xdg"
	mkdir -m 0777 "$xdg/minibox" # -m is the mode itself, not masked by the umask
	chown "$MB_USER_UID:$MB_USER_GID" "$xdg/minibox"
	# minibox will not write there, minibox-exec will not read a record from there
	local mode
	for mode in others-may-write root-owns; do
		if [ "$mode" = root-owns ]; then
			chown 0:0 "$xdg/minibox"
			chmod 0755 "$xdg/minibox"
		fi
		run -125 --separate-stderr env XDG_RUNTIME_DIR="$xdg" "$REPO/tests/as-user" --name "$NAME" true
		assert_error_line "minibox: $xdg/minibox: not a folder of this user's alone, refusing to keep records in it"
		[ -z "$(ls -A "$xdg/minibox")" ] || fail "$mode: a record was written: $(ls -A "$xdg/minibox")"
		echo "pid $$" >"$xdg/minibox/$NAME" # a planted record
		run -125 --separate-stderr env XDG_RUNTIME_DIR="$xdg" "$REPO/tests/as-user-exec" "$NAME" true
		assert_error_line "minibox-exec: $xdg/minibox: not a folder of this user's alone, refusing to read records in it"
		rm "$xdg/minibox/$NAME"
	done
}

# bats test_tags=once
@test "root may join an ordinary user's container by its PID" {
	start_binary "$REPO/tests/as-user" --hostname users-box sh -c 'echo ready; exec sleep 60'
	run -0 "$MB_EXEC_REAL" "$CT_PID" sh -c 'hostname; id -u'
	assert_output $'users-box\n0'
}

# minibox makes the record empty, and holds it, before the container is set
# up; it writes the PID once it is.
# bats test_tags=once
@test "a container still starting (its record held, still empty) is refused: 125 and one line" {
	# a /run/minibox of its own, as for a record whose PID names another process
	mkdir -p /run/minibox
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -125 --separate-stderr unshare --mount sh -c '
		mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
		: >"/run/minibox/$1"
		exec 9<"/run/minibox/$1"
		flock --exclusive 9
		"$2" "$1" true 9<&-' sh "$NAME" "$MB_EXEC_REAL"
	assert_error_line "minibox-exec: $NAME: the container is still starting, try again"
}

# bats test_tags=once
@test "an ordinary user may not join root's container: 125 and one line" {
	start_binary "$MB_REAL" --name "$NAME" sh -c 'echo ready; exec sleep 60'
	run -125 --separate-stderr "$REPO/tests/as-user-exec" "$CT_PID" true
	assert_error_line "minibox-exec: $CT_PID: belongs to uid 0; only its owner or root may join it (you are uid ${MB_USER_UID:-65534})"
	run -125 --separate-stderr "$REPO/tests/as-user-exec" "$NAME" true
	assert_stderr_regex "^minibox-exec: $NAME: no container of that name \(.*\)\$"
}

# bats test_tags=once
@test "-v narrates pidfd_open, setns and the extra fork; minibox-exec keeps its own PID" {
	start_binary "$MB_REAL" --name "$NAME" sh -c 'echo ready; exec sleep 60'
	run -0 --separate-stderr "$MB_EXEC_REAL" -v "$NAME" true
	assert_stderr_regex "^minibox-exec: pidfd_open\($CT_PID, 0\) = [0-9]+\$"
	# the facts: the namespaces joined at once, through a descriptor
	assert_stderr_regex '^minibox-exec: [a-z_]+\([0-9]+, CLONE_NEWUSER\|CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWNET\|CLONE_NEWPID\) = 0$'
	# on cgroup v2 the command is born in the container's cgroup; v1 has no such flag
	local flags=0
	cgroup_v2_host && flags=CLONE_INTO_CGROUP
	assert_stderr_regex "^minibox-exec: clone3\\(flags=$flags, exit_signal=SIGCHLD\\) = [0-9]+ \\(host pid\\)\$"
	assert_stderr_regex '^minibox-exec: child: getpid\(\) = 2: its PID in the container$'
	local before after
	before=$(sed -n 's/^minibox-exec: before setns(): NSpid:.//p' <<<"$stderr")
	after=$(sed -n 's/^minibox-exec: after setns(), still: NSpid:.//p' <<<"$stderr")
	[ -n "$before" ] && assert_equal "$after" "$before"
}

# ---- a mutation hunt in 08-10: what its survivors showed untested

# minibox-exec compares the start time with the process's own: a record
# without the real one would let a reused PID pass for the container.
@test "the record gives the start time of the container's PID 1: field 22 of its /proc/PID/stat" {
	start_named
	local start
	# after "(comm) ", the fields start at 3 (the state): field 22 is the 20th
	start=$(sed 's/^.*) //' "/proc/$CT_PID/stat" | cut -d' ' -f20)
	run -0 grep '^start ' "$(records_dir)/$NAME"
	assert_output "start $start"
}

# bats test_tags=once
@test "a host PID in no namespace of its own is no container: 125 and one line" {
	# this shell: the host's namespaces, root's process, like the test's user
	run -125 --separate-stderr "$MB_EXEC_REAL" "$$" true
	assert_error_line "minibox-exec: $$: process $$ is in no namespace of its own: not a container"
}

@test "TARGET's limits, just inside and just outside: 9 digits are a PID, 10 are not; a NAME of 64 characters is looked up, one of 65 is refused" {
	run -125 --separate-stderr "$MINIBOX_EXEC" 999999999 true
	assert_error_line "minibox-exec: 999999999: no such process"
	run -125 --separate-stderr "$MINIBOX_EXEC" 1000000000 true
	assert_error_line "minibox-exec: 1000000000: not a host PID (1 to 999999999), and a NAME is not only digits"
	local long=$NAME-none-
	while [ "${#long}" -lt 64 ]; do long+=x; done
	run -125 --separate-stderr "$MINIBOX_EXEC" "$long" true
	assert_error_line "minibox-exec: $long: no container of that name (no $(records_dir)/$long)"
	run -125 --separate-stderr "$MINIBOX_EXEC" "${long}x" true
	assert_error_line "minibox-exec: ${long}x: expected the NAME of a container (minibox --name) or a host PID"
}

# In a /run/minibox of its own, as the tests of planted records: names this
# short could meet another suite's.
# bats test_tags=once
@test "a name of one character, or one that starts with a digit, is taken: 0 and nothing on stderr" {
	local name
	for name in x 7x 0-box; do
		# shellcheck disable=SC2016 # expanded by the inner shell
		run --separate-stderr unshare --mount sh -c '
			mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
			"$1" --name "$2" true' sh "$MB_REAL" "$name"
		assert_equal "$name: $status $stderr" "$name: 0 "
	done
}

# A link in the records' folder could make one name open another's record,
# or a file that is no record at all.
# bats test_tags=once
@test "a record that is a symbolic link is not followed: 125 and one line" {
	mkdir -p /run/minibox
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -125 --separate-stderr unshare --mount sh -c '
		mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
		printf "pid %d\nstart 1\nuid 0\n" "$1" >/run/minibox/elsewhere
		ln -s elsewhere "/run/minibox/$2"
		exec 9</run/minibox/elsewhere
		flock --exclusive 9
		"$3" "$2" true 9<&-' sh "$$" "$NAME" "$MB_EXEC_REAL"
	assert_error_line "minibox-exec: open(/run/minibox/$NAME): Too many levels of symbolic links"
}

# $XDG_RUNTIME_DIR comes from the environment: after su or sudo -u it may
# still be another user's folder, and it may be relative (to whatever the
# working directory is). -v says where minibox creates the record.
# bats test_tags=once
@test "an ordinary user's XDG_RUNTIME_DIR that is not the user's own folder, or not an absolute path, is passed over: the records go to /tmp/minibox-UID" {
	local xdg dir env
	xdg=$(mktemp -d /tmp/minibox-test.XXXXXX) # root's
	echo "$xdg" >>"$BATS_TEST_TMPDIR/user-dirs"
	chmod 0755 "$xdg"
	dir=$(MB_UID=$MB_USER_UID MB_GID=$MB_USER_GID user_dir) # the user's: a relative "." names it
	for env in "$xdg" .; do
		run -0 --separate-stderr sh -c 'cd "$1" && XDG_RUNTIME_DIR="$2" "$3" -v --rootfs "$4" --name "$5" true' sh \
			"$dir" "$env" "$REPO/tests/as-user" "$MB_USER_TREE/rootfs" "$NAME"
		assert_stderr_regex "^minibox: open\(/tmp/minibox-$MB_USER_UID/$NAME, O_CREAT\|O_EXCL\) = [0-9]+, "
	done
	[ ! -e "$xdg/minibox" ] && [ ! -e "$dir/minibox" ] || fail "a records folder was made in $xdg or $dir"
}

# bats test_tags=once
@test "an ordinary user's records folder is made the user's alone: mode 700" {
	local xdg
	xdg=$(mktemp -d /tmp/minibox-test.XXXXXX)
	echo "$xdg" >>"$BATS_TEST_TMPDIR/user-dirs"
	chown "$MB_USER_UID:$MB_USER_GID" "$xdg"
	chmod 0700 "$xdg"
	run -0 --separate-stderr sh -c 'umask 022 && XDG_RUNTIME_DIR="$1" "$2" --name "$3" true' sh "$xdg" "$REPO/tests/as-user" "$NAME"
	run -0 stat -c '%a %u' "$xdg/minibox"
	assert_output "700 $MB_USER_UID"
}

# The child dies before it says it is set up: minibox still publishes and
# lets it go, into a pipe nobody reads any more (EPIPE, not an error).
@test "with --name, a container that fails to set up gives 125 and the child's one line, and leaves no record" {
	run -125 --separate-stderr "$MINIBOX" --name "$NAME" --bind "$(user_dir):/etc/minibox-release" true
	assert_error_line "minibox: /etc/minibox-release in the rootfs: a symlink or not a folder; minibox follows no link there (give the path it points to)"
	[ ! -e "$(records_dir)/$NAME" ] || fail "the record of $NAME is still there"
}

PROBE=$REPO/tests/probes/escprobe

# On a hybrid host the tests above run the v1 path. A command born outside
# the container's cgroup (a fork(), then nothing: v2 has no cgroup.procs
# to write, as v1 has) would pass them all.
# bats test_tags=once
@test "on a hybrid host, the v2 path: the joined command is born in the container's cgroup (CLONE_INTO_CGROUP), by name and by PID, and sees it as its root" {
	make_v2_view
	start_binary "${V2_VIEW[@]}" "$MB_REAL" --name "$NAME" sh -c 'echo ready; exec sleep 60'
	local ct=$CT_PID mb=$MB_PID cgroup target
	cgroup=$(v2_cgroup_of "$ct")
	[[ $cgroup == /minibox/minibox-* ]] || fail "the container is not in a minibox-ID cgroup of the v2 tree: 0::$cgroup"
	run -0 --separate-stderr "${V2_VIEW[@]}" "$MB_EXEC_REAL" -v "$NAME" true
	assert_stderr_regex '^minibox-exec: clone3\(flags=CLONE_INTO_CGROUP, exit_signal=SIGCHLD\) = [0-9]+ \(host pid\)$'
	for target in "$NAME" "$ct"; do
		start_binary "${V2_VIEW[@]}" "$MB_EXEC_REAL" "$target" sh -c 'grep "^0::" /proc/self/cgroup; echo ready; exec sleep 60'
		assert_equal "$target: 0::$(v2_cgroup_of "$CT_PID")" "$target: 0::$cgroup"
		run -0 cat "$BATS_TEST_TMPDIR/ct.out"
		assert_equal "$target: $output" "$target: 0::/"$'\n'ready
	done
	kill -KILL "$ct"
	MB_PID=$mb wait_for_minibox
	[ ! -e "/sys/fs/cgroup/unified$cgroup" ] || fail "left behind: /sys/fs/cgroup/unified$cgroup"
}

# Records and parallel sweeps, each race made to happen at its moment: the
# probe holds minibox's open(2) of the record (fanotify) while it plays the
# other minibox. In a /run/minibox of the test's own.
# bats test_tags=once
@test "a name whose record another minibox's sweep holds for a moment is looked at again, then taken: 0, not refused" {
	mkdir -p /run/minibox
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 --separate-stderr unshare --mount sh -c '
		mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
		"$1" record-held "/run/minibox/$2" "$3" --name "$2" true' sh "$PROBE" "$NAME" "$MB_REAL"
	assert_equal "stderr: $stderr" "stderr: "
}

# bats test_tags=once
@test "a sweep removes only the stale record it locked: one that took the name meanwhile, held, stays" {
	mkdir -p /run/minibox
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 unshare --mount sh -c '
		mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
		"$1" record-replaced "/run/minibox/$2" "$3" true' sh "$PROBE" "$NAME" "$MB_REAL"
	assert_output "/run/minibox/$NAME: still there"
}

# bats test_tags=once
@test "a record that another minibox's sweep removes between its creation and its lock is made again: 0, nothing on stderr, none left" {
	mkdir -p /run/minibox
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 --separate-stderr unshare --mount sh -c '
		mount -t tmpfs -o mode=755 minibox-test /run/minibox || exit 1
		"$1" record-swept /run/minibox "$3" --name "$2" true && ls -A /run/minibox' sh "$PROBE" "$NAME" "$MB_REAL"
	assert_equal "stderr: $stderr" "stderr: "
	assert_output ""
}

# minibox-exec's child watches a pipe for the hang-up that says minibox-exec
# died before the child asked to die with it. A copy of the write end in the
# child itself would keep that hang-up from ever coming. The probe looks at
# the child's descriptors as it execs the command (fanotify holds the exec).
# bats test_tags=once
@test "minibox-exec's child holds only the read end of the pipe it watches minibox-exec by, up to its exec" {
	local dir
	dir=$(user_dir)
	cp "$REPO/rootfs/bin/busybox" "$dir/true"
	start_binary "$MB_REAL" --name "$NAME" --bind "$dir:/opt:ro" sh -c 'echo ready; exec sleep 60'
	run -0 "$PROBE" exec-fds "$dir/true" "$MB_EXEC_REAL" "$NAME" /opt/true </dev/null
	assert_output "exec: no pipe held at both ends"
}

@test "the host is left clean: no process, mount, interface, cgroup or record" {
	# teardown kills minibox with SIGKILL: the next minibox sweeps its record
	run -0 "$MINIBOX" true
	run -0 find "$(records_dir)" -mindepth 1 -name "mbt-$MB_TAG-*"
	assert_output ""
	assert_host_clean
}
