// `nsplan diff OLD NEW`: what changes on the machine when a profile goes from OLD to NEW, at the
// level of the kernel operations of the two plans (both planned for the same target). Pure: it
// compares two Plans, reads nothing and needs no kernel.
//
// A step of NEW and a step of OLD are the same thing when they have the same resource_key
// (applier/actions.h: the key apply's state uses to know what a profile owns), so a value that
// changes is one "~ old -> new" line rather than a removal and an addition.
#pragma once
#include <string>
#include <vector>

#include "compiler/plan.h"

namespace nsplan::applier {

struct PlanChange {
  std::string text;   // "~ /sys/fs/cgroup/nsplan/lab/memory.max: 3221225472 -> 4294967296"
  std::string where;  // NEW's profile line for "+" and "~", OLD's for "-"
};

// "+" and "~" in NEW's order, then "-" in OLD's order, then the changes to the command's launch
// (what `nsplan run` does after the apply: "+ run: ..." / "- run: ..." per line of its script).
// Empty when the two plans do the same.
std::vector<PlanChange> diff_plans(const plan::Plan& old_plan, const plan::Plan& new_plan);

// One line per kernel operation of PLAN, without sign or location: the text that `git diff`
// compares through `nsplan diff --textconv` ("/sys/fs/cgroup/nsplan/lab/memory.max = 3221225472").
std::vector<std::string> plan_lines(const plan::Plan& plan);

}  // namespace nsplan::applier
