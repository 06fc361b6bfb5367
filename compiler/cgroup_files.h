// The one table of cgroup files nsplan writes: per file, its hierarchy, controller and name, the
// setting it carries, the form of its value, what a new cgroup holds, the value that means "no
// limit", and the file it must be written after. The planner (which file a setting goes to),
// the applier (comparing a read-back value, what undo writes back, the v1 memsw order), the
// fake kernel of the unit tests (its file list), the controller order and docs/cgroup-v1-v2.md
// ("nsplan schema --cgroup-files") all read it. Adding a file is adding a row here.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsplan::cgroup_files {

enum class Hierarchy { V1, V2 };

// What a profile setting becomes; one setting may be several files on v1 (cpu max is a period
// and a quota there) and one file per page size (hugetlb).
enum class Setting {
  MemoryMax, MemorySwap, MemorySoft, MemoryLow, MemoryHigh, MemoryMin,
  MemoryOomGroup, MemorySwappiness, MemoryZswapMax,
  CpuWeight, CpuMax, CpuPeriod, CpuBurst, CpuIdle, CpuUclampMin, CpuUclampMax, CpuRtPeriod, CpuRtRuntime,
  CpusetCpus, CpusetMems,
  PidsMax,
  IoWeight, IoDeviceWeight, IoMax, IoReadBps, IoWriteBps, IoReadIops, IoWriteIops,
  HugetlbMax, HugetlbReservedMax,
  NetClassId, NetPriority,
  MiscMax, RdmaMax,
};

// How the kernel stores and shows a value. It decides how a value read back is compared with
// the one written, and what undo writes back.
enum class Form {
  MemoryBytes,    // bytes, kept as whole pages rounded down and capped (mm/page_counter.c)
  Number,         // an integer in [min, max], or the row's no_limit word
  CpuList,        // "0-2,5": compared as sets of members
  CpuMax,         // "QUOTA PERIOD" or "max PERIOD"
  DefaultWeight,  // "default N", then one "MAJ:MIN N" line per device
  DeviceKeys,     // one "MAJ:MIN key=value…" line per device; nsplan's keys are compared
  DeviceValue,    // one "MAJ:MIN N" (or "IFNAME N") line per device; the no-limit value removes it
  HugePageBytes,  // bytes, kept as whole huge pages of the size in the file's name, rounded down
  Percent,        // "12.34" (hundredths of a percent) or "max", which 100.00 reads back as
};

struct File {
  Hierarchy hierarchy;
  const char* controller;  // v1: the hierarchy it lives in; v2: the controller that must be enabled
  const char* name;        // "memory.max"; "<size>" stands for a huge page size ("2MB")
  Setting setting;
  Form form;
  const char* new_value;  // what a new cgroup holds; "" for an empty file
  const char* no_limit;   // the value that lifts the limit ("" when the file has no such value)
  uint64_t min = 0, max = 0;  // Number: what the kernel accepts (0, 0: not checked)
  // A file of the same cgroup the kernel keeps at or below this one (v1 memsw >= limit): this
  // file is written after it, unless the new value of that file is above this one's current.
  const char* keeps_at_least = nullptr;
  const char* after = nullptr;  // a file of the same cgroup written before this one
  bool on_root = true;          // the root cgroup has the file too
  const char* where_from = "";  // the kernel code that defines the file, for the docs
  // What a kernel needs to have the file ("Linux 5.15", "CONFIG_RT_GROUP_SCHED"); nullptr for a
  // file every kernel with the controller has. The probe looks for these files on the host.
  const char* needs = nullptr;
  // A file of the same cgroup written after this one, but before it when this file's new value
  // is below its current one (v1 rt: the kernel checks runtime / period against the parent's
  // share at every write, and a shorter period with the old runtime would raise the share).
  const char* before_if_lowered = nullptr;
  // Undo writes the new cgroup's value back before the cgroup is removed, rather than leave it to
  // the rmdir (v1 rt_runtime: the parent's runtime can be lowered only once its children's is).
  bool reset_before_rmdir = false;
};

std::span<const File> all();

// A row's file name for a huge page size in bytes; the name itself for other rows.
std::string file_name(const File& f, uint64_t page_size = 0);
// The huge page size a hugetlb file's name gives ("hugetlb.2MB.max": 2097152); 0 for other files.
uint64_t page_size_of_file(std::string_view name);
// "2MB" for 2097152: the kernel's spelling of a page size in hugetlb file names (KB, MB, GB).
std::string page_size_name(uint64_t bytes);

// The row of a file name ("memory.max", "hugetlb.2MB.max") on a hierarchy; nullptr for a file
// nsplan does not write.
const File* find(Hierarchy h, std::string_view name);
// The same, on either hierarchy: a file present on both (pids.max) has one form on both.
const File* find(std::string_view name);
// The row of a setting on a hierarchy; `name` picks among several (v1 io weight: the host's
// blkio.bfq.weight or blkio.weight). nullptr when the hierarchy has no file for it.
const File* of(Setting s, Hierarchy h, std::string_view name = {});

// The controllers of each hierarchy, in the kernel's order (v2: as cgroup.controllers lists
// them; v1: the subsystems a host may mount, as /proc/cgroups lists them).
std::span<const char* const> controllers(Hierarchy h);

// Whether a value read back from `name` is `wanted` as the kernel stores it; `page` is the page
// size memory limits are rounded to.
bool value_matches(std::string_view name, const std::string& wanted, const std::string& read, uint64_t page);
// What undo writes to give `name` back: the value read before nsplan's write, cut to the line of
// the device nsplan wrote for per-device files (or the line that removes its limit).
std::string restore_value(std::string_view name, const std::string& wanted, const std::string& before, uint64_t page);

// Whether undo gives FILE its new cgroup's value back before the cgroup is removed.
bool reset_before_rmdir(std::string_view file);

// The files of the table a kernel may lack (those with `needs`), as named on a hierarchy.
std::vector<const File*> optional_files(Hierarchy h);

// The table as markdown, for docs/cgroup-v1-v2.md.
std::string markdown_table();

}  // namespace nsplan::cgroup_files
