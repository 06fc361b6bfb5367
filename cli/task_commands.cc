// nsplan freeze, thaw and kill, and what destroy does with processes left in the cgroups: they act
// on the cgroups an applied profile's state proves nsplan made (applier/cgroup_control.h).
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <variant>

#include "applier/executor.h"
#include "applier/user_cgroups.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/log.h"
#include "compiler/escape.h"

namespace nsplan::cli {
namespace {

using namespace applier;

// The profile's cgroups, or an exit status after saying why there are none.
std::variant<std::vector<OwnedCgroup>, int> cgroups_of(const std::string& name, const HostFacts& facts) {
  ProfileState state = ProfileState::read_only(facts.state_dir, name);
  auto owned = owned_cgroups(state, facts);
  if (!owned.ok()) {
    std::cerr << "nsplan: error: " << owned.error().message() << "\n";
    return kSystem;
  }
  if (owned.value().empty()) {
    std::cerr << "nsplan: error: '" << name << "' owns no cgroup on this host (" << facts.state_dir
              << " records none that nsplan made)\n  hint: nsplan list shows the applied profiles\n";
    return kSystem;
  }
  return owned.value();
}

std::string describe(const std::vector<Task>& tasks, size_t at_most = 10) {
  std::string out;
  for (size_t i = 0; i < tasks.size() && i < at_most; ++i)
    out += "    " + std::to_string(tasks[i].pid) + " " + text::escaped(tasks[i].command.empty() ? "(gone)" : tasks[i].command) + "\n";
  if (tasks.size() > at_most) out += "    ... and " + std::to_string(tasks.size() - at_most) + " more\n";
  return out;
}

}  // namespace

int run_task_control(const std::string& name, const HostFacts& facts, TaskAction action, int sig) {
  auto cgroups = cgroups_of(name, facts);
  if (const int* rc = std::get_if<int>(&cgroups)) return *rc;
  // Without root: cgroups the user made (in a subtree delegated to them) are theirs to control.
  if (geteuid() != 0) {
    std::vector<std::string> dirs;
    for (const auto& cg : std::get<std::vector<OwnedCgroup>>(cgroups)) dirs.push_back(cg.dir);
    if (std::string missing = user_cannot_control(dirs); !missing.empty()) {
      std::cerr << "nsplan: error: this needs " << missing << "; nothing was changed\n  hint: run as root\n";
      return kSystem;
    }
  }
  auto kernel = make_linux_kernel(facts);
  CgroupControl control(*kernel, facts, std::get<std::vector<OwnedCgroup>>(cgroups));
  auto before = control.tasks();
  if (!before.ok()) {
    std::cerr << "nsplan: error: " << before.error().message() << "\n";
    return kSystem;
  }
  Status s;
  const char* done = "";
  switch (action) {
    case TaskAction::Freeze: s = control.set_frozen(true), done = "frozen"; break;
    case TaskAction::Thaw: s = control.set_frozen(false), done = "thawed"; break;
    case TaskAction::Kill: s = control.signal_all(sig), done = sig == SIGKILL ? "killed" : "signalled"; break;
  }
  if (!s.ok()) {
    std::cerr << "nsplan: error: " << s.message() << "\n";
    return kSystem;
  }
  if (json_output::enabled()) {
    auto doc = json_output::document(action == TaskAction::Freeze ? "freeze" : action == TaskAction::Thaw ? "thaw" : "kill");
    doc["profile"] = name;
    doc["processes"] = before.value().size();  // in the cgroups when it began
    if (action == TaskAction::Kill) doc["signal"] = sig;
    json_output::print(doc);
    return kOk;
  }
  if (log::quiet()) return kOk;
  std::cout << done << " '" << name << "': " << before.value().size() << " process"
            << (before.value().size() == 1 ? "" : "es") << "\n";
  return kOk;
}

int empty_before_destroy(const std::string& name, const HostFacts& facts, bool kill) {
  ProfileState state = ProfileState::read_only(facts.state_dir, name);
  auto owned = owned_cgroups(state, facts);
  if (!owned.ok() || owned.value().empty()) return kOk;  // destroy itself reports a bad state
  auto kernel = make_linux_kernel(facts);
  CgroupControl control(*kernel, facts, owned.value());
  auto tasks = control.tasks();
  if (!tasks.ok()) {
    // A cgroup that is not the one nsplan made: destroy leaves it alone and says so.
    return kOk;
  }
  if (tasks.value().empty()) return kOk;
  if (!kill) {
    std::cerr << "nsplan: error: '" << name << "' still has " << tasks.value().size() << " process"
              << (tasks.value().size() == 1 ? "" : "es") << " in its cgroups; nothing was changed:\n"
              << describe(tasks.value()) << "  hint: nsplan destroy --kill " << name
              << " kills them first (nsplan kill --signal TERM " << name << " asks them to end)\n";
    return kSystem;
  }
  if (Status s = control.signal_all(SIGKILL); !s.ok()) {
    std::cerr << "nsplan: error: emptying the cgroups of '" << name << "': " << s.message() << "; nothing else was changed\n";
    return kSystem;
  }
  if (!log::quiet() && !json_output::enabled())  // destroy --json: its document is all of standard output
    std::cout << "killed " << tasks.value().size() << " process" << (tasks.value().size() == 1 ? "" : "es") << " of '"
            << name << "'\n";
  return kOk;
}

}  // namespace nsplan::cli
