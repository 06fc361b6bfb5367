#!/bin/sh
# nsplan explain: profile 'web-uplink' from profiles/web-uplink.yaml
# A namespace web with a way out through the host (masquerade) and port 8080 forwarded to it.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# the link group of the profile's host-side links: 1907934574
#   destroy deletes the profile's host-side links with one request for the group
# nsplan apply: takes 1907934574 unless another profile's state records it, then the next group none records
group=1907934574

# profiles/web-uplink.yaml:20:16: net namespace web
ip netns add 'web'

# profiles/web-uplink.yaml:20:16: loopback of web
ip -n 'web' link set 'lo' up

# profiles/web-uplink.yaml:22:7: veth veth-web, peer eth0 in web
ip link add 'veth-web' group "$group" type veth peer name 'eth0' netns 'web'

# profiles/web-uplink.yaml:24:19: address of veth-web
ip addr add '10.78.0.1/24' dev 'veth-web'

# profiles/web-uplink.yaml:22:7: veth-web up
ip link set 'veth-web' up

# profiles/web-uplink.yaml:28:21: address of eth0
ip -n 'web' addr add '10.78.0.2/24' dev 'eth0'

# profiles/web-uplink.yaml:26:9: eth0 up
ip -n 'web' link set 'eth0' up

# profiles/web-uplink.yaml:30:7: route to default in web
ip -n 'web' route add 'default' via '10.78.0.1'

# profiles/web-uplink.yaml:32:5: uplink of web: IPv4 forwarding on the host
echo '1' > '/proc/sys/net/ipv4/ip_forward'

# profiles/web-uplink.yaml:32:5: uplink of web: masquerade 10.78.0.0/24, 1 forwarded port
nft -f - <<'NSPLAN_NFT'
create table ip nsplan-web-uplink { comment "nsplan web-uplink 4c2c2a31270e26c9"; }
table ip nsplan-web-uplink {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local tcp dport 8080 dnat to 10.78.0.2:80
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.78.0.0/24 ip daddr != 10.78.0.0/24 masquerade
	}
}
NSPLAN_NFT

# each link brought up, asked for once: the kernel settles its carrier and IPv6 link-local address now
ip link show dev 'veth-web' > /dev/null
ip -n 'web' link show dev 'lo' > /dev/null
ip -n 'web' link show dev 'eth0' > /dev/null
