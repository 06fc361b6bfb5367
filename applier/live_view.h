// What the kernel holds in each network namespace (links, addresses, routes), dumped once per
// namespace on first use and then kept up to date with the apply's own changes. Observing step
// k then costs no netlink round trip, so creating 1000 links is linear, not quadratic.
// Valid while nsplan holds the profile's lock: nothing else is expected to change these objects.
// Links are found by name through an index per namespace (a plan of N links asks N times).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "applier/kernel.h"

namespace nsplan::applier {

class LiveView {
 public:
  explicit LiveView(Kernel& kernel) : kernel_(kernel) {}

  // The link, or nullptr. A namespace that does not exist (yet) holds nothing.
  const LinkInfo* link(const std::string& netns, const std::string& name);
  bool has_address(const std::string& netns, const std::string& dev, const std::string& cidr);
  const AddressInfo* address(const std::string& netns, const std::string& dev, const std::string& cidr);
  bool has_route(const RouteSpec& route);
  const std::vector<AddressInfo>& addresses(const std::string& netns) { return load(netns).addresses; }
  const std::vector<LinkInfo>& links(const std::string& netns) { return load(netns).links; }
  const std::vector<RouteInfo>& routes(const std::string& netns) { return load(netns).routes; }

  // The apply's own changes. A link added under a name the view holds replaces that entry.
  void link_added(const std::string& netns, const std::string& name, const std::string& kind, uint32_t group);
  void link_removed(const std::string& netns, const std::string& name);
  void link_renamed(const std::string& netns, const std::string& from, const std::string& to);
  // (A link moved to another namespace: forget() both. The kernel also drops its master,
  // addresses and routes and sets it down; the next look dumps what is really there.)

  // For changing a link's attributes; its name only through link_renamed (the index is by name).
  LinkInfo* mutable_link(const std::string& netns, const std::string& name);
  void address_added(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad = false);
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
    std::unordered_map<std::string, size_t> link_at;  // name -> position in links
    std::vector<AddressInfo> addresses;
    std::vector<RouteInfo> routes;
    std::optional<SysError> error;
  };
  Space& load(const std::string& netns);
  static LinkInfo* find_link(Space& space, const std::string& name);
  static void add_link(Space& space, LinkInfo link);
  static void remove_link(Space& space, const std::string& name);

  Kernel& kernel_;
  std::map<std::string, Space> spaces_;
};

// Whether a route of the kernel is the one a RouteSpec describes.
bool route_matches(const RouteInfo& have, const RouteSpec& want);

}  // namespace nsplan::applier
