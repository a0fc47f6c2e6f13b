/*
 * escprobe: try chapter 10's escapes, and make chapter 08's races happen,
 * for their tests, without harming the host. Built static, it runs in the
 * busybox rootfs (which has no keyctl) and on the host. Every target is
 * the test's own: sysfs files are only opened, never written; the terminal
 * is a pseudo-terminal this program makes; the key is one it adds to a
 * session keyring it makes; the records are in a /run/minibox of the
 * test's own.
 *
 * In the container:
 *   escprobe openw PATH...      open each O_WRONLY (no write): "PATH: writable" or why not
 *   escprobe type TEXT          push TEXT into the terminal on stdin (ioctl TIOCSTI)
 *   escprobe readkey NAME       print the session keyring's "user" key NAME
 *   escprobe syscalls           try calls the seccomp filter refuses; say what each gave
 *   escprobe refused            ask the seccomp filter about every call of chapter 10's
 *                               list, and the calls it judges by their arguments,
 *                               without making one: "CALL: EPERM" (or clone3's ENOSYS)
 *                               where it refuses, "CALL: allowed" where it lets it through
 *   escprobe euid               print the effective uid (a planted setuid copy)
 *   escprobe hostile-env        overwrite its own environment block with zeros, then
 *                               print "ready" and sleep: what /proc/PID/environ then
 *                               shows minibox-exec is a run of empty strings
 *   escprobe int80              x86_64: getpid through the 32-bit table (int 0x80)
 *   escprobe uring              io_uring_setup(2): "ok" or the errno's name
 *   escprobe grab COMM SECONDS  watch for a process named COMM (minibox-exec joining)
 *                               and open its /proc/PID/exe, a file out of the
 *                               container's reach; then wait for it to be free and
 *                               reopen it O_WRONLY (no write): "writable", or why not
 * On the host:
 *   escprobe pty CMD...         run CMD in a new session whose controlling terminal
 *                               is a new pseudo-terminal, CMD's stdin; afterwards,
 *                               print what waits in the terminal's input, as
 *                               the caller's shell would read it next
 *   escprobe keyring NAME SECRET CMD...
 *                               in a new session keyring holding the "user"
 *                               key NAME = SECRET, run CMD
 *   escprobe filter PID         print process PID's seccomp filter, one BPF
 *                               instruction a line (root: ptrace(2) reads it)
 * On the host, as root, chapter 08's races made to happen, each at a chosen
 * moment: fanotify(7) holds a process's open(2) or execve(2) of a file until
 * the probe has done its part. Each runs CMD and exits with its status.
 *   escprobe record-held FILE CMD...
 *                               FILE, a record, is made and locked, as another
 *                               minibox's sweep holds one for a moment; it is
 *                               unlinked and let go as CMD opens it the third time
 *   escprobe record-replaced FILE CMD...
 *                               FILE is made, unlocked (a stale record); as CMD
 *                               first opens it, FILE is unlinked and made anew,
 *                               locked (a container that claimed the name
 *                               meanwhile); after CMD: "FILE: still there" or
 *                               "FILE: removed, though it is held"
 *   escprobe record-swept DIR CMD...
 *                               as CMD first opens a file in the mount DIR, the
 *                               file is locked, unlinked and let go, as a sweep
 *                               that comes between a claim's open() and flock()
 *   escprobe exec-fds FILE CMD...
 *                               as a process execs FILE: "exec: both ends of
 *                               pipe:[N]" for each pipe it holds both ends of,
 *                               else "exec: no pipe held at both ends"
 *
 *   cc -static -o escprobe escprobe.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <linux/filter.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

static int usage(void)
{
	fputs("usage: escprobe openw PATH... | type TEXT | readkey NAME | syscalls | refused | euid | int80\n"
	      "       escprobe uring | grab COMM SECONDS\n"
	      "       escprobe pty CMD... | keyring NAME SECRET CMD...\n"
	      "       escprobe record-held|record-replaced|exec-fds FILE CMD... | record-swept DIR CMD...\n",
	      stderr);
	return 2;
}

static int openw(char **paths)
{
	int fd;

	for (; *paths; paths++) {
		fd = open(*paths, O_WRONLY | O_CLOEXEC);
		if (fd == -1) {
			printf("%s: %s\n", *paths, strerror(errno));
			continue;
		}
		close(fd); /* opened, never written */
		printf("%s: writable\n", *paths);
	}
	return 0;
}

static int type(const char *text)
{
	for (; *text; text++) {
		if (ioctl(0, TIOCSTI, text) == -1) {
			printf("TIOCSTI: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("TIOCSTI: typed\n");
	return 0;
}

static int readkey(const char *name)
{
	char buf[256];
	long id, n;

	id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", name, 0);
	if (id == -1) {
		printf("keyctl(KEYCTL_SEARCH): %s\n", strerror(errno));
		return 1;
	}
	n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf) - 1);
	if (n < 0) {
		printf("keyctl(KEYCTL_READ): %s\n", strerror(errno));
		return 1;
	}
	buf[n < (long)sizeof(buf) ? n : (long)sizeof(buf) - 1] = '\0';
	printf("the caller's key %s: %s\n", name, buf);
	return 0;
}

/* What a call gave: "ok" or the errno's name. */
static void said(const char *what, long ret)
{
	printf("%s: %s\n", what, ret == -1 ? strerrorname_np(errno) : "ok");
}

/* Each call in a child of its own: the one that succeeds changes nothing here. */
static long in_child(int which)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	int status;
	pid_t pid = fork();

	if (pid == -1)
		return -1;
	if (pid == 0) {
		long r = -1;

		if (which == 0)
			r = unshare(CLONE_NEWUSER);
		if (which == 1)
			r = mount("none", "/tmp", "tmpfs", 0, NULL);
		if (which == 2) {
			r = syscall(SYS_clone3, &ca, sizeof(ca));
			if (r == 0)
				_exit(0);
		}
		if (which == 3) { /* the flags are an argument here: the filter reads them */
			r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
			if (r == 0)
				_exit(0);
		}
		if (which == 4) { /* TIOCSTI on a terminal of our own: only the filter stops it */
			int ptm = open("/dev/ptmx", O_RDWR | O_NOCTTY), pts = -1;
			char c = ' ';

			/* a new session: its leader's first terminal becomes its controlling one */
			if (ptm == -1 || setsid() == -1 || grantpt(ptm) == -1 || unlockpt(ptm) == -1 ||
			    (pts = open(ptsname(ptm), O_RDWR)) == -1)
				_exit(EBADF); /* the setup failed, not the call */
			r = ioctl(pts, TIOCSTI, &c);
		}
		_exit(r == -1 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	errno = WEXITSTATUS(status);
	return errno ? -1 : 0;
}

static int syscalls(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	said("fork", pid == -1 ? -1 : waitpid(pid, NULL, 0));
	said("unshare(CLONE_NEWUSER)", in_child(0));
	said("mount(tmpfs)", in_child(1));
	said("clone3", in_child(2));
	said("clone(CLONE_NEWUSER)", in_child(3));
	said("ioctl(TIOCSTI), its own terminal", in_child(4));
	said("keyctl(KEYCTL_GET_KEYRING_ID)",
	     syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	return 0;
}

/* ------------------------------------------------ the filter, entry by entry */

#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467 /* Linux 6.15: newer than glibc 2.36's list */
#endif

/* Chapter 10's list of refused calls, a copy of the tests' own: each one
 * is asked about by name. */
#define CALL(name) { #name, SYS_##name }
static const struct {
	const char *name;
	long nr;
} listed[] = {
	CALL(keyctl), CALL(add_key), CALL(request_key),
	CALL(kexec_load), CALL(kexec_file_load), CALL(init_module), CALL(finit_module), CALL(delete_module),
	CALL(bpf), CALL(perf_event_open), CALL(userfaultfd),
	CALL(io_uring_setup), CALL(io_uring_enter), CALL(io_uring_register),
	CALL(setns), CALL(mount), CALL(umount2), CALL(pivot_root),
	CALL(open_tree), CALL(open_tree_attr), CALL(move_mount), CALL(fsopen), CALL(fsconfig), CALL(fsmount),
	CALL(fspick), CALL(mount_setattr), CALL(open_by_handle_at), CALL(name_to_handle_at),
	CALL(settimeofday), CALL(clock_settime), CALL(clock_adjtime), CALL(swapon), CALL(swapoff),
	CALL(reboot), CALL(syslog), CALL(acct), CALL(quotactl), CALL(vhangup),
#ifdef SYS_iopl
	CALL(iopl), CALL(ioperm),
#endif
};

/* The namespace flags, which the filter refuses in clone's and unshare's
 * first argument. */
#define FLAG(name) { #name, name }
static const struct {
	const char *name;
	unsigned long flag;
} ns_flags[] = {
	FLAG(CLONE_NEWNS), FLAG(CLONE_NEWCGROUP), FLAG(CLONE_NEWUTS), FLAG(CLONE_NEWIPC),
	FLAG(CLONE_NEWUSER), FLAG(CLONE_NEWPID), FLAG(CLONE_NEWNET), FLAG(CLONE_NEWTIME),
};

#define MAX_ASKED 80
struct asked {
	char what[64]; /* as long as refused()'s name[] */
	long nr, arg0, arg1;
	int allowed_errno; /* what the call gives when the filter lets it through */
};

static int ask(struct asked *a, int n, const char *what, long nr, long arg0, long arg1)
{
	snprintf(a[n].what, sizeof(a[n].what), "%s", what);
	a[n].nr = nr;
	a[n].arg0 = arg0;
	a[n].arg1 = arg1;
	a[n].allowed_errno = ENOSYS;
	return n + 1;
}

#if defined(__x86_64__)
#define PROBE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PROBE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define PROBE_ARCH AUDIT_ARCH_RISCV64
#endif

/* Ask the filter we run under about each call without making one. A filter
 * of our own, stacked on top, answers every call but write, exit and clone3
 * with SECCOMP_RET_TRACE: with no tracer attached, the kernel fails the
 * call with ENOSYS before it runs. Of all the filters' answers the kernel
 * takes the most severe, and ERRNO (the container's EPERM) is more severe
 * than TRACE: EPERM says the container's filter refused the call, ENOSYS
 * that it let it through to ours. clone3 is refused with ENOSYS itself:
 * ours lets it through, with a size the kernel refuses (EINVAL) before
 * it makes any process. So nothing is called: not reboot, not swapoff. */
static int refused(void)
{
	static struct asked a[MAX_ASKED];
	char name[64];
	int n = 0, err[MAX_ASKED], status, p[2];
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		n = ask(a, n, listed[i].name, listed[i].nr, 0, 0);
#ifdef __x86_64__
	/* x32's numbers, from 0x40000000, share x86_64's arch */
	n = ask(a, n, "x32 getpid", 0x40000000 | SYS_getpid, 0, 0);
#endif
	n = ask(a, n, "clone3", SYS_clone3, 0, 0);
	a[n - 1].allowed_errno = EINVAL;
	n = ask(a, n, "ioctl(TIOCSTI)", SYS_ioctl, 0, TIOCSTI);
	/* the kernel reads the request as an int: the high half must not matter */
	n = ask(a, n, "ioctl(TIOCSTI | 1 << 32)", SYS_ioctl, 0, (long)(TIOCSTI | 1ULL << 32));
	n = ask(a, n, "ioctl(TCGETS)", SYS_ioctl, 0, TCGETS);
	for (i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		if (ns_flags[i].flag == CLONE_NEWTIME)
			continue; /* for clone, 0x80 is the exit signal's bits */
		snprintf(name, sizeof(name), "clone(%s)", ns_flags[i].name);
		n = ask(a, n, name, SYS_clone, (long)(ns_flags[i].flag | SIGCHLD), 0);
	}
	n = ask(a, n, "clone(SIGCHLD)", SYS_clone, SIGCHLD, 0);
	for (i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		snprintf(name, sizeof(name), "unshare(%s)", ns_flags[i].name);
		n = ask(a, n, name, SYS_unshare, (long)ns_flags[i].flag, 0);
	}
	n = ask(a, n, "unshare(CLONE_FILES)", SYS_unshare, CLONE_FILES, 0);

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		perror("escprobe: fork");
		return 125;
	}
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROBE_ARCH, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 4, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 3, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 2, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
		int j;

		close(p[0]);
		/* (no_new_privs is set already in a hardened container) */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == -1)
			_exit(125);
		/* from here on: only the calls asked about, write and exit */
		for (j = 0; j < n; j++)
			err[j] = syscall(a[j].nr, a[j].arg0, a[j].arg1, 0, 0, 0, 0) == -1 ? errno : 0;
		_exit(write(p[1], err, n * sizeof(int)) == (ssize_t)(n * sizeof(int)) ? 0 : 125);
	}
	close(p[1]);
	if (read(p[0], err, n * sizeof(int)) != (ssize_t)(n * sizeof(int)) ||
	    waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fputs("escprobe: refused: the asking child failed\n", stderr);
		return 125;
	}
	for (i = 0; i < (size_t)n; i++)
		printf("%s: %s\n", a[i].what,
		       err[i] == a[i].allowed_errno ? "allowed" : err[i] ? strerrorname_np(err[i]) : "ran");
	return 0;
}

/* A 64-bit process may still call the 32-bit table, where getpid is 20
 * (in the 64-bit one, 20 is writev): a filter must check the arch. */
static int int80(void)
{
#ifdef __x86_64__
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "rcx", "r8", "r9", "r10", "r11", "memory");
	printf("int 0x80, getpid: %ld\n", ret);
	return 0;
#else
	puts("int 0x80: not x86_64");
	return 2;
#endif
}

/* The caller's side of the terminal: a session of our own, whose
 * controlling terminal is a new pty; CMD reads it as stdin. */
static int pty(char **cmd)
{
	struct termios raw;
	char buf[256];
	int master, slave, status;
	ssize_t n;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master == -1 || grantpt(master) == -1 || unlockpt(master) == -1) {
		perror("escprobe: posix_openpt");
		return 125;
	}
	/* a process group leader may not start a session: go on in a child */
	pid = fork();
	if (pid > 0)
		return waitpid(pid, &status, 0) == -1 ? 125 : WEXITSTATUS(status);
	if (pid == -1 || setsid() == -1) {
		perror("escprobe: setsid");
		return 125;
	}
	slave = open(ptsname(master), O_RDWR); /* the first terminal a session opens is its own */
	if (slave == -1 || tcgetattr(slave, &raw) == -1) {
		perror("escprobe: open pty");
		return 125;
	}
	raw.c_lflag &= ~(ICANON | ECHO); /* typed characters wait, unechoed, no Enter needed */
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	tcsetattr(slave, TCSANOW, &raw);
	pid = fork();
	if (pid == 0) {
		dup2(slave, 0);
		close(slave);
		close(master);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1)
		return 125;
	n = read(slave, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("the terminal's input: %s\n", n > 0 ? buf : "(nothing)");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* io_uring: the kernel's workers make the calls a ring asks for, and
 * seccomp never sees them. Only its setup is tried, the ring then closed. */
static int uring(void)
{
	unsigned char params[120] = { 0 }; /* struct io_uring_params, zeroed */
	long fd = syscall(SYS_io_uring_setup, 1, params);

	said("io_uring_setup", fd == -1 ? -1 : 0);
	if (fd != -1)
		close(fd);
	return fd == -1;
}

/* CVE-2019-5736's way out of runc: a process that joins the container
 * runs the host's binary; whoever may ptrace it may open /proc/PID/exe,
 * a descriptor of the host's file. Once no one runs it, it opens for
 * writing. Here it is only opened, never written. */
/* Is FD a file out of the container's reach: its path, as the link says,
 * leads here to no file or to another one? */
static int of_the_host(int fd)
{
	char link[64], target[4096];
	struct stat a, b;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || fstat(fd, &a) == -1)
		return 0;
	target[n] = '\0';
	return stat(target, &b) == -1 || a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

static int grab(const char *comm, int seconds)
{
	char path[300], name[64], host[4096];
	time_t end = time(NULL) + seconds;
	struct dirent *d;
	int fd = -1, w;
	ssize_t n;
	DIR *proc;

	while (fd == -1 && time(NULL) < end) {
		proc = opendir("/proc");
		if (!proc)
			return 125;
		while (fd == -1 && (d = readdir(proc))) {
			if (d->d_name[0] < '1' || d->d_name[0] > '9' || atoi(d->d_name) == getpid())
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
			w = open(path, O_RDONLY | O_CLOEXEC);
			n = w == -1 ? -1 : read(w, name, sizeof(name) - 1);
			if (w != -1)
				close(w);
			if (n <= 0)
				continue;
			name[n - 1] = '\0';
			if (strcmp(name, comm) != 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/exe", d->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd != -1 && !of_the_host(fd)) {
				close(fd); /* it runs the command already, the container's */
				fd = -1;
			}
		}
		closedir(proc);
	}
	if (fd == -1) {
		printf("%s: no /proc/PID/exe opened\n", comm);
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, host, sizeof(host) - 1);
	host[n > 0 ? n : 0] = '\0';
	printf("%s: /proc/PID/exe opened: %s\n", comm, host);
	if (fcntl(fd, F_GET_SEALS) > 0 && (fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE)) {
		printf("%s: sealed, not writable\n", host);
		return 1;
	}
	while ((w = open(path, O_WRONLY | O_CLOEXEC)) == -1 && errno == ETXTBSY && time(NULL) < end)
		usleep(10000);
	if (w == -1) {
		printf("%s: %s\n", host, strerror(errno));
		return 1;
	}
	close(w); /* opened, never written */
	printf("%s: writable\n", host);
	return 0;
}

static int keyring(const char *name, const char *secret, char **cmd)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) == -1 ||
	    syscall(SYS_add_key, "user", name, secret, strlen(secret), KEY_SPEC_SESSION_KEYRING) == -1) {
		perror("escprobe: keyctl");
		return 125;
	}
	fflush(stdout);
	execvp(cmd[0], cmd);
	perror("escprobe: execvp");
	return 127;
}

/* The kernel hands a tracer the filter it runs, instruction by instruction
 * (PTRACE_SECCOMP_GET_FILTER): two processes whose lists print the same
 * run the same filter. PID stops only while we read. */
static int filter(pid_t pid)
{
	struct sock_filter insn[4096];
	long n, i;
	int status;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) == -1 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) == -1 ||
	    waitpid(pid, &status, __WALL) == -1) {
		perror("escprobe: ptrace");
		return 125;
	}
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL); /* how many */
	if (n > 0 && n <= (long)(sizeof(insn) / sizeof(insn[0])))
		n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, insn);
	if (n == -1)
		perror("escprobe: PTRACE_SECCOMP_GET_FILTER");
	for (i = 0; i < n; i++)
		printf("%04x %u %u %08x\n", insn[i].code, insn[i].jt, insn[i].jf, insn[i].k);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return n > 0 ? 0 : 1;
}

/* The kernel shows /proc/PID/environ from the process's own memory:
 * zero the strings in place, and a reader sees only NUL bytes. */
static int hostile_env(void)
{
	extern char **environ;
	char *start, *end;
	int i;

	if (!environ || !environ[0])
		return 1;
	start = end = environ[0];
	for (i = 0; environ[i]; i++)
		if (environ[i] + strlen(environ[i]) > end)
			end = environ[i] + strlen(environ[i]);
	memset(start, 0, end - start);
	puts("ready");
	fflush(stdout);
	sleep(60);
	return 0;
}

/* ------------------------------------------------ chapter 08's races, on cue */

static int fail_at(const char *what)
{
	perror(what);
	exit(2);
}

static pid_t run_cmd(char **cmd)
{
	pid_t pid = fork();

	if (pid == -1)
		fail_at("fork");
	if (pid == 0) {
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	return pid;
}

/* Answer fanotify's permission events of process group FAN until CMD ends:
 * ON_EVENT(event fd, pid, how many so far) acts first, then the open or
 * execve goes on. Returns CMD's exit status. */
static int watch(int fan, char **cmd, void (*on_event)(int, pid_t, int))
{
	pid_t pid = run_cmd(cmd);
	int pidfd = syscall(SYS_pidfd_open, pid, 0), n = 0, status;
	char buf[4096] __attribute__((aligned(8)));

	if (pidfd == -1)
		fail_at("pidfd_open");
	for (;;) {
		struct pollfd fds[2] = { { .fd = fan, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		struct fanotify_event_metadata *m;
		ssize_t len;

		if (poll(fds, 2, -1) == -1 && errno != EINTR)
			fail_at("poll");
		if (fds[0].revents & POLLIN) {
			len = read(fan, buf, sizeof(buf));
			if (len == -1)
				fail_at("read(fanotify)");
			for (m = (void *)buf; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
				struct fanotify_response r = { .fd = m->fd, .response = FAN_ALLOW };

				if (m->fd >= 0 && m->pid != getpid())
					on_event(m->fd, m->pid, ++n);
				if (write(fan, &r, sizeof(r)) != sizeof(r))
					fail_at("write(fanotify)");
				close(m->fd);
			}
		} else if (fds[1].revents & POLLIN) {
			break;
		}
	}
	if (waitpid(pid, &status, 0) == -1)
		fail_at("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int fanotify_on(const char *path, unsigned flags, uint64_t mask)
{
	int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);

	if (fan == -1)
		fail_at("fanotify_init");
	if (fanotify_mark(fan, FAN_MARK_ADD | flags, mask, AT_FDCWD, path) == -1)
		fail_at("fanotify_mark");
	return fan;
}

static const char *race_file;
static int race_fd = -1;

static int make_record(void)
{
	int fd = open(race_file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd == -1)
		fail_at(race_file);
	return fd;
}

/* The sweep that held it ends: the record goes, the lock with it. */
static void held_until_third(int fd, pid_t pid, int n)
{
	(void)fd, (void)pid;
	if (n == 3 && race_fd >= 0) {
		if (unlink(race_file) == -1)
			fail_at("unlink");
		close(race_fd);
		race_fd = -1;
	}
}

static int record_held(const char *file, char **cmd)
{
	int fan;

	race_file = file;
	race_fd = make_record();
	if (flock(race_fd, LOCK_EX) == -1)
		fail_at("flock");
	fan = fanotify_on(file, 0, FAN_OPEN_PERM);
	return watch(fan, cmd, held_until_third);
}

/* While the first open waits, with the file it found: a new record takes
 * the name, held by its minibox. */
static void replaced_at_first(int fd, pid_t pid, int n)
{
	(void)fd, (void)pid;
	if (n != 1)
		return;
	if (unlink(race_file) == -1)
		fail_at("unlink");
	race_fd = make_record();
	if (flock(race_fd, LOCK_EX) == -1)
		fail_at("flock");
}

static int record_replaced(const char *file, char **cmd)
{
	struct stat now, held;
	int fan, status;

	race_file = file;
	close(make_record());
	fan = fanotify_on(file, 0, FAN_OPEN_PERM);
	status = watch(fan, cmd, replaced_at_first);
	if (race_fd >= 0 && fstat(race_fd, &held) == 0 && lstat(file, &now) == 0 && now.st_ino == held.st_ino)
		printf("%s: still there\n", file);
	else
		printf("%s: removed, though it is held\n", file);
	return status;
}

/* A sweep between the claim's open() and its flock(): it locks the new
 * file first, finds it unheld, and removes it. */
static void swept_at_first(int fd, pid_t pid, int n)
{
	char link[64], path[PATH_MAX];
	ssize_t len;

	(void)pid;
	if (n != 1)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len == -1)
		fail_at("readlink");
	path[len] = '\0';
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || unlink(path) == -1)
		fail_at(path);
	flock(fd, LOCK_UN);
}

static int record_swept(const char *dir, char **cmd)
{
	return watch(fanotify_on(dir, FAN_MARK_MOUNT, FAN_OPEN_PERM), cmd, swept_at_first);
}

/* Which pipes does process PID hold both ends of? */
static void pipes_at_exec(int fd, pid_t pid, int n)
{
	char dir[32], link[96], target[64], info[96], line[128];
	unsigned long ends[256][2];
	int nends = 0, both = 0, i;
	unsigned long ino;
	struct dirent *e;
	DIR *d;

	(void)fd, (void)n;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	while (d && (e = readdir(d)) && nends < 256) {
		ssize_t len;
		unsigned flags = 0;
		FILE *f;

		snprintf(link, sizeof(link), "%s/%.20s", dir, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (sscanf(target, "pipe:[%lu]", &ino) != 1)
			continue;
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%.20s", pid, e->d_name);
		f = fopen(info, "r");
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "flags: %o", &flags);
		if (f)
			fclose(f);
		ends[nends][0] = ino;
		ends[nends++][1] = flags & O_ACCMODE;
	}
	if (d)
		closedir(d);
	for (i = 0; i < nends; i++) {
		int j;

		for (j = 0; j < nends; j++)
			if (ends[i][0] == ends[j][0] && ends[i][1] == O_RDONLY && ends[j][1] == O_WRONLY) {
				printf("exec: both ends of pipe:[%lu]\n", ends[i][0]);
				both = 1;
			}
	}
	if (!both)
		printf("exec: no pipe held at both ends\n");
}

static int exec_fds(const char *file, char **cmd)
{
	return watch(fanotify_on(file, 0, FAN_OPEN_EXEC_PERM), cmd, pipes_at_exec);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "openw") == 0)
		return openw(argv + 2);
	if (argc == 3 && strcmp(argv[1], "type") == 0)
		return type(argv[2]);
	if (argc == 3 && strcmp(argv[1], "readkey") == 0)
		return readkey(argv[2]);
	if (argc == 2 && strcmp(argv[1], "syscalls") == 0)
		return syscalls();
	if (argc == 2 && strcmp(argv[1], "refused") == 0)
		return refused();
	if (argc == 2 && strcmp(argv[1], "int80") == 0)
		return int80();
	if (argc == 2 && strcmp(argv[1], "hostile-env") == 0)
		return hostile_env();
	if (argc == 2 && strcmp(argv[1], "euid") == 0)
		return printf("euid %u\n", geteuid()) < 0;
	if (argc == 2 && strcmp(argv[1], "uring") == 0)
		return uring();
	if (argc == 4 && strcmp(argv[1], "grab") == 0)
		return grab(argv[2], atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "pty") == 0)
		return pty(argv + 2);
	if (argc == 3 && strcmp(argv[1], "filter") == 0)
		return filter(atoi(argv[2]));
	if (argc >= 5 && strcmp(argv[1], "keyring") == 0)
		return keyring(argv[2], argv[3], argv + 4);
	if (argc >= 4 && strcmp(argv[1], "record-held") == 0)
		return record_held(argv[2], argv + 3);
	if (argc >= 4 && strcmp(argv[1], "record-replaced") == 0)
		return record_replaced(argv[2], argv + 3);
	if (argc >= 4 && strcmp(argv[1], "record-swept") == 0)
		return record_swept(argv[2], argv + 3);
	if (argc >= 4 && strcmp(argv[1], "exec-fds") == 0)
		return exec_fds(argv[2], argv + 3);
	return usage();
}
