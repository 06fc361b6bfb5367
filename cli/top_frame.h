// What `nsplan top` shows, computed from samples of usage and nothing else: rates from the
// difference of two samples (CPU %, I/O bytes per second), the order of the rows, the text of a
// frame. Pure: the terminal loop (cli/watch.h) and the reading of the kernel
// (cli/top_command.cc) are elsewhere, so that all of this is tested without either.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "applier/cgroup_usage.h"

namespace nsplan::cli::top {

// One applied profile's cgroup, read at one moment.
struct Sample {
  std::string profile;
  std::string cgroup;  // its path below the hierarchy's mount ("lab", "delegated/lab")
  applier::CgroupUsage usage;
};

struct Snapshot {
  double seconds = 0;  // when it was taken, on a monotonic clock
  std::vector<Sample> samples;
};

// A row of the table: a value the kernel does not give, or a rate with no earlier sample to
// compare with, is absent and shown as "-".
struct Row {
  std::string profile, cgroup;
  std::optional<uint64_t> tasks;  // processes in cgroup.procs
  std::optional<double> cpu_percent;  // of one CPU: 250 = two and a half CPUs busy
  std::optional<uint64_t> memory_bytes;
  std::optional<double> read_per_second, written_per_second;
  std::optional<uint64_t> pids;  // pids.current: tasks and threads the pids controller counts
};

// Rows of NOW, with the rates over the time since BEFORE (nullptr: the first sample, no rates).
// A profile that BEFORE does not have (applied since) has no rates yet either; a counter that
// went down (the group was made again) gives no rate rather than a negative one.
std::vector<Row> rows(const Snapshot* before, const Snapshot& now);

enum class SortKey { Cpu, Memory, Tasks, Name };
inline constexpr const char* kSortKeys[] = {"cpu", "memory", "tasks", "name"};
std::optional<SortKey> sort_key(std::string_view word);

// Largest first for cpu, memory and tasks (unknown values last), by name for name; rows that
// tie keep the order of their profile names.
void sort_rows(std::vector<Row>& rows, SortKey key);

// The table: a header line and a line per row, columns aligned; each line cut at WIDTH columns
// when WIDTH is not 0 (a terminal's width). No escapes: the caller decides about a terminal.
std::string render(const std::vector<Row>& rows, size_t width = 0);

}  // namespace nsplan::cli::top
