// namespaces.net.rootless: the planner's pasta command line, the located errors at the key, and
// what explain renders (the background start, the FIFO handover, the marks --strict refuses).
#include <gtest/gtest.h>

#include "applier/explain.h"
#include "applier/shell_launch.h"
#include "applier/shell_seccomp.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

std::string errors(const Compilation& c) { return render_all(c.diags, c.sources); }

std::string profile(const std::string& namespaces, bool run = true) {
  return "nsplan: 1\nname: r\nnamespaces:\n" + namespaces + (run ? "run:\n  command: [sh]\n" : "");
}

TEST(RootlessNet, PlansPastaWithNoForwardedPorts) {
  auto c = compile_text(profile("  user: {}\n  net: {rootless: pasta}\n"));
  ASSERT_TRUE(c->ok()) << errors(*c);
  const auto& r = c->plan->launch->rootless_net;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->program, "pasta");
  EXPECT_EQ(r->options, (std::vector<std::string>{"--config-net", "--quiet", "-t", "none", "-u", "none", "-T", "none", "-U", "none"}));
  EXPECT_EQ(r->origin.where, "p.yaml:5:19");
  auto without = compile_text(profile("  user: {}\n  net: {}\n"));
  ASSERT_TRUE(without->ok()) << errors(*without);
  EXPECT_FALSE(without->plan->launch->rootless_net);
}

TEST(RootlessNet, RefusedWithoutANewUserNamespaceRunOrUnnamedNetNamespace) {
  auto no_user = compile_text(profile("  net: {rootless: pasta}\n"));
  EXPECT_NE(errors(*no_user).find("p.yaml:4:19: error: rootless needs a new user namespace owning the new net namespace"),
            std::string::npos)
      << errors(*no_user);
  auto joined_user = compile_text(profile("  user: {path: /proc/1/ns/user}\n  net: {rootless: pasta}\n"));
  EXPECT_NE(errors(*joined_user).find("rootless needs a new user namespace"), std::string::npos) << errors(*joined_user);
  auto persisted = compile_text(profile("  user: {}\n  net: {persist: n1, rootless: pasta}\n"));
  EXPECT_NE(errors(*persisted).find("p.yaml:5:32: error: rootless applies to a new, unnamed net namespace, not with join, path or persist"),
            std::string::npos)
      << errors(*persisted);
  auto joined = compile_text(profile("  user: {}\n  net: {path: /proc/1/ns/net, rootless: pasta}\n"));
  EXPECT_NE(errors(*joined).find("drop rootless, or drop path"), std::string::npos) << errors(*joined);
  auto no_run = compile_text(profile("  user: {}\n  net: {rootless: pasta}\n", false));
  EXPECT_NE(errors(*no_run).find("p.yaml:5:19: error: rootless networking lives as long as the command of run"), std::string::npos)
      << errors(*no_run);
  auto other = compile_text(profile("  user: {}\n  net: {rootless: vde}\n"));
  EXPECT_FALSE(other->ok());
}

TEST(RootlessNet, ExplainStartsPastaOnTheBackgroundChildAndMarksIt) {
  auto c = compile_text(profile("  user: {}\n  net: {rootless: pasta}\n"));
  ASSERT_TRUE(c->ok()) << errors(*c);
  std::string script = applier::explain(*c->plan, c->diags, c->sources);
  EXPECT_NE(script.find("# nsplan run: starts pasta the moment its child has made the namespaces"), std::string::npos) << script;
  EXPECT_NE(script.find("# nsplan run: stops pasta through a pidfd"), std::string::npos) << script;
  // The sh inside waits for the FIFO before its first step (lo up).
  EXPECT_NE(script.find("set -eu\nread -r _ < \"$NSPLAN_ROOTLESS_GO\"\nunset NSPLAN_ROOTLESS_GO\nip link set lo up\n"), std::string::npos)
      << script;
  EXPECT_NE(script.find("NSPLAN_ROOTLESS_GO=$nsplan_rootless/go setpriv --clear-groups -- unshare --user --net -- sh -c "), std::string::npos) << script;
  EXPECT_NE(script.find("if pasta '--config-net' '--quiet' '-t' 'none' '-u' 'none' '-T' 'none' '-U' 'none' -P \"$nsplan_rootless/pid\" \"$nsplan_child\"; then\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("exit \"$status\"\n}\n"), std::string::npos) << script;
  EXPECT_EQ(script.find("exec unshare"), std::string::npos) << script;
  auto missing = applier::process_not_in_sh(*c->plan->launch);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].where, "p.yaml:5:19");
  auto lines = applier::launch_lines(*c->plan->launch);
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "rootless network: pasta --config-net --quiet -t none -u none -T none -U none PID"),
            lines.end());
}

}  // namespace
}  // namespace nsplan
