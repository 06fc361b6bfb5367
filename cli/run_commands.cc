// nsplan run and nsplan attach.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "applier/executor.h"
#include "applier/launch.h"
#include "applier/privileges.h"
#include "cli/commands.h"

namespace nsplan::cli {
namespace {

using namespace applier;

// Applies the persistent part; prints what changed on stderr (stdout belongs to the command).
bool ensure_applied(const plan::Plan& plan, const LiveOptions& o) {
  if (plan.steps.empty()) return true;
  std::string missing = missing_privileges(plan);
  if (!missing.empty()) {
    std::cerr << "nsplan: error: profile '" << plan.profile << "' needs " << missing << "; nothing was changed\n";
    return false;
  }
  auto state = ProfileState::open(plan.facts.state_dir, plan.profile, o.wait);
  if (!state.ok()) {
    std::cerr << "nsplan: error: " << state.error().message() << "\n";
    if (std::string hint = state_dir_hint(state.error()); !hint.empty()) std::cerr << "  hint: " << hint << "\n";
    return false;
  }
  auto kernel = make_linux_kernel(plan.facts);
  ApplyOutcome out = apply_plan(plan, *kernel, state.value());
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

bool cgroups_empty(const plan::Launch& l) {
  for (const auto& procs : l.cgroup_procs) {
    std::ifstream in(procs);
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) return false;
  }
  return true;
}

void kill_members(const plan::Launch& l) {
  for (const auto& procs : l.cgroup_procs) {
    std::ifstream in(procs);
    long pid;
    while (in >> pid)
      if (pid > 1) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

// A process that outlives nsplan if nsplan is killed: when the pipe closes without the word
// that all is done, it waits for the command's processes to go (they die with nsplan) and
// removes the ephemeral cgroup.
int start_cleanup_guard(const plan::Plan& plan) {
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
    // The ephemeral cgroup belongs to the run: whatever is still in it goes too.
    for (int i = 0; i < 200 && !cgroups_empty(*plan.launch); ++i) {
      kill_members(*plan.launch);
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
  if (!ensure_applied(plan, o)) return kSystem;
  plan::Launch launch = plan.launch ? *plan.launch : plan::Launch{};
  if (!plan.launch)
    for (const auto& dir : plan.cgroup_dirs) launch.cgroup_procs.push_back(dir + "/cgroup.procs");
  bool ephemeral = launch.ephemeral;
  int guard = -1;
  if (ephemeral) {
    plan::Plan with_launch = plan;
    with_launch.launch = launch;
    guard = start_cleanup_guard(with_launch);
  }
  LaunchResult r = run_launch(launch, command);
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
  std::string err = attach_process(launch, pid);
  if (!err.empty()) {
    std::cerr << "nsplan: error: " << err << "\n";
    return kSystem;
  }
  for (const auto& p : launch.cgroup_procs) std::cout << "attached " << pid << " to " << p.substr(0, p.rfind('/')) << "\n";
  return kOk;
}

}  // namespace nsplan::cli
