# shellcheck shell=bash
# Who "the ordinary user" is, in one place. Sourced by tests/helpers.bash,
# scripts/test.sh, scripts/transcripts.sh and scripts/demo.sh.
#
# The ordinary user is the person who typed sudo (SUDO_UID and SUDO_GID, when
# set and not 0). On a root login there is none: then it is uid 65534
# (nobody), which cannot reach a clone below /root or a 0700 home, so it
# works from a copy: a world-readable temporary folder (mktemp -d, mode 755)
# holding what a rootless run needs, the chapters' programs, rootfs/ and
# tests/probes/, removed at the end. The sudo user works from the clone
# itself, or from such a copy too when it cannot reach the clone.
#
# mb_choose_user REPO exports:
#   MB_USER_UID, MB_USER_GID   the ordinary user's ids
#   MB_USER_LABEL              "uid 1000 (alice)", for test labels
#   MB_USER_TREE               the tree that user runs from: REPO, or the copy
#   MB_REPO                    REPO, the clone (to translate paths)
# A caller that chose already (its parent exported these) keeps the choice.

mb_choose_user() {
	local repo=$1 name
	export MB_REPO=$repo
	if [ -n "${MB_USER_UID:-}" ] && [ -n "${MB_USER_TREE:-}" ] && [ -d "$MB_USER_TREE" ]; then
		return 0
	fi
	if [ -n "${SUDO_UID:-}" ] && [ "$SUDO_UID" != 0 ]; then
		MB_USER_UID=$SUDO_UID MB_USER_GID=${SUDO_GID:-$SUDO_UID}
	else
		MB_USER_UID=65534 MB_USER_GID=65534
	fi
	name=$(getent passwd "$MB_USER_UID" | cut -d: -f1)
	MB_USER_LABEL="uid $MB_USER_UID${name:+ ($name)}"
	export MB_USER_UID MB_USER_GID MB_USER_LABEL
	MB_USER_TREE=$repo MB_USER_COPY=''
	if [ "$MB_USER_UID" = 65534 ] || ! mb_as_user test -x "$repo/chapters"; then
		mb_make_user_tree "$repo" || return 1
	fi
	export MB_USER_TREE
}

# Run a command as the ordinary user, with no supplementary groups.
mb_as_user() { setpriv --reuid="$MB_USER_UID" --regid="$MB_USER_GID" --clear-groups -- "$@"; }

# Make the copy the ordinary user works from. MB_USER_COPY holds its path
# (and says who removes it: the one who made it, with mb_remove_user_tree).
mb_make_user_tree() {
	local repo=$1 f
	MB_USER_TREE=$(mktemp -d /tmp/minibox-user.XXXXXX) || return 1
	chmod 755 "$MB_USER_TREE"
	MB_USER_COPY=$MB_USER_TREE
	for f in "$repo"/chapters/[0-9][0-9]-*/*; do
		[ -f "$f" ] && [ -x "$f" ] && mb_user_path "$f" >/dev/null
	done
	[ -d "$repo/rootfs" ] && cp -a "$repo/rootfs" "$MB_USER_TREE/rootfs"
	if [ -d "$repo/tests/probes" ]; then
		mkdir -p "$MB_USER_TREE/tests"
		cp -a "$repo/tests/probes" "$MB_USER_TREE/tests/probes"
	fi
	export MB_USER_TREE
}

mb_remove_user_tree() {
	[ -n "${MB_USER_COPY:-}" ] && [ "$MB_USER_COPY" = "${MB_USER_TREE:-}" ] || return 0
	rm -rf "$MB_USER_COPY"
	MB_USER_COPY='' MB_USER_TREE=''
}

# Where the ordinary user finds the file $1: the same path in its tree
# (a file of the clone), or the tree's ext/ folder (a file elsewhere, such
# as a mutant in a private temporary folder). Copies the file there when it
# is missing or older; the copy is renamed into place, so that test files
# running side by side never see half a file.
mb_user_path() {
	local file=$1 dest tmp
	file=$(realpath -m "$file")
	if [ "$MB_USER_TREE" = "$MB_REPO" ]; then
		dest=$file
	elif [[ $file == "$MB_REPO"/* ]]; then
		dest=$MB_USER_TREE/${file#"$MB_REPO"/}
	else
		dest=$MB_USER_TREE/ext$file
	fi
	if [ "$dest" != "$file" ] && [ -f "$file" ] && { [ ! -e "$dest" ] || [ "$dest" -ot "$file" ]; }; then
		mkdir -p "$(dirname "$dest")" && chmod 755 "$MB_USER_TREE/ext" 2>/dev/null
		tmp=$(mktemp "$dest.XXXXXX") && cp -p "$file" "$tmp" && chmod a+rX "$tmp" && mv -f "$tmp" "$dest"
	fi
	echo "$dest"
}
