#include "applier/cgroup_usage.h"

#include <charconv>
#include <map>
#include <set>
#include <sstream>

#include <cstdio>

#include "compiler/cgroup_files.h"

namespace nsplan::applier {
namespace {

std::optional<uint64_t> number(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}


std::optional<uint64_t> key(const std::map<std::string, uint64_t>& m, const char* k) {
  auto it = m.find(k);
  return it == m.end() ? std::nullopt : std::optional<uint64_t>(it->second);
}

class Reader {
 public:
  Reader(Kernel& k, const HostFacts& f, const std::vector<std::string>& dirs) : k_(k), f_(f), dirs_(dirs) {}

  // The file of CONTROLLER's hierarchy (v2: the one directory); nothing when absent.
  std::optional<std::string> read(const std::string& controller, const std::string& file) {
    auto dir = dir_of(controller);
    if (!dir) return std::nullopt;
    auto r = k_.cgroup_read(*dir, file);
    if (!r.ok()) return std::nullopt;
    return r.value();
  }
  std::optional<uint64_t> read_number(const std::string& controller, const std::string& file) {
    auto t = read(controller, file);
    return t ? number(*t) : std::nullopt;
  }
  std::map<std::string, uint64_t> read_keys(const std::string& controller, const std::string& file) {
    auto t = read(controller, file);
    return t ? key_numbers(*t) : std::map<std::string, uint64_t>{};
  }
  bool v2() const { return f_.mode == CgroupMode::V2; }
  const HostFacts& facts() const { return f_; }
  const std::vector<std::string>& dirs() const { return dirs_; }
  Kernel& kernel() { return k_; }

 private:
  std::optional<std::string> dir_of(const std::string& controller) const {
    if (dirs_.empty()) return std::nullopt;
    if (v2()) return dirs_.front();
    const std::string root = f_.hierarchy_of(controller) + "/";
    for (const auto& d : dirs_)
      if (d.rfind(root, 0) == 0) return d;
    return std::nullopt;
  }

  Kernel& k_;
  const HostFacts& f_;
  const std::vector<std::string>& dirs_;
};

void read_memory(Reader& r, CgroupUsage& u) {
  if (r.v2()) {
    u.memory_bytes = r.read_number("memory", "memory.current");
    u.memory_peak_bytes = r.read_number("memory", "memory.peak");  // Linux 5.19
    u.swap_bytes = r.read_number("memory", "memory.swap.current");
    auto events = r.read_keys("memory", "memory.events");
    u.oom_kills = key(events, "oom_kill");
    u.memory_max_hits = key(events, "max");
    return;
  }
  u.memory_bytes = r.read_number("memory", "memory.usage_in_bytes");
  u.memory_peak_bytes = r.read_number("memory", "memory.max_usage_in_bytes");
  if (auto memsw = r.read_number("memory", "memory.memsw.usage_in_bytes"); memsw && u.memory_bytes)
    u.swap_bytes = *memsw >= *u.memory_bytes ? *memsw - *u.memory_bytes : 0;
  u.oom_kills = key(r.read_keys("memory", "memory.oom_control"), "oom_kill");  // Linux 4.13
  u.memory_max_hits = r.read_number("memory", "memory.failcnt");
}

void read_cpu(Reader& r, CgroupUsage& u) {
  if (r.v2()) {
    auto stat = r.read_keys("cpu", "cpu.stat");  // usage_usec is there without the cpu controller
    u.cpu_usec = key(stat, "usage_usec");
    u.throttled_usec = key(stat, "throttled_usec");
    u.throttled_periods = key(stat, "nr_throttled");
    return;
  }
  if (auto ns = r.read_number("cpuacct", "cpuacct.usage")) u.cpu_usec = *ns / 1000;
  auto stat = r.read_keys("cpu", "cpu.stat");
  if (auto ns = key(stat, "throttled_time")) u.throttled_usec = *ns / 1000;
  u.throttled_periods = key(stat, "nr_throttled");
}

void read_io(Reader& r, CgroupUsage& u) {
  std::map<std::string, CgroupUsage::Io> by_device;
  if (r.v2()) {
    // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
    auto text = r.read("io", "io.stat");
    if (!text) return;
    u.io_known = true;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string dev, kv;
      if (!(words >> dev)) continue;
      CgroupUsage::Io& io = by_device[dev];
      io.device = dev;
      while (words >> kv) {
        auto eq = kv.find('=');
        auto n = eq == std::string::npos ? std::nullopt : number(kv.substr(eq + 1));
        if (!n) continue;
        std::string k = kv.substr(0, eq);
        if (k == "rbytes") io.read_bytes = *n;
        else if (k == "wbytes") io.written_bytes = *n;
        else if (k == "rios") io.reads = *n;
        else if (k == "wios") io.writes = *n;
      }
    }
  } else {
    // "8:0 Read 4096" lines, and "Total N" at the end.
    for (auto [file, is_bytes] : {std::pair{"blkio.throttle.io_service_bytes", true}, {"blkio.throttle.io_serviced", false}}) {
      auto text = r.read("blkio", file);
      if (!text) continue;
      u.io_known = true;
      std::istringstream in(*text);
      std::string dev, op, v;
      while (in >> dev) {
        if (dev == "Total") {
          in >> v;
          continue;
        }
        if (!(in >> op >> v)) break;
        auto n = number(v);
        if (!n) continue;
        CgroupUsage::Io& io = by_device[dev];
        io.device = dev;
        if (op == "Read") (is_bytes ? io.read_bytes : io.reads) = *n;
        else if (op == "Write") (is_bytes ? io.written_bytes : io.writes) = *n;
      }
    }
  }
  for (auto& [dev, io] : by_device)
    if (io.read_bytes || io.written_bytes || io.reads || io.writes) u.io.push_back(io);
}

// Per huge page size of the host: what the group holds in pages of that size, and how often
// an allocation failed at its limit.
void read_hugetlb(Reader& r, CgroupUsage& u) {
  if (!r.facts().huge_page_sizes) return;
  for (uint64_t size : *r.facts().huge_page_sizes) {
    const std::string page = cgroup_files::page_size_name(size);
    const std::string prefix = "hugetlb." + page;
    auto bytes = r.read_number("hugetlb", prefix + (r.v2() ? ".current" : ".usage_in_bytes"));
    if (!bytes) continue;
    CgroupUsage::Hugetlb h{page, *bytes, std::nullopt};
    h.max_hits = r.v2() ? key(r.read_keys("hugetlb", prefix + ".events"), "max") : r.read_number("hugetlb", prefix + ".failcnt");
    u.hugetlb.push_back(h);
  }
}

std::string seconds(uint64_t usec) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(usec) / 1e6);
  return buf;
}

}  // namespace

std::string short_bytes(uint64_t b) {
  // Whole units, rounded to one decimal: "312M", "1.2G".
  static const char* kUnits[] = {"", "K", "M", "G", "T", "P"};
  double v = static_cast<double>(b);
  int i = 0;
  while (v >= 1024 && i < 5) v /= 1024, ++i;
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 && i > 0 ? "%.1f%s" : "%.0f%s", v, kUnits[i]);
  return buf;
}

std::map<std::string, uint64_t> key_numbers(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string k, v;
    if (words >> k >> v)
      if (auto n = number(v)) out[k] = *n;
  }
  return out;
}

bool CgroupUsage::any() const {
  return processes || memory_bytes || cpu_usec || pids || frozen || !io.empty() || !hugetlb.empty();
}

CgroupUsage read_usage(Kernel& kernel, const HostFacts& facts, const std::vector<std::string>& dirs) {
  CgroupUsage u;
  const HostFacts with_limits = facts.with_limits();  // the huge page sizes
  Reader r(kernel, with_limits, dirs);
  std::set<std::string> pids;
  bool read_any = false;
  for (const auto& d : dirs) {
    auto procs = kernel.cgroup_read(d, "cgroup.procs");
    if (!procs.ok()) continue;
    read_any = true;
    std::istringstream in(procs.value());
    for (std::string p; in >> p;) pids.insert(p);
  }
  if (!read_any) return u;  // nothing is there (not applied)
  u.processes = pids.size();
  read_memory(r, u);
  read_cpu(r, u);
  u.pids = r.read_number("pids", "pids.current");
  u.pids_max_hits = key(r.read_keys("pids", "pids.events"), "max");
  read_io(r, u);
  read_hugetlb(r, u);
  if (r.v2()) {
    if (auto events = r.read("", "cgroup.events")) {
      auto k = key_numbers(*events);
      if (auto f = key(k, "frozen")) u.frozen = *f == 1;
    }
  } else if (auto state = r.read("freezer", "freezer.state")) {
    u.frozen = *state == "FROZEN";
  }
  return u;
}

std::optional<uint64_t> oom_kills(Kernel& kernel, const HostFacts& facts, const std::vector<std::string>& dirs) {
  Reader r(kernel, facts, dirs);
  return r.v2() ? key(r.read_keys("memory", "memory.events"), "oom_kill")
                : key(r.read_keys("memory", "memory.oom_control"), "oom_kill");
}

nlohmann::ordered_json usage_json(const CgroupUsage& u) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto put = [&](nlohmann::ordered_json& obj, const char* k, const std::optional<uint64_t>& v) {
    if (v) obj[k] = *v;
  };
  put(j, "processes", u.processes);
  nlohmann::ordered_json memory = nlohmann::ordered_json::object();
  put(memory, "current_bytes", u.memory_bytes);
  put(memory, "peak_bytes", u.memory_peak_bytes);
  put(memory, "swap_bytes", u.swap_bytes);
  put(memory, "oom_kills", u.oom_kills);
  put(memory, "max_hits", u.memory_max_hits);
  if (!memory.empty()) j["memory"] = memory;
  nlohmann::ordered_json cpu = nlohmann::ordered_json::object();
  put(cpu, "usage_usec", u.cpu_usec);
  put(cpu, "throttled_usec", u.throttled_usec);
  put(cpu, "throttled_periods", u.throttled_periods);
  if (!cpu.empty()) j["cpu"] = cpu;
  nlohmann::ordered_json pids = nlohmann::ordered_json::object();
  put(pids, "current", u.pids);
  put(pids, "max_hits", u.pids_max_hits);
  if (!pids.empty()) j["pids"] = pids;
  if (!u.io.empty()) {
    j["io"] = nlohmann::ordered_json::array();
    for (const auto& io : u.io)
      j["io"].push_back({{"device", io.device}, {"read_bytes", io.read_bytes}, {"written_bytes", io.written_bytes},
                         {"reads", io.reads}, {"writes", io.writes}});
  }
  if (!u.hugetlb.empty()) {
    j["hugetlb"] = nlohmann::ordered_json::array();
    for (const auto& h : u.hugetlb) {
      nlohmann::ordered_json one = {{"page", h.page}, {"current_bytes", h.bytes}};
      put(one, "max_hits", h.max_hits);
      j["hugetlb"].push_back(one);
    }
  }
  if (u.frozen) j["frozen"] = *u.frozen;
  return j;
}

std::vector<std::string> usage_lines(const CgroupUsage& u) {
  std::vector<std::string> out;
  if (u.processes)
    out.push_back("processes  " + std::to_string(*u.processes) + (u.frozen && *u.frozen ? ", frozen" : ""));
  if (u.memory_bytes) {
    std::string l = "memory     " + short_bytes(*u.memory_bytes) + " now";
    if (u.memory_peak_bytes) l += ", " + short_bytes(*u.memory_peak_bytes) + " at most";
    if (u.swap_bytes && *u.swap_bytes) l += ", " + short_bytes(*u.swap_bytes) + " swapped";
    if (u.memory_max_hits && *u.memory_max_hits) l += "; limit reached " + std::to_string(*u.memory_max_hits) + " times";
    if (u.oom_kills && *u.oom_kills) l += "; " + std::to_string(*u.oom_kills) + " killed by the OOM killer";
    out.push_back(l);
  }
  if (u.cpu_usec) {
    std::string l = "cpu        " + seconds(*u.cpu_usec) + " used";
    if (u.throttled_periods && *u.throttled_periods)
      l += "; throttled in " + std::to_string(*u.throttled_periods) + " periods" +
           (u.throttled_usec ? " (" + seconds(*u.throttled_usec) + ")" : "");
    out.push_back(l);
  }
  if (u.pids) {
    std::string l = "tasks      " + std::to_string(*u.pids);
    if (u.pids_max_hits && *u.pids_max_hits) l += "; refused " + std::to_string(*u.pids_max_hits) + " forks at the limit";
    out.push_back(l);
  }
  for (const auto& h : u.hugetlb) {
    std::string l = "hugetlb " + h.page + std::string(h.page.size() < 3 ? 3 - h.page.size() : 1, ' ') + short_bytes(h.bytes) + " now";
    if (h.max_hits && *h.max_hits) l += "; limit reached " + std::to_string(*h.max_hits) + " times";
    out.push_back(l);
  }
  for (const auto& io : u.io)
    out.push_back("io " + io.device + std::string(io.device.size() < 8 ? 8 - io.device.size() : 1, ' ') + short_bytes(io.read_bytes) +
                  " read (" + std::to_string(io.reads) + " ops), " + short_bytes(io.written_bytes) + " written (" +
                  std::to_string(io.writes) + " ops)");
  return out;
}

}  // namespace nsplan::applier
