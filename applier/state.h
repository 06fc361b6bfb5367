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

class ProfileState {
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
  SysResult<std::vector<Owned>> load() const;
  Status save(const std::vector<Owned>& owned) const;
  Status remove_state() const;
  bool has_state() const;

  // The journal of an interrupted apply (empty when none). A torn last line is ignored.
  SysResult<std::vector<Owned>> read_journal() const;
  Status journal_start();
  Status journal_append(const Owned& record);
  Status journal_remove();

  const std::string& state_path() const { return state_path_; }

 private:
  ProfileState() = default;
  std::string dir_, profile_, state_path_, journal_path_;
  int lock_fd_ = -1;
  int journal_fd_ = -1;
};

}  // namespace nsplan::applier
