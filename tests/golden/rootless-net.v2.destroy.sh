#!/bin/sh
# nsplan explain --destroy: profile 'rootless-net' from profiles/rootless-net.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,
# namespaces deleted whole (their links with them), the host-side links as one link group.
# nsplan destroy: acts only on what its records show it made, checked against the kernel's
#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);
#   deletes the link group only when every link in it is one of the profile's. sh cannot.
set -u
