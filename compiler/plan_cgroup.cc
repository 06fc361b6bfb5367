// Cgroup part of the planner: which directories, which controllers, which files get which
// values, in an order the kernel accepts, on cgroup v1 or v2 (docs/cgroup-v1-v2.md).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <stdexcept>

#include "compiler/cgroup_files.h"
#include "compiler/cgroup_limits.h"
#include "compiler/device_rules.h"
#include "compiler/planner.h"
#include "compiler/planner_context.h"
#include "compiler/translate.h"
#include "compiler/units.h"

namespace nsplan {
namespace {

// The v2 controllers systemd enables for a unit with Delegate=yes (systemd.resource-control(5),
// Delegate=: cpu, cpuacct, cpuset, io, blkio, memory, pids; cpuacct and blkio are v1 names).
// hugetlb, rdma and misc are not among them.
bool systemd_delegates(const std::string& controller) {
  return controller == "cpu" || controller == "cpuset" || controller == "io" || controller == "memory" || controller == "pids";
}

using cgroup_files::Setting;

// Wide enough for the product of two 64-bit values (GCC and Clang; __extension__: no -Wpedantic warning).
__extension__ using uint128 = unsigned __int128;

struct Write {
  const cgroup_files::File* file;  // its row: the controller (hierarchy on v1), the write order
  std::string name;                // the file's name ("hugetlb.2MB.max" for a row of every size)
  std::string value;
  SourceLoc loc;
  std::string what;
  std::vector<std::string> notes;
  bool copy_from_parent = false;
};

std::string bytes_text(const ByteLimit& b, bool v1) {
  if (b.unlimited) return v1 ? "-1" : "max";
  return std::to_string(b.bytes);
}
std::string human(const ByteLimit& b) { return b.unlimited ? "max" : units::format_bytes(b.bytes); }
std::string percent_text(uint32_t hundredths) { return units::format_percent(hundredths); }
std::string count_text(const CountLimit& c) { return c.unlimited ? "max" : std::to_string(c.count); }

// The cpu.max quota for the period in force: the % and cores forms scale with `period`. Its range
// was checked with the profile (cgroup_value_checks.cc); the plan is made only without errors.
CpuMax effective_cpu_max(const CpuSpec& cpu) {
  std::optional<uint64_t> period;
  if (cpu.period) period = cpu.period->value;
  auto m = units::effective_cpu_max(cpu.max->value, period);
  return m ? m.value() : cpu.max->value;
}

// The members of A that are not in B (both normalised lists), as a list; "" when none.
std::string missing_from(const std::string& a, const std::string& b) {
  auto r = units::cpu_list_difference(a, b);
  return r ? r.value() : a;
}

class CgroupPlanner {
 public:
  explicit CgroupPlanner(PlannerContext& ctx) : ctx_(ctx), v1_(ctx.facts.mode == CgroupMode::V1) {}

  void run() {
    const CgroupSpec& cg = *ctx_.profile.cgroup;
    // Below the profile's own systemd unit ("nsplan-NAME.service"), the name alone says it all.
    rel_ = cg.path ? cg.path->value : (ctx_.facts.systemd_unit.empty() ? "nsplan/" : "") + ctx_.profile.name.value;
    loc_ = cg.path ? cg.path->loc : cg.loc;
    if (cg.memory) memory(*cg.memory);
    if (cg.cpu) {
      cpu(*cg.cpu);
      cpu_extras(*cg.cpu);
    }
    if (cg.cpuset) cpuset(*cg.cpuset);
    if (cg.pids && cg.pids->max)
      add(cg.pids->max->loc, Setting::PidsMax, count_text(cg.pids->max->value), "pids max " + count_text(cg.pids->max->value));
    if (cg.io) io(*cg.io);
    hugetlb(cg.hugetlb);
    net(cg);
    misc(cg.misc);
    rdma(cg.rdma);
    if (cg.devices) devices(*cg.devices);
    membership(cg.membership);
    // The table's order is the write order (v1 memsw after the limit, the quota after the period).
    std::stable_sort(writes_.begin(), writes_.end(), [](const Write& a, const Write& b) { return a.file < b.file; });
    if (v1_) emit_v1();
    else emit_v2();
  }

 private:
  void add(SourceLoc loc, Setting setting, std::string value, std::string what, std::vector<std::string> notes = {},
           std::string_view name = {}, uint64_t page_size = 0) {
    const auto* row = cgroup_files::of(setting, v1_ ? cgroup_files::Hierarchy::V1 : cgroup_files::Hierarchy::V2, name);
    if (!row) throw std::logic_error("no cgroup file row for a setting the planner writes");
    if (row->needs) {
      // A file the kernel may lack: the probe looked for it; writing it would fail at apply.
      auto known = ctx_.facts.kernel_files.find(row->name);
      if (known != ctx_.facts.kernel_files.end() && !known->second) {
        ctx_.lossy(loc, "this host's kernel has no " + std::string(row->name) + "; " + what + " is not applied",
                   std::string("the file needs ") + row->needs);
        return;
      }
    }
    writes_.push_back(
        Write{row, cgroup_files::file_name(*row, page_size), std::move(value), loc, std::move(what), std::move(notes)});
  }

  // A share of RAM ("5%") as bytes of this host's MemTotal; false (and an error) when the RAM of
  // the target is not known.
  bool resolve_ram_share(Opt<ByteLimit>& v, const char* name) {
    if (!v || !v->value.ram_hundredths) return true;
    const uint32_t h = v->value.ram_hundredths;
    const std::string shown = percent_text(h);
    if (!ctx_.facts.memory_total) {
      ctx_.diags.error(v->loc, std::string("memory ") + name + " " + shown + " is a share of RAM, which nsplan knows only on the host it runs on",
                       "write a size such as 512M when planning for another machine (--cgroup v1|v2)");
      v.reset();
      return false;
    }
    // Whole pages, as the kernel keeps them (and as systemd's MemoryMax=5% does).
    const uint64_t total = *ctx_.facts.memory_total;
    // total * h / 10000 without overflow (h <= 10000): the quotient and the remainder apart.
    const uint64_t bytes = (total / 10000 * h + total % 10000 * h / 10000) / 4096 * 4096;
    ram_notes_[name] = std::string("memory ") + name + " " + shown + " of this host's RAM (" + units::format_bytes(total) +
                       ", MemTotal in /proc/meminfo) = " + std::to_string(bytes) + " bytes.";
    v->value = ByteLimit{false, bytes, 0};
    return true;
  }

  std::vector<std::string> ram_note(const char* name) const {
    auto it = ram_notes_.find(name);
    return it == ram_notes_.end() ? std::vector<std::string>{} : std::vector<std::string>{it->second};
  }

  void memory(const MemorySpec& written) {
    MemorySpec m = written;
    for (auto [field, name] : {std::pair{&m.max, "max"}, {&m.high, "high"}, {&m.low, "low"}, {&m.min, "min"}})
      resolve_ram_share(*field, name);
    if (m.max)
      add(m.max->loc, Setting::MemoryMax, bytes_text(m.max->value, v1_),
          "memory max " + human(m.max->value), ram_note("max"));
    if (m.swap) swap(m);
    if (m.soft) {
      if (v1_) {
        add(m.soft->loc, Setting::MemorySoft, bytes_text(m.soft->value, true), "memory soft " + human(m.soft->value));
      } else if (m.low) {
        ctx_.lossy(m.soft->loc, "memory soft is not applied on cgroup v2: low is given too, and both become memory.low",
                   "keep one of soft and low");
      } else {
        add(m.soft->loc, Setting::MemoryLow, bytes_text(m.soft->value, false), "memory soft " + human(m.soft->value),
            {"v1's soft limit becomes memory.low on v2 (as runc and crun do): reclaim spares the group below it",
             "under pressure; memory.high would throttle at the value instead."});
      }
    }
    for (auto [field, name, setting] : {std::tuple{&m.high, "high", Setting::MemoryHigh},
                                        {&m.low, "low", Setting::MemoryLow},
                                        {&m.min, "min", Setting::MemoryMin}}) {
      if (!*field) continue;
      const auto& v = **field;
      if (v1_)
        ctx_.lossy(v.loc, std::string("memory ") + name + " has no cgroup v1 equivalent; it is not applied",
                   std::string(name) == "high" ? "on v1, max is the only enforced limit" : "");
      else
        add(v.loc, setting, bytes_text(v.value, false), std::string("memory ") + name + " " + human(v.value), ram_note(name));
    }
    if (m.oom_group) {
      const std::string what = std::string("memory oom_group ") + (m.oom_group->value ? "true" : "false");
      if (v1_)
        ctx_.lossy(m.oom_group->loc, "memory oom_group has no cgroup v1 equivalent; it is not applied",
                   "on v1 the OOM killer picks single tasks; memory.oom_control only turns it off");
      else
        add(m.oom_group->loc, Setting::MemoryOomGroup, m.oom_group->value ? "1" : "0", what);
    }
    if (m.swappiness) {
      const std::string what = "memory swappiness " + std::to_string(m.swappiness->value);
      if (v1_)
        add(m.swappiness->loc, Setting::MemorySwappiness, std::to_string(m.swappiness->value), what,
            {"Linux before 5.8 takes 0..100 here."});
      else
        ctx_.lossy(m.swappiness->loc, "cgroup v2 has no per-cgroup swappiness; memory swappiness is not applied",
                   "v2 has the host's vm.swappiness only (and a swappiness= argument of memory.reclaim, Linux 6.10)");
    }
    if (m.zswap_max) {
      const std::string what = "memory zswap_max " + human(m.zswap_max->value);
      if (v1_)
        ctx_.lossy(m.zswap_max->loc, "cgroup v1 has no zswap limit; memory zswap_max is not applied",
                   "on v1, memsw (memory swap) bounds swap as a whole");
      else
        add(m.zswap_max->loc, Setting::MemoryZswapMax, bytes_text(m.zswap_max->value, false), what);
    }
  }

  void swap(const MemorySpec& m) {
    const auto& s = *m.swap;
    if (!ctx_.facts.swap_accounting) {
      ctx_.lossy(s.loc, std::string("swap accounting is off on this host; memory swap is not limited"),
                 v1_ ? "boot with swapaccount=1 to get memory.memsw.*" : "");
      return;
    }
    if (!v1_) {
      std::vector<std::string> notes;
      if (m.max && !m.max->value.unlimited && !s.value.unlimited && s.value.bytes > 0)
        notes = {"v2 caps swap alone at " + human(s.value) + ". On v1 the same profile sets memsw = max + swap = " +
                     units::format_bytes(translate::memsw_from(m.max->value.bytes, s.value.bytes)) +
                     ", which counts RAM and swap together:",
                 "there, swap may grow beyond " + human(s.value) + " while less RAM is in use."};
      add(s.loc, Setting::MemorySwap, bytes_text(s.value, false), "memory swap " + human(s.value), notes);
      return;
    }
    if (s.value.unlimited) {
      // memsw -1 lifts the limit whatever memory max is: nothing is lost.
      add(s.loc, Setting::MemorySwap, "-1", "memory swap max: memsw = max",
          {"memsw counts RAM and swap together; -1 leaves it unlimited."});
      return;
    }
    if (!m.max || m.max->value.unlimited) {
      ctx_.lossy(s.loc, "memory swap needs a finite memory max on cgroup v1 (memsw = max + swap); swap is not limited",
                 "set memory max too");
      return;
    }
    const uint64_t memsw = translate::memsw_from(m.max->value.bytes, s.value.bytes);
    std::string value = std::to_string(memsw);
    std::string shown = units::format_bytes(memsw);
    std::vector<std::string> notes = {"memsw counts RAM and swap together; it is written after limit_in_bytes because the kernel",
                                      "keeps limit <= memsw at every write."};
    if (memsw > cgroup_limits::kMaxMemoryBytes)
      notes.push_back(std::string("max + swap is above the largest value the kernel stores (") + cgroup_limits::kMaxMemoryText +
                      "): it keeps no memsw limit.");
    add(s.loc, Setting::MemorySwap, value, "memory swap " + human(s.value) + ": memsw = max + swap = " + shown,
        notes);
  }

  void cpu(const CpuSpec& c) {
    // Given both, each hierarchy takes its own scale as written and nothing is translated.
    bool use_weight = c.weight && !(v1_ && c.shares);
    bool use_shares = c.shares && !(!v1_ && c.weight);
    if (use_weight) {
      if (v1_) {
        uint64_t shares = translate::weight_to_shares(c.weight->value);
        add(c.weight->loc, Setting::CpuWeight, std::to_string(shares), "cpu weight " + std::to_string(c.weight->value),
            {"v1 cpu.shares = weight x 1024 / 100 (systemd's mapping; defaults 100 and 1024 agree)."});
      } else {
        add(c.weight->loc, Setting::CpuWeight, std::to_string(c.weight->value), "cpu weight " + std::to_string(c.weight->value));
      }
    }
    if (use_shares) {
      if (v1_) {
        add(c.shares->loc, Setting::CpuWeight, std::to_string(c.shares->value), "cpu shares " + std::to_string(c.shares->value));
      } else {
        uint64_t weight = translate::shares_to_weight(c.shares->value);
        add(c.shares->loc, Setting::CpuWeight, std::to_string(weight), "cpu shares " + std::to_string(c.shares->value),
            {"v2 cpu.weight from v1 shares by runc's formula (>= 1.4): 1024 -> 100, 2048 -> 174."});
      }
    }
    if (c.max) {
      CpuMax m = effective_cpu_max(c);
      std::string what = "cpu max " + (m.unlimited ? std::string("max") : std::to_string(m.quota_us) + "/" + std::to_string(m.period_us) + " us");
      if (v1_) {
        add(c.max->loc, Setting::CpuPeriod, std::to_string(m.period_us), what);
        add(c.max->loc, Setting::CpuMax, m.unlimited ? "-1" : std::to_string(m.quota_us), what);
      } else {
        add(c.max->loc, Setting::CpuMax, (m.unlimited ? std::string("max") : std::to_string(m.quota_us)) + " " + std::to_string(m.period_us), what);
      }
    }
  }

  // The cpu keys beyond weight and max: one file each, the same name on v1 and v2 except burst.
  void cpu_extras(const CpuSpec& c) {
    if (c.burst)
      add(c.burst->loc, Setting::CpuBurst, std::to_string(c.burst->value), "cpu burst " + std::to_string(c.burst->value) + " us",
          {"written after the quota: the kernel keeps burst <= quota."});
    if (c.idle)
      add(c.idle->loc, Setting::CpuIdle, c.idle->value ? "1" : "0", std::string("cpu idle ") + (c.idle->value ? "true" : "false"));
    if (c.uclamp_min)
      add(c.uclamp_min->loc, Setting::CpuUclampMin, c.uclamp_min->value, "cpu uclamp_min " + c.uclamp_min->value);
    if (c.uclamp_max)
      add(c.uclamp_max->loc, Setting::CpuUclampMax, c.uclamp_max->value, "cpu uclamp_max " + c.uclamp_max->value);
    cpu_rt(c);
  }

  // v1 RT group scheduling. The kernel (kernel/sched/rt.c tg_rt_schedulable) refuses a group
  // whose share (runtime / period) is above its parent's, or children whose shares add up to
  // more than it: the ancestors nsplan makes below the base get the leaf's period and runtime
  // first (emit_v1), and the base itself must already give that much.
  void cpu_rt(const CpuSpec& c) {
    if (!c.rt_runtime && !c.rt_period) return;
    if (!v1_) {
      for (const auto* key : {&c.rt_runtime, &c.rt_period})
        if (*key)
          ctx_.lossy((*key)->loc,
                     std::string("cgroup v2 has no real-time group scheduling; cpu ") + (key == &c.rt_runtime ? "rt_runtime " : "rt_period ") +
                         std::to_string((*key)->value) + " us is not applied",
                     "cpu.rt_runtime_us and cpu.rt_period_us exist on v1 only (CONFIG_RT_GROUP_SCHED); on v2 real-time tasks "
                     "share the host's sched_rt_runtime_us with no per-group limit");
      return;
    }
    const uint64_t period = c.rt_period ? c.rt_period->value : cgroup_limits::kDefaultRtPeriodUs;
    const SourceLoc period_loc = c.rt_period ? c.rt_period->loc : c.rt_runtime->loc;
    if (c.rt_runtime && c.rt_runtime->value > period) return;  // refused by the checks
    const std::string period_what = "cpu rt_period " + std::to_string(period) + " us";
    if (!c.rt_runtime) {
      add(period_loc, Setting::CpuRtPeriod, std::to_string(period), period_what);
      return;
    }
    const uint64_t runtime = c.rt_runtime->value;
    const std::string share = share_text(runtime, period);
    if (runtime > 0 && !rt_fits_base(c.rt_runtime->loc, runtime, period)) return;
    const size_t before = writes_.size();
    add(period_loc, Setting::CpuRtPeriod, std::to_string(period), period_what + (c.rt_period ? "" : " (the default)"));
    add(c.rt_runtime->loc, Setting::CpuRtRuntime, std::to_string(runtime),
        "cpu rt_runtime " + std::to_string(runtime) + " us of " + std::to_string(period) + " (" + share + ")",
        {"real-time tasks of the group may run this long in each period; the kernel refuses it unless the parent's",
         "share covers it (ancestors nsplan makes get the same period and runtime first). Undo sets 0 before the rmdir."});
    if (runtime > 0 && writes_.size() == before + 2) rt_ancestors_ = {period, runtime, c.rt_runtime->loc};
  }

  static std::string share_text(uint64_t runtime, uint64_t period) {
    return percent_text(static_cast<uint32_t>(static_cast<uint128>(runtime) * 10000 / period)) + " of a CPU";
  }

  // The base (the root, or --cgroup-parent) must give its children at least the leaf's share; on
  // the host nsplan runs on it is read, elsewhere it is left to the kernel at apply.
  bool rt_fits_base(SourceLoc loc, uint64_t runtime, uint64_t period) {
    if (!ctx_.facts.rt_bandwidth || !ctx_.facts.controllers.count("cpu")) return true;
    const std::string base = ctx_.facts.base_of("cpu");
    auto b = ctx_.facts.rt_bandwidth(base);
    if (!b || b->runtime_us < 0) return true;  // unknown, or no limit (sched_rt_runtime_us -1)
    const auto have = static_cast<uint128>(b->runtime_us) * period;
    if (static_cast<uint128>(runtime) * b->period_us <= have) return true;
    ctx_.diags.error(loc,
                     "cpu rt_runtime " + std::to_string(runtime) + " us of " + std::to_string(period) + " (" + share_text(runtime, period) +
                         ") is more than " + base + " gives its children: " + std::to_string(b->runtime_us) + " us of " +
                         std::to_string(b->period_us) + " (" + share_text(static_cast<uint64_t>(b->runtime_us), b->period_us) + ")",
                     "the kernel refuses a group whose runtime / period is above its parent's, and children whose shares add up to "
                     "more (EINVAL); lower rt_runtime, or give the parent more runtime first");
    return false;
  }

  void cpuset(const CpusetSpec& c) {
    if (c.cpus)
      add(c.cpus->loc, Setting::CpusetCpus, c.cpus->value, "cpuset cpus " + c.cpus->value,
          against_host(c.cpus->loc, "cpus", c.cpus->value, ctx_.facts.online_cpus, {"CPU", "CPUs", "online CPUs"},
                       "/sys/devices/system/cpu/online"));
    if (c.mems)
      add(c.mems->loc, Setting::CpusetMems, c.mems->value, "cpuset mems " + c.mems->value,
          against_host(c.mems->loc, "mems", c.mems->value, ctx_.facts.memory_nodes,
                       {"memory node", "memory nodes", "memory nodes"}, "/sys/devices/system/node/has_memory"));
  }

  struct Nouns {
    const char* one;    // "CPU"
    const char* many;   // "CPUs"
    const char* host;   // "online CPUs"
  };

  // A cpuset list naming what the host does not have is refused (cgroup v1 answers EINVAL, v2
  // keeps the list and never uses those). Only the host nsplan runs on is known: for a stated
  // target (--cgroup) the step's note says the list was not checked.
  std::vector<std::string> against_host(SourceLoc loc, const char* key, const std::string& list,
                                        const std::optional<std::string>& host, Nouns n, const std::string& source) {
    if (!host)
      return {std::string("not checked against the ") + n.host + " of the target: nsplan knows them only on the host it runs on."};
    const std::string shown = host->empty() ? "none" : *host;
    std::string missing = missing_from(list, *host);
    if (!missing.empty()) {
      bool one = missing.find_first_of(",-") == std::string::npos;
      ctx_.diags.error(loc,
                       std::string("cpuset ") + key + " " + list + " names " + (one ? n.one : n.many) + " " + missing +
                           ", which this host does not have",
                       std::string("its ") + n.host + " are " + shown + " (" + source +
                           "); cgroup v1 refuses others (EINVAL), v2 keeps them unused");
    }
    return {std::string("checked against this host's ") + n.host + ": " + shown + " (" + source + ")."};
  }

  // MAJ:MIN of an io entry's device: as written, or a /dev path resolved on the target; nothing
  // (and an error at the key) when it cannot be told.
  std::optional<std::string> device_number(const Located<std::string>& device) {
    const std::string& dev = device.value;
    if (dev[0] != '/') return dev;
    auto it = ctx_.facts.block_devices.find(dev);
    if (it != ctx_.facts.block_devices.end()) return it->second;
    if (ctx_.facts.block_device_number)
      if (auto number = ctx_.facts.block_device_number(dev)) return number;
    ctx_.diags.error(device.loc, "cannot tell the device number of " + dev + " on the target",
                     ctx_.facts.probed ? "is it a whole block device?" : "write MAJ:MIN (see lsblk) when planning for another machine");
    return std::nullopt;
  }

  // A weight for v1's weight files, which take 1..1000 (BFQ) or 10..1000 (CFQ): written unchanged
  // when it fits, so ratios between sibling groups stay; otherwise the nearest end of the range,
  // with a warning that says what is written and how the ratio to a sibling at 100 changes.
  std::optional<uint64_t> v1_weight(SourceLoc loc, uint64_t w, const std::string& what, const cgroup_files::File& row) {
    const uint64_t lo = row.min, hi = row.max;
    if (w >= lo && w <= hi) return w;
    const uint64_t written = w < lo ? lo : hi;
    ctx_.lossy(loc,
               what + " is " + (w < lo ? "below" : "above") + " the " + std::to_string(lo) + ".." + std::to_string(hi) +
                   " that " + row.name + " takes; " + std::to_string(written) + " is written, so the ratio to a sibling at weight 100 becomes " +
                   std::to_string(written) + ":100 instead of " + std::to_string(w) + ":100",
               "on cgroup v1 use weights from " + std::to_string(lo) + " to " + std::to_string(hi) + " to keep ratios");
    return written;
  }

  void io(const IoSpec& io) {
    io_weight(io);
    for (const auto& d : io.devices) {
      auto number = device_number(d.device);
      if (!number) continue;
      const std::string& dev = *number;
      std::string what = "io limits of " + d.device.value;
      if (v1_) {
        auto one = [&](Setting setting, std::optional<std::string> v, SourceLoc loc) {
          if (v) add(loc, setting, dev + " " + *v, what);
        };
        auto b = [](const Opt<ByteLimit>& x) { return x ? std::optional<std::string>(x->value.unlimited ? "0" : std::to_string(x->value.bytes)) : std::nullopt; };
        auto c = [](const Opt<CountLimit>& x) { return x ? std::optional<std::string>(x->value.unlimited ? "0" : std::to_string(x->value.count)) : std::nullopt; };
        one(Setting::IoReadBps, b(d.rbps), d.rbps ? d.rbps->loc : d.loc);
        one(Setting::IoWriteBps, b(d.wbps), d.wbps ? d.wbps->loc : d.loc);
        one(Setting::IoReadIops, c(d.riops), d.riops ? d.riops->loc : d.loc);
        one(Setting::IoWriteIops, c(d.wiops), d.wiops ? d.wiops->loc : d.loc);
      } else {
        std::string value = dev;
        if (d.rbps) value += " rbps=" + bytes_text(d.rbps->value, false);
        if (d.wbps) value += " wbps=" + bytes_text(d.wbps->value, false);
        if (d.riops) value += " riops=" + count_text(d.riops->value);
        if (d.wiops) value += " wiops=" + count_text(d.wiops->value);
        add(d.loc, Setting::IoMax, value, what);
      }
    }
    device_weights(io.device_weights);
  }

  // io.weight (v2 scale) or blkio_weight (v1 scale): one weight file either way.
  void io_weight(const IoSpec& io) {
    const bool blkio = !io.weight && io.blkio_weight;
    const Opt<uint64_t>& given = blkio ? io.blkio_weight : io.weight;
    if (!given || (io.weight && io.blkio_weight)) return;  // both: refused by the checks
    const uint64_t w = given->value;
    const std::string what = std::string(blkio ? "io blkio_weight " : "io weight ") + std::to_string(w);
    if (!v1_) {
      std::vector<std::string> notes;
      if (blkio)
        notes = {"blkio weight 10..1000 is io.weight unchanged: both scales put the default at 100 (BFQ's blkio.bfq.weight",
                 "and io.weight), so ratios to siblings stay. CFQ's blkio.weight (before Linux 5.0) defaulted to 500."};
      add(given->loc, Setting::IoWeight, "default " + std::to_string(w), what, notes);
      return;
    }
    const std::string& file = ctx_.facts.v1_io_weight_file;
    if (file.empty()) {
      ctx_.lossy(given->loc, "this host's blkio controller has no weight file (BFQ is not in use); " +
                                 std::string(blkio ? "io blkio_weight" : "io weight") + " is not applied");
      return;
    }
    const auto* row = cgroup_files::of(Setting::IoWeight, cgroup_files::Hierarchy::V1, file);
    auto written = v1_weight(given->loc, w, what, *row);
    std::vector<std::string> notes;
    if (file == "blkio.weight")
      notes = {"CFQ's blkio.weight defaults to 500, not 100: a sibling without a weight gets 500."};
    else if (!blkio && *written == w)
      notes = {"blkio.bfq.weight takes io.weight unchanged up to 1000: both default to 100, so ratios to siblings stay."};
    add(given->loc, Setting::IoWeight, std::to_string(*written), what, notes, file);
  }

  // Per-device weights: v2 "MAJ:MIN W" lines of io.weight; v1 the weight file's _device twin.
  void device_weights(const std::vector<IoDeviceWeight>& entries) {
    for (const auto& d : entries) {
      if (!d.weight) continue;  // required: the reader has said so
      auto number = device_number(d.device);
      if (!number) continue;
      const uint64_t w = d.weight->value;
      const std::string what = "io weight " + std::to_string(w) + " on " + d.device.value;
      if (!v1_) {
        add(d.weight->loc, Setting::IoWeight, *number + " " + std::to_string(w), what,
            {"the kernel takes a device's line only once iocost is enabled on that disk (io.cost.qos of the root)."});
        continue;
      }
      const std::string& weight_file = ctx_.facts.v1_io_weight_file;
      if (weight_file.empty()) {
        ctx_.lossy(d.weight->loc, "this host's blkio controller has no weight file (BFQ is not in use); the io weight of " +
                                      d.device.value + " is not applied");
        continue;
      }
      const std::string file = weight_file + "_device";
      const auto* row = cgroup_files::of(Setting::IoDeviceWeight, cgroup_files::Hierarchy::V1, file);
      auto written = v1_weight(d.weight->loc, w, what, *row);
      add(d.weight->loc, Setting::IoDeviceWeight, *number + " " + std::to_string(*written), what, {}, file);
    }
  }

  // Huge pages: one file per page size and limit; the size must be one the host has (the kernel
  // makes files only for those), and a limit is kept in whole pages of that size.
  void hugetlb(const std::vector<HugetlbLimit>& limits) {
    std::set<uint64_t> seen;
    std::string host_sizes;
    if (ctx_.facts.huge_page_sizes)
      for (uint64_t size : *ctx_.facts.huge_page_sizes)
        host_sizes += (host_sizes.empty() ? "" : ", ") + units::format_bytes(size);
    for (const auto& l : limits) {
      if (!l.page) continue;  // required: the reader has said so
      const ByteLimit& page = l.page->value;
      const std::string shown = human(page);
      if (page.unlimited || page.bytes < 4096 || (page.bytes & (page.bytes - 1)) != 0) {
        ctx_.diags.error(l.page->loc, "hugetlb page " + shown + " is not a page size", "a power of two such as 2M or 1G");
        continue;
      }
      std::vector<std::string> notes;
      if (ctx_.facts.huge_page_sizes) {
        const auto& sizes = *ctx_.facts.huge_page_sizes;
        if (std::find(sizes.begin(), sizes.end(), page.bytes) == sizes.end()) {
          ctx_.diags.error(l.page->loc, "this host has no huge pages of " + shown,
                           "its sizes are " + (host_sizes.empty() ? std::string("none") : host_sizes) +
                               " (/sys/kernel/mm/hugepages)");
          continue;
        }
        notes = {"checked against this host's huge page sizes: " + (host_sizes.empty() ? std::string("none") : host_sizes) + "."};
      } else {
        notes = {"page size not checked against the target: nsplan knows its huge page sizes only on the host it runs on."};
      }
      if (!seen.insert(page.bytes).second) {
        ctx_.diags.error(l.page->loc, "hugetlb page " + shown + " is given twice", "give one entry per page size");
        continue;
      }
      for (auto [field, setting, word] : {std::tuple{&l.max, Setting::HugetlbMax, "max"},
                                          {&l.reserved, Setting::HugetlbReservedMax, "reserved"}}) {
        if (!*field) continue;
        const auto& v = **field;
        std::string what = "hugetlb " + shown + " " + word + " " + human(v.value);
        if (!v.value.unlimited && v.value.bytes % page.bytes != 0)
          ctx_.lossy(v.loc,
                     what + " is not a whole number of " + shown + " pages; the kernel keeps " +
                         units::format_bytes(v.value.bytes / page.bytes * page.bytes),
                     "write a multiple of " + shown);
        add(v.loc, setting, bytes_text(v.value, v1_), what, notes, {}, page.bytes);
      }
    }
  }

  std::vector<std::string> levels() const {
    std::vector<std::string> out;
    size_t pos = 0;
    while (true) {
      size_t slash = rel_.find('/', pos);
      out.push_back(rel_.substr(0, slash));
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    return out;
  }

  // net_cls and net_prio exist on v1 only; on v2 the warning says what does the same there.
  void net(const CgroupSpec& cg) {
    if (cg.net_cls && cg.net_cls->classid) {
      const auto& c = *cg.net_cls->classid;
      auto id = units::parse_class_id(c.value);
      if (!id) {
        ctx_.diags.error(c.loc, "'" + c.value + "' is not a class id",
                         "a tc class handle MAJOR:MINOR in hex (1:10), or a number up to 4294967295");
      } else if (!v1_) {
        ctx_.lossy(c.loc, "net_cls has no cgroup v2 equivalent; classid " + c.value + " is not applied",
                   "on v2, match the cgroup path itself: nftables `socket cgroupv2 level N \"PATH\"`, or a BPF program");
      } else {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%x:%x", static_cast<unsigned>(*id >> 16), static_cast<unsigned>(*id & 0xffff));
        add(c.loc, Setting::NetClassId, std::to_string(*id), "net_cls classid " + std::string(hex),
            {"the kernel keeps MAJOR:MINOR as one number, MAJOR << 16 | MINOR."});
      }
    }
    if (!cg.net_prio) return;
    for (const auto& [ifname, prio] : cg.net_prio->ifpriomap) {
      const std::string& name = ifname.value;
      auto n = units::parse_uint(prio.value, 0, 4294967295u);
      if (name.empty() || name.size() > 15 || name.find_first_of("/: \t\n") != std::string::npos) {
        ctx_.diags.error(ifname.loc, "'" + name + "' is not an interface name", "1 to 15 bytes, without '/', ':' or spaces");
      } else if (!n) {
        ctx_.diags.error(prio.loc, "priority '" + prio.value + "' of " + name + " is not a number from 0 to 4294967295");
      } else if (!v1_) {
        ctx_.lossy(prio.loc, "net_prio has no cgroup v2 equivalent; the priority of " + name + " is not applied",
                   "on v2, set it with nftables `meta priority set` on packets matched by `socket cgroupv2`");
      } else {
        add(prio.loc, Setting::NetPriority, name + " " + std::to_string(n.value()), "net_prio " + name + " " + std::to_string(n.value()),
            {"for " + name + " of the network namespace nsplan runs in (the kernel looks the name up there)."});
      }
    }
  }

  // misc.max: one "RESOURCE N" write per resource; the resources are the host's (misc.capacity).
  void misc(const std::vector<std::pair<Located<std::string>, Located<std::string>>>& limits) {
    for (const auto& [resource, value] : limits) {
      const std::string& r = resource.value;
      auto count = units::parse_count(value.value);
      if (r.empty() || r.size() > 32 || r.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        ctx_.diags.error(resource.loc, "'" + r + "' is not a misc resource name", "lower-case letters, digits and '_', as misc.capacity lists them");
        continue;
      }
      if (!count) {
        ctx_.diags.error(value.loc, "misc " + r + " must be a count or max, not '" + value.value + "'");
        continue;
      }
      if (ctx_.facts.misc_capacity && !ctx_.facts.misc_capacity->count(r)) {
        std::string have;
        for (const auto& [name, n] : *ctx_.facts.misc_capacity) have += (have.empty() ? "" : ", ") + name;
        ctx_.diags.error(resource.loc, "this host has no misc resource '" + r + "'",
                         "its resources are " + (have.empty() ? std::string("none") : have) + " (misc.capacity of the cgroup root)");
        continue;
      }
      const std::string text = count.value().unlimited ? "max" : std::to_string(count.value().count);
      add(value.loc, Setting::MiscMax, r + " " + text, "misc " + r + " max " + text);
    }
  }

  // rdma.max: "DEVICE hca_handle=N hca_object=M", the keys given; the device must be the host's.
  void rdma(const std::vector<RdmaLimit>& limits) {
    std::set<std::string> seen;
    for (const auto& l : limits) {
      const std::string& dev = l.device.value;
      if (dev.empty() || dev.size() > 64 || dev.find_first_of("/ \t\n=") != std::string::npos) {
        ctx_.diags.error(l.device.loc, "'" + dev + "' is not an RDMA device name", "as /sys/class/infiniband names it, e.g. mlx4_0");
        continue;
      }
      if (!seen.insert(dev).second) {
        ctx_.diags.error(l.device.loc, "RDMA device " + dev + " is given twice", "give one entry per device");
        continue;
      }
      if (!l.hca_handle && !l.hca_object) {
        ctx_.diags.error(l.device.loc, "RDMA device " + dev + " has no limit", "give hca_handle, hca_object or both");
        continue;
      }
      if (ctx_.facts.rdma_devices) {
        const auto& have = *ctx_.facts.rdma_devices;
        if (std::find(have.begin(), have.end(), dev) == have.end()) {
          std::string list;
          for (const auto& d : have) list += (list.empty() ? "" : ", ") + d;
          ctx_.diags.error(l.device.loc, "this host has no RDMA device '" + dev + "'",
                           "its devices are " + (list.empty() ? std::string("none") : list) + " (/sys/class/infiniband)");
          continue;
        }
      }
      std::string value = dev;
      if (l.hca_handle) value += " hca_handle=" + count_text(l.hca_handle->value);
      if (l.hca_object) value += " hca_object=" + count_text(l.hca_object->value);
      add(l.loc, Setting::RdmaMax, value, "rdma " + value);
    }
  }

  // "1:10" (tc's hex MAJOR:MINOR), "0x10010" or "65552".
  // cgroup.membership: each entry is a controller of either hierarchy or a named v1 hierarchy.
  void membership(const std::vector<Located<std::string>>& entries) {
    auto known = [](const std::string& c) {
      for (auto h : {cgroup_files::Hierarchy::V1, cgroup_files::Hierarchy::V2})
        for (const char* k : cgroup_files::controllers(h))
          if (c == k) return true;
      return false;
    };
    for (const auto& e : entries) {
      const std::string& c = e.value;
      const bool named = c.rfind("name=", 0) == 0;
      if (named ? !valid_hierarchy_name(c.substr(5)) : !known(c)) {
        ctx_.diags.error(e.loc, "'" + c + "' is not a cgroup controller",
                         "a controller such as freezer, cpuacct, perf_event or memory, or name=NAME for a named v1 hierarchy");
        continue;
      }
      if (std::any_of(members_.begin(), members_.end(), [&](const Located<std::string>& m) { return m.value == c; })) {
        ctx_.diags.error(e.loc, "'" + c + "' is listed twice", "list each controller once");
        continue;
      }
      if (!v1_) {
        if (named) {
          ctx_.lossy(e.loc, "named v1 hierarchies do not exist on cgroup v2; " + c + " is not joined");
          continue;
        }
        auto v2 = cgroup_files::controllers(cgroup_files::Hierarchy::V2);
        if (std::find_if(v2.begin(), v2.end(), [&](const char* k) { return c == k; }) == v2.end()) continue;  // core on v2
      }
      members_.push_back(e);
    }
  }

  // The device policy: the rules of the list the default calls for, parsed, merged as the kernel
  // merges them; the other list must be empty (a rule there would mean nothing on v1).
  void devices(const DevicesSpec& d) {
    const bool allow_all = d.default_access && d.default_access->value == "allow";
    const auto& rules = allow_all ? d.deny : d.allow;
    const auto& other = allow_all ? d.allow : d.deny;
    if (!other.empty()) {
      ctx_.diags.error(other.front().loc,
                       std::string("with default ") + (allow_all ? "allow every device is allowed: an allow rule" : "deny no device is allowed: a deny rule") +
                           " means nothing",
                       allow_all ? "list the devices to refuse under deny" : "list the devices to allow under allow, or set default: allow");
      return;
    }
    std::vector<device_rules::Rule> parsed;
    for (const auto& r : rules) {
      std::string error;
      auto p = device_rules::parse(r.value, error);
      if (!p) {
        ctx_.diags.error(r.loc, error, "a rule such as c 1:3 rwm (TYPE a, b or c; MAJOR:MINOR with * for any; ACCESS of r, w, m)");
        return;
      }
      parsed.insert(parsed.end(), p->begin(), p->end());
    }
    devices_.emplace();
    devices_->default_allow = allow_all;
    for (const auto& r : device_rules::merged(parsed)) devices_->exceptions.push_back(device_rules::text(r));
    devices_loc_ = d.loc;
    std::string what = std::string("devices: ") + (allow_all ? "every one but " : "none but ");
    for (size_t i = 0; i < devices_->exceptions.size(); ++i) what += (i ? ", " : "") + devices_->exceptions[i];
    if (devices_->exceptions.empty()) what = allow_all ? "devices: every one" : "devices: none";
    devices_what_ = what;
  }

  void emit_devices(const std::string& dir) {
    if (!devices_) return;
    plan::SetDeviceAccess a = *devices_;
    a.dir = dir;
    a.bpf = !v1_;
    std::vector<std::string> notes;
    if (!a.bpf && a.default_allow && !a.exceptions.empty())
      ctx_.lossy(devices_loc_,
                 "cgroup v1 does not show a default-allow cgroup's denials (devices.list says only a *:* rwm): apply "
                 "writes them again each time, and status cannot confirm them and reports the step as changed",
                 "use default: deny with the devices to allow, which v1 shows and status can check");
    if (a.bpf)
      notes.push_back(
          "v2 has no devices files: apply attaches a BPF_PROG_TYPE_CGROUP_DEVICE program to the cgroup, "
          "as runc, crun and systemd do; an ancestor's program still applies.");
    else
      notes.push_back(std::string("v1: \"a\" to devices.") + (a.default_allow ? "allow" : "deny") +
                      " first, then one rule per write; a child cgroup can allow no more than its parent.");
    const bool bpf = a.bpf, allow_all = a.default_allow;
    const std::vector<std::string> rules = a.exceptions;
    ctx_.add(std::move(a), devices_loc_, devices_what_, notes);
    if (!bpf)
      for (const auto& rule : rules) ctx_.add(plan::AddDeviceRule{dir, !allow_all, rule}, devices_loc_, devices_what_);
  }

  static bool valid_hierarchy_name(const std::string& n) {
    return !n.empty() && n.size() <= 64 &&
           std::all_of(n.begin(), n.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.'; });
  }

  void emit_v1() {
    // Each controller has its own tree; create the path in every tree a value goes to, and in
    // those the profile joins without limits.
    std::vector<std::string> controllers;
    for (const auto& w : writes_)
      if (std::find(controllers.begin(), controllers.end(), w.file->controller) == controllers.end())
        controllers.push_back(w.file->controller);
    for (const auto& m : members_)
      if (std::find(controllers.begin(), controllers.end(), m.value) == controllers.end()) controllers.push_back(m.value);
    if (devices_ && std::find(controllers.begin(), controllers.end(), "devices") == controllers.end())
      controllers.push_back("devices");
    if (controllers.empty()) {
      ctx_.lossy(loc_, "the cgroup sets no limit; on cgroup v1 nothing is created",
                 "cgroup v1 has no hierarchy without a controller that nsplan may use");
      return;
    }
    for (const auto& c : controllers) {
      if (!ctx_.facts.controllers.count(c)) {
        ctx_.diags.error(where(c), "the " + c + (c.rfind("name=", 0) == 0 ? " hierarchy" : " controller") + " is not mounted on this host",
                         "mount it, or remove these values");
        continue;
      }
      std::string root = ctx_.facts.base_of(c);
      std::string leaf = root + "/" + rel_;
      // Co-mounted controllers (cpu,cpuacct; net_cls,net_prio) share one tree: made there once.
      const bool made = std::find(ctx_.plan.cgroup_dirs.begin(), ctx_.plan.cgroup_dirs.end(), leaf) != ctx_.plan.cgroup_dirs.end();
      std::vector<std::string> path = levels();
      for (size_t i = 0; i < path.size(); ++i) {
        std::string dir = root + "/" + path[i];
        if (!made) ctx_.add(plan::MakeCgroup{dir}, loc_, "cgroup " + rel_ + " (" + c + ")");
        if (i + 1 < path.size()) rt_ancestor(c, dir);
        // A new v1 cpuset is empty and refuses tasks; inherit what the profile does not set.
        if (c == "cpuset") {
          bool leaf = i + 1 == path.size();
          for (Setting list : {Setting::CpusetCpus, Setting::CpusetMems}) {
            const char* f = cgroup_files::of(list, cgroup_files::Hierarchy::V1)->name;
            bool given = leaf && std::any_of(writes_.begin(), writes_.end(), [&](const Write& w) { return w.file->setting == list; });
            if (!given)
              ctx_.add(plan::CopyFromParent{dir, f}, loc_, std::string("cgroup v1 cpuset: inherit ") + f,
                       {"a new v1 cpuset starts empty; it takes its parent's value so tasks can join."});
          }
        }
      }
      if (!made) {
        ctx_.plan.cgroup_dirs.push_back(leaf);
        emit_access(leaf);
      }
      for (const auto& w : writes_)
        if (w.file->controller == c) ctx_.add(plan::WriteCgroupFile{leaf, w.name, w.value}, w.loc, w.what, w.notes);
      if (c == "devices") emit_devices(leaf);
    }
  }

  void emit_v2() {
    // Controllers in the kernel's own order, so enabling them reads the same as cgroup.controllers.
    std::vector<std::string> needed;
    for (const char* c : cgroup_files::controllers(cgroup_files::Hierarchy::V2))
      if (std::any_of(writes_.begin(), writes_.end(), [&](const Write& w) { return w.file->controller == std::string_view(c); }) ||
          std::any_of(members_.begin(), members_.end(), [&](const Located<std::string>& m) { return m.value == c; }))
        needed.push_back(c);
    for (const auto& c : needed)
      if (!ctx_.facts.controllers.count(c)) {
        ctx_.diags.error(where(c), "the cgroup v2 root does not offer the " + c + " controller", "check cgroup.controllers of " + ctx_.facts.cgroup_root);
      } else if (!ctx_.facts.systemd_unit.empty() && !systemd_delegates(c)) {
        ctx_.diags.error(where(c),
                         "systemd does not delegate the " + c + " controller, and on this host nsplan's cgroups go below the unit systemd "
                             "delegates to the profile (" + ctx_.facts.systemd_unit + ")",
                         "systemd delegates cpu, cpuset, io, memory and pids; give --cgroup-parent of a cgroup whose cgroup.controllers "
                         "lists " + c + ", or remove these values");
      }
    const std::string base = ctx_.facts.base_of("");
    if (!ctx_.facts.systemd_unit.empty() && rel_.substr(0, rel_.find('/')) == "nsplan-keeper")
      ctx_.diags.error(loc_, "cgroup path " + rel_ + " starts with nsplan-keeper, the cgroup that holds the process of the unit systemd delegates",
                       "choose another cgroup.path");
    if (!ctx_.facts.systemd_unit.empty())
      ctx_.add(plan::DelegatedUnit{ctx_.facts.systemd_unit, kDelegatedSlice, base}, loc_,
               "a cgroup subtree from systemd: unit " + ctx_.facts.systemd_unit + " with Delegate=yes",
               {"systemd owns this host's cgroup tree and is its only writer outside delegated subtrees (systemd.io/CGROUP_DELEGATION):",
                "nsplan asks it for a transient unit whose cgroup it may manage, and makes the profile's cgroups below it.",
                "The unit's one process, sleep infinity, keeps the unit and its cgroup (systemd removes a unit's cgroup once empty);",
                "it moves to nsplan-keeper, as a cgroup holding a process cannot enable controllers for its children."});
    std::string dir = base;
    std::vector<std::string> path = levels();
    std::string controllers_text;
    for (const auto& c : needed) controllers_text += (controllers_text.empty() ? "" : " ") + c;
    for (size_t i = 0; i < path.size(); ++i) {
      if (!needed.empty())
        ctx_.add(plan::EnableControllers{dir, needed}, loc_, "enable " + controllers_text + " for the children of " + dir,
                 i == 0 ? std::vector<std::string>{"v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control."}
                        : std::vector<std::string>{});
      dir = base + "/" + path[i];
      ctx_.add(plan::MakeCgroup{dir}, loc_, "cgroup " + rel_);
    }
    ctx_.plan.cgroup_dirs.push_back(dir);
    emit_access(dir);
    for (const auto& w : writes_) ctx_.add(plan::WriteCgroupFile{dir, w.name, w.value}, w.loc, w.what, w.notes);
    emit_devices(dir);
  }

  // cgroup.permissions, right after the cgroup is made and before its values (as cgconfigparser
  // does): the directory, every other file, then the files that take processes. Admin's files
  // leave out the task files when tasks has owners of its own, so that a second apply finds both
  // in place instead of handing the files back and forth.
  void emit_access(const std::string& dir) {
    const auto& perms = ctx_.profile.cgroup->permissions;
    if (!perms) return;
    auto mode = [](const Opt<std::string>& m) { return m ? std::optional<uint32_t>(std::stoul(m->value, nullptr, 8)) : std::nullopt; };
    auto text = [](const Opt<std::string>& v) { return v ? v->value : std::string(); };
    const std::vector<std::string> task_files =
        v1_ ? std::vector<std::string>{"tasks", "cgroup.procs"} : std::vector<std::string>{"cgroup.procs", "cgroup.threads"};
    if (const auto& a = perms->admin) {
      const std::string who = owner_text(text(a->user), text(a->group));
      if (a->user || a->group || a->dir_mode)
        ctx_.add(plan::SetCgroupAccess{dir, {"."}, text(a->user), text(a->group), mode(a->dir_mode), {}}, a->loc,
                 "admin of the cgroup: " + who + (a->dir_mode ? " mode " + a->dir_mode->value : ""));
      if (a->user || a->group || a->file_mode) {
        std::vector<std::string> except;
        if (const auto& t = perms->tasks; t && (t->user || t->group || t->mode)) except = task_files;
        ctx_.add(plan::SetCgroupAccess{dir, {"*"}, text(a->user), text(a->group), mode(a->file_mode), except}, a->loc,
                 "admin of the cgroup's files: " + who + (a->file_mode ? " mode " + a->file_mode->value : ""),
                 {"every file of the cgroup, limits included: the admin may change them."});
      }
    }
    if (const auto& t = perms->tasks; t && (t->user || t->group || t->mode)) {
      std::vector<std::string> notes;
      if (!v1_)
        notes.push_back(
            "v2 moves a process only for a writer who may also write cgroup.procs of the common ancestor of its "
            "old and new cgroup (cgroups(7), \"Delegation containment\").");
      ctx_.add(plan::SetCgroupAccess{dir, task_files, text(t->user), text(t->group), mode(t->mode), {}}, t->loc,
               "who may add processes: " + owner_text(text(t->user), text(t->group)) + (t->mode ? " mode " + t->mode->value : ""),
               notes);
    }
  }

  static std::string owner_text(const std::string& user, const std::string& group) {
    if (user.empty() && group.empty()) return "owners unchanged";
    return (user.empty() ? "(owner unchanged)" : user) + ":" + (group.empty() ? "(group unchanged)" : group);
  }

  // An ancestor of the leaf below the base gets the leaf's rt period and runtime, before the
  // leaf's: the kernel refuses children whose shares add up to more than their parent's.
  void rt_ancestor(const std::string& controller, const std::string& dir) {
    if (!rt_ancestors_) return;
    const auto* period = cgroup_files::of(Setting::CpuRtPeriod, cgroup_files::Hierarchy::V1);
    const auto* runtime = cgroup_files::of(Setting::CpuRtRuntime, cgroup_files::Hierarchy::V1);
    if (controller != period->controller) return;
    const auto& a = *rt_ancestors_;
    const std::string what = "cpu rt_runtime " + std::to_string(a.runtime) + " us of " + std::to_string(a.period) + " for the children of " + dir;
    ctx_.add(plan::WriteCgroupFile{dir, period->name, std::to_string(a.period)}, a.loc, what);
    ctx_.add(plan::WriteCgroupFile{dir, runtime->name, std::to_string(a.runtime)}, a.loc, what,
             {"an ancestor's rt share must cover its children's (kernel/sched/rt.c tg_rt_schedulable); it is",
              "given back after the cgroup below is gone. Another cgroup below it with runtime of its own needs more."});
  }

  // Where the profile asks for controller C: its first value, or its membership entry.
  SourceLoc where(const std::string& c) const {
    auto w = std::find_if(writes_.begin(), writes_.end(), [&](const Write& x) { return x.file->controller == c; });
    if (w != writes_.end()) return w->loc;
    auto m = std::find_if(members_.begin(), members_.end(), [&](const Located<std::string>& x) { return x.value == c; });
    if (m == members_.end() && c == "devices" && devices_) return devices_loc_;
    return m != members_.end() ? m->loc : loc_;
  }

  PlannerContext& ctx_;
  bool v1_;
  std::vector<Located<std::string>> members_;
  std::optional<plan::SetDeviceAccess> devices_;  // the policy, without its directory yet
  SourceLoc devices_loc_;
  std::string devices_what_;
  std::string rel_;
  SourceLoc loc_;
  std::vector<Write> writes_;
  struct RtShare {
    uint64_t period, runtime;
    SourceLoc loc;
  };
  std::optional<RtShare> rt_ancestors_;  // what the leaf's ancestors below the base need
  std::map<std::string, std::string> ram_notes_;  // memory key -> how its share of RAM became bytes
};

}  // namespace

void plan_cgroup(PlannerContext& ctx) {
  if (!ctx.profile.cgroup) return;
  CgroupPlanner(ctx).run();
}

}  // namespace nsplan
