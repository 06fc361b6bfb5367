#include "applier/namespaces.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <utility>

#include "applier/fd.h"

namespace nsplan::applier {
namespace {

// Runs FN on a new thread and waits for it. The thread may change its own namespaces freely:
// they die with it unless something (a bind mount) keeps them.
Status in_helper_thread(const std::function<Status()>& fn) {
  Status result;
  try {
    std::thread t([&] { result = fn(); });
    t.join();
  } catch (const std::exception& e) {
    return SysError{EAGAIN, std::string("starting a helper thread: ") + e.what(), 0, {}};
  }
  return result;
}

// Restores the calling thread's namespace or ends the process: going on in the wrong namespace
// would apply the rest of a plan to the wrong place.
void restore_or_die(int orig_fd, int nstype) {
  if (::setns(orig_fd, nstype) == 0) return;
  int e = errno;
  std::fprintf(stderr, "nsplan: cannot return to the original namespace: %s\n", std::strerror(e));
  std::abort();
}

// mkdir -p with MODE for the directories made.
Status mkdir_p(const std::string& dir, mode_t mode) {
  if (dir.empty() || dir[0] != '/')
    return SysError{EINVAL, "mkdir " + dir + ": not an absolute path", 0, {}};
  size_t pos = 1;
  while (true) {
    size_t slash = dir.find('/', pos);
    std::string part = dir.substr(0, slash);
    if (!part.empty() && part != "/" && ::mkdir(part.c_str(), mode) < 0 && errno != EEXIST)
      return errno_error("mkdir " + part);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return {};
}

// Makes DIR a shared mount, bind-mounting it on itself first when it is not a mount point
// (mount(MS_SHARED) then fails with EINVAL): the technique of iproute2's netns_add.
Status make_shared_mount(const std::string& dir) {
  bool bound = false;
  while (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL || bound) return errno_error("mount --make-rshared " + dir);
    if (::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0)
      return errno_error("mount --rbind " + dir + " " + dir);
    bound = true;
  }
  return {};
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Creates the empty file PATH (O_EXCL), unshares KIND and bind-mounts the new namespace on PATH,
// then returns to the calling thread's own namespace (restore_or_die, as run_in_netns_fd does).
// On this thread, not a helper one: a new thread cost ~0.1 ms, and up to several ms of waiting
// for a CPU on a busy machine, for each namespace made (docs/performance.md). Removes PATH again
// on failure.
Status bind_new_namespace(plan::NsKind kind, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return errno_error("create namespace file " + path);
  ::close(fd);
  int flag = clone_flag(kind);
  std::string ns_name = proc_ns_name(kind);
  std::string self = "/proc/thread-self/ns/" + ns_name;
  Status st = [&]() -> Status {
    int orig = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (orig < 0) return errno_error("open " + self);
    Fd orig_fd(orig);
    if (::unshare(flag) != 0) return errno_error(std::string("unshare(") + ns_name + ")");
    Status mounted;
    if (::mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0)
      mounted = errno_error("mount --bind " + self + " " + path);
    restore_or_die(orig_fd.get(), flag);
    return mounted;
  }();
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

Status unbind_namespace(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    if (errno == ENOENT) return errno_error("delete namespace " + path);
    return errno_error("umount " + path);
  }
  if (::unlink(path.c_str()) != 0) return errno_error("unlink " + path);
  return {};
}

}  // namespace

int clone_flag(plan::NsKind kind) {
  switch (kind) {
    case plan::NsKind::Cgroup: return CLONE_NEWCGROUP;
    case plan::NsKind::Ipc: return CLONE_NEWIPC;
    case plan::NsKind::Mnt: return CLONE_NEWNS;
    case plan::NsKind::Net: return CLONE_NEWNET;
    case plan::NsKind::Pid: return CLONE_NEWPID;
    case plan::NsKind::Time: return CLONE_NEWTIME;
    case plan::NsKind::User: return CLONE_NEWUSER;
    case plan::NsKind::Uts: return CLONE_NEWUTS;
  }
  return 0;
}

const char* proc_ns_name(plan::NsKind kind) {
  switch (kind) {
    case plan::NsKind::Cgroup: return "cgroup";
    case plan::NsKind::Ipc: return "ipc";
    case plan::NsKind::Mnt: return "mnt";
    case plan::NsKind::Net: return "net";
    case plan::NsKind::Pid: return "pid";
    case plan::NsKind::Time: return "time";
    case plan::NsKind::User: return "user";
    case plan::NsKind::Uts: return "uts";
  }
  return "?";
}

std::string netns_path(std::string_view name) {
  return std::string(kNetnsRunDir) + "/" + std::string(name);
}

bool valid_netns_name(std::string_view name) {
  return !name.empty() && name.size() <= NAME_MAX && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

Status create_persistent_netns(const std::string& name) {
  std::string what = "create network namespace '" + name + "'";
  if (!valid_netns_name(name)) return SysError{EINVAL, what + ": invalid name", 0, {}};
  if (::mkdir(kNetnsRunDir, 0755) != 0 && errno != EEXIST)
    return errno_error(std::string("mkdir ") + kNetnsRunDir).wrap(what);
  if (Status st = make_shared_mount(kNetnsRunDir); !st) return st.error().wrap(what);
  if (Status st = bind_new_namespace(plan::NsKind::Net, netns_path(name)); !st)
    return st.error().wrap(what);
  return {};
}

Status delete_persistent_netns(const std::string& name) {
  std::string what = "delete network namespace '" + name + "'";
  if (!valid_netns_name(name)) return SysError{EINVAL, what + ": invalid name", 0, {}};
  if (Status st = unbind_namespace(netns_path(name)); !st) return st.error().wrap(what);
  return {};
}

SysResult<bool> netns_exists(const std::string& name) {
  if (!valid_netns_name(name))
    return SysError{EINVAL, "network namespace '" + name + "': invalid name", 0, {}};
  SysResult<bool> nsfs = is_nsfs(netns_path(name));
  if (!nsfs || !nsfs.value()) return nsfs;
  SysResult<NsIdentity> id = ns_identity(netns_path(name));
  if (!id) return id.error();
  return id.value().type == CLONE_NEWNET;
}

SysResult<int> open_netns(const std::string& name) {
  if (name.empty()) {
    int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_error("open /proc/thread-self/ns/net");
    return fd;
  }
  std::string what = "open network namespace '" + name + "'";
  if (!valid_netns_name(name)) return SysError{EINVAL, what + ": invalid name", 0, {}};
  std::string path = netns_path(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(what + " (" + path + ")");
  struct statfs sfs;
  if (::fstatfs(fd, &sfs) != 0 || sfs.f_type != NSFS_MAGIC ||
      ::ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
    ::close(fd);
    return SysError{EINVAL, what + ": " + path + " is not a mounted network namespace", 0, {}};
  }
  return fd;
}

Status run_in_netns_fd(int ns_fd, const std::function<void()>& fn) {
  int orig = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) return errno_error("open /proc/thread-self/ns/net");
  Fd orig_fd(orig);
  if (::setns(ns_fd, CLONE_NEWNET) != 0) return errno_error("setns(net)");
  struct Restore {  // also when FN throws
    int fd;
    ~Restore() { restore_or_die(fd, CLONE_NEWNET); }
  } restore{orig_fd.get()};
  fn();
  return {};
}

Status run_in_netns(const std::string& name, const std::function<void()>& fn) {
  if (name.empty()) {
    fn();
    return {};
  }
  SysResult<int> ns = open_netns(name);
  if (!ns) return ns.error();
  Fd ns_fd(ns.value());
  if (Status st = run_in_netns_fd(ns_fd.get(), fn); !st)
    return st.error().wrap("enter network namespace '" + name + "'");
  return {};
}

Status prepare_ns_dir(const std::string& dir) {
  std::string what = "prepare namespace directory " + dir;
  if (Status st = mkdir_p(dir, 0700); !st) return st.error().wrap(what);
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return errno_error(what);
  if (!S_ISDIR(st.st_mode)) return SysError{ENOTDIR, what, 0, {}};
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || st.st_uid != ::geteuid())
    return SysError{EPERM, what + ": writable by others or not owned by us", 0, {}};
  if (Status s = make_shared_mount(dir); !s) return s.error().wrap(what);
  return {};
}

Status create_persistent_ns(plan::NsKind kind, const std::string& path) {
  std::string what = std::string("create ") + proc_ns_name(kind) + " namespace " + path;
  if (kind != plan::NsKind::Net && kind != plan::NsKind::Uts && kind != plan::NsKind::Ipc)
    return SysError{
        EOPNOTSUPP, what + ": only net, uts and ipc namespaces can be kept this way", 0, {}};
  if (path.empty() || path[0] != '/' || path.back() == '/')
    return SysError{EINVAL, what + ": not an absolute file path", 0, {}};
  if (Status st = prepare_ns_dir(parent_dir(path)); !st) return st.error().wrap(what);
  if (Status st = bind_new_namespace(kind, path); !st) return st.error().wrap(what);
  return {};
}

Status delete_persistent_ns(const std::string& path) {
  if (Status st = unbind_namespace(path); !st) return st.error().wrap("delete namespace " + path);
  return {};
}

Status set_hostname(const std::string& ns_path, const std::string& hostname,
                    const std::string& domainname) {
  std::string what = "set hostname '" + hostname + "' in " + ns_path;
  int fd = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(what + ": open");
  Fd ns_fd(fd);
  return in_helper_thread([&]() -> Status {
    if (::setns(ns_fd.get(), CLONE_NEWUTS) != 0) return errno_error(what + ": setns(uts)");
    if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0)
      return errno_error(what + ": sethostname");
    if (!domainname.empty() && ::setdomainname(domainname.data(), domainname.size()) != 0)
      return errno_error(what + ": setdomainname '" + domainname + "'");
    return {};
  });
}

SysResult<UtsNames> get_hostname(const std::string& ns_path) {
  std::string what = "read hostname in " + ns_path;
  int fd = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(what + ": open");
  Fd ns_fd(fd);
  UtsNames names;
  Status st = in_helper_thread([&]() -> Status {
    if (::setns(ns_fd.get(), CLONE_NEWUTS) != 0) return errno_error(what + ": setns(uts)");
    struct utsname u;
    if (::uname(&u) != 0) return errno_error(what + ": uname");
    names.hostname = u.nodename;
    names.domainname = u.domainname;
    return {};
  });
  if (!st) return st.error();
  return names;
}

SysResult<bool> is_nsfs(const std::string& path) {
  struct statfs sfs;
  if (::statfs(path.c_str(), &sfs) != 0) {
    if (errno == ENOENT) return false;
    return errno_error("statfs " + path);
  }
  return sfs.f_type == NSFS_MAGIC;
}

SysResult<NsIdentity> ns_identity(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + path);
  Fd guard(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno_error("stat " + path);
  int type = ::ioctl(fd, NS_GET_NSTYPE);
  if (type < 0) return errno_error(path + ": not a namespace (NS_GET_NSTYPE)");
  return NsIdentity{st.st_dev, st.st_ino, type};
}

SysResult<NsIdentity> current_ns_identity(plan::NsKind kind) {
  return ns_identity(std::string("/proc/thread-self/ns/") + proc_ns_name(kind));
}

}  // namespace nsplan::applier
