#include "applier/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "applier/state_dir.h"
#include "compiler/names.h"

namespace nsplan::applier {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStayBelowHint =
    "include: and extends: name files below the directory of the file that names them, and a symbolic link "
    "there may point only below it too";
constexpr const char* kSearchPathHint =
    "what the search path holds is read with nsplan's privileges: its directories and files must be owned by root "
    "(or the user running nsplan) and not be writable by group or others (chmod go-w)";

FileContent refused(std::string error, std::string hint = {}) {
  FileContent c;
  c.error = std::move(error);
  c.hint = std::move(hint);
  return c;
}

FileContent open_failed(int err, const FileRequest& r) {
  switch (err) {
    case ENOENT: {
      FileContent c = refused(std::strerror(err));
      c.missing = true;
      return c;
    }
    case EXDEV:
      return refused("a symbolic link leads out of '" + r.directory_path + "'; expected a file below it",
                     kStayBelowHint);
    case ELOOP:
      return refused("too many symbolic links, or a /proc magic link, on the way", kStayBelowHint);
    case ENOSYS:
      return refused("this kernel has no openat2 (Linux 5.6), which nsplan needs to open included files safely");
    default:
      return refused(std::strerror(err));
  }
}

// openat2 below `directory` and nowhere else: a "..", an absolute symbolic link or one that
// points out fails with EXDEV, a /proc magic link with ELOOP. EAGAIN means that a rename raced
// with the walk: the kernel asks to try again.
int open_beneath(int directory, const std::string& name, uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, directory, name.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN || attempt == 16) return static_cast<int>(fd);
  }
}

std::string not_regular(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory, not a regular file";
  if (S_ISFIFO(mode)) return "is a FIFO, not a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

// Empty when only root or the user running nsplan can change what `st` describes.
std::string untrusted(const struct stat& st) {
  if (st.st_uid != 0 && st.st_uid != geteuid())
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by root or the user running nsplan";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string("is writable by group or others (mode ") + mode + ")";
  }
  return {};
}

}  // namespace

int ProfileFiles::add_directory(int fd, bool search_path) {
  directories_.emplace_back();
  directories_.back().fd = Fd(fd);
  directories_.back().search_path = search_path;
  return static_cast<int>(directories_.size() - 1);
}

FileContent ProfileFiles::read(const FileRequest& r) {
  switch (r.within) {
    case FileRequest::Within::AsGiven: {
      // The operator's own choice, wherever it is. Its directory is opened first and the file
      // from there, so that what it includes is looked up in the directory it was read from.
      fs::path path(r.path);
      std::string dir = path.parent_path().empty() ? "." : path.parent_path().string();
      std::string base = path.filename().empty() ? "." : path.filename().string();
      Fd directory(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (directory.get() < 0) return open_failed(errno, r);
      Fd file(openat(directory.get(), base.c_str(), O_PATH | O_CLOEXEC));
      if (file.get() < 0) return open_failed(errno, r);
      return read_opened(file, r, add_directory(directory.release(), false));
    }
    case FileRequest::Within::StandardInput:
      return read_standard_input();
    case FileRequest::Within::IncludingDirectory:
      if (r.directory < 0 || static_cast<size_t>(r.directory) >= directories_.size())
        return refused("the directory of the file that names it was not opened by this reader");
      return open_below(r.directory, r);
    case FileRequest::Within::SearchDirectory: {
      auto known = search_directories_.find(r.search_directory);
      if (known != search_directories_.end()) return open_below(known->second, r);
      if (r.search_directory.empty() || r.search_directory[0] != '/')
        return refused("the search directory '" + r.search_directory + "' is not an absolute path");
      Fd directory(open(r.search_directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (directory.get() < 0) return open_failed(errno, r);
      struct stat st {};
      if (fstat(directory.get(), &st) != 0) return refused(std::strerror(errno));
      if (std::string problem = untrusted(st); !problem.empty())
        return refused("the profile search directory '" + r.search_directory + "' " + problem, kSearchPathHint);
      int handle = add_directory(directory.release(), true);
      search_directories_[r.search_directory] = handle;
      return open_below(handle, r);
    }
  }
  return refused("unknown kind of request");
}

FileContent ProfileFiles::open_below(int handle, const FileRequest& r) {
  const Directory& parent = directories_[static_cast<size_t>(handle)];  // a deque keeps references
  Fd file(open_beneath(parent.fd.get(), r.name, O_PATH));
  if (file.get() < 0) return open_failed(errno, r);
  // What this file names in turn is looked up below its own directory, opened the same way.
  int directory = handle;
  std::string dir = fs::path(r.name).parent_path().string();
  if (!dir.empty()) {
    Fd opened(open_beneath(parent.fd.get(), dir, O_PATH | O_DIRECTORY));
    if (opened.get() < 0) return open_failed(errno, r);
    struct stat st {};
    if (fstat(opened.get(), &st) != 0) return refused(std::strerror(errno));
    if (std::string problem = untrusted(st); parent.search_path && !problem.empty())
      return refused("its directory " + problem, kSearchPathHint);
    directory = add_directory(opened.release(), parent.search_path);
  }
  return read_opened(file, r, directory);
}

FileContent ProfileFiles::read_opened(const Fd& file, const FileRequest& r, int directory) {
  struct stat st {};
  if (fstat(file.get(), &st) != 0) return refused(std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return refused(not_regular(st.st_mode),
                   r.within == FileRequest::Within::AsGiven ? "" : "include: and extends: name regular files");
  if (std::string problem = untrusted(st); directories_[static_cast<size_t>(directory)].search_path && !problem.empty())
    return refused("it " + problem, kSearchPathHint);
  if (static_cast<size_t>(st.st_size) > max_bytes_)
    return refused("file is larger than " + std::to_string(max_bytes_ >> 10) + " KiB; a profile is a few KiB");
  // Reopened for reading through the descriptor, not the name: it is the very file just checked.
  std::string by_descriptor = "/proc/self/fd/" + std::to_string(file.get());
  Fd in(open(by_descriptor.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (in.get() < 0) {
    if (errno == ENOENT) return refused("cannot reopen it through /proc/self/fd", "nsplan reads profiles with /proc mounted");
    return refused(std::strerror(errno));
  }
  struct stat reopened {};
  if (fstat(in.get(), &reopened) != 0 || reopened.st_dev != st.st_dev || reopened.st_ino != st.st_ino)
    return refused("it changed while it was opened");
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refused(std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes_) return refused("file is larger than " + std::to_string(max_bytes_ >> 10) + " KiB");
  }
  FileContent out;
  out.ok = true;
  out.text = std::move(text);
  out.identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  out.directory = directory;
  return out;
}

FileContent ProfileFiles::read_standard_input() {
  // Once: a second `-` would find it at its end (the command line refuses two).
  if (stdin_read_) return refused("standard input was read already, for another -");
  stdin_read_ = true;
  struct stat st {};
  if (fstat(STDIN_FILENO, &st) != 0) return refused("standard input: " + std::string(std::strerror(errno)), "give the profile's file instead of -");
  if (S_ISDIR(st.st_mode)) return refused("standard input is a directory, not a profile");
  if (S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) > max_bytes_)
    return refused("standard input is larger than " + std::to_string(max_bytes_ >> 10) + " KiB; a profile is a few KiB");
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {  // a non-blocking descriptor: wait until there is more
      pollfd p{STDIN_FILENO, POLLIN, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    if (n < 0) return refused("standard input: " + std::string(std::strerror(errno)));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    // Stopped here: no more of an endless stream is read than a profile may hold.
    if (text.size() > max_bytes_)
      return refused("standard input is larger than " + std::to_string(max_bytes_ >> 10) + " KiB; a profile is a few KiB");
  }
  FileContent out;
  out.ok = true;
  out.text = std::move(text);
  out.identity = "stdin";
  return out;
}

FileReader profile_file_reader(size_t max_bytes) {
  auto files = std::make_shared<ProfileFiles>(max_bytes);
  return [files](const FileRequest& request) { return files->read(request); };
}

std::vector<std::string> profile_names_in(const std::string& directory) {
  std::vector<std::string> names;
  DIR* d = opendir(directory.c_str());
  if (!d) return names;
  const std::string suffix = ".yaml";
  while (dirent* e = readdir(d)) {
    std::string file = e->d_name;
    if (file.size() <= suffix.size() || !file.ends_with(suffix)) continue;
    std::string name = file.substr(0, file.size() - suffix.size());
    if (is_name(name) && names.size() < 4096) names.push_back(name);
  }
  closedir(d);
  return names;
}

FileContent read_profile_file(const std::string& path, size_t max_bytes) {
  FileRequest request;
  request.path = path;
  return ProfileFiles(max_bytes).read(request);
}

}  // namespace nsplan::applier

namespace nsplan::applier {

namespace {

// mkostemp: a new file of a random name, O_EXCL, mode 0600, in the directory of PATH, given TEXT
// (and KEEP's owner and mode, when given); the rename then replaces PATH itself (a symbolic link
// there is replaced, not followed).
Status replace_through_new_file(const std::string& path, const std::string& text, const struct stat* keep) {
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return errno_error("create a file beside " + path);
  Status s = write_all(fd, text, tmp);
  // Owner first: chown clears set-id bits, which the chmod then puts back.
  if (keep && s.ok() && ::fchown(fd, keep->st_uid, keep->st_gid) != 0 && (errno != EPERM || keep->st_uid != ::geteuid()))
    s = errno_error("chown " + tmp);
  if (keep && s.ok() && ::fchmod(fd, keep->st_mode & 07777) != 0) s = errno_error("chmod " + tmp);
  if (s.ok() && ::fsync(fd) != 0) s = errno_error("fsync " + tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = errno_error("rename " + tmp + " to " + path);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

}  // namespace

Status write_file_replacing(const std::string& path, const std::string& text) {
  return replace_through_new_file(path, text, nullptr);
}

Status rewrite_file(const std::string& path, const std::string& text) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno_error("stat " + path);
  if (S_ISLNK(st.st_mode)) return SysError{ELOOP, path + " is a symbolic link; name the file it points to", 0, {}};
  if (!S_ISREG(st.st_mode)) return SysError{EINVAL, path + " is not a regular file", 0, {}};
  return replace_through_new_file(path, text, &st);
}

}  // namespace nsplan::applier
