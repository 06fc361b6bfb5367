#include "applier/git_files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "compiler/escape.h"

namespace nsplan::applier {
namespace {

// Handles of this reader's directories start here, above those of the disk reader it passes
// search-path requests to, so the two never take each other's.
constexpr int kFirstGitDirectory = 1 << 24;

FileContent failed(const std::string& error, const std::string& hint = {}) {
  FileContent out;
  out.error = error;
  out.hint = hint;
  return out;
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

std::optional<GitSource> parse_git_source(const std::string& arg, std::string& error) {
  if (arg.rfind("git:", 0) != 0) return std::nullopt;
  std::string rest = arg.substr(4);
  size_t colon = rest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    error = "'" + text::escaped(arg) + "' is not git:REV:PATH (e.g. git:HEAD:profiles/lab.yaml)";
    return std::nullopt;
  }
  GitSource s{rest.substr(0, colon), rest.substr(colon + 1)};
  // git would read "-x:path" as an option; no revision name starts with '-'.
  if (s.rev[0] == '-') {
    error = "'" + text::escaped(arg) + "': a revision does not start with '-'";
    return std::nullopt;
  }
  if (s.rev.find_first_of(std::string("\0\n", 2)) != std::string::npos ||
      s.path.find_first_of(std::string("\0\n", 2)) != std::string::npos) {
    error = "'" + text::escaped(arg) + "': no newline or NUL in a revision or path";
    return std::nullopt;
  }
  return s;
}

FileContent read_git_blob(const std::string& rev, const std::string& path, size_t max_bytes) {
  if (rev.empty() || rev[0] == '-') return failed("a revision does not start with '-'");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return failed(std::string("pipe: ") + std::strerror(errno));
  const std::string object = rev + ":" + path;  // starts with REV: never an option
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return failed(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    // The child: stdout to the pipe, nothing to read, git's own messages to our stderr.
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0) _exit(127);
    // cat-file shows the blob as stored: no textconv, no filter of the repository's config.
    const char* argv[] = {"git", "cat-file", "blob", object.c_str(), nullptr};
    execvp("git", const_cast<char* const*>(argv));
    _exit(127);
  }
  close(fds[1]);
  std::string text;
  bool too_large = false;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      too_large = true;
      kill(pid, SIGKILL);
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_large)
    return failed("the blob is larger than " + std::to_string(max_bytes >> 10) + " KiB; a profile is a few KiB");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && text.empty())
    return failed("cannot run git (or git found nothing)", "git must be on PATH, and nsplan run inside the repository");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return failed("git cat-file blob '" + text::escaped(object) + "' failed" +
                      (WIFEXITED(status) ? " (exit status " + std::to_string(WEXITSTATUS(status)) + ")" : std::string(" (killed)")),
                  "git's own message is above (nsplan reads git:REV:PATH from the repository of the current directory)");
  FileContent out;
  out.ok = true;
  out.text = std::move(text);
  out.identity = "git:" + object;
  return out;
}

FileReader git_file_reader(const GitSource& source, size_t max_bytes) {
  struct State {
    GitSource source;
    size_t max_bytes;
    FileReader disk;
    std::vector<std::string> directories;  // in the revision's tree ("" = its top)
  };
  auto st = std::make_shared<State>(State{source, max_bytes, profile_file_reader(max_bytes), {}});
  return [st](const FileRequest& r) -> FileContent {
    std::string path;
    if (r.within == FileRequest::Within::AsGiven) {
      if (r.path != "git:" + st->source.rev + ":" + st->source.path) return st->disk(r);
      path = st->source.path;
    } else if (r.within == FileRequest::Within::IncludingDirectory && r.directory >= kFirstGitDirectory) {
      size_t i = static_cast<size_t>(r.directory - kFirstGitDirectory);
      if (i >= st->directories.size()) return failed("the directory of the file that names it was not read by this reader");
      // The loader gives a name without "." or ".." components (loader.h): it stays below.
      path = st->directories[i].empty() ? r.name : st->directories[i] + "/" + r.name;
    } else {
      return st->disk(r);
    }
    FileContent out = read_git_blob(st->source.rev, path, st->max_bytes);
    if (!out.ok) return out;
    st->directories.push_back(directory_of(path));
    out.directory = kFirstGitDirectory + static_cast<int>(st->directories.size() - 1);
    return out;
  };
}

}  // namespace nsplan::applier
