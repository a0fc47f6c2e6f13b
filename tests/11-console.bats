#!/usr/bin/env bats
# Chapter 11-console: the command's stdin, stdout and stderr are pipes that
# minibox relays, never the caller's descriptors; with --tty, a terminal of
# the container's own (a pty pair of its devpts instance), in raw mode on
# the caller's side, with the window size passed on and the caller's
# terminal put back on every way out. minibox-exec --tty likewise.
# The terminal tests drive a pty of the test's own: tests/probes/ptydrive
# (STEPs: send, expect, within, resize...; it prints the exit status and
# whether the terminal's settings came back unchanged).

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

NAME=mbt-$MB_TAG-console-$BATS_TEST_NUMBER
DRIVE=$REPO/tests/probes/ptydrive
PROBES=(--bind "${MB_TREE:-$REPO}/tests/probes:/opt:ro")
# How the driver ends when all went well and the terminal came back as it was.
CLEAN=$'stty: same\nflags: same\ninput: (nothing)'

# ------------------------------------------------------------- the streams

@test "the command's stdin, stdout and stderr are pipes, none of the caller's descriptors" {
	run -0 "$MINIBOX" sh -c 'for f in 0 1 2; do readlink /proc/self/fd/$f; done 2>&1' </dev/null
	assert_line --index 0 --regexp '^pipe:\[[0-9]+\]$'
	assert_line --index 1 --regexp '^pipe:\[[0-9]+\]$'
	assert_line --index 2 --regexp '^pipe:\[[0-9]+\]$'
}

@test "escape: chmod 4755 /proc/self/fd/1 inside leaves the host file the output goes to as it was" {
	local dir
	dir=$(user_dir)
	install -m 644 -o "$MB_UID" -g "$MB_GID" /dev/null "$dir/out"
	"$MINIBOX" sh -c 'chmod 4755 /proc/self/fd/1 2>/dev/null; echo written' >"$dir/out"
	run stat -c %a "$dir/out"
	assert_output 644
	run cat "$dir/out"
	assert_output written
}

@test "escape: an append-only log on stdout cannot be truncated from inside" {
	local dir
	dir=$(user_dir)
	echo "the host's line" >"$dir/log"
	chown "$MB_UID:$MB_GID" "$dir/log"
	"$MINIBOX" sh -c ': >/proc/self/fd/1; echo new' >>"$dir/log"
	run cat "$dir/log"
	assert_output $'the host\'s line\nnew'
}

@test "escape: a folder as stdin gives nothing below it" {
	local dir
	dir=$(user_dir)
	echo the-secret-words >"$dir/secret"
	run "$MINIBOX" sh -c 'cat /proc/self/fd/0/secret; ls /proc/self/fd/0/ 2>&1; readlink /proc/self/fd/0' <"$dir"
	refute_output --partial the-secret-words
	assert_line --regexp '^pipe:\[[0-9]+\]$'
}

@test "stdout and stderr stay apart, end of file passes, the exit status too" {
	run -7 --separate-stderr "$MINIBOX" sh -c 'cat; echo to-stderr >&2; exit 7' <<<"from stdin"
	assert_output "from stdin"
	[ "$stderr" = to-stderr ]
}

@test "16 MB through stdin and back arrive byte for byte (binary)" {
	local dir
	dir=$(user_dir)
	head -c 16M /dev/urandom >"$dir/data"
	"$MINIBOX" cat <"$dir/data" >"$dir/back"
	cmp "$dir/data" "$dir/back"
}

# A reader slower than the command: when the command ends, minibox may
# still hold bytes it took from it, for a reader that is not ready yet. Here
# that is so every time: the reader reads nothing until the command has
# written its 100000 bytes and ended. A pipe holds 65536: the reader's pipe
# is full, and minibox holds the rest.
@test "a slow reader gets every byte, also those still in the relay when the command ends" {
	mkfifo "$BATS_TEST_TMPDIR/said"
	run -0 bash -c '"$1" sh -c "head -c 100000 /dev/zero; echo written >&2" 2>"$2" </dev/null |
		python3 -c "
import sys, time
open(sys.argv[1]).readline()  # the command wrote every byte
time.sleep(0.5)               # and has ended
n = 0
while True:
    b = sys.stdin.buffer.read1(65536)
    if not b:
        break
    n += len(b)
print(n)" "$2"' _ "$MINIBOX" "$BATS_TEST_TMPDIR/said"
	assert_output 100000
}

@test "minibox ... | head -1 ends promptly: the command's next write finds the reader gone" {
	local start=${EPOCHREALTIME/./}
	run -0 bash -c '"$@" 2>/dev/null | head -1' _ "$MINIBOX" yes
	assert_output y
	[ $((${EPOCHREALTIME/./} - start)) -lt 5000000 ]
}

@test "without --tty, a terminal on stdin gets one line that says how to get one, and the command has none" {
	run -0 "$DRIVE" -p -- "$MINIBOX" sh -c 'tty; echo "<$?>"'
	assert_line --partial "minibox: stdin is a terminal, the command gets pipes: --tty (-t) gives it a terminal of its own"
	assert_line --partial "not a tty"
	assert_line --partial "<1>"
	assert_line "exit 0"
}

# --------------------------------------------------------------- --tty

@test "--tty: tty prints /dev/pts/0, /dev/pts holds only the container's, 0 1 2 are that terminal" {
	run -0 "$DRIVE" 'expect:# ' 'send:echo "<$(tty)> <$(echo $(ls /dev/pts))>"\r' 'expect:</dev/pts/0> <0 ptmx>' \
		'send:echo "<$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)>"\r' \
		'expect:</dev/pts/0 /dev/pts/0 /dev/pts/0>' 'send:exit\r' -- "$MINIBOX" -t sh
	assert_output "exit 0"$'\n'"$CLEAN"
}

@test "--tty: stty size shows the terminal's size, and the new one after a resize (SIGWINCH)" {
	run -0 "$DRIVE" -s 30x100 'expect:# ' 'send:echo "<$(stty size)>"\r' 'expect:<30 100>' \
		'resize:40:120' 'sleep:200' 'send:echo "<$(stty size)>"\r' 'expect:<40 120>' 'send:exit\r' -- "$MINIBOX" -t sh
	assert_output "exit 0"$'\n'"$CLEAN"
}

@test "--tty: job control is on: sleep 30 & then jobs lists it" {
	local dir
	dir=$(user_dir)
	run -0 "$DRIVE" -o "$dir/out" 'expect:# ' 'send:sleep 30 &\r' 'send:jobs\r' 'expect:Running' \
		'send:kill %1; exit\r' -- "$MINIBOX" -t sh
	assert_output "exit 0"$'\n'"$CLEAN"
	run grep -c "job control turned off" "$dir/out"
	assert_output 0
}

@test "--tty: Ctrl-C ends a foreground sleep, and the shell answers within a second" {
	run -0 "$DRIVE" 'expect:# ' 'send:sleep 30\r' 'sleep:300' 'send:\x03' \
		'send:echo "<$((6 * 7))>"\r' 'within:1000:<42>' 'send:exit\r' -- "$MINIBOX" -t sh
	assert_output "exit 0"$'\n'"$CLEAN"
}

@test "--tty: Ctrl-D ends the shell, and minibox returns its status" {
	run -0 "$DRIVE" 'expect:# ' 'send:(exit 3)\r' 'expect:# ' 'send:\x04' -- "$MINIBOX" -t sh
	assert_output "exit 3"$'\n'"$CLEAN"
}

@test "--tty: binary bytes pass the relay both ways byte for byte (stty raw inside)" {
	local dir i
	dir=$(user_dir)
	for i in $(seq 0 255); do printf "\\$(printf %o "$i")"; done >"$dir/bytes"
	cat "$dir/bytes" "$dir/bytes" "$dir/bytes" "$dir/bytes" >"$dir/bin"
	chmod 644 "$dir/bin"
	run -0 "$DRIVE" 'file:'"$dir/bin" -- "$MINIBOX" -t --bind "$dir:/mnt:ro" sh -c 'stty raw -echo; cat /mnt/bin'
	assert_output "exit 0"$'\n'"$CLEAN"
	run -0 "$DRIVE" 'expect:ready' 'sendfile:'"$dir/bin" 'expect:<'"$(md5sum <"$dir/bin" | cut -c1-32)"'>' -- \
		"$MINIBOX" -t sh -c 'stty raw -echo; echo ready; head -c 1024 >/tmp/got; echo "<$(md5sum </tmp/got | cut -c1-32)>"'
	assert_output "exit 0"$'\n'"$CLEAN"
}

@test "--tty: the caller's terminal comes back as it was when the command is killed, fails, or minibox gets SIGTERM" {
	run -0 "$DRIVE" -- "$MINIBOX" -t --init sh -c 'kill -9 $$'
	assert_output "exit 137"$'\n'"$CLEAN"
	run -0 "$DRIVE" -- "$MINIBOX" -t no-such-command
	assert_output --partial "exit 127"$'\n'"$CLEAN"
	run -0 "$DRIVE" 'expect:ready' 'kill:15' -- "$MINIBOX" -t sh -c 'trap "exit 5" TERM; echo ready; sleep 10 & wait'
	assert_output "exit 5"$'\n'"$CLEAN"
}

@test "--tty: TIOCSTI from inside, even with --privileged, types into the container's terminal only" {
	[ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 1 ] ||
		skip "this kernel refuses TIOCSTI to everyone (dev.tty.legacy_tiocsti = 0)"
	run -0 "$DRIVE" -p 'expect:<echo pwned>' -- "$MINIBOX" -t --privileged "${PROBES[@]}" \
		sh -c '/opt/escprobe type "echo pwned
"; read -r line; echo "<$line>"'
	assert_line --partial "TIOCSTI: typed"
	assert_line "exit 0"
	assert_line "input: (nothing)"
	run -0 "$DRIVE" -p -- "$MINIBOX" -t "${PROBES[@]}" /opt/escprobe type 'echo pwned'
	assert_line --partial "TIOCSTI: Operation not permitted"
	assert_line "exit 1"
	assert_line "input: (nothing)"
}

@test "minibox-exec --tty gets /dev/pts/1 of the same devpts instance; without, pipes" {
	local dir main
	dir=$(user_dir)
	"$DRIVE" 'expect:ready' -- "$MINIBOX" --name "$NAME" -t sh -c 'trap "exit 0" TERM; echo ready; sleep 30 & wait' \
		>"$dir/main" 3>&- &
	main=$!
	wait_until "$MINIBOX_EXEC" "$NAME" true
	run -0 "$DRIVE" 'expect:</dev/pts/1> <0 1 ptmx>' -- \
		"$MINIBOX_EXEC" -t "$NAME" sh -c 'echo "<$(tty)> <$(echo $(ls /dev/pts))>"'
	assert_output "exit 0"$'\n'"$CLEAN"
	run -0 "$MINIBOX_EXEC" "$NAME" readlink /proc/self/fd/1
	assert_output --regexp '^pipe:\[[0-9]+\]$'
	# (kill's own status is no matter: PID 1 may end first, and the
	# kernel then kills every other process of the container, kill too)
	run "$MINIBOX_EXEC" "$NAME" kill 1
	wait "$main"
	run cat "$dir/main"
	assert_output "exit 0"$'\n'"$CLEAN"
}

@test "-v narrates the pipes, the pty pair, the master's way out, raw mode and its undoing" {
	run -0 --separate-stderr "$MINIBOX" -v true
	assert_stderr_regex '^minibox: pipe2\(\) x3: the command'
	assert_stderr_regex '^minibox: child: dup2\(\) the pipes onto 0, 1, 2'
	assert_stderr_regex '^minibox: signalfd\(SIGCHLD, the passed-on signals, SIGWINCH\) = [0-9]+: the relay waits on it, and splices through pipes of its own$'
	run -0 "$DRIVE" -p -- "$MINIBOX" -v -t true
	assert_line --regexp '^minibox: child: open\(/dev/ptmx\) = [0-9]+: /dev/pts/0, unlocked \(TIOCSPTLCK\)'
	assert_line --regexp '^minibox: recvmsg\(SCM_RIGHTS\) = [0-9]+: the master'
	assert_line --regexp 'ioctl\(TIOCSCTTY\): /dev/pts/0 is our controlling terminal'
	assert_line --regexp 'minibox: tcsetattr\(stdin, TCSANOW, raw\) = 0'
	assert_line --regexp 'minibox: tcsetattr\(stdin, TCSADRAIN, as it was\) = 0'
}
