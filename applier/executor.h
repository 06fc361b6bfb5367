// Walks a Plan against the kernel: apply (a transaction with a write-ahead journal and rollback),
// destroy, diff (what apply would change) and status (what is there now).
#pragma once
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "applier/actions.h"
#include "applier/cgroup_control.h"
#include "applier/kernel.h"
#include "applier/state.h"
#include "compiler/plan.h"

namespace nsplan::applier {

// A change with the profile line it comes from (ChangeText: the line shown and its parts).
struct Change : ChangeText {
  std::string where;  // "firefox.yaml:7:10"; "" for a removal (no line asks for it any more)
};
// The lines of CHANGES, as they are shown.
std::vector<std::string> texts(const std::vector<Change>& changes);

struct ApplyOutcome {
  bool ok = false;
  std::vector<Change> changes;       // made (on success) or undone (on failure)
  std::vector<Change> removed;       // owned things the profile no longer asks for, removed
  std::string error;                 // "firefox.yaml:7:10: error: write ...: Device or resource busy"
  std::vector<std::string> rollback_errors;  // undos that failed in turn (something is left)
  size_t undone = 0;                 // changes taken back by the rollback (all, unless rollback_errors)
  size_t recovered = 0;              // undos replayed from an interrupted apply's journal
  bool declined = false;             // nsplan try: not confirmed, so taken back (error says so)
  // nsplan try, when CONFIRM is asked: what the profile no longer has, removed only once
  // confirmed (a removal is not taken back).
  std::vector<std::string> to_remove;
};

// Runs the plan; on the first failure undoes what this apply did, in reverse, and reports the
// step with its profile line. Re-applying an unchanged profile performs nothing.
// What apply reports of each step as it goes (nsplan -v): the step, what became of it, the change
// line plan would print, and how long the step took (observing and, when needed, acting).
struct StepEvent {
  enum class Outcome { InPlace, Changed, Failed } outcome;
  const plan::Step& step;
  std::string change;  // "+ mkdir /sys/fs/cgroup/nsplan/lab"; "" when in place
  std::chrono::nanoseconds took;
};
using StepObserver = std::function<void(const StepEvent&)>;

ApplyOutcome apply_plan(const plan::Plan& plan, Kernel& kernel, StateStore& state, const StepObserver& observer = {});

// nsplan try: apply_plan, but once every step is made (and journaled), CONFIRM is asked with what
// was changed; false takes the whole apply back, as a failure would: the values the profile no
// longer sets were given back before its steps, and are written again too. Nothing the profile
// dropped is removed, and the state is not saved, before CONFIRM says yes. Until then the
// journal holds every change: an nsplan killed while waiting is taken back by the profile's next
// apply or destroy.
using Confirm = std::function<bool(const ApplyOutcome& made)>;
ApplyOutcome try_plan(const plan::Plan& plan, Kernel& kernel, StateStore& state, const Confirm& confirm,
                      const StepObserver& observer = {});

struct DestroyOutcome {
  bool ok = false;
  std::vector<Change> removed;
  std::vector<std::string> errors;
  size_t recovered = 0;
  bool had_state = false;
};
// Removes everything the profile owns, children before parents: namespaces are dropped whole
// rather than emptied link by link, and host-side links go in one link-group request.
// Records read from STATE are checked against FACTS first (record_check.h).
DestroyOutcome destroy_profile(Kernel& kernel, StateStore& state, const HostFacts& facts);

// The cgroups the profile's records (state and journal, checked against FACTS) show nsplan made:
// the deepest in each hierarchy, with the identities recorded (cgroup_control.h acts on them).
SysResult<std::vector<OwnedCgroup>> owned_cgroups(const StateStore& state, const HostFacts& facts);

// Removes only the cgroups the profile owns (and the values and controllers that go with them),
// keeping namespaces and links: the end of a run whose cgroup is ephemeral.
DestroyOutcome release_cgroups(Kernel& kernel, StateStore& state, const HostFacts& facts);

struct Diff {
  std::vector<Change> changes;       // "+" and "~" lines, in plan order
  std::vector<std::string> removals; // "-" lines
  bool empty() const { return changes.empty() && removals.empty(); }
};
Diff diff_plan(const plan::Plan& plan, Kernel& kernel, const std::vector<Owned>& owned);
// The steps not in place, without the state (what a user without root may read): how many, and
// the first as a change line, or as what could not be looked at.
struct Pending {
  size_t count = 0;
  std::string first;
};
Pending pending_steps(const plan::Plan& plan, Kernel& kernel);

// How undo_records runs (designated initialisers at the call sites name what differs).
struct UndoOptions {
  // What was undone, or kept and why, for the caller's report (nullptr: not reported).
  std::vector<Change>* done = nullptr;
  // Host-side links go as one link-group request when this is given and does not hold their
  // group (no link of that group is to remain); otherwise link by link.
  const std::set<uint32_t>* groups_that_stay = nullptr;
  // Rollback, journal replay: put back precisely what was there, at once. Otherwise (destroy,
  // removals) time has passed and other profiles may rely on shared ancestors: a controller
  // stays enabled, and an ancestor cgroup stays, while cgroups remain below them.
  bool exact = false;
  // The state store: a sysctl goes back only while no other profile's uplink relies on it (IPv4
  // forwarding is one switch for the whole namespace).
  const StateStore* others = nullptr;
};

// Runs undo records newest first, skipping those another undo makes moot (values in a cgroup
// that is removed, links in a namespace that is deleted). Errors are collected, not fatal.
void undo_records(const std::vector<Owned>& records, Kernel& kernel, std::vector<std::string>& errors,
                  const UndoOptions& options = {});
// The link groups of the host-side links among RECORDS.
std::set<uint32_t> host_link_groups(const std::vector<Owned>& records);

// The live state of everything the plan describes, as JSON text: one entry per step.
std::string status_json(const plan::Plan& plan, Kernel& kernel);

}  // namespace nsplan::applier
