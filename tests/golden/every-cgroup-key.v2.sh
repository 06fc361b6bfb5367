#!/bin/sh
# nsplan explain: profile 'every-cgroup-key' from tests/golden/cases/every-cgroup-key.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
# warning: tests/golden/cases/every-cgroup-key.yaml:7:39: memory soft is not applied on cgroup v2: low is given too, and both become memory.low
# warning: tests/golden/cases/every-cgroup-key.yaml:8:24: cgroup v2 has no per-cgroup swappiness; memory swappiness is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:10:55: cgroup v2 has no real-time group scheduling; cpu rt_runtime 10000 us is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:10:73: cgroup v2 has no real-time group scheduling; cpu rt_period 1000000 us is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:18:22: net_cls has no cgroup v2 equivalent; classid 1:10 is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:19:32: net_prio has no cgroup v2 equivalent; the priority of eth0 is not applied
set -eu

# tests/golden/cases/every-cgroup-key.yaml:6:9: enable cpuset cpu io memory hugetlb pids rdma misc for the children of /sys/fs/cgroup
#   v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control.
echo '+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc' > '/sys/fs/cgroup/cgroup.subtree_control'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all
mkdir -p '/sys/fs/cgroup/keys'

# tests/golden/cases/every-cgroup-key.yaml:6:9: enable cpuset cpu io memory hugetlb pids rdma misc for the children of /sys/fs/cgroup/keys
echo '+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc' > '/sys/fs/cgroup/keys/cgroup.subtree_control'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all
mkdir -p '/sys/fs/cgroup/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/keys/all'
chmod 0775 '/sys/fs/cgroup/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/keys/all' -maxdepth 1 -type f ! -name 'cgroup.procs' ! -name 'cgroup.threads' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
#   v2 moves a process only for a writer who may also write cgroup.procs of the common ancestor of its old and new cgroup (cgroups(7), "Delegation containment").
chown 1000:users '/sys/fs/cgroup/keys/all/cgroup.procs' '/sys/fs/cgroup/keys/all/cgroup.threads'
chmod 0664 '/sys/fs/cgroup/keys/all/cgroup.procs' '/sys/fs/cgroup/keys/all/cgroup.threads'

# tests/golden/cases/every-cgroup-key.yaml:7:17: memory max 1G
echo '1073741824' > '/sys/fs/cgroup/keys/all/memory.max'

# tests/golden/cases/every-cgroup-key.yaml:7:27: memory swap 256M
#   v2 caps swap alone at 256M. On v1 the same profile sets memsw = max + swap = 1280M, which counts RAM and swap together:
#   there, swap may grow beyond 256M while less RAM is in use.
echo '268435456' > '/sys/fs/cgroup/keys/all/memory.swap.max'

# tests/golden/cases/every-cgroup-key.yaml:7:62: memory low 64M
echo '67108864' > '/sys/fs/cgroup/keys/all/memory.low'

# tests/golden/cases/every-cgroup-key.yaml:7:51: memory high 900M
echo '943718400' > '/sys/fs/cgroup/keys/all/memory.high'

# tests/golden/cases/every-cgroup-key.yaml:7:72: memory min 32M
echo '33554432' > '/sys/fs/cgroup/keys/all/memory.min'

# tests/golden/cases/every-cgroup-key.yaml:7:88: memory oom_group true
echo '1' > '/sys/fs/cgroup/keys/all/memory.oom.group'

# tests/golden/cases/every-cgroup-key.yaml:8:39: memory zswap_max 64M
echo '67108864' > '/sys/fs/cgroup/keys/all/memory.zswap.max'

# tests/golden/cases/every-cgroup-key.yaml:9:17: cpu weight 200
echo '200' > '/sys/fs/cgroup/keys/all/cpu.weight'

# tests/golden/cases/every-cgroup-key.yaml:9:40: cpu max 75000/50000 us
echo '75000 50000' > '/sys/fs/cgroup/keys/all/cpu.max'

# tests/golden/cases/every-cgroup-key.yaml:9:70: cpu burst 10000 us
#   written after the quota: the kernel keeps burst <= quota.
echo '10000' > '/sys/fs/cgroup/keys/all/cpu.max.burst'

# tests/golden/cases/every-cgroup-key.yaml:9:83: cpu idle false
echo '0' > '/sys/fs/cgroup/keys/all/cpu.idle'

# tests/golden/cases/every-cgroup-key.yaml:10:21: cpu uclamp_min 10.00
echo '10.00' > '/sys/fs/cgroup/keys/all/cpu.uclamp.min'

# tests/golden/cases/every-cgroup-key.yaml:10:37: cpu uclamp_max 90.50
echo '90.50' > '/sys/fs/cgroup/keys/all/cpu.uclamp.max'

# tests/golden/cases/every-cgroup-key.yaml:11:18: cpuset cpus 0-1
#   not checked against the online CPUs of the target: nsplan knows them only on the host it runs on.
echo '0-1' > '/sys/fs/cgroup/keys/all/cpuset.cpus'

# tests/golden/cases/every-cgroup-key.yaml:11:31: cpuset mems 0
#   not checked against the memory nodes of the target: nsplan knows them only on the host it runs on.
echo '0' > '/sys/fs/cgroup/keys/all/cpuset.mems'

# tests/golden/cases/every-cgroup-key.yaml:12:15: pids max 300
echo '300' > '/sys/fs/cgroup/keys/all/pids.max'

# tests/golden/cases/every-cgroup-key.yaml:14:13: io weight 300
echo 'default 300' > '/sys/fs/cgroup/keys/all/io.weight'

# tests/golden/cases/every-cgroup-key.yaml:16:47: io weight 700 on 8:16
#   the kernel takes a device's line only once iocost is enabled on that disk (io.cost.qos of the root).
echo '8:16 700' > '/sys/fs/cgroup/keys/all/io.weight'

# tests/golden/cases/every-cgroup-key.yaml:15:15: io limits of 8:0
echo '8:0 rbps=20971520 wbps=max riops=500 wiops=400' > '/sys/fs/cgroup/keys/all/io.max'

# tests/golden/cases/every-cgroup-key.yaml:20:15: misc sev max 4
echo 'sev 4' > '/sys/fs/cgroup/keys/all/misc.max'

# tests/golden/cases/every-cgroup-key.yaml:21:10: rdma mlx4_0 hca_handle=2 hca_object=max
echo 'mlx4_0 hca_handle=2 hca_object=max' > '/sys/fs/cgroup/keys/all/rdma.max'

# tests/golden/cases/every-cgroup-key.yaml:17:29: hugetlb 2M max 64M
#   page size not checked against the target: nsplan knows its huge page sizes only on the host it runs on.
echo '67108864' > '/sys/fs/cgroup/keys/all/hugetlb.2MB.max'

# tests/golden/cases/every-cgroup-key.yaml:17:44: hugetlb 2M reserved max
#   page size not checked against the target: nsplan knows its huge page sizes only on the host it runs on.
echo 'max' > '/sys/fs/cgroup/keys/all/hugetlb.2MB.rsvd.max'

# tests/golden/cases/every-cgroup-key.yaml:23:5: devices: none but c 1:3 rwm, c 1:5 r, b 10:* rwm, c 10:* rwm
#   v2 has no devices files: apply attaches a BPF_PROG_TYPE_CGROUP_DEVICE program to the cgroup, as runc, crun and systemd do; an ancestor's program still applies.
# NOT IN SH: nsplan apply loads a BPF device program (nsplan_1883e54c) and attaches it to /sys/fs/cgroup/keys/all: no device but c 1:3 rwm, c 1:5 r, b 10:* rwm, c 10:* rwm
