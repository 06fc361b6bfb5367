// The uplink of a namespace (network.uplink): IPv4 forwarding on the host, and one nftables table
// of the profile, `table ip nsplan-NAME`, that masquerades the namespace's source networks and
// forwards ports of the host into it. The ruleset text is made here, once: apply gives it to
// `nft -f -` and explain prints it as that command's heredoc.
#pragma once
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "schema/model.h"

namespace nsplan {

struct PlannerContext;

// One forwarded port, checked and normalised.
struct ForwardedPort {
  std::string proto;  // "tcp" | "udp"
  uint64_t host_port = 0;
  std::string to;  // IPv4 address
  uint64_t to_port = 0;
};

struct UplinkRules {
  std::string profile;            // the table is nsplan-PROFILE
  std::vector<std::string> from;  // source networks, "10.77.0.0/24"
  std::string out;                // "" = any interface
  bool masquerade = true;
  std::vector<ForwardedPort> ports;
};

// The table's name: "nsplan-" + the profile's name.
std::string uplink_table_name(const std::string& profile);
// The table as one transaction: `create table ip NAME { comment ...; }` and its chains.
plan::NftTable uplink_table(const UplinkRules& rules);
// "10.77.0.2/24" -> "10.77.0.0/24" (IPv4).
std::string ipv4_network(const Cidr& cidr);

// Located errors for network.uplink (references to the profile's namespaces, IPv4 only).
void check_uplink(const Profile& profile, Diagnostics& diags);
// SetSysctl net.ipv4.ip_forward=1, then the NftTable.
void plan_uplink(PlannerContext& ctx);

}  // namespace nsplan
