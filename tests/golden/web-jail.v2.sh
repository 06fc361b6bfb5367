#!/bin/sh
# nsplan explain: profile 'web-jail' from profiles/web-jail.yaml
# A web server as www-data in its own namespaces, behind a forwarded port, with one capability and a syscall filter.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# the link group of the profile's host-side links: 259605116
#   destroy deletes the profile's host-side links with one request for the group
# nsplan apply: takes 259605116 unless another profile's state records it, then the next group none records
group=259605116

# profiles/web-jail.yaml:22:3: enable cpu memory pids for the children of /sys/fs/cgroup
#   v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control.
echo '+cpu +memory +pids' > '/sys/fs/cgroup/cgroup.subtree_control'

# profiles/web-jail.yaml:22:3: cgroup nsplan/web-jail
mkdir -p '/sys/fs/cgroup/nsplan'

# profiles/web-jail.yaml:22:3: enable cpu memory pids for the children of /sys/fs/cgroup/nsplan
echo '+cpu +memory +pids' > '/sys/fs/cgroup/nsplan/cgroup.subtree_control'

# profiles/web-jail.yaml:22:3: cgroup nsplan/web-jail
mkdir -p '/sys/fs/cgroup/nsplan/web-jail'

# profiles/web-jail.yaml:22:17: memory max 512M
echo '536870912' > '/sys/fs/cgroup/nsplan/web-jail/memory.max'

# profiles/web-jail.yaml:22:29: memory swap 0
echo '0' > '/sys/fs/cgroup/nsplan/web-jail/memory.swap.max'

# profiles/web-jail.yaml:24:17: cpu weight 50
echo '50' > '/sys/fs/cgroup/nsplan/web-jail/cpu.weight'

# profiles/web-jail.yaml:23:15: pids max 256
echo '256' > '/sys/fs/cgroup/nsplan/web-jail/pids.max'

# profiles/web-jail.yaml:28:14: net namespace web-jail
ip netns add 'web-jail'

# profiles/web-jail.yaml:28:14: loopback of web-jail
ip -n 'web-jail' link set 'lo' up

# profiles/web-jail.yaml:31:9: /etc/netns/web-jail/resolv.conf (ip netns exec binds it over /etc/resolv.conf)
# nsplan apply: refuses a /etc/netns or /etc/netns/web-jail that is a symbolic link or not root's alone; mkdir -p follows it
mkdir -p /etc/netns
[ -d '/etc/netns/web-jail' ] || mkdir -m 0755 '/etc/netns/web-jail'
(set -C && printf '%s' 'nameserver 10.79.0.1
options edns0
' > '/etc/netns/web-jail/resolv.conf')
chmod 0644 '/etc/netns/web-jail/resolv.conf'

# profiles/web-jail.yaml:34:9: /etc/netns/web-jail/hosts (ip netns exec binds it over /etc/hosts)
# nsplan apply: refuses a /etc/netns or /etc/netns/web-jail that is a symbolic link or not root's alone; mkdir -p follows it
mkdir -p /etc/netns
[ -d '/etc/netns/web-jail' ] || mkdir -m 0755 '/etc/netns/web-jail'
(set -C && printf '%s' '127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
10.79.0.2	web-jail
' > '/etc/netns/web-jail/hosts')
chmod 0644 '/etc/netns/web-jail/hosts'

# profiles/web-jail.yaml:36:17: /etc/netns/web-jail/hostname (ip netns exec binds it over /etc/hostname)
# nsplan apply: refuses a /etc/netns or /etc/netns/web-jail that is a symbolic link or not root's alone; mkdir -p follows it
mkdir -p /etc/netns
[ -d '/etc/netns/web-jail' ] || mkdir -m 0755 '/etc/netns/web-jail'
(set -C && printf '%s' 'web-jail
' > '/etc/netns/web-jail/hostname')
chmod 0644 '/etc/netns/web-jail/hostname'

# profiles/web-jail.yaml:50:7: veth veth-wj, peer eth0 in web-jail
ip link add 'veth-wj' group "$group" type veth peer name 'eth0' netns 'web-jail'

# profiles/web-jail.yaml:52:19: address of veth-wj
ip addr add '10.79.0.1/24' dev 'veth-wj'

# profiles/web-jail.yaml:50:7: veth-wj up
ip link set 'veth-wj' up

# profiles/web-jail.yaml:56:21: address of eth0
ip -n 'web-jail' addr add '10.79.0.2/24' dev 'eth0'

# profiles/web-jail.yaml:54:9: eth0 up
ip -n 'web-jail' link set 'eth0' up

# profiles/web-jail.yaml:58:7: route to default in web-jail
ip -n 'web-jail' route add 'default' via '10.79.0.1'

# profiles/web-jail.yaml:60:5: uplink of web-jail: IPv4 forwarding on the host
echo '1' > '/proc/sys/net/ipv4/ip_forward'

# profiles/web-jail.yaml:60:5: uplink of web-jail: masquerade 10.79.0.0/24, 1 forwarded port
nft -f - <<'NSPLAN_NFT'
create table ip nsplan-web-jail { comment "nsplan web-jail 17d0dca80bfbb94b"; }
table ip nsplan-web-jail {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local tcp dport 8080 dnat to 10.79.0.2:80
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.79.0.0/24 ip daddr != 10.79.0.0/24 masquerade
	}
}
NSPLAN_NFT

# each link brought up, asked for once: the kernel settles its carrier and IPv6 link-local address now
ip link show dev 'veth-wj' > /dev/null
ip -n 'web-jail' link show dev 'lo' > /dev/null
ip -n 'web-jail' link show dev 'eth0' > /dev/null

# profiles/web-jail.yaml:69:3: run python3
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
# nsplan run: its own init is PID 1 of the new pid namespace (reaps orphans, passes signals on, exits
#   with the command's status, 128+N after signal N) and the command its child; here the command is PID 1
# nsplan run: installs a seccomp filter right before exec (native ABI only, any other kills); sh cannot.
#   deny list: these 46 syscalls fail with EPERM, every other one runs:
#   add_key adjtimex bpf chroot clock_adjtime clock_adjtime64 clock_settime clock_settime64
#   delete_module finit_module fsconfig fsmount fsopen fspick init_module ioperm iopl kcmp
#   kexec_file_load kexec_load keyctl mount mount_setattr move_mount open_tree pciconfig_iobase
#   pciconfig_read pciconfig_write perf_event_open pidfd_getfd pivot_root process_vm_readv
#   process_vm_writev ptrace reboot request_key s390_pci_mmio_read s390_pci_mmio_write setns
#   settimeofday stime swapoff swapon umount umount2 unshare
echo "$$" > '/sys/fs/cgroup/nsplan/web-jail/cgroup.procs'
# the program in single quotes is expanded by the sh inside the namespaces, not here:
# shellcheck disable=SC2016
exec nsenter --net='/run/netns/web-jail' -- unshare --ipc --uts --pid --mount --propagation=unchanged --fork -- sh -c 'set -eu
hostname '\''web-jail'\''
mount --make-rprivate /
# nsplan run: one mount_setattr(AT_RECURSIVE) makes '\''/'\'' and every mount below it read-only;
#   mount(8) reaches a mount by its path: one hidden under another mount keeps its mode
awk -v t='\''/'\'' '\''{ p = $5; gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p); gsub(/\\134/, "\\", p); if (t == "/" || p == t || index(p, t "/") == 1) print $1 " " p }'\'' /proc/self/mountinfo |
  while IFS= read -r line; do id=${line%% *} m=${line#* } at=
    if [ -d "$m" ] || [ -f "$m" ]; then
      at=$( { awk '\''/^mnt_id:/ { print $2 }'\'' /proc/self/fdinfo/3; } 3< "$m" 2> /dev/null) || at=$id
    elif [ -e "$m" ]; then at=$id; fi
    if [ "$at" = "$id" ]; then mount -o remount,bind,ro "$m"; fi
  done
mount -t proc -o '\''nosuid,nodev,noexec'\'' '\''proc'\'' '\''/proc'\''
mkdir -p '\''/run/nsplan'\''
mount -t tmpfs -o '\''nosuid,nodev,noexec,mode=0755'\'' '\''tmpfs'\'' '\''/run/nsplan'\''
[ -e '\''/run/nsplan/null'\'' ] || if [ -d '\''/dev/null'\'' ]; then mkdir -p '\''/run/nsplan/null'\''; else mkdir -p '\''/run/nsplan'\'' && : > '\''/run/nsplan/null'\''; fi
mount --bind '\''/dev/null'\'' '\''/run/nsplan/null'\''
[ -e '\''/run/nsplan/zero'\'' ] || if [ -d '\''/dev/zero'\'' ]; then mkdir -p '\''/run/nsplan/zero'\''; else mkdir -p '\''/run/nsplan'\'' && : > '\''/run/nsplan/zero'\''; fi
mount --bind '\''/dev/zero'\'' '\''/run/nsplan/zero'\''
[ -e '\''/run/nsplan/full'\'' ] || if [ -d '\''/dev/full'\'' ]; then mkdir -p '\''/run/nsplan/full'\''; else mkdir -p '\''/run/nsplan'\'' && : > '\''/run/nsplan/full'\''; fi
mount --bind '\''/dev/full'\'' '\''/run/nsplan/full'\''
[ -e '\''/run/nsplan/random'\'' ] || if [ -d '\''/dev/random'\'' ]; then mkdir -p '\''/run/nsplan/random'\''; else mkdir -p '\''/run/nsplan'\'' && : > '\''/run/nsplan/random'\''; fi
mount --bind '\''/dev/random'\'' '\''/run/nsplan/random'\''
[ -e '\''/run/nsplan/urandom'\'' ] || if [ -d '\''/dev/urandom'\'' ]; then mkdir -p '\''/run/nsplan/urandom'\''; else mkdir -p '\''/run/nsplan'\'' && : > '\''/run/nsplan/urandom'\''; fi
mount --bind '\''/dev/urandom'\'' '\''/run/nsplan/urandom'\''
[ -e '\''/run/nsplan/tty'\'' ] || if [ -d '\''/dev/tty'\'' ]; then mkdir -p '\''/run/nsplan/tty'\''; else mkdir -p '\''/run/nsplan'\'' && : > '\''/run/nsplan/tty'\''; fi
mount --bind '\''/dev/tty'\'' '\''/run/nsplan/tty'\''
mkdir -p '\''/run/nsplan/pts'\''
mount -t devpts -o '\''nosuid,noexec,newinstance,ptmxmode=0666,mode=620'\'' '\''devpts'\'' '\''/run/nsplan/pts'\''
ln -s '\''pts/ptmx'\'' '\''/run/nsplan/ptmx'\''
mkdir -p '\''/run/nsplan/shm'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=1777'\'' '\''tmpfs'\'' '\''/run/nsplan/shm'\''
ln -s '\''/proc/self/fd'\'' '\''/run/nsplan/fd'\''
ln -s '\''/proc/self/fd/0'\'' '\''/run/nsplan/stdin'\''
ln -s '\''/proc/self/fd/1'\'' '\''/run/nsplan/stdout'\''
ln -s '\''/proc/self/fd/2'\'' '\''/run/nsplan/stderr'\''
mount --rbind '\''/run/nsplan'\'' '\''/dev'\''
umount -l '\''/run/nsplan'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=1777,size=67108864'\'' '\''tmpfs'\'' '\''/tmp'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=1777,size=4194304'\'' '\''tmpfs'\'' '\''/run'\''
mkdir -p '\''/run/nsplan'\''
mount -t tmpfs -o '\''nosuid,nodev,noexec,mode=0700'\'' '\''tmpfs'\'' '\''/run/nsplan'\''
(set -C && printf '\''%s'\'' '\''nameserver 10.79.0.1
options edns0
'\'' > '\''/run/nsplan/resolv.conf'\'')
chmod 0644 '\''/run/nsplan/resolv.conf'\''
mount --bind '\''/run/nsplan/resolv.conf'\'' '\''/etc/resolv.conf'\''
mount -o remount,bind,ro '\''/etc/resolv.conf'\''
(set -C && printf '\''%s'\'' '\''127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
10.79.0.2	web-jail
'\'' > '\''/run/nsplan/hosts'\'')
chmod 0644 '\''/run/nsplan/hosts'\''
mount --bind '\''/run/nsplan/hosts'\'' '\''/etc/hosts'\''
mount -o remount,bind,ro '\''/etc/hosts'\''
(set -C && printf '\''%s'\'' '\''web-jail
'\'' > '\''/run/nsplan/hostname'\'')
chmod 0644 '\''/run/nsplan/hostname'\''
mount --bind '\''/run/nsplan/hostname'\'' '\''/etc/hostname'\''
mount -o remount,bind,ro '\''/etc/hostname'\''
umount -l '\''/run/nsplan'\''
prlimit --pid "$$" --core=0:0
prlimit --pid "$$" --nofile=4096:4096
cd '\''/tmp'\''
umask 0027
echo 500 > /proc/self/oom_score_adj
exec setpriv --clear-groups --regid=33 --reuid=33 --no-new-privs --bounding-set=-all,+net_bind_service --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service -- env -i '\''PATH=/usr/bin:/bin'\'' '\''LANG=C.UTF-8'\'' '\''PWD=/tmp'\'' "$@"' nsplan-run 'python3' '-m' 'http.server' '--directory' '/var/www/html' '80'
