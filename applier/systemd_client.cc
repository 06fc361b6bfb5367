#include "applier/systemd_client.h"

#include <unistd.h>

#include <chrono>
#include <sstream>

#include "applier/delegated_unit.h"
#include "applier/program_run.h"

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

using Ran = ProgramRun;

// Runs ARGV (ARGV[0] an absolute path) and collects what it prints, for at most two minutes.
SysResult<Ran> run(const std::vector<std::string>& argv) {
  static const std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=",
                                            "SYSTEMD_LOG_COLOR=0"};
  return run_program(argv, env, {}, std::chrono::minutes(2));
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
