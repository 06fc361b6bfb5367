// Processes named by a pidfd, and nsplan's own children reaped: a pidfd taken while the process
// is known to be the one meant (nsplan's unreaped child, a member read from a frozen cgroup)
// names it and no later process that reuses its pid.
#pragma once
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace nsplan::applier {

inline int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

inline int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Waits for nsplan's child PID to end (through EINTR) and returns its wait status; 0 when there
// is no such child.
inline int reap(pid_t pid) {
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  return wstatus;
}

}  // namespace nsplan::applier
