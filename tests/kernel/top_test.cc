// nsplan top and status --watch against the real kernel, in plain-text mode (standard output is
// a file): a profile whose process holds 24 MB and burns CPU shows "-" for CPU in the first
// frame and a busy CPU and the memory in the second; a profile destroyed while top runs leaves
// its row; a cgroup made again by hand under a profile's name (another inode than recorded) is
// not read, by top or by status. On v1, a membership-only cpuacct group shows its CPU time in
// status. Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>", in a Sandbox.
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

// The frames of top's plain-text output: blocks separated by a blank line.
std::vector<std::string> frames(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\n\n", start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end + 1 - start));
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return out;
}

// The columns of PROFILE's row in FRAME (PROFILE CGROUP TASKS CPU% MEMORY READ/S WRITE/S PIDS);
// empty when it has none.
std::vector<std::string> row_of(const std::string& frame, const std::string& profile) {
  std::istringstream in(frame);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> cols;
    for (std::string w; words >> w;) cols.push_back(w);
    if (!cols.empty() && cols[0] == profile) return cols;
  }
  return {};
}

// "24.3M" -> bytes (K, M, G are powers of 1024).
double bytes_of(const std::string& text) {
  if (text.empty() || text == "-") return -1;
  double v = std::strtod(text.c_str(), nullptr);
  switch (text.back()) {
    case 'K': return v * 1024;
    case 'M': return v * 1024 * 1024;
    case 'G': return v * 1024 * 1024 * 1024;
    default: return v;
  }
}

TEST(Top, ShowsRealUsageDropsGoneProfilesAndReadsOnlyCgroupsNsplanMade) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  const bool v2 = host_probe().facts.mode == CgroupMode::V2;
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  CgroupParent cg(v2 ? std::vector<std::string>{"memory", "pids"} : std::vector<std::string>{"memory", "pids", "cpuacct"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string busy = test_name("busy"), idle = test_name("idle");
  const std::string cpuacct = v2 ? "" : "  membership: [cpuacct]\n";
  const std::string busy_path = tmp.write("busy.yaml", "nsplan: 1\nname: " + busy +
                                                          "\ncgroup:\n  path: busy\n  memory: {max: 256M}\n  pids: {max: 50}\n" + cpuacct);
  const std::string idle_path = tmp.write("idle.yaml", "nsplan: 1\nname: " + idle + "\ncgroup:\n  path: idle\n  pids: {max: 10}\n" + cpuacct);
  // The idle profile's own cgroups, to be removed and made again by hand (not by nsplan).
  std::string idle_dirs;
  for (const auto& d : cg.dirs())
    if (!(d.find("/memory/") != std::string::npos && !v2)) idle_dirs += (idle_dirs.empty() ? "" : " ") + d + "/idle";
  RunResult r = run_sandboxed(tmp.path(), {{"BUSY", busy_path}, {"IDLE", idle_path}, {"PARENT", cg.name()}, {"IDLE_DIRS", idle_dirs}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" apply "$BUSY" $P > /dev/null 2> "$T/apply.err"; echo "apply_busy=$?"
"$N" apply "$IDLE" $P > /dev/null 2>> "$T/apply.err"; echo "apply_idle=$?"
# In busy: a shell that holds 24 MB in a variable, then spins.
"$N" run "$BUSY" $P -- sh -c 'x=$(head -c 25165824 /dev/zero | tr "\0" a); echo held > "$1/held"; while :; do :; done' sh "$T" &
wait_for "$T/held" held 30; echo "held=$?"
"$N" top -n 2 --interval 0.5 > "$T/top.txt" 2> "$T/top.err"; echo "top=$?"
"$N" top --once --sort name > "$T/once.txt" 2>&1; echo "once=$?"
"$N" status "$BUSY" $P --watch -n 2 --interval 0.2 > "$T/watch.txt" 2>&1; echo "watch=$?"
# idle destroyed between two refreshes: its row goes, top goes on.
"$N" top -n 4 --interval 0.4 > "$T/gone.txt" 2> "$T/gone.err" & tp=$!
sleep 0.6
"$N" destroy "$IDLE" $P > /dev/null 2>&1; echo "destroy_idle=$?"
wait $tp; echo "top_gone=$?"
# idle again, then its cgroups made again by hand: another inode than its state records.
"$N" apply "$IDLE" $P > /dev/null 2>> "$T/apply.err"; echo "apply_again=$?"
for d in $IDLE_DIRS; do rmdir "$d" && mkdir "$d"; done; echo "remade=$?"
"$N" top --once > "$T/remade.txt" 2>&1; echo "top_remade=$?"
"$N" status "$IDLE" $P --json > "$T/remade.json" 2> /dev/null; echo "status_remade=$?"
"$N" destroy "$BUSY" --kill $P > /dev/null 2>&1; echo "destroy_busy=$?"
)SH",
                              120);
  ASSERT_TRUE(r.exited()) << r.describe();
  ASSERT_EQ(script_value(r.out, "apply_busy"), "0") << r.describe() << read_file(tmp.file("apply.err"));
  ASSERT_EQ(script_value(r.out, "apply_idle"), "0") << r.describe() << read_file(tmp.file("apply.err"));
  ASSERT_EQ(script_value(r.out, "held"), "0") << r.describe();

  // Two frames: CPU unknown in the first, busy in the second; the memory held in both.
  EXPECT_EQ(script_value(r.out, "top"), "0") << r.describe() << read_file(tmp.file("top.err"));
  const std::string top = read_file(tmp.file("top.txt"));
  EXPECT_EQ(top.find('\x1b'), std::string::npos) << "no escape when not on a terminal\n" << top;
  std::vector<std::string> f = frames(top);
  ASSERT_EQ(f.size(), 2u) << top;
  for (const auto& frame : f)
    EXPECT_EQ(frame.rfind("PROFILE  ", 0), 0u) << "each frame starts with the header\n" << top;
  std::vector<std::string> b1 = row_of(f[0], busy), b2 = row_of(f[1], busy), i2 = row_of(f[1], idle);
  ASSERT_EQ(b1.size(), 8u) << top;
  ASSERT_EQ(b2.size(), 8u) << top;
  ASSERT_EQ(i2.size(), 8u) << top;
  EXPECT_EQ(b1[1], cg.name() + "/busy") << top;
  EXPECT_EQ(b1[3], "-") << "one sample: no CPU % yet\n" << top;
  EXPECT_GT(std::strtod(b2[3].c_str(), nullptr), 20.0) << "a spinning shell\n" << top;
  EXPECT_GE(bytes_of(b2[4]), 24.0 * 1024 * 1024) << "24 MB held\n" << top;
  EXPECT_GE(std::stoi(b2[2]), 1) << top;
  EXPECT_EQ(i2[2], "0") << "no process in idle\n" << top;
  EXPECT_EQ(i2[3], "0.0") << top;
  EXPECT_EQ(script_value(r.out, "once"), "0") << r.describe();
  const std::string once = read_file(tmp.file("once.txt"));
  EXPECT_EQ(frames(once).size(), 1u) << once;
  EXPECT_LT(once.find(busy), once.find(idle)) << "--sort name\n" << once;

  // status --watch: the report twice, as a block each.
  EXPECT_EQ(script_value(r.out, "watch"), "0") << r.describe() << read_file(tmp.file("watch.txt"));
  std::vector<std::string> w = frames(read_file(tmp.file("watch.txt")));
  ASSERT_EQ(w.size(), 2u) << read_file(tmp.file("watch.txt"));
  for (const auto& frame : w) EXPECT_TRUE(contains(frame, "in place\nusage:\n  processes  1")) << frame;

  // Destroyed while top ran: in the first frame, not in the last; top itself ended well.
  EXPECT_EQ(script_value(r.out, "destroy_idle"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "top_gone"), "0") << r.describe() << read_file(tmp.file("gone.err"));
  std::vector<std::string> g = frames(read_file(tmp.file("gone.txt")));
  ASSERT_EQ(g.size(), 4u) << read_file(tmp.file("gone.txt"));
  EXPECT_FALSE(row_of(g.front(), idle).empty()) << read_file(tmp.file("gone.txt"));
  EXPECT_TRUE(row_of(g.back(), idle).empty()) << read_file(tmp.file("gone.txt"));
  EXPECT_FALSE(row_of(g.back(), busy).empty()) << read_file(tmp.file("gone.txt"));

  // Made again by hand: not nsplan's cgroup any more, so not read.
  EXPECT_EQ(script_value(r.out, "apply_again"), "0") << r.describe() << read_file(tmp.file("apply.err"));
  EXPECT_EQ(script_value(r.out, "remade"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "top_remade"), "0") << r.describe();
  const std::string remade = read_file(tmp.file("remade.txt"));
  EXPECT_TRUE(row_of(remade, idle).empty()) << remade;
  EXPECT_FALSE(row_of(remade, busy).empty()) << remade;
  json status = json::parse(read_file(tmp.file("remade.json")), nullptr, false);
  ASSERT_TRUE(status.is_object()) << read_file(tmp.file("remade.json"));
  EXPECT_FALSE(status.contains("usage")) << "status reads no cgroup that is not the one nsplan made\n" << status.dump();

  EXPECT_EQ(script_value(r.out, "destroy_busy"), "0") << r.describe();
}

// cgconfig.conf's empty group: a v1 profile that is only a member of cpuacct shows the CPU time
// of what ran in it (cpuacct.usage), in text and in JSON.
TEST(Top, AMembershipOnlyCpuacctGroupShowsItsCpuTimeInStatus) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  if (host_probe().facts.mode == CgroupMode::V2) GTEST_SKIP() << "cpuacct is a cgroup v1 controller (v2: cpu.stat, always there)";
  if (!host_probe().facts.controllers.count("cpuacct")) NSPLAN_SKIP_OR_FAIL("no cpuacct hierarchy on this host");
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  CgroupParent cg({"cpuacct"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string path = tmp.write("acct.yaml", "nsplan: 1\nname: " + test_name("acct") + "\ncgroup:\n  path: acct\n  membership: [cpuacct]\n");
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", path}, {"PARENT", cg.name()}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" run "$PROFILE" $P -- sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done' 2> "$T/run.err"; echo "run=$?"
"$N" status "$PROFILE" $P > "$T/status.txt"; echo "status=$?"
"$N" status "$PROFILE" $P --json > "$T/status.json"
"$N" destroy "$PROFILE" $P > /dev/null 2>&1; echo "destroy=$?"
)SH",
                              60);
  ASSERT_TRUE(r.exited()) << r.describe();
  ASSERT_EQ(script_value(r.out, "run"), "0") << r.describe() << read_file(tmp.file("run.err"));
  EXPECT_EQ(script_value(r.out, "status"), "0") << r.describe();
  const std::string text = read_file(tmp.file("status.txt"));
  EXPECT_TRUE(contains(text, "usage:\n  processes  0\n  cpu        ")) << text;
  json j = json::parse(read_file(tmp.file("status.json")), nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("usage")) << read_file(tmp.file("status.json"));
  EXPECT_GT(j["usage"]["cpu"].value("usage_usec", 0), 1000) << j["usage"].dump();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsplan::kernel_test
