// What nsplan keeps between runs, per profile, under the state dir (default /run/nsplan, 0700):
//   NAME.lock      flock: one apply/destroy of a profile at a time
//   NAME.state     what the profile owns (JSON), replaced atomically (NAME.state.tmp written and
//                  fsynced, renamed over it, the dir fsynced)
//   NAME.journal   write-ahead log of the apply in progress: one undo per line, written before
//                  the change it undoes; replayed backwards by the next run after nsplan was
//                  killed, then removed
// Nobody but root can change any of it: the state dir is opened once, by a walk from "/" that
// follows no symbolic link and refuses a directory on the way that someone else could write
// (a sticky one like /tmp excepted), and every file is reached relative to that directory fd,
// never through a symbolic link, and must be a regular file of the user running nsplan that
// group and others cannot write (applier/state_dir.h). What the records say is checked before
// they are acted on (applier/record_check.h), not here.
#pragma once
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "applier/state_dir.h"
#include "applier/sys_error.h"
#include "applier/undo.h"

namespace nsplan::applier {

// Where apply and destroy keep what a profile owns and the journal of the apply in progress:
// the files under the state dir (ProfileState), or memory (MemoryState: `explain` runs the same
// apply and destroy against the script writer).
class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual SysResult<std::vector<Owned>> load() const = 0;
  virtual Status save(const std::vector<Owned>& owned) const = 0;
  virtual Status remove_state() const = 0;
  virtual bool has_state() const = 0;
  virtual SysResult<std::vector<Owned>> read_journal() const = 0;
  virtual Status journal_start() = 0;
  virtual Status journal_append(const Owned& record) = 0;
  virtual Status journal_remove() = 0;
  virtual std::string state_path() const = 0;
  // Called after the N-th change of an apply (the crash-recovery tests kill nsplan there).
  virtual void after_change(size_t /*n*/) {}
  // Whether each record names the kernel identity of its subject: records on disk must (they are
  // checked before use); a script's records cannot.
  virtual bool records_carry_identities() const { return true; }
  // The host link groups that the other profiles of this state dir record, in their state or in
  // the journal of an apply under way (apply keeps out of them without dumping the host's links).
  virtual std::set<uint32_t> link_groups_of_others() const { return {}; }
  // The other profiles of this state dir with an uplink (an nftables table) recorded in their
  // state or in the journal of an apply under way: they rely on IPv4 forwarding staying on.
  virtual std::set<std::string> uplinks_of_others() const { return {}; }
};

// The texts of a state file and a journal, as ProfileState reads them (also for the fuzzer).
// PATH names the file in errors; PROFILE must be the name the state file records.
SysResult<std::vector<Owned>> parse_state_text(const std::string& text, const std::string& profile, const std::string& path);
SysResult<std::vector<Owned>> parse_journal_text(const std::string& text, const std::string& path);

class MemoryState final : public StateStore {
 public:
  SysResult<std::vector<Owned>> load() const override { return owned_; }
  Status save(const std::vector<Owned>& owned) const override {
    owned_ = owned;
    saved_ = true;
    return {};
  }
  Status remove_state() const override {
    owned_.clear();
    saved_ = false;
    return {};
  }
  bool has_state() const override { return saved_; }
  SysResult<std::vector<Owned>> read_journal() const override { return std::vector<Owned>(); }
  Status journal_start() override { return {}; }
  Status journal_append(const Owned&) override { return {}; }
  Status journal_remove() override { return {}; }
  std::string state_path() const override { return "(memory)"; }
  bool records_carry_identities() const override { return false; }

 private:
  mutable std::vector<Owned> owned_;
  mutable bool saved_ = false;
};

// What a state file records of the apply itself: the profile file it came from (absolute) and
// when (UTC, ISO 8601). Empty in a state written before nsplan kept them.
struct AppliedFrom {
  std::string source;
  std::string at;
  bool from_stdin = false;  // the profile was read from standard input (`apply -`): no file
};
// The header of a state file's text; fields that are not what nsplan writes are left empty.
AppliedFrom applied_from_text(const std::string& text);

class ProfileState final : public StateStore {
 public:
  // Opens the state dir (making what is missing, 0700; refusing what others could change: see
  // the top of this file) and takes the profile's lock. With wait=false a held lock fails at
  // once with EWOULDBLOCK and says who holds it.
  static SysResult<ProfileState> open(const std::string& state_dir, const std::string& profile, bool wait);
  // Reads without taking the lock or creating anything (for plan and status), with the same
  // checks: a state dir that does not exist holds nothing; one that is refused makes load()
  // and read_journal() fail with the refusal.
  static ProfileState read_only(const std::string& state_dir, const std::string& profile);
  ProfileState(ProfileState&& other) noexcept;
  ProfileState& operator=(ProfileState&&) = delete;
  ~ProfileState();

  // The owned records of the last successful apply (empty when never applied). A file that is
  // not what nsplan wrote is an error naming the file and the line.
  SysResult<std::vector<Owned>> load() const override;
  Status save(const std::vector<Owned>& owned) const override;
  Status remove_state() const override;
  bool has_state() const override;

  // The journal of an interrupted apply (empty when none). A torn last line is ignored.
  SysResult<std::vector<Owned>> read_journal() const override;
  Status journal_start() override;
  Status journal_append(const Owned& record) override;
  Status journal_remove() override;

  std::string state_path() const override { return state_path_; }
  std::set<uint32_t> link_groups_of_others() const override;
  std::set<std::string> uplinks_of_others() const override;
  // The profile file this apply comes from (an absolute path), recorded with the time by every
  // save of this apply; a save without it (destroy keeping what it could not remove) keeps what
  // the file had.
  void set_applied_from(const std::string& source);
  // The same for a profile read from standard input: no file is recorded (not the last one's).
  void set_applied_from_stdin();
  AppliedFrom applied_from() const;
  // The profiles with a state file in STATE_DIR, by name (for `nsplan list`).
  static std::vector<std::string> profiles_in(const std::string& state_dir);
  // Fault injection for the crash-recovery tests: NSPLAN_TEST_CRASH_AFTER=K kills the process
  // with SIGKILL right after the K-th change of an apply (docs/testing.md).
  void after_change(size_t n) override;

 private:
  ProfileState() = default;
  // Each record of the other profiles of the state dir: their state files and the journals of
  // applies under way. Unreadable or refused files add nothing.
  void for_records_of_others(const std::function<void(const std::string& profile, const Owned&)>& visit) const;
  // The state dir, or why there is none (only read_only() has none: missing, or refused).
  Status no_dir() const;
  std::string state_name() const { return profile_ + ".state"; }
  std::string journal_name() const { return profile_ + ".journal"; }

  std::optional<StateDir> dir_;
  std::optional<SysError> dir_error_;
  std::string profile_, state_path_, journal_path_;
  AppliedFrom applied_;
  int lock_fd_ = -1;
  int journal_fd_ = -1;
};

}  // namespace nsplan::applier
