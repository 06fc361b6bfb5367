// ProfileState's state file: every kind of record survives save + load, the text on disk keeps
// its format, and a damaged record is an error naming the file and the entry. (Damaged files as
// a whole, through apply and destroy, are in executor_test.cc.)
#include "applier/state.h"

#include <gtest/gtest.h>
#include <stdlib.h>

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
      {"cgroup /sys/fs/cgroup/lab", applier::RemoveCgroup{"/sys/fs/cgroup/lab"}},
      {"file memory.max", applier::RestoreCgroupFile{"/sys/fs/cgroup/lab", "memory.max", "max"}},
      {"controllers", applier::DisableControllers{"/sys/fs/cgroup", {"cpu", "memory"}}},
      {"netns lab-a", applier::DeleteNetns{"lab-a"}},
      {"ns uts", applier::DeleteNamespace{"/run/nsplan/ns/lab.uts"}},
      {"hostname", applier::RestoreHostname{"/run/nsplan/ns/lab.uts", "old", "dom"}},
      {"link veth0", applier::DeleteLink{"", "veth0", 4242, "lab-a", "eth0"}},
      {"link br0", applier::DeleteLink{"lab-a", "br0", 0, "", ""}},
      {"move eth3", applier::MoveLinkBack{"eth3", "lab-a", ""}},
      {"mtu eth0", applier::RestoreMtu{"lab-a", "eth0", 1500}},
      {"master eth0", applier::RestoreMaster{"lab-a", "eth0", ""}},
      {"address", applier::DeleteAddress{"lab-a", "eth0", "10.0.0.2/24"}},
      {"up eth0", applier::SetLinkDown{"lab-a", "eth0"}},
      {"route", applier::DeleteRoute{route}},
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
  }
}

TEST_F(StateFile, TheTextOnDiskKeepsItsFormat) {
  ProfileState st = open();
  ASSERT_TRUE(st.save({{"netns lab-a", applier::DeleteNetns{"lab-a"}}}).ok());
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

}  // namespace
}  // namespace nsplan
