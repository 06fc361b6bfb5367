#include "applier/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <utility>

#include "applier/namespaces.h"
#include "applier/receive_buffer.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace nsplan::applier {

bool RouteInfo::kernel() const { return protocol == RTPROT_KERNEL; }

bool AddressInfo::usable() const { return (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0; }

bool valid_ifname(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (c == '/' || c == ':' || c == '\0' || std::isspace(c)) return false;
  return true;
}

namespace {

// ---- owning handles for libnl objects ----

struct LinkDel {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDel {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RouteDel {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrDel {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct CacheDel {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDel>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDel>;
using RoutePtr = std::unique_ptr<rtnl_route, RouteDel>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDel>;
using CachePtr = std::unique_ptr<nl_cache, CacheDel>;

// One socket into one network namespace.
struct Conn {
  nl_sock* sk = nullptr;
  int last_errno = 0;    // errno of the last NLMSG_ERROR answer
  std::string last_msg;  // its extended-ack message
  ~Conn() {
    if (sk) nl_socket_free(sk);
  }
  void reset() {
    last_errno = 0;
    last_msg.clear();
  }
};

// Keeps the kernel's errno (libnl maps it to a coarser NLE_* code) and its extended-ack text.
int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  c->last_errno = -e->error;
  auto* hdr = reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(e) - NLMSG_HDRLEN);
  if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) && hdr->nlmsg_len >= NLMSG_HDRLEN + sizeof(nlmsgerr)) {
    size_t payload = sizeof(nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
      payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
    const char* p = reinterpret_cast<const char*>(e) + NLMSG_ALIGN(payload);
    const char* end = reinterpret_cast<const char*>(hdr) + hdr->nlmsg_len;
    while (p + NLA_HDRLEN <= end) {
      const auto* a = reinterpret_cast<const nlattr*>(p);
      if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) break;
      if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
        const char* s = p + NLA_HDRLEN;
        c->last_msg.assign(s, strnlen(s, a->nla_len - NLA_HDRLEN));
      }
      p += NLA_ALIGN(a->nla_len);
    }
  }
  return NL_STOP;
}

// Errno for a libnl code when the kernel did not answer with one (a local libnl failure).
int nl_to_errno(int code) {
  switch (code < 0 ? -code : code) {
    case NLE_NOMEM: return ENOMEM;
    case NLE_INVAL:
    case NLE_MISSING_ATTR:
    case NLE_AF_MISMATCH:
    case NLE_PARSE_ERR: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_NOACCESS: return EACCES;
    case NLE_BUSY: return EBUSY;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_AGAIN: return EAGAIN;
    case NLE_INTR: return EINTR;
    case NLE_BAD_SOCK: return EBADF;
    case NLE_MSGSIZE: return EMSGSIZE;
    case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
    default: return EIO;
  }
}

// An address with optional prefix, parsed strictly (inet_pton).
struct Cidr {
  int af = 0;
  unsigned char bytes[16] = {};
  int prefix = 0;
  bool had_prefix = false;
};

bool parse_cidr(const std::string& s, Cidr& out) {
  std::string addr = s;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    addr = s.substr(0, slash);
    std::string p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3) return false;
    for (char ch : p)
      if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    out.prefix = std::stoi(p);
    out.had_prefix = true;
  }
  if (::inet_pton(AF_INET, addr.c_str(), out.bytes) == 1) {
    out.af = AF_INET;
  } else if (::inet_pton(AF_INET6, addr.c_str(), out.bytes) == 1) {
    out.af = AF_INET6;
  } else {
    return false;
  }
  int max = out.af == AF_INET ? 32 : 128;
  if (!out.had_prefix) out.prefix = max;
  return out.prefix >= 0 && out.prefix <= max;
}

NlAddrPtr to_nl_addr(const Cidr& c) {
  NlAddrPtr a(nl_addr_build(c.af, c.bytes, c.af == AF_INET ? 4 : 16));
  if (a) nl_addr_set_prefixlen(a.get(), c.prefix);
  return a;
}

std::string ntop(const nl_addr* a) {
  if (!a) return {};
  char buf[INET6_ADDRSTRLEN] = {};
  int af = nl_addr_get_family(a);
  if ((af != AF_INET && af != AF_INET6) ||
      nl_addr_get_len(a) != static_cast<unsigned>(af == AF_INET ? 4 : 16))
    return {};
  ::inet_ntop(af, nl_addr_get_binary_addr(a), buf, sizeof buf);
  return buf;
}

std::string link_name(nl_cache* links, int ifindex) {
  if (ifindex <= 0) return {};
  char buf[IFNAMSIZ + 1] = {};
  if (!rtnl_link_i2name(links, ifindex, buf, sizeof buf)) return std::to_string(ifindex);
  return buf;
}

// ---- what the applier sees of a libnl object; NAME_OF gives a link's name from its ifindex ----

template <class NameOf>
LinkInfo link_info(rtnl_link* l, NameOf name_of) {
  LinkInfo info;
  const char* name = rtnl_link_get_name(l);
  info.name = name ? name : "";
  const char* type = rtnl_link_get_type(l);
  info.kind = type ? type : "";
  info.mtu = rtnl_link_get_mtu(l);
  if (nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == 6) {
    char text[32];
    info.mac = nl_addr2str(a, text, sizeof text);
  }
  info.master = name_of(rtnl_link_get_master(l));
  info.up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
  info.group = rtnl_link_get_group(l);
  info.ifindex = rtnl_link_get_ifindex(l);
  return info;
}

template <class NameOf>
std::optional<AddressInfo> address_info(rtnl_addr* a, NameOf name_of) {
  int af = rtnl_addr_get_family(a);
  if (af != AF_INET && af != AF_INET6) return std::nullopt;
  std::string ip = ntop(rtnl_addr_get_local(a));
  if (ip.empty()) return std::nullopt;
  AddressInfo info;
  info.dev = name_of(rtnl_addr_get_ifindex(a));
  info.cidr = ip + "/" + std::to_string(rtnl_addr_get_prefixlen(a));
  info.family = af == AF_INET ? 4 : 6;
  info.scope = rtnl_addr_get_scope(a);
  info.flags = rtnl_addr_get_flags(a);
  return info;
}

template <class NameOf>
std::optional<RouteInfo> route_info(rtnl_route* r, NameOf name_of) {
  int af = rtnl_route_get_family(r);
  if (af != AF_INET && af != AF_INET6) return std::nullopt;
  RouteInfo info;
  info.family = af == AF_INET ? 4 : 6;
  info.table = rtnl_route_get_table(r);
  nl_addr* dst = rtnl_route_get_dst(r);
  unsigned plen = dst ? nl_addr_get_prefixlen(dst) : 0;
  if (!dst || plen == 0) {
    info.to = "default";
  } else {
    std::string ip = ntop(dst);
    info.to = ip.empty() ? "?" : ip + "/" + std::to_string(plen);
  }
  info.metric = rtnl_route_get_priority(r);
  info.protocol = rtnl_route_get_protocol(r);
  info.type = rtnl_route_get_type(r);
  if (rtnl_route_get_nnexthops(r) > 0) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    info.via = ntop(rtnl_route_nh_get_gateway(nh));
    info.dev = name_of(rtnl_route_nh_get_ifindex(nh));
  }
  return info;
}

// ---- the per-kind part of creating a link (kinds: schema/link_kinds.h) ----
// Only the kind (IFLA_INFO_KIND, which also selects libnl's module for the kind's attributes) and
// the kind's own settings differ; name, group, peer, parent and namespaces are set alike for all.

// A new link object of kind K (rtnl_link_macvlan_alloc and its siblings do the same).
SysResult<rtnl_link*> alloc_link(plan::LinkKind k) {
  rtnl_link* l = rtnl_link_alloc();
  if (!l) return SysError{ENOMEM, "", 0, {}};
  if (int rc = rtnl_link_set_type(l, plan::to_string(k)); rc < 0) {
    rtnl_link_put(l);
    return SysError{nl_to_errno(rc), nl_geterror(rc), rc, {}};
  }
  return l;
}

// A vxlan's settings (the underlay device is set where its ifindex is known: create_on_parent).
int set_vxlan_options(rtnl_link* l, const plan::VxlanSettings& v) {
  if (int rc = rtnl_link_vxlan_set_id(l, v.vni); rc < 0) return rc;
  // libnl sends IFLA_VXLAN_GROUP(6) for both: the kernel takes a unicast one as the remote end.
  for (const std::string* text : {&v.remote, &v.group}) {
    if (text->empty()) continue;
    nl_addr* a = nullptr;
    if (int rc = nl_addr_parse(text->c_str(), AF_UNSPEC, &a); rc < 0) return rc;
    NlAddrPtr guard(a);
    if (int rc = rtnl_link_vxlan_set_group(l, a); rc < 0) return rc;
  }
  if (!v.local.empty()) {
    nl_addr* a = nullptr;
    if (int rc = nl_addr_parse(v.local.c_str(), AF_UNSPEC, &a); rc < 0) return rc;
    NlAddrPtr guard(a);
    if (int rc = rtnl_link_vxlan_set_local(l, a); rc < 0) return rc;
  }
  if (int rc = rtnl_link_vxlan_set_port(l, v.port); rc < 0) return rc;  // host order: libnl swaps it
  if (v.ttl != 0) return rtnl_link_vxlan_set_ttl(l, v.ttl);
  return 0;
}

// The kind's own settings: the mode (a word of its registry entry; "" = the kernel's default),
// the vlan id, a vxlan's settings. Kinds without settings take none.
Status set_kind_options(rtnl_link* l, const plan::CreateLink& c) {
  int rc = 0;
  plan::LinkKind k = c.kind;
  if (k == plan::LinkKind::Vlan) {
    if (c.vlan_id == 0 || c.vlan_id > 4094)
      return SysError{EINVAL, "vlan id " + std::to_string(c.vlan_id) + " outside 1..4094", 0, {}};
    rc = rtnl_link_vlan_set_id(l, static_cast<uint16_t>(c.vlan_id));
  } else if (k == plan::LinkKind::Vxlan) {
    if (c.vxlan.vni == 0 || c.vxlan.vni > VXLAN_ID_MAX)
      return SysError{EINVAL, "vxlan vni " + std::to_string(c.vxlan.vni) + " outside 1..16777215", 0, {}};
    rc = set_vxlan_options(l, c.vxlan);
  } else if (!c.mode.empty() && (k == plan::LinkKind::Macvlan || k == plan::LinkKind::Ipvlan)) {
    const std::string& mode = c.mode;
    bool mac = k == plan::LinkKind::Macvlan;
    int m = mac ? rtnl_link_macvlan_str2mode(mode.c_str()) : rtnl_link_ipvlan_str2mode(mode.c_str());
    if (m < 0) return SysError{EINVAL, std::string("unknown ") + plan::to_string(k) + " mode '" + mode + "'", 0, {}};
    rc = mac ? rtnl_link_macvlan_set_mode(l, static_cast<uint32_t>(m)) : rtnl_link_ipvlan_set_mode(l, static_cast<uint16_t>(m));
  }
  if (rc < 0) return SysError{nl_to_errno(rc), nl_geterror(rc), rc, {}};
  return {};
}

std::string ns_label(const std::string& netns) {
  return netns.empty() ? std::string("the host namespace") : "netns '" + netns + "'";
}

SysError bad_name(const std::string& what, const std::string& name) {
  return SysError{
      EINVAL,
      what + ": invalid interface name '" + name + "' (1-15 bytes, no '/', ':' or space)",
      0,
      {}};
}

// One network namespace as the client knows it: an fd naming it (what IFLA_NET_NS_FD needs, and
// what a socket is opened through) and, once a request went there, a socket inside it. Both keep
// the namespace alive until forget().
struct Space {
  int fd = -1;
  bool owns_fd = false;  // false for "", whose fd belongs to Impl
  dev_t dev = 0;         // identity of the namespace FD names
  ino_t ino = 0;
  std::unique_ptr<Conn> conn;
  ~Space() {
    conn.reset();
    if (owns_fd && fd >= 0) ::close(fd);
  }
};

// Answers that carry objects (a dump, one link) have no size bound nsplan could rely on: without
// MSG_PEEK, libnl reads into its fixed buffer and a longer datagram is cut off, the rest lost.
// Peeking first costs a second recvmsg per datagram, so it is on only for those answers; acks
// (capped, a few hundred bytes at most) are read in one call.
class PeekWhileReading {
 public:
  explicit PeekWhileReading(nl_sock* sk) : sk_(sk) { nl_socket_enable_msg_peek(sk_); }
  ~PeekWhileReading() { nl_socket_disable_msg_peek(sk_); }
  PeekWhileReading(const PeekWhileReading&) = delete;
  PeekWhileReading& operator=(const PeekWhileReading&) = delete;

 private:
  nl_sock* sk_;
};

// Far larger than any ack. Also the most the kernel puts in one dump datagram (it sizes them
// after the reader's buffer, up to 32 KiB, or one message if that is longer): fewer datagrams.
constexpr size_t kReceiveBufferSize = 32 * 1024;

}  // namespace

struct NetlinkClient::Impl {
  int orig_fd = -1;  // the namespace "" stands for
  std::map<std::string, std::unique_ptr<Space>> spaces;

  ~Impl() {
    spaces.clear();
    if (orig_fd >= 0) ::close(orig_fd);
  }

  // How sure to be that /run/netns/NAME is still the namespace the client knows by that name.
  enum class Check {
    // Trust what the client knows: the applier forgets a namespace whenever it deletes or makes
    // one, so changes need no syscall of their own.
    Cached,
    // stat the path and reopen if it names another namespace now: for observations, which the
    // applier makes once per namespace and bases its decisions on.
    Identity,
  };

  // NETNS as the client knows it, opened on first use.
  SysResult<Space*> space(const std::string& netns, Check check) {
    auto it = spaces.find(netns);
    if (it != spaces.end() && (check == Check::Cached || netns.empty())) return it->second.get();
    if (!netns.empty() && !valid_netns_name(netns))
      return SysError{EINVAL, "network namespace '" + netns + "': invalid name", 0, {}};
    if (it != spaces.end()) {
      std::string path = netns_path(netns);
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) {
        SysError e = errno_error("network namespace '" + netns + "' (" + path + ")");
        spaces.erase(it);  // let the deleted namespace die
        return e;
      }
      if (it->second->dev == st.st_dev && it->second->ino == st.st_ino) return it->second.get();
      spaces.erase(it);  // the name now denotes another namespace
    }
    auto s = std::make_unique<Space>();
    if (netns.empty()) {
      s->fd = orig_fd;
    } else {
      SysResult<int> fd = open_netns(netns);
      if (!fd) return fd.error();
      s->fd = fd.value();
      s->owns_fd = true;
    }
    struct stat st;
    if (::fstat(s->fd, &st) != 0) return errno_error("stat " + ns_label(netns));
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    Space* raw = s.get();
    spaces[netns] = std::move(s);
    return raw;
  }

  // The socket into NETNS, connected on first use.
  SysResult<Conn*> conn(const std::string& netns, Check check = Check::Cached) {
    SysResult<Space*> found = space(netns, check);
    if (!found) return found.error();
    Space& s = *found.value();
    if (s.conn) return s.conn.get();

    auto c = std::make_unique<Conn>();
    c->sk = nl_socket_alloc();
    if (!c->sk) return SysError{ENOMEM, "nl_socket_alloc", 0, {}};
    int rc = 0;
    std::string what = "connect rtnetlink socket in " + ns_label(netns);
    struct stat here;
    bool same = ::stat("/proc/thread-self/ns/net", &here) == 0 && here.st_dev == s.dev &&
                here.st_ino == s.ino;
    if (same) {
      rc = nl_connect(c->sk, NETLINK_ROUTE);
    } else {
      Status st = run_in_netns_fd(s.fd, [&] { rc = nl_connect(c->sk, NETLINK_ROUTE); });
      if (!st) return st.error().wrap(what);
    }
    if (rc < 0) return SysError{nl_to_errno(rc), what + ": " + nl_geterror(rc), rc, {}};
    int one = 1;
    int sfd = nl_socket_get_fd(c->sk);
    // Extended acks give the kernel's reason ("Invalid MTU"); capped acks keep answers small.
    (void)::setsockopt(sfd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    (void)::setsockopt(sfd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    rc = nl_socket_set_msg_buf_size(c->sk, kReceiveBufferSize);
    if (rc < 0) return SysError{nl_to_errno(rc), what + ": " + nl_geterror(rc), rc, {}};
    // libnl's default socket buffer is 32 KiB: room for one message only. A link with many
    // attributes (alternative names) is longer, and the kernel then drops its answer (ENOBUFS).
    // 1 MiB, as ip(8) asks for.
    rc = nl_socket_set_buffer_size(c->sk, 1 << 20, 0);
    if (rc < 0) return SysError{nl_to_errno(rc), what + ": " + nl_geterror(rc), rc, {}};
    nl_socket_disable_msg_peek(c->sk);  // see PeekWhileReading
    nl_socket_modify_err_cb(c->sk, NL_CB_CUSTOM, on_error, c.get());
    s.conn = std::move(c);
    return s.conn.get();
  }

  // An fd naming NETNS for IFLA_NET_NS_FD; the client keeps it open until forget(NETNS).
  SysResult<int> ns_fd(const std::string& netns) {
    SysResult<Space*> s = space(netns, Check::Cached);
    if (!s) return s.error();
    return s.value()->fd;
  }

  static Status finish(Conn* c, int rc, const std::string& what) {
    if (rc >= 0) return {};
    SysError e;
    e.what = what;
    e.nl_code = rc;
    e.err = c->last_errno != 0 ? c->last_errno : nl_to_errno(rc);
    e.detail = c->last_msg;
    if (c->last_errno == 0) e.detail = nl_geterror(rc);
    return e;
  }

  // SIOCGIFINDEX on the connection's own socket, which asks the namespace the socket was made
  // in (one system call; an RTM_GETLINK is a request, an answer of ~1.5 KiB to parse and an ack).
  // The pending linkwatch work an RTM_GETLINK would also run is run once, after the last step, by
  // settle_links (kernel.h).
  SysResult<int> ifindex(Conn* c, const std::string& netns, const std::string& dev) {
    std::string what = "find link '" + dev + "' in " + ns_label(netns);
    if (!valid_ifname(dev)) return bad_name(what, dev);
    ifreq req{};
    std::memcpy(req.ifr_name, dev.data(), dev.size());  // valid_ifname: shorter than IFNAMSIZ
    if (::ioctl(nl_socket_get_fd(c->sk), SIOCGIFINDEX, &req) != 0) return errno_error(what);
    return req.ifr_ifindex;
  }
  Status add_link(const std::string& netns, rtnl_link* link, const std::string& what) {
    SysResult<Conn*> c = conn(netns);
    if (!c) return c.error().wrap(what);
    c.value()->reset();
    return finish(c.value(), rtnl_link_add(c.value()->sk, link, NLM_F_CREATE | NLM_F_EXCL), what);
  }

  // RTM_NEWLINK without NLM_F_CREATE on DEV (found by name): applies what FILL sets.
  template <class Fill>
  Status change(const std::string& netns, const std::string& dev, const std::string& what,
                Fill fill) {
    if (!valid_ifname(dev)) return bad_name(what, dev);
    SysResult<Conn*> c = conn(netns);
    if (!c) return c.error().wrap(what);
    LinkPtr orig(rtnl_link_alloc());
    LinkPtr changes(rtnl_link_alloc());
    if (!orig || !changes) return SysError{ENOMEM, what, 0, {}};
    rtnl_link_set_name(changes.get(), dev.c_str());
    if (Status s = fill(c.value(), changes.get()); !s) return s;
    c.value()->reset();
    return finish(c.value(), rtnl_link_change(c.value()->sk, orig.get(), changes.get(), 0), what);
  }

  // The same, naming DEV by its ifindex, so that FILL may give it a new name (IFLA_IFNAME).
  template <typename Fill>
  Status change_by_index(const std::string& netns, const std::string& dev, const std::string& what, Fill fill) {
    if (!valid_ifname(dev)) return bad_name(what, dev);
    SysResult<Conn*> c = conn(netns);
    if (!c) return c.error().wrap(what);
    SysResult<int> idx = ifindex(c.value(), netns, dev);
    if (!idx) return idx.error().wrap(what);
    LinkPtr orig(rtnl_link_alloc());
    LinkPtr changes(rtnl_link_alloc());
    if (!orig || !changes) return SysError{ENOMEM, what, 0, {}};
    rtnl_link_set_ifindex(orig.get(), idx.value());
    if (Status s = fill(c.value(), changes.get()); !s) return s;
    c.value()->reset();
    return finish(c.value(), rtnl_link_change(c.value()->sk, orig.get(), changes.get(), 0), what);
  }

  // A kind with a parent (macvlan / ipvlan / vlan): asked of PARENT_NETNS, born in NETNS.
  Status create_on_parent(const plan::CreateLink& l) {
    std::string what = std::string("create ") + plan::to_string(l.kind) + " '" + l.name + "' on '" + l.parent +
                       "' (" + ns_label(l.parent_netns) + ") in " + ns_label(l.netns);
    SysResult<rtnl_link*> made = alloc_link(l.kind);
    if (!made) return made.error().wrap(what);
    LinkPtr guard(made.value());
    rtnl_link* link = made.value();
    const std::string& parent_netns = l.parent_netns;
    const std::string& netns = l.netns;
    if (!valid_ifname(l.name)) return bad_name(what, l.name);
    SysResult<Conn*> c = conn(parent_netns);
    if (!c) return c.error().wrap(what);
    SysResult<int> idx = ifindex(c.value(), parent_netns, l.parent);
    if (!idx) return idx.error().wrap(what);
    rtnl_link_set_name(link, l.name.c_str());
    if (Status s = set_kind_options(link, l); !s) return s.error().wrap(what);
    // A vxlan's parent is its underlay (IFLA_VXLAN_LINK; it ignores IFLA_LINK).
    if (link_kind(l.kind).underlay)
      rtnl_link_vxlan_set_link(link, static_cast<uint32_t>(idx.value()));
    else
      rtnl_link_set_link(link, idx.value());
    if (l.group != 0) rtnl_link_set_group(link, l.group);
    if (netns != parent_netns) {
      SysResult<int> fd = ns_fd(netns);
      if (!fd) return fd.error().wrap(what);
      rtnl_link_set_ns_fd(link, fd.value());
    }
    c.value()->reset();
    return finish(c.value(), rtnl_link_add(c.value()->sk, link, NLM_F_CREATE | NLM_F_EXCL), what);
  }

  Status address(bool add, const std::string& netns, const std::string& dev,
                 const std::string& cidr, bool nodad = false) {
    std::string what = std::string(add ? "add" : "delete") + " address " + cidr + " on '" + dev +
                       "' in " + ns_label(netns);
    Cidr parsed;
    if (!parse_cidr(cidr, parsed) || parsed.prefix == 0)
      return SysError{EINVAL, what + ": not an address with prefix length 1..32 / 1..128", 0, {}};
    SysResult<Conn*> c = conn(netns);
    if (!c) return c.error().wrap(what);
    SysResult<int> idx = ifindex(c.value(), netns, dev);
    if (!idx) return idx.error().wrap(what);
    AddrPtr a(rtnl_addr_alloc());
    NlAddrPtr local = to_nl_addr(parsed);
    if (!a || !local) return SysError{ENOMEM, what, 0, {}};
    rtnl_addr_set_ifindex(a.get(), idx.value());
    if (nodad) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    int rc = rtnl_addr_set_local(a.get(), local.get());
    if (rc < 0) return SysError{nl_to_errno(rc), what + ": " + nl_geterror(rc), rc, {}};
    c.value()->reset();
    rc = add ? rtnl_addr_add(c.value()->sk, a.get(), NLM_F_CREATE | NLM_F_EXCL)
             : rtnl_addr_delete(c.value()->sk, a.get(), 0);
    return finish(c.value(), rc, what);
  }

  Status route(bool add, const RouteSpec& spec) {
    std::string what = std::string(add ? "add" : "delete") + " route " + spec.to +
                       (spec.via.empty() ? "" : " via " + spec.via) +
                       (spec.dev.empty() ? "" : " dev " + spec.dev) + " in " + ns_label(spec.netns);
    int af = spec.family == 4 ? AF_INET : spec.family == 6 ? AF_INET6 : AF_UNSPEC;
    if (spec.family != 0 && af == AF_UNSPEC)
      return SysError{EINVAL, what + ": family must be 4 or 6", 0, {}};
    Cidr dst, gw;
    bool is_default = spec.to == "default";
    if (!is_default) {
      if (!parse_cidr(spec.to, dst)) return SysError{EINVAL, what + ": bad destination", 0, {}};
      if (af != AF_UNSPEC && af != dst.af)
        return SysError{EINVAL, what + ": destination of the other address family", 0, {}};
      af = dst.af;
    }
    if (!spec.via.empty()) {
      if (!parse_cidr(spec.via, gw) || gw.had_prefix)
        return SysError{EINVAL, what + ": bad gateway", 0, {}};
      if (af != AF_UNSPEC && af != gw.af)
        return SysError{EINVAL, what + ": gateway of the other address family", 0, {}};
      af = gw.af;
    }
    if (af == AF_UNSPEC) return SysError{EINVAL, what + ": address family unknown", 0, {}};
    if (is_default) {
      dst = Cidr{};
      dst.af = af;
      dst.prefix = 0;
    }
    SysResult<Conn*> c = conn(spec.netns);
    if (!c) return c.error().wrap(what);
    int oif = 0;
    if (!spec.dev.empty()) {
      SysResult<int> idx = ifindex(c.value(), spec.netns, spec.dev);
      if (!idx) return idx.error().wrap(what);
      oif = idx.value();
    }
    RoutePtr r(rtnl_route_alloc());
    NlAddrPtr dst_addr = to_nl_addr(dst);
    if (!r || !dst_addr) return SysError{ENOMEM, what, 0, {}};
    rtnl_route_set_family(r.get(), static_cast<uint8_t>(af));
    int rc = rtnl_route_set_dst(r.get(), dst_addr.get());
    if (rc < 0) return SysError{nl_to_errno(rc), what + ": " + nl_geterror(rc), rc, {}};
    rtnl_route_set_table(r.get(), spec.table.value_or(RT_TABLE_MAIN));
    if (spec.metric) rtnl_route_set_priority(r.get(), *spec.metric);
    if (add) {
      rtnl_route_set_protocol(r.get(), RTPROT_BOOT);  // as `ip route add`
    } else {
      rtnl_route_set_protocol(r.get(), RTPROT_UNSPEC);  // delete whatever made it
      rtnl_route_set_scope(r.get(), RT_SCOPE_NOWHERE);  // any scope
    }
    if (oif != 0 || !spec.via.empty()) {
      rtnl_nexthop* nh = rtnl_route_nh_alloc();
      if (!nh) return SysError{ENOMEM, what, 0, {}};
      if (oif != 0) rtnl_route_nh_set_ifindex(nh, oif);
      if (!spec.via.empty()) {
        NlAddrPtr g = to_nl_addr(gw);
        if (!g) {
          rtnl_route_nh_free(nh);
          return SysError{ENOMEM, what, 0, {}};
        }
        rtnl_route_nh_set_gateway(nh, g.get());
      }
      rtnl_route_add_nexthop(r.get(), nh);  // the route owns it now
    }
    c.value()->reset();
    rc = add ? rtnl_route_add(c.value()->sk, r.get(), NLM_F_CREATE | NLM_F_EXCL)
             : rtnl_route_delete(c.value()->sk, r.get(), 0);
    return finish(c.value(), rc, what);
  }

  // A dump that the kernel filters by what MSG asks (NETLINK_GET_STRICT_CHK, on for this request
  // only: the requests of libnl's own dumps are not all ones the strict check accepts). Each
  // message of the answer goes to ON. Takes MSG.
  using OnMessage = std::function<void(nl_msg*)>;
  static int on_message(nl_msg* m, void* arg) {
    (*static_cast<const OnMessage*>(arg))(m);
    return NL_OK;
  }
  static Status filtered_dump(Conn* c, nl_msg* msg, const std::string& what, const OnMessage& on) {
    int fd = nl_socket_get_fd(c->sk);
    int on_off = 1;
    // A kernel without it (before 4.20) ignores the filters and answers with everything: the
    // callers filter again, so the answer is right, only longer.
    (void)::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on_off, sizeof on_off);
    c->reset();
    int rc = nl_send_auto(c->sk, msg);
    nlmsg_free(msg);
    if (rc >= 0) {
      PeekWhileReading peek(c->sk);
      nl_cb* orig = nl_socket_get_cb(c->sk);
      nl_cb* cb = nl_cb_clone(orig);  // keeps on_error
      nl_cb_put(orig);
      if (!cb) {
        rc = -NLE_NOMEM;
      } else {
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_message, const_cast<OnMessage*>(&on));
        rc = nl_recvmsgs(c->sk, cb);
        nl_cb_put(cb);
      }
    }
    on_off = 0;
    (void)::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on_off, sizeof on_off);
    return finish(c, rc, what);
  }
  // A dump the kernel marks interrupted (objects made or deleted meanwhile: other profiles'
  // applies and destroys) is inconsistent, not an error of this host: it is asked again, a few
  // times. MAKE builds the request (null: it could not), RESTART forgets a partial answer.
  static Status consistent_dump(Conn* c, const std::function<nl_msg*()>& make, const std::string& what, const OnMessage& on,
                                const std::function<void()>& restart) {
    for (int attempt = 0;; ++attempt) {
      nl_msg* msg = make();
      if (!msg) return SysError{EMSGSIZE, what + ": building the request", 0, {}};
      restart();
      Status s = filtered_dump(c, msg, what, on);
      if (s || s.error().nl_code != -NLE_DUMP_INTR || attempt == 4) return s;
    }
  }
  // Each libnl object in message M (an address, a route) to ON.
  template <class On>
  static void parse_objects(nl_msg* m, On& on) {
    nl_msg_parse(
        m, [](nl_object* o, void* arg) { (*static_cast<On*>(arg))(o); }, &on);
  }
  // Link IFINDEX's name, asked of the kernel once per call site (NAMES remembers).
  std::string name_by_index(Conn* c, int ifindex, std::map<int, std::string>& names) {
    if (ifindex <= 0) return {};
    auto it = names.find(ifindex);
    if (it != names.end()) return it->second;
    rtnl_link* l = nullptr;
    std::string name = std::to_string(ifindex);
    {
      PeekWhileReading peek(c->sk);
      if (rtnl_link_get_kernel(c->sk, ifindex, nullptr, &l) >= 0 && l) {
        if (const char* n = rtnl_link_get_name(l)) name = n;
        rtnl_link_put(l);
      }
    }
    return names[ifindex] = name;
  }

  // One RTM_GETLINK, no dump: the link of IFINDEX (ifi_index) when it is above 0, else the link
  // NAME (IFLA_IFNAME); nullopt when the kernel answers ENODEV. Its master named.
  SysResult<std::optional<LinkInfo>> get_one(const std::string& netns, int ifindex, const std::string& name,
                                             const std::string& what) {
    SysResult<Conn*> c = conn(netns, Check::Identity);
    if (!c) return c.error().wrap(what);
    rtnl_link* l = nullptr;
    c.value()->reset();
    int rc = 0;
    {
      PeekWhileReading peek(c.value()->sk);
      rc = rtnl_link_get_kernel(c.value()->sk, ifindex, ifindex > 0 ? nullptr : name.c_str(), &l);
    }
    if (rc < 0) {
      Status s = finish(c.value(), rc, what);
      if (s.err() == ENODEV) return std::optional<LinkInfo>();
      return s.error();
    }
    LinkPtr guard(l);
    std::map<int, std::string> names;
    return std::optional<LinkInfo>(link_info(l, [&](int i) { return name_by_index(c.value(), i, names); }));
  }

  // What of a namespace to dump. The link dump is always made: the addresses and routes name
  // their devices from it.
  struct Dump {
    bool links, addresses, routes;
  };
  SysResult<NamespaceContent> dump(const std::string& netns, Dump what_to) {
    std::string what = std::string("list ") +
                       (what_to.addresses && what_to.routes ? "links, addresses and routes"
                        : what_to.addresses                 ? "addresses"
                        : what_to.routes                    ? "routes"
                                                            : "links") +
                       " in " + ns_label(netns);
    SysResult<Conn*> c = conn(netns, Check::Identity);
    if (!c) return c.error().wrap(what);
    SysResult<CachePtr> links = link_cache(c.value(), what);
    if (!links) return links.error();
    NamespaceContent out;
    nl_cache* lc = links.value().get();
    auto name_of = [&](int i) { return link_name(lc, i); };
    if (what_to.links)
      for (nl_object* o = nl_cache_get_first(lc); o; o = nl_cache_get_next(o))
        out.links.push_back(link_info(reinterpret_cast<rtnl_link*>(o), name_of));
    nl_cache* raw = nullptr;
    int rc = 0;
    if (what_to.addresses) {
      c.value()->reset();
      {
        PeekWhileReading peek(c.value()->sk);
        rc = rtnl_addr_alloc_cache(c.value()->sk, &raw);
      }
      if (rc < 0) return finish(c.value(), rc, what).error();
      CachePtr addrs(raw);
      for (nl_object* o = nl_cache_get_first(addrs.get()); o; o = nl_cache_get_next(o))
        if (auto info = address_info(reinterpret_cast<rtnl_addr*>(o), name_of)) out.addresses.push_back(std::move(*info));
    }
    if (what_to.routes) {
      raw = nullptr;
      c.value()->reset();
      {
        PeekWhileReading peek(c.value()->sk);
        rc = rtnl_route_alloc_cache(c.value()->sk, AF_UNSPEC, 0, &raw);
      }
      if (rc < 0) return finish(c.value(), rc, what).error();
      CachePtr routes(raw);
      for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o))
        if (auto info = route_info(reinterpret_cast<rtnl_route*>(o), name_of)) out.routes.push_back(std::move(*info));
    }
    return out;
  }

  SysResult<CachePtr> link_cache(Conn* c, const std::string& what) {
    nl_cache* cache = nullptr;
    c->reset();
    PeekWhileReading peek(c->sk);
    int rc = rtnl_link_alloc_cache(c->sk, AF_UNSPEC, &cache);
    if (rc < 0) return finish(c, rc, what).error();
    return CachePtr(cache);
  }
};

NetlinkClient::NetlinkClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NetlinkClient::~NetlinkClient() = default;

SysResult<std::unique_ptr<NetlinkClient>> NetlinkClient::open() {
  auto impl = std::make_unique<Impl>();
  impl->orig_fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (impl->orig_fd < 0) return errno_error("open /proc/thread-self/ns/net");
  return std::unique_ptr<NetlinkClient>(new NetlinkClient(std::move(impl)));
}

void NetlinkClient::forget(const std::string& netns) { impl_->spaces.erase(netns); }

size_t NetlinkClient::socket_count() const {
  size_t n = 0;
  for (const auto& [name, space] : impl_->spaces)
    if (space->conn) ++n;
  return n;
}

Status NetlinkClient::create_veth(const std::string& netns, const std::string& name,
                                  const std::string& peer_name, const std::string& peer_netns,
                                  uint32_t group) {
  std::string what = "create veth '" + name + "' in " + ns_label(netns) + " with peer '" +
                     peer_name + "' in " + ns_label(peer_netns);
  if (!valid_ifname(name)) return bad_name(what, name);
  if (!valid_ifname(peer_name)) return bad_name(what, peer_name);
  // Not alloc_link: older libnl makes the peer object in rtnl_link_veth_alloc only.
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) return SysError{ENOMEM, what, 0, {}};
  rtnl_link_set_name(link.get(), name.c_str());
  if (group != 0) rtnl_link_set_group(link.get(), group);
  // rtnl_link_veth_get_peer takes a reference on the peer (owned through the veth object):
  // drop ours with rtnl_link_put; freeing the veth frees the peer.
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
  if (!peer) return SysError{ENOMEM, what, 0, {}};
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  if (peer_netns != netns) {
    SysResult<int> fd = impl_->ns_fd(peer_netns);
    if (!fd) return fd.error().wrap(what);
    rtnl_link_set_ns_fd(peer.get(), fd.value());  // the peer is born in its namespace
  }
  return impl_->add_link(netns, link.get(), what);
}

Status NetlinkClient::create_link(const plan::CreateLink& l) {
  const LinkKindInfo& k = link_kind(l.kind);
  if (k.peer) return create_veth(l.netns, l.name, l.peer_name, l.peer_netns, l.group);
  if (k.parent && !l.parent.empty()) return impl_->create_on_parent(l);
  std::string what = std::string("create ") + k.name.data() + " '" + l.name + "' in " + ns_label(l.netns);
  if (!valid_ifname(l.name)) return bad_name(what, l.name);
  SysResult<rtnl_link*> made = alloc_link(l.kind);
  if (!made) return made.error().wrap(what);
  LinkPtr link(made.value());
  rtnl_link_set_name(link.get(), l.name.c_str());
  if (l.group != 0) rtnl_link_set_group(link.get(), l.group);
  if (Status s = set_kind_options(link.get(), l); !s) return s.error().wrap(what);
  Status made_link = impl_->add_link(l.netns, link.get(), what);
  // A kernel without the kind's module answers "Unknown device type" (EOPNOTSUPP).
  if (!made_link && made_link.error().err == EOPNOTSUPP)
    return SysError{EOPNOTSUPP, what + ": the kernel has no " + std::string(k.name) + " (no module for the kind)", 0, {}};
  return made_link;
}

Status NetlinkClient::move_link(const std::string& from_netns, const std::string& name,
                                const std::string& to_netns, const std::string& new_name) {
  std::string what = "move link '" + name + "' from " + ns_label(from_netns) + " to " + ns_label(to_netns) +
                     (new_name.empty() ? "" : " as '" + new_name + "'");
  if (from_netns == to_netns) return SysError{EINVAL, what + ": same namespace", 0, {}};
  if (!new_name.empty() && !valid_ifname(new_name)) return SysError{EINVAL, what + ": not an interface name", 0, {}};
  SysResult<int> fd = impl_->ns_fd(to_netns);
  if (!fd) return fd.error().wrap(what);
  if (new_name.empty() || new_name == name)
    return impl_->change(from_netns, name, what, [&](Conn*, rtnl_link* ch) -> Status {
      rtnl_link_set_ns_fd(ch, fd.value());
      return {};
    });
  // By ifindex, with the new name as IFLA_IFNAME: one RTM_NEWLINK moves and renames.
  return impl_->change_by_index(from_netns, name, what, [&](Conn*, rtnl_link* ch) -> Status {
    rtnl_link_set_ns_fd(ch, fd.value());
    rtnl_link_set_name(ch, new_name.c_str());
    return {};
  });
}

Status NetlinkClient::rename_link(const std::string& netns, const std::string& name, const std::string& new_name) {
  std::string what = "rename link '" + name + "' in " + ns_label(netns) + " to '" + new_name + "'";
  if (!valid_ifname(new_name)) return SysError{EINVAL, what + ": not an interface name", 0, {}};
  return impl_->change_by_index(netns, name, what, [&](Conn*, rtnl_link* ch) -> Status {
    rtnl_link_set_name(ch, new_name.c_str());
    return {};
  });
}

Status NetlinkClient::set_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) {
  std::string what = "set mtu " + std::to_string(mtu) + " on '" + dev + "' in " + ns_label(netns);
  return impl_->change(netns, dev, what, [&](Conn*, rtnl_link* ch) -> Status {
    rtnl_link_set_mtu(ch, mtu);
    return {};
  });
}

Status NetlinkClient::set_mac(const std::string& netns, const std::string& dev, const std::string& mac) {
  std::string what = "set address " + mac + " on '" + dev + "' in " + ns_label(netns);
  nl_addr* parsed = nullptr;
  if (nl_addr_parse(mac.c_str(), AF_LLC, &parsed) < 0 || !parsed || nl_addr_get_len(parsed) != 6) {
    if (parsed) nl_addr_put(parsed);
    return SysError{EINVAL, what + ": not a MAC address", 0, {}};
  }
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> addr(parsed, &nl_addr_put);
  return impl_->change(netns, dev, what, [&](Conn*, rtnl_link* ch) -> Status {
    rtnl_link_set_addr(ch, addr.get());
    return {};
  });
}

Status NetlinkClient::set_master(const std::string& netns, const std::string& dev,
                                 const std::string& master) {
  std::string what = (master.empty() ? "release '" + dev + "' from its master"
                                     : "set master of '" + dev + "' to '" + master + "'") +
                     " in " + ns_label(netns);
  return impl_->change(netns, dev, what, [&](Conn* c, rtnl_link* ch) -> Status {
    int idx = 0;
    if (!master.empty()) {
      SysResult<int> m = impl_->ifindex(c, netns, master);
      if (!m) return m.error();
      idx = m.value();
    }
    rtnl_link_set_master(ch, idx);
    return {};
  });
}

Status NetlinkClient::set_up(const std::string& netns, const std::string& dev) {
  return impl_->change(netns, dev, "set '" + dev + "' up in " + ns_label(netns),
                       [](Conn*, rtnl_link* ch) -> Status {
                         rtnl_link_set_flags(ch, IFF_UP);
                         return {};
                       });
}

Status NetlinkClient::set_down(const std::string& netns, const std::string& dev) {
  return impl_->change(netns, dev, "set '" + dev + "' down in " + ns_label(netns),
                       [](Conn*, rtnl_link* ch) -> Status {
                         rtnl_link_unset_flags(ch, IFF_UP);
                         return {};
                       });
}

Status NetlinkClient::delete_link(const std::string& netns, const std::string& name) {
  std::string what = "delete link '" + name + "' in " + ns_label(netns);
  if (!valid_ifname(name)) return bad_name(what, name);
  SysResult<Conn*> c = impl_->conn(netns);
  if (!c) return c.error().wrap(what);
  LinkPtr link(rtnl_link_alloc());
  if (!link) return SysError{ENOMEM, what, 0, {}};
  rtnl_link_set_name(link.get(), name.c_str());
  c.value()->reset();
  return Impl::finish(c.value(), rtnl_link_delete(c.value()->sk, link.get()), what);
}

Status NetlinkClient::delete_group(const std::string& netns, uint32_t group) {
  std::string what = "delete link group " + std::to_string(group) + " in " + ns_label(netns);
  if (group == 0)
    return SysError{EINVAL, what + ": group 0 is the default group of every link", 0, {}};
  SysResult<Conn*> c = impl_->conn(netns);
  if (!c) return c.error().wrap(what);
  nl_msg* msg = nlmsg_alloc_simple(RTM_DELLINK, 0);
  if (!msg) return SysError{ENOMEM, what, 0, {}};
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg, IFLA_GROUP, group) < 0) {
    nlmsg_free(msg);
    return SysError{EMSGSIZE, what, 0, {}};
  }
  c.value()->reset();
  return Impl::finish(c.value(), nl_send_sync(c.value()->sk, msg), what);  // frees msg
}

Status NetlinkClient::add_address(const std::string& netns, const std::string& dev,
                                  const std::string& cidr, bool nodad) {
  return impl_->address(true, netns, dev, cidr, nodad);
}

Status NetlinkClient::del_address(const std::string& netns, const std::string& dev,
                                  const std::string& cidr) {
  return impl_->address(false, netns, dev, cidr);
}

Status NetlinkClient::add_route(const RouteSpec& route) { return impl_->route(true, route); }

Status NetlinkClient::del_route(const RouteSpec& route) { return impl_->route(false, route); }

SysResult<NetlinkClient::LinkIdentity> NetlinkClient::link_identity(const std::string& netns, const std::string& name) {
  std::string what = "identify link '" + name + "' in " + ns_label(netns);
  SysResult<Space*> space = impl_->space(netns, Impl::Check::Identity);
  if (!space) return space.error().wrap(what);
  SysResult<Conn*> c = impl_->conn(netns);
  if (!c) return c.error().wrap(what);
  SysResult<int> idx = impl_->ifindex(c.value(), netns, name);
  if (!idx) return idx.error();
  return LinkIdentity{static_cast<uint64_t>(space.value()->ino), idx.value()};
}

SysResult<std::optional<LinkInfo>> NetlinkClient::get_link(const std::string& netns, const std::string& name) {
  std::string what = "look up link '" + name + "' in " + ns_label(netns);
  if (!valid_ifname(name)) return bad_name(what, name);
  return impl_->get_one(netns, 0, name, what);
}

SysResult<std::optional<LinkInfo>> NetlinkClient::get_link_by_ifindex(const std::string& netns, int ifindex) {
  std::string what = "look up link of ifindex " + std::to_string(ifindex) + " in " + ns_label(netns);
  // libnl would send a request naming no link; the kernel has no link of index 0 or below.
  if (ifindex <= 0) return SysError{EINVAL, what + ": not an ifindex", 0, {}};
  return impl_->get_one(netns, ifindex, "", what);
}

SysResult<std::vector<std::optional<LinkInfo>>> NetlinkClient::get_links(const std::string& netns,
                                                                      const std::vector<std::string>& names) {
  std::string what = "look up " + std::to_string(names.size()) + " links in " + ns_label(netns);
  for (const auto& n : names)
    if (!valid_ifname(n)) return bad_name(what, n);
  SysResult<Conn*> c = impl_->conn(netns, Impl::Check::Identity);
  if (!c) return c.error().wrap(what);
  int fd = nl_socket_get_fd(c.value()->sk);
  std::vector<std::optional<LinkInfo>> out(names.size());
  std::vector<int> masters(names.size(), 0);
  // Requests go out in windows, each in one sendmsg, their answers read before the next window:
  // one answer per request (the link, or an error), and a window's answers (~1.5 kB per link
  // found) fit in the socket's 1 MiB receive buffer.
  constexpr size_t kWindow = 256;
  // Not zeroed: recv writes what it reads, and zeroing 64 KiB faulted in 16 fresh pages at each
  // call (docs/performance.md).
  ReceiveBuffer buf(64 * 1024);
  const uint32_t base_seq = 0x4e530000;  // apart from libnl's own sequence numbers
  for (size_t first = 0; first < names.size(); first += kWindow) {
    size_t last = std::min(names.size(), first + kWindow);
    std::string req;
    for (size_t i = first; i < last; ++i) {
      size_t name_len = names[i].size() + 1;
      size_t len = NLMSG_LENGTH(sizeof(ifinfomsg)) + RTA_SPACE(name_len);
      std::string m(NLMSG_ALIGN(len), '\0');
      auto* h = reinterpret_cast<nlmsghdr*>(m.data());
      h->nlmsg_len = static_cast<uint32_t>(len);
      h->nlmsg_type = RTM_GETLINK;
      h->nlmsg_flags = NLM_F_REQUEST;
      h->nlmsg_seq = base_seq + static_cast<uint32_t>(i);
      auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      ifi->ifi_family = AF_UNSPEC;
      auto* a = reinterpret_cast<rtattr*>(m.data() + NLMSG_LENGTH(sizeof(ifinfomsg)));
      a->rta_type = IFLA_IFNAME;
      a->rta_len = static_cast<unsigned short>(RTA_LENGTH(name_len));
      std::memcpy(RTA_DATA(a), names[i].c_str(), name_len);
      req += m;
    }
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
      return errno_error(what);
    size_t pending = last - first;
    while (pending > 0) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_TRUNC);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error(what);
      if (static_cast<size_t>(n) > buf.size()) return SysError{EMSGSIZE, what + ": an answer longer than 64 KiB", 0, {}};
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_seq < base_seq + first || h->nlmsg_seq >= base_seq + last) continue;  // not ours
        size_t i = h->nlmsg_seq - base_seq;
        --pending;
        if (h->nlmsg_type == NLMSG_ERROR) {
          const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
          if (e->error == -ENODEV) continue;
          return SysError{-e->error, "look up link '" + names[i] + "' in " + ns_label(netns) + ": " + std::strerror(-e->error), 0, {}};
        }
        if (h->nlmsg_type != RTM_NEWLINK) continue;
        nl_msg* msg = nlmsg_convert(h);
        if (!msg) return SysError{ENOMEM, what, 0, {}};
        nlmsg_set_proto(msg, NETLINK_ROUTE);  // libnl finds the parser by protocol and type
        auto keep = [&](nl_object* o) {
          auto* l = reinterpret_cast<rtnl_link*>(o);
          masters[i] = rtnl_link_get_master(l);
          out[i] = link_info(l, [](int) { return std::string(); });
        };
        Impl::parse_objects(msg, keep);
        nlmsg_free(msg);
      }
    }
  }
  // Masters by name: most are among the links just read.
  std::map<int, std::string> names_by_index;
  for (const auto& l : out)
    if (l) names_by_index[l->ifindex] = l->name;
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] && masters[i] > 0) out[i]->master = impl_->name_by_index(c.value(), masters[i], names_by_index);
  return out;
}

SysResult<std::vector<AddressInfo>> NetlinkClient::addresses_of(const std::string& netns, const std::string& dev,
                                                                int ifindex) {
  std::string what = "list addresses of '" + dev + "' in " + ns_label(netns);
  SysResult<Conn*> c = impl_->conn(netns, Impl::Check::Identity);
  if (!c) return c.error().wrap(what);
  auto make = [ifindex]() -> nl_msg* {
    nl_msg* msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
    if (!msg) return nullptr;
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_UNSPEC;
    ifa.ifa_index = static_cast<uint32_t>(ifindex);  // the kernel dumps this link's addresses only
    if (nlmsg_append(msg, &ifa, sizeof ifa, NLMSG_ALIGNTO) < 0) {
      nlmsg_free(msg);
      return nullptr;
    }
    return msg;
  };
  std::vector<AddressInfo> out;
  auto keep = [&](nl_object* o) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != ifindex) return;
    if (auto info = address_info(a, [&](int) { return dev; })) out.push_back(std::move(*info));
  };
  Status s = Impl::consistent_dump(c.value(), make, what, [&](nl_msg* m) { Impl::parse_objects(m, keep); }, [&] { out.clear(); });
  if (!s) return s.error();
  return out;
}

SysResult<std::vector<RouteInfo>> NetlinkClient::routes_of(const std::string& netns, uint32_t table,
                                                           const std::string& dev, int ifindex) {
  std::string what = "list routes" + (dev.empty() ? std::string() : " of '" + dev + "'") + " in table " +
                     std::to_string(table) + " of " + ns_label(netns);
  SysResult<Conn*> c = impl_->conn(netns, Impl::Check::Identity);
  if (!c) return c.error().wrap(what);
  auto make = [table, ifindex]() -> nl_msg* {
    nl_msg* msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
    if (!msg) return nullptr;
    rtmsg rtm{};
    rtm.rtm_family = AF_UNSPEC;
    // The kernel dumps TABLE only (0: every table), and of it the routes through IFINDEX if given.
    if (nlmsg_append(msg, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 || (table != 0 && nla_put_u32(msg, RTA_TABLE, table) < 0) ||
        (ifindex > 0 && nla_put_u32(msg, RTA_OIF, static_cast<uint32_t>(ifindex)) < 0)) {
      nlmsg_free(msg);
      return nullptr;
    }
    return msg;
  };
  std::vector<RouteInfo> out;
  std::vector<std::pair<size_t, int>> unnamed;  // (route, ifindex) named after the dump
  auto keep = [&](nl_object* o) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    int oif = 0;
    auto info = route_info(r, [&](int i) {
      oif = i;
      return i == ifindex ? dev : std::string();
    });
    if (!info || (table != 0 && info->table != table)) return;
    if (ifindex > 0 && oif != ifindex) return;
    if (oif > 0 && info->dev.empty()) unnamed.emplace_back(out.size(), oif);
    out.push_back(std::move(*info));
  };
  Status s = Impl::consistent_dump(c.value(), make, what, [&](nl_msg* m) { Impl::parse_objects(m, keep); }, [&] {
    out.clear();
    unnamed.clear();
  });
  if (!s) return s.error();
  std::map<int, std::string> names;
  for (const auto& [at, oif] : unnamed) out[at].dev = impl_->name_by_index(c.value(), oif, names);
  return out;
}

SysResult<std::vector<std::pair<int, std::string>>> NetlinkClient::group_members(const std::string& netns,
                                                                                 uint32_t group) {
  std::string what = "list the links of group " + std::to_string(group) + " in " + ns_label(netns);
  SysResult<Conn*> c = impl_->conn(netns, Impl::Check::Identity);
  if (!c) return c.error().wrap(what);
  // The kernel cannot filter a link dump by group: read every link, but only two attributes of
  // each (no libnl object is made of the other links).
  std::vector<std::pair<int, std::string>> out;
  auto keep = [&](nl_msg* m) {
    nlmsghdr* h = nlmsg_hdr(m);
    if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(ifinfomsg))) return;
    const auto* info = static_cast<const ifinfomsg*>(nlmsg_data(h));
    nlattr* g = nlmsg_find_attr(h, sizeof(ifinfomsg), IFLA_GROUP);
    if (!g || nla_len(g) < 4 || nla_get_u32(g) != group) return;
    nlattr* n = nlmsg_find_attr(h, sizeof(ifinfomsg), IFLA_IFNAME);
    std::string name = n ? std::string(static_cast<const char*>(nla_data(n)), strnlen(static_cast<const char*>(nla_data(n)), nla_len(n))) : "";
    out.emplace_back(info->ifi_index, name);
  };
  auto make = []() -> nl_msg* {
    nl_msg* msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
    if (!msg) return nullptr;
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    // Without the statistics the kernel gathers per link: a quarter less to read (5% faster).
    if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 || nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0) {
      nlmsg_free(msg);
      return nullptr;
    }
    return msg;
  };
  Status s = Impl::consistent_dump(c.value(), make, what, keep, [&] { out.clear(); });
  if (!s) return s.error();
  return out;
}

SysResult<std::vector<LinkInfo>> NetlinkClient::list_links(const std::string& netns) {
  auto all = impl_->dump(netns, Impl::Dump{true, false, false});
  if (!all) return all.error();
  return std::move(all.value().links);
}

SysResult<std::vector<AddressInfo>> NetlinkClient::list_addresses(const std::string& netns) {
  auto all = impl_->dump(netns, Impl::Dump{false, true, false});
  if (!all) return all.error();
  return std::move(all.value().addresses);
}

SysResult<std::vector<RouteInfo>> NetlinkClient::list_routes(const std::string& netns,
                                                             const RouteFilter& filter) {
  auto all = impl_->dump(netns, Impl::Dump{false, false, true});
  if (!all) return all.error();
  std::vector<RouteInfo> out;
  for (RouteInfo& r : all.value().routes)
    if (!filter.table || r.table == *filter.table) out.push_back(std::move(r));
  return out;
}

SysResult<NamespaceContent> NetlinkClient::list_all(const std::string& netns) {
  return impl_->dump(netns, Impl::Dump{true, true, true});
}

}  // namespace nsplan::applier
