// network.uplink against the real kernel and the real nft, end to end through the nsplan binary.
//
// Everything runs in a sandbox (sandbox.h): the sandbox's own network namespace plays the host,
// so the nftables table, the forwarding sysctl and the links are the sandbox's, never the
// machine's. A second namespace made by the test with iproute2, "inet", plays the internet: it
// is reached through a veth from the host (192.0.2.1 host, 192.0.2.2 inet). The profile makes the
// namespace lab (10.79.0.2, default route via the host's 10.79.0.1) and its uplink.
//
// What is checked:
//   - lab reaches inet through the host, masqueraded: inet sees the host's 192.0.2.1 as the source;
//   - port 8080 of the host answers from lab's server on 10.79.0.2:80, which sees inet's address;
//   - destroy deletes the table and gives ip_forward back its value;
//   - a table of the same name planted before apply makes apply fail, roll back, and leave that
//     table as it was.
#include <unistd.h>

#include <map>
#include <string>

#include "tests/kernel/profile_test.h"
#include "tests/kernel/script_values.h"

namespace nsplan::kernel_test {
namespace {

bool have_nft() { return ::access("/usr/sbin/nft", X_OK) == 0 || ::access("/sbin/nft", X_OK) == 0; }

// The "internet" namespace, its veth to the host, and forwarding off to start from.
const char* kInternet = R"SH(
echo 0 > /proc/sys/net/ipv4/ip_forward
ip netns add inet
ip link add nspt-up type veth peer name eth0 netns inet
ip addr add 192.0.2.1/24 dev nspt-up
ip link set nspt-up up
ip -n inet addr add 192.0.2.2/24 dev eth0
ip -n inet link set eth0 up
ip -n inet link set lo up
)SH";

class UplinkTest : public TempDirTest {
 protected:
  UplinkTest() : TempDirTest("uplink") {}
  void SetUp() override {
    TempDirTest::SetUp();
    if (stopped()) return;
    if (!have_nft()) NSPLAN_SKIP_OR_FAIL("needs nft (the nftables package)");
    if (::access(nsplan_binary().c_str(), X_OK) != 0) FAIL() << "no nsplan binary at " << nsplan_binary();
    name_ = test_name("up");
    path_ = tmp_.file("uplink.yaml");
    ASSERT_TRUE(write_text(path_, "nsplan: 1\nname: " + name_ +
                                      "\n"
                                      "network:\n"
                                      "  namespaces: [lab]\n"
                                      "  links:\n"
                                      "    - name: nspt-lab\n"
                                      "      kind: veth\n"
                                      "      addresses: [10.79.0.1/24]\n"
                                      "      peer: {name: eth0, netns: lab, addresses: [10.79.0.2/24]}\n"
                                      "  routes:\n"
                                      "    - {netns: lab, to: default, via: 10.79.0.1}\n"
                                      "  uplink:\n"
                                      "    netns: lab\n"
                                      "    out: nspt-up\n"
                                      "    forward_ports:\n"
                                      "      - {host_port: 8080, to: 10.79.0.2, to_port: 80}\n"));
  }

  std::string echo_binary() const {
#ifdef NSPLAN_TCP_ECHO
    return NSPLAN_TCP_ECHO;
#else
    return "";
#endif
  }

  std::string name_, path_;
};

TEST_F(UplinkTest, NamespaceReachesOutMasqueradedAndAForwardedPortAnswers) {
  if (::access(echo_binary().c_str(), X_OK) != 0) FAIL() << "no tcp_echo helper at " << echo_binary();
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", path_}, {"TABLE", "nsplan-" + name_}, {"ECHO", echo_binary()}},
                              std::string(kInternet) + R"SH(
"$N" apply "$PROFILE" > "$T/apply.out" 2>&1; echo "apply=$?"
echo "forward_applied=$(cat /proc/sys/net/ipv4/ip_forward)"
nft list table ip "$TABLE" > /dev/null 2>&1; echo "table_applied=$?"

# lab -> inet, through the host: inet's server sees who connected.
ip netns exec inet "$ECHO" server 192.0.2.2 7000 > "$T/out-server.txt" 2>&1 &
ip netns exec lab "$ECHO" client 192.0.2.2 7000 out 5000 > "$T/out-client.txt" 2>&1; echo "out_client=$?"
wait
grep ' said ' "$T/out-server.txt" | sed 's/^/out_server=/'

# inet -> port 8080 of the host -> lab's 10.79.0.2:80.
ip netns exec lab "$ECHO" server 10.79.0.2 80 > "$T/in-server.txt" 2>&1 &
ip netns exec inet "$ECHO" client 192.0.2.1 8080 knock 5000 > "$T/in-client.txt" 2>&1; echo "in_client=$?"
wait
grep ' said ' "$T/in-server.txt" | sed 's/^/in_server=/'
sed 's/^/in_answer=/' "$T/in-client.txt"

"$N" destroy "$PROFILE" > "$T/destroy.out" 2>&1; echo "destroy=$?"
echo "forward_destroyed=$(cat /proc/sys/net/ipv4/ip_forward)"
nft list table ip "$TABLE" > /dev/null 2>&1; echo "table_destroyed=$?"
echo "--- apply:"; cat "$T/apply.out"; echo "--- destroy:"; cat "$T/destroy.out"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  auto v = values(r.out);
  ASSERT_EQ(v["apply"], "0") << r.out;
  EXPECT_EQ(v["forward_applied"], "1") << r.out;
  EXPECT_EQ(v["table_applied"], "0") << r.out;
  EXPECT_EQ(v["out_client"], "0") << r.out;
  // Masqueraded: the internet side sees the host's address, not lab's 10.79.0.2.
  EXPECT_TRUE(starts_with(v["out_server"], "server: 192.0.2.1:")) << r.out;
  EXPECT_EQ(v["in_client"], "0") << r.out;
  // Forwarded, not masqueraded: lab's server sees inet's own address.
  EXPECT_TRUE(starts_with(v["in_server"], "server: 192.0.2.2:")) << r.out;
  EXPECT_EQ(v["destroy"], "0") << r.out;
  EXPECT_EQ(v["forward_destroyed"], "0") << r.out;
  EXPECT_TRUE(nonzero(v["table_destroyed"])) << "the table outlived destroy\n" << r.out;
}

TEST_F(UplinkTest, ATableOfTheSameNameIsRefusedAndLeftAsItWas) {
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", path_}, {"TABLE", "nsplan-" + name_}}, std::string(kInternet) + R"SH(
nft add table ip "$TABLE"
nft add chain ip "$TABLE" planted
nft -a list table ip "$TABLE" > "$T/before.txt"
"$N" apply "$PROFILE" > "$T/apply.out" 2>&1; echo "apply=$?"
nft -a list table ip "$TABLE" > "$T/after.txt" 2>&1
cmp -s "$T/before.txt" "$T/after.txt"; echo "table_same=$?"
echo "forward=$(cat /proc/sys/net/ipv4/ip_forward)"
[ -e /run/netns/lab ]; echo "lab_left=$?"
"$N" destroy "$PROFILE" > "$T/destroy.out" 2>&1; echo "destroy=$?"
nft -a list table ip "$TABLE" > "$T/after-destroy.txt" 2>&1
cmp -s "$T/before.txt" "$T/after-destroy.txt"; echo "table_same_after_destroy=$?"
echo "--- apply:"; cat "$T/apply.out"; echo "--- table:"; cat "$T/after.txt"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  auto v = values(r.out);
  EXPECT_TRUE(nonzero(v["apply"])) << r.out;
  EXPECT_NE(r.out.find("is there already"), std::string::npos) << r.out;
  EXPECT_EQ(v["table_same"], "0") << r.out;
  EXPECT_EQ(v["forward"], "0") << "the failed apply's rollback gives ip_forward back\n" << r.out;
  EXPECT_TRUE(nonzero(v["lab_left"])) << "the failed apply's rollback removes lab\n" << r.out;
  EXPECT_EQ(v["table_same_after_destroy"], "0") << r.out;
}

}  // namespace
}  // namespace nsplan::kernel_test
