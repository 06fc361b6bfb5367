// nsplan changes, kills or deletes only what it can show it made, and run drops everything: on
// the real kernel, through the nsplan binary, each in a sandbox (sandbox.h) of its own.
//
//   - two profiles whose link group hashes collide: each gets a group of its own, and destroying
//     one leaves the other's bridge;
//   - a link someone else puts into the profile's group survives destroy;
//   - a state record naming a cgroup nsplan did not make (wrong identity) is refused, and a state
//     file not owned by root is refused, the cgroup left in place;
//   - a device moved into a namespace comes back up, with its address and route;
//   - when nsplan is killed during `run` of an ephemeral profile whose cgroup was there before,
//     the cleanup guard kills nothing of anyone else's in it (the command dies with nsplan);
//   - run drops ids and groups completely, closes descriptors it was not told to keep, clears
//     the environment when asked, and has lo up in a new network namespace.
// The same decisions against the simulated kernel: tests/unit/ownership_test.cc.
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

// Two profile names whose link group hashes are equal (tests/unit/ownership_test.cc asserts it).
constexpr const char* kCollidingA = "nspt-c179599";
constexpr const char* kCollidingB = "nspt-c362382";

class Ownership : public TempDirTest {
 protected:
  Ownership() : TempDirTest("own") {}
  std::string profile(const std::string& file, const std::string& text) { return tmp_.write(file + ".yaml", text); }
};

TEST_F(Ownership, CollidingLinkGroupHashesNeverLetOneDestroyTheOthersLinks) {
  std::string a = profile("a", std::string("nsplan: 1\nname: ") + kCollidingA +
                                   "\nnetwork:\n  links:\n    - {name: nspt-ba, kind: bridge}\n");
  std::string b = profile("b", std::string("nsplan: 1\nname: ") + kCollidingB +
                                   "\nnetwork:\n  links:\n    - {name: nspt-bb, kind: bridge}\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"A", a}, {"B", b}}, R"SH(
group_of() { ip -d -o link show "$1" | sed -n 's/.* group \([^ ]*\) .*/\1/p'; }
"$N" apply "$A" > /dev/null || echo "apply_a_failed"
"$N" apply "$B" > /dev/null || echo "apply_b_failed"
echo "group_a=$(group_of nspt-ba)"
echo "group_b=$(group_of nspt-bb)"
"$N" destroy "$A" > /dev/null || echo "destroy_a_failed"
ip link show nspt-bb > /dev/null 2>&1 && echo "b_after_a=present" || echo "b_after_a=gone"
ip link show nspt-ba > /dev/null 2>&1 && echo "a_after_a=present" || echo "a_after_a=gone"
"$N" destroy "$B" > /dev/null || echo "destroy_b_failed"
ip link show nspt-bb > /dev/null 2>&1 && echo "b_after_b=present" || echo "b_after_b=gone"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_NE(script_value(r.out, "group_a"), script_value(r.out, "group_b")) << r.describe();
  EXPECT_EQ(script_value(r.out, "b_after_a"), "present") << "destroying one profile deleted the other's bridge\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "a_after_a"), "gone") << r.describe();
  EXPECT_EQ(script_value(r.out, "b_after_b"), "gone") << r.describe();
}

TEST_F(Ownership, ALinkSomeoneElsePutsIntoTheProfilesGroupSurvivesDestroy) {
  std::string p = profile("g", "nsplan: 1\nname: nspt-grp\nnetwork:\n  links:\n    - {name: nspt-own, kind: bridge}\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}}, R"SH(
"$N" apply "$P" > /dev/null || echo "apply_failed"
g=$(ip -d -o link show nspt-own | sed -n 's/.* group \([^ ]*\) .*/\1/p')
ip link add nspt-theirs group "$g" type bridge
"$N" destroy "$P" > "$T/destroy.out" 2>&1 || echo "destroy_failed"
ip link show nspt-theirs > /dev/null 2>&1 && echo "theirs=present" || echo "theirs=gone"
ip link show nspt-own > /dev/null 2>&1 && echo "own=present" || echo "own=gone"
cat "$T/destroy.out"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "theirs"), "present") << r.describe();
  EXPECT_EQ(script_value(r.out, "own"), "gone") << r.describe();
  EXPECT_TRUE(contains(r.out, "nspt-theirs, which nsplan did not make")) << r.describe();
}

// A destroy killed between the umount of a persistent namespace and the unlink of its mount
// point leaves an empty mode-0 file: the next destroy finishes that delete (and an apply can make
// the name again). Anything else at the path (a file with content) is not ours and stays.
TEST_F(Ownership, ADeleteCutBetweenUmountAndUnlinkIsFinishedByTheNextDestroy) {
  std::string p = profile("hd", "nsplan: 1\nname: nspt-halfdel\nnetwork:\n  namespaces: [nspt-hd1, nspt-hd2]\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}}, R"SH(
"$N" apply "$P" > /dev/null || echo "apply_failed"
umount /run/netns/nspt-hd1
echo "left_behind=$(stat -c %a:%s:%F /run/netns/nspt-hd1)"
"$N" destroy "$P" > "$T/d1.out" 2>&1; echo "destroy_rc=$?"
[ -e /run/netns/nspt-hd1 ] && echo "hd1=present" || echo "hd1=gone"
[ -e /run/netns/nspt-hd2 ] && echo "hd2=present" || echo "hd2=gone"
"$N" apply "$P" > /dev/null; echo "reapply_rc=$?"
umount /run/netns/nspt-hd1
echo planted > /run/netns/nspt-hd1
"$N" destroy "$P" > "$T/d2.out" 2>&1; echo "foreign_rc=$?"
echo "foreign=$(cat /run/netns/nspt-hd1 2>/dev/null)"
echo "foreign_err=$(tr '\n' ' ' < "$T/d2.out")"
rm -f /run/netns/nspt-hd1
ip netns delete nspt-hd2 2>/dev/null || true  # gone already when destroy got that far
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "left_behind"), "0:0:regular empty file") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "hd1"), "gone") << r.describe();
  EXPECT_EQ(script_value(r.out, "hd2"), "gone") << r.describe();
  EXPECT_EQ(script_value(r.out, "reapply_rc"), "0") << "the name can be made again\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "foreign_rc"), "3") << r.describe();
  EXPECT_EQ(script_value(r.out, "foreign"), "planted") << "a file with content is not nsplan's to delete\n" << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "foreign_err"), "holds no namespace")) << r.describe();
}

TEST_F(Ownership, APlantedStateRecordLeavesAForeignCgroupAlone) {
  CgroupParent parent({"pids"});
  ASSERT_TRUE(parent.ok()) << parent.error();
  std::string victim = parent.dir_of("pids") + "/victim";
  ASSERT_EQ(::mkdir(victim.c_str(), 0755), 0) << victim;
  struct stat st {};
  ASSERT_EQ(::stat(victim.c_str(), &st), 0);
  auto state = [&](uint64_t dev, uint64_t ino) {
    return std::string(R"({"nsplan_state": 1, "profile": "nspt-planted", "owned": [{"key": "cgroup x", "id": [)") +
           std::to_string(dev) + ", " + std::to_string(ino) + R"(], "undo": "rmdir", "dir": ")" + victim + "\"}]}\n";
  };
  // A record with the wrong identity (the directory nsplan "made" was another one).
  tmp_.write("wrong-id.state", state(st.st_dev, st.st_ino + 1));
  RunResult r = run_sandboxed(tmp_.path(), {{"WRONG", tmp_.file("wrong-id.state")}, {"VICTIM", victim}}, R"SH(
mkdir -p -m 0700 /run/nsplan
cp "$WRONG" /run/nsplan/nspt-planted.state
"$N" destroy nspt-planted > "$T/wrong.out" 2>&1; echo "wrong_rc=$?"
[ -d "$VICTIM" ] && echo "after_wrong=present" || echo "after_wrong=gone"
cat "$T/wrong.out"
# A state file that root does not own is not read at all.
chown 65534 /run/nsplan/nspt-planted.state
"$N" destroy nspt-planted > "$T/owner.out" 2>&1; echo "owner_rc=$?"
[ -d "$VICTIM" ] && echo "after_owner=present" || echo "after_owner=gone"
cat "$T/owner.out"
)SH");
  ::rmdir(victim.c_str());
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "after_wrong"), "present") << r.describe();
  EXPECT_NE(script_value(r.out, "wrong_rc"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "is not what nsplan made or changed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "after_owner"), "present") << r.describe();
  EXPECT_NE(script_value(r.out, "owner_rc"), "0") << r.describe();
}

TEST_F(Ownership, ADeviceMovedIntoANamespaceComesBackAsItWas) {
  std::string p = profile("dev", "nsplan: 1\nname: nspt-dev\nnetwork:\n  namespaces: [nspt-devns]\n  links:\n"
                                 "    - {name: nspt-d0, kind: device, netns: nspt-devns, addresses: [10.96.0.1/24]}\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}}, R"SH(
ip link add nspt-d0 type veth peer name nspt-d1
ip link set nspt-d1 up
ip addr add 10.98.0.1/24 dev nspt-d0
ip link set nspt-d0 up
ip route add 10.97.0.0/16 via 10.98.0.2 dev nspt-d0
show() { ip -o -4 addr show dev nspt-d0 | awk '{print $4}'; ip -o link show nspt-d0 | grep -o '<[^>]*>' | tr -d '<>' | tr ',' '\n' | grep -x UP; ip route show 10.97.0.0/16; }
show > "$T/before"
"$N" apply "$P" > /dev/null || echo "apply_failed"
ip link show nspt-d0 > /dev/null 2>&1 && echo "moved=no" || echo "moved=yes"
ip -n nspt-devns -o -4 addr show dev nspt-d0 | awk '{print "inside=" $4}'
"$N" destroy "$P" > /dev/null || echo "destroy_failed"
show > "$T/after"
cmp -s "$T/before" "$T/after" && echo "same=yes" || { echo "same=no"; diff "$T/before" "$T/after"; }
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "moved"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "inside"), "10.96.0.1/24") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << "the device came back without its address, route or up state\n" << r.describe();
}

TEST_F(Ownership, TheEphemeralGuardKillsNothingInACgroupNsplanDidNotMake) {
  CgroupParent parent({"pids"});
  ASSERT_TRUE(parent.ok()) << parent.error();
  std::string pre = parent.dir_of("pids") + "/pre";
  ASSERT_EQ(::mkdir(pre.c_str(), 0755), 0) << pre;
  std::string p = profile("eph", "nsplan: 1\nname: nspt-eph\ncgroup:\n  path: pre\n  ephemeral: true\n  pids: {max: 64}\n"
                                 "run:\n  command: [sh, -c, 'echo READY; exec sleep 30']\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}, {"PARENT", parent.name()}, {"PRE", pre}}, R"SH(
sh -c 'echo $$ > "$1/cgroup.procs"; exec sleep 60' theirs "$PRE" &
theirs=$!
wait_until 5 grep -qx "$theirs" "$PRE/cgroup.procs"
"$N" run "$P" --cgroup-parent "$PARENT" > "$T/r.out" 2> "$T/r.err" &
np=$!
wait_for "$T/r.out" READY
kill -KILL $np
wait $np
sleep 1
kill -0 $theirs 2>/dev/null && echo "theirs=alive" || echo "theirs=killed"
[ -d "$PRE" ] && echo "cgroup=present" || echo "cgroup=gone"
echo "members=$(grep -c . "$PRE/cgroup.procs")"
kill $theirs
cat "$T/r.err"
)SH");
  ::rmdir(pre.c_str());
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "theirs"), "alive") << "the guard killed a process nsplan did not start\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "cgroup"), "present") << r.describe();
  EXPECT_EQ(script_value(r.out, "members"), "1") << "the command outlived nsplan\n" << r.describe();
}

// ---- run drops everything -----------------------------------------------------------------

TEST_F(Ownership, RunSetsAllIdsClosesDescriptorsClearsTheEnvironmentAndBringsLoUp) {
  const std::string probe =
      "echo ids=$(id -u):$(id -g):$(id -G); "
      "for fd in 5 7 12; do [ -e /proc/self/fd/$fd ] && echo fd$fd=open || echo fd$fd=closed; done; "
      "echo secret=${SECRET:-unset}; echo path=${PATH:-unset}; "
      "ip -o link show lo | grep -q 'UP' && echo lo=up || echo lo=down";
  std::string p = profile("drop", "nsplan: 1\nname: nspt-drop\nnamespaces: {net: {}}\nrun:\n  command: [sh, -c, \"" + probe +
                                      "\"]\n  uid: 65534\n  keep_fds: [5]\n  clear_env: true\n  env: {PATH: /usr/bin:/bin}\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}}, R"SH(
: > "$T/open-me"
exec 5< "$T/open-me" 7< "$T/open-me"
# dash names descriptors 0-9 only: bash opens 12.
SECRET=hunter2 bash -c 'exec 12< "$2"; exec setpriv --groups 4,27 -- "$0" run "$1"' "$N" "$P" "$T/open-me"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "ids"), "65534:65534:65534") << "uid without gid keeps gid 0 or the caller's groups\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "fd5"), "open") << r.describe();
  EXPECT_EQ(script_value(r.out, "fd7"), "closed") << r.describe();
  EXPECT_EQ(script_value(r.out, "fd12"), "closed") << r.describe();
  EXPECT_EQ(script_value(r.out, "secret"), "unset") << r.describe();
  EXPECT_EQ(script_value(r.out, "path"), "/usr/bin:/bin") << r.describe();
  EXPECT_EQ(script_value(r.out, "lo"), "up") << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
