#include "applier/plan_diff.h"

#include <deque>
#include <map>

#include "applier/actions.h"
#include "applier/shell_launch.h"
#include "compiler/overloaded.h"

namespace nsplan::applier {
namespace {

// What a step makes or sets, as `plan` words it for a host without it, without the sign.
std::string body(const plan::Action& action) {
  std::string text = describe_change(action, Observation{}).text;
  return text.size() > 2 && text[1] == ' ' ? text.substr(2) : text;
}

// The step of OLD changed into the step of NEW (same resource): "~ ...: old -> new" where the
// action has one value, else NEW as it is, and what it was.
std::string changed(const plan::Action& before, const plan::Action& after) {
  Observation seen;
  seen.exists = true;
  bool has_value = std::visit(
      overloaded{
          [&](const plan::WriteCgroupFile& a) {
            const auto* b = std::get_if<plan::WriteCgroupFile>(&before);
            if (b && b->file == a.file) seen.current = b->value;
            return b && b->file == a.file;
          },
          [&](const plan::SetMac& a) {
            const auto* b = std::get_if<plan::SetMac>(&before);
            if (b) seen.current = b->mac;
            return b && b->dev == a.dev;
          },
          [&](const plan::SetMtu& a) {
            const auto* b = std::get_if<plan::SetMtu>(&before);
            if (b) seen.current = std::to_string(b->mtu);
            return b && b->dev == a.dev;
          },
          [&](const plan::SetHostname& a) {
            const auto* b = std::get_if<plan::SetHostname>(&before);
            if (b) seen.current = b->hostname;
            return b && b->domainname == a.domainname;
          },
          [&](const plan::SetMaster& a) {
            const auto* b = std::get_if<plan::SetMaster>(&before);
            if (b) seen.current = b->master;
            return b && b->dev == a.dev;
          },
          [](const auto&) { return false; },
      },
      after);
  if (has_value) return describe_change(after, seen).text;
  const auto* was_enabled = std::get_if<plan::EnableControllers>(&before);
  const auto* now_enabled = std::get_if<plan::EnableControllers>(&after);
  if (was_enabled && now_enabled) {
    std::string was, now;
    for (const auto& c : was_enabled->controllers) was += (was.empty() ? "+" : " +") + c;
    for (const auto& c : now_enabled->controllers) now += (now.empty() ? "+" : " +") + c;
    return "~ " + now_enabled->dir + "/cgroup.subtree_control: " + was + " -> " + now;
  }
  std::string was = body(before), now = body(after);
  if (was == now) return "~ " + now + "  (its other settings change)";
  return "~ " + now + "  (was: " + was + ")";
}

// Lines of A not in B (as many times as they are in A more than in B), in A's order.
std::vector<std::string> only_in(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::map<std::string, int> left;
  for (const auto& line : b) ++left[line];
  std::vector<std::string> out;
  for (const auto& line : a)
    if (left[line]-- <= 0) out.push_back(line);
  return out;
}

std::vector<std::string> launch_of(const plan::Plan& p) {
  return p.launch && !p.launch->command.empty() ? launch_lines(*p.launch) : std::vector<std::string>{};
}

}  // namespace

std::vector<PlanChange> diff_plans(const plan::Plan& old_plan, const plan::Plan& new_plan) {
  // A key may name more than one step (a link made, then moved): paired in order.
  std::map<std::string, std::deque<size_t>> old_by_key;
  for (size_t i = 0; i < old_plan.steps.size(); ++i) old_by_key[resource_key(old_plan.steps[i].action)].push_back(i);
  std::vector<bool> paired(old_plan.steps.size(), false);
  std::vector<PlanChange> out;
  for (const auto& step : new_plan.steps) {
    auto it = old_by_key.find(resource_key(step.action));
    if (it == old_by_key.end() || it->second.empty()) {
      out.push_back({"+ " + body(step.action), step.origin.where});
      continue;
    }
    size_t i = it->second.front();
    it->second.pop_front();
    paired[i] = true;
    const plan::Action& before = old_plan.steps[i].action;
    if (!(before == step.action)) out.push_back({changed(before, step.action), step.origin.where});
  }
  for (size_t i = 0; i < old_plan.steps.size(); ++i)
    if (!paired[i]) out.push_back({"- " + body(old_plan.steps[i].action), old_plan.steps[i].origin.where});

  const std::vector<std::string> before = launch_of(old_plan), after = launch_of(new_plan);
  for (const auto& line : only_in(after, before)) out.push_back({"+ run: " + line, new_plan.launch->origin.where});
  for (const auto& line : only_in(before, after)) out.push_back({"- run: " + line, old_plan.launch->origin.where});
  return out;
}

std::vector<std::string> plan_lines(const plan::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& step : plan.steps) out.push_back(body(step.action));
  for (const auto& line : launch_of(plan)) out.push_back("run: " + line);
  return out;
}

}  // namespace nsplan::applier
