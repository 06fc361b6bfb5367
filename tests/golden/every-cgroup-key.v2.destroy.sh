#!/bin/sh
# nsplan explain --destroy: profile 'every-cgroup-key' from tests/golden/cases/every-cgroup-key.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,
# namespaces deleted whole (their links with them), the host-side links as one link group.
# nsplan destroy: acts only on what its records show it made, checked against the kernel's
#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);
#   deletes the link group only when every link in it is one of the profile's. sh cannot.
set -u

# destroy: rmdir /sys/fs/cgroup/keys/all
rmdir '/sys/fs/cgroup/keys/all' || [ -z "$(cat '/sys/fs/cgroup/keys/all/cgroup.procs')" ]

# destroy: rmdir /sys/fs/cgroup/keys
rmdir '/sys/fs/cgroup/keys' || [ -z "$(cat '/sys/fs/cgroup/keys/cgroup.procs')" ]

# destroy: disable -cpuset -cpu -io -memory -hugetlb -pids -rdma -misc in /sys/fs/cgroup
if grep -qx 'nr_descendants 0' '/sys/fs/cgroup/cgroup.stat'; then printf '%s\n' '-cpuset -cpu -io -memory -hugetlb -pids -rdma -misc' > '/sys/fs/cgroup/cgroup.subtree_control'; fi
