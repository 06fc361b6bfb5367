// nsplan run and nsplan attach.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "applier/executor.h"
#include "applier/cgroup_join.h"
#include "applier/cgroup_usage.h"
#include "applier/launch.h"
#include "applier/privileges.h"
#include "cli/commands.h"
#include "cli/json_output.h"

namespace nsplan::cli {
namespace {

using namespace applier;

// Without root, and without what applying it would take (MISSING), nsplan changes nothing on
// the host: what root applied must be in place as the profile says, or the command would run with
// other limits than the profile's.
bool ensure_in_place(const plan::Plan& plan, const std::string& missing) {
  auto kernel = make_linux_kernel(plan.facts);
  Pending p = pending_steps(plan, *kernel);
  const size_t pending = p.count;
  const std::string& first = p.first;
  if (!pending) return true;
  std::cerr << "nsplan: error: profile '" << plan.profile << "' is not in place (" << pending << " change(s) pending; first: " << first
            << ")\n  hint: root applies the profile first: nsplan apply " << plan.source << "; this user may not (it needs "
            << missing << ")\n";
  // Where the user's own cgroups could go instead, when that is what is missing.
  if (std::string hint = privileges_hint(missing); hint != "run as root") std::cerr << "  hint: " << hint << "\n";
  return false;
}

// Whether this process applies the plan itself: root, or a user whose plan only makes cgroups
// in a subtree delegated to them (privileges.h); otherwise root applied it, and it is checked.
bool applies_itself(const plan::Plan& plan) { return geteuid() == 0 || missing_privileges(plan).empty(); }

// Applies the persistent part; prints what changed on stderr (stdout belongs to the command).
bool ensure_applied(const plan::Plan& plan, const LiveOptions& o) {
  if (plan.steps.empty()) return true;
  if (!applies_itself(plan)) return ensure_in_place(plan, missing_privileges(plan));
  auto state = open_to_apply(plan, o);
  if (!state) return false;
  auto kernel = make_linux_kernel(plan.facts);
  record_source(*state, plan);
  ApplyOutcome out = apply_plan(plan, *kernel, *state, step_observer());
  if (!out.ok) {
    std::cerr << out.error << "\n  rolled back; the command was not started\n";
    return false;
  }
  if (!out.changes.empty()) std::cerr << "nsplan: applied " << out.changes.size() << " change(s) for '" << plan.profile << "'\n";
  return true;
}

void release(const plan::Plan& plan) {
  auto state = ProfileState::open(plan.facts.state_dir, plan.profile, true);
  if (!state.ok()) return;
  auto kernel = make_linux_kernel(plan.facts);
  DestroyOutcome out = release_cgroups(*kernel, state.value(), plan.facts);
  for (const auto& e : out.errors) std::cerr << "nsplan: removing the ephemeral cgroup: " << e << "\n";
}

// The profile's cgroups that nsplan made itself (its records say so, with their identity): the
// only ones whose processes the guard may kill. In a cgroup that was there before, others may
// have processes of their own; the command itself dies with nsplan (its parent-death signal).
std::map<std::string, KernelId> cgroups_nsplan_made(const plan::Plan& plan) {
  std::map<std::string, KernelId> made;
  auto owned = ProfileState::read_only(plan.facts.state_dir, plan.profile).load();
  if (!owned.ok()) return made;
  for (const auto& o : owned.value())
    if (auto* r = std::get_if<RemoveCgroup>(&o.undo); r && o.id.known())
      for (const auto& dir : plan.cgroup_dirs)
        if (r->dir == dir) made[dir] = o.id;
  return made;
}

// The directories of MADE that are still the cgroups nsplan made (checked right before acting).
std::vector<std::string> still_made(const plan::Plan& plan, const std::map<std::string, KernelId>& made) {
  std::vector<OwnedCgroup> cgroups;
  for (const auto& [dir, id] : made) cgroups.push_back({dir, id});
  auto kernel = make_linux_kernel(plan.facts);
  return still_owned(*kernel, cgroups);
}

bool cgroups_empty(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    std::ifstream in(dir + "/cgroup.procs");
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) return false;
  }
  return true;
}

void kill_members(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    std::ifstream in(dir + "/cgroup.procs");
    long pid;
    while (in >> pid)
      if (pid > 1) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

// A process that outlives nsplan if nsplan is killed: when the pipe closes without the word
// that all is done, it empties the cgroups nsplan made for the run (the command dies with nsplan
// anyway; what it started goes too) and removes the ephemeral cgroups.
int start_cleanup_guard(const plan::Plan& plan, const std::map<std::string, KernelId>& made) {
  int fds[2];
  // Close-on-exec: the command must not hold the guard's pipe (the guard waits for its end).
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t guard = fork();
  if (guard < 0) return -1;
  if (guard == 0) {
    ::close(fds[1]);
    setsid();
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) signal(s, SIG_IGN);
    char c = 0;
    ssize_t n;
    while ((n = ::read(fds[0], &c, 1)) < 0 && errno == EINTR) {
    }
    if (n == 1 && c == 'd') _exit(0);
    std::vector<std::string> ours = still_made(plan, made);
    for (int i = 0; i < 200 && !cgroups_empty(ours); ++i) {
      kill_members(ours);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    release(plan);
    _exit(0);
  }
  ::close(fds[0]);
  return fds[1];
}

}  // namespace

int run_run(const Compilation& c, const LiveOptions& o, const std::vector<std::string>& command) {
  const plan::Plan& plan = *c.plan;
  if ((!plan.launch || plan.launch->command.empty()) && command.empty()) {
    std::cerr << "nsplan: error: profile '" << plan.profile << "' has no run section and no command was given\n"
              << "  hint: nsplan run PROFILE -- COMMAND ARGS...\n";
    return kUsage;
  }
  if (plan.launch)
    for (int fd : plan.launch->keep_fds)
      if (std::find(o.inherited_fds.begin(), o.inherited_fds.end(), fd) == o.inherited_fds.end()) {
        std::cerr << "nsplan: error: run.keep_fds names descriptor " << fd << ", which was not open when nsplan started\n"
                  << "  hint: open it in the shell that starts nsplan (e.g. " << fd << "< FILE), or leave it out\n";
        return kUsage;
      }
  if (!ensure_applied(plan, o)) return kSystem;
  plan::Launch launch = plan.launch ? *plan.launch : plan::Launch{};
  if (!plan.launch)
    for (const auto& dir : plan.cgroup_dirs) launch.cgroup_procs.push_back(dir + "/cgroup.procs");
  if (geteuid() != 0) {
    if (launch.ephemeral && !applies_itself(plan)) {
      std::cerr << "nsplan: error: profile '" << plan.profile << "' has an ephemeral cgroup, which nsplan makes and removes as root,\n"
                << "  or as a user in a cgroup delegated to them (--cgroup-parent)\n"
                << "  hint: drop cgroup.ephemeral for a cgroup that root applies once and users run in\n";
      return kSystem;
    }
    // The command joins the cgroups itself: it is this process's child, in this process's cgroup.
    if (std::string why = why_cannot_join(plan.facts, launch.cgroup_procs, static_cast<int>(getpid())); !why.empty()) {
      std::cerr << "nsplan: error: " << why << "\n";
      return kSystem;
    }
  }
  bool ephemeral = launch.ephemeral;
  int guard = -1;
  if (ephemeral) guard = start_cleanup_guard(plan, cgroups_nsplan_made(plan));
  // An OOM kill ends the command with SIGKILL, which alone says nothing: the group's count of
  // OOM kills, before and after, tells.
  std::unique_ptr<Kernel> kernel;
  std::optional<uint64_t> oom_before;
  if (!plan.cgroup_dirs.empty()) {
    kernel = make_linux_kernel(plan.facts);
    oom_before = oom_kills(*kernel, plan.facts, plan.cgroup_dirs);
  }
  LaunchResult r = run_launch(launch, command);
  if (oom_before && r.error.empty() && r.exit_status == 128 + SIGKILL) {
    auto after = oom_kills(*kernel, plan.facts, plan.cgroup_dirs);
    if (after && *after > *oom_before)
      std::cerr << "nsplan: the command was killed by the kernel's OOM killer: the cgroup of '" << plan.profile
                << "' reached its memory limit (" << (plan.facts.mode == CgroupMode::V2 ? "memory.events" : "memory.oom_control")
                << " oom_kill " << *oom_before << " -> " << *after << ")\n";
  }
  if (ephemeral) {
    if (guard >= 0) {
      ssize_t n = ::write(guard, "d", 1);
      (void)n;
      ::close(guard);
    }
    release(plan);
  }
  if (!r.error.empty()) {
    std::cerr << "nsplan: error: starting the command of '" << plan.profile << "': " << r.error << "\n";
    return r.exit_status ? r.exit_status : kSystem;
  }
  return r.exit_status;
}

int run_attach(const Compilation& c, const LiveOptions& o, int pid, bool cgroups_only) {
  const plan::Plan& plan = *c.plan;
  if (plan.launch && (!plan.launch->unshare.kinds.empty() || !plan.launch->join.empty()) && !cgroups_only) {
    std::cerr << "nsplan: error: profile '" << plan.profile << "' has namespaces, and namespaces cannot be imposed on a\n"
              << "  running process: a process enters a new namespace only by creating it (unshare) or by\n"
              << "  being started inside it. attach would move pid " << pid << " into the cgroups only.\n"
              << "  hint: start the program with `nsplan run`, or pass --cgroups-only to attach anyway\n";
    return kUsage;
  }
  if (plan.cgroup_dirs.empty()) {
    std::cerr << "nsplan: error: profile '" << plan.profile << "' has no cgroup to attach to\n";
    return kUsage;
  }
  if (::kill(pid, 0) != 0 && errno == ESRCH) {
    std::cerr << "nsplan: error: no process " << pid << "\n";
    return kSystem;
  }
  if (!ensure_applied(plan, o)) return kSystem;
  plan::Launch launch;
  for (const auto& dir : plan.cgroup_dirs) launch.cgroup_procs.push_back(dir + "/cgroup.procs");
  if (geteuid() != 0)
    if (std::string why = why_cannot_join(plan.facts, launch.cgroup_procs, pid); !why.empty()) {
      std::cerr << "nsplan: error: " << why << "\n";
      return kSystem;
    }
  std::string err = attach_process(launch, pid);
  if (!err.empty()) {
    std::cerr << "nsplan: error: " << err << "\n";
    return kSystem;
  }
  if (o.json) {
    auto doc = json_output::document("attach");
    doc["profile"] = plan.profile;
    doc["pid"] = pid;
    doc["cgroups"] = plan.cgroup_dirs;
    json_output::print(doc);
    return kOk;
  }
  for (const auto& p : launch.cgroup_procs) std::cout << "attached " << pid << " to " << p.substr(0, p.rfind('/')) << "\n";
  return kOk;
}

}  // namespace nsplan::cli
