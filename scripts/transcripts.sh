#!/usr/bin/env bash
# Run the transcripts in the READMEs and compare what they show with what
# the code prints now, so the prose never drifts from the code.
#
# A transcript is a fenced block marked `console`. Each line that starts with
# "$ " is a command, typed at the top of the repository; the lines below it,
# up to the next command, are what it prints (stdout and stderr together).
# "$ sudo CMD" runs CMD as root; "$ CMD" runs it as an ordinary user (uid
# 65534). In the expected output, "..." stands for any text: a part of a line
# (a PID, an inode number) or whole lines.
#
#   scripts/transcripts.sh [README...]     (default: every chapter's README)
# Prints one TAP line per command. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

failures=0
as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
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

# Run one command as the reader would and compare its output.
check() {
	local file=$1 line=$2 cmd=$3 expected=$4 actual runner=()
	if [[ $cmd == "sudo "* ]]; then
		cmd=${cmd#sudo }
	elif "${as_user[@]}" test -x "$PWD/chapters"; then
		runner=("${as_user[@]}")
	else
		echo "ok - $file:$line: \$ $3 # skip uid 65534 cannot reach $PWD (move the clone out of /root)"
		return
	fi
	actual=$(timeout 60 "${runner[@]}" bash -c "$cmd" 2>&1 </dev/null)
	# shellcheck disable=SC2053 # the right side is a pattern on purpose
	if [[ $actual == $(to_pattern "$expected") ]]; then
		echo "ok - $file:$line: \$ $3"
	else
		echo "not ok - $file:$line: \$ $3"
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
