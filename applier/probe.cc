#include "applier/probe.h"

#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>
#include <limits>

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

// A small kernel file (/proc, /sys) whole; empty when it cannot be read. read(2) straight into
// the string: the probe runs on every command, and an ifstream (its buffer and locale) per file
// was most of its time (docs/performance.md).
std::string read_all(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// TEXT's words (separated by spaces), empty words skipped, as mountinfo's fields are.
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) words.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

// TEXT's first line, without its newline.
std::string_view first_line(std::string_view text) { return text.substr(0, text.find('\n')); }

// WORD as a whole number of type T, or nothing (a sign only where T has one).
template <typename T>
std::optional<T> number_of(std::string_view word) {
  T n{};
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return n;
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
  const std::string mountinfo = read_all("/proc/self/mountinfo");
  std::string_view rest = mountinfo;
  while (!rest.empty()) {
    std::string_view line = first_line(rest);
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS"
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto pre = words_of(line.substr(0, dash)), post = words_of(line.substr(dash + 3));
    if (pre.size() < 5 || post.size() < 3 || post[0] != "cgroup") continue;
    std::string mountpoint = unescape(std::string(pre[4]));
    if (mountpoint.rfind(root + "/", 0) != 0) continue;
    std::string_view super = post[2];
    while (!super.empty()) {
      size_t comma = super.find(',');
      std::string opt(super.substr(0, comma));
      super.remove_prefix(comma == std::string_view::npos ? super.size() : comma + 1);
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
  const std::string text = read_all(path);
  if (text.empty()) return std::nullopt;
  const std::string line(first_line(text));
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
  const std::string meminfo = read_all("/proc/meminfo");
  std::string_view rest = meminfo;
  while (!rest.empty()) {
    std::string_view line = first_line(rest);
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    auto words = words_of(line);
    if (words.size() != 3 || words[0] != "MemTotal:" || words[2] != "kB") continue;
    if (auto kb = number_of<uint64_t>(words[1]); kb && *kb <= UINT64_MAX / 1024) f.memory_total = *kb * 1024;
    return;
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
    const std::string text = read_all(f.hierarchy_of("misc") + "/misc.capacity");
    for (std::string_view rest = text; !rest.empty();) {
      std::string_view line = first_line(rest);
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      auto words = words_of(line);
      if (words.size() != 2) continue;
      if (auto n = number_of<uint64_t>(words[1])) capacity[std::string(words[0])] = *n;
    }
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
  // The runtime may be -1: no limit.
  auto runtime = number_of<int64_t>(first_line(read_all(dir + "/cpu.rt_runtime_us")));
  auto period = number_of<uint64_t>(first_line(read_all(dir + "/cpu.rt_period_us")));
  if (!runtime || !period || *period == 0) return std::nullopt;
  return HostFacts::RtBandwidth{*runtime, *period};
}

ProbeResult probe_host(const std::string& root, LimitFacts limits) {
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
    const std::string controllers = read_all(root + "/cgroup.controllers");  // "cpuset cpu io memory\n"
    for (std::string_view c : words_of(first_line(controllers))) f.controllers.emplace(c);
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
  auto read_limits = [](HostFacts& host) {
    read_cpuset_facts(host);
    read_huge_page_sizes(host);
    read_misc_and_rdma(host);
    read_memory_total(host);
    read_kernel_files(host);
  };
  if (limits == LimitFacts::Now) read_limits(f);
  else f.read_limits = read_limits;
  r.ok = true;
  return r;
}

}  // namespace nsplan::applier
