#include "compiler/uplink.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "compiler/planner_context.h"

namespace nsplan {
namespace {

const UplinkSpec* uplink_of(const Profile& p) { return p.network && p.network->uplink ? &*p.network->uplink : nullptr; }

// The net namespaces the profile makes: only their traffic is the profile's to send out.
std::set<std::string> namespaces_made(const Profile& p) {
  std::set<std::string> out;
  if (p.namespaces && p.namespaces->net && p.namespaces->net->persist) out.insert(p.namespaces->net->persist->value);
  if (p.network)
    for (const auto& n : p.network->namespaces) out.insert(n.value);
  return out;
}

// The IPv4 networks of the addresses the profile gives to links in NETNS, in profile order.
std::vector<std::string> networks_in(const Profile& p, const std::string& netns) {
  std::vector<std::string> out;
  auto add = [&](const std::vector<Located<Cidr>>& addresses) {
    for (const auto& a : addresses) {
      if (a.value.family != 4) continue;
      std::string n = ipv4_network(a.value);
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  };
  if (!p.network) return out;
  for (const auto& l : p.network->links) {
    if (l.netns && l.netns->value == netns) add(l.addresses);
    if (l.peer && l.peer->netns && l.peer->netns->value == netns) add(l.peer->addresses);
  }
  return out;
}

// FNV-1a, 64 bits: the same text gives the same comment on every host and build.
std::string hash_text(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// nft's set syntax for one or more values: "a" or "{ a, b }".
std::string one_or_set(const std::vector<std::string>& values) {
  if (values.size() == 1) return values[0];
  std::string out = "{ ";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out + " }";
}

}  // namespace

std::string uplink_table_name(const std::string& profile) { return "nsplan-" + profile; }

std::string ipv4_network(const Cidr& cidr) {
  in_addr a{};
  if (cidr.family != 4 || ::inet_pton(AF_INET, cidr.address.c_str(), &a) != 1) return cidr.text();
  uint32_t host = ntohl(a.s_addr);
  uint32_t mask = cidr.prefix == 0 ? 0 : ~uint32_t{0} << (32 - cidr.prefix);
  a.s_addr = htonl(host & mask);
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(cidr.prefix);
}

plan::NftTable uplink_table(const UplinkRules& r) {
  plan::NftTable t;
  t.family = "ip";
  t.name = uplink_table_name(r.profile);
  std::string chains;
  if (!r.ports.empty()) {
    // Only what is addressed to the host itself (fib daddr type local): traffic the host routes
    // past to other machines keeps its destination port.
    chains += "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n";
    for (const auto& p : r.ports)
      chains += "\t\tfib daddr type local " + p.proto + " dport " + std::to_string(p.host_port) + " dnat to " + p.to + ":" +
                std::to_string(p.to_port) + "\n";
    chains += "\t}\n";
  }
  if (r.masquerade && !r.from.empty()) {
    const std::string from = one_or_set(r.from);
    chains += "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
    // Traffic among the source networks themselves keeps its addresses.
    chains += "\t\tip saddr " + from + " ip daddr != " + from + (r.out.empty() ? "" : " oifname \"" + r.out + "\"") + " masquerade\n";
    chains += "\t}\n";
  }
  t.comment = "nsplan " + r.profile + " " + hash_text(t.name + "\n" + chains);
  // `create`, not `add`: the whole transaction fails when a table of that name is there. nft
  // takes only the table's own properties from a `create table` block: the chains follow in a
  // second command of the same transaction.
  t.ruleset = "create table " + t.family + " " + t.name + " { comment \"" + t.comment + "\"; }\n" + "table " + t.family + " " + t.name +
              " {\n" + chains + "}\n";
  return t;
}

void check_uplink(const Profile& p, Diagnostics& diags) {
  const UplinkSpec* u = uplink_of(p);
  if (!u) return;
  if (!namespaces_made(p).count(u->netns.value))
    diags.error(u->netns.loc, "uplink netns " + u->netns.value + " is not a net namespace of this profile",
                "name one of network.namespaces (or namespaces.net.persist); nsplan sends out only the traffic of namespaces it makes");
  for (const auto& f : u->from)
    if (f.value.family != 4) diags.error(f.loc, "uplink from " + f.value.text() + " is not IPv4", "the uplink masquerades IPv4 only");
  const bool masquerade = !u->masquerade || u->masquerade->value;
  if (masquerade && u->from.empty() && networks_in(p, u->netns.value).empty())
    diags.error(u->netns.loc, "uplink: namespace " + u->netns.value + " has no IPv4 address in this profile, so nothing to masquerade",
                "give a link there an IPv4 address, or list the source networks in from");
  std::set<std::pair<std::string, uint64_t>> seen;
  for (const auto& f : u->forward_ports) {
    if (f.to && f.to->value.family != 4)
      diags.error(f.to->loc, "forwarded port to " + f.to->value.text + ": not an IPv4 address", "the uplink forwards IPv4 only");
    const std::string proto = f.proto ? f.proto->value : "tcp";
    if (!seen.insert({proto, f.host_port.value}).second)
      diags.error(f.host_port.loc, "host port " + std::to_string(f.host_port.value) + "/" + proto + " is forwarded twice", "keep one entry per port");
  }
}

void plan_uplink(PlannerContext& ctx) {
  const UplinkSpec* u = uplink_of(ctx.profile);
  if (!u) return;
  UplinkRules r;
  r.profile = ctx.profile.name.value;
  for (const auto& f : u->from) r.from.push_back(ipv4_network(f.value));
  if (r.from.empty()) r.from = networks_in(ctx.profile, u->netns.value);
  if (u->out) r.out = u->out->value;
  r.masquerade = !u->masquerade || u->masquerade->value;
  for (const auto& f : u->forward_ports)
    r.ports.push_back(ForwardedPort{f.proto ? f.proto->value : "tcp", f.host_port.value, f.to ? f.to->value.text : "",
                                    f.to_port ? f.to_port->value : f.host_port.value});
  // Forwarding is a setting of the host's whole network namespace: see docs/profile-format.md.
  ctx.add(plan::SetSysctl{"net.ipv4.ip_forward", "1"}, u->loc, "uplink of " + u->netns.value + ": IPv4 forwarding on the host");
  std::string what = "uplink of " + u->netns.value + ": " + (r.masquerade ? "masquerade " + one_or_set(r.from) : std::string("no masquerade"));
  if (!r.ports.empty()) what += ", " + std::to_string(r.ports.size()) + " forwarded port" + (r.ports.size() > 1 ? "s" : "");
  ctx.add(uplink_table(r), u->loc, what);
}

}  // namespace nsplan
