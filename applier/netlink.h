// Links, addresses and routes over rtnetlink (libnl-3 / libnl-route-3), one socket per network
// namespace. libnl stays inside netlink.cc: this header does not include it.
//
// Namespaces are named as in the Plan: "" = the network namespace the client was opened in (the
// host, for nsplan), otherwise NAME = /run/netns/NAME. A namespace is opened once (an fd, which
// IFLA_NET_NS_FD needs) and a socket into it connected on its first request (setns there in the
// calling thread, connect, setns back); both are reused for every later request, and requests
// themselves never switch namespaces. Both keep the namespace alive.
//
// Changes trust that NAME is still the namespace opened under that name: whoever deletes or makes
// a namespace must call forget(NAME) (LinuxKernel does, for every namespace the applier deletes or
// makes). Observations (list_*) check: if /run/netns/NAME is gone or is a different namespace now
// (deleted and made again behind the client's back), they fail or reconnect.
//
// Links are created where they belong and never moved afterwards: a veth's peer is born in its
// namespace (IFLA_NET_NS_FD inside the peer's attributes); requests for kinds with a parent are made in
// the parent's namespace with IFLA_NET_NS_FD naming the target. See design/PERFORMANCE.md.
//
// Errors: SysError.err is the kernel's errno (captured from the NLMSG_ERROR answer), nl_code the
// negative libnl code, detail the kernel's extended-ack message when it sent one. Existing objects
// fail with err == EEXIST (NLM_F_EXCL), missing ones with ENODEV / ESRCH / EADDRNOTAVAIL as the
// kernel says.
//
// Not thread-safe: one client per thread.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "applier/sys_error.h"
#include "compiler/plan.h"

namespace nsplan::applier {

struct LinkInfo {
  std::string name;
  std::string kind;  // rtnl_link_get_type: "veth", "bridge", "dummy", ... ("" for lo, physical)
  uint32_t mtu = 0;
  std::string mac;     // IFLA_ADDRESS of an Ethernet-like link, "aa:bb:cc:dd:ee:ff"; "" otherwise
  std::string master;  // name of the master in the same namespace, "" if none
  bool up = false;     // IFF_UP (administrative state)
  uint32_t group = 0;
  int ifindex = 0;
};

struct AddressInfo {
  std::string dev;
  std::string cidr;  // "10.0.0.1/24", "fd00::1/64"
  int family = 4;    // 4 or 6
  int scope = 0;     // RT_SCOPE_UNIVERSE, RT_SCOPE_LINK (fe80::/64), RT_SCOPE_HOST (127.0.0.1)
  uint32_t flags = 0;  // IFA_F_*: NODAD, TENTATIVE, DADFAILED ...
  // Usable: not waiting for, nor failed, duplicate address detection.
  bool usable() const;
};

struct RouteInfo {
  std::string to;   // "default" or "10.1.0.0/16"
  std::string via;  // gateway, "" if none
  std::string dev;  // output device of the (first) nexthop, "" if none
  uint32_t metric = 0;
  uint32_t table = 0;
  int family = 4;
  int protocol = 0;     // RTPROT_*: RTPROT_KERNEL (2) = made by the kernel for an address
  int type = 0;         // RTN_UNICAST, ...
  bool kernel() const;  // protocol == RTPROT_KERNEL
};

// Everything of one namespace (a namespace whose content is all the profile's).
struct NamespaceContent {
  std::vector<LinkInfo> links;
  std::vector<AddressInfo> addresses;
  std::vector<RouteInfo> routes;  // every table
};

// What add_route / del_route send.
struct RouteSpec {
  std::string netns;
  std::string to;   // "default" or CIDR
  std::string via;  // "" = no gateway (a device route)
  std::string dev;  // "" = let the kernel find it from the gateway
  int family = 0;   // 4 or 6; 0 = from TO or VIA (required for "default" without VIA)
  std::optional<uint32_t> metric;
  std::optional<uint32_t> table;  // default: main (254)
};

// Which routes list_routes reports.
struct RouteFilter {
  std::optional<uint32_t> table = 254;  // nullopt = every table (local and main included)
};

class NetlinkClient {
 public:
  // Remembers the calling thread's network namespace as "".
  static SysResult<std::unique_ptr<NetlinkClient>> open();
  ~NetlinkClient();
  NetlinkClient(const NetlinkClient&) = delete;
  NetlinkClient& operator=(const NetlinkClient&) = delete;

  // ---- creating links (NLM_F_CREATE | NLM_F_EXCL); GROUP 0 = the default group ----
  Status create_veth(const std::string& netns, const std::string& name,
                     const std::string& peer_name, const std::string& peer_netns,
                     uint32_t group = 0);
  // Any kind, as the plan step says (kinds and what each takes: schema/link_kinds.h). A kind with
  // a parent is asked of PARENT_NETNS (where PARENT is) and born in NETNS; a veth's peer is born
  // in PEER_NETNS. MODE: a word of the kind's registry entry; "" = the kernel's default.
  Status create_link(const plan::CreateLink& l);
  // One kind each (the kernel tests name kinds so): the same request as create_link.
  Status create_bridge(const std::string& netns, const std::string& name, uint32_t group = 0) {
    return create_link(request(plan::LinkKind::Bridge, "", "", netns, name, "", 0, group));
  }
  Status create_dummy(const std::string& netns, const std::string& name, uint32_t group = 0) {
    return create_link(request(plan::LinkKind::Dummy, "", "", netns, name, "", 0, group));
  }
  Status create_macvlan(const std::string& parent_netns, const std::string& parent, const std::string& netns,
                        const std::string& name, const std::string& mode, uint32_t group = 0) {
    return create_link(request(plan::LinkKind::Macvlan, parent_netns, parent, netns, name, mode, 0, group));
  }
  Status create_ipvlan(const std::string& parent_netns, const std::string& parent, const std::string& netns,
                       const std::string& name, const std::string& mode, uint32_t group = 0) {
    return create_link(request(plan::LinkKind::Ipvlan, parent_netns, parent, netns, name, mode, 0, group));
  }
  Status create_vlan(const std::string& parent_netns, const std::string& parent, const std::string& netns,
                     const std::string& name, uint16_t vlan_id, uint32_t group = 0) {
    return create_link(request(plan::LinkKind::Vlan, parent_netns, parent, netns, name, "", vlan_id, group));
  }

  // ---- changing links ----
  // Moves NAME from FROM_NETNS into TO_NETNS (costly: 30 ms of RCU grace periods); NEW_NAME
  // ("": none) renames it there in the same request (IFLA_IFNAME with the link's ifindex).
  Status move_link(const std::string& from_netns, const std::string& name,
                   const std::string& to_netns, const std::string& new_name = "");
  // Renames NAME in NETNS to NEW_NAME (EBUSY while it is up).
  Status rename_link(const std::string& netns, const std::string& name, const std::string& new_name);
  Status set_mtu(const std::string& netns, const std::string& dev, uint32_t mtu);
  Status set_mac(const std::string& netns, const std::string& dev, const std::string& mac);
  // MASTER "" = release DEV from its master (nomaster).
  Status set_master(const std::string& netns, const std::string& dev, const std::string& master);
  Status set_up(const std::string& netns, const std::string& dev);
  Status set_down(const std::string& netns, const std::string& dev);
  Status delete_link(const std::string& netns, const std::string& name);
  // One RTM_DELLINK with IFLA_GROUP: every link of GROUP in NETNS (veth peers elsewhere go too),
  // as `ip link del group N`. GROUP 0 (the default group: lo, eth0 ...) is refused (EINVAL).
  // A group with no link fails with ENODEV (the kernel's answer).
  Status delete_group(const std::string& netns, uint32_t group);

  // ---- addresses (CIDR "10.0.0.1/24", "fd00::1/64"; no prefix = /32 or /128) ----
  // NODAD: IFA_F_NODAD, the address is usable at once (IPv6; ignored for IPv4).
  Status add_address(const std::string& netns, const std::string& dev, const std::string& cidr,
                     bool nodad = false);
  Status del_address(const std::string& netns, const std::string& dev, const std::string& cidr);

  // ---- routes (protocol "boot" and scope as `ip route add` gives them) ----
  Status add_route(const RouteSpec& route);
  // Deletes the route matching TO, TABLE and, when given, VIA, DEV and METRIC.
  Status del_route(const RouteSpec& route);

  // ---- observation ----
  // Who link NAME in NETNS is: the inode of the namespace (checked against /run/netns/NAME) and
  // its ifindex. One RTM_GETLINK.
  struct LinkIdentity {
    uint64_t netns_inode = 0;
    int ifindex = 0;
  };
  SysResult<LinkIdentity> link_identity(const std::string& netns, const std::string& name);
  // Link NAME alone (one RTM_GETLINK; nullopt when there is none), its master named.
  SysResult<std::optional<LinkInfo>> get_link(const std::string& netns, const std::string& name);
  // The link of IFINDEX, whatever its name: the same request with ifi_index set (nullopt: none).
  SysResult<std::optional<LinkInfo>> get_link_by_ifindex(const std::string& netns, int ifindex);
  // The links NAMES, in their order (nullopt: none by that name): the requests pipelined, a window
  // of 256 in one sendmsg, so that asking for 1000 names costs a few system calls, not 2000.
  SysResult<std::vector<std::optional<LinkInfo>>> get_links(const std::string& netns, const std::vector<std::string>& names);
  // The addresses of link DEV (IFINDEX): a dump the kernel filters (NETLINK_GET_STRICT_CHK), so
  // its cost is DEV's addresses, not the namespace's.
  SysResult<std::vector<AddressInfo>> addresses_of(const std::string& netns, const std::string& dev, int ifindex);
  // The routes of TABLE through link DEV (IFINDEX), or all of TABLE for IFINDEX 0, filtered by
  // the kernel.
  SysResult<std::vector<RouteInfo>> routes_of(const std::string& netns, uint32_t table, const std::string& dev,
                                              int ifindex);
  // The links (ifindex, name) of link group GROUP. The kernel has no group filter for link dumps:
  // this reads every link of NETNS, but parses two attributes of each.
  SysResult<std::vector<std::pair<int, std::string>>> group_members(const std::string& netns, uint32_t group);
  // Whole-namespace dumps (for namespaces whose content is all the profile's, and for tests).
  SysResult<std::vector<LinkInfo>> list_links(const std::string& netns);
  SysResult<std::vector<AddressInfo>> list_addresses(const std::string& netns);
  SysResult<std::vector<RouteInfo>> list_routes(const std::string& netns,
                                                const RouteFilter& filter = {});
  // The three at once, from three dumps (list_addresses and list_routes make a link dump too,
  // to name the devices).
  SysResult<NamespaceContent> list_all(const std::string& netns);

  // Closes the socket into NETNS and the fd naming it, if open (lets a deleted namespace die; the
  // next request opens NETNS anew, e.g. a namespace made again under the same name).
  void forget(const std::string& netns);
  // Number of open sockets (one per namespace used).
  size_t socket_count() const;

  struct Impl;

 private:
  static plan::CreateLink request(plan::LinkKind kind, const std::string& parent_netns, const std::string& parent,
                                  const std::string& netns, const std::string& name, const std::string& mode,
                                  uint32_t vlan_id, uint32_t group) {
    return plan::CreateLink{netns, name, kind, group, parent, parent_netns, mode, vlan_id, "", "", {}, {}};
  }

  explicit NetlinkClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Interface names the kernel accepts: 1..15 bytes, not "." or "..", no '/', ':' or white space.
bool valid_ifname(const std::string& name);

}  // namespace nsplan::applier
