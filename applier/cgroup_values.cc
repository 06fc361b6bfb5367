#include "applier/cgroup_values.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace nsplan::applier {
namespace {

bool is_memory_limit(const std::string& f) {
  return f == "memory.limit_in_bytes" || f == "memory.memsw.limit_in_bytes" || f == "memory.soft_limit_in_bytes" ||
         f == "memory.max" || f == "memory.swap.max" || f == "memory.high" || f == "memory.low" || f == "memory.min";
}

std::optional<unsigned long long> number(const std::string& s) {
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

std::string first_word(const std::string& s) { return s.substr(0, s.find(' ')); }

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
// what v1 reads back as the largest page-aligned number. Nothing for what is not a limit.
std::optional<unsigned long long> memory_pages(const std::string& value) {
  const auto page = static_cast<unsigned long long>(page_size());
  const unsigned long long counter_max = sizeof(long) == 8 ? std::numeric_limits<long>::max() / page
                                                           : std::numeric_limits<long>::max();
  if (value == "max" || value == "-1") return counter_max;
  auto bytes = number(value);
  if (!bytes) return std::nullopt;
  return std::min(*bytes / page, counter_max);
}

}  // namespace

long page_size() {
  static long size = sysconf(_SC_PAGESIZE);
  return size > 0 ? size : 4096;
}

bool cgroup_value_matches(const std::string& file, const std::string& wanted, const std::string& read) {
  if (wanted == read) return true;
  if (is_memory_limit(file)) {
    auto w = memory_pages(wanted), r = memory_pages(read);
    return w && r && *w == *r;
  }
  if (file == "cpuset.cpus" || file == "cpuset.mems") return members(wanted) == members(read);
  if (file == "io.weight" || file == "blkio.bfq.weight" || file == "blkio.weight") {
    // "default 100" (and per-device lines after it), or a bare number.
    auto ls = lines(read);
    if (ls.empty()) return false;
    std::string want = wanted.rfind("default ", 0) == 0 ? wanted.substr(8) : wanted;
    std::string got = ls[0].rfind("default ", 0) == 0 ? ls[0].substr(8) : ls[0];
    return want == got;
  }
  if (file == "io.max") {
    // Compare only the keys nsplan set, on the device's line.
    std::string dev = first_word(wanted);
    for (const auto& l : lines(read)) {
      if (first_word(l) != dev) continue;
      auto have = key_values(l);
      for (const auto& [k, v] : key_values(wanted))
        if (have[k] != v) return false;
      return true;
    }
    return false;
  }
  if (file.rfind("blkio.throttle.", 0) == 0) {
    std::string dev = first_word(wanted);
    std::string value = wanted.substr(wanted.find(' ') + 1);
    for (const auto& l : lines(read))
      if (first_word(l) == dev) return l.substr(l.find(' ') + 1) == value;
    return value == "0";  // 0 removes the rule: no line is the same thing
  }
  return false;
}

}  // namespace nsplan::applier
