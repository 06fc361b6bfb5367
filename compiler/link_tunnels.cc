#include "compiler/link_tunnels.h"

#include <algorithm>
#include <set>

namespace nsplan {
namespace {

bool is_multicast(const IpAddress& a) {
  if (a.family == 6) return a.text.size() >= 2 && (a.text[0] == 'f' || a.text[0] == 'F') && (a.text[1] == 'f' || a.text[1] == 'F');
  size_t dot = a.text.find('.');
  int first = std::atoi(a.text.substr(0, dot).c_str());
  return first >= 224 && first <= 239;
}

// HOST:PORT or [IPv6]:PORT with PORT 1..65535 (wg(8) resolves a host name itself).
bool valid_endpoint(const std::string& e) {
  size_t colon = e.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == e.size()) return false;
  std::string port = e.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  long p = std::stol(port);
  if (p < 1 || p > 65535) return false;
  std::string host = e.substr(0, colon);
  if (host.front() == '[') return host.back() == ']' && host.size() > 2;
  return host.find(':') == std::string::npos;  // a bare IPv6 address needs its brackets
}

struct KeyAt {
  std::string_view key;
  const SourceLoc* loc;  // null: the key is not in the profile
};

template <class T>
const SourceLoc* loc_of(const Opt<T>& o) { return o ? &o->loc : nullptr; }

void check_vxlan(const LinkSpec& link, Diagnostics& diags) {
  const std::string& name = link.name.value;
  if (!link.vni) diags.error(link.loc, "vxlan '" + name + "' needs a vni (1..16777215)");
  if (link.remote && link.group)
    diags.error(link.group->loc, "vxlan '" + name + "' has a remote and a group",
                "remote is the one other end (unicast), group a multicast group: give one");
  else if (!link.remote && !link.group)
    diags.error(link.loc, "vxlan '" + name + "' needs a remote or a group",
                "remote: the other end's address; group: a multicast group (with a parent)");
  if (link.remote && is_multicast(link.remote->value))
    diags.error(link.remote->loc, "remote " + link.remote->value.text + " is a multicast address", "write it as group:");
  if (link.group && !is_multicast(link.group->value))
    diags.error(link.group->loc, "group " + link.group->value.text + " is not a multicast address",
                "224.0.0.0/4 or ff00::/8; a unicast other end is a remote:");
  if (link.group && !link.parent)
    diags.error(link.group->loc, "a multicast vxlan needs a parent: the device that joins the group");
  const Opt<IpAddress>& other = link.remote ? link.remote : link.group;
  if (link.local && other && link.local->value.family != other->value.family)
    diags.error(link.local->loc, "local " + link.local->value.text + " and " + other->value.text + " are of different families");
}

void check_wireguard(const LinkSpec& link, Diagnostics& diags) {
  const std::string& name = link.name.value;
  if (!link.private_key_file)
    diags.error(link.loc, "wireguard '" + name + "' needs a private_key_file", "a file `wg genkey` wrote, mode 0600");
  std::set<std::string> keys;
  for (const auto& p : link.peers) {
    if (!valid_wireguard_key(p.public_key.value))
      diags.error(p.public_key.loc, "not a wireguard public key: 44 characters of base64 (32 bytes)",
                  "as `wg pubkey < private.key` prints it");
    else if (!keys.insert(p.public_key.value).second)
      diags.error(p.public_key.loc, "peer " + p.public_key.value + " is given twice");
    if (p.endpoint && !valid_endpoint(p.endpoint->value))
      diags.error(p.endpoint->loc, "endpoint must be ADDRESS:PORT or [IPv6]:PORT", "e.g. 192.0.2.1:51820");
  }
}

}  // namespace

bool valid_wireguard_key(const std::string& key) {
  static const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (key.size() != 44 || key[43] != '=') return false;
  for (size_t i = 0; i < 43; ++i)
    if (b64.find(key[i]) == std::string::npos) return false;
  // 32 bytes are 256 bits: the 43rd character carries 4 of them, its 2 low bits are padding.
  return (b64.find(key[42]) & 3) == 0;
}

void check_link_kind_keys(const LinkSpec& link, const LinkKindInfo& info, Diagnostics& diags) {
  const std::vector<KeyAt> present = {
      {"vni", loc_of(link.vni)},     {"remote", loc_of(link.remote)},
      {"group", loc_of(link.group)}, {"local", loc_of(link.local)},
      {"port", loc_of(link.port)},   {"ttl", loc_of(link.ttl)},
      {"private_key_file", loc_of(link.private_key_file)},
      {"listen_port", loc_of(link.listen_port)},
      {"peers", link.peers.empty() ? nullptr : &link.peers.front().loc},
  };
  bool refused = false;
  for (const auto& [key, loc] : present) {
    if (!loc || std::find(info.keys.begin(), info.keys.end(), key) != info.keys.end()) continue;
    auto takes = [key = key](const LinkKindInfo& k) { return std::find(k.keys.begin(), k.keys.end(), key) != k.keys.end(); };
    diags.error(*loc, std::string(key) + " does not apply to a " + link.kind.value,
                std::string(key) + " is a key of " + link_kinds_where(takes) + " links");
    refused = true;
  }
  if (refused) return;
  if (info.created == LinkKind::Vxlan) check_vxlan(link, diags);
  if (info.created == LinkKind::Wireguard) check_wireguard(link, diags);
}

plan::VxlanSettings vxlan_settings(const LinkSpec& link) {
  plan::VxlanSettings v;
  v.vni = static_cast<uint32_t>(link.vni->value);
  if (link.remote) v.remote = link.remote->value.text;
  if (link.group) v.group = link.group->value.text;
  if (link.local) v.local = link.local->value.text;
  if (link.port) v.port = static_cast<uint16_t>(link.port->value);
  if (link.ttl) v.ttl = static_cast<uint8_t>(link.ttl->value);
  return v;
}

plan::WireguardSettings wireguard_settings(const LinkSpec& link) {
  plan::WireguardSettings w;
  w.private_key_file = link.private_key_file->value;
  if (link.listen_port) w.listen_port = static_cast<uint32_t>(link.listen_port->value);
  for (const auto& p : link.peers) {
    plan::WireguardPeer peer;
    peer.public_key = p.public_key.value;
    if (p.endpoint) peer.endpoint = p.endpoint->value;
    for (const auto& a : p.allowed_ips) peer.allowed_ips.push_back(a.value.text());
    if (p.persistent_keepalive) peer.persistent_keepalive = static_cast<uint32_t>(p.persistent_keepalive->value);
    if (p.preshared_key_file) peer.preshared_key_file = p.preshared_key_file->value;
    w.peers.push_back(peer);
  }
  return w;
}

std::vector<std::string> wg_set_args(const std::string& name, const plan::WireguardSettings& w) {
  std::vector<std::string> args = {"wg", "set", name, "private-key", w.private_key_file};
  if (w.listen_port) args.insert(args.end(), {"listen-port", std::to_string(w.listen_port)});
  for (const auto& p : w.peers) {
    args.insert(args.end(), {"peer", p.public_key});
    if (!p.preshared_key_file.empty()) args.insert(args.end(), {"preshared-key", p.preshared_key_file});
    if (!p.endpoint.empty()) args.insert(args.end(), {"endpoint", p.endpoint});
    if (p.persistent_keepalive) args.insert(args.end(), {"persistent-keepalive", std::to_string(p.persistent_keepalive)});
    std::string ips;
    for (const auto& a : p.allowed_ips) ips += (ips.empty() ? "" : ",") + a;
    if (!ips.empty()) args.insert(args.end(), {"allowed-ips", ips});
  }
  return args;
}

}  // namespace nsplan
