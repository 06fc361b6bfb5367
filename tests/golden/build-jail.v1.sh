#!/bin/sh
# nsplan explain: profile 'build-jail' from profiles/build-jail.yaml
# Run make -j4 in /srv/build/src with 2 CPUs, 4 GiB, 1024 tasks and no network.
# target: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup)
# Each step names the profile line it comes from. `nsplan apply` does the same steps
# directly (cgroupfs and netlink), undoes them if one fails, and can destroy them again.
# warning: profiles/build-jail.yaml:22:11: memory high has no cgroup v1 equivalent; it is not applied
set -eu

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail (memory)
mkdir -p '/sys/fs/cgroup/memory/nsplan'
mkdir -p '/sys/fs/cgroup/memory/nsplan/build-jail'

# profiles/build-jail.yaml:18:10: memory max 4G
echo '4294967296' > '/sys/fs/cgroup/memory/nsplan/build-jail/memory.limit_in_bytes'

# profiles/build-jail.yaml:19:11: memory swap 0: memsw = max + swap = 4G
#   memsw counts RAM and swap together; it is written after limit_in_bytes because the kernel
#   keeps limit <= memsw at every write.
echo '4294967296' > '/sys/fs/cgroup/memory/nsplan/build-jail/memory.memsw.limit_in_bytes'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail (cpu)
mkdir -p '/sys/fs/cgroup/cpu/nsplan'
mkdir -p '/sys/fs/cgroup/cpu/nsplan/build-jail'

# profiles/build-jail.yaml:29:13: cpu weight 50
#   v1 cpu.shares = weight x 1024 / 100 (systemd's mapping; defaults 100 and 1024 agree).
echo '512' > '/sys/fs/cgroup/cpu/nsplan/build-jail/cpu.shares'

# profiles/build-jail.yaml:26:10: cpu max 200000/100000 us
echo '100000' > '/sys/fs/cgroup/cpu/nsplan/build-jail/cpu.cfs_period_us'
echo '200000' > '/sys/fs/cgroup/cpu/nsplan/build-jail/cpu.cfs_quota_us'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail (pids)
mkdir -p '/sys/fs/cgroup/pids/nsplan'
mkdir -p '/sys/fs/cgroup/pids/nsplan/build-jail'

# profiles/build-jail.yaml:32:10: pids max 1024
echo '1024' > '/sys/fs/cgroup/pids/nsplan/build-jail/pids.max'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail (blkio)
mkdir -p '/sys/fs/cgroup/blkio/nsplan'
mkdir -p '/sys/fs/cgroup/blkio/nsplan/build-jail'

# profiles/build-jail.yaml:35:13: io weight 50
#   v1 BFQ weight 1..1000 from io weight 1..10000 (systemd's mapping, 100 stays 100).
echo '50' > '/sys/fs/cgroup/blkio/nsplan/build-jail/blkio.bfq.weight'

# profiles/build-jail.yaml:58:3: run make
#   this shell joins the cgroup, then becomes the command inside its namespaces.
echo "$$" > '/sys/fs/cgroup/memory/nsplan/build-jail/cgroup.procs'
echo "$$" > '/sys/fs/cgroup/cpu/nsplan/build-jail/cgroup.procs'
echo "$$" > '/sys/fs/cgroup/pids/nsplan/build-jail/cgroup.procs'
echo "$$" > '/sys/fs/cgroup/blkio/nsplan/build-jail/cgroup.procs'
exec prlimit --core=0:0 --nofile=4096:65536 --nproc=4096:4096 -- unshare --ipc --net --uts --pid --propagation=private --fork --mount-proc -- sh -c 'set -eu; hostname '\''build-jail'\''; mount -t tmpfs -o '\''mode=1777,size=2147483648'\'' tmpfs '\''/tmp'\''; mount --bind '\''/usr'\'' '\''/usr'\''; mount -o remount,bind,ro '\''/usr'\''; mount --bind '\''/etc'\'' '\''/etc'\''; mount -o remount,bind,ro '\''/etc'\''; cd '\''/srv/build/src'\''; exec setpriv --reuid=1000 --regid=1000 --clear-groups --no-new-privs -- env '\''LANG=C.UTF-8'\'' '\''TMPDIR=/tmp'\'' '\''SOURCE_DATE_EPOCH=1700000000'\'' "$@"' nsplan-run 'make' '-j4'
