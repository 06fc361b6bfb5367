#include "applier/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nsplan::applier {
namespace {

// The profile's name becomes file names in the state dir: it must stay one component there.
// (The command line accepts only names of [A-Za-z0-9_.-] that do not start with '.' or '-'.)
std::optional<SysError> bad_profile_name(const std::string& profile) {
  if (profile.empty() || profile[0] == '.' || profile.find('/') != std::string::npos || profile.find('\0') != std::string::npos)
    return SysError{EINVAL, "'" + profile + "' cannot name files in the state dir", 0, {}};
  return std::nullopt;
}

// A read-only state whose dir does not exist holds nothing (nsplan never ran here).
bool nothing_there(const Status& no_dir) { return no_dir.err() == ENOENT; }

}  // namespace

SysResult<ProfileState> ProfileState::open(const std::string& state_dir, const std::string& profile, bool wait) {
  if (auto bad = bad_profile_name(profile)) return *bad;
  auto dir = StateDir::open(state_dir, true);
  if (!dir.ok()) return dir.error();
  ProfileState st;
  st.dir_.emplace(std::move(dir).value());
  st.profile_ = profile;
  st.state_path_ = st.dir_->path_of(st.state_name());
  st.journal_path_ = st.dir_->path_of(st.journal_name());
  const std::string lock_name = profile + ".lock";
  auto lock = st.dir_->open_file(lock_name, O_RDWR | O_CREAT);
  if (!lock.ok()) return lock.error();
  st.lock_fd_ = lock.value();
  if (flock(st.lock_fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = pread(st.lock_fd_, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another nsplan";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return errno_error("profile '" + profile + "' is being applied or destroyed by pid " + holder + " (" +
                           st.dir_->path_of(lock_name) + ")",
                       err);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(st.lock_fd_, 0) == 0) (void)pwrite(st.lock_fd_, pid.data(), pid.size(), 0);
  return st;
}

ProfileState ProfileState::read_only(const std::string& state_dir, const std::string& profile) {
  ProfileState st;
  st.profile_ = profile;
  st.state_path_ = state_dir + "/" + st.state_name();
  st.journal_path_ = state_dir + "/" + st.journal_name();
  if (auto bad = bad_profile_name(profile)) {
    st.dir_error_ = *bad;
    return st;
  }
  auto dir = StateDir::open(state_dir, false);
  if (!dir.ok()) {
    st.dir_error_ = dir.error();
    return st;
  }
  st.dir_.emplace(std::move(dir).value());
  st.state_path_ = st.dir_->path_of(st.state_name());
  st.journal_path_ = st.dir_->path_of(st.journal_name());
  return st;
}

ProfileState::ProfileState(ProfileState&& o) noexcept
    : dir_(std::move(o.dir_)), dir_error_(std::move(o.dir_error_)), profile_(std::move(o.profile_)),
      state_path_(std::move(o.state_path_)), journal_path_(std::move(o.journal_path_)), applied_(std::move(o.applied_)),
      lock_fd_(o.lock_fd_),
      journal_fd_(o.journal_fd_) {
  o.lock_fd_ = -1;
  o.journal_fd_ = -1;
}

ProfileState::~ProfileState() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status ProfileState::no_dir() const {
  if (dir_) return {};
  return dir_error_ ? *dir_error_ : SysError{EBADF, "no state dir", 0, {}};
}

bool ProfileState::has_state() const { return dir_ && dir_->has_entry(state_name()); }

SysResult<std::vector<Owned>> parse_state_text(const std::string& text, const std::string& profile, const std::string& path) {
  std::vector<Owned> out;
  auto corrupt = [&](const std::string& why) {
    return errno_error("state file " + path + " is not what nsplan wrote (" + why +
                           "); if it was edited by hand, restore it or remove it and clean up by hand",
                       EINVAL);
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
  auto field_is = [&](const char* key, auto&& test) { return j.is_object() && j.contains(key) && test(j.at(key)); };
  if (!field_is("nsplan_state", [](const nlohmann::json& v) { return v.is_number_integer() && v.get<int64_t>() == 1; }) ||
      !field_is("owned", [](const nlohmann::json& v) { return v.is_array(); }))
    return corrupt("no nsplan_state 1 with an owned list");
  if (!field_is("profile", [&](const nlohmann::json& v) { return v.is_string() && v.get<std::string>() == profile; }))
    return corrupt("it names another profile");
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

SysResult<std::vector<Owned>> parse_journal_text(const std::string& text, const std::string& path) {
  std::vector<Owned> out;
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
      return errno_error("journal " + path + " line " + std::to_string(i + 1) + " is damaged: " + error, EINVAL);
    }
    out.push_back(std::move(*o));
  }
  return out;
}

SysResult<std::vector<Owned>> ProfileState::load() const {
  std::vector<Owned> out;
  if (Status s = no_dir(); !s.ok()) {
    if (nothing_there(s)) return out;
    return s.error();
  }
  auto read = dir_->read_file(state_name());
  if (!read.ok()) return read.error();
  if (!read.value()) return out;
  return parse_state_text(*read.value(), profile_, state_path_);
}

AppliedFrom applied_from_text(const std::string& text) {
  AppliedFrom out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  // Input, not a fact: an absolute path of printable characters, a time of ISO 8601's alphabet.
  if (auto s = j.find("source"); s != j.end() && s->is_string()) {
    std::string v = s->get<std::string>();
    bool ok = !v.empty() && v[0] == '/' && v.size() < 4096 &&
              std::all_of(v.begin(), v.end(), [](unsigned char ch) { return ch >= 0x20 && ch != 0x7f; });
    if (ok) out.source = v;
  }
  if (auto a = j.find("applied_at"); a != j.end() && a->is_string()) {
    std::string v = a->get<std::string>();
    bool ok = v.size() == 20 && std::all_of(v.begin(), v.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) || ch == '-' || ch == ':' || ch == 'T' || ch == 'Z'; });
    if (ok) out.at = v;
  }
  if (auto f = j.find("from_stdin"); f != j.end() && f->is_boolean() && out.source.empty()) out.from_stdin = f->get<bool>();
  return out;
}

void ProfileState::set_applied_from(const std::string& source) {
  applied_.source = source;
  char buf[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  applied_.at = buf;
}

void ProfileState::set_applied_from_stdin() {
  set_applied_from("");
  applied_.from_stdin = true;
}

AppliedFrom ProfileState::applied_from() const {
  if (!no_dir().ok()) return {};
  auto read = dir_->read_file(state_name());
  if (!read.ok() || !read.value()) return {};
  return applied_from_text(*read.value());
}

std::vector<std::string> ProfileState::profiles_in(const std::string& state_dir) {
  std::vector<std::string> names;
  auto dir = StateDir::open(state_dir, false);  // the same checks as every other use
  if (!dir.ok()) return names;
  const std::string suffix = ".state";
  for (const std::string& file : dir.value().files_ending(suffix)) {
    std::string name = file.substr(0, file.size() - suffix.size());
    if (!bad_profile_name(name)) names.push_back(name);
  }
  return names;
}

void ProfileState::for_records_of_others(const std::function<void(const std::string&, const Owned&)>& visit) const {
  if (!no_dir().ok()) return;
  // The journal of an apply under way holds what is not in its state file yet.
  for (const std::string ending : {".state", ".journal"}) {
    for (const std::string& file : dir_->files_ending(ending)) {
      const std::string profile = file.substr(0, file.size() - ending.size());
      if (profile == profile_) continue;
      auto read = dir_->read_file(file);  // refuses links and files others could have written
      if (!read.ok() || !read.value()) continue;
      if (ending == ".state") {
        auto parsed = parse_state_text(*read.value(), profile, dir_->path_of(file));
        if (!parsed.ok()) continue;
        for (const Owned& o : parsed.value()) visit(profile, o);
      } else {
        std::istringstream lines(*read.value());
        std::string line, error;
        while (std::getline(lines, line))
          if (auto o = owned_from_json(line, error)) visit(profile, *o);
      }
    }
  }
}

std::set<uint32_t> ProfileState::link_groups_of_others() const {
  std::set<uint32_t> groups;
  for_records_of_others([&](const std::string&, const Owned& o) {
    if (auto* u = std::get_if<DeleteLink>(&o.undo); u && u->netns.empty() && u->group) groups.insert(u->group);
  });
  return groups;
}

std::set<std::string> ProfileState::uplinks_of_others() const {
  std::set<std::string> profiles;
  for_records_of_others([&](const std::string& profile, const Owned& o) {
    if (std::holds_alternative<DeleteNftTable>(o.undo)) profiles.insert(profile);
  });
  return profiles;
}

Status ProfileState::save(const std::vector<Owned>& owned) const {
  nlohmann::json j;
  j["nsplan_state"] = 1;
  j["profile"] = profile_;
  // An apply records its own source (none, from standard input); a save of no apply keeps the last.
  AppliedFrom from = applied_.at.empty() ? applied_from() : applied_;
  if (!from.source.empty()) j["source"] = from.source;
  if (from.from_stdin) j["from_stdin"] = true;
  if (!from.at.empty()) j["applied_at"] = from.at;
  j["owned"] = nlohmann::json::array();
  for (const auto& o : owned) j["owned"].push_back(owned_to_record(o));
  if (Status s = no_dir(); !s.ok()) return s;
  return dir_->replace_file(state_name(), j.dump(1) + "\n");
}

Status ProfileState::remove_state() const {
  if (Status s = no_dir(); !s.ok()) return s;
  return dir_->remove_file(state_name());
}

SysResult<std::vector<Owned>> ProfileState::read_journal() const {
  std::vector<Owned> out;
  if (Status s = no_dir(); !s.ok()) {
    if (nothing_there(s)) return out;
    return s.error();
  }
  auto read = dir_->read_file(journal_name());
  if (!read.ok()) return read.error();
  if (!read.value()) return out;
  return parse_journal_text(*read.value(), journal_path_);
}

Status ProfileState::journal_start() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = -1;
  if (Status s = no_dir(); !s.ok()) return s;
  auto opened = dir_->open_file(journal_name(), O_WRONLY | O_CREAT | O_APPEND);
  if (!opened.ok()) return opened.error();
  journal_fd_ = opened.value();
  // Truncated only now that it is known to be our own regular file.
  if (ftruncate(journal_fd_, 0) != 0) return errno_error("truncate " + journal_path_);
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
  if (Status s = no_dir(); !s.ok()) return s;
  return dir_->remove_file(journal_name());
}

}  // namespace nsplan::applier
