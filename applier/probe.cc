#include "applier/probe.h"

#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "compiler/cgroup_files.h"
#include "compiler/units.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

namespace nsplan::applier {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_cgroup2(const std::string& path) {
  struct statfs s {};
  return statfs(path.c_str(), &s) == 0 && s.f_type == static_cast<decltype(s.f_type)>(CGROUP2_SUPER_MAGIC);
}

// mountinfo escapes spaces and such as \040.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        if (i + k >= s.size() || s[i + k] < '0' || s[i + k] > '7') { octal = false; break; }
        v = v * 8 + (s[i + k] - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// v1 controller -> mount point, from the cgroup mounts under root.
void read_v1_mounts(const std::string& root, HostFacts& f) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, devno, subroot, mountpoint;
    pre >> id >> parent >> devno >> subroot >> mountpoint;
    std::string fstype, source, super;
    post >> fstype >> source >> super;
    if (fstype != "cgroup") continue;
    mountpoint = unescape(mountpoint);
    if (mountpoint.rfind(root + "/", 0) != 0) continue;
    std::stringstream opts(super);
    std::string opt;
    while (std::getline(opts, opt, ',')) {
      // A named hierarchy (name=systemd) holds no controller; profiles may join it by that name.
      if (opt.rfind("name=", 0) == 0) {
        f.v1_mounts.emplace(opt, mountpoint);
        f.controllers.insert(opt);
        continue;
      }
      if (opt == "rw" || opt == "ro" || opt.find('=') != std::string::npos) continue;
      // Co-mounted controllers ("cpu,cpuacct") share one mount point; keep the first seen.
      f.v1_mounts.emplace(opt, mountpoint);
      f.controllers.insert(opt);
    }
  }
}

// A kernel list file ("0-3,5\n") as a normalised list; nothing when it cannot be read or parsed.
std::optional<std::string> list_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  if (line.empty()) return std::string();  // an empty set, as "has_memory" can be
  auto list = units::parse_cpu_list(line);
  if (!list) return std::nullopt;
  return list.value();
}

// What cpuset lists may name here. A kernel without NUMA has no node directory, and one node: 0.
void read_cpuset_facts(HostFacts& f) {
  f.online_cpus = list_file("/sys/devices/system/cpu/online");
  if (!f.online_cpus) return;  // no sysfs to read: neither is known
  if (exists("/sys/devices/system/node")) f.memory_nodes = list_file("/sys/devices/system/node/has_memory");
  else f.memory_nodes = "0";
}

// The huge page sizes of this kernel: a directory hugepages-<N>kB for each. None when the kernel
// has no hugetlbfs (no directory).
void read_huge_page_sizes(HostFacts& f) {
  std::vector<uint64_t> sizes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("hugepages-", 0) != 0 || name.size() < 13 || name.compare(name.size() - 2, 2, "kB") != 0) continue;
    std::string kb = name.substr(10, name.size() - 12);
    if (kb.empty() || kb.find_first_not_of("0123456789") != std::string::npos || kb.size() > 12) continue;
    sizes.push_back(std::stoull(kb) * 1024);
  }
  std::sort(sizes.begin(), sizes.end());
  f.huge_page_sizes = sizes;
}

// RAM in bytes, from /proc/meminfo's "MemTotal:  24683744 kB"; nothing when unreadable.
void read_memory_total(HostFacts& f) {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  uint64_t kb = 0;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:" && unit == "kB") {
      f.memory_total = kb * 1024;
      return;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
}

// Which files of the table that a kernel may lack (uclamp, idle, burst, zswap) this host has. A
// file the root lacks by design (CFTYPE_NOT_ON_ROOT) is looked for in a child cgroup that has
// the controller (its first file in the table that every kernel has); without one it stays
// unknown, and a missing file is reported when apply writes it.
void read_kernel_files(HostFacts& f) {
  const auto h = f.mode == CgroupMode::V2 ? cgroup_files::Hierarchy::V2 : cgroup_files::Hierarchy::V1;
  for (const cgroup_files::File* row : cgroup_files::optional_files(h)) {
    const std::string controller = row->controller;
    if (!f.controllers.count(controller)) continue;
    const bool uclamp = row->setting == cgroup_files::Setting::CpuUclampMin || row->setting == cgroup_files::Setting::CpuUclampMax;
    if (uclamp && !exists("/proc/sys/kernel/sched_util_clamp_min")) {
      // Group clamps build on per-task ones (CONFIG_UCLAMP_TASK), which show this sysctl.
      f.kernel_files[row->name] = false;
      continue;
    }
    const std::string base = f.hierarchy_of(controller);
    if (row->on_root && f.mode == CgroupMode::V1) {
      f.kernel_files[row->name] = exists(base + "/" + row->name);
      continue;
    }
    const cgroup_files::File* marker = nullptr;
    for (const auto& other : cgroup_files::all())
      if (other.hierarchy == h && !other.needs && controller == other.controller) {
        marker = &other;
        break;
      }
    if (!marker) continue;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      const std::string dir = entry.path().string();
      if (!entry.is_directory(ec) || !exists(dir + "/" + cgroup_files::file_name(*marker, 2u << 20))) continue;
      f.kernel_files[row->name] = exists(dir + "/" + row->name);
      break;
    }
  }
}

// The misc resources the root offers (misc.capacity: "sev 509") and the RDMA devices; each only
// where its controller is there to limit them.
void read_misc_and_rdma(HostFacts& f) {
  if (f.controllers.count("misc")) {
    std::map<std::string, uint64_t> capacity;
    std::istringstream in(read_all(f.hierarchy_of("misc") + "/misc.capacity"));
    std::string name;
    uint64_t n = 0;
    while (in >> name >> n) capacity[name] = n;
    f.misc_capacity = capacity;
  }
  if (f.controllers.count("rdma")) {
    std::vector<std::string> devices;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/sys/class/infiniband", ec)) devices.push_back(entry.path().filename().string());
    std::sort(devices.begin(), devices.end());
    f.rdma_devices = devices;
  }
}

void probe_caller(HostFacts& f) {
  f.caller_root = ::geteuid() == 0;
  f.caller_may_set_groups = false;
  if (cap_t now = cap_get_proc()) {
    cap_flag_value_t setgid = CAP_CLEAR;
    cap_get_flag(now, CAP_SETGID, CAP_EFFECTIVE, &setgid);
    f.caller_may_set_groups = setgid == CAP_SET;
    cap_free(now);
  }
}

}  // namespace

std::optional<std::string> whole_disk_number(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return std::nullopt;
  std::string majmin = std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  // Partitions cannot be throttled (ENODEV); only whole disks are offered.
  if (exists("/sys/dev/block/" + majmin + "/partition")) return std::nullopt;
  return majmin;
}

std::optional<HostFacts::RtBandwidth> rt_bandwidth_of(const std::string& dir) {
  std::ifstream runtime(dir + "/cpu.rt_runtime_us"), period(dir + "/cpu.rt_period_us");
  HostFacts::RtBandwidth b;
  if (!(runtime >> b.runtime_us) || !(period >> b.period_us) || b.period_us == 0) return std::nullopt;
  return b;
}

ProbeResult probe_host(const std::string& root) {
  ProbeResult r;
  HostFacts& f = r.facts;
  f.cgroup_root = root;
  f.probed = true;
  probe_caller(f);
  struct statfs s {};
  if (statfs(root.c_str(), &s) != 0) {
    r.error = "cannot inspect " + root + ": " + std::strerror(errno);
    return r;
  }
  if (s.f_type == static_cast<decltype(s.f_type)>(CGROUP2_SUPER_MAGIC)) {
    f.mode = CgroupMode::V2;
    std::stringstream ctl(read_all(root + "/cgroup.controllers"));
    std::string c;
    while (ctl >> c) f.controllers.insert(c);
    // The root has no memory.swap.max; a child tells whether swap accounting is compiled in.
    bool any_child = false, swap = false;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (!entry.is_directory(ec)) continue;
      if (!exists(entry.path().string() + "/memory.max")) continue;
      any_child = true;
      swap = exists(entry.path().string() + "/memory.swap.max");
      break;
    }
    f.swap_accounting = any_child ? swap : true;
    // systemd as PID 1 (sd_booted(3): /run/systemd/system is a directory) owns the tree it
    // mounted at /sys/fs/cgroup; another cgroup2 mount (--cgroup-root) is not its.
    struct stat booted {};
    f.systemd = root == "/sys/fs/cgroup" && lstat("/run/systemd/system", &booted) == 0 && S_ISDIR(booted.st_mode);
  } else if (s.f_type == static_cast<decltype(s.f_type)>(TMPFS_MAGIC)) {
    f.mode = CgroupMode::V1;
    f.hybrid = is_cgroup2(root + "/unified");
    read_v1_mounts(root, f);
    if (f.v1_mounts.empty()) {
      r.error = root + " holds no cgroup v1 controller mounts";
      return r;
    }
    f.swap_accounting = exists(f.hierarchy_of("memory") + "/memory.memsw.limit_in_bytes");
    std::string blkio = f.hierarchy_of("blkio");
    // BFQ shows blkio.bfq.weight only below the root (CFTYPE_NOT_ON_ROOT); its statistics files
    // are on the root too and tell that BFQ's cgroup support is there.
    f.v1_io_weight_file = exists(blkio + "/blkio.bfq.io_service_bytes") ? "blkio.bfq.weight"
                          : exists(blkio + "/blkio.weight") ? "blkio.weight" : "";
  } else {
    r.error = root + " is neither a cgroup2 mount nor a tmpfs of cgroup v1 mounts";
    return r;
  }
  f.block_device_number = whole_disk_number;
  if (f.mode == CgroupMode::V1) f.rt_bandwidth = rt_bandwidth_of;
  read_cpuset_facts(f);
  read_huge_page_sizes(f);
  read_misc_and_rdma(f);
  read_memory_total(f);
  read_kernel_files(f);
  r.ok = true;
  return r;
}

}  // namespace nsplan::applier
