#!/bin/sh
# nsplan explain --destroy: profile 'isolated-shell' from profiles/isolated-shell.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,
# namespaces deleted whole (their links with them), the host-side links as one link group.
# nsplan destroy: acts only on what its records show it made, checked against the kernel's
#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);
#   deletes the link group only when every link in it is one of the profile's. sh cannot.
set -u

# destroy: rmdir /sys/fs/cgroup/nsplan/isolated-shell
rmdir '/sys/fs/cgroup/nsplan/isolated-shell' || [ -z "$(cat '/sys/fs/cgroup/nsplan/isolated-shell/cgroup.procs')" ]

# destroy: rmdir /sys/fs/cgroup/nsplan
rmdir '/sys/fs/cgroup/nsplan' || [ -z "$(cat '/sys/fs/cgroup/nsplan/cgroup.procs')" ]

# destroy: disable -memory -pids in /sys/fs/cgroup
if grep -qx 'nr_descendants 0' '/sys/fs/cgroup/cgroup.stat'; then printf '%s\n' '-memory -pids' > '/sys/fs/cgroup/cgroup.subtree_control'; fi
