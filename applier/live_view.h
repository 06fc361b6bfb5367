// What the kernel holds in each network namespace (links, addresses, routes), as the apply, plan
// and status look at it, kept up to date with the apply's own changes so that observing step k
// costs no netlink round trip: creating 1000 links is linear, not quadratic.
//
// How much is asked depends on whose the namespace is:
//   - a namespace the profile makes (OWNED) holds only the profile's links: it is dumped once;
//     one this apply has just made (netns_made) holds what a new namespace holds, lo and no
//     address or route: it is asked for the plan's links by name, as below, and nothing else;
//   - any other (the host's, with maybe thousands of links of others) is asked for what the
//     profile names: a link by name, the addresses of that link and the routes through it, each
//     filtered by the kernel. The cost follows the profile, not the host.
// Valid while nsplan holds the profile's lock: nothing else is expected to change these objects.
// Links are found by name through an index per namespace (a plan of N links asks N times).
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "applier/kernel.h"

namespace nsplan::applier {

class LiveView {
 public:
  // OWNED: the network namespaces the profile makes ("" is never one).
  // EXPECTED: per namespace, the link names the plan will ask about; in a namespace that is not
  // OWNED they are asked for at once, on its first use (one round of pipelined requests).
  explicit LiveView(Kernel& kernel, std::set<std::string> owned = {},
                    std::map<std::string, std::set<std::string>> expected = {})
      : kernel_(kernel), owned_(std::move(owned)), expected_(std::move(expected)) {}

  // The link, or nullptr. A namespace that does not exist (yet) holds nothing.
  const LinkInfo* link(const std::string& netns, const std::string& name);
  bool has_address(const std::string& netns, const std::string& dev, const std::string& cidr);
  const AddressInfo* address(const std::string& netns, const std::string& dev, const std::string& cidr);
  bool has_route(const RouteSpec& route);
  // The addresses of DEV; the routes through DEV in every table.
  std::vector<AddressInfo> addresses_of(const std::string& netns, const std::string& dev);
  std::vector<RouteInfo> routes_through(const std::string& netns, const std::string& dev);

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
  // How many reads have failed so far, and the last failure: an observation compares the count
  // before and after it looked.
  size_t errors_seen() const { return errors_seen_; }
  const SysError& last_error() const { return last_error_; }
  // Forget a namespace (deleted, or changed behind our back): the next look reads it again.
  void forget(const std::string& netns) {
    spaces_.erase(netns);
    made_.erase(netns);
  }
  // NETNS was made by this apply just now. A new namespace has lo and maybe the kernel's fallback
  // tunnels, all down, so no address and no route: what it gets after this, the apply adds to the
  // view itself. Its links are asked for by name (lo and the plan's); its addresses and routes
  // are not asked for (three dumps saved on every namespace made).
  void netns_made(const std::string& netns) {
    spaces_.erase(netns);
    made_.insert(netns);
  }

 private:
  struct Space {
    bool whole = false;    // dumped (OWNED); otherwise it holds what was asked for
    bool missing = false;  // the namespace does not exist: it holds nothing
    std::vector<LinkInfo> links;
    std::unordered_map<std::string, size_t> link_at;  // name -> position in links
    std::set<std::string> absent;                     // names asked for and not found
    std::vector<AddressInfo> addresses;
    std::set<std::string> addresses_known;  // devices whose addresses are all in ADDRESSES
    std::vector<RouteInfo> routes;
    std::set<std::string> routes_known;  // "TABLE/DEV" ("TABLE/" = the whole table; table 0 = all)
    std::optional<SysError> error;
  };
  Space& load(const std::string& netns);
  LinkInfo* lookup(Space& space, const std::string& netns, const std::string& name);
  void know_addresses(Space& space, const std::string& netns, const std::string& dev);
  void know_routes(Space& space, const std::string& netns, uint32_t table, const std::string& dev);
  void keep_error(Space& space, const SysError& e);
  static LinkInfo* find_link(Space& space, const std::string& name);
  static void add_link(Space& space, LinkInfo link);
  static void remove_link(Space& space, const std::string& name);

  Kernel& kernel_;
  std::set<std::string> owned_;
  std::set<std::string> made_;  // netns_made, until forgotten
  std::map<std::string, std::set<std::string>> expected_;
  std::map<std::string, Space> spaces_;
  size_t errors_seen_ = 0;
  SysError last_error_;
};

// Whether a route of the kernel is the one a RouteSpec describes.
bool route_matches(const RouteInfo& have, const RouteSpec& want);

}  // namespace nsplan::applier
