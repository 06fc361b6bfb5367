/* lab_floor: the floor for profiles/lab.yaml. The kernel work `nsplan apply profiles/lab.yaml` and
 * `nsplan destroy lab` do, and nothing else, over raw NETLINK_ROUTE sockets. The benchmark times
 * it next to nsplan: whatever nsplan takes beyond this is nsplan's own cost.
 *
 *   build:  cc -O2 -static -o build/lab_floor bench/floor/lab_floor.c
 *   usage:  lab_floor setup | lab_floor teardown     (root, inside the benchmark's sandbox)
 *
 * setup, in the plan's order (`nsplan plan profiles/lab.yaml`), one request and one ack each:
 *   netns lab-a, lo up in it, netns lab-b, lo up in it   (/run/netns made a shared mount first)
 *   bridge br-lab, veth veth-lab-a (peer eth0 born in lab-a), veth veth-lab-b (peer eth0 in lab-b),
 *     all three in link group 1650561780 (the group nsplan's plan gives them)
 *   10.77.0.1/24 on br-lab, br-lab up, veth-lab-a master br-lab, veth-lab-a up,
 *   10.77.0.2/24 on lab-a's eth0, eth0 up, the same for veth-lab-b and lab-b's eth0 (10.77.0.3/24)
 *   default via 10.77.0.1 in lab-a, the same in lab-b
 * The messages are nsplan's (flags, attributes, nesting; no IFA_F_NODAD: nsplan sets none for
 * IPv4), read off `strace -X raw` of nsplan. nsplan's apply makes no uts namespace for lab.yaml
 * (the hostname is for `nsplan run`), so neither does this.
 * teardown: one RTM_DELLINK (IFLA_GROUP) sent by a short-lived child; return as soon as an
 *   RTM_DELLINK notification has named every host-side link (as link_group_delete.cc does, which
 *   counts any RTM_DELLINK for the link, AF_BRIDGE's "port left the bridge" one included), not on
 *   the ack; then umount + unlink /run/netns/lab-b and lab-a.
 *
 * What nsplan does besides, that the floor skips:
 *  - parse the profile, compile the plan, probe the host (mountinfo, cgroup layout, /proc/self/status,
 *    cpu/node files), open its state dir, take the profile's lock, read journal and state files;
 *  - observe before each step and identify what each step made: the plan's host links asked for
 *    at once (pipelined RTM_GETLINKs), three dumps of each namespace the profile makes,
 *    single-link RTM_GETLINKs for identities; in destroy, an RTM_GETLINK per recorded link to
 *    check it is still the one it made, and a dump of the host's links to prove the link group
 *    holds only the profile's (the kernel cannot filter a link dump by group);
 *  - journal every step before making it (a write per step), save the state file (tmp + rename),
 *    remove the journal, print a report; roll back on failure (the floor just stops);
 *  - claim the link group (the plan's, unless another profile's state records it; the floor uses
 *    the plan's value);
 *  - socket options (NETLINK_EXT_ACK, NETLINK_CAP_ACK, buffer sizes; SO_RCVBUFFORCE 16 MiB on the
 *    destroy's monitor) and an explicit bind per socket;
 *  - namespaces: unshare in a helper thread (so that its main thread keeps its namespace), open +
 *    fstat of each namespace file, setns there and back to open each namespace's socket, the
 *    make-shared mount call again for the second namespace; in destroy, open each namespace file
 *    before unmounting it;
 *  - ifindex lookups by RTM_GETLINK (br-lab once per step that needs it, eth0 once per namespace,
 *    each answered with a ~1.5 kB message); the floor asks SIOCGIFINDEX (an ioctl on that
 *    namespace's netlink socket, no message) once per device. In destroy nsplan knows the
 *    members' ifindexes from its state; the floor matches the notifications by name instead.
 * The floor instead unshares in its main thread: a process that ends right after needs no way back
 * (its sockets stay in the namespace they were opened in, mounts ignore the net namespace).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define GROUP 1650561780u  /* `nsplan plan --json profiles/lab.yaml`: the host-side links' group */
#define NETNS_DIR "/run/netns"

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("lab_floor: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* ---- building one request (they are all small: one static buffer) ---- */

static union {
  struct nlmsghdr h;
  char bytes[1024];
} req;
static uint32_t seq;

static struct nlmsghdr *start(uint16_t type, uint16_t flags, const void *fixed, size_t len) {
  memset(&req, 0, sizeof req);
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  req.h.nlmsg_seq = ++seq;
  req.h.nlmsg_len = NLMSG_LENGTH(len);
  memcpy(NLMSG_DATA(&req.h), fixed, len);
  return &req.h;
}

static struct rtattr *put(struct nlmsghdr *h, uint16_t type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}
static void put_str(struct nlmsghdr *h, uint16_t type, const char *s) { put(h, type, s, strlen(s) + 1); }
static void put_u32(struct nlmsghdr *h, uint16_t type, uint32_t v) { put(h, type, &v, sizeof v); }

/* Nested attributes carry NLA_F_NESTED, as libnl sends them (the kernel accepts both). */
static struct rtattr *nest(struct nlmsghdr *h, uint16_t type) { return put(h, type | NLA_F_NESTED, NULL, 0); }
static void end(struct nlmsghdr *h, struct rtattr *a) { a->rta_len = (char *)h + h->nlmsg_len - (char *)a; }

/* Sends the request and reads its ack: the kernel handles an rtnetlink request inside send(), so
 * the ack is there when send returns. */
static void talk(int sk, const char *what) {
  if (send(sk, &req, req.h.nlmsg_len, 0) < 0) die("%s: send: %s", what, strerror(errno));
  char buf[4096];
  ssize_t n = recv(sk, buf, sizeof buf, 0);
  if (n < 0) die("%s: recv: %s", what, strerror(errno));
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != seq)
    die("%s: unexpected answer from the kernel", what);
  int err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
  if (err) die("%s: %s", what, strerror(err));
}

static int route_socket(void) {
  int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sk < 0) die("netlink socket: %s", strerror(errno));
  return sk;  /* no bind: the first send binds it (autobind) */
}

/* The ifindex of NAME in the namespace SK was opened in (no netlink message: an ioctl). */
static int ifindex(int sk, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(sk, SIOCGIFINDEX, &ifr) < 0) die("find link '%s': %s", name, strerror(errno));
  return ifr.ifr_ifindex;
}

/* ---- the requests of lab.yaml's steps ---- */

static const struct ifinfomsg no_ifi = {.ifi_family = AF_UNSPEC};

static void link_up(int sk, const char *dev, const char *what) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  put_str(start(RTM_NEWLINK, 0, &ifi, sizeof ifi), IFLA_IFNAME, dev);
  talk(sk, what);
}

static void create_bridge(int sk, const char *name) {
  struct nlmsghdr *h = start(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &no_ifi, sizeof no_ifi);
  put_str(h, IFLA_IFNAME, name);
  put_u32(h, IFLA_GROUP, GROUP);
  struct rtattr *info = nest(h, IFLA_LINKINFO);
  put_str(h, IFLA_INFO_KIND, "bridge");
  end(h, info);
  talk(sk, "create bridge br-lab");
}

/* The peer is born in its namespace: IFLA_NET_NS_FD inside VETH_INFO_PEER, never moved there. */
static void create_veth(int sk, const char *name, const char *peer, int peer_ns_fd, const char *what) {
  struct nlmsghdr *h = start(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &no_ifi, sizeof no_ifi);
  put_str(h, IFLA_IFNAME, name);
  put_u32(h, IFLA_GROUP, GROUP);
  struct rtattr *info = nest(h, IFLA_LINKINFO);
  put_str(h, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest(h, IFLA_INFO_DATA);
  struct rtattr *p = nest(h, VETH_INFO_PEER);
  /* VETH_INFO_PEER holds an ifinfomsg, then the peer's attributes */
  h->nlmsg_len += NLMSG_ALIGN(sizeof(struct ifinfomsg));  /* zeroed by start() */
  put_str(h, IFLA_IFNAME, peer);
  put_u32(h, IFLA_NET_NS_FD, (uint32_t)peer_ns_fd);
  end(h, p);
  end(h, data);
  end(h, info);
  talk(sk, what);
}

static void set_master(int sk, const char *dev, int master, const char *what) {
  struct nlmsghdr *h = start(RTM_NEWLINK, 0, &no_ifi, sizeof no_ifi);
  put_str(h, IFLA_IFNAME, dev);
  put_u32(h, IFLA_MASTER, (uint32_t)master);
  talk(sk, what);
}

static void add_address(int sk, int index, const char *ip, int prefix, const char *what) {
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_index = index};
  struct in_addr a;
  inet_pton(AF_INET, ip, &a);
  struct nlmsghdr *h = start(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  put(h, IFA_LOCAL, &a, sizeof a);
  put(h, IFA_ADDRESS, &a, sizeof a);
  talk(sk, what);
}

/* As nsplan (and `ip route add`): table main, protocol boot, scope universe, unicast. */
static void add_default_route(int sk, const char *via, const char *what) {
  struct rtmsg rtm = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                      .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
  struct in_addr any = {0}, gw;
  inet_pton(AF_INET, via, &gw);
  struct nlmsghdr *h = start(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof rtm);
  put_u32(h, RTA_TABLE, RT_TABLE_MAIN);
  put(h, RTA_DST, &any, sizeof any);
  put(h, RTA_GATEWAY, &gw, sizeof gw);
  talk(sk, what);
}

/* ---- persistent network namespaces, as nsplan (and `ip netns add`) make them ---- */

/* /run/netns must be a shared mount, so that the namespace mounts made below it propagate to
 * peers of this mount; bind it on itself first when it is not a mount point (EINVAL). */
static void netns_dir(void) {
  if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST) die("mkdir " NETNS_DIR ": %s", strerror(errno));
  int bound = 0;
  while (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
    if (errno != EINVAL || bound) die("mount --make-rshared " NETNS_DIR ": %s", strerror(errno));
    if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
      die("mount --rbind " NETNS_DIR ": %s", strerror(errno));
    bound = 1;
  }
}

/* Creates /run/netns/NAME and moves this process into the new namespace it keeps. Returns a
 * netlink socket inside it and, in *ns_fd, an fd naming it (for IFLA_NET_NS_FD). */
static int new_netns(const char *name, int *ns_fd) {
  char path[64];
  snprintf(path, sizeof path, NETNS_DIR "/%s", name);
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) die("create %s: %s", path, strerror(errno));
  close(fd);
  if (unshare(CLONE_NEWNET) < 0) die("unshare(net) for %s: %s", name, strerror(errno));
  if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
    die("mount --bind /proc/self/ns/net %s: %s", path, strerror(errno));
  *ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (*ns_fd < 0) die("open /proc/self/ns/net in %s: %s", name, strerror(errno));
  return route_socket();
}

static void setup(void) {
  int host = route_socket();  /* before leaving the host's namespace */
  int a_fd, b_fd;
  netns_dir();
  int a = new_netns("lab-a", &a_fd);
  link_up(a, "lo", "set lo up in lab-a");
  int b = new_netns("lab-b", &b_fd);
  link_up(b, "lo", "set lo up in lab-b");
  /* This process now lives in lab-b; from here on every request goes through a socket, which
   * stays in the namespace it was opened in. */
  create_bridge(host, "br-lab");
  create_veth(host, "veth-lab-a", "eth0", a_fd, "create veth veth-lab-a, peer eth0 in lab-a");
  create_veth(host, "veth-lab-b", "eth0", b_fd, "create veth veth-lab-b, peer eth0 in lab-b");
  int br = ifindex(host, "br-lab");
  add_address(host, br, "10.77.0.1", 24, "add 10.77.0.1/24 on br-lab");
  link_up(host, "br-lab", "set br-lab up");
  set_master(host, "veth-lab-a", br, "set master of veth-lab-a");
  link_up(host, "veth-lab-a", "set veth-lab-a up");
  add_address(a, ifindex(a, "eth0"), "10.77.0.2", 24, "add 10.77.0.2/24 on eth0 in lab-a");
  link_up(a, "eth0", "set eth0 up in lab-a");
  set_master(host, "veth-lab-b", br, "set master of veth-lab-b");
  link_up(host, "veth-lab-b", "set veth-lab-b up");
  add_address(b, ifindex(b, "eth0"), "10.77.0.3", 24, "add 10.77.0.3/24 on eth0 in lab-b");
  link_up(b, "eth0", "set eth0 up in lab-b");
  add_default_route(a, "10.77.0.1", "add route default via 10.77.0.1 in lab-a");
  add_default_route(b, "10.77.0.1", "add route default via 10.77.0.1 in lab-b");
}

/* ---- teardown ---- */

static const char *const members[] = {"br-lab", "veth-lab-a", "veth-lab-b"};
#define N_MEMBERS (sizeof members / sizeof members[0])

/* The child sends the group delete and passes the kernel's errno up the pipe. It keeps no other
 * fd (not our caller's stdout/stderr), so that nobody waits for it: the kernel may still be
 * deleting (the veths' peers, RCU grace periods) when the parent has returned. */
static void group_delete_child(int sk, int answer) {
  signal(SIGPIPE, SIG_IGN);  /* the parent may be gone already */
  int low = sk < answer ? sk : answer, high = sk < answer ? answer : sk;
  if (low > 0) close_range(0, low - 1, 0);
  if (high > low + 1) close_range(low + 1, high - 1, 0);
  close_range(high + 1, ~0U, 0);
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  put_u32(start(RTM_DELLINK, 0, &ifi, sizeof ifi), IFLA_GROUP, GROUP);
  int err = 0;
  char buf[4096];
  ssize_t n;
  if (send(sk, &req, req.h.nlmsg_len, 0) < 0) err = errno;
  else if ((n = recv(sk, buf, sizeof buf, 0)) < 0) err = errno;
  else if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) err = EPROTO;
  else if (((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
    err = -((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error;
  if (write(answer, &err, sizeof err) < 0) {}
  _exit(0);
}

/* Marks the members an RTM_DELLINK in BUF names (any family, as nsplan counts them). */
static int mark_gone(const char *buf, ssize_t len, int *gone) {
  int left = 0;
  for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type != RTM_DELLINK) continue;
    int alen = IFLA_PAYLOAD(h);
    for (const struct rtattr *a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
      if (a->rta_type == IFLA_IFNAME)
        for (size_t i = 0; i < N_MEMBERS; i++)
          if (strncmp(RTA_DATA(a), members[i], RTA_PAYLOAD(a)) == 0) gone[i] = 1;
  }
  for (size_t i = 0; i < N_MEMBERS; i++) left += !gone[i];
  return left;
}

static void delete_netns(const char *name) {
  char path[64];
  snprintf(path, sizeof path, NETNS_DIR "/%s", name);
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) die("umount %s: %s", path, strerror(errno));
  if (unlink(path) < 0) die("unlink %s: %s", path, strerror(errno));
}

static void teardown(void) {
  /* Listen before asking, so that no notification is missed. */
  int monitor = route_socket();
  struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
  if (bind(monitor, (struct sockaddr *)&local, sizeof local) < 0)
    die("listen for link changes: %s", strerror(errno));
  int sk = route_socket(), answer[2];
  if (pipe2(answer, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child < 0) die("fork: %s", strerror(errno));
  if (child == 0) group_delete_child(sk, answer[1]);
  close(answer[1]);
  int gone[N_MEMBERS] = {0};
  static char buf[64 * 1024];
  for (;;) {  /* the first of: every member announced gone, or the child's answer */
    struct pollfd fds[2] = {{answer[0], POLLIN, 0}, {monitor, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll: %s", strerror(errno));
    }
    if (fds[0].revents) {
      int err = -1;
      if (read(answer[0], &err, sizeof err) != sizeof err) die("delete link group: the child died");
      if (err) die("delete link group %u: %s", GROUP, strerror(err));
      break;
    }
    ssize_t n = recv(monitor, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      die("listen for link changes: %s", strerror(errno));  /* nsplan waits for the answer instead */
    }
    if (mark_gone(buf, n, gone) == 0) break;
  }
  delete_netns("lab-b");  /* newest first, as nsplan undoes */
  delete_netns("lab-a");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "setup") == 0) setup();
  else if (argc == 2 && strcmp(argv[1], "teardown") == 0) teardown();
  else die("usage: lab_floor setup|teardown");
  return 0;
}
