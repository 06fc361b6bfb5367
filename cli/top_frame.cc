#include "cli/top_frame.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "compiler/escape.h"

namespace nsplan::cli::top {
namespace {

// Per second over SECONDS of a counter read as FROM then TO; none when it went backwards.
std::optional<double> rate(uint64_t from, uint64_t to, double seconds) {
  if (to < from || seconds <= 0) return std::nullopt;
  return static_cast<double>(to - from) / seconds;
}

std::pair<uint64_t, uint64_t> io_totals(const applier::CgroupUsage& u) {
  uint64_t read = 0, written = 0;
  for (const auto& io : u.io) read += io.read_bytes, written += io.written_bytes;
  return {read, written};
}

template <class T>
std::string shown(const std::optional<T>& v, std::string (*text)(T)) {
  return v ? text(*v) : "-";
}
std::string count_text(uint64_t n) { return std::to_string(n); }
std::string bytes_text(uint64_t n) { return applier::short_bytes(n); }
std::string rate_text(double per_second) { return applier::short_bytes(static_cast<uint64_t>(per_second + 0.5)); }
std::string percent_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", p);
  return buf;
}

// Descending with unknown values last; 0 when equal.
template <class T>
int larger_first(const std::optional<T>& a, const std::optional<T>& b) {
  if (a && b) return *a > *b ? -1 : *a < *b ? 1 : 0;
  return a ? -1 : b ? 1 : 0;
}

}  // namespace

std::vector<Row> rows(const Snapshot* before, const Snapshot& now) {
  std::map<std::string, const Sample*> earlier;
  if (before)
    for (const auto& s : before->samples) earlier[s.profile] = &s;
  const double seconds = before ? now.seconds - before->seconds : 0;
  std::vector<Row> out;
  for (const auto& s : now.samples) {
    const applier::CgroupUsage& u = s.usage;
    Row r{s.profile, s.cgroup, u.processes, std::nullopt, u.memory_bytes, std::nullopt, std::nullopt, u.pids};
    auto it = earlier.find(s.profile);
    if (it != earlier.end() && it->second->cgroup == s.cgroup) {
      const applier::CgroupUsage& was = it->second->usage;
      if (was.cpu_usec && u.cpu_usec)
        if (auto usec = rate(*was.cpu_usec, *u.cpu_usec, seconds)) r.cpu_percent = *usec / 1e6 * 100;
      if (was.io_known && u.io_known) {
        auto [read0, written0] = io_totals(was);
        auto [read1, written1] = io_totals(u);
        r.read_per_second = rate(read0, read1, seconds);
        r.written_per_second = rate(written0, written1, seconds);
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<SortKey> sort_key(std::string_view word) {
  static constexpr SortKey kKeys[] = {SortKey::Cpu, SortKey::Memory, SortKey::Tasks, SortKey::Name};
  for (size_t i = 0; i < std::size(kSortKeys); ++i)
    if (word == kSortKeys[i]) return kKeys[i];
  return std::nullopt;
}

void sort_rows(std::vector<Row>& rows, SortKey key) {
  std::stable_sort(rows.begin(), rows.end(), [key](const Row& a, const Row& b) {
    int c = 0;
    switch (key) {
      case SortKey::Cpu: c = larger_first(a.cpu_percent, b.cpu_percent); break;
      case SortKey::Memory: c = larger_first(a.memory_bytes, b.memory_bytes); break;
      case SortKey::Tasks: c = larger_first(a.tasks, b.tasks); break;
      case SortKey::Name: break;
    }
    if (c != 0) return c < 0;
    return a.profile < b.profile;
  });
}

std::string render(const std::vector<Row>& rows, size_t width) {
  constexpr size_t kColumns = 8;
  using Line = std::array<std::string, kColumns>;
  // Text columns (profile, cgroup) are aligned left, numbers right.
  constexpr std::array<bool, kColumns> kLeft = {true, true, false, false, false, false, false, false};
  std::vector<Line> lines{{"PROFILE", "CGROUP", "TASKS", "CPU%", "MEMORY", "READ/S", "WRITE/S", "PIDS"}};
  for (const auto& r : rows)
    lines.push_back({text::escaped(r.profile), text::escaped(r.cgroup), shown(r.tasks, count_text),
                     shown(r.cpu_percent, percent_text), shown(r.memory_bytes, bytes_text),
                     shown(r.read_per_second, rate_text), shown(r.written_per_second, rate_text), shown(r.pids, count_text)});
  std::array<size_t, kColumns> w{};
  for (const auto& l : lines)
    for (size_t i = 0; i < kColumns; ++i) w[i] = std::max(w[i], l[i].size());
  std::string out;
  for (const auto& l : lines) {
    std::string text;
    for (size_t i = 0; i < kColumns; ++i) {
      const std::string pad(w[i] - l[i].size(), ' ');
      if (i > 0) text += "  ";
      text += kLeft[i] ? (i + 1 < kColumns ? l[i] + pad : l[i]) : pad + l[i];
    }
    if (width && text.size() > width) text.resize(width);
    out += text + "\n";
  }
  if (rows.empty()) out += "(no applied profile has a cgroup that nsplan made)\n";
  return out;
}

}  // namespace nsplan::cli::top
