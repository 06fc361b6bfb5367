// network.uplink: the steps planned, the nftables ruleset text (what apply gives to `nft -f -`
// and explain prints), the located errors, and the records destroy acts on.
#include <gtest/gtest.h>

#include "applier/record_check.h"
#include "applier/undo.h"
#include "compiler/uplink.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

const char* kLab = R"(nsplan: 1
name: lab
network:
  namespaces: [web]
  links:
    - name: veth-web
      kind: veth
      addresses: [10.78.0.1/24]
      peer: {name: eth0, netns: web, addresses: [10.78.0.2/24, 10.78.0.3/24, 10.99.1.7/16]}
  uplink:
    netns: web
    forward_ports:
      - {host_port: 8080, to: 10.78.0.2, to_port: 80}
      - {host_port: 5353, to: 10.78.0.3, proto: udp}
)";

// The plan's table (the last step).
plan::NftTable table_of(const plan::Plan& p) {
  const auto* t = p.steps.empty() ? nullptr : std::get_if<plan::NftTable>(&p.steps.back().action);
  return t ? *t : plan::NftTable{};
}

TEST(Uplink, PlansForwardingThenOneTableAfterTheLinks) {
  auto c = compile_text(kLab);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& steps = c->plan->steps;
  ASSERT_GE(steps.size(), 2u);
  // Last, after every link and address: the table's rules name addresses of the namespace.
  auto* sysctl = std::get_if<plan::SetSysctl>(&steps[steps.size() - 2].action);
  auto* table = std::get_if<plan::NftTable>(&steps.back().action);
  ASSERT_TRUE(sysctl && table);
  EXPECT_EQ(sysctl->key, "net.ipv4.ip_forward");
  EXPECT_EQ(sysctl->value, "1");
  EXPECT_EQ(table->family, "ip");
  EXPECT_EQ(table->name, "nsplan-lab");
  EXPECT_EQ(steps.back().origin.where.substr(0, 9), "p.yaml:11");  // the uplink object
}

TEST(Uplink, RulesetIsOneCreateTransaction) {
  auto c = compile_text(kLab);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  plan::NftTable t = table_of(*c->plan);
  // The source networks: each address's network once, in profile order.
  EXPECT_EQ(t.ruleset,
            "create table ip nsplan-lab { comment \"" + t.comment + "\"; }\n"
            "table ip nsplan-lab {\n"
            "\tchain prerouting {\n"
            "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
            "\t\tfib daddr type local tcp dport 8080 dnat to 10.78.0.2:80\n"
            "\t\tfib daddr type local udp dport 5353 dnat to 10.78.0.3:5353\n"
            "\t}\n"
            "\tchain postrouting {\n"
            "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
            "\t\tip saddr { 10.78.0.0/24, 10.99.0.0/16 } ip daddr != { 10.78.0.0/24, 10.99.0.0/16 } masquerade\n"
            "\t}\n"
            "}\n");
  EXPECT_EQ(t.comment.substr(0, 11), "nsplan lab ");
  EXPECT_EQ(t.comment.size(), 11u + 16u);
}

TEST(Uplink, CommentChangesWithTheRulesOnly) {
  UplinkRules r{"lab", {"10.0.0.0/8"}, "", true, {}};
  plan::NftTable a = uplink_table(r);
  EXPECT_EQ(uplink_table(r).comment, a.comment) << "the same rules, the same comment";
  r.out = "eth0";
  plan::NftTable b = uplink_table(r);
  EXPECT_NE(b.comment, a.comment);
  EXPECT_NE(b.ruleset.find("ip saddr 10.0.0.0/8 ip daddr != 10.0.0.0/8 oifname \"eth0\" masquerade\n"), std::string::npos) << b.ruleset;
  r.masquerade = false;
  r.ports.push_back({"tcp", 22, "10.0.0.5", 2222});
  plan::NftTable d = uplink_table(r);
  EXPECT_EQ(d.ruleset.find("postrouting"), std::string::npos) << d.ruleset;
  EXPECT_NE(d.ruleset.find("tcp dport 22 dnat to 10.0.0.5:2222"), std::string::npos) << d.ruleset;
}

TEST(Uplink, NetworkOfAnAddress) {
  EXPECT_EQ(ipv4_network(Cidr{4, "10.78.0.2", 24}), "10.78.0.0/24");
  EXPECT_EQ(ipv4_network(Cidr{4, "192.168.77.130", 25}), "192.168.77.128/25");
  EXPECT_EQ(ipv4_network(Cidr{4, "10.1.2.3", 0}), "0.0.0.0/0");
  EXPECT_EQ(ipv4_network(Cidr{4, "10.1.2.3", 32}), "10.1.2.3/32");
}

std::string errors_of(const std::string& text) {
  auto c = compile_text(text);
  return render_all(c->diags, c->sources);
}

TEST(Uplink, LocatedErrors) {
  std::string out = errors_of("nsplan: 1\nname: x\nnetwork:\n  namespaces: [web]\n  uplink:\n    netns: other\n");
  EXPECT_NE(out.find("p.yaml:6:12: error: uplink netns other is not a net namespace of this profile"), std::string::npos) << out;

  out = errors_of("nsplan: 1\nname: x\nnetwork:\n  namespaces: [web]\n  uplink:\n    netns: web\n");
  EXPECT_NE(out.find("p.yaml:6:12: error: uplink: namespace web has no IPv4 address"), std::string::npos) << out;

  out = errors_of(
      "nsplan: 1\nname: x\nnetwork:\n  namespaces: [web]\n  uplink:\n    netns: web\n    from: [10.0.0.0/8]\n"
      "    forward_ports:\n      - {host_port: 80, to: 'fd00::1'}\n      - {host_port: 80, to: 10.0.0.2}\n");
  EXPECT_NE(out.find("p.yaml:9:29: error: forwarded port to fd00::1: not an IPv4 address"), std::string::npos) << out;
  EXPECT_NE(out.find("p.yaml:10:21: error: host port 80/tcp is forwarded twice"), std::string::npos) << out;

  out = errors_of("nsplan: 1\nname: x\nnetwork:\n  namespaces: [web]\n  uplink:\n    netns: web\n    from: [10.0.0.0/8]\n"
                  "    forward_ports:\n      - {host_port: 80}\n");
  EXPECT_NE(out.find("error"), std::string::npos) << "to is required\n" << out;
}

TEST(Uplink, RecordsRoundTripAndOnlyNsplansOwnAreActedOn) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  for (const applier::Undo& u : {applier::Undo{applier::RestoreSysctl{"net.ipv4.ip_forward", "0", "1"}},
                                 applier::Undo{applier::DeleteNftTable{"ip", "nsplan-lab"}}}) {
    applier::Owned o{"k", u, {7, 9}, {}};
    std::string error;
    auto back = applier::owned_from_json(applier::to_json_line(o), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->key, "k");
    EXPECT_EQ(applier::describe(back->undo), applier::describe(u));
    EXPECT_EQ(applier::check_record(*back, facts), "") << applier::describe(u);
  }
  auto problem = [&](applier::Undo u) { return applier::check_record(applier::Owned{"k", u, {7, 9}, {}}, facts); };
  EXPECT_NE(problem(applier::DeleteNftTable{"ip", "filter"}), "");
  EXPECT_NE(problem(applier::DeleteNftTable{"inet", "nsplan-lab"}), "");
  EXPECT_NE(problem(applier::RestoreSysctl{"kernel.modprobe", "0", "1"}), "");
  EXPECT_NE(problem(applier::RestoreSysctl{"net.ipv4.ip_forward", "1; reboot", "1"}), "");
}

}  // namespace
}  // namespace nsplan
