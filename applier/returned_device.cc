#include "applier/returned_device.h"

#include <limits>

namespace nsplan::applier {
namespace {

const std::string& host_name_of(const MoveLinkBack& u) { return u.host_name.empty() ? u.name : u.host_name; }

// The names the kernel gives a device it returns: its own, or devN when the host has that.
bool returned_name(const std::string& name, const std::string& inside) {
  if (name == inside) return true;
  return name.size() > 3 && name.rfind("dev", 0) == 0 && name.find_first_not_of("0123456789", 3) == std::string::npos;
}

struct Returned {
  std::string from, inside;  // where it was moved, its name there
  const MoveLinkBack* back = nullptr;
};

std::optional<Returned> returned_of(const Undo& u) {
  if (auto* x = std::get_if<MoveLinkBack>(&u)) return Returned{x->from, x->name, x};
  if (auto* x = std::get_if<RestoreMtu>(&u); x && !x->netns.empty()) return Returned{x->netns, x->dev};
  if (auto* x = std::get_if<RestoreMac>(&u); x && !x->netns.empty()) return Returned{x->netns, x->dev};
  return std::nullopt;
}

}  // namespace

Status host_name_free(const MoveLinkBack& u, Kernel& k) {
  auto there = k.link(u.to, host_name_of(u));
  if (!there.ok()) return there.error();
  if (!there.value()) return {};
  return SysError{EEXIST, describe(u) + ": the host has a link named " + host_name_of(u) + " now; " + u.name + " stays in " + u.from +
                              " as it is, and nothing else is renamed (free the name, then run destroy again)",
                  0, {}};
}

Status give_back_host_state(const MoveLinkBack& u, Kernel& k) {
  const std::string& name = host_name_of(u);
  if (!u.master.empty())
    if (Status s = k.link_master(u.to, name, u.master); !s.ok()) return s;
  for (const auto& cidr : u.addresses)
    if (Status s = k.address_add(u.to, name, cidr, false); !s.ok() && s.err() != EEXIST) return s;
  if (u.was_up)
    if (Status s = k.link_up(u.to, name, true); !s.ok()) return s;
  for (const auto& r : u.routes)
    if (Status s = k.route_add(r); !s.ok() && s.err() != EEXIST) return s;
  return {};
}

std::optional<Status> undo_on_returned_device(const Undo& u, Kernel& k, const KernelId& id) {
  std::optional<Returned> r = returned_of(u);
  if (!r || !id.known()) return std::nullopt;
  auto ns = k.netns_exists(r->from);
  if (!ns.ok()) return Status(ns.error());
  if (ns.value()) return std::nullopt;  // the device itself is gone, not its namespace
  // An ifindex is an int: a recorded number above that is no link's.
  std::optional<LinkInfo> at;
  if (id.object <= static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    auto found = k.link_by_ifindex("", static_cast<int>(id.object));
    if (!found.ok()) return Status(found.error());
    at = std::move(found).value();
  }
  const std::string host = r->back ? host_name_of(*r->back) : r->inside;
  const bool ours = at && (returned_name(at->name, r->inside) || at->name == host);
  if (!ours) {
    // The host had its ifindex: the kernel gave it another, and nothing tells it from another
    // device of that name.
    auto named = k.link("", r->inside);
    if (!named.ok()) return Status(named.error());
    if (!named.value()) return std::nullopt;
    return Status(SysError{EPERM, describe(u) + ": " + r->from + " is gone and no link of the host has ifindex " + std::to_string(id.object) +
                                      "; the host's " + r->inside + " (ifindex " + std::to_string(named.value()->ifindex) +
                                      ") may be the device given back under another ifindex, or another device: left alone (give it back by hand)",
                           0, {}});
  }
  const std::string now = at->name;
  if (auto* x = std::get_if<RestoreMtu>(&u)) return k.link_mtu("", now, x->mtu);
  if (auto* x = std::get_if<RestoreMac>(&u)) return k.link_mac("", now, x->mac);
  const MoveLinkBack& back = *r->back;
  if (now != host) {
    if (Status s = host_name_free(back, k); !s.ok()) return s;
    // The kernel brings a returning device down; renaming needs it down.
    if (at->up)
      if (Status s = k.link_up("", now, false); !s.ok()) return s;
    if (Status s = k.link_rename("", now, host); !s.ok()) return s;
  }
  return give_back_host_state(back, k);
}

}  // namespace nsplan::applier
