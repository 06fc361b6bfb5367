#include "compiler/mount_extras.h"

namespace nsplan {

void plan_minimal_dev(const std::string& dev, const std::string& staging, std::vector<plan::InsideStep>& inside) {
  using T = plan::Mount::Type;
  inside.push_back(plan::MakeMountPoint{staging, ""});
  // nodev on the tmpfs: the nodes are binds of the host's, which keep their own mount's flags.
  inside.push_back(plan::Mount{T::Tmpfs, "tmpfs", staging, {"nosuid", "nodev", "noexec"}, "mode=0755", false});
  for (const auto& node : kMinimalDevNodes) {
    const std::string host = "/dev/" + node, path = staging + "/" + node;
    inside.push_back(plan::MakeMountPoint{path, host});
    inside.push_back(plan::Mount{T::Bind, host, path, {}, "", false});
  }
  // A devpts of its own: the command's terminals are not the host's (newinstance), and ptmx
  // opens this instance's.
  inside.push_back(plan::MakeMountPoint{staging + "/pts", ""});
  inside.push_back(plan::Mount{T::Devpts, "devpts", staging + "/pts", {"nosuid", "noexec"}, "newinstance,ptmxmode=0666,mode=620", false});
  inside.push_back(plan::MakeSymlink{"pts/ptmx", staging + "/ptmx"});
  inside.push_back(plan::MakeMountPoint{staging + "/shm", ""});
  inside.push_back(plan::Mount{T::Tmpfs, "tmpfs", staging + "/shm", {"nosuid", "nodev"}, "mode=1777", false});
  inside.push_back(plan::MakeSymlink{"/proc/self/fd", staging + "/fd"});
  const char* streams[] = {"stdin", "stdout", "stderr"};
  for (int i = 0; i < 3; ++i) inside.push_back(plan::MakeSymlink{"/proc/self/fd/" + std::to_string(i), staging + "/" + streams[i]});
  inside.push_back(plan::Mount{T::Bind, staging, dev, {}, "", true});
  inside.push_back(plan::Unmount{staging});
}

plan::Mount mqueue_mount(const std::string& target) {
  return plan::Mount{plan::Mount::Type::Mqueue, "mqueue", target, {"nosuid", "nodev", "noexec"}, "", false};
}

plan::Mount sysfs_mount(const std::string& target) {
  return plan::Mount{plan::Mount::Type::Sysfs, "sysfs", target, {"ro", "nosuid", "nodev", "noexec"}, "", false};
}

}  // namespace nsplan
