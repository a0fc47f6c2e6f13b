#!/bin/sh
# Run COMMAND apart from everything else on the machine that minibox
# touches by name: in a UTS, IPC and mount namespace of its own, with a
# /run/minibox of its own. The suite runs the README transcripts and the
# mutation checks this way: a README's fixed names (chapter 08's "web", an
# IPC key) never meet another suite's, and a real minibox sweeping stale
# records meanwhile cannot do the work of a mutant that never sweeps.
#
#   scripts/private-run.sh COMMAND [ARG...]      (as root)
exec unshare --uts --ipc --mount --propagation private -- sh -c '
	mkdir -p /run/minibox && mount -t tmpfs -o mode=755 minibox-private /run/minibox &&
	exec "$@"' sh "$@"
