#include "applier/live_view.h"

#include <linux/if_addr.h>

#include <algorithm>

namespace nsplan::applier {

void LiveView::keep_error(Space& space, const SysError& e) {
  ++errors_seen_;
  last_error_ = e;
  if (!space.error) space.error = e;  // the namespace cannot be trusted for the rest of the run
}

LiveView::Space& LiveView::load(const std::string& netns) {
  auto it = spaces_.find(netns);
  if (it != spaces_.end()) return it->second;
  Space s;
  // A missing namespace reads as empty; a real failure shows up again when acting on it.
  auto keep = [&](const SysError& e) {
    if (e.err == ENOENT) s.missing = true;
    else keep_error(s, e);
  };
  if (!netns.empty() && owned_.count(netns) && !made_.count(netns)) {
    s.whole = true;
    if (auto all = kernel_.netns_content(netns); all.ok()) {
      for (LinkInfo& link : all.value().links) add_link(s, std::move(link));
      s.addresses = std::move(all.value().addresses);
      s.routes = std::move(all.value().routes);
    } else {
      keep(all.error());
    }
  } else {
    // The plan's links, and lo: whether the namespace can be looked at (every one has lo).
    std::vector<std::string> names{"lo"};
    if (auto it = expected_.find(netns); it != expected_.end())
      for (const auto& n : it->second)
        if (n != "lo") names.push_back(n);
    if (auto found = kernel_.links_named(netns, names); found.ok()) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (found.value()[i]) add_link(s, std::move(*found.value()[i]));
        else s.absent.insert(names[i]);
      }
    } else {
      keep(found.error());
    }
  }
  return spaces_.emplace(netns, std::move(s)).first->second;
}

const SysError* LiveView::failed(const std::string& netns) {
  Space& s = load(netns);
  return s.error ? &*s.error : nullptr;
}

LinkInfo* LiveView::lookup(Space& space, const std::string& netns, const std::string& name) {
  if (LinkInfo* l = find_link(space, name)) return l;
  if (space.whole || space.missing || space.absent.count(name)) return nullptr;
  auto found = kernel_.link(netns, name);
  if (!found.ok()) {
    keep_error(space, found.error());
    return nullptr;
  }
  if (!found.value()) {
    space.absent.insert(name);
    return nullptr;
  }
  add_link(space, std::move(*found.value()));
  return find_link(space, name);
}

void LiveView::know_addresses(Space& space, const std::string& netns, const std::string& dev) {
  // A namespace this apply made has no address but the apply's (netns_made).
  if (space.whole || made_.count(netns) || space.missing || space.addresses_known.count(dev)) return;
  const LinkInfo* l = lookup(space, netns, dev);
  // No link, or one this apply made (its ifindex unknown here): no address to ask for.
  if (l && l->ifindex != 0) {
    auto found = kernel_.addresses_of(netns, dev, l->ifindex);
    if (!found.ok()) {
      keep_error(space, found.error());
      return;
    }
    for (AddressInfo& a : found.value()) space.addresses.push_back(std::move(a));
  }
  space.addresses_known.insert(dev);
}

void LiveView::know_routes(Space& space, const std::string& netns, uint32_t table, const std::string& dev) {
  if (space.whole || made_.count(netns) || space.missing) return;
  auto known = [&](uint32_t t, const std::string& d) { return space.routes_known.count(std::to_string(t) + "/" + d) > 0; };
  if (known(table, dev) || known(table, "") || known(0, dev) || known(0, "")) return;
  int ifindex = 0;
  if (!dev.empty()) {
    const LinkInfo* l = lookup(space, netns, dev);
    if (!l || l->ifindex == 0) {  // no such link, or one this apply made: no route through it yet
      space.routes_known.insert(std::to_string(table) + "/" + dev);
      return;
    }
    ifindex = l->ifindex;
  }
  auto found = kernel_.routes_of(netns, table, dev, ifindex);
  if (!found.ok()) {
    keep_error(space, found.error());
    return;
  }
  for (RouteInfo& r : found.value()) space.routes.push_back(std::move(r));
  space.routes_known.insert(std::to_string(table) + "/" + dev);
}

LinkInfo* LiveView::find_link(Space& space, const std::string& name) {
  auto it = space.link_at.find(name);
  return it == space.link_at.end() ? nullptr : &space.links[it->second];
}

void LiveView::add_link(Space& space, LinkInfo link) {
  if (LinkInfo* have = find_link(space, link.name)) {
    *have = std::move(link);
    return;
  }
  space.link_at[link.name] = space.links.size();
  space.links.push_back(std::move(link));
}

void LiveView::remove_link(Space& space, const std::string& name) {
  auto it = space.link_at.find(name);
  if (it == space.link_at.end()) return;
  // Order does not matter: move the last link into the hole instead of shifting every index.
  size_t hole = it->second;
  space.link_at.erase(it);
  if (hole + 1 != space.links.size()) {
    space.links[hole] = std::move(space.links.back());
    space.link_at[space.links[hole].name] = hole;
  }
  space.links.pop_back();
}

const LinkInfo* LiveView::link(const std::string& netns, const std::string& name) {
  return lookup(load(netns), netns, name);
}

LinkInfo* LiveView::mutable_link(const std::string& netns, const std::string& name) {
  return lookup(load(netns), netns, name);
}

bool LiveView::has_address(const std::string& netns, const std::string& dev, const std::string& cidr) {
  return address(netns, dev, cidr) != nullptr;
}

const AddressInfo* LiveView::address(const std::string& netns, const std::string& dev, const std::string& cidr) {
  Space& space = load(netns);
  know_addresses(space, netns, dev);
  for (const auto& a : space.addresses)
    if (a.dev == dev && a.cidr == cidr) return &a;
  return nullptr;
}

std::vector<AddressInfo> LiveView::addresses_of(const std::string& netns, const std::string& dev) {
  Space& space = load(netns);
  know_addresses(space, netns, dev);
  std::vector<AddressInfo> out;
  for (const auto& a : space.addresses)
    if (a.dev == dev) out.push_back(a);
  return out;
}

std::vector<RouteInfo> LiveView::routes_through(const std::string& netns, const std::string& dev) {
  Space& space = load(netns);
  know_routes(space, netns, 0, dev);
  std::vector<RouteInfo> out;
  for (const auto& r : space.routes)
    if (r.dev == dev) out.push_back(r);
  return out;
}

bool route_matches(const RouteInfo& have, const RouteSpec& want) {
  if (have.to != want.to) return false;
  if (have.table != want.table.value_or(254)) return false;
  if (have.metric != want.metric.value_or(0) && (want.metric || want.family != 6)) {
    // IPv6 routes get metric 1024 from the kernel when none is given.
    if (!(want.family == 6 && !want.metric && have.metric == 1024)) return false;
  }
  if (!want.via.empty() && have.via != want.via) return false;
  if (!want.dev.empty() && have.dev != want.dev) return false;
  return true;
}

bool LiveView::has_route(const RouteSpec& route) {
  Space& space = load(route.netns);
  know_routes(space, route.netns, route.table.value_or(254), route.dev);
  for (const auto& r : space.routes)
    if (route_matches(r, route)) return true;
  return false;
}

void LiveView::link_added(const std::string& netns, const std::string& name, const std::string& kind, uint32_t group) {
  LinkInfo l;
  l.name = name;
  l.kind = kind;
  l.group = group;
  Space& space = load(netns);
  space.absent.erase(name);
  space.addresses_known.insert(name);  // a new link has none
  add_link(space, std::move(l));
}

void LiveView::link_removed(const std::string& netns, const std::string& name) {
  Space& space = load(netns);
  const std::string gone = name;  // NAME may be a reference into the view
  remove_link(space, gone);
  if (!space.whole) space.absent.insert(gone);
  auto& routes = space.routes;
  routes.erase(std::remove_if(routes.begin(), routes.end(), [&](const RouteInfo& r) { return r.dev == gone; }), routes.end());
  auto& addrs = space.addresses;
  addrs.erase(std::remove_if(addrs.begin(), addrs.end(), [&](const AddressInfo& a) { return a.dev == gone; }), addrs.end());
}

void LiveView::link_renamed(const std::string& netns, const std::string& from, const std::string& to) {
  Space& space = load(netns);
  const LinkInfo* l = lookup(space, netns, from);
  if (!l || from == to) return;
  // Copies: FROM or TO may be references into the view.
  const std::string old_name = from, new_name = to;
  LinkInfo renamed = *l;
  renamed.name = new_name;
  remove_link(space, old_name);
  if (!space.whole) {
    space.absent.insert(old_name);
    space.absent.erase(new_name);
    if (space.addresses_known.erase(old_name)) space.addresses_known.insert(new_name);
  }
  add_link(space, std::move(renamed));
  for (AddressInfo& a : space.addresses)
    if (a.dev == old_name) a.dev = new_name;
}

void LiveView::address_added(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) {
  AddressInfo a;
  a.dev = dev;
  a.cidr = cidr;
  a.family = cidr.find(':') != std::string::npos ? 6 : 4;
  a.flags = nodad ? IFA_F_NODAD : 0;
  Space& space = load(netns);
  know_addresses(space, netns, dev);  // what else DEV has is asked for once (maybe A, already)
  for (const auto& have : space.addresses)
    if (have.dev == dev && have.cidr == cidr) return;
  space.addresses.push_back(a);
}

void LiveView::address_removed(const std::string& netns, const std::string& dev, const std::string& cidr) {
  auto& addrs = load(netns).addresses;
  addrs.erase(std::remove_if(addrs.begin(), addrs.end(), [&](const AddressInfo& a) { return a.dev == dev && a.cidr == cidr; }),
              addrs.end());
}

void LiveView::route_added(const RouteSpec& route) {
  RouteInfo r;
  r.to = route.to;
  r.via = route.via;
  r.dev = route.dev;
  r.metric = route.metric.value_or(route.family == 6 ? 1024 : 0);
  r.table = route.table.value_or(254);
  r.family = route.family;
  load(route.netns).routes.push_back(r);
}

void LiveView::route_removed(const RouteSpec& route) {
  auto& routes = load(route.netns).routes;
  routes.erase(std::remove_if(routes.begin(), routes.end(), [&](const RouteInfo& r) { return route_matches(r, route); }),
               routes.end());
}

}  // namespace nsplan::applier
