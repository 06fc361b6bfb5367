// nsplan's command line: wires the compiler (pure) to the applier (the system). Results go to
// stdout, diagnostics to stderr. Exit status: 0 ok, 1 invalid profile, 2 usage error,
// 3 failure on the system (see docs/cli.md).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <variant>

#include "applier/cgroup_control.h"
#include "applier/executor.h"
#include "applier/explain.h"
#include "applier/shell_seccomp.h"
#include "applier/kernel.h"
#include "applier/state.h"
#include "applier/state_dir.h"
#include "applier/files.h"
#include "cli/command_model.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "cli/generated_files.h"
#include "cli/json_output.h"
#include "cli/suggest.h"
#include "cli/value_names.h"
#include "applier/probe.h"
#include "compiler/compile.h"
#include "compiler/escape.h"
#include "compiler/json_emitter.h"
#include "compiler/names.h"
#include "compiler/cgroup_files.h"
#include "schema/json_schema.h"

namespace {

using namespace nsplan;

using cli::kInvalidProfile;
using cli::kOk;
using cli::kSystem;
using cli::kUsage;
namespace value_name = cli::value_name;

struct TargetOptions {
  std::string cgroup;  // "", "v1", "v2"
  std::string cgroup_root;
  std::string cgroup_parent;
  std::string state_dir;  // "": applier::default_state_dir(), set once the line is parsed
  bool strict = false;
  bool systemd = false;  // with --cgroup v2: systemd manages that tree
};

// Which machine a command is about: explain, plan and check may plan for another one (--cgroup);
// apply, run, attach and status act on this one; destroy and list read records (no --strict).
enum class Target { AnyMachine, ThisMachine, Records };

void add_target_options(CLI::App* cmd, TargetOptions& t, Target target) {
  if (target == Target::AnyMachine) {
    auto* cgroup = cmd->add_option("--cgroup", t.cgroup, "Plan for this cgroup hierarchy instead of probing the host")
                       ->check(CLI::IsMember({"v1", "v2"}));
    cmd->add_flag("--systemd", t.systemd,
                  "With --cgroup v2: systemd manages that tree, so the profile's cgroups go below a unit it delegates (probed on this host)")
        ->needs(cgroup);
  }
  cmd->add_option("--cgroup-root", t.cgroup_root, "Cgroup mount directory (default /sys/fs/cgroup)")
      ->type_name(value_name::kDirectory);
  cmd->add_option("--cgroup-parent", t.cgroup_parent,
                  "Existing cgroup (relative to the root) below which the profile's cgroup is placed")
      ->type_name(value_name::kCgroup)
      ->check([](const std::string& p) {
        if (p.empty() || p[0] == '/') return std::string("must be relative to the cgroup root");
        size_t start = 0;
        while (start <= p.size()) {
          size_t slash = p.find('/', start);
          std::string part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
          if (part.empty() || part == "." || part == "..") return std::string("must not have empty, '.' or '..' components");
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
        return std::string();
      });
  cmd->add_option("--state-dir", t.state_dir,
                  "Where nsplan keeps state and persistent namespaces (default /run/nsplan; without root "
                  "$XDG_RUNTIME_DIR/nsplan, else /run/user/UID/nsplan)")
      ->type_name(value_name::kDirectory)
      ->check([](const std::string& p) { return !p.empty() && p[0] == '/' ? std::string() : std::string("must be an absolute path"); });
  if (target != Target::Records)
    cmd->add_flag("--strict", t.strict, "Refuse values that have no faithful equivalent on the target");
}

// --interval and -n of the commands that refresh (cli/watch.h); returns --interval.
CLI::Option* add_watch_options(CLI::App* cmd, cli::WatchOptions& w) {
  auto* interval = cmd->add_option("--interval", w.interval_seconds, "Seconds between refreshes (default 1; 0.1 at least)")
                       ->type_name("SECONDS")
                       ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("-n,--iterations", w.count, "Refresh COUNT times, then end (default: until q or Ctrl-C)")
      ->type_name("COUNT")
      ->check(CLI::PositiveNumber);
  return interval;
}

// What a profile argument may be (compiler/loader.h): its form decides, never the current directory.
constexpr const char* kProfileArgument = "Profile file, profile name (NAME.yaml on the search path), or - (standard input)";

// Where a profile named by name looks, on the command line and in `extends: NAME` and
// `include: NAME` (schema/profile_search_path.h). Only the command line can change it, not the
// environment: whoever sets root's environment must not choose the files root reads as profiles.
void add_profile_path_option(CLI::App* cmd, std::vector<std::string>& dirs) {
  cmd->add_option("--profile-path", dirs,
                  "Directory of the profile search path, where a profile given by name (here or in extends:/include:) "
                  "is looked for as NAME.yaml (repeatable, searched in order; replaces the default, " +
                      profile_search_path_text() + ")")
      ->type_name(value_name::kDirectory)
      ->check([](const std::string& p) { return !p.empty() && p[0] == '/' ? std::string() : std::string("must be an absolute path"); });
}

LoadOptions load_options(const std::vector<std::string>& profile_path) {
  LoadOptions o;
  if (!profile_path.empty()) o.search_path = profile_path;
  o.names_in = applier::profile_names_in;
  return o;
}

// Host facts as stated on the command line, or probed from this machine.
std::optional<HostFacts> target_facts(const TargetOptions& t) {
  HostFacts facts;
  if (!t.cgroup.empty()) {
    facts = HostFacts::stated(t.cgroup == "v1" ? CgroupMode::V1 : CgroupMode::V2, t.cgroup_root);
    if (t.systemd && facts.mode != CgroupMode::V2) {
      std::cerr << "nsplan: error: --systemd is about a cgroup v2 tree, not --cgroup v1\n"
                << "  hint: systemd's v1 (legacy) layout has no delegation nsplan uses; drop --systemd\n";
      return std::nullopt;
    }
    facts.systemd = t.systemd;
  } else {
    const auto start = std::chrono::steady_clock::now();
    auto probe = applier::probe_host(t.cgroup_root.empty() ? "/sys/fs/cgroup" : t.cgroup_root, applier::LimitFacts::OnFirstUse);
    cli::log::debug("probed this host in " + cli::milliseconds_since(start) + ": " +
                    (probe.ok ? probe.facts.describe() : std::string("failed")));
    if (!probe.ok) {
      std::cerr << "nsplan: error: cannot tell the cgroup layout of this host: " << probe.error
                << "\n  hint: say --cgroup v1 or --cgroup v2\n";
      return std::nullopt;
    }
    facts = probe.facts;
  }
  facts.state_dir = t.state_dir;
  facts.cgroup_parent = t.cgroup_parent;
  return facts;
}

std::unique_ptr<Compilation> compile(const std::string& path, const HostFacts& facts, bool strict,
                                     const LoadOptions& load) {
  const auto start = std::chrono::steady_clock::now();
  auto c = compile_file(path, applier::profile_file_reader(), facts, PlanOptions{strict}, load);
  cli::log::debug("compiled " + text::escaped(path) + " in " + cli::milliseconds_since(start) +
                  (c->plan ? ": " + std::to_string(c->plan->steps.size()) + " steps" : std::string(": no plan")));
  cli::print_diagnostics(*c);
  return c;
}

// destroy takes the profile's name or a profile file, of which only the name is read (nothing is
// planned): what the profile owns is recorded under that name. Which of the two the argument is
// depends on its form only (is_profile_path), never on what the current directory holds: a file
// planted there by another user must not turn root's `destroy lab` into the destroy of another
// profile. Returns the name, or the exit status when there is none.
// A word given for a profile that is neither a name nor a path (destroy, status): exit status 2.
int not_a_name(const std::string& arg) {
  std::cerr << render({Severity::Error, {}, "'" + nsplan::text::escaped(arg) + "' is neither a profile name nor a profile file",
                       "a name is 1 to 64 letters, digits, '_', '.' or '-', not first '.' or '-'; a file has a '/' "
                       "or ends in .yaml or .yml (./FILE for one in the current directory)"},
                      SourceManager{});
  return kUsage;
}

std::variant<std::string, int> name_to_destroy(const std::string& arg, const LoadOptions& load) {
  if (!is_profile_path(arg)) {
    if (is_name(arg)) return arg;
    return not_a_name(arg);
  }
  auto c = check_file(arg, applier::profile_file_reader(), load);
  cli::print_diagnostics(*c);
  if (c->diags.has_errors() || !c->profile) {
    std::cerr << "  hint: destroy also takes the profile's name, as `nsplan status` shows it\n";
    return kInvalidProfile;
  }
  return c->profile->name.value;
}

// The descriptors above 2 open now: one listing of /proc/self/fd (its own descriptor left out),
// else a probe of each number up to 1023.
std::vector<int> open_descriptors_above_2() {
  std::vector<int> fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    int own = dirfd(d);
    while (dirent* e = readdir(d)) {
      int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != own) fds.push_back(fd);
    }
    closedir(d);
    std::sort(fds.begin(), fds.end());
    return fds;
  }
  for (int fd = 3; fd < 1024; ++fd)
    if (fcntl(fd, F_GETFD) != -1) fds.push_back(fd);
  return fds;
}

// The command the line names: its first word that is no option (nsplan's own options are flags,
// they take no value), or "" when there is none.
std::string_view command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') return argv[i];
  return {};
}

std::string description_of(const Compilation& c) {
  return c.profile && c.profile->description ? c.profile->description->value : "";
}

// status NAME: the profile file NAME's last apply came from, as its state records it.
std::variant<std::string, int> recorded_source(const std::string& name, const std::string& state_dir) {
  if (!is_name(name)) return not_a_name(name);
  applier::ProfileState st = applier::ProfileState::read_only(state_dir, name);
  if (!st.has_state()) {
    std::cerr << "nsplan: error: no profile named '" << name << "' is applied here (" << state_dir
              << ")\n  hint: nsplan list shows the applied ones; nsplan status FILE reads a profile file\n";
    return kSystem;
  }
  applier::AppliedFrom from = st.applied_from();
  if (from.from_stdin) {
    std::cerr << "nsplan: error: '" << name << "' was last applied from standard input (apply -" << (from.at.empty() ? "" : ", " + from.at)
              << "): no profile file is recorded to read\n  hint: nsplan status FILE, with the profile's file; nsplan list and "
                 "nsplan destroy " << name << " need none\n";
    return kSystem;
  }
  std::string source = from.source;
  if (source.empty()) {
    std::cerr << "nsplan: error: the state of '" << name << "' records no profile file (applied by an older nsplan)"
              << "\n  hint: nsplan status FILE\n";
    return kSystem;
  }
  return source;
}

// nsplan list: every profile with a state here, when and from which file it was applied, and
// whether the live system still matches that file (as `plan` would say).
struct Applied {
  std::string name, at, source;  // at, source: "" when not recorded
  std::string state;             // "in_place", "drifted", "unknown"
  size_t changes = 0;            // drifted: how many, as plan counts them
  std::string why;               // unknown: why
};

Applied applied(const std::string& name, const HostFacts& facts, applier::Kernel& kernel, const LoadOptions& load) {
  applier::ProfileState st = applier::ProfileState::read_only(facts.state_dir, name);
  applier::AppliedFrom from = st.applied_from();
  Applied a{name, from.at, from.source, "unknown", 0, ""};
  auto owned = st.load();
  if (!owned.ok()) {
    a.why = "unreadable state";
  } else if (from.from_stdin) {
    a.why = "applied from standard input";
  } else if (from.source.empty()) {
    a.why = "no file recorded";
  } else {
    auto c = compile_file(from.source, applier::profile_file_reader(), facts, PlanOptions{}, load);
    if (!c->ok() || !c->profile) a.why = "the file does not compile";
    else if (c->profile->name.value != name) a.why = "the file names '" + c->profile->name.value + "' now";
    else {
      applier::Diff d = applier::diff_plan(*c->plan, kernel, owned.value());
      a.changes = d.changes.size() + d.removals.size();
      a.state = a.changes == 0 ? "in_place" : "drifted";
    }
  }
  return a;
}

void print_applied(const std::vector<Applied>& all, const std::string& state_dir) {
  using cli::json_output::Json;
  auto null_if_empty = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  auto doc = cli::json_output::document("list");
  doc["state_dir"] = state_dir;
  doc["profiles"] = Json::array();
  for (const auto& a : all) {
    Json p{{"name", a.name}, {"applied_at", null_if_empty(a.at)}, {"source", null_if_empty(a.source)}, {"state", a.state}};
    if (a.state == "drifted") p["changes"] = a.changes;
    if (a.state == "unknown") p["reason"] = a.why;
    doc["profiles"].push_back(p);
  }
  cli::json_output::print(doc);
}

int list_applied(const HostFacts& facts, const LoadOptions& load, bool json) {
  auto kernel = applier::make_linux_kernel(facts);
  std::vector<Applied> all;
  for (const auto& name : applier::ProfileState::profiles_in(facts.state_dir)) all.push_back(applied(name, facts, *kernel, load));
  if (json) {
    print_applied(all, facts.state_dir);
    return kOk;
  }
  if (all.empty()) {
    std::cout << "no profile is applied here (" << facts.state_dir << ")\n";
    return kOk;
  }
  std::vector<std::array<std::string, 4>> rows{{"NAME", "APPLIED (UTC)", "STATE", "FROM"}};
  for (const auto& a : all) {
    std::string state = a.state == "in_place" ? "in place"
                        : a.state == "drifted" ? "drifted (" + std::to_string(a.changes) + " change" + (a.changes == 1 ? "" : "s") + ")"
                                               : "? (" + a.why + ")";
    rows.push_back({a.name, a.at.empty() ? "?" : a.at, state, a.source.empty() ? "?" : nsplan::text::escaped(a.source)});
  }
  std::array<size_t, 4> width{};
  for (const auto& r : rows)
    for (size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < 4; ++i) line += r[i] + (i + 1 < 4 ? std::string(width[i] - r[i].size() + 2, ' ') : "");
    std::cout << line << "\n";
  }
  return kOk;
}

// The command line, parsed and run; its exit status.
int run(int argc, char** argv) {
  // Only the options of the command the line names are registered (all of them for --generate,
  // which documents them): CLI11 builds each option (names, description, a callback) as it is
  // added, ~250 in all, a third of nsplan's start before it did anything (docs/performance.md).
  // Without a command (--help, --version) the commands' own options are never read.
  const bool generating = argc == 3 && std::string_view(argv[1]) == "--generate";
  const std::string_view command = command_word(argc, argv);
  auto wants = [&](std::string_view name) { return generating || command == name; };
  CLI::App app{"nsplan: declarative cgroups, namespaces and virtual networks"};
  app.set_version_flag("--version", "nsplan 0.1.0");
  // Anywhere on the line: `nsplan apply -v lab.yaml` as well as `nsplan -v apply lab.yaml`.
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Say what each step does as it is done, with its duration (-vv: more)");
  app.add_flag("-q,--quiet", quiet, "Print only errors (and the results a command exists for)");
  app.fallthrough();
  app.require_subcommand(1);
  // command_word's rule, kept: an option of nsplan's own that took a value would make its value
  // read as the command, and that command's options would never be registered.
  for (const std::string& o : cli::options_taking_values(app)) {
    std::cerr << "nsplan: internal error: the top-level option " << o << " takes a value (see command_word)\n";
    return kSystem;
  }

  std::string profile;
  TargetOptions target;
  bool json = false;  // --json, on every command that takes it (cli/json_output.h)
  cli::LiveOptions live;
  auto add_json_flag = [&](CLI::App* cmd) { return cmd->add_flag("--json", json, "Machine-readable JSON (docs/json.md)"); };
  std::vector<std::string> profile_path;

  bool no_run = false, teardown = false;
  bool no_locations = false;
  int explain_attach = 0;
  cli::WatchOptions watch_options;
  bool status_watch = false;
  bool cgroup_files_table = false;
  auto* explain = app.add_subcommand("explain", "Print the plan as a POSIX shell script");
  if (wants("explain")) {
    explain->add_option("profile", profile, kProfileArgument)->type_name(value_name::kProfileFile)->required();
    explain->add_flag("--no-run", no_run, "Only what apply does: leave out starting the command");
    explain->add_flag("--destroy", teardown, "Print the teardown script instead (what destroy does)");
    explain->add_flag("--no-locations", no_locations,
                      "Step comments without line:col: the script changes only when the plan does");
    explain->add_option("--attach", explain_attach, "End with moving PID into the cgroups (what attach does)")
        ->type_name(value_name::kProcessId)
        ->check(CLI::PositiveNumber);
    add_target_options(explain, target, Target::AnyMachine);
    add_profile_path_option(explain, profile_path);
  }

  auto* plan_cmd = app.add_subcommand("plan", "Print the plan (--json: versioned JSON)");
  if (wants("plan")) {
    plan_cmd->add_option("profile", profile, kProfileArgument)->type_name(value_name::kProfileFile)->required();
    auto* plan_json = add_json_flag(plan_cmd);
    plan_cmd->add_flag("--no-locations", no_locations, "Without the profile line of each step (text output)")
        ->excludes(plan_json);
    plan_cmd->add_option("--out", live.plan_out, "Save the plan to FILE: `nsplan apply FILE` applies exactly it")
        ->type_name("FILE");
    add_target_options(plan_cmd, target, Target::AnyMachine);
    add_profile_path_option(plan_cmd, profile_path);
  }

  auto* diff_cmd = app.add_subcommand(
      "diff", "Show what changing a profile from OLD to NEW changes on the machine, as kernel operations");
  std::string diff_old, diff_new;
  bool textconv = false;
  if (wants("diff")) {
    diff_cmd->add_option("old", diff_old, "Profile file, profile name, - (standard input), or git:REV:PATH (the file at a git revision)")
        ->type_name(value_name::kProfileFile);
    diff_cmd->add_option("new", diff_new, "Profile file, profile name, -, or git:REV:PATH")->type_name(value_name::kProfileFile);
    diff_cmd->add_flag("--textconv", textconv,
                       "Print OLD's kernel operations one a line, for git's diff.nsplan.textconv (docs/cli.md)");
    add_json_flag(diff_cmd)->excludes("--textconv");
    add_target_options(diff_cmd, target, Target::AnyMachine);
    add_profile_path_option(diff_cmd, profile_path);
  }

  auto* apply = app.add_subcommand("apply", "Make the live system match the profile (a transaction)");
  if (wants("apply")) {
    apply->add_option("profile", profile, "Profile file, profile name (NAME.yaml on the search path), - (standard input), or a plan saved by plan --out")->type_name(value_name::kProfileFile)->required();
    apply->add_flag("--wait", live.wait, "Wait while another nsplan applies or destroys this profile");
    add_json_flag(apply);
    add_target_options(apply, target, Target::ThisMachine);
    add_profile_path_option(apply, profile_path);
  }

  std::vector<std::string> fmt_files;
  bool fmt_check = false;
  auto* fmt = app.add_subcommand("fmt", "Lay out profiles canonically, keeping every comment");
  if (wants("fmt")) {
    fmt->add_option("files", fmt_files, "Profile files (- for standard input to standard output)")
        ->type_name(value_name::kProfileFile)
        ->required();
    fmt->add_flag("--check", fmt_check, "Change nothing: list the files that are not laid out so (exit 1 if any)");
    fmt->footer(
        "Indentation of two spaces a level (list dashes two in from their key), one space after a\n"
        "key's colon and a dash, comment lines at the column of the line below them, at most one blank\n"
        "line in a row. Values, quotes, flow collections and key order stay as written; the result\n"
        "must parse to the same document, or the file is left as it is (docs/cli.md).");
  }

  int try_timeout = 120;
  auto* try_cmd = app.add_subcommand("try", "Apply, then take it back unless confirmed in time (as netplan try)");
  if (wants("try")) {
    try_cmd->add_option("profile", profile, std::string(kProfileArgument) + "; then the answer is read from the terminal")->type_name(value_name::kProfileFile)->required();
    try_cmd->add_option("--timeout", try_timeout, "Seconds to wait for Enter before taking the changes back (default 120)")
        ->type_name("SECONDS")
        ->check(CLI::Range(1, 86400));
    try_cmd->add_flag("--wait", live.wait, "Wait while another nsplan applies or destroys this profile");
    add_target_options(try_cmd, target, Target::ThisMachine);
    add_profile_path_option(try_cmd, profile_path);
    try_cmd->footer(
        "The changes are made and shown; Enter or y keeps them. n, Ctrl-C, a closed terminal (SIGHUP),\n"
        "SIGTERM, end of input or no answer within --timeout takes all of them back, exactly as a failed\n"
        "apply is rolled back. What the profile no longer has is removed only once kept. Exit status 5:\n"
        "not kept (taken back).");
  }

  auto* destroy = app.add_subcommand("destroy", "Remove everything the profile made");
  if (wants("destroy")) {
    destroy->add_option("profile", profile, "The profile's name, or a profile file (of which only name: is read)")
        ->type_name(value_name::kProfileOrName)
        ->required();
    destroy->footer(
        "PROFILE is a file if it has a '/' or ends in .yaml or .yml (write ./FILE for one in the current\n"
        "directory), and a profile name otherwise, whatever files the current directory holds.");
    destroy->add_flag("--wait", live.wait, "Wait while another nsplan applies or destroys this profile");
    add_json_flag(destroy);
    add_target_options(destroy, target, Target::Records);
    add_profile_path_option(destroy, profile_path);

    destroy->add_flag("--kill", live.kill, "Kill the processes left in the profile's cgroups first (SIGKILL)");
  }

  // freeze, thaw, kill: the processes in the cgroups an applied profile's state proves nsplan made.
  std::string signal_name = "KILL";
  auto task_command = [&](const char* name, const char* what) {
    auto* cmd = app.add_subcommand(name, what);
    if (!wants(name)) return cmd;
    cmd->add_option("profile", profile, "The profile's name, or a profile file (of which only name: is read)")
        ->type_name(value_name::kProfileOrName)
        ->required();
    add_target_options(cmd, target, Target::Records);
    add_profile_path_option(cmd, profile_path);
    add_json_flag(cmd);
    return cmd;
  };
  auto* freeze = task_command("freeze", "Freeze the processes in the profile's cgroups (until thaw)");
  auto* thaw = task_command("thaw", "Thaw the processes frozen by freeze");
  auto* kill = task_command("kill", "Send a signal to every process in the profile's cgroups (default KILL)");
  if (wants("kill")) {
    kill->add_option("--signal,-s", signal_name, "Signal name or number: KILL, TERM, HUP, INT, USR1 ...")
        ->type_name("SIGNAL")
        ->check(CLI::Validator(
            [](std::string& v) { return nsplan::applier::signal_number(v) ? std::string() : "not a signal: " + v; }, ""));
  }

  auto* status = app.add_subcommand("status", "Show the live state of what the profile describes");
  if (wants("status")) {
    status->add_option("profile", profile, "A profile file, or the name of an applied profile")
        ->type_name(value_name::kProfileOrName)
        ->required();
    status->footer(
        "PROFILE is a file if it has a '/' or ends in .yaml or .yml, and a profile name otherwise: then\n"
        "the file its last apply recorded is read (and must still name that profile).");
    add_json_flag(status);
    auto* watch_flag = status->add_flag("--watch", status_watch, "Show it again every --interval seconds (q or Ctrl-C quits)")
                           ->excludes("--json");
    add_watch_options(status, watch_options)->needs(watch_flag);
    status->get_option("-n")->needs(watch_flag);
    add_target_options(status, target, Target::ThisMachine);
    add_profile_path_option(status, profile_path);
  }

  cli::TopOptions top_options;
  bool top_once = false;
  std::string top_sort = "cpu";
  auto* top = app.add_subcommand("top", "Show what every applied profile's cgroup uses, refreshed (as systemd-cgtop)");
  if (wants("top")) {
    top->footer(
        "On a terminal the screen is redrawn (q or Ctrl-C quits); otherwise each refresh is printed as a\n"
        "block of plain text, blocks separated by a blank line. CPU% and the I/O rates are over the time\n"
        "since the previous refresh: '-' in the first.");
    add_watch_options(top, top_options.watch);
    top->add_flag("--json", json, "One JSON document: every profile's usage, with rates over one interval (docs/json.md)")
        ->excludes("-n");
    top->add_flag("--once", top_once, "Refresh once, then end")->excludes("-n");
    top->add_option("--sort", top_sort, "Order of the rows (largest first; name: by profile name)")
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(cli::top::kSortKeys), std::end(cli::top::kSortKeys))));
    add_target_options(top, target, Target::Records);
  }

  std::vector<std::string> run_command;
  auto* run = app.add_subcommand("run", "Start the profile's command (or -- CMD ARGS) in its cgroups and namespaces");
  if (wants("run")) {
    run->add_option("profile", profile, "Profile file, or profile name (NAME.yaml on the search path)")->type_name(value_name::kProfileFile)->required();
    run->add_option("command", run_command, "Command and arguments, after --")->type_name(value_name::kCommand);
    run->add_flag("--wait", live.wait, "Wait while another nsplan applies or destroys this profile");
    add_target_options(run, target, Target::ThisMachine);
    add_profile_path_option(run, profile_path);
  }

  int attach_pid = 0;
  bool cgroups_only = false;
  auto* attach = app.add_subcommand("attach", "Move a running process into the profile's cgroups");
  if (wants("attach")) {
    attach->add_option("profile", profile, "Profile file, or profile name (NAME.yaml on the search path)")->type_name(value_name::kProfileFile)->required();
    attach->add_option("pid", attach_pid, "Process id (e.g. $$)")->type_name(value_name::kProcessId)->required()->check(CLI::Validator(
        [](std::string& v) -> std::string {
          // The kernel's largest pid_max is 2^22: anything else cannot be a process.
          bool digits = !v.empty() && v.size() <= 7 && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
          long n = digits ? std::strtol(v.c_str(), nullptr, 10) : 0;
          if (n >= 1 && n <= 4194304) return {};
          return "expected a process id, a number from 1 to 4194304 (e.g. $$), not '" + nsplan::text::escaped(v) + "'";
        },
        ""));  // no description: the value name (PID) says it
    attach->add_flag("--cgroups-only", cgroups_only, "Attach even though the profile has namespaces (they are not applied)");
    add_json_flag(attach);
    add_target_options(attach, target, Target::ThisMachine);
    add_profile_path_option(attach, profile_path);
  }

  std::vector<std::string> profiles;
  auto* check = app.add_subcommand("check", "Validate profiles only");
  if (wants("check")) {
    check->add_option("profiles", profiles, "Profile files, profile names (NAME.yaml on the search path), or - (standard input)")->type_name(value_name::kProfileFile)->required();
    add_json_flag(check);
    add_target_options(check, target, Target::AnyMachine);
    add_profile_path_option(check, profile_path);
  }

  std::string export_target;
  exporting::ExportOptions export_options;
  auto* export_cmd = app.add_subcommand("export", "Print the profile as an OCI config.json or a systemd unit drop-in");
  if (wants("export")) {
    export_cmd->add_option("target", export_target, "What to write: an OCI runtime-spec config.json, or a systemd drop-in")
        ->check(CLI::IsMember({"oci", "systemd"}))
        ->required();
    export_cmd->add_option("profile", profile, kProfileArgument)->type_name(value_name::kProfileFile)->required();
    export_cmd->add_flag("--strict", export_options.strict, "Refuse a profile the target cannot express in full (exit 1, nothing printed)");
    export_cmd->add_option("--state-dir", export_options.state_dir, "Where nsplan apply keeps persistent namespaces (joined by path)")
        ->type_name(value_name::kDirectory)
        ->check([](const std::string& p) { return !p.empty() && p[0] == '/' ? std::string() : std::string("must be an absolute path"); });
    add_profile_path_option(export_cmd, profile_path);
    export_cmd->footer(
        "What the target cannot express is a warning at the profile line it is about (docs/export.md).\n"
        "The systemd drop-in is for a .service unit: /etc/systemd/system/UNIT.service.d/nsplan.conf.");
  }

  std::string import_format, import_file;
  cli::ImportCommandOptions import_options;
  auto* import_cmd = app.add_subcommand("import", "Turn another tool's configuration into nsplan profiles (libcgroup's cgconfig.conf)");
  if (wants("import")) {
    import_cmd->add_option("format", import_format, "The configuration's format: libcgroup's cgconfig.conf(5)")
        ->check(CLI::IsMember({"cgconfig"}))
        ->required();
    import_cmd->add_option("file", import_file, "The configuration file, such as /etc/cgconfig.conf")
        ->type_name(value_name::kFile)
        ->required();
    import_cmd->add_option("-o,--output", import_options.out_dir, "Write one NAME.yaml per group into this directory, which must exist")
        ->type_name(value_name::kDirectory);
    import_cmd->add_flag("--force", import_options.force, "Replace profile files that exist already");
    import_cmd->add_flag("--strict", import_options.strict,
                         "Refuse what nsplan cannot express (exit 1, nothing printed or written)");
    import_cmd->add_option("--cgroup-root", import_options.cgroup_root, "Cgroup mount directory (default /sys/fs/cgroup)")
        ->type_name(value_name::kDirectory);
    import_cmd->footer(
        "One profile per group, named after its path (daemons/www: daemons-www). Without an output directory the\n"
        "profiles are printed, separated by lines of ---. What nsplan cannot express is a warning at the\n"
        "cgconfig.conf line it is about; mount sections are checked against this host's (docs/import.md).");
  }

  bool markdown = false;
  auto* list = app.add_subcommand("list", "List the applied profiles: name, when, from which file, in place or not");
  if (wants("list")) {
    add_json_flag(list);
    add_target_options(list, target, Target::Records);
    add_profile_path_option(list, profile_path);
  }

  bool man = false;
  auto* schema_cmd = app.add_subcommand("schema", "Print the JSON Schema of the profile format");
  if (wants("schema")) {
    schema_cmd->add_flag("--markdown", markdown, "Print the reference documentation instead");
    schema_cmd->add_flag("--man", man, "Print the reference as the nsplan-profile(5) man page instead")->excludes("--markdown");
    schema_cmd->add_flag("--cgroup-files", cgroup_files_table, "Print the table of cgroup files nsplan writes (markdown)")
        ->excludes("--markdown")
        ->excludes("--man");
  }

  // Build time: nsplan(1) and the shell completions are made from the definition above.
  if (argc == 3 && std::string_view(argv[1]) == "--generate") return cli::generate(app, argv[2]);

  // A first word that is no command: say so, with the nearest one (CLI11 would only say that a
  // subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) commands.push_back(sub->get_name());
    std::string word = argv[1];
    if (std::find(commands.begin(), commands.end(), word) == commands.end()) {
      std::string near = nsplan::cli::nearest(word, commands);
      std::string list;
      for (const auto& c : commands) list += (list.empty() ? "" : ", ") + c;
      std::cerr << "nsplan: error: unknown command '" << nsplan::text::escaped(word) << "'"
                << (near.empty() ? "" : "; did you mean '" + near + "'?") << "\n"
                << "commands: " << list << " (nsplan --help)\n";
      return kUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kOk : kUsage;  // --help, --version
    // A usage error of a command asked for --json is an error document too (exit status 2).
    if (json || std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--json"; }))
      cli::json_output::enable();
    // One prefix for every error nsplan prints, and where to look.
    std::string command;
    for (const CLI::App* sub : app.get_subcommands()) command = " " + sub->get_name();
    std::cerr << "nsplan: error: " << nsplan::text::escaped(e.what()) << "\n  hint: nsplan" << command << " --help\n";
    return kUsage;
  }

  // Before nsplan opens anything of its own (parsing opens nothing): which descriptors the
  // caller passed, for run.keep_fds.
  if (*run) live.inherited_fds = open_descriptors_above_2();
  if (target.state_dir.empty()) target.state_dir = applier::default_state_dir();

  // `-` is standard input: once on a line, and not where stdin is the started command's.
  {
    std::vector<std::string> words = *check ? profiles : std::vector<std::string>{profile, diff_old, diff_new};
    if (std::count(words.begin(), words.end(), "-") > 1) {
      std::cerr << "nsplan: error: - (standard input) is given twice; it holds one profile\n";
      return kUsage;
    }
    if (profile == "-" && (*run || *attach)) {
      std::cerr << "nsplan: error: " << (*run ? "run" : "attach") << " reads its profile from a file or by name, not from standard input"
                << (*run ? " (it is the command's)" : "") << "\n  hint: give the profile's file, or its name on the search path\n";
      return kUsage;
    }
    const bool reads_stdin = std::count(words.begin(), words.end(), "-") == 1 && !*fmt && !*destroy && !*status &&
                             !*freeze && !*thaw && !*kill;
    if (reads_stdin && !quiet && isatty(STDIN_FILENO))
      std::cerr << "nsplan: reading the profile from standard input (end it with Ctrl-D)\n";
  }

  cli::log::init(quiet ? cli::log::Level::Quiet
                 : verbose >= 2 ? cli::log::Level::Debug
                 : verbose == 1 ? cli::log::Level::Verbose
                                : cli::log::Level::Normal);
  live.json = json;
  if (json) cli::json_output::enable();
  if (*schema_cmd) {
    std::cout << (cgroup_files_table ? nsplan::cgroup_files::markdown_table()
                  : markdown         ? schema::markdown_reference()
                  : man              ? schema::man_reference()
                                     : schema::json_schema());
    return kOk;
  }
  if (*check) {
    // The format alone; with --cgroup or --strict also what the profile becomes on that target
    // (this host's when only --strict is given), as plan would: its losses warn, or fail.
    std::optional<HostFacts> facts;
    if (!target.cgroup.empty() || target.strict) {
      facts = target_facts(target);
      if (!facts) return kSystem;
    }
    int rc = kOk;
    auto doc = cli::json_output::document("check");
    doc["ok"] = true;
    doc["profiles"] = cli::json_output::Json::array();
    for (const auto& p : profiles) {
      auto c = facts ? compile(p, *facts, target.strict, load_options(profile_path))
                     : check_file(p, applier::profile_file_reader(), load_options(profile_path));
      if (!facts) cli::print_diagnostics(*c);
      const bool ok = !c->diags.has_errors() && c->profile;
      if (!ok) rc = kInvalidProfile;
      else if (!json) std::cout << p << ": ok\n";
      doc["profiles"].push_back({{"file", p},
                                 {"profile", c->profile ? cli::json_output::Json(c->profile->name.value) : nullptr},
                                 {"ok", ok},
                                 {"diagnostics", cli::json_output::diagnostics(c->diags, c->sources)}});
    }
    doc["ok"] = rc == kOk;
    if (json) cli::json_output::print(doc);
    return rc;
  }
  if (*fmt) return cli::run_fmt(fmt_files, fmt_check);
  if (*import_cmd) return cli::run_import_cgconfig(import_file, import_options);
  if (*export_cmd) return cli::run_export(export_target, profile, export_options, load_options(profile_path));
  if (*diff_cmd) {
    if (textconv ? diff_old.empty() || !diff_new.empty() : diff_new.empty()) {
      std::cerr << "nsplan: error: " << (textconv ? "diff --textconv takes one profile" : "diff takes two profiles, OLD and NEW")
                << "\n  hint: nsplan diff --help\n";
      return kUsage;
    }
    auto facts = target_facts(target);
    if (!facts) return kUsage;  // diff(1): trouble is 2
    return textconv ? cli::run_textconv(diff_old, *facts, load_options(profile_path))
                    : cli::run_diff(diff_old, diff_new, *facts, target.strict, load_options(profile_path), json);
  }
  bool live_target = target.cgroup.empty();
  if (*destroy) {
    auto name = name_to_destroy(profile, load_options(profile_path));
    if (const int* status = std::get_if<int>(&name)) return *status;
    auto facts = target_facts(target);
    return facts ? cli::run_destroy(std::get<std::string>(name), *facts, live) : kSystem;
  }
  if (*freeze || *thaw || *kill) {
    auto name = name_to_destroy(profile, load_options(profile_path));
    if (const int* status = std::get_if<int>(&name)) return *status;
    auto facts = target_facts(target);
    if (!facts) return kSystem;
    auto action = *freeze ? cli::TaskAction::Freeze : *thaw ? cli::TaskAction::Thaw : cli::TaskAction::Kill;
    return cli::run_task_control(std::get<std::string>(name), *facts, action, nsplan::applier::signal_number(signal_name));
  }
  std::optional<SavedPlan> saved;
  // A saved plan is a file by its form too: a path, or a word ending in .plan.
  if (*apply && profile != "-" && (is_profile_path(profile) || profile.ends_with(".plan"))) {
    if (auto text = cli::saved_plan_text_of(profile)) {
      std::string error;
      saved = parse_saved_plan(*text, error);
      if (!saved) {
        std::cerr << "nsplan: error: " << text::escaped(profile) << ": not a saved plan this nsplan can apply: " << text::escaped(error)
                  << "\n  hint: save it again with nsplan plan PROFILE --out FILE\n";
        return kInvalidProfile;
      }
      // Given again, an option must say what the saved plan says: it is applied as planned.
      const std::pair<const char*, bool> differing[] = {
          {"--cgroup-root", target.cgroup_root != saved->cgroup_root},
          {"--cgroup-parent", target.cgroup_parent != saved->cgroup_parent},
          {"--state-dir", target.state_dir != saved->state_dir},
          {"--strict", target.strict != saved->strict},
          {"--profile-path", profile_path != saved->profile_path},
      };
      for (const auto& [option, differs] : differing) {
        if (apply->count(option) == 0 || !differs) continue;
        std::cerr << "nsplan: error: " << option << " differs from the saved plan's: a saved plan is applied with the options it was planned with\n"
                  << "  hint: pass " << option << " to nsplan plan --out, and apply the new plan\n";
        return kUsage;
      }
      target.cgroup_root = saved->cgroup_root;
      target.cgroup_parent = saved->cgroup_parent;
      target.state_dir = saved->state_dir;
      target.strict = saved->strict;
      profile_path = saved->profile_path;
    } else if (profile.size() > 5 && profile.compare(profile.size() - 5, 5, ".plan") == 0) {
      std::cerr << "nsplan: error: " << text::escaped(profile) << ": not a saved plan (not readable, or not JSON of kind saved_plan)\n"
                << "  hint: nsplan plan PROFILE --out FILE saves one\n";
      return kInvalidProfile;
    }
  }
  if (!live.plan_out.empty()) {
    if (!target.cgroup.empty()) {
      std::cerr << "nsplan: error: plan --out saves what apply would change on this host; it takes no --cgroup\n";
      return kUsage;
    }
    live.plan_out_target.cgroup_root = target.cgroup_root;
    live.plan_out_target.cgroup_parent = target.cgroup_parent;
    live.plan_out_target.state_dir = target.state_dir;
    live.plan_out_target.strict = target.strict;
    live.plan_out_target.profile_path = profile_path;
  }
  auto facts = target_facts(target);
  if (!facts) return kSystem;
  if (*list) return list_applied(*facts, load_options(profile_path), json);
  if (*top) {
    if (top_once) top_options.watch.count = 1;
    top_options.sort = *cli::top::sort_key(top_sort);
    top_options.json = json;
    return cli::run_top(*facts, top_options);
  }
  if (status_watch) live.watch = watch_options;
  std::string status_name;  // status NAME: the profile file its last apply recorded
  if (*status && !is_profile_path(profile)) {
    auto from = recorded_source(profile, facts->state_dir);
    if (const int* rc = std::get_if<int>(&from)) return *rc;
    status_name = profile;
    profile = std::get<std::string>(from);
  }
  // A plan saved from standard input holds it as <stdin>, which `-` asks the reader for.
  auto c = saved ? compile_file(saved->source == kStdinPath ? "-" : saved->source, saved_sources_reader(*saved), *facts, PlanOptions{saved->strict},
                                load_options(profile_path))
               : compile(profile, *facts, target.strict, load_options(profile_path));
  if (saved) {
    cli::print_diagnostics(*c);
    if (!c->ok() || !cli::same_plan(*c, *saved)) {
      std::cerr << "nsplan: error: " << text::escaped(profile) << ": the saved plan is not what its profile plans on this host now (saved for: "
                << text::escaped(saved->target) << "; now: " << facts->describe() << "); nothing was changed\n"
                << "  hint: make and review a new plan: nsplan plan " << text::escaped(saved->source) << " --out FILE\n";
      return kSystem;
    }
    live.saved = &*saved;
    live.saved_file = profile;
  }
  if (!c->ok()) return kInvalidProfile;
  if (!status_name.empty() && c->profile->name.value != status_name) {
    std::cerr << "nsplan: error: " << profile << " names profile '" << c->profile->name.value << "' now, not '"
              << status_name << "'\n  hint: nsplan status FILE, with the file that describes '" << status_name << "'\n";
    return kInvalidProfile;
  }
  if (*apply) return cli::run_apply(*c, live);
  if (*try_cmd) return cli::run_try(*c, live, std::chrono::seconds(try_timeout));
  if (*run) return cli::run_run(*c, live, run_command);
  if (*attach) return cli::run_attach(*c, live, attach_pid, cgroups_only);
  if (*status) return cli::run_status(*c, live);
  if (*plan_cmd && live_target) {
    live.locations = !no_locations;
    return cli::run_plan_live(*c, live);
  }
  if (*explain) {
    if (target.strict) {
      const auto missing = applier::not_in_sh(*c->plan);
      for (const auto& step : missing) {
        // "FILE:LINE:COL: what the line says", as the script's comment shows the step.
        const size_t colon = step.find(": ");
        std::cerr << step.substr(0, colon) << ": error: a POSIX sh script cannot load the BPF device program of this step ("
                  << (colon == std::string::npos ? step : step.substr(colon + 2)) << "); only nsplan apply attaches it\n"
                  << "  hint: without --strict the script marks the step NOT IN SH\n";
      }
      // What the run part of the script cannot do (run.seccomp, nsplan's init).
      std::vector<applier::NotInSh> launch_missing;
      if (!no_run && !teardown && c->plan->launch) launch_missing = applier::process_not_in_sh(*c->plan->launch);
      for (const auto& m : launch_missing)
        std::cerr << m.where << ": error: " << m.what << "; only nsplan run does\n"
                  << "  hint: without --strict the script marks it with a '# nsplan run:' line\n";
      if (!missing.empty() || !launch_missing.empty()) return kInvalidProfile;
    }
    applier::ExplainOptions options{!no_run, explain_attach, teardown, description_of(*c), !no_locations};
    std::cout << applier::explain(*c->plan, c->diags, c->sources, options);
  } else if (*plan_cmd) {
    if (json) {
      cli::json_output::print(cli::json_output::document("plan", emit_json(*c->plan, c->diags, c->sources)));
    } else {
      for (const auto& step : c->plan->steps)
        std::cout << "+ " << op_name(step.action) << "  " << step.origin.what
                  << (no_locations ? std::string() : "  (" + step.origin.where + ")") << "\n";
    }
  }
  return kOk;
}

}  // namespace

// With --json, a command that printed no document of its own gets one saying why it failed.
int main(int argc, char** argv) { return nsplan::cli::json_output::finish(run(argc, argv)); }
