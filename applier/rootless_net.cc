#include "applier/rootless_net.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace nsplan::applier {
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int fd, int sig) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0)); }

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
  pid_t child = ::fork();
  if (child < 0) {
    cleanup();
    return std::string("fork: ") + std::strerror(errno);
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int wstatus = 0;
  pid_t w;
  do w = ::waitpid(child, &wstatus, 0);
  while (w < 0 && errno == EINTR);
  if (w < 0 || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    cleanup();
    return r.program + " could not configure the network namespace (" +
           (WIFEXITED(wstatus) ? "exit status " + std::to_string(WEXITSTATUS(wstatus)) : std::string("killed by a signal")) + ")";
  }
  std::string text = read_text(pidfile);
  cleanup();
  char* end = nullptr;
  long pid = std::strtol(text.c_str(), &end, 10);
  if (pid <= 1 || end == text.c_str()) return r.program + " wrote no pid to its pid file";
  int fd = pidfd_open(static_cast<pid_t>(pid));
  if (fd < 0) return r.program + " (pid " + std::to_string(pid) + ") is gone: " + std::strerror(errno);
  // The pidfd pins one process; its name is read while it still lives, so that the name is its.
  std::string comm = read_text("/proc/" + std::to_string(pid) + "/comm");
  if (exited(fd, 0) || (comm.rfind("pasta", 0) != 0 && comm.rfind("passt", 0) != 0)) {
    ::close(fd);
    return r.program + " (pid " + std::to_string(pid) + ") exited, or pid " + std::to_string(pid) + " is not " + r.program;
  }
  out.pidfd = fd;
  out.pid = static_cast<pid_t>(pid);
  return {};
}

void stop_rootless_net(RootlessHelper& h) {
  if (h.pidfd < 0) return;
  if (!exited(h.pidfd, 0) && pidfd_send_signal(h.pidfd, SIGTERM) == 0 && !exited(h.pidfd, 1000))
    pidfd_send_signal(h.pidfd, SIGKILL);
  ::close(h.pidfd);
  h.pidfd = -1;
}

}  // namespace nsplan::applier
