#!/bin/sh
# nsplan explain --destroy: profile 'web-uplink' from profiles/web-uplink.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,
# namespaces deleted whole (their links with them), the host-side links as one link group.
# nsplan destroy: acts only on what its records show it made, checked against the kernel's
#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);
#   deletes the link group only when every link in it is one of the profile's. sh cannot.
set -u

# destroy: delete nftables table ip nsplan-web-uplink
nft delete table 'ip' 'nsplan-web-uplink'

# destroy: restore net.ipv4.ip_forward to 0 (if still 1)
if [ "$(cat '/proc/sys/net/ipv4/ip_forward')" = '1' ]; then echo '0' > '/proc/sys/net/ipv4/ip_forward'; fi

# destroy: the profile's host-side links, as one link group
ip link delete group 1907934574

# destroy: delete net namespace web
ip netns delete 'web'
