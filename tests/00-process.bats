#!/usr/bin/env bats
# Chapter 00-process: minibox runs a command as its child and passes its exit
# status on. These properties hold for every chapter's binary.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

@test "the command's output reaches the caller" {
	run -0 "$MINIBOX" echo hello
	assert_output "hello"
}

@test "the command's arguments reach it unchanged, options after COMMAND included" {
	run -0 "$MINIBOX" printf '%s|' -v 'two words' --help
	assert_output "-v|two words|--help|"
}

@test "the command reads the caller's stdin" {
	run -0 bash -c 'echo "from stdin" | "$1" cat' _ "$MINIBOX"
	assert_output "from stdin"
}

@test "the command's exit status is minibox's exit status" {
	run -3 "$MINIBOX" sh -c 'exit 3'
}

@test "a command killed by signal 9 gives 128+9 = 137" {
	start_container sh -c 'echo ready; exec sleep 60'
	kill -KILL "$CT_PID"
	wait_for_minibox
	assert_equal "$STATUS" 137
}

@test "a command that does not exist gives 127 and one line" {
	run -127 --separate-stderr "$MINIBOX" no-such-command
	assert_error_line "minibox: execvp(no-such-command): No such file or directory"
}

@test "a command that does not exist gives 127 also when stderr cannot be written (a full disk, a closed descriptor)" {
	run -127 bash -c '"$1" no-such-command 2>/dev/full' - "$MINIBOX"
	run -127 bash -c '"$1" no-such-command 2>&-' - "$MINIBOX"
}

@test "a command that cannot be run gives 126 and one line" {
	run -126 --separate-stderr "$MINIBOX" /etc/passwd
	assert_error_line "minibox: execvp(/etc/passwd): Permission denied"
}

@test "an unknown option gives 125 and one line" {
	run -125 --separate-stderr "$MINIBOX" --no-such-option true
	assert_error_line "minibox: --no-such-option: unknown option, see minibox --help"
}

@test "no command gives 125 and one line" {
	run -125 --separate-stderr "$MINIBOX"
	assert_error_line "minibox: no COMMAND given, see minibox --help"
}

@test "--help prints the usage and exits 0" {
	run -0 "$MINIBOX" --help
	assert_line --index 0 "usage: minibox [OPTIONS] [--] COMMAND [ARG...]"
	assert_line --partial -- "--verbose"
}

@test "-v narrates clone3() with the child's host pid, then execvp() and waitpid()" {
	run -0 --separate-stderr "$MINIBOX" -v true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|0]+, exit_signal=SIGCHLD\) = [0-9]+ \(host pid\)$'
	assert_stderr_regex '^minibox: child: execvp\("true", \.\.\.\)$'
	assert_stderr_regex '^minibox: waitpid\([0-9]+\): exited with 0$'
}

@test "--timings stamps the -v lines with the milliseconds since minibox started" {
	run -0 --separate-stderr "$MINIBOX" --timings true
	assert_stderr_regex '^minibox: +[0-9]+\.[0-9]{3} ms  clone3\(flags=[A-Z_|0]+, exit_signal=SIGCHLD\) = [0-9]+ \(host pid\)$'
	assert_stderr_regex '^minibox: +[0-9]+\.[0-9]{3} ms  child: execvp\("true", \.\.\.\)$'
	assert_stderr_regex '^minibox: +[0-9]+\.[0-9]{3} ms  waitpid\([0-9]+\): exited with 0$'
	# the clock only goes forward: minibox waits for the child before it narrates its end
	run awk '/^minibox: / { if ($2 < at) bad = 1; at = $2 } END { exit bad }' <<<"$stderr"
	assert_success
}

@test "without -v minibox prints nothing of its own" {
	run -0 --separate-stderr "$MINIBOX" true
	assert_output ""
	assert_error_line ""
}

@test "killing minibox with SIGKILL kills the command too" {
	start_container sh -c 'echo ready; exec sleep 60'
	kill -KILL "$MB_PID"
	wait_until gone "$CT_PID"
}

@test "the command gets no descriptor but stdin, stdout and stderr, whatever the caller had open" {
	# the caller holds / and /dev/null open; ls opens the folder it lists (3)
	run -0 bash -c 'exec 7</ 8</dev/null; "$0" ls /proc/self/fd' "$MINIBOX"
	assert_output "$(printf '0\n1\n2\n3')"
}

@test "a caller that ignores SIGCHLD still gets the command's exit status" {
	# minibox would wait for a SIGCHLD that never comes: give up in time
	run -3 timeout "$PATIENCE" env --ignore-signal=CHLD "$MINIBOX" sh -c 'exit 3'
}

@test "the command starts with no signal ignored or blocked, whatever the caller left" {
	run -0 env --ignore-signal=INT,QUIT --block-signal=TERM "$MINIBOX" grep -E '^Sig(Blk|Ign)' /proc/self/status
	# the standard signals, 1 to 31: the low 31 bits of each mask (32 and up
	# are glibc's own, and a sanitizer's runtime may set them)
	assert_equal "${#lines[@]}" 2
	assert_equal "$((0x${lines[0]##*[[:space:]]} & 0x7fffffff))" 0
	assert_equal "$((0x${lines[1]##*[[:space:]]} & 0x7fffffff))" 0
}

@test "minibox ignores SIGPIPE: a child that dies before go cannot end it without a word" {
	start_container sh -c 'echo ready; exec sleep 30'
	local ignored
	ignored=$(awk '/^SigIgn:/ { print $2 }' "/proc/$MB_PID/status")
	# SIGPIPE is signal 13: bit 12 of the mask
	assert_equal "$(((0x$ignored >> 12) & 1))" 1
}

@test "-v narrates a non-zero exit, and the signal that killed the command" {
	run -3 --separate-stderr "$MINIBOX" -v sh -c 'exit 3'
	assert_stderr_regex '^minibox: waitpid\([0-9]+\): exited with 3$'
	start_container -v sh -c 'echo ready; exec sleep 60'
	kill -KILL "$CT_PID"
	wait_for_minibox
	assert_equal "$STATUS" 137
	run grep -E '^minibox: waitpid\([0-9]+\): killed by signal 9 \(Killed\)$' "$BATS_TEST_TMPDIR/ct.err"
	assert_success
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
