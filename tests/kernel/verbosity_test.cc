// -v, -vv and -q of a live apply against the real kernel: -v prints one timed line per change,
// the same change lines apply's summary lists, each with its profile line; -vv adds the steps
// found in place on a second apply; -q prints nothing at all when all goes well.
// Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>", in a Sandbox.
#include <regex>
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

TEST(Verbosity, VerboseApplyTimesEachChangeAndQuietSaysNothing) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  CgroupParent cg({"pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string path = tmp.write("v.yaml", "nsplan: 1\nname: " + test_name("verbose") +
                                                   "\ncgroup:\n  path: v\n  pids: {max: 30}\nnamespaces:\n  uts: {persist: " +
                                                   test_name("uts") + ", hostname: nsplan-t-v}\n");
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", path}, {"PARENT", cg.name()}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" apply "$PROFILE" -v $P > "$T/v.out" 2> "$T/v.err"; echo "v=$?"
"$N" apply "$PROFILE" -vv $P > "$T/vv.out" 2> "$T/vv.err"; echo "vv=$?"
"$N" destroy "$PROFILE" -q $P > "$T/q.out" 2> "$T/q.err"; echo "q=$?"
"$N" apply "$PROFILE" -q $P > "$T/qa.out" 2> "$T/qa.err"; echo "qa=$?"
"$N" destroy "$PROFILE" $P > /dev/null 2>&1; echo "destroy=$?"
)SH");
  ASSERT_TRUE(r.exited()) << r.describe();
  for (const char* k : {"v=0", "vv=0", "q=0", "qa=0", "destroy=0"}) EXPECT_TRUE(contains(r.out, k)) << k << "\n" << r.describe();

  // -v: stderr has a timed line for each change the summary on stdout lists, in that order.
  const std::string out = read_file(tmp.file("v.out")), err = read_file(tmp.file("v.err"));
  std::vector<std::string> summary, logged;
  for (const auto& l : lines_of(out))
    if (l.rfind("  + ", 0) == 0 || l.rfind("  ~ ", 0) == 0) summary.push_back(l);  // "  + CHANGE   FILE:LINE:COL"
  const std::regex line(R"(^nsplan: \[ *[0-9]+\.[0-9]{2} ms\] ([+~] .*) \((.*v\.yaml:[0-9]+:[0-9]+)\)$)");
  for (const auto& l : lines_of(err)) {
    std::smatch m;
    if (std::regex_match(l, m, line)) logged.push_back(m[1]);
    else ADD_FAILURE() << "not a step line: " << l;
  }
  ASSERT_FALSE(logged.empty()) << err;
  ASSERT_EQ(logged.size(), summary.size()) << "stdout:\n" << out << "stderr:\n" << err;
  for (size_t i = 0; i < logged.size(); ++i) EXPECT_TRUE(contains(summary[i], logged[i])) << summary[i] << " / " << logged[i];

  // -vv on an applied profile: every step in place, and the phases timed.
  const std::string vv = read_file(tmp.file("vv.err"));
  EXPECT_TRUE(contains(vv, "nsplan: probed this host in ")) << vv;
  EXPECT_TRUE(contains(vv, "nsplan: compiled ")) << vv;
  EXPECT_TRUE(contains(vv, "in place (")) << vv;
  EXPECT_FALSE(contains(vv, "] + ")) << "nothing to change the second time\n" << vv;

  // -q: silent when all is well.
  for (const char* f : {"q.out", "q.err", "qa.out", "qa.err"}) EXPECT_EQ(read_file(tmp.file(f)), "") << f;
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsplan::kernel_test
