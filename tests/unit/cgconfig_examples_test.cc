// Every example of cgconfig.conf(5) (cgroup-tools 2.0.2, Debian 12; it has eight, not the nine
// issue 12 counts): the file (tests/cgconfig/exampleN.conf) is imported, each profile is
// explained for a cgroup v1 host whose hierarchies are mounted as the example's mount section
// says, below /sys/fs/cgroup, and the script's mkdir, chown, chmod and echo operations are
// compared with those the man page lists. Mount lines are the host's business (the explain
// script mounts nothing): only what is below the mount points is compared.
//
// Where the man page is wrong, the expected operations are what its configuration file does, and
// the comment says what the man page printed instead.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "applier/explain.h"
#include "compiler/cgconfig_import.h"
#include "test_support.h"

namespace nsplan::cgconfig {
namespace {

std::string read_example(int n) {
  std::ifstream in(std::string(NSPLAN_SOURCE_DIR) + "/tests/cgconfig/example" + std::to_string(n) + ".conf");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A v1 host with the hierarchies of the example's mount section (co-mounted controllers share a
// directory; a named hierarchy is mounted with name=NAME), the others where v1 has them.
HostFacts host_of(const std::string& text) {
  HostFacts facts = HostFacts::stated(CgroupMode::V1, "/sys/fs/cgroup");
  // The mount section as the example files write it: one "controller = path;" a line; mount
  // options (nodev ...) are not hierarchies.
  std::istringstream lines(text);
  std::string line;
  bool in_mount = false;
  while (std::getline(lines, line)) {
    if (line.rfind("mount {", 0) == 0) in_mount = true;
    else if (in_mount && line.rfind("}", 0) == 0) in_mount = false;
    else if (in_mount) {
      auto eq = line.find(" = ");
      std::string key = line.substr(0, eq), path = line.substr(eq + 3);
      key.erase(0, key.find_first_not_of("\t \""));
      key.erase(key.find_last_not_of("\t \"") + 1);
      path.erase(path.find(';'));
      std::istringstream opts(key);
      std::string c;
      while (std::getline(opts, c, ','))
        if (c != "nodev" && c != "nosuid" && c != "noexec") {
          facts.v1_mounts[c] = path;
          facts.controllers.insert(c);
        }
    }
  }
  return facts;
}

// "mkdir -p '/a/b'" -> "mkdir /a/b"; "chown u:g 'A' 'B'" -> "chown u:g A", "chown u:g B".
std::vector<std::string> operations(const std::string& script) {
  std::vector<std::string> out;
  std::istringstream lines(script);
  std::string line;
  while (std::getline(lines, line)) {
    std::string plain;
    for (char c : line)
      if (c != '\'') plain += c;
    if (plain.rfind("mkdir -p ", 0) == 0) {
      out.push_back("mkdir " + plain.substr(9));
    } else if (plain.rfind("echo ", 0) == 0) {
      out.push_back(plain);
    } else if (plain.rfind("find ", 0) == 0) {
      // "find DIR -maxdepth 1 -type f ! -name tasks ... -exec chown U:G {} + -exec chmod M {} +":
      // the files of DIR but those the tasks owner gets (given their owner next), which is what
      // the man page's "chown U:G DIR/*" followed by "chown ... DIR/tasks" leaves.
      std::istringstream words(plain);
      std::vector<std::string> w;
      for (std::string x; words >> x;) w.push_back(x);
      for (size_t i = 0; i + 2 < w.size(); ++i)
        if (w[i] == "-exec") out.push_back(w[i + 1] + " " + w[i + 2] + " " + w[1] + "/*");
    } else if (plain.rfind("chown ", 0) == 0 || plain.rfind("chmod ", 0) == 0) {
      std::istringstream words(plain);
      std::string verb, who, path;
      words >> verb >> who;
      while (words >> path) out.push_back(verb + " " + who + " " + path);
    }
  }
  return out;
}

struct Example {
  int number;
  std::vector<std::string> expected;  // sorted below; each operation once
  std::vector<std::string> warnings;  // each a part of one warning, in order
};

void PrintTo(const Example& e, std::ostream* os) { *os << "example " << e.number; }

const std::string C = "/sys/fs/cgroup/";

std::vector<Example> examples() {
  return {
      // mkdir /sys/fs/cgroup/cpu; mount -t cgroup -o cpu,cpuacct cpu /sys/fs/cgroup/cpu: the host's.
      {1, {}, {}},
      {2,
       {
           "mkdir " + C + "cpu/daemons",
           // The man page prints "echo 1000 > /sys/fs/cgroup/cpu/daemons/www/cpu.shares": its file
           // has no group daemons/www; the value is the group daemons'.
           "echo 1000 > " + C + "cpu/daemons/cpu.shares",
           // The man page prints "mkdir /sys/fs/cgroup/noctrl/tests": the group is named test.
           "mkdir " + C + "noctrl/test",
       },
       {}},
      {3,
       {
           "mkdir " + C + "cpu/daemons",
           "mkdir " + C + "cpu/daemons/www",
           "chown root:root " + C + "cpu/daemons/www/*",
           "chown root:webmaster " + C + "cpu/daemons/www/tasks",
           "echo 1000 > " + C + "cpu/daemons/www/cpu.shares",
           // The man page gives the modes in prose ("+ chmod the files so the result looks
           // like"): admin dperm 775 (its listing shows 755, drwxr-xr-x: wrong for www), admin
           // fperm 744, task fperm 770.
           "chmod 0775 " + C + "cpu/daemons/www",
           "chmod 0744 " + C + "cpu/daemons/www/*",
           "chmod 0770 " + C + "cpu/daemons/www/tasks",
           // nsplan's additions (docs/import.md): the directory itself is the admin's (libcgroup
           // chowns it too: its listing shows '.' owned by the admin), and cgroup.procs goes
           // with tasks (moving a process is a write to either).
           "chown root:root " + C + "cpu/daemons/www",
           "chown root:webmaster " + C + "cpu/daemons/www/cgroup.procs",
           "chmod 0770 " + C + "cpu/daemons/www/cgroup.procs",
           "mkdir " + C + "cpu/daemons/ftp",
           "chown root:root " + C + "cpu/daemons/ftp/*",
           "chown root:ftpmaster " + C + "cpu/daemons/ftp/tasks",
           "echo 500 > " + C + "cpu/daemons/ftp/cpu.shares",
           "chmod 0755 " + C + "cpu/daemons/ftp",
           "chmod 0700 " + C + "cpu/daemons/ftp/*",
           "chmod 0774 " + C + "cpu/daemons/ftp/tasks",
           "chown root:root " + C + "cpu/daemons/ftp",
           "chown root:ftpmaster " + C + "cpu/daemons/ftp/cgroup.procs",
           "chmod 0774 " + C + "cpu/daemons/ftp/cgroup.procs",
       },
       {}},
      {4, {"mkdir " + C + "cpu/daemons", "mkdir " + C + "cpuacct/daemons"}, {}},
      {5,
       {
           "mkdir " + C + "cpuacct/daemons",
           "mkdir " + C + "cpu/daemons",
           "mkdir " + C + "cpu/daemons/www",
           "echo 1000 > " + C + "cpu/daemons/www/cpu.shares",
           "mkdir " + C + "cpu/daemons/ftp",
           "echo 500 > " + C + "cpu/daemons/ftp/cpu.shares",
       },
       {}},
      {6,
       {
           // The man page's "chown root:operator /sys/fs/cgroup/cpu/*" and ".../cpu/tasks" change
           // the root cgroup: nsplan never does (a warning at group '.').
           "mkdir " + C + "cpu/daemons",
           "chown root:operator " + C + "cpu/daemons/*",
           "chown root:daemonmaster " + C + "cpu/daemons/tasks",
           // nsplan's additions, as in example 3.
           "chown root:operator " + C + "cpu/daemons",
           "chown root:daemonmaster " + C + "cpu/daemons/cgroup.procs",
       },
       {"group '.' is the root of each hierarchy"}},
      {7,
       {
           // The man page prints "mkdir /sys/fs/cgroup/cpu/daemons" and ".../cpuacct/daemons" (as
           // if part of the file): the group of this example is students.
           "mkdir " + C + "cpu/students",
           "mkdir " + C + "cpuacct/students",
       },
       {"template 'students/%u' is not imported"}},
      // mount -t cgroup cgroup -o nodev,nosuid,noexec,cpu /mnt/cgroups/cpu: the host's; no group.
      {8, {}, {}},
  };
}

class ManPageExample : public ::testing::TestWithParam<Example> {};

TEST_P(ManPageExample, SameOperationsAsTheManPage) {
  const Example& ex = GetParam();
  const std::string text = read_example(ex.number);
  ASSERT_FALSE(text.empty());
  auto r = import_cgconfig("example" + std::to_string(ex.number) + ".conf", text);
  ASSERT_FALSE(r.diags.has_errors()) << render_all(r.diags, r.sources);
  std::vector<std::string> warnings;
  for (const auto& d : r.diags.all()) warnings.push_back(d.message);
  ASSERT_EQ(warnings.size(), ex.warnings.size()) << render_all(r.diags, r.sources);
  for (size_t i = 0; i < warnings.size(); ++i) EXPECT_NE(warnings[i].find(ex.warnings[i]), std::string::npos) << warnings[i];

  const HostFacts facts = host_of(text);
  std::set<std::string> done;
  std::vector<std::string> order;
  for (const auto& p : r.profiles) {
    testing::MemoryFiles files;
    files.files[p.name + ".yaml"] = p.text;
    auto c = compile_file(p.name + ".yaml", files.reader(), facts, PlanOptions{});
    ASSERT_TRUE(c->ok()) << p.text << render_all(c->diags, c->sources);
    applier::ExplainOptions eo;
    eo.with_launch = false;
    for (const auto& op : operations(applier::explain(*c->plan, c->diags, c->sources, eo))) {
      order.push_back(op);
      done.insert(op);  // mkdir -p of a parent made by another profile already is the same mkdir
    }
  }
  std::set<std::string> expected(ex.expected.begin(), ex.expected.end());
  EXPECT_EQ(done, expected);
  // Ownership and mode of the files (DIR/*) before those of tasks, which DIR/* would take back.
  for (size_t i = 0; i < order.size(); ++i) {
    if (!order[i].ends_with("/tasks")) continue;
    const std::string verb = order[i].substr(0, 6);
    const std::string all = order[i].substr(order[i].rfind(' ') + 1, order[i].size() - order[i].rfind(' ') - 6) + "*";
    for (size_t j = i + 1; j < order.size(); ++j)
      EXPECT_FALSE(order[j].starts_with(verb) && order[j].ends_with(" " + all)) << order[j] << " after " << order[i];
  }
}

INSTANTIATE_TEST_SUITE_P(CgconfigManPage, ManPageExample, ::testing::ValuesIn(examples()),
                         [](const ::testing::TestParamInfo<Example>& info) { return "Example" + std::to_string(info.param.number); });

}  // namespace
}  // namespace nsplan::cgconfig
