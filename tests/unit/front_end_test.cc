// The front end: rendering of diagnostics (whole text pinned, caret included), includes and
// their merge rule, and YAML that must be refused in bounded time.
#include <gtest/gtest.h>

#include "compiler/loader.h"
#include "compiler/profile_reader.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;
using testing::MemoryFiles;

TEST(Diagnostic, RendersLocationSourceLineCaretAndHint) {
  auto c = compile_text("nsplan: 1\nname: x\ncgroup:\n  memory:\n    mx: 3G\n");
  EXPECT_EQ(render_all(c->diags, c->sources),
            "p.yaml:5:5: error: unknown key 'mx' in memory\n"
            "      mx: 3G\n"
            "      ^~\n"
            "  hint: did you mean 'max'?\n");
}

TEST(Diagnostic, ErrorInIncludedFileNamesTheIncludeSite) {
  MemoryFiles files;
  files.files["dir/main.yaml"] = "nsplan: 1\nname: m\ninclude: [frag.yaml]\n";
  files.files["dir/frag.yaml"] = "cgroup:\n  pids: {max: -3}\n";
  auto c = compile_file("dir/main.yaml", files.reader(), HostFacts::stated(CgroupMode::V2), {});
  ASSERT_TRUE(c->diags.has_errors());
  std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find("dir/frag.yaml:2:15: error: "), std::string::npos) << text;
  EXPECT_NE(text.find("dir/main.yaml:3:11: note: in file included from here\n  include: [frag.yaml]\n            ^~~~~~~~~\n"),
            std::string::npos) << text;
}

TEST(Loader, LaterWinsMapsMergeListsReplace) {
  MemoryFiles files;
  files.files["base.yaml"] = "nsplan: 1\nname: base\ncgroup:\n  memory: {max: 1G, soft: 512M}\nrun: {command: [a, b]}\n";
  files.files["frag.yaml"] = "cgroup:\n  memory: {max: 2G}\n  pids: {max: 5}\n";
  files.files["main.yaml"] = "include: frag.yaml\nextends: base.yaml\nname: main\nrun: {command: [c]}\n";
  auto c = compile_file("main.yaml", files.reader(), HostFacts::stated(CgroupMode::V2), {});
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const Profile& p = *c->profile;
  EXPECT_EQ(p.name.value, "main");
  EXPECT_EQ(p.cgroup->memory->max->value.bytes, 2ull << 30);    // fragment over base
  EXPECT_EQ(p.cgroup->memory->soft->value.bytes, 512ull << 20);  // kept from base
  EXPECT_EQ(p.cgroup->pids->max->value.count, 5u);
  ASSERT_EQ(p.run->command.size(), 1u);  // lists are replaced whole
  EXPECT_EQ(p.run->command[0].value, "c");
  // Values keep the file they were written in.
  EXPECT_EQ(c->sources.file(p.cgroup->memory->max->loc.file).path, "frag.yaml");
}

TEST(Loader, CycleIsAnError) {
  MemoryFiles files;
  files.files["a.yaml"] = "nsplan: 1\nname: a\ninclude: b.yaml\n";
  files.files["b.yaml"] = "extends: a.yaml\n";
  auto c = compile_file("a.yaml", files.reader(), HostFacts::stated(CgroupMode::V2), {});
  ASSERT_TRUE(c->diags.has_errors());
  EXPECT_EQ(c->diags.all()[0].message, "include cycle: a.yaml -> b.yaml -> a.yaml");
}

// The seam to the reader: what each name in include:/extends: asks it for. The reader of real
// files enforces it (files_test.cc); here the policy itself is pinned.
TEST(Loader, AsksTheReaderForFilesBelowTheIncludersDirectory) {
  std::map<std::string, std::string> texts = {
      {"dir/main.yaml", "nsplan: 1\nname: m\ninclude: sub/x.yaml\nextends: base\n"},
      {"dir/sub/x.yaml", "include: y.yaml\n"},
      {"dir/sub/y.yaml", "cgroup: {pids: {max: 4}}\n"},
      {"/srv/two/base.yaml", "include: b2.yaml\n"},
      {"/srv/two/b2.yaml", "cgroup: {pids: {max: 5}}\n"}};
  std::vector<FileRequest> asked;
  FileReader read = [&](const FileRequest& r) {
    asked.push_back(r);
    FileContent c;
    auto it = texts.find(r.path);
    c.missing = it == texts.end();
    c.ok = !c.missing;
    c.text = c.ok ? it->second : "";
    c.identity = r.path;
    c.directory = 100 + static_cast<int>(asked.size());  // a handle per file read
    return c;
  };
  LoadOptions load;
  load.search_path = {"/srv/one/", "/srv/two"};
  auto c = check_file("dir/main.yaml", read, load);
  ASSERT_FALSE(c->diags.has_errors()) << render_all(c->diags, c->sources);
  ASSERT_EQ(asked.size(), 6u);
  using W = FileRequest::Within;
  EXPECT_EQ(asked[0].within, W::AsGiven);
  // extends: comes first; a bare name is NAME.yaml in each search directory, in order.
  EXPECT_EQ(asked[1].within, W::SearchDirectory);
  EXPECT_EQ(asked[1].path, "/srv/one/base.yaml");
  EXPECT_EQ(asked[1].search_directory, "/srv/one");
  EXPECT_EQ(asked[1].name, "base.yaml");
  EXPECT_EQ(asked[2].path, "/srv/two/base.yaml");
  // What the base names is below the base's own directory, as the reader opened it.
  EXPECT_EQ(asked[3].within, W::IncludingDirectory);
  EXPECT_EQ(asked[3].path, "/srv/two/b2.yaml");
  EXPECT_EQ(asked[3].directory, 103);
  EXPECT_EQ(asked[3].name, "b2.yaml");
  EXPECT_EQ(asked[4].path, "dir/sub/x.yaml");
  EXPECT_EQ(asked[4].directory, 101);
  EXPECT_EQ(asked[4].directory_path, "dir");
  EXPECT_EQ(asked[4].name, "sub/x.yaml");
  EXPECT_EQ(asked[5].path, "dir/sub/y.yaml");
  EXPECT_EQ(asked[5].directory, 105);
  EXPECT_EQ(asked[5].name, "y.yaml");
}

TEST(Loader, RefusesNamesThatLeaveTheDirectoryBeforeAskingTheReader) {
  MemoryFiles files;
  files.files["dir/main.yaml"] =
      "nsplan: 1\nname: m\ninclude: [../x.yaml, a/../../x.yaml, /etc/shadow, /srv/p/../x.yaml, \"-x\", \".x\"]\n";
  files.files["x.yaml"] = "cgroup: {pids: {max: 4}}\n";
  files.files["/etc/shadow"] = "root:secret\n";
  size_t reads = 0;
  FileReader counting = [&](const FileRequest& r) {
    ++reads;
    return files.reader()(r);
  };
  LoadOptions load;
  load.search_path = {"/srv/p"};
  auto c = check_file("dir/main.yaml", counting, load);
  EXPECT_EQ(reads, 1u);  // the main file only
  ASSERT_EQ(c->diags.all().size(), 6u) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->diags.all()[0].message,
            "include: '../x.yaml' leads out of 'dir', the directory of this file; expected a file below it");
  EXPECT_EQ(c->diags.all()[2].message,
            "include: '/etc/shadow' is outside 'dir', the directory of this file, and the profile search path "
            "(/srv/p); expected a file below one of them");
  EXPECT_EQ(c->diags.all()[4].message,
            "include: '-x' is neither a file (with a '/' or ending in .yaml) nor a profile name");
}

// The profile named on the command line: its form decides what the reader is asked for.
TEST(Loader, CommandLineNameIsLookedUpOnTheSearchPathInOrder) {
  MemoryFiles files;
  files.files["/srv/admin/lab.yaml"] = "nsplan: 1\nname: lab\nextends: base\n";
  files.files["/srv/shipped/lab.yaml"] = "nsplan: 1\nname: shipped\n";
  files.files["/srv/shipped/base.yaml"] = "cgroup: {pids: {max: 4}}\n";
  files.files["lab"] = "nsplan: 1\nname: from-the-current-directory\n";
  std::vector<FileRequest> asked;
  FileReader read = [&](const FileRequest& r) {
    asked.push_back(r);
    return files.reader()(r);
  };
  LoadOptions load;
  load.search_path = {"/srv/admin", "/srv/shipped"};
  auto c = check_file("lab", read, load);
  ASSERT_FALSE(c->diags.has_errors()) << render_all(c->diags, c->sources);
  ASSERT_TRUE(c->profile);
  EXPECT_EQ(c->profile->name.value, "lab");  // the administrator's, not the shipped one nor ./lab
  EXPECT_EQ(c->sources.file(1).path, "/srv/admin/lab.yaml");
  ASSERT_GE(asked.size(), 1u);
  EXPECT_EQ(asked[0].within, FileRequest::Within::SearchDirectory);
  EXPECT_EQ(asked[0].search_directory, "/srv/admin");
  for (const auto& r : asked) EXPECT_NE(r.path, "lab") << "a bare name read the current directory";
  // ./lab and lab.yaml are files, read as given.
  asked.clear();
  auto file = check_file("./lab", read, load);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].within, FileRequest::Within::AsGiven);
}

TEST(Loader, NameNotFoundListsTheSearchPathAndTheNearestName) {
  MemoryFiles files;
  LoadOptions load;
  load.search_path = {"/srv/a", "/srv/b"};
  load.names_in = [](const std::string& dir) {
    return dir == "/srv/b" ? std::vector<std::string>{"firefox", "lab"} : std::vector<std::string>{};
  };
  auto c = check_file("firefx", files.reader(), load);
  ASSERT_EQ(c->diags.all().size(), 1u) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->diags.all()[0].message, "no profile 'firefx' on the profile search path (/srv/a, /srv/b)");
  EXPECT_EQ(c->diags.all()[0].hint, "did you mean 'firefox'?");
  auto far = check_file("zzzzzzzz", files.reader(), load);
  ASSERT_EQ(far->diags.all().size(), 1u);
  EXPECT_NE(far->diags.all()[0].hint.find("never in the current directory"), std::string::npos) << far->diags.all()[0].hint;
  auto neither = check_file("no such", files.reader(), load);
  ASSERT_EQ(neither->diags.all().size(), 1u);
  EXPECT_EQ(neither->diags.all()[0].message, "'no such' is neither a profile name nor a profile file");
}

TEST(Loader, StandardInputIsNamedStdinAndIncludesOnlyByName) {
  MemoryFiles files;
  files.files[kStdinPath] = "nsplan: 1\nname: s\nextends: base\ninclude: [./frag.yaml]\n";
  files.files["/srv/p/base.yaml"] = "cgroup: {pids: {max: 4}}\n";
  files.files["frag.yaml"] = "cgroup: {pids: {max: 5}}\n";
  std::vector<FileRequest> asked;
  FileReader read = [&](const FileRequest& r) {
    asked.push_back(r);
    return files.reader()(r);
  };
  LoadOptions load;
  load.search_path = {"/srv/p"};
  auto c = check_file("-", read, load);
  ASSERT_GE(asked.size(), 2u);
  EXPECT_EQ(asked[0].within, FileRequest::Within::StandardInput);
  EXPECT_EQ(asked[0].path, kStdinPath);
  EXPECT_EQ(asked[1].path, "/srv/p/base.yaml");  // by name: still found
  EXPECT_EQ(asked.size(), 2u) << "a relative include of standard input was read";
  ASSERT_EQ(c->diags.all().size(), 1u) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->sources.describe(c->diags.all()[0].loc), "<stdin>:4:11");
  EXPECT_EQ(c->diags.all()[0].message,
            "include: './frag.yaml' is a path relative to the directory of this profile, but a profile read from "
            "standard input has none");
}

TEST(Yaml, AliasBombIsRefusedQuickly) {
  std::string text = "nsplan: 1\nname: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i)
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  auto c = compile_text(text);
  ASSERT_TRUE(c->diags.has_errors());
  bool bounded = false;
  for (const auto& d : c->diags.all()) bounded |= d.message.find("expands to more than") != std::string::npos;
  EXPECT_TRUE(bounded) << render_all(c->diags, c->sources);
}

TEST(Yaml, DeepNestingIsRefused) {
  std::string text = "nsplan: 1\nname: deep\nx: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  auto c = compile_text(text);
  ASSERT_TRUE(c->diags.has_errors());
}

TEST(Yaml, SyntaxErrorIsLocated) {
  auto c = compile_text("nsplan: 1\nname: x\ncgroup: {memory: [\n");
  ASSERT_TRUE(c->diags.has_errors());
  EXPECT_EQ(c->diags.all()[0].message.rfind("YAML syntax: ", 0), 0u);
  EXPECT_TRUE(c->diags.all()[0].loc.valid());
}

TEST(Reader, EveryProblemIsReportedNotOnlyTheFirst) {
  auto c = compile_text("nsplan: 1\nname: x\ncgroup:\n  memory: {max: 1Q, swap: 2Q}\n  pids: {max: x}\nfoo: 1\n");
  EXPECT_EQ(c->diags.error_count(), 4u) << render_all(c->diags, c->sources);
}

TEST(Reader, DidYouMean) {
  EXPECT_EQ(closest_match("mx", {"max", "min", "swap"}), "max");
  EXPECT_EQ(closest_match("namespace", {"name", "namespaces", "network"}), "namespaces");
  EXPECT_EQ(closest_match("zzzzzz", {"max", "min"}), "");
}

TEST(Reader, NullObjectMeansDefaults) {
  auto c = compile_text("nsplan: 1\nname: x\nnamespaces:\n  pid:\n  ipc: {}\nrun: {command: [true]}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_TRUE(c->profile->namespaces->pid.has_value());
  EXPECT_EQ(c->plan->launch->unshare.kinds.size(), 2u);
}

}  // namespace
}  // namespace nsplan

namespace nsplan {
namespace {

TEST(Diagnostic, ControlBytesNeverReachTheTerminal) {
  auto c = testing::compile_text("nsplan: 1\nname: \"a\\e[2Jb\"\n");
  std::string text = render_all(c->diags, c->sources);
  ASSERT_TRUE(c->diags.has_errors());
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("invalid name 'a?[2Jb'"), std::string::npos) << text;
}

}  // namespace
}  // namespace nsplan
