#include "applier/launch_steps.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace nsplan::applier::launch {

using plan::NsKind;

[[noreturn]] void fail(int report_fd, const std::string& what, int err) {
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

static unsigned long propagation_flag(const std::string& p) {
  if (p == "shared") return MS_SHARED;
  if (p == "slave") return MS_SLAVE;
  return MS_PRIVATE;
}

PreparedExec prepare_exec(const plan::Launch& l, const std::vector<std::string>& command) {
  PreparedExec p;
  auto set = [&p](const std::string& key, const std::string& value) {
    std::string entry = key + "=" + value;
    for (auto& e : p.env_storage)
      if (e.compare(0, key.size() + 1, key + "=") == 0) {
        e = entry;
        return;
      }
    p.env_storage.push_back(entry);
  };
  for (char** e = environ; e && *e; ++e) p.env_storage.emplace_back(*e);
  if (!l.cwd.empty()) set("PWD", l.cwd);  // as a shell's cd would: $PWD names where we are
  for (const auto& [k, v] : l.env) set(k, v);
  for (auto& e : p.env_storage) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  for (const auto& a : command) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  return p;
}

[[noreturn]] void become_command(const plan::Launch& l, const PreparedExec& exec, bool new_mnt, int report_fd) {
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
  if (!l.cwd.empty() && chdir(l.cwd.c_str()) != 0) fail(report_fd, "chdir " + l.cwd);
  if (l.gid) {
    if (setgroups(0, nullptr) != 0 && errno != EPERM) fail(report_fd, "setgroups");
    if (setresgid(*l.gid, *l.gid, *l.gid) != 0) fail(report_fd, "setgid " + std::to_string(*l.gid));
  }
  if (l.uid && setresuid(*l.uid, *l.uid, *l.uid) != 0) fail(report_fd, "setuid " + std::to_string(*l.uid));
  if (l.uid || l.gid) prctl(PR_SET_PDEATHSIG, SIGKILL);  // cleared by the change of ids
  if (l.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(report_fd, "no_new_privs");
  // Signals the run forwards were caught in nsplan; the command starts with defaults.
  for (int s : kForwarded) signal(s, SIG_DFL);
  // execvp searches the PATH of the environment it finds: the command's, as a shell would.
  environ = const_cast<char**>(exec.envp.data());
  execvp(exec.argv[0], exec.argv.data());
  fail(report_fd, std::string("exec ") + exec.argv[0]);
}

NamespaceSet namespaces_of(const plan::Launch& l) {
  NamespaceSet ns;
  for (auto k : l.unshare) {
    if (k == NsKind::User) ns.new_user = true;
    else ns.other_flags |= clone_flag_of(k);
    ns.new_pid |= k == NsKind::Pid;
    ns.new_time |= k == NsKind::Time;
    ns.new_mnt |= k == NsKind::Mnt;
  }
  for (const auto& j : l.join) {
    ns.join_pid |= j.kind == NsKind::Pid;
    ns.join_user |= j.kind == NsKind::User;
    ns.join_time |= j.kind == NsKind::Time;
  }
  return ns;
}

// Offsets of a new time namespace, for the children of the caller: one line per write.
bool write_time_offsets(const plan::Launch& l) {
  std::string offsets;
  if (l.monotonic_offset) offsets += "monotonic " + std::to_string(l.monotonic_offset) + " 0\n";
  if (l.boottime_offset) offsets += "boottime " + std::to_string(l.boottime_offset) + " 0\n";
  for (size_t pos = 0; pos < offsets.size();) {
    size_t nl = offsets.find('\n', pos);
    if (!write_file("/proc/self/timens_offsets", offsets.substr(pos, nl - pos + 1))) return false;
    pos = nl + 1;
  }
  return true;
}

std::string enter_namespace(const plan::JoinNamespace& j) {
  int fd = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "open " + j.path + ": " + std::strerror(errno);
  int rc = setns(fd, clone_flag_of(j.kind));
  int err = errno;
  ::close(fd);
  if (rc != 0) return std::string("setns ") + plan::to_string(j.kind) + " " + j.path + ": " + std::strerror(err);
  return {};
}

void join_namespace(const plan::JoinNamespace& j, int report_fd) {
  std::string error = enter_namespace(j);
  if (!error.empty()) fail(report_fd, error, 0);
}

}  // namespace nsplan::applier::launch
