#include "applier/cgroupfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "applier/fd.h"

namespace nsplan::applier {
namespace {

constexpr uint64_t kResolve =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

std::vector<std::string_view> split(std::string_view dir) {
  std::vector<std::string_view> parts;
  if (dir.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t slash = dir.find('/', start);
    parts.push_back(dir.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool valid_component(std::string_view c) {
  return !c.empty() && c != "." && c != ".." && c.find('/') == std::string_view::npos &&
         c.find('\0') == std::string_view::npos;
}

long openat2_call(int dirfd, const std::string& path, uint64_t flags) {
  open_how how{};
  how.flags = flags;
  how.resolve = kResolve;
  long r;
  // RESOLVE_BENEATH may answer EAGAIN when a rename raced the lookup: try again a few times.
  for (int i = 0; i < 8; ++i) {
    r = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (r >= 0 || (errno != EAGAIN && errno != EINTR)) break;
  }
  return r;
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

SysError invalid_path(const std::string& what) {
  return SysError{
      EINVAL, what + ": path refused (relative, no '.', '..' or empty components)", 0, {}};
}

}  // namespace

bool valid_cgroup_rel_path(std::string_view dir) {
  if (dir.empty()) return true;
  for (std::string_view c : split(dir))
    if (!valid_component(c)) return false;
  return true;
}

bool valid_cgroup_file_name(std::string_view file) { return valid_component(file); }

SysResult<std::unique_ptr<LinuxCgroupFs>> LinuxCgroupFs::open(const std::string& root) {
  return open(root, Options{});
}

SysResult<std::unique_ptr<LinuxCgroupFs>> LinuxCgroupFs::open(const std::string& root,
                                                              Options options) {
  if (root.empty() || root[0] != '/')
    return SysError{EINVAL, "open cgroup hierarchy '" + root + "': not an absolute path", 0, {}};
  int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open cgroup hierarchy " + root);
  Fd guard(fd);
  bool use_openat2 = !options.force_component_walk;
  if (use_openat2) {
    long r = openat2_call(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r >= 0) {
      ::close(static_cast<int>(r));
    } else if (errno == ENOSYS || errno == EPERM) {  // EPERM: a seccomp filter denying it
      use_openat2 = false;
    } else {
      return errno_error("openat2 " + root);
    }
  }
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return std::unique_ptr<LinuxCgroupFs>(new LinuxCgroupFs(guard.release(), r, use_openat2));
}

LinuxCgroupFs::LinuxCgroupFs(int root_fd, std::string root, bool use_openat2)
    : root_fd_(root_fd), root_(std::move(root)), use_openat2_(use_openat2) {}

LinuxCgroupFs::~LinuxCgroupFs() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::string LinuxCgroupFs::full(std::string_view dir, std::string_view file) const {
  std::string p = root_;
  if (!dir.empty()) {
    if (p != "/") p += '/';
    p += dir;
  }
  if (!file.empty()) {
    if (p != "/") p += '/';
    p += file;
  }
  return p;
}

SysResult<int> LinuxCgroupFs::open_dir(std::string_view dir, int flags) {
  flags |= O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
  if (use_openat2_) {
    long r = openat2_call(root_fd_, dir.empty() ? std::string(".") : std::string(dir),
                          static_cast<uint64_t>(flags));
    if (r >= 0) return static_cast<int>(r);
    return errno_error("open " + full(dir));
  }
  // Fallback: one component at a time, never following a symlink, never leaving the device.
  struct stat root_st;
  if (::fstat(root_fd_, &root_st) < 0) return errno_error("stat " + root_);
  std::vector<std::string_view> parts = split(dir);
  Fd cur(::openat(root_fd_, ".", parts.empty() ? flags : (O_PATH | O_DIRECTORY | O_CLOEXEC)));
  if (cur.get() < 0) return errno_error("open " + root_);
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    std::string comp(parts[i]);
    int nfd = ::openat(cur.get(), comp.c_str(),
                       last ? flags : (O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (nfd < 0) return errno_error("open " + full(dir));
    Fd next(nfd);
    struct stat st;
    if (::fstat(next.get(), &st) < 0) return errno_error("stat " + full(dir));
    if (st.st_dev != root_st.st_dev)
      return SysError{EXDEV, "open " + full(dir) + ": crosses a mount", 0, {}};
    if (!S_ISDIR(st.st_mode)) return SysError{ENOTDIR, "open " + full(dir), 0, {}};
    cur = Fd(next.release());
  }
  return cur.release();
}

SysResult<int> LinuxCgroupFs::open_file(std::string_view dir, std::string_view file, int flags) {
  flags |= O_CLOEXEC | O_NOFOLLOW;
  if (use_openat2_) {
    std::string path = dir.empty() ? std::string(file) : std::string(dir) + "/" + std::string(file);
    long r = openat2_call(root_fd_, path, static_cast<uint64_t>(flags));
    if (r >= 0) return static_cast<int>(r);
    return errno_error("open " + full(dir, file));
  }
  SysResult<int> d = open_dir(dir, O_PATH);
  if (!d) return d.error();
  Fd dfd(d.value());
  int fd = ::openat(dfd.get(), std::string(file).c_str(), flags);
  if (fd < 0) return errno_error("open " + full(dir, file));
  return fd;
}

SysResult<bool> LinuxCgroupFs::exists(std::string_view dir) {
  if (!valid_cgroup_rel_path(dir)) return invalid_path("stat " + full(dir));
  SysResult<int> d = open_dir(dir, O_PATH);
  if (d) {
    ::close(d.value());
    return true;
  }
  if (d.err() == ENOENT) return false;
  return d.error();
}

SysResult<std::pair<uint64_t, uint64_t>> LinuxCgroupFs::identity(std::string_view dir) {
  if (!valid_cgroup_rel_path(dir)) return invalid_path("stat " + full(dir));
  SysResult<int> d = open_dir(dir, O_PATH);
  if (!d) return d.error();
  struct stat st {};
  int rc = ::fstat(d.value(), &st);
  int err = errno;
  ::close(d.value());
  if (rc != 0) return errno_error("stat " + full(dir), err);
  return std::make_pair(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
}

Status LinuxCgroupFs::mkdir(std::string_view dir) {
  if (dir.empty() || !valid_cgroup_rel_path(dir)) return invalid_path("mkdir " + full(dir));
  size_t slash = dir.rfind('/');
  std::string_view parent =
      slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
  std::string leaf(slash == std::string_view::npos ? dir : dir.substr(slash + 1));
  SysResult<int> p = open_dir(parent, O_PATH);
  if (!p) return p.error().wrap("mkdir " + full(dir));
  Fd pfd(p.value());
  if (::mkdirat(pfd.get(), leaf.c_str(), 0755) < 0) return errno_error("mkdir " + full(dir));
  return {};
}

Status LinuxCgroupFs::rmdir(std::string_view dir) {
  if (dir.empty() || !valid_cgroup_rel_path(dir)) return invalid_path("rmdir " + full(dir));
  size_t slash = dir.rfind('/');
  std::string_view parent =
      slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
  std::string leaf(slash == std::string_view::npos ? dir : dir.substr(slash + 1));
  SysResult<int> p = open_dir(parent, O_PATH);
  if (!p) return p.error().wrap("rmdir " + full(dir));
  Fd pfd(p.value());
  if (::unlinkat(pfd.get(), leaf.c_str(), AT_REMOVEDIR) < 0)
    return errno_error("rmdir " + full(dir));
  return {};
}

Status LinuxCgroupFs::write(std::string_view dir, std::string_view file, std::string_view value) {
  std::string what = "write '" + std::string(value) + "' to " + full(dir, file);
  if (!valid_cgroup_rel_path(dir) || !valid_cgroup_file_name(file)) return invalid_path(what);
  SysResult<int> f = open_file(dir, file, O_WRONLY);
  if (!f) return f.error().wrap(what);
  Fd fd(f.value());
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error(what);
  if (static_cast<size_t>(n) != value.size())
    return SysError{EIO,
                    what + ": short write (" + std::to_string(n) + " of " +
                        std::to_string(value.size()) + " bytes)",
                    0,
                    {}};
  return {};
}

SysResult<std::string> LinuxCgroupFs::read(std::string_view dir, std::string_view file) {
  std::string what = "read " + full(dir, file);
  if (!valid_cgroup_rel_path(dir) || !valid_cgroup_file_name(file)) return invalid_path(what);
  SysResult<int> f = open_file(dir, file, O_RDONLY);
  if (!f) return f.error();
  Fd fd(f.value());
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(what);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return std::string(trim(out));
}

}  // namespace nsplan::applier

namespace nsplan::applier {
namespace {

SysResult<FileAccess> stat_entry(int dfd, const std::string& name, const std::string& shown) {
  struct stat st {};
  int rc = name == "." ? ::fstat(dfd, &st) : ::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return errno_error("stat " + shown);
  return FileAccess{name, st.st_uid, st.st_gid, static_cast<uint32_t>(st.st_mode & 07777)};
}

}  // namespace

SysResult<std::vector<FileAccess>> LinuxCgroupFs::access(std::string_view dir, const std::vector<std::string>& files,
                                                         const std::vector<std::string>& except) {
  if (!valid_cgroup_rel_path(dir)) return invalid_path("stat " + full(dir));
  SysResult<int> d = open_dir(dir, O_RDONLY);
  if (!d) return d.error();
  Fd dfd(d.value());
  std::vector<FileAccess> out;
  for (const auto& f : files) {
    if (f == "*") {
      // A second descriptor: fdopendir takes over the one it is given.
      int listing = ::openat(dfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (listing < 0) return errno_error("open " + full(dir));
      DIR* entries = ::fdopendir(listing);
      if (!entries) {
        ::close(listing);
        return errno_error("list " + full(dir));
      }
      std::vector<std::string> names;
      while (dirent* e = ::readdir(entries))
        if (e->d_type == DT_REG && std::find(except.begin(), except.end(), e->d_name) == except.end()) names.push_back(e->d_name);
      ::closedir(entries);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        auto a = stat_entry(dfd.get(), n, full(dir, n));
        if (!a) {
          if (a.err() == ENOENT) continue;  // a controller's file gone since the listing
          return a.error();
        }
        out.push_back(a.value());
      }
      continue;
    }
    if (f != "." && !valid_component(f)) return invalid_path("stat " + full(dir, f));
    auto a = stat_entry(dfd.get(), f, full(dir, f == "." ? std::string_view() : std::string_view(f)));
    if (!a) return a.error();
    out.push_back(a.value());
  }
  return out;
}

Status LinuxCgroupFs::set_access(std::string_view dir, std::string_view file, int64_t uid, int64_t gid,
                                 std::optional<uint32_t> mode) {
  if (!valid_cgroup_rel_path(dir) || (file != "." && !valid_component(file))) return invalid_path("chown " + full(dir, file));
  SysResult<int> d = open_dir(dir, O_RDONLY);
  if (!d) return d.error();
  Fd dfd(d.value());
  const std::string shown = full(dir, file == "." ? std::string_view() : file);
  if (file == ".") {
    if ((uid >= 0 || gid >= 0) && ::fchown(dfd.get(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
      return errno_error("chown " + shown);
    if (mode && ::fchmod(dfd.get(), *mode) != 0) return errno_error("chmod " + shown);
    return {};
  }
  const std::string name(file);
  // Only a regular file of the cgroup: cgroupfs makes no symbolic links, and none is followed.
  struct stat st {};
  if (::fstatat(dfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("stat " + shown);
  if (!S_ISREG(st.st_mode)) return SysError{EINVAL, "chown " + shown + ": not a cgroup file", 0, {}};
  if ((uid >= 0 || gid >= 0) &&
      ::fchownat(dfd.get(), name.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid), AT_SYMLINK_NOFOLLOW) != 0)
    return errno_error("chown " + shown);
  if (mode && ::fchmodat(dfd.get(), name.c_str(), *mode, 0) != 0) return errno_error("chmod " + shown);
  return {};
}

}  // namespace nsplan::applier
