#include "cli/commands.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "applier/cgroup_usage.h"
#include "applier/executor.h"
#include "applier/privileges.h"
#include "cli/json_output.h"
#include "compiler/escape.h"
#include "cli/log.h"
#include "compiler/json_emitter.h"

namespace nsplan::cli {

std::string milliseconds_since(std::chrono::steady_clock::time_point start) {
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", ms);
  return buf;
}

// -v: each step as apply does it; -vv: also those already in place.
static void log_step(const applier::StepEvent& e) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%7.2f ms] ", std::chrono::duration<double, std::milli>(e.took).count());
  const std::string took = buf;
  const std::string where = " (" + e.step.origin.where + ")";
  switch (e.outcome) {
    case applier::StepEvent::Outcome::Changed: log::info(took + e.change + where); break;
    case applier::StepEvent::Outcome::Failed: log::info(took + "failed" + where); break;
    case applier::StepEvent::Outcome::InPlace: log::debug(took + "in place" + where); break;
  }
}

applier::StepObserver step_observer() {
  return log::level() >= log::Level::Verbose ? applier::StepObserver(log_step) : applier::StepObserver();
}

std::string absolute_path_of(const std::string& path) {
  if (path == kStdinPath) return {};  // not a file: never a file of that name in the current directory
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) return {};
  std::string out = real;
  std::free(real);
  return out;
}

void record_source(applier::ProfileState& state, const plan::Plan& plan, const SavedPlan* saved) {
  if (plan.source == kStdinPath) state.set_applied_from_stdin();
  else state.set_applied_from(saved ? saved->applied_from : absolute_path_of(plan.source));
}

namespace {

using namespace applier;


void print_changes(const std::vector<Change>& changes, bool locations = true) {
  size_t width = 0;
  for (const auto& c : changes) width = std::max(width, c.text.size());
  width = std::min<size_t>(width, 72);
  for (const auto& c : changes) {
    if (!locations) {
      std::cout << "  " << c.text << "\n";
      continue;
    }
    std::cout << "  " << c.text;
    if (c.text.size() < width) std::cout << std::string(width - c.text.size(), ' ');
    std::cout << "  " << c.where << "\n";
  }
}

// apply --json: what it changed (or, failing, undid), each change in parts (docs/json.md).
void print_apply_json(const Compilation& c, const ApplyOutcome& out) {
  const plan::Plan& plan = *c.plan;
  auto doc = json_output::document("apply");
  doc["profile"] = plan.profile;
  doc["source"] = plan.source;
  doc["target"] = plan.facts.describe();
  doc["ok"] = out.ok;
  // Failed: everything was undone, unless the rollback itself failed.
  doc["changed"] = out.ok ? !out.changes.empty() || !out.removed.empty() || out.recovered > 0 : !out.rollback_errors.empty();
  doc["recovered"] = out.recovered;
  doc["changes"] = json_output::changes(out.ok ? out.changes : std::vector<Change>{});
  doc["removed"] = json_output::changes(out.ok ? out.removed : std::vector<Change>{});
  doc["diagnostics"] = json_output::diagnostics(c.diags, c.sources);  // the profile's warnings
  if (!out.ok) {
    doc["error"] = out.error;
    doc["undone"] = json_output::changes(out.changes);
    doc["rollback_errors"] = out.rollback_errors;
  }
  json_output::print(doc);
}

// destroy --json: what it removed, or left behind.
void print_destroy_json(const std::string& profile, const DestroyOutcome& out) {
  auto doc = json_output::document("destroy");
  doc["profile"] = profile;
  doc["ok"] = out.ok;
  // A profile applied here is gone now (its state with it); a refused or failed destroy changed
  // only what it removed.
  doc["changed"] = out.ok ? out.had_state || out.recovered > 0 : !out.removed.empty() || out.recovered > 0;
  doc["had_state"] = out.had_state;
  doc["recovered"] = out.recovered;
  doc["removed"] = json_output::changes(out.removed);
  doc["errors"] = out.errors;
  json_output::print(doc);
}

bool privileged(const plan::Plan& plan) {
  std::string missing = missing_privileges(plan);
  if (missing.empty()) return true;
  std::cerr << "nsplan: error: profile '" << plan.profile << "' needs " << missing
            << "; nothing was changed\n  hint: " << privileges_hint(missing) << "\n";
  return false;
}

}  // namespace

std::optional<ProfileState> open_to_apply(const plan::Plan& plan, const LiveOptions& o) {
  if (!privileged(plan)) return std::nullopt;
  auto state = ProfileState::open(plan.facts.state_dir, plan.profile, o.wait);
  if (!state.ok()) {
    std::cerr << "nsplan: error: " << state.error().message() << "\n";
    if (std::string hint = state_dir_hint(state.error()); !hint.empty()) std::cerr << "  hint: " << hint << "\n";
    if (state.error().err == EWOULDBLOCK) std::cerr << "  hint: wait for it, or pass --wait\n";
    return std::nullopt;
  }
  return std::move(state).value();
}

int run_apply(const Compilation& c, const LiveOptions& o) {
  const plan::Plan& plan = *c.plan;
  auto state = open_to_apply(plan, o);
  if (!state) return kSystem;
  auto kernel = make_linux_kernel(plan.facts);
  if (o.saved) {
    // Checked with the profile's lock held: no other nsplan changes it before the apply.
    auto owned = state->load();
    if (!owned.ok()) {
      std::cerr << "nsplan: error: " << owned.error().message() << "\n";
      return kSystem;
    }
    if (!live_as_saved(diff_plan(plan, *kernel, owned.value()), *o.saved, o.saved_file)) return kSystem;
  }
  record_source(*state, plan, o.saved);
  ApplyOutcome out = apply_plan(plan, *kernel, *state, step_observer());
  if (o.json) print_apply_json(c, out);
  if (out.recovered && !o.json && !log::quiet())
    std::cout << "recovered an interrupted apply: " << out.recovered << " change(s) taken back first\n";
  if (!out.ok) {
    std::cerr << out.error << "\n";
    if (out.rollback_errors.empty()) {
      std::cerr << "  rolled back: nothing of this apply is left" << (out.changes.empty() ? "" : " (" + std::to_string(out.changes.size()) + " change(s) undone)") << "\n";
    } else {
      std::cerr << "  rollback incomplete; left behind:\n";
      for (const auto& e : out.rollback_errors) std::cerr << "    " << e << "\n";
      std::cerr << "  hint: `nsplan destroy` retries from the journal\n";
    }
    return kSystem;
  }
  if (log::quiet() || o.json) return kOk;
  if (out.changes.empty() && out.removed.empty()) {
    std::cout << "no changes: '" << plan.profile << "' is applied as the profile says\n";
    return kOk;
  }
  std::cout << "applied '" << plan.profile << "' (" << plan.facts.describe() << "):\n";
  print_changes(out.changes);
  for (const auto& r : out.removed) std::cout << "  " << r.text << "  (no longer in the profile)\n";
  std::cout << out.changes.size() << " change(s), " << out.removed.size() << " removal(s)\n";
  return kOk;
}

int run_destroy(const std::string& profile_name, const HostFacts& facts, const LiveOptions& o) {
  // What a profile owns may be cgroups, namespaces and links: root may need every privilege; a
  // user, what the records (state and journal) show it made (cgroups in a subtree delegated to it).
  std::vector<Owned> records;
  if (geteuid() != 0) {
    auto recorded = ProfileState::read_only(facts.state_dir, profile_name);
    auto owned = recorded.load();
    auto journal = recorded.read_journal();
    if (owned.ok()) records = owned.value();
    if (journal.ok()) records.insert(records.end(), journal.value().begin(), journal.value().end());
    // Nothing recorded: nothing to do, and no state dir of the user's to make for it.
    if (owned.ok() && journal.ok() && records.empty() && !recorded.has_state()) {
      DestroyOutcome none;
      none.ok = true;
      if (o.json) print_destroy_json(profile_name, none);
      else if (!log::quiet()) std::cout << "nothing to destroy: '" << profile_name << "' owns nothing on this host\n";
      return kOk;
    }
  }
  std::string missing = missing_privileges(records);
  if (!missing.empty()) {
    std::cerr << "nsplan: error: destroying '" << profile_name << "' needs " << missing
              << "; nothing was changed\n  hint: run as root" << (geteuid() == 0 ? "" : ", or as the user that applied it") << "\n";
    return kSystem;
  }
  auto state = ProfileState::open(facts.state_dir, profile_name, o.wait);
  if (!state.ok()) {
    std::cerr << "nsplan: error: " << state.error().message() << "\n";
    if (std::string hint = state_dir_hint(state.error()); !hint.empty()) std::cerr << "  hint: " << hint << "\n";
    return kSystem;
  }
  if (int rc = empty_before_destroy(profile_name, facts, o.kill); rc != kOk) return rc;
  auto kernel = make_linux_kernel(facts);
  DestroyOutcome out = destroy_profile(*kernel, state.value(), facts);
  if (o.json) print_destroy_json(profile_name, out);
  if (!out.ok) {
    std::cerr << "nsplan: error: destroying '" << profile_name << "' left things behind:\n";
    for (const auto& e : out.errors) std::cerr << "  " << e << "\n";
    return kSystem;
  }
  if (log::quiet() || o.json) return kOk;
  if (!out.had_state) {
    std::cout << "nothing to destroy: '" << profile_name << "' owns nothing on this host\n";
    return kOk;
  }
  std::cout << "destroyed '" << profile_name << "':\n";
  for (const auto& r : out.removed) std::cout << "  " << r.text << "\n";
  return kOk;
}

void print_diagnostics(const Compilation& c) {
  if (json_output::enabled()) json_output::keep_diagnostics(c.diags, c.sources);
  if (!log::quiet()) {
    std::cerr << log::colour_diagnostics(render_all(c.diags, c.sources));
    return;
  }
  Diagnostics errors;
  for (const auto& d : c.diags.all())
    if (d.severity == Severity::Error) errors.add(d);
  std::cerr << log::colour_diagnostics(render_all(errors, c.sources));
}

int run_plan_live(const Compilation& c, const LiveOptions& o) {
  const plan::Plan& plan = *c.plan;
  auto state = ProfileState::read_only(plan.facts.state_dir, plan.profile);
  auto owned = state.load();
  if (!owned.ok()) {
    std::cerr << "nsplan: error: " << owned.error().message() << "\n";
    if (std::string hint = state_dir_hint(owned.error()); !hint.empty()) std::cerr << "  hint: " << hint << "\n";
    return kSystem;
  }
  auto kernel = make_linux_kernel(plan.facts);
  Diff diff = diff_plan(plan, *kernel, owned.value());
  if (!o.plan_out.empty()) {
    if (Status s = write_saved_plan(c, o.plan_out_target, diff, o.plan_out); !s.ok()) {
      std::cerr << "nsplan: error: saving the plan: " << s.message() << "\n";
      return kSystem;
    }
  }
  if (o.json) {
    auto j = json_output::document("plan", emit_json(plan, c.diags, c.sources));
    nlohmann::ordered_json d;
    d["pending"] = !diff.empty();
    d["changes"] = nlohmann::ordered_json::array();
    for (const auto& ch : diff.changes) {
      auto record = json_output::change(ch);
      record["change"] = ch.text;  // the first form of version 1, kept
      d["changes"].push_back(record);
    }
    d["removals"] = diff.removals;
    j["diff"] = d;
    json_output::print(j);
  } else if (diff.empty()) {
    std::cout << "no changes: '" << plan.profile << "' is applied as the profile says\n";
  } else {
    std::cout << "nsplan apply would change (" << plan.facts.describe() << "):\n";
    print_changes(diff.changes, o.locations);
    for (const auto& r : diff.removals) std::cout << "  " << r << "  (no longer in the profile)\n";
    size_t creates = 0;
    for (const auto& ch : diff.changes) creates += ch.text[0] == '+';
    std::cout << creates << " to add, " << diff.changes.size() - creates << " to change, " << diff.removals.size()
              << " to remove\n";
  }
  if (!o.plan_out.empty() && !o.json)
    std::cout << "saved to " << text::escaped(o.plan_out) << ": `nsplan apply " << text::escaped(o.plan_out)
              << "` makes exactly these changes, or none if the system changed meanwhile\n";
  return diff.empty() ? kOk : kChangesPending;
}

namespace {

// The cgroups whose usage status shows: the profile's, except one that its state records nsplan
// made and that is no longer that cgroup (removed, or made again by someone else since).
std::vector<std::string> usage_dirs(const plan::Plan& plan, Kernel& kernel) {
  auto owned = owned_cgroups(ProfileState::read_only(plan.facts.state_dir, plan.profile), plan.facts);
  if (!owned.ok()) return plan.cgroup_dirs;
  const std::vector<std::string> proven = still_owned(kernel, owned.value());
  std::vector<std::string> dirs;
  for (const auto& dir : plan.cgroup_dirs) {
    bool recorded = std::any_of(owned.value().begin(), owned.value().end(), [&](const OwnedCgroup& o) { return o.dir == dir; });
    if (!recorded || std::find(proven.begin(), proven.end(), dir) != proven.end()) dirs.push_back(dir);
  }
  return dirs;
}

// The status report of the profile on OUT; its exit status.
int status_report(const Compilation& c, const LiveOptions& o, std::ostream& out) {
  const plan::Plan& plan = *c.plan;
  auto kernel = make_linux_kernel(plan.facts);
  auto j = json_output::document("status", status_json(plan, *kernel));
  // What the cgroups use now, next to the limits above.
  CgroupUsage usage = read_usage(*kernel, plan.facts, usage_dirs(plan, *kernel));
  if (o.json) {
    if (usage.any()) j["usage"] = usage_json(usage);
    json_output::print(j);
    for (const auto& item : j["items"])
      if (!item["present"].get<bool>()) return kChangesPending;
    return kOk;
  }
  size_t present = 0;
  for (const auto& item : j["items"]) {
    bool p = item["present"].get<bool>();
    bool exists = item.value("exists", false);
    present += p;
    // Changed: something is there, but not what the profile says (a value set by hand).
    out << (p ? "  ok       " : exists ? "  changed  " : "  missing  ") << item["key"].get<std::string>();
    if (!p && exists && item.contains("change")) out << "  (" << item["change"].get<std::string>() << ")";
    else if (!p && item.contains("current")) out << "  (now: " << item["current"].get<std::string>() << ")";
    out << "\n";
  }
  out << present << " of " << j["items"].size() << " in place\n";
  if (usage.any()) {
    out << "usage:\n";
    for (const auto& line : usage_lines(usage)) out << "  " << line << "\n";
  }
  return present == j["items"].size() ? kOk : kChangesPending;
}

}  // namespace

int run_status(const Compilation& c, const LiveOptions& o) {
  if (!o.watch) return status_report(c, o, std::cout);
  return watch(*o.watch, [&](const Screen&) {
    std::ostringstream text;
    int rc = status_report(c, o, text);
    return Frame{text.str(), rc};
  });
}

}  // namespace nsplan::cli
