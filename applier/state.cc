#include "applier/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nsplan::applier {
namespace {

Status mkdir_private(const std::string& dir) {
  // Every missing component is made 0700; an existing state dir must not be writable by others.
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("mkdir " + part);
  }
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) return errno_error("stat " + dir);
  if (!S_ISDIR(st.st_mode)) return errno_error(dir + " is not a directory", ENOTDIR);
  if (st.st_uid != geteuid() || (st.st_mode & 0022))
    return errno_error("state dir " + dir + " is writable by others or not ours; refusing it", EPERM);
  return {};
}

Status write_all(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write " + what);
    done += static_cast<size_t>(n);
  }
  return {};
}

std::string read_text(const std::string& path, bool& found) {
  std::ifstream in(path);
  found = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

SysResult<ProfileState> ProfileState::open(const std::string& state_dir, const std::string& profile, bool wait) {
  if (Status s = mkdir_private(state_dir); !s.ok()) return s.error();
  ProfileState st;
  st.dir_ = state_dir;
  st.profile_ = profile;
  st.state_path_ = state_dir + "/" + profile + ".state";
  st.journal_path_ = state_dir + "/" + profile + ".journal";
  std::string lock_path = state_dir + "/" + profile + ".lock";
  st.lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (st.lock_fd_ < 0) return errno_error("open " + lock_path);
  if (flock(st.lock_fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = pread(st.lock_fd_, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another nsplan";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return errno_error("profile '" + profile + "' is being applied or destroyed by pid " + holder + " (" + lock_path + ")", err);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(st.lock_fd_, 0) == 0) (void)pwrite(st.lock_fd_, pid.data(), pid.size(), 0);
  return st;
}

ProfileState ProfileState::read_only(const std::string& state_dir, const std::string& profile) {
  ProfileState st;
  st.dir_ = state_dir;
  st.profile_ = profile;
  st.state_path_ = state_dir + "/" + profile + ".state";
  st.journal_path_ = state_dir + "/" + profile + ".journal";
  return st;
}

ProfileState::ProfileState(ProfileState&& o) noexcept
    : dir_(std::move(o.dir_)), profile_(std::move(o.profile_)), state_path_(std::move(o.state_path_)),
      journal_path_(std::move(o.journal_path_)), lock_fd_(o.lock_fd_), journal_fd_(o.journal_fd_) {
  o.lock_fd_ = -1;
  o.journal_fd_ = -1;
}

ProfileState::~ProfileState() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

bool ProfileState::has_state() const { return access(state_path_.c_str(), F_OK) == 0; }

SysResult<std::vector<Owned>> ProfileState::load() const {
  bool found = false;
  std::string text = read_text(state_path_, found);
  std::vector<Owned> out;
  if (!found) return out;
  auto corrupt = [&](const std::string& why) {
    return errno_error("state file " + state_path_ + " is not what nsplan wrote (" + why +
                           "); if it was edited by hand, restore it or remove it and clean up by hand",
                       EINVAL);
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
  if (!j.is_object() || j.value("nsplan_state", 0) != 1 || !j.contains("owned") || !j["owned"].is_array())
    return corrupt("no nsplan_state 1 with an owned list");
  if (j.value("profile", std::string()) != profile_) return corrupt("it names another profile");
  size_t index = 0;
  for (const auto& item : j["owned"]) {
    std::string error;
    auto o = owned_from_record(item, error);
    if (!o) return corrupt("entry " + std::to_string(index) + ": " + error);
    out.push_back(std::move(*o));
    ++index;
  }
  return out;
}

Status ProfileState::save(const std::vector<Owned>& owned) const {
  nlohmann::json j;
  j["nsplan_state"] = 1;
  j["profile"] = profile_;
  j["owned"] = nlohmann::json::array();
  for (const auto& o : owned) j["owned"].push_back(owned_to_record(o));
  std::string text = j.dump(1) + "\n";
  std::string tmp = state_path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno_error("open " + tmp);
  Status s = write_all(fd, text, tmp);
  if (s.ok() && fsync(fd) != 0) s = errno_error("fsync " + tmp);
  ::close(fd);
  if (s.ok() && rename(tmp.c_str(), state_path_.c_str()) != 0) s = errno_error("rename " + tmp);
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

Status ProfileState::remove_state() const {
  if (unlink(state_path_.c_str()) != 0 && errno != ENOENT) return errno_error("unlink " + state_path_);
  return {};
}

SysResult<std::vector<Owned>> ProfileState::read_journal() const {
  bool found = false;
  std::string text = read_text(journal_path_, found);
  std::vector<Owned> out;
  if (!found) return out;
  std::istringstream in(text);
  std::string line;
  bool complete = !text.empty() && text.back() == '\n';
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::string error;
    auto o = owned_from_json(lines[i], error);
    if (!o) {
      if (i + 1 == lines.size() && !complete) break;  // torn by a crash mid-write: never acted on
      return errno_error("journal " + journal_path_ + " line " + std::to_string(i + 1) + " is damaged: " + error, EINVAL);
    }
    out.push_back(std::move(*o));
  }
  return out;
}

Status ProfileState::journal_start() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = ::open(journal_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (journal_fd_ < 0) return errno_error("open " + journal_path_);
  return {};
}

Status ProfileState::journal_append(const Owned& record) {
  if (journal_fd_ < 0) return errno_error("journal not started", EBADF);
  // One write(2) per record, no fdatasync: the journal guards against a killed nsplan, whose
  // writes the kernel keeps; after a machine crash the kernel objects it describes are gone
  // too. A sync per step would cost milliseconds on a disk-backed /run.
  return write_all(journal_fd_, to_json_line(record) + "\n", journal_path_);
}

void ProfileState::after_change(size_t n) {
  static const long crash_after = [] {
    const char* v = std::getenv("NSPLAN_TEST_CRASH_AFTER");
    return v ? std::strtol(v, nullptr, 10) : -1L;
  }();
  if (crash_after >= 0 && static_cast<long>(n) == crash_after) std::raise(SIGKILL);
}

Status ProfileState::journal_remove() {
  if (journal_fd_ >= 0) {
    ::close(journal_fd_);
    journal_fd_ = -1;
  }
  if (unlink(journal_path_.c_str()) != 0 && errno != ENOENT) return errno_error("unlink " + journal_path_);
  return {};
}

}  // namespace nsplan::applier
