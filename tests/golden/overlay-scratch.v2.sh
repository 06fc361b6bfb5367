#!/bin/sh
# nsplan explain: profile 'overlay-scratch' from tests/golden/cases/overlay-scratch.yaml
# A build on a throwaway overlay of /srv/src, with a scratch directory made for it.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# tests/golden/cases/overlay-scratch.yaml:18:3: run make
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
# the program in single quotes is expanded by the sh inside the namespaces, not here:
# shellcheck disable=SC2016
exec unshare --mount --propagation=unchanged -- sh -c 'set -eu
mount --make-rprivate /
mount -t tmpfs -o '\''nosuid,nodev,mode=1777,size=67108864'\'' '\''tmpfs'\'' '\''/tmp'\''
mkdir -p '\''/run/nsplan'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=0755'\'' '\''tmpfs'\'' '\''/run/nsplan'\''
mkdir -p '\''/run/nsplan/upper'\''
mkdir -p '\''/run/nsplan/work'\''
for d in '\''/srv/patches'\'' '\''/srv/src'\'' '\''/run/nsplan/upper'\'' '\''/run/nsplan/work'\''; do [ ! -L "$d" ] && [ -d "$d" ] || { echo "nsplan: error: overlay on "'\''/srv/work'\''": $d is a symbolic link or not a directory" >&2; exit 1; }; done
mount -t overlay -o '\''lowerdir=/srv/patches:/srv/src,upperdir=/run/nsplan/upper,workdir=/run/nsplan/work'\'' overlay '\''/srv/work'\''
umount -l '\''/run/nsplan'\''
# nsplan run: opens each directory on the way with O_NOFOLLOW; sh checks them first
for p in '\''/srv'\'' '\''/srv/work'\''; do [ ! -L "$p" ] || { echo "nsplan: error: create "'\''/srv/work/.cache'\''": $p is a symbolic link; nsplan does not follow it" >&2; exit 1; }; done
mkdir -m 0700 '\''/srv/work/.cache'\''
# nsplan run: opens each directory on the way with O_NOFOLLOW; sh checks them first
for p in '\''/srv'\'' '\''/srv/work'\'' '\''/srv/work/.cache'\''; do [ ! -L "$p" ] || { echo "nsplan: error: create "'\''/srv/work/.cache/NOTE'\''": $p is a symbolic link; nsplan does not follow it" >&2; exit 1; }; done
(set -C && printf '\''%s'\'' '\''scratch space, gone with the namespace
'\'' > '\''/srv/work/.cache/NOTE'\'')
chmod 0444 '\''/srv/work/.cache/NOTE'\''
# nsplan run: opens each directory on the way with O_NOFOLLOW; sh checks them first
for p in '\''/tmp'\''; do [ ! -L "$p" ] || { echo "nsplan: error: create "'\''/tmp/src'\''": $p is a symbolic link; nsplan does not follow it" >&2; exit 1; }; done
[ ! -e '\''/tmp/src'\'' ] && [ ! -L '\''/tmp/src'\'' ] || { echo '\''nsplan: error: /tmp/src exists already; nsplan never replaces what is there'\'' >&2; exit 1; }
ln -s '\''/srv/work'\'' '\''/tmp/src'\''
exec "$@"' nsplan-run 'make' '-C' '/srv/work'
