#include "compiler/planner.h"

#include "compiler/planner_context.h"
#include "compiler/uplink.h"

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

std::string delegated_unit_of(const std::string& profile_name) { return "nsplan-" + profile_name + ".service"; }

namespace {

// Where the profile's cgroups go on this target: below the unit systemd delegates to the profile
// when systemd owns the v2 tree and no --cgroup-parent says otherwise (profile names are valid
// unit name characters: compiler/names.h). Only a profile with cgroups needs the limit facts.
HostFacts facts_for(const Profile& profile, const HostFacts& facts) {
  HostFacts f = profile.cgroup ? facts.with_limits() : facts;
  if (f.systemd && f.mode == CgroupMode::V2 && f.cgroup_parent.empty() && profile.cgroup) {
    f.systemd_unit = delegated_unit_of(profile.name.value);
    f.cgroup_parent = std::string(kDelegatedSlice) + "/" + f.systemd_unit;
  }
  return f;
}

}  // namespace

plan::Plan make_plan(const Profile& profile, const HostFacts& given, const SourceManager& sm,
                     const PlanOptions& options, Diagnostics& diags) {
  plan::Plan plan;
  plan.profile = profile.name.value;
  plan.source = profile.loc.valid() ? sm.file(profile.loc.file).path : "";
  const HostFacts facts = facts_for(profile, given);
  plan.facts = facts;
  PlannerContext ctx{profile, facts, sm, options, diags, plan};
  plan_cgroup(ctx);
  plan_namespaces_and_network(ctx);
  plan_uplink(ctx);
  plan_launch(ctx);
  return plan;
}

}  // namespace nsplan
