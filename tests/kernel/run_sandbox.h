// The sandbox of the `nsplan run` / `attach` kernel tests (run_test.cc). Self-contained (only
// kernel_test_env.h), in its own namespace, so that it never clashes with tests/kernel/sandbox.h.
//
// run_sandboxed(DIR, VARS, SCRIPT) runs SCRIPT with /bin/sh in a SANDBOX and returns its exit
// status and output:
//   - a HOLDER process, forked from the test, unshare()s a new mount and a new network
//     namespace, makes / recursively private, mounts a fresh tmpfs on /run (so /run/netns and the
//     state dir /run/nsplan are private and vanish with the sandbox) and brings lo up. It has
//     PR_SET_PDEATHSIG (it dies with the test) and is a child subreaper (orphans of the script,
//     such as nsplan's cleanup guard, are reparented to it, reaped, and killed at the end);
//   - the script runs in its own process group with stdin /dev/null, stdout and stderr in files
//     of DIR; a preamble sets N (the nsplan binary), T (DIR), the VARS, `set -u`, and helpers:
//     `wait_until SECONDS CMD...` (polls CMD every 20 ms), `wait_for FILE TEXT [SECONDS]`
//     (default 10 s), `now_cs` (sets NOW_CS to the uptime in 1/100 s);
//   - when the script ends (or after TIMEOUT_S, then it is killed) the holder SIGKILLs the
//     script's process group and every child it still has, reaps them, and exits: the mount
//     namespace dies, its nsfs bind mounts go, and with them every network namespace and link
//     made inside. The sandbox shares the test's pid namespace, so scripts see host pids.
//
// Cgroups are global: RunCgroupParent makes "nsplan-t-<pid>-run<N>" (given to nsplan as
// --cgroup-parent) in the hierarchy of each controller a profile uses (v1; on v2 the one
// directory, with the controllers enabled in the root's subtree_control if they were not, and
// disabled again afterwards). Its destructor SIGKILLs whatever is still in its tree (only its own
// tree: everything there was started by a test) and removes the tree.
#pragma once
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/kernel/kernel_test_env.h"

#ifndef NSPLAN_BINARY
#error "NSPLAN_BINARY (path of the nsplan executable) must be defined by the build"
#endif
#ifndef NSPLAN_SOURCE_DIR
#error "NSPLAN_SOURCE_DIR must be defined by the build"
#endif

namespace nsplan::run_test {

namespace kt = ::nsplan::kernel_test;

inline std::string nsplan_path() { return NSPLAN_BINARY; }
inline std::string source_path() { return NSPLAN_SOURCE_DIR; }

// 'text' for sh.
inline std::string sh_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// 'text' as a YAML single-quoted scalar (one line only: YAML folds line breaks).
inline std::string yaml_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// [a, b, c] as a YAML flow sequence of quoted strings.
inline std::string yaml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + yaml_quote(items[i]);
  return out + "]";
}

inline bool write_whole(const std::string& path, const std::string& text, mode_t mode = 0644) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, mode);
  return ::close(fd) == 0 && done == text.size();
}

inline bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The value of the first line "KEY=value", or FALLBACK.
inline std::string value_of(const std::string& text, const std::string& key, const std::string& fallback = "<none>") {
  for (const auto& l : lines(text))
    if (kt::starts_with(l, key + "=")) return l.substr(key.size() + 1);
  return fallback;
}

// The values of all lines "KEY=value".
inline std::vector<std::string> values_of(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& l : lines(text))
    if (kt::starts_with(l, key + "=")) out.push_back(l.substr(key.size() + 1));
  return out;
}

// A temporary directory /tmp/nsplan-t-<pid>-run-XXXXXX (outside /run, so sandboxes see it),
// removed with everything in it. NSPLAN_KEEP_TEST_TMP=1 keeps it, for debugging.
class RunTempDir {
 public:
  RunTempDir() {
    std::string tmpl = "/tmp/" + kt::test_name("run-XXXXXX");
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~RunTempDir() {
    const char* keep = std::getenv("NSPLAN_KEEP_TEST_TMP");
    if (!path_.empty() && !(keep && std::string(keep) == "1")) kt::remove_tree(path_);
  }
  RunTempDir(const RunTempDir&) = delete;
  RunTempDir& operator=(const RunTempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ---- cgroups ------------------------------------------------------------------------------------

// Where this machine's hierarchies are: v2 when /sys/fs/cgroup is cgroup2, else the v1 mount
// of each controller (read from mountinfo).
struct CgroupLayout {
  bool v2 = false;
  std::string v2_root = "/sys/fs/cgroup";
  std::map<std::string, std::string> v1;  // controller -> mount point

  // The directory of the hierarchy that holds CONTROLLER ("" when there is none).
  std::string hierarchy(const std::string& controller) const {
    if (v2) {
      std::istringstream in(kt::read_file(v2_root + "/cgroup.controllers"));
      for (std::string c; in >> c;)
        if (c == controller) return v2_root;
      return "";
    }
    auto it = v1.find(controller);
    return it == v1.end() ? "" : it->second;
  }
};

inline CgroupLayout cgroup_layout() {
  CgroupLayout l;
  struct statfs sf;
  if (::statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
    l.v2 = true;
    return l;
  }
  for (const kt::MountEntry& m : kt::mounts()) {
    if (m.fstype != "cgroup") continue;
    std::istringstream opts(m.super_options);
    for (std::string o; std::getline(opts, o, ',');)
      if (o != "rw" && o != "ro" && !has(o, "=") && !l.v1.count(o)) l.v1[o] = m.mount_point;
  }
  return l;
}

// Lists the pids in cgroup.procs of DIR and of every cgroup below it.
inline void collect_procs(const std::string& dir, std::vector<pid_t>& out) {
  std::istringstream in(kt::read_file(dir + "/cgroup.procs"));
  for (long p; in >> p;) out.push_back(static_cast<pid_t>(p));
  for (const std::string& n : kt::list_dir(dir)) {
    struct stat st;
    std::string child = dir + "/" + n;
    if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) collect_procs(child, out);
  }
}

// The per-test parent cgroup (see the top of this file).
class RunCgroupParent {
 public:
  explicit RunCgroupParent(std::vector<std::string> controllers) : layout_(cgroup_layout()) {
    static int n = 0;
    name_ = kt::test_name("run" + std::to_string(++n));
    if (layout_.v2) {
      std::set<std::string> have;
      std::istringstream in(kt::read_file(layout_.v2_root + "/cgroup.subtree_control"));
      for (std::string c; in >> c;) have.insert(c);
      for (const auto& c : controllers) {
        if (layout_.hierarchy(c).empty()) {
          error_ = "no cgroup2 controller " + c;
          return;
        }
        if (have.count(c)) continue;
        if (!write_whole(layout_.v2_root + "/cgroup.subtree_control", "+" + c)) {
          error_ = "cannot enable " + c + " in " + layout_.v2_root + "/cgroup.subtree_control";
          return;
        }
        enabled_.push_back(c);
      }
      add(layout_.v2_root + "/" + name_, false);
      for (const auto& c : controllers) dirs_by_controller_[c] = layout_.v2_root + "/" + name_;
      return;
    }
    for (const auto& c : controllers) {
      std::string h = layout_.hierarchy(c);
      if (h.empty()) {
        error_ = "no cgroup v1 hierarchy with the " + c + " controller";
        return;
      }
      std::string dir = h + "/" + name_;
      dirs_by_controller_[c] = dir;
      if (std::find(dirs_.begin(), dirs_.end(), dir) == dirs_.end()) add(dir, exists(h + "/cpuset.cpus"));
      if (!error_.empty()) return;
    }
  }
  ~RunCgroupParent() { remove(); }
  RunCgroupParent(const RunCgroupParent&) = delete;
  RunCgroupParent& operator=(const RunCgroupParent&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  bool v2() const { return layout_.v2; }
  // The parent's directory in the hierarchy of CONTROLLER.
  std::string dir(const std::string& controller) const {
    auto it = dirs_by_controller_.find(controller);
    return it == dirs_by_controller_.end() ? "" : it->second;
  }
  // Sub-cgroups below the parent, all levels, as absolute paths.
  std::vector<std::string> descendants() const {
    std::vector<std::string> out;
    for (const auto& d : dirs_) collect_dirs(d, out);
    return out;
  }

 private:
  static void collect_dirs(const std::string& dir, std::vector<std::string>& out) {
    for (const std::string& n : kt::list_dir(dir)) {
      std::string child = dir + "/" + n;
      struct stat st;
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        out.push_back(child);
        collect_dirs(child, out);
      }
    }
  }

  void add(const std::string& dir, bool cpuset) {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      error_ = "mkdir " + dir + ": " + std::strerror(errno);  // an existing one is not ours
      return;
    }
    dirs_.push_back(dir);
    if (cpuset) {
      std::string root = dir.substr(0, dir.rfind('/'));
      for (const char* f : {"cpuset.cpus", "cpuset.mems"})
        if (!write_whole(dir + "/" + f, kt::read_file(root + "/" + f)))
          error_ = std::string("cannot copy ") + f + " into " + dir;
    }
  }

  void remove() {
    // Whatever a test left running in our tree is killed first: a cgroup with tasks cannot go.
    for (int round = 0; round < 200; ++round) {
      std::vector<pid_t> procs;
      for (const auto& d : dirs_) collect_procs(d, procs);
      if (procs.empty()) break;
      for (pid_t p : procs)
        if (p > 1) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) kt::remove_cgroup_tree(*it);
    dirs_.clear();
    for (auto it = enabled_.rbegin(); it != enabled_.rend(); ++it)
      (void)write_whole(layout_.v2_root + "/cgroup.subtree_control", "-" + *it);
    enabled_.clear();
  }

  CgroupLayout layout_;
  std::string name_, error_;
  std::vector<std::string> dirs_;
  std::map<std::string, std::string> dirs_by_controller_;
  std::vector<std::string> enabled_;
};

// ---- the sandbox --------------------------------------------------------------------------------

struct SbResult {
  int code = -1;  // the script's exit status (128 + signal when killed); -1: not run
  bool timed_out = false;
  std::string out, err, script, sandbox_error;

  std::string describe() const {
    std::string s = "--- script:\n" + script + "\n--- ";
    if (!sandbox_error.empty()) s += "sandbox error: " + sandbox_error + "\n--- ";
    s += timed_out ? "timed out (killed)" : "exit " + std::to_string(code);
    return s + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
  }
};

namespace detail {

// In the holder: unshare(mount, net), / rprivate, tmpfs on /run, lo up. "" or what failed.
inline std::string enter_sandbox() {
  auto fail = [](const char* what) { return std::string(what) + ": " + std::strerror(errno); };
  if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) return fail("unshare(CLONE_NEWNS|CLONE_NEWNET)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail("mount --make-rprivate /");
  if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return fail("mount tmpfs /run");
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  std::string err = ok ? "" : fail("bring lo up");
  ::close(fd);
  return err;
}

// Children of this process (it is a subreaper: orphans of the script land here).
inline std::vector<pid_t> own_children() {
  std::vector<pid_t> out;
  std::string self = "/proc/self/task";
  for (const std::string& tid : kt::list_dir(self)) {
    std::istringstream in(kt::read_file(self + "/" + tid + "/children"));
    for (long p; in >> p;) out.push_back(static_cast<pid_t>(p));
  }
  return out;
}

[[noreturn]] inline void holder(pid_t test_pid, const std::string& base, int timeout_s) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != test_pid) ::_exit(120);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  auto report = [&](const std::string& what) { write_whole(base + ".sandbox", what + "\n"); };
  std::string err = enter_sandbox();
  if (!err.empty()) {
    report(err);
    ::_exit(121);
  }
  pid_t sh = ::fork();
  if (sh < 0) {
    report(std::string("fork: ") + std::strerror(errno));
    ::_exit(121);
  }
  if (sh == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int errf = ::open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || errf < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(errf, 2);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);  // nothing of the test reaches the script
    std::string script = base + ".sh";
    ::execl("/bin/sh", "sh", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(sh, sh);
  int status = 0;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(-1, &st, WNOHANG);
    if (r == sh) {
      status = st;
      break;
    }
    if (r < 0 && errno == ECHILD) break;
    if (r > 0) continue;  // an orphan of the script, reaped
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      ::kill(-sh, SIGKILL);
      ::kill(sh, SIGKILL);
      ::waitpid(sh, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // What the script left: its process group, then every child we still have (orphans).
  ::kill(-sh, SIGKILL);
  for (int round = 0; round < 300; ++round) {
    std::vector<pid_t> left = own_children();
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (left.empty()) break;
    for (pid_t p : left) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (timed_out) {
    report("timed out after " + std::to_string(timeout_s) + " s");
    ::_exit(124);
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125);
}

}  // namespace detail

// Runs SCRIPT in a new sandbox (see the top of this file). VARS are set (quoted) before it.
inline SbResult run_sandboxed(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& vars,
                              const std::string& script, int timeout_s = 40) {
  static int serial = 0;
  SbResult r;
  r.script = script;
  std::string base = dir + "/sandbox" + std::to_string(++serial);
  std::string text = "set -u\nN=" + sh_quote(nsplan_path()) + "\nT=" + sh_quote(dir) + "\n";
  for (const auto& [k, v] : vars) text += k + "=" + sh_quote(v) + "\n";
  text +=
      "now_cs() { read _u _r < /proc/uptime; NOW_CS=$(( ${_u%.*}${_u#*.} )); }\n"
      "wait_until() {  # SECONDS COMMAND...: until COMMAND succeeds, polling every 20 ms\n"
      "  now_cs; _end=$((NOW_CS + $1 * 100)); shift\n"
      "  while ! \"$@\"; do now_cs; [ \"$NOW_CS\" -ge \"$_end\" ] && return 1; sleep 0.02; done\n"
      "}\n"
      "has_text() { grep -q -- \"$2\" \"$1\" 2>/dev/null; }\n"
      "wait_for() {  # FILE TEXT [SECONDS]\n"
      "  wait_until \"${3:-10}\" has_text \"$1\" \"$2\" || { echo \"wait_for: no '$2' in $1\" >&2; return 1; }\n"
      "}\n";
  text += script + "\n";
  if (!write_whole(base + ".sh", text)) {
    r.sandbox_error = "cannot write " + base + ".sh";
    return r;
  }
  pid_t test_pid = ::getpid();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    r.sandbox_error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) detail::holder(test_pid, base, timeout_s);
  int st = 0;
  // The holder enforces the timeout itself; this is the last resort.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s + 15);
  for (;;) {
    pid_t w = ::waitpid(pid, &st, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      r.sandbox_error = "the sandbox holder hung";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.out = kt::read_file(base + ".out");
  r.err = kt::read_file(base + ".err");
  std::string sandbox = kt::read_file(base + ".sandbox");
  if (!sandbox.empty()) r.sandbox_error += sandbox;
  if (WIFEXITED(st)) r.code = WEXITSTATUS(st);
  r.timed_out = r.code == 124 && has(sandbox, "timed out");
  if (r.code == 120 || r.code == 121) r.code = -1;
  return r;
}

// The tcp_echo helper (tests/helpers/tcp_echo.cc): the one the build made (NSPLAN_TCP_ECHO),
// or else compiled now into DIR with the c++ on PATH. "" when neither works.
inline std::string tcp_echo_binary(const std::string& dir) {
#ifdef NSPLAN_TCP_ECHO
  if (::access(NSPLAN_TCP_ECHO, X_OK) == 0) return NSPLAN_TCP_ECHO;
#endif
  std::string out = dir + "/tcp_echo";
  std::string cmd = "c++ -O1 -o " + sh_quote(out) + " " + sh_quote(source_path() + "/tests/helpers/tcp_echo.cc") +
                    " >" + sh_quote(dir + "/tcp_echo.log") + " 2>&1";
  if (std::system(cmd.c_str()) != 0 || ::access(out.c_str(), X_OK) != 0) return "";
  return out;
}

}  // namespace nsplan::run_test
