#include "compiler/planner.h"

#include "compiler/planner_context.h"

namespace nsplan {

uint32_t link_group_of(const std::string& profile_name) {
  // FNV-1a, folded into 0x10000..0x7fffffff: clear of group 0 (default) and of small numbers
  // people pick by hand.
  uint32_t h = 2166136261u;
  for (unsigned char c : profile_name) {
    h ^= c;
    h *= 16777619u;
  }
  return 0x10000u + h % (0x7fffffffu - 0x10000u);
}

plan::Plan make_plan(const Profile& profile, const HostFacts& facts, const SourceManager& sm,
                     const PlanOptions& options, Diagnostics& diags) {
  plan::Plan plan;
  plan.profile = profile.name.value;
  plan.source = profile.loc.valid() ? sm.file(profile.loc.file).path : "";
  plan.facts = facts;
  PlannerContext ctx{profile, facts, sm, options, diags, plan};
  plan_cgroup(ctx);
  plan_namespaces_and_network(ctx);
  plan_launch(ctx);
  return plan;
}

}  // namespace nsplan
