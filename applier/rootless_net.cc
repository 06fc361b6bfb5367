#include "applier/rootless_net.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "applier/pidfd.h"

namespace nsplan::applier {
namespace {

bool exited(int pidfd, int timeout_ms) {
  struct pollfd p {pidfd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r == 1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr const char* kSystemDirs = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

// FILE (followed, as exec follows it) and DIR owned by root and writable by no one else.
bool only_root_can_change(const std::string& dir, const std::string& file) {
  struct stat d {}, f {};
  if (::stat(dir.c_str(), &d) != 0 || ::stat(file.c_str(), &f) != 0) return false;
  auto safe = [](const struct stat& st) { return st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0; };
  return safe(d) && safe(f);
}

}  // namespace

std::string find_rootless_program(const plan::RootlessNet& r, std::string& why) {
  // Root does not take the program from $PATH: the environment is input, and a directory some
  // user can write may be on it. It looks in the system's directories, at files only root can change.
  const bool root = r.system_dirs_only;
  const char* path = std::getenv("PATH");
  std::string dirs = !root && path && *path ? path : kSystemDirs;
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && dir[0] == '/') {
      std::string candidate = dir + "/" + r.program;
      if (::access(candidate.c_str(), X_OK) == 0 && (!root || only_root_can_change(dir, candidate))) return candidate;
    }
    start = end + 1;
  }
  why = r.program + " is not in " + (root ? std::string(kSystemDirs) + " as a file only root can change" : "$PATH") + " (" +
        r.origin.where + ": namespaces.net.rootless: " + r.program + "): install passt (apt-get install passt)";
  return {};
}

namespace {

// Stops a helper that is still nsplan's child: SIGTERM, SIGKILL after a second, reaped.
void stop_child(int pidfd, pid_t pid) {
  if (!exited(pidfd, 0) && pidfd_send_signal(pidfd, SIGTERM) == 0 && !exited(pidfd, 1000))
    pidfd_send_signal(pidfd, SIGKILL);
  reap(pid);
}

// Waits until PIDFILE holds a whole line (pasta writes "PID\n" once it has configured the
// namespace) or the helper behind PIDFD has exited. Returns the line without its newline, or
// nothing when the helper exited first or the wait failed (errno says which).
std::optional<std::string> await_pid_line(const std::string& dir, const std::string& pidfile, int pidfd) {
  // Woken by the directory's changes; without inotify, by a 10 ms tick.
  int in = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (in >= 0 && ::inotify_add_watch(in, dir.c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE) < 0) {
    ::close(in);
    in = -1;
  }
  std::optional<std::string> line;
  for (;;) {
    // Read after the watch is set, so that a write before it is not missed.
    std::string text = read_text(pidfile);
    if (size_t nl = text.find('\n'); nl != std::string::npos) {
      line = text.substr(0, nl);
      break;
    }
    struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {in, POLLIN, 0}};
    int r = ::poll(fds, 2, in >= 0 ? -1 : 10);
    if (r < 0 && errno != EINTR) break;
    if (r > 0 && fds[0].revents) {
      // Exited: a line written just before still counts.
      text = read_text(pidfile);
      if (size_t nl = text.find('\n'); nl != std::string::npos) line = text.substr(0, nl);
      break;
    }
    char drain[4096];
    while (in >= 0 && ::read(in, drain, sizeof drain) > 0) {
    }
  }
  const int err = errno;  // poll's, when it failed
  if (in >= 0) ::close(in);
  errno = err;
  return line;
}

}  // namespace

std::string start_rootless_net(const plan::RootlessNet& r, const std::string& program, pid_t target, RootlessHelper& out) {
  char dir_template[] = "/tmp/nsplan-rootless-XXXXXX";
  if (!::mkdtemp(dir_template)) return std::string("mkdtemp: ") + std::strerror(errno);
  const std::string dir = dir_template, pidfile = dir + "/pid";
  auto cleanup = [&] {
    ::unlink(pidfile.c_str());
    ::rmdir(dir.c_str());
  };
  std::vector<std::string> args{program};
  args.insert(args.end(), r.options.begin(), r.options.end());
  args.insert(args.end(), {"-P", pidfile, std::to_string(target)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) {
    const int err = errno;  // before cleanup's unlink of a pid file that is not there
    cleanup();
    return std::string("fork: ") + std::strerror(err);
  }
  if (child == 0) {
    // A session of its own: the terminal's signals (Ctrl-C) are the command's, not its network's.
    ::setsid();
    // It dies with nsplan: a killed nsplan leaves no helper holding the namespace. (pasta keeps
    // it across its own exec and its change into the target's user namespace: same uid, no
    // set-uid file.)
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  // nsplan's own unreaped child: the pidfd names it and no other process.
  int fd = pidfd_open(child);
  if (fd < 0) {
    int err = errno;
    ::kill(child, SIGKILL);  // still unreaped: the pid is the child's
    reap(child);
    cleanup();
    return std::string("pidfd_open: ") + std::strerror(err);
  }
  // In the foreground (--foreground, planned) pasta writes its own pid once it has configured
  // the namespace; it exits instead when it cannot.
  std::optional<std::string> line = await_pid_line(dir, pidfile, fd);
  const int wait_err = errno;
  cleanup();
  if (!line && !exited(fd, 0)) {  // poll itself failed
    int err = wait_err;
    stop_child(fd, child);
    ::close(fd);
    return "waiting for " + r.program + ": " + std::strerror(err);
  }
  if (!line) {
    const int wstatus = reap(child);
    ::close(fd);
    return r.program + " could not configure the network namespace (" +
           (WIFEXITED(wstatus) ? "exit status " + std::to_string(WEXITSTATUS(wstatus)) : std::string("killed by a signal")) + ")";
  }
  if (*line != std::to_string(child)) {
    stop_child(fd, child);
    ::close(fd);
    // The file is the helper's text: shown only when it is a number.
    bool number = !line->empty() && line->size() <= 10 && line->find_first_not_of("0123456789") == std::string::npos;
    return r.program + " wrote " + (number ? "pid " + *line : std::string("something other than a pid")) +
           " to its pid file, not its own (" + std::to_string(child) + ")";
  }
  out.pidfd = fd;
  out.pid = child;
  return {};
}

void stop_rootless_net(RootlessHelper& h) {
  if (h.pidfd < 0) return;
  stop_child(h.pidfd, h.pid);
  ::close(h.pidfd);
  h.pidfd = -1;
}

}  // namespace nsplan::applier
