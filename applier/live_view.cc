#include "applier/live_view.h"

#include <linux/if_addr.h>

#include <algorithm>

namespace nsplan::applier {

LiveView::Space& LiveView::load(const std::string& netns) {
  auto it = spaces_.find(netns);
  if (it != spaces_.end()) return it->second;
  Space s;
  // A missing namespace reads as empty; a real failure shows up again when acting on it.
  auto keep = [&](const SysError& e) {
    if (e.err != ENOENT && !s.error) s.error = e;
  };
  if (auto l = kernel_.links(netns); l.ok())
    for (LinkInfo& link : l.value()) add_link(s, std::move(link));
  else keep(l.error());
  if (auto a = kernel_.addresses(netns); a.ok()) s.addresses = std::move(a).value();
  else keep(a.error());
  if (auto r = kernel_.routes(netns); r.ok()) s.routes = std::move(r).value();
  else keep(r.error());
  return spaces_.emplace(netns, std::move(s)).first->second;
}

const SysError* LiveView::failed(const std::string& netns) {
  Space& s = load(netns);
  return s.error ? &*s.error : nullptr;
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
  return find_link(load(netns), name);
}

LinkInfo* LiveView::mutable_link(const std::string& netns, const std::string& name) {
  return find_link(load(netns), name);
}

bool LiveView::has_address(const std::string& netns, const std::string& dev, const std::string& cidr) {
  for (const auto& a : load(netns).addresses)
    if (a.dev == dev && a.cidr == cidr) return true;
  return false;
}

const AddressInfo* LiveView::address(const std::string& netns, const std::string& dev, const std::string& cidr) {
  for (const auto& a : load(netns).addresses)
    if (a.dev == dev && a.cidr == cidr) return &a;
  return nullptr;
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
  for (const auto& r : load(route.netns).routes)
    if (route_matches(r, route)) return true;
  return false;
}

void LiveView::link_added(const std::string& netns, const std::string& name, const std::string& kind, uint32_t group) {
  LinkInfo l;
  l.name = name;
  l.kind = kind;
  l.group = group;
  add_link(load(netns), std::move(l));
}

void LiveView::link_removed(const std::string& netns, const std::string& name) {
  Space& space = load(netns);
  const std::string gone = name;  // NAME may be a reference into the view
  remove_link(space, gone);
  auto& addrs = space.addresses;
  addrs.erase(std::remove_if(addrs.begin(), addrs.end(), [&](const AddressInfo& a) { return a.dev == gone; }), addrs.end());
}

void LiveView::link_renamed(const std::string& netns, const std::string& from, const std::string& to) {
  Space& space = load(netns);
  const LinkInfo* l = find_link(space, from);
  if (!l || from == to) return;
  // Copies: FROM or TO may be references into the view.
  const std::string old_name = from, new_name = to;
  LinkInfo renamed = *l;
  renamed.name = new_name;
  remove_link(space, old_name);
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
  load(netns).addresses.push_back(a);
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
