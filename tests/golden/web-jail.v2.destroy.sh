#!/bin/sh
# nsplan explain --destroy: profile 'web-jail' from profiles/web-jail.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,
# namespaces deleted whole (their links with them), the host-side links as one link group.
# nsplan destroy: acts only on what its records show it made, checked against the kernel's
#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);
#   deletes the link group only when every link in it is one of the profile's. sh cannot.
set -u

# destroy: delete nftables table ip nsplan-web-jail
nft delete table 'ip' 'nsplan-web-jail'

# destroy: restore net.ipv4.ip_forward to 0 (if still 1)
if [ "$(cat '/proc/sys/net/ipv4/ip_forward')" = '1' ]; then echo '0' > '/proc/sys/net/ipv4/ip_forward'; fi

# destroy: the profile's host-side links, as one link group
ip link delete group 259605116

# destroy: remove /etc/netns/web-jail/hostname
rm -f '/etc/netns/web-jail/hostname'
rmdir '/etc/netns/web-jail' 2> /dev/null || true

# destroy: remove /etc/netns/web-jail/hosts
rm -f '/etc/netns/web-jail/hosts'
rmdir '/etc/netns/web-jail' 2> /dev/null || true

# destroy: remove /etc/netns/web-jail/resolv.conf
rm -f '/etc/netns/web-jail/resolv.conf'
rmdir '/etc/netns/web-jail' 2> /dev/null || true

# destroy: delete net namespace web-jail
ip netns delete 'web-jail'

# destroy: rmdir /sys/fs/cgroup/nsplan/web-jail
rmdir '/sys/fs/cgroup/nsplan/web-jail' || [ -z "$(cat '/sys/fs/cgroup/nsplan/web-jail/cgroup.procs')" ]

# destroy: rmdir /sys/fs/cgroup/nsplan
rmdir '/sys/fs/cgroup/nsplan' || [ -z "$(cat '/sys/fs/cgroup/nsplan/cgroup.procs')" ]

# destroy: disable -cpu -memory -pids in /sys/fs/cgroup
if grep -qx 'nr_descendants 0' '/sys/fs/cgroup/cgroup.stat'; then printf '%s\n' '-cpu -memory -pids' > '/sys/fs/cgroup/cgroup.subtree_control'; fi
