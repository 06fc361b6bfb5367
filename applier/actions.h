// Per action kind of the Plan: how to observe it on the live system, how to perform it, and what
// undoes it (computed from what was observed just before). One std::visit each, without a
// default branch: a new action kind does not compile until it is handled here.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "applier/kernel.h"
#include "applier/live_view.h"
#include "applier/undo.h"
#include "compiler/plan.h"

namespace nsplan::applier {

struct Observation {
  bool satisfied = false;  // the action's effect is already present: nothing to do
  bool exists = false;     // its subject exists (so a change is "~", not "+")
  std::string current;     // what is there now, for "old -> new" and for the undo
  std::vector<std::string> missing;  // EnableControllers: those not enabled yet
  std::optional<SysError> error;     // could not look: the step fails rather than act blind
  // MoveLink: the device as the host has it (up, bridge, addresses, routes), to give it back so.
  std::optional<MoveLinkBack> device;
};

Observation observe(const plan::Action& action, Kernel& kernel, LiveView& view);
Status perform(const plan::Action& action, Kernel& kernel, LiveView& view);
// What undoes the action, given the observation made before it; nullopt when nothing needs undoing
// (e.g. mkdir of a directory that was already there is never performed).
std::optional<Undo> undo_for(const plan::Action& action, const Observation& before);
// The resource an action makes or sets: the same key for the same thing across applies, so that
// a later apply knows what it still owns and what the profile no longer asks for.
std::string resource_key(const plan::Action& action);
// "+ mkdir /sys/fs/cgroup/x", "~ memory.max of /sys/fs/cgroup/x: 1073741824 -> 3221225472"
ChangeText describe_change(const plan::Action& action, const Observation& before);
// The route of an AddRoute, as the kernel layer takes it.
RouteSpec route_spec(const plan::AddRoute& route);

}  // namespace nsplan::applier
