// Capability names and numbers of capabilities(7), spelled as setpriv(1) and capsh(1) take them
// after their prefix: "net_admin" for CAP_NET_ADMIN (12). Pure data for the planner.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsplan {

// The number of NAME ("net_admin"), or nullopt.
std::optional<int> capability_number(std::string_view name);
// The name of capability N ("cap_41" for one this table does not know).
std::string capability_name(int n);
// Every known name, in number order.
std::vector<std::string_view> capability_names();

}  // namespace nsplan
