#include "applier/executor.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "compiler/escape.h"
#include "compiler/json_emitter.h"

namespace nsplan::applier {
namespace {

template <class T>
const T* as(const Undo& u) {
  return std::get_if<T>(&u);
}

// Fault injection for the crash-recovery tests: NSPLAN_TEST_CRASH_AFTER=K kills the process
// with SIGKILL right after the K-th change of an apply (documented in docs/testing.md).
void crash_point(size_t changes_made) {
  static const long crash_after = [] {
    const char* v = std::getenv("NSPLAN_TEST_CRASH_AFTER");
    return v ? std::strtol(v, nullptr, 10) : -1L;
  }();
  if (crash_after >= 0 && static_cast<long>(changes_made) == crash_after) std::raise(SIGKILL);
}

std::string step_error(const plan::Step& step, const Status& s) {
  return step.origin.where + ": error: " + s.message();
}

// v1 keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every write. The plan writes
// the limit first (right for a new cgroup and for lowering); raising the limit above the memsw
// in force needs memsw first.
bool memsw_goes_first(const plan::Step& a, const plan::Step& b, Kernel& kernel) {
  auto* limit = std::get_if<plan::WriteCgroupFile>(&a.action);
  auto* memsw = std::get_if<plan::WriteCgroupFile>(&b.action);
  if (!limit || !memsw || limit->file != "memory.limit_in_bytes" || memsw->file != "memory.memsw.limit_in_bytes" ||
      limit->dir != memsw->dir)
    return false;
  auto current = kernel.cgroup_read(memsw->dir, memsw->file);
  if (!current.ok()) return false;
  unsigned long long now = std::strtoull(current.value().c_str(), nullptr, 10);
  unsigned long long want = limit->value == "-1" ? ~0ull : std::strtoull(limit->value.c_str(), nullptr, 10);
  return want > now;
}

// v2: whether any cgroup remains below DIR (cgroup.stat counts them).
bool in_use_below(Kernel& kernel, const std::string& dir) {
  auto stat = kernel.cgroup_read(dir, "cgroup.stat");
  if (!stat.ok()) return false;
  auto pos = stat.value().find("nr_descendants ");
  return pos != std::string::npos && std::strtoul(stat.value().c_str() + pos + 15, nullptr, 10) > 0;
}

// Whether DIR still holds child cgroups (v1 and v2): a child's cgroup.procs is readable.
bool has_children(Kernel& kernel, const std::string& dir) {
  if (in_use_below(kernel, dir)) return true;
  // v1 has no cgroup.stat; rmdir of a childless cgroup only fails while tasks are in it.
  auto procs = kernel.cgroup_read(dir, "cgroup.procs");
  return procs.ok() && procs.value().empty();
}

}  // namespace

std::set<uint32_t> host_link_groups(const std::vector<Owned>& records) {
  std::set<uint32_t> groups;
  for (const auto& r : records)
    if (auto* u = as<DeleteLink>(r.undo))
      if (u->netns.empty() && u->group) groups.insert(u->group);
  return groups;
}

void undo_records(const std::vector<Owned>& records, Kernel& kernel, std::vector<std::string>& errors,
                  std::vector<std::string>* done, const std::set<uint32_t>* groups_that_stay, bool exact) {
  std::set<std::string> removed_dirs, removed_netns, deleted_links, removed_ns_paths, moved_devices;
  for (const auto& r : records) {
    if (auto* u = as<DeleteNamespace>(r.undo)) removed_ns_paths.insert(u->path);
    if (auto* u = as<RemoveCgroup>(r.undo)) removed_dirs.insert(u->dir);
    if (auto* u = as<DeleteNetns>(r.undo)) removed_netns.insert(u->name);
    if (auto* u = as<DeleteLink>(r.undo)) {
      deleted_links.insert(u->netns + "/" + u->name);
      if (!u->peer_name.empty()) deleted_links.insert(u->peer_netns + "/" + u->peer_name);
    }
    if (auto* u = as<MoveLinkBack>(r.undo)) moved_devices.insert(u->from + "/" + u->name);
  }
  std::set<uint32_t> groups_deleted;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const Undo& u = it->undo;
    auto gone_ns = [&](const std::string& ns) { return !ns.empty() && removed_netns.count(ns); };
    auto gone_dev = [&](const std::string& ns, const std::string& dev) { return gone_ns(ns) || deleted_links.count(ns + "/" + dev); };
    bool moot = false;
    if (auto* x = as<RestoreCgroupFile>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<DisableControllers>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<RestoreHostname>(u)) moot = removed_ns_paths.count(x->ns_path) > 0;
    // A device moved into a deleted namespace comes back: its mtu must be given back too.
    else if (auto* x = as<RestoreMtu>(u)) moot = gone_dev(x->netns, x->dev) && !moved_devices.count(x->netns + "/" + x->dev);
    else if (auto* x = as<RestoreMaster>(u)) moot = gone_dev(x->netns, x->dev);
    else if (auto* x = as<SetLinkDown>(u)) moot = gone_dev(x->netns, x->dev);
    else if (auto* x = as<DeleteAddress>(u)) moot = gone_dev(x->netns, x->dev);
    else if (auto* x = as<DeleteRoute>(u)) moot = gone_ns(x->route.netns) || (!x->route.dev.empty() && deleted_links.count(x->route.netns + "/" + x->route.dev));
    else if (auto* x = as<DeleteLink>(u)) {
      moot = gone_ns(x->netns);
      if (!moot && groups_that_stay && !groups_that_stay->count(x->group) && x->netns.empty() && x->group != 0) {
        // One request removes every host-side link of the profile (deleting up veths one by one
        // costs ~30 ms each).
        moot = true;
        if (groups_deleted.insert(x->group).second) {
          Status s = kernel.link_group_delete("", x->group);
          if (!s.ok() && s.err() != ENODEV) errors.push_back("delete link group " + std::to_string(x->group) + ": " + s.message());
          else if (done) done->push_back("- link group " + std::to_string(x->group) + " (the profile's host-side links)");
        }
      }
    }
    if (moot) continue;
    if (auto* x = as<DisableControllers>(u); x && !exact && in_use_below(kernel, x->dir)) {
      // Other cgroups below still use the controllers (another profile sharing an ancestor):
      // disabling them would take their limits away.
      if (done) done->push_back("= " + x->dir + "/cgroup.subtree_control left as it is: other cgroups below use it");
      continue;
    }
    Status s = run_undo(u, kernel);
    if (auto* x = as<RemoveCgroup>(u); x && !exact && (s.err() == EBUSY || s.err() == ENOTEMPTY)) {
      // An ancestor this profile made that another profile's cgroup now sits in: it stays.
      if (has_children(kernel, x->dir)) {
        if (done) done->push_back("= cgroup " + x->dir + " left in place: other cgroups are below it");
        continue;
      }
    }
    if (!s.ok()) errors.push_back(s.message());
    else if (done) done->push_back("- " + describe(u));
  }
}

ApplyOutcome apply_plan(const plan::Plan& plan, Kernel& kernel, ProfileState& state) {
  ApplyOutcome out;
  // A crashed apply left its journal: take it back first, so that we start from a known state.
  auto journal = state.read_journal();
  if (!journal.ok()) {
    out.error = journal.error().message();
    return out;
  }
  auto owned_result = state.load();
  if (!owned_result.ok()) {
    out.error = owned_result.error().message();
    return out;
  }
  const std::vector<Owned>& owned = owned_result.value();
  const std::set<uint32_t> owned_groups = host_link_groups(owned);
  if (!journal.value().empty()) {
    std::vector<std::string> errors;
    undo_records(journal.value(), kernel, errors, nullptr, &owned_groups, /*exact=*/true);
    out.recovered = journal.value().size();
    if (!errors.empty()) {
      out.error = "recovering the interrupted apply: " + errors.front();
      return out;
    }
    if (Status s = state.journal_remove(); !s.ok()) {
      out.error = s.message();
      return out;
    }
  }
  std::map<std::string, const Owned*> owned_by_key;
  for (const auto& o : owned) owned_by_key.emplace(o.key, &o);

  LiveView view(kernel);
  std::vector<Owned> made;       // this apply's records, for rollback
  std::vector<Owned> new_owned;  // what the profile owns afterwards
  std::set<std::string> plan_keys;
  bool journal_open = false;
  // Values the profile no longer sets go back first: on v1 a dropped memsw limit must be lifted
  // before a raised memory limit can be written (the kernel keeps limit <= memsw).
  std::set<std::string> all_plan_keys;
  for (const auto& step : plan.steps) all_plan_keys.insert(resource_key(step.action));
  std::vector<Owned> dropped_values;
  for (const auto& o : owned)
    if (!all_plan_keys.count(o.key) && std::holds_alternative<RestoreCgroupFile>(o.undo)) dropped_values.push_back(o);
  std::vector<std::string> early_errors;
  undo_records(dropped_values, kernel, early_errors, &out.removed);
  if (!early_errors.empty()) {
    out.error = "giving back values the profile no longer sets: " + early_errors.front();
    return out;
  }

  std::vector<const plan::Step*> order;
  for (const auto& step : plan.steps) order.push_back(&step);
  for (size_t i = 0; i < order.size(); ++i) {
    if (i + 1 < order.size() && memsw_goes_first(*order[i], *order[i + 1], kernel)) std::swap(order[i], order[i + 1]);
    const plan::Step& step = *order[i];
    std::string key = resource_key(step.action);
    plan_keys.insert(key);
    Observation before = observe(step.action, kernel, view);
    if (before.error) {
      out.error = step_error(step, Status(*before.error));
      break;
    }
    if (before.satisfied) {
      if (auto it = owned_by_key.find(key); it != owned_by_key.end()) new_owned.push_back(*it->second);
      continue;
    }
    std::optional<Undo> undo = undo_for(step.action, before);
    if (undo) {
      if (!journal_open) {
        if (Status s = state.journal_start(); !s.ok()) {
          out.error = s.message();
          break;
        }
        journal_open = true;
      }
      Owned record{key, *undo};
      if (Status s = state.journal_append(record); !s.ok()) {
        out.error = step_error(step, s);
        break;
      }
      made.push_back(record);
    }
    Status s = perform(step.action, kernel, view);
    if (!s.ok()) {
      out.error = step_error(step, s);
      if (undo) made.pop_back();  // never happened; its undo might touch what is not ours
      break;
    }
    out.changes.push_back({describe_change(step.action, before), step.origin.where});
    crash_point(out.changes.size());
    // A value the profile already owned keeps its first undo (the value before nsplan); for
    // controllers, the newly enabled ones join those enabled before.
    if (auto it = owned_by_key.find(key); it != owned_by_key.end()) {
      Owned kept = *it->second;
      auto* old_disable = std::get_if<DisableControllers>(&kept.undo);
      auto* new_disable = undo ? std::get_if<DisableControllers>(&*undo) : nullptr;
      if (old_disable && new_disable)
        for (const auto& c : new_disable->controllers)
          if (std::find(old_disable->controllers.begin(), old_disable->controllers.end(), c) == old_disable->controllers.end())
            old_disable->controllers.push_back(c);
      new_owned.push_back(kept);
    } else if (undo) {
      new_owned.push_back(made.back());
    }
  }
  if (!out.error.empty()) {
    // The journal must hold only what happened: rewrite it before undoing, so that a crash
    // during the rollback never replays the undo of a step that failed.
    if (journal_open && state.journal_start().ok())
      for (const auto& r : made) (void)state.journal_append(r);
    undo_records(made, kernel, out.rollback_errors, nullptr, &owned_groups, /*exact=*/true);
    if (out.rollback_errors.empty()) (void)state.journal_remove();
    return out;
  }
  // What the profile owned and no longer asks for goes, newest first.
  std::vector<Owned> dropped;
  for (const auto& o : owned)
    if (!plan_keys.count(o.key) && !std::holds_alternative<RestoreCgroupFile>(o.undo)) dropped.push_back(o);
  std::vector<std::string> removal_errors;
  const std::set<uint32_t> kept_groups = host_link_groups(new_owned);
  undo_records(dropped, kernel, removal_errors, &out.removed, &kept_groups);
  if (!removal_errors.empty()) {
    out.error = "removing what the profile no longer has: " + removal_errors.front();
    for (const auto& o : dropped) new_owned.push_back(o);  // still ours: destroy will retry
  }
  // Controllers nsplan enabled that the profile no longer needs are disabled, deepest first.
  for (auto it = plan.steps.rbegin(); it != plan.steps.rend() && out.error.empty(); ++it) {
    auto* enable = std::get_if<plan::EnableControllers>(&it->action);
    if (!enable) continue;
    for (auto& o : new_owned) {
      auto* disable = std::get_if<DisableControllers>(&o.undo);
      if (!disable || o.key != resource_key(it->action)) continue;
      std::vector<std::string> extra, keep;
      for (const auto& c : disable->controllers)
        (std::find(enable->controllers.begin(), enable->controllers.end(), c) == enable->controllers.end() ? extra : keep).push_back(c);
      if (extra.empty()) continue;
      Status s = run_undo(DisableControllers{disable->dir, extra}, kernel);
      if (!s.ok()) {
        out.error = it->origin.where + ": error: " + s.message();
        break;
      }
      out.removed.push_back("- " + describe(DisableControllers{disable->dir, extra}));
      disable->controllers = keep;
    }
  }
  bool changed = !out.changes.empty() || !dropped.empty() || !dropped_values.empty() || new_owned.size() != owned.size() ||
                 !out.removed.empty();
  if (changed || !state.has_state()) {
    if (Status s = state.save(new_owned); !s.ok()) {
      out.error = "saving " + state.state_path() + ": " + s.message();
      return out;  // the journal stays: the next run rolls this apply back
    }
  }
  if (journal_open) (void)state.journal_remove();
  out.ok = out.error.empty();
  return out;
}

DestroyOutcome destroy_profile(Kernel& kernel, ProfileState& state) {
  DestroyOutcome out;
  auto journal = state.read_journal();
  if (!journal.ok()) {
    out.errors.push_back(journal.error().message());
    return out;
  }
  out.recovered = journal.value().size();
  auto owned = state.load();
  if (!owned.ok()) {
    out.errors.push_back(owned.error().message());
    return out;
  }
  out.had_state = state.has_state() || out.recovered > 0;
  // The journal's changes are newer than the state's: they go first.
  std::vector<Owned> all = owned.value();
  all.insert(all.end(), journal.value().begin(), journal.value().end());
  const std::set<uint32_t> nothing_stays;
  undo_records(all, kernel, out.errors, &out.removed, &nothing_stays);
  if (out.errors.empty()) {
    if (Status s = state.journal_remove(); !s.ok()) out.errors.push_back(s.message());
    if (Status s = state.remove_state(); !s.ok()) out.errors.push_back(s.message());
  }
  out.ok = out.errors.empty();
  return out;
}

DestroyOutcome release_cgroups(Kernel& kernel, ProfileState& state) {
  DestroyOutcome out;
  auto owned = state.load();
  if (!owned.ok()) {
    out.errors.push_back(owned.error().message());
    return out;
  }
  std::vector<Owned> cgroup_records, rest;
  for (const auto& o : owned.value()) {
    bool cg = as<RemoveCgroup>(o.undo) || as<RestoreCgroupFile>(o.undo) || as<DisableControllers>(o.undo);
    (cg ? cgroup_records : rest).push_back(o);
  }
  out.had_state = !cgroup_records.empty();
  undo_records(cgroup_records, kernel, out.errors, &out.removed);  // no links among them
  if (out.errors.empty()) {
    Status s = rest.empty() ? state.remove_state() : state.save(rest);
    if (!s.ok()) out.errors.push_back(s.message());
  }
  out.ok = out.errors.empty();
  return out;
}

Diff diff_plan(const plan::Plan& plan, Kernel& kernel, const std::vector<Owned>& owned) {
  Diff diff;
  LiveView view(kernel);
  std::set<std::string> keys;
  for (const auto& step : plan.steps) {
    keys.insert(resource_key(step.action));
    Observation o = observe(step.action, kernel, view);
    if (!o.satisfied) diff.changes.push_back({describe_change(step.action, o), step.origin.where});
  }
  for (auto it = owned.rbegin(); it != owned.rend(); ++it)
    if (!keys.count(it->key)) diff.removals.push_back("- " + describe(it->undo));
  return diff;
}

std::string status_json(const plan::Plan& plan, Kernel& kernel) {
  nlohmann::ordered_json j;
  j["nsplan_status"] = 1;
  j["profile"] = plan.profile;
  j["items"] = nlohmann::ordered_json::array();
  LiveView view(kernel);
  for (const auto& step : plan.steps) {
    Observation o = observe(step.action, kernel, view);
    nlohmann::ordered_json item;
    item["key"] = resource_key(step.action);
    item["op"] = op_name(step.action);
    item["present"] = o.satisfied;
    if (!o.current.empty()) item["current"] = text::escaped(o.current);
    if (auto* link = std::get_if<plan::CreateLink>(&step.action)) {
      if (const LinkInfo* l = view.link(link->netns, link->name)) {
        item["link"] = {{"kind", text::escaped(l->kind)}, {"mtu", l->mtu}, {"master", text::escaped(l->master)}, {"up", l->up}, {"group", l->group}};
      }
    }
    j["items"].push_back(item);
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";  // never throw
}

}  // namespace nsplan::applier
