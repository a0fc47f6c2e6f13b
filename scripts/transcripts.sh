#!/usr/bin/env bash
# Run the transcripts in the READMEs and compare what they show with what
# the code prints now, so the prose never drifts from the code.
#
# A transcript is a fenced block marked `console`. Each line that starts with
# "$ " is a command, typed at the top of the repository; the lines below it,
# up to the next command, are what it prints (stdout and stderr together).
# "$ sudo CMD" runs CMD as root; "$ CMD" runs it as the ordinary user: the
# person who typed sudo, else uid 65534 working from a copy of what it needs
# (tests/user.bash). In the expected output, "..." stands for any text: a
# part of a line (a PID, an inode number) or whole lines.
#
# Each command runs in a process group of its own with a time limit
# (MB_STEP_TIMEOUT seconds, default 30); whatever it left running (a server
# in the background) is killed by that group's id when it ends.
#
#   scripts/transcripts.sh [README...]     (default: every chapter's README)
# Prints one TAP line per command. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

failures=0
step_timeout=${MB_STEP_TIMEOUT:-30}
# shellcheck source=tests/user.bash disable=SC1091
source tests/user.bash
mb_choose_user "$PWD" || exit 1
out=$(mktemp)
# Chapter 12's images are unpacked into a store of the transcripts' own,
# root's and the ordinary user's (MINIBOX_STORE), never the reader's.
stores=$(mktemp -d /tmp/minibox-transcripts.XXXXXX)
chmod 755 "$stores"
mkdir "$stores/root" "$stores/user"
chown "$MB_USER_UID:$MB_USER_GID" "$stores/user"
trap 'rm -f "$out"; rm -rf "$stores"; mb_remove_user_tree' EXIT
# A reader's shell: the usual PATH (sudo's too), no private settings of ours.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

# Turn expected output into a bash pattern: escape the glob characters, then
# let "..." match anything.
to_pattern() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\*/\\*}
	s=${s//\?/\\?}
	s=${s//\[/\\[}
	printf '%s' "${s//.../*}"
}

# Run one command as the reader would, in its own process group with a
# time limit, and kill what it left behind by that group's id.
run_step() {
	local cmd=$1 pid status=0
	if [[ $cmd == "sudo "* ]]; then
		MINIBOX_STORE=$stores/root timeout --kill-after=2 "$step_timeout" bash -c "${cmd#sudo }" >"$out" 2>&1 </dev/null &
	else
		# the ordinary user, in its tree: the clone, or the copy it can reach
		(cd "$MB_USER_TREE" && MINIBOX_STORE=$stores/user exec timeout --kill-after=2 "$step_timeout" \
			setpriv --reuid="$MB_USER_UID" --regid="$MB_USER_GID" --clear-groups -- bash -c "$cmd") \
			>"$out" 2>&1 </dev/null &
	fi
	pid=$!
	wait "$pid" || status=$?
	# timeout made the group (its id is timeout's pid): end what is left in it
	kill -KILL -- "-$pid" 2>/dev/null
	return "$status"
}

# Run one command and compare its output.
check() {
	local file=$1 line=$2 cmd=$3 expected=$4 actual status=0 began=$SECONDS
	run_step "$cmd" || status=$?
	actual=$(cat "$out")
	if { [ "$status" = 124 ] || [ "$status" = 137 ]; } && [ $((SECONDS - began)) -ge "$step_timeout" ]; then
		echo "not ok - $file:$line: \$ $cmd (timed out after $step_timeout s)"
		failures=$((failures + 1))
		return
	fi
	# shellcheck disable=SC2053 # the right side is a pattern on purpose
	if [[ $actual == $(to_pattern "$expected") ]]; then
		echo "ok - $file:$line: \$ $cmd"
	else
		echo "not ok - $file:$line: \$ $cmd"
		diff <(echo "$expected") <(echo "$actual") | sed 's/^/# /'
		failures=$((failures + 1))
	fi
}

# Walk a README: collect each command and its expected output.
# shellcheck disable=SC2094 # check() only reads the file name
check_file() {
	local file=$1 n=0 inblock=0 cmd='' cmdline=0 expected='' text
	while IFS= read -r -u 3 text; do
		n=$((n + 1))
		if [ "$inblock" = 0 ]; then
			[ "$text" = '```console' ] && inblock=1
			continue
		fi
		if [ "$text" = '```' ] || [[ $text == '$ '* ]]; then
			[ -n "$cmd" ] && check "$file" "$cmdline" "$cmd" "${expected%$'\n'}"
			cmd='' expected=''
			[ "$text" = '```' ] && { inblock=0; continue; }
			cmd=${text#\$ } cmdline=$n
		else
			expected+=$text$'\n'
		fi
	done 3<"$file"
}

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(chapters/*/README.md)
for f in "${files[@]}"; do
	[ -f "$f" ] && check_file "$f"
done
[ "$failures" = 0 ]
