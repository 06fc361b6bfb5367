// Process attributes of the launched command (run.capabilities, umask, nice, oom_score_adj,
// ioprio, sched, cpus): part of plan::Launch. The planner fills them (compiler/plan_process.cc),
// `nsplan run` performs them (applier/process_attrs.cc, applier/capabilities.cc) and `nsplan
// explain` renders them (applier/shell_process.cc), in this order: after the steps inside the
// namespaces, umask, nice, oom_score_adj, ioprio, sched, cpus; then the bounding set; then the
// identity (uid change keeping the permitted set); then the inheritable and ambient sets; exec.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nsplan::plan {

// A change of one capability set, as setpriv(1) writes it: "-all" first when CLEAR_ALL, then
// "+cap" for each of ADD, "-cap" for each of DROP. Numbers as in <linux/capability.h>.
struct CapabilityChange {
  bool clear_all = false;
  std::vector<int> add, drop;
  bool empty() const { return !clear_all && add.empty() && drop.empty(); }
};

struct Capabilities {
  CapabilityChange bounding, inheritable, ambient;
  bool any() const { return !bounding.empty() || !inheritable.empty() || !ambient.empty(); }
};

struct IoPriority {
  std::string io_class;  // "realtime" | "best-effort" | "idle"
  int class_value = 0;   // IOPRIO_CLASS_RT 1, BE 2, IDLE 3
  int level = 0;
};

struct Scheduler {
  std::string policy;  // "other" | "batch" | "idle" | "fifo" | "rr"
  int policy_value = 0;  // SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5
  int priority = 0;
};

struct ProcessAttrs {
  std::optional<uint32_t> umask;
  std::optional<int> nice, oom_score_adj;
  std::optional<IoPriority> ioprio;
  std::optional<Scheduler> sched;
  std::string cpus;       // "0-1,3", as the profile wrote it (normalised)
  std::vector<int> cpu_list;  // the CPUs it names
  Capabilities caps;
  bool any_attr() const { return umask || nice || oom_score_adj || ioprio || sched || !cpus.empty(); }
};

}  // namespace nsplan::plan
