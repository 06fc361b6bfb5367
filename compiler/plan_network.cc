// Persistent namespaces, links, addresses and routes. Peers and stacked links are born in the
// namespace they live in; only a `device` is moved (moving costs ~30 ms in the kernel).
#include <algorithm>

#include "compiler/etc_files.h"
#include "compiler/link_tunnels.h"
#include "compiler/planner_context.h"
#include "schema/link_kinds.h"

namespace nsplan {
namespace {

std::string where(const std::string& ns) { return ns.empty() ? "" : " in " + ns; }

class NetworkPlanner {
 public:
  explicit NetworkPlanner(PlannerContext& ctx) : ctx_(ctx), group_(link_group_of(ctx.profile.name.value)) {}

  void run() {
    persistent_namespaces();
    if (!ctx_.profile.network) return;
    const NetworkSpec& net = *ctx_.profile.network;
    // Links a stacked link (macvlan, ipvlan, vlan) may sit on come first.
    for (const auto& link : net.links)
      if (!stacked(link)) create(link);
    for (const auto& link : net.links)
      if (stacked(link)) create(link);
    for (const auto& link : net.links) {
      configure(ctx_.netns(link.netns), inside_name(link), link.mac, link.mtu, link.master, link.addresses, link.up, link.loc);
      if (link.peer)
        configure(ctx_.netns(link.peer->netns), link.peer->name, link.peer->mac, link.peer->mtu, link.peer->master,
                  link.peer->addresses, link.peer->up, link.peer->loc);
    }
    for (const auto& r : net.routes) route(r);
  }

 private:
  static bool stacked(const LinkSpec& l) {
    const LinkKindInfo* k = find_link_kind(l.kind.value);
    return k && k->parent;
  }

  void persistent_namespaces() {
    const auto& ns = ctx_.profile.namespaces;
    if (ns && ns->net && ns->net->persist) {
      new_netns(ns->net->persist->value, ns->net->persist->loc);
      if (ns->net->etc) plan_netns_etc_files(ctx_, ns->net->persist->value, *ns->net->etc);
    }
    if (ctx_.profile.network)
      for (const auto& n : ctx_.profile.network->namespaces) new_netns(n.value, n.loc);
    if (ns && ns->uts && ns->uts->persist) {
      const auto& uts = *ns->uts;
      std::string path = ctx_.facts.state_dir + "/ns/" + uts.persist->value + ".uts";
      ctx_.add(plan::CreateNamespace{plan::NsKind::Uts, uts.persist->value, path}, uts.persist->loc,
               "persistent uts namespace " + uts.persist->value);
      if (uts.hostname || uts.domainname)
        ctx_.add(plan::SetHostname{path, uts.hostname ? uts.hostname->value : "", uts.domainname ? uts.domainname->value : ""},
                 uts.hostname ? uts.hostname->loc : uts.domainname->loc,
                 "hostname " + (uts.hostname ? uts.hostname->value : "") + (uts.domainname ? " domain " + uts.domainname->value : ""));
    }
    if (ns && ns->ipc && ns->ipc->persist) {
      std::string path = ctx_.facts.state_dir + "/ns/" + ns->ipc->persist->value + ".ipc";
      ctx_.add(plan::CreateNamespace{plan::NsKind::Ipc, ns->ipc->persist->value, path}, ns->ipc->persist->loc,
               "persistent ipc namespace " + ns->ipc->persist->value);
    }
  }

  // A link's name where it lives: a moved device's name_inside, when it has one.
  static const Located<std::string>& inside_name(const LinkSpec& link) { return link.name_inside ? *link.name_inside : link.name; }

  void new_netns(const std::string& name, SourceLoc loc) {
    ctx_.add(plan::CreateNetns{name}, loc, "net namespace " + name);
    // A new namespace has lo down; nothing inside can reach even itself without it.
    ctx_.add(plan::SetLinkUp{name, "lo"}, loc, "loopback of " + name);
  }

  // Where a stacked link's parent lives: parent_netns when given; else the link's own namespace
  // when the profile puts a link of that name there; else the host. A link of that name in yet
  // another namespace is never taken silently: the warning says how to mean it.
  std::string parent_netns(const LinkSpec& link) const {
    if (link.parent_netns) return link.parent_netns->value;
    const std::string& parent = link.parent->value;
    std::string own = ctx_.netns(link.netns);
    std::vector<std::string> elsewhere;
    bool in_own = false;
    for (const auto& l : ctx_.profile.network->links) {
      auto consider = [&](const std::string& name, const std::string& ns) {
        if (name != parent) return;
        if (ns == own) in_own = true;
        else if (!ns.empty()) elsewhere.push_back(ns);
      };
      consider(inside_name(l).value, ctx_.netns(l.netns));
      if (l.peer) consider(l.peer->name.value, ctx_.netns(l.peer->netns));
    }
    if (in_own) return own;
    if (!elsewhere.empty())
      ctx_.diags.warning(link.parent->loc, "parent " + parent + " is the host's " + parent + ", not the link of that name in " +
                                               elsewhere.front(),
                         "write parent_netns: " + elsewhere.front() + " to stack on that one");
    return "";
  }

  void create(const LinkSpec& link) {
    std::string ns = ctx_.netns(link.netns);
    const std::string& kind = link.kind.value;
    const std::string& name = link.name.value;
    const LinkKindInfo& info = *find_link_kind(kind);  // the checks passed: a kind of the registry
    if (!info.created) {
      const std::string inside = link.name_inside && link.name_inside->value != name ? link.name_inside->value : std::string();
      ctx_.add(plan::MoveLink{name, ns, inside}, link.loc, "move device " + name + " into " + ns + (inside.empty() ? "" : " as " + inside),
               {"moving a link between namespaces is the one slow operation (RCU grace periods): only devices that exist already are moved."});
      return;
    }
    plan::CreateLink c;
    c.netns = ns;
    c.name = name;
    c.kind = *info.created;
    // Host-side links share one link group, so that destroy removes them in one request.
    c.group = ns.empty() ? group_ : 0;
    std::string what = kind + " " + name + where(ns);
    if (info.peer) {
      c.peer_name = link.peer->name.value;
      c.peer_netns = ctx_.netns(link.peer->netns);
      what += ", peer " + c.peer_name + where(c.peer_netns);
      // A veth is symmetric: when only the peer is on the host, create from the host side so
      // that the end in the namespace is the one born there (no host-name needed for `netns`).
      if (!c.netns.empty() && c.peer_netns.empty()) {
        std::swap(c.name, c.peer_name);
        std::swap(c.netns, c.peer_netns);
      }
      c.group = c.netns.empty() || c.peer_netns.empty() ? group_ : 0;
    }
    if (info.parent && link.parent) {
      c.parent = link.parent->value;
      c.parent_netns = parent_netns(link);
      what += " on " + c.parent;
      if (!c.parent_netns.empty() && c.netns.empty())
        ctx_.diags.error(link.loc, kind + " " + name + " would sit on " + c.parent + " in " + c.parent_netns +
                                       " but live on the host", "give it netns: " + c.parent_netns + " or another namespace");
    }
    if (!info.modes.empty()) c.mode = link.mode ? link.mode->value : std::string(info.default_mode);
    if (info.id) c.vlan_id = static_cast<uint32_t>(link.vlan_id->value);
    if (c.kind == LinkKind::Vxlan) c.vxlan = vxlan_settings(link);
    if (c.kind == LinkKind::Wireguard) c.wireguard = wireguard_settings(link);
    ctx_.add(c, link.loc, what);
  }

  void configure(const std::string& ns, const Located<std::string>& name, const Opt<std::string>& mac, const Opt<uint64_t>& mtu,
                 const Opt<std::string>& master, const std::vector<Located<Cidr>>& addresses, const Opt<bool>& up,
                 SourceLoc loc) {
    // While the link is still down: most drivers refuse a new address on a running device.
    if (mac) ctx_.add(plan::SetMac{ns, name.value, mac->value}, mac->loc, "address of " + name.value + " " + mac->value);
    if (mtu)
      ctx_.add(plan::SetMtu{ns, name.value, static_cast<uint32_t>(mtu->value)}, mtu->loc, "mtu of " + name.value);
    if (master) {
      bool host_bridge = ns.empty() && std::any_of(ctx_.profile.network->host_bridges.begin(), ctx_.profile.network->host_bridges.end(),
                                                   [&](const Located<std::string>& b) { return b.value == master->value; });
      ctx_.add(plan::SetMaster{ns, name.value, master->value, host_bridge}, master->loc,
               name.value + " joins " + (host_bridge ? "the host's bridge " : "bridge ") + master->value,
               host_bridge ? std::vector<std::string>{"the host's bridge: nsplan checks that it is a bridge, adds the port, and never changes or deletes the bridge."}
                           : std::vector<std::string>{});
    }
    for (const auto& a : addresses)
      ctx_.add(plan::AddAddress{ns, name.value, a.value.text(), a.value.family, a.value.family == 6}, a.loc,
               "address of " + name.value);
    if (!up || up->value) ctx_.add(plan::SetLinkUp{ns, name.value}, up ? up->loc : loc, name.value + " up");
  }

  void route(const RouteSpec& r) {
    plan::AddRoute a;
    a.netns = ctx_.netns(r.netns);
    a.to = r.to.value;
    if (r.via) a.via = r.via->value.text;
    if (r.dev) a.dev = r.dev->value;
    bool v6 = r.to.value == "default" ? (r.via && r.via->value.family == 6) : r.to.value.find(':') != std::string::npos;
    a.family = v6 ? 6 : 4;
    if (r.metric) a.metric = static_cast<uint32_t>(r.metric->value);
    if (r.table) a.table = static_cast<uint32_t>(r.table->value);
    ctx_.add(a, r.loc, "route to " + a.to + where(a.netns));
  }

  PlannerContext& ctx_;
  uint32_t group_;
};

}  // namespace

void plan_namespaces_and_network(PlannerContext& ctx) { NetworkPlanner(ctx).run(); }

}  // namespace nsplan
