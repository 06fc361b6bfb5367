// Usage next to limits (issue 11, "Live use"), against the real kernel: `nsplan run` of a command
// that outgrows its memory limit ends with 137 and says the OOM killer did it; `nsplan status`
// then shows the OOM kill, the peak at the limit and the CPU time used, and with a process
// inside, its count, its task and whether the group is frozen (text and --json).
// Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>", in a Sandbox.
#include <nlohmann/json.hpp>
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

TEST(Usage, AnOomKillIsReportedByRunAndCountedByStatus) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  const bool v2 = host_probe().facts.mode == CgroupMode::V2;
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  CgroupParent cg(v2 ? std::vector<std::string>{"memory", "pids"}
                     : std::vector<std::string>{"memory", "pids", "cpuacct", "freezer"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string name = test_name("usage");
  const std::string path = tmp.write("usage.yaml", "nsplan: 1\nname: " + name +
                                                       "\ncgroup:\n  path: work\n  memory: {max: 32M}\n  pids: {max: 20}\n"
                                                       "  membership: [cpuacct, freezer]\n");
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", path}, {"PARENT", cg.name()}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" apply "$PROFILE" $P > /dev/null 2> "$T/apply.err"; echo "apply=$?"
# tail keeps a line that never ends: /dev/zero has no newline.
"$N" run "$PROFILE" $P -- tail /dev/zero 2> "$T/run.err"; echo "run=$?"
echo "run_err=$(tr '\n' ' ' < "$T/run.err")"
"$N" status "$PROFILE" $P --json > "$T/after_oom.json"; echo "status=$?"
sh -c 'while :; do :; done' & sp=$!
"$N" attach "$PROFILE" $sp $P > /dev/null 2>&1; echo "attach=$?"
"$N" freeze "$PROFILE" $P > /dev/null 2>&1; echo "freeze=$?"
"$N" status "$PROFILE" $P > "$T/busy.txt"; echo "status_busy=$?"
"$N" status "$PROFILE" $P --json > "$T/busy.json"
"$N" destroy "$PROFILE" --kill $P > /dev/null 2>&1; echo "destroy=$?"
wait $sp
)SH",
                              90);
  ASSERT_TRUE(r.exited()) << r.describe();
  ASSERT_EQ(script_value(r.out, "apply"), "0") << r.describe() << read_file(tmp.file("apply.err"));
  EXPECT_EQ(script_value(r.out, "run"), "137") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "run_err"), "killed by the kernel's OOM killer: the cgroup of '" + name +
                                                       "' reached its memory limit"))
      << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "run_err"), "oom_kill 0 -> 1")) << r.describe();
  EXPECT_EQ(script_value(r.out, "status"), "0") << r.describe();

  json after = json::parse(read_file(tmp.file("after_oom.json")), nullptr, false);
  ASSERT_TRUE(after.is_object() && after.contains("usage")) << read_file(tmp.file("after_oom.json"));
  const json& u = after["usage"];
  EXPECT_EQ(u.value("processes", -1), 0) << u.dump();
  EXPECT_EQ(u["memory"].value("oom_kills", -1), 1) << u.dump();
  EXPECT_GT(u["memory"].value("max_hits", 0), 0) << u.dump();
  if (u["memory"].contains("peak_bytes")) {  // v2: memory.peak is Linux 5.19
    EXPECT_GE(u["memory"]["peak_bytes"].get<uint64_t>(), uint64_t{30} << 20) << u.dump();
  }
  EXPECT_GT(u["cpu"].value("usage_usec", 0), 0) << "tail ran a while\n" << u.dump();
  EXPECT_EQ(u["pids"].value("current", -1), 0) << u.dump();

  EXPECT_EQ(script_value(r.out, "attach"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "freeze"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "status_busy"), "0") << r.describe();
  const std::string busy = read_file(tmp.file("busy.txt"));
  EXPECT_TRUE(contains(busy, "usage:\n  processes  1, frozen\n")) << busy;
  EXPECT_TRUE(contains(busy, "killed by the OOM killer")) << busy;
  json busy_json = json::parse(read_file(tmp.file("busy.json")), nullptr, false);
  ASSERT_TRUE(busy_json.is_object()) << read_file(tmp.file("busy.json"));
  EXPECT_EQ(busy_json["usage"].value("processes", -1), 1) << busy_json.dump();
  EXPECT_EQ(busy_json["usage"]["pids"].value("current", -1), 1) << busy_json.dump();
  EXPECT_EQ(busy_json["usage"].value("frozen", false), true) << busy_json.dump();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsplan::kernel_test
