#include "applier/launch.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "applier/launch_steps.h"
#include "applier/rootless_net.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace nsplan::applier {
namespace {

using plan::NsKind;
using namespace launch;

// False when the other end closed without a byte (it died, or gave up).
bool wait_byte(int fd) {
  char c;
  ssize_t n;
  while ((n = ::read(fd, &c, 1)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

void send_byte(int fd) {
  char c = 'x';
  ssize_t n = ::write(fd, &c, 1);
  (void)n;
}

volatile sig_atomic_t g_forward_to = 0;

volatile sig_atomic_t g_forwarded = 0;

// The first signal is passed on as it is. The command may be PID 1 of its pid namespace, which
// ignores signals it has no handler for: a second interrupt or termination request kills it.
void forward_signal(int sig) {
  if (g_forward_to <= 0) return;
  bool terminating = sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
  bool again = terminating && g_forwarded > 0;
  if (terminating) g_forwarded = 1;
  ::kill(g_forward_to, again ? SIGKILL : sig);
}

void install_forwarding(pid_t to) {
  g_forward_to = to;
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int s : kForwarded) sigaction(s, &sa, nullptr);
}

// The exit status a shell would report for a child.
int status_of(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

pid_t wait_for(pid_t pid, int& wstatus) {
  pid_t r;
  do r = ::waitpid(pid, &wstatus, 0);
  while (r < 0 && errno == EINTR);
  return r;
}

// Either the command runs (exec closed the report pipe) or a setup step explains itself there.
LaunchResult await_command(pid_t child, int report_fd) {
  LaunchResult result;
  std::string why;
  char buf[512];
  ssize_t n;
  while ((n = ::read(report_fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    why.append(buf, static_cast<size_t>(n));
  }
  ::close(report_fd);
  int wstatus = 0;
  wait_for(child, wstatus);
  g_forward_to = 0;
  if (!why.empty()) {
    result.error = why;
    // The exec's own failure keeps its status (126, 127); anything else before it is nsplan's.
    int st = status_of(wstatus);
    result.exit_status = st == kCannotExecute || st == kNotFound ? st : kSetupFailed;
    return result;
  }
  result.exit_status = status_of(wstatus);
  return result;
}

// Without a user or time namespace nothing needs nsplan while the child sets itself up, so the
// child is cloned sharing nsplan's memory, with nsplan suspended until it execs (as posix_spawn
// does): no copy of nsplan's page tables, no copy-on-write faults, no middle process. A new pid
// namespace, which takes effect for children, is made in nsplan itself (joined ones too); the child
// joins the cgroups itself, unshares the rest and becomes the command (PID 1 of a new pid
// namespace). It may allocate (nsplan is suspended and has no other thread) but leaves
// nsplan's state as it was: its environment is prepared beforehand and `environ` restored.
struct SharedChild {
  const plan::Launch* launch;
  const PreparedExec* exec;
  const NamespaceSet* ns;
  const sigset_t* mask;  // the command's signal mask
  int report_read_fd;    // nsplan's end
  int report_fd;
};

int shared_child_main(void* arg) {
  const SharedChild& c = *static_cast<SharedChild*>(arg);
  const plan::Launch& l = *c.launch;
  for (int s : kForwarded) signal(s, SIG_DFL);
  // Die with nsplan. getppid() cannot tell whether nsplan died before this took effect (it is
  // 0 in a new pid namespace); the report pipe can: nsplan holds its only other read end.
  ::close(c.report_read_fd);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct pollfd reader_gone {c.report_fd, POLLOUT, 0};
  if (poll(&reader_gone, 1, 0) == 1 && (reader_gone.revents & POLLERR)) _exit(kSetupFailed);
  for (const auto& procs : l.cgroup_procs)
    if (!write_file(procs, "0")) fail(c.report_fd, "joining " + procs);  // "0": the writer, on v1 and v2
  if (std::string error = join_namespaces(l.join, true); !error.empty()) fail(c.report_fd, error, 0);
  int own = c.ns->other_flags & ~CLONE_NEWPID;
  if (own && unshare(own) != 0) fail(c.report_fd, "unshare namespaces");
  sigprocmask(SIG_SETMASK, c.mask, nullptr);
  become_command(l, *c.exec, c.report_fd);
}

LaunchResult launch_sharing_memory(const plan::Launch& l, const PreparedExec& exec, const NamespaceSet& ns) {
  LaunchResult result;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  // Everything is blocked while the child shares our memory: no handler of ours may run in it.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  auto give_up = [&](const std::string& error) {
    result.error = error;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    ::close(report[0]);
    ::close(report[1]);
    return result;
  };
  auto errno_text = [](const std::string& what) { return what + ": " + std::strerror(errno); };
  for (const auto& j : l.join)
    if (j.kind == NsKind::Pid)
      if (std::string error = enter_namespace(j); !error.empty()) return give_up(error);
  if (ns.new_pid && unshare(CLONE_NEWPID) != 0) return give_up(errno_text("unshare pid namespace"));

  constexpr size_t kStackSize = 256 * 1024;  // reserved; only the pages used are ever touched
  void* stack = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) return give_up(errno_text("mmap"));
  SharedChild args{&l, &exec, &ns, &old, report[0], report[1]};
  char** environment = environ;
  pid_t child = clone(shared_child_main, static_cast<char*>(stack) + kStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  int clone_errno = errno;
  environ = environment;
  munmap(stack, kStackSize);
  if (child < 0) {
    errno = clone_errno;
    return give_up(errno_text("clone"));
  }
  ::close(report[1]);
  install_forwarding(child);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return await_command(child, report[0]);
}

// With a user or time namespace (see run_launch), C is a forked copy of nsplan.
LaunchResult launch_with_fork(const plan::Launch& l, const PreparedExec& exec, const NamespaceSet& ns) {
  LaunchResult result;
  // The rootless network's helper is looked for before anything starts.
  std::string helper_program;
  if (l.rootless_net) {
    helper_program = find_rootless_program(*l.rootless_net, result.error);
    if (helper_program.empty()) {
      result.exit_status = kSetupFailed;
      return result;
    }
  }

  // Pipes: go (A -> C), maps_ready (C -> A: user ns made), report (C/D -> A, close-on-exec: EOF
  // means exec succeeded).
  int go[2], ready[2], report[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  // Forwarded signals are blocked across fork so that none is lost or hits the child early.
  sigset_t block, old;
  sigemptyset(&block);
  for (int s : kForwarded) sigaddset(&block, s);
  sigprocmask(SIG_BLOCK, &block, &old);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return result;
  }
  if (child == 0) {
    // ---- C ----
    ::close(go[1]);
    ::close(ready[0]);
    ::close(report[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(kSetupFailed);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    wait_byte(go[0]);  // A has put us into the cgroups
    // The caller's supplementary groups would stay inside a new or joined user namespace (as the
    // overflow gid) with their access on the host: dropped first, while still privileged to.
    // (A caller without CAP_SETGID is planned to keep them: NewNamespaces::caller_keeps_groups.)
    if (l.unshare.clear_groups_first && setgroups(0, nullptr) != 0) fail(report[1], "setgroups");
    if (std::string error = join_namespaces(l.join, false); !error.empty()) fail(report[1], error, 0);
    if (ns.new_user) {
      if (unshare(CLONE_NEWUSER) != 0) fail(report[1], "unshare user namespace");
      send_byte(ready[1]);
      wait_byte(go[0]);  // A has written the maps
      // Become root of the new namespace when the maps give it one (the planner says).
      if (l.unshare.setgid_root && setresgid(0, 0, 0) != 0) fail(report[1], "setgid 0 in the user namespace");
      if (l.unshare.setuid_root && setresuid(0, 0, 0) != 0) fail(report[1], "setuid 0 in the user namespace");
      // Changing ids made us non-dumpable, which hands /proc/self to the host's root: take it
      // back so that timens_offsets and the like stay writable.
      prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
      // A change of uid clears the parent-death signal: set it again, and check that nsplan
      // did not die in between.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(kSetupFailed);
    }
    if (ns.other_flags && unshare(ns.other_flags) != 0) fail(report[1], "unshare namespaces");
    if (l.rootless_net) {
      send_byte(ready[1]);
      if (!wait_byte(go[0])) _exit(kSetupFailed);  // A's helper has configured the new net namespace, or A is gone
    }
    if (ns.new_time && !write_time_offsets(l)) fail(report[1], "timens_offsets");
    if (!ns.new_pid && !ns.new_time && !ns.join_pid) become_command(l, exec, report[1]);
    // A new pid or time namespace takes effect for children: D is PID 1 there.
    sigprocmask(SIG_BLOCK, &block, nullptr);
    pid_t d = fork();
    if (d < 0) fail(report[1], "fork");
    if (d == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() == 1) _exit(kSetupFailed);  // C died before we could ask to die with it
      sigprocmask(SIG_SETMASK, &old, nullptr);
      become_command(l, exec, report[1]);
    }
    ::close(report[1]);
    install_forwarding(d);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    int wstatus = 0;
    if (wait_for(d, wstatus) < 0) _exit(kSetupFailed);
    if (WIFSIGNALED(wstatus)) {
      // Die the same way, so that A reports 128 + signal.
      signal(WTERMSIG(wstatus), SIG_DFL);
      prctl(PR_SET_DUMPABLE, 0);
      raise(WTERMSIG(wstatus));
    }
    _exit(status_of(wstatus));
  }
  // ---- A ----
  ::close(go[0]);
  ::close(ready[1]);
  ::close(report[1]);
  auto abort_child = [&](const std::string& why) {
    ::kill(child, SIGKILL);
    int ws;
    wait_for(child, ws);
    result.error = why;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    ::close(go[1]);
    ::close(ready[0]);
    ::close(report[0]);
    return result;
  };
  for (const auto& procs : l.cgroup_procs)
    if (!write_file(procs, std::to_string(child))) return abort_child("joining " + procs + ": " + std::strerror(errno));
  send_byte(go[1]);
  // A closed pipe instead of the byte: C failed before its user namespace, and says why on the
  // report pipe (writing to it now would kill nsplan with SIGPIPE).
  if (ns.new_user && wait_byte(ready[0])) {
    std::string base = "/proc/" + std::to_string(child) + "/";
    auto map_text = [](const std::vector<std::string>& lines) {
      std::string t;
      for (const auto& x : lines) t += x + "\n";
      return t;
    };
    const plan::NewNamespaces& u = l.unshare;
    if (!u.setgroups.empty())  // "deny" for a caller without CAP_SETGID (planned: compiler/plan_launch.cc)
      if (!write_file(base + "setgroups", u.setgroups))
        return abort_child(std::string("writing setgroups: ") + std::strerror(errno));
    if (!u.uid_map.empty() && !write_file(base + "uid_map", map_text(u.uid_map)))
      return abort_child(std::string("writing uid_map: ") + std::strerror(errno));
    if (!u.gid_map.empty() && !write_file(base + "gid_map", map_text(u.gid_map)))
      return abort_child(std::string("writing gid_map: ") + std::strerror(errno));
    send_byte(go[1]);
  }
  // C has made its namespaces (a closed pipe instead: C failed, and says why on the report pipe).
  RootlessHelper helper;
  if (l.rootless_net && wait_byte(ready[0])) {
    if (std::string error = start_rootless_net(*l.rootless_net, helper_program, child, helper); !error.empty()) {
      LaunchResult failed = abort_child(error);
      failed.exit_status = kSetupFailed;
      return failed;
    }
    send_byte(go[1]);
  }
  ::close(go[1]);
  ::close(ready[0]);
  install_forwarding(child);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  LaunchResult done = await_command(child, report[0]);
  stop_rootless_net(helper);  // pasta stays after its namespace is gone: nsplan started it, nsplan stops it
  return done;
}

}  // namespace

LaunchResult run_launch(const plan::Launch& l, const std::vector<std::string>& command_override) {
  const std::vector<std::string>& command = command_override.empty() ? l.command : command_override;
  if (command.empty()) return LaunchResult{0, "no command to run"};
  NamespaceSet ns = namespaces_of(l);
  PreparedExec exec = prepare_exec(l, command);
  // A user namespace needs nsplan to write its maps while the child waits; a process whose time
  // namespace (for children) is another cannot share its memory: the kernel's clock pages
  // belong to the memory (clone with CLONE_VM is EINVAL, setns EUSERS).
  // nsplan's init stays PID 1 and never execs: nsplan, suspended until its child execs, cannot
  // share memory with it.
  if (ns.new_user || ns.join_user || ns.new_time || ns.join_time || l.init) return launch_with_fork(l, exec, ns);
  return launch_sharing_memory(l, exec, ns);
}

std::string attach_process(const plan::Launch& l, int pid) {
  for (const auto& procs : l.cgroup_procs)
    if (!write_file(procs, std::to_string(pid))) return "writing " + std::to_string(pid) + " to " + procs + ": " + std::strerror(errno);
  return {};
}

}  // namespace nsplan::applier
