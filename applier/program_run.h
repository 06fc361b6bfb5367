// Running a program of the system by fork/exec, for the few things nsplan asks of other tools
// (systemd's clients, nft): an absolute path, an argument vector, a fixed environment, given
// input on stdin, and what it prints (stdout and stderr together) collected.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "applier/sys_error.h"

namespace nsplan::applier {

struct ProgramRun {
  int status = -1;     // exit status; -1: killed or not run
  std::string output;  // stdout and stderr together (at most 64 KiB)
};

// Runs ARGV (ARGV[0] an absolute path) with exactly ENV ("NAME=value"), INPUT on its stdin (a
// memory file: nothing blocks on it and no SIGPIPE comes of it), for at most TIMEOUT, then kills
// it. Status 127: it could not be run.
SysResult<ProgramRun> run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                  const std::string& input, std::chrono::milliseconds timeout);
// The same, run in the network namespace NETNS_FD names (setns before exec; -1: nsplan's own).
SysResult<ProgramRun> run_program_in_netns(int netns_fd, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                           const std::string& input, std::chrono::milliseconds timeout);

}  // namespace nsplan::applier
