#include "compiler/plan.h"

#include <algorithm>

namespace nsplan::plan {

const char* to_string(NsKind k) {
  switch (k) {
    case NsKind::Cgroup: return "cgroup";
    case NsKind::Ipc: return "ipc";
    case NsKind::Mnt: return "mnt";
    case NsKind::Net: return "net";
    case NsKind::Pid: return "pid";
    case NsKind::Time: return "time";
    case NsKind::User: return "user";
    case NsKind::Uts: return "uts";
  }
  return "?";
}

const char* unshare_flag(NsKind k) {
  switch (k) {
    case NsKind::Cgroup: return "--cgroup";
    case NsKind::Ipc: return "--ipc";
    case NsKind::Mnt: return "--mount";
    case NsKind::Net: return "--net";
    case NsKind::Pid: return "--pid";
    case NsKind::Time: return "--time";
    case NsKind::User: return "--user";
    case NsKind::Uts: return "--uts";
  }
  return "?";
}

bool NewNamespaces::has(NsKind k) const { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); }

}  // namespace nsplan::plan
