#!/usr/bin/env bash
# The workshop demo: a narrated tour of every chapter. For each one it says
# what the chapter adds, runs minibox with -v so the audience sees each
# kernel call (the chapter's own calls marked "=>", in colour on a terminal;
# the others dimmed, long runs of them folded), and shows the host's view
# beside the container's. It checks what it shows: it exits 1 if a step
# does not show the isolation it announces.
#
#   sudo ./scripts/demo.sh            the whole tour, without stopping
#   sudo ./scripts/demo.sh --pause    wait for Enter between steps (on stage)
#   sudo CH=01 ./scripts/demo.sh      one chapter
#
# Ctrl-C, kill or a closed terminal ends the tour at any step and removes
# what it made on the host, a container it left running included.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

pause=0
for arg in "$@"; do
	case $arg in
	--pause) pause=1 ;;
	-h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "demo: unknown option: $arg" >&2; exit 2 ;;
	esac
done
CH=${CH:-}

if [ "$(id -u)" != 0 ]; then
	echo "demo: run me as root (sudo $0): containers need privileges until chapter 04" >&2
	exit 1
fi
scripts/install-deps.sh || exit 1
scripts/check-env.sh --brief || exit 1
make -s all rootfs || exit 1
# Chapter 04 runs minibox as the ordinary user: the person who typed sudo,
# else uid 65534 working from a copy it can reach (tests/user.bash).
# shellcheck source=tests/user.bash disable=SC1091
source tests/user.bash
mb_choose_user "$PWD" || exit 1
# What the tours make on the host goes however the demo ends (Ctrl-C on
# stage too): their files in $tmp, chapter 06's shared memory segment, and
# the container that chapters 08 and 09 leave running while they join it
# (its PID 1 killed, so that its minibox exits and removes its record).
tmp=$(mktemp -d)
shm_key='' running_ct='' running_mb=''
cleanup() {
	[ -z "$shm_key" ] || tests/probes/ipcprobe remove shm "$shm_key" 2>/dev/null
	if [ -n "$running_ct" ]; then
		kill -KILL "$running_ct" 2>/dev/null
	elif [ -n "$running_mb" ]; then
		kill -KILL "$running_mb" 2>/dev/null # it had not started the container yet
	fi
	[ -z "$running_mb" ] || wait "$running_mb" 2>/dev/null
	rm -rf "$tmp"
	mb_remove_user_tree
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # Ctrl-C, kill, the terminal closed

bold='' green='' red='' plain='' hi='' dim=''
if [ -t 1 ]; then
	bold=$'\e[1m' green=$'\e[32m' red=$'\e[31m' plain=$'\e[0m' hi=$'\e[1;36m' dim=$'\e[2m'
fi
broken=0
# The calls the chapter on show adds, an extended regular expression over
# the -v lines: each tour sets it. show makes them stand out.
new_calls='.'

title() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$plain"; }
say() { printf '%s\n' "$*"; }
next() { [ "$pause" = 1 ] && read -r -p "   [Enter] " _ </dev/tty; return 0; }

# An argument as a person would type it: quoted only when it needs to be.
quoted() {
	if [[ $1 =~ ^[A-Za-z0-9_./:=,+-]+$ ]]; then
		printf '%s' "$1"
	else
		printf "'%s'" "${1//\'/\'\\\'\'}"
	fi
}

# Show a command, then run it, then what it printed (stdout and stderr),
# through narrate. The output stays in $out for the checks; the status is
# the command's.
show() {
	local arg line='' status=0
	for arg in "$@"; do line+="$(quoted "$arg") "; done
	printf '%s$ %s%s\n' "$bold" "${line% }" "$plain"
	out=$("$@" 2>&1) || status=$?
	[ -n "$out" ] && narrate <<<"$out"
	return "$status"
}

# The -v lines of the calls this chapter adds ($new_calls) stand out: "=>"
# and, on a terminal, colour. The other -v lines are the earlier chapters'
# story: dimmed, and a run of more than three is folded into one line, so
# that on stage chapter 04's uid_map, setgroups and gid_map are not lost
# among thirty mounts. The command's own output is left as it is.
narrate() {
	local line run=() # fold_run's too
	while IFS= read -r line; do
		if [[ $line =~ ^minibox(-exec)?:\  ]]; then
			if [[ $line =~ $new_calls ]]; then
				fold_run
				printf '%s=> %s%s\n' "$hi" "$line" "$plain"
			else
				run+=("$line")
			fi
		else
			fold_run
			printf '%s\n' "$line"
		fi
	done
	fold_run
}

# narrate's run of other -v lines: dimmed, or folded when it is long.
fold_run() {
	local one
	if [ "${#run[@]}" -gt 3 ]; then
		printf '%s   [%d more -v lines]%s\n' "$dim" "${#run[@]}" "$plain"
	else
		for one in "${run[@]}"; do printf '%s   %s%s\n' "$dim" "$one" "$plain"; done
	fi
	run=()
}

# One row of the host/container table.
row() { printf '   %-22s %-28s %s\n' "$1" "$2" "$3"; }

# Say whether the step showed what it announced.
check() {
	local what=$1
	shift
	if "$@"; then
		printf '   %s✓ %s%s\n' "$green" "$what" "$plain"
	else
		printf '   %s✗ NOT SHOWN: %s%s\n' "$red" "$what" "$plain"
		broken=$((broken + 1))
	fi
}

tour_00-process() {
	local mb=chapters/00-process/minibox status=0
	new_calls='.' # every call is new here, the skeleton
	say "minibox clones a child, the child execs the command, minibox waits and"
	say "passes the exit status on. No namespace yet: the child sees what you see."
	next
	# shellcheck disable=SC2016 # expanded by the child's shell
	show "$mb" -v sh -c 'echo "child: my UTS namespace is $(readlink /proc/self/ns/uts)"; exit 3' ||
		status=$?
	say "host:  my UTS namespace is $(readlink /proc/self/ns/uts); minibox exited with $status"
	check "the command's exit status (3) is minibox's" [ "$status" = 3 ]
	check "the child shares the host's UTS namespace" \
		[ "$("$mb" readlink /proc/self/ns/uts)" = "$(readlink /proc/self/ns/uts)" ]
}

tour_01-uts() {
	local mb=chapters/01-uts/minibox inside host_before
	new_calls='CLONE_NEWUTS|sethostname'
	say "CLONE_NEWUTS gives the child its own hostname: it renames itself, the host keeps its name."
	next
	host_before=$(hostname)
	show "$mb" -v --hostname demo-box hostname
	inside=$("$mb" --hostname demo-box sh -c 'hostname; readlink /proc/self/ns/uts')
	row "" "host" "container"
	row "hostname" "$(hostname)" "${inside%%$'\n'*}"
	row "/proc/self/ns/uts" "$(readlink /proc/self/ns/uts)" "${inside#*$'\n'}"
	check "the container is called demo-box" [ "${inside%%$'\n'*}" = demo-box ]
	check "the host is still called $host_before" [ "$(hostname)" = "$host_before" ]
	check "the UTS namespaces differ" [ "${inside#*$'\n'}" != "$(readlink /proc/self/ns/uts)" ]
}

# Run a command until it succeeds: every 0.1 s, for up to 5 s.
poll() {
	local _
	for _ in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# The host PID of process $1's first child, if it has one yet.
child_of() {
	local kids
	kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
	[ -n "$kids" ] && echo "${kids%% *}"
}

tour_02-pid() {
	local mb=chapters/02-pid/minibox inside status mbpid ct nspid
	new_calls='CLONE_NEWPID|init:'
	say "CLONE_NEWPID: the command is PID 1 of a new PID namespace. PID 1 gets only the"
	say "signals it handles; --init puts a tiny init there that passes them on and reaps orphans."
	next
	# shellcheck disable=SC2016 # expanded by the container's shell
	show "$mb" -v sh -c 'echo "I am PID $$"'
	# the same command, kept alive a moment: its host PID is minibox's child,
	# whose NSpid line holds its number in each PID namespace, host's first
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$mb" sh -c 'echo $$; readlink /proc/self/ns/pid; exec sleep 1' >"$tmp/02-pid" &
	mbpid=$!
	ct=$(poll child_of "$mbpid")
	nspid=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$ct/status" | tr -s '\t' ' ')
	wait "$mbpid"
	mapfile -t inside <"$tmp/02-pid"
	row "" "host" "container"
	row "PID of the command" "${nspid%% *}" "${inside[0]}"
	row "its NSpid line" "$nspid" ""
	row "/proc/self/ns/pid" "$(readlink /proc/self/ns/pid)" "${inside[1]}"
	check "the command is PID 1" [ "${inside[0]}" = 1 ]
	check "the host knows it as $ct, the container as 1 (NSpid: $ct 1)" [ "$nspid" = "$ct 1" ]
	check "the PID namespaces differ" [ "${inside[1]}" != "$(readlink /proc/self/ns/pid)" ]
	next
	say "SIGTERM to minibox after 1 s; minibox passes it on to PID 1, a sleep with no handler:"
	status=0
	show timeout --foreground --preserve-status 1 "$mb" sleep 3 || status=$?
	say "exit status $status: the sleep ran its 3 seconds"
	check "PID 1 ignored SIGTERM" [ "$status" = 0 ]
	say "The same with --init: the init passes SIGTERM on to the sleep, now PID 2:"
	status=0
	show timeout --foreground --preserve-status 1 "$mb" --init sleep 3 || status=$?
	say "exit status $status = 128 + 15 (SIGTERM)"
	check "with --init, SIGTERM stops the container (143)" [ "$status" = 143 ]
}

tour_03-mount() {
	local mb=chapters/03-mount/minibox mounts_before inside
	new_calls='CLONE_NEWNS|chdir|mount\(|open_tree|pivot_root|umount2'
	say "CLONE_NEWNS: a mount table of its own. A fresh /proc, /sys, /tmp and /dev are mounted"
	say "in the rootfs, then pivot_root makes it / and the host's tree is detached."
	next
	mounts_before=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	show "$mb" -v sh -c 'cat /etc/minibox-release; ps'
	# shellcheck disable=SC2016 # expanded by the container's shell
	inside=$("$mb" sh -c 'ps -o pid >/tmp/p; echo $(($(wc -l </tmp/p) - 1)); readlink /proc/self/ns/mnt; ls / | wc -l')
	mapfile -t inside <<<"$inside"
	row "" "host" "container"
	row "processes in ps" "$(ps -e --no-headers | wc -l)" "${inside[0]}"
	row "entries in /" "$(find / -mindepth 1 -maxdepth 1 | wc -l)" "${inside[2]}"
	row "/proc/self/ns/mnt" "$(readlink /proc/self/ns/mnt)" "${inside[1]}"
	check "ps inside sees only the container: its shell and ps itself" [ "${inside[0]}" = 2 ]
	check "the mount namespaces differ" [ "${inside[1]}" != "$(readlink /proc/self/ns/mnt)" ]
	check "the host's mount table is unchanged" [ "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" = "$mounts_before" ]
}

tour_04-user() {
	local mb as_user inside ct host_uid mbpid
	new_calls='CLONE_NEWUSER|uid_map|setgroups|gid_map|setresuid'
	# the ordinary user runs its own copy of minibox (the clone's, when it can reach it)
	mb=$(mb_user_path chapters/04-user/minibox)
	as_user=(setpriv --reuid="$MB_USER_UID" --regid="$MB_USER_GID" --clear-groups --)
	say "CLONE_NEWUSER: ids of its own. minibox maps container root to the user who ran it:"
	say "an ordinary user (here $MB_USER_LABEL, no sudo) becomes root inside, and only inside."
	next
	# in the user's tree, where ./rootfs is
	pushd "$MB_USER_TREE" >/dev/null || return
	show "${as_user[@]}" "$mb" -v id
	inside=$("${as_user[@]}" "$mb" sh -c 'id -u; stat -c %U /etc/passwd')
	"${as_user[@]}" "$mb" sleep 2 &
	mbpid=$!
	ct=$(poll child_of "$mbpid")
	host_uid=$(stat -c %u "/proc/$ct")
	wait "$mbpid"
	row "" "host" "container"
	row "uid" "$host_uid" "${inside%%$'\n'*}"
	row "owner of /etc/passwd" "root" "${inside#*$'\n'}"
	check "uid $MB_USER_UID on the host is root (0) inside" [ "${inside%%$'\n'*}" = 0 ]
	check "the host still sees the container as uid $MB_USER_UID" [ "$host_uid" = "$MB_USER_UID" ]
	show "${as_user[@]}" "$mb" sh -c 'mknod /tmp/disk b 8 0'
	check "root inside cannot make a device node" \
		bash -c '! "$@" 2>/dev/null' _ "${as_user[@]}" "$mb" sh -c 'mknod /tmp/disk b 8 0'
	popd >/dev/null || return
}

tour_05-net() {
	local mb=chapters/05-net/minibox inside out
	new_calls='CLONE_NEWNET|RTM_|veth'
	say "CLONE_NEWNET: a network stack of its own, with only lo, which minibox brings up."
	say "--ip lays a veth cable to the host, built with rtnetlink messages. It runs here in a"
	say "throwaway network namespace (unshare --net) that plays the host: your network is untouched."
	next
	inside=$("$mb" ls /sys/class/net)
	row "" "host" "container"
	row "interfaces" "$(find /sys/class/net -mindepth 1 -maxdepth 1 -printf '%f ')" "$inside"
	check "the container sees only lo" [ "$inside" = lo ]
	next
	show unshare --net "$mb" -v --ip 10.200.1.2/24 ping -c 2 10.200.1.1
	check "the container pings the host end across the veth" grep -q '2 packets received' <<<"$out"
}

tour_06-ipc() {
	local mb=chapters/06-ipc/minibox probe=tests/probes/ipcprobe inside out key
	# "MB" and this demo's PID: two demos at once (two terminals, two clones)
	# make two segments, never the same one
	key=$(printf '0x4d42%04x' $(($$ % 65536)))
	new_calls='CLONE_NEWIPC|mqueue'
	say "CLONE_NEWIPC: System V objects and POSIX queues of its own. The host makes a shared"
	say "memory segment; the container looks for the same key, and makes a queue of its own."
	next
	make -s probes
	"$probe" create shm "$key" && shm_key=$key
	show "$probe" find shm "$key"
	show "$mb" -v --bind "$PWD/tests/probes:/opt:ro" sh -c \
		"/opt/ipcprobe find shm $key; /opt/ipcprobe create mq /made-inside; ls /dev/mqueue"
	inside=$out
	check "the host's segment is missing inside" grep -q '^missing$' <<<"$inside"
	check "/dev/mqueue inside lists only the container's queue" grep -q '^made-inside$' <<<"$inside"
	check "the container's queue is not on the host" [ "$("$probe" find mq /made-inside)" = missing ]
	"$probe" remove shm "$key" && shm_key=''
}

tour_07-cgroup() {
	local mb=chapters/07-cgroup/minibox out status dir
	new_calls='statfs|mkdir|rmdir|cgroup|CGROUP|pids\.max|memory\.|cpu\.'
	say "A cgroup per container, with limits (cgroup v2 or v1, whichever the host uses), and a"
	say "cgroup namespace. First a fork bomb under --pids 16: it stops at 16, the host is fine."
	next
	# shellcheck disable=SC2016 # expanded by the container's shell
	show "$mb" -v --pids 16 sh -c '(for i in $(seq 200); do sleep 2 & done) 2>/dev/null
		read n 2>/dev/null </sys/fs/cgroup/pids.current || read n </sys/fs/cgroup/pids/pids.current
		echo "tasks in the container: $n"'
	check "the fork bomb made no more than 16 tasks" \
		[ "$(sed -n 's/^tasks in the container: //p' <<<"$out")" -le 16 ]
	check "the host still forks" sh -c 'sleep 0 & wait'
	next
	say "Then a memory hog: 256 MiB under --memory 32M. The OOM killer ends it: 128 + 9."
	status=0
	show "$mb" --memory 32M dd if=/dev/zero of=/dev/null bs=256M count=1 || status=$?
	say "exit status $status"
	check "the memory hog was OOM-killed (137)" [ "$status" = 137 ]
	# the cgroup it ran in, by the name -v gives it (other containers may come and go)
	out=$("$mb" -v --memory 32M true 2>&1)
	dir=$(sed -n 's/^minibox: mkdir(\(\/sys\/fs\/cgroup\/[^)]*minibox-[^)]*\)) = 0.*/\1/p' <<<"$out" | head -n 1)
	# shellcheck disable=SC2016 # expanded by that bash
	check "the container's cgroup ($dir) is gone" bash -c '[ -n "$1" ] && [ ! -d "$1" ]' _ "$dir"
}

# A line of $2 is exactly $1.
has_line() { grep -qxF -- "$1" <<<"$2"; }
has_line_like() { grep -qE -- "$1" <<<"$2"; }

# Wait (up to 5 s) until minibox has written the record of the container $1.
record_of() { poll grep -q '^pid ' "/run/minibox/$1" 2>/dev/null; }

tour_08-exec() {
	local mb=chapters/08-exec/minibox exec=chapters/08-exec/minibox-exec name=web-$$ mbpid ct out
	new_calls='pidfd_open|setns|NSpid|clone3|getpid'
	say "A running container gets a name, and minibox-exec joins it from outside, like docker exec:"
	say "setns() through a pidfd into its namespaces, then one more fork into its PID namespace."
	next
	"$mb" --name "$name" --hostname web sh -c 'echo "written inside" >/tmp/note; exec sleep 60' &
	mbpid=$! running_mb=$!
	record_of "$name"
	show cat "/run/minibox/$name"
	ct=$(sed -n 's/^pid //p' "/run/minibox/$name") running_ct=$ct
	next
	# shellcheck disable=SC2016 # expanded by the container's shell
	show "$exec" -v "$name" sh -c 'hostname; echo "my PID: $$"; cat /tmp/note; ps'
	row "" "host" "minibox-exec's command"
	row "hostname" "$(hostname)" "web"
	row "the command's PID" "$(sed -n 's/.*clone3.* = \([0-9]*\) (host pid)/\1/p' <<<"$out")" "2"
	check "the command sees the container's hostname" has_line web "$out"
	check "its PID is small: it was born in the container's PID namespace" has_line "my PID: 2" "$out"
	check "it sees the container's files" has_line "written inside" "$out"
	kill -KILL "$ct"
	wait "$mbpid"
	running_mb='' running_ct=''
	check "the record is gone with the container" [ ! -e "/run/minibox/$name" ]
}

tour_09-time() {
	local mb=chapters/09-time/minibox exec=chapters/09-time/minibox-exec name=clock-$$ out host inside joined mbpid
	new_calls='NEWTIME|timens|time_for_children'
	say "A time namespace: CLOCK_MONOTONIC and CLOCK_BOOTTIME read a day more inside (--uptime-offset)."
	say "unshare() makes it for the children: the offsets are written while nobody is inside."
	next
	show "$mb" -v --uptime-offset 86400 cat /proc/uptime
	host=$(cut -d. -f1 /proc/uptime)
	inside=$("$mb" --uptime-offset 86400 cut -d. -f1 /proc/uptime)
	row "" "host" "container"
	row "uptime" "$host s" "$inside s"
	row "date" "$(date +%T)" "$("$mb" --uptime-offset 86400 date +%T)"
	check "the container's uptime is a day more" [ $(((inside - host) / 3600)) = 24 ]
	next
	say "minibox-exec joins the time namespace with the others:"
	"$mb" --name "$name" --uptime-offset 86400 sleep 60 &
	mbpid=$! running_mb=$!
	record_of "$name"
	running_ct=$(sed -n 's/^pid //p' "/run/minibox/$name")
	host=$(cut -d. -f1 /proc/uptime)
	show "$exec" "$name" cat /proc/uptime
	joined=$(tail -n 1 <<<"$out")
	check "minibox-exec's command sees the shifted clock" [ $(((${joined%%.*} - host) / 3600)) = 24 ]
	kill -KILL "$running_ct"
	wait "$mbpid"
	running_mb='' running_ct=''
}

tour_10-harden() {
	local mb=chapters/10-harden/minibox probe=/opt/escprobe sysctl=/proc/sys/kernel/core_pattern
	local opt=(--bind "$PWD/tests/probes:/opt:ro")
	new_calls='mount_setattr\(\.(/proc/sys)?, |setsid|capset|CAPBSET|AMBIENT|NO_NEW|seccomp'
	make -s probes
	say "Root inside is the host's root (map 0 0 1) wherever the kernel does not ask"
	say "\"which namespace?\". An escape: the host's sysctls. A piped core_pattern runs a"
	say "program as the host's root. The probe only opens the file for writing, it writes nothing."
	next
	show "$mb" --privileged "${opt[@]}" "$probe" openw "$sysctl"
	check "with --privileged, the host's core_pattern opens for writing" has_line "$sysctl: writable" "$out"
	next
	say "Chapter 10's layers: /proc/sys read-only, Docker's 14 capabilities, no_new_privs, seccomp:"
	show "$mb" -v "${opt[@]}" "$probe" openw "$sysctl"
	check "without it, the same open fails: Read-only file system" has_line "$sysctl: Read-only file system" "$out"
	next
	say "A refused call fails with EPERM, and the container goes on:"
	show "$mb" "${opt[@]}" sh -c "$probe syscalls; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"
	check "mount is refused inside" has_line "mount(tmpfs): EPERM" "$out"
	check "the filter is on (Seccomp 2)" has_line $'Seccomp:\t2' "$out"
}

tour_11-console() {
	local mb=chapters/11-console/minibox drive=tests/probes/ptydrive
	new_calls='pipe2|dup2|ptmx|SCM_RIGHTS|TIOCSCTTY|tcsetattr|TIOCSWINSZ|signalfd'
	make -s probes
	say "Chapter 10 handed the command your own stdin, stdout and stderr. Now they are pipes"
	say "that minibox relays (splice), so nothing inside can chmod or truncate your files:"
	next
	# shellcheck disable=SC2016 # expanded by the shell inside
	show "$mb" -v sh -c 'for f in 0 1 2; do readlink /proc/$$/fd/$f; done' </dev/null
	check "the command's stdout is a pipe, not the caller's" has_line_like '^pipe:' "$out"
	next
	say "--tty: a terminal of the container's own. The demo types into it through a pty of its"
	say "own (tests/probes/ptydrive), as you would at a keyboard: tty, a resize, Ctrl-C, Ctrl-D."
	next
	# shellcheck disable=SC2016 # expanded by the shell inside
	show "$drive" -p -s 30x100 'expect:# ' 'send:tty\r' 'expect:/dev/pts/0' \
		'send:stty size\r' 'expect:30 100' 'resize:40:120' 'sleep:200' 'send:stty size\r' 'expect:40 120' \
		'send:sleep 30\r' 'sleep:300' 'send:\x03' 'send:echo "<$((6 * 7))>"\r' 'within:1000:<42>' \
		'send:(exit 3)\r' 'expect:# ' 'send:\x04' -- "$mb" --tty sh
	check "tty inside is /dev/pts/0, of the container's devpts" has_line_like '^/dev/pts/0' "$out"
	check "the size follows the resize (SIGWINCH, TIOCSWINSZ)" has_line_like '^40 120' "$out"
	check "Ctrl-C ended sleep and the shell answered within a second" has_line_like '<42>' "$out"
	check "Ctrl-D ended the shell, and minibox returned its status" has_line "exit 3" "$out"
	check "the demo's terminal is as it was" has_line "stty: same" "$out"
}

tour_12-image() {
	local mb=chapters/12-image/minibox store=$tmp/store before after
	new_calls='index.json|layer [0-9]|fsopen|move_mount\([0-9]|stale container|container.s writes|WorkingDir'
	make -s image >/dev/null || return 1
	say "An OCI image: index.json -> manifest -> config and layers, each blob named by its"
	say "sha256 and checked. Each layer is unpacked once into a store (here $store, the"
	say "demo's own), and the root is an overlay: the layers below, the container's writes on top."
	next
	show "$mb" -v --store "$store" --image build/image.tar -- cat /etc/os-release
	check "the course image runs" has_line 'NAME="minibox course image"' "$out"
	check "its two layers were unpacked" [ "$(grep -c ': unpacked, ' <<<"$out")" = 2 ]
	next
	say "The second start unpacks nothing: the layers are in the store already."
	before=$(ls -i "$store/layers")
	show "$mb" -v --store "$store" --image build/image.tar -- sh -c 'echo hello >/etc/motd; ls /usr/share/minibox'
	after=$(ls -i "$store/layers")
	check "nothing unpacked, the layers' folders unchanged" [ "$before" = "$after" ] \
		&& [ "$(grep -c 'in the store already' <<<"$out")" = 2 ]
	check "layer 2's opaque folder shows only its own file" has_line three "$out"
	row "" "host" "container"
	row "/etc/motd" "$(cat "$store"/layers/*/etc/motd 2>/dev/null || echo absent from every layer)" "hello (in its upper, gone with it)"
	check "the container's write stayed out of the layers" [ -z "$(ls "$store"/layers/*/etc/motd 2>/dev/null)" ]
	check "no container folder is left" [ -z "$(ls -A "$store/containers")" ]
}

for dir in chapters/[0-9][0-9]-*/; do
	chapter=$(basename "$dir")
	[ -n "$CH" ] && [ "${chapter%%-*}" != "$CH" ] && continue
	title "$chapter"
	new_calls='.' # until the tour names its chapter's calls: every -v line stands out
	if declare -F "tour_$chapter" >/dev/null; then
		"tour_$chapter"
	else
		say "(no tour for this chapter yet)"
	fi
	next
done

echo
if [ "$broken" -gt 0 ]; then
	echo "demo: $broken step(s) did not show what they announced" >&2
	exit 1
fi
echo "demo: every step showed what it announced"
