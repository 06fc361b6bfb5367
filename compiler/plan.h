// The Plan IR: the contract between the compiler and its back ends (JSON, kernel, shell).
// A Plan is an ordered list of primitive actions. Every action kind has one definition of what
// it does (applier/actions.cc: perform, over the Kernel primitives), one inverse and one
// observation, and one JSON form (compiler/json_emitter). The kernel and the explain script are
// two backends of that one definition (applier/kernel.h, applier/shell_kernel.h). Consumers
// std::visit the Action variant without a default branch, so adding a kind fails to compile until
// every consumer handles it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compiler/host_facts.h"
#include "compiler/plan_process.h"
#include "schema/link_kinds.h"
#include "schema/located.h"

namespace nsplan::plan {

// ---- cgroups ---------------------------------------------------------------------------------

// mkdir of one cgroup directory (absolute path). Inverse: rmdir.
struct MakeCgroup {
  std::string dir;
  bool operator==(const MakeCgroup&) const = default;
};
// v2: write "+c1 +c2" to DIR/cgroup.subtree_control so the children of DIR get those controllers.
// Inverse: "-c" for each controller this apply enabled.
struct EnableControllers {
  std::string dir;
  std::vector<std::string> controllers;
  bool operator==(const EnableControllers&) const = default;
};
// Write VALUE to DIR/FILE. Inverse: the old value, when the cgroup existed before.
struct WriteCgroupFile {
  std::string dir;
  std::string file;
  std::string value;
  bool operator==(const WriteCgroupFile&) const = default;
};
// v1 cpuset: a new cgroup starts with empty cpus/mems; copy the parent's so tasks can join.
struct CopyFromParent {
  std::string dir;
  std::string file;
  bool operator==(const CopyFromParent&) const = default;
};

// Which devices the tasks of DIR may open or mknod: every one but EXCEPTIONS (DEFAULT_ALLOW), or
// none but EXCEPTIONS; rules in devices.list's form ("c 1:3 rwm", compiler/device_rules.h).
// v2 (BPF true): a BPF_PROG_TYPE_CGROUP_DEVICE program attached to DIR (BPF_F_ALLOW_MULTI: an
// ancestor's program still has its say); inverse: detach that program, known by the id the
// kernel gave it. v1 (BPF false): "a" to devices.deny (or .allow), which empties the exception
// list, followed by one AddDeviceRule step per exception; in place when devices.list already
// shows the whole policy; inverse: the devices.list found before.
struct SetDeviceAccess {
  std::string dir;
  bool bpf = false;
  bool default_allow = false;
  std::vector<std::string> exceptions;
  bool operator==(const SetDeviceAccess&) const = default;
};
// v1: one exception of the policy, one write: RULE to devices.allow (ALLOW) or devices.deny.
// Inverse: RULE to the other file, which takes exactly that exception out again.
struct AddDeviceRule {
  std::string dir;
  bool allow = true;
  std::string rule;
  bool operator==(const AddDeviceRule&) const = default;
};

// Owner and mode of FILES of cgroup DIR, as chown(1) and chmod(1) set them: "." is the directory
// itself, "*" every file in it (as cgconfig.conf's perm.admin), others are file names. USER and
// GROUP are names or numbers, looked up by the host that applies ("": left as it is); MODE holds
// permission bits (unset: left as it is). EXCEPT: files "*" leaves out. Inverse: each file's owner
// and mode as found before.
struct SetCgroupAccess {
  std::string dir;
  std::vector<std::string> files;
  std::string user, group;
  std::optional<uint32_t> mode;
  std::vector<std::string> except;
  bool operator==(const SetCgroupAccess&) const = default;
};

// A host where systemd owns the cgroup v2 tree (it is the tree's only writer outside delegated
// subtrees: systemd.io/CGROUP_DELEGATION): nsplan's cgroups go below a transient service UNIT of
// SLICE that systemd delegates (Type=oneshot, RemainAfterExit=yes, Delegate=yes,
// DefaultDependencies=no, ExecStart=/bin/true), whose cgroup is DIR. Its process exits at once,
// so the unit's cgroup holds none and may enable controllers for its children; the unit stays
// active, and its cgroup with it. Inverse: stop the unit, once no cgroup and no process is left
// below DIR (stopping a unit kills what is in its cgroup).
struct DelegatedUnit {
  std::string unit;
  std::string slice;
  std::string dir;
  bool operator==(const DelegatedUnit&) const = default;
};

// ---- namespaces ------------------------------------------------------------------------------

// A persistent network namespace /run/netns/NAME, as `ip netns add NAME`. Inverse: delete it
// (which also destroys every link inside it, asynchronously and cheaply).
struct CreateNetns {
  std::string name;
  bool operator==(const CreateNetns&) const = default;
};
enum class NsKind { Cgroup, Ipc, Mnt, Net, Pid, Time, User, Uts };
const char* to_string(NsKind k);        // "uts"
const char* unshare_flag(NsKind k);     // "--uts"
// A persistent namespace of another kind, bind-mounted on PATH (under the state dir).
struct CreateNamespace {
  NsKind kind;
  std::string name;
  std::string path;
  bool operator==(const CreateNamespace&) const = default;
};
// sethostname/setdomainname inside the persistent uts namespace at NS_PATH.
struct SetHostname {
  std::string ns_path;
  std::string hostname;
  std::string domainname;
  bool operator==(const SetHostname&) const = default;
};

// /etc/netns/NETNS/FILE with TEXT (FILE: resolv.conf, hosts, hostname), which `ip netns exec`
// binds over /etc/FILE (compiler/etc_files.h). Created only, never overwritten (a file found
// there is someone else's: a different one fails the apply, an equal one is left as it is).
// Inverse: remove it while it is still that file (its inode), and its directory when nsplan made
// it and it is left empty.
struct WriteNetnsFile {
  std::string netns;
  std::string file;
  std::string text;
  bool operator==(const WriteNetnsFile&) const = default;
};

// ---- links -----------------------------------------------------------------------------------

// The kinds and what each takes: schema/link_kinds.h (the one registry).
using LinkKind = nsplan::LinkKind;
using nsplan::to_string;  // to_string(LinkKind): the registry's name, "veth"

// Create a link in NETNS ("" = the host). For macvlan/ipvlan/vlan the request is made in the
// parent's namespace and the new link is born in NETNS; a veth's peer is born in PEER_NETNS.
// Nothing is ever created and then moved. GROUP (when not 0) is set on every end that lives on
// the host: a profile's host-side links share one link group, removed with one request.
// A vxlan's own settings (the parent, when given, is its underlay device).
struct VxlanSettings {
  uint32_t vni = 0;
  std::string remote;  // unicast other end, or
  std::string group;   // multicast group
  std::string local;   // source address ("" = the route's)
  uint16_t port = 4789;
  uint8_t ttl = 0;     // 0 = inherit
  bool operator==(const VxlanSettings&) const = default;
};
// A wireguard peer, as wg(8) takes it; keys come from files, never from the plan's text.
struct WireguardPeer {
  std::string public_key;
  std::string endpoint;
  std::vector<std::string> allowed_ips;
  uint32_t persistent_keepalive = 0;
  std::string preshared_key_file;
  bool operator==(const WireguardPeer&) const = default;
};
struct WireguardSettings {
  std::string private_key_file;
  uint32_t listen_port = 0;  // 0 = the kernel picks
  std::vector<WireguardPeer> peers;
  bool operator==(const WireguardSettings&) const = default;
};

struct CreateLink {
  std::string netns;
  std::string name;
  LinkKind kind = LinkKind::Dummy;
  uint32_t group = 0;
  std::string parent;        // macvlan, ipvlan, vlan
  std::string parent_netns;  // where the parent lives
  std::string mode;          // macvlan/ipvlan mode
  uint32_t vlan_id = 0;
  std::string peer_name;     // veth
  std::string peer_netns;
  VxlanSettings vxlan;          // vxlan
  WireguardSettings wireguard;  // wireguard: `wg set` after the link is made
  bool operator==(const CreateLink&) const = default;
};
// Move an existing device from the host into NETNS (the only move nsplan makes: it is costly).
struct MoveLink {
  std::string name;
  std::string netns;
  // The name it gets inside ("": it keeps its own), given in the same request as the move: the
  // host never sees the device under the new name.
  std::string new_name;
  bool operator==(const MoveLink&) const = default;
};
struct SetMtu {
  std::string netns, dev;
  uint32_t mtu = 0;
  bool operator==(const SetMtu&) const = default;
};
// The link's Ethernet address (ip link set DEV address MAC), before it goes up.
struct SetMac {
  std::string netns, dev;
  std::string mac;  // lowercase "02:00:00:00:00:01"
  bool operator==(const SetMac&) const = default;
};
struct SetMaster {
  std::string netns, dev, master;
  // MASTER is a bridge of the host the profile joins but does not own: apply checks that it is
  // there and is a bridge (not a bond or team) right before.
  bool host_bridge = false;
  bool operator==(const SetMaster&) const = default;
};
struct AddAddress {
  std::string netns, dev;
  std::string cidr;  // normalised "10.0.0.1/24"
  int family = 4;
  // No duplicate address detection: an IPv6 address is usable at once instead of `tentative`
  // for a second (links nsplan makes have no duplicates to detect).
  bool nodad = false;
  bool operator==(const AddAddress&) const = default;
};
struct SetLinkUp {
  std::string netns, dev;
  bool operator==(const SetLinkUp&) const = default;
};
struct AddRoute {
  std::string netns;
  std::string to;  // "default" or CIDR
  std::string via;
  std::string dev;
  int family = 4;
  std::optional<uint32_t> metric;
  std::optional<uint32_t> table;
  bool operator==(const AddRoute&) const = default;
};

// ---- the uplink: forwarding, NAT (compiler/plan_uplink.cc) -----------------------------------

// A sysctl of the host's network namespace, /proc/sys/KEY (dots for slashes) set to VALUE. Inverse:
// the value found before, written back only while the value is still VALUE (someone who set it
// since has the last word).
struct SetSysctl {
  std::string key;  // "net.ipv4.ip_forward"
  std::string value;
  bool operator==(const SetSysctl&) const = default;
};
// An nftables table of the host's network namespace, made with its chains and rules in one
// transaction by `nft -f -` reading RULESET, whose first command is `create table FAMILY NAME`
// (the chains follow in a second command):
// the transaction fails, and changes nothing, when a table of that name is there already (nsplan
// never adds to or flushes a table it did not make). COMMENT, the table's comment, names the
// profile and a hash of the ruleset: a table with it is this very ruleset, in place. Inverse:
// delete the table, known by the handle the kernel gave it.
struct NftTable {
  std::string family;  // "ip"
  std::string name;    // "nsplan-lab"
  std::string comment;
  std::string ruleset;  // the text given to nft, as explain prints it
  bool operator==(const NftTable&) const = default;
};

using Action = std::variant<DelegatedUnit, MakeCgroup, EnableControllers, WriteCgroupFile, CopyFromParent, SetDeviceAccess, AddDeviceRule, SetCgroupAccess,
                            CreateNetns, CreateNamespace, SetHostname, WriteNetnsFile, CreateLink, MoveLink,
                            SetMac, SetMtu, SetMaster, AddAddress, SetLinkUp, AddRoute, SetSysctl, NftTable>;

// Where a step comes from: "profiles/firefox.yaml:7:10" and what it says there ("memory.max: 3G").
struct Origin {
  SourceLoc loc;
  std::string where;
  std::string what;
};

struct Step {
  Action action;
  Origin origin;
  std::vector<std::string> notes;  // explanations shown as comments (e.g. how v2 swap differs)
};

// ---- launching the command (nsplan run / attach) ---------------------------------------------
// The launch is defined once, here, by the planner: every choice (what runs in which order,
// with which flags) is made in compiler/plan_launch.cc. `nsplan run` performs it with syscalls
// (applier/launch*.cc) and `nsplan explain` renders it as sh (applier/shell_launch.cc); both
// walk the same fields and visit every InsideStep without a default branch.

// Joined as nsenter(1) joins them: every file opened first (paths name files of the caller's
// mount namespace), then every namespace but the user one, then the user one, then again those
// that could not be joined before it (they belong to it). Joining a user namespace changes no id:
// the process keeps its uid and gid (run.uid/gid may set others), as nsenter --preserve-credentials.
struct JoinNamespace {
  NsKind kind;
  std::string path;  // nsfs file to setns() into
};

// The namespaces created for the command, together, after the joins (unshare(2) / unshare(1)).
struct NewNamespaces {
  std::vector<NsKind> kinds;  // in the order unshare creates them: user first
  // A new or joined user namespace: the caller's supplementary groups are dropped before any
  // namespace is joined or made (inside it they would stay, as the overflow gid, and keep their
  // access on the host).
  bool clear_groups_first = false;
  // The same, for a caller without CAP_SETGID: its groups stay, as the kernel demands (it
  // refuses setgroups to such a caller, so that no group used to deny access can be shed).
  bool caller_keeps_groups = false;
  std::vector<std::string> uid_map, gid_map;  // lines "inside outside count"
  std::string setgroups;                      // "deny" / "allow" / ""
  bool setuid_root = false, setgid_root = false;  // become 0 inside, when the maps give a 0
  // The uid_map gives a 0: the process is root inside (by setuid_root, or already, as a caller
  // without root mapped to 0 is), and keeps its capabilities across an exec there.
  bool root_inside = false;
  int64_t monotonic_offset = 0, boottime_offset = 0;
  bool has(NsKind k) const;
};

// Steps the process takes inside its new namespaces, in order.
struct LoopbackUp {};  // a new network namespace has lo down: bring it up
struct SetUtsName {
  std::string hostname, domainname;
};
struct MountPropagation {
  std::string mode;  // "private" | "slave" | "shared", recursively on /
};
// Creates PATH (and its missing parents, mode 0755) when absent: a directory, or an empty file
// when SOURCE_OF_KIND is not a directory. Planned only inside a tmpfs of the profile.
struct MakeMountPoint {
  std::string path;
  std::string source_of_kind;  // "" = always a directory
};
struct Mount {
  enum class Type { Proc, Tmpfs, Bind, Devpts, Mqueue, Sysfs } type;
  std::string source, target;
  std::vector<std::string> flags;  // "nosuid", "nodev", "noexec", "ro"
  std::string data;                // tmpfs options ("mode=1777,size=...")
  bool recursive = false;          // a bind of the whole subtree (rbind)
};
// TARGET and every mount below it become read-only (mount_setattr AT_RECURSIVE); or TARGET
// alone (a bind of one file nsplan just made has nothing below it): a plain remount that sh
// does with mount(8) alone, needing no other program (a profile's tmpfs on /etc hides
// /etc/alternatives, and with it awk).
struct RemountReadOnly {
  std::string target;
  bool recursive = true;
};
// pivot_root(ROOT, ROOT) and detach the old root (ROOT is a mount point: a bind of itself).
struct PivotRoot {
  std::string root;
};
struct SetRlimit {
  std::string name;  // "nofile"
  int resource = 0;  // RLIMIT_NOFILE
  uint64_t soft = 0, hard = 0;  // UINT64_MAX = unlimited
};
struct ChangeDir {
  std::string dir;
};
// Creates PATH, which must not exist (O_EXCL, O_NOFOLLOW: a file found there is never trusted
// nor followed), with MODE and TEXT. Planned only in a tmpfs nsplan mounted (compiler/etc_files.h).
struct WriteFile {
  std::string path;
  std::string text;
  uint32_t mode = 0644;
};
// Detaches the mount at TARGET (umount -l): what was bound from it stays.
struct Unmount {
  std::string target;
};
// The symbolic link PATH -> TARGET (ln -s). Planned only in a tmpfs nsplan mounted.
struct MakeSymlink {
  std::string target, path;
};
// An overlay on TARGET (compiler/mount_overlay.h): LOWER top first; UPPER and WORK both or
// neither (a read-only overlay). Run first opens each directory without following a final
// symbolic link and refuses what is not a directory; the kernel then takes the paths.
struct MountOverlay {
  std::string target;
  std::vector<std::string> lower;
  std::string upper, work;
};
// A directory, symbolic link (to TARGET) or file (TEXT) the profile asks for at PATH
// (mnt.dirs/symlinks/files), with MODE whatever the umask. Nothing may be at PATH, and no
// component on the way to it may be a symbolic link: run opens each with O_NOFOLLOW.
struct CreatePath {
  enum class Kind { Dir, Symlink, File } kind = Kind::Dir;
  std::string path;
  std::string target;  // Symlink
  std::string text;    // File
  uint32_t mode = 0;   // Dir, File
};
using InsideStep = std::variant<LoopbackUp, SetUtsName, MountPropagation, MakeMountPoint, Mount, RemountReadOnly,
                                PivotRoot, SetRlimit, ChangeDir, WriteFile, Unmount, MakeSymlink, MountOverlay, CreatePath>;

// Who the command runs as. When any id changes, all of them are set: gid defaults to uid, and
// the supplementary groups are exactly GROUPS (none by default).
struct Identity {
  std::optional<uint32_t> uid, gid;
  bool set_groups = false;
  std::vector<uint32_t> groups;
  bool no_new_privs = false;
};

// A seccomp filter for the command's native ABI (applier/seccomp_filter.cc), installed last, right
// before exec. An allow list: SYSCALLS run, every other one gets ACTION; a deny list: SYSCALLS
// get ACTION, every other one runs. A syscall of another ABI (ia32, x32) kills the process.
struct SeccompFilter {
  Origin origin;
  bool allow_list = false;
  std::string action;             // "errno" | "kill" (the process) | "trap" | "log"
  int errno_number = 0;           // for "errno"
  std::string errno_name;         // "EPERM"
  std::vector<std::string> syscalls;  // groups expanded; sorted, unique
};

// nsplan's own minimal init (applier/mini_init.cc) is PID 1 of the new pid namespace and the
// command its child: it reaps orphans, passes kForwarded signals on, exits with its status.
struct MiniInit {
  Origin origin;
};

// A network for a new net namespace owned by a new user namespace, without root
// (namespaces.net.rootless; applier/rootless_net.cc): once the child has made its namespaces,
// nsplan runs PROGRAM OPTIONS... PID and the child waits until it has configured the namespace
// (pasta, in the foreground, then writes its pid file). It stays nsplan's child and dies with
// nsplan; nsplan stops it through a pidfd when the command ends.
struct RootlessNet {
  Origin origin;
  std::string program;               // "pasta"
  std::vector<std::string> options;  // before the pid
  // Root's run takes the program from the system's directories only, at a file only root can
  // change, never from $PATH (the environment is input).
  bool system_dirs_only = false;
};

struct Launch {
  Origin origin;
  std::vector<std::string> cgroup_procs;  // cgroup.procs files the process joins (all trees on v1)
  std::vector<JoinNamespace> join;        // persistent or named namespaces, joined first
  NewNamespaces unshare;
  std::vector<InsideStep> inside;
  Identity identity;
  ProcessAttrs process;  // capabilities, umask, priorities, affinity (plan_process.h)
  std::vector<int> keep_fds;  // every other descriptor above 2 is closed at exec
  bool clear_env = false;     // start from an empty environment (else nsplan's own)
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> command;
  // The cgroups are ephemeral: the command runs as a child, and the profile's cgroups are removed
  // when it ends (by `nsplan run`; in the script, by the lines after it).
  bool ephemeral = false;
  std::optional<SeccompFilter> seccomp;
  std::optional<MiniInit> init;
  std::optional<RootlessNet> rootless_net;
};

struct Plan {
  static constexpr int kJsonVersion = 2;
  std::string profile;      // profile name
  std::string source;       // the profile file as named on the command line
  HostFacts facts;
  std::vector<Step> steps;  // what apply makes persistently, in order
  std::optional<Launch> launch;
  std::vector<std::string> cgroup_dirs;  // the profile's own leaf cgroups (one per v1 tree)
};

}  // namespace nsplan::plan
