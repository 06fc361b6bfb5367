#include "applier/cgroup_control.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "applier/cgroup_usage.h"
#include "applier/fd.h"
#include "applier/pidfd.h"

namespace nsplan::applier {
namespace {

using Clock = std::chrono::steady_clock;

template <class T>
const T* as(const Undo& u) {
  return std::get_if<T>(&u);
}

bool below(const std::string& dir, const std::string& parent) {
  return dir.size() > parent.size() && dir.compare(0, parent.size(), parent) == 0 && dir[parent.size()] == '/';
}

std::vector<pid_t> pids_of(const std::string& procs) {
  std::vector<pid_t> out;
  std::istringstream in(procs);
  long pid = 0;
  while (in >> pid)
    if (pid > 0) out.push_back(static_cast<pid_t>(pid));
  return out;
}

std::string command_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string line;
  std::getline(in, line);
  return line;
}

// "frozen 1" in cgroup.events.
bool event_is(const std::string& events, const std::string& key, uint64_t value) {
  auto keys = key_numbers(events);
  auto it = keys.find(key);
  return it != keys.end() && it->second == value;
}

}  // namespace

std::vector<OwnedCgroup> owned_leaf_cgroups(const std::vector<Owned>& records) {
  std::vector<OwnedCgroup> made;
  for (const auto& r : records)
    if (const auto* u = as<RemoveCgroup>(r.undo)) made.push_back({u->dir, r.id});
  std::vector<OwnedCgroup> leaves;
  for (const auto& m : made)
    if (std::none_of(made.begin(), made.end(), [&](const OwnedCgroup& o) { return below(o.dir, m.dir); }))
      leaves.push_back(m);
  return leaves;
}

std::vector<std::string> still_owned(Kernel& kernel, const std::vector<OwnedCgroup>& cgroups) {
  std::vector<std::string> dirs;
  for (const auto& cg : cgroups) {
    if (!cg.id.known()) continue;
    auto now = kernel.cgroup_id(cg.dir);
    if (now.ok() && now.value() == cg.id) dirs.push_back(cg.dir);
  }
  return dirs;
}

int signal_number(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit))
    return text.size() <= 2 && std::stoi(text) >= 1 && std::stoi(text) < NSIG ? std::stoi(text) : 0;
  std::string name;
  for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  static const std::pair<const char*, int> kNames[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
      {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"ALRM", SIGALRM},
      {"WINCH", SIGWINCH}, {"PWR", SIGPWR}};
  for (const auto& [n, s] : kNames)
    if (name == n) return s;
  return 0;
}

Status CgroupControl::check_identities() {
  if (cgroups_.empty()) return SysError{ENOENT, "the profile's state records no cgroup that nsplan made", 0, {}};
  for (const auto& cg : cgroups_) {
    if (!cg.id.known())
      return SysError{EPERM, cg.dir + ": the state does not record which cgroup nsplan made; left alone", 0, {}};
    auto now = kernel_.cgroup_id(cg.dir);
    if (!now.ok()) return now.error();
    if (!(now.value() == cg.id))
      return SysError{EPERM,
                      cg.dir + " is not the cgroup nsplan made (recorded " + cg.id.text() + ", now " + now.value().text() +
                          "); left alone",
                      0,
                      {}};
  }
  return {};
}

SysResult<std::vector<Task>> CgroupControl::tasks() {
  if (Status s = check_identities(); !s.ok()) return s.error();
  std::set<pid_t> seen;
  std::vector<Task> out;
  for (const auto& cg : cgroups_) {
    auto procs = kernel_.cgroup_read(cg.dir, "cgroup.procs");
    if (!procs.ok()) return procs.error();
    for (pid_t pid : pids_of(procs.value()))
      if (seen.insert(pid).second) out.push_back({pid, command_of(pid)});
  }
  return out;
}

// Freezing the group nsplan runs in would stop nsplan itself; killing it would kill nsplan.
Status CgroupControl::refuse_if_inside() {
  auto list = tasks();
  if (!list.ok()) return list.error();
  const pid_t self = ::getpid();
  for (const auto& t : list.value())
    if (t.pid == self)
      return SysError{EDEADLK, "nsplan itself runs in the profile's cgroup; run it from outside", 0, {}};
  return {};
}

const OwnedCgroup* CgroupControl::freezer() const {
  if (facts_.mode == CgroupMode::V2) return cgroups_.empty() ? nullptr : &cgroups_.front();
  const std::string root = facts_.hierarchy_of("freezer");
  for (const auto& cg : cgroups_)
    if (below(cg.dir, root)) return &cg;
  return nullptr;
}

Status CgroupControl::freeze_one(const OwnedCgroup& cg, bool frozen) {
  const bool v2 = facts_.mode == CgroupMode::V2;
  const char* file = v2 ? "cgroup.freeze" : "freezer.state";
  if (Status s = kernel_.cgroup_write(cg.dir, file, v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED")); !s.ok())
    return s;
  // The kernel freezes tasks one by one; the state file says when all are.
  const auto deadline = Clock::now() + timeout_;
  for (;;) {
    auto now = kernel_.cgroup_read(cg.dir, v2 ? "cgroup.events" : "freezer.state");
    if (!now.ok()) return now.error();
    bool reached = v2 ? event_is(now.value(), "frozen", frozen ? 1 : 0) : now.value() == (frozen ? "FROZEN" : "THAWED");
    if (reached) return {};
    if (Clock::now() > deadline)
      return SysError{ETIMEDOUT, cg.dir + ": still not " + (frozen ? "frozen" : "thawed") + " (" + now.value() + ")", 0, {}};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Status CgroupControl::set_frozen(bool frozen) {
  if (Status s = check_identities(); !s.ok()) return s;
  const OwnedCgroup* cg = freezer();
  if (!cg)
    return SysError{ENOTSUP,
                    "the profile's cgroup is not in the v1 freezer hierarchy (" + facts_.hierarchy_of("freezer") +
                        "); add freezer to cgroup.membership and apply",
                    0,
                    {}};
  if (frozen)
    if (Status s = refuse_if_inside(); !s.ok()) return s;
  return freeze_one(*cg, frozen);
}

Status CgroupControl::wait_empty() {
  const auto deadline = Clock::now() + timeout_;
  for (;;) {
    auto left = tasks();
    if (!left.ok()) return left.error();
    if (left.value().empty()) return {};
    if (Clock::now() > deadline)
      return SysError{ETIMEDOUT, std::to_string(left.value().size()) + " process(es) still in the profile's cgroups", 0, {}};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// A frozen task can neither fork nor exit: the pids read are the tasks signalled. The signals
// arrive when the group thaws.
Status CgroupControl::signal_frozen(int sig) {
  if (Status s = set_frozen(true); !s.ok()) return s;
  Status result;
  auto list = tasks();
  if (!list.ok()) result = list.error();
  else
    for (const auto& t : list.value())
      if (::kill(t.pid, sig) != 0 && errno != ESRCH) {
        result = errno_error("kill " + std::to_string(t.pid));
        break;
      }
  Status thawed = set_frozen(false);
  return result.ok() ? thawed : result;
}

// Without a freezer: a pidfd pins the process seen in the cgroup; it is signalled only if it is
// still listed there after the pidfd was taken (so a reused pid outside is never hit).
Status CgroupControl::signal_by_pidfd(int sig) {
  std::set<pid_t> signalled;
  for (int pass = 0; pass < 1000; ++pass) {
    auto list = tasks();
    if (!list.ok()) return list.error();
    bool any_new = false;
    for (const auto& t : list.value()) {
      if (signalled.count(t.pid)) continue;
      Fd fd(pidfd_open(t.pid));
      if (fd.get() < 0) {
        if (errno == ESRCH) continue;
        return errno_error("pidfd_open " + std::to_string(t.pid));
      }
      auto again = tasks();
      if (!again.ok()) return again.error();
      const auto& now = again.value();
      if (std::none_of(now.begin(), now.end(), [&](const Task& x) { return x.pid == t.pid; })) continue;
      if (pidfd_send_signal(fd.get(), sig) != 0 && errno != ESRCH) return errno_error("signal " + std::to_string(t.pid));
      signalled.insert(t.pid);
      any_new = true;
    }
    if (!any_new) return {};
  }
  return SysError{EAGAIN, "processes kept appearing in the profile's cgroups", 0, {}};
}

Status CgroupControl::signal_all(int sig) {
  if (Status s = refuse_if_inside(); !s.ok()) return s;
  Status sent;
  if (facts_.mode == CgroupMode::V2 && sig == SIGKILL) {
    // cgroup.kill (Linux 5.14) kills the whole subtree at once, forks included.
    sent = kernel_.cgroup_write(cgroups_.front().dir, "cgroup.kill", "1");
    if (sent.err() == ENOENT) sent = signal_frozen(sig);
  } else if (freezer()) {
    sent = signal_frozen(sig);
  } else {
    sent = signal_by_pidfd(sig);
  }
  if (!sent.ok() || sig != SIGKILL) return sent;
  return wait_empty();
}

}  // namespace nsplan::applier
