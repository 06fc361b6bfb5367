#include "applier/privileges.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "applier/user_cgroups.h"

namespace nsplan::applier {
namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;
constexpr const char* kRootForTree = "root (to write the cgroup tree)";

unsigned long long effective_caps() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

}  // namespace

std::string missing_privileges(const plan::Plan& plan) {
  bool cgroups = false, namespaces = false, links = false;
  for (const auto& s : plan.steps) {
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, plan::DelegatedUnit> || std::is_same_v<T, plan::MakeCgroup> || std::is_same_v<T, plan::EnableControllers> ||
                        std::is_same_v<T, plan::WriteCgroupFile> || std::is_same_v<T, plan::CopyFromParent> ||
                        std::is_same_v<T, plan::SetDeviceAccess> || std::is_same_v<T, plan::AddDeviceRule> ||
                        std::is_same_v<T, plan::SetCgroupAccess>)
            cgroups = true;
          else if constexpr (std::is_same_v<T, plan::CreateNetns> || std::is_same_v<T, plan::CreateNamespace> ||
                             std::is_same_v<T, plan::SetHostname> || std::is_same_v<T, plan::WriteNetnsFile>)
            namespaces = true;
          else
            links = true;
        },
        s.action);
  }
  std::string missing = missing_privileges(false, namespaces, links);
  if (cgroups && geteuid() != 0) {
    // Without --cgroup-parent the profile's cgroups go below the root of the hierarchy: root's.
    std::string lacks = plan.facts.cgroup_parent.empty() ? kRootForTree : user_cannot_apply(plan);
    if (!lacks.empty()) missing += (missing.empty() ? "" : "; ") + lacks;
  }
  return missing;
}

std::string missing_privileges(const std::vector<Owned>& records) {
  if (geteuid() == 0) return missing_privileges(true, true, true);
  bool namespaces = false, links = false;
  for (const auto& r : records) {
    std::visit(
        [&](const auto& u) {
          using T = std::decay_t<decltype(u)>;
          if constexpr (std::is_same_v<T, DeleteNetns> || std::is_same_v<T, DeleteNamespace> || std::is_same_v<T, RestoreHostname> ||
                        std::is_same_v<T, RemoveNetnsFile>)
            namespaces = true;
          else if constexpr (std::is_same_v<T, DeleteLink> || std::is_same_v<T, MoveLinkBack> || std::is_same_v<T, RestoreMtu> || std::is_same_v<T, RestoreMac> ||
                             std::is_same_v<T, RestoreMaster> || std::is_same_v<T, DeleteAddress> || std::is_same_v<T, SetLinkDown> ||
                             std::is_same_v<T, DeleteRoute> || std::is_same_v<T, RestoreSysctl> || std::is_same_v<T, DeleteNftTable>)
            links = true;
        },
        r.undo);
  }
  std::string missing = missing_privileges(false, namespaces, links);
  if (std::string lacks = user_cannot_undo(records); !lacks.empty()) missing += (missing.empty() ? "" : "; ") + lacks;
  return missing;
}

std::string privileges_hint(const std::string& missing) {
  if (geteuid() == 0) return "run as root";
  const std::string uid = std::to_string(geteuid());
  if (missing.find(kRootForTree) != std::string::npos)
    return "run as root, or make the cgroups below a cgroup delegated to you: --cgroup-parent "
           "user.slice/user-" + uid + ".slice/user@" + uid + ".service/app.slice (systemd delegates user@" + uid +
           ".service to its user; docs/profile-format.md)";
  if (missing.find("write access to ") == std::string::npos) return "run as root";
  return "run as root, or name with --cgroup-parent a cgroup delegated to uid " + uid +
         " (its directory, cgroup.procs, cgroup.subtree_control and cgroup.threads owned by it, as systemd's "
         "user@" + uid + ".service)";
}

std::string missing_privileges(bool cgroups, bool namespaces, bool links) {
  unsigned long long caps = effective_caps();
  std::string missing;
  auto need = [&](bool wanted, int cap, const char* name, const char* why) {
    if (wanted && !(caps & (1ull << cap))) missing += std::string(missing.empty() ? "" : "; ") + name + " (" + why + ")";
  };
  need(namespaces, kCapSysAdmin, "CAP_SYS_ADMIN", "to create and mount namespaces");
  need(links, kCapNetAdmin, "CAP_NET_ADMIN", "to create links, addresses and routes");
  if (cgroups && geteuid() != 0) missing += std::string(missing.empty() ? "" : "; ") + kRootForTree;
  return missing;
}

}  // namespace nsplan::applier
