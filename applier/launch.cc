#include "applier/launch.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "applier/namespaces.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace nsplan::applier {
namespace {

using plan::NsKind;

// A child reports why it could not start through this pipe, then exits with kSetupFailed.
constexpr int kSetupFailed = 127;

[[noreturn]] void fail(int report_fd, const std::string& what, int err = errno) {
  std::string msg = what + (err ? std::string(": ") + std::strerror(err) : std::string());
  ssize_t n = ::write(report_fd, msg.data(), msg.size());
  (void)n;
  _exit(kSetupFailed);
}

bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  errno = err;
  return n == static_cast<ssize_t>(text.size());
}

void wait_byte(int fd) {
  char c;
  while (::read(fd, &c, 1) < 0 && errno == EINTR) {
  }
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

const int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

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

int clone_flag_of(NsKind k) {
  switch (k) {
    case NsKind::Cgroup: return CLONE_NEWCGROUP;
    case NsKind::Ipc: return CLONE_NEWIPC;
    case NsKind::Mnt: return CLONE_NEWNS;
    case NsKind::Net: return CLONE_NEWNET;
    case NsKind::Pid: return CLONE_NEWPID;
    case NsKind::Time: return CLONE_NEWTIME;
    case NsKind::User: return CLONE_NEWUSER;
    case NsKind::Uts: return CLONE_NEWUTS;
  }
  return 0;
}

unsigned long propagation_flag(const std::string& p) {
  if (p == "shared") return MS_SHARED;
  if (p == "slave") return MS_SLAVE;
  return MS_PRIVATE;
}

// In the final process, inside every namespace: hostname, mounts, limits, identity, exec.
[[noreturn]] void become_command(const plan::Launch& l, const std::vector<std::string>& command, bool new_mnt,
                                 int report_fd) {
  if (!l.hostname.empty() && sethostname(l.hostname.data(), l.hostname.size()) != 0) fail(report_fd, "sethostname");
  if (!l.domainname.empty() && setdomainname(l.domainname.data(), l.domainname.size()) != 0)
    fail(report_fd, "setdomainname");
  if (new_mnt) {
    if (mount(nullptr, "/", nullptr, MS_REC | propagation_flag(l.propagation), nullptr) != 0)
      fail(report_fd, "mount propagation of /");
    for (const auto& m : l.mounts) {
      using T = plan::MountOp::Type;
      switch (m.type) {
        case T::Proc:
          if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) fail(report_fd, "mount proc on /proc");
          break;
        case T::Tmpfs:
          if (mount("tmpfs", m.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, m.options.c_str()) != 0)
            fail(report_fd, "mount tmpfs on " + m.target);
          break;
        case T::Bind:
        case T::ReadOnly:
          if (mount(m.source.c_str(), m.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            fail(report_fd, "bind mount " + m.source + " on " + m.target);
          if (m.read_only &&
              mount(nullptr, m.target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
            fail(report_fd, "remount " + m.target + " read-only");
          break;
      }
    }
    if (!l.root.empty()) {
      // pivot_root(".", ".") then detach the old root: no directory for it is needed.
      if (mount(l.root.c_str(), l.root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) fail(report_fd, "bind " + l.root);
      if (chdir(l.root.c_str()) != 0) fail(report_fd, "chdir " + l.root);
      if (syscall(SYS_pivot_root, ".", ".") != 0) fail(report_fd, "pivot_root " + l.root);
      if (umount2(".", MNT_DETACH) != 0) fail(report_fd, "detach the old root");
      if (chdir("/") != 0) fail(report_fd, "chdir /");
    }
  }
  for (const auto& r : l.rlimits) {
    struct rlimit lim {};
    lim.rlim_cur = r.soft == UINT64_MAX ? RLIM_INFINITY : r.soft;
    lim.rlim_max = r.hard == UINT64_MAX ? RLIM_INFINITY : r.hard;
    if (setrlimit(r.resource, &lim) != 0) fail(report_fd, "setrlimit " + r.name);
  }
  if (!l.cwd.empty()) {
    if (chdir(l.cwd.c_str()) != 0) fail(report_fd, "chdir " + l.cwd);
    setenv("PWD", l.cwd.c_str(), 1);  // as a shell's cd would: $PWD names where we are
  }
  if (l.gid) {
    if (setgroups(0, nullptr) != 0 && errno != EPERM) fail(report_fd, "setgroups");
    if (setresgid(*l.gid, *l.gid, *l.gid) != 0) fail(report_fd, "setgid " + std::to_string(*l.gid));
  }
  if (l.uid && setresuid(*l.uid, *l.uid, *l.uid) != 0) fail(report_fd, "setuid " + std::to_string(*l.uid));
  if (l.uid || l.gid) prctl(PR_SET_PDEATHSIG, SIGKILL);  // cleared by the change of ids
  if (l.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(report_fd, "no_new_privs");
  for (const auto& [k, v] : l.env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Signals the run forwards were caught in nsplan; the command starts with defaults.
  for (int s : kForwarded) signal(s, SIG_DFL);
  execvp(argv[0], argv.data());
  fail(report_fd, "exec " + command[0]);
}

}  // namespace

LaunchResult run_launch(const plan::Launch& l, const std::vector<std::string>& command_override) {
  LaunchResult result;
  const std::vector<std::string>& command = command_override.empty() ? l.command : command_override;
  if (command.empty()) {
    result.error = "no command to run";
    return result;
  }
  bool new_user = false, new_pid = false, new_time = false, new_mnt = false, join_pid = false;
  int other_flags = 0;
  for (auto k : l.unshare) {
    if (k == NsKind::User) new_user = true;
    else other_flags |= clone_flag_of(k);
    new_pid |= k == NsKind::Pid;
    new_time |= k == NsKind::Time;
    new_mnt |= k == NsKind::Mnt;
  }
  for (const auto& j : l.join) join_pid |= j.kind == NsKind::Pid;

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
    // Joined namespaces: the user namespace first, so that the others may be entered.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& j : l.join) {
        if ((j.kind == NsKind::User) != (pass == 0)) continue;
        int fd = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(report[1], "open " + j.path);
        if (setns(fd, clone_flag_of(j.kind)) != 0) fail(report[1], std::string("setns ") + plan::to_string(j.kind) + " " + j.path);
        ::close(fd);
      }
    }
    if (new_user) {
      if (unshare(CLONE_NEWUSER) != 0) fail(report[1], "unshare user namespace");
      send_byte(ready[1]);
      wait_byte(go[0]);  // A has written the maps
      // Become root of the new namespace when the maps give it one (the host sees the mapped
      // ids); run.uid/gid, applied last, may still drop to another id.
      auto maps_zero = [](const std::vector<std::string>& m) {
        for (const auto& line : m)
          if (line.rfind("0 ", 0) == 0) return true;
        return false;
      };
      if (maps_zero(l.gid_map) && setresgid(0, 0, 0) != 0) fail(report[1], "setgid 0 in the user namespace");
      if (maps_zero(l.uid_map) && setresuid(0, 0, 0) != 0) fail(report[1], "setuid 0 in the user namespace");
      // Changing ids made us non-dumpable, which hands /proc/self to the host's root: take it
      // back so that timens_offsets and the like stay writable.
      prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
      // A change of uid clears the parent-death signal: set it again, and check that nsplan
      // did not die in between.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(kSetupFailed);
    }
    if (other_flags && unshare(other_flags) != 0) fail(report[1], "unshare namespaces");
    if (new_time) {
      std::string offsets;
      if (l.monotonic_offset) offsets += "monotonic " + std::to_string(l.monotonic_offset) + " 0\n";
      if (l.boottime_offset) offsets += "boottime " + std::to_string(l.boottime_offset) + " 0\n";
      for (size_t pos = 0; pos < offsets.size();) {
        size_t nl = offsets.find('\n', pos);
        if (!write_file("/proc/self/timens_offsets", offsets.substr(pos, nl - pos + 1))) fail(report[1], "timens_offsets");
        pos = nl + 1;
      }
    }
    if (!new_pid && !new_time && !join_pid) become_command(l, command, new_mnt, report[1]);
    // A new pid or time namespace takes effect for children: D is PID 1 there.
    sigprocmask(SIG_BLOCK, &block, nullptr);
    pid_t d = fork();
    if (d < 0) fail(report[1], "fork");
    if (d == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() == 1) _exit(kSetupFailed);  // C died before we could ask to die with it
      sigprocmask(SIG_SETMASK, &old, nullptr);
      become_command(l, command, new_mnt, report[1]);
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
  if (new_user) {
    wait_byte(ready[0]);
    std::string base = "/proc/" + std::to_string(child) + "/";
    auto map_text = [](const std::vector<std::string>& lines) {
      std::string t;
      for (const auto& x : lines) t += x + "\n";
      return t;
    };
    if (!l.setgroups.empty() || (!l.gid_map.empty() && geteuid() != 0))
      if (!write_file(base + "setgroups", l.setgroups.empty() ? "deny" : l.setgroups))
        return abort_child(std::string("writing setgroups: ") + std::strerror(errno));
    if (!l.uid_map.empty() && !write_file(base + "uid_map", map_text(l.uid_map)))
      return abort_child(std::string("writing uid_map: ") + std::strerror(errno));
    if (!l.gid_map.empty() && !write_file(base + "gid_map", map_text(l.gid_map)))
      return abort_child(std::string("writing gid_map: ") + std::strerror(errno));
    send_byte(go[1]);
  }
  ::close(go[1]);
  ::close(ready[0]);
  install_forwarding(child);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  // Either the command runs (exec closed the pipe) or a setup step explains itself here.
  std::string why;
  char buf[512];
  ssize_t n;
  while ((n = ::read(report[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    why.append(buf, static_cast<size_t>(n));
  }
  ::close(report[0]);
  int wstatus = 0;
  wait_for(child, wstatus);
  g_forward_to = 0;
  if (!why.empty()) {
    result.error = why;
    result.exit_status = kSetupFailed;
    return result;
  }
  result.exit_status = status_of(wstatus);
  return result;
}

std::string attach_process(const plan::Launch& l, int pid) {
  for (const auto& procs : l.cgroup_procs)
    if (!write_file(procs, std::to_string(pid))) return "writing " + std::to_string(pid) + " to " + procs + ": " + std::strerror(errno);
  return {};
}

}  // namespace nsplan::applier
