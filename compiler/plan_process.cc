// run.capabilities, umask, nice, oom_score_adj, ioprio, sched and cpus become Launch::process
// (plan_process.h), checked here with located errors: capability names, umask range, the
// priority a scheduling policy takes, the level an I/O class takes, CPU numbers. The same pass
// is the check of `nsplan check` (check_process, called by checks.cc).
#include <algorithm>
#include <cctype>

#include "compiler/capability_names.h"
#include "compiler/planner_context.h"
#include "compiler/process_checks.h"
#include "compiler/profile_reader.h"

namespace nsplan {
namespace {

constexpr int kMaxCpus = 1024;  // CPU_SETSIZE of glibc's cpu_set_t

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

class ProcessPlanner {
 public:
  ProcessPlanner(Diagnostics& diags, plan::ProcessAttrs& out) : diags_(diags), out_(out) {}

  void run(const RunSpec& r) {
    if (r.umask) {
      uint32_t mask = static_cast<uint32_t>(std::stoul(r.umask->value, nullptr, 8));
      if (mask > 0777) diags_.error(r.umask->loc, "umask " + quoted(r.umask->value) + " is out of range", "a umask goes from 000 to 777");
      else out_.umask = mask;
    }
    if (r.nice) out_.nice = static_cast<int>(r.nice->value);
    if (r.oom_score_adj) out_.oom_score_adj = static_cast<int>(r.oom_score_adj->value);
    if (r.ioprio) ioprio(*r.ioprio);
    if (r.sched) sched(*r.sched);
    if (r.cpus) cpus(*r.cpus);
    if (r.capabilities) capabilities(*r.capabilities);
  }

 private:
  void ioprio(const IoprioSpec& s) {
    if (!s.io_class) return;  // required: the reader said so
    plan::IoPriority p;
    p.io_class = s.io_class->value;
    p.class_value = p.io_class == "realtime" ? 1 : p.io_class == "best-effort" ? 2 : 3;
    if (p.class_value == 3 && s.level)
      diags_.error(s.level->loc, "the idle I/O class has no level", "leave ioprio.level out");
    p.level = p.class_value == 3 ? 0 : s.level ? static_cast<int>(s.level->value) : 4;
    out_.ioprio = p;
  }

  void sched(const SchedSpec& s) {
    if (!s.policy) return;
    plan::Scheduler p;
    p.policy = s.policy->value;
    const bool realtime = p.policy == "fifo" || p.policy == "rr";
    p.policy_value = p.policy == "other" ? 0 : p.policy == "fifo" ? 1 : p.policy == "rr" ? 2 : p.policy == "batch" ? 3 : 5;
    p.priority = s.priority ? static_cast<int>(s.priority->value) : realtime ? 1 : 0;
    if (realtime && p.priority == 0)
      diags_.error(s.priority->loc, "policy " + p.policy + " needs a priority from 1 to 99", "write sched.priority: 1");
    if (!realtime && p.priority != 0)
      diags_.error(s.priority->loc, "policy " + p.policy + " takes priority 0 only",
                       "leave sched.priority out, or choose policy fifo or rr");
    out_.sched = p;
  }

  void cpus(const Located<std::string>& list) {
    // The reader normalised it ("0-1,3"): ranges and numbers, ascending.
    std::vector<int> cpus;
    size_t pos = 0;
    const std::string& s = list.value;
    while (pos < s.size()) {
      size_t end = s.find(',', pos);
      if (end == std::string::npos) end = s.size();
      std::string item = s.substr(pos, end - pos);
      size_t dash = item.find('-');
      long lo = std::stol(item.substr(0, dash));
      long hi = dash == std::string::npos ? lo : std::stol(item.substr(dash + 1));
      if (hi >= kMaxCpus) {
        diags_.error(list.loc, "CPU " + std::to_string(hi) + " is out of range",
                         "CPU numbers go from 0 to " + std::to_string(kMaxCpus - 1));
        return;
      }
      for (long c = lo; c <= hi; ++c) cpus.push_back(static_cast<int>(c));
      pos = end + 1;
    }
    out_.cpus = s;
    out_.cpu_list = std::move(cpus);
  }

  // The number of a capability name, or a located error with the spelling nsplan takes.
  std::optional<int> number(const Located<std::string>& name) {
    if (auto n = capability_number(name.value)) return n;
    std::string lower;
    for (char c : name.value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("cap_", 0) == 0) lower = lower.substr(4);
    std::string hint;
    if (capability_number(lower)) hint = "write " + quoted(lower) + ": capabilities are named as setpriv(1) names them, lower case, without cap_";
    else if (std::string best = closest_match(lower, capability_names()); !best.empty()) hint = "did you mean " + quoted(best) + "?";
    else hint = "names are those of capabilities(7) without CAP_, in lower case: net_admin, sys_time, ...";
    diags_.error(name.loc, "unknown capability " + quoted(name.value), hint);
    return std::nullopt;
  }

  std::vector<int> numbers(const std::vector<Located<std::string>>& names) {
    std::vector<int> out;
    for (const auto& n : names)
      if (auto k = number(n); k && !contains(out, *k)) out.push_back(*k);
    return out;
  }

  void capabilities(const CapabilitiesSpec& c) {
    bool drop_all = false;
    std::vector<Located<std::string>> named_drops;
    for (const auto& d : c.drop) {
      if (d.value == "all") drop_all = true;
      else named_drops.push_back(d);
    }
    std::vector<int> drop = numbers(named_drops), add = numbers(c.add);
    for (const auto& a : c.add)
      if (auto k = capability_number(a.value); k && contains(drop, *k))
        diags_.error(a.loc, "capability " + quoted(a.value) + " is both dropped and added", "name it in one of drop and add");
    plan::CapabilityChange computed{drop_all, add, drop};
    // The bounding set cannot grow: add only keeps what "-all" would drop.
    plan::CapabilityChange bounding_computed{drop_all, drop_all ? add : std::vector<int>{}, drop};
    auto exact = [&](const std::vector<Located<std::string>>& names) { return plan::CapabilityChange{true, numbers(names), {}}; };
    plan::Capabilities& caps = out_.caps;
    caps.bounding = c.bounding.empty() ? bounding_computed : exact(c.bounding);
    caps.inheritable = c.inheritable.empty() ? computed : exact(c.inheritable);
    caps.ambient = c.ambient.empty() ? computed : exact(c.ambient);
    // An ambient capability must stay in the inheritable and bounding sets (capabilities(7)).
    auto may_hold = [](const plan::CapabilityChange& set, int k) {
      return !contains(set.drop, k) && (!set.clear_all || contains(set.add, k));
    };
    const auto& ambient_names = c.ambient.empty() ? c.add : c.ambient;
    for (const auto& a : ambient_names) {
      auto k = capability_number(a.value);
      if (!k) continue;
      if (!may_hold(caps.inheritable, *k))
        diags_.error(a.loc, "ambient capability " + quoted(a.value) + " is not in the inheritable set",
                         "the kernel keeps an ambient capability only while it is inheritable: add it to capabilities.inheritable");
      if (!may_hold(caps.bounding, *k))
        diags_.error(a.loc, "ambient capability " + quoted(a.value) + " is not in the bounding set",
                         "add it to capabilities.bounding");
    }
  }

  Diagnostics& diags_;
  plan::ProcessAttrs& out_;
};

}  // namespace

void check_process(const RunSpec& run, Diagnostics& diags) {
  plan::ProcessAttrs scratch;
  ProcessPlanner(diags, scratch).run(run);
}

// The checks passed (compile.cc plans only then): nothing is reported twice.
void plan_process(PlannerContext& ctx, const RunSpec& run, plan::Launch& l) { ProcessPlanner(ctx.diags, l.process).run(run); }

}  // namespace nsplan
