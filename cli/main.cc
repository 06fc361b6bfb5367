// nsplan's command line: wires the compiler (pure) to the applier (the system). Results go to
// stdout, diagnostics to stderr. Exit status: 0 ok, 1 invalid profile, 2 usage error,
// 3 failure on the system (see docs/cli.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "applier/files.h"
#include "applier/probe.h"
#include "compiler/compile.h"
#include "compiler/json_emitter.h"
#include "compiler/shell_emitter.h"
#include "schema/json_schema.h"

namespace {

using namespace nsplan;

constexpr int kOk = 0;
constexpr int kInvalidProfile = 1;
constexpr int kUsage = 2;
constexpr int kSystem = 3;

struct TargetOptions {
  std::string cgroup;  // "", "v1", "v2"
  std::string cgroup_root;
  std::string state_dir = "/run/nsplan";
  bool strict = false;
};

void add_target_options(CLI::App* cmd, TargetOptions& t) {
  cmd->add_option("--cgroup", t.cgroup, "Plan for this cgroup hierarchy instead of probing the host")
      ->check(CLI::IsMember({"v1", "v2"}));
  cmd->add_option("--cgroup-root", t.cgroup_root, "Cgroup mount directory (default /sys/fs/cgroup)");
  cmd->add_option("--state-dir", t.state_dir, "Where nsplan keeps state and persistent namespaces");
  cmd->add_flag("--strict", t.strict, "Refuse values that have no faithful equivalent on the target");
}

// Host facts as stated on the command line, or probed from this machine.
std::optional<HostFacts> target_facts(const TargetOptions& t) {
  HostFacts facts;
  if (!t.cgroup.empty()) {
    facts = HostFacts::stated(t.cgroup == "v1" ? CgroupMode::V1 : CgroupMode::V2, t.cgroup_root);
  } else {
    auto probe = applier::probe_host(t.cgroup_root.empty() ? "/sys/fs/cgroup" : t.cgroup_root);
    if (!probe.ok) {
      std::cerr << "nsplan: error: cannot tell the cgroup layout of this host: " << probe.error
                << "\n  hint: say --cgroup v1 or --cgroup v2\n";
      return std::nullopt;
    }
    facts = probe.facts;
  }
  facts.state_dir = t.state_dir;
  return facts;
}

void print_diagnostics(const Compilation& c) { std::cerr << render_all(c.diags, c.sources); }

std::unique_ptr<Compilation> compile(const std::string& path, const HostFacts& facts, bool strict) {
  auto c = compile_file(path, [](const std::string& p) { return applier::read_profile_file(p); }, facts,
                        PlanOptions{strict});
  print_diagnostics(*c);
  return c;
}

std::string description_of(const Compilation& c) {
  return c.profile && c.profile->description ? c.profile->description->value : "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nsplan: declarative cgroups, namespaces and virtual networks"};
  app.set_version_flag("--version", "nsplan 0.1.0");
  app.require_subcommand(1);

  std::string profile;
  TargetOptions target;

  auto* explain = app.add_subcommand("explain", "Print the plan as a POSIX shell script");
  explain->add_option("profile", profile, "Profile file")->required();
  add_target_options(explain, target);

  bool json = false;
  auto* plan_cmd = app.add_subcommand("plan", "Print the plan (--json: versioned JSON)");
  plan_cmd->add_option("profile", profile, "Profile file")->required();
  plan_cmd->add_flag("--json", json, "Machine-readable JSON");
  add_target_options(plan_cmd, target);

  std::vector<std::string> profiles;
  auto* check = app.add_subcommand("check", "Validate profiles only");
  check->add_option("profiles", profiles, "Profile files")->required();

  bool markdown = false;
  auto* schema_cmd = app.add_subcommand("schema", "Print the JSON Schema of the profile format");
  schema_cmd->add_flag("--markdown", markdown, "Print the reference documentation instead");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }

  if (*schema_cmd) {
    std::cout << (markdown ? schema::markdown_reference() : schema::json_schema());
    return kOk;
  }
  if (*check) {
    int rc = kOk;
    for (const auto& p : profiles) {
      auto c = check_file(p, [](const std::string& f) { return applier::read_profile_file(f); });
      print_diagnostics(*c);
      if (c->diags.has_errors() || !c->profile) rc = kInvalidProfile;
      else std::cout << p << ": ok\n";
    }
    return rc;
  }
  auto facts = target_facts(target);
  if (!facts) return kSystem;
  auto c = compile(profile, *facts, target.strict);
  if (!c->ok()) return kInvalidProfile;
  if (*explain) {
    std::cout << emit_shell(*c->plan, c->diags, c->sources, description_of(*c));
  } else if (*plan_cmd) {
    if (json) {
      std::cout << emit_json(*c->plan, c->diags, c->sources);
    } else {
      for (const auto& step : c->plan->steps)
        std::cout << "+ " << op_name(step.action) << "  " << step.origin.what << "  (" << step.origin.where << ")\n";
    }
  }
  return kOk;
}
