#include "applier/systemd_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "applier/delegated_unit.h"
#include "applier/fd.h"

namespace nsplan::applier {
namespace {

// The clients come from the system, never from the caller's PATH; and no variable of the
// caller's environment (SYSTEMD_*, a pager) reaches them.
std::string client(const char* name) {
  for (const char* dir : {"/usr/bin/", "/bin/"}) {
    std::string path = std::string(dir) + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::string("/usr/bin/") + name;
}

struct Ran {
  int status = -1;     // exit status; -1: killed or not run
  std::string output;  // stdout and stderr together (at most 64 KiB)
};

// Runs ARGV (ARGV[0] an absolute path) and collects what it prints, for at most two minutes.
SysResult<Ran> run(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe for " + argv[0]);
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const char* env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=", "SYSTEMD_LOG_COLOR=0", nullptr};
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork for " + argv[0]);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(write_end.get(), 1) < 0 || ::dup2(write_end.get(), 2) < 0) ::_exit(127);
    ::execve(args[0], args.data(), const_cast<char* const*>(env));
    ::_exit(127);
  }
  write_end = Fd();
  Ran ran;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
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

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

SysError failed(const std::string& what, const Ran& ran) {
  return SysError{EIO, what + (ran.status < 0 ? " was killed" : " exited with " + std::to_string(ran.status)), 0, last_line(ran.output)};
}

}  // namespace

std::vector<std::string> delegated_unit_run_arguments(const std::string& unit, const std::string& slice) {
  std::vector<std::string> args{"--quiet", "--unit=" + unit};
  for (const auto& p : delegated_unit_properties(unit, slice)) args.push_back("--property=" + p.name + "=" + p.value);
  for (const auto& word : kDelegatedUnitCommand) args.push_back(word);
  return args;
}

SysResult<UnitState> systemd_unit_state(const std::string& unit, const std::string& cgroup_root) {
  auto ran = run({client("systemctl"), "show", "--property=LoadState,ActiveState,Transient,ControlGroup,Delegate,MainPID", "--", unit});
  if (!ran.ok()) return ran.error();
  if (ran.value().status != 0) return failed("systemctl show " + unit, ran.value());
  std::istringstream in(ran.value().output);
  std::string load, cgroup;
  UnitState s;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "LoadState") load = value;
    else if (key == "ActiveState") s.active_state = value;
    else if (key == "Transient") s.transient = value == "yes";
    else if (key == "Delegate") s.delegate = value == "yes";
    else if (key == "ControlGroup") cgroup = value;
    else if (key == "MainPID" && !value.empty() && value.find_first_not_of("0123456789") == std::string::npos) s.main_pid = value;
  }
  // A name systemd knows no unit of reads "not-found" (and "inactive"): nothing is there.
  if (load != "loaded") return SysError{ENOENT, "systemd unit " + unit + " (" + (load.empty() ? "no LoadState" : load) + ")", 0, {}};
  if (!cgroup.empty()) s.cgroup = cgroup_root + cgroup;
  return s;
}

Status systemd_start(const std::string& unit, const std::string& slice) {
  std::vector<std::string> argv{client("systemd-run")};
  for (auto& a : delegated_unit_run_arguments(unit, slice)) argv.push_back(std::move(a));
  auto ran = run(argv);
  if (!ran.ok()) return ran.error();
  if (ran.value().status != 0) return failed("systemd-run --unit=" + unit, ran.value());
  return {};
}

Status systemd_stop(const std::string& unit) {
  auto ran = run({client("systemctl"), "stop", "--", unit});
  if (!ran.ok()) return ran.error();
  if (ran.value().status == 5) return SysError{ENOENT, "systemctl stop " + unit + ": no such unit", 0, {}};  // "not loaded"
  if (ran.value().status != 0) return failed("systemctl stop " + unit, ran.value());
  return {};
}

}  // namespace nsplan::applier
