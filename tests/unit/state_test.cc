// ProfileState's state file: every kind of record survives save + load, the text on disk keeps
// its format, and a damaged record is an error naming the file and the entry. (Damaged files as
// a whole, through apply and destroy, are in executor_test.cc.) The state dir and its files:
// what someone else could change or redirect is refused, never followed (StateDirTrust; the race
// against a user swapping a directory is tests/kernel/state_dir_test.cc).
#include "applier/state.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nsplan {
namespace {

namespace fs = std::filesystem;
using applier::Owned;
using applier::ProfileState;
using applier::Status;

class StateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::is_directory("/dev/shm") ? std::string("/dev/shm") : fs::temp_directory_path().string()) +
                       "/nsplan-state-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProfileState open() {
    auto st = ProfileState::open(dir_, "lab", false);
    if (!st.ok()) throw std::runtime_error(st.message());
    return std::move(st).value();
  }
  std::string path() const { return dir_ + "/lab.state"; }
  std::string read() const {
    std::ifstream in(path());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void write(const std::string& text) const { std::ofstream(path(), std::ios::trunc) << text; }

  std::string dir_;
};

std::vector<Owned> one_of_each() {
  applier::RouteSpec route;
  route.netns = "lab-a";
  route.to = "10.1.0.0/16";
  route.via = "10.0.0.1";
  route.family = 4;
  route.metric = 50;
  route.table = 100;
  return {
      {"cgroup /sys/fs/cgroup/lab", applier::RemoveCgroup{"/sys/fs/cgroup/lab"}, applier::KernelId{30, 77}, {}},
      {"file memory.max", applier::RestoreCgroupFile{"/sys/fs/cgroup/lab", "memory.max", "max"}, {}, {}},
      {"controllers", applier::DisableControllers{"/sys/fs/cgroup", {"cpu", "memory"}}, {}, {}},
      {"netns lab-a", applier::DeleteNetns{"lab-a"}, {}, {}},
      {"ns uts", applier::DeleteNamespace{"/run/nsplan/ns/lab.uts"}, {}, {}},
      {"hostname", applier::RestoreHostname{"/run/nsplan/ns/lab.uts", "old", "dom"}, {}, {}},
      // Text from the kernel need not be UTF-8: kept byte for byte.
      {"hostname raw", applier::RestoreHostname{"/run/nsplan/ns/lab.uts", "\xff\x1bx", "d\xc3"}, {}, {}},
      {"file raw", applier::RestoreCgroupFile{"/sys/fs/cgroup/lab", "memory.high", std::string("a\0\xfe", 3)}, {}, {}},
      {"link veth0", applier::DeleteLink{"", "veth0", 4242, "lab-a", "eth0"}, {}, {}},
      {"link br0", applier::DeleteLink{"lab-a", "br0", 0, "", ""}, {}, {}},
      {"move eth3", applier::MoveLinkBack{"eth3", "lab-a", "", true, "br0", {"10.0.0.1/24"}, {route}, ""}, {}, {}},
      {"mtu eth0", applier::RestoreMtu{"lab-a", "eth0", 1500}, {}, {}},
      {"master eth0", applier::RestoreMaster{"lab-a", "eth0", ""}, {}, {}},
      {"address", applier::DeleteAddress{"lab-a", "eth0", "10.0.0.2/24"}, {}, {}},
      {"up eth0", applier::SetLinkDown{"lab-a", "eth0"}, {}, {}},
      {"route", applier::DeleteRoute{route}, {}, {}},
  };
}

TEST_F(StateFile, EveryRecordSurvivesSaveAndLoad) {
  ProfileState st = open();
  const std::vector<Owned> saved = one_of_each();
  ASSERT_TRUE(st.save(saved).ok());
  auto loaded = st.load();
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  ASSERT_EQ(loaded.value().size(), saved.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    EXPECT_EQ(loaded.value()[i].key, saved[i].key);
    EXPECT_EQ(applier::describe(loaded.value()[i].undo), applier::describe(saved[i].undo));
    // What the journal would write of both is the same line: every field came back.
    EXPECT_EQ(applier::to_json_line(loaded.value()[i]), applier::to_json_line(saved[i]));
    EXPECT_EQ(loaded.value()[i].id, saved[i].id);
  }
  // The raw bytes themselves, not only their rendering.
  for (size_t i = 0; i < saved.size(); ++i) {
    if (auto* h = std::get_if<applier::RestoreHostname>(&saved[i].undo)) {
      EXPECT_EQ(std::get<applier::RestoreHostname>(loaded.value()[i].undo).hostname, h->hostname);
    }
    if (auto* f = std::get_if<applier::RestoreCgroupFile>(&saved[i].undo)) {
      EXPECT_EQ(std::get<applier::RestoreCgroupFile>(loaded.value()[i].undo).value, f->value);
    }
  }
}

// Where an apply came from is recorded with every save of it, kept by a later save that does not
// say (destroy keeping what it could not remove), and read back as input: only an absolute path
// of printable characters and a UTC time in nsplan's own form.
TEST_F(StateFile, TheFileAnApplyCameFromIsRecordedAndReadAsInput) {
  applier::AppliedFrom from;
  {
    ProfileState st = open();
    st.set_applied_from("/etc/nsplan/lab.yaml");
    ASSERT_TRUE(st.save(one_of_each()).ok());
    from = st.applied_from();
  }
  EXPECT_EQ(from.source, "/etc/nsplan/lab.yaml");
  EXPECT_EQ(from.at.size(), 20u) << from.at;
  EXPECT_EQ(from.at.back(), 'Z') << from.at;
  {
    ProfileState later = open();
    ASSERT_TRUE(later.save({}).ok());
    EXPECT_EQ(later.applied_from().source, "/etc/nsplan/lab.yaml") << "a save without a source dropped it";
    EXPECT_EQ(later.applied_from().at, from.at);
  }

  // An apply from standard input records no file, and does not keep the last apply's.
  {
    ProfileState st = open();
    st.set_applied_from_stdin();
    ASSERT_TRUE(st.save(one_of_each()).ok());
  }
  {
    ProfileState later = open();
    ASSERT_TRUE(later.save({}).ok());  // a save of no apply keeps what the last one recorded
    applier::AppliedFrom stdin_from = later.applied_from();
    EXPECT_TRUE(stdin_from.from_stdin);
    EXPECT_EQ(stdin_from.source, "") << "apply - kept the file of an earlier apply";
    EXPECT_EQ(stdin_from.at.size(), 20u);
  }
  {
    ProfileState again = open();
    again.set_applied_from("/etc/nsplan/lab.yaml");
    ASSERT_TRUE(again.save(one_of_each()).ok());
    EXPECT_FALSE(again.applied_from().from_stdin) << "an apply from a file after apply -";
    EXPECT_EQ(again.applied_from().source, "/etc/nsplan/lab.yaml");
  }

  auto read = [](const std::string& source, const std::string& at) {
    return applier::applied_from_text(R"({"nsplan_state": 1, "source": )" + nlohmann::json(source).dump() + R"(, "applied_at": )" +
                             nlohmann::json(at).dump() + "}");
  };
  EXPECT_EQ(read("relative/lab.yaml", "2026-12-06T06:00:00Z").source, "") << "a relative path";
  EXPECT_EQ(read("/etc/lab.yaml\n/etc/shadow", "2026-12-06T06:00:00Z").source, "") << "a newline";
  EXPECT_EQ(read("/etc/\x1b[2Jlab.yaml", "x").source, "") << "an escape sequence";
  EXPECT_EQ(read("/etc/lab.yaml", "2026-12-06T06:00:00Z; rm").at, "") << "not a time";
  EXPECT_EQ(read("/etc/lab.yaml", "2026-12-06T06:00:00Z").source, "/etc/lab.yaml");
  EXPECT_EQ(applier::applied_from_text("{not json").source, "");
  EXPECT_EQ(applier::applied_from_text("[1, 2]").source, "");
}

TEST_F(StateFile, TheTextOnDiskKeepsItsFormat) {
  ProfileState st = open();
  ASSERT_TRUE(st.save({{"netns lab-a", applier::DeleteNetns{"lab-a"}, {}, {}}}).ok());
  EXPECT_EQ(read(),
            "{\n"
            " \"nsplan_state\": 1,\n"
            " \"owned\": [\n"
            "  {\n"
            "   \"key\": \"netns lab-a\",\n"
            "   \"name\": \"lab-a\",\n"
            "   \"undo\": \"delete_netns\"\n"
            "  }\n"
            " ],\n"
            " \"profile\": \"lab\"\n"
            "}\n");
}

TEST_F(StateFile, ADamagedRecordNamesTheFileAndTheEntry) {
  ProfileState st = open();
  struct Damage {
    std::string owned, says;
  };
  const std::vector<Damage> damages = {
      {R"([{"key": "netns lab-a", "undo": "delete_netns", "name": "lab-a"}, 5])", "entry 1: "},
      {R"([{"key": "netns lab-a", "undo": "delete_netns"}])", "entry 0: "},
      {R"([{"key": "netns lab-a", "undo": "delete_netns", "name": 7}])", "entry 0: "},
      {R"([{"key": "x", "undo": "restore_mtu", "netns": "", "dev": "eth0", "mtu": "1500"}])", "entry 0: "},
      {R"([{"key": "x", "undo": "format_disk"}])", "entry 0: unknown undo 'format_disk'"},
  };
  for (const auto& d : damages) {
    SCOPED_TRACE(d.owned);
    write(R"({"nsplan_state": 1, "profile": "lab", "owned": )" + d.owned + "}");
    auto loaded = st.load();
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().err, EINVAL);
    EXPECT_NE(loaded.message().find(path()), std::string::npos) << loaded.message();
    EXPECT_NE(loaded.message().find("is not what nsplan wrote"), std::string::npos) << loaded.message();
    EXPECT_NE(loaded.message().find(d.says), std::string::npos) << loaded.message();
  }
}

TEST_F(StateFile, NoFileIsNoRecords) {
  ProfileState st = open();
  auto loaded = st.load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded.value().empty());
}

// ---- the state dir and its files: refused, never followed --------------------------------------

// Fails under CI=true, skips elsewhere: giving a file away needs root.
#define NEEDS_ROOT()                                                                          \
  do {                                                                                        \
    if (geteuid() != 0) {                                                                     \
      const char* ci = std::getenv("CI");                                                     \
      if (ci && std::string(ci) == "true") FAIL() << "CI=true: needs root to give a file away"; \
      GTEST_SKIP() << "needs root to give a file away";                                       \
    }                                                                                         \
  } while (0)

constexpr uid_t kOtherUser = 65534;

class StateDirTrust : public StateFile {
 protected:
  // DIR_/NAME made as a directory with MODE (chmod, past the umask).
  std::string make_dir(const std::string& name, mode_t mode) const {
    std::string p = dir_ + "/" + name;
    EXPECT_EQ(::mkdir(p.c_str(), 0700), 0) << p;
    EXPECT_EQ(::chmod(p.c_str(), mode), 0) << p;
    return p;
  }
  // A file outside the state dir that nsplan must never read, write or remove.
  std::string make_bait() const {
    std::string p = make_dir("outside", 0700) + "/bait";
    std::ofstream(p) << kBait;
    return p;
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The record a bait would hold, were it read as state or as a journal.
  static std::string bait_state() {
    return R"({"nsplan_state": 1, "profile": "lab", "owned": [{"key": "netns bait", "undo": "delete_netns", "name": "bait"}]})";
  }
  static constexpr const char* kBait = "NSPLAN-BAIT-7c1e\n";
};

template <class R>
void expect_refused(const R& r, int err, const std::vector<std::string>& says) {
  ASSERT_FALSE(r.ok()) << "accepted where a refusal was expected";
  EXPECT_EQ(r.err(), err) << r.message();
  for (const auto& s : says) EXPECT_NE(r.message().find(s), std::string::npos) << "no '" << s << "' in: " << r.message();
}

TEST_F(StateDirTrust, ASymlinkedJournalIsRefusedNeverFollowed) {
  const std::string bait = make_bait();
  std::ofstream(bait) << R"({"key": "netns bait", "undo": "delete_netns", "name": "bait"})" << "\n";
  const std::string bait_text = slurp(bait);
  const std::string journal = dir_ + "/lab.journal";
  ASSERT_EQ(::symlink(bait.c_str(), journal.c_str()), 0);
  ProfileState st = open();
  const std::vector<std::string> says = {"refusing " + journal + ": it is a symbolic link"};
  expect_refused(st.read_journal(), ELOOP, says);
  expect_refused(ProfileState::read_only(dir_, "lab").read_journal(), ELOOP, says);
  expect_refused(st.journal_start(), ELOOP, says);
  EXPECT_FALSE(st.journal_append({"netns x", applier::DeleteNetns{"x"}, {}, {}}).ok());
  expect_refused(st.journal_remove(), ELOOP, says);
  EXPECT_EQ(slurp(bait), bait_text) << "the journal's target was written";
  struct stat sb {};
  ASSERT_EQ(::lstat(journal.c_str(), &sb), 0) << "the symbolic link was removed";
  EXPECT_TRUE(S_ISLNK(sb.st_mode));
  Status again = st.journal_start();
  ASSERT_FALSE(again.ok());
  EXPECT_NE(applier::state_dir_hint(again.error()).find("move it away by hand"), std::string::npos);
}

TEST_F(StateDirTrust, ASymlinkedStateFileIsRefusedNeverFollowed) {
  const std::string bait = make_bait();
  std::ofstream(bait) << bait_state();
  const std::string bait_text = slurp(bait);
  ASSERT_EQ(::symlink(bait.c_str(), path().c_str()), 0);
  ProfileState st = open();
  const std::vector<std::string> says = {"refusing " + path() + ": it is a symbolic link"};
  expect_refused(st.load(), ELOOP, says);
  expect_refused(ProfileState::read_only(dir_, "lab").load(), ELOOP, says);
  expect_refused(st.save({}), ELOOP, says);
  expect_refused(st.remove_state(), ELOOP, says);
  EXPECT_EQ(slurp(bait), bait_text);
  struct stat sb {};
  ASSERT_EQ(::lstat(path().c_str(), &sb), 0);
  EXPECT_TRUE(S_ISLNK(sb.st_mode));
}

TEST_F(StateDirTrust, AStateFileWritableByOthersIsRefused) {
  ProfileState st = open();
  ASSERT_TRUE(st.save({{"netns lab-a", applier::DeleteNetns{"lab-a"}, {}, {}}}).ok());
  ASSERT_EQ(::chmod(path().c_str(), 0666), 0);
  const std::vector<std::string> says = {"refusing " + path(), "writable by group or others (mode 0666"};
  expect_refused(st.load(), EPERM, says);
  expect_refused(ProfileState::read_only(dir_, "lab").load(), EPERM, says);
  expect_refused(st.save({}), EPERM, says);
  expect_refused(st.remove_state(), EPERM, says);
  EXPECT_TRUE(st.has_state());
  ASSERT_EQ(::chmod(path().c_str(), 0620), 0);  // group-writable alone is refused too
  expect_refused(st.load(), EPERM, {"(mode 0620"});
}

TEST_F(StateDirTrust, AStateFileOfAnotherUserIsRefused) {
  NEEDS_ROOT();
  ProfileState st = open();
  ASSERT_TRUE(st.save({{"netns lab-a", applier::DeleteNetns{"lab-a"}, {}, {}}}).ok());
  ASSERT_EQ(::chown(path().c_str(), kOtherUser, kOtherUser), 0);
  const std::vector<std::string> says = {"refusing " + path(), "owned by uid 65534", "not by uid 0"};
  expect_refused(st.load(), EPERM, says);
  expect_refused(ProfileState::read_only(dir_, "lab").load(), EPERM, says);
  expect_refused(st.remove_state(), EPERM, says);
  // A journal of another user is refused before it is truncated.
  const std::string journal = dir_ + "/lab.journal";
  std::ofstream(journal) << "theirs\n";
  ASSERT_EQ(::chown(journal.c_str(), kOtherUser, kOtherUser), 0);
  expect_refused(st.journal_start(), EPERM, {"refusing " + journal, "owned by uid 65534"});
  EXPECT_EQ(slurp(journal), "theirs\n");
}

TEST_F(StateDirTrust, WhatIsNotARegularFileIsRefused) {
  ASSERT_EQ(::mkfifo(path().c_str(), 0600), 0);  // would block a reader that opened it blindly
  ProfileState st = open();
  expect_refused(st.load(), EPERM, {"refusing " + path() + ": it is a FIFO, not a regular file"});
  ASSERT_EQ(::unlink(path().c_str()), 0);
  ASSERT_EQ(::mkdir((dir_ + "/lab.journal").c_str(), 0700), 0);
  expect_refused(st.read_journal(), EPERM, {"it is a directory, not a regular file"});
}

TEST_F(StateDirTrust, ASymlinkAsAStateDirComponentIsRefused) {
  const std::string real = make_dir("real", 0700);
  ASSERT_EQ(::symlink(real.c_str(), (dir_ + "/link").c_str()), 0);
  for (const std::string& given : {dir_ + "/link", dir_ + "/link/state"}) {
    SCOPED_TRACE(given);
    auto st = ProfileState::open(given, "lab", false);
    expect_refused(st, ELOOP, {"refusing the state dir " + given + ": " + dir_ + "/link is a symbolic link"});
    expect_refused(ProfileState::read_only(given, "lab").load(), ELOOP, {dir_ + "/link is a symbolic link"});
    EXPECT_NE(applier::state_dir_hint(st.error()).find("no symbolic link on the way"), std::string::npos);
  }
  EXPECT_TRUE(fs::is_empty(real)) << "something was made through the link";
}

TEST_F(StateDirTrust, AnAncestorOfAnotherUserIsRefused) {
  NEEDS_ROOT();
  const std::string theirs = make_dir("theirs", 0755);
  ASSERT_EQ(::chown(theirs.c_str(), kOtherUser, kOtherUser), 0);
  const std::string state_dir = theirs + "/state";
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);  // root's own, but its parent is not
  const std::vector<std::string> says = {"refusing the state dir " + state_dir + ": " + theirs +
                                         " is owned by uid 65534 (mode 0755); only root may own a directory above"};
  expect_refused(ProfileState::open(state_dir, "lab", false), EPERM, says);
  expect_refused(ProfileState::read_only(state_dir, "lab").load(), EPERM, says);
  expect_refused(ProfileState::open(state_dir + "/deeper", "lab", false), EPERM, {theirs + " is owned by uid 65534"});
  EXPECT_FALSE(fs::exists(state_dir + "/deeper")) << "made below a refused directory";
  EXPECT_FALSE(fs::exists(state_dir + "/lab.lock"));
}

TEST_F(StateDirTrust, AStateDirOfAnotherUserIsRefused) {
  NEEDS_ROOT();
  const std::string theirs = make_dir("theirs", 0700);
  ASSERT_EQ(::chown(theirs.c_str(), kOtherUser, kOtherUser), 0);
  expect_refused(ProfileState::open(theirs, "lab", false), EPERM,
                 {"refusing the state dir " + theirs + ": it is owned by uid 65534 (mode 0700), not by uid 0"});
  EXPECT_FALSE(fs::exists(theirs + "/lab.lock"));
}

TEST_F(StateDirTrust, AGroupWritableStateDirIsRefused) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0770), 0);
  auto st = ProfileState::open(dir_, "lab", false);
  expect_refused(st, EPERM, {"refusing the state dir " + dir_ + ": it is writable by group or others (mode 0770"});
  expect_refused(ProfileState::read_only(dir_, "lab").load(), EPERM, {"(mode 0770"});
  EXPECT_NE(applier::state_dir_hint(st.error()).find("--state-dir"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/lab.lock"));
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);  // sticky is no excuse for the state dir itself
  expect_refused(ProfileState::open(dir_, "lab", false), EPERM, {"(mode 1777"});
}

TEST_F(StateDirTrust, AGroupWritableAncestorIsRefusedAStickyOneAccepted) {
  const std::string shared = make_dir("shared", 0775);
  expect_refused(ProfileState::open(shared + "/state", "lab", false), EPERM,
                 {shared + " is writable by group or others and not sticky (mode 0775"});
  EXPECT_FALSE(fs::exists(shared + "/state"));
  // Like /tmp: others may make entries there, but not rename or remove root's.
  const std::string sticky = make_dir("sticky", 01777);
  auto st = ProfileState::open(sticky + "/a/state", "lab", false);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(st.value().save({{"netns lab-a", applier::DeleteNetns{"lab-a"}, {}, {}}}).ok());
  auto loaded = ProfileState::read_only(sticky + "/a/state", "lab").load();
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(loaded.value().size(), 1u);
  struct stat sb {};
  ASSERT_EQ(::stat((sticky + "/a").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0700u) << "a missing component is made 0700";
}

TEST_F(StateDirTrust, ReadOnlyMakesNothingAndAMissingStateDirHoldsNothing) {
  const std::string missing = dir_ + "/not/yet";
  ProfileState ro = ProfileState::read_only(missing, "lab");
  auto loaded = ro.load();
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_TRUE(loaded.value().empty());
  auto journal = ro.read_journal();
  ASSERT_TRUE(journal.ok()) << journal.message();
  EXPECT_TRUE(journal.value().empty());
  EXPECT_FALSE(ro.has_state());
  EXPECT_FALSE(fs::exists(dir_ + "/not"));
}

TEST_F(StateDirTrust, SaveReplacesALeftoverTmpWithoutFollowingIt) {
  const std::string bait = make_bait();
  ASSERT_EQ(::symlink(bait.c_str(), (path() + ".tmp").c_str()), 0);
  ProfileState st = open();
  ASSERT_TRUE(st.save({{"netns lab-a", applier::DeleteNetns{"lab-a"}, {}, {}}}).ok());
  EXPECT_EQ(slurp(bait), kBait);
  EXPECT_FALSE(fs::exists(fs::symlink_status(path() + ".tmp"))) << "the .tmp is left";
  struct stat sb {};
  ASSERT_EQ(::lstat(path().c_str(), &sb), 0);
  EXPECT_TRUE(S_ISREG(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
  auto loaded = st.load();
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(loaded.value().size(), 1u);
}

TEST_F(StateDirTrust, ALockFileThatIsASymlinkIsRefused) {
  const std::string bait = make_bait();
  ASSERT_EQ(::symlink(bait.c_str(), (dir_ + "/lab.lock").c_str()), 0);
  expect_refused(ProfileState::open(dir_, "lab", false), ELOOP, {"refusing " + dir_ + "/lab.lock: it is a symbolic link"});
  EXPECT_EQ(slurp(bait), kBait) << "the pid was written through the link";
}

TEST_F(StateDirTrust, ADotDotComponentIsRefused) {
  make_dir("a", 0700);
  expect_refused(ProfileState::open(dir_ + "/a/../b", "lab", false), EINVAL, {"'..'"});
  EXPECT_FALSE(fs::exists(dir_ + "/b"));
}

}  // namespace
}  // namespace nsplan

namespace nsplan {
namespace {

// Found by fuzz_state: a field of the wrong JSON type threw out of the reader (nsplan aborted).
TEST(StateText, FieldsOfTheWrongTypeAreAnErrorNotACrash) {
  for (const char* text : {R"({"nsplan_state": "link"})", R"({"nsplan_state": 1, "owned": {}, "profile": "p"})",
                           R"({"nsplan_state": 1, "owned": [], "profile": 7})", R"([1, 2])", R"("x")",
                           R"({"nsplan_state": 1, "owned": [{"key": 1, "undo": "rmdir", "dir": "/x"}], "profile": "p"})",
                           R"({"nsplan_state": 1, "owned": [{"key": "k", "id": "x", "undo": "rmdir", "dir": "/x"}], "profile": "p"})"}) {
    auto r = applier::parse_state_text(text, "p", "p.state");
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_NE(r.message().find("p.state is not what nsplan wrote"), std::string::npos) << r.message();
    }
  }
}

}  // namespace
}  // namespace nsplan
