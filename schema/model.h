// The profile model: what a profile says, typed, each value with the place it was written.
// Filled by compiler/profile_reader.cc as schema/fields.cc directs; read by checks and planner.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schema/located.h"

namespace nsplan {

// A byte count, or "max" (no limit). Memory values are normalised to exact bytes.
struct ByteLimit {
  bool unlimited = false;
  uint64_t bytes = 0;
  // "5%" of a memory limit: hundredths of a percent of the target's RAM (MemTotal), which the
  // planner turns into bytes; 0 for a size.
  uint32_t ram_hundredths = 0;
  friend bool operator==(const ByteLimit&, const ByteLimit&) = default;
};

// A count such as pids.max, or "max".
struct CountLimit {
  bool unlimited = false;
  uint64_t count = 0;
  friend bool operator==(const CountLimit&, const CountLimit&) = default;
};

// CPU bandwidth: quota per period in microseconds, or unlimited.
struct CpuMax {
  bool unlimited = false;
  uint64_t quota_us = 0;
  uint64_t period_us = 100000;
  bool period_given = false;  // "quota/period" form names its own period
  // "50%" or "1.5" as written: a share of CPUs, whose quota follows the period in force
  // (units::effective_cpu_max); "" for the QUOTA/PERIOD form and max.
  std::string share;
  friend bool operator==(const CpuMax&, const CpuMax&) = default;
};

// An interface address with its prefix length, normalised ("10.0.0.1/24", "fd00::1/64").
struct Cidr {
  int family = 4;  // 4 or 6
  std::string address;
  unsigned prefix = 0;
  std::string text() const { return address + "/" + std::to_string(prefix); }
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

struct IpAddress {
  int family = 4;
  std::string text;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// One line of a uid_map/gid_map: `inside outside count`.
struct IdRange {
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 0;
  friend bool operator==(const IdRange&, const IdRange&) = default;
};

// An rlimit: one value for both, or soft and hard apart. UINT64_MAX stands for "unlimited".
struct Rlimit {
  uint64_t soft = 0;
  uint64_t hard = 0;
  friend bool operator==(const Rlimit&, const Rlimit&) = default;
};

// ---- cgroup ----------------------------------------------------------------------------------

struct MemorySpec {
  Opt<ByteLimit> max, swap, soft, high, low, min;
  Opt<bool> oom_group;       // v2: the OOM killer takes the whole cgroup
  Opt<uint64_t> swappiness;  // v1: 0..200
  Opt<ByteLimit> zswap_max;  // v2
  SourceLoc loc;
};

struct CpuSpec {
  Opt<uint64_t> weight;  // v2 scale 1..10000
  Opt<uint64_t> shares;  // v1 scale 2..262144
  Opt<CpuMax> max;       // "50%", "1.5" cores, "50000/100000", "max"
  Opt<uint64_t> period;  // µs, for the % and cores forms
  Opt<uint64_t> burst;   // µs of unused quota a period may borrow
  Opt<bool> idle;        // SCHED_IDLE for the group
  Opt<std::string> uclamp_min, uclamp_max;  // normalised percent "12.50", or "max"
  Opt<uint64_t> rt_runtime;  // v1 RT group scheduling: µs of each rt_period the group's RT tasks may run
  Opt<uint64_t> rt_period;   // µs
  SourceLoc loc;
};

struct CpusetSpec {
  Opt<std::string> cpus;  // normalised list "0-3,5"
  Opt<std::string> mems;
  SourceLoc loc;
};

struct PidsSpec {
  Opt<CountLimit> max;
  SourceLoc loc;
};

struct IoDeviceLimit {
  Located<std::string> device;  // "8:0" or a block device path
  Opt<ByteLimit> rbps, wbps;
  Opt<CountLimit> riops, wiops;
  SourceLoc loc;
};

// The weight of one block device, overriding the cgroup's for it.
struct IoDeviceWeight {
  Located<std::string> device;  // "8:0" or a block device path
  Opt<uint64_t> weight;         // io.weight's scale 1..10000
  SourceLoc loc;
};

struct IoSpec {
  Opt<uint64_t> weight;        // v2 scale 1..10000
  Opt<uint64_t> blkio_weight;  // v1 blkio scale 10..1000 (cgconfig.conf, OCI blockIO.weight)
  std::vector<IoDeviceLimit> devices;
  std::vector<IoDeviceWeight> device_weights;
  SourceLoc loc;
};

// v1 net_cls: the class id the group's sockets' packets carry (tc, iptables -m cgroup).
struct NetClsSpec {
  Opt<std::string> classid;  // "1:10" (a tc handle, hex), 0x10010 or 65552
  SourceLoc loc;
};

// v1 net_prio: the priority of the group's packets per interface.
struct NetPrioSpec {
  std::vector<std::pair<Located<std::string>, Located<std::string>>> ifpriomap;  // interface -> priority
  SourceLoc loc;
};

// Huge pages of one size: how many bytes of them the cgroup may fault in (max) and reserve.
struct HugetlbLimit {
  Opt<ByteLimit> page;  // the page size, one of the host's (2M, 1G)
  Opt<ByteLimit> max, reserved;
  SourceLoc loc;
};

// RDMA resources of one device the group may use (rdma.max).
struct RdmaLimit {
  Located<std::string> device;  // as in /sys/class/infiniband: mlx4_0
  Opt<CountLimit> hca_handle, hca_object;
  SourceLoc loc;
};

// Which devices the group's tasks may open or mknod: every one but those denied, or (the default,
// as OCI runtimes set it) none but those allowed. Rules as devices.allow takes them: "c 1:3 rwm".
struct DevicesSpec {
  Opt<std::string> default_access;  // "deny" (the default) or "allow"
  std::vector<Located<std::string>> allow, deny;
  SourceLoc loc;
};

// Who owns the cgroup's files, as cgconfig.conf's perm section says it. USER and GROUP are names
// or numbers, looked up on the host that applies; modes are octal permission bits.
struct TaskAccessSpec {  // the files that move processes in: v1 tasks, cgroup.procs; v2 cgroup.procs, cgroup.threads
  Opt<std::string> user, group, mode;
  SourceLoc loc;
};
struct AdminAccessSpec {  // the directory itself and every other file in it
  Opt<std::string> user, group, dir_mode, file_mode;
  SourceLoc loc;
};
struct PermissionsSpec {
  std::optional<TaskAccessSpec> tasks;
  std::optional<AdminAccessSpec> admin;
  SourceLoc loc;
};

struct CgroupSpec {
  Opt<std::string> path;  // relative to the cgroup root; default nsplan/<name>
  Opt<bool> ephemeral;    // removed when the command of `run` ends
  std::optional<MemorySpec> memory;
  std::optional<CpuSpec> cpu;
  std::optional<CpusetSpec> cpuset;
  std::optional<PidsSpec> pids;
  std::optional<IoSpec> io;
  std::vector<HugetlbLimit> hugetlb;
  std::optional<NetClsSpec> net_cls;
  std::optional<NetPrioSpec> net_prio;
  std::vector<std::pair<Located<std::string>, Located<std::string>>> misc;  // resource -> count or max
  std::vector<RdmaLimit> rdma;
  std::optional<DevicesSpec> devices;
  // Hierarchies (v1) or controllers (v2) the cgroup is in without limits: freezer, cpuacct,
  // perf_event, name=systemd ...
  std::vector<Located<std::string>> membership;
  std::optional<PermissionsSpec> permissions;
  SourceLoc loc;
};

// ---- namespaces ------------------------------------------------------------------------------

// Fields every namespace kind has: new (default), or join an existing one.
struct NamespaceCommon {
  Opt<std::string> join;     // a namespace persisted by name (net: /run/netns/NAME)
  Opt<std::string> path;     // an nsfs file such as /proc/1234/ns/net
  Opt<std::string> persist;  // keep it after the command ends, under this name
  SourceLoc loc;
};

// Files `ip netns exec` shows at /etc for a persisted net namespace (/etc/netns/NAME/FILE), and
// `nsplan run` binds over /etc/FILE in its new mount namespace (compiler/etc_files.h).
struct ResolvConfSpec {
  std::vector<Located<std::string>> nameservers;  // IP addresses (checked by compiler/etc_files.cc)
  std::vector<Located<std::string>> search;   // domains
  std::vector<Located<std::string>> options;  // resolv.conf(5) options: ndots:2, edns0
  Opt<std::string> text;                       // the whole file instead
  SourceLoc loc;
};
struct HostsEntry {
  Opt<IpAddress> address;  // required
  std::vector<Located<std::string>> names;
  SourceLoc loc;
};
struct HostsSpec {
  Opt<bool> localhost;  // 127.0.0.1 and ::1 localhost lines first (default true)
  std::vector<HostsEntry> entries;
  Opt<std::string> text;  // the whole file instead
  SourceLoc loc;
};
struct EtcFilesSpec {
  std::optional<ResolvConfSpec> resolv_conf;
  std::optional<HostsSpec> hosts;
  Opt<std::string> hostname;  // /etc/hostname
  SourceLoc loc;
};
struct NetNamespaceSpec : NamespaceCommon {
  std::optional<EtcFilesSpec> etc;
  Opt<std::string> rootless;  // "pasta": a network through pasta(1) (compiler/rootless_net.h)
};
struct UtsNamespaceSpec : NamespaceCommon {
  Opt<std::string> hostname, domainname;
};
struct IpcNamespaceSpec : NamespaceCommon {};
struct CgroupNamespaceSpec : NamespaceCommon {};
struct PidNamespaceSpec : NamespaceCommon {};
struct TimeNamespaceSpec : NamespaceCommon {
  Opt<int64_t> monotonic, boottime;  // offsets in seconds
};
struct UserNamespaceSpec : NamespaceCommon {
  std::vector<Located<IdRange>> uid_map, gid_map;
  Opt<std::string> setgroups;  // allow | deny
};

struct TmpfsMount {
  Located<std::string> path;
  Opt<ByteLimit> size;
  Opt<std::string> mode;  // octal, "1777"
  SourceLoc loc;
};
struct BindMount {
  Located<std::string> source, target;
  Opt<bool> read_only;
  SourceLoc loc;
};
// An overlay mount (compiler/mount_overlay.h): LOWER top first; UPPER and WORK both or neither
// (neither: read-only); UPPER "tmpfs" alone is a private tmpfs holding both.
struct OverlayMount {
  Located<std::string> target;
  std::vector<Located<std::string>> lower;
  Opt<std::string> upper, work;
  SourceLoc loc;
};
// What nsplan creates inside the new mount namespace, after the mounts (compiler/mount_overlay.h).
struct MntDir {
  Located<std::string> path;
  Opt<std::string> mode;  // octal, "0755"
  SourceLoc loc;
};
struct MntSymlink {
  Located<std::string> path;
  Opt<std::string> target;  // required; any text, as ln -s takes it
  SourceLoc loc;
};
struct MntFile {
  Located<std::string> path;
  Opt<std::string> text;
  Opt<std::string> mode;  // octal, "0644"
  SourceLoc loc;
};
struct MntNamespaceSpec : NamespaceCommon {
  Opt<std::string> propagation;  // private | slave | shared
  Opt<bool> proc;                // fresh /proc (needs a new pid namespace to be useful)
  std::vector<TmpfsMount> tmpfs;
  std::vector<BindMount> bind;
  std::vector<Located<std::string>> read_only;  // remounted read-only
  Opt<std::string> root;                        // pivot_root into this directory
  Opt<bool> dev;     // a minimal /dev, as bubblewrap's --dev (compiler/mount_extras.h)
  Opt<bool> mqueue;  // POSIX message queues on /dev/mqueue
  Opt<bool> sysfs;   // a read-only /sys
  std::vector<OverlayMount> overlay;
  std::vector<MntDir> dirs;
  std::vector<MntSymlink> symlinks;
  std::vector<MntFile> files;
};

struct NamespacesSpec {
  std::optional<CgroupNamespaceSpec> cgroup;
  std::optional<IpcNamespaceSpec> ipc;
  std::optional<MntNamespaceSpec> mnt;
  std::optional<NetNamespaceSpec> net;
  std::optional<PidNamespaceSpec> pid;
  std::optional<TimeNamespaceSpec> time;
  std::optional<UserNamespaceSpec> user;
  std::optional<UtsNamespaceSpec> uts;
  SourceLoc loc;
};

// ---- network ---------------------------------------------------------------------------------

struct VethPeer {
  Located<std::string> name;
  Opt<std::string> netns;
  Opt<std::string> mac;  // normalised to lowercase
  std::vector<Located<Cidr>> addresses;
  Opt<uint64_t> mtu;
  Opt<std::string> master;
  Opt<bool> up;
  SourceLoc loc;
};

// A peer of a wireguard link (wg(8)'s `peer` settings).
struct WireguardPeerSpec {
  Located<std::string> public_key;  // 44 characters of base64: 32 bytes
  Opt<std::string> endpoint;        // HOST:PORT, [IPv6]:PORT
  std::vector<Located<Cidr>> allowed_ips;
  Opt<uint64_t> persistent_keepalive;
  Opt<std::string> preshared_key_file;
  SourceLoc loc;
};

struct LinkSpec {
  Located<std::string> name;
  Located<std::string> kind;  // veth bridge macvlan ipvlan vlan dummy device
  Opt<std::string> netns;     // where it lives; default: the host
  Opt<std::string> mac;       // normalised to lowercase
  std::vector<Located<Cidr>> addresses;
  Opt<uint64_t> mtu;
  Opt<std::string> master;
  Opt<bool> up;
  Opt<std::string> parent;  // macvlan, ipvlan, vlan
  Opt<std::string> parent_netns;  // where the parent is, when not in the link's own namespace
  Opt<std::string> name_inside;   // device: its name in netns (moved and renamed in one request)
  Opt<std::string> mode;    // macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s
  Opt<uint64_t> vlan_id;    // vlan: 1..4094
  std::optional<VethPeer> peer;
  // vxlan (schema/link_kinds.cc lists each kind's own keys)
  Opt<uint64_t> vni;
  Opt<IpAddress> remote, group, local;
  Opt<uint64_t> port, ttl;
  // wireguard
  Opt<std::string> private_key_file;
  Opt<uint64_t> listen_port;
  std::vector<WireguardPeerSpec> peers;
  SourceLoc loc;
};

struct RouteSpec {
  Opt<std::string> netns;
  Located<std::string> to;  // "default" or a CIDR
  Opt<IpAddress> via;
  Opt<std::string> dev;
  Opt<uint64_t> metric;
  Opt<uint64_t> table;
  SourceLoc loc;
};

// A port of the host forwarded (DNAT) to an address of the uplink's namespace.
struct PortForwardSpec {
  Located<uint64_t> host_port;
  Opt<IpAddress> to;         // required (schema)
  Opt<uint64_t> to_port;     // default: host_port
  Opt<std::string> proto;    // tcp (default) | udp
  SourceLoc loc;
};
// The way out of a namespace through the host: IPv4 forwarding on the host, masquerading of the
// namespace's addresses and forwarded ports, in one nftables table of the profile.
struct UplinkSpec {
  Located<std::string> netns;              // the namespace whose addresses go out
  std::vector<Located<Cidr>> from;         // source networks; default: the namespace's IPv4 networks
  Opt<std::string> out;                    // masquerade only out of this host interface
  Opt<bool> masquerade;                    // default true
  std::vector<PortForwardSpec> forward_ports;
  SourceLoc loc;
};

struct NetworkSpec {
  std::vector<Located<std::string>> namespaces;  // further persistent net namespaces
  std::vector<Located<std::string>> host_bridges;  // bridges of the host links join, never made or deleted
  std::vector<LinkSpec> links;
  std::vector<RouteSpec> routes;
  std::optional<UplinkSpec> uplink;
  SourceLoc loc;
};

// ---- limits and run --------------------------------------------------------------------------

struct LimitsSpec {
  Opt<Rlimit> as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss,
      rtprio, rttime, sigpending, stack;
  SourceLoc loc;
};

// run.capabilities (compiler/plan_process.cc): names as setpriv(1) spells them ("net_admin").
struct CapabilitiesSpec {
  std::vector<Located<std::string>> drop, add;  // drop may be [all]
  std::vector<Located<std::string>> bounding, inheritable, ambient;  // exact sets, when not empty
  SourceLoc loc;
};
struct IoprioSpec {
  Opt<std::string> io_class;  // realtime | best-effort | idle
  Opt<uint64_t> level;        // 0 (highest) .. 7
  SourceLoc loc;
};
struct SchedSpec {
  Opt<std::string> policy;  // other | batch | idle | fifo | rr
  Opt<uint64_t> priority;   // 1..99 for fifo and rr, else 0
  SourceLoc loc;
};
// A syscall filter (compiler/plan_seccomp.cc): an allow list or a deny list of syscall names and
// @groups (compiler/seccomp_groups.cc), and what the other (or the listed) syscalls get.
struct SeccompSpec {
  std::vector<Located<std::string>> allow, deny;
  Opt<std::string> action;      // errno | kill | trap | log
  Opt<std::string> errno_name;  // EPERM
  SourceLoc loc;
};

struct RunSpec {
  std::vector<Located<std::string>> command;
  std::vector<std::pair<Located<std::string>, Located<std::string>>> env;  // in file order
  Opt<std::string> cwd;
  Opt<uint64_t> uid, gid;
  std::vector<Located<uint64_t>> groups;  // supplementary groups (none when ids change)
  Opt<bool> no_new_privs;
  std::vector<Located<uint64_t>> keep_fds;  // descriptors above 2 passed to the command
  Opt<bool> clear_env;
  // Process attributes (compiler/plan_process.cc).
  std::optional<CapabilitiesSpec> capabilities;
  Opt<std::string> umask;  // octal
  Opt<int64_t> nice, oom_score_adj;
  std::optional<IoprioSpec> ioprio;
  std::optional<SchedSpec> sched;
  Opt<std::string> cpus;  // CPU affinity, normalised "0-1,3"
  std::optional<SeccompSpec> seccomp;
  Opt<bool> init;  // nsplan's minimal init as PID 1 of a new pid namespace
  SourceLoc loc;
};

struct Profile {
  Located<uint64_t> version;
  Located<std::string> name;
  Opt<std::string> description;
  std::optional<CgroupSpec> cgroup;
  std::optional<NamespacesSpec> namespaces;
  std::optional<NetworkSpec> network;
  std::optional<LimitsSpec> limits;
  std::optional<RunSpec> run;
  SourceLoc loc;
};

}  // namespace nsplan
