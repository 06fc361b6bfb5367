#include "compiler/cgroup_value_checks.h"

#include <string>

#include "compiler/cgroup_limits.h"
#include "compiler/units.h"

namespace nsplan {
namespace {

namespace limits = cgroup_limits;

void check_memory(const MemorySpec& m, Diagnostics& diags) {
  for (auto [value, name] : {std::pair{&m.max, "max"}, {&m.swap, "swap"}, {&m.soft, "soft"}, {&m.high, "high"},
                             {&m.low, "low"}, {&m.min, "min"}}) {
    if (!*value || (*value)->value.unlimited || (*value)->value.bytes <= limits::kMaxMemoryBytes) continue;
    diags.error((*value)->loc,
                std::string("memory ") + name + " " + units::format_bytes((*value)->value.bytes) +
                    " is above the largest value the kernel stores (" + limits::kMaxMemoryText + ")",
                "the kernel keeps memory limits as whole pages, at most LONG_MAX / PAGE_SIZE of them, and caps "
                "larger sizes without a word (mm/page_counter.c); write max for no limit");
  }
}

// The quota of a share ("50%", "1.5") depends on the period in force, so its range is checked here.
void check_cpu(const CpuSpec& c, Diagnostics& diags) {
  if (!c.max || (c.period && c.max->value.period_given)) return;  // two periods: reported by check_profile
  std::optional<uint64_t> period;
  if (c.period) period = c.period->value;
  auto in_force = units::effective_cpu_max(c.max->value, period);
  if (in_force) {
    // kernel/sched/core.c tg_set_cfs_bandwidth refuses (EINVAL) a burst above the quota.
    const CpuMax& m = in_force.value();
    if (c.burst && !m.unlimited && c.burst->value > m.quota_us)
      diags.error(c.burst->loc,
                  "cpu burst " + std::to_string(c.burst->value) + " µs is above the quota of cpu max (" +
                      std::to_string(m.quota_us) + " µs per " + std::to_string(m.period_us) + " µs)",
                  "the kernel refuses a burst larger than the quota (EINVAL); lower burst or raise max");
    return;
  }
  std::string hint = in_force.problem().hint;
  if (c.period) hint += " (the period is set at line " + std::to_string(c.period->loc.line) + ")";
  diags.error(c.max->loc, in_force.problem().message, hint);
}

void check_pids(const PidsSpec& p, Diagnostics& diags) {
  if (!p.max || p.max->value.unlimited || p.max->value.count <= limits::kMaxPids) return;
  diags.error(p.max->loc,
              "pids max " + std::to_string(p.max->value.count) + " is above the kernel's largest task limit " +
                  std::to_string(limits::kMaxPids) + " (PID_MAX_LIMIT)",
              "pids.max refuses larger numbers (EINVAL); write max for no limit");
}

// One rate of an io device: bytes (rbps, wbps) or operations (riops, wiops) per second.
void check_rate(const char* key, SourceLoc loc, bool unlimited, uint64_t value, uint64_t largest, bool ops,
                Diagnostics& diags) {
  if (unlimited) return;
  const std::string shown = std::string("io ") + key + " " + std::to_string(value);
  if (value < limits::kMinIoRate) {
    diags.error(loc, shown + " is not a limit the kernel takes",
                "io.max refuses 0 (ERANGE) and cgroup v1 takes it as no limit; write max for no limit, or a rate "
                "of at least 1");
  } else if (value > largest) {
    diags.error(loc,
                shown + " is above the largest " + (ops ? "operation rate" : "byte rate") + " the kernel stores (" +
                    std::to_string(largest) + ")",
                ops ? "the kernel keeps operations per second in 32 bits: io.max caps larger numbers to no limit, "
                      "cgroup v1 cuts them to their low 32 bits; write max for no limit"
                    : "the next number up means no limit to the kernel; write max for no limit");
  }
}

void check_io(const IoSpec& io, Diagnostics& diags) {
  for (const auto& d : io.devices) {
    for (auto [key, rate] : {std::pair{"rbps", &d.rbps}, {"wbps", &d.wbps}})
      if (*rate) check_rate(key, (*rate)->loc, (*rate)->value.unlimited, (*rate)->value.bytes, limits::kMaxBps, false, diags);
    for (auto [key, rate] : {std::pair{"riops", &d.riops}, {"wiops", &d.wiops}})
      if (*rate) check_rate(key, (*rate)->loc, (*rate)->value.unlimited, (*rate)->value.count, limits::kMaxIops, true, diags);
  }
}

// The highest index of a normalised list ("0-3,5" -> 5).
uint64_t highest_index(const std::string& list) {
  size_t start = list.find_last_of(",-");
  return std::stoull(list.substr(start == std::string::npos ? 0 : start + 1));
}

void check_cpuset(const CpusetSpec& c, Diagnostics& diags) {
  if (!c.mems || c.mems->value.empty() || highest_index(c.mems->value) <= limits::kMaxMemoryNodeIndex) return;
  diags.error(c.mems->loc,
              "memory node " + std::to_string(highest_index(c.mems->value)) + " is above the largest node number " +
                  std::to_string(limits::kMaxMemoryNodeIndex) + " the kernel has (MAX_NUMNODES)",
              "name nodes from 0 to " + std::to_string(limits::kMaxMemoryNodeIndex) +
                  "; /sys/devices/system/node/has_memory lists a host's");
}

}  // namespace

void check_cgroup_values(const CgroupSpec& cg, Diagnostics& diags) {
  if (cg.memory) check_memory(*cg.memory, diags);
  if (cg.cpu) check_cpu(*cg.cpu, diags);
  if (cg.pids) check_pids(*cg.pids, diags);
  if (cg.io) check_io(*cg.io, diags);
  if (cg.cpuset) check_cpuset(*cg.cpuset, diags);
}

}  // namespace nsplan
