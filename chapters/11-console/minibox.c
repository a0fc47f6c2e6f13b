/*
 * minibox, chapter 11-console: streams and a terminal of its own.
 *
 * Chapter 10 plus one idea: the container's own streams. Until now the
 * command got the caller's stdin, stdout and stderr: descriptors of host
 * files, folders and the caller's terminal. Now it gets pipes that minibox
 * relays with splice(2); with --tty, a terminal of its own, a pty pair of
 * the container's devpts: the child makes the slave its controlling
 * terminal and sends the master back over a socket (SCM_RIGHTS), minibox
 * puts the caller's terminal in raw mode, relays, passes window sizes on,
 * and puts the terminal back on every way out. console.h holds it, for
 * minibox-exec --tty too.
 *
 *   cc -std=gnu11 -Wall -Wextra -o minibox minibox.c
 *   sudo ./minibox --tty -- sh      # tty prints /dev/pts/0; Ctrl-D leaves
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
#include <sys/file.h> /* flock */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h> /* CGROUP2_SUPER_MAGIC */
#include <dirent.h>
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
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
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
#define CGROUP_ROOT "/sys/fs/cgroup"
#define CPU_PERIOD 100000 /* microseconds: --cpus 0.5 is 50000 of every 100000 */
#define STATE_DIR "/run/minibox" /* root's records of named containers */
#define NAME_LEN_MAX 64
/* The kernel keeps a shifted clock below KTIME_SEC_MAX / 2 seconds (146 years). */
#define CLOCK_SEC_MAX 4611686018LL
#define MAX_ENV 32 /* --env, at most */
#define DEFAULT_PIDS 2048 /* as root, without --pids: podman's default */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The v1 hierarchies minibox uses: one per controller (cpuacct counts the
 * CPU time that cpu limits). On v2 there is a single tree. */
static const char *v1_controllers[] = { "memory", "pids", "cpu", "cpuacct" };
#define NV1 ARRAY_SIZE(v1_controllers)

/* A container's cgroup: its directory in each hierarchy used. */
struct cgroup {
	int v2;                 /* cgroup v2: dirs[0] only; v1: one per controller */
	int ndirs;              /* 0: no cgroup (an ordinary user without limits) */
	char dirs[NV1][PATH_MAX];
	int fds[NV1];           /* each directory, open and locked while we live;
				 * v2: fds[0] for clone3(CLONE_INTO_CGROUP) */
	char parent[PATH_MAX];  /* v2: the directory that holds it */
};

/* The record of a named container (--name), while minibox holds it. */
struct record {
	int fd;               /* open and flock()ed, or -1 */
	char path[PATH_MAX + NAME_LEN_MAX + 2]; /* the records' folder/NAME */
};

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

/* What the command line asked for. The other global variables are what
 * the exit handlers must find: cgroup_to_remove, with the cgroups, and
 * record_to_remove, with the record. */
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
	unsigned long long memory; /* --memory in bytes, 0: no limit */
	long pids;                 /* --pids, 0: no limit */
	double cpus;               /* --cpus, 0: no limit */
	const char *name;          /* --name, or NULL */
	int time_ns;               /* --uptime-offset given: a time namespace */
	long long uptime_offset;   /* its SECONDS */
	int privileged;            /* --privileged: none of chapter 10's layers */
	const char *env[MAX_ENV];  /* --env NAME=VALUE, as given */
	int nenv;
	unsigned long long tmp_size, dev_size, shm_size; /* bytes of each tmpfs */
	int tty;                   /* --tty: a terminal of the container's own */
	char **command;
} opt = { .hostname = "minibox", .rootfs = DEFAULT_ROOTFS };

struct streams;
/* What the parent hands to the child. */
struct child_args {
	int sync[2];        /* a pipe: minibox writes "go" into [1], the child reads [0] */
	ino_t host_mnt_ns;  /* minibox's mount namespace, which the child must leave */
	struct cgroup cg;   /* the container's cgroup */
	struct record record; /* --name: the record minibox-exec reads */
	int ready[2];       /* --name: the child closes [1] once it is set up */
	struct streams *streams; /* the command's stdin, stdout, stderr (console.h) */
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
	{ CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP" },
	{ 0, NULL },
};

/* The mount(2) flags this chapter uses. */
static const struct flag_name mount_flags[] = {
	{ MS_RDONLY, "MS_RDONLY" },   { MS_NOSUID, "MS_NOSUID" }, { MS_NODEV, "MS_NODEV" },
	{ MS_NOEXEC, "MS_NOEXEC" },   { MS_BIND, "MS_BIND" },
	{ MS_REC, "MS_REC" },         { MS_PRIVATE, "MS_PRIVATE" }, { MS_REMOUNT, "MS_REMOUNT" },
	{ 0, NULL },
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

/* Error lines, -v narration and the signal plumbing are the same in both
 * of this chapter's programs: they live in shared.h, which both include.
 * Every line starts with the name of the program that says it. */
#define PROGRAM "minibox"
#include "shared.h"

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

/* A cgroup namespace makes the cgroup we are in now the root of what we
 * see: /proc/self/cgroup says "/", and the host's tree above is hidden. */
static void enter_cgroup_namespace(void)
{
	/* LAB 07: unshare(CLONE_NEWCGROUP): our cgroup becomes the root of our view;
	 * for -v narrate() "child: unshare(CLONE_NEWCGROUP) = 0", which the tests read */
	/* GOAL LAB 07: Inside, /proc/self/cgroup shows the container's cgroup as "/": the child
	 * gets a cgroup namespace of its own, rooted at the cgroup it is in now. For -v narrate
	 * "child: unshare(CLONE_NEWCGROUP) = 0", which the tests read. Read
	 * cgroup_namespaces(7). Checked by "inside, /proc/self/cgroup shows the container's
	 * cgroup as the root", "-v narrates the cgroup". */
	/* HINT LAB 07 1: man 7 cgroup_namespaces: the namespace's root is the cgroup of the
	 * process that creates it, at that moment. */
	/* HINT LAB 07 2: We are already in the container's cgroup here; a new cgroup namespace
	 * for this process itself (not for a child) fixes that cgroup as the root of what it
	 * and its children see. */
	/* HINT LAB 07 3: if (unshare(CLONE_NEWCGROUP) == -1) die("unshare(CLONE_NEWCGROUP)");
	 * narrate("child: unshare(CLONE_NEWCGROUP) = 0"); */
	if (unshare(CLONE_NEWCGROUP) == -1)
		die("unshare(CLONE_NEWCGROUP)");
	narrate("child: unshare(CLONE_NEWCGROUP) = 0");
	/* END LAB 07 */
}

/* --uptime-offset: a time namespace of our own, where CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME read SECONDS more. unshare(CLONE_NEWTIME) does not move
 * us: it makes the namespace our children will be born in
 * (/proc/self/ns/time_for_children). Its offsets can be written only while
 * no process is in it: now. Then, instead of a fork (the command would be
 * PID 2), we step in ourselves with setns(2), the way minibox-exec joins. */
static void enter_time_namespace(void)
{
	char offsets[96];
	int fd;

	if (!opt.time_ns)
		return;
	/* LAB 09: unshare(CLONE_NEWTIME), write both offsets into
	 * /proc/self/timens_offsets, setns() into time_for_children; narrate() each for
	 * -v as the tests read them: "child: unshare(CLONE_NEWTIME) = 0: ...", "child:
	 * write(/proc/self/timens_offsets, ...)", "child:
	 * setns(/proc/self/ns/time_for_children, CLONE_NEWTIME) = 0: ..." */
	/* GOAL LAB 09: The command (our next child) sees CLOCK_MONOTONIC and CLOCK_BOOTTIME,
	 * and so /proc/uptime, moved by opt.uptime_offset seconds, the host's clocks untouched;
	 * we stay PID 1. For -v narrate the lines the tests read: "child:
	 * unshare(CLONE_NEWTIME) = 0: a time namespace for our children, not for us", "child:
	 * write(/proc/self/timens_offsets, \"monotonic N 0\\nboottime N 0\")", "child:
	 * setns(/proc/self/ns/time_for_children, CLONE_NEWTIME) = 0: in it, still PID 1". Read
	 * time_namespaces(7). Checked by "inside, /proc/uptime is the host's plus
	 * --uptime-offset", "-v narrates unshare(CLONE_NEWTIME)". */
	/* HINT LAB 09 1: man 7 time_namespaces: which clocks it shifts, the offsets file and
	 * its format, and when the offsets may be written. */
	/* HINT LAB 09 2: A new time namespace is for the children of the process that asks for
	 * it; its offsets can be written only before any process is in it. Write both clocks'
	 * offsets, then enter it yourself through its "for children" file so that the command,
	 * and minibox's init, run in it. */
	/* HINT LAB 09 3: unshare(CLONE_NEWTIME); write "monotonic N 0\nboottime N 0\n" to
	 * /proc/self/timens_offsets; open /proc/self/ns/time_for_children and setns(fd,
	 * CLONE_NEWTIME); narrate() each as quoted. */
	if (unshare(CLONE_NEWTIME) == -1)
		die("unshare(CLONE_NEWTIME)");
	narrate("child: unshare(CLONE_NEWTIME) = 0: a time namespace for our children, not for us");
	snprintf(offsets, sizeof(offsets), "monotonic %lld 0\nboottime %lld 0\n",
		 opt.uptime_offset, opt.uptime_offset);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		die("open(/proc/self/timens_offsets)");
	if (write(fd, offsets, strlen(offsets)) != (ssize_t)strlen(offsets))
		die("write(/proc/self/timens_offsets, \"monotonic %lld 0\")", opt.uptime_offset);
	close(fd);
	narrate("child: write(/proc/self/timens_offsets, \"monotonic %lld 0\\nboottime %lld 0\")",
		opt.uptime_offset, opt.uptime_offset);
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		die("open(/proc/self/ns/time_for_children)");
	if (setns(fd, CLONE_NEWTIME) == -1)
		die("setns(/proc/self/ns/time_for_children, CLONE_NEWTIME)");
	close(fd);
	narrate("child: setns(/proc/self/ns/time_for_children, CLONE_NEWTIME) = 0: in it, still PID 1");
	/* END LAB 09 */
}

/* Take the ids that are root in the new user namespace. Until now we kept
 * the host's: as root with --uid-map 0:100000:65536, host uid 0 is not
 * mapped at all. Capabilities in the new namespace let us switch. */
static void become_root(int sync_fd)
{
	take_root_ids();
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

static void harden_mounts(void); /* chapter 10's, below */
static void limit_tmpfs_sizes(void);

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

/* /sys/fs/cgroup inside: the container's own cgroup, bound read-only, so
 * that it sees its limits and usage, but not the host's tree, and cannot
 * raise its limits. On v1, a tmpfs holds one directory per controller. */
static void mount_cgroups(const struct cgroup *cg)
{
	char target[PATH_MAX];
	size_t i;

	if (cg->ndirs == 0)
		return;
	/* LAB 07: bind each of the container's cgroup directories (cg->dirs[], host
	 * paths; skip an empty one) onto CGROUP_ROOT in the rootfs: on v2 the one
	 * directory there; on v1 into a folder per controller, named as in
	 * v1_controllers[] (the tests read /sys/fs/cgroup/pids/pids.max), of a tmpfs
	 * mounted there first; make_dirs() each, make_read_only() each bind, and on v1
	 * the tmpfs too once its folders are made. in_rootfs() reuses its buffer: build
	 * the path in target[] */
	/* GOAL LAB 07: Inside, /sys/fs/cgroup shows the container's own cgroup and nothing
	 * above it, read-only: on v2 the one directory, on v1 a folder per controller named as
	 * in v1_controllers[] (the tests read /sys/fs/cgroup/pids/pids.max) in a read-only
	 * tmpfs. An empty cg->dirs[i] is skipped; in_rootfs() reuses its buffer (build the path
	 * in target[]). Read cgroups(7), mount_namespaces(7). Checked by "/sys/fs/cgroup inside
	 * shows only the container's own cgroup, read-only". */
	/* HINT LAB 07 1: man 7 cgroups (v1 hierarchies, one per controller; v2 one tree); man 2
	 * mount, bind mounts. */
	/* HINT LAB 07 2: On v1, first put an empty tmpfs on CGROUP_ROOT to hold the controller
	 * folders. Then for each directory held: make its mount point, bind the host directory
	 * there, make that bind read-only; on v1 make the tmpfs read-only last, once its
	 * folders exist. */
	/* HINT LAB 07 3: if (!cg->v2) mount tmpfs on in_rootfs(CGROUP_ROOT); for each i:
	 * snprintf(target, ..., "%s/%s", CGROUP_ROOT, cg->v2 ? "" : v1_controllers[i]);
	 * make_dirs(); mount_or_die(cg->dirs[i], in_rootfs(target), NULL, MS_BIND, NULL);
	 * make_read_only(in_rootfs(target), 0); then on v1
	 * make_read_only(in_rootfs(CGROUP_ROOT), 0). */
	if (!cg->v2)
		mount_or_die("tmpfs", in_rootfs(CGROUP_ROOT), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
	for (i = 0; i < (size_t)cg->ndirs; i++) {
		if (!cg->dirs[i][0])
			continue;
		snprintf(target, sizeof(target), "%s/%s", CGROUP_ROOT, cg->v2 ? "" : v1_controllers[i]);
		make_dirs(in_rootfs(target));
		mount_or_die(cg->dirs[i], in_rootfs(target), NULL, MS_BIND, NULL);
		make_read_only(in_rootfs(target), 0);
	}
	if (!cg->v2) /* the tmpfs too, once its folders are made */
		make_read_only(in_rootfs(CGROUP_ROOT), 0);
	/* END LAB 07 */
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

/* A fresh mqueue filesystem shows the POSIX message queues of the IPC
 * namespace that mounts it: ours. */
static void mount_mqueue(void)
{
	/* LAB 06: mount an mqueue filesystem on /dev/mqueue */
	/* GOAL LAB 06: Inside, ls /dev/mqueue lists the POSIX message queues of the container's
	 * IPC namespace only: a fresh mqueue file system there, mounted nosuid, nodev and
	 * noexec (mount_or_die() prints the -v line the tests read, flags included). Read
	 * mq_overview(7), "Mounting the message queue file system". Checked by "/dev/mqueue
	 * inside lists only the container's queues", "-v narrates CLONE_NEWIPC and the mqueue
	 * mount". */
	/* HINT LAB 06 1: man 7 mq_overview, "Mounting the message queue file system"; man 7
	 * ipc_namespaces. */
	/* HINT LAB 06 2: Make the mount point, then mount a file system of type "mqueue" there,
	 * as the other pseudo file systems of this function are mounted; an mqueue mount shows
	 * the queues of the IPC namespace of whoever mounts it. */
	/* HINT LAB 06 3: make_dirs(in_rootfs("/dev/mqueue")); mount_or_die("mqueue",
	 * in_rootfs("/dev/mqueue"), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); */
	make_dirs(in_rootfs("/dev/mqueue"));
	mount_or_die("mqueue", in_rootfs("/dev/mqueue"), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL);
	/* END LAB 06 */
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
	mount_cgroups(&args->cg);
	populate_dev();
	mount_mqueue();
	bind_folders();
	limit_tmpfs_sizes();
	/* Read-only last: until now we made mount points in the rootfs. */
	harden_mounts();
	enter_new_root();
}

/* ------------------------------------------------------------ hardening */

/* Namespaces change what root sees, not what root may do: a container run
 * as the host's root (the default map 0 0 1) is the host's root wherever
 * the kernel does not ask "which namespace?" (a sysctl, the terminal, a
 * file in the rootfs). Each layer below closes some of those doors; the
 * README shows every escape it stops, and --privileged leaves them open. */

/* The layers that minibox-exec puts on the command it runs in the
 * container too, written once for both programs: Docker's capabilities,
 * the refused system calls, new_session(), drop_capabilities(),
 * restrict_syscalls(). */
#include "layers.h"
/* The command's streams, the pty pair and the relay: console.h, which
 * minibox-exec includes too. */
#include "console.h"

/* mount_setattr(2): add ATTRS (NAMES spells them for -v) to the mount at
 * PATH, and with RECURSIVE to the mounts below it. A flag may be added to
 * any mount, one the kernel locked too: only taking one away is refused. */
static void add_mount_flags(const char *path, int recursive, unsigned long long attrs,
			    const char *names)
{
	struct mount_attr attr = { .attr_set = attrs };

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr,
		    sizeof(attr)) == -1)
		die("mount_setattr(%s, %s)", path, names);
	narrate("child: mount_setattr(%s, %s, %s) = 0", path, recursive ? "AT_RECURSIVE" : "0", names);
}

/* The devices in /dev are bind mounts of the host's own inodes: chmod,
 * chown or touch inside would change the host's /dev/null (chmod 000 and
 * the host's programs that write to it fail). Each bind read-only: the
 * inode cannot change, and the device is read and written as before.
 * Before the masks, which bind /dev/null again: a bind keeps the flags of
 * the mount it copies. */
static void protect_host_devices(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *dev = opendir(in_rootfs("/dev"));

	if (!dev)
		die("opendir(%s)", in_rootfs("/dev"));
	while ((e = readdir(dev))) {
		snprintf(path, sizeof(path), "./dev/%s", e->d_name);
		if (lstat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			make_read_only(path, 0);
	}
	closedir(dev);
}

/* A device node opens the device it names, wherever it lies: one that an
 * image ships in the rootfs, or that a host user leaves in a --bind folder
 * (mknod disk b 7 0: a loop device, the host's disk), would let the
 * container read and write the host's devices. Only /dev's binds may be
 * opened: nodev on the rootfs and on every --bind folder. And nosuid on
 * the folders: a setuid program in one, the host's or planted there, does
 * not raise the rights of a process inside. (Runtimes do so with volumes;
 * the rootfs keeps its setuid programs, which no_new_privs disarms.) */
static void no_devices_outside_dev(void)
{
	int i;

	add_mount_flags(".", 0, MOUNT_ATTR_NODEV, "MOUNT_ATTR_NODEV");
	for (i = 0; i < opt.nbinds; i++)
		add_mount_flags(in_rootfs(opt.binds[i].container), 1,
				MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV");
}

/* Each tmpfs holds at most half the host's memory unless told less, and
 * /tmp, /dev and /dev/shm are the container's to fill: three halves of
 * the RAM. Remount each with its size (MS_REMOUNT changes the size of a
 * tmpfs, and sets the mount's flags: the same ones again). A size of 0:
 * as mounted (--privileged, unless given). */
static void limit_tmpfs_sizes(void)
{
	static const struct {
		const char *path;
		unsigned long flags;
	} tmpfs[] = { { "./tmp", MS_NOSUID | MS_NODEV }, { "./dev", MS_NOSUID },
		      { "./dev/shm", MS_NOSUID | MS_NODEV } };
	unsigned long long sizes[] = { opt.tmp_size, opt.dev_size, opt.shm_size };
	char data[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tmpfs); i++) {
		if (!sizes[i])
			continue;
		snprintf(data, sizeof(data), "size=%llu", sizes[i]);
		mount_or_die(NULL, tmpfs[i].path, NULL, MS_REMOUNT | tmpfs[i].flags, data);
	}
}

/* Hide what the host's /proc tells too much about, as Docker does: a file
 * gets /dev/null on top, a folder an empty read-only tmpfs. And make the
 * folders that write to the kernel read-only: /proc/sys holds the host's
 * sysctls (core_pattern runs a program as the host's root). Then the
 * rootfs itself: nothing the container writes can land in the shared
 * rootfs, where a host user could run it (a setuid-root copy of a shell).
 * /tmp, /dev and /dev/shm are tmpfs mounts of the container's own. */
static void harden_mounts(void)
{
	static const char *masked[] = { "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap" };
	static const char *read_only[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
		"/proc/sysrq-trigger" };
	char path[64];
	struct stat st;
	size_t i;

	if (opt.privileged)
		return;
	protect_host_devices();
	/* LAB 10: mask each path of masked[] that this kernel has (a file: bind the
	 * container's ./dev/null on it; a folder: an empty read-only tmpfs); bind each
	 * of read_only[] on itself (MS_BIND | MS_REC), then make_read_only(path, 1);
	 * last, make_read_only(".", 0): the rootfs, without the mounts on top. Each
	 * through mount_or_die() and make_read_only(), whose -v lines the tests read;
	 * in_rootfs() reuses one buffer: build a second path in path[] */
	/* GOAL LAB 10: In the container, the paths of masked[] that this kernel has read as
	 * empty (a file: the container's own /dev/null over it; a folder: an empty read-only
	 * tmpfs), each path of read_only[] and the mounts below it are read-only, and last the
	 * rootfs itself is read-only while the mounts on top of it (/proc, /tmp, /dev, --bind
	 * folders) keep their own flags. -v shows it in the lines mount_or_die() and
	 * make_read_only() print, with paths relative to the rootfs: the tests read the line of
	 * /proc/sys bound on itself with the mounts below it, "child: mount(./proc/sys,
	 * ./proc/sys, ...) = 0", and the line that makes the rootfs alone read-only, "child:
	 * mount_setattr(., ...) = 0" (in_rootfs() reuses one buffer: a second path goes in
	 * path[]). Read mount(2), mount_setattr(2), and proc(5)
	 * for what the masked files give away. Checked by "/proc/keys, /proc/timer_list and /sys/firmware
	 * are masked", "the rootfs is read-only inside", "every path of Docker's masked and
	 * read-only lists", "a masked folder refuses writes", "-v narrates the read-only
	 * rootfs". */
	/* HINT LAB 10 1: man 2 mount (bind mounts over a file; tmpfs options), man 2
	 * mount_setattr (read-only, recursive or not), man 5 proc. */
	/* HINT LAB 10 2: A path this kernel lacks is skipped (stat() it, relative to "." which
	 * is the rootfs). Masking: a folder gets an empty tmpfs (size=0, read-only, no
	 * suid/dev/exec), a file gets a bind of ./dev/null. Read-only paths: bind each on
	 * itself with its submounts, then make it read-only recursively. The rootfs last, not
	 * recursively. */
	/* HINT LAB 10 3: for masked[]: stat(".path"); S_ISDIR ? mount_or_die("tmpfs", path,
	 * "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") :
	 * mount_or_die(in_rootfs("/dev/null"), path, NULL, MS_BIND, NULL); for read_only[]:
	 * mount_or_die(path, path, NULL, MS_BIND | MS_REC, NULL); make_read_only(path, 1); then
	 * make_read_only(".", 0). */
	for (i = 0; i < ARRAY_SIZE(masked); i++) {
		snprintf(path, sizeof(path), ".%s", masked[i]); /* in the rootfs */
		if (stat(path, &st) == -1)
			continue; /* this kernel has no such file */
		if (S_ISDIR(st.st_mode))
			mount_or_die("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				     "size=0");
		else
			mount_or_die(in_rootfs("/dev/null"), path, NULL, MS_BIND, NULL);
	}
	for (i = 0; i < ARRAY_SIZE(read_only); i++) {
		snprintf(path, sizeof(path), ".%s", read_only[i]);
		if (stat(path, &st) == -1)
			continue;
		mount_or_die(path, path, NULL, MS_BIND | MS_REC, NULL);
		make_read_only(path, 1);
	}
	/* "." is the rootfs (bind_rootfs()); not recursive: the mounts on top
	 * (/proc, /tmp, /dev, the --bind folders) keep their own flags */
	make_read_only(".", 0);
	/* END LAB 10 */
	no_devices_outside_dev();
}

/* The layers that belong to the process, in an order that works: the
 * keyring while keyctl() is allowed, the capabilities next (the bounding
 * set first: dropping from it needs CAP_SETPCAP, which capset() could take
 * away), the filter last (it refuses keyctl). */
static void harden(void)
{
	if (opt.privileged) {
		narrate("child: --privileged: all capabilities, no seccomp filter, the caller's session");
		return;
	}
	new_session();
	drop_capabilities();
	restrict_syscalls();
}

/* Put NAME=VALUE into ENV, N variables so far: in the place of NAME's
 * variable if there is one. Returns how many there are now. */
static int set_variable(const char **env, int n, const char *var)
{
	size_t len = strcspn(var, "=") + 1; /* "NAME=" */
	int i;

	for (i = 0; i < n && strncmp(env[i], var, len) != 0; i++)
		;
	env[i] = var;
	return i == n ? n + 1 : n;
}

/* The command's environment, into ENV (NULL at the end); how many. The
 * caller's environment holds what the container has no business seeing
 * (tokens, an SSH agent's socket, cloud credentials), so the command
 * starts from what docker run gives: PATH, HOME, HOSTNAME, and TERM where
 * there is a terminal (docker run -t); then each --env, which may replace
 * one of those. The record (--name) holds the same, for minibox-exec. */
static int container_environment(const char *env[MAX_ENV + 5])
{
	static char hostname[sizeof("HOSTNAME=") + HOST_NAME_MAX];
	int n = 0, i;

	env[n++] = "PATH=" DEFAULT_PATH; /* the host's names the host's folders */
	env[n++] = "HOME=/root";         /* the container's root's, as its passwd says */
	snprintf(hostname, sizeof(hostname), "HOSTNAME=%s", opt.hostname);
	env[n++] = hostname;
	if (opt.tty)
		env[n++] = "TERM=xterm";
	for (i = 0; i < opt.nenv; i++)
		n = set_variable(env, n, opt.env[i]);
	env[n] = NULL;
	return n;
}

/* The command, and --init, run with that environment and no other:
 * execvp() hands environ on. An --init PID 1 never execs, though, and the
 * kernel shows /proc/1/environ from its memory: the strings minibox was
 * started with, the caller's, which the container's processes may read
 * (and minibox-exec, joining by PID, would hand on). Zero them first. */
static void set_environment(void)
{
	static const char *env[MAX_ENV + 5];
	char names[256] = "";
	int i, n = container_environment(env);

	for (i = 0; environ && environ[i]; i++)
		memset(environ[i], 0, strlen(environ[i]));

	for (i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), " %.*s",
			 (int)strcspn(env[i], "="), env[i]);
	environ = (char **)env;
	narrate("child: the command's environment:%s; none of the caller's", names);
}

/* --name: the record holds the same environment, so that minibox-exec
 * gives its command what minibox gave the container's, not what the
 * container's memory says now (docker exec reads the container's config). */
static void append_environment(struct record_data *data)
{
	const char *env[MAX_ENV + 5];
	int i, n = container_environment(env);

	for (i = 0; i < n; i++)
		data->env_len += sprintf(data->env + data->env_len, "%s", env[i]) + 1;
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

/* minibox's descriptors of the cgroup directories are for minibox: from
 * inside, /proc/1/fd/N/.. would lead to the host's cgroup tree, and --init
 * never execs, so close-on-exec would never close them. */
static void close_cgroup_fds(const struct cgroup *cg)
{
	int i;

	for (i = 0; i < (int)NV1; i++) {
		if (cg->fds[i] >= 0)
			close(cg->fds[i]);
	}
}

/* --name: tell minibox that the container is set up (our end of the ready
 * pipe closes: minibox reads end of file), then wait until it has
 * published the record. So minibox-exec never joins a container half
 * built: before pivot_root() its mount namespace still shows the host's
 * files. And the command never runs before it can be joined. */
static void wait_for_record(struct child_args *args)
{
	char published;

	close(args->ready[0]);
	close(args->ready[1]);
	if (read(args->sync[0], &published, 1) != 1)
		exit(EXIT_MINIBOX); /* minibox died: it said why if it could */
	narrate("child: close(ready pipe), read(sync pipe) = \"published\"");
}

static void leave_cleanup_to_minibox(void); /* beside the exit handlers, below */

/* The child starts here, in a copy of minibox's memory. It never returns. */
static void __attribute__((noreturn)) child_main(struct child_args *args)
{
	leave_cleanup_to_minibox();
	close_cgroup_fds(&args->cg);
	/* The record is minibox's to hold: from inside, /proc/1/fd/N would
	 * let the container rewrite what minibox-exec trusts. */
	if (args->record.fd >= 0)
		close(args->record.fd);
	/* Nothing runs before "go": what minibox sets up from outside must be
	 * in place first. */
	wait_for_go(args->sync);
	/* The clocks before our ids change: a new uid makes the kernel hand
	 * our /proc/self files to the host's root (we are no longer
	 * "dumpable"), timens_offsets among them. The capabilities the new
	 * user namespace gave us at birth suffice, and the time namespace is
	 * that user namespace's: minibox-exec, once in it, may join it. */
	enter_time_namespace();
	/* Then root of the new user namespace: every step below needs the
	 * capabilities that root has there. */
	become_root(args->sync[0]);
	/* Before anything else is set up, so that what follows sees the
	 * container's cgroup as the root of its tree. */
	enter_cgroup_namespace();
	setup_uts();
	/* The network next. The kernel asks for no order here: the child is
	 * in its network namespace from clone3() on. */
	setup_network();
	/* The mounts last: after pivot_root() the host's paths (its devices,
	 * the --bind folders) are out of reach. */
	setup_mounts(args);
	/* The command's environment: a clean one, nothing of the caller's. */
	set_environment();
	/* Last, after every step that needed root's full power, and before
	 * the command (or --init) runs a single instruction of its own. */
	harden();
	/* --name: minibox publishes the record now, and nothing of the
	 * command's runs until it has. */
	if (opt.name)
		wait_for_record(args);
	/* LAB 11: put the command's streams on 0, 1 and 2, last */
	/* GOAL LAB 11: Last before the command runs, the child's 0, 1 and 2 are the
	 * command's own streams that console.h made (pipes, or with --tty its terminal),
	 * never the caller's: until then the child's errors reach the caller's stderr
	 * straight. Read stdin(3) and pipe(7). Checked by "the command's stdin, stdout and
	 * stderr are pipes, none of the caller's descriptors". */
	/* HINT LAB 11 1: man 3 stdin: 0, 1 and 2 are what a program reads and writes; man 7
	 * pipe. */
	/* HINT LAB 11 2: console.h already has the function that does it for the streams
	 * the parent made before the fork (args->streams); call it here, after every step
	 * that may still fail. */
	/* HINT LAB 11 3: attach_streams(args->streams); */
	/* The streams last: until now our errors reached the caller's stderr
	 * straight; from here on the command has pipes, or its terminal. */
	attach_streams(args->streams);
	/* END LAB 11 */
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
	/* LAB 06: ask for a new IPC namespace: System V objects and POSIX queues of its own */
	/* GOAL LAB 06: The child is created in an IPC namespace of its own: System V objects
	 * and POSIX message queues of its own; its /proc/PID/ns entry differs from the host's,
	 * and -v shows the request in the clone3() line. Read ipc_namespaces(7) and the table
	 * of namespace types in namespaces(7). Checked by "the container's IPC namespace
	 * differs from the host's". */
	/* HINT LAB 06 1: man 7 namespaces: the table of namespace types and the flag that asks
	 * for each; man 7 ipc_namespaces. */
	/* HINT LAB 06 2: The flags returned here go to clone3() when it creates the child: one
	 * more bit in them asks for the new namespace. */
	/* HINT LAB 06 3: flags |= CLONE_NEWIPC; */
	flags |= CLONE_NEWIPC;
	/* END LAB 06 */
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

	/* LAB 07: cgroup v2: hand clone3() the cgroup's directory with
	 * CLONE_INTO_CGROUP: the child is born in it */
	/* GOAL LAB 07: On cgroup v2, the child is born in the container's cgroup
	 * (args->cg.fds[0], the directory held open): it is never in minibox's cgroup, not for
	 * an instant, and -v's clone3() line shows the request. Read clone(2), the description
	 * of clone3()'s cgroup field. Checked by "on a hybrid host, the v2 path runs on the
	 * host's v2 tree", "the container runs in a minibox-ID cgroup of its own". */
	/* HINT LAB 07 1: man 2 clone: struct clone_args, its cgroup field and the flag that
	 * makes the kernel use it (Linux 5.7). */
	/* HINT LAB 07 2: Only on v2, and only when a directory is held (fds[0] >= 0): set the
	 * flag in ca.flags and the directory's descriptor in ca.cgroup. */
	/* HINT LAB 07 3: if (args->cg.v2 && args->cg.fds[0] >= 0) { ca.flags |=
	 * CLONE_INTO_CGROUP; ca.cgroup = args->cg.fds[0]; } */
	if (args->cg.v2 && args->cg.fds[0] >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = args->cg.fds[0];
	}
	/* END LAB 07 */
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

/* ----------------------------------------------------------------- cgroups */

/* The main line, on cgroup v2: make a directory for the container, write
 * its limits into it, start the child inside it (start_child() hands the
 * directory to clone3() with CLONE_INTO_CGROUP), and remove it after the
 * container has ended. Three side cases follow, each in its own section:
 * hosts that still use cgroup v1, ordinary users, and a minibox killed
 * before it could clean up. Their functions are declared here. */
static int create_cgroup_v1(struct cgroup *cg, const char *name);
static void apply_limits_v1(const struct cgroup *cg);
static void __attribute__((noreturn)) no_writable_cgroup(const char *why);
static void delegated_parent(struct cgroup *cg, const char *id);
static int claim_cgroup_dir(const char *parent, const char *name, char *dir);
static void sweep_stale_cgroups(const char *parent);
static void remove_cgroup_at_exit(struct cgroup *cg);
static void remove_cgroup(struct cgroup *cg);

/* Write TEXT into FILE of the cgroup directory DIR. */
static void write_cgroup_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	write_file(path, text);
}

static int cgroup_file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* Which version holds the controllers? statfs() names the filesystem at
 * /sys/fs/cgroup: cgroup2 on a pure v2 host; a tmpfs holding one cgroup v1
 * mount per hierarchy otherwise (a "hybrid" host also has v2 at
 * /sys/fs/cgroup/unified, but with no controllers, so v1 it is). */
static int cgroup_v2(void)
{
	struct statfs st;

	if (statfs(CGROUP_ROOT, &st) == -1)
		die("statfs(%s)", CGROUP_ROOT);
	narrate("statfs(%s) = %s", CGROUP_ROOT,
		st.f_type == CGROUP2_SUPER_MAGIC ? "cgroup2: cgroup v2" : "not cgroup2: cgroup v1");
	return st.f_type == CGROUP2_SUPER_MAGIC;
}

/* A cgroup's children may use only the controllers it passes down: write
 * those the limits need into its cgroup.subtree_control ("+memory +pids
 * +cpu"). One that is on already stays on. */
static void enable_controllers(const char *dir)
{
	char text[32] = "";

	if (opt.memory)
		strcat(text, " +memory");
	if (opt.pids)
		strcat(text, " +pids");
	if (opt.cpus)
		strcat(text, " +cpu");
	if (text[0])
		write_cgroup_file(dir, "cgroup.subtree_control", text + 1);
}

/* cgroup v2: one directory, /sys/fs/cgroup/minibox/NAME, with the
 * controllers passed down to it. Returns 0, or -1 if NAME is taken. */
static int create_cgroup_v2(struct cgroup *cg, const char *name)
{
	cg->v2 = 1;
	cg->ndirs = 1;
	/* LAB 07: as root: enable_controllers(CGROUP_ROOT), mkdir CGROUP_ROOT/minibox
	 * into cg->parent (EEXIST is fine), sweep_stale_cgroups() there; as an ordinary
	 * user delegated_parent() has set cg->parent (and swept) already; then, for
	 * both, enable_controllers(cg->parent) and make NAME in it with
	 * claim_cgroup_dir(), into cg->fds[0] and cg->dirs[0] (-1: the name is taken) */
	/* GOAL LAB 07: The container's cgroup exists and is held: as root, under
	 * CGROUP_ROOT/minibox (made if missing, controllers enabled for its children, stale
	 * cgroups of earlier runs swept); as an ordinary user under the parent
	 * delegated_parent() found (and swept) already; in both cases with the controllers
	 * enabled in cg->parent, and the directory NAME made in it with claim_cgroup_dir() into
	 * cg->fds[0] and cg->dirs[0] (-1: the name is taken). Read cgroups(7), "Cgroups version
	 * 2" (subtree_control, the no internal process rule). Checked by "the container runs in
	 * a minibox-ID cgroup of its own", "after kill -9 of minibox, its cgroup is swept when
	 * the next minibox starts", "-v narrates the cgroup". */
	/* HINT LAB 07 1: man 7 cgroups: cgroup.subtree_control, and why a cgroup must hand
	 * controllers down before its children can use them. */
	/* HINT LAB 07 2: The helpers of this file do each step: enable_controllers(dir),
	 * sweep_stale_cgroups(dir), claim_cgroup_dir(parent, name, dirbuf). Root builds the
	 * parent path with snprintf() and makes it (it may exist). */
	/* HINT LAB 07 3: if (geteuid() == 0) { enable_controllers(CGROUP_ROOT);
	 * snprintf(cg->parent, ..., "%s/minibox", CGROUP_ROOT); mkdir(cg->parent, 0755) (EEXIST
	 * is fine); sweep_stale_cgroups(cg->parent); } enable_controllers(cg->parent);
	 * cg->fds[0] = claim_cgroup_dir(cg->parent, name, cg->dirs[0]); */
	if (geteuid() == 0) {
		/* systemd passes them down from the root; without systemd (a
		 * bare VM, Alpine) nobody has: do it, as runtimes do */
		enable_controllers(CGROUP_ROOT);
		snprintf(cg->parent, sizeof(cg->parent), "%s/minibox", CGROUP_ROOT);
		if (mkdir(cg->parent, 0755) == -1 && errno != EEXIST)
			die("mkdir(%s)", cg->parent);
		sweep_stale_cgroups(cg->parent);
	} /* else: delegated_parent() found the parent */
	enable_controllers(cg->parent);
	cg->fds[0] = claim_cgroup_dir(cg->parent, name, cg->dirs[0]);
	/* END LAB 07 */
	return cg->fds[0] == -1 ? -1 : 0;
}

/* One cgroup per container, minibox-ID (the same ID as the veth's mb-ID).
 * An ID that a cgroup has already (a one in 2^48 chance) is never shared:
 * it may be another container's. Draw another. */
static void create_cgroup(struct cgroup *cg, char id[13])
{
	char name[32];
	int i, v2, tries;

	memset(cg, 0, sizeof(*cg));
	for (i = 0; i < (int)NV1; i++)
		cg->fds[i] = -1;
	remove_cgroup_at_exit(cg);
	if (geteuid() != 0 && !opt.memory && !opt.pids && !opt.cpus)
		return; /* nothing to limit, and nowhere to write */
	v2 = cgroup_v2();
	if (!v2 && geteuid() != 0)
		no_writable_cgroup("cgroup v1 has no delegation to ordinary users");
	if (v2 && geteuid() != 0)
		delegated_parent(cg, id);
	for (tries = 0; tries < 10; tries++) {
		snprintf(name, sizeof(name), "minibox-%s", id);
		if ((v2 ? create_cgroup_v2(cg, name) : create_cgroup_v1(cg, name)) == 0)
			return;
		remove_cgroup(cg);
		make_container_id(id);
	}
	errno = EEXIST;
	die("mkdir(minibox-...): no free name after %d tries", tries);
}

/* --cpus in microseconds of every CPU_PERIOD, rounded: in binary floating
 * point 0.29 * 100000 is 28999.99..., which a cast would cut to 28999. */
static long cpu_quota(void)
{
	return (long)(opt.cpus * CPU_PERIOD + 0.5);
}

/* Write the limits. --memory covers swap too, or the container would
 * simply swap past it. */
static void apply_limits(const struct cgroup *cg)
{
	char text[64];

	if (!cg->v2) {
		apply_limits_v1(cg);
		return;
	}
	/* LAB 07: with write_cgroup_file() into cg->dirs[0], whose -v lines the tests
	 * read (write(.../pids.max, "16")): --memory into memory.max, and 0 into
	 * memory.swap.max where it exists (cgroup_file_exists()); --pids into pids.max;
	 * --cpus into cpu.max as "QUOTA PERIOD": cpu_quota(), then CPU_PERIOD */
	/* GOAL LAB 07: On v2 the limits hold in the container's cgroup (cg->dirs[0]): --memory
	 * caps its memory and allows it no swap (where the kernel has swap accounting), --pids
	 * caps its tasks, --cpus gives it a quota of CPU time per CPU_PERIOD (cpu_quota()
	 * computes it). write_cgroup_file() prints the -v lines the tests read
	 * (write(.../pids.max, "16")). Read the kernel's cgroup-v2 documentation
	 * (/usr/share/doc or docs.kernel.org: memory, pids, cpu interface files) and
	 * cgroups(7). Checked by "a fork bomb under --pids 16 makes no more than 16 tasks", "a
	 * process that allocates 256 MiB under --memory 32M is killed by the OOM killer (137)",
	 * "--cpus 0.29 is a quota of 29000 microseconds", "-v narrates the cgroup". */
	/* HINT LAB 07 1: man 7 cgroups, then the kernel's
	 * Documentation/admin-guide/cgroup-v2.rst: the memory, pids and cpu controllers'
	 * interface files. */
	/* HINT LAB 07 2: One file per limit, each written only when the option was given: the
	 * memory maximum, then the swap maximum set to 0 if that file exists
	 * (cgroup_file_exists()), the task maximum, and the CPU maximum written as "QUOTA
	 * PERIOD". */
	/* HINT LAB 07 3: memory.max = opt.memory, memory.swap.max = "0" where it exists;
	 * pids.max = opt.pids; cpu.max = "%ld %d", cpu_quota(), CPU_PERIOD; each with
	 * write_cgroup_file(cg->dirs[0], FILE, text). */
	if (opt.memory) {
		snprintf(text, sizeof(text), "%llu", opt.memory);
		write_cgroup_file(cg->dirs[0], "memory.max", text);
		if (cgroup_file_exists(cg->dirs[0], "memory.swap.max"))
			write_cgroup_file(cg->dirs[0], "memory.swap.max", "0");
	}
	if (opt.pids) {
		snprintf(text, sizeof(text), "%ld", opt.pids);
		write_cgroup_file(cg->dirs[0], "pids.max", text);
	}
	if (opt.cpus) {
		snprintf(text, sizeof(text), "%ld %d", cpu_quota(), CPU_PERIOD);
		write_cgroup_file(cg->dirs[0], "cpu.max", text);
	}
	/* END LAB 07 */
}

/* Remove the container's cgroup: it is empty once the container has ended
 * (the kernel may take a moment to notice), then let go of it, and of the
 * minibox parent if no other container uses it. */
static void remove_cgroup(struct cgroup *cg)
{
	char parent[PATH_MAX];
	int i, tries, err;

	for (i = 0; i < cg->ndirs; i++) {
		if (cg->fds[i] < 0)
			continue; /* none, or another controller's directory */
		for (tries = 0; tries < 100; tries++) {
			err = rmdir(cg->dirs[i]) == -1 ? errno : 0;
			if (err != EBUSY) /* EBUSY: the last process is still on its way out */
				break;
			usleep(2000);
		}
		/* left behind, the next minibox sweeps it */
		narrate("rmdir(%s) = %s", cg->dirs[i], err ? strerror(err) : "0");
		close(cg->fds[i]);
		cg->fds[i] = -1;
		snprintf(parent, sizeof(parent), "%s", cg->dirs[i]);
		*strrchr(parent, '/') = '\0';
		cg->dirs[i][0] = '\0';
		if (geteuid() == 0)
			rmdir(parent); /* fails while another container is in it: fine */
	}
}

/* ------------------------------------------------ aside: cgroup v1 hosts */

/* cgroup v1 has several trees, each with one or more controllers (cpu and
 * cpuacct often share one), and each controller's files have names of
 * their own. */

/* Is v1 hierarchy BASE one that an earlier controller's directory is in
 * already? Then the two share the directory: note it, unlocked, in dirs[I]. */
static int same_hierarchy_as_before(struct cgroup *cg, size_t i, const char *base)
{
	char other[128];
	struct stat st, st_other;
	size_t j;

	if (stat(base, &st) == -1)
		die("stat(%s)", base);
	for (j = 0; j < i; j++) {
		snprintf(other, sizeof(other), "%s/%s", CGROUP_ROOT, v1_controllers[j]);
		if (cg->dirs[j][0] && stat(other, &st_other) == 0 && st.st_dev == st_other.st_dev) {
			memcpy(cg->dirs[i], cg->dirs[j], sizeof(cg->dirs[i])); /* the same hierarchy */
			return 1;
		}
	}
	return 0;
}

/* A directory in each controller's hierarchy. Returns 0, or -1 if NAME is
 * taken in one of them. */
static int create_cgroup_v1(struct cgroup *cg, const char *name)
{
	char base[128], parent[PATH_MAX];
	struct statfs st;
	size_t i;

	cg->ndirs = NV1;
	for (i = 0; i < NV1; i++) {
		snprintf(base, sizeof(base), "%s/%s", CGROUP_ROOT, v1_controllers[i]);
		if (statfs(base, &st) == -1 || st.f_type != CGROUP_SUPER_MAGIC)
			continue; /* this host lacks it; apply_limits_v1() says so if needed */
		if (same_hierarchy_as_before(cg, i, base))
			continue; /* cpu and cpuacct often share one: cpu,cpuacct */
		snprintf(parent, sizeof(parent), "%s/minibox", base);
		sweep_stale_cgroups(parent);
		cg->fds[i] = claim_cgroup_dir(parent, name, cg->dirs[i]);
		if (cg->fds[i] == -1) {
			cg->dirs[i][0] = '\0';
			return -1;
		}
	}
	return 0;
}

/* The v1 directory of CONTROLLER; a limit on a missing one is refused. */
static const char *v1_dir(const struct cgroup *cg, const char *controller)
{
	size_t i;

	for (i = 0; i < NV1; i++) {
		if (strcmp(v1_controllers[i], controller) == 0 && cg->dirs[i][0])
			return cg->dirs[i];
	}
	errno = ENOENT;
	die("%s/%s: this host has no cgroup v1 %s controller", CGROUP_ROOT, controller, controller);
}

/* SHOW LAB 07: The same limits on cgroup v1, each in its controller's own
 * files (the kernel's cgroup-v1 documentation names them). */
/* The same limits in v1's files: memory.limit_in_bytes, and with swap
 * memory.memsw.limit_in_bytes; pids.max; cpu.cfs_quota_us per period. */
static void apply_limits_v1(const struct cgroup *cg)
{
	char text[64];

	/* LAB 07: the same limits on v1, each in its controller's directory, v1_dir(cg,
	 * "memory") and so on (it refuses a controller the host lacks, with the line
	 * the tests read): memory.limit_in_bytes, then the same value into
	 * memory.memsw.limit_in_bytes where it exists (memory plus swap; the kernel
	 * refuses one below the memory limit, so this order); pids.max;
	 * cpu.cfs_quota_us (cpu_quota()) */
	/* GOAL LAB 07: On cgroup v1 the same limits hold, each in its controller's directory
	 * (v1_dir(cg, "memory") and so on; it refuses a controller the host lacks, with the
	 * line the tests read): memory with swap counted too where the kernel offers it (the
	 * kernel refuses memory plus swap below the memory limit: mind the order), tasks, CPU
	 * quota (cpu_quota()). Read cgroups(7) and the kernel's cgroup-v1 documentation
	 * (memory.txt, pids.txt, sched-bwc.txt). Checked by "a fork bomb under --pids 16 makes
	 * no more than 16 tasks", "-v narrates the cgroup". */
	/* HINT LAB 07 1: man 7 cgroups, "Cgroups version 1"; the kernel's
	 * Documentation/admin-guide/cgroup-v1/memory.rst and the CFS bandwidth document. */
	/* HINT LAB 07 2: v1 has one file per setting with older names: the memory limit in
	 * bytes, the memory-plus-swap limit (written after, same value, where it exists), the
	 * pids maximum, the CFS quota in microseconds (the period is left at its default). */
	/* HINT LAB 07 3: memory.limit_in_bytes then memory.memsw.limit_in_bytes in v1_dir(cg,
	 * "memory"); pids.max in v1_dir(cg, "pids"); cpu.cfs_quota_us = cpu_quota() in
	 * v1_dir(cg, "cpu"). */
	if (opt.memory) {
		snprintf(text, sizeof(text), "%llu", opt.memory);
		write_cgroup_file(v1_dir(cg, "memory"), "memory.limit_in_bytes", text);
		if (cgroup_file_exists(v1_dir(cg, "memory"), "memory.memsw.limit_in_bytes"))
			write_cgroup_file(v1_dir(cg, "memory"), "memory.memsw.limit_in_bytes", text);
	}
	if (opt.pids) {
		snprintf(text, sizeof(text), "%ld", opt.pids);
		write_cgroup_file(v1_dir(cg, "pids"), "pids.max", text);
	}
	if (opt.cpus) {
		snprintf(text, sizeof(text), "%ld", cpu_quota());
		write_cgroup_file(v1_dir(cg, "cpu"), "cpu.cfs_quota_us", text);
	}
	/* END LAB 07 */
}

/* v1 has no CLONE_INTO_CGROUP: move the child in while it waits for "go",
 * before it runs anything. Each move costs a kernel RCU grace period, some
 * 10-25 ms, which v2 saves. */
static void move_into_cgroup(const struct cgroup *cg, pid_t pid)
{
	char text[32];
	int i;

	if (cg->v2)
		return;
	snprintf(text, sizeof(text), "%d", pid);
	for (i = 0; i < cg->ndirs; i++) {
		if (cg->fds[i] >= 0)
			write_cgroup_file(cg->dirs[i], "cgroup.procs", text);
	}
}

/* ------------------------------------------------- aside: ordinary users */

/* No cgroup an ordinary user may write: say so, and how to get one. */
static void __attribute__((noreturn)) no_writable_cgroup(const char *why)
{
	char hint[PATH_MAX + 128];

	snprintf(hint, sizeof(hint), "on cgroup v2, run minibox in a delegated cgroup: systemd-run"
		 " --user --scope -p Delegate=yes %s ...", program_invocation_name); /* argv[0] */
	fail_hint(hint, "--memory, --pids, --cpus: limits need a cgroup this user may write, and %s",
		  why);
}

/* An ordinary user on v2 may use the cgroup it runs in, if systemd
 * delegated it (it is then the user's own). A cgroup with processes may
 * not hand controllers down, so minibox first moves itself to a leaf. */
static void delegated_parent(struct cgroup *cg, const char *id)
{
	char line[PATH_MAX - sizeof(CGROUP_ROOT)], leaf[64];
	int fd;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "0::", 3) != 0)
		no_writable_cgroup("/proc/self/cgroup names no cgroup v2");
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(cg->parent, sizeof(cg->parent), "%s%s", CGROUP_ROOT, strcmp(line + 3, "/") ? line + 3 : "");
	if (!cgroup_file_exists(cg->parent, "cgroup.subtree_control") ||
	    access(cg->parent, W_OK) == -1)
		no_writable_cgroup("the one it runs in is not delegated to it");
	sweep_stale_cgroups(cg->parent);
	snprintf(leaf, sizeof(leaf), "minibox-%s.supervisor", id);
	fd = claim_cgroup_dir(cg->parent, leaf, cg->dirs[0]);
	if (fd == -1)
		die("mkdir(%s): taken", cg->dirs[0]);
	/* once we are in it, it is not empty: nobody can remove it */
	write_cgroup_file(cg->dirs[0], "cgroup.procs", "0");
	close(fd);
}

/* ------------------------------- aside: a minibox that could not clean up */

/* SIGKILL gives minibox no time to remove its cgroup (its container dies
 * with it: PR_SET_PDEATHSIG). So minibox holds each cgroup directory open,
 * with an flock(2), for as long as it lives, and the next minibox removes
 * the ones nobody holds. The lock is the proof, not the name: a PID in a
 * name repeats in every PID namespace. */

/* Remove the stale minibox-* directories in PARENT: those nobody holds. */
static void sweep_stale_cgroups(const char *parent)
{
	char path[PATH_MAX * 2];
	DIR *dir = opendir(parent);
	struct dirent *e;
	int fd;

	while (dir && (e = readdir(dir))) {
		if (strncmp(e->d_name, "minibox-", 8) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && rmdir(path) == 0)
			narrate("rmdir(%s) = 0: a stale cgroup, no minibox holds it", path);
		close(fd);
	}
	if (dir)
		closedir(dir);
}

/* mkdir PARENT/NAME into DIR, PARENT included, and hold it: open it and
 * flock() it. Returns the descriptor, or -1 if the name is taken, or a
 * sweep by another minibox took it between our mkdir() and flock(). (An
 * empty PARENT may go at any moment, removed by another minibox: then make
 * it again.) */
static int claim_cgroup_dir(const char *parent, const char *name, char *dir)
{
	int fd, tries;

	snprintf(dir, PATH_MAX, "%s/%s", parent, name);
	for (tries = 0; mkdir(dir, 0755) == -1; tries++) {
		if (errno == EEXIST)
			return -1;
		if (errno != ENOENT || tries == 3)
			die("mkdir(%s)", dir);
		if (mkdir(parent, 0755) == -1 && errno != EEXIST)
			die("mkdir(%s)", parent);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return -1; /* swept already, between our mkdir() and open() */
	if (fd == -1)
		die("open(%s)", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || faccessat(fd, "cgroup.procs", F_OK, 0) == -1) {
		close(fd);
		return -1;
	}
	narrate("mkdir(%s) = 0, flock(LOCK_EX) = 0", dir);
	return fd;
}

/* die() may end minibox after the cgroup exists: remove it on the way out
 * (atexit(3)); an exit handler takes no argument, so it finds the cgroup
 * in a global. The child is a copy of minibox, with the same exit
 * handler: it forgets the cgroup first thing (leave_cleanup_to_minibox()). */
static struct cgroup *cgroup_to_remove;

static void remove_registered_cgroup(void)
{
	if (cgroup_to_remove)
		remove_cgroup(cgroup_to_remove);
}

static void remove_cgroup_at_exit(struct cgroup *cg)
{
	cgroup_to_remove = cg;
	if (atexit(remove_registered_cgroup) != 0)
		die("atexit");
}


/* ------------------------------------------------------- the record (--name) */

/* --name NAME: minibox writes down where the container runs, so that
 * minibox-exec NAME can join it: a file NAME in the records' folder, with
 * the host PID of the container's PID 1, the time that process started
 * (a PID is reused once its process has ended; a PID and a start time are
 * not), the user who started it, the rootfs and the cgroup directories.
 * minibox holds the file open with an flock(2) for as long as it lives, as
 * it holds its cgroups: a record that nobody holds is stale, its minibox is
 * gone (SIGKILL gave it no time to remove it), and the next minibox removes
 * it. A name is refused while its record is held. */

/* Is the file at PATH still the one FD holds? Another minibox may have
 * removed it (a sweep) and a new one taken its name, meanwhile. */
static int same_file(int fd, const char *path)
{
	struct stat held, named;

	return fstat(fd, &held) == 0 && lstat(path, &named) == 0 &&
	       held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

/* The record at PATH: if a minibox holds it, return 1 (its container
 * runs). If not, it is stale: remove it (if it is still there) and return
 * 0. Only the holder of a record's lock removes it, and only after checking
 * that the name still leads to the file it locked. */
static int record_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), held = 0;

	if (fd == -1)
		return 0; /* gone already */
	/* LAB 08: a record nobody holds (flock(LOCK_EX|LOCK_NB) succeeds) is stale: unlink it */
	/* GOAL LAB 08: A record that no minibox holds any more is stale and goes away, but only
	 * the very file we opened (a sweep may have replaced it since: same_file()), narrated
	 * for -v as "unlink(PATH) = 0: a stale record, no minibox holds it"; a record someone
	 * holds is reported held. Read flock(2). Checked by "after kill -9 of minibox, its
	 * record is stale: refused, then swept by the next minibox, never a live one", "a sweep
	 * removes only the stale record it locked". */
	/* HINT LAB 08 1: man 2 flock: how to try a lock without waiting, and when a lock is
	 * released (the holder's descriptors all closed: a dead minibox holds nothing). */
	/* HINT LAB 08 2: Try to take the lock without blocking: if that fails, someone holds
	 * the record (held = 1); if it succeeds, nobody does: remove it, after checking that
	 * the path still names the file you hold. */
	/* HINT LAB 08 3: if (flock(fd, LOCK_EX | LOCK_NB) == -1) held = 1; else if
	 * (same_file(fd, path) && unlink(path) == 0) narrate(...); */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		held = 1;
	else if (same_file(fd, path) && unlink(path) == 0)
		narrate("unlink(%s) = 0: a stale record, no minibox holds it", path);
	/* END LAB 08 */
	close(fd);
	return held;
}

/* Remove the stale records in the records' folder, on every start. */
static void sweep_stale_records(void)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *e;
	DIR *d;

	records_dir(dir);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		record_held(path);
	}
	if (d)
		closedir(d);
}

/* mkdir DIR, and make sure it is ours alone: /tmp is everybody's, and a
 * folder someone else made there could hold records of their choosing. */
static void make_records_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		die("mkdir(%s)", dir);
	if (lstat(dir, &st) == -1)
		die("lstat(%s)", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		fail("%s: not a folder of this user's alone, refusing to keep records in it", dir);
}

static void remove_record_at_exit(struct record *r); /* below remove_record() */

/* SHOW LAB 08: Claim the name: create the record, refused if it exists, and lock
 * it. A record of that name that nobody holds is stale: remove it and try again;
 * one that is held is a running container's. */
/* Claim the name: create the record, refused if it exists (O_EXCL), and
 * lock it. A record of that name that nobody holds is stale: remove it and
 * try again; one that is held is a running container's. */
static void claim_name(struct record *r)
{
	char dir[PATH_MAX];
	int tries, held = 0;

	records_dir(dir);
	make_records_dir(dir);
	snprintf(r->path, sizeof(r->path), "%s/%s", dir, opt.name);
	for (tries = 0; tries < 20; tries++) {
		/* LAB 08: create the record with O_CREAT|O_EXCL and flock(LOCK_EX) it;
		 * refuse a name whose record is held */
		/* GOAL LAB 08: The name is ours if we create its record (r->path) and nobody
		 * else could have (the record must not exist yet, and no link is followed), and
		 * we hold its lock, on the very file at that path; a record that exists and is
		 * held is retried a few times (another minibox's sweep holds a record for a
		 * moment) before the refusal the tests read: "--name NAME: a container of that
		 * name is running (PATH)" through fail(); a stale one is swept (record_held())
		 * and the loop tries again. On success r->fd is the record's descriptor, else
		 * -1. Read open(2) (creating a file that must not exist) and flock(2). Checked
		 * by "a name in use is refused: 125 and one line", "after kill -9 of minibox,
		 * its record is stale", "a record that another minibox's sweep removes between
		 * its creation and its lock is made again". */
		/* HINT LAB 08 1: man 2 open: the flags that create a file only if it does not
		 * exist and refuse a symlink; man 2 flock, LOCK_NB. */
		/* HINT LAB 08 2: Create exclusively; if it exists, ask record_held() (it
		 * removes a stale one), count the times it was held, refuse at the fifth, sleep
		 * a little between tries. A created file can be removed by a sweep before you
		 * lock it: after locking, check with same_file() that the path is still yours,
		 * else close and go round again. */
		/* HINT LAB 08 3: r->fd = open(r->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		 * O_CLOEXEC, 0644); EEXIST: if (record_held(r->path) && ++held == 5) fail(...);
		 * usleep(10000); then flock(r->fd, LOCK_EX | LOCK_NB) and !same_file() ->
		 * close, r->fd = -1. */
		r->fd = open(r->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (r->fd == -1 && errno != EEXIST)
			die("open(%s, O_CREAT|O_EXCL)", r->path);
		/* Held: by its minibox, or for a moment by another minibox's
		 * sweep. Look again, a few times, before saying it runs. */
		if (r->fd == -1 && record_held(r->path) && ++held == 5)
			fail("--name %s: a container of that name is running (%s)", opt.name, r->path);
		if (r->fd == -1 && held)
			usleep(10000);
		/* a sweep may remove the file between open() and flock() */
		if (r->fd >= 0 && (flock(r->fd, LOCK_EX | LOCK_NB) == -1 || !same_file(r->fd, r->path))) {
			close(r->fd);
			r->fd = -1;
		}
		/* END LAB 08 */
		if (r->fd >= 0) {
			/* SAY LAB 08: for -v, narrate that the record is ours; the tests
			 * read the start of the line: "open(PATH, O_CREAT|O_EXCL) = FD, " */
			narrate("open(%s, O_CREAT|O_EXCL) = %d, flock(%d, LOCK_EX) = 0", r->path, r->fd, r->fd);
			remove_record_at_exit(r);
			return;
		}
	}
	errno = EAGAIN;
	/* SHOW LAB 08: die("--name %s: no record made in %d tries (%s)", opt.name, tries,
	 * r->path); */
	die("open(%s, O_CREAT|O_EXCL): %d tries", r->path, tries);
}

/* Write down what minibox-exec needs, in lines "KEY VALUE". */
static void write_record(const struct record *r, pid_t pid, const struct cgroup *cg)
{
	struct record_data data = { .pid = pid, .uid = getuid() };
	char text[RECORD_MAX];
	int i, len;

	/* LAB 08: fill in data: the start time of pid (start_time()), opt.rootfs, each
	 * cgroup directory we hold (cg->fds[i] >= 0); format_record() it into text, and
	 * write that into the record, from its start */
	/* GOAL LAB 08: The record holds the container's facts, and minibox-exec can trust them:
	 * the start time of pid (start_time(); none at all is a failure: "/proc/PID/stat: no
	 * start time for the container's PID 1"), opt.rootfs, and each cgroup directory we hold
	 * (cg->fds[i] >= 0, one per directory); format_record() turns data into text, which
	 * replaces the record's content from its first byte. For -v narrate "write(PATH, \"pid
	 * PID\\n...\")". Read proc(5), /proc/PID/stat field 22. Checked by "the record gives
	 * the start time of the container's PID 1", "the record is there while the container
	 * runs". */
	/* HINT LAB 08 1: man 5 proc, /proc/PID/stat, field 22 (starttime): why a PID alone is
	 * not enough to name a process. */
	/* HINT LAB 08 2: Fill the struct, format it, and write it at offset 0 of the record's
	 * descriptor (one positioned write); a short write is a failure. */
	/* HINT LAB 08 3: data.start = start_time(pid); snprintf(data.rootfs, ...); for each i
	 * with cg->fds[i] >= 0 copy cg->dirs[i] into data.cgroups[data.ncgroups++]; len =
	 * format_record(text, sizeof(text), &data); pwrite(r->fd, text, len, 0). */
	data.start = start_time(pid);
	if (data.start == 0) /* minibox-exec checks it: a record must have it */
		fail("/proc/%d/stat: no start time for the container's PID 1", pid);
	snprintf(data.rootfs, sizeof(data.rootfs), "%s", opt.rootfs);
	data.privileged = opt.privileged;
	append_environment(&data);
	for (i = 0; i < cg->ndirs; i++) {
		if (cg->fds[i] >= 0) /* one line per directory, not per controller */
			snprintf(data.cgroups[data.ncgroups++], PATH_MAX, "%s", cg->dirs[i]);
	}
	len = format_record(text, sizeof(text), &data);
	if (pwrite(r->fd, text, len, 0) != len)
		die("write(%s)", r->path);
	narrate("write(%s, \"pid %d\\n...\")", r->path, pid);
	/* END LAB 08 */
}

/* The container has ended: remove its record, while we still hold it. */
static void remove_record(struct record *r)
{
	if (r->fd < 0)
		return;
	/* LAB 08: unlink the record (we hold its lock), then close it */
	/* GOAL LAB 08: When the container ends its record is gone (we still hold its lock, so
	 * no one else can have replaced it), narrated for -v as the other lines do, "CALL(PATH)
	 * = 0", and its
	 * descriptor is released. Read unlink(2). Checked by "the record is there while the
	 * container runs, and gone after it ends". */
	/* HINT LAB 08 1: man 2 unlink; man 2 flock: closing the last descriptor releases the
	 * lock. */
	/* HINT LAB 08 2: Remove the path first, then close the descriptor: in the other order
	 * another minibox could take the name between the two and lose its record. */
	/* HINT LAB 08 3: if (unlink(r->path) == -1) die("unlink(%s)", r->path); narrate(...);
	 * close(r->fd); */
	if (unlink(r->path) == -1)
		die("unlink(%s)", r->path);
	narrate("unlink(%s) = 0", r->path);
	close(r->fd);
	/* END LAB 08 */
	r->fd = -1;
}

/* --name: publish the record once the child says that it is set up (it
 * closes its end of the ready pipe: end of file here), then let it run the
 * command. A child that died instead closed it too: wait_for_child() then
 * reports its end, and the record goes with it. */
static void publish_when_set_up(struct child_args *args, pid_t pid)
{
	char c;

	close(args->ready[1]);
	if (read(args->ready[0], &c, 1) == -1)
		die("read(ready pipe)");
	close(args->ready[0]);
	narrate("read(ready pipe) = 0: the container is set up");
	write_record(&args->record, pid, &args->cg);
	if (write(args->sync[1], "p", 1) != 1 && errno != EPIPE)
		die("write(sync pipe)");
}

/* die() may end minibox after the name is claimed: remove the record on
 * the way out, as the cgroup. Only minibox, not its child, a copy. */
static struct record *record_to_remove;

static void remove_registered_record(void)
{
	if (record_to_remove)
		remove_record(record_to_remove);
}

static void remove_record_at_exit(struct record *r)
{
	if (record_to_remove)
		return; /* registered already */
	record_to_remove = r;
	if (atexit(remove_registered_record) != 0)
		die("atexit");
}

/* The child's first step: what the exit handlers would remove is
 * minibox's. A PID cannot tell the two apart: when minibox itself runs as
 * the init of a PID namespace, it and its child are both PID 1. */
static void leave_cleanup_to_minibox(void)
{
	cgroup_to_remove = NULL;
	record_to_remove = NULL;
}

/* ------------------------------------------------------ the command line */

/* Reading the options and checking their values: plumbing, which you may
 * skip. Every value is checked here, before anything is created, so that a
 * bad one leaves nothing behind. */

static void __attribute__((noreturn)) usage(FILE *out, int status)
{
	fputs("usage: minibox [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run COMMAND in its own user, UTS, PID, mount, network, IPC and cgroup\n"
	      "namespaces (and a time namespace with --uptime-offset), with limits,\n"
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
	      "  --memory SIZE    memory limit, swap included; K, M or G suffix\n"
	      "  --pids N         at most N processes (and threads)\n"
	      "  --cpus FRACTION  CPU time limit, e.g. 0.5 for half a CPU\n"
	      "  --name NAME      record the running container as NAME, so that\n"
	      "                   minibox-exec NAME COMMAND can join it\n"
	      "  --uptime-offset SECONDS\n"
	      "                   its own clocks: CLOCK_MONOTONIC and CLOCK_BOOTTIME\n"
	      "                   (the uptime) read SECONDS more, or less\n"
	      "  --privileged     none of chapter 10's layers: all capabilities, no\n"
	      "                   seccomp filter, a writable rootfs and /proc, the\n"
	      "                   caller's session and keyring (to show the escapes)\n"
	      "  --env NAME=VALUE set a variable in the command's environment, which\n"
	      "                   starts clean: PATH, HOME, HOSTNAME (repeatable)\n"
	      "  --tmp-size SIZE, --dev-size SIZE, --shm-size SIZE\n"
	      "                   the size of the tmpfs at /tmp, /dev and /dev/shm\n"
	      "                   (default 64M, 64K and 64M; --privileged: half the RAM)\n"
	      "  -t, --tty        a terminal of the container's own (docker run -t);\n"
	      "                   without it, the command's streams are pipes\n"
	      "  -i, --interactive  accepted, as docker run -i: stdin is always relayed\n"
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

/* --memory SIZE (and chapter 10's sizes of /tmp, /dev, /dev/shm): bytes,
 * or with a K, M or G suffix (powers of 1024). */
static unsigned long long parse_size(const char *option, const char *arg)
{
	unsigned long long n, unit = 1;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (*end && strchr("kK", *end))
		unit = 1ULL << 10;
	else if (*end && strchr("mM", *end))
		unit = 1ULL << 20;
	else if (*end && strchr("gG", *end))
		unit = 1ULL << 30;
	if (unit > 1)
		end++;
	if (errno || end == arg || *end || !isdigit((unsigned char)arg[0]) || n == 0 ||
	    n > (1ULL << 50) / unit)
		fail("%s %s: expected a size above 0, in bytes or with K, M or G, e.g. 64M", option, arg);
	if (strcmp(option, "--memory") == 0 && n * unit < (1ULL << 20))
		fail("--memory %s: too small to start a process, give at least 1M", arg);
	return n * unit;
}

/* --pids N: a whole number above 0. */
static long parse_count(const char *arg)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || !isdigit((unsigned char)arg[0]) || *end || n <= 0 || n > 4194304)
		fail("--pids %s: expected a whole number from 1 to 4194304", arg);
	return n;
}

/* --cpus FRACTION: above 0, and no more than the CPUs this host has. */
static double parse_cpus(const char *arg)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;
	double n;

	errno = 0;
	n = strtod(arg, &end);
	/* digits and a dot only: strtod would also take " 1", "+1", "inf", "0x1p-1" */
	if (errno || !isdigit((unsigned char)arg[0]) || strspn(arg, "0123456789.") != strlen(arg) ||
	    *end || !(n >= 0.01))
		fail("--cpus %s: expected a number of CPUs from 0.01 up, e.g. 0.5", arg);
	if (n > ncpus)
		fail("--cpus %s: this host has %ld CPUs", arg, ncpus);
	return n;
}

/* --name NAME: a file name in the records' folder, by docker's rule: 1 to
 * 64 letters, digits, "_", "." or "-", the first a letter or a digit (so
 * never "." or ".."). Not all digits: minibox-exec takes those for a PID. */
static void check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_LEN_MAX || !isalnum((unsigned char)name[0]) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		fail("--name %s: expected 1 to %d letters, digits, \"_\", \".\" or \"-\","
		     " the first a letter or a digit", name, NAME_LEN_MAX);
	if (strspn(name, "0123456789") == len)
		fail("--name %s: only digits, which minibox-exec would take for a PID", name);
}

/* --uptime-offset SECONDS: a whole number, negative too, as long as both
 * clocks stay at 0 or above inside, and below the kernel's limit. */
static long long parse_offset(const char *arg)
{
	struct timespec monotonic, boottime;
	long long n;
	char *end;

	errno = 0;
	n = strtoll(arg, &end, 10);
	if (errno || !isdigit((unsigned char)arg[arg[0] == '-']) || *end)
		fail("--uptime-offset %s: expected a whole number of seconds, e.g. 86400 for a day", arg);
	if (clock_gettime(CLOCK_MONOTONIC, &monotonic) == -1 ||
	    clock_gettime(CLOCK_BOOTTIME, &boottime) == -1)
		die("clock_gettime");
	/* CLOCK_MONOTONIC stops during suspend: it is the lower of the two */
	if (n < -monotonic.tv_sec)
		fail("--uptime-offset %s: the clocks would go below zero (CLOCK_MONOTONIC is at %lld s)",
		     arg, (long long)monotonic.tv_sec);
	if (n > CLOCK_SEC_MAX - boottime.tv_sec)
		fail("--uptime-offset %s: the clocks would pass the kernel's limit, %lld s",
		     arg, CLOCK_SEC_MAX);
	return n;
}

/* --env NAME=VALUE: NAME as a shell takes it (a letter or "_" first, then
 * letters, digits and "_"), so that the command can read it. No newline,
 * and a line's length at most: a record (--name) holds one variable a line. */
static void add_env(const char *arg)
{
	size_t name = strcspn(arg, "=");

	if (opt.nenv == MAX_ENV)
		fail("--env %s: at most %d of them", arg, MAX_ENV);
	if (name == 0 || !arg[name] || isdigit((unsigned char)arg[0]) ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != name)
		fail("--env %s: expected NAME=VALUE, a NAME of letters, digits and \"_\","
		     " not a digit first", arg);
	if (strchr(arg, '\n'))
		fail("--env %.*s: a newline in the value; a record holds one variable a line",
		     (int)name, arg);
	if (strlen(arg) >= PATH_MAX)
		fail("--env %.*s: %zu bytes, the limit is %d", (int)name, arg, strlen(arg), PATH_MAX - 1);
	opt.env[opt.nenv++] = arg;
}

/* Has this host a pids controller? On v2 the root's cgroup.controllers
 * names it; on v1 it is a hierarchy of its own. */
static int host_has_pids_controller(void)
{
	char line[256] = "", words[260];
	FILE *f = fopen(CGROUP_ROOT "/cgroup.controllers", "r");

	if (!f) /* cgroup v1 */
		return access(CGROUP_ROOT "/pids/cgroup.procs", F_OK) == 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(words, sizeof(words), " %s ", line);
	return strstr(words, " pids ") != NULL;
}

/* Limits a container gets without asking, as runtimes give them: a fork
 * bomb or a full /tmp must not take the host down. The pids limit needs a
 * cgroup, which minibox makes as root (an ordinary user's only with a
 * limit asked for, chapter 07), and a pids controller. --privileged: none,
 * as in chapter 09. */
static void default_limits(void)
{
	if (opt.privileged)
		return;
	if (!opt.pids && geteuid() == 0 && host_has_pids_controller())
		opt.pids = DEFAULT_PIDS;
	if (!opt.tmp_size)
		opt.tmp_size = 64ULL << 20;
	if (!opt.dev_size)
		opt.dev_size = 64ULL << 10; /* empty files and links: nothing to hold */
	if (!opt.shm_size)
		opt.shm_size = 64ULL << 20; /* docker run's --shm-size */
}

/* The whole environment must fit in a record: ENV_MAX bytes. */
static void check_environment(void)
{
	const char *env[MAX_ENV + 5];
	size_t total = 0;
	int i, n = container_environment(env);

	for (i = 0; i < n; i++)
		total += strlen(env[i]) + 1;
	if (total > ENV_MAX)
		fail("--env: %zu bytes in all, the limit is %d", total, ENV_MAX);
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
		{ "memory", required_argument, NULL, 'M' },
		{ "pids", required_argument, NULL, 'N' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "name", required_argument, NULL, 'n' },
		{ "uptime-offset", required_argument, NULL, 'T' },
		{ "privileged", no_argument, NULL, 'X' },
		{ "env", required_argument, NULL, 'e' },
		{ "tmp-size", required_argument, NULL, 'm' },
		{ "dev-size", required_argument, NULL, 'd' },
		{ "shm-size", required_argument, NULL, 's' },
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "timings", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	opterr = 0; /* we print our own one-line errors */
	/* "+": stop at the first word that is not an option, so that
	 * `minibox ls -l` passes -l to ls. */
	while ((c = getopt_long(argc, argv, "+:vhti", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': opt.hostname = optarg; break;
		case 'I': opt.init = 1; break;
		case 'R': opt.rootfs = optarg; break;
		case 'B': add_bind(optarg); break;
		case 'U': add_map("--uid-map", optarg, opt.uid_maps, &opt.nuid_maps); break;
		case 'G': add_map("--gid-map", optarg, opt.gid_maps, &opt.ngid_maps); break;
		case 'P': parse_ip(optarg); break;
		case 'M': opt.memory = parse_size("--memory", optarg); break;
		case 'N': opt.pids = parse_count(optarg); break;
		case 'C': opt.cpus = parse_cpus(optarg); break;
		case 'n': check_name(optarg); opt.name = optarg; break;
		case 'T': opt.uptime_offset = parse_offset(optarg); opt.time_ns = 1; break;
		case 'X': opt.privileged = 1; break;
		case 'e': add_env(optarg); break;
		case 'm': opt.tmp_size = parse_size("--tmp-size", optarg); break;
		case 'd': opt.dev_size = parse_size("--dev-size", optarg); break;
		case 's': opt.shm_size = parse_size("--shm-size", optarg); break;
		case 'v': opt.verbose = 1; break;
		case 't': opt.tty = 1; break;
		case 'i': break; /* docker's -i: stdin is always relayed */
		case 'k': opt.timings = 1; clock_gettime(CLOCK_REALTIME, &opt.started); break;
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
	check_environment();
	default_limits();
}

int main(int argc, char **argv)
{
	/* static: the exit handler that removes the cgroup (remove_cgroup_at_exit())
	 * may look at args.cg after main() has returned */
	static struct child_args args;
	char id[13]; /* names what we create on the host: cgroup, veth's host end */
	int status;
	struct streams streams;
	pid_t pid;

	start_clean();
	parse_options(argc, argv);
	check_proc_is_ours(); /* the maps are written through /proc/CHILD */
	/* The name before anything else is made: a name in use leaves
	 * nothing behind. Records of a minibox that is gone go first. */
	sweep_stale_records();
	args.record.fd = -1;
	if (opt.name)
		claim_name(&args.record);
	/* The sync pipe: the child waits on it for "go", so that what must be
	 * set up from outside is in place before it runs anything. O_CLOEXEC:
	 * the command must not inherit either end. */
	if (pipe2(args.sync, O_CLOEXEC) == -1)
		die("pipe2");
	args.ready[0] = args.ready[1] = -1;
	if (opt.name && pipe2(args.ready, O_CLOEXEC) == -1)
		die("pipe2(ready)");
	args.host_mnt_ns = namespace_of_self("mnt");
	make_container_id(id);
	/* Before clone3(): the child inherits the working directory. */
	enter_rootfs_dir();
	/* Copying a mount of the host's namespace needs CAP_SYS_ADMIN there:
	 * as an ordinary user, the child copies them (setup_mounts()). */
	if (geteuid() == 0)
		copy_bind_folders("");
	/* The cgroup before clone3(): on v2 the child is born in it, so it
	 * never runs one instruction without its limits. */
	create_cgroup(&args.cg, id);
	apply_limits(&args.cg);
	/* Block SIGCHLD (and the signals we pass on) before the child exists:
	 * none may come before wait_for_child() is ready for it. */
	block_signals();
	/* The command's streams before clone3(): the child takes its ends. */
	args.streams = &streams;
	streams.tty = opt.tty;
	make_streams(&streams);
	pid = start_child(&args);
	close_child_ends(&streams);
	move_into_cgroup(&args.cg, pid);
	/* The maps before "go": the child's setresuid(0) needs them. */
	write_id_maps(pid);
	/* The cable before "go": the child configures eth0, so it must exist. */
	if (opt.ip)
		setup_host_end(pid, id);
	let_child_go(&args);
	/* The record once the child is set up, and before its command runs:
	 * minibox-exec may join from then on, not before. */
	if (opt.name)
		publish_when_set_up(&args, pid);
	/* Wait as before, and relay the streams meanwhile. */
	status = relay_until_exit(pid, &streams);
	/* The container has ended: nobody may join it by name any more. */
	remove_record(&args.record);
	remove_cgroup(&args.cg);
	return status;
}
