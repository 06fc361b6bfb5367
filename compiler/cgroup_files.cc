#include "compiler/cgroup_files.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <sstream>

#include "compiler/cgroup_limits.h"

namespace nsplan::cgroup_files {
namespace {

using H = Hierarchy;
using S = Setting;
using F = Form;

// What v1 reads back for "no memory limit": PAGE_COUNTER_MAX pages of 4 KiB.
constexpr char kV1NoMemoryLimit[] = "9223372036854771712";

// In write order: the planner sorts a cgroup's writes by their row here, so a row that must
// follow another comes after it (a unit test checks `after` and `keeps_at_least` against it).
// Ranges are the kernel's (compiler/cgroup_limits.h names the code).
constexpr File kFiles[] = {
    // ---- cgroup v2 ----
    {H::V2, "memory", "memory.max", S::MemoryMax, F::MemoryBytes, "max", "max", 0, 0, nullptr, nullptr, false,
     "mm/memcontrol.c memory_max_write"},
    {H::V2, "memory", "memory.swap.max", S::MemorySwap, F::MemoryBytes, "max", "max", 0, 0, nullptr, nullptr, false,
     "mm/memcontrol.c swap_max_write"},
    {H::V2, "memory", "memory.low", S::MemoryLow, F::MemoryBytes, "0", "0", 0, 0, nullptr, nullptr, false,
     "mm/memcontrol.c memory_low_write"},
    {H::V2, "memory", "memory.high", S::MemoryHigh, F::MemoryBytes, "max", "max", 0, 0, nullptr, nullptr, false,
     "mm/memcontrol.c memory_high_write"},
    {H::V2, "memory", "memory.min", S::MemoryMin, F::MemoryBytes, "0", "0", 0, 0, nullptr, nullptr, false,
     "mm/memcontrol.c memory_min_write"},
    {H::V2, "memory", "memory.oom.group", S::MemoryOomGroup, F::Number, "0", "", 0, 1, nullptr, nullptr, false,
     "mm/memcontrol.c memory_oom_group_write"},
    {H::V2, "memory", "memory.zswap.max", S::MemoryZswapMax, F::MemoryBytes, "max", "max", 0, 0, nullptr, nullptr, false,
     "mm/memcontrol.c zswap_max_write", "Linux 5.19, CONFIG_ZSWAP"},
    {H::V2, "cpu", "cpu.weight", S::CpuWeight, F::Number, "100", "", 1, 10000, nullptr, nullptr, false,
     "kernel/sched/core.c cpu_weight_write_u64 (CGROUP_WEIGHT_MIN..MAX)"},
    {H::V2, "cpu", "cpu.max", S::CpuMax, F::CpuMax, "max 100000", "", 0, 0, nullptr, nullptr, false,
     "kernel/sched/core.c cpu_max_write"},
    {H::V2, "cpu", "cpu.max.burst", S::CpuBurst, F::Number, "0", "", 0, cgroup_limits::kMaxCpuQuotaUs, nullptr,
     "cpu.max", false, "kernel/sched/core.c tg_set_cfs_bandwidth (burst <= quota)", "Linux 5.14"},
    {H::V2, "cpu", "cpu.idle", S::CpuIdle, F::Number, "0", "", 0, 1, nullptr, nullptr, false,
     "kernel/sched/fair.c sched_group_set_idle", "Linux 5.15"},
    {H::V2, "cpu", "cpu.uclamp.min", S::CpuUclampMin, F::Percent, "0.00", "", 0, 0, nullptr, nullptr, false,
     "kernel/sched/core.c cpu_uclamp_write", "CONFIG_UCLAMP_TASK_GROUP"},
    {H::V2, "cpu", "cpu.uclamp.max", S::CpuUclampMax, F::Percent, "max", "max", 0, 0, nullptr, nullptr, false,
     "kernel/sched/core.c cpu_uclamp_write", "CONFIG_UCLAMP_TASK_GROUP"},
    {H::V2, "cpuset", "cpuset.cpus", S::CpusetCpus, F::CpuList, "", "", 0, 0, nullptr, nullptr, false,
     "kernel/cgroup/cpuset.c update_cpumask"},
    {H::V2, "cpuset", "cpuset.mems", S::CpusetMems, F::CpuList, "", "", 0, 0, nullptr, nullptr, false,
     "kernel/cgroup/cpuset.c update_nodemask"},
    {H::V2, "pids", "pids.max", S::PidsMax, F::Number, "max", "max", 0, cgroup_limits::kMaxPids, nullptr, nullptr,
     false, "kernel/cgroup/pids.c pids_max_write"},
    {H::V2, "io", "io.weight", S::IoWeight, F::DefaultWeight, "default 100", "", 1, 10000, nullptr, nullptr, false,
     "block/blk-iocost.c ioc_weight_write"},
    {H::V2, "io", "io.max", S::IoMax, F::DeviceKeys, "", "rbps=max wbps=max riops=max wiops=max", 0, 0, nullptr,
     nullptr, false, "block/blk-throttle.c tg_set_limit"},
    // One "RESOURCE N" line per resource the host has (misc.capacity of the root), each written alone.
    {H::V2, "misc", "misc.max", S::MiscMax, F::DeviceValue, "", "max", 0, 0, nullptr, nullptr, false,
     "kernel/cgroup/misc.c misc_cg_max_write"},
    {H::V2, "rdma", "rdma.max", S::RdmaMax, F::DeviceKeys, "", "hca_handle=max hca_object=max", 0, 0, nullptr, nullptr,
     false, "kernel/cgroup/rdma.c rdmacg_resource_set_max"},
    {H::V2, "hugetlb", "hugetlb.<size>.max", S::HugetlbMax, F::HugePageBytes, "max", "max", 0, 0, nullptr, nullptr,
     false, "mm/hugetlb_cgroup.c hugetlb_cgroup_write_dfl"},
    {H::V2, "hugetlb", "hugetlb.<size>.rsvd.max", S::HugetlbReservedMax, F::HugePageBytes, "max", "max", 0, 0, nullptr,
     nullptr, false, "mm/hugetlb_cgroup.c hugetlb_cgroup_write_dfl"},

    // ---- cgroup v1 ----
    {H::V1, "memory", "memory.limit_in_bytes", S::MemoryMax, F::MemoryBytes, kV1NoMemoryLimit, "-1", 0, 0, nullptr,
     nullptr, true, "mm/memcontrol-v1.c mem_cgroup_write (RES_LIMIT)"},
    {H::V1, "memory", "memory.memsw.limit_in_bytes", S::MemorySwap, F::MemoryBytes, kV1NoMemoryLimit, "-1", 0, 0,
     "memory.limit_in_bytes", "memory.limit_in_bytes", true, "mm/memcontrol-v1.c mem_cgroup_resize_max (memsw)"},
    {H::V1, "memory", "memory.soft_limit_in_bytes", S::MemorySoft, F::MemoryBytes, kV1NoMemoryLimit, "-1", 0, 0,
     nullptr, nullptr, true, "mm/memcontrol-v1.c mem_cgroup_write (RES_SOFT_LIMIT)"},
    {H::V1, "memory", "memory.swappiness", S::MemorySwappiness, F::Number, "60", "", 0, cgroup_limits::kMaxSwappiness,
     nullptr, nullptr, true, "mm/memcontrol-v1.c mem_cgroup_swappiness_write (a new cgroup takes its parent's)"},
    {H::V1, "cpu", "cpu.shares", S::CpuWeight, F::Number, "1024", "", 2, 262144, nullptr, nullptr, true,
     "kernel/sched/core.c cpu_shares_write_u64 (MIN_SHARES..MAX_SHARES)"},
    {H::V1, "cpu", "cpu.cfs_period_us", S::CpuPeriod, F::Number, "100000", "", cgroup_limits::kMinCpuPeriodUs,
     cgroup_limits::kMaxCpuPeriodUs, nullptr, nullptr, true, "kernel/sched/core.c tg_set_cfs_period"},
    {H::V1, "cpu", "cpu.cfs_quota_us", S::CpuMax, F::Number, "-1", "-1", cgroup_limits::kMinCpuQuotaUs,
     cgroup_limits::kMaxCpuQuotaUs, nullptr, "cpu.cfs_period_us", true, "kernel/sched/core.c tg_set_cfs_quota"},
    {H::V1, "cpu", "cpu.cfs_burst_us", S::CpuBurst, F::Number, "0", "", 0, cgroup_limits::kMaxCpuQuotaUs, nullptr,
     "cpu.cfs_quota_us", true, "kernel/sched/core.c tg_set_cfs_bandwidth (burst <= quota)", "Linux 5.14"},
    {H::V1, "cpu", "cpu.idle", S::CpuIdle, F::Number, "0", "", 0, 1, nullptr, nullptr, true,
     "kernel/sched/fair.c sched_group_set_idle", "Linux 5.15"},
    {H::V1, "cpu", "cpu.uclamp.min", S::CpuUclampMin, F::Percent, "0.00", "", 0, 0, nullptr, nullptr, false,
     "kernel/sched/core.c cpu_uclamp_write", "CONFIG_UCLAMP_TASK_GROUP"},
    {H::V1, "cpu", "cpu.uclamp.max", S::CpuUclampMax, F::Percent, "max", "max", 0, 0, nullptr, nullptr, false,
     "kernel/sched/core.c cpu_uclamp_write", "CONFIG_UCLAMP_TASK_GROUP"},
    // RT group scheduling: v1 only. The period first: a new group has runtime 0, and any period
    // takes it; the executor writes the runtime first when the period is lowered.
    {H::V1, "cpu", "cpu.rt_period_us", S::CpuRtPeriod, F::Number, "1000000", "", 1, cgroup_limits::kMaxRtRuntimeUs,
     nullptr, nullptr, true, "kernel/sched/rt.c tg_set_rt_bandwidth (period > 0)", "CONFIG_RT_GROUP_SCHED",
     "cpu.rt_runtime_us"},
    {H::V1, "cpu", "cpu.rt_runtime_us", S::CpuRtRuntime, F::Number, "0", "", 0, cgroup_limits::kMaxRtRuntimeUs,
     nullptr, "cpu.rt_period_us", true, "kernel/sched/rt.c tg_rt_schedulable (runtime <= period, children <= parent)",
     "CONFIG_RT_GROUP_SCHED", nullptr, true},
    {H::V1, "cpuset", "cpuset.cpus", S::CpusetCpus, F::CpuList, "", "", 0, 0, nullptr, nullptr, true,
     "kernel/cgroup/cpuset-v1.c (a new cpuset starts empty)"},
    {H::V1, "cpuset", "cpuset.mems", S::CpusetMems, F::CpuList, "", "", 0, 0, nullptr, nullptr, true,
     "kernel/cgroup/cpuset-v1.c (a new cpuset starts empty)"},
    {H::V1, "pids", "pids.max", S::PidsMax, F::Number, "max", "max", 0, cgroup_limits::kMaxPids, nullptr, nullptr,
     false, "kernel/cgroup/pids.c pids_max_write"},
    {H::V1, "blkio", "blkio.bfq.weight", S::IoWeight, F::Number, "100", "", 1, 1000, nullptr, nullptr, false,
     "block/bfq-cgroup.c bfq_io_set_weight_legacy (BFQ_MIN..MAX_WEIGHT)"},
    {H::V1, "blkio", "blkio.weight", S::IoWeight, F::Number, "500", "", cgroup_limits::kMinCfqWeight, 1000, nullptr,
     nullptr, true, "block/cfq-iosched.c (before Linux 5.0)"},
    // Per-device weights: "MAJ:MIN W" lines; BFQ removes a device's line with "default", CFQ with 0.
    {H::V1, "blkio", "blkio.bfq.weight_device", S::IoDeviceWeight, F::DeviceValue, "", "default", 1, 1000, nullptr,
     nullptr, false, "block/bfq-cgroup.c bfq_io_set_device_weight", "Linux 5.4"},
    {H::V1, "blkio", "blkio.weight_device", S::IoDeviceWeight, F::DeviceValue, "", "0", cgroup_limits::kMinCfqWeight, 1000,
     nullptr, nullptr, true, "block/cfq-iosched.c (before Linux 5.0)"},
    {H::V1, "blkio", "blkio.throttle.read_bps_device", S::IoReadBps, F::DeviceValue, "", "0", 0, 0, nullptr, nullptr,
     true, "block/blk-throttle.c tg_set_conf_u64"},
    {H::V1, "blkio", "blkio.throttle.write_bps_device", S::IoWriteBps, F::DeviceValue, "", "0", 0, 0, nullptr, nullptr,
     true, "block/blk-throttle.c tg_set_conf_u64"},
    {H::V1, "blkio", "blkio.throttle.read_iops_device", S::IoReadIops, F::DeviceValue, "", "0", 0, 0, nullptr,
     nullptr, true, "block/blk-throttle.c tg_set_conf_uint"},
    {H::V1, "blkio", "blkio.throttle.write_iops_device", S::IoWriteIops, F::DeviceValue, "", "0", 0, 0, nullptr,
     nullptr, true, "block/blk-throttle.c tg_set_conf_uint"},
    {H::V1, "hugetlb", "hugetlb.<size>.limit_in_bytes", S::HugetlbMax, F::HugePageBytes, "", "-1", 0, 0, nullptr,
     nullptr, true, "mm/hugetlb_cgroup.c hugetlb_cgroup_write_legacy"},
    {H::V1, "hugetlb", "hugetlb.<size>.rsvd.limit_in_bytes", S::HugetlbReservedMax, F::HugePageBytes, "", "-1", 0, 0,
     nullptr, nullptr, true, "mm/hugetlb_cgroup.c hugetlb_cgroup_write_legacy"},
    {H::V1, "misc", "misc.max", S::MiscMax, F::DeviceValue, "", "max", 0, 0, nullptr, nullptr, false,
     "kernel/cgroup/misc.c misc_cg_max_write"},
    {H::V1, "rdma", "rdma.max", S::RdmaMax, F::DeviceKeys, "", "hca_handle=max hca_object=max", 0, 0, nullptr, nullptr,
     false, "kernel/cgroup/rdma.c rdmacg_resource_set_max"},
    // net_cls and net_prio exist on v1 only (v2 matches sockets by cgroup path instead).
    {H::V1, "net_cls", "net_cls.classid", S::NetClassId, F::Number, "0", "0", 0, 4294967295u, nullptr, nullptr, true,
     "net/core/netclassid_cgroup.c write_classid"},
    // One "IFNAME PRIO" line per interface of the writer's network namespace, each written alone.
    {H::V1, "net_prio", "net_prio.ifpriomap", S::NetPriority, F::DeviceValue, "", "0", 0, 0, nullptr, nullptr, true,
     "net/core/netprio_cgroup.c write_priomap"},
};

constexpr const char* kV2Controllers[] = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
constexpr const char* kV1Controllers[] = {"cpuset",  "cpu",      "cpuacct",    "blkio",    "memory", "devices", "freezer",
                                          "net_cls", "perf_event", "net_prio", "hugetlb", "pids",   "rdma",    "misc"};

std::optional<unsigned long long> number(std::string_view s) {
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string first_word(const std::string& s) { return s.substr(0, s.find(' ')); }

// "8:0 rbps=1 wbps=max" -> {"rbps": "1", "wbps": "max"}
std::map<std::string, std::string> key_values(const std::string& line) {
  std::map<std::string, std::string> kv;
  std::istringstream in(line);
  std::string word;
  in >> word;  // the device
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return kv;
}

// Expands "0-2,5" to its members, to compare cpu lists however they are written.
std::vector<int> members(const std::string& list) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto dash = item.find('-');
    int lo = std::atoi(item.substr(0, dash).c_str());
    int hi = dash == std::string::npos ? lo : std::atoi(item.substr(dash + 1).c_str());
    for (int i = lo; i <= hi && i - lo < 65536; ++i) out.push_back(i);
  }
  return out;
}

// A memory limit as the kernel keeps it (mm/page_counter.c page_counter_memparse): whole pages,
// rounded down, capped at PAGE_COUNTER_MAX, which is also what "max" (v2) and -1 (v1) mean and
// what v1 reads back as the largest page-aligned number.
std::optional<unsigned long long> memory_pages(const std::string& value, uint64_t page) {
  const unsigned long long counter_max = std::numeric_limits<long>::max() / page;
  if (value == "max" || value == "-1") return counter_max;
  auto bytes = number(value);
  if (!bytes) return std::nullopt;
  return std::min<unsigned long long>(*bytes / page, counter_max);
}

// The line of `dev` in a per-device file; "" when it has none.
std::string device_line(const std::string& content, const std::string& dev) {
  for (const auto& l : lines(content))
    if (first_word(l) == dev) return l;
  return "";
}

constexpr std::string_view kSize = "<size>";

// The page size in a hugetlb file name's size part ("2MB"), in bytes; 0 when it is not one.
uint64_t page_size_of(std::string_view part) {
  if (part.size() < 3) return 0;
  std::string_view unit = part.substr(part.size() - 2), digits = part.substr(0, part.size() - 2);
  auto n = number(digits);
  if (!n || *n == 0 || digits[0] == '0') return 0;
  int shift = unit == "KB" ? 10 : unit == "MB" ? 20 : unit == "GB" ? 30 : -1;
  if (shift < 0 || *n > (uint64_t{1} << (63 - shift))) return 0;
  return *n << shift;
}

// Whether NAME is the row's file; for a row with "<size>", the page size it names (else 1).
uint64_t name_match(const File& f, std::string_view name) {
  std::string_view pattern = f.name;
  size_t at = pattern.find(kSize);
  if (at == std::string_view::npos) return name == pattern ? 1 : 0;
  std::string_view prefix = pattern.substr(0, at), suffix = pattern.substr(at + kSize.size());
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) return 0;
  return page_size_of(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
}

// A uclamp percentage in hundredths: "50" and "50.00" are 5000; "max" is 100.00, which the kernel
// shows as "max" (kernel/sched/core.c cpu_uclamp_print).
std::optional<unsigned long long> hundredths(const std::string& s) {
  if (s == "max") return 10000;
  size_t dot = s.find('.');
  auto whole = number(std::string_view(s).substr(0, dot));
  if (!whole) return std::nullopt;
  unsigned long long frac = 0;
  if (dot != std::string::npos) {
    std::string digits = s.substr(dot + 1);
    if (digits.empty() || digits.size() > 2) return std::nullopt;
    if (digits.size() == 1) digits += '0';
    auto f = number(digits);
    if (!f) return std::nullopt;
    frac = *f;
  }
  return *whole * 100 + frac;
}

// "8:0 200": a device's line of a weight file (not "default 200" nor "200").
bool is_device_line(const std::string& s) { return first_word(s).find(':') != std::string::npos; }

std::string weight_of(const std::string& s) { return s.rfind("default ", 0) == 0 ? s.substr(8) : s; }

const char* setting_name(Setting s, Hierarchy h) {
  switch (s) {
    case S::MemoryMax: return "memory.max";
    case S::MemorySwap: return "memory.swap";
    case S::MemorySoft: return "memory.soft";
    case S::MemoryLow: return "memory.low (and memory.soft)";
    case S::MemoryHigh: return "memory.high";
    case S::MemoryMin: return "memory.min";
    case S::MemoryOomGroup: return "memory.oom_group";
    case S::MemorySwappiness: return "memory.swappiness";
    case S::MemoryZswapMax: return "memory.zswap_max";
    case S::CpuWeight: return "cpu.weight, cpu.shares";
    case S::CpuMax: return "cpu.max";
    case S::CpuPeriod: return "cpu.period, cpu.max";
    case S::CpuBurst: return "cpu.burst";
    case S::CpuIdle: return "cpu.idle";
    case S::CpuUclampMin: return "cpu.uclamp_min";
    case S::CpuUclampMax: return "cpu.uclamp_max";
    case S::CpuRtPeriod: return "cpu.rt_period (with rt_runtime)";
    case S::CpuRtRuntime: return "cpu.rt_runtime";
    case S::CpusetCpus: return "cpuset.cpus";
    case S::CpusetMems: return "cpuset.mems";
    case S::PidsMax: return "pids.max";
    // v2 has one weight file, with the devices' lines after the default.
    case S::IoWeight: return h == H::V2 ? "io.weight, io.blkio_weight, io.device_weights[]" : "io.weight, io.blkio_weight";
    case S::IoDeviceWeight: return "io.device_weights[]";
    case S::IoMax: return "io.devices[]";
    case S::IoReadBps: return "io.devices[].rbps";
    case S::IoWriteBps: return "io.devices[].wbps";
    case S::IoReadIops: return "io.devices[].riops";
    case S::IoWriteIops: return "io.devices[].wiops";
    case S::HugetlbMax: return "hugetlb[].max";
    case S::HugetlbReservedMax: return "hugetlb[].reserved";
    case S::NetClassId: return "net_cls.classid";
    case S::NetPriority: return "net_prio.ifpriomap";
    case S::MiscMax: return "misc";
    case S::RdmaMax: return "rdma[]";
  }
  return "";
}

const char* form_text(const File& f) {
  switch (f.form) {
    case F::MemoryBytes: return "bytes, kept as whole pages";
    case F::Number: return "integer";
    case F::CpuList: return "list such as `0-2,5`";
    case F::CpuMax: return "`QUOTA PERIOD` (µs)";
    case F::DefaultWeight: return "`default N`, then `MAJ:MIN N` lines";
    case F::DeviceKeys: return "`MAJ:MIN key=value…` per device";
    case F::DeviceValue: return "`MAJ:MIN N` per device";
    case F::HugePageBytes: return "bytes, kept as whole huge pages";
    case F::Percent: return "percent with two decimals, or `max`";
  }
  return "";
}

std::string code(const char* s) { return *s ? std::string("`") + s + "`" : "(empty)"; }

}  // namespace

std::span<const File> all() { return kFiles; }

const File* find(Hierarchy h, std::string_view name) {
  for (const auto& f : kFiles)
    if (f.hierarchy == h && name_match(f, name)) return &f;
  return nullptr;
}

const File* find(std::string_view name) {
  for (const auto& f : kFiles)
    if (name_match(f, name)) return &f;
  return nullptr;
}

uint64_t page_size_of_file(std::string_view name) {
  const File* f = find(name);
  return f && f->form == F::HugePageBytes ? name_match(*f, name) : 0;
}

std::string page_size_name(uint64_t bytes) {
  // mm/hugetlb_cgroup.c mem_fmt: the largest unit that divides the size.
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "GB";
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "MB";
  return std::to_string(bytes >> 10) + "KB";
}

std::string file_name(const File& f, uint64_t page_size) {
  std::string name = f.name;
  size_t at = name.find(kSize);
  if (at != std::string::npos) name.replace(at, kSize.size(), page_size_name(page_size));
  return name;
}

const File* of(Setting s, Hierarchy h, std::string_view name) {
  for (const auto& f : kFiles)
    if (f.hierarchy == h && f.setting == s && (name.empty() || name == f.name)) return &f;
  return nullptr;
}

bool reset_before_rmdir(std::string_view file) {
  const File* f = find(file);
  return f && f->reset_before_rmdir;
}

std::vector<const File*> optional_files(Hierarchy h) {
  std::vector<const File*> out;
  for (const auto& f : kFiles)
    if (f.hierarchy == h && f.needs) out.push_back(&f);
  return out;
}

std::span<const char* const> controllers(Hierarchy h) {
  if (h == H::V2) return kV2Controllers;
  return kV1Controllers;
}

bool value_matches(std::string_view name, const std::string& wanted, const std::string& read, uint64_t page) {
  if (wanted == read) return true;
  const File* f = find(name);
  if (!f) return false;
  switch (f->form) {
    case F::MemoryBytes: {
      auto w = memory_pages(wanted, page), r = memory_pages(read, page);
      return w && r && *w == *r;
    }
    case F::Number: return false;
    case F::CpuList: return members(wanted) == members(read);
    case F::CpuMax: return false;
    case F::DefaultWeight: {
      // "default 100" (and per-device lines after it), or a bare number; a device's "MAJ:MIN W"
      // is compared with that device's line.
      if (is_device_line(wanted)) return device_line(read, first_word(wanted)) == wanted;
      auto ls = lines(read);
      return !ls.empty() && weight_of(wanted) == weight_of(ls[0]);
    }
    case F::DeviceKeys: {
      // Compare only the keys nsplan set, on the device's line.
      std::string line = device_line(read, first_word(wanted));
      if (line.empty()) return false;
      auto have = key_values(line);
      for (const auto& [k, v] : key_values(wanted))
        if (have[k] != v) return false;
      return true;
    }
    case F::HugePageBytes: {
      // mm/hugetlb_cgroup.c: page_counter_memparse, then rounded down to whole huge pages.
      const uint64_t per_huge_page = std::max<uint64_t>(page_size_of_file(name) / page, 1);
      auto w = memory_pages(wanted, page), r = memory_pages(read, page);
      return w && r && *w / per_huge_page == *r / per_huge_page;
    }
    case F::Percent: {
      auto w = hundredths(wanted), r = hundredths(read);
      return w && r && *w == *r;
    }
    case F::DeviceValue: {
      std::string value = wanted.substr(wanted.find(' ') + 1);
      std::string line = device_line(read, first_word(wanted));
      if (line.empty()) return value == f->no_limit;  // the no-limit value removes the line
      return line.substr(line.find(' ') + 1) == value;
    }
  }
  return false;
}

std::string restore_value(std::string_view name, const std::string& wanted, const std::string& before, uint64_t page) {
  const File* f = find(name);
  if (!f) return before;
  switch (f->form) {
    case F::DeviceKeys:
    case F::DeviceValue: {
      std::string dev = first_word(wanted);
      std::string line = device_line(before, dev);
      return line.empty() ? dev + " " + f->no_limit : line;
    }
    case F::DefaultWeight: {
      if (!is_device_line(wanted)) return before.substr(0, before.find('\n'));
      // A device without a line of its own takes the default: "MAJ:MIN default" (blk-iocost.c).
      std::string dev = first_word(wanted);
      std::string line = device_line(before, dev);
      return line.empty() ? dev + " default" : line;
    }
    case F::MemoryBytes:
    case F::HugePageBytes:
      // v1 reads "no limit" as a huge number; its no-limit word says the same and is accepted
      // on every kernel.
      if (*f->no_limit && value_matches(name, f->no_limit, before, page)) return f->no_limit;
      return before;
    default: return before;
  }
}

std::string markdown_table() {
  std::string out =
      "| hierarchy | controller | file | profile setting | value | a new cgroup holds | no limit | order | undo writes back |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& f : kFiles) {
    std::string order;
    if (f.keeps_at_least)
      order = std::string("after `") + f.keeps_at_least + "`, before it when raising it above this file's value";
    else if (f.after)
      order = std::string("after `") + f.after + "`";
    if (f.before_if_lowered)
      order += std::string(order.empty() ? "" : "; ") + "before `" + f.before_if_lowered + "` when lowering this file";
    if (!f.on_root) order += std::string(order.empty() ? "" : "; ") + "not in the root";
    std::string value = form_text(f);
    if (f.max) value += " " + std::to_string(f.min) + ".." + std::to_string(f.max);
    if (f.needs) value += std::string("; needs ") + f.needs;
    std::string undo = "the value read before";
    if (f.form == F::DeviceKeys || f.form == F::DeviceValue)
      undo = std::string("the device's line read before, or `MAJ:MIN ") + f.no_limit + "`";
    else if (f.form == F::DefaultWeight)
      undo = "the `default` line read before; a device's line, or `MAJ:MIN default`";
    if (f.reset_before_rmdir) undo += std::string("; in a new cgroup `") + f.new_value + "`, before its rmdir";
    else if (f.form == F::MemoryBytes && std::string_view(f.no_limit) == "-1")
      undo = "the value read before; `-1` when that was no limit";
    out += std::string("| ") + (f.hierarchy == H::V2 ? "v2" : "v1") + " | " + f.controller + " | `" + f.name + "` | " +
           setting_name(f.setting, f.hierarchy) + " | " + value + " | " + code(f.new_value) + " | " + (*f.no_limit ? code(f.no_limit) : "—") + " | " + order +
           " | " + undo + " |\n";
  }
  return out;
}

}  // namespace nsplan::cgroup_files
