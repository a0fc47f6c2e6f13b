/*
 * The smallest launcher `make bench` holds minibox against: chapter 06's
 * namespaces (user, UTS, PID, mount, network, IPC), a uid and gid map,
 * pivot_root into ROOTFS with a fresh /proc, then exec. With --cgroup, also
 * chapter 07's cgroup with --memory 64M (swap included) and --pids 64: on
 * cgroup v1 a directory in the memory and pids hierarchies, the child
 * attached through cgroup.procs; on v2 one directory, the child born in it
 * (CLONE_INTO_CGROUP); removed at the end. No narration, no checks of the
 * input, no /dev, /sys or /tmp: what every runtime must do at the least.
 *
 *   cc -std=gnu11 -O2 -o launcher launcher.c
 *   sudo ./launcher [--cgroup] ROOTFS COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h> /* struct clone_args */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h> /* CGROUP2_SUPER_MAGIC */
#include <sys/wait.h>
#include <unistd.h>

static const char *hierarchies[] = { "memory", "pids" };
#define NH (sizeof(hierarchies) / sizeof(hierarchies[0]))

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "launcher: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

/* The child: wait for the maps, then the new root, then the command. */
static void __attribute__((noreturn)) child(int go, const char *rootfs, char **command)
{
	char c;

	if (read(go, &c, 1) != 1)
		_exit(125);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		die("mount(/, MS_PRIVATE)");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) == -1)
		die("mount(ROOTFS, MS_BIND)");
	if (chdir(rootfs) == -1)
		die("chdir(ROOTFS)");
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		die("mount(proc)");
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		die("pivot_root");
	if (umount2(".", MNT_DETACH) == -1)
		die("umount2(old root)");
	if (chdir("/") == -1)
		die("chdir(/)");
	execvp(command[0], command);
	die(command[0]);
}

/* The cgroup: v1, a directory per hierarchy; v2, one directory. */
static int make_cgroups(char cg[NH][PATH_MAX], int *v2)
{
	char swap[PATH_MAX + 32];
	struct statfs fs;
	unsigned i, n;

	if (statfs("/sys/fs/cgroup", &fs) == -1)
		die("statfs(/sys/fs/cgroup)");
	*v2 = fs.f_type == CGROUP2_SUPER_MAGIC;
	n = *v2 ? 1 : NH;
	for (i = 0; i < n; i++) {
		snprintf(cg[i], PATH_MAX, "/sys/fs/cgroup/%s/mbbench-launcher-%d",
			 *v2 ? "" : hierarchies[i], getpid());
		if (mkdir(cg[i], 0755) == -1)
			die(cg[i]);
	}
	write_file(cg[0], *v2 ? "memory.max" : "memory.limit_in_bytes", "67108864");
	/* swap too, where the host accounts for it (chapter 07 does the same) */
	snprintf(swap, sizeof(swap), "%.4000s/%s", cg[0], *v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
	if (access(swap, F_OK) == 0)
		write_file(cg[0], strrchr(swap, '/') + 1, *v2 ? "0" : "67108864");
	write_file(cg[n - 1], "pids.max", "64");
	return n;
}

int main(int argc, char **argv)
{
	struct clone_args ca = {
		.flags = CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS |
			 CLONE_NEWNET | CLONE_NEWIPC,
		.exit_signal = SIGCHLD,
	};
	char cg[NH][PATH_MAX], text[64];
	int use_cgroup = 0, v2 = 0, sync[2], status, fd = -1;
	unsigned i, n = 0;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "--cgroup") == 0) {
		use_cgroup = 1;
		argv++, argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: launcher [--cgroup] ROOTFS COMMAND [ARG...]\n");
		return 125;
	}
	if (use_cgroup)
		n = make_cgroups(cg, &v2);
	if (v2) {
		fd = open(cg[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			die(cg[0]);
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = fd;
	}
	if (pipe2(sync, O_CLOEXEC) == -1)
		die("pipe2");
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == -1)
		die("clone3");
	if (pid == 0)
		child(sync[0], argv[1], argv + 2);
	snprintf(text, sizeof(text), "%d", pid);
	for (i = 0; !v2 && i < n; i++)
		write_file(cg[i], "cgroup.procs", text);
	snprintf(text, sizeof(text), "/proc/%d", pid);
	write_file(text, "uid_map", "0 0 1");
	write_file(text, "gid_map", "0 0 1");
	if (write(sync[1], "g", 1) != 1)
		die("write(sync)");
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid");
	for (i = 0; i < n; i++)
		if (rmdir(cg[i]) == -1)
			die(cg[i]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
