// The script writer: a Kernel whose changes are sh commands. `nsplan explain` runs the very
// executor that `nsplan apply` and `nsplan destroy` run (applier/executor.h) against it, as
// ninja's dry run takes its command text from the same edge as the real run: the script has the
// steps of apply, in apply's order, with apply's choices, because apply made them.
//
// Each primitive is rendered mechanically, with the tools an admin knows: echo/cat/mkdir/rmdir
// into cgroupfs, iproute2 for links, addresses and routes, util-linux for namespaces. Operands
// are always quoted (sh_quote). Observations see a host where nothing of the profile exists yet
// (no cgroup, namespace or link of its own), which is what the script is written for; the
// primitives that decide on what they find render that test as sh. Identities (KernelId) are not
// known to a script: the records explain's apply leaves carry none, and the checks destroy makes
// against them are stated in the script's header instead.
#pragma once
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "applier/kernel.h"

namespace nsplan::applier {

class ShellKernel final : public Kernel {
 public:
  // LOCATIONS false: step comments say what the profile line says, not where it is
  // (explain --no-locations), so edits that do not change the plan do not change the script.
  // CGROUP_ROOT: the cgroup2 mount, to name a unit's cgroup as systemd names it.
  explicit ShellKernel(bool locations = true, std::string cgroup_root = "/sys/fs/cgroup")
      : locations_(locations), cgroup_root_(std::move(cgroup_root)) {}

  // The script written so far, emptied.
  std::string take();

  void announce(const std::string& what, const std::vector<std::string>& notes = {}, const std::string& where = {}) override;

  SysResult<bool> cgroup_exists(const std::string& dir) override;
  Status cgroup_mkdir(const std::string& dir) override;
  Status cgroup_rmdir(const std::string& dir) override;
  SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) override;
  Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) override;
  Status cgroup_copy_from_parent(const std::string& dir, const std::string& file) override;
  SysResult<bool> cgroup_disable_unless_used(const std::string& dir, const std::vector<std::string>& controllers) override;
  SysResult<bool> cgroup_remove_unless_shared(const std::string& dir) override;
  SysResult<KernelId> cgroup_id(const std::string& dir) override;
  SysResult<std::vector<FileAccess>> cgroup_access(const std::string& dir, const std::vector<std::string>& files,
                                                   const std::vector<std::string>& except) override;
  Status cgroup_set_access(const std::string& dir, const std::vector<std::string>& files, const std::vector<std::string>& except,
                           const std::string& user, const std::string& group, std::optional<uint32_t> mode) override;
  SysResult<std::vector<AttachedProgram>> device_programs(const std::string& dir) override;
  Status device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& exceptions) override;
  Status device_program_detach(const std::string& dir, uint32_t id) override;

  SysResult<UnitState> unit_state(const std::string& unit) override;
  Status unit_start(const std::string& unit, const std::string& slice) override;
  Status unit_start_delegated(const std::string& unit, const std::string& slice, const std::string& dir) override;
  SysResult<bool> unit_stop_unless_used(const std::string& unit, const std::string& dir, const std::string& main_pid) override;

  // UNIT, with its cgroup DIR, was started by an earlier part of the script (explain --destroy).
  void unit_started_by_script(const std::string& unit, const std::string& dir) { units_started_[unit] = dir; }

  // What the script could not do itself, one line each ("the device program of DIR"): explain
  // --strict refuses a script that has any.
  const std::vector<std::string>& not_in_sh() const { return not_in_sh_; }

  SysResult<std::string> sysctl_read(const std::string& key) override;
  Status sysctl_write(const std::string& key, const std::string& value) override;
  SysResult<bool> sysctl_restore_unless_changed(const std::string& key, const std::string& old, const std::string& set) override;
  SysResult<NftTableInfo> nft_table(const std::string& family, const std::string& name) override;
  Status nft_load(const std::string& family, const std::string& name, const std::string& ruleset) override;
  Status nft_delete_table(const std::string& family, const std::string& name, uint64_t handle) override;

  SysResult<bool> netns_exists(const std::string& name) override;
  Status netns_create(const std::string& name) override;
  Status netns_delete(const std::string& name) override;
  SysResult<bool> ns_exists(const std::string& path) override;
  Status ns_create(plan::NsKind kind, const std::string& path) override;
  Status ns_delete(const std::string& path) override;
  SysResult<KernelId> ns_id(const std::string& path) override;
  SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) override;
  Status set_hostname(const std::string& ns_path, const std::string& hostname, const std::string& domainname) override;
  SysResult<std::optional<std::string>> netns_etc_read(const std::string& netns, const std::string& file) override;
  Status netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) override;
  SysResult<KernelId> netns_etc_id(const std::string& netns, const std::string& file) override;
  Status netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) override;

  uint32_t link_group_claim(uint32_t preferred, const std::set<uint32_t>& taken) override;
  Status link_create(const plan::CreateLink& link) override;
  static std::string vxlan_words(const plan::CreateLink& link);
  Status link_delete(const std::string& netns, const std::string& name) override;
  Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>& ours) override;
  Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) override;
  Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) override;
  Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) override;
  Status link_require_bridge(const std::string& netns, const std::string& name) override;
  Status link_mac(const std::string& netns, const std::string& dev, const std::string& mac) override;
  Status link_master(const std::string& netns, const std::string& dev, const std::string& master) override;
  Status link_up(const std::string& netns, const std::string& dev, bool up) override;
  void settle_links(const std::string& netns, const std::vector<std::string>& names) override;
  Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) override;
  Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) override;
  Status route_add(const RouteSpec& route) override;
  Status route_del(const RouteSpec& route) override;
  SysResult<std::vector<LinkInfo>> links(const std::string& netns) override;
  SysResult<std::vector<AddressInfo>> addresses(const std::string& netns) override;
  SysResult<std::vector<RouteInfo>> routes(const std::string& netns) override;
  SysResult<KernelId> link_id(const std::string& netns, const std::string& name) override;

 private:
  void put(const std::string& command);
  Status line(const std::string& command);  // put, as the primitive's outcome
  std::string out_;
  bool locations_ = true;
  std::string cgroup_root_;
  std::string last_announced_;  // "WHERE: what": steps of one profile line share a comment
  std::vector<std::string> not_in_sh_;
  std::map<std::string, std::string> units_started_;  // unit -> its cgroup, for destroy's script
  std::set<std::string> nft_tables_;  // "FAMILY NAME" of the tables the script loaded
  std::set<std::string> etc_dirs_;    // /etc/netns/NETNS the script made
  uint32_t claimed_group_ = 0;  // rendered as "$group", which the script chose as apply does
  std::string group_text(uint32_t group) const;
};

// `ip` or `ip -n 'NETNS'`.
std::string ip_in(const std::string& netns);

}  // namespace nsplan::applier
