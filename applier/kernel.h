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
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "applier/bpf_device.h"
#include "applier/cgroupfs.h"
#include "applier/netlink.h"
#include "applier/sys_error.h"
#include "compiler/host_facts.h"
#include "compiler/plan.h"

namespace nsplan::applier {

// The kernel's own identity of what an undo acts on, recorded when nsplan made or changed it and
// checked again right before the undo deletes, restores or moves anything: a cgroup directory's
// file system and inode, a link's network namespace (its nsfs inode) and ifindex, a namespace
// file's nsfs inode. A name alone proves nothing: it may have been taken by something else since.
struct KernelId {
  uint64_t space = 0;   // cgroup: st_dev of the hierarchy; link: inode of its netns; ns: st_dev
  uint64_t object = 0;  // cgroup: inode; link: ifindex; ns: inode of the namespace
  // 0: not recorded (explain's script writer; the last record of a journal cut short by a crash)
  bool known() const { return object != 0; }
  friend bool operator==(const KernelId& a, const KernelId& b) { return a.space == b.space && a.object == b.object; }
  std::string text() const;  // "12:3456"
};

// An nftables table as `nft -a list table` shows it.
struct NftTableInfo {
  uint64_t handle = 0;  // the kernel's, unique in its network namespace while the table lives
  uint64_t netns = 0;   // inode of that network namespace
  std::string comment;
};

// A systemd unit as the manager reports it (applier/systemd_bus.h).
struct UnitState {
  std::string active_state;  // "active", "activating", "failed"...
  std::string cgroup;        // its cgroup directory, absolute ("" when it has none)
  bool delegate = false;
  bool transient = false;
  std::string main_pid = "0";  // the process of its command ("0": none)
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Where the next calls come from (what a profile line says, and WHERE that line is, as
  // "file:line:col"), for a script writer's comments; the real kernel ignores it.
  virtual void announce(const std::string& /*what*/, const std::vector<std::string>& /*notes*/ = {},
                        const std::string& /*where*/ = {}) {}

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

  // The identity of the cgroup directory DIR (ENOENT when there is none).
  virtual SysResult<KernelId> cgroup_id(const std::string& dir) = 0;

  // ---- systemd, where it owns the cgroup v2 tree (plan::DelegatedUnit). The defaults of the
  // plain ones answer ENOSYS: a kernel seam without systemd (a test's) refuses, never pretends. ----
  // UNIT as loaded now; ENOENT when systemd has no such unit loaded.
  virtual SysResult<UnitState> unit_state(const std::string& unit);
  // systemd-run of UNIT in SLICE with the properties and command of applier/delegated_unit.h.
  virtual Status unit_start(const std::string& unit, const std::string& slice);
  virtual Status unit_stop(const std::string& unit);
  // Starts UNIT, checks that systemd gave it the cgroup DIR, delegated, and moves its process
  // into DIR/nsplan-keeper, so that DIR holds none.
  virtual Status unit_start_delegated(const std::string& unit, const std::string& slice, const std::string& dir);
  // Stops UNIT unless something besides its own process MAIN_PID (as unit_state read it just
  // before) is below DIR, its cgroup (stopping kills everything there). true: stopped; false:
  // left running.
  virtual SysResult<bool> unit_stop_unless_used(const std::string& unit, const std::string& dir, const std::string& main_pid);

  // ---- who owns a cgroup's files (cgroup.permissions). FILES: "." the directory, "*" every
  // file in it but EXCEPT, or names. The defaults answer ENOSYS, as for device programs. ----
  virtual SysResult<std::vector<FileAccess>> cgroup_access(const std::string& dir, const std::vector<std::string>& files,
                                                           const std::vector<std::string>& except);
  // chown USER:GROUP and chmod MODE of those files, as chown(1) and chmod(1): USER and GROUP are
  // names or numbers ("": left as it is); no MODE: left as it is.
  virtual Status cgroup_set_access(const std::string& dir, const std::vector<std::string>& files,
                                   const std::vector<std::string>& except, const std::string& user,
                                   const std::string& group, std::optional<uint32_t> mode);
  // The ids of USER and GROUP on this host (-1 for ""); ENOENT, naming it, for one unknown here.
  virtual SysResult<std::pair<int64_t, int64_t>> account_ids(const std::string& user, const std::string& group);

  // ---- v2 device programs (BPF_PROG_TYPE_CGROUP_DEVICE) attached to DIR itself ----
  // The defaults answer ENOSYS: a kernel seam that has no BPF (a test's) refuses, never pretends.
  virtual SysResult<std::vector<AttachedProgram>> device_programs(const std::string& dir);
  // Builds the policy's program (applier/device_program.h), loads it and attaches it to DIR.
  virtual Status device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& exceptions);
  virtual Status device_program_detach(const std::string& dir, uint32_t id);

  // ---- the uplink (plan::SetSysctl, plan::NftTable), in nsplan's own network namespace. The
  // defaults answer ENOSYS, as for device programs. ----
  // /proc/sys/KEY (dots for slashes), without its newline.
  virtual SysResult<std::string> sysctl_read(const std::string& key);
  virtual Status sysctl_write(const std::string& key, const std::string& value);
  // Writes OLD back when KEY still holds SET (someone who changed it since has the last word).
  // true: restored; false: left as it is.
  virtual SysResult<bool> sysctl_restore_unless_changed(const std::string& key, const std::string& old, const std::string& set);
  // The nftables table FAMILY NAME: ENOENT when there is none.
  virtual SysResult<NftTableInfo> nft_table(const std::string& family, const std::string& name);
  // `nft -f -` reading RULESET, which makes the table FAMILY NAME: one transaction, all or nothing.
  virtual Status nft_load(const std::string& family, const std::string& name, const std::string& ruleset);
  // Deletes the table FAMILY NAME by its HANDLE (0: by its name, when no handle is known).
  virtual Status nft_delete_table(const std::string& family, const std::string& name, uint64_t handle);

  // ---- namespaces ----
  virtual SysResult<bool> netns_exists(const std::string& name) = 0;
  virtual Status netns_create(const std::string& name) = 0;
  virtual Status netns_delete(const std::string& name) = 0;
  virtual SysResult<bool> ns_exists(const std::string& path) = 0;
  virtual Status ns_create(plan::NsKind kind, const std::string& path) = 0;
  virtual Status ns_delete(const std::string& path) = 0;
  // The identity of the namespace bind-mounted on PATH (/run/netns/NAME or under the state dir):
  // ENOENT when PATH is missing or holds no namespace.
  virtual SysResult<KernelId> ns_id(const std::string& path) = 0;
  virtual SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) = 0;
  virtual Status set_hostname(const std::string& ns_path, const std::string& hostname,
                              const std::string& domainname) = 0;
  // /etc/netns/NETNS/FILE (applier/netns_etc.h). The defaults answer ENOSYS: a kernel seam that
  // does not know these files refuses, never pretends.
  virtual SysResult<std::optional<std::string>> netns_etc_read(const std::string& netns, const std::string& file);
  virtual Status netns_etc_create(const std::string& netns, const std::string& file, const std::string& text);
  virtual SysResult<KernelId> netns_etc_id(const std::string& netns, const std::string& file);
  virtual Status netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too);

  // ---- links ("" = the host's network namespace) ----
  virtual Status link_create(const plan::CreateLink& link) = 0;
  // Apply's look, before anything changes, at the files a link to be created reads (a
  // wireguard's key files, applier/wireguard.h). The default finds nothing to refuse.
  virtual Status link_files_check(const plan::CreateLink& link);
  virtual Status link_delete(const std::string& netns, const std::string& name) = 0;
  // The link group for the profile's host-side links: PREFERRED, or the first one after it that
  // is not TAKEN (groups holding links of others).
  virtual uint32_t link_group_claim(uint32_t preferred, const std::set<uint32_t>& taken);
  // Deletes every link of GROUP in NETNS with one request, when all of them are links of OURS
  // (ifindexes); a link of the group that is not is never deleted: the call then fails (EPERM),
  // naming it, and deletes nothing.
  virtual Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>& ours) = 0;
  // NEW_NAME ("": none): the name it gets in TO, in the same request (the kernel moves, then
  // renames: with NEW_NAME taken in TO the device arrives under NAME and the call fails).
  virtual Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) = 0;
  // Renames a link (the kernel refuses while it is up: EBUSY).
  virtual Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) = 0;
  virtual Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) = 0;
  // MAC: "02:00:00:00:00:01".
  virtual Status link_mac(const std::string& netns, const std::string& dev, const std::string& mac) = 0;
  virtual Status link_master(const std::string& netns, const std::string& dev, const std::string& master) = 0;
  // Fails unless NAME in NETNS is a bridge (ENODEV: none; EINVAL: another kind, a bond takes
  // ports too): one of the host's, which the profile joins but does not own.
  virtual Status link_require_bridge(const std::string& netns, const std::string& name);
  virtual Status link_up(const std::string& netns, const std::string& dev, bool up) = 0;
  // NODAD: the address is usable at once (no duplicate address detection; IPv6).
  virtual Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) = 0;
  virtual Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) = 0;
  virtual Status route_add(const RouteSpec& route) = 0;
  virtual Status route_del(const RouteSpec& route) = 0;
  // ---- looking at one object: what apply, plan and status do in a namespace that is not all
  // the profile's (the host's), so that their cost follows the profile, not the host. The
  // defaults filter the whole-namespace dumps below; the real kernel asks for the one object. ----
  // Link NAME (nullopt: there is none).
  virtual SysResult<std::optional<LinkInfo>> link(const std::string& netns, const std::string& name);
  // The link whose ifindex is IFINDEX, whatever its name (nullopt: there is none).
  virtual SysResult<std::optional<LinkInfo>> link_by_ifindex(const std::string& netns, int ifindex);
  // The links NAMES, in their order (a plan's links, asked for at once).
  virtual SysResult<std::vector<std::optional<LinkInfo>>> links_named(const std::string& netns,
                                                                      const std::vector<std::string>& names);
  // Asks for the links NAMES once, after apply brought them up: asking for a link makes the kernel
  // run its pending linkwatch event (rtnl_getlink), so that carrier, operstate and the IPv6
  // link-local address are there when the command starts, not up to a second later. The answer
  // is not needed; nothing fails. (The script asks with `ip link show dev`.)
  virtual void settle_links(const std::string& netns, const std::vector<std::string>& names);
  // The addresses of link DEV, whose ifindex is IFINDEX.
  virtual SysResult<std::vector<AddressInfo>> addresses_of(const std::string& netns, const std::string& dev, int ifindex);
  // The routes of TABLE (0: every table) through link DEV (IFINDEX); DEV "", IFINDEX 0: all of them.
  virtual SysResult<std::vector<RouteInfo>> routes_of(const std::string& netns, uint32_t table, const std::string& dev,
                                                      int ifindex);
  // ---- whole-namespace dumps ----
  // The three below at once (the real kernel shares one link dump among them).
  virtual SysResult<NamespaceContent> netns_content(const std::string& netns);
  virtual SysResult<std::vector<LinkInfo>> links(const std::string& netns) = 0;
  // The identity of link NAME in NETNS: the netns inode and the ifindex (ENODEV when absent).
  virtual SysResult<KernelId> link_id(const std::string& netns, const std::string& name) = 0;
  virtual SysResult<std::vector<AddressInfo>> addresses(const std::string& netns) = 0;
  virtual SysResult<std::vector<RouteInfo>> routes(const std::string& netns) = 0;
};

// The real kernel, as seen from this process. Opens cgroup hierarchies and netlink sockets on
// first use and keeps them for the whole apply (one socket per namespace).
std::unique_ptr<Kernel> make_linux_kernel(const HostFacts& facts);

}  // namespace nsplan::applier
