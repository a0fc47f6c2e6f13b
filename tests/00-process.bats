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

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
