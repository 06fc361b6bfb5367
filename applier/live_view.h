// What the kernel holds in each network namespace (links, addresses, routes), dumped once per
// namespace on first use and then kept up to date with the apply's own changes. Observing step
// k then costs no netlink round trip, so creating 1000 links is linear, not quadratic.
// Valid while nsplan holds the profile's lock: nothing else is expected to change these objects.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "applier/kernel.h"

namespace nsplan::applier {

class LiveView {
 public:
  explicit LiveView(Kernel& kernel) : kernel_(kernel) {}

  // The link, or nullptr. A namespace that does not exist (yet) holds nothing.
  const LinkInfo* link(const std::string& netns, const std::string& name);
  bool has_address(const std::string& netns, const std::string& dev, const std::string& cidr);
  bool has_route(const RouteSpec& route);
  const std::vector<AddressInfo>& addresses(const std::string& netns) { return load(netns).addresses; }
  const std::vector<RouteInfo>& routes(const std::string& netns) { return load(netns).routes; }

  // The apply's own changes.
  void link_added(const std::string& netns, const std::string& name, const std::string& kind, uint32_t group);
  void link_removed(const std::string& netns, const std::string& name);
  LinkInfo* mutable_link(const std::string& netns, const std::string& name);
  void address_added(const std::string& netns, const std::string& dev, const std::string& cidr);
  void address_removed(const std::string& netns, const std::string& dev, const std::string& cidr);
  void route_added(const RouteSpec& route);
  void route_removed(const RouteSpec& route);
  // The error of the namespace's dump when it exists but could not be read; nullptr otherwise.
  // An observation must not take "could not look" for "absent".
  const SysError* failed(const std::string& netns);
  // Forget a namespace (created, deleted, or changed behind our back).
  void forget(const std::string& netns) { spaces_.erase(netns); }

 private:
  struct Space {
    std::vector<LinkInfo> links;
    std::vector<AddressInfo> addresses;
    std::vector<RouteInfo> routes;
    std::optional<SysError> error;
  };
  Space& load(const std::string& netns);

  Kernel& kernel_;
  std::map<std::string, Space> spaces_;
};

// Whether a route of the kernel is the one a RouteSpec describes.
bool route_matches(const RouteInfo& have, const RouteSpec& want);

}  // namespace nsplan::applier
