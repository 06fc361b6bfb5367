// `nsplan apply / status / run / attach / freeze / thaw / kill / destroy` without root, in a cgroup subtree delegated
// to the user (issue 12): the test makes a parent cgroup on cgroup v2 and delegates it to nobody
// (65534) as systemd delegates user@UID.service (the directory and its cgroup.procs,
// cgroup.subtree_control and cgroup.threads chowned), then runs nsplan as nobody (setpriv) with
// --cgroup-parent. On a hybrid host the v2 tree (/sys/fs/cgroup/unified) has no controllers: the
// profile there only makes its cgroup; where pids is offered (pure v2) it also limits it, which
// enables pids in the delegated parent's cgroup.subtree_control.
//
// Every script runs in a sandbox (sandbox.h): /run is a fresh tmpfs, so the test makes nobody's
// runtime dir /run/user/65534 (as pam_systemd would), where nsplan keeps nobody's state.
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

class UserDelegationTest : public TempDirTest {
 protected:
  UserDelegationTest() : TempDirTest("user") {}
  void SetUp() override {
    TempDirTest::SetUp();  // nobody reads the profiles in tmp_
    if (stopped()) return;
    if (std::system("command -v setpriv >/dev/null 2>&1") != 0) NSPLAN_SKIP_OR_FAIL("needs setpriv (util-linux)");
    const HostFacts& host = host_probe().facts;
    if (host.mode == CgroupMode::V2) {
      facts_ = host;
    } else if (host.hybrid) {
      auto unified = applier::probe_host(host.cgroup_root + "/unified");
      if (!unified.ok) FAIL() << unified.error;
      facts_ = unified.facts;
    } else {
      NSPLAN_SKIP_OR_FAIL("no cgroup2 hierarchy (delegation to a user is tested on v2)");
    }
    limits_ = facts_.controllers.count("pids") > 0;
    // A pure v2 host offers pids (the VM's does): the limits and the parent's subtree_control are tested there.
    if (host.mode == CgroupMode::V2) {
      EXPECT_TRUE(limits_) << "this v2 host offers no pids controller";
    }
    parent_ = std::make_unique<CgroupParent>(limits_ ? std::vector<std::string>{"pids"} : std::vector<std::string>{}, facts_);
    ASSERT_TRUE(parent_->ok()) << parent_->error();
  }

  // A profile nsplan-t-<pid>-SUFFIX whose cgroup is "job" below the parent, with BODY after it.
  std::string profile(const std::string& suffix, const std::string& body) {
    name_ = test_name(suffix);
    std::string path = tmp_.file(suffix + ".yaml");
    EXPECT_TRUE(write_text(path, "nsplan: 1\nname: " + name_ + "\ncgroup:\n  path: job\n" +
                                     (limits_ ? "  pids: {max: 64}\n" : "") + body));
    ::chmod(path.c_str(), 0644);
    return path;
  }

  ScriptVars vars(const std::string& profile_path) const {
    return {{"PROFILE", profile_path},
            {"NAME", name_},
            {"PARENT", parent_->name()},
            {"P", parent_->dir_of("")},
            // The v2 tree of a hybrid host is not where nsplan looks by default.
            {"ROOT", facts_.cgroup_root}};
  }

  // The prelude of each script: nobody's runtime dir, and `as_nobody` (no XDG_RUNTIME_DIR: the
  // default state dir is then /run/user/65534/nsplan).
  static constexpr const char* kNobody = R"SH(
mkdir -p /run/user/65534 && chown 65534:65534 /run/user/65534 && chmod 0700 /run/user/65534
as_nobody() { env -u XDG_RUNTIME_DIR setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
delegate() { chown 65534:65534 "$P" "$P/cgroup.procs" "$P/cgroup.subtree_control" "$P/cgroup.threads"; }
parent_now() { echo "$(cat "$P/cgroup.subtree_control")|$(find "$P" -mindepth 1 -type d | sort | tr '\n' ' ')"; }
)SH";

  HostFacts facts_;
  bool limits_ = false;
  std::unique_ptr<CgroupParent> parent_;
  std::string name_;
};

// The whole life of a profile in nobody's delegated cgroup, as nobody: apply, apply again, status,
// run, attach, freeze, thaw, kill, destroy.
TEST_F(UserDelegationTest, AUserAppliesRunsAttachesAndDestroysInTheirDelegatedCgroup) {
  std::string p = profile("own", "");
  RunResult r = run_sandboxed(tmp_.path(), vars(p), std::string(kNobody) + R"SH(
delegate
before=$(parent_now)
as_nobody "$N" apply "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > "$T/a1.out" 2> "$T/a1.err"
echo "apply_rc=$?"
echo "apply_err=$(tr '\n' ' ' < "$T/a1.err")"
echo "changes=$(tail -1 "$T/a1.out")"
echo "job_owner=$(stat -c %u "$P/job" 2>/dev/null)"
echo "pids_max=$(cat "$P/job/pids.max" 2>/dev/null || echo none)"
echo "subtree=$(cat "$P/cgroup.subtree_control")"
echo "state=$(ls /run/user/65534/nsplan 2>&1 | grep -c "^$NAME.state$")"
echo "state_owner=$(stat -c %u "/run/user/65534/nsplan/$NAME.state" 2>/dev/null)"
as_nobody "$N" apply "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > "$T/a2.out" 2>&1
echo "reapply_rc=$?"
echo "reapply=$(head -1 "$T/a2.out")"
as_nobody "$N" status "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > "$T/s.out" 2>&1
echo "status_rc=$?"
echo "status=$(tail -1 "$T/s.out")"
# A user's processes live in their delegated subtree (systemd: user@UID.service/init.scope);
# v2 lets a process move only below the common ancestor it may write (cgroups(7)).
as_nobody mkdir "$P/session"
in_session() { sh -c 'echo $$ > "$0/session/cgroup.procs" && exec "$@"' "$P" env -u XDG_RUNTIME_DIR setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
in_session "$N" run "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" -- cat /proc/self/cgroup > "$T/r.out" 2> "$T/r.err"
echo "run_rc=$?"
echo "run_err=$(tr '\n' ' ' < "$T/r.err")"
echo "run_cgroup=$(grep '^0::' "$T/r.out")"
# Not through a function: $! would be the subshell running it.
sh -c 'echo $$ > "$0/session/cgroup.procs" && exec setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30' "$P" &
sp=$!
wait_until 5 grep -qx "$sp" "$P/session/cgroup.procs"
as_nobody "$N" attach "$PROFILE" $sp --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > /dev/null 2> "$T/at.err"
echo "attach_rc=$?"
echo "attach_err=$(tr '\n' ' ' < "$T/at.err")"
echo "in_job=$(grep -cx "$sp" "$P/job/cgroup.procs")"
as_nobody "$N" freeze "$NAME" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > /dev/null 2> "$T/f.err"
echo "freeze_rc=$? $(tr '\n' ' ' < "$T/f.err")"
echo "frozen=$(cat "$P/job/cgroup.freeze")"
as_nobody "$N" thaw "$NAME" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > /dev/null 2> "$T/t.err"
echo "thaw_rc=$? $(tr '\n' ' ' < "$T/t.err")"
echo "thawed=$(cat "$P/job/cgroup.freeze")"
as_nobody "$N" kill "$NAME" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > /dev/null 2> "$T/k.err"
echo "kill_rc=$? $(tr '\n' ' ' < "$T/k.err")"
wait $sp 2>/dev/null
echo "sleep_status=$?"
rmdir "$P/session"
as_nobody "$N" destroy "$NAME" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > "$T/d.out" 2> "$T/d.err"
echo "destroy_rc=$?"
echo "destroy_err=$(tr '\n' ' ' < "$T/d.err")"
if [ -d "$P/job" ]; then echo "job_left=yes"; else echo "job_left=no"; fi
echo "state_left=$(ls /run/user/65534/nsplan | grep -cE "^$NAME\.(state|journal)$")"
after=$(parent_now)
if [ "$before" = "$after" ]; then echo "parent=same"; else echo "parent=changed: $before -> $after"; fi
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  ASSERT_EQ(script_value(r.out, "apply_rc"), "0") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "changes"), "change(s), 0 removal(s)")) << r.describe();
  EXPECT_EQ(script_value(r.out, "job_owner"), "65534") << "the kernel gives a cgroup to its maker\n" << r.describe();
  if (limits_) {
    EXPECT_EQ(script_value(r.out, "pids_max"), "64") << r.describe();
    EXPECT_EQ(script_value(r.out, "subtree"), "pids") << r.describe();
  }
  EXPECT_EQ(script_value(r.out, "state"), "1") << "nobody's state is in nobody's runtime dir\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "state_owner"), "65534") << r.describe();
  EXPECT_EQ(script_value(r.out, "reapply_rc"), "0") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "reapply"), "no changes")) << r.describe();
  EXPECT_EQ(script_value(r.out, "status_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "run_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "run_cgroup"), "0::/" + parent_->name() + "/job") << r.describe();
  EXPECT_EQ(script_value(r.out, "attach_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "in_job"), "1") << r.describe();
  // The user's own cgroup is theirs to freeze, thaw and kill.
  EXPECT_EQ(script_value(r.out, "freeze_rc"), "0 ") << r.describe();
  EXPECT_EQ(script_value(r.out, "frozen"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "thaw_rc"), "0 ") << r.describe();
  EXPECT_EQ(script_value(r.out, "thawed"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "kill_rc"), "0 ") << r.describe();
  EXPECT_EQ(script_value(r.out, "sleep_status"), "137") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "job_left"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "state_left"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "parent"), "same") << r.describe();
}

// Refusals, each before anything changes (and a destroy of nothing recorded): a parent not
// delegated (named with the path nobody cannot write), a profile that also wants a network
// namespace (CAP_SYS_ADMIN), no --cgroup-parent (apply and run: the hint names it), a
// --cgroup-parent that is not there, a state dir below another user's directory.
TEST_F(UserDelegationTest, WhatAUserMayNotDoIsRefusedBeforeAnyChange) {
  std::string plain = profile("plain", "");
  std::string netns = profile("netns", "namespaces:\n  net: {persist: nspt-user}\n");
  ScriptVars v = vars(plain);
  v.push_back({"NETNS_PROFILE", netns});
  RunResult r = run_sandboxed(tmp_.path(), v, std::string(kNobody) + R"SH(
before=$(parent_now)
as_nobody "$N" destroy "$NAME" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > "$T/d0" 2>&1
echo "nothing_rc=$?"
echo "nothing=$(head -1 "$T/d0")"
as_nobody "$N" apply "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > /dev/null 2> "$T/e1"
echo "undelegated_rc=$?"
echo "undelegated_err=$(tr '\n' ' ' < "$T/e1")"
echo "undelegated_parent=$([ "$(parent_now)" = "$before" ] && echo same || echo changed)"
[ -e /run/user/65534/nsplan ] && echo "state_dir_made=yes" || echo "state_dir_made=no"
delegate
as_nobody "$N" apply "$NETNS_PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" > /dev/null 2> "$T/e2"
echo "netns_rc=$?"
echo "netns_err=$(tr '\n' ' ' < "$T/e2")"
echo "netns_parent=$([ "$(parent_now)" = "$before" ] && echo same || echo changed)"
[ -e /run/netns/nspt-user ] && echo "netns_made=yes" || echo "netns_made=no"
as_nobody "$N" apply "$PROFILE" --cgroup-root "$ROOT" > /dev/null 2> "$T/e3"
echo "noparent_rc=$?"
echo "noparent_err=$(tr '\n' ' ' < "$T/e3")"
as_nobody "$N" run "$PROFILE" --cgroup-root "$ROOT" -- true > /dev/null 2> "$T/e6"
echo "run_noparent_rc=$?"
echo "run_noparent_err=$(tr '\n' ' ' < "$T/e6")"
as_nobody "$N" apply "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT/absent" > /dev/null 2> "$T/e5"
echo "absent_rc=$?"
echo "absent_err=$(tr '\n' ' ' < "$T/e5")"
mkdir -p /run/other && chown 1:1 /run/other && chmod 0755 /run/other
as_nobody "$N" apply "$PROFILE" --cgroup-root "$ROOT" --cgroup-parent "$PARENT" --state-dir /run/other/nsplan > /dev/null 2> "$T/e4"
echo "other_rc=$?"
echo "other_err=$(tr '\n' ' ' < "$T/e4")"
echo "other_parent=$([ "$(parent_now)" = "$before" ] && echo same || echo changed)"
[ -e /run/user/65534/nsplan ] && echo "state_dir_made_at_end=yes" || echo "state_dir_made_at_end=no"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  // Nothing recorded: nothing to destroy, and no state dir made for it.
  EXPECT_EQ(script_value(r.out, "nothing_rc"), "0") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "nothing"), "nothing to destroy")) << r.describe();
  EXPECT_EQ(script_value(r.out, "undelegated_rc"), "3") << r.describe();
  const std::string e1 = script_value(r.out, "undelegated_err");
  EXPECT_TRUE(contains(e1, "write access to " + parent_->dir_of("") + " (to make the cgroup")) << e1;
  EXPECT_TRUE(contains(e1, "which uid 65534 lacks; nothing was changed")) << e1;
  EXPECT_TRUE(contains(e1, "delegated to uid 65534")) << e1;
  EXPECT_EQ(script_value(r.out, "undelegated_parent"), "same") << r.describe();
  EXPECT_EQ(script_value(r.out, "state_dir_made"), "no") << r.describe();

  EXPECT_EQ(script_value(r.out, "netns_rc"), "3") << r.describe();
  const std::string e2 = script_value(r.out, "netns_err");
  // (A persistent net namespace also brings its lo up: a link step.)
  EXPECT_TRUE(contains(e2, "needs CAP_SYS_ADMIN (to create and mount namespaces); CAP_NET_ADMIN")) << e2;
  EXPECT_TRUE(contains(e2, "; nothing was changed   hint: run as root ")) << e2;
  EXPECT_EQ(script_value(r.out, "netns_parent"), "same") << r.describe();
  EXPECT_EQ(script_value(r.out, "netns_made"), "no") << r.describe();

  EXPECT_EQ(script_value(r.out, "noparent_rc"), "3") << r.describe();
  const std::string e3 = script_value(r.out, "noparent_err");
  EXPECT_TRUE(contains(e3, "needs root (to write the cgroup tree); nothing was changed")) << e3;
  EXPECT_TRUE(contains(e3, "--cgroup-parent user.slice/user-65534.slice/user@65534.service/app.slice")) << e3;

  // run does not apply what this user may not: it says so, and where the user's cgroups can go.
  EXPECT_EQ(script_value(r.out, "run_noparent_rc"), "3") << r.describe();
  const std::string e6 = script_value(r.out, "run_noparent_err");
  EXPECT_TRUE(contains(e6, "is not in place")) << e6;
  EXPECT_TRUE(contains(e6, "this user may not (it needs root (to write the cgroup tree))")) << e6;
  EXPECT_TRUE(contains(e6, "--cgroup-parent user.slice/user-65534.slice/user@65534.service/app.slice")) << e6;

  EXPECT_EQ(script_value(r.out, "absent_rc"), "3") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "absent_err"), "needs " + parent_->dir_of("") + "/absent to exist (to make the cgroup"))
      << r.describe();

  EXPECT_EQ(script_value(r.out, "other_rc"), "3") << r.describe();
  const std::string e4 = script_value(r.out, "other_err");
  EXPECT_TRUE(contains(e4, "refusing the state dir /run/other/nsplan: /run/other is owned by uid 1")) << e4;
  EXPECT_EQ(script_value(r.out, "other_parent"), "same") << r.describe();
  EXPECT_EQ(script_value(r.out, "state_dir_made_at_end"), "no") << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
