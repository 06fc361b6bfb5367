// The tunnel kinds of network.links (schema/link_kinds.cc): vxlan and wireguard. Their checks
// (located errors before anything changes), their plan settings, and the one argument vector of
// `wg set` that apply runs and explain prints.
#pragma once
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "schema/link_kinds.h"
#include "schema/model.h"

namespace nsplan {

// Refuses each kind's own keys (LinkKindInfo::keys) on a link of another kind, at the key's line,
// and checks the vxlan and wireguard settings of a link of those kinds.
void check_link_kind_keys(const LinkSpec& link, const LinkKindInfo& info, Diagnostics& diags);

plan::VxlanSettings vxlan_settings(const LinkSpec& link);
plan::WireguardSettings wireguard_settings(const LinkSpec& link);

// A public key as wg(8) prints it: 44 characters of base64 for 32 bytes ("...=").
bool valid_wireguard_key(const std::string& key);

// `wg set NAME private-key FILE [listen-port P] [peer PUB [preshared-key F] [endpoint E]
// [persistent-keepalive N] allowed-ips A,B]...`, without the program's path: wg reads the keys
// from the files. Apply runs /usr/bin/wg with these arguments; explain prints them.
std::vector<std::string> wg_set_args(const std::string& name, const plan::WireguardSettings& w);

}  // namespace nsplan
