/*
 * nsrel: how namespaces hang together, for scripts/nsgraph (a shell script
 * cannot call ioctl(2)). For each /proc/PID/ns/TYPE file named, one line:
 *
 *   PATH INODE OWNER PARENT
 *
 * INODE identifies the namespace; OWNER is the inode of the user namespace
 * that owns it (NS_GET_USERNS); PARENT the inode of its parent, for the two
 * kinds that nest, PID and user namespaces (NS_GET_PARENT). "-" where there
 * is none: other kinds have no parent, and the kernel answers EPERM for a
 * namespace above our own (the top of the tree, seen from the host). See
 * ioctl_ns(2). A process that has ended meanwhile is skipped.
 *
 * Built by `make build/nsrel`: cc -o build/nsrel scripts/nsrel.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Print " INODE" of the namespace ioctl(fd, request) opens, or " -". */
static int print_related(int fd, unsigned long request, const char *path, const char *name)
{
	struct stat st;
	int rel = ioctl(fd, request);

	if (rel < 0) {
		printf(" -");
		if (errno == EPERM || errno == EINVAL)
			return 0; /* above our namespaces, or a kind that does not nest */
		fprintf(stderr, "nsrel: ioctl(%s, %s): %s\n", path, name, strerror(errno));
		return 1;
	}
	if (fstat(rel, &st) < 0) {
		fprintf(stderr, "nsrel: fstat(%s's %s): %s\n", path, name, strerror(errno));
		close(rel);
		printf(" -");
		return 1;
	}
	printf(" %lu", (unsigned long)st.st_ino);
	close(rel);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, fd, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: nsrel /proc/PID/ns/TYPE...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT || errno == ESRCH)
				continue; /* the process has ended since it was listed */
			fprintf(stderr, "nsrel: open(%s): %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		if (fstat(fd, &st) < 0) {
			fprintf(stderr, "nsrel: fstat(%s): %s\n", argv[i], strerror(errno));
			failed = 1;
			close(fd);
			continue;
		}
		printf("%s %lu", argv[i], (unsigned long)st.st_ino);
		failed |= print_related(fd, NS_GET_USERNS, argv[i], "NS_GET_USERNS");
		failed |= print_related(fd, NS_GET_PARENT, argv[i], "NS_GET_PARENT");
		printf("\n");
		close(fd);
	}
	return failed;
}
