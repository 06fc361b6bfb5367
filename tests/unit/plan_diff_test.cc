// nsplan diff (applier/plan_diff.h) and explain --no-locations: two plans compared step by step,
// paired by resource key, and the script that changes only when the plan does.
#include <gtest/gtest.h>

#include "applier/explain.h"
#include "applier/plan_diff.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

const std::string kProfile =
    "nsplan: 1\n"
    "name: fx\n"
    "cgroup:\n"
    "  memory:\n"
    "    max: 3G\n"
    "    soft: 1G\n"
    "  pids:\n"
    "    max: 100\n"
    "run:\n"
    "  command: [firefox]\n";

// The same plan: a comment line more (every line below moves), the keys of memory swapped.
const std::string kSamePlanEdited =
    "nsplan: 1\n"
    "# the browser\n"
    "name: fx\n"
    "cgroup:\n"
    "  memory:\n"
    "    soft: 1G   # pushed back to this\n"
    "    max: 3G\n"
    "  pids:\n"
    "    max: 100\n"
    "run:\n"
    "  command: [firefox]\n";

std::vector<std::string> texts(const std::vector<applier::PlanChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.text + "  (" + c.where + ")");
  return out;
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

TEST(PlanDiff, SamePlanGivesNothing) {
  auto a = compile_text(kProfile);
  auto b = compile_text(kSamePlanEdited);
  ASSERT_TRUE(a->ok() && b->ok());
  EXPECT_TRUE(applier::diff_plans(*a->plan, *b->plan).empty());
}

TEST(PlanDiff, ValueChangeIsOneTildeLineWithNewLocation) {
  auto a = compile_text(kProfile);
  auto b = compile_text(replaced(kProfile, "max: 3G", "max: 4G"));
  ASSERT_TRUE(a->ok() && b->ok());
  EXPECT_EQ(texts(applier::diff_plans(*a->plan, *b->plan)),
            std::vector<std::string>{"~ /sys/fs/cgroup/nsplan/fx/memory.max: 3221225472 -> 4294967296  (p.yaml:5:10)"});
}

TEST(PlanDiff, AddedAndRemovedStepsWithTheirOwnLocations) {
  auto a = compile_text(kProfile);
  auto b = compile_text(replaced(replaced(kProfile, "    soft: 1G\n", ""), "  pids:\n", "  cpu:\n    weight: 200\n  pids:\n"));
  ASSERT_TRUE(a->ok() && b->ok());
  // "+" and "~" in NEW's order with NEW's lines, then "-" with OLD's line. The controllers
  // enabled in a directory are one resource: one "~" line each, old -> new.
  EXPECT_EQ(texts(applier::diff_plans(*a->plan, *b->plan)),
            (std::vector<std::string>{
                "~ /sys/fs/cgroup/cgroup.subtree_control: +memory +pids -> +cpu +memory +pids  (p.yaml:4:3)",
                "~ /sys/fs/cgroup/nsplan/cgroup.subtree_control: +memory +pids -> +cpu +memory +pids  (p.yaml:4:3)",
                "+ /sys/fs/cgroup/nsplan/fx/cpu.weight = 200  (p.yaml:7:13)",
                "- /sys/fs/cgroup/nsplan/fx/memory.low = 1073741824  (p.yaml:6:11)"}));
}

TEST(PlanDiff, CommandChangeIsARunLine) {
  auto a = compile_text(kProfile);
  auto b = compile_text(replaced(kProfile, "[firefox]", "[firefox, --safe-mode]"));
  ASSERT_TRUE(a->ok() && b->ok());
  EXPECT_EQ(texts(applier::diff_plans(*a->plan, *b->plan)),
            (std::vector<std::string>{"+ run: exec 'firefox' '--safe-mode'  (p.yaml:10:3)", "- run: exec 'firefox'  (p.yaml:10:3)"}));
}

TEST(PlanDiff, NetworkValueChangesPairByLink) {
  const std::string net =
      "nsplan: 1\nname: n\nnetwork:\n  links:\n    - {name: d0, kind: dummy, mtu: 1400, addresses: [10.9.0.1/24]}\n";
  auto a = compile_text(net);
  auto b = compile_text(replaced(replaced(net, "1400", "1500"), "10.9.0.1/24", "10.9.0.2/24"));
  ASSERT_TRUE(a->ok() && b->ok()) << render_all(a->diags, a->sources) << render_all(b->diags, b->sources);
  EXPECT_EQ(texts(applier::diff_plans(*a->plan, *b->plan)),
            (std::vector<std::string>{"~ mtu of d0: 1400 -> 1500  (p.yaml:5:36)", "+ address 10.9.0.2/24 on d0  (p.yaml:5:54)",
                                      "- address 10.9.0.1/24 on d0  (p.yaml:5:54)"}));
}

TEST(PlanDiff, PlanLinesHaveNoLocation) {
  auto a = compile_text(kProfile);
  auto b = compile_text(kSamePlanEdited);
  ASSERT_TRUE(a->ok() && b->ok());
  EXPECT_EQ(applier::plan_lines(*a->plan), applier::plan_lines(*b->plan));
  auto lines = applier::plan_lines(*a->plan);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "/sys/fs/cgroup/nsplan/fx/memory.max = 3221225472"), lines.end())
      << ::testing::PrintToString(lines);
}

// explain --no-locations: the same plan gives the same script byte for byte, on both hierarchies;
// with locations it differs (the comment names other lines), and only in those comments.
TEST(ExplainNoLocations, SamePlanSameScript) {
  for (CgroupMode mode : {CgroupMode::V1, CgroupMode::V2}) {
    auto a = compile_text(kProfile, mode);
    auto b = compile_text(kSamePlanEdited, mode);
    ASSERT_TRUE(a->ok() && b->ok());
    applier::ExplainOptions options;
    options.locations = false;
    std::string sa = applier::explain(*a->plan, a->diags, a->sources, options);
    std::string sb = applier::explain(*b->plan, b->diags, b->sources, options);
    EXPECT_EQ(sa, sb);
    EXPECT_EQ(sa.find("p.yaml:"), std::string::npos) << sa;
    EXPECT_NE(sa.find("\n# memory max 3G\n"), std::string::npos) << sa;
    std::string la = applier::explain(*a->plan, a->diags, a->sources);
    EXPECT_NE(la, applier::explain(*b->plan, b->diags, b->sources));
    // Located, the script is the same but for "p.yaml:L:C: " in its comments.
    std::string stripped;
    for (size_t at = 0; at < la.size();) {
      size_t p = la.find("# p.yaml:", at);
      if (p == std::string::npos) {
        stripped += la.substr(at);
        break;
      }
      stripped += la.substr(at, p + 2 - at);
      at = la.find(": ", p + 2) + 2;
    }
    EXPECT_EQ(stripped, sa);
  }
}

}  // namespace
}  // namespace nsplan
