#include "compiler/export_systemd.h"

#include "compiler/device_rules.h"
#include "compiler/export_process.h"
#include "compiler/export_seccomp.h"
#include "compiler/translate.h"
#include "compiler/units.h"

namespace nsplan::exporting {

std::optional<std::string> unit_line_value(const std::string& text) {
  if (text.find_first_of("\n\r") != std::string::npos) return std::nullopt;
  return text;
}

std::string quoted_word(const std::string& text, bool dollar) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\\' || c == '"') out += std::string("\\") + c;
    else if (c == '%' || (dollar && c == '$')) out += std::string(2, c);  // "%%", "$$": the character itself
    else out += c;
  }
  return out + "\"";
}

std::string exec_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-@") == std::string::npos;
  return plain ? word : quoted_word(word, true);
}

std::string cpu_quota_percent(uint64_t quota_us, uint64_t period_us, bool& exact) {
  // systemd keeps CPUQuota= as hundredths of a percent (parse_permyriad) and writes
  // quota = permyriad x period / 10000 to cpu.max. A quota is below 2^44 µs (cgroup_limits.h):
  // times 10000 it fits 64 bits.
  const uint64_t scaled = quota_us * 10000;
  const uint64_t permyriad = (scaled + period_us / 2) / period_us;
  exact = permyriad * period_us == scaled;
  return units::format_percent(permyriad);
}

namespace {

constexpr const char* kSystemd = "systemd";

std::string bytes_or_infinity(const ByteLimit& b) {
  if (b.unlimited) return "infinity";
  if (b.ram_hundredths) return units::format_percent(b.ram_hundredths);
  return std::to_string(b.bytes);
}

std::string count_or_infinity(const CountLimit& c) { return c.unlimited ? "infinity" : std::to_string(c.count); }

std::string rlimit_value(uint64_t v) { return v == UINT64_MAX ? "infinity" : std::to_string(v); }

// A device of the profile ("8:0" or a path) as the path systemd's IO*= directives take.
std::string block_device_path(const std::string& device) {
  auto number = device_number(device);
  return number ? "/dev/block/" + std::to_string(number->major) + ":" + std::to_string(number->minor) : device;
}

class SystemdExport {
 public:
  SystemdExport(const Profile& p, const ExportOptions& o, const SourceManager* sources, Diagnostics& diags)
      : p_(p), o_(o), sources_(sources), losses_(diags, o.strict) {}

  std::string text() {
    if (p_.cgroup) cgroup(*p_.cgroup);
    if (p_.namespaces) namespaces(*p_.namespaces);
    if (p_.network) network(*p_.network);
    if (p_.limits) limits(*p_.limits);
    if (p_.run) run(*p_.run);
    std::string head = "# nsplan export systemd: profile '" + p_.name.value +
                       "', a drop-in for a .service unit\n"
                       "# (/etc/systemd/system/UNIT.service.d/nsplan.conf). Its resource-control lines are also\n"
                       "# valid in a [Scope] or [Slice] section; the others are [Service] only.\n"
                       "[Service]\n";
    return head + body_;
  }

 private:
  const Profile& p_;
  const ExportOptions& o_;
  const SourceManager* sources_;
  Losses losses_;
  std::string body_;

  void cannot(SourceLoc loc, const std::string& what, const std::string& hint = {}) { losses_.cannot(loc, kSystemd, what, hint); }

  // KEY=VALUE, after a comment naming the profile line it comes from.
  void set(SourceLoc loc, const std::string& key, const std::string& value) {
    auto literal = unit_line_value(value);
    if (!literal) cannot(loc, key + " with a line break in its value");
    else line(loc, key + "=" + *literal);
  }
  // LINE as it is (escaped already).
  void line(SourceLoc loc, const std::string& text) {
    if (sources_ && loc.valid())
      if (auto path = unit_line_value(sources_->file(loc.file).path))
        body_ += "# from " + *path + ":" + std::to_string(loc.line) + "\n";
    body_ += text + "\n";
  }
  // A path in a directive that splits its value at spaces (and at ':' unless COLON_OK), and reads
  // '%' as a specifier: refused when it holds any of them, a quote or a backslash.
  bool plain_path(SourceLoc loc, const std::string& path, const std::string& key, bool colon_ok = false) {
    if (path.find_first_of(colon_ok ? " \t\\\"'%" : " \t:\\\"'%") == std::string::npos) return true;
    cannot(loc, key + " of a path with a space, quote, backslash, '%'" + (colon_ok ? "" : " or ':'") + " in it (" + path + ")");
    return false;
  }

  // ---- cgroup --------------------------------------------------------------------------------

  void memory(const MemorySpec& m) {
    if (m.max) set(m.max->loc, "MemoryMax", bytes_or_infinity(m.max->value));
    if (m.high) set(m.high->loc, "MemoryHigh", bytes_or_infinity(m.high->value));
    // soft is memory.low on cgroup v2, as nsplan applies it there.
    if (m.soft && m.low) cannot(m.soft->loc, "memory soft next to memory low: both would be MemoryLow= (memory.low), as on cgroup v2");
    else if (m.soft) set(m.soft->loc, "MemoryLow", bytes_or_infinity(m.soft->value));
    if (m.low) set(m.low->loc, "MemoryLow", bytes_or_infinity(m.low->value));
    if (m.min) set(m.min->loc, "MemoryMin", bytes_or_infinity(m.min->value));
    if (m.swap) {
      if (m.swap->value.ram_hundredths) cannot(m.swap->loc, "memory swap as a share of RAM: MemorySwapMax= takes bytes");
      else set(m.swap->loc, "MemorySwapMax", bytes_or_infinity(m.swap->value));
    }
    // OOMPolicy=kill is memory.oom.group=1; continue leaves it 0 and, as nsplan, does not stop
    // the unit after an OOM kill (stop, the default, would).
    if (m.oom_group) set(m.oom_group->loc, "OOMPolicy", m.oom_group->value ? "kill" : "continue");
    if (m.swappiness) cannot(m.swappiness->loc, "memory swappiness (cgroup v1's memory.swappiness)");
    if (m.zswap_max) cannot(m.zswap_max->loc, "memory zswap_max (MemoryZSwapMax= came with systemd 253)");
  }

  void cpu(const CpuSpec& c) {
    if (c.weight) {
      set(c.weight->loc, "CPUWeight", std::to_string(c.weight->value));
    } else if (c.shares) {
      // As nsplan writes shares on cgroup v2 (compiler/translate.h).
      set(c.shares->loc, "CPUWeight", std::to_string(translate::shares_to_weight(c.shares->value)));
    }
    if (c.idle && c.idle->value) {
      if (c.weight || c.shares) cannot(c.idle->loc, "cpu idle together with a weight: CPUWeight= takes a weight or idle");
      else set(c.idle->loc, "CPUWeight", "idle");
    }
    std::optional<uint64_t> period = c.period ? std::optional<uint64_t>(c.period->value) : std::nullopt;
    if (c.max) {
      auto eff = units::effective_cpu_max(c.max->value, period);
      if (!eff) {
        cannot(c.max->loc, "cpu max: " + eff.problem().message, eff.problem().hint);
      } else if (eff.value().unlimited) {
        set(c.max->loc, "CPUQuota", "");  // empty: no quota
      } else {
        bool exact = false;
        set(c.max->loc, "CPUQuota", cpu_quota_percent(eff.value().quota_us, eff.value().period_us, exact));
        if (!exact)
          cannot(c.max->loc, "a quota of " + std::to_string(eff.value().quota_us) + " µs per " + std::to_string(eff.value().period_us) +
                                 " µs exactly: CPUQuota= is a percentage with two decimals");
      }
      if (eff && (c.period || eff.value().period_given)) set(c.period ? c.period->loc : c.max->loc, "CPUQuotaPeriodSec", std::to_string(eff.value().period_us) + "us");
    } else if (c.period) {
      set(c.period->loc, "CPUQuotaPeriodSec", std::to_string(c.period->value) + "us");
    }
    if (c.burst) cannot(c.burst->loc, "cpu burst (cpu.max.burst has no directive)");
    if (c.uclamp_min) cannot(c.uclamp_min->loc, "cpu uclamp_min (cpu.uclamp.min has no directive)");
    if (c.uclamp_max) cannot(c.uclamp_max->loc, "cpu uclamp_max (cpu.uclamp.max has no directive)");
    if (c.rt_runtime) cannot(c.rt_runtime->loc, "cpu rt_runtime (cgroup v1's cpu.rt_runtime_us)");
    if (c.rt_period) cannot(c.rt_period->loc, "cpu rt_period (cgroup v1's cpu.rt_period_us)");
  }

  void io(const IoSpec& io) {
    if (io.weight) set(io.weight->loc, "IOWeight", std::to_string(io.weight->value));
    // blkio's 10..1000 is io.weight's scale unchanged, as nsplan writes it on v2.
    if (io.blkio_weight && !io.weight) set(io.blkio_weight->loc, "IOWeight", std::to_string(io.blkio_weight->value));
    for (const auto& d : io.device_weights) {
      if (!d.weight || !plain_path(d.device.loc, d.device.value, "IODeviceWeight=", true)) continue;
      set(d.weight->loc, "IODeviceWeight", block_device_path(d.device.value) + " " + std::to_string(d.weight->value));
    }
    for (const auto& d : io.devices) {
      if (!plain_path(d.device.loc, d.device.value, "an io limit", true)) continue;
      const std::string dev = block_device_path(d.device.value);
      if (d.rbps) set(d.rbps->loc, "IOReadBandwidthMax", dev + " " + bytes_or_infinity(d.rbps->value));
      if (d.wbps) set(d.wbps->loc, "IOWriteBandwidthMax", dev + " " + bytes_or_infinity(d.wbps->value));
      if (d.riops) set(d.riops->loc, "IOReadIOPSMax", dev + " " + count_or_infinity(d.riops->value));
      if (d.wiops) set(d.wiops->loc, "IOWriteIOPSMax", dev + " " + count_or_infinity(d.wiops->value));
    }
  }

  // One rule as DeviceAllow= names it: /dev/char/MAJ:MIN (systemd reads the numbers from such a
  // path), or char-* / block-* for every device of a type; nullopt for a whole major.
  static std::optional<std::string> device_specifier(const device_rules::Rule& r) {
    const char* type = r.type == device_rules::kBlock ? "block" : "char";
    if (r.major == device_rules::kAny && r.minor == device_rules::kAny) return std::string(type) + "-*";
    if (r.major == device_rules::kAny || r.minor == device_rules::kAny) return std::nullopt;
    return "/dev/" + std::string(type) + "/" + std::to_string(r.major) + ":" + std::to_string(r.minor);
  }

  void devices(const DevicesSpec& d) {
    const bool default_allow = d.default_access && d.default_access->value == "allow";
    const SourceLoc policy_loc = d.default_access ? d.default_access->loc : d.loc;
    // strict: only what DeviceAllow= lists (closed would add /dev/null, /dev/zero and others the
    // profile may not allow); auto without DeviceAllow=: every device.
    set(policy_loc, "DevicePolicy", default_allow ? "auto" : "strict");
    set(policy_loc, "DeviceAllow", "");  // a drop-in's list starts empty, whatever the unit allows
    for (const auto& text : d.deny)
      cannot(text.loc, "denying '" + text.value + "' while allowing every other device: DeviceAllow= only adds to an allow list",
             "list what to allow instead (default deny)");
    if (default_allow) return;
    for (const auto& text : d.allow) {
      std::string error;
      auto parsed = device_rules::parse(text.value, error);
      if (!parsed) continue;  // the checks have reported it
      bool reported = false;  // "a 10:*" is a block and a char rule: one warning
      for (const auto& r : *parsed) {
        auto spec = device_specifier(r);
        if (!spec) {
          if (!reported)
            cannot(text.loc, "'" + text.value + "' by number: DeviceAllow= names a whole major by its group in /proc/devices",
                   "allow it by name in the unit, e.g. DeviceAllow=char-pts rwm for c 136:*");
          reported = true;
          continue;
        }
        std::string access;
        if (r.access & device_rules::kRead) access += 'r';
        if (r.access & device_rules::kWrite) access += 'w';
        if (r.access & device_rules::kMknod) access += 'm';
        set(text.loc, "DeviceAllow", *spec + " " + access);
      }
    }
  }

  void cgroup(const CgroupSpec& cg) {
    if (cg.path) cannot(cg.path->loc, "a cgroup path: the unit's cgroup is named after the unit, in its slice", "choose the slice with Slice=");
    if (cg.permissions)
      cannot(cg.permissions->loc, "owners and modes of the cgroup's files",
             "Delegate=yes with User= gives the unit's own cgroup to its user (systemd.resource-control(5))");
    if (cg.memory) memory(*cg.memory);
    if (cg.cpu) cpu(*cg.cpu);
    if (cg.cpuset) {
      if (cg.cpuset->cpus) set(cg.cpuset->cpus->loc, "AllowedCPUs", cg.cpuset->cpus->value);
      if (cg.cpuset->mems) set(cg.cpuset->mems->loc, "AllowedMemoryNodes", cg.cpuset->mems->value);
    }
    if (cg.pids && cg.pids->max) set(cg.pids->max->loc, "TasksMax", count_or_infinity(cg.pids->max->value));
    if (cg.io) io(*cg.io);
    if (cg.devices) devices(*cg.devices);
    for (const auto& h : cg.hugetlb) cannot(h.loc, "a huge page limit (hugetlb has no directive)");
    if (cg.net_cls) cannot(cg.net_cls->loc, "net_cls (a cgroup v1 controller)");
    if (cg.net_prio) cannot(cg.net_prio->loc, "net_prio (a cgroup v1 controller)");
    for (const auto& [name, value] : cg.misc) cannot(name.loc, "the misc resource " + name.value + " (misc has no directive)");
    for (const auto& r : cg.rdma) cannot(r.loc, "an rdma limit (rdma has no directive)");
  }

  // ---- namespaces ----------------------------------------------------------------------------

  // The nsfs file of a namespace joined by path, by name or kept under a name; "" for a new one.
  std::string joined_path(const std::string& kind, const NamespaceCommon& ns) {
    if (ns.path) return ns.path->value;
    if (ns.join) return persisted_namespace_path(kind, ns.join->value, o_.state_dir);
    if (ns.persist) {
      cannot(ns.persist->loc, "a namespace that outlives the unit: it joins the one `nsplan apply` keeps, which must exist first");
      return persisted_namespace_path(kind, ns.persist->value, o_.state_dir);
    }
    return "";
  }

  // A kind systemd 252 can only make new (PrivateX=yes), or not at all (NEW_KEY empty).
  void new_only(const std::string& kind, const NamespaceCommon& ns, const std::string& new_key) {
    if (ns.path || ns.join || ns.persist) {
      cannot(ns.loc, "joining an existing " + kind + " namespace (no " + kind + " namespace path directive)");
      return;
    }
    if (new_key.empty()) cannot(ns.loc, "a new " + kind + " namespace (no directive in systemd 252)");
    else set(ns.loc, new_key, "yes");
  }

  void namespaces(const NamespacesSpec& ns) {
    if (ns.net) {
      const std::string path = joined_path("net", *ns.net);
      if (path.empty()) set(ns.net->loc, "PrivateNetwork", "yes");
      else if (plain_path(ns.net->loc, path, "NetworkNamespacePath=")) set(ns.net->loc, "NetworkNamespacePath", path);
      report_net_etc(*ns.net, losses_, kSystemd, "write the files and bind them over /etc with BindReadOnlyPaths=");
    }
    if (ns.ipc) {
      const std::string path = joined_path("ipc", *ns.ipc);
      if (path.empty()) set(ns.ipc->loc, "PrivateIPC", "yes");
      else if (plain_path(ns.ipc->loc, path, "IPCNamespacePath=")) set(ns.ipc->loc, "IPCNamespacePath", path);
    }
    if (ns.uts) {
      new_only("uts", *ns.uts, "ProtectHostname");
      if (!ns.uts->path && !ns.uts->join && !ns.uts->persist)
        losses_.note(ns.uts->loc, "ProtectHostname=yes also forbids the unit to change its host name, which nsplan allows");
      if (ns.uts->hostname) cannot(ns.uts->hostname->loc, "setting the host name of the unit's namespace");
      if (ns.uts->domainname) cannot(ns.uts->domainname->loc, "setting the domain name of the unit's namespace");
    }
    if (ns.user) {
      new_only("user", *ns.user, "PrivateUsers");
      if (!ns.user->uid_map.empty() || !ns.user->gid_map.empty())
        cannot(ns.user->loc, "these id maps: PrivateUsers= maps root and the unit's own user and group to themselves, every other id to nobody");
      if (ns.user->setgroups) cannot(ns.user->setgroups->loc, "setgroups " + ns.user->setgroups->value);
    }
    if (ns.pid) new_only("pid", *ns.pid, "");
    if (ns.cgroup) new_only("cgroup", *ns.cgroup, "");
    if (ns.time) {
      new_only("time", *ns.time, "");
      if (ns.time->monotonic) cannot(ns.time->monotonic->loc, "a CLOCK_MONOTONIC offset");
      if (ns.time->boottime) cannot(ns.time->boottime->loc, "a CLOCK_BOOTTIME offset");
    }
    if (ns.mnt) mounts(*ns.mnt);
  }

  void mounts(const MntNamespaceSpec& m) {
    new_only("mnt", m, "PrivateMounts");
    if (m.propagation) set(m.propagation->loc, "MountFlags", m.propagation->value);
    if (m.proc && m.proc->value)
      cannot(m.proc->loc, "a fresh /proc alone: MountAPIVFS= also mounts /sys and /dev, and no directive makes a pid namespace");
    if (m.root && plain_path(m.root->loc, m.root->value, "RootDirectory=")) set(m.root->loc, "RootDirectory", m.root->value);
    for (const auto& t : m.tmpfs) {
      if (!plain_path(t.path.loc, t.path.value, "TemporaryFileSystem=")) continue;
      // systemd's defaults are nodev,strictatime,mode=0755: nsplan's options are said in full.
      std::string options = "mode=" + (t.mode ? t.mode->value : std::string("1777")) + ",nosuid,nodev";
      if (t.size) options += ",size=" + (t.size->value.unlimited ? std::string("0") : std::to_string(t.size->value.bytes));
      set(t.loc, "TemporaryFileSystem", t.path.value + ":" + options);
    }
    for (const auto& b : m.bind) {
      if (!plain_path(b.source.loc, b.source.value, "BindPaths=") || !plain_path(b.target.loc, b.target.value, "BindPaths=")) continue;
      const bool ro = b.read_only && b.read_only->value;
      set(b.loc, ro ? "BindReadOnlyPaths" : "BindPaths", b.source.value + ":" + b.target.value + ":rbind");
    }
    for (const auto& p : m.read_only)
      if (plain_path(p.loc, p.value, "ReadOnlyPaths=")) set(p.loc, "ReadOnlyPaths", p.value);
    // No directive mounts an overlay or creates a path in the unit's mount namespace.
    for (const auto& o : m.overlay) cannot(o.loc, "an overlay mount", "an ExecStartPre= mount -t overlay, or a .mount unit");
    for (const auto& d : m.dirs) cannot(d.loc, "mnt.dirs (a directory created inside)");
    for (const auto& f : m.files) cannot(f.loc, "mnt.files (a file created inside)");
    for (const auto& s : m.symlinks) cannot(s.loc, "mnt.symlinks (a symbolic link created inside)");
  }

  void network(const NetworkSpec& n) {
    report_network(n, losses_, kSystemd, "systemd-networkd, or an ExecStartPre= command, sets up interfaces; PrivateNetwork= has only lo");
  }

  // ---- limits and run ------------------------------------------------------------------------

  void limits(const LimitsSpec& s) {
    // LimitCPU= reads a plain number as seconds and LimitRTTIME= as µs, the rlimits' own units.
    for (const auto& [name, r] : rlimits_set(s)) {
      const Rlimit& v = r->value;
      set(r->loc, "Limit" + name, v.soft == v.hard ? rlimit_value(v.soft) : rlimit_value(v.soft) + ":" + rlimit_value(v.hard));
    }
  }

  void run(const RunSpec& r) {
    if (!r.command.empty()) {
      const Located<std::string>& program = r.command.front();
      std::string line_text;
      for (const auto& w : r.command) line_text += (line_text.empty() ? "" : " ") + exec_word(w.value);
      if (program.value.find_first_of("@-:+!") == 0) {
        // systemd reads these as prefixes of ExecStart= (ignore failure, run as root ...), quoted or not.
        cannot(program.loc, "a program whose name starts with '" + program.value.substr(0, 1) + "' (an ExecStart= prefix)",
               "name it by a path, e.g. ./" + program.value);
      } else {
        line({}, "ExecStart=");                       // a drop-in replaces the unit's command
        line(program.loc, "ExecStart=" + line_text);  // exec_word has escaped it
      }
    }
    if (r.cwd && plain_path(r.cwd->loc, r.cwd->value, "WorkingDirectory=")) set(r.cwd->loc, "WorkingDirectory", r.cwd->value);
    for (const auto& [k, v] : r.env) line(k.loc, "Environment=" + quoted_word(k.value + "=" + v.value, false));
    if (!(r.clear_env && r.clear_env->value))
      losses_.note(r.loc, "a service starts with systemd's environment, not that of the caller nsplan run passes on");
    if (r.uid) set(r.uid->loc, "User", std::to_string(r.uid->value));
    if (r.gid) set(r.gid->loc, "Group", std::to_string(r.gid->value));
    if (!r.groups.empty()) {
      std::string list;
      for (const auto& g : r.groups) list += (list.empty() ? "" : " ") + std::to_string(g.value);
      set(r.groups.front().loc, "SupplementaryGroups", list);
    }
    if (r.no_new_privs) set(r.no_new_privs->loc, "NoNewPrivileges", r.no_new_privs->value ? "yes" : "no");
    for (const auto& u : systemd_process_settings(r, [this](SourceLoc loc, const std::string& what) { cannot(loc, what); }))
      set(u.loc, u.key, u.value);
    for (const auto& fd : r.keep_fds)
      cannot(fd.loc, "passing descriptor " + std::to_string(fd.value) + " to the command (socket units pass their own, as LISTEN_FDS)");
    if (r.seccomp)
      for (const auto& u : systemd_seccomp_settings(*r.seccomp, [this](SourceLoc loc, const std::string& what) { cannot(loc, what); }))
        set(u.loc, u.key, u.value);
  }
};

}  // namespace

ExportResult export_systemd(const Profile& p, const ExportOptions& options, const SourceManager* sources) {
  ExportResult result;
  SystemdExport e(p, options, sources, result.diags);
  result.text = e.text();
  return result;
}

}  // namespace nsplan::exporting
