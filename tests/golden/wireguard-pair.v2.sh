#!/bin/sh
# nsplan explain: profile 'wireguard-pair' from tests/golden/cases/wireguard-pair.yaml
# Two namespaces joined by a wireguard tunnel over a veth.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# tests/golden/cases/wireguard-pair.yaml:8:16: net namespace wg-a
ip netns add 'wg-a'

# tests/golden/cases/wireguard-pair.yaml:8:16: loopback of wg-a
ip -n 'wg-a' link set 'lo' up

# tests/golden/cases/wireguard-pair.yaml:8:22: net namespace wg-b
ip netns add 'wg-b'

# tests/golden/cases/wireguard-pair.yaml:8:22: loopback of wg-b
ip -n 'wg-b' link set 'lo' up

# tests/golden/cases/wireguard-pair.yaml:10:7: veth underlay in wg-a, peer underlay in wg-b
ip -n 'wg-a' link add 'underlay' type veth peer name 'underlay' netns 'wg-b'

# tests/golden/cases/wireguard-pair.yaml:15:7: wireguard wg0 in wg-a
ip -n 'wg-a' link add 'wg0' type wireguard
# nsplan apply: refuses a key file that is a symlink, not a regular file, not root's (or the
#   invoking user's) or open to group or other, before anything changes
ip netns exec 'wg-a' 'wg' 'set' 'wg0' 'private-key' '/etc/nsplan/wg-a.key' 'listen-port' '51820' 'peer' 'HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1M=' 'preshared-key' '/etc/nsplan/wg-ab.psk' 'endpoint' '192.168.43.2:51821' 'persistent-keepalive' '25' 'allowed-ips' '10.43.0.2/32,fd43::/64'

# tests/golden/cases/wireguard-pair.yaml:27:7: wireguard wg0 in wg-b
ip -n 'wg-b' link add 'wg0' type wireguard
# nsplan apply: refuses a key file that is a symlink, not a regular file, not root's (or the
#   invoking user's) or open to group or other, before anything changes
ip netns exec 'wg-b' 'wg' 'set' 'wg0' 'private-key' '/etc/nsplan/wg-b.key' 'listen-port' '51821' 'peer' 'iTSe/JwBNUzgt1TXoO7lF7lGW0kimgFsUavQ4nSB6Vc=' 'preshared-key' '/etc/nsplan/wg-ab.psk' 'allowed-ips' '10.43.0.1/32'

# tests/golden/cases/wireguard-pair.yaml:13:19: address of underlay
ip -n 'wg-a' addr add '192.168.43.1/24' dev 'underlay'

# tests/golden/cases/wireguard-pair.yaml:10:7: underlay up
ip -n 'wg-a' link set 'underlay' up

# tests/golden/cases/wireguard-pair.yaml:14:55: address of underlay
ip -n 'wg-b' addr add '192.168.43.2/24' dev 'underlay'

# tests/golden/cases/wireguard-pair.yaml:14:13: underlay up
ip -n 'wg-b' link set 'underlay' up

# tests/golden/cases/wireguard-pair.yaml:20:19: address of wg0
ip -n 'wg-a' addr add '10.43.0.1/24' dev 'wg0'

# tests/golden/cases/wireguard-pair.yaml:15:7: wg0 up
ip -n 'wg-a' link set 'wg0' up

# tests/golden/cases/wireguard-pair.yaml:32:19: address of wg0
ip -n 'wg-b' addr add '10.43.0.2/24' dev 'wg0'

# tests/golden/cases/wireguard-pair.yaml:27:7: wg0 up
ip -n 'wg-b' link set 'wg0' up

# each link brought up, asked for once: the kernel settles its carrier and IPv6 link-local address now
ip -n 'wg-a' link show dev 'lo' > /dev/null
ip -n 'wg-a' link show dev 'underlay' > /dev/null
ip -n 'wg-a' link show dev 'wg0' > /dev/null
ip -n 'wg-b' link show dev 'lo' > /dev/null
ip -n 'wg-b' link show dev 'underlay' > /dev/null
ip -n 'wg-b' link show dev 'wg0' > /dev/null
