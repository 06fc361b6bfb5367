// Sandboxes for the end-to-end tests of the nsplan binary: `apply / status / destroy / plan`
// (apply_test.cc, apply_failure_test.cc, all_values_test.cc) and `run / attach` (run_test.cc).
// The shipped profiles use real names (cgroup "memlimit", netns "lab-a", links "br-lab"), so
// every nsplan command and every explain script runs inside a SANDBOX:
//
//   - a child of the test process (the server) that unshare()s a new mount and a new network
//     namespace, makes / recursively private, mounts a fresh tmpfs on /run (so /run/netns and the
//     state dir /run/nsplan are private and vanish with the sandbox) and brings lo up. It has
//     PR_SET_PDEATHSIG (it dies with the test) and is a child subreaper: orphans of the scripts
//     (such as nsplan run's cleanup guard) are reparented to it and reaped;
//   - it then serves requests: each one runs `sh SCRIPT` (a file in the test's temp dir, outside
//     /run) with stdin /dev/null, stdout and stderr captured to files next to it, no other
//     descriptor, in its own process group, with PR_SET_PDEATHSIG so nothing outlives the test.
//     When a script ends, what is left in its process group is killed;
//   - when the Sandbox object goes, the server kills what is still running, then every orphan it
//     still has, and exits: the mount namespace dies, its nsfs bind mounts go, and with them every
//     network namespace and link made inside. The sandbox shares the test's pid namespace, so
//     scripts see host pids.
//
// run_sandboxed() runs one script in a sandbox of its own, with a prelude of variables (N: the
// nsplan binary, T: the temp dir, the test's own) and shell helpers (see script_with_prelude).
//
// Cgroups are global: CgroupParent makes the per-test parent "nsplan-t-<pid>-cg<n>" (given to
// nsplan as --cgroup-parent) in every hierarchy a profile uses, and removes it, and only it,
// in its destructor, after SIGKILLing whatever still runs in its tree (everything there was
// started by a test). On cgroup v2 it also enables in the root's cgroup.subtree_control what the
// profile needs and is not enabled yet, and disables exactly that again afterwards.
//
// Everything here is header-only: the kernel test binary is built from tests/kernel/*_test.cc.
#pragma once
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "applier/files.h"
#include "applier/probe.h"
#include "compiler/compile.h"
#include "tests/kernel/kernel_test_env.h"

#ifndef NSPLAN_BINARY
#error "NSPLAN_BINARY (path of the nsplan executable) must be defined by the build"
#endif
#ifndef NSPLAN_SOURCE_DIR
#error "NSPLAN_SOURCE_DIR must be defined by the build"
#endif

namespace nsplan::kernel_test {

inline std::string nsplan_binary() { return NSPLAN_BINARY; }
inline std::string source_dir() { return NSPLAN_SOURCE_DIR; }

// 'text' quoted for sh.
inline std::string shq(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

inline bool write_text(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

inline bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
  return s.substr(i);
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// The value of a "KEY=value" line a test script printed; "<none>" when it printed none.
inline std::string script_value(const std::string& text, const std::string& key, const std::string& fallback = "<none>") {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  return fallback;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A temporary directory /tmp/nsplan-t-<pid>-TAG-XXXXXX (outside /run, so sandboxes see the same
// one), removed with everything in it. NSPLAN_KEEP_TEST_TMP=1 keeps it, for debugging.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "e2e") {
    std::string tmpl = "/tmp/" + test_name(tag + "-XXXXXX");
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    const char* keep = std::getenv("NSPLAN_KEEP_TEST_TMP");
    if (!path_.empty() && !(keep && std::string(keep) == "1")) remove_tree(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes NAME in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = file(name);
    if (!write_text(p, text)) ADD_FAILURE() << "cannot write " << p;
    return p;
  }

 private:
  std::string path_;
};

// ---- the sandbox's own setup (runs in a forked child; plain syscalls only) --------------------

// unshare(mount, net), / rprivate, tmpfs on /run, lo up. Returns "" or what failed.
inline std::string enter_sandbox_namespaces() {
  auto fail = [](const char* what) { return std::string(what) + ": " + std::strerror(errno); };
  if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) return fail("unshare(CLONE_NEWNS|CLONE_NEWNET)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail("mount --make-rprivate /");
  if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return fail("mount tmpfs /run");
  // /etc as an overlay whose changes live in that tmpfs: what a profile writes there (net.etc's
  // /etc/netns/NAME) never reaches the host's /etc.
  if (::mkdir("/run/.nsplan-t-etc", 0700) != 0 || ::mkdir("/run/.nsplan-t-etc/up", 0755) != 0 ||
      ::mkdir("/run/.nsplan-t-etc/work", 0700) != 0)
    return fail("mkdir /run/.nsplan-t-etc");
  if (::mount("overlay", "/etc", "overlay", 0, "lowerdir=/etc,upperdir=/run/.nsplan-t-etc/up,workdir=/run/.nsplan-t-etc/work") != 0)
    return fail("mount overlay /etc");
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    ::close(fd);
    return fail("SIOCGIFFLAGS lo");
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
    ::close(fd);
    return fail("SIOCSIFFLAGS lo up");
  }
  ::close(fd);
  return "";
}

// Children of this process (a subreaper's include the orphans reparented to it).
inline std::vector<pid_t> own_children() {
  std::vector<pid_t> out;
  const std::string self = "/proc/self/task";
  for (const std::string& tid : list_dir(self)) {
    std::istringstream in(read_file(self + "/" + tid + "/children"));
    for (long p; in >> p;) out.push_back(static_cast<pid_t>(p));
  }
  return out;
}

inline bool write_all_fd(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads one '\n'-terminated line (without it); false at EOF/error. Byte by byte: requests are short.
inline bool read_line_fd(int fd, std::string& line, int timeout_ms = -1) {
  line.clear();
  for (;;) {
    if (timeout_ms >= 0) {
      struct pollfd p {fd, POLLIN, 0};
      int r = ::poll(&p, 1, timeout_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
    }
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    line += c;
  }
}

// ---- Sandbox -----------------------------------------------------------------------------------

struct RunResult {
  int status = -1;  // raw wait status; -1 when the job could not be run
  bool timed_out = false;
  std::string out, err;
  std::string script;  // what ran, for messages

  bool exited() const { return status >= 0 && WIFEXITED(status); }
  int code() const { return exited() ? WEXITSTATUS(status) : -1; }
  bool killed_by(int sig) const { return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig; }
  // For assertion messages.
  std::string describe() const {
    std::string s = "script:\n" + script + "\n";
    if (status < 0) s += "(not run)";
    else if (timed_out) s += "(timed out, killed)";
    else if (WIFEXITED(status)) s += "exit " + std::to_string(WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) s += "killed by signal " + std::to_string(WTERMSIG(status));
    return s + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
  }
};

class Sandbox {
 public:
  // DIR: where scripts and their output go (a TempDir's path).
  explicit Sandbox(std::string dir) : dir_(std::move(dir)) {
    int req[2], rep[2];
    if (::pipe2(req, O_CLOEXEC) != 0 || ::pipe2(rep, O_CLOEXEC) != 0) {
      error_ = std::string("pipe: ") + std::strerror(errno);
      return;
    }
    pid_t parent = ::getpid();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
      error_ = std::string("fork: ") + std::strerror(errno);
      return;
    }
    if (pid == 0) {
      ::close(req[1]);
      ::close(rep[0]);
      serve(parent, req[0], rep[1]);  // never returns
    }
    ::close(req[0]);
    ::close(rep[1]);
    pid_ = pid;
    req_ = req[1];
    rep_ = rep[0];
    std::string hello;
    if (!read_line_fd(rep_, hello, 10000)) {
      error_ = "the sandbox did not start";
    } else if (hello != "ok") {
      error_ = hello;
    } else {
      // nsfs mounts that came with the copy of the host's mount table (not made by any test).
      for (const auto& m : mountinfo()) if (m.fstype == "nsfs") baseline_nsfs_.insert(m.id);
    }
  }
  ~Sandbox() {
    if (req_ >= 0) ::close(req_);  // EOF: the server kills its jobs and exits
    if (rep_ >= 0) ::close(rep_);
    if (pid_ > 0) {
      int st;
      for (int i = 0; i < 1000; ++i) {
        if (::waitpid(pid_, &st, WNOHANG) == pid_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
    }
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  bool ok() const { return error_.empty() && pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  // A path inside the sandbox's mount namespace, as the test process can open it.
  std::string path(const std::string& inside) const { return "/proc/" + std::to_string(pid_) + "/root" + inside; }

  // Starts SCRIPT (sh) in the sandbox; returns a job id, or -1.
  int start(const std::string& script) {
    int id = next_job_++;
    std::string base = dir_ + "/job" + std::to_string(::getpid()) + "-" + std::to_string(serial_) + "-" + std::to_string(id);
    if (!write_text(base + ".sh", script)) return -1;
    std::string reply;
    if (!request("S " + base, reply) || reply.empty() || reply[0] == '-') return -1;
    jobs_[id] = Job{std::stoi(reply), base, script};
    return id;
  }
  // Waits for job ID (killing it after TIMEOUT_S) and collects its output.
  RunResult wait(int id, int timeout_s = 60) {
    RunResult r;
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return r;
    r.script = it->second.script;
    std::string reply;
    if (request("W " + std::to_string(it->second.pid) + " " + std::to_string(timeout_s * 1000), reply) &&
        !reply.empty()) {
      if (reply[0] == 'T') {
        r.timed_out = true;
        reply = reply.substr(2);
      }
      r.status = std::stoi(reply);
    }
    r.out = read_file(it->second.base + ".out");
    r.err = read_file(it->second.base + ".err");
    jobs_.erase(it);
    return r;
  }
  // true while job ID runs.
  bool running(int id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return false;
    std::string reply;
    return request("P " + std::to_string(it->second.pid), reply) && reply == "R";
  }
  RunResult run(const std::string& script, int timeout_s = 60) {
    int id = start(script);
    if (id < 0) {
      RunResult r;
      r.script = script;
      r.err = "(the sandbox could not start the script)";
      return r;
    }
    return wait(id, timeout_s);
  }

  // The sandbox's mount table.
  std::vector<MountEntry> mountinfo() const { return mounts("/proc/" + std::to_string(pid_) + "/mountinfo"); }
  // nsfs mounts made since the sandbox started (persistent namespaces), by mount point.
  std::vector<std::string> new_nsfs_mounts() const {
    std::vector<std::string> out;
    for (const auto& m : mountinfo())
      if (m.fstype == "nsfs" && !baseline_nsfs_.count(m.id)) out.push_back(m.mount_point);
    return out;
  }

 private:
  struct Job {
    pid_t pid;
    std::string base, script;
  };

  bool request(const std::string& line, std::string& reply) {
    if (!ok()) return false;
    if (!write_all_fd(req_, line + "\n")) return false;
    return read_line_fd(rep_, reply, 600000);
  }

  // The server: a forked child of the test process. Plain syscalls and simple strings only.
  [[noreturn]] static void serve(pid_t parent, int req, int rep) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    std::string err = enter_sandbox_namespaces();
    if (!err.empty()) {
      write_all_fd(rep, err + "\n");
      ::_exit(1);
    }
    write_all_fd(rep, "ok\n");
    std::map<pid_t, int> finished;
    std::set<pid_t> running;
    // Reaps every child that ended: a job's status is kept for its W request (and what it left
    // in its process group is killed); any other child is an orphan of a job, only reaped.
    auto reap = [&] {
      int st = 0;
      for (pid_t r; (r = ::waitpid(-1, &st, WNOHANG)) > 0;) {
        if (running.erase(r) == 0) continue;
        finished[r] = st;
        ::kill(-r, SIGKILL);
      }
    };
    std::string line;
    while (read_line_fd(req, line)) {
      char op = line.empty() ? '?' : line[0];
      std::string arg = line.size() > 2 ? line.substr(2) : "";
      if (op == 'S') {
        pid_t child = ::fork();
        if (child == 0) {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          ::setpgid(0, 0);
          int out = ::open((arg + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
          int errf = ::open((arg + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
          int in = ::open("/dev/null", O_RDONLY);
          if (out < 0 || errf < 0 || in < 0) ::_exit(126);
          ::dup2(in, 0);
          ::dup2(out, 1);
          ::dup2(errf, 2);
          for (int fd = 3; fd < 1024; ++fd) ::close(fd);  // nothing of the test reaches the script
          std::string script = arg + ".sh";
          ::execl("/bin/sh", "sh", script.c_str(), static_cast<char*>(nullptr));
          ::_exit(127);
        }
        if (child > 0) {
          ::setpgid(child, child);
          running.insert(child);
        }
        write_all_fd(rep, (child > 0 ? std::to_string(child) : "-" + std::to_string(errno)) + "\n");
      } else if (op == 'W' || op == 'P') {
        pid_t child = static_cast<pid_t>(std::atoi(arg.c_str()));
        long timeout_ms = 0;
        if (size_t sp = arg.find(' '); sp != std::string::npos) timeout_ms = std::atol(arg.c_str() + sp + 1);
        bool timed_out = false;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        reap();
        while (op == 'W' && running.count(child)) {
          if (std::chrono::steady_clock::now() > deadline) {
            int st = 0;
            ::kill(-child, SIGKILL);
            ::waitpid(child, &st, 0);
            finished[child] = st;
            running.erase(child);
            timed_out = true;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          reap();
        }
        if (op == 'P' && !finished.count(child)) {
          write_all_fd(rep, running.count(child) ? "R\n" : "-1\n");
        } else if (op == 'P') {
          write_all_fd(rep, "D\n");
        } else {
          auto f = finished.find(child);
          std::string st = f == finished.end() ? "-1" : std::to_string(f->second);
          if (f != finished.end()) finished.erase(f);
          write_all_fd(rep, (timed_out ? "T " : "") + st + "\n");
        }
      } else {
        write_all_fd(rep, "-1\n");
      }
    }
    for (pid_t c : running) {
      ::kill(-c, SIGKILL);
      int st;
      ::waitpid(c, &st, 0);
    }
    // Then the orphans of the jobs, until none is left.
    for (int round = 0; round < 300; ++round) {
      std::vector<pid_t> left = own_children();
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      if (left.empty()) break;
      for (pid_t p : left) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::_exit(0);
  }

  std::string dir_, error_;
  pid_t pid_ = -1;
  int req_ = -1, rep_ = -1;
  int next_job_ = 0;
  int serial_ = next_serial();
  std::set<std::string> baseline_nsfs_;
  std::map<int, Job> jobs_;

  static int next_serial() {
    static int n = 0;
    return ++n;
  }
};

// ---- one script in a sandbox of its own ------------------------------------------------------

// Shell variables for a script: NAME, value (quoted by the prelude).
using ScriptVars = std::vector<std::pair<std::string, std::string>>;

// SCRIPT after a prelude: `set -u`, N (the nsplan binary), T (DIR), each of VARS, and helpers:
//   now_cs                         sets NOW_CS to the uptime in 1/100 s;
//   wait_until SECONDS COMMAND...  runs COMMAND every 20 ms until it succeeds (fails after SECONDS);
//   wait_for FILE TEXT [SECONDS]   waits (default 10 s) until FILE contains TEXT.
inline std::string script_with_prelude(const std::string& dir, const ScriptVars& vars, const std::string& script) {
  std::string text = "set -u\nN=" + shq(nsplan_binary()) + "\nT=" + shq(dir) + "\n";
  for (const auto& [k, v] : vars) text += k + "=" + shq(v) + "\n";
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
  return text + script + "\n";
}

// Runs SCRIPT (after script_with_prelude) in a new Sandbox with DIR as its directory, killing it
// after TIMEOUT_S. The sandbox, and everything started in it, is gone when this returns.
// RunResult::script is SCRIPT without the prelude.
inline RunResult run_sandboxed(const std::string& dir, const ScriptVars& vars, const std::string& script,
                               int timeout_s = 40) {
  RunResult r;
  {
    Sandbox sb(dir);
    if (sb.ok()) r = sb.run(script_with_prelude(dir, vars, script), timeout_s);
    else r.err = "(no sandbox: " + sb.error() + ")";
  }
  r.script = script;
  return r;
}

// Runs FN in a forked child inside a fresh sandbox (same setup as Sandbox) and returns what FN
// returned (a report the test parses), or an error text starting with "SANDBOX-ERROR". For
// in-process tests of the applier: FN must not use gtest assertions.
inline std::string run_in_new_sandbox(const std::function<std::string()>& fn, int timeout_s = 60) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return std::string("SANDBOX-ERROR pipe: ") + std::strerror(errno);
  pid_t parent = ::getpid();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return std::string("SANDBOX-ERROR fork: ") + std::strerror(errno);
  if (pid == 0) {
    ::close(p[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    std::string err = enter_sandbox_namespaces();
    std::string report;
    if (!err.empty()) {
      report = "SANDBOX-ERROR " + err;
    } else {
      try {
        report = fn();
      } catch (const std::exception& e) {
        report = std::string("SANDBOX-ERROR exception: ") + e.what();
      }
    }
    write_all_fd(p[1], report);
    ::_exit(0);
  }
  ::close(p[1]);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      out = "SANDBOX-ERROR timed out; partial report: " + out;
      break;
    }
    struct pollfd pf {p[0], POLLIN, 0};
    int r = ::poll(&pf, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(p[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    out = "SANDBOX-ERROR child ended with status " + std::to_string(st) + "; report: " + out;
  return out;
}

// ---- host facts and profiles -------------------------------------------------------------------

// This host's facts, as nsplan probes them (the default cgroup root).
inline const applier::ProbeResult& host_probe() {
  static const applier::ProbeResult r = applier::probe_host("/sys/fs/cgroup");
  return r;
}

// Whether the probe found FILE on this kernel; a file it could not tell about counts as there
// (apply would report it missing).
inline bool kernel_has(const std::string& file) {
  const auto& known = host_probe().facts.kernel_files;
  auto it = known.find(file);
  return it == known.end() || it->second;
}

// Compiles PATH for this host with --cgroup-parent PARENT (as nsplan would).
inline std::unique_ptr<Compilation> compile_for_host(const std::string& path, const std::string& parent,
                                                     const std::string& state_dir = "/run/nsplan") {
  HostFacts facts = host_probe().facts;
  facts.cgroup_parent = parent;
  facts.state_dir = state_dir;
  return compile_file(path, applier::profile_file_reader(), facts, PlanOptions{});
}

inline std::string diagnostics_text(const Compilation& c) { return render_all(c.diags, c.sources); }

// The cgroup directories a plan step touches.
inline std::vector<std::string> step_cgroup_dirs(const plan::Action& a) {
  if (auto* x = std::get_if<plan::MakeCgroup>(&a)) return {x->dir};
  if (auto* x = std::get_if<plan::EnableControllers>(&a)) return {x->dir};
  if (auto* x = std::get_if<plan::WriteCgroupFile>(&a)) return {x->dir};
  if (auto* x = std::get_if<plan::CopyFromParent>(&a)) return {x->dir};
  if (auto* x = std::get_if<plan::SetDeviceAccess>(&a)) return {x->dir};
  if (auto* x = std::get_if<plan::AddDeviceRule>(&a)) return {x->dir};
  return {};
}

// Controllers the plan's cgroups need: v1, those whose hierarchy holds one of its directories;
// v2, those it enables in cgroup.subtree_control.
inline std::vector<std::string> controllers_of(const plan::Plan& plan) {
  std::set<std::string> out;
  const HostFacts& f = plan.facts;
  for (const auto& step : plan.steps) {
    if (f.mode == CgroupMode::V2) {
      if (auto* x = std::get_if<plan::EnableControllers>(&step.action))
        out.insert(x->controllers.begin(), x->controllers.end());
      continue;
    }
    for (const std::string& dir : step_cgroup_dirs(step.action))
      for (const auto& [c, mount] : f.v1_mounts)
        if (starts_with(dir, mount + "/")) out.insert(c);
  }
  return {out.begin(), out.end()};
}

// The per-test parent cgroup "nsplan-t-<pid>-<n>" (see the top of this file).
class CgroupParent {
 public:
  // CONTROLLERS: v1, the hierarchies to make it in; v2, controllers to have in the root's
  // subtree_control. FACTS: the layout (default: this host's, as nsplan probes it).
  CgroupParent(std::vector<std::string> controllers, const HostFacts& facts = host_probe().facts)
      : facts_(facts), controllers_(std::move(controllers)) {
    static int n = 0;
    name_ = test_name("cg" + std::to_string(++n));
    make();
  }
  ~CgroupParent() { remove(); }
  CgroupParent(const CgroupParent&) = delete;
  CgroupParent& operator=(const CgroupParent&) = delete;

  const std::string& name() const { return name_; }
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  bool v2() const { return facts_.mode == CgroupMode::V2; }
  // The parent's directory in every hierarchy it was made in.
  const std::vector<std::string>& dirs() const { return dirs_; }
  // The parent's directory in the hierarchy of CONTROLLER (v2: the one directory).
  std::string dir_of(const std::string& controller) const {
    return facts_.mode == CgroupMode::V2 ? facts_.cgroup_root + "/" + name_
                                         : facts_.hierarchy_of(controller) + "/" + name_;
  }
  // Sub-cgroups below the parent (all levels), as absolute paths; empty when nothing is left.
  std::vector<std::string> descendants() const {
    std::vector<std::string> out;
    for (const auto& d : dirs_) collect(d, out);
    return out;
  }
  // Removes the parent and makes it again, empty (as at the start).
  void reset() {
    remove();
    error_.clear();
    make();
  }

 private:
  static void collect(const std::string& dir, std::vector<std::string>& out) {
    for (const std::string& n : list_dir(dir)) {
      std::string child = dir + "/" + n;
      struct stat st;
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        out.push_back(child);
        collect(child, out);
      }
    }
  }

  void make() {
    if (facts_.mode == CgroupMode::V2) {
      std::string root = facts_.cgroup_root;
      std::string enabled = read_file(root + "/cgroup.subtree_control");
      std::set<std::string> have;
      std::istringstream in(enabled);
      for (std::string c; in >> c;) have.insert(c);
      for (const auto& c : controllers_) {
        if (have.count(c)) continue;
        if (!write_text(root + "/cgroup.subtree_control", "+" + c)) {
          error_ = "cannot enable " + c + " in " + root + "/cgroup.subtree_control";
          return;
        }
        enabled_in_root_.push_back(c);
      }
      add_dir(root + "/" + name_, false);
      return;
    }
    for (const auto& c : controllers_) {
      auto it = facts_.v1_mounts.find(c);
      if (it == facts_.v1_mounts.end()) {
        error_ = "no v1 hierarchy with the " + c + " controller";
        return;
      }
      std::string dir = it->second + "/" + name_;
      if (std::find(dirs_.begin(), dirs_.end(), dir) != dirs_.end()) continue;  // co-mounted
      add_dir(dir, path_exists(it->second + "/cpuset.cpus"));
      if (!error_.empty()) return;
    }
  }

  void add_dir(const std::string& dir, bool cpuset) {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      // An existing one is not ours (a stale run with the same pid?): never touch it.
      error_ = "mkdir " + dir + ": " + std::strerror(errno);
      return;
    }
    dirs_.push_back(dir);
    if (cpuset) {
      // A new v1 cpuset starts empty: give it the root's CPUs and memory nodes.
      std::string root = dir.substr(0, dir.rfind('/'));
      for (const char* f : {"cpuset.cpus", "cpuset.mems"})
        if (!write_text(dir + "/" + f, read_file(root + "/" + f)))
          error_ = std::string("cannot copy ") + f + " into " + dir;
    }
  }

  // The pids in cgroup.procs of the parent and of every cgroup below it.
  std::vector<pid_t> tasks() const {
    std::vector<std::string> dirs = dirs_;
    for (const auto& d : descendants()) dirs.push_back(d);
    std::vector<pid_t> out;
    for (const auto& d : dirs) {
      std::istringstream in(read_file(d + "/cgroup.procs"));
      for (long p; in >> p;) out.push_back(static_cast<pid_t>(p));
    }
    return out;
  }

  void remove() {
    // Whatever a test left running in the tree is killed first: a cgroup with tasks cannot go.
    for (int round = 0; round < 200; ++round) {
      std::vector<pid_t> procs = tasks();
      if (procs.empty()) break;
      for (pid_t p : procs)
        if (p > 1 && p != ::getpid()) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) remove_cgroup_tree(*it);
    dirs_.clear();
    for (auto it = enabled_in_root_.rbegin(); it != enabled_in_root_.rend(); ++it)
      (void)write_text(facts_.cgroup_root + "/cgroup.subtree_control", "-" + *it);
    enabled_in_root_.clear();
  }

  HostFacts facts_;
  std::vector<std::string> controllers_;
  std::string name_, error_;
  std::vector<std::string> dirs_;
  std::vector<std::string> enabled_in_root_;
};

// ---- what is left in a sandbox ---------------------------------------------------------------

// Interface names in the sandbox's own network namespace (`ip -o link`).
inline std::vector<std::string> sandbox_links(Sandbox& sb) {
  RunResult r = sb.run("ip -o link show");
  std::vector<std::string> out;
  for (const std::string& line : lines_of(r.out)) {
    size_t a = line.find(": ");
    if (a == std::string::npos) continue;
    size_t b = line.find(':', a + 2);
    std::string name = line.substr(a + 2, b == std::string::npos ? std::string::npos : b - a - 2);
    if (size_t at = name.find('@'); at != std::string::npos) name.resize(at);
    out.push_back(name);
  }
  return out;
}

inline std::string joined(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// Everything still there that a profile applied in SB under PARENT could have made: sub-cgroups
// of the parent, links other than lo and KEEP_LINKS, network namespaces, nsfs mounts made in the
// sandbox, the profile's state and journal files. Empty when nothing is left. Links of deleted
// namespaces (veth peers) go asynchronously: this waits up to 3 s for them.
inline std::vector<std::string> leftovers_in(Sandbox& sb, const CgroupParent* parent, const std::string& profile,
                                             const std::vector<std::string>& keep_links = {}) {
  std::vector<std::string> left;
  if (parent)
    for (const auto& d : parent->descendants()) left.push_back("cgroup " + d);
  std::vector<std::string> extra_links;
  for (int i = 0; i < 300; ++i) {
    extra_links.clear();
    for (const auto& l : sandbox_links(sb))
      if (l != "lo" && std::find(keep_links.begin(), keep_links.end(), l) == keep_links.end())
        extra_links.push_back(l);
    if (extra_links.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& l : extra_links) left.push_back("link " + l);
  RunResult ns = sb.run("ip netns list");
  for (const auto& l : lines_of(ns.out))
    if (!trim(l).empty()) left.push_back("netns " + trim(l));
  for (const auto& m : sb.new_nsfs_mounts()) left.push_back("nsfs mount " + m);
  for (const char* ext : {".state", ".journal"}) {
    std::string f = "/run/nsplan/" + profile + ext;
    if (path_exists(sb.path(f))) left.push_back("file " + f);
  }
  return left;
}

// ---- nsplan commands and their output -------------------------------------------------------

// `nsplan VERB 'PROFILE' --cgroup-parent 'PARENT' EXTRA` as a sandbox script line.
inline std::string nsplan_cmd(const std::string& verb, const std::string& profile, const std::string& parent,
                       const std::string& extra = "") {
  std::string s = shq(nsplan_binary()) + " " + verb + " " + shq(profile);
  if (!parent.empty()) s += " --cgroup-parent " + shq(parent);
  if (!extra.empty()) s += " " + extra;
  return s;
}

inline std::vector<std::string> shipped_profiles() {
  std::vector<std::string> out;
  for (const std::string& n : list_dir(source_dir() + "/profiles"))
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".yaml") == 0) out.push_back(n.substr(0, n.size() - 5));
  std::sort(out.begin(), out.end());
  return out;
}

// The shipped profiles that apply something (a plan with steps): rootless-net, for one, only
// runs a command, and the apply tests would have nothing to apply, fault or undo.
inline std::vector<std::string> applied_profiles() {
  std::vector<std::string> out;
  for (const auto& n : shipped_profiles()) {
    auto c = compile_file(source_dir() + "/profiles/" + n + ".yaml", applier::profile_file_reader(),
                          HostFacts::stated(CgroupMode::V2), PlanOptions{});
    if (!c->ok() || !c->plan->steps.empty()) out.push_back(n);  // one that does not compile fails its tests
  }
  return out;
}

// A gtest parameter name for a profile name ("build-jail" -> "build_jail").
inline std::string profile_param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n;
  for (char c : info.param) n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return n;
}

// Parses `status --json`; on failure an object with "error".
inline nlohmann::json parse_status(const RunResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    return nlohmann::json{{"error", std::string(e.what())}};
  }
}

// Keys of status items whose "present" differs from WANT.
inline std::vector<std::string> items_not(const nlohmann::json& status, bool want) {
  std::vector<std::string> out;
  if (!status.contains("items")) return {"(no items: " + status.dump() + ")"};
  for (const auto& item : status["items"])
    if (item.value("present", !want) != want) out.push_back(item.value("key", std::string("?")));
  return out;
}

// A value the kernel reads back as it was written: memory sizes are rounded down to whole pages.
inline bool same_cgroup_value(const std::string& file, const std::string& want, const std::string& got) {
  if (want == got) return true;
  if (file.rfind("memory.", 0) == 0 && !want.empty() &&
      std::all_of(want.begin(), want.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    long page = ::sysconf(_SC_PAGESIZE);
    unsigned long long v = std::stoull(want);
    return std::to_string(v / page * page) == got;
  }
  return false;
}

// The state file's identity and mtime: unchanged means nsplan did not rewrite it.
inline std::string stat_id(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + "@" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

// ---- a profile prepared for this host: compiled, with its cgroup parent made -----------------

struct Prepared {
  std::unique_ptr<CgroupParent> parent;
  std::unique_ptr<Compilation> c;
  const plan::Plan& plan() const { return *c->plan; }
};

// Compiles PATH for this host, makes the cgroup parent in every hierarchy it uses, and compiles
// again under that parent (the paths nsplan will use). Sets *why when the host cannot take it.
inline Prepared prepare(const std::string& path, std::string* why) {
  Prepared p;
  auto probe = compile_for_host(path, "nsplan-t-probe");
  if (!probe->ok()) {
    *why = "this host cannot take " + path + ":\n" + diagnostics_text(*probe);
    return p;
  }
  p.parent = std::make_unique<CgroupParent>(controllers_of(*probe->plan));
  if (!p.parent->ok()) {
    *why = "cannot make the test's cgroup parent: " + p.parent->error();
    return p;
  }
  p.c = compile_for_host(path, p.parent->name());
  if (!p.c->ok()) *why = diagnostics_text(*p.c);
  return p;
}

#define NSPLAN_PREPARE(var, path)                                  \
  std::string var##_why;                                          \
  Prepared var = prepare(path, &var##_why);                       \
  if (!var##_why.empty()) NSPLAN_SKIP_OR_FAIL(var##_why);         \
  ASSERT_TRUE(var.c && var.c->ok())

// A test against this host: root, a probe of the host that worked, and a temp dir of its own.
class ProbedHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
  }
  bool v2() const { return host_probe().facts.mode == CgroupMode::V2; }
  TempDir tmp_;
};

#define NSPLAN_SANDBOX(var, dir)        \
  Sandbox var(dir);                     \
  ASSERT_TRUE(var.ok()) << var.error()

}  // namespace nsplan::kernel_test
