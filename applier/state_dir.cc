#include "applier/state_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "applier/fd.h"

namespace nsplan::applier {

namespace {

constexpr const char* kRefusingDir = "refusing the state dir ";
constexpr const char* kRefusingFile = "refusing ";

std::string mode_text(const struct stat& st) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return mode;
}

bool writable_by_others(const struct stat& st) { return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0; }

// Why a directory above the state dir cannot be trusted with it, or "". Whoever can write a
// directory can rename an entry away and put a symbolic link or a directory of theirs in its
// place. A sticky directory (mode +t, like /tmp) is the exception: there only the owner of an
// entry, the owner of the directory and root may rename or remove it (rename(2), EPERM), so a
// root-owned entry stays what it is. Another user may make the next component there first, or
// a link in its place: the walk refuses that component when it gets to it.
std::string untrusted_above(const struct stat& st) {
  if (st.st_uid != 0 && st.st_uid != geteuid())
    return "is owned by uid " + std::to_string(st.st_uid) + " (mode " + mode_text(st) +
           "); only root may own a directory above the state dir";
  if (writable_by_others(st) && !(st.st_mode & S_ISVTX))
    return "is writable by group or others and not sticky (mode " + mode_text(st) + ", owned by uid " +
           std::to_string(st.st_uid) + ")";
  return {};
}

// Why the state dir or a file in it is not the user's own, or "".
std::string not_ours(const struct stat& st) {
  if (st.st_uid != geteuid())
    return "it is owned by uid " + std::to_string(st.st_uid) + " (mode " + mode_text(st) + "), not by uid " +
           std::to_string(geteuid()) + " (the user running nsplan)";
  if (writable_by_others(st))
    return "it is writable by group or others (mode " + mode_text(st) + ", owned by uid " + std::to_string(st.st_uid) + ")";
  return {};
}

std::string kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The refusal of a file in the state dir that lstat (or fstat) describes as ST, if any.
std::optional<SysError> refused_file(const std::string& path, const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return SysError{ELOOP, kRefusingFile + path + ": it is a symbolic link, which nsplan does not follow", 0, {}};
  if (!S_ISREG(st.st_mode)) return SysError{EPERM, kRefusingFile + path + ": it is " + kind_of(st.st_mode) + ", not a regular file", 0, {}};
  std::string why = not_ours(st);
  if (!why.empty()) return SysError{EPERM, kRefusingFile + path + ": " + why, 0, {}};
  return std::nullopt;
}

// The components of PATH, made absolute against the working directory; "." and empty ones
// dropped. A ".." is refused: the walk never goes up.
SysResult<std::vector<std::string>> components(const std::string& given) {
  std::string path = given;
  if (path.empty()) return SysError{EINVAL, "the state dir is an empty path", 0, {}};
  if (path[0] != '/') {
    char* cwd = ::getcwd(nullptr, 0);
    if (!cwd) return errno_error("state dir " + given + ": getcwd");
    path = std::string(cwd) + "/" + path;
    std::free(cwd);
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") return SysError{EINVAL, "state dir " + given + ": a '..' component is not allowed", 0, {}};
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

}  // namespace

Status write_all(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write " + what);
    done += static_cast<size_t>(n);
  }
  return {};
}

std::string state_dir_hint(const SysError& error) {
  if (error.err == EACCES && geteuid() != 0)
    return "without root the state dir is by default in the user's runtime dir ($XDG_RUNTIME_DIR, else /run/user/UID, "
           "which pam_systemd makes at login); pass --state-dir with a directory of yours";
  if (error.err != EPERM && error.err != ELOOP && error.err != ENOTDIR) return {};
  if (error.what.rfind(kRefusingDir, 0) == 0)
    return "the state dir must be owned by the user running nsplan and every directory above it by root, none of "
           "them writable by group or others (a sticky directory like /tmp excepted), with no symbolic link on the "
           "way; fix the one named, or pass --state-dir with such a directory (the defaults are: /run/nsplan for "
           "root, the user's runtime dir $XDG_RUNTIME_DIR/nsplan or /run/user/UID/nsplan for another user)";
  if (error.what.rfind(kRefusingFile, 0) == 0)
    return "nsplan makes only regular files of its own there, and only the user running nsplan can write "
           "there: find out what made this one, then move it away by hand";
  return {};
}

std::string default_state_dir(unsigned euid, const char* xdg, bool xdg_is_theirs) {
  if (euid == 0) return "/run/nsplan";
  if (xdg && xdg[0] == '/' && xdg_is_theirs) {
    std::string dir = xdg;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return (dir == "/" ? "" : dir) + "/nsplan";
  }
  return "/run/user/" + std::to_string(euid) + "/nsplan";
}

std::string default_state_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  struct stat st {};
  const bool theirs = xdg && ::stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
  return default_state_dir(geteuid(), xdg, theirs);
}

SysResult<StateDir> StateDir::open(const std::string& given, bool create) {
  auto parts_result = components(given);
  if (!parts_result.ok()) return parts_result.error();
  const std::vector<std::string>& parts = parts_result.value();
  std::string path;
  for (const auto& p : parts) path += "/" + p;
  if (path.empty()) path = "/";
  auto refuse = [&](const std::string& why, int err) { return SysError{err, kRefusingDir + path + ": " + why, 0, {}}; };

  // Each component is opened relative to the descriptor of the one before, never through a
  // symbolic link, and checked on that descriptor before the walk goes on below it.
  Fd cur(::open("/", (parts.empty() ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC));
  if (cur.get() < 0) return errno_error("open /");
  std::string where = "/";
  for (size_t i = 0;; ++i) {
    struct stat st {};
    if (::fstat(cur.get(), &st) != 0) return errno_error("stat " + where);
    if (i == parts.size()) {
      std::string why = not_ours(st);
      if (!why.empty()) return refuse(why, EPERM);
      return StateDir(cur.release(), path);
    }
    std::string why = untrusted_above(st);
    if (!why.empty()) return refuse(where + " " + why, EPERM);

    const std::string& name = parts[i];
    where = where == "/" ? "/" + name : where + "/" + name;
    const bool last = i + 1 == parts.size();
    const int flags = (last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int next = ::openat(cur.get(), name.c_str(), flags);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("mkdir " + where);
      next = ::openat(cur.get(), name.c_str(), flags);
    }
    if (next < 0) {
      int err = errno;
      struct stat what {};
      if ((err == ELOOP || err == ENOTDIR) && ::fstatat(cur.get(), name.c_str(), &what, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(what.st_mode)) return refuse(where + " is a symbolic link, which nsplan does not follow", ELOOP);
        if (S_ISDIR(what.st_mode))  // not a directory when opened, one now
          return refuse(where + " changed while nsplan opened it: something, such as a symbolic link, was put in "
                        "its place and taken away again",
                        ENOTDIR);
        return refuse(where + " is " + kind_of(what.st_mode) + ", not a directory", ENOTDIR);
      }
      return errno_error("state dir " + path + ": open " + where, err);
    }
    cur = Fd(next);
  }
}

StateDir::StateDir(StateDir&& other) noexcept : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

StateDir::~StateDir() {
  if (fd_ >= 0) ::close(fd_);
}

SysResult<int> StateDir::open_file(const std::string& name, int flags) const {
  const std::string path = path_of(name);
  // O_NONBLOCK: a FIFO under this name must not hang the open; the check below refuses it.
  int fd = ::openat(fd_, name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    struct stat st {};
    if (err == ELOOP && ::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (auto refusal = refused_file(path, st)) return *refusal;
    }
    return errno_error("open " + path, err);
  }
  Fd file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("stat " + path);
  if (auto refusal = refused_file(path, st)) return *refusal;
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) return errno_error("fcntl " + path);
  return file.release();
}

SysResult<std::optional<std::string>> StateDir::read_file(const std::string& name) const {
  auto opened = open_file(name, O_RDONLY);
  if (!opened.ok()) {
    if (opened.err() == ENOENT) return std::optional<std::string>();
    return opened.error();
  }
  Fd file(opened.value());
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + path_of(name));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(text));
}

Status StateDir::replace_file(const std::string& name, const std::string& text) const {
  struct stat st {};
  if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (auto refusal = refused_file(path_of(name), st)) return *refusal;
  }
  const std::string tmp = name + ".tmp";
  // A .tmp left by a killed nsplan: only the user running nsplan can write here, so it is ours.
  if (::unlinkat(fd_, tmp.c_str(), 0) != 0 && errno != ENOENT) return errno_error("unlink " + path_of(tmp));
  int fd = ::openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("open " + path_of(tmp));
  Status s = write_all(fd, text, path_of(tmp));
  if (s.ok() && ::fsync(fd) != 0) s = errno_error("fsync " + path_of(tmp));
  ::close(fd);
  if (s.ok() && ::renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0) s = errno_error("rename " + path_of(tmp));
  if (!s.ok()) {
    ::unlinkat(fd_, tmp.c_str(), 0);
    return s;
  }
  // The rename is durable once the directory is.
  if (::fsync(fd_) != 0) return errno_error("fsync " + path_);
  return {};
}

Status StateDir::remove_file(const std::string& name) const {
  struct stat st {};
  if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return errno_error("stat " + path_of(name));
  }
  if (auto refusal = refused_file(path_of(name), st)) return *refusal;
  if (::unlinkat(fd_, name.c_str(), 0) != 0 && errno != ENOENT) return errno_error("unlink " + path_of(name));
  return {};
}

std::vector<std::string> StateDir::files_ending(const std::string& suffix) const {
  std::vector<std::string> out;
  int fd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // its own offset
  if (fd < 0) return out;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return out;
  }
  while (const dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (e->d_type == DT_REG && name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool StateDir::has_entry(const std::string& name) const {
  struct stat st {};
  return ::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace nsplan::applier
