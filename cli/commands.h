// The subcommands that act on the live system; main.cc parses, these run.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "applier/executor.h"
#include "cli/top_frame.h"
#include "cli/watch.h"
#include "compiler/compile.h"
#include "compiler/saved_plan.h"
#include "compiler/export_target.h"

namespace nsplan::cli {

constexpr int kOk = 0;
constexpr int kInvalidProfile = 1;
constexpr int kUsage = 2;
constexpr int kSystem = 3;
constexpr int kChangesPending = 4;  // `nsplan plan`: the live system differs from the profile
// `nsplan diff`, as diff(1): 0 the same, 1 the plans differ, 2 trouble (kUsage: an invalid or
// unreadable profile, a probe that failed, a usage error).
constexpr int kDiffers = 1;
constexpr int kNotConfirmed = 5;  // `nsplan try`: not kept, so taken back

// A compilation's diagnostics to stderr: errors always, warnings unless -q.
void print_diagnostics(const Compilation& c);

// nsplan diff OLD NEW (each a file or git:REV:PATH), both planned for FACTS (cli/diff_command.cc).
int run_diff(const std::string& old_arg, const std::string& new_arg, const HostFacts& facts, bool strict,
             const LoadOptions& load, bool json = false);
// nsplan diff --textconv FILE: one line per kernel operation, for git's textconv.
int run_textconv(const std::string& file, const HostFacts& facts, const LoadOptions& load);

// nsplan fmt [--check] FILE... (cli/fmt_command.cc).
int run_fmt(const std::vector<std::string>& files, bool check);
// nsplan export oci|systemd PROFILE: the document on standard output, what TARGET cannot express
// as warnings (errors under options.strict, and then no document) (cli/export_command.cc).
int run_export(const std::string& target, const std::string& profile, const exporting::ExportOptions& options,
               const LoadOptions& load);

// nsplan import cgconfig FILE [-o DIR]: the file's groups as profiles, printed (separated by
// ---) or written to DIR/NAME.yaml (cli/import_command.cc, docs/import.md).
struct ImportCommandOptions {
  std::string out_dir;      // "" = print them
  std::string cgroup_root;  // where this host's hierarchies are looked for (mount sections)
  bool strict = false;      // what nsplan cannot express is an error: nothing printed or written
  bool force = false;       // replace existing files in out_dir
};
int run_import_cgconfig(const std::string& file, const ImportCommandOptions& options);

struct LiveOptions {
  bool locations = true;  // plan --no-locations: no profile line after each change
  bool wait = false;  // wait for another nsplan holding the profile's lock
  bool json = false;
  bool kill = false;  // destroy --kill: kill what runs in the cgroups first
  std::optional<WatchOptions> watch;  // status --watch: shown again at each refresh
  // plan --out FILE: the plan is saved there, with these target options (saved_plan.h).
  std::string plan_out;
  SavedPlan plan_out_target;
  // apply FILE (a saved plan): what the live system must still look like.
  const SavedPlan* saved = nullptr;
  std::string saved_file;
  // Descriptors above 2 that were open when nsplan started (before it opened any of its own):
  // the only ones run.keep_fds may pass on.
  std::vector<int> inherited_fds;
};

// "1.23 ms": the time since START, for -v and -vv.
std::string milliseconds_since(std::chrono::steady_clock::time_point start);

// What apply reports of each step with -v and -vv (nothing otherwise).
applier::StepObserver step_observer();

// PATH made absolute (realpath), for the state's record of where an apply came from; "" when
// it cannot be resolved.
std::string absolute_path_of(const std::string& path);
// What the state records of where this apply came from: the profile's file, or standard input.
void record_source(applier::ProfileState& state, const plan::Plan& plan, const SavedPlan* saved = nullptr);

// The profile's state, locked for an apply (after checking the privileges the plan needs);
// nullopt after saying why not.
std::optional<applier::ProfileState> open_to_apply(const plan::Plan& plan, const LiveOptions& o);
int run_apply(const Compilation& c, const LiveOptions& o);
// nsplan try: apply, then keep it only if confirmed on standard input within TIMEOUT
// (cli/try_command.cc).
int run_try(const Compilation& c, const LiveOptions& o, std::chrono::seconds timeout);
// Destroy needs only the profile's name (a profile that no longer compiles, or is gone, can
// still be destroyed by name) and where the host keeps things.
int run_destroy(const std::string& profile_name, const HostFacts& facts, const LiveOptions& o);
int run_plan_live(const Compilation& c, const LiveOptions& o);

// Saved plans (cli/saved_plan_command.cc).
// Writes the plan of C, the live DIFF it shows and TARGET's options to PATH.
applier::Status write_saved_plan(const Compilation& c, const SavedPlan& target, const applier::Diff& diff, const std::string& path);
// The text of PATH if it is a saved plan (nullopt: a profile, or unreadable: compile says why).
std::optional<std::string> saved_plan_text_of(const std::string& path);
// Whether C, made again from the saved sources, is the saved plan.
bool same_plan(const Compilation& c, const SavedPlan& saved);
// Whether apply would now make exactly the saved changes; when not, says what differs.
bool live_as_saved(const applier::Diff& now, const SavedPlan& saved, const std::string& file);

// nsplan freeze / thaw / kill NAME: the processes in the cgroups the profile's state proves
// nsplan made (cli/task_commands.cc).
enum class TaskAction { Freeze, Thaw, Kill };
int run_task_control(const std::string& name, const HostFacts& facts, TaskAction action, int sig);
// Before destroy: processes left in the profile's cgroups are listed and stop it (kOk when there
// are none), or, with KILL, are killed first.
int empty_before_destroy(const std::string& name, const HostFacts& facts, bool kill);
int run_status(const Compilation& c, const LiveOptions& o);

// nsplan top: the usage of every applied profile's cgroup, refreshed (cli/top_command.cc).
struct TopOptions {
  WatchOptions watch;
  top::SortKey sort = top::SortKey::Cpu;
  bool json = false;  // one document: two samples --interval apart
};
int run_top(const HostFacts& facts, const TopOptions& o);

}  // namespace nsplan::cli

namespace nsplan::cli {

// nsplan run: apply what the profile keeps (quietly when nothing changes), then start the
// command in its cgroups and namespaces; returns the command's exit status.
int run_run(const Compilation& c, const LiveOptions& o, const std::vector<std::string>& command);
// nsplan attach: move PID into the profile's cgroups (applying them first if needed).
int run_attach(const Compilation& c, const LiveOptions& o, int pid, bool cgroups_only);

}  // namespace nsplan::cli
