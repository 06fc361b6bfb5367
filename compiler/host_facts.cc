#include "compiler/host_facts.h"

#include "compiler/cgroup_files.h"

namespace nsplan {

const char* to_string(CgroupMode m) { return m == CgroupMode::V1 ? "v1" : "v2"; }

HostFacts HostFacts::stated(CgroupMode mode, const std::string& root) {
  HostFacts f;
  f.mode = mode;
  f.cgroup_root = root.empty() ? "/sys/fs/cgroup" : root;
  if (mode == CgroupMode::V1) {
    for (const char* c : cgroup_files::controllers(cgroup_files::Hierarchy::V1)) {
      f.v1_mounts[c] = f.cgroup_root + "/" + c;
      f.controllers.insert(c);
    }
  } else {
    for (const char* c : cgroup_files::controllers(cgroup_files::Hierarchy::V2)) f.controllers.insert(c);
  }
  return f;
}

std::string HostFacts::hierarchy_of(const std::string& controller) const {
  if (mode == CgroupMode::V2) return cgroup_root;
  auto it = v1_mounts.find(controller);
  return it != v1_mounts.end() ? it->second : cgroup_root + "/" + controller;
}

std::string HostFacts::base_of(const std::string& controller) const {
  std::string root = hierarchy_of(controller);
  return cgroup_parent.empty() ? root : root + "/" + cgroup_parent;
}

HostFacts HostFacts::with_limits() const {
  HostFacts f = *this;
  if (auto read = std::move(f.read_limits)) {
    f.read_limits = nullptr;
    read(f);
  }
  return f;
}

std::string HostFacts::describe() const {
  if (mode == CgroupMode::V2)
    return "cgroup v2 (unified hierarchy at " + cgroup_root + (systemd ? ", managed by systemd" : "") + ")";
  return std::string("cgroup v1 (one hierarchy per controller under ") + cgroup_root + ")" +
         (hybrid ? ", hybrid host" : "");
}

}  // namespace nsplan
