// Inverses of plan actions, computed at apply time from what was observed before the change,
// written to the journal before the change is made, and kept in the state file as the record
// of what a profile owns (destroy runs them). Every undo is idempotent: what is already gone
// counts as done, so a journal can be replayed after a crash.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "applier/kernel.h"
#include "applier/sys_error.h"

namespace nsplan::applier {

struct RemoveCgroup { std::string dir; };
struct RestoreCgroupFile { std::string dir, file, value; };
struct DisableControllers { std::string dir; std::vector<std::string> controllers; };
// v1: the devices.list found before ("a *:* rwm" for every device), written back as a policy.
struct RestoreDeviceList { std::string dir; std::vector<std::string> list; };
// v1: one exception nsplan added, taken out again: RULE written to the other file (devices.deny
// takes an allowed rule's access away, devices.allow a denied one's), the kernel's exact inverse.
struct RemoveDeviceRule { std::string dir; bool allowed = true; std::string rule; };
// v2: the device program nsplan attached (PROGRAM is its name; the id is the record's identity).
struct DetachDeviceProgram { std::string dir, program; };
// The owners and modes of a cgroup's files as found before cgroup.permissions changed them.
struct RestoreCgroupAccess { std::string dir; std::vector<FileAccess> files; };
// The transient unit systemd delegated to the profile (plan::DelegatedUnit), stopped once nothing
// is left below its cgroup DIR, which is the record's subject: the unit must still have that
// very cgroup, and be transient, or it is not the unit nsplan asked for.
struct StopUnit { std::string unit, dir; };
struct DeleteNetns { std::string name; };
struct DeleteNamespace { std::string path; };
struct RestoreHostname { std::string ns_path, hostname, domainname; };
// /etc/netns/NETNS/FILE that apply wrote (applier/netns_etc.h), removed while it is still that
// file (the record's identity: device and inode); DIR_TOO: its directory too, when nsplan made it
// and nothing else is left in it.
struct RemoveNetnsFile { std::string netns, file; bool dir_too = false; };
// For a veth, deleting either end removes both. GROUP != 0: the link is in the profile's link
// group on the host, so destroy can remove all of them with one request.
struct DeleteLink {
  std::string netns, name;
  uint32_t group = 0;
  std::string peer_netns, peer_name;  // a veth's other end, which goes with it
  uint32_t peer_ifindex = 0;          // the other end's, when it is on the host too (its group's)
};
// A device moved into a namespace goes back to the host as it was: up or down, in its bridge,
// with its addresses and routes (moving a link drops them all).
struct MoveLinkBack {
  std::string name, from, to;  // NAME: its name in FROM
  bool was_up = false;
  std::string master;
  std::vector<std::string> addresses;  // CIDRs the host gave it (not the kernel's link-local ones)
  std::vector<RouteSpec> routes;       // routes of the host through it (not the kernel's)
  std::string host_name;               // its name on the host, when moved under another ("": NAME)
};
struct RestoreMtu { std::string netns, dev; uint32_t mtu = 0; };
struct RestoreMac { std::string netns, dev, mac; };
struct RestoreMaster { std::string netns, dev, master; };
struct DeleteAddress { std::string netns, dev, cidr; };
struct SetLinkDown { std::string netns, dev; };
struct DeleteRoute { RouteSpec route; };
// A sysctl of nsplan's network namespace back to OLD, only while it is still SET, nsplan's value.
struct RestoreSysctl { std::string key, old, set; };
// The nftables table nsplan made; the record's identity is its netns and the kernel's handle.
struct DeleteNftTable { std::string family, name; };

using Undo = std::variant<StopUnit, RemoveCgroup, RestoreCgroupFile, DisableControllers, RestoreDeviceList, RemoveDeviceRule, DetachDeviceProgram, RestoreCgroupAccess, DeleteNetns, DeleteNamespace,
                          RestoreHostname, RemoveNetnsFile, DeleteLink, MoveLinkBack, RestoreMtu, RestoreMac, RestoreMaster, DeleteAddress,
                          SetLinkDown, DeleteRoute, RestoreSysctl, DeleteNftTable>;

// Something a profile owns: the key of the resource (see resource_key), how to take it back, and
// the identity of its subject.
struct Owned {
  std::string key;
  Undo undo;
  KernelId id;
  // Journal only: the identity of the record before this one, learnt after its change was made
  // (written with the next record, so that a change costs one journal write).
  KernelId previous_id;
};

// What an undo acts on, as the kernel names it.
struct Subject {
  // DeviceProgram: a program attached to a cgroup; its identity is the cgroup's inode and the
  // program's id.
  // NftTable: NAME is "FAMILY TABLE"; its identity is the netns inode and the table's handle.
  enum class Kind { None, Cgroup, Link, Namespace, DeviceProgram, NetnsFile, NftTable } kind = Kind::None;
  std::string netns;  // Link: where it is; NetnsFile: the namespace of /etc/netns/NETNS/
  std::string name;   // Cgroup, DeviceProgram: directory; Link: name; Namespace: nsfs file path; NetnsFile: file
  std::string program;  // DeviceProgram: its name
};
Subject subject_of(const Undo& undo);
// The identity of S now (ENOENT/ENODEV when it is gone).
SysResult<KernelId> identity_of(const Subject& s, Kernel& kernel);

// Whether UNDO's subject is still the object recorded as ID (unknown ID: nothing to check). The
// error is "gone" (see is_gone) when the subject no longer exists, EPERM when it is another.
Status verify_subject(const Undo& undo, Kernel& kernel, const KernelId& id);
// ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL: what an undo would remove is not there any more.
bool is_gone(const Status& s);

// Stops U's unit when its cgroup holds no cgroup and no process (stopping kills what is in it):
// true when stopped (or gone already), false when left running because something is below.
// EPERM when the unit is not the transient unit with the recorded cgroup.
SysResult<bool> stop_unit_unless_used(const StopUnit& u, Kernel& kernel);

// Runs one undo; "already gone" (ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL) is success. With a known
// ID, the subject must still be that object: otherwise nothing is done and the error says so.
Status run_undo(const Undo& undo, Kernel& kernel, const KernelId& id = {});
// The same, once verify_subject has passed (ID: the record's, which a device program's detach
// needs).
Status run_verified_undo(const Undo& undo, Kernel& kernel, const KernelId& id);
std::string describe(const Undo& undo);
// "tasks 1000:100 0664"; "the directory 0:0 0755".
std::string access_text(const FileAccess& a);  // "rmdir /sys/fs/cgroup/x", for messages and plan -

// A change as apply, destroy and plan report it: the line shown to a person, and the same change
// in parts, made together with the line, for --json (docs/json.md).
struct ChangeText {
  std::string text;    // "~ /sys/fs/cgroup/x/memory.max: 1073741824 -> 3221225472"
  std::string object;  // what kind of thing: "cgroup", "cgroup_file", "link", "address", ...
  std::string path;    // a file system object: cgroup directory or file, namespace file
  std::string link;    // a network object: the link (device) it is of
  std::string netns;   // the link's net namespace; "" for the host's
  std::optional<std::string> before, after;  // the value before and after the change, if it has one
  // From the sign the line starts with: "create" (+), "modify" (~), "delete" (-), "keep" (=:
  // left as it is, the line says why).
  std::string action() const;

  static ChangeText of_path(std::string text, const char* object, std::string path, std::optional<std::string> before = {},
                            std::optional<std::string> after = {});
  static ChangeText of_link(std::string text, const char* object, std::string link, std::string netns,
                            std::optional<std::string> before = {}, std::optional<std::string> after = {});
};
// What running UNDO did, as destroy reports it ("- rmdir /sys/fs/cgroup/x"); NOTE is added to
// the line ("already gone").
ChangeText removal(const Undo& undo, const std::string& note = {});

// JSON lines for the journal and the state file.
std::string to_json_line(const Owned& owned);
std::optional<Owned> owned_from_json(const std::string& line, std::string& error);
// The same records as JSON values, for the state file, which holds them in one document.
nlohmann::json owned_to_record(const Owned& owned);
std::optional<Owned> owned_from_record(const nlohmann::json& record, std::string& error);

}  // namespace nsplan::applier
