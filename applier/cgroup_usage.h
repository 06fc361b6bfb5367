// What a profile's cgroups use now, next to their limits: memory (current, peak, swap), OOM kills
// and limit hits, CPU time and throttling, tasks, I/O per device, frozen or not. Read from the
// kernel's statistics files of each hierarchy (v2: memory.current, memory.events, cpu.stat,
// pids.current, io.stat, hugetlb.<size>.current and .events, cgroup.events; v1:
// memory.usage_in_bytes, memory.oom_control, cpuacct.usage, pids.current,
// blkio.throttle.io_service_bytes, hugetlb.<size>.usage_in_bytes and .failcnt, freezer.state).
// A file the
// kernel does not have (an older kernel, a hierarchy the profile is not in) leaves its field
// unknown, never zero.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "applier/kernel.h"

namespace nsplan::applier {

struct CgroupUsage {
  std::optional<uint64_t> processes;
  std::optional<uint64_t> memory_bytes, memory_peak_bytes, swap_bytes;
  std::optional<uint64_t> oom_kills;        // processes the OOM killer ended in the group
  std::optional<uint64_t> memory_max_hits;  // v2 memory.events max; v1 memory.failcnt
  std::optional<uint64_t> cpu_usec, throttled_usec, throttled_periods;
  std::optional<uint64_t> pids, pids_max_hits;
  std::optional<bool> frozen;
  struct Io {
    std::string device;  // MAJ:MIN
    uint64_t read_bytes = 0, written_bytes = 0, reads = 0, writes = 0;
  };
  std::vector<Io> io;      // the devices with any traffic
  bool io_known = false;   // an I/O statistics file was read (no traffic is then zero, not unknown)
  struct Hugetlb {
    std::string page;  // the kernel's name of the page size: "2MB", "1GB"
    uint64_t bytes = 0;
    std::optional<uint64_t> max_hits;  // v2 hugetlb.<size>.events max; v1 hugetlb.<size>.failcnt
  };
  std::vector<Hugetlb> hugetlb;  // per huge page size of the host, where the profile is in hugetlb
  bool any() const;
};

// "key value" lines (cgroup.events, memory.events, cpu.stat, pids.events) as numbers by key;
// lines whose value is not a number are left out.
std::map<std::string, uint64_t> key_numbers(const std::string& text);

// DIRS: the profile's leaf cgroup in each hierarchy (plan.cgroup_dirs).
CgroupUsage read_usage(Kernel& kernel, const HostFacts& facts, const std::vector<std::string>& dirs);

// Only the OOM kill count (for run, which reads it before and after the command).
std::optional<uint64_t> oom_kills(Kernel& kernel, const HostFacts& facts, const std::vector<std::string>& dirs);

nlohmann::ordered_json usage_json(const CgroupUsage& u);
// "memory  312M now, 1.2G at most; 2 OOM kills", one line per resource, for status.
std::vector<std::string> usage_lines(const CgroupUsage& u);
// "312M", "1.2G", "512": a byte count in whole binary units, one decimal below 10.
std::string short_bytes(uint64_t bytes);

}  // namespace nsplan::applier
