#include "applier/shell_process.h"

#include <cstdio>

#include "compiler/capability_names.h"

namespace nsplan::applier {
namespace {

// setpriv's form of a change: "-all,+net_admin,-sys_admin".
std::string change_text(const plan::CapabilityChange& c) {
  std::string out = c.clear_all ? "-all" : "";
  for (int k : c.add) out += (out.empty() ? "+" : ",+") + capability_name(k);
  for (int k : c.drop) out += (out.empty() ? "-" : ",-") + capability_name(k);
  return out;
}

}  // namespace

std::string render_process_attrs(const plan::ProcessAttrs& p) {
  std::string out;
  if (p.umask) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", *p.umask);
    out += std::string("umask ") + text + "\n";
  }
  // renice and taskset report the old and new values on stdout: not the command's output.
  if (p.nice) out += "renice -n " + std::to_string(*p.nice) + " -p \"$$\" > /dev/null\n";
  if (p.oom_score_adj) out += "echo " + std::to_string(*p.oom_score_adj) + " > /proc/self/oom_score_adj\n";
  if (p.ioprio)
    out += "ionice -c " + std::to_string(p.ioprio->class_value) +
           (p.ioprio->class_value == 3 ? std::string() : " -n " + std::to_string(p.ioprio->level)) + " -p \"$$\"\n";
  if (p.sched) out += "chrt --" + p.sched->policy + " -p " + std::to_string(p.sched->priority) + " \"$$\"\n";
  if (!p.cpus.empty()) out += "taskset -p -c " + p.cpus + " \"$$\" > /dev/null\n";
  return out;
}

std::vector<std::string> capability_words(const plan::Capabilities& caps) {
  std::vector<std::string> words;
  if (!caps.bounding.empty()) words.push_back("--bounding-set=" + change_text(caps.bounding));
  if (!caps.inheritable.empty()) words.push_back("--inh-caps=" + change_text(caps.inheritable));
  if (!caps.ambient.empty()) words.push_back("--ambient-caps=" + change_text(caps.ambient));
  return words;
}

}  // namespace nsplan::applier
