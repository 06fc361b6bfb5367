#include "applier/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsplan::applier {

FileContent read_profile_file(const std::string& path, size_t max_bytes) {
  FileContent out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    out.error = std::strerror(errno);
    return out;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out.error = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
    close(fd);
    return out;
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    out.error = "file is larger than " + std::to_string(max_bytes >> 10) + " KiB; a profile is a few KiB";
    close(fd);
    return out;
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = std::strerror(errno);
      close(fd);
      return out;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      out.error = "file is larger than " + std::to_string(max_bytes >> 10) + " KiB";
      close(fd);
      return out;
    }
  }
  close(fd);
  out.ok = true;
  out.text = std::move(text);
  out.identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  return out;
}

}  // namespace nsplan::applier
