// A device moved into a namespace under another name (name_inside), on the real kernel, each in a
// sandbox of its own whose "host" is the sandbox's net namespace; one end of a veth pair made there
// plays the device (no real device of the host is ever touched; this host has no dummy module):
//   - it is moved and renamed in one request (the host never lists it renamed), keeps its ifindex,
//     and comes back under its name with its address, route and up state;
//   - with its host name taken since, destroy fails and leaves it inside as it is (and its
//     namespace), renaming nothing; once the name is free, destroy gives it back;
//   - the double fault: given back to the host as devN by the kernel (here by the script, as the
//     kernel does when its namespace goes: a veth itself would die with it), it is found by its
//     ifindex, never the link that carries its inside name; also when its ifindex was taken in
//     the namespace it entered (the kernel gave it another there).
// The same against the simulated kernel: tests/unit/executor_test.cc (Rename.*).
#include <sys/stat.h>

#include <string>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

class Rename : public TempDirTest {
 protected:
  Rename() : TempDirTest("rename") {}
  std::string profile() {
    return tmp_.write("rn.yaml", "nsplan: 1\nname: nspt-rn\nnetwork:\n  namespaces: [nspt-rnns]\n  links:\n"
                                 "    - {name: nspt-h0, kind: device, netns: nspt-rnns, name_inside: eth1, addresses: [10.96.0.1/24]}\n"
                                 "  routes:\n    - {netns: nspt-rnns, to: default, via: 10.96.0.254, dev: eth1}\n");
  }
};

// The host's device as a host has it: up, with an address and a route through it.
const char* kHostDevice = R"SH(
ip link add nspt-h0 type veth peer name nspt-h1
ip link set nspt-h1 up
ip addr add 10.98.0.1/24 dev nspt-h0
ip link set nspt-h0 up
ip route add 10.97.0.0/16 via 10.98.0.2 dev nspt-h0
idx() { ip -o link show dev "$@" 2>/dev/null | cut -d: -f1; }
show() { echo "idx=$(idx nspt-h0)"; ip -o -4 addr show dev nspt-h0 | awk '{print $4}'; ip -o link show nspt-h0 | grep -o '<[^>]*>' | tr -d '<>' | tr ',' '\n' | grep -x UP; ip route show 10.97.0.0/16; }
show > "$T/before"
same_as_before() { show > "$T/after"; cmp -s "$T/before" "$T/after" && echo "same=yes" || { echo "same=no"; diff "$T/before" "$T/after"; }; }
host_idx=$(idx nspt-h0)
)SH";

TEST_F(Rename, RenamedInsideInOneRequestAndBackUnderItsNameAsItWas) {
  RunResult r = run_sandboxed(tmp_.path(), {{"P", profile()}}, std::string(kHostDevice) + R"SH(
ip monitor link > "$T/monitor" 2>&1 &
mon=$!
sleep 0.2
"$N" apply "$P" > "$T/apply.out" 2>&1 || { echo "apply_failed"; cat "$T/apply.out"; }
sleep 0.2
kill $mon
grep -q eth1 "$T/monitor" && echo "host_saw_eth1=yes" || echo "host_saw_eth1=no"
ip link show nspt-h0 > /dev/null 2>&1 && echo "moved=no" || echo "moved=yes"
echo "inside=$(ip -n nspt-rnns -o -4 addr show dev eth1 | awk '{print $4}')"
echo "same_ifindex=$([ "$(ip -n nspt-rnns -o link show dev eth1 | cut -d: -f1)" = "$host_idx" ] && echo yes || echo no)"
echo "route_inside=$(ip -n nspt-rnns route show default | grep -c 'dev eth1')"
"$N" explain "$P" 2>/dev/null | grep -cF "ip link set 'nspt-h0' netns 'nspt-rnns' name 'eth1'" | sed 's/^/explain_lines=/'
"$N" destroy "$P" > "$T/destroy.out" 2>&1 || { echo "destroy_failed"; cat "$T/destroy.out"; }
same_as_before
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "moved"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "host_saw_eth1"), "no") << "the host listed the device under its inside name\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "inside"), "10.96.0.1/24") << r.describe();
  EXPECT_EQ(script_value(r.out, "same_ifindex"), "yes") << "the kernel kept the ifindex across the move\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "route_inside"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "explain_lines"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << "the device came back without its name, address, route or up state\n" << r.describe();
}

TEST_F(Rename, WithItsNameTakenOnTheHostTheDeviceStaysInsideUntilTheNameIsFree) {
  RunResult r = run_sandboxed(tmp_.path(), {{"P", profile()}}, std::string(kHostDevice) + R"SH(
"$N" apply "$P" > "$T/apply.out" 2>&1 || { echo "apply_failed"; cat "$T/apply.out"; }
ip link add nspt-h0 type veth peer name nspt-x1
theirs=$(idx nspt-h0)
"$N" destroy "$P" > "$T/d1.out" 2>&1 && echo "first_destroy=ok" || echo "first_destroy=refused"
grep -q 'the host has a link named nspt-h0 now; eth1 stays in nspt-rnns' "$T/d1.out" && echo "said=yes" || { echo "said=no"; cat "$T/d1.out"; }
echo "still_inside=$(ip -n nspt-rnns -o link show dev eth1 >/dev/null 2>&1 && echo yes || echo no)"
echo "theirs_kept=$([ "$(idx nspt-h0)" = "$theirs" ] && [ -z "$(ip -o -4 addr show dev nspt-h0)" ] && echo yes || echo no)"
ip link del nspt-h0
"$N" destroy "$P" > "$T/d2.out" 2>&1 || { echo "destroy_failed"; cat "$T/d2.out"; }
same_as_before
ip netns list | grep -q nspt-rnns && echo "netns=left" || echo "netns=gone"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "first_destroy"), "refused") << r.describe();
  EXPECT_EQ(script_value(r.out, "said"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "still_inside"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "theirs_kept"), "yes") << "another link carrying the name was touched\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "netns"), "gone") << r.describe();
}

TEST_F(Rename, TheDoubleFaultFindsTheReturnedDeviceByItsIfindex) {
  RunResult r = run_sandboxed(tmp_.path(), {{"P", profile()}}, std::string(kHostDevice) + R"SH(
"$N" apply "$P" > "$T/apply.out" 2>&1 || { echo "apply_failed"; cat "$T/apply.out"; }
ip link add eth1 type veth peer name nspt-x1
decoy=$(idx eth1)
# What the kernel does with a real device when its namespace goes and the host has its name.
ip -n nspt-rnns link set dev eth1 netns $$ name dev7
ip netns del nspt-rnns
echo "returned=$([ "$(idx dev7)" = "$host_idx" ] && echo yes || echo no)"
"$N" destroy "$P" > "$T/destroy.out" 2>&1 || { echo "destroy_failed"; cat "$T/destroy.out"; }
same_as_before
echo "decoy_kept=$([ "$(idx eth1)" = "$decoy" ] && [ -z "$(ip -o -4 addr show dev eth1)" ] && echo yes || echo no)"
ip link del eth1
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "returned"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "decoy_kept"), "yes") << r.describe();
}

// The kernel keeps a moved link's ifindex unless the namespace it enters has that one: then the
// device gets another there, and keeps that one when it comes back. The ifindex recorded is the
// one inside (learnt after the move), so the device is still found by it.
TEST_F(Rename, AnIfindexTakenInsideIsTheOneRecordedAndFoundAgain) {
  RunResult r = run_sandboxed(tmp_.path(), {{"P", profile()}}, std::string(kHostDevice) + R"SH(
ip netns add nspt-rnns
ip -n nspt-rnns link add nspt-a0 type veth peer name nspt-a1
ip -n nspt-rnns link add nspt-a2 type veth peer name nspt-a3
"$N" apply "$P" > "$T/apply.out" 2>&1 || { echo "apply_failed"; cat "$T/apply.out"; }
inside_idx=$(ip -n nspt-rnns -o link show dev eth1 | cut -d: -f1)
echo "collided=$([ "$inside_idx" != "$host_idx" ] && echo yes || echo no)"
ip -n nspt-rnns link set dev eth1 netns $$ name dev7
ip netns del nspt-rnns
echo "kept_inside_index=$([ "$(idx dev7)" = "$inside_idx" ] && echo yes || echo no)"
"$N" destroy "$P" > "$T/destroy.out" 2>&1 || { echo "destroy_failed"; cat "$T/destroy.out"; }
show | grep -v '^idx=' > "$T/after"
grep -v '^idx=' "$T/before" > "$T/before.noidx"
cmp -s "$T/before.noidx" "$T/after" && echo "same=yes" || { echo "same=no"; diff "$T/before.noidx" "$T/after"; }
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "collided"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "kept_inside_index"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
