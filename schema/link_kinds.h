#pragma once
// The one registry of link kinds (network.links[].kind): one entry per kind. The schema, the
// checks, the planner and both appliers (netlink, shell) read it instead of keeping their own
// kind strings and mode lists. Pure data: it lives below the compiler so that the schema's
// field table can take its words from it too.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsplan {

// The kinds a plan creates (a device is moved, never created: it has no value here).
enum class LinkKind { Veth, Bridge, Macvlan, Ipvlan, Vlan, Dummy, Vxlan, Wireguard };

struct LinkKindInfo {
  // The profile's word; also the kernel's IFLA_INFO_KIND and `ip link add ... type NAME`.
  std::string_view name;
  std::optional<LinkKind> created;      // none: moved in from the host (device)
  bool peer = false;                    // has a peer end (veth)
  bool parent = false;                  // sits on a parent link; asked of the parent's namespace
  bool id = false;                      // takes `id:` (vlan), shell form ` id N`
  bool ports = false;                   // other links may name it as their master (bridge)
  std::vector<std::string_view> modes;  // `mode:` values, in the order messages list them
  std::string_view default_mode;        // planned when the profile gives no mode
  bool own_mac = true;                  // takes `mac:` (ipvlan shares its parent's address)
  // The parent is optional and is the kind's own underlay setting (vxlan: IFLA_VXLAN_LINK, shell
  // ` dev P`), not IFLA_LINK; without one the link is created in its own namespace.
  bool underlay = false;
  // The profile keys only this kind takes (the checks refuse them on any other kind, at their line).
  std::vector<std::string_view> keys = {};
};

// Every kind, in the schema's order.
const std::vector<LinkKindInfo>& link_kinds();
// The entry named NAME, or nullptr.
const LinkKindInfo* find_link_kind(std::string_view name);
// The entry of a created kind (always exists).
const LinkKindInfo& link_kind(LinkKind k);
const char* to_string(LinkKind k);  // its name: "veth"

// Every kind's own keys (LinkKindInfo::keys), registry order, each once.
const std::vector<std::string_view>& link_kind_keys();

// For the schema's field table (static storage: the table keeps string_views).
const std::vector<std::string_view>& link_kind_names();  // veth bridge ... device
const std::vector<std::string_view>& link_mode_words();  // every kind's modes, registry order
const std::string& link_mode_doc();                      // "macvlan: bridge|private|...; ipvlan: ..."
const std::string& link_mode_defaults();                 // "bridge / l3"

// "macvlan, ipvlan and vlan": the names of the kinds for which PRED holds, for messages.
template <class Pred>
std::string link_kinds_where(Pred pred) {
  std::vector<std::string_view> names;
  for (const auto& k : link_kinds())
    if (std::invoke(pred, k)) names.push_back(k.name);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + std::string(names[i]);
  return out;
}

}  // namespace nsplan
