#!/bin/sh
# nsplan explain: profile 'vxlan-pair' from profiles/vxlan-pair.yaml
# Two namespaces joined by a vxlan over a veth.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# profiles/vxlan-pair.yaml:19:16: net namespace site-a
ip netns add 'site-a'

# profiles/vxlan-pair.yaml:19:16: loopback of site-a
ip -n 'site-a' link set 'lo' up

# profiles/vxlan-pair.yaml:19:24: net namespace site-b
ip netns add 'site-b'

# profiles/vxlan-pair.yaml:19:24: loopback of site-b
ip -n 'site-b' link set 'lo' up

# profiles/vxlan-pair.yaml:21:7: veth underlay in site-a, peer underlay in site-b
ip -n 'site-a' link add 'underlay' type veth peer name 'underlay' netns 'site-b'

# profiles/vxlan-pair.yaml:26:7: vxlan vx42 in site-a on underlay
ip -n 'site-a' link add 'vx42' type vxlan id 42 dstport 4789 remote '192.168.42.2' local '192.168.42.1' dev 'underlay'

# profiles/vxlan-pair.yaml:35:7: vxlan vx42 in site-b on underlay
ip -n 'site-b' link add 'vx42' type vxlan id 42 dstport 4789 remote '192.168.42.1' dev 'underlay'

# profiles/vxlan-pair.yaml:24:19: address of underlay
ip -n 'site-a' addr add '192.168.42.1/24' dev 'underlay'

# profiles/vxlan-pair.yaml:21:7: underlay up
ip -n 'site-a' link set 'underlay' up

# profiles/vxlan-pair.yaml:25:57: address of underlay
ip -n 'site-b' addr add '192.168.42.2/24' dev 'underlay'

# profiles/vxlan-pair.yaml:25:13: underlay up
ip -n 'site-b' link set 'underlay' up

# profiles/vxlan-pair.yaml:33:12: mtu of vx42
ip -n 'site-a' link set 'vx42' mtu 1450

# profiles/vxlan-pair.yaml:34:19: address of vx42
ip -n 'site-a' addr add '10.42.0.1/24' dev 'vx42'

# profiles/vxlan-pair.yaml:26:7: vx42 up
ip -n 'site-a' link set 'vx42' up

# profiles/vxlan-pair.yaml:41:12: mtu of vx42
ip -n 'site-b' link set 'vx42' mtu 1450

# profiles/vxlan-pair.yaml:42:19: address of vx42
ip -n 'site-b' addr add '10.42.0.2/24' dev 'vx42'

# profiles/vxlan-pair.yaml:35:7: vx42 up
ip -n 'site-b' link set 'vx42' up

# each link brought up, asked for once: the kernel settles its carrier and IPv6 link-local address now
ip -n 'site-a' link show dev 'lo' > /dev/null
ip -n 'site-a' link show dev 'underlay' > /dev/null
ip -n 'site-a' link show dev 'vx42' > /dev/null
ip -n 'site-b' link show dev 'lo' > /dev/null
ip -n 'site-b' link show dev 'underlay' > /dev/null
ip -n 'site-b' link show dev 'vx42' > /dev/null
