@ arm32getpid: getpid(2) through the 32-bit ARM (AArch32) table, for the
@ arm64 VM's check of chapter 10's seccomp filter (tests/vm/arm64): an arm64
@ kernel runs this in compat mode, where the filter's arch check sees
@ AUDIT_ARCH_ARM and must kill it. Exits with getpid's result. No libc:
@   arm-linux-gnueabihf-as -o arm32getpid.o arm32getpid.S
@   arm-linux-gnueabihf-ld -static -o arm32getpid arm32getpid.o
	.text
	.arm
	.global _start
_start:
	mov	r7, #20		@ __NR_getpid in the ARM EABI table
	svc	#0
	mov	r7, #1		@ __NR_exit, with getpid's result in r0
	svc	#0
