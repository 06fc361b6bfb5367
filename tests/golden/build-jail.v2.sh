#!/bin/sh
# nsplan explain: profile 'build-jail' from profiles/build-jail.yaml
# Run make -j4 in /srv/build/src with 2 CPUs, 4 GiB, 1024 tasks and no network.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# Each step names the profile line it comes from. `nsplan apply` does the same steps
# directly (cgroupfs and netlink), undoes them if one fails, and can destroy them again.
set -eu

# profiles/build-jail.yaml:16:3: enable cpu io memory pids for the children of /sys/fs/cgroup
#   v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control.
echo '+cpu +io +memory +pids' > '/sys/fs/cgroup/cgroup.subtree_control'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail
mkdir -p '/sys/fs/cgroup/nsplan'

# profiles/build-jail.yaml:16:3: enable cpu io memory pids for the children of /sys/fs/cgroup/nsplan
echo '+cpu +io +memory +pids' > '/sys/fs/cgroup/nsplan/cgroup.subtree_control'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail
mkdir -p '/sys/fs/cgroup/nsplan/build-jail'

# profiles/build-jail.yaml:18:10: memory max 4G
echo '4294967296' > '/sys/fs/cgroup/nsplan/build-jail/memory.max'

# profiles/build-jail.yaml:19:11: memory swap 0
echo '0' > '/sys/fs/cgroup/nsplan/build-jail/memory.swap.max'

# profiles/build-jail.yaml:22:11: memory high 3G
echo '3221225472' > '/sys/fs/cgroup/nsplan/build-jail/memory.high'

# profiles/build-jail.yaml:29:13: cpu weight 50
echo '50' > '/sys/fs/cgroup/nsplan/build-jail/cpu.weight'

# profiles/build-jail.yaml:26:10: cpu max 200000/100000 us
echo '200000 100000' > '/sys/fs/cgroup/nsplan/build-jail/cpu.max'

# profiles/build-jail.yaml:32:10: pids max 1024
echo '1024' > '/sys/fs/cgroup/nsplan/build-jail/pids.max'

# profiles/build-jail.yaml:35:13: io weight 50
echo 'default 50' > '/sys/fs/cgroup/nsplan/build-jail/io.weight'

# profiles/build-jail.yaml:58:3: run make
#   this shell joins the cgroup, then becomes the command inside its namespaces.
echo "$$" > '/sys/fs/cgroup/nsplan/build-jail/cgroup.procs'
exec prlimit --core=0:0 --nofile=4096:65536 --nproc=4096:4096 -- unshare --ipc --net --uts --pid --propagation=private --fork --mount-proc -- sh -c 'set -eu; hostname '\''build-jail'\''; mount -t tmpfs -o '\''mode=1777,size=2147483648'\'' tmpfs '\''/tmp'\''; mount --bind '\''/usr'\'' '\''/usr'\''; mount -o remount,bind,ro '\''/usr'\''; mount --bind '\''/etc'\'' '\''/etc'\''; mount -o remount,bind,ro '\''/etc'\''; cd '\''/srv/build/src'\''; exec setpriv --reuid=1000 --regid=1000 --clear-groups --no-new-privs -- env '\''LANG=C.UTF-8'\'' '\''TMPDIR=/tmp'\'' '\''SOURCE_DATE_EPOCH=1700000000'\'' "$@"' nsplan-run 'make' '-j4'
