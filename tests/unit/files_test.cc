// Where include: and extends: may read, on a real file system (applier/files.h): below the
// directory of the file that names them, or on the profile search path, and only regular files.
// Each refused file holds a secret marker laid out like a line of /etc/shadow: had it been read,
// the YAML parser's error would print it with a caret; it must never appear in the diagnostics.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "applier/files.h"
#include "compiler/compile.h"

namespace nsplan {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "NSPLAN-SECRET-MARKER-51f0";

struct Checked {
  bool ok = false;
  std::string diagnostics;
  std::optional<Profile> profile;
};

class IncludeConfinement : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = fs::temp_directory_path().string() + "/nsplan-files-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    ASSERT_EQ(chmod(root_.c_str(), 0755), 0);
    mkdir_p("profiles/sub/deeper");
    mkdir_p("outside");
    mkdir_p("search");
    write("outside/secret.yaml", std::string("root:") + kSecret + ":19000:0:99999:7:::\n");
    write("profiles/frag.yaml", "cgroup:\n  pids: {max: 7}\n");
    write("profiles/sub/frag2.yaml", "include: deeper/d.yaml\n");
    write("profiles/sub/deeper/d.yaml", "cgroup:\n  memory: {max: 1G}\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string at(const std::string& rel) const { return root_ + "/" + rel; }
  void mkdir_p(const std::string& rel) const {
    fs::create_directories(at(rel));
    for (fs::path p = rel; !p.empty(); p = p.parent_path()) chmod(at(p.string()).c_str(), 0755);
  }
  void write(const std::string& rel, const std::string& text, mode_t mode = 0644) const {
    { std::ofstream(at(rel), std::ios::trunc) << text; }
    ASSERT_EQ(chmod(at(rel).c_str(), mode), 0) << rel;
  }
  void symlink_to(const std::string& target, const std::string& rel) const {
    ASSERT_EQ(symlink(target.c_str(), at(rel).c_str()), 0) << rel;
  }

  // `nsplan check` of profiles/main.yaml holding HEAD plus TEXT.
  Checked check(const std::string& text, const std::vector<std::string>& search_path = {}) const {
    write("profiles/main.yaml", "nsplan: 1\nname: main\n" + text);
    LoadOptions load;
    load.search_path = search_path.empty() ? std::vector<std::string>{at("search")} : search_path;
    auto c = check_file(at("profiles/main.yaml"), applier::profile_file_reader(), load);
    Checked out;
    out.ok = !c->diags.has_errors() && c->profile;
    out.diagnostics = render_all(c->diags, c->sources);
    out.profile = c->profile;
    for (uint32_t f = 1; f <= c->sources.size(); ++f)
      EXPECT_EQ(c->sources.file(f).text.find(kSecret), std::string::npos) << c->sources.file(f).path << " was read";
    return out;
  }

  // Refused with MESSAGE, and the secret shown nowhere.
  void expect_refused(const std::string& text, const std::string& message) const {
    Checked c = check(text);
    EXPECT_FALSE(c.ok) << text;
    EXPECT_NE(c.diagnostics.find(message), std::string::npos) << c.diagnostics;
    EXPECT_EQ(c.diagnostics.find(kSecret), std::string::npos) << c.diagnostics;
  }

  std::string root_;
};

TEST_F(IncludeConfinement, TheSecretWouldShowIfItWereRead) {
  // The control for every test below: the same text, inside the tree, does reach stderr.
  write("profiles/copy.yaml", std::string("root:") + kSecret + ":19000:0:99999:7:::\n");
  write("profiles/main.yaml", "nsplan: 1\nname: main\ninclude: copy.yaml\n");
  auto c = check_file(at("profiles/main.yaml"), applier::profile_file_reader());
  EXPECT_NE(render_all(c->diags, c->sources).find(kSecret), std::string::npos);
}

TEST_F(IncludeConfinement, FilesBelowTheDirectoryAreRead) {
  symlink_to("sub/deeper/d.yaml", "profiles/link-in.yaml");  // a symbolic link that stays inside
  Checked c = check("include: [frag.yaml, sub/frag2.yaml, ./link-in.yaml, sub/../frag.yaml]\n");
  ASSERT_TRUE(c.ok) << c.diagnostics;
  EXPECT_EQ(c.profile->cgroup->pids->max->value.count, 7u);
  EXPECT_EQ(c.profile->cgroup->memory->max->value.bytes, 1ull << 30);  // sub/frag2.yaml -> sub/deeper/d.yaml
}

TEST_F(IncludeConfinement, DotDotIsRefused) {
  expect_refused("include: ../outside/secret.yaml\n", "leads out of '" + at("profiles") + "'");
  expect_refused("extends: sub/../../outside/secret.yaml\n", "leads out of '" + at("profiles") + "'");
}

TEST_F(IncludeConfinement, AbsolutePathOutsideIsRefused) {
  expect_refused("include: " + at("outside/secret.yaml") + "\n", "is outside '" + at("profiles") + "'");
  expect_refused("extends: /etc/shadow\n", "'/etc/shadow' is outside");
}

TEST_F(IncludeConfinement, SymbolicLinkOutIsRefused) {
  symlink_to("../outside/secret.yaml", "profiles/relative.yaml");
  symlink_to(at("outside/secret.yaml"), "profiles/absolute.yaml");
  symlink_to("../outside", "profiles/dir");
  symlink_to("/proc/self/root" + at("outside/secret.yaml"), "profiles/magic.yaml");
  const std::string out = "a symbolic link leads out of '" + at("profiles") + "'";
  expect_refused("include: relative.yaml\n", out);
  expect_refused("include: absolute.yaml\n", out);
  expect_refused("include: dir/secret.yaml\n", out);
  expect_refused("include: magic.yaml\n", out);
}

TEST_F(IncludeConfinement, NestedFileIsConfinedToItsOwnDirectory) {
  write("profiles/sub/escape.yaml", "include: ../frag.yaml\n");
  expect_refused("include: sub/escape.yaml\n", "'../frag.yaml' leads out of '" + at("profiles/sub") + "'");
}

TEST_F(IncludeConfinement, DirectoryIsRefused) {
  mkdir_p("profiles/adir.yaml");
  expect_refused("include: adir.yaml\n", "adir.yaml': is a directory, not a regular file");
}

TEST_F(IncludeConfinement, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo(at("profiles/fifo.yaml").c_str(), 0644), 0);
  expect_refused("include: fifo.yaml\n", "fifo.yaml': is a FIFO, not a regular file");
}

TEST_F(IncludeConfinement, SearchPathByNameAndByAbsolutePath) {
  write("search/base.yaml", "cgroup:\n  pids: {max: 11}\n");
  Checked by_name = check("extends: base\n");
  ASSERT_TRUE(by_name.ok) << by_name.diagnostics;
  EXPECT_EQ(by_name.profile->cgroup->pids->max->value.count, 11u);
  Checked by_path = check("extends: " + at("search/base.yaml") + "\n");
  ASSERT_TRUE(by_path.ok) << by_path.diagnostics;
  // A bare name never means a file next to the profile.
  write("profiles/base", "cgroup:\n  pids: {max: 99}\n");
  write("profiles/other.yaml", "cgroup:\n  pids: {max: 99}\n");
  Checked still = check("extends: base\n");
  ASSERT_TRUE(still.ok) << still.diagnostics;
  EXPECT_EQ(still.profile->cgroup->pids->max->value.count, 11u);
  // A name missing from the search path is not looked for anywhere else.
  expect_refused("extends: other\n", "no profile 'other' on the profile search path (" + at("search") + ")");
}

TEST_F(IncludeConfinement, SearchPathIsSearchedInOrder) {
  mkdir_p("search2");
  write("search2/base.yaml", "cgroup:\n  pids: {max: 12}\n");
  write("search2/frag.yaml", "cgroup:\n  pids: {max: 13}\n");
  write("search/frag.yaml", "cgroup:\n  pids: {max: 14}\n");
  Checked c = check("extends: base\n", {at("nonexistent"), at("search"), at("search2")});
  ASSERT_TRUE(c.ok) << c.diagnostics;
  EXPECT_EQ(c.profile->cgroup->pids->max->value.count, 12u);
  Checked first = check("include: frag\n", {at("search"), at("search2")});
  ASSERT_TRUE(first.ok) << first.diagnostics;
  EXPECT_EQ(first.profile->cgroup->pids->max->value.count, 14u);
}

TEST_F(IncludeConfinement, SearchPathFilesAreConfinedToo) {
  symlink_to("../outside/secret.yaml", "search/evil.yaml");
  expect_refused("extends: evil\n", "a symbolic link leads out of '" + at("search") + "'");
  write("search/climb.yaml", "include: ../outside/secret.yaml\n");
  expect_refused("extends: climb\n", "leads out of '" + at("search") + "'");
  expect_refused("extends: " + at("search") + "/../outside/secret.yaml\n", "is outside");
}

TEST_F(IncludeConfinement, SearchDirectoryWritableByOthersIsRefused) {
  write("search/base.yaml", "cgroup:\n  pids: {max: 11}\n");
  ASSERT_EQ(chmod(at("search").c_str(), 01777), 0);
  expect_refused("extends: base\n", "the profile search directory '" + at("search") +
                                        "' is writable by group or others (mode 1777)");
  ASSERT_EQ(chmod(at("search").c_str(), 0775), 0);
  expect_refused("extends: base\n", "is writable by group or others (mode 0775)");
}

TEST_F(IncludeConfinement, SearchPathFileWritableByOthersIsRefused) {
  write("search/base.yaml", "cgroup:\n  pids: {max: 11}\n", 0664);
  expect_refused("extends: base\n", "cannot read '" + at("search/base.yaml") +
                                        "': it is writable by group or others (mode 0664)");
  mkdir_p("search/sub");
  write("search/sub/f.yaml", "cgroup:\n  pids: {max: 11}\n");
  write("search/base.yaml", "include: sub/f.yaml\n");
  ASSERT_EQ(chmod(at("search/sub").c_str(), 0777), 0);
  expect_refused("extends: base\n", "its directory is writable by group or others (mode 0777)");
}

TEST_F(IncludeConfinement, SearchDirectoryOfAnotherUserIsRefused) {
  if (geteuid() != 0) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "CI=true: needs root to give a directory away";
    GTEST_SKIP() << "needs root to give a directory away";
  }
  write("search/base.yaml", "cgroup:\n  pids: {max: 11}\n");
  ASSERT_EQ(chown(at("search").c_str(), 65534, 65534), 0);
  expect_refused("extends: base\n", "is owned by uid 65534, not by root or the user running nsplan");
}

// A directory on the way is swapped, again and again, with a symbolic link to the outside while
// the profile is read: each read finds the inside file or is refused, never the secret.
TEST_F(IncludeConfinement, SwappingADirectoryForASymbolicLinkNeverLeaksTheSecret) {
  mkdir_p("profiles/race");
  write("profiles/race/x.yaml", "cgroup:\n  pids: {max: 3}\n");
  write("outside/x.yaml", std::string("root:") + kSecret + ":19000:0:99999:7:::\n");
  symlink_to("../outside", "profiles/race-swap");
  write("profiles/main.yaml", "nsplan: 1\nname: main\ninclude: race/x.yaml\n");
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop) renameat2(AT_FDCWD, at("profiles/race").c_str(), AT_FDCWD, at("profiles/race-swap").c_str(), RENAME_EXCHANGE);
  });
  int read_inside = 0, refused = 0;
  std::string leak;
  for (int i = 0; i < 2000 && leak.empty(); ++i) {
    auto c = check_file(at("profiles/main.yaml"), applier::profile_file_reader());
    std::string text = render_all(c->diags, c->sources);
    for (uint32_t f = 1; f <= c->sources.size(); ++f) text += c->sources.file(f).text;
    if (text.find(kSecret) != std::string::npos) leak = text;
    (c->diags.has_errors() ? refused : read_inside)++;
  }
  stop = true;
  swapper.join();
  ASSERT_EQ(leak, "");
  RecordProperty("read_inside", read_inside);
  RecordProperty("refused", refused);
  EXPECT_EQ(read_inside + refused, 2000);
}

TEST_F(IncludeConfinement, TopLevelProfileIsReadWhereverItIs) {
  // The operator's own argument: any regular file, through a symbolic link too. What it names
  // is looked up beside the name the operator gave (as its diagnostics show it).
  write("outside/p.yaml", "nsplan: 1\nname: p\ninclude: frag.yaml\n");
  write("outside/frag.yaml", "cgroup:\n  pids: {max: 5}\n");
  symlink_to("../outside/p.yaml", "profiles/p.yaml");
  auto c = check_file(at("profiles/p.yaml"), applier::profile_file_reader());
  ASSERT_FALSE(c->diags.has_errors()) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->profile->cgroup->pids->max->value.count, 7u);  // profiles/frag.yaml
  ASSERT_EQ(mkfifo(at("profiles/fifo.yaml").c_str(), 0644), 0);
  auto fifo = applier::read_profile_file(at("profiles/fifo.yaml"));
  EXPECT_FALSE(fifo.ok);
  EXPECT_EQ(fifo.error, "is a FIFO, not a regular file");
}

}  // namespace
}  // namespace nsplan

namespace nsplan {
namespace {

// `-`: standard input, read once and no further than a profile may be long.
class StandardInput : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = dup(STDIN_FILENO); }
  void TearDown() override {
    dup2(saved_, STDIN_FILENO);
    close(saved_);
  }
  // Standard input becomes a pipe holding TEXT (a writer thread: TEXT may exceed the pipe).
  void feed(const std::string& text) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    dup2(p[0], STDIN_FILENO);
    close(p[0]);
    writer_ = std::thread([fd = p[1], text] {
      size_t off = 0;
      while (off < text.size()) {
        ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n <= 0) break;  // the reader stopped reading: EPIPE
        off += static_cast<size_t>(n);
      }
      close(fd);
    });
  }
  void join() {
    if (writer_.joinable()) writer_.join();
  }
  FileRequest stdin_request() const {
    FileRequest r;
    r.path = kStdinPath;
    r.within = FileRequest::Within::StandardInput;
    return r;
  }
  int saved_ = -1;
  std::thread writer_;
};

TEST_F(StandardInput, IsReadOnceAndNamedStdin) {
  feed("nsplan: 1\nname: s\n");
  applier::ProfileFiles files;
  FileContent first = files.read(stdin_request());
  join();
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.text, "nsplan: 1\nname: s\n");
  FileContent second = files.read(stdin_request());
  EXPECT_FALSE(second.ok);
  EXPECT_FALSE(second.missing);
  EXPECT_NE(second.error.find("read already"), std::string::npos) << second.error;
}

TEST_F(StandardInput, StopsReadingAtTheSizeLimit) {
  auto old_handler = signal(SIGPIPE, SIG_IGN);  // the writer's: the reader stops before the end
  feed(std::string(3 * 4096, '#'));
  applier::ProfileFiles files(4096);
  FileContent c = files.read(stdin_request());
  dup2(saved_, STDIN_FILENO);  // closes the pipe's reading end: the writer ends
  join();
  signal(SIGPIPE, old_handler);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "standard input is larger than 4 KiB; a profile is a few KiB");
}

}  // namespace
}  // namespace nsplan
