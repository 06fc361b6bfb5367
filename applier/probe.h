// HostFacts read off this machine: cgroup layout (as systemd detects it: statfs of
// /sys/fs/cgroup, then /proc/self/mountinfo), controllers, swap accounting, the online CPUs and
// memory nodes that cpuset lists may name; block devices when asked.
#pragma once
#include <optional>
#include <string>

#include "compiler/host_facts.h"

namespace nsplan::applier {

struct ProbeResult {
  bool ok = false;
  HostFacts facts;
  std::string error;  // why the layout could not be told
};

// When the facts only cgroup limits need (cpuset lists, huge page sizes, RAM, the kernel's
// optional files, misc and RDMA) are read: at once, or by HostFacts::with_limits.
enum class LimitFacts { Now, OnFirstUse };

// `root` is the cgroup mount directory to look at (default /sys/fs/cgroup).
ProbeResult probe_host(const std::string& root = "/sys/fs/cgroup", LimitFacts limits = LimitFacts::Now);

// "MAJ:MIN" of the whole disk whose device node is `path` (symlinks followed, as in
// /dev/disk/by-id/...); nothing for a partition or what is not a block device.
std::optional<std::string> whole_disk_number(const std::string& path);
// The RT group scheduling of a v1 cpu cgroup (cpu.rt_runtime_us, cpu.rt_period_us); nothing
// when it has no such files (CONFIG_RT_GROUP_SCHED off) or they cannot be read.
std::optional<HostFacts::RtBandwidth> rt_bandwidth_of(const std::string& dir);

}  // namespace nsplan::applier
