#include "applier/executor.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "applier/cgroup_values.h"
#include "applier/record_check.h"
#include "applier/returned_device.h"
#include "compiler/cgroup_files.h"
#include "compiler/overloaded.h"
#include "compiler/escape.h"
#include "compiler/json_emitter.h"

namespace nsplan::applier {
namespace {

template <class T>
const T* as(const Undo& u) {
  return std::get_if<T>(&u);
}

std::string step_error(const plan::Step& step, const Status& s) {
  return step.origin.where + ": error: " + s.message();
}

// Two files of one cgroup whose order depends on the values in force
// (compiler/cgroup_files.cc): whether the step after A must go first.
// - `keeps_at_least`: the kernel keeps one file at or below another (v1: memory.limit_in_bytes
//   <= memory.memsw.limit_in_bytes at every write). The plan writes the lower one first, right
//   for a new cgroup and for lowering; raising it above the other's value in force needs the
//   other written first.
// - `before_if_lowered`: v1 cpu.rt_period_us goes before cpu.rt_runtime_us, right for a new
//   cgroup (runtime 0); a shorter period with the old runtime would raise the group's share, so
//   the runtime goes first when the period is lowered while the group has runtime.
bool second_goes_first(const plan::Step& a, const plan::Step& b, Kernel& kernel) {
  auto* first = std::get_if<plan::WriteCgroupFile>(&a.action);
  auto* second = std::get_if<plan::WriteCgroupFile>(&b.action);
  if (!first || !second || first->dir != second->dir) return false;
  auto number = [](const std::string& v) { return v == "-1" ? ~0ull : std::strtoull(v.c_str(), nullptr, 10); };
  if (const auto* row = cgroup_files::find(first->file); row && row->before_if_lowered && second->file == row->before_if_lowered) {
    // The second file still at a new cgroup's value (runtime 0) takes any order: the plan's.
    const auto* other = cgroup_files::find(second->file);
    auto current = kernel.cgroup_read(first->dir, first->file);
    auto other_now = kernel.cgroup_read(second->dir, second->file);
    return current.ok() && other_now.ok() && number(first->value) < number(current.value()) &&
           (!other || other_now.value() != other->new_value);
  }
  const auto* row = cgroup_files::find(second->file);
  if (!row || !row->keeps_at_least || first->file != row->keeps_at_least) return false;
  auto current = kernel.cgroup_read(second->dir, second->file);
  if (!current.ok()) return false;
  return number(first->value) > number(current.value());
}

}  // namespace

std::set<uint32_t> host_link_groups(const std::vector<Owned>& records) {
  std::set<uint32_t> groups;
  for (const auto& r : records)
    if (auto* u = as<DeleteLink>(r.undo))
      if (u->netns.empty() && u->group) groups.insert(u->group);
  return groups;
}

std::vector<std::string> texts(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.text);
  return out;
}

namespace {

// The host-side links of a profile, as one link group: TEXT says what became of it.
Change group_change(std::string text) {
  Change c;
  c.text = std::move(text);
  c.object = "link_group";
  return c;
}

// An undo destroy chose not to run (shared with other profiles): TEXT says why.
Change kept(const Undo& u, std::string text) {
  Change c{removal(u), {}};
  c.text = std::move(text);
  c.before.reset();
  c.after.reset();
  return c;
}

}  // namespace

void undo_records(const std::vector<Owned>& records, Kernel& kernel, std::vector<std::string>& errors,
                  const UndoOptions& options) {
  std::optional<std::set<std::string>> forwarding_users;  // read once, when a sysctl is to go back
  std::set<std::string> removed_dirs, removed_netns, deleted_links, removed_ns_paths, moved_devices;
  // /etc/netns/NETNS made by this profile: whichever of its files goes last takes the directory
  // along once empty (the file that made it may be gone already, or its undo may have failed).
  std::set<std::string> etc_dirs_made;
  for (const auto& r : records) {
    if (auto* u = as<DeleteNamespace>(r.undo)) removed_ns_paths.insert(u->path);
    if (auto* u = as<RemoveCgroup>(r.undo)) removed_dirs.insert(u->dir);
    // A unit's cgroup goes with the unit; what was enabled there needs no undoing.
    if (auto* u = as<StopUnit>(r.undo)) removed_dirs.insert(u->dir);
    if (auto* u = as<DeleteNetns>(r.undo)) removed_netns.insert(u->name);
    if (auto* u = as<DeleteLink>(r.undo)) {
      deleted_links.insert(u->netns + "/" + u->name);
      if (!u->peer_name.empty()) deleted_links.insert(u->peer_netns + "/" + u->peer_name);
    }
    if (auto* u = as<MoveLinkBack>(r.undo)) moved_devices.insert(u->from + "/" + u->name);
    if (auto* u = as<RemoveNetnsFile>(r.undo); u && u->dir_too) etc_dirs_made.insert(u->netns);
  }
  // The links of each host link group that are the profile's own, by the ifindexes recorded.
  std::map<uint32_t, std::set<int>> group_members;
  for (const auto& r : records)
    if (auto* u = as<DeleteLink>(r.undo); u && u->netns.empty() && u->group) {
      if (r.id.known()) group_members[u->group].insert(static_cast<int>(r.id.object));
      if (u->peer_ifindex) group_members[u->group].insert(static_cast<int>(u->peer_ifindex));
    }
  std::set<uint32_t> groups_deleted, groups_refused;
  // Namespaces holding a device whose way back failed: deleting one would leave the device to
  // the kernel, which renames it devN on a host that has its name. Kept for the next destroy.
  std::map<std::string, std::string> holding_device;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const Undo& u = it->undo;
    auto gone_ns = [&](const std::string& ns) { return !ns.empty() && removed_netns.count(ns); };
    auto gone_dev = [&](const std::string& ns, const std::string& dev) { return gone_ns(ns) || deleted_links.count(ns + "/" + dev); };
    bool moot = false;
    // A value the parent's depends on (v1 rt_runtime) goes back even in a cgroup about to go:
    // that rmdir may be refused or left for later, and the parent's undo comes after it.
    if (auto* x = as<RestoreCgroupFile>(u)) moot = removed_dirs.count(x->dir) > 0 && !cgroup_files::reset_before_rmdir(x->file);
    else if (auto* x = as<RestoreDeviceList>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<RemoveDeviceRule>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<DetachDeviceProgram>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<RestoreCgroupAccess>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<DisableControllers>(u)) moot = removed_dirs.count(x->dir) > 0;
    else if (auto* x = as<RestoreHostname>(u)) moot = removed_ns_paths.count(x->ns_path) > 0;
    // A device moved into a deleted namespace comes back: its mtu must be given back too.
    else if (auto* x = as<RestoreMtu>(u)) moot = gone_dev(x->netns, x->dev) && !moved_devices.count(x->netns + "/" + x->dev);
    else if (auto* x = as<RestoreMac>(u)) moot = gone_dev(x->netns, x->dev) && !moved_devices.count(x->netns + "/" + x->dev);
    else if (auto* x = as<RestoreMaster>(u)) moot = gone_dev(x->netns, x->dev);
    else if (auto* x = as<SetLinkDown>(u)) moot = gone_dev(x->netns, x->dev);
    else if (auto* x = as<DeleteAddress>(u)) moot = gone_dev(x->netns, x->dev);
    else if (auto* x = as<DeleteRoute>(u)) moot = gone_ns(x->route.netns) || (!x->route.dev.empty() && deleted_links.count(x->route.netns + "/" + x->route.dev));
    else if (auto* x = as<DeleteLink>(u)) {
      moot = gone_ns(x->netns);
      if (!moot && options.groups_that_stay && !options.groups_that_stay->count(x->group) && x->netns.empty() && x->group != 0 &&
          !groups_refused.count(x->group)) {
        // One request removes every host-side link of the profile (deleting up veths one by one
        // costs ~30 ms each), when every link in the group is one the profile made.
        moot = true;
        if (groups_deleted.insert(x->group).second) {
          kernel.announce("destroy: the profile's host-side links, as one link group");
          Status s = kernel.link_group_delete("", x->group, group_members[x->group]);
          if (s.err() == EPERM) {
            // Someone else's link is in the group: never delete it; ours go one by one.
            groups_refused.insert(x->group);
            if (options.done) options.done->push_back(group_change("= link group " + std::to_string(x->group) + ": " + s.message() + "; deleting the profile's links one by one"));
            moot = false;
          } else if (!s.ok() && s.err() != ENODEV) {
            errors.push_back(s.message());
          } else if (options.done) {
            options.done->push_back(group_change("- link group " + std::to_string(x->group) + " (the profile's host-side links)"));
          }
        }
      }
    }
    if (moot) continue;
    if (auto* x = as<RestoreSysctl>(u); x && options.others) {
      if (!forwarding_users) forwarding_users = options.others->uplinks_of_others();
      if (!forwarding_users->empty()) {
        if (options.done)
          options.done->push_back(kept(u, "= " + x->key + " left as it is: the uplink of " + *forwarding_users->begin() +
                                          (forwarding_users->size() > 1 ? " and others" : "") + " relies on it"));
        continue;
      }
    }
    if (auto* x = as<DeleteNetns>(u); x && holding_device.count(x->name)) {
      errors.push_back(describe(u) + ": kept, " + holding_device[x->name] + " in it did not go back to the host (see above); destroy again once it can");
      continue;
    }
    kernel.announce("destroy: " + describe(u));
    // Only what nsplan made or changed, as the kernel names it, checked right before acting.
    if (Status s = verify_subject(u, kernel, it->id); !s.ok()) {
      // A moved device whose namespace went: the kernel gave it back to the host (the double fault).
      // Only a device the profile moved: any other link dies with its namespace.
      const Subject subject = subject_of(u);
      const bool moved = as<MoveLinkBack>(u) || ((as<RestoreMtu>(u) || as<RestoreMac>(u)) && moved_devices.count(subject.netns + "/" + subject.name));
      std::optional<Status> back = is_gone(s) && moved ? undo_on_returned_device(u, kernel, it->id) : std::nullopt;
      if (back && !back->ok()) errors.push_back(back->message());
      else if (back && options.done) options.done->push_back({removal(u, "given back to the host by the kernel; found by its ifindex"), {}});
      if (back) continue;
      if (!is_gone(s)) errors.push_back(s.message());
      else if (options.done) options.done->push_back({removal(u, "already gone"), {}});
      continue;
    }
    if (!options.exact) {
      // Time has passed since the apply: other profiles may rely on shared ancestors.
      if (auto* x = as<DisableControllers>(u)) {
        auto r = kernel.cgroup_disable_unless_used(x->dir, x->controllers);
        if (!r.ok() && r.error().err != ENOENT) errors.push_back(r.error().message());
        else if (options.done) options.done->push_back(r.ok() && !r.value() ? kept(u, "= " + x->dir + "/cgroup.subtree_control left as it is: other cgroups below use it")
                                                                            : Change{removal(u), {}});
        continue;
      }
      if (auto* x = as<StopUnit>(u)) {
        auto r = stop_unit_unless_used(*x, kernel);
        if (!r.ok()) errors.push_back(r.error().message());
        else if (options.done) options.done->push_back(!r.value() ? kept(u, "= systemd unit " + x->unit + " left running: cgroups or processes are below " + x->dir)
                                                                  : Change{removal(u), {}});
        continue;
      }
      if (auto* x = as<RemoveCgroup>(u)) {
        auto r = kernel.cgroup_remove_unless_shared(x->dir);
        if (!r.ok() && r.error().err != ENOENT) errors.push_back(r.error().message());
        else if (options.done) options.done->push_back(r.ok() && !r.value() ? kept(u, "= cgroup " + x->dir + " left in place: other cgroups are below it")
                                                                            : Change{removal(u), {}});
        continue;
      }
    }
    Undo effective = u;
    if (auto* x = std::get_if<RemoveNetnsFile>(&effective)) x->dir_too = x->dir_too || etc_dirs_made.count(x->netns) > 0;
    Status s = run_verified_undo(effective, kernel, it->id);
    if (auto* x = as<MoveLinkBack>(u); x && !s.ok()) holding_device[x->from] = x->name;
    if (!s.ok()) errors.push_back(s.message());
    else if (options.done) options.done->push_back({removal(u), {}});
  }
}

namespace {

// The records of a profile as read from its state dir: the state file's and an interrupted
// apply's journal, each checked (record_check.h) before anything acts on it.
struct Records {
  std::vector<Owned> owned, journal;
  std::string error;
};

Records load_records(const StateStore& state, const HostFacts& facts) {
  Records r;
  auto journal = state.read_journal();
  if (!journal.ok()) {
    r.error = journal.error().message();
    return r;
  }
  r.journal = journal.value();
  // A record's identity is written with the next one (one journal write per change).
  for (size_t i = 1; i < r.journal.size(); ++i)
    if (!r.journal[i - 1].id.known()) r.journal[i - 1].id = r.journal[i].previous_id;
  auto owned = state.load();
  if (!owned.ok()) {
    r.error = owned.error().message();
    return r;
  }
  r.owned = owned.value();
  if (!state.records_carry_identities()) return r;
  r.error = check_records(r.owned, facts, "state file " + state.state_path(), false);
  if (r.error.empty()) r.error = check_records(r.journal, facts, "the journal of an interrupted apply", true);
  return r;
}

// The network namespaces the profile makes: all their links are its own, so the live view may
// dump them (any other namespace is asked only for what the profile names).
std::set<std::string> netns_made_by(const plan::Plan& plan) {
  std::set<std::string> made;
  for (const auto& step : plan.steps)
    if (auto* n = std::get_if<plan::CreateNetns>(&step.action)) made.insert(n->name);
  return made;
}

// The links each step names, per namespace (the live view asks for them at once).
std::map<std::string, std::set<std::string>> links_named_by(const plan::Plan& plan) {
  std::map<std::string, std::set<std::string>> named;
  for (const auto& step : plan.steps)
    std::visit(overloaded{
                   [&](const plan::CreateLink& a) {
                     named[a.netns].insert(a.name);
                     if (!a.peer_name.empty()) named[a.peer_netns].insert(a.peer_name);
                     if (!a.parent.empty()) named[a.parent_netns].insert(a.parent);
                   },
                   [&](const plan::MoveLink& a) {
                     named[""].insert(a.name);
                     named[a.netns].insert(a.name);
                     if (!a.new_name.empty()) named[a.netns].insert(a.new_name);
                   },
                   [&](const plan::SetMac& a) { named[a.netns].insert(a.dev); },
                   [&](const plan::SetMtu& a) { named[a.netns].insert(a.dev); },
                   [&](const plan::SetMaster& a) { named[a.netns].insert(a.dev); },
                   [&](const plan::AddAddress& a) { named[a.netns].insert(a.dev); },
                   [&](const plan::SetLinkUp& a) { named[a.netns].insert(a.dev); },
                   [&](const plan::AddRoute& a) {
                     if (!a.dev.empty()) named[a.netns].insert(a.dev);
                   },
                   [](const auto&) {},
               },
               step.action);
  return named;
}

// The link group of the profile's host-side links: the one its records name, else the plan's,
// else the first one after it that no other profile of this host records (a collision of two
// profiles' hashes must not put their links in one group). Found in nsplan's own state, not in a
// dump of the host's links (thousands on a container host); a link of someone else's in the
// group is found by destroy, which then deletes the profile's links one by one.
uint32_t claim_link_group(const plan::Plan& plan, const std::vector<Owned>& owned, Kernel& kernel, const StateStore& state) {
  uint32_t preferred = 0;
  for (const auto& step : plan.steps)
    if (auto* l = std::get_if<plan::CreateLink>(&step.action); l && l->group) preferred = l->group;
  if (!preferred) return 0;
  for (const auto& o : owned)
    if (auto* u = std::get_if<DeleteLink>(&o.undo); u && u->netns.empty() && u->group) return u->group;
  return kernel.link_group_claim(preferred, state.link_groups_of_others());
}

// One apply: recover an interrupted one, give back values the profile dropped, make each step
// (journaled before, identity recorded after), converge, save. On failure, undo what it did.
class Transaction {
 public:
  Transaction(const plan::Plan& plan, Kernel& kernel, StateStore& state, const StepObserver& observer, const Confirm* confirm = nullptr)
      : plan_(plan), kernel_(kernel), state_(state), view_(kernel, netns_made_by(plan), links_named_by(plan)), observer_(observer),
        confirm_(confirm) {}

  ApplyOutcome run() {
    Records records = load_records(state_, plan_.facts);
    if (!records.error.empty()) return failed(records.error);
    // Files the plan's links read (wireguard keys): refused before anything changes.
    for (const auto& step : plan_.steps)
      if (auto* l = std::get_if<plan::CreateLink>(&step.action))
        if (Status s = kernel_.link_files_check(*l); !s) return failed(step_error(step, s));
    owned_ = records.owned;
    owned_groups_ = host_link_groups(owned_);
    if (!recover(records.journal)) return out_;
    for (const auto& o : owned_) owned_by_key_.emplace(o.key, &o);
    find_dropped_values();
    if (confirm_ && !journal_dropped_values()) return roll_back();
    if (!give_back_dropped_values()) return confirm_ ? roll_back() : out_;
    group_ = claim_link_group(plan_, owned_, kernel_, state_);
    make_steps();
    if (!out_.error.empty()) return roll_back();
    // nsplan try: every change is made and journaled; nothing is removed yet.
    if (confirm_) {
      std::vector<Owned> dropped = no_longer_asked_for();
      for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) out_.to_remove.push_back("- " + describe(it->undo));
    }
    if (confirm_ && !(*confirm_)(out_)) {
      out_.declined = true;
      out_.error = "not confirmed";
      return roll_back();
    }
    remove_dropped();
    disable_unneeded_controllers();
    return save();
  }

 private:
  ApplyOutcome failed(const std::string& error) {
    out_.error = error;
    return out_;
  }

  // A crashed apply left its journal: take it back first, so that we start from a known state.
  bool recover(const std::vector<Owned>& journal) {
    if (journal.empty()) return true;
    std::vector<std::string> errors;
    undo_records(journal, kernel_, errors, {.groups_that_stay = &owned_groups_, .exact = true, .others = &state_});
    out_.recovered = journal.size();
    if (!errors.empty()) out_.error = "recovering the interrupted apply: " + errors.front();
    else if (Status s = state_.journal_remove(); !s.ok()) out_.error = s.message();
    return out_.error.empty();
  }

  // Values the profile no longer sets go back first: on v1 a dropped memsw limit must be lifted
  // before a raised memory limit can be written (the kernel keeps limit <= memsw).
  void find_dropped_values() {
    std::set<std::string> keys;
    for (const auto& step : plan_.steps) keys.insert(resource_key(step.action));
    for (const auto& o : owned_)
      if (!keys.count(o.key) && std::holds_alternative<RestoreCgroupFile>(o.undo)) dropped_values_.push_back(o);
  }

  // nsplan try: a value given back is one of this apply's changes too. What it is now (the
  // previous profile's value) is journaled first, so that declining, or a crash, writes it again.
  bool journal_dropped_values() {
    for (const auto& o : dropped_values_) {
      const auto& u = std::get<RestoreCgroupFile>(o.undo);
      auto now = kernel_.cgroup_read(u.dir, u.file);
      if (!now.ok()) {
        out_.error = "reading " + u.dir + "/" + u.file + " before giving it back: " + now.error().message();
        return false;
      }
      RestoreCgroupFile again{u.dir, u.file, cgroup_restore_value(u.file, u.value, now.value())};
      if (!journal_record(Owned{o.key, again, o.id, {}})) return false;
    }
    return true;
  }

  bool give_back_dropped_values() {
    std::vector<std::string> errors;
    undo_records(dropped_values_, kernel_, errors, {.done = &out_.removed, .others = &state_});
    if (!errors.empty()) out_.error = "giving back values the profile no longer sets: " + errors.front();
    return errors.empty();
  }

  void make_steps() {
    std::vector<const plan::Step*> order;
    for (const auto& step : plan_.steps) order.push_back(&step);
    for (size_t i = 0; i < order.size() && out_.error.empty(); ++i) {
      if (i + 1 < order.size() && second_goes_first(*order[i], *order[i + 1], kernel_)) std::swap(order[i], order[i + 1]);
      make(*order[i]);
    }
  }

  void make(const plan::Step& step) {
    if (!observer_) return make_step(step);
    const auto start = std::chrono::steady_clock::now();
    const size_t changes = out_.changes.size();
    make_step(step);
    using O = StepEvent::Outcome;
    const bool changed = out_.changes.size() > changes;
    observer_(StepEvent{!out_.error.empty() ? O::Failed : changed ? O::Changed : O::InPlace, step,
                        changed ? out_.changes.back().text : std::string(), std::chrono::steady_clock::now() - start});
  }

  void make_step(const plan::Step& step) {
    plan::Action action = step.action;
    if (auto* l = std::get_if<plan::CreateLink>(&action); l && l->group) l->group = group_;
    std::string key = resource_key(action);
    plan_keys_.insert(key);
    Observation before = observe(action, kernel_, view_);
    if (before.error) {
      out_.error = step_error(step, Status(*before.error));
      return;
    }
    if (before.satisfied) {
      if (auto it = owned_by_key_.find(key); it != owned_by_key_.end()) new_owned_.push_back(*it->second);
      return;
    }
    std::optional<Undo> undo = undo_for(action, before);
    if (undo && !journal(Owned{key, *undo, {}, {}}, step)) return;
    kernel_.announce(step.origin.what, step.notes, step.origin.where);
    Status s = perform(action, kernel_, view_);
    if (!s.ok()) {
      out_.error = step_error(step, s);
      if (undo) made_.pop_back();  // never happened; its undo might touch what is not ours
      return;
    }
    if (undo && !identify(made_.back(), step)) return;
    out_.changes.push_back({describe_change(action, before), step.origin.where});
    state_.after_change(out_.changes.size());
    keep(key, undo);
    if (auto* up = std::get_if<plan::SetLinkUp>(&action)) brought_up_[up->netns].push_back(up->dev);
  }

  // A link brought up changes carrier (a veth when both ends are up) through the kernel's
  // asynchronous linkwatch work, and only then gets its operstate and IPv6 link-local address:
  // each is asked for once at the end (Kernel::settle_links), so that what apply leaves, and the
  // command run starts next, is settled. In the script too: `ip link show dev`.
  void settle_links_brought_up() {
    if (brought_up_.empty()) return;
    kernel_.announce("each link brought up, asked for once: the kernel settles its carrier and IPv6 link-local address now", {}, "");
    for (const auto& [netns, names] : brought_up_) kernel_.settle_links(netns, names);
  }

  // Written before the change it undoes. It also carries the identity of the record before it,
  // known since that change was made.
  bool journal(Owned record, const plan::Step& step) { return journal_record(std::move(record), &step); }

  // STEP, when the record is a step's, names the profile line in an error.
  bool journal_record(Owned record, const plan::Step* step = nullptr) {
    if (!journal_open_) {
      if (Status s = state_.journal_start(); !s.ok()) {
        out_.error = s.message();
        return false;
      }
      journal_open_ = true;
    }
    if (!made_.empty()) record.previous_id = made_.back().id;
    if (Status s = state_.journal_append(record); !s.ok()) {
      out_.error = step ? step_error(*step, s) : s.message();
      return false;
    }
    record.previous_id = {};
    made_.push_back(record);
    return true;
  }

  // The kernel's identity of what the change made or changed: destroy acts on nothing else.
  bool identify(Owned& record, const plan::Step& step) {
    Subject subject = subject_of(record.undo);
    if (subject.kind == Subject::Kind::None) return true;
    // Within one apply a subject is made once and then configured: what this apply identified
    // after its own change is what later steps on it act on (one RTM_GETLINK per link made).
    std::string memo = std::to_string(static_cast<int>(subject.kind)) + " " + subject.netns + " " + subject.name;
    if (auto it = identified_.find(memo); it != identified_.end()) {
      record.id = it->second;
    } else {
      auto id = identity_of(subject, kernel_);
      if (!id.ok()) {
        out_.error = step_error(step, Status(id.error().wrap("identifying what was made")));
        return false;
      }
      record.id = identified_[memo] = id.value();
    }
    if (auto* link = std::get_if<DeleteLink>(&record.undo); link && link->netns.empty() && !link->peer_name.empty() &&
                                                            link->peer_netns.empty()) {
      auto peer = kernel_.link_id("", link->peer_name);
      if (peer.ok()) link->peer_ifindex = static_cast<uint32_t>(peer.value().object);
    }
    return true;
  }

  // A value the profile already owned keeps its first undo (the value before nsplan); for
  // controllers, the newly enabled ones join those enabled before.
  void keep(const std::string& key, const std::optional<Undo>& undo) {
    auto it = owned_by_key_.find(key);
    if (it == owned_by_key_.end()) {
      if (undo) new_owned_.push_back(made_.back());
      return;
    }
    // A device program replaced by a new one (the policy changed): the new one is recorded, and
    // the old one is detached once the whole apply has succeeded (a rollback keeps it).
    if (undo && std::holds_alternative<DetachDeviceProgram>(*undo)) {
      new_owned_.push_back(made_.back());
      if (it->second->id != made_.back().id) dropped_.push_back(*it->second);
      return;
    }
    Owned kept = *it->second;
    // The subject as it is now: made again since (a destroy killed half way), it is another
    // object than the one recorded, and the identity just taken is the one that counts.
    if (undo) kept.id = made_.back().id;
    auto* old_disable = std::get_if<DisableControllers>(&kept.undo);
    auto* new_disable = undo ? std::get_if<DisableControllers>(&*undo) : nullptr;
    if (old_disable && new_disable)
      for (const auto& c : new_disable->controllers)
        if (std::find(old_disable->controllers.begin(), old_disable->controllers.end(), c) == old_disable->controllers.end())
          old_disable->controllers.push_back(c);
    new_owned_.push_back(kept);
  }

  ApplyOutcome roll_back() {
    // The journal must hold only what happened: rewrite it before undoing, so that a crash
    // during the rollback never replays the undo of a step that failed.
    if (journal_open_ && state_.journal_start().ok())
      for (const auto& r : made_) (void)state_.journal_append(r);
    undo_records(made_, kernel_, out_.rollback_errors, {.groups_that_stay = &owned_groups_, .exact = true, .others = &state_});
    out_.undone = out_.changes.size();
    if (out_.rollback_errors.empty()) (void)state_.journal_remove();
    return out_;
  }

  // What the profile owned and no longer asks for goes, newest first.
  // What the profile owned and no longer asks for, but values (given back before the steps).
  std::vector<Owned> no_longer_asked_for() const {
    std::vector<Owned> out;
    for (const auto& o : owned_)
      if (!plan_keys_.count(o.key) && !std::holds_alternative<RestoreCgroupFile>(o.undo)) out.push_back(o);
    return out;
  }

  void remove_dropped() {
    for (auto& o : no_longer_asked_for()) dropped_.push_back(std::move(o));
    std::vector<std::string> errors;
    const std::set<uint32_t> kept_groups = host_link_groups(new_owned_);
    undo_records(dropped_, kernel_, errors, {.done = &out_.removed, .groups_that_stay = &kept_groups, .others = &state_});
    if (!errors.empty()) {
      out_.error = "removing what the profile no longer has: " + errors.front();
      for (const auto& o : dropped_) new_owned_.push_back(o);  // still ours: destroy will retry
    }
  }

  // Controllers nsplan enabled that the profile no longer needs are disabled, deepest first.
  void disable_unneeded_controllers() {
    for (auto it = plan_.steps.rbegin(); it != plan_.steps.rend() && out_.error.empty(); ++it) {
      auto* enable = std::get_if<plan::EnableControllers>(&it->action);
      if (!enable) continue;
      for (auto& o : new_owned_) {
        auto* disable = std::get_if<DisableControllers>(&o.undo);
        if (!disable || o.key != resource_key(it->action)) continue;
        std::vector<std::string> extra, keep;
        for (const auto& c : disable->controllers)
          (std::find(enable->controllers.begin(), enable->controllers.end(), c) == enable->controllers.end() ? extra : keep).push_back(c);
        if (extra.empty()) continue;
        Status s = run_undo(DisableControllers{disable->dir, extra}, kernel_, o.id);
        if (!s.ok()) {
          out_.error = it->origin.where + ": error: " + s.message();
          break;
        }
        out_.removed.push_back({removal(DisableControllers{disable->dir, extra}), {}});
        disable->controllers = keep;
      }
    }
  }

  ApplyOutcome save() {
    bool changed = !out_.changes.empty() || !dropped_.empty() || !dropped_values_.empty() || new_owned_.size() != owned_.size() ||
                   !out_.removed.empty();
    if (changed || !state_.has_state()) {
      if (Status s = state_.save(new_owned_); !s.ok()) {
        // Without its record nothing of this apply could be destroyed: take it back now.
        out_.error = "saving " + state_.state_path() + ": " + s.message();
        return roll_back();
      }
    }
    if (journal_open_) (void)state_.journal_remove();
    out_.ok = out_.error.empty();
    if (out_.ok) settle_links_brought_up();
    return out_;
  }

  const plan::Plan& plan_;
  Kernel& kernel_;
  StateStore& state_;
  LiveView view_;
  ApplyOutcome out_;
  std::vector<Owned> owned_;
  std::set<uint32_t> owned_groups_;
  std::map<std::string, const Owned*> owned_by_key_;
  std::vector<Owned> dropped_values_, dropped_;
  std::vector<Owned> made_;       // this apply's records, for rollback
  std::vector<Owned> new_owned_;  // what the profile owns afterwards
  std::set<std::string> plan_keys_;
  bool journal_open_ = false;
  uint32_t group_ = 0;
  std::map<std::string, KernelId> identified_;  // subjects this apply identified after changing them
  std::map<std::string, std::vector<std::string>> brought_up_;  // netns -> links this apply set up
  const StepObserver& observer_;
  const Confirm* confirm_;  // nsplan try: asked before anything is removed or saved
};

}  // namespace

ApplyOutcome apply_plan(const plan::Plan& plan, Kernel& kernel, StateStore& state, const StepObserver& observer) {
  return Transaction(plan, kernel, state, observer).run();
}

ApplyOutcome try_plan(const plan::Plan& plan, Kernel& kernel, StateStore& state, const Confirm& confirm, const StepObserver& observer) {
  return Transaction(plan, kernel, state, observer, &confirm).run();
}

DestroyOutcome destroy_profile(Kernel& kernel, StateStore& state, const HostFacts& facts) {
  DestroyOutcome out;
  Records records = load_records(state, facts);
  if (!records.error.empty()) {
    out.had_state = state.has_state();  // refused, not absent
    out.errors.push_back(records.error);
    return out;
  }
  out.recovered = records.journal.size();
  out.had_state = state.has_state() || out.recovered > 0;
  // The journal's changes are newer than the state's: they go first.
  std::vector<Owned> all = records.owned;
  all.insert(all.end(), records.journal.begin(), records.journal.end());
  const std::set<uint32_t> nothing_stays;
  undo_records(all, kernel, out.errors, {.done = &out.removed, .groups_that_stay = &nothing_stays, .others = &state});
  if (out.errors.empty()) {
    if (Status s = state.journal_remove(); !s.ok()) out.errors.push_back(s.message());
    if (Status s = state.remove_state(); !s.ok()) out.errors.push_back(s.message());
  }
  out.ok = out.errors.empty();
  return out;
}

SysResult<std::vector<OwnedCgroup>> owned_cgroups(const StateStore& state, const HostFacts& facts) {
  Records records = load_records(state, facts);
  if (!records.error.empty()) return SysError{EINVAL, records.error, 0, {}};
  std::vector<Owned> all = records.owned;
  all.insert(all.end(), records.journal.begin(), records.journal.end());
  return owned_leaf_cgroups(all);
}

DestroyOutcome release_cgroups(Kernel& kernel, StateStore& state, const HostFacts& facts) {
  DestroyOutcome out;
  Records records = load_records(state, facts);
  if (!records.error.empty()) {
    out.errors.push_back(records.error);
    return out;
  }
  std::vector<Owned> cgroup_records, rest;
  for (const auto& o : records.owned) {
    bool cg = as<StopUnit>(o.undo) || as<RemoveCgroup>(o.undo) || as<RestoreCgroupFile>(o.undo) || as<DisableControllers>(o.undo) ||
              as<RestoreDeviceList>(o.undo) || as<RemoveDeviceRule>(o.undo) || as<DetachDeviceProgram>(o.undo) ||
              as<RestoreCgroupAccess>(o.undo);
    (cg ? cgroup_records : rest).push_back(o);
  }
  out.had_state = !cgroup_records.empty();
  undo_records(cgroup_records, kernel, out.errors, {.done = &out.removed});  // no links among them
  if (out.errors.empty()) {
    Status s = rest.empty() ? state.remove_state() : state.save(rest);
    if (!s.ok()) out.errors.push_back(s.message());
  }
  out.ok = out.errors.empty();
  return out;
}

Diff diff_plan(const plan::Plan& plan, Kernel& kernel, const std::vector<Owned>& owned) {
  Diff diff;
  LiveView view(kernel, netns_made_by(plan), links_named_by(plan));
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

Pending pending_steps(const plan::Plan& plan, Kernel& kernel) {
  Pending p;
  LiveView view(kernel, netns_made_by(plan), links_named_by(plan));
  for (const auto& step : plan.steps) {
    Observation o = observe(step.action, kernel, view);
    if (o.satisfied) continue;
    if (!p.count++)
      p.first = o.error ? "cannot look at " + step.origin.what + ": " + o.error->message() : describe_change(step.action, o).text;
  }
  return p;
}

std::string status_json(const plan::Plan& plan, Kernel& kernel) {
  nlohmann::ordered_json j;
  j["nsplan_status"] = 1;
  j["profile"] = plan.profile;
  j["items"] = nlohmann::ordered_json::array();
  LiveView view(kernel, netns_made_by(plan), links_named_by(plan));
  for (const auto& step : plan.steps) {
    Observation o = observe(step.action, kernel, view);
    nlohmann::ordered_json item;
    item["key"] = resource_key(step.action);
    item["op"] = op_name(step.action);
    item["present"] = o.satisfied;
    item["exists"] = o.exists;
    if (!o.current.empty()) item["current"] = text::escaped(o.current);
    if (!o.satisfied) item["change"] = describe_change(step.action, o).text;  // what apply would do
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
