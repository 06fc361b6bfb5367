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
  // A stated target is root's: pasta keeps uid 0, or it could not enter root's user namespace.
  // In the foreground: pasta stays the child of whoever starts it, so that it can die with nsplan.
  EXPECT_EQ(r->options, (std::vector<std::string>{"--runas", "0:0", "--foreground", "--config-net", "--quiet", "-t", "none", "-u",
                                                  "none", "-T", "none", "-U", "none"}));
  EXPECT_EQ(r->origin.where, "p.yaml:5:19");
  auto without = compile_text(profile("  user: {}\n  net: {}\n"));
  ASSERT_TRUE(without->ok()) << errors(*without);
  EXPECT_FALSE(without->plan->launch->rootless_net);
}

// A caller without root and without CAP_SETGID: pasta as it is (it stays the caller), and the
// caller's groups stay, said in the script rather than a setpriv --clear-groups it cannot run.
TEST(RootlessNet, AnUnprivilegedCallersPlanKeepsItsGroupsAndPastasUser) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  facts.caller_root = false;
  facts.caller_may_set_groups = false;
  auto c = testing::compile_with(profile("  user: {}\n  net: {rootless: pasta}\n"), facts, false);
  ASSERT_TRUE(c->ok()) << errors(*c);
  const auto& l = *c->plan->launch;
  ASSERT_TRUE(l.rootless_net);
  EXPECT_EQ(l.rootless_net->options.front(), "--foreground");
  EXPECT_FALSE(l.unshare.clear_groups_first);
  EXPECT_TRUE(l.unshare.caller_keeps_groups);
  EXPECT_FALSE(l.identity.set_groups);
  EXPECT_FALSE(l.unshare.root_inside);  // no maps: no root inside, so the script's inner sh keeps the caps
  std::string script = applier::explain(*c->plan, c->diags, c->sources);
  EXPECT_EQ(script.find("--clear-groups"), std::string::npos) << script;
  EXPECT_EQ(script.find("--runas"), std::string::npos) << script;
  EXPECT_NE(script.find("# the caller's supplementary groups stay in the user namespace: without CAP_SETGID"), std::string::npos)
      << script;
  EXPECT_NE(script.find("NSPLAN_ROOTLESS_GO=$nsplan_rootless/go sh -c 'echo \"$$\" > \"$1\" && shift && exec \"$@\"' nsplan-rootless \"$nsplan_rootless/child\" unshare --user --net --keep-caps -- sh -c "), std::string::npos) << script;
  // Its gid_map can be written only after setgroups is denied: planned, so that explain says it too.
  std::string maps = "  user:\n    uid_map: [{inside: 0, outside: 1000, count: 1}]\n    gid_map: [{inside: 0, outside: 1000, count: 1}]\n";
  auto mapped = testing::compile_with(profile(maps), facts, false);
  ASSERT_TRUE(mapped->ok()) << errors(*mapped);
  EXPECT_EQ(mapped->plan->launch->unshare.setgroups, "deny");
  // Mapped to 0 it is 0 there already: no setuid/setgid (unshare's --setgid would drop groups,
  // which setgroups deny forbids), and newgidmap, not unshare, denies setgroups in the script.
  EXPECT_FALSE(mapped->plan->launch->unshare.setuid_root);
  EXPECT_FALSE(mapped->plan->launch->unshare.setgid_root);
  // Yet it is root inside, which the renderer reads from the plan: no --keep-caps for its inner sh.
  EXPECT_TRUE(mapped->plan->launch->unshare.root_inside);
  std::string mapped_script = applier::explain(*mapped->plan, mapped->diags, mapped->sources);
  EXPECT_NE(mapped_script.find("unshare --user --map-users=1000,0,1 --map-groups=1000,0,1 --"), std::string::npos) << mapped_script;
  EXPECT_NE(mapped_script.find("# nsplan run: writes deny to setgroups before the gid_map"), std::string::npos) << mapped_script;
  EXPECT_EQ(mapped_script.find("--keep-caps"), std::string::npos) << mapped_script;
  auto as_root = compile_text(profile(maps));
  EXPECT_EQ(as_root->plan->launch->unshare.setgroups, "");
  EXPECT_TRUE(as_root->plan->launch->unshare.setuid_root);
  EXPECT_TRUE(as_root->plan->launch->unshare.root_inside);
  auto allowed = testing::compile_with(profile(maps + "    setgroups: allow\n"), facts, false);
  EXPECT_NE(errors(*allowed).find("p.yaml:7:16: error: setgroups: allow with a gid_map needs CAP_SETGID"), std::string::npos)
      << errors(*allowed);
  // A group list cannot be set there either: gid_map of such a caller needs setgroups deny.
  auto groups = testing::compile_with(profile("  user: {}\n") + "  groups: [5]\n", facts, false);
  EXPECT_NE(errors(*groups).find("supplementary groups in a new user namespace need setgroups: allow"), std::string::npos)
      << errors(*groups);
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
  EXPECT_NE(script.find("# nsplan run: keeps pasta as its child, which dies with nsplan (parent-death signal SIGTERM)"),
            std::string::npos)
      << script;
  // The sh inside waits for the FIFO before its first step (lo up).
  EXPECT_NE(script.find("set -eu\nread -r nsplan_go < \"$NSPLAN_ROOTLESS_GO\"\n[ \"$nsplan_go\" = go ] || exit 125\nunset NSPLAN_ROOTLESS_GO nsplan_go\nip link set lo up\n"), std::string::npos)
      << script;
  EXPECT_NE(script.find("NSPLAN_ROOTLESS_GO=$nsplan_rootless/go sh -c 'echo \"$$\" > \"$1\" && shift && exec \"$@\"' nsplan-rootless \"$nsplan_rootless/child\" setpriv --clear-groups -- unshare --user --net --keep-caps -- sh -c "), std::string::npos) << script;
  // pasta in the foreground, in a session of its own; go once the pid it wrote is the one the
  // script started (both recorded), and only that one is stopped.
  EXPECT_NE(script.find("    ( setsid pasta '--runas' '0:0' '--foreground' '--config-net' '--quiet' '-t' 'none' '-u' 'none' '-T' 'none' '-U' 'none' -P \"$nsplan_rootless/pid\" \"$nsplan_child\" & echo \"$!\" > \"$nsplan_rootless/helper\"\n"
                        "      wait \"$!\" || :; touch \"$nsplan_rootless/exited\" ) &\n"
                        "    while { [ ! -s \"$nsplan_rootless/pid\" ] || [ ! -s \"$nsplan_rootless/helper\" ]; } && [ ! -e \"$nsplan_rootless/exited\" ]; do sleep 0.1; done\n"
                        "    nsplan_go=fail\n"
                        "    if [ \"$(cat \"$nsplan_rootless/pid\" 2>/dev/null)\" = \"$(cat \"$nsplan_rootless/helper\")\" ]; then nsplan_go=go; fi\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("  [ -e \"$nsplan_rootless/exited\" ] || kill \"$(cat \"$nsplan_rootless/helper\")\" || :\n"), std::string::npos)
      << script;
  EXPECT_NE(script.find("exit \"$status\"\n}\n"), std::string::npos) << script;
  EXPECT_EQ(script.find("exec unshare"), std::string::npos) << script;
  auto missing = applier::process_not_in_sh(*c->plan->launch);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].where, "p.yaml:5:19");
  auto lines = applier::launch_lines(*c->plan->launch);
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "rootless network: pasta --runas 0:0 --foreground --config-net --quiet -t none -u none -T none -U none PID"),
            lines.end());
}

}  // namespace
}  // namespace nsplan
