// The table itself. Adding a field to the format means adding one line here (and its member in
// model.h); the reader, `nsplan schema` and the reference docs follow from it.
#include <type_traits>

#include "schema/link_kinds.h"
#include "schema/table.h"

namespace nsplan::schema {
namespace {

template <class T>
const ObjectSpec* spec_of();

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {
  using type = T;
};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {
  using type = T;
};
template <class T>
struct is_located : std::false_type {};
template <class T>
struct is_located<Located<T>> : std::true_type {};

// Builds the field's slot from a member pointer. Owner is the struct the table row belongs to;
// Base may be one of its bases (the fields every namespace kind shares).
template <class Owner, class Base, class M>
FieldSpec field(std::string_view key, M Base::*member, TypeSpec type, std::string_view doc,
                std::string_view default_text = {}, bool required = false) {
  static_assert(std::is_base_of_v<Base, Owner>);
  FieldSpec f;
  f.key = key;
  f.type = std::move(type);
  f.doc = doc;
  f.default_text = default_text;
  f.required = required;
  if constexpr (is_optional<M>::value && !is_located<typename is_optional<M>::type>::value) {
    using Nested = typename is_optional<M>::type;
    f.nested = &spec_of<Nested>;
    f.slot = [member](void* owner) -> Slot {
      auto& opt = static_cast<Owner*>(owner)->*member;
      if (!opt) opt.emplace();
      return ObjectSlot{&*opt, spec_of<Nested>()};
    };
    f.mark_object = [member](void* owner, SourceLoc loc) {
      auto& opt = static_cast<Owner*>(owner)->*member;
      if (!opt) opt.emplace();
      opt->loc = loc;
    };
  } else if constexpr (is_vector<M>::value && std::is_class_v<typename is_vector<M>::type> &&
                       !is_located<typename is_vector<M>::type>::value && !std::is_same_v<M, StringPairs>) {
    using Element = typename is_vector<M>::type;
    f.nested = &spec_of<Element>;
    f.slot = [member](void* owner) -> Slot {
      auto* vec = &(static_cast<Owner*>(owner)->*member);
      return ObjectListSlot{[vec](SourceLoc loc) -> void* {
                              auto& element = vec->emplace_back();
                              element.loc = loc;
                              return &element;
                            },
                            spec_of<Element>()};
    };
  } else {
    f.slot = [member](void* owner) -> Slot { return &(static_cast<Owner*>(owner)->*member); };
  }
  return f;
}

TypeSpec t(Kind k) {
  TypeSpec s;
  s.kind = k;
  return s;
}
TypeSpec list_of(Kind k) {
  TypeSpec s = t(k);
  s.list = true;
  return s;
}
TypeSpec uint_in(int64_t lo, int64_t hi, std::string_view unit = {}) {
  TypeSpec s = t(Kind::UInt);
  s.min = lo;
  s.max = hi;
  s.unit = unit;
  return s;
}
TypeSpec list_uint_in(int64_t lo, int64_t hi) {
  TypeSpec s = uint_in(lo, hi);
  s.list = true;
  return s;
}
TypeSpec int_in(int64_t lo, int64_t hi, std::string_view unit = {}) {
  TypeSpec s = uint_in(lo, hi, unit);
  s.kind = Kind::Int;
  return s;
}
TypeSpec one_of(std::vector<std::string_view> choices) {
  TypeSpec s = t(Kind::Enum);
  s.choices = std::move(choices);
  return s;
}
TypeSpec bytes() {
  TypeSpec s = t(Kind::Bytes);
  s.unit = "bytes";
  return s;
}
// A memory limit that may also be a share of the target's RAM ("5%").
TypeSpec memory_limit() {
  TypeSpec s = bytes();
  s.kind = Kind::MemoryLimit;
  return s;
}
TypeSpec object() { return t(Kind::Object); }
TypeSpec object_list() { return list_of(Kind::Object); }

// Fields that every namespace kind has.
template <class Ns>
std::vector<FieldSpec> namespace_fields(bool can_persist) {
  std::vector<FieldSpec> f{
      field<Ns>("join", &Ns::join, t(Kind::Name),
                "Join the namespace persisted under this name instead of creating one."),
      field<Ns>("path", &Ns::path, t(Kind::AbsPath),
                "Join the namespace behind this nsfs file (e.g. /proc/1234/ns/net)."),
  };
  if (can_persist)
    f.push_back(field<Ns>("persist", &Ns::persist, t(Kind::Name),
                          "Keep the new namespace under this name after the command ends "
                          "(net: /run/netns/NAME, visible to `ip netns`)."));
  return f;
}

template <class Ns>
ObjectSpec namespace_spec(std::string_view name, std::string_view doc, bool can_persist,
                          std::vector<FieldSpec> extra = {}) {
  ObjectSpec s{name, doc, namespace_fields<Ns>(can_persist)};
  for (auto& f : extra) s.fields.push_back(std::move(f));
  return s;
}

// ---- the table --------------------------------------------------------------------------------

template <>
const ObjectSpec* spec_of<MemorySpec>() {
  static const ObjectSpec s{"memory", "Memory limits of the cgroup (sizes: bytes, K/M/G/T ×1024, or max; "
                                      "max, high, low and min also as a share of the host's RAM: 5%, 12.5%).", {
      field<MemorySpec>("max", &MemorySpec::max, memory_limit(),
          "Hard limit of RAM use. v1 memory.limit_in_bytes, v2 memory.max."),
      field<MemorySpec>("swap", &MemorySpec::swap, bytes(),
          "Swap allowed on top of max. v1 memory.memsw.limit_in_bytes = max + swap, v2 memory.swap.max."),
      field<MemorySpec>("soft", &MemorySpec::soft, bytes(),
          "Reclaim down to this under pressure. v1 memory.soft_limit_in_bytes, v2 memory.low."),
      field<MemorySpec>("high", &MemorySpec::high, memory_limit(),
          "Throttle and reclaim above this (v2 memory.high; none on v1)."),
      field<MemorySpec>("low", &MemorySpec::low, memory_limit(),
          "Best-effort protection from reclaim (v2 memory.low; none on v1)."),
      field<MemorySpec>("min", &MemorySpec::min, memory_limit(),
          "Hard protection from reclaim (v2 memory.min; none on v1)."),
      field<MemorySpec>("oom_group", &MemorySpec::oom_group, t(Kind::Bool),
          "On OOM, kill every task of the cgroup together (v2 memory.oom.group; none on v1).", "false"),
      field<MemorySpec>("swappiness", &MemorySpec::swappiness, uint_in(0, 200),
          "How readily the cgroup's memory is swapped (v1 memory.swappiness, 0..100 before Linux 5.8; "
          "none on v2).", "the parent's"),
      field<MemorySpec>("zswap_max", &MemorySpec::zswap_max, bytes(),
          "Compressed swap cache the cgroup may use (v2 memory.zswap.max, Linux 5.19; none on v1)."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<CpuSpec>() {
  static const ObjectSpec s{"cpu", "CPU share and bandwidth of the cgroup.", {
      field<CpuSpec>("weight", &CpuSpec::weight, uint_in(1, 10000),
          "Relative share, v2 scale (default 100). v2 cpu.weight; v1 cpu.shares = weight×1024/100."),
      field<CpuSpec>("shares", &CpuSpec::shares, uint_in(2, 262144),
          "Relative share, v1 scale (default 1024). v1 cpu.shares; v2 cpu.weight by runc's formula."),
      field<CpuSpec>("max", &CpuSpec::max, t(Kind::CpuMax),
          "Bandwidth cap: 50% of one CPU, 1.5 CPUs, QUOTA/PERIOD in µs, or max. "
          "v2 cpu.max; v1 cpu.cfs_quota_us and cpu.cfs_period_us."),
      field<CpuSpec>("period", &CpuSpec::period, uint_in(1000, 1000000, "µs"),
          "Period for the % and cores forms of max.", "100000"),
      field<CpuSpec>("burst", &CpuSpec::burst, uint_in(0, 17592186044415, "µs"),
          "Unused quota a period may borrow, at most the quota of max. v2 cpu.max.burst, v1 "
          "cpu.cfs_burst_us (Linux 5.14).", "0"),
      field<CpuSpec>("idle", &CpuSpec::idle, t(Kind::Bool),
          "Schedule the cgroup as SCHED_IDLE against its siblings. cpu.idle on v1 and v2 (Linux 5.15).", "false"),
      field<CpuSpec>("uclamp_min", &CpuSpec::uclamp_min, t(Kind::Percent),
          "Utilisation the scheduler assumes at least, % of a CPU's capacity. cpu.uclamp.min on v1 and v2 "
          "(CONFIG_UCLAMP_TASK_GROUP).", "0"),
      field<CpuSpec>("uclamp_max", &CpuSpec::uclamp_max, t(Kind::Percent),
          "Utilisation the scheduler assumes at most, % of a CPU's capacity, or max. cpu.uclamp.max on v1 and "
          "v2 (CONFIG_UCLAMP_TASK_GROUP).", "max"),
      field<CpuSpec>("rt_runtime", &CpuSpec::rt_runtime, uint_in(0, 17592186044, "µs"),
          "Time of each rt_period the group's real-time tasks may run, at most rt_period. v1 "
          "cpu.rt_runtime_us (CONFIG_RT_GROUP_SCHED); ancestors nsplan makes get the same share first. "
          "None on v2.", "0"),
      field<CpuSpec>("rt_period", &CpuSpec::rt_period, uint_in(1, 17592186044, "µs"),
          "Period of rt_runtime. v1 cpu.rt_period_us; none on v2.", "1000000"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<CpusetSpec>() {
  static const ObjectSpec s{"cpuset", "CPUs and memory nodes the cgroup may use.", {
      field<CpusetSpec>("cpus", &CpusetSpec::cpus, t(Kind::CpuList), "CPU list such as 0-3,5."),
      field<CpusetSpec>("mems", &CpusetSpec::mems, t(Kind::CpuList),
          "NUMA node list. On v1 a missing list is copied from the parent cgroup."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<PidsSpec>() {
  static const ObjectSpec s{"pids", "Number of tasks the cgroup may hold.", {
      field<PidsSpec>("max", &PidsSpec::max, t(Kind::Count), "Task limit, or max. pids.max on v1 and v2."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<IoDeviceLimit>() {
  static const ObjectSpec s{"io device", "Throttling of one whole block device.", {
      field<IoDeviceLimit>("device", &IoDeviceLimit::device, t(Kind::Device),
          "MAJ:MIN of a whole disk, or its /dev path.", {}, true),
      field<IoDeviceLimit>("rbps", &IoDeviceLimit::rbps, bytes(), "Read bytes per second."),
      field<IoDeviceLimit>("wbps", &IoDeviceLimit::wbps, bytes(), "Write bytes per second."),
      field<IoDeviceLimit>("riops", &IoDeviceLimit::riops, t(Kind::Count), "Read operations per second."),
      field<IoDeviceLimit>("wiops", &IoDeviceLimit::wiops, t(Kind::Count), "Write operations per second."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<IoDeviceWeight>() {
  static const ObjectSpec s{"io device weight", "The share of one whole block device.", {
      field<IoDeviceWeight>("device", &IoDeviceWeight::device, t(Kind::Device),
          "MAJ:MIN of a whole disk, or its /dev path.", {}, true),
      field<IoDeviceWeight>("weight", &IoDeviceWeight::weight, uint_in(1, 10000),
          "Relative share on this device, io.weight's scale. v2 io.weight `MAJ:MIN W`; v1 "
          "blkio.bfq.weight_device (Linux 5.4), unchanged up to 1000.", {}, true),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<IoSpec>() {
  static const ObjectSpec s{"io", "Block I/O share and limits.", {
      field<IoSpec>("weight", &IoSpec::weight, uint_in(1, 10000),
          "Relative share, v2 scale (default 100). v2 io.weight; v1 blkio.bfq.weight, unchanged up to 1000 "
          "(a larger weight is written as 1000, with a warning)."),
      field<IoSpec>("blkio_weight", &IoSpec::blkio_weight, uint_in(10, 1000),
          "Relative share, v1 blkio scale (cgconfig.conf's blkio.weight, OCI's blockIO.weight). v1 "
          "blkio.bfq.weight or blkio.weight as written; v2 io.weight, the same number. Not with weight."),
      field<IoSpec>("devices", &IoSpec::devices, object_list(),
          "Per-device limits. v2 io.max; v1 blkio.throttle.*_device."),
      field<IoSpec>("device_weights", &IoSpec::device_weights, object_list(),
          "Per-device shares, one entry per disk. v2 io.weight lines; v1 blkio.bfq.weight_device."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<HugetlbLimit>() {
  static const ObjectSpec s{"hugetlb limit", "Limits on huge pages of one size.", {
      field<HugetlbLimit>("page", &HugetlbLimit::page, bytes(),
          "The page size: one of the host's (/sys/kernel/mm/hugepages), such as 2M or 1G.", {}, true),
      field<HugetlbLimit>("max", &HugetlbLimit::max, bytes(),
          "Huge pages the cgroup may use, in bytes, or max. v1 hugetlb.<size>.limit_in_bytes, "
          "v2 hugetlb.<size>.max."),
      field<HugetlbLimit>("reserved", &HugetlbLimit::reserved, bytes(),
          "Huge pages the cgroup may reserve (at mmap), in bytes, or max. v1 "
          "hugetlb.<size>.rsvd.limit_in_bytes, v2 hugetlb.<size>.rsvd.max (Linux 5.7)."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<NetClsSpec>() {
  static const ObjectSpec s{"net_cls", "v1 net_cls: a class id on the packets of the group's sockets.", {
      field<NetClsSpec>("classid", &NetClsSpec::classid, t(Kind::String),
          "A tc class handle MAJOR:MINOR (hex, as tc writes it: 1:10), or a number (0x10010, 65552). "
          "v1 net_cls.classid; v2 has no such file (match the cgroup path in nftables instead)."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<NetPrioSpec>() {
  static const ObjectSpec s{"net_prio", "v1 net_prio: the priority of the group's packets per interface.", {
      field<NetPrioSpec>("ifpriomap", &NetPrioSpec::ifpriomap, t(Kind::StringMap),
          "Interface name to priority (0..4294967295), for interfaces of the network namespace nsplan "
          "runs in. v1 net_prio.ifpriomap, one line each; v2 has no such file."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<RdmaLimit>() {
  static const ObjectSpec s{"rdma limit", "RDMA resources of one device.", {
      field<RdmaLimit>("device", &RdmaLimit::device, t(Kind::String), "The device, as /sys/class/infiniband names it (mlx4_0).",
          {}, true),
      field<RdmaLimit>("hca_handle", &RdmaLimit::hca_handle, t(Kind::Count), "HCA handles the group may hold, or max."),
      field<RdmaLimit>("hca_object", &RdmaLimit::hca_object, t(Kind::Count), "HCA objects the group may hold, or max."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<DevicesSpec>() {
  static const ObjectSpec s{"devices", "Which device nodes the group's tasks may open and create.", {
      field<DevicesSpec>("default", &DevicesSpec::default_access, one_of({"deny", "allow"}),
          "deny: no device but those in allow (as OCI runtimes start); allow: every device but those in deny.",
          "deny"),
      field<DevicesSpec>("allow", &DevicesSpec::allow, list_of(Kind::String),
          "With default deny, the devices the group may use: TYPE MAJOR:MINOR ACCESS as devices.allow takes "
          "them (c 1:3 rwm, c 136:* rw, b 8:0 r); TYPE a, b or c; * for any number; ACCESS r, w, m (mknod), "
          "rwm when left out. v1 devices.deny a, then devices.allow; v2 a BPF device program."),
      field<DevicesSpec>("deny", &DevicesSpec::deny, list_of(Kind::String),
          "With default allow, the devices the group may not use, in the same form: a rule denies each "
          "access it names. v1 devices.allow a, then devices.deny; v2 a BPF device program."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<TaskAccessSpec>() {
  static const ObjectSpec s{"task access", "Who may move processes into the cgroup (cgconfig.conf's perm.task).", {
      field<TaskAccessSpec>("user", &TaskAccessSpec::user, t(Kind::Account),
          "Owner of the files that take processes: v1 tasks and cgroup.procs, v2 cgroup.procs and cgroup.threads.", "root"),
      field<TaskAccessSpec>("group", &TaskAccessSpec::group, t(Kind::Account), "Their group.", "root"),
      field<TaskAccessSpec>("mode", &TaskAccessSpec::mode, t(Kind::Octal),
          "Their mode (664: the group may add processes).", "as the kernel made them"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<AdminAccessSpec>() {
  static const ObjectSpec s{"admin access", "Who administers the cgroup (cgconfig.conf's perm.admin).", {
      field<AdminAccessSpec>("user", &AdminAccessSpec::user, t(Kind::Account),
          "Owner of the cgroup directory (who may make cgroups below it) and of every file in it, limits "
          "included; tasks then gives the process files their own owner.", "root"),
      field<AdminAccessSpec>("group", &AdminAccessSpec::group, t(Kind::Account), "Their group.", "root"),
      field<AdminAccessSpec>("dir_mode", &AdminAccessSpec::dir_mode, t(Kind::Octal), "Mode of the directory.", "755"),
      field<AdminAccessSpec>("file_mode", &AdminAccessSpec::file_mode, t(Kind::Octal), "Mode of its files.",
          "as the kernel made them"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<PermissionsSpec>() {
  static const ObjectSpec s{"permissions", "Who may use and administer the cgroup without root.", {
      field<PermissionsSpec>("tasks", &PermissionsSpec::tasks, object(),
          "Who may put processes in (nsplan attach and run without root)."),
      field<PermissionsSpec>("admin", &PermissionsSpec::admin, object(), "Who owns the directory and its files."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<CgroupSpec>() {
  static const ObjectSpec s{"cgroup", "The control group the command runs in and its limits.", {
      field<CgroupSpec>("path", &CgroupSpec::path, t(Kind::CgroupPath),
          "Path below the cgroup root (v1: below each controller's root; --cgroup-parent: below it; where systemd "
          "manages the v2 tree: below the unit it delegates, system.slice/nsplan-<name>.service).",
          "nsplan/<name> (<name> below the systemd unit)"),
      field<CgroupSpec>("ephemeral", &CgroupSpec::ephemeral, t(Kind::Bool),
          "Remove the cgroup when the command of run ends.", "false"),
      field<CgroupSpec>("memory", &CgroupSpec::memory, object(), "Memory limits."),
      field<CgroupSpec>("cpu", &CgroupSpec::cpu, object(), "CPU share and bandwidth."),
      field<CgroupSpec>("cpuset", &CgroupSpec::cpuset, object(), "CPU and memory node pinning."),
      field<CgroupSpec>("pids", &CgroupSpec::pids, object(), "Task count limit."),
      field<CgroupSpec>("io", &CgroupSpec::io, object(), "Block I/O share and limits."),
      field<CgroupSpec>("hugetlb", &CgroupSpec::hugetlb, object_list(), "Huge page limits, one entry per page size."),
      field<CgroupSpec>("net_cls", &CgroupSpec::net_cls, object(), "v1 packet class id."),
      field<CgroupSpec>("net_prio", &CgroupSpec::net_prio, object(), "v1 packet priority per interface."),
      field<CgroupSpec>("misc", &CgroupSpec::misc, t(Kind::StringMap),
          "Misc resources (misc.capacity of the root names them: sev, sev_es, tdx ...) to a count or max. "
          "misc.max, one line each (Linux 5.13)."),
      field<CgroupSpec>("rdma", &CgroupSpec::rdma, object_list(), "RDMA limits, one entry per device. rdma.max."),
      field<CgroupSpec>("devices", &CgroupSpec::devices, object(),
          "Device access. v1 devices.allow and devices.deny; v2 a BPF_PROG_TYPE_CGROUP_DEVICE program, "
          "which only apply can attach (explain marks it)."),
      field<CgroupSpec>("membership", &CgroupSpec::membership, list_of(Kind::String),
          "Controllers the cgroup joins without limits (cgconfig.conf's empty groups): on v1 the "
          "cgroup is made in each of these hierarchies too (freezer: for nsplan freeze and kill; "
          "cpuacct; perf_event; name=NAME for a named hierarchy); on v2 a controller is enabled, "
          "and freezer, cpuacct and perf_event need nothing."),
      field<CgroupSpec>("permissions", &CgroupSpec::permissions, object(),
          "Owners and modes of the cgroup's files (v1: in each hierarchy), as chown and chmod set them: "
          "a user or group given tasks may attach processes without root."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<CgroupNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<CgroupNamespaceSpec>(
      "cgroup namespace", "New cgroup namespace: the command sees its cgroup as the root.", false);
  return &s;
}
template <>
const ObjectSpec* spec_of<IpcNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<IpcNamespaceSpec>(
      "ipc namespace", "Own System V IPC objects and POSIX message queues.", true);
  return &s;
}
template <>
const ObjectSpec* spec_of<ResolvConfSpec>() {
  static const ObjectSpec s{"resolv.conf", "The namespace's /etc/resolv.conf: its lines from these keys, or text.", {
      field<ResolvConfSpec>("nameservers", &ResolvConfSpec::nameservers, list_of(Kind::String),
          "IP addresses: `nameserver` lines, in order (the C library asks at most the first 3)."),
      field<ResolvConfSpec>("search", &ResolvConfSpec::search, list_of(Kind::Hostname), "The `search` domains."),
      field<ResolvConfSpec>("options", &ResolvConfSpec::options, list_of(Kind::String),
          "`options` of resolv.conf(5), such as ndots:2, edns0, rotate."),
      field<ResolvConfSpec>("text", &ResolvConfSpec::text, t(Kind::String),
          "The whole file, written as given (instead of the keys above)."),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<HostsEntry>() {
  static const ObjectSpec s{"hosts entry", "One line of /etc/hosts.", {
      field<HostsEntry>("address", &HostsEntry::address, t(Kind::IpAddress), "The address.", {}, true),
      field<HostsEntry>("names", &HostsEntry::names, list_of(Kind::Hostname), "Its names, canonical first.", {}, true),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<HostsSpec>() {
  static const ObjectSpec s{"hosts", "The namespace's /etc/hosts: its lines from these keys, or text.", {
      field<HostsSpec>("localhost", &HostsSpec::localhost, t(Kind::Bool),
          "Begin with `127.0.0.1 localhost` and `::1 localhost ip6-localhost ip6-loopback`.", "true"),
      field<HostsSpec>("entries", &HostsSpec::entries, object_list(), "Lines `address names...`, in order."),
      field<HostsSpec>("text", &HostsSpec::text, t(Kind::String),
          "The whole file, written as given (instead of the keys above)."),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<EtcFilesSpec>() {
  static const ObjectSpec s{"etc files",
      "Files the namespace sees at /etc: apply writes them to /etc/netns/NAME/ for a persisted "
      "namespace (`ip netns exec` binds them over /etc), run binds them over /etc in its new mount "
      "namespace. Read-only to the command.", {
      field<EtcFilesSpec>("resolv_conf", &EtcFilesSpec::resolv_conf, object(), "/etc/resolv.conf."),
      field<EtcFilesSpec>("hosts", &EtcFilesSpec::hosts, object(), "/etc/hosts."),
      field<EtcFilesSpec>("hostname", &EtcFilesSpec::hostname, t(Kind::Hostname), "/etc/hostname (one line)."),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<NetNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<NetNamespaceSpec>(
      "net namespace", "Own network stack: interfaces, addresses, routes, firewall, sockets.", true, {
      field<NetNamespaceSpec>("etc", &NetNamespaceSpec::etc, object(),
          "resolv.conf, hosts and hostname of the namespace (as /etc/netns/NAME/ of ip-netns(8))."),
      field<NetNamespaceSpec>("rootless", &NetNamespaceSpec::rootless, one_of({"pasta"}),
          "Give the new namespace a network without root: nsplan run starts pasta(1) (package passt) on it "
          "before the command, which then reaches the host's networks as the caller's own sockets, and the "
          "host's loopback at the gateway address; no port is forwarded. Needs a new user namespace and "
          "run; not with join, path or persist."),
  });
  return &s;
}
template <>
const ObjectSpec* spec_of<PidNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<PidNamespaceSpec>(
      "pid namespace", "Own process ids: the command is PID 1 and sees only its descendants.", false);
  return &s;
}
template <>
const ObjectSpec* spec_of<TimeNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<TimeNamespaceSpec>(
      "time namespace", "Own offsets of the monotonic and boot-time clocks.", false, {
      field<TimeNamespaceSpec>("monotonic", &TimeNamespaceSpec::monotonic,
          int_in(-(int64_t{1} << 40), int64_t{1} << 40, "seconds"), "Offset of CLOCK_MONOTONIC."),
      field<TimeNamespaceSpec>("boottime", &TimeNamespaceSpec::boottime,
          int_in(-(int64_t{1} << 40), int64_t{1} << 40, "seconds"), "Offset of CLOCK_BOOTTIME."),
  });
  return &s;
}
template <>
const ObjectSpec* spec_of<UserNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<UserNamespaceSpec>(
      "user namespace", "Own user and group ids, mapped to ranges of the host's.", false, {
      field<UserNamespaceSpec>("uid_map", &UserNamespaceSpec::uid_map, t(Kind::IdMap),
          "Ranges `inside outside count`: a string, or a list of them or of {inside, outside, count}."),
      field<UserNamespaceSpec>("gid_map", &UserNamespaceSpec::gid_map, t(Kind::IdMap),
          "Group id ranges, as uid_map."),
      field<UserNamespaceSpec>("setgroups", &UserNamespaceSpec::setgroups, one_of({"allow", "deny"}),
          "Whether setgroups(2) is allowed inside.", "deny when a gid_map is written without privilege"),
  });
  return &s;
}
template <>
const ObjectSpec* spec_of<UtsNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<UtsNamespaceSpec>(
      "uts namespace", "Own hostname and NIS domain name.", true, {
      field<UtsNamespaceSpec>("hostname", &UtsNamespaceSpec::hostname, t(Kind::Hostname), "Hostname inside."),
      field<UtsNamespaceSpec>("domainname", &UtsNamespaceSpec::domainname, t(Kind::Hostname), "NIS domain name inside."),
  });
  return &s;
}

template <>
const ObjectSpec* spec_of<TmpfsMount>() {
  static const ObjectSpec s{"tmpfs mount", "A fresh tmpfs.", {
      field<TmpfsMount>("path", &TmpfsMount::path, t(Kind::AbsPath), "Where to mount it.", {}, true),
      field<TmpfsMount>("size", &TmpfsMount::size, bytes(), "Size limit.", "half of RAM"),
      field<TmpfsMount>("mode", &TmpfsMount::mode, t(Kind::Octal), "Mode of its root.", "1777"),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<BindMount>() {
  static const ObjectSpec s{"bind mount", "A directory or file of the host, seen elsewhere.", {
      field<BindMount>("source", &BindMount::source, t(Kind::AbsPath), "Host path.", {}, true),
      field<BindMount>("target", &BindMount::target, t(Kind::AbsPath), "Path inside.", {}, true),
      field<BindMount>("read_only", &BindMount::read_only, t(Kind::Bool), "Mount it read-only.", "false"),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<OverlayMount>() {
  static const ObjectSpec s{"overlay mount", "An overlay file system: lower directories seen as one, writes going to upper.", {
      field<OverlayMount>("target", &OverlayMount::target, t(Kind::AbsPath), "Where to mount it.", {}, true),
      field<OverlayMount>("lower", &OverlayMount::lower, list_of(Kind::AbsPath),
          "Lower directories, top first (no ':', ',' or '\\' in a path: overlay's options cannot carry them).", {}, true),
      field<OverlayMount>("upper", &OverlayMount::upper, t(Kind::String),
          "Directory that takes the writes (with work), or `tmpfs`: a private tmpfs holding upper and work, "
          "gone with the namespace.", "none: the overlay is read-only"),
      field<OverlayMount>("work", &OverlayMount::work, t(Kind::AbsPath),
          "Empty directory on upper's file system, not inside upper (with upper, unless upper is tmpfs)."),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<MntDir>() {
  static const ObjectSpec s{"directory", "A directory nsplan creates inside the new mount namespace; it must not exist.", {
      field<MntDir>("path", &MntDir::path, t(Kind::AbsPath), "Its path (inside mnt.root when there is one).", {}, true),
      field<MntDir>("mode", &MntDir::mode, t(Kind::Octal), "Its mode, whatever the umask.", "0755"),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<MntSymlink>() {
  static const ObjectSpec s{"symbolic link", "A symbolic link nsplan creates inside the new mount namespace; nothing may be at its path.", {
      field<MntSymlink>("path", &MntSymlink::path, t(Kind::AbsPath), "Its path (inside mnt.root when there is one).", {}, true),
      field<MntSymlink>("target", &MntSymlink::target, t(Kind::String), "What it points to, as ln -s takes it.", {}, true),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<MntFile>() {
  static const ObjectSpec s{"file", "A regular file nsplan creates inside the new mount namespace; it must not exist.", {
      field<MntFile>("path", &MntFile::path, t(Kind::AbsPath), "Its path (inside mnt.root when there is one).", {}, true),
      field<MntFile>("text", &MntFile::text, t(Kind::String), "Its whole content (no NUL).", "empty"),
      field<MntFile>("mode", &MntFile::mode, t(Kind::Octal), "Its mode, whatever the umask.", "0644"),
  }};
  return &s;
}
template <>
const ObjectSpec* spec_of<MntNamespaceSpec>() {
  static const ObjectSpec s = namespace_spec<MntNamespaceSpec>(
      "mnt namespace", "Own mount table.", false, {
      field<MntNamespaceSpec>("propagation", &MntNamespaceSpec::propagation,
          one_of({"private", "slave", "shared"}), "Propagation of the whole tree.", "private"),
      field<MntNamespaceSpec>("proc", &MntNamespaceSpec::proc, t(Kind::Bool),
          "Mount a fresh /proc (for a new pid namespace).", "false"),
      field<MntNamespaceSpec>("tmpfs", &MntNamespaceSpec::tmpfs, object_list(), "tmpfs mounts."),
      field<MntNamespaceSpec>("bind", &MntNamespaceSpec::bind, object_list(), "Bind mounts."),
      field<MntNamespaceSpec>("read_only", &MntNamespaceSpec::read_only, list_of(Kind::AbsPath),
          "Paths remounted read-only."),
      field<MntNamespaceSpec>("root", &MntNamespaceSpec::root, t(Kind::AbsPath),
          "New root directory (pivot_root)."),
      field<MntNamespaceSpec>("dev", &MntNamespaceSpec::dev, t(Kind::Bool),
          "A minimal /dev on a tmpfs, as bubblewrap's --dev: null, zero, full, random, urandom and tty of "
          "the host, a private devpts (pts, ptmx), shm, and the fd, stdin, stdout, stderr links.", "false"),
      field<MntNamespaceSpec>("mqueue", &MntNamespaceSpec::mqueue, t(Kind::Bool),
          "Mount the POSIX message queues of the ipc namespace on /dev/mqueue.", "false"),
      field<MntNamespaceSpec>("sysfs", &MntNamespaceSpec::sysfs, t(Kind::Bool),
          "Mount a read-only sysfs on /sys (it shows the devices of the net namespace).", "false"),
      field<MntNamespaceSpec>("overlay", &MntNamespaceSpec::overlay, object_list(), "Overlay mounts."),
      field<MntNamespaceSpec>("dirs", &MntNamespaceSpec::dirs, object_list(),
          "Directories to create after the mounts, in this order (never on the host: needs a new mnt namespace)."),
      field<MntNamespaceSpec>("symlinks", &MntNamespaceSpec::symlinks, object_list(),
          "Symbolic links to create after dirs and files."),
      field<MntNamespaceSpec>("files", &MntNamespaceSpec::files, object_list(), "Files to create after dirs."),
  });
  return &s;
}

template <>
const ObjectSpec* spec_of<NamespacesSpec>() {
  static const ObjectSpec s{"namespaces", "Namespaces of the command; each is new unless it says join or path.", {
      field<NamespacesSpec>("cgroup", &NamespacesSpec::cgroup, object(), "cgroup namespace."),
      field<NamespacesSpec>("ipc", &NamespacesSpec::ipc, object(), "IPC namespace."),
      field<NamespacesSpec>("mnt", &NamespacesSpec::mnt, object(), "Mount namespace."),
      field<NamespacesSpec>("net", &NamespacesSpec::net, object(), "Network namespace."),
      field<NamespacesSpec>("pid", &NamespacesSpec::pid, object(), "PID namespace."),
      field<NamespacesSpec>("time", &NamespacesSpec::time, object(), "Time namespace."),
      field<NamespacesSpec>("user", &NamespacesSpec::user, object(), "User namespace."),
      field<NamespacesSpec>("uts", &NamespacesSpec::uts, object(), "UTS namespace (hostname)."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<VethPeer>() {
  static const ObjectSpec s{"veth peer", "The other end of a veth pair, created where it lives.", {
      field<VethPeer>("name", &VethPeer::name, t(Kind::IfName), "Interface name.", {}, true),
      field<VethPeer>("netns", &VethPeer::netns, t(Kind::Name), "Net namespace it lives in.", "the host"),
      field<VethPeer>("addresses", &VethPeer::addresses, list_of(Kind::Cidr), "Addresses with prefix length."),
      field<VethPeer>("mac", &VethPeer::mac, t(Kind::Mac), "Its MAC address.", "one the kernel picks at random"),
      field<VethPeer>("mtu", &VethPeer::mtu, uint_in(68, 65535, "bytes"), "MTU."),
      field<VethPeer>("master", &VethPeer::master, t(Kind::IfName), "Bridge it is a port of."),
      field<VethPeer>("up", &VethPeer::up, t(Kind::Bool), "Bring it up.", "true"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<WireguardPeerSpec>() {
  static const ObjectSpec s{"wireguard peer", "A peer of a wireguard link (wg(8)'s peer settings).", {
      field<WireguardPeerSpec>("public_key", &WireguardPeerSpec::public_key, t(Kind::String),
          "Its public key: 44 characters of base64 (32 bytes), as `wg pubkey` prints it.", {}, true),
      field<WireguardPeerSpec>("endpoint", &WireguardPeerSpec::endpoint, t(Kind::String),
          "Where to reach it: ADDRESS:PORT or [IPv6]:PORT.", "none: it reaches us first"),
      field<WireguardPeerSpec>("allowed_ips", &WireguardPeerSpec::allowed_ips, list_of(Kind::Cidr),
          "Networks it may send from and that are sent to it."),
      field<WireguardPeerSpec>("persistent_keepalive", &WireguardPeerSpec::persistent_keepalive, uint_in(1, 65535, "seconds"),
          "Send a keepalive this often (through NAT).", "none"),
      field<WireguardPeerSpec>("preshared_key_file", &WireguardPeerSpec::preshared_key_file, t(Kind::AbsPath),
          "File with a preshared key (wg genpsk): root's, mode 0600, not a symlink."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<LinkSpec>() {
  static const ObjectSpec s{"link", "A network interface.", {
      field<LinkSpec>("name", &LinkSpec::name, t(Kind::IfName), "Interface name (1..15 bytes).", {}, true),
      field<LinkSpec>("kind", &LinkSpec::kind,
          one_of(link_kind_names()),
          "What to create; device moves an existing interface in.", {}, true),
      field<LinkSpec>("netns", &LinkSpec::netns, t(Kind::Name), "Net namespace it lives in.", "the host"),
      field<LinkSpec>("addresses", &LinkSpec::addresses, list_of(Kind::Cidr), "Addresses with prefix length."),
      field<LinkSpec>("mac", &LinkSpec::mac, t(Kind::Mac), "Its MAC address.",
          "one the kernel picks at random (a moved device keeps its own)"),
      field<LinkSpec>("mtu", &LinkSpec::mtu, uint_in(68, 65535, "bytes"), "MTU."),
      field<LinkSpec>("master", &LinkSpec::master, t(Kind::IfName), "Bridge it is a port of."),
      field<LinkSpec>("up", &LinkSpec::up, t(Kind::Bool), "Bring it up.", "true"),
      field<LinkSpec>("parent", &LinkSpec::parent, t(Kind::IfName),
          "Lower device of a macvlan, ipvlan or vlan; a vxlan's underlay device (optional)."),
      field<LinkSpec>("parent_netns", &LinkSpec::parent_netns, t(Kind::Name),
          "Net namespace the parent is in (a link of this profile there).",
          "the link's own namespace when this profile puts the parent there, else the host"),
      field<LinkSpec>("name_inside", &LinkSpec::name_inside, t(Kind::IfName),
          "device only: its name in netns, given in the same request as the move (the host never sees it renamed); "
          "destroy moves it back under name.",
          "name"),
      field<LinkSpec>("mode", &LinkSpec::mode,
          one_of(link_mode_words()), link_mode_doc(), link_mode_defaults()),
      field<LinkSpec>("id", &LinkSpec::vlan_id, uint_in(1, 4094), "VLAN id (vlan only)."),
      field<LinkSpec>("peer", &LinkSpec::peer, object(), "The other end (veth only)."),
      field<LinkSpec>("vni", &LinkSpec::vni, uint_in(1, 16777215), "VXLAN network identifier (vxlan only).", {}),
      field<LinkSpec>("remote", &LinkSpec::remote, t(Kind::IpAddress), "Unicast address of the other tunnel end (vxlan only)."),
      field<LinkSpec>("group", &LinkSpec::group, t(Kind::IpAddress), "Multicast group of the tunnel, instead of remote (vxlan only)."),
      field<LinkSpec>("local", &LinkSpec::local, t(Kind::IpAddress), "Source address of the tunnel's packets (vxlan only).",
          "the route's"),
      field<LinkSpec>("port", &LinkSpec::port, uint_in(1, 65535), "UDP port of the tunnel (vxlan only).",
          "4789, the IANA port (not the kernel's 8472)"),
      field<LinkSpec>("ttl", &LinkSpec::ttl, uint_in(1, 255), "TTL of the tunnel's packets (vxlan only).", "inherit"),
      field<LinkSpec>("private_key_file", &LinkSpec::private_key_file, t(Kind::AbsPath),
          "File with the private key (wg genkey): root's, mode 0600, not a symlink (wireguard only)."),
      field<LinkSpec>("listen_port", &LinkSpec::listen_port, uint_in(1, 65535), "UDP port it listens on (wireguard only).",
          "one the kernel picks"),
      field<LinkSpec>("peers", &LinkSpec::peers, object_list(), "Its peers (wireguard only)."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<RouteSpec>() {
  static const ObjectSpec s{"route", "A route.", {
      field<RouteSpec>("netns", &RouteSpec::netns, t(Kind::Name), "Net namespace of the route.", "the host"),
      field<RouteSpec>("to", &RouteSpec::to, t(Kind::Route), "Destination: default or a CIDR.", {}, true),
      field<RouteSpec>("via", &RouteSpec::via, t(Kind::IpAddress), "Gateway."),
      field<RouteSpec>("dev", &RouteSpec::dev, t(Kind::IfName), "Output interface."),
      field<RouteSpec>("metric", &RouteSpec::metric, uint_in(0, 4294967295), "Route metric."),
      field<RouteSpec>("table", &RouteSpec::table, uint_in(1, 4294967295), "Routing table.", "main"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<PortForwardSpec>() {
  static const ObjectSpec s{"forwarded port", "A port of the host forwarded (DNAT) to an address in the uplink's namespace.", {
      field<PortForwardSpec>("host_port", &PortForwardSpec::host_port, uint_in(1, 65535), "Port of the host's addresses.", {}, true),
      field<PortForwardSpec>("to", &PortForwardSpec::to, t(Kind::IpAddress), "IPv4 address in the namespace it goes to.", {}, true),
      field<PortForwardSpec>("to_port", &PortForwardSpec::to_port, uint_in(1, 65535), "Port there.", "host_port"),
      field<PortForwardSpec>("proto", &PortForwardSpec::proto, one_of({"tcp", "udp"}), "Protocol.", "tcp"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<UplinkSpec>() {
  static const ObjectSpec s{"uplink", "The way out of a namespace through the host: IPv4 forwarding, masquerading and "
                                      "forwarded ports, in the nftables table ip nsplan-NAME of the profile.", {
      field<UplinkSpec>("netns", &UplinkSpec::netns, t(Kind::Name), "Net namespace of the profile whose traffic goes out.", {}, true),
      field<UplinkSpec>("from", &UplinkSpec::from, list_of(Kind::Cidr), "IPv4 source networks to masquerade.",
          "the networks of the namespace's IPv4 addresses"),
      field<UplinkSpec>("out", &UplinkSpec::out, t(Kind::IfName), "Masquerade only what leaves through this host interface.",
          "any interface, for destinations outside the source networks"),
      field<UplinkSpec>("masquerade", &UplinkSpec::masquerade, t(Kind::Bool), "Masquerade the source networks.", "true"),
      field<UplinkSpec>("forward_ports", &UplinkSpec::forward_ports, object_list(), "Ports of the host forwarded into the namespace."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<NetworkSpec>() {
  static const ObjectSpec s{"network", "Virtual interfaces, addresses and routes.", {
      field<NetworkSpec>("namespaces", &NetworkSpec::namespaces, list_of(Kind::Name),
          "Further persistent net namespaces (/run/netns/NAME) that links can live in."),
      field<NetworkSpec>("host_bridges", &NetworkSpec::host_bridges, list_of(Kind::IfName),
          "Bridges of the host that links on the host may join as ports (master:); nsplan never makes, changes or deletes them."),
      field<NetworkSpec>("links", &NetworkSpec::links, object_list(), "Interfaces, created in order."),
      field<NetworkSpec>("routes", &NetworkSpec::routes, object_list(), "Routes, added after the links."),
      field<NetworkSpec>("uplink", &NetworkSpec::uplink, object(), "A namespace's way out through the host (nftables)."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<LimitsSpec>() {
  static const ObjectSpec s{"limits", "Resource limits (setrlimit) of the command: n, unlimited, or {soft, hard}.", {
      field<LimitsSpec>("as", &LimitsSpec::as, t(Kind::Rlimit), "RLIMIT_AS: address space, bytes."),
      field<LimitsSpec>("core", &LimitsSpec::core, t(Kind::Rlimit), "RLIMIT_CORE: core file size, bytes."),
      field<LimitsSpec>("cpu", &LimitsSpec::cpu, t(Kind::Rlimit), "RLIMIT_CPU: CPU time, seconds."),
      field<LimitsSpec>("data", &LimitsSpec::data, t(Kind::Rlimit), "RLIMIT_DATA: data segment, bytes."),
      field<LimitsSpec>("fsize", &LimitsSpec::fsize, t(Kind::Rlimit), "RLIMIT_FSIZE: file size, bytes."),
      field<LimitsSpec>("locks", &LimitsSpec::locks, t(Kind::Rlimit), "RLIMIT_LOCKS: file locks."),
      field<LimitsSpec>("memlock", &LimitsSpec::memlock, t(Kind::Rlimit), "RLIMIT_MEMLOCK: locked memory, bytes."),
      field<LimitsSpec>("msgqueue", &LimitsSpec::msgqueue, t(Kind::Rlimit), "RLIMIT_MSGQUEUE: POSIX message queues, bytes."),
      field<LimitsSpec>("nice", &LimitsSpec::nice, t(Kind::Rlimit), "RLIMIT_NICE: ceiling of the nice value (20 - nice)."),
      field<LimitsSpec>("nofile", &LimitsSpec::nofile, t(Kind::Rlimit), "RLIMIT_NOFILE: open files."),
      field<LimitsSpec>("nproc", &LimitsSpec::nproc, t(Kind::Rlimit), "RLIMIT_NPROC: processes of the user."),
      field<LimitsSpec>("rss", &LimitsSpec::rss, t(Kind::Rlimit), "RLIMIT_RSS: resident set, bytes (ignored by Linux)."),
      field<LimitsSpec>("rtprio", &LimitsSpec::rtprio, t(Kind::Rlimit), "RLIMIT_RTPRIO: real-time priority."),
      field<LimitsSpec>("rttime", &LimitsSpec::rttime, t(Kind::Rlimit), "RLIMIT_RTTIME: real-time CPU, µs."),
      field<LimitsSpec>("sigpending", &LimitsSpec::sigpending, t(Kind::Rlimit), "RLIMIT_SIGPENDING: queued signals."),
      field<LimitsSpec>("stack", &LimitsSpec::stack, t(Kind::Rlimit), "RLIMIT_STACK: stack size, bytes."),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<CapabilitiesSpec>() {
  static const ObjectSpec s{"capabilities",
      "Capability sets of the command (capabilities(7)), named as setpriv(1) names them: net_admin, sys_time. "
      "Permitted and effective follow at exec: the command has exactly the resulting ambient set, or as uid 0 "
      "bounding and inheritable (docs/profile-format.md).", {
      field<CapabilitiesSpec>("drop", &CapabilitiesSpec::drop, list_of(Kind::String),
          "Removed from the bounding, inheritable and ambient sets; [all] drops every one but those of add.", "none"),
      field<CapabilitiesSpec>("add", &CapabilitiesSpec::add, list_of(Kind::String),
          "Kept in the bounding set and raised in the inheritable and ambient sets: the command holds them "
          "in its permitted and effective sets whatever its uid.", "none"),
      field<CapabilitiesSpec>("bounding", &CapabilitiesSpec::bounding, list_of(Kind::String),
          "Exactly this bounding set (every other capability is dropped from it).", "from drop and add"),
      field<CapabilitiesSpec>("inheritable", &CapabilitiesSpec::inheritable, list_of(Kind::String),
          "Exactly this inheritable set.", "from drop and add"),
      field<CapabilitiesSpec>("ambient", &CapabilitiesSpec::ambient, list_of(Kind::String),
          "Exactly this ambient set (each one also in inheritable and bounding).", "from drop and add"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<IoprioSpec>() {
  static const ObjectSpec s{"ioprio", "I/O scheduling class and level (ioprio_set(2), ionice(1)).", {
      field<IoprioSpec>("class", &IoprioSpec::io_class, one_of({"realtime", "best-effort", "idle"}),
          "I/O scheduling class.", {}, true),
      field<IoprioSpec>("level", &IoprioSpec::level, uint_in(0, 7),
          "Level within the class, 0 the highest (realtime and best-effort only).", "4"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<SchedSpec>() {
  static const ObjectSpec s{"sched", "CPU scheduling policy (sched_setscheduler(2), chrt(1)).", {
      field<SchedSpec>("policy", &SchedSpec::policy, one_of({"other", "batch", "idle", "fifo", "rr"}),
          "Scheduling policy.", {}, true),
      field<SchedSpec>("priority", &SchedSpec::priority, uint_in(0, 99),
          "Static priority: 1..99 for fifo and rr, 0 for the others.", "0; 1 for fifo and rr"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<SeccompSpec>() {
  static const ObjectSpec s{"seccomp",
      "A syscall filter, installed right before exec (after the ids change), with no_new_privs; native ABI only. "
      "Names are syscalls or nsplan's @groups (docs/profile-format.md).", {
      field<SeccompSpec>("allow", &SeccompSpec::allow, list_of(Kind::String),
          "Allow list: these syscalls (and execve, exit, exit_group, rt_sigreturn) run; every other one gets action."),
      field<SeccompSpec>("deny", &SeccompSpec::deny, list_of(Kind::String),
          "Deny list: these syscalls get action; every other one runs."),
      field<SeccompSpec>("action", &SeccompSpec::action, one_of({"errno", "kill", "trap", "log"}),
          "What a filtered syscall gets: fail with errno, kill the process (SIGSYS), raise SIGSYS, or run and be logged.",
          "errno"),
      field<SeccompSpec>("errno", &SeccompSpec::errno_name, t(Kind::String),
          "The error of action errno, by name (EPERM, ENOSYS, EACCES, ...).", "EPERM"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<RunSpec>() {
  static const ObjectSpec s{"run", "The command nsplan run starts inside all of the above.", {
      field<RunSpec>("command", &RunSpec::command, list_of(Kind::String), "Program and arguments.", {}, true),
      field<RunSpec>("env", &RunSpec::env, t(Kind::StringMap), "Environment variables to set."),
      field<RunSpec>("clear_env", &RunSpec::clear_env, t(Kind::Bool),
          "Start the command with only the variables of env (and PWD with cwd), not nsplan's.", "false"),
      field<RunSpec>("cwd", &RunSpec::cwd, t(Kind::AbsPath), "Working directory.", "unchanged"),
      field<RunSpec>("uid", &RunSpec::uid, uint_in(0, 4294967294), "User id to run as.", "unchanged"),
      field<RunSpec>("gid", &RunSpec::gid, uint_in(0, 4294967294), "Group id to run as.", "uid, when uid is given; else unchanged"),
      field<RunSpec>("groups", &RunSpec::groups, list_uint_in(0, 4294967294),
          "Supplementary group ids. When uid or gid is given, these and no others.", "none, when uid or gid is given; else unchanged"),
      field<RunSpec>("no_new_privs", &RunSpec::no_new_privs, t(Kind::Bool),
          "Set PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities gain nothing.",
          "true when capabilities, uid or gid is given; else false"),
      field<RunSpec>("keep_fds", &RunSpec::keep_fds, list_uint_in(3, 1048575),
          "Open descriptors above 2 that the command inherits; every other one is closed.", "none"),
      field<RunSpec>("capabilities", &RunSpec::capabilities, object(), "Capability sets of the command."),
      field<RunSpec>("umask", &RunSpec::umask, t(Kind::Octal), "File mode creation mask, 000..777.", "unchanged"),
      field<RunSpec>("nice", &RunSpec::nice, int_in(-20, 19), "Nice value (setpriority(2)).", "unchanged"),
      field<RunSpec>("oom_score_adj", &RunSpec::oom_score_adj, int_in(-1000, 1000),
          "OOM killer adjustment (/proc/self/oom_score_adj); lowering it needs CAP_SYS_RESOURCE.", "unchanged"),
      field<RunSpec>("ioprio", &RunSpec::ioprio, object(), "I/O priority.", "unchanged"),
      field<RunSpec>("sched", &RunSpec::sched, object(), "CPU scheduling policy.", "unchanged"),
      field<RunSpec>("cpus", &RunSpec::cpus, t(Kind::CpuList), "CPU affinity: a CPU list such as 0-1,3.", "unchanged"),
      field<RunSpec>("seccomp", &RunSpec::seccomp, object(), "Syscall filter of the command."),
      field<RunSpec>("init", &RunSpec::init, t(Kind::Bool),
          "With a new pid namespace, nsplan's minimal init is its PID 1 (reaps orphans, passes signals on, exits "
          "with the command's status) and the command its child; false: the command is PID 1 (it is an init).",
          "true with a new pid namespace"),
  }};
  return &s;
}

template <>
const ObjectSpec* spec_of<Profile>() {
  static const ObjectSpec s{"profile", "An nsplan profile.", {
      field<Profile>("nsplan", &Profile::version, uint_in(1, 1000), "Format version; this nsplan reads 1.", {}, true),
      field<Profile>("name", &Profile::name, t(Kind::Name), "Profile name: state, defaults and locks are keyed by it.", {}, true),
      field<Profile>("description", &Profile::description, t(Kind::String), "One line for humans."),
      field<Profile>("cgroup", &Profile::cgroup, object(), "Control group and resource limits."),
      field<Profile>("namespaces", &Profile::namespaces, object(), "Namespaces of the command."),
      field<Profile>("network", &Profile::network, object(), "Virtual network."),
      field<Profile>("limits", &Profile::limits, object(), "rlimits of the command."),
      field<Profile>("run", &Profile::run, object(), "The command to run."),
  }};
  return &s;
}

}  // namespace

const ObjectSpec& profile_spec() { return *spec_of<Profile>(); }

}  // namespace nsplan::schema
