// What `nsplan run` does to start the command: join cgroups, join persistent namespaces,
// create the new ones with their options, set rlimits and identity, exec.
#include <sys/resource.h>

#include "compiler/planner_context.h"

namespace nsplan {
namespace {

using plan::NsKind;

class LaunchPlanner {
 public:
  explicit LaunchPlanner(PlannerContext& ctx) : ctx_(ctx) {}

  void run() {
    // Without a run section the launch still carries the namespaces and limits, for
    // `nsplan run PROFILE -- COMMAND`.
    static const RunSpec kNoRun;
    const RunSpec& r = ctx_.profile.run ? *ctx_.profile.run : kNoRun;
    plan::Launch l;
    SourceLoc at = ctx_.profile.run              ? r.loc
                   : ctx_.profile.namespaces     ? ctx_.profile.namespaces->loc
                   : ctx_.profile.limits         ? ctx_.profile.limits->loc
                                                 : ctx_.profile.loc;
    l.origin = ctx_.origin(at, "run " + (r.command.empty() ? std::string("(the command given to nsplan run)") : r.command.front().value));
    for (const auto& dir : ctx_.plan.cgroup_dirs) l.cgroup_procs.push_back(dir + "/cgroup.procs");
    if (ctx_.profile.namespaces) namespaces(*ctx_.profile.namespaces, l);
    if (ctx_.profile.limits) limits(*ctx_.profile.limits, l);
    for (const auto& [k, v] : r.env) l.env.emplace_back(k.value, v.value);
    if (r.cwd) l.cwd = r.cwd->value;
    if (r.uid) l.uid = static_cast<uint32_t>(r.uid->value);
    if (r.gid) l.gid = static_cast<uint32_t>(r.gid->value);
    l.no_new_privs = r.no_new_privs && r.no_new_privs->value;
    for (const auto& c : r.command) l.command.push_back(c.value);
    ctx_.plan.launch = std::move(l);
  }

 private:
  // The nsfs file of a namespace persisted by name.
  std::string persisted_path(NsKind kind, const std::string& name) const {
    if (kind == NsKind::Net) return "/run/netns/" + name;
    return ctx_.facts.state_dir + "/ns/" + name + "." + plan::to_string(kind);
  }

  // Returns true when the namespace is new for the command (to be unshared).
  bool place(NsKind kind, const NamespaceCommon& ns, plan::Launch& l) {
    if (ns.path) {
      l.join.push_back({kind, ns.path->value});
      return false;
    }
    if (ns.join || ns.persist) {
      if (ns.join && kind != NsKind::Net && kind != NsKind::Uts && kind != NsKind::Ipc) {
        ctx_.diags.error(ns.join->loc, std::string("only net, uts and ipc namespaces can be joined by name; a ") +
                                           plan::to_string(kind) + " namespace is joined by path",
                         "write path: /proc/PID/ns/" + std::string(plan::to_string(kind)));
        return false;
      }
      l.join.push_back({kind, persisted_path(kind, (ns.join ? ns.join : ns.persist)->value)});
      return false;
    }
    l.unshare.push_back(kind);
    return true;
  }

  void namespaces(const NamespacesSpec& ns, plan::Launch& l) {
    // The user namespace comes first, so that the others belong to it.
    if (ns.user && place(NsKind::User, *ns.user, l)) {
      for (const auto& r : ns.user->uid_map)
        l.uid_map.push_back(std::to_string(r.value.inside) + " " + std::to_string(r.value.outside) + " " + std::to_string(r.value.count));
      for (const auto& r : ns.user->gid_map)
        l.gid_map.push_back(std::to_string(r.value.inside) + " " + std::to_string(r.value.outside) + " " + std::to_string(r.value.count));
      l.setgroups = ns.user->setgroups ? ns.user->setgroups->value : "";
    }
    if (ns.cgroup) place(NsKind::Cgroup, *ns.cgroup, l);
    if (ns.ipc) place(NsKind::Ipc, *ns.ipc, l);
    if (ns.net) place(NsKind::Net, *ns.net, l);
    if (ns.uts && place(NsKind::Uts, *ns.uts, l)) {
      if (ns.uts->hostname) l.hostname = ns.uts->hostname->value;
      if (ns.uts->domainname) l.domainname = ns.uts->domainname->value;
    }
    if (ns.time && place(NsKind::Time, *ns.time, l)) {
      if (ns.time->monotonic) l.monotonic_offset = ns.time->monotonic->value;
      if (ns.time->boottime) l.boottime_offset = ns.time->boottime->value;
    }
    if (ns.pid) place(NsKind::Pid, *ns.pid, l);
    if (ns.mnt && place(NsKind::Mnt, *ns.mnt, l)) {
      const MntNamespaceSpec& m = *ns.mnt;
      l.propagation = m.propagation ? m.propagation->value : "private";
      using T = plan::MountOp::Type;
      if (m.proc && m.proc->value) l.mounts.push_back({T::Proc, "proc", "/proc", "", false});
      for (const auto& t : m.tmpfs) {
        std::string opts = "mode=" + (t.mode ? t.mode->value : std::string("1777"));
        if (t.size) opts += ",size=" + (t.size->value.unlimited ? std::string("0") : std::to_string(t.size->value.bytes));
        l.mounts.push_back({T::Tmpfs, "tmpfs", t.path.value, opts, false});
      }
      for (const auto& b : m.bind)
        l.mounts.push_back({T::Bind, b.source.value, b.target.value, "", b.read_only && b.read_only->value});
      for (const auto& p : m.read_only) l.mounts.push_back({T::ReadOnly, p.value, p.value, "", true});
      if (m.root) l.root = m.root->value;
    }
  }

  void limits(const LimitsSpec& s, plan::Launch& l) {
    const std::pair<const char*, std::pair<const Opt<Rlimit>*, int>> table[] = {
        {"as", {&s.as, RLIMIT_AS}},           {"core", {&s.core, RLIMIT_CORE}},
        {"cpu", {&s.cpu, RLIMIT_CPU}},        {"data", {&s.data, RLIMIT_DATA}},
        {"fsize", {&s.fsize, RLIMIT_FSIZE}},  {"locks", {&s.locks, RLIMIT_LOCKS}},
        {"memlock", {&s.memlock, RLIMIT_MEMLOCK}}, {"msgqueue", {&s.msgqueue, RLIMIT_MSGQUEUE}},
        {"nice", {&s.nice, RLIMIT_NICE}},     {"nofile", {&s.nofile, RLIMIT_NOFILE}},
        {"nproc", {&s.nproc, RLIMIT_NPROC}},  {"rss", {&s.rss, RLIMIT_RSS}},
        {"rtprio", {&s.rtprio, RLIMIT_RTPRIO}}, {"rttime", {&s.rttime, RLIMIT_RTTIME}},
        {"sigpending", {&s.sigpending, RLIMIT_SIGPENDING}}, {"stack", {&s.stack, RLIMIT_STACK}},
    };
    for (const auto& [name, entry] : table) {
      const Opt<Rlimit>& v = *entry.first;
      if (v) l.rlimits.push_back({name, entry.second, v->value.soft, v->value.hard});
    }
  }

  PlannerContext& ctx_;
};

}  // namespace

void plan_launch(PlannerContext& ctx) {
  if (!ctx.profile.run && !ctx.profile.namespaces && !ctx.profile.limits) return;
  LaunchPlanner(ctx).run();
}

}  // namespace nsplan
