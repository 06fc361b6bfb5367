// HostFacts read off this machine: cgroup layout (as systemd detects it: statfs of
// /sys/fs/cgroup, then /proc/self/mountinfo), controllers, swap accounting, block devices.
#pragma once
#include <string>

#include "compiler/host_facts.h"

namespace nsplan::applier {

struct ProbeResult {
  bool ok = false;
  HostFacts facts;
  std::string error;  // why the layout could not be told
};

// `root` is the cgroup mount directory to look at (default /sys/fs/cgroup).
ProbeResult probe_host(const std::string& root = "/sys/fs/cgroup");

}  // namespace nsplan::applier
