// Shared state of the planner passes (cgroup, network, launch). Internal to compiler/.
#pragma once
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "compiler/planner.h"
#include "schema/model.h"

namespace nsplan {

struct PlannerContext {
  const Profile& profile;
  const HostFacts& facts;
  const SourceManager& sm;
  const PlanOptions& options;
  Diagnostics& diags;
  plan::Plan& plan;

  plan::Origin origin(SourceLoc loc, std::string what) const {
    return plan::Origin{loc, sm.describe(loc), std::move(what)};
  }
  void add(plan::Action action, SourceLoc loc, std::string what, std::vector<std::string> notes = {}) {
    plan.steps.push_back(plan::Step{std::move(action), origin(loc, std::move(what)), std::move(notes)});
  }
  // A value the target cannot represent faithfully: a warning saying what happens instead, or an
  // error under --strict.
  void lossy(SourceLoc loc, const std::string& message, const std::string& hint = {}) {
    if (options.strict)
      diags.error(loc, message, hint.empty() ? "--strict refuses translations that are not faithful" : hint);
    else
      diags.warning(loc, message, hint);
  }
  // The profile's namespace names for net namespaces ("" = host).
  std::string netns(const Opt<std::string>& ref) const { return ref ? ref->value : ""; }
};

void plan_cgroup(PlannerContext& ctx);
void plan_namespaces_and_network(PlannerContext& ctx);
void plan_launch(PlannerContext& ctx);
// run's process attributes and capabilities (plan_process.cc), into L.process.
void plan_process(PlannerContext& ctx, const RunSpec& run, plan::Launch& l);

}  // namespace nsplan
