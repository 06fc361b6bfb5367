#include "compiler/export_oci.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "compiler/device_rules.h"
#include "compiler/export_process.h"
#include "compiler/export_seccomp.h"
#include "compiler/translate.h"
#include "compiler/units.h"

namespace nsplan::exporting {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kOci = "OCI";
constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// OCI's name of a namespace kind; "" for time, which the schema has no type for.
std::string oci_namespace_type(const std::string& kind) {
  if (kind == "mnt") return "mount";
  if (kind == "net") return "network";
  if (kind == "time") return "";
  return kind;
}

// "2MB", "1GB", "64KB": runtime-spec's pageSize (^[1-9][0-9]*[KMG]B$).
std::optional<std::string> page_size_text(uint64_t bytes) {
  const std::pair<uint64_t, const char*> units[] = {{1ull << 30, "GB"}, {1ull << 20, "MB"}, {1ull << 10, "KB"}};
  for (const auto& [size, suffix] : units)
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + suffix;
  return std::nullopt;
}

std::string access_text(uint8_t access) {
  std::string s;
  if (access & device_rules::kRead) s += 'r';
  if (access & device_rules::kWrite) s += 'w';
  if (access & device_rules::kMknod) s += 'm';
  return s;
}

class OciExport {
 public:
  OciExport(const Profile& p, const ExportOptions& o, Diagnostics& diags) : p_(p), o_(o), losses_(diags, o.strict) {}

  Json document() {
    Json doc;
    doc["ociVersion"] = "1.0.2-dev";
    if (auto proc = process()) doc["process"] = *proc;
    doc["root"] = root();
    Json linux_part = Json::object();
    if (p_.namespaces) namespaces(*p_.namespaces, doc, linux_part);
    if (p_.cgroup) cgroup(*p_.cgroup, linux_part);
    if (p_.network) network(*p_.network);
    if (p_.run && p_.run->seccomp) linux_part["seccomp"] = oci_seccomp(*p_.run->seccomp);
    doc["linux"] = linux_part;
    return doc;
  }

 private:
  const Profile& p_;
  const ExportOptions& o_;
  Losses losses_;

  void cannot(SourceLoc loc, const std::string& what, const std::string& hint = {}) { losses_.cannot(loc, kOci, what, hint); }

  // ---- process -----------------------------------------------------------------------------

  std::optional<Json> process() {
    const bool has_run = p_.run.has_value();
    const bool has_limits = p_.limits.has_value();
    if (!has_run && !has_limits) return std::nullopt;
    Json proc;
    if (has_run) {
      const RunSpec& r = *p_.run;
      if (!r.command.empty()) {
        Json args = Json::array();
        for (const auto& a : r.command) args.push_back(a.value);
        proc["args"] = args;
      } else {
        losses_.note(r.loc, "OCI's process.args is left out: the profile has no run.command (nsplan run -- CMD names one)");
      }
      Json env = Json::array();
      for (const auto& [k, v] : r.env) env.push_back(k.value + "=" + v.value);
      if (!env.empty()) proc["env"] = env;
      if (!(r.clear_env && r.clear_env->value))
        losses_.note(r.loc, "OCI's process.env is the whole environment: the variables nsplan run passes on from its caller are not in it");
      proc["cwd"] = r.cwd ? r.cwd->value : std::string("/");
      if (!r.cwd) losses_.note(r.loc, "OCI's process.cwd is required: \"/\" stands for the caller's directory nsplan run starts in");
      Json user;
      user["uid"] = r.uid ? r.uid->value : 0;
      user["gid"] = r.gid ? r.gid->value : (r.uid ? r.uid->value : 0);
      if (!r.groups.empty()) {
        Json gids = Json::array();
        for (const auto& g : r.groups) gids.push_back(g.value);
        user["additionalGids"] = gids;
      }
      if (r.uid || r.gid || !r.groups.empty()) proc["user"] = user;
      for (const auto& fd : r.keep_fds)
        cannot(fd.loc, "passing descriptor " + std::to_string(fd.value) + " to the command: a runtime passes only what its caller asks for (runc --preserve-fds)");
      if (r.no_new_privs) proc["noNewPrivileges"] = r.no_new_privs->value;
      oci_process_attrs(r, proc, [this](SourceLoc loc, const std::string& what) { cannot(loc, what); });
      if (r.init && r.init->value) cannot(r.init->loc, "run.init: an OCI runtime starts the command as PID 1, without nsplan's init");
    } else {
      proc["cwd"] = "/";
    }
    if (has_limits) {
      Json rl = Json::array();
      rlimits(*p_.limits, rl);
      if (!rl.empty()) proc["rlimits"] = rl;
    }
    return proc;
  }

  static void rlimits(const LimitsSpec& s, Json& out) {
    for (const auto& [name, r] : rlimits_set(s)) out.push_back(Json{{"type", "RLIMIT_" + name}, {"soft", r->value.soft}, {"hard", r->value.hard}});
  }

  // ---- root, namespaces, mounts --------------------------------------------------------------

  Json root() {
    const auto& ns = p_.namespaces;
    if (ns && ns->mnt && ns->mnt->root) return Json{{"path", ns->mnt->root->value}};
    losses_.note(p_.name.loc, "OCI's root.path is required: \"/\" stands for the host's root, which the profile keeps (no mnt.root)");
    return Json{{"path", "/"}};
  }

  // One entry of linux.namespaces, or nothing (and the loss) for a kind OCI has no name for.
  void namespace_entry(const std::string& kind, const NamespaceCommon& ns, Json& list) {
    const std::string type = oci_namespace_type(kind);
    if (type.empty()) {
      cannot(ns.loc, "a " + kind + " namespace: the runtime-spec schema has no namespace type '" + kind + "'");
      return;
    }
    Json entry{{"type", type}};
    if (ns.path) {
      entry["path"] = ns.path->value;
    } else if (ns.join) {
      entry["path"] = persisted_namespace_path(kind, ns.join->value, o_.state_dir);
    } else if (ns.persist) {
      entry["path"] = persisted_namespace_path(kind, ns.persist->value, o_.state_dir);
      cannot(ns.persist->loc, "a namespace that outlives the container: path names the one `nsplan apply` keeps, which must exist first");
    }
    list.push_back(entry);
  }

  void namespaces(const NamespacesSpec& ns, Json& doc, Json& linux_part) {
    Json list = Json::array();
    // In the order the kernel's clone flags are usually listed by runtimes; stable either way.
    if (ns.pid) namespace_entry("pid", *ns.pid, list);
    if (ns.net) {
      namespace_entry("net", *ns.net, list);
      report_net_etc(*ns.net, losses_, kOci, "write the files and bind them read-only over /etc (mounts)");
    }
    if (ns.ipc) namespace_entry("ipc", *ns.ipc, list);
    if (ns.uts) namespace_entry("uts", *ns.uts, list);
    if (ns.mnt) namespace_entry("mnt", *ns.mnt, list);
    if (ns.user) namespace_entry("user", *ns.user, list);
    if (ns.cgroup) namespace_entry("cgroup", *ns.cgroup, list);
    if (ns.time) {
      namespace_entry("time", *ns.time, list);
      if (ns.time->monotonic) cannot(ns.time->monotonic->loc, "a CLOCK_MONOTONIC offset (no time namespace in the schema)");
      if (ns.time->boottime) cannot(ns.time->boottime->loc, "a CLOCK_BOOTTIME offset (no time namespace in the schema)");
    }
    linux_part["namespaces"] = list;
    if (ns.uts) {
      if (ns.uts->hostname) doc["hostname"] = ns.uts->hostname->value;
      if (ns.uts->domainname) doc["domainname"] = ns.uts->domainname->value;
    }
    if (ns.user) {
      auto mappings = [](const std::vector<Located<IdRange>>& ranges) {
        Json out = Json::array();
        for (const auto& r : ranges)
          out.push_back(Json{{"containerID", r.value.inside}, {"hostID", r.value.outside}, {"size", r.value.count}});
        return out;
      };
      if (!ns.user->uid_map.empty()) linux_part["uidMappings"] = mappings(ns.user->uid_map);
      if (!ns.user->gid_map.empty()) linux_part["gidMappings"] = mappings(ns.user->gid_map);
      if (ns.user->setgroups)
        cannot(ns.user->setgroups->loc, "setgroups " + ns.user->setgroups->value + ": the runtime decides what it writes to /proc/PID/setgroups");
    }
    if (ns.mnt) mounts(*ns.mnt, doc, linux_part);
  }

  void mounts(const MntNamespaceSpec& m, Json& doc, Json& linux_part) {
    if (m.propagation) linux_part["rootfsPropagation"] = m.propagation->value;
    struct Entry {
      std::string destination;
      Json mount;
    };
    std::vector<Entry> entries;
    if (m.proc && m.proc->value)
      entries.push_back({"/proc", Json{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"},
                                        {"options", Json::array({"nosuid", "noexec", "nodev"})}}});
    for (const auto& t : m.tmpfs) {
      Json options = Json::array({"nosuid", "nodev", "mode=" + (t.mode ? t.mode->value : std::string("1777"))});
      if (t.size) options.push_back("size=" + (t.size->value.unlimited ? std::string("0") : std::to_string(t.size->value.bytes)));
      entries.push_back({t.path.value, Json{{"destination", t.path.value}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", options}}});
    }
    for (const auto& b : m.bind) {
      Json options = Json::array({"rbind"});
      if (b.read_only && b.read_only->value) options.push_back("ro");
      entries.push_back({b.target.value, Json{{"destination", b.target.value}, {"type", "bind"}, {"source", b.source.value}, {"options", options}}});
    }
    for (const auto& o : m.overlay) {
      // OCI's overlay options name host paths; nsplan's private tmpfs for upper has no such path.
      if (o.upper && o.upper->value == "tmpfs") {
        cannot(o.upper->loc, "an overlay whose upper is a private tmpfs (its options name host directories)",
               "name upper and work directories of the host");
        continue;
      }
      std::string lower;
      for (const auto& l : o.lower) lower += (lower.empty() ? "" : ":") + l.value;
      Json options = Json::array({"lowerdir=" + lower});
      if (o.upper && o.work) {
        options.push_back("upperdir=" + o.upper->value);
        options.push_back("workdir=" + o.work->value);
      } else {
        options.push_back("ro");
      }
      entries.push_back({o.target.value, Json{{"destination", o.target.value}, {"type", "overlay"}, {"source", "overlay"}, {"options", options}}});
    }
    // Runtimes create mount points only: no OCI field makes a directory, file or link.
    for (const auto& d : m.dirs) cannot(d.loc, "mnt.dirs (a directory created inside)", "make it in the rootfs");
    for (const auto& f : m.files) cannot(f.loc, "mnt.files (a file created inside)", "put it in the rootfs, or bind it from the host");
    for (const auto& s : m.symlinks) cannot(s.loc, "mnt.symlinks (a symbolic link created inside)", "make it in the rootfs");
    // A runtime mounts in array order: parents before what is mounted inside them, as nsplan does.
    auto depth = [](const std::string& path) { return std::count(path.begin(), path.end(), '/'); };
    std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) { return depth(a.destination) < depth(b.destination); });
    if (!entries.empty()) {
      Json list = Json::array();
      for (auto& e : entries) list.push_back(std::move(e.mount));
      doc["mounts"] = list;
    }
    if (!m.read_only.empty()) {
      Json list = Json::array();
      for (const auto& p : m.read_only) list.push_back(p.value);
      linux_part["readonlyPaths"] = list;
    }
  }

  // ---- cgroup --------------------------------------------------------------------------------

  // A memory value as OCI's int64 bytes (-1: no limit), or nothing (and the loss).
  std::optional<int64_t> memory_bytes(const Opt<ByteLimit>& v, const std::string& what) {
    if (!v) return std::nullopt;
    if (v->value.unlimited) return -1;
    if (v->value.ram_hundredths) {
      cannot(v->loc, what + " as a share of RAM: its fields are bytes", "write a size such as 512M");
      return std::nullopt;
    }
    if (v->value.bytes > kInt64Max) {
      cannot(v->loc, what + " above 2^63-1 bytes (an int64 field)", "write max for no limit");
      return std::nullopt;
    }
    return static_cast<int64_t>(v->value.bytes);
  }

  // A v2 file's value for linux.resources.unified: bytes, or "max".
  std::optional<std::string> unified_bytes(const Opt<ByteLimit>& v, const std::string& what) {
    if (!v) return std::nullopt;
    if (v->value.unlimited) return std::string("max");
    if (v->value.ram_hundredths) {
      cannot(v->loc, what + " as a share of RAM: cgroup files take bytes", "write a size such as 512M");
      return std::nullopt;
    }
    return std::to_string(v->value.bytes);
  }

  void memory(const MemorySpec& m, Json& resources, Json& unified) {
    Json mem = Json::object();
    auto limit = memory_bytes(m.max, "memory max");
    if (limit) mem["limit"] = *limit;
    if (m.swap) {
      // OCI's memory.swap is memory plus swap (v1's memsw), not swap alone as the profile's.
      if (m.swap->value.unlimited) {
        mem["swap"] = -1;
      } else if (m.swap->value.ram_hundredths) {
        cannot(m.swap->loc, "memory swap as a share of RAM: its fields are bytes", "write a size such as 512M");
      } else if (!limit || *limit < 0) {
        cannot(m.swap->loc, "a swap limit without a memory max in bytes: its memory.swap is memory plus swap together",
               "give memory max as a size");
      } else {
        const uint64_t sum = translate::memsw_from(static_cast<uint64_t>(*limit), m.swap->value.bytes);
        if (sum > kInt64Max) cannot(m.swap->loc, "memory max plus swap above 2^63-1 bytes (an int64 field)");
        else mem["swap"] = static_cast<int64_t>(sum);
      }
    }
    if (auto v = memory_bytes(m.soft, "memory soft")) mem["reservation"] = *v;
    if (m.swappiness) mem["swappiness"] = m.swappiness->value;
    if (!mem.empty()) resources["memory"] = mem;
    if (auto v = unified_bytes(m.high, "memory high")) unified["memory.high"] = *v;
    if (auto v = unified_bytes(m.low, "memory low")) unified["memory.low"] = *v;
    if (auto v = unified_bytes(m.min, "memory min")) unified["memory.min"] = *v;
    if (auto v = unified_bytes(m.zswap_max, "memory zswap_max")) unified["memory.zswap.max"] = *v;
    if (m.oom_group) unified["memory.oom.group"] = m.oom_group->value ? "1" : "0";
  }

  void cpu(const CgroupSpec& cg, Json& resources, Json& unified) {
    Json cpu = Json::object();
    if (cg.cpu) {
      const CpuSpec& c = *cg.cpu;
      if (c.weight) unified["cpu.weight"] = std::to_string(c.weight->value);
      if (c.shares) cpu["shares"] = c.shares->value;
      std::optional<uint64_t> period = c.period ? std::optional<uint64_t>(c.period->value) : std::nullopt;
      if (c.max) {
        auto eff = units::effective_cpu_max(c.max->value, period);
        if (!eff) {
          losses_.cannot(c.max->loc, kOci, "cpu max " + eff.problem().message, eff.problem().hint);
        } else if (eff.value().unlimited) {
          cpu["quota"] = -1;
          cpu["period"] = eff.value().period_us;
        } else {
          cpu["quota"] = static_cast<int64_t>(eff.value().quota_us);
          cpu["period"] = eff.value().period_us;
        }
      } else if (period) {
        cpu["period"] = *period;
      }
      if (c.burst) cpu["burst"] = c.burst->value;
      if (c.idle) cpu["idle"] = c.idle->value ? 1 : 0;
      if (c.uclamp_min) unified["cpu.uclamp.min"] = c.uclamp_min->value;
      if (c.uclamp_max) unified["cpu.uclamp.max"] = c.uclamp_max->value;
      if (c.rt_runtime) cpu["realtimeRuntime"] = static_cast<int64_t>(c.rt_runtime->value);
      if (c.rt_period) cpu["realtimePeriod"] = c.rt_period->value;
    }
    if (cg.cpuset) {
      if (cg.cpuset->cpus) cpu["cpus"] = cg.cpuset->cpus->value;
      if (cg.cpuset->mems) cpu["mems"] = cg.cpuset->mems->value;
    }
    if (!cpu.empty()) resources["cpu"] = cpu;
  }

  // {"major": M, "minor": N} of a block device given by number; nothing (and the loss) for a path.
  std::optional<Json> block_device(const Located<std::string>& device, const std::string& what) {
    auto number = device_number(device.value);
    if (!number) {
      cannot(device.loc, what + " on a device named by path: its block I/O entries take major and minor numbers",
             "write the device as MAJOR:MINOR (ls -l " + device.value + ")");
      return std::nullopt;
    }
    return Json{{"major", number->major}, {"minor", number->minor}};
  }

  void io(const IoSpec& io, Json& resources, Json& unified) {
    Json block = Json::object();
    if (io.weight) unified["io.weight"] = "default " + std::to_string(io.weight->value);
    if (io.blkio_weight) block["weight"] = io.blkio_weight->value;
    const std::pair<const char*, const char*> throttles[] = {{"rbps", "throttleReadBpsDevice"}, {"wbps", "throttleWriteBpsDevice"},
                                                             {"riops", "throttleReadIOPSDevice"}, {"wiops", "throttleWriteIOPSDevice"}};
    for (const auto& d : io.devices) {
      auto dev = block_device(d.device, "an io limit");
      if (!dev) continue;
      for (const auto& [key, field] : throttles) {
        std::optional<uint64_t> rate;  // none for max: no throttle is OCI's default
        const std::string k = key;
        if (k == "rbps" && d.rbps && !d.rbps->value.unlimited) rate = d.rbps->value.bytes;
        if (k == "wbps" && d.wbps && !d.wbps->value.unlimited) rate = d.wbps->value.bytes;
        if (k == "riops" && d.riops && !d.riops->value.unlimited) rate = d.riops->value.count;
        if (k == "wiops" && d.wiops && !d.wiops->value.unlimited) rate = d.wiops->value.count;
        if (!rate) continue;
        Json entry = *dev;
        entry["rate"] = *rate;
        block[field].push_back(entry);
      }
    }
    for (const auto& d : io.device_weights) {
      if (!d.weight) continue;
      auto dev = block_device(d.device, "an io device weight");
      if (!dev) continue;
      // weightDevice is blkio's scale, 10..1000, which io.weight's values take unchanged there.
      if (d.weight->value < 10 || d.weight->value > 1000) {
        cannot(d.weight->loc, "io weight " + std::to_string(d.weight->value) + " on " + d.device.value +
                                  ": blockIO.weightDevice takes 10..1000");
        continue;
      }
      Json entry = *dev;
      entry["weight"] = d.weight->value;
      block["weightDevice"].push_back(entry);
    }
    if (!block.empty()) resources["blockIO"] = block;
  }

  void hugetlb(const std::vector<HugetlbLimit>& limits, Json& resources, Json& unified) {
    for (const auto& h : limits) {
      if (!h.page) continue;
      auto size = page_size_text(h.page->value.bytes);
      if (!size) {
        cannot(h.page->loc, "huge pages of " + std::to_string(h.page->value.bytes) + " bytes: pageSize is a whole KB, MB or GB");
        continue;
      }
      if (h.max && !h.max->value.unlimited) resources["hugepageLimits"].push_back(Json{{"pageSize", *size}, {"limit", h.max->value.bytes}});
      if (auto v = unified_bytes(h.reserved, "hugetlb reserved")) unified["hugetlb." + *size + ".rsvd.max"] = *v;
    }
  }

  void devices(const DevicesSpec& d, Json& resources) {
    const bool default_allow = d.default_access && d.default_access->value == "allow";
    // The first entry sets the default for every device; the profile's rules follow, in order.
    Json list = Json::array({Json{{"allow", default_allow}, {"access", "rwm"}}});
    auto add_rules = [&](const std::vector<Located<std::string>>& rules, bool allow) {
      for (const auto& text : rules) {
        std::string error;
        auto parsed = device_rules::parse(text.value, error);
        if (!parsed) continue;  // the checks have reported it
        for (const auto& r : *parsed) {
          Json entry{{"allow", allow}, {"type", r.type == device_rules::kBlock ? "b" : "c"}};
          if (r.major != device_rules::kAny) entry["major"] = r.major;
          if (r.minor != device_rules::kAny) entry["minor"] = r.minor;
          entry["access"] = access_text(r.access);
          list.push_back(entry);
        }
      }
    };
    add_rules(d.allow, true);
    add_rules(d.deny, false);
    resources["devices"] = list;
  }

  void cgroup(const CgroupSpec& cg, Json& linux_part) {
    linux_part["cgroupsPath"] = "/" + (cg.path ? cg.path->value : "nsplan/" + p_.name.value);
    if (cg.permissions)
      cannot(cg.permissions->loc, "owners of the cgroup's files: a runtime's cgroup belongs to the container",
             "keep the profile for `nsplan apply`, which sets them");
    Json resources = Json::object();
    Json unified = Json::object();
    if (cg.devices) devices(*cg.devices, resources);
    if (cg.memory) memory(*cg.memory, resources, unified);
    cpu(cg, resources, unified);
    if (cg.pids && cg.pids->max) {
      const CountLimit& l = cg.pids->max->value;
      resources["pids"] = Json{{"limit", l.unlimited ? int64_t{-1} : static_cast<int64_t>(std::min(l.count, kInt64Max))}};
    }
    if (cg.io) io(*cg.io, resources, unified);
    hugetlb(cg.hugetlb, resources, unified);
    Json network = Json::object();
    if (cg.net_cls && cg.net_cls->classid)
      if (auto id = units::parse_class_id(cg.net_cls->classid->value)) network["classID"] = *id;
    if (cg.net_prio) {
      for (const auto& [ifname, prio] : cg.net_prio->ifpriomap) {
        auto n = units::parse_uint(prio.value, 0, 4294967295u);
        if (n) network["priorities"].push_back(Json{{"name", ifname.value}, {"priority", n.value()}});
      }
    }
    if (!network.empty()) resources["network"] = network;
    if (!cg.rdma.empty()) {
      Json rdma = Json::object();
      for (const auto& r : cg.rdma) {
        Json entry = Json::object();
        // Absent means no limit ("max"); the counts are uint32.
        if (r.hca_handle && !r.hca_handle->value.unlimited) entry["hcaHandles"] = std::min<uint64_t>(r.hca_handle->value.count, 4294967295u);
        if (r.hca_object && !r.hca_object->value.unlimited) entry["hcaObjects"] = std::min<uint64_t>(r.hca_object->value.count, 4294967295u);
        rdma[r.device.value] = entry;
      }
      resources["rdma"] = rdma;
    }
    // misc.max takes one "NAME VALUE" per write and unified holds one value per file.
    for (size_t i = 0; i < cg.misc.size(); ++i) {
      const auto& [name, value] = cg.misc[i];
      if (i == 0) unified["misc.max"] = name.value + " " + value.value;
      else cannot(name.loc, "a second misc resource: unified holds one value per file and misc.max takes one resource per write");
    }
    if (!unified.empty()) resources["unified"] = unified;
    if (!resources.empty()) linux_part["resources"] = resources;
  }

  // ---- network -------------------------------------------------------------------------------

  void network(const NetworkSpec& n) {
    report_network(n, losses_, kOci, "a runtime makes or joins a network namespace only; set interfaces up with a CNI plugin or a hook");
  }
};

}  // namespace

ExportResult export_oci(const Profile& p, const ExportOptions& options) {
  ExportResult result;
  OciExport e(p, options, result.diags);
  result.text = e.document().dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return result;
}

}  // namespace nsplan::exporting
