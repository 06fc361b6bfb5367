#include "applier/program_run.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applier/fd.h"

namespace nsplan::applier {

SysResult<ProgramRun> run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                  const std::string& input, std::chrono::milliseconds timeout) {
  return run_program_in_netns(-1, argv, env, input, timeout);
}

SysResult<ProgramRun> run_program_in_netns(int netns_fd, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                           const std::string& input, std::chrono::milliseconds timeout) {
  Fd in(::memfd_create("nsplan-input", MFD_CLOEXEC));
  if (in.get() < 0) return errno_error("memfd for the input of " + argv[0]);
  for (size_t done = 0; done < input.size();) {
    ssize_t n = ::write(in.get(), input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_error("writing the input of " + argv[0]);
    done += static_cast<size_t>(n);
  }
  if (::lseek(in.get(), 0, SEEK_SET) != 0) return errno_error("rewinding the input of " + argv[0]);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe for " + argv[0]);
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork for " + argv[0]);
  if (pid == 0) {
    if (::dup2(in.get(), 0) < 0 || ::dup2(write_end.get(), 1) < 0 || ::dup2(write_end.get(), 2) < 0) ::_exit(127);
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) ::_exit(126);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  write_end = Fd();
  ProgramRun ran;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r <= 0) continue;
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (ran.output.size() < 65536) ran.output.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return errno_error("waiting for " + argv[0]);
  ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

}  // namespace nsplan::applier
