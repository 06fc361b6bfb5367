// The state dir cannot be swapped (docs/reliability.md, "Who can write the state dir"). The
// state dir lies below a directory that an unprivileged user (uid 65534) owns; that user keeps
// exchanging, at full speed, either the state dir itself or their own directory above it with a
// symbolic link to a directory holding root-only bait files named like the profile's
// (NAME.state, NAME.journal, NAME.lock, made by ProfileState itself). Meanwhile root runs every
// ProfileState operation and `nsplan destroy NAME --state-dir ...`, round after round. The bait
// must never be unlinked, written or read as state, and nsplan must refuse each time, naming the
// directory the user owns or the symbolic link.
//
// Before the state dir was opened once by a walk without symbolic links, the same test (run
// against main's applier/state.cc) found the bait read, rewritten or unlinked in most rounds.
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "applier/state.h"
#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using applier::Owned;
using applier::ProfileState;

constexpr uid_t kUser = 65534;  // nobody: a user who may own directories, nothing more

std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What is in a directory, entry by entry, as an observer that is not nsplan sees it.
struct Entry {
  ino_t ino = 0;
  uid_t uid = 0;
  mode_t mode = 0;
  std::string content;
  bool operator==(const Entry&) const = default;
};
std::map<std::string, Entry> snapshot(const std::string& dir) {
  std::map<std::string, Entry> out;
  for (const auto& name : list_dir(dir)) {
    struct stat st {};
    if (::lstat((dir + "/" + name).c_str(), &st) != 0) continue;
    out[name] = Entry{st.st_ino, st.st_uid, st.st_mode, S_ISREG(st.st_mode) ? slurp_file(dir + "/" + name) : ""};
  }
  return out;
}

// Root-only files named like PROFILE's, in DIR (root's, 0700): a state file and a journal that
// each hold one record nobody made (a network namespace that does not exist), and the lock.
class Bait {
 public:
  Bait(std::string dir, std::string profile) : dir_(std::move(dir)), profile_(std::move(profile)) {}
  std::string key() const { return "netns " + test_name("bait"); }
  // Lays the bait (again); "" or what failed.
  std::string lay() {
    for (const auto& name : list_dir(dir_)) remove_tree(dir_ + "/" + name);
    Owned record{key(), applier::DeleteNetns{test_name("bait")}, {}, {}};
    {
      auto st = ProfileState::open(dir_, profile_, false);
      if (!st.ok()) return "bait: " + st.message();
      if (!st.value().save({record}).ok() || !st.value().journal_start().ok() ||
          !st.value().journal_append(record).ok())
        return "bait: cannot write the state and journal";
    }  // the lock is released, the journal stays
    for (const char* ext : {".state", ".journal", ".lock"})
      if (::chmod((dir_ + "/" + profile_ + ext).c_str(), 0600) != 0) return "bait: chmod";
    laid_ = snapshot(dir_);
    if (laid_.size() != 3) return "bait: expected 3 files in " + dir_;
    return "";
  }
  // "" when the bait is as it was laid, else what changed.
  std::string changed() const {
    auto now = snapshot(dir_);
    if (now == laid_) return "";
    std::string what;
    for (const auto& [name, e] : laid_) {
      auto it = now.find(name);
      if (it == now.end()) what += name + " unlinked; ";
      else if (it->second.ino != e.ino) what += name + " replaced; ";
      else if (!(it->second == e)) what += name + " written; ";
    }
    for (const auto& [name, e] : now)
      if (!laid_.count(name)) what += name + " created; ";
    return what;
  }
  bool in(const std::vector<Owned>& records) const {
    for (const auto& r : records)
      if (r.key == key()) return true;
    return false;
  }

 private:
  std::string dir_, profile_;
  std::map<std::string, Entry> laid_;
};

// A child process as uid/gid 65534 that exchanges DIR/A and DIR/B (renameat2 RENAME_EXCHANGE)
// until it is killed, counting the exchanges that succeeded in memory shared with the test.
class Swapper {
 public:
  Swapper(const std::string& a, const std::string& b) {
    void* mem = ::mmap(nullptr, sizeof(std::atomic<long>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return;
    swaps_ = new (mem) std::atomic<long>(0);
    pid_t parent = ::getpid();
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      if (::setgroups(0, nullptr) != 0 || ::setresgid(kUser, kUser, kUser) != 0 ||
          ::setresuid(kUser, kUser, kUser) != 0 || ::geteuid() != kUser)
        ::_exit(2);
      for (;;)
        if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) swaps_->fetch_add(1);
    }
  }
  ~Swapper() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (swaps_) ::munmap(swaps_, sizeof(std::atomic<long>));
  }
  Swapper(const Swapper&) = delete;
  Swapper& operator=(const Swapper&) = delete;
  bool started() const { return pid_ > 0 && swaps_ != nullptr; }
  long swaps() const { return swaps_ ? swaps_->load() : 0; }
  // Waits until the swapper has exchanged the two at least N times (false if it does not).
  bool wait_for_swaps(long n) const {
    for (int i = 0; i < 500 && swaps() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return swaps() >= n;
  }

 private:
  pid_t pid_ = -1;
  std::atomic<long>* swaps_ = nullptr;
};

enum class Swapped { StateDir, DirectoryAbove };

// T (root's; sticky and world-writable when the user's own directory is swapped, like /tmp)
//   home/          uid 65534, 0755: the user's directory, above the state dir
//     state/       root, 0700: the state dir nsplan is given (T/home/state)
//     swap -> T/bait                     (Swapped::StateDir: exchanged with home/state)
//   swap -> T/decoy                      (Swapped::DirectoryAbove: exchanged with home)
//   bait/          root, 0700: NAME.state, NAME.journal, NAME.lock, root-only (Swapped::StateDir)
//   decoy/state/   root, 0700: the same bait (Swapped::DirectoryAbove)
class StateDirSwap : public ::testing::TestWithParam<Swapped> {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(tmp_.ok() && jobs_.ok());
    const std::string t = tmp_.path();
    const bool above = GetParam() == Swapped::DirectoryAbove;
    ASSERT_EQ(::chmod(t.c_str(), above ? 01777 : 0755), 0);
    home_ = t + "/home";
    state_dir_ = home_ + "/state";
    ASSERT_EQ(::mkdir(home_.c_str(), 0755), 0);
    ASSERT_EQ(::chown(home_.c_str(), kUser, kUser), 0);
    ASSERT_EQ(::mkdir(state_dir_.c_str(), 0700), 0);
    bait_dir_ = above ? t + "/decoy/state" : t + "/bait";
    if (above) {
      ASSERT_EQ(::mkdir((t + "/decoy").c_str(), 0755), 0);
    }
    ASSERT_EQ(::mkdir(bait_dir_.c_str(), 0700), 0);
    swap_a_ = above ? home_ : state_dir_;
    swap_b_ = above ? t + "/swap" : home_ + "/swap";
    ASSERT_EQ(::symlink(above ? (t + "/decoy").c_str() : bait_dir_.c_str(), swap_b_.c_str()), 0);
    ASSERT_EQ(::lchown(swap_b_.c_str(), kUser, kUser), 0);  // the user's own link
    bait_.emplace(bait_dir_, profile_);
    ASSERT_EQ(bait_->lay(), "");
  }

  // A refusal names the directory the user owns, or the symbolic link in its place.
  bool names_the_users_directory(const std::string& message) const {
    return contains(message, home_) && (contains(message, "owned by uid 65534") || contains(message, "symbolic link"));
  }

  // After a round: the bait as it was laid? If not, counts it, remembers the first, lays it again.
  void check_bait(const std::string& round) {
    std::string what = bait_->changed();
    if (what.empty()) return;
    ++bait_changed_;
    if (first_change_.empty()) first_change_ = round + ": " + what;
    std::string err = bait_->lay();
    if (!err.empty()) ADD_FAILURE() << err;
  }

  TempDir tmp_{"statedir"};
  TempDir jobs_{"statedir-jobs"};  // the sandbox's scripts and their output
  const std::string profile_ = test_name("sd");
  std::string home_, state_dir_, bait_dir_, swap_a_, swap_b_;
  std::optional<Bait> bait_;
  int bait_changed_ = 0;
  std::string first_change_;
};

TEST_P(StateDirSwap, ProfileStateNeverTouchesTheBait) {
  Swapper swapper(swap_a_, swap_b_);
  ASSERT_TRUE(swapper.started());
  ASSERT_TRUE(swapper.wait_for_swaps(100)) << "the swapper (uid 65534) cannot exchange " << swap_a_ << " and " << swap_b_;
  const Owned record{"netns " + test_name("x"), applier::DeleteNetns{test_name("x")}, {}, {}};
  const int rounds = 400;
  int opened = 0, refused = 0, read_only_refused = 0, bait_read = 0;
  int refused_as_theirs = 0, refused_as_swapped = 0;  // found the user's directory, or the link (or its trace)
  std::string wrong_refusal;
  for (int i = 0; i < rounds; ++i) {
    const std::string round = "round " + std::to_string(i);
    bool read = false;
    auto st = ProfileState::open(state_dir_, profile_, false);
    if (!st.ok()) {
      ++refused;
      (contains(st.message(), "owned by uid 65534") ? refused_as_theirs : refused_as_swapped)++;
      if (!names_the_users_directory(st.message()) && wrong_refusal.empty()) wrong_refusal = st.message();
    } else {
      ++opened;
      ProfileState& s = st.value();
      auto loaded = s.load();
      auto journal = s.read_journal();
      read |= (loaded.ok() && bait_->in(loaded.value())) || (journal.ok() && bait_->in(journal.value()));
      (void)s.has_state();
      (void)s.journal_start();
      (void)s.journal_append(record);
      (void)s.save({record});
      (void)s.remove_state();
      (void)s.journal_remove();
    }
    // plan and status read without the lock: the same refusal.
    ProfileState ro = ProfileState::read_only(state_dir_, profile_);
    auto loaded = ro.load();
    auto journal = ro.read_journal();
    read |= (loaded.ok() && bait_->in(loaded.value())) || (journal.ok() && bait_->in(journal.value()));
    bait_read += read;
    if (!loaded.ok() && !journal.ok() && names_the_users_directory(loaded.message()) &&
        names_the_users_directory(journal.message()))
      ++read_only_refused;
    check_bait(round);
  }
  long swaps = swapper.swaps();
  RecordProperty("swaps", static_cast<int>(swaps));
  RecordProperty("refused_as_theirs", refused_as_theirs);
  RecordProperty("refused_as_swapped", refused_as_swapped);
  EXPECT_GT(swaps, rounds) << "the swapper was too slow to race anything";
  if (GetParam() == Swapped::DirectoryAbove) {
    // The walk met both: the user's directory, and the link in its place. (When the state dir
    // itself is swapped, the walk stops at the user's directory above it every time.)
    EXPECT_GT(refused_as_theirs, 0);
    EXPECT_GT(refused_as_swapped, 0);
  }
  EXPECT_EQ(bait_changed_, 0) << "the bait was changed in " << bait_changed_ << " of " << rounds
                              << " rounds; first: " << first_change_;
  EXPECT_EQ(bait_read, 0) << "the bait was read as state in " << bait_read << " of " << rounds << " rounds";
  EXPECT_EQ(opened, 0) << "ProfileState::open accepted a state dir below uid 65534's directory " << opened << " times";
  EXPECT_EQ(refused, rounds);
  EXPECT_EQ(wrong_refusal, "") << "a refusal that does not name " << home_;
  EXPECT_EQ(read_only_refused, rounds);
}

TEST_P(StateDirSwap, DestroyNeverTouchesTheBait) {
  NSPLAN_SANDBOX(sb, jobs_.path());  // the bait's record names a netns: any undo stays in here
  Swapper swapper(swap_a_, swap_b_);
  ASSERT_TRUE(swapper.started());
  ASSERT_TRUE(swapper.wait_for_swaps(100)) << "the swapper (uid 65534) cannot exchange " << swap_a_ << " and " << swap_b_;
  const int rounds = 40;
  int refused = 0, destroyed = 0;
  std::string unexpected;
  for (int i = 0; i < rounds; ++i) {
    RunResult r = sb.run(shq(nsplan_binary()) + " destroy " + profile_ + " --state-dir " + shq(state_dir_));
    if (r.code() == 3 && contains(r.err, "nsplan: error: ") && names_the_users_directory(r.err)) {
      ++refused;
    } else {
      destroyed += contains(r.out, "destroyed '" + profile_ + "'");
      if (unexpected.empty()) unexpected = r.describe();
    }
    check_bait("destroy " + std::to_string(i));
  }
  RecordProperty("swaps", static_cast<int>(swapper.swaps()));
  EXPECT_EQ(bait_changed_, 0) << "`nsplan destroy` changed the bait in " << bait_changed_ << " of " << rounds
                              << " rounds; first: " << first_change_;
  EXPECT_EQ(destroyed, 0) << "`nsplan destroy` destroyed what the bait names in " << destroyed << " of " << rounds << " rounds";
  EXPECT_EQ(refused, rounds) << "first unexpected outcome:\n" << unexpected;
}

INSTANTIATE_TEST_SUITE_P(Swapping, StateDirSwap, ::testing::Values(Swapped::StateDir, Swapped::DirectoryAbove),
                         [](const auto& info) {
                           return info.param == Swapped::StateDir ? std::string("StateDir") : std::string("DirectoryAbove");
                         });

}  // namespace
}  // namespace nsplan::kernel_test
