// Profile + HostFacts -> Plan. Pure: the same inputs always give the same plan.
#pragma once
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "schema/model.h"

namespace nsplan {

struct PlanOptions {
  bool strict = false;  // a value with no faithful equivalent on the target is an error
};

plan::Plan make_plan(const Profile& profile, const HostFacts& facts, const SourceManager& sm,
                     const PlanOptions& options, Diagnostics& diags);

// On a host where systemd owns the cgroup v2 tree: the transient unit systemd delegates to a
// profile ("nsplan-NAME.service"), in the slice where systemd-run puts services.
std::string delegated_unit_of(const std::string& profile_name);
inline constexpr const char* kDelegatedSlice = "system.slice";

// The link group that holds a profile's host-side links (stable, derived from its name).
uint32_t link_group_of(const std::string& profile_name);

}  // namespace nsplan
