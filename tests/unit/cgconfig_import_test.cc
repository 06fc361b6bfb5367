// nsplan import cgconfig: the mapping of cgconfig.conf parameters to profile keys, what is
// reported instead of imported, and the profiles' text (read back by nsplan, laid out as nsplan
// fmt leaves it).
#include <gtest/gtest.h>

#include <random>

#include "compiler/cgconfig_import.h"
#include "compiler/compile.h"
#include "compiler/yaml_format.h"
#include "test_support.h"

namespace nsplan::cgconfig {
namespace {

std::string rendered(const ImportResult& r) { return render_all(r.diags, r.sources); }

// The profile reads back as nsplan reads a profile file, without a word, and is laid out as
// nsplan fmt would lay it out.
void expect_clean_profile(const ImportedProfile& p) {
  testing::MemoryFiles files;
  files.files[p.name + ".yaml"] = p.text;
  auto c = check_file(p.name + ".yaml", files.reader());
  EXPECT_TRUE(c->diags.all().empty()) << p.text << render_all(c->diags, c->sources);
  auto formatted = format_profile_text(p.name + ".yaml", p.text);
  ASSERT_TRUE(formatted.formatted) << render_all(formatted.diags, formatted.sources);
  EXPECT_EQ(*formatted.formatted, p.text);
}

TEST(CgconfigImport, EveryMappedParameter) {
  auto r = import_cgconfig("cg.conf", R"(group app/web {
	memory {
		memory.limit_in_bytes = 3G;
		memory.memsw.limit_in_bytes = 6442450944;
		memory.soft_limit_in_bytes = 1073741824;
		memory.swappiness = 10;
	}
	cpu {
		cpu.shares = 512;
		cpu.cfs_quota_us = 50000;
		cpu.cfs_period_us = 200000;
		cpu.rt_runtime_us = 1000;
	}
	cpuset {
		cpuset.cpus = "0-3,5";
		cpuset.mems = 0;
	}
	pids {
		pids.max = 100;
	}
	blkio {
		blkio.weight = 500;
		blkio.throttle.read_bps_device = "8:0 1048576";
		blkio.throttle.write_iops_device = "8:0 100";
		blkio.weight_device = "8:16 300";
	}
	net_cls {
		net_cls.classid = 0x100001;
	}
	net_prio {
		net_prio.ifpriomap = "lo 5";
	}
	hugetlb {
		hugetlb.2MB.limit_in_bytes = 4M;
	}
	devices {
		devices.deny = a;
		devices.allow = "c 1:3 rwm
c 1:5 r";
	}
	freezer {
	}
}
)");
  EXPECT_TRUE(r.diags.all().empty()) << rendered(r);
  ASSERT_EQ(r.profiles.size(), 1u);
  const ImportedProfile& p = r.profiles[0];
  EXPECT_EQ(p.name, "app-web");
  EXPECT_EQ(p.group, "app/web");
  EXPECT_EQ(p.text, R"(# Imported by nsplan import cgconfig from cg.conf:1 (group app/web).
nsplan: 1
name: app-web
cgroup:
  path: app/web
  memory:
    max: 3G
    swap: 3G
    soft: 1073741824
    swappiness: 10
  cpu:
    shares: 512
    max: 50000/200000
    rt_runtime: 1000
  cpuset:
    cpus: "0-3,5"
    mems: 0
  pids:
    max: 100
  io:
    blkio_weight: 500
    devices:
      - device: "8:0"
        rbps: 1048576
        wiops: 100
    device_weights:
      - device: "8:16"
        weight: 300
  hugetlb:
    - page: 2M
      max: 4M
  net_cls:
    classid: "0x100001"
  net_prio:
    ifpriomap:
      lo: 5
  devices:
    default: deny
    allow:
      - "c 1:3 rwm"
      - "c 1:5 r"
  membership:
    - freezer
)");
  expect_clean_profile(p);
}

TEST(CgconfigImport, CgroupV2Files) {
  auto r = import_cgconfig("cg.conf", R"(group v2 {
	memory { memory.max = 1G; memory.swap.max = 512M; memory.high = max; memory.low = 64M; memory.oom.group = 1; }
	cpu { cpu.max = "50000 100000"; cpu.weight = 200; }
	io { io.weight = "default 300"; io.max = "8:0 rbps=1048576 wiops=max"; }
	pids { pids.max = max; }
}
)");
  EXPECT_TRUE(r.diags.all().empty()) << rendered(r);
  ASSERT_EQ(r.profiles.size(), 1u);
  EXPECT_EQ(r.profiles[0].text, R"(# Imported by nsplan import cgconfig from cg.conf:1 (group v2).
nsplan: 1
name: v2
cgroup:
  path: v2
  memory:
    max: 1G
    swap: 512M
    high: max
    low: 64M
    oom_group: true
  cpu:
    weight: 200
    max: 50000/100000
  pids:
    max: max
  io:
    weight: 300
    devices:
      - device: "8:0"
        rbps: 1048576
)");
  expect_clean_profile(r.profiles[0]);
}

// A quoted value of several lines is one kernel write a line: each line becomes an entry.
TEST(CgconfigImport, ValuesOfSeveralLines) {
  auto r = import_cgconfig("cg.conf", "group g {\n io { io.weight = \"8:0 100\ndefault 50\"; }\n"
                                      " misc { misc.max = \"sev 3\nsev_es max\"; }\n"
                                      " rdma { rdma.max = \"mlx4_0 hca_handle=2 hca_object=max\"; }\n}\n");
  EXPECT_TRUE(r.diags.all().empty()) << rendered(r);
  ASSERT_EQ(r.profiles.size(), 1u);
  EXPECT_NE(r.profiles[0].text.find(R"(  io:
    weight: 50
    device_weights:
      - device: "8:0"
        weight: 100
  misc:
    sev: 3
    sev_es: max
  rdma:
    - device: mlx4_0
      hca_handle: 2
      hca_object: max
)"),
            std::string::npos)
      << r.profiles[0].text;
  expect_clean_profile(r.profiles[0]);
}

TEST(CgconfigImport, CpuQuotaForms) {
  struct Case {
    const char* cpu;
    const char* yaml;
  };
  const Case cases[] = {
      {"cpu.cfs_quota_us = 25000;", "    max: 25000/100000\n"},
      {"cpu.cfs_quota_us = -1; cpu.cfs_period_us = 50000;", "    max: max\n    period: 50000\n"},
      {"cpu.cfs_period_us = 50000;", "    max: max\n    period: 50000\n"},
      {"cpu.max = max;", "    max: max\n"},
      {"cpu.max = \"max 20000\";", "    max: max\n    period: 20000\n"},
  };
  for (const auto& c : cases) {
    auto r = import_cgconfig("cg.conf", std::string("group g { cpu { ") + c.cpu + " } }\n");
    ASSERT_EQ(r.profiles.size(), 1u) << rendered(r);
    EXPECT_NE(r.profiles[0].text.find(std::string("  cpu:\n") + c.yaml), std::string::npos) << c.cpu << "\n" << r.profiles[0].text;
    expect_clean_profile(r.profiles[0]);
  }
}

// memsw is memory + swap; nsplan's swap is what comes on top of max.
TEST(CgconfigImport, MemswBecomesSwapOnTopOfMax) {
  auto swap_of = [](const std::string& memory) {
    auto r = import_cgconfig("cg.conf", "group g {\n memory {\n" + memory + "\n }\n}\n");
    std::string text = r.profiles.empty() ? "" : r.profiles[0].text;
    auto at = text.find("swap: ");
    return std::pair{at == std::string::npos ? std::string("-") : text.substr(at + 6, text.find('\n', at) - at - 6),
                     rendered(r)};
  };
  EXPECT_EQ(swap_of("memory.limit_in_bytes = 1G; memory.memsw.limit_in_bytes = 1536M;").first, "512M");
  EXPECT_EQ(swap_of("memory.limit_in_bytes = 4G; memory.memsw.limit_in_bytes = 4G;").first, "0");
  EXPECT_EQ(swap_of("memory.limit_in_bytes = 1000; memory.memsw.limit_in_bytes = 5096;").first, "4K");
  EXPECT_EQ(swap_of("memory.limit_in_bytes = 1G; memory.memsw.limit_in_bytes = -1;").first, "max");
  auto below = swap_of("memory.limit_in_bytes = 2G; memory.memsw.limit_in_bytes = 1G;");
  EXPECT_EQ(below.first, "-");
  EXPECT_NE(below.second.find("cg.conf:3:59: warning: memory.memsw.limit_in_bytes (1G) is below memory.limit_in_bytes (2G)"),
            std::string::npos)
      << below.second;
  auto alone = swap_of("memory.memsw.limit_in_bytes = 1G;");
  EXPECT_EQ(alone.first, "-");
  EXPECT_NE(alone.second.find("cg.conf:3:1: warning: memory.memsw.limit_in_bytes without memory.limit_in_bytes"),
            std::string::npos)
      << alone.second;
}

TEST(CgconfigImport, WhatHasNoKeyIsALocatedWarningOrAnErrorUnderStrict) {
  const std::string text = R"(group . {
	cpu { cpu.shares = 100; }
}
group g {
	memory {
		memory.use_hierarchy = 1;
		memory.limit_in_bytes = 1G;
	}
	cpu {
		memory.limit_in_bytes = 1G;
	}
	freezer {
		freezer.state = FROZEN;
	}
	bogus {
	}
	pids {
		pids.max = lots;
	}
}
template users/%u {
	cpu { }
}
)";
  auto r = import_cgconfig("cg.conf", text);
  EXPECT_FALSE(r.diags.has_errors());
  EXPECT_EQ(rendered(r).find("error"), std::string::npos);
  const std::string out = rendered(r);
  for (const char* expected : {
           "cg.conf:1:7: warning: group '.' is the root of each hierarchy; nsplan never changes the root cgroup: not imported",
           "cg.conf:6:3: warning: nsplan has no key for memory.use_hierarchy; not imported",
           "cg.conf:10:3: warning: 'memory.limit_in_bytes' is not a file of the cpu controller; not imported",
           "cg.conf:13:3: warning: nsplan has no key for freezer.state; not imported",
           "hint: after apply, nsplan freeze PROFILE freezes the group",
           "cg.conf:15:2: warning: 'bogus' is not a cgroup controller nsplan knows; section not imported",
           "cg.conf:18:14: warning: 'lots' is not a value nsplan reads for pids.max; not imported",
           "cg.conf:21:1: warning: template 'users/%u' is not imported",
       })
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  ASSERT_EQ(r.profiles.size(), 1u);
  // The cpu and freezer sections gave no key: the group is still made in those hierarchies.
  EXPECT_NE(r.profiles[0].text.find("  memory:\n    max: 1G\n  membership:\n    - cpu\n    - freezer\n    - pids\n"),
            std::string::npos)
      << r.profiles[0].text;

  ImportOptions strict;
  strict.strict = true;
  auto s = import_cgconfig("cg.conf", text, strict);
  EXPECT_TRUE(s.diags.has_errors());
  EXPECT_EQ(s.diags.error_count(), 7u) << rendered(s);
}

TEST(CgconfigImport, DeviceRulesInTheFilesOrder) {
  auto r = import_cgconfig("cg.conf", R"(group a { devices { devices.deny = "c 1:3 w"; } }
group b { devices { devices.allow = "c 1:3 r"; devices.deny = a; devices.allow = "c 1:5 rwm"; } }
group c { devices { devices.allow = "c 1:3 r"; } }
)");
  ASSERT_EQ(r.profiles.size(), 3u);
  EXPECT_NE(r.profiles[0].text.find("  devices:\n    default: allow\n    deny:\n      - \"c 1:3 w\"\n"), std::string::npos)
      << r.profiles[0].text;
  EXPECT_NE(r.profiles[1].text.find("  devices:\n    default: deny\n    allow:\n      - \"c 1:5 rwm\"\n"), std::string::npos)
      << r.profiles[1].text;
  const std::string out = rendered(r);
  EXPECT_NE(out.find("cg.conf:2:37: warning: devices rule 'c 1:3 r' comes before 'devices.deny = a', which clears it"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("cg.conf:3:37: warning: devices.allow 'c 1:3 r' without 'devices.deny = a' first"), std::string::npos) << out;
  for (const auto& p : r.profiles) expect_clean_profile(p);
}

TEST(CgconfigImport, Permissions) {
  auto r = import_cgconfig("cg.conf", R"(default {
	perm {
		task { uid = 1000; gid = users; fperm = 660; }
		admin { uid = root; gid = wheel; dperm = 755; fperm = 0644; }
	}
}
group own {
	perm {
		task { uid = root; gid = webmaster; fperm = 770; }
	}
	cpu { }
}
group inherits {
	cpu { }
}
)");
  EXPECT_TRUE(r.diags.all().empty()) << rendered(r);
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_NE(r.profiles[0].text.find("  permissions:\n    tasks: {user: root, group: webmaster, mode: \"0770\"}\n"),
            std::string::npos)
      << r.profiles[0].text;
  EXPECT_EQ(r.profiles[0].text.find("admin"), std::string::npos) << "a group's own perm replaces the default";
  EXPECT_NE(r.profiles[1].text.find("  permissions:\n    tasks: {user: 1000, group: users, mode: \"0660\"}\n"
                                    "    admin: {user: root, group: wheel, dir_mode: \"0755\", file_mode: \"0644\"}\n"),
            std::string::npos)
      << r.profiles[1].text;

  for (const auto& p : r.profiles) expect_clean_profile(p);

  auto bad = import_cgconfig("cg.conf", "group g { perm { task { uid = root; fperm = 778; mode = 1; } } cpu { } }\n");
  const std::string out = rendered(bad);
  EXPECT_NE(out.find("cg.conf:1:45: error: '778' is not an octal file mode"), std::string::npos) << out;
  EXPECT_NE(out.find("cg.conf:1:50: error: 'mode' is not a setting of task"), std::string::npos) << out;
}

TEST(CgconfigImport, NamesAndPaths) {
  auto r = import_cgconfig("cg.conf", R"(group a/b { cpu { } }
group a-b { cpu { } }
group a/b { cpu { } }
group x/../y { cpu { } }
group "with space" { cpu { } }
group /lead/slash/ { cpu { } }
group nothing { perm { task { uid = 0; } } }
)");
  const std::string out = rendered(r);
  for (const char* expected : {
           "cg.conf:2:7: error: group 'a-b' gives the profile name 'a-b', as the group at line 1 does",
           "cg.conf:3:7: error: group 'a/b' is defined twice",
           "cg.conf:4:7: error: 'x/../y' is not a cgroup path",
           "cg.conf:5:7: error: group 'with space' gives the profile name 'with space', which nsplan cannot use",
           "cg.conf:7:7: warning: group 'nothing' names no controller",
       })
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_EQ(r.profiles[1].name, "lead-slash");
  EXPECT_NE(r.profiles[1].text.find("  path: lead/slash\n"), std::string::npos);
}

TEST(CgconfigImport, NamespacesArePathPrefixes) {
  auto r = import_cgconfig("cg.conf", R"(namespace { cpu = /ns; cpuacct = /ns; memory = /other; }
group g { cpu { } cpuacct { } }
group h { cpu { } memory { } }
)");
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_EQ(r.profiles[0].name, "g");
  EXPECT_NE(r.profiles[0].text.find("  path: ns/g\n"), std::string::npos) << r.profiles[0].text;
  EXPECT_NE(r.profiles[1].text.find("  path: h\n"), std::string::npos) << r.profiles[1].text;
  EXPECT_NE(rendered(r).find("cg.conf:3:7: warning: the controllers of group 'h' have different namespaces"), std::string::npos)
      << rendered(r);
}

// Mount sections are the host's business: compared with its hierarchies, warnings only, even
// under --strict.
TEST(CgconfigImport, MountsCheckedAgainstTheHost) {
  const std::string text = "mount {\n cpu = /sys/fs/cgroup/cpu;\n memory = /cgroup/memory;\n \"name=x,nodev\" = /x;\n}\n";
  ImportOptions o;
  o.strict = true;
  o.host = HostFacts::stated(CgroupMode::V1);
  auto r = import_cgconfig("cg.conf", text, o);
  EXPECT_FALSE(r.diags.has_errors());
  const std::string out = rendered(r);
  EXPECT_EQ(out.find("cpu "), std::string::npos) << out;
  EXPECT_NE(out.find("cg.conf:3:11: warning: memory is mounted at /sys/fs/cgroup/memory on this host, not at /cgroup/memory"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("cg.conf:4:2: warning: name=x is not mounted on this host (cgconfig.conf mounts it at /x)"), std::string::npos)
      << out;
  EXPECT_EQ(r.diags.all().size(), 2u) << out;

  o.host = HostFacts::stated(CgroupMode::V2);
  auto v2 = import_cgconfig("cg.conf", text, o);
  EXPECT_FALSE(v2.diags.has_errors());
  EXPECT_EQ(v2.diags.all().size(), 3u) << rendered(v2);
  EXPECT_NE(rendered(v2).find("cg.conf:2:2: warning: this host has cgroup v2 (one hierarchy at /sys/fs/cgroup): cpu is not mounted on its own"),
            std::string::npos);

  // A directory that is another name of the host's mount (cpu -> cpu,cpuacct) is the same.
  o.host = HostFacts::stated(CgroupMode::V1);
  o.same_directory = [](const std::string& a, const std::string& b) { return a == b || b == "/cgroup/memory"; };
  EXPECT_EQ(import_cgconfig("cg.conf", text, o).diags.all().size(), 1u);
}

TEST(CgconfigImport, YamlScalars) {
  EXPECT_EQ(yaml_scalar("root"), "root");
  EXPECT_EQ(yaml_scalar("daemons/www"), "daemons/www");
  EXPECT_EQ(yaml_scalar("1000"), "1000");
  EXPECT_EQ(yaml_scalar("0"), "0");
  EXPECT_EQ(yaml_scalar("3"), "3");
  EXPECT_EQ(yaml_scalar("n"), "\"n\"");  // YAML 1.1's false
  EXPECT_EQ(yaml_scalar("0770"), "\"0770\"");
  EXPECT_EQ(yaml_scalar("3G"), "3G");
  EXPECT_EQ(yaml_scalar("8:0"), "\"8:0\"");
  EXPECT_EQ(yaml_scalar("yes"), "\"yes\"");
  EXPECT_EQ(yaml_scalar("Off"), "\"Off\"");
  EXPECT_EQ(yaml_scalar(""), "\"\"");
  EXPECT_EQ(yaml_scalar("a \"b\"\\\n\x01"), "\"a \\\"b\\\"\\\\\\n\\x01\"");
  EXPECT_EQ(yaml_scalar("-x"), "\"-x\"");
  EXPECT_EQ(yaml_scalar("#x"), "\"#x\"");
}

// Any text: diagnostics or profiles, never a crash; every profile made is one nsplan reads or
// says why not (never an abort).
TEST(CgconfigImport, AnyFileGivesDiagnosticsOrProfiles) {
  std::mt19937 rng(7);
  const std::string seed = R"(group a/b { perm { task { uid = 0; fperm = 770; } admin { gid = 0; dperm = 755; } }
 memory { memory.limit_in_bytes = 1G; memory.memsw.limit_in_bytes = 2G; }
 cpu { cpu.cfs_quota_us = 5000; cpu.max = "max 1000"; }
 blkio { blkio.throttle.read_bps_device = "8:0 1"; }
 devices { devices.deny = a; devices.allow = "c 1:3 r"; }
 hugetlb { hugetlb.2MB.limit_in_bytes = 2M; }
}
namespace { cpu = /x; }
)";
  for (int round = 0; round < 500; ++round) {
    std::string text = seed;
    for (int e = 0; e < 4; ++e) {
      size_t at = rng() % text.size();
      if (rng() % 2) text.erase(at, 1 + rng() % 3);
      else text.insert(at, 1, "{};=\"\n a1:/-%"[rng() % 13]);
    }
    auto r = import_cgconfig("cg.conf", text);
    (void)rendered(r);
    for (const auto& p : r.profiles) {
      testing::MemoryFiles files;
      files.files["p.yaml"] = p.text;
      auto c = check_file("p.yaml", files.reader());
      (void)render_all(c->diags, c->sources);
    }
  }
}

}  // namespace
}  // namespace nsplan::cgconfig
