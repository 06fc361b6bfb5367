// What `nsplan run` does to start the command, decided once: join cgroups, join persistent
// namespaces, create the new ones, then inside them loopback, hostname, mounts (in mount-tree
// order, targets created only inside the profile's own tmpfs), the new root, rlimits and the
// working directory; last the identity (all ids at once), descriptors and environment, exec.
// `nsplan run` and `nsplan explain` both render exactly this (plan.h, "launching the command").
#include <sys/resource.h>

#include <algorithm>

#include "compiler/plan_seccomp.h"
#include "compiler/rootless_net.h"
#include "compiler/etc_files.h"
#include "compiler/mount_extras.h"
#include "compiler/mount_overlay.h"
#include "compiler/planner_context.h"
#include "compiler/run_defaults.h"

namespace nsplan {
namespace {

using plan::NsKind;

// Whether PATH is ANCESTOR itself or lies below it ("/a" holds "/a" and "/a/b", not "/ab").
bool within(const std::string& path, const std::string& ancestor) {
  if (ancestor == "/") return true;
  return path == ancestor || (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
                              path[ancestor.size()] == '/');
}

size_t depth(const std::string& path) { return static_cast<size_t>(std::count(path.begin(), path.end(), '/')); }

// One mount the profile asks for, before ordering.
struct MountItem {
  enum class Kind { Proc, Tmpfs, Bind, ReadOnly, Dev, Mqueue, Sysfs, Overlay } kind;
  std::string source, target, data;
  bool read_only = false;  // a bind remounted read-only after it is made
  const OverlayMount* overlay = nullptr;  // Overlay: its directories (compiler/mount_overlay.h)
};

// Mount-tree order: a mount comes after every mount that holds its target or its source (so a
// bind into or out of a tmpfs finds the tmpfs there), a read-only remount after the mounts at or
// above its path and before those below it (which keep their own mode). Ties keep the profile's
// order: proc, tmpfs, bind, read_only.
std::vector<const MountItem*> mount_order(const std::vector<MountItem>& items) {
  auto is_mount = [](const MountItem& m) { return m.kind != MountItem::Kind::ReadOnly; };
  auto must_precede = [&](const MountItem& a, const MountItem& b) {
    if (&a == &b) return false;
    if (is_mount(a)) {
      if (a.target == b.target) return is_mount(b) ? &a < &b : true;  // stacked mounts in order; ro after
      return within(b.target, a.target) || (b.kind == MountItem::Kind::Bind && within(b.source, a.target));
    }
    // a is a read-only remount: before the mounts strictly below its path.
    return is_mount(b) && b.target != a.target && within(b.target, a.target);
  };
  std::vector<const MountItem*> order;
  std::vector<bool> placed(items.size(), false);
  while (order.size() < items.size()) {
    const MountItem* next = nullptr;
    size_t next_index = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (size_t j = 0; j < items.size() && ready; ++j)
        if (!placed[j] && must_precede(items[j], items[i])) ready = false;
      if (ready && (!next || depth(items[i].target) < depth(next->target))) {
        next = &items[i];
        next_index = i;
      }
    }
    if (!next) {  // only a cycle of read-only remounts at one path; cannot happen, but never spin
      for (size_t i = 0; i < items.size(); ++i)
        if (!placed[i]) {
          next = &items[i];
          next_index = i;
          break;
        }
    }
    placed[next_index] = true;
    order.push_back(next);
  }
  return order;
}

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
    if (r.cwd) l.inside.push_back(plan::ChangeDir{r.cwd->value});
    identity(r, l);
    plan_process(ctx_, r, l);
    if (r.seccomp) {
      l.seccomp = plan_seccomp(ctx_, *r.seccomp);
      // A filter is loaded with no_new_privs (without CAP_SYS_ADMIN the kernel requires it; nsplan
      // sets it as root too): part of the identity, so that explain's setpriv shows it.
      l.identity.no_new_privs = true;
    }
    init(r, l);
    l.rootless_net = plan_rootless_net(ctx_);
    for (const auto& fd : r.keep_fds) {
      int n = static_cast<int>(fd.value);
      if (std::find(l.keep_fds.begin(), l.keep_fds.end(), n) == l.keep_fds.end()) l.keep_fds.push_back(n);
    }
    std::sort(l.keep_fds.begin(), l.keep_fds.end());
    l.clear_env = r.clear_env && r.clear_env->value;
    bool pwd_given = false;
    for (const auto& [k, v] : r.env) {
      l.env.emplace_back(k.value, v.value);
      pwd_given |= k.value == "PWD";
    }
    // $PWD names where the command starts, as a shell's cd would leave it: run.cwd, or the new
    // root (pivot_root ends in "/"), never the caller's directory that is no longer there.
    bool pivots = std::any_of(l.inside.begin(), l.inside.end(),
                              [](const plan::InsideStep& s) { return std::holds_alternative<plan::PivotRoot>(s); });
    if (!pwd_given && (r.cwd || pivots)) l.env.emplace_back("PWD", r.cwd ? r.cwd->value : "/");
    for (const auto& c : r.command) l.command.push_back(c.value);
    const auto& cg = ctx_.profile.cgroup;
    l.ephemeral = cg && cg->ephemeral && cg->ephemeral->value && !ctx_.plan.cgroup_dirs.empty();
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
    l.unshare.kinds.push_back(kind);
    return true;
  }

  static bool maps_zero(const std::vector<std::string>& lines) {
    for (const auto& line : lines)
      if (line.rfind("0 ", 0) == 0) return true;
    return false;
  }

  void namespaces(const NamespacesSpec& ns, plan::Launch& l) {
    plan::NewNamespaces& u = l.unshare;
    // The user namespace comes first, so that the others belong to it.
    bool new_user = ns.user && place(NsKind::User, *ns.user, l);
    // The caller's groups would keep their access on the host from inside a joined user
    // namespace as from a new one.
    if (ns.user) (ctx_.facts.caller_may_set_groups ? u.clear_groups_first : u.caller_keeps_groups) = true;
    if (new_user) {
      for (const auto& r : ns.user->uid_map)
        u.uid_map.push_back(std::to_string(r.value.inside) + " " + std::to_string(r.value.outside) + " " + std::to_string(r.value.count));
      for (const auto& r : ns.user->gid_map)
        u.gid_map.push_back(std::to_string(r.value.inside) + " " + std::to_string(r.value.outside) + " " + std::to_string(r.value.count));
      u.setgroups = ns.user->setgroups ? ns.user->setgroups->value : "";
      // Without CAP_SETGID a gid_map may be written only once setgroups is denied
      // (user_namespaces(7)): the plan says so for such a caller, for run and explain alike.
      if (!ctx_.facts.caller_may_set_groups && !u.gid_map.empty()) {
        if (u.setgroups == "allow")
          ctx_.diags.error(ns.user->setgroups->loc, "setgroups: allow with a gid_map needs CAP_SETGID, which this caller lacks",
                           "write setgroups: deny (or leave it out), or run as root");
        u.setgroups = "deny";
      }
      // Become root of the new namespace when the maps give it one (the host sees the mapped
      // ids); run.uid/gid, applied last, may still drop to another id.
      // A caller without root may map only its own ids (user_namespaces(7)): mapped to 0, it is
      // 0 there already, and changing the gid would make unshare(1) drop groups it may not.
      u.setgid_root = maps_zero(u.gid_map) && ctx_.facts.caller_may_set_groups;
      u.root_inside = maps_zero(u.uid_map);
      u.setuid_root = u.root_inside && ctx_.facts.caller_root;
    }
    if (ns.cgroup) place(NsKind::Cgroup, *ns.cgroup, l);
    if (ns.ipc) place(NsKind::Ipc, *ns.ipc, l);
    if (ns.net && place(NsKind::Net, *ns.net, l)) {
      // A new network namespace has lo down: nothing inside could reach even itself.
      l.inside.push_back(plan::LoopbackUp{});
    }
    if (ns.uts && place(NsKind::Uts, *ns.uts, l)) {
      if (ns.uts->hostname || ns.uts->domainname)
        l.inside.push_back(plan::SetUtsName{ns.uts->hostname ? ns.uts->hostname->value : "",
                                            ns.uts->domainname ? ns.uts->domainname->value : ""});
    }
    if (ns.time && place(NsKind::Time, *ns.time, l)) {
      if (ns.time->monotonic) u.monotonic_offset = ns.time->monotonic->value;
      if (ns.time->boottime) u.boottime_offset = ns.time->boottime->value;
    }
    if (ns.pid) place(NsKind::Pid, *ns.pid, l);
    bool new_mnt = ns.mnt && place(NsKind::Mnt, *ns.mnt, l);
    if (new_mnt) mounts(*ns.mnt, l, ns.net ? ns.net->etc : std::nullopt);
    if (ns.mnt && !new_mnt && has_mnt_created(*ns.mnt))
      ctx_.diags.error(ns.mnt->loc, "mnt.overlay, dirs, symlinks and files are made in a new mount namespace only, never on the host",
                       "leave join, path and persist out of namespaces.mnt");
    if (ns.net && ns.net->etc && !new_mnt && !ns.net->persist && !ns.net->join && !ns.net->path)
      ctx_.diags.error(ns.net->etc->loc, "namespaces.net.etc needs a new mount namespace to bind the files over /etc",
                       "add namespaces.mnt: {} (or persist the net namespace: apply writes /etc/netns/NAME/)");
  }

  void mounts(const MntNamespaceSpec& m, plan::Launch& l, const std::optional<EtcFilesSpec>& etc) {
    l.inside.push_back(plan::MountPropagation{m.propagation ? m.propagation->value : "private"});
    using K = MountItem::Kind;
    std::vector<MountItem> items;
    if (m.proc && m.proc->value) items.push_back({K::Proc, "proc", "/proc", "", false});
    const bool dev = m.dev && m.dev->value;
    // The host's /dev is out of sight once the minimal one is there (and in a new root, /dev is it).
    if (dev)
      for (const auto& b : m.bind)
        if (within(b.source.value, "/dev"))
          ctx_.diags.error(b.source.loc, "with dev: true, /dev is the minimal one: a bind cannot take " + b.source.value + " from the host's",
                           "leave dev out and bind what the command needs from /dev, or bind it from another path");
    if (dev) items.push_back({K::Dev, "tmpfs", "/dev", "", false});
    if (m.mqueue && m.mqueue->value) items.push_back({K::Mqueue, "mqueue", "/dev/mqueue", "", false});
    if (m.sysfs && m.sysfs->value) items.push_back({K::Sysfs, "sysfs", "/sys", "", false});
    for (const auto& t : m.tmpfs) {
      std::string data = "mode=" + (t.mode ? t.mode->value : std::string("1777"));
      if (t.size) data += ",size=" + (t.size->value.unlimited ? std::string("0") : std::to_string(t.size->value.bytes));
      items.push_back({K::Tmpfs, "tmpfs", t.path.value, data, false});
    }
    for (const auto& b : m.bind) items.push_back({K::Bind, b.source.value, b.target.value, "", b.read_only && b.read_only->value});
    for (const auto& p : m.read_only) items.push_back({K::ReadOnly, "", p.value, "", true});
    for (const auto& o : m.overlay) items.push_back({K::Overlay, "overlay", o.target.value, "", false, &o});

    // With a new root, every target is inside it: mounts are made there before pivot_root
    // (it keeps them), never on the old root that pivot_root throws away.
    const std::string root = m.root ? m.root->value : "";
    auto in_root = [&](const std::string& path) { return root.empty() ? path : (root == "/" ? path : root + path); };
    auto in_profile_tmpfs = [&](const std::string& path) {
      for (const auto& t : m.tmpfs)
        if (path != t.path.value && within(path, t.path.value)) return true;
      return dev && path != "/dev" && within(path, "/dev");  // the minimal /dev is a tmpfs of the profile too
    };
    // pivot_root needs the new root to be a mount point: a bind of itself.
    if (!root.empty()) l.inside.push_back(plan::Mount{plan::Mount::Type::Bind, root, root, {}, "", true});
    // Mount points known here: the root of the namespace (or the new root) and what the profile
    // mounted so far. A read-only path that is not one is bound on itself first, so that the
    // directory itself becomes read-only, not only the mounts below it (mount_setattr and
    // mount -o remount change mounts, never plain directories).
    std::vector<std::string> mount_points = {root.empty() ? std::string("/") : root};
    auto read_only = [&](const std::string& target) {
      if (std::find(mount_points.begin(), mount_points.end(), target) == mount_points.end()) {
        l.inside.push_back(plan::Mount{plan::Mount::Type::Bind, target, target, {}, "", true});
        mount_points.push_back(target);
      }
      l.inside.push_back(plan::RemountReadOnly{target});
    };
    for (const MountItem* item : mount_order(items)) {
      std::string target = in_root(item->target);
      // A source inside one of the profile's tmpfs names that tmpfs, which lives in the new root.
      std::string source = item->kind == K::Bind && in_profile_tmpfs(item->source) ? in_root(item->source) : item->source;
      // Mount points are made only inside the profile's own (empty, fresh) tmpfs; nsplan never
      // creates directories on a file system it did not mount.
      if (item->kind == K::Bind && in_profile_tmpfs(item->source))
        l.inside.push_back(plan::MakeMountPoint{source, ""});
      if (item->kind != K::ReadOnly && in_profile_tmpfs(item->target))
        l.inside.push_back(plan::MakeMountPoint{target, item->kind == K::Bind ? source : ""});
      if (item->kind != K::ReadOnly) mount_points.push_back(target);
      switch (item->kind) {
        case K::Proc:
          l.inside.push_back(plan::Mount{plan::Mount::Type::Proc, "proc", target, {"nosuid", "nodev", "noexec"}, "", false});
          break;
        case K::Tmpfs:
          l.inside.push_back(plan::Mount{plan::Mount::Type::Tmpfs, "tmpfs", target, {"nosuid", "nodev"}, item->data, false});
          break;
        case K::Bind:
          l.inside.push_back(plan::Mount{plan::Mount::Type::Bind, source, target, {}, "", true});
          if (item->read_only) read_only(target);
          break;
        case K::ReadOnly:
          read_only(target);
          break;
        case K::Dev:
          plan_minimal_dev(target, ctx_.facts.state_dir, l.inside);
          break;
        case K::Mqueue:
          l.inside.push_back(mqueue_mount(target));
          break;
        case K::Sysfs:
          l.inside.push_back(sysfs_mount(target));
          break;
        case K::Overlay:
          plan_overlay(*item->overlay, target, ctx_.facts.state_dir, l.inside);
          break;
      }
    }
    // The net namespace's files, over the profile's own mounts (a tmpfs on /etc gets its mount points).
    if (etc) {
      // A persisted namespace's files were checked for apply already (plan_network.cc): once is enough.
      Diagnostics reported_already;
      bool persisted = ctx_.profile.namespaces->net->persist.has_value();
      plan_etc_binds(etc_files(*etc, persisted ? reported_already : ctx_.diags), ctx_.facts.state_dir, in_root, in_profile_tmpfs,
                     l.inside);
    }
    // What the profile creates lands in the mounts above, as mount points do: on a file system the
    // profile mounted (a tmpfs, the minimal /dev, an overlay that takes writes), never on the host's.
    auto on_profile_mount = [&](const std::string& path) {
      if (in_profile_tmpfs(path)) return true;
      for (const auto& o : m.overlay)
        if (o.upper && path != o.target.value && within(path, o.target.value)) return true;
      return false;
    };
    auto refuse_on_host = [&](const Located<std::string>& path, const char* what) {
      if (!on_profile_mount(path.value))
        ctx_.diags.error(path.loc, std::string(what) + " " + path.value + " would be made on a file system of the host",
                         "nsplan creates paths only in a tmpfs, the minimal /dev or an overlay with upper: of the profile; add one that holds it");
    };
    for (const auto& d : m.dirs) refuse_on_host(d.path, "directory");
    for (const auto& f : m.files) refuse_on_host(f.path, "file");
    for (const auto& s : m.symlinks) refuse_on_host(s.path, "symbolic link");
    plan_created_paths(m, in_root, l.inside);
    if (!root.empty()) l.inside.push_back(plan::PivotRoot{root});
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
      if (v) l.inside.push_back(plan::SetRlimit{name, entry.second, v->value.soft, v->value.hard});
    }
  }

  // Changing any id sets them all: gid follows uid unless given, and the supplementary groups
  // are exactly run.groups (the caller's would otherwise stay, root's gid 0 and adm among them).
  void identity(const RunSpec& r, plan::Launch& l) {
    plan::Identity& id = l.identity;
    if (r.uid) id.uid = static_cast<uint32_t>(r.uid->value);
    if (r.gid) id.gid = static_cast<uint32_t>(r.gid->value);
    else if (r.uid) id.gid = id.uid;
    for (const auto& g : r.groups) id.groups.push_back(static_cast<uint32_t>(g.value));
    id.set_groups = id.uid || id.gid || !id.groups.empty();
    // A jail that drops privileges or sets capabilities keeps them dropped: a setuid binary or
    // one with file capabilities would otherwise gain back what the profile took (docs).
    id.no_new_privs = no_new_privs_of(r);
    const plan::NewNamespaces& u = l.unshare;
    if (u.clear_groups_first || u.caller_keeps_groups) {
      // In a new or joined user namespace the groups were dropped before (or must stay); setting them again is
      // only possible (and only needed) for a list, which needs setgroups allowed there (a new
      // one says; a joined one's own setgroups file decides).
      id.set_groups = !id.groups.empty();
      if (!id.groups.empty() && u.has(NsKind::User) && u.setgroups != "allow")
        ctx_.diags.error(r.groups.front().loc, "supplementary groups in a new user namespace need setgroups: allow",
                         "write namespaces.user.setgroups: allow, or leave run.groups out");
    }
  }

  // The command of a new pid namespace is PID 1 there: unless run.init is false, nsplan's own
  // init takes that place and the command becomes its child.
  // (run.init without one is refused by compiler/seccomp_checks.cc.)
  void init(const RunSpec& r, plan::Launch& l) {
    if (l.unshare.has(NsKind::Pid) && !(r.init && !r.init->value))
      l.init = plan::MiniInit{ctx_.origin(r.init ? r.init->loc : ctx_.profile.namespaces->pid->loc, "init")};
  }

  PlannerContext& ctx_;
};

}  // namespace

void plan_launch(PlannerContext& ctx) {
  if (!ctx.profile.run && !ctx.profile.namespaces && !ctx.profile.limits) return;
  LaunchPlanner(ctx).run();
}

}  // namespace nsplan
