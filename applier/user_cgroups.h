// Whether a user without root may make a plan's cgroups, or take back what a profile's records
// say nsplan made, in a cgroup subtree delegated to them (cgroups(7) "Delegation"; on systemd,
// user@UID.service is delegated to its user: the directory and its cgroup.procs,
// cgroup.subtree_control and cgroup.threads are theirs).
//
// Below a delegation point the kernel asks only for file permissions: write access to the
// directory a cgroup is made (or removed) in, and to every file written. A cgroup a user makes is
// theirs: the kernel gives the directory and its files to their creator. So the plan may go ahead
// when each such path that exists now is writable by this user; a path in a cgroup the plan makes
// will be theirs. Device rules (CAP_SYS_ADMIN on v1, a BPF program on v2) and owners of files
// (chown) stay root's. The same holds for each hierarchy of a v1 host delegated the same way.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "applier/undo.h"
#include "compiler/plan.h"

namespace nsplan::applier {

struct WriteNeed {
  std::string path;  // a directory or a file that must be writable
  std::string why;   // "to make the cgroup /sys/fs/cgroup/p/x"
};
struct UserCgroupNeeds {
  std::vector<std::string> root_only;  // what only root may do: "to set device rules (...)"
  std::vector<WriteNeed> writes;       // existing paths the user must be able to write
};

// EXISTS tells whether a path is there now (pure given it: unit-tested).
using Exists = std::function<bool(const std::string& path)>;
UserCgroupNeeds user_apply_needs(const plan::Plan& plan, const Exists& exists);
UserCgroupNeeds user_undo_needs(const std::vector<Owned>& records, const Exists& exists);

// freeze, thaw and kill of the cgroups DIRS: their cgroup.freeze, cgroup.kill (v2) and
// freezer.state (v1), those that exist.
UserCgroupNeeds user_control_needs(const std::vector<std::string>& dirs, const Exists& exists);

// "" when this process may do it by the owners and modes on the host now; otherwise what it
// lacks, in words (the first few paths).
std::string user_cannot_apply(const plan::Plan& plan);
std::string user_cannot_undo(const std::vector<Owned>& records);
std::string user_cannot_control(const std::vector<std::string>& dirs);

}  // namespace nsplan::applier
