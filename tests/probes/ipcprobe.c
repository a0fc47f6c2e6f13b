/*
 * ipcprobe: create, find and remove System V IPC objects and POSIX message
 * queues, for chapter 06's tests. The busybox rootfs has no ipcs or ipcmk,
 * so the tests bring this instead: built static, it runs in any rootfs.
 *
 *   ipcprobe create shm|msg|sem KEY      create, print nothing
 *   ipcprobe find   shm|msg|sem KEY      exit 0 and print "found", or exit 1 "missing"
 *   ipcprobe remove shm|msg|sem KEY
 *   ipcprobe create|find|remove mq /NAME
 *
 *   cc -static -o ipcprobe ipcprobe.c
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static int usage(void)
{
	fputs("usage: ipcprobe create|find|remove shm|msg|sem KEY | mq /NAME\n", stderr);
	return 2;
}

/* The id of the System V object of KIND with KEY, created with CREATE. */
static int sysv_get(const char *kind, key_t key, int create)
{
	int flags = create ? IPC_CREAT | IPC_EXCL | 0600 : 0;

	if (strcmp(kind, "shm") == 0)
		return shmget(key, create ? 4096 : 0, flags);
	if (strcmp(kind, "msg") == 0)
		return msgget(key, flags);
	return semget(key, create ? 1 : 0, flags);
}

static int sysv_remove(const char *kind, int id)
{
	if (strcmp(kind, "shm") == 0)
		return shmctl(id, IPC_RMID, NULL);
	if (strcmp(kind, "msg") == 0)
		return msgctl(id, IPC_RMID, NULL);
	return semctl(id, 0, IPC_RMID);
}

static int report(const char *what, int ok)
{
	if (!ok) {
		fprintf(stderr, "ipcprobe: %s: %s\n", what, strerror(errno));
		return 1;
	}
	return 0;
}

static int mq(const char *action, const char *name)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 64 };
	mqd_t q;

	if (strcmp(action, "remove") == 0)
		return report(name, mq_unlink(name) == 0);
	q = mq_open(name, strcmp(action, "create") == 0 ? O_RDWR | O_CREAT | O_EXCL : O_RDWR,
		    0600, &attr);
	if (strcmp(action, "find") == 0) {
		puts(q == (mqd_t)-1 ? "missing" : "found");
		return q == (mqd_t)-1;
	}
	return report(name, q != (mqd_t)-1);
}

int main(int argc, char **argv)
{
	const char *action, *kind;
	key_t key;
	int id;

	if (argc != 4)
		return usage();
	action = argv[1];
	kind = argv[2];
	if (strcmp(kind, "mq") == 0)
		return mq(action, argv[3]);
	if (strcmp(kind, "shm") && strcmp(kind, "msg") && strcmp(kind, "sem"))
		return usage();
	key = (key_t)strtol(argv[3], NULL, 0);
	if (strcmp(action, "create") == 0)
		return report(kind, sysv_get(kind, key, 1) != -1);
	id = sysv_get(kind, key, 0);
	if (strcmp(action, "find") == 0) {
		puts(id == -1 ? "missing" : "found");
		return id == -1;
	}
	if (strcmp(action, "remove") == 0)
		return report(kind, id != -1 && sysv_remove(kind, id) == 0);
	return usage();
}
