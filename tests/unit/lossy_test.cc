// Every translation that is not faithful on the target: the warning says what happens instead,
// and --strict refuses the profile with the same text as an error.
#include <gtest/gtest.h>

#include <tuple>

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
void no_bfq_weight_device(HostFacts& f) { f.kernel_files["blkio.bfq.weight_device"] = false; }  // before Linux 5.4
void no_rt_group_sched(HostFacts& f) {  // without CONFIG_RT_GROUP_SCHED
  f.kernel_files["cpu.rt_period_us"] = f.kernel_files["cpu.rt_runtime_us"] = false;
}
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
     "io weight 5 is below the 10..1000 that blkio.weight takes; 10 is written, so the ratio to a sibling at weight 100 "
     "becomes 10:100 instead of 5:100"},
    {"io_weight_above_1000_on_v1", "io: {weight: 2500}", CgroupMode::V1, nothing,
     "io weight 2500 is above the 1..1000 that blkio.bfq.weight takes; 1000 is written, so the ratio to a sibling at "
     "weight 100 becomes 1000:100 instead of 2500:100"},
    {"device_weight_above_1000_on_v1", "io: {device_weights: [{device: \"8:0\", weight: 4000}]}", CgroupMode::V1, nothing,
     "io weight 4000 on 8:0 is above the 1..1000 that blkio.bfq.weight_device takes; 1000 is written, so the ratio to a "
     "sibling at weight 100 becomes 1000:100 instead of 4000:100"},
    {"blkio_weight_without_bfq_on_v1", "io: {blkio_weight: 500}\n  pids: {max: 9}", CgroupMode::V1, no_bfq,
     "this host's blkio controller has no weight file (BFQ is not in use); io blkio_weight is not applied"},
    {"device_weight_without_bfq_on_v1", "io: {device_weights: [{device: \"8:0\", weight: 50}]}\n  pids: {max: 9}",
     CgroupMode::V1, no_bfq,
     "this host's blkio controller has no weight file (BFQ is not in use); the io weight of 8:0 is not applied"},
    {"device_weight_before_linux_5_4_on_v1", "io: {device_weights: [{device: \"8:0\", weight: 50}]}\n  pids: {max: 9}",
     CgroupMode::V1, no_bfq_weight_device,
     "this host's kernel has no blkio.bfq.weight_device; io weight 50 on 8:0 is not applied"},
    {"rt_runtime_on_v2", "cpu: {rt_runtime: 10000}", CgroupMode::V2, nothing,
     "cgroup v2 has no real-time group scheduling; cpu rt_runtime 10000 us is not applied"},
    {"rt_period_on_v2", "cpu: {rt_period: 10000}", CgroupMode::V2, nothing,
     "cgroup v2 has no real-time group scheduling; cpu rt_period 10000 us is not applied"},
    {"rt_without_rt_group_sched_on_v1", "cpu: {rt_period: 10000}\n  pids: {max: 9}", CgroupMode::V1, no_rt_group_sched,
     "this host's kernel has no cpu.rt_period_us; cpu rt_period 10000 us is not applied"},
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

std::vector<std::pair<std::string, std::string>> cgroup_writes(const Compilation& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : c.plan->steps)
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&s.action)) out.push_back({w->dir + "/" + w->file, w->value});
  return out;
}

// A weight that fits v1's file is written as it is, so sibling ratios stay (200:100 is 200:100).
TEST(Translation, IoWeightsThatFitV1AreWrittenUnchanged) {
  for (auto [weight, on_bfq_host, on_cfq_host] : {std::tuple{1, "1", "10"}, {10, "10", "10"}, {100, "100", "100"}, {200, "200", "200"},
                                  {1000, "1000", "1000"}, {1001, "1000", "1000"}, {10000, "1000", "1000"}}) {
    for (bool on_cfq : {false, true}) {
      HostFacts facts = HostFacts::stated(CgroupMode::V1);
      if (on_cfq) cfq(facts);
      auto c = testing::compile_with("nsplan: 1\nname: x\ncgroup:\n  io: {weight: " + std::to_string(weight) + "}\n", facts);
      ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
      const std::string file = on_cfq ? "blkio.weight" : "blkio.bfq.weight";
      const std::string want = on_cfq ? on_cfq_host : on_bfq_host;
      EXPECT_EQ(cgroup_writes(*c), (std::vector<std::pair<std::string, std::string>>{
                                       {"/sys/fs/cgroup/blkio/nsplan/x/" + file, want}}))
          << weight;
      EXPECT_EQ(c->diags.all().size(), want == std::to_string(weight) ? 0u : 1u) << weight << " on " << file;
    }
  }
}

// blkio_weight (10..1000) is written as it is on v1 and becomes the same io.weight on v2, with a
// note; it cannot be given with weight.
TEST(Translation, BlkioWeightIsTheSameNumberOnBothHierarchies) {
  const std::string text = "nsplan: 1\nname: x\ncgroup:\n  io: {blkio_weight: 500}\n";
  auto v1 = testing::compile_text(text, CgroupMode::V1);
  ASSERT_TRUE(v1->ok());
  EXPECT_TRUE(v1->diags.all().empty());
  EXPECT_EQ(cgroup_writes(*v1).at(0).second, "500");
  auto v2 = testing::compile_text(text, CgroupMode::V2);
  ASSERT_TRUE(v2->ok());
  EXPECT_TRUE(v2->diags.all().empty());
  EXPECT_EQ(cgroup_writes(*v2).at(0), (std::pair<std::string, std::string>{"/sys/fs/cgroup/nsplan/x/io.weight", "default 500"}));
  bool noted = false;
  for (const auto& s : v2->plan->steps)
    for (const auto& n : s.notes) noted |= n.find("io.weight unchanged") != std::string::npos;
  EXPECT_TRUE(noted);
  auto both = testing::compile_text("nsplan: 1\nname: x\ncgroup:\n  io:\n    weight: 200\n    blkio_weight: 500\n");
  EXPECT_FALSE(both->ok());
  EXPECT_NE(render_all(both->diags, both->sources)
                .find("p.yaml:6:19: error: io blkio_weight and io weight are both given; both set the cgroup's one io weight"),
            std::string::npos)
      << render_all(both->diags, both->sources);
  for (const char* bad : {"9", "1001", "-5", "huge", "99999999999999999999999"})
    EXPECT_FALSE(testing::compile_text(std::string("nsplan: 1\nname: x\ncgroup:\n  io: {blkio_weight: ") + bad + "}\n")->ok()) << bad;
}

// Per-device weights: v2 lines of io.weight after the default; v1 the weight file's _device twin.
// A /dev path is resolved as for io limits; a device given twice is an error at its key.
TEST(Translation, DeviceWeightsGoToEachHierarchysFile) {
  const std::string text =
      "nsplan: 1\nname: x\ncgroup:\n  io:\n    weight: 50\n    device_weights:\n"
      "      - {device: /dev/vda, weight: 300}\n      - {device: \"8:16\", weight: 20}\n";
  HostFacts v2 = HostFacts::stated(CgroupMode::V2);
  v2.block_devices["/dev/vda"] = "254:0";
  auto c2 = testing::compile_with(text, v2);
  ASSERT_TRUE(c2->ok()) << render_all(c2->diags, c2->sources);
  EXPECT_EQ(cgroup_writes(*c2), (std::vector<std::pair<std::string, std::string>>{
                                    {"/sys/fs/cgroup/nsplan/x/io.weight", "default 50"},
                                    {"/sys/fs/cgroup/nsplan/x/io.weight", "254:0 300"},
                                    {"/sys/fs/cgroup/nsplan/x/io.weight", "8:16 20"}}));
  HostFacts v1 = HostFacts::stated(CgroupMode::V1);
  v1.block_devices["/dev/vda"] = "254:0";
  auto c1 = testing::compile_with(text, v1);
  ASSERT_TRUE(c1->ok()) << render_all(c1->diags, c1->sources);
  EXPECT_EQ(cgroup_writes(*c1), (std::vector<std::pair<std::string, std::string>>{
                                    {"/sys/fs/cgroup/blkio/nsplan/x/blkio.bfq.weight", "50"},
                                    {"/sys/fs/cgroup/blkio/nsplan/x/blkio.bfq.weight_device", "254:0 300"},
                                    {"/sys/fs/cgroup/blkio/nsplan/x/blkio.bfq.weight_device", "8:16 20"}}));
  cfq(v1);
  auto cfq_plan = testing::compile_with(text, v1);
  ASSERT_TRUE(cfq_plan->ok());
  EXPECT_EQ(cgroup_writes(*cfq_plan).at(1).first, "/sys/fs/cgroup/blkio/nsplan/x/blkio.weight_device");
  auto unknown = testing::compile_text(
      "nsplan: 1\nname: x\ncgroup:\n  io: {device_weights: [{device: /dev/nope, weight: 5}]}\n");
  EXPECT_FALSE(unknown->ok());
  EXPECT_NE(render_all(unknown->diags, unknown->sources).find("cannot tell the device number of /dev/nope on the target"),
            std::string::npos);
  auto twice = testing::compile_text(
      "nsplan: 1\nname: x\ncgroup:\n  io:\n    device_weights:\n      - {device: \"8:0\", weight: 5}\n"
      "      - {device: \"8:0\", weight: 6}\n");
  EXPECT_FALSE(twice->ok());
  EXPECT_NE(render_all(twice->diags, twice->sources).find("p.yaml:7:18: error: device 8:0 is given two weights"),
            std::string::npos)
      << render_all(twice->diags, twice->sources);
  for (const char* bad : {"{device: \"8:0\"}", "{weight: 5}", "{device: \"8:0\", weight: 0}",
                          "{device: \"8:0\", weight: 10001}", "{device: sda, weight: 5}"})
    EXPECT_FALSE(testing::compile_text(std::string("nsplan: 1\nname: x\ncgroup:\n  io: {device_weights: [") + bad + "]}\n")->ok())
        << bad;
}

// v1 rt: the ancestors below the base get the leaf's period and runtime first, each period
// before its runtime; the base's own share is checked when it is known.
TEST(Translation, RtRuntimeGoesToAncestorsFirst) {
  const std::string text = "nsplan: 1\nname: x\ncgroup:\n  path: a/b/c\n  cpu: {rt_runtime: 30000, rt_period: 100000}\n";
  auto c = testing::compile_text(text, CgroupMode::V1);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  std::vector<std::string> steps;
  for (const auto& s : c->plan->steps) {
    if (auto* m = std::get_if<plan::MakeCgroup>(&s.action)) steps.push_back("mkdir " + m->dir);
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&s.action)) steps.push_back(w->dir + "/" + w->file + " " + w->value);
  }
  const std::string cpu = "/sys/fs/cgroup/cpu/";
  EXPECT_EQ(steps, (std::vector<std::string>{
                       "mkdir " + cpu + "a", cpu + "a/cpu.rt_period_us 100000", cpu + "a/cpu.rt_runtime_us 30000",
                       "mkdir " + cpu + "a/b", cpu + "a/b/cpu.rt_period_us 100000", cpu + "a/b/cpu.rt_runtime_us 30000",
                       "mkdir " + cpu + "a/b/c", cpu + "a/b/c/cpu.rt_period_us 100000", cpu + "a/b/c/cpu.rt_runtime_us 30000"}));

  // The default period is 1 s, written too; a runtime above the period is refused at its key.
  auto dflt = testing::compile_text("nsplan: 1\nname: x\ncgroup:\n  path: x\n  cpu: {rt_runtime: 5000}\n", CgroupMode::V1);
  ASSERT_TRUE(dflt->ok());
  EXPECT_EQ(cgroup_writes(*dflt), (std::vector<std::pair<std::string, std::string>>{
                                      {cpu + "x/cpu.rt_period_us", "1000000"}, {cpu + "x/cpu.rt_runtime_us", "5000"}}));
  auto longer = testing::compile_text("nsplan: 1\nname: x\ncgroup:\n  cpu: {rt_runtime: 200000, rt_period: 100000}\n", CgroupMode::V1);
  EXPECT_FALSE(longer->ok());
  EXPECT_NE(render_all(longer->diags, longer->sources)
                .find("p.yaml:4:21: error: cpu rt_runtime 200000 µs is longer than rt_period (100000 µs)"),
            std::string::npos)
      << render_all(longer->diags, longer->sources);
  for (const char* bad : {"rt_runtime: -1", "rt_period: 0", "rt_runtime: 17592186045", "rt_runtime: x", "rt_period: 1e9"})
    EXPECT_FALSE(testing::compile_text(std::string("nsplan: 1\nname: x\ncgroup:\n  cpu: {") + bad + "}\n", CgroupMode::V1)->ok())
        << bad;

  // On the host it runs on, the base's share is read: more than it gives is refused at the key.
  HostFacts facts = HostFacts::stated(CgroupMode::V1);
  facts.cgroup_parent = "sandbox";
  std::string asked;
  facts.rt_bandwidth = [&](const std::string& dir) {
    asked = dir;
    return std::optional<HostFacts::RtBandwidth>(HostFacts::RtBandwidth{100000, 1000000});
  };
  auto over = testing::compile_with(text, facts);
  EXPECT_FALSE(over->ok());
  EXPECT_EQ(asked, "/sys/fs/cgroup/cpu/sandbox");
  EXPECT_NE(render_all(over->diags, over->sources)
                .find("error: cpu rt_runtime 30000 us of 100000 (30% of a CPU) is more than /sys/fs/cgroup/cpu/sandbox gives "
                      "its children: 100000 us of 1000000 (10% of a CPU)"),
            std::string::npos)
      << render_all(over->diags, over->sources);
  facts.rt_bandwidth = [](const std::string&) { return std::optional<HostFacts::RtBandwidth>(HostFacts::RtBandwidth{300000, 1000000}); };
  EXPECT_TRUE(testing::compile_with(text, facts)->ok()) << "exactly the base's share fits";
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
