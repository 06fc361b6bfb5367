#include "compiler/export_process.h"

#include <algorithm>
#include <cctype>

#include "compiler/capability_names.h"
#include "compiler/run_defaults.h"

namespace nsplan::exporting {
namespace {

std::string upper(const std::string& name) {
  std::string out = "CAP_";
  for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool drops_all(const CapabilitiesSpec& c) {
  return std::any_of(c.drop.begin(), c.drop.end(), [](const Located<std::string>& d) { return d.value == "all"; });
}

bool named(const std::vector<Located<std::string>>& list, std::string_view name) {
  return std::any_of(list.begin(), list.end(), [&](const Located<std::string>& x) { return x.value == name; });
}

// One set as the capability names it holds, when the profile gives it exactly (an explicit list,
// or drop: [all] with add); otherwise every capability of capabilities(7) but those dropped: the
// sets of root, which nsplan run starts from. EXPLICIT: the set's own key.
std::vector<std::string> exact_set(const CapabilitiesSpec& c, const std::vector<Located<std::string>>& explicit_list,
                                   bool bounding) {
  std::vector<std::string> out;
  if (!explicit_list.empty()) {
    for (const auto& x : explicit_list) out.push_back(upper(x.value));
    return out;
  }
  bool all = drops_all(c);
  for (auto name : capability_names()) {
    bool in = all ? named(c.add, name) : !named(c.drop, name) && (bounding || named(c.add, name));
    if (in) out.push_back(upper(std::string(name)));
  }
  return out;
}

}  // namespace

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<UnitSetting> systemd_process_settings(const RunSpec& r, const CannotFn& cannot) {
  std::vector<UnitSetting> out;
  if (r.umask) out.push_back({r.umask->loc, "UMask", (r.umask->value.size() < 4 ? "0" : "") + r.umask->value});
  if (r.nice) out.push_back({r.nice->loc, "Nice", std::to_string(r.nice->value)});
  if (r.oom_score_adj) out.push_back({r.oom_score_adj->loc, "OOMScoreAdjust", std::to_string(r.oom_score_adj->value)});
  if (r.ioprio && r.ioprio->io_class) {
    out.push_back({r.ioprio->io_class->loc, "IOSchedulingClass", r.ioprio->io_class->value});
    if (r.ioprio->level) out.push_back({r.ioprio->level->loc, "IOSchedulingPriority", std::to_string(r.ioprio->level->value)});
  }
  if (r.sched && r.sched->policy) {
    out.push_back({r.sched->policy->loc, "CPUSchedulingPolicy", r.sched->policy->value});
    if (r.sched->priority) out.push_back({r.sched->priority->loc, "CPUSchedulingPriority", std::to_string(r.sched->priority->value)});
  }
  if (r.cpus) out.push_back({r.cpus->loc, "CPUAffinity", r.cpus->value});
  if (!r.no_new_privs && no_new_privs_of(r)) out.push_back({r.loc, "NoNewPrivileges", "yes"});
  if (!r.capabilities) return out;
  const CapabilitiesSpec& c = *r.capabilities;
  // CapabilityBoundingSet= takes the set, or "~" and the ones to drop.
  if (!c.bounding.empty() || drops_all(c)) {
    std::string set = joined(exact_set(c, c.bounding, true));
    out.push_back({c.loc, "CapabilityBoundingSet", set.empty() ? "" : set});
  } else if (!c.drop.empty()) {
    std::vector<std::string> drops;
    for (const auto& d : c.drop) drops.push_back(upper(d.value));
    out.push_back({c.drop.front().loc, "CapabilityBoundingSet", "~" + joined(drops)});
  }
  const auto& ambient = c.ambient.empty() ? c.add : c.ambient;
  if (!ambient.empty()) {
    std::vector<std::string> names;
    for (const auto& a : ambient) names.push_back(upper(a.value));
    out.push_back({ambient.front().loc, "AmbientCapabilities", joined(names)});
  }
  if (!c.inheritable.empty())
    cannot(c.inheritable.front().loc, "an inheritable set of its own (systemd makes the ambient capabilities inheritable)");
  return out;
}

void oci_process_attrs(const RunSpec& r, nlohmann::ordered_json& process, const CannotFn& cannot) {
  (void)cannot;  // OCI has a form for each of them
  if (r.umask) {
    if (!process.contains("user")) process["user"] = {{"uid", 0}, {"gid", 0}};  // both required; 0: unchanged as root
    process["user"]["umask"] = std::stoul(r.umask->value, nullptr, 8);
  }
  if (r.oom_score_adj) process["oomScoreAdj"] = r.oom_score_adj->value;
  if (r.ioprio && r.ioprio->io_class) {
    const std::string& k = r.ioprio->io_class->value;
    process["ioPriority"] = {{"class", k == "realtime" ? "IOPRIO_CLASS_RT" : k == "idle" ? "IOPRIO_CLASS_IDLE" : "IOPRIO_CLASS_BE"},
                             {"priority", k == "idle" ? 0 : r.ioprio->level ? r.ioprio->level->value : 4}};
  }
  if (r.nice || (r.sched && r.sched->policy)) {
    std::string policy = r.sched && r.sched->policy ? r.sched->policy->value : "other";
    for (char& ch : policy) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    nlohmann::ordered_json s = {{"policy", "SCHED_" + policy}};
    if (r.nice) s["nice"] = r.nice->value;
    if (r.sched && r.sched->priority) s["priority"] = r.sched->priority->value;
    else if (policy == "FIFO" || policy == "RR") s["priority"] = 1;
    process["scheduler"] = s;
  }
  if (r.cpus) process["execCPUAffinity"] = {{"initial", r.cpus->value}, {"final", r.cpus->value}};
  if (!r.no_new_privs && no_new_privs_of(r)) process["noNewPrivileges"] = true;
  if (!r.capabilities) return;
  const CapabilitiesSpec& c = *r.capabilities;
  std::vector<std::string> bounding = exact_set(c, c.bounding, true), inheritable = exact_set(c, c.inheritable, false),
                           ambient = exact_set(c, c.ambient, false);
  // exec gives a uid 0 command bounding and inheritable, another one its ambient set; permitted
  // holds all three so that the runtime may raise the ambient ones.
  std::vector<std::string> permitted = bounding;
  for (const auto& set : {inheritable, ambient})
    for (const auto& n : set)
      if (std::find(permitted.begin(), permitted.end(), n) == permitted.end()) permitted.push_back(n);
  process["capabilities"] = {{"bounding", bounding}, {"effective", permitted}, {"inheritable", inheritable},
                             {"permitted", permitted}, {"ambient", ambient}};
}

}  // namespace nsplan::exporting
