#include "applier/mini_init.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "applier/launch_steps.h"

namespace nsplan::applier {
namespace {

int status_of(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

[[noreturn]] void serve(pid_t command, const sigset_t& waited) {
  // Descriptors the command needed are its own now; the init keeps only 0-2 (as tini does).
  syscall(SYS_close_range, 3u, ~0u, 0u);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&waited, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      ::kill(command, sig);
      continue;
    }
    // SIGCHLD is not queued per child: reap everything that has ended.
    int wstatus;
    pid_t pid;
    while ((pid = ::waitpid(-1, &wstatus, WNOHANG)) > 0)
      if (pid == command) _exit(status_of(wstatus));  // the kernel then kills the rest of the namespace
  }
}

}  // namespace

int fork_under_init() {
  // The init takes signals through sigwaitinfo: blocked before the fork so that none is lost,
  // and blocked signals reach PID 1 even without a handler (the kernel drops only unblocked ones).
  for (int s : launch::kForwarded) signal(s, SIG_DFL);
  sigset_t waited, old;
  sigemptyset(&waited);
  for (int s : launch::kForwarded) sigaddset(&waited, s);
  sigaddset(&waited, SIGCHLD);
  signal(SIGCHLD, SIG_DFL);  // an ignored SIGCHLD would reap the command before the init sees it
  sigprocmask(SIG_BLOCK, &waited, &old);
  pid_t pid = fork();
  if (pid != 0) {
    if (pid < 0) {
      int err = errno;
      sigprocmask(SIG_SETMASK, &old, nullptr);
      errno = err;
      return -1;
    }
    serve(pid, waited);
  }
  // The command dies with nsplan as without an init (the init dies with nsplan; so would the
  // whole namespace, but only once the kernel gets to it).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return 0;
}

}  // namespace nsplan::applier
