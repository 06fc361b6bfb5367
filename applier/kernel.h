// The executor's one seam to the kernel: cgroup files, namespaces, links. LinuxKernel is the
// real thing (cgroupfs, libnl3, nsfs bind mounts); tests/unit/fake_kernel.h simulates it in
// memory, records every call and can fail the k-th change, to test ordering and rollback.
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

  // ---- cgroups: DIR is an absolute directory below a hierarchy mount of the HostFacts ----
  virtual SysResult<bool> cgroup_exists(const std::string& dir) = 0;
  virtual Status cgroup_mkdir(const std::string& dir) = 0;
  virtual Status cgroup_rmdir(const std::string& dir) = 0;
  virtual SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) = 0;
  virtual Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) = 0;

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
  virtual Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr) = 0;
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
