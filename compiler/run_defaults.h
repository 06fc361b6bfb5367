// Defaults of run's keys that depend on other keys: one rule for nsplan run (plan_launch.cc) and
// for nsplan export (export_process.cc).
#pragma once
#include "schema/model.h"

namespace nsplan {

// run.no_new_privs, or its default: true for a jail that sets capabilities, uid or gid, whose
// privileges a set-user-ID program or file capabilities would otherwise give back
// (docs/profile-format.md, "no_new_privs").
inline bool no_new_privs_of(const RunSpec& r) {
  return r.no_new_privs ? r.no_new_privs->value : (r.capabilities.has_value() || r.uid.has_value() || r.gid.has_value());
}

}  // namespace nsplan
