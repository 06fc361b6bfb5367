// The executor's one seam to the kernel: cgroup files, namespaces, links. LinuxKernel is the
// real thing (cgroupfs, libnl3, nsfs bind mounts); ShellKernel (shell_kernel.h) writes each
// change as the sh command that makes it, so `explain` is the same executor run as `apply`;
// tests/unit/fake_kernel.h simulates the kernel in memory, records every call and can fail the
// k-th change, to test ordering and rollback.
//
// Every call is a primitive with all of its choices in its arguments: a backend renders it and
// decides nothing. Where apply or destroy decide on what they find (a controller still used
// below, a cgroup that other cgroups sit in), the decision is a primitive of its own here, with a
// default made of the plain primitives, so that the script writer can render the same test.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "applier/netlink.h"
#include "applier/sys_error.h"
#include "compiler/host_facts.h"
#include "compiler/plan.h"

namespace nsplan::applier {

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Where the next calls come from (a profile line and what it says), for a script writer's
  // comments; the real kernel ignores it.
  virtual void announce(const std::string& /*what*/, const std::vector<std::string>& /*notes*/ = {}) {}

  // ---- cgroups: DIR is an absolute directory below a hierarchy mount of the HostFacts ----
  virtual SysResult<bool> cgroup_exists(const std::string& dir) = 0;
  virtual Status cgroup_mkdir(const std::string& dir) = 0;
  virtual Status cgroup_rmdir(const std::string& dir) = 0;
  virtual SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) = 0;
  virtual Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) = 0;
  // FILE of DIR's parent written to DIR/FILE (v1 cpuset.cpus/mems of a new cgroup).
  virtual Status cgroup_copy_from_parent(const std::string& dir, const std::string& file);
  // Disables CONTROLLERS in DIR's cgroup.subtree_control, unless cgroups remain below DIR (another
  // profile sharing an ancestor would lose its limits). true: disabled; false: left as it is.
  virtual SysResult<bool> cgroup_disable_unless_used(const std::string& dir, const std::vector<std::string>& controllers);
  // rmdir DIR, unless other cgroups are below it (then it stays). true: removed; false: kept.
  virtual SysResult<bool> cgroup_remove_unless_shared(const std::string& dir);

  // ---- namespaces ----
  virtual SysResult<bool> netns_exists(const std::string& name) = 0;
  virtual Status netns_create(const std::string& name) = 0;
  virtual Status netns_delete(const std::string& name) = 0;
  virtual SysResult<bool> ns_exists(const std::string& path) = 0;
  virtual Status ns_create(plan::NsKind kind, const std::string& path) = 0;
  virtual Status ns_delete(const std::string& path) = 0;
  virtual SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) = 0;
  virtual Status set_hostname(const std::string& ns_path, const std::string& hostname,
                              const std::string& domainname) = 0;

  // ---- links ("" = the host's network namespace) ----
  virtual Status link_create(const plan::CreateLink& link) = 0;
  virtual Status link_delete(const std::string& netns, const std::string& name) = 0;
  virtual Status link_group_delete(const std::string& netns, uint32_t group) = 0;
  virtual Status link_move(const std::string& from, const std::string& name, const std::string& to) = 0;
  virtual Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) = 0;
  virtual Status link_master(const std::string& netns, const std::string& dev, const std::string& master) = 0;
  virtual Status link_up(const std::string& netns, const std::string& dev, bool up) = 0;
  // NODAD: the address is usable at once (no duplicate address detection; IPv6).
  virtual Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) = 0;
  virtual Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) = 0;
  virtual Status route_add(const RouteSpec& route) = 0;
  virtual Status route_del(const RouteSpec& route) = 0;
  virtual SysResult<std::vector<LinkInfo>> links(const std::string& netns) = 0;
  virtual SysResult<std::vector<AddressInfo>> addresses(const std::string& netns) = 0;
  virtual SysResult<std::vector<RouteInfo>> routes(const std::string& netns) = 0;
};

// The real kernel, as seen from this process. Opens cgroup hierarchies and netlink sockets on
// first use and keeps them for the whole apply (one socket per namespace).
std::unique_ptr<Kernel> make_linux_kernel(const HostFacts& facts);

}  // namespace nsplan::applier
