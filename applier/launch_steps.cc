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

#include <dirent.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "applier/capabilities.h"
#include "applier/process_attrs.h"
#include "applier/mini_init.h"
#include "applier/seccomp_filter.h"
#include "applier/files_inside.h"
#include "applier/overlay_inside.h"
#include "compiler/overloaded.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace nsplan::applier::launch {

using plan::NsKind;

[[noreturn]] void fail(int report_fd, const std::string& what, int err, int status) {
  std::string msg = what + (err ? std::string(": ") + std::strerror(err) : std::string());
  ssize_t n = ::write(report_fd, msg.data(), msg.size());
  (void)n;
  _exit(status);
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

namespace {

unsigned long propagation_flag(const std::string& p) {
  if (p == "shared") return MS_SHARED;
  if (p == "slave") return MS_SLAVE;
  return MS_PRIVATE;
}

unsigned long mount_flags(const std::vector<std::string>& names) {
  unsigned long flags = 0;
  for (const auto& n : names) {
    if (n == "nosuid") flags |= MS_NOSUID;
    else if (n == "nodev") flags |= MS_NODEV;
    else if (n == "noexec") flags |= MS_NOEXEC;
    else if (n == "ro") flags |= MS_RDONLY;
  }
  return flags;
}

// struct mount_attr of <linux/mount.h>, which does not mix with glibc's <sys/mount.h>.
struct MountAttr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};
constexpr uint64_t kMountAttrRdonly = 0x00000001;
constexpr unsigned kAtRecursive = 0x8000;
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

// mkdir -p with the mode mkdir(1) uses (0777 less the umask).
bool make_dirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0777) != 0 && errno != EEXIST) return false;
  }
  return true;
}

bool bring_loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  }
  int err = errno;
  ::close(fd);
  errno = err;
  return ok;
}

}  // namespace

std::string perform_inside(const plan::InsideStep& step) {
  auto failed = [](const std::string& what) { return what + ": " + std::strerror(errno); };
  return std::visit(
      overloaded{
          [&](const plan::LoopbackUp&) -> std::string { return bring_loopback_up() ? "" : failed("bring lo up"); },
          [&](const plan::SetUtsName& s) -> std::string {
            if (!s.hostname.empty() && sethostname(s.hostname.data(), s.hostname.size()) != 0) return failed("sethostname");
            if (!s.domainname.empty() && setdomainname(s.domainname.data(), s.domainname.size()) != 0)
              return failed("setdomainname");
            return "";
          },
          [&](const plan::MountPropagation& p) -> std::string {
            if (mount(nullptr, "/", nullptr, MS_REC | propagation_flag(p.mode), nullptr) != 0)
              return failed("mount propagation of /");
            return "";
          },
          [&](const plan::MakeMountPoint& m) -> std::string {
            struct stat st {};
            if (::lstat(m.path.c_str(), &st) == 0) return "";
            bool dir = m.source_of_kind.empty() || (::stat(m.source_of_kind.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
            if (!make_dirs(dir ? m.path : m.path.substr(0, std::max<size_t>(m.path.rfind('/'), 1))))
              return failed("create mount point " + m.path);
            if (dir) return "";
            int fd = ::open(m.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
            if (fd < 0) return failed("create mount point " + m.path);
            ::close(fd);
            return "";
          },
          [&](const plan::Mount& m) -> std::string {
            using T = plan::Mount::Type;
            unsigned long flags = mount_flags(m.flags);
            if (m.type == T::Bind) flags |= MS_BIND | (m.recursive ? MS_REC : 0);
            const char* fstype = mount_type_name(m.type);
            if (mount(m.source.c_str(), m.target.c_str(), fstype, flags, m.data.empty() ? nullptr : m.data.c_str()) != 0)
              return failed(std::string(m.type == T::Bind ? "bind mount " + m.source : fstype) + " on " + m.target);
            return "";
          },
          [&](const plan::RemountReadOnly& r) -> std::string {
            MountAttr attr{kMountAttrRdonly, 0, 0, 0};
            if (syscall(SYS_mount_setattr, AT_FDCWD, r.target.c_str(), r.recursive ? kAtRecursive : 0, &attr, sizeof attr) != 0)
              return failed("make " + r.target + " read-only");
            return "";
          },
          [&](const plan::PivotRoot& p) -> std::string {
            // pivot_root(".", ".") then detach the old root: no directory for it is needed.
            if (chdir(p.root.c_str()) != 0) return failed("chdir " + p.root);
            if (syscall(SYS_pivot_root, ".", ".") != 0) return failed("pivot_root " + p.root);
            if (umount2(".", MNT_DETACH) != 0) return failed("detach the old root");
            if (chdir("/") != 0) return failed("chdir /");
            return "";
          },
          [&](const plan::SetRlimit& r) -> std::string {
            struct rlimit lim {};
            lim.rlim_cur = r.soft == UINT64_MAX ? RLIM_INFINITY : r.soft;
            lim.rlim_max = r.hard == UINT64_MAX ? RLIM_INFINITY : r.hard;
            return setrlimit(r.resource, &lim) == 0 ? "" : failed("setrlimit " + r.name);
          },
          [&](const plan::ChangeDir& c) -> std::string { return chdir(c.dir.c_str()) == 0 ? "" : failed("chdir " + c.dir); },
          [&](const plan::WriteFile& w) { return write_new_file(w); },
          [&](const plan::Unmount& u) { return detach_mount(u); },
          [&](const plan::MakeSymlink& s) { return make_symlink(s); },
          [&](const plan::MountOverlay& o) { return mount_overlay(o); },
          [&](const plan::CreatePath& c) { return create_path(c); },
      },
      step);
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
  if (!l.clear_env)
    for (char** e = environ; e && *e; ++e) p.env_storage.emplace_back(*e);
  for (const auto& [k, v] : l.env) set(k, v);
  for (auto& e : p.env_storage) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  for (const auto& a : command) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  return p;
}

// Every descriptor above 2 but the kept ones is closed at exec, so that the report pipe still
// works until then: close_range marks them close-on-exec (Linux 5.11); older kernels, one by one.
std::string close_descriptors(const std::vector<int>& keep) {
  // Only the caller's descriptors are kept. They are the ones without close-on-exec: nsplan opens
  // each of its own with it (pipes, sockets, files), and one of them could have the number of a
  // kept descriptor the caller did not open (run refuses that before it starts, in
  // cli/run_commands.cc; this holds without it too).
  std::vector<int> inherited;
  for (int fd : keep) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) inherited.push_back(fd);
  }
  if (syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0) {
    DIR* d = opendir("/proc/self/fd");
    if (!d) return std::string("list descriptors: ") + std::strerror(errno);
    int own = dirfd(d);
    while (dirent* e = readdir(d)) {
      int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != own) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
  }
  for (int fd : inherited)
    if (fcntl(fd, F_SETFD, 0) != 0) return "keep descriptor " + std::to_string(fd) + ": " + std::strerror(errno);
  return "";
}

std::string set_identity(const plan::Identity& id) {
  auto failed = [](const std::string& what) { return what + ": " + std::strerror(errno); };
  if (id.set_groups) {
    std::vector<gid_t> groups(id.groups.begin(), id.groups.end());
    if (setgroups(groups.size(), groups.data()) != 0) return failed("setgroups");
  }
  if (id.gid && setresgid(*id.gid, *id.gid, *id.gid) != 0) return failed("setgid " + std::to_string(*id.gid));
  if (id.uid && setresuid(*id.uid, *id.uid, *id.uid) != 0) return failed("setuid " + std::to_string(*id.uid));
  if (id.uid || id.gid) prctl(PR_SET_PDEATHSIG, SIGKILL);  // cleared by the change of ids
  if (id.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("no_new_privs");
  return "";
}

[[noreturn]] void become_command(const plan::Launch& l, const PreparedExec& exec, int report_fd) {
  for (const auto& step : l.inside)
    if (std::string e = perform_inside(step); !e.empty()) fail(report_fd, e, 0);
  // Process attributes, then capabilities around the change of ids (process_attrs.h, capabilities.h).
  if (std::string e = apply_process_attrs(l.process); !e.empty()) fail(report_fd, e, 0);
  if (std::string e = capabilities_before_identity(l.process.caps); !e.empty()) fail(report_fd, e, 0);
  if (std::string e = set_identity(l.identity); !e.empty()) fail(report_fd, e, 0);
  if (std::string e = capabilities_after_identity(l.process.caps); !e.empty()) fail(report_fd, e, 0);
  if (std::string e = close_descriptors(l.keep_fds); !e.empty()) fail(report_fd, e, 0);
  // With nsplan's init, this process stays PID 1 and its child goes on to become the command.
  if (l.init && fork_under_init() != 0) fail(report_fd, "fork the command under nsplan's init");
  // Signals the run forwards were caught in nsplan; the command starts with defaults.
  for (int s : kForwarded) signal(s, SIG_DFL);
  // The filter last: nothing of nsplan's own runs under it but the exec (and its failure report).
  if (l.seccomp)
    if (std::string e = install_seccomp(*l.seccomp); !e.empty()) fail(report_fd, e, 0);
  // execvp searches the PATH of the environment it finds: the command's, as a shell would.
  environ = const_cast<char**>(exec.envp.data());
  execvp(exec.argv[0], exec.argv.data());
  int err = errno;
  fail(report_fd, std::string("exec ") + exec.argv[0], err, err == ENOENT || err == ENOTDIR ? kNotFound : kCannotExecute);
}

NamespaceSet namespaces_of(const plan::Launch& l) {
  NamespaceSet ns;
  for (auto k : l.unshare.kinds) {
    if (k == NsKind::User) ns.new_user = true;
    else ns.other_flags |= clone_flag_of(k);
    ns.new_pid |= k == NsKind::Pid;
    ns.new_time |= k == NsKind::Time;
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
  if (l.unshare.monotonic_offset) offsets += "monotonic " + std::to_string(l.unshare.monotonic_offset) + " 0\n";
  if (l.unshare.boottime_offset) offsets += "boottime " + std::to_string(l.unshare.boottime_offset) + " 0\n";
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

std::string join_namespaces(const std::vector<plan::JoinNamespace>& join, bool skip_pid) {
  struct Open {
    const plan::JoinNamespace* j;
    int fd;
  };
  std::vector<Open> files;
  auto close_all = [&files] {
    for (const auto& f : files)
      if (f.fd >= 0) ::close(f.fd);
  };
  // Every path is opened before any namespace is joined: a joined mount namespace would change
  // what the later paths name.
  for (const auto& j : join) {
    if (skip_pid && j.kind == NsKind::Pid) continue;
    int fd = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::string error = "open " + j.path + ": " + std::strerror(errno);
      close_all();
      return error;
    }
    files.push_back({&j, fd});
  }
  auto enter = [](Open& f) -> std::string {
    if (setns(f.fd, clone_flag_of(f.j->kind)) != 0)
      return std::string("setns ") + plan::to_string(f.j->kind) + " " + f.j->path + ": " + std::strerror(errno);
    ::close(f.fd);
    f.fd = -1;
    return "";
  };
  // Every namespace but the user one; those that fail may belong to the user namespace.
  for (auto& f : files)
    if (f.j->kind != NsKind::User) (void)enter(f);
  // The user namespace, then again what could not be joined before it.
  for (int user_first = 1; user_first >= 0; --user_first)
    for (auto& f : files)
      if (f.fd >= 0 && (f.j->kind == NsKind::User) == (user_first == 1))
        if (std::string error = enter(f); !error.empty()) {
          close_all();
          return error;
        }
  return "";
}

}  // namespace nsplan::applier::launch
