#!/bin/sh
# Run COMMAND apart from everything else on the machine that minibox
# touches by name: in an IPC and a mount namespace of its own, with a
# /run/minibox of its own (not a UTS namespace: chapter 00's README shows the
# host's). The suite runs the README transcripts and the
# mutation checks this way: a README's fixed names (chapter 08's "web", an
# IPC key) never meet another suite's, and a real minibox sweeping stale
# records meanwhile cannot do the work of a mutant that never sweeps.
#
#   scripts/private-run.sh COMMAND [ARG...]      (as root)
exec unshare --ipc --mount --propagation private -- sh -c '
	mkdir -p /run/minibox && mount -t tmpfs -o mode=755 minibox-private /run/minibox &&
	exec "$@"' sh "$@"
