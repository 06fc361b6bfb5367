#!/bin/sh
# nsplan explain: profile 'lab' from profiles/lab.yaml
# Two persistent network namespaces, lab-a and lab-b, on a host bridge 10.77.0.0/24.
# target: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# the link group of the profile's host-side links: 1650561780
#   destroy deletes the profile's host-side links with one request for the group
# nsplan apply: takes 1650561780 unless another profile's state records it, then the next group none records
group=1650561780

# profiles/lab.yaml:26:14: net namespace lab-a
ip netns add 'lab-a'

# profiles/lab.yaml:26:14: loopback of lab-a
ip -n 'lab-a' link set 'lo' up

# profiles/lab.yaml:31:16: net namespace lab-b
ip netns add 'lab-b'

# profiles/lab.yaml:31:16: loopback of lab-b
ip -n 'lab-b' link set 'lo' up

# profiles/lab.yaml:33:7: bridge br-lab
ip link add 'br-lab' group "$group" type bridge

# profiles/lab.yaml:36:7: veth veth-lab-a, peer eth0 in lab-a
ip link add 'veth-lab-a' group "$group" type veth peer name 'eth0' netns 'lab-a'

# profiles/lab.yaml:43:7: veth veth-lab-b, peer eth0 in lab-b
ip link add 'veth-lab-b' group "$group" type veth peer name 'eth0' netns 'lab-b'

# profiles/lab.yaml:35:19: address of br-lab
ip addr add '10.77.0.1/24' dev 'br-lab'

# profiles/lab.yaml:33:7: br-lab up
ip link set 'br-lab' up

# profiles/lab.yaml:38:15: veth-lab-a joins bridge br-lab
ip link set 'veth-lab-a' master 'br-lab'

# profiles/lab.yaml:36:7: veth-lab-a up
ip link set 'veth-lab-a' up

# profiles/lab.yaml:42:21: address of eth0
ip -n 'lab-a' addr add '10.77.0.2/24' dev 'eth0'

# profiles/lab.yaml:40:9: eth0 up
ip -n 'lab-a' link set 'eth0' up

# profiles/lab.yaml:45:15: veth-lab-b joins bridge br-lab
ip link set 'veth-lab-b' master 'br-lab'

# profiles/lab.yaml:43:7: veth-lab-b up
ip link set 'veth-lab-b' up

# profiles/lab.yaml:49:21: address of eth0
ip -n 'lab-b' addr add '10.77.0.3/24' dev 'eth0'

# profiles/lab.yaml:47:9: eth0 up
ip -n 'lab-b' link set 'eth0' up

# profiles/lab.yaml:51:7: route to default in lab-a
ip -n 'lab-a' route add 'default' via '10.77.0.1'

# profiles/lab.yaml:52:7: route to default in lab-b
ip -n 'lab-b' route add 'default' via '10.77.0.1'

# each link brought up, asked for once: the kernel settles its carrier and IPv6 link-local address now
ip link show dev 'br-lab' > /dev/null
ip link show dev 'veth-lab-a' > /dev/null
ip link show dev 'veth-lab-b' > /dev/null
ip -n 'lab-a' link show dev 'lo' > /dev/null
ip -n 'lab-a' link show dev 'eth0' > /dev/null
ip -n 'lab-b' link show dev 'lo' > /dev/null
ip -n 'lab-b' link show dev 'eth0' > /dev/null

# profiles/lab.yaml:55:3: run /bin/sh
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
# the program in single quotes is expanded by the sh inside the namespaces, not here:
# shellcheck disable=SC2016
exec nsenter --net='/run/netns/lab-a' -- unshare --uts -- sh -c 'set -eu
hostname '\''lab-a'\''
exec env '\''PS1=lab-a# '\'' "$@"' nsplan-run '/bin/sh'
