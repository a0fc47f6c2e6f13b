/*
 * minibox, chapter 01-uts: the container gets its own hostname.
 *
 * Chapter 00 plus one idea: clone3() with CLONE_NEWUTS gives the child a new
 * UTS namespace, a private copy of the hostname (and NIS domain name). The
 * child sets the name before it runs the command; the host's name does not
 * change.
 *
 *   cc -std=gnu11 -Wall -Wextra -o minibox minibox.c
 *   sudo ./minibox --hostname box -- hostname
 */
#define _GNU_SOURCE /* the CLONE_* flags */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h> /* struct clone_args */
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The exit codes of docker run and podman run: a script can tell a failure
 * of minibox from a failure of the command. */
enum {
	EXIT_MINIBOX = 125,    /* minibox itself failed */
	EXIT_CANNOT_RUN = 126, /* the command exists but cannot be run */
	EXIT_NOT_FOUND = 127,  /* there is no such command */
};

/* What the command line asked for: the program's one global variable (a
 * few functions keep a buffer of their own, static). */
static struct options {
	int verbose;
	int timings;                /* --timings: -v with a clock */
	struct timespec started;    /* when --timings started it */
	const char *hostname;
	char **command;
} opt = { .hostname = "minibox" };

/* What the parent hands to the child. */
struct child_args {
	int sync[2]; /* a pipe: minibox writes "go" into [1], the child reads [0] */
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

/* The signals minibox waits for with sigwait(): SIGCHLD, when a child ends.
 * (Chapter 02 adds the signals a person sends.) */
static void waited_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
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

/* Wait for PID to end and return its exit status. WHO starts the -v lines
 * (chapter 02's init has its own). */
static int wait_for_child(pid_t pid, const char *who)
{
	sigset_t waited;
	pid_t ended;
	int sig, status;

	waited_signals(&waited);
	for (;;) {
		if (sigwait(&waited, &sig) != 0)
			die("sigwait");
		/* One SIGCHLD may stand for several children: reap them all. */
		while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
			if (ended == pid)
				return exit_status(pid, status, who);
		}
	}
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
 * first), and make sure this process never outlives minibox (its own
 * children may, until chapter 02's PID namespace; and a set-user-ID or
 * set-group-ID command cancels the request, prctl(2)). */
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

/* The child starts here, in a copy of minibox's memory. It never returns. */
static void __attribute__((noreturn)) child_main(struct child_args *args)
{
	/* Nothing runs before "go": what minibox sets up from outside must be
	 * in place first. */
	wait_for_go(args->sync);
	setup_uts();
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
	return flags;
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
	if (pid == -1 && errno == EPERM)
		die_hint("a new namespace needs CAP_SYS_ADMIN: run minibox with sudo",
			 "clone3(%s)", flag_names(ca.flags, clone_flags));
	if (pid == -1)
		die("clone3(%s)", flag_names(ca.flags, clone_flags));
	if (pid == 0)
		child_main(args); /* like fork(), the child returns here with 0 */
	narrate("clone3(flags=%s, exit_signal=SIGCHLD) = %d (host pid)",
		flag_names(ca.flags, clone_flags), pid);
	return pid;
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

/* ------------------------------------------------------ the command line */

/* Reading the options and checking their values: plumbing, which you may
 * skip. Every value is checked here, before anything is created, so that a
 * bad one leaves nothing behind. */

static void __attribute__((noreturn)) usage(FILE *out, int status)
{
	fputs("usage: minibox [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run COMMAND in its own UTS namespace and wait for it.\n"
	      "\n"
	      "  --hostname NAME  hostname inside (default minibox)\n"
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

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hostname", required_argument, NULL, 'H' },
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
	check_hostname(opt.hostname);
}

int main(int argc, char **argv)
{
	struct child_args args;
	pid_t pid;

	start_clean();
	parse_options(argc, argv);
	/* The sync pipe: the child waits on it for "go", so that what must be
	 * set up from outside is in place before it runs anything. O_CLOEXEC:
	 * the command must not inherit either end. */
	if (pipe2(args.sync, O_CLOEXEC) == -1)
		die("pipe2");
	/* Block SIGCHLD (and the signals we pass on) before the child exists:
	 * none may come before wait_for_child() is ready for it. */
	block_signals();
	pid = start_child(&args);
	let_child_go(&args);
	return wait_for_child(pid, "");
}
