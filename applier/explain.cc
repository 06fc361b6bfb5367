#include "applier/explain.h"

#include "applier/executor.h"
#include "applier/shell_kernel.h"
#include "applier/shell_launch.h"
#include "applier/state.h"
#include "compiler/shell_quote.h"

namespace nsplan::applier {
namespace {

std::string header(const plan::Plan& plan, const char* what, const std::string& description) {
  std::string out = "#!/bin/sh\n";
  out += std::string("# nsplan explain") + what + ": profile '" + sh_comment_text(plan.profile) + "' from " +
         sh_comment_text(plan.source) + "\n";
  if (!description.empty()) out += "# " + sh_comment_text(description) + "\n";
  out += "# target: " + plan.facts.describe() + "\n";
  return out;
}

// What the apply part of a script leaves: the script itself, and the records destroy would
// take back (as a MemoryState).
std::string apply_part(const plan::Plan& plan, MemoryState& state, bool locations) {
  ShellKernel shell(locations, plan.facts.cgroup_root);
  ApplyOutcome out = apply_plan(plan, shell, state);
  std::string script = shell.take();
  // Cannot happen (the script writer refuses nothing), but never print a partial script quietly.
  if (!out.ok) script += "\n# nsplan explain: the apply stopped here: " + sh_comment_text(out.error) + "\nexit 1\n";
  return script;
}

}  // namespace

std::vector<std::string> not_in_sh(const plan::Plan& plan) {
  ShellKernel shell;
  MemoryState state;
  (void)apply_plan(plan, shell, state);
  return shell.not_in_sh();
}

std::string explain(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm, const ExplainOptions& options) {
  MemoryState state;
  std::string applied = apply_part(plan, state, options.locations);
  if (options.teardown) {
    std::string out = header(plan, " --destroy", "");
    out += "# What `nsplan destroy` does after the apply of `nsplan explain`: children before parents,\n"
           "# namespaces deleted whole (their links with them), the host-side links as one link group.\n"
           "# nsplan destroy: acts only on what its records show it made, checked against the kernel's\n"
           "#   identity right before each step (cgroup inode, link ifindex and namespace, nsfs inode);\n"
           "#   deletes the link group only when every link in it is one of the profile's. sh cannot.\n"
           "set -u\n";
    ShellKernel shell;
    // The units the apply part started are there for the destroy part, as the cgroups are.
    if (auto owned = state.load(); owned.ok())
      for (const auto& o : owned.value())
        if (const auto* stop = std::get_if<StopUnit>(&o.undo)) shell.unit_started_by_script(stop->unit, stop->dir);
    DestroyOutcome d = destroy_profile(shell, state, plan.facts);
    out += shell.take();
    for (const auto& e : d.errors) out += "# nsplan explain: " + sh_comment_text(e) + "\n";
    return out;
  }
  std::string out = header(plan, "", options.description);
  out += "# What `nsplan apply` does on a host where nothing of this profile exists yet, step by\n"
         "# step, each with the profile line it comes from. apply leaves what is in place as it is,\n"
         "# undoes its steps if one fails, and records what it made for `nsplan destroy`.\n";
  for (const auto& d : diags.all())
    if (d.severity == Severity::Warning)
      out += "# warning: " +
             sh_comment_text(options.locations || !d.loc.valid() ? sm.describe(d.loc) : sm.file(d.loc.file).path) + ": " +
             sh_comment_text(d.message) + "\n";
  out += "set -eu\n";
  // run refuses a keep_fds descriptor that was not open before it changes anything: so does the
  // script, before the apply part.
  if (options.with_launch && options.attach_pid <= 0 && plan.launch && !plan.launch->command.empty())
    out += render_kept_descriptor_checks(*plan.launch);
  out += applied;
  if (options.attach_pid > 0) {
    out += "\n# nsplan attach: move process " + std::to_string(options.attach_pid) + " into the profile's cgroups\n";
    for (const auto& dir : plan.cgroup_dirs)
      out += "echo " + sh_quote(std::to_string(options.attach_pid)) + " > " + sh_quote(dir + "/cgroup.procs") + "\n";
    return out;
  }
  if (!options.with_launch || !plan.launch || plan.launch->command.empty()) return out;
  const plan::Launch& l = *plan.launch;
  out += "\n# " + (options.locations ? sh_comment_text(l.origin.where) + ": " : std::string()) +
         sh_comment_text(l.origin.what) + "\n";
  std::string release;
  if (l.ephemeral) {
    ShellKernel shell;
    DestroyOutcome r = release_cgroups(shell, state, plan.facts);
    release = "\n# when the command ends: the ephemeral cgroups go" + shell.take();
  }
  out += render_launch(l, {}, release);
  return out;
}

}  // namespace nsplan::applier
