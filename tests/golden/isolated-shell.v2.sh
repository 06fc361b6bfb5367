#!/bin/sh
# nsplan explain: profile 'isolated-shell' from profiles/isolated-shell.yaml
# /bin/sh in new cgroup, ipc, mnt, net, pid, time, user and uts namespaces.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# profiles/isolated-shell.yaml:13:3: enable memory pids for the children of /sys/fs/cgroup
#   v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control.
echo '+memory +pids' > '/sys/fs/cgroup/cgroup.subtree_control'

# profiles/isolated-shell.yaml:13:3: cgroup nsplan/isolated-shell
mkdir -p '/sys/fs/cgroup/nsplan'

# profiles/isolated-shell.yaml:13:3: enable memory pids for the children of /sys/fs/cgroup/nsplan
echo '+memory +pids' > '/sys/fs/cgroup/nsplan/cgroup.subtree_control'

# profiles/isolated-shell.yaml:13:3: cgroup nsplan/isolated-shell
mkdir -p '/sys/fs/cgroup/nsplan/isolated-shell'

# profiles/isolated-shell.yaml:15:10: memory max 512M
echo '536870912' > '/sys/fs/cgroup/nsplan/isolated-shell/memory.max'

# profiles/isolated-shell.yaml:16:11: memory swap 0
echo '0' > '/sys/fs/cgroup/nsplan/isolated-shell/memory.swap.max'

# profiles/isolated-shell.yaml:18:10: pids max 128
echo '128' > '/sys/fs/cgroup/nsplan/isolated-shell/pids.max'

# profiles/isolated-shell.yaml:56:3: run /bin/sh
# nsplan run: writes the id maps itself; unshare asks newuidmap/newgidmap (package uidmap),
#   which check /etc/subuid and /etc/subgid even for root
# nsplan run: maps every id range; unshare maps only the first
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
# nsplan run: its own init is PID 1 of the new pid namespace (reaps orphans, passes signals on, exits
#   with the command's status, 128+N after signal N) and the command its child; here the command is PID 1
# nsplan run: if nsplan is killed meanwhile, a guard process still removes the cgroups
{
status=0
sh -c 'echo "$$" > "$1" && shift 1 && exec "$@"' nsplan-join '/sys/fs/cgroup/nsplan/isolated-shell/cgroup.procs' setpriv --clear-groups -- unshare --user --cgroup --ipc --net --uts --time --pid --mount --map-users=1000,0,1 --map-groups=1000,0,1 --setgid=0 --setuid=0 --boottime=31536000 --propagation=unchanged --fork -- sh -c 'set -eu
ip link set lo up
hostname '\''sandbox'\''
mount --make-rprivate /
mount -t proc -o '\''nosuid,nodev,noexec'\'' '\''proc'\'' '\''/proc'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=1777,size=67108864'\'' '\''tmpfs'\'' '\''/tmp'\''
mount --rbind '\''/usr/share/doc'\'' '\''/mnt'\''
# nsplan run: one mount_setattr(AT_RECURSIVE) makes '\''/mnt'\'' and every mount below it read-only;
#   mount(8) reaches a mount by its path: one hidden under another mount keeps its mode
awk -v t='\''/mnt'\'' '\''{ p = $5; gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p); gsub(/\\134/, "\\", p); if (t == "/" || p == t || index(p, t "/") == 1) print $1 " " p }'\'' /proc/self/mountinfo |
  while IFS= read -r line; do id=${line%% *} m=${line#* } at=
    if [ -d "$m" ] || [ -f "$m" ]; then
      at=$( { awk '\''/^mnt_id:/ { print $2 }'\'' /proc/self/fdinfo/3; } 3< "$m" 2> /dev/null) || at=$id
    elif [ -e "$m" ]; then at=$id; fi
    if [ "$at" = "$id" ]; then mount -o remount,bind,ro "$m"; fi
  done
prlimit --pid "$$" --core=0:0
prlimit --pid "$$" --nofile=1024:1024
prlimit --pid "$$" --stack=8388608:8388608
cd '\''/tmp'\''
exec setpriv --keep-groups --regid=0 --reuid=0 --no-new-privs -- env '\''HOME=/tmp'\'' '\''PS1=sandbox$ '\'' '\''PWD=/tmp'\'' "$@"' nsplan-run '/bin/sh' || status=$?
set +e

# when the command ends: the ephemeral cgroups go
# destroy: rmdir /sys/fs/cgroup/nsplan/isolated-shell
rmdir '/sys/fs/cgroup/nsplan/isolated-shell' || [ -z "$(cat '/sys/fs/cgroup/nsplan/isolated-shell/cgroup.procs')" ]

# destroy: rmdir /sys/fs/cgroup/nsplan
rmdir '/sys/fs/cgroup/nsplan' || [ -z "$(cat '/sys/fs/cgroup/nsplan/cgroup.procs')" ]

# destroy: disable -memory -pids in /sys/fs/cgroup
if grep -qx 'nr_descendants 0' '/sys/fs/cgroup/cgroup.stat'; then printf '%s\n' '-memory -pids' > '/sys/fs/cgroup/cgroup.subtree_control'; fi
exit "$status"
}
