// The cgconfig.conf reader: every section kind, quoting, comments, locations, and located errors
// with recovery; any bytes give diagnostics, never a crash.
#include <gtest/gtest.h>

#include <random>

#include "compiler/cgconfig_parse.h"

namespace nsplan::cgconfig {
namespace {

struct Parsed {
  SourceManager sources;
  Diagnostics diags;
  Config config;
  std::string rendered() const { return render_all(diags, sources); }
};

std::unique_ptr<Parsed> read(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  uint32_t file = p->sources.add("cg.conf", text);
  p->config = parse(p->sources, file, p->diags);
  return p;
}

TEST(CgconfigParse, EverySectionKind) {
  auto p = read(R"(# a comment line
   # an indented comment
* libcgroup's other comment form
mount {
	cpu = /sys/fs/cgroup/cpu;
	"name=noctrl" = /sys/fs/cgroup/noctrl;
	"cpu,nodev,noexec" = "/mnt/cgroups/cpu";
}
namespace {
	cpu = /daemons;
}
default {
	perm {
		admin { uid = root; gid = 0; dperm = 755; fperm = 644; }
		task { uid = 1000; gid = users; fperm = 660; }
	}
}
group daemons/www {   # a trailing comment
	perm {
		task { uid = root; gid = webmaster; fperm = 770; }
	}
	cpu {
		cpu.shares = "1000";
	}
	"name=noctrl" {
	}
}
template students/%u {
	cpu { cpu.shares = 100; }
}
)");
  EXPECT_FALSE(p->diags.has_errors()) << p->rendered();
  const Config& c = p->config;
  ASSERT_EQ(c.mounts.size(), 3u);
  EXPECT_EQ(c.mounts[0].name.text, "cpu");
  EXPECT_EQ(c.mounts[0].value.text, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(c.mounts[1].name.text, "name=noctrl");
  EXPECT_TRUE(c.mounts[1].name.quoted);
  EXPECT_EQ(c.mounts[2].name.text, "cpu,nodev,noexec");
  EXPECT_EQ(c.mounts[2].value.text, "/mnt/cgroups/cpu");
  EXPECT_EQ((std::pair{c.mounts[0].name.loc.line, c.mounts[0].name.loc.col}), (std::pair{5u, 2u}));
  EXPECT_EQ(c.mounts[0].name.loc.len, 3u);
  ASSERT_EQ(c.namespaces.size(), 1u);
  EXPECT_EQ(c.namespaces[0].value.text, "/daemons");
  ASSERT_TRUE(c.default_perm);
  ASSERT_TRUE(c.default_perm->task && c.default_perm->admin);
  EXPECT_EQ(c.default_perm->admin->size(), 4u);
  EXPECT_EQ((*c.default_perm->task)[1].value.text, "users");
  ASSERT_EQ(c.groups.size(), 1u);
  const Group& g = c.groups[0];
  EXPECT_EQ(g.name.text, "daemons/www");
  EXPECT_EQ(g.keyword.line, 18u);
  ASSERT_TRUE(g.perm && g.perm->task);
  EXPECT_FALSE(g.perm->admin);
  ASSERT_EQ(g.controllers.size(), 2u);
  EXPECT_EQ(g.controllers[0].controller.text, "cpu");
  ASSERT_EQ(g.controllers[0].settings.size(), 1u);
  EXPECT_EQ(g.controllers[0].settings[0].value.text, "1000");
  EXPECT_TRUE(g.controllers[0].settings[0].value.quoted);
  EXPECT_EQ(g.controllers[0].settings[0].value.loc.line, 23u);
  EXPECT_EQ(g.controllers[0].settings[0].value.loc.col, 16u);
  EXPECT_EQ(g.controllers[1].controller.text, "name=noctrl");
  EXPECT_TRUE(g.controllers[1].settings.empty());
  ASSERT_EQ(c.templates.size(), 1u);
  EXPECT_EQ(c.templates[0].name.text, "students/%u");
}

TEST(CgconfigParse, QuotedValuesKeepSpacesAndLines) {
  auto p = read("group g {\n devices {\n  devices.allow = \"c 1:3 rwm\nc 1:5 r\";\n }\n}\n");
  ASSERT_FALSE(p->diags.has_errors()) << p->rendered();
  EXPECT_EQ(p->config.groups[0].controllers[0].settings[0].value.text, "c 1:3 rwm\nc 1:5 r");
}

TEST(CgconfigParse, MissingSemicolonIsLocated) {
  auto p = read("group g {\n cpu {\n  cpu.shares = 100\n }\n}\ngroup h { cpu { } }\n");
  EXPECT_EQ(p->rendered().substr(0, p->rendered().find('\n')),
            "cg.conf:4:2: error: expected ';' after the value of 'cpu.shares', found '}'");
  EXPECT_NE(p->rendered().find("hint: each 'name = value' ends with ';'"), std::string::npos);
  // The reader goes on after the broken group: h is read.
  ASSERT_EQ(p->config.groups.size(), 1u);
  EXPECT_EQ(p->config.groups[0].name.text, "h");
}

TEST(CgconfigParse, UnquotedSpecialCharacterSaysToQuote) {
  auto p = read("group g {\n devices {\n  devices.allow = c 1:3 rwm;\n }\n}\n");
  ASSERT_TRUE(p->diags.has_errors());
  EXPECT_NE(p->rendered().find("cg.conf:3:21: error: expected ';' after the value of 'devices.allow', found '1'"),
            std::string::npos)
      << p->rendered();
}

TEST(CgconfigParse, ErrorsOfEachKind) {
  struct Case {
    const char* text;
    const char* first_error;
  };
  const Case cases[] = {
      {"groop g { }\n", "cg.conf:1:1: error: unknown section 'groop'"},
      {"mount { }\n", "cg.conf:1:1: error: empty mount section"},
      {"group g { cpu { cpu.shares = 1; }\n", "cg.conf:2:1: error: expected '}' closing group 'g', found the end of the file"},
      {"group g { cpu { cpu.shares = \"1; } }\n", "cg.conf:1:30: error: expected a value for 'cpu.shares', found a quoted string that never ends"},
      {"group g { perm { owner { uid = 0; } } }\n", "cg.conf:1:18: error: expected 'task' or 'admin', found 'owner'"},
      {"group g { perm { task { uid = 0; } task { uid = 1; } } cpu { } }\n", "cg.conf:1:36: error: a second task section"},
      {"default { perm { task { uid = 0; } } }\ndefault { perm { task { uid = 0; } } }\n", "cg.conf:2:1: error: a second default section"},
      {"group g { cpu { cpu.shares = 1; } }\n}\n", "cg.conf:2:1: error: expected a section (mount, group, template, namespace or default), found '}'"},
      {"group \xff { }\n", "cg.conf:1:7: error: expected a group name, found a byte that is not UTF-8"},
      {"group g { cpu { x = \"\xc3\"; } }\n", "cg.conf:1:22: error: expected a value for 'x', found a byte that is not UTF-8 in a quoted string"},
  };
  for (const auto& c : cases) {
    auto p = read(c.text);
    EXPECT_TRUE(p->diags.has_errors()) << c.text;
    EXPECT_EQ(p->rendered().rfind(c.first_error, 0), 0u) << c.text << "\n" << p->rendered();
  }
}

// After an error the reader goes on with the next section; at the top level it skips to the next
// section keyword, so a file of garbage is one error.
TEST(CgconfigParse, TooManyErrorsStop) {
  EXPECT_EQ(read("groop g { }\ngroop h { }\n}}}{{ ;;\n")->diags.error_count(), 1u);
  std::string text;
  for (int i = 0; i < 500; ++i) text += "group g { cpu }\n";
  auto p = read(text);
  EXPECT_LE(p->diags.error_count(), 51u);
  EXPECT_NE(p->rendered().find("too many errors"), std::string::npos);
}

// Random bytes and random mutations of a valid file: diagnostics or a config, never a crash,
// and every diagnostic renders.
TEST(CgconfigParse, AnyBytes) {
  const std::string seed =
      "mount { cpu = /sys/fs/cgroup/cpu; }\ngroup a/b { perm { task { uid = 0; } admin { uid = 0; } }\n"
      " cpu { cpu.shares = \"100\"; } }\ntemplate t/%u { cpu { } }\ndefault { perm { task { gid = 1; } } }\n";
  std::mt19937 rng(12);
  const std::string alphabet = "{};=\"#*\n \tgroupmount/.%\xff\xc3";
  for (int round = 0; round < 3000; ++round) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text.erase(at, 1 + rng() % 4); break;
        case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: text[at] = static_cast<char>(rng() % 256);
      }
    }
    auto p = read(text);
    (void)p->rendered();
  }
}

}  // namespace
}  // namespace nsplan::cgconfig
