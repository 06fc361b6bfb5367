// Every translation that is not faithful on the target: the warning says what happens instead,
// and --strict refuses the profile with the same text as an error.
#include <gtest/gtest.h>

#include "test_support.h"

namespace nsplan {
namespace {

struct Lossy {
  const char* name;
  const char* cgroup;  // the cgroup section of the profile
  CgroupMode mode;
  void (*tweak)(HostFacts&);
  const char* warning;
};

void nothing(HostFacts&) {}
void no_swap_accounting(HostFacts& f) { f.swap_accounting = false; }
void no_bfq(HostFacts& f) { f.v1_io_weight_file.clear(); }
void cfq(HostFacts& f) { f.v1_io_weight_file = "blkio.weight"; }  // Linux before 5.0
void no_uclamp(HostFacts& f) { f.kernel_files["cpu.uclamp.min"] = false; }  // without CONFIG_UCLAMP_TASK_GROUP

const Lossy kCases[] = {
    {"high_on_v1", "memory: {max: 1G, high: 512M}", CgroupMode::V1, nothing,
     "memory high has no cgroup v1 equivalent; it is not applied"},
    {"low_on_v1", "memory: {max: 1G, low: 512M}", CgroupMode::V1, nothing,
     "memory low has no cgroup v1 equivalent; it is not applied"},
    {"min_on_v1", "memory: {max: 1G, min: 512M}", CgroupMode::V1, nothing,
     "memory min has no cgroup v1 equivalent; it is not applied"},
    {"swap_without_max_on_v1", "memory: {swap: 1G}\n  pids: {max: 9}", CgroupMode::V1, nothing,
     "memory swap needs a finite memory max on cgroup v1 (memsw = max + swap); swap is not limited"},
    {"swap_without_accounting_v1", "memory: {max: 1G, swap: 1G}", CgroupMode::V1, no_swap_accounting,
     "swap accounting is off on this host; memory swap is not limited"},
    {"swap_without_accounting_v2", "memory: {max: 1G, swap: 1G}", CgroupMode::V2, no_swap_accounting,
     "swap accounting is off on this host; memory swap is not limited"},
    {"soft_and_low_on_v2", "memory: {soft: 1G, low: 512M}", CgroupMode::V2, nothing,
     "memory soft is not applied on cgroup v2: low is given too, and both become memory.low"},
    {"io_weight_without_bfq_on_v1", "io: {weight: 200}\n  pids: {max: 9}", CgroupMode::V1, no_bfq,
     "this host's blkio controller has no weight file (BFQ is not in use); io weight is not applied"},
    {"io_weight_below_cfq_range_on_v1", "io: {weight: 5}\n  pids: {max: 9}", CgroupMode::V1, cfq,
     "io weight 5 is 5 on v1's 1..1000 scale; this host's blkio.weight (CFQ) takes 10..1000, so 10 is written"},
    {"oom_group_on_v1", "memory: {max: 1G, oom_group: true}", CgroupMode::V1, nothing,
     "memory oom_group has no cgroup v1 equivalent; it is not applied"},
    {"swappiness_on_v2", "memory: {swappiness: 10}", CgroupMode::V2, nothing,
     "cgroup v2 has no per-cgroup swappiness; memory swappiness is not applied"},
    {"zswap_max_on_v1", "memory: {max: 1G, zswap_max: 1G}", CgroupMode::V1, nothing,
     "cgroup v1 has no zswap limit; memory zswap_max is not applied"},
    {"file_the_kernel_lacks", "cpu: {uclamp_min: 20}", CgroupMode::V2, no_uclamp,
     "this host's kernel has no cpu.uclamp.min; cpu uclamp_min 20.00 is not applied"},
    {"no_limit_on_v1", "path: x", CgroupMode::V1, nothing,
     "the cgroup sets no limit; on cgroup v1 nothing is created"},
};

class LossyTranslation : public ::testing::TestWithParam<Lossy> {};

TEST_P(LossyTranslation, WarnsAndStrictRefuses) {
  const Lossy& c = GetParam();
  std::string text = std::string("nsplan: 1\nname: x\ncgroup:\n  ") + c.cgroup + "\n";
  HostFacts facts = HostFacts::stated(c.mode);
  c.tweak(facts);

  auto lenient = testing::compile_with(text, facts, false);
  ASSERT_TRUE(lenient->ok()) << render_all(lenient->diags, lenient->sources);
  ASSERT_EQ(lenient->diags.all().size(), 1u) << render_all(lenient->diags, lenient->sources);
  EXPECT_EQ(lenient->diags.all()[0].severity, Severity::Warning);
  EXPECT_EQ(lenient->diags.all()[0].message, c.warning);
  EXPECT_TRUE(lenient->diags.all()[0].loc.valid());

  auto strict = testing::compile_with(text, facts, true);
  EXPECT_FALSE(strict->ok());
  ASSERT_EQ(strict->diags.all().size(), 1u);
  EXPECT_EQ(strict->diags.all()[0].severity, Severity::Error);
  EXPECT_EQ(strict->diags.all()[0].message, c.warning);
}

INSTANTIATE_TEST_SUITE_P(Cases, LossyTranslation, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// CFQ refuses (ERANGE) a weight below 10: what the warning says is written is what is written.
TEST(Translation, CfqWeightIsRaisedToItsMinimum) {
  HostFacts facts = HostFacts::stated(CgroupMode::V1);
  cfq(facts);
  auto c = testing::compile_with("nsplan: 1\nname: x\ncgroup:\n  io: {weight: 5}\n", facts);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  std::string written;
  for (const auto& s : c->plan->steps)
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&s.action); w && w->file == "blkio.weight") written = w->value;
  EXPECT_EQ(written, "10");
}

// Translations by formula are faithful enough to need no warning, but explain shows them.
TEST(Translation, FormulasAreExplainedNotWarned) {
  auto v2 = testing::compile_text("nsplan: 1\nname: x\ncgroup:\n  cpu: {shares: 512}\n", CgroupMode::V2);
  ASSERT_TRUE(v2->ok());
  EXPECT_TRUE(v2->diags.all().empty());
  bool noted = false;
  for (const auto& s : v2->plan->steps)
    for (const auto& n : s.notes) noted |= n.find("runc's formula") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace nsplan
