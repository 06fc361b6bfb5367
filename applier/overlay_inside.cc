#include "applier/overlay_inside.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "applier/fd.h"

namespace nsplan::applier::launch {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Why opening DIR as a directory without following failed, in words.
std::string not_a_directory(const std::string& dir) {
  int err = errno;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return dir + " is a symbolic link; nsplan does not follow it";
  if (err == ENOTDIR) return dir + " is not a directory";
  errno = err;
  return dir + ": " + errno_text();
}


}  // namespace

std::string mount_overlay(const plan::MountOverlay& o) {
  std::vector<std::string> dirs = o.lower;
  if (!o.upper.empty()) dirs.insert(dirs.end(), {o.upper, o.work});
  std::string lower;
  for (const auto& d : o.lower) lower += (lower.empty() ? "" : ":") + d;
  for (const auto& d : dirs) {
    // The profile's paths were checked at their keys; the state dir's (upper: tmpfs) only here.
    if (d.find_first_of(":,\\") != std::string::npos) return "overlay directory " + d + " holds a ':', ',' or '\\'";
    int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "overlay on " + o.target + ": " + not_a_directory(d);
    ::close(fd);
  }
  std::string data = "lowerdir=" + lower;
  if (!o.upper.empty()) data += ",upperdir=" + o.upper + ",workdir=" + o.work;
  unsigned long flags = o.upper.empty() ? MS_RDONLY : 0;
  if (::mount("overlay", o.target.c_str(), "overlay", flags, data.c_str()) != 0)
    return "overlay on " + o.target + ": " + errno_text();
  return "";
}

std::string create_path(const plan::CreatePath& c) {
  using K = plan::CreatePath::Kind;
  Fd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return "open /: " + errno_text();
  std::string walked;
  size_t start = 1;
  for (size_t slash; (slash = c.path.find('/', start)) != std::string::npos; start = slash + 1) {
    std::string part = c.path.substr(start, slash - start);
    walked += "/" + part;
    int next = ::openat(dir.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return "create " + c.path + ": " + not_a_directory(walked);
    dir = Fd(next);
  }
  const std::string name = c.path.substr(start);
  auto failed = [&](const char* what) {
    if (errno == EEXIST) return c.path + " exists already; nsplan never replaces what is there";
    return std::string(what) + " " + c.path + ": " + errno_text();
  };
  switch (c.kind) {
    case K::Dir: {
      if (::mkdirat(dir.get(), name.c_str(), 0700) != 0) return failed("mkdir");
      Fd made(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (made.get() < 0 || ::fchmod(made.get(), c.mode) != 0) return failed("chmod");
      return "";
    }
    case K::Symlink:
      if (::symlinkat(c.target.c_str(), dir.get(), name.c_str()) != 0) return failed("symlink");
      return "";
    case K::File: {
      Fd file(::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (file.get() < 0) return failed("create");
      if (::fchmod(file.get(), c.mode) != 0) return failed("chmod");
      for (size_t done = 0; done < c.text.size();) {
        ssize_t n = ::write(file.get(), c.text.data() + done, c.text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return failed("write");
        done += static_cast<size_t>(n);
      }
      return "";
    }
  }
  return "";
}

}  // namespace nsplan::applier::launch
