#!/bin/sh
# nsplan explain --destroy: profile 'firefox' from profiles/firefox.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup, managed by systemd)
# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,
# namespaces deleted whole (their links with them), the host-side links as one link group.
# nsplan destroy: acts only on what its records show it made, checked against the kernel's
#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);
#   deletes the link group only when every link in it is one of the profile's. sh cannot.
set -u

# destroy: rmdir /sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit
rmdir '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit' || [ -z "$(cat '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit/cgroup.procs')" ]

# destroy: stop systemd unit nsplan-firefox.service (cgroup /sys/fs/cgroup/system.slice/nsplan-firefox.service)
if grep -qx 'nr_descendants 1' '/sys/fs/cgroup/system.slice/nsplan-firefox.service/cgroup.stat' && [ -z "$(cat '/sys/fs/cgroup/system.slice/nsplan-firefox.service/cgroup.procs')" ] && [ "$(cat '/sys/fs/cgroup/system.slice/nsplan-firefox.service/nsplan-keeper/cgroup.procs')" = "$(systemctl show --value --property=MainPID 'nsplan-firefox.service')" ]; then systemctl stop 'nsplan-firefox.service'; fi
