// The registry of link kinds (schema/link_kinds.h) against the places that read it: the schema's
// field table, plan::to_string and the texts that list kinds and modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "compiler/plan.h"
#include "schema/link_kinds.h"
#include "schema/table.h"

namespace nsplan {
namespace {

const schema::ObjectSpec& link_spec() {
  const schema::FieldSpec* network = schema::profile_spec().find("network");
  const schema::FieldSpec* links = network->nested()->find("links");
  return *links->nested();
}

TEST(LinkKinds, SchemaKindsAreTheRegistryNames) {
  std::vector<std::string_view> names;
  for (const auto& k : link_kinds()) names.push_back(k.name);
  EXPECT_EQ(link_spec().find("kind")->type.choices, names);
  EXPECT_EQ(names, (std::vector<std::string_view>{"veth", "bridge", "macvlan", "ipvlan", "vlan", "dummy", "vxlan", "wireguard", "device"}));
}

TEST(LinkKinds, SchemaModesAreTheRegistryModesInOrder) {
  std::vector<std::string_view> modes;
  for (const auto& k : link_kinds()) modes.insert(modes.end(), k.modes.begin(), k.modes.end());
  const schema::FieldSpec* mode = link_spec().find("mode");
  EXPECT_EQ(mode->type.choices, modes);
  // The texts the field table had before the registry, byte for byte (reference.md is made of them).
  EXPECT_EQ(mode->doc, "macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s.");
  EXPECT_EQ(mode->default_text, "bridge / l3");
}

TEST(LinkKinds, EveryCreatedKindHasOneEntryAndItsNameRoundTrips) {
  std::set<std::string_view> seen;
  for (LinkKind k : {LinkKind::Veth, LinkKind::Bridge, LinkKind::Macvlan, LinkKind::Ipvlan, LinkKind::Vlan, LinkKind::Dummy, LinkKind::Vxlan,
                     LinkKind::Wireguard}) {
    const LinkKindInfo& info = link_kind(k);
    EXPECT_EQ(info.created, k) << info.name;
    EXPECT_EQ(std::string(plan::to_string(k)), info.name);
    const LinkKindInfo* back = find_link_kind(plan::to_string(k));
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->created, k);
    EXPECT_TRUE(seen.insert(info.name).second) << info.name << " twice";
  }
  EXPECT_EQ(find_link_kind("geneve"), nullptr);
  ASSERT_NE(find_link_kind("device"), nullptr);
  EXPECT_FALSE(find_link_kind("device")->created);  // moved in, never created
}

TEST(LinkKinds, DefaultModeIsOneOfTheKindsModes) {
  for (const auto& k : link_kinds()) {
    if (k.modes.empty()) {
      EXPECT_TRUE(k.default_mode.empty()) << k.name;
      continue;
    }
    EXPECT_NE(std::find(k.modes.begin(), k.modes.end(), k.default_mode), k.modes.end()) << k.name;
  }
}

TEST(LinkKinds, ListsInMessagesKeepTheirWording) {
  EXPECT_EQ(link_kinds_where(&LinkKindInfo::parent), "macvlan, ipvlan, vlan and vxlan");
  EXPECT_EQ(link_kinds_where(&LinkKindInfo::underlay), "vxlan");
  EXPECT_EQ(link_kinds_where([](const LinkKindInfo& k) { return !k.modes.empty(); }), "macvlan and ipvlan");
  EXPECT_EQ(link_kinds_where(&LinkKindInfo::peer), "veth");
  EXPECT_EQ(link_kinds_where(&LinkKindInfo::id), "vlan");
}

// Each kind's own keys are fields of a link, and no two kinds share one (the checks name the
// kinds that take a key in their hint).
TEST(LinkKinds, KindKeysAreLinkFieldsOfOneKindEach) {
  std::set<std::string_view> seen;
  for (const auto& k : link_kinds())
    for (auto key : k.keys) {
      EXPECT_NE(link_spec().find(key), nullptr) << key << " of " << k.name << " is no field of a link";
      EXPECT_TRUE(seen.insert(key).second) << key << " twice";
    }
  EXPECT_EQ(link_kind_keys().size(), seen.size());
  EXPECT_EQ(link_kind(LinkKind::Vxlan).keys.front(), "vni");
}

}  // namespace
}  // namespace nsplan
