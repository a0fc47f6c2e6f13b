//@ 11+
/*
 * console.h, chapter 11-console: the command's standard streams, which
 * both programs give the command they start. Until chapter 10 the command
 * got the caller's own descriptors: a file it could chmod through
 * /proc/self/fd/1, a folder to open host files from, the caller's terminal.
 * Now it gets pipes, or with --tty a terminal of the container's own, and
 * the program relays bytes between those and its own stdin, stdout and
 * stderr, with splice(2). The includer defines die(), narrate() and
 * ARRAY_SIZE() first, as for layers.h.
 */
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>

#define RELAY_CHUNK (64 * 1024) /* a pipe's default size */

/* The command's streams: three pipes, or with --tty a socket pair over
 * which the child sends the master of its terminal back. */
struct streams {
	int tty;                   /* --tty */
	int in[2], out[2], err[2]; /* the child reads in[0], writes out[1], err[1] */
	int sock[2];               /* --tty: the child sends the master on sock[1] */
	int sigfd;                 /* the signals the relay waits for (signalfd) */
};

/* --------------------------------------------------------- both sides */

/* SAY LAB 11: Before the fork: the command's streams, which the TODO below
 * makes; nothing of them may reach the command but what the child puts on
 * its 0, 1 and 2 */
/* Before the fork: the pipes, or the socket pair. O_CLOEXEC: nothing of
 * them reaches the command but what the child puts on 0, 1 and 2. */
static void make_streams(struct streams *s)
{
	s->in[0] = s->in[1] = s->out[0] = s->out[1] = s->err[0] = s->err[1] = -1;
	s->sock[0] = s->sock[1] = -1;
	/* a closed 0, 1 or 2 gets /dev/null: no pipe of ours may take its number */
	while (fcntl(STDERR_FILENO, F_GETFD) == -1 || fcntl(STDIN_FILENO, F_GETFD) == -1 ||
	       fcntl(STDOUT_FILENO, F_GETFD) == -1) {
		if (open("/dev/null", O_RDWR) == -1)
			die("open(/dev/null)");
	}
	/* LAB 11: the command's streams: three pipes (pipe2, O_CLOEXEC), or with --tty a
	 * socket pair (AF_UNIX, SOCK_STREAM) for the master; narrate() each */
	/* GOAL LAB 11: Before the fork the command's streams exist, every descriptor of them
	 * close-on-exec: without --tty three pipes (the command's stdin, stdout and stderr,
	 * in s->in, s->out, s->err); with --tty instead one connected pair of Unix stream
	 * sockets in s->sock, over which the child will send back its terminal's master.
	 * Without --tty, when stdin and stderr are both a terminal, stderr gets this line
	 * first, word for word: "minibox: stdin is a terminal, the command gets pipes: --tty
	 * (-t) gives it a terminal of its own". -v says "pipe2() x3: the command's stdin,
	 * stdout and stderr are pipes we relay" (the tests read its start), and a line for the
	 * socket pair; a failure is "minibox: what failed: why" through die(). Read pipe(7),
	 * pipe2(2), socketpair(2) and unix(7). Checked by "the command's stdin, stdout and
	 * stderr are pipes, none of the caller's descriptors", "without --tty, a terminal on
	 * stdin gets one line that says how to get one, and the command has none", "-v
	 * narrates the pipes, the pty pair, the master's way out, raw mode and its undoing",
	 * "--tty: tty prints /dev/pts/0, /dev/pts holds only the container's, 0 1 2 are that
	 * terminal". */
	/* HINT LAB 11 1: man 7 pipe (a pipe's two ends: [0] reads, [1] writes), man 2 pipe2
	 * (its flags), man 2 socketpair and man 7 unix (two connected sockets in one call;
	 * socket(2) on the close-on-exec flag a socket type takes). */
	/* HINT LAB 11 2: A pipe goes one way: in[] carries our stdin to the command (it reads
	 * in[0]), out[] and err[] carry its output back (it writes out[1] and err[1]). A socket
	 * pair goes both ways: the child sends the master on sock[1], and minibox writes one
	 * byte back on sock[0] once the terminal is ready; so --tty needs it and no pipe. All
	 * close-on-exec: only what the child moves onto 0, 1 and 2 reaches the command. The
	 * line about a terminal on stdin comes before the pipes, when isatty() says so of
	 * stdin and of stderr. */
	/* HINT LAB 11 3: if (s->tty) { if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	 * s->sock) == -1) die("socketpair(AF_UNIX, SOCK_STREAM)"); narrate(...); return; } if
	 * (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) fputs(PROGRAM ": stdin is a terminal,
	 * ...\n", stderr); if (pipe2(s->in, O_CLOEXEC) == -1 || pipe2(s->out, O_CLOEXEC) == -1
	 * || pipe2(s->err, O_CLOEXEC) == -1) die("pipe2(the command's stdin, stdout, stderr)");
	 * narrate("pipe2() x3: the command's stdin, stdout and stderr are pipes we relay"); */
	if (s->tty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->sock) == -1)
			die("socketpair(AF_UNIX, SOCK_STREAM)");
		narrate("socketpair(AF_UNIX, SOCK_STREAM) = [%d, %d]: the terminal's master comes"
			" back on it", s->sock[0], s->sock[1]);
		return;
	}
	/* chapter 10 left a terminal without job control: say what to type */
	if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO))
		fputs(PROGRAM ": stdin is a terminal, the command gets pipes:"
		      " --tty (-t) gives it a terminal of its own\n", stderr);
	if (pipe2(s->in, O_CLOEXEC) == -1 || pipe2(s->out, O_CLOEXEC) == -1 ||
	    pipe2(s->err, O_CLOEXEC) == -1)
		die("pipe2(the command's stdin, stdout, stderr)");
	narrate("pipe2() x3: the command's stdin, stdout and stderr are pipes we relay");
	/* END LAB 11 */
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The parent, once the child exists: its ends are the child's. And the
 * descriptor the relay will wait on: signalfd(2) turns the signals we wait
 * for (and SIGWINCH) into one that poll(2) can watch beside the streams.
 * Made now, before "go": its -v line comes before any of the child's. */
static void close_child_ends(struct streams *s)
{
	sigset_t waited;

	close_fd(&s->in[0]);
	close_fd(&s->out[1]);
	close_fd(&s->err[1]);
	close_fd(&s->sock[1]);
	waited_signals(&waited);
	sigaddset(&waited, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &waited, NULL) == -1)
		die("sigprocmask(SIG_BLOCK, SIGWINCH)");
	s->sigfd = signalfd(-1, &waited, SFD_CLOEXEC);
	if (s->sigfd == -1)
		die("signalfd");
	narrate("signalfd(SIGCHLD, the passed-on signals, SIGWINCH) = %d: the relay waits on it,"
		" and splices through pipes of its own", s->sigfd);
}

/* ---------------------------------------------------- the child's side */

/* Hand FD to the other end of SOCK: SCM_RIGHTS, as runc's console socket. */
static void send_fd(int sock, int fd)
{
	char byte = 'm', control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		die("child: sendmsg(SCM_RIGHTS)");
}

/* SAY LAB 11: --tty: a terminal of the container's own, from the devpts
 * instance its /dev/pts holds (mounted newinstance since chapter 03): how
 * the child makes it, hands its master out and takes it as its
 * controlling terminal is the TODO below */
/* --tty: a terminal of the container's own, from the devpts instance its
 * /dev/pts holds (mounted newinstance since chapter 03): open /dev/ptmx,
 * unlock the pair, open the slave through the master (TIOCGPTPEER: no path
 * lookup a container could redirect), send the master out, and make the
 * slave our controlling terminal: a session of our own first (chapter 10's
 * harden() made one, unless --privileged), then TIOCSCTTY. */
static void take_console(int sock)
{
	int master, slave, unlock = 0, n, fd;

	/* LAB 11: open /dev/ptmx, unlock it (TIOCSPTLCK), open the slave (TIOCGPTPEER),
	 * send the master on SOCK (send_fd), setsid() unless we lead a session, make
	 * the slave our controlling terminal (TIOCSCTTY) and our stdin, stdout,
	 * stderr; narrate() each: the tests read "child: open(/dev/ptmx) = N:
	 * /dev/pts/M" */
	/* GOAL LAB 11: With --tty the command's stdin, stdout and stderr are a terminal of the
	 * container's own: the slave of a new pseudoterminal pair of the devpts instance the
	 * container's /dev/pts holds, so that tty inside prints /dev/pts/0 and the shell has
	 * job control. The child opens the master (read-write, not as its controlling
	 * terminal, close-on-exec), unlocks the pair, and opens the slave through the master
	 * itself (no path lookup that a container could redirect). It hands the master to
	 * minibox over SOCK with send_fd() and closes its own copy, then waits for minibox's
	 * one byte on SOCK (size set, the caller's terminal raw); none: minibox died, exit
	 * with EXIT_MINIBOX. Then it leads a session of its own unless it does already (chapter
	 * 10's harden() made one, not with --privileged), makes the slave its controlling
	 * terminal, and puts it on 0, 1 and 2 (the slave's own descriptor closed if above 2).
	 * -v says, word for word with the master's descriptor N and the terminal's number M:
	 * "child: open(/dev/ptmx) = N: /dev/pts/M, unlocked (TIOCSPTLCK)", then "child:
	 * sendmsg(SCM_RIGHTS, N): the master is minibox's; close(N)", and last "child:
	 * session S, ioctl(TIOCSCTTY): /dev/pts/M is our controlling terminal and our stdin,
	 * stdout, stderr"; each failure is "minibox: child: what failed: why" through die().
	 * Read pty(7), ioctl_tty(2), credentials(7) and unix(7). Checked by "--tty: tty prints
	 * /dev/pts/0, /dev/pts holds only the container's, 0 1 2 are that terminal", "--tty:
	 * job control is on: sleep 30 & then jobs lists it", "--tty: Ctrl-C ends a foreground
	 * sleep, and the shell answers within a second", "minibox-exec --tty gets /dev/pts/1
	 * of the same devpts instance; without, pipes", "-v narrates the pipes, the pty pair,
	 * the master's way out, raw mode and its undoing". */
	/* HINT LAB 11 1: man 7 pty (UNIX 98 pseudoterminals: /dev/ptmx), man 2 ioctl_tty
	 * (Pseudoterminal ioctls: unlocking, the pty's number, opening the peer; Controlling
	 * terminal), man 7 credentials (Sessions and process groups), man 7 unix (SCM_RIGHTS:
	 * send_fd() does that part). */
	/* HINT LAB 11 2: Opening /dev/ptmx makes a master and a new /dev/pts/M, locked: unlock
	 * it, ask its number (for -v), and open the slave from the master, not by its path.
	 * send_fd() the master, close it: minibox holds it now. read() one byte from sock
	 * (anything but 1: exit), close sock. A terminal becomes the controlling terminal of a
	 * session leader that has none: a new session unless getsid(0) is our PID already,
	 * then one ioctl on the slave. Last, duplicate the slave onto 0, 1 and 2. */
	/* HINT LAB 11 3: master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC); ioctl(master,
	 * TIOCSPTLCK, &unlock) (unlock = 0); ioctl(master, TIOCGPTN, &n); slave = ioctl(master,
	 * TIOCGPTPEER, O_RDWR | O_NOCTTY); send_fd(sock, master); close(master); if (read(sock,
	 * &unlock, 1) != 1) exit(EXIT_MINIBOX); close(sock); if (getsid(0) != getpid() &&
	 * setsid() == -1) die("child: setsid"); ioctl(slave, TIOCSCTTY, 0); for (fd = 0; fd <
	 * 3; fd++) dup2(slave, fd); if (slave > 2) close(slave); each failure die("child:
	 * ..."), and the three narrate() lines. */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		die("child: open(/dev/ptmx)");
	if (ioctl(master, TIOCSPTLCK, &unlock) == -1 || ioctl(master, TIOCGPTN, &n) == -1)
		die("child: ioctl(/dev/ptmx, TIOCSPTLCK)");
	narrate("child: open(/dev/ptmx) = %d: /dev/pts/%d, unlocked (TIOCSPTLCK)", master, n);
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave == -1)
		die("child: ioctl(TIOCGPTPEER)");
	send_fd(sock, master);
	narrate("child: sendmsg(SCM_RIGHTS, %d): the master is minibox's; close(%d)", master, master);
	close(master);
	/* the command starts once minibox has set the size and made ours raw */
	if (read(sock, &unlock, 1) != 1)
		exit(EXIT_MINIBOX); /* minibox died: it said why if it could */
	close(sock);
	if (getsid(0) != getpid() && setsid() == -1)
		die("child: setsid");
	if (ioctl(slave, TIOCSCTTY, 0) == -1)
		die("child: ioctl(/dev/pts/%d, TIOCSCTTY)", n);
	for (fd = 0; fd < 3; fd++) {
		if (dup2(slave, fd) == -1)
			die("child: dup2(/dev/pts/%d, %d)", n, fd);
	}
	if (slave > 2)
		close(slave);
	narrate("child: session %d, ioctl(TIOCSCTTY): /dev/pts/%d is our controlling terminal"
		" and our stdin, stdout, stderr", getsid(0), n);
	/* END LAB 11 */
}

/* SAY LAB 11: Last, before the command runs: its stdin, stdout and stderr
 * become the pipes (or the terminal), and none of the caller's descriptors
 * is left; why every end of ours must close too is part of the TODO below */
/* Last, before the command runs: its stdin, stdout and stderr become the
 * pipes (or the terminal), and the caller's descriptors 0, 1 and 2 close
 * as dup2() replaces them. Our ends are closed too: --init never execs,
 * and a write end of the stdin pipe held inside would keep the command
 * from ever reading end of file. */
static void attach_streams(struct streams *s)
{
	if (s->tty) {
		take_console(s->sock[1]);
		close_fd(&s->sock[0]);
		return;
	}
	/* LAB 11: the pipes become the command's 0, 1 and 2 (dup2); close every end */
	/* GOAL LAB 11: Without --tty, last before the command runs, the command's 0 is the read
	 * end of the stdin pipe and its 1 and 2 the write ends of the stdout and stderr pipes,
	 * in place of the caller's descriptors, and the child keeps no other end of the six
	 * open: --init never execs, and a write end of the stdin pipe left open inside would
	 * keep the command from ever reading end of file. Inside, readlink /proc/self/fd/0, 1
	 * and 2 give pipe:[N], and nothing done through /proc/self/fd reaches the caller's
	 * files. -v says "child: dup2() the pipes onto 0, 1, 2: none of the caller's
	 * descriptors is left"; a failure is "minibox: child: what failed: why" through die().
	 * Read dup(2) and pipe(7). Checked by "the command's stdin, stdout and stderr are
	 * pipes, none of the caller's descriptors", "escape: chmod 4755 /proc/self/fd/1 inside
	 * leaves the host file the output goes to as it was", "escape: an append-only log on
	 * stdout cannot be truncated from inside", "escape: a folder as stdin gives nothing
	 * below it", "-v narrates the pipes, the pty pair, the master's way out, raw mode and
	 * its undoing". */
	/* HINT LAB 11 1: man 2 dup (the call that puts a descriptor on a number you choose,
	 * closing what was there), man 7 pipe (end of file comes once every write end is
	 * closed). */
	/* HINT LAB 11 2: The command reads in[0] and writes out[1] and err[1]: put them on 0,
	 * 1 and 2. The copies there stay; then close all six ends with close_fd(), minibox's
	 * ends (in[1], out[0], err[0]) too. */
	/* HINT LAB 11 3: if (dup2(s->in[0], 0) == -1 || dup2(s->out[1], 1) == -1 ||
	 * dup2(s->err[1], 2) == -1) die("child: dup2(the pipes, 0 1 2)"); close_fd(&s->in[0]);
	 * close_fd(&s->in[1]); ... close_fd(&s->err[1]); narrate("child: dup2() the pipes onto
	 * 0, 1, 2: none of the caller's descriptors is left"); */
	if (dup2(s->in[0], 0) == -1 || dup2(s->out[1], 1) == -1 || dup2(s->err[1], 2) == -1)
		die("child: dup2(the pipes, 0 1 2)");
	close_fd(&s->in[0]);
	close_fd(&s->in[1]);
	close_fd(&s->out[0]);
	close_fd(&s->out[1]);
	close_fd(&s->err[0]);
	close_fd(&s->err[1]);
	narrate("child: dup2() the pipes onto 0, 1, 2: none of the caller's descriptors is left");
	/* END LAB 11 */
}

/* -------------------------------------------------- the relay's side */

/* The caller's terminal as it was, for the exit handler that puts it back:
 * on every way out (exit, die(), a signal passed on), never left raw. */
static struct termios caller_tty;
static int caller_tty_raw;

static void restore_terminal(void)
{
	if (!caller_tty_raw)
		return;
	caller_tty_raw = 0;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &caller_tty) == -1)
		fprintf(stderr, "minibox: tcsetattr(stdin, as it was): %s\n", strerror(errno));
	else
		narrate("tcsetattr(stdin, TCSADRAIN, as it was) = 0: the caller's terminal is back");
}

/* Raw mode: no echo, no line editing, no Ctrl-C turned into SIGINT: every
 * byte typed goes to the container's terminal, which does all that. */
static void make_raw(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO))
		return;
	/* LAB 11: save the caller's terminal (tcgetattr), restore it at exit
	 * (restore_terminal), set it raw (cfmakeraw, tcsetattr); narrate() it */
	/* GOAL LAB 11: With --tty and a terminal on stdin, the caller's terminal is in raw mode
	 * while the command runs (no echo, no line editing, no signal from Ctrl-C: every byte
	 * typed goes as it is to the container's terminal, which does all that), and it is
	 * back as it was on every way out (exit, die(), a signal passed on): its settings
	 * saved first in caller_tty, restore_terminal() made to run at exit, caller_tty_raw
	 * set (restore_terminal() does nothing without it) before the change, which applies
	 * at once. -v says "tcsetattr(stdin, TCSANOW, raw) = 0: keys go to the container's
	 * terminal as typed", and restore_terminal() then "tcsetattr(stdin, TCSADRAIN, as it
	 * was) = 0"; a failure is "minibox: what failed: why" through die(). Read termios(3)
	 * and atexit(3). Checked by "--tty: binary bytes pass the relay both ways byte for
	 * byte (stty raw inside)", "--tty: Ctrl-C ends a foreground sleep, and the shell
	 * answers within a second", "--tty: Ctrl-D ends the shell, and minibox returns its
	 * status", "--tty: the caller's terminal comes back as it was when the command is
	 * killed, fails, or minibox gets SIGTERM", "-v narrates the pipes, the pty pair, the
	 * master's way out, raw mode and its undoing". */
	/* HINT LAB 11 1: man 3 termios: getting and setting the attributes (and when they
	 * apply: now, or once output drains), and the section on raw mode; man 3 atexit. */
	/* HINT LAB 11 2: Save the settings into caller_tty; register restore_terminal() for
	 * exit; copy them into raw and make the copy raw; set caller_tty_raw = 1; apply the
	 * copy to stdin now. */
	/* HINT LAB 11 3: if (tcgetattr(STDIN_FILENO, &caller_tty) == -1) die("tcgetattr(stdin)");
	 * if (atexit(restore_terminal) != 0) die(...); raw = caller_tty; cfmakeraw(&raw);
	 * caller_tty_raw = 1; if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == -1)
	 * die("tcsetattr(stdin, raw)"); narrate("tcsetattr(stdin, TCSANOW, raw) = 0: keys go
	 * to the container's terminal as typed"); */
	if (tcgetattr(STDIN_FILENO, &caller_tty) == -1)
		die("tcgetattr(stdin)");
	if (atexit(restore_terminal) != 0)
		die("atexit(restore_terminal)");
	raw = caller_tty;
	cfmakeraw(&raw);
	caller_tty_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == -1)
		die("tcsetattr(stdin, raw)");
	narrate("tcsetattr(stdin, TCSANOW, raw) = 0: keys go to the container's terminal as typed");
	/* END LAB 11 */
}

/* SIGWINCH: our terminal's size, told to the container's; its kernel then
 * sends SIGWINCH to the container's foreground job. */
static void pass_window_size(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == -1)
		return; /* stdin is no terminal: the container's keeps its size */
	/* LAB 11: copy our terminal's size onto the master (TIOCSWINSZ); narrate() it */
	/* GOAL LAB 11: With --tty the container's terminal has the caller's window size, at the
	 * start and after each resize (SIGWINCH): ws, just read from our stdin, is set on
	 * MASTER, the other end of the container's terminal; its kernel then sends SIGWINCH
	 * to the container's foreground job, and stty size inside shows the new rows and
	 * columns. -v gives the size set, rows x columns; a failure is "minibox: what
	 * failed: why" through die(). Read ioctl_tty(2) (Get and set window size). Checked by
	 * "--tty: stty size shows the terminal's size, and the new one after a resize
	 * (SIGWINCH)". */
	/* HINT LAB 11 1: man 2 ioctl_tty, Get and set window size: one request reads a
	 * struct winsize (used just above), its twin sets it and signals the foreground
	 * process group. */
	/* HINT LAB 11 2: The same ioctl() as above, the other request, on master with &ws;
	 * then narrate ws.ws_row and ws.ws_col. */
	/* HINT LAB 11 3: if (ioctl(master, TIOCSWINSZ, &ws) == -1) die("ioctl(master,
	 * TIOCSWINSZ)"); narrate("ioctl(master, TIOCSWINSZ, %dx%d) = 0", ws.ws_row,
	 * ws.ws_col); */
	if (ioctl(master, TIOCSWINSZ, &ws) == -1)
		die("ioctl(master, TIOCSWINSZ)");
	narrate("ioctl(master, TIOCSWINSZ, %dx%d) = 0", ws.ws_row, ws.ws_col);
	/* END LAB 11 */
}

/* The master, from the child's sendmsg(); -1 if the child died first. */
static int receive_fd(int sock)
{
	char byte, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	narrate("recvmsg(SCM_RIGHTS) = %d: the master of the container's terminal", fd);
	return fd;
}

/* One direction of the relay: bytes from FROM to TO, through a pipe of our
 * own (splice(2) needs a pipe on one side, and a terminal is none). HELD
 * bytes wait in it. */
struct channel {
	int from, to;
	int hop[2];
	size_t held;
	int close_to; /* at the end: close TO (the stdin pipe: the command reads EOF) */
	int copy;     /* FROM is a terminal: read() it (splice() would allocate a
		       * pipe's worth of pages for each few bytes it returns) */
};

/* splice(2), or read and write where a file cannot splice (EINVAL) or
 * COPY says so. */
static ssize_t move_bytes(int from, int to, size_t len, int copy)
{
	static char buf[RELAY_CHUNK];
	ssize_t n = copy ? -1 : splice(from, NULL, to, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n >= 0 || (!copy && errno != EINVAL))
		return n;
	n = read(from, buf, len < sizeof(buf) ? len : sizeof(buf));
	if (n > 0 && write(to, buf, n) != n) /* read, so gone: as in drop_bytes() */
		narrate("write(%d): %s: %zd bytes dropped", to, strerror(errno), n);
	return n;
}

/* Where TO cannot take them (ENOSPC, EBADF), the bytes are lost, as they
 * were when the command wrote to the caller's file itself (chapter 10): -v
 * says so, and the command goes on. */
static ssize_t drop_bytes(struct channel *c)
{
	char buf[4096];
	ssize_t n;

	narrate("splice(pipe, %d): %s: %zu bytes dropped", c->to, strerror(errno), c->held);
	n = read(c->hop[0], buf, c->held < sizeof(buf) ? c->held : sizeof(buf));
	return n > 0 ? n : (ssize_t)c->held;
}

/* What is ready: into our pipe, then out of it as far as TO takes it now.
 * 1 while the channel goes on; 0 when it is done (end of file, a reader
 * gone: EPIPE, the container's terminal closed: EIO). */
static int pump(struct channel *c)
{
	ssize_t n;

	/* LAB 11: splice what FROM has into the hop pipe (when it is empty), then what
	 * the hop pipe holds into TO, with move_bytes(); return 0 at end of file, on
	 * EPIPE or EIO, die() on any other error but EAGAIN; else return 1 */
	/* GOAL LAB 11: One step of a channel moves what is ready from FROM to TO through the
	 * channel's own pipe (hop), with move_bytes(): when the hop pipe is empty (held is
	 * 0), what FROM has now goes into it; then what it holds goes on to TO as far as TO
	 * takes it now, held counting what is left. It returns 0 when the channel is done:
	 * end of file on FROM, or FROM gone (EIO: the container's terminal closed; EPIPE; a
	 * closed descriptor; a folder given as stdin, which gives nothing), or TO's reader
	 * gone (EPIPE, EIO); EAGAIN and EINTR only mean "not now". Another error reading FROM
	 * is "minibox: splice(FD, pipe): why" through die(); another writing TO drops what is
	 * held with drop_bytes(), as the command's own write would have failed. Else it
	 * returns 1. Then 16 MB pass byte for byte, stdout and stderr stay apart, end of file
	 * reaches the command, and minibox ... | head -1 ends at once. Read splice(2) and
	 * pipe(7). Checked by "the command's stdin, stdout and stderr are pipes, none of the
	 * caller's descriptors", "stdout and stderr stay apart, end of file passes, the exit
	 * status too", "16 MB through stdin and back arrive byte for byte (binary)", "minibox
	 * ... | head -1 ends promptly: the command's next write finds the reader gone",
	 * "escape: a folder as stdin gives nothing below it". */
	/* HINT LAB 11 1: man 2 splice (RETURN VALUE: 0 is end of input; ERRORS: EAGAIN with a
	 * non-blocking splice), man 7 pipe (I/O on pipes and FIFOs: EPIPE once no reader is
	 * left), man 2 read (EIO, EBADF, EISDIR). */
	/* HINT LAB 11 2: Two halves. If held is 0: move_bytes(from, hop[1], RELAY_CHUNK, copy);
	 * 0, or -1 with EIO, EPIPE, EBADF or EISDIR, ends the channel; -1 with another errno
	 * but EAGAIN and EINTR is fatal; else held becomes what moved. If held > 0:
	 * move_bytes(hop[0], to, held, 0) (never copy: the hop pipe splices); EPIPE or EIO end
	 * the channel; another errno but EAGAIN and EINTR: drop_bytes(), which returns how
	 * many went; held goes down by what went. */
	/* HINT LAB 11 3: if (c->held == 0) { n = move_bytes(c->from, c->hop[1], RELAY_CHUNK,
	 * c->copy); if (n == 0 || (n == -1 && (errno == EIO || errno == EPIPE || errno ==
	 * EBADF || errno == EISDIR))) return 0; if (n == -1 && errno != EAGAIN && errno !=
	 * EINTR) die("splice(%d, pipe)", c->from); c->held = n > 0 ? n : 0; } if (c->held > 0)
	 * { n = move_bytes(c->hop[0], c->to, c->held, 0); if (n == -1 && (errno == EPIPE ||
	 * errno == EIO)) return 0; if (n == -1 && errno != EAGAIN && errno != EINTR) n =
	 * drop_bytes(c); c->held -= n > 0 ? n : 0; } return 1; */
	if (c->held == 0) {
		n = move_bytes(c->from, c->hop[1], RELAY_CHUNK, c->copy);
		if (n == 0 || (n == -1 && (errno == EIO || errno == EPIPE || errno == EBADF ||
					   errno == EISDIR)))
			return 0; /* EISDIR: a folder as stdin gives nothing */
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			die("splice(%d, pipe)", c->from);
		c->held = n > 0 ? n : 0;
	}
	if (c->held > 0) {
		n = move_bytes(c->hop[0], c->to, c->held, 0);
		if (n == -1 && (errno == EPIPE || errno == EIO))
			return 0;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			n = drop_bytes(c); /* a full disk, a closed stderr: as the command's write would */
		c->held -= n > 0 ? n : 0;
	}
	return 1;
	/* END LAB 11 */
	return 0; /* (reached only without the code above: the channel ends) */
}

static void open_channel(struct channel *c, int from, int to, int close_to)
{
	c->from = from;
	c->to = to;
	c->held = 0;
	c->close_to = close_to;
	c->copy = isatty(from);
	if (pipe2(c->hop, O_CLOEXEC | O_NONBLOCK) == -1)
		die("pipe2(relay)");
}

static void close_channel(struct channel *c)
{
	if (c->from < 0)
		return;
	if (c->close_to)
		close_fd(&c->to);
	/* a reader gone: close the pipe from the command, whose next write gets SIGPIPE */
	if (c->from > 2)
		close_fd(&c->from);
	close_fd(&c->hop[0]);
	close_fd(&c->hop[1]);
	c->from = c->to = -1;
}
/* The relay's state: the signals, the socket the master comes on, and
 * each direction's channel. */
struct relay {
	int tty, sigfd, sock, master;
	struct channel in, out, err;
};

/* --tty: the master has come: raw mode, the window size, and the relay
 * between our stdin and stdout and the container's terminal. */
static void start_console(struct relay *r)
{
	r->master = receive_fd(r->sock);
	if (r->master < 0) {
		close_fd(&r->sock);
		return; /* the child died before: its status says why */
	}
	make_raw();
	pass_window_size(r->master);
	/* the terminal is ready: the child may run the command */
	if (write(r->sock, "", 1) != 1 && errno != EPIPE)
		die("write(console socket)");
	close_fd(&r->sock);
	/* ours, not the caller's: a full terminal must not block the relay */
	if (fcntl(r->master, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl(master, O_NONBLOCK)");
	open_channel(&r->out, dup(r->master), STDOUT_FILENO, 0);
	open_channel(&r->in, STDIN_FILENO, r->master, 1);
}

/* A signal on the signalfd: the child ended (its status, or -1), the
 * window changed, or one to pass on. */
static int take_signal(struct relay *r, pid_t pid, int *status)
{
	struct signalfd_siginfo si;
	int sig, ws;
	pid_t ended;

	if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
		die("read(signalfd)");
	sig = si.ssi_signo;
	if (sig == SIGWINCH && r->tty && r->in.to >= 0)
		pass_window_size(r->in.to);
	else if (sig != SIGCHLD && sig != SIGWINCH) {
		narrate("kill(%d, %d): passing on %s", pid, sig, strsignal(sig));
		if (kill(pid, sig) == -1 && errno != ESRCH)
			die("kill(%d, %d)", pid, sig);
	}
	while (sig == SIGCHLD && (ended = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (ended == pid)
			*status = ws;
	}
	return *status;
}

static int add_poll(struct pollfd *p, int *n, int fd, short events)
{
	p[*n] = (struct pollfd){ .fd = fd, .events = events };
	return (*n)++;
}

/* pump() a channel whose polled end is ready. */
static void relay_channel(struct channel *c, struct pollfd *p, int i)
{
	if (i >= 0 && p[i].revents && !pump(c))
		close_channel(c);
}

/* Wait for PID, as wait_for_child() does, and meanwhile relay: our stdin
 * to the command, its stdout and stderr (or its terminal) to ours. A
 * signalfd(2) turns the waited signals into a descriptor that poll(2)
 * watches beside the streams. Once PID has ended, what is still in the
 * pipes is passed on, then we return its exit status. */
static int relay_until_exit(pid_t pid, struct streams *s)
{
	struct relay r = { .tty = s->tty, .sock = s->sock[0], .master = -1 };
	struct channel *ch[] = { &r.in, &r.out, &r.err };
	struct pollfd p[8];
	int n, k, io[3], held, status = -1;
	size_t i;

	r.sigfd = s->sigfd;
	r.in.from = r.out.from = r.err.from = -1;
	r.in.hop[0] = r.in.hop[1] = r.out.hop[0] = r.out.hop[1] = r.err.hop[0] = r.err.hop[1] = -1;
	if (!s->tty) {
		open_channel(&r.in, STDIN_FILENO, s->in[1], 1);
		open_channel(&r.out, s->out[0], STDOUT_FILENO, 0);
		open_channel(&r.err, s->err[0], STDERR_FILENO, 0);
	}
	for (;;) {
		n = held = 0;
		k = add_poll(p, &n, r.sigfd, POLLIN);
		if (r.sock >= 0)
			add_poll(p, &n, r.sock, POLLIN);
		for (i = 0; i < ARRAY_SIZE(ch); i++) {
			io[i] = -1;
			if (ch[i]->from < 0 || (ch[i] == &r.in && status != -1))
				continue; /* done; or the command ended: leave our stdin unread */
			/* an empty hop pipe waits for FROM, a full one for TO */
			io[i] = add_poll(p, &n, ch[i]->held ? ch[i]->to : ch[i]->from,
					 ch[i]->held ? POLLOUT : POLLIN);
			held |= ch[i]->held > 0;
		}
		if (n == 1 && status != -1)
			break; /* ended, and every channel is done */
		/* once it has ended, only what is ready now: a process the command
		 * left behind (minibox-exec) may hold the pipes for long; but bytes
		 * already taken from the command wait for a slow reader */
		if (poll(p, n, status != -1 && !held ? 0 : -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (status != -1 && !held && !(p[k].revents & POLLIN)) {
			for (i = 0; i < (size_t)n && !p[i].revents; i++)
				;
			if (i == (size_t)n)
				break;
		}
		if (p[k].revents & POLLIN)
			take_signal(&r, pid, &status);
		if (r.sock >= 0 && (p[1].revents & (POLLIN | POLLHUP)))
			start_console(&r);
		for (i = 0; i < ARRAY_SIZE(ch); i++)
			relay_channel(ch[i], p, io[i]);
	}
	for (i = 0; i < ARRAY_SIZE(ch); i++)
		close_channel(ch[i]);
	close_fd(&r.sock);
	close_fd(&r.sigfd);
	restore_terminal();
	return exit_status(pid, status, "");
}
//@ end
