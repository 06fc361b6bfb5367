#!/bin/sh
# nsplan explain: profile 'every-cgroup-key' from tests/golden/cases/every-cgroup-key.yaml
# target: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
# warning: tests/golden/cases/every-cgroup-key.yaml:7:51: memory high has no cgroup v1 equivalent; it is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:7:62: memory low has no cgroup v1 equivalent; it is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:7:72: memory min has no cgroup v1 equivalent; it is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:7:88: memory oom_group has no cgroup v1 equivalent; it is not applied
# warning: tests/golden/cases/every-cgroup-key.yaml:8:39: cgroup v1 has no zswap limit; memory zswap_max is not applied
set -eu

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (memory)
mkdir -p '/sys/fs/cgroup/memory/keys'
mkdir -p '/sys/fs/cgroup/memory/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/memory/keys/all'
chmod 0775 '/sys/fs/cgroup/memory/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/memory/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/memory/keys/all/tasks' '/sys/fs/cgroup/memory/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/memory/keys/all/tasks' '/sys/fs/cgroup/memory/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:7:17: memory max 1G
echo '1073741824' > '/sys/fs/cgroup/memory/keys/all/memory.limit_in_bytes'

# tests/golden/cases/every-cgroup-key.yaml:7:27: memory swap 256M: memsw = max + swap = 1280M
#   memsw counts RAM and swap together; it is written after limit_in_bytes because the kernel
#   keeps limit <= memsw at every write.
echo '1342177280' > '/sys/fs/cgroup/memory/keys/all/memory.memsw.limit_in_bytes'

# tests/golden/cases/every-cgroup-key.yaml:7:39: memory soft 512M
echo '536870912' > '/sys/fs/cgroup/memory/keys/all/memory.soft_limit_in_bytes'

# tests/golden/cases/every-cgroup-key.yaml:8:24: memory swappiness 30
#   Linux before 5.8 takes 0..100 here.
echo '30' > '/sys/fs/cgroup/memory/keys/all/memory.swappiness'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (cpu)
mkdir -p '/sys/fs/cgroup/cpu/keys'

# tests/golden/cases/every-cgroup-key.yaml:10:55: cpu rt_runtime 10000 us of 1000000 for the children of /sys/fs/cgroup/cpu/keys
echo '1000000' > '/sys/fs/cgroup/cpu/keys/cpu.rt_period_us'
echo '10000' > '/sys/fs/cgroup/cpu/keys/cpu.rt_runtime_us'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (cpu)
mkdir -p '/sys/fs/cgroup/cpu/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/cpu/keys/all'
chmod 0775 '/sys/fs/cgroup/cpu/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/cpu/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/cpu/keys/all/tasks' '/sys/fs/cgroup/cpu/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/cpu/keys/all/tasks' '/sys/fs/cgroup/cpu/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:9:30: cpu shares 768
echo '768' > '/sys/fs/cgroup/cpu/keys/all/cpu.shares'

# tests/golden/cases/every-cgroup-key.yaml:9:40: cpu max 75000/50000 us
echo '50000' > '/sys/fs/cgroup/cpu/keys/all/cpu.cfs_period_us'
echo '75000' > '/sys/fs/cgroup/cpu/keys/all/cpu.cfs_quota_us'

# tests/golden/cases/every-cgroup-key.yaml:9:70: cpu burst 10000 us
#   written after the quota: the kernel keeps burst <= quota.
echo '10000' > '/sys/fs/cgroup/cpu/keys/all/cpu.cfs_burst_us'

# tests/golden/cases/every-cgroup-key.yaml:9:83: cpu idle false
echo '0' > '/sys/fs/cgroup/cpu/keys/all/cpu.idle'

# tests/golden/cases/every-cgroup-key.yaml:10:21: cpu uclamp_min 10.00
echo '10.00' > '/sys/fs/cgroup/cpu/keys/all/cpu.uclamp.min'

# tests/golden/cases/every-cgroup-key.yaml:10:37: cpu uclamp_max 90.50
echo '90.50' > '/sys/fs/cgroup/cpu/keys/all/cpu.uclamp.max'

# tests/golden/cases/every-cgroup-key.yaml:10:73: cpu rt_period 1000000 us
echo '1000000' > '/sys/fs/cgroup/cpu/keys/all/cpu.rt_period_us'

# tests/golden/cases/every-cgroup-key.yaml:10:55: cpu rt_runtime 10000 us of 1000000 (1% of a CPU)
#   real-time tasks of the group may run this long in each period; the kernel refuses it unless the parent's
#   share covers it (ancestors nsplan makes get the same period and runtime first). Undo sets 0 before the rmdir.
echo '10000' > '/sys/fs/cgroup/cpu/keys/all/cpu.rt_runtime_us'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (cpuset)
mkdir -p '/sys/fs/cgroup/cpuset/keys'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup v1 cpuset: inherit cpuset.cpus
#   a new v1 cpuset starts empty; it takes its parent's value so tasks can join.
cat '/sys/fs/cgroup/cpuset/cpuset.cpus' > '/sys/fs/cgroup/cpuset/keys/cpuset.cpus'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup v1 cpuset: inherit cpuset.mems
#   a new v1 cpuset starts empty; it takes its parent's value so tasks can join.
cat '/sys/fs/cgroup/cpuset/cpuset.mems' > '/sys/fs/cgroup/cpuset/keys/cpuset.mems'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (cpuset)
mkdir -p '/sys/fs/cgroup/cpuset/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/cpuset/keys/all'
chmod 0775 '/sys/fs/cgroup/cpuset/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/cpuset/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/cpuset/keys/all/tasks' '/sys/fs/cgroup/cpuset/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/cpuset/keys/all/tasks' '/sys/fs/cgroup/cpuset/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:11:18: cpuset cpus 0-1
#   not checked against the online CPUs of the target: nsplan knows them only on the host it runs on.
echo '0-1' > '/sys/fs/cgroup/cpuset/keys/all/cpuset.cpus'

# tests/golden/cases/every-cgroup-key.yaml:11:31: cpuset mems 0
#   not checked against the memory nodes of the target: nsplan knows them only on the host it runs on.
echo '0' > '/sys/fs/cgroup/cpuset/keys/all/cpuset.mems'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (pids)
mkdir -p '/sys/fs/cgroup/pids/keys'
mkdir -p '/sys/fs/cgroup/pids/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/pids/keys/all'
chmod 0775 '/sys/fs/cgroup/pids/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/pids/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/pids/keys/all/tasks' '/sys/fs/cgroup/pids/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/pids/keys/all/tasks' '/sys/fs/cgroup/pids/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:12:15: pids max 300
echo '300' > '/sys/fs/cgroup/pids/keys/all/pids.max'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (blkio)
mkdir -p '/sys/fs/cgroup/blkio/keys'
mkdir -p '/sys/fs/cgroup/blkio/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/blkio/keys/all'
chmod 0775 '/sys/fs/cgroup/blkio/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/blkio/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/blkio/keys/all/tasks' '/sys/fs/cgroup/blkio/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/blkio/keys/all/tasks' '/sys/fs/cgroup/blkio/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:14:13: io weight 300
#   blkio.bfq.weight takes io.weight unchanged up to 1000: both default to 100, so ratios to siblings stay.
echo '300' > '/sys/fs/cgroup/blkio/keys/all/blkio.bfq.weight'

# tests/golden/cases/every-cgroup-key.yaml:16:47: io weight 700 on 8:16
echo '8:16 700' > '/sys/fs/cgroup/blkio/keys/all/blkio.bfq.weight_device'

# tests/golden/cases/every-cgroup-key.yaml:15:37: io limits of 8:0
echo '8:0 20971520' > '/sys/fs/cgroup/blkio/keys/all/blkio.throttle.read_bps_device'

# tests/golden/cases/every-cgroup-key.yaml:15:48: io limits of 8:0
echo '8:0 0' > '/sys/fs/cgroup/blkio/keys/all/blkio.throttle.write_bps_device'

# tests/golden/cases/every-cgroup-key.yaml:15:60: io limits of 8:0
echo '8:0 500' > '/sys/fs/cgroup/blkio/keys/all/blkio.throttle.read_iops_device'

# tests/golden/cases/every-cgroup-key.yaml:15:72: io limits of 8:0
echo '8:0 400' > '/sys/fs/cgroup/blkio/keys/all/blkio.throttle.write_iops_device'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (hugetlb)
mkdir -p '/sys/fs/cgroup/hugetlb/keys'
mkdir -p '/sys/fs/cgroup/hugetlb/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/hugetlb/keys/all'
chmod 0775 '/sys/fs/cgroup/hugetlb/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/hugetlb/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/hugetlb/keys/all/tasks' '/sys/fs/cgroup/hugetlb/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/hugetlb/keys/all/tasks' '/sys/fs/cgroup/hugetlb/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:17:29: hugetlb 2M max 64M
#   page size not checked against the target: nsplan knows its huge page sizes only on the host it runs on.
echo '67108864' > '/sys/fs/cgroup/hugetlb/keys/all/hugetlb.2MB.limit_in_bytes'

# tests/golden/cases/every-cgroup-key.yaml:17:44: hugetlb 2M reserved max
#   page size not checked against the target: nsplan knows its huge page sizes only on the host it runs on.
printf '%s\n' '-1' > '/sys/fs/cgroup/hugetlb/keys/all/hugetlb.2MB.rsvd.limit_in_bytes'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (misc)
mkdir -p '/sys/fs/cgroup/misc/keys'
mkdir -p '/sys/fs/cgroup/misc/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/misc/keys/all'
chmod 0775 '/sys/fs/cgroup/misc/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/misc/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/misc/keys/all/tasks' '/sys/fs/cgroup/misc/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/misc/keys/all/tasks' '/sys/fs/cgroup/misc/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:20:15: misc sev max 4
echo 'sev 4' > '/sys/fs/cgroup/misc/keys/all/misc.max'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (rdma)
mkdir -p '/sys/fs/cgroup/rdma/keys'
mkdir -p '/sys/fs/cgroup/rdma/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/rdma/keys/all'
chmod 0775 '/sys/fs/cgroup/rdma/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/rdma/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/rdma/keys/all/tasks' '/sys/fs/cgroup/rdma/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/rdma/keys/all/tasks' '/sys/fs/cgroup/rdma/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:21:10: rdma mlx4_0 hca_handle=2 hca_object=max
echo 'mlx4_0 hca_handle=2 hca_object=max' > '/sys/fs/cgroup/rdma/keys/all/rdma.max'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (net_cls)
mkdir -p '/sys/fs/cgroup/net_cls/keys'
mkdir -p '/sys/fs/cgroup/net_cls/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/net_cls/keys/all'
chmod 0775 '/sys/fs/cgroup/net_cls/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/net_cls/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/net_cls/keys/all/tasks' '/sys/fs/cgroup/net_cls/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/net_cls/keys/all/tasks' '/sys/fs/cgroup/net_cls/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:18:22: net_cls classid 1:10
#   the kernel keeps MAJOR:MINOR as one number, MAJOR << 16 | MINOR.
echo '65552' > '/sys/fs/cgroup/net_cls/keys/all/net_cls.classid'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (net_prio)
mkdir -p '/sys/fs/cgroup/net_prio/keys'
mkdir -p '/sys/fs/cgroup/net_prio/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/net_prio/keys/all'
chmod 0775 '/sys/fs/cgroup/net_prio/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/net_prio/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/net_prio/keys/all/tasks' '/sys/fs/cgroup/net_prio/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/net_prio/keys/all/tasks' '/sys/fs/cgroup/net_prio/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:19:32: net_prio eth0 2
#   for eth0 of the network namespace nsplan runs in (the kernel looks the name up there).
echo 'eth0 2' > '/sys/fs/cgroup/net_prio/keys/all/net_prio.ifpriomap'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (freezer)
mkdir -p '/sys/fs/cgroup/freezer/keys'
mkdir -p '/sys/fs/cgroup/freezer/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/freezer/keys/all'
chmod 0775 '/sys/fs/cgroup/freezer/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/freezer/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/freezer/keys/all/tasks' '/sys/fs/cgroup/freezer/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/freezer/keys/all/tasks' '/sys/fs/cgroup/freezer/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (cpuacct)
mkdir -p '/sys/fs/cgroup/cpuacct/keys'
mkdir -p '/sys/fs/cgroup/cpuacct/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/cpuacct/keys/all'
chmod 0775 '/sys/fs/cgroup/cpuacct/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/cpuacct/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/cpuacct/keys/all/tasks' '/sys/fs/cgroup/cpuacct/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/cpuacct/keys/all/tasks' '/sys/fs/cgroup/cpuacct/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (perf_event)
mkdir -p '/sys/fs/cgroup/perf_event/keys'
mkdir -p '/sys/fs/cgroup/perf_event/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/perf_event/keys/all'
chmod 0775 '/sys/fs/cgroup/perf_event/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/perf_event/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/perf_event/keys/all/tasks' '/sys/fs/cgroup/perf_event/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/perf_event/keys/all/tasks' '/sys/fs/cgroup/perf_event/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:6:9: cgroup keys/all (devices)
mkdir -p '/sys/fs/cgroup/devices/keys'
mkdir -p '/sys/fs/cgroup/devices/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup: root:100 mode 0775
chown root:100 '/sys/fs/cgroup/devices/keys/all'
chmod 0775 '/sys/fs/cgroup/devices/keys/all'

# tests/golden/cases/every-cgroup-key.yaml:27:12: admin of the cgroup's files: root:100 mode 0644
#   every file of the cgroup, limits included: the admin may change them.
find '/sys/fs/cgroup/devices/keys/all' -maxdepth 1 -type f ! -name 'tasks' ! -name 'cgroup.procs' -exec chown root:100 {} + -exec chmod 0644 {} +

# tests/golden/cases/every-cgroup-key.yaml:26:12: who may add processes: 1000:users mode 0664
chown 1000:users '/sys/fs/cgroup/devices/keys/all/tasks' '/sys/fs/cgroup/devices/keys/all/cgroup.procs'
chmod 0664 '/sys/fs/cgroup/devices/keys/all/tasks' '/sys/fs/cgroup/devices/keys/all/cgroup.procs'

# tests/golden/cases/every-cgroup-key.yaml:23:5: devices: none but c 1:3 rwm, c 1:5 r, b 10:* rwm, c 10:* rwm
#   v1: "a" to devices.deny first, then one rule per write; a child cgroup can allow no more than its parent.
echo 'a' > '/sys/fs/cgroup/devices/keys/all/devices.deny'
echo 'c 1:3 rwm' > '/sys/fs/cgroup/devices/keys/all/devices.allow'
echo 'c 1:5 r' > '/sys/fs/cgroup/devices/keys/all/devices.allow'
echo 'b 10:* rwm' > '/sys/fs/cgroup/devices/keys/all/devices.allow'
echo 'c 10:* rwm' > '/sys/fs/cgroup/devices/keys/all/devices.allow'
