// The transient unit systemd delegates to a profile (plan::DelegatedUnit), defined once: the
// properties that apply gives systemd-run (applier/systemd_client.cc) are the ones explain prints
// (applier/shell_kernel.cc).
#pragma once
#include <string>
#include <vector>

namespace nsplan::applier {

struct UnitProperty {
  std::string name;
  std::string value;
};

// A service whose one process, `sleep infinity`, keeps it active: systemd removes the cgroup of a
// unit with no process left (a oneshot that has exited included), and with it everything
// delegated below. Type=exec: started once sleep runs. DefaultDependencies=no: an apply at boot,
// ordered before basic.target (nsplan@.service), must not wait for basic.target.
// CollectMode: a unit that failed is not left behind.
inline std::vector<UnitProperty> delegated_unit_properties(const std::string& unit, const std::string& slice) {
  return {
      {"Description", "nsplan: cgroups of " + unit.substr(0, unit.rfind('.')) + " (delegated)"},
      {"Slice", slice},
      {"Type", "exec"},
      {"Delegate", "yes"},
      {"DefaultDependencies", "no"},
      {"CollectMode", "inactive-or-failed"},
  };
}

// The unit's process, and the cgroup below the unit's own where nsplan moves it: v2 lets a cgroup
// enable controllers for its children only while no process is in it ("no internal processes").
inline const std::vector<std::string> kDelegatedUnitCommand = {"/bin/sleep", "infinity"};
inline constexpr const char* kKeeperCgroup = "nsplan-keeper";

}  // namespace nsplan::applier
