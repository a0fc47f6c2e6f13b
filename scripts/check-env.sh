#!/usr/bin/env bash
# Can this host run minibox? One line per requirement, OK, WARN or FAIL, and
# what to do when it is not OK. Exits 1 when a FAIL means nothing will work.
#
#   scripts/check-env.sh           every line
#   scripts/check-env.sh --brief   only the WARN and FAIL lines
set -uo pipefail

brief=0
[ "${1:-}" = --brief ] && brief=1
fails=0

say() {
	local level=$1
	shift
	[ "$level" = FAIL ] && fails=$((fails + 1))
	[ "$brief" = 1 ] && [ "$level" = OK ] && return 0
	printf '%-4s  %s\n' "$level" "$*"
}

sysctl_value() { cat "/proc/sys/$1" 2>/dev/null; }

check_kernel() {
	local major minor
	if [ "$(uname -s)" != Linux ]; then
		say FAIL "this is $(uname -s), not Linux: run minibox in a Linux VM (see the README)"
		return
	fi
	IFS=. read -r major minor _ <<<"$(uname -r)"
	if [ "$major" -gt 5 ] || { [ "$major" = 5 ] && [ "$minor" -ge 11 ]; }; then
		say OK "kernel $(uname -r) (every chapter needs 5.8 or newer)"
	elif [ "$major" = 5 ] && [ "$minor" -ge 8 ]; then
		say WARN "kernel $(uname -r): chapter 12 as an ordinary user needs 5.11 or newer (overlayfs in a user namespace)"
	elif [ "$major" -ge 4 ]; then
		say WARN "kernel $(uname -r): chapters 07-09 need 5.8 or newer (clone3, time namespaces)"
	else
		say FAIL "kernel $(uname -r) is too old: minibox needs 4.6 or newer, 5.8 for every chapter"
	fi
}

check_namespaces() {
	local ns
	for ns in uts pid mnt user net ipc cgroup time; do
		if [ -e "/proc/self/ns/$ns" ]; then
			say OK "namespace $ns: available"
		elif [ "$ns" = time ]; then
			say WARN "namespace time: missing (chapter 09 needs CONFIG_TIME_NS, kernel 5.6+)"
		else
			say FAIL "namespace $ns: missing from /proc/self/ns: the kernel lacks CONFIG_${ns^^}_NS"
		fi
	done
	# Inside Docker, the default seccomp profile refuses namespace flags.
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
		if unshare --uts --ipc --net --mount --pid --fork true 2>/dev/null; then
			say OK "new namespaces: created one of each (as root)"
		else
			say FAIL "new namespaces: refused even to root; inside a container, run it with" \
				"--privileged, or use a VM"
		fi
	fi
}

# Chapter 04 lets an ordinary user run minibox. Three knobs can forbid it.
check_user_namespaces() {
	local try=(unshare --user --map-root-user true) who
	who=$(id -u)
	if [ "$(sysctl_value user/max_user_namespaces)" = 0 ]; then
		say WARN "user.max_user_namespaces is 0: rootless runs fail;" \
			"sudo sysctl -w user.max_user_namespaces=15000"
	elif [ "$(sysctl_value kernel/unprivileged_userns_clone)" = 0 ]; then
		say WARN "kernel.unprivileged_userns_clone is 0: rootless runs fail;" \
			"sudo sysctl -w kernel.unprivileged_userns_clone=1"
	elif [ "$(sysctl_value kernel/apparmor_restrict_unprivileged_userns)" = 1 ]; then
		say WARN "kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10+): rootless" \
			"runs fail with EPERM; sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
	fi
	if [ "$who" = 0 ] && command -v setpriv >/dev/null; then
		try=(setpriv --reuid=65534 --regid=65534 --clear-groups -- "${try[@]}")
		who=65534
	fi
	if "${try[@]}" 2>/dev/null; then
		say OK "unprivileged user namespaces: work (tried as uid $who)"
	else
		say WARN "unprivileged user namespaces: refused here; the rootless tests of chapter 04 on will skip"
	fi
}

# Chapter 07 limits memory, pids and cpu through cgroups, v2 first.
check_cgroups() {
	local fs want=(memory pids cpu) c missing=()
	fs=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
	if [ "$fs" = cgroup2fs ]; then
		for c in "${want[@]}"; do
			grep -qw "$c" /sys/fs/cgroup/cgroup.controllers || missing+=("$c")
		done
		if [ ${#missing[@]} = 0 ]; then
			say OK "cgroups: v2, with the memory, pids and cpu controllers"
		else
			say WARN "cgroups: v2 without ${missing[*]}: chapter 07's limits on them will fail"
		fi
	elif [ "$fs" = tmpfs ]; then
		for c in "${want[@]}"; do
			[ -d "/sys/fs/cgroup/$c" ] || missing+=("$c")
		done
		local kind=v1
		[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
			kind="hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)"
		if [ ${#missing[@]} = 0 ]; then
			say OK "cgroups: $kind, with the memory, pids and cpu controllers on v1"
		else
			say WARN "cgroups: $kind without ${missing[*]}: chapter 07's limits on them will fail"
		fi
	else
		say WARN "cgroups: nothing mounted at /sys/fs/cgroup: chapter 07's limits will fail"
	fi
}

check_privilege() {
	if [ "$(id -u)" = 0 ]; then
		say OK "running as root"
	else
		say WARN "not root: chapters 00-03, --ip and the tests need sudo"
	fi
	if grep -q ' / / .*shared:' /proc/self/mountinfo; then
		say OK "/ is a shared mount (systemd does that): chapter 03 makes its copy private first"
	fi
}

# Who can reach this clone: root, the person who typed sudo, uid 65534. The
# tests' ordinary user is the sudo user, else uid 65534 (tests/user.bash);
# the suite copies what that user needs when it cannot reach the clone.
check_reach() {
	local repo uid uids=() reach=("root reaches it") user
	repo=$(cd "$(dirname "$0")/.." && pwd)
	{ [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; } || return 0
	if [ -n "${SUDO_UID:-}" ] && [ "$SUDO_UID" != 0 ]; then
		uids+=("$SUDO_UID")
		user="uid $SUDO_UID ($(getent passwd "$SUDO_UID" | cut -d: -f1)), who typed sudo"
	else
		user="uid 65534 (nobody), a root login having no sudo user"
	fi
	uids+=(65534)
	for uid in "${uids[@]}"; do
		if setpriv --reuid="$uid" --regid="$uid" --clear-groups -- test -x "$repo/chapters" 2>/dev/null; then
			reach+=("uid $uid ($(getent passwd "$uid" | cut -d: -f1)) reaches it")
		else
			reach+=("uid $uid ($(getent passwd "$uid" | cut -d: -f1)) cannot")
		fi
	done
	local list
	list=$(IFS=,; echo "${reach[*]/#/ }")
	say OK "this clone ($repo):$list. The rootless tests run as $user;" \
		"one who cannot reach the clone works from a copy the suite makes, so that is fine"
}

check_tools() {
	local t missing=()
	for t in cc make bats dot ip setpriv nsenter shellcheck; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if [ ${#missing[@]} = 0 ]; then
		say OK "tools: cc make bats dot ip setpriv nsenter shellcheck"
	else
		say WARN "tools missing: ${missing[*]}; sudo scripts/install-deps.sh installs them"
	fi
}

check_kernel
check_namespaces
check_user_namespaces
check_cgroups
check_privilege
check_reach
check_tools
if [ "$fails" -gt 0 ]; then
	echo "check-env: this host cannot run minibox until the FAIL lines above are fixed" >&2
	exit 1
fi
exit 0
