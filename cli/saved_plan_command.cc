// Saved plans: `nsplan plan PROFILE --out FILE` writes one, `nsplan apply FILE` applies exactly
// it, or refuses (compiler/saved_plan.h says what is checked).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "applier/files.h"
#include "applier/state_dir.h"
#include "cli/commands.h"
#include "compiler/escape.h"
#include "compiler/json_emitter.h"

namespace nsplan::cli {
using namespace applier;
namespace {

std::vector<SavedPlan::Change> saved_changes(const std::vector<Change>& changes) {
  std::vector<SavedPlan::Change> out;
  for (const auto& c : changes) out.push_back({c.text, c.where});
  return out;
}

// Lines of A that B lacks.
template <typename T, typename Text>
std::vector<std::string> only_in(const std::vector<T>& a, const std::vector<T>& b, Text text) {
  std::vector<std::string> out;
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(text(x));
  return out;
}

}  // namespace

Status write_saved_plan(const Compilation& c, const SavedPlan& target, const Diff& diff, const std::string& path) {
  SavedPlan saved = target;
  const plan::Plan& plan = *c.plan;
  saved.profile = plan.profile;
  saved.source = plan.source;
  saved.applied_from = absolute_path_of(plan.source);
  saved.target = plan.facts.describe();
  for (size_t id = 1; id <= c.sources.size(); ++id)
    saved.sources.push_back({c.sources.file(static_cast<uint32_t>(id)).path, c.sources.file(static_cast<uint32_t>(id)).text});
  saved.plan_json = emit_json(plan, c.diags, c.sources);
  saved.changes = saved_changes(diff.changes);
  saved.removals = diff.removals;
  return write_file_replacing(path, saved_plan_text(saved));
}

std::optional<std::string> saved_plan_text_of(const std::string& path) {
  FileContent f = read_profile_file(path, kMaxSavedPlanBytes);
  if (!f.ok || !looks_like_saved_plan(f.text)) return std::nullopt;
  return f.text;
}

bool same_plan(const Compilation& c, const SavedPlan& saved) {
  auto now = nlohmann::json::parse(emit_json(*c.plan, c.diags, c.sources), nullptr, false);
  auto then = nlohmann::json::parse(saved.plan_json, nullptr, false);
  return !now.is_discarded() && now == then;
}

bool live_as_saved(const Diff& now, const SavedPlan& saved, const std::string& file) {
  const auto changes_now = saved_changes(now.changes);
  if (changes_now == saved.changes && now.removals == saved.removals) return true;
  std::cerr << "nsplan: error: " << text::escaped(file) << ": the live system changed since this plan was saved; nothing was changed\n";
  auto change_line = [](const SavedPlan::Change& ch) { return ch.text + "  (" + ch.where + ")"; };
  auto removal_line = [](const std::string& r) { return r + "  (no longer in the profile)"; };
  auto gone = only_in(saved.changes, changes_now, change_line);
  for (const auto& r : only_in(saved.removals, now.removals, removal_line)) gone.push_back(r);
  auto added = only_in(changes_now, saved.changes, change_line);
  for (const auto& r : only_in(now.removals, saved.removals, removal_line)) added.push_back(r);
  if (!gone.empty()) std::cerr << "  saved, no longer what apply would do:\n";
  for (const auto& l : gone) std::cerr << "    " << text::escaped(l) << "\n";
  if (!added.empty()) std::cerr << "  what apply would do now, not in the saved plan:\n";
  for (const auto& l : added) std::cerr << "    " << text::escaped(l) << "\n";
  std::cerr << "  hint: make and review a new plan: nsplan plan " << text::escaped(saved.source) << " --out FILE\n";
  return false;
}

}  // namespace nsplan::cli
