// Huge page limits (cgroup.hugetlb) against this machine's kernel.
//   - Where nsplan's hierarchy has the hugetlb controller (both VMs of tests/vm): a profile
//     limiting the smallest huge page size of the host is applied; the test reads the files back
//     itself (whole huge pages, rounded down, as mm/hugetlb_cgroup.c keeps them), status says all
//     is in place, a second plan has nothing to do, and destroy leaves nothing.
//   - Where it has not (this build machine: a v1 host whose hugetlb controller sits in the unused
//     cgroup2 beside it): apply refuses with the located error and makes nothing.
// Cgroups: only below CgroupParent's "nsplan-t-<pid>-cg<n>"; nsplan runs in Sandboxes.
#include <string>

#include "compiler/cgroup_files.h"
#include "compiler/units.h"
#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

class Hugetlb : public ProbedHostTest {};

std::string profile_text(const std::string& name, uint64_t page) {
  const std::string size = units::format_bytes(page);
  // max: two pages and a half (kept as two); reserved: exactly one page.
  return "nsplan: 1\nname: " + name + "\ncgroup:\n  path: huge\n  hugetlb:\n    - page: " + size +
         "\n      max: " + std::to_string(page * 5 / 2) + "\n      reserved: " + size + "\n";
}

TEST_F(Hugetlb, LimitsAreKeptInWholePagesOrRefusedWhereTheControllerIsNot) {
  const HostFacts& facts = host_probe().facts;
  ASSERT_TRUE(facts.huge_page_sizes) << "a probed host knows its huge page sizes";
  if (facts.huge_page_sizes->empty()) NSPLAN_SKIP_OR_FAIL("this kernel has no huge pages (no /sys/kernel/mm/hugepages)");
  const uint64_t page = facts.huge_page_sizes->front();
  const bool v2 = facts.mode == CgroupMode::V2;
  const std::string path = tmp_.write("huge.yaml", profile_text(test_name("huge"), page));

  if (!facts.controllers.count("hugetlb")) {
    NSPLAN_SANDBOX(sb, tmp_.path());
    RunResult apply = sb.run(nsplan_cmd("apply", path, ""));
    EXPECT_EQ(apply.code(), 1) << apply.describe();
    EXPECT_TRUE(contains(apply.err, "huge.yaml:7:12: error: the hugetlb controller is not mounted on this host"))
        << apply.describe();
    EXPECT_TRUE(contains(apply.err, "huge.yaml:7:12: warning: hugetlb " + units::format_bytes(page) + " max"))
        << "the rounding is reported too\n" << apply.describe();
    EXPECT_FALSE(path_exists(facts.cgroup_root + "/hugetlb")) << "nothing made";
    return;
  }

  CgroupParent cg({"hugetlb"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, cg.name()));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  EXPECT_TRUE(contains(apply.err, "warning: hugetlb " + units::format_bytes(page) + " max")) << apply.describe();

  const std::string dir = cg.dir_of("hugetlb") + "/huge/";
  const std::string size = cgroup_files::page_size_name(page);
  const std::string max_file = "hugetlb." + size + (v2 ? ".max" : ".limit_in_bytes");
  const std::string rsvd_file = "hugetlb." + size + (v2 ? ".rsvd.max" : ".rsvd.limit_in_bytes");
  EXPECT_EQ(trim(read_file(dir + max_file)), std::to_string(2 * page)) << "2.5 pages are kept as 2";
  EXPECT_EQ(trim(read_file(dir + rsvd_file)), std::to_string(page));

  RunResult status = sb.run(nsplan_cmd("status", path, cg.name()));
  EXPECT_EQ(status.code(), 0) << status.describe();
  RunResult again = sb.run(nsplan_cmd("plan", path, cg.name()));
  EXPECT_EQ(again.code(), 0) << "nothing to change after the kernel's rounding\n" << again.describe();

  // A value changed behind nsplan's back is drift, and apply puts it back.
  ASSERT_TRUE(write_text(dir + max_file, std::to_string(4 * page)));
  EXPECT_EQ(sb.run(nsplan_cmd("status", path, cg.name())).code(), 4);
  ASSERT_EQ(sb.run(nsplan_cmd("apply", path, cg.name())).code(), 0);
  EXPECT_EQ(trim(read_file(dir + max_file)), std::to_string(2 * page));

  RunResult destroy = sb.run(nsplan_cmd("destroy", path, cg.name()));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsplan::kernel_test
