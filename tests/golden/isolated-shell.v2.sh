#!/bin/sh
# nsplan explain: profile 'isolated-shell' from profiles/isolated-shell.yaml
# /bin/sh in new cgroup, ipc, mnt, net, pid, time, user and uts namespaces.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# Each step names the profile line it comes from. `nsplan apply` does the same steps
# directly (cgroupfs and netlink), undoes them if one fails, and can destroy them again.
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
#   this shell joins the cgroup, then becomes the command inside its namespaces.
#   unshare writes id maps with newuidmap/newgidmap (package uidmap), which check /etc/subuid
#   and /etc/subgid even for root; `nsplan run` writes the maps itself.
#   unshare maps only the first id range; `nsplan run` writes all of them.
echo "$$" > '/sys/fs/cgroup/nsplan/isolated-shell/cgroup.procs'
exec prlimit --core=0:0 --nofile=1024:1024 --stack=8388608:8388608 -- unshare --user --cgroup --ipc --net --uts --time --pid --map-users=1000,0,1 --map-groups=1000,0,1 --setgid=0 --setuid=0 --boottime=31536000 --propagation=private --fork --mount-proc -- sh -c 'set -eu; hostname '\''sandbox'\''; mount -t tmpfs -o '\''mode=1777,size=67108864'\'' tmpfs '\''/tmp'\''; mount --rbind '\''/usr/share/doc'\'' '\''/mnt'\''; mount -o remount,bind,ro '\''/mnt'\''; cd '\''/tmp'\''; exec setpriv --reuid=0 --regid=0 --clear-groups --no-new-privs -- env '\''HOME=/tmp'\'' '\''PS1=sandbox$ '\'' "$@"' nsplan-run '/bin/sh'
