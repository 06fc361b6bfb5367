#include "applier/netns_etc.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "applier/namespaces.h"

namespace nsplan::applier {
namespace {

const std::string kEtc = "/etc";

// Opens directory NAME in AT (made 0755 when missing and CREATE) without following a symbolic
// link; it must be root's and writable by no one else, or someone else could swap what is in it.
SysResult<int> trusted_dir(int at, const std::string& name, const std::string& path, bool create) {
  if (create && ::mkdirat(at, name.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("mkdir " + path);
  int fd = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      return SysError{ELOOP, path + " is not a directory (a symbolic link is never followed); left alone", 0, {}};
    return errno_error("open " + path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errno_error("stat " + path, err);
  }
  if (st.st_uid != 0 || (st.st_mode & 022)) {
    ::close(fd);
    return SysError{EPERM, path + " is not root's alone (owner " + std::to_string(st.st_uid) + ", mode " +
                               std::to_string(st.st_mode & 07777) + " decimal); nsplan writes nothing there",
                    0, {}};
  }
  return fd;
}

// The directory /etc/netns/NETNS, opened by the walk above.
SysResult<int> netns_dir(const std::string& netns, bool create) {
  if (!valid_netns_name(netns)) return SysError{EINVAL, "'" + netns + "' is not a net namespace name", 0, {}};
  int etc = ::open(kEtc.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (etc < 0) return errno_error("open /etc");
  auto top = trusted_dir(etc, "netns", kNetnsEtcDir, create);
  ::close(etc);
  if (!top.ok()) return top.error();
  auto dir = trusted_dir(top.value(), netns, std::string(kNetnsEtcDir) + "/" + netns, create);
  ::close(top.value());
  return dir;
}

std::string path_of(const std::string& netns, const std::string& file) {
  return std::string(kNetnsEtcDir) + "/" + netns + "/" + file;
}

SysError bad_name(const std::string& file) {
  return SysError{EINVAL, "'" + file + "' is not a file nsplan writes below " + kNetnsEtcDir, 0, {}};
}

}  // namespace

bool netns_etc_file_name(const std::string& name) { return name == "resolv.conf" || name == "hosts" || name == "hostname"; }

SysResult<std::optional<std::string>> read_netns_etc(const std::string& netns, const std::string& file) {
  if (!netns_etc_file_name(file)) return bad_name(file);
  auto dir = netns_dir(netns, false);
  if (!dir.ok()) {
    if (dir.err() == ENOENT) return std::optional<std::string>();
    return dir.error();
  }
  int fd = ::openat(dir.value(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  int err = errno;
  ::close(dir.value());
  if (fd < 0) {
    if (err == ENOENT) return std::optional<std::string>();
    return errno_error("open " + path_of(netns, file), err);
  }
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  } else {
    ::close(fd);
    return SysError{EEXIST, path_of(netns, file) + " is not a regular file", 0, {}};
  }
  ::close(fd);
  return std::optional<std::string>(text);
}

Status create_netns_etc(const std::string& netns, const std::string& file, const std::string& text) {
  if (!netns_etc_file_name(file)) return bad_name(file);
  auto dir = netns_dir(netns, true);
  if (!dir.ok()) return dir.error();
  const std::string path = path_of(netns, file);
  int fd = ::openat(dir.value(), file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int err = errno;
  ::close(dir.value());
  if (fd < 0) {
    if (err == EEXIST) return SysError{EEXIST, path + " exists and is not nsplan's: it is never overwritten", 0, {}};
    return errno_error("create " + path, err);
  }
  Status s;
  if (::fchmod(fd, 0644) != 0) s = errno_error("chmod " + path);
  for (size_t done = 0; s.ok() && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) s = errno_error("write " + path);
    else done += static_cast<size_t>(n);
  }
  if (s.ok() && ::fsync(fd) != 0) s = errno_error("fsync " + path);
  ::close(fd);
  return s;
}

SysResult<KernelId> netns_etc_id(const std::string& netns, const std::string& file) {
  if (!file.empty() && !netns_etc_file_name(file)) return bad_name(file);
  auto dir = netns_dir(netns, false);
  if (!dir.ok()) return dir.error();
  struct stat st {};
  int rc = file.empty() ? ::fstat(dir.value(), &st) : ::fstatat(dir.value(), file.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  int err = errno;
  ::close(dir.value());
  if (rc != 0) return errno_error("stat " + path_of(netns, file), err);
  return KernelId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

Status remove_netns_etc(const std::string& netns, const std::string& file, bool dir_too) {
  if (!netns_etc_file_name(file)) return bad_name(file);
  auto dir = netns_dir(netns, false);
  if (!dir.ok()) return dir.error();
  int rc = ::unlinkat(dir.value(), file.c_str(), 0);
  int err = errno;
  ::close(dir.value());
  if (rc != 0) return errno_error("remove " + path_of(netns, file), err);
  if (!dir_too) return {};
  // Only when empty: what someone else put there since stays, and its directory with it.
  int top = ::open(kNetnsEtcDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (top < 0) return {};
  if (::unlinkat(top, netns.c_str(), AT_REMOVEDIR) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
    err = errno;
    ::close(top);
    return errno_error("rmdir " + std::string(kNetnsEtcDir) + "/" + netns, err);
  }
  ::close(top);
  return {};
}

}  // namespace nsplan::applier
