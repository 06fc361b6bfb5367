#include "applier/nft_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "applier/fd.h"
#include "applier/program_run.h"

namespace nsplan::applier {
namespace {

// From the system, never from the caller's PATH.
std::string nft_path() {
  for (const char* p : {"/usr/sbin/nft", "/sbin/nft"})
    if (::access(p, X_OK) == 0) return p;
  return "/usr/sbin/nft";
}

using NftRun = ProgramRun;

// Runs nft ARGS with INPUT on its stdin, for at most one minute.
SysResult<NftRun> run_nft(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv{nft_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto ran = run_program(argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, input, std::chrono::minutes(1));
  // Not ENOENT: that would read as "no such table".
  if (ran.ok() && ran.value().status == 127)
    return SysError{ENOEXEC, argv[0] + " could not be run (is the nftables package installed?)", 0, {}};
  return ran;
}

// nft prints the kernel's error in words: the ones nsplan decides on become errnos.
SysError nft_failed(const std::string& what, const NftRun& ran) {
  // nft repeats the offending command under its error, with carets: the error line says it.
  std::string detail;
  std::istringstream in(ran.output);
  std::string last;
  for (std::string line; std::getline(in, line);) {
    if (const size_t at = line.find("Error: "); at != std::string::npos) detail = line.substr(at);
    if (!line.empty()) last = line;
  }
  if (detail.empty()) detail = last;
  int err = EIO;
  if (detail.find("File exists") != std::string::npos) err = EEXIST;
  else if (detail.find("No such file or directory") != std::string::npos) err = ENOENT;
  else if (detail.find("Operation not permitted") != std::string::npos) err = EPERM;
  return SysError{err, what + (ran.status < 0 ? " was killed" : " failed"), 0, detail};
}

uint64_t own_netns_inode() {
  struct stat st{};
  return ::stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

SysResult<std::string> sysctl_path(const std::string& key) {
  bool ok = key.rfind("net.", 0) == 0 && key.size() < 128 && key.find("..") == std::string::npos && key.back() != '.';
  for (char c : key) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  if (!ok) return SysError{EINVAL, "'" + key + "' is not a network sysctl nsplan sets", 0, {}};
  std::string path = "/proc/sys/" + key;
  for (size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  return path;
}

}  // namespace

SysResult<NftTableInfo> nft_table_info(const std::string& family, const std::string& name) {
  auto ran = run_nft({"-a", "list", "table", family, name}, {});
  if (!ran.ok()) return ran.error();
  if (ran.value().status != 0) return nft_failed("nft list table " + family + " " + name, ran.value());
  // "table ip NAME { # handle 7" and, when it has one, a line `comment "TEXT"`.
  NftTableInfo info;
  info.netns = own_netns_inode();
  std::istringstream in(ran.value().output);
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line.rfind("table ", 0) == 0) {
      const size_t h = line.find("# handle ");
      if (h != std::string::npos) info.handle = std::strtoull(line.c_str() + h + 9, nullptr, 10);
    } else if (line.rfind("comment \"", 0) == 0 && line.size() > 10 && line.back() == '"') {
      info.comment = line.substr(9, line.size() - 10);
    }
  }
  if (info.handle == 0) return SysError{EIO, "nft list table " + family + " " + name + " showed no handle", 0, ran.value().output};
  return info;
}

Status nft_run_ruleset(const std::string& ruleset) {
  auto ran = run_nft({"-f", "-"}, ruleset);
  if (!ran.ok()) return ran.error();
  if (ran.value().status != 0) return nft_failed("nft -f -", ran.value());
  return {};
}

Status nft_delete(const std::string& family, const std::string& name, uint64_t handle) {
  std::vector<std::string> args{"delete", "table", family};
  if (handle) args.insert(args.end(), {"handle", std::to_string(handle)});
  else args.push_back(name);
  auto ran = run_nft(args, {});
  if (!ran.ok()) return ran.error();
  if (ran.value().status != 0) return nft_failed("nft delete table " + family + " " + name, ran.value());
  return {};
}

SysResult<std::string> read_sysctl(const std::string& key) {
  auto path = sysctl_path(key);
  if (!path.ok()) return path.error();
  Fd fd(::open(path.value().c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open " + path.value());
  char buf[256];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n < 0) return errno_error("read " + path.value());
  std::string value(buf, static_cast<size_t>(n));
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

Status write_sysctl(const std::string& key, const std::string& value) {
  auto path = sysctl_path(key);
  if (!path.ok()) return path.error();
  Fd fd(::open(path.value().c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open " + path.value());
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) return errno_error("write " + path.value());
  return {};
}

}  // namespace nsplan::applier
