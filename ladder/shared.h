//@ 08+
/*
//@ 08-08
 * shared.h, chapter 08-exec: what both programs of the chapter need, written
//@ end
//@ 09-09
 * shared.h, chapter 09-time: what both programs of the chapter need, written
//@ end
//@ 10+
 * shared.h, chapter 10-harden: what both programs of the chapter need, written
//@ end
 * once: minibox.c and minibox-exec.c include it. The includer defines
 * PROGRAM (the name in front of every line), its options (opt.verbose,
 * opt.timings, opt.started) and EXIT_MINIBOX first.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h> /* clock_gettime, for --timings */
#include <unistd.h>

/* ---------------------------------------------------------------- output */

/* "PROGRAM: WHAT[: WHY]" on stderr, in one write(2), so that the lines of
 * a program and of its child never mix. STAMP (minibox --timings) puts the
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
	len = snprintf(line, sizeof(line), PROGRAM ": %s%s%s%s\n", when, what, err ? ": " : "",
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

/* The signals we wait for with sigwait(): SIGCHLD, when a child ends, and
 * the ones we pass on. */
static void waited_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);

	/* The signals a person sends to stop or poke a program: kill's
	 * default SIGTERM, Ctrl-C's SIGINT, Ctrl-\'s SIGQUIT, SIGHUP, SIGUSR1,
	 * SIGUSR2. minibox passes them on to the container, --init and
	 * minibox-exec to the command. */
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* Block them. Blocked, a signal waits in the kernel until sigwait() takes
 * it, so none is lost before we wait for the child. */
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
 * SIGPIPE alone is ignored, by us only: a write to a child that died
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
//@ 08-10
static int wait_for_child(pid_t pid, const char *who)
//@ end
//@ 11+
/* (minibox's --init uses it; both programs' relay_until_exit() does the
 * same and relays the streams: "unused" keeps minibox-exec's build quiet) */
static int __attribute__((unused)) wait_for_child(pid_t pid, const char *who)
//@ end
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

/* --------------------------------------------------------- root inside */

/* Take the ids that are root in the user namespace we are in: a new one
 * (minibox's child) or a joined one (minibox-exec's). Until now we kept
 * the host's: as root with --uid-map 0:100000:65536, host uid 0 is not
 * mapped at all. Capabilities in the namespace let us switch. */
static void take_root_ids(void)
{
	/* LAB 04: become gid 0, then uid 0, of the new user namespace (setresgid(),
	 * setresuid()); drop the host's supplementary groups with setgroups(0, NULL)
	 * where the kernel allows it: after "deny" in setgroups (an ordinary user's
	 * map) it fails with EPERM, and there are none to drop */
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
}

/* ------------------------------------------------------------ the record */

/* The record of a container started with --name NAME: a file NAME in the
 * records' folder, one "key value" line each. minibox writes it with
 * format_record(), minibox-exec reads it with read_record(): the format is
 * written down once, here, writer beside reader. */
#define MAX_CGROUPS 8
//@ 08-09
#define RECORD_MAX ((MAX_CGROUPS + 6) * (PATH_MAX + 16))
//@ end
//@ 10+
#define ENV_MAX 16384 /* bytes of the command's environment, NUL after each variable */
/* a line "env NAME=VALUE" takes at most 3 times the bytes of "N=\0" */
#define RECORD_MAX ((MAX_CGROUPS + 6) * (PATH_MAX + 16) + 3 * ENV_MAX)
//@ end
struct record_data {
	pid_t pid;                 /* its PID 1, as the host numbers it */
	unsigned long long start;  /* when that process started: PIDs are reused */
	uid_t uid;                 /* whose container it is */
	char rootfs[PATH_MAX];     /* for people to read */
//@ 10+
	int privileged;            /* minibox --privileged: none of chapter 10's layers */
//@ end
	char cgroups[MAX_CGROUPS][PATH_MAX]; /* its cgroup directories */
	int ncgroups;
//@ 10+
	char env[ENV_MAX];         /* the command's environment: NAME=VALUE, NUL, ... */
	size_t env_len;
//@ end
};

/* Where the records live: /run/minibox for root. An ordinary user may not
 * write there: the user's own runtime folder holds them ($XDG_RUNTIME_DIR,
 * which systemd makes at login, mode 0700), or else /tmp/minibox-UID. */
static void records_dir(char dir[PATH_MAX])
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (geteuid() == 0)
		snprintf(dir, PATH_MAX, "%s", STATE_DIR);
	else if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
		 st.st_uid == geteuid())
		snprintf(dir, PATH_MAX, "%s/minibox", xdg);
	else
		snprintf(dir, PATH_MAX, "/tmp/minibox-%u", geteuid());
}

/* When process PID started, in clock ticks after boot: field 22 of
 * /proc/PID/stat, as minibox wrote it down. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd == -1 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd != -1)
		close(fd);
	if (n <= 0)
		return 0; /* it has ended */
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p, " %llu", &t) == 1 ? t : 0;
}

/* The record as text, into TEXT (RECORD_MAX bytes); its length. Only
 * minibox writes records: "unused" keeps minibox-exec's build quiet. */
static int __attribute__((unused)) format_record(char *text, size_t size, const struct record_data *r)
{
	int i, len;

//@ 08-09
	/* LAB 08: a line "pid", "start", "uid", "rootfs", then one "cgroup" line
//@ end
//@ 10+
	/* LAB 08: a line "pid", "start", "uid", "rootfs", "privileged", then one "cgroup" line
//@ end
	 * per directory */
	/* GOAL LAB 08: The record's text is one line per fact, in this order, each "KEY VALUE":
	 * pid, start, uid, rootfs (from chapter 10 also privileged), then one "cgroup PATH"
	 * line per directory held; len is its length. minibox-exec reads it back with the
	 * parser below. Read proc(5) for start (field 22 of /proc/PID/stat). Checked by "the
	 * record gives the start time of the container's PID 1", "the record is there while the
	 * container runs". */
	/* HINT LAB 08 1: man 3 snprintf (its return value, to append). */
	/* HINT LAB 08 2: Format the fixed lines with one snprintf() into text, then append one
	 * line per cgroup at text + len. */
	/* HINT LAB 08 3: len = snprintf(text, size, "pid %d\nstart %llu\nuid %u\nrootfs %s\n",
	 * ...); for each cgroup len += snprintf(text + len, size - len, "cgroup %s\n",
	 * r->cgroups[i]); */
//@ 08-09
	len = snprintf(text, size, "pid %d\nstart %llu\nuid %u\nrootfs %s\n", r->pid, r->start,
		       r->uid, r->rootfs);
//@ end
//@ 10+
	len = snprintf(text, size, "pid %d\nstart %llu\nuid %u\nrootfs %s\nprivileged %d\n", r->pid, r->start,
		       r->uid, r->rootfs, r->privileged);
//@ end
	for (i = 0; i < r->ncgroups; i++)
		len += snprintf(text + len, size - len, "cgroup %s\n", r->cgroups[i]);
	/* END LAB 08 */
//@ 10+
	for (i = 0; i < (int)r->env_len; i += strlen(r->env + i) + 1)
		len += snprintf(text + len, size - len, "env %s\n", r->env + i);
//@ end
	return len;
}

/* Read a record that format_record() wrote; a line of a key it does not
 * know is passed over. Only minibox-exec reads them. */
static void __attribute__((unused)) read_record(FILE *f, struct record_data *r)
{
	char line[PATH_MAX + 16], *value;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		value = strchr(line, ' ');
		if (!value)
			continue;
		*value++ = '\0';
		if (strcmp(line, "pid") == 0)
			r->pid = atoi(value);
		else if (strcmp(line, "start") == 0)
			r->start = strtoull(value, NULL, 10);
		else if (strcmp(line, "uid") == 0)
			r->uid = strtoul(value, NULL, 10);
		else if (strcmp(line, "rootfs") == 0)
			snprintf(r->rootfs, sizeof(r->rootfs), "%s", value);
//@ 10+
		else if (strcmp(line, "privileged") == 0)
			r->privileged = atoi(value) == 1;
//@ end
		else if (strcmp(line, "cgroup") == 0 && r->ncgroups < MAX_CGROUPS)
			snprintf(r->cgroups[r->ncgroups++], PATH_MAX, "%s", value);
//@ 10+
		else if (strcmp(line, "env") == 0 && value[0] != '=' && strchr(value, '=') &&
			 r->env_len + strlen(value) + 1 <= sizeof(r->env))
			r->env_len += sprintf(r->env + r->env_len, "%s", value) + 1;
//@ end
	}
}
//@ end
