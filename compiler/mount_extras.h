// The mounts of namespaces.mnt beyond proc, tmpfs and bind: a minimal /dev (dev: true), as
// bubblewrap's --dev makes it, mqueue and a read-only sysfs. Each is a list of launch steps,
// placed by the mount-tree order of compiler/plan_launch.cc.
#pragma once
#include <string>
#include <vector>

#include "compiler/plan.h"

namespace nsplan {

// The device nodes of the host that the minimal /dev binds (character devices, all harmless).
inline const std::vector<std::string> kMinimalDevNodes = {"null", "zero", "full", "random", "urandom", "tty"};

// A fresh /dev at DEV (a path, in the new root when there is one): a tmpfs mounted first on
// STAGING (the state dir, which exists and hides nothing the command needs) and filled there while
// the host's /dev is still in sight, then bound recursively on DEV and detached from STAGING.
void plan_minimal_dev(const std::string& dev, const std::string& staging, std::vector<plan::InsideStep>& inside);

// mqueue on TARGET; sysfs on TARGET, read-only from the start.
plan::Mount mqueue_mount(const std::string& target);
plan::Mount sysfs_mount(const std::string& target);

}  // namespace nsplan
