// What the planner needs to know about the target machine. `apply` probes it (applier/probe);
// `explain --cgroup v1|v2 [--cgroup-root DIR]` states it, so output for another machine is one
// flag away and golden tests need no kernel.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nsplan {

enum class CgroupMode { V1, V2 };

struct HostFacts {
  CgroupMode mode = CgroupMode::V2;
  bool hybrid = false;  // v1 controllers with an unused cgroup2 beside them (informational)
  // v2: the cgroup2 mount. v1: the directory holding one mount per controller.
  std::string cgroup_root = "/sys/fs/cgroup";
  // v1: controller -> mount point ("memory" -> /sys/fs/cgroup/memory). Filled with defaults
  // under cgroup_root when not probed.
  std::map<std::string, std::string> v1_mounts;
  // v2: controllers the root offers (cgroup.controllers); v1: controllers mounted.
  std::set<std::string> controllers;
  bool swap_accounting = true;      // v1 memory.memsw.* exist; v2 memory.swap.max exists
  std::string v1_io_weight_file = "blkio.bfq.weight";  // "" when the host has none
  std::map<std::string, std::string> block_devices;  // "/dev/vda" -> "254:0", when stated
  // "MAJ:MIN" of a whole disk named by path, asked only for io devices of the profile: a
  // probed host looks at the device node then, rather than listing every disk up front.
  std::function<std::optional<std::string>(const std::string& path)> block_device_number;
  // A cgroup below which every profile's cgroup is placed ("" = the root of each hierarchy):
  // a subtree delegated to nsplan, or the sandbox of a test. It must exist already.
  std::string cgroup_parent;
  // v2: systemd manages the cgroup tree (it runs as PID 1: /run/systemd/system). Then, unless a
  // cgroup_parent is given, a profile's cgroups go below a transient unit systemd delegates to
  // nsplan (plan::DelegatedUnit), and the planner sets cgroup_parent to that unit's cgroup.
  bool systemd = false;
  std::string systemd_unit;  // set by the planner: the profile's unit ("nsplan-NAME.service")
  // What cpuset lists may name (normalised lists such as "0-3"): the online CPUs
  // (/sys/devices/system/cpu/online) and the memory nodes (/sys/devices/system/node/has_memory).
  // Known only when probed; a stated target leaves them unknown and the lists unchecked.
  std::optional<std::string> online_cpus;
  std::optional<std::string> memory_nodes;
  // Huge page sizes in bytes (/sys/kernel/mm/hugepages/hugepages-<N>kB), when probed.
  std::optional<std::vector<uint64_t>> huge_page_sizes;
  // RAM in bytes (/proc/meminfo MemTotal), which memory limits such as "5%" are shares of.
  // Known only when probed.
  std::optional<uint64_t> memory_total;
  // The files of the cgroup file table that a kernel may lack (cgroup_files::File::needs), by
  // name: whether this host has them. A file not listed could not be told (no cgroup of its
  // controller to look in), or the target was stated rather than probed.
  std::map<std::string, bool> kernel_files;
  // Misc resources (misc.capacity of the root: "sev" -> 509) and RDMA devices
  // (/sys/class/infiniband), when probed and the controller is there.
  std::optional<std::map<std::string, uint64_t>> misc_capacity;
  std::optional<std::vector<std::string>> rdma_devices;
  // v1 RT group scheduling of a cpu cgroup (the one profiles are placed below): its
  // cpu.rt_runtime_us (-1: no limit) and cpu.rt_period_us. Asked only for a profile with an
  // rt_runtime, when probed; nothing when the host has no such files.
  struct RtBandwidth {
    int64_t runtime_us = 0;
    uint64_t period_us = 0;
  };
  std::function<std::optional<RtBandwidth>(const std::string& dir)> rt_bandwidth;
  // A probed host may leave the facts above that only cgroup limits are checked against (from
  // online_cpus to rdma_devices) to be read on first use: READ_LIMITS fills them. They are most
  // of the probe's time, and a profile without cgroups never asks (docs/performance.md). Readers
  // of those facts take them from with_limits().
  std::function<void(HostFacts&)> read_limits;
  std::string state_dir = "/run/nsplan";
  // Who runs the plan, as probed (a stated target is root's): what run does depends on it where
  // the kernel treats an unprivileged caller differently, and explain shows the caller's plan.
  bool caller_root = true;            // effective uid 0
  bool caller_may_set_groups = true;  // CAP_SETGID: may drop its supplementary groups
  bool probed = false;  // facts read from this host rather than stated on the command line

  // Facts for a stated target, with the usual layout under `root` (default /sys/fs/cgroup).
  static HostFacts stated(CgroupMode mode, const std::string& root = {});
  // Mount point of a v1 controller (or the v2 root in v2 mode).
  std::string hierarchy_of(const std::string& controller) const;
  // Where profile cgroups start in that hierarchy: its mount, plus cgroup_parent.
  std::string base_of(const std::string& controller) const;
  std::string describe() const;  // one line for explain's header
  // These facts with the limit facts read, if they were still to be read (read_limits).
  HostFacts with_limits() const;
};

const char* to_string(CgroupMode m);

}  // namespace nsplan
