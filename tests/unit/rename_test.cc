// A moved device renamed inside its namespace (name_inside): the plan, the checks, the script
// and the record that gives it back under its host name.
#include <gtest/gtest.h>

#include "applier/explain.h"
#include "applier/record_check.h"
#include "applier/undo.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

const char* kRenamed = R"(nsplan: 1
name: mover
network:
  namespaces: [a]
  links:
    - {name: enp3s0, kind: device, netns: a, name_inside: eth1, addresses: [10.98.0.2/24]}
  routes:
    - {netns: a, to: default, via: 10.98.0.1, dev: eth1}
)";

TEST(Rename, ExplainRendersTheOneCommand) {
  auto c = compile_text(kRenamed);
  ASSERT_TRUE(c->ok());
  std::string script = applier::explain(*c->plan, c->diags, c->sources);
  EXPECT_NE(script.find("ip link set 'enp3s0' netns 'a' name 'eth1'"), std::string::npos) << script;
  EXPECT_EQ(script.find("set 'enp3s0' name"), std::string::npos) << script;  // never a rename on the host
  EXPECT_NE(script.find("ip -n 'a' addr add '10.98.0.2/24' dev 'eth1'"), std::string::npos) << script;
}

TEST(Rename, NameInsideIsCheckedWhereItIsWritten) {
  struct Case {
    const char* links;
    const char* said;
  };
  for (const Case& k : {
           Case{"    - {name: enp3s0, kind: device, netns: a, name_inside: eth0}\n    - {name: v0, kind: veth, peer: {name: eth0, netns: a}}\n",
                "duplicate link 'eth0' in"},
           Case{"    - {name: d0, kind: dummy, netns: a, name_inside: eth0}\n", "name_inside renames a device moved from the host"},
           Case{"    - {name: enp3s0, kind: device, netns: a, name_inside: this-name-is-too-long}\n", "name_inside"},
           Case{"    - {name: enp3s0, kind: device, netns: a, name_inside: \"a/b\"}\n", "name_inside"},
       }) {
    SCOPED_TRACE(k.links);
    auto c = compile_text(std::string("nsplan: 1\nname: mover\nnetwork:\n  namespaces: [a]\n  links:\n") + k.links);
    EXPECT_FALSE(c->ok());
    std::string all = render_all(c->diags, c->sources);
    EXPECT_NE(all.find(k.said), std::string::npos) << all;
    EXPECT_NE(all.find("p.yaml:"), std::string::npos) << all;  // located
  }
}

TEST(Rename, TheOldNameIsNoLinkInsideAnyMore) {
  auto c = compile_text(std::string(kRenamed) + "    - {netns: a, to: 10.1.0.0/16, dev: enp3s0}\n");
  EXPECT_FALSE(c->ok());
  EXPECT_NE(render_all(c->diags, c->sources).find("unknown device 'enp3s0' in"), std::string::npos);
}

TEST(Rename, TheRecordKeepsTheHostNameAndIsChecked) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  applier::MoveLinkBack back{"eth1", "a", "", false, "", {}, {}, ""};
  back.host_name = "enp3s0";
  applier::Owned o{"link a/eth1", back, {1, 7}, {}};
  EXPECT_EQ(applier::check_record(o, facts), "");
  std::string error;
  auto read = applier::owned_from_json(applier::to_json_line(o), error);
  ASSERT_TRUE(read) << error;
  EXPECT_EQ(std::get<applier::MoveLinkBack>(read->undo).host_name, "enp3s0");
  EXPECT_EQ(applier::describe(read->undo), "move eth1 back as enp3s0");
  for (const char* bad : {"a/b", "this-name-is-too-long", ".."}) {
    std::get<applier::MoveLinkBack>(o.undo).host_name = bad;
    EXPECT_NE(applier::check_record(o, facts), "") << bad;
  }
}

}  // namespace
}  // namespace nsplan
