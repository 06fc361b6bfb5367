#include "schema/link_kinds.h"

#include <algorithm>

namespace nsplan {

const std::vector<LinkKindInfo>& link_kinds() {
  // name, created, peer, parent, id, ports, modes (in the order messages list them), default
  // mode, own_mac, underlay, keys
  static const std::vector<LinkKindInfo> kinds = {
      {"veth", LinkKind::Veth, true, false, false, false, {}, ""},
      {"bridge", LinkKind::Bridge, false, false, false, true, {}, ""},
      {"macvlan", LinkKind::Macvlan, false, true, false, false, {"bridge", "private", "vepa", "passthru"}, "bridge"},
      {"ipvlan", LinkKind::Ipvlan, false, true, false, false, {"l2", "l3", "l3s"}, "l3", false},
      {"vlan", LinkKind::Vlan, false, true, true, false, {}, ""},
      {"dummy", LinkKind::Dummy, false, false, false, false, {}, ""},
      {"vxlan", LinkKind::Vxlan, false, true, false, false, {}, "", true, true, {"vni", "remote", "group", "local", "port", "ttl"}},
      {"wireguard", LinkKind::Wireguard, false, false, false, false, {}, "", false /* layer 3: no MAC */, false,
       {"private_key_file", "listen_port", "peers"}},
      {"device", std::nullopt, false, false, false, false, {}, ""},  // moved in, not created
  };
  return kinds;
}

const LinkKindInfo* find_link_kind(std::string_view name) {
  for (const auto& k : link_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

const LinkKindInfo& link_kind(LinkKind kind) {
  for (const auto& k : link_kinds())
    if (k.created == kind) return k;
  return link_kinds().front();  // unreachable: every LinkKind has an entry (link_kinds_test)
}

// The names are string literals: data() is NUL-terminated.
const char* to_string(LinkKind k) { return link_kind(k).name.data(); }

const std::vector<std::string_view>& link_kind_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> out;
    for (const auto& k : link_kinds())
      for (auto key : k.keys)
        if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
    return out;
  }();
  return keys;
}

const std::vector<std::string_view>& link_kind_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& k : link_kinds()) out.push_back(k.name);
    return out;
  }();
  return names;
}

const std::vector<std::string_view>& link_mode_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> out;
    for (const auto& k : link_kinds()) out.insert(out.end(), k.modes.begin(), k.modes.end());
    return out;
  }();
  return words;
}

const std::string& link_mode_doc() {
  static const std::string doc = [] {
    std::string out;
    for (const auto& k : link_kinds()) {
      if (k.modes.empty()) continue;
      out += std::string(out.empty() ? "" : "; ") + std::string(k.name) + ":";
      for (size_t i = 0; i < k.modes.size(); ++i) out += std::string(i == 0 ? " " : "|") + std::string(k.modes[i]);
    }
    return out + ".";
  }();
  return doc;
}

const std::string& link_mode_defaults() {
  static const std::string text = [] {
    std::string out;
    for (const auto& k : link_kinds())
      if (!k.default_mode.empty()) out += std::string(out.empty() ? "" : " / ") + std::string(k.default_mode);
    return out;
  }();
  return text;
}

}  // namespace nsplan
