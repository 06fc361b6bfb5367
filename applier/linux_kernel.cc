// Kernel on the real system: LinuxCgroupFs per hierarchy, one NetlinkClient, nsfs bind mounts.
#include <sys/stat.h>

#include <map>
#include <set>

#include "applier/netns_etc.h"
#include "applier/accounts.h"
#include "applier/cgroupfs.h"
#include "applier/device_program.h"
#include "applier/fd.h"
#include "applier/kernel.h"
#include "applier/link_group_delete.h"
#include "applier/namespaces.h"
#include "applier/nft_client.h"
#include "applier/systemd_client.h"
#include "applier/wireguard.h"
#include "compiler/device_rules.h"

namespace nsplan::applier {
namespace {

class LinuxKernel final : public Kernel {
 public:
  explicit LinuxKernel(const HostFacts& facts) : facts_(facts) {}

  SysResult<bool> cgroup_exists(const std::string& dir) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->exists(at.value().second);
  }
  Status cgroup_mkdir(const std::string& dir) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->mkdir(at.value().second);
  }
  Status cgroup_rmdir(const std::string& dir) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->rmdir(at.value().second);
  }
  SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->read(at.value().second, file);
  }
  Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->write(at.value().second, file, value);
  }

  SysResult<UnitState> unit_state(const std::string& unit) override { return systemd_unit_state(unit, facts_.cgroup_root); }
  Status unit_start(const std::string& unit, const std::string& slice) override { return systemd_start(unit, slice); }
  Status unit_stop(const std::string& unit) override { return systemd_stop(unit); }

  SysResult<KernelId> cgroup_id(const std::string& dir) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    auto id = at.value().first->identity(at.value().second);
    if (!id.ok()) return id.error();
    return KernelId{id.value().first, id.value().second};
  }

  SysResult<std::vector<FileAccess>> cgroup_access(const std::string& dir, const std::vector<std::string>& files,
                                                   const std::vector<std::string>& except) override {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->access(at.value().second, files, except);
  }
  Status cgroup_set_access(const std::string& dir, const std::vector<std::string>& files, const std::vector<std::string>& except,
                           const std::string& user, const std::string& group, std::optional<uint32_t> mode) override {
    auto ids = account_ids(user, group);
    if (!ids.ok()) return ids.error();
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    CgroupFs& fs = *at.value().first;
    const std::string& rel = at.value().second;
    // "*" is what the directory holds now: listed, then changed one by one.
    auto present = fs.access(rel, files, except);
    if (!present.ok()) return present.error();
    for (const auto& f : present.value())
      if (Status s = fs.set_access(rel, f.file, ids.value().first, ids.value().second, mode); !s.ok()) return s;
    return {};
  }
  SysResult<std::pair<int64_t, int64_t>> account_ids(const std::string& user, const std::string& group) override {
    auto uid = user_id(user);
    if (!uid.ok()) return uid.error();
    auto gid = group_id(group);
    if (!gid.ok()) return gid.error();
    return std::make_pair(uid.value(), gid.value());
  }

  SysResult<std::vector<AttachedProgram>> device_programs(const std::string& dir) override {
    auto fd = open_cgroup(dir);
    if (!fd.ok()) return fd.error();
    Fd cgroup(fd.value());
    return attached_device_programs(cgroup.get());
  }
  Status device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& exceptions) override {
    auto program = device_program(default_allow, exceptions);
    if (!program) return SysError{EINVAL, "a device rule of the plan is not in devices.list's form", 0, {}};
    auto fd = open_cgroup(dir);
    if (!fd.ok()) return fd.error();
    Fd cgroup(fd.value());
    auto id = attach_device_program(cgroup.get(), *program, device_rules::program_name(default_allow, exceptions));
    return id.status();
  }
  Status device_program_detach(const std::string& dir, uint32_t id) override {
    if (id == 0) return SysError{ENOENT, "no device program id recorded for " + dir, 0, {}};
    auto fd = open_cgroup(dir);
    if (!fd.ok()) return fd.error();
    Fd cgroup(fd.value());
    return detach_device_program(cgroup.get(), id);
  }

  SysResult<std::string> sysctl_read(const std::string& key) override { return read_sysctl(key); }
  Status sysctl_write(const std::string& key, const std::string& value) override { return write_sysctl(key, value); }
  SysResult<NftTableInfo> nft_table(const std::string& family, const std::string& name) override { return nft_table_info(family, name); }
  Status nft_load(const std::string&, const std::string&, const std::string& ruleset) override { return nft_run_ruleset(ruleset); }
  Status nft_delete_table(const std::string& family, const std::string& name, uint64_t handle) override {
    return nft_delete(family, name, handle);
  }

  SysResult<bool> netns_exists(const std::string& name) override { return applier::netns_exists(name); }
  // The netlink client trusts the namespaces it has opened: tell it whenever the applier makes or
  // deletes one (rollback, journal replay and convergence can re-make a name within one run).
  Status netns_create(const std::string& name) override {
    if (netlink_) netlink_->forget(name);  // whatever the name denoted before is not this one
    return create_persistent_netns(name);
  }
  Status netns_delete(const std::string& name) override {
    // A socket or fd into the namespace would keep it (and its links) alive.
    if (netlink_) netlink_->forget(name);
    return delete_persistent_netns(name);
  }
  SysResult<bool> ns_exists(const std::string& path) override { return is_nsfs(path); }
  Status ns_create(plan::NsKind kind, const std::string& path) override { return create_persistent_ns(kind, path); }
  Status ns_delete(const std::string& path) override { return delete_persistent_ns(path); }
  SysResult<KernelId> ns_id(const std::string& path) override {
    auto nsfs = is_nsfs(path);
    if (!nsfs.ok()) return nsfs.error();
    if (!nsfs.value()) {
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) return errno_error("stat " + path);
      // A delete cut short between its umount and its unlink leaves the empty, mode-0 file the
      // namespace was bound on (as `ip netns add` and nsplan make it): ESTALE says so, and the
      // undo may finish that delete (undo.cc, verify_subject). Anything else is not ours.
      if (S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 07777) == 0 && st.st_uid == 0)
        return SysError{ESTALE, path + " is only the empty mount point of a namespace that was deleted", 0, {}};
      return SysError{EUCLEAN, path + " holds no namespace (not an nsfs mount)", 0, {}};
    }
    auto id = ns_identity(path);
    if (!id.ok()) return id.error();
    return KernelId{static_cast<uint64_t>(id.value().dev), static_cast<uint64_t>(id.value().ino)};
  }
  SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) override {
    auto r = get_hostname(ns_path);
    if (!r.ok()) return r.error();
    return std::make_pair(r.value().hostname, r.value().domainname);
  }
  Status set_hostname(const std::string& ns_path, const std::string& host, const std::string& domain) override {
    return applier::set_hostname(ns_path, host, domain);
  }
  SysResult<std::optional<std::string>> netns_etc_read(const std::string& netns, const std::string& file) override {
    return read_netns_etc(netns, file);
  }
  Status netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) override {
    return create_netns_etc(netns, file, text);
  }
  SysResult<KernelId> netns_etc_id(const std::string& netns, const std::string& file) override { return applier::netns_etc_id(netns, file); }
  Status netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) override {
    return remove_netns_etc(netns, file, dir_too);
  }

  Status link_create(const plan::CreateLink& l) override {
    if (l.kind != plan::LinkKind::Wireguard) return with_netlink([&](NetlinkClient& c) { return c.create_link(l); });
    // A wireguard link is made, then given its keys and peers by wg(8); when wg fails the link
    // goes again, so that a failed step leaves nothing behind.
    if (Status s = check_wireguard_key_files(l); !s) return s;
    if (Status s = with_netlink([&](NetlinkClient& c) { return c.create_link(l); }); !s) return s;
    Status configured = wireguard_configure(l);
    if (!configured) (void)with_netlink([&](NetlinkClient& c) { return c.delete_link(l.netns, l.name); });
    return configured;
  }
  Status link_files_check(const plan::CreateLink& l) override {
    return l.kind == plan::LinkKind::Wireguard ? check_wireguard_key_files(l) : Status{};
  }
  Status link_delete(const std::string& netns, const std::string& name) override {
    return with_netlink([&](NetlinkClient& c) { return c.delete_link(netns, name); });
  }
  Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>& ours) override {
    return with_netlink([&](NetlinkClient& c) -> Status {
      std::string what = "delete link group " + std::to_string(group);
      auto links = c.group_members(netns, group);
      if (!links.ok()) return links.error().wrap(what);
      std::set<int> members;
      std::string foreign;
      for (const auto& [ifindex, name] : links.value()) {
        members.insert(ifindex);
        if (!ours.count(ifindex)) foreign += (foreign.empty() ? "" : ", ") + name;
      }
      if (!foreign.empty())
        return SysError{EPERM, what + ": it also holds " + foreign + ", which nsplan did not make; nothing deleted", 0, {}};
      if (members.empty()) return SysError{ENODEV, what + ": no link in it", 0, {}};
      if (!netns.empty()) return c.delete_group(netns, group);
      // Our own namespace: return once the links are unlisted, not freed (link_group_delete.h).
      return delete_link_group_unlisted(group, std::move(members));
    });
  }
  Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) override {
    return with_netlink([&](NetlinkClient& c) { return c.move_link(from, name, to, new_name); });
  }
  Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) override {
    return with_netlink([&](NetlinkClient& c) { return c.rename_link(netns, name, new_name); });
  }
  Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) override {
    return with_netlink([&](NetlinkClient& c) { return c.set_mtu(netns, dev, mtu); });
  }
  Status link_mac(const std::string& netns, const std::string& dev, const std::string& mac) override {
    return with_netlink([&](NetlinkClient& c) { return c.set_mac(netns, dev, mac); });
  }
  Status link_master(const std::string& netns, const std::string& dev, const std::string& master) override {
    return with_netlink([&](NetlinkClient& c) { return c.set_master(netns, dev, master); });
  }
  Status link_up(const std::string& netns, const std::string& dev, bool up) override {
    return with_netlink([&](NetlinkClient& c) { return up ? c.set_up(netns, dev) : c.set_down(netns, dev); });
  }
  Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) override {
    return with_netlink([&](NetlinkClient& c) { return c.add_address(netns, dev, cidr, nodad); });
  }
  Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) override {
    return with_netlink([&](NetlinkClient& c) { return c.del_address(netns, dev, cidr); });
  }
  Status route_add(const RouteSpec& r) override {
    return with_netlink([&](NetlinkClient& c) { return c.add_route(r); });
  }
  Status route_del(const RouteSpec& r) override {
    return with_netlink([&](NetlinkClient& c) { return c.del_route(r); });
  }
  SysResult<std::optional<LinkInfo>> link(const std::string& netns, const std::string& name) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->get_link(netns, name);
  }
  SysResult<std::optional<LinkInfo>> link_by_ifindex(const std::string& netns, int ifindex) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->get_link_by_ifindex(netns, ifindex);
  }
  SysResult<NamespaceContent> netns_content(const std::string& netns) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->list_all(netns);
  }
  SysResult<std::vector<std::optional<LinkInfo>>> links_named(const std::string& netns,
                                                              const std::vector<std::string>& names) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->get_links(netns, names);
  }
  SysResult<std::vector<AddressInfo>> addresses_of(const std::string& netns, const std::string& dev, int ifindex) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->addresses_of(netns, dev, ifindex);
  }
  SysResult<std::vector<RouteInfo>> routes_of(const std::string& netns, uint32_t table, const std::string& dev,
                                              int ifindex) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->routes_of(netns, table, dev, ifindex);
  }
  SysResult<std::vector<LinkInfo>> links(const std::string& netns) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->list_links(netns);
  }
  SysResult<KernelId> link_id(const std::string& netns, const std::string& name) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    auto id = nl.value()->link_identity(netns, name);
    if (!id.ok()) return id.error();
    return KernelId{id.value().netns_inode, static_cast<uint64_t>(id.value().ifindex)};
  }
  SysResult<std::vector<AddressInfo>> addresses(const std::string& netns) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->list_addresses(netns);
  }
  SysResult<std::vector<RouteInfo>> routes(const std::string& netns) override {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return nl.value()->list_routes(netns, RouteFilter{std::nullopt});  // profiles may name any table
  }

 private:
  // The hierarchy an absolute cgroup dir is in, and the dir relative to its mount.
  // DIR opened below its hierarchy's mount as the other cgroup calls resolve it (no symlink, no
  // other mount): an fd for the caller to close.
  SysResult<int> open_cgroup(const std::string& dir) {
    auto at = locate(dir);
    if (!at.ok()) return at.error();
    return at.value().first->open_directory(at.value().second);
  }

  SysResult<std::pair<CgroupFs*, std::string>> locate(const std::string& dir) {
    std::string root;
    auto consider = [&](const std::string& mount) {
      if ((dir == mount || dir.rfind(mount + "/", 0) == 0) && mount.size() > root.size()) root = mount;
    };
    if (facts_.mode == CgroupMode::V2) consider(facts_.cgroup_root);
    else
      for (const auto& [c, mount] : facts_.v1_mounts) consider(mount);
    if (root.empty()) return errno_error(dir + " is not below a cgroup mount of this host", EINVAL);
    auto it = fs_.find(root);
    if (it == fs_.end()) {
      auto opened = LinuxCgroupFs::open(root);
      if (!opened.ok()) return opened.error();
      it = fs_.emplace(root, std::move(opened).value()).first;
    }
    return std::make_pair(static_cast<CgroupFs*>(it->second.get()), dir.size() > root.size() ? dir.substr(root.size() + 1) : "");
  }

  SysResult<NetlinkClient*> netlink() {
    if (!netlink_) {
      auto opened = NetlinkClient::open();
      if (!opened.ok()) return opened.error();
      netlink_ = std::move(opened).value();
    }
    return netlink_.get();
  }

  template <class F>
  Status with_netlink(F&& f) {
    auto nl = netlink();
    if (!nl.ok()) return nl.error();
    return f(*nl.value());
  }

  HostFacts facts_;
  std::map<std::string, std::unique_ptr<LinuxCgroupFs>> fs_;
  std::unique_ptr<NetlinkClient> netlink_;
};

}  // namespace

std::unique_ptr<Kernel> make_linux_kernel(const HostFacts& facts) { return std::make_unique<LinuxKernel>(facts); }

}  // namespace nsplan::applier
