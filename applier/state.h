// What nsplan keeps between runs, per profile, under the state dir (default /run/nsplan, 0700):
//   NAME.lock      flock: one apply/destroy of a profile at a time
//   NAME.state     what the profile owns (JSON), replaced atomically (write, fsync, rename)
//   NAME.journal   write-ahead log of the apply in progress: one undo per line, written before
//                  the change it undoes; replayed backwards by the next run after nsplan was
//                  killed, then removed
#pragma once
#include <string>
#include <vector>

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
};

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

class ProfileState final : public StateStore {
 public:
  // Creates the state dir (0700, refusing one writable by others) and takes the profile's lock.
  // With wait=false a held lock fails at once with EWOULDBLOCK and says who holds it.
  static SysResult<ProfileState> open(const std::string& state_dir, const std::string& profile, bool wait);
  // Reads without taking the lock or creating anything (for plan and status).
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
  // Fault injection for the crash-recovery tests: NSPLAN_TEST_CRASH_AFTER=K kills the process
  // with SIGKILL right after the K-th change of an apply (docs/testing.md).
  void after_change(size_t n) override;

 private:
  ProfileState() = default;
  std::string dir_, profile_, state_path_, journal_path_;
  int lock_fd_ = -1;
  int journal_fd_ = -1;
};

}  // namespace nsplan::applier
