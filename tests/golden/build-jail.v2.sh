#!/bin/sh
# nsplan explain: profile 'build-jail' from profiles/build-jail.yaml
# Run make -j4 in /srv/build/src with 2 CPUs, 4 GiB, 1024 tasks and no network.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# profiles/build-jail.yaml:16:3: enable cpu io memory pids for the children of /sys/fs/cgroup
#   v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control.
echo '+cpu +io +memory +pids' > '/sys/fs/cgroup/cgroup.subtree_control'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail
mkdir -p '/sys/fs/cgroup/nsplan'

# profiles/build-jail.yaml:16:3: enable cpu io memory pids for the children of /sys/fs/cgroup/nsplan
echo '+cpu +io +memory +pids' > '/sys/fs/cgroup/nsplan/cgroup.subtree_control'

# profiles/build-jail.yaml:16:3: cgroup nsplan/build-jail
mkdir -p '/sys/fs/cgroup/nsplan/build-jail'

# profiles/build-jail.yaml:18:10: memory max 4G
echo '4294967296' > '/sys/fs/cgroup/nsplan/build-jail/memory.max'

# profiles/build-jail.yaml:19:11: memory swap 0
echo '0' > '/sys/fs/cgroup/nsplan/build-jail/memory.swap.max'

# profiles/build-jail.yaml:22:11: memory high 3G
echo '3221225472' > '/sys/fs/cgroup/nsplan/build-jail/memory.high'

# profiles/build-jail.yaml:25:16: memory oom_group true
echo '1' > '/sys/fs/cgroup/nsplan/build-jail/memory.oom.group'

# profiles/build-jail.yaml:32:13: cpu weight 50
echo '50' > '/sys/fs/cgroup/nsplan/build-jail/cpu.weight'

# profiles/build-jail.yaml:29:10: cpu max 200000/100000 us
echo '200000 100000' > '/sys/fs/cgroup/nsplan/build-jail/cpu.max'

# profiles/build-jail.yaml:34:12: cpu burst 100000 us
#   written after the quota: the kernel keeps burst <= quota.
echo '100000' > '/sys/fs/cgroup/nsplan/build-jail/cpu.max.burst'

# profiles/build-jail.yaml:38:10: pids max 1024
echo '1024' > '/sys/fs/cgroup/nsplan/build-jail/pids.max'

# profiles/build-jail.yaml:41:13: io weight 50
echo 'default 50' > '/sys/fs/cgroup/nsplan/build-jail/io.weight'

# profiles/build-jail.yaml:44:5: devices: none but c 1:3 rwm, c 1:5 rwm, c 1:7 rwm, c 1:8 rwm, c 1:9 rwm, c 5:0 rwm, c 5:2 rwm, c 136:* rwm
#   v2 has no devices files: apply attaches a BPF_PROG_TYPE_CGROUP_DEVICE program to the cgroup, as runc, crun and systemd do; an ancestor's program still applies.
# NOT IN SH: nsplan apply loads a BPF device program (nsplan_5ca0878c) and attaches it to /sys/fs/cgroup/nsplan/build-jail: no device but c 1:3 rwm, c 1:5 rwm, c 1:7 rwm, c 1:8 rwm, c 1:9 rwm, c 5:0 rwm, c 5:2 rwm, c 136:* rwm

# profiles/build-jail.yaml:77:3: run make
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
# nsplan run: its own init is PID 1 of the new pid namespace (reaps orphans, passes signals on, exits
#   with the command's status, 128+N after signal N) and the command its child; here the command is PID 1
# nsplan run: installs a seccomp filter right before exec (native ABI only, any other kills); sh cannot.
#   deny list: these 34 syscalls fail with EPERM, every other one runs:
#   adjtimex chroot clock_adjtime clock_adjtime64 clock_settime clock_settime64 delete_module
#   finit_module fsconfig fsmount fsopen fspick init_module ioperm iopl kexec_file_load kexec_load
#   mount mount_setattr move_mount open_tree pciconfig_iobase pciconfig_read pciconfig_write
#   pivot_root reboot s390_pci_mmio_read s390_pci_mmio_write settimeofday stime swapoff swapon
#   umount umount2
# nsplan run: if nsplan is killed meanwhile, a guard process still removes the cgroups
{
status=0
sh -c 'echo "$$" > "$1" && shift 1 && exec "$@"' nsplan-join '/sys/fs/cgroup/nsplan/build-jail/cgroup.procs' unshare --ipc --net --uts --pid --mount --propagation=unchanged --fork -- sh -c 'set -eu
ip link set lo up
hostname '\''build-jail'\''
mount --make-rprivate /
mount -t proc -o '\''nosuid,nodev,noexec'\'' '\''proc'\'' '\''/proc'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=1777,size=2147483648'\'' '\''tmpfs'\'' '\''/tmp'\''
mount --rbind '\''/usr'\'' '\''/usr'\''
# nsplan run: one mount_setattr(AT_RECURSIVE) makes '\''/usr'\'' and every mount below it read-only;
#   mount(8) reaches a mount by its path: one hidden under another mount keeps its mode
awk -v t='\''/usr'\'' '\''{ p = $5; gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p); gsub(/\\134/, "\\", p); if (t == "/" || p == t || index(p, t "/") == 1) print $1 " " p }'\'' /proc/self/mountinfo |
  while IFS= read -r line; do id=${line%% *} m=${line#* } at=
    if [ -d "$m" ] || [ -f "$m" ]; then
      at=$( { awk '\''/^mnt_id:/ { print $2 }'\'' /proc/self/fdinfo/3; } 3< "$m" 2> /dev/null) || at=$id
    elif [ -e "$m" ]; then at=$id; fi
    if [ "$at" = "$id" ]; then mount -o remount,bind,ro "$m"; fi
  done
mount --rbind '\''/etc'\'' '\''/etc'\''
# nsplan run: one mount_setattr(AT_RECURSIVE) makes '\''/etc'\'' and every mount below it read-only;
#   mount(8) reaches a mount by its path: one hidden under another mount keeps its mode
awk -v t='\''/etc'\'' '\''{ p = $5; gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p); gsub(/\\134/, "\\", p); if (t == "/" || p == t || index(p, t "/") == 1) print $1 " " p }'\'' /proc/self/mountinfo |
  while IFS= read -r line; do id=${line%% *} m=${line#* } at=
    if [ -d "$m" ] || [ -f "$m" ]; then
      at=$( { awk '\''/^mnt_id:/ { print $2 }'\'' /proc/self/fdinfo/3; } 3< "$m" 2> /dev/null) || at=$id
    elif [ -e "$m" ]; then at=$id; fi
    if [ "$at" = "$id" ]; then mount -o remount,bind,ro "$m"; fi
  done
prlimit --pid "$$" --core=0:0
prlimit --pid "$$" --nofile=4096:65536
prlimit --pid "$$" --nproc=4096:4096
cd '\''/srv/build/src'\''
umask 0022
renice -n 10 -p "$$" > /dev/null
ionice -c 3 -p "$$"
exec setpriv --clear-groups --regid=1000 --reuid=1000 --no-new-privs --bounding-set=-all --inh-caps=-all --ambient-caps=-all -- env '\''LANG=C.UTF-8'\'' '\''TMPDIR=/tmp'\'' '\''SOURCE_DATE_EPOCH=1700000000'\'' '\''PWD=/srv/build/src'\'' "$@"' nsplan-run 'make' '-j4' || status=$?
set +e

# when the command ends: the ephemeral cgroups go
# destroy: rmdir /sys/fs/cgroup/nsplan/build-jail
rmdir '/sys/fs/cgroup/nsplan/build-jail' || [ -z "$(cat '/sys/fs/cgroup/nsplan/build-jail/cgroup.procs')" ]

# destroy: rmdir /sys/fs/cgroup/nsplan
rmdir '/sys/fs/cgroup/nsplan' || [ -z "$(cat '/sys/fs/cgroup/nsplan/cgroup.procs')" ]

# destroy: disable -cpu -io -memory -pids in /sys/fs/cgroup
if grep -qx 'nr_descendants 0' '/sys/fs/cgroup/cgroup.stat'; then printf '%s\n' '-cpu -io -memory -pids' > '/sys/fs/cgroup/cgroup.subtree_control'; fi
exit "$status"
}
