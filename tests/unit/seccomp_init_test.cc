// run.seccomp and nsplan's init: the planner's filter and init, its located errors for unknown
// names, the groups' members, and what explain marks (and --strict refuses).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "applier/explain.h"
#include "applier/shell_launch.h"
#include "applier/shell_seccomp.h"
#include "compiler/seccomp_groups.h"
#include "compiler/syscall_names.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

std::string profile(const std::string& run_extra, const std::string& namespaces = "") {
  return "nsplan: 1\nname: s\n" + namespaces + "run:\n  command: [sh]\n" + run_extra;
}

std::string errors(const Compilation& c) { return render_all(c.diags, c.sources); }

std::string source_file(const std::string& path) {
  std::ifstream in(std::string(NSPLAN_SOURCE_DIR) + "/" + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Seccomp, DenyListExpandsGroupsSortedWithDefaultErrno) {
  auto c = compile_text(profile("  seccomp:\n    deny: [unshare, \"@mount\", mkdir, unshare]\n"));
  ASSERT_TRUE(c->ok()) << errors(*c);
  const auto& f = c->plan->launch->seccomp;
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->allow_list);
  EXPECT_EQ(f->action, "errno");
  EXPECT_EQ(f->errno_name, "EPERM");
  EXPECT_EQ(f->errno_number, 1);
  EXPECT_TRUE(std::is_sorted(f->syscalls.begin(), f->syscalls.end()));
  EXPECT_EQ(std::count(f->syscalls.begin(), f->syscalls.end(), "unshare"), 1);
  EXPECT_EQ(std::count(f->syscalls.begin(), f->syscalls.end(), "pivot_root"), 1);  // from @mount
  EXPECT_EQ(f->syscalls.size(), find_seccomp_group("@mount")->syscalls.size() + 2);
  // A filter needs no_new_privs: the identity carries it, so setpriv shows it.
  EXPECT_TRUE(c->plan->launch->identity.no_new_privs);
  EXPECT_EQ(f->origin.where, "p.yaml:6:5");
}

TEST(Seccomp, AllowListAddsWhatExecAndExitNeed) {
  auto c = compile_text(profile("  seccomp: {allow: [read, write], action: errno, errno: ENOSYS}\n"));
  ASSERT_TRUE(c->ok()) << errors(*c);
  const auto& f = *c->plan->launch->seccomp;
  EXPECT_TRUE(f.allow_list);
  EXPECT_EQ(f.errno_number, ENOSYS);
  EXPECT_EQ(f.syscalls, (std::vector<std::string>{"execve", "exit", "exit_group", "read", "rt_sigreturn", "write"}));
}

TEST(Seccomp, UnknownNamesAreLocatedWithSuggestions) {
  auto c = compile_text(profile("  seccomp:\n    deny: [mkdri, \"@mounts\", frobnicate_all_the_things]\n    errno: EPREM\n"));
  ASSERT_FALSE(c->ok());
  std::string e = errors(*c);
  EXPECT_NE(e.find("p.yaml:6:12: error: unknown syscall 'mkdri'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'mkdir'?"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown syscall group '@mounts'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean '@mount'?"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown syscall 'frobnicate_all_the_things'"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:7:12: error: unknown errno 'EPREM'"), std::string::npos) << e;
}

TEST(Seccomp, ListsAndActionMustFit) {
  auto both = compile_text(profile("  seccomp: {allow: [read], deny: [mkdir]}\n"));
  EXPECT_NE(errors(*both).find("run.seccomp has both allow and deny"), std::string::npos) << errors(*both);
  auto none = compile_text(profile("  seccomp: {action: kill}\n"));
  EXPECT_NE(errors(*none).find("run.seccomp lists no syscalls"), std::string::npos) << errors(*none);
  auto errno_with_kill = compile_text(profile("  seccomp: {deny: [mkdir], action: kill, errno: EPERM}\n"));
  EXPECT_NE(errors(*errno_with_kill).find("errno is the error of action errno, not of action kill"), std::string::npos);
  auto bad_action = compile_text(profile("  seccomp: {deny: [mkdir], action: allow}\n"));
  EXPECT_FALSE(bad_action->ok());
}

// Every member of every group is a name libseccomp knows, and the groups are as documented.
TEST(Seccomp, GroupMembersAreKnownAndDocumented) {
  std::string docs = source_file("docs/profile-format.md");
  for (const auto& g : seccomp_groups()) {
    EXPECT_EQ(g.name[0], '@');
    EXPECT_FALSE(g.syscalls.empty());
    std::string line = "| `" + std::string(g.name) + "` |";
    for (auto s : g.syscalls) {
      EXPECT_TRUE(is_syscall_name(std::string(s))) << g.name << ": " << s;
      line += " " + std::string(s);
    }
    EXPECT_NE(docs.find(line), std::string::npos) << "docs/profile-format.md lacks the row starting: " << line;
  }
  EXPECT_GT(native_syscall_names().size(), 300u);
  EXPECT_FALSE(is_syscall_name("nonsense"));
  EXPECT_EQ(errno_number("EACCES"), EACCES);
  EXPECT_EQ(errno_number("EPERMX"), std::nullopt);
}

TEST(Init, DefaultWithANewPidNamespaceOnly) {
  auto with_pid = compile_text(profile("", "namespaces: {pid: {}, mnt: {proc: true}}\n"));
  ASSERT_TRUE(with_pid->ok()) << errors(*with_pid);
  ASSERT_TRUE(with_pid->plan->launch->init);
  EXPECT_EQ(with_pid->plan->launch->init->origin.where, "p.yaml:3:19");
  auto opted_out = compile_text(profile("  init: false\n", "namespaces: {pid: {}}\n"));
  ASSERT_TRUE(opted_out->ok()) << errors(*opted_out);
  EXPECT_FALSE(opted_out->plan->launch->init);
  auto no_pid = compile_text(profile("", "namespaces: {net: {}}\n"));
  EXPECT_FALSE(no_pid->plan->launch->init);
  auto joined = compile_text(profile("", "namespaces: {pid: {path: /proc/1/ns/pid}}\n"));
  EXPECT_FALSE(joined->plan->launch->init);
  auto asked_without_pid = compile_text(profile("  init: true\n", "namespaces: {net: {}}\n"));
  EXPECT_NE(errors(*asked_without_pid).find("p.yaml:6:9: error: run.init needs a new pid namespace"), std::string::npos)
      << errors(*asked_without_pid);
}

TEST(SeccompInitShell, MarkedLinesAndStrictList) {
  auto c = compile_text(profile("  seccomp: {deny: [unshare, mkdir], action: errno, errno: EACCES}\n",
                                "namespaces: {pid: {}}\n"));
  ASSERT_TRUE(c->ok()) << errors(*c);
  std::string script = applier::explain(*c->plan, c->diags, c->sources);
  EXPECT_NE(script.find("# nsplan run: its own init is PID 1 of the new pid namespace"), std::string::npos) << script;
  EXPECT_NE(script.find("# nsplan run: installs a seccomp filter right before exec (native ABI only, any other kills); sh cannot.\n"
                        "#   deny list: these 2 syscalls fail with EACCES, every other one runs:\n"
                        "#   mkdir unshare\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("--no-new-privs"), std::string::npos) << script;
  auto missing = applier::process_not_in_sh(*c->plan->launch);
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].where, "p.yaml:3:19");
  EXPECT_EQ(missing[1].where, "p.yaml:6:12");
  auto lines = applier::launch_lines(*c->plan->launch);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "seccomp deny list: these 2 syscalls fail with EACCES, every other one runs: mkdir unshare"),
            lines.end());
  auto out = compile_text(profile("  init: false\n", "namespaces: {pid: {}}\n"));
  EXPECT_TRUE(applier::process_not_in_sh(*out->plan->launch).empty());
}

}  // namespace
}  // namespace nsplan
