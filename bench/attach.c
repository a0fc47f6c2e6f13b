/*
 * What does it cost to put a new process into a cgroup? `make bench` runs
 * this to compare, on one kernel, the three ways chapter 07 knows:
 *
 *   write  HIERARCHY  clone3(), then write the child's PID to cgroup.procs
 *                     of a new cgroup in /sys/fs/cgroup/HIERARCHY (v1:
 *                     "pids", "memory"; v2: "" or "unified" on a hybrid host)
 *   into   HIERARCHY  clone3(CLONE_INTO_CGROUP): born in the cgroup (v2 only)
 *   plain             clone3() alone, for the difference
 *
 * Prints, for each of ROUNDS runs (a pause before each), the microseconds
 * from before clone3() to the moment the child is in its cgroup.
 *
 *   sudo ./attach write pids 30; sudo ./attach into unified 30
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "attach: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	int write_pid = strcmp(how, "write") == 0, into = strcmp(how, "into") == 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 30, r, fd = -1, procs = -1, hold[2];
	char dir[PATH_MAX], path[PATH_MAX + 16], text[32];
	long long t0, t1;
	pid_t pid;

	if (!write_pid && !into && strcmp(how, "plain") != 0) {
		fprintf(stderr, "usage: attach write|into|plain [HIERARCHY] [ROUNDS]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s/mbbench-attach-%d", argc > 2 ? argv[2] : "", getpid());
	if ((write_pid || into) && mkdir(dir, 0755) == -1)
		die(dir);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	for (r = 0; r < rounds; r++) {
		struct clone_args ca = { .exit_signal = SIGCHLD };

		usleep(50000);
		if (into) {
			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd == -1)
				die(dir);
			ca.flags = CLONE_INTO_CGROUP;
			ca.cgroup = fd;
		}
		if (write_pid && (procs = open(path, O_WRONLY | O_CLOEXEC)) == -1)
			die(path);
		if (pipe2(hold, O_CLOEXEC) == -1) /* the child lives until we close hold[1] */
			die("pipe2");
		t0 = now_us();
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == -1)
			die("clone3");
		if (pid == 0) {
			close(hold[1]);
			_exit(read(hold[0], text, 1) == -1);
		}
		if (write_pid) {
			snprintf(text, sizeof(text), "%d", pid);
			if (write(procs, text, strlen(text)) == -1)
				die(path);
			close(procs);
		}
		t1 = now_us();
		close(hold[0]);
		close(hold[1]);
		if (fd >= 0)
			close(fd);
		if (waitpid(pid, NULL, 0) == -1)
			die("waitpid");
		printf("%lld\n", t1 - t0);
	}
	if ((write_pid || into) && rmdir(dir) == -1)
		die(dir);
	return 0;
}
