// What runs in a profile's cgroups: listing, freezing, thawing and signalling it (nsplan freeze,
// thaw, kill, destroy --kill). Only cgroups the profile's state proves nsplan made are acted on,
// each checked against the kernel identity recorded when it was made, right before acting; a
// cgroup that existed before the profile (and so has no record) is never frozen or killed.
//
// v2: cgroup.freeze (waiting for "frozen 1" in cgroup.events) and cgroup.kill (Linux 5.14).
// v1: freezer.state of the profile's cgroup in the freezer hierarchy (when the profile is a
// member there: cgroup.membership), waiting for FROZEN. Other signals than SIGKILL, and SIGKILL
// without cgroup.kill, go to each task while the group is frozen, so that none can fork or exit
// and have its pid reused in between; where nothing can freeze the group (v1 without freezer),
// each task is signalled through a pidfd taken while it was seen inside, passes repeating until
// one finds no new task.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "applier/kernel.h"
#include "applier/undo.h"

namespace nsplan::applier {

struct OwnedCgroup {
  std::string dir;
  KernelId id;
};

// The deepest cgroup the records show nsplan made in each hierarchy (v2: one).
std::vector<OwnedCgroup> owned_leaf_cgroups(const std::vector<Owned>& records);

// The directories of CGROUPS that are still the cgroups nsplan made, each identity checked now: one
// removed, or made again by anyone since (another inode), is left out. For reading only.
std::vector<std::string> still_owned(Kernel& kernel, const std::vector<OwnedCgroup>& cgroups);

struct Task {
  pid_t pid = 0;
  std::string command;  // /proc/PID/comm, "" when it is gone
};

class CgroupControl {
 public:
  CgroupControl(Kernel& kernel, const HostFacts& facts, std::vector<OwnedCgroup> cgroups,
                std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : kernel_(kernel), facts_(facts), cgroups_(std::move(cgroups)), timeout_(timeout) {}

  // The processes in the cgroups (each once), after checking that they are nsplan's.
  SysResult<std::vector<Task>> tasks();
  // Freezes (FROZEN = true) or thaws the cgroups, and waits until the kernel says so.
  Status set_frozen(bool frozen);
  // Sends SIG to every process in the cgroups; for SIGKILL, waits until they are empty.
  Status signal_all(int sig);

 private:
  Status check_identities();
  Status refuse_if_inside();
  const OwnedCgroup* freezer() const;  // the cgroup whose freezer nsplan uses; nullptr: none
  Status freeze_one(const OwnedCgroup& cg, bool frozen);
  Status wait_empty();
  Status signal_frozen(int sig);
  Status signal_by_pidfd(int sig);

  Kernel& kernel_;
  const HostFacts& facts_;
  std::vector<OwnedCgroup> cgroups_;
  std::chrono::milliseconds timeout_;
};

// A signal by name ("KILL", "SIGTERM", "term") or number; 0 when it is not one.
int signal_number(const std::string& text);

}  // namespace nsplan::applier
