#!/bin/sh
# nsplan explain --destroy: teardown of profile 'lab' from profiles/lab.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# Children before parents; namespaces go whole (their links with them); host-side links go
# as one link group. Controllers enabled in ancestors stay enabled.
set -u

# profiles/lab.yaml:43:7: undo veth veth-lab-b, peer eth0 in lab-b
ip link delete group 1650561780

# profiles/lab.yaml:31:16: undo net namespace lab-b
ip netns delete 'lab-b'

# profiles/lab.yaml:26:14: undo net namespace lab-a
ip netns delete 'lab-a'
