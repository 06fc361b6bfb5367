#include "applier/privileges.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace nsplan::applier {
namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;

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
                             std::is_same_v<T, plan::SetHostname>)
            namespaces = true;
          else
            links = true;
        },
        s.action);
  }
  return missing_privileges(cgroups, namespaces, links);
}

std::string missing_privileges(bool cgroups, bool namespaces, bool links) {
  unsigned long long caps = effective_caps();
  std::string missing;
  auto need = [&](bool wanted, int cap, const char* name, const char* why) {
    if (wanted && !(caps & (1ull << cap))) missing += std::string(missing.empty() ? "" : "; ") + name + " (" + why + ")";
  };
  need(namespaces, kCapSysAdmin, "CAP_SYS_ADMIN", "to create and mount namespaces");
  need(links, kCapNetAdmin, "CAP_NET_ADMIN", "to create links, addresses and routes");
  if (cgroups && geteuid() != 0) missing += std::string(missing.empty() ? "" : "; ") + "root (to write the cgroup tree)";
  return missing;
}

}  // namespace nsplan::applier
