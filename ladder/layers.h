//@ 10+
/*
 * layers.h, chapter 10-harden: the layers that both programs put on a
 * command in the container. minibox puts them on the command it starts,
 * minibox-exec on the one it runs inside a running container: a joined
 * command without them would be the way out. Written once, so that the
 * two cannot differ. The includer defines die(), narrate() and
 * ARRAY_SIZE() first: the layers report as the program that runs them.
 */
#include <linux/audit.h> /* AUDIT_ARCH_* */
#include <linux/capability.h> /* CAP_*, struct __user_cap_data_struct */
#include <linux/filter.h> /* struct sock_filter, BPF_STMT, BPF_JUMP */
#include <linux/keyctl.h> /* keyctl(2)'s operations */
#include <linux/seccomp.h> /* struct seccomp_data, SECCOMP_RET_* */
#include <stddef.h> /* offsetof */
#include <sys/ioctl.h> /* TIOCSTI */
#include <sys/prctl.h>
#include <sys/syscall.h>

/* The architecture this program was built for, as seccomp_data.arch names
 * it: syscall numbers mean something else in another ABI (a 64-bit
 * process may still call the 32-bit table), so a filter checks it first. */
#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_RISCV64
#else
#error "add this architecture's AUDIT_ARCH_* (linux/audit.h) here"
#endif

/* The low 32 bits of argument I: the kernel reads ioctl's request and the
 * clone flags as an int, so the high half must not let a caller slip by. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#else
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#endif

/* Docker's default capabilities: enough for a program that changes file
 * owners, binds port 80, pings, or switches to another user. The README
 * says why each one is kept. 0xa80425fb, as CapEff shows it. */
static const int kept_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
	CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

/* Linux 6.15's open_tree() with mount attributes: part of the new mount
 * API, newer than the C library's list of numbers (the same on every
 * architecture since 424). */
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif

/* The calls the filter refuses with EPERM, as runtimes refuse them by default
 * (Docker allows name_to_handle_at and clock_adjtime; we refuse them too):
 * keyrings (not namespaced), kernel code (modules, kexec, bpf), perf and
 * userfaultfd (kernel exploit helpers), io_uring (its kernel workers make
 * the calls a ring asks for, which seccomp never sees), new namespaces and
 * mounts (they would undo the layers), file handles (open_by_handle_at
 * reached the host's files from Docker 0.11), the clock, swap, reboot, the
 * kernel log. */
static const int refused_syscalls[] = {
	SYS_keyctl, SYS_add_key, SYS_request_key,
	SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
	SYS_bpf, SYS_perf_event_open, SYS_userfaultfd,
	SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
	SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root,
	SYS_open_tree, SYS_open_tree_attr, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount,
	SYS_fspick, SYS_mount_setattr, SYS_open_by_handle_at, SYS_name_to_handle_at,
	SYS_settimeofday, SYS_clock_settime, SYS_clock_adjtime, SYS_swapon, SYS_swapoff,
	SYS_reboot, SYS_syslog, SYS_acct, SYS_quotactl, SYS_vhangup,
#ifdef SYS_iopl /* x86 only */
	SYS_iopl, SYS_ioperm,
#endif
};

/* The namespace flags of clone(2) and unshare(2). (0x80 is CLONE_NEWTIME
 * for unshare, but the exit signal's bits for clone.) */
#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* A session of our own, without a controlling terminal: ioctl(TIOCSTI),
 * which pushes characters into a terminal's input as if typed, works on
 * one's controlling terminal only, and kill(0, ...) reaches our own process
 * group only, no longer the caller's. Then a session keyring of our own:
 * the caller's holds its secrets (keyctl), and keyrings know no namespaces. */
static void new_session(void)
{
	long id;

	/* LAB 10: setsid(): a new session, no controlling terminal; join a new, empty
	 * session keyring (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL));
	 * narrate() it as the tests read it: child: setsid() = SID,
	 * keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) = ID: a session and a keyring of
	 * our own */
	/* GOAL LAB 10: The command leads a session of its own, with no controlling terminal (so
	 * it cannot type into the caller's terminal), and a new, empty session keyring (so it
	 * cannot read the caller's keys). For -v narrate both steps on one line, each call as
	 * the other lines do: "child: CALL() = SID, CALL(ARGS) = ID: a session and a keyring of
	 * our own"; the tests read the session's id, the keyring's, and the ending. Read
	 * credentials(7) (sessions), keyrings(7), session-keyring(7). Checked by "the
	 * container's command leads a session of its own", "escape 6, the caller's session
	 * keyring", "-v narrates the read-only rootfs, setsid, the keyring", "the container's
	 * command has a session keyring of its own". */
	/* HINT LAB 10 1: man 7 credentials, "Sessions"; man 7 session-keyring: how a process
	 * gets a new anonymous one. */
	/* HINT LAB 10 2: One call for the session; one keyctl operation, through syscall(2) (no
	 * libkeyutils here), with a NULL name for an anonymous keyring. Narrate with getsid(0)
	 * and the keyring's id. */
	/* HINT LAB 10 3: setsid(); id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	 * narrate(...). */
	if (setsid() == -1)
		die("setsid");
	id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if (id == -1)
		die("keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)");
	narrate("child: setsid() = %d, keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) = %ld: a session"
		" and a keyring of our own", getsid(0), id);
	/* END LAB 10 */
}

/* SHOW LAB 10: Keep Docker's 14 capabilities, drop every other one from every
 * set, in an order that leaves no way back: first what any later exec can gain
 * (root's exec gets its whole bounding set back as permitted and effective);
 * and a capability inheritable but not bounded would come back at exec. */
/* Keep Docker's 14 capabilities, drop every other one from every set.
 * The bounding set first: it caps what any later exec can gain (root's
 * exec gets the whole bounding set back as permitted and effective). Then
 * capset(2) sets effective and permitted to the kept ones and empties
 * inheritable (a capability inheritable but not bounded would come back
 * at exec), and the ambient set is cleared. */
static void drop_capabilities(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
	unsigned long long kept = 0;
	int cap, dropped = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kept_caps); i++)
		kept |= 1ULL << kept_caps[i];
	/* LAB 10: drop from the bounding set (PR_CAPBSET_DROP) every capability not in
	 * kept, up to the first one PR_CAPBSET_READ refuses, counting them in dropped;
	 * capset() effective = permitted = kept (data[0] holds the low 32 bits, data[1]
	 * the high), inheritable 0; clear the ambient set; narrate() as the tests read
	 * it: child: prctl(PR_CAPBSET_DROP) = 0 for N capabilities, 14 kept, then
	 * child: capset(_LINUX_CAPABILITY_VERSION_3, effective=permitted=0xa80425fb,
	 * inheritable=0) = 0, then child: prctl(PR_CAP_AMBIENT,
	 * PR_CAP_AMBIENT_CLEAR_ALL) = 0 */
	/* GOAL LAB 10: The command keeps only the 14 capabilities of kept (Docker's) in every
	 * set: the bounding set loses every other capability this kernel has (count them in
	 * dropped; stop at the first number the kernel does not know), effective and permitted
	 * hold exactly kept, inheritable and ambient are empty. For -v narrate each step as
	 * the other lines do, "child: CALL(ARGS) = 0", the facts the tests read after it or in
	 * it: the bounding set's "child: prctl(ARGS) = 0 for N capabilities, 14 kept"; the three
	 * sets set at once, "effective=permitted=0xa80425fb, inheritable=0" the last of the
	 * arguments; the ambient set's own "child: prctl(ARGS naming AMBIENT) = 0". Read
	 * capabilities(7) ("Capability bounding set", "Thread capability sets"), capget(2),
	 * prctl(2). Checked by "inside, the capabilities are Docker's 14 in every set", "each
	 * of Docker's 14 capabilities is kept", "-v narrates the read-only rootfs, setsid, the
	 * keyring, the capabilities", "a caller's ambient capability does not reach the
	 * command". */
	/* HINT LAB 10 1: man 7 capabilities: the five sets and how each is changed; man 2
	 * capget (the v3 header and its two data words); man 2 prctl. */
	/* HINT LAB 10 2: Bounding set first (it caps what any later exec can gain): loop over
	 * capability numbers while the kernel can read them, dropping those not in kept. Then
	 * set effective and permitted with one call (header and data are ready; data[0] holds
	 * the low 32 bits, data[1] the high), inheritable 0; then clear the ambient set. */
	/* HINT LAB 10 3: for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) if not
	 * kept: prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), dropped++; data[0/1].effective =
	 * data[0/1].permitted = kept halves; syscall(SYS_capset, &header, data);
	 * prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0). */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (kept & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			die("prctl(PR_CAPBSET_DROP, %d)", cap);
		dropped++;
	}
	narrate("child: prctl(PR_CAPBSET_DROP) = 0 for %d capabilities, %zu kept", dropped,
		ARRAY_SIZE(kept_caps));
	data[0].effective = data[0].permitted = (unsigned)kept;
	data[1].effective = data[1].permitted = (unsigned)(kept >> 32);
	if (syscall(SYS_capset, &header, data) == -1)
		die("capset(effective=permitted=%#llx, inheritable=0)", kept);
	narrate("child: capset(_LINUX_CAPABILITY_VERSION_3, effective=permitted=%#llx, inheritable=0) = 0",
		kept);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		die("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
	narrate("child: prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) = 0");
	/* END LAB 10 */
}

static int refuse_by_argument(struct sock_filter *f, int nr, int arg, int test, unsigned value);

/* The filter, a program for the kernel's classic BPF machine, run on
 * every system call with struct seccomp_data (nr, arch, args) as its
 * input. It answers ALLOW, ERRNO(e): fail with e, or KILL_PROCESS. */
static int seccomp_program(struct sock_filter *f)
{
	int n = 0;
	size_t i;

	/* the architecture: anything else is killed (a 32-bit call on x86_64) */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	/* x32, x86_64's third ABI, shares its arch: numbers from 0x40000000 */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
#endif
	for (i = 0; i < ARRAY_SIZE(refused_syscalls); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, refused_syscalls[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	}
	/* clone3 passes its flags in memory, which a filter cannot read:
	 * ENOSYS makes the C library fall back to clone(), whose flags it can */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	n += refuse_by_argument(f + n, SYS_ioctl, 1, BPF_JEQ, TIOCSTI);
	n += refuse_by_argument(f + n, SYS_clone, 0, BPF_JSET, CLONE_NS_FLAGS);
	n += refuse_by_argument(f + n, SYS_unshare, 0, BPF_JSET, CLONE_NS_FLAGS | CLONE_NEWTIME);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

/* Six instructions: for system call NR, refuse (EPERM) when the low half
 * of argument ARG matches VALUE (BPF_JEQ: equals it; BPF_JSET: shares a
 * bit with it), allow it otherwise. */
static int refuse_by_argument(struct sock_filter *f, int nr, int arg, int test, unsigned value)
{
	f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4);
	f[2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(arg));
	f[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | test | BPF_K, value, 0, 1);
	f[4] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[5] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return 6;
}

/* no_new_privs: from now on no exec can gain privileges, neither a
 * setuid program's owner nor file capabilities, and it lets a process
 * without CAP_SYS_ADMIN install a seccomp filter. Then the filter, which
 * this process and everything it starts keep until they end. */
static void restrict_syscalls(void)
{
	struct sock_filter filter[2 * ARRAY_SIZE(refused_syscalls) + 32];
	struct sock_fprog prog = { .filter = filter };

	/* LAB 10: prctl(PR_SET_NO_NEW_PRIVS, 1), then prog.len =
	 * seccomp_program(filter) and syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
	 * &prog); narrate() as the tests read it: child: prctl(PR_SET_NO_NEW_PRIVS, 1)
	 * = 0, then child: seccomp(SECCOMP_SET_MODE_FILTER, N instructions) = 0: and
	 * what it refuses */
	/* GOAL LAB 10: The command runs under the system call filter that
	 * seccomp_program(filter) writes (its length goes in prog.len), and no exec can ever
	 * gain privileges again, which an unprivileged process needs before it may install a
	 * filter. For -v narrate each step as the other lines do: "child: prctl(ARGS naming
	 * NO_NEW_PRIVS) = 0" and "child: seccomp(ARGS, N instructions) = 0: M calls refused,
	 * ioctl(TIOCSTI) and new namespaces too, clone3 ENOSYS" (N prog.len, M
	 * ARRAY_SIZE(refused_syscalls)); the tests read the facts and the results. Read
	 * seccomp(2) and prctl(2). Checked by "inside, the capabilities are Docker's 14 in
	 * every set, none inheritable or ambient; NoNewPrivs 1, Seccomp 2", "a refused call
	 * fails with EPERM", "-v narrates the read-only rootfs, setsid, the keyring, the
	 * capabilities, no_new_privs and the filter". */
	/* HINT LAB 10 1: man 2 seccomp, SECCOMP_SET_MODE_FILTER and its requirement; man 2
	 * prctl, PR_SET_NO_NEW_PRIVS. */
	/* HINT LAB 10 2: First the no_new_privs bit, then build the program into filter
	 * (seccomp_program() returns its length), then install it with the seccomp system call
	 * (through syscall(2)); flags 0. */
	/* HINT LAB 10 3: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); prog.len =
	 * seccomp_program(filter); syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	 * narrate() each. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		die("prctl(PR_SET_NO_NEW_PRIVS, 1)");
	narrate("child: prctl(PR_SET_NO_NEW_PRIVS, 1) = 0");
	prog.len = seccomp_program(filter);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == -1)
		die("seccomp(SECCOMP_SET_MODE_FILTER, %u instructions)", prog.len);
	narrate("child: seccomp(SECCOMP_SET_MODE_FILTER, %u instructions) = 0: %zu calls refused,"
		" ioctl(TIOCSTI) and new namespaces too, clone3 ENOSYS", prog.len,
		ARRAY_SIZE(refused_syscalls));
	/* END LAB 10 */
}
//@ end
