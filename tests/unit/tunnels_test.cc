// The tunnel kinds of network.links (vxlan, wireguard): the checks' located errors, the planned
// settings, explain's lines, and the one argument vector of `wg set` apply and explain share.
#include <gtest/gtest.h>

#include "applier/explain.h"
#include "compiler/link_tunnels.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

const char* kVxlan = R"(nsplan: 1
name: vx
network:
  namespaces: [a, b]
  links:
    - {name: under, kind: veth, netns: a, peer: {name: under, netns: b}}
    - {name: vx0, kind: vxlan, netns: a, vni: 42, remote: 192.0.2.2, local: 192.0.2.1, parent: under, ttl: 9}
    - {name: vx1, kind: vxlan, netns: b, vni: 43, group: "ff05::42", parent: under, port: 8472}
    - {name: vx2, kind: vxlan, netns: b, vni: 44, remote: 192.0.2.1}
)";

const char* kWireguard = R"(nsplan: 1
name: wg
network:
  namespaces: [a]
  links:
    - name: wg0
      kind: wireguard
      netns: a
      private_key_file: /etc/nsplan/wg0.key
      listen_port: 51820
      peers:
        - public_key: "HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1M="
          endpoint: "[fd00::2]:51821"
          allowed_ips: [10.43.0.2/32, "fd43::/64"]
          persistent_keepalive: 25
          preshared_key_file: /etc/nsplan/ab.psk
        - {public_key: "iTSe/JwBNUzgt1TXoO7lF7lGW0kimgFsUavQ4nSB6Vc="}
)";

std::vector<plan::CreateLink> links_of(const plan::Plan& p) {
  std::vector<plan::CreateLink> out;
  for (const auto& s : p.steps)
    if (auto* a = std::get_if<plan::CreateLink>(&s.action)) out.push_back(*a);
  return out;
}

TEST(Tunnels, VxlanSettingsArePlannedWithTheIanaPortByDefault) {
  auto c = compile_text(kVxlan);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto links = links_of(*c->plan);
  ASSERT_EQ(links.size(), 4u);
  const plan::CreateLink& vx0 = links[1];
  EXPECT_EQ(vx0.kind, LinkKind::Vxlan);
  EXPECT_EQ(vx0.vxlan, (plan::VxlanSettings{42, "192.0.2.2", "", "192.0.2.1", 4789, 9}));
  EXPECT_EQ(vx0.parent, "under");
  EXPECT_EQ(vx0.parent_netns, "a");
  EXPECT_EQ(links[2].vxlan.group, "ff05::42");
  EXPECT_EQ(links[2].vxlan.port, 8472);
  // No parent: made in its own namespace, the route picks the way out.
  EXPECT_EQ(links[3].parent, "");
  EXPECT_EQ(links[3].netns, "b");
}

TEST(Tunnels, ExplainPrintsIpLinkAddTypeVxlan) {
  auto c = compile_text(kVxlan);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  std::string script = applier::explain(*c->plan, c->diags, c->sources);
  EXPECT_NE(script.find("ip -n 'a' link add 'vx0' type vxlan id 42 dstport 4789 remote '192.0.2.2' local '192.0.2.1' dev 'under' ttl 9\n"),
            std::string::npos) << script;
  EXPECT_NE(script.find("ip -n 'b' link add 'vx1' type vxlan id 43 dstport 8472 group 'ff05::42' dev 'under'\n"), std::string::npos) << script;
  EXPECT_NE(script.find("ip -n 'b' link add 'vx2' type vxlan id 44 dstport 4789 remote '192.0.2.1'\n"), std::string::npos) << script;
}

TEST(Tunnels, WgSetArgumentsNameKeyFilesNeverKeys) {
  auto c = compile_text(kWireguard);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto links = links_of(*c->plan);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(wg_set_args(links[0].name, links[0].wireguard),
            (std::vector<std::string>{"wg", "set", "wg0", "private-key", "/etc/nsplan/wg0.key", "listen-port", "51820",
                                      "peer", "HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1M=", "preshared-key", "/etc/nsplan/ab.psk",
                                      "endpoint", "[fd00::2]:51821", "persistent-keepalive", "25", "allowed-ips",
                                      "10.43.0.2/32,fd43::/64", "peer", "iTSe/JwBNUzgt1TXoO7lF7lGW0kimgFsUavQ4nSB6Vc="}));
  std::string script = applier::explain(*c->plan, c->diags, c->sources);
  EXPECT_NE(script.find("ip -n 'a' link add 'wg0' type wireguard\n"), std::string::npos) << script;
  EXPECT_NE(script.find("ip netns exec 'a' 'wg' 'set' 'wg0' 'private-key' '/etc/nsplan/wg0.key' 'listen-port' '51820' 'peer' "), std::string::npos)
      << script;
  EXPECT_NE(script.find("# nsplan apply: refuses a key file that is a symlink"), std::string::npos) << script;
}

TEST(Tunnels, PublicKeysAre44CharactersOfBase64For32Bytes) {
  EXPECT_TRUE(valid_wireguard_key("HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1M="));
  EXPECT_FALSE(valid_wireguard_key("HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1M"));    // 43
  EXPECT_FALSE(valid_wireguard_key("HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1M=="));  // 45
  EXPECT_FALSE(valid_wireguard_key("HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVtP1N="));  // bits past 256
  EXPECT_FALSE(valid_wireguard_key("HD+qyZDKQ810qcR8q2o1D//9oVICqhUmI0d1UHVt-1M="));  // not base64
}

TEST(Tunnels, AKeyOfAnotherKindIsRefusedAtItsLineNamingTheKindsThatTakeIt) {
  auto c = compile_text(R"(nsplan: 1
name: k
network:
  links:
    - name: br0
      kind: bridge
      vni: 7
)");
  ASSERT_FALSE(c->ok());
  std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find(":7:"), std::string::npos) << text;
  EXPECT_NE(text.find("vni does not apply to a bridge"), std::string::npos) << text;
  EXPECT_NE(text.find("vni is a key of vxlan links"), std::string::npos) << text;
}

}  // namespace
}  // namespace nsplan
