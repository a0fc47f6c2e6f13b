/*
 * minibox, chapter 05-net: the container gets its own network stack.
 *
 * Chapter 04 plus one idea: CLONE_NEWNET gives the child a network
 * namespace of its own: its own interfaces, addresses, routes and ports.
 * It starts with a loopback interface that is down; the child brings it up.
 * With --ip (root only), minibox also creates a veth pair, a virtual cable:
 * one end (mb-ID, 12 random hex digits) stays on the host, the other (eth0) goes into the
 * container, each with an address, and the container routes through the
 * host end. All of it with rtnetlink messages, the kernel interface that
 * the ip command uses.
 *
 *   cc -std=gnu11 -Wall -Wextra -o minibox minibox.c
 *   sudo ./minibox --ip 10.200.1.2/24 -- ping -c 1 10.200.1.1
 */
#define _GNU_SOURCE /* the CLONE_* flags */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <linux/openat2.h> /* struct open_how */
#include <linux/sched.h> /* struct clone_args */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The new mount API: open_tree(2), move_mount(2) (Linux 5.2) and
 * mount_setattr(2) (5.12). glibc 2.36 defines these in <sys/mount.h>;
 * with an older C library, the kernel's values. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The exit codes of docker run and podman run: a script can tell a failure
 * of minibox from a failure of the command. */
enum {
	EXIT_MINIBOX = 125,    /* minibox itself failed */
	EXIT_CANNOT_RUN = 126, /* the command exists but cannot be run */
	EXIT_NOT_FOUND = 127,  /* there is no such command */
};

#define MAX_BINDS 16
#define MAX_MAPS 8
#define DEFAULT_ROOTFS "./rootfs"

/* One line of a uid_map or gid_map: COUNT ids from INSIDE on stand for
 * the host's ids from OUTSIDE on. */
struct id_map {
	unsigned long inside, outside, count;
};

/* A --bind HOST:CONTAINER[:ro] folder. */
struct bind {
	char host[PATH_MAX];
	const char *container;
	int readonly;
	int fd; /* a detached copy of the host folder (open_tree), or -1 */
};

/* What the command line asked for: the program's one global variable (a
 * few functions keep a buffer of their own, static). */
static struct options {
	int verbose;
	int timings;                /* --timings: -v with a clock */
	struct timespec started;    /* when --timings started it */
	int init;
	const char *hostname;
	const char *rootfs;
	struct bind binds[MAX_BINDS];
	int nbinds;
	struct id_map uid_maps[MAX_MAPS], gid_maps[MAX_MAPS];
	int nuid_maps, ngid_maps;
	const char *ip;             /* --ip as given, or NULL: loopback only */
	struct in_addr ip_addr;     /* the container's address (eth0) */
	struct in_addr host_addr;   /* the host end's: the first of the subnet */
	int prefix;
	char **command;
} opt = { .hostname = "minibox", .rootfs = DEFAULT_ROOTFS };

/* What the parent hands to the child. */
struct child_args {
	int sync[2];        /* a pipe: minibox writes "go" into [1], the child reads [0] */
	ino_t host_mnt_ns;  /* minibox's mount namespace, which the child must leave */
};

/* ---------------------------------------------------------------- output */

/* A flag and its name in the man page, for -v. */
struct flag_name {
	unsigned long flag;
	const char *name;
};

/* The namespaces clone3() can make; the chapters add them one by one. */
static const struct flag_name clone_flags[] = {
	{ CLONE_NEWUSER, "CLONE_NEWUSER" }, { CLONE_NEWUTS, "CLONE_NEWUTS" },
	{ CLONE_NEWPID, "CLONE_NEWPID" },   { CLONE_NEWNS, "CLONE_NEWNS" },
	{ CLONE_NEWNET, "CLONE_NEWNET" },   { CLONE_NEWIPC, "CLONE_NEWIPC" },
	{ CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { 0, NULL },
};

/* The mount(2) flags this chapter uses. */
static const struct flag_name mount_flags[] = {
	{ MS_RDONLY, "MS_RDONLY" },   { MS_NOSUID, "MS_NOSUID" }, { MS_NODEV, "MS_NODEV" },
	{ MS_NOEXEC, "MS_NOEXEC" },   { MS_BIND, "MS_BIND" },
	{ MS_REC, "MS_REC" },         { MS_PRIVATE, "MS_PRIVATE" }, { 0, NULL },
};

/* Spell out FLAGS for -v, e.g. "CLONE_NEWUTS|CLONE_NEWPID". */
static const char *flag_names(unsigned long flags, const struct flag_name *names)
{
	static char buf[256];

	buf[0] = '\0';
	for (; names->name; names++) {
		if (flags & names->flag) {
			strcat(buf, buf[0] ? "|" : "");
			strcat(buf, names->name);
		}
	}
	return buf[0] ? buf : "0";
}

/* "minibox: WHAT[: WHY]" on stderr, in one write(2), so that the lines of
 * minibox and of its child never mix. STAMP (--timings) puts the
 * milliseconds since minibox started in front, by the wall clock: a time
 * namespace (chapter 09) shifts the monotonic clocks of the child. */
static void report(int err, int stamp, const char *fmt, va_list ap)
{
	char when[32] = "", what[512], line[640];
	struct timespec now;
	int len;

	if (stamp && clock_gettime(CLOCK_REALTIME, &now) == 0)
		snprintf(when, sizeof(when), "%8.3f ms  ", (now.tv_sec - opt.started.tv_sec) * 1e3 +
			 (now.tv_nsec - opt.started.tv_nsec) / 1e6);
	vsnprintf(what, sizeof(what), fmt, ap);
	len = snprintf(line, sizeof(line), "minibox: %s%s%s%s\n", when, what, err ? ": " : "",
		       err ? strerror(err) : "");
	if (len > (int)sizeof(line) - 1) { /* cut short, but still a line */
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, len) == -1)
		return; /* nowhere left to complain */
}

/* Say what went wrong, then stop with 125. ERR is the errno of the call
 * that failed, or 0 when the input is at fault. A HINT, if any, says on a
 * second line what to do. */
static void __attribute__((noreturn, format(printf, 3, 4)))
stop(int err, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(err, 0, fmt, ap);
	va_end(ap);
	if (hint)
		fprintf(stderr, "hint: %s\n", hint);
	exit(EXIT_MINIBOX);
}

/* The names the code calls stop() by. die() hands on errno as it is where
 * die() is written: call it straight after the call that failed, before
 * anything that may change errno. */
#define die(...) stop(errno, NULL, __VA_ARGS__) /* a call failed: which one, and why */
#define fail(...) stop(0, NULL, __VA_ARGS__)    /* the input is wrong: what, and why */
#define die_hint(hint, ...) stop(errno, hint, __VA_ARGS__) /* die(), and what to do */
#define fail_hint(hint, ...) stop(0, hint, __VA_ARGS__)     /* fail(), and what to do */

/* -v: tell the audience about each kernel call as it happens; --timings:
 * the same lines, with a clock. */
static void __attribute__((format(printf, 1, 2))) narrate(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose && !opt.timings)
		return;
	va_start(ap, fmt);
	report(0, opt.timings, fmt, ap);
	va_end(ap);
}

/* --------------------------------------------------------------- signals */

/* The signals minibox waits for with sigwait(): SIGCHLD, when a child ends, and
 * the ones minibox passes on. */
static void waited_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);

	/* The signals a person sends to stop or poke a program: kill's
	 * default SIGTERM, Ctrl-C's SIGINT, Ctrl-\'s SIGQUIT, SIGHUP, SIGUSR1,
	 * SIGUSR2. minibox passes them on to the container, and --init to the
	 * command. */
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* Block them. Blocked, a signal waits in the kernel until sigwait() takes
 * it, so none is lost between clone3() and wait_for_child(). */
static void block_signals(void)
{
	sigset_t set;

	waited_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		die("sigprocmask(SIG_BLOCK)");
}

/* Signal state passes through clone and exec. A caller that ignores
 * SIGCHLD (some init scripts and Perl programs do) makes the kernel reap our
 * child before waitpid() can see it; a shell without job control (a
 * script) starts `minibox ... &` with SIGINT and SIGQUIT ignored; a
 * blocked signal stays
 * blocked. Start from what a new process has: every signal at its default
 * action, none blocked. */
static void reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* SIGKILL, SIGSTOP and glibc's own refuse: fine */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		die("sigprocmask(SIG_SETMASK, none)");
}

/* Start from the state a new process has, whatever our caller left us:
 * default signals, and no descriptors but stdin, stdout and stderr. A
 * descriptor the caller left open would reach the command, and an open
 * directory of the host's leads out of any container (runc's CVE-2024-21626).
 * SIGPIPE alone is ignored, by minibox only: a write to a child that died
 * must fail with EPIPE, not kill us without a word. */
static void start_clean(void)
{
	reset_signals();
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal(SIGPIPE, SIG_IGN)");
	if (close_range(3, ~0U, 0) == -1)
		die("close_range(3, ~0U, 0)");
}

/* How a child ended, as the exit status minibox reports. */
static int exit_status(pid_t pid, int status, const char *who)
{
	if (WIFSIGNALED(status)) {
		narrate("%swaitpid(%d): killed by signal %d (%s)", who, pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	narrate("%swaitpid(%d): exited with %d", who, pid, WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

/* Wait for PID to end and return its exit status. Meanwhile pass on every
 * forwarded signal to it, and reap any other child that ends: as an init,
 * the orphans of the container become our children. WHO starts the -v lines. */
static int wait_for_child(pid_t pid, const char *who)
{
	sigset_t waited;
	pid_t ended;
	int sig, status;

	waited_signals(&waited);
	for (;;) {
		if (sigwait(&waited, &sig) != 0)
			die("sigwait");
		if (sig != SIGCHLD) {
			/* LAB 02: pass the signal on to PID */
			/* GOAL LAB 02: A signal that reaches minibox or the init is passed on
			 * to the command: with --init, SIGTERM sent to minibox ends the
			 * container with 143; a command that has just ended is no error here.
			 * For -v narrate "PREFIXkill(PID, SIG): passing on NAME" (the who
			 * prefix, the PID, the number, its name from strsignal()). Read
			 * pid_namespaces(7) and kill(2). Checked by "signals sent to minibox
			 * reach the container's PID 1", "with --init, SIGTERM sent to minibox
			 * on the host ends the container with 143". */
			/* HINT LAB 02 1: man 7 pid_namespaces: the kernel drops a signal sent
			 * to a namespace's init that has no handler for it; man 2 kill, ERRORS. */
			/* HINT LAB 02 2: sigwait() handed you the number of a signal meant for
			 * the container: send that same number on to the command. The command
			 * may be gone already: that error means nothing here, the reaping below
			 * deals with it; any other is fatal (die()). */
			/* HINT LAB 02 3: narrate(...); if (kill(pid, sig) == -1 && errno !=
			 * ESRCH) die("kill(%d, %d)", pid, sig); */
			narrate("%skill(%d, %d): passing on %s", who, pid, sig, strsignal(sig));
			if (kill(pid, sig) == -1 && errno != ESRCH)
				die("kill(%d, %d)", pid, sig);
			/* END LAB 02 */
			continue;
		}
		/* One SIGCHLD may stand for several children: reap them all. */
		while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
			if (ended == pid)
				return exit_status(pid, status, who);
			narrate("%swaitpid(-1) = %d: reaped an orphan", who, ended);
		}
	}
}

/* -------------------------------------------------------------- rtnetlink */

/* A request to the kernel's routing socket: the netlink header, a fixed
 * part (struct ifinfomsg, ifaddrmsg or rtmsg), then attributes, each a
 * (length, type, value) triple that may hold attributes of its own. */
struct nl_request {
	struct nlmsghdr hdr;
	char body[1024];
};

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd == -1)
		die("socket(AF_NETLINK, NETLINK_ROUTE)");
	return fd;
}

/* Start a request: TYPE (RTM_NEWLINK, ...), FLAGS, and the fixed part. */
static void nl_start(struct nl_request *req, int type, int flags, const void *fixed, size_t len)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req->hdr.nlmsg_len = NLMSG_LENGTH(len);
	memcpy(NLMSG_DATA(&req->hdr), fixed, len);
}

/* Append an attribute. It is returned, so that it can be the start of a
 * nest: attributes appended after it belong in it once nl_end() is called. */
static struct rtattr *nl_attr(struct nl_request *req, int type, const void *value, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->hdr.nlmsg_len));

	if (NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_SPACE(len) > sizeof(*req))
		fail("netlink request too long");
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), value, len);
	req->hdr.nlmsg_len = NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

/* Close a nest: it now spans everything appended since it was opened. */
static void nl_end(struct nl_request *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->hdr.nlmsg_len - (char *)nest;
}

/* What a veth request's errno most likely means, for the hint line: a
 * nest left open makes the kernel read past it. */
static const char *newlink_hint(int err)
{
	if (err == ERANGE)
		return "an attribute runs past its nest: is the outermost nest, the link's"
		       " information, closed with nl_end()?";
	if (err == EOPNOTSUPP)
		return "the kernel found no veth settings it knows: is the nest of the kind's data"
		       " closed?";
	return NULL;
}

/* What a refused address or route request's errno most likely means, for
 * the hint line: an IPv4 address must be sent as the local one; a route
 * with no gateway leads nowhere; and a gateway is reachable only through a
 * link that is up with an address on its subnet. */
static const char *addr_route_hint(int type, int err)
{
	if (type == RTM_NEWADDR && err == EINVAL)
		return "the kernel found no local address in the request: is the address sent as"
		       " the interface's local one?";
	if (type == RTM_NEWROUTE && err == ENODEV)
		return "the route leads nowhere: is the gateway sent?";
	if (type == RTM_NEWROUTE && err == ENETUNREACH)
		return "the gateway is on no subnet of a link that is up: is eth0 given its address"
		       " and brought up before the route?";
	return NULL;
}

/* Send the request; the kernel answers with an NLMSG_ERROR message whose
 * error is 0 for success, or minus an errno. WHAT says it for -v. */
static void nl_talk(int fd, struct nl_request *req, const char *who, const char *what)
{
	struct {
		struct nlmsghdr hdr;
		struct nlmsgerr err;
	} ack;
	ssize_t n;

	if (send(fd, req, req->hdr.nlmsg_len, 0) == -1)
		die("send(%s)", what);
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n == -1)
		die("recv(%s)", what);
	if (n < (ssize_t)sizeof(ack) || ack.hdr.nlmsg_type != NLMSG_ERROR)
		fail("%s: the kernel's answer is not an acknowledgement", what);
	if (ack.err.error) {
		errno = -ack.err.error;
		if (req->hdr.nlmsg_type == RTM_NEWLINK && newlink_hint(errno))
			die_hint(newlink_hint(errno), "%s", what);
		if (addr_route_hint(req->hdr.nlmsg_type, errno))
			die_hint(addr_route_hint(req->hdr.nlmsg_type, errno), "%s", what);
		die("%s", what);
	}
	narrate("%s%s = 0", who, what);
}

static int index_of(const char *name)
{
	int index = if_nametoindex(name);

	if (index == 0)
		die("if_nametoindex(%s)", name);
	return index;
}

/* ip link set NAME up */
static void link_up(int fd, const char *name, const char *who)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index_of(name),
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nl_request req;
	char what[64];

	nl_start(&req, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s, IFF_UP)", name);
	nl_talk(fd, &req, who, what);
}

/* ip link add HOST_END type veth peer name eth0 netns PID: one message
 * makes both ends, and puts the peer in the network namespace of PID. */
static void create_veth(int fd, const char *host_end, pid_t pid)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_request req;
	char what[128];

	nl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	/* LAB 05: append the attributes with nl_attr(): IFLA_IFNAME host_end; an
	 * IFLA_LINKINFO nest holding IFLA_INFO_KIND "veth" and an IFLA_INFO_DATA nest,
	 * which holds a VETH_INFO_PEER nest (value: an ifinfomsg) with IFLA_IFNAME
	 * "eth0" and IFLA_NET_NS_PID pid (a uint32_t); close each nest with nl_end(),
	 * innermost first */
	/* GOAL LAB 05: The message asks the kernel for a veth pair: this end named host_end, in
	 * our namespace, and its peer, named "eth0", created directly in the network namespace
	 * of the child pid, in one request, with every nested attribute closed so that its
	 * length covers what it holds. Read rtnetlink(7) (RTM_NEWLINK, the link attributes),
	 * and veth(4); the helpers above add one attribute or open a nest and close it. The
	 * kernel's refusals are turned into hints (see nl_talk()). Checked by "with --ip, the
	 * container and the host end ping each other", "a veth request with a nest left open",
	 * "-v narrates the rtnetlink messages on both sides". */
	/* HINT LAB 05 1: man 7 rtnetlink (RTM_NEWLINK and its attributes); man 4 veth; the
	 * kernel's own definitions are in /usr/include/linux/if_link.h and linux/veth.h: read
	 * which attribute may hold which. */
	/* HINT LAB 05 2: A link's type is described inside a nest of link information: a kind
	 * (the string "veth") and a nest of data for that kind. For veth that data holds one
	 * nest describing the peer, whose value starts like a link of its own (a struct
	 * ifinfomsg, zeroed) followed by the peer's own attributes: its name and the namespace,
	 * by PID, it is born in. A nest is closed after everything inside it, innermost first. */
	/* HINT LAB 05 3: nl_attr IFLA_IFNAME host_end; linkinfo = nl_attr(IFLA_LINKINFO, NULL,
	 * 0); nl_attr IFLA_INFO_KIND "veth"; data = nl_attr(IFLA_INFO_DATA, NULL, 0); peer =
	 * nl_attr(VETH_INFO_PEER, &ifi, sizeof(ifi)); nl_attr IFLA_IFNAME "eth0"; nl_attr
	 * IFLA_NET_NS_PID (a uint32_t pid); nl_end(peer), nl_end(data), nl_end(linkinfo). */
	struct rtattr *linkinfo, *data, *peer;
	uint32_t ns_pid = pid;

	nl_attr(&req, IFLA_IFNAME, host_end, strlen(host_end) + 1);
	linkinfo = nl_attr(&req, IFLA_LINKINFO, NULL, 0);
	nl_attr(&req, IFLA_INFO_KIND, "veth", 5);
	data = nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
	/* the peer is described like a link of its own: ifinfomsg first */
	peer = nl_attr(&req, VETH_INFO_PEER, &ifi, sizeof(ifi));
	nl_attr(&req, IFLA_IFNAME, "eth0", 5);
	nl_attr(&req, IFLA_NET_NS_PID, &ns_pid, sizeof(ns_pid));
	nl_end(&req, peer);
	nl_end(&req, data);
	nl_end(&req, linkinfo);
	/* END LAB 05 */
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s, veth, peer eth0 in the netns of %d)",
		 host_end, pid);
	nl_talk(fd, &req, "", what);
}

/* ip address add ADDRESS/PREFIX dev NAME */
static void add_address(int fd, const char *name, struct in_addr addr, int prefix, const char *who)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = prefix,
				 .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = index_of(name) };
	struct nl_request req;
	char what[96];

	nl_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	/* LAB 05: append the address with nl_attr() twice, as IFA_LOCAL and as
	 * IFA_ADDRESS (they differ only on a point-to-point link) */
	/* GOAL LAB 05: The interface gets the address addr/prefix: afterwards ip addr inside
	 * shows it, and the subnet's route comes with it. Read rtnetlink(7), RTM_NEWADDR and
	 * its attributes. Checked by "with --ip, the container and the host end ping each
	 * other", "-v narrates the rtnetlink messages on both sides", "an address or a route the
	 * kernel refuses". */
	/* HINT LAB 05 1: man 7 rtnetlink, RTM_NEWADDR: the struct ifaddrmsg is filled in above;
	 * what is missing is attributes. */
	/* HINT LAB 05 2: An IPv4 address is given twice: as the local address, and as the
	 * address of the interface (the far end on a point-to-point link; on ours the same
	 * value). */
	/* HINT LAB 05 3: nl_attr(&req, IFA_LOCAL, &addr, sizeof(addr)); nl_attr(&req,
	 * IFA_ADDRESS, &addr, sizeof(addr)); */
	nl_attr(&req, IFA_LOCAL, &addr, sizeof(addr));
	nl_attr(&req, IFA_ADDRESS, &addr, sizeof(addr));
	/* END LAB 05 */
	snprintf(what, sizeof(what), "RTM_NEWADDR(%s, %s/%d)", name, inet_ntoa(addr), prefix);
	nl_talk(fd, &req, who, what);
}

/* ip route add default via GATEWAY */
static void add_default_route(int fd, struct in_addr gateway, const char *who)
{
	struct rtmsg rt = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN,
			    .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
			    .rtm_type = RTN_UNICAST };
	struct nl_request req;
	char what[96];

	nl_start(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	/* LAB 05: append the gateway with nl_attr() as RTA_GATEWAY: no RTA_DST and a
	 * prefix length of 0 make the route the default */
	/* GOAL LAB 05: The container's packets for any address outside its subnet go to gateway
	 * (the host end): an address beyond the subnet answers a ping from inside. Read
	 * rtnetlink(7), RTM_NEWROUTE, and ip-route(8) for what a default route is. Checked by
	 * "with --ip, the default route leads through the host end", "-v narrates the rtnetlink
	 * messages on both sides", "an address or a route the kernel refuses". */
	/* HINT LAB 05 1: man 7 rtnetlink, RTM_NEWROUTE; man 8 ip-route: "default" is the route
	 * to 0.0.0.0/0. */
	/* HINT LAB 05 2: The struct rtmsg above already says a unicast route of the main table
	 * with a destination prefix of 0 bits, and gives no destination: that is the default
	 * route. What it lacks is where to send the packets. */
	/* HINT LAB 05 3: nl_attr(&req, RTA_GATEWAY, &gateway, sizeof(gateway)); */
	nl_attr(&req, RTA_GATEWAY, &gateway, sizeof(gateway));
	/* END LAB 05 */
	snprintf(what, sizeof(what), "RTM_NEWROUTE(default via %s)", inet_ntoa(gateway));
	nl_talk(fd, &req, who, what);
}

/* --------------------------------------------------------- the child side */

/* The kernel closes minibox's end of the sync pipe when minibox dies: a
 * hang-up on our end means that it is gone. */
static int minibox_died(int fd)
{
	struct pollfd hangup = { .fd = fd };

	if (poll(&hangup, 1, 0) == -1)
		die("poll(sync pipe)");
	return hangup.revents & POLLHUP;
}

/* Wait until minibox says "go" (later chapters set things up from outside
 * first), and make sure this process never outlives minibox (PID 1 of its
 * own PID namespace, it takes every process in it along; a set-user-ID or
 * set-group-ID command as PID 1 cancels the request, prctl(2): use --init). */
static void wait_for_go(int sync[2])
{
	char go;
	ssize_t n;

	close(sync[1]); /* our copy of minibox's end would keep the pipe open */
	/* Ask the kernel to SIGKILL us when minibox dies. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		die("prctl(PR_SET_PDEATHSIG)");
	n = read(sync[0], &go, 1);
	if (n == -1)
		die("read(sync pipe)");
	/* End of file, or a hang-up after "go", means that minibox died,
	 * maybe before our prctl(), and the signal will never come. It said
	 * why if it could: leave quietly. */
	if (n == 0 || minibox_died(sync[0]))
		exit(EXIT_MINIBOX);
	narrate("child: prctl(PR_SET_PDEATHSIG, SIGKILL) = 0, read(sync pipe) = \"go\"");
}

/* A new network namespace has one interface, lo, and it is down: bring it
 * up, so that 127.0.0.1 works. With --ip, minibox has put eth0 here: give
 * it its address, bring it up, and route everything through the host end. */
static void setup_network(void)
{
	int fd = nl_open();

	/* LAB 05: bring lo up; with --ip, give eth0 its address, bring it up, add a
	 * default route via the host end */
	/* GOAL LAB 05: Inside, lo is up (127.0.0.1 answers); with --ip, eth0 has
	 * opt.ip_addr/opt.prefix, is up, and the default route leads through the host end
	 * (opt.host_addr). Each step goes through the helpers above, with the prefix "child: "
	 * so that -v prints the lines the tests read: "child: RTM_NEWLINK(lo, IFF_UP) = 0",
	 * "child: RTM_NEWADDR(eth0, ADDRESS/PREFIX) = 0", "child: RTM_NEWROUTE(default via
	 * HOST-END) = 0". Read rtnetlink(7). Checked by "without --ip, the container has one
	 * interface, lo, and it is up", "127.0.0.1 answers inside", "with --ip, the default
	 * route leads through the host end", "-v narrates the rtnetlink messages on both
	 * sides". */
	/* HINT LAB 05 1: man 7 rtnetlink; man 8 ip-link: a new network namespace starts with lo
	 * down and nothing else. */
	/* HINT LAB 05 2: Three helpers of this file do one rtnetlink request each: bring a link
	 * up, give it an address, add a default route. lo first, always; the rest only when an
	 * address was asked for, in the order address, up, route (a route needs its gateway
	 * reachable). */
	/* HINT LAB 05 3: link_up(fd, "lo", "child: "); if (opt.ip) { add_address(fd, "eth0",
	 * opt.ip_addr, opt.prefix, "child: "); link_up(fd, "eth0", "child: ");
	 * add_default_route(fd, opt.host_addr, "child: "); } */
	link_up(fd, "lo", "child: ");
	if (opt.ip) {
		add_address(fd, "eth0", opt.ip_addr, opt.prefix, "child: ");
		link_up(fd, "eth0", "child: ");
		add_default_route(fd, opt.host_addr, "child: ");
	}
	/* END LAB 05 */
	close(fd);
}

/* Take the ids that are root in the new user namespace. Until now we kept
 * the host's: as root with --uid-map 0:100000:65536, host uid 0 is not
 * mapped at all. Capabilities in the new namespace let us switch. */
static void become_root(int sync_fd)
{
	/* LAB 04: become gid 0, then uid 0, of the new user namespace (setresgid(),
	 * setresuid()); drop the host's supplementary groups with setgroups(0, NULL)
	 * where the kernel allows it: after "deny" in setgroups (an ordinary user's
	 * map) it fails with EPERM, and there are none to drop */
	/* GOAL LAB 04: Inside, id prints uid=0 gid=0: the child becomes root of its new user
	 * namespace, group first, and leaves behind the host's supplementary groups where the
	 * kernel lets it (not after "deny" was written for an ordinary user's map: there it is
	 * refused with EPERM, and that is fine). For -v narrate "child: setresgid(0, 0, 0) = 0,
	 * setresuid(0, 0, 0) = 0: root of the user namespace". Read user_namespaces(7) and
	 * credentials(7). Checked by "inside, the command is root: uid 0 and gid 0", "as root
	 * with --uid-map 0:100000:65536, the host's supplementary groups are dropped". */
	/* HINT LAB 04 1: man 7 user_namespaces (how a process gets its ids in a new namespace,
	 * and the setgroups file); man 7 credentials: real, effective and saved ids. */
	/* HINT LAB 04 2: The maps are written; the child still carries the overflow ids until
	 * it sets its own. Set all three group ids, then all three user ids (after the user id
	 * changes it may no longer change groups), then empty the list of supplementary groups,
	 * tolerating the refusal that "deny" causes. */
	/* HINT LAB 04 3: setresgid(0, 0, 0); setresuid(0, 0, 0); if (setgroups(0, NULL) == -1
	 * && errno != EPERM) die(...); narrate(...). */
	if (setresgid(0, 0, 0) == -1)
		die("setresgid(0, 0, 0)");
	if (setresuid(0, 0, 0) == -1)
		die("setresuid(0, 0, 0)");
	/* Where setgroups is "deny" (an ordinary user's default map), the
	 * kernel refuses: the host's groups stay ours. Inside they show as
	 * 65534 (nobody), and file access checks still count them. */
	if (setgroups(0, NULL) == -1 && errno != EPERM)
		die("setgroups(0, NULL)");
	narrate("child: setresgid(0, 0, 0) = 0, setresuid(0, 0, 0) = 0: root of the user namespace");
	/* END LAB 04 */
	/* A change of ids clears the parent-death signal (prctl(2)): ask for
	 * it again, and make sure minibox did not die in between. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		die("prctl(PR_SET_PDEATHSIG)");
	if (minibox_died(sync_fd))
		exit(EXIT_MINIBOX);
}

/* Give the container its own hostname. */
static void setup_uts(void)
{
	/* LAB 01: set the hostname; in a new UTS namespace the host keeps its own */
	/* GOAL LAB 01: Inside the container, hostname prints the name given with --hostname
	 * (opt.hostname, "minibox" by default), and the host keeps its own. For -v narrate
	 * "child: sethostname(\"NAME\") = 0", which the tests read. Read uts_namespaces(7) and
	 * gethostname(2). Checked by "the container sees the hostname it was given", "-v
	 * narrates CLONE_NEWUTS and sethostname()". */
	/* HINT LAB 01 1: man 7 uts_namespaces: what a UTS namespace holds; man 2 gethostname:
	 * the call that changes the name, and how it takes the length. */
	/* HINT LAB 01 2: This runs in the child, which is in a UTS namespace of its own by now:
	 * changing the name here changes only the container's. The name is given with its
	 * length, without the final NUL; a failure ends minibox with die(), which prints
	 * "minibox: what: why". */
	/* HINT LAB 01 3: if (sethostname(opt.hostname, strlen(opt.hostname)) == -1)
	 * die("sethostname(%s)", opt.hostname); narrate("child: sethostname(\"%s\") = 0",
	 * opt.hostname); */
	if (sethostname(opt.hostname, strlen(opt.hostname)) == -1)
		die("sethostname(%s)", opt.hostname);
	narrate("child: sethostname(\"%s\") = 0", opt.hostname);
	/* END LAB 01 */
}

/* ----------------------------------------------------------------- mounts */

/* The inode number that names one of our namespaces ("mnt", "pid", ...). */
static ino_t namespace_of_self(const char *type)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	if (stat(path, &st) == -1)
		die("stat(%s)", path);
	return st.st_ino;
}

/* A safety net, for labs above all: without CLONE_NEWNS, the mounts below
 * and pivot_root() would rearrange the host's own tree. */
static void check_mount_namespace_is_new(ino_t host_mnt_ns)
{
	if (namespace_of_self("mnt") == host_mnt_ns)
		fail("the child is still in the host's mount namespace (no CLONE_NEWNS?):"
		     " refusing to mount anything");
}

/* A path inside the new root, as we reach it before pivot_root(): from
 * our working directory, which is the rootfs (see bind_rootfs()). The
 * buffer is reused: use the result before the next call. */
static const char *in_rootfs(const char *path)
{
	static char buf[PATH_MAX + 2];

	snprintf(buf, sizeof(buf), ".%s", path);
	return buf;
}

/* mount(2), checked and narrated: the container's mounts go here, all but
 * sysfs (mount_sys() calls mount() itself, to handle its EPERM from 04 on). */
static void mount_or_die(const char *source, const char *target,
			 const char *fstype, unsigned long flags, const char *data)
{
	if (mount(source, target, fstype, flags, data) == -1)
		die("mount(%s, %s, %s, %s)", source ? source : "NULL", target,
		    fstype ? fstype : "NULL", flag_names(flags, mount_flags));
	narrate("child: mount(%s, %s, %s, %s, %s) = 0", source ? source : "NULL",
		target, fstype ? fstype : "NULL", flag_names(flags, mount_flags),
		data ? data : "NULL");
}

/* mkdir -p inside the rootfs, never through a symlink. A rootfs may come
 * from anywhere, and a link in it, sys -> /etc say, would make us create
 * folders (and mount) on the host's side. openat2(2) with
 * RESOLVE_NO_SYMLINKS checks each folder before the next one is made in it
 * (mkdir() itself does not follow a link in the last place). */
static void make_dirs(const char *path)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH };
	char buf[PATH_MAX * 2], *slash;
	int fd;

	snprintf(buf, sizeof(buf), "%s", path);
	for (slash = strchr(buf + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			die("mkdir(%s)", buf);
		fd = syscall(SYS_openat2, AT_FDCWD, buf, &how, sizeof(how));
		if (fd == -1 && (errno == ELOOP || errno == ENOTDIR || errno == EXDEV))
			fail("%s in the rootfs: a symlink or not a folder; minibox follows no link"
			     " there (give the path it points to)", buf + 1);
		if (fd == -1)
			die("openat2(%s, RESOLVE_NO_SYMLINKS)", buf);
		close(fd);
		if (!slash)
			return;
		*slash = '/';
	}
}

/* Our new mount namespace starts as a copy of the host's, with the same
 * propagation: on a systemd host / is "shared", and every mount we make
 * would appear on the host too. Cut that link first. */
static void make_mounts_private(void)
{
	/* LAB 03: make every mount in our namespace private (MS_REC | MS_PRIVATE) with
	 * mount_or_die(), which narrates it for -v */
	/* GOAL LAB 03: No mount made in our new mount namespace reaches the host, and none of
	 * the host's reaches us, even where / is shared (systemd makes it so): every mount
	 * here, / and all below it, stops taking part in propagation before anything is
	 * mounted. mount_or_die() prints the -v line the tests read, "child: mount(NULL, /,
	 * NULL, FLAGS, NULL) = 0", FLAGS the two flags of that one call as it names them. Read
	 * mount_namespaces(7), "Shared subtrees". Checked by "on a host whose / is shared (as
	 * systemd makes it), no mount leaks out", "-v narrates the private tree". */
	/* HINT LAB 03 1: man 7 mount_namespaces, SHARED SUBTREES: the four propagation types; a
	 * new mount namespace copies the peer groups of the host's mounts. */
	/* HINT LAB 03 2: Change the propagation type of the mount at / and, recursively, of
	 * every mount below it, to the type that neither sends nor receives events. No source,
	 * no file system type, no data: only the flags. */
	/* HINT LAB 03 3: mount_or_die(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL); */
	mount_or_die(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	/* END LAB 03 */
}

/* SHOW LAB 03: The new root must be a mount point: make the rootfs, our working
 * directory since before clone3() (our copy of the mount table kept it so), one:
 * a copy of its tree attached on itself, and we step onto the copy. We never look
 * the rootfs up by its path. */
/* pivot_root() wants the new root to be a mount point: bind it on itself.
 * minibox made the rootfs our working directory before clone3(), and our
 * copy of the mount table kept it so. Clone the tree at "." (open_tree),
 * put the copy on top of it (move_mount), and step onto the copy (fchdir):
 * we never look the rootfs up by its path. mount(".", ".", MS_BIND) would
 * leave our working directory on the covered folder, below the copy. */
static void bind_rootfs(void)
{
	int fd;

	/* LAB 03: clone the tree at "." (our working directory, the rootfs) with
	 * open_tree(), move the copy onto "." with move_mount()
	 * (MOVE_MOUNT_F_EMPTY_PATH: the descriptor is the copy), fchdir onto it; call
	 * both through syscall(SYS_open_tree, ...) and syscall(SYS_move_mount, ...):
	 * glibc before 2.36 has no wrappers, and Debian 12's man pages have no page for
	 * them (mount_setattr(2)'s example uses both) */
	/* GOAL LAB 03: Our working directory (the rootfs) becomes a mount point: a copy of the
	 * tree at "." (with the mounts below it) is attached on "." itself, and we stand in
	 * that copy, so that the root can be switched to it. The C library may lack wrappers
	 * for the calls: syscall(2) reaches them. Read mount_namespaces(7); the example program
	 * in mount_setattr(2) uses the calls you need. Checked by "/ inside is the rootfs: a
	 * file only the rootfs has is there", "the old root is gone". */
	/* HINT LAB 03 1: man 2 mount_setattr, EXAMPLES: the program there makes a detached copy
	 * of a tree and attaches it elsewhere; man 2 syscall. */
	/* HINT LAB 03 2: Three steps: clone the tree at "." into a detached mount you hold by a
	 * descriptor (recursively, close-on-exec); move that mount onto "."; change directory
	 * to the copy through the descriptor (the old "." is now under it). Narrate them and
	 * close the descriptor. */
	/* HINT LAB 03 3: fd = syscall(SYS_open_tree, AT_FDCWD, ".", OPEN_TREE_CLONE |
	 * AT_RECURSIVE | OPEN_TREE_CLOEXEC); syscall(SYS_move_mount, fd, "", AT_FDCWD, ".",
	 * MOVE_MOUNT_F_EMPTY_PATH); fchdir(fd); close(fd). */
	fd = syscall(SYS_open_tree, AT_FDCWD, ".", OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
	if (fd == -1)
		die("open_tree(%s, OPEN_TREE_CLONE|AT_RECURSIVE)", opt.rootfs);
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) == -1)
		die("move_mount(copy of %s, \".\")", opt.rootfs);
	if (fchdir(fd) == -1)
		die("fchdir(copy of %s)", opt.rootfs);
	narrate("child: open_tree(\".\", OPEN_TREE_CLONE|AT_RECURSIVE) = %d, move_mount(%d, \".\") = 0,"
		" fchdir(%d) = 0: the rootfs is a mount point", fd, fd, fd);
	close(fd);
	/* END LAB 03 */
}

/* Make the mount at PATH read-only, and with RECURSIVE the mounts below it
 * too. mount_setattr(2) changes only the attribute it is given. A remount
 * (MS_REMOUNT | MS_RDONLY) would reset the others, and a mount copied from
 * the host into a user namespace is locked: it may not lose nosuid, nodev,
 * noexec or its atime setting, or a fake root could undo what the host's
 * root decided. The kernel would refuse the remount with EPERM. */
static void make_read_only(const char *path, int recursive)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &ro,
		    sizeof(ro)) == -1)
		die("mount_setattr(%s, MOUNT_ATTR_RDONLY)", path);
	narrate("child: mount_setattr(%s, %s, MOUNT_ATTR_RDONLY) = 0", path,
		recursive ? "AT_RECURSIVE" : "0");
}

/* /sys: sysfs, read-only, so the container may look but not touch. */
static void mount_sys(void)
{
	make_dirs(in_rootfs("/sys"));
	if (mount("sysfs", in_rootfs("/sys"), "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0) {
		narrate("child: mount(sysfs, %s, sysfs, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0",
			in_rootfs("/sys"));
		return;
	}
	if (errno != EPERM)
		die("mount(sysfs, %s, sysfs)", in_rootfs("/sys"));
	/* LAB 04: sysfs is refused (EPERM): bind the host's /sys instead, with the
	 * mounts below it (MS_BIND | MS_REC), then make them all read-only:
	 * make_read_only(in_rootfs("/sys"), 1) */
	/* GOAL LAB 04: In a user namespace that does not own the network namespace, the kernel
	 * refuses a new sysfs: the container gets the host's /sys instead, the mounts below it
	 * too, and all of it read-only, down to the deepest mount (/sys/fs/cgroup included).
	 * For -v narrate "child: mount(sysfs) = EPERM: not our network namespace, bind the
	 * host's /sys instead". Read mount_namespaces(7), user_namespaces(7) and mount(2).
	 * Checked by "every mount at or below /sys is read-only". */
	/* HINT LAB 04 1: man 2 mount: a bind mount, recursive; man 7 mount_namespaces and
	 * user_namespaces: the flags a copied mount keeps locked. */
	/* HINT LAB 04 2: Bind the host's /sys (and every mount below it) onto the rootfs's
	 * /sys, then make that whole subtree read-only with the helper of this chapter that
	 * takes a "recursive" argument: a read-only top alone leaves the mounts below writable. */
	/* HINT LAB 04 3: mount_or_die("/sys", in_rootfs("/sys"), NULL, MS_BIND | MS_REC, NULL);
	 * make_read_only(in_rootfs("/sys"), 1); */
	/* sysfs shows the network devices of the namespace that mounts it, so
	 * the kernel lets only a user namespace that owns the network
	 * namespace mount it: until chapter 05, ours does not. */
	narrate("child: mount(sysfs) = EPERM: not our network namespace, bind the host's /sys instead");
	mount_or_die("/sys", in_rootfs("/sys"), NULL, MS_BIND | MS_REC, NULL);
	make_read_only(in_rootfs("/sys"), 1);
	/* END LAB 04 */
}

/* A /proc of our own PID namespace (now ps shows only the container),
 * /sys read-only, and an empty /tmp in memory. */
static void mount_pseudo_filesystems(void)
{
	/* LAB 03: mount proc on /proc, sysfs read-only on /sys (mount_sys()), tmpfs on
	 * /tmp; make_dirs() each mount point first, as mount_sys() does */
	/* GOAL LAB 03: Inside, ps sees only the container's processes (a /proc of our PID
	 * namespace, no setuid, device or exec use), /sys is read-only (mount_sys() does it)
	 * and /tmp is a fresh empty tmpfs, writable by all with the sticky bit. Each mount
	 * point is made first. Read proc(5), tmpfs(5), mount(2). Checked by "ps inside lists
	 * only the container's processes", "/sys is read-only and /tmp is a fresh, empty
	 * tmpfs", "/proc is mounted nosuid, nodev and noexec, /tmp nosuid and nodev with mode
	 * 1777". */
	/* HINT LAB 03 1: man 5 proc (mounting it), man 5 tmpfs (its mode= option), man 2 mount
	 * (the flags a pseudo file system should get). */
	/* HINT LAB 03 2: Three mounts below the rootfs, each at in_rootfs(path) after
	 * make_dirs(): proc, then the helper for /sys, then a tmpfs for /tmp with mode 1777.
	 * proc gets nosuid, nodev and noexec; the tmpfs nosuid and nodev. */
	/* HINT LAB 03 3: make_dirs(in_rootfs("/proc")); mount_or_die("proc",
	 * in_rootfs("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); mount_sys();
	 * make_dirs(in_rootfs("/tmp")); mount_or_die("tmpfs", in_rootfs("/tmp"), "tmpfs",
	 * MS_NOSUID | MS_NODEV, "mode=1777"); */
	make_dirs(in_rootfs("/proc"));
	mount_or_die("proc", in_rootfs("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_sys();
	make_dirs(in_rootfs("/tmp"));
	mount_or_die("tmpfs", in_rootfs("/tmp"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	/* END LAB 03 */
}

/* One device of the host's, bind-mounted onto an empty file in /dev. */
static void bind_device(const char *name)
{
	char host[64];
	int fd;

	snprintf(host, sizeof(host), "/dev/%s", name);
	fd = open(in_rootfs(host), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd == -1)
		die("open(%s)", in_rootfs(host));
	close(fd);
	mount_or_die(host, in_rootfs(host), NULL, MS_BIND, NULL);
}

/* A minimal /dev on a tmpfs: the devices every program expects, a pty
 * instance of our own, and /dev/shm. The devices are bind mounts of the
 * host's, not mknod(): in a user namespace (chapter 04) the kernel refuses
 * to create device nodes, but it lets us bind the existing ones. */
static void populate_dev(void)
{
	static const char *devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *links[][2] = { { "pts/ptmx", "/dev/ptmx" }, { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" } };
	size_t i;

	/* LAB 03: make_dirs() each mount point, then a tmpfs on /dev (mode=755); bind
	 * each host device of devices[] into it (bind_device()); devpts on /dev/pts
	 * (newinstance,ptmxmode=0666); a tmpfs on /dev/shm; the symlinks of links[]
	 * (ptmx, fd, stdin, stdout, stderr): the tests look for every one of these
	 * names */
	/* GOAL LAB 03: Inside, /dev is a small tmpfs (mode 755) of our own holding exactly the
	 * usual devices of devices[] (bound from the host, bind_device() does one), /dev/pts as
	 * a new devpts instance (ptmxmode 0666, mode 0620), /dev/shm as a tmpfs (1777), and the
	 * symlinks of links[]: the tests look for every one of these names, and for none of the
	 * host's disks. Read pts(4), tmpfs(5), symlink(7). Checked by "/dev holds the usual
	 * devices, bound from the host, and none of the host's disks", "/dev is a nosuid tmpfs
	 * of mode 755, /dev/pts nosuid and noexec with ptmx 0666, /dev/shm nosuid, nodev and
	 * 1777". */
	/* HINT LAB 03 1: man 4 pts (devpts and newinstance), man 5 tmpfs, man 2 symlink. */
	/* HINT LAB 03 2: Make each mount point, then: tmpfs on /dev (nosuid); the devices, one
	 * helper call each; devpts on /dev/pts (nosuid, noexec) with its options; tmpfs on
	 * /dev/shm (nosuid, nodev); last the symlinks (links[i][0] is the target, links[i][1]
	 * the name). */
	/* HINT LAB 03 3: mount_or_die("tmpfs", in_rootfs("/dev"), "tmpfs", MS_NOSUID,
	 * "mode=755"); bind_device() each; mount_or_die("devpts", ..., MS_NOSUID | MS_NOEXEC,
	 * "newinstance,ptmxmode=0666,mode=0620"); tmpfs on /dev/shm "mode=1777";
	 * symlink(links[i][0], in_rootfs(links[i][1])). */
	make_dirs(in_rootfs("/dev"));
	mount_or_die("tmpfs", in_rootfs("/dev"), "tmpfs", MS_NOSUID, "mode=755");
	for (i = 0; i < ARRAY_SIZE(devices); i++)
		bind_device(devices[i]);
	make_dirs(in_rootfs("/dev/pts"));
	mount_or_die("devpts", in_rootfs("/dev/pts"), "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620");
	make_dirs(in_rootfs("/dev/shm"));
	mount_or_die("tmpfs", in_rootfs("/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	for (i = 0; i < ARRAY_SIZE(links); i++) {
		if (symlink(links[i][0], in_rootfs(links[i][1])) == -1)
			die("symlink(%s, %s)", links[i][0], in_rootfs(links[i][1]));
	}
	/* END LAB 03 */
}

/* SHOW LAB 03: Copy each --bind folder now, while we look paths up as the host
 * sees them: a detached copy of the folder and of the mounts below it, which the
 * child attaches in its own tree (bind_folders()). WHO starts the -v lines. */
/* Copy each --bind folder now, while we look paths up as the host sees
 * them: open_tree(OPEN_TREE_CLONE) makes a detached copy of the folder's
 * mount (and, AT_RECURSIVE, those below it), which the child attaches in
 * its own tree (bind_folders()). WHO starts the -v lines. */
static void copy_bind_folders(const char *who)
{
	int i;

	for (i = 0; i < opt.nbinds; i++) {
		struct bind *b = &opt.binds[i];

		/* LAB 03: make a detached copy of b->host with
		 * open_tree(OPEN_TREE_CLONE | AT_RECURSIVE), through
		 * syscall(SYS_open_tree, ...), into b->fd */
		/* GOAL LAB 03: b->fd holds a detached copy of the host folder b->host and of
		 * every mount below it, taken now while paths still resolve as the host sees
		 * them; it is attached inside later. For -v narrate it with the prefix who.
		 * Read mount_namespaces(7); the example in mount_setattr(2) makes such a copy.
		 * Checked by "a --bind folder is shared both ways", ":ro reaches the mounts
		 * below a --bind folder". */
		/* HINT LAB 03 1: man 2 mount_setattr, EXAMPLES; man 2 syscall (no glibc wrapper
		 * before 2.36). */
		/* HINT LAB 03 2: The same kind of copy bind_rootfs() makes of ".", of b->host
		 * this time, kept by its descriptor until the folder is attached in the
		 * container. */
		/* HINT LAB 03 3: b->fd = syscall(SYS_open_tree, AT_FDCWD, b->host,
		 * OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC); on -1 die(); narrate(). */
		b->fd = syscall(SYS_open_tree, AT_FDCWD, b->host,
				OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
		if (b->fd == -1)
			die("open_tree(%s, OPEN_TREE_CLONE|AT_RECURSIVE)", b->host);
		narrate("%sopen_tree(%s, OPEN_TREE_CLONE|AT_RECURSIVE) = %d", who, b->host, b->fd);
		/* END LAB 03 */
	}
}

/* --bind: the host's folder appears at its place in the container, and
 * changes show on both sides. minibox made a detached copy of each folder
 * (copy_bind_folders()): attach it, make it private (a copy of a shared
 * mount would pass the container's mounts back to the host), and with :ro
 * read-only, the mounts below it included. */
static void bind_folders(void)
{
	struct mount_attr attr = { .propagation = MS_PRIVATE };
	int i;

	for (i = 0; i < opt.nbinds; i++) {
		struct bind *b = &opt.binds[i];

		/* LAB 03: make_dirs() b->container (it follows no symlink of the
		 * rootfs: a test plants one), attach the copy b->fd there (move_mount),
		 * then make it private, read-only for :ro (mount_setattr on b->fd with
		 * AT_EMPTY_PATH | AT_RECURSIVE: the mounts below it too) */
		/* GOAL LAB 03: The copy b->fd appears at b->container in the rootfs (the mount
		 * point made without following any symlink of the rootfs: a test plants one),
		 * private, and read-only with the mounts below it when b->readonly. Read
		 * mount_namespaces(7) and mount_setattr(2). Checked by "a --bind folder is
		 * shared both ways", "a :ro --bind folder refuses writes", ":ro reaches the
		 * mounts below a --bind folder", "a symlink in the rootfs is not followed". */
		/* HINT LAB 03 1: man 2 mount_setattr (struct mount_attr; changing a detached or
		 * attached mount by descriptor, recursively). */
		/* HINT LAB 03 2: make_dirs() the mount point; move the detached copy there by
		 * its descriptor; then change its attributes through the same descriptor, for
		 * it and every mount below it: propagation private, read-only if asked (attr is
		 * ready, only attr_set is left). Narrate, close the descriptor. */
		/* HINT LAB 03 3: syscall(SYS_move_mount, b->fd, "", AT_FDCWD,
		 * in_rootfs(b->container), MOVE_MOUNT_F_EMPTY_PATH); attr.attr_set =
		 * b->readonly ? MOUNT_ATTR_RDONLY : 0; syscall(SYS_mount_setattr, b->fd, "",
		 * AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)); close(b->fd). */
		make_dirs(in_rootfs(b->container));
		if (syscall(SYS_move_mount, b->fd, "", AT_FDCWD, in_rootfs(b->container),
			    MOVE_MOUNT_F_EMPTY_PATH) == -1)
			die("move_mount(copy of %s, %s)", b->host, in_rootfs(b->container));
		attr.attr_set = b->readonly ? MOUNT_ATTR_RDONLY : 0;
		if (syscall(SYS_mount_setattr, b->fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			    sizeof(attr)) == -1)
			die("mount_setattr(%s, AT_RECURSIVE)", in_rootfs(b->container));
		narrate("child: move_mount(%d, %s) = 0, mount_setattr(%d, AT_RECURSIVE, MS_PRIVATE%s) = 0",
			b->fd, in_rootfs(b->container), b->fd, b->readonly ? ", MOUNT_ATTR_RDONLY" : "");
		close(b->fd);
		/* END LAB 03 */
	}
}

/* SHOW LAB 03: Make the rootfs our root, and take the old root away, so that no
 * path leads back to the host's files. */
/* Make the rootfs our root. pivot_root(".", ".") puts the new root at /
 * and stacks the old root on the same spot; umount2() with MNT_DETACH then
 * takes the old root away, so that no path leads back to the host's files. */
static void enter_new_root(void)
{
	/* LAB 03: pivot_root(".", ".") (our working directory is the rootfs), detach
	 * the old root with umount2(".", MNT_DETACH), chdir("/"); narrate() each call
	 * for -v as the tests read it: child: pivot_root(".", ".") = 0, then child:
	 * umount2(".", MNT_DETACH) = 0 */
	/* GOAL LAB 03: The rootfs (our working directory, a mount point now) becomes "/", the
	 * host's old root is gone from our mount table, and we stand at the new "/". For -v
	 * narrate each of the two kernel calls as the other lines do, "child: CALL(ARGS) = 0",
	 * the first ending ", in ROOTFS", the second ": the old root is gone"; the tests read
	 * the first's call name, each result and those endings. Read pivot_root(2), NOTES
	 * (new_root and put_old the same). Checked by "the old root is gone", "-v narrates the
	 * private tree, pivot_root() and the detach of the old root". */
	/* HINT LAB 03 1: man 2 pivot_root, NOTES: "pivot_root(\".\", \".\")" stacks the old
	 * root on top of the new one; man 2 umount2 for the lazy detach. */
	/* HINT LAB 03 2: After the switch, "." is the old root, mounted over the new one:
	 * detach it lazily (processes may still use it), then go to "/". */
	/* HINT LAB 03 3: syscall(SYS_pivot_root, ".", "."); umount2(".", MNT_DETACH);
	 * chdir("/"); die() on each failure, narrate() as quoted. */
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		die("pivot_root(%s)", opt.rootfs);
	narrate("child: pivot_root(\".\", \".\") = 0, in %s", opt.rootfs);
	if (umount2(".", MNT_DETACH) == -1)
		die("umount2(old root, MNT_DETACH)");
	narrate("child: umount2(\".\", MNT_DETACH) = 0: the old root is gone");
	if (chdir("/") == -1)
		die("chdir(/)");
	/* END LAB 03 */
}

/* Build the container's filesystem tree, then move into it. Everything is
 * mounted below the rootfs first, while the host's paths (its /dev, the
 * --bind folders) are still within reach. */
static void setup_mounts(const struct child_args *args)
{
	check_mount_namespace_is_new(args->host_mnt_ns);
	make_mounts_private();
	if (opt.nbinds > 0 && opt.binds[0].fd == -1)
		copy_bind_folders("child: "); /* in the namespace we own */
	bind_rootfs();
	mount_pseudo_filesystems();
	populate_dev();
	bind_folders();
	enter_new_root();
	/* The host's PATH names the host's directories: use the usual one. */
	if (setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1) == -1)
		die("setenv(PATH)");
}

/* Replace this process with the command. Only returns on failure. */
static void exec_command(char **command)
{
	int err;

	narrate("child: execvp(\"%s\", ...)", command[0]);
	/* The command writes to the same stdout: hand it an empty buffer. */
	fflush(stdout);
	reset_signals(); /* exec keeps what is ignored or blocked: minibox ignores SIGPIPE */
	execvp(command[0], command);
	err = errno; /* before fprintf(), which may change it (stderr closed, say) */
	fprintf(stderr, "minibox: execvp(%s): %s\n", command[0], strerror(err));
	exit(err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
}

/* --init: stay as PID 1, run the command as PID 2, and do what an init
 * must: reap the orphans that the kernel hands to PID 1, and pass signals
 * on, since the kernel drops the ones PID 1 has no handler for. Exits with
 * the command's status, like tini and docker run --init. */
static void run_init(void)
{
	/* LAB 02: as PID 1, fork the command (exec_command() in the child); for -v
	 * narrate() "child: init: fork() = PID, the command"; then exit with
	 * wait_for_child(): it reaps orphans and passes signals on until the command
	 * ends */
	/* GOAL LAB 02: With --init, PID 1 is minibox's init and the command is PID 2, the
	 * init's child: the init then reaps every orphan and passes signals on until the
	 * command ends, and exits with the command's status. For -v narrate "child: init:
	 * fork() = PID, the command", which the tests read. Read pid_namespaces(7) and fork(2).
	 * Checked by "with --init, the command is PID 2 and the init is PID 1", "with --init,
	 * an orphaned grandchild is reaped while the container runs", "-v narrates
	 * CLONE_NEWPID, and with --init the fork() of the command". */
	/* HINT LAB 02 1: man 2 fork, RETURN VALUE; man 7 pid_namespaces: the init of a
	 * namespace, and the orphans it inherits. */
	/* HINT LAB 02 2: After the call there are two processes: in the child, become the
	 * command (a helper of this file does the exec); the parent is the init, and a helper
	 * of this file waits, reaps orphans and passes signals on; its result is the exit
	 * status. */
	/* HINT LAB 02 3: pid_t pid = fork(); if (pid == -1) die("fork"); if (pid == 0)
	 * exec_command(opt.command); narrate(...); exit(wait_for_child(pid, "child: init: ")); */
	pid_t pid = fork();

	if (pid == -1)
		die("fork");
	if (pid == 0)
		exec_command(opt.command);
	narrate("child: init: fork() = %d, the command", pid);
	exit(wait_for_child(pid, "child: init: "));
	/* END LAB 02 */
}

/* The child starts here, in a copy of minibox's memory. It never returns. */
static void __attribute__((noreturn)) child_main(struct child_args *args)
{
	/* Nothing runs before "go": what minibox sets up from outside must be
	 * in place first. */
	wait_for_go(args->sync);
	/* Root of the new user namespace first: every step below needs the
	 * capabilities that root has there. */
	become_root(args->sync[0]);
	setup_uts();
	/* The network next. The kernel asks for no order here: the child is
	 * in its network namespace from clone3() on. */
	setup_network();
	/* The mounts last: after pivot_root() the host's paths (its devices,
	 * the --bind folders) are out of reach. */
	setup_mounts(args);
	if (opt.init)
		run_init(); /* does not return: it exits with the command's status */
	exec_command(opt.command);
	exit(EXIT_MINIBOX); /* not reached: exec_command() exits on failure */
}

/* -------------------------------------------------------- the parent side */

/* The new namespaces this chapter asks clone3() for. Each chapter adds its
 * flag here. */
static int namespace_flags(void)
{
	int flags = 0;

	/* LAB 01: ask for a new UTS namespace: a hostname of the child's own */
	/* GOAL LAB 01: The child is created in a UTS namespace of its own: the hostname it sets
	 * is not the host's; its /proc/PID/ns entry differs from the host's, and -v shows the
	 * request in the clone3() line. Read uts_namespaces(7) and the table of namespace types
	 * in namespaces(7). Checked by "the container's UTS namespace differs from the host's". */
	/* HINT LAB 01 1: man 7 namespaces: the table of namespace types and the flag that asks
	 * for each; man 7 uts_namespaces. */
	/* HINT LAB 01 2: The flags returned here go to clone3() when it creates the child: one
	 * more bit in them asks for the new namespace. */
	/* HINT LAB 01 3: flags |= CLONE_NEWUTS; */
	flags |= CLONE_NEWUTS;
	/* END LAB 01 */
	/* LAB 02: ask for a new PID namespace: the child will be its PID 1 */
	/* GOAL LAB 02: The child is created in a PID namespace of its own, in which it is PID
	 * 1; its /proc/PID/ns entry differs from the host's, and -v shows the request in the
	 * clone3() line. Read pid_namespaces(7) and the table of namespace types in
	 * namespaces(7). Checked by "the command is PID 1". */
	/* HINT LAB 02 1: man 7 namespaces: the table of namespace types and the flag that asks
	 * for each; man 7 pid_namespaces. */
	/* HINT LAB 02 2: The flags returned here go to clone3() when it creates the child: one
	 * more bit in them asks for the new namespace. */
	/* HINT LAB 02 3: flags |= CLONE_NEWPID; */
	flags |= CLONE_NEWPID;
	/* END LAB 02 */
	/* LAB 03: ask for a new mount namespace: a mount table of the child's own */
	/* GOAL LAB 03: The child is created in a mount namespace of its own: a mount table it
	 * may change without touching the host's; its /proc/PID/ns entry differs from the
	 * host's, and -v shows the request in the clone3() line. Read mount_namespaces(7) and
	 * the table of namespace types in namespaces(7). Checked by "the container's mount
	 * namespace differs from the host's". */
	/* HINT LAB 03 1: man 7 namespaces: the table of namespace types and the flag that asks
	 * for each; man 7 mount_namespaces. */
	/* HINT LAB 03 2: The flags returned here go to clone3() when it creates the child: one
	 * more bit in them asks for the new namespace. */
	/* HINT LAB 03 3: flags |= CLONE_NEWNS; */
	flags |= CLONE_NEWNS;
	/* END LAB 03 */
	/* LAB 04: ask for a new user namespace: ids of the child's own, and the others
	 * belong to it */
	/* GOAL LAB 04: The child is created in a user namespace of its own: ids of its own, and
	 * the other new namespaces belong to it; its /proc/PID/ns entry differs from the
	 * host's, and -v shows the request in the clone3() line. Read user_namespaces(7) and
	 * the table of namespace types in namespaces(7). Checked by "the container's user
	 * namespace differs from the host's". */
	/* HINT LAB 04 1: man 7 namespaces: the table of namespace types and the flag that asks
	 * for each; man 7 user_namespaces. */
	/* HINT LAB 04 2: The flags returned here go to clone3() when it creates the child: one
	 * more bit in them asks for the new namespace. */
	/* HINT LAB 04 3: flags |= CLONE_NEWUSER; */
	flags |= CLONE_NEWUSER;
	/* END LAB 04 */
	/* LAB 05: ask for a new network namespace: interfaces, addresses and routes of its own */
	/* GOAL LAB 05: The child is created in a network namespace of its own: interfaces,
	 * addresses and routes of its own; its /proc/PID/ns entry differs from the host's, and
	 * -v shows the request in the clone3() line. Read network_namespaces(7) and the table
	 * of namespace types in namespaces(7). Checked by "the container's network namespace
	 * differs from the host's". */
	/* HINT LAB 05 1: man 7 namespaces: the table of namespace types and the flag that asks
	 * for each; man 7 network_namespaces. */
	/* HINT LAB 05 2: The flags returned here go to clone3() when it creates the child: one
	 * more bit in them asks for the new namespace. */
	/* HINT LAB 05 3: flags |= CLONE_NEWNET; */
	flags |= CLONE_NEWNET;
	/* END LAB 05 */
	return flags;
}

/* The child finds its root filesystem as its working directory: a new
 * mount namespace keeps the working directory, moved onto the copy of its
 * mount. So the child never looks the rootfs up by path, through folders
 * it may have no right to enter (chapter 04 shows why that matters). */
static void enter_rootfs_dir(void)
{
	/* LAB 03: chdir into the rootfs: the child inherits this working directory */
	/* GOAL LAB 03: The rootfs (opt.rootfs) is minibox's working directory before the child
	 * is created, so that the child starts there (it works with relative paths from then
	 * on). For -v narrate the call as the other lines do, "CALL(ROOTFS) = 0". Read chdir(2)
	 * and clone(2) (what a child inherits). Checked by "/ inside is the rootfs: a file only
	 * the rootfs has is there". */
	/* HINT LAB 03 1: man 2 chdir; man 2 clone: the child inherits the working directory. */
	/* HINT LAB 03 2: Change directory in minibox itself, before the child exists; a failure
	 * is fatal with the path in the message. */
	/* HINT LAB 03 3: if (chdir(opt.rootfs) == -1) die("chdir(%s)", opt.rootfs);
	 * narrate("chdir(%s) = 0", opt.rootfs); */
	if (chdir(opt.rootfs) == -1)
		die("chdir(%s)", opt.rootfs);
	narrate("chdir(%s) = 0", opt.rootfs);
	/* END LAB 03 */
}

/* Create the child with clone3(): like fork(), but the flags choose what
 * the child gets new instead of sharing it with us. glibc has no wrapper
 * for it, so we make the system call ourselves. */
static pid_t start_child(struct child_args *args)
{
	struct clone_args ca = {
		.flags = namespace_flags(),
		.exit_signal = SIGCHLD, /* tell us when it ends, as fork() does */
	};
	pid_t pid;

	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == -1 && (errno == EPERM || errno == ENOSPC) && geteuid() != 0)
		die_hint("this host restricts user namespaces for ordinary users"
			 " (AppArmor, sysctl): scripts/check-env.sh says what to change",
			 "clone3(%s)", flag_names(ca.flags, clone_flags));
	if (pid == -1)
		die("clone3(%s)", flag_names(ca.flags, clone_flags));
	if (pid == 0)
		child_main(args); /* like fork(), the child returns here with 0 */
	narrate("clone3(flags=%s, exit_signal=SIGCHLD) = %d (host pid)",
		flag_names(ca.flags, clone_flags), pid);
	return pid;
}

/* Write TEXT into the kernel file PATH, in one write(2): the kernel reads
 * a map, or a limit, whole. -v shows the first line of it. */
static void write_file(const char *path, const char *text)
{
	int first = strcspn(text, "\n");
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("write(%s, \"%.*s\")", path, first, text);
	close(fd);
	narrate("write(%s, \"%.*s%s\")", path, first, text,
		text[first] && text[first + 1] ? "\\n..." : "");
}

/* /proc/PID names a process of the PID namespace that mounted /proc. Run
 * from a PID namespace without a /proc of its own (`unshare --pid --fork`
 * without --mount-proc), /proc/CHILD would be somebody else's: refuse. */
static void check_proc_is_ours(void)
{
	char link[32] = "", self[32];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	snprintf(self, sizeof(self), "%d", getpid());
	if (n > 0 && (link[n] = '\0', strcmp(link, self) == 0))
		return;
	fail_hint("mount a /proc of this PID namespace first, e.g. unshare --pid --fork --mount-proc",
		 "/proc is not this PID namespace's: /proc/self is \"%s\", minibox is %s", link, self);
}

/* Write one /proc/PID file of the child's. (If we die, the child sees the
 * sync pipe close and leaves.) */
static void write_child_file(pid_t pid, const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	write_file(path, text);
}

/* One map as the kernel reads it: "INSIDE OUTSIDE COUNT" lines. */
static const char *map_text(const struct id_map *maps, int n)
{
	static char text[MAX_MAPS * 40];
	int i;

	text[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%lu %lu %lu\n",
			 maps[i].inside, maps[i].outside, maps[i].count);
	return text;
}

static void run_id_helper(pid_t pid, const char *helper, const struct id_map *maps, int n);

/* Tell the kernel which host ids the child's ids stand for, while it waits
 * for "go". The child's user namespace is ours to map: we made it. */
static void write_id_maps(pid_t pid)
{
	/* LAB 04: write the child's maps with write_child_file(), which narrates them
	 * for -v: uid_map, then (for an ordinary user) "deny" to setgroups, then
	 * gid_map; by default "0 UID 1" with your own uid (getuid()) and gid
	 * (getgid()); --uid-map and --gid-map as given (map_text()), or, when minibox
	 * is not root, through run_id_helper(pid, "newuidmap", ...) and "newgidmap" */
	/* GOAL LAB 04: The child's ids are mapped before it is told to go: uid_map first, then
	 * (for an ordinary user) setgroups denied, then gid_map; by default "0 UID 1" and "0
	 * GID 1" with your own ids; --uid-map and --gid-map as given (map_text() formats them),
	 * or, when minibox is not root, through run_id_helper(pid, "newuidmap", ...) and
	 * "newgidmap". write_child_file() prints the -v lines the tests read:
	 * write(/proc/PID/uid_map, "0 UID 1") and the same for gid_map. Read
	 * user_namespaces(7), "User and group ID mappings" and "Interaction with system calls"
	 * (setgroups), newuidmap(1). Checked by "the default maps are container 0 to the
	 * invoking user, one id each", "-v narrates the uid_map and gid_map writes, before go",
	 * "as an ordinary user, a range /etc/subuid grants goes through newuidmap". */
	/* HINT LAB 04 1: man 7 user_namespaces, "User and group ID mappings: uid_map and
	 * gid_map" and the paragraphs on /proc/PID/setgroups; man 1 newuidmap. */
	/* HINT LAB 04 2: Who may write which map: root may write any range; an ordinary user
	 * only one line mapping their own id, and for the group map only after "deny" is in
	 * setgroups; anything else needs the setuid helpers, which check /etc/subuid. Build a
	 * struct id_map for the default; write uid first. */
	/* HINT LAB 04 3: struct id_map own_uid = { 0, getuid(), 1 }, own_gid = { 0, getgid(), 1
	 * }; if (opt.nuid_maps > 0 && geteuid() != 0) run_id_helper(pid, "newuidmap", ...);
	 * else write_child_file(pid, "uid_map", map_text(...)); same for gid, with
	 * write_child_file(pid, "setgroups", "deny") first when geteuid() != 0. */
	struct id_map own_uid = { 0, getuid(), 1 }, own_gid = { 0, getgid(), 1 };

	if (opt.nuid_maps > 0 && geteuid() != 0) {
		run_id_helper(pid, "newuidmap", opt.uid_maps, opt.nuid_maps);
	} else {
		write_child_file(pid, "uid_map", opt.nuid_maps ? map_text(opt.uid_maps, opt.nuid_maps)
							      : map_text(&own_uid, 1));
	}
	if (opt.ngid_maps > 0 && geteuid() != 0) {
		run_id_helper(pid, "newgidmap", opt.gid_maps, opt.ngid_maps);
		return;
	}
	/* Without CAP_SETGID, mapping a group needs setgroups() off first:
	 * else the child could drop a group that denies it access to a file. */
	if (geteuid() != 0)
		write_child_file(pid, "setgroups", "deny");
	write_child_file(pid, "gid_map", opt.ngid_maps ? map_text(opt.gid_maps, opt.ngid_maps)
						      : map_text(&own_gid, 1));
	/* END LAB 04 */
}

/* A name for what this container creates on the host: 12 random hex
 * digits. Not a PID: every PID namespace numbers its processes from 1, so
 * two minibox in sibling PID namespaces can have the same PID. */
static void make_container_id(char id[13])
{
	unsigned char bytes[6];
	int i;

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		die("getrandom");
	for (i = 0; i < 6; i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
}

/* The peer must be in the child's network namespace. The peer's nest,
 * closed too early, loses the peer's own attributes: the kernel then
 * makes it here, as veth0, where no namespace's end would ever delete the
 * pair. The kernel tells where a link's peer is: IFLA_LINK_NETNSID, sent
 * only when the peer is in another namespace. If it is not, delete the
 * pair by the name we chose, and say why. */
static void check_peer_moved(int fd, const char *host_end)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_request req;
	char answer[4096];
	struct nlmsghdr *hdr = (struct nlmsghdr *)answer;
	struct rtattr *attr;
	int len;
	ssize_t n;

	nl_start(&req, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	req.hdr.nlmsg_flags = NLM_F_REQUEST; /* the link is the answer: no ack */
	nl_attr(&req, IFLA_IFNAME, host_end, strlen(host_end) + 1);
	if (send(fd, &req, req.hdr.nlmsg_len, 0) == -1)
		die("send(RTM_GETLINK(%s))", host_end);
	n = recv(fd, answer, sizeof(answer), 0);
	if (n == -1)
		die("recv(RTM_GETLINK(%s))", host_end);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(ifi)) || hdr->nlmsg_type != RTM_NEWLINK)
		fail("RTM_GETLINK(%s): the kernel's answer is not a link", host_end);
	len = IFLA_PAYLOAD(hdr);
	for (attr = IFLA_RTA(NLMSG_DATA(hdr)); RTA_OK(attr, len); attr = RTA_NEXT(attr, len))
		if (attr->rta_type == IFLA_LINK_NETNSID) {
			narrate("RTM_GETLINK(%s): its peer is in another namespace", host_end);
			return;
		}
	nl_start(&req, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	nl_attr(&req, IFLA_IFNAME, host_end, strlen(host_end) + 1);
	nl_talk(fd, &req, "", "RTM_DELLINK(the pair, its peer in the host's namespace)");
	fail_hint("the peer's nest holds the peer's name and its namespace: close it after them",
		  "RTM_NEWLINK(%s): the peer was made in the host's network namespace, not the"
		  " container's", host_end);
}

/* --ip: lay the cable. The host end, mb-ID (IFNAMSIZ allows 15 characters;
 * the kernel refuses a name in use, it never takes it over), gets the
 * subnet's first address; eth0 goes straight into the child's network
 * namespace. When that namespace dies with the container, the kernel
 * deletes the pair. */
static void setup_host_end(pid_t pid, const char *id)
{
	char host_end[IFNAMSIZ];
	int fd;

	fd = nl_open();
	snprintf(host_end, sizeof(host_end), "mb-%s", id);
	create_veth(fd, host_end, pid);
	check_peer_moved(fd, host_end);
	add_address(fd, host_end, opt.host_addr, opt.prefix, "");
	link_up(fd, host_end, "");
	close(fd);
}

/* Tell the child to go on. We keep our end open until we exit: the child
 * watches it to know that we are alive. */
static void let_child_go(struct child_args *args)
{
	close(args->sync[0]);
	narrate("write(sync pipe, \"go\")");
	if (write(args->sync[1], "g", 1) != 1)
		die("write(sync pipe)");
}

/* -------------------------- aside: more ids than your own, for an ordinary user */

/* Run newuidmap or newgidmap PID C H N [C H N ...]: the setuid helpers
 * that write ranges /etc/subuid and /etc/subgid grant an ordinary user. */
static void run_id_helper(pid_t pid, const char *helper, const struct id_map *maps, int n)
{
	char args[MAX_MAPS * 3 + 2][24], *argv[MAX_MAPS * 3 + 3];
	int i, status;
	pid_t h;

	snprintf(args[0], sizeof(args[0]), "%s", helper);
	snprintf(args[1], sizeof(args[1]), "%d", pid);
	for (i = 0; i < n; i++) {
		snprintf(args[2 + 3 * i], sizeof(args[0]), "%lu", maps[i].inside);
		snprintf(args[3 + 3 * i], sizeof(args[0]), "%lu", maps[i].outside);
		snprintf(args[4 + 3 * i], sizeof(args[0]), "%lu", maps[i].count);
	}
	for (i = 0; i < 2 + 3 * n; i++)
		argv[i] = args[i];
	argv[i] = NULL;
	narrate("%s %s ...", helper, args[1]);
	h = fork();
	if (h == -1)
		die("fork(%s)", helper);
	if (h == 0) {
		reset_signals(); /* the helper gets a new process's signals, not ours */
		execvp(helper, argv);
		if (errno == ENOENT)
			_exit(EXIT_NOT_FOUND); /* the parent says what to install */
		fprintf(stderr, "minibox: execvp(%s): %s\n", helper, strerror(errno));
		_exit(EXIT_CANNOT_RUN);
	}
	if (waitpid(h, &status, 0) == -1)
		die("waitpid(%s)", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("%s for pid %d failed%s", helper, pid,
		     WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOT_FOUND
			     ? ": not installed (package uidmap)" : "");
}

/* ------------------------------------------------------ the command line */

/* Reading the options and checking their values: plumbing, which you may
 * skip. Every value is checked here, before anything is created, so that a
 * bad one leaves nothing behind. */

static void __attribute__((noreturn)) usage(FILE *out, int status)
{
	fputs("usage: minibox [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run COMMAND in its own user, UTS, PID, mount and network namespaces,\n"
	      "and wait for it.\n"
	      "\n"
	      "  --hostname NAME  hostname inside (default minibox)\n"
	      "  --init           a tiny init is PID 1: it reaps orphans and passes\n"
	      "                   signals on; COMMAND is PID 2\n"
	      "  --rootfs DIR     root filesystem to run in (default ./rootfs)\n"
	      "  --bind HOST:CONTAINER[:ro]\n"
	      "                   share the folder HOST at CONTAINER (repeatable)\n"
	      "  --uid-map C:H:N  container uids C.. are host uids H.. (N of them;\n"
	      "                   repeatable; default 0:your uid:1)\n"
	      "  --gid-map C:H:N  the same for group ids (default 0:your gid:1)\n"
	      "  --ip CIDR        root only: a veth pair to the host, eth0 inside with this\n"
	      "                   address, the host end mb-ID with the subnet's first\n"
	      "                   (default: loopback only)\n"
	      "  -v, --verbose  narrate each kernel call on stderr\n"
	      "  --timings      the same, each line stamped in milliseconds\n"
	      "  -h, --help     show this help\n"
	      "\n"
	      "Exit status: COMMAND's own; 128+N if a signal N killed it;\n"
	      "125 if minibox failed, 126 if COMMAND cannot be run, 127 if not found.\n",
	      out);
	exit(status);
}

/* The kernel takes 0 to HOST_NAME_MAX (64) bytes; an empty name is
 * refused by choice: a hostname that prints as nothing helps nobody. */
static void check_hostname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		fail("--hostname: empty, give 1 to %d characters", HOST_NAME_MAX);
	if (len > HOST_NAME_MAX)
		fail("--hostname: %zu characters, the limit is %d", len, HOST_NAME_MAX);
}

/* --rootfs: a directory. Keep its absolute path: the child changes directory. */
static void check_rootfs(void)
{
	static char path[PATH_MAX];
	struct stat st;

	if (!realpath(opt.rootfs, path) && errno == ENOENT && strcmp(opt.rootfs, DEFAULT_ROOTFS) == 0)
		die_hint("make rootfs builds " DEFAULT_ROOTFS " from the host's busybox", "--rootfs %s", opt.rootfs);
	if (!realpath(opt.rootfs, path) || stat(path, &st) == -1)
		die("--rootfs %s", opt.rootfs);
	if (!S_ISDIR(st.st_mode))
		fail("--rootfs %s: not a directory", opt.rootfs);
	opt.rootfs = path;
}

/* Does PATH have a ".." in it? It could lead out of the rootfs. */
static int has_dot_dot(const char *path)
{
	const char *p;

	for (p = strstr(path, "/.."); p; p = strstr(p + 1, "/.."))
		if (p[3] == '/' || p[3] == '\0')
			return 1;
	return 0;
}

/* --bind HOST:CONTAINER[:ro]: HOST is a folder on the host, CONTAINER the
 * absolute path where the container sees it. */
static void add_bind(char *arg)
{
	struct bind *b = &opt.binds[opt.nbinds];
	char *host = strdup(arg), *container, *mode;
	struct stat st;

	if (opt.nbinds == MAX_BINDS)
		fail("--bind %s: at most %d of them", arg, MAX_BINDS);
	container = host ? strchr(host, ':') : NULL;
	if (!container)
		fail("--bind %s: expected HOST:CONTAINER[:ro]", arg);
	*container++ = '\0';
	mode = strchr(container, ':');
	if (mode)
		*mode++ = '\0';
	if (mode && strcmp(mode, "ro") != 0)
		fail("--bind %s: unknown mode \"%s\", the only one is ro", arg, mode);
	if (container[0] != '/')
		fail("--bind %s: CONTAINER must be an absolute path", arg);
	if (has_dot_dot(container))
		fail("--bind %s: CONTAINER may not contain \"..\"", arg);
	if (!realpath(host, b->host) || stat(b->host, &st) == -1)
		die("--bind %s: %s", arg, host);
	if (!S_ISDIR(st.st_mode))
		fail("--bind %s: %s is not a directory", arg, host);
	b->container = container;
	b->readonly = mode != NULL;
	b->fd = -1;
	opt.nbinds++;
}

/* --uid-map/--gid-map C:H:N: three numbers, N > 0, and no overlap with the
 * ranges given before (the kernel would refuse the whole map). */
static void add_map(const char *option, const char *arg, struct id_map *maps, int *n)
{
	struct id_map m;
	char end;
	int i;

	/* digits and two colons only: sscanf alone would take " 5", "+5" or -1 */
	if (strspn(arg, "0123456789:") != strlen(arg) || !isdigit((unsigned char)arg[0]) ||
	    sscanf(arg, "%lu:%lu:%lu%c", &m.inside, &m.outside, &m.count, &end) != 3)
		fail("%s %s: expected CONTAINER:HOST:COUNT, three numbers", option, arg);
	if (m.count == 0 || m.inside > 4294967295UL || m.outside > 4294967295UL ||
	    m.count > 4294967295UL || m.inside + m.count > 4294967295UL ||
	    m.outside + m.count > 4294967295UL)
		fail("%s %s: COUNT must be 1 or more, and the range within 0..4294967294", option, arg);
	if (*n == MAX_MAPS)
		fail("%s %s: at most %d of them", option, arg, MAX_MAPS);
	for (i = 0; i < *n; i++) {
		if ((m.inside < maps[i].inside + maps[i].count && maps[i].inside < m.inside + m.count) ||
		    (m.outside < maps[i].outside + maps[i].count && maps[i].outside < m.outside + m.count))
			fail("%s %s: overlaps %lu:%lu:%lu", option, arg, maps[i].inside,
			     maps[i].outside, maps[i].count);
	}
	maps[(*n)++] = m;
}


/* An ordinary user may map only its own id by itself. Other ranges go
 * through the setuid helpers newuidmap/newgidmap, which allow what
 * /etc/subuid and /etc/subgid grant: lines NAME:FIRST:COUNT (or UID:...).
 * Check that a grant holds the host ids of map M. */
static void check_subids(const char *option, const char *file, unsigned id, const struct id_map *m)
{
	char line[256], who[64], *rest;
	struct passwd *pw = getpwuid(id);
	unsigned long first, count;
	FILE *f;

	if (geteuid() == 0)
		return;
	f = fopen(file, "r");
	while (f && fgets(line, sizeof(line), f)) {
		rest = strchr(line, ':');
		if (!rest || sscanf(rest, ":%lu:%lu", &first, &count) != 2)
			continue;
		snprintf(who, sizeof(who), "%.*s", (int)(rest - line), line);
		if (((pw && strcmp(who, pw->pw_name) == 0) || strtoul(who, NULL, 10) == id) &&
		    m->outside >= first && m->outside + m->count <= first + count) {
			fclose(f);
			return;
		}
	}
	if (f)
		fclose(f);
	fail_hint("root can grant a range (usermod --add-subuids, --add-subgids);"
		 " newuidmap and newgidmap come with the package uidmap",
		 "%s %lu:%lu:%lu: %s grants id %u no range that holds host ids %lu to %lu,"
		 " and only root may map other ids", option, m->inside, m->outside, m->count,
		 file, id, m->outside, m->outside + m->count - 1);
}

/* The child becomes uid 0 and gid 0 of its namespace: explicit maps must
 * give the container an id 0. An ordinary user's ranges need a grant. */
static void check_maps(const char *option, const struct id_map *maps, int n, const char *file,
		       unsigned id)
{
	int i, root = 0;

	for (i = 0; i < n; i++) {
		root |= maps[i].inside == 0;
		check_subids(option, file, id, &maps[i]);
	}
	if (n > 0 && !root)
		fail("%s: no range maps container id 0, the container's root", option);
}

/* --ip ADDRESS/PREFIX: the container's address. The host end takes the
 * first address of the subnet, so the container may not take it, nor the
 * network or the broadcast address; /31 and /32 leave no room for both. */
static void parse_ip(const char *arg)
{
	char addr[INET_ADDRSTRLEN], net_text[INET_ADDRSTRLEN], end;
	unsigned long ip, mask, net;
	int prefix;

	if (sscanf(arg, "%15[0-9.]/%d%c", addr, &prefix, &end) != 2 ||
	    inet_pton(AF_INET, addr, &opt.ip_addr) != 1)
		fail("--ip %s: expected ADDRESS/PREFIX, e.g. 10.200.1.2/24", arg);
	if (prefix < 1 || prefix > 30)
		fail("--ip %s: the prefix must be 1 to 30, room for a network, the host end,"
		     " the container and a broadcast address", arg);
	ip = ntohl(opt.ip_addr.s_addr);
	/* 127/8 is loopback, 224/4 multicast, 0/8 "this network": none can
	 * be an interface's address on a cable */
	if (ip >> 24 == 127 || ip >> 28 == 14 || ip >> 24 == 0)
		fail("--ip %s: a loopback, multicast or 0.x address; pick a private one,"
		     " e.g. 10.200.1.2/24", arg);
	mask = 0xffffffffUL << (32 - prefix) & 0xffffffffUL;
	net = ip & mask;
	opt.host_addr.s_addr = htonl(net + 1);
	inet_ntop(AF_INET, &(struct in_addr){ htonl(net) }, net_text, sizeof(net_text));
	if (ip == net)
		fail("--ip %s: that is the network address of %s/%d", arg, net_text, prefix);
	if (ip == (net | (~mask & 0xffffffffUL)))
		fail("--ip %s: that is the broadcast address of %s/%d", arg, net_text, prefix);
	if (ip == net + 1)
		fail("--ip %s: that is the host end's address (the first of %s/%d), pick another",
		     arg, net_text, prefix);
	opt.ip = arg;
	opt.prefix = prefix;
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hostname", required_argument, NULL, 'H' },
		{ "init", no_argument, NULL, 'I' },
		{ "rootfs", required_argument, NULL, 'R' },
		{ "bind", required_argument, NULL, 'B' },
		{ "uid-map", required_argument, NULL, 'U' },
		{ "gid-map", required_argument, NULL, 'G' },
		{ "ip", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "timings", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	opterr = 0; /* we print our own one-line errors */
	/* "+": stop at the first word that is not an option, so that
	 * `minibox ls -l` passes -l to ls. */
	while ((c = getopt_long(argc, argv, "+:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': opt.hostname = optarg; break;
		case 'I': opt.init = 1; break;
		case 'R': opt.rootfs = optarg; break;
		case 'B': add_bind(optarg); break;
		case 'U': add_map("--uid-map", optarg, opt.uid_maps, &opt.nuid_maps); break;
		case 'G': add_map("--gid-map", optarg, opt.gid_maps, &opt.ngid_maps); break;
		case 'P': parse_ip(optarg); break;
		case 'v': opt.verbose = 1; break;
		case 't': opt.timings = 1; clock_gettime(CLOCK_REALTIME, &opt.started); break;
		case 'h': usage(stdout, 0);
		case ':': fail("%s: needs a value", argv[optind - 1]);
		default: /* optopt: the letter at fault in a group like -xv */
			if (optopt)
				fail("-%c: unknown option, see minibox --help", optopt);
			fail("%s: unknown option, see minibox --help", argv[optind - 1]);
		}
	}
	if (optind == argc)
		fail("no COMMAND given, see minibox --help");
	opt.command = argv + optind;
	check_maps("--uid-map", opt.uid_maps, opt.nuid_maps, "/etc/subuid", getuid());
	check_maps("--gid-map", opt.gid_maps, opt.ngid_maps, "/etc/subgid", getgid());
	check_hostname(opt.hostname);
	check_rootfs();
	if (opt.ip && geteuid() != 0)
		fail_hint("rootless engines give a container a network through a user-space"
			  " stack instead: slirp4netns, pasta",
			  "--ip %s: needs root: the host end of the veth pair lives in the host's"
			  " network namespace, where an ordinary user may not create interfaces",
			  opt.ip);
}

int main(int argc, char **argv)
{
	struct child_args args;
	char id[13]; /* names what we create on the host: the veth's host end */
	pid_t pid;

	start_clean();
	parse_options(argc, argv);
	check_proc_is_ours(); /* the maps are written through /proc/CHILD */
	/* The sync pipe: the child waits on it for "go", so that what must be
	 * set up from outside is in place before it runs anything. O_CLOEXEC:
	 * the command must not inherit either end. */
	if (pipe2(args.sync, O_CLOEXEC) == -1)
		die("pipe2");
	args.host_mnt_ns = namespace_of_self("mnt");
	make_container_id(id);
	/* Before clone3(): the child inherits the working directory. */
	enter_rootfs_dir();
	/* Copying a mount of the host's namespace needs CAP_SYS_ADMIN there:
	 * as an ordinary user, the child copies them (setup_mounts()). */
	if (geteuid() == 0)
		copy_bind_folders("");
	/* Block SIGCHLD (and the signals we pass on) before the child exists:
	 * none may come before wait_for_child() is ready for it. */
	block_signals();
	pid = start_child(&args);
	/* The maps before "go": the child's setresuid(0) needs them. */
	write_id_maps(pid);
	/* The cable before "go": the child configures eth0, so it must exist. */
	if (opt.ip)
		setup_host_end(pid, id);
	let_child_go(&args);
	return wait_for_child(pid, "");
}
