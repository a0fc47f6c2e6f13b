/*
 * The stopwatch of `make bench`: runs the commands of LISTFILE (one a line,
 * "NAME COMMAND ARG...", words split at spaces) and prints, for each run,
 * "NAME MICROSECONDS EXIT_STATUS" from the moment before posix_spawn() to the
 * moment waitpid() returns. A C stopwatch, not the shell's: a shell's fork()
 * copies its page tables and costs as much as a small container.
 *
 *   timeit [-r ROUNDS] [-w WARMUP] [-p PAUSE_MS] [-c AT_ONCE] LISTFILE
 *
 * Each round runs every command once, in a new random order, with a pause
 * before each run: the kernel frees a network namespace ~30 ms after its last
 * process, in the background, and a fixed order would make the next command
 * pay for the one before. The WARMUP rounds are not printed. With -c N, each
 * run starts N copies at once and the time is the wall time until the last
 * one ends. "%n" in an argument becomes a number unique to the copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 64
#define MAX_ARGS 64
#define MAX_AT_ONCE 256

extern char **environ;

struct cmd {
	char *name;
	char *argv[MAX_ARGS];
};

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int read_list(const char *file, struct cmd *cmds)
{
	static char line[MAX_CMDS][4096];
	FILE *f = fopen(file, "r");
	int n = 0, a;
	char *w, *save;

	if (!f) {
		perror(file);
		exit(2);
	}
	while (n < MAX_CMDS && fgets(line[n], sizeof(line[n]), f)) {
		line[n][strcspn(line[n], "\n")] = '\0';
		cmds[n].name = strtok_r(line[n], " ", &save);
		if (!cmds[n].name)
			continue;
		for (a = 0; a < MAX_ARGS - 1 && (w = strtok_r(NULL, " ", &save)); a++)
			cmds[n].argv[a] = w;
		cmds[n].argv[a] = NULL;
		n++;
	}
	fclose(f);
	return n;
}

/* Start one copy of CMD, its stdout and stderr on /dev/null, "%n" replaced. */
static pid_t spawn(const struct cmd *cmd, posix_spawn_file_actions_t *fa, long copy)
{
	static char words[MAX_ARGS][256];
	char *argv[MAX_ARGS];
	char *p, number[24];
	pid_t pid;
	int a, err;

	snprintf(number, sizeof(number), "%d-%ld", getpid(), copy);
	for (a = 0; cmd->argv[a]; a++) {
		argv[a] = cmd->argv[a];
		p = strstr(cmd->argv[a], "%n");
		if (p) {
			snprintf(words[a], sizeof(words[a]), "%.*s%s%s", (int)(p - cmd->argv[a]),
				 cmd->argv[a], number, p + 2);
			argv[a] = words[a];
		}
	}
	argv[a] = NULL;
	err = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "timeit: %s: %s\n", argv[0], strerror(err));
		exit(2);
	}
	return pid;
}

int main(int argc, char **argv)
{
	struct cmd cmds[MAX_CMDS];
	posix_spawn_file_actions_t fa;
	int rounds = 30, warmup = 3, pause_ms = 50, at_once = 1, order[MAX_CMDS];
	int c, n, r, i, j, k, t, status, worst;
	static long copies;
	long long t0, t1;

	while ((c = getopt(argc, argv, "r:w:p:c:")) != -1) {
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'p': pause_ms = atoi(optarg); break;
		case 'c': at_once = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || at_once < 1 || at_once > MAX_AT_ONCE) {
		fprintf(stderr, "usage: timeit [-r ROUNDS] [-w WARMUP] [-p PAUSE_MS] [-c AT_ONCE] LISTFILE\n");
		return 2;
	}
	n = read_list(argv[optind], cmds);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	srandom(now_us());
	for (r = 0; r < warmup + rounds; r++) {
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n - 1; i > 0; i--) { /* Fisher-Yates */
			j = random() % (i + 1);
			t = order[i], order[i] = order[j], order[j] = t;
		}
		for (i = 0; i < n; i++) {
			const struct cmd *cmd = &cmds[order[i]];

			usleep(pause_ms * 1000);
			worst = 0;
			t0 = now_us();
			for (k = 0; k < at_once; k++)
				spawn(cmd, &fa, copies++);
			for (k = 0; k < at_once; k++) {
				if (wait(&status) == -1) {
					perror("wait");
					return 2;
				}
				status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				if (status)
					worst = status;
			}
			t1 = now_us();
			if (r >= warmup)
				printf("%s %lld %d\n", cmd->name, t1 - t0, worst);
		}
		fflush(stdout);
	}
	return 0;
}
