// nsplan top: every applied profile's cgroup and what it uses, refreshed (cli/watch.h). The
// profiles are those with a state in the state dir, as `nsplan list` finds them; of each, only
// the cgroups its records prove nsplan made, each identity checked right before it is read.
// What cannot be read (a state being rewritten, a profile destroyed between two refreshes, a
// cgroup made again by someone else) leaves its row out of that frame; nothing is written.
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "applier/cgroup_control.h"
#include "applier/executor.h"
#include "applier/state.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/top_frame.h"

namespace nsplan::cli {
namespace {

using namespace applier;

// DIR below the mount of its hierarchy: "nsplan-t-1/lab" for /sys/fs/cgroup/memory/nsplan-t-1/lab.
std::string below_mount(const std::string& dir, const HostFacts& facts) {
  std::vector<std::string> mounts{facts.cgroup_root};  // v1: the directory of the mounts, last
  if (facts.mode == CgroupMode::V1)
    for (const auto& [controller, mount] : facts.v1_mounts) mounts.insert(mounts.begin(), mount);
  for (const auto& m : mounts)
    if (dir.size() > m.size() + 1 && dir.compare(0, m.size(), m) == 0 && dir[m.size()] == '/')
      return dir.substr(m.size() + 1);
  return dir;
}

double now_seconds() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

top::Snapshot sample(Kernel& kernel, const HostFacts& facts) {
  top::Snapshot snap;
  snap.seconds = now_seconds();
  for (const std::string& name : ProfileState::profiles_in(facts.state_dir)) {
    auto owned = owned_cgroups(ProfileState::read_only(facts.state_dir, name), facts);
    if (!owned.ok()) continue;
    std::vector<std::string> dirs = still_owned(kernel, owned.value());
    if (dirs.empty()) continue;
    CgroupUsage usage = read_usage(kernel, facts, dirs);
    if (!usage.processes) continue;  // gone since the check
    snap.samples.push_back({name, below_mount(dirs.front(), facts), std::move(usage)});
  }
  return snap;
}

std::string heading(const TopOptions& o, size_t profiles) {
  char interval[32];
  std::snprintf(interval, sizeof interval, "%g", o.watch.interval_seconds);
  return "nsplan top: " + std::to_string(profiles) + " profile" + (profiles == 1 ? "" : "s") + ", every " + interval +
         " s, by " + top::kSortKeys[static_cast<size_t>(o.sort)] + "  (q quits)";
}

}  // namespace

namespace {

template <typename T>
json_output::Json or_null(const std::optional<T>& v) {
  return v ? json_output::Json(*v) : json_output::Json(nullptr);
}

// top --json: two samples, --interval apart, for the rates; one document.
int top_json(Kernel& kernel, const HostFacts& facts, const TopOptions& o) {
  top::Snapshot first = sample(kernel, facts);
  const auto pause = std::chrono::duration<double>(o.watch.interval_seconds);
  std::this_thread::sleep_for(pause);
  top::Snapshot now = sample(kernel, facts);
  std::vector<top::Row> rows = top::rows(&first, now);
  top::sort_rows(rows, o.sort);
  auto doc = json_output::document("top");
  doc["interval"] = o.watch.interval_seconds;
  doc["profiles"] = json_output::Json::array();
  for (const auto& r : rows)
    doc["profiles"].push_back({{"profile", r.profile},
                               {"cgroup", r.cgroup},
                               {"tasks", or_null(r.tasks)},
                               {"cpu_percent", or_null(r.cpu_percent)},
                               {"memory_bytes", or_null(r.memory_bytes)},
                               {"read_per_second", or_null(r.read_per_second)},
                               {"written_per_second", or_null(r.written_per_second)},
                               {"pids", or_null(r.pids)}});
  json_output::print(doc);
  return kOk;
}

}  // namespace

int run_top(const HostFacts& probed, const TopOptions& o) {
  // The limit facts (huge page sizes) read once, not again on every refresh of every profile.
  const HostFacts facts = probed.with_limits();
  auto kernel = make_linux_kernel(facts);
  if (o.json) return top_json(*kernel, facts, o);
  std::optional<top::Snapshot> before;
  return watch(o.watch, [&](const Screen& screen) {
    top::Snapshot now = sample(*kernel, facts);
    std::vector<top::Row> rows = top::rows(before ? &*before : nullptr, now);
    top::sort_rows(rows, o.sort);
    std::string table = top::render(rows, screen.width);
    before = std::move(now);
    if (screen.width == 0) return Frame{table, kOk};
    // On a terminal: a line saying what this is and how to leave, the header in reverse video.
    std::string title = heading(o, rows.size());
    if (title.size() > screen.width) title.resize(screen.width);
    if (screen.colour) table = "\x1b[7m" + table.substr(0, table.find('\n')) + "\x1b[0m" + table.substr(table.find('\n'));
    return Frame{title + "\n\n" + table, kOk};
  });
}

}  // namespace nsplan::cli
