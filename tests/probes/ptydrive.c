/*
 * ptydrive: a terminal of the test's own, driven like a person at a keyboard.
 *
 *   ptydrive [-p] [-s ROWSxCOLS] [-o FILE] STEP... -- COMMAND [ARG...]
 *
 * Runs COMMAND on the slave of a new pty pair, as its controlling terminal
 * (a session of its own), and plays the STEPs on the master, in order:
 *
 *   send:TEXT          type TEXT (escapes: \r \n \t \\ \xHH, so \x03 is Ctrl-C)
 *   expect:TEXT        wait until TEXT has come out (after the last match), 10 s at most
 *   within:MS:TEXT     the same, MS milliseconds at most
 *   file:PATH          wait until the bytes of PATH have come out, whole
 *   sendfile:PATH      type the bytes of PATH
 *   resize:ROWS:COLS   change the terminal's size (the kernel sends SIGWINCH)
 *   sleep:MS           wait
 *   kill:SIG           send signal SIG (a number) to COMMAND
 *
 * Then it reads until COMMAND closes the terminal, and prints
 *   exit N             (or "signal N")
 *   stty: same         the terminal's settings as before COMMAND (or "changed")
 *   flags: same        the file flags (O_NONBLOCK) of the terminal as before
 *   input: (nothing)   what waits unread in the terminal's input afterwards
 * -o FILE keeps everything COMMAND wrote; -p prints it first (no \r, no
 * escape sequences such as the shell's cursor query). A step that times out prints
 * "STEP: timed out" and what came out, kills COMMAND, and exits 99.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char out[64 << 20];
static size_t got, seen;
static int master;
static pid_t child;

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Read what the master has, for up to MS milliseconds: 1 if something came,
 * 2 if nothing did, 0 once the terminal is closed. */
static int take_output(int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 2;
	n = read(master, out + got, sizeof(out) - got);
	if (n <= 0)
		return 0; /* EIO: every slave descriptor is closed */
	got += n;
	return 1;
}

static size_t unescape(const char *s, char *buf)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			buf[n++] = *s;
			continue;
		}
		s++;
		if (*s == 'r') buf[n++] = '\r';
		else if (*s == 'n') buf[n++] = '\n';
		else if (*s == 't') buf[n++] = '\t';
		else if (*s == 'x' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };
			buf[n++] = (char)strtol(hex, NULL, 16);
			s += 2;
		} else buf[n++] = *s;
	}
	return n;
}

static void give_up(const char *step)
{
	size_t i, from = got > 400 ? got - 400 : 0;

	printf("%s: timed out; the last output:\n", step);
	for (i = from; i < got; i++) {
		unsigned char c = out[i];
		if (c == '\n' || (c >= 32 && c < 127)) putchar(c);
		else printf("\\x%02x", c);
	}
	printf("\n");
	kill(child, SIGKILL);
	exit(99);
}

static void expect(const char *step, const char *want, size_t len, long ms)
{
	long end = now_ms() + ms;
	char *at;

	for (;;) {
		at = memmem(out + seen, got - seen, want, len);
		if (at) {
			seen = at - out + len;
			return;
		}
		if (now_ms() >= end || !take_output(end - now_ms()))
			break;
	}
	if (!memmem(out + seen, got - seen, want, len))
		give_up(step);
}

static void play(const char *step)
{
	static char buf[1 << 20];
	size_t n;

	if (!strncmp(step, "send:", 5)) {
		n = unescape(step + 5, buf);
		if (write(master, buf, n) != (ssize_t)n)
			perror("ptydrive: write");
	} else if (!strncmp(step, "expect:", 7)) {
		n = unescape(step + 7, buf);
		expect(step, buf, n, 10000);
	} else if (!strncmp(step, "within:", 7)) {
		const char *text = strchr(step + 7, ':');
		n = unescape(text ? text + 1 : "", buf);
		expect(step, buf, n, atol(step + 7));
	} else if (!strncmp(step, "sendfile:", 9)) {
		FILE *f = fopen(step + 9, "rb");
		n = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f) fclose(f);
		if (write(master, buf, n) != (ssize_t)n)
			perror("ptydrive: write");
	} else if (!strncmp(step, "file:", 5)) {
		FILE *f = fopen(step + 5, "rb");
		n = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f) fclose(f);
		expect(step, buf, n, 10000);
	} else if (!strncmp(step, "resize:", 7)) {
		struct winsize ws = { 0 };
		sscanf(step + 7, "%hu:%hu", &ws.ws_row, &ws.ws_col);
		ioctl(master, TIOCSWINSZ, &ws);
	} else if (!strncmp(step, "sleep:", 6)) {
		long end = now_ms() + atol(step + 6);
		while (now_ms() < end && take_output(end - now_ms()))
			;
	} else if (!strncmp(step, "kill:", 5)) {
		kill(child, atoi(step + 5));
	} else {
		fprintf(stderr, "ptydrive: %s: unknown step\n", step);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	struct termios before = { 0 }, after = { 0 }; /* tcgetattr() fills only the kernel's c_cc */
	int i, c, slave, status, flags, n;
	const char *keep = NULL;
	int show = 0;
	char input[256];
	long end;

	while ((c = getopt(argc, argv, "+ps:o:")) != -1) {
		if (c == 'p') show = 1;
		else if (c == 's') sscanf(optarg, "%hux%hu", &ws.ws_row, &ws.ws_col);
		else if (c == 'o') keep = optarg;
		else return 2;
	}
	if (optind > 1 && !strcmp(argv[optind - 1], "--"))
		optind--; /* getopt() took the "--" of a run without steps */
	for (i = optind; i < argc && strcmp(argv[i], "--"); i++)
		;
	if (i >= argc - 1) {
		fprintf(stderr, "usage: ptydrive [-s ROWSxCOLS] [-o FILE] STEP... -- COMMAND [ARG...]\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1 || grantpt(master) || unlockpt(master)) {
		perror("ptydrive: posix_openpt");
		return 2;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave == -1 || ioctl(slave, TIOCSWINSZ, &ws) == -1 || tcgetattr(slave, &before)) {
		perror("ptydrive: the slave");
		return 2;
	}
	flags = fcntl(slave, F_GETFL);
	child = fork();
	if (child == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
		execvp(argv[i + 1], argv + i + 1);
		perror(argv[i + 1]);
		_exit(127);
	}
	signal(SIGPIPE, SIG_IGN);
	for (c = optind; c < i; c++)
		play(argv[c]);
	/* the rest of the output, until COMMAND has ended and the terminal is quiet */
	end = now_ms() + 20000;
	while (waitpid(child, &status, WNOHANG) == 0) {
		if (now_ms() > end)
			give_up("the end");
		take_output(50);
	}
	while (take_output(100) == 1 && now_ms() < end)
		;
	if (show) /* the transcript, without carriage returns and escape sequences */
		for (size_t k = 0; k < got; k++) {
			if (out[k] == '\x1b' && k + 1 < got && out[k + 1] == '[') {
				for (k += 2; k < got && !(out[k] >= '@' && out[k] <= '~'); k++)
					;
				continue;
			}
			if (out[k] != '\r')
				putchar(out[k]);
		}
	if (show && got && out[got - 1] != '\n')
		putchar('\n');
	if (keep) {
		FILE *f = fopen(keep, "wb");
		if (f) fwrite(out, 1, got, f), fclose(f);
	}
	if (WIFSIGNALED(status))
		printf("signal %d\n", WTERMSIG(status));
	else
		printf("exit %d\n", WEXITSTATUS(status));
	tcgetattr(slave, &after);
	printf("stty: %s\n", memcmp(&before, &after, sizeof(before)) ? "changed" : "same");
	printf("flags: %s\n", fcntl(slave, F_GETFL) == flags ? "same" : "changed");
	after.c_lflag &= ~ICANON;
	after.c_cc[VMIN] = after.c_cc[VTIME] = 0;
	tcsetattr(slave, TCSANOW, &after);
	n = read(slave, input, sizeof(input) - 1);
	input[n > 0 ? n : 0] = '\0';
	printf("input: %s\n", n > 0 ? input : "(nothing)");
	return 0;
}
