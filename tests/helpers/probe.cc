// What a started command sees of itself, for the differential kernel test
// (tests/kernel/differential_test.cc): the same probe is the command of `nsplan run PROFILE` and
// of `nsplan explain PROFILE | sh`, and the two outputs must be equal.
//
// Prints "key=value" lines on stdout, in a fixed order, and exits with 42. Everything that works without /proc is
// read with system calls (ids, groups, capabilities, rlimits, descriptors, signals, names,
// interfaces), so that a command in a new root without /proc still reports them; what only
// /proc has (namespace inodes, cgroups, id maps, time offsets, the mount table) is printed when
// /proc is there and reported as absent otherwise. Values are printed raw: the test normalises
// what legitimately differs between two runs (namespace inodes, mount ids).
//
// Built statically when possible, so that it runs in a new root that has no loader.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

constexpr int kExitStatus = 42;

namespace {

// Newlines and backslashes escaped: one value, one line.
std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

void put(const std::string& key, const std::string& value) { std::printf("%s=%s\n", key.c_str(), escaped(value).c_str()); }

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Each line of a /proc file as KEY=line, or KEY=(absent: errno text).
void put_lines(const std::string& key, const std::string& path) {
  std::string text;
  if (!read_text(path, text)) {
    put(key, std::string("(absent: ") + std::strerror(errno) + ")");
    return;
  }
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) put(key, line);
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string fd_kind(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "?";
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISFIFO(st.st_mode)) return "fifo";
  if (S_ISSOCK(st.st_mode)) return "socket";
  if (S_ISCHR(st.st_mode)) return "chr";
  return "other";
}

// Open descriptors, found before the probe opens any: /proc/self/fd when there, else fcntl on
// every number below 65536.
std::vector<int> open_descriptors() {
  std::vector<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      int fd = std::atoi(e->d_name);
      if (fd != own) fds.push_back(fd);
    }
    ::closedir(d);
  } else {
    for (int fd = 0; fd < 65536; ++fd)
      if (::fcntl(fd, F_GETFD) >= 0) fds.push_back(fd);
  }
  std::sort(fds.begin(), fds.end());
  return fds;
}

const struct {
  const char* name;
  int resource;
} kRlimits[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

std::string limit_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(static_cast<unsigned long long>(v)); }

void identity() {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  // setfsuid/setfsgid with an invalid id change nothing and return the current one.
  long fsu = syscall(SYS_setfsuid, -1), fsg = syscall(SYS_setfsgid, -1);
  put("uid", std::to_string(ru) + " " + std::to_string(eu) + " " + std::to_string(su) + " " + std::to_string(fsu));
  put("gid", std::to_string(rg) + " " + std::to_string(eg) + " " + std::to_string(sg) + " " + std::to_string(fsg));
  int n = getgroups(0, nullptr);
  std::vector<gid_t> groups(n > 0 ? n : 0);
  if (n > 0) n = getgroups(n, groups.data());
  std::string g;
  for (int i = 0; i < n; ++i) g += (g.empty() ? "" : " ") + std::to_string(groups[i]);
  put("groups", g);
  put("no_new_privs", std::to_string(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)));
  int pdeath = 0;
  prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
  put("pdeathsig", std::to_string(pdeath));
  put("dumpable", std::to_string(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)));
  put("securebits", std::to_string(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)));
  put("seccomp", std::to_string(prctl(PR_GET_SECCOMP, 0, 0, 0, 0)));
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) == 0) {
    auto both = [&](uint32_t lo, uint32_t hi) { return hex(static_cast<uint64_t>(hi) << 32 | lo); };
    put("cap.effective", both(data[0].effective, data[1].effective));
    put("cap.permitted", both(data[0].permitted, data[1].permitted));
    put("cap.inheritable", both(data[0].inheritable, data[1].inheritable));
  }
  uint64_t bounding = 0, ambient = 0;
  for (int c = 0; c < 64; ++c) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) bounding |= uint64_t{1} << c;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1) ambient |= uint64_t{1} << c;
  }
  put("cap.bounding", hex(bounding));
  put("cap.ambient", hex(ambient));
}

void process(const std::vector<int>& fds) {
  put("pid1", getpid() == 1 ? "yes" : "no");
  mode_t mask = umask(0);
  umask(mask);
  char m[8];
  std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(mask));
  put("umask", m);
  errno = 0;
  put("nice", std::to_string(getpriority(PRIO_PROCESS, 0)));
  put("ioprio", std::to_string(syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0)));
  struct sched_param sp {};
  sched_getparam(0, &sp);
  put("sched", std::to_string(sched_getscheduler(0)) + " " + std::to_string(sp.sched_priority));
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  std::string affinity;
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &cpus)) affinity += (affinity.empty() ? "" : " ") + std::to_string(c);
  put("affinity", affinity);
  for (int fd : fds) {
    int flags = fcntl(fd, F_GETFD);
    put("fd." + std::to_string(fd), fd_kind(fd) + ((flags >= 0 && (flags & FD_CLOEXEC)) ? " cloexec" : ""));
  }
  sigset_t blocked;
  sigprocmask(SIG_BLOCK, nullptr, &blocked);
  std::string b, ign;
  for (int s = 1; s < NSIG; ++s) {
    if (sigismember(&blocked, s) == 1) b += (b.empty() ? "" : " ") + std::to_string(s);
    struct sigaction sa {};
    if (sigaction(s, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) ign += (ign.empty() ? "" : " ") + std::to_string(s);
  }
  put("signals.blocked", b);
  put("signals.ignored", ign);
  for (const auto& r : kRlimits) {
    struct rlimit l {};
    getrlimit(r.resource, &l);
    put(std::string("rlimit.") + r.name, limit_text(l.rlim_cur) + " " + limit_text(l.rlim_max));
  }
  char cwd[4096];
  put("cwd", getcwd(cwd, sizeof cwd) ? cwd : std::string("(unreachable: ") + std::strerror(errno) + ")");
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  std::sort(env.begin(), env.end());
  for (const auto& e : env) put("env", e);
}

void names_and_network() {
  struct utsname u {};
  uname(&u);
  put("hostname", u.nodename);
  put("domainname", u.domainname);
  std::vector<std::string> links;
  if (struct if_nameindex* ifs = if_nameindex()) {
    for (struct if_nameindex* i = ifs; i->if_index != 0; ++i) links.emplace_back(i->if_name);
    if_freenameindex(ifs);
  }
  std::sort(links.begin(), links.end());
  std::string l;
  for (const auto& x : links) l += (l.empty() ? "" : " ") + x;
  put("net.links", l);
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  put("net.lo", sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 ? ((ifr.ifr_flags & IFF_UP) ? "up" : "down") : "?");
  if (sock >= 0) close(sock);
  std::vector<std::string> addresses;
  struct ifaddrs* all = nullptr;
  if (getifaddrs(&all) == 0) {
    for (struct ifaddrs* a = all; a; a = a->ifa_next) {
      if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6)) continue;
      char text[INET6_ADDRSTRLEN] = "";
      const void* raw = a->ifa_addr->sa_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)
                                                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr);
      inet_ntop(a->ifa_addr->sa_family, raw, text, sizeof text);
      addresses.push_back(std::string(a->ifa_name) + " " + text);
    }
    freeifaddrs(all);
  }
  std::sort(addresses.begin(), addresses.end());
  for (const auto& a : addresses) put("net.address", a);
}

void from_proc() {
  for (const char* kind : {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"}) {
    struct stat st {};
    std::string path = std::string("/proc/self/ns/") + kind;
    put(std::string("ns.") + kind, ::stat(path.c_str(), &st) == 0 ? std::to_string(st.st_ino) : "(absent)");
  }
  put_lines("proc.cgroup", "/proc/self/cgroup");
  put_lines("proc.uid_map", "/proc/self/uid_map");
  put_lines("proc.gid_map", "/proc/self/gid_map");
  put_lines("proc.setgroups", "/proc/self/setgroups");
  put_lines("proc.timens_offsets", "/proc/self/timens_offsets");
  put_lines("proc.oom_score_adj", "/proc/self/oom_score_adj");
  put_lines("mount", "/proc/self/mountinfo");
}

}  // namespace

int main() {
  std::vector<int> fds = open_descriptors();
  identity();
  process(fds);
  names_and_network();
  from_proc();
  // The files of namespaces.net.etc, as the command reads them (and whether it could write one).
  for (const char* f : {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"}) put_lines(std::string("file") + f, f);
  put("write./etc/resolv.conf", ::access("/etc/resolv.conf", W_OK) == 0 ? "yes" : std::string("no: ") + std::strerror(errno));
  // A status of its own, that nsplan run and the script must both pass on to their caller.
  return std::fflush(stdout) == 0 ? kExitStatus : 1;
}
