// run's process attributes and capabilities: the planner's checks and values, and the sh that
// explain renders for them (compiler/plan_process.cc, applier/shell_process.cc).
#include <gtest/gtest.h>

#include "applier/shell_launch.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

std::unique_ptr<Compilation> compile_run(const std::string& run_body, const std::string& more = "") {
  return compile_text("nsplan: 1\nname: x\n" + more + "run:\n  command: [id]\n" + run_body);
}

std::string first_error(const Compilation& c) { return c.diags.all().empty() ? "" : c.diags.all()[0].message; }
std::string first_hint(const Compilation& c) { return c.diags.all().empty() ? "" : c.diags.all()[0].hint; }

TEST(PlannerProcess, DropAllButOneGivesEverySetThatOne) {
  auto c = compile_run("  uid: 1000\n  capabilities: {drop: [all], add: [net_admin]}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& caps = c->plan->launch->process.caps;
  for (const auto* set : {&caps.bounding, &caps.inheritable, &caps.ambient}) {
    EXPECT_TRUE(set->clear_all);
    EXPECT_EQ(set->add, std::vector<int>{12});
  }
  // A jail that sets capabilities gets no_new_privs unless it says otherwise.
  EXPECT_TRUE(c->plan->launch->identity.no_new_privs);
  std::string script = applier::render_launch(*c->plan->launch, {});
  EXPECT_NE(script.find("setpriv --clear-groups --regid=1000 --reuid=1000 --no-new-privs --bounding-set=-all,+net_admin "
                        "--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin -- 'id'"),
            std::string::npos)
      << script;
}

TEST(PlannerProcess, DropLeavesTheOthersAndTheBoundingSetNeverGrows) {
  auto c = compile_run("  capabilities: {drop: [sys_admin, net_raw], add: [net_admin]}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& caps = c->plan->launch->process.caps;
  EXPECT_FALSE(caps.bounding.clear_all);
  EXPECT_TRUE(caps.bounding.add.empty());
  EXPECT_EQ(caps.bounding.drop, (std::vector<int>{21, 13}));
  EXPECT_EQ(caps.ambient.add, std::vector<int>{12});
  std::string script = applier::render_launch(*c->plan->launch, {});
  EXPECT_NE(script.find("--bounding-set=-sys_admin,-net_raw --inh-caps=+net_admin,-sys_admin,-net_raw"), std::string::npos) << script;
}

TEST(PlannerProcess, NoNewPrivsCanBeTurnedOffAndIsOffForAPlainCommand) {
  auto off = compile_run("  uid: 1000\n  no_new_privs: false\n");
  ASSERT_TRUE(off->ok());
  EXPECT_FALSE(off->plan->launch->identity.no_new_privs);
  auto plain = compile_run("", "namespaces: {user: {uid_map: \"0 1000 1\"}}\n");
  ASSERT_TRUE(plain->ok()) << render_all(plain->diags, plain->sources);
  EXPECT_FALSE(plain->plan->launch->identity.no_new_privs);
  auto uid = compile_run("  uid: 1000\n");
  EXPECT_TRUE(uid->plan->launch->identity.no_new_privs);
}

TEST(PlannerProcess, CapabilityNamesAreSetprivsSpelling) {
  auto prefixed = compile_run("  capabilities: {add: [cap_net_admin]}\n");
  EXPECT_FALSE(prefixed->ok());
  EXPECT_EQ(first_error(*prefixed), "unknown capability 'cap_net_admin'");
  EXPECT_NE(first_hint(*prefixed).find("write 'net_admin'"), std::string::npos);
  auto typo = compile_run("  capabilities: {drop: [net_amdin]}\n");
  EXPECT_EQ(first_error(*typo), "unknown capability 'net_amdin'");
  EXPECT_EQ(first_hint(*typo), "did you mean 'net_admin'?");
  ASSERT_FALSE(typo->diags.all().empty());
  EXPECT_EQ(typo->diags.all()[0].loc.line, 5u);
}

TEST(PlannerProcess, AnAmbientCapabilityMustStayInheritable) {
  auto c = compile_run("  capabilities: {ambient: [net_admin], inheritable: [net_raw]}\n");
  EXPECT_EQ(first_error(*c), "ambient capability 'net_admin' is not in the inheritable set");
  auto both = compile_run("  capabilities: {drop: [net_admin], add: [net_admin]}\n");
  EXPECT_EQ(first_error(*both), "capability 'net_admin' is both dropped and added");
}

TEST(PlannerProcess, AttributesAreCheckedAndRenderedInRunsOrder) {
  auto c = compile_run(
      "  umask: \"027\"\n  nice: 5\n  oom_score_adj: 300\n  ioprio: {class: best-effort, level: 6}\n"
      "  sched: {policy: batch}\n  cpus: 0-1,3\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& p = c->plan->launch->process;
  EXPECT_EQ(*p.umask, 027u);
  EXPECT_EQ(p.cpu_list, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(p.sched->policy_value, 3);
  EXPECT_EQ(p.ioprio->class_value, 2);
  std::string script = applier::render_launch(*c->plan->launch, {});
  EXPECT_NE(script.find("umask 0027\nrenice -n 5 -p \"$$\" > /dev/null\necho 300 > /proc/self/oom_score_adj\n"
                        "ionice -c 2 -n 6 -p \"$$\"\nchrt --batch -p 0 \"$$\"\ntaskset -p -c 0-1,3 \"$$\" > /dev/null\nexec \"$@\""),
            std::string::npos)
      << script;
}

TEST(PlannerProcess, OutOfRangeValuesAreLocatedErrors) {
  EXPECT_EQ(first_error(*compile_run("  umask: \"1777\"\n")), "umask '1777' is out of range");
  EXPECT_EQ(first_error(*compile_run("  sched: {policy: fifo, priority: 0}\n")), "policy fifo needs a priority from 1 to 99");
  EXPECT_EQ(first_error(*compile_run("  sched: {policy: idle, priority: 3}\n")), "policy idle takes priority 0 only");
  EXPECT_EQ(first_error(*compile_run("  ioprio: {class: idle, level: 3}\n")), "the idle I/O class has no level");
  EXPECT_EQ(first_error(*compile_run("  cpus: 0-2000\n")), "CPU 2000 is out of range");
  EXPECT_FALSE(compile_run("  cpus: 1-0\n")->ok());
  EXPECT_FALSE(compile_run("  nice: 20\n")->ok());
  EXPECT_FALSE(compile_run("  oom_score_adj: -1001\n")->ok());
}

}  // namespace
}  // namespace nsplan
