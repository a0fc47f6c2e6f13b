#!/usr/bin/env bats
# Chapter 05-net: the container has a network stack of its own
# (CLONE_NEWNET): loopback up, and with --ip (root) a veth pair to the host.
# Every veth test plays the host's side in a throwaway network namespace.

load helpers

setup_file() { remember_host; }
teardown_file() { restore_host; }

# Start minibox (as root) with --ip inside the test's network namespace.
# With -v, HOST_END is then the name of the veth pair's host end.
start_with_ip() {
	start_binary nsenter --net --target "$NETNS_PID" -- "$MB_REAL" "$@" || return
	HOST_END=$(sed -n 's/^minibox: RTM_NEWLINK(\(mb-[^,]*\), veth.*/\1/p' "$BATS_TEST_TMPDIR/ct.err")
}

@test "without --ip, the container has one interface, lo, and it is up" {
	run -0 "$MINIBOX" ip -o link
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
	run -0 "$MINIBOX" sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
	assert_output "lo"
}

@test "127.0.0.1 answers inside" {
	run -0 "$MINIBOX" ping -c 1 -W 2 127.0.0.1
	assert_line --partial "1 packets transmitted, 1 packets received"
}

@test "the host's interfaces are invisible inside" {
	run -0 "$MINIBOX" ls /sys/class/net
	assert_output "lo"
	run -0 "$MINIBOX" cat /proc/net/route
	assert_equal "${#lines[@]}" 1 # only the header: no route at all
}

@test "the container's network namespace differs from the host's" {
	start_container sh -c 'echo ready; exec sleep 60'
	run -0 readlink "/proc/$CT_PID/ns/net"
	assert_output --regexp '^net:\[[0-9]+\]$'
	refute_output "$(readlink /proc/self/ns/net)"
}

# bats test_tags=once
@test "with --ip, the container and the host end ping each other" {
	make_test_netns
	start_with_ip --ip 10.200.1.2/24 sh -c 'echo ready; exec sleep 60'
	run -0 nsenter --net --target "$CT_PID" -- "$BUSYBOX" ping -c 1 -W 2 10.200.1.1
	assert_line --partial "1 packets received"
	run -0 in_test_netns "$BUSYBOX" ping -c 1 -W 2 10.200.1.2
	assert_line --partial "1 packets received"
}

# The default route, by what it does: an address beyond the container's
# subnet, on the host end in the test's own namespace, answers only
# through it.
# bats test_tags=once
@test "with --ip, the default route leads through the host end: an address beyond the subnet answers" {
	make_test_netns
	start_with_ip -v --ip 10.200.1.2/24 sh -c 'echo ready; exec sleep 60'
	in_test_netns ip addr add 10.200.99.1/32 dev "$HOST_END"
	run -0 nsenter --net --target "$CT_PID" -- "$BUSYBOX" ping -c 1 -W 2 10.200.99.1
	assert_line --partial "1 packets received"
}

# bats test_tags=once
@test "with --ip, TCP works both ways: host to container, container to host" {
	make_test_netns
	# the host side listens; the container connects
	in_test_netns "$BUSYBOX" sh -c 'echo "hello from the host" | nc -l -p 7001' 3>&- &
	echo $! >>"$BATS_TEST_TMPDIR/started"
	sleep 0.2
	run -0 nsenter --net --target "$NETNS_PID" -- "$MB_REAL" --ip 10.200.1.2/24 \
		sh -c 'nc 10.200.1.1 7001 </dev/null'
	assert_output "hello from the host"
	# the container listens; the host side connects
	start_with_ip --ip 10.200.1.2/24 sh -c 'echo ready; echo "hello from the container" | nc -l -p 7002'
	sleep 0.2
	run -0 in_test_netns "$BUSYBOX" nc 10.200.1.2 7002 </dev/null
	assert_output "hello from the container"
}

# bats test_tags=once
@test "with --ip, the host sees its end, mb-ID, while the container runs, and not after" {
	make_test_netns
	start_with_ip -v --ip 10.200.1.2/24 sh -c 'echo ready; exec sleep 60'
	# a name unique on the machine, also across PID namespaces: not a PID
	[[ $HOST_END =~ ^mb-[0-9a-f]{12}$ ]] || fail "host end: '$HOST_END'"
	run -0 in_test_netns ip -o -4 addr show "$HOST_END"
	assert_output --regexp "^[0-9]+: $HOST_END +inet 10\.200\.1\.1/24 "
	kill -TERM "$CT_PID" 2>/dev/null || true
	kill -KILL "$CT_PID"
	wait_for_minibox
	wait_until link_gone "$HOST_END"
}

# bats test_tags=once
@test "with --ip, the host end is gone after kill -9 of minibox" {
	make_test_netns
	start_with_ip -v --ip 10.200.1.2/24 sh -c 'echo ready; exec sleep 60'
	link_exists "$HOST_END"
	kill -KILL "$MB_PID"
	wait_until link_gone "$HOST_END"
}

# bats test_tags=once
@test "two containers with different subnets run at the same time without interfering" {
	make_test_netns
	start_with_ip -v --ip 10.200.1.2/24 sh -c 'echo ready; exec sleep 60'
	local first=$CT_PID first_end=$HOST_END
	start_with_ip -v --ip 10.200.2.2/24 sh -c 'echo ready; exec sleep 60'
	local second=$CT_PID second_end=$HOST_END
	[ "$first_end" != "$second_end" ] || fail "both host ends are called $first_end"
	run -0 nsenter --net --target "$first" -- "$BUSYBOX" ping -c 1 -W 2 10.200.1.1
	run -0 nsenter --net --target "$second" -- "$BUSYBOX" ping -c 1 -W 2 10.200.2.1
	run -0 in_test_netns ip -o -4 addr show "$first_end"
	assert_output --partial "10.200.1.1/24"
	run -0 in_test_netns ip -o -4 addr show "$second_end"
	assert_output --partial "10.200.2.1/24"
}

# bats test_tags=once
@test "two --ip containers in sibling PID namespaces both get their veth" {
	make_test_netns
	# minibox is PID 1 of each: a name made from a PID would be the same twice
	local a b n
	for n in 1 2; do
		in_test_netns unshare --pid --fork --kill-child --mount-proc "$MB_REAL" -v --ip "10.200.$n.2/24" \
			sh -c "sleep 1; ping -c 1 -W 2 10.200.$n.1 >/dev/null && echo reached 10.200.$n.1" \
			>"$BATS_TEST_TMPDIR/out$n" 2>"$BATS_TEST_TMPDIR/err$n" 3>&- &
		echo $! >>"$BATS_TEST_TMPDIR/started"
		[ "$n" = 1 ] && a=$! || b=$!
	done
	wait "$a" || fail "the first container failed: $(cat "$BATS_TEST_TMPDIR/err1")"
	wait "$b" || fail "the second container failed: $(cat "$BATS_TEST_TMPDIR/err2")"
	run -0 cat "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/out2"
	assert_output $'reached 10.200.1.1\nreached 10.200.2.1'
	run -0 sed -n 's/^minibox: RTM_NEWLINK(\(mb-[0-9a-f]*\), veth.*/\1/p' "$BATS_TEST_TMPDIR/err1" "$BATS_TEST_TMPDIR/err2"
	assert_equal "${#lines[@]}" 2
	[ "${lines[0]}" != "${lines[1]}" ] || fail "both host ends are called ${lines[0]}"
}

# bats test_tags=once
@test "with --ip, the smallest subnet, a /30, is accepted: the container and the host end ping each other" {
	make_test_netns
	# 10.200.1.0/30: the network, the host end .1, the container .2, the broadcast .3
	start_with_ip -v --ip 10.200.1.2/30 sh -c 'echo ready; exec sleep 60'
	run -0 in_test_netns ip -o -4 addr show "$HOST_END"
	assert_output --regexp "^[0-9]+: $HOST_END +inet 10\.200\.1\.1/30 "
	run -0 nsenter --net --target "$CT_PID" -- "$BUSYBOX" ping -c 1 -W 2 10.200.1.1
	assert_line --partial "1 packets received"
}

# bats test_tags=once
@test "as an ordinary user, --ip is refused with 125 and says why" {
	run -125 --separate-stderr as_user_minibox --ip 10.200.1.2/24 true
	assert_error_line "minibox: --ip 10.200.1.2/24: needs root: the host end of the veth pair lives in the host's network namespace, where an ordinary user may not create interfaces
hint: rootless engines give a container a network through a user-space stack instead: slirp4netns, pasta"
}

# bats test_tags=once
@test "bad --ip values give 125 and one line each, and create nothing" {
	make_test_netns
	local bad
	for bad in 10.200.1.2 10.200.1.2/x 10.200.1.2/24x 300.1.1.1/24; do
		run -125 --separate-stderr in_test_netns "$MB_REAL" --ip "$bad" true
		assert_error_line "minibox: --ip $bad: expected ADDRESS/PREFIX, e.g. 10.200.1.2/24"
	done
	for bad in 10.200.1.2/0 10.200.1.2/31 10.200.1.2/32 10.200.1.2/33; do
		run -125 --separate-stderr in_test_netns "$MB_REAL" --ip "$bad" true
		assert_error_line "minibox: --ip $bad: the prefix must be 1 to 30, room for a network, the host end, the container and a broadcast address"
	done
	run -125 --separate-stderr in_test_netns "$MB_REAL" --ip 10.200.1.0/24 true
	assert_error_line "minibox: --ip 10.200.1.0/24: that is the network address of 10.200.1.0/24"
	run -125 --separate-stderr in_test_netns "$MB_REAL" --ip 10.200.1.255/24 true
	assert_error_line "minibox: --ip 10.200.1.255/24: that is the broadcast address of 10.200.1.0/24"
	run -125 --separate-stderr in_test_netns "$MB_REAL" --ip 10.200.1.1/24 true
	assert_error_line "minibox: --ip 10.200.1.1/24: that is the host end's address (the first of 10.200.1.0/24), pick another"
	# multicast is all of 224.0.0.0/4, up to 239.255.255.255
	for bad in 127.0.0.2/8 224.0.0.2/24 239.255.0.2/24 0.0.0.2/24; do
		run -125 --separate-stderr in_test_netns "$MB_REAL" --ip "$bad" true
		assert_error_line "minibox: --ip $bad: a loopback, multicast or 0.x address; pick a private one, e.g. 10.200.1.2/24"
	done
	run -0 in_test_netns ip -o link
	assert_equal "${#lines[@]}" 1 # lo, and no mb-*
}

# A student's classic slips in the veth request, made on purpose in a copy
# of the program under test, built again from its own source: a nest left
# open (the kernel reads past it), or the peer's nest closed before its
# attributes (the kernel then makes the peer in the host's namespace, where
# nothing would ever delete the pair). Each gives one line and a hint that
# names the slip, and leaves no interface behind.
slip() { # name, C line: the broken copy in $BATS_TEST_TMPDIR/$1
	# The slip goes into nl_end(), the helper the handout gives, not into
	# the veth request itself: it does not depend on how the request is
	# written, as long as it closes its nests with nl_end().
	slip_into 'static void nl_end(struct nl_request *req, struct rtattr *nest)' "$@"
}
slip_into() { # the first line of a function, name, C line: put first in its body
	local head
	head="^$(sed 's/[*]/\\*/g' <<<"$1")\$"
	mkdir "$BATS_TEST_TMPDIR/$2"
	cp "$(dirname "$MB_REAL")"/*.[ch] "$BATS_TEST_TMPDIR/$2/"
	grep -q "$head" "$BATS_TEST_TMPDIR/$2/minibox.c" ||
		fail "no '$1' in minibox.c: the slips go into it"
	sed -i "/$head/{n;a\\
	$3
}" "$BATS_TEST_TMPDIR/$2/minibox.c"
	# shellcheck disable=SC2046 # the libraries, as words
	cc -std=gnu11 -w -o "$BATS_TEST_TMPDIR/$2/minibox" "$BATS_TEST_TMPDIR/$2/minibox.c" \
		$(libs_of "$BATS_TEST_TMPDIR/$2/minibox.c")
}
# bats test_tags=once
@test "a veth request with a nest left open, or the peer's nest closed too early: one line, a hint naming the slip, no interface left" {
	local src
	src=$(dirname "$MB_REAL")/minibox.c
	[ -f "$src" ] || skip "no minibox.c beside $MB_REAL to break on purpose"
	# the three nests: the link's information, its kind's data, the peer
	slip linkinfo 'if (nest->rta_type == IFLA_LINKINFO) return; /* left open */'
	slip data 'if (nest->rta_type == IFLA_INFO_DATA) return; /* left open */'
	slip peer 'if (nest->rta_type == VETH_INFO_PEER) { nest->rta_len = RTA_LENGTH(sizeof(struct ifinfomsg)); return; } /* closed at once */'
	make_test_netns
	run -125 --separate-stderr in_test_netns "$BATS_TEST_TMPDIR/linkinfo/minibox" --ip 10.200.1.2/24 true
	assert_stderr_regex '^minibox: RTM_NEWLINK\(mb-[0-9a-f]{12}, veth, peer eth0 in the netns of [0-9]+\): Numerical result out of range$'
	assert_stderr_regex "^hint: an attribute runs past its nest: is the outermost nest, the link's information, closed with nl_end\(\)\?$"
	run -125 --separate-stderr in_test_netns "$BATS_TEST_TMPDIR/data/minibox" --ip 10.200.1.2/24 true
	assert_stderr_regex "^hint: the kernel found no veth settings it knows: is the nest of the kind's data closed\?$"
	run -125 --separate-stderr in_test_netns "$BATS_TEST_TMPDIR/peer/minibox" --ip 10.200.1.2/24 true
	assert_stderr_regex "^minibox: RTM_NEWLINK\\(mb-[0-9a-f]{12}\\): the peer was made in the host's network namespace, not the container's$"
	assert_stderr_regex "^hint: the peer's nest holds the peer's name and its namespace: close it after them$"
	run -0 in_test_netns ip -o link show
	assert_equal "${#lines[@]}" 1 # lo alone: neither mb-ID nor a stray peer
}

# The test's own network namespace holds lo alone.
lo_alone_in_test_netns() { [ "$(in_test_netns ip -o link show | wc -l)" = 1 ]; }

# The address and the route, slipped the same way into the helpers the
# handout gives: nl_attr() drops the address's local attribute, or the
# route's gateway; link_up() leaves eth0 down, so the gateway is on no link
# that is up. Each request is refused with one line and a hint that names
# the likely slip, and the pair is gone afterwards.
# bats test_tags=once
@test "an address or a route the kernel refuses: one line, a hint naming the likely slip, no interface left" {
	local attr='static struct rtattr *nl_attr(struct nl_request *req, int type, const void *value, size_t len)'
	[ -f "$(dirname "$MB_REAL")/minibox.c" ] || skip "no minibox.c beside $MB_REAL to break on purpose"
	slip_into "$attr" local 'if (req->hdr.nlmsg_type == RTM_NEWADDR && type == IFA_LOCAL) return NULL; /* not sent */'
	slip_into "$attr" gateway 'if (req->hdr.nlmsg_type == RTM_NEWROUTE && type == RTA_GATEWAY) return NULL; /* not sent */'
	slip_into 'static void link_up(int fd, const char *name, const char *who)' down \
		'if (strcmp(name, "eth0") == 0) return; /* left down */'
	make_test_netns
	run -125 --separate-stderr in_test_netns "$BATS_TEST_TMPDIR/local/minibox" --ip 10.200.1.2/24 true
	assert_equal "${#stderr_lines[@]}" 2 # the error, then the hint
	assert_stderr_regex '^minibox: RTM_NEWADDR\(mb-[0-9a-f]{12}, 10\.200\.1\.1/24\): Invalid argument$'
	assert_stderr_regex "^hint: the kernel found no local address in the request: is the address sent as the interface's local one\?$"
	run -125 --separate-stderr in_test_netns "$BATS_TEST_TMPDIR/gateway/minibox" --ip 10.200.1.2/24 true
	assert_equal "${#stderr_lines[@]}" 2
	assert_stderr_regex '^minibox: RTM_NEWROUTE\(default via 10\.200\.1\.1\): No such device$'
	assert_stderr_regex '^hint: the route leads nowhere: is the gateway sent\?$'
	run -125 --separate-stderr in_test_netns "$BATS_TEST_TMPDIR/down/minibox" --ip 10.200.1.2/24 true
	assert_equal "${#stderr_lines[@]}" 2
	assert_stderr_regex '^minibox: RTM_NEWROUTE\(default via 10\.200\.1\.1\): Network is unreachable$'
	assert_stderr_regex '^hint: the gateway is on no subnet of a link that is up: is eth0 given its address and brought up before the route\?$'
	# lo alone: no mb-ID left behind (the kernel deletes the pair with the
	# container's namespace, a moment after the container ends)
	wait_until lo_alone_in_test_netns
}

# bats test_tags=once
@test "-v narrates the rtnetlink messages on both sides" {
	make_test_netns
	run -0 --separate-stderr in_test_netns "$MB_REAL" -v --ip 10.200.1.2/24 true
	assert_stderr_regex '^minibox: clone3\(flags=[A-Z_|]*CLONE_NEWNET[A-Z_|]*, exit_signal=SIGCHLD\)'
	assert_stderr_regex '^minibox: RTM_NEWLINK\(mb-[0-9a-f]{12}, veth, peer eth0 in the netns of [0-9]+\) = 0$'
	assert_stderr_regex '^minibox: RTM_GETLINK\(mb-[0-9a-f]{12}\): its peer is in another namespace$'
	assert_stderr_regex '^minibox: RTM_NEWADDR\(mb-[0-9a-f]{12}, 10\.200\.1\.1/24\) = 0$'
	assert_stderr_regex '^minibox: child: RTM_NEWLINK\(lo, IFF_UP\) = 0$'
	assert_stderr_regex '^minibox: child: RTM_NEWADDR\(eth0, 10\.200\.1\.2/24\) = 0$'
	assert_stderr_regex '^minibox: child: RTM_NEWROUTE\(default via 10\.200\.1\.1\) = 0$'
}

@test "the host is left clean: no process, mount, interface, cgroup or state file" {
	assert_host_clean
}
