// Issue 5, "What must hold on pure v2": a profile that sets EVERY cgroup value of format version 1
// (memory max/swap/soft/low/high/min, cpu weight/shares/max/period, cpuset cpus/mems, pids max,
// io weight and io.max / blkio.throttle.* limits of a real whole disk) is applied with
// `nsplan apply --cgroup-parent` inside a Sandbox (tests/kernel/sandbox.h), and the test reads
// every file back ITSELF and compares it with
//   - the plan (the values nsplan meant to write), and
//   - the values the test computes on its own from docs/cgroup-v1-v2.md (formulas, memsw = max +
//     swap, "QUOTA PERIOD", "default N", one blkio.throttle line per key, page rounding).
// On whatever hierarchy is live: on v2 every value is present; on v1 the lossy ones are warnings
// (apply and status stderr; errors with --strict) and are not written. The write order is the one
// the kernel accepts (apply succeeds from a fresh cgroup and when raising memory on v1, the
// explain script too), and the order nsplan reports is checked: ancestors before children, v1
// limit before memsw on a new cgroup (memsw first when raising), cfs_period_us before cfs_quota_us.
// On v2 also: controllers enabled in cgroup.subtree_control of every ancestor from the test's
// parent down, and only those the profile needs; no process in a non-leaf cgroup while a task
// joins the leaf; destroy removes leaf to root and disables only what it enabled, leaving the
// test's parent (and the root) as they were. Converging to a profile with fewer values leaves
// the cgroups as a fresh apply of it would. The seed's firefox profile gives its three values.
//
// Only test-prefixed names outside the sandboxes: cgroups below CgroupParent's
// "nsplan-t-<pid>-cg<n>". The block device is only throttled in a cgroup the test made.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

// ---- small helpers ----------------------------------------------------------------------------

std::vector<std::string> words_in(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}
std::set<std::string> word_set(const std::string& s) {
  auto w = words_in(s);
  return {w.begin(), w.end()};
}
std::string set_text(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : " ") + x;
  return "{" + out + "}";
}

// "0-2,5" -> {0,1,2,5}.
std::set<int> list_members(const std::string& list) {
  std::set<int> out;
  std::stringstream ss(trim(list));
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t dash = item.find('-');
    int lo = std::atoi(item.substr(0, dash).c_str());
    int hi = dash == std::string::npos ? lo : std::atoi(item.substr(dash + 1).c_str());
    for (int i = lo; i <= hi && i - lo < 4096; ++i) out.insert(i);
  }
  return out;
}

// The controller a cgroup file belongs to ("memory.swap.max" -> "memory"; v1 "blkio.throttle.x"
// -> "blkio").
std::string controller_of_file(const std::string& file) { return file.substr(0, file.find('.')); }

// Writes VALUE to a cgroup file with one write(2); "" or what failed.
std::string write_cgroup_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "open " + path + ": " + std::strerror(errno);
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) return "write '" + value + "' to " + path + ": " + std::strerror(e);
  return "";
}

bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// v1 reads "no limit" of a memory counter as PAGE_COUNTER_MAX pages: 0x7ffffffffffff000 with 4K.
bool reads_unlimited_v1(const std::string& got) {
  return is_number(got) && std::stoull(got) >= 0x7ffffffffffff000ull;
}

// What the kernel must read back in FILE after WANT was written (the test's own rules, not
// nsplan's cgroup_value_matches). GOT is the whole file.
bool kernel_reads(const std::string& file, const std::string& want, const std::string& got_raw) {
  const std::string got = trim(got_raw);
  if (starts_with(file, "memory.")) {
    if (want == "max") return got == "max";
    if (want == "-1") return reads_unlimited_v1(got);
    if (!is_number(want) || !is_number(got)) return false;
    unsigned long long page = static_cast<unsigned long long>(::sysconf(_SC_PAGESIZE));
    return std::stoull(got) == std::stoull(want) / page * page;
  }
  if (file == "cpuset.cpus" || file == "cpuset.mems") return list_members(want) == list_members(got);
  if (file == "io.weight") {
    // "default N", then per-device lines (none: nsplan writes no per-device weight).
    auto ls = lines_of(got);
    return !ls.empty() && trim(ls[0]) == want && ls.size() == 1;
  }
  if (file == "io.max") {
    // One line per device; the keys set must read as written, the others as max.
    std::string dev = want.substr(0, want.find(' '));
    std::map<std::string, std::string> wanted;
    for (const auto& w : words_in(want.substr(dev.size())))
      wanted[w.substr(0, w.find('='))] = w.substr(w.find('=') + 1);
    for (const auto& l : lines_of(got)) {
      auto w = words_in(l);
      if (w.empty() || w[0] != dev) continue;
      std::map<std::string, std::string> have;
      for (size_t i = 1; i < w.size(); ++i) have[w[i].substr(0, w[i].find('='))] = w[i].substr(w[i].find('=') + 1);
      for (const char* k : {"rbps", "wbps", "riops", "wiops"}) {
        std::string expect = wanted.count(k) ? wanted[k] : "max";
        if (have[k] != expect) return false;
      }
      return true;
    }
    // No line: only right when every key set is max.
    return std::all_of(wanted.begin(), wanted.end(), [](const auto& kv) { return kv.second == "max"; });
  }
  if (starts_with(file, "blkio.throttle.")) {
    // "MAJ:MIN N": one line; N = 0 removes the rule (no line at all).
    std::string dev = want.substr(0, want.find(' '));
    std::string n = want.substr(want.find(' ') + 1);
    std::vector<std::string> mine;
    for (const auto& l : lines_of(got))
      if (!trim(l).empty() && words_in(l)[0] == dev) mine.push_back(trim(l));
    if (n == "0") return mine.empty();
    return mine.size() == 1 && mine[0] == dev + " " + n;
  }
  return got == want;
}

// The index of the first line of OUT whose words start with W0 W1 ... (a word W ending in ':' is
// also matched by W without it); -1 when none.
int line_index(const std::string& out, const std::vector<std::string>& start) {
  auto ls = lines_of(out);
  for (size_t i = 0; i < ls.size(); ++i) {
    auto w = words_in(ls[i]);
    if (w.size() < start.size()) continue;
    bool ok = true;
    for (size_t k = 0; k < start.size() && ok; ++k) {
      std::string x = w[k];
      if (x != start[k] && !(x.size() > 1 && x.back() == ':' && x.substr(0, x.size() - 1) == start[k])) ok = false;
    }
    if (ok) return static_cast<int>(i);
  }
  return -1;
}
// "+ DIR/FILE = v" (a new file) or "~ DIR/FILE: old -> new": apply's line of a cgroup file.
int write_line(const std::string& out, const std::string& path) {
  int a = line_index(out, {"+", path});
  return a >= 0 ? a : line_index(out, {"~", path});
}
int mkdir_line(const std::string& out, const std::string& dir) { return line_index(out, {"+", "cgroup", dir}); }

// Counts the lines of diagnostics output that carry WHAT ("warning" / "error").
int count_severity(const std::string& err, const std::string& what) {
  int n = 0;
  for (const auto& l : lines_of(err))
    if (contains(l, ": " + what + ": ") || starts_with(l, what + ": ")) ++n;
  return n;
}

// ---- the machine, as the test reads it itself ---------------------------------------------------

struct Disk {
  std::string dev;     // "/dev/vda"
  std::string majmin;  // "254:0"
};

// A real whole disk (never a partition), from /sys/dev/block: /dev/vda when it is one, otherwise
// the first disk backed by a device (not loop, ram, zram, device-mapper or md).
std::optional<Disk> find_whole_disk(std::string* seen) {
  std::vector<Disk> disks;
  for (const std::string& majmin : list_dir("/sys/dev/block")) {
    std::string sys = "/sys/dev/block/" + majmin;
    std::string name;
    for (const auto& l : lines_of(read_file(sys + "/uevent")))
      if (starts_with(l, "DEVNAME=")) name = l.substr(8);
    bool partition = path_exists(sys + "/partition");
    *seen += majmin + "=" + name + (partition ? "(partition) " : " ");
    if (name.empty() || partition) continue;
    if (trim(read_file(sys + "/dev")) != majmin) continue;
    disks.push_back(Disk{"/dev/" + name, majmin});
  }
  for (const auto& d : disks)
    if (d.dev == "/dev/vda") return d;
  for (const auto& d : disks) {
    std::string n = d.dev.substr(5);
    if (starts_with(n, "loop") || starts_with(n, "ram") || starts_with(n, "zram") || starts_with(n, "dm-") ||
        starts_with(n, "md") || starts_with(n, "nbd"))
      continue;
    if (path_exists("/sys/dev/block/" + d.majmin + "/device")) return d;
  }
  return std::nullopt;
}

// The CPUs a new cgroup may use (the root's).
std::set<int> usable_cpus() {
  const HostFacts& f = host_probe().facts;
  if (f.mode == CgroupMode::V2) return list_members(read_file(f.cgroup_root + "/cpuset.cpus.effective"));
  return list_members(read_file(f.hierarchy_of("cpuset") + "/cpuset.cpus"));
}

// ---- the profile's values and what they must become --------------------------------------------

struct Size {
  std::string yaml;  // as written in the profile
  bool unlimited = false;
  unsigned long long bytes = 0;  // what it means, stated by the test (not parsed by nsplan)
};
Size sz(std::string yaml, unsigned long long bytes) { return Size{std::move(yaml), false, bytes}; }
Size sz_max() { return Size{"max", true, 0}; }
std::string v2_text(const Size& s) { return s.unlimited ? "max" : std::to_string(s.bytes); }

struct CpuMaxValue {
  std::string yaml;
  bool unlimited = false;
  unsigned long long quota = 0, period = 100000;  // what it means for the period in force
};

struct Values {
  std::string path = "allv/mid/leaf";
  std::optional<Size> max, swap, soft, high, low, min;
  std::optional<unsigned> weight, shares;
  std::optional<CpuMaxValue> cpu_max;
  std::optional<unsigned> period;
  std::string cpus, mems;
  std::optional<Size> pids;  // bytes = the count
  std::optional<unsigned> io_weight;
  std::optional<Size> rbps, wbps, riops, wiops;  // iops: bytes = the count
};

std::string profile_text(const std::string& name, const Values& v, const std::string& dev) {
  std::string s = "nsplan: 1\nname: " + name + "\ncgroup:\n  path: " + v.path + "\n";
  s += "  memory:\n";
  for (auto [key, val] : {std::pair{"max", &v.max}, {"swap", &v.swap}, {"soft", &v.soft}, {"high", &v.high},
                          {"low", &v.low}, {"min", &v.min}})
    if (*val) s += std::string("    ") + key + ": " + (*val)->yaml + "\n";
  s += "  cpu:\n";
  if (v.weight) s += "    weight: " + std::to_string(*v.weight) + "\n";
  if (v.shares) s += "    shares: " + std::to_string(*v.shares) + "\n";
  if (v.cpu_max) s += "    max: \"" + v.cpu_max->yaml + "\"\n";
  if (v.period) s += "    period: " + std::to_string(*v.period) + "\n";
  s += "  cpuset:\n    cpus: \"" + v.cpus + "\"\n    mems: \"" + v.mems + "\"\n";
  if (v.pids) s += "  pids:\n    max: " + v.pids->yaml + "\n";
  s += "  io:\n";
  if (v.io_weight) s += "    weight: " + std::to_string(*v.io_weight) + "\n";
  s += "    devices:\n      - device: " + dev + "\n";
  for (auto [key, val] : {std::pair{"rbps", &v.rbps}, {"wbps", &v.wbps}, {"riops", &v.riops}, {"wiops", &v.wiops}})
    if (*val) s += std::string("        ") + key + ": " + (*val)->yaml + "\n";
  return s;
}

// docs/cgroup-v1-v2.md, computed here on their own.
unsigned long long weight_to_shares(unsigned w) {
  return std::clamp<unsigned long long>(static_cast<unsigned long long>(w) * 1024 / 100, 2, 262144);
}
unsigned long long shares_to_weight(unsigned x) {
  if (x <= 2) return 1;
  if (x >= 262144) return 10000;
  double l = std::log2(static_cast<double>(x));
  double e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<unsigned long long>(std::ceil(std::pow(10.0, e)));
}
// v1's weight files take io.weight unchanged where it fits: BFQ 1..1000, CFQ 10..1000.
unsigned long long v1_weight_range_min(const std::string& file) { return file == "blkio.weight" ? 10 : 1; }

struct Want {
  std::string file;   // in the leaf of the file's controller
  std::string value;  // as written
};

struct Expected {
  std::vector<Want> writes;           // every value file of the leaf, nothing else
  std::vector<std::string> warnings;  // exact messages
  std::vector<std::string> untouched_unlimited_v1;  // v1 memory files that must keep "no limit"
  std::vector<std::string> controllers;             // v2: enabled on every ancestor; v1: hierarchies used
};

// The v1 weight file of this machine's blkio controller ("" when none), read by the test in DIR,
// a cgroup BELOW the hierarchy's root: the kernel never shows blkio.bfq.weight on the root
// (CFTYPE_NOT_ON_ROOT in block/bfq-cgroup.c), only in child cgroups.
std::string v1_weight_file(const std::string& dir) {
  if (path_exists(dir + "/blkio.bfq.weight")) return "blkio.bfq.weight";
  if (path_exists(dir + "/blkio.weight")) return "blkio.weight";
  return "";
}

// Swap accounting as the test sees it: v1 memsw files; v2 memory.swap.max in a cgroup of the root
// (DIR: one with the memory controller, e.g. the test's parent).
bool swap_accounting(const std::string& v2_dir) {
  const HostFacts& f = host_probe().facts;
  if (f.mode == CgroupMode::V2) return path_exists(v2_dir + "/memory.swap.max");
  return path_exists(f.hierarchy_of("memory") + "/memory.memsw.limit_in_bytes");
}

// V1_WEIGHT: the v1 io weight file of this machine (v1_weight_file), unused on v2.
Expected expected_for(const Values& v, const Disk& disk, bool v2, bool swap_ok, const std::string& v1_weight) {
  Expected e;
  auto w = [&](std::string file, std::string value) { e.writes.push_back(Want{std::move(file), std::move(value)}); };
  auto nothing_on_v1 = [](const char* name) { return std::string("memory ") + name + " has no cgroup v1 equivalent; it is not applied"; };
  if (v2) {
    if (v.max) w("memory.max", v2_text(*v.max));
    if (v.swap) {
      if (swap_ok) w("memory.swap.max", v2_text(*v.swap));
      else e.warnings.push_back("swap accounting is off on this host; memory swap is not limited");
    }
    if (v.low) w("memory.low", v2_text(*v.low));
    else if (v.soft) w("memory.low", v2_text(*v.soft));
    if (v.soft && v.low)
      e.warnings.push_back("memory soft is not applied on cgroup v2: low is given too, and both become memory.low");
    if (v.high) w("memory.high", v2_text(*v.high));
    if (v.min) w("memory.min", v2_text(*v.min));
    if (v.weight) w("cpu.weight", std::to_string(*v.weight));
    else if (v.shares) w("cpu.weight", std::to_string(shares_to_weight(*v.shares)));
    if (v.cpu_max)
      w("cpu.max", (v.cpu_max->unlimited ? std::string("max") : std::to_string(v.cpu_max->quota)) + " " +
                       std::to_string(v.cpu_max->period));
    w("cpuset.cpus", v.cpus);
    w("cpuset.mems", v.mems);
    if (v.pids) w("pids.max", v2_text(*v.pids));
    if (v.io_weight) w("io.weight", "default " + std::to_string(*v.io_weight));
    std::string line = disk.majmin;
    if (v.rbps) line += " rbps=" + v2_text(*v.rbps);
    if (v.wbps) line += " wbps=" + v2_text(*v.wbps);
    if (v.riops) line += " riops=" + v2_text(*v.riops);
    if (v.wiops) line += " wiops=" + v2_text(*v.wiops);
    w("io.max", line);
  } else {
    if (v.max) w("memory.limit_in_bytes", v.max->unlimited ? "-1" : std::to_string(v.max->bytes));
    if (v.swap) {
      if (!swap_ok) {
        e.warnings.push_back("swap accounting is off on this host; memory swap is not limited");
      } else if (!v.max || v.max->unlimited) {
        e.warnings.push_back("memory swap needs a finite memory max on cgroup v1 (memsw = max + swap); swap is not limited");
        e.untouched_unlimited_v1.push_back("memory.memsw.limit_in_bytes");
      } else {
        w("memory.memsw.limit_in_bytes", v.swap->unlimited ? "-1" : std::to_string(v.max->bytes + v.swap->bytes));
      }
    } else if (swap_ok) {
      e.untouched_unlimited_v1.push_back("memory.memsw.limit_in_bytes");
    }
    if (v.soft) w("memory.soft_limit_in_bytes", v.soft->unlimited ? "-1" : std::to_string(v.soft->bytes));
    else e.untouched_unlimited_v1.push_back("memory.soft_limit_in_bytes");  // low is not soft on v1
    if (v.high) e.warnings.push_back(nothing_on_v1("high"));
    if (v.low) e.warnings.push_back(nothing_on_v1("low"));
    if (v.min) e.warnings.push_back(nothing_on_v1("min"));
    if (v.shares) w("cpu.shares", std::to_string(*v.shares));
    else if (v.weight) w("cpu.shares", std::to_string(weight_to_shares(*v.weight)));
    if (v.cpu_max) {
      w("cpu.cfs_period_us", std::to_string(v.cpu_max->period));
      w("cpu.cfs_quota_us", v.cpu_max->unlimited ? "-1" : std::to_string(v.cpu_max->quota));
    }
    w("cpuset.cpus", v.cpus);
    w("cpuset.mems", v.mems);
    if (v.pids) w("pids.max", v.pids->unlimited ? "max" : std::to_string(v.pids->bytes));
    if (v.io_weight) {
      const std::string& f = v1_weight;
      if (f.empty())
        e.warnings.push_back("this host's blkio controller has no weight file (BFQ is not in use); io weight is not applied");
      else {
        const unsigned long long lo = v1_weight_range_min(f), given = *v.io_weight;
        const unsigned long long kept = std::clamp<unsigned long long>(given, lo, 1000);
        if (kept != given)
          e.warnings.push_back("io weight " + std::to_string(given) + " is " + (given < lo ? "below" : "above") + " the " +
                               std::to_string(lo) + "..1000 that " + f + " takes; " + std::to_string(kept) +
                               " is written, so the ratio to a sibling at weight 100 becomes " + std::to_string(kept) +
                               ":100 instead of " + std::to_string(given) + ":100");
        w(f, std::to_string(kept));
      }
    }
    auto throttle = [&](const char* file, const std::optional<Size>& s) {
      if (s) w(file, disk.majmin + " " + (s->unlimited ? std::string("0") : std::to_string(s->bytes)));
    };
    throttle("blkio.throttle.read_bps_device", v.rbps);
    throttle("blkio.throttle.write_bps_device", v.wbps);
    throttle("blkio.throttle.read_iops_device", v.riops);
    throttle("blkio.throttle.write_iops_device", v.wiops);
  }
  std::set<std::string> ctl;
  for (const auto& x : e.writes) ctl.insert(controller_of_file(x.file));
  // Kernel order, as nsplan enables them.
  for (const char* c : {"cpuset", "cpu", "io", "memory", "pids", "blkio"})
    if (ctl.count(c)) e.controllers.push_back(c);
  return e;
}

// ---- the cgroup tree under the test's parent ------------------------------------------------------

// The directories of PATH ("a/b/c") below BASE: BASE/a, BASE/a/b, BASE/a/b/c.
std::vector<std::string> chain_below(const std::string& base, const std::string& path) {
  std::vector<std::string> out;
  std::string dir = base;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '/');) out.push_back(dir += "/" + part);
  return out;
}

// What of the test's parent (and of the v2 root) nsplan may not leave changed: in every hierarchy,
// its sub-cgroups, its processes, and on v2 the controllers of its and the root's subtree_control.
std::map<std::string, std::string> parent_state(const CgroupParent& parent) {
  std::map<std::string, std::string> s;
  const HostFacts& f = host_probe().facts;
  for (const auto& d : parent.dirs()) {
    auto subs = list_dir(d);
    std::vector<std::string> dirs;
    for (const auto& n : subs) {
      struct stat st;
      if (::lstat((d + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) dirs.push_back(n);
    }
    std::sort(dirs.begin(), dirs.end());
    s[d + " (sub-cgroups)"] = joined(dirs);
    s[d + "/cgroup.procs"] = trim(read_file(d + "/cgroup.procs"));
    if (f.mode == CgroupMode::V2) {
      s[d + "/cgroup.subtree_control"] = set_text(word_set(read_file(d + "/cgroup.subtree_control")));
    } else if (path_exists(d + "/cpuset.cpus")) {
      s[d + "/cpuset.cpus"] = trim(read_file(d + "/cpuset.cpus"));
      s[d + "/cpuset.mems"] = trim(read_file(d + "/cpuset.mems"));
    }
  }
  if (f.mode == CgroupMode::V2)
    s[f.cgroup_root + "/cgroup.subtree_control"] = set_text(word_set(read_file(f.cgroup_root + "/cgroup.subtree_control")));
  return s;
}

std::string state_diff(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
  std::string out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    std::string now = it == b.end() ? "(gone)" : it->second;
    if (now != v) out += "  " + k + ": was [" + v + "], now [" + now + "]\n";
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) out += "  " + k + ": new [" + v + "]\n";
  return out;
}

// v2: the controllers of cgroup.subtree_control on the parent and every cgroup between it and the
// leaf are exactly WANT (plus PARENT_BEFORE on the parent: what was enabled there already); the
// leaf enables nothing and is given exactly WANT. No process in the parent or an intermediate.
void expect_v2_chain(const std::string& parent_dir, const std::string& path, const std::vector<std::string>& want,
                     const std::set<std::string>& parent_before) {
  std::set<std::string> w(want.begin(), want.end());
  std::vector<std::string> chain = chain_below(parent_dir, path);
  std::vector<std::string> ancestors = {parent_dir};
  ancestors.insert(ancestors.end(), chain.begin(), chain.end() - 1);
  for (const auto& a : ancestors) {
    std::set<std::string> expect = w;
    if (a == parent_dir) expect.insert(parent_before.begin(), parent_before.end());
    EXPECT_EQ(set_text(word_set(read_file(a + "/cgroup.subtree_control"))), set_text(expect))
        << a << "/cgroup.subtree_control: enabled for the children must be exactly what the profile needs"
        << (a == parent_dir ? " (and what the test's parent had before)" : "");
    EXPECT_EQ(trim(read_file(a + "/cgroup.procs")), "") << a << " is not a leaf: no process may be in it";
  }
  const std::string& leaf = chain.back();
  EXPECT_EQ(set_text(word_set(read_file(leaf + "/cgroup.controllers"))), set_text(w)) << leaf << "/cgroup.controllers";
  EXPECT_EQ(trim(read_file(leaf + "/cgroup.subtree_control")), "") << leaf << "/cgroup.subtree_control";
}

// A task can join the cgroups (v1: the leaf in every hierarchy; v2: the leaf), and while it is
// there no non-leaf cgroup holds a process. A forked child of the test that only waits is moved
// in, checked in /proc/PID/cgroup, killed, and the leaves are empty again afterwards. "" or what
// went wrong.
std::string task_joins(const std::vector<std::string>& leaves, const std::vector<std::string>& non_leaves) {
  std::fflush(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    for (;;) ::pause();
  }
  std::string err;
  const std::string text = std::to_string(pid);
  for (const auto& leaf : leaves) {
    std::string e = write_cgroup_file(leaf + "/cgroup.procs", text);
    if (!e.empty()) err += e + "\n";
  }
  if (err.empty()) {
    std::string where = read_file("/proc/" + text + "/cgroup");
    for (const auto& leaf : leaves) {
      auto procs = words_in(read_file(leaf + "/cgroup.procs"));
      if (std::find(procs.begin(), procs.end(), text) == procs.end()) err += leaf + "/cgroup.procs lacks " + text + "\n";
      // /proc/PID/cgroup names the path below each mount: the leaf's path without its mount.
      std::string tail = leaf.substr(leaf.find("/nsplan-t-"));
      if (!contains(where, tail + "\n")) err += "/proc/" + text + "/cgroup does not name " + tail + ":\n" + where;
    }
    for (const auto& d : non_leaves)
      if (!trim(read_file(d + "/cgroup.procs")).empty())
        err += d + " holds processes while a task is in the leaf: " + read_file(d + "/cgroup.procs") + "\n";
  }
  ::kill(pid, SIGKILL);
  int st;
  ::waitpid(pid, &st, 0);
  for (const auto& leaf : leaves) {
    bool empty = false;
    for (int i = 0; i < 500 && !empty; ++i) {
      empty = trim(read_file(leaf + "/cgroup.procs")).empty() &&
              (!path_exists(leaf + "/cgroup.events") || contains(read_file(leaf + "/cgroup.events"), "populated 0"));
      if (!empty) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!empty) err += leaf + " still holds a process after the task was killed\n";
  }
  return err;
}

// The lines of destroy's output that name something removed ("- rmdir DIR", "- disable ...").
std::vector<std::string> removed_lines(const std::string& out) {
  std::vector<std::string> r;
  for (const auto& l : lines_of(out))
    if (starts_with(trim(l), "- ")) r.push_back(trim(l).substr(2));
  return r;
}

// destroy removed every directory of CHAINS (each ordered root-to-leaf) leaf first, and (v2)
// disabled in the parent exactly DISABLED, after its children were gone; nothing else.
void expect_destroy_order(const std::string& out, const std::vector<std::vector<std::string>>& chains,
                          const std::string& parent_dir, const std::vector<std::string>& disabled) {
  auto r = removed_lines(out);
  size_t expected_lines = disabled.empty() ? 0 : 1;
  for (const auto& chain : chains) {
    expected_lines += chain.size();
    int prev = -1;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      auto at = std::find(r.begin(), r.end(), "rmdir " + *it);
      if (at == r.end()) {
        ADD_FAILURE() << "destroy did not say it removed " << *it << ":\n" << out;
        continue;
      }
      int i = static_cast<int>(at - r.begin());
      EXPECT_GT(i, prev) << *it << " was removed before a cgroup below it:\n" << out;
      prev = i;
    }
  }
  if (!disabled.empty()) {
    int at = -1;
    for (size_t i = 0; i < r.size(); ++i)
      if (starts_with(r[i], "disable ") && contains(r[i], " in " + parent_dir) &&
          r[i].substr(r[i].size() - parent_dir.size()) == parent_dir)
        at = static_cast<int>(i);
    if (at < 0) {
      ADD_FAILURE() << "destroy did not disable the controllers it enabled in " << parent_dir << ":\n" << out;
    } else {
      std::set<std::string> said;
      for (const auto& w : words_in(r[at]))
        if (starts_with(w, "-")) said.insert(w.substr(1));
      EXPECT_EQ(set_text(said), set_text({disabled.begin(), disabled.end()})) << r[at];
      for (const auto& chain : chains) {
        auto top = std::find(r.begin(), r.end(), "rmdir " + chain.front());
        EXPECT_LT(top - r.begin(), at) << "controllers disabled before " << chain.front() << " was gone:\n" << out;
      }
    }
  }
  EXPECT_EQ(r.size(), expected_lines) << "destroy did more (or less) than remove the cgroups and disable "
                                      << "what it enabled:\n" << out;
}

// ---- the fixture ------------------------------------------------------------------------------

class AllValues : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
    // In the VM harness the layout is known: check that nsplan (and so this test) sees it.
    if (const char* vm = std::getenv("NSPLAN_VM")) {
      if (std::string(vm) == "v2") {
        ASSERT_EQ(host_probe().facts.mode, CgroupMode::V2) << "NSPLAN_VM=v2";
      }
      if (std::string(vm) == "v1") {
        ASSERT_EQ(host_probe().facts.mode, CgroupMode::V1) << "NSPLAN_VM=v1";
        ASSERT_FALSE(host_probe().facts.hybrid) << "NSPLAN_VM=v1 is pure v1";
      }
    }
  }

  // Applies NAME (values V; CONVERGE: values of a second apply) and checks everything above.
  void all_values(const std::string& name, const Values& v, const std::optional<Values>& converge = std::nullopt);

  TempDir tmp_;
};

// Checks every file of E in the leaves of PLAN (its facts carry the test's parent) against the
// plan and against the kernel.
void expect_values(const plan::Plan& plan, const Values& v, const Expected& e) {
  const HostFacts& f = plan.facts;
  // 1. The plan writes exactly these files of the leaf, with exactly these values.
  std::map<std::string, std::string> planned, wanted;
  for (const auto& step : plan.steps)
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&step.action)) {
      EXPECT_FALSE(planned.count(w->dir + "/" + w->file)) << "written twice: " << w->dir << "/" << w->file;
      planned[w->dir + "/" + w->file] = w->value;
    }
  for (const auto& w : e.writes) wanted[f.base_of(controller_of_file(w.file)) + "/" + v.path + "/" + w.file] = w.value;
  for (const auto& [path, value] : wanted) {
    auto it = planned.find(path);
    if (it == planned.end()) {
      ADD_FAILURE() << "the plan does not write " << path << " (want " << value << ")";
      continue;
    }
    std::string file = path.substr(path.rfind('/') + 1);
    bool same = (file == "cpuset.cpus" || file == "cpuset.mems") ? list_members(it->second) == list_members(value)
                                                                   : it->second == value;
    EXPECT_TRUE(same) << path << ": the plan writes '" << it->second << "', the documented value is '" << value << "'";
  }
  for (const auto& [path, value] : planned)
    EXPECT_TRUE(wanted.count(path)) << "the plan writes " << path << " = " << value << ", which no value asks for";

  // 2. The kernel reads back what was written (page rounding, canonical lists, per-device lines).
  for (const auto& [path, value] : wanted) {
    std::string file = path.substr(path.rfind('/') + 1);
    ASSERT_TRUE(path_exists(path)) << path << " does not exist: the value cannot be there";
    std::string got = read_file(path);
    EXPECT_TRUE(kernel_reads(file, value, got)) << path << ": wrote '" << value << "', reads '" << trim(got) << "'";
  }
  // 3. What must not be written on v1 keeps the kernel's "no limit".
  for (const auto& file : e.untouched_unlimited_v1) {
    std::string path = f.base_of("memory") + "/" + v.path + "/" + file;
    EXPECT_TRUE(reads_unlimited_v1(trim(read_file(path)))) << path << " was written: " << read_file(path);
  }
  if (f.mode == CgroupMode::V1) {
    for (const char* file : {"memory.high", "memory.low", "memory.min", "memory.swap.max"})
      EXPECT_FALSE(path_exists(f.base_of("memory") + "/" + v.path + "/" + file)) << "v2 file on v1: " << file;
  }
}

void expect_warnings(const RunResult& r, const std::vector<std::string>& warnings, const std::string& what) {
  for (const auto& w : warnings)
    EXPECT_TRUE(contains(r.err, "warning: " + w)) << what << " does not warn '" << w << "':\n" << r.describe();
  EXPECT_EQ(count_severity(r.err, "warning"), static_cast<int>(warnings.size())) << what << ":\n" << r.describe();
  EXPECT_EQ(count_severity(r.err, "error"), 0) << what << ":\n" << r.describe();
}

// The order apply reports (one change per line, in the order made): every directory before its
// child, the parent's controllers (v2) before the directory below it, the leaf before its files;
// v1: limit_in_bytes before memsw on a new cgroup, cfs_period_us before cfs_quota_us.
void expect_apply_order(const std::string& out, const plan::Plan& plan, const Values& v, const Expected& e) {
  const HostFacts& f = plan.facts;
  std::set<std::string> hierarchies;
  for (const auto& c : e.controllers) hierarchies.insert(f.base_of(c));
  for (const auto& base : hierarchies) {
    auto chain = chain_below(base, v.path);
    int prev = -1;
    std::string prev_what = "(start)";
    for (size_t i = 0; i < chain.size(); ++i) {
      std::string parent = i == 0 ? base : chain[i - 1];
      if (f.mode == CgroupMode::V2) {
        int en = line_index(out, {"~", parent + "/cgroup.subtree_control"});
        EXPECT_GE(en, 0) << "apply did not enable the controllers in " << parent << ":\n" << out;
        EXPECT_GT(en, prev) << parent << "/cgroup.subtree_control written before " << prev_what << ":\n" << out;
        prev = std::max(prev, en), prev_what = parent + "/cgroup.subtree_control";
      }
      int mk = mkdir_line(out, chain[i]);
      EXPECT_GE(mk, 0) << "apply did not make " << chain[i] << ":\n" << out;
      EXPECT_GT(mk, prev) << chain[i] << " made before " << prev_what << ":\n" << out;
      prev = std::max(prev, mk), prev_what = chain[i];
    }
    for (const auto& w : e.writes) {
      if (f.base_of(controller_of_file(w.file)) != base) continue;
      int at = write_line(out, chain.back() + "/" + w.file);
      if (at >= 0) {
        EXPECT_GT(at, prev) << w.file << " written before " << prev_what << ":\n" << out;
      }
    }
  }
  if (f.mode == CgroupMode::V1) {
    std::string mem = f.base_of("memory") + "/" + v.path + "/";
    int limit = write_line(out, mem + "memory.limit_in_bytes"), memsw = write_line(out, mem + "memory.memsw.limit_in_bytes");
    if (limit >= 0 && memsw >= 0) {
      EXPECT_LT(limit, memsw) << "a new v1 cgroup takes the limit before memsw:\n" << out;
    }
    std::string cpu = f.base_of("cpu") + "/" + v.path + "/";
    int period = write_line(out, cpu + "cpu.cfs_period_us"), quota = write_line(out, cpu + "cpu.cfs_quota_us");
    if (period >= 0 && quota >= 0) {
      EXPECT_LT(period, quota) << "cfs_period_us goes before cfs_quota_us:\n" << out;
    }
  }
}

void AllValues::all_values(const std::string& name, const Values& v, const std::optional<Values>& converge) {
  std::string seen;
  std::optional<Disk> disk = find_whole_disk(&seen);
  if (!disk) NSPLAN_SKIP_OR_FAIL("no whole disk backed by a device in /sys/dev/block: " + seen);
  // nsplan resolves /dev/... from its own probe: it must name the same whole disk.
  auto known = host_probe().facts.block_device_number(disk->dev);
  ASSERT_TRUE(known) << "nsplan's probe does not resolve " << disk->dev;
  EXPECT_EQ(*known, disk->majmin) << disk->dev;
  EXPECT_FALSE(host_probe().facts.block_device_number("/dev/null")) << "a character device is no disk";
  EXPECT_FALSE(host_probe().facts.block_device_number("/dev/nsplan-t-absent"));

  const std::string path = tmp_.write(name + ".yaml", profile_text(name, v, disk->dev));
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  const HostFacts& f = p.plan().facts;
  const bool v2 = f.mode == CgroupMode::V2;
  const std::string v2_parent_dir = f.cgroup_root + "/" + parent;
  const bool swap_ok = swap_accounting(v2_parent_dir);
  if (v2 && std::getenv("NSPLAN_VM")) {
    EXPECT_TRUE(swap_ok) << "the VM's v2 kernel has memory.swap.max";
  }
  const std::string v1_weight = v2 ? "" : v1_weight_file(p.parent->dir_of("blkio"));
  const Expected e = expected_for(v, *disk, v2, swap_ok, v1_weight);
  SCOPED_TRACE(name + " on cgroup " + (v2 ? "v2" : "v1") + ", disk " + disk->dev + " = " + disk->majmin);

  // The plan's own view of the lossy values: the same warnings.
  std::string diags = diagnostics_text(*p.c);
  for (const auto& w : e.warnings) EXPECT_TRUE(contains(diags, "warning: " + w)) << diags;

  const auto before = parent_state(*p.parent);
  NSPLAN_SANDBOX(sb, tmp_.path());

  // --strict refuses the lossy values and changes nothing.
  if (!e.warnings.empty()) {
    RunResult strict = sb.run(nsplan_cmd("apply", path, parent, "--strict"));
    EXPECT_EQ(strict.code(), 1) << strict.describe();
    for (const auto& w : e.warnings) EXPECT_TRUE(contains(strict.err, "error: " + w)) << strict.describe();
    EXPECT_EQ(p.parent->descendants(), std::vector<std::string>{}) << "apply --strict changed something";
  }

  RunResult apply = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply.code(), 0) << "the kernel refused a write (order or value):\n" << apply.describe();
  expect_warnings(apply, e.warnings, "apply");

  RunResult status = sb.run(nsplan_cmd("status", path, parent, "--json"));
  ASSERT_EQ(status.code(), 0) << status.describe();
  json st = parse_status(status);
  ASSERT_TRUE(st.contains("items")) << status.describe();
  EXPECT_EQ(st["items"].size(), p.plan().steps.size());
  EXPECT_EQ(items_not(st, true), std::vector<std::string>{}) << "missing after apply:\n" << status.out;
  expect_warnings(status, e.warnings, "status");

  expect_values(p.plan(), v, e);
  expect_apply_order(apply.out, p.plan(), v, e);

  // Every value reads back as nsplan wants it: a second apply has nothing to do.
  RunResult same = sb.run(nsplan_cmd("apply", path, parent));
  EXPECT_EQ(same.code(), 0) << same.describe();
  EXPECT_TRUE(contains(same.out, "no changes")) << "a second apply still finds changes:\n" << same.describe();

  // The cgroup tree: v2, the controllers on every ancestor, only those; v1, the hierarchies.
  std::vector<std::vector<std::string>> chains;
  std::vector<std::string> leaves, non_leaves;
  if (v2) {
    expect_v2_chain(v2_parent_dir, v.path, e.controllers, {});
    chains.push_back(chain_below(v2_parent_dir, v.path));
    non_leaves.push_back(v2_parent_dir);
  } else {
    std::set<std::string> bases;
    for (const auto& c : e.controllers) bases.insert(f.base_of(c));
    EXPECT_EQ(bases.size(), p.parent->dirs().size()) << "cgroups made in other hierarchies than the values' own";
    for (const auto& b : bases) chains.push_back(chain_below(b, v.path));
    // v1 cpuset: the levels above the leaf copied their parent's lists.
    auto cs = chain_below(f.base_of("cpuset"), v.path);
    for (size_t i = 0; i + 1 < cs.size(); ++i)
      for (const char* file : {"cpuset.cpus", "cpuset.mems"})
        EXPECT_EQ(list_members(read_file(cs[i] + "/" + file)), list_members(read_file(f.base_of("cpuset") + "/" + file)))
            << cs[i] << "/" << file;
  }
  for (const auto& c : chains) {
    leaves.push_back(c.back());
    non_leaves.insert(non_leaves.end(), c.begin(), c.end() - 1);
  }
  EXPECT_EQ(task_joins(leaves, non_leaves), "");

  if (converge) {
    // A second apply with other values, in place: on v1 raising the limit above the memsw in
    // force needs memsw first, and the kernel must accept the order nsplan picks.
    const Expected e2 = expected_for(*converge, *disk, v2, swap_ok, v1_weight);
    tmp_.write(name + ".yaml", profile_text(name, *converge, disk->dev));
    auto c2 = compile_for_host(path, parent);
    ASSERT_TRUE(c2->ok()) << diagnostics_text(*c2);
    RunResult again = sb.run(nsplan_cmd("apply", path, parent));
    ASSERT_EQ(again.code(), 0) << "the kernel refused the changed values:\n" << again.describe();
    EXPECT_TRUE(contains(again.out, "change(s), 0 removal(s)")) << again.describe();
    expect_values(*c2->plan, *converge, e2);
    if (!v2) {
      std::string mem = f.base_of("memory") + "/" + v.path + "/";
      int limit = write_line(again.out, mem + "memory.limit_in_bytes");
      int memsw = write_line(again.out, mem + "memory.memsw.limit_in_bytes");
      EXPECT_GE(limit, 0) << again.out;
      EXPECT_GE(memsw, 0) << again.out;
      EXPECT_LT(memsw, limit) << "raising the v1 limit above the memsw in force needs memsw first:\n" << again.out;
    }
    RunResult status2 = sb.run(nsplan_cmd("status", path, parent, "--json"));
    EXPECT_EQ(items_not(parse_status(status2), true), std::vector<std::string>{}) << status2.out;
  }

  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  ASSERT_EQ(destroy.code(), 0) << destroy.describe();
  expect_destroy_order(destroy.out, chains, v2_parent_dir, v2 ? e.controllers : std::vector<std::string>{});
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
  EXPECT_EQ(state_diff(before, parent_state(*p.parent)), "") << "destroy left the test's parent changed";
  RunResult after = sb.run(nsplan_cmd("status", path, parent, "--json"));
  EXPECT_EQ(items_not(parse_status(after), false), std::vector<std::string>{}) << after.out;

  // The explain script writes in the same order, and the kernel takes it too.
  if (converge) tmp_.write(name + ".yaml", profile_text(name, v, disk->dev));
  std::string script = tmp_.file("explain-" + name + ".sh"), teardown = tmp_.file("destroy-" + name + ".sh");
  RunResult sh = sb.run(nsplan_cmd("explain", path, parent, "--no-run") + " > " + shq(script) + " && sh " + shq(script));
  ASSERT_EQ(sh.code(), 0) << "the kernel refused the explain script:\n" << sh.describe() << read_file(script);
  expect_values(p.plan(), v, e);
  RunResult down = sb.run(nsplan_cmd("explain", path, parent, "--destroy") + " > " + shq(teardown) + " && sh " +
                          shq(teardown));
  ASSERT_EQ(down.code(), 0) << down.describe() << read_file(teardown);
  EXPECT_EQ(p.parent->descendants(), std::vector<std::string>{}) << "after explain --destroy | sh";
}

// ---- the value sets -------------------------------------------------------------------------

// CPUs to pin to: two of the usable ones, written "a,b" (the kernel reads "a-b" or "a,b").
std::string two_cpus() {
  auto cpus = usable_cpus();
  std::vector<int> v(cpus.begin(), cpus.end());
  if (v.size() >= 2) return std::to_string(v[0]) + "," + std::to_string(v[1]);
  return v.empty() ? "0" : std::to_string(v[0]);
}
std::string last_cpu() {
  auto cpus = usable_cpus();
  return cpus.empty() ? "0" : std::to_string(*cpus.rbegin());
}

// Finite limits everywhere, sizes not page-aligned, soft (not low), cpu weight, cpu.max in cores
// with its own period, all four io keys.
Values finite_values() {
  Values v;
  v.max = sz("1000000001", 1000000001ull);  // not page-aligned: reads 999997440 with 4K pages
  v.swap = sz("512M", 536870912ull);        // v1 memsw = 1536870913
  v.soft = sz("256M", 268435456ull);        // v2 memory.low
  v.high = sz("838861000", 838861000ull);
  v.min = sz("64M", 67108864ull);
  v.weight = 250;                            // v1 cpu.shares 2560
  v.cpu_max = CpuMaxValue{"1.5", false, 120000, 80000};  // 1.5 CPUs of 80000 us
  v.period = 80000;
  v.cpus = two_cpus();
  v.mems = "0";
  v.pids = sz("123", 123);
  v.io_weight = 250;  // v1 BFQ 250, unchanged
  v.rbps = sz("10M", 10485760ull);
  v.wbps = sz("5M", 5242880ull);
  v.riops = sz("1000", 1000);
  v.wiops = sz("500", 500);
  return v;
}

TEST_F(AllValues, FiniteLimitsSoftAndWeight) {
  Values raised = finite_values();
  raised.max = sz("2G", 2147483648ull);  // above the memsw in force (1536870913) on v1
  raised.swap = sz("1G", 1073741824ull);
  all_values("nspt-allv-a", finite_values(), raised);
}

// low (not soft), cpu shares, QUOTA/PERIOD, the edges: swap 0, high max, min 0, pids max, io
// rbps max and a subset of the io keys.
TEST_F(AllValues, LowSharesZeroesAndMax) {
  Values v;
  v.max = sz("2G", 2147483648ull);
  v.swap = sz("0", 0);  // v1 memsw = max
  v.low = sz("128M", 134217728ull);
  v.high = sz_max();
  v.min = sz("0", 0);
  v.shares = 2048;  // v2 cpu.weight 174 (runc's formula)
  v.cpu_max = CpuMaxValue{"25000/50000", false, 25000, 50000};
  v.cpus = last_cpu();
  v.mems = "0";
  v.pids = sz_max();
  v.io_weight = 100;
  v.rbps = sz_max();  // v1: "MAJ:MIN 0", no rule
  v.wbps = sz("1M", 1048576ull);
  v.riops = sz("77", 77);
  all_values("nspt-allv-b", v);
}

// soft and low together, weight and shares together, max everywhere it can be, one io key.
TEST_F(AllValues, SoftAndLowWeightAndSharesUnlimited) {
  Values v;
  v.path = "allv-c";  // one level: the leaf right below the test's parent
  v.max = sz_max();
  v.swap = sz("1G", 1073741824ull);  // v1: no finite max, so no memsw (warning)
  v.soft = sz("100M", 104857600ull);
  v.low = sz("200M", 209715200ull);  // v2: low wins over soft (warning)
  v.high = sz("1G", 1073741824ull);
  v.min = sz("10M", 10485760ull);
  v.weight = 250;   // v2 cpu.weight as written
  v.shares = 3000;  // v1 cpu.shares as written
  v.cpu_max = CpuMaxValue{"max", true, 0, 100000};
  v.cpus = two_cpus();
  v.mems = "0";
  v.pids = sz("1", 1);
  v.io_weight = 10000;  // v1 BFQ 1000, with a warning
  v.wiops = sz("40", 40);
  all_values("nspt-allv-c", v);
}

// ---- only the controllers the profile needs, and destroy gives back only what it took ----------

TEST_F(AllValues, ControllersOnlyWhereNeededAndDestroyGivesBackOnlyWhatItEnabled) {
  const std::string path = tmp_.write("ctl.yaml",
                                      "nsplan: 1\n"
                                      "name: nspt-allv-ctl\n"
                                      "cgroup:\n"
                                      "  path: ctl/mid/leaf\n"
                                      "  memory:\n"
                                      "    max: 64M\n"
                                      "  pids:\n"
                                      "    max: 50\n");
  const HostFacts& facts = host_probe().facts;
  const bool v2 = facts.mode == CgroupMode::V2;
  const std::vector<std::string> needed = {"memory", "pids"};
  // Round 1: the parent enables nothing for its children. Round 2 (v2): it already enables cpu
  // (not needed) and memory (needed): both must stay, only pids comes and goes.
  for (int round = 1; round <= (v2 ? 2 : 1); ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " on cgroup " + (v2 ? "v2" : "v1"));
    std::vector<std::string> in_root = needed;
    if (round == 2) in_root.push_back("cpu");
    CgroupParent cg(in_root);
    ASSERT_TRUE(cg.ok()) << cg.error();
    const std::string parent_dir = cg.dir_of("memory");
    std::set<std::string> parent_before;
    if (round == 2) {
      ASSERT_EQ(write_cgroup_file(parent_dir + "/cgroup.subtree_control", "+cpu +memory"), "");
      parent_before = {"cpu", "memory"};
    }
    auto c = compile_for_host(path, cg.name());
    ASSERT_TRUE(c->ok()) << diagnostics_text(*c);
    const auto before = parent_state(cg);
    NSPLAN_SANDBOX(sb, tmp_.path());
    RunResult apply = sb.run(nsplan_cmd("apply", path, cg.name()));
    ASSERT_EQ(apply.code(), 0) << apply.describe();
    EXPECT_EQ(count_severity(apply.err, "warning"), 0) << apply.describe();

    std::vector<std::vector<std::string>> chains;
    std::vector<std::string> leaves, non_leaves;
    std::vector<std::string> disabled;
    if (v2) {
      expect_v2_chain(parent_dir, "ctl/mid/leaf", needed, parent_before);
      // The apply says what it enabled where: in the parent only what was missing.
      int en = line_index(apply.out, {"~", parent_dir + "/cgroup.subtree_control"});
      ASSERT_GE(en, 0) << apply.out;
      std::set<std::string> said;
      for (const auto& w : words_in(lines_of(apply.out)[en]))
        if (starts_with(w, "+")) said.insert(w.substr(1));
      for (const auto& n : needed)
        if (!parent_before.count(n)) disabled.push_back(n);
      EXPECT_EQ(set_text(said), set_text({disabled.begin(), disabled.end()})) << apply.out;
      // Not one controller more below the parent than the profile needs (in round 2 the
      // parent's own cpu reaches its child ctl, but no further).
      for (const auto& d : chain_below(parent_dir, "ctl/mid/leaf"))
        for (const char* other : {"cpu", "io", "cpuset", "hugetlb", "rdma", "misc"})
          if (!(round == 2 && d == parent_dir + "/ctl")) {
            EXPECT_FALSE(word_set(read_file(d + "/cgroup.controllers")).count(other))
                << other << " reaches " << d << ": " << read_file(d + "/cgroup.controllers");
          }
      chains.push_back(chain_below(parent_dir, "ctl/mid/leaf"));
      non_leaves.push_back(parent_dir);
    } else {
      // v1: the path is made only in the memory and pids hierarchies.
      std::set<std::string> made;
      for (const auto& step : c->plan->steps)
        if (auto* m = std::get_if<plan::MakeCgroup>(&step.action)) made.insert(m->dir);
      for (const auto& d : made)
        EXPECT_TRUE(starts_with(d, cg.dir_of("memory") + "/") || starts_with(d, cg.dir_of("pids") + "/"))
            << d << " is outside the memory and pids hierarchies";
      for (const char* ctl : {"memory", "pids"}) chains.push_back(chain_below(cg.dir_of(ctl), "ctl/mid/leaf"));
      EXPECT_EQ(made.size(), 6u) << "three levels in two hierarchies";
    }
    for (const auto& ch : chains) {
      leaves.push_back(ch.back());
      non_leaves.insert(non_leaves.end(), ch.begin(), ch.end() - 1);
    }
    EXPECT_EQ(task_joins(leaves, non_leaves), "");

    RunResult destroy = sb.run(nsplan_cmd("destroy", path, cg.name()));
    ASSERT_EQ(destroy.code(), 0) << destroy.describe();
    expect_destroy_order(destroy.out, chains, parent_dir, disabled);
    EXPECT_EQ(leftovers_in(sb, &cg, "nspt-allv-ctl"), std::vector<std::string>{});
    EXPECT_EQ(state_diff(before, parent_state(cg)), "")
        << "destroy must leave the parent as it was: disable only what it enabled";
    if (round == 2) {
      EXPECT_EQ(write_cgroup_file(parent_dir + "/cgroup.subtree_control", "-cpu -memory"), "");
    }
  }
}

// ---- values that leave the profile ------------------------------------------------------------
//
// Converging to a profile must leave the cgroups as a fresh apply of that profile would: the
// values dropped from it go back to the kernel's defaults, in an order the kernel accepts, and on
// v2 the controllers no longer needed are no longer enabled below the parent.

// The configuration files of every cgroup below the parent (and the parent's subtree_control), in
// every hierarchy: what apply can have changed.
std::map<std::string, std::string> config_below(const CgroupParent& parent) {
  static const char* kFiles[] = {
      "cgroup.subtree_control", "memory.max", "memory.swap.max", "memory.low", "memory.high", "memory.min",
      "cpu.weight", "cpu.max", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max",
      "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes", "cpu.shares",
      "cpu.cfs_period_us", "cpu.cfs_quota_us", "blkio.bfq.weight", "blkio.weight",
      "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
      "blkio.throttle.write_iops_device"};
  std::map<std::string, std::string> s;
  std::vector<std::string> dirs = parent.dirs();
  for (const auto& d : parent.descendants()) dirs.push_back(d);
  for (const auto& d : dirs) {
    bool top = std::find(parent.dirs().begin(), parent.dirs().end(), d) != parent.dirs().end();
    s[d] = "(cgroup)";
    for (const char* f : kFiles) {
      if (top && std::string(f) != "cgroup.subtree_control") continue;
      std::string p = d + "/" + f;
      if (!path_exists(p)) continue;
      std::string v = trim(read_file(p));
      if (std::string(f) == "cgroup.subtree_control") v = set_text(word_set(v));
      s[p] = v;
    }
  }
  return s;
}

TEST_F(AllValues, ConvergingDropsValuesAsAFreshApplyWould) {
  std::string seen;
  std::optional<Disk> disk = find_whole_disk(&seen);
  if (!disk) NSPLAN_SKIP_OR_FAIL("no whole disk backed by a device in /sys/dev/block: " + seen);
  const std::string full =
      "nsplan: 1\n"
      "name: nspt-allv-conv\n"
      "cgroup:\n"
      "  path: conv/leaf\n"
      "  memory:\n"
      "    max: 1G\n"
      "    swap: 512M\n"
      "  cpu:\n"
      "    max: 50%\n"
      "  io:\n"
      "    weight: 200\n"
      "    devices:\n"
      "      - device: " + disk->dev + "\n"
      "        rbps: 1M\n"
      "  pids:\n"
      "    max: 10\n";
  // max raised above the memsw in force (1.5G on v1), swap, cpu and io gone.
  const std::string lean =
      "nsplan: 1\n"
      "name: nspt-allv-conv\n"
      "cgroup:\n"
      "  path: conv/leaf\n"
      "  memory:\n"
      "    max: 2G\n"
      "  pids:\n"
      "    max: 10\n";
  const std::string path = tmp_.write("conv.yaml", full);
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  const bool v2 = p.plan().facts.mode == CgroupMode::V2;
  SCOPED_TRACE(std::string("cgroup ") + (v2 ? "v2" : "v1"));
  const auto before = parent_state(*p.parent);
  std::map<std::string, std::string> converged, fresh;
  {
    NSPLAN_SANDBOX(sb, tmp_.path());
    RunResult a1 = sb.run(nsplan_cmd("apply", path, parent));
    ASSERT_EQ(a1.code(), 0) << a1.describe();
    tmp_.write("conv.yaml", lean);
    RunResult a2 = sb.run(nsplan_cmd("apply", path, parent));
    EXPECT_EQ(a2.code(), 0) << "converging to the lean profile failed:\n" << a2.describe();
    converged = config_below(*p.parent);
    RunResult d = sb.run(nsplan_cmd("destroy", path, parent));
    ASSERT_EQ(d.code(), 0) << d.describe();
    EXPECT_EQ(state_diff(before, parent_state(*p.parent)), "");
  }
  {
    NSPLAN_SANDBOX(sb, tmp_.path());
    RunResult a = sb.run(nsplan_cmd("apply", path, parent));
    ASSERT_EQ(a.code(), 0) << a.describe();
    fresh = config_below(*p.parent);
    if (v2) expect_v2_chain(p.parent->dir_of("memory"), "conv/leaf", {"memory", "pids"}, {});
    RunResult d = sb.run(nsplan_cmd("destroy", path, parent));
    ASSERT_EQ(d.code(), 0) << d.describe();
    EXPECT_EQ(state_diff(before, parent_state(*p.parent)), "");
  }
  EXPECT_EQ(state_diff(fresh, converged), "")
      << "after converging (was: now) differs from a fresh apply of the same profile";
}

// ---- the seed's example ------------------------------------------------------------------------

TEST_F(AllValues, SeedFirefoxProfile) {
  const std::string path = source_dir() + "/profiles/firefox.yaml";
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name(), name = p.plan().profile;
  const HostFacts& f = p.plan().facts;
  const bool v2 = f.mode == CgroupMode::V2;
  const std::string leaf = f.base_of("memory") + "/memlimit";
  std::map<std::string, std::string> want =
      v2 ? std::map<std::string, std::string>{{"memory.max", "3221225472"},
                                              {"memory.swap.max", "3221225472"},
                                              {"memory.low", "1073741824"}}
         : std::map<std::string, std::string>{{"memory.limit_in_bytes", "3221225472"},
                                              {"memory.memsw.limit_in_bytes", "6442450944"},
                                              {"memory.soft_limit_in_bytes", "1073741824"}};
  const auto before = parent_state(*p.parent);
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  EXPECT_EQ(count_severity(apply.err, "warning"), 0) << apply.describe();
  for (const auto& [file, value] : want) EXPECT_EQ(trim(read_file(leaf + "/" + file)), value) << leaf << "/" << file;
  if (v2) {
    expect_v2_chain(f.cgroup_root + "/" + parent, "memlimit", {"memory"}, {});
    // memory.high stays unlimited: soft is never memory.high.
    EXPECT_EQ(trim(read_file(leaf + "/memory.high")), "max");
  }
  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  ASSERT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
  EXPECT_EQ(state_diff(before, parent_state(*p.parent)), "");
}

}  // namespace
}  // namespace nsplan::kernel_test
